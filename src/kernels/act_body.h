/* act_body.h - the MLP activations in float32 as PyTorch evaluates them,
 * with exp and tanh computed in double and rounded once (so within half an
 * ulp of float32's correctly rounded values, as glibc's expf and tanhf are
 * within one): written without branches so that each variant's compiler
 * vectorises them for its instruction set. Included by the kern_*.c files;
 * ACT_NAME and ACT_EXP_NAME name the functions it defines. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "aniso/model.h"

/* exp(z) for |z| <= 700: z = k ln2 + r, |r| <= ln2 / 2, exp(r) by its
 * Taylor series to r^11 (relative error below 1e-14), times 2^k built in
 * the exponent bits. */
static inline double act_exp(double z)
{
    const double shifter = 0x1.8p52, ln2_hi = 6.93147180369123816490e-01,
                 ln2_lo = 1.90821492927058770002e-10;
    z = z < -700.0 ? -700.0 : z > 700.0 ? 700.0 : z;
    double kd = z * 1.4426950408889634 + shifter; /* rounded to an integer */
    uint64_t kb;
    memcpy(&kb, &kd, 8);
    kd -= shifter;
    double r = (z - kd * ln2_hi) - kd * ln2_lo;
    double p = 1.0 / 39916800;
    p = p * r + 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t sb = (kb + 1023) << 52; /* kb's low bits hold 2^51 + k */
    double s;
    memcpy(&s, &sb, 8);
    return p * s;
}

/* tanh(x) rounded to float32: (e - 1) / (e + 1) with e = exp(2x) in
 * double (its cancellation costs at most 1e-11 relative for |x| >= 1e-5),
 * x - x^3 / 3 below that; +-1 past |x| = 10, where float32 holds no other
 * value. */
static inline float act_tanh(float xf)
{
    double x = xf < -10.0f ? -10.0 : xf > 10.0f ? 10.0 : (double)xf;
    double e = act_exp(2.0 * x), t = (e - 1.0) / (e + 1.0), small = x - x * x * x / 3.0;
    return (float)(fabs(x) < 1e-5 ? small : t);
}

static inline float act_silu(float x)
{
    return x / (1.0f + (float)act_exp(-(double)x));
}

static inline float act_gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + act_tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}

/* 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * pow(x, 3)))), one
 * rounding per tensor operation */
static inline float act_gelu_new(float x)
{
    float c = 0.044715f * (x * x * x), t = act_tanh(0.79788456080286536f * (x + c));
    return (0.5f * x) * (1.0f + t);
}

static inline float act_gelu_fast(float x)
{
    return 0.5f * x * (1.0f + act_tanh(x * 0.7978845608f * (1.0f + 0.044715f * x * x)));
}

static inline float act_gelu_erf(float x)
{
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

/* x[i] = exp(x[i] - mx) (the difference in float32, as the softmax takes
 * it), rounded to float32; returns their sum, added in order in double. */
static double ACT_EXP_NAME(float *x, size_t n, float mx)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)act_exp((double)(x[i] - mx));
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    return sum;
}

#define ACT_PIECE 256

/* y = act(g) * u, or act(g) when u is NULL; y may be g. In pieces through
 * a local buffer, so that the loops vectorise whatever y and g are. */
#define ACT_LOOP(F)                                                                                \
    for (size_t i0 = 0; i0 < n; i0 += ACT_PIECE) {                                                 \
        size_t m = n - i0 < ACT_PIECE ? n - i0 : ACT_PIECE;                                        \
        float a[ACT_PIECE];                                                                        \
        for (size_t i = 0; i < m; i++) a[i] = F(g[i0 + i]);                                        \
        if (u)                                                                                     \
            for (size_t i = 0; i < m; i++) y[i0 + i] = a[i] * u[i0 + i];                           \
        else                                                                                       \
            memcpy(y + i0, a, m * sizeof *a);                                                      \
    }

static void ACT_NAME(float *y, const float *g, const float *u, size_t n, aniso_act act)
{
    switch (act) {
    case ANISO_ACT_SILU:
        ACT_LOOP(act_silu)
        break;
    case ANISO_ACT_GELU:
        ACT_LOOP(act_gelu_erf)
        break;
    case ANISO_ACT_GELU_TANH:
        ACT_LOOP(act_gelu_tanh)
        break;
    case ANISO_ACT_GELU_NEW:
        ACT_LOOP(act_gelu_new)
        break;
    case ANISO_ACT_GELU_FAST:
        ACT_LOOP(act_gelu_fast)
        break;
    }
}
