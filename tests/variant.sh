#!/usr/bin/env bash
# Runs a test with one kernel variant forced (ANISO_CPU), or skips it (exit
# 77, with the reason) when this build or machine cannot run that variant.
#   tests/variant.sh VARIANT ANISO_BIN COMMAND [ARGS...]
set -u
v=$1 aniso=$2
shift 2
if ! why=$(ANISO_CPU=$v "$aniso" --version 2>&1 >/dev/null); then
    echo "skipped: kernel variant $v: ${why#aniso: }"
    exit 77
fi
ANISO_CPU=$v exec "$@"
