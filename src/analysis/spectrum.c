/* spectrum.c - eigenvalues of a symmetric matrix through LAPACK's dsyevd
 * (the one file that calls LAPACK), and the Gram / covariance route. */
#include <cblas.h>
#include <lapack.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis/analysis_int.h"

void column_mean(double *mu, const double *x, size_t n, size_t d)
{
    double *ones = malloc(n * sizeof *ones);
    if (!ones) { /* fall back to a plain loop */
        for (size_t j = 0; j < d; j++) mu[j] = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) mu[j] += x[i * d + j];
        for (size_t j = 0; j < d; j++) mu[j] /= (double)n;
        return;
    }
    for (size_t i = 0; i < n; i++) ones[i] = 1.0;
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 1.0 / (double)n, x, (int)d, ones, 1, 0.0,
                mu, 1);
    free(ones);
}

void row_dots(double *dot, const double *x, const double *mu, size_t n, size_t d)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, x, (int)d, mu, 1, 0.0, dot, 1);
}

void gram_or_cov(double *a, const double *xc, size_t n, size_t d, int gram)
{
    double alpha = 1.0 / (double)(n - 1);
    /* Row-major upper triangle = column-major lower triangle, for dsyevd. */
    if (gram)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)d, alpha, xc, (int)d, 0.0,
                    a, (int)n);
    else
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, alpha, xc, (int)d, 0.0,
                    a, (int)d);
}

/* dsyevd's workspace for an n x n problem (eigenvalues only): doubles and
 * ints; -1 when LAPACK refuses the query or the sizes do not fit an int. */
static int syevd_query(int n, int *lwork, int *liwork)
{
    char jobz = 'N', uplo = 'L';
    int lw = -1, liw = -1, info = 0, iw = 0, one = n > 1 ? n : 1;
    double wq = 0, a = 0, w = 0;
    LAPACK_dsyevd(&jobz, &uplo, &n, &a, &one, &w, &wq, &lw, &iw, &liw, &info);
    /* the optimal size comes back as a double: an int only when it fits */
    if (info || !(wq >= 1 && wq <= INT_MAX) || iw < 1) return -1;
    *lwork = (int)wq;
    *liwork = iw;
    return 0;
}

size_t sym_eig_work_bytes(size_t m)
{
    int lw, liw;
    if (m > INT_MAX || syevd_query((int)m, &lw, &liw)) return 0;
    return (size_t)lw * sizeof(double) + (size_t)liw * sizeof(int) + m * sizeof(double);
}

/* Eigenvalues (ascending) of the n x n symmetric matrix a (lower triangle in
 * column-major terms; a is destroyed). 0, or an EIG_* code. */
static int syevd(double *a, size_t m, double *w)
{
    if (m > INT_MAX / 2) return EIG_TOO_LARGE;
    /* LAPACK does not promise to stop on NaN: it may loop or return garbage */
    for (size_t i = 0; i < m; i++)
        for (size_t j = i; j < m; j++)
            if (!isfinite(a[i * m + j])) return EIG_NOT_FINITE;
    char jobz = 'N', uplo = 'L';
    int n = (int)m, lwork, liwork, info = 0;
    if (syevd_query(n, &lwork, &liwork)) return EIG_TOO_LARGE;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    int rc = EIG_NO_MEMORY;
    if (work && iwork) {
        LAPACK_dsyevd(&jobz, &uplo, &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
        rc = info ? EIG_NO_CONVERGENCE : 0;
    }
    free(work);
    free(iwork);
    return rc;
}

int sym_eig_desc(double *a, size_t m, double *out)
{
    double *w = malloc(m * sizeof *w);
    int rc = w ? syevd(a, m, w) : EIG_NO_MEMORY;
    for (size_t i = 0; i < m && rc == 0; i++) out[i] = w[m - 1 - i];
    free(w);
    return rc;
}

aniso_status eig_error(int rc, size_t rows, size_t cols, aniso_error *err)
{
    switch (rc) {
    case EIG_NO_MEMORY:
        return aniso_error_set(err, ANISO_NO_MEMORY,
                               "metrics: out of memory for the eigenvalues of the %zu x %zu "
                               "matrix",
                               rows, cols);
    case EIG_TOO_LARGE:
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "metrics: a %zu x %zu matrix is too large for LAPACK's dsyevd "
                               "(int sizes)",
                               rows, cols);
    case EIG_NOT_FINITE:
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "metrics: the covariance of the %zu x %zu matrix holds non-finite "
                               "values (its rows are too large for float64, or not finite)",
                               rows, cols);
    default:
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "metrics: LAPACK's dsyevd did not converge on the covariance of "
                               "the %zu x %zu matrix",
                               rows, cols);
    }
}

int spectrum_desc(const double *xc, size_t n, size_t d, double *out)
{
    /* Gram route when n < d: G = Xc Xc^T / (n - 1), n x n; else C = Xc^T Xc / (n - 1). */
    int gram = n < d;
    size_t m = gram ? n : d;
    double *a = malloc(m * m * sizeof *a), *w = malloc(m * sizeof *w);
    int rc = EIG_NO_MEMORY;
    if (!a || !w) goto out;
    gram_or_cov(a, xc, n, d, gram);
    if ((rc = syevd(a, m, w))) goto out;
    for (size_t i = 0; i < m; i++) out[i] = w[m - 1 - i];
    for (size_t i = m; i < d; i++) out[i] = 0.0; /* the null space, exactly */
    rc = 0;
out:
    free(a);
    free(w);
    return rc;
}

int sym_top_eigvec(double *a, size_t m, double *vec)
{
    if (m > INT_MAX / 2) return EIG_TOO_LARGE;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i; j < m; j++)
            if (!isfinite(a[i * m + j])) return EIG_NOT_FINITE;
    char jobz = 'V', range = 'I', uplo = 'L';
    int n = (int)m, il = n, iu = n, found = 0, info = 0, lwork = -1, liwork = -1, iwq = 0, sup[2];
    double vl = 0, vu = 0, abstol = 0, w = 0, wq = 0;
    LAPACK_dsyevr(&jobz, &range, &uplo, &n, a, &n, &vl, &vu, &il, &iu, &abstol, &found, &w, vec, &n,
                  sup, &wq, &lwork, &iwq, &liwork, &info);
    if (info || !(wq >= 1 && wq <= INT_MAX) || iwq < 1) return EIG_TOO_LARGE;
    lwork = (int)wq;
    liwork = iwq;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork), rc = EIG_NO_MEMORY;
    if (work && iwork) {
        LAPACK_dsyevr(&jobz, &range, &uplo, &n, a, &n, &vl, &vu, &il, &iu, &abstol, &found, &w, vec,
                      &n, sup, work, &lwork, iwork, &liwork, &info);
        rc = info || found != 1 ? EIG_NO_CONVERGENCE : 0;
    }
    free(work);
    free(iwork);
    return rc;
}
