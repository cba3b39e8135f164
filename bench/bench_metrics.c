/* bench_metrics.c - time of the metrics of every layer of a hidden-state
 * array (L+1, n, d) stored as .npy; prints seconds=best-of-REPEATS. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aniso/aniso.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_metrics STATES.npy [REPEATS]\n");
        return 2;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    aniso_error err;
    int64_t shape[8];
    int nd;
    float *h = aniso_npy_load(argv[1], shape, &nd, &err);
    if (!h || nd != 3) {
        fprintf(stderr, "%s\n", h ? "expected (layers, tokens, dims)" : err.msg);
        return 1;
    }
    size_t L = (size_t)shape[0], n = (size_t)shape[1], d = (size_t)shape[2];
    aniso_layer_metrics m;
    double best = 1e30, idr0 = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        for (size_t l = 0; l < L; l++) {
            if (aniso_metrics_compute(h + l * n * d, n, d, &m, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            if (l == 0) idr0 = m.intrinsic_dim_ratio;
        }
        if (now() - t0 < best) best = now() - t0;
    }
    printf("layers=%zu tokens=%zu dims=%zu seconds=%.5f idr0=%.6f\n", L, n, d, best, idr0);
    free(h);
    return 0;
}
