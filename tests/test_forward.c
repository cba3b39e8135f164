/* test_forward.c - hidden states against transformers (float32 compute,
 * eager attention) for every fixture in tests/fixtures/forward (saved and
 * computed by transformers 4.57) and tests/fixtures/forward-v5 (5.x): the
 * tokenizer must give AutoTokenizer's ids, and every layer must satisfy
 * max |ours - HF| / max |HF| <= 1e-5. Where 5.x reads a 4.57 folder
 * differently (hidden.v5.npy), aniso's --hf-version 5 reading must match
 * 5.x's. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

#define BOUND 1e-5

typedef struct cmp {
    const float *ref; /* (L+1, T, H) */
    size_t T;
    int H, layers_seen;
    double worst;
    const char *name;
} cmp;

static int compare_layer(void *user, int layer, const float *x, size_t n_tok, int d,
                         aniso_error *err)
{
    (void)err;
    cmp *c = user;
    assert_int_equal(n_tok, c->T);
    assert_int_equal(d, c->H);
    const float *r = c->ref + (size_t)layer * c->T * (size_t)c->H;
    double maxdiff = 0, maxref = 0;
    for (size_t i = 0; i < n_tok * (size_t)d; i++) {
        double df = fabs((double)x[i] - r[i]), a = fabs((double)r[i]);
        if (!(df <= maxdiff)) maxdiff = df; /* NaN propagates as a failure */
        if (a > maxref) maxref = a;
    }
    double rel = maxdiff / maxref;
    if (!(rel <= c->worst)) c->worst = rel;
    if (!(rel <= BOUND))
        fail_msg("%s layer %d: max|ours-HF|/max|HF| = %.3g (bound %.0e)", c->name, layer, rel,
                 BOUND);
    c->layers_seen++;
    return 0;
}

typedef struct fixture_run {
    const char *set; /* "forward" (4.57) or "forward-v5" */
    int gguf;        /* run tests/fixtures/gguf/NAME.gguf, written as llama.cpp's converter does */
    int gguf_vocab;  /* also take the tokenizer from the GGUF file */
    int v5_of_v4;    /* a 4.57 folder read by 5.x's rules against hidden.v5.npy */
} fixture_run;

static void check_fixture_run(const char *name, fixture_run r)
{
    int gguf = r.gguf, gguf_vocab = r.gguf_vocab;
    char *dir = fmt("%s/%s/%s", fixtures_dir(), r.set, name);
    char *gpath = fmt("%s/gguf/%s.gguf", fixtures_dir(), name);
    char *ppath = fmt("%s/prompts%s.json", dir, r.v5_of_v4 ? ".v5" : "");
    char *hpath = fmt("%s/hidden%s.npy", dir, r.v5_of_v4 ? ".v5" : "");
    aniso_error err;
    aniso_open_opts oo = {.config = {.semantics = r.v5_of_v4 ? ANISO_HF_V5 : ANISO_HF_AUTO}};
    aniso_model *m = aniso_model_open(gguf ? gpath : dir, &oo, &err);
    if (!m) fail_msg("%s", err.msg);
    aniso_tokenizer *tk = aniso_tokenizer_open(gguf_vocab ? gpath : dir, &oo, &err);
    if (!tk) fail_msg("%s", err.msg);
    json_error_t je;
    json_t *pj = json_load_file(ppath, 0, &je);
    if (!pj) fail_msg("%s: %s", ppath, je.text);
    json_t *prompts = json_object_get(pj, "prompts"), *want = json_object_get(pj, "ids");
    size_t np = json_array_size(prompts);
    aniso_ids ids = {0};
    size_t *offs = calloc(np + 1, sizeof *offs);
    for (size_t p = 0; p < np; p++) {
        json_t *t = json_array_get(prompts, p), *w = json_array_get(want, p);
        size_t before = ids.n;
        assert_int_equal(
            aniso_tokenizer_encode(tk, json_string_value(t), json_string_length(t), 1, &ids, &err),
            ANISO_OK);
        if (ids.n - before != json_array_size(w))
            fail_msg("%s prompt %zu: %zu ids, AutoTokenizer gives %zu", name, p, ids.n - before,
                     json_array_size(w));
        for (size_t i = 0; i < json_array_size(w); i++)
            assert_int_equal(ids.v[before + i], json_integer_value(json_array_get(w, i)));
        offs[p + 1] = ids.n;
    }
    int64_t shape[8];
    int nd;
    float *ref = aniso_npy_load(hpath, shape, &nd, &err);
    if (!ref) fail_msg("%s", err.msg);
    const aniso_hparams *hp = aniso_model_hparams(m);
    assert_int_equal(nd, 3);
    assert_int_equal(shape[0], hp->n_layer + 1);
    assert_int_equal(shape[1], ids.n);
    cmp c = {ref, ids.n, hp->d_model, 0, 0, name};
    aniso_batch b = {ids.v, offs, np};
    /* the YaRN fixture's longest prompt (158 tokens) runs past its
     * max_position_embeddings (64), as transformers computes it */
    aniso_forward_opts o = {
        .n_threads = 2, .tap = compare_layer, .tap_user = &c, .allow_long_seq = 1};
    if (aniso_forward(m, &b, &o, &err)) fail_msg("%s: %s", name, err.msg);
    assert_int_equal(c.layers_seen, hp->n_layer + 1);
    /* --last-layer raw: the last layer is the residual stream after the last
     * block (transformers' final norm input, raw_last.npy). */
    char *rpath = fmt("%s/raw_last.npy", dir);
    if (!gguf && !r.v5_of_v4) {
        int64_t rs[8];
        int rn;
        float *raw = aniso_npy_load(rpath, rs, &rn, &err);
        if (!raw) fail_msg("%s", err.msg);
        assert_int_equal(rn, 2);
        assert_int_equal(rs[0], ids.n);
        size_t lsz = ids.n * (size_t)hp->d_model;
        memcpy(ref + (size_t)hp->n_layer * lsz, raw, lsz * sizeof *raw);
        cmp c2 = {ref, ids.n, hp->d_model, 0, 0, name};
        aniso_forward_opts o2 = {.n_threads = 2,
                                 .tap = compare_layer,
                                 .tap_user = &c2,
                                 .last_layer = ANISO_LAST_RAW,
                                 .allow_long_seq = 1};
        if (aniso_forward(m, &b, &o2, &err)) fail_msg("%s: %s", name, err.msg);
        assert_int_equal(c2.layers_seen, hp->n_layer + 1);
        print_message("%-10s %-18s raw last layer: worst max|ours-HF|/max|HF| = %.2e\n", r.set,
                      name, c2.worst);
        free(raw);
    }
    free(rpath);
    print_message("%-10s %-18s%s %d layers, %zu tokens: worst layer max|ours-HF|/max|HF| = "
                  "%.2e\n",
                  r.v5_of_v4 ? "4.57 as 5" : r.set, name, gguf ? " (GGUF)" : "", hp->n_layer, ids.n,
                  c.worst);
    free(ref);
    free(offs);
    aniso_ids_free(&ids);
    json_decref(pj);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    free(dir), free(ppath), free(hpath), free(gpath);
}

#define GGUF_FIXTURE(fn, name, vocab)                                                              \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        check_fixture_run(name, (fixture_run){"forward", 1, vocab, 0});                            \
    }
GGUF_FIXTURE(gguf_llama, "llama-f32", 0)
GGUF_FIXTURE(gguf_gemma, "gemma-bf16", 0)
GGUF_FIXTURE(gguf_gemma2, "gemma2-f16", 0)
GGUF_FIXTURE(gguf_gptneox, "gptneox-f32", 1)
GGUF_FIXTURE(gguf_gpt2, "gpt2-f32", 1)
GGUF_FIXTURE(gguf_qwen3, "qwen3-bf16", 1)
GGUF_FIXTURE(gguf_olmo2, "olmo2-f32", 1)
GGUF_FIXTURE(gguf_phi3, "phi3-f32", 0)
GGUF_FIXTURE(gguf_phi3_sw, "phi3-sw-bf16", 0)
/* Llama 3.1 scaling as the converter stores it: rope_freqs */
GGUF_FIXTURE(gguf_llama3, "llama3-bf16", 0)

/* Qwen 2 and Mistral with a sliding window: the converter writes no window
 * (neither GGUF architecture has a key for it), so the files describe
 * full-attention models, which aniso computes; the vocabulary (Qwen 2's
 * pre-tokenizer) still gives AutoTokenizer's ids. */
static void gguf_no_window(void **state)
{
    (void)state;
    const char *names[] = {"qwen2-f32", "mistral-f32"};
    for (int i = 0; i < 2; i++) {
        char *gpath = fmt("%s/gguf/%s.gguf", fixtures_dir(), names[i]);
        aniso_error err;
        aniso_model *m = aniso_model_open(gpath, NULL, &err);
        if (!m) fail_msg("%s", err.msg);
        assert_int_equal(aniso_model_hparams(m)->sliding_window, 0);
        aniso_model_free(m);
        free(gpath);
    }
    char *dir = fmt("%s/forward/qwen2-f32", fixtures_dir());
    char *gpath = fmt("%s/gguf/qwen2-f32.gguf", fixtures_dir());
    aniso_error err;
    aniso_tokenizer *a = aniso_tokenizer_open(dir, NULL, &err),
                    *b = aniso_tokenizer_open(gpath, NULL, &err);
    if (!a || !b) fail_msg("%s", err.msg);
    const char *text = "Qwen 2's pre-tokenizer splits 12345 digits one by one, ca\u0301fe\u0301 ";
    aniso_ids x = {0}, y = {0};
    assert_int_equal(aniso_tokenizer_encode(a, text, strlen(text), 1, &x, &err), ANISO_OK);
    assert_int_equal(aniso_tokenizer_encode(b, text, strlen(text), 1, &y, &err), ANISO_OK);
    assert_int_equal(x.n, y.n);
    assert_memory_equal(x.v, y.v, x.n * sizeof *x.v);
    aniso_ids_free(&x), aniso_ids_free(&y);
    aniso_tokenizer_free(a), aniso_tokenizer_free(b);
    free(dir), free(gpath);
}

static const char *aniso_bin;

/* `aniso hidden` end to end: the .npy it writes holds transformers' hidden
 * states, and its token records hold AutoTokenizer's ids. */
static void hidden_command(void **state)
{
    (void)state;
    const char *name = "gemma2-f32";
    char *dir = fmt("%s/forward/%s", fixtures_dir(), name), *tmp = make_temp_dir();
    char *pfile = fmt("%s/prompts.txt", tmp), *out = fmt("%s/states.npy", tmp);
    char *tokens = fmt("%s/states.tokens.json", tmp), *ppath = fmt("%s/prompts.json", dir);
    json_error_t je;
    json_t *pj = json_load_file(ppath, 0, &je), *prompts = json_object_get(pj, "prompts");
    FILE *f = fopen(pfile, "w");
    for (size_t i = 0; i < json_array_size(prompts); i++)
        fprintf(f, "%s\n\n", json_string_value(json_array_get(prompts, i)));
    fclose(f);
    char *cmd = fmt("'%s' hidden --quiet --threads 2 --prompts '%s' --out '%s' '%s'", aniso_bin,
                    pfile, out, dir);
    assert_int_equal(system(cmd), 0);
    aniso_error err;
    int64_t s1[8], s2[8];
    int n1, n2;
    char *hpath = fmt("%s/hidden.npy", dir);
    float *ours = aniso_npy_load(out, s1, &n1, &err), *ref = aniso_npy_load(hpath, s2, &n2, &err);
    assert_non_null(ours);
    assert_non_null(ref);
    assert_int_equal(n1, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(s1[i], s2[i]);
    size_t n = (size_t)(s1[0] * s1[1] * s1[2]);
    double md = 0, mr = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(ours[i] - ref[i]) > md) md = fabs(ours[i] - ref[i]);
        if (fabs(ref[i]) > mr) mr = fabs(ref[i]);
    }
    assert_true(md / mr <= BOUND);
    /* Token records, in row order, against AutoTokenizer's ids. */
    json_t *tj = json_load_file(tokens, 0, &je), *recs = json_object_get(tj, "tokens");
    assert_non_null(tj);
    assert_int_equal(json_array_size(recs), s1[1]);
    json_t *want = json_object_get(pj, "ids");
    size_t row = 0;
    for (size_t p = 0; p < json_array_size(want); p++)
        for (size_t i = 0; i < json_array_size(json_array_get(want, p)); i++, row++) {
            json_t *r = json_array_get(recs, row);
            assert_int_equal(json_integer_value(json_object_get(r, "prompt")), p);
            assert_int_equal(json_integer_value(json_object_get(r, "position")), i);
            assert_int_equal(json_integer_value(json_object_get(r, "id")),
                             json_integer_value(json_array_get(json_array_get(want, p), i)));
        }
    /* A bad prompt file leaves nothing behind. */
    f = fopen(pfile, "w");
    fputs("ok\nbad \xff\n", f);
    fclose(f);
    remove(out);
    remove(tokens);
    assert_int_not_equal(system(cmd), 0);
    assert_int_not_equal(access(out, F_OK), 0);
    assert_int_not_equal(access(tokens, F_OK), 0);
    json_decref(tj);
    json_decref(pj);
    free(ours), free(ref), free(hpath), free(cmd);
    rm_rf(tmp);
    free(dir), free(tmp), free(pfile), free(out), free(tokens), free(ppath);
}

/* ---- Checks before and during the pass ---- */

static int count_layers(void *user, int layer, const float *x, size_t n_tok, int d,
                        aniso_error *err)
{
    (void)layer, (void)x, (void)n_tok, (void)d, (void)err;
    ++*(int *)user;
    return 0;
}

/* aniso_forward on n_prompts prompts of ids, prompt p at [offs[p], offs[p + 1]). */
static aniso_status forward_ids(const aniso_model *m, const int32_t *ids, const size_t *offs,
                                size_t n_prompts, aniso_forward_opts *o, aniso_error *err)
{
    aniso_batch b = {ids, offs, n_prompts};
    return aniso_forward(m, &b, o, err);
}

/* A fixture model copied into a fresh folder (*tmp, to be removed), its
 * weights file patched by the caller. */
static char *copy_fixture(const char *set, const char *name, char **tmp)
{
    *tmp = make_temp_dir();
    char *src = fmt("%s/%s/%s", fixtures_dir(), set, name), *dst = fmt("%s/%s", *tmp, name);
    assert_int_equal(mkdir(dst, 0700), 0);
    copy_dir_files(src, dst);
    free(src);
    return dst;
}

/* The error of a forward pass of three short prompts through the model at
 * dir, which must fail with code. */
static void expect_forward_error(const char *dir, aniso_status code, const char *want)
{
    aniso_error err;
    aniso_model *m = aniso_model_open(dir, NULL, &err);
    if (!m) fail_msg("%s", err.msg);
    int32_t ids[] = {1, 9, 3, 4, 1, 5, 6, 1, 7, 8, 2};
    size_t offs[] = {0, 4, 7, 11};
    int seen = 0;
    aniso_forward_opts o = {.n_threads = 2, .tap = count_layers, .tap_user = &seen};
    /* twice: a failed check is not recorded as passed */
    for (int k = 0; k < 2; k++) {
        aniso_status st = forward_ids(m, ids, offs, 3, &o, &err);
        if (st != code || strcmp(err.msg, want))
            fail_msg("got %d '%s'\nwant %d '%s'", st, err.msg, code, want);
    }
    aniso_model_free(m);
}

/* A NaN or infinity in a weight is found where the forward pass reads it,
 * and named: file, tensor and element (in the file's order, whatever view
 * or row order the model uses), for every dtype and layout. */
static void nonfinite_weights(void **state)
{
    (void)state;
    struct {
        const char *set, *name, *tensor;
        size_t elem;
        float v;
        const char *kind;
    } cases[] = {
        {"forward", "llama-f32", "model.layers.1.mlp.up_proj.weight", 1234, NAN, "NaN"},
        {"forward", "llama-f32", "model.layers.2.input_layernorm.weight", 10, INFINITY, "Inf"},
        {"forward", "llama-f32", "model.layers.0.self_attn.k_proj.bias", 31, -INFINITY, "-Inf"},
        /* the embedding row of token 9, column 7 */
        {"forward", "llama-f32", "model.embed_tokens.weight", 9 * 64 + 7, NAN, "NaN"},
        {"forward", "gemma-bf16", "model.layers.0.mlp.gate_proj.weight", 1234, INFINITY, "Inf"},
        {"forward", "gemma2-f16", "model.layers.1.self_attn.k_proj.weight", 2047, NAN, "NaN"},
        /* Phi-3's fused qkv_proj: row 100 is in the v part (rows 96..127) */
        {"forward", "phi3-f32", "model.layers.1.self_attn.qkv_proj.weight", 100 * 64 + 3, NAN,
         "NaN"},
        /* GPT-2's Conv1D c_attn, stored (in 64, out 192): column 130 is in v */
        {"forward", "gpt2-f32", "transformer.h.0.attn.c_attn.weight", 10 * 192 + 130, INFINITY,
         "Inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *tmp, *dir = copy_fixture(cases[i].set, cases[i].name, &tmp);
        char *st = fmt("%s/model.safetensors", dir);
        patch_tensor(st, cases[i].tensor, cases[i].elem, cases[i].v);
        char *want = fmt("%s: tensor '%s' holds a non-finite value (%s) at element %zu", st,
                         cases[i].tensor, cases[i].kind, cases[i].elem);
        expect_forward_error(dir, ANISO_FORMAT, want);
        free(want), free(st), free(dir);
        rm_rf(tmp);
        free(tmp);
    }
    /* A GGUF file's Llama q rows are permuted for llama.cpp's RoPE: the
     * element is still the file's. */
    char *tmp = make_temp_dir(), *src = fmt("%s/gguf/llama-f32.gguf", fixtures_dir());
    char *dst = fmt("%s/llama.gguf", tmp);
    size_t len;
    unsigned char *img = (unsigned char *)read_text(src, &len);
    aniso_error err;
    aniso_gguf *g = aniso_gguf_open(src, &err);
    if (!g) fail_msg("%s", err.msg);
    const aniso_tensor *q = aniso_gguf_find_tensor(g, "blk.1.attn_q.weight");
    assert_non_null(q);
    unsigned char *at = NULL; /* where its first 64 floats are in the file */
    for (size_t i = 0; i + 256 <= len && !at; i += 4)
        if (!memcmp(img + i, q->data, 256)) at = img + i;
    assert_non_null(at);
    size_t elem = 5 * 64 + 3; /* file row 5 */
    float nan = NAN;
    memcpy(at + 4 * elem, &nan, 4);
    write_file(dst, img, len);
    char *want =
        fmt("%s: tensor 'blk.1.attn_q.weight' holds a non-finite value (NaN) at element %zu", dst,
            elem);
    expect_forward_error(dst, ANISO_FORMAT, want);
    aniso_gguf_free(g);
    free(want), free(img), free(src), free(dst);
    rm_rf(tmp);
    free(tmp);
}

/* Exit status of a shell command. */
static int run_status(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Finite weights whose sums overflow float32: the pass stops at the first
 * layer whose states are not finite, naming it, the token and the
 * dimension; `aniso hidden` and `aniso profile` fail (exit 1) and write
 * nothing. */
static void overflowing_states(void **state)
{
    (void)state;
    char *tmp, *dir = copy_fixture("forward", "llama-f32", &tmp);
    char *st = fmt("%s/model.safetensors", dir);
    /* block 1 adds 3e38 to dimension 12 twice (attention and MLP output):
     * finite weights, an infinite sum */
    patch_tensor(st, "model.layers.1.self_attn.o_proj.bias", 12, 3e38f);
    patch_tensor(st, "model.layers.1.mlp.down_proj.bias", 12, 3e38f);
    char *want = fmt("%s: the hidden states of layer 2 are not finite (Inf at token 0 of sequence "
                     "0, dimension 12): float32 overflowed",
                     dir);
    expect_forward_error(dir, ANISO_UNSUPPORTED, want);
    char *prompts = fmt("%s/prompts.txt", tmp), *npy = fmt("%s/out.npy", tmp),
         *tokens = fmt("%s/out.tokens.json", tmp), *out = fmt("%s/report", tmp),
         *log = fmt("%s/stderr.txt", tmp);
    write_text(prompts, "In the beginning\nwas the word\n");
    char *cmd = fmt("'%s' hidden --quiet --threads 2 --prompts '%s' --out '%s' '%s' 2>'%s'",
                    aniso_bin, prompts, npy, dir, log);
    assert_int_equal(run_status(cmd), 1);
    assert_int_not_equal(access(npy, F_OK), 0);
    assert_int_not_equal(access(tokens, F_OK), 0);
    char *text = read_text(log, NULL);
    if (!strstr(text, "the hidden states of layer 2 are not finite (Inf at token 0 of sequence 0, "
                      "dimension 12): float32 overflowed"))
        fail_msg("aniso hidden said: %s", text);
    free(text), free(cmd);
    cmd = fmt("'%s' profile --quiet --threads 2 --prompts '%s' --out '%s' '%s' 2>'%s'", aniso_bin,
              prompts, out, dir, log);
    assert_int_equal(run_status(cmd), 1);
    assert_int_not_equal(access(out, F_OK), 0);
    text = read_text(log, NULL);
    if (!strstr(text, "the hidden states of layer 2 are not finite"))
        fail_msg("aniso profile said: %s", text);
    free(text), free(cmd);
    free(prompts), free(npy), free(tokens), free(out), free(log), free(want), free(st), free(dir);
    rm_rf(tmp);
    free(tmp);
}

/* Prompts and windows longer than max_position_embeddings are refused before
 * any work, naming the prompt, its length and the limit; a dynamic rope has
 * no limit; a corpus's default context is cut to the limit. */
static void sequence_limits(void **state)
{
    (void)state;
    char *yarn = fmt("%s/forward/llama-yarn-f32", fixtures_dir()),
         *dyn = fmt("%s/forward/llama-dynamic-f32", fixtures_dir());
    aniso_error err;
    aniso_model *m = aniso_model_open(yarn, NULL, &err), *md = aniso_model_open(dyn, NULL, &err);
    assert_non_null(m);
    assert_non_null(md);
    assert_int_equal(aniso_max_seq_len(aniso_model_hparams(m)), 64);
    assert_int_equal(aniso_max_seq_len(aniso_model_hparams(md)), 0); /* n_pos 24, dynamic */
    int32_t ids[100];
    for (int i = 0; i < 100; i++) ids[i] = 3 + i % 50;
    size_t offs[] = {0, 30, 95, 100};
    int seen = 0;
    aniso_forward_opts o = {.n_threads = 1, .tap = count_layers, .tap_user = &seen};
    assert_int_equal(forward_ids(m, ids, offs, 3, &o, &err), ANISO_INVALID_ARGUMENT);
    char *want = fmt("%s: prompt 1 has 65 tokens, more than the model's 64 positions "
                     "(max_position_embeddings); shorten it, or measure long text in windows "
                     "with --corpus FILE --context N (N at most 64)",
                     yarn);
    assert_string_equal(err.msg, want);
    assert_int_equal(seen, 0);
    o.allow_long_seq = 1;
    assert_int_equal(forward_ids(m, ids, offs, 3, &o, &err), ANISO_OK);
    assert_int_equal(seen, 4);
    o.allow_long_seq = 0;
    assert_int_equal(forward_ids(md, ids, offs, 3, &o, &err), ANISO_OK);
    /* aniso_profile: prompts, then corpus windows */
    char *tmp = make_temp_dir(), *pf = fmt("%s/prompts.txt", tmp), *cf = fmt("%s/corpus.txt", tmp),
         *out = fmt("%s/out", tmp);
    char *longline = calloc(1, 4000);
    for (int i = 0; i < 300; i++) strcat(longline, i % 2 ? "dog " : "cat ");
    char *ptext = fmt("a short prompt\n%s\n", longline);
    write_text(pf, ptext);
    write_text(cf, ptext);
    aniso_profile_opts po = {.model = yarn,
                             .prompts_file = pf,
                             .out_dir = out,
                             .n_threads = 1,
                             .formats = ANISO_FIG_NONE};
    aniso_profile_run *run = NULL;
    assert_int_equal(aniso_profile(&po, &run, &err), ANISO_INVALID_ARGUMENT);
    if (strncmp(err.msg, "profile: prompt 1 has ", 22) ||
        !strstr(err.msg, " tokens, more than the 64 positions of ") ||
        !strstr(err.msg, "(max_position_embeddings); measure long text in windows with --corpus "
                         "FILE --context N (N at most 64)"))
        fail_msg("%s", err.msg);
    po.prompts_file = NULL;
    po.corpus_file = cf;
    po.context = 65;
    assert_int_equal(aniso_profile(&po, &run, &err), ANISO_INVALID_ARGUMENT);
    free(want);
    want = fmt("profile: --context 65 is more than the 64 positions of %s "
               "(max_position_embeddings); give --context 64 or less",
               yarn);
    assert_string_equal(err.msg, want);
    po.context = 0; /* the default, 512, is cut to the model's 64 */
    if (aniso_profile(&po, &run, &err)) fail_msg("%s", err.msg);
    assert_int_equal(run->info.context, 64);
    aniso_profile_run_free(run);
    free(longline), free(ptext), free(want);
    rm_rf(tmp);
    free(tmp), free(pf), free(cf), free(out);
    aniso_model_free(m), aniso_model_free(md);
    free(yarn), free(dyn);
}

/* The pass's memory is estimated before anything is allocated and checked
 * against max_memory (or what the system has). */
static void memory_limit(void **state)
{
    (void)state;
    char *dir = fmt("%s/forward/llama-f32", fixtures_dir());
    aniso_error err;
    aniso_model *m = aniso_model_open(dir, NULL, &err);
    assert_non_null(m);
    int32_t ids[600];
    for (int i = 0; i < 600; i++) ids[i] = 3 + i % 500;
    size_t offs[] = {0, 200, 400, 600};
    int seen = 0;
    aniso_forward_opts o = {
        .n_threads = 1, .tap = count_layers, .tap_user = &seen, .max_memory = 100000};
    assert_int_equal(forward_ids(m, ids, offs, 3, &o, &err), ANISO_NO_MEMORY);
    /* 600 tokens: (4 x 64 + 2 x 64 + 2 x 32 + 2 x 128) floats each, and more */
    double mib = 0;
    sscanf(err.msg, "forward needs about %lf", &mib);
    char *want = fmt("forward needs about %.1f MiB; 97.7 KiB is the limit (--max-memory to change "
                     "the limit)",
                     mib);
    assert_string_equal(err.msg, want);
    free(want);
    assert_true(mib > 600.0 * 704 * 4 / 1048576 && mib < 10);
    assert_int_equal(seen, 0);
    o.max_memory = (uint64_t)1 << 40;
    assert_int_equal(forward_ids(m, ids, offs, 3, &o, &err), ANISO_OK);
    o.max_memory = 0; /* what the system has: enough */
    assert_int_equal(forward_ids(m, ids, offs, 3, &o, &err), ANISO_OK);
    aniso_model_free(m);
    free(dir);
}

/* Every family in both versions' fixtures, and 5.x's reading of the 4.57
 * folder where it differs. */
static void check_fixture(const char *name)
{
    check_fixture_run(name, (fixture_run){"forward", 0, 0, 0});
    check_fixture_run(name, (fixture_run){"forward-v5", 0, 0, 0});
    char *v5 = fmt("%s/forward/%s/hidden.v5.npy", fixtures_dir(), name);
    if (access(v5, F_OK) == 0) check_fixture_run(name, (fixture_run){"forward", 0, 0, 1});
    free(v5);
}

#define FIXTURE(fn, name)                                                                          \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        check_fixture(name);                                                                       \
    }
FIXTURE(llama_f32, "llama-f32")
FIXTURE(llama3_bf16, "llama3-bf16")
FIXTURE(gemma_f32, "gemma-f32")
FIXTURE(gemma_bf16, "gemma-bf16")
FIXTURE(gemma2_f32, "gemma2-f32")
FIXTURE(gemma2_f16, "gemma2-f16")
FIXTURE(gemma3_f32, "gemma3-f32")
FIXTURE(gemma3_bf16, "gemma3-bf16")
FIXTURE(gptneox_f32, "gptneox-f32")
FIXTURE(gptneox_seq_bf16, "gptneox-seq-bf16")
FIXTURE(gpt2_f32, "gpt2-f32")
FIXTURE(gpt2_scaled_bf16, "gpt2-scaled-bf16")
FIXTURE(qwen2_f32, "qwen2-f32")
FIXTURE(qwen3_bf16, "qwen3-bf16")
FIXTURE(mistral_f32, "mistral-f32")
FIXTURE(phi3_f32, "phi3-f32")
FIXTURE(phi3_sw_bf16, "phi3-sw-bf16")
FIXTURE(olmo2_f32, "olmo2-f32")
FIXTURE(llama_yarn_f32, "llama-yarn-f32")
FIXTURE(llama_dynamic_f32, "llama-dynamic-f32")

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_forward ANISO_BINARY\n");
        return 2;
    }
    aniso_bin = argv[1];
    test_kernels_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nonfinite_weights), cmocka_unit_test(overflowing_states),
        cmocka_unit_test(sequence_limits),   cmocka_unit_test(memory_limit),
        cmocka_unit_test(hidden_command),    cmocka_unit_test(gguf_llama),
        cmocka_unit_test(gguf_gemma),        cmocka_unit_test(gguf_gemma2),
        cmocka_unit_test(gguf_gptneox),      cmocka_unit_test(gguf_gpt2),
        cmocka_unit_test(gguf_qwen3),        cmocka_unit_test(gguf_olmo2),
        cmocka_unit_test(gguf_phi3),         cmocka_unit_test(gguf_phi3_sw),
        cmocka_unit_test(gguf_llama3),       cmocka_unit_test(gguf_no_window),
        cmocka_unit_test(llama_f32),         cmocka_unit_test(llama3_bf16),
        cmocka_unit_test(gemma_f32),         cmocka_unit_test(gemma_bf16),
        cmocka_unit_test(gemma2_f32),        cmocka_unit_test(gemma2_f16),
        cmocka_unit_test(gemma3_f32),        cmocka_unit_test(gemma3_bf16),
        cmocka_unit_test(gptneox_f32),       cmocka_unit_test(gptneox_seq_bf16),
        cmocka_unit_test(gpt2_f32),          cmocka_unit_test(gpt2_scaled_bf16),
        cmocka_unit_test(qwen2_f32),         cmocka_unit_test(qwen3_bf16),
        cmocka_unit_test(mistral_f32),       cmocka_unit_test(phi3_f32),
        cmocka_unit_test(phi3_sw_bf16),      cmocka_unit_test(olmo2_f32),
        cmocka_unit_test(llama_yarn_f32),    cmocka_unit_test(llama_dynamic_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
