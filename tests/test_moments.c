/* test_moments.c - streaming statistics against the direct metrics.
 *
 * aniso_metrics_compute evaluates docs/METRICS.md's formulas on a whole matrix
 * and is itself checked against numpy/scipy float64 (test_metrics). Here the
 * same matrices go through aniso_moments in chunks of several sizes, in both
 * regimes (rows kept while n < d; moments after), merged from parts and
 * round-tripped through serialisation; every metric must agree with the
 * direct value to 1e-9 relative (merges of parts with one whole run: 1e-12). */
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

/* Rows with a shared offset, a few dominant directions and one outlier row
 * (like a BOS token), so that every metric is far from trivial. */
static float *make_rows(size_t n, size_t d, uint64_t seed)
{
    float *x = malloc(n * d * sizeof *x);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            double v = u * (j < 3 ? 8.0 : 1.0) + 0.7 + 0.01 * (double)j;
            x[i * d + j] = (float)(i == 0 ? 30.0 * v : v);
        }
    return x;
}

static double rel(double a, double b)
{
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return s > 0 ? fabs(a - b) / s : 0;
}

static void expect_close(const aniso_layer_metrics *a, const aniso_layer_metrics *b, double tol,
                         const char *what)
{
    /* every metric of the registry; one that needs the rows may be
     * unmeasured (NaN) on one side only when that side holds moments */
    int nm;
    const aniso_metric_info *reg = aniso_metric_registry(&nm);
    for (int k = 0; k < nm; k++) {
        double x = aniso_metric_value(a, k), y = aniso_metric_value(b, k);
        if ((reg[k].flags & ANISO_METRIC_ROWS) && (isnan(x) || isnan(y))) continue;
        if (!(rel(x, y) <= tol))
            fail_msg("%s: %s %.17g vs %.17g (rel %.3g)", what, reg[k].key, x, y, rel(x, y));
    }
    assert_int_equal(a->n_eig, b->n_eig);
    for (int i = 0; i < a->n_eig; i++)
        if (a->eigenvalues[i] > 1e-6 * a->eigenvalues[0] &&
            !(rel(a->eigenvalues[i], b->eigenvalues[i]) <= tol * 100))
            fail_msg("%s: eigenvalue %d %.17g vs %.17g", what, i, a->eigenvalues[i],
                     b->eigenvalues[i]);
}

static aniso_moments *stream(const float *x, size_t n, size_t d, size_t chunk, size_t keep)
{
    aniso_error err;
    aniso_moments *m = aniso_moments_new((int)d, keep, &err);
    assert_non_null(m);
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        assert_int_equal(aniso_moments_add(m, x + i * d, k, &err), ANISO_OK);
    }
    assert_int_equal(aniso_moments_count(m), n);
    return m;
}

static void check_case(size_t n, size_t d)
{
    float *x = make_rows(n, d, n * 31 + d);
    aniso_layer_metrics direct, got;
    aniso_error err;
    assert_int_equal(aniso_metrics_compute(x, n, d, &direct, &err), ANISO_OK);
    size_t chunks[] = {1, 7, 64, n};
    for (size_t c = 0; c < 4; c++) {
        aniso_moments *m = stream(x, n, d, chunks[c], ANISO_MOMENTS_KEEP_ROWS);
        assert_int_equal(aniso_moments_keeps_rows(m), n < d);
        assert_int_equal(aniso_moments_metrics(m, &got, &err), ANISO_OK);
        char what[64];
        snprintf(what, sizeof what, "n %zu d %zu chunk %zu", n, d, chunks[c]);
        expect_close(&direct, &got, 1e-9, what);
        aniso_moments_free(m);
    }
    /* Moments regime even when n < d (no rows kept). */
    aniso_moments *m = stream(x, n, d, 13, 0);
    assert_false(aniso_moments_keeps_rows(m));
    assert_int_equal(aniso_moments_metrics(m, &got, &err), ANISO_OK);
    expect_close(&direct, &got, 1e-9, "moments only");
    aniso_moments_free(m);
    /* Two parts merged against one whole run. */
    aniso_layer_metrics whole;
    aniso_moments *all = stream(x, n, d, 16, ANISO_MOMENTS_KEEP_ROWS);
    assert_int_equal(aniso_moments_metrics(all, &whole, &err), ANISO_OK);
    size_t half = n / 2 / 16 * 16;
    aniso_moments *a = stream(x, half, d, 16, ANISO_MOMENTS_KEEP_ROWS);
    aniso_moments *b = stream(x + half * d, n - half, d, 16, ANISO_MOMENTS_KEEP_ROWS);
    assert_int_equal(aniso_moments_merge(a, b, &err), ANISO_OK);
    assert_int_equal(aniso_moments_metrics(a, &got, &err), ANISO_OK);
    expect_close(&whole, &got, 1e-12, "merged halves");
    aniso_moments_free(a);
    aniso_moments_free(b);
    aniso_moments_free(all);
    free(x);
}

static void gram_regime(void **state)
{
    (void)state;
    check_case(40, 96);
    check_case(95, 96);
}

static void moments_regime(void **state)
{
    (void)state;
    check_case(96, 96);
    check_case(500, 64);
    check_case(300, 130);
}

typedef struct membuf {
    unsigned char *p;
    size_t n, cap, at;
} membuf;

static int put(void *user, const void *p, size_t len)
{
    membuf *b = user;
    if (b->n + len > b->cap) {
        b->cap = (b->n + len) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, len);
    b->n += len;
    return 0;
}

static int get(void *user, void *p, size_t len)
{
    membuf *b = user;
    if (b->at + len > b->n) return -1;
    memcpy(p, b->p + b->at, len);
    b->at += len;
    return 0;
}

static void serialisation(void **state)
{
    (void)state;
    size_t sizes[][2] = {{30, 64}, {200, 48}};
    for (int k = 0; k < 2; k++) {
        size_t n = sizes[k][0], d = sizes[k][1];
        float *x = make_rows(n, d, 5 + k);
        aniso_error err;
        aniso_moments *m = stream(x, n, d, 9, ANISO_MOMENTS_KEEP_ROWS);
        membuf b = {0};
        assert_int_equal(aniso_moments_write(m, put, &b, &err), ANISO_OK);
        aniso_moments *r = aniso_moments_read(get, &b, b.n - b.at, "mem", &err);
        assert_non_null(r);
        assert_int_equal(b.at, b.n);
        aniso_layer_metrics m1, m2;
        assert_int_equal(aniso_moments_metrics(m, &m1, &err), ANISO_OK);
        assert_int_equal(aniso_moments_metrics(r, &m2, &err), ANISO_OK);
        assert_memory_equal(&m1, &m2, sizeof m1);
        /* A truncated image is an error, never a partial object. */
        b.n -= 8;
        b.at = 0;
        assert_null(aniso_moments_read(get, &b, b.n - b.at, "mem", &err));
        assert_string_equal(err.msg, "mem: truncated layer statistics");
        free(b.p);
        aniso_moments_free(m);
        aniso_moments_free(r);
        free(x);
    }
}

/* Units of rows (n_units rows each, u of them) into m, sequence by sequence
 * in chunks of two units. */
static void add_units(aniso_moments *m, const float *x, size_t u, size_t len, size_t d)
{
    aniso_error err;
    size_t lens[2] = {len, len};
    for (size_t k = 0; k < u; k += 2) {
        size_t nu = u - k < 2 ? u - k : 2;
        assert_int_equal(aniso_moments_add_units(m, x + k * len * d, nu * len, lens, nu, &err),
                         ANISO_OK);
    }
}

/* Resampling every unit once is the sample itself, in both regimes; a
 * unit drawn twice is its rows twice; blocks survive serialisation and
 * merging. */
static void resampling(void **state)
{
    (void)state;
    struct {
        size_t u, len, d, keep;
        int blocks;
    } cases[] = {{6, 5, 64, ANISO_MOMENTS_KEEP_ROWS, 0}, {12, 20, 16, ANISO_MOMENTS_KEEP_ROWS, 5}};
    for (int c = 0; c < 2; c++) {
        size_t u = cases[c].u, len = cases[c].len, d = cases[c].d, n = u * len;
        float *x = make_rows(n, d, 40 + c);
        aniso_error err;
        aniso_moments *m = aniso_moments_new((int)d, cases[c].keep, &err);
        assert_int_equal(aniso_moments_set_blocks(m, cases[c].blocks, &err), ANISO_OK);
        add_units(m, x, u, len, d);
        uint64_t U = aniso_moments_units(m);
        assert_int_equal(U, cases[c].blocks ? (uint64_t)cases[c].blocks : u);
        aniso_resampler *rs = aniso_resampler_new(m, &err);
        assert_non_null(rs);
        uint32_t count[16];
        aniso_layer_metrics full, got, want;
        assert_int_equal(aniso_moments_metrics(m, &full, &err), ANISO_OK);
        for (uint64_t k = 0; k < U; k++) count[k] = 1;
        assert_int_equal(aniso_resampler_metrics(rs, count, &got, &err), ANISO_OK);
        expect_close(&full, &got, 1e-9, "every unit once");
        /* unit (or block) 0 twice, unit 1 not at all: those rows, directly */
        count[0] = 2, count[1] = 0;
        assert_int_equal(aniso_resampler_metrics(rs, count, &got, &err), ANISO_OK);
        float *y = malloc(2 * n * d * sizeof *y);
        size_t ny = 0;
        for (size_t k = 0; k < u; k++) {
            size_t owner = cases[c].blocks ? k % (size_t)cases[c].blocks : k;
            for (uint32_t t = 0; t < count[owner]; t++, ny++)
                memcpy(y + ny * len * d, x + k * len * d, len * d * sizeof *y);
        }
        assert_int_equal(aniso_metrics_compute(y, ny * len, d, &want, &err), ANISO_OK);
        if (cases[c].blocks) want.twonn_dimension = NAN; /* moments: not measured */
        expect_close(&want, &got, 1e-9, "unit 0 twice, unit 1 left out");
        /* the same after a round trip through serialisation */
        membuf b = {0};
        assert_int_equal(aniso_moments_write(m, put, &b, &err), ANISO_OK);
        aniso_moments *r = aniso_moments_read(get, &b, b.n, "mem", &err);
        assert_non_null(r);
        assert_int_equal(aniso_moments_units(r), U);
        aniso_resampler *rs2 = aniso_resampler_new(r, &err);
        aniso_layer_metrics got2;
        assert_int_equal(aniso_resampler_metrics(rs2, count, &got2, &err), ANISO_OK);
        expect_close(&got, &got2, 1e-15, "after a round trip");
        /* two halves merged: the same units, the same blocks */
        aniso_moments *h1 = aniso_moments_new((int)d, cases[c].keep, &err),
                      *h2 = aniso_moments_new((int)d, cases[c].keep, &err);
        aniso_moments_set_blocks(h1, cases[c].blocks, &err);
        aniso_moments_set_blocks(h2, cases[c].blocks, &err);
        add_units(h1, x, u / 2, len, d);
        add_units(h2, x + u / 2 * len * d, u - u / 2, len, d);
        assert_int_equal(aniso_moments_merge(h1, h2, &err), ANISO_OK);
        assert_int_equal(aniso_moments_units(h1), U);
        if (!cases[c].blocks) { /* rows: the same units in the same order */
            aniso_resampler *rs3 = aniso_resampler_new(h1, &err);
            assert_int_equal(aniso_resampler_metrics(rs3, count, &got2, &err), ANISO_OK);
            expect_close(&got, &got2, 1e-12, "merged halves");
            aniso_resampler_free(rs3);
        }
        aniso_moments_free(h1), aniso_moments_free(h2);
        aniso_resampler_free(rs2), aniso_resampler_free(rs);
        aniso_moments_free(r), aniso_moments_free(m);
        free(b.p), free(x), free(y);
    }
}

static void too_few_rows(void **state)
{
    (void)state;
    aniso_error err;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    aniso_moments *m = aniso_moments_new(8, 0, &err);
    assert_int_equal(aniso_moments_add(m, x, 1, &err), ANISO_OK);
    aniso_layer_metrics out;
    assert_int_not_equal(aniso_moments_metrics(m, &out, &err), ANISO_OK);
    aniso_moments *o = aniso_moments_new(4, 0, &err);
    assert_int_not_equal(aniso_moments_merge(m, o, &err), ANISO_OK);
    aniso_moments_free(o);
    aniso_moments_free(m);
}

/* Statistics that are not finite (rows holding NaN) give the metrics an
 * error that says why, in both regimes. */
static void nonfinite_statistics(void **state)
{
    (void)state;
    aniso_error err;
    float x[10 * 4];
    for (int i = 0; i < 40; i++) x[i] = (float)((i * 7) % 11) - 5;
    x[17] = NAN;
    aniso_layer_metrics out;
    aniso_moments *m = aniso_moments_new(4, 1, &err); /* moments from the first row */
    assert_int_equal(aniso_moments_add(m, x, 10, &err), ANISO_OK);
    assert_int_equal(aniso_moments_metrics(m, &out, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "metrics: the covariance of the 10 x 4 matrix holds non-finite "
                                 "values (its rows are too large for float64, or not finite)");
    aniso_moments_free(m);
    m = aniso_moments_new(8, 100, &err); /* rows kept (fewer than d = 8): the Gram route */
    assert_int_equal(aniso_moments_add(m, x, 5, &err), ANISO_OK);
    assert_int_equal(aniso_moments_metrics(m, &out, &err), ANISO_INVALID_ARGUMENT);
    assert_string_equal(err.msg, "metrics: row 2 holds a non-finite value (NaN) in column 1");
    aniso_moments_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gram_regime),   cmocka_unit_test(moments_regime),
        cmocka_unit_test(serialisation), cmocka_unit_test(too_few_rows),
        cmocka_unit_test(resampling),    cmocka_unit_test(nonfinite_statistics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
