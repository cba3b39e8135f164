/* npy.c - NumPy .npy reading and writing (float32, C order). The header is
 * a Python dict literal padded with spaces so that the data start at a
 * multiple of 64 bytes, as numpy writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/npy.h"
#include "base/base.h"

struct aniso_npy_writer {
    afile out;
    uint64_t expect, written;
};

aniso_npy_writer *aniso_npy_create(const char *path, const int64_t *shape, int ndim,
                                   aniso_error *err)
{
    char hdr[512];
    int k = snprintf(hdr, sizeof hdr, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    uint64_t total = 1;
    for (int i = 0; i < ndim; i++) {
        k += snprintf(hdr + k, sizeof hdr - (size_t)k, "%lld%s", (long long)shape[i],
                      ndim == 1      ? ","
                      : i + 1 < ndim ? ", "
                                     : "");
        total *= (uint64_t)shape[i];
    }
    k += snprintf(hdr + k, sizeof hdr - (size_t)k, "), }");
    size_t pad = 64 - (10 + (size_t)k + 1) % 64;
    if (pad == 64) pad = 0;
    aniso_npy_writer *w = calloc(1, sizeof *w);
    if (!w) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    if (afile_create(&w->out, path, err)) {
        free(w);
        return NULL;
    }
    size_t hlen = (size_t)k + pad + 1;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    fwrite(pre, 1, 10, w->out.f);
    fwrite(hdr, 1, (size_t)k, w->out.f);
    for (size_t i = 0; i < pad; i++) fputc(' ', w->out.f);
    fputc('\n', w->out.f);
    w->expect = total;
    return w;
}

aniso_status aniso_npy_append(aniso_npy_writer *w, const float *x, size_t n, aniso_error *err)
{
    if (w->written + n > w->expect)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: more data than the shape holds",
                               w->out.path);
    if (fwrite(x, sizeof *x, n, w->out.f) != n)
        return aniso_error_set(err, ANISO_IO, "%s: write failed", w->out.path);
    w->written += n;
    return ANISO_OK;
}

aniso_status aniso_npy_finish(aniso_npy_writer *w, aniso_error *err)
{
    aniso_status st;
    if (w->written != w->expect) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: %llu of %llu elements written",
                             w->out.path, (unsigned long long)w->written,
                             (unsigned long long)w->expect);
        afile_discard(&w->out);
    } else {
        st = afile_commit(&w->out, err);
    }
    free(w);
    return st;
}

void aniso_npy_discard(aniso_npy_writer *w)
{
    if (!w) return;
    afile_discard(&w->out);
    free(w);
}

float *aniso_npy_load(const char *path, int64_t *shape, int *ndim, aniso_error *err)
{
    amap m;
    float *out = NULL;
    if (amap_open(&m, path, err)) return NULL;
    const unsigned char *p = m.data;
    if (m.size < 10 || memcmp(p, "\x93NUMPY", 6) != 0) {
        aniso_error_set(err, ANISO_FORMAT, "%s: not a .npy file", path);
        goto out;
    }
    size_t hlen = p[6] == 1 ? (size_t)(p[8] | p[9] << 8) : 0, start = 10;
    if (p[6] >= 2 && m.size >= 12) {
        hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
        start = 12;
    }
    if (hlen == 0 || hlen > m.size - start || hlen > 65535) {
        aniso_error_set(err, ANISO_FORMAT, "%s: bad .npy header", path);
        goto out;
    }
    char hdr[65536];
    memcpy(hdr, p + start, hlen);
    hdr[hlen] = '\0';
    int f8 = strstr(hdr, "'<f8'") != NULL;
    if ((!f8 && !strstr(hdr, "'<f4'")) || !strstr(hdr, "'fortran_order': False")) {
        aniso_error_set(err, ANISO_UNSUPPORTED,
                        "%s: only little-endian float32/float64 C-order "
                        "arrays are supported",
                        path);
        goto out;
    }
    const char *s = strstr(hdr, "'shape': (");
    if (!s) {
        aniso_error_set(err, ANISO_FORMAT, "%s: no shape in the .npy header", path);
        goto out;
    }
    s += 10;
    *ndim = 0;
    uint64_t total = 1;
    while (*s && *s != ')') {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || *ndim >= ANISO_NPY_MAX_DIMS ||
            mul_u64(total, (uint64_t)v, &total)) {
            aniso_error_set(err, ANISO_FORMAT, "%s: bad shape in the .npy header", path);
            goto out;
        }
        shape[(*ndim)++] = v;
        s = end;
        while (*s == ',' || *s == ' ') s++;
    }
    size_t es = f8 ? 8 : 4, data = start + hlen;
    uint64_t nbytes;
    if (mul_u64(total, es, &nbytes) || nbytes != m.size - data) {
        aniso_error_set(err, ANISO_FORMAT, "%s: data size does not match the shape", path);
        goto out;
    }
    out = malloc(total ? total * sizeof *out : 1);
    if (!out) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto out;
    }
    for (uint64_t i = 0; i < total; i++) {
        if (f8) {
            double d;
            memcpy(&d, p + data + 8 * i, 8);
            out[i] = (float)d;
        } else {
            memcpy(&out[i], p + data + 4 * i, 4);
        }
    }
out:
    amap_close(&m);
    return out;
}
