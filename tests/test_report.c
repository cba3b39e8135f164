/* test_report.c - `aniso profile` and `aniso compare` end to end: the five
 * report files, every JSON key of METRICS.md, the archive's members, the
 * figures' PNG headers, token selection, and the notebook author's published
 * results read back (their L*, range and bell verdict re-derived). */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include <cmocka.h>

#include "util.h"

static const char *keys[] = {
    /* the notebook's summary */
    "model", "n_layers", "hidden_dim", "n_prompts", "normalization", "L_star_anisotropy",
    "is_bell_curve", "phase1_slope", "phase2_slope", "phase1_r", "phase2_r", "profile_variance",
    "profile_range", "max_anisotropy", "intrinsic_dim_ratio", "effective_rank", "avg_cos_sim",
    "norm_cv", "gauge_theory_test",
    /* added */
    "phase1_p", "phase2_p", "n_tokens", "tokens_per_prompt", "architecture", "dtype", "reference",
    "flatness_percent", "layers", "tool", "timing_seconds", "token_selection"};

static const char *layer_keys[] = {"eigenvalue_variance",
                                   "intrinsic_dim_ratio",
                                   "effective_rank",
                                   "avg_cos_sim_to_mean",
                                   "var_top1",
                                   "var_top10",
                                   "var_top50",
                                   "mean_norm",
                                   "std_norm",
                                   "norm_cv",
                                   "eigenvalues"};

static void png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(b, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    *w = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
}

static void profile_writes_report(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    char *out = fmt("%s/out", tmp);
    aniso_profile_opts o = {.model = model, .out_dir = out, .n_threads = 2};
    aniso_profile_run *run = NULL;
    aniso_error err;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    json_error_t je;
    json_t *j = json_load_file(run->files[0], 0, &je);
    assert_non_null(j);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i])) fail_msg("report lacks '%s'", keys[i]);
    assert_int_equal(json_integer_value(json_object_get(j, "n_layers")), 4);
    assert_int_equal(json_array_size(json_object_get(j, "intrinsic_dim_ratio")), 5);
    assert_string_equal(json_string_value(json_object_get(j, "normalization")), "RMSNorm");
    json_t *layers = json_object_get(j, "layers");
    assert_int_equal(json_array_size(layers), 5);
    for (size_t i = 0; i < sizeof layer_keys / sizeof layer_keys[0]; i++)
        assert_non_null(json_object_get(json_array_get(layers, 2), layer_keys[i]));
    json_t *g = json_object_get(j, "gauge_theory_test");
    assert_true(json_real_value(json_object_get(g, "pythia_profile_range")) == 0.934);
    /* The flat lists and the per-layer objects agree, and with L*. */
    json_t *idr = json_object_get(j, "intrinsic_dim_ratio");
    int ls = (int)json_integer_value(json_object_get(j, "L_star_anisotropy"));
    for (size_t i = 0; i < 5; i++) {
        double a = json_number_value(json_array_get(idr, i));
        assert_true(a == json_number_value(
                             json_object_get(json_array_get(layers, i), "intrinsic_dim_ratio")));
        assert_true(a <= json_number_value(json_array_get(idr, (size_t)ls)));
    }
    /* Token selection: all 16 prompts' tokens, counted per prompt. */
    assert_false(
        json_is_true(json_object_get(json_object_get(j, "token_selection"), "skip_first_token")));
    size_t sum = 0;
    json_t *tpp = json_object_get(j, "tokens_per_prompt");
    assert_int_equal(json_array_size(tpp), 16);
    for (size_t i = 0; i < 16; i++) sum += (size_t)json_integer_value(json_array_get(tpp, i));
    assert_int_equal(sum, json_integer_value(json_object_get(j, "n_tokens")));
    json_decref(j);
    unsigned w, h;
    png_size(run->files[1], &w, &h);
    assert_true(w == 2700 && h == 1650);
    png_size(run->files[2], &w, &h);
    png_size(run->files[3], &w, &h);
    int ze;
    zip_t *z = zip_open(run->files[4], ZIP_RDONLY, &ze);
    assert_non_null(z);
    assert_int_equal(zip_get_num_entries(z, 0), 4);
    assert_true(zip_name_locate(z, "anisotropy_results_gemma2-f32.json", 0) >= 0);
    assert_true(zip_name_locate(z, "anisotropy_profile_gemma2-f32.png", 0) >= 0);
    assert_true(zip_name_locate(z, "eigenvalue_spectrum_gemma2-f32.png", 0) >= 0);
    assert_true(zip_name_locate(z, "norm_analysis_gemma2-f32.png", 0) >= 0);
    zip_close(z);
    aniso_profile_run_free(run);

    /* --skip-first-token: one row fewer per prompt, and recorded. */
    o.mask.exclude = ANISO_TOKEN_FIRST;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    j = json_load_file(run->files[0], 0, &je);
    assert_true(
        json_is_true(json_object_get(json_object_get(j, "token_selection"), "skip_first_token")));
    assert_int_equal(run->result.n_tokens + 16, sum);
    json_decref(j);
    aniso_profile_run_free(run);
    rm_rf(tmp);
    free(tmp), free(model), free(out);
}

static void too_few_tokens(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    char *pf = fmt("%s/p.txt", tmp), *out = fmt("%s/out", tmp);
    write_text(pf, "a\n");
    aniso_profile_opts o = {
        .model = model, .out_dir = out, .prompts_file = pf, .mask = {.exclude = ANISO_TOKEN_FIRST}};
    aniso_profile_run *run = NULL;
    aniso_error err;
    assert_int_not_equal(aniso_profile(&o, &run, &err), ANISO_OK);
    assert_null(run);
    char *want = fmt("%s: only 1 token to measure; the metrics need at least 2 (the covariance "
                     "divides by n - 1)",
                     pf);
    assert_string_equal(err.msg, want);
    rm_rf(tmp);
    free(want), free(tmp), free(model), free(pf), free(out);
}

static void published_results(void **state)
{
    (void)state;
    const char *names[2] = {"anisotropy_results_pythia.json", "anisotropy_results_gemma.json"};
    aniso_result_file *rs[2];
    aniso_error err;
    for (int i = 0; i < 2; i++) {
        char *p = fmt("%s/results/%s", fixtures_dir(), names[i]);
        rs[i] = aniso_result_load(p, &err);
        if (!rs[i]) fail_msg("%s", err.msg);
        free(p);
        /* What the file states, re-derived from its own profile. */
        assert_true(rs[i]->has_L_star);
        assert_int_equal(rs[i]->analysis.L_star, rs[i]->L_star);
        assert_true(rs[i]->has_bell);
        assert_int_equal(rs[i]->analysis.is_bell_curve, rs[i]->is_bell);
    }
    assert_int_equal(rs[0]->n, 33);
    assert_int_equal(rs[1]->n, 19);
    assert_false(rs[0]->has_range); /* the Pythia file predates profile_range */
    assert_true(rs[1]->has_range);
    /* The notebook computed its range in float32: equal to float32 rounding. */
    assert_true(fabs(rs[1]->analysis.profile_range - rs[1]->range) <= 1e-7 * rs[1]->range);
    aniso_reference ref;
    aniso_result_reference(rs[1], &ref);
    assert_string_equal(ref.name, "google/gemma-2b");
    assert_int_equal(ref.L_star, 9);
    char *tmp = make_temp_dir(), *jp = NULL, *pp = NULL;
    assert_int_equal(aniso_compare(rs, 2, tmp, &jp, &pp, &err), ANISO_OK);
    json_error_t je;
    json_t *c = json_load_file(jp, 0, &je);
    json_t *m = json_object_get(c, "models");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(m, 0), "L_star")), 7);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(m, 1), "L_star")), 9);
    assert_true(fabs(json_number_value(json_object_get(json_array_get(m, 1), "profile_range")) -
                     rs[1]->range) <= 1e-7 * rs[1]->range);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(c, "ranked_by_flatness"), 0)),
        "google/gemma-2b");
    unsigned w, h;
    png_size(pp, &w, &h);
    json_decref(c);
    rm_rf(tmp);
    free(tmp), free(jp), free(pp);
    aniso_result_free(rs[0]);
    aniso_result_free(rs[1]);
}

static void result_without_profile(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *p = fmt("%s/r.json", tmp);
    write_text(p, "{\"model\": \"x\", \"effective_rank\": [1, 2]}");
    aniso_error err;
    assert_null(aniso_result_load(p, &err));
    char *want = fmt("%s: no 'intrinsic_dim_ratio' list of numbers (not an anisotropy result)", p);
    assert_string_equal(err.msg, want);
    rm_rf(tmp);
    free(tmp), free(p), free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profile_writes_report),
        cmocka_unit_test(too_few_tokens),
        cmocka_unit_test(published_results),
        cmocka_unit_test(result_without_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
