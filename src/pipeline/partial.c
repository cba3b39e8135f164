/* partial.c - checkpoint files of per-layer moments (partial.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/base.h"
#include "pipeline/partial.h"

#define MAGIC    "ANISOPR"
#define VERSION  2u
#define BOM      0x01020304u
#define MAX_META (64u << 20)

typedef struct sink {
    FILE *f;
    uLong crc;
} sink;

static int put(void *user, const void *p, size_t len)
{
    sink *o = user;
    const unsigned char *b = p;
    /* crc32 takes uInt lengths: feed large blocks in pieces */
    for (size_t at = 0; at < len;) {
        size_t k = len - at > (1u << 30) ? (1u << 30) : len - at;
        o->crc = crc32(o->crc, b + at, (uInt)k);
        at += k;
    }
    return fwrite(p, 1, len, o->f) == len ? 0 : -1;
}

aniso_status partial_write(const char *path, const aj *meta, aniso_moments *const *m, int n,
                           aniso_error *err)
{
    char *text = aj_dump(meta, 0);
    if (!text) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    afile a;
    aniso_status st = afile_create(&a, path, err);
    if (st) {
        free(text);
        return st;
    }
    sink o = {a.f, crc32(0L, Z_NULL, 0)};
    uint32_t ver = VERSION, bom = BOM, nl = (uint32_t)n;
    uint64_t len = strlen(text);
    int bad = put(&o, MAGIC, 8) || put(&o, &ver, 4) || put(&o, &bom, 4) || put(&o, &len, 8) ||
              put(&o, text, (size_t)len) || put(&o, &nl, 4);
    free(text);
    for (int i = 0; i < n && !bad; i++) {
        aniso_error e2;
        bad = aniso_moments_write(m[i], put, &o, &e2) != ANISO_OK;
    }
    uint32_t crc = (uint32_t)o.crc;
    if (bad || fwrite(&crc, 4, 1, a.f) != 1) {
        afile_discard(&a);
        return aniso_error_set(err, ANISO_IO, "%s: write failed (disk full?)", path);
    }
    return afile_commit(&a, err);
}

typedef struct in {
    FILE *f;
    uLong crc;
    uint64_t left; /* bytes of the file not read yet */
} in;

static int get(void *user, void *p, size_t len)
{
    in *i = user;
    if (len > i->left || fread(p, 1, len, i->f) != len) return -1;
    i->left -= len;
    unsigned char *b = p;
    for (size_t at = 0; at < len;) {
        size_t k = len - at > (1u << 30) ? (1u << 30) : len - at;
        i->crc = crc32(i->crc, b + at, (uInt)k);
        at += k;
    }
    return 0;
}

void partial_free(partial *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) aniso_moments_free(p->m[i]);
    free(p->m);
    aj_free(p->meta);
    memset(p, 0, sizeof *p);
}

static aniso_status read_impl(const char *path, partial *out, int meta_only, aniso_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen_regular(path, err);
    if (!f) return err ? err->code : ANISO_NOT_FOUND;
    struct stat sb;
    in r = {f, crc32(0L, Z_NULL, 0), fstat(fileno(f), &sb) == 0 ? (uint64_t)sb.st_size : 0};
    char magic[8], *text = NULL;
    uint32_t ver = 0, bom = 0, nl = 0;
    uint64_t len = 0;
    aniso_status st = ANISO_FORMAT;
    if (get(&r, magic, 8) || memcmp(magic, MAGIC, 8)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: not an aniso partial result", path);
        goto fail;
    }
    if (get(&r, &ver, 4) || get(&r, &bom, 4)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: truncated or malformed partial result", path);
        goto fail;
    }
    if (ver != VERSION || bom != BOM) {
        aniso_error_set(err, ANISO_UNSUPPORTED,
                        "%s: a partial result of another version or byte order (version %u)", path,
                        ver);
        goto fail;
    }
    if (get(&r, &len, 8) || len == 0 || len > MAX_META || len > r.left) {
        aniso_error_set(err, ANISO_FORMAT, "%s: truncated or malformed partial result", path);
        goto fail;
    }
    if (!(text = malloc((size_t)len + 1))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    if (get(&r, text, (size_t)len)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: truncated or malformed partial result", path);
        goto fail;
    }
    if (!(out->meta = aj_parse(text, (size_t)len, path, err)) || !aj_is_object(out->meta)) {
        if (out->meta) aniso_error_set(err, ANISO_FORMAT, "%s: malformed metadata", path);
        goto fail;
    }
    if (meta_only) {
        free(text);
        fclose(f);
        return ANISO_OK;
    }
    if (get(&r, &nl, 4) || nl == 0 || nl > ANISO_MAX_LAYERS + 2) {
        aniso_error_set(err, ANISO_FORMAT, "%s: truncated or malformed partial result", path);
        goto fail;
    }
    if (!(out->m = calloc(nl, sizeof *out->m))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    for (uint32_t i = 0; i < nl; i++) {
        if (!(out->m[i] = aniso_moments_read(get, &r, r.left, path, err))) goto fail;
        out->n++;
    }
    uLong want = r.crc;
    uint32_t crc;
    if (fread(&crc, 4, 1, f) != 1 || crc != (uint32_t)want || fgetc(f) != EOF) {
        aniso_error_set(err, ANISO_FORMAT, "%s: checksum mismatch (the file is damaged)", path);
        goto fail;
    }
    free(text);
    fclose(f);
    return ANISO_OK;
fail:
    free(text);
    fclose(f);
    partial_free(out);
    return st == ANISO_OK ? ANISO_FORMAT : (err && err->code ? err->code : st);
}

aniso_status partial_same(const char *pa, const aj *a, const char *pb, const aj *b, const char *k,
                          aniso_error *err)
{
    aj *va = aj_get(a, k), *vb = aj_get(b, k);
    char *x = va ? aj_dump(va, 0) : NULL, *y = vb ? aj_dump(vb, 0) : NULL;
    int same = (!va && !vb) || (x && y && !strcmp(x, y));
    free(x);
    free(y);
    if (same) return ANISO_OK;
    return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                           "%s and %s: not parts of one profile (their '%s' differ)", pa, pb, k);
}

aniso_status partial_read(const char *path, partial *out, aniso_error *err)
{
    return read_impl(path, out, 0, err);
}

aniso_status partial_read_meta(const char *path, partial *out, aniso_error *err)
{
    return read_impl(path, out, 1, err);
}
