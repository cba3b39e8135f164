/* boot_coverage.c - how often aniso's 95% bootstrap intervals hold the
 * true value, on simulated layers whose value is known.
 *
 * Each trial draws sequences of tokens from a Gaussian with covariance
 * diag(4, 1, ..., 1), correlated within a sequence (AR(1), rho 0.5, the
 * same marginal law), feeds them to a moments object as units (one unit a
 * sequence), and computes the intervals exactly as `aniso profile` does
 * (aniso_resampler_metrics on aniso_bootstrap_indices, then
 * aniso_interval_compute with the jackknife). Two regimes:
 *   rows:   d = 256, 24 sequences of 8 tokens (n = 192 < d, the Gram route),
 *           and 60 sequences of 4 tokens (n = 240);
 *           the statistics mean_norm and std_norm, whose true values are
 *           estimated once from 200,000 independent rows
 *   blocks: d = 16, 64 sequences of 32 tokens (n = 2048 > d, 20 blocks);
 *           intrinsic_dim_ratio, true value 4 / (4 + d - 1), and mean_norm
 * Usage: boot_coverage [TRIALS [B [SEED]]]   (defaults 400, 400, 1) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "aniso/aniso.h"
#include "base/rng.h"

static void draw_sequences(arng *r, float *x, int n_seq, int len, int d)
{
    const double rho = 0.5, s = sqrt(1 - rho * rho);
    for (int q = 0; q < n_seq; q++)
        for (int t = 0; t < len; t++)
            for (int j = 0; j < d; j++) {
                double sd = j == 0 ? 2.0 : 1.0, z = sd * arng_normal(r);
                float *v = x + ((size_t)q * (size_t)len + (size_t)t) * (size_t)d + (size_t)j;
                *v = t == 0 ? (float)z : (float)(rho * v[-d] + s * z);
            }
}

/* E|x| and sd(|x|) for x ~ N(0, diag(4, 1, ...)) in d dimensions. */
static void norm_truth(arng *r, int d, double *mean, double *sd)
{
    const int N = 200000;
    double s = 0, ss = 0;
    for (int i = 0; i < N; i++) {
        double q = 0;
        for (int j = 0; j < d; j++) {
            double z = (j == 0 ? 2.0 : 1.0) * arng_normal(r);
            q += z * z;
        }
        double n = sqrt(q);
        s += n;
        ss += n * n;
    }
    *mean = s / N;
    *sd = sqrt(ss / N - *mean * *mean);
}

typedef struct tally {
    const char *name;
    int key;
    double truth;
    int pct, bca, bca_n;
} tally;

static void trial(arng *r, int d, int n_seq, int len, int blocks, int B, uint64_t seed, tally *t,
                  int nt)
{
    size_t n = (size_t)n_seq * (size_t)len;
    float *x = malloc(n * (size_t)d * sizeof *x);
    size_t *units = malloc((size_t)n_seq * sizeof *units);
    draw_sequences(r, x, n_seq, len, d);
    for (int q = 0; q < n_seq; q++) units[q] = (size_t)len;
    aniso_error err;
    aniso_moments *m = aniso_moments_new(d, ANISO_MOMENTS_KEEP_ROWS, &err);
    if (!m || aniso_moments_set_blocks(m, blocks, &err) ||
        aniso_moments_add_units(m, x, n, units, (size_t)n_seq, &err)) {
        fprintf(stderr, "boot_coverage: %s\n", err.msg);
        exit(1);
    }
    aniso_layer_metrics full, lm;
    aniso_resampler *rs = aniso_resampler_new(m, &err);
    if (!rs || aniso_moments_metrics(m, &full, &err)) {
        fprintf(stderr, "boot_coverage: %s\n", err.msg);
        exit(1);
    }
    uint64_t U = aniso_resampler_units(rs);
    uint32_t *idx = malloc((size_t)B * U * sizeof *idx), *count = malloc(U * sizeof *count);
    double *rep = malloc((size_t)B * (size_t)nt * sizeof *rep),
           *jk = malloc(U * (size_t)nt * sizeof *jk);
    aniso_bootstrap_indices(seed, B, U, idx);
    for (int b = 0; b <= B + (int)U - 1; b++) {
        for (uint64_t k = 0; k < U; k++) count[k] = 0;
        if (b < B)
            for (uint64_t k = 0; k < U; k++) count[idx[(size_t)b * U + k]]++;
        else
            for (uint64_t k = 0; k < U; k++) count[k] = k != (uint64_t)(b - B);
        if (aniso_resampler_metrics(rs, count, &lm, &err)) {
            fprintf(stderr, "boot_coverage: %s\n", err.msg);
            exit(1);
        }
        for (int i = 0; i < nt; i++) {
            double v = aniso_metric_value(&lm, t[i].key);
            if (b < B)
                rep[(size_t)i * (size_t)B + (size_t)b] = v;
            else
                jk[(size_t)i * U + (size_t)(b - B)] = v;
        }
    }
    for (int i = 0; i < nt; i++) {
        aniso_interval iv;
        aniso_interval_compute(rep + (size_t)i * (size_t)B, B, aniso_metric_value(&full, t[i].key),
                               jk + (size_t)i * U, U, 0.95, &iv);
        t[i].pct += iv.lo <= t[i].truth && t[i].truth <= iv.hi;
        if (iv.bca_lo == iv.bca_lo) {
            t[i].bca_n++;
            t[i].bca += iv.bca_lo <= t[i].truth && t[i].truth <= iv.bca_hi;
        }
    }
    free(x), free(units), free(idx), free(count), free(rep), free(jk);
    aniso_resampler_free(rs);
    aniso_moments_free(m);
}

static void report(const char *regime, tally *t, int nt, int trials)
{
    for (int i = 0; i < nt; i++) {
        double p = (double)t[i].pct / trials, q = t[i].bca_n ? (double)t[i].bca / t[i].bca_n : NAN;
        printf("%-7s %-20s truth %-10.6g percentile %.3f (+-%.3f)   BCa %.3f (of %d)\n", regime,
               t[i].name, t[i].truth, p, 1.96 * sqrt(p * (1 - p) / trials), q, t[i].bca_n);
    }
}

int main(int argc, char **argv)
{
    int trials = argc > 1 ? atoi(argv[1]) : 400, B = argc > 2 ? atoi(argv[2]) : 400;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    arng r;
    arng_seed(&r, seed);
    double mn, sd;
    norm_truth(&r, 256, &mn, &sd);
    tally rows[2] = {{"mean_norm", aniso_metric_find("mean_norm"), mn, 0, 0, 0},
                     {"std_norm", aniso_metric_find("std_norm"), sd, 0, 0, 0}};
    for (int k = 0; k < trials; k++) trial(&r, 256, 24, 8, 0, B, seed + (uint64_t)k, rows, 2);
    tally rows60[2] = {{"mean_norm", aniso_metric_find("mean_norm"), mn, 0, 0, 0},
                       {"std_norm", aniso_metric_find("std_norm"), sd, 0, 0, 0}};
    for (int k = 0; k < trials; k++)
        trial(&r, 256, 60, 4, 0, B, seed + 104729 * (uint64_t)k, rows60, 2);
    norm_truth(&r, 16, &mn, &sd);
    tally blk[2] = {
        {"intrinsic_dim_ratio", aniso_metric_find("intrinsic_dim_ratio"), 4.0 / 19.0, 0, 0, 0},
        {"mean_norm", aniso_metric_find("mean_norm"), mn, 0, 0, 0}};
    for (int k = 0; k < trials; k++)
        trial(&r, 16, 64, 32, 20, B, seed + 7919 * (uint64_t)k, blk, 2);
    printf("95%% intervals, %d trials, %d replicates each (+- is the 95%% binomial margin)\n",
           trials, B);
    report("rows24", rows, 2, trials);
    report("rows60", rows60, 2, trials);
    report("blocks", blk, 2, trials);
    return 0;
}
