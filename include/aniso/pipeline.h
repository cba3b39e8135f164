/* pipeline.h - a profile end to end:
 *   source (prompts | corpus documents) -> token ids with roles
 *   -> sequences (a prompt, or a window of a document) -> chunks
 *   -> forward (plan, state, taps) -> mask -> per-layer moments
 *   [-> checkpoint | merge of partial results] -> metrics -> report files.
 * No buffer grows with the corpus: chunks, the forward state and the
 * moments are sized once. */
#ifndef ANISO_PIPELINE_H
#define ANISO_PIPELINE_H

#include <stdint.h>

#include "aniso/forward.h"
#include "aniso/moments.h"
#include "aniso/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which token rows are measured: none whose role is in exclude
 * (ANISO_TOKEN_* flags), and only positions in [pos_from, pos_to) of their
 * sequence (pos_to 0: no upper bound). A zeroed mask keeps every row. */
typedef struct aniso_mask {
    unsigned exclude;
    long pos_from, pos_to;
} aniso_mask;

/* Parses "A:B", "A:" or ":B" into [from, to) (to 0: none); -1 when malformed. */
int aniso_mask_parse_positions(const char *s, long *from, long *to);

/* Parses a layer list ("0,4,8-12") for a model with n_hidden hidden-state
 * layers into flags (n_hidden bytes); -1 when malformed or out of range. */
int aniso_layers_parse(const char *s, int n_hidden, unsigned char *flags);

typedef struct aniso_progress {
    uint64_t tokens;    /* tokens through the model so far (this run) */
    uint64_t sequences; /* sequences so far (all runs, when resumed) */
    double seconds;     /* since the forward passes started */
    double fraction;    /* of the input done, 0..1, or -1 when unknown */
} aniso_progress;

/* Processes that each profile a shard of the input and combine their
 * statistics into one report (MPI ranks; the pipeline stays free of any
 * message-passing library: the caller implements these). Rank r measures
 * the documents (or prompts) whose index is r modulo size; rank 0 receives
 * every other rank's statistics, in rank order and one layer at a time,
 * and writes the report. Every function is collective or point-to-point as
 * stated; each returns 0 on success. */
typedef struct aniso_collective {
    int rank, size;
    void *user;
    /* Collective: every rank says whether it is fine (ok) and why not
     * (msg); on return *bad is the lowest failing rank (-1: none) and
     * bad_msg its message (cap bytes). */
    int (*agree)(void *user, int ok, const char *msg, int *bad, char *bad_msg, size_t cap);
    /* A rank other than 0: n bytes to rank 0. */
    int (*send)(void *user, const void *buf, size_t n);
    /* Rank 0: the next message from rank `from` (malloc'd, *n bytes). */
    int (*recv)(void *user, int from, void **buf, size_t *n);
} aniso_collective;

/* One `aniso profile` run. */
typedef struct aniso_profile_opts {
    const char *model;        /* folder, GGUF file or cached model id */
    const char *name;         /* how the report names it; NULL = model */
    aniso_open_opts open;     /* cache, revision and config rules */
    const char *prompts_file; /* one prompt = one sequence; NULL: the notebook's 16 */
    const char *corpus_file;  /* documents cut into windows (instead of prompts) */
    size_t context;           /* corpus window in tokens, specials included; 0 = 512 */
    uint64_t max_tokens;      /* stop after this many tokens; 0 = all */
    const char *layers;       /* hidden-state layers to measure ("0,4,8-12"); NULL = all */
    aniso_mask mask;
    aniso_last_layer last_layer;
    size_t chunk_tokens;              /* tokens per forward chunk; 0 = 4096 */
    size_t keep_rows;                 /* Gram route while rows < min(d, this); 0 = default */
    const char *checkpoint;           /* partial result written here (and at the end) */
    uint64_t checkpoint_every;        /* tokens between checkpoints; 0 = only at the end */
    int resume;                       /* continue from the checkpoint */
    const char *out_dir;              /* report folder, created if missing; NULL = "." */
    const aniso_reference *reference; /* NULL: the notebook's Pythia-6.9B numbers */
    int n_threads;                    /* 0 = all cores */
    unsigned formats;                 /* ANISO_FIG_* figure formats; 0 = png */
    /* --shard I/N: measure only the documents (prompts) whose index is I
     * modulo N, and write the statistics as a partial result (checkpoint)
     * for aniso_merge; shard_count 0: the whole input. */
    int shard_index, shard_count;
    /* Ranks that share the input (see aniso_collective), or NULL. With
     * more than one rank, a checkpoint path gets ".RANK-of-SIZE" appended. */
    const aniso_collective *collective;
    /* Optional: called after each chunk. */
    void (*progress)(void *user, const aniso_progress *p);
    void *progress_user;
    /* The bytes the run may allocate (the forward pass's buffers and the
     * layers' statistics and metrics, estimated before any is allocated);
     * 0: the memory available (MemAvailable, or the cgroup's headroom when
     * smaller). More is refused (ANISO_NO_MEMORY). */
    uint64_t max_memory;
    /* Intervals, nulls and controls (docs/METRICS.md section 5). n_boot:
     * bootstrap replicates; 0: 1000, or fewer (not below 200) so that the
     * bootstrap's arithmetic stays under a fifth of the forward pass's;
     * below 0: none. boot_blocks: blocks of sequences for runs that hold
     * moments (more rows than d); 0: 20, or fewer (not below 5) to fit the
     * memory; below 0: none. seed: of every random draw. boot_indices: a
     * .npy file (float32, n_boot x units) to receive each replicate's
     * resampled units, or NULL. no_controls: leave out the profile without
     * first tokens, the token controls and the nulls. */
    int n_boot, boot_blocks;
    uint64_t seed;
    const char *boot_indices;
    int no_controls;
} aniso_profile_opts;

typedef struct aniso_profile_run {
    aniso_profile_result result;
    aniso_run_info info;
    /* json, the figures (profile, spectrum, norms; each in png, pdf, svg
     * order of the formats asked), zip; NULL: none written */
    char *files[ANISO_REPORT_MAX_FILES];
    int n_files;
    unsigned formats; /* ANISO_FIG_* of the figures (0: png) */
    /* owned storage behind result's pointers */
    char *model, *architecture, *dtype, *source_path;
    aniso_layer_metrics *layers, *raw_last;
    int *layer_ids;
    size_t *tokens_per_prompt;
    aniso_part_info *parts;
    void *evidence_store; /* behind result.evidence */
    char *text_hash;      /* behind info.text_hash */
    char *kernels;        /* behind result.kernels */
} aniso_profile_run;

/* Runs the profile and writes the report files (docs/METRICS.md section 4).
 * Before the forward passes start, every prompt (and a corpus's context)
 * must fit aniso_max_seq_len, and the run's memory (estimated from the
 * shapes) o->max_memory; the forward pass checks weights and hidden states
 * as aniso_forward does (forward.h). Either every file is written or none is
 * left behind. On success *out is
 * the caller's, freed with aniso_profile_run_free. With --shard (and no
 * collective) no report is written: the partial result at o->checkpoint is
 * the output. With a collective, only rank 0 writes the report (the other
 * ranks' runs hold their own counts and no files). */
aniso_status aniso_profile(const aniso_profile_opts *o, aniso_profile_run **out, aniso_error *err);
void aniso_profile_run_free(aniso_profile_run *r);

/* Merges partial results (checkpoint files of disjoint parts of a corpus,
 * made with the same model, tokenizer, mask, layers and preprocessing) and
 * writes the report into out_dir, as aniso_profile does, its figures in
 * formats (ANISO_FIG_*; 0: png). */
aniso_status aniso_merge(const char *const *paths, int n, const char *out_dir, unsigned formats,
                         const aniso_reference *reference, aniso_profile_run **out,
                         aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
