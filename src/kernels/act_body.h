/* act_body.h - the MLP activations and attention's softmax in float32 as
 * PyTorch evaluates them, with exp and tanh computed in double and rounded
 * once (so within half an ulp of float32's correctly rounded values, as
 * glibc's expf and tanhf are within one) and erf in float32 within 1.32
 * ulp: written without branches so that each variant's compiler vectorises
 * them for its instruction set. Included by the kern_*.c files; ACT_NAME
 * and ACT_SOFTMAX_NAME name the functions it defines. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "aniso/model.h"
#include "kernels/kernels.h"

/* 1 / k!, the Taylor coefficients of exp. */
static const double act_inv_fact[12] = {1.0,         1.0,          0.5,           1.0 / 6,
                                        1.0 / 24,    1.0 / 120,    1.0 / 720,     1.0 / 5040,
                                        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800};

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
    double p = act_inv_fact[11];
    for (int i = 10; i >= 0; i--) p = p * r + act_inv_fact[i];
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

/* erf(z) in float32, branch-free so that it vectorises (the GELU of
 * Pythia and Gemma 1; glibc's erff is a scalar call): within 1.32 ulp of the
 * correctly rounded value at every float32 z (checked against erf in double
 * once over all of them, and at every 37th in tests/test_ops.c). Below
 * |z| = 1, z + z Q(z^2); from 1 to 4, 1 - exp(-z^2) G(z), where G
 * approximates erfc(z) exp(z^2); past 4 erf(z) rounds to +-1. Q and G are
 * Chebyshev interpolants rounded to float32, made by
 * tools/kernels/make_erf_coeffs.py 8 12 (relative errors 2e-9 and 7e-8);
 * the rest is rounding in the last few operations near |z| = 1. */
static const float erf_q[8] = {0x1.06eba8p-3f, -0x1.812746p-2f,  0x1.ce2f08p-4f,  -0x1.b829c8p-6f,
                               0x1.562a6p-8f,  -0x1.bccf66p-11f, 0x1.d88752p-14f, -0x1.445f4ap-17f};
static const float erf_g[12] = {0x1.afbb3ep-3f,  -0x1.c8ca44p-4f,  0x1.cba93p-5f,
                                -0x1.ba751ap-6f, 0x1.99146ap-7f,   -0x1.6cf598p-8f,
                                0x1.3deefp-9f,   -0x1.09b9bep-10f, 0x1.8208cep-12f,
                                -0x1.35277p-13f, 0x1.93dfe4p-14f,  -0x1.2b2c3ep-15f};

/* exp(-a^2) for 0 <= a <= 4: a^2 = h + l exactly enough (a split into
 * halves of 12 bits, whose squares and product float32 holds), -h = k ln2 +
 * r' (Cody and Waite, ln2 in two parts), exp(r' - l) by its Taylor series
 * to the 7th power (|r' - l| <= 0.35: relative error below 3e-9), times
 * 2^k from the exponent bits (k >= -24). */
static inline float act_exp_neg_sq(float a)
{
    const float shifter = 0x1.8p23f, ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    uint32_t ab;
    memcpy(&ab, &a, 4);
    ab &= 0xfffff000u;
    float ah, al;
    memcpy(&ah, &ab, 4);
    al = a - ah;
    float h = ah * ah, l = (ah + ah + al) * al;
    float kf = h * -0x1.715476p0f + shifter;
    uint32_t kb;
    memcpy(&kb, &kf, 4);
    kf -= shifter;
    float r = ((-h - kf * ln2_hi) - kf * ln2_lo) - l;
    float p = (float)act_inv_fact[7]; /* 1 / k! rounded to float32 as 1.0f / k! is */
    for (int i = 6; i >= 0; i--) p = p * r + (float)act_inv_fact[i];
    uint32_t sb = (kb + 127) << 23; /* kb's low bits hold 2^22 + k */
    float s;
    memcpy(&s, &sb, 4);
    return p * s;
}

static inline float act_erf(float z)
{
    float a = fabsf(z);
    a = a > 4.0f ? 4.0f : a; /* NaN stays NaN */
    float u = a * a, q = erf_q[7];
    for (int i = 6; i >= 0; i--) q = q * u + erf_q[i];
    float s = a * (1.0f / 1.5f) - 2.5f / 1.5f, g = erf_g[11];
    for (int i = 10; i >= 0; i--) g = g * s + erf_g[i];
    float small = a + a * q, large = 1.0f - act_exp_neg_sq(a) * g;
    return copysignf(a < 1.0f ? small : large, z);
}

static inline float act_gelu_erf(float x)
{
    return 0.5f * x * (1.0f + act_erf(x * 0.70710678118654752f));
}

/* Row s's columns [lo, hi) of attend_panel's scores: column j's keys are
 * the rows [b0 + j - w, b0 + j) (from row 0 when w = 0). */
static inline void act_keys_of(size_t s, size_t nq, size_t b0, size_t w, size_t *lo, size_t *hi)
{
    size_t h = !w ? nq : s + w + 1 > b0 ? s + w + 1 - b0 : 0, l = s + 1 > b0 ? s + 1 - b0 : 0;
    h = h < nq ? h : nq;
    *lo = l < h ? l : h;
    *hi = h;
}

/* Attention's probabilities in place, as transformers' eager attention
 * takes them in float32, for the nq queries whose scores are the columns
 * of x (rows are keys, nr floats apart, rows of them): column j's keys are
 * rows [b0 + j - w, b0 + j) (from row 0 when w = 0 or b0 + j <= w). There
 * each score is scaled (x * scale, then cap * tanh(x / cap) where cap > 0),
 * shifted by the column's largest, exponentiated (in double, rounded to
 * float32) and divided by the column's sum (in double, down the column; its
 * reciprocal rounded to float32); every other element is zero. Each loop
 * runs along a row, so that it vectorises across the queries. */
static void ACT_SOFTMAX_NAME(float *x, size_t nr, size_t rows, size_t nq, size_t b0, size_t w,
                             float scale, float cap)
{
    float mx[KERN_MAX_NR], inv[KERN_MAX_NR];
    double sum[KERN_MAX_NR];
    for (size_t j = 0; j < nr; j++) mx[j] = -INFINITY, sum[j] = 0;
    size_t lo, hi;
    for (size_t s = 0; s < rows; s++) {
        float *r = x + s * nr;
        act_keys_of(s, nq, b0, w, &lo, &hi);
        if (cap > 0)
            for (size_t j = lo; j < hi; j++) r[j] = cap * tanhf(r[j] * scale / cap);
        else
            for (size_t j = lo; j < hi; j++) r[j] *= scale;
        for (size_t j = lo; j < hi; j++) mx[j] = r[j] > mx[j] ? r[j] : mx[j];
    }
    for (size_t s = 0; s < rows; s++) {
        float *r = x + s * nr;
        act_keys_of(s, nq, b0, w, &lo, &hi);
        for (size_t j = lo; j < hi; j++) {
            r[j] = (float)act_exp((double)(r[j] - mx[j]));
            sum[j] += r[j];
        }
    }
    for (size_t j = 0; j < nq; j++) inv[j] = (float)(1.0 / sum[j]);
    for (size_t s = 0; s < rows; s++) {
        float *r = x + s * nr;
        act_keys_of(s, nq, b0, w, &lo, &hi);
        for (size_t j = 0; j < lo; j++) r[j] = 0;
        for (size_t j = lo; j < hi; j++) r[j] *= inv[j];
        for (size_t j = hi; j < nr; j++) r[j] = 0;
    }
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
