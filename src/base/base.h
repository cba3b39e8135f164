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

/* Opens path for reading when it is a regular file: a folder, FIFO, device
 * or socket is refused with a message saying what it is (a FIFO without
 * waiting for a writer). A descriptor, or -1 with err set (NOT_FOUND when
 * it does not exist). */
int open_regular(const char *path, aniso_error *err);
FILE *fopen_regular(const char *path, aniso_error *err);

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
    int slot; /* in the registry of temporary paths */
} afile;

aniso_status afile_create(afile *a, const char *path, aniso_error *err);
/* Flushes, syncs and renames; closes in any case. */
aniso_status afile_commit(afile *a, aniso_error *err);
/* Closes and removes the temporary file (safe on a zeroed afile). */
void afile_discard(afile *a);
/* Writes text and a final newline to path atomically. */
aniso_status afile_write_text(const char *path, const char *text, aniso_error *err);

/* ---- Outputs (stage.c) */

/* What an existing path is, for messages: "a FIFO (named pipe)", ... */
#include <sys/types.h>
const char *file_kind(mode_t m);
/* OK when path does not exist or is a regular file (not followed if a
 * link); otherwise an error naming what it is. */
aniso_status out_target_check(const char *path, aniso_error *err);

/* A result set: files written into a private folder beside their target
 * folder and put in place together by astage_commit, which replaces
 * earlier files of the same names only once the whole set is complete, and
 * puts them back if any step fails. An interrupted run's private folders
 * are removed by aniso_temporaries_remove (aniso/aniso.h). */
typedef struct astage {
    char *dir, *tmp; /* the target folder; the private folder in it */
    char **names;    /* the set's file names */
    size_t cap;
    int n, slot;
} astage;
/* Creates dir (as mkdir -p) and the private folder in it. */
aniso_status astage_open(astage *s, const char *dir, aniso_error *err);
/* Adds file name to the set: *path (malloc'd) is where to write it. Refuses
 * a name already in the set and a target that exists and is not a regular
 * file. */
aniso_status astage_add(astage *s, const char *name, char **path, aniso_error *err);
/* malloc'd final path of the set's i-th file. */
char *astage_final(const astage *s, int i);
/* Syncs and moves every file into place, all or none; frees the stage. */
aniso_status astage_commit(astage *s, aniso_error *err);
/* Removes the private folder and what it holds; safe on a zeroed stage. */
void astage_abort(astage *s);
/* astage_abort after a failure: err's message then names the file where it
 * was to go rather than its place in the private folder. */
void astage_fail(astage *s, aniso_error *err);
/* The registry of temporary paths that aniso_temporaries_remove deletes.
 * mkstemp (is_dir 0: returns the descriptor) or mkdtemp (1: returns 0) of
 * tmpl, registered in the same step (*slot); -1 with errno set (EINTR: the
 * run is being stopped). */
int tmp_make(char *tmpl, int is_dir, int *slot);
void tmp_unregister(int slot);

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
/* Something is at path (not followed if a link): a file to open, whose
 * opening then says what is wrong with it if it is not a regular file. */
int path_exists(const char *path);

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
