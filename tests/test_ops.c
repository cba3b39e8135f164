/* test_ops.c - the forward pass's operations against scalar double
 * references on random inputs, and the half-precision conversions against
 * the compiler's own _Float16 (util.c) and the bfloat16 bit layout. (An internal
 * test: it includes src/ headers.) And the checks of non-finite values and of
 * memory (base/mem.c). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/half.h"
#include "base/mem.h"
#include "io/quants.h"
#include "kernels/kernels.h"
#include "model/ops.h"
#include "util.h"

/* The activations' source itself, compiled here for the checks below
 * that call its scalar functions directly. */
#define ACT_NAME         body_act
#define ACT_SOFTMAX_NAME body_softmax
#include "kernels/act_body.h"

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* A random index below n. */
static size_t urand_below(unsigned *s, size_t n)
{
    return (size_t)((urand(s) + 1.0) * 0.5 * (double)n) % n;
}

static void f16_all_values(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 65536; i++) {
        uint16_t b = (uint16_t)i;
        float want = test_f16_to_f32(b), got = f16_to_f32(b);
        if (want != want)
            assert_true(got != got);
        else
            assert_memory_equal(&want, &got, 4);
    }
}

static void bf16_values(void **state)
{
    (void)state;
    assert_true(bf16_to_f32(0x3f80) == 1.0f);
    assert_true(bf16_to_f32(0xc049) == -3.140625f);
    assert_true(bf16_to_f32(0x0001) == 0x1p-133f);
    assert_true(isinf(bf16_to_f32(0x7f80)));
}

/* A tensor view of a buffer in dtype dt made from float values. */
static aniso_tensor make_tensor(void *buf, const float *v, size_t n, aniso_dtype dt)
{
    for (size_t i = 0; i < n; i++) {
        if (dt == ANISO_DTYPE_F32) {
            ((float *)buf)[i] = v[i];
        } else if (dt == ANISO_DTYPE_F16) {
            uint16_t h = test_f32_to_f16(v[i]);
            memcpy((char *)buf + 2 * i, &h, 2);
        } else {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            uint16_t b = (uint16_t)(u >> 16);
            memcpy((char *)buf + 2 * i, &b, 2);
        }
    }
    aniso_tensor t = {.dtype = dt, .n_elem = n, .data = buf};
    return t;
}

/* The kernel variants this machine runs (the others are skipped, with a
 * line saying so, once per test program). */
static int variants(const kernels *out[CPU_VARIANT_COUNT])
{
    static int said;
    int n = 0;
    for (int v = 0; v < CPU_VARIANT_COUNT; v++) {
        char miss[160];
        if (kernels_built((cpu_variant)v) && cpu_variant_runs((cpu_variant)v))
            out[n++] = kernels_get((cpu_variant)v);
        else if (!said)
            printf("[ SKIPPED  ] kernel variant %s: %s\n", cpu_variant_name((cpu_variant)v),
                   kernels_built((cpu_variant)v)
                       ? cpu_variant_missing((cpu_variant)v, miss, sizeof miss)
                       : "not built");
    }
    said = 1;
    return n;
}

/* linear() on every variant and thread count against a double reference of
 * the same (rounded) weights, at shapes with partial tiles and blocks
 * (T past a block of A's rows, n_in past GEMM_KC, n_out not a multiple of any tile);
 * every variant within float32 rounding of the generic one; and a token's
 * row the same, bit for bit, whatever the other rows of its chunk. */
static void linear_matches_reference_at(int T, int n_in, int n_out)
{
    unsigned s = 7;
    double tol = 1e-4 * n_in / 300.0;
    float *x = malloc(sizeof(float) * T * n_in), *w = malloc(sizeof(float) * n_in * n_out);
    float *y = malloc(sizeof(float) * T * n_out), *y0 = malloc(sizeof(float) * T * n_out);
    float *y1 = malloc(sizeof(float) * 7 * n_out), *b = malloc(sizeof(float) * n_out);
    void *raw = malloc(sizeof(float) * n_in * n_out);
    for (int i = 0; i < T * n_in; i++) x[i] = (float)urand(&s);
    for (int i = 0; i < n_in * n_out; i++) w[i] = (float)urand(&s);
    for (int i = 0; i < n_out; i++) b[i] = (float)urand(&s);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    aniso_dtype dts[] = {ANISO_DTYPE_F32, ANISO_DTYPE_F16, ANISO_DTYPE_BF16};
    double *ref = malloc(sizeof(double) * T * n_out);
    float *wq = malloc(sizeof(float) * n_in * n_out); /* the rounded weights */
    for (int d = 0; d < 3; d++) {
        aniso_tensor W = make_tensor(raw, w, (size_t)n_in * n_out, dts[d]);
        W.n_dims = 2;
        W.shape[0] = n_out;
        W.shape[1] = n_in;
        to_f32(wq, &W, 0, (size_t)n_in * n_out);
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n_out; j++) {
                double r = b[j];
                for (int i = 0; i < n_in; i++) r += (double)x[t * n_in + i] * wq[j * n_in + i];
                ref[t * n_out + j] = r;
            }
        for (int v = 0; v < nv; v++)
            for (int nt = 1; nt <= 3; nt++) {
                float *work = malloc(sizeof(float) * linear_buffer_elems(ks[v], n_in, nt));
                nonfinite bad;
                linear(y, x, &W, b, T, n_in, n_out, ks[v], nt, work, &bad);
                assert_true(bad.at == SIZE_MAX);
                double maxerr = 0, maxdiff = 0;
                for (int i = 0; i < T * n_out; i++) {
                    double e = fabs(ref[i] - y[i]);
                    if (e > maxerr) maxerr = e;
                }
                /* sums of n_in products of magnitude <= 1: float32's
                 * rounding grows with n_in (1e-4 at 300) */
                if (maxerr >= tol)
                    fail_msg("%s, %d threads, dtype %d: error %g", cpu_variant_name(ks[v]->variant),
                             nt, d, maxerr);
                if (v == 0 && nt == 1) memcpy(y0, y, sizeof(float) * T * n_out);
                for (int i = 0; i < T * n_out; i++)
                    if (fabs((double)y[i] - y0[i]) > maxdiff) maxdiff = fabs((double)y[i] - y0[i]);
                assert_true(maxdiff < tol);
                /* rows 5 .. 11 alone: the same bits as within all T */
                linear(y1, x + 5 * n_in, &W, b, 7, n_in, n_out, ks[v], nt, work, NULL);
                assert_memory_equal(y1, y + 5 * n_out, sizeof(float) * 7 * n_out);
                free(work);
            }
    }
    free(ref), free(wq);
    free(x), free(w), free(y), free(y0), free(y1), free(b), free(raw);
}

static void linear_matches_reference(void **state)
{
    (void)state;
    linear_matches_reference_at((int)(GEMM_A_ELEMS / GEMM_KC) + 13, GEMM_KC + 44, 100);
    /* the bfloat16 products of the AMX variants (a depth that is a multiple
     * of 32, past a block of theirs; rows and columns past whole tiles) */
    linear_matches_reference_at(AMX_MC + 45, AMX_KC + 96, 70);
}

/* On a machine with AMX: the tile units' product against the emulated one
 * (bit for bit, or the self-check keeps the variant from being chosen by
 * itself: then at least within float32 rounding). */
static const unsigned char *rows_of(const void *ctx, size_t j)
{
    return (const unsigned char *)ctx + j * 2 * 160;
}

static void amx_against_emulation(void **state)
{
    (void)state;
    if (!cpu_variant_runs(CPU_VARIANT_AMX) || !kernels_built(CPU_VARIANT_AMX)) {
        skip();
        return;
    }
    enum { M = 70, N = 50, K = 160 };
    unsigned s = 5;
    float *a = malloc(sizeof(float) * M * K), *c1 = malloc(sizeof(float) * M * N),
          *c2 = malloc(sizeof(float) * M * N);
    uint16_t *w = malloc(2 * N * K);
    void *work = malloc(product_bf16_bytes(2));
    for (int i = 0; i < M * K; i++) a[i] = (float)urand(&s);
    for (int i = 0; i < N * K; i++) {
        float v = (float)urand(&s);
        uint32_t u;
        memcpy(&u, &v, 4);
        w[i] = (uint16_t)(u >> 16);
    }
    for (int nt = 1; nt <= 2; nt++) {
        amx_product_bf16(M, N, K, a, K, c1, N, rows_of, w, work, nt, NULL);
        amx_emulated_product_bf16(M, N, K, a, K, c2, N, rows_of, w, work, nt, NULL);
        double d = 0;
        for (int i = 0; i < M * N; i++)
            if (fabs((double)c1[i] - c2[i]) > d) d = fabs((double)c1[i] - c2[i]);
        printf("amx against its emulation, %d threads: max difference %g%s\n", nt, d,
               amx_matches_emulation() ? " (the self-check finds them equal)"
                                       : " (the self-check finds them different)");
        assert_true(d < 1e-4 * K / 300.0);
    }
    free(a), free(c1), free(c2), free(w), free(work);
}

/* n random values times scale into f (when not NULL), and the same as
 * float16 into h and as bfloat16 (truncated) into bh. */
static void random_halves(unsigned *s, float scale, float *f, uint16_t *h, uint16_t *bh, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = (float)urand(s) * scale;
        uint32_t u;
        memcpy(&u, &v, 4);
        if (f) f[i] = v;
        h[i] = test_f32_to_f16(v);
        bh[i] = (uint16_t)(u >> 16);
    }
}

/* pack_t of every variant against the portable one, bit for bit, for each
 * format, every row count up to the panel's width and partial value
 * counts. */
static void pack_formats(void **state)
{
    (void)state;
    unsigned s = 5;
    enum { ROWS = KERN_MAX_NR, KC = 77 };
    float f[ROWS * KC], want[KC * KERN_MAX_NR], got[KC * KERN_MAX_NR];
    uint16_t h[ROWS * KC], bh[ROWS * KC];
    random_halves(&s, 100, f, h, bh, ROWS * KC);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    /* panels of the weights (nr columns) and of the activations (mr) */
    for (int fmt = PACK_F32; fmt <= PACK_BF16; fmt++)
        for (int v = 0; v < nv; v++)
            for (int w = 0; w < 2; w++) {
                int nr = w ? ks[v]->mr : ks[v]->nr;
                for (size_t nj = 1; nj <= (size_t)nr; nj++)
                    for (size_t kc = 1; kc <= KC; kc += 7) {
                        const void *rows[KERN_MAX_NR];
                        for (size_t j = 0; j < nj; j++)
                            rows[j] = fmt == PACK_F32   ? (const void *)(f + j * KC)
                                      : fmt == PACK_F16 ? (const void *)(h + j * KC)
                                                        : (const void *)(bh + j * KC);
                        pack_t_generic(want, rows, (pack_format)fmt, kc, nj, nr);
                        memset(got, 0xff, sizeof got);
                        ks[v]->pack_t(got, rows, (pack_format)fmt, kc, nj, nr);
                        assert_memory_equal(want, got, kc * (size_t)nr * sizeof(float));
                    }
            }
}

/* Q8_0 rows packed in place: on every variant, bit for bit the rows
 * decoded by io/quants.c, then packed as float32 (scales of every binade,
 * subnormal and zero among them). */
static void pack_q8_0(void **state)
{
    (void)state;
    unsigned s = 6;
    enum { ROWS = KERN_MAX_NR, KQ = 96, BLOCK = 34 };
    static unsigned char raw[ROWS * KQ / 32 * BLOCK];
    static float dec[ROWS * KQ], want[KQ * KERN_MAX_NR], got[KQ * KERN_MAX_NR];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(urand(&s) * 127 + 128);
    for (size_t b = 0; b < sizeof raw / BLOCK; b++) {
        unsigned char *h = raw + b * BLOCK;
        h[1] &= 0xbb;                 /* a finite scale */
        if (b % 7 == 0) h[1] &= 0x83; /* subnormal or zero */
    }
    for (int r = 0; r < ROWS; r++)
        assert_int_equal(dequantize(ANISO_DTYPE_Q8_0, raw + r * KQ / 32 * BLOCK, dec + r * KQ, KQ),
                         0);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++)
        for (int w = 0; w < 2; w++) {
            int nr = w ? ks[v]->mr : ks[v]->nr;
            for (size_t nj = 1; nj <= (size_t)nr; nj++)
                for (size_t kc = 32; kc <= KQ; kc += 32) {
                    const void *q[KERN_MAX_NR], *f[KERN_MAX_NR];
                    for (size_t j = 0; j < nj; j++) {
                        q[j] = raw + j * KQ / 32 * BLOCK;
                        f[j] = dec + j * KQ;
                    }
                    assert_int_equal(pack_t_generic(want, f, PACK_F32, kc, nj, nr), 0);
                    memset(got, 0xff, sizeof got);
                    assert_int_equal(ks[v]->pack_t(got, q, PACK_Q8_0, kc, nj, nr), 0);
                    assert_memory_equal(want, got, kc * (size_t)nr * sizeof(float));
                }
        }
}

/* pack_t's answer on every variant and format: 1 with one infinity or
 * NaN among the values it packs (each in turn of several places), 0 with
 * none, or with one just past them (after the last value, in the next
 * row). */
static void pack_nonfinite(void **state)
{
    (void)state;
    unsigned s = 8;
    enum { ROWS = KERN_MAX_NR + 1, KC = 96 };
    static float f[ROWS * KC];
    static uint16_t h[ROWS * KC], bh[ROWS * KC];
    static unsigned char q[ROWS * KC / 32 * 34];
    static float got[KC * KERN_MAX_NR];
    random_halves(&s, 1e4f, f, h, bh, ROWS * KC);
    for (size_t i = 0; i < sizeof q; i++) q[i] = (unsigned char)(urand(&s) * 127 + 128);
    for (size_t b = 0; b < sizeof q / 34; b++) q[b * 34 + 1] &= 0xbb;
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int fmt = PACK_F32; fmt <= PACK_Q8_0; fmt++)
        for (int v = 0; v < nv; v++)
            for (int w = 0; w < 2; w++) {
                int nr = w ? ks[v]->mr : ks[v]->nr;
                for (size_t nj = 1; nj <= (size_t)nr; nj += 3)
                    for (size_t kc = fmt == PACK_Q8_0 ? 32 : 5; kc < KC; kc += 32)
                        for (int place = 0; place < 6; place++) {
                            /* places 0-3 packed, 4 past the last value, 5
                             * in the row past the last */
                            size_t j = place < 4   ? urand_below(&s, nj)
                                       : place < 5 ? nj - 1
                                                   : nj,
                                   k = place < 4 ? urand_below(&s, kc) : kc;
                            if (place == 5) k = 0;
                            const void *rows[KERN_MAX_NR];
                            size_t at = j * KC + k;
                            float f0 = f[at];
                            uint16_t h0 = h[at], b0 = bh[at];
                            unsigned char *qb = q + at / 32 * 34, q0 = qb[1];
                            int nan = place % 2;
                            f[at] = nan ? NAN : -INFINITY;
                            h[at] = nan ? 0x7e00 : 0xfc00;
                            bh[at] = nan ? 0x7fc1 : 0xff80;
                            qb[1] = 0x7c; /* the block's scale infinite */
                            for (size_t r = 0; r < nj; r++)
                                rows[r] = fmt == PACK_F32    ? (const void *)(f + r * KC)
                                          : fmt == PACK_F16  ? (const void *)(h + r * KC)
                                          : fmt == PACK_BF16 ? (const void *)(bh + r * KC)
                                                             : (const void *)(q + r * KC / 32 * 34);
                            int want = place < 4; /* Q8_0's place 4: the next block */
                            int ans = ks[v]->pack_t(got, rows, (pack_format)fmt, kc, nj, nr);
                            if (ans != want)
                                fail_msg("%s, format %d, %d columns: %zu rows, %zu values, "
                                         "not finite at (%zu, %zu): answered %d",
                                         cpu_variant_name(ks[v]->variant), fmt, nr, nj, kc, j, k,
                                         ans);
                            f[at] = f0, h[at] = h0, bh[at] = b0, qb[1] = q0;
                        }
            }
}

/* The blocked product against a double reference, with the variant's
 * depth and with GEMM_KC (whole blocks), on every variant. */
static void gemm_packers(void **state)
{
    (void)state;
    unsigned s = 3;
    size_t M = 37, N = 45, K = GEMM_KC + 3;
    double tol = 1e-4 * (double)K / 300.0; /* as in linear_matches_reference */
    float *a = malloc(sizeof(float) * M * K), *r = malloc(sizeof(float) * N * K),
          *c = malloc(sizeof(float) * M * N);
    for (size_t i = 0; i < M * K; i++) a[i] = (float)urand(&s);
    for (size_t i = 0; i < N * K; i++) r[i] = (float)urand(&s);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++) {
        float *work = malloc(sizeof(float) * gemm_work_elems(ks[v], 1));
        for (int whole = 0; whole < 2; whole++) {
            gemm_f32 g = {ks[v], r, K};
            gemm(ks[v], M, N, K, a, K, c, N, pack_rows, NULL, &g, work, 1, whole, PACK_F32);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double want = 0;
                    for (size_t k = 0; k < K; k++) want += (double)a[i * K + k] * r[j * K + k];
                    assert_true(fabs(want - c[i * N + j]) < tol);
                }
        }
        free(work);
    }
    free(a), free(r), free(c);
}

/* A test packer of 16-bit rows (N, K): the variant's pack_t16, or (f32)
 * its pack_t, which converts them. */
typedef struct rows16 {
    const kernels *k;
    const uint16_t *r;
    size_t K;
    pack_format fmt;
    int f32;
} rows16;

static void pack_rows16(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0,
                        size_t kc, int nr, int thread)
{
    const rows16 *g = ctx;
    const void *rows[KERN_MAX_NR];
    (void)scratch, (void)thread;
    for (size_t j = 0; j < nj; j++) rows[j] = g->r + (j0 + j) * g->K + k0;
    if (g->f32)
        g->k->pack_t(dst, rows, g->fmt, kc, nj, nr);
    else
        g->k->pack_t16((uint16_t *)(void *)dst, rows, g->fmt, kc, nj, nr);
}

/* Panels of float16 and bfloat16 values on every variant with micro_h:
 * the same bits as the converted panels, on shapes past whole tiles and
 * blocks, on one thread and two. */
static void gemm_half_panels(void **state)
{
    (void)state;
    unsigned s = 4;
    size_t M = 37, N = 45, K = GEMM_KC + 3;
    float *a = malloc(sizeof(float) * M * K), *c = malloc(sizeof(float) * M * N),
          *c32 = malloc(sizeof(float) * M * N);
    uint16_t *h = malloc(sizeof(uint16_t) * N * K), *bh = malloc(sizeof(uint16_t) * N * K);
    for (size_t i = 0; i < M * K; i++) a[i] = (float)urand(&s);
    random_halves(&s, 8, NULL, h, bh, N * K);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks), ran = 0;
    for (int v = 0; v < nv; v++) {
        if (!ks[v]->micro_h) continue;
        ran++;
        for (int nt = 1; nt <= 2; nt++) {
            float *work = malloc(sizeof(float) * gemm_work_elems(ks[v], nt));
            for (int fmt = PACK_F16; fmt <= PACK_BF16; fmt++) {
                rows16 g = {ks[v], fmt == PACK_F16 ? h : bh, K, (pack_format)fmt, 1};
                gemm(ks[v], M, N, K, a, K, c32, N, pack_rows16, NULL, &g, work, nt, 0, PACK_F32);
                g.f32 = 0;
                memset(c, 0xff, sizeof(float) * M * N);
                gemm(ks[v], M, N, K, a, K, c, N, pack_rows16, NULL, &g, work, nt, 0,
                     (pack_format)fmt);
                if (memcmp(c, c32, sizeof(float) * M * N))
                    fail_msg("%s, %d threads, format %d: not the converted panels' bits",
                             cpu_variant_name(ks[v]->variant), nt, fmt);
            }
            free(work);
        }
    }
    if (!ran) printf("[ SKIPPED  ] 16-bit panels: no variant here has them\n");
    free(a), free(c), free(c32), free(h), free(bh);
}

/* The micro-kernels' rows argument on every variant, for float32 panels
 * and (where the variant has them) 16-bit ones, with c loaded and not: the
 * first rows rows of c the bits of the whole tile's, the others as they
 * were (NaN, so that reading them would show too). */
static void micro_rows(void **state)
{
    (void)state;
    unsigned s = 5;
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    size_t kc = 67, ldc = KERN_MAX_NR + 3, mr_most = KERN_MAX_MR;
    float *a = malloc(sizeof(float) * kc * mr_most), *b = malloc(sizeof(float) * kc * KERN_MAX_NR),
          *c0 = malloc(sizeof(float) * mr_most * ldc),
          *whole = malloc(sizeof(float) * mr_most * ldc),
          *c = malloc(sizeof(float) * mr_most * ldc);
    uint16_t *h = malloc(sizeof(uint16_t) * kc * KERN_MAX_NR),
             *bh = malloc(sizeof(uint16_t) * kc * KERN_MAX_NR);
    for (size_t i = 0; i < kc * mr_most; i++) a[i] = (float)urand(&s);
    for (size_t i = 0; i < mr_most * ldc; i++) c0[i] = (float)urand(&s);
    random_halves(&s, 8, b, h, bh, kc * KERN_MAX_NR);
    for (int v = 0; v < nv; v++) {
        const kernels *k = ks[v];
        for (int fmt = PACK_F32; fmt <= PACK_BF16; fmt++) {
            if (fmt != PACK_F32 && !k->micro_h) continue;
            const uint16_t *b16 = fmt == PACK_F16 ? h : bh;
            for (int load = 0; load < 2; load++) {
                memcpy(whole, c0, sizeof(float) * mr_most * ldc);
                if (fmt == PACK_F32)
                    k->micro(kc, a, b, whole, ldc, load, k->mr);
                else
                    k->micro_h(kc, a, b16, whole, ldc, load, k->mr, (pack_format)fmt);
                for (int rows = 1; rows <= k->mr; rows++) {
                    for (size_t i = 0; i < mr_most * ldc; i++)
                        c[i] = i / ldc < (size_t)rows ? c0[i] : NAN;
                    if (fmt == PACK_F32)
                        k->micro(kc, a, b, c, ldc, load, rows);
                    else
                        k->micro_h(kc, a, b16, c, ldc, load, rows, (pack_format)fmt);
                    for (size_t i = 0; i < (size_t)k->mr * ldc; i++) {
                        size_t r = i / ldc, j = i % ldc;
                        int in = r < (size_t)rows && j < (size_t)k->nr;
                        int same = in ? !memcmp(&c[i], &whole[i], sizeof *c)
                                      : (r < (size_t)rows ? !memcmp(&c[i], &c0[i], sizeof *c)
                                                          : isnan(c[i]));
                        if (!same)
                            fail_msg("%s, format %d, load %d, rows %d: element (%zu, %zu)",
                                     cpu_variant_name(k->variant), fmt, load, rows, r, j);
                    }
                }
            }
        }
    }
    free(a), free(b), free(c0), free(whole), free(c), free(h), free(bh);
}

/* pack_t16 on every variant that has it: the rows' values as they are,
 * transposed, zero columns past the rows; its answer 1 with one infinity or
 * NaN among the packed values (several places in turn), 0 with none or
 * with one in the next row or past the last value. */
static void pack16_formats(void **state)
{
    (void)state;
    unsigned s = 12;
    enum { ROWS = KERN_MAX_NR + 1, KC = 77 };
    static uint16_t src[ROWS * KC], got[KC * KERN_MAX_NR];
    for (int i = 0; i < ROWS * KC; i++) src[i] = (uint16_t)(urand(&s) * 32767 + 32768) & 0xbbff;
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++) {
        if (!ks[v]->pack_t16) continue;
        int nr = ks[v]->nr;
        for (int fmt = PACK_F16; fmt <= PACK_BF16; fmt++)
            for (size_t nj = 1; nj <= (size_t)nr; nj++)
                for (size_t kc = 1; kc <= KC; kc += 7)
                    for (int place = 0; place < 4; place++) {
                        /* 0: none, 1: packed, 2: past the last value, 3:
                         * in the next row */
                        size_t j = place == 3 ? nj : urand_below(&s, nj),
                               k = place == 2   ? kc
                                   : place == 3 ? 0
                                                : urand_below(&s, kc);
                        size_t at = j * KC + k;
                        uint16_t keep = src[at];
                        if (place)
                            src[at] = fmt == PACK_F16 ? (place % 2 ? 0xfc00 : 0x7e01)
                                                      : (place % 2 ? 0x7f80 : 0xffc1);
                        const void *rows[KERN_MAX_NR];
                        for (size_t r = 0; r < nj; r++) rows[r] = src + r * KC;
                        memset(got, 0xee, sizeof got);
                        int ans = ks[v]->pack_t16(got, rows, (pack_format)fmt, kc, nj, nr);
                        for (size_t kk = 0; kk < kc; kk++)
                            for (size_t jj = 0; jj < (size_t)nr; jj++)
                                assert_int_equal(got[kk * nr + jj],
                                                 jj < nj ? src[jj * KC + kk] : 0);
                        if (ans != (place == 1))
                            fail_msg("%s, format %d: %zu rows, %zu values, not finite at "
                                     "(%zu, %zu): answered %d",
                                     cpu_variant_name(ks[v]->variant), fmt, nj, kc, j, k, ans);
                        src[at] = keep;
                    }
    }
}

static void finds_nonfinite(void **state)
{
    (void)state;
    float *v = calloc(10000, sizeof *v);
    for (int i = 0; i < 10000; i++) v[i] = i % 2 ? FLT_MAX : -0x1p-149f; /* finite extremes */
    assert_int_equal(first_nonfinite(v, 10000), 10000);
    size_t at[] = {0, 4095, 4096, 9999};
    float bad[] = {NAN, INFINITY, -INFINITY, -NAN};
    for (int k = 0; k < 4; k++) {
        float keep = v[at[k]];
        v[at[k]] = bad[k];
        assert_int_equal(first_nonfinite(v, 10000), at[k]);
        assert_int_equal(first_nonfinite(v, at[k]), at[k]); /* not within the first at[k] */
        v[at[k]] = keep;
    }
    v[7000] = NAN, v[5000] = INFINITY;
    assert_int_equal(first_nonfinite(v, 10000), 5000);
    /* large arrays are searched by every thread: still the first one */
    size_t n = 3u << 20;
    float *w = calloc(n, sizeof *w);
    assert_int_equal(first_nonfinite(w, n), n);
    w[n - 1] = NAN;
    assert_int_equal(first_nonfinite(w, n), n - 1);
    w[(n / 3) * 2] = INFINITY, w[n / 2 + 1] = -INFINITY;
    assert_int_equal(first_nonfinite(w, n), n / 2 + 1);
    w[5] = NAN;
    assert_int_equal(first_nonfinite(w, n), 5);
    free(w);
    assert_string_equal(nonfinite_name(NAN), "NaN");
    assert_string_equal(nonfinite_name(INFINITY), "Inf");
    assert_string_equal(nonfinite_name(-INFINITY), "-Inf");
    free(v);
}

/* linear() with a checker: the first non-finite weight, in the model's
 * element order, for every dtype and row layout, and file_index back to the
 * file's order; y is zeroed and nothing is multiplied. */
static void nonfinite_weights_on(const kernels *kg)
{
    unsigned s = 11;
    enum { T = 3, n_in = 64, n_out = 40, N = n_in * n_out };
    float x[T * n_in], w[N], y[T * n_out];
    unsigned char raw[4 * N];
    for (int i = 0; i < T * n_in; i++) x[i] = (float)urand(&s);
    float *wbuf = malloc(sizeof(float) * linear_buffer_elems(kg, n_in, 2));
    aniso_dtype dts[] = {ANISO_DTYPE_F32, ANISO_DTYPE_F16, ANISO_DTYPE_BF16};
    size_t pos[] = {0, 5 * n_in + 17, N - 1};
    for (int d = 0; d < 3; d++)
        for (int shifted = 0; shifted < 2; shifted++) /* float32 with a shift is converted */
            for (int k = 0; k < 3; k++) {
                for (int i = 0; i < N; i++) w[i] = (float)urand(&s);
                w[pos[k]] = k == 1 ? NAN : -INFINITY;
                aniso_tensor W = make_tensor(raw, w, N, dts[d]);
                W.n_dims = 2, W.shape[0] = n_out, W.shape[1] = n_in;
                W.shift = shifted ? -1.0f : 0.0f;
                for (int i = 0; i < T * n_out; i++) y[i] = 1;
                nonfinite bad;
                linear(y, x, &W, NULL, T, n_in, n_out, kg, 2, wbuf, &bad);
                assert_int_equal(bad.at, pos[k]);
                assert_true(k == 1 ? isnan(bad.v) : bad.v == -INFINITY);
                for (int i = 0; i < T * n_out; i++) assert_true(y[i] == 0);
                assert_int_equal(file_index(&W, 0, pos[k] / n_in, pos[k] % n_in, n_in), pos[k]);
                linear(y, x, &W, NULL, T, n_in, n_out, kg, 2, wbuf, NULL); /* unchecked: computed */
            }
    /* Q8_0: 34-byte blocks (a float16 scale, 32 int8); an infinite scale
     * makes its block's values non-finite (Inf times q, NaN where q is 0). */
    memset(raw, 0, sizeof raw);
    for (int b = 0; b < N / 32; b++) {
        unsigned char *blk = raw + 34 * b;
        blk[0] = 0x00, blk[1] = 0x3c; /* 1.0 */
        for (int j = 0; j < 32; j++) blk[2 + j] = (unsigned char)(j * 7 % 255);
    }
    /* block 37 (row 18, columns 32..63) scaled by +Inf */
    int bad_block = 37;
    raw[34 * bad_block] = 0x00, raw[34 * bad_block + 1] = 0x7c;
    aniso_tensor Q = {
        .dtype = ANISO_DTYPE_Q8_0, .n_dims = 2, .shape = {n_out, n_in}, .n_elem = N, .data = raw};
    nonfinite bad;
    linear(y, x, &Q, NULL, T, n_in, n_out, kg, 2, wbuf, &bad);
    assert_int_equal(bad.at, (size_t)bad_block * 32);
    assert_true(isnan(bad.v)); /* its first quant is 0 */
    /* Llama's q/k row permutation (GGUF): model row r is file row map_row(r). */
    for (int i = 0; i < N; i++) w[i] = (float)urand(&s);
    size_t file_row = 9, col = 5; /* head 1 of 8-row heads: model row 8 + 4 */
    w[file_row * n_in + col] = NAN;
    aniso_tensor P = make_tensor(raw, w, N, ANISO_DTYPE_F32);
    P.n_dims = 2, P.shape[0] = n_out, P.shape[1] = n_in;
    P.row_map = ANISO_ROWS_LLAMA_QK, P.map_dim = 8, P.map_heads = n_out / 8;
    linear(y, x, &P, NULL, T, n_in, n_out, kg, 2, wbuf, &bad);
    assert_true(bad.at != SIZE_MAX);
    assert_int_not_equal(bad.at / n_in, file_row); /* the model's order differs */
    assert_int_equal(file_index(&P, 0, bad.at / n_in, bad.at % n_in, n_in), file_row * n_in + col);
    /* GPT-2's Conv1D, stored (in, out) with 3 * n_out columns (a fused
     * c_attn), the view starting at column n_out (k): model element (r, c)
     * is stored element c * 3 n_out + n_out + r. */
    float *cw = malloc(sizeof(float) * 3 * N);
    for (int i = 0; i < 3 * N; i++) cw[i] = (float)urand(&s);
    size_t in_k = 33, out_j = 7;
    cw[in_k * 3 * n_out + n_out + out_j] = INFINITY;
    aniso_tensor C = {.dtype = ANISO_DTYPE_F32,
                      .n_dims = 2,
                      .shape = {n_out, n_in},
                      .n_elem = N,
                      .data = cw + n_out,
                      .row_map = ANISO_ROWS_CONV1D,
                      .map_dim = 3 * n_out};
    linear(y, x, &C, NULL, T, n_in, n_out, kg, 2, wbuf, &bad);
    assert_int_equal(bad.at, out_j * n_in + in_k);
    assert_int_equal(file_index(&C, n_out, out_j, in_k, n_in), in_k * 3 * n_out + n_out + out_j);
    free(cw);
    free(wbuf);
}

static void linear_finds_nonfinite_weights(void **state)
{
    (void)state;
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++) nonfinite_weights_on(ks[v]);
}

/* base/mem.c: sizes for messages, the check against a limit, and what the
 * system says is available. */
static void memory_checks(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(mem_str(512, b, sizeof b), "512 bytes");
    assert_string_equal(mem_str(100000, b, sizeof b), "97.7 KiB");
    assert_string_equal(mem_str(3435973837u, b, sizeof b), "3.2 GiB");
    assert_string_equal(mem_str((uint64_t)250 << 20, b, sizeof b), "250 MiB");
    aniso_error err;
    assert_int_equal(mem_check("profile", 1000, "forward 1 KiB", 1000, &err), ANISO_OK);
    assert_int_equal(mem_check("profile", (uint64_t)3435973837u,
                               "forward 1.1 GiB, analysis 2.1 GiB", (uint64_t)1610612736, &err),
                     ANISO_NO_MEMORY);
    assert_string_equal(err.msg, "profile needs about 3.2 GiB (forward 1.1 GiB, analysis 2.1 GiB); "
                                 "1.5 GiB is the limit (--max-memory to change the limit)");
    /* this machine: something, and no more than it has */
    uint64_t have = mem_available(), total = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) total = (uint64_t)kb * 1024;
    if (f) fclose(f);
    assert_true(have > 0 && have <= total);
    assert_int_equal(mem_check("forward", have / 2, NULL, 0, &err), ANISO_OK);
    assert_int_equal(mem_check("forward", total * 2, NULL, 0, &err), ANISO_NO_MEMORY);
    assert_non_null(strstr(err.msg, " is available (--max-memory to change the limit)"));
}

/* The norms on every variant against a double reference (lengths with
 * and without a remainder past the partial sums' lanes). */
static void norms_on(const kernels *k, int N)
{
    unsigned s = 11;
    enum { T = 3 };
    float *x = malloc(sizeof(float) * T * N), *w = malloc(sizeof(float) * N),
          *bias = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * T * N);
    for (int i = 0; i < T * N; i++) x[i] = (float)(3 * urand(&s));
    for (int i = 0; i < N; i++) w[i] = (float)urand(&s), bias[i] = (float)urand(&s);
    for (int gemma = 0; gemma < 2; gemma++) {
        rmsnorm(y, x, w, T, N, 1e-6, gemma, k);
        for (int t = 0; t < T; t++) {
            double ss = 0;
            for (int i = 0; i < N; i++) ss += (double)x[t * N + i] * x[t * N + i];
            double r = 1 / sqrt(ss / N + 1e-6);
            for (int i = 0; i < N; i++) {
                double ref = x[t * N + i] * r * (gemma ? 1.0 + w[i] : w[i]);
                assert_true(fabs(ref - y[t * N + i]) <= 1e-6 * (1 + fabs(ref)));
            }
        }
    }
    layernorm(y, x, w, bias, T, N, 1e-5, k);
    for (int t = 0; t < T; t++) {
        double mu = 0, var = 0;
        for (int i = 0; i < N; i++) mu += x[t * N + i];
        mu /= N;
        for (int i = 0; i < N; i++) var += (x[t * N + i] - mu) * (x[t * N + i] - mu);
        var /= N;
        for (int i = 0; i < N; i++) {
            double ref = (x[t * N + i] - mu) / sqrt(var + 1e-5) * w[i] + bias[i];
            assert_true(fabs(ref - y[t * N + i]) <= 1e-6 * (1 + fabs(ref)));
        }
    }
    free(x), free(w), free(bias), free(y);
}

static void norms_match_reference(void **state)
{
    (void)state;
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    int lens[] = {1, 7, 8, 64, 257, 2048};
    for (int v = 0; v < nv; v++)
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) norms_on(ks[v], lens[l]);
}

static void activations_match_reference(void **state)
{
    (void)state;
    enum { N = 4001 };
    float g[N], u[N], y[N];
    for (int i = 0; i < N; i++) g[i] = -10.0f + 20.0f * (float)i / (N - 1), u[i] = 0.5f;
    /* tiny arguments (tanh's series), large ones (exp's clamps) */
    g[1] = 1e-6f, g[2] = -2e-5f, g[3] = 3e-9f, g[4] = -120.0f, g[5] = 95.0f;
    aniso_act acts[] = {ANISO_ACT_SILU, ANISO_ACT_GELU, ANISO_ACT_GELU_TANH, ANISO_ACT_GELU_NEW,
                        ANISO_ACT_GELU_FAST};
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++)
        for (int a = 0; a < 5; a++)
            for (int with_u = 0; with_u < 2; with_u++) {
                act_apply(y, g, with_u ? u : NULL, N, acts[a], ks[v]);
                for (int i = 0; i < N; i++) {
                    double ref = act_scalar(g[i], acts[a]) * (with_u ? 0.5 : 1);
                    if (!(fabs(ref - y[i]) <= 4e-7 * (1 + fabs(ref))))
                        fail_msg("%s, activation %d at %g: %.9g, want %.9g",
                                 cpu_variant_name(ks[v]->variant), a, g[i], y[i], ref);
                }
                /* in place, as the MLP calls it */
                float z[N];
                memcpy(z, g, sizeof z);
                act_apply(z, z, with_u ? u : NULL, N, acts[a], ks[v]);
                assert_memory_equal(z, y, sizeof z);
            }
    /* erf and tanh GELU differ measurably (so the fixtures can tell them apart). */
    assert_true(fabs(act_scalar(-2.7, ANISO_ACT_GELU) - act_scalar(-2.7, ANISO_ACT_GELU_TANH)) >
                1e-4);
}

/* The largest error of f in float32 against ref in double at every 37th
 * float32 from 0 up to the bits end, with the sign bits sign, in ulps of
 * the correctly rounded value. */
static double worst_ulps(float (*f)(float), double (*ref)(double), uint32_t end, uint32_t sign)
{
    double worst = 0;
    for (uint32_t b = 0; b < end; b += 37) {
        uint32_t bs = b | sign;
        float z;
        memcpy(&z, &bs, 4);
        double want = ref((double)z);
        float wf = (float)want, ulp = fabsf(nextafterf(wf, INFINITY) - wf);
        double e = fabs(f(z) - want) / (wf == 0 ? FLT_TRUE_MIN : ulp);
        if (e > worst) worst = e;
    }
    return worst;
}

/* f, named name, within bound ulps of ref (worst_ulps), odd (at every 37th
 * float32 up to the bits end), 1 from sat on and at infinity, NaN kept,
 * the identity at the smallest subnormal and -0. */
static void odd_unit(const char *name, float (*f)(float), double (*ref)(double), uint32_t end,
                     float sat, double bound)
{
    double worst = worst_ulps(f, ref, end, 0);
    if (!(worst <= bound)) fail_msg("%s: %.3f ulp", name, worst);
    for (uint32_t b = 0; b < end; b += 37) {
        float z;
        memcpy(&z, &b, 4);
        if (f(-z) != -f(z)) fail_msg("%s: not odd at %.9g", name, z);
    }
    assert_true(f(sat) == 1.0f && f(-INFINITY) == -1.0f && f(1e30f) == 1.0f);
    assert_true(isnan(f(NAN)));
    assert_true(f(FLT_TRUE_MIN) == FLT_TRUE_MIN && signbit(f(-0.0f)));
}

/* Every variant's act on 3,001 points from -r to r gives the source's
 * bits. */
static void variants_agree(aniso_act act, float r)
{
    enum { N = 3001 };
    float g[N], want[N], got[N];
    for (int i = 0; i < N; i++) g[i] = -r + 2 * r * (float)i / (N - 1);
    body_act(want, g, NULL, N, act);
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (int v = 0; v < nv; v++) {
        ks[v]->act(got, g, NULL, N, act);
        assert_memory_equal(got, want, sizeof got);
    }
}

/* erf in float32 against glibc's erf in double: within 1.4 ulp of the
 * correctly rounded value at every 37th float32 from 0 to 4.5 (the whole
 * range has been checked this way with a stride of 1: 1.32 ulp at most,
 * near 0.9968), odd, +-1 past 4, NaN kept; and every variant's erf GELU
 * is the source's, bit for bit. */
static void erf_within_ulps(void **state)
{
    (void)state;
    odd_unit("erf", act_erf, erf, 0x40900000u, 5.0f, 1.4);
    variants_agree(ANISO_ACT_GELU, 8.0f);
}

/* tanh in float32 against glibc's tanh in double: within 1.2 ulp of the
 * correctly rounded value at every 37th float32 from 0 to 10 (the whole
 * range has been checked with a stride of 1: 1.13 ulp at most, near
 * 0.9959), odd, +-1 past 9.5, NaN kept; and every variant's tanh GELUs are
 * the source's, bit for bit. */
static void tanh_within_ulps(void **state)
{
    (void)state;
    odd_unit("tanh", act_tanh, tanh, 0x41200000u, 9.5f, 1.2);
    variants_agree(ANISO_ACT_GELU_TANH, 12.0f);
    variants_agree(ANISO_ACT_GELU_NEW, 12.0f);
    variants_agree(ANISO_ACT_GELU_FAST, 12.0f);
}

static double silu_ref(double x)
{
    return x / (1 + exp(-x));
}

/* SiLU in float32 against its formula in double: within 2.5 ulp of the
 * correctly rounded value at every 37th float32 of either sign up to 88.7
 * (the whole range has been checked with a stride of 1: 2.47 ulp at most,
 * near -16.68), -0 from -88.8 down as in PyTorch (whose exp overflows
 * there), x from 86 on, NaN kept; and every variant's SiLU is the
 * source's, bit for bit. */
static void silu_within_ulps(void **state)
{
    (void)state;
    double worst = fmax(worst_ulps(act_silu, silu_ref, 0x42b17000u, 0),
                        worst_ulps(act_silu, silu_ref, 0x42b17000u, 0x80000000u));
    if (!(worst <= 2.5)) fail_msg("silu: %.3f ulp", worst);
    assert_true(act_silu(-88.8f) == 0 && signbit(act_silu(-88.8f)) && act_silu(-88.0f) < 0);
    assert_true(act_silu(86.0f) == 86.0f && act_silu(INFINITY) == INFINITY);
    assert_true(isnan(act_silu(NAN)) && act_silu(0.0f) == 0);
    variants_agree(ANISO_ACT_SILU, 100.0f);
}

/* The softmax's exp in float32 against exp in double: within 1.25 ulp of
 * the correctly rounded value (in units of the smallest subnormal below
 * the normals) at every 37th float32 from -0 to -104 (the whole range has
 * been checked with a stride of 1: 1.22 ulp at most, near -71.05), the
 * same bits as act_expf_sub where normal, subnormal from -87.34 on, 0 below
 * -104 and at -infinity, 1 at 0, NaN kept. */
static void exp_weight_within_ulps(void **state)
{
    (void)state;
    double worst = worst_ulps(act_exp_weight, exp, 0x42d00001u, 0x80000000u);
    if (!(worst <= 1.25)) fail_msg("exp: %.3f ulp", worst);
    for (float z = -86.0f; z <= 0; z += 0.37f)
        if (act_exp_weight(z) != act_expf_sub(z, 0.0f)) fail_msg("exp: bits at %.9g", z);
    assert_true(act_exp_weight(0.0f) == 1.0f && act_exp_weight(-0.0f) == 1.0f);
    assert_true(act_exp_weight(-90.0f) > 0 && act_exp_weight(-90.0f) < FLT_MIN);
    assert_true(act_exp_weight(-103.9f) == FLT_TRUE_MIN && act_exp_weight(-104.0f) == 0);
    assert_true(act_exp_weight(-INFINITY) == 0 && isnan(act_exp_weight(NAN)));
}

/* Attention's probabilities on every variant (columns of queries, rows of
 * keys, with and without a window and a cap), against the same float32
 * steps (scale, cap, shift by the largest) followed by exp, sum and division
 * in double: within a relative 4.2e-7 (a weight's exp within 1.22 ulp, that
 * is 1.46e-7 relative at most; the sum's relative error, at most as large;
 * the roundings of the reciprocal and of the product, 6e-8 each) and two
 * smallest subnormals (the roundings where weights and probabilities are
 * subnormal), zero outside each query's keys, and the same bits as the
 * source compiled here. */
static void softmax_columns(void **state)
{
    (void)state;
    enum { NR = 32, ROWS = 700 };
    static float x[ROWS * NR], y[ROWS * NR], z[ROWS * NR], sc[ROWS * NR];
    static double d[ROWS * NR];
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    unsigned seed = 5;
    for (int i = 0; i < ROWS * NR; i++) x[i] = (float)(40.0 * urand(&seed));
    x[100 * NR + 3] = 60.0f;
    struct {
        size_t nq, b0, w;
        float scale, cap;
    } cases[] = {{32, ROWS - 31, 0, 0.17f, 0},
                 {32, ROWS - 31, 64, 0.0625f, 0},
                 {5, ROWS - 4, 0, 1.0f, 0},
                 {1, ROWS, 1, 0.3f, 0},
                 {32, ROWS - 31, 0, 0.17f, 50},
                 {17, ROWS - 16, 300, 0.7f, 30.0f},
                 {32, 1, 0, 0.5f, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t nq = cases[c].nq, b0 = cases[c].b0, w = cases[c].w, rows = b0 + nq - 1;
        float scale = cases[c].scale, cap = cases[c].cap;
        double sum[NR] = {0};
        for (size_t j = 0; j < nq; j++) {
            size_t hi = b0 + j, lo = w && hi > w ? hi - w : 0;
            float mx = -INFINITY;
            for (size_t s = lo; s < hi; s++) {
                float v = x[s * NR + j] * scale;
                /* the kernels' float32 tanh (tanh_within_ulps checks it
                 * against tanh in double) */
                if (cap > 0) v = cap * act_tanh(v / cap);
                sc[s * NR + j] = v;
                if (v > mx) mx = v;
            }
            for (size_t s = lo; s < hi; s++)
                sum[j] += d[s * NR + j] = exp((double)(sc[s * NR + j] - mx));
        }
        memcpy(z, x, sizeof z);
        body_softmax(z, NR, rows, nq, b0, w, scale, cap);
        for (int v = 0; v < nv; v++) {
            memcpy(y, x, sizeof y);
            ks[v]->softmax(y, NR, rows, nq, b0, w, scale, cap);
            for (size_t s = 0; s < rows; s++)
                for (size_t j = 0; j < NR; j++) {
                    size_t hi = b0 + j, lo = w && hi > w ? hi - w : 0;
                    float got = y[s * NR + j];
                    if (j >= nq || s < lo || s >= hi) {
                        assert_true(got == 0.0f);
                        continue;
                    }
                    double want = d[s * NR + j] / sum[j];
                    assert_true(fabs(got - want) <= 4.2e-7 * want + 2 * FLT_TRUE_MIN);
                }
            assert_memory_equal(y, z, rows * NR * sizeof *y);
        }
    }
}

/* Causal attention of one head on every variant, at lengths and head sizes
 * that are no multiple of any tile, with and without a window and a cap,
 * against attention in double from the same float32 inputs; the variants
 * with fused multiply-adds (avx2, avx512, amx) agree bit for bit, since
 * each output is the same chain of operations whatever the tiles. */
static void attention_matches_reference(void **state)
{
    (void)state;
    struct {
        size_t T;
        int D, window;
        float cap;
    } cases[] = {{1, 64, 0, 0},     {37, 80, 0, 0},      {300, 256, 0, 0},
                 {300, 128, 50, 0}, {100, 72, 0, 30.0f}, {70, 16, 1, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t T = cases[c].T, D = (size_t)cases[c].D, W = (size_t)cases[c].window;
        float cap = cases[c].cap, scale = 1.0f / sqrtf((float)D);
        unsigned seed = 11 + (unsigned)c;
        float *q = malloc(sizeof(float) * T * D * 5), *k = q + T * D, *v = k + T * D,
              *out = v + T * D, *first = out + T * D;
        double *ref = malloc(sizeof(double) * (T * D + T));
        for (size_t i = 0; i < 3 * T * D; i++) q[i] = (float)(2.0 * urand(&seed));
        for (size_t t = 0; t < T; t++) {
            size_t lo = W && t + 1 > W ? t + 1 - W : 0;
            double *p = ref + T * D, mx = -INFINITY, sum = 0;
            for (size_t s = lo; s <= t; s++) {
                double dot = 0;
                for (size_t i = 0; i < D; i++) dot += (double)q[t * D + i] * k[s * D + i];
                dot *= scale;
                if (cap > 0) dot = cap * tanh(dot / cap);
                p[s] = dot;
                mx = dot > mx ? dot : mx;
            }
            for (size_t s = lo; s <= t; s++) sum += p[s] = exp(p[s] - mx);
            for (size_t i = 0; i < D; i++) {
                double o = 0;
                for (size_t s = lo; s <= t; s++) o += p[s] / sum * v[s * D + i];
                ref[t * D + i] = o;
            }
        }
        const kernels *ks[CPU_VARIANT_COUNT];
        int nv = variants(ks), have_first = 0;
        for (int vi = 0; vi < nv; vi++) {
            const kernels *kern = ks[vi];
            float *kv = malloc(sizeof(float) * attn_kv_elems(kern, T, (int)D)),
                  *work = malloc(sizeof(float) * attn_work_elems(kern, T, (int)D));
            for (size_t i = 0; i < attn_pack_items(kern, T, (int)D); i++)
                attn_pack(kv, k, v, D, T, (int)D, kern, i);
            memset(out, 0xff, sizeof(float) * T * D);
            for (size_t q0 = 0; q0 < T; q0 += (size_t)kern->nr)
                attend_panel(out, q, D, kv, T, (int)D, q0, scale, cap, (int)W, work, kern);
            for (size_t i = 0; i < T * D; i++) assert_true(fabs(out[i] - ref[i]) < 2e-6);
            /* the amx-emulated table has the portable kernels but for its
             * bfloat16 product */
            if (kern->variant == CPU_VARIANT_AVX2 || kern->variant == CPU_VARIANT_AVX512 ||
                kern->variant == CPU_VARIANT_AMX) {
                if (have_first)
                    assert_memory_equal(out, first, sizeof(float) * T * D);
                else
                    memcpy(first, out, sizeof(float) * T * D), have_first = 1;
            }
            free(kv), free(work);
        }
        free(q), free(ref);
    }
}

/* Every variant's block decoders against io/quants.c's, bit for bit, on
 * random blocks of each type (their f16 scales made finite). */
static void decoders_agree(void **state)
{
    (void)state;
    aniso_dtype dts[] = {ANISO_DTYPE_Q4_0, ANISO_DTYPE_Q4_1, ANISO_DTYPE_Q5_0, ANISO_DTYPE_Q5_1,
                         ANISO_DTYPE_Q8_0, ANISO_DTYPE_Q2_K, ANISO_DTYPE_Q3_K, ANISO_DTYPE_Q4_K,
                         ANISO_DTYPE_Q5_K, ANISO_DTYPE_Q6_K};
    unsigned s = 9;
    enum { N = 1024 };
    static unsigned char raw[N * 2];
    float want[N], got[N];
    const kernels *ks[CPU_VARIANT_COUNT];
    int nv = variants(ks);
    for (size_t d = 0; d < sizeof dts / sizeof dts[0]; d++) {
        size_t be, bb;
        aniso_dtype_block(dts[d], &be, &bb);
        for (size_t i = 0; i < sizeof raw; i++) raw[i] = (unsigned char)(urand(&s) * 127 + 128);
        /* every f16 (exponent bits 0x7c00 of its high byte 0x7c) finite */
        for (size_t i = 1; i < sizeof raw; i += 2) raw[i] &= 0xbb;
        assert_int_equal(dequantize(dts[d], raw, want, N), 0);
        for (int v = 0; v < nv; v++) {
            assert_int_equal(ks[v]->dequant(dts[d], raw, got, N), 0);
            assert_memory_equal(want, got, sizeof want);
        }
        assert_true(N / be * bb <= sizeof raw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f16_all_values),
        cmocka_unit_test(bf16_values),
        cmocka_unit_test(linear_matches_reference),
        cmocka_unit_test(amx_against_emulation),
        cmocka_unit_test(gemm_packers),
        cmocka_unit_test(pack_formats),
        cmocka_unit_test(gemm_half_panels),
        cmocka_unit_test(micro_rows),
        cmocka_unit_test(pack16_formats),
        cmocka_unit_test(pack_q8_0),
        cmocka_unit_test(pack_nonfinite),
        cmocka_unit_test(finds_nonfinite),
        cmocka_unit_test(linear_finds_nonfinite_weights),
        cmocka_unit_test(memory_checks),
        cmocka_unit_test(norms_match_reference),
        cmocka_unit_test(activations_match_reference),
        cmocka_unit_test(erf_within_ulps),
        cmocka_unit_test(tanh_within_ulps),
        cmocka_unit_test(silu_within_ulps),
        cmocka_unit_test(exp_weight_within_ulps),
        cmocka_unit_test(softmax_columns),
        cmocka_unit_test(attention_matches_reference),
        cmocka_unit_test(decoders_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
