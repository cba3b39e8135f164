/* fma_peak.c - the machine's float32 multiply-add peak per kernel variant:
 * twelve independent chains of vector FMAs per thread (more than the
 * latency times the throughput of any x86 core), on every thread at once. */
#include <stdint.h>
#include <string.h>

#include "fma_peak.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static float chains512(long n)
{
    __m512 a[12], m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
    for (int i = 1; i < 12; i++) a[0] = _mm512_add_ps(a[0], a[i]);
    return _mm512_reduce_add_ps(a[0]);
}

__attribute__((target("avx2,fma"))) static float chains256(long n)
{
    __m256 a[12], m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
    for (int i = 1; i < 12; i++) a[0] = _mm256_add_ps(a[0], a[i]);
    float o[8];
    _mm256_storeu_ps(o, a[0]);
    return o[0];
}
#endif

/* The portable code's own bound: SSE's 4-wide multiply and add (two
 * operations, two flops) per chain step. */
static float chains_generic(long n)
{
    float a[12][4], m = 0.999999f, c = 1e-7f;
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 4; j++) a[i][j] = (float)i;
    for (long k = 0; k < n; k++)
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 4; j++) a[i][j] = a[i][j] * m + c;
    float s = 0;
    for (int i = 0; i < 12; i++) s += a[i][0];
    return s;
}

volatile float fma_peak_sink;

double fma_peak_gflops(const char *variant, int threads)
{
    int width = 4;
    float (*f)(long) = chains_generic;
#if defined(__x86_64__)
    if (!strcmp(variant, "avx512") || !strcmp(variant, "amx")) f = chains512, width = 16;
    if (!strcmp(variant, "avx2")) f = chains256, width = 8;
#endif
    /* the best of several runs: a run where the OS kept a thread off its
     * core for a while would understate the peak */
    long n = 20000000;
    double best = 0;
    for (int r = 0; r < 6; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
        {
            float s = f(n);
            fma_peak_sink = s;
        }
        double g = 2.0 * 12 * width * (double)n * threads / (omp_get_wtime() - t0) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

#if defined(__x86_64__)
/* Four independent tile accumulators, each TDPBF16PS 16 x 16 x 32
 * multiply-adds. */
__attribute__((target("amx-tile,amx-bf16"))) static float tiles(long n)
{
    unsigned char cfg[64] = {0};
    static _Thread_local float buf[16 * 16];
    cfg[0] = 1;
    for (int t = 0; t < 8; t++) cfg[16 + 2 * t] = 64, cfg[48 + t] = 16;
    memset(buf, 0, sizeof buf);
    _tile_loadconfig(cfg);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, buf, 64);
    _tile_loadd(5, buf, 64);
    _tile_loadd(6, buf, 64);
    _tile_loadd(7, buf, 64);
    for (long i = 0; i < n; i++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_stored(0, buf, 64);
    _tile_release();
    return buf[0];
}
#endif

double amx_bf16_peak_gflops(int threads)
{
#if defined(__x86_64__)
    long n = 200000;
    double best = 0;
    for (int r = 0; r < 6; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
        fma_peak_sink = tiles(n);
        double g = 4.0 * 16 * 16 * 32 * 2 * (double)n * threads / (omp_get_wtime() - t0) / 1e9;
        if (g > best) best = g;
    }
    return best;
#else
    (void)threads;
    return 0;
#endif
}
