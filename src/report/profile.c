/* profile.c - `aniso profile` end to end: prompts, model, tokens, forward
 * pass with the metrics computed layer by layer as the hidden states come
 * out (nothing of size L x n x d is kept), analysis, and the report files;
 * and `aniso compare`'s outputs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aniso/aniso.h"
#include "base/base.h"
#include "io/json.h"
#include "report/figures.h"
#include "report/zipfile.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct tapper {
    aniso_layer_metrics *layers;
    const size_t *offsets;
    size_t n_prompts;
    int skip_first;
    float *rows; /* selected rows, when skipping */
    double t_metrics;
    const aniso_profile_opts *o;
    int n_layer;
} tapper;

static int on_layer(void *user, int layer, const float *x, size_t n_tok, int d, aniso_error *err)
{
    tapper *t = user;
    double t0 = now();
    const float *X = x;
    size_t n = n_tok;
    if (t->skip_first) {
        n = 0;
        for (size_t p = 0; p < t->n_prompts; p++)
            for (size_t r = t->offsets[p] + 1; r < t->offsets[p + 1]; r++)
                memcpy(t->rows + n++ * (size_t)d, x + r * (size_t)d, (size_t)d * sizeof(float));
        X = t->rows;
    }
    int rc = aniso_metrics_compute(X, n, (size_t)d, &t->layers[layer], err) != ANISO_OK;
    t->t_metrics += now() - t0;
    if (t->o->progress) t->o->progress(t->o->progress_user, "forward", layer, t->n_layer);
    return rc;
}

static aniso_status ensure_dir(const char *dir, aniso_error *err)
{
    if (is_dir(dir)) return ANISO_OK;
    if (mkdir(dir, 0755) != 0)
        return aniso_error_set(err, ANISO_IO, "%s: cannot create the output folder: %s", dir,
                               strerror(errno));
    return ANISO_OK;
}

static char *dtype_summary(const aniso_model *m)
{
    aniso_model_stats s;
    aniso_model_stats_get(m, &s);
    char buf[128] = "";
    for (int d = 0; d < ANISO_DTYPE_COUNT; d++)
        if (s.params_by_dtype[d]) {
            if (buf[0]) strncat(buf, "+", sizeof buf - strlen(buf) - 1);
            strncat(buf, aniso_dtype_name((aniso_dtype)d), sizeof buf - strlen(buf) - 1);
        }
    return str_dup(buf);
}

void aniso_profile_run_free(aniso_profile_run *r)
{
    if (!r) return;
    for (int i = 0; i < 5; i++) free(r->files[i]);
    free(r->model), free(r->architecture), free(r->dtype), free(r->layers);
    free(r->tokens_per_prompt);
    free(r);
}

static char *out_path(const char *dir, const char *fmt_, const char *name, const char *stamp)
{
    char file[512];
    snprintf(file, sizeof file, fmt_, name, stamp);
    return path_join(dir, file);
}

aniso_status aniso_profile(const aniso_profile_opts *o, aniso_profile_run **out, aniso_error *err)
{
    double t_start = now();
    aniso_status st = ANISO_OK;
    aniso_prompts prompts = {0};
    aniso_model *m = NULL;
    aniso_tokenizer *tk = NULL;
    aniso_ids ids = {0};
    size_t *offsets = NULL;
    tapper tp = {0};
    char *name = NULL;
    aniso_profile_run *run = calloc(1, sizeof *run);
    const char *dir = o->out_dir ? o->out_dir : ".";
    *out = NULL;
    if (!run) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    if (o->progress) o->progress(o->progress_user, "load", 0, 1);
    if ((st = o->prompts_file ? aniso_prompts_load(o->prompts_file, &prompts, err)
                              : aniso_prompts_default(&prompts, err)))
        goto fail;
    if (!(m = aniso_model_open(o->model, &o->open, err))) goto fail_code;
    if (!(tk = aniso_tokenizer_open(aniso_model_dir(m), NULL, err))) goto fail_code;
    if ((st = aniso_tokenizer_encode_prompts(tk, &prompts, &ids, &offsets, err))) goto fail;
    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_profile_result *r = &run->result;
    run->tokens_per_prompt = calloc(prompts.n, sizeof *run->tokens_per_prompt);
    run->layers = calloc((size_t)hp->n_layer + 1, sizeof *run->layers);
    run->model = str_dup(o->name ? o->name : o->model);
    run->architecture = str_dup(aniso_arch_model_type(hp->arch));
    run->dtype = dtype_summary(m);
    name = aniso_report_short_name(o->name ? o->name : o->model);
    if (!run->tokens_per_prompt || !run->layers || !run->model || !run->architecture ||
        !run->dtype || !name) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    size_t rows = 0;
    for (size_t p = 0; p < prompts.n; p++) {
        size_t len = offsets[p + 1] - offsets[p];
        run->tokens_per_prompt[p] = o->skip_first_token ? len - 1 : len;
        rows += run->tokens_per_prompt[p];
    }
    if (rows < 2) {
        st = aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                             "%s: only %zu token%s to measure; the metrics need at least 2 (the "
                             "covariance divides by n - 1)",
                             o->prompts_file ? o->prompts_file : "prompts", rows,
                             rows == 1 ? "" : "s");
        goto fail;
    }
    if ((st = ensure_dir(dir, err))) goto fail;
    r->model = run->model;
    r->architecture = run->architecture;
    r->normalization = aniso_norm_name(aniso_arch_norm(hp->arch));
    r->dtype = run->dtype;
    r->n_layers = hp->n_layer;
    r->hidden_dim = hp->d_model;
    r->n_prompts = prompts.n;
    r->n_tokens = rows;
    r->tokens_per_prompt = run->tokens_per_prompt;
    r->skip_first_token = o->skip_first_token;
    r->layers = run->layers;
    if (o->reference)
        r->reference = *o->reference;
    else
        aniso_reference_default(&r->reference);
    r->t_load = now() - t_start;

    tp = (tapper){run->layers, offsets, prompts.n, o->skip_first_token, NULL, 0, o, hp->n_layer};
    if (o->skip_first_token && !(tp.rows = malloc(rows * (size_t)hp->d_model * sizeof(float)))) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    aniso_batch b = {ids.v, offsets, prompts.n};
    aniso_forward_opts fo = {.n_threads = o->n_threads, .tap = on_layer, .tap_user = &tp};
    double t_fwd = now();
    if ((st = aniso_forward(m, &b, &fo, err))) goto fail;
    r->t_metrics = tp.t_metrics;
    r->t_forward = now() - t_fwd - tp.t_metrics;

    double *idr = malloc(sizeof(double) * ((size_t)hp->n_layer + 1));
    if (!idr) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    for (int l = 0; l <= hp->n_layer; l++) idr[l] = run->layers[l].intrinsic_dim_ratio;
    aniso_profile_analyze(idr, hp->n_layer + 1, &r->reference, &r->analysis);
    free(idr);

    /* The files, all or none. */
    if (o->progress) o->progress(o->progress_user, "write", 0, 1);
    char stamp[32];
    time_t tt = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", localtime(&tt));
    const char *fmts[5] = {"anisotropy_results_%s.json", "anisotropy_profile_%s.png",
                           "eigenvalue_spectrum_%s.png", "norm_analysis_%s.png",
                           "anisotropy_results_%s_%s.zip"};
    for (int i = 0; i < 5; i++)
        if (!(run->files[i] = out_path(dir, fmts[i], name, stamp))) {
            st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
            goto fail;
        }
    r->t_total = now() - t_start; /* the report's own writing is not counted */
    int written = 0;
    if ((st = aniso_report_write_json(run->files[0], r, err))) goto unwind;
    written = 1;
    if ((st = figure_profile(run->files[1], name, r, err))) goto unwind;
    written = 2;
    if ((st = figure_spectrum(run->files[2], name, r, err))) goto unwind;
    written = 3;
    if ((st = figure_norms(run->files[3], name, r, err))) goto unwind;
    written = 4;
    /* The bundle holds the four files as the notebook's does: JSON last. */
    const char *members[4] = {run->files[1], run->files[2], run->files[3], run->files[0]};
    if ((st = zip_bundle(run->files[4], members, 4, err))) goto unwind;
    goto done;
unwind:
    for (int i = 0; i < written; i++) remove(run->files[i]);
    goto fail;
fail_code:
    st = err ? err->code : ANISO_INVALID_ARGUMENT;
    if (!st) st = ANISO_INVALID_ARGUMENT;
fail:
    aniso_profile_run_free(run);
    run = NULL;
done:
    free(tp.rows);
    free(name);
    free(offsets);
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    aniso_prompts_free(&prompts);
    *out = run;
    return st;
}

aniso_status aniso_compare(aniso_result_file *const *rs, int n, const char *out_dir,
                           char **json_path, char **png_path, aniso_error *err)
{
    const char *dir = out_dir ? out_dir : ".";
    aniso_status st = ensure_dir(dir, err);
    if (st) return st;
    *json_path = path_join(dir, "comparison.json");
    *png_path = path_join(dir, "comparison.png");
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    aj *o = aj_new_object(), *models = aj_new_array(), *rank = aj_new_array();
    int bad = !*json_path || !*png_path || !order || !o || !models || !rank;
    for (int i = 0; i < n; i++) order[i] = i;
    /* Ranked by flatness: the smallest profile range first (stable). */
    for (int i = 1; i < n && !bad; i++)
        for (int j = i; j > 0 && rs[order[j]]->analysis.profile_range <
                                     rs[order[j - 1]]->analysis.profile_range;
             j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n && !bad; i++) {
        const aniso_result_file *r = rs[i];
        const aniso_profile_analysis *a = &r->analysis;
        aj *m = aj_new_object();
        bad = !m || aj_set(m, "model", aj_new_string(r->model, strlen(r->model))) ||
              aj_set(m, "file", aj_new_string(r->path, strlen(r->path))) ||
              aj_set(m, "n_layers", aj_new_int(r->n - 1)) ||
              aj_set(m, "L_star", aj_new_int(a->L_star)) ||
              aj_set(m, "relative_L_star",
                     aj_new_real(r->n > 1 ? (double)a->L_star / (r->n - 1) : 0)) ||
              aj_set(m, "profile_range", aj_new_real(a->profile_range)) ||
              aj_set(m, "max_anisotropy", aj_new_real(a->max_anisotropy)) ||
              aj_set(m, "is_bell_curve", aj_new_bool(a->is_bell_curve)) ||
              aj_set(m, "phase1_slope", aj_new_real(a->phase1.slope)) ||
              aj_set(m, "phase2_slope", aj_new_real(a->phase2.slope));
        if (bad)
            aj_free(m);
        else
            bad = aj_append(models, m);
    }
    for (int i = 0; i < n && !bad; i++)
        bad = aj_append(rank, aj_new_string(rs[order[i]]->model, strlen(rs[order[i]]->model)));
    if (!bad) {
        bad = aj_set(o, "models", models) || aj_set(o, "ranked_by_flatness", rank);
        models = rank = NULL;
    }
    char *text = bad ? NULL : aj_dump(o, 2);
    aj_free(models), aj_free(rank), aj_free(o);
    free(order);
    if (!text) return aniso_error_set(err, ANISO_NO_MEMORY, "compare: out of memory");
    st = afile_write_text(*json_path, text, err);
    free(text);
    if (!st && (st = figure_compare(*png_path, rs, n, err))) remove(*json_path);
    return st;
}
