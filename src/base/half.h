/* half.h - exact conversions of IEEE binary16 and bfloat16 to float. */
#ifndef ANISO_HALF_H
#define ANISO_HALF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13); /* inf, nan */
    } else if (exp) {
        u = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man) { /* subnormal: normalise */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        u = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    } else {
        u = sign;
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Elements [i, n) of an unaligned array of binary16 or bfloat16 values. */
static inline void f16_run(float *out, const void *in, size_t i, size_t n)
{
    for (const unsigned char *p = in; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = f16_to_f32(h);
    }
}

static inline void bf16_run(float *out, const void *in, size_t i, size_t n)
{
    for (const unsigned char *p = in; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        out[i] = bf16_to_f32(h);
    }
}

#endif
