/* evidence.h - what supports (or does not support) a profile's verdicts:
 * bootstrap intervals over whole sequences, null baselines, the calibrated
 * shape test, the profile without each sequence's first token, and the
 * token-level controls (norms by position, massive activations). A profile
 * result (report.h) points to one; docs/METRICS.md section 5 defines each. */
#ifndef ANISO_EVIDENCE_H
#define ANISO_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/analysis.h"
#include "aniso/shape.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One statistic's bootstrap interval. */
typedef struct aniso_interval {
    double estimate;       /* the value on the whole sample */
    double se;             /* standard deviation of the replicates (ddof 1) */
    double lo, hi;         /* percentile interval (linear interpolation) */
    double bca_lo, bca_hi; /* BCa interval; NaN when not computed or undefined */
    int n_valid;           /* replicates with a value; fewer than all: lo, hi NaN */
    /* the basic ("reverse percentile") interval 2 estimate - (hi, lo), and
     * the replicates' mean minus the estimate: resampling whole sequences
     * repeats rows, which lowers rank-type metrics, and then the percentile
     * interval lies below the estimate while the basic one corrects the shift */
    double basic_lo, basic_hi, bias;
} aniso_interval;

/* The profile-level statistics (analysis.h) as intervals. */
typedef struct aniso_profile_intervals {
    aniso_interval L_star; /* lo, hi: nearest-rank quantiles (whole layers) */
    aniso_interval phase1_slope, phase2_slope;
    aniso_interval profile_range, max_anisotropy, profile_variance;
    aniso_interval range_minus_reference; /* profile_range - the reference's range */
    const double *L_star_share;           /* (n_measured) share of replicates with L* there */
} aniso_profile_intervals;

/* Bootstrap over whole sequences (never single tokens). */
typedef struct aniso_bootstrap {
    int n_boot;              /* replicates; 0: none, and why says why */
    const char *why;         /* NULL, or why there are no intervals */
    const char *method;      /* how each replicate is computed */
    const char *n_boot_rule; /* how n_boot was chosen */
    const char *unit;        /* "sequence" or "block of sequences" */
    uint64_t n_units;        /* units resampled with replacement */
    uint64_t seed;
    double level; /* 0.95 */
    int bca;      /* BCa intervals computed (jackknife over the units) */
    /* (n_measured x n_metrics) row-major: layer i, registry metric k at
     * [i * n_metrics + k] (analysis.h aniso_metric_registry) */
    const aniso_interval *layers;
    int n_metrics;
    aniso_profile_intervals profile;
    /* each replicate's profile statistics (n_boot each), for paired
     * comparisons between results resampled the same way */
    const double *rep_range, *rep_max, *rep_slope1, *rep_slope2;
    const int *rep_L_star;
    double seconds;
    uint64_t memory_bytes;
} aniso_bootstrap;

/* Token-level controls of one layer (every token, whatever the mask). */
#define ANISO_POS_PROFILE 16 /* positions 0 .. 15 of each sequence */
#define ANISO_TOP_MASSIVE 4
typedef struct aniso_massive {
    double value;   /* the activation */
    double ratio;   /* |value| / the median |activation| of its chunk */
    uint64_t row;   /* token index in the run (0-based, in input order) */
    long position;  /* in its sequence */
    unsigned roles; /* ANISO_TOKEN_* */
    int dim;
} aniso_massive;

typedef struct aniso_layer_tokens {
    double pos_norm[ANISO_POS_PROFILE]; /* mean norm of the tokens at each position */
    uint64_t pos_count[ANISO_POS_PROFILE];
    double special_norm, other_norm; /* mean norm of BOS/special tokens; of the others */
    uint64_t special_count, other_count;
    double max_abs;          /* largest |activation| */
    double max_ratio;        /* largest |activation| / its chunk's median |activation| */
    uint64_t n_massive_100;  /* |a| > 100 and > 100 x the chunk's median */
    uint64_t n_massive_1000; /* |a| > 100 and > 1000 x the chunk's median */
    int n_top;               /* entries of top */
    aniso_massive top[ANISO_TOP_MASSIVE]; /* the largest |activations|, at most one per token */
    /* share of lambda_1 (of the measured rows) carried by the 1, 10 and
     * n_sequences rows of largest norm (as many as there are first tokens);
     * NaN once the layer holds moments */
    double top_norm_share[3];
    uint64_t n_sequences;
} aniso_layer_tokens;

/* Everything above for one profile. Arrays are per measured layer. */
typedef struct aniso_evidence {
    aniso_bootstrap boot;
    /* nulls, the same metrics on matrices with the layer's n and d: an
     * isotropic Gaussian (one for every layer with that n and d), and the
     * layer's rows with each column permuted independently; NULL: none */
    const aniso_layer_metrics *null_iso, *null_perm;
    const char *null_iso_method, *null_perm_method;
    /* the calibrated shape test (shape.h) on the profile */
    aniso_shape_result shape;
    /* the profile without each sequence's first token, measured in the
     * same run (NULL: the mask leaves it out already) */
    const aniso_layer_metrics *nofirst;
    const char *nofirst_why; /* why it is NULL */
    aniso_profile_analysis nofirst_analysis;
    aniso_shape_result nofirst_shape;
    aniso_bootstrap nofirst_boot;
    uint64_t nofirst_tokens; /* rows of the profile without first tokens */
    /* token-level controls (NULL: none, and tokens_why says why) */
    const aniso_layer_tokens *tokens;
    const char *tokens_why;
} aniso_evidence;

/* The units of bootstrap replicate b: idx[b * n_units + k], k < n_units,
 * drawn with replacement by the generator of docs/METRICS.md ("Random
 * numbers") seeded with seed, replicate after replicate. */
void aniso_bootstrap_indices(uint64_t seed, int n_boot, uint64_t n_units, uint32_t *idx);

/* The interval of a statistic from its n_boot replicates rep[] and its
 * value on the whole sample: the percentile interval at level (numpy's
 * linear quantiles at (1 - level) / 2 and (1 + level) / 2), the standard
 * error, and, with jack (n_jack leave-one-unit-out values), the BCa
 * interval as scipy.stats.bootstrap computes it. A NaN replicate leaves the
 * intervals NaN (n_valid says how many had a value). */
void aniso_interval_compute(const double *rep, int n_boot, double estimate, const double *jack,
                            uint64_t n_jack, double level, aniso_interval *out);
/* The same for a whole-number statistic (L*; a replicate of -1 has no
 * value): nearest ranks outward. */
void aniso_interval_discrete(const int *rep, int n_boot, int estimate, double level,
                             aniso_interval *out);

#ifdef __cplusplus
}
#endif
#endif
