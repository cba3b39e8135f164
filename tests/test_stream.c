/* test_stream.c - corpus profiles against the direct route.
 *
 * The reference is built here, independently of the pipeline: the corpus
 * slice (the King James Bible, scripts/fetch-corpus.sh) is split into
 * documents by this file, each document is tokenized once and cut into
 * windows of the context, the windows go through the one-shot forward pass
 * (checked against transformers by test_forward), the mask is applied by
 * position and role, and each layer's rows go to aniso_metrics_compute
 * (checked against numpy/scipy float64 by test_metrics). The pipeline's
 * streamed profile must agree to 1e-9 relative in both regimes (fewer rows
 * than d: the Gram route; more: the moments), with and without masks and
 * for several chunk sizes. Then: two partial results of disjoint halves
 * merged against one run (1e-12), a run resumed from a checkpoint taken
 * midway against an uninterrupted one (identical), layer subsets and the
 * raw last layer, and the errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "util.h"

static const char *slice; /* the corpus slice's path */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- The reference ---- */

typedef struct docs {
    char **text;
    size_t n;
} docs;

/* Documents: runs of non-blank lines joined with "\n". */
static docs read_docs(const char *path, size_t first, size_t count)
{
    char *all = read_text(path, NULL);
    docs d = {calloc(4096, sizeof(char *)), 0};
    size_t k = 0;
    char *p = all;
    while (*p) {
        while (*p == '\n') p++;
        if (!*p) break;
        char *e = strstr(p, "\n\n");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && p[n - 1] == '\n') n--;
        if (k >= first && d.n < count) {
            d.text[d.n] = malloc(n + 1);
            memcpy(d.text[d.n], p, n);
            d.text[d.n++][n] = '\0';
        }
        k++;
        p += n;
    }
    free(all);
    return d;
}

static void docs_free(docs *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->text[i]);
    free(d->text);
}

static void write_docs(const char *path, const docs *d)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < d->n; i++) fprintf(f, "%s%s\n", i ? "\n" : "", d->text[i]);
    fclose(f);
}

typedef struct ref {
    int n_hidden, d;
    float **rows; /* per hidden-state layer: the masked rows */
    size_t n_rows, cap;
} ref;

typedef struct refctx {
    ref *r;
    const unsigned char *keep; /* per token of the batch */
    size_t n_tok;
} refctx;

static int collect(void *user, int layer, const float *x, size_t n_tok, int d, aniso_error *err)
{
    (void)err;
    refctx *c = user;
    ref *r = c->r;
    size_t at = r->n_rows;
    for (size_t t = 0, k = 0; t < n_tok; t++)
        if (c->keep[t]) {
            memcpy(r->rows[layer] + (at + k) * (size_t)d, x + t * (size_t)d, (size_t)d * sizeof *x);
            k++;
        }
    return 0;
}

/* The reference metrics of the model over docs: windows of context tokens
 * (BOS and the like as the tokenizer adds them), max_tokens in all (0: no
 * limit), rows kept unless their role is excluded or their position is
 * outside [from, to). */
static aniso_layer_metrics *reference(const char *model, const docs *dd, size_t context,
                                      uint64_t max_tokens, unsigned exclude, long from, long to,
                                      aniso_last_layer pol, size_t *n_rows)
{
    aniso_error err;
    aniso_model *m = aniso_model_open(model, NULL, &err);
    aniso_tokenizer *tk = aniso_tokenizer_open(model, NULL, &err);
    assert_non_null(m);
    assert_non_null(tk);
    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_ids before = {0}, after = {0};
    assert_int_equal(aniso_tokenizer_specials(tk, &before, &after, &err), ANISO_OK);
    size_t body = context - before.n - after.n;
    ref r = {aniso_hidden_count(hp->n_layer, pol), hp->d_model, NULL, 0, 1 << 16};
    r.rows = calloc((size_t)r.n_hidden, sizeof *r.rows);
    for (int l = 0; l < r.n_hidden; l++) r.rows[l] = malloc(r.cap * (size_t)r.d * sizeof(float));
    uint64_t fed = 0;
    for (size_t i = 0; i < dd->n; i++) {
        aniso_ids ids = {0};
        assert_int_equal(
            aniso_tokenizer_encode(tk, dd->text[i], strlen(dd->text[i]), 0, &ids, &err), ANISO_OK);
        for (size_t a = 0; a < ids.n; a += body) {
            size_t take = ids.n - a < body ? ids.n - a : body;
            if (max_tokens && fed + before.n + take + after.n > max_tokens) {
                if (max_tokens - fed <= before.n + after.n) break;
                take = (size_t)(max_tokens - fed) - before.n - after.n;
            }
            size_t n = before.n + take + after.n;
            int32_t *w = malloc(n * sizeof *w);
            unsigned char *keep = malloc(n);
            if (before.n) memcpy(w, before.v, before.n * sizeof *w);
            memcpy(w + before.n, ids.v + a, take * sizeof *w);
            if (after.n) memcpy(w + before.n + take, after.v, after.n * sizeof *w);
            size_t kept = 0;
            for (size_t t = 0; t < n; t++) {
                unsigned role = 0;
                if (t < before.n) role |= ANISO_TOKEN_BOS | ANISO_TOKEN_SPECIAL;
                if (t >= n - after.n || aniso_tokenizer_is_special(tk, w[t]))
                    role |= ANISO_TOKEN_SPECIAL;
                if (t == 0) role |= ANISO_TOKEN_FIRST;
                keep[t] = !(role & exclude) && (long)t >= from && (to <= 0 || (long)t < to);
                kept += keep[t];
            }
            assert_true(r.n_rows + kept <= r.cap);
            size_t off[2] = {0, n};
            aniso_batch b = {w, off, 1};
            refctx c = {&r, keep, n};
            aniso_forward_opts fo = {
                .n_threads = 2, .tap = collect, .tap_user = &c, .last_layer = pol};
            assert_int_equal(aniso_forward(m, &b, &fo, &err), ANISO_OK);
            r.n_rows += kept;
            fed += n;
            free(w);
            free(keep);
            if (max_tokens && fed >= max_tokens) break;
        }
        aniso_ids_free(&ids);
        if (max_tokens && fed >= max_tokens) break;
    }
    aniso_layer_metrics *out = calloc((size_t)r.n_hidden, sizeof *out);
    for (int l = 0; l < r.n_hidden; l++) {
        assert_int_equal(aniso_metrics_compute(r.rows[l], r.n_rows, (size_t)r.d, &out[l], &err),
                         ANISO_OK);
        free(r.rows[l]);
    }
    free(r.rows);
    *n_rows = r.n_rows;
    aniso_ids_free(&before);
    aniso_ids_free(&after);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    return out;
}

/* ---- Comparisons ---- */

static double rel(double a, double b)
{
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return s > 0 ? fabs(a - b) / s : 0;
}

/* (clang-format reflows this list differently on every pass) */
// clang-format off
#define FIELDS(X) \
    X(eigenvalue_variance) X(intrinsic_dim_ratio) X(effective_rank) X(avg_cos_sim_to_mean) \
    X(var_top1) X(var_top10) X(var_top50) X(mean_norm) X(std_norm) X(norm_cv)
// clang-format on

static void expect_layer(const aniso_layer_metrics *a, const aniso_layer_metrics *b, double tol,
                         const char *what, int layer)
{
#define CHECK(f)                                                                                   \
    if (!(rel(a->f, b->f) <= tol))                                                                 \
        fail_msg("%s layer %d: %s %.17g vs %.17g (rel %.3g)", what, layer, #f, a->f, b->f,         \
                 rel(a->f, b->f));
    FIELDS(CHECK)
#undef CHECK
}

static aniso_profile_run *profile(aniso_profile_opts *o)
{
    aniso_profile_run *run = NULL;
    aniso_error err;
    if (aniso_profile(o, &run, &err)) fail_msg("%s", err.msg);
    return run;
}

/* ---- Tests ---- */

typedef struct scase {
    const char *model;
    size_t context;
    uint64_t max_tokens;
    unsigned exclude;
    long from, to;
    size_t chunk;
} scase;

static void check_against_reference(scase c, int want_gram)
{
    char *model = fmt("%s/forward/%s", fixtures_dir(), c.model), *tmp = make_temp_dir();
    docs d = read_docs(slice, 0, 100000);
    size_t n_rows;
    aniso_layer_metrics *want = reference(model, &d, c.context, c.max_tokens, c.exclude, c.from,
                                          c.to, ANISO_LAST_HF, &n_rows);
    aniso_profile_opts o = {.model = model,
                            .corpus_file = slice,
                            .context = c.context,
                            .max_tokens = c.max_tokens,
                            .mask = {c.exclude, c.from, c.to},
                            .chunk_tokens = c.chunk,
                            .out_dir = tmp,
                            .n_threads = 2};
    aniso_profile_run *run = profile(&o);
    const aniso_profile_result *r = &run->result;
    assert_int_equal(r->n_tokens, n_rows);
    assert_int_equal(r->n_measured, r->n_layers + 1);
    assert_int_equal(n_rows < (size_t)r->hidden_dim, want_gram);
    char what[128];
    snprintf(what, sizeof what, "%s ctx %zu max %llu excl %u pos %ld:%ld chunk %zu", c.model,
             c.context, (unsigned long long)c.max_tokens, c.exclude, c.from, c.to, c.chunk);
    for (int l = 0; l <= r->n_layers; l++) expect_layer(&want[l], &r->layers[l], 1e-9, what, l);
    print_message("%s: %zu rows, %d layers within 1e-9\n", what, n_rows, r->n_layers + 1);
    aniso_profile_run_free(run);
    free(want);
    docs_free(&d);
    rm_rf(tmp);
    free(tmp), free(model);
}

static void gram_regime(void **state)
{
    (void)state;
    /* 60 tokens, fewer rows than d = 64 */
    check_against_reference((scase){"gemma3-f32", 24, 60, 0, 0, 0, 0}, 1);
    check_against_reference((scase){"llama-f32", 16, 60, ANISO_TOKEN_BOS, 0, 0, 40}, 1);
}

static void moments_regime(void **state)
{
    (void)state;
    check_against_reference((scase){"gemma3-f32", 32, 3000, 0, 0, 0, 0}, 0);
    check_against_reference((scase){"gemma3-f32", 32, 3000, ANISO_TOKEN_FIRST, 0, 0, 96}, 0);
    check_against_reference((scase){"gptneox-f32", 48, 2500, 0, 4, 40, 1000}, 0);
    check_against_reference(
        (scase){"llama3-bf16", 64, 4000, ANISO_TOKEN_BOS | ANISO_TOKEN_SPECIAL, 0, 0, 64}, 0);
}

static aniso_profile_run *merge(const char *const *parts, int n, const char *out)
{
    aniso_profile_run *run = NULL;
    aniso_error err;
    if (aniso_merge(parts, n, out, 0, NULL, &run, &err)) fail_msg("%s", err.msg);
    return run;
}

static void merged_halves(void **state)
{
    (void)state;
    char *model = fmt("%s/forward/gemma2-f32", fixtures_dir()), *tmp = make_temp_dir();
    docs all = read_docs(slice, 0, 100000), a = read_docs(slice, 0, all.n / 2),
         b = read_docs(slice, all.n / 2, 100000);
    char *fa = fmt("%s/a.txt", tmp), *fb = fmt("%s/b.txt", tmp), *fall = fmt("%s/all.txt", tmp);
    char *ca = fmt("%s/a.part", tmp), *cb = fmt("%s/b.part", tmp), *out = fmt("%s/out", tmp);
    write_docs(fa, &a);
    write_docs(fb, &b);
    write_docs(fall, &all);
    aniso_profile_opts o = {.model = model,
                            .corpus_file = fall,
                            .context = 40,
                            .mask = {ANISO_TOKEN_BOS, 0, 0},
                            .out_dir = out,
                            .n_threads = 2};
    aniso_profile_run *whole = profile(&o);
    o.corpus_file = fa;
    o.checkpoint = ca;
    aniso_profile_run_free(profile(&o));
    o.corpus_file = fb;
    o.checkpoint = cb;
    aniso_profile_run_free(profile(&o));
    const char *parts[] = {ca, cb};
    aniso_profile_run *m = merge(parts, 2, out);
    assert_int_equal(m->result.n_tokens, whole->result.n_tokens);
    assert_int_equal(m->info.n_tokens_seen, whole->info.n_tokens_seen);
    assert_int_equal(m->info.n_documents, all.n);
    assert_int_equal(m->info.n_parts, 2);
    assert_int_equal(m->result.analysis.L_star, whole->result.analysis.L_star);
    for (int l = 0; l <= whole->result.n_layers; l++)
        expect_layer(&whole->result.layers[l], &m->result.layers[l], 1e-12, "merged", l);
    print_message("two halves (%zu + %zu documents, %zu rows) merged: within 1e-12 of one run\n",
                  a.n, b.n, whole->result.n_tokens);
    aniso_profile_run_free(m);
    /* The same part twice would count it twice. */
    const char *twice[] = {ca, cb, ca};
    aniso_profile_run *dup = NULL;
    aniso_error derr;
    assert_int_not_equal(aniso_merge(twice, 3, out, 0, NULL, &dup, &derr), ANISO_OK);
    char *dmsg = fmt("%s and %s: the same part (same input and progress) twice", ca, ca);
    assert_string_equal(derr.msg, dmsg);
    free(dmsg);
    /* Parts of different profiles are refused, naming the difference. */
    o.mask.exclude = 0;
    o.checkpoint = cb;
    aniso_profile_run_free(profile(&o));
    aniso_profile_run *bad = NULL;
    aniso_error err;
    assert_int_not_equal(aniso_merge(parts, 2, out, 0, NULL, &bad, &err), ANISO_OK);
    char *want = fmt("%s and %s: not parts of one profile (their 'preprocessing' differ)", ca, cb);
    assert_string_equal(err.msg, want);
    free(want);
    aniso_profile_run_free(whole);
    docs_free(&all), docs_free(&a), docs_free(&b);
    rm_rf(tmp);
    free(tmp), free(model), free(fa), free(fb), free(fall), free(ca), free(cb), free(out);
}

/* Copies the checkpoint midway, as an interrupted run would leave it. */
typedef struct midway {
    const char *ckpt, *copy;
    int calls, at;
} midway;

static void snapshot(void *user, const aniso_progress *p)
{
    (void)p;
    midway *mw = user;
    if (++mw->calls != mw->at) return;
    size_t n;
    char *data = read_text(mw->ckpt, &n);
    write_file(mw->copy, data, n);
    free(data);
}

static void resumed_run(void **state)
{
    (void)state;
    char *model = fmt("%s/forward/gemma-f32", fixtures_dir()), *tmp = make_temp_dir();
    char *ck = fmt("%s/run.ckpt", tmp), *mid = fmt("%s/mid.ckpt", tmp), *out = fmt("%s/out", tmp);
    char *corpus = fmt("%s/corpus.txt", tmp);
    size_t clen;
    char *text = read_text(slice, &clen);
    write_file(corpus, text, clen);
    midway mw = {ck, mid, 0, 4};
    aniso_profile_opts o = {.model = model,
                            .corpus_file = corpus,
                            .context = 32,
                            .max_tokens = 6000,
                            .chunk_tokens = 256,
                            .checkpoint = ck,
                            .checkpoint_every = 500,
                            .out_dir = out,
                            .n_threads = 2,
                            .progress = snapshot,
                            .progress_user = &mw};
    aniso_profile_run *whole = profile(&o);
    assert_true(mw.calls > 4);
    o.checkpoint = mid;
    o.resume = 1;
    o.progress = NULL;
    aniso_profile_run *res = profile(&o);
    assert_int_equal(res->result.n_tokens, whole->result.n_tokens);
    assert_int_equal(res->info.n_tokens_seen, 6000);
    assert_int_equal(res->info.n_documents, whole->info.n_documents);
    for (int l = 0; l <= whole->result.n_layers; l++)
        assert_memory_equal(&whole->result.layers[l], &res->result.layers[l],
                            sizeof whole->result.layers[l]);
    print_message("resumed from a checkpoint of %d chunks: identical to the uninterrupted run\n",
                  mw.at - 1);
    aniso_profile_run_free(res);
    /* The same file name with other text up to the checkpoint is refused. */
    char *at = strstr(text, "light");
    memcpy(at, "LIGHT", 5);
    write_file(corpus, text, clen);
    aniso_profile_run *changed = NULL;
    aniso_error cerr;
    assert_int_not_equal(aniso_profile(&o, &changed, &cerr), ANISO_OK);
    /* (the change may shift the windows, or only their tokens) */
    char *c1 = fmt("%s: the input's tokens up to the checkpoint are not those the checkpoint "
                   "measured (the corpus changed?)",
                   mid);
    char *c2 = fmt("%s: the input has fewer sequences than the checkpoint", mid);
    if (strcmp(cerr.msg, c1) && strcmp(cerr.msg, c2)) fail_msg("unexpected: %s", cerr.msg);
    free(c1);
    free(c2);
    memcpy(at, "light", 5);
    write_file(corpus, text, clen);
    free(text);
    /* A checkpoint of another preprocessing is refused. */
    o.context = 40;
    aniso_profile_run *bad = NULL;
    aniso_error err;
    assert_int_not_equal(aniso_profile(&o, &bad, &err), ANISO_OK);
    char *want =
        fmt("%s and this run: not parts of one profile (their 'preprocessing' differ)", mid);
    assert_string_equal(err.msg, want);
    free(want);
    /* A damaged one too. */
    size_t n;
    char *data = read_text(mid, &n);
    data[n / 2] ^= 1;
    write_file(mid, data, n);
    free(data);
    o.context = 32;
    assert_int_not_equal(aniso_profile(&o, &bad, &err), ANISO_OK);
    want = fmt("%s: checksum mismatch (the file is damaged)", mid);
    assert_string_equal(err.msg, want);
    free(want);
    aniso_profile_run_free(whole);
    rm_rf(tmp);
    free(tmp), free(model), free(ck), free(mid), free(out), free(corpus);
}

static void layers_and_last_layer(void **state)
{
    (void)state;
    char *model = fmt("%s/forward/gemma2-f32", fixtures_dir()), *tmp = make_temp_dir();
    aniso_profile_opts o = {.model = model,
                            .corpus_file = slice,
                            .context = 32,
                            .max_tokens = 2000,
                            .out_dir = tmp,
                            .n_threads = 2,
                            .last_layer = ANISO_LAST_BOTH};
    aniso_profile_run *all = profile(&o);
    assert_int_equal(all->result.n_measured, 5);
    assert_non_null(all->result.raw_last);
    /* The raw last layer, against the reference's. */
    docs d = read_docs(slice, 0, 100000);
    size_t n_rows;
    aniso_layer_metrics *want = reference(model, &d, 32, 2000, 0, 0, 0, ANISO_LAST_BOTH, &n_rows);
    expect_layer(&want[5], all->result.raw_last, 1e-9, "raw last", 4);
    expect_layer(&want[4], &all->result.layers[4], 1e-9, "hf last", 4);
    /* A subset measures the same numbers at those layers. */
    o.layers = "1,3-4";
    o.last_layer = ANISO_LAST_HF;
    aniso_profile_run *sub = profile(&o);
    assert_int_equal(sub->result.n_measured, 3);
    int ids[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sub->result.layer_ids[i], ids[i]);
        assert_memory_equal(&sub->result.layers[i], &all->result.layers[ids[i]],
                            sizeof sub->result.layers[i]);
    }
    aniso_profile_run_free(sub);
    aniso_error err;
    aniso_profile_run *bad = NULL;
    o.layers = "2,9";
    assert_int_not_equal(aniso_profile(&o, &bad, &err), ANISO_OK);
    assert_string_equal(err.msg, "profile: --layers '2,9' is not a list of layers 0..4 (such as "
                                 "0,4,8-12)");
    free(want);
    docs_free(&d);
    aniso_profile_run_free(all);
    rm_rf(tmp);
    free(tmp), free(model);
}

/* ---- Memory, and what a checkpoint may hold ---- */

/* A field of /proc/self/status in kB ("VmRSS:"), or -1. */
static long long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long v = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n)) v = atoll(line + n);
    if (f) fclose(f);
    return v;
}

/* Bytes from "12.5 MiB" at s. */
static double parse_bytes(const char *s)
{
    double v;
    char unit[8];
    if (sscanf(s, "%lf %7s", &v, unit) != 2) return -1;
    const char *units[] = {"bytes", "KiB", "MiB", "GiB"};
    for (int i = 0; i < 4; i++)
        if (!strncmp(unit, units[i], strlen(units[i]))) return v * pow(1024, i);
    return -1;
}

/* The profile's memory estimate, made before anything is allocated: a
 * limit below it is refused with the estimate, one above passes; and it is
 * within a factor of 2 of the peak resident memory the run adds (VmHWM,
 * reset through clear_refs). */
static void memory_estimate(void **state)
{
    (void)state;
    char *model = fmt("%s/forward/llama-f32", fixtures_dir()), *tmp = make_temp_dir();
    char *corpus = fmt("%s/corpus.txt", tmp);
    /* the slice three times: chunks of 8192 tokens, filled */
    char *one = read_text(slice, NULL), *three = fmt("%s\n%s\n%s", one, one, one);
    write_text(corpus, three);
    free(one), free(three);
    aniso_profile_opts o = {.model = model,
                            .corpus_file = corpus,
                            .context = 256,
                            .chunk_tokens = 8192,
                            .max_tokens = 3 * 8192,
                            .out_dir = tmp,
                            .n_threads = 1,
                            .formats = ANISO_FIG_NONE,
                            .max_memory = 100000};
    aniso_profile_run *run = NULL;
    aniso_error err;
    assert_int_equal(aniso_profile(&o, &run, &err), ANISO_NO_MEMORY);
    const char *head = "profile needs about ";
    if (strncmp(err.msg, head, strlen(head)) || !strstr(err.msg, " (forward ") ||
        !strstr(err.msg, ", analysis ") ||
        !strstr(err.msg, "); 97.7 KiB is the limit (--max-memory to change the limit)"))
        fail_msg("%s", err.msg);
    double est = parse_bytes(err.msg + strlen(head));
    /* 8192 tokens: (4 x 64 + 2 x 64 + 2 x 32 + 2 x 128 + 64) floats each */
    assert_true(est > 8192.0 * 768 * 4 && est < 64.0 * 1048576);
    o.max_memory = (uint64_t)est + (uint64_t)est / 50 + 4096; /* rounding of the message */
    run = profile(&o);
    assert_true(run->info.n_tokens_seen > 2 * 8192); /* full chunks */
    aniso_profile_run_free(run);
    /* The peak this run adds, in this process: large blocks mapped (and
     * unmapped when freed) whatever was freed before, the heap trimmed,
     * the peak reset to the resident memory now (clear_refs). */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    malloc_trim(0);
    int reset = 0;
    FILE *cr = UNDER_ASAN ? NULL : fopen("/proc/self/clear_refs", "w");
    if (cr) {
        reset = fputs("5", cr) >= 0;
        reset = fclose(cr) == 0 && reset;
    }
    if (UNDER_ASAN) { /* its allocator keeps freed memory (quarantine) and shadows it */
        print_message("memory estimate %.1f MiB: no peak measured under AddressSanitizer\n",
                      est / 1048576);
    } else if (!reset) {
        print_message("memory estimate %.1f MiB: no peak measured (clear_refs)\n", est / 1048576);
    } else {
        long long base = status_kb("VmRSS:");
        o.max_memory = 0;
        run = profile(&o);
        double used = (double)(status_kb("VmHWM:") - base) * 1024;
        aniso_profile_run_free(run);
        print_message("memory estimate %.1f MiB, peak resident memory added %.1f MiB\n",
                      est / 1048576, used / 1048576);
        assert_true(est <= 2.0 * used && used <= 2.0 * est);
    }
    rm_rf(tmp);
    free(tmp), free(model), free(corpus);
}

/* A checkpoint's parts: header, metadata text, the layers' bytes. */
typedef struct ckpt {
    unsigned char *p;
    size_t n, meta_at, meta_len;
} ckpt;

static ckpt ckpt_read(const char *path)
{
    ckpt c;
    c.p = (unsigned char *)read_text(path, &c.n);
    uint64_t len;
    memcpy(&len, c.p + 16, 8); /* after "ANISOPR\0", version, byte order */
    c.meta_at = 24, c.meta_len = (size_t)len;
    return c;
}

/* Writes c with its metadata's first `from` replaced by `to` and the
 * checksum (CRC-32 of all before it) made again. */
static void ckpt_write(const char *path, ckpt *c, const char *from, const char *to)
{
    char *meta = malloc(c->meta_len + 1);
    memcpy(meta, c->p + c->meta_at, c->meta_len);
    meta[c->meta_len] = 0;
    char *at = from ? strstr(meta, from) : NULL;
    if (from && !at) fail_msg("no '%s' in the checkpoint's metadata", from);
    char *m2 = from ? fmt("%.*s%s%s", (int)(at - meta), meta, to, at + strlen(from)) : meta;
    uint64_t len = strlen(m2);
    size_t rest = c->n - (c->meta_at + c->meta_len) - 4, n = c->meta_at + (size_t)len + rest;
    unsigned char *out = malloc(n + 4);
    memcpy(out, c->p, 16);
    memcpy(out + 16, &len, 8);
    memcpy(out + 24, m2, (size_t)len);
    memcpy(out + 24 + len, c->p + c->meta_at + c->meta_len, rest);
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), out, (uInt)n);
    memcpy(out + n, &crc, 4);
    write_file(path, out, n + 4);
    if (m2 != meta) free(m2);
    free(meta), free(out);
}

/* Statistics that are not finite (a damaged, re-checksummed checkpoint)
 * give an error naming the layer and why; numbers of a checkpoint out of
 * range are errors naming the key. */
static void checkpoint_values_checked(void **state)
{
    (void)state;
    char *model = fmt("%s/forward/llama-f32", fixtures_dir()), *tmp = make_temp_dir();
    char *ck = fmt("%s/p.part", tmp), *bad = fmt("%s/bad.part", tmp), *out = fmt("%s/out", tmp);
    aniso_profile_opts o = {.model = model,
                            .corpus_file = slice,
                            .context = 32,
                            .max_tokens = 600,
                            .keep_rows = 4, /* the moments regime */
                            .checkpoint = ck,
                            .out_dir = out,
                            .n_threads = 2,
                            .formats = ANISO_FIG_NONE};
    aniso_profile_run_free(profile(&o));
    const char *parts[] = {bad};
    aniso_profile_run *run = NULL;
    aniso_error err;
    ckpt c = ckpt_read(ck);
    /* layer 0's M2[0][0]: after its header (40 bytes), mean, unit (d = 64
     * doubles each), the norms' two moments and the count of zero rows */
    size_t layer0 = c.meta_at + c.meta_len + 4, m2 = layer0 + 40 + 2 * 64 * 8 + 24;
    double nan = NAN, keep;
    memcpy(&keep, c.p + m2, 8);
    memcpy(c.p + m2, &nan, 8);
    ckpt_write(bad, &c, NULL, NULL);
    assert_int_equal(aniso_merge(parts, 1, out, ANISO_FIG_NONE, NULL, &run, &err),
                     ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "layer 0: metrics: the covariance of the 600 x 64 matrix holds "
                                 "non-finite values (its rows are too large for float64, or not "
                                 "finite)");
    memcpy(c.p + m2, &keep, 8);
    struct {
        const char *from, *to, *msg;
    } cases[] = {
        {"\"n_layers\":3", "\"n_layers\":4294967299",
         "key 'n_layers' must be an integer from 1 to 4096, found 4294967299"},
        {"\"hidden_dim\":64", "\"hidden_dim\":-64",
         "key 'hidden_dim' must be an integer from 1 to 2147483647, found -64"},
        {"\"context\":32", "\"context\":3.5",
         "key 'preprocessing.context' must be an integer from 0 to 9223372036854775807, found a "
         "number"},
        {"\"positions\":[0,0]", "\"positions\":[0,-1]",
         "key 'preprocessing.mask.positions[1]' must be an integer from 0 to "
         "9223372036854775807, found -1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ckpt_write(bad, &c, cases[i].from, cases[i].to);
        assert_int_equal(aniso_merge(parts, 1, out, ANISO_FIG_NONE, NULL, &run, &err),
                         ANISO_FORMAT);
        char *want = fmt("%s: %s", bad, cases[i].msg);
        assert_string_equal(err.msg, want);
        free(want);
    }
    ckpt_write(bad, &c, NULL, NULL); /* undamaged: merges */
    assert_int_equal(aniso_merge(parts, 1, out, ANISO_FIG_NONE, NULL, &run, &err), ANISO_OK);
    aniso_profile_run_free(run);
    free(c.p);
    rm_rf(tmp);
    free(tmp), free(model), free(ck), free(bad), free(out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_stream CORPUS_SLICE\n");
        return 2;
    }
    slice = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gram_regime),
        cmocka_unit_test(moments_regime),
        cmocka_unit_test(merged_halves),
        cmocka_unit_test(resumed_run),
        cmocka_unit_test(layers_and_last_layer),
        cmocka_unit_test(memory_estimate),
        cmocka_unit_test(checkpoint_values_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
