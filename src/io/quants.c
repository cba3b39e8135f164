/* quants.c - decoding of ggml's Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the
 * K-quants Q2_K..Q6_K (the decoders are in quants_body.h). They compute
 * each value with ggml's reference decoders' float32 operations in their
 * order, so the results are bit-identical to ggml's dequantize_row_*. */
#include <stdint.h>
#include <string.h>

#include "io/quants.h"

#define QUANTS_DECODE_NAME decode_blocks
#include "io/quants_body.h"

int dequantize(aniso_dtype dt, const void *src, float *dst, size_t n)
{
    size_t be, bb;
    aniso_dtype_block(dt, &be, &bb);
    if (be < 2) return -1;
    /* large arrays in pieces of 4096 blocks on every thread */
    const unsigned char *p = src;
    size_t nb = n / be, piece = 4096, pieces = (nb + piece - 1) / piece;
    int bad = 0;
    if (pieces <= 1) return decode_blocks(dt, src, dst, n);
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < pieces; k++) {
        size_t b0 = k * piece, m = nb - b0 < piece ? nb - b0 : piece;
        if (decode_blocks(dt, p + b0 * bb, dst + b0 * be, m * be)) {
#pragma omp atomic write
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}
