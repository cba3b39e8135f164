/* gguf.h - strict reader of GGUF files (versions 2 and 3, little-endian).
 *
 * The file is memory-mapped; every count, length, offset and dimension is
 * checked against the file before use (docs/GGUF.md section 6): header, all 13
 * metadata value types (nested arrays rejected), tensor infos (name < 64
 * bytes and unique, at most 4 dims, known type, row length a multiple of the
 * block size), the alignment, and tensor data inside the file, aligned and
 * not overlapping. Strings point into the mapping and are not terminated.
 */
#ifndef ANISO_GGUF_H
#define ANISO_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"
#include "aniso/safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum aniso_gguf_type {
    ANISO_GGUF_UINT8 = 0,
    ANISO_GGUF_INT8,
    ANISO_GGUF_UINT16,
    ANISO_GGUF_INT16,
    ANISO_GGUF_UINT32,
    ANISO_GGUF_INT32,
    ANISO_GGUF_FLOAT32,
    ANISO_GGUF_BOOL,
    ANISO_GGUF_STRING,
    ANISO_GGUF_ARRAY,
    ANISO_GGUF_UINT64,
    ANISO_GGUF_INT64,
    ANISO_GGUF_FLOAT64,
} aniso_gguf_type;

typedef struct aniso_gguf_str {
    const char *p; /* in the mapping; not NUL-terminated */
    uint64_t len;
} aniso_gguf_str;

typedef struct aniso_gguf_kv {
    aniso_gguf_str key;
    aniso_gguf_type type;
    aniso_gguf_type elem_type; /* ARRAY */
    uint64_t count;            /* ARRAY: elements */
    const unsigned char *data; /* scalar value or array elements, in the mapping */
    aniso_gguf_str *strs;      /* STRING: one; ARRAY of STRING: count entries */
} aniso_gguf_kv;

typedef struct aniso_gguf aniso_gguf;

/* 1 when the file at path starts with the GGUF magic, else 0 (also when unreadable). */
int aniso_gguf_is_file(const char *path);
aniso_gguf *aniso_gguf_open(const char *path, aniso_error *err);
/* Parses an image in memory (buf must outlive the result). */
aniso_gguf *aniso_gguf_parse(const void *buf, size_t len, const char *name, aniso_error *err);
void aniso_gguf_free(aniso_gguf *g);

uint32_t aniso_gguf_version(const aniso_gguf *g);
size_t aniso_gguf_kv_count(const aniso_gguf *g);
const aniso_gguf_kv *aniso_gguf_kv_at(const aniso_gguf *g, size_t i);
/* The record with this key, or NULL. */
const aniso_gguf_kv *aniso_gguf_find(const aniso_gguf *g, const char *key);
const char *aniso_gguf_type_name(aniso_gguf_type t);

/* Typed getters: 0 on success; fail (with a message naming the file and
 * key) when absent (unless optional), of another type, or out of range. */
int aniso_gguf_get_int(const aniso_gguf *g, const char *key, int optional, long long lo,
                       long long hi, long long *out, aniso_error *err);
int aniso_gguf_get_float(const aniso_gguf *g, const char *key, int optional, double *out,
                         aniso_error *err);
int aniso_gguf_get_bool(const aniso_gguf *g, const char *key, int optional, int *out,
                        aniso_error *err);
/* A string value, copied NUL-terminated into buf (truncation is an error). */
int aniso_gguf_get_str(const aniso_gguf *g, const char *key, int optional, char *buf, size_t cap,
                       aniso_error *err);
/* Element i of a numeric array as double (any numeric element type). */
double aniso_gguf_arr_num(const aniso_gguf_kv *kv, uint64_t i);

size_t aniso_gguf_tensor_count(const aniso_gguf *g);
/* Tensors as aniso_tensor: shape in PyTorch order (the file's ne reversed),
 * dtype the ggml type, data in the mapping. */
const aniso_tensor *aniso_gguf_tensor_at(const aniso_gguf *g, size_t i);
const aniso_tensor *aniso_gguf_find_tensor(const aniso_gguf *g, const char *name);

const char *aniso_gguf_path(const aniso_gguf *g);

#ifdef __cplusplus
}
#endif
#endif
