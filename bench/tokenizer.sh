#!/usr/bin/env bash
# Tokenizer benchmark: libaniso against the tokenizers Python package, side
# by side in one run, on 1 MB of English prose and 1 MB of mixed-script text,
# for each tokenizer given (default: gemma3 llama3 neox from the test
# fixtures). Prints tokens per second for both and their ratio.
#   bench/tokenizer.sh [NAME...]
# Needs a Release build in build/ (cmake -S . -B build && cmake --build build)
# and the oracle's virtual environment (tools/oracle/venv.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(tools/oracle/venv.sh)
[ -f bench/data/english.txt ] || "$PY" bench/make_texts.py bench/data >/dev/null
cmake --build build --target bench_tokenize tokenizer_fixtures >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gemma3 llama3 neox)
field() { tr " " "\n" | sed -n "s/^$1=//p"; }
printf '%-8s %-8s %10s %14s %14s %8s %14s\n' tokenizer text tokens "aniso tok/s" "tokenizers tok/s" ratio "batch tok/s"
for n in "${names[@]}"; do
    tok=build/tests/tokenizers/$n.tokenizer.json
    for t in english mixed; do
        a=$(build/bench/bench_tokenize "$tok" "bench/data/$t.txt" 3)
        p=$(TOKENIZERS_PARALLELISM=true "$PY" bench/bench_tokenize.py "$tok" "bench/data/$t.txt" 3)
        at=$(echo "$a" | field tokens); pt=$(echo "$p" | field tokens)
        [ "$at" = "$pt" ] || echo "warning: token counts differ ($at vs $pt)" >&2
        ar=$(echo "$a" | field tokens_per_second); pr=$(echo "$p" | field tokens_per_second)
        br=$(echo "$p" | field batch_tokens_per_second)
        printf '%-8s %-8s %10s %14s %14s %8.2f %14s\n' "$n" "$t" "$at" "$ar" "$pr" \
            "$(awk -v a="$ar" -v b="$pr" 'BEGIN { print a / b }')" "$br"
    done
done
