/* kern_amx_emu.c - the AMX variant's product on bfloat16 weights
 * (amx_body.h) with the tile operations in portable C, as the Intel SDM
 * defines them: TDPBF16PS adds each pair of products to the float32
 * accumulator one at a time, rounding to nearest even, with bfloat16
 * subnormal inputs read as zero and subnormal results flushed to zero. The
 * "amx-emulated" variant (the generic kernels with this product) runs it on
 * any machine, so that the arithmetic the AMX variant does is tested
 * against the fixtures everywhere; it is never chosen by itself. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"

typedef struct emu_tile {
    unsigned char b[16][64];
} emu_tile;

static void emu_load(emu_tile *t, const void *p, size_t stride)
{
    for (int r = 0; r < 16; r++) memcpy(t->b[r], (const unsigned char *)p + r * stride, 64);
}

static void emu_store(const emu_tile *t, void *p, size_t stride)
{
    for (int r = 0; r < 16; r++) memcpy((unsigned char *)p + r * stride, t->b[r], 64);
}

static float emu_bf16(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 24;
    float f;
    if ((u & 0x7f800000u) == 0) u &= 0x80000000u; /* subnormal in: zero */
    memcpy(&f, &u, 4);
    return f;
}

static float emu_ftz(float x)
{
    return fabsf(x) < FLT_MIN ? copysignf(0.0f, x) : x;
}

/* c (16 x 16 float32) += a (16 x 32 bfloat16) . b (16 pairs x 16 x 2). */
static void emu_dp(emu_tile *c, const emu_tile *a, const emu_tile *b)
{
    for (int m = 0; m < 16; m++)
        for (int n = 0; n < 16; n++) {
            float acc;
            memcpy(&acc, c->b[m] + 4 * n, 4);
            for (int k = 0; k < 16; k++) {
                /* a product of two bfloat16 values is exact in float32:
                 * one rounding per addition */
                acc = emu_ftz(acc + emu_bf16(a->b[m] + 4 * k) * emu_bf16(b->b[k] + 4 * n));
                acc = emu_ftz(acc + emu_bf16(a->b[m] + 4 * k + 2) * emu_bf16(b->b[k] + 4 * n + 2));
            }
            memcpy(c->b[m] + 4 * n, &acc, 4);
        }
}

#define AMX_PRODUCT_NAME    amx_emulated_product_bf16
#define AMX_PACK_T          pack_t_generic
#define TILE_DECL           emu_tile T[8]
#define TILE_CONFIG()       (void)0
#define TILE_RELEASE()      (void)0
#define TILE_ZERO(t)        memset(&T[t], 0, sizeof T[t])
#define TILE_LOAD(t, p, s)  emu_load(&T[t], p, s)
#define TILE_STORE(t, p, s) emu_store(&T[t], p, s)
#define TILE_DP(c, a, b)    emu_dp(&T[c], &T[a], &T[b])
#include "kernels/amx_body.h"
