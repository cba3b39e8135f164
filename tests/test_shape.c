/* test_shape.c - the calibrated bell-curve test (include/aniso/shape.h):
 * the statistic against scipy.stats.linregress and the p-value against a
 * Python re-implementation of the generator and the shuffles
 * (tests/fixtures/shape/expected.json, tools/oracle/make_shape_goldens.py),
 * then the verdict on clear cases, determinism, invariances, the short and
 * degenerate profiles and the argument errors. */
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

#include "aniso/shape.h"
#include "base/rng.h"
#include "golden.h"
#include "util.h"

static json_t *expected;

/* Every double of r is finite and the fields are consistent. */
static void assert_sane(const char *what, const aniso_shape_result *r, size_t n)
{
    const double f[] = {r->statistic, r->t1, r->t2, r->slope1, r->slope2, r->p, r->alpha};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!isfinite(f[i])) fail_msg("%s: field %zu is %g", what, i, f[i]);
    if (!(r->p > 0 && r->p <= 1)) fail_msg("%s: p %g", what, r->p);
    if (fabs(r->t1) > ANISO_SHAPE_T_CAP || fabs(r->t2) > ANISO_SHAPE_T_CAP)
        fail_msg("%s: t beyond the cap", what);
    if (r->applicable) {
        if (r->breakpoint < 3 || (size_t)r->breakpoint > n - 3)
            fail_msg("%s: breakpoint %d of %zu", what, r->breakpoint, n);
        if (r->statistic != fmin(r->t1, -r->t2)) fail_msg("%s: S is not min(t1, -t2)", what);
    } else if (r->breakpoint != -1 || r->p != 1 || r->bell) {
        fail_msg("%s: not applicable but breakpoint %d, p %g, bell %d", what, r->breakpoint, r->p,
                 r->bell);
    }
}

static double *json_doubles(json_t *a, size_t *n)
{
    *n = json_array_size(a);
    double *v = malloc(sizeof *v * (*n ? *n : 1));
    for (size_t i = 0; i < *n; i++) v[i] = json_number_value(json_array_get(a, i));
    return v;
}

static void goldens(void **state)
{
    (void)state;
    json_t *ps = json_object_get(expected, "profiles");
    assert_non_null(ps);
    const char *name;
    json_t *p;
    int count = 0;
    json_object_foreach(ps, name, p)
    {
        size_t n, nx = 0;
        double *v = json_doubles(json_object_get(p, "values"), &n);
        json_t *jx = json_object_get(p, "x");
        double *x = jx ? json_doubles(jx, &nx) : NULL;
        if (x) assert_int_equal(nx, n);
        aniso_error err;
        aniso_shape_result r;
        assert_int_equal(aniso_shape_statistic(x, v, n, &r, &err), ANISO_OK);
        assert_true(r.applicable);
        assert_int_equal(r.breakpoint, (int)num(p, "k"));
        close_to(name, "S", r.statistic, num(p, "S"), 0);
        close_to(name, "t1", r.t1, num(p, "t1"), 0);
        close_to(name, "t2", r.t2, num(p, "t2"), 0);
        close_to(name, "slope1", r.slope1, num(p, "slope1"), 1e-15);
        close_to(name, "slope2", r.slope2, num(p, "slope2"), 1e-15);
        assert_int_equal(r.n_perm, 0);
        assert_true(r.p == 1 && !r.bell);

        aniso_shape_opts o;
        aniso_shape_opts_default(&o);
        o.n_perm = (int)num(p, "n_perm");
        o.seed = (uint64_t)num(p, "seed");
        aniso_shape_result t;
        assert_int_equal(aniso_shape_test_xy(x, v, n, &o, &t, &err), ANISO_OK);
        assert_sane(name, &t, n);
        /* The same permutations: the same count, so exactly the same p. */
        if (t.p != num(p, "p")) fail_msg("%s p: %.17g, expected %.17g", name, t.p, num(p, "p"));
        assert_true(t.statistic == r.statistic && t.breakpoint == r.breakpoint);
        assert_int_equal(t.bell, t.p <= 0.05);
        assert_int_equal(t.n_perm, o.n_perm);
        assert_true(t.seed == o.seed && t.alpha == 0.05);
        free(v);
        free(x);
        count++;
    }
    assert_true(count >= 5);
}

/* A triangle peaking at layer 7 of 19 with noise of 5% of its height. */
static void clear_bell_is_bell(void **state)
{
    (void)state;
    double v[19];
    arng g;
    arng_seed(&g, 11);
    for (int i = 0; i < 19; i++)
        v[i] = (i <= 7 ? i / 7.0 : (18 - i) / 11.0) + 0.05 * arng_normal(&g);
    aniso_shape_result r;
    aniso_error err;
    assert_int_equal(aniso_shape_test(v, 19, NULL, &r, &err), ANISO_OK);
    assert_sane("triangle", &r, 19);
    assert_true(r.p < 0.01);
    assert_true(r.bell);
    assert_true(r.breakpoint >= 6 && r.breakpoint <= 9);
    assert_true(r.slope1 > 0 && r.slope2 < 0);
    assert_int_equal(r.n_perm, ANISO_SHAPE_DEFAULT_B);
    /* The smallest p that B permutations can give. */
    assert_true(r.p == 1.0 / (ANISO_SHAPE_DEFAULT_B + 1));

    /* An exact triangle: both phases fit exactly, S is the cap, the peak
     * starts phase 2 (the first of the tied breakpoints). */
    double e[] = {0, 1, 2, 3, 4, 3, 2, 1, 0, -1};
    assert_int_equal(aniso_shape_test(e, 10, NULL, &r, &err), ANISO_OK);
    assert_sane("exact triangle", &r, 10);
    assert_true(r.statistic == ANISO_SHAPE_T_CAP);
    assert_int_equal(r.breakpoint, 4);
    close_to("exact triangle", "slope1", r.slope1, 1, 0);
    close_to("exact triangle", "slope2", r.slope2, -1, 0);
    assert_true(r.bell);
}

static void flat_is_not_bell(void **state)
{
    (void)state;
    double v[27];
    for (int i = 0; i < 27; i++) v[i] = 0.1; /* not exact in binary: the mean is not 0.1 */
    aniso_shape_result r;
    aniso_error err;
    assert_int_equal(aniso_shape_test(v, 27, NULL, &r, &err), ANISO_OK);
    assert_sane("constant", &r, 27);
    assert_true(r.applicable);
    assert_true(r.statistic == 0 && r.t1 == 0 && r.t2 == 0 && r.slope1 == 0 && r.slope2 == 0);
    assert_true(r.p == 1 && !r.bell);
}

static void monotone_is_not_bell(void **state)
{
    (void)state;
    double up[33], down[33], noisy[33];
    arng g;
    arng_seed(&g, 5);
    for (int i = 0; i < 33; i++) {
        up[i] = 0.01 * i;
        down[i] = 1 - 0.02 * i;
        noisy[i] = 0.01 * i + 0.05 * arng_normal(&g);
    }
    const double *ps[] = {up, down, noisy};
    const char *names[] = {"rising", "falling", "rising with noise"};
    for (int j = 0; j < 3; j++) {
        aniso_shape_result r;
        aniso_error err;
        aniso_shape_opts o;
        aniso_shape_opts_default(&o);
        o.n_perm = 999;
        assert_int_equal(aniso_shape_test(ps[j], 33, &o, &r, &err), ANISO_OK);
        assert_sane(names[j], &r, 33);
        if (r.bell || r.p < 0.5) fail_msg("%s: p %g, bell %d", names[j], r.p, r.bell);
        assert_true(r.statistic < 0);
    }
}

static void deterministic(void **state)
{
    (void)state;
    double v[27];
    arng g;
    arng_seed(&g, 3);
    for (int i = 0; i < 27; i++) v[i] = 0.3 * sin(i / 6.0) + arng_normal(&g);
    aniso_shape_opts o;
    aniso_shape_opts_default(&o);
    o.n_perm = 1999;
    o.seed = 42;
    aniso_shape_result a, b, c;
    aniso_error err;
    assert_int_equal(aniso_shape_test(v, 27, &o, &a, &err), ANISO_OK);
    assert_int_equal(aniso_shape_test(v, 27, &o, &b, &err), ANISO_OK);
    assert_true(a.statistic == b.statistic && a.breakpoint == b.breakpoint && a.p == b.p &&
                a.t1 == b.t1 && a.t2 == b.t2 && a.slope1 == b.slope1 && a.slope2 == b.slope2 &&
                a.bell == b.bell);
    /* Another seed: other permutations, the same statistic. */
    o.seed = 43;
    assert_int_equal(aniso_shape_test(v, 27, &o, &c, &err), ANISO_OK);
    assert_true(c.statistic == a.statistic && c.breakpoint == a.breakpoint);
    assert_true(c.seed == 43 && a.seed == 42);
    assert_true(fabs(c.p - a.p) < 0.05); /* both estimate the same p */
}

/* S depends on the order of the values and on the layer numbers only up to
 * positive affine maps. */
static void invariances(void **state)
{
    (void)state;
    double v[19], w[19], x[19], x2[19];
    arng g;
    arng_seed(&g, 9);
    for (int i = 0; i < 19; i++) {
        v[i] = exp(-0.5 * (i - 8) * (i - 8) / 9.0) + 0.3 * arng_normal(&g);
        w[i] = 1e-3 * v[i] + 7;
        x[i] = i;
        x2[i] = 3.0 * i + 100;
    }
    aniso_shape_opts o;
    aniso_shape_opts_default(&o);
    o.n_perm = 499;
    aniso_shape_result a, b, c, d;
    aniso_error err;
    assert_int_equal(aniso_shape_test(v, 19, &o, &a, &err), ANISO_OK);
    assert_int_equal(aniso_shape_test(w, 19, &o, &b, &err), ANISO_OK);
    assert_int_equal(aniso_shape_test_xy(x, v, 19, &o, &c, &err), ANISO_OK);
    assert_int_equal(aniso_shape_test_xy(x2, v, 19, &o, &d, &err), ANISO_OK);
    const aniso_shape_result *rs[] = {&b, &c, &d};
    for (int j = 0; j < 3; j++) {
        close_to("invariance", "S", rs[j]->statistic, a.statistic, 1e-12);
        assert_int_equal(rs[j]->breakpoint, a.breakpoint);
        assert_true(rs[j]->p == a.p);
    }
    close_to("scaled values", "slope1", b.slope1, 1e-3 * a.slope1, 1e-15);
    close_to("x = 0..n-1", "slope1", c.slope1, a.slope1, 1e-15);
    close_to("x = 3i + 100", "slope1", d.slope1, a.slope1 / 3, 1e-15);
    close_to("x = 3i + 100", "slope2", d.slope2, a.slope2 / 3, 1e-15);
}

static void short_profiles(void **state)
{
    (void)state;
    double v[] = {0, 1, 2, 1, 0};
    aniso_shape_result r;
    aniso_error err;
    for (size_t n = 0; n < 6; n++) {
        assert_int_equal(aniso_shape_test(n ? v : NULL, n, NULL, &r, &err), ANISO_OK);
        assert_sane("short", &r, n);
        assert_false(r.applicable);
        assert_true(r.statistic == 0 && r.p == 1 && !r.bell && r.breakpoint == -1);
    }
    /* n = 6: one breakpoint, k = 3. */
    double six[] = {0, 1, 2, 2, 1, 0};
    assert_int_equal(aniso_shape_test(six, 6, NULL, &r, &err), ANISO_OK);
    assert_true(r.applicable && r.breakpoint == 3);
    assert_sane("six", &r, 6);
}

/* Profiles that make naive formulas divide by zero or overflow. */
static void degenerate(void **state)
{
    (void)state;
    enum { N = 19 };
    double p[8][N], x[N];
    for (int i = 0; i < N; i++) {
        p[0][i] = i < 9 ? 0 : 1;                   /* a step: both phases partly constant */
        p[1][i] = i % 2;                           /* two values alternating */
        p[2][i] = (i < 9 ? i : 18 - i) * 1e300;    /* huge */
        p[3][i] = i % 3 == 0 ? -1.7e308 : 1.7e308; /* the whole double range */
        p[4][i] = (i < 9 ? i : 18 - i) * 4.9406564584124654e-324; /* subnormals */
        p[5][i] = 1 + (i == 9 ? 1e-15 : 0);                       /* one value off by a few ulps */
        p[6][i] = i == 0 ? 1 : 0;                                 /* one spike at the edge */
        p[7][i] = (double)(i < 9 ? i : 18 - i);                   /* exact triangle, integers */
        x[i] = i * 1e300;
    }
    aniso_shape_opts o;
    aniso_shape_opts_default(&o);
    o.n_perm = 199;
    for (int j = 0; j < 8; j++) {
        char what[32];
        snprintf(what, sizeof what, "degenerate %d", j);
        aniso_shape_result r;
        aniso_error err;
        assert_int_equal(aniso_shape_test(p[j], N, &o, &r, &err), ANISO_OK);
        assert_sane(what, &r, N);
        assert_int_equal(aniso_shape_test_xy(x, p[j], N, &o, &r, &err), ANISO_OK);
        assert_sane(what, &r, N);
    }
    /* Layer numbers a few subnormals apart. */
    double xs[N];
    for (int i = 0; i < N; i++) xs[i] = i * 4.9406564584124654e-324;
    aniso_shape_result r;
    aniso_error err;
    assert_int_equal(aniso_shape_test_xy(xs, p[7], N, &o, &r, &err), ANISO_OK);
    assert_sane("subnormal x", &r, N);
    /* The exact triangle in units of 1e300 and of the smallest subnormal:
     * the same statistic, and slopes in the input's units. */
    aniso_shape_result tri;
    assert_int_equal(aniso_shape_statistic(NULL, p[7], N, &tri, &err), ANISO_OK);
    assert_true(tri.statistic == ANISO_SHAPE_T_CAP && tri.breakpoint == 9);
    assert_int_equal(aniso_shape_statistic(NULL, p[2], N, &r, &err), ANISO_OK);
    assert_true(r.statistic == tri.statistic && r.breakpoint == tri.breakpoint);
    close_to("1e300 triangle", "slope1", r.slope1, 1e300, 0);
    assert_int_equal(aniso_shape_statistic(NULL, p[4], N, &r, &err), ANISO_OK);
    assert_true(r.statistic == tri.statistic && r.breakpoint == tri.breakpoint);
    assert_true(r.slope1 > 0 && r.slope2 < 0);
    /* The step: phase 1 constant at every breakpoint up to 9 -> t1 = 0. */
    assert_int_equal(aniso_shape_test(p[0], N, &o, &r, &err), ANISO_OK);
    assert_false(r.bell);
}

static void expect_error(const char *what, aniso_status st, const aniso_error *err,
                         const aniso_shape_result *r)
{
    if (st != ANISO_INVALID_ARGUMENT) fail_msg("%s: status %d", what, (int)st);
    if (err->code != ANISO_INVALID_ARGUMENT || !err->msg[0]) fail_msg("%s: error not set", what);
    if (r && (r->applicable || r->p != 1 || r->bell)) fail_msg("%s: result not cleared", what);
}

static void bad_arguments(void **state)
{
    (void)state;
    double v[8] = {0, 1, 2, 3, 2, 1, 0, -1}, x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    aniso_shape_result r;
    aniso_error err;
    aniso_shape_opts o;
    aniso_shape_opts_default(&o);
    expect_error("NULL values", aniso_shape_test(NULL, 8, NULL, &r, &err), &err, &r);
    expect_error("NULL out", aniso_shape_test(v, 8, NULL, NULL, &err), &err, NULL);
    expect_error("too long", aniso_shape_test(v, (size_t)ANISO_SHAPE_MAX_N + 1, NULL, &r, &err),
                 &err, &r);
    v[3] = NAN;
    expect_error("NaN", aniso_shape_test(v, 8, NULL, &r, &err), &err, &r);
    v[3] = -INFINITY;
    expect_error("infinity", aniso_shape_statistic(NULL, v, 8, &r, &err), &err, &r);
    v[3] = 3;
    x[5] = 4;
    expect_error("x repeated", aniso_shape_test_xy(x, v, 8, NULL, &r, &err), &err, &r);
    x[5] = NAN;
    expect_error("x NaN", aniso_shape_test_xy(x, v, 8, NULL, &r, &err), &err, &r);
    x[5] = 5;
    o.n_perm = 0;
    expect_error("B = 0", aniso_shape_test(v, 8, &o, &r, &err), &err, &r);
    o.n_perm = ANISO_SHAPE_MAX_B + 1;
    expect_error("B too large", aniso_shape_test(v, 8, &o, &r, &err), &err, &r);
    o.n_perm = 99;
    const double alphas[] = {0, -0.1, 1.5, NAN};
    for (int i = 0; i < 4; i++) {
        o.alpha = alphas[i];
        expect_error("alpha", aniso_shape_test(v, 8, &o, &r, &err), &err, &r);
    }
    o.alpha = 1;
    assert_int_equal(aniso_shape_test_xy(x, v, 8, &o, &r, &err), ANISO_OK);
    assert_true(r.bell); /* alpha 1: every applicable profile */
    /* err may be NULL. */
    assert_int_equal(aniso_shape_test(NULL, 8, NULL, &r, NULL), ANISO_INVALID_ARGUMENT);
}

int main(void)
{
    char *path = fmt("%s/shape/expected.json", fixtures_dir());
    json_error_t je;
    expected = json_load_file(path, 0, &je);
    if (!expected) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        return 1;
    }
    free(path);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(goldens),          cmocka_unit_test(clear_bell_is_bell),
        cmocka_unit_test(flat_is_not_bell), cmocka_unit_test(monotone_is_not_bell),
        cmocka_unit_test(deterministic),    cmocka_unit_test(invariances),
        cmocka_unit_test(short_profiles),   cmocka_unit_test(degenerate),
        cmocka_unit_test(bad_arguments),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(expected);
    return rc;
}
