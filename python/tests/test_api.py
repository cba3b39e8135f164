"""The Python API itself: errors, callbacks, config, ABI checks."""

import ctypes

import numpy as np
import pytest

import aniso
from aniso import _lib
from conftest import FIXTURES, load_prompts

GPT2 = FIXTURES / "forward" / "gpt2-f32"


@pytest.fixture(scope="module")
def gpt2():
    with aniso.Model(GPT2) as m:
        yield m


def test_abi_sizes_match_the_library():
    sizeof = _lib.lib.aniso_abi_sizeof
    for name, cls in _lib.MIRRORED.items():
        assert sizeof(name.encode()) == ctypes.sizeof(cls) > 0, name
    assert sizeof(b"no_such_struct") == 0


def test_config(gpt2):
    c = gpt2.config
    assert c["architecture"] == "gpt2" and c["family"] == "GPT-2"
    assert c["norm"] == "LayerNorm" and c["activation"] == "gelu_new"
    for k in ("n_layers", "hidden_size", "n_heads", "n_kv_heads", "head_dim", "intermediate_size", "vocab_size"):
        assert isinstance(c[k], int) and c[k] > 0, k
    assert c["n_hidden_states"] == c["n_layers"] + 1
    assert sum(c["dtypes"].values()) == c["n_params"] > 0
    assert "GPT-2" in repr(gpt2)


def test_missing_model_raises_not_found(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(aniso.NotFoundError) as e:
        aniso.Model(missing)
    assert str(missing) in str(e.value) and e.value.message == str(e.value)
    assert e.value.status_name == "NOT_FOUND" and isinstance(e.value, aniso.Error)


def test_default_model_missing_message(monkeypatch, tmp_path):
    monkeypatch.setenv("ANISO_MODELS", str(tmp_path))
    with pytest.raises(aniso.NotFound, match="gemma-3-270m: not downloaded yet"):
        aniso.Model("gemma-3-270m")


def test_malformed_file_raises_format_error(tmp_path):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(aniso.FormatError) as e:
        aniso.Model(bad)
    assert "config.json" in e.value.message


def test_bad_arguments(gpt2):
    with pytest.raises(aniso.InvalidArgumentError, match="layers"):
        gpt2.hidden_states(["a b"], layers=[99])
    with pytest.raises(aniso.InvalidArgumentError):
        gpt2.hidden_states(["a b"], layers="x")
    with pytest.raises(aniso.InvalidArgumentError, match="last_layer"):
        gpt2.hidden_states(["a b"], last_layer="final")
    with pytest.raises(aniso.InvalidArgumentError):
        gpt2.profile(exclude=("eos",))
    with pytest.raises(aniso.InvalidArgumentError):
        gpt2.profile(texts=["a"], corpus=["b"])


def test_empty_prompt_is_the_library_error(gpt2):
    with pytest.raises(aniso.Error) as e:
        gpt2.hidden_states(["fine", ""])
    assert e.value.message


def test_streaming_callback_order(gpt2):
    texts = load_prompts("gpt2-f32")["prompts"][:3]
    H, _ = gpt2.hidden_states(texts, threads=2)
    seen = []

    def on_layer(layer, x):
        assert not x.flags.writeable and x.dtype == np.float32
        assert np.array_equal(x, H[layer])
        seen.append(layer)

    out, tokens = gpt2.hidden_states(texts, on_layer=on_layer, threads=2)
    assert out is None and len(tokens) == H.shape[1]
    assert seen == list(range(H.shape[0]))
    seen.clear()
    gpt2.hidden_states(texts, layers=[2, 0], on_layer=on_layer, threads=2)
    assert seen == [0, 2]


def test_callback_exception_stops_the_pass(gpt2):
    calls = []

    def on_layer(layer, x):
        calls.append(layer)
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        gpt2.hidden_states(["one two three"], on_layer=on_layer)
    assert calls == [0]
    H, _ = gpt2.hidden_states(["one two three"])  # the model is still usable
    assert H.shape[0] == gpt2.config["n_layers"] + 1


def test_progress_callbacks(gpt2):
    calls = []
    gpt2.hidden_states(["one two three"], progress=lambda done, total: calls.append((done, total)))
    L = gpt2.config["n_layers"]
    assert calls == [(i, L) for i in range(1, L + 1)]
    calls.clear()
    gpt2.hidden_states(["one two three"], layers=[1], progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]
    calls.clear()
    gpt2.profile(["one two three", "four five six"], progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1] == (2, 2)


def test_tokenize(gpt2):
    (ids, toks), = gpt2.tokenize("Water boils")
    assert len(ids) == len(toks) > 0
    assert isinstance(gpt2.tokenize(["Water boils"], add_special=False)[0][0], list)
    table = gpt2.hidden_states(["Water boils"])[1]
    assert [t["id"] for t in table] == ids and [t["token"] for t in table] == toks
    assert table[0]["roles"].split(",")[0] in ("first", "bos")


def test_profile_reference_and_corpus(gpt2, tmp_path):
    r1 = gpt2.profile(out_dir=tmp_path / "a", formats=("svg",))
    assert (tmp_path / "a").is_dir() and list((tmp_path / "a").glob("*.svg"))
    ref = next((tmp_path / "a").glob("anisotropy_results_*.json"))
    r2 = gpt2.profile(reference=ref)
    assert r2["reference"]["profile_range"] == pytest.approx(r1["profile_range"])
    r3 = gpt2.profile(reference={"name": "mine", "profile_range": 0.5, "max_anisotropy": 0.9, "L_star": 1})
    assert r3["reference"]["profile_range"] == 0.5
    docs = ["One document about water.\nIt has two lines.", "Another one, about fire."]
    r4 = gpt2.profile(corpus=docs, context=8)
    assert r4["token_selection"]["input"]["kind"] == "corpus"


def test_closed_model(tmp_path):
    m = aniso.Model(GPT2)
    m.close()
    m.close()
    with pytest.raises(aniso.Error, match="closed"):
        m.hidden_states(["x"])


def test_gil_released_during_calls():
    # ctypes.CDLL (not PyDLL) releases the GIL around every foreign call
    assert isinstance(_lib.lib, ctypes.CDLL) and not isinstance(_lib.lib, ctypes.PyDLL)


def test_threads_share_a_model(gpt2):
    import threading

    want, _ = gpt2.hidden_states(["a b c", "d e"], threads=1)
    got = [None] * 4

    def work(i):
        got[i] = gpt2.hidden_states(["a b c", "d e"], threads=1)[0]

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(np.array_equal(g, want) for g in got)


def test_tqdm_progress(gpt2):
    pytest.importorskip("tqdm")
    gpt2.hidden_states(["a b"], progress=aniso.tqdm_progress(disable=True))


def test_abi_mismatch_is_an_import_error(monkeypatch):
    class Short(ctypes.Structure):
        _fields_ = [("code", ctypes.c_int)]

    monkeypatch.setitem(_lib.MIRRORED, "aniso_error", Short)
    with pytest.raises(ImportError, match="aniso_error: C sizeof 1028, ctypes 4"):
        _lib._check_abi()


def test_profile_json_only(tmp_path, gpt2):
    """formats=() writes the JSON report alone; the dict is the same."""
    r = gpt2.profile(out_dir=tmp_path / "j", formats=())
    assert [p.name for p in (tmp_path / "j").iterdir()] == ["anisotropy_results_gpt2-f32.json"]
    assert r["n_layers"] == 3


def test_kernel_variants_agree(gpt2):
    """Every variant this machine runs gives the same hidden states to 1e-5
    (the fixtures' own comparison with transformers is in test_fixtures)."""
    avail = aniso.available_kernels()
    # the best is chosen by itself (amx only where its self-check passed)
    best = aniso.kernels()
    assert "generic" in avail and best in (avail[-1], "avx512")
    texts = load_prompts("gpt2-f32")["prompts"][:3]
    try:
        states = {}
        for v in avail:
            aniso.set_kernels(v)
            assert aniso.kernels() == v
            states[v], _ = gpt2.hidden_states(texts, threads=2)
        for v in avail:
            np.testing.assert_allclose(states[v], states["generic"], rtol=1e-5, atol=1e-5)
        with pytest.raises(aniso.InvalidArgumentError, match="not a kernel variant"):
            aniso.set_kernels("sse9")
        assert aniso.kernels() in avail
    finally:
        aniso.set_kernels(None)
    assert aniso.kernels() == best
