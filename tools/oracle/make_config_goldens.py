"""Config-reading goldens: how transformers itself resolves the rotary
settings and the MLP activation of config.json files in both layouts
(4.x top-level keys, 5.x rope_parameters), including files where old and new
keys disagree.

Each case is a config.json as some transformers version writes it (its
transformers_version says which). The script builds the model from it with
the running transformers and records the inverse frequencies its rotary
modules hold (global and, for Gemma 3, sliding layers) and the activation
its MLP runs. Run it under both pinned environments; each adds its reading
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
    return name, cfg


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
]


def inv_freqs(model):
    """{"full": [...], "sliding": [...]} from the model's rotary modules."""
    inner = model.model if hasattr(model, "model") else model.gpt_neox
    out = {}
    rot = inner.rotary_emb
    if hasattr(rot, "full_attention_inv_freq"):  # 5.x Gemma 3: one module, buffers per type
        out["full"] = rot.full_attention_inv_freq.tolist()
        if hasattr(rot, "sliding_attention_inv_freq"):
            out["sliding"] = rot.sliding_attention_inv_freq.tolist()
    else:
        out["full"] = rot.inv_freq.tolist()
        if hasattr(inner, "rotary_emb_local"):  # 4.57 Gemma 3
            out["sliding"] = inner.rotary_emb_local.inv_freq.tolist()
    return out


def activation(model):
    inner = model.model if hasattr(model, "model") else model.gpt_neox
    act = inner.layers[0].mlp.act_fn if hasattr(inner.layers[0].mlp, "act_fn") else \
        inner.layers[0].mlp.act
    name = type(act).__name__
    if name == "GELUActivation":
        return "gelu"
    if name in ("PytorchGELUTanh", "GELUTanh", "NewGELUActivation", "FastGELUActivation"):
        return "gelu_tanh"
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
            mine[name] = {"inv_freq": inv_freqs(model), "act": activation(model)}
        except (ValueError, KeyError, TypeError) as e:
            mine[name] = {"error": f"{type(e).__name__}: {e}"}
        print(name, mine[name] if "error" in mine[name] else
              ({k: len(v) for k, v in mine[name]["inv_freq"].items()}, mine[name]["act"]))
    reader[str(MAJOR)] = {"transformers": transformers.__version__, "torch": torch.__version__,
                          "results": mine}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(goldens, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
