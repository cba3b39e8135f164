"""Against transformers: token ids and every layer's hidden states of the
fixtures in tests/fixtures/forward (tests/test_forward.c's bound)."""

import numpy as np
import pytest

import aniso
from conftest import FIXTURES, load_prompts, rel_err

BOUND = 1e-5

# (model to open, fixture folder with prompts.json and hidden.npy)
CASES = [
    ("forward/gpt2-f32", "gpt2-f32"),  # GPT-2: LayerNorm, Conv1D weights, learned positions
    ("forward/gemma3-f32", "gemma3-f32"),  # Gemma 3: sandwich norms, sliding layers
    ("gguf/qwen3-bf16.gguf", "qwen3-bf16"),  # a GGUF file, with its own vocabulary
]


@pytest.mark.parametrize("model,name", CASES, ids=[c[1] for c in CASES])
def test_tokenize_matches_transformers(model, name):
    p = load_prompts(name)
    with aniso.Model(FIXTURES / model) as m:
        got = m.tokenize(p["prompts"])
    assert [ids for ids, _ in got] == p["ids"]
    for ids, toks in got:
        assert len(ids) == len(toks) and all(isinstance(t, str) for t in toks)


@pytest.mark.parametrize("model,name", CASES, ids=[c[1] for c in CASES])
def test_hidden_states_match_transformers(model, name):
    p = load_prompts(name)
    ref = np.load(FIXTURES / "forward" / name / "hidden.npy")
    with aniso.Model(FIXTURES / model) as m:
        H, tokens = m.hidden_states(p["prompts"], threads=2)
        assert H.dtype == np.float32 and H.flags.c_contiguous
        assert H.shape == ref.shape == (m.config["n_layers"] + 1, sum(map(len, p["ids"])), m.config["hidden_size"])
    assert [t["id"] for t in tokens] == [i for ids in p["ids"] for i in ids]
    for layer in range(ref.shape[0]):
        assert rel_err(H[layer], ref[layer]) <= BOUND, f"{name} layer {layer}"


@pytest.mark.parametrize("name", ["gpt2-f32", "gemma3-f32"])
def test_raw_last_layer_matches_transformers(name):
    p = load_prompts(name)
    raw = np.load(FIXTURES / "forward" / name / "raw_last.npy")
    with aniso.Model(FIXTURES / "forward" / name) as m:
        H, _ = m.hidden_states(p["prompts"], layers=[-1], last_layer="raw", threads=2)
    assert H.shape == (1,) + raw.shape
    assert rel_err(H[0], raw) <= BOUND
