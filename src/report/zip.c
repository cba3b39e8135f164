/* zip.c - the results bundle (libzip; the one file that includes it),
 * written under a temporary name and renamed into place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/base.h"
#include "report/zipfile.h"

aniso_status zip_bundle(const char *path, const char *const *files, int n, aniso_error *err)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    snprintf(tmp, len + 16, "%s.tmp.zip", path);
    int ze = 0;
    zip_t *z = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    aniso_status st = ANISO_OK;
    if (!z) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot create the archive", path);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        zip_source_t *src = zip_source_file(z, files[i], 0, -1);
        if (!src || zip_file_add(z, base, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
            if (src) zip_source_free(src);
            st = aniso_error_set(err, ANISO_IO, "%s: cannot add %s: %s", path, files[i],
                                 zip_strerror(z));
            zip_discard(z);
            remove(tmp);
            goto out;
        }
    }
    if (zip_close(z) < 0) {
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write the archive: %s", path,
                             zip_strerror(z));
        zip_discard(z);
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        st = aniso_error_set(err, ANISO_IO, "%s: cannot write the archive", path);
    }
out:
    free(tmp);
    return st;
}
