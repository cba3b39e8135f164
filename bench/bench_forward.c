/* bench_forward.c - forward-pass speed and memory on one model, per kernel
 * variant, against the same variant's FMA peak measured in the same run.
 *
 * usage: bench_forward MODEL [THREADS] [--long N] [--variants a,b,...]
 * Runs the notebook's 16 prompts through MODEL (or, with --long, one
 * sequence of N tokens: the prompts' tokens repeated) once as a warm-up and
 * times the best of three passes (the FMA peak measured before each pass,
 * its best kept), for each variant given (default: every
 * one this machine runs, set through ANISO_CPU). Prints one line per
 * variant of key=value fields:
 *   variant threads forward_s tokens tokens_per_s gflop gflops
 *   fma_peak_gflops of_fma_peak attention_share peak_rss_mb weights_mb
 * (for amx, the FMA peak is AVX-512's, and a second line gives the tile
 * units' bfloat16 peak). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "aniso/aniso.h"
#include "fma_peak.h"
#include "model/forward_int.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int noop(void *u, int l, const float *x, size_t n, int d, aniso_error *e)
{
    (void)u, (void)l, (void)x, (void)n, (void)d, (void)e;
    return 0;
}

/* Matrix-product FLOPs of a pass: the projections and MLP of every token,
 * and attention's two products over the keys each query sees. */
static double pass_gflop(const aniso_hparams *hp, int gated, const size_t *off, size_t n_seq)
{
    double T = (double)off[n_seq], H = hp->d_model, Q = (double)hp->n_head * hp->d_head,
           KV = (double)hp->n_head_kv * hp->d_head, F = hp->d_ff;
    double per_layer = 2 * T * (H * (Q + 2 * KV) + Q * H + (gated ? 3 : 2) * H * F), all = 0;
    for (int l = 0; l < hp->n_layer; l++) {
        double attn = 0;
        for (size_t i = 0; i < n_seq; i++) {
            double n = (double)(off[i + 1] - off[i]), w = hp->sliding[l] ? hp->sliding_window : 0;
            double keys = w > 0 && n > w ? w * (w + 1) / 2 + (n - w) * w : n * (n + 1) / 2;
            attn += 2.0 * 2.0 * Q * keys;
        }
        all += per_layer + attn;
    }
    return all / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_forward MODEL [THREADS] [--long N] [--variants a,b]\n");
        return 2;
    }
    int threads = 0;
    size_t long_n = 0;
    char variants[128] = "";
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--long") && i + 1 < argc)
            long_n = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--variants") && i + 1 < argc)
            snprintf(variants, sizeof variants, "%s", argv[++i]);
        else
            threads = atoi(argv[i]);
    }
    if (threads <= 0) threads = 1;
    if (!variants[0]) {
        aniso_kernels_available(variants, sizeof variants);
        for (char *c = variants; *c; c++)
            if (*c == ' ') *c = ',';
    }
    aniso_error err;
    aniso_model *m = aniso_model_open(argv[1], NULL, &err);
    if (!m) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    aniso_tokenizer *tk = aniso_tokenizer_open(argv[1], NULL, &err);
    aniso_prompts p;
    aniso_ids ids = {0};
    size_t *off = NULL, n_seq;
    if (aniso_prompts_default(&p, &err) ||
        (tk && aniso_tokenizer_encode_prompts(tk, &p, &ids, &off, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    n_seq = p.n;
    if (!tk) {
        /* a file without a vocabulary (bench/make_random_gguf.py): the
         * prompts' count and 22 tokens each (their mean length in Gemma's
         * vocabulary), fixed ids */
        int64_t V = aniso_model_weight(m, ANISO_ROLE_TOK_EMBD, 0)->shape[0];
        off = malloc((n_seq + 1) * sizeof *off);
        for (size_t i = 0; i <= n_seq; i++) off[i] = 22 * i;
        for (size_t i = 0; i < off[n_seq]; i++)
            aniso_ids_push(&ids, (int32_t)((i * 7919 + 13) % (size_t)V));
    }
    if (long_n) {
        /* one sequence: the prompts' tokens over and over */
        size_t have = ids.n;
        for (size_t i = have; i < long_n; i++) aniso_ids_push(&ids, ids.v[i % have]);
        ids.n = long_n;
        n_seq = 1;
        off[0] = 0, off[1] = long_n;
    }
    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_batch b = {ids.v, off, n_seq};
    double gflop =
        pass_gflop(hp, aniso_model_weight(m, ANISO_ROLE_FFN_GATE, 0) != NULL, off, n_seq);
    aniso_model_stats ms;
    aniso_model_stats_get(m, &ms);
    for (char *v = strtok(variants, ","); v; v = strtok(NULL, ",")) {
        if (aniso_kernels_set(v, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        aniso_plan_opts po = {
            .n_threads = threads, .max_tokens = ids.n, .max_seq = long_n ? long_n : ids.n};
        aniso_plan *plan = aniso_plan_new(m, &po, &err);
        aniso_state *st = plan ? aniso_state_new(plan, &err) : NULL;
        if (!st) {
            fprintf(stderr, "%s: %s\n", v, err.msg);
            return 1;
        }
        /* the peak is measured beside every pass and the best of each is
         * kept: on a shared machine both then see the same quiet spells */
        double best = 1e30, attn = 0, peak = 0;
        for (int r = 0; r < (long_n ? 2 : 4); r++) {
            double pk = fma_peak_gflops(v, threads);
            if (pk > peak) peak = pk;
            double a0 = forward_attention_seconds(st), t0 = now();
            if (aniso_run(plan, st, &b, noop, NULL, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            double t = now() - t0;
            if (r > 0 && t < best) best = t, attn = forward_attention_seconds(st) - a0;
        }
        aniso_state_free(st);
        aniso_plan_free(plan);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("variant=%s threads=%d forward_s=%.3f tokens=%zu tokens_per_s=%.1f gflop=%.1f "
               "gflops=%.1f fma_peak_gflops=%.1f of_fma_peak=%.3f attention_share=%.3f "
               "peak_rss_mb=%.0f weights_mb=%.0f\n",
               v, threads, best, ids.n, (double)ids.n / best, gflop, gflop / best, peak,
               gflop / best / peak, attn / best, ru.ru_maxrss / 1024.0, ms.n_bytes / 1048576.0);
        /* AMX: also the tile units' own peak (their bfloat16 products; the
         * exact float32 product costs three of them) */
        if (!strcmp(v, "amx")) {
            double tp = amx_bf16_peak_gflops(threads);
            printf("variant=amx threads=%d amx_bf16_peak_gflops=%.1f of_amx_bf16_peak_x3=%.3f\n",
                   threads, tp, 3.0 * gflop / best / tp);
        }
        fflush(stdout);
    }
    aniso_prompts_free(&p);
    aniso_ids_free(&ids);
    free(off);
    if (tk) aniso_tokenizer_free(tk);
    aniso_model_free(m);
    return 0;
}
