"""ctypes declarations of libaniso's public C API (include/aniso/*.h).

Every struct below mirrors its C definition field for field; at import each
one's ctypes.sizeof is checked against the library's own sizeof
(aniso_abi_sizeof), so that a header change without a matching change here
fails at import, not with a corrupted call.

The library is loaded with ctypes.CDLL, so the GIL is released during every
foreign call; the callbacks (ctypes CFUNCTYPE) take it back while Python code
runs.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    byref,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int32,
    c_long,
    c_size_t,
    c_ubyte,
    c_uint,
    c_uint64,
    c_void_p,
)
from pathlib import Path

# Array sizes of the C headers (macros, not visible to the binary; the size
# checks below catch any that change).
ERROR_MSG_MAX = 1024  # error.h ANISO_ERROR_MSG_MAX
MAX_ROPE_FACTORS = 512  # model.h ANISO_MAX_ROPE_FACTORS
MAX_LAYERS = 4096  # model.h ANISO_MAX_LAYERS
TOP_EIGS = 100  # analysis.h ANISO_TOP_EIGS
REPORT_MAX_FILES = 14  # report.h ANISO_REPORT_MAX_FILES


def _find_library() -> str:
    env = os.environ.get("ANISO_LIBRARY")
    if env:
        if not os.path.exists(env):
            raise ImportError(f"aniso: ANISO_LIBRARY={env}: no such file")
        return env
    bundled = Path(__file__).with_name("libaniso.so")
    if bundled.exists():
        return str(bundled)
    raise ImportError(
        "aniso: libaniso.so is not bundled with this package (installed with "
        "ANISO_LIBRARY at build time, or an editable install); set ANISO_LIBRARY "
        "to the path of libaniso.so"
    )


LIBRARY_PATH = _find_library()
lib = ctypes.CDLL(LIBRARY_PATH)
_libc = ctypes.CDLL(None)
libc_free = _libc.free
libc_free.argtypes = [c_void_p]
libc_free.restype = None


def _fn(name: str, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


# ---- error.h ----
class Error_(Structure):
    _fields_ = [("code", c_int), ("msg", c_char * ERROR_MSG_MAX)]


# ---- model.h ----
class Rope(Structure):
    _fields_ = [
        ("theta", c_double),
        ("type", c_int),
        ("factor", c_double),
        ("low_freq_factor", c_double),
        ("high_freq_factor", c_double),
        ("original_max_pos", c_double),
        ("attention_factor", c_double),
        ("beta_fast", c_double),
        ("beta_slow", c_double),
        ("truncate", c_int),
        ("n_factors", c_int),
        ("short_factor", c_float * MAX_ROPE_FACTORS),
        ("long_factor", c_float * MAX_ROPE_FACTORS),
    ]


class Hparams(Structure):
    _fields_ = [
        ("arch", c_int),
        ("architecture", c_char * 128),
        ("n_layer", c_int),
        ("d_model", c_int),
        ("n_head", c_int),
        ("n_head_kv", c_int),
        ("d_head", c_int),
        ("d_ff", c_int),
        ("n_vocab", c_int),
        ("n_pos", c_int),
        ("norm_eps", c_double),
        ("attn_bias", c_int),
        ("mlp_bias", c_int),
        ("tie_embd", c_int),
        ("act", c_int),
        ("n_rot", c_int),
        ("rope", Rope),
        ("rope_local", Rope),
        ("attn_scale", c_double),
        ("attn_scale_by_layer", c_int),
        ("softcap", c_double),
        ("sliding_window", c_int),
        ("embd_scale", c_double),
        ("parallel_residual", c_int),
        ("rope_frac", c_double),
        ("hf_semantics", c_int),
        ("transformers_version", c_char * 32),
        ("sliding", c_ubyte * MAX_LAYERS),
    ]


class ConfigOpts(Structure):
    _fields_ = [("semantics", c_int), ("ignore_keys", POINTER(c_char_p))]


class OpenOpts(Structure):
    _fields_ = [("cache_dir", c_char_p), ("revision", c_char_p), ("config", ConfigOpts)]


# aniso_model_stats has one counter per dtype: their number comes from the
# library (aniso_dtype_name is NULL past the last).
_fn("aniso_dtype_name", c_char_p, c_int)
DTYPE_NAMES: list[str] = []
while True:
    _n = lib.aniso_dtype_name(len(DTYPE_NAMES))
    if _n is None or len(DTYPE_NAMES) > 255:
        break
    DTYPE_NAMES.append(_n.decode())


class ModelStats(Structure):
    _fields_ = [
        ("n_params", c_uint64),
        ("n_bytes", c_uint64),
        ("n_tensors", c_uint64),
        ("n_ignored", c_uint64),
        ("params_by_dtype", c_uint64 * len(DTYPE_NAMES)),
        ("n_files", c_int),
    ]


# ---- tokenizer.h, prompts.h ----
class Ids(Structure):
    _fields_ = [("v", POINTER(c_int32)), ("n", c_size_t), ("cap", c_size_t)]


class Prompts(Structure):
    _fields_ = [("text", POINTER(c_char_p)), ("len", POINTER(c_size_t)), ("n", c_size_t)]


# ---- forward.h ----
class Batch(Structure):
    _fields_ = [("ids", POINTER(c_int32)), ("offsets", POINTER(c_size_t)), ("n_prompts", c_size_t)]


# int (*)(void *user, int layer_or_tap, const float *x, size_t n_tok, int d_model, aniso_error *err)
TAP_FN = CFUNCTYPE(c_int, c_void_p, c_int, POINTER(c_float), c_size_t, c_int, POINTER(Error_))
# void (*)(void *user, int done, int total)
FORWARD_PROGRESS_FN = CFUNCTYPE(None, c_void_p, c_int, c_int)


class PlanOpts(Structure):
    _fields_ = [
        ("n_threads", c_int),
        ("max_tokens", c_size_t),
        ("max_seq", c_size_t),
        ("taps", POINTER(c_ubyte)),
    ]


class ForwardOpts(Structure):
    _fields_ = [
        ("n_threads", c_int),
        ("tap", TAP_FN),
        ("tap_user", c_void_p),
        ("last_layer", c_int),
        ("progress", FORWARD_PROGRESS_FN),
        ("progress_user", c_void_p),
        ("max_memory", c_uint64),
        ("allow_long_seq", c_int),
    ]


# ---- analysis.h ----
class MetricInfo(Structure):
    _fields_ = [
        ("key", c_char_p),
        ("title", c_char_p),
        ("offset", c_size_t),
        ("lo", c_double),
        ("hi", c_double),
        ("flags", c_uint),
    ]


def _metric_registry():
    """The library's list of per-layer metrics (analysis.h ANISO_LAYER_METRICS):
    (key, title, flags) in the order of the struct's fields."""
    f = _fn("aniso_metric_registry", POINTER(MetricInfo), POINTER(c_int))
    n = c_int()
    reg = f(byref(n))
    return [(reg[i].key.decode(), reg[i].title.decode(), int(reg[i].flags)) for i in range(n.value)]


METRICS = _metric_registry()


class LayerMetrics(Structure):
    # the struct's fields are the registry's metrics, then the eigenvalues
    _fields_ = [(key, c_double) for key, _, _ in METRICS] + [
        ("n_eig", c_int),
        ("eigenvalues", c_double * TOP_EIGS),
    ]


class Linreg(Structure):
    _fields_ = [("slope", c_double), ("intercept", c_double), ("r", c_double), ("p", c_double)]


class Reference(Structure):
    _fields_ = [
        ("name", c_char * 256),
        ("profile_range", c_double),
        ("max_anisotropy", c_double),
        ("L_star", c_int),
    ]


class ProfileAnalysis(Structure):
    _fields_ = [
        ("L_star", c_int),
        ("is_bell_curve", c_int),
        ("phase1", Linreg),
        ("phase2", Linreg),
        ("profile_variance", c_double),
        ("profile_range", c_double),
        ("max_anisotropy", c_double),
        ("is_flatter", c_int),
        ("flatness_percent", c_double),
        ("spectrum_layers", c_int * 5),
    ]


# ---- report.h ----
class PartInfo(Structure):
    _fields_ = [
        ("shard", c_int),
        ("n_shards", c_int),
        ("sequences", c_uint64),
        ("documents", c_uint64),
        ("tokens", c_uint64),
        ("measured", c_uint64),
        ("t_forward", c_double),
    ]


class RunInfo(Structure):
    _fields_ = [
        ("source", c_char_p),
        ("source_path", c_char_p),
        ("format", c_char_p),
        ("context", c_size_t),
        ("max_tokens", c_uint64),
        ("last_layer", c_char_p),
        ("exclude", c_uint),
        ("pos_from", c_long),
        ("pos_to", c_long),
        ("n_sequences", c_uint64),
        ("n_documents", c_uint64),
        ("n_tokens_seen", c_uint64),
        ("n_bos", c_uint64),
        ("n_special", c_uint64),
        ("n_first", c_uint64),
        ("n_excluded", c_uint64),
        ("n_parts", c_int),
        ("parts", POINTER(PartInfo)),
        ("parts_via", c_char_p),
        ("n_layers_measured", c_int),
        ("n_hidden", c_int),
        ("text_hash", c_char_p),
    ]


class ProfileResult(Structure):
    _fields_ = [
        ("model", c_char_p),
        ("architecture", c_char_p),
        ("normalization", c_char_p),
        ("family", c_char_p),
        ("norm_placement", c_char_p),
        ("dtype", c_char_p),
        ("n_layers", c_int),
        ("hidden_dim", c_int),
        ("n_prompts", c_size_t),
        ("n_tokens", c_size_t),
        ("tokens_per_prompt", POINTER(c_size_t)),
        ("skip_first_token", c_int),
        ("layers", POINTER(LayerMetrics)),
        ("layer_ids", POINTER(c_int)),
        ("n_measured", c_int),
        ("raw_last", POINTER(LayerMetrics)),
        ("info", POINTER(RunInfo)),
        ("analysis", ProfileAnalysis),
        ("reference", Reference),
        ("t_load", c_double),
        ("t_forward", c_double),
        ("t_moments", c_double),
        ("t_metrics", c_double),
        ("t_total", c_double),
        ("t_evidence", c_double),
        ("evidence", c_void_p),
        ("kernels", c_char_p),
    ]


# ---- pipeline.h ----
class Mask(Structure):
    _fields_ = [("exclude", c_uint), ("pos_from", c_long), ("pos_to", c_long)]


class Progress(Structure):
    _fields_ = [
        ("tokens", c_uint64),
        ("sequences", c_uint64),
        ("seconds", c_double),
        ("fraction", c_double),
    ]


class Collective(Structure):
    # The binding never makes one (MPI ranks are the CLI's); the function
    # pointers are opaque here.
    _fields_ = [
        ("rank", c_int),
        ("size", c_int),
        ("user", c_void_p),
        ("agree", c_void_p),
        ("send", c_void_p),
        ("recv", c_void_p),
    ]


# void (*)(void *user, const aniso_progress *p)
PROFILE_PROGRESS_FN = CFUNCTYPE(None, c_void_p, POINTER(Progress))


class ProfileOpts(Structure):
    _fields_ = [
        ("model", c_char_p),
        ("name", c_char_p),
        ("open", OpenOpts),
        ("prompts_file", c_char_p),
        ("corpus_file", c_char_p),
        ("context", c_size_t),
        ("max_tokens", c_uint64),
        ("layers", c_char_p),
        ("mask", Mask),
        ("last_layer", c_int),
        ("chunk_tokens", c_size_t),
        ("keep_rows", c_size_t),
        ("checkpoint", c_char_p),
        ("checkpoint_every", c_uint64),
        ("resume", c_int),
        ("out_dir", c_char_p),
        ("reference", POINTER(Reference)),
        ("n_threads", c_int),
        ("formats", c_uint),
        ("shard_index", c_int),
        ("shard_count", c_int),
        ("collective", POINTER(Collective)),
        ("progress", PROFILE_PROGRESS_FN),
        ("progress_user", c_void_p),
        ("max_memory", c_uint64),
        ("n_boot", c_int),
        ("boot_blocks", c_int),
        ("seed", c_uint64),
        ("boot_indices", c_char_p),
        ("no_controls", c_int),
    ]


class ProfileRun(Structure):
    _fields_ = [
        ("result", ProfileResult),
        ("info", RunInfo),
        ("files", c_char_p * REPORT_MAX_FILES),
        ("n_files", c_int),
        ("formats", c_uint),
        ("model", c_char_p),
        ("architecture", c_char_p),
        ("dtype", c_char_p),
        ("source_path", c_char_p),
        ("layers", POINTER(LayerMetrics)),
        ("raw_last", POINTER(LayerMetrics)),
        ("layer_ids", POINTER(c_int)),
        ("tokens_per_prompt", POINTER(c_size_t)),
        ("parts", POINTER(PartInfo)),
        ("evidence_store", c_void_p),
        ("text_hash", c_char_p),
        ("kernels", c_char_p),
    ]


# C struct name -> its mirror: every one is checked at import.
MIRRORED = {
    "aniso_error": Error_,
    "aniso_rope": Rope,
    "aniso_hparams": Hparams,
    "aniso_config_opts": ConfigOpts,
    "aniso_open_opts": OpenOpts,
    "aniso_model_stats": ModelStats,
    "aniso_ids": Ids,
    "aniso_prompts": Prompts,
    "aniso_batch": Batch,
    "aniso_plan_opts": PlanOpts,
    "aniso_forward_opts": ForwardOpts,
    "aniso_mask": Mask,
    "aniso_progress": Progress,
    "aniso_collective": Collective,
    "aniso_reference": Reference,
    "aniso_linreg": Linreg,
    "aniso_layer_metrics": LayerMetrics,
    "aniso_metric_info": MetricInfo,
    "aniso_profile_analysis": ProfileAnalysis,
    "aniso_part_info": PartInfo,
    "aniso_run_info": RunInfo,
    "aniso_profile_result": ProfileResult,
    "aniso_profile_opts": ProfileOpts,
    "aniso_profile_run": ProfileRun,
}


def _check_abi() -> None:
    try:
        sizeof = _fn("aniso_abi_sizeof", c_size_t, c_char_p)
    except AttributeError:
        raise ImportError(
            f"aniso: {LIBRARY_PATH} has no aniso_abi_sizeof: a libaniso older than "
            "this package; rebuild it from the same source tree"
        ) from None
    bad = []
    for name, cls in MIRRORED.items():
        want = sizeof(name.encode())
        got = ctypes.sizeof(cls)
        if want != got:
            bad.append(f"{name}: C sizeof {want}, ctypes {got}" if want else f"{name}: unknown to the library")
    if bad:
        raise ImportError(
            f"aniso: the Python package's structs do not match {LIBRARY_PATH} "
            f"(a header changed without aniso/_lib.py): {'; '.join(bad)}"
        )


_check_abi()

# ---- functions ----
P = POINTER
_fn("aniso_version", c_char_p)
_fn("aniso_status_str", c_char_p, c_int)
_fn("aniso_error_clear", None, P(Error_))

_fn("aniso_model_open", c_void_p, c_char_p, P(OpenOpts), P(Error_))
_fn("aniso_model_free", None, c_void_p)
_fn("aniso_model_hparams", P(Hparams), c_void_p)
_fn("aniso_model_dir", c_char_p, c_void_p)
_fn("aniso_model_stats_get", None, c_void_p, P(ModelStats))
_fn("aniso_arch_model_type", c_char_p, c_int)
_fn("aniso_arch_display_name", c_char_p, c_int)
_fn("aniso_arch_norm", c_int, c_int)
_fn("aniso_norm_name", c_char_p, c_int)
_fn("aniso_arch_norm_placement", c_char_p, c_int)

_fn("aniso_tokenizer_open", c_void_p, c_char_p, P(OpenOpts), P(Error_))
_fn("aniso_tokenizer_free", None, c_void_p)
_fn("aniso_tokenizer_encode", c_int, c_void_p, c_char_p, c_size_t, c_int, P(Ids), P(Error_))
_fn("aniso_tokenizer_encode_prompts", c_int, c_void_p, P(Prompts), P(Ids), P(P(c_size_t)), P(Error_))
_fn("aniso_tokenizer_token", c_char_p, c_void_p, c_int32)
_fn("aniso_tokenizer_specials", c_int, c_void_p, P(Ids), P(Ids), P(Error_))
_fn("aniso_token_roles", None, c_void_p, P(c_int32), c_size_t, c_size_t, c_size_t, P(c_ubyte))
_fn("aniso_token_roles_str", c_char_p, c_uint, c_char_p, c_size_t)
_fn("aniso_token_roles_parse", c_int, c_char_p, P(c_uint))
_fn("aniso_ids_free", None, P(Ids))

_fn("aniso_prompts_default", c_int, P(Prompts), P(Error_))
_fn("aniso_prompts_free", None, P(Prompts))

_fn("aniso_last_layer_parse", c_int, c_char_p, P(c_int))
_fn("aniso_last_layer_name", c_char_p, c_int)
_fn("aniso_hidden_count", c_int, c_int, c_int)
_fn("aniso_hidden_tap", c_int, c_int, c_int, c_int)
_fn("aniso_forward", c_int, c_void_p, P(Batch), P(ForwardOpts), P(Error_))
_fn("aniso_plan_new", c_void_p, c_void_p, P(PlanOpts), P(Error_))
_fn("aniso_plan_free", None, c_void_p)
_fn("aniso_plan_kernels", c_char_p, c_void_p)
_fn("aniso_kernels_set", c_int, c_char_p, P(Error_))
_fn("aniso_kernels_choice", c_char_p)
_fn("aniso_kernels_available", c_char_p, c_char_p, c_size_t)
_fn("aniso_cpu_features", c_char_p, c_char_p, c_size_t)
_fn("aniso_state_new", c_void_p, c_void_p, P(Error_))
_fn("aniso_state_free", None, c_void_p)
_fn("aniso_run", c_int, c_void_p, c_void_p, P(Batch), TAP_FN, c_void_p, P(Error_))

_fn("aniso_layers_parse", c_int, c_char_p, c_int, P(c_ubyte))
_fn("aniso_mask_parse_positions", c_int, c_char_p, P(c_long), P(c_long))
_fn("aniso_figure_formats_parse", c_int, c_char_p, P(c_uint))
_fn("aniso_profile", c_int, P(ProfileOpts), P(P(ProfileRun)), P(Error_))
_fn("aniso_profile_run_free", None, P(ProfileRun))
_fn("aniso_result_load", c_void_p, c_char_p, P(Error_))
_fn("aniso_result_free", None, c_void_p)
_fn("aniso_result_reference", None, c_void_p, P(Reference))
_fn("aniso_reference_default", None, P(Reference))

# aniso_status, in error.h's order; checked against aniso_status_str.
STATUS_NAMES = ["OK", "INVALID_ARGUMENT", "IO", "NOT_FOUND", "FORMAT", "UNSUPPORTED", "NO_MEMORY"]
STATUS_DESCRIPTIONS = [
    "success",
    "invalid argument",
    "input/output error",
    "not found",
    "malformed file",
    "unsupported",
    "out of memory",
]
for _i, _d in enumerate(STATUS_DESCRIPTIONS):
    _got = lib.aniso_status_str(_i)
    if _got is None or _got.decode() != _d:
        raise ImportError(
            f"aniso: status {_i} of {LIBRARY_PATH} is {_got!r}, the package expects {_d!r} "
            "(error.h's ANISO_STATUS_LIST changed)"
        )
