/* fma_peak.h - the float32 FMA peak the kernel variant's instructions reach
 * on this machine, measured now. */
#ifndef BENCH_FMA_PEAK_H
#define BENCH_FMA_PEAK_H

/* GFLOP/s of variant ("generic", "avx2", "avx512") on threads threads. */
double fma_peak_gflops(const char *variant, int threads);

#endif
