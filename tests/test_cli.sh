#!/usr/bin/env bash
# test_cli.sh ANISO FIXTURES TOKENIZERS - the command-line contract: help and version,
# exit codes (0 ok, 1 error, 2 usage), one-line errors on stderr with nothing
# on stdout, and the Hugging Face cache rules read from the environment.
set -u
aniso=$1
fx=$2
tokdir=$3 # the unpacked NAME.tokenizer.json files
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# check NAME WANT_RC STDOUT_PATTERN STDERR_PATTERN -- CMD...
# Patterns are grep -E regexes; "" means "must be empty".
check() {
    local name=$1 want=$2 outpat=$3 errpat=$4
    shift 5
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$? ok=1
    [ "$rc" -eq "$want" ] || ok=0
    if [ -z "$outpat" ]; then [ ! -s "$tmp/out" ] || ok=0
    else grep -qE -- "$outpat" "$tmp/out" || ok=0; fi
    if [ -z "$errpat" ]; then [ ! -s "$tmp/err" ] || ok=0
    else
        grep -qE -- "$errpat" "$tmp/err" || ok=0
        [ "$(wc -l <"$tmp/err")" -eq 1 ] || ok=0
    fi
    if [ $ok -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: rc=$rc (want $want)"
        sed 's/^/  stdout: /' "$tmp/out" | head -5
        sed 's/^/  stderr: /' "$tmp/err" | head -5
    fi
}

check help 0 '^usage: aniso' '' -- "$aniso" --help
check version 0 '^aniso [0-9]+\.[0-9]+\.[0-9]+$' '' -- "$aniso" --version
check inspect-help 0 '^usage: aniso inspect' '' -- "$aniso" inspect --help
check no-args 2 '' "^aniso: missing COMMAND \\(see 'aniso --help'\\)$" -- "$aniso"
check unknown-command 2 '' "^aniso: unknown command 'frobnicate'" -- "$aniso" frobnicate
check unknown-option 2 '' "^aniso: unknown option '--frob'" -- "$aniso" --frob
check inspect-no-model 2 '' '^aniso inspect: missing MODEL' -- "$aniso" inspect
check inspect-two-models 2 '' '^aniso inspect: too many arguments' -- "$aniso" inspect a b
check inspect-bad-option 2 '' "^aniso inspect: unknown or incomplete option '--nope'" -- \
    "$aniso" inspect --nope x

check inspect-llama 0 '^parameters +26784$' '' -- "$aniso" inspect "$fx/models/llama-tiny"
# The rules config.json is read by, and the rotary settings they give.
check inspect-v5-neox 0 '^rotary +default, theta 10000; 8 of 16 dims per head$' '' -- \
    "$aniso" inspect "$fx/forward-v5/gptneox-seq-bf16"
check inspect-v5-rules 0 '^config read as +transformers 5.x rules \(file written by 5\.24\.0\)$' '' -- \
    "$aniso" inspect "$fx/forward-v5/llama3-bf16"
check inspect-v4-gelu 0 '^activation +GELU \(exact, erf\)$' '' -- \
    "$aniso" inspect "$fx/forward/gemma-f32"
check inspect-as-v5-gelu 0 '^activation +GELU \(tanh approximation\)$' '' -- \
    "$aniso" inspect --hf-version 5 "$fx/forward/gemma-f32"
check inspect-bad-hf-version 2 '' "^aniso inspect: --hf-version must be 4 or 5, not '6'" -- \
    "$aniso" inspect --hf-version 6 "$fx/forward/gemma-f32"
mkdir -p "$tmp/unknown-key"
cp "$fx/forward-v5/llama3-bf16/"* "$tmp/unknown-key/"
sed -i 's/"vocab_size"/"num_experts": 8, "vocab_size"/' "$tmp/unknown-key/config.json"
check inspect-unknown-key 1 '' "config.json: unknown key 'num_experts' for llama" -- \
    "$aniso" inspect "$tmp/unknown-key"
check inspect-ignore-key 0 '^layers +3$' '' -- \
    "$aniso" inspect --ignore-config-key num_experts "$tmp/unknown-key"
check inspect-sharded 0 '^weight tensors +21 in 7 files$' '' -- \
    "$aniso" inspect "$fx/models/llama-tiny-sharded"
check inspect-bf16 0 '^dtypes +BF16 \(21664 parameters\)$' '' -- \
    "$aniso" inspect "$fx/models/gemma-tiny-bf16"
check inspect-neox 0 '^normalization +LayerNorm$' '' -- "$aniso" inspect "$fx/models/gptneox-tiny"
check inspect-missing 1 '' "^aniso: $tmp/none: no such folder$" -- "$aniso" inspect "$tmp/none"
mkdir "$tmp/empty"
check inspect-not-model 1 '' "^aniso: $tmp/empty/config.json: not found" -- \
    "$aniso" inspect "$tmp/empty"

# A cache as huggingface_hub lays it out, found through each variable in turn.
mkcache() { # ROOT
    local repo=$1/models--org--tiny commit=0123456789abcdef0123456789abcdef01234567
    mkdir -p "$repo/refs" "$repo/blobs" "$repo/snapshots/$commit"
    cp "$fx/models/gemma3-tiny/config.json" "$repo/blobs/c"
    cp "$fx/models/gemma3-tiny/model.safetensors" "$repo/blobs/w"
    ln -s ../../blobs/c "$repo/snapshots/$commit/config.json"
    ln -s ../../blobs/w "$repo/snapshots/$commit/model.safetensors"
    printf %s "$commit" >"$repo/refs/main"
}
mkcache "$tmp/hubcache"
mkcache "$tmp/hfhome/hub"
mkcache "$tmp/home/.cache/huggingface/hub"
clean=(env -u HF_HUB_CACHE -u HUGGINGFACE_HUB_CACHE -u HF_HOME -u XDG_CACHE_HOME)
check cache-hf-hub-cache 0 "^model +$tmp/hubcache/models--org--tiny/snapshots/" '' -- \
    "${clean[@]}" HF_HUB_CACHE="$tmp/hubcache" HF_HOME="$tmp/nowhere" "$aniso" inspect org/tiny
check cache-legacy-var 0 "^model +$tmp/hubcache/models--org--tiny/snapshots/" '' -- \
    "${clean[@]}" HUGGINGFACE_HUB_CACHE="$tmp/hubcache" "$aniso" inspect org/tiny
check cache-hf-home 0 "^model +$tmp/hfhome/hub/models--org--tiny/snapshots/" '' -- \
    "${clean[@]}" HF_HOME="$tmp/hfhome" "$aniso" inspect org/tiny
check cache-home 0 "^model +$tmp/home/.cache/huggingface/hub/models--org--tiny/snapshots/" '' -- \
    "${clean[@]}" HOME="$tmp/home" "$aniso" inspect org/tiny
check cache-revision-commit 0 '^architecture +gemma3_text' '' -- \
    "${clean[@]}" HF_HUB_CACHE="$tmp/hubcache" "$aniso" inspect \
    --revision 0123456789abcdef0123456789abcdef01234567 org/tiny
check cache-missing-revision 1 '' "^aniso: org/tiny: revision 'v2' is not in the Hugging Face cache" -- \
    "${clean[@]}" HF_HUB_CACHE="$tmp/hubcache" "$aniso" inspect --revision v2 org/tiny
check cache-missing-id 1 '' "^aniso: org/none: no such folder, and not in the Hugging Face cache" -- \
    "${clean[@]}" HF_HUB_CACHE="$tmp/hubcache" "$aniso" inspect org/none

# tokenize: ids as the tokenizers library gives them (the goldens), output
# formats, input sources, and errors.
neox="$tokdir/neox.tokenizer.json"
line=$(grep -n '^{"text": "Hello world"}$' "$fx/tokenizers/corpus.jsonl" | cut -d: -f1)
want=$(sed -n "${line}p" "$fx/tokenizers/neox.ids.jsonl" | tr -d ' ' | sed 's/^{"ids":\(.*\)}$/\1/')
check tokenize-json 0 "^\{\"text\":\"Hello world\",\"ids\":$(printf %s "$want" | sed 's/[][]/\\&/g'),\"tokens\":" '' -- \
    "$aniso" tokenize --json --text "Hello world" "$neox"
check tokenize-plain 0 $'^[0-9]+\tHello$' '' -- "$aniso" tokenize --text "Hello world" "$neox"
printf 'one\ntwo three\nfour\n' >"$tmp/in.txt"
check tokenize-file-lines 0 '' '' -- bash -c "[ \$('$aniso' tokenize --json --file '$tmp/in.txt' '$neox' | wc -l) -eq 3 ]"
check tokenize-stdin 0 $'^[0-9]+\ttwo$' '' -- bash -c "printf 'two three' | '$aniso' tokenize '$neox'"
check tokenize-special 0 '"ids":\[1,' '' -- "$aniso" tokenize --json --text "x" "$tokdir/llama2.tokenizer.json"
check tokenize-no-special 0 '^\{"text":"x","ids":\[1318\],"tokens":\["▁x"\]\}$' '' -- \
    "$aniso" tokenize --json --no-special --text "x" "$tokdir/llama2.tokenizer.json"
printf 'good\nba\xffd\n' >"$tmp/bad.txt"
check tokenize-bad-utf8 1 '' "^aniso: $tmp/bad.txt: line 2: text is not valid UTF-8 \\(byte offset 2\\)$" -- \
    "$aniso" tokenize --file "$tmp/bad.txt" "$neox"
check tokenize-no-tokenizer 1 '' "^aniso: $fx/models/llama-tiny/tokenizer.json: not found$" -- \
    "$aniso" tokenize --text hi "$fx/models/llama-tiny"
check tokenize-both-inputs 2 '' '^aniso tokenize: --text and --file exclude each other' -- \
    "$aniso" tokenize --text a --file b "$neox"
printf '{"model": {"type": "Unigram"}}' >"$tmp/uni.json"
check tokenize-bad-file 1 '' "^aniso: $tmp/uni.json: unsupported model type 'Unigram' \\(only BPE is supported\\)$" -- \
    "$aniso" tokenize --text hi "$tmp/uni.json"

# hidden: usage and input errors (outputs are checked in test_forward).
check hidden-no-out 2 '' '^aniso hidden: missing --out FILE' -- "$aniso" hidden "$fx/forward/gemma3-f32"
check hidden-bad-threads 2 '' '^aniso hidden: --threads needs a positive number' -- \
    "$aniso" hidden --threads 0 --out "$tmp/x.npy" "$fx/forward/gemma3-f32"
check hidden-no-tokenizer 1 '' "^aniso: $fx/models/llama-tiny/tokenizer.json: not found$" -- \
    "$aniso" hidden --out "$tmp/x.npy" "$fx/models/llama-tiny"
printf '\n  \n' >"$tmp/empty.txt"
check hidden-no-prompts 1 '' "^aniso: $tmp/empty.txt: no prompts$" -- \
    "$aniso" hidden --prompts "$tmp/empty.txt" --out "$tmp/x.npy" "$fx/forward/gemma3-f32"
printf '{"text": 5}\n' >"$tmp/bad.jsonl"
check hidden-bad-jsonl 1 '' "^aniso: $tmp/bad.jsonl: line 1: expected an object with a string \"text\"$" -- \
    "$aniso" hidden --prompts "$tmp/bad.jsonl" --out "$tmp/x.npy" "$fx/forward/gemma3-f32"
check hidden-nothing-left 0 '' '' -- bash -c "! ls '$tmp'/x.npy* 2>/dev/null | grep -q ."
printf '{"text": "The capital of France"}\n\n{"text": "is Paris"}\n' >"$tmp/ok.jsonl"
check hidden-jsonl 0 "^$tmp/y.npy$" '' -- \
    "$aniso" hidden --prompts "$tmp/ok.jsonl" --out "$tmp/y.npy" "$fx/forward/gptneox-f32"
check hidden-jsonl-shape 0 '"shape": \[' '' -- cat "$tmp/y.tokens.json"

# profile and compare: the main job's outputs and messages (contents are
# checked in test_report).
check profile-files 0 "anisotropy_results_gemma3-f32_[0-9]{8}_[0-9]{6}\.zip$" '' -- \
    "$aniso" profile --quiet --threads 2 --out "$tmp/prof" "$fx/forward/gemma3-f32"
check profile-summary 0 '^L\* \(anisotropy max\): Layer [0-9]+$' '' -- \
    "$aniso" profile --out "$tmp/prof2" --reference "$fx/results/anisotropy_results_gemma.json" \
    "$fx/forward/gptneox-f32"
check profile-reference 0 '^Flatter than google/gemma-2b: ' '' -- \
    "$aniso" profile --out "$tmp/prof2" --reference "$fx/results/anisotropy_results_gemma.json" \
    "$fx/forward/gptneox-f32"
check profile-bad-reference 1 '' "^aniso: $fx/forward/gemma3-f32/config.json: no 'intrinsic_dim_ratio' list of numbers \\(not an anisotropy result\\)$" -- \
    "$aniso" profile --out "$tmp/prof3" --reference "$fx/forward/gemma3-f32/config.json" "$fx/forward/gemma3-f32"
check profile-no-model 2 '' '^aniso profile: missing MODEL' -- "$aniso" profile
check profile-nothing-written 0 '' '' -- bash -c "[ ! -e '$tmp/prof3' ]"
check compare-seed 0 '^google/gemma-2b +18 +9 +0\.500 +0\.6926 +0\.9725 +yes$' '' -- \
    "$aniso" compare --out "$tmp/cmp" "$fx/results/anisotropy_results_pythia.json" \
    "$fx/results/anisotropy_results_gemma.json"
check compare-pythia 0 '^EleutherAI/pythia-6\.9b +32 +7 +0\.219 +0\.9340 +0\.9941 +yes$' '' -- \
    "$aniso" compare --out "$tmp/cmp" "$fx/results/anisotropy_results_pythia.json" \
    "$fx/results/anisotropy_results_gemma.json"
check compare-missing 1 '' "^aniso: $tmp/none.json: cannot open" -- "$aniso" compare "$tmp/none.json"
check compare-no-files 2 '' '^aniso compare: missing RESULT.json files' -- "$aniso" compare

# The default model's short name, when it has not been fetched.
check default-missing 1 '' "^aniso: gemma-3-270m: not downloaded yet \\($tmp/nomodels/gemma-3-270m-q4_k_m.gguf\\); run scripts/fetch-default-model.sh$" -- \
    env ANISO_MODELS="$tmp/nomodels" "$aniso" inspect gemma-3-270m
check inspect-gguf 0 '^tensor types +F16 x15 F32 x9$' '' -- \
    "$aniso" inspect "$fx/gguf/gemma2-f16.gguf"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
