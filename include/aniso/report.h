/* report.h - files that aniso writes for people and scripts. Every file is
 * written under a temporary name and renamed into place when complete. */
#ifndef ANISO_REPORT_H
#define ANISO_REPORT_H

#include "aniso/analysis.h"
#include "aniso/evidence.h"
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
/* One part of a result made in parts (a shard of --shard I/N, an MPI rank,
 * or a merged partial result). */
typedef struct aniso_part_info {
    int shard, n_shards; /* I of N, or -1 and 0 when the part is not a shard */
    uint64_t sequences, documents, tokens, measured;
    double t_forward; /* seconds */
} aniso_part_info;

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
    const aniso_part_info *parts;       /* (n_parts) when made in parts, else NULL */
    const char *parts_via;              /* "merge" or "mpi" with parts, else NULL */
    int n_layers_measured, n_hidden;    /* layers measured of the policy's n_hidden */
    /* FNV-1a 64 of the input texts read (each prompt or document followed
     * by a zero byte), in hexadecimal, or NULL when unknown */
    const char *text_hash;
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
    double t_evidence; /* of t_total: intervals, nulls and controls */
    /* intervals, nulls, the shape test and the token controls (evidence.h);
     * NULL: none (a result read back, or made by an older caller) */
    const aniso_evidence *evidence;
    /* the CPU kernel variant the forward pass ran (aniso_plan_kernels);
     * merged parts' variants joined by '+' when they differ; NULL when
     * unknown (a result read back, or a part that did not say) */
    const char *kernels;
} aniso_profile_result;

/* Figure formats: any non-empty set (0 means PNG alone). */
/* ANISO_FIG_NONE: the JSON report alone (no figures, no bundle); it wins
 * over the others. */
enum { ANISO_FIG_PNG = 1u, ANISO_FIG_PDF = 2u, ANISO_FIG_SVG = 4u, ANISO_FIG_NONE = 8u };

/* Parses "png,pdf,svg" (any non-empty comma-separated subset, each once)
 * into ANISO_FIG_* flags, or "none" (ANISO_FIG_NONE: the JSON alone); -1
 * when malformed. */
int aniso_figure_formats_parse(const char *s, unsigned *formats);

/* json, 4 figures in up to 3 formats, zip */
#define ANISO_REPORT_MAX_FILES 14

/* Writes a report into dir (created if missing): every file, or none; an
 * earlier report of the same names is replaced only once the new one is
 * complete, and kept if anything fails. Names:
 * anisotropy_results_NAME[TAG].json, then anisotropy_profile_NAME[TAG],
 * eigenvalue_spectrum_NAME[TAG], norm_analysis_NAME[TAG] and
 * metric_family_NAME[TAG] in each format (png, pdf, svg order), then
 * anisotropy_results_NAME[TAG]_YYYYMMDD_HHMMSS.zip holding the others (JSON last); TAG from
 * aniso_report_name_tag. On success files[0 .. *n_files) are the paths (malloc'd); on failure none
 * is left behind, files[] are NULL and *n_files 0. */
aniso_status aniso_report_write_all(const char *dir, unsigned formats,
                                    const aniso_profile_result *r, char **files, int *n_files,
                                    aniso_error *err);

/* Whether aniso_report_write_all may write r's report into dir: its JSON's
 * path is absent, or a regular file holding an earlier result of the same
 * model (the same "model" string). Two models whose names give the same
 * NAME, or a file there that is not an aniso result, are refused, never
 * replaced. (write_all checks it too; callers check it before the work.) */
aniso_status aniso_report_check_target(const char *dir, const aniso_profile_result *r,
                                       aniso_error *err);

/* What the token mask measured: "all tokens", "first token excluded",
 * "BOS and special tokens excluded; positions 1 to 63", ... */
const char *aniso_report_mask_desc(const aniso_profile_result *r, char *buf, size_t cap);

/* What report file names add to NAME so that different measurements never
 * share a name: "" for the notebook's (all tokens, the hf last layer), else
 * "_excl-ROLES" (roles joined by '-'), "_pos-A-B" (or "_pos-A-end") and
 * "_last-raw" / "_last-both", in that order. */
const char *aniso_report_name_tag(const aniso_profile_result *r, char *buf, size_t cap);

/* Why a result cannot carry a conclusion. Thresholds: fewer than 10 tokens,
 * or fewer than twice the number of layers (too few tokens); a phase of the
 * bell-curve test with fewer than 3 layers; a profile range below 1e-3 or
 * every layer's ratio above 0.999 (flat); n < d / 10 (n far below d). The
 * bell-curve verdict is inconclusive with too few tokens, a short phase or
 * a flat profile; the flatness verdict with too few tokens or a flat
 * profile. */
#define ANISO_MAX_WARNINGS 6
typedef struct aniso_report_warnings {
    int n;
    const char *what[ANISO_MAX_WARNINGS]; /* short: "too few tokens", ... */
    char text[ANISO_MAX_WARNINGS][400];   /* the sentence of the printout and the JSON */
    int bell_conclusive, flatness_conclusive;
} aniso_report_warnings;
void aniso_report_warnings_get(const aniso_profile_result *r, aniso_report_warnings *w);

/* Writes the JSON report (METRICS.md section 4): the notebook's keys, then
 * the added ones ("warnings" and "conclusive" among them). */
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
    aniso_layer_metrics *layers;     /* (n) from "layers" (a metric the file lacks: NaN), or NULL */
    aniso_profile_analysis analysis; /* derived from idr */
    int has_L_star, L_star;          /* as the file states them, when it does */
    int has_range, has_max, has_bell;
    double range, max;
    int is_bell;
    long long n_tokens; /* tokens measured, or 0 when the file does not say */
    char *mask;         /* aniso_report_mask_desc's words, or NULL when the file does not say */
    /* how it was measured: the "provenance" object as compact JSON, or NULL
     * (the notebook's results and older aniso ones have none) */
    char *provenance;
    /* the bootstrap's replicates of the profile statistics (n_rep 0: none):
     * the same seed, units and count make two results' replicates pairs */
    int n_rep;
    double *rep_range, *rep_max;
    int *rep_L_star;
    unsigned long long rep_seed, rep_units;
} aniso_result_file;

/* Whether results measured the rows the same way (mask, positions, last
 * layer, layers, centring, input texts and context): 1, with nothing in
 * why; 0, with what differs in why ("A and B differ in last_layer: ..."); -1
 * when a result does not record it (the notebook's), with which in why. */
int aniso_results_comparable(aniso_result_file *const *rs, int n, char *why, size_t cap);
/* Whether a's and b's replicates are pairs (comparable results of the same
 * prompts, resampled with the same seed, count and units): replicate k of
 * each drew the same prompts, so their differences are the bootstrap of the
 * difference. 1, or 0 with why. */
int aniso_results_paired(const aniso_result_file *a, const aniso_result_file *b, char *why,
                         size_t cap);

aniso_result_file *aniso_result_load(const char *path, aniso_error *err);
void aniso_result_free(aniso_result_file *r);

/* The reference a result file provides: its stated range, maximum and L*
 * (derived from its profile when absent). */
void aniso_result_reference(const aniso_result_file *r, aniso_reference *ref);

/* Writes comparison.json and comparison.FMT (for each format of formats, 0:
 * png) into out_dir for n results: all or none; files[0 .. *n_files) (at
 * most 4, malloc'd): the JSON, then the figures in png, pdf, svg order. */
aniso_status aniso_compare_write(aniso_result_file *const *rs, int n, const char *out_dir,
                                 unsigned formats, char **files, int *n_files, aniso_error *err);

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
