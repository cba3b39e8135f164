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

/* Q8_0 rows in groups of 16 by 8 values: rows g + i and g + 8 + i in the
 * two halves of one register, both 8 x 8 blocks transposed by the same
 * shuffles (which work within 128-bit lanes), each value the block's scale
 * times q as float32 (exact, the same bits as io/quants.c); a value is not
 * finite exactly when its block's scale is not (|d q| <= 65504 * 128), so
 * the scales answer. Other formats by the AVX2 packer; the rows of a
 * panel past its last whole group of 16 (the last panel of a matrix only)
 * by the portable code. */
static int pack_t_avx512(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                         int nr)
{
    size_t full = nj - nj % 16, ld = (size_t)nr;
    if (fmt != PACK_Q8_0 || !full) return pack_t_avx2(dst, rows, fmt, kc, nj, nr);
    /* the last 128 bits of each of two registers, in lane order: rows
     * g .. g + 7's values 0 .. 3 (lo) or 4 .. 7 (hi), then g + 8 .. g + 15's */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
                  hi =
                      _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    unsigned top = 0;
    for (size_t g = 0; g < full; g += 16) {
        const unsigned char *const *r = (const unsigned char *const *)(rows + g);
        for (size_t b = 0; b < kc / 32; b++) {
            __m512 d[8];
            for (int i = 0; i < 8; i++) {
                uint16_t h0, h1;
                memcpy(&h0, r[i] + b * 34, 2);
                memcpy(&h1, r[8 + i] + b * 34, 2);
                top = (h0 & 0x7fffu) > top ? h0 & 0x7fffu : top;
                top = (h1 & 0x7fffu) > top ? h1 & 0x7fffu : top;
                d[i] = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(_cvtsh_ss(h0)),
                                            _mm512_set1_ps(_cvtsh_ss(h1)));
            }
            for (size_t k = 0; k < 32; k += 8) {
                __m512 v[8];
                for (int i = 0; i < 8; i++) {
                    __m128i q = _mm_unpacklo_epi64(
                        _mm_loadl_epi64((const __m128i *)(const void *)(r[i] + b * 34 + 2 + k)),
                        _mm_loadl_epi64(
                            (const __m128i *)(const void *)(r[8 + i] + b * 34 + 2 + k)));
                    v[i] = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d[i]);
                }
                __m512 t0 = _mm512_unpacklo_ps(v[0], v[1]), t1 = _mm512_unpackhi_ps(v[0], v[1]),
                       t2 = _mm512_unpacklo_ps(v[2], v[3]), t3 = _mm512_unpackhi_ps(v[2], v[3]),
                       t4 = _mm512_unpacklo_ps(v[4], v[5]), t5 = _mm512_unpackhi_ps(v[4], v[5]),
                       t6 = _mm512_unpacklo_ps(v[6], v[7]), t7 = _mm512_unpackhi_ps(v[6], v[7]);
                __m512 s0 = _mm512_shuffle_ps(t0, t2, 0x44), s1 = _mm512_shuffle_ps(t0, t2, 0xee),
                       s2 = _mm512_shuffle_ps(t1, t3, 0x44), s3 = _mm512_shuffle_ps(t1, t3, 0xee),
                       s4 = _mm512_shuffle_ps(t4, t6, 0x44), s5 = _mm512_shuffle_ps(t4, t6, 0xee),
                       s6 = _mm512_shuffle_ps(t5, t7, 0x44), s7 = _mm512_shuffle_ps(t5, t7, 0xee);
                float *o = dst + (b * 32 + k) * ld + g;
                _mm512_storeu_ps(o, _mm512_permutex2var_ps(s0, lo, s4));
                _mm512_storeu_ps(o + ld, _mm512_permutex2var_ps(s1, lo, s5));
                _mm512_storeu_ps(o + 2 * ld, _mm512_permutex2var_ps(s2, lo, s6));
                _mm512_storeu_ps(o + 3 * ld, _mm512_permutex2var_ps(s3, lo, s7));
                _mm512_storeu_ps(o + 4 * ld, _mm512_permutex2var_ps(s0, hi, s4));
                _mm512_storeu_ps(o + 5 * ld, _mm512_permutex2var_ps(s1, hi, s5));
                _mm512_storeu_ps(o + 6 * ld, _mm512_permutex2var_ps(s2, hi, s6));
                _mm512_storeu_ps(o + 7 * ld, _mm512_permutex2var_ps(s3, hi, s7));
            }
        }
    }
    /* the other rows and the zero columns */
    int bad = full < ld ? pack_t_ld(dst + full, ld, rows + full, fmt, kc, nj - full, ld - full) : 0;
    return bad || top >= 0x7c00u;
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
    KERNELS_TABLE(CPU_VARIANT_AVX512, micro_h, pack_t16_avx2, pack_t_avx512, NULL);

/* AMX: these kernels, and bfloat16 weights' products on the tile units
 * (kern_amx.c). */
static const kernels table_amx =
    KERNELS_TABLE(CPU_VARIANT_AMX, micro_h, pack_t16_avx2, pack_t_avx512, amx_product_bf16);

const kernels *kernels_avx512(void)
{
    return &table;
}

const kernels *kernels_amx(void)
{
    return &table_amx;
}
