/* evidence_json.c - the report's evidence blocks (docs/METRICS.md section
 * 5): intervals, nulls, the shape test, the profile without first tokens
 * and the token controls. A value that was not measured (NaN) is null. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"
#include "io/json.h"
#include "report/report_int.h"

static aj *num(double x)
{
    return isfinite(x) ? aj_new_real(x) : aj_new_null();
}

static aj *str(const char *s)
{
    return s ? aj_new_string(s, strlen(s)) : aj_new_null();
}

static aj *pair(double a, double b)
{
    if (!isfinite(a) || !isfinite(b)) return aj_new_null();
    aj *p = aj_new_array();
    if (!p || aj_append(p, aj_new_real(a)) || aj_append(p, aj_new_real(b))) {
        aj_free(p);
        return NULL;
    }
    return p;
}

static aj *interval(const aniso_interval *iv)
{
    aj *o = aj_new_object();
    if (!o || aj_set(o, "estimate", num(iv->estimate)) || aj_set(o, "se", num(iv->se)) ||
        aj_set(o, "percentile", pair(iv->lo, iv->hi)) ||
        aj_set(o, "bca", pair(iv->bca_lo, iv->bca_hi)) ||
        aj_set(o, "basic", pair(iv->basic_lo, iv->basic_hi)) || aj_set(o, "bias", num(iv->bias)) ||
        aj_set(o, "replicates_with_a_value", aj_new_int(iv->n_valid))) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *real_list(const double *v, int n)
{
    aj *a = aj_new_array();
    for (int i = 0; a && i < n; i++)
        if (aj_append(a, num(v[i]))) {
            aj_free(a);
            return NULL;
        }
    return a;
}

static aj *int_list(const int *v, int n)
{
    aj *a = aj_new_array();
    for (int i = 0; a && i < n; i++)
        if (aj_append(a, aj_new_int(v[i]))) {
            aj_free(a);
            return NULL;
        }
    return a;
}

static int layer_id(const aniso_profile_result *r, int i)
{
    return r->layer_ids ? r->layer_ids[i] : i;
}

static aj *boot_json(const aniso_profile_result *r, const aniso_bootstrap *b)
{
    aj *o = aj_new_object();
    int bad = !o;
    bad = bad || aj_set(o, "n_boot", aj_new_int(b->n_boot)) || aj_set(o, "why", str(b->why));
    if (bad || b->n_boot == 0) goto out;
    bad = aj_set(o, "unit", str(b->unit)) ||
          aj_set(o, "n_units", aj_new_int((long long)b->n_units)) ||
          aj_set(o, "method", str(b->method)) || aj_set(o, "n_boot_rule", str(b->n_boot_rule)) ||
          aj_set(o, "seed", aj_new_int((long long)b->seed)) ||
          aj_set(o, "generator",
                 str("xoshiro256** seeded by splitmix64; unit indices drawn replicate after "
                     "replicate (docs/METRICS.md, Random numbers)")) ||
          aj_set(o, "level", aj_new_real(b->level)) ||
          aj_set(o, "intervals",
                 str(b->bca ? "percentile (numpy's linear quantiles) and BCa (bias from the "
                              "replicates, acceleration from the jackknife over the units)"
                            : "percentile (numpy's linear quantiles); no BCa (more units than "
                              "replicates)")) ||
          aj_set(o, "seconds", aj_new_real(b->seconds)) ||
          aj_set(o, "memory_bytes", aj_new_int((long long)b->memory_bytes));
    /* the profile's statistics */
    const aniso_profile_intervals *p = &b->profile;
    aj *po = aj_new_object(), *dist = aj_new_array();
    bad = bad || !po || !dist;
    bad = bad || aj_set(po, "L_star", interval(&p->L_star)) ||
          aj_set(po, "phase1_slope", interval(&p->phase1_slope)) ||
          aj_set(po, "phase2_slope", interval(&p->phase2_slope)) ||
          aj_set(po, "profile_range", interval(&p->profile_range)) ||
          aj_set(po, "max_anisotropy", interval(&p->max_anisotropy)) ||
          aj_set(po, "profile_variance", interval(&p->profile_variance)) ||
          aj_set(po, "range_minus_reference", interval(&p->range_minus_reference));
    for (int i = 0; !bad && p->L_star_share && i < r->n_measured; i++) {
        if (p->L_star_share[i] == 0) continue;
        aj *e = aj_new_object();
        bad = !e || aj_set(e, "layer", aj_new_int(layer_id(r, i))) ||
              aj_set(e, "share", aj_new_real(p->L_star_share[i])) || aj_append(dist, e);
    }
    if (!bad) {
        bad = aj_set(po, "L_star_distribution", dist) || aj_set(o, "profile", po);
        dist = po = NULL;
    }
    aj_free(dist), aj_free(po);
    /* every metric of every layer */
    int nm;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    aj *ls = aj_new_array();
    bad = bad || !ls;
    for (int i = 0; !bad && i < r->n_measured; i++) {
        aj *e = aj_new_object();
        bad = !e || aj_set(e, "layer", aj_new_int(layer_id(r, i)));
        for (int k = 0; !bad && k < nm && k < b->n_metrics; k++)
            bad = aj_set(e, reg[k].key, interval(&b->layers[(size_t)i * (size_t)b->n_metrics + k]));
        if (bad)
            aj_free(e);
        else
            bad = aj_append(ls, e);
    }
    if (!bad) {
        bad = aj_set(o, "layers", ls);
        ls = NULL;
    }
    aj_free(ls);
    /* each replicate's profile statistics, for paired comparisons */
    aj *rp = aj_new_object();
    bad = bad || !rp || aj_set(rp, "L_star", int_list(b->rep_L_star, b->n_boot)) ||
          aj_set(rp, "profile_range", real_list(b->rep_range, b->n_boot)) ||
          aj_set(rp, "max_anisotropy", real_list(b->rep_max, b->n_boot)) ||
          aj_set(rp, "phase1_slope", real_list(b->rep_slope1, b->n_boot)) ||
          aj_set(rp, "phase2_slope", real_list(b->rep_slope2, b->n_boot));
    if (!bad) {
        bad = aj_set(o, "replicates", rp);
        rp = NULL;
    }
    aj_free(rp);
out:
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *shape_json(const aniso_shape_result *s, const aniso_profile_result *r)
{
    aj *o = aj_new_object();
    int bad =
        !o || aj_set(o, "applicable", aj_new_bool(s->applicable)) ||
        aj_set(o, "bell", aj_new_bool(s->bell)) || aj_set(o, "p", num(s->p)) ||
        aj_set(o, "alpha", aj_new_real(s->alpha)) || aj_set(o, "statistic", num(s->statistic)) ||
        aj_set(o, "breakpoint_layer",
               s->breakpoint >= 0 ? aj_new_int(layer_id(r, s->breakpoint)) : aj_new_null()) ||
        aj_set(o, "slope_before", num(s->slope1)) || aj_set(o, "slope_after", num(s->slope2)) ||
        aj_set(o, "t_before", num(s->t1)) || aj_set(o, "t_after", num(s->t2)) ||
        aj_set(o, "permutations", aj_new_int(s->n_perm)) ||
        aj_set(o, "seed", aj_new_int((long long)s->seed)) ||
        aj_set(o, "method",
               str("max over breakpoints (3 layers or more each side) of min(t_before, "
                   "-t_after), against the same statistic of random orderings of the "
                   "profile (H0: a constant plus exchangeable noise); docs/METRICS.md "
                   "section 3.1"));
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *layers_json(const aniso_profile_result *r, const aniso_layer_metrics *L)
{
    aj *a = aj_new_array();
    for (int i = 0; a && i < r->n_measured; i++)
        if (aj_append(a, report_layer_object(&L[i], layer_id(r, i)))) {
            aj_free(a);
            return NULL;
        }
    return a;
}

static aj *nulls_json(const aniso_profile_result *r, const aniso_evidence *e)
{
    aj *o = aj_new_object(), *iso = aj_new_object(), *perm = aj_new_object(), *mp = aj_new_object(),
       *ex = aj_new_array();
    int bad = !o || !iso || !perm || !mp || !ex;
    double n = (double)r->n_tokens, d = (double)r->hidden_dim, g = d / n;
    /* the Marchenko-Pastur law's edge and second moment (d/n fixed, both large) */
    bad = bad || aj_set(iso, "method", str(e->null_iso_method)) ||
          aj_set(iso, "layers", layers_json(r, e->null_iso)) ||
          aj_set(perm, "method", str(e->null_perm_method)) ||
          aj_set(perm, "layers", layers_json(r, e->null_perm)) ||
          aj_set(mp, "intrinsic_dim_ratio", aj_new_real((1 + sqrt(g)) * (1 + sqrt(g)) / d)) ||
          aj_set(mp, "participation_ratio", aj_new_real(d / (1 + g))) ||
          aj_set(mp, "method",
                 str("the Marchenko-Pastur law for n x d standard normals as n and d grow with "
                     "d/n fixed: top eigenvalue at the edge (1 + sqrt(d/n))^2, mean d, second "
                     "moment d (1 + d/n); an asymptote, for comparison with the simulated null"));
    for (int i = 0; !bad && i < r->n_measured; i++) {
        aj *x = aj_new_object();
        const aniso_layer_metrics *L = &r->layers[i];
        bad = !x || aj_set(x, "layer", aj_new_int(layer_id(r, i))) ||
              aj_set(x, "intrinsic_dim_ratio_minus_isotropic",
                     num(L->intrinsic_dim_ratio - e->null_iso[i].intrinsic_dim_ratio)) ||
              aj_set(x, "intrinsic_dim_ratio_minus_permuted",
                     num(L->intrinsic_dim_ratio - e->null_perm[i].intrinsic_dim_ratio)) ||
              aj_set(x, "effective_rank_over_isotropic",
                     num(L->effective_rank / e->null_iso[i].effective_rank)) ||
              aj_append(ex, x);
    }
    double ceiling = fmin(n - 1, d);
    char note[300];
    snprintf(note, sizeof note,
             n - 1 < d ? "n - 1 = %.0f < d = %.0f: effective rank, participation ratio, RankMe "
                         "and stable rank cannot exceed %.0f, and the isotropic null shows "
                         "where that ceiling puts them"
                       : "n - 1 = %.0f >= d = %.0f: the ranks can reach d = %.0f",
             n - 1, d, n - 1 < d ? ceiling : d);
    if (!bad) {
        bad = aj_set(o, "isotropic_gaussian", iso) || aj_set(o, "permuted_columns", perm) ||
              aj_set(o, "marchenko_pastur", mp) || aj_set(o, "excess", ex) ||
              aj_set(o, "rank_ceiling", aj_new_real(ceiling)) || aj_set(o, "n_limited", str(note));
        iso = perm = mp = ex = NULL;
    }
    aj_free(iso), aj_free(perm), aj_free(mp), aj_free(ex);
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *nofirst_json(const aniso_profile_result *r, const aniso_evidence *e)
{
    aj *o = aj_new_object();
    if (!o) return NULL;
    if (!e->nofirst) {
        if (aj_set(o, "why", str(e->nofirst_why))) {
            aj_free(o);
            return NULL;
        }
        return o;
    }
    const aniso_profile_analysis *a = &e->nofirst_analysis;
    double *idr = malloc((size_t)r->n_measured * sizeof *idr);
    for (int i = 0; idr && i < r->n_measured; i++) idr[i] = e->nofirst[i].intrinsic_dim_ratio;
    int bad = !idr || aj_set(o, "n_tokens", aj_new_int((long long)e->nofirst_tokens)) ||
              aj_set(o, "L_star_anisotropy", aj_new_int(a->L_star)) ||
              aj_set(o, "max_anisotropy", aj_new_real(a->max_anisotropy)) ||
              aj_set(o, "profile_range", aj_new_real(a->profile_range)) ||
              aj_set(o, "phase1_slope", aj_new_real(a->phase1.slope)) ||
              aj_set(o, "phase2_slope", aj_new_real(a->phase2.slope)) ||
              aj_set(o, "is_bell_curve", aj_new_bool(a->is_bell_curve)) ||
              aj_set(o, "flatness_percent", aj_new_real(a->flatness_percent)) ||
              aj_set(o, "intrinsic_dim_ratio", real_list(idr, r->n_measured)) ||
              aj_set(o, "layers", layers_json(r, e->nofirst)) ||
              aj_set(o, "shape_test", shape_json(&e->nofirst_shape, r)) ||
              aj_set(o, "intervals", boot_json(r, &e->nofirst_boot));
    free(idr);
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *tokens_json(const aniso_profile_result *r, const aniso_layer_tokens *T)
{
    aj *a = aj_new_array();
    int bad = !a;
    for (int i = 0; !bad && i < r->n_measured; i++) {
        const aniso_layer_tokens *t = &T[i];
        aj *o = aj_new_object(), *pn = aj_new_array(), *pc = aj_new_array(), *top = aj_new_array(),
           *sh = aj_new_object();
        bad = !o || !pn || !pc || !top || !sh;
        for (int p = 0; !bad && p < ANISO_POS_PROFILE; p++)
            bad = aj_append(pn, num(t->pos_norm[p])) ||
                  aj_append(pc, aj_new_int((long long)t->pos_count[p]));
        for (int k = 0; !bad && k < t->n_top; k++) {
            const aniso_massive *m = &t->top[k];
            char roles[64];
            aj *e = aj_new_object();
            bad = !e || aj_set(e, "value", num(m->value)) ||
                  aj_set(e, "ratio_to_median", num(m->ratio)) ||
                  aj_set(e, "token", aj_new_int((long long)m->row)) ||
                  aj_set(e, "position", aj_new_int(m->position)) ||
                  aj_set(e, "roles", str(aniso_token_roles_str(m->roles, roles, sizeof roles))) ||
                  aj_set(e, "dim", aj_new_int(m->dim)) || aj_append(top, e);
        }
        char kn[32];
        snprintf(kn, sizeof kn, "%llu", (unsigned long long)t->n_sequences);
        bad = bad || aj_set(sh, "1", num(t->top_norm_share[0])) ||
              aj_set(sh, "10", num(t->top_norm_share[1])) ||
              (t->n_sequences != 1 && t->n_sequences != 10 &&
               aj_set(sh, kn, num(t->top_norm_share[2])));
        if (!bad) {
            bad = aj_set(o, "layer", aj_new_int(layer_id(r, i))) ||
                  aj_set(o, "norm_by_position", pn) || aj_set(o, "tokens_by_position", pc) ||
                  aj_set(o, "special_norm", num(t->special_norm)) ||
                  aj_set(o, "other_norm", num(t->other_norm)) ||
                  aj_set(o, "max_abs", num(t->max_abs)) ||
                  aj_set(o, "max_ratio_to_median", num(t->max_ratio)) ||
                  aj_set(o, "massive_100x", aj_new_int((long long)t->n_massive_100)) ||
                  aj_set(o, "massive_1000x", aj_new_int((long long)t->n_massive_1000)) ||
                  aj_set(o, "largest", top) || aj_set(o, "lambda1_share_of_largest_norm_rows", sh);
            pn = pc = top = sh = NULL;
        }
        aj_free(pn), aj_free(pc), aj_free(top), aj_free(sh);
        if (bad)
            aj_free(o);
        else
            bad = aj_append(a, o);
    }
    if (bad) {
        aj_free(a);
        return NULL;
    }
    aj *o = aj_new_object();
    if (!o || aj_set(o, "layers", a) ||
        aj_set(o, "definitions",
               str("every token, whatever the mask: the mean norm at positions 0..15 of each "
                   "sequence, of BOS and special tokens and of the others; activations |a| > 100 "
                   "and more than 100 (1000) times the median |activation| of their chunk at "
                   "that layer (Sun et al. 2024); the largest |activations|, one per token; the "
                   "share of lambda_1 of the measured rows carried by the 1, 10 and "
                   "as many rows of largest norm as there are sequences (null once a layer "
                   "holds moments)"))) {
        aj_free(o);
        return NULL;
    }
    return o;
}

int report_evidence_json(aj *o, const aniso_profile_result *r)
{
    const aniso_evidence *e = r->evidence;
    if (!e) return 0;
    int bad = aj_set(o, "intervals", boot_json(r, &e->boot)) ||
              aj_set(o, "shape_test", shape_json(&e->shape, r)) ||
              aj_set(o, "without_first_token", nofirst_json(r, e));
    if (!bad && e->null_iso && e->null_perm) bad = aj_set(o, "nulls", nulls_json(r, e));
    if (!bad && e->tokens) bad = aj_set(o, "token_controls", tokens_json(r, e->tokens));
    if (!bad && !e->tokens && e->tokens_why) {
        aj *w = aj_new_object();
        bad = !w || aj_set(w, "why", str(e->tokens_why)) || aj_set(o, "token_controls", w);
    }
    return bad;
}
