/* moments.c - mergeable per-layer statistics (moments.h): rows while they
 * are fewer than d, then float64 moments updated by chunks and merged by
 * the pairwise formulas. Matrices are row-major; M2 keeps its upper
 * triangle (what dsyrk/dsyr write), the convention of spectrum.c. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/moments.h"
#include "analysis/analysis_int.h"
#include "base/rng.h"

struct aniso_moments {
    int d;
    size_t keep_rows;
    uint64_t n;
    uint64_t n_units; /* bootstrap units (whole sequences) added, each with rows */
    /* Rows regime: rows != NULL, n rows of d floats (cap rows allocated);
     * unit k ends at row unit_end[k] (units are runs of rows). */
    float *rows;
    size_t cap;
    uint64_t *unit_end;
    size_t unit_cap;
    /* Moments regime (rows == NULL): */
    double *mean;     /* (d) */
    double *m2;       /* (d x d), upper triangle */
    double *unit;     /* (d) sum of x / |x| over non-zero rows */
    uint64_t n_zero;  /* rows that are zero */
    double norm_mean; /* mean of |x| */
    double norm_m2;   /* sum of (|x| - norm_mean)^2 */
    double *scratch;  /* BLOCK centred rows */
    /* Bootstrap blocks of the moments regime: unit k's rows also go to
     * blocks[k mod n_blocks] (n_blocks 0: none). */
    int n_blocks;
    aniso_moments **blocks;
    /* With blocks, rows go to their block only and the totals above are
     * made from the blocks when they are needed (stale: not yet). */
    int stale;
};

static size_t row_limit(const aniso_moments *m)
{
    size_t lim = (size_t)m->d;
    return m->keep_rows < lim ? m->keep_rows : lim;
}

/* A block of the moments regime: no rows, no blocks of its own. */
static aniso_moments *block_new(int d)
{
    aniso_moments *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->d = d;
    size_t dd = (size_t)d;
    if (!(b->mean = calloc(dd, sizeof *b->mean)) || !(b->m2 = calloc(dd * dd, sizeof *b->m2)) ||
        !(b->unit = calloc(dd, sizeof *b->unit))) {
        aniso_moments_free(b);
        return NULL;
    }
    return b;
}

/* The blocks exist from the moment m holds moments. */
static aniso_status ensure_blocks(aniso_moments *m, aniso_error *err)
{
    if (!m->n_blocks || m->blocks) return ANISO_OK;
    if (!(m->blocks = calloc((size_t)m->n_blocks, sizeof *m->blocks))) goto nomem;
    for (int k = 0; k < m->n_blocks; k++)
        if (!(m->blocks[k] = block_new(m->d))) goto nomem;
    return ANISO_OK;
nomem:
    if (m->blocks)
        for (int k = 0; k < m->n_blocks; k++) aniso_moments_free(m->blocks[k]);
    free(m->blocks);
    m->blocks = NULL;
    return aniso_error_set(err, ANISO_NO_MEMORY,
                           "moments: out of memory for %d bootstrap blocks of dimension %d",
                           m->n_blocks, m->d);
}

aniso_status aniso_moments_set_blocks(aniso_moments *m, int n_blocks, aniso_error *err)
{
    if (m->n || m->blocks || n_blocks < 0 || n_blocks > ANISO_MOMENTS_MAX_BLOCKS)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: bootstrap blocks are set before any row, 0 to %d (not %d)",
                               ANISO_MOMENTS_MAX_BLOCKS, n_blocks);
    m->n_blocks = n_blocks;
    return m->rows ? ANISO_OK : ensure_blocks(m, err);
}

int aniso_moments_blocks(const aniso_moments *m)
{
    return m->n_blocks;
}

uint64_t aniso_moments_units(const aniso_moments *m)
{
    if (m->rows) return (uint64_t)m->n_units;
    uint64_t k = 0; /* blocks that hold a unit */
    for (int b = 0; m->blocks && b < m->n_blocks; b++) k += m->blocks[b]->n > 0;
    return k;
}

aniso_moments *aniso_moments_new(int d, size_t keep_rows, aniso_error *err)
{
    aniso_moments *m = d >= 1 ? calloc(1, sizeof *m) : NULL;
    if (!m) {
        aniso_error_set(err, d >= 1 ? ANISO_NO_MEMORY : ANISO_INVALID_ARGUMENT,
                        "moments: cannot make statistics of dimension %d", d);
        return NULL;
    }
    m->d = d;
    m->keep_rows = keep_rows;
    /* An empty object is in the rows regime when it may keep any row. */
    if (row_limit(m) > 1 && !(m->rows = malloc(sizeof(float)))) {
        free(m);
        aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
        return NULL;
    }
    if (!m->rows && !(m->mean = calloc((size_t)d, sizeof *m->mean))) goto nomem;
    if (!m->rows && (!(m->m2 = calloc((size_t)d * (size_t)d, sizeof *m->m2)) ||
                     !(m->unit = calloc((size_t)d, sizeof *m->unit))))
        goto nomem;
    return m;
nomem:
    aniso_moments_free(m);
    aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory for dimension %d", d);
    return NULL;
}

void aniso_moments_free(aniso_moments *m)
{
    if (!m) return;
    free(m->rows), free(m->mean), free(m->m2), free(m->unit), free(m->scratch);
    free(m->unit_end);
    for (int k = 0; m->blocks && k < m->n_blocks; k++) aniso_moments_free(m->blocks[k]);
    free(m->blocks);
    free(m);
}

uint64_t aniso_moments_count(const aniso_moments *m)
{
    return m->n;
}

int aniso_moments_dim(const aniso_moments *m)
{
    return m->d;
}

size_t aniso_moments_keep_limit(const aniso_moments *m)
{
    return m->keep_rows;
}

int aniso_moments_keeps_rows(const aniso_moments *m)
{
    return m->rows != NULL;
}

/* Rows centred at a time: the scratch is BLOCK x d doubles per layer. */
#define BLOCK 256

/* The moments regime's update by one chunk of n rows; y is BLOCK x d
 * doubles of scratch. */
static aniso_status add_chunk(aniso_moments *m, const float *X, size_t n, double *y,
                              aniso_error *err)
{
    size_t d = (size_t)m->d;
    if (n == 0) return ANISO_OK;
    double *mb = calloc(d, sizeof *mb), *nrm = malloc(n * sizeof *nrm);
    if (!mb || !nrm) {
        free(mb), free(nrm);
        return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    }
    /* The chunk's mean, its row norms and unit rows. */
    for (size_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double ss = 0;
        for (size_t j = 0; j < d; j++) {
            mb[j] += x[j];
            ss += (double)x[j] * x[j];
        }
        nrm[i] = sqrt(ss);
        if (!(nrm[i] > 0)) m->n_zero++;
        if (nrm[i] > 0)
            for (size_t j = 0; j < d; j++) m->unit[j] += x[j] / nrm[i];
    }
    for (size_t j = 0; j < d; j++) mb[j] /= (double)n;
    /* M2 += (X - mb)^T (X - mb), BLOCK rows at a time, then the pairwise
     * correction. */
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t k = n - i0 < BLOCK ? n - i0 : BLOCK;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < d; j++) y[i * d + j] = (double)X[(i0 + i) * d + j] - mb[j];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)k, 1.0, y, (int)d, 1.0,
                    m->m2, (int)d);
    }
    double na = (double)m->n, nb = (double)n, nn = na + nb;
    for (size_t j = 0; j < d; j++) mb[j] -= m->mean[j]; /* delta */
    if (m->n) cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, na * nb / nn, mb, 1, m->m2, (int)d);
    for (size_t j = 0; j < d; j++) m->mean[j] += mb[j] * nb / nn;
    /* Norms: the chunk's mean and centred second moment, merged. */
    double cm = 0, c2 = 0;
    for (size_t i = 0; i < n; i++) cm += nrm[i];
    cm /= nb;
    for (size_t i = 0; i < n; i++) c2 += (nrm[i] - cm) * (nrm[i] - cm);
    double dn = cm - m->norm_mean;
    m->norm_m2 += c2 + dn * dn * na * nb / nn;
    m->norm_mean += dn * nb / nn;
    m->n += n;
    free(mb), free(nrm);
    return ANISO_OK;
}

static double *scratch_of(aniso_moments *m)
{
    if (!m->scratch) m->scratch = malloc(BLOCK * (size_t)m->d * sizeof *m->scratch);
    return m->scratch;
}

/* Adds n rows of whole units (unit_rows[0 .. n_units), summing to n) to the
 * moments and each unit's rows to its block. */
static aniso_status add_moments(aniso_moments *m, const float *X, size_t n, const size_t *unit_rows,
                                size_t n_units, aniso_error *err)
{
    double *y = scratch_of(m);
    if (!y) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    aniso_status st = ANISO_OK;
    if (m->n_blocks) /* the totals come from the blocks (refresh) */
        m->n += n, m->stale = 1;
    else
        st = add_chunk(m, X, n, y, err);
    size_t at = 0, d = (size_t)m->d;
    for (size_t u = 0; u < n_units && !st; u++) {
        if (!unit_rows[u]) continue;
        if (m->n_blocks)
            st = add_chunk(m->blocks[m->n_units % (uint64_t)m->n_blocks], X + at * d, unit_rows[u],
                           y, err);
        at += unit_rows[u];
        m->n_units++;
    }
    return st;
}

/* Leaves the rows regime: the kept rows become the first chunk. */
static aniso_status to_moments(aniso_moments *m, aniso_error *err)
{
    if (!m->rows) return ANISO_OK;
    size_t d = (size_t)m->d;
    m->mean = calloc(d, sizeof *m->mean);
    m->m2 = calloc(d * d, sizeof *m->m2);
    m->unit = calloc(d, sizeof *m->unit);
    if (!m->mean || !m->m2 || !m->unit) {
        free(m->mean), free(m->m2), free(m->unit);
        m->mean = m->m2 = m->unit = NULL;
        return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory for dimension %d",
                               m->d);
    }
    float *rows = m->rows;
    size_t n = (size_t)m->n, nu = m->n_units;
    size_t *len = malloc((nu ? nu : 1) * sizeof *len);
    aniso_status st = len ? ensure_blocks(m, err)
                          : aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    for (size_t u = 0; u < nu && len; u++) len[u] = m->unit_end[u] - (u ? m->unit_end[u - 1] : 0);
    m->rows = NULL;
    m->n = 0;
    m->n_units = 0;
    if (!st) st = add_moments(m, rows, n, len, nu, err);
    free(len);
    if (st) { /* back to the rows, unchanged */
        free(m->mean), free(m->m2), free(m->unit);
        m->mean = m->m2 = m->unit = NULL;
        for (int k = 0; m->blocks && k < m->n_blocks; k++) aniso_moments_free(m->blocks[k]);
        free(m->blocks);
        m->blocks = NULL;
        m->rows = rows;
        m->n = n;
        m->n_units = nu;
        m->n_zero = 0;
        m->norm_mean = m->norm_m2 = 0;
        return st;
    }
    free(rows);
    free(m->unit_end);
    m->unit_end = NULL;
    m->unit_cap = 0;
    return ANISO_OK;
}

static aniso_status keep(aniso_moments *m, const float *X, size_t n, const size_t *unit_rows,
                         size_t n_units, aniso_error *err)
{
    size_t d = (size_t)m->d, need = (size_t)m->n + n;
    if (m->n_units + n_units > m->unit_cap) {
        size_t cap = m->unit_cap ? m->unit_cap : 16;
        while (cap < m->n_units + n_units) cap *= 2;
        uint64_t *e = realloc(m->unit_end, cap * sizeof *e);
        if (!e) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
        m->unit_end = e;
        m->unit_cap = cap;
    }
    if (need > m->cap) {
        size_t cap = m->cap ? m->cap : 64;
        while (cap < need) cap *= 2;
        float *r = realloc(m->rows, cap * d * sizeof *r);
        if (!r) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
        m->rows = r;
        m->cap = cap;
    }
    memcpy(m->rows + (size_t)m->n * d, X, n * d * sizeof *X);
    for (size_t u = 0; u < n_units; u++) {
        if (!unit_rows[u]) continue;
        m->unit_end[m->n_units] = (m->n_units ? m->unit_end[m->n_units - 1] : 0) + unit_rows[u];
        m->n_units++;
    }
    m->n += n;
    return ANISO_OK;
}

aniso_status aniso_moments_add_units(aniso_moments *m, const float *X, size_t n,
                                     const size_t *unit_rows, size_t n_units, aniso_error *err)
{
    size_t sum = 0;
    for (size_t u = 0; u < n_units; u++) sum += unit_rows[u];
    if (sum != n)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: units of %zu rows in all, for %zu rows", sum, n);
    aniso_status st;
    if (m->rows && (size_t)m->n + n < row_limit(m)) return keep(m, X, n, unit_rows, n_units, err);
    if ((st = to_moments(m, err))) return st;
    return add_moments(m, X, n, unit_rows, n_units, err);
}

aniso_status aniso_moments_add(aniso_moments *m, const float *X, size_t n, aniso_error *err)
{
    return aniso_moments_add_units(m, X, n, &n, 1, err);
}

/* m += o counted w times (both hold moments; the rows of o repeated w
 * times would give the same), by the pairwise formulas; delta is d
 * doubles of scratch. */
static void merge_weighted(aniso_moments *m, const aniso_moments *o, double w, double *delta)
{
    if (o->n == 0 || w == 0) return;
    size_t d = (size_t)m->d;
    double na = (double)m->n, nb = w * (double)o->n, nn = na + nb;
    for (size_t j = 0; j < d; j++) delta[j] = o->mean[j] - m->mean[j];
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) m->m2[i * d + j] += w * o->m2[i * d + j];
    if (m->n) cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, na * nb / nn, delta, 1, m->m2, (int)d);
    for (size_t j = 0; j < d; j++) {
        m->mean[j] += delta[j] * nb / nn;
        m->unit[j] += w * o->unit[j];
    }
    m->n_zero += (uint64_t)w * o->n_zero;
    double dn = o->norm_mean - m->norm_mean;
    m->norm_m2 += w * o->norm_m2 + dn * dn * na * nb / nn;
    m->norm_mean += dn * nb / nn;
    m->n += (uint64_t)w * o->n;
}

/* Makes m's totals from its blocks when rows went to the blocks alone
 * (m is const to its callers: the totals are a cache of the blocks). */
static aniso_status refresh(const aniso_moments *cm, aniso_error *err)
{
    aniso_moments *m = (aniso_moments *)cm;
    if (!m->stale) return ANISO_OK;
    size_t d = (size_t)m->d;
    double *delta = malloc(d * sizeof *delta);
    if (!delta) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    uint64_t n = m->n;
    memset(m->mean, 0, d * sizeof *m->mean);
    memset(m->m2, 0, d * d * sizeof *m->m2);
    memset(m->unit, 0, d * sizeof *m->unit);
    m->n = m->n_zero = 0;
    m->norm_mean = m->norm_m2 = 0;
    for (int k = 0; k < m->n_blocks; k++) merge_weighted(m, m->blocks[k], 1, delta);
    free(delta);
    m->stale = 0;
    if (m->n != n)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: the blocks hold %llu rows, the statistics %llu",
                               (unsigned long long)m->n, (unsigned long long)n);
    return ANISO_OK;
}

aniso_status aniso_moments_merge(aniso_moments *m, const aniso_moments *o, aniso_error *err)
{
    if (o->d != m->d)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: cannot merge statistics of dimension %d into %d", o->d,
                               m->d);
    if (o->n == 0) return ANISO_OK;
    if (o->rows) {
        size_t nu = o->n_units, *len = malloc((nu ? nu : 1) * sizeof *len);
        if (!len) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
        for (size_t u = 0; u < nu; u++) len[u] = o->unit_end[u] - (u ? o->unit_end[u - 1] : 0);
        aniso_status st = aniso_moments_add_units(m, o->rows, (size_t)o->n, len, nu, err);
        free(len);
        return st;
    }
    if (o->n_blocks != m->n_blocks)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: cannot merge statistics of %d bootstrap blocks into %d",
                               o->n_blocks, m->n_blocks);
    aniso_status st = to_moments(m, err);
    if (st || (st = refresh(m, err)) || (st = refresh(o, err))) return st;
    double *delta = malloc((size_t)m->d * sizeof *delta);
    if (!delta) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    merge_weighted(m, o, 1, delta);
    for (int k = 0; k < m->n_blocks; k++) merge_weighted(m->blocks[k], o->blocks[k], 1, delta);
    m->n_units += o->n_units;
    free(delta);
    return ANISO_OK;
}

aniso_status aniso_moments_metrics(const aniso_moments *m, aniso_layer_metrics *out,
                                   aniso_error *err)
{
    if (m->rows) return aniso_metrics_compute(m->rows, (size_t)m->n, (size_t)m->d, out, err);
    memset(out, 0, sizeof *out);
    aniso_status rs = refresh(m, err);
    if (rs) return rs;
    if (m->n < 2)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "metrics need at least 2 tokens (got %llu): the covariance divides "
                               "by n - 1",
                               (unsigned long long)m->n);
    size_t d = (size_t)m->d;
    double *c = malloc(d * d * sizeof *c), *eig = malloc(d * sizeof *eig);
    aniso_status st = ANISO_OK;
    if (!c || !eig) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "metrics: out of memory (%zu x %zu)", d, d);
        goto out;
    }
    double s = 1.0 / ((double)m->n - 1);
    for (size_t i = 0; i < d * d; i++) c[i] = m->m2[i] * s;
    int rc = sym_eig_desc(c, d, eig);
    if (rc) {
        st = eig_error(rc, (size_t)m->n, d, err);
        goto out;
    }
    metrics_from_spectrum(eig, d, m->n, out);
    double mu_norm = 0, dot = 0, usq = 0;
    for (size_t j = 0; j < d; j++) {
        mu_norm += m->mean[j] * m->mean[j];
        dot += m->unit[j] * m->mean[j];
        usq += m->unit[j] * m->unit[j];
    }
    out->mean_pairwise_cosine = mean_pairwise_cosine(usq, (double)(m->n - m->n_zero), (double)m->n);
    out->twonn_dimension = NAN; /* needs the rows */
    mu_norm = sqrt(mu_norm);
    double n = (double)m->n;
    out->avg_cos_sim_to_mean = mu_norm > METRIC_CLAMP ? dot / (n * mu_norm) : 0;
    out->mean_norm = m->norm_mean;
    out->std_norm = sqrt(m->norm_m2 / n);
    out->norm_cv = out->mean_norm > 0 ? out->std_norm / out->mean_norm : 0;
out:
    free(c);
    free(eig);
    return st;
}

/* ---- Resampling (the bootstrap's replicates) ---- */

struct aniso_resampler {
    const aniso_moments *m;
    size_t n, d;
    uint64_t units;
    /* rows regime: the Gram matrix of the rows centred at their mean (n x n,
     * both triangles), the rows' norms, a_i = mu . (x_i - mu), |mu|^2, each
     * row's first equal row and its unit */
    double *g, *nrm, *a, mu2;
    size_t *rep, *row_unit;
};

void aniso_resampler_free(aniso_resampler *rs)
{
    if (!rs) return;
    free(rs->g), free(rs->nrm), free(rs->a), free(rs->rep), free(rs->row_unit);
    free(rs);
}

aniso_resampler *aniso_resampler_new(const aniso_moments *m, aniso_error *err)
{
    uint64_t units = aniso_moments_units(m);
    if (units < 2) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                        "bootstrap: %s %llu unit%s to resample (at least 2 are needed)",
                        m->rows ? "the rows hold" : "the moments hold", (unsigned long long)units,
                        units == 1 ? "" : "s");
        return NULL;
    }
    aniso_resampler *rs = calloc(1, sizeof *rs);
    if (!rs) goto nomem;
    rs->m = m;
    rs->d = (size_t)m->d;
    rs->units = units;
    if (!m->rows) return rs;
    size_t n = (size_t)m->n, d = rs->d;
    rs->n = n;
    double *xc = calloc(n * d, sizeof *xc), *mu = calloc(d, sizeof *mu);
    size_t *pts = malloc(n * sizeof *pts);
    rs->g = malloc(n * n * sizeof *rs->g);
    rs->nrm = malloc(n * sizeof *rs->nrm);
    rs->a = malloc(n * sizeof *rs->a);
    rs->rep = malloc(n * sizeof *rs->rep);
    rs->row_unit = malloc(n * sizeof *rs->row_unit);
    if (!xc || !mu || !pts || !rs->g || !rs->nrm || !rs->a || !rs->rep || !rs->row_unit) {
        free(xc), free(mu), free(pts);
        goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++) {
            double x = m->rows[i * d + j];
            xc[i * d + j] = x;
            ss += x * x;
        }
        rs->nrm[i] = sqrt(ss);
    }
    column_mean(mu, xc, n, d);
    rs->mu2 = 0;
    for (size_t j = 0; j < d; j++) rs->mu2 += mu[j] * mu[j];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) xc[i * d + j] -= mu[j];
    row_dots(rs->a, xc, mu, n, d);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)d, 1.0, xc, (int)d, 0.0,
                rs->g, (int)n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) rs->g[i * n + j] = rs->g[j * n + i];
    distinct_rows(m->rows, n, d, rs->rep, pts);
    for (size_t u = 0, i = 0; u < m->n_units; u++)
        for (; i < m->unit_end[u]; i++) rs->row_unit[i] = u;
    free(xc), free(mu), free(pts);
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(rs->g[i])) {
            aniso_resampler_free(rs);
            aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                            "bootstrap: the rows' Gram matrix holds non-finite values");
            return NULL;
        }
    return rs;
nomem:
    aniso_resampler_free(rs);
    aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
    return NULL;
}

uint64_t aniso_resampler_units(const aniso_resampler *rs)
{
    return rs->units;
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x > y ? -1 : x < y;
}

/* The moments regime: the blocks merged, each count[k] times. */
static aniso_status resample_blocks(const aniso_resampler *rs, const uint32_t *count,
                                    aniso_layer_metrics *out, aniso_error *err)
{
    const aniso_moments *m = rs->m;
    aniso_moments *t = block_new(m->d);
    double *delta = malloc(rs->d * sizeof *delta);
    aniso_status st = ANISO_OK;
    if (!t || !delta) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
        goto out;
    }
    for (int k = 0, u = 0; k < m->n_blocks; k++)
        if (m->blocks[k]->n) merge_weighted(t, m->blocks[k], count[u++], delta);
    if (t->n < 2)
        metrics_nan(out);
    else
        st = aniso_moments_metrics(t, out, err);
out:
    aniso_moments_free(t);
    free(delta);
    return st;
}

aniso_status aniso_resampler_metrics(const aniso_resampler *rs, const uint32_t *count,
                                     aniso_layer_metrics *out, aniso_error *err)
{
    if (!rs->m->rows) return resample_blocks(rs, count, out, err);
    size_t n = rs->n, d = rs->d, m = 0;
    const double *G = rs->g;
    size_t *sel = malloc(n * sizeof *sel), *pts = malloc(n * sizeof *pts);
    double *w = malloc(n * sizeof *w), *gi = malloc(n * sizeof *gi), *eig = malloc(d * sizeof *eig);
    double *A = NULL;
    aniso_status st = ANISO_OK;
    if (!sel || !pts || !w || !gi || !eig) goto nomem;
    double N = 0;
    for (size_t i = 0; i < n; i++) {
        double c = count[rs->row_unit[i]];
        if (c > 0) sel[m] = i, w[m++] = c, N += c;
    }
    if (N < 2) {
        metrics_nan(out);
        goto done;
    }
    /* The replicate's rows centred at their own (weighted) mean: with
     * c = that mean minus the rows' mean, (x_i - mu - c) . (x_j - mu - c)
     * = G_ij - g_i - g_j + q, g_i = G_i . w / N, q = w . g / N. */
    double q = 0, abar = 0;
    for (size_t p = 0; p < m; p++) {
        const double *row = G + sel[p] * n;
        double s = 0;
        for (size_t r = 0; r < m; r++) s += w[r] * row[sel[r]];
        gi[p] = s / N;
    }
    for (size_t p = 0; p < m; p++) {
        q += w[p] * gi[p];
        abar += w[p] * rs->a[sel[p]];
    }
    q /= N;
    abar /= N;
    if (!(A = malloc(m * m * sizeof *A))) goto nomem;
    for (size_t p = 0; p < m; p++)
        for (size_t r = p; r < m; r++)
            A[p * m + r] =
                sqrt(w[p] * w[r]) * (G[sel[p] * n + sel[r]] - gi[p] - gi[r] + q) / (N - 1);
    int rc = sym_eig_desc(A, m, eig);
    if (rc) {
        st = eig_error(rc, (size_t)N, d, err);
        goto done;
    }
    for (size_t i = m; i < d; i++) eig[i] = 0.0;
    metrics_from_spectrum(eig, d, (uint64_t)N, out);
    /* Norms; cosines to the replicate's mean row mu + c:
     * x_i . (mu + c) = (a_i + |mu|^2) + g_i + abar, |mu + c|^2 = |mu|^2 + 2 abar + q. */
    double sn = 0, sv = 0, sc = 0, mun = sqrt(fmax(rs->mu2 + 2 * abar + q, 0)), nz = 0, usq = 0;
    for (size_t p = 0; p < m; p++) sn += w[p] * rs->nrm[sel[p]];
    out->mean_norm = sn / N;
    for (size_t p = 0; p < m; p++) {
        size_t i = sel[p];
        double dv = rs->nrm[i] - out->mean_norm;
        sv += w[p] * dv * dv;
        if (mun > METRIC_CLAMP)
            sc += w[p] * (rs->a[i] + rs->mu2 + gi[p] + abar) / (rs->nrm[i] * mun + METRIC_CLAMP);
        if (!(rs->nrm[i] > 0)) continue;
        nz += w[p];
        for (size_t r = 0; r < m; r++) {
            size_t j = sel[r];
            if (!(rs->nrm[j] > 0)) continue;
            double dot = G[i * n + j] + rs->a[i] + rs->a[j] + rs->mu2;
            usq += w[p] * w[r] * dot / (rs->nrm[i] * rs->nrm[j]);
        }
    }
    out->std_norm = sqrt(sv / N);
    out->norm_cv = out->mean_norm > 0 ? out->std_norm / out->mean_norm : 0;
    out->avg_cos_sim_to_mean = mun > METRIC_CLAMP ? sc / N : 0;
    out->mean_pairwise_cosine = mean_pairwise_cosine(usq, nz, N);
    /* TwoNN on the distinct rows drawn (repeats collapse) */
    size_t mu_n = 0;
    unsigned char *seen = calloc(n, 1);
    if (!seen) goto nomem;
    for (size_t p = 0; p < m; p++) {
        size_t r = rs->rep[sel[p]];
        if (!seen[r]) seen[r] = 1, pts[mu_n++] = r;
    }
    free(seen);
    out->twonn_dimension = twonn_from_gram(G, n, pts, mu_n);
    goto done;
nomem:
    st = aniso_error_set(err, ANISO_NO_MEMORY, "bootstrap: out of memory");
done:
    free(sel), free(pts), free(w), free(gi), free(eig), free(A);
    return st;
}

/* ---- The rows of largest norm ---- */

static _Thread_local const double *sort_key;
static int by_norm_desc(const void *a, const void *b)
{
    double x = sort_key[*(const size_t *)a], y = sort_key[*(const size_t *)b];
    return x > y ? -1 : x < y;
}

aniso_status moments_top_norm_share(const aniso_moments *m, const size_t *k, int nk, double *share,
                                    aniso_error *err)
{
    for (int i = 0; i < nk; i++) share[i] = NAN;
    if (!m->rows || m->n < 2) return ANISO_OK;
    size_t n = (size_t)m->n, d = (size_t)m->d;
    double *xc = malloc(n * d * sizeof *xc), *mu = malloc(d * sizeof *mu),
           *g = malloc(n * n * sizeof *g), *u = malloc(n * sizeof *u),
           *nrm = malloc(n * sizeof *nrm);
    size_t *ord = malloc(n * sizeof *ord);
    aniso_status st = ANISO_OK;
    if (!xc || !mu || !g || !u || !nrm || !ord) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "token controls: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++) {
            xc[i * d + j] = m->rows[i * d + j];
            ss += xc[i * d + j] * xc[i * d + j];
        }
        nrm[i] = sqrt(ss);
        ord[i] = i;
    }
    column_mean(mu, xc, n, d);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) xc[i * d + j] -= mu[j];
    gram_or_cov(g, xc, n, d, 1);
    int rc = sym_top_eigvec(g, n, u);
    if (rc) {
        st = eig_error(rc, n, d, err);
        goto out;
    }
    sort_key = nrm;
    qsort(ord, n, sizeof *ord, by_norm_desc);
    for (int i = 0; i < nk; i++) {
        double s = 0;
        for (size_t r = 0; r < k[i] && r < n; r++) s += u[ord[r]] * u[ord[r]];
        share[i] = s;
    }
out:
    free(xc), free(mu), free(g), free(u), free(nrm), free(ord);
    return st;
}

/* ---- The permutation null ---- */

aniso_status moments_null_perm(const aniso_moments *m, uint64_t seed, aniso_layer_metrics *out,
                               int *exact, aniso_error *err)
{
    size_t d = (size_t)m->d, n = (size_t)m->n;
    arng r;
    arng_seed(&r, seed ^ 0x6e756c6c7065726dull); /* "nullperm" */
    *exact = m->rows != NULL;
    if (m->rows) {
        float *x = malloc(n * d * sizeof *x);
        if (!x) return aniso_error_set(err, ANISO_NO_MEMORY, "nulls: out of memory");
        memcpy(x, m->rows, n * d * sizeof *x);
        /* each column shuffled on its own (Fisher-Yates, column after column) */
        for (size_t j = 0; j < d; j++)
            for (size_t i = n - 1; i > 0; i--) {
                size_t k = (size_t)arng_below(&r, i + 1);
                float t = x[i * d + j];
                x[i * d + j] = x[k * d + j];
                x[k * d + j] = t;
            }
        aniso_status st = aniso_metrics_compute(x, n, d, out, err);
        free(x);
        return st;
    }
    /* without the rows: the spectrum of the permuted covariance's
     * expectation, diag(C) (every co-moment averages to 0 over independent
     * permutations of the columns) */
    aniso_status rs = refresh(m, err);
    if (rs) return rs;
    double *eig = malloc(d * sizeof *eig);
    if (!eig) return aniso_error_set(err, ANISO_NO_MEMORY, "nulls: out of memory");
    for (size_t j = 0; j < d; j++) eig[j] = m->m2[j * d + j] / ((double)m->n - 1);
    qsort(eig, d, sizeof *eig, cmp_desc);
    metrics_spectral_only(eig, d, m->n, out);
    free(eig);
    return ANISO_OK;
}

/* ---- Memory ---- */

/* The rows capacity keep() reaches for need rows. */
static uint64_t rows_cap(uint64_t need)
{
    uint64_t cap = 64;
    while (cap < need) cap *= 2;
    return cap;
}

void moments_bytes(int d, size_t keep_rows, uint64_t max_rows, size_t chunk_rows, int n_blocks,
                   uint64_t *resident, uint64_t *transient)
{
    uint64_t D = (uint64_t)(d > 0 ? d : 1), lim = keep_rows < D ? keep_rows : D;
    /* rows while fewer than lim (at most lim - 1 kept); moments once there */
    int moments = lim <= 1 || max_rows >= lim, rows = lim > 1;
    uint64_t kept = !rows ? 0 : max_rows < lim - 1 ? max_rows : lim - 1;
    /* the rows and their units' ends; the moments and their blocks */
    uint64_t rows_b = rows ? (kept ? rows_cap(kept) : 1) * (D * sizeof(float) + 8) : 0;
    uint64_t mom_b =
        moments ? ((D + 2) * D * (1 + (uint64_t)n_blocks) + BLOCK * D) * sizeof(double) : 0;
    *resident = sizeof(aniso_moments) + (rows_b > mom_b ? rows_b : mom_b);
    /* add_chunk's chunk mean and norms; leaving the rows regime, the rows and
     * the moments at once */
    uint64_t n_add = chunk_rows > kept ? chunk_rows : kept;
    uint64_t t = moments ? (D + n_add) * sizeof(double) : 0;
    if (moments && rows) t += rows_b < mom_b ? rows_b : mom_b;
    /* the metrics: the covariance (moments), or the rows in float64, their
     * Gram matrix and the row vectors (rows, aniso_metrics_compute) */
    uint64_t met = 0;
    if (moments) met = (D * D + D) * sizeof(double) + sym_eig_work_bytes((size_t)D);
    if (rows && kept >= 2) {
        uint64_t n = kept, m = n < D ? n : D;
        uint64_t r =
            (n * D + 2 * D + 3 * n + m * m) * sizeof(double) + sym_eig_work_bytes((size_t)m);
        if (r > met) met = r;
    }
    *transient = t > met ? t : met;
}

/* ---- Serialisation: a fixed header, then the rows or the moments (M2 as
 * its upper triangle). */

typedef struct wire_header {
    int32_t d, keeps_rows;
    uint64_t n, keep_rows, n_units;
    int32_t n_blocks, pad;
} wire_header;

aniso_status aniso_moments_write(const aniso_moments *m, aniso_put_fn put, void *user,
                                 aniso_error *err)
{
    if (!m->rows && refresh(m, err)) return err ? err->code : ANISO_NO_MEMORY;
    wire_header h = {m->d, m->rows != NULL, m->n, m->keep_rows, m->n_units, m->n_blocks, 0};
    size_t d = (size_t)m->d;
    int bad = put(user, &h, sizeof h);
    if (m->rows) {
        bad = bad || put(user, m->rows, (size_t)m->n * d * sizeof *m->rows) ||
              (m->n_units && put(user, m->unit_end, (size_t)m->n_units * sizeof *m->unit_end));
    } else {
        double nm[3] = {m->norm_mean, m->norm_m2, (double)m->n_zero};
        bad = bad || put(user, m->mean, d * sizeof *m->mean) ||
              put(user, m->unit, d * sizeof *m->unit) || put(user, nm, sizeof nm);
        for (size_t i = 0; i < d && !bad; i++)
            bad = put(user, m->m2 + i * d + i, (d - i) * sizeof *m->m2);
    }
    if (bad) return aniso_error_set(err, ANISO_IO, "moments: write failed");
    for (int k = 0; !m->rows && k < m->n_blocks; k++)
        if (aniso_moments_write(m->blocks[k], put, user, err)) return ANISO_IO;
    return ANISO_OK;
}

aniso_moments *aniso_moments_read(aniso_get_fn get, void *user, uint64_t max_bytes,
                                  const char *name, aniso_error *err)
{
    wire_header h;
    if (get(user, &h, sizeof h) || h.d < 1 || h.d > (1 << 20) || h.keeps_rows < 0 ||
        h.keeps_rows > 1 || (h.keeps_rows && (h.n >= (uint64_t)h.d || h.n >= h.keep_rows)) ||
        h.n_units > h.n || h.n_blocks < 0 || h.n_blocks > ANISO_MOMENTS_MAX_BLOCKS || h.pad) {
        aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics", name);
        return NULL;
    }
    /* Nothing is allocated for more bytes than the input has left. */
    uint64_t dd = (uint64_t)h.d, need = h.keeps_rows ? h.n * dd * sizeof(float) + h.n_units * 8
                                                     : (dd * (dd + 1) / 2 + 2 * dd + 3) * 8 *
                                                           (1 + (uint64_t)h.n_blocks);
    if (need > max_bytes) {
        aniso_error_set(err, ANISO_FORMAT, "%s: truncated layer statistics", name);
        return NULL;
    }
    aniso_moments *m = calloc(1, sizeof *m);
    if (!m) goto nomem;
    size_t d = (size_t)h.d;
    m->d = h.d;
    m->keep_rows = (size_t)h.keep_rows;
    m->n = h.n;
    m->n_units = h.n_units;
    m->n_blocks = h.n_blocks;
    if (h.keeps_rows) {
        m->cap = (size_t)h.n ? (size_t)h.n : 1;
        m->unit_cap = (size_t)h.n_units ? (size_t)h.n_units : 1;
        if (!(m->rows = malloc(m->cap * d * sizeof *m->rows)) ||
            !(m->unit_end = malloc(m->unit_cap * sizeof *m->unit_end)))
            goto nomem;
        if (get(user, m->rows, (size_t)h.n * d * sizeof *m->rows) ||
            (h.n_units && get(user, m->unit_end, (size_t)h.n_units * sizeof *m->unit_end)))
            goto bad;
        /* units are runs of rows, in order, covering all of them */
        for (uint64_t u = 0; u < h.n_units; u++)
            if (m->unit_end[u] <= (u ? m->unit_end[u - 1] : 0) || m->unit_end[u] > h.n) {
                aniso_moments_free(m);
                aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics (units)", name);
                return NULL;
            }
        if (h.n_units ? m->unit_end[h.n_units - 1] != h.n : h.n != 0) {
            aniso_moments_free(m);
            aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics (units)", name);
            return NULL;
        }
        return m;
    }
    m->mean = malloc(d * sizeof *m->mean);
    m->unit = malloc(d * sizeof *m->unit);
    m->m2 = calloc(d * d, sizeof *m->m2);
    if (!m->mean || !m->unit || !m->m2) goto nomem;
    double nm[3];
    if (get(user, m->mean, d * sizeof *m->mean) || get(user, m->unit, d * sizeof *m->unit) ||
        get(user, nm, sizeof nm))
        goto bad;
    if (!(nm[2] >= 0 && nm[2] <= (double)h.n && nm[2] == floor(nm[2]))) {
        aniso_moments_free(m);
        aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics (zero rows)", name);
        return NULL;
    }
    m->norm_mean = nm[0];
    m->norm_m2 = nm[1];
    m->n_zero = (uint64_t)nm[2];
    for (size_t i = 0; i < d; i++)
        if (get(user, m->m2 + i * d + i, (d - i) * sizeof *m->m2)) goto bad;
    /* the blocks: moments of dimension d without blocks, whose counts add up */
    uint64_t one = (dd * (dd + 1) / 2 + 2 * dd + 3) * 8, sum = 0;
    if (h.n_blocks && !(m->blocks = calloc((size_t)h.n_blocks, sizeof *m->blocks))) goto nomem;
    for (int k = 0; k < h.n_blocks; k++) {
        aniso_moments *b =
            aniso_moments_read(get, user, max_bytes - one * (uint64_t)(k + 1), name, err);
        if (!b) {
            aniso_moments_free(m);
            return NULL;
        }
        m->blocks[k] = b;
        sum += b->n;
        if (b->d != h.d || b->rows || b->n_blocks) {
            aniso_moments_free(m);
            aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics (blocks)", name);
            return NULL;
        }
    }
    if (h.n_blocks && sum != h.n) {
        aniso_moments_free(m);
        aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics (blocks)", name);
        return NULL;
    }
    return m;
bad:
    aniso_moments_free(m);
    aniso_error_set(err, ANISO_FORMAT, "%s: truncated layer statistics", name);
    return NULL;
nomem:
    aniso_moments_free(m);
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory for layer statistics", name);
    return NULL;
}
