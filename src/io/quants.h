/* quants.h - ggml's block quantizations decoded to float32, bit-exact with
 * ggml's reference dequantize_row_* functions (docs/GGUF.md section 2). */
#ifndef ANISO_QUANTS_H
#define ANISO_QUANTS_H

#include <stddef.h>

#include "aniso/safetensors.h"

/* Decodes n elements (a whole number of blocks) of type dt from src. Returns
 * 0, or -1 for a type that is not a block quantization. */
int dequantize(aniso_dtype dt, const void *src, float *dst, size_t n);

#endif
