/* hub.h - downloading models from the Hugging Face Hub into the local hub
 * cache, laid out exactly as huggingface_hub lays it out, so that
 * transformers (with HF_HUB_OFFLINE=1) and aniso read one copy:
 *
 *   CACHE/models--ORG--NAME/blobs/ETAG          the files' bytes, named by
 *                                               their git blob id, or by
 *                                               their sha256 for LFS files
 *   CACHE/models--ORG--NAME/blobs/ETAG.incomplete   a transfer in progress
 *                                               (resumed with an HTTP range)
 *   CACHE/models--ORG--NAME/snapshots/COMMIT/FILE -> ../../blobs/ETAG
 *   CACHE/models--ORG--NAME/refs/REVISION       the commit, no newline
 *
 * Only the files aniso reads are fetched: config.json, tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json (those the repository
 * has), model.safetensors or model.safetensors.index.json and the shards it
 * names; or, in a repository of GGUF files, one GGUF file.
 *
 * Like the rest of the library this reads no environment: the caller
 * passes the cache folder, endpoint and token (the CLI applies
 * huggingface_hub's HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN and token-file
 * rules, and HF_HUB_OFFLINE). Transfers use libcurl, which honours the
 * usual proxy variables (https_proxy, no_proxy).
 */
#ifndef ANISO_HUB_H
#define ANISO_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One file's transfer, for a progress display. */
typedef struct aniso_hub_progress {
    const char *file; /* the repository file name ("model.safetensors") */
    int index, count; /* the file's place (0-based) among the count files wanted */
    uint64_t done;    /* bytes of the file now in the cache, resumed ones included */
    uint64_t total;   /* the file's size */
    uint64_t resumed; /* bytes that were already there when the transfer began */
    double seconds;   /* since the transfer began */
    int finished;     /* 1 on the file's last call */
} aniso_hub_progress;

typedef void (*aniso_hub_progress_fn)(const aniso_hub_progress *p, void *user);

typedef struct aniso_hub_opts {
    const char *cache_dir; /* the hub cache folder (required); created if missing */
    const char *endpoint;  /* NULL: https://huggingface.co (a trailing '/' is ignored) */
    const char *token;     /* a Hub access token, sent as "Authorization: Bearer"; NULL: none */
    const char *revision;  /* branch, tag or commit; NULL: "main" */
    /* One GGUF file of the repository to fetch instead of the
     * safetensors files (NULL: the safetensors files, or else the
     * repository's only GGUF file; several GGUF files and none chosen is
     * an error listing them). */
    const char *file;
    aniso_hub_progress_fn progress; /* called as bytes arrive; may be NULL */
    void *progress_user;
    int retries; /* further attempts of a transfer that broke off after making progress,
                    each resuming with a range (default 0 means 3; -1 means none) */
} aniso_hub_opts;

/* What aniso_hub_fetch put in (or found in) the cache. */
typedef struct aniso_hub_snapshot {
    char *repo_dir;      /* CACHE/models--ORG--NAME */
    char *dir;           /* CACHE/models--ORG--NAME/snapshots/COMMIT */
    char *commit;        /* the 40-hex commit the revision resolved to */
    char *model;         /* what to open: dir, or the GGUF file in it */
    size_t n_files;      /* files aniso needs, now all in dir */
    size_t n_downloaded; /* of them, transferred now (the others were cached) */
    uint64_t bytes;      /* bytes transferred now */
} aniso_hub_snapshot;

/* Fetches model_id ("ORG/NAME") at opts->revision into opts->cache_dir:
 * asks the Hub API (ENDPOINT/api/models/ID/revision/REV) for the commit and
 * the file list, then, for each file aniso needs that the snapshot lacks,
 * reads its ETag, X-Linked-Etag, X-Linked-Size and X-Repo-Commit from a HEAD
 * request to ENDPOINT/ID/resolve/COMMIT/FILE (following relative redirects
 * only, as huggingface_hub does) and downloads it from there or from the
 * redirect's target (a CDN), into blobs/ETAG.incomplete, resuming what an
 * earlier attempt left there. A blob is renamed into place only once its
 * size and, for LFS files (a sha256 ETag), its sha256 match. The snapshot's
 * links and refs/REVISION are written only when every file is in blobs/, so
 * that a failure never leaves a partial snapshot (.incomplete files stay,
 * to be resumed). A file already linked in the snapshot is not fetched
 * again, and a blob already present is linked without a transfer.
 * Errors: ANISO_NOT_FOUND (no such model, revision or file on the Hub),
 * ANISO_INVALID_ARGUMENT (a bad id or option, or access refused: HTTP 401 or
 * 403, for a gated or private model, the message saying what to do),
 * ANISO_IO (network, HTTP or disk errors, a size or checksum mismatch),
 * ANISO_UNSUPPORTED (a repository with neither safetensors weights nor a
 * GGUF file). The caller frees the result with aniso_hub_snapshot_free. */
aniso_hub_snapshot *aniso_hub_fetch(const char *model_id, const aniso_hub_opts *opts,
                                    aniso_error *err);
void aniso_hub_snapshot_free(aniso_hub_snapshot *s);

/* The GGUF file to open in a cached snapshot folder that holds GGUF files
 * and no config.json: *out is the malloc'd path of its only GGUF file
 * (NULL when the folder has config.json or no GGUF file, which is not an
 * error). Several GGUF files are an error listing them. */
aniso_status aniso_hub_snapshot_gguf(const char *snapshot_dir, char **out, aniso_error *err);

/* Whether the cached snapshot folder holds what aniso needs to open the
 * model: config.json and model.safetensors, or model.safetensors.index.json
 * and every shard it names; or a GGUF file. 1 or 0. */
int aniso_hub_snapshot_complete(const char *snapshot_dir);

#ifdef __cplusplus
}
#endif
#endif
