/* gemm.c - the blocked matrix product on a variant's micro-kernel, and the
 * float32 packers. */
#include <stdint.h>
#include <stdlib.h>
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
    case CPU_VARIANT_AMX_EMULATED:
        return kernels_amx_emulated();
#ifdef ANISO_X86_KERNELS
    case CPU_VARIANT_AVX2:
        return kernels_avx2();
    case CPU_VARIANT_AVX512:
        return kernels_avx512();
    case CPU_VARIANT_AMX:
        return kernels_amx();
#endif
    default:
        return NULL;
    }
}

int kernels_built(cpu_variant v)
{
    return kernels_get(v) != NULL;
}

/* The self-check's weight rows. */
static const unsigned char *check_row(const void *ctx, size_t j)
{
    return (const unsigned char *)ctx + j * 2 * AMX_CHECK_K;
}

int amx_matches_emulation(void)
{
#ifdef ANISO_X86_KERNELS
    static int done, result;
    if (__atomic_load_n(&done, __ATOMIC_ACQUIRE)) return __atomic_load_n(&result, __ATOMIC_RELAXED);
    enum { M = AMX_CHECK_M, N = AMX_CHECK_N, K = AMX_CHECK_K };
    /* two callers at once both check, each on buffers of its own */
    float *a = malloc(sizeof(float) * (M * K + 2 * M * N)), *c_amx = a + M * K,
          *c_emu = c_amx + M * N;
    uint16_t *w = malloc(sizeof(uint16_t) * N * K);
    void *work = malloc(product_bf16_bytes(1));
    if (!a || !w || !work) {
        free(a), free(w), free(work);
        return 0; /* not chosen this time; asked again at the next plan */
    }
    /* activations over many binades and both signs, with tiny, zero and
     * exactly representable values among them; weights likewise */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < (size_t)M * K; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        float v = (float)(x >> 8) / 16777216.0f - 0.5f;
        a[i] = i % 97 == 0 ? 0.0f : i % 89 == 0 ? 1e-30f * v : v * (float)(1u << (x % 12));
    }
    for (size_t i = 0; i < (size_t)N * K; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        /* sign, an exponent of 2^-7 .. 2^8, seven random bits */
        w[i] = (uint16_t)((x >> 31) << 15 | (120u + (x >> 20) % 16) << 7 | (x & 0x7f));
    }
    amx_product_bf16(M, N, K, a, K, c_amx, N, check_row, w, work, 1, NULL);
    amx_emulated_product_bf16(M, N, K, a, K, c_emu, N, check_row, w, work, 1, NULL);
    int same = memcmp(c_amx, c_emu, sizeof(float) * M * N) == 0;
    free(a), free(w), free(work);
    __atomic_store_n(&result, same, __ATOMIC_RELAXED);
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    return same;
#else
    return 0;
#endif
}

/* Per-thread floats: a packed B panel, the packer's scratch and an edge
 * tile, each rounded up to whole cache lines. */
#define PANEL_ELEMS ((size_t)GEMM_KC * KERN_MAX_NR)
#define TILE_ELEMS  ((size_t)KERN_MAX_MR * KERN_MAX_NR)
#define PER_THREAD  (2 * PANEL_ELEMS + TILE_ELEMS)

size_t product_bf16_bytes(int n_threads)
{
    size_t nt = n_threads > 1 ? (size_t)n_threads : 1;
    return AMX_PARTS_BYTES + nt * AMX_THREAD_BYTES + 64; /* 64: room to align */
}

size_t gemm_work_elems(const kernels *k, int n_threads)
{
    (void)k;
    size_t nt = n_threads > 1 ? (size_t)n_threads : 1;
    return GEMM_A_ELEMS + nt * PER_THREAD + 16; /* 16: room to align */
}

size_t gemm_block_rows(const kernels *k, size_t M, size_t kc)
{
    size_t mr = (size_t)k->mr, most = GEMM_A_ELEMS / kc / mr * mr, blocks = (M + most - 1) / most,
           rows = (M + blocks - 1) / blocks;
    return (rows + mr - 1) / mr * mr;
}

/* Rows r0 .. r0 + mr of A's block (rows past m zero), columns k0 .. k0 + kc,
 * as one micro-panel (kc, mr): the variant's transposing packer. */
static void pack_a(const kernels *k, float *dst, const float *A, size_t lda, size_t r0, size_t m,
                   size_t k0, size_t kc)
{
    const void *rows[KERN_MAX_MR];
    size_t n = m - r0 < (size_t)k->mr ? m - r0 : (size_t)k->mr;
    for (size_t i = 0; i < n; i++) rows[i] = A + (r0 + i) * lda + k0;
    k->pack_t(dst, rows, PACK_F32, kc, n, k->mr);
}

/* The micro-kernel's first rows rows for B's panels in format fmt. */
static void run_micro(const kernels *k, pack_format fmt, size_t kc, const float *a, const void *b,
                      float *c, size_t ldc, int load, int rows)
{
    if (fmt == PACK_F32)
        k->micro(kc, a, b, c, ldc, load, rows);
    else
        k->micro_h(kc, a, b, c, ldc, load, rows, fmt);
}

/* One tile of C, mi rows by nj columns: the micro-kernel in place when the
 * tile has all nr columns, else on a copy (the same chain of operations for
 * the elements that exist). */
static void tile(const kernels *k, pack_format fmt, size_t kc, const float *a, const void *b,
                 float *c, size_t ldc, size_t mi, size_t nj, int load, float *tmp)
{
    size_t nr = (size_t)k->nr;
    if (nj == nr) {
        run_micro(k, fmt, kc, a, b, c, ldc, load, (int)mi);
        return;
    }
    if (load)
        for (size_t i = 0; i < mi; i++) {
            memcpy(tmp + i * nr, c + i * ldc, nj * sizeof *tmp);
            memset(tmp + i * nr + nj, 0, (nr - nj) * sizeof *tmp);
        }
    run_micro(k, fmt, kc, a, b, tmp, nr, load, (int)mi);
    for (size_t i = 0; i < mi; i++) memcpy(c + i * ldc, tmp + i * nr, nj * sizeof *tmp);
}

void kern_team(int n_threads, size_t most, void (*part)(void *ctx, int me, int team), void *ctx)
{
    int nt = n_threads > 1 ? n_threads : 1;
    if ((size_t)nt > most) nt = most ? (int)most : 1;
    if (nt == 1) {
        part(ctx, 0, 1);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        int me = 0, team = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        team = omp_get_num_threads();
#endif
        part(ctx, me, team);
    }
}

void kern_block_start(size_t *next, int me, int nt)
{
    if (me == 0) __atomic_store_n(next, 0, __ATOMIC_RELAXED);
    if (nt > 1) {
#pragma omp barrier
    }
}

void kern_block_end(int nt)
{
    if (nt > 1) {
#pragma omp barrier
    }
}

/* One product's arguments, for its team. */
typedef struct gemm_args {
    const kernels *k;
    size_t M, N, K, KC, MC, lda, ldc;
    const float *A;
    float *C;
    pack_fn pack;
    prefetch_fn prefetch;
    void *ctx;
    pack_format panels; /* B's packed panels' format */
    float *pa, *rest;
    size_t next; /* B's next panel */
} gemm_args;

static void gemm_part(void *arg, int me, int nt)
{
    gemm_args *g = arg;
    const kernels *k = g->k;
    size_t M = g->M, N = g->N, K = g->K, KC = g->KC, MC = g->MC, lda = g->lda, ldc = g->ldc,
           *next = &g->next;
    const float *A = g->A;
    float *C = g->C, *pa = g->pa, *mine = g->rest + (size_t)me * PER_THREAD;
    pack_fn pack = g->pack;
    prefetch_fn prefetch = g->prefetch;
    void *ctx = g->ctx;
    size_t mr = (size_t)k->mr, nr = (size_t)k->nr, panels = (N + nr - 1) / nr;
    float *pb = mine, *scratch = pb + PANEL_ELEMS, *tmp = scratch + PANEL_ELEMS;
    for (size_t i0 = 0; i0 < M; i0 += MC) {
        size_t m = M - i0 < MC ? M - i0 : MC, nib = (m + mr - 1) / mr, b0, b1,
               late = nib - (nib + 3) / 4;
        kern_share(nib, me, nt, &b0, &b1);
        for (size_t k0 = 0; k0 < K; k0 += KC) {
            size_t kc = K - k0 < KC ? K - k0 : KC;
            for (size_t ib = b0; ib < b1; ib++)
                pack_a(k, pa + ib * mr * kc, A + i0 * lda, lda, ib * mr, m, k0, kc);
            kern_block_start(next, me, nt);
            /* B's panels taken one at a time (no tile's value depends on
             * which thread computes it), with a prefetcher one ahead */
            size_t jp = kern_take(next, nt);
            while (jp < panels) {
                size_t jn = prefetch ? kern_take(next, nt) : panels;
                size_t j0 = jp * nr, nj = N - j0 < nr ? N - j0 : nr;
                size_t n0 = jn * nr, nn = jn < panels ? (N - n0 < nr ? N - n0 : nr) : 0;
                pack(ctx, pb, scratch, j0, nj, k0, kc, k->nr, me);
                for (size_t ib = 0; ib < nib; ib++) {
                    size_t r = ib * mr, mi = m - r < mr ? m - r : mr;
                    /* over the panel's last quarter of tiles: fetched
                     * earlier, it is pushed out of L2 by A's stream (a
                     * block of A is larger than L2) before it is packed */
                    if (nn && ib >= late) prefetch(ctx, n0, nn, k0, kc, ib - late, nib - late);
                    tile(k, g->panels, kc, pa + ib * mr * kc, pb, C + (i0 + r) * ldc + j0, ldc, mi,
                         nj, k0 > 0, tmp);
                }
                jp = prefetch ? jn : kern_take(next, nt);
            }
            kern_block_end(nt); /* the packed A block is rewritten next */
        }
    }
}

void gemm(const kernels *k, size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
          size_t ldc, pack_fn pack, prefetch_fn prefetch, void *ctx, float *work, int n_threads,
          int whole_blocks, pack_format panels)
{
    /* the variant's depth, or GEMM_KC where the packer decodes blocks of
     * up to GEMM_KC values */
    size_t KC = whole_blocks || !k->kc ? GEMM_KC : (size_t)k->kc;
    if (K == 0) {
        for (size_t i = 0; i < M; i++) memset(C + i * ldc, 0, N * sizeof *C);
        return;
    }
    float *pa = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    size_t MC = gemm_block_rows(k, M, K < KC ? K : KC);
    gemm_args g = {
        k, M, N, K, KC, MC, lda, ldc, A, C, pack, prefetch, ctx, panels, pa, pa + GEMM_A_ELEMS, 0};
    /* no more threads than panels of B */
    kern_team(n_threads, (N + (size_t)k->nr - 1) / (size_t)k->nr, gemm_part, &g);
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
