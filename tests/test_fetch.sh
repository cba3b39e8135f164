#!/usr/bin/env bash
# test_fetch.sh ANISO FIXTURES - `aniso fetch` and --download against a
# stand-in Hub on 127.0.0.1 (tests/hub_server.py, started here on a free
# port and stopped at the end): the cache tree huggingface_hub would make
# (blobs by git id or sha256, relative snapshot links, refs), redirects to a
# CDN and of a renamed repository, a gated model and its token, a transfer
# cut off and resumed with an HTTP range, a wrong checksum refused, GGUF
# repositories, HF_HUB_OFFLINE; then aniso inspect and profile on the ids,
# and, when a Python with huggingface_hub and transformers is found,
# snapshot_download(local_files_only=True), AutoConfig and AutoTokenizer
# loading from the same cache with HF_HUB_OFFLINE=1.
#   Python: $ANISO_HUB_PYTHON, else ~/.cache/aniso/oracle-venv/bin/python,
#   else ~/.cache/aniso/hub-venv/bin/python (scripts/make-hub-venv.sh).
set -u
aniso=$1
fx=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
source "$here/check.sh"
# truth NAME DETAIL -- CMD...: passes when CMD succeeds
truth() {
    local name=$1 detail=$2
    shift 3
    if "$@"; then result "$name" 1 ""; else result "$name" 0 "$detail"; fi
}

python3 "$here/hub_server.py" --fixtures "$fx" --port-file "$tmp/port" --log "$tmp/log" &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
if [ ! -s "$tmp/port" ]; then
    echo "FAIL: tests/hub_server.py did not start"
    exit 1
fi
port=$(cat "$tmp/port")
hub=http://127.0.0.1:$port
ctl() { curl -fsS "$hub/_ctl/$1" >/dev/null || python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1]).read()" "$hub/_ctl/$1"; }
sha1() { printf '%s' "$1" | sha1sum | cut -d' ' -f1; }

# A clean environment: this cache, this Hub, no token, online.
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HF_HUB_OFFLINE TRANSFORMERS_OFFLINE \
    HUGGINGFACE_HUB_CACHE XDG_CACHE_HOME
export HF_ENDPOINT=$hub HF_HOME=$tmp/hfhome HF_HUB_CACHE=$tmp/hub
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost # never through a proxy
mkdir -p "$HF_HOME"

id=aniso-test/llama-f32
repo=$HF_HUB_CACHE/models--aniso-test--llama-f32
commit=$(sha1 $id)
snap=$repo/snapshots/$commit

check fetch-help 0 '^usage: aniso fetch' '' -- "$aniso" fetch --help
check fetch-no-id 2 '' '^aniso fetch: missing ORG/NAME' -- "$aniso" fetch
check fetch-bad-id 2 '' "^aniso fetch: 'a/b/c' is not a Hub model id ORG/NAME" -- "$aniso" fetch a/b/c
check fetch-bad-file 2 '' "^aniso fetch: --file names a .gguf file" -- "$aniso" fetch --file x.bin $id

# The model, from scratch: 4 files, LFS ones by way of the CDN redirect.
check fetch 0 "^$id at main \\($commit\\): 4 files, 4 downloaded" '' -- "$aniso" fetch $id
cp "$tmp/out" "$tmp/fetched"
check fetch-path 0 "^  $snap\$" '' -- cat "$tmp/fetched"
( cd "$repo" && find . | sort ) >"$tmp/tree"
llama=$fx/forward/llama-f32
want_tree=$(
    cd "$tmp" && {
        echo .; echo ./blobs; echo ./refs; echo ./refs/main; echo ./snapshots; echo "./snapshots/$commit"
        for f in config.json tokenizer_config.json; do
            echo "./blobs/$(python3 -c 'import hashlib,sys; d=open(sys.argv[1],"rb").read(); print(hashlib.sha1(b"blob %d\0" % len(d) + d).hexdigest())' "$llama/$f")"
        done
        for f in tokenizer.json model.safetensors; do echo "./blobs/$(sha256sum "$llama/$f" | cut -d' ' -f1)"; done
        for f in config.json tokenizer.json tokenizer_config.json model.safetensors; do echo "./snapshots/$commit/$f"; done
    } | sort
)
truth cache-tree "the tree is $(tr '\n' ' ' <"$tmp/tree")" -- [ "$(cat "$tmp/tree")" = "$want_tree" ]
links_ok=1
for f in config.json tokenizer.json tokenizer_config.json model.safetensors; do
    t=$(readlink "$snap/$f")
    [[ $t =~ ^\.\./\.\./blobs/([0-9a-f]{40}|[0-9a-f]{64})$ ]] || links_ok=0
    cmp -s "$snap/$f" "$llama/$f" || links_ok=0
done
truth relative-links "links or contents wrong" -- [ $links_ok -eq 1 ]
truth lfs-blob-by-sha256 "" -- [ -f "$repo/blobs/$(sha256sum "$llama/model.safetensors" | cut -d' ' -f1)" ]
truth refs-main "refs/main is '$(cat "$repo/refs/main" 2>/dev/null)'" -- \
    [ "$(cat "$repo/refs/main")" = "$commit" -a "$(wc -c <"$repo/refs/main")" -eq 40 ]
truth cdn-redirect "no GET of the CDN URL after the 302" -- \
    grep -q "^GET /cdn/$(sha256sum "$llama/model.safetensors" | cut -d' ' -f1)/model.safetensors range=- auth=no" "$tmp/log"
truth head-first "no HEAD of the resolve URL" -- \
    grep -q "^HEAD /$id/resolve/$commit/model.safetensors " "$tmp/log"

# Again: nothing transferred (only the API asked).
: >"$tmp/log"
check refetch 0 "^$id at main \\($commit\\): 4 files, 0 downloaded" '' -- "$aniso" fetch $id
truth refetch-api-only "$(cat "$tmp/log")" -- [ "$(grep -vc '^GET /api/' "$tmp/log")" -eq 0 ]
check fetch-quiet 0 "^$snap\$" '' -- "$aniso" fetch --quiet $id
check fetch-tag 0 "^$id at v1.0 \\($commit\\): 4 files, 0 downloaded" '' -- "$aniso" fetch --revision v1.0 $id
truth refs-tag "" -- [ "$(cat "$repo/refs/v1.0")" = "$commit" ]

# aniso reads the cache it filled.
check inspect-id 0 "^model +$snap\$" '' -- "$aniso" inspect $id
check inspect-id-params 0 '^layers +3$' '' -- "$aniso" inspect $id
check tokenize-id 0 '"ids"' '' -- "$aniso" tokenize --json --text "Hello world" $id
check profile-id 0 'anisotropy_results_llama-f32\.json$' '' -- \
    "$aniso" profile --quiet --threads 2 --out "$tmp/results" $id

# Not on the Hub.
check no-model 1 '' "^aniso: aniso-test/nothere: no such model on the Hub \\($hub\\)" -- \
    "$aniso" fetch aniso-test/nothere
check no-revision 1 '' "^aniso: $id: no revision 'v9' on the Hub" -- "$aniso" fetch --revision v9 $id

# A gated model: refused without a token, and with a wrong one; fetched with
# the token file that 'hf auth login' writes. Nothing in the snapshot before.
gid=aniso-test/llama-gated
grepo=$HF_HUB_CACHE/models--aniso-test--llama-gated
check gated-no-token 1 '' "^aniso: $gid is gated \\(HTTP 401\\): accept its terms at $hub/$gid, then set HF_TOKEN" -- \
    "$aniso" fetch $gid
truth gated-no-snapshot "$(find "$grepo" 2>/dev/null | tr '\n' ' ')" -- \
    [ ! -e "$grepo/snapshots" -a ! -e "$grepo/refs" ]
check gated-wrong-token 1 '' "^aniso: $gid is gated and the Hub refused the token \\(HTTP 403\\): accept the model's terms at $hub/$gid" -- \
    env HF_TOKEN=hf_wrong "$aniso" fetch $gid
printf 'hf_aniso_test_token\n' >"$HF_HOME/token"
check gated-token-file 0 "^$gid at main .*: 4 files, 4 downloaded" '' -- "$aniso" fetch $gid
rm "$HF_HOME/token"
check gated-hf-token 0 "^$gid at main .*: 4 files, 0 downloaded" '' -- \
    env HF_TOKEN=hf_aniso_test_token "$aniso" fetch $gid

# A transfer cut off once: resumed in the same run with a range.
export HF_HUB_CACHE=$tmp/hub2
half=$(($(stat -c %s "$llama/model.safetensors") / 2))
: >"$tmp/log"
ctl truncate/model.safetensors/1
check truncated-once 0 "^$id at main .*: 4 files, 4 downloaded" '' -- "$aniso" fetch $id
truth resumed-with-range "$(grep cdn "$tmp/log")" -- \
    grep -q "^GET /cdn/.*/model.safetensors range=bytes=$half- " "$tmp/log"
truth resumed-bytes "" -- cmp -s "$HF_HUB_CACHE/models--aniso-test--llama-f32/snapshots/$commit/model.safetensors" "$llama/model.safetensors"

# Cut off on every attempt: the run fails, leaving the .incomplete blob and
# no snapshot; the next run resumes from it.
export HF_HUB_CACHE=$tmp/hub3
r3=$HF_HUB_CACHE/models--aniso-test--llama-f32
ctl truncate/model.safetensors/4
check truncated-fails 1 '' "^aniso: $id: model.safetensors: .* \\(4 attempts\\); run it again to resume" -- \
    "$aniso" fetch $id
inc=$(ls "$r3"/blobs/*.incomplete 2>/dev/null | head -1)
have=$( [ -n "$inc" ] && stat -c %s "$inc" || echo 0)
truth incomplete-kept "no .incomplete blob" -- [ -n "$inc" -a "$have" -gt 0 ]
truth no-partial-snapshot "$(find "$r3" | tr '\n' ' ')" -- [ ! -e "$r3/snapshots" -a ! -e "$r3/refs" ]
: >"$tmp/log"
ctl truncate/model.safetensors/0
check resume-next-run 0 "^$id at main .*: 4 files, 1 downloaded" '' -- "$aniso" fetch $id
truth resumed-from-incomplete "$(grep cdn "$tmp/log")" -- \
    grep -q "^GET /cdn/.*/model.safetensors range=bytes=$have- " "$tmp/log"
truth resumed-file-equal "" -- cmp -s "$r3/snapshots/$commit/model.safetensors" "$llama/model.safetensors"
truth no-incomplete-left "" -- [ -z "$(ls "$r3"/blobs/*.incomplete 2>/dev/null)" ]

# A wrong checksum: refused, nothing in the snapshot, nothing in blobs/ under that sha256.
bid=aniso-test/llama-badsum
brepo=$HF_HUB_CACHE/models--aniso-test--llama-badsum
sum=$(sha256sum "$llama/model.safetensors" | cut -d' ' -f1)
check bad-checksum 1 '' "^aniso: $bid: model.safetensors: checksum mismatch: the downloaded bytes' sha256 is [0-9a-f]{64}, the Hub's is $sum" -- \
    "$aniso" fetch $bid
truth bad-checksum-nothing "$(find "$brepo" | tr '\n' ' ')" -- \
    [ ! -e "$brepo/snapshots" -a ! -e "$brepo/refs" -a ! -e "$brepo/blobs/$sum" -a ! -e "$brepo/blobs/$sum.incomplete" ]

# Sharded weights: the index and the shards it names.
sid=aniso-test/llama-sharded
check sharded 0 "^$sid at main .*: 9 files, 9 downloaded" '' -- "$aniso" fetch $sid
check sharded-inspect 0 '^weight tensors +21 in 7 files$' '' -- "$aniso" inspect $sid
truth sharded-no-extra "" -- [ ! -e "$HF_HUB_CACHE/models--aniso-test--llama-sharded/snapshots/$(sha1 $sid)/generation_config.json" ]

# GGUF repositories: one file, chosen when there are several.
mid=aniso-test/gguf-multi
check gguf-several 1 '' "^aniso: $mid has 2 GGUF files; choose one with --file NAME.gguf: llama-f32.gguf, qwen2-f32.gguf$" -- \
    "$aniso" fetch $mid
check gguf-no-such-file 1 '' "^aniso: $mid: no file 'x.gguf' at revision 'main'; its GGUF files: llama-f32.gguf, qwen2-f32.gguf" -- \
    "$aniso" fetch --file x.gguf $mid
check gguf-file 0 "^  $HF_HUB_CACHE/models--aniso-test--gguf-multi/snapshots/$(sha1 $mid)/llama-f32.gguf\$" '' -- \
    "$aniso" fetch --file llama-f32.gguf $mid
check gguf-inspect 0 '^GGUF version +3' '' -- "$aniso" inspect $mid

# --download: fetched when missing (a GGUF repository; a renamed one, by
# relative redirects), not without it; the profile from the id.
export HF_HUB_CACHE=$tmp/hub4
check no-download 1 '' "^aniso: aniso-test/gguf-one: no such folder, and not in the Hugging Face cache" -- \
    "$aniso" inspect aniso-test/gguf-one
check download-gguf 0 '^GGUF version +3' '' -- "$aniso" inspect --download aniso-test/gguf-one
: >"$tmp/log"
check download-renamed 0 'anisotropy_results_llama-renamed\.json$' '' -- \
    "$aniso" profile --download --quiet --threads 2 --out "$tmp/results" aniso-test/llama-renamed
truth renamed-relative-redirect "" -- grep -q "^HEAD /aniso-test/llama-f32/resolve/$commit/config.json " "$tmp/log"
: >"$tmp/log"
check download-cached 0 '^layers +3$' '' -- "$aniso" inspect --download aniso-test/llama-renamed
truth download-cached-no-network "$(cat "$tmp/log")" -- [ ! -s "$tmp/log" ]
check download-tokenize 0 '"ids"' '' -- env HF_HUB_CACHE="$tmp/hub5" \
    "$aniso" tokenize --download --json --text "Hello world" $id
check download-hidden 0 'hidden\.npy' '' -- env HF_HUB_CACHE="$tmp/hub6" \
    "$aniso" hidden --download --quiet --threads 2 --out "$tmp/hidden.npy" $id
: >"$tmp/log"

# HF_HUB_OFFLINE: fetch refuses, --download does nothing.
check offline-fetch 1 '' "^aniso: $id: not fetched: HF_HUB_OFFLINE is set" -- env HF_HUB_OFFLINE=1 "$aniso" fetch $id
check offline-download 1 '' "^aniso: $id: no such folder, and not in the Hugging Face cache" -- \
    env HF_HUB_OFFLINE=1 "$aniso" inspect --download $id
truth offline-no-network "$(cat "$tmp/log")" -- [ ! -s "$tmp/log" ]

# huggingface_hub and transformers read the cache aniso wrote.
export HF_HUB_CACHE=$tmp/hub
py=${ANISO_HUB_PYTHON:-}
for p in "$py" "$HOME/.cache/aniso/oracle-venv/bin/python" "$HOME/.cache/aniso/hub-venv/bin/python"; do
    [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import huggingface_hub, transformers' 2>/dev/null && { py=$p; break; }
    py=
done
if [ -z "$py" ]; then
    echo "SKIP transformers check: no Python with huggingface_hub and transformers (set ANISO_HUB_PYTHON, or run scripts/make-hub-venv.sh)"
else
    "$aniso" tokenize --json --text "Hello world" $id >"$tmp/aniso-ids.json"
    # (transformers without torch warns so on stderr: advice, not an error)
    check transformers-loads 0 '^ok ' '' -- env HF_HUB_OFFLINE=1 TRANSFORMERS_NO_ADVISORY_WARNINGS=1 \
        TRANSFORMERS_VERBOSITY=error "$py" -c '
import json, sys
from huggingface_hub import snapshot_download
from transformers import AutoConfig, AutoTokenizer
mid, snap, ids_file = sys.argv[1:4]
got = snapshot_download(mid, local_files_only=True)
assert got == snap, (got, snap)
cfg = AutoConfig.from_pretrained(mid)
tok = AutoTokenizer.from_pretrained(mid)
ids = tok("Hello world").input_ids
want = json.load(open(ids_file))["ids"]
assert ids == want, (ids, want)
print("ok", cfg.model_type, type(tok).__name__, ids)
' $id "$snap" "$tmp/aniso-ids.json"
    echo "transformers check with $py: $(cat "$tmp/out" 2>/dev/null)"
fi

echo "test_fetch: $pass passed, $fail failed"
[ $fail -eq 0 ]
