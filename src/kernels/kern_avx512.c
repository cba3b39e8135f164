/* kern_avx512.c - AVX-512 (F, BW, VL) kernels (compiled with -mavx512f
 * -mavx512bw -mavx512vl -mfma -mf16c; called only when the CPU and the OS
 * have them). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "kernels/kernels.h"

enum { KC = GEMM_KC, MR = 12, NR = 32 };

/* 16 values of a panel's row as float32: float32 (h16 0), or float16 (1)
 * or bfloat16 (2) converted exactly. */
static inline __attribute__((always_inline)) __m512 load_b(const void *b, size_t at, int h16)
{
    if (!h16) return _mm512_loadu_ps((const float *)b + at);
    __m256i h = _mm256_loadu_si256((const __m256i *)(const void *)((const uint16_t *)b + at));
    if (h16 == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* The first R (1 .. 12) rows of a 12 x 32 tile: 24 accumulators, two rows
 * of b and one broadcast of a; h16 and R constant where it is inlined, so
 * the rows past R are not computed. */
static inline __attribute__((always_inline)) void micro_body(size_t kc, const float *a,
                                                             const void *b, float *c, size_t ldc,
                                                             int load, int h16, const int R)
{
    __m512 acc[MR][2];
    for (int i = 0; i < R; i++)
        for (int h = 0; h < 2; h++)
            acc[i][h] = load ? _mm512_loadu_ps(c + (size_t)i * ldc + 16 * h) : _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++, a += MR) {
        __m512 b0 = load_b(b, k * NR, h16), b1 = load_b(b, k * NR + 16, h16);
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    for (int i = 0; i < R; i++)
        for (int h = 0; h < 2; h++) _mm512_storeu_ps(c + (size_t)i * ldc + 16 * h, acc[i][h]);
}

/* micro_body with a body of its own for each count of rows. */
static inline __attribute__((always_inline)) void micro_any(size_t kc, const float *a,
                                                            const void *b, float *c, size_t ldc,
                                                            int load, int rows, int h16)
{
#define BODY(r) micro_body(kc, a, b, c, ldc, load, h16, r)
    switch (rows) {
        KERN_ROWS_TO_11(BODY)
    default:
        BODY(MR);
    }
#undef BODY
}

static void micro(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load,
                  int rows)
{
    micro_any(kc, a, b, c, ldc, load, rows, 0);
}

static void micro_h(size_t kc, const float *a, const uint16_t *b, float *c, size_t ldc, int load,
                    int rows, pack_format fmt)
{
    if (fmt == PACK_F16)
        micro_any(kc, a, b, c, ldc, load, rows, 1);
    else
        micro_any(kc, a, b, c, ldc, load, rows, 2);
}

static void f16(float *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i,
                         _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 2 * i))));
    f16_run(out, in, i, n);
}

static void bf16(float *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p + 2 * i)));
        _mm512_storeu_ps(out + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    bf16_run(out, in, i, n);
}

#define ACT_NAME         act
#define ACT_SOFTMAX_NAME softmax
#include "kernels/act_body.h"
#define QUANTS_DECODE_NAME dequant
#include "io/quants_body.h"
#define NORM_RMS_NAME rms_row
#define NORM_LN_NAME  ln_row
#include "kernels/norm_body.h"

static const kernels table =
    KERNELS_TABLE(CPU_VARIANT_AVX512, micro_h, pack_t16_avx2, pack_t_avx2, NULL);

/* AMX: these kernels, and bfloat16 weights' products on the tile units
 * (kern_amx.c). */
static const kernels table_amx =
    KERNELS_TABLE(CPU_VARIANT_AMX, micro_h, pack_t16_avx2, pack_t_avx2, amx_product_bf16);

const kernels *kernels_avx512(void)
{
    return &table;
}

const kernels *kernels_amx(void)
{
    return &table_amx;
}
