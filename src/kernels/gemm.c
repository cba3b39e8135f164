/* gemm.c - the blocked matrix product on a variant's micro-kernel, and the
 * float32 packers. */
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

const kernels *kernels_get(cpu_variant v)
{
    switch (v) {
    case CPU_GENERIC:
        return kernels_generic();
#ifdef ANISO_X86_KERNELS
    case CPU_VARIANT_AVX2:
        return kernels_avx2();
    case CPU_VARIANT_AVX512:
        return kernels_avx512();
#endif
    default:
        return NULL;
    }
}

int kernels_built(cpu_variant v)
{
    return kernels_get(v) != NULL;
}

/* Per-thread floats: a packed B panel, the packer's scratch and an edge
 * tile, each rounded up to whole cache lines. */
#define PANEL_ELEMS ((size_t)GEMM_KC * KERN_MAX_NR)
#define TILE_ELEMS  ((size_t)KERN_MAX_MR * KERN_MAX_NR)
#define PER_THREAD  (2 * PANEL_ELEMS + TILE_ELEMS)

size_t gemm_work_elems(const kernels *k, int n_threads)
{
    (void)k;
    size_t nt = n_threads > 1 ? (size_t)n_threads : 1;
    return (size_t)GEMM_MC * GEMM_KC + nt * PER_THREAD + 16; /* 16: room to align */
}

/* Rows r0 .. r0 + mr of A's block (rows past m zero), columns k0 .. k0 + kc,
 * as one micro-panel (kc, mr). */
static void pack_a(float *dst, const float *A, size_t lda, size_t r0, size_t m, size_t k0,
                   size_t kc, int mr)
{
    for (int i = 0; i < mr; i++) {
        float *d = dst + i;
        if (r0 + (size_t)i < m) {
            const float *s = A + (r0 + (size_t)i) * lda + k0;
            for (size_t kk = 0; kk < kc; kk++) d[kk * (size_t)mr] = s[kk];
        } else {
            for (size_t kk = 0; kk < kc; kk++) d[kk * (size_t)mr] = 0;
        }
    }
}

/* One tile of C: the micro-kernel in place when the tile is whole, else on
 * a copy (the same chain of operations for the elements that exist). */
static void tile(const kernels *k, size_t kc, const float *a, const float *b, float *c, size_t ldc,
                 size_t mi, size_t nj, int load, float *tmp)
{
    size_t mr = (size_t)k->mr, nr = (size_t)k->nr;
    if (mi == mr && nj == nr) {
        k->micro(kc, a, b, c, ldc, load);
        return;
    }
    if (load) {
        memset(tmp, 0, mr * nr * sizeof *tmp);
        for (size_t i = 0; i < mi; i++) memcpy(tmp + i * nr, c + i * ldc, nj * sizeof *tmp);
    }
    k->micro(kc, a, b, tmp, nr, load);
    for (size_t i = 0; i < mi; i++) memcpy(c + i * ldc, tmp + i * nr, nj * sizeof *tmp);
}

/* Thread me of nt: its share [lo, hi) of n items. */
static void share(size_t n, int me, int nt, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)me / (size_t)nt;
    *hi = n * (size_t)(me + 1) / (size_t)nt;
}

static void gemm_part(const kernels *k, size_t M, size_t N, size_t K, size_t KC, const float *A,
                      size_t lda, float *C, size_t ldc, pack_fn pack, void *ctx, float *pa,
                      float *mine, int me, int nt)
{
    size_t mr = (size_t)k->mr, nr = (size_t)k->nr, panels = (N + nr - 1) / nr, p0, p1;
    float *pb = mine, *scratch = pb + PANEL_ELEMS, *tmp = scratch + PANEL_ELEMS;
    share(panels, me, nt, &p0, &p1);
    for (size_t i0 = 0; i0 < M; i0 += GEMM_MC) {
        size_t m = M - i0 < GEMM_MC ? M - i0 : GEMM_MC, nib = (m + mr - 1) / mr, b0, b1;
        share(nib, me, nt, &b0, &b1);
        for (size_t k0 = 0; k0 < K; k0 += KC) {
            size_t kc = K - k0 < KC ? K - k0 : KC;
            for (size_t ib = b0; ib < b1; ib++)
                pack_a(pa + ib * mr * kc, A + i0 * lda, lda, ib * mr, m, k0, kc, k->mr);
            if (nt > 1) {
#pragma omp barrier
            }
            for (size_t jp = p0; jp < p1; jp++) {
                size_t j0 = jp * nr, nj = N - j0 < nr ? N - j0 : nr;
                pack(ctx, pb, scratch, j0, nj, k0, kc, k->nr, me);
                for (size_t ib = 0; ib < nib; ib++) {
                    size_t r = ib * mr, mi = m - r < mr ? m - r : mr;
                    tile(k, kc, pa + ib * mr * kc, pb, C + (i0 + r) * ldc + j0, ldc, mi, nj, k0 > 0,
                         tmp);
                }
            }
            /* the packed A block is rewritten next */
            if (nt > 1) {
#pragma omp barrier
            }
        }
    }
}

void gemm(const kernels *k, size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
          size_t ldc, pack_fn pack, void *ctx, float *work, int n_threads, int whole_blocks)
{
    /* the variant's depth, or GEMM_KC where the packer decodes blocks of
     * up to GEMM_KC values */
    size_t KC = whole_blocks || !k->kc ? GEMM_KC : (size_t)k->kc;
    if (K == 0) {
        for (size_t i = 0; i < M; i++) memset(C + i * ldc, 0, N * sizeof *C);
        return;
    }
    float *pa = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    float *rest = pa + (size_t)GEMM_MC * GEMM_KC;
    int nt = n_threads > 1 ? n_threads : 1;
    /* no more threads than panels of B */
    size_t panels = (N + (size_t)k->nr - 1) / (size_t)k->nr;
    if ((size_t)nt > panels) nt = (int)panels;
    if (nt == 1) {
        gemm_part(k, M, N, K, KC, A, lda, C, ldc, pack, ctx, pa, rest, 0, 1);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int me = 0, team = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        /* the team may be smaller than asked (nested, or a thread limit) */
        gemm_part(k, M, N, K, KC, A, lda, C, ldc, pack, ctx, pa, rest + (size_t)me * PER_THREAD, me,
                  team);
    }
}

void pack_rows(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0, size_t kc,
               int nr, int thread)
{
    const gemm_f32 *g = ctx;
    const void *rows[KERN_MAX_NR];
    (void)scratch, (void)thread;
    for (size_t j = 0; j < nj; j++) rows[j] = g->r + (j0 + j) * g->rs + k0;
    g->k->pack_t(dst, rows, PACK_F32, kc, nj, nr);
}

void pack_cols(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0, size_t kc,
               int nr, int thread)
{
    const gemm_f32 *g = ctx;
    (void)scratch, (void)thread;
    for (size_t kk = 0; kk < kc; kk++) {
        float *d = dst + kk * (size_t)nr;
        memcpy(d, g->r + (k0 + kk) * g->rs + j0, nj * sizeof *d);
        for (size_t j = nj; j < (size_t)nr; j++) d[j] = 0;
    }
}
