/* kern_generic.c - the portable reference kernels: plain C for the
 * compiler's baseline instruction set. */
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "kernels/kernels.h"

enum { MR = 4, NR = 16 };

static void micro(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load)
{
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) acc[i][j] = load ? c[(size_t)i * ldc + j] : 0.0f;
    for (size_t k = 0; k < kc; k++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
    for (int i = 0; i < MR; i++) memcpy(c + (size_t)i * ldc, acc[i], sizeof acc[i]);
}

static void f16(float *out, const void *in, size_t n)
{
    f16_run(out, in, 0, n);
}

static void bf16(float *out, const void *in, size_t n)
{
    bf16_run(out, in, 0, n);
}

void pack_t_generic(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                    int nr)
{
    for (size_t j = 0; j < (size_t)nr; j++) {
        float *d = dst + j;
        if (j >= nj) {
            for (size_t k = 0; k < kc; k++) d[k * (size_t)nr] = 0;
            continue;
        }
        const unsigned char *p = rows[j];
        for (size_t k = 0; k < kc; k++) {
            uint16_t h;
            float v;
            if (fmt == PACK_F32) {
                memcpy(&v, p + 4 * k, 4);
            } else {
                memcpy(&h, p + 2 * k, 2);
                v = fmt == PACK_F16 ? f16_to_f32(h) : bf16_to_f32(h);
            }
            d[k * (size_t)nr] = v;
        }
    }
}

#define ACT_NAME act
#include "kernels/act_body.h"

static const kernels table = {CPU_GENERIC, MR, NR, micro, f16, bf16, pack_t_generic, act};

const kernels *kernels_generic(void)
{
    return &table;
}
