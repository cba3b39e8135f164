/* config.c - config.json into aniso_hparams.
 *
 * The dimension keys are required. Every other key falls back to the default
 * of the architecture's transformers config class, so that a config written
 * by save_pretrained (which writes every key) and a hand-trimmed one mean
 * the same model as they do in transformers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/json.h"
#include "model/arch.h"

/* Limits far above any real model, low enough that products of two never
 * overflow 64 bits. */
#define MAX_DIM    (1 << 24)
#define MAX_LAYERS 4096

static aniso_status get_int(const aj *root, const char *name, const char *key, int required,
                            int dflt, int max, int *out, aniso_error *err)
{
    aj *v = aj_get(root, key);
    if (!v || aj_is_null(v)) {
        if (required)
            return aniso_error_set(err, ANISO_FORMAT, "%s: missing required key '%s'", name, key);
        *out = dflt;
        return ANISO_OK;
    }
    if (!aj_is_integer(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be an integer, found %s", name,
                               key, aj_type_name(v));
    long long x = aj_int(v);
    if (x < 1 || x > max)
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' = %lld is out of range (1 to %d)",
                               name, key, x, max);
    *out = (int)x;
    return ANISO_OK;
}

static aniso_status get_bool(const aj *root, const char *name, const char *key, int dflt, int *out,
                             aniso_error *err)
{
    aj *v = aj_get(root, key);
    if (!v || aj_is_null(v)) {
        *out = dflt;
        return ANISO_OK;
    }
    if (!aj_is_bool(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be true or false, found %s",
                               name, key, aj_type_name(v));
    *out = aj_bool(v);
    return ANISO_OK;
}

static aniso_status get_pos_double(const aj *root, const char *name, const char *key, double dflt,
                                   double *out, aniso_error *err)
{
    aj *v = aj_get(root, key);
    if (!v || aj_is_null(v)) {
        *out = dflt;
        return ANISO_OK;
    }
    if (!aj_is_number(v) || !(aj_num(v) > 0))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a positive number", name,
                               key);
    *out = aj_num(v);
    return ANISO_OK;
}

/* A number that may be null (then *out = 0, "none"); absent gives dflt. */
static aniso_status get_opt_number(const aj *root, const char *name, const char *key, double dflt,
                                   double *out, aniso_error *err)
{
    aj *v = aj_get(root, key);
    if (!v) {
        *out = dflt;
        return ANISO_OK;
    }
    if (aj_is_null(v)) {
        *out = 0;
        return ANISO_OK;
    }
    if (!aj_is_number(v) || !(aj_num(v) > 0))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a positive number or null",
                               name, key);
    *out = aj_num(v);
    return ANISO_OK;
}

static aniso_status parse_act(const aj *root, const char *name, const arch_desc *a, aniso_act *out,
                              aniso_error *err)
{
    aj *v = aj_get(root, a->act_key);
    *out = a->act_default;
    if (!v || aj_is_null(v)) return ANISO_OK;
    const char *s = aj_str(v);
    if (!s)
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a string", name,
                               a->act_key);
    if (!strcmp(s, "silu") || !strcmp(s, "swish"))
        *out = ANISO_ACT_SILU;
    else if (!strcmp(s, "gelu"))
        *out = ANISO_ACT_GELU;
    else if (!strcmp(s, "gelu_pytorch_tanh") || !strcmp(s, "gelu_new") || !strcmp(s, "gelu_fast"))
        *out = ANISO_ACT_GELU_TANH;
    else
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: unsupported activation '%s' in '%s' (supported: silu, gelu, "
                               "gelu_pytorch_tanh, gelu_new, gelu_fast)",
                               name, s, a->act_key);
    return ANISO_OK;
}

/* rope_scaling: null, or {"rope_type" (or legacy "type"): ..., factor, ...}. */
static aniso_status parse_rope_scaling(const aj *root, const char *name, aniso_rope *r,
                                       aniso_error *err)
{
    aj *sc = aj_get(root, "rope_scaling");
    r->type = ANISO_ROPE_DEFAULT;
    if (!sc || aj_is_null(sc)) return ANISO_OK;
    const char *t = aj_str(aj_get(sc, "rope_type"));
    if (!t) t = aj_str(aj_get(sc, "type"));
    if (!aj_is_object(sc) || !t)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: rope_scaling must be null or an object "
                               "with 'rope_type'",
                               name);
    if (!strcmp(t, "default")) return ANISO_OK;
    int linear = !strcmp(t, "linear"), llama3 = !strcmp(t, "llama3");
    if (!linear && !llama3)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: unsupported rope_scaling type '%s' (supported: default, "
                               "linear, llama3)",
                               name, t);
    const char *keys[] = {"factor", "low_freq_factor", "high_freq_factor",
                          "original_max_position_embeddings"};
    double *dst[] = {&r->factor, &r->low_freq_factor, &r->high_freq_factor, &r->original_max_pos};
    for (int i = 0; i < (linear ? 1 : 4); i++) {
        aj *v = aj_get(sc, keys[i]);
        if (!aj_is_number(v) || !(aj_num(v) > 0))
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope_scaling needs a positive '%s'",
                                   name, keys[i]);
        *dst[i] = aj_num(v);
    }
    if (llama3 && !(r->high_freq_factor > r->low_freq_factor))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: rope_scaling: high_freq_factor must exceed low_freq_factor",
                               name);
    r->type = linear ? ANISO_ROPE_LINEAR : ANISO_ROPE_LLAMA3;
    return ANISO_OK;
}

/* The forward pass's settings, by the rules of transformers 4.57. */
static aniso_status parse_forward(const aj *root, const char *name, const arch_desc *a,
                                  aniso_hparams *hp, aniso_error *err)
{
    aniso_status st;
    if ((st = parse_act(root, name, a, &hp->act, err))) return st;
    /* Rotary embeddings: GPT-NeoX names them rotary_emb_base / rotary_pct. */
    int neox = hp->arch == ANISO_ARCH_GPTNEOX;
    double theta = a->rope_theta_default, frac = neox ? 0.25 : 1.0;
    if ((st = get_pos_double(root, name, neox ? "rotary_emb_base" : "rope_theta", theta, &theta,
                             err)) ||
        (neox && (st = get_pos_double(root, name, "rotary_pct", frac, &frac, err))) ||
        (!neox && (st = get_pos_double(root, name, "partial_rotary_factor", frac, &frac, err))))
        return st;
    if (frac > 1)
        return aniso_error_set(err, ANISO_FORMAT, "%s: the rotary fraction must be at most 1",
                               name);
    hp->n_rot = (int)(hp->d_head * frac);
    if (hp->n_rot % 2) hp->n_rot--; /* rotate_half needs pairs; inv_freq has n_rot/2 entries */
    hp->rope.theta = theta;
    if ((st = parse_rope_scaling(root, name, &hp->rope, err))) return st;
    hp->rope_local = hp->rope;
    hp->embd_scale = a->gemma_style ? (double)(float)sqrt((double)hp->d_model) : 1.0;
    hp->attn_scale = 1.0 / sqrt((double)hp->d_head);
    hp->parallel_residual = 1;
    if (neox &&
        (st = get_bool(root, name, "use_parallel_residual", 1, &hp->parallel_residual, err)))
        return st;
    if (a->gemma_style && hp->arch != ANISO_ARCH_GEMMA) {
        double q = 256, w = 0;
        if ((st = get_pos_double(root, name, "query_pre_attn_scalar", 256, &q, err)) ||
            (st = get_opt_number(root, name, "sliding_window", 4096, &w, err)) ||
            (st = get_opt_number(root, name, "attn_logit_softcapping",
                                 hp->arch == ANISO_ARCH_GEMMA2 ? 50.0 : 0.0, &hp->softcap, err)))
            return st;
        hp->attn_scale = 1.0 / sqrt(q);
        if (w > 1e9)
            return aniso_error_set(err, ANISO_FORMAT, "%s: sliding_window is out of range", name);
        hp->sliding_window = (int)w;
    }
    if (hp->arch == ANISO_ARCH_GEMMA3) {
        double local = 10000.0;
        int bidir = 0;
        if ((st = get_pos_double(root, name, "rope_local_base_freq", 10000.0, &local, err)) ||
            (st = get_bool(root, name, "use_bidirectional_attention", 0, &bidir, err)))
            return st;
        if (bidir)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: use_bidirectional_attention (embedding models) is not "
                                   "supported",
                                   name);
        hp->rope_local = (aniso_rope){.theta = local, .type = ANISO_ROPE_DEFAULT};
    }
    /* Which layers slide: layer_types when given, else the family's pattern. */
    aj *types = aj_get(root, "layer_types");
    if (a->sliding_kind && aj_is_array(types)) {
        if (aj_size(types) != (size_t)hp->n_layer)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: layer_types has %zu entries for %d layers", name,
                                   aj_size(types), hp->n_layer);
        for (int i = 0; i < hp->n_layer; i++) {
            const char *t = aj_str(aj_at(types, (size_t)i));
            if (!t || (strcmp(t, "sliding_attention") && strcmp(t, "full_attention")))
                return aniso_error_set(err, ANISO_FORMAT,
                                       "%s: layer_types[%d] must be \"sliding_attention\" or "
                                       "\"full_attention\"",
                                       name, i);
            hp->sliding[i] = !strcmp(t, "sliding_attention");
        }
    } else if (a->sliding_kind == 2) {
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = (i + 1) % 2 != 0;
    } else if (a->sliding_kind == 3) {
        int pattern;
        if ((st = get_int(root, name, "sliding_window_pattern", 0, 6, MAX_LAYERS, &pattern, err)))
            return st;
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = (i + 1) % pattern != 0;
    }
    if (!hp->sliding_window) memset(hp->sliding, 0, sizeof hp->sliding);
    return ANISO_OK;
}

aniso_status aniso_hparams_parse(const char *json, size_t len, const char *name, aniso_hparams *hp,
                                 aniso_error *err)
{
    memset(hp, 0, sizeof *hp);
    aj *root = aj_parse(json, len, name, err);
    if (!root) return err ? err->code : ANISO_FORMAT;
    aniso_status st = ANISO_OK;
    if (!aj_is_object(root)) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: expected a JSON object, found %s", name,
                             aj_type_name(root));
        goto out;
    }
    aj *mt = aj_get(root, "model_type");
    if (!mt) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: missing required key 'model_type'", name);
        goto out;
    }
    if (!aj_is_string(mt)) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: key 'model_type' must be a string, found %s",
                             name, aj_type_name(mt));
        goto out;
    }
    const arch_desc *a = arch_find(aj_str(mt));
    if (!a) {
        st = aniso_error_set(err, ANISO_UNSUPPORTED,
                             "%s: unsupported model_type '%s' (supported: %s)", name, aj_str(mt),
                             aniso_arch_supported_list());
        goto out;
    }
    hp->arch = a->arch;
    aj *archs = aj_get(root, "architectures");
    if (aj_is_array(archs) && aj_is_string(aj_at(archs, 0)))
        snprintf(hp->architecture, sizeof hp->architecture, "%s", aj_str(aj_at(archs, 0)));

    if ((st = get_int(root, name, "num_hidden_layers", 1, 0, MAX_LAYERS, &hp->n_layer, err)) ||
        (st = get_int(root, name, "hidden_size", 1, 0, MAX_DIM, &hp->d_model, err)) ||
        (st = get_int(root, name, "num_attention_heads", 1, 0, MAX_DIM, &hp->n_head, err)) ||
        (st = get_int(root, name, "intermediate_size", 1, 0, MAX_DIM, &hp->d_ff, err)) ||
        (st = get_int(root, name, "vocab_size", 1, 0, MAX_DIM, &hp->n_vocab, err)))
        goto out;
    int kv_default = a->n_head_kv_default ? a->n_head_kv_default : hp->n_head;
    if ((st = get_int(root, name, "num_key_value_heads", 0, kv_default, MAX_DIM, &hp->n_head_kv,
                      err)))
        goto out;
    /* GPT-NeoX has no head_dim key: its head size is always hidden / heads. */
    aj *hd = hp->arch == ANISO_ARCH_GPTNEOX ? NULL : aj_get(root, "head_dim");
    if ((!hd || aj_is_null(hd)) && a->d_head_default == 0) {
        if (hp->d_model % hp->n_head != 0) {
            st = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: hidden_size (%d) is not a multiple of num_attention_heads "
                                 "(%d)",
                                 name, hp->d_model, hp->n_head);
            goto out;
        }
        hp->d_head = hp->d_model / hp->n_head;
    } else if ((st = get_int(root, name, "head_dim", 0, a->d_head_default, MAX_DIM, &hp->d_head,
                             err))) {
        goto out;
    }
    if (hp->n_head % hp->n_head_kv != 0) {
        st = aniso_error_set(err, ANISO_FORMAT,
                             "%s: num_attention_heads (%d) is not a multiple of "
                             "num_key_value_heads (%d)",
                             name, hp->n_head, hp->n_head_kv);
        goto out;
    }
    if ((long long)hp->n_head * hp->d_head > MAX_DIM) {
        st = aniso_error_set(err, ANISO_FORMAT,
                             "%s: num_attention_heads x head_dim (%lld) is out of range", name,
                             (long long)hp->n_head * hp->d_head);
        goto out;
    }
    if ((st = get_pos_double(root, name, a->eps_key, a->eps_default, &hp->norm_eps, err)) ||
        (st = get_bool(root, name, "tie_word_embeddings", a->tie_default, &hp->tie_embd, err)) ||
        (st = get_bool(root, name, "attention_bias", a->attn_bias_default, &hp->attn_bias, err)) ||
        (st = get_bool(root, name, "mlp_bias", 0, &hp->mlp_bias, err)))
        goto out;
    st = parse_forward(root, name, a, hp, err);
out:
    aj_free(root);
    return st;
}

/* ---- GGUF metadata (GGUF.md section 3), with what transformers assumes
 * when it loads such a file where the file says nothing. */

#include "aniso/gguf.h"

aniso_status hparams_from_gguf(const aniso_gguf *g, aniso_hparams *hp, aniso_error *err)
{
    memset(hp, 0, sizeof *hp);
    const char *path = aniso_gguf_path(g);
    char arch[64], key[160];
    if (aniso_gguf_get_str(g, "general.architecture", 0, arch, sizeof arch, err))
        return ANISO_FORMAT;
    const arch_desc *a = arch_find_gguf(arch);
    if (!a)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: unsupported architecture '%s' (supported: gemma, gemma2, "
                               "gemma3, gptneox, llama)",
                               path, arch);
    hp->arch = a->arch;
    snprintf(hp->architecture, sizeof hp->architecture, "GGUF %s", arch);
#define K(suffix) (snprintf(key, sizeof key, "%s." suffix, arch), key)
    long long v;
    const aniso_gguf_kv *kv;
    if ((kv = aniso_gguf_find(g, K("attention.head_count"))) && kv->type == ANISO_GGUF_ARRAY)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: per-layer head counts are not supported", path);
    if (aniso_gguf_get_int(g, K("block_count"), 0, 1, MAX_LAYERS, &v, err)) return ANISO_FORMAT;
    hp->n_layer = (int)v;
    if (aniso_gguf_get_int(g, K("embedding_length"), 0, 1, MAX_DIM, &v, err)) return ANISO_FORMAT;
    hp->d_model = (int)v;
    if (aniso_gguf_get_int(g, K("attention.head_count"), 0, 1, MAX_DIM, &v, err))
        return ANISO_FORMAT;
    hp->n_head = (int)v;
    if (aniso_gguf_get_int(g, K("feed_forward_length"), 0, 1, MAX_DIM, &v, err))
        return ANISO_FORMAT;
    hp->d_ff = (int)v;
    v = hp->n_head;
    if (aniso_gguf_get_int(g, K("attention.head_count_kv"), 1, 1, MAX_DIM, &v, err))
        return ANISO_FORMAT;
    hp->n_head_kv = (int)v;
    if (hp->n_head % hp->n_head_kv)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: head_count (%d) is not a multiple of "
                               "head_count_kv (%d)",
                               path, hp->n_head, hp->n_head_kv);
    v = hp->d_model % hp->n_head ? 0 : hp->d_model / hp->n_head;
    if (aniso_gguf_get_int(g, K("attention.key_length"), 1, 1, MAX_DIM, &v, err))
        return ANISO_FORMAT;
    if (v == 0)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: embedding_length is not a multiple of "
                               "head_count and key_length is absent",
                               path);
    hp->d_head = (int)v;
    long long vl = v;
    if (aniso_gguf_get_int(g, K("attention.value_length"), 1, 1, MAX_DIM, &vl, err))
        return ANISO_FORMAT;
    if (vl != hp->d_head)
        return aniso_error_set(err, ANISO_UNSUPPORTED, "%s: value_length differs from key_length",
                               path);
    double eps = a->eps_default;
    int neox = hp->arch == ANISO_ARCH_GPTNEOX;
    if (aniso_gguf_get_float(
            g, neox ? K("attention.layer_norm_epsilon") : K("attention.layer_norm_rms_epsilon"), 1,
            &eps, err))
        return ANISO_FORMAT;
    if (!(eps > 0))
        return aniso_error_set(err, ANISO_FORMAT, "%s: the norm epsilon must be positive", path);
    hp->norm_eps = eps;
    const aniso_tensor *emb = aniso_gguf_find_tensor(g, "token_embd.weight");
    if (!emb || emb->n_dims != 2 || emb->shape[0] < 1 || emb->shape[0] > MAX_DIM)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: missing or malformed tensor 'token_embd.weight'", path);
    hp->n_vocab = (int)emb->shape[0];
    hp->tie_embd = !aniso_gguf_find_tensor(g, "output.weight");
    hp->attn_bias =
        aniso_gguf_find_tensor(g, neox ? "blk.0.attn_qkv.bias" : "blk.0.attn_q.bias") != NULL;
    hp->mlp_bias = !neox && aniso_gguf_find_tensor(g, "blk.0.ffn_up.bias") != NULL;
    if (aniso_gguf_find_tensor(g, "rope_freqs.weight"))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: per-frequency rope factors (rope_freqs, Llama 3.1 scaling) are "
                               "not supported",
                               path);
    /* Activation: the family's own (GGUF does not store it). */
    hp->act = hp->arch == ANISO_ARCH_GEMMA ? ANISO_ACT_GELU_TANH : a->act_default;
    /* Rotary embeddings. */
    double theta = a->rope_theta_default;
    if (aniso_gguf_get_float(g, K("rope.freq_base"), 1, &theta, err)) return ANISO_FORMAT;
    if (!(theta > 0))
        return aniso_error_set(err, ANISO_FORMAT, "%s: rope.freq_base must be positive", path);
    hp->rope = (aniso_rope){.theta = theta, .type = ANISO_ROPE_DEFAULT};
    v = neox ? hp->d_head / 4 : hp->d_head;
    if (aniso_gguf_get_int(g, K("rope.dimension_count"), 1, 0, hp->d_head, &v, err))
        return ANISO_FORMAT;
    hp->n_rot = (int)(v - v % 2);
    char rs[32] = "";
    if (aniso_gguf_get_str(g, K("rope.scaling.type"), 1, rs, sizeof rs, err)) return ANISO_FORMAT;
    if (rs[0] && strcmp(rs, "none") != 0) {
        double f = 1;
        if (strcmp(rs, "linear") != 0)
            return aniso_error_set(err, ANISO_UNSUPPORTED, "%s: unsupported rope scaling '%s'",
                                   path, rs);
        if (aniso_gguf_get_float(g, K("rope.scaling.factor"), 0, &f, err)) return ANISO_FORMAT;
        if (!(f > 0))
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope.scaling.factor must be positive",
                                   path);
        hp->rope.type = ANISO_ROPE_LINEAR;
        hp->rope.factor = f;
    }
    hp->rope_local = hp->rope;
    hp->embd_scale = a->gemma_style ? (double)(float)sqrt((double)hp->d_model) : 1.0;
    /* llama.cpp scales attention by 1/sqrt(key_length) for every family it
     * reads from GGUF (transformers' default query_pre_attn_scalar, 256, is
     * the same for the published Gemma 2/3 models). */
    hp->attn_scale = 1.0 / sqrt((double)hp->d_head);
    hp->parallel_residual = 1;
    if (neox && aniso_gguf_get_bool(g, K("use_parallel_residual"), 1, &hp->parallel_residual, err))
        return ANISO_FORMAT;
    if (hp->arch == ANISO_ARCH_GEMMA2 || hp->arch == ANISO_ARCH_GEMMA3) {
        double cap = hp->arch == ANISO_ARCH_GEMMA2 ? 50.0 : 0.0;
        if (aniso_gguf_get_float(g, K("attn_logit_softcapping"), 1, &cap, err)) return ANISO_FORMAT;
        hp->softcap = cap > 0 ? cap : 0;
        v = hp->arch == ANISO_ARCH_GEMMA2 ? 4096 : 0;
        if (aniso_gguf_get_int(g, K("attention.sliding_window"), 1, 0, 1000000000, &v, err))
            return ANISO_FORMAT;
        hp->sliding_window = (int)v;
        for (int i = 0; i < hp->n_layer; i++)
            hp->sliding[i] = hp->arch == ANISO_ARCH_GEMMA2 ? i % 2 == 0 : i % 6 < 5;
        if (!hp->sliding_window) memset(hp->sliding, 0, sizeof hp->sliding);
        if (hp->arch == ANISO_ARCH_GEMMA3) {
            double local = 10000.0;
            if (aniso_gguf_get_float(g, K("rope.freq_base_swa"), 1, &local, err))
                return ANISO_FORMAT;
            hp->rope_local = (aniso_rope){.theta = local, .type = ANISO_ROPE_DEFAULT};
        }
    }
#undef K
    return ANISO_OK;
}
