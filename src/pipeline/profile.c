/* profile.c - the profile pipeline (pipeline.h): sequences from prompts or
 * corpus windows, chunks through the forward plan, masked rows into
 * per-layer moments, checkpoints, merges of partial results, and the
 * report. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aniso/aniso.h"
#include "aniso/pipeline.h"
#include "analysis/analysis_int.h"
#include "base/base.h"
#include "base/hash.h"
#include "base/mem.h"
#include "io/json.h"
#include "model/forward_int.h"
#include "pipeline/controls.h"
#include "pipeline/partial.h"

#define DEFAULT_CONTEXT 512
#define ERRCODE(e)      ((e) && (e)->code ? (e)->code : ANISO_INVALID_ARGUMENT)
#define DEFAULT_CHUNK   4096

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- Masks and layer lists ---- */

static int parse_long(const char *s, const char *end, long *out)
{
    if (s == end) return -1;
    long v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9' || v > 100000000L) return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int aniso_mask_parse_positions(const char *s, long *from, long *to)
{
    const char *colon = strchr(s, ':');
    if (!colon || strchr(colon + 1, ':')) return -1;
    *from = 0;
    *to = 0;
    if (colon > s && parse_long(s, colon, from)) return -1;
    if (colon[1] && parse_long(colon + 1, colon + strlen(colon), to)) return -1;
    return colon[1] && *to <= *from ? -1 : 0;
}

int aniso_layers_parse(const char *s, int n_hidden, unsigned char *flags)
{
    memset(flags, 0, (size_t)n_hidden);
    const char *p = s;
    int any = 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *dash = memchr(p, '-', n);
        long a, b;
        if (dash ? parse_long(p, dash, &a) || parse_long(dash + 1, p + n, &b)
                 : parse_long(p, p + n, &a))
            return -1;
        if (!dash) b = a;
        if (a > b || b >= n_hidden) return -1;
        for (long i = a; i <= b; i++) flags[i] = 1;
        any = 1;
        p += n;
        if (*p == ',') p++;
    }
    return any ? 0 : -1;
}

/* ---- Fingerprints: what makes two partial results parts of one profile ---- */

/* The hyper-parameters, and each weight's type, shape and three samples of
 * its bytes (start, middle, end): two checkpoints of one architecture with
 * different weights differ. */
static uint64_t model_fingerprint(const aniso_model *m)
{
    const aniso_hparams *hp = aniso_model_hparams(m);
    /* The fields the forward pass reads, one by one (not the struct's bytes:
     * its padding and bookkeeping strings would make equal models differ). */
    int ints[] = {(int)hp->arch,      hp->n_layer,
                  hp->d_model,        hp->n_head,
                  hp->n_head_kv,      hp->d_head,
                  hp->d_ff,           hp->n_vocab,
                  hp->attn_bias,      hp->mlp_bias,
                  (int)hp->act,       hp->n_rot,
                  hp->sliding_window, hp->parallel_residual,
                  hp->n_pos,          hp->attn_scale_by_layer};
    double reals[] = {hp->norm_eps, hp->attn_scale, hp->softcap, hp->embd_scale};
    uint64_t h = fnv1a64(FNV1A64_START, ints, sizeof ints);
    h = fnv1a64(h, reals, sizeof reals);
    const aniso_rope *ropes[] = {&hp->rope, &hp->rope_local};
    for (int i = 0; i < 2; i++) {
        const aniso_rope *rp = ropes[i];
        double rv[] = {rp->theta,
                       (double)rp->type,
                       rp->factor,
                       rp->low_freq_factor,
                       rp->high_freq_factor,
                       rp->original_max_pos,
                       rp->attention_factor,
                       rp->beta_fast,
                       rp->beta_slow,
                       (double)rp->truncate,
                       (double)rp->n_factors};
        h = fnv1a64(h, rv, sizeof rv);
        if (rp->n_factors > 0) {
            h = fnv1a64(h, rp->short_factor, (size_t)rp->n_factors * sizeof(float));
            h = fnv1a64(h, rp->long_factor, (size_t)rp->n_factors * sizeof(float));
        }
    }
    h = fnv1a64(h, hp->sliding, (size_t)hp->n_layer);
    for (int r = 0; r < ANISO_ROLE_COUNT; r++)
        for (int l = 0; l < hp->n_layer; l++) {
            const aniso_tensor *t = aniso_model_weight(m, (aniso_role)r, l);
            if (!t) continue;
            h = fnv1a64(h, &t->dtype, sizeof t->dtype);
            h = fnv1a64(h, t->shape, sizeof t->shape);
            h = fnv1a64(h, &t->nbytes, sizeof t->nbytes);
            size_t k = t->nbytes < 4096 ? (size_t)t->nbytes : 4096;
            const unsigned char *d = t->data;
            h = fnv1a64(h, d, k);
            h = fnv1a64(h, d + (t->nbytes - k) / 2, k);
            h = fnv1a64(h, d + t->nbytes - k, k);
        }
    return h;
}

static aniso_status tokenizer_fingerprint(aniso_tokenizer *tk, uint64_t *out, aniso_error *err)
{
    static const char probe[] = "The quick brown fox, 1234567 jumps! \xc3\xa9t\xc3\xa9 \xe6\x97\xa5"
                                "\xe6\x9c\xac  tabs\tand\nlines <bos> <s> </s> <|endoftext|>";
    aniso_ids ids = {0};
    aniso_status st = aniso_tokenizer_encode(tk, probe, sizeof probe - 1, 1, &ids, err);
    if (st) return st;
    int32_t n = aniso_tokenizer_n_ids(tk);
    uint64_t h = fnv1a64(FNV1A64_START, &n, sizeof n);
    *out = fnv1a64(h, ids.v, ids.n * sizeof *ids.v);
    aniso_ids_free(&ids);
    return ANISO_OK;
}

/* ---- Sequences ---- */

typedef struct source {
    aniso_tokenizer *tk;
    aniso_ids before, after; /* the post-processor's specials */
    /* prompts */
    aniso_prompts prompts;
    aniso_ids pids;
    size_t *poff, next_prompt;
    /* corpus */
    aniso_corpus *c;
    aniso_ids doc;
    size_t doc_pos;
    int in_doc;
    size_t context, body;
    uint64_t max_tokens, emitted, documents;
    /* --shard I/N (or rank I of N): only documents and prompts whose index
     * is I modulo N; n_shards 0: all */
    int shard, n_shards;
    uint64_t doc_index; /* documents read so far, this shard's or not */
    uint64_t text_hash; /* FNV-1a of the texts read, each followed by a zero byte */
} source;

/* One sequence: its ids (sequence capacity: the plan's max_seq), how many
 * the post-processor put before and after, and the prompt it is (or -1). */
typedef struct seq {
    int32_t *ids;
    size_t n, n_before, n_after;
    long prompt;
} seq;

/* The next sequence into q: 1, 0 at the end, -1 on error. */
static int source_next(source *s, seq *q, aniso_error *err)
{
    if (s->max_tokens && s->emitted >= s->max_tokens) return 0;
    size_t nb = s->before.n, na = s->after.n;
    if (!s->c) {
        while (s->n_shards > 1 && s->next_prompt < s->prompts.n &&
               s->next_prompt % (size_t)s->n_shards != (size_t)s->shard)
            s->next_prompt++;
        if (s->next_prompt >= s->prompts.n) return 0;
        size_t p = s->next_prompt++, a = s->poff[p], n = s->poff[p + 1] - a;
        if (s->max_tokens && s->emitted + n > s->max_tokens)
            n = (size_t)(s->max_tokens - s->emitted);
        memcpy(q->ids, s->pids.v + a, n * sizeof *q->ids);
        q->n = n;
        q->n_before = nb < n ? nb : n;
        q->n_after = s->poff[p + 1] - a == n && na < n - q->n_before ? na : 0;
        q->prompt = (long)p;
        s->emitted += n;
        return 1;
    }
    while (!s->in_doc || s->doc_pos >= s->doc.n) {
        const char *text;
        size_t len;
        int r = aniso_corpus_next(s->c, &text, &len, err);
        if (r <= 0) return r;
        s->text_hash = fnv1a64(fnv1a64(s->text_hash, text, len), "", 1);
        /* another shard's document: not even tokenized */
        if (s->n_shards > 1 && s->doc_index++ % (uint64_t)s->n_shards != (uint64_t)s->shard)
            continue;
        s->doc.n = 0;
        aniso_error e2;
        if (aniso_tokenizer_encode(s->tk, text, len, 0, &s->doc, &e2)) {
            aniso_error_set(err, e2.code, "document at line %zu: %s", aniso_corpus_line(s->c),
                            e2.msg);
            return -1;
        }
        s->in_doc = 1;
        s->doc_pos = 0;
        s->documents++;
    }
    size_t take = s->doc.n - s->doc_pos < s->body ? s->doc.n - s->doc_pos : s->body;
    if (s->max_tokens && s->emitted + nb + take + na > s->max_tokens) {
        uint64_t room = s->max_tokens - s->emitted;
        if (room <= nb + na) return 0;
        take = (size_t)(room - nb - na);
    }
    if (nb) memcpy(q->ids, s->before.v, nb * sizeof *q->ids);
    if (take) memcpy(q->ids + nb, s->doc.v + s->doc_pos, take * sizeof *q->ids);
    if (na) memcpy(q->ids + nb + take, s->after.v, na * sizeof *q->ids);
    s->doc_pos += take;
    q->n = nb + take + na;
    q->n_before = nb;
    q->n_after = na;
    q->prompt = -1;
    s->emitted += q->n;
    return 1;
}

static void source_free(source *s)
{
    aniso_ids_free(&s->before);
    aniso_ids_free(&s->after);
    aniso_prompts_free(&s->prompts);
    aniso_ids_free(&s->pids);
    free(s->poff);
    aniso_corpus_free(s->c);
    aniso_ids_free(&s->doc);
}

/* ---- The measuring run ---- */

typedef struct chunk {
    int32_t *ids;
    unsigned char *roles;
    uint32_t *pos;
    long *prompt;    /* the prompt of each token, or -1 */
    size_t *offsets; /* (n_seq + 1) */
    size_t n_seq, n_tok, cap;
    size_t *sel; /* rows the mask keeps */
    size_t n_sel;
    size_t *unit_rows; /* (n_seq) rows the mask keeps of each sequence */
    /* the same without each sequence's first token (the no-first control) */
    size_t *sel_nf, *unit_rows_nf;
    size_t n_sel_nf;
} chunk;

typedef struct meter {
    const aniso_hparams *hp;
    int n_hidden;                        /* policy's hidden-state layers */
    int n_meas;                          /* measured layers */
    int *ids;                            /* (n_meas) hidden-state layer of each */
    int tap_entry[ANISO_MAX_LAYERS + 2]; /* measured entry of each tap, or -1 */
    aniso_moments **m;                   /* (n_meas) */
    aniso_moments **m_nf;                /* (n_meas) without first tokens, or NULL */
    float *rows;                         /* masked rows of a chunk */
    aniso_layer_tokens *tok;             /* (n_meas) token controls, or NULL */
    float *mag;                          /* a chunk's |activations| (the median's) */
    uint64_t row_base;                   /* the chunk's first token, in the run */
    chunk ch;
    double t_moments;
    aniso_error *err;
} meter;

/* The k-th smallest of v[0 .. n) (reordered), by Wirth's selection. */
static float kth_smallest(float *v, size_t n, size_t kk)
{
    long l = 0, m = (long)n - 1, k = (long)kk;
    while (l < m) {
        float x = v[k];
        long i = l, j = m;
        do {
            while (v[i] < x) i++;
            while (x < v[j]) j--;
            if (i <= j) {
                float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k) l = i;
        if (k < i) m = j;
    }
    return v[k];
}

/* The token controls of one layer's chunk: every token, whatever the mask. */
static void tokens_add(meter *mt, aniso_layer_tokens *t, const float *x, size_t n_tok, int d)
{
    const chunk *ch = &mt->ch;
    size_t D = (size_t)d, n = n_tok * D;
    for (size_t i = 0; i < n; i++) mt->mag[i] = fabsf(x[i]);
    double med = n ? kth_smallest(mt->mag, n, (n - 1) / 2) : 0; /* the lower median */
    for (size_t i = 0; i < n_tok; i++) {
        const float *r = x + i * D;
        double ss = 0, best = -1;
        int bd = 0;
        for (size_t j = 0; j < D; j++) {
            double a = fabs((double)r[j]);
            ss += (double)r[j] * r[j];
            if (a > best) best = a, bd = (int)j;
            if (a > 100 && a > 100 * med) t->n_massive_100++;
            if (a > 100 && a > 1000 * med) t->n_massive_1000++;
        }
        double nrm = sqrt(ss);
        unsigned roles = ch->roles[i];
        if (ch->pos[i] < ANISO_POS_PROFILE) {
            t->pos_norm[ch->pos[i]] += nrm; /* a sum until tokens_finish */
            t->pos_count[ch->pos[i]]++;
        }
        if (roles & (ANISO_TOKEN_BOS | ANISO_TOKEN_SPECIAL))
            t->special_norm += nrm, t->special_count++;
        else
            t->other_norm += nrm, t->other_count++;
        if (best > t->max_abs) t->max_abs = best;
        double ratio = med > 0 ? best / med : INFINITY;
        if (best > 0 && ratio > t->max_ratio) t->max_ratio = ratio;
        /* the largest |activations|, one per token, descending */
        int at = t->n_top;
        while (at > 0 && fabs(t->top[at - 1].value) < best) at--;
        if (at < ANISO_TOP_MASSIVE) {
            int last = t->n_top < ANISO_TOP_MASSIVE ? t->n_top : ANISO_TOP_MASSIVE - 1;
            for (int k = last; k > at; k--) t->top[k] = t->top[k - 1];
            t->top[at] =
                (aniso_massive){r[bd], ratio, mt->row_base + i, (long)ch->pos[i], roles, bd};
            if (t->n_top < ANISO_TOP_MASSIVE) t->n_top++;
        }
    }
}

static int on_tap(void *user, int tap, const float *x, size_t n_tok, int d, aniso_error *err)
{
    meter *mt = user;
    int e = mt->tap_entry[tap];
    if (e < 0) return 0;
    double t0 = now();
    const chunk *ch = &mt->ch;
    if (mt->tok) tokens_add(mt, &mt->tok[e], x, n_tok, d);
    const float *X = x;
    if (ch->n_sel != n_tok) {
        for (size_t i = 0; i < ch->n_sel; i++)
            memcpy(mt->rows + i * (size_t)d, x + ch->sel[i] * (size_t)d, (size_t)d * sizeof *x);
        X = mt->rows;
    }
    int rc = aniso_moments_add_units(mt->m[e], X, ch->n_sel, ch->unit_rows, ch->n_seq, err) != 0;
    if (!rc && mt->m_nf) {
        for (size_t i = 0; i < ch->n_sel_nf; i++)
            memcpy(mt->rows + i * (size_t)d, x + ch->sel_nf[i] * (size_t)d, (size_t)d * sizeof *x);
        rc = aniso_moments_add_units(mt->m_nf[e], mt->rows, ch->n_sel_nf, ch->unit_rows_nf,
                                     ch->n_seq, err) != 0;
    }
    mt->t_moments += now() - t0;
    return rc;
}

typedef struct counters {
    uint64_t sequences, tokens, bos, special, first, excluded, measured, measured_nf;
    uint64_t ids_hash; /* FNV-1a of every token id through the model, in order */
} counters;

static char *dtype_summary(const aniso_model *m)
{
    aniso_model_stats s;
    aniso_model_stats_get(m, &s);
    char buf[128] = "";
    for (int d = 0; d < ANISO_DTYPE_COUNT; d++)
        if (s.params_by_dtype[d]) {
            if (buf[0]) strncat(buf, "+", sizeof buf - strlen(buf) - 1);
            strncat(buf, aniso_dtype_name((aniso_dtype)d), sizeof buf - strlen(buf) - 1);
        }
    return str_dup(buf);
}

void aniso_profile_run_free(aniso_profile_run *r)
{
    if (!r) return;
    for (int i = 0; i < ANISO_REPORT_MAX_FILES; i++) free(r->files[i]);
    free(r->model), free(r->architecture), free(r->dtype), free(r->source_path);
    free(r->layers), free(r->raw_last), free(r->layer_ids), free(r->tokens_per_prompt);
    free(r->parts);
    evidence_free(r->evidence_store);
    free(r->text_hash);
    free(r->kernels);
    free(r);
}

/* ---- Metadata of a partial result ---- */

static aj *str_v(const char *s)
{
    return s ? aj_new_string(s, strlen(s)) : aj_new_null();
}

static char *hex64(uint64_t v, char *buf)
{
    snprintf(buf, 17, "%016llx", (unsigned long long)v);
    return buf;
}

typedef struct describe {
    const char *name, *architecture, *normalization, *dtype, *kernels;
    int n_layers, hidden_dim;
    uint64_t fp_model, fp_tok;
    const char *source, *path, *format;
    size_t context, chunk_tokens, keep_rows;
    uint64_t max_tokens;
    aniso_last_layer policy;
    const aniso_mask *mask;
    const int *ids;
    int n_meas;
    const counters *c;
    uint64_t documents;
    const size_t *tokens_per_prompt;
    size_t n_prompts;
    double t_forward, t_moments;
    int parts;
    int shard, n_shards;       /* n_shards 0: the whole input */
    const uint64_t *text_hash; /* the source's, as it stands */
} describe;

/* Whether the "+"-joined list has name. */
static int kernels_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p; p = strchr(p, '+') ? strchr(p, '+') + 1 : p + strlen(p))
        if (!strncmp(p, name, n) && (p[n] == '+' || p[n] == 0)) return 1;
    return 0;
}

static aj *meta_build(const describe *d)
{
    aj *o = aj_new_object(), *fp = aj_new_object(), *pre = aj_new_object(), *mask = aj_new_object(),
       *pos = aj_new_array(), *layers = aj_new_array(), *in = aj_new_object(),
       *prog = aj_new_object(), *tpp = aj_new_array(), *tim = aj_new_object();
    char b1[17], b2[17], roles[64];
    int bad = !o || !fp || !pre || !mask || !pos || !layers || !in || !prog || !tpp || !tim;
    for (int i = 0; i < d->n_meas && !bad; i++) bad = aj_append(layers, aj_new_int(d->ids[i]));
    for (size_t i = 0; d->tokens_per_prompt && i < d->n_prompts && !bad; i++)
        bad = aj_append(tpp, aj_new_int((long long)d->tokens_per_prompt[i]));
    bad = bad || aj_set(o, "model", str_v(d->name)) ||
          aj_set(o, "architecture", str_v(d->architecture)) ||
          aj_set(o, "normalization", str_v(d->normalization)) ||
          aj_set(o, "dtype", str_v(d->dtype)) || aj_set(o, "kernels", str_v(d->kernels)) ||
          aj_set(o, "n_layers", aj_new_int(d->n_layers)) ||
          aj_set(o, "hidden_dim", aj_new_int(d->hidden_dim)) ||
          aj_set(fp, "model", str_v(hex64(d->fp_model, b1))) ||
          aj_set(fp, "tokenizer", str_v(hex64(d->fp_tok, b2))) ||
          aj_set(mask, "exclude",
                 str_v(aniso_token_roles_str(d->mask->exclude, roles, sizeof roles))) ||
          aj_append(pos, aj_new_int(d->mask->pos_from)) ||
          aj_append(pos, aj_new_int(d->mask->pos_to)) || aj_set(mask, "positions", pos);
    pos = NULL;
    bad = bad || aj_set(pre, "source", str_v(d->source)) ||
          aj_set(pre, "context", aj_new_int((long long)d->context)) ||
          aj_set(pre, "last_layer", str_v(aniso_last_layer_name(d->policy))) ||
          aj_set(pre, "mask", mask);
    mask = NULL;
    bad = bad || aj_set(pre, "layers", layers) ||
          aj_set(pre, "keep_rows", aj_new_int((long long)d->keep_rows));
    layers = NULL;
    if (d->n_shards > 0 && !bad) {
        aj *sh = aj_new_array();
        if (!sh || aj_append(sh, aj_new_int(d->shard)) || aj_append(sh, aj_new_int(d->n_shards)))
            aj_free(sh), bad = 1;
        else
            bad = aj_set(in, "shard", sh);
    }
    bad = bad || aj_set(in, "path", str_v(d->path)) || aj_set(in, "format", str_v(d->format)) ||
          aj_set(in, "max_tokens", aj_new_int((long long)d->max_tokens)) ||
          aj_set(in, "chunk_tokens", aj_new_int((long long)d->chunk_tokens));
    const counters *c = d->c;
    bad = bad || aj_set(prog, "sequences", aj_new_int((long long)c->sequences)) ||
          aj_set(prog, "documents", aj_new_int((long long)d->documents)) ||
          aj_set(prog, "tokens", aj_new_int((long long)c->tokens)) ||
          aj_set(prog, "bos", aj_new_int((long long)c->bos)) ||
          aj_set(prog, "special", aj_new_int((long long)c->special)) ||
          aj_set(prog, "first", aj_new_int((long long)c->first)) ||
          aj_set(prog, "excluded", aj_new_int((long long)c->excluded)) ||
          aj_set(prog, "measured", aj_new_int((long long)c->measured)) ||
          aj_set(prog, "ids_hash", str_v(hex64(c->ids_hash, b1))) ||
          (d->text_hash && aj_set(prog, "text_hash", str_v(hex64(*d->text_hash, b2)))) ||
          aj_set(prog, "tokens_per_prompt", tpp);
    tpp = NULL;
    bad = bad || aj_set(tim, "forward", aj_new_real(d->t_forward)) ||
          aj_set(tim, "moments", aj_new_real(d->t_moments));
    if (!bad) {
        bad = aj_set(o, "fingerprint", fp) || aj_set(o, "preprocessing", pre) ||
              aj_set(o, "input", in) || aj_set(o, "progress", prog) || aj_set(o, "timing", tim) ||
              aj_set(o, "parts", aj_new_int(d->parts));
        fp = pre = in = prog = tim = NULL;
    }
    aj_free(fp), aj_free(pre), aj_free(mask), aj_free(pos), aj_free(layers), aj_free(in),
        aj_free(prog), aj_free(tpp), aj_free(tim);
    if (bad) {
        aj_free(o);
        return NULL;
    }
    return o;
}

/* An integer in [lo, hi] at v, which a partial result at path holds under
 * key (for messages); else an error naming the key and what it holds. */
static aniso_status int_in(const char *path, const aj *v, const char *key, long long lo,
                           long long hi, long long *out, aniso_error *err)
{
    if (aj_is_integer(v) && aj_int(v) >= lo && aj_int(v) <= hi) {
        *out = aj_int(v);
        return ANISO_OK;
    }
    char found[48];
    if (aj_is_integer(v))
        snprintf(found, sizeof found, "%lld", aj_int(v));
    else
        snprintf(found, sizeof found, "%s %s", v ? "a" : "", aj_type_name(v));
    return aniso_error_set(err, ANISO_FORMAT,
                           "%s: key '%s' must be an integer from %lld to %lld, found %s", path, key,
                           lo, hi, found);
}

static uint64_t meta_u64(const aj *meta, const char *obj, const char *key)
{
    aj *v = aj_get(aj_get(meta, obj), key);
    return aj_is_integer(v) && aj_int(v) > 0 ? (uint64_t)aj_int(v) : 0;
}

/* The report's counts. */
static void info_counts(aniso_run_info *in, const counters *c, uint64_t documents)
{
    in->n_sequences = c->sequences;
    in->n_documents = documents;
    in->n_tokens_seen = c->tokens;
    in->n_bos = c->bos;
    in->n_special = c->special;
    in->n_first = c->first;
    in->n_excluded = c->excluded;
}

/* Adds a partial result's counts to c (and its documents to *docs). */
static void counters_add(counters *c, uint64_t *docs, const aj *meta)
{
    c->sequences += meta_u64(meta, "progress", "sequences");
    c->tokens += meta_u64(meta, "progress", "tokens");
    c->bos += meta_u64(meta, "progress", "bos");
    c->special += meta_u64(meta, "progress", "special");
    c->first += meta_u64(meta, "progress", "first");
    c->excluded += meta_u64(meta, "progress", "excluded");
    c->measured += meta_u64(meta, "progress", "measured");
    if (docs) *docs += meta_u64(meta, "progress", "documents");
}

/* ---- The report ---- */

/* Metrics of every measured layer, the analysis and the report files, from
 * the moments; run's model strings and info are already set. */
static aniso_status finish(aniso_profile_run *run, aniso_moments *const *m,
                           aniso_moments *const *m_nf, const evcfg *ev, const int *ids, int n_meas,
                           int n_layer, aniso_last_layer policy, const char *out_dir,
                           const aniso_reference *reference, double t_start, aniso_error *err)
{
    aniso_profile_result *r = &run->result;
    double t0 = now();
    int n_prof = 0;
    run->layers = calloc((size_t)n_meas + 1, sizeof *run->layers);
    run->layer_ids = calloc((size_t)n_meas + 1, sizeof *run->layer_ids);
    int *entry = malloc(((size_t)n_meas + 1) * sizeof *entry);
    if (!run->layers || !run->layer_ids || !entry) {
        free(entry);
        return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    }
    for (int i = 0; i < n_meas; i++) {
        aniso_layer_metrics lm;
        aniso_status st = aniso_moments_metrics(m[i], &lm, err);
        if (st) {
            char msg[ANISO_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            free(entry);
            return aniso_error_set(err, st, "layer %d: %s%s", ids[i], msg,
                                   aniso_moments_count(m[i]) < 2
                                       ? " (the mask or the input leaves too few rows)"
                                       : "");
        }
        if (policy == ANISO_LAST_BOTH && ids[i] == n_layer + 1) {
            if (!(run->raw_last = malloc(sizeof *run->raw_last))) {
                free(entry);
                return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            }
            *run->raw_last = lm;
            continue;
        }
        entry[n_prof] = i;
        run->layers[n_prof] = lm;
        run->layer_ids[n_prof++] = ids[i];
    }
    if (n_prof == 0) {
        free(entry);
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "profile: no layer of the profile is measured (--layers)");
    }
    r->layers = run->layers;
    r->layer_ids = run->layer_ids;
    r->n_measured = n_prof;
    r->raw_last = run->raw_last;
    r->t_metrics = now() - t0;
    if (reference)
        r->reference = *reference;
    else
        aniso_reference_default(&r->reference);
    double *idr = malloc(sizeof(double) * ((size_t)n_prof + 1));
    if (!idr) {
        free(entry);
        return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    }
    for (int l = 0; l < n_prof; l++) idr[l] = run->layers[l].intrinsic_dim_ratio;
    int full = n_prof == n_layer + 1;
    for (int l = 0; full && l < n_prof; l++) full = run->layer_ids[l] == l;
    aniso_profile_analyze_at(full ? NULL : run->layer_ids, idr, n_prof, &r->reference,
                             &r->analysis);
    free(idr);
    if (full) r->layer_ids = NULL;
    double t_ev = now();
    aniso_status st = evidence_build(run, ev, m, m_nf, entry, n_prof, err);
    free(entry);
    if (st) return st;
    r->t_evidence = now() - t_ev;

    const char *dir = out_dir ? out_dir : ".";
    r->t_total = now() - t_start; /* the report's own writing is not counted */
    if ((st = aniso_report_write_all(dir, run->formats, r, run->files, &run->n_files, err)))
        return st;
    return evidence_commit(run->evidence_store, err);
}

/* ---- Ranks (aniso_collective) ---- */

/* Layer statistics on their way between ranks: written into an abuf, read
 * back from a received message. */
static int mb_put(void *user, const void *p, size_t len)
{
    return abuf_add(user, p, len);
}

typedef struct msg_reader {
    const unsigned char *p;
    size_t n, at;
} msg_reader;

static int mb_get(void *user, void *p, size_t len)
{
    msg_reader *b = user;
    if (len > b->n - b->at) return -1;
    memcpy(p, b->p + b->at, len);
    b->at += len;
    return 0;
}

/* Every rank's verdict: ANISO_OK when all are fine; else err holds "rank
 * R: reason" of the lowest failing rank (this rank's own message when it is
 * the one) and *failed is set, so that no rank calls agree again. */
static aniso_status coll_agree(const aniso_collective *co, aniso_status mine, aniso_error *err,
                               int *failed)
{
    int bad = -1;
    char msg[ANISO_ERROR_MSG_MAX];
    msg[0] = 0;
    const char *own = mine ? (err && err->msg[0] ? err->msg : "failed") : "";
    if (co->agree(co->user, mine == ANISO_OK, own, &bad, msg, sizeof msg)) {
        *failed = 1;
        return aniso_error_set(err, ANISO_IO, "rank %d: the ranks could not exchange their status",
                               co->rank);
    }
    if (bad < 0) return ANISO_OK;
    *failed = 1;
    return aniso_error_set(err, mine ? mine : ANISO_INVALID_ARGUMENT, "rank %d: %s", bad, msg);
}

/* The part a partial result's metadata describes; *malformed (when not
 * NULL) is set when its shard is not [I, N] with 0 <= I < N <= INT_MAX. */
static aniso_part_info part_of(const aj *meta, int *malformed)
{
    aniso_part_info pi = {.shard = -1};
    aj *sh = aj_get(aj_get(meta, "input"), "shard");
    if (aj_is_array(sh) && aj_size(sh) == 2) {
        aj *i = aj_at(sh, 0), *n = aj_at(sh, 1);
        if (aj_is_integer(i) && aj_is_integer(n) && aj_int(n) >= 1 && aj_int(n) <= INT_MAX &&
            aj_int(i) >= 0 && aj_int(i) < aj_int(n)) {
            pi.shard = (int)aj_int(i);
            pi.n_shards = (int)aj_int(n);
        } else if (malformed) {
            *malformed = 1;
        }
    }
    pi.sequences = meta_u64(meta, "progress", "sequences");
    pi.documents = meta_u64(meta, "progress", "documents");
    pi.tokens = meta_u64(meta, "progress", "tokens");
    pi.measured = meta_u64(meta, "progress", "measured");
    pi.t_forward = aj_num(aj_get(aj_get(meta, "timing"), "forward"));
    return pi;
}

/* Rank 0 gathers every rank's statistics into m (rank order, one layer at
 * a time: no more than one layer's statistics held extra) and their counts
 * into c and *docs; parts gets one entry per rank. The protocol: from each
 * rank one counts message (its partial-result metadata, or on failure
 * {"layers_sent": N}), then N layer messages (empty after a failure), N the
 * number of layers the rank measures; rank 0 receives exactly what each
 * rank sends, whatever goes wrong, so that no rank waits for what will not
 * come. */
static aniso_status coll_reduce(const aniso_collective *co, const aj *mine, aniso_moments **m,
                                int n, counters *c, uint64_t *docs, aniso_part_info *parts,
                                size_t *tpp, size_t n_prompts, aniso_error *err)
{
    aniso_status st = ANISO_OK;
    if (co->rank != 0) {
        char *text = mine ? aj_dump(mine, 0) : NULL, fallback[64];
        if (!text) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "rank %d: out of memory for its counts",
                                 co->rank);
            snprintf(fallback, sizeof fallback, "{\"layers_sent\": %d}", n);
        }
        if (co->send(co->user, text ? text : fallback, strlen(text ? text : fallback)) && !st)
            st = aniso_error_set(err, ANISO_IO, "rank %d: cannot send its counts", co->rank);
        free(text);
        for (int l = 0; l < n; l++) {
            abuf b = {0};
            if (!st && (st = aniso_moments_write(m[l], mb_put, &b, err))) b.n = 0;
            if (co->send(co->user, b.p, st ? 0 : b.n) && !st)
                st = aniso_error_set(err, ANISO_IO, "rank %d: cannot send layer statistics",
                                     co->rank);
            free(b.p);
        }
        return st;
    }
    parts[0] = part_of(mine, NULL);
    int failed = -1, most = n; /* the first rank whose messages are unusable */
    int *sent = calloc((size_t)co->size, sizeof *sent);
    if (!sent) return aniso_error_set(err, ANISO_NO_MEMORY, "rank 0: out of memory");
    for (int r = 1; r < co->size; r++) {
        void *buf = NULL;
        size_t len = 0;
        aj *meta = NULL;
        if (co->recv(co->user, r, &buf, &len)) {
            free(sent);
            return aniso_error_set(err, ANISO_IO, "rank 0: cannot receive from rank %d", r);
        }
        meta = len ? aj_parse(buf, len, "rank counts", err) : NULL;
        aj *layers = aj_get(aj_get(meta, "preprocessing"), "layers"),
           *ls = aj_get(meta, "layers_sent");
        long long ns = aj_is_array(layers) ? (long long)aj_size(layers)
                       : aj_is_integer(ls) ? aj_int(ls)
                                           : 0;
        sent[r] = ns < 0 || ns > ANISO_MAX_LAYERS + 2 ? 0 : (int)ns;
        if (sent[r] > most) most = sent[r];
        int ok = meta && aj_is_array(layers) && sent[r] == n;
        const char *keys[] = {"fingerprint", "preprocessing"};
        for (int k = 0; k < 2 && ok; k++)
            ok = partial_same("rank 0", mine, "this rank", meta, keys[k], err) == ANISO_OK;
        if (!ok && failed < 0) failed = r;
        if (ok) {
            counters_add(c, docs, meta);
            parts[r] = part_of(meta, NULL);
            /* prompts: each rank counted its own prompts' rows */
            aj *t = aj_get(aj_get(meta, "progress"), "tokens_per_prompt");
            for (size_t p = 0; tpp && p < n_prompts && p < aj_size(t); p++)
                if (aj_int(aj_at(t, p)) > 0) tpp[p] += (size_t)aj_int(aj_at(t, p));
        }
        aj_free(meta);
        free(buf);
    }
    for (int l = 0; l < most; l++)
        for (int r = 1; r < co->size; r++) {
            if (l >= sent[r]) continue;
            void *buf = NULL;
            size_t len = 0;
            if (co->recv(co->user, r, &buf, &len)) {
                free(sent);
                return aniso_error_set(err, ANISO_IO, "rank 0: cannot receive from rank %d", r);
            }
            if (failed < 0 && l < n) {
                msg_reader b = {.p = buf, .n = len};
                aniso_moments *o =
                    len ? aniso_moments_read(mb_get, &b, len, "rank statistics", err) : NULL;
                if (!o || b.at != len || aniso_moments_merge(m[l], o, err)) failed = r;
                aniso_moments_free(o);
            }
            free(buf);
        }
    free(sent);
    if (failed >= 0)
        return aniso_error_set(err, ANISO_FORMAT,
                               "rank 0: the statistics of rank %d do not fit (another model, "
                               "input, layers or preprocessing, or the rank failed while "
                               "sending)",
                               failed);
    return ANISO_OK;
}

/* ---- Memory ---- */

/* The bytes a run allocates, estimated before it allocates them: the
 * forward pass's (its plan and state, the chunk's and the sequences'
 * buffers, the prompts' ids) into *fwd, and the analysis' (every measured
 * layer's statistics, and the most that one layer's update or metrics adds;
 * with gather, rank 0's copy of another rank's layer and its message) into
 * *ana. A corpus document's ids are not counted (they grow with the
 * document), nor the report's figures. */
static void profile_bytes(const aniso_model *m, const source *src, size_t cap, size_t max_seq,
                          int n_threads, int n_meas, size_t keep, uint64_t max_rows, int gather,
                          int n_blocks, int nofirst, int controls, uint64_t *fwd, uint64_t *ana)
{
    uint64_t d = (uint64_t)aniso_model_hparams(m)->d_model;
    uint64_t f = forward_bytes(m, cap, max_seq, n_threads);
    /* chunk: ids, roles, positions, prompts, offsets, selection; masked rows */
    f += (uint64_t)cap *
         (sizeof(int32_t) + 1 + sizeof(uint32_t) + sizeof(long) + 2 * sizeof(size_t));
    f += sizeof(size_t) + (uint64_t)cap * d * sizeof(float) * (controls ? 2 : 1);
    f += 2 * (uint64_t)max_seq * sizeof(int32_t); /* the sequence and the one held back */
    if (!src->c) /* the prompts' ids and offsets, the rows per prompt */
        f += (uint64_t)src->pids.n * sizeof(int32_t) + 2 * ((uint64_t)src->prompts.n + 1) * 8;
    uint64_t res, tr;
    moments_bytes((int)d, keep, max_rows, cap, n_blocks, &res, &tr);
    *fwd = f;
    *ana = (uint64_t)n_meas * res * (nofirst ? 2 : 1) + tr + (gather ? 2 * res : 0);
    *ana += evidence_bytes(d, keep, max_rows, n_blocks, n_threads, n_meas);
}

/* ---- aniso_profile ---- */

aniso_status aniso_profile(const aniso_profile_opts *o, aniso_profile_run **out, aniso_error *err)
{
    double t_start = now();
    aniso_status st = ANISO_OK;
    aniso_model *m = NULL;
    aniso_tokenizer *tk = NULL;
    aniso_plan *plan = NULL;
    aniso_state *state = NULL;
    source src = {.text_hash = FNV1A64_START};
    meter mt = {0};
    evcfg ev = {0};
    seq q = {0}, pending = {0};
    partial resumed = {0};
    aj *meta = NULL;
    int have_pending = 0;
    counters cnt = {.ids_hash = FNV1A64_START};
    /* with several ranks: each calls agree at the same three points (set
     * up, measured, reported), or once with its failure */
    const aniso_collective *co = o->collective && o->collective->size > 1 ? o->collective : NULL;
    int coll_failed = 0;
    char *ckpt_own = NULL;
    aniso_profile_run *run = calloc(1, sizeof *run);
    *out = NULL;
    if (!run) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    run->formats = o->formats;
    if (o->corpus_file && o->prompts_file) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "profile: give prompts or a corpus, not both");
        goto fail;
    }
    if (o->resume && !o->checkpoint) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT, "profile: --resume needs --checkpoint");
        goto fail;
    }
    /* The resampled units' file: a regular file or none, in a folder that is there. */
    if (o->boot_indices) {
        if ((st = out_target_check(o->boot_indices, err))) goto fail;
        char *dir = str_dup(o->boot_indices), *slash = dir ? strrchr(dir, '/') : NULL;
        struct stat sb;
        if (slash) *slash = '\0';
        int ok =
            dir && (!slash || (stat(slash == dir ? "/" : dir, &sb) == 0 && S_ISDIR(sb.st_mode)));
        free(dir);
        if (!ok) {
            st = aniso_error_set(err, ANISO_NOT_FOUND, "%s: its folder does not exist",
                                 o->boot_indices);
            goto fail;
        }
        if (o->n_boot < 0) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --boot-indices needs the bootstrap (not --boot 0)");
            goto fail;
        }
    }
    /* Shards: --shard I/N, or this rank of several. */
    if (co) {
        if (o->shard_count) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --shard and MPI ranks cannot be combined");
            goto fail;
        }
        src.shard = co->rank, src.n_shards = co->size;
        if (o->checkpoint) {
            size_t len = strlen(o->checkpoint) + 32;
            if (!(ckpt_own = malloc(len))) {
                st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
                goto fail;
            }
            snprintf(ckpt_own, len, "%s.%d-of-%d", o->checkpoint, co->rank, co->size);
        }
    } else if (o->shard_count) {
        if (o->shard_count < 1 || o->shard_index < 0 || o->shard_index >= o->shard_count) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: shard %d of %d does not exist (shards are 0..N-1)",
                                 o->shard_index, o->shard_count);
            goto fail;
        }
        if (!o->checkpoint) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --shard needs --checkpoint FILE, the partial result "
                                 "that aniso merge combines");
            goto fail;
        }
        src.shard = o->shard_index, src.n_shards = o->shard_count;
    }
    if (src.n_shards > 1 && o->max_tokens) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "profile: --max-tokens cannot be combined with shards (where the "
                             "input is cut would depend on the number of shards)");
        goto fail;
    }
    const char *ckpt = ckpt_own ? ckpt_own : o->checkpoint;
    if (!(m = aniso_model_open(o->model, &o->open, err)) ||
        !(tk = aniso_tokenizer_open(aniso_model_dir(m), &o->open, err))) {
        st = err && err->code ? err->code : ANISO_INVALID_ARGUMENT;
        goto fail;
    }
    const aniso_hparams *hp = aniso_model_hparams(m);
    int L = hp->n_layer, d = hp->d_model;
    src.tk = tk;
    if ((st = aniso_tokenizer_specials(tk, &src.before, &src.after, err))) goto fail;
    src.max_tokens = o->max_tokens;
    size_t max_seq = 1, lim = aniso_max_seq_len(hp);
    if (o->corpus_file) {
        src.context = o->context ? o->context : DEFAULT_CONTEXT;
        if (!o->context && lim && src.context > lim) src.context = lim;
        if (src.context <= src.before.n + src.after.n) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --context %zu leaves no room for text next to the %zu "
                                 "special tokens of every window",
                                 src.context, src.before.n + src.after.n);
            goto fail;
        }
        if (lim && src.context > lim) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --context %zu is more than the %zu positions of %s "
                                 "(max_position_embeddings); give --context %zu or less",
                                 src.context, lim, o->model, lim);
            goto fail;
        }
        src.body = src.context - src.before.n - src.after.n;
        if (!(src.c = aniso_corpus_open(o->corpus_file, err))) {
            st = ERRCODE(err);
            goto fail;
        }
        max_seq = src.context;
    } else {
        if ((st = o->prompts_file ? aniso_prompts_load(o->prompts_file, &src.prompts, err)
                                  : aniso_prompts_default(&src.prompts, err)) ||
            (st = aniso_tokenizer_encode_prompts(tk, &src.prompts, &src.pids, &src.poff, err)))
            goto fail;
        for (size_t p = 0; p < src.prompts.n; p++)
            src.text_hash =
                fnv1a64(fnv1a64(src.text_hash, src.prompts.text[p], src.prompts.len[p]), "", 1);
        for (size_t p = 0; p < src.prompts.n; p++) {
            size_t len = src.poff[p + 1] - src.poff[p];
            if (len > max_seq) max_seq = len;
            if (lim && len > lim) {
                st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                     "profile: prompt %zu has %zu tokens, more than the %zu "
                                     "positions of %s (max_position_embeddings); measure long "
                                     "text in windows with --corpus FILE --context N (N at most "
                                     "%zu)",
                                     p, len, lim, o->model, lim);
                goto fail;
            }
        }
        if (!(run->tokens_per_prompt = calloc(src.prompts.n + 1, sizeof *run->tokens_per_prompt))) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
    }
    size_t chunk_tokens = o->chunk_tokens ? o->chunk_tokens : DEFAULT_CHUNK;
    if (chunk_tokens < max_seq) chunk_tokens = max_seq;
    /* The tokens a chunk can hold (what is allocated): no more than the
     * input has, when that is known; chunks are cut as with chunk_tokens. */
    uint64_t max_rows = src.c ? UINT64_MAX : (uint64_t)src.pids.n;
    if (o->max_tokens && o->max_tokens < max_rows) max_rows = o->max_tokens;
    size_t cap_tokens = chunk_tokens;
    if (max_rows < cap_tokens) cap_tokens = max_rows > max_seq ? (size_t)max_rows : max_seq;

    /* The measured layers and the taps behind them. */
    mt.hp = hp;
    mt.n_hidden = aniso_hidden_count(L, o->last_layer);
    unsigned char want[ANISO_MAX_LAYERS + 2], taps[ANISO_MAX_LAYERS + 2] = {0};
    if (o->layers) {
        if (aniso_layers_parse(o->layers, mt.n_hidden, want)) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "profile: --layers '%s' is not a list of layers 0..%d (such as "
                                 "0,4,8-12)",
                                 o->layers, mt.n_hidden - 1);
            goto fail;
        }
    } else {
        memset(want, 1, (size_t)mt.n_hidden);
    }
    size_t keep = o->keep_rows ? o->keep_rows : ANISO_MOMENTS_KEEP_ROWS;
    /* What the run will allocate, against what it may. */
    int n_want = 0;
    for (int i = 0; i < mt.n_hidden; i++) n_want += want[i] != 0;
    /* The controls: the profile without first tokens (one run, not in
     * parts), and the bootstrap's blocks for a run that may hold moments. */
    ev.n_boot = o->n_boot;
    ev.seed = o->seed;
    ev.indices = o->boot_indices;
    ev.n_threads = o->n_threads;
    if (!o->no_controls && !(o->mask.exclude & ANISO_TOKEN_FIRST)) {
        if (o->checkpoint || src.n_shards || co)
            ev.nofirst_why = "not measured: the control without first tokens is not carried "
                             "through checkpoints, shards or ranks";
        else
            ev.nofirst = 1;
    }
    size_t lim_rows = keep < (size_t)d ? keep : (size_t)d;
    int auto_blocks = 0;
    if (o->n_boot >= 0 && o->boot_blocks >= 0 && (lim_rows <= 1 || max_rows >= lim_rows)) {
        auto_blocks = o->boot_blocks == 0;
        ev.blocks = auto_blocks ? DEFAULT_BLOCKS : o->boot_blocks;
    }
    uint64_t need_fwd, need_ana, limit = o->max_memory ? o->max_memory : mem_available();
    for (;;) {
        profile_bytes(m, &src, cap_tokens, max_seq, o->n_threads, n_want, keep, max_rows,
                      co && co->rank == 0, ev.blocks, ev.nofirst, !o->no_controls, &need_fwd,
                      &need_ana);
        if (!auto_blocks || !limit || need_fwd + need_ana <= limit || ev.blocks == 0) break;
        /* fewer blocks, down to MIN_BLOCKS, then none (and the report says why) */
        ev.blocks = ev.blocks > MIN_BLOCKS ? ev.blocks - 1 : 0;
        if (!ev.blocks)
            ev.blocks_why = "not computed: even 5 bootstrap blocks of this run's moments do not "
                            "fit the memory (--boot-blocks, --max-memory)";
    }
    char b1[32], b2[32], detail[96];
    snprintf(detail, sizeof detail, "forward %s, analysis %s", mem_str(need_fwd, b1, sizeof b1),
             mem_str(need_ana, b2, sizeof b2));
    if ((st = mem_check("profile", need_fwd + need_ana, detail, o->max_memory, err))) goto fail;
    for (int t = 0; t <= L + 1; t++) mt.tap_entry[t] = -1;
    mt.ids = calloc((size_t)mt.n_hidden, sizeof *mt.ids);
    mt.m = calloc((size_t)mt.n_hidden, sizeof *mt.m);
    if (!mt.ids || !mt.m) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    for (int i = 0; i < mt.n_hidden; i++) {
        if (!want[i]) continue;
        int t = aniso_hidden_tap(L, o->last_layer, i);
        mt.tap_entry[t] = mt.n_meas;
        taps[t] = 1;
        mt.ids[mt.n_meas] = i;
        if (!(mt.m[mt.n_meas] = aniso_moments_new(d, keep, err)) ||
            aniso_moments_set_blocks(mt.m[mt.n_meas], ev.blocks, err)) {
            mt.n_meas++;
            st = ERRCODE(err);
            goto fail;
        }
        if (ev.nofirst && !mt.m_nf && !(mt.m_nf = calloc((size_t)mt.n_hidden, sizeof *mt.m_nf))) {
            mt.n_meas++;
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
        if (ev.nofirst && (!(mt.m_nf[mt.n_meas] = aniso_moments_new(d, keep, err)) ||
                           aniso_moments_set_blocks(mt.m_nf[mt.n_meas], ev.blocks, err))) {
            mt.n_meas++;
            st = ERRCODE(err);
            goto fail;
        }
        mt.n_meas++;
    }
    /* Buffers: one chunk, one sequence ahead. */
    chunk *ch = &mt.ch;
    ch->cap = cap_tokens;
    ch->ids = malloc(cap_tokens * sizeof *ch->ids);
    ch->roles = malloc(cap_tokens);
    ch->pos = malloc(cap_tokens * sizeof *ch->pos);
    ch->prompt = malloc(cap_tokens * sizeof *ch->prompt);
    ch->offsets = malloc((cap_tokens + 1) * sizeof *ch->offsets);
    ch->sel = malloc(cap_tokens * sizeof *ch->sel);
    ch->sel_nf = malloc(cap_tokens * sizeof *ch->sel_nf);
    ch->unit_rows = malloc(cap_tokens * sizeof *ch->unit_rows);
    ch->unit_rows_nf = malloc(cap_tokens * sizeof *ch->unit_rows_nf);
    mt.rows = malloc(cap_tokens * (size_t)d * sizeof *mt.rows);
    if (ev.nofirst || (!o->no_controls && (o->mask.exclude & ANISO_TOKEN_FIRST) && !o->checkpoint &&
                       !src.n_shards && !co)) {
        /* token controls: of single runs (a part would count its own tokens) */
        mt.mag = malloc(cap_tokens * (size_t)d * sizeof *mt.mag);
        mt.tok = calloc((size_t)mt.n_meas, sizeof *mt.tok);
        if (!mt.mag || !mt.tok) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
    }
    q.ids = malloc(max_seq * sizeof *q.ids);
    pending.ids = malloc(max_seq * sizeof *pending.ids);
    if (!ch->ids || !ch->roles || !ch->pos || !ch->prompt || !ch->offsets || !ch->sel ||
        !ch->sel_nf || !ch->unit_rows || !ch->unit_rows_nf || !mt.rows || !q.ids || !pending.ids) {
        st = aniso_error_set(err, ANISO_NO_MEMORY,
                             "profile: out of memory for chunks of %zu tokens", cap_tokens);
        goto fail;
    }
    aniso_plan_opts po = {
        .n_threads = o->n_threads, .max_tokens = cap_tokens, .max_seq = max_seq, .taps = taps};
    if (!(plan = aniso_plan_new(m, &po, err)) || !(state = aniso_state_new(plan, err))) {
        st = ERRCODE(err);
        goto fail;
    }

    /* What this run measures, as a partial result describes it. */
    run->model = str_dup(o->name ? o->name : o->model);
    run->architecture = str_dup(aniso_arch_model_type(hp->arch));
    run->dtype = dtype_summary(m);
    run->kernels = str_dup(aniso_plan_kernels(plan));
    run->source_path = o->corpus_file || o->prompts_file
                           ? str_dup(o->corpus_file ? o->corpus_file : o->prompts_file)
                           : NULL;
    uint64_t fp_tok;
    if (!run->model || !run->architecture || !run->dtype || !run->kernels ||
        ((o->corpus_file || o->prompts_file) && !run->source_path)) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    if ((st = tokenizer_fingerprint(tk, &fp_tok, err))) goto fail;
    if (!o->shard_count && (!co || co->rank == 0)) {
        /* The report's place, before the work rather than after it. */
        aniso_run_info early = {.last_layer = aniso_last_layer_name(o->last_layer),
                                .exclude = o->mask.exclude,
                                .pos_from = o->mask.pos_from,
                                .pos_to = o->mask.pos_to};
        aniso_profile_result er = {.model = run->model, .info = &early};
        if ((st = aniso_report_check_target(o->out_dir ? o->out_dir : ".", &er, err))) goto fail;
    }
    describe desc = {.text_hash = &src.text_hash,
                     .name = run->model,
                     .architecture = run->architecture,
                     .normalization = aniso_norm_name(aniso_arch_norm(hp->arch)),
                     .dtype = run->dtype,
                     .kernels = run->kernels,
                     .n_layers = L,
                     .hidden_dim = d,
                     .fp_model = model_fingerprint(m),
                     .fp_tok = fp_tok,
                     .source = o->corpus_file ? "corpus" : "prompts",
                     .path = run->source_path,
                     .format = src.c ? aniso_corpus_format(src.c) : NULL,
                     .context = src.context,
                     .chunk_tokens = chunk_tokens,
                     .keep_rows = keep,
                     .max_tokens = o->max_tokens,
                     .policy = o->last_layer,
                     .mask = &o->mask,
                     .ids = mt.ids,
                     .n_meas = mt.n_meas,
                     .c = &cnt,
                     .tokens_per_prompt = run->tokens_per_prompt,
                     .n_prompts = src.prompts.n,
                     .parts = 1,
                     .shard = src.shard,
                     .n_shards = src.n_shards};
    uint64_t skip = 0;
    double t_fwd_before = 0, t_mom_before = 0;
    if (o->resume) {
        /* Continue from the checkpoint: same model, input and preprocessing. */
        if ((st = partial_read(ckpt, &resumed, err))) goto fail;
        aj *now_meta = meta_build(&desc);
        if (!now_meta) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
        const char *keys[] = {"fingerprint", "preprocessing", "input"};
        for (int k = 0; k < 3 && !st; k++)
            st = partial_same(ckpt, resumed.meta, "this run", now_meta, keys[k], err);
        aj_free(now_meta);
        if (st) goto fail;
        if (resumed.n != mt.n_meas) {
            st = aniso_error_set(err, ANISO_FORMAT, "%s: holds %d layers, this run measures %d",
                                 ckpt, resumed.n, mt.n_meas);
            goto fail;
        }
        for (int i = 0; i < mt.n_meas; i++) {
            aniso_moments_free(mt.m[i]);
            mt.m[i] = resumed.m[i];
            resumed.m[i] = NULL;
        }
        skip = meta_u64(resumed.meta, "progress", "sequences");
        cnt = (counters){.ids_hash = FNV1A64_START};
        counters_add(&cnt, NULL, resumed.meta);
        aj *tpp = aj_get(aj_get(resumed.meta, "progress"), "tokens_per_prompt");
        for (size_t p = 0; run->tokens_per_prompt && p < src.prompts.n && p < aj_size(tpp); p++) {
            long long v;
            if ((st = int_in(ckpt, aj_at(tpp, p), "progress.tokens_per_prompt[]", 0, LLONG_MAX, &v,
                             err)))
                goto fail;
            run->tokens_per_prompt[p] = (size_t)v;
        }
        aj *tim = aj_get(resumed.meta, "timing");
        t_fwd_before = aj_num(aj_get(tim, "forward"));
        t_mom_before = aj_num(aj_get(tim, "moments"));
        /* Each layer's statistics are of this model's width and budget,
         * and hold the rows the checkpoint says were measured. */
        for (int i = 0; i < mt.n_meas; i++)
            if (aniso_moments_dim(mt.m[i]) != d || aniso_moments_keep_limit(mt.m[i]) != keep ||
                aniso_moments_count(mt.m[i]) != cnt.measured) {
                st = aniso_error_set(err, ANISO_FORMAT,
                                     "%s: layer %d's statistics do not match the checkpoint's "
                                     "description (width, row budget or count)",
                                     ckpt, mt.ids[i]);
                goto fail;
            }
        /* The input up to the checkpoint, read again: it must be the same
         * tokens. */
        uint64_t h = FNV1A64_START;
        for (uint64_t i = 0; i < skip; i++) {
            int r = source_next(&src, &q, err);
            if (r < 0) {
                st = ERRCODE(err);
                goto fail;
            }
            if (r == 0) {
                st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                     "%s: the input has fewer sequences than the checkpoint", ckpt);
                goto fail;
            }
            h = fnv1a64(h, q.ids, q.n * sizeof *q.ids);
        }
        char hx[17];
        const char *had = aj_str(aj_get(aj_get(resumed.meta, "progress"), "ids_hash"));
        if (!had || strcmp(had, hex64(h, hx))) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "%s: the input's tokens up to the checkpoint are not those the "
                                 "checkpoint measured (the corpus changed?)",
                                 ckpt);
            goto fail;
        }
        cnt.ids_hash = h;
    }
    run->result.t_load = now() - t_start;
    /* Every rank set up (model, input, checkpoint) before any measures. */
    if (co && (st = coll_agree(co, ANISO_OK, err, &coll_failed))) goto fail;

    /* Chunks of whole sequences through the model. */
    double t_fwd0 = now(), t_fwd = 0, last_ckpt_tokens = (double)cnt.tokens;
    uint64_t run_tokens = 0;
    for (;;) {
        ch->n_seq = ch->n_tok = ch->n_sel = 0;
        ch->offsets[0] = 0;
        int end = 0;
        while (ch->n_tok < ch->cap) {
            seq *s = &pending;
            if (!have_pending) {
                int r = source_next(&src, &q, err);
                if (r < 0) {
                    st = ERRCODE(err);
                    goto fail;
                }
                if (r == 0) {
                    end = 1;
                    break;
                }
                s = &q;
            }
            if (ch->n_tok + s->n > ch->cap) {
                if (s == &q) { /* keep it for the next chunk */
                    seq t = pending;
                    pending = q;
                    q = t;
                    have_pending = 1;
                }
                break;
            }
            have_pending = 0;
            size_t at = ch->n_tok;
            memcpy(ch->ids + at, s->ids, s->n * sizeof *s->ids);
            aniso_token_roles(tk, s->ids, s->n, s->n_before, s->n_after, ch->roles + at);
            for (size_t i = 0; i < s->n; i++) {
                ch->pos[at + i] = (uint32_t)i;
                ch->prompt[at + i] = s->prompt;
            }
            ch->n_tok += s->n;
            ch->offsets[++ch->n_seq] = ch->n_tok;
        }
        if (ch->n_seq == 0) break;
        /* The mask (and the control's, without first tokens), and the counts. */
        ch->n_sel_nf = 0;
        for (size_t sq = 0; sq < ch->n_seq; sq++) {
            size_t sel0 = ch->n_sel, nf0 = ch->n_sel_nf;
            for (size_t i = ch->offsets[sq]; i < ch->offsets[sq + 1]; i++) {
                unsigned r = ch->roles[i];
                cnt.bos += (r & ANISO_TOKEN_BOS) != 0;
                cnt.special += (r & ANISO_TOKEN_SPECIAL) != 0;
                cnt.first += (r & ANISO_TOKEN_FIRST) != 0;
                long p = (long)ch->pos[i];
                if ((r & o->mask.exclude) || p < o->mask.pos_from ||
                    (o->mask.pos_to > 0 && p >= o->mask.pos_to)) {
                    cnt.excluded++;
                    continue;
                }
                ch->sel[ch->n_sel++] = i;
                if (mt.m_nf && !(r & ANISO_TOKEN_FIRST)) ch->sel_nf[ch->n_sel_nf++] = i;
                if (ch->prompt[i] >= 0) run->tokens_per_prompt[ch->prompt[i]]++;
            }
            ch->unit_rows[sq] = ch->n_sel - sel0;
            ch->unit_rows_nf[sq] = ch->n_sel_nf - nf0;
        }
        cnt.measured_nf += ch->n_sel_nf;
        cnt.measured += ch->n_sel;
        mt.row_base = cnt.tokens;
        cnt.tokens += ch->n_tok;
        cnt.ids_hash = fnv1a64(cnt.ids_hash, ch->ids, ch->n_tok * sizeof *ch->ids);
        cnt.sequences += ch->n_seq;
        run_tokens += ch->n_tok;
        if (ch->n_sel) {
            aniso_batch b = {ch->ids, ch->offsets, ch->n_seq};
            if ((st = aniso_run(plan, state, &b, on_tap, &mt, err))) {
                /* the forward numbers the chunk's sequences from 0 */
                uint64_t first = cnt.sequences - ch->n_seq;
                if (first && err) {
                    char msg[ANISO_ERROR_MSG_MAX];
                    snprintf(msg, sizeof msg, "%s", err->msg);
                    aniso_error_set(err, st, "%s (the chunk's sequence 0 is input sequence %llu)",
                                    msg, (unsigned long long)first);
                }
                goto fail;
            }
        }
        t_fwd = now() - t_fwd0;
        if (o->progress) {
            aniso_progress pr = {run_tokens, cnt.sequences, t_fwd, -1};
            if (o->max_tokens)
                pr.fraction = (double)cnt.tokens / (double)o->max_tokens;
            else if (!src.c && src.prompts.n)
                pr.fraction = (double)src.next_prompt / (double)src.prompts.n;
            o->progress(o->progress_user, &pr);
        }
        if (ckpt && o->checkpoint_every &&
            (double)cnt.tokens - last_ckpt_tokens >= (double)o->checkpoint_every && !end) {
            desc.documents = src.documents;
            desc.t_forward = t_fwd_before + t_fwd - mt.t_moments;
            desc.t_moments = t_mom_before + mt.t_moments;
            aj *ck = meta_build(&desc);
            if (!ck) {
                st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
                goto fail;
            }
            st = partial_write(ckpt, ck, mt.m, mt.n_meas, err);
            aj_free(ck);
            if (st) goto fail;
            last_ckpt_tokens = (double)cnt.tokens;
        }
        if (end) break;
    }
    if (cnt.measured < 2 && !src.n_shards) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "%s: only %llu token%s to measure; the metrics need at least 2 (the "
                             "covariance divides by n - 1)",
                             run->source_path ? run->source_path : "prompts",
                             (unsigned long long)cnt.measured, cnt.measured == 1 ? "" : "s");
        goto fail;
    }
    /* Skipping to a checkpoint reads the same documents again, so the count
     * is this run's. */
    uint64_t documents = src.documents;
    desc.documents = documents;
    desc.t_forward = t_fwd_before + t_fwd - mt.t_moments;
    desc.t_moments = t_mom_before + mt.t_moments;
    if (ckpt) {
        if (!(meta = meta_build(&desc))) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
        if ((st = partial_write(ckpt, meta, mt.m, mt.n_meas, err))) goto fail;
    }
    aniso_run_info *info = &run->info;
    if (src.n_shards && !co) {
        /* --shard: the partial result is the output */
        *info = (aniso_run_info){.source = desc.source, .n_parts = 1};
        info_counts(info, &cnt, documents);
        run->result.n_tokens = (size_t)cnt.measured;
        run->result.model = run->model;
        goto done;
    }
    if (co) {
        /* Every rank measured its shard; rank 0 gathers the statistics.
         * What the reduction needs is allocated before the ranks agree, so
         * that no rank leaves after the others have started it. */
        aj *mine = meta ? meta : meta_build(&desc);
        run->parts = calloc((size_t)co->size, sizeof *run->parts);
        aniso_status ready = mine && run->parts
                                 ? ANISO_OK
                                 : aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        if ((st = coll_agree(co, ready, err, &coll_failed))) {
            if (mine != meta) aj_free(mine);
            goto fail;
        }
        counters mine_c = cnt;
        if (co->rank == 0)
            cnt.sequences = cnt.tokens = cnt.bos = cnt.special = cnt.first = cnt.excluded =
                cnt.measured = 0,
            documents = 0;
        if (co->rank == 0) counters_add(&cnt, &documents, mine);
        st = coll_reduce(co, mine, mt.m, mt.n_meas, &cnt, &documents, run->parts,
                         run->tokens_per_prompt, src.prompts.n, err);
        if (mine != meta) aj_free(mine);
        if (st) goto fail;
        if (co->rank != 0) {
            /* this rank's part is done; rank 0 reports */
            *info = (aniso_run_info){.source = desc.source, .n_parts = 1};
            info_counts(info, &mine_c, documents);
            run->result.n_tokens = (size_t)mine_c.measured;
            run->result.model = run->model;
            st = coll_agree(co, ANISO_OK, err, &coll_failed);
            if (st) goto fail;
            goto done;
        }
        if (cnt.measured < 2) {
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "%s: only %llu token%s to measure over all ranks; the metrics "
                                 "need at least 2",
                                 run->source_path ? run->source_path : "prompts",
                                 (unsigned long long)cnt.measured, cnt.measured == 1 ? "" : "s");
            goto fail;
        }
        desc.t_forward = 0;
        for (int r = 0; r < co->size; r++) desc.t_forward += run->parts[r].t_forward;
    }

    /* The report. */
    aniso_profile_result *r = &run->result;
    *info = (aniso_run_info){.source = desc.source,
                             .source_path = run->source_path,
                             .format = desc.format,
                             .context = src.context,
                             .max_tokens = o->max_tokens,
                             .last_layer = aniso_last_layer_name(o->last_layer),
                             .exclude = o->mask.exclude,
                             .pos_from = o->mask.pos_from,
                             .pos_to = o->mask.pos_to,
                             .n_parts = co ? co->size : 1,
                             .parts = co ? run->parts : NULL,
                             .parts_via = co ? "mpi" : NULL,
                             .n_layers_measured = mt.n_meas,
                             .n_hidden = mt.n_hidden};
    info_counts(info, &cnt, documents);
    if ((run->text_hash = malloc(17))) {
        snprintf(run->text_hash, 17, "%016llx", (unsigned long long)src.text_hash);
        info->text_hash = run->text_hash;
    }
    r->model = run->model;
    r->architecture = run->architecture;
    r->normalization = desc.normalization;
    r->family = aniso_arch_display_name(hp->arch);
    r->norm_placement = aniso_arch_norm_placement(hp->arch);
    r->dtype = run->dtype;
    r->kernels = run->kernels;
    r->n_layers = L;
    r->hidden_dim = d;
    r->n_prompts = src.c ? cnt.sequences : src.prompts.n;
    r->n_tokens = (size_t)cnt.measured;
    r->tokens_per_prompt = src.c ? NULL : run->tokens_per_prompt;
    r->skip_first_token = (o->mask.exclude & ANISO_TOKEN_FIRST) != 0;
    r->info = info;
    r->t_forward = desc.t_forward;
    r->t_moments = desc.t_moments;
    aniso_model_stats ms;
    aniso_model_stats_get(m, &ms);
    double embed = (double)hp->n_vocab * (double)d;
    double weights =
        (double)ms.n_params > embed ? (double)ms.n_params - embed : (double)ms.n_params;
    ev.fwd_flops = 2.0 * weights * (double)run_tokens;
    ev.controls = !o->no_controls;
    for (int i = 0; mt.tok && i < mt.n_meas; i++) { /* sums to means */
        aniso_layer_tokens *t = &mt.tok[i];
        for (int p = 0; p < ANISO_POS_PROFILE; p++)
            t->pos_norm[p] = t->pos_count[p] ? t->pos_norm[p] / (double)t->pos_count[p] : NAN;
        t->special_norm = t->special_count ? t->special_norm / (double)t->special_count : NAN;
        t->other_norm = t->other_count ? t->other_norm / (double)t->other_count : NAN;
    }
    ev.tokens = mt.tok;
    if ((st = finish(run, mt.m, mt.m_nf, &ev, mt.ids, mt.n_meas, L, o->last_layer, o->out_dir,
                     o->reference, t_start, err)))
        goto fail;
    /* the other ranks wait for the report */
    if (co && (st = coll_agree(co, ANISO_OK, err, &coll_failed))) goto fail;
    goto done;
fail:
    if (co && !coll_failed) coll_agree(co, st ? st : ANISO_INVALID_ARGUMENT, err, &coll_failed);
    aniso_profile_run_free(run);
    run = NULL;
done:
    free(ckpt_own);
    aj_free(meta);
    partial_free(&resumed);
    for (int i = 0; mt.m && i < mt.n_meas; i++) aniso_moments_free(mt.m[i]);
    free(mt.m), free(mt.ids), free(mt.rows), free(mt.mag), free(mt.tok);
    for (int i = 0; mt.m_nf && i < mt.n_meas; i++) aniso_moments_free(mt.m_nf[i]);
    free(mt.m_nf);
    free(mt.ch.ids), free(mt.ch.roles), free(mt.ch.pos), free(mt.ch.prompt), free(mt.ch.offsets),
        free(mt.ch.sel), free(mt.ch.sel_nf), free(mt.ch.unit_rows), free(mt.ch.unit_rows_nf);
    free(q.ids), free(pending.ids);
    aniso_state_free(state);
    aniso_plan_free(plan);
    source_free(&src);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    *out = run;
    return st;
}

/* Whether partial results a and b (shards) describe the same input apart
 * from the shard they measured. */
static aniso_status same_input_but_shard(const char *pa, const aj *a, const char *pb, const aj *b,
                                         aniso_error *err)
{
    aj *wa = aj_new_object(), *wb = aj_new_object();
    aj *ca = aj_copy(aj_get(a, "input")), *cb = aj_copy(aj_get(b, "input"));
    int bad = !wa || !wb || !ca || !cb;
    if (!bad) {
        bad = aj_set(ca, "shard", aj_new_null());
        bad = aj_set(cb, "shard", aj_new_null()) || bad;
        bad = aj_set(wa, "input", ca) || bad;
        bad = aj_set(wb, "input", cb) || bad;
        ca = cb = NULL;
    }
    aniso_status st = bad ? aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory")
                          : partial_same(pa, wa, pb, wb, "input", err);
    aj_free(ca), aj_free(cb), aj_free(wa), aj_free(wb);
    return st;
}

/* ---- aniso_merge ---- */

aniso_status aniso_merge(const char *const *paths, int n, const char *out_dir, unsigned formats,
                         const aniso_reference *reference, aniso_profile_run **out,
                         aniso_error *err)
{
    double t_start = now();
    char text_hash[17] = "", kernels[64] = "";
    int kernels_known = 1;
    *out = NULL;
    if (n < 1) return aniso_error_set(err, ANISO_INVALID_ARGUMENT, "merge: no partial results");
    /* Shards (--shard I/N, a rank's checkpoint) are merged in shard order,
     * as MPI's rank 0 reduces them, and only all of them together. */
    const char **sorted = malloc(sizeof *sorted * (size_t)n);
    int *shard_of = malloc(sizeof *shard_of * (size_t)n);
    if (!sorted || !shard_of) {
        free(sorted), free(shard_of);
        return aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
    }
    aniso_status st = ANISO_OK;
    int n_shards = -1;
    for (int i = 0; i < n && !st; i++) {
        partial pm = {0};
        if ((st = partial_read_meta(paths[i], &pm, err))) break;
        int malformed = 0;
        aniso_part_info pi = part_of(pm.meta, &malformed);
        partial_free(&pm);
        int sharded = pi.n_shards > 0;
        if (malformed)
            st = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: key 'input.shard' must be [I, N] with 0 <= I < N", paths[i]);
        else if (i > 0 && sharded != (n_shards > 0))
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "%s: a shard merged with a result that is not one (%s)",
                                 paths[sharded ? i : 0], paths[sharded ? 0 : i]);
        else if (sharded && n_shards > 0 && pi.n_shards != n_shards)
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                 "%s: shard %d of %d, where %s is one of %d", paths[i], pi.shard,
                                 pi.n_shards, paths[0], n_shards);
        else if (sharded && (pi.shard < 0 || pi.shard >= pi.n_shards))
            st = aniso_error_set(err, ANISO_FORMAT, "%s: malformed shard", paths[i]);
        n_shards = sharded ? pi.n_shards : 0;
        shard_of[i] = pi.shard;
        sorted[i] = paths[i];
    }
    if (!st && n_shards > 0) {
        for (int k = 0; k < n_shards && !st; k++) {
            int found = -1;
            for (int i = 0; i < n; i++)
                if (shard_of[i] == k) {
                    if (found >= 0)
                        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                             "%s and %s: shard %d of %d twice", paths[found],
                                             paths[i], k, n_shards);
                    found = i;
                }
            if (!st && found < 0)
                st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                     "merge: shard %d of %d is missing (give every shard)", k,
                                     n_shards);
            if (!st) sorted[k] = paths[found];
        }
        if (!st && n != n_shards)
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT, "merge: %d shards of %d given", n,
                                 n_shards);
    }
    free(shard_of);
    if (st) {
        free(sorted);
        return st;
    }
    paths = sorted;
    partial acc = {0}, p = {0};
    if ((st = partial_read(paths[0], &acc, err))) {
        free(sorted);
        return st;
    }
    aniso_profile_run *run = calloc(1, sizeof *run);
    counters cnt = {0};
    uint64_t documents = 0;
    double t_fwd = 0, t_mom = 0;
    char **seen = NULL;
    if (run) run->formats = formats;
    if (!run || !(run->parts = calloc((size_t)n, sizeof *run->parts))) {
        partial_free(&acc);
        free(run);
        free(sorted);
        return aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
    }
    /* What every part's statistics must be: the width and row budget the
     * first part's description states. */
    long long width, budget;
    if ((st = int_in(paths[0], aj_get(acc.meta, "hidden_dim"), "hidden_dim", 1, INT_MAX, &width,
                     err)) ||
        (st = int_in(paths[0], aj_get(aj_get(acc.meta, "preprocessing"), "keep_rows"),
                     "preprocessing.keep_rows", 0, LLONG_MAX, &budget, err)))
        goto fail;
    seen = calloc((size_t)n, sizeof *seen); /* each part's input and progress */
    if (!seen) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        partial *cur = &acc;
        if (i > 0) {
            if ((st = partial_read(paths[i], &p, err))) goto fail;
            cur = &p;
            const char *keys[] = {"fingerprint", "preprocessing"};
            for (int k = 0; k < 2 && !st; k++)
                st = partial_same(paths[0], acc.meta, paths[i], p.meta, keys[k], err);
            /* shards are parts of one input: the same input but for the shard */
            if (!st && n_shards > 0)
                st = same_input_but_shard(paths[0], acc.meta, paths[i], p.meta, err);
            if (st) goto fail;
            if (p.n != acc.n) {
                st = aniso_error_set(err, ANISO_FORMAT, "%s: %d layers where %s has %d", paths[i],
                                     p.n, paths[0], acc.n);
                goto fail;
            }
        }
        for (int l = 0; l < cur->n; l++)
            if (aniso_moments_dim(cur->m[l]) != width ||
                (long long)aniso_moments_keep_limit(cur->m[l]) != budget ||
                aniso_moments_count(cur->m[l]) != meta_u64(cur->meta, "progress", "measured")) {
                st = aniso_error_set(err, ANISO_FORMAT,
                                     "%s: layer statistics that do not match its description "
                                     "(width, row budget or count)",
                                     paths[i]);
                goto fail;
            }
        /* The same part twice would count its tokens twice. */
        aj *both = aj_new_array();
        int bad = !both || aj_append(both, aj_copy(aj_get(cur->meta, "input"))) ||
                  aj_append(both, aj_copy(aj_get(cur->meta, "progress")));
        seen[i] = bad ? NULL : aj_dump(both, 0);
        aj_free(both);
        if (!seen[i]) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
            goto fail;
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(seen[k], seen[i])) {
                st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                                     "%s and %s: the same part (same input and progress) twice",
                                     paths[k], paths[i]);
                goto fail;
            }
        if (i > 0)
            for (int l = 0; l < acc.n; l++)
                if ((st = aniso_moments_merge(acc.m[l], p.m[l], err))) goto fail;
        counters_add(&cnt, &documents, cur->meta);
        /* the kernels: each part's variant once, in the parts' order;
         * unknown when a part does not say */
        const char *kn = aj_str(aj_get(cur->meta, "kernels"));
        if (!kn || strlen(kn) > 15 || strchr(kn, '+'))
            kernels_known = 0;
        else if (kernels_known && !kernels_has(kernels, kn))
            snprintf(kernels + strlen(kernels), sizeof kernels - strlen(kernels), "%s%s",
                     kernels[0] ? "+" : "", kn);
        /* the input's texts: known when every part read the same */
        const char *th = aj_str(aj_get(aj_get(cur->meta, "progress"), "text_hash"));
        if (i == 0 && th && strlen(th) == 16)
            memcpy(text_hash, th, 17);
        else if (!th || strcmp(th, text_hash))
            text_hash[0] = '\0';
        run->parts[i] = part_of(cur->meta, NULL);
        t_fwd += aj_num(aj_get(aj_get(cur->meta, "timing"), "forward"));
        t_mom += aj_num(aj_get(aj_get(cur->meta, "timing"), "moments"));
        if (i > 0) partial_free(&p);
    }
    if (cnt.measured < 2) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "merge: only %llu token%s measured in all; the metrics need at least "
                             "2",
                             (unsigned long long)cnt.measured, cnt.measured == 1 ? "" : "s");
        goto fail;
    }
    const aj *meta = acc.meta, *pre = aj_get(meta, "preprocessing");
    const char *model = aj_str(aj_get(meta, "model")), *arch = aj_str(aj_get(meta, "architecture")),
               *dtype = aj_str(aj_get(meta, "dtype")),
               *norm = aj_str(aj_get(meta, "normalization")),
               *policy = aj_str(aj_get(pre, "last_layer"));
    aj *layers = aj_get(pre, "layers"), *mask = aj_get(pre, "mask"),
       *positions = aj_get(mask, "positions");
    long long nl, hd, ctx, pfrom, pto;
    if ((st = int_in(paths[0], aj_get(meta, "n_layers"), "n_layers", 1, ANISO_MAX_LAYERS, &nl,
                     err)) ||
        (st = int_in(paths[0], aj_get(meta, "hidden_dim"), "hidden_dim", 1, INT_MAX, &hd, err)) ||
        (st = int_in(paths[0], aj_get(pre, "context"), "preprocessing.context", 0, LLONG_MAX, &ctx,
                     err)) ||
        (st = int_in(paths[0], aj_at(positions, 0), "preprocessing.mask.positions[0]", 0, LONG_MAX,
                     &pfrom, err)) ||
        (st = int_in(paths[0], aj_at(positions, 1), "preprocessing.mask.positions[1]", 0, LONG_MAX,
                     &pto, err)))
        goto fail;
    int L = (int)nl, d = (int)hd;
    if (!model || !arch || !dtype || !norm || !policy || aj_size(layers) != (size_t)acc.n) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: incomplete metadata", paths[0]);
        goto fail;
    }
    aniso_last_layer pol = ANISO_LAST_HF;
    if (aniso_last_layer_parse(policy, &pol)) {
        st = aniso_error_set(err, ANISO_FORMAT, "%s: incomplete metadata", paths[0]);
        goto fail;
    }
    int *ids = malloc(sizeof *ids * (size_t)acc.n);
    if (!ids) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
        goto fail;
    }
    int n_hidden = aniso_hidden_count(L, pol);
    for (int i = 0; i < acc.n; i++) {
        aj *v = aj_at(layers, (size_t)i);
        long long id = aj_is_integer(v) ? aj_int(v) : -1;
        if (id < 0 || id >= n_hidden || (i > 0 && id <= ids[i - 1])) {
            free(ids);
            st = aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer list", paths[0]);
            goto fail;
        }
        ids[i] = (int)id;
    }
    run->model = str_dup(model);
    run->architecture = str_dup(arch);
    run->dtype = str_dup(dtype);
    if (kernels_known && kernels[0] && !(run->kernels = str_dup(kernels))) {
        free(ids);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "merge: out of memory");
        goto fail;
    }
    const char *in_path = aj_str(aj_get(aj_get(meta, "input"), "path")),
               *in_format = aj_str(aj_get(aj_get(meta, "input"), "format"));
    if (in_path) run->source_path = str_dup(in_path);
    unsigned exclude = 0;
    const char *ex = aj_str(aj_get(mask, "exclude"));
    if (!run->model || !run->architecture || !run->dtype || !ex || (in_path && !run->source_path) ||
        aniso_token_roles_parse(ex, &exclude)) {
        free(ids);
        st = aniso_error_set(err, ANISO_FORMAT, "%s: incomplete metadata", paths[0]);
        goto fail;
    }
    aniso_profile_result *r = &run->result;
    const char *kind = aj_str(aj_get(pre, "source"));
    int corpus = kind && !strcmp(kind, "corpus");
    run->info =
        (aniso_run_info){.source = corpus ? "corpus" : "prompts",
                         .source_path = run->source_path,
                         .format = corpus && in_format && !strcmp(in_format, "jsonl") ? "jsonl"
                                   : corpus                                           ? "text"
                                                                                      : NULL,
                         .context = (size_t)ctx,
                         .last_layer = aniso_last_layer_name(pol),
                         .exclude = exclude,
                         .pos_from = (long)pfrom,
                         .pos_to = (long)pto,
                         .n_parts = n,
                         .parts = run->parts,
                         .parts_via = "merge",
                         .n_layers_measured = acc.n,
                         .n_hidden = aniso_hidden_count(L, pol)};
    info_counts(&run->info, &cnt, documents);
    if (text_hash[0] && (run->text_hash = malloc(17))) {
        memcpy(run->text_hash, text_hash, 17);
        run->info.text_hash = run->text_hash;
    }
    r->model = run->model;
    r->architecture = run->architecture;
    r->normalization = !strcmp(norm, "LayerNorm") ? "LayerNorm" : "RMSNorm";
    for (int i = 0; i < ANISO_ARCH_COUNT; i++)
        if (!strcmp(aniso_arch_model_type((aniso_arch)i), arch)) {
            r->family = aniso_arch_display_name((aniso_arch)i);
            r->norm_placement = aniso_arch_norm_placement((aniso_arch)i);
        }
    r->dtype = run->dtype;
    r->kernels = run->kernels;
    r->n_layers = L;
    r->hidden_dim = d;
    r->n_prompts = (size_t)cnt.sequences;
    r->n_tokens = (size_t)cnt.measured;
    r->skip_first_token = (exclude & ANISO_TOKEN_FIRST) != 0;
    r->info = &run->info;
    r->t_forward = t_fwd;
    r->t_moments = t_mom;
    r->t_load = now() - t_start;
    evcfg ev = {.controls = 1,
                .nofirst_why = "not measured: the control without first tokens is not carried "
                               "through partial results",
                .n_boot_reason = "merged partial results: no forward pass to compare with"};
    st = finish(run, acc.m, NULL, &ev, ids, acc.n, L, pol, out_dir, reference, t_start, err);
    free(ids);
    if (st) goto fail;
    partial_free(&acc);
    for (int i = 0; seen && i < n; i++) free(seen[i]);
    free(seen);
    free(sorted);
    *out = run;
    return ANISO_OK;
fail:
    for (int i = 0; seen && i < n; i++) free(seen[i]);
    free(seen);
    free(sorted);
    partial_free(&p);
    partial_free(&acc);
    aniso_profile_run_free(run);
    return st ? st : ANISO_FORMAT;
}
