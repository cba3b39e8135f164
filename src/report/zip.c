/* zip.c - the results bundle (libzip; the one file that includes it). It is
 * written into a result set's private folder (base/stage.c), as a new file:
 * libzip writes a temporary file beside it and renames it at zip_close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/base.h"
#include "report/zipfile.h"

aniso_status zip_bundle(const char *path, const char *const *files, int n, aniso_error *err)
{
    int ze = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &ze);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, ze);
        aniso_status st = aniso_error_set(err, ANISO_IO, "%s: cannot create the archive: %s", path,
                                          zip_error_strerror(&e));
        zip_error_fini(&e);
        return st;
    }
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        zip_source_t *src = zip_source_file(z, files[i], 0, -1);
        if (!src || zip_file_add(z, base, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
            if (src) zip_source_free(src);
            aniso_status st = aniso_error_set(err, ANISO_IO, "%s: cannot add %s: %s", path,
                                              files[i], zip_strerror(z));
            zip_discard(z);
            return st;
        }
    }
    if (zip_close(z) < 0) {
        aniso_status st = aniso_error_set(err, ANISO_IO, "%s: cannot write the archive: %s", path,
                                          zip_strerror(z));
        zip_discard(z);
        remove(path);
        return st;
    }
    return ANISO_OK;
}
