/* analysis_int.h - internals shared by the analysis sources. */
#ifndef ANISO_ANALYSIS_INT_H
#define ANISO_ANALYSIS_INT_H

#include <stddef.h>

#include "aniso/analysis.h"

/* a (m x m) = Xc Xc^T / (n-1) when gram (m = n), else Xc^T Xc / (n-1) (m = d);
 * xc is n x d row-major. Only the upper triangle (column-major) is needed. */
void gram_or_cov(double *a, const double *xc, size_t n, size_t d, int gram);

/* mu (d) = the mean of the n rows of x (n x d, row-major). */
void column_mean(double *mu, const double *x, size_t n, size_t d);
/* dot (n) = x . mu, row by row. */
void row_dots(double *dot, const double *x, const double *mu, size_t n, size_t d);

/* All d eigenvalues of the covariance of the centred n x d matrix xc,
 * descending (not yet clamped). 0 on success. */
int spectrum_desc(const double *xc, size_t n, size_t d, double *out);

/* The spectral metrics (docs/METRICS.md section 2: clamping, variance, ratio,
 * effective rank, top-k shares, top eigenvalues) from all d eigenvalues of
 * the covariance, descending; eig is clamped in place. */
void metrics_from_spectrum(double *eig, size_t d, aniso_layer_metrics *out);
/* All m eigenvalues of the symmetric m x m matrix a (upper triangle,
 * row-major; destroyed), descending. 0 on success. */
int sym_eig_desc(double *a, size_t m, double *out);

#define METRIC_CLAMP 1e-10

/* Two-sided p-value of Student's t with df degrees of freedom. */
double t_two_sided_p(double t, double df);

#endif
