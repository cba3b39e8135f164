#!/usr/bin/env bash
# MPI benchmark: one corpus profile of the default Gemma 3 270M GGUF over the
# Pentateuch of the King James Bible (about 200k tokens, context 512), run as
# 1 rank x 2 threads and as 2 ranks x 1 thread on this machine, side by side:
# wall time, tokens/s, parallel efficiency of the second against the first,
# and the largest relative difference between the two reports (json_close;
# the shards merge in another order than one process accumulates, ~1e-13).
#   bench/mpi.sh [RANGE]
# Needs build/ (Release, with tests: json_close) and build-mpi/ (-DANISO_MPI=ON),
# as scripts/test.sh makes them.
set -euo pipefail
cd "$(dirname "$0")/.."
range=${1:-gen1:1-deu34:12}
work=${ANISO_BENCH_DIR:-bench/data/mpi}
mkdir -p "$work"
model=${ANISO_MODELS:-$HOME/.cache/aniso/models}/gemma-3-270m-q4_k_m.gguf
[ -f "$model" ] || scripts/fetch-default-model.sh >/dev/null
corpus=$(scripts/fetch-corpus.sh "$work/slice.txt" "$range")
grep -m1 'model name' /proc/cpuinfo | sed 's/^/cpu: /'
echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_bf16|fma|f16c)$' | tr '\n' ' ')"
echo "cores: $(nproc); corpus: $range ($(wc -c <"$corpus") bytes)"
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
t1=0
for setup in "1 2" "2 1"; do
    set -- $setup
    ranks=$1 threads=$2 out="$work/out-$1x$2"
    rm -rf "$out"
    t0=$(date +%s.%N)
    if [ "$ranks" -eq 1 ]; then
        build/aniso profile --quiet --threads "$threads" --corpus "$corpus" --out "$out" "$model" >/dev/null
    else
        "${mpirun[@]}" -np "$ranks" build-mpi/aniso profile --quiet --threads "$threads" \
            --corpus "$corpus" --out "$out" "$model" >/dev/null
    fi
    t=$(echo "$(date +%s.%N) - $t0" | bc)
    tokens=$(tr -d ' \n' <"$out"/anisotropy_results_*.json | grep -o '"tokens_seen":[0-9]*' | cut -d: -f2)
    if [ "$ranks" -eq 1 ]; then t1=$t; fi
    eff=$(echo "scale=3; $t1 / $t" | bc)
    printf '%d rank(s) x %d thread(s): %8.1f s  %7.1f tokens/s  %s tokens  speed vs 1x2: %s\n' \
        "$ranks" "$threads" "$t" "$(echo "$tokens / $t" | bc -l)" "$tokens" "$eff"
done
build/tests/json_close "$work"/out-1x2/anisotropy_results_*.json "$work"/out-2x1/anisotropy_results_*.json \
    1 timing_seconds parts parts_via partial_results_merged
