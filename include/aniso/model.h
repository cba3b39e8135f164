/* model.h - architectures, hyper-parameters, and opening a model's weights.
 *
 * A model is a Hugging Face folder (config.json plus model.safetensors, or
 * shards listed by model.safetensors.index.json) or a model id resolved in the
 * local Hugging Face cache (see hf.h). Opening a model reads config.json into
 * aniso_hparams, maps every weight file, and checks that every tensor the
 * architecture needs is present with the right shape and a float dtype.
 * Architecture differences are data (src/model/arch.c), never code paths.
 */
#ifndef ANISO_MODEL_H
#define ANISO_MODEL_H

#include <stdint.h>

#include "aniso/error.h"
#include "aniso/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum, model_type in config.json, display name) */
#define ANISO_ARCH_LIST(X)                                                                         \
    X(GEMMA, "gemma", "Gemma")                                                                     \
    X(GEMMA2, "gemma2", "Gemma 2")                                                                 \
    X(GEMMA3, "gemma3_text", "Gemma 3 text")                                                       \
    X(GPTNEOX, "gpt_neox", "GPT-NeoX")                                                             \
    X(LLAMA, "llama", "Llama")                                                                     \
    X(GPT2, "gpt2", "GPT-2")                                                                       \
    X(QWEN2, "qwen2", "Qwen2")                                                                     \
    X(QWEN3, "qwen3", "Qwen3")                                                                     \
    X(MISTRAL, "mistral", "Mistral")                                                               \
    X(PHI3, "phi3", "Phi-3")                                                                       \
    X(OLMO2, "olmo2", "OLMo 2")

typedef enum aniso_arch {
#define ANISO_X_(e, mt, disp) ANISO_ARCH_##e,
    ANISO_ARCH_LIST(ANISO_X_)
#undef ANISO_X_
        ANISO_ARCH_COUNT
} aniso_arch;

typedef enum aniso_norm {
    ANISO_NORM_RMS,       /* Llama: w * cast(x_hat) */
    ANISO_NORM_RMS_GEMMA, /* Gemma: x_hat * (1 + w), in float32 */
    ANISO_NORM_LAYER,     /* LayerNorm with weight and bias */
} aniso_norm;

/* Weight roles, each listed once. X(enum, per_layer) */
#define ANISO_ROLE_LIST(X)                                                                         \
    X(TOK_EMBD, 0)                                                                                 \
    X(POS_EMBD, 0)                                                                                 \
    X(OUT_NORM, 0)                                                                                 \
    X(OUT_NORM_B, 0)                                                                               \
    X(LM_HEAD, 0)                                                                                  \
    X(ATTN_NORM, 1)                                                                                \
    X(ATTN_NORM_B, 1)                                                                              \
    X(ATTN_Q, 1)                                                                                   \
    X(ATTN_Q_B, 1)                                                                                 \
    X(ATTN_K, 1)                                                                                   \
    X(ATTN_K_B, 1)                                                                                 \
    X(ATTN_V, 1)                                                                                   \
    X(ATTN_V_B, 1)                                                                                 \
    X(ATTN_QKV, 1)                                                                                 \
    X(ATTN_QKV_B, 1)                                                                               \
    X(ATTN_Q_NORM, 1)                                                                              \
    X(ATTN_K_NORM, 1)                                                                              \
    X(ATTN_OUT, 1)                                                                                 \
    X(ATTN_OUT_B, 1)                                                                               \
    X(ATTN_POST_NORM, 1)                                                                           \
    X(FFN_NORM, 1)                                                                                 \
    X(FFN_NORM_B, 1)                                                                               \
    X(FFN_GATE, 1)                                                                                 \
    X(FFN_GATE_B, 1)                                                                               \
    X(FFN_UP, 1)                                                                                   \
    X(FFN_UP_B, 1)                                                                                 \
    X(FFN_DOWN, 1)                                                                                 \
    X(FFN_DOWN_B, 1)                                                                               \
    X(FFN_POST_NORM, 1)

typedef enum aniso_role {
#define ANISO_X_(e, per_layer) ANISO_ROLE_##e,
    ANISO_ROLE_LIST(ANISO_X_)
#undef ANISO_X_
        ANISO_ROLE_COUNT
} aniso_role;

/* "gemma3_text" (config.json's model_type) for ANISO_ARCH_GEMMA3. */
const char *aniso_arch_model_type(aniso_arch arch);
/* "Gemma 3 text". */
const char *aniso_arch_display_name(aniso_arch arch);
/* Comma-separated list of every supported model_type, for messages. */
const char *aniso_arch_supported_list(void);
aniso_norm aniso_arch_norm(aniso_arch arch);
/* "RMSNorm" or "LayerNorm", as the report's normalization key. */
const char *aniso_norm_name(aniso_norm norm);
/* Where the family's norms sit: "pre" (before each sublayer), "pre+post"
 * (before and after: Gemma 2 and 3's sandwich), "post" (after each sublayer,
 * inside the residual: OLMo 2). */
const char *aniso_arch_norm_placement(aniso_arch arch);
const char *aniso_role_name(aniso_role role);

typedef enum aniso_act {
    ANISO_ACT_SILU,      /* x * sigmoid(x) (silu, swish) */
    ANISO_ACT_GELU,      /* exact: 0.5 x (1 + erf(x / sqrt 2)) (gelu) */
    ANISO_ACT_GELU_TANH, /* tanh approximation (gelu_pytorch_tanh) */
    ANISO_ACT_GELU_NEW,  /* the same formula as separate float32 operations (gelu_new, GPT-2) */
    ANISO_ACT_GELU_FAST, /* tanh form with 0.7978845608 and x * (1 + 0.044715 x^2) (gelu_fast) */
} aniso_act;

typedef enum aniso_rope_type {
    ANISO_ROPE_DEFAULT,
    ANISO_ROPE_LINEAR,   /* inv_freq / factor */
    ANISO_ROPE_LLAMA3,   /* Llama 3.1 frequency-dependent scaling */
    ANISO_ROPE_YARN,     /* YaRN: interpolation ramp between beta_fast and beta_slow */
    ANISO_ROPE_DYNAMIC,  /* dynamic NTK: the base grows with sequences past original_max_pos */
    ANISO_ROPE_LONGROPE, /* per-frequency short / long factors (Phi-3) */
    ANISO_ROPE_FACTORS,  /* inv_freq / factors[i] (GGUF rope_freqs: Llama 3.1 in GGUF files) */
} aniso_rope_type;

#define ANISO_MAX_ROPE_FACTORS 512

/* One rotary-embedding setting (a model may have two: Gemma 3's global and
 * sliding layers). */
typedef struct aniso_rope {
    double theta;
    aniso_rope_type type;
    double factor, low_freq_factor, high_freq_factor; /* LINEAR, LLAMA3, YARN, DYNAMIC */
    /* LLAMA3, YARN, LONGROPE: the pre-training context; DYNAMIC: the length
     * past which the base grows */
    double original_max_pos;
    /* multiplies cos and sin (YARN, LONGROPE; 1 otherwise) */
    double attention_factor;
    double beta_fast, beta_slow;                /* YARN */
    int truncate;                               /* YARN: correction range rounded to whole dims */
    int n_factors;                              /* LONGROPE, FACTORS: n_rot / 2 */
    float short_factor[ANISO_MAX_ROPE_FACTORS]; /* LONGROPE: sequences up to original_max_pos */
    float long_factor[ANISO_MAX_ROPE_FACTORS];  /* LONGROPE: longer ones; FACTORS: the divisors */
} aniso_rope;

#define ANISO_MAX_LAYERS 4096

/* Which transformers rules a config.json is read by. The two major versions
 * write the rotary settings differently (4.x: rope_theta, rope_scaling and
 * family keys; 5.x: rope_parameters) and disagree on what Gemma 1's
 * hidden_act "gelu" means (4.57: exact erf GELU; 5.x: the tanh form). */
typedef enum aniso_hf_semantics {
    ANISO_HF_AUTO = 0, /* by the file's transformers_version (absent: 5.x) */
    ANISO_HF_V4 = 4,   /* transformers 4.57 */
    ANISO_HF_V5 = 5,   /* transformers 5.x */
} aniso_hf_semantics;

typedef struct aniso_config_opts {
    aniso_hf_semantics semantics;
    /* Keys to accept unread (NULL-terminated, or NULL): config keys that
     * aniso does not know are errors unless the caller vouches for them. */
    const char *const *ignore_keys;
} aniso_config_opts;

/* Hyper-parameters read from config.json. Dimension names are used
 * everywhere else in the code with these meanings. */
typedef struct aniso_hparams {
    aniso_arch arch;
    char architecture[128]; /* config "architectures"[0], or "" */
    int n_layer;            /* num_hidden_layers */
    int d_model;            /* hidden_size */
    int n_head;             /* num_attention_heads */
    int n_head_kv;          /* num_key_value_heads (default: per architecture) */
    int d_head;             /* head_dim (default: per architecture) */
    int d_ff;               /* intermediate_size */
    int n_vocab;            /* vocab_size */
    int n_pos;              /* max_position_embeddings (0: not stated, GGUF) */
    double norm_eps;        /* rms_norm_eps or layer_norm_eps */
    int attn_bias;          /* attention_bias: q/k/v/o (or qkv/dense) biases */
    int mlp_bias;           /* mlp_bias (Llama) */
    int tie_embd;           /* tie_word_embeddings */
    /* What the forward pass reads, resolved by transformers' rules: */
    aniso_act act;           /* MLP activation */
    int n_rot;               /* rotated dims per head: int(d_head * partial_rotary_factor) */
    aniso_rope rope;         /* global / only rotary setting */
    aniso_rope rope_local;   /* sliding-window layers (Gemma 3: rope_local_base_freq) */
    double attn_scale;       /* multiplies q.k: d_head^-1/2 or query_pre_attn_scalar^-1/2 */
    int attn_scale_by_layer; /* GPT-2 scale_attn_by_inverse_layer_idx: layer l divides by l + 1 */
    double softcap;          /* attention logit soft-capping; 0 = none (Gemma 2) */
    int sliding_window;      /* window of sliding layers; 0 = none */
    double embd_scale;       /* multiplies the embedding: fp32(sqrt(d_model)) for Gemma, else 1 */
    int parallel_residual;   /* GPT-NeoX use_parallel_residual (0 for every other family) */
    double rope_frac;        /* partial_rotary_factor / rotary_pct as read */
    int hf_semantics;        /* ANISO_HF_V4 or ANISO_HF_V5: the rules the config was read by */
    char transformers_version[32];           /* as the file records it, or "" */
    unsigned char sliding[ANISO_MAX_LAYERS]; /* layer i uses the sliding window */
} aniso_hparams;

/* Parses a config.json image; name is used in messages; co may be NULL
 * (automatic rules, no extra keys). The dimension keys are required; others
 * take the architecture's Hugging Face default; a key that is neither read
 * nor known to leave hidden states unchanged is an error naming it. */
aniso_status aniso_hparams_parse(const char *json, size_t len, const char *name,
                                 const aniso_config_opts *co, aniso_hparams *hp, aniso_error *err);

/* The rules (ANISO_HF_V4 or ANISO_HF_V5) that the config.json in folder dir
 * is read by: co's choice, else its transformers_version (a folder without
 * config.json: 5.x). -1 with err set when the file cannot be read. */
int aniso_config_semantics(const char *dir, const aniso_config_opts *co, aniso_error *err);

typedef struct aniso_open_opts {
    const char *cache_dir;    /* Hugging Face hub cache, for model ids; may be NULL */
    const char *revision;     /* branch, tag or commit for model ids; NULL = "main" */
    aniso_config_opts config; /* how config.json is read */
} aniso_open_opts;

typedef struct aniso_model aniso_model;

/* Opens MODEL: a folder, or a model id ("org/name") looked up in
 * opts->cache_dir. Every required weight is checked before this returns. */
aniso_model *aniso_model_open(const char *model, const aniso_open_opts *opts, aniso_error *err);
void aniso_model_free(aniso_model *m);

const aniso_hparams *aniso_model_hparams(const aniso_model *m);
/* The resolved model folder (a cache snapshot folder for model ids). */
const char *aniso_model_dir(const aniso_model *m);

typedef struct aniso_model_stats {
    uint64_t n_params;  /* elements of every tensor the architecture uses */
    uint64_t n_bytes;   /* their bytes in the files */
    uint64_t n_tensors; /* how many such tensors */
    uint64_t n_ignored; /* other tensors in the files (buffers) */
    uint64_t params_by_dtype[ANISO_DTYPE_COUNT]; /* n_params split by dtype */
    int n_files;                                 /* weight files mapped */
} aniso_model_stats;

void aniso_model_stats_get(const aniso_model *m, aniso_model_stats *out);

/* The weight with role for layer (ignored for global roles), or NULL when
 * the architecture has no such weight or an optional one is absent. */
const aniso_tensor *aniso_model_weight(const aniso_model *m, aniso_role role, int layer);

#ifdef __cplusplus
}
#endif
#endif
