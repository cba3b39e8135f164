#!/usr/bin/env bash
# Writes a real English corpus for tests and benchmarks: the King James
# Bible from Debian's bible-kjv package (installed by scripts/install-deps.sh),
# one document per chapter ("Genesis 1" and its verses), documents separated
# by blank lines, as `aniso profile --corpus` reads plain text.
#   scripts/fetch-corpus.sh [OUT [RANGE]]
# OUT defaults to ${ANISO_CORPUS:-~/.cache/aniso/corpus}/kjv.txt; RANGE is a
# verse range as bible(1) takes it (default: the whole text, gen1:1-rev22:21).
set -euo pipefail
out=${1:-${ANISO_CORPUS:-$HOME/.cache/aniso/corpus}/kjv.txt}
range=${2:-gen1:1-rev22:21}
if ! command -v bible >/dev/null; then
    echo "fetch-corpus: the bible command is missing (scripts/install-deps.sh installs bible-kjv)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# bible prints, per chapter, a header paragraph ("Genesis 1") and a verse
# paragraph; join each verse paragraph's lines under its header.
bible -l 100000 "$range" | awk 'BEGIN { RS = ""; FS = "\n" }
    NF == 1 && $1 !~ /^ / { head = $1; next }
    {
        text = ""
        for (i = 1; i <= NF; i++) { line = $i; sub(/^ +/, "", line); text = text (i > 1 ? "\n" : "") line }
        printf "%s%s\n%s\n", (n++ ? "\n" : ""), head, text
    }' >"$tmp"
[ -s "$tmp" ] || { echo "fetch-corpus: bible printed nothing for $range" >&2; exit 1; }
mv "$tmp" "$out"
trap - EXIT
echo "$out"
