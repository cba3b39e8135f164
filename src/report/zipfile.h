/* zipfile.h - the results bundle. */
#ifndef ANISO_ZIPFILE_H
#define ANISO_ZIPFILE_H

#include "aniso/error.h"

/* Writes a ZIP archive at path holding the n files (stored under their base
 * names). */
aniso_status zip_bundle(const char *path, const char *const *files, int n, aniso_error *err);

#endif
