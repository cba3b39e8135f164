"""Writes a full-size model folder with random bfloat16 weights, shaped like a
published model (its config.json values), for the forward-pass benchmark.

usage: python make_random_model.py SHAPE OUTDIR
SHAPE: gemma-2b | gemma-7b | pythia-1.4b

The safetensors file is streamed tensor by tensor (a 7B model never sits in
memory). The tokenizer files are copied from the matching test fixture (a
small trained vocabulary; every id it emits is a valid embedding row).
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "tests", "fixtures", "forward")

# Values of the published config.json files.
SHAPES = {
    "gemma-2b": dict(model_type="gemma", architectures=["GemmaForCausalLM"], vocab_size=256000,
                     hidden_size=2048, intermediate_size=16384, num_hidden_layers=18,
                     num_attention_heads=8, num_key_value_heads=1, head_dim=256,
                     hidden_act="gelu", rms_norm_eps=1e-6, rope_theta=10000.0,
                     max_position_embeddings=8192, tie_word_embeddings=True,
                     bos_token_id=2, eos_token_id=1, pad_token_id=0, torch_dtype="bfloat16"),
    "gemma-7b": dict(model_type="gemma", architectures=["GemmaForCausalLM"], vocab_size=256000,
                     hidden_size=3072, intermediate_size=24576, num_hidden_layers=28,
                     num_attention_heads=16, num_key_value_heads=16, head_dim=256,
                     hidden_act="gelu", rms_norm_eps=1e-6, rope_theta=10000.0,
                     max_position_embeddings=8192, tie_word_embeddings=True,
                     bos_token_id=2, eos_token_id=1, pad_token_id=0, torch_dtype="bfloat16"),
    "pythia-1.4b": dict(model_type="gpt_neox", architectures=["GPTNeoXForCausalLM"],
                        vocab_size=50304, hidden_size=2048, intermediate_size=8192,
                        num_hidden_layers=24, num_attention_heads=16, rotary_pct=0.25,
                        rotary_emb_base=10000, max_position_embeddings=2048,
                        use_parallel_residual=True, layer_norm_eps=1e-5, hidden_act="gelu",
                        tie_word_embeddings=False, bos_token_id=0, eos_token_id=0,
                        torch_dtype="bfloat16"),
}


def tensors(c):
    H, F, V, L = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["num_hidden_layers"]
    if c["model_type"] == "gpt_neox":
        yield "gpt_neox.embed_in.weight", (V, H), "embed"
        for i in range(L):
            p = f"gpt_neox.layers.{i}."
            for n in ("input_layernorm", "post_attention_layernorm"):
                yield p + n + ".weight", (H,), "one"
                yield p + n + ".bias", (H,), "zero"
            yield p + "attention.query_key_value.weight", (3 * H, H), "w"
            yield p + "attention.query_key_value.bias", (3 * H,), "zero"
            yield p + "attention.dense.weight", (H, H), "w"
            yield p + "attention.dense.bias", (H,), "zero"
            yield p + "mlp.dense_h_to_4h.weight", (F, H), "w"
            yield p + "mlp.dense_h_to_4h.bias", (F,), "zero"
            yield p + "mlp.dense_4h_to_h.weight", (H, F), "w"
            yield p + "mlp.dense_4h_to_h.bias", (H,), "zero"
        yield "gpt_neox.final_layer_norm.weight", (H,), "one"
        yield "gpt_neox.final_layer_norm.bias", (H,), "zero"
        yield "embed_out.weight", (V, H), "w"
        return
    D, nh, nkv = c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
    yield "model.embed_tokens.weight", (V, H), "embed"
    for i in range(L):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (H,), "zero"
        yield p + "self_attn.q_proj.weight", (nh * D, H), "w"
        yield p + "self_attn.k_proj.weight", (nkv * D, H), "w"
        yield p + "self_attn.v_proj.weight", (nkv * D, H), "w"
        yield p + "self_attn.o_proj.weight", (H, nh * D), "w"
        yield p + "post_attention_layernorm.weight", (H,), "zero"
        yield p + "mlp.gate_proj.weight", (F, H), "w"
        yield p + "mlp.up_proj.weight", (F, H), "w"
        yield p + "mlp.down_proj.weight", (H, F), "w"
    yield "model.norm.weight", (H,), "zero"


def bf16_bits(a):
    """float32 -> bfloat16 bit patterns, rounded to nearest even."""
    u = a.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def main():
    shape, out = sys.argv[1], sys.argv[2]
    c = SHAPES[shape]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    fx = os.path.join(FIX, "gptneox-f32" if c["model_type"] == "gpt_neox" else "gemma-f32")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(fx, name), out)
    meta, off = {}, 0
    items = list(tensors(c))
    for name, shp, kind in items:
        n = int(np.prod(shp)) * 2
        meta[name] = {"dtype": "BF16", "shape": list(shp), "data_offsets": [off, off + n]}
        off += n
    header = json.dumps(meta, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    rng = np.random.default_rng(0)
    path = os.path.join(out, "model.safetensors")
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for name, shp, kind in items:
            n = int(np.prod(shp))
            for start in range(0, n, 1 << 24):
                k = min(1 << 24, n - start)
                if kind == "zero":
                    a = np.zeros(k, np.float32)
                elif kind == "one":
                    a = np.ones(k, np.float32)
                else:
                    a = rng.standard_normal(k, dtype=np.float32) * (1.0 if kind == "embed" else 0.02)
                f.write(bf16_bits(a).tobytes())
    os.replace(path + ".tmp", path)
    print(path, off + 8 + len(header), "bytes")


if __name__ == "__main__":
    main()
