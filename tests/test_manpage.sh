#!/usr/bin/env bash
# docs/aniso.1 documents the CLI as it is: every command that `aniso --help`
# lists has its section (.SS "aniso COMMAND ..."), every option that
# `aniso COMMAND --help` lists has an entry (.TP or .TQ) in that section, and
# the page's version is the tool's. If groff is installed, the page also renders
# without a warning (groff is not a build dependency; the rest runs without).
#   test_manpage.sh ANISO_BINARY docs/aniso.1
set -euo pipefail
cli=$1 page=$2
fail=0
export LC_ALL=C

commands=$("$cli" --help | sed -n '/^commands:/,/^$/p' | awk 'NF >= 2 && $1 != "commands:" {print $1}')
if [ -z "$commands" ]; then
    echo "FAIL: no commands found in '$cli --help'"
    exit 1
fi
for cmd in $commands; do
    # The command's section: from its .SS line to the next .SS or .SH.
    section=$(awk -v want="aniso $cmd" '
        /^\.S[SH] / { on = (index($0, "\"" want " ") == 5 || index($0, "\"" want "\"") == 5) }
        on' "$page")
    # Its option entries: the tag lines after .TP and .TQ.
    tags=$(awk '/^\.T[PQ]$/ {getline; print}' <<<"$section")
    if [ -z "$section" ]; then
        echo "FAIL: $page has no section .SS \"aniso $cmd ...\""
        fail=1
        continue
    fi
    # The options its --help lists: lines "  [-x, ]--name ...".
    opts=$("$cli" "$cmd" --help | sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z0-9-]*).*/\2/p' | sort -u)
    if [ -z "$opts" ]; then
        echo "FAIL: no options found in '$cli $cmd --help'"
        fail=1
    fi
    for opt in $opts; do
        # --out is \-\-out in roff, not followed by more of a name (\-\-outfile, \-\-out\-dir).
        pat=$(sed 's/-/\\\\-/g' <<<"$opt")
        if ! grep -qP -- "${pat}(?![a-z0-9]|\\\\-[a-z0-9])" <<<"$tags"; then
            echo "FAIL: aniso $cmd: $opt (in its --help) has no entry (.TP) in $page's section"
            fail=1
        fi
    done
done

version=$("$cli" --version | head -1 | awk '{print $2}')
if ! grep -qE "^\.TH .*\"aniso $version\"" "$page"; then
    echo "FAIL: $page's .TH line does not say \"aniso $version\" ($cli --version)"
    fail=1
fi

if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -n "$warnings" ]; then
        echo "FAIL: groff warns on $page:"
        echo "$warnings"
        fail=1
    fi
else
    echo "groff not installed: rendering not checked"
fi
[ $fail -eq 0 ] && echo "$page: $(wc -w <<<"$commands") commands, options and version match $cli"
exit $fail
