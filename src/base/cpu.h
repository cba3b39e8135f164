/* cpu.h - what this CPU and its operating system let aniso use (CPUID and
 * XGETBV, never a table of model numbers), and which kernel variant runs:
 * the best one the machine has, or the one ANISO_CPU names. */
#ifndef ANISO_CPU_H
#define ANISO_CPU_H

#include "aniso/error.h"

/* Feature bits of cpu_features(). */
enum {
    CPU_AVX2 = 1u << 0,
    CPU_FMA = 1u << 1,
    CPU_F16C = 1u << 2,
    CPU_AVX512F = 1u << 3,
    CPU_AVX512BW = 1u << 4,
    CPU_AVX512VL = 1u << 5,
    CPU_AVX512BF16 = 1u << 6,
    CPU_AMX_TILE = 1u << 7,
    CPU_AMX_BF16 = 1u << 8,
    CPU_OS_AVX = 1u << 9,     /* the OS saves the ymm registers */
    CPU_OS_AVX512 = 1u << 10, /* ... the zmm and mask registers */
    CPU_OS_AMX = 1u << 11,    /* ... the tile registers, and granted them to this process */
};

/* Kernel variants, from the portable reference up. */
typedef enum cpu_variant {
    CPU_GENERIC,
    CPU_VARIANT_AVX2,
    CPU_VARIANT_AVX512,
    CPU_VARIANT_AMX,
    /* the generic kernels with the AMX variant's products emulated: for
     * tests, only when asked for */
    CPU_VARIANT_AMX_EMULATED,
    CPU_VARIANT_COUNT
} cpu_variant;

/* The features (detected once; AMX's permission is requested from Linux
 * the first time). */
unsigned cpu_features(void);
/* "generic", "avx2", "avx512", "amx", "amx-emulated". */
const char *cpu_variant_name(cpu_variant v);
/* Whether the machine can run v (its features and the OS's permission). */
int cpu_variant_runs(cpu_variant v);
/* The features v needs that the machine lacks, as a space-separated list
 * ("" when it can run). */
const char *cpu_variant_missing(cpu_variant v, char *buf, size_t size);
/* The machine's features as a space-separated list of their Linux names. */
const char *cpu_features_str(char *buf, size_t size);

/* Makes every later plan use variant name (as cpu_variant_name; NULL
 * or "" again the best): an unknown name, or one this build or machine
 * cannot run, is an error naming it, and changes nothing. */
aniso_status cpu_variant_force(const char *name, aniso_error *err);
/* The variant to run: the forced one, else the best built one the machine
 * runs (never amx-emulated). */
cpu_variant cpu_variant_choose(void);

#endif
