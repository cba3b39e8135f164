/* arch.c - one table per architecture: Hugging Face tensor names and shapes
 * of every weight role, config defaults, and the enum-valued traits the
 * forward pass reads. Sources: ARCHITECTURES.md sections 2-6 (the
 * transformers modeling and configuration files). */
#include <string.h>

#include "model/arch.h"

/* Attention projections named as in Llama, Gemma 1/2/3. */
#define LLAMA_ATTN(prefix)                                                                         \
    {ANISO_ROLE_ATTN_Q, prefix "self_attn.q_proj.weight", {DIM_Q, DIM_MODEL}, NEED_ALWAYS},        \
        {ANISO_ROLE_ATTN_K, prefix "self_attn.k_proj.weight", {DIM_KV, DIM_MODEL}, NEED_ALWAYS},   \
        {ANISO_ROLE_ATTN_V, prefix "self_attn.v_proj.weight", {DIM_KV, DIM_MODEL}, NEED_ALWAYS},   \
        {ANISO_ROLE_ATTN_OUT, prefix "self_attn.o_proj.weight", {DIM_MODEL, DIM_Q}, NEED_ALWAYS},  \
        {ANISO_ROLE_ATTN_Q_B, prefix "self_attn.q_proj.bias", {DIM_Q}, NEED_ATTN_BIAS},            \
        {ANISO_ROLE_ATTN_K_B, prefix "self_attn.k_proj.bias", {DIM_KV}, NEED_ATTN_BIAS},           \
        {ANISO_ROLE_ATTN_V_B, prefix "self_attn.v_proj.bias", {DIM_KV}, NEED_ATTN_BIAS},           \
    {                                                                                              \
        ANISO_ROLE_ATTN_OUT_B, prefix "self_attn.o_proj.bias", {DIM_MODEL}, NEED_ATTN_BIAS         \
    }

/* Gated MLP named as in Llama and Gemma. */
#define LLAMA_MLP(prefix)                                                                          \
    {ANISO_ROLE_FFN_GATE, prefix "mlp.gate_proj.weight", {DIM_FF, DIM_MODEL}, NEED_ALWAYS},        \
        {ANISO_ROLE_FFN_UP, prefix "mlp.up_proj.weight", {DIM_FF, DIM_MODEL}, NEED_ALWAYS},        \
    {                                                                                              \
        ANISO_ROLE_FFN_DOWN, prefix "mlp.down_proj.weight", {DIM_MODEL, DIM_FF}, NEED_ALWAYS       \
    }

#define LLAMA_GLOBALS                                                                              \
    {ANISO_ROLE_TOK_EMBD, "model.embed_tokens.weight", {DIM_VOCAB, DIM_MODEL}, NEED_ALWAYS},       \
        {ANISO_ROLE_OUT_NORM, "model.norm.weight", {DIM_MODEL}, NEED_ALWAYS},                      \
    {                                                                                              \
        ANISO_ROLE_LM_HEAD, "lm_head.weight", {DIM_VOCAB, DIM_MODEL}, NEED_UNTIED                  \
    }

#define L "model.layers.%d."

static const weight_spec llama_weights[] = {
    LLAMA_GLOBALS,
    {ANISO_ROLE_ATTN_NORM, L "input_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    LLAMA_ATTN(L),
    {ANISO_ROLE_FFN_NORM, L "post_attention_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    LLAMA_MLP(L),
    {ANISO_ROLE_FFN_GATE_B, L "mlp.gate_proj.bias", {DIM_FF}, NEED_MLP_BIAS},
    {ANISO_ROLE_FFN_UP_B, L "mlp.up_proj.bias", {DIM_FF}, NEED_MLP_BIAS},
    {ANISO_ROLE_FFN_DOWN_B, L "mlp.down_proj.bias", {DIM_MODEL}, NEED_MLP_BIAS},
};

/* Gemma 1: Llama's layout (its post_attention_layernorm is the pre-MLP norm). */
static const weight_spec gemma_weights[] = {
    LLAMA_GLOBALS,
    {ANISO_ROLE_ATTN_NORM, L "input_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    LLAMA_ATTN(L),
    {ANISO_ROLE_FFN_NORM, L "post_attention_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    LLAMA_MLP(L),
};

/* Gemma 2: "sandwich" norms; post_attention_layernorm normalises the
 * attention output before the residual add. */
#define GEMMA2_NORMS                                                                               \
    {ANISO_ROLE_ATTN_NORM, L "input_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},                  \
        {ANISO_ROLE_ATTN_POST_NORM,                                                                \
         L "post_attention_layernorm.weight",                                                      \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS},                                                                             \
        {ANISO_ROLE_FFN_NORM, L "pre_feedforward_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},     \
    {                                                                                              \
        ANISO_ROLE_FFN_POST_NORM, L "post_feedforward_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS  \
    }

static const weight_spec gemma2_weights[] = {
    LLAMA_GLOBALS,
    GEMMA2_NORMS,
    LLAMA_ATTN(L),
    LLAMA_MLP(L),
};

/* Gemma 3 text: Gemma 2 plus per-head q/k RMSNorms. */
static const weight_spec gemma3_weights[] = {
    LLAMA_GLOBALS,
    GEMMA2_NORMS,
    LLAMA_ATTN(L),
    {ANISO_ROLE_ATTN_Q_NORM, L "self_attn.q_norm.weight", {DIM_HEAD}, NEED_ALWAYS},
    {ANISO_ROLE_ATTN_K_NORM, L "self_attn.k_norm.weight", {DIM_HEAD}, NEED_ALWAYS},
    LLAMA_MLP(L),
};

#undef L
#define N "gpt_neox.layers.%d."

/* GPT-NeoX / Pythia: LayerNorms with biases, fused per-head-interleaved QKV. */
static const weight_spec gptneox_weights[] = {
    {ANISO_ROLE_TOK_EMBD, "gpt_neox.embed_in.weight", {DIM_VOCAB, DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_OUT_NORM, "gpt_neox.final_layer_norm.weight", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_OUT_NORM_B, "gpt_neox.final_layer_norm.bias", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_LM_HEAD, "embed_out.weight", {DIM_VOCAB, DIM_MODEL}, NEED_UNTIED},
    {ANISO_ROLE_ATTN_NORM, N "input_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_ATTN_NORM_B, N "input_layernorm.bias", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_ATTN_QKV, N "attention.query_key_value.weight", {DIM_QKV, DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_ATTN_QKV_B, N "attention.query_key_value.bias", {DIM_QKV}, NEED_ATTN_BIAS},
    {ANISO_ROLE_ATTN_OUT, N "attention.dense.weight", {DIM_MODEL, DIM_Q}, NEED_ALWAYS},
    {ANISO_ROLE_ATTN_OUT_B, N "attention.dense.bias", {DIM_MODEL}, NEED_ATTN_BIAS},
    {ANISO_ROLE_FFN_NORM, N "post_attention_layernorm.weight", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_NORM_B, N "post_attention_layernorm.bias", {DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_UP, N "mlp.dense_h_to_4h.weight", {DIM_FF, DIM_MODEL}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_UP_B, N "mlp.dense_h_to_4h.bias", {DIM_FF}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_DOWN, N "mlp.dense_4h_to_h.weight", {DIM_MODEL, DIM_FF}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_DOWN_B, N "mlp.dense_4h_to_h.bias", {DIM_MODEL}, NEED_ALWAYS},
};

#undef N

#define W(a) a, sizeof a / sizeof a[0]

static const arch_desc archs[ANISO_ARCH_COUNT] = {
    /* transformers >= 4.48: Gemma 1's MLP reads hidden_act ("gelu" on the Hub
     * means exact erf GELU); Gemma 2 and 3 read hidden_activation. */
    [ANISO_ARCH_GEMMA] = {ANISO_ARCH_GEMMA, "gemma", "Gemma", ANISO_NORM_RMS_GEMMA, "rms_norm_eps",
                          1e-6, 16, 256, 1, 0, W(gemma_weights), "hidden_act", ANISO_ACT_GELU_TANH,
                          10000.0, 1, 0},
    [ANISO_ARCH_GEMMA2] = {ANISO_ARCH_GEMMA2, "gemma2", "Gemma 2", ANISO_NORM_RMS_GEMMA,
                           "rms_norm_eps", 1e-6, 4, 256, 1, 0, W(gemma2_weights),
                           "hidden_activation", ANISO_ACT_GELU_TANH, 10000.0, 1, 2},
    [ANISO_ARCH_GEMMA3] = {ANISO_ARCH_GEMMA3, "gemma3_text", "Gemma 3 text", ANISO_NORM_RMS_GEMMA,
                           "rms_norm_eps", 1e-6, 4, 256, 1, 0, W(gemma3_weights),
                           "hidden_activation", ANISO_ACT_GELU_TANH, 1000000.0, 1, 3},
    [ANISO_ARCH_GPTNEOX] = {ANISO_ARCH_GPTNEOX, "gpt_neox", "GPT-NeoX", ANISO_NORM_LAYER,
                            "layer_norm_eps", 1e-5, 0, 0, 0, 1, W(gptneox_weights), "hidden_act",
                            ANISO_ACT_GELU, 10000.0, 0, 0},
    [ANISO_ARCH_LLAMA] = {ANISO_ARCH_LLAMA, "llama", "Llama", ANISO_NORM_RMS, "rms_norm_eps", 1e-6,
                          0, 0, 0, 0, W(llama_weights), "hidden_act", ANISO_ACT_SILU, 10000.0, 0,
                          0},
};

static const int role_layer[] = {
#define X(e, per_layer) per_layer,
    ANISO_ROLE_LIST(X)
#undef X
};

static const char *const role_names[] = {
#define X(e, per_layer) #e,
    ANISO_ROLE_LIST(X)
#undef X
};

const arch_desc *arch_get(aniso_arch arch)
{
    return (unsigned)arch < ANISO_ARCH_COUNT ? &archs[arch] : NULL;
}

const arch_desc *arch_find(const char *model_type)
{
    for (int i = 0; i < ANISO_ARCH_COUNT; i++)
        if (strcmp(archs[i].model_type, model_type) == 0) return &archs[i];
    return NULL;
}

const char *aniso_arch_model_type(aniso_arch arch)
{
    return arch_get(arch) ? archs[arch].model_type : NULL;
}

const char *aniso_arch_display_name(aniso_arch arch)
{
    return arch_get(arch) ? archs[arch].display : NULL;
}

const char *aniso_arch_supported_list(void)
{
    return "gemma, gemma2, gemma3_text, gpt_neox, llama";
}

aniso_norm aniso_arch_norm(aniso_arch arch)
{
    return arch_get(arch) ? archs[arch].norm : ANISO_NORM_RMS;
}

const char *aniso_norm_name(aniso_norm norm)
{
    return norm == ANISO_NORM_LAYER ? "LayerNorm" : "RMSNorm";
}

const char *aniso_role_name(aniso_role role)
{
    return (unsigned)role < ANISO_ROLE_COUNT ? role_names[role] : NULL;
}

int role_per_layer(aniso_role role)
{
    return (unsigned)role < ANISO_ROLE_COUNT && role_layer[role];
}

long long dim_value(dim_sym d, const aniso_hparams *hp)
{
    switch (d) {
    case DIM_NONE:
        return -1;
    case DIM_VOCAB:
        return hp->n_vocab;
    case DIM_MODEL:
        return hp->d_model;
    case DIM_Q:
        return (long long)hp->n_head * hp->d_head;
    case DIM_KV:
        return (long long)hp->n_head_kv * hp->d_head;
    case DIM_QKV:
        return 3LL * hp->n_head * hp->d_head;
    case DIM_FF:
        return hp->d_ff;
    case DIM_HEAD:
        return hp->d_head;
    }
    return -1;
}

int weight_used(const weight_spec *w, const aniso_hparams *hp)
{
    switch (w->need) {
    case NEED_ALWAYS:
        return 1;
    case NEED_ATTN_BIAS:
        return hp->attn_bias;
    case NEED_MLP_BIAS:
        return hp->mlp_bias;
    case NEED_UNTIED:
        return !hp->tie_embd;
    }
    return 0;
}
