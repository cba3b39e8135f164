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

/* Element types. X(name, block elements, block bytes, safetensors?, ggml id)
 * The first group are safetensors dtype strings; the second are ggml's block
 * quantizations, found only in GGUF files (ggml id -1: not a GGUF type). */
#define ANISO_DTYPE_LIST(X)                                                                        \
    X(BOOL, 1, 1, 1, -1)                                                                           \
    X(U8, 1, 1, 1, -1)                                                                             \
    X(I8, 1, 1, 1, 24)                                                                             \
    X(F8_E5M2, 1, 1, 1, -1)                                                                        \
    X(F8_E4M3, 1, 1, 1, -1)                                                                        \
    X(F8_E8M0, 1, 1, 1, -1)                                                                        \
    X(I16, 1, 2, 1, 25)                                                                            \
    X(U16, 1, 2, 1, -1)                                                                            \
    X(F16, 1, 2, 1, 1)                                                                             \
    X(BF16, 1, 2, 1, 30)                                                                           \
    X(I32, 1, 4, 1, 26)                                                                            \
    X(U32, 1, 4, 1, -1)                                                                            \
    X(F32, 1, 4, 1, 0)                                                                             \
    X(F64, 1, 8, 1, 28)                                                                            \
    X(I64, 1, 8, 1, 27)                                                                            \
    X(U64, 1, 8, 1, -1)                                                                            \
    X(Q4_0, 32, 18, 0, 2)                                                                          \
    X(Q4_1, 32, 20, 0, 3)                                                                          \
    X(Q5_0, 32, 22, 0, 6)                                                                          \
    X(Q5_1, 32, 24, 0, 7)                                                                          \
    X(Q8_0, 32, 34, 0, 8)                                                                          \
    X(Q2_K, 256, 84, 0, 10)                                                                        \
    X(Q3_K, 256, 110, 0, 11)                                                                       \
    X(Q4_K, 256, 144, 0, 12)                                                                       \
    X(Q5_K, 256, 176, 0, 13)                                                                       \
    X(Q6_K, 256, 210, 0, 14)

typedef enum aniso_dtype {
#define ANISO_X_(name, be, bb, st, gg) ANISO_DTYPE_##name,
    ANISO_DTYPE_LIST(ANISO_X_)
#undef ANISO_X_
        ANISO_DTYPE_COUNT
} aniso_dtype;

/* "BF16" for ANISO_DTYPE_BF16; NULL when out of range. */
const char *aniso_dtype_name(aniso_dtype dt);
/* Bytes per element of an unblocked type; 0 for block types or out of range. */
size_t aniso_dtype_size(aniso_dtype dt);
/* Elements and bytes per block (1 and the element size for unblocked types). */
void aniso_dtype_block(aniso_dtype dt, size_t *elems, size_t *bytes);
/* Parses a safetensors dtype string; returns -1 when unknown. */
int aniso_dtype_parse(const char *s);
/* The type of ggml type id, or -1 when aniso does not read that type. */
int aniso_dtype_from_ggml(uint32_t id);

#define ANISO_MAX_DIMS 8

typedef struct aniso_tensor {
    const char *name;
    aniso_dtype dtype;
    int n_dims;
    int64_t shape[ANISO_MAX_DIMS]; /* PyTorch order: shape[0] is the slowest axis */
    uint64_t n_elem;
    uint64_t nbytes;
    const void *data; /* (n_elem) elements of dtype, inside the mapped file */
    /* Set on a model's bound weights to undo a file format's changes: */
    float shift;            /* added to every element (GGUF Gemma norms: -1) */
    int row_map;            /* ANISO_ROWS_*: how the file's rows map to the model's */
    int map_heads, map_dim; /* heads and head size of the row map */
} aniso_tensor;

/* Row layouts a converter may have written (row_map). */
enum {
    ANISO_ROWS_SAME = 0,
    ANISO_ROWS_LLAMA_QK = 1, /* llama.cpp's q/k permutation for adjacent-pair RoPE */
    ANISO_ROWS_NEOX_QKV = 2, /* [all q; all k; all v] instead of per head [q k v] */
    ANISO_ROWS_CONV1D = 3,   /* stored transposed, (in, out) rows of map_dim elements (GPT-2's
                                Conv1D): model row r is column r of the stored matrix */
};

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
