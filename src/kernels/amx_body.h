/* amx_body.h - the AMX product on bfloat16 weights, written once over the
 * tile operations: kern_amx.c maps them to the instructions, kern_amx_emu.c
 * to their definition in the Intel SDM (TDPBF16PS) in portable C. The
 * includer defines:
 *   AMX_PRODUCT_NAME           the product's name (a kernels.product_bf16)
 *   AMX_PACK_T                 the pack_t that moves the weights' bit pairs
 *   TILE_DECL                  the tile registers' declaration (may be empty)
 *   TILE_CONFIG(), TILE_RELEASE()
 *   TILE_ZERO(t), TILE_LOAD(t, p, stride), TILE_STORE(t, p, stride)
 *   TILE_DP(c, a, b)           tile c += tile a . tile b (TDPBF16PS)
 * with 8 tiles of 16 rows of 64 bytes.
 *
 * Exactness: an activation a (float32) is split into three bfloat16 parts by
 * truncation, hi = a's top 16 bits, mid = (a - hi)'s, lo = a - hi - mid, and
 * the three add up to a exactly (8 + 8 + 8 significant bits; only below
 * 2^-103, where lo would be subnormal, is a part lost). A bfloat16 weight w
 * times a part is exact in float32, so every product a w is formed exactly,
 * as three terms, and rounding happens only in the float32 accumulation, as
 * in a float32 product. Each element of C is one fixed sequence of tile
 * operations over k in order: its value depends on neither M nor the thread
 * count. */
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"

/* A block of C is 2 x 2 tiles: tiles 0-3 accumulate, 4-5 hold the
 * activations' rows (16 each), 6-7 the weights' columns (16 each). */
enum { AMX_T = 32, AMX_STEP = 32 /* k per tile product */ };

/* a's three bfloat16 parts. */
static inline void amx_split3(float a, uint16_t *hi, uint16_t *mid, uint16_t *lo)
{
    uint32_t u, v, w;
    float h, m, r;
    memcpy(&u, &a, 4);
    u &= 0xffff0000u;
    memcpy(&h, &u, 4);
    r = a - h; /* exact: a's low 16 bits */
    memcpy(&v, &r, 4);
    v &= 0xffff0000u;
    memcpy(&m, &v, 4);
    r -= m; /* exact, and at most 8 significant bits */
    memcpy(&w, &r, 4);
    *hi = (uint16_t)(u >> 16), *mid = (uint16_t)(v >> 16), *lo = (uint16_t)(w >> 16);
}

/* Rows [r0, r1) of the block's three parts (rows kc values apart) from A's
 * rows i0 + r, columns k0 .. k0 + kc; rows at or past m are zero. */
static void amx_split_rows(uint16_t *parts, size_t part_elems, const float *A, size_t lda,
                           size_t i0, size_t m, size_t r0, size_t r1, size_t k0, size_t kc)
{
    for (size_t r = r0; r < r1; r++) {
        uint16_t *h = parts + r * kc, *md = h + part_elems, *l = md + part_elems;
        if (r >= m) {
            memset(h, 0, kc * sizeof *h), memset(md, 0, kc * sizeof *md),
                memset(l, 0, kc * sizeof *l);
            continue;
        }
        const float *a = A + (i0 + r) * lda + k0;
        for (size_t kk = 0; kk < kc; kk++) amx_split3(a[kk], h + kk, md + kk, l + kk);
    }
}

/* Whether one of the n bfloat16 values is not finite. */
static int amx_nonfinite(const unsigned char *p, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= (p[2 * i + 1] & 0x7f) == 0x7f && (p[2 * i] & 0x80);
    return bad;
}

/* One 32 x 32 block of C (rows ldc bytes apart): the parts' 32 rows (rows
 * lda bytes apart) times the packed panel, over steps tile steps. */
static void amx_block(const unsigned char *a, size_t part_bytes, size_t lda, const unsigned char *b,
                      size_t steps, unsigned char *c, size_t ldc, int load)
{
    TILE_DECL;
    if (load) {
        TILE_LOAD(0, c, ldc);
        TILE_LOAD(1, c + 64, ldc);
        TILE_LOAD(2, c + 16 * ldc, ldc);
        TILE_LOAD(3, c + 16 * ldc + 64, ldc);
    } else {
        TILE_ZERO(0);
        TILE_ZERO(1);
        TILE_ZERO(2);
        TILE_ZERO(3);
    }
    for (size_t s = 0; s < steps; s++) {
        /* 16 pairs of k by 32 columns: 128 bytes a row */
        const unsigned char *bs = b + s * 16 * 128, *as = a + s * 2 * AMX_STEP;
        TILE_LOAD(6, bs, 128);
        TILE_LOAD(7, bs + 64, 128);
        for (int p = 0; p < 3; p++, as += part_bytes) {
            TILE_LOAD(4, as, lda);
            TILE_LOAD(5, as + 16 * lda, lda);
            TILE_DP(0, 4, 6);
            TILE_DP(1, 4, 7);
            TILE_DP(2, 5, 6);
            TILE_DP(3, 5, 7);
        }
    }
    TILE_STORE(0, c, ldc);
    TILE_STORE(1, c + 64, ldc);
    TILE_STORE(2, c + 16 * ldc, ldc);
    TILE_STORE(3, c + 16 * ldc + 64, ldc);
}

/* One product's arguments, for its team. */
typedef struct amx_args {
    size_t M, N, K, lda, ldc;
    const float *A;
    float *C;
    bf16_row_fn row;
    const void *ctx;
    uint16_t *parts;
    unsigned char *rest, *flags;
    size_t next; /* the next weight panel */
} amx_args;

static void amx_part(void *arg, int me, int nt)
{
    amx_args *g = arg;
    size_t M = g->M, N = g->N, K = g->K, lda = g->lda, ldc = g->ldc, *next = &g->next;
    const float *A = g->A;
    float *C = g->C;
    bf16_row_fn row = g->row;
    const void *ctx = g->ctx;
    uint16_t *parts = g->parts;
    unsigned char *flags = g->flags, *mine = g->rest + (size_t)me * AMX_THREAD_BYTES;
    size_t panels = (N + AMX_T - 1) / AMX_T, part_elems = (size_t)AMX_MC * AMX_KC;
    unsigned char *pb = mine, *tmp = pb + AMX_PANEL_BYTES;
    TILE_CONFIG();
    for (size_t i0 = 0; i0 < M; i0 += AMX_MC) {
        size_t m = M - i0 < AMX_MC ? M - i0 : AMX_MC, mp = (m + AMX_T - 1) / AMX_T * AMX_T, r0, r1;
        kern_share(mp, me, nt, &r0, &r1);
        for (size_t k0 = 0; k0 < K; k0 += AMX_KC) {
            size_t kc = K - k0 < AMX_KC ? K - k0 : AMX_KC;
            amx_split_rows(parts, part_elems, A, lda, i0, m, r0, r1, k0, kc);
            kern_block_start(next, me, nt);
            for (;;) {
                size_t jp = kern_take(next, nt);
                if (jp >= panels) break;
                size_t j0 = jp * AMX_T, nj = N - j0 < AMX_T ? N - j0 : AMX_T;
                /* the panel: row pairs of k as 32-bit words, transposed
                 * (bits moved, nothing converted) */
                const void *rows[AMX_T];
                for (size_t j = 0; j < nj; j++) {
                    rows[j] = row(ctx, j0 + j) + 2 * k0;
                    if (flags && amx_nonfinite(rows[j], kc)) flags[me] = 1;
                }
                AMX_PACK_T((float *)(void *)pb, rows, PACK_F32, kc / 2, nj, AMX_T);
                for (size_t r = 0; r < mp; r += AMX_T) {
                    size_t mi = m - r < AMX_T ? m - r : AMX_T;
                    const unsigned char *a = (const unsigned char *)(parts + r * kc);
                    float *c = C + (i0 + r) * ldc + j0;
                    if (mi == AMX_T && nj == AMX_T) {
                        amx_block(a, part_elems * 2, kc * 2, pb, kc / AMX_STEP, (unsigned char *)c,
                                  ldc * 4, k0 > 0);
                        continue;
                    }
                    /* an edge: on a copy, the same operations for the
                     * elements that exist */
                    float *t = (float *)(void *)tmp;
                    memset(t, 0, AMX_T * AMX_T * sizeof *t);
                    if (k0 > 0)
                        for (size_t i = 0; i < mi; i++) memcpy(t + i * AMX_T, c + i * ldc, nj * 4);
                    amx_block(a, part_elems * 2, kc * 2, pb, kc / AMX_STEP, tmp, AMX_T * 4, k0 > 0);
                    for (size_t i = 0; i < mi; i++) memcpy(c + i * ldc, t + i * AMX_T, nj * 4);
                }
            }
            kern_block_end(nt);
        }
    }
    TILE_RELEASE();
}

void AMX_PRODUCT_NAME(size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
                      size_t ldc, bf16_row_fn row, const void *ctx, void *work, int n_threads,
                      unsigned char *flags)
{
    unsigned char *w = (unsigned char *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
    amx_args g = {M,     N, K, lda, ldc, A, C, row, ctx, (uint16_t *)(void *)w, w + AMX_PARTS_BYTES,
                  flags, 0};
    kern_team(n_threads, (N + AMX_T - 1) / AMX_T, amx_part, &g);
}
