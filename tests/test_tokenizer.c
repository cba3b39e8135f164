/* test_tokenizer.c - golden ids from the tokenizers library (see
 * tests/fixtures/tokenizers/PROVENANCE.json) for every string of the corpus
 * and every tokenizer file, and one named case per kind of bad
 * tokenizer.json, each checked for its message.
 *
 * Usage: test_tokenizer FIXTURES_DIR UNPACKED_DIR, where UNPACKED_DIR holds
 * the decompressed NAME.tokenizer.json files. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static const char *unpacked;

static json_t *load_jsonl(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    json_t *arr = json_array();
    json_error_t je;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *v = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &je);
        if (!v) fail_msg("%s: %s", path, je.text);
        json_array_append_new(arr, v);
    }
    free(line);
    fclose(f);
    *n = json_array_size(arr);
    return arr;
}

static void check_goldens(const char *name)
{
    char *tpath = fmt("%s/%s.tokenizer.json", unpacked, name);
    char *gpath = fmt("%s/tokenizers/%s.ids.jsonl", fixtures_dir(), name);
    char *cpath = fmt("%s/tokenizers/corpus.jsonl", fixtures_dir());
    aniso_error err;
    aniso_tokenizer *tk = aniso_tokenizer_load(tpath, &err);
    if (!tk) fail_msg("%s", err.msg);
    size_t nc, ng;
    json_t *corpus = load_jsonl(cpath, &nc), *golden = load_jsonl(gpath, &ng);
    assert_int_equal(nc, ng);
    assert_true(nc >= 400);
    size_t bad = 0;
    aniso_ids ids = {0};
    for (size_t i = 0; i < nc; i++) {
        json_t *t = json_object_get(json_array_get(corpus, i), "text");
        json_t *want = json_object_get(json_array_get(golden, i), "ids");
        ids.n = 0;
        if (aniso_tokenizer_encode(tk, json_string_value(t), json_string_length(t), 1, &ids, &err))
            fail_msg("%s string %zu: %s", name, i, err.msg);
        int same = ids.n == json_array_size(want);
        for (size_t k = 0; same && k < ids.n; k++)
            same = ids.v[k] == json_integer_value(json_array_get(want, k));
        if (!same && bad++ < 5) {
            size_t k = 0;
            while (k < ids.n && k < json_array_size(want) &&
                   ids.v[k] == json_integer_value(json_array_get(want, k)))
                k++;
            print_error("%s string %zu %.60s: %zu ids, want %zu; first difference at %zu: %d vs "
                        "%lld\n",
                        name, i, json_string_value(t), ids.n, json_array_size(want), k,
                        k < ids.n ? ids.v[k] : -1,
                        k < json_array_size(want)
                            ? (long long)json_integer_value(json_array_get(want, k))
                            : -1LL);
        }
    }
    if (bad) fail_msg("%s: %zu of %zu strings differ from the tokenizers library", name, bad, nc);
    aniso_ids_free(&ids);
    json_decref(corpus);
    json_decref(golden);
    aniso_tokenizer_free(tk);
    free(tpath), free(gpath), free(cpath);
}

#define GOLDEN(fn, name)                                                                           \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        check_goldens(name);                                                                       \
    }
GOLDEN(gemma3, "gemma3")
GOLDEN(llama2, "llama2")
GOLDEN(llama3, "llama3")
GOLDEN(neox, "neox")
GOLDEN(metaspace, "metaspace")
GOLDEN(wordpiece_ish, "wordpiece-ish")
/* Real files of the newer families (tests/fixtures/tokenizers/PROVENANCE.json):
 * Qwen3's, OLMo 2's (dolma2), OLMo 1's (GPT-NeoX-20B with PII tokens, the
 * Pythia vocabulary), GPT-2's (built from OpenAI's vocabulary files). */
GOLDEN(qwen3, "qwen3")
GOLDEN(olmo2, "olmo2")
GOLDEN(olmo1, "olmo1")
GOLDEN(gpt2, "gpt2")

/* ---- bad tokenizer.json files, one named case each */

#define NAME  "t.json"
#define VOCAB "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}"

static void expect_parse_error(const char *json, const char *msg)
{
    aniso_error err;
    aniso_tokenizer *tk = aniso_tokenizer_parse(json, strlen(json), NAME, &err);
    if (tk) aniso_tokenizer_free(tk);
    assert_null(tk);
    assert_string_equal(err.msg, msg);
}

static void not_json(void **state)
{
    (void)state;
    expect_parse_error("{\"model\": ", NAME ": not valid JSON (line 1, column 10: unexpected "
                                            "token near end of file)");
    expect_parse_error("[]", NAME ": expected a JSON object, found array");
}

static void missing_model(void **state)
{
    (void)state;
    expect_parse_error("{\"version\": \"1.0\"}", NAME ": missing 'model'");
    expect_parse_error("{\"model\": {\"type\": \"BPE\", \"merges\": []}}",
                       NAME ": model: missing 'vocab' object");
}

static void unsupported_model(void **state)
{
    (void)state;
    expect_parse_error("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}",
                       NAME ": unsupported model type 'Unigram' (only BPE is supported)");
}

static void merge_unknown_token(void **state)
{
    (void)state;
    expect_parse_error("{\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": [\"a c\"]}}",
                       NAME ": merge 0 names 'c', which is not in the vocabulary");
    expect_parse_error("{\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": [[\"a\", \"b\"], "
                       "[\"b\", \"a\"]]}}",
                       NAME ": merge 1 makes 'ba', which is not in the vocabulary");
    expect_parse_error("{\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": [\"a b c\"]}}",
                       NAME ": merge 0 'a b c' is not two tokens separated by one space");
}

static void duplicate_ids(void **state)
{
    (void)state;
    expect_parse_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, "
                       "\"merges\": []}}",
                       NAME ": vocab: 'a' and 'b' both have id 0");
}

static void ids_out_of_range(void **state)
{
    (void)state;
    expect_parse_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 7}, "
                       "\"merges\": []}}",
                       NAME ": vocab: id 7 of 'b' is out of range (0 to 1)");
    expect_parse_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}",
                       NAME ": vocab: id -1 of 'a' is out of range (0 to 0)");
    expect_parse_error("{\"added_tokens\": [{\"id\": 9, \"content\": \"<x>\", \"special\": true}],"
                       " \"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": []}}",
                       NAME ": added token '<x>' has id 9, but the tokenizers library gives it 3");
}

static void invalid_regex(void **state)
{
    (void)state;
    expect_parse_error("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": "
                       "\"(a|b\"}, \"behavior\": \"Isolated\"}, "
                       "\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": []}}",
                       NAME ": pre_tokenizer Split: invalid regex '(a|b': missing closing "
                            "parenthesis at offset 4");
}

static void unsupported_components(void **state)
{
    (void)state;
    expect_parse_error("{\"normalizer\": {\"type\": \"BertNormalizer\"}, "
                       "\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": []}}",
                       NAME ": unsupported normalizer type 'BertNormalizer'");
    expect_parse_error("{\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}, "
                       "\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": []}}",
                       NAME ": unsupported pre_tokenizer type 'UnicodeScripts'");
    expect_parse_error("{\"post_processor\": {\"type\": \"Frobnicate\"}, "
                       "\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": []}}",
                       NAME ": unsupported post_processor type 'Frobnicate'");
}

static void tiny_encode(void **state)
{
    (void)state;
    const char *j = "{\"model\": {\"type\": \"BPE\", " VOCAB ", \"merges\": [\"a b\"]}}";
    aniso_error err;
    aniso_tokenizer *tk = aniso_tokenizer_parse(j, strlen(j), NAME, &err);
    assert_non_null(tk);
    aniso_ids ids = {0};
    assert_int_equal(aniso_tokenizer_encode(tk, "abab", 4, 1, &ids, &err), ANISO_OK);
    assert_int_equal(ids.n, 2);
    assert_int_equal(ids.v[0], 2);
    assert_string_equal(aniso_tokenizer_token(tk, 2), "ab");
    assert_int_equal(aniso_tokenizer_encode(tk, "a\xff", 2, 1, &ids, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "text is not valid UTF-8 (byte offset 1)");
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_tokenizer UNPACKED_DIR\n");
        return 2;
    }
    unpacked = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_json),
        cmocka_unit_test(missing_model),
        cmocka_unit_test(unsupported_model),
        cmocka_unit_test(merge_unknown_token),
        cmocka_unit_test(duplicate_ids),
        cmocka_unit_test(ids_out_of_range),
        cmocka_unit_test(invalid_regex),
        cmocka_unit_test(unsupported_components),
        cmocka_unit_test(tiny_encode),
        cmocka_unit_test(neox),
        cmocka_unit_test(metaspace),
        cmocka_unit_test(wordpiece_ish),
        cmocka_unit_test(llama2),
        cmocka_unit_test(llama3),
        cmocka_unit_test(gemma3),
        cmocka_unit_test(qwen3),
        cmocka_unit_test(olmo2),
        cmocka_unit_test(olmo1),
        cmocka_unit_test(gpt2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
