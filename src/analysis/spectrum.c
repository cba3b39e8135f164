/* spectrum.c - eigenvalues of a symmetric matrix through LAPACK's dsyevd
 * (the one file that calls LAPACK), and the Gram / covariance route. */
#include <cblas.h>
#include <lapack.h>
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

/* Eigenvalues (ascending) of the n x n symmetric matrix a (lower triangle in
 * column-major terms; a is destroyed). 0 on success. */
static int syevd(double *a, int n, double *w)
{
    char jobz = 'N', uplo = 'L';
    int lwork = -1, liwork = -1, info = 0, iw;
    double wq;
    LAPACK_dsyevd(&jobz, &uplo, &n, a, &n, w, &wq, &lwork, &iw, &liwork, &info);
    if (info) return -1;
    lwork = (int)wq;
    liwork = iw;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork)
        info = -1;
    else
        LAPACK_dsyevd(&jobz, &uplo, &n, a, &n, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    return info ? -1 : 0;
}

int sym_eig_desc(double *a, size_t m, double *out)
{
    double *w = malloc(m * sizeof *w);
    int rc = w ? syevd(a, (int)m, w) : -1;
    for (size_t i = 0; i < m && rc == 0; i++) out[i] = w[m - 1 - i];
    free(w);
    return rc;
}

int spectrum_desc(const double *xc, size_t n, size_t d, double *out)
{
    /* Gram route when n < d: G = Xc Xc^T / (n - 1), n x n; else C = Xc^T Xc / (n - 1). */
    int gram = n < d;
    size_t m = gram ? n : d;
    double *a = malloc(m * m * sizeof *a), *w = malloc(m * sizeof *w);
    int rc = -1;
    if (!a || !w) goto out;
    gram_or_cov(a, xc, n, d, gram);
    if (syevd(a, (int)m, w)) goto out;
    for (size_t i = 0; i < m; i++) out[i] = w[m - 1 - i];
    for (size_t i = m; i < d; i++) out[i] = 0.0; /* the null space, exactly */
    rc = 0;
out:
    free(a);
    free(w);
    return rc;
}
