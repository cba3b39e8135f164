/* norm_body.h - one row of RMSNorm and of LayerNorm in float32 as
 * transformers evaluates them, the sums in double: written with eight
 * partial sums so that each variant's compiler vectorises them for its
 * instruction set (the sums' order differs from one running sum by double
 * rounding only). Included by the kern_*.c files; NORM_RMS_NAME and
 * NORM_LN_NAME name the functions it defines. */
#include <math.h>
#include <stddef.h>

enum { NORM_LANES = 8 };

/* sum of x[i]^2 (sq) or of x[i] - mu, in double */
static inline double norm_sum(const float *x, size_t n, double mu, int sq)
{
    double acc[NORM_LANES] = {0};
    size_t i = 0;
    for (; i + NORM_LANES <= n; i += NORM_LANES)
        for (int j = 0; j < NORM_LANES; j++) {
            double d = (double)x[i + j] - mu;
            acc[j] += sq ? d * d : d;
        }
    double s = 0;
    for (int j = 0; j < NORM_LANES; j++) s += acc[j];
    for (; i < n; i++) {
        double d = (double)x[i] - mu;
        s += sq ? d * d : d;
    }
    return s;
}

/* y = x / sqrt(mean(x^2) + eps) times w (Llama) or 1 + w (Gemma); y may
 * be x. */
static void NORM_RMS_NAME(float *y, const float *x, const float *w, size_t n, double eps, int gemma)
{
    float r = (float)(1.0 / sqrt(norm_sum(x, n, 0.0, 1) / (double)n + eps));
    if (gemma)
        for (size_t i = 0; i < n; i++) y[i] = x[i] * r * (1.0f + w[i]);
    else
        for (size_t i = 0; i < n; i++) y[i] = w[i] * (x[i] * r);
}

/* y = (x - mean) / sqrt(var + eps) * w + b; y may be x. */
static void NORM_LN_NAME(float *y, const float *x, const float *w, const float *b, size_t n,
                         double eps)
{
    double mu = norm_sum(x, n, 0.0, 0) / (double)n,
           r = 1.0 / sqrt(norm_sum(x, n, mu, 1) / (double)n + eps);
    for (size_t i = 0; i < n; i++) y[i] = (float)(((double)x[i] - mu) * r) * w[i] + b[i];
}
