/* arch.h - architecture descriptions: the data that makes one loader and one
 * forward pass serve every supported model family. */
#ifndef ANISO_ARCH_H
#define ANISO_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/model.h"

/* Symbolic tensor dimensions, resolved against aniso_hparams. */
typedef enum dim_sym {
    DIM_NONE = 0,
    DIM_VOCAB, /* n_vocab */
    DIM_MODEL, /* d_model */
    DIM_Q,     /* n_head * d_head */
    DIM_KV,    /* n_head_kv * d_head */
    DIM_QKV,   /* (n_head + 2 n_head_kv) * d_head: fused q, k and v */
    DIM_FF,    /* d_ff */
    DIM_FF2,   /* 2 * d_ff: fused gate and up projections */
    DIM_HEAD,  /* d_head */
    DIM_POS,   /* n_pos: rows of a learned position embedding */
} dim_sym;

/* Which part of a fused tensor a role is: the file tensor has the spec's
 * (fused) shape, and the role binds a view of its rows (its columns, for a
 * Conv1D weight). [q; k; v] stack n_head, n_head_kv and n_head_kv heads;
 * [gate; up] two halves of DIM_FF2. */
typedef enum fused_part {
    PART_WHOLE = 0,
    PART_Q,
    PART_K,
    PART_V,
    PART_GATE,
    PART_UP,
} fused_part;

/* How a 2-D weight is stored. */
typedef enum weight_layout {
    LAYOUT_LINEAR = 0, /* torch.nn.Linear: (out, in) */
    LAYOUT_CONV1D,     /* transformers' Conv1D (GPT-2): (in, out) */
} weight_layout;

/* When a weight is used. */
typedef enum need {
    NEED_ALWAYS,    /* required */
    NEED_ATTN_BIAS, /* required when hparams.attn_bias, else unused */
    NEED_MLP_BIAS,  /* required when hparams.mlp_bias, else unused */
    NEED_UNTIED,    /* output head: optional, used only when not tied */
} need;

typedef struct weight_spec {
    aniso_role role;
    const char *name; /* Hugging Face tensor name; "%d" stands for the layer */
    const char *gguf; /* the llama.cpp converter's name (GGUF files), or NULL */
    dim_sym shape[2]; /* (out, in) as torch.nn.Linear holds it; DIM_NONE ends a 1-D shape */
    need need;
    fused_part part;      /* PART_WHOLE, or the part of a fused tensor */
    weight_layout layout; /* of Hugging Face files (GGUF files hold every weight as (out, in)) */
} weight_spec;

/* How a family rotates queries and keys. */
typedef enum rotary_kind {
    ROTARY_WHOLE = 0, /* RoPE on whole heads (rotate_half) */
    ROTARY_PARTIAL,   /* on the first partial_rotary_factor of each head (GPT-NeoX, Phi-3) */
    ROTARY_NONE,      /* learned absolute positions instead (GPT-2) */
} rotary_kind;

/* Which layers attend through a sliding window (when the config sets one). */
typedef enum slide_kind {
    SLIDE_NONE = 0,
    SLIDE_ALL,    /* every layer (Mistral, Phi-3) */
    SLIDE_GEMMA2, /* even layers */
    SLIDE_GEMMA3, /* all but every sliding_window_pattern-th */
    SLIDE_QWEN,   /* use_sliding_window: layers from max_window_layers on */
} slide_kind;

typedef struct arch_desc {
    aniso_arch arch;
    const char *model_type;
    const char *display;
    aniso_norm norm;
    const char *eps_key;   /* config key of the norm epsilon */
    double eps_default;    /* Hugging Face config class default */
    int n_head_kv_default; /* 0: same as n_head */
    int d_head_default;    /* 0: d_model / n_head */
    int tie_default;
    int attn_bias_default;
    const weight_spec *weights;
    size_t n_weights;
    const char *act_key; /* config key of the MLP activation, as this family's MLP reads it */
    aniso_act act_default;
    double rope_theta_default;
    int max_pos_default;  /* max_position_embeddings of the config class */
    int ff_mult;          /* d_ff when the config leaves it null: ff_mult x d_model (GPT-2); 0:
                             required */
    int no_attn_bias_key; /* the config has no attention_bias: biases as the table says */
    int no_head_dim_key;  /* head_dim is always d_model / n_head (GPT-2, GPT-NeoX) */
    int sliding_default;  /* sliding_window of the config class (0: null) */
    rotary_kind rotary;
    int gemma_style;         /* embedding x sqrt(d_model), query_pre_attn_scalar */
    slide_kind sliding_kind; /* which layers attend through a sliding window */
    const char *gguf_arch;   /* general.architecture in GGUF files */
    /* llama.cpp's converter permutes q/k rows for its adjacent-pair RoPE */
    int gguf_qk_permuted;
    /* The base model's prefix ("model."): checkpoints of the bare model
     * (GPT-2's own files) name their tensors without it. */
    const char *prefix;
    /* Alternative names transformers maps to standard config keys (its
     * attribute_map: GPT-2's n_embd for hidden_size), pairs of standard and
     * family name, NULL-terminated. */
    const char *const *key_map;
    /* config.json keys of this family that cannot change hidden states */
    const char *const *ignored_keys;
    size_t n_ignored_keys;
} arch_desc;

const arch_desc *arch_get(aniso_arch arch);
/* The architecture whose model_type is s, or NULL. */
const arch_desc *arch_find(const char *model_type);
/* The architecture whose GGUF general.architecture is s, or NULL. */
const arch_desc *arch_find_gguf(const char *gguf_arch);
/* Resolves a symbolic dimension; -1 for DIM_NONE. */
long long dim_value(dim_sym d, const aniso_hparams *hp);
/* Whether spec is used by a model with these hyper-parameters. */
int weight_used(const weight_spec *w, const aniso_hparams *hp);
int role_per_layer(aniso_role role);

/* ---- Bound weights' values (model.c), for the forward pass's checks ---- */

/* The file that holds the weight bound to role and layer (for messages). */
const char *model_weight_file(const aniso_model *m, aniso_role role, int layer);
/* The element of the file's tensor where the bound view starts: 0, or for a
 * part of a fused tensor its first row's first element (its first column,
 * for a Conv1D weight). */
uint64_t model_weight_first(const aniso_model *m, aniso_role role, int layer);
/* Whether every value of the weight has been found finite, as
 * model_weight_set_checked records (once per model, from any thread). */
int model_weight_checked(const aniso_model *m, aniso_role role, int layer);
void model_weight_set_checked(const aniso_model *m, aniso_role role, int layer);

/* Hyper-parameters of a GGUF file's model (config.c). */
struct aniso_gguf;
aniso_status hparams_from_gguf(const struct aniso_gguf *g, aniso_hparams *hp, aniso_error *err);

#endif
