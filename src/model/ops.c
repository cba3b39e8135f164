/* ops.c - the linear layers and attention on the kernels' blocked product
 * (kernels/), norms and activations.
 * Reductions accumulate in double and round once: closer to the exact value
 * than PyTorch's float32 pairwise sums, and within float32 rounding of them
 * (docs/ARCHITECTURES.md, pitfall 20). */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "io/quants.h"
#include "kernels/kernels.h"
#include "model/ops.h"

/* OpenBLAS's OpenMP build is compiled by GCC for libgomp. Under clang's
 * libomp (the sanitizer and fuzzing builds) its threaded products can wait
 * forever: libomp runs OpenBLAS's parallel region (GOMP_parallel) on fewer
 * threads than OpenBLAS splits the product for, and its part waits for the
 * others. There BLAS runs on one thread from the library's load on; aniso's
 * own parallel loops keep their threads. */
#if defined(__clang__) && defined(_OPENMP)
#define BLAS_ONE_THREAD 1
__attribute__((constructor)) static void blas_one_thread(void)
{
    openblas_set_num_threads(1);
}
#else
#define BLAS_ONE_THREAD 0
#endif

void ops_set_threads(int n)
{
    if (BLAS_ONE_THREAD) n = 1;
    if (n > 0) openblas_set_num_threads(n);
}

int ops_get_threads(void)
{
    return openblas_get_num_threads();
}

/* Exponent bits all set: NaN or an infinity. */
static inline int nonfinite_bits(uint32_t u)
{
    return (u & 0x7f800000u) == 0x7f800000u;
}

/* Decoded elements per piece when a block quantization is checked: decoded
 * and scanned while in the cache (a multiple of every block). */
#define CHECK_PIECE 16384

/* to_f32; with check, 1 when a converted value is not finite (found as the
 * values are converted: half-precision exponents on the way, quantized
 * pieces while cached), else 0. */
static int convert(float *out, const aniso_tensor *t, size_t first, size_t n, int check)
{
    const unsigned char *p = t->data;
    unsigned bad = 0;
    switch (t->dtype) {
    case ANISO_DTYPE_F32:
        memcpy(out, p + 4 * first, 4 * n);
        break;
    /* BF16 and F16 keep separate loops: one loop choosing the decoder per
     * element stops the BF16 loop vectorizing (measured 1.7x slower). A
     * checked conversion also ors whether an exponent is all ones (NaN or an
     * infinity, which float32 keeps), each thread into its own flag: no
     * reduction clause, whose lock clang's OpenMP makes a global symbol. */
    case ANISO_DTYPE_BF16: {
        const unsigned char *q = p + 2 * first;
        if (check) {
#pragma omp parallel if (n > 65536)
            {
                unsigned mine = 0;
#pragma omp for schedule(static)
                for (size_t i = 0; i < n; i++) {
                    uint16_t h;
                    memcpy(&h, q + 2 * i, 2);
                    out[i] = bf16_to_f32(h);
                    mine |= (h & 0x7f80u) == 0x7f80u;
                }
                if (mine) {
#pragma omp atomic
                    bad |= mine;
                }
            }
            break;
        }
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, q + 2 * i, 2);
            out[i] = bf16_to_f32(h);
        }
        break;
    }
    case ANISO_DTYPE_F16: {
        const unsigned char *q = p + 2 * first;
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, q + 2 * i, 2);
            out[i] = f16_to_f32(h);
        }
        /* F16's decoder does not vectorise: the exponents are checked after
         * it, in a loop that does */
        if (check) {
#pragma omp parallel if (n > 65536)
            {
                unsigned mine = 0;
#pragma omp for schedule(static)
                for (size_t i = 0; i < n; i++) {
                    uint16_t h;
                    memcpy(&h, q + 2 * i, 2);
                    mine |= (h & 0x7c00u) == 0x7c00u;
                }
                if (mine) {
#pragma omp atomic
                    bad |= mine;
                }
            }
        }
        break;
    }
    default: {
        size_t be, bb;
        aniso_dtype_block(t->dtype, &be, &bb);
        if (be < 2 || n % be || first % be) {
            memset(out, 0, 4 * n); /* excluded when the model is opened */
        } else if (!check) {
            if (dequantize(t->dtype, p + first / be * bb, out, n)) memset(out, 0, 4 * n);
        } else {
            size_t pieces = (n + CHECK_PIECE - 1) / CHECK_PIECE;
#pragma omp parallel if (pieces > 4)
            {
                unsigned mine = 0;
#pragma omp for schedule(static)
                for (size_t k = 0; k < pieces; k++) {
                    size_t i0 = k * CHECK_PIECE, m = n - i0 < CHECK_PIECE ? n - i0 : CHECK_PIECE;
                    if (dequantize(t->dtype, p + (first + i0) / be * bb, out + i0, m))
                        memset(out + i0, 0, 4 * m);
                    mine |= first_nonfinite(out + i0, m) < m;
                }
                if (mine) {
#pragma omp atomic
                    bad |= mine;
                }
            }
        }
        break;
    }
    }
    if (t->shift != 0.0f)
        for (size_t i = 0; i < n; i++) out[i] += t->shift;
    /* float32: the values themselves (after any shift) */
    if (check && t->dtype == ANISO_DTYPE_F32) bad = first_nonfinite(out, n) < n;
    return bad != 0;
}

void to_f32(float *out, const aniso_tensor *t, size_t first, size_t n)
{
    convert(out, t, first, n, 0);
}

/* first_nonfinite on one thread: blocks whose flags are or-ed without a
 * branch (the loop vectorises), searched only when one is set. */
static size_t first_nonfinite_1(const float *x, size_t n)
{
    for (size_t i0 = 0; i0 < n; i0 += 4096) {
        size_t k = n - i0 < 4096 ? n - i0 : 4096;
        const float *p = x + i0;
        unsigned any = 0;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, p + i, 4);
            any |= (unsigned)nonfinite_bits(u);
        }
        for (size_t i = 0; any && i < k; i++) {
            uint32_t u;
            memcpy(&u, p + i, 4);
            if (nonfinite_bits(u)) return i0 + i;
        }
    }
    return n;
}

size_t first_nonfinite(const float *x, size_t n)
{
    /* large arrays (a float32 weight used in place) in parts on every
     * thread; the first part with one holds the first */
    enum { PARTS = 32 };
    if (n <= (1u << 20)) return first_nonfinite_1(x, n);
    size_t step = (n + PARTS - 1) / PARTS, at[PARTS];
#pragma omp parallel for schedule(static)
    for (int k = 0; k < PARTS; k++) {
        size_t i0 = (size_t)k * step, m = i0 >= n ? 0 : n - i0 < step ? n - i0 : step;
        size_t i = m ? first_nonfinite_1(x + i0, m) : 0;
        at[k] = i < m ? i0 + i : SIZE_MAX;
    }
    for (int k = 0; k < PARTS; k++)
        if (at[k] != SIZE_MAX) return at[k];
    return n;
}

const char *nonfinite_name(float v)
{
    return v != v ? "NaN" : v > 0 ? "Inf" : "-Inf";
}

/* The file row holding the model's row r. */
static size_t map_row(const aniso_tensor *t, size_t r)
{
    size_t D = (size_t)t->map_dim;
    switch (t->row_map) {
    case ANISO_ROWS_LLAMA_QK: {
        /* model row h*D + t*D/2 + i  <-  file row h*D + 2i + t */
        size_t h = r / D, k = r % D, half = D / 2, tt = k / half, i = k % half;
        return h * D + 2 * i + tt;
    }
    case ANISO_ROWS_NEOX_QKV: {
        /* model row h*3D + part*D + j  <-  file row part*H + h*D + j */
        size_t H = (size_t)t->map_heads * D, h = r / (3 * D), part = (r % (3 * D)) / D, j = r % D;
        return part * H + h * D + j;
    }
    default:
        return r;
    }
}

/* Rows [row0, row0 + nrows) of a Conv1D weight: columns of the stored (in,
 * out) matrix, whose rows hold map_dim elements. */
static void conv1d_rows(float *out, const aniso_tensor *t, size_t row0, size_t nrows, size_t n_in)
{
    size_t ld = (size_t)t->map_dim, es = t->dtype == ANISO_DTYPE_F32 ? 4 : 2;
    /* one stored row (an input feature) at a time: contiguous reads (memcpy:
     * mapped data need not be aligned), written down a column of out, the
     * dtype chosen once per row */
    for (size_t k = 0; k < n_in; k++) {
        const unsigned char *src = (const unsigned char *)t->data + (k * ld + row0) * es;
        float *o = out + k, v;
        uint16_t h;
        if (t->dtype == ANISO_DTYPE_F32)
            for (size_t r = 0; r < nrows; r++)
                memcpy(&v, src + 4 * r, 4), o[r * n_in] = v + t->shift;
        else if (t->dtype == ANISO_DTYPE_BF16)
            for (size_t r = 0; r < nrows; r++)
                memcpy(&h, src + 2 * r, 2), o[r * n_in] = bf16_to_f32(h) + t->shift;
        else
            for (size_t r = 0; r < nrows; r++)
                memcpy(&h, src + 2 * r, 2), o[r * n_in] = f16_to_f32(h) + t->shift;
    }
}

/* rows_f32; with check, 1 when a converted value is not finite. */
static int convert_rows(float *out, const aniso_tensor *t, size_t row0, size_t nrows,
                        size_t row_len, int check)
{
    if (t->row_map == ANISO_ROWS_CONV1D) {
        conv1d_rows(out, t, row0, nrows, row_len);
        return check && first_nonfinite(out, nrows * row_len) < nrows * row_len;
    }
    if (t->row_map == ANISO_ROWS_SAME)
        return convert(out, t, row0 * row_len, nrows * row_len, check);
    int bad = 0;
    for (size_t r = 0; r < nrows; r++)
        bad |= convert(out + r * row_len, t, map_row(t, row0 + r) * row_len, row_len, check);
    return bad;
}

void rows_f32(float *out, const aniso_tensor *t, size_t row0, size_t nrows, size_t row_len)
{
    convert_rows(out, t, row0, nrows, row_len, 0);
}

/* Floats of the products' work. */
static size_t product_elems(const kernels *k, int n_threads)
{
    size_t g = gemm_work_elems(k, n_threads),
           b = k->product_bf16 ? (product_bf16_bytes(n_threads) + 3) / 4 : 0;
    return g > b ? g : b;
}

size_t linear_buffer_elems(const kernels *k, size_t n_in, int n_threads)
{
    /* the product's blocks, and one converted row for the search of a
     * non-finite value */
    return product_elems(k, n_threads) + n_in;
}

/* n elements of t from element first (whole blocks of a block
 * quantization) to float32 on the variant's converters, plus t's shift. */
static void convert_fast(const kernels *k, float *out, const aniso_tensor *t, size_t first,
                         size_t n)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ANISO_DTYPE_F32:
        memcpy(out, p + 4 * first, 4 * n);
        break;
    case ANISO_DTYPE_F16:
        k->f16(out, p + 2 * first, n);
        break;
    case ANISO_DTYPE_BF16:
        k->bf16(out, p + 2 * first, n);
        break;
    default: {
        size_t be, bb;
        aniso_dtype_block(t->dtype, &be, &bb);
        /* block-aligned by construction (GEMM_KC is a multiple of every
         * block; the model's rows are whole blocks) */
        if (be < 2 || n % be || first % be || k->dequant(t->dtype, p + first / be * bb, out, n))
            memset(out, 0, 4 * n);
        break;
    }
    }
    if (t->shift != 0.0f)
        for (size_t i = 0; i < n; i++) out[i] += t->shift;
}

/* The format in which pack_t reads t's rows in place (a dtype it converts
 * itself, no shift, the model's rows stored as rows), or -1 when they are
 * decoded into scratch first. */
static int in_place_format(const aniso_tensor *t)
{
    if (t->shift != 0.0f || t->row_map == ANISO_ROWS_CONV1D) return -1;
    switch (t->dtype) {
    case ANISO_DTYPE_F32:
        return PACK_F32;
    case ANISO_DTYPE_F16:
        return PACK_F16;
    case ANISO_DTYPE_BF16:
        return PACK_BF16;
    case ANISO_DTYPE_Q8_0:
        return PACK_Q8_0;
    default:
        return -1;
    }
}

/* The packer of a weight W (n_out, n_in) as B = W^T: rows of the model
 * (the tensor's row map undone) converted from the file's dtype as they are
 * packed; with flags, each thread's flag is set when a value is not finite. */
typedef struct weight_pack {
    const kernels *k;
    const aniso_tensor *W;
    size_t n_in;
    unsigned char *flags;
    pack_format panels; /* PACK_F32 (pack_t), or 16-bit values as they are (pack_t16) */
} weight_pack;

static void pack_weight(void *ctx, float *dst, float *scratch, size_t j0, size_t nj, size_t k0,
                        size_t kc, int nr, int thread)
{
    const weight_pack *w = ctx;
    const aniso_tensor *t = w->W;
    if (t->row_map == ANISO_ROWS_CONV1D) {
        /* stored (in, out): the packed rows are the stored rows' pieces */
        size_t ld = (size_t)t->map_dim;
        for (size_t kk = 0; kk < kc; kk++) {
            float *d = dst + kk * (size_t)nr;
            convert_fast(w->k, d, t, (k0 + kk) * ld + j0, nj);
            memset(d + nj, 0, ((size_t)nr - nj) * sizeof *d);
        }
        if (w->flags && first_nonfinite_1(dst, kc * (size_t)nr) < kc * (size_t)nr)
            w->flags[thread] = 1;
        return;
    }
    const void *rows[KERN_MAX_NR];
    pack_format fmt = PACK_F32;
    int in_place = in_place_format(t);
    if (in_place >= 0) {
        /* read in place, converted as transposed (Q8_0: k0 and kc are whole
         * blocks, as GEMM_KC and the model's rows are) */
        fmt = (pack_format)in_place;
        size_t be, bb;
        aniso_dtype_block(t->dtype, &be, &bb);
        for (size_t r = 0; r < nj; r++)
            rows[r] =
                (const unsigned char *)t->data + (map_row(t, j0 + r) * w->n_in + k0) / be * bb;
    } else {
        /* another block quantization (or a shift): decoded into scratch
         * first */
        for (size_t r = 0; r < nj; r++) {
            convert_fast(w->k, scratch + r * kc, t, map_row(t, j0 + r) * w->n_in + k0, kc);
            rows[r] = scratch + r * kc;
        }
    }
    int bad = w->panels != PACK_F32 ? w->k->pack_t16((uint16_t *)(void *)dst, rows, fmt, kc, nj, nr)
                                    : w->k->pack_t(dst, rows, fmt, kc, nj, nr);
    if (bad && w->flags) w->flags[thread] = 1;
}

/* The prefetcher of pack_weight: the panel's rows as stored (block
 * quantizations' whole blocks), a share of their cache lines. */
static void prefetch_weight(const void *ctx, size_t j0, size_t nj, size_t k0, size_t kc,
                            size_t part, size_t parts)
{
    const weight_pack *w = ctx;
    const aniso_tensor *t = w->W;
    if (t->row_map == ANISO_ROWS_CONV1D) return;
    size_t be, bb;
    aniso_dtype_block(t->dtype, &be, &bb);
    size_t bytes = (kc + be - 1) / be * bb, lines = bytes / 64 + 2, all = nj * lines,
           l0 = all * part / parts, l1 = all * (part + 1) / parts;
    for (size_t r = l0 / lines, i = l0 % lines, l = l0; l < l1; r++, i = 0) {
        const char *row = (const char *)t->data + (map_row(t, j0 + r) * w->n_in + k0) / be * bb;
        /* the lines from the one that holds the row's first byte */
        const char *line = row - (uintptr_t)row % 64, *end = row + bytes;
        for (; i < lines && l < l1; i++, l++)
            if (line + i * 64 < end) __builtin_prefetch(line + i * 64, 0, 2);
    }
}

static const unsigned char *bf16_row(const void *ctx, size_t j)
{
    const weight_pack *w = ctx;
    return (const unsigned char *)w->W->data + map_row(w->W, j) * w->n_in * 2;
}

uint64_t file_index(const aniso_tensor *t, uint64_t first, size_t r, size_t c, size_t row_len)
{
    if (t->row_map == ANISO_ROWS_CONV1D) /* column r of the stored (in, out) matrix */
        return first + (uint64_t)c * (uint64_t)t->map_dim + r;
    return first + (uint64_t)map_row(t, r) * row_len + c;
}

/* Records the first non-finite value of the n floats of w (the model's
 * elements from at0 on) in bad; 1 when there is one. */
static int find_bad(const float *w, size_t n, size_t at0, nonfinite *bad)
{
    size_t i = first_nonfinite(w, n);
    if (i == n) return 0;
    bad->at = at0 + i;
    bad->v = w[i];
    return 1;
}

void linear(float *y, const float *x, const aniso_tensor *W, const float *b, int T, int n_in,
            int n_out, const kernels *k, int n_threads, float *work, nonfinite *bad)
{
    if (bad) bad->at = SIZE_MAX;
    unsigned char flags[256] = {0};
    if (n_threads > (int)sizeof flags) n_threads = (int)sizeof flags;
    int blocks =
        W->dtype != ANISO_DTYPE_F32 && W->dtype != ANISO_DTYPE_F16 && W->dtype != ANISO_DTYPE_BF16;
    /* 16-bit weights read in place stay 16-bit in the panels where the
     * variant's micro-kernel converts them */
    int in_place = in_place_format(W),
        half = k->micro_h && (in_place == PACK_F16 || in_place == PACK_BF16);
    weight_pack wp = {k, W, (size_t)n_in, bad ? flags : NULL,
                      half ? (pack_format)in_place : PACK_F32};
    if (k->product_bf16 && in_place == PACK_BF16 && n_in % 32 == 0)
        k->product_bf16((size_t)T, (size_t)n_out, (size_t)n_in, x, (size_t)n_in, y, (size_t)n_out,
                        bf16_row, &wp, work, n_threads, bad ? flags : NULL);
    else
        gemm(k, (size_t)T, (size_t)n_out, (size_t)n_in, x, (size_t)n_in, y, (size_t)n_out,
             pack_weight, prefetch_weight, &wp, work, n_threads, blocks, wp.panels);
    if (bad && memchr(flags, 1, sizeof flags)) {
        /* the first non-finite value in the model's element order, one
         * converted row at a time */
        float *row = work + product_elems(k, n_threads);
        for (int r = 0; r < n_out; r++) {
            convert_rows(row, W, (size_t)r, 1, (size_t)n_in, 0);
            if (find_bad(row, (size_t)n_in, (size_t)r * (size_t)n_in, bad)) break;
        }
        memset(y, 0, (size_t)T * (size_t)n_out * sizeof *y);
        return;
    }
    if (b)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n_out; j++) y[(size_t)t * n_out + j] += b[j];
}

/* The packed keys: for each tile of mr keys, (D, mr) micro-panels, A of
 * S^T = K Q^T; then the packed values: for each tile of mr of the D
 * dimensions, (Tp, mr), A of O^T = V^T P^T. tiles(n, k): n in tiles of mr. */
static size_t tiles(size_t n, const kernels *kern)
{
    return (n + (size_t)kern->mr - 1) / (size_t)kern->mr;
}

size_t attn_kv_elems(const kernels *kern, size_t max_seq, int D)
{
    size_t mr = (size_t)kern->mr;
    return tiles(max_seq, kern) * mr * (size_t)D + tiles((size_t)D, kern) * mr * max_seq;
}

/* A thread's work: the panel's queries Q^T (D, nr), a tile of O^T (mr, nr),
 * then S^T and P^T (keys, nr) in place. */
size_t attn_work_elems(const kernels *kern, size_t max_seq, int D)
{
    size_t mr = (size_t)kern->mr, nr = (size_t)kern->nr;
    return ((size_t)D + mr + max_seq + mr) * nr;
}

size_t attn_pack_items(const kernels *kern, size_t Tp, int D)
{
    return tiles(Tp, kern) + tiles((size_t)D, kern);
}

void attn_pack(float *kv, const float *k, const float *v, size_t ks, size_t Tp, int D,
               const kernels *kern, size_t i)
{
    size_t mr = (size_t)kern->mr, nkt = tiles(Tp, kern), d = (size_t)D;
    if (i < nkt) {
        const void *rows[KERN_MAX_MR];
        size_t s0 = i * mr, n = Tp - s0 < mr ? Tp - s0 : mr;
        for (size_t j = 0; j < n; j++) rows[j] = k + (s0 + j) * ks;
        kern->pack_t(kv + i * d * mr, rows, PACK_F32, d, n, (int)mr);
        return;
    }
    size_t d0 = (i - nkt) * mr, n = d - d0 < mr ? d - d0 : mr;
    float *dst = kv + nkt * mr * d + (i - nkt) * Tp * mr;
    for (size_t s = 0; s < Tp; s++, dst += mr) {
        memcpy(dst, v + s * ks + d0, n * sizeof *dst);
        memset(dst + n, 0, (mr - n) * sizeof *dst);
    }
}

void attend_panel(float *out, const float *q, size_t qs, const float *kv, size_t Tp, int D,
                  size_t q0, float scale, float cap, int window, float *work, const kernels *kern)
{
    size_t mr = (size_t)kern->mr, nr = (size_t)kern->nr, d = (size_t)D;
    size_t nq = Tp - q0 < nr ? Tp - q0 : nr, s1 = q0 + nq;
    size_t W = window > 0 ? (size_t)window : 0;
    /* the panel's keys: from the first query's first key, down to a tile */
    size_t lo = W && q0 + 1 > W ? q0 + 1 - W : 0, s0 = lo - lo % mr;
    const float *ka = kv, *va = kv + tiles(Tp, kern) * mr * d;
    float *qt = work, *ot = qt + d * nr, *st = ot + mr * nr;
    /* Q^T (D, nr) */
    const void *rows[KERN_MAX_NR];
    for (size_t j = 0; j < nq; j++) rows[j] = q + (q0 + j) * qs;
    kern->pack_t(qt, rows, PACK_F32, d, nq, (int)nr);
    /* S^T (keys, nr): each score one chain over the D dimensions */
    for (size_t s = s0; s < s1; s += mr)
        kern->micro(d, ka + s / mr * d * mr, qt, st + (s - s0) * nr, nr, 0,
                    (int)(s1 - s < mr ? s1 - s : mr));
    /* P^T in place: query j's keys end at row q0 + j - s0 */
    kern->softmax(st, nr, s1 - s0, nq, q0 + 1 - s0, W, scale, cap);
    /* O^T (D, nr) = V^T P^T, a tile of mr dimensions at a time: each output
     * one chain over the keys (the others' probabilities are zero) */
    for (size_t d0 = 0; d0 < d; d0 += mr) {
        size_t n = d - d0 < mr ? d - d0 : mr;
        kern->micro(s1 - s0, va + d0 / mr * Tp * mr + s0 * mr, st, ot, nr, 0, (int)n);
        for (size_t j = 0; j < nq; j++)
            for (size_t i = 0; i < n; i++) out[(q0 + j) * qs + d0 + i] = ot[i * nr + j];
    }
}

void rmsnorm(float *y, const float *x, const float *w, int T, int n, double eps, int gemma,
             const kernels *k)
{
#pragma omp parallel for schedule(static) if (T > 16)
    for (int t = 0; t < T; t++)
        k->rms_row(y + (size_t)t * n, x + (size_t)t * n, w, (size_t)n, eps, gemma);
}

void layernorm(float *y, const float *x, const float *w, const float *b, int T, int n, double eps,
               const kernels *k)
{
#pragma omp parallel for schedule(static) if (T > 16)
    for (int t = 0; t < T; t++)
        k->ln_row(y + (size_t)t * n, x + (size_t)t * n, w, b, (size_t)n, eps);
}

double act_scalar(double x, aniso_act act)
{
    switch (act) {
    case ANISO_ACT_SILU:
        return x / (1.0 + exp(-x));
    case ANISO_ACT_GELU:
        return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case ANISO_ACT_GELU_TANH:
    case ANISO_ACT_GELU_NEW:
        return 0.5 * x *
               (1.0 + tanh(0.7978845608028654 /* sqrt(2 / pi) */ * (x + 0.044715 * x * x * x)));
    case ANISO_ACT_GELU_FAST:
        return 0.5 * x * (1.0 + tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)));
    }
    return x;
}

void act_apply(float *y, const float *g, const float *u, size_t n, aniso_act act, const kernels *k)
{
    /* in pieces of whole cache lines, split among the threads */
    size_t piece = 16384, pieces = (n + piece - 1) / piece;
#pragma omp parallel for schedule(static) if (pieces > 1)
    for (size_t p = 0; p < pieces; p++) {
        size_t i0 = p * piece, m = n - i0 < piece ? n - i0 : piece;
        k->act(y + i0, g + i0, u ? u + i0 : NULL, m, act);
    }
}

void add_inplace(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}
