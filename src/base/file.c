/* file.c - read-only file mappings and small whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

int open_regular(const char *path, aniso_error *err)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0) {
        int e = errno;
        /* a socket, say, cannot be opened at all: say what it is */
        if (e != ENOENT && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: is %s, not a regular file", path,
                            file_kind(sb.st_mode));
        else
            aniso_error_set(err, e == ENOENT ? ANISO_NOT_FOUND : ANISO_IO, "%s: %s", path,
                            e == ENOENT ? "not found" : strerror(e));
        return -1;
    }
    if (fstat(fd, &sb) != 0) {
        aniso_error_set(err, ANISO_IO, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: is %s, not a regular file", path,
                        file_kind(sb.st_mode));
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

FILE *fopen_regular(const char *path, aniso_error *err)
{
    int fd = open_regular(path, err);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        close(fd);
    }
    return f;
}

aniso_status amap_open(amap *m, const char *path, aniso_error *err)
{
    m->data = NULL;
    m->size = 0;
    int fd = open_regular(path, err);
    if (fd < 0) return err ? err->code : ANISO_IO;
    aniso_status st = ANISO_OK;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (sb.st_size > 0) {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            st = aniso_error_set(err, ANISO_IO, "%s: cannot map: %s", path, strerror(errno));
            goto out;
        }
        m->data = p;
        m->size = (size_t)sb.st_size;
    }
out:
    close(fd);
    return st;
}

void amap_close(amap *m)
{
    if (!m) return;
    if (m->data) munmap(m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

aniso_status read_small_file(const char *path, size_t max_size, char **out, size_t *out_len,
                             aniso_error *err)
{
    *out = NULL;
    *out_len = 0;
    int fd = open_regular(path, err);
    if (fd < 0) return err ? err->code : ANISO_IO;
    aniso_status st = ANISO_OK;
    char *buf = NULL;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if ((uint64_t)sb.st_size > max_size) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: file too large (%lld bytes, limit %zu)", path,
                             (long long)sb.st_size, max_size);
        goto out;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    buf = malloc(n + 1);
    if (!buf) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto out;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            st = aniso_error_set(err, ANISO_IO, "%s: read failed: %s", path,
                                 r < 0 ? strerror(errno) : "file shrank");
            goto out;
        }
        got += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return st;
}

aniso_status afile_create(afile *a, const char *path, aniso_error *err)
{
    memset(a, 0, sizeof *a);
    a->slot = -1;
    aniso_status st = out_target_check(path, err);
    if (st) return st;
    size_t n = strlen(path);
    a->path = malloc(n + 1);
    a->tmp = malloc(n + 16);
    if (!a->path || !a->tmp) {
        afile_discard(a);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    memcpy(a->path, path, n + 1);
    snprintf(a->tmp, n + 16, "%s.tmp.XXXXXX", path);
    /* O_CREAT | O_EXCL: never an existing file or link */
    int fd = tmp_make(a->tmp, 0, &a->slot);
    if (fd < 0) {
        st =
            errno == EINTR
                ? aniso_error_set(err, ANISO_IO, "%s: the run is being stopped (interrupted)", path)
                : aniso_error_set(err, ANISO_IO, "%s: cannot create: %s", path, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        afile_discard(a);
        return st;
    }
    fchmod(fd, 0644);
    a->f = fdopen(fd, "wb");
    if (!a->f) {
        close(fd);
        afile_discard(a);
        return aniso_error_set(err, ANISO_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    return ANISO_OK;
}

aniso_status afile_commit(afile *a, aniso_error *err)
{
    aniso_status st = ANISO_OK;
    int bad = fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0;
    if (fclose(a->f) != 0) bad = 1;
    a->f = NULL;
    if (bad) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", a->path, strerror(errno));
    } else if (!(st = out_target_check(a->path, err)) && rename(a->tmp, a->path) != 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", a->path, strerror(errno));
    }
    if (st) remove(a->tmp);
    tmp_unregister(a->slot);
    free(a->tmp);
    free(a->path);
    a->tmp = a->path = NULL;
    a->slot = -1;
    return st;
}

void afile_discard(afile *a)
{
    if (a->f) fclose(a->f);
    if (a->tmp) remove(a->tmp);
    if (a->tmp) tmp_unregister(a->slot);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
    a->slot = -1;
}

aniso_status afile_write_text(const char *path, const char *text, aniso_error *err)
{
    afile f;
    aniso_status st = afile_create(&f, path, err);
    if (st) return st;
    fputs(text, f.f);
    fputc('\n', f.f);
    return afile_commit(&f, err);
}

int abuf_add(abuf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

aniso_status ensure_dir(const char *dir, aniso_error *err)
{
    if (is_dir(dir)) return ANISO_OK;
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return aniso_error_set(err, ANISO_IO, "%s: exists and is not a folder", dir);
    /* the missing parents first, as mkdir -p */
    size_t n = strlen(dir);
    char *p = malloc(n + 1);
    if (!p) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir);
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (p[i] != '/') continue;
        p[i] = 0;
        if (!is_dir(p) && mkdir(p, 0755) != 0 && errno != EEXIST) {
            aniso_status st =
                aniso_error_set(err, ANISO_IO, "%s: cannot create the output folder (%s): %s", dir,
                                p, strerror(errno));
            free(p);
            return st;
        }
        p[i] = '/';
    }
    free(p);
    if (mkdir(dir, 0755) != 0 && !(errno == EEXIST && is_dir(dir)))
        return aniso_error_set(err, ANISO_IO, "%s: cannot create the output folder: %s", dir,
                               strerror(errno));
    return ANISO_OK;
}
