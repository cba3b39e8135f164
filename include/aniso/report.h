/* report.h - files that aniso writes for people and scripts. Every file is
 * written under a temporary name and renamed into place when complete. */
#ifndef ANISO_REPORT_H
#define ANISO_REPORT_H

#include "aniso/analysis.h"
#include "aniso/forward.h"
#include "aniso/prompts.h"
#include "aniso/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The token records of a hidden-state dump:
 * {"model", "shape": [L+1, n_tokens, hidden], "prompts": [...],
 *  "tokens": [{"prompt", "position", "id", "token"}, ...]} in row order. */
aniso_status aniso_report_tokens_json(const char *path, const char *model_name,
                                      const aniso_hparams *hp, const aniso_tokenizer *tk,
                                      const aniso_prompts *p, const aniso_batch *b,
                                      aniso_error *err);

/* Everything one profile run produced: the report's content. */
typedef struct aniso_profile_result {
    const char *model;        /* as the user named it */
    const char *architecture; /* model_type */
    const char *normalization;
    const char *dtype; /* the weights' dtype(s), e.g. "BF16" */
    int n_layers, hidden_dim;
    size_t n_prompts, n_tokens;      /* n_tokens: rows of X per layer */
    const size_t *tokens_per_prompt; /* (n_prompts) tokens each prompt contributed */
    int skip_first_token;
    const aniso_layer_metrics *layers; /* (n_layers + 1) */
    aniso_profile_analysis analysis;
    aniso_reference reference;
    double t_load, t_forward, t_metrics, t_total; /* seconds */
} aniso_profile_result;

/* Writes the JSON report (METRICS.md section 4): the notebook's keys, then
 * the added ones. */
aniso_status aniso_report_write_json(const char *path, const aniso_profile_result *r,
                                     aniso_error *err);

/* A result file read back: the notebook's own or ours. Keys that older
 * files lack are derived from the per-layer lists; unknown keys are ignored. */
typedef struct aniso_result_file {
    char *path, *model;
    int n;                           /* layers + 1 */
    double *idr;                     /* (n) intrinsic_dim_ratio */
    double *erank;                   /* (n) effective_rank, or NULL */
    double *cos;                     /* (n) avg_cos_sim, or NULL */
    aniso_profile_analysis analysis; /* derived from idr */
    int has_L_star, L_star;          /* as the file states them, when it does */
    int has_range, has_max, has_bell;
    double range, max;
    int is_bell;
} aniso_result_file;

aniso_result_file *aniso_result_load(const char *path, aniso_error *err);
void aniso_result_free(aniso_result_file *r);

/* The reference a result file provides: its stated range, maximum and L*
 * (derived from its profile when absent). */
void aniso_result_reference(const aniso_result_file *r, aniso_reference *ref);

/* One `aniso profile` run, end to end. */
typedef struct aniso_profile_opts {
    const char *model;                /* folder, GGUF file or cached model id */
    const char *name;                 /* how the report names it; NULL = model */
    aniso_open_opts open;             /* cache and revision for model ids */
    const char *prompts_file;         /* NULL: the notebook's 16 prompts */
    const char *out_dir;              /* created if missing; NULL = "." */
    const aniso_reference *reference; /* NULL: the notebook's Pythia-6.9B numbers */
    int skip_first_token;             /* leave each prompt's first token out of X */
    int n_threads;                    /* 0 = all cores */
    /* Optional progress: stage is "load", "forward" (done/total layers), "write". */
    void (*progress)(void *user, const char *stage, int done, int total);
    void *progress_user;
} aniso_profile_opts;

typedef struct aniso_profile_run {
    aniso_profile_result result;
    char *files[5]; /* json, profile.png, spectrum.png, norms.png, zip */
    /* owned storage behind result's pointers */
    char *model, *architecture, *dtype;
    aniso_layer_metrics *layers;
    size_t *tokens_per_prompt;
} aniso_profile_run;

/* Runs the profile and writes the report files (METRICS.md section 4).
 * Either every file is written or none is left behind. On success *out is
 * the caller's, freed with aniso_profile_run_free. */
aniso_status aniso_profile(const aniso_profile_opts *o, aniso_profile_run **out, aniso_error *err);
void aniso_profile_run_free(aniso_profile_run *r);

/* Writes comparison.json and comparison.png into out_dir for n results. */
aniso_status aniso_compare(aniso_result_file *const *rs, int n, const char *out_dir,
                           char **json_path, char **png_path, aniso_error *err);

/* Lower-cased file or folder name with [^a-z0-9._-] replaced by '-' (the
 * NAME in report file names); malloc'd. */
char *aniso_report_short_name(const char *model);

#ifdef __cplusplus
}
#endif
#endif
