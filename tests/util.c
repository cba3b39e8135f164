/* util.c - test helpers (see util.h). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define DIE(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())

const char *fixtures_dir(void)
{
    return ANISO_FIXTURES;
}

char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *p = malloc((size_t)n + 1);
    va_start(ap, f);
    vsnprintf(p, (size_t)n + 1, f, ap);
    va_end(ap);
    return p;
}

char *make_temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *p = fmt("%s/aniso-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(p)) DIE("mkdtemp failed");
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) DIE("cannot write %s", path);
    if (len && fwrite(data, 1, len, f) != len) DIE("short write %s", path);
    fclose(f);
}

void write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) DIE("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) DIE("short read %s", path);
    p[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return p;
}

void copy_dir_files(const char *src, const char *dst)
{
    DIR *d = opendir(src);
    if (!d) DIE("cannot open %s", src);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *s = fmt("%s/%s", src, e->d_name);
        struct stat sb;
        if (stat(s, &sb) == 0 && S_ISREG(sb.st_mode)) {
            size_t n;
            char *data = read_text(s, &n);
            char *t = fmt("%s/%s", dst, e->d_name);
            write_file(t, data, n);
            free(t);
            free(data);
        }
        free(s);
    }
    closedir(d);
}

unsigned char *st_image(const char *header, size_t data_len, size_t *len)
{
    size_t h = strlen(header);
    unsigned char *p = calloc(8 + h + data_len, 1);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(p + 8, header, h);
    *len = 8 + h + data_len;
    return p;
}

static size_t dtype_bytes(const char *dt)
{
    int d = aniso_dtype_parse(dt);
    if (d < 0) DIE("bad dtype %s", dt);
    return aniso_dtype_size((aniso_dtype)d);
}

void write_safetensors(const char *path, const st_tensor *t, size_t n)
{
    json_t *root = json_object();
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *shape = json_array();
        size_t nel = 1;
        for (int k = 0; k < t[i].n_dims; k++) {
            json_array_append_new(shape, json_integer(t[i].shape[k]));
            nel *= (size_t)t[i].shape[k];
        }
        size_t nb = nel * dtype_bytes(t[i].dtype);
        json_object_set_new(root, t[i].name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", t[i].dtype, "shape", shape,
                                      "data_offsets", (json_int_t)off, (json_int_t)(off + nb)));
        off += nb;
    }
    char *h = json_dumps(root, JSON_COMPACT);
    size_t len;
    unsigned char *img = st_image(h, off, &len);
    write_file(path, img, len);
    free(img);
    free(h);
    json_decref(root);
}

st_tensor *read_tensor_list(const char *path, size_t *n)
{
    aniso_error err;
    aniso_st *st = aniso_st_open(path, &err);
    if (!st) DIE("%s", err.msg);
    *n = aniso_st_count(st);
    st_tensor *t = calloc(*n, sizeof *t);
    for (size_t i = 0; i < *n; i++) {
        const aniso_tensor *x = aniso_st_at(st, i);
        snprintf(t[i].name, sizeof t[i].name, "%s", x->name);
        snprintf(t[i].dtype, sizeof t[i].dtype, "%s", aniso_dtype_name(x->dtype));
        t[i].n_dims = x->n_dims;
        for (int k = 0; k < x->n_dims; k++) t[i].shape[k] = x->shape[k];
    }
    aniso_st_free(st);
    return t;
}

#ifdef __FLT16_MAX__ /* the compiler has _Float16 */
uint16_t test_f32_to_f16(float v)
{
    _Float16 x = (_Float16)v;
    uint16_t h;
    memcpy(&h, &x, 2);
    return h;
}

float test_f16_to_f32(uint16_t h)
{
    _Float16 x;
    memcpy(&x, &h, 2);
    return (float)x;
}
#else
uint16_t test_f32_to_f16(float v)
{
    uint32_t x;
    memcpy(&x, &v, 4);
    uint32_t sign = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
    if (e == 0xff) return (uint16_t)(sign | 0x7c00 | (m ? 0x200 | (m >> 13) : 0));
    int E = (int)e - 127 + 15;
    if (E >= 31) return (uint16_t)(sign | 0x7c00);
    if (E <= 0) { /* a subnormal half, or zero */
        if (E < -10) return (uint16_t)sign;
        uint32_t M = m | 0x800000, shift = (uint32_t)(14 - E), r = M >> shift,
                 rem = M & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = (uint32_t)E << 10 | m >> 13, rem = m & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++; /* a carry may reach infinity */
    return (uint16_t)(sign | r);
}

float test_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
    if (e == 0x1f) {
        x = sign | 0x7f800000 | m << 13;
    } else if (e) {
        x = sign | (e + 112) << 23 | m << 13;
    } else { /* zero or subnormal: m x 2^-24 */
        float f = (float)m * 0x1p-24f;
        memcpy(&x, &f, 4);
        x |= sign;
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}
#endif

void patch_tensor(const char *path, const char *name, size_t elem, float v)
{
    size_t len;
    unsigned char *p = (unsigned char *)read_text(path, &len);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | p[i];
    json_error_t je;
    json_t *h = json_loadb((const char *)p + 8, (size_t)hlen, 0, &je);
    json_t *t = json_object_get(h, name);
    if (!t) DIE("%s: no tensor %s", path, name);
    const char *dt = json_string_value(json_object_get(t, "dtype"));
    size_t begin =
        (size_t)json_integer_value(json_array_get(json_object_get(t, "data_offsets"), 0));
    size_t es = !strcmp(dt, "F32") ? 4 : 2, at = 8 + (size_t)hlen + begin + elem * es;
    if (at + es > len) DIE("%s: element %zu of %s is outside the file", path, elem, name);
    if (es == 4) {
        memcpy(p + at, &v, 4);
    } else if (!strcmp(dt, "BF16")) {
        uint32_t u;
        memcpy(&u, &v, 4);
        uint16_t b = (uint16_t)(u >> 16);
        memcpy(p + at, &b, 2);
    } else if (!strcmp(dt, "F16")) {
        uint16_t half = test_f32_to_f16(v);
        memcpy(p + at, &half, 2);
    } else {
        DIE("%s: tensor %s has dtype %s", path, name, dt);
    }
    write_file(path, p, len);
    json_decref(h);
    free(p);
}

long long json_int_field(const char *path, const char *key)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) DIE("%s: %s", path, je.text);
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v)) DIE("%s: no integer %s", path, key);
    long long x = json_integer_value(v);
    json_decref(root);
    return x;
}

void test_kernels_from_env(void)
{
    const char *v = getenv("ANISO_CPU");
    aniso_error err;
    if (v && *v && aniso_kernels_set(v, &err)) {
        fprintf(stderr, "ANISO_CPU: %s\n", err.msg);
        exit(1);
    }
    printf("kernels: %s\n", aniso_kernels_choice());
}
