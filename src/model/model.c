/* model.c - open a Hugging Face model folder: config, weight files, and a
 * checked table of every weight the architecture uses.
 *
 * Weight files are memory-mapped (nothing is read whole). With shards, only
 * tensors listed in model.safetensors.index.json are visible, each in the
 * shard the index names, as transformers loads them. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/gguf.h"
#include "aniso/hf.h"
#include "aniso/model.h"
#include "base/base.h"
#include "model/arch.h"

#define CONFIG_LIMIT (16u << 20)
#define INDEX_LIMIT  (64u << 20)

/* A visible tensor: a name and the shard that holds it. */
typedef struct entry {
    const char *name; /* borrowed from the shard's tensor */
    const aniso_tensor *t;
    const aniso_st *file;
} entry;

/* What the forward pass's value checks need of a bound weight. */
typedef struct weight_meta {
    const char *file;   /* the file that holds it (borrowed), for messages */
    uint64_t first;     /* its view's first element in the file's tensor (see model_weight_first) */
    atomic_int checked; /* 1 once every value has been found finite */
} weight_meta;

struct aniso_model {
    char *dir;
    aniso_hparams hp;
    aniso_st **files;   /* (n_files) */
    char **shard_names; /* (n_files) names from the index, borrowed from files' paths */
    int n_files;
    entry *entries; /* (n_entries) sorted by name */
    size_t n_entries;
    aniso_tensor *w;          /* (ANISO_ROLE_COUNT * n_layer), [role * n_layer + layer] */
    unsigned char *has;       /* (same) 1 where the weight is bound */
    weight_meta *meta;        /* (same) */
    aniso_gguf *gguf;         /* a GGUF file's model, else NULL */
    const char *weights_file; /* the single file or the index, for messages */
    char *index_path;
    aniso_model_stats stats;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static const entry *find_entry(const aniso_model *m, const char *name)
{
    entry key = {.name = name};
    return bsearch(&key, m->entries, m->n_entries, sizeof *m->entries, cmp_entry);
}

static aniso_status add_file(aniso_model *m, const char *path, aniso_st **out, aniso_error *err)
{
    aniso_st **f = realloc(m->files, (size_t)(m->n_files + 1) * sizeof *f);
    if (!f) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    m->files = f;
    aniso_st *st = aniso_st_open(path, err);
    if (!st) return err ? err->code : ANISO_IO;
    m->files[m->n_files++] = st;
    *out = st;
    return ANISO_OK;
}

static aniso_status load_single(aniso_model *m, const char *path, aniso_error *err)
{
    aniso_st *st = NULL;
    aniso_status rc = add_file(m, path, &st, err);
    if (rc) return rc;
    m->weights_file = aniso_st_path(st);
    m->n_entries = aniso_st_count(st);
    m->entries = calloc(m->n_entries ? m->n_entries : 1, sizeof *m->entries);
    if (!m->entries) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < m->n_entries; i++) {
        const aniso_tensor *t = aniso_st_at(st, i);
        m->entries[i] = (entry){t->name, t, st};
    }
    return ANISO_OK; /* already in name order */
}

/* The shard called name, opening it on first use. */
static aniso_status get_shard(aniso_model *m, const char *index_path, const char *name,
                              aniso_st **out, aniso_error *err)
{
    for (int i = 0; i < m->n_files; i++)
        if (strcmp(m->shard_names[i], name) == 0) {
            *out = m->files[i];
            return ANISO_OK;
        }
    char **names = realloc(m->shard_names, (size_t)(m->n_files + 1) * sizeof *names);
    if (!names) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", index_path);
    m->shard_names = names;
    char *path = path_join(m->dir, name);
    if (!path) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", index_path);
    aniso_status rc;
    if (!path_exists(path))
        rc = aniso_error_set(err, ANISO_NOT_FOUND, "%s: shard '%s' not found (%s)", index_path,
                             name, path);
    else if ((rc = add_file(m, path, out, err)) == ANISO_OK)
        m->shard_names[m->n_files - 1] = (char *)aniso_st_path(*out) + strlen(path) - strlen(name);
    free(path);
    return rc;
}

static aniso_status load_sharded(aniso_model *m, const char *index_path, aniso_error *err)
{
    char *buf = NULL;
    size_t len;
    aniso_hf_index *idx = NULL;
    aniso_status rc = read_small_file(index_path, INDEX_LIMIT, &buf, &len, err);
    if (rc) return rc;
    m->weights_file = index_path;
    if (!(idx = aniso_hf_index_parse(buf, len, index_path, err))) {
        rc = err ? err->code : ANISO_FORMAT;
        goto out;
    }
    m->entries = calloc(idx->n ? idx->n : 1, sizeof *m->entries);
    if (!m->entries) {
        rc = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", index_path);
        goto out;
    }
    for (size_t i = 0; i < idx->n; i++) {
        const aniso_hf_index_entry *e = &idx->entries[i];
        aniso_st *st = NULL;
        if ((rc = get_shard(m, index_path, e->shard, &st, err))) goto out;
        const aniso_tensor *t = aniso_st_find(st, e->tensor);
        if (!t) {
            rc = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: tensor '%s' is listed in shard '%s', which does not hold it",
                                 index_path, e->tensor, e->shard);
            goto out;
        }
        m->entries[m->n_entries++] = (entry){t->name, t, st};
    }
    qsort(m->entries, m->n_entries, sizeof *m->entries, cmp_entry);
out:
    aniso_hf_index_free(idx);
    free(buf);
    return rc;
}

/* Undoes what llama.cpp's converter changed (docs/GGUF.md section 4): Gemma norm
 * weights stored with +1, Llama q/k rows permuted for adjacent-pair RoPE,
 * GPT-NeoX's fused QKV regrouped as [all q; all k; all v]. */
static void gguf_fixup(aniso_tensor *t, aniso_role role, const aniso_hparams *hp)
{
    int gemma = aniso_arch_norm(hp->arch) == ANISO_NORM_RMS_GEMMA;
    switch (role) {
    case ANISO_ROLE_ATTN_NORM:
    case ANISO_ROLE_ATTN_POST_NORM:
    case ANISO_ROLE_FFN_NORM:
    case ANISO_ROLE_FFN_POST_NORM:
    case ANISO_ROLE_ATTN_Q_NORM:
    case ANISO_ROLE_ATTN_K_NORM:
    case ANISO_ROLE_OUT_NORM:
        if (gemma) t->shift = -1.0f;
        break;
    case ANISO_ROLE_ATTN_Q:
    case ANISO_ROLE_ATTN_Q_B:
    case ANISO_ROLE_ATTN_K:
    case ANISO_ROLE_ATTN_K_B:
        if (arch_get(hp->arch)->gguf_qk_permuted) {
            t->row_map = ANISO_ROWS_LLAMA_QK;
            t->map_dim = hp->d_head;
            t->map_heads = role == ANISO_ROLE_ATTN_Q || role == ANISO_ROLE_ATTN_Q_B ? hp->n_head
                                                                                    : hp->n_head_kv;
        }
        break;
    case ANISO_ROLE_ATTN_QKV:
    case ANISO_ROLE_ATTN_QKV_B:
        t->row_map = ANISO_ROWS_NEOX_QKV;
        t->map_dim = hp->d_head;
        t->map_heads = hp->n_head;
        break;
    default:
        break;
    }
}

/* The first row and the row count of part of a fused tensor's rows (out
 * features). */
static void part_rows(fused_part pt, const aniso_hparams *hp, int64_t *first, int64_t *n)
{
    int64_t q = (int64_t)hp->n_head * hp->d_head, kv = (int64_t)hp->n_head_kv * hp->d_head;
    switch (pt) {
    case PART_Q:
        *first = 0, *n = q;
        break;
    case PART_K:
        *first = q, *n = kv;
        break;
    case PART_V:
        *first = q + kv, *n = kv;
        break;
    case PART_GATE:
        *first = 0, *n = hp->d_ff;
        break;
    case PART_UP:
        *first = hp->d_ff, *n = hp->d_ff;
        break;
    default:
        *first = 0, *n = -1;
        break;
    }
}

/* Narrows t (a fused tensor, bound as the model holds it: (out, in) or a
 * vector) to the rows of part pt. Whole rows of a block quantization are
 * whole blocks, so a view of rows is a view of bytes. */
static int narrow(aniso_tensor *t, fused_part pt, const aniso_hparams *hp, uint64_t *first_elem)
{
    int64_t first, n;
    part_rows(pt, hp, &first, &n);
    if (n < 0) return 0;
    size_t be, bb;
    aniso_dtype_block(t->dtype, &be, &bb);
    int64_t row_len = t->n_dims == 2 ? t->shape[1] : 1;
    if (be < 1 || row_len % (int64_t)be) return -1;
    if (t->row_map == ANISO_ROWS_CONV1D) {
        /* columns of the stored (in, out) matrix: the view starts at column first */
        t->data = (const unsigned char *)t->data + (size_t)first * aniso_dtype_size(t->dtype);
        *first_elem = (uint64_t)first;
    } else {
        size_t row_bytes = (size_t)row_len / be * bb;
        t->data = (const unsigned char *)t->data + (size_t)first * row_bytes;
        *first_elem = (uint64_t)first * (uint64_t)row_len;
    }
    t->shape[0] = n;
    t->n_elem = (uint64_t)n * (uint64_t)row_len;
    t->nbytes = (size_t)t->n_elem / be * bb;
    return 0;
}

/* The visible tensor called name, or (for a name under the family's base
 * prefix) the same name without it, as the bare base model's checkpoints
 * store it. */
static const entry *find_weight(const aniso_model *m, const char *name)
{
    const entry *e = find_entry(m, name);
    const char *pre = arch_get(m->hp.arch)->prefix;
    size_t n = pre ? strlen(pre) : 0;
    if (!e && !m->gguf && n && !strncmp(name, pre, n)) e = find_entry(m, name + n);
    return e;
}

static aniso_status check_weight(aniso_model *m, const weight_spec *w, int layer, aniso_error *err)
{
    const aniso_hparams *hp = &m->hp;
    char name[256];
    const char *tmpl = m->gguf ? w->gguf : w->name;
    if (!tmpl) return ANISO_OK;
    snprintf(name, sizeof name, tmpl, layer);
    const entry *e = find_weight(m, name);
    int used = weight_used(w, hp);
    if (!e) {
        if (!used || w->need == NEED_UNTIED) return ANISO_OK;
        return aniso_error_set(err, ANISO_FORMAT, "%s: missing tensor '%s' (needed by %s)",
                               m->weights_file, name, aniso_arch_model_type(hp->arch));
    }
    if (!used) return ANISO_OK;
    const aniso_tensor *t = e->t;
    const char *file = e->file ? aniso_st_path(e->file) : m->weights_file;
    int quantized = t->dtype >= ANISO_DTYPE_Q4_0;
    if (t->dtype != ANISO_DTYPE_F32 && t->dtype != ANISO_DTYPE_F16 &&
        t->dtype != ANISO_DTYPE_BF16 && !(quantized && m->gguf))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: tensor '%s' has dtype %s; weights must be F32, F16 or BF16%s",
                               file, name, aniso_dtype_name(t->dtype),
                               m->gguf ? " or a supported block quantization" : "");
    int64_t want[2];
    int nd = w->shape[1] == DIM_NONE ? 1 : 2;
    int conv1d = nd == 2 && w->layout == LAYOUT_CONV1D && !m->gguf;
    for (int i = 0; i < nd; i++) want[i] = dim_value(w->shape[conv1d ? 1 - i : i], hp);
    int ok = t->n_dims == nd;
    for (int i = 0; ok && i < nd; i++) ok = t->shape[i] == want[i];
    if (!ok) {
        char a[160], b[64];
        return aniso_error_set(err, ANISO_FORMAT, "%s: tensor '%s' has shape %s, expected %s", file,
                               name, shape_str(a, sizeof a, t->shape, t->n_dims),
                               shape_str(b, sizeof b, want, nd));
    }
    size_t slot = (size_t)w->role * (size_t)hp->n_layer + (size_t)layer;
    aniso_tensor *b = &m->w[slot];
    *b = *t;
    if (conv1d) {
        /* bound as (out, in); rows_f32 reads the columns of the stored matrix */
        b->shape[0] = want[1];
        b->shape[1] = want[0];
        b->row_map = ANISO_ROWS_CONV1D;
        b->map_dim = (int)want[1]; /* the stored row length (all out features) */
    }
    if (m->gguf) gguf_fixup(b, w->role, hp);
    weight_meta *wm = &m->meta[slot];
    wm->file = file;
    wm->first = 0;
    atomic_init(&wm->checked, 0);
    if (w->part != PART_WHOLE && narrow(b, w->part, hp, &wm->first))
        return aniso_error_set(err, ANISO_UNSUPPORTED,
                               "%s: tensor '%s' (%s) cannot be split into its fused parts: its "
                               "rows are not whole blocks",
                               file, name, aniso_dtype_name(t->dtype));
    m->has[slot] = 1;
    /* a fused tensor is counted once, with its first part */
    if (w->part == PART_WHOLE || w->part == PART_Q || w->part == PART_GATE) {
        m->stats.n_params += t->n_elem;
        m->stats.n_bytes += t->nbytes;
        m->stats.n_tensors++;
        m->stats.params_by_dtype[t->dtype] += t->n_elem;
    }
    return ANISO_OK;
}

static aniso_status bind_weights(aniso_model *m, aniso_error *err)
{
    const arch_desc *a = arch_get(m->hp.arch);
    m->w = calloc((size_t)ANISO_ROLE_COUNT * (size_t)m->hp.n_layer, sizeof *m->w);
    m->has = calloc((size_t)ANISO_ROLE_COUNT * (size_t)m->hp.n_layer, 1);
    m->meta = calloc((size_t)ANISO_ROLE_COUNT * (size_t)m->hp.n_layer, sizeof *m->meta);
    if (!m->w || !m->has || !m->meta)
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", m->dir);
    for (size_t i = 0; i < a->n_weights; i++) {
        const weight_spec *w = &a->weights[i];
        int nl = role_per_layer(w->role) ? m->hp.n_layer : 1;
        for (int l = 0; l < nl; l++) {
            aniso_status rc = check_weight(m, w, l, err);
            if (rc) return rc;
        }
    }
    m->stats.n_ignored = m->n_entries - m->stats.n_tensors;
    m->stats.n_files = m->n_files;
    return ANISO_OK;
}

static aniso_status open_gguf(aniso_model *m, const char *path, aniso_error *err)
{
    if (!(m->dir = str_dup(path)))
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    if (!(m->gguf = aniso_gguf_open(path, err))) return err ? err->code : ANISO_FORMAT;
    m->weights_file = aniso_gguf_path(m->gguf);
    aniso_status st = hparams_from_gguf(m->gguf, &m->hp, err);
    if (st) return st;
    size_t n = aniso_gguf_tensor_count(m->gguf);
    m->entries = calloc(n ? n : 1, sizeof *m->entries);
    if (!m->entries) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        const aniso_tensor *t = aniso_gguf_tensor_at(m->gguf, i);
        m->entries[m->n_entries++] = (entry){t->name, t, NULL};
    }
    qsort(m->entries, m->n_entries, sizeof *m->entries, cmp_entry);
    m->n_files = 0;
    if ((st = bind_weights(m, err))) return st;
    m->stats.n_files = 1;
    return ANISO_OK;
}

aniso_model *aniso_model_open(const char *model, const aniso_open_opts *opts, aniso_error *err)
{
    aniso_model *m = calloc(1, sizeof *m);
    char *cfg_path = NULL, *cfg = NULL, *single = NULL;
    size_t cfg_len;
    if (!m) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model);
        return NULL;
    }
    if (is_file(model) && aniso_gguf_is_file(model)) {
        if (open_gguf(m, model, err)) goto fail;
        return m;
    }
    if (aniso_hf_resolve(model, opts ? opts->cache_dir : NULL, opts ? opts->revision : NULL,
                         &m->dir, err))
        goto fail;
    cfg_path = path_join(m->dir, "config.json");
    single = path_join(m->dir, "model.safetensors");
    m->index_path = path_join(m->dir, "model.safetensors.index.json");
    if (!cfg_path || !single || !m->index_path) {
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model);
        goto fail;
    }
    if (!path_exists(cfg_path)) {
        aniso_error_set(err, ANISO_NOT_FOUND, "%s: not found (not a Hugging Face model folder)",
                        cfg_path);
        goto fail;
    }
    if (read_small_file(cfg_path, CONFIG_LIMIT, &cfg, &cfg_len, err)) goto fail;
    if (aniso_hparams_parse(cfg, cfg_len, cfg_path, opts ? &opts->config : NULL, &m->hp, err))
        goto fail;
    if (path_exists(single)) {
        if (load_single(m, single, err)) goto fail;
    } else if (path_exists(m->index_path)) {
        if (load_sharded(m, m->index_path, err)) goto fail;
    } else {
        aniso_error_set(err, ANISO_NOT_FOUND,
                        "%s: no weights (neither model.safetensors nor "
                        "model.safetensors.index.json)",
                        m->dir);
        goto fail;
    }
    if (bind_weights(m, err)) goto fail;
    free(cfg_path);
    free(cfg);
    free(single);
    return m;
fail:
    free(cfg_path);
    free(cfg);
    free(single);
    aniso_model_free(m);
    return NULL;
}

void aniso_model_free(aniso_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_files; i++) aniso_st_free(m->files[i]);
    free(m->files);
    free(m->shard_names);
    free(m->entries);
    free(m->w);
    free(m->has);
    free(m->meta);
    aniso_gguf_free(m->gguf);
    free(m->index_path);
    free(m->dir);
    free(m);
}

const aniso_hparams *aniso_model_hparams(const aniso_model *m)
{
    return &m->hp;
}

const char *aniso_model_dir(const aniso_model *m)
{
    return m->dir;
}

void aniso_model_stats_get(const aniso_model *m, aniso_model_stats *out)
{
    *out = m->stats;
}

/* The slot of a bound weight, or -1. */
static long weight_slot(const aniso_model *m, aniso_role role, int layer)
{
    if ((unsigned)role >= ANISO_ROLE_COUNT) return -1;
    if (!role_per_layer(role)) layer = 0;
    if (layer < 0 || layer >= m->hp.n_layer) return -1;
    size_t slot = (size_t)role * (size_t)m->hp.n_layer + (size_t)layer;
    return m->has[slot] ? (long)slot : -1;
}

const aniso_tensor *aniso_model_weight(const aniso_model *m, aniso_role role, int layer)
{
    long slot = weight_slot(m, role, layer);
    return slot < 0 ? NULL : &m->w[slot];
}

const char *model_weight_file(const aniso_model *m, aniso_role role, int layer)
{
    long slot = weight_slot(m, role, layer);
    return slot < 0 ? m->weights_file : m->meta[slot].file;
}

uint64_t model_weight_first(const aniso_model *m, aniso_role role, int layer)
{
    long slot = weight_slot(m, role, layer);
    return slot < 0 ? 0 : m->meta[slot].first;
}

int model_weight_checked(const aniso_model *m, aniso_role role, int layer)
{
    long slot = weight_slot(m, role, layer);
    return slot < 0 || atomic_load_explicit(&m->meta[slot].checked, memory_order_acquire);
}

void model_weight_set_checked(const aniso_model *m, aniso_role role, int layer)
{
    long slot = weight_slot(m, role, layer);
    if (slot >= 0) atomic_store_explicit(&m->meta[slot].checked, 1, memory_order_release);
}
