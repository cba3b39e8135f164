/* base.h - internal helpers shared by every module: file mapping, small
 * file reads, path joining, checked arithmetic. */
#ifndef ANISO_BASE_H
#define ANISO_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aniso/error.h"

/* A read-only memory mapping of a whole file. */
typedef struct amap {
    void *data; /* NULL for an empty file */
    size_t size;
} amap;

/* Maps path read-only; an empty file gives data == NULL, size == 0. */
aniso_status amap_open(amap *m, const char *path, aniso_error *err);
void amap_close(amap *m);

/* Reads a whole (small) file into a NUL-terminated malloc'd buffer; files
 * larger than max_size are an error. */
aniso_status read_small_file(const char *path, size_t max_size, char **out, size_t *out_len,
                             aniso_error *err);

/* A file written under a temporary name in the same folder and renamed into
 * place by afile_commit, so that an interrupted run never leaves a
 * truncated file at path. */
typedef struct afile {
    FILE *f;
    char *path, *tmp;
} afile;

aniso_status afile_create(afile *a, const char *path, aniso_error *err);
/* Flushes, syncs and renames; closes in any case. */
aniso_status afile_commit(afile *a, aniso_error *err);
/* Closes and removes the temporary file (safe on a zeroed afile). */
void afile_discard(afile *a);
/* Writes text and a final newline to path atomically. */
aniso_status afile_write_text(const char *path, const char *text, aniso_error *err);

/* malloc'd "a/b"; NULL when out of memory. */
char *path_join(const char *a, const char *b);
/* malloc'd copy; NULL when out of memory or s is NULL. */
char *str_dup(const char *s);

/* A growable byte buffer; after abuf_add its n bytes are followed by a NUL.
 * Zero-initialised it is empty; the caller frees p. */
typedef struct abuf {
    char *p;
    size_t n, cap;
} abuf;
/* Appends n bytes of s: 0, or -1 out of memory (the buffer unchanged). */
int abuf_add(abuf *b, const void *s, size_t n);
/* Writes "[d0, d1, ...]" into buf (truncated to cap) and returns buf. */
const char *shape_str(char *buf, size_t cap, const int64_t *dims, int n);
int is_dir(const char *path);
/* Creates folder dir unless it exists (one level). */
aniso_status ensure_dir(const char *dir, aniso_error *err);
int is_file(const char *path);

/* Makes room for at least `need` elements of size `elem` in the growable
 * array *v of capacity *cap (doubling, starting at 16). 0, or -1 when out
 * of memory (then *v is unchanged). */
int vec_reserve(void **v, size_t *cap, size_t need, size_t elem);

/* Checked arithmetic: return 1 on overflow. */
static inline int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}
static inline int add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

#endif
