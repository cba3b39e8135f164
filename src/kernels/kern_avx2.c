/* kern_avx2.c - AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma
 * -mf16c; called only when the CPU has them). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "kernels/kernels.h"

enum { KC = GEMM_KC, MR = 6, NR = 16 };

/* The first R (1 .. 6) rows of a 6 x 16 tile: twelve accumulators, two
 * rows of b and one broadcast of a, 15 of the 16 registers, as named
 * variables (arrays of them were spilled); R constant where it is inlined,
 * so the rows past it are not computed. */
#define ROW_LOAD(i)                                                                                \
    __m256 c##i##0 = (i) < R && load ? _mm256_loadu_ps(c + (i)*ldc) : _mm256_setzero_ps(),         \
           c##i##1 = (i) < R && load ? _mm256_loadu_ps(c + (i)*ldc + 8) : _mm256_setzero_ps()
#define ROW_FMA(i)                                                                                 \
    if ((i) < R) {                                                                                 \
        __m256 ai = _mm256_broadcast_ss(a + (i));                                                  \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                                                \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                                                \
    }
#define ROW_STORE(i)                                                                               \
    if ((i) < R) _mm256_storeu_ps(c + (i)*ldc, c##i##0), _mm256_storeu_ps(c + (i)*ldc + 8, c##i##1)

static inline __attribute__((always_inline)) void
micro_rows(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load, const int R)
{
    ROW_LOAD(0);
    ROW_LOAD(1);
    ROW_LOAD(2);
    ROW_LOAD(3);
    ROW_LOAD(4);
    ROW_LOAD(5);
    for (size_t k = 0; k < kc; k++, a += MR, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        ROW_FMA(0)
        ROW_FMA(1)
        ROW_FMA(2)
        ROW_FMA(3)
        ROW_FMA(4)
        ROW_FMA(5)
    }
    ROW_STORE(0);
    ROW_STORE(1);
    ROW_STORE(2);
    ROW_STORE(3);
    ROW_STORE(4);
    ROW_STORE(5);
}

static void micro(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load,
                  int rows)
{
#define BODY(r) micro_rows(kc, a, b, c, ldc, load, r)
    switch (rows) {
        KERN_ROWS_TO_5(BODY)
    default:
        BODY(MR);
    }
#undef BODY
}

static void f16(float *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
    f16_run(out, in, i, n);
}

static void bf16(float *out, const void *in, size_t n)
{
    const unsigned char *p = in;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    bf16_run(out, in, i, n);
}

/* 8 values of a row from element k on, as float32; for Q8_0, *d is the
 * scale of the block that holds them. */
static inline __m256 load8(const void *row, pack_format fmt, size_t k, const float *d)
{
    const unsigned char *p = row;
    if (fmt == PACK_F32) return _mm256_loadu_ps((const float *)(p + 4 * k));
    if (fmt == PACK_Q8_0) {
        __m128i q = _mm_loadl_epi64((const __m128i *)(p + k / 32 * 34 + 2 + k % 32));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_broadcast_ss(d));
    }
    __m128i h = _mm_loadu_si128((const __m128i *)(p + 2 * k));
    if (fmt == PACK_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* The largest of most's and v's magnitudes as bits, lane by lane. */
static inline __m256i most8(__m256i most, __m256 v)
{
    return _mm256_max_epu32(
        most, _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7fffffff)));
}

static inline __m128i most4(__m128i most, __m128 v)
{
    return _mm_max_epu32(most, _mm_and_si128(_mm_castps_si128(v), _mm_set1_epi32(0x7fffffff)));
}

/* Values k0 .. kc of rows [j0, j1) by the portable code (element formats:
 * Q8_0's counts are whole blocks, multiples of 8); 1 when one is not
 * finite. */
static int pack_tail(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t k0,
                     size_t j0, size_t j1, int nr)
{
    if (k0 >= kc || j0 >= j1) return 0;
    const void *tail[KERN_MAX_NR];
    size_t es = fmt == PACK_F32 ? 4 : 2;
    for (size_t j = j0; j < j1; j++) tail[j - j0] = (const unsigned char *)rows[j] + es * k0;
    return pack_t_ld(dst + k0 * (size_t)nr + j0, (size_t)nr, tail, fmt, kc - k0, j1 - j0, j1 - j0);
}

/* Groups of 8 rows by 8 values: converted and transposed in registers (a
 * Q8_0 group's 8 scales converted once a block); float32 rows left over in
 * groups of 4 and 2; the rest (a partial group, the last values) by the
 * portable code. Each value's magnitude is kept as it passes, for the
 * answer. */
int pack_t_avx2(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj, int nr)
{
    size_t k8 = kc - kc % 8, full = nj - nj % 8;
    __m256i most = _mm256_setzero_si256();
    float d[8] = {0};
    for (size_t g = 0; g < full; g += 8) {
        const void *const *r = rows + g;
        for (size_t k = 0; k < k8; k += 8) {
            if (fmt == PACK_Q8_0 && k % 32 == 0)
                for (int i = 0; i < 8; i++) {
                    uint16_t h;
                    memcpy(&h, (const unsigned char *)r[i] + k / 32 * 34, 2);
                    d[i] = _cvtsh_ss(h);
                }
            __m256 v0 = load8(r[0], fmt, k, d), v1 = load8(r[1], fmt, k, d + 1),
                   v2 = load8(r[2], fmt, k, d + 2), v3 = load8(r[3], fmt, k, d + 3),
                   v4 = load8(r[4], fmt, k, d + 4), v5 = load8(r[5], fmt, k, d + 5),
                   v6 = load8(r[6], fmt, k, d + 6), v7 = load8(r[7], fmt, k, d + 7);
            most = most8(most8(most8(most8(most, v0), v1), v2), v3);
            most = most8(most8(most8(most8(most, v4), v5), v6), v7);
            __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1),
                   t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3),
                   t4 = _mm256_unpacklo_ps(v4, v5), t5 = _mm256_unpackhi_ps(v4, v5),
                   t6 = _mm256_unpacklo_ps(v6, v7), t7 = _mm256_unpackhi_ps(v6, v7);
            __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee),
                   s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee),
                   s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee),
                   s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);
            float *o = dst + k * (size_t)nr + g;
            _mm256_storeu_ps(o, _mm256_permute2f128_ps(s0, s4, 0x20));
            _mm256_storeu_ps(o + nr, _mm256_permute2f128_ps(s1, s5, 0x20));
            _mm256_storeu_ps(o + 2 * nr, _mm256_permute2f128_ps(s2, s6, 0x20));
            _mm256_storeu_ps(o + 3 * nr, _mm256_permute2f128_ps(s3, s7, 0x20));
            _mm256_storeu_ps(o + 4 * nr, _mm256_permute2f128_ps(s0, s4, 0x31));
            _mm256_storeu_ps(o + 5 * nr, _mm256_permute2f128_ps(s1, s5, 0x31));
            _mm256_storeu_ps(o + 6 * nr, _mm256_permute2f128_ps(s2, s6, 0x31));
            _mm256_storeu_ps(o + 7 * nr, _mm256_permute2f128_ps(s3, s7, 0x31));
        }
    }
    /* float32 rows left over (the activations' micro-panels of 12 or 6
     * rows): a group of 4 and one of 2, 4 values at a time */
    size_t done = full, k4 = kc - kc % 4;
    __m128i most_4 = _mm_setzero_si128();
    int bad = 0;
    if (fmt == PACK_F32 && nj - done >= 4) {
        const float *r0 = rows[done], *r1 = rows[done + 1], *r2 = rows[done + 2],
                    *r3 = rows[done + 3];
        for (size_t k = 0; k < k4; k += 4) {
            __m128 a = _mm_loadu_ps(r0 + k), b = _mm_loadu_ps(r1 + k), c = _mm_loadu_ps(r2 + k),
                   e = _mm_loadu_ps(r3 + k);
            most_4 = most4(most4(most4(most4(most_4, a), b), c), e);
            __m128 t0 = _mm_unpacklo_ps(a, b), t1 = _mm_unpackhi_ps(a, b),
                   t2 = _mm_unpacklo_ps(c, e), t3 = _mm_unpackhi_ps(c, e);
            float *o = dst + k * (size_t)nr + done;
            _mm_storeu_ps(o, _mm_movelh_ps(t0, t2));
            _mm_storeu_ps(o + nr, _mm_movehl_ps(t2, t0));
            _mm_storeu_ps(o + 2 * nr, _mm_movelh_ps(t1, t3));
            _mm_storeu_ps(o + 3 * nr, _mm_movehl_ps(t3, t1));
        }
        bad |= pack_tail(dst, rows, fmt, kc, k4, done, done + 4, nr);
        done += 4;
    }
    if (fmt == PACK_F32 && nj - done >= 2) {
        const float *r0 = rows[done], *r1 = rows[done + 1];
        for (size_t k = 0; k < k4; k += 4) {
            __m128 a = _mm_loadu_ps(r0 + k), b = _mm_loadu_ps(r1 + k);
            most_4 = most4(most4(most_4, a), b);
            __m128 lo = _mm_unpacklo_ps(a, b), hi = _mm_unpackhi_ps(a, b);
            float *o = dst + k * (size_t)nr + done;
            _mm_storel_pi((__m64 *)(void *)o, lo);
            _mm_storeh_pi((__m64 *)(void *)(o + nr), lo);
            _mm_storel_pi((__m64 *)(void *)(o + 2 * nr), hi);
            _mm_storeh_pi((__m64 *)(void *)(o + 3 * nr), hi);
        }
        bad |= pack_tail(dst, rows, fmt, kc, k4, done, done + 2, nr);
        done += 2;
    }
    /* the last values of the full groups, then the rest and the zero
     * columns (offsets into rows and dst) */
    bad |= pack_tail(dst, rows, fmt, kc, k8, 0, full, nr);
    if (done < (size_t)nr)
        bad |=
            pack_t_ld(dst + done, (size_t)nr, rows + done, fmt, kc, nj - done, (size_t)nr - done);
    __m256i inf = _mm256_set1_epi32(0x7f800000);
    most =
        _mm256_max_epu32(most, _mm256_inserti128_si256(_mm256_castsi128_si256(most_4), most_4, 1));
    return bad || _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(most, inf), most));
}

/* Groups of 16 rows by 8 values transposed in registers as 16-bit
 * integers, their magnitudes' bits kept for the answer (float16's
 * infinity 0x7c00, bfloat16's 0x7f80: every larger magnitude is a NaN);
 * the rest (the last panel of a weight whose rows are not a multiple of
 * 16) one value at a time. */
int pack_t16_avx2(uint16_t *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                  int nr)
{
    size_t ld = (size_t)nr, k8 = kc - kc % 8, full = nj - nj % 16;
    __m256i most = _mm256_setzero_si256(), mag = _mm256_set1_epi16(0x7fff);
    unsigned top = 0, inf = fmt == PACK_F16 ? 0x7c00u : 0x7f80u;
    /* 16 rows at a time: rows g + i in the low half of a register, g + 8 + i
     * in the high half, both 8 x 8 blocks transposed by the same unpacks
     * (which work within each half) */
    for (size_t g = 0; g < full; g += 16) {
        const unsigned char *const *r = (const unsigned char *const *)(rows + g);
        for (size_t k = 0; k < k8; k += 8) {
            __m256i a[8];
            for (int i = 0; i < 8; i++) {
                __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)(r[i] + 2 * k)),
                        hi = _mm_loadu_si128((const __m128i *)(const void *)(r[8 + i] + 2 * k));
                a[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
                most = _mm256_max_epu16(most, _mm256_and_si256(a[i], mag));
            }
            __m256i t0 = _mm256_unpacklo_epi16(a[0], a[1]), t1 = _mm256_unpackhi_epi16(a[0], a[1]),
                    t2 = _mm256_unpacklo_epi16(a[2], a[3]), t3 = _mm256_unpackhi_epi16(a[2], a[3]),
                    t4 = _mm256_unpacklo_epi16(a[4], a[5]), t5 = _mm256_unpackhi_epi16(a[4], a[5]),
                    t6 = _mm256_unpacklo_epi16(a[6], a[7]), t7 = _mm256_unpackhi_epi16(a[6], a[7]);
            __m256i s0 = _mm256_unpacklo_epi32(t0, t2), s1 = _mm256_unpackhi_epi32(t0, t2),
                    s2 = _mm256_unpacklo_epi32(t1, t3), s3 = _mm256_unpackhi_epi32(t1, t3),
                    s4 = _mm256_unpacklo_epi32(t4, t6), s5 = _mm256_unpackhi_epi32(t4, t6),
                    s6 = _mm256_unpacklo_epi32(t5, t7), s7 = _mm256_unpackhi_epi32(t5, t7);
            uint16_t *o = dst + k * ld + g;
            _mm256_storeu_si256((__m256i *)(void *)o, _mm256_unpacklo_epi64(s0, s4));
            _mm256_storeu_si256((__m256i *)(void *)(o + ld), _mm256_unpackhi_epi64(s0, s4));
            _mm256_storeu_si256((__m256i *)(void *)(o + 2 * ld), _mm256_unpacklo_epi64(s1, s5));
            _mm256_storeu_si256((__m256i *)(void *)(o + 3 * ld), _mm256_unpackhi_epi64(s1, s5));
            _mm256_storeu_si256((__m256i *)(void *)(o + 4 * ld), _mm256_unpacklo_epi64(s2, s6));
            _mm256_storeu_si256((__m256i *)(void *)(o + 5 * ld), _mm256_unpackhi_epi64(s2, s6));
            _mm256_storeu_si256((__m256i *)(void *)(o + 6 * ld), _mm256_unpacklo_epi64(s3, s7));
            _mm256_storeu_si256((__m256i *)(void *)(o + 7 * ld), _mm256_unpackhi_epi64(s3, s7));
        }
    }
    /* the groups' last values, the other rows and the zero columns */
    for (size_t j = 0; j < ld; j++)
        for (size_t k = j < full ? k8 : 0; k < kc; k++) {
            uint16_t h = 0;
            if (j < nj) memcpy(&h, (const unsigned char *)rows[j] + 2 * k, 2);
            top = (h & 0x7fffu) > top ? h & 0x7fffu : top;
            dst[k * ld + j] = h;
        }
    uint16_t m[16];
    _mm256_storeu_si256((__m256i *)(void *)m, most);
    for (int i = 0; i < 16; i++) top = m[i] > top ? m[i] : top;
    return top >= inf;
}

#define ACT_NAME         act
#define ACT_SOFTMAX_NAME softmax
#include "kernels/act_body.h"
#define QUANTS_DECODE_NAME dequant
#include "io/quants_body.h"
#define NORM_RMS_NAME rms_row
#define NORM_LN_NAME  ln_row
#include "kernels/norm_body.h"

static const kernels table = KERNELS_TABLE(CPU_VARIANT_AVX2, NULL, NULL, pack_t_avx2, NULL);

const kernels *kernels_avx2(void)
{
    return &table;
}
