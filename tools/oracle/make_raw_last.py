"""The pre-final-norm last state of every forward fixture: the residual
stream after the last decoder block, which transformers' hidden_states does
not return (its last entry is after the final norm). Captured with a forward
hook on the final norm's input, prompt by prompt, stacked in prompt order as
hidden.npy is; written as raw_last.npy (n_tokens, hidden) in each folder.

Run with the version that made the folders:
  PY=$(tools/oracle/venv.sh) && "$PY" tools/oracle/make_raw_last.py tests/fixtures/forward
  PY5=$(tools/oracle/venv.sh 5) && "$PY5" tools/oracle/make_raw_last.py tests/fixtures/forward-v5
Folder names after the root restrict the run to those folders, e.g.
  "$PY" tools/oracle/make_raw_last.py tests/fixtures/forward gpt2-f32 qwen2-f32
The prompts run in prompts.json's order on one freshly loaded model, as
make_forward_fixtures.py runs them (dynamic rope is stateful).
"""
import json
import os
import sys

import numpy as np
import torch
from transformers import AutoModelForCausalLM


def final_norm(model):
    if hasattr(model, "transformer"):  # GPT-2
        return model.transformer.ln_f
    inner = model.model if hasattr(model, "model") else model.gpt_neox
    return inner.norm if hasattr(inner, "norm") else inner.final_layer_norm


def main():
    root, only = sys.argv[1], set(sys.argv[2:])
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if not os.path.exists(os.path.join(path, "prompts.json")):
            continue
        if only and name not in only:
            continue
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32,
                                                     attn_implementation="eager")
        model.eval()
        caught = []
        hook = final_norm(model).register_forward_hook(
            lambda mod, args, out: caught.append(args[0][0].detach().float().numpy().copy()))
        ids = json.load(open(os.path.join(path, "prompts.json")))["ids"]
        with torch.no_grad():
            for seq in ids:
                hs = model(input_ids=torch.tensor([seq]), output_hidden_states=True).hidden_states
                # the hook saw the last block's output; its norm is hidden_states[-1]
                # (the check's own call of the norm is caught too, and dropped)
                normed = final_norm(model)(torch.tensor(caught[-1])).numpy()
                caught.pop()
                assert np.array_equal(normed, hs[-1][0].numpy())
        hook.remove()
        raw = np.vstack(caught).astype(np.float32)
        np.save(os.path.join(path, "raw_last.npy"), raw)
        print(name, raw.shape, type(final_norm(model)).__name__)
    if only - set(os.listdir(root)):
        sys.exit(f"no such folder: {sorted(only - set(os.listdir(root)))}")


if __name__ == "__main__":
    main()
