/* safetensors.c - strict safetensors reader (see include/aniso/safetensors.h).
 *
 * Every number from the file is checked before use: header length against
 * the limit and the file, each shape product and byte size for 64-bit
 * overflow, each data_offsets pair against the data section, and the set of
 * pairs for overlap, holes and trailing bytes, as the reference reader does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/safetensors.h"
#include "base/base.h"
#include "io/json.h"

#define HEADER_LIMIT 100000000ull /* the safetensors crate's MAX_HEADER_SIZE */

struct aniso_st {
    amap map; /* the file, when opened from a path */
    char *path;
    size_t n;
    aniso_tensor *t; /* (n), sorted by name */
    uint64_t *begin; /* (n) data offsets, parallel to t, for validation */
};

static const struct {
    const char *name;
    size_t block, size; /* elements and bytes per block */
    int safetensors, ggml;
} dtypes[] = {
#define X(name, be, bb, st, gg) {#name, be, bb, st, gg},
    ANISO_DTYPE_LIST(X)
#undef X
};

const char *aniso_dtype_name(aniso_dtype dt)
{
    return (unsigned)dt < ANISO_DTYPE_COUNT ? dtypes[dt].name : NULL;
}

size_t aniso_dtype_size(aniso_dtype dt)
{
    return (unsigned)dt < ANISO_DTYPE_COUNT && dtypes[dt].block == 1 ? dtypes[dt].size : 0;
}

void aniso_dtype_block(aniso_dtype dt, size_t *elems, size_t *bytes)
{
    int ok = (unsigned)dt < ANISO_DTYPE_COUNT;
    *elems = ok ? dtypes[dt].block : 0;
    *bytes = ok ? dtypes[dt].size : 0;
}

int aniso_dtype_parse(const char *s)
{
    for (int i = 0; i < ANISO_DTYPE_COUNT; i++)
        if (dtypes[i].safetensors && strcmp(s, dtypes[i].name) == 0) return i;
    return -1;
}

int aniso_dtype_from_ggml(uint32_t id)
{
    for (int i = 0; i < ANISO_DTYPE_COUNT; i++)
        if (dtypes[i].ggml >= 0 && (uint32_t)dtypes[i].ggml == id) return i;
    return -1;
}

/* "[2, 3, 4]" into buf, truncated if long. */
static aniso_status parse_tensor(const char *name, const char *key, aj *v, uint64_t data_len,
                                 aniso_tensor *t, uint64_t *begin, aniso_error *err)
{
    if (!aj_is_object(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s': expected an object, found %s",
                               name, key, aj_type_name(v));
    aj *dt = aj_get(v, "dtype"), *shape = aj_get(v, "shape"), *offs = aj_get(v, "data_offsets");
    if (!aj_is_string(dt))
        return aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s': dtype must be a string", name,
                               key);
    int d = aniso_dtype_parse(aj_str(dt));
    if (d < 0)
        return aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s' has unknown dtype '%s'", name,
                               key, aj_str(dt));
    t->dtype = (aniso_dtype)d;
    if (!aj_is_array(shape))
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: tensor '%s': shape must be an array of integers", name, key);
    size_t nd = aj_size(shape);
    if (nd > ANISO_MAX_DIMS)
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: tensor '%s' has %zu dimensions (at most %d are supported)",
                               name, key, nd, ANISO_MAX_DIMS);
    t->n_dims = (int)nd;
    uint64_t n_elem = 1;
    int overflow = 0;
    for (size_t i = 0; i < nd; i++) {
        aj *e = aj_at(shape, i);
        if (!aj_is_integer(e))
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: tensor '%s': shape must be an array of integers", name,
                                   key);
        long long x = aj_int(e);
        if (x < 0)
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: tensor '%s' has a negative dimension (%lld) in its shape",
                                   name, key, x);
        t->shape[i] = x;
        overflow |= mul_u64(n_elem, (uint64_t)x, &n_elem);
    }
    char sbuf[256];
    uint64_t nbytes = 0;
    if (overflow || mul_u64(n_elem, dtypes[d].size, &nbytes))
        return aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s': shape %s overflows 64 bits",
                               name, key, shape_str(sbuf, sizeof sbuf, t->shape, t->n_dims));
    t->n_elem = n_elem;
    t->nbytes = nbytes;
    if (!aj_is_array(offs) || aj_size(offs) != 2 || !aj_is_integer(aj_at(offs, 0)) ||
        !aj_is_integer(aj_at(offs, 1)) || aj_int(aj_at(offs, 0)) < 0 || aj_int(aj_at(offs, 1)) < 0)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: tensor '%s': data_offsets must be [begin, end] with "
                               "non-negative integers",
                               name, key);
    uint64_t b = (uint64_t)aj_int(aj_at(offs, 0)), e = (uint64_t)aj_int(aj_at(offs, 1));
    if (b > e)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: tensor '%s' has data_offsets [%llu, %llu] with begin after end",
                               name, key, (unsigned long long)b, (unsigned long long)e);
    if (e > data_len)
        return aniso_error_set(err, ANISO_FORMAT,
                               "%s: tensor '%s' has data_offsets [%llu, %llu] outside the data "
                               "section (%llu bytes)",
                               name, key, (unsigned long long)b, (unsigned long long)e,
                               (unsigned long long)data_len);
    if (e - b != nbytes)
        return aniso_error_set(
            err, ANISO_FORMAT,
            "%s: tensor '%s' has %llu bytes in data_offsets but %s x %s needs %llu", name, key,
            (unsigned long long)(e - b), dtypes[d].name,
            shape_str(sbuf, sizeof sbuf, t->shape, t->n_dims), (unsigned long long)nbytes);
    *begin = b;
    return ANISO_OK;
}

static aniso_status check_metadata(const char *name, aj *v, aniso_error *err)
{
    if (!aj_is_object(v))
        return aniso_error_set(err, ANISO_FORMAT, "%s: __metadata__ must be an object of strings",
                               name);
    for (void *it = aj_iter(v); it; it = aj_iter_next(v, it))
        if (!aj_is_string(aj_iter_value(it)))
            return aniso_error_set(err, ANISO_FORMAT,
                                   "%s: __metadata__ value of '%s' is %s, expected a string", name,
                                   aj_iter_key(it), aj_type_name(aj_iter_value(it)));
    return ANISO_OK;
}

/* Sorting helpers: by name for lookup, by data offset for validation. */
static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const aniso_tensor *)a)->name, ((const aniso_tensor *)b)->name);
}

typedef struct {
    uint64_t begin, end;
    const char *name;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static aniso_status check_tiling(const char *name, const aniso_st *st, uint64_t data_len,
                                 aniso_error *err)
{
    aniso_status rc = ANISO_OK;
    span *s = malloc((st->n ? st->n : 1) * sizeof *s);
    if (!s) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", name);
    for (size_t i = 0; i < st->n; i++)
        s[i] = (span){st->begin[i], st->begin[i] + st->t[i].nbytes, st->t[i].name};
    qsort(s, st->n, sizeof *s, cmp_span);
    uint64_t pos = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (s[i].begin < pos) {
            rc = aniso_error_set(
                err, ANISO_FORMAT, "%s: tensor '%s' [%llu, %llu] overlaps tensor '%s' [%llu, %llu]",
                name, s[i].name, (unsigned long long)s[i].begin, (unsigned long long)s[i].end,
                s[i - 1].name, (unsigned long long)s[i - 1].begin,
                (unsigned long long)s[i - 1].end);
            goto out;
        }
        if (s[i].begin > pos) {
            rc = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: %llu unused bytes before tensor '%s' (data_offsets must tile "
                                 "the data section)",
                                 name, (unsigned long long)(s[i].begin - pos), s[i].name);
            goto out;
        }
        pos = s[i].end;
    }
    if (pos != data_len)
        rc = aniso_error_set(err, ANISO_FORMAT, "%s: %llu bytes after the last tensor's data", name,
                             (unsigned long long)(data_len - pos));
out:
    free(s);
    return rc;
}

aniso_st *aniso_st_parse(const void *buf, size_t len, const char *name, aniso_error *err)
{
    const unsigned char *p = buf;
    aniso_st *st = NULL;
    aj *root = NULL;
    char *what = NULL;
    if (len < 8) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: too short for a safetensors file (%zu bytes, header length needs 8)",
                        name, len);
        goto fail;
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > HEADER_LIMIT) {
        aniso_error_set(err, ANISO_FORMAT, "%s: header length %llu exceeds the limit of %llu bytes",
                        name, (unsigned long long)hlen, HEADER_LIMIT);
        goto fail;
    }
    if (hlen > len - 8) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: header length %llu is larger than the rest of the file (%zu bytes)",
                        name, (unsigned long long)hlen, len - 8);
        goto fail;
    }
    if (hlen == 0 || p[8] != '{') {
        aniso_error_set(err, ANISO_FORMAT, "%s: header does not start with '{'", name);
        goto fail;
    }
    what = malloc(strlen(name) + 16);
    if (!what) goto nomem;
    sprintf(what, "%s: header", name);
    root = aj_parse((const char *)p + 8, (size_t)hlen, what, err);
    if (!root) goto fail;
    if (!aj_is_object(root)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: header is %s, expected an object of tensors", name,
                        aj_type_name(root));
        goto fail;
    }
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->path = str_dup(name);
    size_t cap = aj_size(root);
    st->t = calloc(cap ? cap : 1, sizeof *st->t);
    st->begin = calloc(cap ? cap : 1, sizeof *st->begin);
    if (!st->path || !st->t || !st->begin) goto nomem;
    uint64_t data_len = (uint64_t)(len - 8 - hlen);
    const unsigned char *data = p + 8 + hlen;
    for (void *it = aj_iter(root); it; it = aj_iter_next(root, it)) {
        const char *key = aj_iter_key(it);
        aj *v = aj_iter_value(it);
        if (strcmp(key, "__metadata__") == 0) {
            if (check_metadata(name, v, err) != ANISO_OK) goto fail;
            continue;
        }
        aniso_tensor *t = &st->t[st->n];
        if (parse_tensor(name, key, v, data_len, t, &st->begin[st->n], err) != ANISO_OK) goto fail;
        t->name = str_dup(key);
        if (!t->name) goto nomem;
        t->data = data + st->begin[st->n];
        st->n++;
    }
    if (check_tiling(name, st, data_len, err) != ANISO_OK) goto fail;
    qsort(st->t, st->n, sizeof *st->t, cmp_name); /* begin[] is not needed past here */
    free(st->begin);
    st->begin = NULL;
    aj_free(root);
    free(what);
    return st;
nomem:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", name);
fail:
    aj_free(root);
    free(what);
    aniso_st_free(st);
    return NULL;
}

aniso_st *aniso_st_open(const char *path, aniso_error *err)
{
    amap m;
    if (amap_open(&m, path, err) != ANISO_OK) return NULL;
    aniso_st *st = aniso_st_parse(m.data, m.size, path, err);
    if (!st) {
        amap_close(&m);
        return NULL;
    }
    st->map = m;
    return st;
}

void aniso_st_free(aniso_st *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->n; i++) free((char *)st->t[i].name);
    free(st->t);
    free(st->begin);
    free(st->path);
    amap_close(&st->map);
    free(st);
}

const char *aniso_st_path(const aniso_st *st)
{
    return st->path;
}

size_t aniso_st_count(const aniso_st *st)
{
    return st->n;
}

const aniso_tensor *aniso_st_at(const aniso_st *st, size_t i)
{
    return i < st->n ? &st->t[i] : NULL;
}

const aniso_tensor *aniso_st_find(const aniso_st *st, const char *name)
{
    aniso_tensor key = {.name = name};
    return bsearch(&key, st->t, st->n, sizeof *st->t, cmp_name);
}
