/* test_gguf_real.c - the real Gemma 3 270M GGUF (Q4_K_M, downloaded and
 * cached by scripts/fetch-default-model.sh): its tokenizer against the real
 * Gemma 3 tokenizer.json's goldens (the tokenizers library) on the whole
 * corpus, and its hidden states against transformers on the same file
 * (tests/fixtures/gguf, tools/oracle/make_gguf_oracle.py): identical ids,
 * and per layer max |ours - HF| / max |HF| <= 1e-4.
 *
 * Usage: test_gguf_real MODEL.gguf */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static const char *model_path;

static void tokenizer_matches_tokenizer_json(void **state)
{
    (void)state;
    aniso_error err;
    aniso_tokenizer *tk = aniso_tokenizer_open(model_path, NULL, &err);
    if (!tk) fail_msg("%s", err.msg);
    char *cp = fmt("%s/tokenizers/corpus.jsonl", fixtures_dir());
    char *gp = fmt("%s/tokenizers/gemma3.ids.jsonl", fixtures_dir());
    FILE *fc = fopen(cp, "rb"), *fg = fopen(gp, "rb");
    assert_non_null(fc);
    assert_non_null(fg);
    char *lc = NULL, *lg = NULL;
    size_t cc = 0, cg = 0, n = 0, bad = 0;
    aniso_ids ids = {0};
    json_error_t je;
    while (getline(&lc, &cc, fc) > 0 && getline(&lg, &cg, fg) > 0) {
        json_t *c = json_loads(lc, JSON_ALLOW_NUL, &je), *g = json_loads(lg, 0, &je);
        json_t *t = json_object_get(c, "text"), *want = json_object_get(g, "ids");
        ids.n = 0;
        if (aniso_tokenizer_encode(tk, json_string_value(t), json_string_length(t), 1, &ids, &err))
            fail_msg("string %zu: %s", n, err.msg);
        int same = ids.n == json_array_size(want);
        for (size_t k = 0; same && k < ids.n; k++)
            same = ids.v[k] == json_integer_value(json_array_get(want, k));
        if (!same && bad++ < 5)
            print_error("string %zu (%.50s): %zu ids, tokenizer.json gives %zu\n", n,
                        json_string_value(t), ids.n, json_array_size(want));
        json_decref(c);
        json_decref(g);
        n++;
    }
    assert_true(n >= 400);
    if (bad) fail_msg("%zu of %zu strings differ from the Gemma 3 tokenizer.json", bad, n);
    free(lc), free(lg), free(cp), free(gp);
    fclose(fc), fclose(fg);
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
}

typedef struct rows_cmp {
    const float *rows; /* (L+1, k, H) */
    const size_t *idx;
    size_t k;
    const double *layer_max;
    double worst;
} rows_cmp;

static int compare(void *user, int layer, const float *x, size_t n, int d, aniso_error *err)
{
    (void)n, (void)err;
    rows_cmp *c = user;
    double md = 0;
    for (size_t r = 0; r < c->k; r++)
        for (int j = 0; j < d; j++) {
            double diff = fabs((double)x[c->idx[r] * (size_t)d + (size_t)j] -
                               c->rows[((size_t)layer * c->k + r) * (size_t)d + (size_t)j]);
            if (!(diff <= md)) md = diff;
        }
    double rel = md / c->layer_max[layer];
    if (!(rel <= c->worst)) c->worst = rel;
    if (!(rel <= 1e-4)) fail_msg("layer %d: max|ours-HF|/max|HF| = %.3g (bound 1e-4)", layer, rel);
    return 0;
}

static void hidden_states_match_transformers(void **state)
{
    (void)state;
    aniso_error err;
    char *op = fmt("%s/gguf/oracle.json", fixtures_dir()),
         *rp = fmt("%s/gguf/rows.npy", fixtures_dir());
    json_error_t je;
    json_t *o = json_load_file(op, 0, &je);
    assert_non_null(o);
    aniso_model *m = aniso_model_open(model_path, NULL, &err);
    if (!m) fail_msg("%s", err.msg);
    aniso_tokenizer *tk = aniso_tokenizer_open(model_path, NULL, &err);
    assert_non_null(tk);
    json_t *prompts = json_object_get(o, "prompts"), *want = json_object_get(o, "ids");
    size_t np = json_array_size(prompts);
    size_t *off = calloc(np + 1, sizeof *off);
    aniso_ids ids = {0};
    for (size_t p = 0; p < np; p++) {
        json_t *t = json_array_get(prompts, p), *w = json_array_get(want, p);
        assert_int_equal(
            aniso_tokenizer_encode(tk, json_string_value(t), json_string_length(t), 1, &ids, &err),
            ANISO_OK);
        assert_int_equal(ids.n - off[p], json_array_size(w));
        for (size_t i = 0; i < json_array_size(w); i++)
            assert_int_equal(ids.v[off[p] + i], json_integer_value(json_array_get(w, i)));
        off[p + 1] = ids.n;
    }
    int64_t shape[8];
    int nd;
    float *rows = aniso_npy_load(rp, shape, &nd, &err);
    assert_non_null(rows);
    json_t *ri = json_object_get(o, "rows"), *lm = json_object_get(o, "layer_max_abs");
    size_t k = json_array_size(ri), L1 = json_array_size(lm);
    assert_int_equal(shape[0], L1);
    assert_int_equal(shape[1], k);
    size_t *idx = malloc(k * sizeof *idx);
    double *lmax = malloc(L1 * sizeof *lmax);
    for (size_t i = 0; i < k; i++) idx[i] = (size_t)json_integer_value(json_array_get(ri, i));
    for (size_t i = 0; i < L1; i++) lmax[i] = json_number_value(json_array_get(lm, i));
    rows_cmp c = {rows, idx, k, lmax, 0};
    aniso_batch b = {ids.v, off, np};
    aniso_forward_opts fo = {.n_threads = 2, .tap = compare, .tap_user = &c};
    if (aniso_forward(m, &b, &fo, &err)) fail_msg("%s", err.msg);
    print_message("gemma-3-270m Q4_K_M: %zu tokens, worst layer max|ours-HF|/max|HF| = %.2e\n",
                  ids.n, c.worst);
    free(idx), free(lmax), free(rows), free(off), free(op), free(rp);
    aniso_ids_free(&ids);
    json_decref(o);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_gguf_real MODEL.gguf\n");
        return 2;
    }
    model_path = argv[1];
    test_kernels_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenizer_matches_tokenizer_json),
        cmocka_unit_test(hidden_states_match_transformers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
