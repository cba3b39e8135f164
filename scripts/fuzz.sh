#!/usr/bin/env bash
# Runs one libFuzzer target for a number of seconds (not part of CI).
#   scripts/fuzz.sh safetensors 600
#   scripts/fuzz.sh config_index 600
# Builds build-fuzz/ with clang, ASan and UBSan; the growing corpus lives in
# fuzz/corpus-TARGET/ (seeded from fuzz/seeds/TARGET/), crashes in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
secs=${2:-60}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANISO_FUZZ=ON \
    -DANISO_TESTS=OFF >/dev/null
cmake --build build-fuzz --target "fuzz_$target" -j "$(nproc)"
mkdir -p "fuzz/corpus-$target" fuzz/artifacts
# The tokenizer's seeds are small JSON files and short texts; longer inputs
# only slow it down. A run that takes 10 s on one input is reported as a hang.
opts=(-timeout=10)
[ "$target" = tokenizer ] && opts+=(-max_len=768)
exec build-fuzz/fuzz/"fuzz_$target" -max_total_time="$secs" -print_final_stats=1 "${opts[@]}" \
    -artifact_prefix=fuzz/artifacts/ "fuzz/corpus-$target" "fuzz/seeds/$target"
