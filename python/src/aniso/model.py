"""aniso.Model: a model opened by libaniso, its hidden states and its profile."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
import threading
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_size_t, c_ubyte, c_uint
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np

from . import _lib
from ._lib import lib
from .errors import Error, InvalidArgumentError, NotFoundError, error_for

PathLike = Union[str, "os.PathLike[str]"]
ProgressFn = Callable[[int, Optional[int]], Any]
LayerFn = Callable[[int, np.ndarray], Any]
TokenRecord = Dict[str, Any]

# Forward passes (and profiles) of one process must not overlap: the thread
# counts they set are process-wide (forward.h). The GIL is released during
# them, so other Python threads would otherwise start one.
_RUN_LOCK = threading.Lock()
ANISO_FIG_NONE = 8  # include/aniso/report.h: the JSON report alone

DEFAULT_MODEL = "gemma-3-270m"
_DEFAULT_FILE = "gemma-3-270m-q4_k_m.gguf"

_ACT_NAMES = ["silu", "gelu", "gelu_pytorch_tanh", "gelu_new", "gelu_fast"]  # aniso_act
_ROPE_TYPES = ["default", "linear", "llama3", "yarn", "dynamic", "longrope", "factors"]


def _raise(err: _lib.Error_) -> None:
    msg = err.msg.decode("utf-8", "replace")
    raise error_for(err.code, msg or lib.aniso_status_str(err.code).decode())


def _new_error() -> _lib.Error_:
    err = _lib.Error_()
    lib.aniso_error_clear(byref(err))
    return err


def hf_cache_dir() -> Optional[str]:
    """The Hugging Face hub cache, by huggingface_hub's rules (as the CLI
    finds it): $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub,
    else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
    Empty variables count as unset."""

    def env(name: str) -> Optional[str]:
        v = os.environ.get(name)
        return v or None

    v = env("HF_HUB_CACHE") or env("HUGGINGFACE_HUB_CACHE")
    if v:
        return os.path.expanduser(v)
    if env("HF_HOME"):
        return os.path.expanduser(env("HF_HOME")) + "/hub"  # type: ignore[operator]
    if env("XDG_CACHE_HOME"):
        return env("XDG_CACHE_HOME") + "/huggingface/hub"  # type: ignore[operator]
    if env("HOME"):
        return os.path.expanduser("~/.cache/huggingface/hub")
    return None


def resolve_model(name_or_path: PathLike) -> str:
    """The path libaniso opens for a model name, as the CLI resolves it:
    "gemma-3-270m" is the default model's GGUF file in $ANISO_MODELS or
    ~/.cache/aniso/models; a leading "~" is expanded; anything else (a
    folder, a GGUF file, a Hub id ORG/NAME in the local cache) is passed on
    to the library as is."""
    name = os.fspath(name_or_path)
    if name != DEFAULT_MODEL:
        return os.path.expanduser(name)
    folder = os.environ.get("ANISO_MODELS") or None
    if folder:
        path = os.path.join(os.path.expanduser(folder), _DEFAULT_FILE)
    elif os.environ.get("HOME"):
        path = os.path.expanduser("~/.cache/aniso/models/" + _DEFAULT_FILE)
    else:
        raise NotFoundError(f"{DEFAULT_MODEL}: not downloaded yet (no cache folder); run scripts/fetch-default-model.sh")
    if not os.path.isfile(path):
        raise NotFoundError(f"{DEFAULT_MODEL}: not downloaded yet ({path}); run scripts/fetch-default-model.sh")
    return path


def _semantics(hf_version: Union[None, int, str]) -> int:
    if hf_version is None:
        return 0
    s = str(hf_version)
    if s in ("4", "4.57"):
        return 4
    if s == "5":
        return 5
    raise InvalidArgumentError(f"hf_version must be 4 or 5, not {hf_version!r}")


def _last_layer(name: str) -> int:
    v = c_int()
    if lib.aniso_last_layer_parse(str(name).encode(), byref(v)):
        raise InvalidArgumentError(f"last_layer is 'hf', 'raw' or 'both', not {name!r}")
    return v.value


def _roles_str(roles: int) -> str:
    buf = ctypes.create_string_buffer(64)
    return lib.aniso_token_roles_str(roles, buf, 64).decode()


def _token_str(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


class _Texts:
    """An aniso_prompts over Python strings (or the notebook's 16 prompts),
    kept alive while the library reads it."""

    def __init__(self, texts: Union[None, str, Sequence[str]]) -> None:
        self.owned = texts is None
        self.p = _lib.Prompts()
        if texts is None:
            err = _new_error()
            if lib.aniso_prompts_default(byref(self.p), byref(err)):
                _raise(err)
            self.texts = [self.p.text[i].decode() for i in range(self.p.n)]
            return
        if isinstance(texts, str):
            texts = [texts]
        self.texts = list(texts)
        for t in self.texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be strings, not {type(t).__name__}")
        if not self.texts:
            raise InvalidArgumentError("no texts")
        self._bytes = [t.encode("utf-8") for t in self.texts]
        n = len(self._bytes)
        self._text = (c_char_p * n)(*self._bytes)
        self._len = (c_size_t * n)(*[len(b) for b in self._bytes])
        self.p.text = self._text
        self.p.len = self._len
        self.p.n = n

    def free(self) -> None:
        if self.owned:
            lib.aniso_prompts_free(byref(self.p))
            self.owned = False


class Model:
    """A model opened by libaniso.

    ``name_or_path`` is a Hugging Face model folder (config.json with
    safetensors weights and tokenizer.json), a GGUF file, a model id
    ``ORG/NAME`` in the local Hugging Face cache (see :func:`hf_cache_dir`),
    or ``"gemma-3-270m"``, the default model (scripts/fetch-default-model.sh).
    ``hf_version`` (4 or 5) picks the transformers rules config.json is read
    by (default: the version the file records); ``revision`` a branch, tag or
    commit of a cached id; ``ignore_config_keys`` config keys to accept
    unread.

    Every computation runs in libaniso with the GIL released (ctypes
    releases it for each foreign call; the callbacks take it back while
    Python code runs). Passes of one process never overlap: a second thread
    waits for the first. Use as a context manager, or call :meth:`close`,
    to unmap the weights at once.
    """

    def __init__(
        self,
        name_or_path: PathLike,
        hf_version: Union[None, int, str] = None,
        revision: Optional[str] = None,
        ignore_config_keys: Sequence[str] = (),
    ) -> None:
        self.name = os.fspath(name_or_path)
        self.path = resolve_model(self.name)
        self._m: Optional[int] = None
        self._tk: Optional[int] = None
        self._lock = threading.Lock()  # a tokenizer is not safe from two threads
        self._cache = hf_cache_dir()
        self._revision = revision
        self._keys = [k.encode() for k in ignore_config_keys]
        self._keys_arr = (c_char_p * (len(self._keys) + 1))(*self._keys, None)
        self._opts = _lib.OpenOpts()
        self._opts.cache_dir = self._cache.encode() if self._cache else None
        self._opts.revision = revision.encode() if revision else None
        self._opts.config.semantics = _semantics(hf_version)
        self._opts.config.ignore_keys = self._keys_arr if self._keys else None
        err = _new_error()
        m = lib.aniso_model_open(self.path.encode(), byref(self._opts), byref(err))
        if not m:
            _raise(err)
        self._m = m
        tk = lib.aniso_tokenizer_open(lib.aniso_model_dir(m), byref(self._opts), byref(err))
        if not tk:
            self.close()
            _raise(err)
        self._tk = tk
        self._hp = lib.aniso_model_hparams(m).contents
        self.config: Dict[str, Any] = self._config()

    # ---- lifetime ----
    def close(self) -> None:
        """Frees the tokenizer and unmaps the weights (idempotent)."""
        if self._tk:
            lib.aniso_tokenizer_free(self._tk)
            self._tk = None
        if self._m:
            lib.aniso_model_free(self._m)
            self._m = None

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        c = self.config
        return (
            f"aniso.Model({self.name!r}: {c['family']}, {c['n_layers']} layers, "
            f"hidden {c['hidden_size']})"
        )

    def _handle(self) -> int:
        if not self._m or not self._tk:
            raise InvalidArgumentError(f"{self.name}: the model is closed")
        return self._m

    # ---- config ----
    def _config(self) -> Dict[str, Any]:
        hp = self._hp
        arch = hp.arch

        def rope(r: _lib.Rope) -> Dict[str, Any]:
            t = _ROPE_TYPES[r.type] if 0 <= r.type < len(_ROPE_TYPES) else str(r.type)
            d: Dict[str, Any] = {"theta": r.theta, "type": t}
            if t in ("linear", "llama3", "yarn", "dynamic"):
                d["factor"] = r.factor
            if t == "llama3":
                d["low_freq_factor"] = r.low_freq_factor
                d["high_freq_factor"] = r.high_freq_factor
            if t in ("llama3", "yarn", "dynamic", "longrope"):
                d["original_max_position_embeddings"] = r.original_max_pos
            if t in ("yarn", "longrope"):
                d["attention_factor"] = r.attention_factor
            if t == "yarn":
                d["beta_fast"], d["beta_slow"], d["truncate"] = r.beta_fast, r.beta_slow, bool(r.truncate)
            return d

        st = _lib.ModelStats()
        lib.aniso_model_stats_get(self._m, byref(st))
        sliding = [i for i in range(hp.n_layer) if hp.sliding[i]]
        return {
            "name": self.name,
            "path": lib.aniso_model_dir(self._m).decode(),
            "architecture": lib.aniso_arch_model_type(arch).decode(),
            "architectures": hp.architecture.decode() or None,
            "family": lib.aniso_arch_display_name(arch).decode(),
            "n_layers": hp.n_layer,
            "n_hidden_states": lib.aniso_hidden_count(hp.n_layer, 0),
            "hidden_size": hp.d_model,
            "n_heads": hp.n_head,
            "n_kv_heads": hp.n_head_kv,
            "head_dim": hp.d_head,
            "intermediate_size": hp.d_ff,
            "vocab_size": hp.n_vocab,
            "max_position_embeddings": hp.n_pos or None,
            "norm": lib.aniso_norm_name(lib.aniso_arch_norm(arch)).decode(),
            "norm_placement": lib.aniso_arch_norm_placement(arch).decode(),
            "norm_eps": hp.norm_eps,
            "activation": _ACT_NAMES[hp.act] if 0 <= hp.act < len(_ACT_NAMES) else str(hp.act),
            "rotary": rope(hp.rope) if hp.n_rot else None,
            "rotary_local": rope(hp.rope_local) if hp.n_rot and sliding else None,
            "rotary_dims": hp.n_rot,
            "partial_rotary_factor": hp.rope_frac,
            "attention_scale": hp.attn_scale,
            "attention_scale_by_layer": bool(hp.attn_scale_by_layer),
            "softcap": hp.softcap or None,
            "sliding_window": hp.sliding_window or None,
            "sliding_layers": sliding,
            "embedding_scale": hp.embd_scale,
            "parallel_residual": bool(hp.parallel_residual),
            "attention_bias": bool(hp.attn_bias),
            "mlp_bias": bool(hp.mlp_bias),
            "tie_word_embeddings": bool(hp.tie_embd),
            "hf_semantics": {4: "4.57", 5: "5"}.get(hp.hf_semantics, str(hp.hf_semantics)),
            "transformers_version": hp.transformers_version.decode() or None,
            "n_params": st.n_params,
            "n_bytes": st.n_bytes,
            "dtypes": {
                _lib.DTYPE_NAMES[i]: st.params_by_dtype[i]
                for i in range(len(_lib.DTYPE_NAMES))
                if st.params_by_dtype[i]
            },
            "n_weight_files": st.n_files,
        }

    # ---- tokenizer ----
    def tokenize(self, texts: Union[str, Sequence[str]], add_special: bool = True) -> List[Tuple[List[int], List[Optional[str]]]]:
        """Token ids and token strings of each text, as Hugging Face's
        tokenizers gives them (``add_special``: the post-processor's BOS and
        other special tokens, as add_special_tokens=True). A single string is
        one text. Returns one ``(ids, tokens)`` pair per text."""
        self._handle()
        if isinstance(texts, str):
            texts = [texts]
        out = []
        with self._lock:
            for t in texts:
                b = t.encode("utf-8")
                ids = _lib.Ids()
                err = _new_error()
                try:
                    if lib.aniso_tokenizer_encode(self._tk, b, len(b), int(bool(add_special)), byref(ids), byref(err)):
                        _raise(err)
                    v = [ids.v[i] for i in range(ids.n)]
                finally:
                    lib.aniso_ids_free(byref(ids))
                out.append((v, [_token_str(lib.aniso_tokenizer_token(self._tk, i)) for i in v]))
        return out

    def _encode(self, texts: _Texts) -> Tuple[_lib.Ids, "ctypes._Pointer[c_size_t]"]:
        ids = _lib.Ids()
        offsets = POINTER(c_size_t)()
        err = _new_error()
        with self._lock:
            st = lib.aniso_tokenizer_encode_prompts(self._tk, byref(texts.p), byref(ids), byref(offsets), byref(err))
        if st:
            lib.aniso_ids_free(byref(ids))
            if offsets:
                _lib.libc_free(offsets)
            _raise(err)
        return ids, offsets

    def _token_table(self, texts: _Texts, ids: _lib.Ids, offsets: Any) -> List[TokenRecord]:
        """One record per row: prompt, position, id, token, roles (as
        `aniso hidden`'s STATES.tokens.json)."""
        before, after = _lib.Ids(), _lib.Ids()
        err = _new_error()
        try:
            if lib.aniso_tokenizer_specials(self._tk, byref(before), byref(after), byref(err)):
                _raise(err)
            nb, na = before.n, after.n
        finally:
            lib.aniso_ids_free(byref(before))
            lib.aniso_ids_free(byref(after))
        T = offsets[texts.p.n]
        roles = (c_ubyte * max(T, 1))()
        rows: List[TokenRecord] = []
        base = ctypes.addressof(ids.v.contents)
        for p in range(texts.p.n):
            a, b = offsets[p], offsets[p + 1]
            ptr = ctypes.cast(base + a * 4, POINTER(ctypes.c_int32))
            rp = ctypes.cast(ctypes.addressof(roles) + a, POINTER(c_ubyte))
            lib.aniso_token_roles(self._tk, ptr, b - a, nb, na, rp)
            for t in range(a, b):
                i = ids.v[t]
                rows.append(
                    {
                        "prompt": p,
                        "position": t - a,
                        "id": i,
                        "token": _token_str(lib.aniso_tokenizer_token(self._tk, i)),
                        "roles": _roles_str(roles[t]),
                    }
                )
        return rows

    def _layer_flags(self, layers: Union[None, str, Iterable[int]], n_hidden: int) -> List[int]:
        if layers is None:
            return list(range(n_hidden))
        if isinstance(layers, str):
            flags = (c_ubyte * n_hidden)()
            if lib.aniso_layers_parse(layers.encode(), n_hidden, flags):
                raise InvalidArgumentError(f"layers: '{layers}' is not a list of layers 0..{n_hidden - 1} (e.g. '0,4,8-12')")
            return [i for i in range(n_hidden) if flags[i]]
        sel = set()
        for i in layers:
            j = int(i)
            if j < 0:
                j += n_hidden
            if not 0 <= j < n_hidden:
                raise InvalidArgumentError(f"layers: {i} is not a layer of 0..{n_hidden - 1}")
            sel.add(j)
        if not sel:
            raise InvalidArgumentError("layers: none selected")
        return sorted(sel)

    # ---- hidden states ----
    def hidden_states(
        self,
        texts: Union[None, str, Sequence[str]] = None,
        layers: Union[None, str, Iterable[int]] = None,
        last_layer: str = "hf",
        threads: int = 0,
        progress: Optional[ProgressFn] = None,
        on_layer: Optional[LayerFn] = None,
    ) -> Tuple[Optional[np.ndarray], List[TokenRecord]]:
        """Every selected layer's hidden states of the texts' tokens, as
        transformers returns them with output_hidden_states=True.

        ``texts``: the prompts, each an independent sequence (default: the
        notebook's 16 prompts, as `aniso hidden` without --prompts).
        ``layers``: hidden-state layers (ints, negative from the end, or
        "0,4,8-12"; default all). ``last_layer``: "hf" (layer L after the
        final norm), "raw" (before it) or "both" (L+2 layers, the raw one
        last). ``threads``: 0 for all cores. ``progress(done, total)`` is
        called after each block (tqdm: ``bar.update(...)`` or set ``bar.n``).

        Returns ``(H, tokens)``: H a float32 array of shape
        (n_layers_selected, n_tokens, hidden_size), layers in increasing
        order, allocated here once and filled by the library's tap callback
        straight from its working buffer; and one record per token row
        (prompt, position, id, token, roles).

        With ``on_layer(layer, x)``, nothing is collected: it receives each
        selected layer in turn, x a read-only (n_tokens, hidden_size) view
        of the library's buffer, valid only during the call (copy what you
        keep), and H is None. An exception in a callback stops the pass and
        is raised here.
        """
        m = self._handle()
        hp = self._hp
        pol = _last_layer(last_layer)
        L = hp.n_layer
        n_hidden = lib.aniso_hidden_count(L, pol)
        sel = self._layer_flags(layers, n_hidden)
        index = {layer: k for k, layer in enumerate(sel)}
        texts_ = _Texts(texts)
        ids = offsets = None
        try:
            ids, offsets = self._encode(texts_)
            n = texts_.p.n
            T = offsets[n]
            d = hp.d_model
            with self._lock:
                tokens = self._token_table(texts_, ids, offsets)
            out = None if on_layer else np.empty((len(sel), T, d), dtype=np.float32)
            row_bytes = T * d * 4
            base = out.ctypes.data if out is not None else 0
            failure: List[BaseException] = []

            def deliver(layer: int, x: Any, n_tok: int, dm: int) -> int:
                k = index.get(layer)
                if k is None:
                    return 0
                if n_tok != T or dm != d:
                    raise InvalidArgumentError(f"{self.name}: layer {layer} has shape ({n_tok}, {dm}), expected ({T}, {d})")
                if out is not None:
                    ctypes.memmove(base + k * row_bytes, x, row_bytes)
                else:
                    view = np.ctypeslib.as_array(x, shape=(n_tok, dm))
                    view.flags.writeable = False
                    on_layer(layer, view)  # type: ignore[misc]
                return 0

            def guarded(f: Callable[..., int]) -> Callable[..., int]:
                def g(*a: Any) -> int:
                    if failure:
                        return 1
                    try:
                        return f(*a)
                    except BaseException as e:  # KeyboardInterrupt too: stop the pass
                        failure.append(e)
                        return 1

                return g

            last_wanted = sel[-1]
            batch = _lib.Batch(ids.v, offsets, n)
            err = _new_error()
            if last_wanted < L:
                # Layers below L are taps 0..L-1 whatever the policy: run a plan
                # that stops after the last block wanted.
                taps = (c_ubyte * (L + 2))()
                for t in range(last_wanted + 1):
                    taps[t] = 1

                def on_tap(user: Any, tap: int, x: Any, n_tok: int, dm: int, e: Any) -> int:
                    if progress is not None and tap >= 1:
                        progress(tap, last_wanted)
                    return deliver(tap, x, n_tok, dm)

                max_seq = max(offsets[i + 1] - offsets[i] for i in range(n))
                po = _lib.PlanOpts(threads, max(T, max_seq), max_seq, taps)
                tap_fn = _lib.TAP_FN(guarded(on_tap))
                with _RUN_LOCK:
                    plan = lib.aniso_plan_new(m, byref(po), byref(err))
                    state = lib.aniso_state_new(plan, byref(err)) if plan else None
                    st = err.code or 1
                    if state:
                        st = lib.aniso_run(plan, state, byref(batch), tap_fn, None, byref(err))
                    lib.aniso_state_free(state)
                    lib.aniso_plan_free(plan)
            else:

                def on_hidden(user: Any, layer: int, x: Any, n_tok: int, dm: int, e: Any) -> int:
                    return deliver(layer, x, n_tok, dm)

                def on_progress(user: Any, done: int, total: int) -> None:
                    if progress is not None:
                        progress(done, total)

                fo = _lib.ForwardOpts()
                fo.n_threads = threads
                fo.last_layer = pol
                fo.tap = _lib.TAP_FN(guarded(on_hidden))
                prog = _lib.FORWARD_PROGRESS_FN(guarded(lambda u, a, b: on_progress(u, a, b) or 0))
                if progress is not None:
                    fo.progress = prog
                with _RUN_LOCK:
                    st = lib.aniso_forward(m, byref(batch), byref(fo), byref(err))
            if failure:
                raise failure[0]
            if st:
                _raise(err)
            return out, tokens
        finally:
            if ids is not None:
                lib.aniso_ids_free(byref(ids))
            if offsets:
                _lib.libc_free(offsets)
            texts_.free()

    # ---- profile ----
    def profile(
        self,
        texts: Union[None, Sequence[str], "os.PathLike[str]"] = None,
        corpus: Union[None, PathLike, Iterable[str]] = None,
        exclude: Union[str, Sequence[str]] = (),
        positions: Union[None, str, Tuple[Optional[int], Optional[int]]] = None,
        layers: Union[None, str, Iterable[int]] = None,
        last_layer: str = "hf",
        context: Optional[int] = None,
        max_tokens: Optional[int] = None,
        out_dir: Optional[PathLike] = None,
        formats: Optional[Union[str, Sequence[str]]] = None,
        reference: Union[None, PathLike, Mapping[str, Any]] = None,
        threads: int = 0,
        progress: Optional[ProgressFn] = None,
        chunk_tokens: Optional[int] = None,
        boot: Optional[int] = None,
        seed: int = 0,
        boot_blocks: Optional[int] = None,
        controls: bool = True,
    ) -> Dict[str, Any]:
        """The anisotropy profile, as `aniso profile` computes it; returns the
        report JSON as a dict (docs/METRICS.md section 4).

        Evidence (docs/METRICS.md section 5): ``boot`` bootstrap replicates
        over whole sequences (None: the default rule; 0: none), ``seed`` of
        every random draw, ``boot_blocks`` blocks of sequences for layers
        that hold moments (None: the default; 0: none), ``controls`` the
        profile without first tokens, the nulls and the token controls.

        Input, one of: ``texts`` (prompts, each one sequence; a
        ``pathlib.Path`` is a prompts file read by the library), ``corpus``
        (a path of documents, plain text or JSONL, or an iterable of
        document strings; cut into windows of ``context`` tokens, default
        512); neither: the notebook's 16 prompts. In-memory texts and
        documents go to a temporary JSONL file, which the report names as
        its input path. ``max_tokens`` stops after that many tokens.

        Rows measured: ``exclude`` roles ("bos", "first", "special"; a
        sequence or "bos,first"), ``positions`` (a, b) or "A:B" (b None: no
        bound), ``layers`` (ints or "0,4,8-12"), ``last_layer`` ("hf", "raw",
        "both").

        Output: the report files are written into ``out_dir`` (created if
        missing); when None, into a temporary folder removed afterwards.
        ``formats``: figure formats (png, pdf, svg); ``()`` writes the JSON
        alone; None (the default) draws png figures when ``out_dir`` is
        given and none when the report is only returned. ``reference``: an
        earlier result JSON's path, or a dict with name, profile_range,
        max_anisotropy and L_star (default: the notebook's Pythia-6.9B).
        ``progress(done, total)`` after each chunk: prompts done of all
        prompts, or tokens of ``max_tokens``, or tokens and None for a
        corpus without a limit.
        """
        self._handle()
        if texts is not None and corpus is not None:
            raise InvalidArgumentError("texts and corpus exclude each other")
        if context is not None and corpus is None:
            raise InvalidArgumentError("context applies to corpus only")
        keep: List[Any] = []  # bytes and arrays the options point to

        def cstr(s: Optional[str]) -> Optional[bytes]:
            if s is None:
                return None
            b = os.fsencode(s)
            keep.append(b)
            return b

        tmp = tempfile.mkdtemp(prefix="aniso-py-")
        try:
            o = _lib.ProfileOpts()
            o.model = cstr(self.path)
            o.name = cstr(self.name)
            o.open = self._opts
            if texts is not None:
                if isinstance(texts, os.PathLike):
                    o.prompts_file = cstr(os.fspath(texts))
                else:
                    if isinstance(texts, str):
                        texts = [texts]
                    o.prompts_file = cstr(self._write_jsonl(os.path.join(tmp, "prompts.jsonl"), texts))
            if corpus is not None:
                if isinstance(corpus, (str, os.PathLike)):
                    o.corpus_file = cstr(os.path.expanduser(os.fspath(corpus)))
                else:
                    o.corpus_file = cstr(self._write_jsonl(os.path.join(tmp, "corpus.jsonl"), corpus))
            if context is not None:
                if int(context) < 1:
                    raise InvalidArgumentError("context must be a positive number of tokens")
                o.context = int(context)
            if max_tokens is not None:
                if int(max_tokens) < 1:
                    raise InvalidArgumentError("max_tokens must be positive")
                o.max_tokens = int(max_tokens)
            if chunk_tokens is not None:
                o.chunk_tokens = int(chunk_tokens)
            if layers is not None:
                if isinstance(layers, str):
                    o.layers = cstr(layers)
                else:
                    o.layers = cstr(",".join(str(int(i)) for i in layers))
            ex = exclude if isinstance(exclude, str) else ",".join(exclude)
            roles = c_uint()
            if lib.aniso_token_roles_parse(ex.encode(), byref(roles)):
                raise InvalidArgumentError(f"exclude takes bos, first and special, not {exclude!r}")
            o.mask.exclude = roles.value
            if positions is not None:
                if isinstance(positions, str):
                    ps = positions
                else:
                    a, b = positions
                    ps = f"{'' if a is None else int(a)}:{'' if b is None else int(b)}"
                pf, pt = c_long(), c_long()
                if lib.aniso_mask_parse_positions(ps.encode(), byref(pf), byref(pt)):
                    raise InvalidArgumentError(f"positions takes A:B with A < B, not {positions!r}")
                o.mask.pos_from, o.mask.pos_to = pf.value, pt.value
            o.last_layer = _last_layer(last_layer)
            if formats is None:
                # figures only when the report goes somewhere to be kept
                formats = ("png",) if out_dir is not None else ()
            fs = formats if isinstance(formats, str) else ",".join(formats)
            fl = c_uint()
            if not fs:
                fl.value = ANISO_FIG_NONE
            elif lib.aniso_figure_formats_parse(fs.encode(), byref(fl)):
                raise InvalidArgumentError(f"formats takes png, pdf and svg, not {formats!r}")
            o.formats = fl.value
            ref = None
            if reference is not None:
                ref = self._reference(reference)
                keep.append(ref)
                o.reference = ctypes.pointer(ref)
            o.n_threads = int(threads)
            if boot is not None:
                if int(boot) < 0:
                    raise InvalidArgumentError(f"boot takes 0 (none) or a count, not {boot!r}")
                o.n_boot = int(boot) if int(boot) > 0 else -1
            if not (0 <= int(seed) < 2**64):
                raise InvalidArgumentError(f"seed takes 0 to 2**64 - 1, not {seed!r}")
            o.seed = int(seed)
            if boot_blocks is not None:
                if int(boot_blocks) < 0 or int(boot_blocks) == 1:
                    raise InvalidArgumentError(f"boot_blocks takes 0 (none) or 2 or more, not {boot_blocks!r}")
                o.boot_blocks = int(boot_blocks) if int(boot_blocks) > 0 else -1
            o.no_controls = 0 if controls else 1
            out = os.path.expanduser(os.fspath(out_dir)) if out_dir is not None else os.path.join(tmp, "report")
            if os.path.exists(out) and not os.path.isdir(out):
                raise InvalidArgumentError(f"{out}: is not a folder; out_dir names the folder to write into")
            o.out_dir = cstr(out)
            failure: List[BaseException] = []

            def on_progress(user: Any, p: Any) -> None:
                if failure or progress is None:
                    return
                try:
                    pr = p.contents
                    if max_tokens:
                        progress(int(pr.tokens), int(max_tokens))
                    elif corpus is None and pr.fraction > 0:
                        progress(int(pr.sequences), int(round(pr.sequences / pr.fraction)))
                    else:
                        progress(int(pr.tokens), None)
                except BaseException as e:
                    failure.append(e)

            cb = _lib.PROFILE_PROGRESS_FN(on_progress)
            if progress is not None:
                o.progress = cb
            run = POINTER(_lib.ProfileRun)()
            err = _new_error()
            with _RUN_LOCK:
                st = lib.aniso_profile(byref(o), byref(run), byref(err))
            if failure:
                if run:
                    lib.aniso_profile_run_free(run)
                raise failure[0]
            if st:
                _raise(err)
            try:
                r = run.contents
                if r.n_files < 1 or not r.files[0]:
                    raise Error(f"{self.name}: the profile wrote no report")
                path = os.fsdecode(r.files[0])
            finally:
                lib.aniso_profile_run_free(run)
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def _write_jsonl(path: str, docs: Iterable[str]) -> str:
        n = 0
        with open(path, "w", encoding="utf-8") as f:
            for d in docs:
                if not isinstance(d, str):
                    raise TypeError(f"texts must be strings, not {type(d).__name__}")
                f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
                n += 1
        if not n:
            raise InvalidArgumentError("no texts")
        return path

    @staticmethod
    def _reference(reference: Union[PathLike, Mapping[str, Any]]) -> _lib.Reference:
        ref = _lib.Reference()
        if isinstance(reference, Mapping):
            lib.aniso_reference_default(byref(ref))
            if "name" in reference:
                ref.name = str(reference["name"]).encode()[:255]
            for k in ("profile_range", "max_anisotropy", "L_star"):
                if k in reference:
                    setattr(ref, k, reference[k])
            return ref
        err = _new_error()
        rf = lib.aniso_result_load(os.fsencode(os.path.expanduser(os.fspath(reference))), byref(err))
        if not rf:
            _raise(err)
        lib.aniso_result_reference(rf, byref(ref))
        lib.aniso_result_free(rf)
        return ref
