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
 * {"model", "last_layer", "shape": [layers, n_tokens, hidden], "prompts": [...],
 *  "tokens": [{"prompt", "position", "id", "token", "roles"}, ...]} in row
 * order; roles as "bos,first,special" or "none". */
aniso_status aniso_report_tokens_json(const char *path, const char *model_name,
                                      const aniso_hparams *hp, const aniso_tokenizer *tk,
                                      const aniso_prompts *p, const aniso_batch *b,
                                      aniso_last_layer last, aniso_error *err);

/* How a profile's rows were chosen, and from what. */
typedef struct aniso_run_info {
    const char *source;      /* "prompts" or "corpus" */
    const char *source_path; /* NULL: the notebook's prompts */
    const char *format;      /* corpus: "text" or "jsonl"; prompts: NULL */
    size_t context;          /* corpus window (tokens, specials included); 0 for prompts */
    uint64_t max_tokens;     /* 0 = no limit */
    const char *last_layer;  /* "hf", "raw" or "both" */
    unsigned exclude;        /* ANISO_TOKEN_* roles left out */
    long pos_from, pos_to;   /* positions measured: [from, to), to 0 = no bound */
    uint64_t n_sequences, n_documents;
    uint64_t n_tokens_seen;             /* through the model */
    uint64_t n_bos, n_special, n_first; /* of those, by role */
    uint64_t n_excluded;                /* rows the mask left out */
    int n_parts;                        /* partial results merged (1: one run) */
    int n_layers_measured, n_hidden;    /* layers measured of the policy's n_hidden */
} aniso_run_info;

/* Everything one profile run produced: the report's content. */
typedef struct aniso_profile_result {
    const char *model;        /* as the user named it */
    const char *architecture; /* model_type */
    const char *normalization;
    const char *family;         /* display name ("Qwen3"), or NULL */
    const char *norm_placement; /* aniso_arch_norm_placement, or NULL */
    const char *dtype;          /* the weights' dtype(s), e.g. "BF16" */
    int n_layers, hidden_dim;
    size_t n_prompts, n_tokens;      /* n_tokens: rows of X per layer */
    const size_t *tokens_per_prompt; /* (n_prompts) rows each prompt gave, or NULL */
    int skip_first_token;            /* the mask leaves each sequence's first token out */
    /* The profile's layers: n_measured entries, layers[i] at layer layer_ids[i]
     * (NULL: 0..n_layers, n_measured = n_layers + 1). */
    const aniso_layer_metrics *layers;
    const int *layer_ids;
    int n_measured;
    const aniso_layer_metrics *raw_last; /* --last-layer both: the raw last layer, else NULL */
    const aniso_run_info *info;          /* NULL: prompts, every token */
    aniso_profile_analysis analysis;
    aniso_reference reference;
    double t_load, t_forward, t_moments, t_metrics, t_total; /* seconds */
} aniso_profile_result;

/* Writes the JSON report (METRICS.md section 4): the notebook's keys, then
 * the added ones. */
/* The figures and the bundle: every file of a report, or none (files:
 * json, profile.png, spectrum.png, norms.png, zip paths). */
aniso_status aniso_report_write_all(char *const files[5], const char *name,
                                    const aniso_profile_result *r, aniso_error *err);
aniso_status aniso_report_write_json(const char *path, const aniso_profile_result *r,
                                     aniso_error *err);

/* A result file read back: the notebook's own or ours. Keys that older
 * files lack are derived from the per-layer lists; unknown keys are ignored. */
typedef struct aniso_result_file {
    char *path, *model;
    char *normalization;             /* "LayerNorm", "RMSNorm" or "" when the file does not say */
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
