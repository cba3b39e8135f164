/* json_close - whether two JSON reports agree: the same keys, strings and
 * booleans, and numbers within a relative tolerance.
 *
 *   json_close A.json B.json TOL [KEY ...]
 *
 * KEYs are left out wherever they occur (timings, how the result was made).
 * Prints the first difference and the largest relative difference of the
 * numbers; exit 0 when they agree, 1 when not, 2 on bad use. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **skip;
static int n_skip;
static double worst;

static int skipped(const char *k)
{
    for (int i = 0; i < n_skip; i++)
        if (!strcmp(skip[i], k)) return 1;
    return 0;
}

static int same(const json_t *a, const json_t *b, double tol, const char *path)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        double m = fmax(fabs(x), fabs(y)), d = fabs(x - y), rel = m > 0 ? d / m : 0;
        if (rel > worst) worst = rel;
        if (rel > tol) {
            printf("%s: %.17g vs %.17g (relative %.3g)\n", path, x, y, rel);
            return 0;
        }
        return 1;
    }
    if (json_typeof(a) != json_typeof(b)) {
        printf("%s: different types\n", path);
        return 0;
    }
    char sub[1024];
    if (json_is_object(a)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (skipped(k)) continue;
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            json_t *w = json_object_get(b, k);
            if (!w) {
                printf("%s: only in the first\n", sub);
                return 0;
            }
            if (!same(v, w, tol, sub)) return 0;
        }
        json_object_foreach((json_t *)b, k, v) if (!skipped(k) && !json_object_get(a, k))
        {
            printf("%s.%s: only in the second\n", path, k);
            return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) {
            printf("%s: %zu vs %zu entries\n", path, json_array_size(a), json_array_size(b));
            return 0;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (!same(json_array_get(a, i), json_array_get(b, i), tol, sub)) return 0;
        }
        return 1;
    }
    if (!json_equal((json_t *)a, (json_t *)b)) {
        printf("%s: differs\n", path);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: json_close A.json B.json TOL [KEY ...]\n");
        return 2;
    }
    json_error_t je;
    json_t *a = json_load_file(argv[1], 0, &je), *b = a ? json_load_file(argv[2], 0, &je) : NULL;
    if (!a || !b) {
        fprintf(stderr, "json_close: %s\n", je.text);
        return 2;
    }
    skip = argv + 4;
    n_skip = argc - 4;
    int ok = same(a, b, atof(argv[3]), "");
    printf("largest relative difference %.3g\n", worst);
    json_decref(a);
    json_decref(b);
    return ok ? 0 : 1;
}
