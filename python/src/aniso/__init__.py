"""aniso: transformer hidden states exactly as Hugging Face transformers
computes them, and their anisotropy profile, from Python (libaniso through
ctypes).

    import aniso
    m = aniso.Model("gemma-3-270m")             # a folder, GGUF file or ORG/NAME
    H, tokens = m.hidden_states(["The capital of France is"])   # (L+1, T, d)
    report = m.profile()                        # the report JSON, as a dict

Computations run in libaniso with the GIL released; callbacks (progress,
on_layer) run with it held. Errors are aniso.Error subclasses, one per
libaniso status, carrying the library's message.
"""

from __future__ import annotations

from ._lib import LIBRARY_PATH as library_path
from ._lib import lib as _clib
from .errors import (
    Error,
    FormatError,
    InputOutputError,
    InvalidArgument,
    InvalidArgumentError,
    NotFound,
    NotFoundError,
    OutOfMemoryError,
    UnsupportedError,
)
from .model import DEFAULT_MODEL, Model, hf_cache_dir, resolve_model

__version__ = "0.1.0"


def library_version() -> str:
    """libaniso's version ("0.1.0")."""
    return _clib.aniso_version().decode()


def kernels() -> str:
    """The CPU kernel variant the forward pass uses now: "generic", "avx2",
    "avx512", "amx" or "amx-emulated" (the best this machine's CPUID
    features allow, unless set_kernels chose another; amx only where its
    self-check passed, amx-emulated only when chosen)."""
    return _clib.aniso_kernels_choice().decode()


def available_kernels() -> list:
    """The kernel variants this build and machine can run: the portable ones
    (generic, amx-emulated) first, then from the least to the best."""
    from ctypes import create_string_buffer

    buf = create_string_buffer(128)
    return _clib.aniso_kernels_available(buf, len(buf)).decode().split()


def set_kernels(name=None) -> None:
    """Makes later passes use kernel variant name (None: the best again), as
    the CLI's ANISO_CPU does; one this machine cannot run raises
    UnsupportedError, an unknown name InvalidArgumentError."""
    from ctypes import byref

    from .model import _new_error, _raise

    err = _new_error()
    if _clib.aniso_kernels_set(name.encode() if name else None, byref(err)) != 0:
        _raise(err)


def default_prompts() -> list:
    """The notebook's 16 prompts (what hidden_states and profile use without texts)."""
    from .model import _Texts

    t = _Texts(None)
    try:
        return list(t.texts)
    finally:
        t.free()


def tqdm_progress(desc: str = "aniso", **kwargs):
    """A progress callback that drives a tqdm bar (tqdm.auto, so notebooks get
    the widget): ``m.hidden_states(texts, progress=aniso.tqdm_progress())``.
    Needs tqdm; keyword arguments go to tqdm."""
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=desc, **kwargs)

    def update(done: int, total=None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()
        if total is not None and done >= total:
            bar.close()

    return update


__all__ = [
    "tqdm_progress",
    "kernels",
    "available_kernels",
    "set_kernels",
    "Model",
    "Error",
    "InvalidArgumentError",
    "InvalidArgument",
    "InputOutputError",
    "NotFoundError",
    "NotFound",
    "FormatError",
    "UnsupportedError",
    "OutOfMemoryError",
    "DEFAULT_MODEL",
    "default_prompts",
    "hf_cache_dir",
    "resolve_model",
    "library_version",
    "library_path",
]
