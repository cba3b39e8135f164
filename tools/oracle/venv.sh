#!/usr/bin/env bash
# Creates (once per machine) the oracle's virtual environment with the pinned
# requirements, and prints its python. Reused across checkouts; override the
# location with ANISO_ORACLE_VENV.
#   PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_tiny_models.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${ANISO_ORACLE_VENV:-$HOME/.cache/aniso/oracle-venv}
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
    "$venv/bin/pip" install -q -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$stamp"
fi
echo "$venv/bin/python"
