/* npy.h - NumPy .npy files of float32, little-endian, C order (format 1.0).
 * Written atomically (temporary name, then rename). */
#ifndef ANISO_NPY_H
#define ANISO_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ANISO_NPY_MAX_DIMS 8

/* Reads a '<f4' or '<f8' C-order array as float32 (malloc'd, caller frees);
 * shape receives up to ANISO_NPY_MAX_DIMS dimensions. */
float *aniso_npy_load(const char *path, int64_t *shape, int *ndim, aniso_error *err);

typedef struct aniso_npy_writer aniso_npy_writer;

/* Starts path with the given shape; the data follow in C order. */
aniso_npy_writer *aniso_npy_create(const char *path, const int64_t *shape, int ndim,
                                   aniso_error *err);
aniso_status aniso_npy_append(aniso_npy_writer *w, const float *x, size_t n, aniso_error *err);
/* Checks that every element was written, then puts the file in place; frees w. */
aniso_status aniso_npy_finish(aniso_npy_writer *w, aniso_error *err);
/* Abandons the file (nothing is left at path); frees w. NULL is allowed. */
void aniso_npy_discard(aniso_npy_writer *w);

#ifdef __cplusplus
}
#endif
#endif
