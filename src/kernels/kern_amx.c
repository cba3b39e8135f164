/* kern_amx.c - the AMX variant: AVX-512's kernels, and the product on
 * bfloat16 weights on the tile units (amx_body.h; compiled with -mamx-tile
 * -mamx-bf16 and AVX-512's flags; called only when the CPU has AMX and
 * Linux has granted this process the tile state). */
#include <immintrin.h>

#include "kernels/kernels.h"

/* The compiler is told that all memory may be read here: the tile
 * intrinsics' asm names only the first 8 bytes of the configuration as
 * read, and nothing for TILELOADD, so that stores before them (the
 * configuration, an edge tile's copy) could otherwise be left until after
 * them, or dropped. */
#define MEMORY_BARRIER() __asm__ volatile("" ::: "memory")

/* 8 tiles of 16 rows of 64 bytes (palette 1). */
static void tile_config(void)
{
    unsigned char cfg[64] = {0};
    cfg[0] = 1;
    for (int t = 0; t < 8; t++) cfg[16 + 2 * t] = 64, cfg[48 + t] = 16;
    MEMORY_BARRIER();
    _tile_loadconfig(cfg);
}

#define AMX_PRODUCT_NAME amx_product_bf16
#define AMX_PACK_T       pack_t_avx2
#define TILE_DECL        (void)0
#define TILE_CONFIG()    tile_config()
#define TILE_RELEASE()   _tile_release()
#define TILE_ZERO(t)     _tile_zero(t)
#define TILE_LOAD(t, p, s)                                                                         \
    do {                                                                                           \
        MEMORY_BARRIER();                                                                          \
        _tile_loadd(t, p, (long)(s));                                                              \
    } while (0)
#define TILE_STORE(t, p, s) _tile_stored(t, p, (long)(s))
#define TILE_DP(c, a, b)    _tile_dpbf16ps(c, a, b)
#include "kernels/amx_body.h"
