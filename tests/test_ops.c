/* test_ops.c - the forward pass's operations against scalar double
 * references on random inputs, and the half-precision conversions against
 * the compiler's own _Float16 and the bfloat16 bit layout. (An internal
 * test: it includes src/ headers.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/half.h"
#include "model/ops.h"

static double urand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return ((*s >> 8) & 0xffff) / 32768.0 - 1.0;
}

static void f16_all_values(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 65536; i++) {
        uint16_t b = (uint16_t)i;
        _Float16 h;
        memcpy(&h, &b, 2);
        float want = (float)h, got = f16_to_f32(b);
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
            _Float16 h = (_Float16)v[i];
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

static void linear_matches_reference(void **state)
{
    (void)state;
    unsigned s = 7;
    int T = 5, n_in = 300, n_out = 3500; /* more rows than one conversion block */
    float *x = malloc(sizeof(float) * T * n_in), *w = malloc(sizeof(float) * n_in * n_out);
    float *y = malloc(sizeof(float) * T * n_out), *wbuf = NULL;
    float *b = malloc(sizeof(float) * n_out);
    void *raw = malloc(sizeof(float) * n_in * n_out);
    for (int i = 0; i < T * n_in; i++) x[i] = (float)urand(&s);
    for (int i = 0; i < n_in * n_out; i++) w[i] = (float)urand(&s);
    for (int i = 0; i < n_out; i++) b[i] = (float)urand(&s);
    aniso_dtype dts[] = {ANISO_DTYPE_F32, ANISO_DTYPE_F16, ANISO_DTYPE_BF16};
    for (int d = 0; d < 3; d++) {
        aniso_tensor W = make_tensor(raw, w, (size_t)n_in * n_out, dts[d]);
        W.n_dims = 2;
        W.shape[0] = n_out;
        W.shape[1] = n_in;
        free(wbuf);
        wbuf = malloc(sizeof(float) * linear_buffer_elems(&W));
        float *wq = malloc(sizeof(float) * n_in * n_out); /* the rounded weights */
        to_f32(wq, &W, 0, (size_t)n_in * n_out);
        linear(y, x, &W, b, T, n_in, n_out, wbuf);
        double maxerr = 0;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < n_out; j++) {
                double ref = b[j];
                for (int i = 0; i < n_in; i++) ref += (double)x[t * n_in + i] * wq[j * n_in + i];
                double e = fabs(ref - y[t * n_out + j]);
                if (e > maxerr) maxerr = e;
            }
        assert_true(maxerr < 1e-4); /* sums of 300 products of magnitude <= 1 */
        free(wq);
    }
    free(x), free(w), free(y), free(wbuf), free(b), free(raw);
}

static void norms_match_reference(void **state)
{
    (void)state;
    unsigned s = 11;
    enum { T = 3, N = 257 };
    float x[T * N], w[N], bias[N], y[T * N];
    for (int i = 0; i < T * N; i++) x[i] = (float)(3 * urand(&s));
    for (int i = 0; i < N; i++) w[i] = (float)urand(&s), bias[i] = (float)urand(&s);
    for (int gemma = 0; gemma < 2; gemma++) {
        rmsnorm(y, x, w, T, N, 1e-6, gemma);
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
    layernorm(y, x, w, bias, T, N, 1e-5);
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
}

static void activations_match_reference(void **state)
{
    (void)state;
    enum { N = 4001 };
    float g[N], u[N], y[N];
    for (int i = 0; i < N; i++) g[i] = -10.0f + 20.0f * (float)i / (N - 1), u[i] = 0.5f;
    aniso_act acts[] = {ANISO_ACT_SILU, ANISO_ACT_GELU, ANISO_ACT_GELU_TANH};
    for (int a = 0; a < 3; a++) {
        act_apply(y, g, u, N, acts[a]);
        for (int i = 0; i < N; i++) {
            double ref = act_scalar(g[i], acts[a]) * 0.5;
            assert_true(fabs(ref - y[i]) <= 4e-7 * (1 + fabs(ref)));
        }
    }
    /* erf and tanh GELU differ measurably (so the fixtures can tell them apart). */
    assert_true(fabs(act_scalar(-2.7, ANISO_ACT_GELU) - act_scalar(-2.7, ANISO_ACT_GELU_TANH)) >
                1e-4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(f16_all_values),
        cmocka_unit_test(bf16_values),
        cmocka_unit_test(linear_matches_reference),
        cmocka_unit_test(norms_match_reference),
        cmocka_unit_test(activations_match_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
