/* stage.c - result sets put in place all or none, never destroying an
 * earlier one, and the registry of temporary paths that an interrupted run
 * removes.
 *
 * A result set (a profile's JSON, figures and ZIP; hidden's .npy and token
 * list; compare's outputs) is written into a private folder beside its
 * target, DIR/.aniso-XXXXXX (mkdtemp, mode 0700: nobody else can plant a
 * link there), each file checked as it is written. astage_commit then
 * syncs every file and moves them into DIR one by one; an earlier file of
 * the same name is first hard-linked into the private folder, so that a
 * failure at any step puts every earlier file back. The registry lock is
 * held through the commit, so that an interrupt waits for it to finish. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aniso/aniso.h"
#include "base/base.h"

/* ---- The registry of temporary paths */

#define TMP_SLOTS 256

static struct {
    char *path;
    int is_dir;
} reg[TMP_SLOTS];
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static int reg_closed; /* after aniso_temporaries_remove: nothing new may start */

int tmp_make(char *tmpl, int is_dir, int *slot)
{
    /* Made and registered under the lock: an interrupt cannot fall between
     * the two and leave the path behind. */
    *slot = -1;
    pthread_mutex_lock(&reg_lock);
    int i = 0, fd = -1;
    while (i < TMP_SLOTS && reg[i].path) i++;
    if (reg_closed || i == TMP_SLOTS) {
        errno = reg_closed ? EINTR : EMFILE;
        goto out;
    }
    if (is_dir)
        fd = mkdtemp(tmpl) ? 0 : -1;
    else
        fd = mkstemp(tmpl);
    if (fd < 0) goto out;
    if (!(reg[i].path = str_dup(tmpl))) {
        if (is_dir)
            rmdir(tmpl);
        else
            close(fd), unlink(tmpl);
        fd = -1;
        errno = ENOMEM;
        goto out;
    }
    reg[i].is_dir = is_dir;
    *slot = i;
out:
    pthread_mutex_unlock(&reg_lock);
    return fd;
}

void tmp_unregister(int slot)
{
    if (slot < 0 || slot >= TMP_SLOTS) return;
    pthread_mutex_lock(&reg_lock);
    free(reg[slot].path);
    reg[slot].path = NULL;
    pthread_mutex_unlock(&reg_lock);
}

/* Removes the files of folder dir (flat: stages hold no folders), then the
 * folder; pass after pass (a millisecond apart, for at most about 0.1 s)
 * while a writer of the interrupted run is still adding a file to it. */
static void remove_tree(const char *dir)
{
    for (int pass = 0; pass < 100; pass++) {
        if (pass) nanosleep(&(struct timespec){0, 1000000}, NULL);
        DIR *d = opendir(dir);
        if (!d) return;
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
        if (rmdir(dir) == 0 || errno == ENOENT) return;
    }
}

void aniso_temporaries_remove(void)
{
    pthread_mutex_lock(&reg_lock);
    reg_closed = 1;
    for (int i = 0; i < TMP_SLOTS; i++) {
        if (!reg[i].path) continue;
        if (reg[i].is_dir)
            remove_tree(reg[i].path);
        else
            unlink(reg[i].path);
        free(reg[i].path);
        reg[i].path = NULL;
    }
    pthread_mutex_unlock(&reg_lock);
}

/* ---- Output targets */

const char *file_kind(mode_t m)
{
    return S_ISREG(m)    ? "a regular file"
           : S_ISDIR(m)  ? "a folder"
           : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISLNK(m)  ? "a symbolic link"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

aniso_status out_target_check(const char *path, aniso_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT) return ANISO_OK;
        if (errno == ENOTDIR)
            return aniso_error_set(err, ANISO_IO,
                                   "%s: cannot be written: a part of its path is a file, not a "
                                   "folder",
                                   path);
        return aniso_error_set(err, ANISO_IO, "%s: cannot check the output path: %s", path,
                               strerror(errno));
    }
    if (S_ISREG(sb.st_mode)) return ANISO_OK;
    return aniso_error_set(err, ANISO_IO,
                           "%s: exists and is %s; aniso replaces only regular files with its "
                           "results",
                           path, file_kind(sb.st_mode));
}

/* ---- Result sets */

aniso_status astage_open(astage *s, const char *dir, aniso_error *err)
{
    memset(s, 0, sizeof *s);
    s->slot = -1;
    aniso_status st = ensure_dir(dir, err);
    if (st) return st;
    s->dir = str_dup(dir);
    s->tmp = path_join(dir, ".aniso-XXXXXX");
    if (!s->dir || !s->tmp) {
        astage_abort(s);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir);
    }
    if (tmp_make(s->tmp, 1, &s->slot) < 0) {
        st = errno == EINTR
                 ? aniso_error_set(err, ANISO_IO, "%s: the run is being stopped (interrupted)", dir)
                 : aniso_error_set(err, ANISO_IO,
                                   "%s: cannot create a private folder for the results: %s", dir,
                                   strerror(errno));
        free(s->tmp);
        s->tmp = NULL;
        astage_abort(s);
        return st;
    }
    return ANISO_OK;
}

aniso_status astage_add(astage *s, const char *name, char **path, aniso_error *err)
{
    *path = NULL;
    if (!*name || strchr(name, '/') || name[0] == '.')
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: '%s' is not a file name", s->dir,
                               name);
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name))
            return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                   "%s: two results of this run are named '%s'", s->dir, name);
    char *final = path_join(s->dir, name), *nm = str_dup(name), *tmp = path_join(s->tmp, name);
    aniso_status st = ANISO_OK;
    if (!final || !nm || !tmp ||
        vec_reserve((void **)&s->names, &s->cap, (size_t)s->n + 1, sizeof *s->names)) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", s->dir);
    } else if (!(st = out_target_check(final, err))) {
        s->names[s->n++] = nm;
        *path = tmp;
        nm = tmp = NULL;
    }
    free(final);
    free(nm);
    free(tmp);
    return st;
}

char *astage_final(const astage *s, int i)
{
    return i >= 0 && i < s->n ? path_join(s->dir, s->names[i]) : NULL;
}

static int sync_path(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (dir ? O_DIRECTORY : 0));
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

aniso_status astage_commit(astage *s, aniso_error *err)
{
    aniso_status st = ANISO_OK;
    int n = s->n, done = 0;
    char **final = calloc((size_t)(n ? n : 1), sizeof *final);
    char **staged = calloc((size_t)(n ? n : 1), sizeof *staged);
    char **prev = calloc((size_t)(n ? n : 1), sizeof *prev);
    int *moved = calloc((size_t)(n ? n : 1), sizeof *moved); /* 1: the old file moved aside */
    int bad = !final || !staged || !prev || !moved;
    for (int i = 0; i < n && !bad; i++) {
        char pn[32];
        snprintf(pn, sizeof pn, ".prev-%d", i);
        bad = !(final[i] = path_join(s->dir, s->names[i])) ||
              !(staged[i] = path_join(s->tmp, s->names[i])) || !(prev[i] = path_join(s->tmp, pn));
    }
    if (bad) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", s->dir);
        goto out;
    }
    /* Every file complete on disk before the first one is moved. */
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (lstat(staged[i], &sb) != 0 || !S_ISREG(sb.st_mode) || sync_path(staged[i], 0) != 0) {
            st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", final[i],
                                 errno ? strerror(errno) : "not written");
            goto out;
        }
    }
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < n && !st; i++) {
        if ((st = out_target_check(final[i], err))) break;
        struct stat sb;
        if (lstat(final[i], &sb) == 0) {
            /* Keep the earlier file until the whole set is in place. */
            if (link(final[i], prev[i]) != 0) {
                if (rename(final[i], prev[i]) != 0) {
                    st = aniso_error_set(err, ANISO_IO, "%s: cannot replace: %s", final[i],
                                         strerror(errno));
                    break;
                }
                moved[i] = 1;
            } else {
                moved[i] = 2; /* linked: the old file stays in place until renamed over */
            }
        }
        if (rename(staged[i], final[i]) != 0) {
            st = aniso_error_set(err, ANISO_IO, "%s: cannot write: %s", final[i], strerror(errno));
            if (moved[i] == 1) rename(prev[i], final[i]);
            break;
        }
        done = i + 1;
    }
    if (st) {
        /* Back to what was there: the earlier files, or nothing. */
        for (int j = done - 1; j >= 0; j--) {
            if (moved[j])
                rename(prev[j], final[j]);
            else
                unlink(final[j]);
        }
    } else {
        sync_path(s->dir, 1);
    }
    pthread_mutex_unlock(&reg_lock);
out:
    for (int i = 0; i < n; i++) {
        if (final) free(final[i]);
        if (staged) free(staged[i]);
        if (prev) free(prev[i]);
    }
    free(final), free(staged), free(prev), free(moved);
    astage_abort(s); /* what is left: the earlier files' links, or the failed set */
    return st;
}

void astage_fail(astage *s, aniso_error *err)
{
    /* Messages name the files where they were to go, not the private folder. */
    size_t nt = s->tmp ? strlen(s->tmp) : 0, nd = s->dir ? strlen(s->dir) : 0;
    char *at = err && nt ? strstr(err->msg, s->tmp) : NULL;
    if (at && at[nt] == '/') {
        char rest[sizeof err->msg];
        snprintf(rest, sizeof rest, "%s", at + nt);
        size_t off = (size_t)(at - err->msg);
        snprintf(err->msg + off, sizeof err->msg - off, "%.*s%s", (int)nd, s->dir,
                 s->dir[nd - 1] == '/' ? rest + 1 : rest);
    }
    astage_abort(s);
}

void astage_abort(astage *s)
{
    if (s->tmp) remove_tree(s->tmp);
    tmp_unregister(s->slot);
    for (int i = 0; i < s->n; i++) free(s->names[i]);
    free(s->names);
    free(s->dir);
    free(s->tmp);
    memset(s, 0, sizeof *s);
    s->slot = -1;
}
