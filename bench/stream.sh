#!/usr/bin/env bash
# Streaming benchmark: `aniso profile --corpus` over the King James Bible
# (scripts/fetch-corpus.sh), context 512, at two lengths, to show that peak
# memory does not grow with the tokens and what the moments cost.
#   bench/stream.sh [MODEL [TOKENS...]]
# MODEL defaults to the default Gemma 3 270M GGUF; TOKENS to 100000 1000000
# (the corpus is repeated as often as needed). For each length it prints the
# tokens, tokens/s, forward / moments / metrics seconds, the moments' share
# of the forward time, and peak RSS against the bound: the model file +
# 1.5 GB + the moments ((L + 1) x d x d x 8 bytes). Also: gemma-2b (a
# full-size random bf16 model shaped like Gemma 2B, bench/make_random_model.py).
# Needs a Release build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-gemma-3-270m}
shift || true
lengths=("$@")
[ ${#lengths[@]} -gt 0 ] || lengths=(100000 1000000)
work=${ANISO_BENCH_DIR:-bench/data/stream}
mkdir -p "$work"
if [ "$model" = gemma-2b ]; then
    PY=$(tools/oracle/venv.sh)
    dir=bench/data/models/gemma-2b
    [ -f "$dir/model.safetensors" ] || "$PY" bench/make_random_model.py gemma-2b "$dir" >/dev/null
    cp -n tests/fixtures/forward/gemma-f32/tokenizer.json tests/fixtures/forward/gemma-f32/tokenizer_config.json "$dir/" 2>/dev/null || true
    model=$dir
fi
path=$model
[ "$model" = gemma-3-270m ] && path=${ANISO_MODELS:-$HOME/.cache/aniso/models}/gemma-3-270m-q4_k_m.gguf
corpus=$(scripts/fetch-corpus.sh "$work/kjv.txt")
# Enough text for the longest run: the Bible repeated.
most=$(printf '%s\n' "${lengths[@]}" | sort -n | tail -1)
big="$work/kjv-x3.txt"
[ -s "$big" ] || { cat "$corpus" "$corpus" "$corpus" >"$big"; }
grep -m1 'model name' /proc/cpuinfo | sed 's/^/cpu: /'
echo "cpu flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512_bf16|amx_bf16|fma|f16c)$' | tr '\n' ' ')"
echo "threads: $(nproc); model: $model"
for n in "${lengths[@]}"; do
    out="$work/out-$n"
    rm -rf "$out"
    /usr/bin/time -v build/aniso profile --quiet --corpus "$big" --context 512 --max-tokens "$n" \
        --out "$out" "$model" >/dev/null 2>"$work/time-$n.txt"
    rss_kb=$(awk '/Maximum resident set size/ {print $6}' "$work/time-$n.txt")
    python3 - "$out" "$path" "$rss_kb" <<'PY'
import glob, json, os, sys
out, path, rss_kb = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = json.load(open(glob.glob(os.path.join(out, "anisotropy_results_*.json"))[0]))
t, c = r["timing_seconds"], r["token_selection"]["counts"]
L1, d = r["n_layers"] + 1, r["hidden_dim"]
size = os.path.getsize(path) if os.path.isfile(path) else sum(
    os.path.getsize(f) for f in glob.glob(os.path.join(path, "*.safetensors")))
bound = size + 1.5e9 + L1 * d * d * 8
tok = c["tokens_seen"]
print(f"tokens {tok}: {tok / t['forward']:.0f} tokens/s; forward {t['forward']:.1f} s, "
      f"moments {t['moments']:.1f} s ({100 * t['moments'] / t['forward']:.1f}% of forward), "
      f"metrics {t['metrics']:.2f} s; peak RSS {rss_kb / 1024:.0f} MiB, bound "
      f"{bound / 2**20:.0f} MiB ({'within' if rss_kb * 1024 < bound else 'OVER'}); "
      f"L* {r['L_star_anisotropy']}, range {r['profile_range']:.4f}")
PY
done
