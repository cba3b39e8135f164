/* moments.h - one layer's token vectors as mergeable float64 statistics.
 *
 * The metrics of a layer (analysis.h) need, for its n x d matrix X: the
 * covariance spectrum, the row norms' mean and standard deviation, and the
 * mean cosine to the mean row. A moments object holds what they need and
 * grows by chunks of rows, so that a corpus of any length is measured in
 * bounded memory:
 *   - while fewer than min(d, keep_rows) rows have been seen, the rows
 *     themselves (float32, as the forward pass gives them); the metrics then
 *     come from the n x n Gram matrix, exactly as aniso_metrics_compute;
 *   - after that, the count, the mean row, the centred co-moment
 *     M2 = sum (x - mean)(x - mean)^T (d x d), the row norms' mean and
 *     centred second moment, and the sum of unit rows x / |x|, all float64,
 *     updated one chunk at a time (a rank-k update per chunk) and merged
 *     with the pairwise formulas of Chan, Golub and LeVeque (1979).
 * Every way work is combined (chunks, checkpoints, shards) goes through add
 * and merge.
 *
 * The mean cosine from moments is (sum of unit rows) . mu / (n |mu|): the
 * per-row formula's 1e-10 in the denominator (docs/METRICS.md) is left out,
 * which changes the value by a relative 1e-10 / (|x| |mu|). */
#ifndef ANISO_MOMENTS_H
#define ANISO_MOMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aniso/analysis.h"
#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aniso_moments aniso_moments;

/* A default for keep_rows: rows are kept while fewer than this many (and
 * fewer than d) have been seen. */
#define ANISO_MOMENTS_KEEP_ROWS 8192

aniso_moments *aniso_moments_new(int d, size_t keep_rows, aniso_error *err);
void aniso_moments_free(aniso_moments *m);

/* Adds the n rows of X (n x d, row-major), as one bootstrap unit. */
aniso_status aniso_moments_add(aniso_moments *m, const float *X, size_t n, aniso_error *err);
/* Adds the n rows of X made of n_units bootstrap units (whole sequences):
 * unit k is the next unit_rows[k] rows (the counts sum to n; a unit of 0
 * rows is not a unit). */
aniso_status aniso_moments_add_units(aniso_moments *m, const float *X, size_t n,
                                     const size_t *unit_rows, size_t n_units, aniso_error *err);

/* Bootstrap blocks for the moments regime, set before the first row: once
 * rows are no longer kept, unit k's rows are also added to block k mod
 * n_blocks, so that resampling the blocks resamples whole units in bounded
 * memory ((n_blocks + 1) times the moments). 0 (the default): no blocks. */
#define ANISO_MOMENTS_MAX_BLOCKS 1024
aniso_status aniso_moments_set_blocks(aniso_moments *m, int n_blocks, aniso_error *err);
int aniso_moments_blocks(const aniso_moments *m);
/* What a resample draws from: the units while rows are kept, else the
 * blocks that hold any (0 without blocks), in block order. */
uint64_t aniso_moments_units(const aniso_moments *m);

/* The metrics of resamples of m (the bootstrap's replicates, the
 * jackknife's leave-one-out samples): count[u] copies of unit u, for every
 * unit of aniso_moments_units. Each replicate is exact: while rows are kept,
 * from the n x n Gram matrix of the rows (the rows drawn, weighted by their
 * counts, re-centred at their own mean); else from the blocks' moments
 * merged with their counts. A resample of fewer than 2 rows has NaN
 * metrics. aniso_resampler_metrics may run in several threads at once. */
typedef struct aniso_resampler aniso_resampler;
aniso_resampler *aniso_resampler_new(const aniso_moments *m, aniso_error *err);
uint64_t aniso_resampler_units(const aniso_resampler *rs);
aniso_status aniso_resampler_metrics(const aniso_resampler *rs, const uint32_t *count,
                                     aniso_layer_metrics *out, aniso_error *err);
void aniso_resampler_free(aniso_resampler *rs);
/* Adds other's rows or moments into m (same d). */
aniso_status aniso_moments_merge(aniso_moments *m, const aniso_moments *other, aniso_error *err);

uint64_t aniso_moments_count(const aniso_moments *m);
int aniso_moments_dim(const aniso_moments *m);
/* The keep_rows it was made with. */
size_t aniso_moments_keep_limit(const aniso_moments *m);
/* Whether m still holds its rows (the Gram route). */
int aniso_moments_keeps_rows(const aniso_moments *m);

/* The layer's metrics (docs/METRICS.md section 2); at least 2 rows. */
aniso_status aniso_moments_metrics(const aniso_moments *m, aniso_layer_metrics *out,
                                   aniso_error *err);

/* Serialisation for checkpoints: write appends m's bytes through put
 * (which returns 0 on success); read restores one from get (which fills
 * exactly len bytes or fails), refusing before it allocates anything an
 * image larger than max_bytes (what the input has left). Native byte order; the checkpoint format
 * records it. name is used in messages. */
typedef int (*aniso_put_fn)(void *user, const void *p, size_t len);
typedef int (*aniso_get_fn)(void *user, void *p, size_t len);
aniso_status aniso_moments_write(const aniso_moments *m, aniso_put_fn put, void *user,
                                 aniso_error *err);
aniso_moments *aniso_moments_read(aniso_get_fn get, void *user, uint64_t max_bytes,
                                  const char *name, aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
