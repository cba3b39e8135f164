/* quants_body.h - ggml's block decoders (see quants.c), included by
 * quants.c and by each kernel variant's file (kernels/kern_*.c), whose
 * compiler vectorises them for its instruction set: the same operations per
 * value, so the same bits. QUANTS_DECODE_NAME names the serial decoder it
 * defines: (type, source, destination, n values in whole blocks) -> 0, or
 * -1 for a type that is not a block quantization. */
#include <stdint.h>
#include <string.h>

#include "aniso/safetensors.h"
#include "base/half.h"

static float h2f(const unsigned char *p)
{
    return f16_to_f32((uint16_t)(p[0] | p[1] << 8));
}

static void q4_0(const unsigned char *b, float *y)
{
    float d = h2f(b);
    const unsigned char *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((qs[j] & 15) - 8) * d;
        y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
    }
}

static void q4_1(const unsigned char *b, float *y)
{
    float d = h2f(b), m = h2f(b + 2);
    const unsigned char *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(qs[j] & 15) * d + m;
        y[j + 16] = (float)(qs[j] >> 4) * d + m;
    }
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void q5_0(const unsigned char *b, float *y)
{
    float d = h2f(b);
    uint32_t qh = le32(b + 2);
    const unsigned char *qs = b + 6;
    for (int j = 0; j < 16; j++) {
        int x0 = (qs[j] & 15) | (int)((qh >> j) & 1) << 4;
        int x1 = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        y[j] = (float)(x0 - 16) * d;
        y[j + 16] = (float)(x1 - 16) * d;
    }
}

static void q5_1(const unsigned char *b, float *y)
{
    float d = h2f(b), m = h2f(b + 2);
    uint32_t qh = le32(b + 4);
    const unsigned char *qs = b + 8;
    for (int j = 0; j < 16; j++) {
        int x0 = (qs[j] & 15) | (int)((qh >> j) & 1) << 4;
        int x1 = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
        y[j] = (float)x0 * d + m;
        y[j + 16] = (float)x1 * d + m;
    }
}

static void q8_0(const unsigned char *b, float *y)
{
    float d = h2f(b);
    for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
}

/* The 6-bit scale and min of sub-block j of Q4_K/Q5_K. */
static void scale_min_k4(int j, const unsigned char *q, int *sc, int *mn)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *mn = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 15) | ((q[j - 4] >> 6) << 4);
        *mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

static void q4_k(const unsigned char *b, float *y)
{
    float d = h2f(b), dmin = h2f(b + 2);
    const unsigned char *scales = b + 4, *q = b + 16;
    for (int c = 0; c < 4; c++) {
        int sc, mn;
        scale_min_k4(2 * c, scales, &sc, &mn);
        float d1 = d * (float)sc, m1 = dmin * (float)mn;
        scale_min_k4(2 * c + 1, scales, &sc, &mn);
        float d2 = d * (float)sc, m2 = dmin * (float)mn;
        for (int l = 0; l < 32; l++) y[64 * c + l] = d1 * (float)(q[32 * c + l] & 15) - m1;
        for (int l = 0; l < 32; l++) y[64 * c + 32 + l] = d2 * (float)(q[32 * c + l] >> 4) - m2;
    }
}

static void q5_k(const unsigned char *b, float *y)
{
    float d = h2f(b), dmin = h2f(b + 2);
    const unsigned char *scales = b + 4, *qh = b + 16, *ql = b + 48;
    for (int c = 0; c < 4; c++) {
        int sc, mn;
        scale_min_k4(2 * c, scales, &sc, &mn);
        float d1 = d * (float)sc, m1 = dmin * (float)mn;
        scale_min_k4(2 * c + 1, scales, &sc, &mn);
        float d2 = d * (float)sc, m2 = dmin * (float)mn;
        for (int l = 0; l < 32; l++)
            y[64 * c + l] =
                d1 * (float)((ql[32 * c + l] & 15) + (((qh[l] >> (2 * c)) & 1) << 4)) - m1;
        for (int l = 0; l < 32; l++)
            y[64 * c + 32 + l] =
                d2 * (float)((ql[32 * c + l] >> 4) + (((qh[l] >> (2 * c + 1)) & 1) << 4)) - m2;
    }
}

static void q6_k(const unsigned char *b, float *y)
{
    float d = h2f(b + 208);
    for (int h = 0; h < 2; h++) {
        const unsigned char *ql = b + 64 * h, *qh = b + 128 + 32 * h;
        const int8_t *sc = (const int8_t *)(b + 192 + 8 * h);
        float *Y = y + 128 * h;
        for (int l = 0; l < 32; l++) {
            int i = l / 16;
            int q1 = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            Y[l] = d * (float)sc[i + 0] * (float)q1;
            Y[l + 32] = d * (float)sc[i + 2] * (float)q2;
            Y[l + 64] = d * (float)sc[i + 4] * (float)q3;
            Y[l + 96] = d * (float)sc[i + 6] * (float)q4;
        }
    }
}

static void q3_k(const unsigned char *b, float *y)
{
    const unsigned char *hm = b, *qs = b + 32, *s = b + 96;
    float d = h2f(b + 108);
    int sc[16];
    for (int i = 0; i < 16; i++) {
        int lo4 = i < 8 ? (s[i] & 15) : (s[i - 8] >> 4);
        int hi2 = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        sc[i] = (lo4 | hi2 << 4) - 32;
    }
    for (int h = 0; h < 2; h++) {
        const unsigned char *q = qs + 32 * h;
        for (int j = 0; j < 4; j++) {
            int k = 4 * h + j;
            float da = d * (float)sc[8 * h + 2 * j], db = d * (float)sc[8 * h + 2 * j + 1];
            for (int l = 0; l < 16; l++)
                y[128 * h + 32 * j + l] =
                    da * (float)(((q[l] >> (2 * j)) & 3) - (((hm[l] >> k) & 1) ? 0 : 4));
            for (int l = 0; l < 16; l++)
                y[128 * h + 32 * j + 16 + l] =
                    db * (float)(((q[l + 16] >> (2 * j)) & 3) - (((hm[l + 16] >> k) & 1) ? 0 : 4));
        }
    }
}

static void q2_k(const unsigned char *b, float *y)
{
    const unsigned char *scales = b, *qs = b + 16;
    float d = h2f(b + 80), dmin = h2f(b + 82);
    for (int h = 0; h < 2; h++) {
        const unsigned char *q = qs + 32 * h;
        for (int j = 0; j < 4; j++) {
            unsigned s = scales[8 * h + 2 * j];
            float da = d * (float)(s & 15), ma = dmin * (float)(s >> 4);
            for (int l = 0; l < 16; l++)
                y[128 * h + 32 * j + l] = da * (float)((q[l] >> (2 * j)) & 3) - ma;
            s = scales[8 * h + 2 * j + 1];
            float db = d * (float)(s & 15), mb = dmin * (float)(s >> 4);
            for (int l = 0; l < 16; l++)
                y[128 * h + 32 * j + 16 + l] = db * (float)((q[l + 16] >> (2 * j)) & 3) - mb;
        }
    }
}

static int QUANTS_DECODE_NAME(aniso_dtype dt, const void *src, float *dst, size_t n)
{
    void (*f)(const unsigned char *, float *);
    switch (dt) {
    case ANISO_DTYPE_Q4_0:
        f = q4_0;
        break;
    case ANISO_DTYPE_Q4_1:
        f = q4_1;
        break;
    case ANISO_DTYPE_Q5_0:
        f = q5_0;
        break;
    case ANISO_DTYPE_Q5_1:
        f = q5_1;
        break;
    case ANISO_DTYPE_Q8_0:
        f = q8_0;
        break;
    case ANISO_DTYPE_Q2_K:
        f = q2_k;
        break;
    case ANISO_DTYPE_Q3_K:
        f = q3_k;
        break;
    case ANISO_DTYPE_Q4_K:
        f = q4_k;
        break;
    case ANISO_DTYPE_Q5_K:
        f = q5_k;
        break;
    case ANISO_DTYPE_Q6_K:
        f = q6_k;
        break;
    default:
        return -1;
    }
    size_t be, bb;
    aniso_dtype_block(dt, &be, &bb);
    const unsigned char *p = src;
    for (size_t i = 0; i < n / be; i++) f(p + i * bb, dst + i * be);
    return 0;
}
