/* gguf.c - strict GGUF reader (see include/aniso/gguf.h and docs/GGUF.md). A
 * cursor reads the header, metadata and tensor infos with a bounds check on
 * every field; tensor data are then checked for alignment, bounds and
 * overlap before any pointer into them is handed out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/gguf.h"
#include "base/base.h"

#define MAX_STRING (1ull << 30) /* ggml's cap on string lengths and array counts */
#define MAX_NAME   64           /* GGML_MAX_NAME, terminator included */

struct aniso_gguf {
    amap map;
    char *path;
    uint32_t version;
    size_t n_kv, n_tensors;
    aniso_gguf_kv *kv;
    aniso_tensor *t; /* (n_tensors) in file order */
    size_t *by_name; /* (n_tensors) indices sorted by name */
};

typedef struct cursor {
    const unsigned char *p;
    size_t len, pos;
    const char *name;
    aniso_error *err;
} cursor;

static int need(cursor *c, uint64_t n, const char *what)
{
    if (n > c->len - c->pos) {
        aniso_error_set(c->err, ANISO_FORMAT,
                        "%s: truncated: %s needs %llu bytes at offset %zu, "
                        "%zu left",
                        c->name, what, (unsigned long long)n, c->pos, c->len - c->pos);
        return -1;
    }
    return 0;
}

static int rd(cursor *c, void *out, size_t n, const char *what)
{
    if (need(c, n, what)) return -1;
    memcpy(out, c->p + c->pos, n);
    c->pos += n;
    return 0;
}

static int rd_u32(cursor *c, uint32_t *v, const char *what)
{
    unsigned char b[4];
    if (rd(c, b, 4, what)) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int rd_u64(cursor *c, uint64_t *v, const char *what)
{
    uint32_t lo, hi;
    if (rd_u32(c, &lo, what) || rd_u32(c, &hi, what)) return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

static int rd_str(cursor *c, aniso_gguf_str *s, const char *what)
{
    uint64_t n;
    if (rd_u64(c, &n, what)) return -1;
    if (n > MAX_STRING) {
        aniso_error_set(c->err, ANISO_FORMAT, "%s: %s has an absurd length (%llu bytes)", c->name,
                        what, (unsigned long long)n);
        return -1;
    }
    if (need(c, n, what)) return -1;
    s->p = (const char *)c->p + c->pos;
    s->len = n;
    c->pos += (size_t)n;
    return 0;
}

static const char *const type_names[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                         "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                         "UINT64", "INT64",   "FLOAT64"};
static const size_t type_size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *aniso_gguf_type_name(aniso_gguf_type t)
{
    return (unsigned)t <= ANISO_GGUF_FLOAT64 ? type_names[t] : "invalid";
}

/* "key" as a printable, truncated C string for messages. */
static const char *keystr(const aniso_gguf_str *k, char *buf, size_t cap)
{
    size_t n = k->len < cap - 1 ? (size_t)k->len : cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)k->p[i];
        buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    buf[n] = '\0';
    return buf;
}

static int read_value(cursor *c, aniso_gguf_kv *kv, const char *key)
{
    char what[160];
    snprintf(what, sizeof what, "the value of '%s'", key);
    if (kv->type == ANISO_GGUF_STRING) {
        kv->strs = malloc(sizeof *kv->strs);
        if (!kv->strs)
            return aniso_error_set(c->err, ANISO_NO_MEMORY, "%s: out of memory", c->name), -1;
        kv->count = 1;
        return rd_str(c, kv->strs, what);
    }
    if (kv->type != ANISO_GGUF_ARRAY) {
        kv->data = c->p + c->pos;
        return need(c, type_size[kv->type], what) ? -1 : (c->pos += type_size[kv->type], 0);
    }
    uint32_t et;
    uint64_t n;
    if (rd_u32(c, &et, what) || rd_u64(c, &n, what)) return -1;
    if (et > ANISO_GGUF_FLOAT64 || et == ANISO_GGUF_ARRAY) {
        aniso_error_set(c->err, ANISO_FORMAT, "%s: key '%s': %s array element type %u", c->name,
                        key, et == ANISO_GGUF_ARRAY ? "unsupported nested" : "invalid", et);
        return -1;
    }
    if (n > MAX_STRING) {
        aniso_error_set(c->err, ANISO_FORMAT, "%s: key '%s': absurd array length %llu", c->name,
                        key, (unsigned long long)n);
        return -1;
    }
    kv->elem_type = (aniso_gguf_type)et;
    kv->count = n;
    if (et != ANISO_GGUF_STRING) {
        uint64_t bytes = n * type_size[et]; /* n <= 2^30: no overflow */
        if (need(c, bytes, what)) return -1;
        kv->data = c->p + c->pos;
        c->pos += (size_t)bytes;
        return 0;
    }
    if (need(c, n * 8, what)) return -1; /* each string takes at least its length field */
    kv->strs = malloc((size_t)(n ? n : 1) * sizeof *kv->strs);
    if (!kv->strs)
        return aniso_error_set(c->err, ANISO_NO_MEMORY, "%s: out of memory", c->name), -1;
    for (uint64_t i = 0; i < n; i++)
        if (rd_str(c, &kv->strs[i], what)) return -1;
    return 0;
}

static int cmp_kv(const void *a, const void *b)
{
    const aniso_gguf_kv *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? (size_t)x->key.len : (size_t)y->key.len;
    int r = memcmp(x->key.p, y->key.p, n);
    return r ? r : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

static const aniso_gguf *sort_ctx;
static int cmp_tname(const void *a, const void *b)
{
    return strcmp(sort_ctx->t[*(const size_t *)a].name, sort_ctx->t[*(const size_t *)b].name);
}

typedef struct span {
    uint64_t b, e;
    size_t i;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->b < y->b ? -1 : x->b > y->b;
}

static const char *ggml_type_name(uint32_t id)
{
    static const char *n[] = {
        "F32",   "F16",        "Q4_0",       "Q4_1",       "Q4_2",     "Q4_3",     "Q5_0",
        "Q5_1",  "Q8_0",       "Q8_1",       "Q2_K",       "Q3_K",     "Q4_K",     "Q5_K",
        "Q6_K",  "Q8_K",       "IQ2_XXS",    "IQ2_XS",     "IQ3_XXS",  "IQ1_S",    "IQ4_NL",
        "IQ3_S", "IQ2_S",      "IQ4_XS",     "I8",         "I16",      "I32",      "I64",
        "F64",   "IQ1_M",      "BF16",       "Q4_0_4_4",   "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",
        "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",    "NVFP4",    "Q1_0",
        "Q2_0"};
    return id < sizeof n / sizeof n[0] ? n[id] : "unknown";
}

aniso_gguf *aniso_gguf_parse(const void *buf, size_t len, const char *name, aniso_error *err)
{
    aniso_gguf *g = calloc(1, sizeof *g);
    cursor c = {buf, len, 0, name, err};
    char kb[80];
    if (!g || !(g->path = str_dup(name))) goto nomem;
    unsigned char magic[4];
    if (len < 24) {
        aniso_error_set(err, ANISO_FORMAT, "%s: too short for a GGUF file (%zu bytes)", name, len);
        goto fail;
    }
    rd(&c, magic, 4, "the magic");
    if (memcmp(magic, "GGUF", 4) != 0) {
        aniso_error_set(err, ANISO_FORMAT, "%s: not a GGUF file (bad magic)", name);
        goto fail;
    }
    rd_u32(&c, &g->version, "the version");
    if ((g->version & 0xffff) == 0 && g->version) {
        aniso_error_set(err, ANISO_UNSUPPORTED, "%s: big-endian GGUF files are not supported",
                        name);
        goto fail;
    }
    if (g->version != 2 && g->version != 3) {
        aniso_error_set(err, ANISO_UNSUPPORTED, "%s: unsupported GGUF version %u (2 and 3 are)",
                        name, g->version);
        goto fail;
    }
    uint64_t nt, nk;
    rd_u64(&c, &nt, "the tensor count");
    rd_u64(&c, &nk, "the metadata count");
    /* A KV record takes at least 8 + 1 + 4 + 1 bytes, a tensor info 8 + 1 + 4 + 4 + 8. */
    if (nk > (len - c.pos) / 14 || nt > (len - c.pos) / 25) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: absurd counts (%llu tensors, %llu metadata keys) "
                        "for a %zu-byte file",
                        name, (unsigned long long)nt, (unsigned long long)nk, len);
        goto fail;
    }
    g->n_kv = (size_t)nk;
    g->n_tensors = (size_t)nt;
    g->kv = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kv);
    g->t = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->t);
    g->by_name = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->by_name);
    if (!g->kv || !g->t || !g->by_name) goto nomem;
    uint64_t alignment = 32;
    for (size_t i = 0; i < g->n_kv; i++) {
        aniso_gguf_kv *kv = &g->kv[i];
        uint32_t type;
        if (rd_str(&c, &kv->key, "a metadata key")) goto fail;
        keystr(&kv->key, kb, sizeof kb);
        if (kv->key.len == 0 || kv->key.len > 65535) {
            aniso_error_set(err, ANISO_FORMAT, "%s: metadata key %zu is empty or too long", name,
                            i);
            goto fail;
        }
        if (rd_u32(&c, &type, "a metadata type")) goto fail;
        if (type > ANISO_GGUF_FLOAT64) {
            aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' has invalid value type %u", name, kb,
                            type);
            goto fail;
        }
        kv->type = (aniso_gguf_type)type;
        if (read_value(&c, kv, kb)) goto fail;
        if (kv->key.len == 17 && memcmp(kv->key.p, "general.alignment", 17) == 0) {
            uint32_t a;
            if (kv->type != ANISO_GGUF_UINT32 || (memcpy(&a, kv->data, 4), a == 0) ||
                (a & (a - 1))) {
                aniso_error_set(err, ANISO_FORMAT,
                                "%s: general.alignment must be a UINT32 power of two", name);
                goto fail;
            }
            alignment = a;
        }
    }
    /* Duplicate keys. */
    aniso_gguf_kv *sorted = malloc((g->n_kv ? g->n_kv : 1) * sizeof *sorted);
    if (!sorted) goto nomem;
    memcpy(sorted, g->kv, g->n_kv * sizeof *sorted);
    qsort(sorted, g->n_kv, sizeof *sorted, cmp_kv);
    for (size_t i = 1; i < g->n_kv; i++)
        if (cmp_kv(&sorted[i - 1], &sorted[i]) == 0) {
            aniso_error_set(err, ANISO_FORMAT, "%s: duplicate metadata key '%s'", name,
                            keystr(&sorted[i].key, kb, sizeof kb));
            free(sorted);
            goto fail;
        }
    free(sorted);
    uint64_t *offs = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *offs);
    if (!offs) goto nomem;
    for (size_t i = 0; i < g->n_tensors; i++) {
        aniso_tensor *t = &g->t[i];
        aniso_gguf_str nm;
        uint32_t nd, type;
        uint64_t ne[4] = {1, 1, 1, 1};
        if (rd_str(&c, &nm, "a tensor name")) goto fail_offs;
        keystr(&nm, kb, sizeof kb);
        if (nm.len == 0 || nm.len >= MAX_NAME || memchr(nm.p, 0, (size_t)nm.len)) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: tensor %zu has an invalid name '%s' (1 to 63 "
                            "bytes)",
                            name, i, kb);
            goto fail_offs;
        }
        char *tn = malloc((size_t)nm.len + 1);
        if (!tn) goto nomem_offs;
        memcpy(tn, nm.p, (size_t)nm.len);
        tn[nm.len] = '\0';
        t->name = tn;
        if (rd_u32(&c, &nd, "tensor dimensions")) goto fail_offs;
        if (nd > 4) {
            aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s' has %u dimensions (at most 4)",
                            name, tn, nd);
            goto fail_offs;
        }
        uint64_t n_elem = 1;
        for (uint32_t k = 0; k < nd; k++) {
            if (rd_u64(&c, &ne[k], "a tensor dimension")) goto fail_offs;
            if (ne[k] > INT64_MAX || mul_u64(n_elem, ne[k], &n_elem) || n_elem > INT64_MAX) {
                aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s': dimensions overflow", name,
                                tn);
                goto fail_offs;
            }
        }
        if (rd_u32(&c, &type, "a tensor type") || rd_u64(&c, &offs[i], "a tensor offset"))
            goto fail_offs;
        int dt = aniso_dtype_from_ggml(type);
        if (dt < 0) {
            aniso_error_set(err, ANISO_UNSUPPORTED,
                            "%s: tensor '%s' has unsupported tensor type "
                            "%s (%u)",
                            name, tn, ggml_type_name(type), type);
            goto fail_offs;
        }
        size_t be, bb;
        aniso_dtype_block((aniso_dtype)dt, &be, &bb);
        if (ne[0] % be) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: tensor '%s': row length %llu is not a multiple "
                            "of the %s block (%zu)",
                            name, tn, (unsigned long long)ne[0], aniso_dtype_name((aniso_dtype)dt),
                            be);
            goto fail_offs;
        }
        t->dtype = (aniso_dtype)dt;
        t->n_dims = (int)nd;
        for (uint32_t k = 0; k < nd; k++) t->shape[k] = (int64_t)ne[nd - 1 - k];
        t->n_elem = n_elem;
        t->nbytes = n_elem / be * bb; /* n_elem < 2^63, bb < 2^9: fits after the division */
        if (n_elem / be > UINT64_MAX / bb) {
            aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s': size overflows", name, tn);
            goto fail_offs;
        }
    }
    /* The data section: aligned after the infos; each tensor aligned, inside the
     * file, not overlapping another. */
    uint64_t data = c.pos + (alignment - c.pos % alignment) % alignment;
    if (g->n_tensors && data > len) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: truncated: the data section starts at %llu, past "
                        "the end (%zu bytes)",
                        name, (unsigned long long)data, len);
        goto fail_offs;
    }
    span *sp = malloc((g->n_tensors ? g->n_tensors : 1) * sizeof *sp);
    if (!sp) goto nomem_offs;
    for (size_t i = 0; i < g->n_tensors; i++) {
        aniso_tensor *t = &g->t[i];
        uint64_t end;
        if (offs[i] % alignment) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: tensor '%s' offset %llu is not a multiple of "
                            "the alignment %llu",
                            name, t->name, (unsigned long long)offs[i],
                            (unsigned long long)alignment);
            free(sp);
            goto fail_offs;
        }
        if (add_u64(data, offs[i], &end) || add_u64(end, t->nbytes, &end) || end > len) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: tensor '%s' data (%llu bytes at offset %llu) run "
                            "past the end of the file",
                            name, t->name, (unsigned long long)t->nbytes,
                            (unsigned long long)offs[i]);
            free(sp);
            goto fail_offs;
        }
        t->data = (const unsigned char *)buf + data + offs[i];
        sp[i] = (span){offs[i], offs[i] + t->nbytes, i};
    }
    qsort(sp, g->n_tensors, sizeof *sp, cmp_span);
    for (size_t i = 1; i < g->n_tensors; i++)
        if (sp[i].b < sp[i - 1].e) {
            aniso_error_set(err, ANISO_FORMAT, "%s: tensors '%s' and '%s' overlap", name,
                            g->t[sp[i - 1].i].name, g->t[sp[i].i].name);
            free(sp);
            goto fail_offs;
        }
    free(sp);
    free(offs);
    for (size_t i = 0; i < g->n_tensors; i++) g->by_name[i] = i;
    sort_ctx = g;
    qsort(g->by_name, g->n_tensors, sizeof *g->by_name, cmp_tname);
    for (size_t i = 1; i < g->n_tensors; i++)
        if (!strcmp(g->t[g->by_name[i]].name, g->t[g->by_name[i - 1]].name)) {
            aniso_error_set(err, ANISO_FORMAT, "%s: duplicate tensor name '%s'", name,
                            g->t[g->by_name[i]].name);
            goto fail;
        }
    return g;
nomem_offs:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", name);
fail_offs:
    free(offs);
    goto fail;
nomem:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", name);
fail:
    aniso_gguf_free(g);
    return NULL;
}

int aniso_gguf_is_file(const char *path)
{
    FILE *f = fopen_regular(path, NULL);
    char magic[4] = {0};
    size_t n = f ? fread(magic, 1, 4, f) : 0;
    if (f) fclose(f);
    return n == 4 && memcmp(magic, "GGUF", 4) == 0;
}

aniso_gguf *aniso_gguf_open(const char *path, aniso_error *err)
{
    amap m;
    if (amap_open(&m, path, err)) return NULL;
    aniso_gguf *g = aniso_gguf_parse(m.data, m.size, path, err);
    if (!g) {
        amap_close(&m);
        return NULL;
    }
    g->map = m;
    return g;
}

void aniso_gguf_free(aniso_gguf *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->n_kv; i++) free(g->kv[i].strs);
    for (size_t i = 0; i < g->n_tensors; i++) free((char *)g->t[i].name);
    free(g->kv);
    free(g->t);
    free(g->by_name);
    free(g->path);
    amap_close(&g->map);
    free(g);
}

uint32_t aniso_gguf_version(const aniso_gguf *g)
{
    return g->version;
}
size_t aniso_gguf_kv_count(const aniso_gguf *g)
{
    return g->n_kv;
}
const aniso_gguf_kv *aniso_gguf_kv_at(const aniso_gguf *g, size_t i)
{
    return i < g->n_kv ? &g->kv[i] : NULL;
}
size_t aniso_gguf_tensor_count(const aniso_gguf *g)
{
    return g->n_tensors;
}
const aniso_tensor *aniso_gguf_tensor_at(const aniso_gguf *g, size_t i)
{
    return i < g->n_tensors ? &g->t[i] : NULL;
}
const char *aniso_gguf_path(const aniso_gguf *g)
{
    return g->path;
}

const aniso_gguf_kv *aniso_gguf_find(const aniso_gguf *g, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key.len == n && memcmp(g->kv[i].key.p, key, n) == 0) return &g->kv[i];
    return NULL;
}

const aniso_tensor *aniso_gguf_find_tensor(const aniso_gguf *g, const char *name)
{
    size_t lo = 0, hi = g->n_tensors;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(g->t[g->by_name[mid]].name, name);
        if (r == 0) return &g->t[g->by_name[mid]];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A scalar of numeric type t at p, as double (integers exact up to 2^53). */
static double num_at(aniso_gguf_type t, const unsigned char *p, long long *as_int, int *is_int)
{
    uint64_t u = 0;
    *is_int = 1;
    switch (t) {
    case ANISO_GGUF_UINT8:
        *as_int = p[0];
        break;
    case ANISO_GGUF_INT8:
        *as_int = (int8_t)p[0];
        break;
    case ANISO_GGUF_BOOL:
        *as_int = p[0] != 0;
        break;
    case ANISO_GGUF_UINT16:
        *as_int = p[0] | p[1] << 8;
        break;
    case ANISO_GGUF_INT16:
        *as_int = (int16_t)(p[0] | p[1] << 8);
        break;
    case ANISO_GGUF_UINT32:
        memcpy(&u, p, 4), *as_int = (long long)(uint32_t)u;
        break;
    case ANISO_GGUF_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        *as_int = v;
        break;
    }
    case ANISO_GGUF_UINT64:
        memcpy(&u, p, 8);
        if (u > INT64_MAX) {
            *is_int = 0;
            return (double)u;
        }
        *as_int = (long long)u;
        break;
    case ANISO_GGUF_INT64:
        memcpy(as_int, p, 8);
        break;
    case ANISO_GGUF_FLOAT32: {
        float f;
        memcpy(&f, p, 4);
        *is_int = 0;
        return f;
    }
    case ANISO_GGUF_FLOAT64: {
        double d;
        memcpy(&d, p, 8);
        *is_int = 0;
        return d;
    }
    default:
        *is_int = 0;
        return 0;
    }
    return (double)*as_int;
}

double aniso_gguf_arr_num(const aniso_gguf_kv *kv, uint64_t i)
{
    long long v;
    int isint;
    if (kv->type != ANISO_GGUF_ARRAY || i >= kv->count || kv->elem_type == ANISO_GGUF_STRING)
        return 0;
    return num_at(kv->elem_type, kv->data + i * type_size[kv->elem_type], &v, &isint);
}

static const aniso_gguf_kv *getter(const aniso_gguf *g, const char *key, int optional, int *absent,
                                   aniso_error *err)
{
    const aniso_gguf_kv *kv = aniso_gguf_find(g, key);
    *absent = !kv;
    if (!kv && !optional)
        aniso_error_set(err, ANISO_FORMAT, "%s: missing metadata key '%s'", g->path, key);
    return kv;
}

int aniso_gguf_get_int(const aniso_gguf *g, const char *key, int optional, long long lo,
                       long long hi, long long *out, aniso_error *err)
{
    int absent, isint;
    const aniso_gguf_kv *kv = getter(g, key, optional, &absent, err);
    if (!kv) return absent && optional ? 0 : -1;
    long long v = 0;
    if (kv->type == ANISO_GGUF_ARRAY || kv->type == ANISO_GGUF_STRING ||
        kv->type == ANISO_GGUF_BOOL || (num_at(kv->type, kv->data, &v, &isint), !isint)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be an integer, found %s", g->path,
                        key, aniso_gguf_type_name(kv->type));
        return -1;
    }
    if (v < lo || v > hi) {
        aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' = %lld is out of range (%lld to %lld)",
                        g->path, key, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int aniso_gguf_get_float(const aniso_gguf *g, const char *key, int optional, double *out,
                         aniso_error *err)
{
    int absent, isint;
    const aniso_gguf_kv *kv = getter(g, key, optional, &absent, err);
    if (!kv) return absent && optional ? 0 : -1;
    long long v;
    if (kv->type == ANISO_GGUF_ARRAY || kv->type == ANISO_GGUF_STRING ||
        kv->type == ANISO_GGUF_BOOL) {
        aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a number, found %s", g->path, key,
                        aniso_gguf_type_name(kv->type));
        return -1;
    }
    *out = num_at(kv->type, kv->data, &v, &isint);
    return 0;
}

int aniso_gguf_get_bool(const aniso_gguf *g, const char *key, int optional, int *out,
                        aniso_error *err)
{
    int absent;
    const aniso_gguf_kv *kv = getter(g, key, optional, &absent, err);
    if (!kv) return absent && optional ? 0 : -1;
    if (kv->type != ANISO_GGUF_BOOL) {
        aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a BOOL, found %s", g->path, key,
                        aniso_gguf_type_name(kv->type));
        return -1;
    }
    *out = kv->data[0] != 0;
    return 0;
}

int aniso_gguf_get_str(const aniso_gguf *g, const char *key, int optional, char *buf, size_t cap,
                       aniso_error *err)
{
    int absent;
    const aniso_gguf_kv *kv = getter(g, key, optional, &absent, err);
    if (!kv) return absent && optional ? 0 : -1;
    if (kv->type != ANISO_GGUF_STRING || kv->strs[0].len >= cap ||
        memchr(kv->strs[0].p, 0, (size_t)kv->strs[0].len)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: key '%s' must be a short string", g->path, key);
        return -1;
    }
    memcpy(buf, kv->strs[0].p, (size_t)kv->strs[0].len);
    buf[kv->strs[0].len] = '\0';
    return 0;
}
