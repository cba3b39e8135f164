"""Create tiny random-initialised models of every supported architecture with
Hugging Face transformers, saved with save_pretrained (safetensors), as test
fixtures for loading and inspecting model folders.

Each folder gets oracle.json with what transformers itself reports about the
model (parameter count, dimensions), which the C tests compare against.

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_tiny_models.py [OUTDIR]
(default OUTDIR: tests/fixtures/models)
"""
import json
import os
import shutil
import sys

import torch
import transformers
from transformers import (AutoModelForCausalLM, Gemma2Config, Gemma3TextConfig, GemmaConfig,
                          GPTNeoXConfig, LlamaConfig)

SEED = 1234

# Shared tiny sizes: hidden 32, 2 layers, 4 heads of 8, FFN 64, vocabulary 128.
SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             vocab_size=128, max_position_embeddings=128)


def configs():
    yield "llama-tiny", LlamaConfig(**SMALL, num_key_value_heads=2, tie_word_embeddings=False), {}
    yield "llama-tiny-sharded", LlamaConfig(**SMALL, num_key_value_heads=2,
                                            tie_word_embeddings=False), {"max_shard_size": "20KB"}
    yield "gemma-tiny", GemmaConfig(**SMALL, num_key_value_heads=1, head_dim=8), {}
    yield "gemma-tiny-bf16", GemmaConfig(**SMALL, num_key_value_heads=1, head_dim=8,
                                         torch_dtype="bfloat16"), {"dtype": torch.bfloat16}
    yield "gemma2-tiny", Gemma2Config(**SMALL, num_key_value_heads=2, head_dim=8,
                                      query_pre_attn_scalar=8, sliding_window=4), {}
    yield "gemma3-tiny", Gemma3TextConfig(**SMALL, num_key_value_heads=2, head_dim=8,
                                          query_pre_attn_scalar=8, sliding_window=4,
                                          layer_types=["sliding_attention", "full_attention"]), {}
    yield "gptneox-tiny", GPTNeoXConfig(**SMALL, rotary_pct=0.25, use_parallel_residual=True), {}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/models"
    os.makedirs(out, exist_ok=True)
    for name, cfg, opts in configs():
        torch.manual_seed(SEED)
        model = AutoModelForCausalLM.from_config(cfg)
        if "dtype" in opts:
            model = model.to(opts["dtype"])
        model.eval()
        path = os.path.join(out, name)
        shutil.rmtree(path, ignore_errors=True)
        kwargs = {"safe_serialization": True}
        if "max_shard_size" in opts:
            kwargs["max_shard_size"] = opts["max_shard_size"]
        model.save_pretrained(path, **kwargs)
        c = model.config
        oracle = {
            "script": "tools/oracle/make_tiny_models.py",
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "seed": SEED,
            "model_type": c.model_type,
            "architecture": type(model).__name__,
            "num_parameters": model.num_parameters(),
            "n_layer": c.num_hidden_layers,
            "d_model": c.hidden_size,
            "n_head": c.num_attention_heads,
            "n_head_kv": getattr(c, "num_key_value_heads", c.num_attention_heads),
            "d_head": getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads,
            "d_ff": c.intermediate_size,
            "n_vocab": c.vocab_size,
            "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        }
        with open(os.path.join(path, "oracle.json"), "w") as f:
            json.dump(oracle, f, indent=1)
        print(name, oracle["num_parameters"], sorted(os.listdir(path)))


if __name__ == "__main__":
    main()
