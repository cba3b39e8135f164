/* test_metrics.c - the per-layer metrics and the profile analysis against
 * the notebook's formulas evaluated in float64 by numpy and scipy
 * (tests/fixtures/metrics/expected.json), at 1e-9 relative. Values that are
 * mathematically zero (a constant profile's variance) compare with a 1e-15
 * absolute floor; eigenvalues with 1e-12 of the largest one (an
 * eigensolver's error is relative to the matrix norm, not to each value). */
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

#include "aniso/analysis.h"
#include "golden.h"
#include "util.h"

static json_t *expected;

static void matrices(void **state)
{
    (void)state;
    json_t *ms = json_object_get(expected, "matrices");
    const char *name;
    json_t *m;
    int count = 0;
    json_object_foreach(ms, name, m)
    {
        char *path =
            fmt("%s/metrics/%s", fixtures_dir(), json_string_value(json_object_get(m, "file")));
        int64_t shape[8];
        int nd;
        aniso_error err;
        float *X = aniso_npy_load(path, shape, &nd, &err);
        if (!X) fail_msg("%s", err.msg);
        aniso_layer_metrics got;
        assert_int_equal(aniso_metrics_compute(X, (size_t)shape[0], (size_t)shape[1], &got, &err),
                         ANISO_OK);
        json_t *w = json_object_get(m, "metrics");
        close_to(name, "eigenvalue_variance", got.eigenvalue_variance,
                 num(w, "eigenvalue_variance"), 1e-15);
        close_to(name, "intrinsic_dim_ratio", got.intrinsic_dim_ratio,
                 num(w, "intrinsic_dim_ratio"), 0);
        close_to(name, "effective_rank", got.effective_rank, num(w, "effective_rank"), 0);
        close_to(name, "avg_cos_sim_to_mean", got.avg_cos_sim_to_mean,
                 num(w, "avg_cos_sim_to_mean"), 1e-15);
        close_to(name, "var_top1", got.var_top1, num(w, "var_top1"), 0);
        close_to(name, "var_top10", got.var_top10, num(w, "var_top10"), 0);
        close_to(name, "var_top50", got.var_top50, num(w, "var_top50"), 0);
        close_to(name, "mean_norm", got.mean_norm, num(w, "mean_norm"), 1e-15);
        close_to(name, "std_norm", got.std_norm, num(w, "std_norm"), 1e-15);
        close_to(name, "norm_cv", got.norm_cv, num(w, "norm_cv"), 1e-15);
        /* Every metric of the registry: the notebook's above, and the wider
         * family (null in the oracle: not measurable, NaN here). */
        int nm, checked = 0;
        const aniso_metric_info *reg = aniso_metric_registry(&nm);
        for (int k = 0; k < nm; k++) {
            json_t *v = json_object_get(w, reg[k].key);
            double g = aniso_metric_value(&got, k);
            if (!v) fail_msg("%s: the oracle has no '%s'", name, reg[k].key);
            checked++;
            if (json_is_null(v)) {
                if (!isnan(g)) fail_msg("%s %s: %.17g, expected not measured", name, reg[k].key, g);
                continue;
            }
            close_to(name, reg[k].key, g, json_number_value(v), 1e-14);
        }
        assert_int_equal(checked, nm);
        json_t *ev = json_object_get(w, "eigenvalues");
        assert_int_equal(got.n_eig, json_array_size(ev));
        double top = json_number_value(json_array_get(ev, 0));
        for (int i = 0; i < got.n_eig; i++) {
            char key[32];
            snprintf(key, sizeof key, "eigenvalues[%d]", i);
            close_to(name, key, got.eigenvalues[i],
                     json_number_value(json_array_get(ev, (size_t)i)), 1e-12 * top);
        }
        free(X);
        free(path);
        count++;
    }
    assert_true(count >= 10);
}

static void check_linreg(const char *name, const char *phase, const aniso_linreg *g, json_t *w)
{
    char what[128];
    snprintf(what, sizeof what, "%s %s", name, phase);
    close_to(what, "slope", g->slope, num(w, "slope"), 1e-15);
    close_to(what, "intercept", g->intercept, num(w, "intercept"), 1e-15);
    close_to(what, "r", g->r, num(w, "r"), 1e-15);
    close_to(what, "p", g->p, num(w, "p"), 1e-15);
}

static void profiles(void **state)
{
    (void)state;
    json_t *ps = json_object_get(expected, "profiles");
    const char *name;
    json_t *p;
    aniso_reference ref;
    aniso_reference_default(&ref);
    int count = 0;
    json_object_foreach(ps, name, p)
    {
        json_t *vals = json_object_get(p, "values"), *w = json_object_get(p, "analysis");
        int n = (int)json_array_size(vals);
        double *v = malloc(sizeof *v * (size_t)n);
        for (int i = 0; i < n; i++) v[i] = json_number_value(json_array_get(vals, (size_t)i));
        aniso_profile_analysis a;
        aniso_profile_analyze(v, n, &ref, &a);
        assert_int_equal(a.L_star, json_integer_value(json_object_get(w, "L_star")));
        assert_int_equal(a.is_bell_curve, json_is_true(json_object_get(w, "is_bell_curve")));
        assert_int_equal(a.is_flatter, json_is_true(json_object_get(w, "is_flatter")));
        check_linreg(name, "phase1", &a.phase1, json_object_get(w, "phase1"));
        check_linreg(name, "phase2", &a.phase2, json_object_get(w, "phase2"));
        close_to(name, "profile_variance", a.profile_variance, num(w, "profile_variance"), 1e-15);
        close_to(name, "profile_range", a.profile_range, num(w, "profile_range"), 1e-15);
        close_to(name, "max_anisotropy", a.max_anisotropy, num(w, "max_anisotropy"), 0);
        close_to(name, "flatness_percent", a.flatness_percent, num(w, "flatness_percent"), 1e-13);
        json_t *sl = json_object_get(w, "spectrum_layers");
        for (int i = 0; i < 5; i++)
            assert_int_equal(a.spectrum_layers[i],
                             json_integer_value(json_array_get(sl, (size_t)i)));
        free(v);
        count++;
    }
    assert_true(count >= 11);
}

static void one_token_is_an_error(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4};
    aniso_layer_metrics m;
    aniso_error err;
    assert_int_equal(aniso_metrics_compute(x, 1, 4, &m, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg,
                        "metrics need at least 2 tokens (got 1): the covariance divides by "
                        "n - 1");
}

/* A non-finite value is named (row and column), never handed to LAPACK. */
static void nonfinite_rows_are_an_error(void **state)
{
    (void)state;
    float x[6 * 4];
    for (int i = 0; i < 24; i++) x[i] = (float)(i % 7) - 3;
    x[3 * 4 + 2] = NAN;
    aniso_layer_metrics m;
    aniso_error err;
    assert_int_equal(aniso_metrics_compute(x, 6, 4, &m, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "metrics: row 3 holds a non-finite value (NaN) in column 2");
    x[3 * 4 + 2] = 0, x[5 * 4 + 0] = -INFINITY;
    assert_int_equal(aniso_metrics_compute(x, 6, 4, &m, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "metrics: row 5 holds a non-finite value (-Inf) in column 0");
}

static void short_phases(void **state)
{
    (void)state;
    aniso_linreg r;
    double y[1] = {3};
    aniso_linregress(y, 1, &r);
    assert_true(r.slope == 0 && r.r == 0 && r.p == 1);
    aniso_linregress(y, 0, &r);
    assert_true(r.slope == 0 && r.r == 0 && r.p == 1);
}

int main(void)
{
    char *path = fmt("%s/metrics/expected.json", fixtures_dir());
    json_error_t je;
    expected = json_load_file(path, 0, &je);
    if (!expected) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return 1;
    }
    free(path);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matrices),
        cmocka_unit_test(profiles),
        cmocka_unit_test(one_token_is_an_error),
        cmocka_unit_test(nonfinite_rows_are_an_error),
        cmocka_unit_test(short_phases),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(expected);
    return rc;
}
