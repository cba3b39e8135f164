/* shape_calibration.c - the error rates of the bell-curve tests, by
 * simulation: how often the calibrated permutation test (aniso/shape.h)
 * and the notebook's criterion (is_bell_curve, aniso/analysis.h) call a
 * profile a bell, on profiles of 19, 27 and 33 layers that are
 *   flat   a constant plus i.i.d. Gaussian noise (H0 of the permutation
 *          test: the rate is its false-positive rate);
 *   walk   a Gaussian random walk (not exchangeable, so outside H0: a
 *          caveat, not a calibration);
 *   tri A, gauss A
 *          a triangle (0 at both ends) or a Gaussian bump (SD 15% of the
 *          depth) of height A times the noise SD on a flat baseline plus
 *          i.i.d. noise, peaking at a depth drawn uniformly in 30-60% of
 *          the profile in each trial (the rate is the power).
 * Prints one Markdown table: per case and length, the share of trials
 * that the permutation test rejects at alpha 0.01, 0.05 and 0.10 and the
 * share that pass the notebook's criterion, each with its binomial
 * standard error.
 *   shape_calibration [TRIALS [B [SEED]]]    (defaults 2000, 999, 1) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "aniso/analysis.h"
#include "aniso/shape.h"
#include "base/rng.h"

enum { FLAT, WALK, TRI, GAUSS };

typedef struct scenario {
    const char *name;
    int kind;
    double amp; /* bump height / noise SD */
} scenario;

static const scenario cases[] = {
    {"flat + noise", FLAT, 0}, {"random walk", WALK, 0}, {"triangle 0.5", TRI, 0.5},
    {"triangle 1", TRI, 1},    {"triangle 2", TRI, 2},   {"triangle 4", TRI, 4},
    {"gauss 0.5", GAUSS, 0.5}, {"gauss 1", GAUSS, 1},    {"gauss 2", GAUSS, 2},
    {"gauss 4", GAUSS, 4},
};

static void make_profile(const scenario *s, int n, arng *g, double *v)
{
    double peak = (0.3 + 0.3 * arng_uniform(g)) * (n - 1), walk = 0;
    for (int i = 0; i < n; i++) {
        double e = arng_normal(g), base = 0;
        switch (s->kind) {
        case FLAT:
            break;
        case WALK:
            walk += e;
            e = walk;
            break;
        case TRI:
            base = s->amp * (i <= peak ? i / peak : (n - 1 - i) / (n - 1 - peak));
            break;
        case GAUSS: {
            double z = (i - peak) / (0.15 * (n - 1));
            base = s->amp * exp(-0.5 * z * z);
            break;
        }
        }
        v[i] = 0.5 + base + e; /* noise SD 1 */
    }
}

static double se(double p, int trials)
{
    return sqrt(p * (1 - p) / trials);
}

int main(int argc, char **argv)
{
    int trials = argc > 1 ? atoi(argv[1]) : 2000, B = argc > 2 ? atoi(argv[2]) : 999;
    unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (trials < 1 || B < 1) {
        fprintf(stderr, "usage: shape_calibration [TRIALS [B [SEED]]]\n");
        return 2;
    }
    const int lengths[] = {19, 27, 33};
    clock_t t0 = clock();
    printf("trials %d per cell, B = %d permutations, seed %llu\n\n", trials, B, seed);
    printf("| case | n | test a=0.01 | test a=0.05 | test a=0.10 | notebook |\n");
    printf("| --- | --- | --- | --- | --- | --- |\n");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int li = 0; li < 3; li++) {
            int n = lengths[li], r01 = 0, r05 = 0, r10 = 0, nb = 0;
            double v[64];
            arng g;
            arng_seed(&g, seed * 1000003u + c * 101u + (unsigned)n);
            aniso_shape_opts o;
            aniso_shape_opts_default(&o);
            o.n_perm = B;
            for (int t = 0; t < trials; t++) {
                make_profile(&cases[c], n, &g, v);
                o.seed = arng_next(&g);
                aniso_shape_result r;
                aniso_error err;
                if (aniso_shape_test(v, (size_t)n, &o, &r, &err)) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 1;
                }
                r01 += r.p <= 0.01;
                r05 += r.p <= 0.05;
                r10 += r.p <= 0.10;
                aniso_profile_analysis a;
                aniso_profile_analyze(v, n, NULL, &a);
                nb += a.is_bell_curve;
            }
            double p01 = (double)r01 / trials, p05 = (double)r05 / trials,
                   p10 = (double)r10 / trials, pn = (double)nb / trials;
            printf("| %s | %d | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) |\n",
                   cases[c].name, n, p01, se(p01, trials), p05, se(p05, trials), p10,
                   se(p10, trials), pn, se(pn, trials));
            fflush(stdout);
        }
    }
    printf("\n(standard errors in parentheses; %.0f s of CPU)\n",
           (double)(clock() - t0) / CLOCKS_PER_SEC);
    return 0;
}
