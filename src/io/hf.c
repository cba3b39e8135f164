/* hf.c - Hugging Face model folders and hub-cache lookup (see hf.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aniso/hf.h"
#include "base/base.h"
#include "io/json.h"

int aniso_hf_safe_relpath(const char *name)
{
    if (!name || !*name || name[0] == '/' || strchr(name, '\\')) return 0;
    const char *p = name;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0) return 0; /* "a//b" or a trailing slash */
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        if (!slash) return 1;
        p = slash + 1;
    }
}

/* ORG/NAME or NAME, each part of [A-Za-z0-9._-], as the hub allows. */
static int looks_like_model_id(const char *s)
{
    int parts = 1;
    size_t len = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '/') {
            if (len == 0 || ++parts > 2) return 0;
            len = 0;
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-') return 0;
        len++;
    }
    return len > 0 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strstr(s, "..") == NULL;
}

static int is_commit_hash(const char *s)
{
    size_t n = strlen(s);
    if (n != 40) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

aniso_status aniso_hf_resolve(const char *model, const char *cache_dir, const char *revision,
                              char **out, aniso_error *err)
{
    *out = NULL;
    if (is_dir(model)) {
        *out = str_dup(model);
        return *out ? ANISO_OK : aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model);
    }
    if (is_file(model))
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "%s: is a file, expected a model folder or a model id", model);
    struct stat sb;
    if (lstat(model, &sb) == 0 && !S_ISLNK(sb.st_mode))
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "%s: is %s, expected a model folder or a model id", model,
                               file_kind(sb.st_mode));
    if (!looks_like_model_id(model))
        return aniso_error_set(err, ANISO_NOT_FOUND, "%s: no such folder", model);
    if (!cache_dir)
        return aniso_error_set(err, ANISO_NOT_FOUND,
                               "%s: no such folder, and no Hugging Face cache to look in", model);
    const char *rev = revision ? revision : "main";
    if (!aniso_hf_safe_relpath(rev))
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: invalid revision '%s'", model,
                               rev);

    aniso_status st = ANISO_OK;
    char *repo_name = NULL, *repo = NULL, *refs = NULL, *ref = NULL, *commit = NULL, *snaps = NULL,
         *snap = NULL;
    size_t n = strlen(model);
    repo_name = malloc(8 + 2 * n + 1);
    if (!repo_name) goto nomem;
    strcpy(repo_name, "models--");
    for (const char *p = model; *p; p++) {
        if (*p == '/')
            strcat(repo_name, "--");
        else
            strncat(repo_name, p, 1);
    }
    repo = path_join(cache_dir, repo_name);
    if (!repo) goto nomem;
    if (!is_dir(repo)) {
        st = aniso_error_set(err, ANISO_NOT_FOUND,
                             "%s: no such folder, and not in the Hugging Face cache (%s not found)",
                             model, repo);
        goto out;
    }
    refs = path_join(repo, "refs");
    ref = refs ? path_join(refs, rev) : NULL;
    if (!ref) goto nomem;
    if (is_file(ref)) {
        size_t len;
        if ((st = read_small_file(ref, 4096, &commit, &len, err)) != ANISO_OK) goto out;
        while (len > 0 && isspace((unsigned char)commit[len - 1])) commit[--len] = '\0';
        if (!aniso_hf_safe_relpath(commit) || strchr(commit, '/')) {
            st = aniso_error_set(err, ANISO_FORMAT, "%s: does not hold a commit hash", ref);
            goto out;
        }
    } else if (is_commit_hash(rev)) {
        commit = str_dup(rev);
        if (!commit) goto nomem;
    } else {
        st = aniso_error_set(err, ANISO_NOT_FOUND,
                             "%s: revision '%s' is not in the Hugging Face cache (%s not found)",
                             model, rev, ref);
        goto out;
    }
    snaps = path_join(repo, "snapshots");
    snap = snaps ? path_join(snaps, commit) : NULL;
    if (!snap) goto nomem;
    if (!is_dir(snap)) {
        st = aniso_error_set(err, ANISO_NOT_FOUND,
                             "%s: no snapshot for revision '%s' in the Hugging Face cache (%s not "
                             "found)",
                             model, rev, snap);
        goto out;
    }
    *out = snap;
    snap = NULL;
    goto out;
nomem:
    st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model);
out:
    free(repo_name);
    free(repo);
    free(refs);
    free(ref);
    free(commit);
    free(snaps);
    free(snap);
    return st;
}

void aniso_hf_index_free(aniso_hf_index *idx)
{
    if (!idx) return;
    for (size_t i = 0; i < idx->n; i++) {
        free((char *)idx->entries[i].tensor);
        free((char *)idx->entries[i].shard);
    }
    free(idx->entries);
    free(idx);
}

aniso_hf_index *aniso_hf_index_parse(const char *json, size_t len, const char *name,
                                     aniso_error *err)
{
    aniso_hf_index *idx = NULL;
    aj *root = aj_parse(json, len, name, err);
    if (!root) return NULL;
    aj *map = aj_get(root, "weight_map");
    if (!aj_is_object(map)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: %s", name,
                        aj_is_object(root) ? "missing 'weight_map' object"
                                           : "expected a JSON object with 'weight_map'");
        goto fail;
    }
    idx = calloc(1, sizeof *idx);
    if (!idx || !(idx->entries = calloc(aj_size(map) ? aj_size(map) : 1, sizeof *idx->entries)))
        goto nomem;
    for (void *it = aj_iter(map); it; it = aj_iter_next(map, it)) {
        const char *tensor = aj_iter_key(it), *shard = aj_str(aj_iter_value(it));
        if (!shard) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: weight_map entry '%s' must be a file name string", name, tensor);
            goto fail;
        }
        if (!aniso_hf_safe_relpath(shard)) {
            aniso_error_set(err, ANISO_FORMAT,
                            "%s: shard '%s' (for tensor '%s') is outside the model folder", name,
                            shard, tensor);
            goto fail;
        }
        aniso_hf_index_entry *e = &idx->entries[idx->n];
        e->tensor = str_dup(tensor);
        e->shard = str_dup(shard);
        idx->n++;
        if (!e->tensor || !e->shard) goto nomem;
    }
    aj_free(root);
    return idx;
nomem:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", name);
fail:
    aj_free(root);
    aniso_hf_index_free(idx);
    return NULL;
}
