/* bench_forward.c - forward-pass speed and memory on one model.
 *
 * usage: bench_forward MODEL_DIR [THREADS]
 * Runs the notebook's 16 prompts through MODEL once as a warm-up and then
 * times the best of three passes; measures the machine's sgemm peak in the
 * same run (square 2048^3 products and the model's own largest product);
 * prints one line of key=value fields:
 *   load_s forward_s tokens tokens_per_s gflop gflops sgemm_peak_gflops
 *   percent_of_peak peak_rss_mb weights_mb */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "aniso/aniso.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best GFLOP/s of C (M, N) = A (M, K) . B^T over a few runs. */
static double sgemm_gflops(int M, int N, int K)
{
    float *a = calloc((size_t)M * K, 4), *b = calloc((size_t)N * K, 4),
          *c = calloc((size_t)M * N, 4);
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)N * K; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int r = 0; r < 4; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
        double g = 2.0 * M * N * K / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(a), free(b), free(c);
    return best;
}

static int noop(void *u, int l, const float *x, size_t n, int d, aniso_error *e)
{
    (void)u, (void)l, (void)x, (void)n, (void)d, (void)e;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_forward MODEL_DIR [THREADS]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 0;
    aniso_error err;
    double t0 = now();
    aniso_model *m = aniso_model_open(argv[1], NULL, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double load = now() - t0;
    aniso_tokenizer *tk = aniso_tokenizer_open(argv[1], NULL, &err);
    aniso_prompts p;
    aniso_ids ids = {0};
    size_t *off = NULL;
    if (!tk || aniso_prompts_default(&p, &err) ||
        aniso_tokenizer_encode_prompts(tk, &p, &ids, &off, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_batch b = {ids.v, off, p.n};
    aniso_forward_opts o = {.n_threads = threads, .tap = noop};
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        t0 = now();
        if (aniso_forward(m, &b, &o, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        if (r > 0 && now() - t0 < best) best = now() - t0;
    }
    /* Matrix-product FLOPs of the pass, plus attention's two products. */
    double T = (double)ids.n, H = hp->d_model, Q = (double)hp->n_head * hp->d_head,
           KV = (double)hp->n_head_kv * hp->d_head, F = hp->d_ff;
    int gated = hp->arch != ANISO_ARCH_GPTNEOX;
    double per_layer = 2 * T * (H * (Q + 2 * KV) + Q * H + (gated ? 3 : 2) * H * F);
    double attn = 0;
    for (size_t i = 0; i < p.n; i++) {
        double n = (double)(off[i + 1] - off[i]);
        attn += 2.0 * 2.0 * Q * n * (n + 1) / 2;
    }
    double gflop = (per_layer + attn) * hp->n_layer / 1e9;
    double peak = sgemm_gflops(2048, 2048, 2048);
    double own = sgemm_gflops((int)T, hp->d_ff, hp->d_model);
    if (own > peak) peak = own;
    aniso_model_stats s;
    aniso_model_stats_get(m, &s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("load_s=%.3f forward_s=%.3f tokens=%zu tokens_per_s=%.1f gflop=%.2f gflops=%.1f "
           "sgemm_peak_gflops=%.1f layer_shape_sgemm_gflops=%.1f percent_of_peak=%.1f "
           "peak_rss_mb=%.0f weights_mb=%.0f\n",
           load, best, ids.n, T / best, gflop, gflop / best, peak, own, 100 * gflop / best / peak,
           ru.ru_maxrss / 1024.0, s.n_bytes / 1048576.0);
    aniso_prompts_free(&p);
    aniso_ids_free(&ids);
    free(off);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    return 0;
}
