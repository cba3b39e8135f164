/* test_model.c - opening model folders and cache ids: every fixture that
 * transformers wrote (dimensions and parameter counts checked against what
 * transformers reported in oracle.json), and one named case per kind of bad
 * input, each checked for its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static const char *fixtures[] = {"llama-tiny",      "llama-tiny-sharded", "gemma-tiny",
                                 "gemma-tiny-bf16", "gemma2-tiny",        "gemma3-tiny",
                                 "gptneox-tiny"};

static void fixtures_match_transformers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char *dir = fmt("%s/models/%s", fixtures_dir(), fixtures[i]);
        char *oracle = fmt("%s/oracle.json", dir);
        aniso_error err;
        aniso_model *m = aniso_model_open(dir, NULL, &err);
        if (!m) fail_msg("%s: %s", fixtures[i], err.msg);
        const aniso_hparams *hp = aniso_model_hparams(m);
        aniso_model_stats s;
        aniso_model_stats_get(m, &s);
        assert_int_equal(s.n_params, json_int_field(oracle, "num_parameters"));
        assert_int_equal(hp->n_layer, json_int_field(oracle, "n_layer"));
        assert_int_equal(hp->d_model, json_int_field(oracle, "d_model"));
        assert_int_equal(hp->n_head, json_int_field(oracle, "n_head"));
        assert_int_equal(hp->n_head_kv, json_int_field(oracle, "n_head_kv"));
        assert_int_equal(hp->d_head, json_int_field(oracle, "d_head"));
        assert_int_equal(hp->d_ff, json_int_field(oracle, "d_ff"));
        assert_int_equal(hp->n_vocab, json_int_field(oracle, "n_vocab"));
        assert_int_equal(s.n_ignored, 0);
        /* Every layer's weights are bound, and global ones ignore the layer. */
        assert_non_null(aniso_model_weight(m, ANISO_ROLE_TOK_EMBD, 0));
        assert_ptr_equal(aniso_model_weight(m, ANISO_ROLE_TOK_EMBD, 1),
                         aniso_model_weight(m, ANISO_ROLE_TOK_EMBD, 0));
        assert_non_null(aniso_model_weight(m, ANISO_ROLE_ATTN_NORM, hp->n_layer - 1));
        assert_non_null(aniso_model_weight(m, ANISO_ROLE_FFN_DOWN, hp->n_layer - 1));
        assert_null(aniso_model_weight(m, ANISO_ROLE_FFN_DOWN, hp->n_layer));
        aniso_model_free(m);
        free(oracle);
        free(dir);
    }
}

static void architecture_traits(void **state)
{
    (void)state;
    aniso_error err;
    char *dir = fmt("%s/models/gptneox-tiny", fixtures_dir());
    aniso_model *m = aniso_model_open(dir, NULL, &err);
    assert_non_null(m);
    const aniso_hparams *hp = aniso_model_hparams(m);
    assert_int_equal(hp->arch, ANISO_ARCH_GPTNEOX);
    assert_string_equal(aniso_norm_name(aniso_arch_norm(hp->arch)), "LayerNorm");
    assert_non_null(aniso_model_weight(m, ANISO_ROLE_ATTN_QKV, 0));
    assert_null(aniso_model_weight(m, ANISO_ROLE_ATTN_Q, 0));
    assert_true(hp->attn_bias);
    assert_string_equal(hp->architecture, "GPTNeoXForCausalLM");
    aniso_model_free(m);
    free(dir);

    dir = fmt("%s/models/gemma3-tiny", fixtures_dir());
    m = aniso_model_open(dir, NULL, &err);
    assert_non_null(m);
    assert_string_equal(aniso_norm_name(aniso_arch_norm(aniso_model_hparams(m)->arch)), "RMSNorm");
    assert_non_null(aniso_model_weight(m, ANISO_ROLE_ATTN_Q_NORM, 1));
    assert_non_null(aniso_model_weight(m, ANISO_ROLE_FFN_POST_NORM, 1));
    assert_true(aniso_model_hparams(m)->tie_embd);
    assert_null(aniso_model_weight(m, ANISO_ROLE_LM_HEAD, 0));
    aniso_model_free(m);
    free(dir);
}

/* A writable copy of a fixture in a temporary folder. */
typedef struct {
    char *tmp, *dir;
} scratch;

static scratch copy_fixture(const char *name)
{
    scratch s;
    s.tmp = make_temp_dir();
    s.dir = fmt("%s/%s", s.tmp, name);
    mkdir(s.dir, 0755);
    char *src = fmt("%s/models/%s", fixtures_dir(), name);
    copy_dir_files(src, s.dir);
    free(src);
    return s;
}

static void scratch_free(scratch *s)
{
    rm_rf(s->tmp);
    free(s->tmp);
    free(s->dir);
}

/* Opens dir and expects failure with exactly msg (printf-formatted). */
static void expect_open_error(const char *dir, const char *msgfmt, ...)
    __attribute__((format(printf, 2, 3)));
static void expect_open_error(const char *dir, const char *msgfmt, ...)
{
    char want[2048];
    va_list ap;
    va_start(ap, msgfmt);
    vsnprintf(want, sizeof want, msgfmt, ap);
    va_end(ap);
    aniso_error err;
    aniso_model *m = aniso_model_open(dir, NULL, &err);
    if (m) aniso_model_free(m);
    assert_null(m);
    assert_string_equal(err.msg, want);
}

static void replace_in_file(const char *path, const char *from, const char *to)
{
    char *text = read_text(path, NULL);
    char *at = strstr(text, from);
    assert_non_null(at);
    *at = '\0';
    char *out = fmt("%s%s%s", text, to, at + strlen(from));
    write_text(path, out);
    free(out);
    free(text);
}

static void missing_config(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *cfg = fmt("%s/config.json", s.dir);
    unlink(cfg);
    expect_open_error(s.dir, "%s: not found (not a Hugging Face model folder)", cfg);
    free(cfg);
    scratch_free(&s);
}

static void config_not_json(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *cfg = fmt("%s/config.json", s.dir);
    write_text(cfg, "{\"model_type\": \"llama\",");
    expect_open_error(s.dir,
                      "%s: not valid JSON (line 1, column 23: string or '}' expected "
                      "near end of file)",
                      cfg);
    write_text(cfg, "[\"llama\"]");
    expect_open_error(s.dir, "%s: expected a JSON object, found array", cfg);
    free(cfg);
    scratch_free(&s);
}

static void config_missing_key(void **state)
{
    (void)state;
    scratch s = copy_fixture("gemma-tiny");
    char *cfg = fmt("%s/config.json", s.dir);
    replace_in_file(cfg, "\"hidden_size\"", "\"hidden_size_renamed\"");
    expect_open_error(s.dir, "%s: missing required key 'hidden_size'", cfg);
    write_text(cfg, "{\"hidden_size\": 32}");
    expect_open_error(s.dir, "%s: missing required key 'model_type'", cfg);
    free(cfg);
    scratch_free(&s);
}

static void config_bad_values(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *cfg = fmt("%s/config.json", s.dir);
    char *orig = read_text(cfg, NULL);
    replace_in_file(cfg, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": \"2\"");
    expect_open_error(s.dir, "%s: key 'num_hidden_layers' must be an integer, found string", cfg);
    write_text(cfg, orig);
    replace_in_file(cfg, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0");
    expect_open_error(s.dir, "%s: key 'num_hidden_layers' = 0 is out of range (1 to 4096)", cfg);
    write_text(cfg, orig);
    replace_in_file(cfg, "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3");
    expect_open_error(
        s.dir, "%s: num_attention_heads (4) is not a multiple of num_key_value_heads (3)", cfg);
    write_text(cfg, orig);
    replace_in_file(cfg, "\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": -1");
    expect_open_error(s.dir, "%s: key 'rms_norm_eps' must be a positive number", cfg);
    write_text(cfg, orig);
    replace_in_file(cfg, "\"head_dim\": 8,", "");
    replace_in_file(cfg, "\"hidden_size\": 32", "\"hidden_size\": 33");
    expect_open_error(s.dir, "%s: hidden_size (33) is not a multiple of num_attention_heads (4)",
                      cfg);
    free(orig);
    free(cfg);
    scratch_free(&s);

    /* GPT-NeoX ignores head_dim, so a fractional head size is an error even
     * with one present (found by fuzz_config_index). */
    s = copy_fixture("gptneox-tiny");
    cfg = fmt("%s/config.json", s.dir);
    replace_in_file(cfg, "\"hidden_size\": 32", "\"head_dim\": 8, \"hidden_size\": 2");
    expect_open_error(s.dir, "%s: hidden_size (2) is not a multiple of num_attention_heads (4)",
                      cfg);
    free(cfg);
    scratch_free(&s);
}

static void unsupported_model_type(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *cfg = fmt("%s/config.json", s.dir);
    replace_in_file(cfg, "\"model_type\": \"llama\"", "\"model_type\": \"bert\"");
    expect_open_error(s.dir,
                      "%s: unsupported model_type 'bert' (supported: gemma, gemma2, gemma3_text, "
                      "gpt2, gpt_neox, llama, mistral, olmo2, phi3, qwen2, qwen3)",
                      cfg);
    free(cfg);
    scratch_free(&s);
}

static void no_weights(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *w = fmt("%s/model.safetensors", s.dir);
    unlink(w);
    expect_open_error(s.dir,
                      "%s: no weights (neither model.safetensors nor model.safetensors.index.json)",
                      s.dir);
    free(w);
    scratch_free(&s);
}

static void weights_header_errors(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    char *w = fmt("%s/model.safetensors", s.dir);
    unsigned char big[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    write_file(w, big, sizeof big);
    expect_open_error(s.dir,
                      "%s: header length 65535 is larger than the rest of the file (8 "
                      "bytes)",
                      w);
    size_t len;
    unsigned char *img = st_image("{\"x\": 1}", 0, &len);
    write_file(w, img, len);
    expect_open_error(s.dir, "%s: tensor 'x': expected an object, found integer", w);
    free(img);
    free(w);
    scratch_free(&s);
}

/* Rewrites DIR/model.safetensors from the fixture's tensor list after edit. */
static void rewrite_weights(const char *dir, void (*edit)(st_tensor *, size_t *))
{
    char *w = fmt("%s/model.safetensors", dir);
    size_t n;
    st_tensor *t = read_tensor_list(w, &n);
    edit(t, &n);
    write_safetensors(w, t, n);
    free(t);
    free(w);
}

static st_tensor *find_t(st_tensor *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return &t[i];
    fail_msg("no tensor %s", name);
    return NULL;
}

static void drop_up_proj(st_tensor *t, size_t *n)
{
    st_tensor *x = find_t(t, *n, "model.layers.1.mlp.up_proj.weight");
    *x = t[--*n];
}

static void reshape_q_proj(st_tensor *t, size_t *n)
{
    find_t(t, *n, "model.layers.0.self_attn.q_proj.weight")->shape[1] = 31;
}

static void int_embedding(st_tensor *t, size_t *n)
{
    snprintf(find_t(t, *n, "model.embed_tokens.weight")->dtype, 8, "I32");
}

static void norm_as_matrix(st_tensor *t, size_t *n)
{
    st_tensor *x = find_t(t, *n, "model.norm.weight");
    x->n_dims = 2;
    x->shape[1] = 1;
}

static void missing_tensor(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    rewrite_weights(s.dir, drop_up_proj);
    expect_open_error(s.dir,
                      "%s/model.safetensors: missing tensor "
                      "'model.layers.1.mlp.up_proj.weight' (needed by llama)",
                      s.dir);
    scratch_free(&s);
}

static void wrong_shape(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    rewrite_weights(s.dir, reshape_q_proj);
    expect_open_error(s.dir,
                      "%s/model.safetensors: tensor 'model.layers.0.self_attn.q_proj.weight' "
                      "has shape [32, 31], expected [32, 32]",
                      s.dir);
    scratch_free(&s);
    s = copy_fixture("llama-tiny");
    rewrite_weights(s.dir, norm_as_matrix);
    expect_open_error(s.dir,
                      "%s/model.safetensors: tensor 'model.norm.weight' has shape [32, 1], "
                      "expected [32]",
                      s.dir);
    scratch_free(&s);
}

static void wrong_dtype(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny");
    rewrite_weights(s.dir, int_embedding);
    expect_open_error(s.dir,
                      "%s/model.safetensors: tensor 'model.embed_tokens.weight' has dtype "
                      "I32; weights must be F32, F16 or BF16",
                      s.dir);
    scratch_free(&s);
}

static void index_errors(void **state)
{
    (void)state;
    scratch s = copy_fixture("llama-tiny-sharded");
    char *idx = fmt("%s/model.safetensors.index.json", s.dir);
    char *orig = read_text(idx, NULL);

    replace_in_file(idx, "\"model.norm.weight\": \"model-00006-of-00007.safetensors\"",
                    "\"model.norm.weight\": \"../model-00006-of-00007.safetensors\"");
    expect_open_error(s.dir,
                      "%s: shard '../model-00006-of-00007.safetensors' (for tensor "
                      "'model.norm.weight') is outside the model folder",
                      idx);
    write_text(idx, orig);
    replace_in_file(idx, "\"model.norm.weight\": \"model-00006-of-00007.safetensors\"",
                    "\"model.norm.weight\": \"/etc/passwd\"");
    expect_open_error(s.dir,
                      "%s: shard '/etc/passwd' (for tensor 'model.norm.weight') is outside "
                      "the model folder",
                      idx);
    write_text(idx, orig);
    replace_in_file(idx, "\"model.norm.weight\": \"model-00006-of-00007.safetensors\"",
                    "\"model.norm.weight\": \"model-00008-of-00007.safetensors\"");
    expect_open_error(s.dir,
                      "%s: shard 'model-00008-of-00007.safetensors' not found "
                      "(%s/model-00008-of-00007.safetensors)",
                      idx, s.dir);
    write_text(idx, orig);
    replace_in_file(idx, "\"model.norm.weight\": \"model-00006-of-00007.safetensors\"",
                    "\"model.norm.weight\": \"model-00001-of-00007.safetensors\"");
    expect_open_error(s.dir,
                      "%s: tensor 'model.norm.weight' is listed in shard "
                      "'model-00001-of-00007.safetensors', which does not hold it",
                      idx);
    write_text(idx, orig);
    replace_in_file(
        idx, "\"model.layers.1.input_layernorm.weight\": \"model-00006-of-00007.safetensors\",",
        "");
    expect_open_error(
        s.dir, "%s: missing tensor 'model.layers.1.input_layernorm.weight' (needed by llama)", idx);
    write_text(idx, "{\"metadata\": {}}");
    expect_open_error(s.dir, "%s: missing 'weight_map' object", idx);
    write_text(idx, "{\"weight_map\": {\"model.norm.weight\": 7}}");
    expect_open_error(s.dir, "%s: weight_map entry 'model.norm.weight' must be a file name string",
                      idx);
    char *shard = fmt("%s/model-00003-of-00007.safetensors", s.dir);
    write_text(idx, orig);
    unlink(shard);
    expect_open_error(s.dir, "%s: shard 'model-00003-of-00007.safetensors' not found (%s)", idx,
                      shard);
    free(shard);
    free(orig);
    free(idx);
    scratch_free(&s);
}

static void missing_folder(void **state)
{
    (void)state;
    expect_open_error("/nonexistent/folder", "/nonexistent/folder: no such folder");
    char *f = fmt("%s/models/llama-tiny/config.json", fixtures_dir());
    expect_open_error(f, "%s: is a file, expected a model folder or a model id", f);
    free(f);
}

/* Lays out CACHE/models--org--tiny as huggingface_hub does: blobs, a
 * snapshot of symlinks, refs/main and refs/dev. */
static char *make_cache(const char *fixture, const char *commit)
{
    char *cache = make_temp_dir();
    char *repo = fmt("%s/models--org--tiny", cache);
    char *sub[] = {"blobs", "refs", "snapshots", NULL};
    mkdir(repo, 0755);
    for (char **p = sub; *p; p++) {
        char *d = fmt("%s/%s", repo, *p);
        mkdir(d, 0755);
        free(d);
    }
    char *snap = fmt("%s/snapshots/%s", repo, commit);
    mkdir(snap, 0755);
    const char *files[] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        char *src = fmt("%s/models/%s/%s", fixtures_dir(), fixture, files[i]);
        char *blob = fmt("%s/blobs/blob%d", repo, i);
        char *link = fmt("%s/%s", snap, files[i]);
        char *target = fmt("../../blobs/blob%d", i);
        size_t n;
        char *data = read_text(src, &n);
        write_file(blob, data, n);
        assert_int_equal(symlink(target, link), 0);
        free(data), free(src), free(blob), free(link), free(target);
    }
    char *ref = fmt("%s/refs/main", repo);
    write_text(ref, commit); /* no trailing newline, as huggingface_hub writes it */
    free(ref);
    free(snap);
    free(repo);
    return cache;
}

#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static void cache_id_resolves(void **state)
{
    (void)state;
    char *cache = make_cache("gemma2-tiny", COMMIT);
    aniso_open_opts o = {.cache_dir = cache};
    aniso_error err;
    aniso_model *m = aniso_model_open("org/tiny", &o, &err);
    if (!m) fail_msg("%s", err.msg);
    char *want = fmt("%s/models--org--tiny/snapshots/" COMMIT, cache);
    assert_string_equal(aniso_model_dir(m), want);
    assert_int_equal(aniso_model_hparams(m)->arch, ANISO_ARCH_GEMMA2);
    aniso_model_free(m);
    /* A commit hash as the revision is used directly. */
    o.revision = COMMIT;
    m = aniso_model_open("org/tiny", &o, &err);
    assert_non_null(m);
    aniso_model_free(m);
    free(want);
    rm_rf(cache);
    free(cache);
}

static void cache_id_errors(void **state)
{
    (void)state;
    char *cache = make_cache("gemma2-tiny", COMMIT);
    aniso_open_opts o = {.cache_dir = cache};
    aniso_error err;
    assert_null(aniso_model_open("org/other", &o, &err));
    char *want = fmt("org/other: no such folder, and not in the Hugging Face cache "
                     "(%s/models--org--other not found)",
                     cache);
    assert_string_equal(err.msg, want);
    free(want);

    o.revision = "dev";
    assert_null(aniso_model_open("org/tiny", &o, &err));
    want = fmt("org/tiny: revision 'dev' is not in the Hugging Face cache "
               "(%s/models--org--tiny/refs/dev not found)",
               cache);
    assert_string_equal(err.msg, want);
    free(want);

    o.revision = "../../x";
    assert_null(aniso_model_open("org/tiny", &o, &err));
    assert_string_equal(err.msg, "org/tiny: invalid revision '../../x'");

    /* refs/main names a commit whose snapshot is missing. */
    char *ref = fmt("%s/models--org--tiny/refs/main", cache);
    write_text(ref, "fedcba9876543210fedcba9876543210fedcba98\n");
    o.revision = NULL;
    assert_null(aniso_model_open("org/tiny", &o, &err));
    want =
        fmt("org/tiny: no snapshot for revision 'main' in the Hugging Face cache "
            "(%s/models--org--tiny/snapshots/fedcba9876543210fedcba9876543210fedcba98 not found)",
            cache);
    assert_string_equal(err.msg, want);
    free(want);
    free(ref);

    o.cache_dir = NULL;
    assert_null(aniso_model_open("org/tiny", &o, &err));
    assert_string_equal(err.msg, "org/tiny: no such folder, and no Hugging Face cache to look in");
    rm_rf(cache);
    free(cache);
}

static void safe_relpath(void **state)
{
    (void)state;
    assert_true(aniso_hf_safe_relpath("model-00001-of-00002.safetensors"));
    assert_true(aniso_hf_safe_relpath("sub/model.safetensors"));
    assert_true(aniso_hf_safe_relpath("..model"));
    assert_false(aniso_hf_safe_relpath(""));
    assert_false(aniso_hf_safe_relpath("/abs"));
    assert_false(aniso_hf_safe_relpath("../x"));
    assert_false(aniso_hf_safe_relpath("a/../../x"));
    assert_false(aniso_hf_safe_relpath("a/./x"));
    assert_false(aniso_hf_safe_relpath("a//x"));
    assert_false(aniso_hf_safe_relpath("a\\x"));
    assert_false(aniso_hf_safe_relpath("a/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures_match_transformers),
        cmocka_unit_test(architecture_traits),
        cmocka_unit_test(missing_config),
        cmocka_unit_test(config_not_json),
        cmocka_unit_test(config_missing_key),
        cmocka_unit_test(config_bad_values),
        cmocka_unit_test(unsupported_model_type),
        cmocka_unit_test(no_weights),
        cmocka_unit_test(weights_header_errors),
        cmocka_unit_test(missing_tensor),
        cmocka_unit_test(wrong_shape),
        cmocka_unit_test(wrong_dtype),
        cmocka_unit_test(index_errors),
        cmocka_unit_test(missing_folder),
        cmocka_unit_test(cache_id_resolves),
        cmocka_unit_test(cache_id_errors),
        cmocka_unit_test(safe_relpath),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
