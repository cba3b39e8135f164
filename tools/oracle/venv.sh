#!/usr/bin/env bash
# Creates (once per machine) an oracle virtual environment with pinned
# requirements, and prints its python. Reused across checkouts.
#   PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_tiny_models.py     (transformers 4.57)
#   PY5=$(tools/oracle/venv.sh 5) && "$PY5" tools/oracle/make_forward_fixtures.py ...  (5.x)
# Locations: ~/.cache/aniso/oracle-venv and oracle-venv5, or ANISO_ORACLE_VENV
# and ANISO_ORACLE_VENV5.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-4}" in
4) venv=${ANISO_ORACLE_VENV:-$HOME/.cache/aniso/oracle-venv}; req="$here/requirements.txt" ;;
5) venv=${ANISO_ORACLE_VENV5:-$HOME/.cache/aniso/oracle-venv5}; req="$here/requirements-5.txt" ;;
*) echo "usage: venv.sh [4|5]" >&2; exit 2 ;;
esac
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
if ! cmp -s "$req" "$stamp" 2>/dev/null; then
    "$venv/bin/pip" install -q -r "$req" >&2
    cp "$req" "$stamp"
fi
echo "$venv/bin/python"
