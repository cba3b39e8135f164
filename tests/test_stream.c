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
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static const char *slice; /* the corpus slice's path */

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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_stream CORPUS_SLICE\n");
        return 2;
    }
    slice = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gram_regime),           cmocka_unit_test(moments_regime),
        cmocka_unit_test(merged_halves),         cmocka_unit_test(resumed_run),
        cmocka_unit_test(layers_and_last_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
