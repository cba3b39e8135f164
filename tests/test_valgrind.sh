#!/usr/bin/env bash
# test_valgrind.sh ANISO FIXTURES - short aniso runs under valgrind's memcheck:
# nothing read or written out of bounds, nothing uninitialised used, nothing
# definitely lost. A profile of a safetensors model with every figure format
# (PLplot/cairo, the JSON report, the zip), a profile of a GGUF model with
# masks, both last layers and a checkpoint, and aniso hidden on another GGUF.
# tests/valgrind.supp suppresses third-party libraries' own leaks only.
# Each run must also succeed and write its files. Skips (exit 77) when
# valgrind is not installed, and for a sanitizer build (ASan and valgrind do
# not mix: CMake sets ANISO_VALGRIND_SKIP there, and the binary is checked).
set -euo pipefail
aniso=$1
fx=$2
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP valgrind: valgrind is not installed (Debian: apt-get install valgrind)"
    exit 77
fi
if [ -n "${ANISO_VALGRIND_SKIP:-}" ]; then
    echo "SKIP valgrind: $ANISO_VALGRIND_SKIP"
    exit 77
fi
if grep -aq __asan_init "$aniso"; then
    echo "SKIP valgrind: $aniso is built with AddressSanitizer (ASan and valgrind do not mix)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# valgrind serializes threads; passive OpenMP workers sleep instead of
# spinning on the one running thread.
export OMP_WAIT_POLICY=passive
vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --track-origins=yes --num-callers=40
    --suppressions="$here/valgrind.supp")

# memcheck NAME -- CMD...: runs CMD under valgrind; passes when valgrind finds
# no error and CMD exits 0
memcheck() {
    local name=$1
    shift 2
    local rc=0 start=$SECONDS
    "${vg[@]}" --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && grep -q 'ERROR SUMMARY: 0 errors' "$tmp/$name.vg"; then
        pass=$((pass + 1))
        echo "ok $name ($((SECONDS - start)) s)"
    else
        fail=$((fail + 1))
        if [ "$rc" -eq 99 ]; then echo "FAIL $name: valgrind found errors"
        else echo "FAIL $name: exit status $rc"; fi
        sed 's/^/  /' "$tmp/$name.out" | tail -5
        sed 's/^/  /' "$tmp/$name.vg"
    fi
}
# written NAME FILE...: passes when every FILE exists and is not empty
written() {
    local name=$1 f ok=1
    shift
    for f in "$@"; do
        if [ ! -s "$f" ]; then ok=0; echo "FAIL $name: $f not written"; fi
    done
    if [ $ok -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# (--boot 30: every path of the evidence, at a cost memcheck can bear; the
# first run's layers hold moments and blocks, the second's rows)
memcheck profile-figures -- "$aniso" profile --threads 2 --format png,pdf,svg --boot 30 \
    --out "$tmp/fig" "$fx/forward/gpt2-f32"
zips=("$tmp"/fig/anisotropy_results_gpt2-f32_*.zip)
written profile-figures-files "$tmp/fig/anisotropy_results_gpt2-f32.json" "${zips[0]}" \
    "$tmp"/fig/{anisotropy_profile,eigenvalue_spectrum,norm_analysis,metric_family}_gpt2-f32.{png,pdf,svg}

memcheck profile-gguf -- "$aniso" profile --threads 2 --format none --exclude first \
    --last-layer both --checkpoint "$tmp/gguf.ckpt" --out "$tmp/gguf" --boot 30 --max-tokens 48 \
    "$fx/gguf/qwen3-bf16.gguf"
written profile-gguf-files "$tmp/gguf/anisotropy_results_qwen3-bf16_excl-first_last-both.json" \
    "$tmp/gguf.ckpt"

memcheck hidden -- "$aniso" hidden --threads 2 --last-layer both --out "$tmp/states.npy" \
    "$fx/gguf/gptneox-f32.gguf"
written hidden-files "$tmp/states.npy" "$tmp/states.tokens.json"
if [ -s "$tmp/states.npy" ] && [ "$(head -c 6 "$tmp/states.npy" | tail -c 5)" = NUMPY ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL hidden-npy: $tmp/states.npy is not a .npy file"
fi

echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
