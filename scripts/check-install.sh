#!/usr/bin/env bash
# Installs a build into a temporary prefix and uses it as a host program
# would: checks the installed tree, builds examples/inspect_model.c through
# pkg-config against libaniso.so and (with --static) libaniso.a, runs both on
# a fixture model and compares them with the installed CLI, and links a host
# program that defines some of the library's internal function names both
# ways (they must neither collide nor be called by the library).
#   scripts/check-install.sh [BUILD_DIR]    (default: build; already built)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
model=tests/fixtures/forward/llama-f32
text="The quick brown fox jumps over the lazy dog."
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aniso-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() {
    echo "check-install: FAIL: $*" >&2
    exit 1
}

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log" >&2
    fail "cmake --install $build"
}

# The tree.
pc=$(find "$prefix" -name aniso.pc)
[ -n "$pc" ] || fail "no aniso.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/aniso share/man/man1/aniso.1 share/doc/aniso/LICENSE; do
    [ -f "$prefix/$f" ] || fail "$f not installed"
done
for f in libaniso.a libaniso.so; do
    [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
soname=$(readelf -d "$libdir/libaniso.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ -z "$soname" ] || [ ! -e "$libdir/$soname" ]; then
    fail "libaniso.so: no SONAME, or $soname not installed"
fi
for h in include/aniso/*.h; do
    cmp -s "$h" "$prefix/$h" || fail "$h not installed"
done

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors aniso || fail "pkg-config cannot use $pc"
version=$("$prefix/bin/aniso" --version | head -1 | awk '{print $2}')
[ "$(pkg-config --modversion aniso)" = "$version" ] || fail "aniso.pc's version is not $version"

# The example, both ways, with warnings as errors.
make -s -C examples OUT="$tmp" CFLAGS="-O2 -Wall -Wextra -Werror" all static ||
    fail "building examples/inspect_model.c through pkg-config"
readelf -d "$tmp/inspect_model" | grep -q "NEEDED.*\[$soname\]" ||
    fail "inspect_model does not link $soname"
LD_LIBRARY_PATH='' ldd "$tmp/inspect_model" | grep -q "$soname => $libdir/" ||
    fail "inspect_model does not load $libdir/$soname"
if readelf -d "$tmp/inspect_model_static" | grep -q 'NEEDED.*libaniso'; then
    fail "inspect_model_static links libaniso.so"
fi
"$tmp/inspect_model" "$model" "$text" >"$tmp/shared.out" || fail "inspect_model $model"
"$tmp/inspect_model_static" "$model" "$text" >"$tmp/static.out" ||
    fail "inspect_model_static $model"
cmp -s "$tmp/shared.out" "$tmp/static.out" || {
    diff "$tmp/shared.out" "$tmp/static.out" >&2 || true
    fail "the shared and static builds disagree"
}

# Against the installed CLI: the same shape, and the same last-layer norm as
# the hidden states `aniso hidden` writes for the same text.
"$prefix/bin/aniso" inspect "$model" >"$tmp/inspect.out" || fail "aniso inspect $model"
for key in "architecture" "layers" "hidden size"; do
    want=$(sed -n "s/^$key  *\([^ ]*\).*/\1/p" "$tmp/inspect.out")
    got=$(sed -n "s/^$key  *\([^ ]*\).*/\1/p" "$tmp/shared.out")
    if [ -z "$want" ] || [ "$want" != "$got" ]; then
        fail "$key: inspect_model says '$got', aniso inspect '$want'"
    fi
done
echo "$text" >"$tmp/prompt.txt"
"$prefix/bin/aniso" hidden --quiet --prompts "$tmp/prompt.txt" --out "$tmp/states.npy" "$model" ||
    fail "aniso hidden $model"
python3 - "$tmp/states.npy" "$tmp/shared.out" <<'EOF' || fail "last-layer norms disagree"
import ast, math, re, struct, sys
raw = open(sys.argv[1], "rb").read()
assert raw[:6] == b"\x93NUMPY", "not a .npy file"
hlen = struct.unpack("<H", raw[8:10])[0] if raw[6] == 1 else struct.unpack("<I", raw[8:12])[0]
start = 10 if raw[6] == 1 else 12
hdr = ast.literal_eval(raw[start:start + hlen].decode("latin1"))
assert hdr["descr"] == "<f4" and not hdr["fortran_order"], hdr
layers, n, d = hdr["shape"]
data = raw[start + hlen:]
off = ((layers - 1) * n + (n - 1)) * d * 4
row = struct.unpack("<%df" % d, data[off:off + d * 4])
want = math.sqrt(sum(float(x) * x for x in row))
got = float(re.search(r"^last-layer norm (\S+)", open(sys.argv[2]).read(), re.M).group(1))
print("last-layer norm: example %.6f, aniso hidden %.6f" % (got, want))
sys.exit(0 if abs(got - want) <= 1e-6 * max(1.0, want) + 5e-7 else 1)
EOF

# A host program with its own linear, rmsnorm, str_dup, to_f32, path_join
# and dequantize: it must link with either library, and the library must
# keep calling its own (these abort).
cat >"$tmp/host.c" <<'EOF'
#include <stdlib.h>
void linear(void);
void rmsnorm(void);
void str_dup(void);
void to_f32(void);
void path_join(void);
void dequantize(void);
void linear(void) { abort(); }
void rmsnorm(void) { abort(); }
void str_dup(void) { abort(); }
void to_f32(void) { abort(); }
void path_join(void) { abort(); }
void dequantize(void) { abort(); }
EOF
cflags=$(pkg-config --cflags aniso)
# shellcheck disable=SC2046
cc -O2 $cflags -o "$tmp/host_shared" examples/inspect_model.c "$tmp/host.c" \
    -Wl,-rpath,"$libdir" $(pkg-config --libs aniso) -lm || fail "host program with libaniso.so"
# shellcheck disable=SC2046
cc -O2 $cflags -o "$tmp/host_static" examples/inspect_model.c "$tmp/host.c" \
    "$libdir/libaniso.a" $(pkg-config --static --libs aniso | sed 's/\(^\| \)-laniso\( \|$\)/ /') -lm ||
    fail "host program with libaniso.a (internal symbols collide)"
for v in shared static; do
    "$tmp/host_$v" "$model" "$text" >"$tmp/host_$v.out" || fail "host program ($v) $model"
    cmp -s "$tmp/host_$v.out" "$tmp/shared.out" || fail "host program ($v): another result"
done

echo "check-install: OK ($prefix: libaniso $version, $soname; example and host program, shared and static)"
