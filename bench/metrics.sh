#!/usr/bin/env bash
# Metrics benchmark: every layer's metrics of a gemma-2b-shaped hidden-state
# array (19 layers x 200 tokens x 2048 dims), libaniso against the notebook's
# own numpy code, side by side in one run; prints both times and the ratio.
# (numpy runs with its own OpenBLAS at full speed: the OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE workarounds of some machines are unset for it.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(tools/oracle/venv.sh)
cmake --build build --target bench_metrics >/dev/null
data=bench/data/states-gemma-2b-shape.npy
[ -f "$data" ] || { mkdir -p bench/data && "$PY" bench/metrics_numpy.py --make "$data"; }
field() { tr " " "\n" | sed -n "s/^$1=//p"; }
a=$(build/bench/bench_metrics "$data" 5)
p=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" bench/metrics_numpy.py "$data" 3)
echo "aniso:    $a"
echo "notebook: $p"
awk -v a="$(echo "$a" | field seconds)" -v p="$(echo "$p" | field seconds)" \
    'BEGIN { printf "speed ratio (notebook time / aniso time): %.1fx\n", p / a }'
