/* test_report.c - `aniso profile` and `aniso compare` end to end: the six
 * report files, every JSON key of METRICS.md, the archive's members, the
 * figures' PNG headers, token selection, the notebook author's published
 * results read back (their L*, range and bell verdict re-derived), and the
 * figures of a hand-made result with evidence (intervals, nulls, the profile
 * without first tokens, token controls). */
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
#include <unistd.h>
#include <zip.h>

#include <cmocka.h>

#include "base/base.h"
#include "report/figures.h"
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

/* The report's figures, in the order of its files. */
static const char *const stems[4] = {"anisotropy_profile", "eigenvalue_spectrum", "norm_analysis",
                                     "metric_family"};

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
    png_size(run->files[4], &w, &h);
    assert_true(w == 2700 && h == 1650);
    assert_non_null(strstr(run->files[4], "/metric_family_gemma2-f32.png"));
    int ze;
    zip_t *z = zip_open(run->files[5], ZIP_RDONLY, &ze);
    assert_non_null(z);
    assert_int_equal(zip_get_num_entries(z, 0), 5);
    assert_true(zip_name_locate(z, "anisotropy_results_gemma2-f32.json", 0) >= 0);
    assert_true(zip_name_locate(z, "anisotropy_profile_gemma2-f32.png", 0) >= 0);
    assert_true(zip_name_locate(z, "eigenvalue_spectrum_gemma2-f32.png", 0) >= 0);
    assert_true(zip_name_locate(z, "norm_analysis_gemma2-f32.png", 0) >= 0);
    assert_true(zip_name_locate(z, "metric_family_gemma2-f32.png", 0) >= 0);
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

/* The magic at the start of a figure of each format. */
static void check_figure(const char *path, unsigned format)
{
    size_t len;
    char *t = read_text(path, &len);
    assert_non_null(t);
    if (format == ANISO_FIG_PNG)
        assert_memory_equal(t, "\x89PNG\r\n\x1a\n", 8);
    else if (format == ANISO_FIG_PDF)
        assert_memory_equal(t, "%PDF-", 5);
    else
        assert_non_null(strstr(t, "<svg"));
    free(t);
}

/* The figure is whole: its format's signature at both ends. */
static void check_figure_whole(const char *path, unsigned format)
{
    size_t len;
    char *t = read_text(path, &len);
    assert_non_null(t);
    assert_true(len > 64);
    const char *tail = t + len - 64;
    if (format == ANISO_FIG_PNG) {
        assert_memory_equal(t, "\x89PNG\r\n\x1a\n", 8);
        assert_memory_equal(t + len - 8, "IEND\xae\x42\x60\x82", 8);
    } else if (format == ANISO_FIG_PDF) {
        assert_memory_equal(t, "%PDF-", 5);
        assert_non_null(strstr(tail, "%%EOF"));
    } else {
        assert_non_null(strstr(t, "<svg"));
        assert_non_null(strstr(tail, "</svg>"));
    }
    free(t);
}

static int count_entries(const char *dir)
{
    char *cmd = fmt("ls -A '%s' | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    free(cmd);
    return n;
}

/* Every non-empty set of formats: each figure in each, the zip holding
 * them all (JSON last), nothing else in the folder. */
static void report_formats(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    char *out = fmt("%s/out", tmp);
    aniso_profile_opts o = {.model = model, .out_dir = out, .n_threads = 2};
    aniso_profile_run *run = NULL;
    aniso_error err;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    assert_int_equal(run->n_files, 6);
    static const unsigned fmts[3] = {ANISO_FIG_PNG, ANISO_FIG_PDF, ANISO_FIG_SVG};
    static const char *const exts[3] = {"png", "pdf", "svg"};
    for (unsigned set = 1; set < 8; set++) {
        char *dir = fmt("%s/set%u", tmp, set);
        assert_int_equal(mkdir(dir, 0755), 0);
        char *files[ANISO_REPORT_MAX_FILES];
        int n = 0, per = 0;
        for (int j = 0; j < 3; j++) per += (set & fmts[j]) != 0;
        if (aniso_report_write_all(dir, set, &run->result, files, &n, &err))
            fail_msg("%u: %s", set, err.msg);
        assert_int_equal(n, 2 + 4 * per);
        assert_int_equal(count_entries(dir), n);
        assert_non_null(strstr(files[0], "/anisotropy_results_gemma2-f32.json"));
        int k = 1;
        for (int f = 0; f < 4; f++)
            for (int j = 0; j < 3; j++) {
                if (!(set & fmts[j])) continue;
                char *want = fmt("%s/%s_gemma2-f32.%s", dir, stems[f], exts[j]);
                assert_string_equal(files[k], want);
                check_figure(files[k], fmts[j]);
                check_figure_whole(files[k], fmts[j]);
                free(want);
                k++;
            }
        int ze;
        zip_t *z = zip_open(files[n - 1], ZIP_RDONLY, &ze);
        assert_non_null(z);
        assert_int_equal(zip_get_num_entries(z, 0), n - 1);
        for (int i = 0; i < n - 1; i++) {
            const char *base = strrchr(files[i + 1 < n - 1 ? i + 1 : 0], '/') + 1;
            assert_string_equal(zip_get_name(z, (zip_uint64_t)i, 0), base);
        }
        zip_close(z);
        for (int i = 0; i < n; i++) free(files[i]);
        free(dir);
    }
    aniso_profile_run_free(run);
    /* aniso_profile itself, with PDF and SVG only. */
    o.formats = ANISO_FIG_PDF | ANISO_FIG_SVG;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    assert_int_equal(run->n_files, 10);
    assert_non_null(strstr(run->files[1], "anisotropy_profile_gemma2-f32.pdf"));
    assert_non_null(strstr(run->files[2], "anisotropy_profile_gemma2-f32.svg"));
    aniso_profile_run_free(run);
    rm_rf(tmp);
    free(tmp), free(model), free(out);
}

static void formats_parse(void **state)
{
    (void)state;
    unsigned f = 0;
    assert_int_equal(aniso_figure_formats_parse("png", &f), 0);
    assert_int_equal(f, ANISO_FIG_PNG);
    assert_int_equal(aniso_figure_formats_parse("svg,pdf", &f), 0);
    assert_int_equal(f, ANISO_FIG_PDF | ANISO_FIG_SVG);
    assert_int_equal(aniso_figure_formats_parse("png,pdf,svg", &f), 0);
    assert_int_equal(f, ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG);
    const char *bad[] = {"", "jpg", "png,", ",png", "png,png", "PNG", "png pdf", "pngg"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(aniso_figure_formats_parse(bad[i], &f), -1);
}

/* A mask or last layer other than the default never shares a name with
 * it; the default keeps the notebook's names. */
static void report_names(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    aniso_profile_opts o = {.model = model, .out_dir = tmp, .n_threads = 2};
    aniso_profile_run *a = NULL, *b = NULL, *c = NULL;
    aniso_error err;
    if (aniso_profile(&o, &a, &err)) fail_msg("%s", err.msg);
    o.mask.exclude = ANISO_TOKEN_FIRST;
    if (aniso_profile(&o, &b, &err)) fail_msg("%s", err.msg);
    o.mask.exclude = ANISO_TOKEN_BOS | ANISO_TOKEN_SPECIAL;
    o.mask.pos_from = 1;
    o.mask.pos_to = 8;
    o.last_layer = ANISO_LAST_RAW;
    if (aniso_profile(&o, &c, &err)) fail_msg("%s", err.msg);
    char *want = fmt("%s/anisotropy_results_gemma2-f32.json", tmp);
    assert_string_equal(a->files[0], want);
    free(want);
    want = fmt("%s/anisotropy_profile_gemma2-f32_excl-first.png", tmp);
    assert_string_equal(b->files[1], want);
    free(want);
    want = fmt("%s/norm_analysis_gemma2-f32_excl-bos-special_pos-1-8_last-raw.png", tmp);
    assert_string_equal(c->files[3], want);
    free(want);
    want = fmt("%s/metric_family_gemma2-f32_excl-first.png", tmp);
    assert_string_equal(b->files[4], want);
    free(want);
    assert_non_null(strstr(b->files[5], "/anisotropy_results_gemma2-f32_excl-first_"));
    for (int i = 0; i < 6; i++) {
        assert_string_not_equal(a->files[i], b->files[i]);
        assert_string_not_equal(a->files[i], c->files[i]);
        assert_string_not_equal(b->files[i], c->files[i]);
    }
    /* All three reports side by side (the zips may share a second). */
    assert_true(count_entries(tmp) >= 16);
    for (int i = 0; i < 5; i++) {
        FILE *f = fopen(a->files[i], "rb");
        assert_non_null(f);
        fclose(f);
    }
    char d[160];
    assert_string_equal(aniso_report_mask_desc(&a->result, d, sizeof d), "all tokens");
    assert_string_equal(aniso_report_mask_desc(&b->result, d, sizeof d), "first token excluded");
    assert_string_equal(aniso_report_mask_desc(&c->result, d, sizeof d),
                        "BOS and special tokens excluded; positions 1 to 7");
    aniso_profile_run_free(a), aniso_profile_run_free(b), aniso_profile_run_free(c);
    rm_rf(tmp);
    free(tmp), free(model);
}

static int has_warning(json_t *w, const char *start)
{
    for (size_t i = 0; i < json_array_size(w); i++)
        if (!strncmp(json_string_value(json_array_get(w, i)), start, strlen(start))) return 1;
    return 0;
}

/* One two-token prompt: every warning, no verdict. The notebook's prompts
 * on a fixture: only what is true of a 4-layer model (its phases are short). */
static void report_warnings(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    char *pf = fmt("%s/p.txt", tmp);
    write_text(pf, "a\n");
    aniso_profile_opts o = {.model = model, .out_dir = tmp, .prompts_file = pf, .n_threads = 2};
    aniso_profile_run *run = NULL;
    aniso_error err;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    assert_int_equal(run->result.n_tokens, 2);
    json_error_t je;
    json_t *j = json_load_file(run->files[0], 0, &je);
    assert_non_null(j);
    json_t *w = json_object_get(j, "warnings");
    assert_true(json_is_array(w));
    assert_true(has_warning(w, "only 2 tokens per layer (fewer than 10)"));
    assert_true(has_warning(w, "every layer's intrinsic dimension ratio is ~1.0"));
    assert_true(has_warning(w, "n = 2 tokens is far below d = 64"));
    json_t *c = json_object_get(j, "conclusive");
    assert_true(json_is_false(json_object_get(c, "bell_curve")));
    assert_true(json_is_false(json_object_get(c, "flatness")));
    /* The notebook's keys stay as they are. */
    assert_true(
        json_is_boolean(json_object_get(json_object_get(j, "gauge_theory_test"), "is_flatter")));
    json_decref(j);
    aniso_profile_run_free(run);

    o.prompts_file = NULL;
    if (aniso_profile(&o, &run, &err)) fail_msg("%s", err.msg);
    aniso_report_warnings rw;
    aniso_report_warnings_get(&run->result, &rw);
    j = json_load_file(run->files[0], 0, &je);
    w = json_object_get(j, "warnings");
    assert_int_equal((int)json_array_size(w), rw.n);
    assert_false(has_warning(w, "only "));
    assert_false(has_warning(w, "every layer's"));
    assert_false(has_warning(w, "the profile is flat"));
    assert_false(has_warning(w, "n = "));
    /* 5 layers: a phase of fewer than 3 layers, whatever L* is. */
    assert_int_equal(rw.n, 1);
    assert_true(has_warning(w, "phase 1 (layers before L* = "));
    assert_false(rw.bell_conclusive);
    assert_true(rw.flatness_conclusive);
    assert_true(json_is_true(json_object_get(json_object_get(j, "conclusive"), "flatness")));
    json_decref(j);
    aniso_profile_run_free(run);
    rm_rf(tmp);
    free(tmp), free(model), free(pf);
}

/* A figure whose place holds something other than a regular file: an
 * error naming it, and nothing of the report left behind. */
static void report_unwritable(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gemma2-f32", fixtures_dir());
    char *block = fmt("%s/eigenvalue_spectrum_gemma2-f32.svg", tmp);
    assert_int_equal(mkdir(block, 0755), 0);
    aniso_profile_opts o = {
        .model = model, .out_dir = tmp, .n_threads = 2, .formats = ANISO_FIG_PNG | ANISO_FIG_SVG};
    aniso_profile_run *run = NULL;
    aniso_error err;
    assert_int_not_equal(aniso_profile(&o, &run, &err), ANISO_OK);
    assert_null(run);
    char *want = fmt("%s/eigenvalue_spectrum_gemma2-f32.svg: exists and is a folder; aniso "
                     "replaces only regular files with its results",
                     tmp);
    assert_string_equal(err.msg, want);
    assert_int_equal(count_entries(tmp), 1); /* the blocking folder alone */
    /* The comparison: all or none too. */
    rmdir(block);
    char *cblock = fmt("%s/comparison.pdf", tmp);
    assert_int_equal(mkdir(cblock, 0755), 0);
    char *p = fmt("%s/results/anisotropy_results_gemma.json", fixtures_dir());
    aniso_result_file *rf = aniso_result_load(p, &err);
    assert_non_null(rf);
    char *files[4];
    int n = 7;
    assert_int_not_equal(
        aniso_compare_write(&rf, 1, tmp, ANISO_FIG_PNG | ANISO_FIG_PDF, files, &n, &err), ANISO_OK);
    assert_int_equal(n, 0);
    assert_int_equal(count_entries(tmp), 1);
    aniso_result_free(rf);
    rm_rf(tmp);
    free(tmp), free(model), free(block), free(cblock), free(p), free(want);
}

static char *slurp_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = calloc(1, 256);
    size_t n = fread(b, 1, 255, f);
    b[n] = 0;
    fclose(f);
    return b;
}

static void put_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A result set that fails while it is put in place leaves every earlier
 * file as it was and nothing of its own: here the third target turns into
 * a folder after the set was staged, so that the first two were already
 * moved in when the third fails. */
static void result_set_all_or_none(void **state)
{
    (void)state;
    char *tmp = make_temp_dir();
    const char *names[3] = {"a.json", "b.png", "c.zip"};
    char *final[3], *staged[3];
    for (int i = 0; i < 3; i++) final[i] = fmt("%s/%s", tmp, names[i]);
    put_text(final[0], "old a");
    put_text(final[1], "old b");
    aniso_error err;
    astage s;
    assert_int_equal(astage_open(&s, tmp, &err), ANISO_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(astage_add(&s, names[i], &staged[i], &err), ANISO_OK);
        put_text(staged[i], names[i]);
    }
    /* a name twice in one set */
    char *dup = NULL;
    assert_int_not_equal(astage_add(&s, "b.png", &dup, &err), ANISO_OK);
    assert_null(dup);
    assert_int_equal(mkdir(final[2], 0755), 0);
    assert_int_not_equal(astage_commit(&s, &err), ANISO_OK);
    assert_non_null(strstr(err.msg, "c.zip: exists and is a folder"));
    char *a = slurp_text(final[0]), *b = slurp_text(final[1]);
    assert_string_equal(a, "old a");
    assert_string_equal(b, "old b");
    free(a), free(b);
    assert_int_equal(count_entries(tmp), 3); /* a.json, b.png, the folder c.zip */
    /* Without the obstacle the new set replaces the old files. */
    rmdir(final[2]);
    assert_int_equal(astage_open(&s, tmp, &err), ANISO_OK);
    for (int i = 0; i < 3; i++) {
        free(staged[i]);
        assert_int_equal(astage_add(&s, names[i], &staged[i], &err), ANISO_OK);
        put_text(staged[i], names[i]);
    }
    assert_int_equal(astage_commit(&s, &err), ANISO_OK);
    for (int i = 0; i < 3; i++) {
        char *t = slurp_text(final[i]);
        assert_string_equal(t, names[i]);
        free(t);
    }
    assert_int_equal(count_entries(tmp), 3);
    /* A FIFO where a result goes is refused, and left alone. */
    char *fifo = fmt("%s/d.json", tmp);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(astage_open(&s, tmp, &err), ANISO_OK);
    char *p = NULL;
    assert_int_not_equal(astage_add(&s, "d.json", &p, &err), ANISO_OK);
    assert_non_null(strstr(err.msg, "d.json: exists and is a FIFO (named pipe)"));
    astage_abort(&s);
    assert_int_equal(count_entries(tmp), 4);
    rm_rf(tmp);
    for (int i = 0; i < 3; i++) free(final[i]), free(staged[i]);
    free(fifo), free(tmp);
}

/* Two models whose names give the same report name: the second run is
 * refused before any work, and the first one's report is kept. */
static void report_name_collision(void **state)
{
    (void)state;
    char *tmp = make_temp_dir(), *model = fmt("%s/forward/gpt2-f32", fixtures_dir());
    char *copy = fmt("%s/copy/gpt2-f32", tmp), *out = fmt("%s/out", tmp);
    char *cmd = fmt("mkdir -p '%s' && cp '%s'/* '%s'/", copy, model, copy);
    assert_int_equal(system(cmd), 0);
    aniso_profile_opts o = {
        .model = model, .out_dir = out, .n_threads = 2, .formats = ANISO_FIG_NONE};
    aniso_profile_run *run = NULL;
    aniso_error err;
    assert_int_equal(aniso_profile(&o, &run, &err), ANISO_OK);
    aniso_profile_run_free(run);
    o.model = copy;
    assert_int_not_equal(aniso_profile(&o, &run, &err), ANISO_OK);
    assert_non_null(strstr(err.msg, "anisotropy_results_gpt2-f32.json: holds the results of"));
    assert_int_equal(count_entries(out), 1);
    /* the same model by another spelling of its path is the same model */
    char *dotted = fmt("%s/forward/../forward/gpt2-f32", fixtures_dir());
    o.model = dotted;
    assert_int_equal(aniso_profile(&o, &run, &err), ANISO_OK);
    aniso_profile_run_free(run);
    rm_rf(tmp);
    free(tmp), free(model), free(copy), free(out), free(cmd), free(dotted);
}

/* ---- A hand-made result with evidence ---- */

#define FAKE_N   9  /* measured layers */
#define FAKE_MAX 64 /* registry metrics at most */
#define FAKE_B   20 /* bootstrap replicates */

typedef struct fake_result {
    aniso_layer_metrics layers[FAKE_N], nofirst[FAKE_N], iso[FAKE_N], perm[FAKE_N];
    aniso_interval iv[FAKE_N * FAKE_MAX], nf_iv[FAKE_N * FAKE_MAX];
    aniso_layer_tokens tok[FAKE_N];
    double share[FAKE_N], rep[4][FAKE_B];
    int rep_ls[FAKE_B];
    aniso_evidence ev;
    aniso_profile_result r;
} fake_result;

static void set_metric(aniso_layer_metrics *m, const aniso_metric_info *mi, double v)
{
    memcpy((char *)m + mi->offset, &v, sizeof v);
}

/* A bump over the layers, in each metric's range: a profile like a
 * model's, TwoNN never measured. */
static double fake_value(const aniso_metric_info *mi, int layer, double scale)
{
    double bump = sin(3.14159265358979 * layer / (FAKE_N - 1)) * scale;
    if (mi->flags & ANISO_METRIC_ROWS) return NAN;
    if (mi->hi <= 1) return 0.15 + 0.6 * bump;
    return 4 + 20 * bump + layer;
}

static void fake_bootstrap(aniso_bootstrap *b, aniso_interval *iv, fake_result *f, int nm)
{
    b->n_boot = FAKE_B;
    b->method = "whole sequences resampled (test)";
    b->n_boot_rule = "fixed (test)";
    b->unit = "sequence";
    b->n_units = 16;
    b->seed = 1;
    b->level = 0.95;
    b->layers = iv;
    b->n_metrics = nm;
    aniso_interval one = {.estimate = 0.5,
                          .se = 0.1,
                          .lo = 0.3,
                          .hi = 0.7,
                          .bca_lo = NAN,
                          .bca_hi = NAN,
                          .n_valid = FAKE_B};
    b->profile = (aniso_profile_intervals){one, one, one, one, one, one, one, f->share};
    b->rep_range = f->rep[0], b->rep_max = f->rep[1], b->rep_slope1 = f->rep[2];
    b->rep_slope2 = f->rep[3], b->rep_L_star = f->rep_ls;
}

/* Every part of the evidence filled, with some intervals and points NaN:
 * layer 3 has no intervals, layer 0 none without first tokens, and the
 * profile without first tokens lacks its ratio at layer 5. */
static void fake_make(fake_result *f)
{
    memset(f, 0, sizeof *f);
    int nm;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    assert_true(nm <= FAKE_MAX);
    int idr = aniso_metric_find("intrinsic_dim_ratio");
    assert_true(idr >= 0);
    double prof[FAKE_N], nf[FAKE_N];
    for (int i = 0; i < FAKE_N; i++) {
        for (int k = 0; k < nm; k++) {
            double v = fake_value(&reg[k], i, 1.0), w = fake_value(&reg[k], i, 0.7);
            set_metric(&f->layers[i], &reg[k], v);
            set_metric(&f->nofirst[i], &reg[k], w);
            /* an isotropic cloud: flat; permuted columns: in between */
            set_metric(&f->iso[i], &reg[k], reg[k].hi <= 1 ? 0.03 : 600.0);
            set_metric(&f->perm[i], &reg[k], (v + (reg[k].hi <= 1 ? 0.03 : 600.0)) / 2);
            aniso_interval *a = &f->iv[i * nm + k], *b = &f->nf_iv[i * nm + k];
            *a = (aniso_interval){v,   0.05 * fabs(v), 0.9 * v, 1.1 * v, NAN,
                                  NAN, FAKE_B,         NAN,     NAN,     NAN};
            *b = (aniso_interval){w,   0.05 * fabs(w), 0.85 * w, 1.15 * w, NAN,
                                  NAN, FAKE_B,         NAN,      NAN,      NAN};
            if (i == 3) a->lo = a->hi = NAN, a->n_valid = FAKE_B - 1;
            if (i == 0) b->lo = b->hi = NAN, b->n_valid = FAKE_B - 2;
        }
        f->layers[i].n_eig = 10;
        f->nofirst[i].n_eig = f->iso[i].n_eig = f->perm[i].n_eig = 10;
        for (int e = 0; e < 10; e++)
            f->layers[i].eigenvalues[e] = f->nofirst[i].eigenvalues[e] = f->iso[i].eigenvalues[e] =
                f->perm[i].eigenvalues[e] = 10.0 / (e + 1) + i;
        prof[i] = f->layers[i].intrinsic_dim_ratio;
        nf[i] = f->nofirst[i].intrinsic_dim_ratio;
        f->share[i] = 1.0 / FAKE_N;
        aniso_layer_tokens *t = &f->tok[i];
        for (int p = 0; p < ANISO_POS_PROFILE; p++) {
            t->pos_norm[p] = p == 0 ? 400.0 + 50 * i : 8.0 + 0.1 * p + i;
            t->pos_count[p] = p == ANISO_POS_PROFILE - 1 ? 0 : 16; /* nobody there: skipped */
        }
        t->special_norm = 400, t->other_norm = 9, t->special_count = 16, t->other_count = 184;
        t->max_abs = 900, t->max_ratio = 2000, t->n_massive_100 = 3, t->n_massive_1000 = 1;
        t->n_top = 1;
        t->top[0] = (aniso_massive){900, 2000, 0, 0, ANISO_TOKEN_BOS | ANISO_TOKEN_FIRST, 7};
        for (int s = 0; s < 3; s++) t->top_norm_share[s] = 0.2 * (s + 1);
    }
    f->nofirst[5].intrinsic_dim_ratio = NAN;
    for (int b = 0; b < FAKE_B; b++) {
        for (int s = 0; s < 4; s++) f->rep[s][b] = 0.1 * s + 0.001 * b;
        f->rep_ls[b] = 4;
    }
    aniso_evidence *ev = &f->ev;
    fake_bootstrap(&ev->boot, f->iv, f, nm);
    fake_bootstrap(&ev->nofirst_boot, f->nf_iv, f, nm);
    ev->null_iso = f->iso, ev->null_perm = f->perm;
    ev->null_iso_method = "isotropic Gaussian (test)";
    ev->null_perm_method = "columns permuted (test)";
    ev->nofirst = f->nofirst;
    ev->nofirst_tokens = 184;
    ev->tokens = f->tok;
    aniso_profile_result *r = &f->r;
    r->model = "fake/evidence-model";
    r->architecture = "llama";
    r->normalization = "RMSNorm";
    r->dtype = "F32";
    r->n_layers = FAKE_N - 1;
    r->hidden_dim = 64;
    r->n_prompts = 16;
    r->n_tokens = 200;
    r->layers = f->layers;
    r->n_measured = FAKE_N;
    aniso_reference_default(&r->reference);
    aniso_profile_analyze(prof, FAKE_N, &r->reference, &r->analysis);
    nf[5] = (nf[4] + nf[6]) / 2;
    aniso_profile_analyze(nf, FAKE_N, &r->reference, &ev->nofirst_analysis);
    aniso_shape_test(prof, FAKE_N, NULL, &ev->shape, NULL);
    aniso_shape_test(nf, FAKE_N, NULL, &ev->nofirst_shape, NULL);
    r->evidence = ev;
}

/* Writes r's report in every format into a new folder under tmp; checks
 * the set's names, that each figure is whole, and the zip. files[] are
 * left to the caller. */
static int write_checked(const char *tmp, const char *sub, const aniso_profile_result *r,
                         char **files)
{
    char *dir = fmt("%s/%s", tmp, sub);
    aniso_error err;
    int n = 0;
    if (aniso_report_write_all(dir, ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG, r, files, &n,
                               &err))
        fail_msg("%s: %s", sub, err.msg);
    assert_int_equal(n, ANISO_REPORT_MAX_FILES);
    assert_int_equal(count_entries(dir), n);
    assert_non_null(strstr(files[0], "/anisotropy_results_evidence-model.json"));
    static const unsigned fmts[3] = {ANISO_FIG_PNG, ANISO_FIG_PDF, ANISO_FIG_SVG};
    static const char *const exts[3] = {"png", "pdf", "svg"};
    for (int f = 0, k = 1; f < 4; f++)
        for (int j = 0; j < 3; j++, k++) {
            char *want = fmt("%s/%s_evidence-model.%s", dir, stems[f], exts[j]);
            assert_string_equal(files[k], want);
            check_figure_whole(files[k], fmts[j]);
            free(want);
        }
    int ze;
    zip_t *z = zip_open(files[n - 1], ZIP_RDONLY, &ze);
    assert_non_null(z);
    assert_int_equal(zip_get_num_entries(z, 0), n - 1);
    zip_close(z);
    free(dir);
    return n;
}

/* text with the numbers after "surface" dropped (cairo numbers its
 * surfaces across the process, so SVG ids differ from one file to the
 * next); its new length */
static size_t drop_surface_ids(char *text, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (i + 7 <= len && !memcmp(text + i, "surface", 7)) {
            memmove(text + o, text + i, 7);
            o += 7, i += 7;
            while (i < len && text[i] >= '0' && text[i] <= '9') i++;
            continue;
        }
        text[o++] = text[i++];
    }
    return o;
}

/* The two figures are the same (SVG: but for cairo's surface ids). */
static int same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *ta = read_text(a, &la), *tb = read_text(b, &lb);
    if (ta && tb && strstr(a, ".svg")) la = drop_surface_ids(ta, la), lb = drop_surface_ids(tb, lb);
    int same = ta && tb && la == lb && !memcmp(ta, tb, la);
    free(ta), free(tb);
    return same;
}

static void free_files(char **files, int n)
{
    for (int i = 0; i < n; i++) free(files[i]);
}

/* The evidence drawn: every figure written whole in every format, the
 * sizes as stated (the norm figure one panel wider with token controls). */
static void evidence_figures(void **state)
{
    (void)state;
    fake_result *f = malloc(sizeof *f);
    assert_non_null(f);
    fake_make(f);
    char *tmp = make_temp_dir(), *files[ANISO_REPORT_MAX_FILES];
    int n = write_checked(tmp, "ev", &f->r, files);
    unsigned w, h;
    png_size(files[1], &w, &h);
    assert_true(w == 2700 && h == 1650);
    png_size(files[7], &w, &h);
    assert_true(w == 3150 && h == 900);
    png_size(files[10], &w, &h);
    assert_true(w == 2700 && h == 1650);
    free_files(files, n);
    /* Only a few parts: intervals alone; the nulls alone; the profile
     * without first tokens alone (without its intervals). */
    aniso_evidence full = f->ev;
    f->ev.null_iso = f->ev.null_perm = NULL, f->ev.nofirst = NULL, f->ev.tokens = NULL;
    n = write_checked(tmp, "intervals", &f->r, files);
    png_size(files[7], &w, &h);
    assert_true(w == 2100 && h == 900);
    free_files(files, n);
    f->ev = full;
    f->ev.boot.n_boot = 0, f->ev.boot.layers = NULL, f->ev.nofirst = NULL;
    n = write_checked(tmp, "nulls", &f->r, files);
    free_files(files, n);
    f->ev = full;
    f->ev.boot.n_boot = 0, f->ev.nofirst_boot.n_boot = 0, f->ev.null_iso = NULL;
    f->ev.null_perm = NULL;
    n = write_checked(tmp, "nofirst", &f->r, files);
    free_files(files, n);
    rm_rf(tmp);
    free(tmp), free(f);
}

/* Evidence with nothing in it, or with nothing finite in it (every
 * interval, null and point NaN or infinite), draws exactly the figures of
 * a result without evidence; NaN in the profile itself is skipped. */
static void evidence_empty_or_nan(void **state)
{
    (void)state;
    fake_result *f = malloc(sizeof *f);
    assert_non_null(f);
    fake_make(f);
    char *tmp = make_temp_dir(), *base[ANISO_REPORT_MAX_FILES], *files[ANISO_REPORT_MAX_FILES];
    const aniso_evidence *ev = f->r.evidence;
    f->r.evidence = NULL;
    int nb = write_checked(tmp, "none", &f->r, base);
    /* empty parts */
    aniso_evidence empty;
    memset(&empty, 0, sizeof empty);
    empty.nofirst_analysis = ev->nofirst_analysis;
    f->r.evidence = &empty;
    int n = write_checked(tmp, "empty", &f->r, files);
    assert_int_equal(n, nb);
    for (int i = 1; i < n - 1; i++)
        if (!strstr(files[i], ".pdf") && !same_file(files[i], base[i]))
            fail_msg("%s differs from the figure without evidence", files[i]);
    free_files(files, n);
    /* nothing finite */
    int nm;
    aniso_metric_registry(&nm);
    for (int i = 0; i < FAKE_N * nm; i++) {
        f->iv[i].lo = NAN, f->iv[i].hi = INFINITY;
        f->nf_iv[i].lo = f->nf_iv[i].hi = NAN;
    }
    for (int i = 0; i < FAKE_N; i++) {
        for (int k = 0; k < nm; k++) {
            const aniso_metric_info *reg = aniso_metric_registry(&nm);
            set_metric(&f->nofirst[i], &reg[k], NAN);
            set_metric(&f->iso[i], &reg[k], i % 2 ? NAN : INFINITY);
            set_metric(&f->perm[i], &reg[k], -INFINITY);
        }
        for (int p = 0; p < ANISO_POS_PROFILE; p++) f->tok[i].pos_norm[p] = NAN;
    }
    f->r.evidence = ev;
    n = write_checked(tmp, "nan", &f->r, files);
    for (int i = 1; i < n - 1; i++)
        if (!strstr(files[i], ".pdf") && !same_file(files[i], base[i]))
            fail_msg("%s differs from the figure without evidence", files[i]);
    free_files(files, n);
    free_files(base, nb);
    /* NaN and infinite points of the metrics themselves (the report's JSON
     * refuses them but for TwoNN; the figures skip them), a whole metric
     * NaN (a "not measured" panel), with the evidence. */
    fake_make(f);
    f->layers[4].stable_rank = f->nofirst[2].stable_rank = NAN;
    f->layers[0].isoscore = f->layers[FAKE_N - 1].isoscore = INFINITY;
    f->layers[2].effective_rank = f->layers[6].avg_cos_sim_to_mean = NAN;
    f->layers[3].eigenvalue_variance = 0; /* off a log axis */
    for (int i = 0; i < FAKE_N; i++) f->layers[i].rankme = f->nofirst[i].rankme = NAN;
    typedef aniso_status (*figure_fn)(const char *, unsigned, const char *,
                                      const aniso_profile_result *, aniso_error *);
    static const figure_fn draw[4] = {figure_profile, figure_spectrum, figure_norms, figure_family};
    static const unsigned fmts[3] = {ANISO_FIG_PNG, ANISO_FIG_PDF, ANISO_FIG_SVG};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++) {
            char *path = fmt("%s/points-%s.%s", tmp, stems[k], figure_format_ext(fmts[j]));
            aniso_error err;
            if (draw[k](path, fmts[j], "points", &f->r, &err)) fail_msg("%s", err.msg);
            check_figure_whole(path, fmts[j]);
            free(path);
        }
    rm_rf(tmp);
    free(tmp), free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profile_writes_report), cmocka_unit_test(too_few_tokens),
        cmocka_unit_test(published_results),     cmocka_unit_test(result_without_profile),
        cmocka_unit_test(report_formats),        cmocka_unit_test(formats_parse),
        cmocka_unit_test(report_names),          cmocka_unit_test(report_warnings),
        cmocka_unit_test(report_unwritable),     cmocka_unit_test(result_set_all_or_none),
        cmocka_unit_test(report_name_collision), cmocka_unit_test(evidence_figures),
        cmocka_unit_test(evidence_empty_or_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
