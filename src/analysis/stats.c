/* stats.c - scipy.stats.linregress on x = 0..n-1, with the t distribution
 * from GSL (the one file that includes it). */
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "analysis/analysis_int.h"

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
