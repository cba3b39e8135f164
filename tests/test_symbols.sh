#!/usr/bin/env bash
# The installed libraries export the public API and nothing else: every
# defined global symbol of libaniso.so (dynamic symbol table) and of the
# localized libaniso.a starts with aniso_, and every function the public
# headers declare is exported by both.
#   test_symbols.sh LIBANISO.so LIBANISO.a INCLUDE_DIR
set -euo pipefail
so=$1 ar=$2 inc=$3
fail=0
export LC_ALL=C

# Names that the toolchain itself may define in a shared object and that
# are not aniso's. None is expected with the version script (local: *
# hides _init and _fini too); listed here so that a toolchain that exports
# them anyway does not fail the test. Nothing else is allowed.
toolchain='^(_init|_fini)$'

check() { # LABEL FILE-OF-NAMES
    local bad
    bad=$(grep -v '^aniso_' "$2" | grep -Ev "$toolchain" || true)
    if [ -n "$bad" ]; then
        echo "FAIL: $1 exports $(wc -l <<<"$bad") symbols without the aniso_ prefix:"
        sed 's/^/  /' <<<"$bad"
        fail=1
    fi
    if ! grep -q '^aniso_' "$2"; then
        echo "FAIL: $1 exports no aniso_ symbol at all"
        fail=1
    fi
    echo "$1: $(grep -c '^aniso_' "$2") aniso_ symbols, $(grep -vc '^aniso_' "$2") others"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# "ADDRESS TYPE NAME" lines; archives add "member.o:" headers and blank lines.
nm -D --defined-only "$so" | awk 'NF >= 3 {print $3}' | sort -u >"$tmp/so"
nm --defined-only --extern-only "$ar" | awk 'NF >= 3 {print $3}' | sort -u >"$tmp/a"
check "$(basename "$so")" "$tmp/so"
check "$(basename "$ar")" "$tmp/a"

# Functions declared in the public headers (a name followed by "(").
grep -ohE '\baniso_[a-z0-9_]+[[:space:]]*\(' "$inc"/aniso/*.h | tr -d ' (' | sort -u >"$tmp/decl"
for lib in so a; do
    missing=$(comm -23 "$tmp/decl" "$tmp/$lib")
    if [ -n "$missing" ]; then
        echo "FAIL: declared in $inc/aniso/*.h but not exported by the .$lib:"
        sed 's/^/  /' <<<"$missing"
        fail=1
    fi
done
extra=$(comm -13 "$tmp/decl" "$tmp/so")
if [ -n "$extra" ]; then # allowed (the prefix is right), but worth a look
    echo "note: exported by the .so but declared in no public header: $(tr '\n' ' ' <<<"$extra")"
fi
echo "public headers: $(wc -l <"$tmp/decl") functions"
exit $fail
