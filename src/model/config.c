/* config.c - config.json into aniso_hparams.
 *
 * The dimension keys are required. Every other key falls back to the default
 * of the architecture's transformers config class, so that a config written
 * by save_pretrained (which writes every key) and a hand-trimmed one mean
 * the same model as they do in transformers. */
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
out:
    aj_free(root);
    return st;
}
