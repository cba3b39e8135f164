"""GGUF versions of forward-pass fixtures, written as llama.cpp's converter
(convert_hf_to_gguf.py) writes them, to test that aniso undoes every change
the converter makes. The reference stays transformers' hidden states of the
original Hugging Face model (tests/fixtures/forward/NAME/hidden.npy).

What the converter does, per family (GGUF.md section 4; the llama.cpp
conversion code):
  all     names mapped to GGUF's (blk.N.attn_q, ...), shapes written reversed
          (gguf-py does this), 1-D tensors and norms stored as F32
  llama   q_proj/k_proj weights and biases permuted for adjacent-pair RoPE:
          reshape (heads, 2, D/2, ...) and swap the middle axes (K with the
          KV head count)
  gemma*  every *norm.weight stored as 1 + w
  gptneox query_key_value regrouped from per-head [q k v] to [all q; all k; all v]

Vocabularies: the gptneox fixture's byte-level BPE is written as a "gpt2"
vocabulary (tokens, merges, token types), to test aniso's GGUF BPE path
against the ids AutoTokenizer gave for the fixture's prompts.

(Gemma 3 fixtures are left out: GGUF cannot say which layers slide or which
rope scaling applies to which layers, so llama.cpp hard-codes Gemma 3's
pattern; the real Gemma 3 270M file covers that family.)

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_gguf_fixtures.py [OUTDIR]
"""
import json
import os
import sys

import numpy as np
from gguf import GGUFWriter, GGMLQuantizationType as T
from safetensors.numpy import load_file

SRC = "tests/fixtures/forward"
FIXTURES = ["llama-f32", "gemma-bf16", "gemma2-f16", "gptneox-f32"]

HF2GGUF = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm", "pre_feedforward_layernorm": "ffn_norm",
    "post_feedforward_layernorm": "post_ffw_norm", "input_layernorm": "attn_norm",
    "attention.query_key_value": "attn_qkv", "attention.dense": "attn_output",
    "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down",
}


def gguf_name(name, arch):
    glob = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output",
            "gpt_neox.embed_in": "token_embd", "gpt_neox.final_layer_norm": "output_norm",
            "embed_out": "output"}
    base, kind = name.rsplit(".", 1)
    if base in glob:
        return f"{glob[base]}.{kind}"
    parts = base.split(".")
    n, rest = parts[2] if parts[0] == "model" else parts[2], ".".join(parts[3:])
    if rest == "post_attention_layernorm":
        rest_g = "post_attention_norm" if arch in ("gemma2", "gemma3") else "ffn_norm"
    else:
        rest_g = HF2GGUF[rest]
    return f"blk.{n}.{rest_g}.{kind}"


def permute(w, n_head, n_head_kv):
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/gguf"
    os.makedirs(out, exist_ok=True)
    for fx in FIXTURES:
        src = os.path.join(SRC, fx)
        cfg = json.load(open(os.path.join(src, "config.json")))
        mt = cfg["model_type"]
        arch = {"llama": "llama", "gemma": "gemma", "gemma2": "gemma2", "gemma3_text": "gemma3", "gpt_neox": "gptneox"}[mt]
        sd = {k: v.astype(np.float32) if v.dtype != np.float32 else v
              for k, v in load_file(os.path.join(src, "model.safetensors")).items()} \
            if not fx.endswith(("bf16", "f16")) else None
        if sd is None:  # bf16/f16 safetensors: load through torch for bfloat16
            import torch
            from safetensors.torch import load_file as tload
            sd = {k: v.to(torch.float32).numpy() for k, v in tload(os.path.join(src, "model.safetensors")).items()}
        H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
        nkv = cfg.get("num_key_value_heads") or nh
        D = cfg.get("head_dim") or H // nh
        path = os.path.join(out, fx + ".gguf")
        w = GGUFWriter(path, arch)
        w.add_context_length(cfg.get("max_position_embeddings", 256))
        w.add_embedding_length(H)
        w.add_block_count(cfg["num_hidden_layers"])
        w.add_feed_forward_length(cfg["intermediate_size"])
        w.add_head_count(nh)
        if arch != "gptneox":
            w.add_head_count_kv(nkv)
            w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
            w.add_rope_freq_base(cfg.get("rope_theta", 10000.0))
        if arch == "llama":
            w.add_rope_dimension_count(D)
        if arch.startswith("gemma"):
            w.add_key_length(D)
            w.add_value_length(D)
        if arch == "gemma2":
            w.add_sliding_window(cfg["sliding_window"])
        if arch == "gemma2":
            w.add_float32("gemma2.attn_logit_softcapping", cfg["attn_logit_softcapping"])
        if arch == "gptneox":
            w.add_rope_dimension_count(int(D * cfg["rotary_pct"]))
            w.add_layer_norm_eps(cfg["layer_norm_eps"])
            w.add_bool("gptneox.use_parallel_residual", cfg["use_parallel_residual"])
            w.add_float32("gptneox.rope.freq_base", float(cfg.get("rotary_emb_base", 10000)))
            tok = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
            vocab = tok["model"]["vocab"]
            toks = [None] * len(vocab)
            for t, i in vocab.items():
                toks[i] = t
            types = [1] * len(toks)
            for a in tok["added_tokens"]:
                types[a["id"]] = 3 if a["special"] else 4
            merges = [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]
            w.add_tokenizer_model("gpt2")
            w.add_tokenizer_pre("gpt-2")
            w.add_token_list(toks)
            w.add_token_types(types)
            w.add_token_merges(merges)
            w.add_add_bos_token(False)
        for name, t in sd.items():
            g = gguf_name(name, arch)
            if arch == "llama" and name.endswith(("q_proj.weight", "q_proj.bias")):
                t = permute(t, nh, nh)
            if arch == "llama" and name.endswith(("k_proj.weight", "k_proj.bias")):
                t = permute(t, nh, nkv)
            if arch.startswith("gemma") and name.endswith("norm.weight"):
                t = t + np.float32(1.0)
            if arch == "gptneox" and "query_key_value" in name:
                if name.endswith("weight"):
                    q = t.reshape(nh, 3, D, H)
                    t = np.concatenate([q[:, 0].reshape(-1, H), q[:, 1].reshape(-1, H), q[:, 2].reshape(-1, H)])
                else:
                    q = t.reshape(nh, 3, D)
                    t = np.concatenate([q[:, 0].reshape(-1), q[:, 1].reshape(-1), q[:, 2].reshape(-1)])
            t = np.ascontiguousarray(t.astype(np.float32))
            # 2-D weights as F16 where the source was 16-bit (as the converter
            # would keep them), else F32; norms and 1-D tensors always F32.
            if t.ndim == 2 and fx.endswith(("bf16", "f16")):
                w.add_tensor(g, t.astype(np.float16))
            else:
                w.add_tensor(g, t)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        print(fx, "->", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
