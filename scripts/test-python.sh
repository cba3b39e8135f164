#!/usr/bin/env bash
# The Python package as a user installs it: a fresh virtual environment,
# `pip install ./python` (which builds libaniso.so from this tree with
# cmake), then its pytest tests against the transformers fixtures and the
# CLI (ANISO_CLI, default BUILD_DIR/aniso; build it first).
#   scripts/test-python.sh [BUILD_DIR]    (default: build)
# PYTHON picks the interpreter (default python3); pip's cache (~/.cache/pip
# or PIP_CACHE_DIR) is reused when present.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
build=${1:-build}
export ANISO_CLI=${ANISO_CLI:-$repo/$build/aniso}
python=${PYTHON:-python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aniso-python.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "test-python: FAIL: $*" >&2
    exit 1
}
[ -x "$ANISO_CLI" ] || fail "$ANISO_CLI: no aniso CLI to compare with (cmake --build $build, or set ANISO_CLI)"

"$python" -m venv "$tmp/venv" || fail "$python -m venv (Debian: apt-get install python3-venv)"
pip=("$tmp/venv/bin/python" -m pip --disable-pip-version-check)
cache=${PIP_CACHE_DIR:-$HOME/.cache/pip}
if [ -d "$cache" ]; then pip+=(--cache-dir "$cache"); fi

echo "== pip install pytest numpy"
"${pip[@]}" install -q pytest numpy || fail "pip install pytest numpy"
echo "== pip install ./python (builds libaniso.so with cmake)"
# Not the user's ANISO_LIBRARY: a fresh build, as on a new machine.
env -u ANISO_LIBRARY ANISO_BUILD_JOBS="${ANISO_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}" \
    "${pip[@]}" install -q ./python >"$tmp/pip-install.log" 2>&1 || {
    tail -40 "$tmp/pip-install.log" >&2
    fail "pip install ./python"
}
# The package found from outside the source tree, with the bundled library.
(cd "$tmp" && env -u ANISO_LIBRARY "$tmp/venv/bin/python" -c '
import aniso, os
assert os.path.dirname(aniso.library_path) == os.path.dirname(aniso.__file__), aniso.library_path
print("aniso", aniso.__version__, "libaniso", aniso.library_version(), "from", aniso.library_path)
') || fail "import aniso"

echo "== pytest python/tests"
cd "$tmp"
env -u ANISO_LIBRARY PYTHONDONTWRITEBYTECODE=1 "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider \
    "$repo/python/tests" || fail "pytest"
echo "test-python: OK"
