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

struct aniso_moments {
    int d;
    size_t keep_rows;
    uint64_t n;
    /* Rows regime: rows != NULL, n rows of d floats (cap rows allocated). */
    float *rows;
    size_t cap;
    /* Moments regime (rows == NULL): */
    double *mean;     /* (d) */
    double *m2;       /* (d x d), upper triangle */
    double *unit;     /* (d) sum of x / |x| over non-zero rows */
    uint64_t n_zero;  /* rows that are zero */
    double norm_mean; /* mean of |x| */
    double norm_m2;   /* sum of (|x| - norm_mean)^2 */
    double *scratch;  /* BLOCK centred rows */
};

static size_t row_limit(const aniso_moments *m)
{
    size_t lim = (size_t)m->d;
    return m->keep_rows < lim ? m->keep_rows : lim;
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

/* The moments regime's update by one chunk of n rows. */
static aniso_status add_chunk(aniso_moments *m, const float *X, size_t n, aniso_error *err)
{
    size_t d = (size_t)m->d;
    if (n == 0) return ANISO_OK;
    if (!m->scratch && !(m->scratch = malloc(BLOCK * d * sizeof *m->scratch)))
        return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    double *y = m->scratch, *mb = calloc(d, sizeof *mb), *nrm = malloc(n * sizeof *nrm);
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
    size_t n = (size_t)m->n;
    m->rows = NULL;
    m->n = 0;
    aniso_status st = add_chunk(m, rows, n, err);
    if (st) { /* back to the rows, unchanged */
        free(m->mean), free(m->m2), free(m->unit);
        m->mean = m->m2 = m->unit = NULL;
        m->rows = rows;
        m->n = n;
        return st;
    }
    free(rows);
    return ANISO_OK;
}

static aniso_status keep(aniso_moments *m, const float *X, size_t n, aniso_error *err)
{
    size_t d = (size_t)m->d, need = (size_t)m->n + n;
    if (need > m->cap) {
        size_t cap = m->cap ? m->cap : 64;
        while (cap < need) cap *= 2;
        float *r = realloc(m->rows, cap * d * sizeof *r);
        if (!r) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
        m->rows = r;
        m->cap = cap;
    }
    memcpy(m->rows + (size_t)m->n * d, X, n * d * sizeof *X);
    m->n += n;
    return ANISO_OK;
}

aniso_status aniso_moments_add(aniso_moments *m, const float *X, size_t n, aniso_error *err)
{
    aniso_status st;
    if (m->rows && (size_t)m->n + n < row_limit(m)) return keep(m, X, n, err);
    if ((st = to_moments(m, err))) return st;
    return add_chunk(m, X, n, err);
}

aniso_status aniso_moments_merge(aniso_moments *m, const aniso_moments *o, aniso_error *err)
{
    if (o->d != m->d)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "moments: cannot merge statistics of dimension %d into %d", o->d,
                               m->d);
    if (o->n == 0) return ANISO_OK;
    if (o->rows) return aniso_moments_add(m, o->rows, (size_t)o->n, err);
    aniso_status st = to_moments(m, err);
    if (st) return st;
    size_t d = (size_t)m->d;
    double na = (double)m->n, nb = (double)o->n, nn = na + nb;
    double *delta = malloc(d * sizeof *delta);
    if (!delta) return aniso_error_set(err, ANISO_NO_MEMORY, "moments: out of memory");
    for (size_t j = 0; j < d; j++) delta[j] = o->mean[j] - m->mean[j];
    for (size_t i = 0; i < d; i++)
        for (size_t j = i; j < d; j++) m->m2[i * d + j] += o->m2[i * d + j];
    if (m->n) cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, na * nb / nn, delta, 1, m->m2, (int)d);
    for (size_t j = 0; j < d; j++) {
        m->mean[j] += delta[j] * nb / nn;
        m->unit[j] += o->unit[j];
    }
    m->n_zero += o->n_zero;
    double dn = o->norm_mean - m->norm_mean;
    m->norm_m2 += o->norm_m2 + dn * dn * na * nb / nn;
    m->norm_mean += dn * nb / nn;
    m->n += o->n;
    free(delta);
    return ANISO_OK;
}

aniso_status aniso_moments_metrics(const aniso_moments *m, aniso_layer_metrics *out,
                                   aniso_error *err)
{
    if (m->rows) return aniso_metrics_compute(m->rows, (size_t)m->n, (size_t)m->d, out, err);
    memset(out, 0, sizeof *out);
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

/* ---- Memory ---- */

/* The rows capacity keep() reaches for need rows. */
static uint64_t rows_cap(uint64_t need)
{
    uint64_t cap = 64;
    while (cap < need) cap *= 2;
    return cap;
}

void moments_bytes(int d, size_t keep_rows, uint64_t max_rows, size_t chunk_rows,
                   uint64_t *resident, uint64_t *transient)
{
    uint64_t D = (uint64_t)(d > 0 ? d : 1), lim = keep_rows < D ? keep_rows : D;
    /* rows while fewer than lim (at most lim - 1 kept); moments once there */
    int moments = lim <= 1 || max_rows >= lim, rows = lim > 1;
    uint64_t kept = !rows ? 0 : max_rows < lim - 1 ? max_rows : lim - 1;
    uint64_t rows_b = rows ? (kept ? rows_cap(kept) : 1) * D * sizeof(float) : 0;
    uint64_t mom_b = moments ? ((D + 2) * D + BLOCK * D) * sizeof(double) : 0;
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
    uint64_t n, keep_rows;
} wire_header;

aniso_status aniso_moments_write(const aniso_moments *m, aniso_put_fn put, void *user,
                                 aniso_error *err)
{
    wire_header h = {m->d, m->rows != NULL, m->n, m->keep_rows};
    size_t d = (size_t)m->d;
    int bad = put(user, &h, sizeof h);
    if (m->rows) {
        bad = bad || put(user, m->rows, (size_t)m->n * d * sizeof *m->rows);
    } else {
        double nm[3] = {m->norm_mean, m->norm_m2, (double)m->n_zero};
        bad = bad || put(user, m->mean, d * sizeof *m->mean) ||
              put(user, m->unit, d * sizeof *m->unit) || put(user, nm, sizeof nm);
        for (size_t i = 0; i < d && !bad; i++)
            bad = put(user, m->m2 + i * d + i, (d - i) * sizeof *m->m2);
    }
    return bad ? aniso_error_set(err, ANISO_IO, "moments: write failed") : ANISO_OK;
}

aniso_moments *aniso_moments_read(aniso_get_fn get, void *user, uint64_t max_bytes,
                                  const char *name, aniso_error *err)
{
    wire_header h;
    if (get(user, &h, sizeof h) || h.d < 1 || h.d > (1 << 20) || h.keeps_rows < 0 ||
        h.keeps_rows > 1 || (h.keeps_rows && (h.n >= (uint64_t)h.d || h.n >= h.keep_rows))) {
        aniso_error_set(err, ANISO_FORMAT, "%s: malformed layer statistics", name);
        return NULL;
    }
    /* Nothing is allocated for more bytes than the input has left. */
    uint64_t dd = (uint64_t)h.d,
             need = h.keeps_rows ? h.n * dd * sizeof(float) : (dd * (dd + 1) / 2 + 2 * dd + 3) * 8;
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
    if (h.keeps_rows) {
        m->cap = (size_t)h.n ? (size_t)h.n : 1;
        if (!(m->rows = malloc(m->cap * d * sizeof *m->rows))) goto nomem;
        if (get(user, m->rows, (size_t)h.n * d * sizeof *m->rows)) goto bad;
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
