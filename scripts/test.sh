#!/usr/bin/env bash
# Builds aniso and runs every test three times: a Release build, then a build
# with AddressSanitizer (and LeakSanitizer) + UndefinedBehaviorSanitizer
# (GCC), then the same with clang, whose UndefinedBehaviorSanitizer also
# checks float-to-integer conversions (float-cast-overflow); then installs
# the Release build into a temporary prefix and builds examples/ against it
# through pkg-config (scripts/check-install.sh). Build folders: build/,
# build-asan/ and build-clang/. Run scripts/install-deps.sh first on a fresh
# machine.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== Python for the fetch test's transformers check (huggingface_hub + transformers, no torch)"
[ -x "$HOME/.cache/aniso/oracle-venv/bin/python" ] || scripts/make-hub-venv.sh

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

# The sanitizer builds (Debug, unoptimised) leave out the forced-variant
# reruns of the fixtures (minutes each there); test_ops runs every variant's
# kernels under the sanitizers, and the Release build runs the fixtures on
# every variant.
variant_runs='_(generic|avx2|avx512|amx|amx-emulated)$'

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DANISO_SANITIZE=ON \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp":print_suppressions=0 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -E "$variant_runs"

echo "== clang: AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer (with float-cast-overflow) build and tests"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug -DANISO_SANITIZE=ON \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build-clang -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS=suppressions="$PWD/tests/lsan.supp":print_suppressions=0 \
    ctest --test-dir build-clang --output-on-failure -j "$jobs" -E "$variant_runs"

echo "== MPI build (Open MPI): mpirun -np 2 against the single-process run"
cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DANISO_MPI=ON -DANISO_TESTS=OFF \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
cmake --build build-mpi -j "$jobs" --target aniso_cli
ANISO_MPI_BIN="$PWD/build-mpi/aniso" tests/test_shards.sh build/aniso build/tests/json_close \
    tests/fixtures build/tests/kjv-genesis-1-4.txt

echo "== Installed library: cmake --install, pkg-config, examples/"
scripts/check-install.sh build

echo "== Python package: pip install ./python in a fresh venv, then pytest"
scripts/test-python.sh build
