"""Shared fixtures: the repository, its test fixtures, the CLI to compare with."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def cli_path() -> Path:
    return Path(os.environ.get("ANISO_CLI") or REPO / "build" / "aniso").resolve()


@pytest.fixture(scope="session")
def cli():
    """Runs the aniso CLI (env ANISO_CLI, default build/aniso)."""
    path = cli_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path}: no aniso CLI to compare with (build it, or set ANISO_CLI)")

    def run(*args):
        r = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True)
        if r.returncode:
            raise AssertionError(f"aniso {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr}")
        return r.stdout

    return run


@pytest.fixture(scope="session")
def default_model_path():
    import aniso

    try:
        return aniso.resolve_model("gemma-3-270m")
    except aniso.NotFoundError as e:
        pytest.skip(str(e))


def load_prompts(name):
    with open(FIXTURES / "forward" / name / "prompts.json", encoding="utf-8") as f:
        return json.load(f)


def write_jsonl(path, texts):
    with open(path, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")
    return path


def rel_err(ours, ref):
    """max |ours - ref| / max |ref| (tests/test_forward.c's measure)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
