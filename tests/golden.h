/* golden.h - comparisons with an oracle's expected.json, for the cmocka
 * tests that read one (include after <jansson.h>, <math.h> and <cmocka.h>). */
#ifndef ANISO_TEST_GOLDEN_H
#define ANISO_TEST_GOLDEN_H

/* Relative agreement with the float64 oracles. */
#define REL 1e-9

/* got within REL of want (relative to the larger) plus abs_floor. */
static inline void close_to(const char *what, const char *key, double got, double want,
                            double abs_floor)
{
    double tol = REL * fmax(fabs(got), fabs(want)) + abs_floor;
    if (!(fabs(got - want) <= tol))
        fail_msg("%s %s: %.17g, expected %.17g (|diff| %.3g > %.3g)", what, key, got, want,
                 fabs(got - want), tol);
}

/* The number o holds under k; a missing one fails the test. */
static inline double num(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v)) fail_msg("expected.json: no number '%s'", k);
    return json_number_value(v);
}

#endif
