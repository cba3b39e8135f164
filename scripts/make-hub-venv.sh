#!/usr/bin/env bash
# make-hub-venv.sh [DIR] - a small Python virtual environment with
# huggingface_hub and transformers, without torch (AutoConfig and
# AutoTokenizer need none), for the transformers check of tests/test_fetch.sh
# (which looks for it at ~/.cache/aniso/hub-venv). About 60 MB of wheels
# from PyPI (transformers, tokenizers, huggingface_hub, numpy, safetensors,
# regex, pyyaml, requests, tqdm, ...). Idempotent: an existing environment
# that imports both is kept.
set -euo pipefail
dir=${1:-$HOME/.cache/aniso/hub-venv}
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import huggingface_hub, transformers' 2>/dev/null; then
    echo "make-hub-venv: $dir ready ($("$dir/bin/python" -c 'import transformers, huggingface_hub as h; print("transformers", transformers.__version__, "huggingface_hub", h.__version__)'))"
    exit 0
fi
start=$(date +%s)
python3 -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# transformers 4.57, the version the oracle fixtures were made with.
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check \
    "transformers>=4.57,<4.58" "huggingface_hub>=0.34,<1.0"
"$dir/bin/python" -c 'import torch' 2>/dev/null && echo "make-hub-venv: note: torch is installed too"
echo "make-hub-venv: $dir made in $(($(date +%s) - start)) s"
