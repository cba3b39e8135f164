/* partial.h - partial results: a profile's per-layer moments with what they
 * were measured on, as a checkpoint file.
 *
 * File layout (native byte order, recorded):
 *   "ANISOPR\0"            8 bytes
 *   version                uint32 (2)
 *   byte-order mark        uint32 0x01020304
 *   metadata length        uint64, then the metadata: one JSON object
 *   n_layers_measured      uint32, then each layer's moments (moments.h)
 *   CRC-32 (zlib)          uint32 of every byte before it
 * Written under a temporary name and renamed, so that a checkpoint is
 * always either the previous one or the new one. */
#ifndef ANISO_PARTIAL_H
#define ANISO_PARTIAL_H

#include "aniso/pipeline.h"
#include "io/json.h"

typedef struct partial {
    aj *meta; /* owned */
    int n;
    aniso_moments **m; /* (n), owned */
} partial;

aniso_status partial_write(const char *path, const aj *meta, aniso_moments *const *m, int n,
                           aniso_error *err);
aniso_status partial_read(const char *path, partial *out, aniso_error *err);
/* Only the metadata (out->n is 0); partial_read checks the rest. */
aniso_status partial_read_meta(const char *path, partial *out, aniso_error *err);
void partial_free(partial *p);

/* Checks that b's metadata key k equals a's (as JSON); the message names
 * both files and the key. */
aniso_status partial_same(const char *pa, const aj *a, const char *pb, const aj *b, const char *k,
                          aniso_error *err);

#endif
