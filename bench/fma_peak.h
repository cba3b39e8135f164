/* fma_peak.h - the float32 FMA peak the kernel variant's instructions reach
 * on this machine, measured now. */
#ifndef BENCH_FMA_PEAK_H
#define BENCH_FMA_PEAK_H

/* GFLOP/s of variant ("generic", "avx2", "avx512") on threads threads. */
double fma_peak_gflops(const char *variant, int threads);

/* GFLOP/s of the AMX tile units' bfloat16 products (TDPBF16PS) on threads
 * threads: only on a machine that runs the amx variant. */
double amx_bf16_peak_gflops(int threads);

#endif
