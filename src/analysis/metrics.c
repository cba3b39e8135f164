/* metrics.c - the per-layer anisotropy metrics (docs/METRICS.md section 2) and
 * the profile analysis (section 3), in float64. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis_int.h"

#define CLAMP 1e-10

void metrics_from_spectrum(double *eig, size_t d, aniso_layer_metrics *out)
{
    double total = 0;
    for (size_t i = 0; i < d; i++) {
        if (eig[i] < CLAMP) eig[i] = CLAMP;
        total += eig[i];
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
           *dot = malloc(n * sizeof *dot);
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
    int rc = spectrum_desc(xc, n, d, eig);
    if (rc) {
        st = eig_error(rc, n, d, err);
        goto out;
    }
    metrics_from_spectrum(eig, d, out);
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
out:
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
