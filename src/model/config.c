/* config.c - config.json into aniso_hparams, as transformers reads it.
 *
 * Two generations of transformers write config.json differently: 4.x writes
 * the rotary settings as top-level keys (rope_theta, rope_scaling, GPT-NeoX's
 * rotary_emb_base / rotary_pct, Gemma 3's rope_local_base_freq) and 5.x as
 * rope_parameters (one object, or one per layer type for Gemma 3), and the
 * two disagree on what a few values mean (Gemma 1's hidden_act "gelu"). The
 * reader resolves which rules apply (the transformers_version the file
 * records, unless the caller says otherwise) and then follows those rules
 * exactly, including which key wins when old and new ones are both present.
 *
 * The dimension keys are required. Every other key falls back to the default
 * of the architecture's transformers config class, so that a config written
 * by save_pretrained (which writes every key) and a hand-trimmed one mean
 * the same model as they do in transformers. Every key of the file must be
 * one the reader interprets or one listed as unable to change the hidden
 * states; any other key is an error naming it, never silently ignored. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "io/json.h"
#include "model/arch.h"

/* Limits far above any real model, low enough that products of two never
 * overflow 64 bits. */
#define MAX_DIM    (1 << 24)
#define MAX_LAYERS 4096
#define MAX_SEEN   96

/* One config.json being read. Every key the reader looks up is recorded, so
 * that the keys nobody interpreted can be reported at the end. */
typedef struct cfg {
    const aj *root;
    const char *name;
    const arch_desc *a;
    int v5; /* transformers 5.x rules */
    const char *seen[MAX_SEEN];
    int n_seen;
} cfg;

/* The family's own name for standard key k (GPT-2's n_embd for
 * hidden_size), or NULL. */
static const char *alias(const cfg *c, const char *k)
{
    for (const char *const *p = c->a ? c->a->key_map : NULL; p && p[0]; p += 2)
        if (!strcmp(p[0], k)) return p[1];
    return NULL;
}

/* The name under which the file holds key k: k itself, else its alias (the
 * standard name wins when both are present, as in transformers, whose
 * attribute map sets it last). For messages about a missing key: the
 * family's own name. */
static const char *file_key(const cfg *c, const char *k)
{
    const char *al = alias(c, k);
    if (!al || aj_get(c->root, k)) return k;
    return al;
}

static aj *key(cfg *c, const char *k)
{
    const char *al = alias(c, k);
    if (c->n_seen < MAX_SEEN) c->seen[c->n_seen++] = k;
    if (al && c->n_seen < MAX_SEEN) c->seen[c->n_seen++] = al;
    return aj_get(c->root, file_key(c, k));
}

/* An integer in [min, max]; absent or null gives dflt (or an error when
 * required). */
static aniso_status get_int_in(cfg *c, const char *k, int required, int dflt, int min, int max,
                               int *out, aniso_error *err)
{
    aj *v = key(c, k);
    const char *kn = file_key(c, k);
    if (!v || aj_is_null(v)) {
        if (required)
            return aniso_error_set(err, ANISO_FORMAT, "%s: missing required key '%s'", c->name, kn);
        *out = dflt;
        return ANISO_OK;
    }
    if (!aj_is_integer(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be an integer, found %s",
                               c->name, kn, aj_type_name(v));
    long long x = aj_int(v);
    if (x < min || x > max)
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' = %lld is out of range (%d to %d)",
                               c->name, kn, x, min, max);
    *out = (int)x;
    return ANISO_OK;
}

static aniso_status get_int(cfg *c, const char *k, int required, int dflt, int max, int *out,
                            aniso_error *err)
{
    return get_int_in(c, k, required, dflt, 1, max, out, err);
}

static aniso_status get_bool(cfg *c, const char *k, int dflt, int *out, aniso_error *err)
{
    aj *v = key(c, k);
    if (!v || aj_is_null(v)) {
        *out = dflt;
        return ANISO_OK;
    }
    if (!aj_is_bool(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be true or false, found %s",
                               c->name, k, aj_type_name(v));
    *out = aj_bool(v);
    return ANISO_OK;
}

/* A positive number from object o (the config itself or a rope object);
 * *found says whether it was there. */
static aniso_status pos_number(const cfg *c, const aj *o, const char *where, const char *k,
                               double *out, int *found, aniso_error *err)
{
    aj *v = aj_get(o, k);
    *found = v && !aj_is_null(v);
    if (!*found) return ANISO_OK;
    if (!aj_is_number(v) || !(aj_num(v) > 0) || !isfinite(aj_num(v)))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s%s' must be a positive number",
                               c->name, where, k);
    *out = aj_num(v);
    return ANISO_OK;
}

static aniso_status get_pos_double(cfg *c, const char *k, double dflt, double *out,
                                   aniso_error *err)
{
    int found;
    key(c, k);
    *out = dflt;
    return pos_number(c, c->root, "", k, out, &found, err);
}

/* A number that may be null (then *out = 0, "none"); absent gives dflt. */
static aniso_status get_opt_number(cfg *c, const char *k, double dflt, double *out,
                                   aniso_error *err)
{
    aj *v = key(c, k);
    if (!v) {
        *out = dflt;
        return ANISO_OK;
    }
    if (aj_is_null(v)) {
        *out = 0;
        return ANISO_OK;
    }
    if (!aj_is_number(v) || !(aj_num(v) > 0) || !isfinite(aj_num(v)))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a positive number or null",
                               c->name, k);
    *out = aj_num(v);
    return ANISO_OK;
}

/* The MLP activation. Gemma 1's "gelu" is the one value whose meaning
 * changed: transformers 4.48-4.57 run it as exact erf GELU, 5.x (and the
 * original release) as the tanh approximation. */
static aniso_status parse_act(cfg *c, aniso_act *out, aniso_error *err)
{
    const arch_desc *a = c->a;
    aj *v = key(c, a->act_key);
    *out = a->act_default;
    if (!v || aj_is_null(v)) return ANISO_OK;
    const char *s = aj_str(v);
    if (!s)
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a string", c->name,
                               a->act_key);
    if (!strcmp(s, "silu") || !strcmp(s, "swish"))
        *out = ANISO_ACT_SILU;
    else if (!strcmp(s, "gelu"))
        *out = a->arch == ANISO_ARCH_GEMMA && c->v5 ? ANISO_ACT_GELU_TANH : ANISO_ACT_GELU;
    else if (!strcmp(s, "gelu_pytorch_tanh"))
        *out = ANISO_ACT_GELU_TANH;
    else if (!strcmp(s, "gelu_new"))
        *out = ANISO_ACT_GELU_NEW;
    else if (!strcmp(s, "gelu_fast"))
        *out = ANISO_ACT_GELU_FAST;
    else
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: unsupported activation '%s' in '%s' (supported: silu, gelu, "
                               "gelu_pytorch_tanh, gelu_new, gelu_fast)",
                               c->name, s, a->act_key);
    return ANISO_OK;
}

/* ---- Rotary settings ---- */

/* The keys a rope object (5.x rope_parameters, 4.x rope_scaling) may hold:
 * transformers 5.x's RopeParameters, plus the legacy "type". */
static const char *const rope_object_keys[] = {
    "rope_theta",
    "rope_type",
    "type",
    "partial_rotary_factor",
    "factor",
    "original_max_position_embeddings",
    "attention_factor",
    "beta_fast",
    "beta_slow",
    "short_factor",
    "long_factor",
    "low_freq_factor",
    "high_freq_factor",
    "mscale",
    "mscale_all_dim",
    "truncate",
    "mrope_section",
};

/* What the config says outside the rope object, used where the object is
 * silent: the family's theta and rotary fraction, and the llama3 context. */
typedef struct rope_defaults {
    double theta;
    double frac;
    double orig_max_pos; /* top-level original_max_position_embeddings (5.x wins), or 0 */
    double max_pos;      /* max_position_embeddings, or 0 */
} rope_defaults;

/* A list of n_rot / 2 positive numbers (longrope's factors) from o[k]. */
static aniso_status factor_list(const cfg *c, const aj *o, const char *where, const char *k,
                                float *out, int *n, aniso_error *err)
{
    aj *v = aj_get(o, k);
    if (!v || aj_is_null(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: rope type 'longrope' needs '%s%s'", c->name,
                               where, k);
    if (!aj_is_array(v) || aj_size(v) > ANISO_MAX_ROPE_FACTORS)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: key '%s%s' must be a list of at most %d numbers", c->name,
                               where, k, ANISO_MAX_ROPE_FACTORS);
    for (size_t i = 0; i < aj_size(v); i++) {
        aj *x = aj_at(v, i);
        if (!aj_is_number(x) || !(aj_num(x) > 0) || !isfinite(aj_num(x)) || aj_num(x) > 1e30)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: key '%s%s[%zu]' must be a positive number", c->name, where,
                                   k, i);
        out[i] = (float)aj_num(x);
    }
    if (*n >= 0 && *n != (int)aj_size(v))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: keys '%sshort_factor' and '%slong_factor' differ in length",
                               c->name, where, where);
    *n = (int)aj_size(v);
    return ANISO_OK;
}

/* transformers' get_mscale. */
static double yarn_mscale(double scale, double m)
{
    return scale <= 1 ? 1.0 : 0.1 * m * log(scale) + 1.0;
}

/* The settings of rope types yarn, dynamic and longrope (type t) from rope
 * object o into r, as transformers' init functions read them (4.x from
 * rope_scaling, 5.x from the standardized rope_parameters). */
static aniso_status rope_read_scaled(const cfg *c, const aj *o, const char *where, const char *t,
                                     const rope_defaults *d, aniso_rope *r, aniso_error *err)
{
    aniso_status st;
    int found;
    double maxpos = d->max_pos;
    /* the pre-training context: 5.x's standardize puts the config-level
     * original_max_position_embeddings (when the config has one) over the
     * object's, else the object's, else max_position_embeddings */
    double orig = 0;
    if ((st = pos_number(c, o, where, "original_max_position_embeddings", &orig, &found, err)))
        return st;
    int obj_orig = found;
    if (c->v5 && d->orig_max_pos > 0) orig = d->orig_max_pos;
    if (!(orig > 0)) orig = maxpos;
    aj *fv = aj_get(o, "factor");
    int factor_null = fv && aj_is_null(fv);
    if ((st = pos_number(c, o, where, "factor", &r->factor, &found, err))) return st;
    if (!strcmp(t, "dynamic")) {
        if (!found)
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope type 'dynamic' needs '%sfactor'",
                                   c->name, where);
        r->type = ANISO_ROPE_DYNAMIC;
        r->original_max_pos = maxpos; /* the base grows past max_position_embeddings */
        return ANISO_OK;
    }
    if (!strcmp(t, "yarn")) {
        r->type = ANISO_ROPE_YARN;
        /* 4.x: the object's context, else max_position_embeddings */
        r->original_max_pos = c->v5 ? orig : (obj_orig ? orig : maxpos);
        if (!c->v5 && obj_orig)
            r->original_max_pos = aj_num(aj_get(o, "original_max_position_embeddings"));
        if (!found && !(c->v5 && factor_null))
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope type 'yarn' needs '%sfactor'",
                                   c->name, where);
        if (!found) r->factor = maxpos / r->original_max_pos;
        double att = 0, ms = 0, msa = 0, bf = 0, bs = 0;
        int has_att, has_ms, has_msa;
        if ((st = pos_number(c, o, where, "attention_factor", &att, &has_att, err)) ||
            (st = pos_number(c, o, where, "mscale", &ms, &has_ms, err)) ||
            (st = pos_number(c, o, where, "mscale_all_dim", &msa, &has_msa, err)) ||
            (st = pos_number(c, o, where, "beta_fast", &bf, &found, err)) ||
            (st = pos_number(c, o, where, "beta_slow", &bs, &found, err)))
            return st;
        if (has_att)
            r->attention_factor = att;
        else if (has_ms && has_msa)
            r->attention_factor = yarn_mscale(r->factor, ms) / yarn_mscale(r->factor, msa);
        else
            r->attention_factor = yarn_mscale(r->factor, 1);
        r->beta_fast = bf > 0 ? bf : 32;
        r->beta_slow = bs > 0 ? bs : 1;
        r->truncate = 1;
        aj *tr = aj_get(o, "truncate");
        if (tr && !aj_is_null(tr)) {
            if (!aj_is_bool(tr))
                return aniso_error_set(err, ANISO_FORMAT,
                                       "%s: key '%struncate' must be true or false", c->name,
                                       where);
            r->truncate = aj_bool(tr);
        }
        return ANISO_OK;
    }
    /* longrope */
    r->type = ANISO_ROPE_LONGROPE;
    r->n_factors = -1;
    if ((st = factor_list(c, o, where, "short_factor", r->short_factor, &r->n_factors, err)) ||
        (st = factor_list(c, o, where, "long_factor", r->long_factor, &r->n_factors, err)))
        return st;
    if (c->v5) {
        r->original_max_pos = orig;
        if (!found) r->factor = maxpos / orig;
    } else if (d->orig_max_pos > 0) {
        /* 4.x: a config-level original_max_position_embeddings decides the factor */
        r->original_max_pos = d->orig_max_pos;
        r->factor = maxpos / d->orig_max_pos;
    } else {
        r->original_max_pos = maxpos;
        if (!found)
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope type 'longrope' needs '%sfactor'",
                                   c->name, where);
    }
    double att;
    if ((st = pos_number(c, o, where, "attention_factor", &att, &found, err))) return st;
    r->attention_factor = found              ? att
                          : r->factor <= 1.0 ? 1.0
                                             : sqrt(1 + log(r->factor) / log(r->original_max_pos));
    return ANISO_OK;
}

/* Family rules on the rope object that transformers enforces with errors
 * (4.57's Phi-3 and OLMo 2 configs, Phi-3's 5.x validation), and Phi-3's
 * renaming of "su" and "yarn" to "longrope". *t may be replaced. */
static aniso_status rope_family_rules(const cfg *c, const aj *o, const char *where, const char **t,
                                      aniso_error *err)
{
    int phi3 = c->a->arch == ANISO_ARCH_PHI3, olmo2 = c->a->arch == ANISO_ARCH_OLMO2;
    if (phi3 && !c->v5 && !strcmp(*t, "su")) *t = "longrope";
    if (phi3 && !strcmp(*t, "yarn")) *t = "longrope";
    if (phi3 && c->v5 && !strcmp(*t, "su"))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: rope type 'su' in '%srope_type': transformers 5 fails on it "
                               "(it needs original_max_position_embeddings before renaming it)",
                               c->name, where);
    if (phi3 && strcmp(*t, "default") && strcmp(*t, "longrope"))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: rope type '%s' in '%srope_type': Phi-3 has only default and "
                               "longrope",
                               c->name, *t, where);
    if (phi3 && !c->v5) {
        /* 4.57: exactly {"type", "short_factor", "long_factor"} */
        int ok = aj_size(o) == 3 && aj_get(o, "type") && aj_get(o, "short_factor") &&
                 aj_get(o, "long_factor");
        if (!ok)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: key 'rope_scaling' must hold exactly 'type', "
                                   "'short_factor' and 'long_factor' (transformers 4 rejects "
                                   "anything else for Phi-3)",
                                   c->name);
    }
    if (olmo2 && !c->v5) {
        aj *f = aj_get(o, "factor");
        int ok = aj_size(o) == 2 && aj_get(o, "type") &&
                 (!strcmp(*t, "linear") || !strcmp(*t, "dynamic")) && f && aj_is_number(f) &&
                 !aj_is_integer(f) && aj_num(f) > 1;
        if (!ok)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: key 'rope_scaling' must be {\"type\": \"linear\" or "
                                   "\"dynamic\", \"factor\": a float above 1} (transformers 4 "
                                   "rejects anything else for OLMo 2)",
                                   c->name);
    }
    return ANISO_OK;
}

/* One rope object o (an object, checked by the caller) into r and *frac.
 * where names it in messages ("rope_parameters.", "rope_scaling.", ...). */
static aniso_status rope_read(const cfg *c, const aj *o, const char *where, const rope_defaults *d,
                              aniso_rope *r, double *frac, aniso_error *err)
{
    aniso_status st;
    for (void *it = aj_iter(o); it; it = aj_iter_next(o, it)) {
        const char *k = aj_iter_key(it);
        size_t i = 0, n = sizeof rope_object_keys / sizeof rope_object_keys[0];
        while (i < n && strcmp(rope_object_keys[i], k)) i++;
        if (i == n)
            return aniso_error_set(err, ANISO_UNSUPPORTED, "%s: unknown key '%s%s'", c->name, where,
                                   k);
    }
    aj *tv = aj_get(o, "rope_type");
    if (!tv || aj_is_null(tv)) tv = aj_get(o, "type");
    const char *t = "default";
    if (tv && !aj_is_null(tv) && !(t = aj_str(tv)))
        return aniso_error_set(err, ANISO_FORMAT, "%s: key '%srope_type' must be a string", c->name,
                               where);
    if ((st = rope_family_rules(c, o, where, &t, err))) return st;
    memset(r, 0, sizeof *r);
    int linear = !strcmp(t, "linear"), llama3 = !strcmp(t, "llama3");
    int scaled = !strcmp(t, "yarn") || !strcmp(t, "dynamic") || !strcmp(t, "longrope");
    if (!linear && !llama3 && !scaled && strcmp(t, "default"))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: unsupported rope type '%s' in '%srope_type' (supported: "
                               "default, linear, llama3, yarn, dynamic, longrope)",
                               c->name, t, where);
    int found;
    r->theta = d->theta;
    *frac = d->frac;
    if ((st = pos_number(c, o, where, "rope_theta", &r->theta, &found, err)) ||
        (st = pos_number(c, o, where, "partial_rotary_factor", frac, &found, err)))
        return st;
    if (scaled) return rope_read_scaled(c, o, where, t, d, r, err);
    r->type = linear ? ANISO_ROPE_LINEAR : llama3 ? ANISO_ROPE_LLAMA3 : ANISO_ROPE_DEFAULT;
    if (!linear && !llama3) return ANISO_OK;
    const char *keys[] = {"factor", "low_freq_factor", "high_freq_factor"};
    double *dst[] = {&r->factor, &r->low_freq_factor, &r->high_freq_factor};
    for (int i = 0; i < (linear ? 1 : 3); i++) {
        if ((st = pos_number(c, o, where, keys[i], dst[i], &found, err))) return st;
        if (!found)
            return aniso_error_set(err, ANISO_FORMAT, "%s: rope type '%s' needs '%s%s'", c->name, t,
                                   where, keys[i]);
    }
    if (linear) return ANISO_OK;
    if (!(r->high_freq_factor > r->low_freq_factor))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: '%shigh_freq_factor' must exceed '%slow_freq_factor'", c->name,
                               where, where);
    /* The pre-training context: 5.x takes a top-level
     * original_max_position_embeddings first, then the object's, then
     * max_position_embeddings; 4.x requires the object's. */
    if ((st = pos_number(c, o, where, "original_max_position_embeddings", &r->original_max_pos,
                         &found, err)))
        return st;
    if (c->v5 && d->orig_max_pos > 0)
        r->original_max_pos = d->orig_max_pos;
    else if (!found && c->v5 && d->max_pos > 0)
        r->original_max_pos = d->max_pos;
    else if (!found)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: rope type 'llama3' needs '%soriginal_max_position_embeddings'",
                               c->name, where);
    return ANISO_OK;
}

/* The object under config key k, or NULL when absent, null or empty. */
static aniso_status rope_object(cfg *c, const char *k, const aj **out, aniso_error *err)
{
    aj *v = key(c, k);
    *out = NULL;
    if (!v || aj_is_null(v)) return ANISO_OK;
    if (!aj_is_object(v))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: key '%s' must be an object or null, found %s", c->name, k,
                               aj_type_name(v));
    if (aj_size(v)) *out = v;
    return ANISO_OK;
}

static int is_layer_type_key(const char *k)
{
    return !strcmp(k, "full_attention") || !strcmp(k, "sliding_attention");
}

/* Whether a rope_parameters object is per layer type (5.x's nested form). */
static int rope_nested(const aj *o)
{
    for (void *it = aj_iter(o); it; it = aj_iter_next(o, it))
        if (is_layer_type_key(aj_iter_key(it))) return 1;
    return 0;
}

/* Every rotary setting of the model, by the rules of the writing version:
 * hp->rope (global or only layers), hp->rope_local (sliding layers of Gemma
 * 3), hp->n_rot. */
static aniso_status parse_rope(cfg *c, aniso_hparams *hp, aniso_error *err)
{
    aniso_status st;
    int neox = hp->arch == ANISO_ARCH_GPTNEOX, gemma3 = hp->arch == ANISO_ARCH_GEMMA3;
    const aj *params, *scaling;
    if ((st = rope_object(c, "rope_parameters", &params, err)) ||
        (st = rope_object(c, "rope_scaling", &scaling, err)))
        return st;
    if (params && !c->v5)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: key 'rope_parameters' is read by transformers 5 only, but "
                               "the file is read by the rules of transformers 4 (its "
                               "transformers_version, or --hf-version 4)",
                               c->name);
    rope_defaults d = {.theta = c->a->rope_theta_default, .frac = neox ? 0.25 : 1.0};
    int found;
    /* The legacy top-level keys. GPT-NeoX reads rotary_emb_base and
     * rotary_pct; 4.x overwrites rope_theta / partial_rotary_factor with
     * them and 5.x never reads those two, so for NeoX they mean nothing. */
    if ((st = pos_number(c, c->root, "", neox ? "rotary_emb_base" : "rope_theta", &d.theta, &found,
                         err)) ||
        (st = pos_number(c, c->root, "", neox ? "rotary_pct" : "partial_rotary_factor", &d.frac,
                         &found, err)))
        return st;
    key(c, neox ? "rotary_emb_base" : "rope_theta");
    key(c, neox ? "rotary_pct" : "partial_rotary_factor");
    if (neox) {
        key(c, "rope_theta");
        key(c, "partial_rotary_factor");
    }
    d.max_pos = hp->n_pos;
    if ((st = pos_number(c, c->root, "", "original_max_position_embeddings", &d.orig_max_pos,
                         &found, err)))
        return st;
    key(c, "original_max_position_embeddings");
    /* Phi-3's config always has one (its class default) */
    if (!found && hp->arch == ANISO_ARCH_PHI3) d.orig_max_pos = 4096;
    double frac = d.frac, frac_local = d.frac;

    if (!gemma3) {
        /* One setting for every layer. 5.x: a non-empty rope_scaling
         * replaces rope_parameters whole; the object's rope_theta and
         * partial_rotary_factor win over the top-level keys. */
        const aj *o = scaling ? scaling : params;
        const char *where = scaling ? "rope_scaling." : "rope_parameters.";
        if (params && !scaling && rope_nested(params))
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: key 'rope_parameters' is per layer type, which %s does "
                                   "not have",
                                   c->name, c->a->display);
        hp->rope = (aniso_rope){.theta = d.theta, .type = ANISO_ROPE_DEFAULT};
        if (o && (st = rope_read(c, o, where, &d, &hp->rope, &frac, err))) return st;
        if (!c->v5 && o) {
            /* 4.x: rope_scaling carries only the scaling; theta and the
             * fraction are the top-level ones. */
            hp->rope.theta = d.theta;
            frac = d.frac;
        }
        hp->rope_local = hp->rope;
        frac_local = frac;
    } else {
        /* Gemma 3: global (full_attention) and local (sliding_attention)
         * settings. 5.x: rope_parameters per layer type, rope_scaling
         * updating the global one key by key, the top-level rope_theta and
         * rope_local_base_freq filling in missing thetas. 4.x: rope_theta
         * and rope_scaling on global layers, rope_local_base_freq with the
         * default type on sliding layers. */
        double local = 10000.0;
        if ((st = get_pos_double(c, "rope_local_base_freq", 10000.0, &local, err))) return st;
        const aj *full = NULL, *slide = NULL;
        if (params) {
            for (void *it = aj_iter(params); it; it = aj_iter_next(params, it))
                if (!is_layer_type_key(aj_iter_key(it)))
                    return aniso_error_set(err, ANISO_UNSUPPORTED,
                                           "%s: key 'rope_parameters.%s': Gemma 3's "
                                           "rope_parameters must be per layer type "
                                           "(full_attention, sliding_attention)",
                                           c->name, aj_iter_key(it));
            full = aj_get(params, "full_attention");
            slide = aj_get(params, "sliding_attention");
            const aj *both[] = {full, slide};
            for (int i = 0; i < 2; i++)
                if (both[i] && !aj_is_null(both[i]) && !aj_is_object(both[i]))
                    return aniso_error_set(err, ANISO_FORMAT,
                                           "%s: key 'rope_parameters.%s' must be an object",
                                           c->name, i ? "sliding_attention" : "full_attention");
            if (full && aj_is_null(full)) full = NULL;
            if (slide && aj_is_null(slide)) slide = NULL;
        }
        rope_defaults dg = d, dl = d;
        dl.theta = local;
        hp->rope = (aniso_rope){.theta = d.theta, .type = ANISO_ROPE_DEFAULT};
        hp->rope_local = (aniso_rope){.theta = local, .type = ANISO_ROPE_DEFAULT};
        if (c->v5) {
            /* full_attention = rope_parameters' object updated by rope_scaling;
             * with no rope_parameters at all the object starts as
             * {"rope_type": "default"}, so a legacy "type" in rope_scaling
             * does not change it (5.x drops such a scaling). */
            if (params && !full && scaling)
                return aniso_error_set(err, ANISO_UNSUPPORTED,
                                       "%s: key 'rope_scaling' with a 'rope_parameters' that has "
                                       "no 'full_attention' entry (transformers fails on it)",
                                       c->name);
            aj *merged = aj_new_object();
            if (!merged || (!params && aj_set(merged, "rope_type", aj_new_string("default", 7)))) {
                aj_free(merged);
                return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", c->name);
            }
            const aj *parts[] = {full, scaling};
            for (int i = 0; i < 2; i++)
                for (void *it = parts[i] ? aj_iter(parts[i]) : NULL; it;
                     it = aj_iter_next(parts[i], it))
                    if (aj_set(merged, aj_iter_key(it), aj_copy(aj_iter_value(it)))) {
                        aj_free(merged);
                        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", c->name);
                    }
            st = rope_read(c, merged, scaling ? "rope_scaling." : "rope_parameters.full_attention.",
                           &dg, &hp->rope, &frac, err);
            aj_free(merged);
            if (st) return st;
            if (slide && (st = rope_read(c, slide, "rope_parameters.sliding_attention.", &dl,
                                         &hp->rope_local, &frac_local, err)))
                return st;
        } else if (scaling) {
            /* 4.57's Gemma 3 config does not translate a legacy "type". */
            aj *rt = aj_get(scaling, "rope_type");
            if (!rt || aj_is_null(rt))
                return aniso_error_set(err, ANISO_FORMAT,
                                       "%s: key 'rope_scaling' needs 'rope_type' (transformers 4 "
                                       "rejects a Gemma 3 rope_scaling without it)",
                                       c->name);
            if ((st = rope_read(c, scaling, "rope_scaling.", &dg, &hp->rope, &frac, err)))
                return st;
            hp->rope.theta = d.theta;
            frac = frac_local = d.frac;
        }
    }
    /* Only GPT-NeoX's modeling rotates part of a head; the others apply cos
     * and sin to the whole head, and transformers fails on anything else. */
    double fr[] = {frac, frac_local};
    for (int i = 0; i < 2; i++) {
        if (fr[i] > 1)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: the rotary fraction (partial_rotary_factor or rotary_pct) "
                                   "%g exceeds 1",
                                   c->name, fr[i]);
        int n = (int)(hp->d_head * fr[i]);
        if (c->a->rotary != ROTARY_PARTIAL && n != hp->d_head)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: a rotary fraction of %g (partial_rotary_factor) is not "
                                   "supported by %s, which rotates whole heads",
                                   c->name, fr[i], c->a->display);
        if (n % 2 || n == 0)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: the rotary dimension %d (head size %d x fraction %g) must "
                                   "be even and positive",
                                   c->name, n, hp->d_head, fr[i]);
        hp->n_rot = n;
    }
    const aniso_rope *rs[] = {&hp->rope, &hp->rope_local};
    for (int i = 0; i < 2; i++) {
        if (hp->n_rot / 2 > ANISO_MAX_ROPE_FACTORS)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: %d rotary dimensions per head are more than aniso's %d",
                                   c->name, hp->n_rot, 2 * ANISO_MAX_ROPE_FACTORS);
        if (rs[i]->type == ANISO_ROPE_DYNAMIC && hp->n_rot < 4)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: rope type 'dynamic' needs at least 4 rotary dimensions "
                                   "(its base exponent divides by n - 2)",
                                   c->name);
        if (rs[i]->type == ANISO_ROPE_LONGROPE && rs[i]->n_factors != hp->n_rot / 2)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: longrope's short_factor and long_factor have %d entries; "
                                   "the %d rotary dimensions need %d",
                                   c->name, rs[i]->n_factors, hp->n_rot, hp->n_rot / 2);
        /* 4.57's init functions of these types read head_dim without a
         * fallback: Mistral's null head_dim fails there */
        aj *hd = aj_get(c->root, "head_dim");
        int scaled = rs[i]->type == ANISO_ROPE_YARN || rs[i]->type == ANISO_ROPE_DYNAMIC ||
                     rs[i]->type == ANISO_ROPE_LONGROPE;
        if (scaled && !c->v5 && hp->arch == ANISO_ARCH_MISTRAL && (!hd || aj_is_null(hd)))
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: this rope type needs 'head_dim' in a Mistral config read "
                                   "by transformers 4 (which fails without it)",
                                   c->name);
    }
    hp->rope_frac = frac;
    return ANISO_OK;
}

/* ---- Keys read by no one ---- */

/* Keys of transformers' PretrainedConfig (4.57 and 5.x) and of the families'
 * config classes that cannot change hidden states: output switches,
 * labels, token ids, generation defaults, dropout (inactive in eval mode),
 * the cache, initialisation, tensor-parallel split and logit-only settings,
 * and bookkeeping. */
static const char *const ignored_keys[] = {
    "_name_or_path",
    "_commit_hash",
    "_attn_implementation",
    "_attn_implementation_autoset",
    "_experts_implementation",
    "attn_implementation",
    "add_cross_attention",
    "architectures",
    "bad_words_ids",
    "begin_suppress_tokens",
    "bos_token_id",
    "cache_implementation",
    "chunk_size_feed_forward",
    "classifier_dropout",
    "cross_attention_hidden_size",
    "decoder_start_token_id",
    "diversity_penalty",
    "do_sample",
    "dtype",
    "early_stopping",
    "encoder_no_repeat_ngram_size",
    "eos_token_id",
    "exponential_decay_length_penalty",
    "final_logit_softcapping",
    "finetuning_task",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "hidden_dropout",
    "attention_dropout",
    "id2label",
    "initializer_range",
    "is_decoder",
    "is_encoder_decoder",
    "label2id",
    "length_penalty",
    "max_length",
    "min_length",
    "model_type",
    "no_repeat_ngram_size",
    "num_beam_groups",
    "num_beams",
    "num_labels",
    "num_return_sequences",
    "output_attentions",
    "output_hidden_states",
    "output_scores",
    "pad_token_id",
    "prefix",
    "pretraining_tp",
    "problem_type",
    "remove_invalid_values",
    "repetition_penalty",
    "return_dict",
    "return_dict_in_generate",
    "sep_token_id",
    "suppress_tokens",
    "task_specific_params",
    "temperature",
    "tf_legacy_loss",
    "tie_encoder_decoder",
    "tokenizer_class",
    "top_k",
    "top_p",
    "torch_dtype",
    "torchscript",
    "transformers_version",
    "typical_p",
    "use_bfloat16",
    "use_cache",
};

static int in_list(const char *k, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && !strcmp(list[i], k)) return 1;
    return 0;
}

/* Keys that change the computation in ways aniso does not implement, when
 * set to anything but their neutral value, with what they are. */
static aniso_status check_unsupported(cfg *c, aniso_error *err)
{
    aj *v;
    if ((v = key(c, "quantization_config")) && !aj_is_null(v))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: key 'quantization_config': quantized checkpoints are not "
                               "supported",
                               c->name);
    if ((v = key(c, "pruned_heads")) && !aj_is_null(v) && !(aj_is_object(v) && !aj_size(v)))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: key 'pruned_heads': pruned attention heads are not supported",
                               c->name);
    if ((v = key(c, "auto_map")) && !aj_is_null(v)) {
        for (void *it = aj_is_object(v) ? aj_iter(v) : NULL; it; it = aj_iter_next(v, it))
            if (!strncmp(aj_iter_key(it), "AutoModel", 9))
                return aniso_error_set(err, ANISO_UNSUPPORTED,
                                       "%s: key 'auto_map.%s': the model has its own modeling "
                                       "code, which aniso does not run",
                                       c->name, aj_iter_key(it));
    }
    /* Gemma 3 attends both ways when it is set (4.57 and 5.x); Gemma 1 and
     * 2 carry the key in 5.x, where it leaves their eager attention causal. */
    int b = 0;
    aniso_status st;
    if (c->a->gemma_style && (st = get_bool(c, "use_bidirectional_attention", 0, &b, err)))
        return st;
    if (b && c->a->arch == ANISO_ARCH_GEMMA3)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: key 'use_bidirectional_attention': bidirectional (embedding "
                               "model) attention is not supported",
                               c->name);
    /* Read by 5.x only: is_causal false makes every mask bidirectional,
     * tie_last_hidden_states false leaves the last hidden state before the
     * final norm. 4.57 ignores both. */
    const char *v5_only[] = {"is_causal", "tie_last_hidden_states"};
    for (int i = 0; i < 2; i++) {
        if ((st = get_bool(c, v5_only[i], 1, &b, err))) return st;
        if (!b && c->v5)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: key '%s' = false is not supported (%s)", c->name,
                                   v5_only[i],
                                   i ? "it would make the last hidden state the pre-norm one"
                                     : "bidirectional attention");
    }
    return ANISO_OK;
}

static aniso_status check_unread(cfg *c, const aniso_config_opts *co, aniso_error *err)
{
    for (void *it = aj_iter(c->root); it; it = aj_iter_next(c->root, it)) {
        const char *k = aj_iter_key(it);
        if (in_list(k, c->seen, (size_t)c->n_seen) ||
            in_list(k, ignored_keys, sizeof ignored_keys / sizeof ignored_keys[0]) ||
            in_list(k, c->a->ignored_keys, c->a->n_ignored_keys))
            continue;
        int allowed = 0;
        for (const char *const *p = co ? co->ignore_keys : NULL; p && *p; p++)
            if (!strcmp(*p, k)) allowed = 1;
        if (!allowed)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: unknown key '%s' for %s (it may change the model; "
                                   "--ignore-config-key %s if it cannot)",
                                   c->name, k, c->a->model_type, k);
    }
    return ANISO_OK;
}

/* Which layers attend through a sliding window, and its width. */
static aniso_status parse_sliding(cfg *c, aniso_hparams *hp, aniso_error *err)
{
    const arch_desc *a = c->a;
    aniso_status st;
    double w = 0;
    int use = 1;
    if (a->sliding_kind == SLIDE_QWEN && (st = get_bool(c, "use_sliding_window", 0, &use, err)))
        return st;
    if (a->sliding_kind != SLIDE_NONE &&
        (st = get_opt_number(c, "sliding_window", a->sliding_default, &w, err)))
        return st;
    if (w > 1e9 || w != floor(w))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: key 'sliding_window' = %g must be a whole number of tokens "
                               "up to 1e9",
                               c->name, w);
    /* Qwen: sliding_window counts only with use_sliding_window */
    hp->sliding_window = use ? (int)w : 0;
    /* layer_types when given (families that read it), else the family's rule */
    aj *types = NULL;
    int reads_types = a->sliding_kind == SLIDE_GEMMA2 || a->sliding_kind == SLIDE_GEMMA3 ||
                      a->sliding_kind == SLIDE_QWEN;
    if (reads_types) types = key(c, "layer_types");
    if (a->sliding_kind == SLIDE_GEMMA3) key(c, "sliding_window_pattern");
    if (!reads_types && aj_get(c->root, "layer_types") &&
        !in_list("layer_types", a->ignored_keys, a->n_ignored_keys))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: key 'layer_types' is not supported for %s", c->name,
                               a->display);
    int max_window = 28;
    if (a->sliding_kind == SLIDE_QWEN &&
        (st = get_int_in(c, "max_window_layers", 0, 28, 0, MAX_LAYERS, &max_window, err)))
        return st;
    if (types && !aj_is_null(types)) {
        if (!aj_is_array(types) || aj_size(types) != (size_t)hp->n_layer)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: layer_types must be a list of %d entries (one per layer)",
                                   c->name, hp->n_layer);
        for (int i = 0; i < hp->n_layer; i++) {
            const char *t = aj_str(aj_at(types, (size_t)i));
            if (!t || (strcmp(t, "sliding_attention") && strcmp(t, "full_attention")))
                return aniso_error_set(err, ANISO_UNSUPPORTED,
                                       "%s: layer_types[%d] must be \"sliding_attention\" or "
                                       "\"full_attention\"",
                                       c->name, i);
            hp->sliding[i] = !strcmp(t, "sliding_attention");
            /* transformers' sliding mask fails without a window (Qwen) */
            if (hp->sliding[i] && !hp->sliding_window && a->sliding_kind == SLIDE_QWEN)
                return aniso_error_set(err, ANISO_FORMAT,
                                       "%s: layer_types[%d] is \"sliding_attention\" but there is "
                                       "no sliding window (use_sliding_window false or "
                                       "sliding_window null)",
                                       c->name, i);
        }
    } else if (a->sliding_kind == SLIDE_ALL) {
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = 1;
    } else if (a->sliding_kind == SLIDE_GEMMA2) {
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = (i + 1) % 2 != 0;
    } else if (a->sliding_kind == SLIDE_GEMMA3) {
        int pattern; /* read only when layer_types is absent, as transformers does */
        if ((st = get_int(c, "sliding_window_pattern", 0, 6, MAX_LAYERS, &pattern, err))) return st;
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = (i + 1) % pattern != 0;
    } else if (a->sliding_kind == SLIDE_QWEN) {
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = i >= max_window;
    }
    if (!hp->sliding_window) memset(hp->sliding, 0, sizeof hp->sliding);
    return ANISO_OK;
}

/* The forward pass's settings. */
static aniso_status parse_forward(cfg *c, aniso_hparams *hp, aniso_error *err)
{
    const arch_desc *a = c->a;
    aniso_status st;
    if ((st = parse_act(c, &hp->act, err))) return st;
    if (a->rotary != ROTARY_NONE && (st = parse_rope(c, hp, err))) return st;
    int neox = hp->arch == ANISO_ARCH_GPTNEOX;
    hp->embd_scale = a->gemma_style ? (double)(float)sqrt((double)hp->d_model) : 1.0;
    hp->attn_scale = 1.0 / sqrt((double)hp->d_head);
    hp->parallel_residual = 0;
    if (neox && (st = get_bool(c, "use_parallel_residual", 1, &hp->parallel_residual, err)))
        return st;
    if (hp->arch == ANISO_ARCH_GPT2) {
        /* GPT-2: q.k / sqrt(d_head) unless scale_attn_weights is false, and
         * / (layer + 1) with scale_attn_by_inverse_layer_idx. Upcasting and
         * reordering (reorder_and_upcast_attn) computes the same products in
         * float32, the scale folded into one multiplier. */
        int scaled, by_layer, reorder;
        if ((st = get_bool(c, "scale_attn_weights", 1, &scaled, err)) ||
            (st = get_bool(c, "scale_attn_by_inverse_layer_idx", 0, &by_layer, err)) ||
            (st = get_bool(c, "reorder_and_upcast_attn", 0, &reorder, err)))
            return st;
        if (!scaled) hp->attn_scale = 1.0;
        hp->attn_scale_by_layer = by_layer;
    }
    if (a->gemma_style && hp->arch != ANISO_ARCH_GEMMA) {
        double q = 256;
        if ((st = get_pos_double(c, "query_pre_attn_scalar", 256, &q, err)) ||
            (st = get_opt_number(c, "attn_logit_softcapping",
                                 hp->arch == ANISO_ARCH_GEMMA2 ? 50.0 : 0.0, &hp->softcap, err)))
            return st;
        hp->attn_scale = 1.0 / sqrt(q);
    }
    return parse_sliding(c, hp, err);
}

/* Which transformers rules apply: the caller's choice, else the major
 * version recorded in the file (absent: the current 5.x). */
static aniso_status resolve_semantics(cfg *c, const aniso_config_opts *co, aniso_hparams *hp,
                                      aniso_error *err);

int aniso_config_semantics(const char *dir, const aniso_config_opts *co, aniso_error *err)
{
    if (co && (co->semantics == ANISO_HF_V4 || co->semantics == ANISO_HF_V5))
        return (int)co->semantics;
    char *path = path_join(dir, "config.json"), *buf = NULL;
    size_t len;
    if (!path) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir), -1;
    int out = ANISO_HF_V5;
    if (path_exists(path)) {
        aj *root = NULL;
        aniso_hparams *hp = calloc(1, sizeof *hp);
        if (!hp || read_small_file(path, 16u << 20, &buf, &len, err) ||
            !(root = aj_parse(buf, len, path, err))) {
            out = -1;
        } else {
            cfg c = {.root = root, .name = path};
            out = resolve_semantics(&c, co, hp, err) ? -1 : hp->hf_semantics;
        }
        aj_free(root);
        free(hp);
    }
    free(buf);
    free(path);
    return out;
}

static aniso_status resolve_semantics(cfg *c, const aniso_config_opts *co, aniso_hparams *hp,
                                      aniso_error *err)
{
    aj *v = key(c, "transformers_version");
    const char *s = aj_str(v);
    if (v && !aj_is_null(v) && !s)
        return aniso_error_set(err, ANISO_FORMAT, "%s: key 'transformers_version' must be a string",
                               c->name);
    if (s) snprintf(hp->transformers_version, sizeof hp->transformers_version, "%s", s);
    int want = co ? (int)co->semantics : 0;
    if (want == ANISO_HF_V4 || want == ANISO_HF_V5) {
        hp->hf_semantics = want;
    } else if (!s) {
        hp->hf_semantics = ANISO_HF_V5;
    } else {
        char *end;
        long major = strtol(s, &end, 10);
        if (end == s || major < 1)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: transformers_version '%s' is not a version number", c->name,
                                   s);
        if (major > 5)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: written by transformers %s, newer than the 4.x and 5.x "
                                   "rules aniso knows (--hf-version 5 to read it as 5.x)",
                                   c->name, s);
        hp->hf_semantics = major == 5 ? ANISO_HF_V5 : ANISO_HF_V4;
    }
    c->v5 = hp->hf_semantics == ANISO_HF_V5;
    return ANISO_OK;
}

aniso_status aniso_hparams_parse(const char *json, size_t len, const char *name,
                                 const aniso_config_opts *co, aniso_hparams *hp, aniso_error *err)
{
    memset(hp, 0, sizeof *hp);
    aj *root = aj_parse(json, len, name, err);
    if (!root) return err ? err->code : ANISO_FORMAT;
    cfg c = {.root = root, .name = name};
    aniso_status st = ANISO_OK;
    if (!aj_is_object(root)) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: expected a JSON object, found %s", name,
                             aj_type_name(root));
        goto out;
    }
    aj *mt = key(&c, "model_type");
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
    c.a = a;
    hp->arch = a->arch;
    if ((st = resolve_semantics(&c, co, hp, err))) goto out;
    aj *archs = key(&c, "architectures");
    if (aj_is_array(archs) && aj_is_string(aj_at(archs, 0)))
        snprintf(hp->architecture, sizeof hp->architecture, "%s", aj_str(aj_at(archs, 0)));

    if ((st = get_int(&c, "num_hidden_layers", 1, 0, MAX_LAYERS, &hp->n_layer, err)) ||
        (st = get_int(&c, "hidden_size", 1, 0, MAX_DIM, &hp->d_model, err)) ||
        (st = get_int(&c, "num_attention_heads", 1, 0, MAX_DIM, &hp->n_head, err)) ||
        (st = get_int(&c, "intermediate_size", !a->ff_mult, 0, MAX_DIM, &hp->d_ff, err)) ||
        (st = get_int(&c, "vocab_size", 1, 0, MAX_DIM, &hp->n_vocab, err)) ||
        (st = get_int(&c, "max_position_embeddings", 0, a->max_pos_default, 1 << 30, &hp->n_pos,
                      err)))
        goto out;
    /* GPT-2's n_inner null: 4 x n_embd */
    if (!hp->d_ff) hp->d_ff = a->ff_mult * hp->d_model;
    int kv_default = a->n_head_kv_default ? a->n_head_kv_default : hp->n_head;
    /* GPT-NeoX's attention has no grouped heads: transformers never reads
     * the key there, and neither does aniso. */
    if (hp->arch == ANISO_ARCH_GPTNEOX)
        hp->n_head_kv = hp->n_head, key(&c, "num_key_value_heads");
    else if (hp->arch == ANISO_ARCH_GPT2)
        hp->n_head_kv = hp->n_head;
    else if ((st = get_int(&c, "num_key_value_heads", 0, kv_default, MAX_DIM, &hp->n_head_kv, err)))
        goto out;
    /* GPT-NeoX and GPT-2 have no head_dim key: the head size is always
     * hidden / heads. */
    aj *hd = a->no_head_dim_key ? NULL : key(&c, "head_dim");
    if ((!hd || aj_is_null(hd)) && a->d_head_default == 0) {
        if (hp->d_model % hp->n_head != 0) {
            st = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: hidden_size (%d) is not a multiple of num_attention_heads "
                                 "(%d)",
                                 name, hp->d_model, hp->n_head);
            goto out;
        }
        hp->d_head = hp->d_model / hp->n_head;
    } else if ((st = get_int(&c, "head_dim", 0, a->d_head_default, MAX_DIM, &hp->d_head, err))) {
        goto out;
    }
    if (c.v5 && hp->d_model % hp->n_head != 0 && hp->arch != ANISO_ARCH_GEMMA) {
        st = aniso_error_set(err, ANISO_FORMAT,
                             "%s: hidden_size (%d) is not a multiple of num_attention_heads (%d), "
                             "which transformers 5 rejects for %s",
                             name, hp->d_model, hp->n_head, a->display);
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
    hp->attn_bias = a->attn_bias_default;
    if ((st = get_pos_double(&c, a->eps_key, a->eps_default, &hp->norm_eps, err)) ||
        (st = get_bool(&c, "tie_word_embeddings", a->tie_default, &hp->tie_embd, err)) ||
        (!a->no_attn_bias_key &&
         (st = get_bool(&c, "attention_bias", a->attn_bias_default, &hp->attn_bias, err))))
        goto out;
    if (hp->arch == ANISO_ARCH_LLAMA && (st = get_bool(&c, "mlp_bias", 0, &hp->mlp_bias, err)))
        goto out;
    if ((st = parse_forward(&c, hp, err)) || (st = check_unsupported(&c, err)) ||
        (st = check_unread(&c, co, err)))
        goto out;
out:
    aj_free(root);
    return st;
}

/* ---- GGUF metadata (docs/GGUF.md section 3), with what transformers assumes
 * when it loads such a file where the file says nothing. */

#include "aniso/gguf.h"

/* A global F32 vector of n rope factors (rope_freqs, rope_factors_long /
 * _short) into out; 0 when absent, -1 with err set when malformed. */
static int gguf_factors(const aniso_gguf *g, const char *name, int n, float *out, aniso_error *err)
{
    const aniso_tensor *t = aniso_gguf_find_tensor(g, name);
    if (!t) return 0;
    if (t->dtype != ANISO_DTYPE_F32 || t->n_dims != 1 || t->shape[0] != n) {
        aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s' must be %d F32 values (n_rot / 2)",
                        aniso_gguf_path(g), name, n);
        return -1;
    }
    memcpy(out, t->data, (size_t)n * sizeof *out);
    for (int i = 0; i < n; i++)
        if (!(out[i] > 0) || !isfinite(out[i])) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: tensor '%s' holds a factor that is not a "
                            "positive number (index %d)",
                            aniso_gguf_path(g), name, i);
            return -1;
        }
    return 1;
}

/* Rotary settings of a GGUF file: base, rotated dims, linear scaling,
 * Llama 3.1's per-frequency factors (rope_freqs) and Phi-3's longrope
 * factors (rope_factors_short / _long with the original context and the
 * attention factor). */
static aniso_status gguf_rope(const aniso_gguf *g, const arch_desc *a, const char *arch,
                              aniso_hparams *hp, aniso_error *err)
{
    const char *path = aniso_gguf_path(g);
    char key[160];
    long long v;
    int neox = hp->arch == ANISO_ARCH_GPTNEOX;
#define K(suffix) (snprintf(key, sizeof key, "%s." suffix, arch), key)
    double theta = a->rope_theta_default;
    if (aniso_gguf_get_float(g, K("rope.freq_base"), 1, &theta, err)) return ANISO_FORMAT;
    if (!(theta > 0))
        return aniso_error_set(err, ANISO_FORMAT, "%s: rope.freq_base must be positive", path);
    hp->rope = (aniso_rope){.theta = theta, .type = ANISO_ROPE_DEFAULT};
    v = neox ? hp->d_head / 4 : hp->d_head;
    if (aniso_gguf_get_int(g, K("rope.dimension_count"), 1, 0, hp->d_head, &v, err))
        return ANISO_FORMAT;
    /* As for config.json: only GPT-NeoX and Phi-3 rotate part of a head, and
     * the rotated dimension is even and positive. */
    if (v < 2 || v % 2 || (a->rotary != ROTARY_PARTIAL && v != hp->d_head) ||
        v / 2 > ANISO_MAX_ROPE_FACTORS)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: rope.dimension_count %lld is not supported for %s (head size "
                               "%d)",
                               path, v, arch, hp->d_head);
    hp->n_rot = (int)v;
    int half = hp->n_rot / 2, got;
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
    /* Llama 3.1: the converter stores the llama3 scaling as per-frequency
     * divisors of the inverse frequencies. */
    if ((got = gguf_factors(g, "rope_freqs.weight", half, hp->rope.long_factor, err)) < 0)
        return ANISO_FORMAT;
    if (got) {
        if (hp->rope.type != ANISO_ROPE_DEFAULT)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: rope_freqs together with rope scaling '%s'", path, rs);
        hp->rope.type = ANISO_ROPE_FACTORS;
        hp->rope.n_factors = half;
    }
    /* Phi-3 longrope: short factors up to the original context, long ones
     * past it; cos and sin times the attention factor. */
    int gs = gguf_factors(g, "rope_factors_short.weight", half, hp->rope.short_factor, err),
        gl = gs < 0 ? -1
                    : gguf_factors(g, "rope_factors_long.weight", half, hp->rope.long_factor, err);
    if (gs < 0 || gl < 0) return ANISO_FORMAT;
    if (gs != gl)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: rope_factors_short and rope_factors_long come together", path);
    if (gs) {
        if (hp->rope.type != ANISO_ROPE_DEFAULT)
            return aniso_error_set(err, ANISO_UNSUPPORTED,
                                   "%s: longrope factors together with other rope scaling", path);
        double orig = 0, att = 1;
        if (aniso_gguf_get_float(g, K("rope.scaling.original_context_length"), 0, &orig, err) ||
            aniso_gguf_get_float(g, K("rope.scaling.attn_factor"), 1, &att, err))
            return ANISO_FORMAT;
        if (!(orig >= 1) || !(att > 0) || !isfinite(att))
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: rope.scaling.original_context_length and attn_factor must "
                                   "be positive",
                                   path);
        hp->rope.type = ANISO_ROPE_LONGROPE;
        hp->rope.n_factors = half;
        hp->rope.original_max_pos = orig;
        hp->rope.attention_factor = att;
    }
#undef K
    return ANISO_OK;
}

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
                               "gemma3, gpt2, gptneox, llama, olmo2, phi3, qwen2, qwen3)",
                               path, arch);
    hp->arch = a->arch;
    int neox_arch = hp->arch == ANISO_ARCH_GPTNEOX;
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
    if (neox_arch && hp->n_head_kv != hp->n_head)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: head_count_kv (%d) differs from head_count (%d), which "
                               "GPT-NeoX's attention does not have",
                               path, hp->n_head_kv, hp->n_head);
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
    int neox = hp->arch == ANISO_ARCH_GPTNEOX, layer_norm = a->norm == ANISO_NORM_LAYER;
    if (aniso_gguf_get_float(g,
                             layer_norm ? K("attention.layer_norm_epsilon")
                                        : K("attention.layer_norm_rms_epsilon"),
                             1, &eps, err))
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
    /* Learned positions (GPT-2): as many as the table holds rows. */
    const aniso_tensor *pos = aniso_gguf_find_tensor(g, "position_embd.weight");
    v = pos && pos->n_dims == 2 && pos->shape[0] <= (1 << 30) ? pos->shape[0] : 0;
    if (aniso_gguf_get_int(g, K("context_length"), 1, 1, 1 << 30, &v, err)) return ANISO_FORMAT;
    hp->n_pos = (int)v;
    /* Activation: the family's own (GGUF does not store it). */
    hp->act = hp->arch == ANISO_ARCH_GEMMA ? ANISO_ACT_GELU_TANH : a->act_default;
    if (a->rotary != ROTARY_NONE && gguf_rope(g, a, arch, hp, err)) return ANISO_FORMAT;
    hp->rope_local = hp->rope;
    hp->embd_scale = a->gemma_style ? (double)(float)sqrt((double)hp->d_model) : 1.0;
    /* llama.cpp scales attention by 1/sqrt(key_length) for every family it
     * reads from GGUF (transformers' default query_pre_attn_scalar, 256, is
     * the same for the published Gemma 2/3 models). */
    hp->attn_scale = 1.0 / sqrt((double)hp->d_head);
    hp->parallel_residual = neox;
    if (neox && aniso_gguf_get_bool(g, K("use_parallel_residual"), 1, &hp->parallel_residual, err))
        return ANISO_FORMAT;
    if (a->sliding_kind == SLIDE_ALL) {
        /* Phi-3: every layer slides when the window is set (transformers;
         * llama.cpp reads the key and then disables the window for Phi-3) */
        v = 0;
        if (aniso_gguf_get_int(g, K("attention.sliding_window"), 1, 0, 1000000000, &v, err))
            return ANISO_FORMAT;
        hp->sliding_window = (int)v;
        for (int i = 0; i < hp->n_layer; i++) hp->sliding[i] = v > 0;
    }
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
