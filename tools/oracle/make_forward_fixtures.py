"""Forward-pass fixtures: tiny random-initialised models of every supported
architecture, saved by transformers' save_pretrained (safetensors) with a
tokenizer, and the hidden states transformers computes for them.

Runs under both pinned environments: transformers 4.57 (venv.sh, fixtures in
tests/fixtures/forward/) and 5.x (venv.sh 5, fixtures in
tests/fixtures/forward-v5/). The configurations are the same models; each
version writes its own config.json layout (5.x: rope_parameters), which is
what the tests check aniso reads. Under 5.x the script also runs 5.x on the
4.57 folders (given with --v4-fixtures) and stores its hidden states there as
hidden.v5.npy where they differ from 4.57's: the same file read by the two
versions' rules.

For each fixture folder (tests/fixtures/forward[-v5]/NAME/):
  config.json, model.safetensors, tokenizer.json, tokenizer_config.json, ...
  prompts.json   the prompts (five of the notebook's and a long one) and the
                 ids AutoTokenizer gives for each
  hidden.npy     float32 (L+1, n_tokens, hidden): output_hidden_states of
                 every prompt, run one prompt at a time and stacked in prompt
                 order as the notebook does; float32 compute, eager attention
  oracle.json    versions, seed, and the settings transformers resolved

Dynamic NTK rope (llama-dynamic-f32) is stateful in transformers: the rotary
module keeps the frequencies of the longest sequence it has seen and only
resets them for a sequence shorter than max_position_embeddings. The prompts
run one at a time, in order, on a freshly loaded model, and only the last
(long) one is longer than max_position_embeddings (24: the notebook prompts
take up to 24 tokens with BOS under this tokenizer, so 16 would not do), so
every prompt sees the frequencies of its own length; the script checks the
token counts. Phi-3's longrope picks short or long factors by each call's
length (not stateful); the same counts hold for its
original_max_position_embeddings (24, one prompt exactly at the bound).

The reference always computes in float32 (dtype=torch.float32, eager
attention): bfloat16/float16 fixtures store rounded weights, which the
reference upcasts exactly. Weights are re-drawn at unit scale (random norm
weights and biases too) so that every op changes the result measurably.

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_forward_fixtures.py
       PY5=$(tools/oracle/venv.sh 5) && "$PY5" tools/oracle/make_forward_fixtures.py \
           --v4-fixtures tests/fixtures/forward
Options: --only NAME,NAME,...  make (and cross-read) only these fixtures,
leaving the other folders as they are (the committed ones were written by an
earlier revision of this script: oracle.json without "rope", GPT-NeoX's
integer rotary base); [OUT] another output folder.
"""
import json
import os
import random
import shutil
import sys

import numpy as np
import torch
import transformers
from tokenizers import (Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers,
                        processors, trainers)
from transformers import (AutoConfig, AutoModelForCausalLM, AutoTokenizer, Gemma2Config,
                          Gemma3TextConfig, GemmaConfig, GemmaTokenizerFast, GPT2Config,
                          GPT2TokenizerFast, GPTNeoXConfig, GPTNeoXTokenizerFast, LlamaConfig,
                          LlamaTokenizerFast, MistralConfig, Olmo2Config, Phi3Config,
                          Qwen2Config, Qwen2TokenizerFast, Qwen3Config)

SEED = 4242
V5 = int(transformers.__version__.split(".")[0]) >= 5


def rope(theta=None, scaling=None, local=None, frac=None, neox=False):
    """Rotary settings as each version's users pass them: 4.x top-level keys
    (GPT-NeoX's own names), 5.x rope_parameters (per layer type for Gemma 3)."""
    if not V5:
        out = {}
        if theta is not None:
            out["rotary_emb_base" if neox else "rope_theta"] = theta
        if frac is not None:
            out["rotary_pct" if neox else "partial_rotary_factor"] = frac
        if scaling is not None:
            out["rope_scaling"] = scaling
        if local is not None:
            out["rope_local_base_freq"] = local
        return out
    glob = dict(scaling or {"rope_type": "default"})
    if theta is not None:
        glob["rope_theta"] = theta
    if frac is not None:
        glob["partial_rotary_factor"] = frac
    if local is not None:
        return {"rope_parameters": {"full_attention": glob,
                                    "sliding_attention": {"rope_type": "default",
                                                          "rope_theta": local}}}
    return {"rope_parameters": glob}

# The notebook's 16 prompts, and one long prompt (longer than every sliding window).
PROMPTS = [
    "The capital of France is Paris, which is known for",
    "Water boils at 100 degrees Celsius under standard",
    "The speed of light in a vacuum is approximately",
    "If all mammals are warm-blooded and whales are mammals, then",
    "The probability of rolling a six on a fair die is",
    "Once upon a time in a faraway kingdom, there lived",
    "The sunset painted the sky in shades of orange and",
    "In Python, you can define a function using the def keyword",
    "Machine learning models learn patterns from data by",
    "The transformer architecture uses self-attention to",
    "The concept of infinity has puzzled philosophers because",
    "Democracy is often considered the best form of government",
    "Hello! How are you doing today? I hope you're having",
    "Thank you for your help with this project. I really",
    "Functional programming emphasizes immutability and pure functions",
    "Object-oriented programming uses classes and inheritance for",
    "Anisotropy measures how unevenly the variance of hidden states spreads over directions; "
    "it rises through the middle layers of many models, peaks near a layer L*, and falls again "
    "towards the output, although RMSNorm models may show a flatter profile than LayerNorm ones.",
]

WORDS = ("the of and to in is was for on that with as by at from his her it an were are which "
         "this be or has had first one their its new after who they have two been other all also "
         "into more time may when up some most many over state world people during school year "
         "capital france paris water boils degrees celsius speed light vacuum mammals whales "
         "probability rolling six fair die once upon kingdom sunset painted sky orange python "
         "function keyword machine learning models patterns data transformer architecture "
         "attention infinity philosophers democracy government hello project programming").split()


# The fixtures record hidden states for five of the notebook's prompts and the
# long one, to keep them small.
FIXTURE_PROMPTS = PROMPTS[:5] + PROMPTS[-1:]


def training_text():
    rng = random.Random(SEED)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))) for _ in range(2000)]
    return lines + PROMPTS


BYTES = [f"<0x{b:02X}>" for b in range(256)]


def sp_tokenizer(llama_style):
    """SentencePiece-style BPE with byte fallback (Gemma's or Llama 2's layout)."""
    tk = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    if llama_style:
        tk.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                              normalizers.Replace(" ", "▁")])
        specials = ["<unk>", "<s>", "</s>"]
    else:
        tk.normalizer = normalizers.Replace(" ", "▁")
        tk.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
        specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    tk.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                    decoders.Fuse()])
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials + BYTES,
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    if llama_style:
        return LlamaTokenizerFast(tokenizer_object=tk, unk_token="<unk>", bos_token="<s>",
                                  eos_token="</s>", add_bos_token=True, add_eos_token=False)
    # 4.57's Gemma class adds BOS by default; 5.x's only when told (it then
    # writes the BOS template into tokenizer.json, as the Hub's Gemma files have).
    return GemmaTokenizerFast(tokenizer_object=tk, unk_token="<unk>", bos_token="<bos>",
                              eos_token="<eos>", pad_token="<pad>",
                              **({"add_bos_token": True} if V5 else {}))


def neox_tokenizer():
    tk = Tokenizer(models.BPE())
    tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>", "<|padding|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    return GPTNeoXTokenizerFast(tokenizer_object=tk, unk_token="<|endoftext|>",
                                bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                                pad_token="<|padding|>")


def gpt2_tokenizer():
    """Byte-level BPE in GPT-2's layout: no normalizer, ByteLevel with its
    regex, ByteLevel post-processor; <|endoftext|> the only special token."""
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    return GPT2TokenizerFast(tokenizer_object=tk, unk_token="<|endoftext|>",
                             bos_token="<|endoftext|>", eos_token="<|endoftext|>")


QWEN2_REGEX = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
               r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")


def qwen_tokenizer():
    """Byte-level BPE in Qwen2's layout: NFC, Split with Qwen2's regex, then
    ByteLevel without its own regex; no BOS."""
    tk = Tokenizer(models.BPE())
    tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tk.decoder = decoders.ByteLevel()
    tk.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False,
                                             use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tk.train_from_iterator(training_text(), trainer)
    return Qwen2TokenizerFast(tokenizer_object=tk, unk_token="<|endoftext|>", bos_token=None,
                              eos_token="<|endoftext|>", pad_token="<|endoftext|>")


SMALL = dict(hidden_size=64, num_attention_heads=4, intermediate_size=128,
             max_position_embeddings=256)


# Rotary lengths for llama-dynamic-f32's max_position_embeddings and
# phi3-f32's original_max_position_embeddings: every short prompt has at most
# this many tokens (one has exactly 24), the long one more (checked).
SHORT_MAX = 24


def longrope_factors(n):
    rng = random.Random(SEED + 3)
    draw = lambda: [round(rng.uniform(1.0, 4.0), 4) for _ in range(n)]
    return draw(), draw()


def fixtures(tok_gemma, tok_llama, tok_neox, tok_gpt2, tok_qwen):
    vg, vl, vn = len(tok_gemma), len(tok_llama), len(tok_neox)
    vb, vq = len(tok_gpt2), len(tok_qwen)
    gemma = dict(SMALL, vocab_size=vg, head_dim=16, pad_token_id=0, eos_token_id=1,
                 bos_token_id=2)
    yield "llama-f32", tok_llama, torch.float32, LlamaConfig(
        **SMALL, vocab_size=vl, num_hidden_layers=3, num_key_value_heads=2, head_dim=16,
        rms_norm_eps=1e-5, attention_bias=True, mlp_bias=True, tie_word_embeddings=False)
    yield "llama3-bf16", tok_llama, torch.bfloat16, LlamaConfig(
        **SMALL, vocab_size=vl, num_hidden_layers=3, num_key_value_heads=1, head_dim=16,
        tie_word_embeddings=True,
        **rope(500000.0, {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 16}))
    yield "gemma-f32", tok_gemma, torch.float32, GemmaConfig(
        **gemma, num_hidden_layers=3, num_key_value_heads=1, hidden_act="gelu")
    yield "gemma-bf16", tok_gemma, torch.bfloat16, GemmaConfig(
        **gemma, num_hidden_layers=2, num_key_value_heads=4, hidden_act="gelu_pytorch_tanh")
    yield "gemma2-f32", tok_gemma, torch.float32, Gemma2Config(
        **gemma, num_hidden_layers=4, num_key_value_heads=2, query_pre_attn_scalar=24,
        sliding_window=8, attn_logit_softcapping=2.0, final_logit_softcapping=30.0)
    yield "gemma2-f16", tok_gemma, torch.float16, Gemma2Config(
        **gemma, num_hidden_layers=2, num_key_value_heads=2, query_pre_attn_scalar=16,
        sliding_window=8, attn_logit_softcapping=50.0)
    yield "gemma3-f32", tok_gemma, torch.float32, Gemma3TextConfig(
        **gemma, num_hidden_layers=4, num_key_value_heads=2, query_pre_attn_scalar=16,
        sliding_window=8, **rope(1000000.0, {"rope_type": "linear", "factor": 4.0}, 10000.0),
        layer_types=["sliding_attention", "sliding_attention", "full_attention",
                     "sliding_attention"])
    yield "gemma3-bf16", tok_gemma, torch.bfloat16, Gemma3TextConfig(
        **gemma, num_hidden_layers=3, num_key_value_heads=1, query_pre_attn_scalar=16,
        sliding_window=8, sliding_window_pattern=2)
    yield "gptneox-f32", tok_neox, torch.float32, GPTNeoXConfig(
        **SMALL, vocab_size=(vn + 63) // 64 * 64, num_hidden_layers=3,
        **rope(10000.0, frac=0.25, neox=True),
        use_parallel_residual=True, hidden_act="gelu", tie_word_embeddings=False)
    yield "gptneox-seq-bf16", tok_neox, torch.bfloat16, GPTNeoXConfig(
        **SMALL, vocab_size=vn, num_hidden_layers=2, **rope(10000.0, frac=0.5, neox=True),
        use_parallel_residual=False, hidden_act="gelu", tie_word_embeddings=False)

    # Families and rotary types added later (made with --only when the
    # folders above are to stay as committed).
    eot = tok_gpt2.convert_tokens_to_ids("<|endoftext|>")
    qeot = tok_qwen.convert_tokens_to_ids("<|endoftext|>")
    yield "gpt2-f32", tok_gpt2, torch.float32, GPT2Config(
        n_embd=64, n_layer=3, n_head=4, n_inner=128, n_positions=256, vocab_size=vb,
        activation_function="gelu_new", bos_token_id=eot, eos_token_id=eot)
    yield "gpt2-scaled-bf16", tok_gpt2, torch.bfloat16, GPT2Config(
        n_embd=64, n_layer=2, n_head=4, n_inner=None, n_positions=256, vocab_size=vb,
        activation_function="gelu", scale_attn_by_inverse_layer_idx=True,
        layer_norm_epsilon=1e-4, bos_token_id=eot, eos_token_id=eot)
    yield "qwen2-f32", tok_qwen, torch.float32, Qwen2Config(
        **SMALL, vocab_size=vq, num_hidden_layers=4, num_key_value_heads=2,
        use_sliding_window=True, sliding_window=8, max_window_layers=2,
        tie_word_embeddings=False, bos_token_id=qeot, eos_token_id=qeot)
    yield "qwen3-bf16", tok_qwen, torch.bfloat16, Qwen3Config(
        **SMALL, vocab_size=vq, num_hidden_layers=3, num_key_value_heads=2, head_dim=24,
        tie_word_embeddings=True, bos_token_id=qeot, eos_token_id=qeot)
    yield "mistral-f32", tok_llama, torch.float32, MistralConfig(
        **SMALL, vocab_size=vl, num_hidden_layers=3, num_key_value_heads=2, head_dim=16,
        sliding_window=8)
    short, long = longrope_factors(int(16 * 0.5) // 2)
    # 4.57's Phi3Config wants exactly {type, short_factor, long_factor}
    # (the Hub's Phi-3 files use "type"); 5.x's key is rope_type.
    yield "phi3-f32", tok_llama, torch.float32, Phi3Config(
        **dict(SMALL, max_position_embeddings=256), vocab_size=vl, num_hidden_layers=3,
        num_key_value_heads=2, original_max_position_embeddings=SHORT_MAX,
        sliding_window=None, bos_token_id=1, eos_token_id=2, pad_token_id=2,
        **rope(scaling={"rope_type" if V5 else "type": "longrope", "short_factor": short,
                        "long_factor": long}, frac=0.5))
    yield "phi3-sw-bf16", tok_llama, torch.bfloat16, Phi3Config(
        **SMALL, vocab_size=vl, num_hidden_layers=2, num_key_value_heads=4, sliding_window=8,
        bos_token_id=1, eos_token_id=2, pad_token_id=2)
    yield "olmo2-f32", tok_gpt2, torch.float32, Olmo2Config(
        **SMALL, vocab_size=vb, num_hidden_layers=3, num_key_value_heads=2,
        tie_word_embeddings=False, bos_token_id=None, eos_token_id=eot, pad_token_id=eot)
    yield "llama-yarn-f32", tok_llama, torch.float32, LlamaConfig(
        **dict(SMALL, max_position_embeddings=64), vocab_size=vl, num_hidden_layers=3,
        num_key_value_heads=2, head_dim=16,
        **rope(scaling={"rope_type": "yarn", "factor": 4.0,
                        "original_max_position_embeddings": 16}))
    yield "llama-dynamic-f32", tok_llama, torch.float32, LlamaConfig(
        **dict(SMALL, max_position_embeddings=SHORT_MAX), vocab_size=vl, num_hidden_layers=2,
        num_key_value_heads=4, head_dim=16, **rope(scaling={"rope_type": "dynamic",
                                                           "factor": 2.0}))


def redraw(model):
    """Unit-scale weights: activations O(1) in every layer, norms not identity."""
    g = torch.Generator().manual_seed(SEED)
    # GPT-2's names and layout: wte/wpe embeddings, ln_* norms, and Conv1D
    # weights stored (in, out), so their fan-in is shape[0]. No other family
    # has such names or modules, so their draws are as before.
    conv1d = {f"{n}.weight" for n, m in model.named_modules() if type(m).__name__ == "Conv1D"}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                embed = "embed" in name or name.split(".")[-2] in ("wte", "wpe")
                fan_in = p.shape[0] if name in conv1d else p.shape[1]
                std = 1.0 if embed else fan_in ** -0.5
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif ("norm" in name or ".ln_" in name) and name.endswith("weight"):
                offset = 0.0 if type(model).__name__.startswith("Gemma") else 1.0
                p.copy_(offset + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def reference_hidden(path):
    """transformers' hidden states of FIXTURE_PROMPTS for the model in path,
    one prompt at a time, stacked; and the ids, model and tokenizer."""
    ref = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32,
                                               attn_implementation="eager")
    ref.eval()
    auto = AutoTokenizer.from_pretrained(path)
    layers, ids_all = None, []
    with torch.no_grad():
        for p in FIXTURE_PROMPTS:
            enc = auto(p, return_tensors="pt")
            ids_all.append(enc["input_ids"][0].tolist())
            hs = ref(input_ids=enc["input_ids"], output_hidden_states=True).hidden_states
            cur = [h[0].float().numpy() for h in hs]
            layers = cur if layers is None else [np.vstack([a, b]) for a, b in zip(layers, cur)]
    return np.stack(layers).astype(np.float32), ids_all, ref, auto


def rope_settings(c):
    """The rotary settings the loaded config resolved to, for oracle.json."""
    if V5:
        return getattr(c, "rope_parameters", None)  # GPT-2 has none
    keys = ("rope_theta", "rope_scaling", "rope_local_base_freq", "partial_rotary_factor",
            "rotary_pct", "rotary_emb_base")
    return {k: getattr(c, k) for k in keys if hasattr(c, k)}


def sliding_layers(path, ids):
    """Which layers the sliding window changes: the model run on the long
    prompt as saved and with a window longer than the prompt; the
    hidden-state indices (1 + layer) that differ. Empty when nothing slides."""
    cfg = AutoConfig.from_pretrained(path)
    if getattr(cfg, "sliding_window", None) is None:
        return []
    full = AutoConfig.from_pretrained(path)
    full.sliding_window = 1 << 20  # longer than the prompt: a window that never cuts
    x = torch.tensor([ids])
    out = []
    with torch.no_grad():
        for c in (cfg, full):
            m = AutoModelForCausalLM.from_pretrained(path, config=c, dtype=torch.float32,
                                                     attn_implementation="eager")
            out.append(m(input_ids=x, output_hidden_states=True).hidden_states)
    return [i for i, (a, b) in enumerate(zip(*out)) if not torch.equal(a, b)]


def check_lengths(name, ids_all):
    """The length-dependent rotary fixtures: short prompts within SHORT_MAX,
    the long one beyond (see the module docstring)."""
    counts = [len(i) for i in ids_all]
    if name in ("phi3-f32", "llama-dynamic-f32"):
        print(f"{name}: tokens per prompt {counts} (bound {SHORT_MAX})")
        assert max(counts[:-1]) <= SHORT_MAX < counts[-1], counts


def cross_version(v4_dir, only=None):
    """5.x's reading of the 4.57 fixtures: hidden.v5.npy (and prompts.v5.json
    with 5.x's token ids) where it differs from 4.57's."""
    for name in sorted(os.listdir(v4_dir)):
        path = os.path.join(v4_dir, name)
        if not os.path.exists(os.path.join(path, "hidden.npy")):
            continue
        if only is not None and name not in only:
            continue
        hidden, ids, _, _ = reference_hidden(path)
        check_lengths(name, ids)
        v4 = np.load(os.path.join(path, "hidden.npy"))
        if hidden.shape != v4.shape:
            why = f"tokens {v4.shape[1]} -> {hidden.shape[1]}"
        else:
            worst = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(hidden, v4))
            why = f"{worst:.3g}" if worst > 1e-5 else None
        outs = [os.path.join(path, "hidden.v5.npy"), os.path.join(path, "prompts.v5.json")]
        for o in outs:
            if os.path.exists(o):
                os.remove(o)
        if why:
            np.save(outs[0], hidden)
            with open(outs[1], "w", encoding="utf-8") as f:
                json.dump({"prompts": FIXTURE_PROMPTS, "ids": ids,
                           "transformers": transformers.__version__}, f, ensure_ascii=False)
        print(f"{name}: 5.x reading of the 4.57 file: " + (f"differs ({why})" if why else "same"))


# The Llama fixtures whose tokenizer.json loses its post-processor (see main).
NO_POST_PROCESSOR = ("llama-f32",) if V5 else ("llama-f32", "llama3-bf16")


def main():
    args = sys.argv[1:]
    v4_dir, only = None, None
    while args[:1] in (["--v4-fixtures"], ["--only"]):
        if args[0] == "--v4-fixtures":
            v4_dir = args[1]
        else:
            only = set(args[1].split(","))
        args = args[2:]
    out = args[0] if args else ("tests/fixtures/forward-v5" if V5 else "tests/fixtures/forward")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    toks = (sp_tokenizer(False), sp_tokenizer(True), neox_tokenizer(), gpt2_tokenizer(),
            qwen_tokenizer())
    made = set()
    for name, tok, dtype, cfg in fixtures(*toks):
        if only is not None and name not in only:
            continue
        made.add(name)
        path = os.path.join(out, name)
        shutil.rmtree(path, ignore_errors=True)
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
        redraw(model)
        model.to(dtype).save_pretrained(path, safe_serialization=True)
        tok.save_pretrained(path)
        if name in NO_POST_PROCESSOR:
            # 4.57's Llama class rebuilds BOS from tokenizer_config.json,
            # whatever tokenizer.json says: drop the file's post-processor to
            # test that rule. 5.x then adds no BOS (its rule: tokenizer.json's
            # post-processor decides); llama3-bf16 keeps its BOS template there.
            # The later Llama-tokenizer fixtures (rotary types, Mistral, Phi-3)
            # keep their BOS template in both versions.
            tj = os.path.join(path, "tokenizer.json")
            d = json.load(open(tj, encoding="utf-8"))
            d["post_processor"] = None
            json.dump(d, open(tj, "w", encoding="utf-8"), ensure_ascii=False)
        for extra in ("generation_config.json", "special_tokens_map.json", "chat_template.jinja",
                      "vocab.json", "merges.txt"):  # the last two: slow-tokenizer copies
            if os.path.exists(os.path.join(path, extra)):
                os.remove(os.path.join(path, extra))

        hidden, ids_all, ref, auto = reference_hidden(path)
        check_lengths(name, ids_all)
        np.save(os.path.join(path, "hidden.npy"), hidden)
        with open(os.path.join(path, "prompts.json"), "w", encoding="utf-8") as f:
            json.dump({"prompts": FIXTURE_PROMPTS, "ids": ids_all}, f, ensure_ascii=False)
        c = ref.config
        oracle = {
            "script": "tools/oracle/make_forward_fixtures.py", "seed": SEED,
            "transformers": transformers.__version__, "torch": torch.__version__,
            "weights_dtype": str(dtype).replace("torch.", ""), "compute_dtype": "float32",
            "attn_implementation": c._attn_implementation,
            "tokenizer_class": type(auto).__name__,
            "hidden_act": getattr(c, "hidden_act", None),
            "hidden_activation": getattr(c, "hidden_activation", None),
            "layer_types": getattr(c, "layer_types", None),
            "rope": rope_settings(c),
            **({"activation_function": c.activation_function}
               if hasattr(c, "activation_function") else {}),
            **({"sliding_window": c.sliding_window} if hasattr(c, "sliding_window") else {}),
            "shape": list(hidden.shape), "max_abs": float(np.abs(hidden).max()),
        }
        with open(os.path.join(path, "oracle.json"), "w") as f:
            json.dump(oracle, f, indent=1, default=str)
        print(name, hidden.shape, "max", oracle["max_abs"], sorted(os.listdir(path)))
        slid = sliding_layers(path, ids_all[-1])
        print(f"{name}: layer_types {oracle['layer_types']}, sliding_window "
              f"{getattr(c, 'sliding_window', None)}; hidden states changed by the "
              f"window: {slid or 'none'}")
    if only is not None and only - made:
        sys.exit(f"no such fixture: {sorted(only - made)}")
    if v4_dir:
        cross_version(v4_dir, only)


if __name__ == "__main__":
    main()
