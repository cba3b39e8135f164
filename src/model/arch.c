/* arch.c - one table per architecture: Hugging Face tensor names and shapes
 * of every weight role, config defaults, and the enum-valued traits the
 * forward pass reads. Sources: docs/ARCHITECTURES.md sections 2-9 (the
 * transformers modeling and configuration files). */
#include <string.h>

#include "model/arch.h"

/* Attention projections named as in Llama, Gemma 1/2/3 (Hugging Face, GGUF). */
#define LLAMA_ATTN(p, g)                                                                           \
    {ANISO_ROLE_ATTN_Q, p "self_attn.q_proj.weight",                                               \
     g "attn_q.weight", {DIM_Q, DIM_MODEL},                                                        \
     NEED_ALWAYS,       PART_WHOLE,                                                                \
     LAYOUT_LINEAR},                                                                               \
        {ANISO_ROLE_ATTN_K, p "self_attn.k_proj.weight",                                           \
         g "attn_k.weight", {DIM_KV, DIM_MODEL},                                                   \
         NEED_ALWAYS,       PART_WHOLE,                                                            \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_ATTN_V, p "self_attn.v_proj.weight",                                           \
         g "attn_v.weight", {DIM_KV, DIM_MODEL},                                                   \
         NEED_ALWAYS,       PART_WHOLE,                                                            \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_ATTN_OUT,                                                                      \
         p "self_attn.o_proj.weight",                                                              \
         g "attn_output.weight",                                                                   \
         {DIM_MODEL, DIM_Q},                                                                       \
         NEED_ALWAYS,                                                                              \
         PART_WHOLE,                                                                               \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_ATTN_Q_B, p "self_attn.q_proj.bias",                                           \
         g "attn_q.bias",     {DIM_Q},                                                             \
         NEED_ATTN_BIAS,      PART_WHOLE,                                                          \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_ATTN_K_B, p "self_attn.k_proj.bias",                                           \
         g "attn_k.bias",     {DIM_KV},                                                            \
         NEED_ATTN_BIAS,      PART_WHOLE,                                                          \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_ATTN_V_B, p "self_attn.v_proj.bias",                                           \
         g "attn_v.bias",     {DIM_KV},                                                            \
         NEED_ATTN_BIAS,      PART_WHOLE,                                                          \
         LAYOUT_LINEAR},                                                                           \
    {                                                                                              \
        ANISO_ROLE_ATTN_OUT_B, p "self_attn.o_proj.bias", g "attn_output.bias", {DIM_MODEL},       \
            NEED_ATTN_BIAS, PART_WHOLE, LAYOUT_LINEAR                                              \
    }

/* Gated MLP named as in Llama and Gemma. */
#define LLAMA_MLP(p, g)                                                                            \
    {ANISO_ROLE_FFN_GATE, p "mlp.gate_proj.weight",                                                \
     g "ffn_gate.weight", {DIM_FF, DIM_MODEL},                                                     \
     NEED_ALWAYS,         PART_WHOLE,                                                              \
     LAYOUT_LINEAR},                                                                               \
        {ANISO_ROLE_FFN_UP, p "mlp.up_proj.weight",                                                \
         g "ffn_up.weight", {DIM_FF, DIM_MODEL},                                                   \
         NEED_ALWAYS,       PART_WHOLE,                                                            \
         LAYOUT_LINEAR},                                                                           \
    {                                                                                              \
        ANISO_ROLE_FFN_DOWN, p "mlp.down_proj.weight", g "ffn_down.weight", {DIM_MODEL, DIM_FF},   \
            NEED_ALWAYS, PART_WHOLE, LAYOUT_LINEAR                                                 \
    }

#define LLAMA_GLOBALS                                                                              \
    {ANISO_ROLE_TOK_EMBD, "model.embed_tokens.weight",                                             \
     "token_embd.weight", {DIM_VOCAB, DIM_MODEL},                                                  \
     NEED_ALWAYS,         PART_WHOLE,                                                              \
     LAYOUT_LINEAR},                                                                               \
        {ANISO_ROLE_OUT_NORM, "model.norm.weight", "output_norm.weight", {DIM_MODEL},              \
         NEED_ALWAYS,         PART_WHOLE,          LAYOUT_LINEAR},                                 \
    {                                                                                              \
        ANISO_ROLE_LM_HEAD, "lm_head.weight", "output.weight", {DIM_VOCAB, DIM_MODEL},             \
            NEED_UNTIED, PART_WHOLE, LAYOUT_LINEAR                                                 \
    }

#define L "model.layers.%d."
#define G "blk.%d."

/* One pre-norm block: attention norm, attention, MLP norm, MLP. */
#define LLAMA_BLOCK                                                                                \
    {ANISO_ROLE_ATTN_NORM, L "input_layernorm.weight",                                             \
     G "attn_norm.weight", {DIM_MODEL},                                                            \
     NEED_ALWAYS,          PART_WHOLE,                                                             \
     LAYOUT_LINEAR},                                                                               \
        LLAMA_ATTN(L, G), {ANISO_ROLE_FFN_NORM, L "post_attention_layernorm.weight",               \
                           G "ffn_norm.weight", {DIM_MODEL},                                       \
                           NEED_ALWAYS,         PART_WHOLE,                                        \
                           LAYOUT_LINEAR},                                                         \
        LLAMA_MLP(L, G)

static const weight_spec llama_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_BLOCK,
    {ANISO_ROLE_FFN_GATE_B,
     L "mlp.gate_proj.bias",
     G "ffn_gate.bias",
     {DIM_FF},
     NEED_MLP_BIAS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_UP_B,
     L "mlp.up_proj.bias",
     G "ffn_up.bias",
     {DIM_FF},
     NEED_MLP_BIAS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_DOWN_B,
     L "mlp.down_proj.bias",
     G "ffn_down.bias",
     {DIM_MODEL},
     NEED_MLP_BIAS,
     PART_WHOLE,
     LAYOUT_LINEAR},
};

/* Gemma 1: Llama's layout (its post_attention_layernorm is the pre-MLP norm). */
static const weight_spec gemma_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_BLOCK,
};

/* Gemma 2: "sandwich" norms; post_attention_layernorm normalises the
 * attention output before the residual add. */
#define GEMMA2_NORMS                                                                               \
    {ANISO_ROLE_ATTN_NORM, L "input_layernorm.weight",                                             \
     G "attn_norm.weight", {DIM_MODEL},                                                            \
     NEED_ALWAYS,          PART_WHOLE,                                                             \
     LAYOUT_LINEAR},                                                                               \
        {ANISO_ROLE_ATTN_POST_NORM,                                                                \
         L "post_attention_layernorm.weight",                                                      \
         G "post_attention_norm.weight",                                                           \
         {DIM_MODEL},                                                                              \
         NEED_ALWAYS,                                                                              \
         PART_WHOLE,                                                                               \
         LAYOUT_LINEAR},                                                                           \
        {ANISO_ROLE_FFN_NORM, L "pre_feedforward_layernorm.weight",                                \
         G "ffn_norm.weight", {DIM_MODEL},                                                         \
         NEED_ALWAYS,         PART_WHOLE,                                                          \
         LAYOUT_LINEAR},                                                                           \
    {                                                                                              \
        ANISO_ROLE_FFN_POST_NORM, L "post_feedforward_layernorm.weight", G "post_ffw_norm.weight", \
            {DIM_MODEL}, NEED_ALWAYS, PART_WHOLE, LAYOUT_LINEAR                                    \
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
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_K_NORM,
     L "self_attn.k_norm.weight",
     G "attn_k_norm.weight",
     {DIM_HEAD},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
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
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_OUT_NORM,
     "gpt_neox.final_layer_norm.weight",
     "output_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_OUT_NORM_B,
     "gpt_neox.final_layer_norm.bias",
     "output_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_LM_HEAD,
     "embed_out.weight",
     "output.weight",
     {DIM_VOCAB, DIM_MODEL},
     NEED_UNTIED,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_NORM,
     N "input_layernorm.weight",
     G "attn_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_NORM_B,
     N "input_layernorm.bias",
     G "attn_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_QKV,
     N "attention.query_key_value.weight",
     G "attn_qkv.weight",
     {DIM_QKV, DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_QKV_B,
     N "attention.query_key_value.bias",
     G "attn_qkv.bias",
     {DIM_QKV},
     NEED_ATTN_BIAS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_OUT,
     N "attention.dense.weight",
     G "attn_output.weight",
     {DIM_MODEL, DIM_Q},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_ATTN_OUT_B,
     N "attention.dense.bias",
     G "attn_output.bias",
     {DIM_MODEL},
     NEED_ATTN_BIAS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_NORM,
     N "post_attention_layernorm.weight",
     G "ffn_norm.weight",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_NORM_B,
     N "post_attention_layernorm.bias",
     G "ffn_norm.bias",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_UP,
     N "mlp.dense_h_to_4h.weight",
     G "ffn_up.weight",
     {DIM_FF, DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_UP_B,
     N "mlp.dense_h_to_4h.bias",
     G "ffn_up.bias",
     {DIM_FF},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_DOWN,
     N "mlp.dense_4h_to_h.weight",
     G "ffn_down.weight",
     {DIM_MODEL, DIM_FF},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
    {ANISO_ROLE_FFN_DOWN_B,
     N "mlp.dense_4h_to_h.bias",
     G "ffn_down.bias",
     {DIM_MODEL},
     NEED_ALWAYS,
     PART_WHOLE,
     LAYOUT_LINEAR},
};

#undef N
#undef G

/* One weight: role, Hugging Face name, GGUF name, (out, in) shape, need. */
#define W(r, hf, gg, d0, d1, nd)                                                                   \
    {                                                                                              \
        ANISO_ROLE_##r, hf, gg, {d0, d1}, nd, PART_WHOLE, LAYOUT_LINEAR                            \
    }
/* Part pt of a fused weight, stored as layout ly in Hugging Face files. */
#define WP(r, hf, gg, d0, d1, pt, ly)                                                              \
    {                                                                                              \
        ANISO_ROLE_##r, hf, gg, {d0, d1}, NEED_ALWAYS, pt, ly                                      \
    }

#define L "model.layers.%d."
#define G "blk.%d."

/* Qwen 2: Llama's layout; q, k and v always have biases, o never. */
static const weight_spec qwen2_weights[] = {
    LLAMA_GLOBALS,
    W(ATTN_NORM, L "input_layernorm.weight", G "attn_norm.weight", DIM_MODEL, DIM_NONE,
      NEED_ALWAYS),
    W(ATTN_Q, L "self_attn.q_proj.weight", G "attn_q.weight", DIM_Q, DIM_MODEL, NEED_ALWAYS),
    W(ATTN_K, L "self_attn.k_proj.weight", G "attn_k.weight", DIM_KV, DIM_MODEL, NEED_ALWAYS),
    W(ATTN_V, L "self_attn.v_proj.weight", G "attn_v.weight", DIM_KV, DIM_MODEL, NEED_ALWAYS),
    W(ATTN_Q_B, L "self_attn.q_proj.bias", G "attn_q.bias", DIM_Q, DIM_NONE, NEED_ALWAYS),
    W(ATTN_K_B, L "self_attn.k_proj.bias", G "attn_k.bias", DIM_KV, DIM_NONE, NEED_ALWAYS),
    W(ATTN_V_B, L "self_attn.v_proj.bias", G "attn_v.bias", DIM_KV, DIM_NONE, NEED_ALWAYS),
    W(ATTN_OUT, L "self_attn.o_proj.weight", G "attn_output.weight", DIM_MODEL, DIM_Q, NEED_ALWAYS),
    W(FFN_NORM, L "post_attention_layernorm.weight", G "ffn_norm.weight", DIM_MODEL, DIM_NONE,
      NEED_ALWAYS),
    LLAMA_MLP(L, G),
};

/* Qwen 3: Llama's layout (biases when attention_bias) with per-head q/k
 * RMSNorms. */
static const weight_spec qwen3_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_BLOCK,
    W(ATTN_Q_NORM, L "self_attn.q_norm.weight", G "attn_q_norm.weight", DIM_HEAD, DIM_NONE,
      NEED_ALWAYS),
    W(ATTN_K_NORM, L "self_attn.k_norm.weight", G "attn_k_norm.weight", DIM_HEAD, DIM_NONE,
      NEED_ALWAYS),
};

/* Phi-3: fused [q; k; v] and [gate; up] projections, no biases. */
static const weight_spec phi3_weights[] = {
    LLAMA_GLOBALS,
    W(ATTN_NORM, L "input_layernorm.weight", G "attn_norm.weight", DIM_MODEL, DIM_NONE,
      NEED_ALWAYS),
    WP(ATTN_Q, L "self_attn.qkv_proj.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_Q,
       LAYOUT_LINEAR),
    WP(ATTN_K, L "self_attn.qkv_proj.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_K,
       LAYOUT_LINEAR),
    WP(ATTN_V, L "self_attn.qkv_proj.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_V,
       LAYOUT_LINEAR),
    W(ATTN_OUT, L "self_attn.o_proj.weight", G "attn_output.weight", DIM_MODEL, DIM_Q, NEED_ALWAYS),
    W(FFN_NORM, L "post_attention_layernorm.weight", G "ffn_norm.weight", DIM_MODEL, DIM_NONE,
      NEED_ALWAYS),
    WP(FFN_GATE, L "mlp.gate_up_proj.weight", G "ffn_up.weight", DIM_FF2, DIM_MODEL, PART_GATE,
       LAYOUT_LINEAR),
    WP(FFN_UP, L "mlp.gate_up_proj.weight", G "ffn_up.weight", DIM_FF2, DIM_MODEL, PART_UP,
       LAYOUT_LINEAR),
    W(FFN_DOWN, L "mlp.down_proj.weight", G "ffn_down.weight", DIM_MODEL, DIM_FF, NEED_ALWAYS),
};

/* OLMo 2: no norms before the sublayers; RMSNorms of their outputs
 * (post_attention_layernorm, post_feedforward_layernorm) before the residual
 * adds, and q/k RMSNorms over the whole projections. */
static const weight_spec olmo2_weights[] = {
    LLAMA_GLOBALS,
    LLAMA_ATTN(L, G),
    W(ATTN_Q_NORM, L "self_attn.q_norm.weight", G "attn_q_norm.weight", DIM_Q, DIM_NONE,
      NEED_ALWAYS),
    W(ATTN_K_NORM, L "self_attn.k_norm.weight", G "attn_k_norm.weight", DIM_KV, DIM_NONE,
      NEED_ALWAYS),
    W(ATTN_POST_NORM, L "post_attention_layernorm.weight", G "post_attention_norm.weight",
      DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(FFN_POST_NORM, L "post_feedforward_layernorm.weight", G "post_ffw_norm.weight", DIM_MODEL,
      DIM_NONE, NEED_ALWAYS),
    LLAMA_MLP(L, G),
};

#undef L
#define T "transformer."
#define H "transformer.h.%d."

/* GPT-2: learned positions, LayerNorms with biases, Conv1D weights ((in,
 * out) in Hugging Face files), fused [q; k; v] c_attn, plain MLP. */
static const weight_spec gpt2_weights[] = {
    W(TOK_EMBD, T "wte.weight", "token_embd.weight", DIM_VOCAB, DIM_MODEL, NEED_ALWAYS),
    W(POS_EMBD, T "wpe.weight", "position_embd.weight", DIM_POS, DIM_MODEL, NEED_ALWAYS),
    W(OUT_NORM, T "ln_f.weight", "output_norm.weight", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(OUT_NORM_B, T "ln_f.bias", "output_norm.bias", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(LM_HEAD, "lm_head.weight", "output.weight", DIM_VOCAB, DIM_MODEL, NEED_UNTIED),
    W(ATTN_NORM, H "ln_1.weight", G "attn_norm.weight", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(ATTN_NORM_B, H "ln_1.bias", G "attn_norm.bias", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    WP(ATTN_Q, H "attn.c_attn.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_Q,
       LAYOUT_CONV1D),
    WP(ATTN_K, H "attn.c_attn.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_K,
       LAYOUT_CONV1D),
    WP(ATTN_V, H "attn.c_attn.weight", G "attn_qkv.weight", DIM_QKV, DIM_MODEL, PART_V,
       LAYOUT_CONV1D),
    WP(ATTN_Q_B, H "attn.c_attn.bias", G "attn_qkv.bias", DIM_QKV, DIM_NONE, PART_Q, LAYOUT_LINEAR),
    WP(ATTN_K_B, H "attn.c_attn.bias", G "attn_qkv.bias", DIM_QKV, DIM_NONE, PART_K, LAYOUT_LINEAR),
    WP(ATTN_V_B, H "attn.c_attn.bias", G "attn_qkv.bias", DIM_QKV, DIM_NONE, PART_V, LAYOUT_LINEAR),
    WP(ATTN_OUT, H "attn.c_proj.weight", G "attn_output.weight", DIM_MODEL, DIM_Q, PART_WHOLE,
       LAYOUT_CONV1D),
    W(ATTN_OUT_B, H "attn.c_proj.bias", G "attn_output.bias", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(FFN_NORM, H "ln_2.weight", G "ffn_norm.weight", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    W(FFN_NORM_B, H "ln_2.bias", G "ffn_norm.bias", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
    WP(FFN_UP, H "mlp.c_fc.weight", G "ffn_up.weight", DIM_FF, DIM_MODEL, PART_WHOLE,
       LAYOUT_CONV1D),
    W(FFN_UP_B, H "mlp.c_fc.bias", G "ffn_up.bias", DIM_FF, DIM_NONE, NEED_ALWAYS),
    WP(FFN_DOWN, H "mlp.c_proj.weight", G "ffn_down.weight", DIM_MODEL, DIM_FF, PART_WHOLE,
       LAYOUT_CONV1D),
    W(FFN_DOWN_B, H "mlp.c_proj.bias", G "ffn_down.bias", DIM_MODEL, DIM_NONE, NEED_ALWAYS),
};

#undef T
#undef H
#undef G
#undef W
#undef WP

#define TABLE(t)   .weights = t, .n_weights = sizeof t / sizeof t[0]
#define IGNORED(t) .ignored_keys = t, .n_ignored_keys = sizeof t / sizeof t[0]

/* Family keys that cannot change hidden states: the activation key the
 * family's MLP does not read, and Gemma 3's saved copy of the pattern
 * (transformers reads sliding_window_pattern, never this one). */
static const char *const gemma_ignored[] = {"hidden_activation"};
static const char *const gemma23_ignored[] = {"hidden_act", "_sliding_window_pattern"};
static const char *const no_ignored[] = {NULL};
/* GPT-2: dropouts, the sequence-summary head's settings (not part of the
 * decoder) and n_ctx, which transformers' GPT-2 no longer reads. */
static const char *const gpt2_ignored[] = {"attn_pdrop",
                                           "embd_pdrop",
                                           "resid_pdrop",
                                           "summary_activation",
                                           "summary_first_dropout",
                                           "summary_proj_to_labels",
                                           "summary_type",
                                           "summary_use_proj",
                                           "n_ctx"};
static const char *const phi3_ignored[] = {"resid_pdrop", "embd_pdrop", "layer_types"};
/* Mistral's modeling never reads layer_types (every layer slides when
 * sliding_window is set). */
static const char *const mistral_ignored[] = {"layer_types"};

/* transformers' attribute_map of GPT-2: standard name, GPT-2's name. */
static const char *const gpt2_keys[] = {"hidden_size",
                                        "n_embd",
                                        "num_hidden_layers",
                                        "n_layer",
                                        "num_attention_heads",
                                        "n_head",
                                        "max_position_embeddings",
                                        "n_positions",
                                        "intermediate_size",
                                        "n_inner",
                                        NULL};

static const arch_desc archs[ANISO_ARCH_COUNT] = {
    /* Gemma 1's MLP reads hidden_act (whose "gelu" means exact erf GELU in
     * transformers 4.48-4.57 and the tanh form in 5.x: config.c); Gemma 2
     * and 3 read hidden_activation. */
    [ANISO_ARCH_GEMMA] = {.arch = ANISO_ARCH_GEMMA,
                          .model_type = "gemma",
                          .max_pos_default = 8192,
                          .display = "Gemma",
                          .norm = ANISO_NORM_RMS_GEMMA,
                          .eps_key = "rms_norm_eps",
                          .eps_default = 1e-6,
                          .n_head_kv_default = 16,
                          .d_head_default = 256,
                          .tie_default = 1,
                          TABLE(gemma_weights),
                          .act_key = "hidden_act",
                          .act_default = ANISO_ACT_GELU_TANH,
                          .rope_theta_default = 10000.0,
                          .gemma_style = 1,
                          .gguf_arch = "gemma",
                          .prefix = "model.",
                          IGNORED(gemma_ignored)},
    [ANISO_ARCH_GEMMA2] = {.arch = ANISO_ARCH_GEMMA2,
                           .model_type = "gemma2",
                           .max_pos_default = 8192,
                           .sliding_default = 4096,
                           .display = "Gemma 2",
                           .norm = ANISO_NORM_RMS_GEMMA,
                           .eps_key = "rms_norm_eps",
                           .eps_default = 1e-6,
                           .n_head_kv_default = 4,
                           .d_head_default = 256,
                           .tie_default = 1,
                           TABLE(gemma2_weights),
                           .act_key = "hidden_activation",
                           .act_default = ANISO_ACT_GELU_TANH,
                           .rope_theta_default = 10000.0,
                           .gemma_style = 1,
                           .sliding_kind = SLIDE_GEMMA2,
                           .gguf_arch = "gemma2",
                           .prefix = "model.",
                           IGNORED(gemma23_ignored)},
    [ANISO_ARCH_GEMMA3] = {.arch = ANISO_ARCH_GEMMA3,
                           .model_type = "gemma3_text",
                           .max_pos_default = 131072,
                           .sliding_default = 4096,
                           .display = "Gemma 3 text",
                           .norm = ANISO_NORM_RMS_GEMMA,
                           .eps_key = "rms_norm_eps",
                           .eps_default = 1e-6,
                           .n_head_kv_default = 4,
                           .d_head_default = 256,
                           .tie_default = 1,
                           TABLE(gemma3_weights),
                           .act_key = "hidden_activation",
                           .act_default = ANISO_ACT_GELU_TANH,
                           .rope_theta_default = 1000000.0,
                           .gemma_style = 1,
                           .sliding_kind = SLIDE_GEMMA3,
                           .gguf_arch = "gemma3",
                           .prefix = "model.",
                           IGNORED(gemma23_ignored)},
    [ANISO_ARCH_GPTNEOX] = {.arch = ANISO_ARCH_GPTNEOX,
                            .model_type = "gpt_neox",
                            .max_pos_default = 2048,
                            .no_head_dim_key = 1,
                            .display = "GPT-NeoX",
                            .norm = ANISO_NORM_LAYER,
                            .eps_key = "layer_norm_eps",
                            .eps_default = 1e-5,
                            .attn_bias_default = 1,
                            TABLE(gptneox_weights),
                            .act_key = "hidden_act",
                            .act_default = ANISO_ACT_GELU,
                            .rope_theta_default = 10000.0,
                            .rotary = ROTARY_PARTIAL,
                            .gguf_arch = "gptneox",
                            .prefix = "gpt_neox.",
                            IGNORED(no_ignored)},
    [ANISO_ARCH_LLAMA] = {.arch = ANISO_ARCH_LLAMA,
                          .model_type = "llama",
                          .max_pos_default = 2048,
                          .display = "Llama",
                          .norm = ANISO_NORM_RMS,
                          .eps_key = "rms_norm_eps",
                          .eps_default = 1e-6,
                          TABLE(llama_weights),
                          .act_key = "hidden_act",
                          .act_default = ANISO_ACT_SILU,
                          .rope_theta_default = 10000.0,
                          .gguf_arch = "llama",
                          .gguf_qk_permuted = 1,
                          .prefix = "model.",
                          IGNORED(no_ignored)},
    [ANISO_ARCH_GPT2] = {.arch = ANISO_ARCH_GPT2,
                         .model_type = "gpt2",
                         .max_pos_default = 1024,
                         .ff_mult = 4,
                         .no_attn_bias_key = 1,
                         .no_head_dim_key = 1,
                         .display = "GPT-2",
                         .norm = ANISO_NORM_LAYER,
                         .eps_key = "layer_norm_epsilon",
                         .eps_default = 1e-5,
                         .tie_default = 1,
                         .attn_bias_default = 1,
                         TABLE(gpt2_weights),
                         .act_key = "activation_function",
                         .act_default = ANISO_ACT_GELU_NEW,
                         .rotary = ROTARY_NONE,
                         .gguf_arch = "gpt2",
                         .prefix = "transformer.",
                         .key_map = gpt2_keys,
                         IGNORED(gpt2_ignored)},
    [ANISO_ARCH_QWEN2] = {.arch = ANISO_ARCH_QWEN2,
                          .model_type = "qwen2",
                          .max_pos_default = 32768,
                          .no_attn_bias_key = 1,
                          .sliding_default = 4096,
                          .display = "Qwen2",
                          .norm = ANISO_NORM_RMS,
                          .eps_key = "rms_norm_eps",
                          .eps_default = 1e-6,
                          .n_head_kv_default = 32,
                          TABLE(qwen2_weights),
                          .act_key = "hidden_act",
                          .act_default = ANISO_ACT_SILU,
                          .rope_theta_default = 10000.0,
                          .sliding_kind = SLIDE_QWEN,
                          .gguf_arch = "qwen2",
                          .prefix = "model.",
                          IGNORED(no_ignored)},
    [ANISO_ARCH_QWEN3] = {.arch = ANISO_ARCH_QWEN3,
                          .model_type = "qwen3",
                          .max_pos_default = 32768,
                          .sliding_default = 4096,
                          .display = "Qwen3",
                          .norm = ANISO_NORM_RMS,
                          .eps_key = "rms_norm_eps",
                          .eps_default = 1e-6,
                          .n_head_kv_default = 32,
                          .d_head_default = 128,
                          TABLE(qwen3_weights),
                          .act_key = "hidden_act",
                          .act_default = ANISO_ACT_SILU,
                          .rope_theta_default = 10000.0,
                          .sliding_kind = SLIDE_QWEN,
                          .gguf_arch = "qwen3",
                          .prefix = "model.",
                          IGNORED(no_ignored)},
    [ANISO_ARCH_MISTRAL] = {.arch = ANISO_ARCH_MISTRAL,
                            .model_type = "mistral",
                            .max_pos_default = 131072,
                            .no_attn_bias_key = 1,
                            .sliding_default = 4096,
                            .display = "Mistral",
                            .norm = ANISO_NORM_RMS,
                            .eps_key = "rms_norm_eps",
                            .eps_default = 1e-6,
                            .n_head_kv_default = 8,
                            TABLE(gemma_weights),
                            .act_key = "hidden_act",
                            .act_default = ANISO_ACT_SILU,
                            .rope_theta_default = 10000.0,
                            .sliding_kind = SLIDE_ALL,
                            .gguf_arch = NULL,
                            .prefix = "model.",
                            IGNORED(mistral_ignored)},
    [ANISO_ARCH_PHI3] = {.arch = ANISO_ARCH_PHI3,
                         .model_type = "phi3",
                         .max_pos_default = 4096,
                         .no_attn_bias_key = 1,
                         .display = "Phi-3",
                         .norm = ANISO_NORM_RMS,
                         .eps_key = "rms_norm_eps",
                         .eps_default = 1e-5,
                         TABLE(phi3_weights),
                         .act_key = "hidden_act",
                         .act_default = ANISO_ACT_SILU,
                         .rope_theta_default = 10000.0,
                         .rotary = ROTARY_PARTIAL,
                         .sliding_kind = SLIDE_ALL,
                         .gguf_arch = "phi3",
                         .prefix = "model.",
                         IGNORED(phi3_ignored)},
    [ANISO_ARCH_OLMO2] = {.arch = ANISO_ARCH_OLMO2,
                          .model_type = "olmo2",
                          .max_pos_default = 2048,
                          .display = "OLMo 2",
                          .norm = ANISO_NORM_RMS,
                          .eps_key = "rms_norm_eps",
                          .eps_default = 1e-5,
                          TABLE(olmo2_weights),
                          .act_key = "hidden_act",
                          .act_default = ANISO_ACT_SILU,
                          .rope_theta_default = 10000.0,
                          .gguf_arch = "olmo2",
                          .prefix = "model.",
                          IGNORED(no_ignored)},
};

#undef TABLE
#undef IGNORED

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
        if (archs[i].gguf_arch && strcmp(archs[i].gguf_arch, gguf_arch) == 0) return &archs[i];
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
    return "gemma, gemma2, gemma3_text, gpt2, gpt_neox, llama, mistral, olmo2, phi3, qwen2, qwen3";
}

aniso_norm aniso_arch_norm(aniso_arch arch)
{
    return arch_get(arch) ? archs[arch].norm : ANISO_NORM_RMS;
}

const char *aniso_arch_norm_placement(aniso_arch arch)
{
    const arch_desc *a = arch_get(arch);
    int pre = 0, post = 0;
    for (size_t i = 0; a && i < a->n_weights; i++) {
        pre |= a->weights[i].role == ANISO_ROLE_ATTN_NORM;
        post |= a->weights[i].role == ANISO_ROLE_ATTN_POST_NORM;
    }
    return pre && post ? "pre+post" : post ? "post" : "pre";
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
        return ((long long)hp->n_head + 2LL * hp->n_head_kv) * hp->d_head;
    case DIM_FF2:
        return 2LL * hp->d_ff;
    case DIM_POS:
        return hp->n_pos;
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
