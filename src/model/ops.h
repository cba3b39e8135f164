/* ops.h - the forward pass's operations on float32 row-major matrices, each
 * written output first: op(out, in, weights, sizes). */
#ifndef ANISO_OPS_H
#define ANISO_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/model.h"
#include "kernels/kernels.h"

/* n elements of a tensor's data (F32, F16, BF16 or a block quantization;
 * first and n whole blocks) to float32, plus the tensor's shift. */
void to_f32(float *out, const aniso_tensor *t, size_t first, size_t n);
/* Rows [row0, row0 + nrows) of a (rows x row_len) tensor in the model's row
 * order (undoing the tensor's row_map), to float32. */
void rows_f32(float *out, const aniso_tensor *t, size_t row0, size_t nrows, size_t row_len);

/* The index of the first value of x[0..n) that is NaN or infinite, or n
 * when every one is finite. */
size_t first_nonfinite(const float *x, size_t n);
/* "NaN", "Inf" or "-Inf" (for messages about v). */
const char *nonfinite_name(float v);

/* Where linear() found a weight's first non-finite value (as float32, after
 * the tensor's shift): the model's element row * n_in + column, or SIZE_MAX
 * when every value is finite. */
typedef struct nonfinite {
    size_t at;
    float v;
} nonfinite;

/* y (T, n_out) = x (T, n_in) . W^T (+ b), W a (n_out, n_in) tensor read in
 * its file dtype as the product packs it, on kernels k with n_threads
 * threads; work has room for linear_buffer_elems(k, n_in, n_threads)
 * floats. With bad, every value of W is checked as it is converted and bad
 * says where the first non-finite one is; then y is zeroed. */
void linear(float *y, const float *x, const aniso_tensor *W, const float *b, int T, int n_in,
            int n_out, const kernels *k, int n_threads, float *work, nonfinite *bad);

/* The index, in the file's tensor (its elements in storage order), of the
 * model's element (r, c) of t (rows of row_len, the tensor's row_map undone),
 * whose bound view starts at the file's element first (a fused part's). */
uint64_t file_index(const aniso_tensor *t, uint64_t first, size_t r, size_t c, size_t row_len);

/* Floats of work that linear() needs for a weight of n_in columns. */
size_t linear_buffer_elems(const kernels *k, size_t n_in, int n_threads);

/* Row-wise norms of x (T, n) into y (may alias x). */
void rmsnorm(float *y, const float *x, const float *w, int T, int n, double eps, int gemma,
             const kernels *k);
void layernorm(float *y, const float *x, const float *w, const float *b, int T, int n, double eps,
               const kernels *k);

/* y = act(g) * u elementwise (gated MLP), or y = act(y) when u is NULL. */
void act_apply(float *y, const float *g, const float *u, size_t n, aniso_act act, const kernels *k);

/* Causal softmax attention, as transformers' eager attention computes it
 * (scores and products in float32, each probability from its score's
 * exponential in double over the sum in double), for a sequence of Tp
 * tokens: out[t] = sum_s softmax_s(cap(scale q[t].k[s])) v[s] over the keys
 * s <= t (and t - s < window when window > 0). The keys and values of one
 * kv head are packed once (attn_pack, one item of attn_pack_items at a
 * time, in any order and on any thread), then each query head's panels of
 * kern->nr queries run independently (attend_panel, on the caller's
 * thread), each query's output one fixed chain of operations whatever its
 * panel. */
/* Floats of the packed keys and values for sequences of up to max_seq
 * tokens, and of one thread's work. */
size_t attn_kv_elems(const kernels *kern, size_t max_seq, int D);
size_t attn_work_elems(const kernels *kern, size_t max_seq, int D);
/* The packing's items for Tp tokens, and item i of them: k and v rows have
 * stride ks (floats). */
size_t attn_pack_items(const kernels *kern, size_t Tp, int D);
void attn_pack(float *kv, const float *k, const float *v, size_t ks, size_t Tp, int D,
               const kernels *kern, size_t i);
/* The queries q0 .. q0 + kern->nr (those below Tp) of one head: q and out
 * rows have stride qs; cap 0 = no soft-capping; work has attn_work_elems. */
void attend_panel(float *out, const float *q, size_t qs, const float *kv, size_t Tp, int D,
                  size_t q0, float scale, float cap, int window, float *work, const kernels *kern);

/* y += x, n elements. */
void add_inplace(float *y, const float *x, size_t n);

/* Scalar activations (double in, double out), the references of act_apply. */
double act_scalar(double x, aniso_act act);

/* BLAS threads (0 = leave as is), and the current count. */
void ops_set_threads(int n);
int ops_get_threads(void);

#endif
