"""Writes a full-size GGUF file with random weights, shaped like gemma-2b (the
published config's values, as bench/make_random_model.py uses them), in one
weight type: F16, Q8_0 or Q4_K, for the forward-pass benchmark.

usage: python make_random_gguf.py SHAPE TYPE OUT.gguf   (SHAPE: gemma-2b; TYPE: F16 | Q8_0 | Q4_K)

Block-quantized weights are random blocks with small finite scales (a
speed benchmark needs valid blocks, not trained values); norms are F32 and
the token embedding F16. The file has no vocabulary: bench_forward then
feeds fixed token ids of the prompts' lengths.
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFWriter

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from make_random_model import SHAPES  # noqa: E402

BLOCK = {"Q8_0": (32, 34), "Q4_K": (256, 144)}


def block_bytes(rng, qtype, rows, cols):
    """rows x cols values of qtype as random blocks: (rows, bytes per row) uint8."""
    n, size = BLOCK[qtype]
    b = rng.integers(0, 256, size=(rows, cols // n, size), dtype=np.uint8)
    scale = np.frombuffer(np.float16(1e-3).tobytes(), dtype=np.uint8)
    b[:, :, 0:2] = scale  # d
    if qtype == "Q4_K":
        b[:, :, 2:4] = scale  # dmin
    return b.reshape(rows, -1)


def main():
    shape, qtype, out = sys.argv[1:4]
    c = SHAPES[shape]
    assert c["model_type"] == "gemma", "only Gemma shapes"
    H, F, V, L = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["num_hidden_layers"]
    nh, nkv, D = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    rng = np.random.default_rng(0)
    w = GGUFWriter(out, "gemma")
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(F)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_rope_freq_base(c["rope_theta"])
    w.add_key_length(D)
    w.add_value_length(D)

    def weight(name, rows, cols):
        if qtype == "F16":
            t = (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float16)
            w.add_tensor(name, t)
        else:
            w.add_tensor(name, block_bytes(rng, qtype, rows, cols), raw_dtype=getattr(T, qtype))

    emb = (rng.standard_normal((V, H), dtype=np.float32) * 0.02).astype(np.float16)
    w.add_tensor("token_embd.weight", emb)
    for i in range(L):
        p = f"blk.{i}."
        # GGUF Gemma norms hold 1 + w (the converter adds the 1)
        w.add_tensor(p + "attn_norm.weight", np.ones(H, dtype=np.float32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(H, dtype=np.float32))
        weight(p + "attn_q.weight", nh * D, H)
        weight(p + "attn_k.weight", nkv * D, H)
        weight(p + "attn_v.weight", nkv * D, H)
        weight(p + "attn_output.weight", H, nh * D)
        weight(p + "ffn_gate.weight", F, H)
        weight(p + "ffn_up.weight", F, H)
        weight(p + "ffn_down.weight", H, F)
    w.add_tensor("output_norm.weight", np.ones(H, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
