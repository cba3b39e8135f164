/* metrics.c - the per-layer anisotropy metrics (docs/METRICS.md section 2) and
 * the profile analysis (section 3), in float64. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"

#define CLAMP 1e-10

/* ---- The registry (analysis.h) ---- */

static const aniso_metric_info registry[] = {
#define ENTRY(key, lo, hi, flags, title)                                                           \
    {#key, title, offsetof(aniso_layer_metrics, key), lo, hi, flags},
    ANISO_LAYER_METRICS(ENTRY)
#undef ENTRY
};
#define N_METRICS ((int)(sizeof registry / sizeof registry[0]))

const aniso_metric_info *aniso_metric_registry(int *n)
{
    if (n) *n = N_METRICS;
    return registry;
}

double aniso_metric_value(const aniso_layer_metrics *m, int i)
{
    return *(const double *)((const char *)m + registry[i].offset);
}

int aniso_metric_find(const char *key)
{
    for (int i = 0; i < N_METRICS; i++)
        if (strcmp(registry[i].key, key) == 0) return i;
    return -1;
}

void metrics_nan(aniso_layer_metrics *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < N_METRICS; k++) *(double *)((char *)out + registry[k].offset) = NAN;
}

void metrics_spectral_only(double *eig, size_t d, uint64_t n, aniso_layer_metrics *out)
{
    metrics_nan(out);
    metrics_from_spectrum(eig, d, n, out); /* sets the spectral ones alone */
}

/* ---- From the spectrum ---- */

void metrics_from_spectrum(double *eig, size_t d, uint64_t n, aniso_layer_metrics *out)
{
    double total = 0, sq = 0;
    for (size_t i = 0; i < d; i++) {
        if (eig[i] < CLAMP) eig[i] = CLAMP;
        total += eig[i];
        sq += eig[i] * eig[i];
    }
    double mean = total / (double)d, var = 0, ent = 0;
    for (size_t i = 0; i < d; i++) {
        double p = eig[i] / total;
        var += (eig[i] - mean) * (eig[i] - mean);
        ent -= p * log(p + CLAMP);
    }
    out->eigenvalue_variance = var / (double)d;
    out->intrinsic_dim_ratio = total > 0 ? eig[0] / total : 0;
    out->effective_rank = exp(ent);
    out->var_top1 = eig[0] / total;
    double cum = 0;
    for (size_t i = 0; i < d && i < 50; i++) {
        cum += eig[i];
        if (i == 9 || (d < 10 && i == d - 1)) out->var_top10 = cum / total;
        if (i == 49 || (d < 50 && i == d - 1)) out->var_top50 = cum / total;
    }
    out->n_eig = d < ANISO_TOP_EIGS ? (int)d : ANISO_TOP_EIGS;
    memcpy(out->eigenvalues, eig, (size_t)out->n_eig * sizeof *eig);
    /* The wider family (docs/METRICS.md section 2.3). */
    out->participation_ratio = total * total / sq;
    out->isoscore = d > 1 ? (out->participation_ratio - 1) / (double)(d - 1) : 0;
    out->stable_rank = total / eig[0];
    /* RankMe: the min(n, d) singular values of the centred n x d matrix
     * are sqrt((n - 1) lambda_i); the factor cancels in q. */
    size_t k = n < d ? (size_t)n : d;
    double ssum = 0, h = 0;
    for (size_t i = 0; i < k; i++) ssum += sqrt(eig[i]);
    for (size_t i = 0; i < k; i++) {
        double q = sqrt(eig[i]) / ssum + RANKME_EPS;
        h -= q * log(q);
    }
    out->rankme = exp(h);
}

double mean_pairwise_cosine(double unit_sq, double n_nonzero, double n)
{
    return n > 1 ? (unit_sq - n_nonzero) / (n * (n - 1)) : 0;
}

/* ---- TwoNN (Facco et al. 2017) from a Gram matrix ---- */

double twonn_from_gram(const double *g, size_t ld, const size_t *pts, size_t m)
{
    if (m < 3) return NAN;
    double sum = 0;
    for (size_t a = 0; a < m; a++) {
        size_t i = pts[a];
        double r1 = INFINITY, r2 = INFINITY, gii = g[i * ld + i];
        for (size_t b = 0; b < m; b++) {
            if (b == a) continue;
            size_t j = pts[b], lo = i < j ? i : j, hi = i < j ? j : i;
            double d2 = gii + g[j * ld + j] - 2 * g[lo * ld + hi];
            if (d2 < r1)
                r2 = r1, r1 = d2;
            else if (d2 < r2)
                r2 = d2;
        }
        /* distinct points at distance 0 in floating point: not measurable */
        if (!(r1 > 0)) return NAN;
        sum += 0.5 * log(r2 / r1); /* squared distances */
    }
    return sum > 0 ? (double)(m - 1) / sum : NAN;
}

/* Rows of a matrix ordered by value (then by index), for collapsing equal
 * ones. */
typedef struct rows_ctx {
    const float *x;
    size_t d;
} rows_ctx;

static int same_row(const float *a, const float *b, size_t d)
{
    for (size_t j = 0; j < d; j++)
        if (a[j] != b[j]) return 0;
    return 1;
}

static _Thread_local const rows_ctx *sort_ctx; /* qsort has no context argument */

static int cmp_rows(const void *a, const void *b)
{
    const rows_ctx *c = sort_ctx;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    const float *ra = c->x + ia * c->d, *rb = c->x + ib * c->d;
    for (size_t j = 0; j < c->d; j++)
        if (ra[j] != rb[j]) return ra[j] < rb[j] ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

size_t distinct_rows(const float *x, size_t n, size_t d, size_t *rep, size_t *pts)
{
    for (size_t i = 0; i < n; i++) pts[i] = i;
    rows_ctx ctx = {x, d};
    sort_ctx = &ctx;
    qsort(pts, n, sizeof *pts, cmp_rows);
    /* equal rows are neighbours now: each takes the first of its run */
    for (size_t k = 0; k < n; k++) {
        size_t i = pts[k], prev = k ? pts[k - 1] : i;
        rep[i] = k && same_row(x + i * d, x + prev * d, d) ? rep[prev] : i;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (rep[i] == i) pts[m++] = i;
    return m;
}

static const char *nonfinite_kind(float v)
{
    if (v != v) return "NaN";
    return v > 0 ? "Inf" : "-Inf";
}

aniso_status aniso_metrics_compute(const float *X, size_t n, size_t d, aniso_layer_metrics *out,
                                   aniso_error *err)
{
    memset(out, 0, sizeof *out);
    if (n < 2)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "metrics need at least 2 tokens (got %zu): the covariance divides "
                               "by n - 1",
                               n);
    if (d < 1) return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "metrics need d >= 1");
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "metrics: row %zu holds a non-finite value (%s) in column %zu",
                                   i / d, nonfinite_kind(X[i]), i % d);
    double *xc = malloc(n * d * sizeof *xc), *mu = malloc(d * sizeof *mu),
           *eig = malloc(d * sizeof *eig), *nrm = malloc(n * sizeof *nrm),
           *dot = malloc(n * sizeof *dot), *g = NULL;
    size_t *rep = NULL, *pts = NULL;
    aniso_status st = ANISO_OK;
    if (!xc || !mu || !eig || !nrm || !dot) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "metrics: out of memory (%zu x %zu)", n, d);
        goto out;
    }
    /* X in double, each row's norm; then the mean row, each row's dot with it,
     * and the centred matrix. */
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++) {
            double x = X[i * d + j];
            xc[i * d + j] = x;
            ss += x * x;
        }
        nrm[i] = sqrt(ss);
    }
    column_mean(mu, xc, n, d);
    row_dots(dot, xc, mu, n, d);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) xc[i * d + j] -= mu[j];
    /* TwoNN on the distinct rows, from their Gram matrix (distances do not
     * depend on centring or scale); the Gram route's spectrum from the same
     * matrix. */
    double twonn = NAN;
    int rc = 0;
    if (n <= TWONN_MAX_ROWS || n < d) {
        g = malloc(n * n * sizeof *g);
        rep = malloc(n * sizeof *rep);
        pts = malloc(n * sizeof *pts);
        if (!g || !rep || !pts) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "metrics: out of memory (%zu x %zu)", n, n);
            goto out;
        }
        gram_or_cov(g, xc, n, d, 1);
        twonn = twonn_from_gram(g, n, pts, distinct_rows(X, n, d, rep, pts));
    }
    if (n < d) {
        rc = sym_eig_desc(g, n, eig);
        for (size_t i = n; i < d; i++) eig[i] = 0.0; /* the null space, exactly */
    } else {
        rc = spectrum_desc(xc, n, d, eig);
    }
    if (rc) {
        st = eig_error(rc, n, d, err);
        goto out;
    }
    metrics_from_spectrum(eig, d, n, out);
    out->twonn_dimension = twonn;
    /* Norms, and each row's cosine similarity to the mean row. */
    double mu_norm = 0;
    for (size_t j = 0; j < d; j++) mu_norm += mu[j] * mu[j];
    mu_norm = sqrt(mu_norm);
    double sum_norm = 0, sum_cos = 0;
    for (size_t i = 0; i < n; i++) {
        sum_norm += nrm[i];
        if (mu_norm > CLAMP) sum_cos += dot[i] / (nrm[i] * mu_norm + CLAMP);
    }
    out->avg_cos_sim_to_mean = mu_norm > CLAMP ? sum_cos / (double)n : 0;
    out->mean_norm = sum_norm / (double)n;
    double sv = 0;
    for (size_t i = 0; i < n; i++) sv += (nrm[i] - out->mean_norm) * (nrm[i] - out->mean_norm);
    out->std_norm = sqrt(sv / (double)n);
    out->norm_cv = out->mean_norm > 0 ? out->std_norm / out->mean_norm : 0;
    /* The sum of the unit rows (zero rows count as 0). */
    double nz = 0, usq = 0;
    for (size_t j = 0; j < d; j++) mu[j] = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(nrm[i] > 0)) continue;
        nz++;
        for (size_t j = 0; j < d; j++) mu[j] += X[i * d + j] / nrm[i];
    }
    for (size_t j = 0; j < d; j++) usq += mu[j] * mu[j];
    out->mean_pairwise_cosine = mean_pairwise_cosine(usq, nz, (double)n);
out:
    free(g), free(rep), free(pts);
    free(xc);
    free(mu);
    free(eig);
    free(nrm);
    free(dot);
    return st;
}

void aniso_reference_default(aniso_reference *ref)
{
    memset(ref, 0, sizeof *ref);
    snprintf(ref->name, sizeof ref->name, "EleutherAI/pythia-6.9b (notebook reference)");
    ref->profile_range = 0.934;
    ref->max_anisotropy = 0.994;
    ref->L_star = 7;
}

void aniso_profile_analyze(const double *v, int n, const aniso_reference *ref,
                           aniso_profile_analysis *out)
{
    aniso_profile_analyze_at(NULL, v, n, ref, out);
}

/* The measured layer nearest to layer want (the lower one on ties). */
static int nearest(const int *layers, int n, int want)
{
    int best = layers[0];
    for (int i = 1; i < n; i++)
        if (abs(layers[i] - want) < abs(best - want)) best = layers[i];
    return best;
}

void aniso_profile_analyze_at(const int *layers, const double *v, int n, const aniso_reference *ref,
                              aniso_profile_analysis *out)
{
    memset(out, 0, sizeof *out);
    if (n < 1) return;
    int ls = 0;
    double mn = v[0], mx = v[0], mean = 0;
    for (int i = 0; i < n; i++) {
        if (v[i] > v[ls]) ls = i;
        if (v[i] < mn) mn = v[i];
        if (v[i] > mx) mx = v[i];
        mean += v[i];
    }
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; i++) var += (v[i] - mean) * (v[i] - mean);
    double *x = NULL;
    if (layers && (x = malloc(sizeof *x * (size_t)n)))
        for (int i = 0; i < n; i++) x[i] = layers[i];
    out->L_star = layers ? layers[ls] : ls;
    aniso_linregress_xy(x, v, (size_t)ls, &out->phase1);
    aniso_linregress_xy(x ? x + ls : NULL, v + ls, (size_t)(n - ls), &out->phase2);
    free(x);
    out->is_bell_curve = out->phase1.slope > 0 && out->phase2.slope < 0;
    out->profile_variance = var / n;
    out->profile_range = mx - mn;
    out->max_anisotropy = v[ls];
    if (ref) {
        out->is_flatter = out->profile_range < ref->profile_range;
        out->flatness_percent =
            (ref->profile_range - out->profile_range) / ref->profile_range * 100.0;
    }
    int first = layers ? layers[0] : 0, L = layers ? layers[n - 1] : n - 1, s = out->L_star;
    int want[5] = {first, s / 2, s, (s + L) / 2, L};
    for (int k = 0; k < 5; k++)
        out->spectrum_layers[k] = layers ? nearest(layers, n, want[k]) : want[k];
}
