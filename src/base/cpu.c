/* cpu.c - CPUID features, the OS's register-state support and the kernel
 * variant choice. */
/* syscall() */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpu.h"
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* Linux keeps AMX's tile state off until a process asks for it
 * (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA). */
static int amx_permitted(void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
#else
    return 0;
#endif
}

static unsigned detect(void)
{
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (c & (1u << 12)) f |= CPU_FMA;
    if (c & (1u << 29)) f |= CPU_F16C;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    if (avx && (xcr0 & 0x6) == 0x6) f |= CPU_OS_AVX;
    if ((f & CPU_OS_AVX) && (xcr0 & 0xe0) == 0xe0) f |= CPU_OS_AVX512;
    unsigned max = __get_cpuid_max(0, NULL);
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        unsigned sub = a;
        if (b & (1u << 5)) f |= CPU_AVX2;
        if (b & (1u << 16)) f |= CPU_AVX512F;
        if (b & (1u << 30)) f |= CPU_AVX512BW;
        if (b & (1u << 31)) f |= CPU_AVX512VL;
        if (d & (1u << 24)) f |= CPU_AMX_TILE;
        if (d & (1u << 22)) f |= CPU_AMX_BF16;
        if (sub >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            if (a & (1u << 5)) f |= CPU_AVX512BF16;
        }
    }
    if ((f & CPU_AMX_TILE) && (xcr0 & 0x60000) == 0x60000 && amx_permitted()) f |= CPU_OS_AMX;
    return f;
}
#else
static unsigned detect(void)
{
    return 0;
}
#endif

unsigned cpu_features(void)
{
    /* detected once; a race between threads computes the same value */
    static int done;
    static unsigned f;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        f = detect();
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return f;
}

static const char *const variant_names[CPU_VARIANT_COUNT] = {"generic", "avx2", "avx512", "amx",
                                                             "amx-emulated"};

const char *cpu_variant_name(cpu_variant v)
{
    return (unsigned)v < CPU_VARIANT_COUNT ? variant_names[v] : "?";
}

static const struct {
    unsigned bit;
    const char *name; /* as /proc/cpuinfo names it */
} feature_names[] = {
    {CPU_AVX2, "avx2"},
    {CPU_FMA, "fma"},
    {CPU_F16C, "f16c"},
    {CPU_AVX512F, "avx512f"},
    {CPU_AVX512BW, "avx512bw"},
    {CPU_AVX512VL, "avx512vl"},
    {CPU_AVX512BF16, "avx512_bf16"},
    {CPU_AMX_TILE, "amx_tile"},
    {CPU_AMX_BF16, "amx_bf16"},
    {CPU_OS_AVX, "os-avx"},
    {CPU_OS_AVX512, "os-avx512"},
    {CPU_OS_AMX, "os-amx"},
};

/* The features each variant needs. */
static unsigned needs(cpu_variant v)
{
    unsigned avx2 = CPU_AVX2 | CPU_FMA | CPU_F16C | CPU_OS_AVX,
             avx512 = avx2 | CPU_AVX512F | CPU_AVX512BW | CPU_AVX512VL | CPU_OS_AVX512;
    switch (v) {
    case CPU_VARIANT_AVX2:
        return avx2;
    case CPU_VARIANT_AVX512:
        return avx512;
    case CPU_VARIANT_AMX:
        return avx512 | CPU_AMX_TILE | CPU_AMX_BF16 | CPU_OS_AMX;
    default:
        return 0;
    }
}

static const char *bits_str(unsigned bits, char *buf, size_t size)
{
    size_t n = 0;
    if (size) buf[0] = 0;
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if ((bits & feature_names[i].bit) && n < size) {
            int w = snprintf(buf + n, size - n, "%s%s", n ? " " : "", feature_names[i].name);
            n += w > 0 ? (size_t)w : 0;
        }
    return buf;
}

int cpu_variant_runs(cpu_variant v)
{
    unsigned need = needs(v);
    return (unsigned)v < CPU_VARIANT_COUNT && (cpu_features() & need) == need;
}

const char *cpu_variant_missing(cpu_variant v, char *buf, size_t size)
{
    return bits_str(needs(v) & ~cpu_features(), buf, size);
}

const char *cpu_features_str(char *buf, size_t size)
{
    return bits_str(cpu_features(), buf, size);
}

/* The variant aniso_kernels_set chose, or -1: the best one. */
static int forced = -1;

aniso_status cpu_variant_force(const char *name, aniso_error *err)
{
    if (!name || !*name) {
        __atomic_store_n(&forced, -1, __ATOMIC_RELAXED);
        return ANISO_OK;
    }
    for (int v = 0; v < CPU_VARIANT_COUNT; v++) {
        if (strcmp(name, variant_names[v])) continue;
        char miss[160];
        if (!kernels_built((cpu_variant)v))
            return aniso_error_set(err, ANISO_UNSUPPORTED, "kernels '%s': not in this build", name);
        if (!cpu_variant_runs((cpu_variant)v))
            return aniso_error_set(err, ANISO_UNSUPPORTED, "kernels '%s': this machine lacks %s",
                                   name, cpu_variant_missing((cpu_variant)v, miss, sizeof miss));
        __atomic_store_n(&forced, v, __ATOMIC_RELAXED);
        return ANISO_OK;
    }
    return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                           "kernels '%s': not a kernel variant (generic, avx2, avx512, amx, "
                           "amx-emulated)",
                           name);
}

cpu_variant cpu_variant_choose(void)
{
    int f = __atomic_load_n(&forced, __ATOMIC_RELAXED);
    if (f >= 0) return (cpu_variant)f;
    for (int v = CPU_VARIANT_COUNT - 1; v > 0; v--)
        if (v != CPU_VARIANT_AMX_EMULATED && kernels_built((cpu_variant)v) &&
            cpu_variant_runs((cpu_variant)v) && (v != CPU_VARIANT_AMX || amx_matches_emulation()))
            return (cpu_variant)v;
    return CPU_GENERIC;
}
