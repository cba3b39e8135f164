/* util.h - helpers for the unit tests: temporary folders, file writing,
 * safetensors images built in code, fixture paths. */
#ifndef ANISO_TEST_UTIL_H
#define ANISO_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/aniso.h"

/* The committed fixtures folder (tests/fixtures). */
const char *fixtures_dir(void);
/* malloc'd printf. */
char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* A fresh temporary folder (malloc'd path); removed by rm_rf. */
char *make_temp_dir(void);
void rm_rf(const char *path);
void write_file(const char *path, const void *data, size_t len);
void write_text(const char *path, const char *text);
/* Reads a whole file; malloc'd, NUL-terminated. */
char *read_text(const char *path, size_t *len);
/* Copies every regular file of folder src into folder dst. */
void copy_dir_files(const char *src, const char *dst);
/* A safetensors image: 8-byte length, header text, then data_len zero bytes.
 * malloc'd; *len receives its size. */
unsigned char *st_image(const char *header, size_t data_len, size_t *len);

/* One tensor of a safetensors file to write. */
typedef struct st_tensor {
    char name[160];
    char dtype[8];
    int n_dims;
    int64_t shape[4];
} st_tensor;
/* Writes a valid safetensors file with the given tensors (zero data). */
void write_safetensors(const char *path, const st_tensor *t, size_t n);
/* Loads the tensor list of an existing safetensors file. malloc'd. */
st_tensor *read_tensor_list(const char *path, size_t *n);

/* IEEE half precision: a float rounded to it (to nearest, ties to even)
 * and back, through the compiler's _Float16 where it has one, else (clang
 * 14 on x86) exactly the same in software. */
uint16_t test_f32_to_f16(float v);
float test_f16_to_f32(uint16_t h);

/* Sets element elem (in storage order) of tensor name of the safetensors
 * file at path (F32, F16 or BF16) to v, rounded to the tensor's dtype. */
void patch_tensor(const char *path, const char *name, size_t elem, float v);

/* An integer field of a flat JSON file (the fixtures' oracle.json). */
long long json_int_field(const char *path, const char *key);

/* The kernel variant ANISO_CPU names, for the library calls of this test
 * program (the CLI it runs reads the variable itself); exits 1 with the
 * reason when it cannot run. */
void test_kernels_from_env(void);

#endif
