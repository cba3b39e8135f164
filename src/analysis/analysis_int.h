/* analysis_int.h - internals shared by the analysis sources. */
#ifndef ANISO_ANALYSIS_INT_H
#define ANISO_ANALYSIS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/analysis.h"

struct aniso_moments;

/* a (m x m) = Xc Xc^T / (n-1) when gram (m = n), else Xc^T Xc / (n-1) (m = d);
 * xc is n x d row-major. Only the upper triangle (column-major) is needed. */
void gram_or_cov(double *a, const double *xc, size_t n, size_t d, int gram);

/* mu (d) = the mean of the n rows of x (n x d, row-major). */
void column_mean(double *mu, const double *x, size_t n, size_t d);
/* dot (n) = x . mu, row by row. */
void row_dots(double *dot, const double *x, const double *mu, size_t n, size_t d);

/* What the eigensolvers return on failure (0 on success). */
enum {
    EIG_NO_MEMORY = -1,
    EIG_TOO_LARGE = -2,      /* beyond LAPACK's int sizes */
    EIG_NOT_FINITE = -3,     /* the matrix holds NaN or an infinity */
    EIG_NO_CONVERGENCE = -4, /* dsyevd's info > 0 */
};
/* The error for failure rc on the covariance of a rows x cols matrix. */
aniso_status eig_error(int rc, size_t rows, size_t cols, aniso_error *err);
/* The unit eigenvector of the largest eigenvalue of the symmetric m x m
 * matrix a (upper triangle, row-major; destroyed) into vec (m). 0, or an
 * EIG_* code. */
int sym_top_eigvec(double *a, size_t m, double *vec);
/* The share of lambda_1 (of m's rows) that the k[i] rows of largest norm
 * carry, for i < nk, into share[i]: sum of u_r^2 over those rows, u the top
 * eigenvector of the rows' centred Gram matrix. NaN once m holds moments. */
aniso_status moments_top_norm_share(const struct aniso_moments *m, const size_t *k, int nk,
                                    double *share, aniso_error *err);
/* The bytes sym_eig_desc and spectrum_desc allocate for the eigenvalues of
 * an m x m matrix besides the matrix (0 if unknown). */
size_t sym_eig_work_bytes(size_t m);

/* All d eigenvalues of the covariance of the centred n x d matrix xc,
 * descending (not yet clamped). 0, or an EIG_* code. */
int spectrum_desc(const double *xc, size_t n, size_t d, double *out);

/* The spectral metrics (docs/METRICS.md section 2: clamping, variance, ratio,
 * effective rank, top-k shares, top eigenvalues) from all d eigenvalues of
 * the covariance, descending; eig is clamped in place. */
void metrics_from_spectrum(double *eig, size_t d, uint64_t n, aniso_layer_metrics *out);

/* Every metric of the registry NaN (not measured), the rest zero. */
void metrics_nan(aniso_layer_metrics *out);
/* The spectral metrics from all d eigenvalues of the covariance of n rows
 * (descending; clamped in place), every other metric NaN. */
void metrics_spectral_only(double *eig, size_t d, uint64_t n, aniso_layer_metrics *out);

/* RankMe's epsilon (Garrido et al. 2023). */
#define RANKME_EPS 1e-7
/* TwoNN is measured on at most this many rows (its Gram matrix is n x n). */
#define TWONN_MAX_ROWS 8192

/* The mean cosine over pairs of distinct rows of n rows, n_nonzero of them
 * not zero, whose unit rows sum to a vector of squared norm unit_sq. */
double mean_pairwise_cosine(double unit_sq, double n_nonzero, double n);
/* TwoNN's maximum-likelihood dimension (m - 1) / sum log(r2 / r1) over the
 * m points pts[] (distinct rows; m >= 3, else NaN) from their Gram matrix g
 * (upper triangle, row-major, leading dimension ld; any centring or scale).
 * NaN when two distinct points coincide in floating point or every ratio
 * is 1. */
double twonn_from_gram(const double *g, size_t ld, const size_t *pts, size_t m);
/* Collapses equal rows of x (n x d, equal by value): rep[i] is the first row
 * equal to row i; pts[0 .. return) are the distinct rows (those with
 * rep[i] == i), increasing. */
size_t distinct_rows(const float *x, size_t n, size_t d, size_t *rep, size_t *pts);
/* All m eigenvalues of the symmetric m x m matrix a (upper triangle,
 * row-major; destroyed), descending. 0, or an EIG_* code. */
int sym_eig_desc(double *a, size_t m, double *out);

/* The bytes one layer's statistics (moments.c) hold while a run measures at
 * most max_rows rows (UINT64_MAX: unknown) in chunks of up to chunk_rows,
 * with row budget keep_rows and n_blocks bootstrap blocks (*resident), and the most that updating
 * them and computing their metrics allocates besides, one layer at a time
 * (*transient). */
void moments_bytes(int d, size_t keep_rows, uint64_t max_rows, size_t chunk_rows, int n_blocks,
                   uint64_t *resident, uint64_t *transient);

#define METRIC_CLAMP 1e-10

/* The metrics of m's rows with each column permuted independently (seeded;
 * *exact 1), or without the rows the spectral metrics of diag(C), the
 * permuted covariance's expectation (*exact 0; the others NaN). */
aniso_status moments_null_perm(const struct aniso_moments *m, uint64_t seed,
                               aniso_layer_metrics *out, int *exact, aniso_error *err);

/* Two-sided p-value of Student's t with df degrees of freedom. */
double t_two_sided_p(double t, double df);

#endif
