/* arch.c - one table per architecture: Hugging Face tensor names and shapes
 * of every weight role, config defaults, and the enum-valued traits the
 * forward pass reads. Sources: ARCHITECTURES.md sections 2-6 (the
 * transformers modeling and configuration files). */
#include <string.h>

#include "model/arch.h"

/* Attention projections named as in Llama, Gemma 1/2/3 (Hugging Face, GGUF). */
#define LLAMA_ATTN(p, g)                                                                           \
    {ANISO_ROLE_ATTN_Q,                                                                            \
     p "self_attn.q_proj.weight",                                                                  \
     g "attn_q.weight",                                                                            \
     {DIM_Q, DIM_MODEL},                                                                           \
     NEED_ALWAYS},                                                                                 \
        {ANISO_ROLE_ATTN_K,                                                                        \
         p "self_attn.k_proj.weight",                                                              \
         g "attn_k.weight",                                                                        \
         {DIM_KV, DIM_MODEL},                                                                      \
         NEED_ALWAYS},                                                                             \
        {ANISO_ROLE_ATTN_V,                                                                        \
         p "self_attn.v_proj.weight",                                                              \
         g "attn_v.weight",                                                                        \
         {DIM_KV, DIM_MODEL},                                                                      \
         NEED_ALWAYS},                                                                             \
        {ANISO_ROLE_ATTN_OUT,                                                                      \
         p "self_attn.o_proj.weight",                                                              \
         g "attn_output.weight",                                                                   \
         {DIM_MODEL, DIM_Q},                                                                       \
         NEED_ALWAYS},                                                                             \
        {ANISO_ROLE_ATTN_Q_B,                                                                      \
         p "self_attn.q_proj.bias",                                                                \
         g "attn_q.bias",                                                                          \
         {DIM_Q},                                                                                  \
         NEED_ATTN_BIAS},                                                                          \
        {ANISO_ROLE_ATTN_K_B,                                                                      \
         p "self_attn.k_proj.bias",                                                                \
         g "attn_k.bias",                                                                          \
         {DIM_KV},                                                                                 \
         NEED_ATTN_BIAS},                                                                          \
        {ANISO_ROLE_ATTN_V_B,                                                                      \
         p "self_attn.v_proj.bias",                                                                \
         g "attn_v.bias",                                                                          \
         {DIM_KV},                                                                                 \
         NEED_ATTN_BIAS},                                                                          \
    {                                                                                              \
        ANISO_ROLE_ATTN_OUT_B, p "self_attn.o_proj.bias", g "attn_output.bias", {DIM_MODEL},       \
            NEED_ATTN_BIAS                                                                         \
    }

/* Gated MLP named as in Llama and Gemma. */
#define LLAMA_MLP(p, g)                                                                            \
    {ANISO_ROLE_FFN_GATE,                                                                          \
     p "mlp.gate_proj.weight",                                                                     \
     g "ffn_gate.weight",                                                                          \
     {DIM_FF, DIM_MODEL},                                                                          \
     NEED_ALWAYS},                                                                                 \
        {ANISO_ROLE_FFN_UP,                                                                        \
         p "mlp.up_proj.weight",                                                                   \
         g "ffn_up.weight",                                                                        \
         {DIM_FF, DIM_MODEL},                                                                      \
         NEED_ALWAYS},                                                                             \
    {                                                                                              \
        ANISO_ROLE_FFN_DOWN, p "mlp.down_proj.weight", g "ffn_down.weight", {DIM_MODEL, DIM_FF},   \
            NEED_ALWAYS                                                                            \
    }

#define LLAMA_GLOBALS                                                                              \
    {ANISO_ROLE_TOK_EMBD,                                                                          \
     "model.embed_tokens.weight",                                                                  \
     "token_embd.weight",                                                                          \
     {DIM_VOCAB, DIM_MODEL},                                                                       \
     NEED_ALWAYS},                                                                                 \
        {ANISO_ROLE_OUT_NORM,                                                                      \
         "model.norm.weight",                                                                      \
         "output_norm.weight",                                                                     \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS},                                                                             \
    {                                                                                              \
        ANISO_ROLE_LM_HEAD, "lm_head.weight", "output.weight", {DIM_VOCAB, DIM_MODEL}, NEED_UNTIED \
    }

#define L "model.layers.%d."
#define G "blk.%d."

/* One pre-norm block: attention norm, attention, MLP norm, MLP. */
#define LLAMA_BLOCK                                                                                \
    {ANISO_ROLE_ATTN_NORM,                                                                         \
     L "input_layernorm.weight",                                                                   \
     G "attn_norm.weight",                                                                         \
     {DIM_MODEL},                                                                                  \
     NEED_ALWAYS},                                                                                 \
        LLAMA_ATTN(L, G),                                                                          \
        {ANISO_ROLE_FFN_NORM,                                                                      \
         L "post_attention_layernorm.weight",                                                      \
         G "ffn_norm.weight",                                                                      \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS},                                                                             \
        LLAMA_MLP(L, G)

static const weight_spec llama_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_BLOCK,
    {ANISO_ROLE_FFN_GATE_B, L "mlp.gate_proj.bias", G "ffn_gate.bias", {DIM_FF}, NEED_MLP_BIAS},
    {ANISO_ROLE_FFN_UP_B, L "mlp.up_proj.bias", G "ffn_up.bias", {DIM_FF}, NEED_MLP_BIAS},
    {ANISO_ROLE_FFN_DOWN_B, L "mlp.down_proj.bias", G "ffn_down.bias", {DIM_MODEL}, NEED_MLP_BIAS},
};

/* Gemma 1: Llama's layout (its post_attention_layernorm is the pre-MLP norm). */
static const weight_spec gemma_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_BLOCK,
};

/* Gemma 2: "sandwich" norms; post_attention_layernorm normalises the
 * attention output before the residual add. */
#define GEMMA2_NORMS                                                                               \
    {ANISO_ROLE_ATTN_NORM,                                                                         \
     L "input_layernorm.weight",                                                                   \
     G "attn_norm.weight",                                                                         \
     {DIM_MODEL},                                                                                  \
     NEED_ALWAYS},                                                                                 \
        {ANISO_ROLE_ATTN_POST_NORM,                                                                \
         L "post_attention_layernorm.weight",                                                      \
         G "post_attention_norm.weight",                                                           \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS},                                                                             \
        {ANISO_ROLE_FFN_NORM,                                                                      \
         L "pre_feedforward_layernorm.weight",                                                     \
         G "ffn_norm.weight",                                                                      \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS},                                                                             \
    {                                                                                              \
        ANISO_ROLE_FFN_POST_NORM, L "post_feedforward_layernorm.weight", G "post_ffw_norm.weight", \
            {DIM_MODEL}, NEED_ALWAYS                                                               \
    }

static const weight_spec gemma2_weights[] = {
    LLAMA_GLOBALS,
    GEMMA2_NORMS,
    LLAMA_ATTN(L, G),
    LLAMA_MLP(L, G),
};

/* Gemma 3 text: Gemma 2 plus per-head q/k RMSNorms. */
static const weight_spec gemma3_weights[] = {
    LLAMA_GLOBALS,
    GEMMA2_NORMS,
    LLAMA_ATTN(L, G),
    {ANISO_ROLE_ATTN_Q_NORM,
     L "self_attn.q_norm.weight",
     G "attn_q_norm.weight",
     {DIM_HEAD},
     NEED_ALWAYS},
    {ANISO_ROLE_ATTN_K_NORM,
     L "self_attn.k_norm.weight",
     G "attn_k_norm.weight",
     {DIM_HEAD},
     NEED_ALWAYS},
    LLAMA_MLP(L, G),
};

#undef L
#undef G
#define N "gpt_neox.layers.%d."
#define G "blk.%d."

/* GPT-NeoX / Pythia: LayerNorms with biases, fused per-head-interleaved QKV. */
static const weight_spec gptneox_weights[] = {
    {ANISO_ROLE_TOK_EMBD,
     "gpt_neox.embed_in.weight",
     "token_embd.weight",
     {DIM_VOCAB, DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_OUT_NORM,
     "gpt_neox.final_layer_norm.weight",
     "output_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_OUT_NORM_B,
     "gpt_neox.final_layer_norm.bias",
     "output_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_LM_HEAD, "embed_out.weight", "output.weight", {DIM_VOCAB, DIM_MODEL}, NEED_UNTIED},
    {ANISO_ROLE_ATTN_NORM,
     N "input_layernorm.weight",
     G "attn_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_ATTN_NORM_B,
     N "input_layernorm.bias",
     G "attn_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_ATTN_QKV,
     N "attention.query_key_value.weight",
     G "attn_qkv.weight",
     {DIM_QKV, DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_ATTN_QKV_B,
     N "attention.query_key_value.bias",
     G "attn_qkv.bias",
     {DIM_QKV},
     NEED_ATTN_BIAS},
    {ANISO_ROLE_ATTN_OUT,
     N "attention.dense.weight",
     G "attn_output.weight",
     {DIM_MODEL, DIM_Q},
     NEED_ALWAYS},
    {ANISO_ROLE_ATTN_OUT_B,
     N "attention.dense.bias",
     G "attn_output.bias",
     {DIM_MODEL},
     NEED_ATTN_BIAS},
    {ANISO_ROLE_FFN_NORM,
     N "post_attention_layernorm.weight",
     G "ffn_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_FFN_NORM_B,
     N "post_attention_layernorm.bias",
     G "ffn_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_FFN_UP,
     N "mlp.dense_h_to_4h.weight",
     G "ffn_up.weight",
     {DIM_FF, DIM_MODEL},
     NEED_ALWAYS},
    {ANISO_ROLE_FFN_UP_B, N "mlp.dense_h_to_4h.bias", G "ffn_up.bias", {DIM_FF}, NEED_ALWAYS},
    {ANISO_ROLE_FFN_DOWN,
     N "mlp.dense_4h_to_h.weight",
     G "ffn_down.weight",
     {DIM_MODEL, DIM_FF},
     NEED_ALWAYS},
    {ANISO_ROLE_FFN_DOWN_B,
     N "mlp.dense_4h_to_h.bias",
     G "ffn_down.bias",
     {DIM_MODEL},
     NEED_ALWAYS},
};

#undef N
#undef G

#define ARCH(e, mt, disp, nrm, epsk, epsd, kvd, dhd, tie, abias, table, actk, actd, theta, gem,    \
             slide, ga, ign)                                                                       \
    [ANISO_ARCH_##e] = {.arch = ANISO_ARCH_##e,                                                    \
                        .model_type = mt,                                                          \
                        .display = disp,                                                           \
                        .norm = nrm,                                                               \
                        .eps_key = epsk,                                                           \
                        .eps_default = epsd,                                                       \
                        .n_head_kv_default = kvd,                                                  \
                        .d_head_default = dhd,                                                     \
                        .tie_default = tie,                                                        \
                        .attn_bias_default = abias,                                                \
                        .weights = table,                                                          \
                        .n_weights = sizeof table / sizeof table[0],                               \
                        .act_key = actk,                                                           \
                        .act_default = actd,                                                       \
                        .rope_theta_default = theta,                                               \
                        .gemma_style = gem,                                                        \
                        .sliding_kind = slide,                                                     \
                        .gguf_arch = ga,                                                           \
                        .ignored_keys = ign,                                                       \
                        .n_ignored_keys = sizeof ign / sizeof ign[0]}

/* Family keys that cannot change hidden states: the activation key the
 * family's MLP does not read, and Gemma 3's saved copy of the pattern
 * (transformers reads sliding_window_pattern, never this one). */
static const char *const gemma_ignored[] = {"hidden_activation"};
static const char *const gemma23_ignored[] = {"hidden_act", "_sliding_window_pattern"};
static const char *const no_ignored[] = {NULL};

static const arch_desc archs[ANISO_ARCH_COUNT] = {
    /* Gemma 1's MLP reads hidden_act (whose "gelu" means exact erf GELU in
     * transformers 4.48-4.57 and the tanh form in 5.x: config.c); Gemma 2
     * and 3 read hidden_activation. */
    ARCH(GEMMA, "gemma", "Gemma", ANISO_NORM_RMS_GEMMA, "rms_norm_eps", 1e-6, 16, 256, 1, 0,
         gemma_weights, "hidden_act", ANISO_ACT_GELU_TANH, 10000.0, 1, 0, "gemma", gemma_ignored),
    ARCH(GEMMA2, "gemma2", "Gemma 2", ANISO_NORM_RMS_GEMMA, "rms_norm_eps", 1e-6, 4, 256, 1, 0,
         gemma2_weights, "hidden_activation", ANISO_ACT_GELU_TANH, 10000.0, 1, 2, "gemma2",
         gemma23_ignored),
    ARCH(GEMMA3, "gemma3_text", "Gemma 3 text", ANISO_NORM_RMS_GEMMA, "rms_norm_eps", 1e-6, 4, 256,
         1, 0, gemma3_weights, "hidden_activation", ANISO_ACT_GELU_TANH, 1000000.0, 1, 3, "gemma3",
         gemma23_ignored),
    ARCH(GPTNEOX, "gpt_neox", "GPT-NeoX", ANISO_NORM_LAYER, "layer_norm_eps", 1e-5, 0, 0, 0, 1,
         gptneox_weights, "hidden_act", ANISO_ACT_GELU, 10000.0, 0, 0, "gptneox", no_ignored),
    ARCH(LLAMA, "llama", "Llama", ANISO_NORM_RMS, "rms_norm_eps", 1e-6, 0, 0, 0, 0, llama_weights,
         "hidden_act", ANISO_ACT_SILU, 10000.0, 0, 0, "llama", no_ignored),
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

const arch_desc *arch_find_gguf(const char *gguf_arch)
{
    for (int i = 0; i < ANISO_ARCH_COUNT; i++)
        if (strcmp(archs[i].gguf_arch, gguf_arch) == 0) return &archs[i];
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
