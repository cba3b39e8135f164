/* kern_generic.c - the portable reference kernels: plain C for the
 * compiler's baseline instruction set. */
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "kernels/kernels.h"

enum { KC = GEMM_KC, MR = 4, NR = 16 };

static void micro(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load,
                  int rows)
{
    float acc[MR][NR];
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = load ? c[(size_t)i * ldc + j] : 0.0f;
    for (size_t k = 0; k < kc; k++, a += MR, b += NR)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
    for (int i = 0; i < rows; i++) memcpy(c + (size_t)i * ldc, acc[i], sizeof acc[i]);
}

static void f16(float *out, const void *in, size_t n)
{
    f16_run(out, in, 0, n);
}

static void bf16(float *out, const void *in, size_t n)
{
    bf16_run(out, in, 0, n);
}

/* Value k of a row in format fmt. */
static float row_value(const unsigned char *p, pack_format fmt, size_t k)
{
    uint16_t h;
    float v;
    switch (fmt) {
    case PACK_F32:
        memcpy(&v, p + 4 * k, 4);
        return v;
    case PACK_Q8_0: {
        const unsigned char *b = p + k / 32 * 34;
        memcpy(&h, b, 2);
        return (float)(int8_t)b[2 + k % 32] * f16_to_f32(h);
    }
    default:
        memcpy(&h, p + 2 * k, 2);
        return fmt == PACK_F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
}

int pack_t_ld(float *dst, size_t ld, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
              size_t w)
{
    uint32_t most = 0; /* the largest magnitude's bits */
    for (size_t j = 0; j < w; j++) {
        float *d = dst + j;
        if (j >= nj) {
            for (size_t k = 0; k < kc; k++) d[k * ld] = 0;
            continue;
        }
        for (size_t k = 0; k < kc; k++) {
            float v = row_value(rows[j], fmt, k);
            uint32_t u;
            memcpy(&u, &v, 4);
            u &= 0x7fffffffu;
            most = u > most ? u : most;
            d[k * ld] = v;
        }
    }
    return most >= 0x7f800000u;
}

int pack_t_generic(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                   int nr)
{
    return pack_t_ld(dst, (size_t)nr, rows, fmt, kc, nj, (size_t)nr);
}

#define ACT_NAME         act
#define ACT_SOFTMAX_NAME softmax
#include "kernels/act_body.h"
#define QUANTS_DECODE_NAME dequant
#include "io/quants_body.h"
#define NORM_RMS_NAME rms_row
#define NORM_LN_NAME  ln_row
#include "kernels/norm_body.h"

static const kernels table = KERNELS_TABLE(CPU_GENERIC, NULL, NULL, pack_t_generic, NULL);

/* These kernels, and the AMX variant's bfloat16 products emulated
 * (kern_amx_emu.c). */
static const kernels table_amx_emulated =
    KERNELS_TABLE(CPU_VARIANT_AMX_EMULATED, NULL, NULL, pack_t_generic, amx_emulated_product_bf16);

const kernels *kernels_generic(void)
{
    return &table;
}

const kernels *kernels_amx_emulated(void)
{
    return &table_amx_emulated;
}
