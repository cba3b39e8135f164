"""Config-reading goldens: how transformers itself resolves the rotary
settings and the MLP activation of config.json files in both layouts
(4.x top-level keys, 5.x rope_parameters), including files where old and new
keys disagree.

Each case is a config.json as some transformers version writes it (its
transformers_version says which). The script builds the model from it with
the running transformers and records the inverse frequencies its rotary
modules hold (global and, for Gemma 3, sliding layers), their
attention_scaling (the factor cos and sin are multiplied by; yarn and
longrope change it) and the activation its MLP runs. GPT-2 has no rotary
module: its results have the activation only. For dynamic and longrope the
frequencies are the ones a freshly built model holds (dynamic: the unscaled
ones; longrope: the short factors), before any forward call updates them. Run it under both pinned environments; each adds its reading
to tests/fixtures/config/goldens.json under its major version (4.57 reads
only the files 4.x writes; 5.x reads every case, which is also how it reads
files written by 4.x):

  PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_config_goldens.py
  PY5=$(tools/oracle/venv.sh 5) && "$PY5" tools/oracle/make_config_goldens.py
"""
import json
import os
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

try:  # 5.x configs are strict dataclasses; their validators' errors arrive wrapped in this
    from huggingface_hub.errors import StrictDataclassClassValidationError as StrictError
except ImportError:
    StrictError = ValueError

MAJOR = int(transformers.__version__.split(".")[0])
OUT = "tests/fixtures/config/goldens.json"

TINY = dict(hidden_size=64, num_attention_heads=4, intermediate_size=64, num_hidden_layers=2,
            vocab_size=128, max_position_embeddings=64)
V4, V5 = "4.57.6", "5.24.0"
LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 16}


def case(name, model_type, version, **keys):
    cfg = dict(TINY, model_type=model_type, transformers_version=version, **keys)
    if model_type in ("gemma", "gemma2", "gemma3_text", "llama"):
        cfg.setdefault("head_dim", 16)
    if model_type in ("gemma", "gemma2", "gemma3_text"):
        cfg.setdefault("num_key_value_heads", 1)
    if model_type in ("qwen2", "qwen3", "mistral"):  # their defaults (32, 32, 8) exceed TINY's 4 heads
        cfg.setdefault("num_key_value_heads", 2)
    if model_type == "phi3":  # its default pad_token_id (32000) is outside TINY's vocabulary
        cfg.setdefault("pad_token_id", None)
    return name, cfg


def gpt2_case(name, version, **keys):
    """GPT-2 under its own key names, as its config.json files spell them."""
    cfg = dict(model_type="gpt2", transformers_version=version, vocab_size=128, n_positions=64,
               n_embd=64, n_layer=2, n_head=4, **keys)
    return name, cfg


SHORT = [1.0, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 4.0]  # longrope factors for 8 rotary frequencies
LONG = [1.0, 1.3, 1.8, 2.5, 4.0, 6.0, 8.0, 12.0]


CASES = [
    # Llama, 4.x layout.
    case("llama-4-llama3", "llama", V4, rope_theta=500000.0, rope_scaling=LLAMA3),
    case("llama-4-linear-legacy-type", "llama", V4, rope_theta=20000.0,
         rope_scaling={"type": "linear", "factor": 2.0}),
    case("llama-4-default", "llama", V4, rope_theta=123.0),
    # Llama, 5.x layout, and files where old and new keys disagree.
    case("llama-5-llama3", "llama", V5,
         rope_parameters=dict(LLAMA3, rope_theta=500000.0)),
    case("llama-5-dict-theta-wins", "llama", V5, rope_theta=1234.0,
         rope_parameters=dict(LLAMA3, rope_theta=500000.0)),
    case("llama-5-top-theta-fills-in", "llama", V5, rope_theta=20000.0,
         rope_parameters={"rope_type": "default"}),
    case("llama-5-rope-scaling-wins", "llama", V5, rope_theta=30000.0,
         rope_scaling={"rope_type": "linear", "factor": 2.0},
         rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    case("llama-5-llama3-max-pos-fallback", "llama", V5,
         rope_parameters={k: v for k, v in LLAMA3.items()
                          if k != "original_max_position_embeddings"}),
    case("llama-5-llama3-top-original-max-pos", "llama", V5,
         original_max_position_embeddings=32, rope_parameters=dict(LLAMA3)),
    # GPT-NeoX: rotary_emb_base / rotary_pct in 4.x.
    case("neox-4-pct", "gpt_neox", V4, rotary_pct=0.5, rotary_emb_base=5000.0),
    case("neox-4-rope-theta-overwritten", "gpt_neox", V4, rotary_pct=0.5, rotary_emb_base=5000.0,
         rope_theta=777.0, partial_rotary_factor=1.0),
    case("neox-4-linear", "gpt_neox", V4, rotary_pct=0.5,
         rope_scaling={"rope_type": "linear", "factor": 3.0}),
    case("neox-5-dict-wins", "gpt_neox", V5, rotary_pct=0.25, rotary_emb_base=100.0,
         rope_parameters={"rope_type": "default", "rope_theta": 5000.0,
                          "partial_rotary_factor": 0.5}),
    case("neox-5-top-fills-in", "gpt_neox", V5, rotary_pct=0.5, rotary_emb_base=5000.0,
         rope_parameters={"rope_type": "default"}),
    # Gemma 3: global and sliding settings.
    case("gemma3-4-local", "gemma3_text", V4, rope_theta=1000000.0, rope_local_base_freq=5000.0,
         rope_scaling={"rope_type": "linear", "factor": 8.0}, sliding_window=8,
         layer_types=["sliding_attention", "full_attention"]),
    case("gemma3-5-nested", "gemma3_text", V5, rope_local_base_freq=10000.0, sliding_window=8,
         layer_types=["sliding_attention", "full_attention"],
         rope_parameters={"full_attention": {"rope_type": "linear", "factor": 4.0,
                                             "rope_theta": 1000000.0},
                          "sliding_attention": {"rope_type": "default", "rope_theta": 5000.0}}),
    case("gemma3-5-local-fills-in", "gemma3_text", V5, rope_local_base_freq=20000.0,
         rope_theta=300000.0, sliding_window=8, layer_types=["sliding_attention", "full_attention"],
         rope_parameters={"full_attention": {"rope_type": "default"}}),
    case("gemma3-5-rope-scaling-updates-global", "gemma3_text", V5, sliding_window=8,
         layer_types=["sliding_attention", "full_attention"],
         rope_scaling={"rope_type": "linear", "factor": 2.0},
         rope_parameters={"full_attention": {"rope_type": "default", "rope_theta": 40000.0},
                          "sliding_attention": {"rope_type": "default", "rope_theta": 7000.0}}),
    case("gemma3-4-legacy-type", "gemma3_text", V4, sliding_window=8,
         layer_types=["sliding_attention", "full_attention"],
         rope_scaling={"type": "linear", "factor": 8.0}),
    # Gemma 1 and 2.
    case("gemma-4-gelu", "gemma", V4, hidden_act="gelu"),
    case("gemma-4-gelu-tanh", "gemma", V4, hidden_act="gelu_pytorch_tanh", rope_theta=3000.0),
    case("gemma2-5-theta", "gemma2", V5, hidden_activation="gelu_pytorch_tanh", sliding_window=8,
         rope_parameters={"rope_type": "default", "rope_theta": 20000.0}),
    # Llama with YaRN. 4.x: original_max_position_embeddings from rope_scaling, else
    # max_position_embeddings; attention_factor from factor (and mscale / mscale_all_dim).
    case("llama-4-yarn", "llama", V4, rope_theta=10000.0,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("llama-4-yarn-attention-factor", "llama", V4,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
                       "attention_factor": 0.8}),
    case("llama-4-yarn-mscale", "llama", V4,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
                       "mscale": 0.707, "mscale_all_dim": 1.0}),
    case("llama-4-yarn-lone-mscale", "llama", V4,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "mscale": 0.707}),
    case("llama-4-yarn-no-original-max-pos", "llama", V4, rope_theta=50000.0,
         rope_scaling={"rope_type": "yarn", "factor": 2.0, "beta_fast": 16.0, "beta_slow": 2.0}),
    # With original_max_position_embeddings 2048 the correction range is (2.02, 5.03):
    # truncating it to (2, 6) changes the ramp (at 16 it is (<0, 0.81) either way).
    case("llama-4-yarn-long-context", "llama", V4, max_position_embeddings=8192,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048}),
    case("llama-4-yarn-no-truncate", "llama", V4, max_position_embeddings=8192,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048,
                       "truncate": False}),
    case("llama-4-yarn-legacy-type", "llama", V4,
         rope_scaling={"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("llama-4-yarn-missing-factor", "llama", V4,
         rope_scaling={"rope_type": "yarn", "original_max_position_embeddings": 16}),
    case("llama-5-yarn", "llama", V5,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                          "original_max_position_embeddings": 16}),
    case("llama-5-yarn-max-pos-fallback", "llama", V5,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0}),
    case("llama-5-yarn-top-original-max-pos", "llama", V5, original_max_position_embeddings=32,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                          "original_max_position_embeddings": 16}),
    case("llama-5-yarn-no-truncate-mscale", "llama", V5, max_position_embeddings=8192,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0,
                          "original_max_position_embeddings": 1024, "truncate": False,
                          "mscale": 1.0, "mscale_all_dim": 0.5}),
    case("llama-5-yarn-attention-factor", "llama", V5,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                          "original_max_position_embeddings": 16, "attention_factor": 1.25}),
    # Dynamic NTK: the frequencies at init are the unscaled ones.
    case("llama-4-dynamic", "llama", V4, rope_theta=20000.0,
         rope_scaling={"rope_type": "dynamic", "factor": 2.0}),
    case("llama-5-dynamic", "llama", V5,
         rope_parameters={"rope_type": "dynamic", "rope_theta": 20000.0, "factor": 2.0}),
    # Phi-3: longrope (short factors at init), partial rotary, the 4.x validation.
    case("phi3-4-default", "phi3", V4, rope_theta=5000.0),
    case("phi3-4-partial", "phi3", V4, partial_rotary_factor=0.5),
    case("phi3-4-longrope", "phi3", V4, original_max_position_embeddings=16,
         rope_scaling={"type": "longrope", "short_factor": SHORT, "long_factor": LONG}),
    case("phi3-4-longrope-su", "phi3", V4, original_max_position_embeddings=32, rope_theta=20000.0,
         rope_scaling={"type": "su", "short_factor": SHORT, "long_factor": LONG}),
    case("phi3-4-longrope-partial", "phi3", V4, original_max_position_embeddings=16,
         partial_rotary_factor=0.5,
         rope_scaling={"type": "longrope", "short_factor": SHORT[:4], "long_factor": LONG[:4]}),
    case("phi3-4-longrope-rope-type-key", "phi3", V4, original_max_position_embeddings=16,
         rope_scaling={"rope_type": "longrope", "short_factor": SHORT, "long_factor": LONG}),
    case("phi3-4-longrope-factor-key", "phi3", V4, original_max_position_embeddings=16,
         rope_scaling={"type": "longrope", "short_factor": SHORT, "long_factor": LONG,
                       "factor": 2.0}),
    case("phi3-4-longrope-short-length", "phi3", V4, original_max_position_embeddings=16,
         rope_scaling={"type": "longrope", "short_factor": SHORT[:4], "long_factor": LONG}),
    case("phi3-5-longrope", "phi3", V5, original_max_position_embeddings=16,
         rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "short_factor": SHORT,
                          "long_factor": LONG}),
    case("phi3-5-longrope-factor-wins", "phi3", V5, original_max_position_embeddings=16,
         rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "short_factor": SHORT,
                          "long_factor": LONG, "factor": 2.0}),
    case("phi3-5-longrope-top-original-overrides", "phi3", V5, original_max_position_embeddings=32,
         rope_parameters={"rope_type": "longrope", "rope_theta": 10000.0, "short_factor": SHORT,
                          "long_factor": LONG, "original_max_position_embeddings": 16}),
    case("phi3-5-partial", "phi3", V5, partial_rotary_factor=0.5,
         rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    case("phi3-5-linear-rejected", "phi3", V5,
         rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}),
    # Qwen2, Qwen3 (head_dim defaults to 128), Mistral, OLMo 2.
    case("qwen2-4-default", "qwen2", V4, rope_theta=1000000.0),
    case("qwen2-4-yarn", "qwen2", V4, rope_theta=1000000.0,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("qwen2-5-default", "qwen2", V5,
         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    case("qwen3-4-default", "qwen3", V4, head_dim=16, rope_theta=1000000.0),
    case("qwen3-4-head-dim-128", "qwen3", V4, rope_theta=1000000.0),
    case("qwen3-4-yarn", "qwen3", V4, head_dim=16, rope_theta=1000000.0,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("qwen3-5-default", "qwen3", V5, head_dim=16,
         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    case("mistral-4-default", "mistral", V4, rope_theta=1000000.0),
    case("mistral-4-head-dim", "mistral", V4, head_dim=8),
    case("mistral-4-yarn-no-head-dim", "mistral", V4,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("mistral-4-yarn-head-dim", "mistral", V4, head_dim=16,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("mistral-5-default", "mistral", V5,
         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
    case("olmo2-4-default", "olmo2", V4, rope_theta=500000.0),
    case("olmo2-4-linear", "olmo2", V4, rope_scaling={"type": "linear", "factor": 2.0}),
    case("olmo2-4-yarn-rejected", "olmo2", V4,
         rope_scaling={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16}),
    case("olmo2-5-yarn", "olmo2", V5,
         rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                          "original_max_position_embeddings": 16}),
    # GPT-2: no rotary, learned positions; the activation only.
    gpt2_case("gpt2-4-gelu-new", V4),
    gpt2_case("gpt2-4-gelu", V4, activation_function="gelu", n_inner=32),
    gpt2_case("gpt2-4-gelu-pytorch-tanh", V4, activation_function="gelu_pytorch_tanh"),
    gpt2_case("gpt2-5-gelu-new", V5, activation_function="gelu_new"),
]


def inner_model(model):
    for attr in ("model", "gpt_neox", "transformer"):
        if hasattr(model, attr):
            return getattr(model, attr)
    raise RuntimeError(f"no base model in {type(model).__name__}")


def rotary(model):
    """({"full": inv_freq, "sliding": ...}, {"full": attention_scaling, ...}), or None (GPT-2)."""
    inner = inner_model(model)
    if not hasattr(inner, "rotary_emb"):
        return None
    freqs, scaling = {}, {}
    rot = inner.rotary_emb
    if hasattr(rot, "full_attention_inv_freq"):  # 5.x Gemma 3: one module, buffers per type
        freqs["full"] = rot.full_attention_inv_freq.tolist()
        scaling["full"] = float(rot.full_attention_attention_scaling)
        if hasattr(rot, "sliding_attention_inv_freq"):
            freqs["sliding"] = rot.sliding_attention_inv_freq.tolist()
            scaling["sliding"] = float(rot.sliding_attention_attention_scaling)
    else:
        freqs["full"] = rot.inv_freq.tolist()
        scaling["full"] = float(rot.attention_scaling)
        if hasattr(inner, "rotary_emb_local"):  # 4.57 Gemma 3
            freqs["sliding"] = inner.rotary_emb_local.inv_freq.tolist()
            scaling["sliding"] = float(inner.rotary_emb_local.attention_scaling)
    return freqs, scaling


def activation(model):
    inner = inner_model(model)
    mlp = (inner.h if hasattr(inner, "h") else inner.layers)[0].mlp
    for attr in ("act_fn", "act", "activation_fn"):
        if hasattr(mlp, attr):
            act = getattr(mlp, attr)
            break
    else:
        raise RuntimeError(f"no activation in {type(mlp).__name__}")
    name = type(act).__name__
    if name == "GELUActivation":
        return "gelu"
    if name in ("PytorchGELUTanh", "GELUTanh"):  # torch's gelu(approximate="tanh")
        return "gelu_tanh"
    if name == "NewGELUActivation":  # the same formula as separate tensor ops: not bit-identical
        return "gelu_new"
    if name == "FastGELUActivation":
        return "gelu_fast"
    if name in ("SiLU", "SiLUActivation"):
        return "silu"
    raise RuntimeError(f"unknown activation module {name}")


def main():
    goldens = json.load(open(OUT)) if os.path.exists(OUT) else {"cases": {}}
    goldens["cases"] = {name: cfg for name, cfg in CASES}
    reader = goldens.setdefault("read_by", {})
    mine = {}
    for name, cfg in CASES:
        if int(cfg["transformers_version"].split(".")[0]) > MAJOR:
            continue
        try:
            config = AutoConfig.for_model(**json.loads(json.dumps(cfg)))
            torch.manual_seed(0)
            model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
            mine[name] = {}
            rot = rotary(model)
            if rot is not None:
                mine[name]["inv_freq"], mine[name]["attention_scaling"] = rot
            mine[name]["act"] = activation(model)
        except (ValueError, KeyError, TypeError, StrictError) as e:
            mine[name] = {"error": f"{type(e).__name__}: {e}"}
        r = mine[name]
        print(name, r if "error" in r else
              ({k: len(v) for k, v in r.get("inv_freq", {}).items()}, r.get("attention_scaling"),
               r["act"]))
    reader[str(MAJOR)] = {"transformers": transformers.__version__, "torch": torch.__version__,
                          "results": mine}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(goldens, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
