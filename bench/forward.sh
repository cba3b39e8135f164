#!/usr/bin/env bash
# Forward-pass benchmark: full-size models with random bf16 weights shaped
# like gemma-2b and pythia-1.4b (bench/make_random_model.py writes them once
# into bench/data/models/), the notebook's 16 prompts, and the machine's
# sgemm peak measured in the same run. Prints load and forward time,
# tokens/s, GFLOP/s, percent of the sgemm peak and peak RSS per model.
#   bench/forward.sh [SHAPE...]   (default: gemma-2b pythia-1.4b; also gemma-7b)
# Needs a Release build in build/ and the oracle's virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(tools/oracle/venv.sh)
cmake --build build --target bench_forward >/dev/null
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(gemma-2b pythia-1.4b)
threads=$(nproc)
for s in "${shapes[@]}"; do
    dir=bench/data/models/$s
    [ -f "$dir/model.safetensors" ] || "$PY" bench/make_random_model.py "$s" "$dir" >/dev/null
    echo "$s ($threads threads): $(build/bench/bench_forward "$dir" "$threads")"
done
