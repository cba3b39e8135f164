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
source "$(dirname "$0")/check.sh"

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
check inspect-neox 0 '^normalization +LayerNorm, before each sublayer, parallel residual$' '' -- "$aniso" inspect "$fx/models/gptneox-tiny"
check inspect-missing 1 '' "^aniso: $tmp/none: no such file or folder; a model is a folder with config.json, a .gguf file, a Hub id ORG/NAME in the local cache or gemma-3-270m$" -- "$aniso" inspect "$tmp/none"
# CLI conventions: did-you-mean, paths are never Hub ids, what a non-GGUF file is,
# options after MODEL
check did-you-mean-command 2 '' "^aniso: unknown command 'profle' \\(did you mean 'profile'\\?\\)" -- "$aniso" profle
check did-you-mean-model 1 '' "^aniso: gemma-3-207m: no such file, folder or model \\(did you mean 'gemma-3-270m'\\?\\)$" -- "$aniso" inspect gemma-3-207m
check path-not-hub-id 1 '' "^aniso: \\./nonexistent-folder: no such file or folder; " -- "$aniso" inspect ./nonexistent-folder
check not-gguf 1 '' "^aniso: $fx/results/anisotropy_results_gemma.json: not a GGUF file \\(it starts with \"\\{" -- "$aniso" inspect "$fx/results/anisotropy_results_gemma.json"
check fifo-model 1 '' "^aniso: $tmp/fifo: is a FIFO, not a model$" -- bash -c "mkfifo '$tmp/fifo' && '$aniso' inspect '$tmp/fifo'"
check options-after-model 0 '^normalization +LayerNorm' '' -- "$aniso" inspect "$fx/models/gptneox-tiny" --hf-version 4
check double-dash 1 '' "^aniso: --weird: no such file or folder" -- "$aniso" inspect -- --weird
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
check hidden-bad-threads 2 '' "^aniso hidden: --threads needs a whole number from 1 to 4096, not '0'" -- \
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
# output paths are checked before any model work; missing folders are made
check hidden-out-folder 1 '' "^aniso: $tmp: is a folder; --out names the file to write$" -- \
    "$aniso" hidden --out "$tmp" "$fx/forward/llama-f32"
check hidden-out-new-folder 0 's\.npy$' '' -- "$aniso" hidden --quiet --out "$tmp/new/sub/s.npy" "$fx/forward/llama-f32"
check hidden-out-new-folder-made 0 '' '' -- test -s "$tmp/new/sub/s.npy"
check profile-out-file 1 '' "^aniso: $tmp/new/sub/s.npy: is a file; --out names the folder to write into$" -- \
    "$aniso" profile --out "$tmp/new/sub/s.npy" "$fx/forward/llama-f32"
check compare-quiet 0 '^[^ ]*comparison\.json$' '' -- "$aniso" compare --quiet --out "$tmp/cq" \
    "$fx/results/anisotropy_results_gemma.json" "$fx/results/anisotropy_results_pythia.json"
check profile-options-after-model 0 'anisotropy_results_gpt2-f32\.json$' '' -- \
    "$aniso" profile "$fx/forward/gpt2-f32" --quiet --threads 2 --out "$tmp/after"
check profile-format-none 0 'anisotropy_results_gpt2-f32\.json$' '' -- \
    "$aniso" profile "$fx/forward/gpt2-f32" --quiet --threads 2 --format none --out "$tmp/jsononly"
check profile-format-none-only-json 0 '' '' -- bash -c "[ \"\$(ls '$tmp/jsononly' | wc -l)\" -eq 1 ]"
printf '{"text": "The capital of France"}\n\n{"text": "is Paris"}\n' >"$tmp/ok.jsonl"
check hidden-jsonl 0 "^$tmp/y.npy$" '' -- \
    "$aniso" hidden --prompts "$tmp/ok.jsonl" --out "$tmp/y.npy" "$fx/forward/gptneox-f32"
check hidden-jsonl-shape 0 '"shape": \[' '' -- cat "$tmp/y.tokens.json"

# profile and compare: the main job's outputs and messages (contents are
# checked in test_report).
check profile-files 0 "anisotropy_results_gemma3-f32_[0-9]{8}_[0-9]{6}\.zip$" '' -- \
    "$aniso" profile --quiet --threads 2 --out "$tmp/prof" "$fx/forward/gemma3-f32"
check profile-summary 0 '^L\* \(anisotropy max\): Layer [0-9]+( |$)' '' -- \
    "$aniso" profile --out "$tmp/prof2" --reference "$fx/results/anisotropy_results_gemma.json" \
    "$fx/forward/gptneox-f32"
check profile-reference 0 '^Flatter than google/gemma-2b: ' '' -- \
    "$aniso" profile --out "$tmp/prof2" --reference "$fx/results/anisotropy_results_gemma.json" \
    "$fx/forward/gptneox-f32"
check profile-bad-reference 1 '' "^aniso: $fx/forward/gemma3-f32/config.json: no 'intrinsic_dim_ratio' list of numbers \\(not an anisotropy result\\)$" -- \
    "$aniso" profile --out "$tmp/prof3" --reference "$fx/forward/gemma3-f32/config.json" "$fx/forward/gemma3-f32"
check profile-no-model 2 '' '^aniso profile: missing MODEL' -- "$aniso" profile
# the newer families end to end; the report names the family and where its norms sit
check profile-olmo2 0 '^L\* \(anisotropy max\): Layer [0-9]+( |$)' '' -- \
    "$aniso" profile --threads 2 --out "$tmp/prof-olmo2" "$fx/forward/olmo2-f32"
check profile-olmo2-family 0 '' '' -- bash -c \
    "tr -d ' \n' <'$tmp/prof-olmo2/anisotropy_results_olmo2-f32.json' | grep -q '\"normalization\":\"RMSNorm\",\"family\":\"OLMo2\",\"norm_placement\":\"post\"'"
check profile-gpt2 0 '^L\* \(anisotropy max\): Layer [0-9]+( |$)' '' -- \
    "$aniso" profile --threads 2 --out "$tmp/prof-gpt2" "$fx/forward/gpt2-f32"
check compare-by-norm 0 '^  LayerNorm +1 model, mean range [0-9.]+: [^ ]*gpt2-f32 ' '' -- \
    "$aniso" compare --out "$tmp/cmp-norm" "$tmp/prof-gpt2/anisotropy_results_gpt2-f32.json" \
    "$tmp/prof-olmo2/anisotropy_results_olmo2-f32.json"
check profile-nothing-written 0 '' '' -- bash -c "[ ! -e '$tmp/prof3' ]"
check compare-seed 0 '^google/gemma-2b +18 +9 +0\.500 +0\.6926 +0\.9725 +yes$' '' -- \
    "$aniso" compare --out "$tmp/cmp" "$fx/results/anisotropy_results_pythia.json" \
    "$fx/results/anisotropy_results_gemma.json"
check compare-pythia 0 '^EleutherAI/pythia-6\.9b +32 +7 +0\.219 +0\.9340 +0\.9941 +yes$' '' -- \
    "$aniso" compare --out "$tmp/cmp" "$fx/results/anisotropy_results_pythia.json" \
    "$fx/results/anisotropy_results_gemma.json"
check compare-missing 1 '' "^aniso: $tmp/none.json: not found$" -- "$aniso" compare "$tmp/none.json"
check compare-no-files 2 '' '^aniso compare: missing RESULT.json files' -- "$aniso" compare
# figure formats: each figure in each, the zip holding them all
check profile-formats 0 "norm_analysis_gemma3-f32\.svg$" '' -- \
    "$aniso" profile --quiet --threads 2 --format svg,png,pdf --out "$tmp/fmt" "$fx/forward/gemma3-f32"
check profile-formats-count 0 '^14$' '' -- bash -c "ls '$tmp/fmt' | wc -l"
cat >"$tmp/zipcheck.py" <<'PY'
import glob, os, sys, zipfile
d = sys.argv[1]
names = zipfile.ZipFile(glob.glob(d + "/*.zip")[0]).namelist()
others = sorted(f for f in os.listdir(d) if not f.endswith(".zip"))
sys.exit(sorted(names) != others or not names[-1].endswith(".json"))
PY
check profile-formats-zip 0 '' '' -- python3 "$tmp/zipcheck.py" "$tmp/fmt"
check profile-format-pdf 0 '^%PDF-' '' -- head -c 5 "$tmp/fmt/anisotropy_profile_gemma3-f32.pdf"
check profile-bad-format 2 '' "^aniso profile: --format takes png, pdf and svg, comma-separated, not 'png,jpg'" -- \
    "$aniso" profile --format png,jpg "$fx/forward/gemma3-f32"
check compare-formats 0 'comparison\.pdf$' '' -- \
    "$aniso" compare --format pdf --out "$tmp/cmp-pdf" "$fx/results/anisotropy_results_gemma.json"
check compare-formats-only 0 '^comparison\.json comparison\.pdf $' '' -- bash -c "ls '$tmp/cmp-pdf' | tr '\n' ' '"
check compare-bad-format 2 '' "^aniso compare: --format takes png, pdf and svg, comma-separated, not ''" -- \
    "$aniso" compare --format "" "$fx/results/anisotropy_results_gemma.json"
# a token mask gets its own names next to the default's
check profile-mask-names 0 "anisotropy_profile_gemma3-f32_excl-first\.png$" '' -- \
    "$aniso" profile --quiet --threads 2 --exclude first --out "$tmp/prof" "$fx/forward/gemma3-f32"
check profile-mask-both-there 0 '' '' -- test -s "$tmp/prof/anisotropy_results_gemma3-f32.json" -a \
    -s "$tmp/prof/anisotropy_results_gemma3-f32_excl-first.json"
# results that cannot carry a conclusion say so
printf 'a\n' >"$tmp/one.txt"
check profile-warn-tokens 0 '^  - only 2 tokens per layer \(fewer than 10\)' '' -- \
    "$aniso" profile --threads 2 --prompts "$tmp/one.txt" --out "$tmp/warn" "$fx/forward/gemma3-f32"
check profile-warn-flat 0 "^  - every layer's intrinsic dimension ratio is ~1\.0" '' -- \
    "$aniso" profile --threads 2 --prompts "$tmp/one.txt" --out "$tmp/warn" "$fx/forward/gemma3-f32"
check profile-warn-nd 0 '^  - n = 2 tokens is far below d = 64' '' -- \
    "$aniso" profile --threads 2 --prompts "$tmp/one.txt" --out "$tmp/warn" "$fx/forward/gemma3-f32"
check profile-warn-no-verdict 0 '^Flatter than EleutherAI/pythia-6\.9b \(notebook reference\): cannot be concluded' '' -- \
    "$aniso" profile --threads 2 --prompts "$tmp/one.txt" --out "$tmp/warn" "$fx/forward/gemma3-f32"
check profile-warn-no-yes 0 '' '' -- bash -c \
    "! '$aniso' profile --threads 2 --prompts '$tmp/one.txt' --out '$tmp/warn' '$fx/forward/gemma3-f32' | grep -q 'YES'"
check profile-warn-json 0 '"warnings": \[' '' -- cat "$tmp/warn/anisotropy_results_gemma3-f32.json"
# the notebook's prompts on a 4-layer fixture: enough tokens, not flat; only
# its short phases (5 layers cannot give two of 3) are warned about
"$aniso" profile --threads 2 --out "$tmp/nowarn" "$fx/forward/gemma3-f32" >"$tmp/nowarn.txt" 2>&1
check profile-nowarn-verdict 0 '^Flatter than EleutherAI/pythia-6\.9b \(notebook reference\): range difference [-+][0-9.]+ (\[[-+0-9.e]+, [-+0-9.e]+\] )?\(range' '' -- \
    cat "$tmp/nowarn.txt"
check profile-nowarn-phase 0 '^  - phase 1 \(layers before L\* = [0-9]+\) has' '' -- cat "$tmp/nowarn.txt"
check profile-nowarn-others 0 '' '' -- bash -c \
    "! grep -qE '^  - (only|every layer|the profile is flat|n = )' '$tmp/nowarn.txt'"

# Corpus profiles, partial results and their messages.
m3="$fx/forward/gemma3-f32"
printf 'In the beginning God created the heaven and the earth.\nAnd the earth was without form.\n\nAnd God said, Let there be light: and there was light.\n\n\nAnd God saw the light, that it was good.\n' >"$tmp/c1.txt"
printf 'And the evening and the morning were the first day.\n\nAnd God called the firmament Heaven.\n' >"$tmp/c2.txt"
check corpus-profile 0 '^Layers: 4 +Hidden dim: 64 +Corpus: 3 documents, [0-9]+ windows of up to 16 tokens$' '' -- \
    "$aniso" profile --corpus "$tmp/c1.txt" --context 16 --threads 2 --out "$tmp/cp" "$m3"
check corpus-mask 0 '^Tokens: [0-9]+ through the model, [0-9]+ measured \(excluded: bos,first; [0-9]+ left out\)$' '' -- \
    "$aniso" profile --corpus "$tmp/c1.txt" --context 16 --exclude first,bos --out "$tmp/cp" "$m3"
check corpus-part1 0 'anisotropy_results_gemma3-f32\.json$' '' -- \
    "$aniso" profile --quiet --corpus "$tmp/c1.txt" --context 16 --checkpoint "$tmp/p1.part" --out "$tmp/cp1" "$m3"
check corpus-part2 0 'anisotropy_results_gemma3-f32\.json$' '' -- \
    "$aniso" profile --quiet --corpus "$tmp/c2.txt" --context 16 --checkpoint "$tmp/p2.part" --out "$tmp/cp2" "$m3"
check merge-parts 0 '^Layers: 4 +Hidden dim: 64 +Corpus: 5 documents, ' '' -- \
    "$aniso" merge --out "$tmp/merged" "$tmp/p1.part" "$tmp/p2.part"
check corpus-part3 0 'anisotropy_results_gemma3-f32\.json$' '' -- \
    "$aniso" profile --quiet --corpus "$tmp/c2.txt" --context 20 --checkpoint "$tmp/p3.part" --out "$tmp/cp3" "$m3"
check merge-mismatch 1 '' "^aniso: $tmp/p1.part and $tmp/p3.part: not parts of one profile \(their 'preprocessing' differ\)$" -- \
    "$aniso" merge --out "$tmp/merged2" "$tmp/p1.part" "$tmp/p3.part"
check merge-missing 1 '' "^aniso: $tmp/none.part: not found$" -- \
    "$aniso" merge "$tmp/none.part"
printf 'not a partial result at all' >"$tmp/junk.part"
check merge-junk 1 '' "^aniso: $tmp/junk.part: not an aniso partial result$" -- "$aniso" merge "$tmp/junk.part"
check merge-none 2 '' '^aniso merge: missing PART' -- "$aniso" merge
check merge-nothing-written 0 '' '' -- bash -c "[ ! -e '$tmp/merged2' ]"
printf 'fine text\n\nbad \xff byte\n' >"$tmp/bad.txt"
check corpus-bad-utf8 1 '' "^aniso: $tmp/bad.txt: the document at line 3 is not valid UTF-8 \(byte offset 4\)$" -- \
    "$aniso" profile --corpus "$tmp/bad.txt" --out "$tmp/cbad" "$m3"
printf '{"text": "ok"}\n{"txt": "no"}\n' >"$tmp/bad.jsonl"
check corpus-bad-jsonl 1 '' "^aniso: $tmp/bad.jsonl: line 2: expected an object with a string \"text\"$" -- \
    "$aniso" profile --corpus "$tmp/bad.jsonl" --out "$tmp/cbad" "$m3"
check corpus-missing 1 '' "^aniso: $tmp/nope.txt: not found$" -- \
    "$aniso" profile --corpus "$tmp/nope.txt" --out "$tmp/cbad" "$m3"
check corpus-nothing-written 0 '' '' -- bash -c "[ ! -e '$tmp/cbad' ]"
check bad-exclude 2 '' "^aniso profile: --exclude takes bos, first and special, comma-separated, not 'eos'" -- \
    "$aniso" profile --exclude eos "$m3"
check bad-positions 2 '' "^aniso profile: --positions takes A:B with A < B, not '5:2'" -- \
    "$aniso" profile --positions 5:2 "$m3"
check bad-context 2 '' '^aniso profile: --context applies to --corpus only' -- \
    "$aniso" profile --context 64 "$m3"
check bad-resume 2 '' '^aniso profile: --resume needs --checkpoint' -- "$aniso" profile --resume "$m3"
check bad-layers 1 '' "^aniso: profile: --layers '0,7' is not a list of layers 0\.\.4 \(such as 0,4,8-12\)$" -- \
    "$aniso" profile --layers 0,7 --out "$tmp/cbad" "$m3"
check small-context 1 '' '^aniso: profile: --context 1 leaves no room for text next to the 1 special tokens of every window$' -- \
    "$aniso" profile --corpus "$tmp/c1.txt" --context 1 --out "$tmp/cbad" "$m3"
check hidden-raw 0 'states\.npy$' '' -- \
    "$aniso" hidden --last-layer both --prompts "$tmp/c2.txt" --out "$tmp/states.npy" "$m3"
check hidden-raw-layers 0 '' '' -- bash -c "tr -d ' \n' <'$tmp/states.tokens.json' | grep -q '\"last_layer\":\"both\",\"shape\":\[6,'"

# The default model's short name, when it has not been fetched.
check default-missing 1 '' "^aniso: gemma-3-270m: not downloaded yet \\($tmp/nomodels/gemma-3-270m-q4_k_m.gguf\\); run scripts/fetch-default-model.sh$" -- \
    env ANISO_MODELS="$tmp/nomodels" "$aniso" inspect gemma-3-270m
check inspect-gguf 0 '^tensor types +F16 x15 F32 x9$' '' -- \
    "$aniso" inspect "$fx/gguf/gemma2-f16.gguf"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
