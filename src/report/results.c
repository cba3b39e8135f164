/* results.c - the JSON report of a profile run, and result files read back
 * (ours, or the notebook's, which predate some keys). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"
#include "base/base.h"
#include "io/json.h"
#include "report/report_int.h"

char *aniso_report_short_name(const char *model)
{
    size_t n = strlen(model);
    while (n > 1 && model[n - 1] == '/') n--; /* "dir/" names dir */
    size_t start = n;
    while (start > 0 && model[start - 1] != '/') start--;
    if (n - start > 5 && strncmp(model + n - 5, ".gguf", 5) == 0)
        n -= 5; /* the format is no name */
    char *s = malloc(n - start + 2);
    if (!s) return NULL;
    size_t k = 0;
    for (size_t i = start; i < n; i++) {
        unsigned char c = (unsigned char)tolower((unsigned char)model[i]);
        s[k++] = (isalnum(c) && c < 0x80) || c == '.' || c == '_' || c == '-' ? (char)c : '-';
    }
    if (k == 0) s[k++] = '-';
    s[k] = '\0';
    return s;
}

static aj *num_list(const aniso_layer_metrics *L, int n, size_t offset)
{
    aj *a = aj_new_array();
    for (int i = 0; a && i < n; i++)
        if (aj_append(a, aj_new_real(*(const double *)((const char *)&L[i] + offset)))) {
            aj_free(a);
            return NULL;
        }
    return a;
}

#define LIST(field) num_list(r->layers, n, offsetof(aniso_layer_metrics, field))

/* One layer's metrics, every one of the registry under its key; a metric
 * that was not measured (NaN: TwoNN without the rows, a null's non-spectral
 * metrics without them) is null. */
aj *report_layer_object(const aniso_layer_metrics *m, int i)
{
    aj *o = aj_new_object(), *ev = aj_new_array();
    int bad = !o || !ev, nm;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    for (int k = 0; k < m->n_eig && !bad; k++) bad = aj_append(ev, aj_new_real(m->eigenvalues[k]));
    bad = bad || aj_set(o, "layer", aj_new_int(i));
    for (int k = 0; k < nm && !bad; k++) {
        double v = aniso_metric_value(m, k);
        bad = aj_set(o, reg[k].key, isfinite(v) ? aj_new_real(v) : aj_new_null());
    }
    if (!bad) {
        bad = aj_set(o, "eigenvalues", ev);
        ev = NULL;
    }
    aj_free(ev);
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static int set_str(aj *o, const char *k, const char *v)
{
    return aj_set(o, k, aj_new_string(v, strlen(v)));
}

static int set_str_item(aj *a, const char *v)
{
    return aj_append(a, aj_new_string(v, strlen(v)));
}

static int add_info(aj *sel, const aniso_profile_result *r)
{
    const aniso_run_info *in = r->info;
    char roles[64];
    aj *pos = aj_new_array(), *counts = aj_new_object(), *src = aj_new_object();
    int bad = !pos || !counts || !src;
    bad = bad || set_str(sel, "exclude", aniso_token_roles_str(in->exclude, roles, sizeof roles)) ||
          aj_append(pos, aj_new_int(in->pos_from)) ||
          aj_append(pos, in->pos_to > 0 ? aj_new_int(in->pos_to) : aj_new_null()) ||
          aj_set(sel, "positions", pos);
    pos = NULL;
    bad = bad || set_str(sel, "last_layer", in->last_layer) ||
          aj_set(sel, "layers_measured", aj_new_int(in->n_layers_measured)) ||
          aj_set(counts, "tokens_seen", aj_new_int((long long)in->n_tokens_seen)) ||
          aj_set(counts, "tokens_measured", aj_new_int((long long)r->n_tokens)) ||
          aj_set(counts, "excluded", aj_new_int((long long)in->n_excluded)) ||
          aj_set(counts, "bos", aj_new_int((long long)in->n_bos)) ||
          aj_set(counts, "special", aj_new_int((long long)in->n_special)) ||
          aj_set(counts, "first", aj_new_int((long long)in->n_first)) ||
          aj_set(counts, "sequences", aj_new_int((long long)in->n_sequences)) ||
          aj_set(counts, "documents", aj_new_int((long long)in->n_documents)) ||
          aj_set(sel, "counts", counts);
    counts = NULL;
    bad = bad || set_str(src, "kind", in->source) ||
          (in->source_path ? set_str(src, "path", in->source_path)
                           : set_str(src, "path", "(the notebook's 16 prompts)")) ||
          (in->format && set_str(src, "format", in->format)) ||
          aj_set(src, "context", aj_new_int((long long)in->context)) ||
          aj_set(src, "max_tokens", aj_new_int((long long)in->max_tokens)) ||
          aj_set(src, "partial_results_merged", aj_new_int(in->n_parts)) ||
          aj_set(sel, "input", src);
    src = NULL;
    /* A result made in parts: each part's counts and forward time. */
    aj *parts = in->parts ? aj_new_array() : NULL;
    bad = bad || (in->parts && !parts);
    for (int i = 0; parts && i < in->n_parts && !bad; i++) {
        const aniso_part_info *pi = &in->parts[i];
        aj *po = aj_new_object();
        bad = !po ||
              (pi->n_shards > 0 && (aj_set(po, "shard", aj_new_int(pi->shard)) ||
                                    aj_set(po, "of", aj_new_int(pi->n_shards)))) ||
              aj_set(po, "sequences", aj_new_int((long long)pi->sequences)) ||
              aj_set(po, "documents", aj_new_int((long long)pi->documents)) ||
              aj_set(po, "tokens", aj_new_int((long long)pi->tokens)) ||
              aj_set(po, "tokens_measured", aj_new_int((long long)pi->measured)) ||
              aj_set(po, "forward_seconds", aj_new_real(pi->t_forward));
        if (bad)
            aj_free(po);
        else
            bad = aj_append(parts, po);
    }
    if (parts && !bad) {
        bad = aj_set(sel, "parts", parts) ||
              (in->parts_via && set_str(sel, "parts_via", in->parts_via));
        parts = NULL;
    }
    aj_free(parts);
    aj_free(pos), aj_free(counts), aj_free(src);
    return bad;
}

/* How the result was measured, in the keys `aniso compare` checks
 * (docs/METRICS.md section 4). */
static int add_provenance(aj *o, const aniso_profile_result *r)
{
    const aniso_run_info *in = r->info;
    char roles[64], mask[160];
    aj *p = aj_new_object(), *pos = aj_new_array(), *ls = aj_new_array();
    int bad = !p || !pos || !ls;
    bad = bad || aj_append(pos, aj_new_int(in ? in->pos_from : 0)) ||
          aj_append(pos, in && in->pos_to > 0 ? aj_new_int(in->pos_to) : aj_new_null());
    for (int i = 0; !bad && i < r->n_measured; i++)
        bad = aj_append(ls, aj_new_int(r->layer_ids ? r->layer_ids[i] : i));
    unsigned ex = in ? in->exclude : r->skip_first_token ? ANISO_TOKEN_FIRST : 0;
    bad = bad ||
          set_str(p, "centring",
                  "each layer's rows centred at their mean (covariance, every spectral metric, "
                  "RankMe included); cosines and norms on the rows as they are") ||
          set_str(p, "exclude", aniso_token_roles_str(ex, roles, sizeof roles)) ||
          aj_set(p, "positions", pos) ||
          set_str(p, "mask", aniso_report_mask_desc(r, mask, sizeof mask)) ||
          set_str(p, "last_layer", in ? in->last_layer : "hf") || aj_set(p, "layers", ls) ||
          set_str(p, "input", in ? in->source : "prompts") ||
          aj_set(p, "text_hash",
                 in && in->text_hash ? aj_new_string(in->text_hash, strlen(in->text_hash))
                                     : aj_new_null()) ||
          aj_set(p, "context", aj_new_int(in ? (long long)in->context : 0)) ||
          set_str(p, "dtype", r->dtype ? r->dtype : "") ||
          aj_set(p, "n_tokens", aj_new_int((long long)r->n_tokens)) ||
          aj_set(p, "seed",
                 r->evidence ? aj_new_int((long long)r->evidence->boot.seed) : aj_new_null()) ||
          aj_set(p, "n_boot", aj_new_int(r->evidence ? r->evidence->boot.n_boot : 0));
    pos = ls = NULL;
    if (!bad) {
        bad = aj_set(o, "provenance", p);
        p = NULL;
    }
    aj_free(p), aj_free(pos), aj_free(ls);
    return bad;
}

aniso_status aniso_report_write_json(const char *path, const aniso_profile_result *r,
                                     aniso_error *err)
{
    const aniso_profile_analysis *a = &r->analysis;
    int n = r->n_measured;
    aj *o = aj_new_object(), *g = aj_new_object(), *ref = aj_new_object(), *tool = aj_new_object(),
       *tim = aj_new_object(), *layers = aj_new_array(), *tpp = aj_new_array(),
       *sel = aj_new_object();
    int bad = !o || !g || !ref || !tool || !tim || !layers || !tpp || !sel;
    /* The notebook's summary keys, in its order. */
    bad = bad || set_str(o, "model", r->model) || aj_set(o, "n_layers", aj_new_int(r->n_layers)) ||
          aj_set(o, "hidden_dim", aj_new_int(r->hidden_dim)) ||
          aj_set(o, "n_prompts", aj_new_int((long long)r->n_prompts)) ||
          set_str(o, "normalization", r->normalization) ||
          (r->family && set_str(o, "family", r->family)) ||
          (r->norm_placement && set_str(o, "norm_placement", r->norm_placement)) ||
          aj_set(o, "L_star_anisotropy", aj_new_int(a->L_star)) ||
          aj_set(o, "is_bell_curve", aj_new_bool(a->is_bell_curve)) ||
          aj_set(o, "phase1_slope", aj_new_real(a->phase1.slope)) ||
          aj_set(o, "phase2_slope", aj_new_real(a->phase2.slope)) ||
          aj_set(o, "phase1_r", aj_new_real(a->phase1.r)) ||
          aj_set(o, "phase2_r", aj_new_real(a->phase2.r)) ||
          aj_set(o, "profile_variance", aj_new_real(a->profile_variance)) ||
          aj_set(o, "profile_range", aj_new_real(a->profile_range)) ||
          aj_set(o, "max_anisotropy", aj_new_real(a->max_anisotropy)) ||
          aj_set(o, "intrinsic_dim_ratio", LIST(intrinsic_dim_ratio)) ||
          aj_set(o, "effective_rank", LIST(effective_rank)) ||
          aj_set(o, "avg_cos_sim", LIST(avg_cos_sim_to_mean)) ||
          aj_set(o, "norm_cv", LIST(norm_cv)) ||
          aj_set(g, "pythia_profile_range", aj_new_real(r->reference.profile_range)) ||
          aj_set(g, "gemma_profile_range", aj_new_real(a->profile_range)) ||
          aj_set(g, "is_flatter", aj_new_bool(a->is_flatter));
    if (!bad) {
        bad = aj_set(o, "gauge_theory_test", g);
        g = NULL;
    }
    /* Added keys. */
    for (size_t i = 0; r->tokens_per_prompt && i < r->n_prompts && !bad; i++)
        bad = aj_append(tpp, aj_new_int((long long)r->tokens_per_prompt[i]));
    for (int i = 0; i < n && !bad; i++)
        bad = aj_append(layers,
                        report_layer_object(&r->layers[i], r->layer_ids ? r->layer_ids[i] : i));
    bad = bad || aj_set(o, "phase1_p", aj_new_real(a->phase1.p)) ||
          aj_set(o, "phase2_p", aj_new_real(a->phase2.p)) ||
          aj_set(o, "n_tokens", aj_new_int((long long)r->n_tokens)) ||
          aj_set(o, "tokens_per_prompt", tpp);
    tpp = NULL;
    bad = bad || aj_set(sel, "skip_first_token", aj_new_bool(r->skip_first_token)) ||
          set_str(sel, "rows",
                  r->skip_first_token ? "every token of every sequence except each sequence's first"
                                      : "every token of every sequence, special tokens included") ||
          (r->info && add_info(sel, r));
    bad = bad || aj_set(o, "token_selection", sel);
    sel = NULL;
    bad = bad || set_str(o, "architecture", r->architecture) || set_str(o, "dtype", r->dtype) ||
          set_str(ref, "name", r->reference.name) ||
          aj_set(ref, "profile_range", aj_new_real(r->reference.profile_range)) ||
          aj_set(ref, "max_anisotropy", aj_new_real(r->reference.max_anisotropy)) ||
          aj_set(ref, "L_star", aj_new_int(r->reference.L_star)) || aj_set(o, "reference", ref);
    ref = NULL;
    bad = bad || aj_set(o, "flatness_percent", aj_new_real(a->flatness_percent)) ||
          aj_set(o, "layers", layers);
    layers = NULL;
    /* Why the verdicts above may mean nothing. */
    aniso_report_warnings w;
    aniso_report_warnings_get(r, &w);
    aj *wl = aj_new_array(), *concl = aj_new_object();
    bad = bad || !wl || !concl;
    for (int i = 0; i < w.n && !bad; i++) bad = set_str_item(wl, w.text[i]);
    bad = bad || aj_set(concl, "bell_curve", aj_new_bool(w.bell_conclusive)) ||
          aj_set(concl, "flatness", aj_new_bool(w.flatness_conclusive));
    if (!bad) {
        bad = aj_set(o, "warnings", wl) || aj_set(o, "conclusive", concl);
        wl = concl = NULL;
    }
    aj_free(wl), aj_free(concl);
    if (!bad && r->raw_last) {
        aj *raw = report_layer_object(r->raw_last, r->n_layers);
        bad = !raw || aj_set(o, "raw_last_layer", raw);
    }
    bad = bad || add_provenance(o, r);
    bad = bad || report_evidence_json(o, r);
    bad = bad || set_str(tool, "name", "aniso") || set_str(tool, "version", aniso_version()) ||
          (r->kernels && set_str(tool, "kernels", r->kernels)) || aj_set(o, "tool", tool);
    tool = NULL;
    bad = bad || aj_set(tim, "load", aj_new_real(r->t_load)) ||
          aj_set(tim, "forward", aj_new_real(r->t_forward)) ||
          aj_set(tim, "moments", aj_new_real(r->t_moments)) ||
          aj_set(tim, "metrics", aj_new_real(r->t_metrics)) ||
          (r->evidence && aj_set(tim, "evidence", aj_new_real(r->t_evidence))) ||
          aj_set(tim, "total", aj_new_real(r->t_total)) || aj_set(o, "timing_seconds", tim);
    tim = NULL;
    char *text = bad ? NULL : aj_dump(o, 2);
    aj_free(g), aj_free(ref), aj_free(tool), aj_free(tim), aj_free(layers), aj_free(tpp),
        aj_free(sel), aj_free(o);
    /* JSON has no NaN or infinity: a value that is one fails to be made,
     * as it does when memory runs out. */
    if (!text)
        return aniso_error_set(err, ANISO_NO_MEMORY,
                               "%s: cannot build the report (out of memory, or a value that is "
                               "not a finite number)",
                               path);
    aniso_status st = afile_write_text(path, text, err);
    free(text);
    return st;
}

/* A list of n numbers, or NULL (with *n set) when key is absent or bad. */
static double *read_list(const aj *o, const char *key, int *n)
{
    aj *a = aj_get(o, key);
    if (!aj_is_array(a) || aj_size(a) == 0 || aj_size(a) > 100000) return NULL;
    double *v = malloc(aj_size(a) * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < aj_size(a); i++) {
        if (!aj_is_number(aj_at(a, i))) {
            free(v);
            return NULL;
        }
        v[i] = aj_num(aj_at(a, i));
    }
    *n = (int)aj_size(a);
    return v;
}

/* The first entry of v[0..n) outside [lo, hi] (or not finite), or -1. */
static int out_of_range(const double *v, int n, double lo, double hi)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]) || v[i] < lo || v[i] > hi) return i;
    return -1;
}

/* An optional number of o: 0 absent, 1 read into *x, -1 (err set) when it
 * is not finite, outside [lo, hi], or (whole) not an integer. */
static int read_num(const aj *o, const char *key, double lo, double hi, int whole, const char *path,
                    double *x, aniso_error *err)
{
    aj *v = aj_get(o, key);
    if (!aj_is_number(v)) return 0;
    double d = aj_num(v);
    if (!isfinite(d) || d < lo || d > hi || (whole && d != floor(d))) {
        aniso_error_set(err, ANISO_FORMAT, "%s: '%s' is %.17g; expected %s from %g to %g", path,
                        key, d, whole ? "a whole number" : "a number", lo, hi);
        return -1;
    }
    *x = d;
    return 1;
}

/* The per-layer objects of "layers" (n of them, or the key absent: *out
 * NULL), every metric of the registry read and range-checked; a metric the
 * file lacks (an older version), or null, is NaN. */
static int read_layers(const aj *o, int n, const char *path, aniso_layer_metrics **out,
                       aniso_error *err)
{
    aj *ls = aj_get(o, "layers");
    *out = NULL;
    if (!ls) return 0;
    if (!aj_is_array(ls) || aj_size(ls) != (size_t)n) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: 'layers' is not a list of %d layer objects (one per entry of "
                        "intrinsic_dim_ratio)",
                        path, n);
        return -1;
    }
    aniso_layer_metrics *L = calloc((size_t)n, sizeof *L);
    if (!L) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        return -1;
    }
    int nm;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    for (int i = 0; i < n; i++) {
        aj *lo = aj_at(ls, (size_t)i);
        if (!aj_is_object(lo)) {
            aniso_error_set(err, ANISO_FORMAT, "%s: layers[%d] is not an object", path, i);
            free(L);
            return -1;
        }
        for (int k = 0; k < nm; k++) {
            double *dst = (double *)((char *)&L[i] + reg[k].offset);
            aj *v = aj_get(lo, reg[k].key);
            *dst = NAN;
            if (!v || aj_is_null(v)) continue;
            double x = aj_is_number(v) ? aj_num(v) : NAN;
            double slack = 1e-9 * fmax(1, fabs(reg[k].hi));
            if (!isfinite(x) || x < reg[k].lo - 1e-9 || x > reg[k].hi + slack) {
                aniso_error_set(err, ANISO_FORMAT,
                                "%s: layers[%d].%s is not a number from %g to %g", path, i,
                                reg[k].key, reg[k].lo, reg[k].hi);
                free(L);
                return -1;
            }
            *dst = x;
        }
    }
    *out = L;
    return 0;
}

/* The provenance object, and the bootstrap's replicates of the profile
 * statistics (their L* among the profile's layers, their range and maximum
 * shares of variance). */
static int read_evidence(const aj *o, int n, const char *path, aniso_result_file *r,
                         aniso_error *err)
{
    aj *p = aj_get(o, "provenance");
    if (aj_is_object(p) && !(r->provenance = aj_dump(p, 0))) goto nomem;
    aj *iv = aj_get(o, "intervals"), *rp = aj_get(iv, "replicates");
    if (!aj_is_object(rp)) return 0;
    aj *L = aj_get(rp, "L_star"), *rg = aj_get(rp, "profile_range"),
       *mx = aj_get(rp, "max_anisotropy");
    size_t B = aj_size(L);
    double seed = 0, units = 0, nb = 0;
    int ra = read_num(iv, "seed", 0, 18446744073709551615.0, 1, path, &seed, err);
    int rb = ra == 1 ? read_num(iv, "n_units", 2, 1e15, 1, path, &units, err) : ra;
    int c = rb == 1 ? read_num(iv, "n_boot", 2, 1e6, 1, path, &nb, err) : rb;
    if (c < 0) return -1;
    if (c == 0 || !aj_is_array(L) || !aj_is_array(rg) || !aj_is_array(mx) || aj_size(rg) != B ||
        aj_size(mx) != B || nb != (double)B) {
        aniso_error_set(err, ANISO_FORMAT, "%s: 'intervals' has malformed replicates", path);
        return -1;
    }
    r->rep_range = malloc(B * sizeof *r->rep_range);
    r->rep_max = malloc(B * sizeof *r->rep_max);
    r->rep_L_star = malloc(B * sizeof *r->rep_L_star);
    if (!r->rep_range || !r->rep_max || !r->rep_L_star) goto nomem;
    for (size_t b = 0; b < B; b++) {
        aj *l = aj_at(L, b), *g = aj_at(rg, b), *m = aj_at(mx, b);
        double lv = aj_is_number(l) ? aj_num(l) : NAN, gv = aj_is_number(g) ? aj_num(g) : NAN,
               mv = aj_is_number(m) ? aj_num(m) : NAN;
        /* a replicate without a value (null) stays NaN; L* -1 */
        if ((aj_is_number(l) && !(lv >= 0 && lv <= ANISO_MAX_LAYERS + 1 && lv == floor(lv))) ||
            (aj_is_number(l) && (int)lv > n + ANISO_MAX_LAYERS) ||
            (aj_is_number(g) && !(gv >= 0 && gv <= 1 + 1e-9)) ||
            (aj_is_number(m) && !(mv >= 0 && mv <= 1 + 1e-9))) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: intervals.replicates[%zu] is out of range (L* a layer, shares "
                            "from 0 to 1)",
                            path, b);
            return -1;
        }
        r->rep_L_star[b] = aj_is_number(l) ? (int)lv : -1;
        r->rep_range[b] = gv;
        r->rep_max[b] = mv;
    }
    r->n_rep = (int)B;
    r->rep_seed = (unsigned long long)seed;
    r->rep_units = (unsigned long long)units;
    return 0;
nomem:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    return -1;
}

aniso_result_file *aniso_result_load(const char *path, aniso_error *err)
{
    char *buf = NULL;
    size_t len;
    aj *o = NULL;
    aniso_result_file *r = calloc(1, sizeof *r);
    if (!r) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    if (read_small_file(path, 256u << 20, &buf, &len, err)) goto fail;
    if (!(o = aj_parse_lenient(buf, len, path, err))) goto fail;
    if (!aj_is_object(o)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: expected a JSON object (an anisotropy result)",
                        path);
        goto fail;
    }
    int n = 0, k;
    if (!(r->idr = read_list(o, "intrinsic_dim_ratio", &n))) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: no 'intrinsic_dim_ratio' list of numbers (not an anisotropy result)",
                        path);
        goto fail;
    }
    r->n = n;
    if ((r->erank = read_list(o, "effective_rank", &k)) && k != n) free(r->erank), r->erank = NULL;
    if ((r->cos = read_list(o, "avg_cos_sim", &k)) && k != n) free(r->cos), r->cos = NULL;
    /* Shares of variance lie in [0, 1], cosines in [-1, 1], ranks are >= 0:
     * anything else is not a measurement (rounding allowed for). */
    struct {
        const char *key;
        const double *v;
        double lo, hi;
    } lists[3] = {{"intrinsic_dim_ratio", r->idr, 0, 1 + 1e-9},
                  {"effective_rank", r->erank, 0, 1e12},
                  {"avg_cos_sim", r->cos, -1 - 1e-9, 1 + 1e-9}};
    for (int i = 0; i < 3; i++) {
        int at = lists[i].v ? out_of_range(lists[i].v, n, lists[i].lo, lists[i].hi) : -1;
        if (at >= 0) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: %s[%d] is %.17g; expected a number from %g to %g", path,
                            lists[i].key, at, lists[i].v[at], lists[i].lo, lists[i].hi);
            goto fail;
        }
    }
    if (read_layers(o, n, path, &r->layers, err)) goto fail;
    if (read_evidence(o, n, path, r, err)) goto fail;
    const char *model = aj_str(aj_get(o, "model")), *nm = aj_str(aj_get(o, "normalization"));
    r->model = str_dup(model ? model : path);
    r->normalization = str_dup(nm ? nm : "");
    r->path = str_dup(path);
    if (!r->model || !r->path || !r->normalization) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    aniso_profile_analyze(r->idr, n, NULL, &r->analysis);
    aj *v;
    double x;
    int got;
    if ((got = read_num(o, "L_star_anisotropy", 0, ANISO_MAX_LAYERS + 1, 1, path, &x, err)) < 0)
        goto fail;
    if (got) r->has_L_star = 1, r->L_star = (int)x;
    if ((got = read_num(o, "profile_range", 0, 1 + 1e-9, 0, path, &x, err)) < 0) goto fail;
    if (got) r->has_range = 1, r->range = x;
    if ((got = read_num(o, "max_anisotropy", 0, 1 + 1e-9, 0, path, &x, err)) < 0) goto fail;
    if (got) r->has_max = 1, r->max = x;
    if (aj_is_bool(v = aj_get(o, "is_bell_curve"))) r->has_bell = 1, r->is_bell = aj_bool(v);
    /* What was measured, when the file says (ours do). */
    if ((got = read_num(o, "n_tokens", 0, 9007199254740992.0, 1, path, &x, err)) < 0) goto fail;
    if (got) r->n_tokens = (long long)x;
    aj *sel = aj_get(o, "token_selection");
    if (aj_is_object(sel)) {
        aniso_run_info in = {0};
        aniso_profile_result pr = {.info = &in};
        const char *ex = aj_str(aj_get(sel, "exclude"));
        aj *pos = aj_get(sel, "positions");
        if (!ex || aniso_token_roles_parse(ex, &in.exclude))
            in.exclude = aj_bool(aj_get(sel, "skip_first_token")) ? ANISO_TOKEN_FIRST : 0;
        if (aj_is_array(pos) && aj_size(pos) == 2) {
            for (int i = 0; i < 2; i++) {
                aj *p = aj_at(pos, (size_t)i);
                if (!aj_is_number(p)) continue;
                double d = aj_num(p);
                if (!isfinite(d) || d < 0 || d > 2147483647.0 || d != floor(d)) {
                    aniso_error_set(err, ANISO_FORMAT,
                                    "%s: token_selection.positions[%d] is %.17g; expected a "
                                    "whole number from 0 to 2147483647",
                                    path, i, d);
                    goto fail;
                }
                *(i ? &in.pos_to : &in.pos_from) = (long)d;
            }
        }
        char desc[160];
        r->mask = str_dup(aniso_report_mask_desc(&pr, desc, sizeof desc));
    }
    aj_free(o);
    free(buf);
    return r;
fail:
    aj_free(o);
    free(buf);
    aniso_result_free(r);
    return NULL;
}

void aniso_result_free(aniso_result_file *r)
{
    if (!r) return;
    free(r->path), free(r->model), free(r->normalization), free(r->idr), free(r->erank),
        free(r->cos), free(r->mask), free(r->layers), free(r->provenance), free(r->rep_range),
        free(r->rep_max), free(r->rep_L_star);
    free(r);
}

void aniso_result_reference(const aniso_result_file *r, aniso_reference *ref)
{
    memset(ref, 0, sizeof *ref);
    snprintf(ref->name, sizeof ref->name, "%s", r->model);
    ref->profile_range = r->has_range ? r->range : r->analysis.profile_range;
    ref->max_anisotropy = r->has_max ? r->max : r->analysis.max_anisotropy;
    ref->L_star = r->has_L_star ? r->L_star : r->analysis.L_star;
}

/* ---- Names, descriptions and warnings of a result ---- */

int aniso_figure_formats_parse(const char *s, unsigned *formats)
{
    static const char *const names[3] = {"png", "pdf", "svg"};
    unsigned f = 0;
    const char *p = s;
    if (!s || !*s) return -1;
    if (!strcmp(s, "none")) {
        *formats = ANISO_FIG_NONE;
        return 0;
    }
    for (;;) {
        size_t k = strcspn(p, ",");
        int found = -1;
        for (int i = 0; i < 3; i++)
            if (k == 3 && !strncmp(p, names[i], 3)) found = i;
        if (found < 0 || (f & (1u << found))) return -1;
        f |= 1u << found;
        if (!p[k]) break;
        p += k + 1;
    }
    *formats = f;
    return 0;
}

static unsigned mask_roles(const aniso_profile_result *r)
{
    return r->info ? r->info->exclude : r->skip_first_token ? ANISO_TOKEN_FIRST : 0;
}

const char *aniso_report_mask_desc(const aniso_profile_result *r, char *buf, size_t cap)
{
    unsigned ex = mask_roles(r);
    long from = r->info ? r->info->pos_from : 0, to = r->info ? r->info->pos_to : 0;
    const char *parts[3];
    int n = 0;
    if (ex & ANISO_TOKEN_BOS) parts[n++] = "BOS";
    if (ex & ANISO_TOKEN_FIRST) parts[n++] = "first token";
    if (ex & ANISO_TOKEN_SPECIAL) parts[n++] = "special tokens";
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && k < cap; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " and " : ", ";
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", sep, parts[i]);
    }
    if (n && k < cap) k += (size_t)snprintf(buf + k, cap - k, " excluded");
    if ((from > 0 || to > 0) && k < cap) {
        if (to > 0)
            k += (size_t)snprintf(buf + k, cap - k, "%spositions %ld to %ld", n ? "; " : "", from,
                                  to - 1);
        else
            k += (size_t)snprintf(buf + k, cap - k, "%spositions %ld on", n ? "; " : "", from);
    }
    if (!buf[0]) snprintf(buf, cap, "all tokens");
    return buf;
}

const char *aniso_report_name_tag(const aniso_profile_result *r, char *buf, size_t cap)
{
    unsigned ex = mask_roles(r);
    const aniso_run_info *in = r->info;
    size_t k = 0;
    buf[0] = '\0';
    if (ex) {
        char roles[64];
        aniso_token_roles_str(ex, roles, sizeof roles);
        for (char *c = roles; *c; c++)
            if (*c == ',') *c = '-';
        k += (size_t)snprintf(buf + k, cap - k, "_excl-%s", roles);
    }
    if (in && (in->pos_from > 0 || in->pos_to > 0) && k < cap) {
        if (in->pos_to > 0)
            k += (size_t)snprintf(buf + k, cap - k, "_pos-%ld-%ld", in->pos_from, in->pos_to);
        else
            k += (size_t)snprintf(buf + k, cap - k, "_pos-%ld-end", in->pos_from);
    }
    if (in && in->last_layer && strcmp(in->last_layer, "hf") && k < cap)
        snprintf(buf + k, cap - k, "_last-%s", in->last_layer);
    return buf;
}

static void warn(aniso_report_warnings *w, const char *what, const char *fmt_, ...)
    __attribute__((format(printf, 3, 4)));

static void warn(aniso_report_warnings *w, const char *what, const char *fmt_, ...)
{
    if (w->n >= ANISO_MAX_WARNINGS) return;
    va_list ap;
    va_start(ap, fmt_);
    vsnprintf(w->text[w->n], sizeof w->text[w->n], fmt_, ap);
    va_end(ap);
    w->what[w->n++] = what;
}

void aniso_report_warnings_get(const aniso_profile_result *r, aniso_report_warnings *w)
{
    const aniso_profile_analysis *a = &r->analysis;
    memset(w, 0, sizeof *w);
    size_t n = r->n_tokens;
    int L = r->n_layers, few = 0, flat = 0, short_phase = 0;
    if (n < 10 || n < 2 * (size_t)L) {
        few = 1;
        warn(w, "too few tokens",
             "only %zu tokens per layer (fewer than %s): every metric is a small-sample estimate "
             "and the profile's shape is noise; measure more prompts or a corpus",
             n, n < 10 ? "10" : "twice the number of layers");
    }
    int p1 = 0, p2 = 0;
    for (int i = 0; i < r->n_measured; i++) {
        int id = r->layer_ids ? r->layer_ids[i] : i;
        if (id < a->L_star)
            p1++;
        else
            p2++;
    }
    if (p1 < 3 || p2 < 3) {
        short_phase = 1;
        warn(w, "a phase of fewer than 3 layers",
             "phase 1 (layers before L* = %d) has %d layer%s and phase 2 (layers %d on) %d: a "
             "phase of fewer than 3 layers has no meaningful slope, so the bell-curve test "
             "cannot be concluded",
             a->L_star, p1, p1 == 1 ? "" : "s", a->L_star, p2);
    }
    double mn = INFINITY;
    for (int i = 0; i < r->n_measured; i++) mn = fmin(mn, r->layers[i].intrinsic_dim_ratio);
    if (r->n_measured > 0 && mn > 0.999) {
        flat = 1;
        warn(w, "flat profile (every ratio ~1.0)",
             "every layer's intrinsic dimension ratio is ~1.0 (lowest %.6f): the tokens' "
             "covariance has a single direction (too few or identical tokens), so L*, the "
             "phases and the flatness test carry no information",
             mn);
    } else if (a->profile_range < 1e-3) {
        flat = 1;
        warn(w, "flat profile",
             "the profile is flat (range %.2g, below 1e-3): L*, the phases and the flatness "
             "test rest on differences of that size",
             a->profile_range);
    }
    if ((double)n < r->hidden_dim / 10.0)
        warn(w, "n far below d",
             "n = %zu tokens is far below d = %d (fewer than d / 10): the covariance has rank at "
             "most n - 1, so the effective rank is capped at %zu and the spectrum describes the "
             "sample rather than the %d-dimensional geometry",
             n, r->hidden_dim, n > 0 ? n - 1 : 0, r->hidden_dim);
    w->bell_conclusive = !few && !short_phase && !flat;
    w->flatness_conclusive = !few && !flat;
}
