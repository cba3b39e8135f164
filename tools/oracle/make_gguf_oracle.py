"""Reference hidden states of the real Gemma 3 270M GGUF (Q4_K_M), for the
test that runs aniso on the same file.

Two routes to float32 weights, compared before either is trusted:
  A. transformers' own GGUF loader (from_pretrained(gguf_file=...)), which
     dequantizes with the gguf package and maps the names;
  B. by hand: the gguf package's dequantizers, the GGUF names mapped to the
     Hugging Face ones, and 1 subtracted from every Gemma norm weight (the
     llama.cpp converter stores 1 + w), loaded into Gemma3ForCausalLM.
Route B is what the converter's code implies; the script stops unless A
agrees with it.

The prompts are the notebook's 16, tokenized with the real Gemma 3
tokenizer.json (the `tokenizers` library). Writes tests/fixtures/gguf/:
  oracle.json   versions, the routes' agreement, ids per prompt, per-layer
                max |h| over all tokens, the indices of the stored rows
  rows.npy      float32 (L+1, k, hidden): full hidden-state rows of k tokens

Usage: PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_gguf_oracle.py MODEL.gguf TOKENIZER.json [OUTDIR]
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from gguf import GGUFReader
from gguf.quants import dequantize
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, Gemma3ForCausalLM

sys.path.insert(0, os.path.dirname(__file__))
from make_forward_fixtures import PROMPTS  # noqa: E402

NAMES = {
    "token_embd": "model.embed_tokens", "output_norm": "model.norm",
    "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
    "post_attention_norm": "post_attention_layernorm", "ffn_norm": "pre_feedforward_layernorm",
    "post_ffw_norm": "post_feedforward_layernorm", "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
}


def hf_name(gguf_name):
    base, kind = gguf_name.rsplit(".", 1)
    if base.startswith("blk."):
        _, n, rest = base.split(".", 2)
        return f"model.layers.{n}.{NAMES[rest]}.{kind}"
    return f"{NAMES[base]}.{kind}"


def hidden_states(model, ids_list):
    out = None
    with torch.no_grad():
        for ids in ids_list:
            hs = model(torch.tensor([ids]), output_hidden_states=True).hidden_states
            cur = [h[0].float().numpy() for h in hs]
            out = cur if out is None else [np.vstack([a, b]) for a, b in zip(out, cur)]
    return np.stack(out)


def main():
    gguf_path, tok_path = sys.argv[1], sys.argv[2]
    outdir = sys.argv[3] if len(sys.argv) > 3 else "tests/fixtures/gguf"
    os.makedirs(outdir, exist_ok=True)
    tok = Tokenizer.from_file(tok_path)
    ids_list = [tok.encode(p, add_special_tokens=True).ids for p in PROMPTS[:16]]

    # Route A: transformers' GGUF loader.
    a = AutoModelForCausalLM.from_pretrained(os.path.dirname(os.path.abspath(gguf_path)),
                                             gguf_file=os.path.basename(gguf_path),
                                             dtype=torch.float32, attn_implementation="eager")
    a.eval()
    # Route B: dequantize and map by hand.
    r = GGUFReader(gguf_path)
    sd = {}
    for t in r.tensors:
        w = dequantize(t.data, t.tensor_type).astype(np.float32)
        w = w.reshape([int(x) for x in reversed(t.shape)]) if len(t.shape) > 1 else w.reshape(-1)
        name = hf_name(t.name)
        if "norm" in t.name:
            w = w - np.float32(1.0)  # the converter stored 1 + w
        sd[name] = torch.from_numpy(np.ascontiguousarray(w))
    b = Gemma3ForCausalLM(a.config).to(torch.float32)
    missing, unexpected = b.load_state_dict(sd, strict=False)
    assert not unexpected and all("lm_head" in m for m in missing), (missing, unexpected)
    b.tie_weights()
    b.eval()
    ha, hb = hidden_states(a, ids_list), hidden_states(b, ids_list)
    agree = float(np.abs(ha - hb).max() / np.abs(hb).max())
    print("routes A and B: max |A - B| / max |B| =", agree)
    if agree > 1e-6:
        sys.exit("transformers' GGUF route disagrees with the converter's semantics; not writing")
    T = hb.shape[1]
    rows = sorted({0, 1, 5, T // 2, T - 1})
    np.save(os.path.join(outdir, "rows.npy"), hb[:, rows, :].astype(np.float32))
    c = b.config
    oracle = {
        "script": "tools/oracle/make_gguf_oracle.py", "transformers": transformers.__version__,
        "torch": torch.__version__, "model_sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "routes_agree": agree, "attn_implementation": "eager", "compute_dtype": "float32",
        "config": {"layer_types": c.layer_types, "sliding_window": c.sliding_window,
                   "rope_theta": c.rope_theta, "rope_local_base_freq": c.rope_local_base_freq,
                   "query_pre_attn_scalar": c.query_pre_attn_scalar,
                   "hidden_activation": c.hidden_activation},
        "prompts": PROMPTS[:16], "ids": ids_list, "n_tokens": int(T),
        "layer_max_abs": [float(np.abs(hb[l]).max()) for l in range(hb.shape[0])],
        "rows": rows,
    }
    with open(os.path.join(outdir, "oracle.json"), "w") as f:
        json.dump(oracle, f, indent=1)
    print("layers", hb.shape[0], "tokens", T, "rows", rows)


if __name__ == "__main__":
    main()
