#!/usr/bin/env bash
# test_hostile.sh ANISO FIXTURES - the catalogue of hostile inputs. Every
# case is built here, in code, from the small fixture models, and run in a
# fresh work folder that already holds an earlier result set (out/, from a
# real run). Each case checks:
#   - the exit status (1: error, 2: usage error);
#   - one line on stderr that names the file (or option) and the problem,
#     nothing on stdout;
#   - nothing left behind: no temporary file or private folder anywhere in
#     the work folder, and the earlier result set in out/ byte for byte as it
#     was, with nothing added to it;
#   - no hang: every case runs under a 60 s timeout.
# The classes: option values, special files as inputs, output places,
# config.json, safetensors, GGUF, tokenizer.json, prompts and corpora,
# partial results, reference results, limits, numeric faults.
set -u
aniso=$(realpath "$1")
fx=$(realpath "$2")
model=$fx/forward/gpt2-f32
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check.sh"

# The earlier result set every case starts from.
base=$tmp/base
mkdir -p "$base"
if ! (cd "$base" && "$aniso" profile --quiet --threads 2 --out out "$model" >/dev/null 2>&1); then
    echo "FAIL: the earlier result set could not be made"
    exit 1
fi
(cd "$base/out" && md5sum -- * | sort) >"$tmp/base.md5"
n_cases=0

# hostile NAME WANT_RC STDERR_PATTERN SETUP -- CMD...
# SETUP is shell code run in the fresh work folder first (the hostile
# input); CMD runs there too.
hostile() {
    local name=$1 want=$2 errpat=$3 setup=$4
    shift 5
    n_cases=$((n_cases + 1))
    local w=$tmp/w
    rm -rf "$w"
    cp -a "$base" "$w"
    if ! (cd "$w" && eval "$setup") >/dev/null 2>&1; then
        result "$name" 0 "its setup failed"
        return
    fi
    (cd "$w" && timeout 60 "$@" >"$tmp/out" 2>"$tmp/err")
    local rc=$? ok=1 why=""
    [ "$rc" -eq "$want" ] || ok=0 why="rc=$rc (want $want)"
    [ ! -s "$tmp/out" ] || ok=0 why="$why; stdout not empty"
    if ! grep -qE -- "$errpat" "$tmp/err" || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        ok=0 why="$why; stderr is not one line matching '$errpat'"
    fi
    local left
    left=$(find "$w" \( -name '*.tmp.*' -o -name '.aniso-*' \) -print | head -3)
    [ -z "$left" ] || ok=0 why="$why; left behind: $left"
    if ! (cd "$w/out" && md5sum -- * 2>/dev/null | sort) | cmp -s - "$tmp/base.md5"; then
        ok=0 why="$why; the earlier result set changed"
    fi
    result "$name" $ok "$why"
    [ -z "${HOSTILE_VERBOSE:-}" ] || echo "$name: $(head -1 "$tmp/err")"
    [ $ok -eq 1 ] || sed 's/^/  stderr: /' "$tmp/err" | head -3
}

# A copy of the fixture model in folder m (edited by the case).
M="mkdir m && cp '$model'/config.json '$model'/tokenizer.json '$model'/tokenizer_config.json '$model'/model.safetensors m/"
# python3 -c with the helpers below
PY="python3 -c"
cfg() { # cfg 'PYTHON EXPR ON c' : edit m/config.json
    echo "$M && $PY \"import json; c = json.load(open('m/config.json')); $1; json.dump(c, open('m/config.json', 'w'))\""
}
tok() { # tok 'PYTHON EXPR ON t' : edit m/tokenizer.json
    echo "$M && $PY \"import json; t = json.load(open('m/tokenizer.json')); $1; json.dump(t, open('m/tokenizer.json', 'w'))\""
}
P=(profile --format none --threads 2 --out out)

# ---- Option values (usage errors, exit 2)
hostile opt-threads-exponent 2 "^aniso profile: --threads needs a whole number from 1 to 4096, not '1e3'" '' -- "$aniso" "${P[@]}" --threads 1e3 "$model"
hostile opt-threads-zero 2 "--threads needs a whole number from 1 to 4096, not '0'" '' -- "$aniso" "${P[@]}" --threads 0 "$model"
hostile opt-threads-negative 2 "--threads needs a whole number .* not '-1'" '' -- "$aniso" "${P[@]}" --threads -1 "$model"
hostile opt-threads-blank 2 "--threads needs a whole number .* not ' 2'" '' -- "$aniso" "${P[@]}" --threads ' 2' "$model"
hostile opt-threads-overflow 2 "--threads needs a whole number .* not '99999999999999999999999'" '' -- "$aniso" "${P[@]}" --threads 99999999999999999999999 "$model"
hostile opt-threads-suffix 2 "--threads needs a whole number .* not '2x'" '' -- "$aniso" "${P[@]}" --threads 2x "$model"
hostile opt-hidden-threads 2 "^aniso hidden: --threads needs a whole number" '' -- "$aniso" hidden --threads 1.5 --out h.npy "$model"
hostile opt-context-fraction 2 "--context needs a whole number .* not '1.5'" '' -- "$aniso" "${P[@]}" --corpus x --context 1.5 "$model"
hostile opt-context-zero 2 "--context needs a whole number .* not '0'" '' -- "$aniso" "${P[@]}" --corpus x --context 0 "$model"
hostile opt-max-tokens-word 2 "--max-tokens needs a whole number .* not 'many'" '' -- "$aniso" "${P[@]}" --max-tokens many "$model"
hostile opt-chunk-huge 2 "--chunk-tokens needs a whole number .* not '18446744073709551616'" '' -- "$aniso" "${P[@]}" --chunk-tokens 18446744073709551616 "$model"
hostile opt-checkpoint-every-neg 2 "--checkpoint-every needs a whole number" '' -- "$aniso" "${P[@]}" --checkpoint-every -5 "$model"
hostile opt-shard-equal 2 "--shard takes I/N with 0 <= I < N, not '2/2'" '' -- "$aniso" "${P[@]}" --shard 2/2 "$model"
hostile opt-shard-zero-n 2 "--shard takes I/N .* not '0/0'" '' -- "$aniso" "${P[@]}" --shard 0/0 "$model"
hostile opt-shard-sign 2 "--shard takes I/N .* not '\\+1/2'" '' -- "$aniso" "${P[@]}" --shard +1/2 "$model"
hostile opt-shard-trailing 2 "--shard takes I/N .* not '1/2x'" '' -- "$aniso" "${P[@]}" --shard 1/2x "$model"
hostile opt-positions-reversed 2 "--positions takes A:B with A < B, not '5:2'" '' -- "$aniso" "${P[@]}" --positions 5:2 "$model"
hostile opt-positions-words 2 "--positions takes A:B .* not 'a:b'" '' -- "$aniso" "${P[@]}" --positions a:b "$model"
hostile opt-format-unknown 2 "--format takes png, pdf and svg, comma-separated, not 'gif'" '' -- "$aniso" "${P[@]}" --format gif "$model"
hostile opt-format-twice 2 "--format takes png, pdf and svg, comma-separated, not 'png,png'" '' -- "$aniso" "${P[@]}" --format png,png "$model"
hostile opt-exclude-unknown 2 "--exclude takes bos, first and special" '' -- "$aniso" "${P[@]}" --exclude nope "$model"
hostile opt-last-layer 2 "--last-layer" '' -- "$aniso" "${P[@]}" --last-layer mid "$model"
hostile opt-hf-version 2 "--hf-version must be 4 or 5, not '6'" '' -- "$aniso" "${P[@]}" --hf-version 6 "$model"
hostile opt-unknown 2 "^aniso profile: unknown or incomplete option '--frobnicate'" '' -- "$aniso" "${P[@]}" --frobnicate "$model"
hostile opt-control-chars 2 "not '\\?\\[31mred'" '' -- "$aniso" "${P[@]}" --threads $'\e[31mred' "$model"
hostile opt-layers-range 1 "--layers '0-999' is not a list of layers 0\\.\\.3" '' -- "$aniso" "${P[@]}" --layers 0-999 "$model"
hostile opt-resume-no-checkpoint 2 "--resume needs --checkpoint" '' -- "$aniso" "${P[@]}" --resume "$model"

# ---- Inputs that are not regular files: refused at once, never read
hostile fifo-prompts 1 "^aniso: fifo: is a FIFO \\(named pipe\\), not a regular file$" 'mkfifo fifo' -- "$aniso" "${P[@]}" --prompts fifo "$model"
hostile fifo-corpus 1 "^aniso: fifo: is a FIFO \\(named pipe\\), not a regular file$" 'mkfifo fifo' -- "$aniso" "${P[@]}" --corpus fifo "$model"
hostile fifo-reference 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" "${P[@]}" --reference fifo "$model"
hostile fifo-compare 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" compare --out cmp fifo out/anisotropy_results_gpt2-f32.json
hostile fifo-tokenize-file 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" tokenize --file fifo "$model"
hostile device-tokenize-file 1 "^aniso: /dev/zero: is a character device, not a regular file$" '' -- "$aniso" tokenize --file /dev/zero "$model"
hostile device-prompts 1 "^aniso: /dev/null: is a character device" '' -- "$aniso" "${P[@]}" --prompts /dev/null "$model"
hostile dir-prompts 1 "^aniso: sub: is a folder, not a regular file$" 'mkdir sub' -- "$aniso" "${P[@]}" --prompts sub "$model"
hostile socket-prompts 1 "^aniso: sock: is a socket, not a regular file$" "$PY \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"" -- "$aniso" "${P[@]}" --prompts sock "$model"
hostile fifo-config 1 "m/config.json: is a FIFO" "$M && rm m/config.json && mkfifo m/config.json" -- "$aniso" "${P[@]}" m
hostile fifo-tokenizer 1 "m/tokenizer.json: is a FIFO" "$M && rm m/tokenizer.json && mkfifo m/tokenizer.json" -- "$aniso" "${P[@]}" m
hostile fifo-tokenizer-config 1 "m/tokenizer_config.json: is a FIFO" "$M && rm m/tokenizer_config.json && mkfifo m/tokenizer_config.json" -- "$aniso" "${P[@]}" m
hostile fifo-weights 1 "^aniso: m/model.safetensors: is a FIFO \\(named pipe\\), not a regular file$" "$M && rm m/model.safetensors && mkfifo m/model.safetensors" -- "$aniso" "${P[@]}" m
hostile dir-weights 1 "^aniso: m/model.safetensors: is a folder, not a regular file$" "$M && rm m/model.safetensors && mkdir m/model.safetensors" -- "$aniso" "${P[@]}" m
hostile fifo-shard 1 "m/model-00001-of-00001.safetensors: is a FIFO" "$M && rm m/model.safetensors && mkfifo m/model-00001-of-00001.safetensors && echo '{\"weight_map\":{\"wte.weight\":\"model-00001-of-00001.safetensors\"}}' >m/model.safetensors.index.json" -- "$aniso" "${P[@]}" m
hostile fifo-model 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" "${P[@]}" fifo
hostile fifo-resume 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" "${P[@]}" --checkpoint fifo --resume "$model"
hostile fifo-merge 1 "^aniso: fifo: is a FIFO" 'mkfifo fifo' -- "$aniso" merge --out out fifo

# ---- Output places: never replaced when they are not regular files
hostile out-is-file 1 "^aniso: notdir: is a file; --out names the folder to write into$" 'touch notdir' -- "$aniso" profile --format none --out notdir "$model"
hostile out-under-file 1 "notdir/sub/anisotropy_results_gpt2-f32.json: cannot be written: a part of its path is a file" 'touch notdir' -- "$aniso" profile --format none --out notdir/sub "$model"
hostile out-json-fifo 1 "out2/anisotropy_results_gpt2-f32.json: exists and is a FIFO \\(named pipe\\); aniso replaces only regular files" 'mkdir out2 && mkfifo out2/anisotropy_results_gpt2-f32.json' -- "$aniso" profile --format none --out out2 "$model"
hostile out-json-symlink 1 "anisotropy_results_gpt2-f32.json: exists and is a symbolic link" 'mkdir out2 && ln -s ../victim out2/anisotropy_results_gpt2-f32.json && echo keep >victim' -- "$aniso" profile --format none --out out2 "$model"
hostile out-png-dir 1 "out2/norm_analysis_gpt2-f32.png: exists and is a folder" 'mkdir -p out2/norm_analysis_gpt2-f32.png' -- "$aniso" profile --out out2 "$model"
hostile out-json-foreign 1 "out2/anisotropy_results_gpt2-f32.json: exists and is not an aniso result; it is left as it is" 'mkdir out2 && echo "my notes" >out2/anisotropy_results_gpt2-f32.json' -- "$aniso" profile --format none --out out2 "$model"
hostile out-collision 1 "out/anisotropy_results_gpt2-f32.json: holds the results of '.*gpt2-f32', not of 'other/gpt2-f32'" "mkdir other && cp -r '$model' other/gpt2-f32" -- "$aniso" profile --out out other/gpt2-f32
hostile out-hidden-fifo 1 "h.npy: is a FIFO; --out names the file to write" 'mkfifo h.npy' -- "$aniso" hidden --out h.npy "$model"
hostile out-hidden-dir 1 "h.npy: is a folder; --out names the file to write" 'mkdir h.npy' -- "$aniso" hidden --out h.npy "$model"
hostile out-hidden-tokens-dir 1 "h.tokens.json: exists and is a folder" 'mkdir h.tokens.json' -- "$aniso" hidden --out h.npy "$model"
hostile out-compare-fifo 1 "cmp/comparison.json: exists and is a FIFO" 'mkdir cmp && mkfifo cmp/comparison.json' -- "$aniso" compare --out cmp out/anisotropy_results_gpt2-f32.json
hostile out-checkpoint-dir 1 "ck: " 'mkdir ck' -- "$aniso" "${P[@]}" --checkpoint ck "$model"

# ---- config.json
hostile config-not-json 1 "m/config.json: not valid JSON" "$M && echo '{\"model_type\": ' >m/config.json" -- "$aniso" "${P[@]}" m
hostile config-empty 1 "m/config.json: not valid JSON" "$M && : >m/config.json" -- "$aniso" "${P[@]}" m
hostile config-array 1 "m/config.json: " "$M && echo '[1, 2]' >m/config.json" -- "$aniso" "${P[@]}" m
hostile config-unknown-key 1 "m/config.json: unknown key 'num_experts'" "$(cfg "c['num_experts'] = 8")" -- "$aniso" "${P[@]}" m
hostile config-unknown-type 1 "m/config.json: .*model_type" "$(cfg "c['model_type'] = 'mamba'")" -- "$aniso" "${P[@]}" m
hostile config-width-negative 1 "m/config.json: .*n_embd" "$(cfg "c['n_embd'] = -64")" -- "$aniso" "${P[@]}" m
hostile config-width-huge 1 "m/config.json: .*n_embd" "$(cfg "c['n_embd'] = 1e30")" -- "$aniso" "${P[@]}" m
hostile config-width-fraction 1 "m/config.json: .*n_embd" "$(cfg "c['n_embd'] = 64.5")" -- "$aniso" "${P[@]}" m
hostile config-layers-zero 1 "m/config.json: .*n_layer" "$(cfg "c['n_layer'] = 0")" -- "$aniso" "${P[@]}" m
hostile config-heads-indivisible 1 "m/config.json: .*n_head" "$(cfg "c['n_head'] = 5")" -- "$aniso" "${P[@]}" m
hostile config-eps-string 1 "m/config.json: .*layer_norm_epsilon" "$(cfg "c['layer_norm_epsilon'] = 'tiny'")" -- "$aniso" "${P[@]}" m
hostile config-positions-huge 1 "m/config.json: .*n_positions" "$(cfg "c['n_positions'] = 1e20")" -- "$aniso" "${P[@]}" m
hostile config-vocab-mismatch 1 "m/model.safetensors: .*wte.weight" "$(cfg "c['vocab_size'] = 701")" -- "$aniso" "${P[@]}" m
hostile config-activation 1 "m/config.json: .*activation_function" "$(cfg "c['activation_function'] = 'swish7'")" -- "$aniso" "${P[@]}" m

# ---- safetensors
ST="$M && $PY \"import json, struct; b = open('m/model.safetensors', 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); d = b[8 + n:]"
STW="; hb = json.dumps(h).encode(); open('m/model.safetensors', 'wb').write(struct.pack('<Q', len(hb)) + hb + d)\""
hostile st-truncated-header 1 "m/model.safetensors: " "$M && head -c 100 '$model/model.safetensors' >m/model.safetensors" -- "$aniso" "${P[@]}" m
hostile st-header-huge 1 "m/model.safetensors: " "$M && $PY \"import struct; b = bytearray(open('m/model.safetensors', 'rb').read()); b[:8] = struct.pack('<Q', 2**62); open('m/model.safetensors', 'wb').write(b)\"" -- "$aniso" "${P[@]}" m
hostile st-header-not-json 1 "m/model.safetensors: " "$M && $PY \"import struct; b = bytearray(open('m/model.safetensors', 'rb').read()); b[8] = 0x5b; b[9] = 0x5b; open('m/model.safetensors', 'wb').write(b)\"" -- "$aniso" "${P[@]}" m
hostile st-offsets-past-end 1 "m/model.safetensors: .*wte.weight" "$ST; h['transformer.wte.weight']['data_offsets'][1] += 10**9$STW" -- "$aniso" "${P[@]}" m
hostile st-dtype-unknown 1 "m/model.safetensors: .*wte.weight" "$ST; h['transformer.wte.weight']['dtype'] = 'F7'$STW" -- "$aniso" "${P[@]}" m
hostile st-shape-mismatch 1 "m/model.safetensors: .*wte.weight" "$ST; h['transformer.wte.weight']['shape'] = [7, 3]$STW" -- "$aniso" "${P[@]}" m
hostile st-missing-tensor 1 "m/model.safetensors: .*wte.weight" "$ST; h['transformer.wte.bias'] = h.pop('transformer.wte.weight')$STW" -- "$aniso" "${P[@]}" m
hostile st-nan-weight 1 "m/model.safetensors: tensor 'transformer.h.0.mlp.c_fc.weight' holds a non-finite value \\(NaN\\)" "$ST; o = h['transformer.h.0.mlp.c_fc.weight']['data_offsets'][0]; d = d[:o + 8] + struct.pack('<f', float('nan')) + d[o + 12:]$STW" -- "$aniso" "${P[@]}" m
hostile st-inf-weight 1 "m/model.safetensors: tensor 'transformer.ln_f.weight' holds a non-finite value \\(Inf\\)" "$ST; o = h['transformer.ln_f.weight']['data_offsets'][0]; d = d[:o] + struct.pack('<f', float('inf')) + d[o + 4:]$STW" -- "$aniso" "${P[@]}" m
hostile hidden-nan-weight 1 "tensor 'transformer.h.0.mlp.c_fc.weight' holds a non-finite value" "$ST; o = h['transformer.h.0.mlp.c_fc.weight']['data_offsets'][0]; d = d[:o + 8] + struct.pack('<f', float('nan')) + d[o + 12:]$STW" -- "$aniso" hidden --out h.npy m
hostile hidden-overflow 1 "the hidden states of layer [0-9]+ are not finite" "$ST; import array; a = array.array('f'); o0, o1 = h['transformer.h.0.mlp.c_proj.weight']['data_offsets']; a.frombytes(d[o0:o1]); a = array.array('f', [3e38] * len(a)); d = d[:o0] + a.tobytes() + d[o1:]$STW" -- "$aniso" hidden --out h.npy m

# ---- GGUF
G=$fx/gguf/qwen3-bf16.gguf
GP="cp '$G' g.gguf && $PY \"import struct; b = bytearray(open('g.gguf', 'rb').read())"
GW="; open('g.gguf', 'wb').write(b)\""
hostile gguf-truncated 1 "g.gguf: " "head -c 64 '$G' >g.gguf" -- "$aniso" "${P[@]}" g.gguf
hostile gguf-version 1 "g.gguf: .*version" "$GP; b[4:8] = struct.pack('<I', 99)$GW" -- "$aniso" "${P[@]}" g.gguf
hostile gguf-tensor-count-huge 1 "g.gguf: " "$GP; b[8:16] = struct.pack('<Q', 2**60)$GW" -- "$aniso" "${P[@]}" g.gguf
hostile gguf-kv-count-huge 1 "g.gguf: " "$GP; b[16:24] = struct.pack('<Q', 2**60)$GW" -- "$aniso" "${P[@]}" g.gguf
hostile gguf-body-cut 1 "g.gguf: " "head -c 300000 '$G' >g.gguf" -- "$aniso" "${P[@]}" g.gguf
hostile gguf-not-gguf 1 "notgguf.bin: not a GGUF file" "echo 'plain text' >notgguf.bin" -- "$aniso" "${P[@]}" notgguf.bin

# ---- tokenizer.json
hostile tok-not-json 1 "m/tokenizer.json: not valid JSON" "$M && echo '{\"model\":' >m/tokenizer.json" -- "$aniso" "${P[@]}" m
hostile tok-model-type 1 "m/tokenizer.json: .*Unigram" "$(tok "t['model']['type'] = 'Unigram'")" -- "$aniso" "${P[@]}" m
hostile tok-split-backslash-c 1 "m/tokenizer.json: .*using \\\\C is disabled" "$(tok "t['pre_tokenizer'] = {'type': 'Split', 'pattern': {'Regex': '\\\\C'}, 'behavior': 'Isolated', 'invert': False}")" -- "$aniso" "${P[@]}" m
hostile tok-bad-regex 1 "m/tokenizer.json: .*invalid regex" "$(tok "t['pre_tokenizer'] = {'type': 'Split', 'pattern': {'Regex': '(unclosed'}, 'behavior': 'Isolated', 'invert': False}")" -- "$aniso" "${P[@]}" m
hostile tok-normalizer-growth 1 "m/tokenizer.json: the normalizer grows a text of [0-9]+ bytes without bound" "$(tok "t['normalizer'] = {'type': 'Sequence', 'normalizers': [{'type': 'Replace', 'pattern': {'String': 'e'}, 'content': 'eeee'}] * 30}")" -- "$aniso" "${P[@]}" m
hostile tok-pretokenizer-growth 1 "m/tokenizer.json: the pre-tokenizer grows a text of [0-9]+ bytes without bound" "$(tok "t['pre_tokenizer'] = {'type': 'Sequence', 'pretokenizers': [{'type': 'ByteLevel', 'add_prefix_space': False, 'use_regex': False}] * 40}")" -- "$aniso" "${P[@]}" m
hostile tok-merge-unknown 1 "m/tokenizer.json: .*merge" "$(tok "t['model']['merges'] = ['zzzq qqqz'] + t['model']['merges']")" -- "$aniso" "${P[@]}" m
hostile tok-added-id 1 "m/tokenizer.json: .*added token" "$(tok "t['added_tokens'] = [{'id': 5, 'content': '<x>', 'special': True}]")" -- "$aniso" "${P[@]}" m
hostile tok-id-beyond-vocab 1 "vocab" "$(tok "t['model']['vocab']['zzz'] = 100000")" -- "$aniso" "${P[@]}" m

# ---- prompts and corpora
hostile prompts-not-utf8 1 "p.txt: .*UTF-8" "printf 'good\\n\\xff\\xfe bad\\n' >p.txt" -- "$aniso" "${P[@]}" --prompts p.txt "$model"
hostile prompts-empty 1 "p.txt: .*no prompts" ': >p.txt' -- "$aniso" "${P[@]}" --prompts p.txt "$model"
hostile prompts-jsonl-no-text 1 "p.jsonl: .*text" "echo '{\"prompt\": \"x\"}' >p.jsonl" -- "$aniso" "${P[@]}" --prompts p.jsonl "$model"
hostile prompts-too-long 1 "prompt 0 has [0-9]+ tokens, more than the 256 positions of .*gpt2-f32" "$PY \"open('p.txt', 'w').write(' '.join(['word'] * 600) + '\\n')\"" -- "$aniso" "${P[@]}" --prompts p.txt "$model"
hostile context-past-positions 1 "--context 4096 .* 256" "echo 'some text' >c.txt" -- "$aniso" "${P[@]}" --corpus c.txt --context 4096 "$model"
hostile corpus-not-utf8 1 "c.txt: .*UTF-8" "printf 'text\\n\\n\\xc3\\x28 bad\\n' >c.txt" -- "$aniso" "${P[@]}" --corpus c.txt "$model"
hostile corpus-jsonl-bad 1 "c.jsonl: " "echo '{\"text\": ' >c.jsonl" -- "$aniso" "${P[@]}" --corpus c.jsonl "$model"

# ---- partial results
hostile resume-garbage 1 "ck.bin: " "echo garbage >ck.bin" -- "$aniso" "${P[@]}" --checkpoint ck.bin --resume "$model"
hostile merge-garbage 1 "ck.bin: " "echo garbage >ck.bin" -- "$aniso" merge --out out ck.bin
hostile merge-truncated 1 "ck.bin: " "'$aniso' profile --format none --threads 2 --out o2 --checkpoint full.bin '$model' && head -c 200 full.bin >ck.bin && rm -rf o2" -- "$aniso" merge --out out ck.bin

# ---- reference results
hostile ref-flat 1 "r.json: its profile range is 0 \\(a flat profile\\)" "echo '{\"model\": \"x\", \"intrinsic_dim_ratio\": [0.1, 0.1, 0.1]}' >r.json" -- "$aniso" "${P[@]}" --reference r.json "$model"
hostile ref-huge-value 1 "r.json: intrinsic_dim_ratio\\[0\\] is 1e\\+308; expected a number from 0 to 1" "echo '{\"model\": \"x\", \"intrinsic_dim_ratio\": [1e308, 0.2]}' >r.json" -- "$aniso" "${P[@]}" --reference r.json "$model"
hostile ref-lstar-huge 1 "r.json: 'L_star_anisotropy' is 1[.0-9]*e\\+300; expected a whole number" "echo '{\"model\": \"x\", \"intrinsic_dim_ratio\": [0.1, 0.2], \"L_star_anisotropy\": 1e300}' >r.json" -- "$aniso" "${P[@]}" --reference r.json "$model"
hostile ref-not-object 1 "r.json: expected a JSON object \\(an anisotropy result\\)" "echo '[1, 2]' >r.json" -- "$aniso" "${P[@]}" --reference r.json "$model"
hostile ref-not-result 1 "r.json: no 'intrinsic_dim_ratio' list of numbers" "echo '{\"a\": 1}' >r.json" -- "$aniso" "${P[@]}" --reference r.json "$model"
hostile compare-positions-huge 1 "r.json: token_selection.positions\\[0\\] is 1e\\+30" "echo '{\"model\": \"x\", \"intrinsic_dim_ratio\": [0.1, 0.2], \"token_selection\": {\"positions\": [1e30, 2]}}' >r.json" -- "$aniso" compare --out cmp r.json out/anisotropy_results_gpt2-f32.json

# ---- limits
hostile memory-limit 1 "profile needs about .* is the limit \\(--max-memory" '' -- "$aniso" "${P[@]}" --max-memory 1K "$model"
hostile memory-limit-syntax 2 "--max-memory needs a size in bytes" '' -- "$aniso" "${P[@]}" --max-memory 1.5G "$model"

echo "hostile: $n_cases cases, $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$n_cases" -ge 80 ]
