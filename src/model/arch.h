/* arch.h - architecture descriptions: the data that makes one loader and one
 * forward pass serve every supported model family. */
#ifndef ANISO_ARCH_H
#define ANISO_ARCH_H

#include <stddef.h>

#include "aniso/model.h"

/* Symbolic tensor dimensions, resolved against aniso_hparams. */
typedef enum dim_sym {
    DIM_NONE = 0,
    DIM_VOCAB, /* n_vocab */
    DIM_MODEL, /* d_model */
    DIM_Q,     /* n_head * d_head */
    DIM_KV,    /* n_head_kv * d_head */
    DIM_QKV,   /* 3 * n_head * d_head (fused, GPT-NeoX) */
    DIM_FF,    /* d_ff */
    DIM_HEAD,  /* d_head */
} dim_sym;

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
    dim_sym shape[2]; /* PyTorch order; DIM_NONE ends a 1-D shape */
    need need;
} weight_spec;

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
    int gemma_style;       /* embedding x sqrt(d_model), query_pre_attn_scalar */
    int sliding_kind;      /* 0 none, 2 Gemma 2 (even layers), 3 Gemma 3 (pattern) */
    const char *gguf_arch; /* general.architecture in GGUF files */
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

/* Hyper-parameters of a GGUF file's model (config.c). */
struct aniso_gguf;
aniso_status hparams_from_gguf(const struct aniso_gguf *g, aniso_hparams *hp, aniso_error *err);

#endif
