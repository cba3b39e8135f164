/* analysis.h - the anisotropy metrics of one layer and the analysis of a
 * profile, exactly as docs/METRICS.md states them (float64 throughout).
 * This module sees only plain matrices and lists; it knows nothing of models. */
#ifndef ANISO_ANALYSIS_H
#define ANISO_ANALYSIS_H

#include <stddef.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ANISO_TOP_EIGS 100

/* The per-layer metrics, declared once (docs/METRICS.md section 2): this
 * list makes the struct's fields, the JSON keys of each layer object, the
 * reader of result files and the bootstrap's intervals. Each entry is
 * X(key, lo, hi, flags, title): key is the field and the JSON key, [lo, hi]
 * the values a measurement can take (what the reader accepts, rounding
 * allowed for), title what printouts and figures call it. The first ten
 * are the notebook's, in its order. */
#define ANISO_METRIC_ROWS     1u /* needs the rows themselves: NaN once they are not kept */
#define ANISO_METRIC_NOTEBOOK 2u /* one of the notebook's metrics */
#define ANISO_LAYER_METRICS(X)                                                                     \
    X(eigenvalue_variance, 0, 1e308, ANISO_METRIC_NOTEBOOK, "eigenvalue variance")                 \
    X(intrinsic_dim_ratio, 0, 1, ANISO_METRIC_NOTEBOOK, "lambda_1 / sum (intrinsic dim ratio)")    \
    X(effective_rank, 0, 1e308, ANISO_METRIC_NOTEBOOK, "effective rank")                           \
    X(avg_cos_sim_to_mean, -1, 1, ANISO_METRIC_NOTEBOOK, "cosine to the mean")                     \
    X(var_top1, 0, 1, ANISO_METRIC_NOTEBOOK, "variance share, top 1")                              \
    X(var_top10, 0, 1, ANISO_METRIC_NOTEBOOK, "variance share, top 10")                            \
    X(var_top50, 0, 1, ANISO_METRIC_NOTEBOOK, "variance share, top 50")                            \
    X(mean_norm, 0, 1e308, ANISO_METRIC_NOTEBOOK, "mean norm")                                     \
    X(std_norm, 0, 1e308, ANISO_METRIC_NOTEBOOK, "norm std")                                       \
    X(norm_cv, 0, 1e308, ANISO_METRIC_NOTEBOOK, "norm CV")                                         \
    X(participation_ratio, 0, 1e308, 0, "participation ratio (= Renyi-2 effective rank)")          \
    X(isoscore, 0, 1, 0, "IsoScore")                                                               \
    X(stable_rank, 0, 1e308, 0, "stable rank")                                                     \
    X(rankme, 0, 1e308, 0, "RankMe")                                                               \
    X(mean_pairwise_cosine, -1, 1, 0, "mean pairwise cosine")                                      \
    X(twonn_dimension, 0, 1e308, ANISO_METRIC_ROWS, "TwoNN intrinsic dimension")

typedef struct aniso_layer_metrics {
#define ANISO_METRIC_FIELD_(key, lo, hi, flags, title) double key;
    ANISO_LAYER_METRICS(ANISO_METRIC_FIELD_)
#undef ANISO_METRIC_FIELD_
    int n_eig;                          /* min(100, d) */
    double eigenvalues[ANISO_TOP_EIGS]; /* the largest clamped eigenvalues, descending */
} aniso_layer_metrics;

/* One entry of the list above, for code that walks it at run time
 * (aniso_metric_registry). */
typedef struct aniso_metric_info {
    const char *key, *title;
    size_t offset; /* of the double in aniso_layer_metrics */
    double lo, hi;
    unsigned flags; /* ANISO_METRIC_* */
} aniso_metric_info;

/* The list, in order; *n its length. */
const aniso_metric_info *aniso_metric_registry(int *n);
/* The value of metric i of the registry in m. */
double aniso_metric_value(const aniso_layer_metrics *m, int i);
/* The registry index of key, or -1. */
int aniso_metric_find(const char *key);

/* Metrics of the n x d row-major matrix X (n tokens, d dims); n >= 2. The
 * spectrum comes from the n x n Gram matrix when n < d (its nonzero
 * eigenvalues are the covariance's; the other d - n are exactly zero), else
 * from the d x d covariance, through LAPACK's dsyevd. */
aniso_status aniso_metrics_compute(const float *X, size_t n, size_t d, aniso_layer_metrics *out,
                                   aniso_error *err);

/* scipy.stats.linregress of y on x = 0, 1, ..., n-1. */
typedef struct aniso_linreg {
    double slope, intercept, r, p;
} aniso_linreg;

/* n < 2 gives slope 0, intercept 0, r 0, p 1 (the notebook's convention). */
void aniso_linregress(const double *y, size_t n, aniso_linreg *out);
/* The same on x[0..n) (x NULL: 0, 1, ..., n-1). */
void aniso_linregress_xy(const double *x, const double *y, size_t n, aniso_linreg *out);

/* The profile a model is compared with for flatness. */
typedef struct aniso_reference {
    char name[256];
    double profile_range, max_anisotropy;
    int L_star;
} aniso_reference;

/* The notebook's hard-coded Pythia-6.9B numbers. */
void aniso_reference_default(aniso_reference *ref);

typedef struct aniso_profile_analysis {
    int L_star;              /* argmax of the profile, first on ties */
    int is_bell_curve;       /* phase-1 slope > 0 and phase-2 slope < 0 */
    aniso_linreg phase1;     /* values[0 .. L*-1] */
    aniso_linreg phase2;     /* values[L* .. L] */
    double profile_variance; /* population variance */
    double profile_range;    /* max - min */
    double max_anisotropy;   /* values[L*] */
    int is_flatter;          /* range < reference range */
    double flatness_percent; /* (ref - range) / ref * 100 */
    int spectrum_layers[5];  /* 0, L* div 2, L*, (L* + L) div 2, L (duplicates kept) */
} aniso_profile_analysis;

/* Analyses the intrinsic-dimension-ratio profile values[0 .. n-1] (n = L+1). */
void aniso_profile_analyze(const double *values, int n, const aniso_reference *ref,
                           aniso_profile_analysis *out);
/* The same for a profile measured at some layers only: values[i] at layer
 * layers[i] (increasing; NULL: 0..n-1). L* and the spectrum layers are layer
 * numbers (the spectrum ones the measured layers nearest to 0, L* div 2, L*,
 * (L* + L) div 2 and L); the phases are regressed on the layer numbers. */
void aniso_profile_analyze_at(const int *layers, const double *values, int n,
                              const aniso_reference *ref, aniso_profile_analysis *out);

#ifdef __cplusplus
}
#endif
#endif
