"""Against the CLI: the same hidden states (bit for bit), token records and
report as `aniso hidden` and `aniso profile` for the same inputs and threads."""

import json

import numpy as np
import pytest

import aniso
from conftest import FIXTURES, load_prompts, write_jsonl


def cli_hidden(cli, tmp_path, model, prompts_file=None, *extra):
    out = tmp_path / "states.npy"
    args = ["hidden", "--quiet", "--threads", "2", "--out", out, *extra]
    if prompts_file:
        args += ["--prompts", prompts_file]
    cli(*args, model)
    with open(tmp_path / "states.tokens.json", encoding="utf-8") as f:
        return np.load(out), json.load(f)


@pytest.mark.parametrize("name", ["gpt2-f32", "llama-f32"])
def test_hidden_equals_cli(cli, tmp_path, name):
    model = FIXTURES / "forward" / name
    texts = load_prompts(name)["prompts"]
    want, meta = cli_hidden(cli, tmp_path, model, write_jsonl(tmp_path / "p.jsonl", texts))
    with aniso.Model(model) as m:
        H, tokens = m.hidden_states(texts, threads=2)
        assert np.array_equal(H, want)
        assert tokens == meta["tokens"]
        assert list(H.shape) == meta["shape"]
        # a subset of layers is the same rows (the pass stops after the last one)
        sub, _ = m.hidden_states(texts, layers=[0, 2], threads=2)
        assert np.array_equal(sub, want[[0, 2]])
        sub, _ = m.hidden_states(texts, layers="1-2", threads=2)
        assert np.array_equal(sub, want[1:3])


def test_last_layer_both_equals_cli(cli, tmp_path):
    model = FIXTURES / "forward" / "gemma2-f32"
    texts = load_prompts("gemma2-f32")["prompts"]
    want, meta = cli_hidden(cli, tmp_path, model, write_jsonl(tmp_path / "p.jsonl", texts), "--last-layer", "both")
    with aniso.Model(model) as m:
        H, tokens = m.hidden_states(texts, last_layer="both", threads=2)
    assert H.shape == want.shape and H.shape[0] == m.config["n_layers"] + 2
    assert np.array_equal(H, want)
    assert tokens == meta["tokens"]


def test_default_model_equals_cli(cli, tmp_path, default_model_path):
    """The three-line snippet: the default model on the notebook's 16 prompts."""
    want, meta = cli_hidden(cli, tmp_path, "gemma-3-270m")
    m = aniso.Model("gemma-3-270m")
    H, tokens = m.hidden_states(threads=2)
    assert np.array_equal(H, want)
    assert tokens == meta["tokens"]
    assert [t["prompt"] for t in tokens][-1] == len(aniso.default_prompts()) - 1 == 15
    m.close()


def without_timing(report):
    """The report without its timings (the bootstrap's "seconds" too)."""

    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("timing_seconds", "seconds")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(report)


@pytest.mark.parametrize(
    "name,opts,cli_opts",
    [
        ("gpt2-f32", {}, []),
        ("llama-f32", {"exclude": ("bos", "first"), "positions": (1, None)}, ["--exclude", "bos,first", "--positions", "1:"]),
        ("gemma3-f32", {"layers": [0, 1, 2], "last_layer": "both"}, ["--layers", "0,1,2", "--last-layer", "both"]),
    ],
)
def test_profile_equals_cli(cli, tmp_path, name, opts, cli_opts):
    model = FIXTURES / "forward" / name
    texts = load_prompts(name)["prompts"]
    pf = write_jsonl(tmp_path / "prompts.jsonl", texts)
    cli_out = tmp_path / "cli"
    cli("profile", "--quiet", "--threads", "2", "--prompts", pf, "--out", cli_out, *cli_opts, model)
    (want_file,) = cli_out.glob("anisotropy_results_*.json")
    want = json.loads(want_file.read_text())
    with aniso.Model(model) as m:
        py_out = tmp_path / "py"
        got = m.profile(pf, out_dir=py_out, threads=2, **opts)
        assert without_timing(got) == without_timing(want)
        assert (py_out / want_file.name).is_file()
        # texts from memory: the same numbers (the input path names a temporary file)
        mem = m.profile(texts, threads=2, **opts)
    mem = without_timing(mem)
    assert mem["token_selection"]["input"].pop("path") != str(pf)
    w = without_timing(want)
    w["token_selection"]["input"].pop("path")
    assert mem == w


def test_profile_default_prompts_equals_cli(cli, tmp_path, default_model_path):
    cli("profile", "--quiet", "--threads", "2", "--out", tmp_path, "gemma-3-270m")
    (want_file,) = tmp_path.glob("anisotropy_results_*.json")
    got = aniso.Model("gemma-3-270m").profile(threads=2)
    assert without_timing(got) == without_timing(json.loads(want_file.read_text()))
    assert got["n_prompts"] == 16
