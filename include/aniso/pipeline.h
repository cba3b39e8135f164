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
    /* Optional: called after each chunk. */
    void (*progress)(void *user, const aniso_progress *p);
    void *progress_user;
} aniso_profile_opts;

typedef struct aniso_profile_run {
    aniso_profile_result result;
    aniso_run_info info;
    char *files[5]; /* json, profile.png, spectrum.png, norms.png, zip */
    /* owned storage behind result's pointers */
    char *model, *architecture, *dtype, *source_path;
    aniso_layer_metrics *layers, *raw_last;
    int *layer_ids;
    size_t *tokens_per_prompt;
} aniso_profile_run;

/* Runs the profile and writes the report files (METRICS.md section 4).
 * Either every file is written or none is left behind. On success *out is
 * the caller's, freed with aniso_profile_run_free. */
aniso_status aniso_profile(const aniso_profile_opts *o, aniso_profile_run **out, aniso_error *err);
void aniso_profile_run_free(aniso_profile_run *r);

/* Merges partial results (checkpoint files of disjoint parts of a corpus,
 * made with the same model, tokenizer, mask, layers and preprocessing) and
 * writes the report into out_dir, as aniso_profile does. */
aniso_status aniso_merge(const char *const *paths, int n, const char *out_dir,
                         const aniso_reference *reference, aniso_profile_run **out,
                         aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
