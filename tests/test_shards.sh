#!/usr/bin/env bash
# Shards of a corpus profile: --shard I/N + aniso merge, and (when
# ANISO_MPI_BIN names an MPI build of aniso) mpirun -np 2, against the
# single-process run, to 1e-12 relative; and how they fail.
#   test_shards.sh ANISO JSON_CLOSE FIXTURES CORPUS
set -u
aniso=$1 close=$2 fx=$3 corpus=$4
mpi=${ANISO_MPI_BIN:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && sed 's/^/  /' "$tmp/out" | head -5; }
# what may differ: timings, and how the result was put together
# (the intervals resample units in the order the parts give them, and the
# controls without first tokens and of the tokens are single runs' only)
skip=(timing_seconds parts parts_via partial_results_merged intervals without_first_token
    token_controls)
model=$fx/forward/gemma3-f32
run=(--threads 1 --corpus "$corpus" --context 64)
report=anisotropy_results_gemma3-f32.json

"$aniso" profile --quiet "${run[@]}" --out "$tmp/single" "$model" >"$tmp/out" 2>&1 &&
    ok || bad single-run
for n in 2 3; do
    parts=()
    for ((i = n - 1; i >= 0; i--)); do # given out of order: merge sorts them
        "$aniso" profile --quiet "${run[@]}" --shard "$i/$n" --checkpoint "$tmp/p$i-$n" \
            "$model" >"$tmp/out" 2>&1 || bad "shard-$i-of-$n"
        parts+=("$tmp/p$i-$n")
    done
    "$aniso" merge --quiet --out "$tmp/merged$n" "${parts[@]}" >"$tmp/out" 2>&1 &&
        ok || bad "merge-$n"
    "$close" "$tmp/single/$report" "$tmp/merged$n/$report" 1e-12 "${skip[@]}" >"$tmp/out" &&
        ok || bad "shards-$n-equal-single"
done
# merge writes the formats asked
"$aniso" merge --quiet --format svg --out "$tmp/msvg" "$tmp/p0-2" "$tmp/p1-2" >"$tmp/out" 2>&1 &&
    [ -s "$tmp/msvg/anisotropy_profile_gemma3-f32.svg" ] && [ ! -e "$tmp/msvg/anisotropy_profile_gemma3-f32.png" ] &&
    ok || bad merge-format
# the report says how it was made
tr -d ' \n' <"$tmp/merged3/$report" | grep -q '"parts_via":"merge"' && ok || bad merged-parts
# refusals, one line each
expect_fail() { # name status pattern command...
    local name=$1 want=$2 pat=$3
    shift 3
    "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -eq "$want" ] && grep -qE -- "$pat" "$tmp/out" && [ "$(wc -l <"$tmp/out")" -eq 1 ]; then
        ok
    else
        bad "$name (rc=$rc)"
    fi
}
expect_fail merge-missing-shard 1 '^aniso: merge: shard 1 of 3 is missing' \
    "$aniso" merge --out "$tmp/x" "$tmp/p0-3" "$tmp/p2-3"
expect_fail merge-shard-twice 1 'shard 0 of 3 twice' \
    "$aniso" merge --out "$tmp/x" "$tmp/p0-3" "$tmp/p0-3" "$tmp/p2-3"
expect_fail merge-mixed-counts 1 'shard 1 of 2, where .* is one of 3' \
    "$aniso" merge --out "$tmp/x" "$tmp/p0-3" "$tmp/p1-2" "$tmp/p2-3"
expect_fail shard-needs-checkpoint 2 '^aniso profile: --shard needs --checkpoint' \
    "$aniso" profile "${run[@]}" --shard 0/2 "$model"
expect_fail shard-malformed 2 '^aniso profile: --shard takes I/N' \
    "$aniso" profile "${run[@]}" --shard 2/2 --checkpoint "$tmp/y" "$model"
expect_fail shard-max-tokens 1 'cannot be combined with shards' \
    "$aniso" profile "${run[@]}" --shard 0/2 --max-tokens 100 --checkpoint "$tmp/y" "$model"
# shards of two different inputs are not one result
head -c 3000 "$corpus" >"$tmp/other.txt"
"$aniso" profile --quiet "${run[@]/$corpus/$tmp/other.txt}" --shard 1/2 --checkpoint "$tmp/q1-2" \
    "$model" >"$tmp/out" 2>&1 || bad shard-other-input
expect_fail merge-other-input 1 'input' "$aniso" merge --out "$tmp/x" "$tmp/p0-2" "$tmp/q1-2"
[ ! -e "$tmp/x" ] && ok || bad nothing-written

# The thread count does not change the numbers (attention runs one head per
# thread): the default model over 512-token windows, 1 and 2 threads.
default=${ANISO_MODELS:-$HOME/.cache/aniso/models}/gemma-3-270m-q4_k_m.gguf
if [ -f "$default" ]; then
    head -c 6000 "$corpus" >"$tmp/six.txt"
    for t in 1 2; do
        "$aniso" profile --quiet --threads $t --corpus "$tmp/six.txt" --context 512 \
            --out "$tmp/thr$t" "$default" >"$tmp/out" 2>&1 || bad "threads-$t"
    done
    "$close" "$tmp"/thr1/anisotropy_results_*.json "$tmp"/thr2/anisotropy_results_*.json 0 \
        timing_seconds seconds memory_bytes >"$tmp/out" && ok || bad threads-bitwise
else
    echo "test_shards: no default model ($default): thread check skipped"
fi

if [ -n "$mpi" ]; then
    mpirun=(mpirun -np 2 --oversubscribe)
    [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
    "${mpirun[@]}" "$mpi" profile --quiet "${run[@]}" --out "$tmp/mpi" \
        --checkpoint "$tmp/ck" "$model" >"$tmp/out" 2>&1 && ok || bad mpi-run
    "$close" "$tmp/single/$report" "$tmp/mpi/$report" 1e-12 "${skip[@]}" >"$tmp/out" &&
        ok || bad mpi-equal-single
    # bitwise what --shard + merge of the same N gives
    "$close" "$tmp/merged2/$report" "$tmp/mpi/$report" 0 "${skip[@]}" >"$tmp/out" &&
        ok || bad mpi-equal-merge-bitwise
    tr -d ' \n' <"$tmp/mpi/$report" | grep -q '"parts_via":"mpi"' && ok || bad mpi-parts
    # each rank's checkpoint is a shard that merge accepts
    "$aniso" merge --quiet --out "$tmp/ckm" "$tmp/ck.0-of-2" "$tmp/ck.1-of-2" >"$tmp/out" 2>&1 &&
        "$close" "$tmp/mpi/$report" "$tmp/ckm/$report" 0 "${skip[@]}" >"$tmp/out" &&
        ok || bad mpi-checkpoints-merge
    # a failing rank (its checkpoint cannot be written) stops every rank:
    # one line naming it, nonzero status, no report
    mkdir -p "$tmp/ck2.1-of-2"
    "${mpirun[@]}" "$mpi" profile --quiet "${run[@]}" --out "$tmp/mpi-fail" \
        --checkpoint "$tmp/ck2" "$model" >"$tmp/out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && grep -qE '^aniso: rank 1: ' "$tmp/out" &&
        [ "$(grep -c '^aniso: ' "$tmp/out")" -eq 1 ] && [ ! -e "$tmp/mpi-fail" ]; then
        ok
    else
        bad "mpi-failing-rank (rc=$rc)"
    fi
else
    echo "test_shards: no MPI build (ANISO_MPI_BIN unset): mpirun checks skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
