/* ops.c - matrix products through BLAS (sgemm), norms and activations.
 * Reductions accumulate in double and round once: closer to the exact value
 * than PyTorch's float32 pairwise sums, and within float32 rounding of them
 * (docs/ARCHITECTURES.md, pitfall 20). */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/half.h"
#include "io/quants.h"
#include "model/ops.h"

void ops_set_threads(int n)
{
    if (n > 0) openblas_set_num_threads(n);
}

int ops_get_threads(void)
{
    return openblas_get_num_threads();
}

void to_f32(float *out, const aniso_tensor *t, size_t first, size_t n)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case ANISO_DTYPE_F32:
        memcpy(out, p + 4 * first, 4 * n);
        break;
    /* BF16 and F16 keep separate loops: one loop choosing the decoder per
     * element stops the BF16 loop vectorizing (measured 1.7x slower). */
    case ANISO_DTYPE_BF16: {
        const unsigned char *q = p + 2 * first;
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
        break;
    }
    default: {
        size_t be, bb;
        aniso_dtype_block(t->dtype, &be, &bb);
        if (be < 2 || dequantize(t->dtype, p + first / be * bb, out, n))
            memset(out, 0, 4 * n); /* excluded when the model is opened */
        break;
    }
    }
    if (t->shift != 0.0f)
        for (size_t i = 0; i < n; i++) out[i] += t->shift;
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

void rows_f32(float *out, const aniso_tensor *t, size_t row0, size_t nrows, size_t row_len)
{
    if (t->row_map == ANISO_ROWS_CONV1D) {
        conv1d_rows(out, t, row0, nrows, row_len);
        return;
    }
    if (t->row_map == ANISO_ROWS_SAME) {
        to_f32(out, t, row0 * row_len, nrows * row_len);
        return;
    }
    for (size_t r = 0; r < nrows; r++)
        to_f32(out + r * row_len, t, map_row(t, row0 + r) * row_len, row_len);
}

/* Rows of a converted weight block: about 32 MiB of float32. Smaller blocks
 * (4 MiB) made each sgemm too narrow to run at full speed; whole matrices
 * would need a buffer as large as the largest weight. */
static int block_rows(int n_in)
{
    int r = (int)((32u << 20) / (4u * (unsigned)n_in));
    r -= r % 64;
    return r < 64 ? 64 : r;
}

/* Rows of x per matrix product. Every product has exactly this many rows
 * (the last block padded with zeros), so that a token's result never
 * depends on how many other tokens share its chunk: BLAS libraries choose
 * their kernels (and so the rounding) by the matrix sizes. */
#define LIN_ROWS 256

size_t linear_buffer_elems(const aniso_tensor *W)
{
    if (W->n_dims != 2) return (size_t)W->n_elem + LIN_ROWS * 2 * (size_t)W->n_elem;
    size_t rows = (size_t)W->shape[0], n_in = (size_t)W->shape[1],
           R = (size_t)block_rows((int)n_in), r = rows < R ? rows : R;
    /* a converted block and its padded rows, or (float32 weights used in
     * place) the padded rows of the whole product */
    return r * n_in + LIN_ROWS * (n_in + rows);
}

/* y (T, ldy) columns [0, r) = x (T, n_in) . w^T for one block of r weight
 * rows w (r, n_in), LIN_ROWS rows of x at a time; pad has LIN_ROWS * (n_in
 * + r) floats. */
static void product(float *y, int ldy, const float *x, int T, int n_in, const float *w, int r,
                    float *pad)
{
    for (int t0 = 0; t0 < T; t0 += LIN_ROWS) {
        int m = T - t0 < LIN_ROWS ? T - t0 : LIN_ROWS;
        if (m == LIN_ROWS) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, LIN_ROWS, r, n_in, 1.0f,
                        x + (size_t)t0 * n_in, n_in, w, n_in, 0.0f, y + (size_t)t0 * ldy, ldy);
            continue;
        }
        float *xp = pad, *yp = pad + (size_t)LIN_ROWS * n_in;
        memcpy(xp, x + (size_t)t0 * n_in, (size_t)m * n_in * sizeof *xp);
        memset(xp + (size_t)m * n_in, 0, (size_t)(LIN_ROWS - m) * n_in * sizeof *xp);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, LIN_ROWS, r, n_in, 1.0f, xp, n_in, w,
                    n_in, 0.0f, yp, r);
        for (int i = 0; i < m; i++)
            memcpy(y + (size_t)(t0 + i) * ldy, yp + (size_t)i * r, (size_t)r * sizeof *yp);
    }
}

void linear(float *y, const float *x, const aniso_tensor *W, const float *b, int T, int n_in,
            int n_out, float *wbuf)
{
    if (W->dtype == ANISO_DTYPE_F32 && ((uintptr_t)W->data & 3) == 0 && W->shift == 0.0f &&
        W->row_map == ANISO_ROWS_SAME) {
        product(y, n_out, x, T, n_in, W->data, n_out, wbuf);
    } else {
        /* Convert and multiply one block of output rows at a time. */
        int R = block_rows(n_in);
        size_t conv = (size_t)(n_out < R ? n_out : R) * (size_t)n_in;
        for (int r0 = 0; r0 < n_out; r0 += R) {
            int r = n_out - r0 < R ? n_out - r0 : R;
            rows_f32(wbuf, W, (size_t)r0, (size_t)r, (size_t)n_in);
            product(y + r0, n_out, x, T, n_in, wbuf, r, wbuf + conv);
        }
    }
    if (b)
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n_out; j++) y[(size_t)t * n_out + j] += b[j];
}

void attend_head(float *out, const float *q, size_t qs, const float *k, const float *v, size_t ks,
                 size_t Tp, int D, float scale, float cap, int window, float *scores, int n_threads)
{
    size_t W = window > 0 ? (size_t)window : 0;
    for (size_t i0 = 0; i0 < Tp; i0 += ATTN_BLOCK) {
        size_t i1 = i0 + ATTN_BLOCK < Tp ? i0 + ATTN_BLOCK : Tp, m = i1 - i0;
        size_t lo = W && i0 + 1 > W ? i0 + 1 - W : 0, nk = i1 - lo;
        /* S = q[i0:i1] . k[lo:i1]^T, then scaled as transformers does. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nk, D, 1.0f, q + i0 * qs,
                    (int)qs, k + lo * ks, (int)ks, 0.0f, scores, (int)nk);
#pragma omp parallel for schedule(static) num_threads(n_threads) if (m * nk > 16384)
        for (size_t r = 0; r < m; r++) {
            size_t t = i0 + r, a = (W && t + 1 > W ? t + 1 - W : 0) - lo, b = t - lo;
            float *sc = scores + r * nk, mx = -INFINITY;
            for (size_t s = a; s <= b; s++) {
                float x = sc[s] * scale;
                if (cap > 0) x = cap * tanhf(x / cap);
                sc[s] = x;
                if (x > mx) mx = x;
            }
            double sum = 0;
            for (size_t s = a; s <= b; s++) {
                sc[s] = expf(sc[s] - mx);
                sum += sc[s];
            }
            float inv = (float)(1.0 / sum);
            for (size_t s = 0; s < a; s++) sc[s] = 0;
            for (size_t s = a; s <= b; s++) sc[s] *= inv;
            for (size_t s = b + 1; s < nk; s++) sc[s] = 0;
        }
        /* out[i0:i1] = P . v[lo:i1] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, D, (int)nk, 1.0f, scores,
                    (int)nk, v + lo * ks, (int)ks, 0.0f, out + i0 * qs, (int)qs);
    }
}

void rmsnorm(float *y, const float *x, const float *w, int T, int n, double eps, int gemma)
{
#pragma omp parallel for schedule(static) if (T > 16)
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * n;
        float *yr = y + (size_t)t * n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        float r = (float)(1.0 / sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            float xh = xr[i] * r;
            /* Gemma: x_hat * (1 + w); Llama: w * x_hat. */
            yr[i] = gemma ? xh * (1.0f + w[i]) : w[i] * xh;
        }
    }
}

void layernorm(float *y, const float *x, const float *w, const float *b, int T, int n, double eps)
{
#pragma omp parallel for schedule(static) if (T > 16)
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * n;
        float *yr = y + (size_t)t * n;
        double mu = 0, var = 0;
        for (int i = 0; i < n; i++) mu += xr[i];
        mu /= n;
        for (int i = 0; i < n; i++) var += ((double)xr[i] - mu) * ((double)xr[i] - mu);
        double r = 1.0 / sqrt(var / n + eps);
        for (int i = 0; i < n; i++) yr[i] = (float)(((double)xr[i] - mu) * r) * w[i] + b[i];
    }
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

/* In float32, as PyTorch evaluates them (act_scalar is the reference). */
static inline float act_f32(float x, aniso_act act)
{
    switch (act) {
    case ANISO_ACT_SILU:
        return x / (1.0f + expf(-x));
    case ANISO_ACT_GELU:
        return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case ANISO_ACT_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case ANISO_ACT_GELU_NEW: {
        /* 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * pow(x, 3)))), one rounding per
         * tensor operation */
        float c = 0.044715f * (x * x * x), t = tanhf(0.79788456080286536f * (x + c));
        return (0.5f * x) * (1.0f + t);
    }
    case ANISO_ACT_GELU_FAST:
        return 0.5f * x * (1.0f + tanhf(x * 0.7978845608f * (1.0f + 0.044715f * x * x)));
    }
    return x;
}

void act_apply(float *y, const float *g, const float *u, size_t n, aniso_act act)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) {
        float a = act_f32(g[i], act);
        y[i] = u ? a * u[i] : a;
    }
}

void add_inplace(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}
