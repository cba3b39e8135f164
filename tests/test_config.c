/* test_config.c - config.json read as transformers reads it.
 *
 * Goldens (tests/fixtures/config/goldens.json, tools/oracle/make_config_goldens.py):
 * for config files in the 4.x and 5.x layouts, including files whose old
 * and new keys disagree, the rotary inverse frequencies that transformers'
 * own rotary modules hold and the activation its MLP runs, as read by
 * transformers 4.57 and by 5.x. aniso must resolve the same settings under
 * the same rules, and fail where transformers fails. Then the errors: keys
 * aniso cannot interpret are named, never defaulted. */
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

static json_t *goldens;

static const char *act_name(aniso_act a)
{
    return a == ANISO_ACT_SILU        ? "silu"
           : a == ANISO_ACT_GELU      ? "gelu"
           : a == ANISO_ACT_GELU_NEW  ? "gelu_new"
           : a == ANISO_ACT_GELU_FAST ? "gelu_fast"
                                      : "gelu_tanh";
}

static void compare_freqs(const char *name, const char *which, const aniso_rope *r, int n_rot,
                          json_t *want, json_t *scaling)
{
    assert_non_null(want);
    if (scaling) {
        /* the factor of cos and sin, at load time */
        float inv[512], att;
        aniso_rope_at(r, n_rot, 0, inv, &att);
        double w = json_number_value(scaling);
        if (!(fabs(att - w) <= 1e-7 * fabs(w)))
            fail_msg("%s %s attention_scaling = %.9g, transformers %.9g", name, which, att, w);
    }
    size_t n = json_array_size(want);
    if (n != (size_t)n_rot / 2)
        fail_msg("%s %s: %d rotary dims, transformers has %zu frequencies", name, which, n_rot, n);
    float got[512];
    aniso_rope_inv_freq(r, n_rot, got);
    for (size_t i = 0; i < n; i++) {
        double w = json_real_value(json_array_get(want, i));
        /* transformers' pow may differ from powf by an ulp or two */
        if (!(fabs(got[i] - w) <= 4e-7 * fabs(w)))
            fail_msg("%s %s inv_freq[%zu] = %.9g, transformers %.9g", name, which, i, got[i], w);
    }
}

/* Every case that transformers major `reader` read, parsed by aniso under
 * that version's rules (automatic when the file was written by it). */
static void check_reader(const char *reader)
{
    json_t *cases = json_object_get(goldens, "cases");
    json_t *res =
        json_object_get(json_object_get(json_object_get(goldens, "read_by"), reader), "results");
    assert_non_null(res);
    const char *name;
    json_t *want;
    int n = 0;
    json_object_foreach(res, name, want)
    {
        char *text = json_dumps(json_object_get(cases, name), 0);
        aniso_config_opts co = {.semantics = strcmp(reader, "5") ? ANISO_HF_V4 : ANISO_HF_V5};
        aniso_hparams *hp = calloc(1, sizeof *hp);
        aniso_error err;
        aniso_status st = aniso_hparams_parse(text, strlen(text), name, &co, hp, &err);
        if (json_object_get(want, "error")) {
            if (st == ANISO_OK)
                fail_msg("%s: transformers %s fails (%s), aniso accepts it", name, reader,
                         json_string_value(json_object_get(want, "error")));
        } else {
            if (st != ANISO_OK) fail_msg("%s: %s", name, err.msg);
            json_t *f = json_object_get(want, "inv_freq"),
                   *sc = json_object_get(want, "attention_scaling");
            if (f) {
                compare_freqs(name, "global", &hp->rope, hp->n_rot, json_object_get(f, "full"),
                              json_object_get(sc, "full"));
                if (json_object_get(f, "sliding"))
                    compare_freqs(name, "sliding", &hp->rope_local, hp->n_rot,
                                  json_object_get(f, "sliding"), json_object_get(sc, "sliding"));
            } else if (hp->n_rot) {
                fail_msg("%s: transformers has no rotary embedding, aniso has %d dims", name,
                         hp->n_rot);
            }
            assert_string_equal(act_name(hp->act), json_string_value(json_object_get(want, "act")));
        }
        /* Automatic rules: the file's own version, when it is the reader's. */
        const char *ver = json_string_value(
            json_object_get(json_object_get(cases, name), "transformers_version"));
        if (ver[0] == reader[0] && st == ANISO_OK) {
            aniso_hparams *h2 = calloc(1, sizeof *h2);
            assert_int_equal(aniso_hparams_parse(text, strlen(text), name, NULL, h2, &err),
                             ANISO_OK);
            assert_int_equal(h2->hf_semantics, co.semantics);
            assert_memory_equal(&h2->rope, &hp->rope, sizeof hp->rope);
            free(h2);
        }
        free(hp);
        free(text);
        n++;
    }
    print_message("transformers %s: %d config readings match\n", reader, n);
    assert_true(n >= 10);
}

static void read_by_4(void **state)
{
    (void)state;
    check_reader("4");
}

static void read_by_5(void **state)
{
    (void)state;
    check_reader("5");
}

/* A minimal config of model_type mt with extra members (a JSON fragment). */
static aniso_status parse_with(const char *mt, const char *version, const char *extra,
                               aniso_hparams *hp, aniso_error *err)
{
    char *text =
        fmt("{\"model_type\": \"%s\", \"transformers_version\": \"%s\", "
            "\"hidden_size\": 64, \"num_attention_heads\": 4, \"head_dim\": 16, "
            "\"intermediate_size\": 64, \"num_hidden_layers\": 2, \"vocab_size\": 128%s%s}",
            mt, version, extra[0] ? ", " : "", extra);
    aniso_status st = aniso_hparams_parse(text, strlen(text), "config.json", NULL, hp, err);
    free(text);
    return st;
}

static void expect_error(const char *mt, const char *version, const char *extra, const char *msg)
{
    aniso_hparams *hp = calloc(1, sizeof *hp);
    aniso_error err;
    assert_int_not_equal(parse_with(mt, version, extra, hp, &err), ANISO_OK);
    assert_string_equal(err.msg, msg);
    assert_null(strchr(err.msg, '\n'));
    free(hp);
}

static void errors_name_the_key(void **state)
{
    (void)state;
    expect_error("llama", "5.24.0", "\"rope_parameters\": {\"rope_type\": \"ntk\", \"factor\": 4}",
                 "config.json: unsupported rope type 'ntk' in 'rope_parameters.rope_type' "
                 "(supported: default, linear, llama3, yarn, dynamic, longrope)");
    expect_error("llama", "4.57.6", "\"rope_scaling\": {\"rope_type\": \"dynamic\"}",
                 "config.json: rope type 'dynamic' needs 'rope_scaling.factor'");
    expect_error("llama", "5.24.0",
                 "\"rope_parameters\": {\"rope_type\": \"longrope\", \"short_factor\": [1, 1, 1, "
                 "1, 1, 1, 1, 1], \"long_factor\": [2, 2, 2, 2, 2, 2, 2]}",
                 "config.json: keys 'rope_parameters.short_factor' and "
                 "'rope_parameters.long_factor' differ in length");
    expect_error("llama", "5.24.0",
                 "\"rope_parameters\": {\"rope_type\": \"longrope\", \"short_factor\": [1, 1], "
                 "\"long_factor\": [2, 2]}",
                 "config.json: longrope's short_factor and long_factor have 2 entries; the 16 "
                 "rotary dimensions need 8");
    expect_error("phi3", "5.24.0",
                 "\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2}",
                 "config.json: rope type 'linear' in 'rope_parameters.rope_type': Phi-3 has only "
                 "default and longrope");
    /* GPT-2 has no rotary embedding and no head_dim */
    expect_error("gpt2", "5.24.0", "\"rope_theta\": 10000",
                 "config.json: unknown key 'head_dim' for gpt2 (it may change the model; "
                 "--ignore-config-key head_dim if it cannot)");
    expect_error("llama", "5.24.0", "\"rope_parameters\": \"default\"",
                 "config.json: key 'rope_parameters' must be an object or null, found string");
    expect_error("llama", "5.24.0",
                 "\"rope_parameters\": {\"rope_type\": \"default\", \"base\": 1}",
                 "config.json: unknown key 'rope_parameters.base'");
    expect_error("llama", "5.24.0",
                 "\"rope_parameters\": {\"full_attention\": {\"rope_type\": \"default\"}}",
                 "config.json: key 'rope_parameters' is per layer type, which Llama does not "
                 "have");
    expect_error("gemma3_text", "5.24.0", "\"rope_parameters\": {\"rope_type\": \"default\"}",
                 "config.json: key 'rope_parameters.rope_type': Gemma 3's rope_parameters must be "
                 "per layer type (full_attention, sliding_attention)");
    expect_error("llama", "5.24.0",
                 "\"rope_parameters\": {\"rope_type\": \"linear\", \"rope_theta\": 10000}",
                 "config.json: rope type 'linear' needs 'rope_parameters.factor'");
    expect_error(
        "llama", "4.57.6",
        "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": "
        "1, \"high_freq_factor\": 4}",
        "config.json: rope type 'llama3' needs "
        "'rope_scaling.original_max_position_embeddings'");
    expect_error("llama", "4.57.6", "\"rope_parameters\": {\"rope_type\": \"default\"}",
                 "config.json: key 'rope_parameters' is read by transformers 5 only, but the file "
                 "is read by the rules of transformers 4 (its transformers_version, or "
                 "--hf-version 4)");
    expect_error("llama", "5.24.0", "\"partial_rotary_factor\": 0.5",
                 "config.json: a rotary fraction of 0.5 (partial_rotary_factor) is not supported "
                 "by Llama, which rotates whole heads");
    expect_error("gpt_neox", "4.57.6", "\"rotary_pct\": 1.5",
                 "config.json: the rotary fraction (partial_rotary_factor or rotary_pct) 1.5 "
                 "exceeds 1");
    expect_error("llama", "5.24.0", "\"sliding_window\": 4096",
                 "config.json: unknown key 'sliding_window' for llama (it may change the model; "
                 "--ignore-config-key sliding_window if it cannot)");
    expect_error("mistral", "5.24.0", "\"num_key_value_heads\": 4, \"sliding_window\": 4096.5",
                 "config.json: key 'sliding_window' = 4096.5 must be a whole number of tokens up "
                 "to 1e9");
    expect_error("mistral", "5.24.0", "\"num_key_value_heads\": 4, \"sliding_window\": 1e300",
                 "config.json: key 'sliding_window' = 1e+300 must be a whole number of tokens up "
                 "to 1e9");
    expect_error("llama", "5.24.0", "\"quantization_config\": {\"quant_method\": \"bitsandbytes\"}",
                 "config.json: key 'quantization_config': quantized checkpoints are not supported");
    expect_error("llama", "5.24.0", "\"is_causal\": false",
                 "config.json: key 'is_causal' = false is not supported (bidirectional "
                 "attention)");
    expect_error("gemma3_text", "4.57.6", "\"use_bidirectional_attention\": true",
                 "config.json: key 'use_bidirectional_attention': bidirectional (embedding model) "
                 "attention is not supported");
    expect_error("llama", "5.24.0", "\"auto_map\": {\"AutoModelForCausalLM\": \"m.Model\"}",
                 "config.json: key 'auto_map.AutoModelForCausalLM': the model has its own modeling "
                 "code, which aniso does not run");
    expect_error("llama", "6.0.0", "",
                 "config.json: written by transformers 6.0.0, newer than the 4.x and 5.x rules "
                 "aniso knows (--hf-version 5 to read it as 5.x)");
    expect_error("llama", "4.57.6", "\"layer_types\": [\"full_attention\", \"full_attention\"]",
                 "config.json: key 'layer_types' is not supported for Llama");
    expect_error("gemma2", "5.24.0", "\"layer_types\": [\"full_attention\", \"chunked\"]",
                 "config.json: layer_types[1] must be \"sliding_attention\" or \"full_attention\"");
}

static void keys_that_cannot_matter(void **state)
{
    (void)state;
    aniso_hparams *hp = calloc(1, sizeof *hp);
    aniso_error err;
    /* Bookkeeping, dropout, generation defaults, the cache. */
    assert_int_equal(
        parse_with("llama", "4.57.6",
                   "\"torch_dtype\": \"bfloat16\", \"attention_dropout\": 0.1, "
                   "\"use_cache\": false, \"temperature\": 0.7, \"pretraining_tp\": 1, "
                   "\"_name_or_path\": \"x\"",
                   hp, &err),
        ANISO_OK);
    /* A key only the caller can vouch for. */
    char *text = fmt("{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
                     "\"intermediate_size\": 64, \"num_hidden_layers\": 2, \"vocab_size\": 128, "
                     "\"my_note\": 1}");
    const char *ok[] = {"my_note", NULL};
    aniso_config_opts co = {.ignore_keys = ok};
    assert_int_not_equal(aniso_hparams_parse(text, strlen(text), "c", NULL, hp, &err), ANISO_OK);
    assert_int_equal(aniso_hparams_parse(text, strlen(text), "c", &co, hp, &err), ANISO_OK);
    /* Without transformers_version, the current (5.x) rules. */
    assert_int_equal(hp->hf_semantics, ANISO_HF_V5);
    free(text);
    /* Gemma 1's "gelu" by the writing version's rules. */
    assert_int_equal(parse_with("gemma", "4.57.6",
                                "\"num_key_value_heads\": 1, \"hidden_act\": \"gelu\"", hp, &err),
                     ANISO_OK);
    assert_int_equal(hp->act, ANISO_ACT_GELU);
    assert_int_equal(parse_with("gemma", "5.0.0",
                                "\"num_key_value_heads\": 1, \"hidden_act\": \"gelu\"", hp, &err),
                     ANISO_OK);
    assert_int_equal(hp->act, ANISO_ACT_GELU_TANH);
    /* GPT-NeoX has no grouped heads: transformers never reads the key. */
    char *neox = fmt("{\"model_type\": \"gpt_neox\", \"hidden_size\": 64, "
                     "\"num_attention_heads\": 4, \"intermediate_size\": 64, "
                     "\"num_hidden_layers\": 2, \"vocab_size\": 128, \"num_key_value_heads\": 1}");
    assert_int_equal(aniso_hparams_parse(neox, strlen(neox), "c", NULL, hp, &err), ANISO_OK);
    assert_int_equal(hp->n_head_kv, hp->n_head);
    free(neox);
    /* 5.x leaves Gemma 1 and 2 causal whatever use_bidirectional_attention says. */
    assert_int_equal(
        parse_with("gemma2", "5.24.0", "\"use_bidirectional_attention\": true", hp, &err),
        ANISO_OK);
    free(hp);
}

int main(void)
{
    char *path = fmt("%s/config/goldens.json", fixtures_dir());
    json_error_t je;
    goldens = json_load_file(path, 0, &je);
    if (!goldens) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return 1;
    }
    free(path);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_by_4),
        cmocka_unit_test(read_by_5),
        cmocka_unit_test(errors_name_the_key),
        cmocka_unit_test(keys_that_cannot_matter),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(goldens);
    return rc;
}
