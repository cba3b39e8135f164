/* safetensors.h - strict reader of the safetensors format.
 *
 * Layout: 8 bytes little-endian header length N, N bytes of a UTF-8 JSON
 * object {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {str: str}}, then the data section. Validation follows the reference
 * reader (the `safetensors` crate): N <= 100,000,000 and within the file,
 * the header a JSON object, known dtypes, non-negative shapes whose byte
 * size fits in 64 bits and equals end - begin, and tensors that tile the
 * data section exactly (no overlap, no hole, no trailing bytes).
 */
#ifndef ANISO_SAFETENSORS_H
#define ANISO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, bytes per element) -- safetensors dtype strings. */
#define ANISO_DTYPE_LIST(X)                                                                        \
    X(BOOL, 1)                                                                                     \
    X(U8, 1)                                                                                       \
    X(I8, 1)                                                                                       \
    X(F8_E5M2, 1)                                                                                  \
    X(F8_E4M3, 1)                                                                                  \
    X(F8_E8M0, 1)                                                                                  \
    X(I16, 2)                                                                                      \
    X(U16, 2)                                                                                      \
    X(F16, 2)                                                                                      \
    X(BF16, 2)                                                                                     \
    X(I32, 4)                                                                                      \
    X(U32, 4)                                                                                      \
    X(F32, 4)                                                                                      \
    X(F64, 8)                                                                                      \
    X(I64, 8)                                                                                      \
    X(U64, 8)

typedef enum aniso_dtype {
#define ANISO_X_(name, size) ANISO_DTYPE_##name,
    ANISO_DTYPE_LIST(ANISO_X_)
#undef ANISO_X_
        ANISO_DTYPE_COUNT
} aniso_dtype;

/* "BF16" for ANISO_DTYPE_BF16; NULL when out of range. */
const char *aniso_dtype_name(aniso_dtype dt);
/* Bytes per element; 0 when out of range. */
size_t aniso_dtype_size(aniso_dtype dt);
/* Parses a safetensors dtype string; returns -1 when unknown. */
int aniso_dtype_parse(const char *s);

#define ANISO_MAX_DIMS 8

typedef struct aniso_tensor {
    const char *name;
    aniso_dtype dtype;
    int n_dims;
    int64_t shape[ANISO_MAX_DIMS]; /* PyTorch order: shape[0] is the slowest axis */
    uint64_t n_elem;
    uint64_t nbytes;
    const void *data; /* (n_elem) elements of dtype, inside the mapped file */
} aniso_tensor;

typedef struct aniso_st aniso_st;

/* Maps the file at path read-only and parses it. The tensors' data stay in
 * the mapping (nothing is read whole). */
aniso_st *aniso_st_open(const char *path, aniso_error *err);

/* Parses a safetensors image already in memory. buf must outlive the result;
 * name is used in error messages (usually the file's path). */
aniso_st *aniso_st_parse(const void *buf, size_t len, const char *name, aniso_error *err);

void aniso_st_free(aniso_st *st);

/* The name given at open/parse time. */
const char *aniso_st_path(const aniso_st *st);
size_t aniso_st_count(const aniso_st *st);
/* Tensors in name order, i in [0, count). */
const aniso_tensor *aniso_st_at(const aniso_st *st, size_t i);
/* The tensor called name, or NULL. */
const aniso_tensor *aniso_st_find(const aniso_st *st, const char *name);

#ifdef __cplusplus
}
#endif
#endif
