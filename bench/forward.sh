#!/usr/bin/env bash
# Forward-pass benchmark: full-size models with random bf16 weights shaped
# like gemma-2b and pythia-1.4b (bench/make_random_model.py writes them once
# into bench/data/models/), the notebook's 16 prompts, on every kernel
# variant this machine runs, on one thread and on all of them; the gemma-2b
# shape also as F16, Q8_0 and Q4_K GGUF files (bench/make_random_gguf.py;
# no vocabulary: 16 sequences of 22 fixed ids), on all threads. Each line
# gives forward time, tokens/s, GFLOP/s and the ratio to the same variant's
# float32 FMA peak, measured by the bench's own microbenchmark in the same
# run (bench/fma_peak.c), and peak RSS. Then a long-context line: one
# 4,096-token sequence through Gemma 3 270M (the default model), with
# attention's share of the forward time.
#   bench/forward.sh [SHAPE...]   (default: gemma-2b pythia-1.4b; also gemma-7b)
#   BENCH_GGUF_TYPES="F16 Q8_0"    the GGUF types to run (gemma-2b: F16 Q8_0
#                                 Q4_K unless set; gemma-7b: none unless set)
# Needs a Release build in build/ and the oracle's virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(tools/oracle/venv.sh)
cmake --build build --target bench_forward aniso_cli >/dev/null
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(gemma-2b pythia-1.4b)
all=$(nproc)
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $all threads;" \
     "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' |
               grep -E '^(avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512_bf16|amx_tile|amx_bf16)$' |
               tr '\n' ' ')"
# the SIMD variants this machine runs (the portable reference is an order of
# magnitude slower, the AMX emulation far more: BENCH_VARIANTS=generic,...
# adds them)
variants=${BENCH_VARIANTS:-$(build/aniso --version | sed -n 's/.*runs: \([^;]*\);.*/\1/p' |
                            tr ' ' '\n' | grep -v -e generic -e amx-emulated | paste -sd, -)}
[ -n "$variants" ] || variants=generic
# one thread team of our own: no other library's threads wait beside it
export OMP_NUM_THREADS=$all OPENBLAS_NUM_THREADS=1
for s in "${shapes[@]}"; do
    dir=bench/data/models/$s
    [ -f "$dir/model.safetensors" ] || "$PY" bench/make_random_model.py "$s" "$dir" >/dev/null
    for t in 1 "$all"; do
        build/bench/bench_forward "$dir" "$t" --variants "$variants" | sed "s/^/$s: /"
    done
    # the gemma-2b shape also as GGUF files of other weight types (the
    # gemma-7b shape too when BENCH_GGUF_TYPES names them: 17 GB a file)
    case $s in
    gemma-2b) types=${BENCH_GGUF_TYPES-F16 Q8_0 Q4_K} ;;
    gemma-*) types=${BENCH_GGUF_TYPES-} ;;
    *) types= ;;
    esac
    for q in $types; do
        g=bench/data/models/$s-$q.gguf
        [ -f "$g" ] || "$PY" bench/make_random_gguf.py "$s" "$q" "$g"
        build/bench/bench_forward "$g" "$all" --variants "$variants" | sed "s/^/$s $q gguf: /"
    done
done
gguf=${ANISO_MODELS:-$HOME/.cache/aniso/models}/gemma-3-270m-q4_k_m.gguf
[ -f "$gguf" ] || scripts/fetch-default-model.sh >/dev/null
build/bench/bench_forward "$gguf" "$all" --long 4096 --variants "$variants" | sed "s/^/gemma-3-270m long 4096: /"
