/* controls.c - a profile's evidence (aniso/evidence.h): bootstrap intervals
 * over whole sequences, the profile without first tokens, the calibrated
 * shape test and the null baselines, from the layers' statistics. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/npy.h"
#include "analysis/analysis_int.h"
#include "base/rng.h"
#include "model/ops.h"
#include "pipeline/controls.h"

#define ERRC(e) ((e) && (e)->code ? (e)->code : ANISO_NO_MEMORY)

/* The null of an isotropic Gaussian is simulated row by row up to this many
 * rows; beyond, its covariance is drawn from the Wishart law directly. */
#define ISO_DIRECT_MAX 4096

/* Everything the evidence points to, owned by the run. */
typedef struct bootmem {
    aniso_interval *layers;
    double *L_share, *rep_range, *rep_max, *rep_slope1, *rep_slope2;
    int *rep_L;
    aniso_npy_writer *indices; /* the resampled units, until committed */
    char rule[300], why[300];
} bootmem;

typedef struct store {
    aniso_evidence ev;
    bootmem boot, nf_boot;
    aniso_layer_metrics *nofirst, *null_iso, *null_perm;
    aniso_layer_tokens *tokens;
    char iso_method[300], perm_method[300], nofirst_why[ANISO_ERROR_MSG_MAX + 64];
} store;

static void bootmem_free(bootmem *b)
{
    aniso_npy_discard(b->indices);
    free(b->layers), free(b->L_share), free(b->rep_range), free(b->rep_max), free(b->rep_slope1),
        free(b->rep_slope2), free(b->rep_L);
}

void evidence_free(void *p)
{
    store *s = p;
    if (!s) return;
    bootmem_free(&s->boot);
    bootmem_free(&s->nf_boot);
    free(s->nofirst), free(s->null_iso), free(s->null_perm), free(s->tokens);
    free(s);
}

uint64_t evidence_bytes(uint64_t d, size_t keep, uint64_t max_rows, int n_blocks, int n_threads,
                        int n_meas)
{
    uint64_t lim = keep < d ? keep : d, T = n_threads > 0 ? (uint64_t)n_threads : 1;
    uint64_t per_layer = (uint64_t)(n_meas > 0 ? n_meas : 1);
    uint64_t reps = per_layer * (DEFAULT_BOOT + 64) * 32 * sizeof(double);
    uint64_t b = 0;
    if (max_rows < lim) { /* rows: the resampler's Gram matrix, each thread's replicate */
        uint64_t n = max_rows;
        b = (n * n + n * d + 8 * n) * 8 + T * (n * n + 2 * d + 6 * n) * 8;
        uint64_t nul = n * d * 12 + 2 * n * n * 8; /* a null matrix and its metrics */
        if (nul > b) b = nul;
    } else if (n_blocks > 0) { /* blocks: each thread's merged copy and its covariance */
        b = T * 2 * (d * d + 3 * d) * 8;
    }
    uint64_t w = 2 * (d * d + 3 * d) * 8; /* the Wishart null */
    if (lim > 1 && lim - 1 <= ISO_DIRECT_MAX) {
        uint64_t n = lim - 1;
        w = n * d * 12 + 2 * n * n * 8;
    }
    return reps + (b > w ? b : w);
}

/* ---- Bootstrap ---- */

/* The cost of one replicate of one layer in the forward pass's FLOP:
 * dsyevd on an m x m matrix, whose reduction to tridiagonal form is
 * (4/3) m^3 but whose small sizes run far below the forward pass's rate
 * (the 4500 m^2 term, fitted on an AMD EPYC against a Q4_K forward pass),
 * and the blocks' merge. */
static double replicate_cost(const aniso_moments *m, int blocks)
{
    double d = aniso_moments_dim(m);
    if (aniso_moments_keeps_rows(m)) {
        double k = 0.632 * (double)aniso_moments_count(m); /* distinct rows drawn */
        return 4.0 / 3.0 * k * k * k + 4500 * k * k;
    }
    return 4.0 / 3.0 * d * d * d + 4500 * d * d + 2.0 * blocks * d * d;
}

static int bootmem_alloc(bootmem *bm, int n_prof, int nm, int B)
{
    bm->layers = calloc((size_t)n_prof * (size_t)nm, sizeof *bm->layers);
    bm->L_share = calloc((size_t)n_prof, sizeof *bm->L_share);
    bm->rep_range = malloc((size_t)B * sizeof(double));
    bm->rep_max = malloc((size_t)B * sizeof(double));
    bm->rep_slope1 = malloc((size_t)B * sizeof(double));
    bm->rep_slope2 = malloc((size_t)B * sizeof(double));
    bm->rep_L = malloc((size_t)B * sizeof(int));
    return bm->layers && bm->L_share && bm->rep_range && bm->rep_max && bm->rep_slope1 &&
           bm->rep_slope2 && bm->rep_L;
}

/* Task t of a layer's bootstrap: replicate t (t < nb: units idx[t * nu +
 * k]), else the jackknife's sample without unit t - nb. */
static aniso_status replicate(const aniso_resampler *rs, const uint32_t *idx, size_t nu, size_t nb,
                              size_t t, aniso_layer_metrics *lm, aniso_error *e)
{
    uint32_t *count = calloc(nu, sizeof *count);
    if (!count) return aniso_error_set(e, ANISO_NO_MEMORY, "out of memory");
    if (t < nb)
        for (size_t k = 0; k < nu; k++) count[idx[t * nu + k]]++;
    else
        for (size_t k = 0; k < nu; k++) count[k] = k != t - nb;
    aniso_status s = aniso_resampler_metrics(rs, count, lm, e);
    free(count);
    return s;
}

/* Profile statistics of each of n samples: vals[(l * n + b) * nm + k_idr]. */
static void profile_stats(const double *vals, int n, int n_prof, int nm, int k_idr,
                          const int *layer_ids, const aniso_reference *ref, double *range,
                          double *max, double *var, double *s1, double *s2, int *Ls)
{
    double *v = malloc((size_t)n_prof * sizeof *v);
    for (int b = 0; v && b < n; b++) {
        int ok = 1;
        for (int l = 0; l < n_prof; l++) {
            v[l] = vals[((size_t)l * (size_t)n + (size_t)b) * (size_t)nm + (size_t)k_idr];
            ok = ok && isfinite(v[l]);
        }
        aniso_profile_analysis a;
        if (ok) aniso_profile_analyze_at(layer_ids, v, n_prof, ref, &a);
        range[b] = ok ? a.profile_range : NAN;
        max[b] = ok ? a.max_anisotropy : NAN;
        var[b] = ok ? a.profile_variance : NAN;
        s1[b] = ok ? a.phase1.slope : NAN;
        s2[b] = ok ? a.phase2.slope : NAN;
        Ls[b] = ok ? a.L_star : -1;
    }
    free(v);
}

/* One bootstrap: of the profile layers' statistics m[entry[l]], whose
 * whole-sample metrics are full[l] and analysis fa. */
static aniso_status boot_run(aniso_bootstrap *bt, bootmem *bm, const evcfg *ev, int n_copies,
                             aniso_moments *const *m, const int *entry, int n_prof,
                             const int *layer_ids, const aniso_layer_metrics *full,
                             const aniso_profile_analysis *fa, const aniso_reference *ref,
                             const char *indices, aniso_error *err)
{
    int nm;
    aniso_metric_registry(&nm);
    int k_idr = aniso_metric_find("intrinsic_dim_ratio");
    memset(bt, 0, sizeof *bt);
    bt->level = BOOT_LEVEL;
    bt->seed = ev->seed;
    bt->n_metrics = nm;
    const aniso_moments *m0 = m[entry[0]];
    int rows = aniso_moments_keeps_rows(m0);
    uint64_t U = aniso_moments_units(m0);
    bt->unit = rows ? "sequence" : "block of sequences";
    bt->n_units = U;
    if (ev->n_boot < 0) {
        bt->why = "not computed (--boot 0)";
        return ANISO_OK;
    }
    if (!rows && aniso_moments_blocks(m0) == 0) {
        bt->why = ev->blocks_why ? ev->blocks_why
                                 : "not computed: this run holds moments (more rows than d) and no "
                                   "bootstrap blocks (--boot-blocks)";
        return ANISO_OK;
    }
    for (int l = 1; l < n_prof; l++)
        if (aniso_moments_units(m[entry[l]]) != U) {
            bt->why = "not computed: the layers hold different resampling units";
            return ANISO_OK;
        }
    if (U < 2) {
        snprintf(bm->why, sizeof bm->why,
                 "not computed: %llu %s to resample; intervals need at least 2",
                 (unsigned long long)U, bt->unit);
        bt->why = bm->why;
        return ANISO_OK;
    }
    bt->method = rows ? "whole sequences drawn with replacement; each replicate exact, from the "
                        "Gram matrix of the rows drawn (weighted by their counts, re-centred)"
                      : "blocks of whole sequences (sequence k in block k mod K) drawn with "
                        "replacement; each replicate exact, from the blocks' moments merged "
                        "with their counts";
    /* How many replicates: as asked; else 1000, or as many as fit the
     * larger of a fifth of the forward pass and BOOT_ALLOWANCE, not fewer
     * than 200: below that, none by default (the report says why). */
    int B = ev->n_boot;
    if (B > 0) {
        snprintf(bm->rule, sizeof bm->rule, "%d (--boot)", B);
    } else if (ev->fwd_flops <= 0) {
        B = DEFAULT_BOOT;
        snprintf(bm->rule, sizeof bm->rule, "%d (the default; %s)", B,
                 ev->n_boot_reason ? ev->n_boot_reason : "the forward pass's cost is unknown");
    } else {
        double per = 0;
        for (int l = 0; l < n_prof; l++)
            per += replicate_cost(m[entry[l]], aniso_moments_blocks(m0)) * n_copies;
        double budget = fmax(0.2 * ev->fwd_flops, BOOT_ALLOWANCE), f = floor(budget / per);
        B = f >= DEFAULT_BOOT ? DEFAULT_BOOT : (int)f;
        if (B < MIN_BOOT) {
            snprintf(bm->why, sizeof bm->why,
                     "not computed by default: 200 replicates would cost about %.2g FLOP, more "
                     "than a fifth of the forward pass (%.2g FLOP) and than %.2g FLOP; --boot 200 "
                     "computes them",
                     MIN_BOOT * per, ev->fwd_flops, BOOT_ALLOWANCE);
            bt->why = bm->why;
            return ANISO_OK;
        }
        snprintf(bm->rule, sizeof bm->rule,
                 "%d (the default: 1000, or as many as fit the larger of a fifth of the forward "
                 "pass, %.2g FLOP, and %.2g FLOP, at about %.2g FLOP each)",
                 B, ev->fwd_flops, BOOT_ALLOWANCE, per);
    }
    bt->n_boot_rule = bm->rule;
    bt->bca = U <= (uint64_t)B; /* the jackknife costs no more than the bootstrap */
    if (!bootmem_alloc(bm, n_prof, nm, B)) goto nomem;
    size_t nb = (size_t)B, nu = (size_t)U, nj = bt->bca ? nu : 0;
    uint32_t *idx = malloc(nb * nu * sizeof *idx);
    double *reps = malloc((size_t)n_prof * nb * (size_t)nm * sizeof *reps);
    double *jack = nj ? malloc((size_t)n_prof * nj * (size_t)nm * sizeof *jack) : NULL;
    if (!idx || !reps || (nj && !jack)) {
        free(idx), free(reps), free(jack);
        goto nomem;
    }
    aniso_bootstrap_indices(ev->seed, B, U, idx);
    aniso_status st = ANISO_OK;
    if (indices) { /* the draws, for anyone to reproduce the replicates: put in
                    * place once the report is (evidence_commit) */
        int64_t shape[2] = {B, (int64_t)U};
        aniso_npy_writer *w = aniso_npy_create(indices, shape, 2, err);
        float *row = malloc(nu * sizeof *row);
        if (!w || !row) st = w ? aniso_error_set(err, ANISO_NO_MEMORY, "out of memory") : ERRC(err);
        for (size_t b = 0; b < nb && !st; b++) {
            for (size_t k = 0; k < nu; k++) row[k] = (float)idx[b * nu + k];
            st = aniso_npy_append(w, row, nu, err);
        }
        free(row);
        if (st)
            aniso_npy_discard(w);
        else
            bm->indices = w;
    }
    double t0 = omp_get_wtime();
    /* one BLAS thread per replicate: the replicates run in parallel */
    int blas_before = ops_get_threads();
    ops_set_threads(1);
    for (int l = 0; l < n_prof && !st; l++) {
        aniso_resampler *rs = aniso_resampler_new(m[entry[l]], err);
        if (!rs) {
            st = ERRC(err);
            break;
        }
        /* each task's status: the first failure's message comes from
         * doing that task again, alone (no lock in the loop) */
        size_t n_tasks = nb + nj;
        unsigned char *bad = calloc(n_tasks ? n_tasks : 1, 1);
        int failed = !bad;
#pragma omp parallel for schedule(dynamic)                                                         \
    num_threads(ev->n_threads > 0 ? ev->n_threads : omp_get_max_threads())
        for (size_t t = 0; t < n_tasks; t++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop) continue;
            aniso_layer_metrics lm;
            aniso_error e;
            if (replicate(rs, idx, nu, nb, t, &lm, &e)) {
                bad[t] = 1;
#pragma omp atomic write
                failed = 1;
                continue;
            }
            double *dst = t < nb ? reps + ((size_t)l * nb + t) * (size_t)nm
                                 : jack + ((size_t)l * nj + (t - nb)) * (size_t)nm;
            for (int k = 0; k < nm; k++) dst[k] = aniso_metric_value(&lm, k);
        }
        if (failed) {
            size_t t = 0;
            while (bad && t < n_tasks && !bad[t]) t++;
            aniso_layer_metrics lm;
            aniso_error e = {0};
            aniso_status s = bad ? replicate(rs, idx, nu, nb, t, &lm, &e) : ANISO_NO_MEMORY;
            st = aniso_error_set(err, s ? s : ANISO_NO_MEMORY, "bootstrap: %s",
                                 s && bad ? e.msg : "out of memory");
        }
        free(bad);
        aniso_resampler_free(rs);
        if (st) break;
        /* each metric's interval */
        double *v = malloc((nb + nj + 1) * sizeof *v), *jv = v ? v + nb : NULL;
        if (!v) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
            break;
        }
        for (int k = 0; k < nm; k++) {
            for (size_t b = 0; b < nb; b++) v[b] = reps[((size_t)l * nb + b) * (size_t)nm + k];
            for (size_t u = 0; u < nj; u++) jv[u] = jack[((size_t)l * nj + u) * (size_t)nm + k];
            aniso_interval_compute(v, B, aniso_metric_value(&full[l], k), nj ? jv : NULL, nj,
                                   bt->level, &bm->layers[(size_t)l * (size_t)nm + (size_t)k]);
        }
        free(v);
    }
    if (!st) {
        /* the profile's statistics, replicate by replicate */
        double *var = malloc((nb + 1) * sizeof *var);
        size_t njx = nj ? nj : 1;
        double *jr = malloc(5 * njx * sizeof *jr);
        int *jl = malloc(njx * sizeof *jl);
        if (!var || !jr || !jl) {
            free(var), free(jr), free(jl);
            st = aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
        } else {
            profile_stats(reps, B, n_prof, nm, k_idr, layer_ids, ref, bm->rep_range, bm->rep_max,
                          var, bm->rep_slope1, bm->rep_slope2, bm->rep_L);
            if (nj)
                profile_stats(jack, (int)nj, n_prof, nm, k_idr, layer_ids, ref, jr, jr + njx,
                              jr + 2 * njx, jr + 3 * njx, jr + 4 * njx, jl);
            aniso_profile_intervals *pi = &bt->profile;
            const double *J = nj ? jr : NULL;
            aniso_interval_compute(bm->rep_range, B, fa->profile_range, J, nj, bt->level,
                                   &pi->profile_range);
            aniso_interval_compute(bm->rep_max, B, fa->max_anisotropy, J ? J + njx : NULL, nj,
                                   bt->level, &pi->max_anisotropy);
            aniso_interval_compute(var, B, fa->profile_variance, J ? J + 2 * njx : NULL, nj,
                                   bt->level, &pi->profile_variance);
            aniso_interval_compute(bm->rep_slope1, B, fa->phase1.slope, J ? J + 3 * njx : NULL, nj,
                                   bt->level, &pi->phase1_slope);
            aniso_interval_compute(bm->rep_slope2, B, fa->phase2.slope, J ? J + 4 * njx : NULL, nj,
                                   bt->level, &pi->phase2_slope);
            /* range - the reference's range: the same replicates, shifted */
            for (size_t b = 0; b < nb; b++) var[b] = bm->rep_range[b] - ref->profile_range;
            for (size_t u = 0; u < nj; u++) jr[u] -= ref->profile_range;
            aniso_interval_compute(var, B, fa->profile_range - ref->profile_range, J, nj, bt->level,
                                   &pi->range_minus_reference);
            aniso_interval_discrete(bm->rep_L, B, fa->L_star, bt->level, &pi->L_star);
            for (int l = 0; l < n_prof; l++) {
                int id = layer_ids ? layer_ids[l] : l, c = 0;
                for (size_t b = 0; b < nb; b++) c += bm->rep_L[b] == id;
                bm->L_share[l] = (double)c / (double)nb;
            }
            pi->L_star_share = bm->L_share;
            free(var), free(jr), free(jl);
        }
    }
    ops_set_threads(blas_before);
    free(idx), free(reps), free(jack);
    if (st) return st;
    bt->n_boot = B;
    bt->layers = bm->layers;
    bt->rep_range = bm->rep_range;
    bt->rep_max = bm->rep_max;
    bt->rep_slope1 = bm->rep_slope1;
    bt->rep_slope2 = bm->rep_slope2;
    bt->rep_L_star = bm->rep_L;
    bt->seconds = omp_get_wtime() - t0;
    /* what it holds: the blocks of every layer's moments, or one layer's
     * Gram matrix and each thread's replicate at a time */
    double dd = aniso_moments_dim(m0), nn = (double)aniso_moments_count(m0);
    int T = ev->n_threads > 0 ? ev->n_threads : omp_get_max_threads();
    bt->memory_bytes =
        rows ? (uint64_t)((nn * nn + nn * dd + T * (nn * nn + 2 * dd)) * 8)
             : (uint64_t)(n_prof * (double)aniso_moments_blocks(m0) * (dd * dd + 2 * dd) * 8);
    return ANISO_OK;
nomem:
    return aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
}

/* ---- Nulls ---- */

/* Marsaglia and Tsang's gamma(a, 1) sampler (a > 0). */
static double gamma_draw(arng *r, double a)
{
    if (a < 1) return gamma_draw(r, a + 1) * pow(1.0 - arng_uniform(r), 1.0 / a);
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = arng_normal(r), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = 1.0 - arng_uniform(r);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

/* The spectral metrics of the d x d covariance c (upper triangle, row-major;
 * destroyed) of n rows; the others NaN. */
static aniso_status spectral_only(double *c, size_t d, uint64_t n, aniso_layer_metrics *o,
                                  aniso_error *err)
{
    double *eig = malloc(d * sizeof *eig);
    if (!eig) return aniso_error_set(err, ANISO_NO_MEMORY, "nulls: out of memory");
    int rc = sym_eig_desc(c, d, eig);
    if (rc) {
        free(eig);
        return eig_error(rc, (size_t)n, d, err);
    }
    metrics_spectral_only(eig, d, n, o);
    free(eig);
    return ANISO_OK;
}

/* The isotropic Gaussian null of n rows of d: every metric from n x d
 * standard normals while n <= ISO_DIRECT_MAX; beyond, the spectral metrics
 * from a Wishart(d, n - 1) covariance by Bartlett's decomposition. */
static aniso_status null_iso(uint64_t n, size_t d, uint64_t seed, aniso_layer_metrics *o,
                             char *method, size_t cap, aniso_error *err)
{
    arng r;
    arng_seed(&r, seed ^ 0x6e756c6c69736f00ull); /* "nulliso" */
    if (n <= ISO_DIRECT_MAX) {
        size_t nn = (size_t)n;
        float *x = malloc(nn * d * sizeof *x);
        if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "nulls: out of memory");
        for (size_t i = 0; i < nn * d; i++) x[i] = (float)arng_normal(&r);
        aniso_status st = aniso_metrics_compute(x, nn, d, o, err);
        free(x);
        snprintf(method, cap,
                 "one %llu x %zu matrix of independent standard normals (seed as the "
                 "bootstrap's), every metric as for the data",
                 (unsigned long long)n, d);
        return st;
    }
    if (n - 1 < d) {
        metrics_nan(o);
        snprintf(method, cap, "not computed: %llu rows of %zu dimensions", (unsigned long long)n,
                 d);
        return ANISO_OK;
    }
    /* (n - 1) C = L L^T, L lower triangular: L_ii^2 ~ chi^2(n - 1 - i), L_ij ~ N(0, 1) */
    double *L = calloc(d * d, sizeof *L), *c = malloc(d * d * sizeof *c);
    if (!L || !c) {
        free(L), free(c);
        return aniso_error_set(err, ANISO_NO_MEMORY, "nulls: out of memory");
    }
    for (size_t i = 0; i < d; i++) {
        L[i * d + i] = sqrt(2.0 * gamma_draw(&r, 0.5 * (double)(n - 1 - i)));
        for (size_t j = 0; j < i; j++) L[i * d + j] = arng_normal(&r);
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)d, (int)d, 1.0 / (double)(n - 1), L,
                (int)d, 0.0, c, (int)d);
    free(L);
    aniso_status st = spectral_only(c, d, n, o, err);
    free(c);
    snprintf(method, cap,
             "the covariance of %llu independent standard normal rows of %zu, drawn from the "
             "Wishart law (Bartlett's decomposition); spectral metrics only",
             (unsigned long long)n, d);
    return st;
}

aniso_status evidence_commit(void *p, aniso_error *err)
{
    store *s = p;
    if (!s || !s->boot.indices) return ANISO_OK;
    aniso_npy_writer *w = s->boot.indices;
    s->boot.indices = NULL;
    return aniso_npy_finish(w, err);
}

/* ---- The evidence of a profile ---- */

aniso_status evidence_build(aniso_profile_run *run, const evcfg *ev, aniso_moments *const *m,
                            aniso_moments *const *m_nf, const int *entry, int n_prof,
                            aniso_error *err)
{
    aniso_profile_result *r = &run->result;
    store *s = calloc(1, sizeof *s);
    double *x = malloc((size_t)n_prof * sizeof *x), *v = malloc((size_t)n_prof * sizeof *v);
    aniso_status st = ANISO_OK;
    if (!s || !x || !v) {
        free(s), free(x), free(v);
        return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    }
    run->evidence_store = s;
    r->evidence = &s->ev;
    aniso_evidence *e = &s->ev;
    const int *ids = r->layer_ids;
    for (int l = 0; l < n_prof; l++) x[l] = ids ? ids[l] : l;
    aniso_shape_opts so;
    aniso_shape_opts_default(&so);
    so.seed = ev->seed;

    /* The profile without each sequence's first token. */
    if (m_nf) {
        if (!(s->nofirst = calloc((size_t)n_prof, sizeof *s->nofirst))) goto nomem;
        aniso_error e2;
        for (int l = 0; l < n_prof; l++)
            if (aniso_moments_metrics(m_nf[entry[l]], &s->nofirst[l], &e2)) {
                snprintf(s->nofirst_why, sizeof s->nofirst_why, "not measured: layer %d: %s",
                         ids ? ids[l] : l, e2.msg);
                free(s->nofirst);
                s->nofirst = NULL;
                break;
            }
    } else {
        snprintf(s->nofirst_why, sizeof s->nofirst_why, "%s",
                 ev->nofirst_why ? ev->nofirst_why : "not measured");
    }
    e->nofirst_why = s->nofirst ? NULL : s->nofirst_why;
    if (s->nofirst) {
        e->nofirst = s->nofirst;
        e->nofirst_tokens = aniso_moments_count(m_nf[entry[0]]);
        for (int l = 0; l < n_prof; l++) v[l] = s->nofirst[l].intrinsic_dim_ratio;
        aniso_profile_analyze_at(ids, v, n_prof, &r->reference, &e->nofirst_analysis);
        if ((st = aniso_shape_test_xy(x, v, (size_t)n_prof, &so, &e->nofirst_shape, err))) goto out;
    }
    /* The calibrated shape test. */
    for (int l = 0; l < n_prof; l++) v[l] = r->layers[l].intrinsic_dim_ratio;
    if ((st = aniso_shape_test_xy(x, v, (size_t)n_prof, &so, &e->shape, err))) goto out;

    /* Intervals: the profile's, and the control's (the same seed). */
    int copies = s->nofirst ? 2 : 1;
    if ((st = boot_run(&e->boot, &s->boot, ev, copies, m, entry, n_prof, ids, r->layers,
                       &r->analysis, &r->reference, ev->indices, err)))
        goto out;
    if (s->nofirst &&
        (st = boot_run(&e->nofirst_boot, &s->nf_boot, ev, copies, m_nf, entry, n_prof, ids,
                       s->nofirst, &e->nofirst_analysis, &r->reference, NULL, err)))
        goto out;

    /* Nulls with the layers' n and d. */
    if (ev->controls) {
        size_t d = (size_t)aniso_moments_dim(m[entry[0]]);
        uint64_t n = aniso_moments_count(m[entry[0]]);
        s->null_iso = calloc((size_t)n_prof, sizeof *s->null_iso);
        s->null_perm = calloc((size_t)n_prof, sizeof *s->null_perm);
        if (!s->null_iso || !s->null_perm) goto nomem;
        if ((st = null_iso(n, d, ev->seed, &s->null_iso[0], s->iso_method, sizeof s->iso_method,
                           err)))
            goto out;
        for (int l = 1; l < n_prof; l++) s->null_iso[l] = s->null_iso[0];
        int exact = 1;
        for (int l = 0; l < n_prof && !st; l++)
            st = moments_null_perm(m[entry[l]], ev->seed + (uint64_t)l, &s->null_perm[l], &exact,
                                   err);
        if (st) goto out;
        snprintf(s->perm_method, sizeof s->perm_method, "%s",
                 exact ? "the layer's rows with each column permuted independently (seed as the "
                         "bootstrap's plus the layer's index), every metric as for the data"
                       : "the spectrum of diag(C), the expectation of the covariance of the "
                         "layer's rows with each column permuted independently (the rows are "
                         "not kept); spectral metrics only");
        e->null_iso = s->null_iso;
        e->null_perm = s->null_perm;
        e->null_iso_method = s->iso_method;
        e->null_perm_method = s->perm_method;
    }
    /* Token controls, and the share of lambda_1 of the rows of largest norm. */
    if (ev->tokens) {
        if (!(s->tokens = calloc((size_t)n_prof, sizeof *s->tokens))) goto nomem;
        size_t ks[3] = {1, 10, (size_t)aniso_moments_units(m[entry[0]])};
        for (int l = 0; l < n_prof && !st; l++) {
            s->tokens[l] = ev->tokens[entry[l]];
            s->tokens[l].n_sequences = ks[2];
            st = moments_top_norm_share(m[entry[l]], ks, 3, s->tokens[l].top_norm_share, err);
        }
        if (st) goto out;
        e->tokens = s->tokens;
    } else if (ev->controls) {
        e->tokens_why = "not measured: the token controls are of single runs (not checkpoints, "
                        "shards, ranks or merged parts)";
    }
    goto out;
nomem:
    st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
out:
    free(x), free(v);
    return st;
}
