#!/usr/bin/env bash
# test_interrupt.sh ANISO FIXTURES CORPUS [ROUNDS] - interrupts `hidden`,
# `profile` and a corpus `profile` with checkpoints at random moments
# (SIGINT or SIGTERM, after a random delay within the run's length), ROUNDS
# times in all (default 50), and checks after each:
#   - the exit status is 0 (the run had finished) or 130 / 143;
#   - no temporary file or private result folder is left anywhere;
#   - the earlier result set is there and whole: as it was, or (status 0)
#     replaced by a new whole one; never removed, never a mix;
#   - a checkpoint left by an interrupted corpus run is complete: the run
#     resumes from it to the end.
set -u
aniso=$(realpath "$1")
fx=$(realpath "$2")
corpus=$(realpath "$3")
rounds=${4:-50}
model=$fx/forward/gpt2-f32
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check.sh"
cd "$tmp"

hidden=(hidden --quiet --threads 2 --out h/states.npy "$model")
prof=(profile --quiet --threads 2 --out p "$model")
corp=(profile --quiet --threads 2 --format none --corpus "$corpus" --context 64 --out c
    --checkpoint c.ckpt --checkpoint-every 400 "$model")

# The earlier result sets, and how long each run takes (ms): the shortest
# of three runs, so that a moment of load on the machine while it is timed
# does not stretch the delays past the end of most runs.
declare -A took
for job in hidden prof corp; do
    declare -n cmd=$job
    for try in 1 2 3; do
        t0=$(date +%s%N)
        "$aniso" "${cmd[@]}" >/dev/null 2>&1 || { echo "FAIL: $job does not run"; exit 1; }
        t=$((($(date +%s%N) - t0) / 1000000))
        [ "$try" -gt 1 ] && [ "$t" -ge "${took[$job]}" ] || took[$job]=$t
        rm -f c.ckpt
    done
done
# whole NAME: the result set of job NAME is there, complete and readable
whole() {
    case $1 in
    hidden) [ -s h/states.npy ] && [ -s h/states.tokens.json ] &&
        python3 -c "import json, sys; json.load(open('h/states.tokens.json'))" &&
        [ "$(head -c 6 h/states.npy | od -An -c | tr -d ' ')" = '223NUMPY' ] ;;
    prof) [ "$(ls p/*.json p/*.png p/*.zip 2>/dev/null | wc -l)" -ge 6 ] &&
        python3 -c "import json; json.load(open('p/anisotropy_results_gpt2-f32.json'))" ;;
    corp) python3 -c "import json; json.load(open('c/anisotropy_results_gpt2-f32.json'))" ;;
    esac
}
snapshot() { find h p c -type f -exec md5sum {} + 2>/dev/null | sort; }

jobs=(hidden prof corp)
n_int=0
for ((i = 0; i < rounds; i++)); do
    job=${jobs[$((i % 3))]}
    declare -n cmd=$job
    sig=$([ $((RANDOM % 2)) -eq 0 ] && echo INT || echo TERM)
    delay_ms=$((RANDOM % (took[$job] + 1)))
    before=$(snapshot)
    "$aniso" "${cmd[@]}" >/dev/null 2>"$tmp/err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -s "$sig" "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    ok=1 why=""
    case $rc in 0) ;; 130 | 143) n_int=$((n_int + 1)) ;; *) ok=0 why="exit status $rc" ;; esac
    left=$(find . \( -name '*.tmp.*' -o -name '.aniso-*' \) -print | head -3)
    [ -z "$left" ] || ok=0 why="$why; left behind: $left"
    whole "$job" || ok=0 why="$why; the result set of $job is not whole"
    if [ "$rc" -ne 0 ] && [ "$(snapshot)" != "$before" ]; then
        # an interrupt that came while the set was being put in place lets
        # it finish: then the new set is whole, which whole() checked
        grep -q 'interrupted' "$tmp/err" || ok=0 why="$why; changed without a message"
    fi
    if [ "$job" = corp ] && [ -e c.ckpt ]; then
        "$aniso" "${cmd[@]}" --resume >/dev/null 2>"$tmp/err2" ||
            { ok=0; why="$why; resume failed: $(head -1 "$tmp/err2")"; }
        rm -f c.ckpt
    fi
    result "round $i ($job, SIG$sig after $delay_ms ms, exit $rc)" $ok "$why"
done
echo "interrupt: $rounds rounds ($n_int interrupted), $pass passed, $fail failed"
# a run that always finished first would prove nothing
[ "$n_int" -ge $((rounds / 4)) ] || echo "FAIL: only $n_int of $rounds rounds were interrupted"
[ "$fail" -eq 0 ] && [ "$n_int" -ge $((rounds / 4)) ]
