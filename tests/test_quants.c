/* test_quants.c - dequantization bit-exact against the gguf package's
 * reference decoders on random blocks (tests/fixtures/quants). An internal
 * test: it includes src/ headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/quants.h"
#include "util.h"

static void check_type(const char *name, aniso_dtype dt)
{
    char *bp = fmt("%s/quants/%s.bin", fixtures_dir(), name);
    char *fp = fmt("%s/quants/%s.f32", fixtures_dir(), name);
    size_t nb, nf;
    char *blocks = read_text(bp, &nb), *want = read_text(fp, &nf);
    size_t be, bb;
    aniso_dtype_block(dt, &be, &bb);
    assert_int_equal(nb % bb, 0);
    size_t n = nb / bb * be;
    assert_int_equal(nf, n * 4);
    float *got = malloc(n * sizeof *got);
    assert_int_equal(dequantize(dt, blocks, got, n), 0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&got[i], want + 4 * i, 4) != 0 && bad++ < 3) {
            float w;
            memcpy(&w, want + 4 * i, 4);
            print_error("%s element %zu (block %zu): %.9g, expected %.9g\n", name, i, i / be,
                        got[i], w);
        }
    if (bad) fail_msg("%s: %zu of %zu elements differ from the reference", name, bad, n);
    free(got), free(blocks), free(want), free(bp), free(fp);
}

#define T(fn, name)                                                                                \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        (void)state;                                                                               \
        check_type(#name, ANISO_DTYPE_##name);                                                     \
    }
T(q4_0, Q4_0)
T(q4_1, Q4_1)
T(q5_0, Q5_0)
T(q5_1, Q5_1)
T(q8_0, Q8_0)
T(q2_k, Q2_K)
T(q3_k, Q3_K)
T(q4_k, Q4_K)
T(q5_k, Q5_K)
T(q6_k, Q6_K)

static void not_a_block_type(void **state)
{
    (void)state;
    float x = 0;
    assert_int_equal(dequantize(ANISO_DTYPE_F32, &x, &x, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(q4_0),
        cmocka_unit_test(q4_1),
        cmocka_unit_test(q5_0),
        cmocka_unit_test(q5_1),
        cmocka_unit_test(q8_0),
        cmocka_unit_test(q2_k),
        cmocka_unit_test(q3_k),
        cmocka_unit_test(q4_k),
        cmocka_unit_test(q5_k),
        cmocka_unit_test(q6_k),
        cmocka_unit_test(not_a_block_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
