/* shape.h - a calibrated test of the "bell curve" (a profile that rises up
 * to some layer and falls after it), with a stated false-positive rate.
 *
 * The notebook's test (analysis.h, is_bell_curve: slope before the argmax
 * > 0 and slope from the argmax on < 0) passes on about a third of profiles
 * that are pure noise. This test replaces the argmax split and the signs
 * of two slopes with a statistic and a permutation null:
 *
 *   statistic  For each breakpoint k with at least 3 points on each side
 *              (3 <= k <= n - 3), phase 1 is v[0 .. k-1] and phase 2 is
 *              v[k .. n-1] (the notebook's convention: the peak starts
 *              phase 2). t1(k) and t2(k) are the t-statistics of the two
 *              phases' ordinary least-squares slopes, slope / its standard
 *              error with m - 2 degrees of freedom (m points), on x = 0, 1,
 *              2, ... or on the given layer numbers. S(k) = min(t1(k),
 *              -t2(k)): large only when phase 1 rises and phase 2 falls,
 *              both clearly. S = max over k of S(k); k* is the first k
 *              that attains it.
 *   t at the   A phase whose values are all equal has t = 0. A phase that
 *   edges      is not constant but fits its line exactly (zero residual)
 *              has t = +-ANISO_SHAPE_T_CAP by the slope's sign, and every
 *              t is clipped to [-ANISO_SHAPE_T_CAP, ANISO_SHAPE_T_CAP], so
 *              that S is always finite. (Rounding makes "exact" fits show
 *              t of 1e13 or more; the cap makes them tie at the cap.)
 *   null       H0: the profile is a constant plus exchangeable noise (for
 *              example i.i.d.). Under H0 every ordering of the values is
 *              equally likely, so S of the observed order is compared with
 *              S of B random orderings: p = (1 + #{S_perm >= S_obs}) /
 *              (B + 1), which is never below 1 / (B + 1) and is a valid
 *              p-value (P(p <= alpha) <= alpha under H0). The layer numbers
 *              stay in place; only the values move.
 *   verdict    bell = applicable and p <= alpha.
 *   n < 6      No breakpoint has 3 points on each side: the test is not
 *              applicable (applicable = 0, p = 1, bell = 0, k* = -1).
 *
 * What a small p says: the values are not exchangeable, in a way that
 * looks like a rise followed by a fall. It is not evidence against every
 * other shape: a smooth or autocorrelated profile (a random walk, a slow
 * drift with a wobble) is not exchangeable either and gets small p-values
 * far more often than alpha. bench/shape_calibration.c measures both.
 *
 * Random numbers: the generator of src/base/rng.h seeded with opts.seed;
 * permutation b = 1 .. B shuffles a fresh copy of the values with
 * Fisher-Yates (for i = n-1 down to 1: j = below(i + 1), swap v[i] and
 * v[j]). The same seed, values and B give the same p on every machine.
 *
 * The t-statistics do not change under v -> a v + c (a > 0) or under
 * x -> a x + c (a > 0); the values and layer numbers are mapped into
 * [0, 1] first (divided by their range), so that no finite input overflows.
 * The slopes reported are in the input's units (per layer), clipped to
 * +-DBL_MAX in the absurd cases beyond it. */
#ifndef ANISO_SHAPE_H
#define ANISO_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ANISO_SHAPE_T_CAP         1e6
#define ANISO_SHAPE_MIN_N         6     /* 3 points on each side of the breakpoint */
#define ANISO_SHAPE_MAX_N         65536 /* longer profiles are refused */
#define ANISO_SHAPE_DEFAULT_B     9999
#define ANISO_SHAPE_MAX_B         100000000
#define ANISO_SHAPE_DEFAULT_SEED  0
#define ANISO_SHAPE_DEFAULT_ALPHA 0.05

typedef struct aniso_shape_opts {
    int n_perm;    /* B, the number of random permutations: 1 .. ANISO_SHAPE_MAX_B */
    uint64_t seed; /* of the permutations */
    double alpha;  /* the level: bell = p <= alpha; in (0, 1] */
} aniso_shape_opts;

/* B = 9999, seed 0, alpha 0.05. */
void aniso_shape_opts_default(aniso_shape_opts *opts);

typedef struct aniso_shape_result {
    int applicable;        /* n >= 6 */
    int bell;              /* applicable and p <= alpha */
    double statistic;      /* S = max_k min(t1(k), -t2(k)); 0 when not applicable */
    int breakpoint;        /* k*: the index of the first value of phase 2; -1 if not applicable */
    double t1, t2;         /* the phases' slope t-statistics at k* */
    double slope1, slope2; /* the phases' OLS slopes at k*, in value units per unit of x */
    double p;              /* permutation p-value; 1 when not applicable */
    int n_perm;            /* B as used */
    uint64_t seed;         /* as used */
    double alpha;          /* as used */
} aniso_shape_result;

/* The test on values[0 .. n-1] measured at x = 0, 1, ..., n-1. opts NULL:
 * aniso_shape_opts_default. The values must be finite (values may be NULL
 * when n is 0). Errors (out is then cleared: applicable 0, p 1, k* -1):
 * ANISO_INVALID_ARGUMENT for NULL values or out, n >
 * ANISO_SHAPE_MAX_N, a value that is NaN or infinite, or opts out of range;
 * ANISO_NO_MEMORY. */
aniso_status aniso_shape_test(const double *values, size_t n, const aniso_shape_opts *opts,
                              aniso_shape_result *out, aniso_error *err);

/* The same on a profile measured at x[0 .. n-1] (layer numbers, finite
 * and strictly increasing; NULL: 0, 1, ..., n-1), like
 * aniso_linregress_xy. */
aniso_status aniso_shape_test_xy(const double *x, const double *values, size_t n,
                                 const aniso_shape_opts *opts, aniso_shape_result *out,
                                 aniso_error *err);

/* The statistic alone (no permutations): S, k*, t1, t2, slope1 and slope2
 * of out are filled as by aniso_shape_test_xy, p = 1, bell = 0, and n_perm
 * = 0. Same arguments and errors, without opts. */
aniso_status aniso_shape_statistic(const double *x, const double *values, size_t n,
                                   aniso_shape_result *out, aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
