/* bench_gemm.c - the blocked product alone (float32 B packed from rows, as
 * a bf16 weight's panels are but without the conversion) per kernel variant,
 * against the variant's FMA peak in the same run.
 *
 * usage: bench_gemm [M N K [THREADS]]   (default: 352 16384 2048, all threads)
 * Prints one line per variant: variant threads gflops fma_peak_gflops
 * of_fma_peak; for amx a second one, the exact product on bfloat16 weights
 * (three tile products per float32 one) against the same FMA peak and the
 * tile units' bfloat16 peak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fma_peak.h"
#include "kernels/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static size_t bf16_k;

static const unsigned char *bf16_rows(const void *ctx, size_t j)
{
    return (const unsigned char *)ctx + j * 2 * bf16_k;
}

int main(int argc, char **argv)
{
    size_t M = argc > 3 ? (size_t)atol(argv[1]) : 352, N = argc > 3 ? (size_t)atol(argv[2]) : 16384,
           K = argc > 3 ? (size_t)atol(argv[3]) : 2048;
    int threads = argc > 4 ? atoi(argv[4]) : omp_get_num_procs();
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N * K),
          *c = malloc(sizeof(float) * M * N);
    for (size_t i = 0; i < M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < N * K; i++) b[i] = (float)(i % 5) * 0.1f;
    for (int v = 0; v < CPU_VARIANT_COUNT; v++) {
        const kernels *k = kernels_get((cpu_variant)v);
        /* the emulation is a test, not a kernel */
        if (!k || !cpu_variant_runs((cpu_variant)v) || v == CPU_VARIANT_AMX_EMULATED) continue;
        float *work = malloc(sizeof(float) * gemm_work_elems(k, threads));
        gemm_f32 g = {k, b, K};
        double best = 1e30;
        for (int r = 0; r < 4; r++) {
            double t0 = omp_get_wtime();
            gemm(k, M, N, K, a, K, c, N, pack_rows, NULL, &g, work, threads, 0, PACK_F32);
            double t = omp_get_wtime() - t0;
            if (t < best) best = t;
        }
        double gf = 2.0 * (double)M * (double)N * (double)K / best / 1e9,
               peak = fma_peak_gflops(cpu_variant_name((cpu_variant)v), threads);
        printf("variant=%s threads=%d M=%zu N=%zu K=%zu kc=%d gflops=%.1f fma_peak_gflops=%.1f "
               "of_fma_peak=%.3f\n",
               cpu_variant_name((cpu_variant)v), threads, M, N, K, k->kc, gf, peak, gf / peak);
        free(work);
        if (v != CPU_VARIANT_AMX) continue;
        /* AMX: the exact product on bfloat16 weights (B's values rounded
         * to bfloat16), against the AVX-512 FMA peak and the tile units' */
        uint16_t *wb = malloc(2 * N * K);
        void *bwork = malloc(product_bf16_bytes(threads));
        for (size_t i = 0; i < N * K; i++) {
            uint32_t u;
            memcpy(&u, &b[i], 4);
            wb[i] = (uint16_t)(u >> 16);
        }
        bf16_k = K;
        best = 1e30;
        for (int r = 0; r < 4; r++) {
            double t0 = omp_get_wtime();
            k->product_bf16(M, N, K, a, K, c, N, bf16_rows, wb, bwork, threads, NULL);
            double t = omp_get_wtime() - t0;
            if (t < best) best = t;
        }
        gf = 2.0 * (double)M * (double)N * (double)K / best / 1e9;
        double tp = amx_bf16_peak_gflops(threads);
        printf("variant=amx product=bf16x3 threads=%d M=%zu N=%zu K=%zu gflops=%.1f "
               "of_fma_peak=%.3f amx_bf16_peak_gflops=%.1f of_amx_bf16_peak_x3=%.3f\n",
               threads, M, N, K, gf, gf / peak, tp, 3 * gf / tp);
        free(wb), free(bwork);
    }
    free(a), free(b), free(c);
    return 0;
}
