/* stats.c - scipy.stats.linregress on x = 0..n-1, the bootstrap's draws
 * and intervals, with the t and normal distributions from GSL (the one file
 * that includes it). */
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/evidence.h"
#include "analysis/analysis_int.h"
#include "base/rng.h"

double t_two_sided_p(double t, double df)
{
    return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

void aniso_linregress(const double *y, size_t n, aniso_linreg *out)
{
    aniso_linregress_xy(NULL, y, n, out);
}

void aniso_linregress_xy(const double *x, const double *y, size_t n, aniso_linreg *out)
{
    *out = (aniso_linreg){0, 0, 0, 1};
    if (n < 2) return;
    /* As scipy: the population (co)variances of x and y, r clipped to
     * [-1, 1] (0 when a variance is 0), t with n - 2 degrees of freedom. */
    double xm = (double)(n - 1) / 2.0, ym = 0;
    if (x) {
        xm = 0;
        for (size_t i = 0; i < n; i++) xm += x[i];
        xm /= (double)n;
    }
    for (size_t i = 0; i < n; i++) ym += y[i];
    ym /= (double)n;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = (x ? x[i] : (double)i) - xm, dy = y[i] - ym;
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    sxx /= (double)n;
    sxy /= (double)n;
    syy /= (double)n;
    double den = sqrt(sxx * syy), r = den == 0.0 ? 0.0 : sxy / den;
    if (r > 1.0) r = 1.0;
    if (r < -1.0) r = -1.0;
    out->slope = sxy / sxx;
    out->intercept = ym - out->slope * xm;
    out->r = r;
    if (n == 2) {
        out->p = y[0] == y[1] ? 1.0 : 0.0;
    } else {
        const double tiny = 1.0e-20;
        double df = (double)(n - 2);
        double t = r * sqrt(df / ((1.0 - r + tiny) * (1.0 + r + tiny)));
        out->p = t_two_sided_p(t, df);
    }
}

/* ---- Bootstrap ---- */

void aniso_bootstrap_indices(uint64_t seed, int n_boot, uint64_t n_units, uint32_t *idx)
{
    arng r;
    arng_seed(&r, seed);
    for (uint64_t i = 0; i < (uint64_t)n_boot * n_units; i++)
        idx[i] = (uint32_t)arng_below(&r, n_units);
}

/* The standard deviation (ddof 1) of v[0 .. n), n >= 2. */
static double sd_of(const double *v, size_t n)
{
    double mean = 0, ss = 0;
    for (size_t b = 0; b < n; b++) mean += v[b];
    mean /= (double)n;
    for (size_t b = 0; b < n; b++) ss += (v[b] - mean) * (v[b] - mean);
    return sqrt(ss / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy's default ("linear") quantile of the sorted v[0 .. n) at p in [0, 1] */
static double quantile(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p, f = floor(h);
    size_t lo = (size_t)f;
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - f) * (v[lo + 1] - v[lo]);
}

void aniso_interval_compute(const double *rep, int n_boot, double estimate, const double *jack,
                            uint64_t n_jack, double level, aniso_interval *out)
{
    *out = (aniso_interval){estimate, NAN, NAN, NAN, NAN, NAN, 0, NAN, NAN, NAN};
    size_t B = n_boot > 0 ? (size_t)n_boot : 0, nv = 0;
    for (size_t b = 0; b < B; b++) nv += !isnan(rep[b]);
    out->n_valid = (int)nv;
    if (B < 2 || nv < B || !isfinite(estimate)) return;
    double *v = malloc(B * sizeof *v);
    if (!v) return;
    memcpy(v, rep, B * sizeof *v);
    qsort(v, B, sizeof *v, cmp_double);
    double alpha = 1 - level;
    out->se = sd_of(v, B);
    out->lo = quantile(v, B, alpha / 2);
    out->hi = quantile(v, B, 1 - alpha / 2);
    out->basic_lo = 2 * estimate - out->hi;
    out->basic_hi = 2 * estimate - out->lo;
    double mean = 0;
    for (size_t b = 0; b < B; b++) mean += v[b];
    out->bias = mean / (double)B - estimate;
    /* BCa (Efron 1987), as scipy.stats.bootstrap: bias from the share of
     * replicates below the estimate, acceleration from the jackknife. */
    if (jack && n_jack >= 2) {
        size_t below = 0;
        for (size_t b = 0; b < B; b++) below += v[b] < estimate;
        double z0 = gsl_cdf_ugaussian_Pinv((double)below / (double)B), jm = 0, num = 0, den = 0;
        int ok = isfinite(z0);
        for (uint64_t i = 0; i < n_jack; i++) ok = ok && isfinite(jack[i]), jm += jack[i];
        jm /= (double)n_jack;
        for (uint64_t i = 0; i < n_jack && ok; i++) {
            double dlt = jm - jack[i];
            num += dlt * dlt * dlt;
            den += dlt * dlt;
        }
        den = 6 * pow(den, 1.5);
        if (ok && den > 0) {
            double a = num / den, z[2] = {gsl_cdf_ugaussian_Pinv(alpha / 2),
                                          gsl_cdf_ugaussian_Pinv(1 - alpha / 2)};
            double p[2];
            for (int k = 0; k < 2; k++)
                p[k] = gsl_cdf_ugaussian_P(z0 + (z0 + z[k]) / (1 - a * (z0 + z[k])));
            if (isfinite(p[0]) && isfinite(p[1])) {
                out->bca_lo = quantile(v, B, p[0]);
                out->bca_hi = quantile(v, B, p[1]);
            }
        }
    }
    free(v);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

void aniso_interval_discrete(const int *rep, int n_boot, int estimate, double level,
                             aniso_interval *out)
{
    *out = (aniso_interval){estimate, NAN, NAN, NAN, NAN, NAN, 0, NAN, NAN, NAN};
    if (n_boot < 2) return;
    size_t B = (size_t)n_boot;
    for (size_t b = 0; b < B; b++) out->n_valid += rep[b] >= 0; /* -1: no value */
    if (out->n_valid < n_boot) return;
    int *v = malloc(B * sizeof *v);
    double *dv = malloc(B * sizeof *dv), alpha = 1 - level;
    if (!v || !dv) {
        free(v), free(dv);
        return;
    }
    memcpy(v, rep, B * sizeof *v);
    qsort(v, B, sizeof *v, cmp_int);
    for (size_t b = 0; b < B; b++) dv[b] = v[b];
    out->se = sd_of(dv, B);
    free(dv);
    /* nearest ranks outward: whole layers */
    out->lo = v[(size_t)floor((double)(B - 1) * alpha / 2)];
    out->hi = v[(size_t)ceil((double)(B - 1) * (1 - alpha / 2))];
    free(v);
}
