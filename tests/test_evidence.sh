#!/usr/bin/env bash
# The evidence of a profile report through the CLI (docs/METRICS.md section
# 5): its blocks are there and consistent, seeded and reproducible, the
# options that set them are checked, and `aniso compare` refuses results
# measured differently. (The numbers are checked against numpy in
# python/tests/test_bootstrap.py and tests/test_metrics.c.)
#   test_evidence.sh ANISO FIXTURES
set -u
aniso=$1
fx=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aniso-evidence.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
model=$fx/forward/gemma3-f32
fails=0
ok() { echo "ok   $1"; }
bad() {
    echo "FAIL $1" >&2
    fails=$((fails + 1))
}

# json FILE EXPR: evaluates a Python expression over the report r
json() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# 1. The default report carries every block.
"$aniso" profile "$model" --out "$tmp/a" --format none --quiet >/dev/null 2>"$tmp/err" ||
    bad "default profile: $(cat "$tmp/err")"
ra=$tmp/a/anisotropy_results_gemma3-f32.json
for k in intervals shape_test without_first_token nulls token_controls provenance; do
    [ "$(json "$ra" "'$k' in r")" = True ] && ok "report has $k" || bad "report lacks $k"
done
[ "$(json "$ra" "r['intervals']['n_boot'] >= 200 and r['intervals']['seed'] == 0")" = True ] &&
    ok "default bootstrap: at least 200 replicates, seed 0" || bad "default bootstrap"
# every interval is ordered, and every metric of every layer has one
[ "$(json "$ra" "all(v['percentile'][0] <= v['percentile'][1] for L in r['intervals']['layers'] for k, v in L.items() if k != 'layer' and v['percentile'])")" = True ] &&
    ok "intervals ordered" || bad "an interval with lo > hi"
[ "$(json "$ra" "len(r['intervals']['layers']) == len(r['layers']) and len(r['intervals']['replicates']['L_star']) == r['intervals']['n_boot']")" = True ] &&
    ok "intervals per layer and replicates per draw" || bad "intervals' shape"
[ "$(json "$ra" "abs(sum(e['share'] for e in r['intervals']['profile']['L_star_distribution']) - 1) < 1e-12")" = True ] &&
    ok "L* shares sum to 1" || bad "L* shares"
[ "$(json "$ra" "r['without_first_token']['n_tokens'] == r['n_tokens'] - r['token_selection']['counts']['first']")" = True ] &&
    ok "without first tokens: every first token left out" || bad "without first tokens: rows"
[ "$(json "$ra" "r['provenance']['text_hash'] is not None and len(r['provenance']['text_hash']) == 16")" = True ] &&
    ok "provenance has the texts' hash" || bad "provenance text hash"

# 2. The same seed gives the same intervals; another seed others.
"$aniso" profile "$model" --out "$tmp/b" --format none --quiet >/dev/null 2>&1
"$aniso" profile "$model" --out "$tmp/c" --format none --quiet --seed 99 >/dev/null 2>&1
rb=$tmp/b/anisotropy_results_gemma3-f32.json
rc=$tmp/c/anisotropy_results_gemma3-f32.json
same() { json "$1" "json.dumps({k: v for k, v in r['intervals'].items() if k != 'seconds'}, sort_keys=True)"; }
[ "$(same "$ra")" = "$(same "$rb")" ] && ok "same seed, same intervals" || bad "same seed, other intervals"
[ "$(same "$ra")" != "$(same "$rc")" ] && ok "another seed, other intervals" || bad "seed ignored"

# 3. --boot 0 and --no-controls leave their blocks out, saying why.
"$aniso" profile "$model" --out "$tmp/d" --format none --quiet --boot 0 --no-controls >/dev/null 2>&1
rd=$tmp/d/anisotropy_results_gemma3-f32.json
[ "$(json "$rd" "r['intervals']['n_boot'] == 0 and 'boot 0' in r['intervals']['why'] and 'nulls' not in r and 'token_controls' not in r and r['without_first_token']['why'] == 'not measured'")" = True ] &&
    ok "--boot 0 --no-controls" || bad "--boot 0 --no-controls"

# 4. Options out of range are usage errors (exit 2), one line, nothing written.
for args in "--boot -1" "--boot 1e3" "--boot-blocks 1" "--boot-blocks 2000" "--seed x" "--seed -3"; do
    # shellcheck disable=SC2086
    "$aniso" profile "$model" --out "$tmp/e" --format none $args >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -e "$tmp/e" ]; then
        ok "usage error: $args"
    else
        bad "usage error: $args (exit $st: $(cat "$tmp/err"))"
    fi
done
"$aniso" profile "$model" --out "$tmp/f" --format none --boot-indices "$tmp/nowhere/i.npy" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -ne 0 ] && grep -q "nowhere/i.npy: its folder does not exist" "$tmp/err" && [ ! -e "$tmp/f" ]; then
    ok "--boot-indices into a missing folder: refused before the work"
else
    bad "--boot-indices into a missing folder (exit $st: $(cat "$tmp/err"))"
fi
"$aniso" profile "$model" --out "$tmp/g" --format none --quiet --boot 50 --boot-indices "$tmp/g-i.npy" >/dev/null 2>&1
[ "$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); print(b[:6] == b"\x93NUMPY" and b"(50, 16)" in b[:128])' "$tmp/g-i.npy")" = True ] &&
    ok "--boot-indices: 50 x 16 units" || bad "--boot-indices file"

# 5. compare: results measured differently are refused unless --force;
#    the same prompts resampled alike are paired.
"$aniso" profile "$fx/forward/llama-f32" --out "$tmp/h" --format none --quiet --exclude first >/dev/null 2>&1
"$aniso" profile "$fx/forward/llama-f32" --out "$tmp/h" --format none --quiet >/dev/null 2>&1
rh=$tmp/h/anisotropy_results_llama-f32_excl-first.json
ri=$tmp/h/anisotropy_results_llama-f32.json
"$aniso" compare --out "$tmp/k" --format none "$ra" "$rh" >"$tmp/out" 2>"$tmp/err"
st=$?
if [ $st -ne 0 ] && grep -q 'differ in exclude: "none" and "first"' "$tmp/err" && [ ! -e "$tmp/k/comparison.json" ]; then
    ok "compare refuses another mask"
else
    bad "compare, another mask (exit $st: $(cat "$tmp/err"))"
fi
"$aniso" compare --force --out "$tmp/k" --format none "$ra" "$rh" >"$tmp/out" 2>"$tmp/err" &&
    grep -q "Not measured the same way" "$tmp/out" && ok "compare --force ranks them, saying so" ||
    bad "compare --force"
"$aniso" compare --out "$tmp/l" --format none "$ra" "$ri" >"$tmp/out" 2>"$tmp/err" &&
    grep -q "paired over" "$tmp/out" && ok "compare pairs the same prompts" || bad "compare paired: $(cat "$tmp/err")"
"$aniso" compare --out "$tmp/m" --format none "$ra" "$rc" >"$tmp/out" 2>"$tmp/err" &&
    grep -q "no paired intervals (the bootstraps differ" "$tmp/out" && ok "compare: other seeds are not paired" ||
    bad "compare, other seeds"

if [ $fails -ne 0 ]; then
    echo "test_evidence: $fails failed" >&2
    exit 1
fi
echo "test_evidence: all passed"
