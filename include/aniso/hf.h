/* hf.h - Hugging Face model folders and the local hub cache.
 *
 * The cache is laid out as huggingface_hub writes it:
 *   CACHE/models--ORG--NAME/refs/REVISION   (a file holding a commit hash)
 *   CACHE/models--ORG--NAME/snapshots/COMMIT/...   (files, often symlinks to ../../blobs)
 * The caller chooses CACHE (the CLI applies the HF_HUB_CACHE / HF_HOME rules).
 */
#ifndef ANISO_HF_H
#define ANISO_HF_H

#include <stddef.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Resolves MODEL to a folder: an existing directory is returned as is;
 * otherwise MODEL is taken as a model id and looked up in cache_dir at
 * revision (NULL = "main"; a commit hash is used directly). On success *out
 * is a malloc'd path the caller frees. */
aniso_status aniso_hf_resolve(const char *model, const char *cache_dir, const char *revision,
                              char **out, aniso_error *err);

/* model.safetensors.index.json: which shard holds each tensor. */
typedef struct aniso_hf_index_entry {
    const char *tensor;
    const char *shard; /* a safe relative path (aniso_hf_safe_relpath) */
} aniso_hf_index_entry;

typedef struct aniso_hf_index {
    size_t n;
    aniso_hf_index_entry *entries; /* (n), in file order */
} aniso_hf_index;

/* Parses an index image: an object whose "weight_map" maps tensor names to
 * shard file names inside the model folder. name is used in messages. */
aniso_hf_index *aniso_hf_index_parse(const char *json, size_t len, const char *name,
                                     aniso_error *err);
void aniso_hf_index_free(aniso_hf_index *idx);

/* True when name is a safe relative file name inside a model folder: not
 * empty, not absolute, no "." or ".." component, no backslash. */
int aniso_hf_safe_relpath(const char *name);

#ifdef __cplusplus
}
#endif
#endif
