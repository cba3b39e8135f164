# check.sh - the shell tests' one assertion helper, sourced by test_cli.sh
# and test_fetch.sh. Needs $tmp (a scratch folder) and counts into
# $pass and $fail.
pass=0
fail=0

# result NAME OK(1/0) DETAIL: counts one check, and says why it failed
result() {
    if [ "$2" -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}

# check NAME WANT_RC STDOUT_PATTERN STDERR_PATTERN -- CMD...
# Patterns are grep -E regexes; "" means "must be empty". A stderr pattern
# also requires stderr to be exactly one line.
check() {
    local name=$1 want=$2 outpat=$3 errpat=$4
    shift 5
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? ok=1
    [ "$rc" -eq "$want" ] || ok=0
    if [ -z "$outpat" ]; then [ ! -s "$tmp/out" ] || ok=0
    else grep -qE -- "$outpat" "$tmp/out" || ok=0; fi
    if [ -z "$errpat" ]; then [ ! -s "$tmp/err" ] || ok=0
    else
        grep -qE -- "$errpat" "$tmp/err" || ok=0
        [ "$(wc -l <"$tmp/err")" -eq 1 ] || ok=0
    fi
    result "$name" $ok "rc=$rc (want $want)"
    if [ $ok -eq 0 ]; then
        sed 's/^/  stdout: /' "$tmp/out" | head -5
        sed 's/^/  stderr: /' "$tmp/err" | head -5
    fi
}
