/* shape.c - the calibrated bell-curve test of include/aniso/shape.h: the
 * two-phase slope t-statistic maximised over the breakpoint, and its
 * permutation p-value.
 *
 * One evaluation of the statistic is O(n): a forward pass adds the points
 * one at a time to phase 1 and a backward pass to phase 2, with Welford's
 * updates of the means and centred co-moments (stable, and exact for a
 * constant phase). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/shape.h"
#include "base/rng.h"

/* Running means and centred co-moments of the points added so far. */
typedef struct phase_acc {
    double m, mx, my, sxx, sxy, syy, lo, hi;
} phase_acc;

static void acc_add(phase_acc *a, double x, double y)
{
    if (a->m == 0) {
        *a = (phase_acc){1, x, y, 0, 0, 0, y, y};
        return;
    }
    a->m += 1;
    double dx = x - a->mx, dy = y - a->my;
    a->mx += dx / a->m;
    a->my += dy / a->m;
    a->sxx += dx * (x - a->mx);
    a->sxy += dx * (y - a->my);
    a->syy += dy * (y - a->my);
    if (y < a->lo) a->lo = y;
    if (y > a->hi) a->hi = y;
}

/* The slope's t-statistic of the points in a (m >= 3), with the
 * conventions of shape.h: 0 for a constant phase, the cap's sign for an
 * exact fit, clipped to the cap. */
static double acc_t(const phase_acc *a)
{
    if (a->lo == a->hi || !(a->sxx > 0)) return 0;
    double b = a->sxy / a->sxx, rss = a->syy - b * a->sxy, t;
    if (!(rss > 0)) {
        t = b > 0 ? ANISO_SHAPE_T_CAP : b < 0 ? -ANISO_SHAPE_T_CAP : 0;
    } else {
        t = b * sqrt((a->m - 2) * a->sxx / rss);
        if (isnan(t)) t = 0;
    }
    if (t > ANISO_SHAPE_T_CAP) t = ANISO_SHAPE_T_CAP;
    if (t < -ANISO_SHAPE_T_CAP) t = -ANISO_SHAPE_T_CAP;
    return t;
}

static double acc_slope(const phase_acc *a)
{
    return a->lo == a->hi || !(a->sxx > 0) ? 0 : a->sxy / a->sxx;
}

/* What one evaluation gives at its best breakpoint. */
typedef struct scan {
    double s, t1, t2, b1, b2;
    int k;
} scan;

/* S of y[0..n) on x (NULL: 0..n-1), n >= 6, with its breakpoint and the
 * t-statistics there; t1 and b1 are scratch of n doubles, b1 NULL when the
 * phase-1 slope is not wanted (the permutations). */
static void scan_profile(const double *x, const double *y, int n, double *t1, double *b1, scan *sc)
{
    phase_acc a = {0};
    for (int i = 0; i < n - 3; i++) {
        acc_add(&a, x ? x[i] : i, y[i]);
        if (i + 1 >= 3) {
            t1[i + 1] = acc_t(&a);
            if (b1) b1[i + 1] = acc_slope(&a);
        }
    }
    phase_acc c = {0};
    sc->s = -INFINITY;
    sc->k = -1;
    /* Backward, so that the phase-2 statistics arrive for k = n-3 down to
     * 3; ">=" keeps the smallest k on ties. */
    for (int i = n - 1; i >= 3; i--) {
        acc_add(&c, x ? x[i] : i, y[i]);
        if (n - i >= 3) {
            double t2 = acc_t(&c), s = fmin(t1[i], -t2);
            if (s >= sc->s) {
                sc->s = s;
                sc->k = i;
                sc->t1 = t1[i];
                sc->t2 = t2;
                sc->b2 = acc_slope(&c);
            }
        }
    }
    if (b1) sc->b1 = b1[sc->k];
}

/* How v[0..n) (sorted or not) was mapped onto [0, 1]: w = (v - lo) /
 * (mul scale), so that a slope of w is one of v divided by mul scale. */
typedef struct unit_map {
    double scale, mul;
} unit_map;

/* Maps v[0..n) onto [0, 1] (w; all 0 for a constant profile): divided by
 * the range, or, when the range is beyond the doubles, by twice the half
 * range. No finite input overflows, and subnormal differences are kept. */
static unit_map to_unit(const double *v, int n, double *w)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < n; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    unit_map u = {hi - lo, 1};
    int half = !isfinite(u.scale);
    if (half) u = (unit_map){0.5 * hi - 0.5 * lo, 2};
    for (int i = 0; i < n; i++) {
        if (u.scale == 0)
            w[i] = 0;
        else
            w[i] = half ? (0.5 * v[i] - 0.5 * lo) / u.scale : (v[i] - lo) / u.scale;
        if (w[i] > 1) w[i] = 1;
    }
    return u;
}

/* A slope b of w on xu back in the input's units, clipped to the largest
 * double in the absurd cases where it is beyond it. */
static double unscale(double b, unit_map y, unit_map x)
{
    if (b == 0 || y.scale == 0) return 0;
    double s = b * (y.scale / x.scale) * (y.mul / x.mul);
    if (s > DBL_MAX) s = DBL_MAX;
    if (s < -DBL_MAX) s = -DBL_MAX;
    return s;
}

static void result_none(aniso_shape_result *out, const aniso_shape_opts *o)
{
    memset(out, 0, sizeof *out);
    out->breakpoint = -1;
    out->p = 1;
    if (o) {
        out->n_perm = o->n_perm;
        out->seed = o->seed;
        out->alpha = o->alpha;
    }
}

void aniso_shape_opts_default(aniso_shape_opts *opts)
{
    opts->n_perm = ANISO_SHAPE_DEFAULT_B;
    opts->seed = ANISO_SHAPE_DEFAULT_SEED;
    opts->alpha = ANISO_SHAPE_DEFAULT_ALPHA;
}

/* Checks the arguments; 0 or an error. */
static aniso_status check_args(const double *x, const double *v, size_t n, aniso_error *err)
{
    if (!v && n > 0)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "shape test: values is NULL");
    if (n > ANISO_SHAPE_MAX_N)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "shape test: %zu values, at most %d are accepted", n,
                               ANISO_SHAPE_MAX_N);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "shape test: value %zu is not finite (%g)", i, v[i]);
        if (x && !isfinite(x[i]))
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "shape test: x[%zu] is not finite (%g)", i, x[i]);
        if (x && i > 0 && !(x[i] > x[i - 1]))
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "shape test: x is not strictly increasing at %zu (%g after %g)",
                                   i, x[i], x[i - 1]);
    }
    return ANISO_OK;
}

/* The test; n_perm 0: the statistic only. */
static aniso_status shape_run(const double *x, const double *v, size_t n, const aniso_shape_opts *o,
                              aniso_shape_result *out, aniso_error *err)
{
    if (!out) return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "shape test: out is NULL");
    result_none(out, o);
    aniso_status st = check_args(x, v, n, err);
    if (st) return st;
    if (n < ANISO_SHAPE_MIN_N) return ANISO_OK;

    int m = (int)n;
    double *buf = malloc(sizeof *buf * (size_t)m * 5);
    if (!buf) return aniso_error_set(err, ANISO_NO_MEMORY, "shape test: out of memory (n %d)", m);
    double *w = buf, *perm = buf + m, *t1 = buf + 2 * m, *b1 = buf + 3 * m, *xu = NULL;
    unit_map uy = to_unit(v, m, w), ux = {1, 1};
    if (x) {
        /* x -> [0, 1], x[0] -> 0 and x[n-1] -> 1 (strictly increasing). */
        xu = buf + 4 * m;
        ux = to_unit(x, m, xu);
    }
    scan obs;
    scan_profile(xu, w, m, t1, b1, &obs);
    out->applicable = 1;
    out->statistic = obs.s;
    out->breakpoint = obs.k;
    out->t1 = obs.t1;
    out->t2 = obs.t2;
    out->slope1 = unscale(obs.b1, uy, ux);
    out->slope2 = unscale(obs.b2, uy, ux);

    if (o && o->n_perm > 0) {
        arng r;
        arng_seed(&r, o->seed);
        long long hits = 0;
        scan ps;
        for (int b = 0; b < o->n_perm; b++) {
            memcpy(perm, w, sizeof *perm * (size_t)m);
            for (int i = m - 1; i >= 1; i--) {
                int j = (int)arng_below(&r, (uint64_t)i + 1);
                double tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            scan_profile(xu, perm, m, t1, NULL, &ps);
            if (ps.s >= obs.s) hits++;
        }
        out->p = (double)(1 + hits) / ((double)o->n_perm + 1);
        out->bell = out->p <= o->alpha;
    }
    free(buf);
    return ANISO_OK;
}

static aniso_status check_opts(const aniso_shape_opts *o, aniso_error *err)
{
    if (o->n_perm < 1 || o->n_perm > ANISO_SHAPE_MAX_B)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "shape test: %d permutations, expected 1 .. %d", o->n_perm,
                               ANISO_SHAPE_MAX_B);
    if (!(o->alpha > 0 && o->alpha <= 1))
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "shape test: alpha %g, expected a number in (0, 1]", o->alpha);
    return ANISO_OK;
}

aniso_status aniso_shape_test_xy(const double *x, const double *values, size_t n,
                                 const aniso_shape_opts *opts, aniso_shape_result *out,
                                 aniso_error *err)
{
    aniso_shape_opts o;
    if (opts)
        o = *opts;
    else
        aniso_shape_opts_default(&o);
    aniso_status st = check_opts(&o, err);
    if (st) {
        if (out) result_none(out, &o);
        return st;
    }
    return shape_run(x, values, n, &o, out, err);
}

aniso_status aniso_shape_test(const double *values, size_t n, const aniso_shape_opts *opts,
                              aniso_shape_result *out, aniso_error *err)
{
    return aniso_shape_test_xy(NULL, values, n, opts, out, err);
}

aniso_status aniso_shape_statistic(const double *x, const double *values, size_t n,
                                   aniso_shape_result *out, aniso_error *err)
{
    return shape_run(x, values, n, NULL, out, err);
}
