/* kernels.h - the forward pass's compute kernels, one table per CPU variant
 * (kern_generic.c, kern_avx2.c, kern_avx512.c, each compiled for its own
 * instruction set), and the blocked matrix product built on them (gemm.c).
 *
 * The product C = A . B runs as Goto's blocking: A (activations, float32) in
 * blocks of up to GEMM_A_ELEMS floats (rows by at most GEMM_KC columns)
 * packed into micro-panels of mr rows; B in panels of nr columns by GEMM_KC
 * rows that a caller's packer fills from whatever B is stored as (a weight
 * in its file dtype, a key or a value matrix), so that no full float32 copy
 * of a weight ever exists. Each element of C is one chain of fused
 * multiply-adds over k in order, from zero: its value depends on neither M,
 * nor the tile it falls in, nor the thread count, so a token's states never
 * depend on the other tokens of its chunk. */
#ifndef ANISO_KERNELS_H
#define ANISO_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/model.h"
#include "base/cpu.h"

/* Measured on an AMD EPYC (Zen 4, 1 MiB L2) at the gemma-2b shapes: depth
 * 256 reached 72% of one core's FMA peak, 512 81%, 1024 86%, 2048 89%
 * (bench/bench_gemm.c); 192 rows instead of 384 lost 5%. */
#define GEMM_KC 2048 /* a multiple of every block quantization's block */
/* The packed block of A: as many rows as GEMM_A_ELEMS floats hold at the
 * block's depth (512 at GEMM_KC), so that B's panels, packed once per
 * block, are packed fewer times for long chunks; each thread streams it
 * from the last level cache once per panel. */
#define GEMM_A_ELEMS ((size_t)1 << 20)
#define KERN_MAX_MR  16
#define KERN_MAX_NR  32

/* The AMX product's blocks (amx_body.h): MC rows of activations by KC of
 * depth, split into three bfloat16 parts (768 KiB, for a 2 MiB L2), and a
 * weight panel of 32 columns by KC (64 KiB). */
#define AMX_MC           128
#define AMX_KC           1024
#define AMX_PARTS_BYTES  ((size_t)3 * AMX_MC * AMX_KC * 2)
#define AMX_PANEL_BYTES  ((size_t)AMX_KC / 2 * 32 * 4)
#define AMX_THREAD_BYTES (AMX_PANEL_BYTES + 32 * 32 * 4)

/* The address of row j (model order) of a bfloat16 weight. */
typedef const unsigned char *(*bf16_row_fn)(const void *ctx, size_t j);

/* Whether the tile units' product equals the emulated one bit for bit on a
 * product of AMX_CHECK_M x AMX_CHECK_N x AMX_CHECK_K (edges included) with
 * values over many binades: run once per process, and only on a machine
 * that runs the amx variant. The emulation is what the tests prove against
 * the fixtures on every machine; the tile units are used by themselves only
 * where they do exactly that. */
#define AMX_CHECK_M 45
#define AMX_CHECK_N 37
#define AMX_CHECK_K 96
int amx_matches_emulation(void);

/* The formats pack_t reads: float32, float16 and bfloat16 values, and
 * Q8_0 blocks (a row's value k in block k / 32, the row's first value the
 * first of a block; every count a multiple of 32). */
typedef enum pack_format { PACK_F32, PACK_F16, PACK_BF16, PACK_Q8_0 } pack_format;

/* The cases of a switch over a micro-kernel's rows, each B(r) with r a
 * constant, from 1 up to 5 and up to 11 (the rows below a tile of 6 and of
 * 12): its body compiled once for each count. */
// clang-format off
#define KERN_ROWS_TO_5(B)                                                      \
    case 1: B(1); break; case 2: B(2); break; case 3: B(3); break;             \
    case 4: B(4); break; case 5: B(5); break;
#define KERN_ROWS_TO_11(B)                                                     \
    KERN_ROWS_TO_5(B)                                                          \
    case 6: B(6); break; case 7: B(7); break; case 8: B(8); break;             \
    case 9: B(9); break; case 10: B(10); break; case 11: B(11); break;
// clang-format on

typedef struct kernels {
    cpu_variant variant;
    int mr, nr; /* the micro-kernel's tile */
    int kc;     /* its depth per packed block (at most GEMM_KC) */
    /* The first rows (1 .. mr) rows of c (mr x nr, rows ldc apart) =
     * (load ? c : 0) + sum over k < kc of a[k][i] b[k][j], with a packed
     * (kc, mr) and b packed (kc, nr); c's other rows neither read nor
     * written, and each element the same chain whatever rows is (a tile at
     * the edge costs its own rows, not a whole tile's). */
    void (*micro)(size_t kc, const float *a, const float *b, float *c, size_t ldc, int load,
                  int rows);
    /* NULL, or micro on a panel of 16-bit values: b (kc, nr) float16 or
     * bfloat16 (fmt), each converted exactly as it is used, so the same
     * bits as micro on the converted panel, from half the bytes. */
    void (*micro_h)(size_t kc, const float *a, const uint16_t *b, float *c, size_t ldc, int load,
                    int rows, pack_format fmt);
    /* With micro_h: dst (kc, nr) = the transposed rows of float16 or
     * bfloat16 values (fmt) as they are, zero for nj <= j < nr; 1 when one
     * of the values is not finite, else 0. */
    int (*pack_t16)(uint16_t *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                    int nr);
    /* n float16 or bfloat16 values (any alignment) to float32. */
    void (*f16)(float *out, const void *in, size_t n);
    void (*bf16)(float *out, const void *in, size_t n);
    /* dst (kc, nr) = the transposed rows: dst[k][j] = rows[j][k] for j < nj
     * (each row kc values in format fmt), zero for nj <= j < nr; 1 when one
     * of the values is not finite, else 0. */
    int (*pack_t)(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                  int nr);
    /* y = act(g) * u elementwise, or act(g) when u is NULL (y may be g). */
    void (*act)(float *y, const float *g, const float *u, size_t n, aniso_act act);
    /* Attention's probabilities in place from the scores of nq queries,
     * the columns of x (rows keys, nr floats apart): column j's keys are
     * the rows [b0 + j - w, b0 + j) (from 0 when w = 0), scaled by scale
     * (capped at cap when cap > 0); every other element of the rows zero
     * (act_body.h). */
    void (*softmax)(float *x, size_t nr, size_t rows, size_t nq, size_t b0, size_t w, float scale,
                    float cap);
    /* n values (whole blocks) of block quantization dt decoded, bit for bit
     * as io/quants.c decodes them; -1 for another type. */
    int (*dequant)(aniso_dtype dt, const void *src, float *dst, size_t n);
    /* One row (n values) of RMSNorm (times w, or 1 + w with gemma) and of
     * LayerNorm, as transformers evaluates them; y may be x. */
    void (*rms_row)(float *y, const float *x, const float *w, size_t n, double eps, int gemma);
    void (*ln_row)(float *y, const float *x, const float *w, const float *b, size_t n, double eps);
    /* NULL, or C (M, N), rows ldc apart, = A (M, K) . W^T for W (N, K) in
     * bfloat16, rows as row gives them, K a multiple of 32, on n_threads
     * threads with product_bf16_bytes of work; flags[thread] (when not NULL)
     * is set where a weight is not finite. Each element is one fixed
     * sequence over k: it depends on neither M nor the thread count. */
    void (*product_bf16)(size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
                         size_t ldc, bf16_row_fn row, const void *ctx, void *work, int n_threads,
                         unsigned char *flags);
} kernels;

/* A variant's table from the names each kern_*.c file defines (MR, NR, KC,
 * micro, f16, bf16, act, softmax, dequant, rms_row, ln_row), its micro_h
 * and pack_t16 (or NULL), its pack_t and its bfloat16 product (or NULL). */
#define KERNELS_TABLE(variant, half, pack16, pack, product)                                        \
    {                                                                                              \
        (variant), MR, NR, KC, micro, (half), (pack16), f16, bf16, (pack), act, softmax, dequant,  \
            rms_row, ln_row, (product)                                                             \
    }

/* Bytes of work product_bf16 needs with n_threads threads. */
size_t product_bf16_bytes(int n_threads);
/* The product on the tile units, and the same operations emulated. */
void amx_product_bf16(size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
                      size_t ldc, bf16_row_fn row, const void *ctx, void *work, int n_threads,
                      unsigned char *flags);
void amx_emulated_product_bf16(size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
                               size_t ldc, bf16_row_fn row, const void *ctx, void *work,
                               int n_threads, unsigned char *flags);

/* Columns [0, w) of dst (kc rows, ld apart): dst[k][j] = rows[j][k] for
 * j < nj, zero for nj <= j < w; 1 when a value is not finite. */
int pack_t_ld(float *dst, size_t ld, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
              size_t w);
/* The portable and the AVX2 pack_t (the latter also AVX-512's, but for
 * Q8_0). */
int pack_t_generic(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                   int nr);
int pack_t_avx2(float *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj, int nr);
/* The AVX2 pack_t16 (also AVX-512's). */
int pack_t16_avx2(uint16_t *dst, const void *const *rows, pack_format fmt, size_t kc, size_t nj,
                  int nr);

/* The table of variant v; NULL when this build lacks it. */
const kernels *kernels_get(cpu_variant v);
int kernels_built(cpu_variant v);

const kernels *kernels_generic(void);
const kernels *kernels_avx2(void);
const kernels *kernels_avx512(void);
const kernels *kernels_amx(void);
const kernels *kernels_amx_emulated(void);

/* Fills dst (kc rows of nr floats) with B's rows k0 .. k0 + kc and columns
 * j0 .. j0 + nj (nj <= nr; columns past nj zero). scratch has room for
 * KERN_MAX_NR x GEMM_KC floats; thread is the caller's thread number (for
 * per-thread flags). */
typedef void (*pack_fn)(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0,
                        size_t kc, int nr, int thread);

/* Brings toward the cache (into L2) the source of the panel that pack will
 * fill for (j0, nj, k0, kc): its part-th of parts, so that a thread can ask
 * for its next panel a piece at a time while it computes on the present
 * one (rows that each fill a page of their own outrun the hardware's
 * prefetchers). */
typedef void (*prefetch_fn)(const void *ctx, size_t j0, size_t nj, size_t k0, size_t kc,
                            size_t part, size_t parts);

/* Runs part(ctx, me, team) on a team of min(n_threads, most) threads (on
 * the caller's alone for one; the team may be smaller than asked, nested or
 * under a thread limit). */
void kern_team(int n_threads, size_t most, void (*part)(void *ctx, int me, int team), void *ctx);

/* Thread me of nt: its share [lo, hi) of n items. */
static inline void kern_share(size_t n, int me, int nt, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)me / (size_t)nt;
    *hi = n * (size_t)(me + 1) / (size_t)nt;
}

/* A block's start and end in a team's part: every thread is past the last
 * block's items (its end), so *next starts again at 0 (thread 0 sets it),
 * then the team waits for all (the shared packed operand is ready); at the
 * end the team waits before that operand is rewritten. */
void kern_block_start(size_t *next, int me, int nt);
void kern_block_end(int nt);

/* The next of a block's items, taken by whichever thread comes for one (a
 * core slowed by other work takes fewer). */
static inline size_t kern_take(size_t *next, int nt)
{
    return nt > 1 ? __atomic_fetch_add(next, 1, __ATOMIC_RELAXED) : (*next)++;
}

/* Floats of work that gemm needs with n_threads threads. */
size_t gemm_work_elems(const kernels *k, int n_threads);

/* C (M, N), rows ldc apart, = A (M, K), rows lda apart, . B (K, N) as pack
 * delivers it; n_threads > 1 has that many threads take B's panels one at a
 * time as each is done with the last (a parallel region of its own; 1 runs
 * on the caller's thread). With prefetch (or NULL), each thread takes its
 * next panel before it computes on the present one and has that panel's
 * source fetched meanwhile. The depth of a block is the variant's kc, or
 * GEMM_KC with whole_blocks (a packer that decodes a block quantization
 * needs whole blocks). B's panels are float32 (panels PACK_F32), or float16
 * or bfloat16 values that pack writes as uint16_t and the variant's micro_h
 * reads. */
void gemm(const kernels *k, size_t M, size_t N, size_t K, const float *A, size_t lda, float *C,
          size_t ldc, pack_fn pack, prefetch_fn prefetch, void *ctx, float *work, int n_threads,
          int whole_blocks, pack_format panels);

/* The rows of gemm's packed blocks of A for M rows at depth kc (kc <=
 * GEMM_KC): M split evenly into the fewest blocks of at most GEMM_A_ELEMS
 * floats, each a multiple of k's mr. */
size_t gemm_block_rows(const kernels *k, size_t M, size_t kc);

/* The packer for float32 B = R^T, R (N, K) rows rs apart; ctx points at a
 * gemm_f32. */
typedef struct gemm_f32 {
    const kernels *k;
    const float *r;
    size_t rs;
} gemm_f32;
void pack_rows(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0, size_t kc,
               int nr, int thread);
#endif
