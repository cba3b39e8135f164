/* profile.c - a profile's report files, all or none, and `aniso compare`'s
 * outputs. (The profile itself is computed by pipeline/.) */
#define _XOPEN_SOURCE 700 /* realpath */
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

static const unsigned fig_formats[3] = {ANISO_FIG_PNG, ANISO_FIG_PDF, ANISO_FIG_SVG};

/* Whether a and b name the same existing file or folder (two spellings of
 * one local model path). */
static int same_local_path(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = ra ? realpath(b, NULL) : NULL;
    int same = ra && rb && !strcmp(ra, rb);
    free(ra), free(rb);
    return same;
}

/* An earlier report at path must be of the same model: two models whose
 * names shorten to the same NAME would otherwise replace each other's
 * results. A file there that is not an aniso result is not replaced. */
static aniso_status check_owner(const char *path, const char *model, aniso_error *err)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return ANISO_OK;
    char *text = NULL;
    size_t len = 0;
    aniso_status st = read_small_file(path, 256u << 20, &text, &len, err);
    if (st) return st;
    aj *o = aj_parse(text, len, path, NULL);
    free(text);
    const char *was = o ? aj_str(aj_get(o, "model")) : NULL;
    if (!was)
        st = aniso_error_set(err, ANISO_IO,
                             "%s: exists and is not an aniso result; it is left as it is (give "
                             "another --out)",
                             path);
    else if (strcmp(was, model) && !same_local_path(was, model))
        st = aniso_error_set(err, ANISO_IO,
                             "%s: holds the results of '%s', not of '%s' (both names give the "
                             "same report name; give another --out)",
                             path, was, model);
    aj_free(o);
    return st;
}

aniso_status aniso_report_check_target(const char *dir, const aniso_profile_result *r,
                                       aniso_error *err)
{
    char *name = aniso_report_short_name(r->model), tag[160], file[768];
    if (!name) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    aniso_report_name_tag(r, tag, sizeof tag);
    snprintf(file, sizeof file, "anisotropy_results_%s%s.json", name, tag);
    free(name);
    char *path = path_join(dir, file);
    if (!path) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    aniso_status st = out_target_check(path, err);
    if (!st) st = check_owner(path, r->model, err);
    free(path);
    return st;
}

/* Fills files[0 .. n) with the set's final paths; 0, or -1 out of memory
 * (then files[] are NULL). */
static int final_paths(const astage *s, char **files)
{
    int bad = 0;
    for (int i = 0; i < s->n; i++) bad |= !(files[i] = astage_final(s, i));
    if (bad)
        for (int i = 0; i < s->n; i++) free(files[i]), files[i] = NULL;
    return bad ? -1 : 0;
}

aniso_status aniso_report_write_all(const char *dir, unsigned formats,
                                    const aniso_profile_result *r, char **files, int *n_files,
                                    aniso_error *err)
{
    enum { N_FIGURES = 4 };
    static const char *const stems[N_FIGURES] = {"anisotropy_profile", "eigenvalue_spectrum",
                                                 "norm_analysis", "metric_family"};
    typedef aniso_status (*figure_fn)(const char *, unsigned, const char *,
                                      const aniso_profile_result *, aniso_error *);
    static const figure_fn draw[N_FIGURES] = {figure_profile, figure_spectrum, figure_norms,
                                              figure_family};
    int json_only = (formats & ANISO_FIG_NONE) != 0;
    if (!(formats & (ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG))) formats = ANISO_FIG_PNG;
    *n_files = 0;
    for (int i = 0; i < ANISO_REPORT_MAX_FILES; i++) files[i] = NULL;
    aniso_status st;
    char *name = aniso_report_short_name(r->model);
    if (!name) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    char tag[160], stamp[32], file[768];
    aniso_report_name_tag(r, tag, sizeof tag);
    time_t tt = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", localtime(&tt));
    /* The set, in order: json, each figure in each format, zip. */
    astage s;
    char *path[ANISO_REPORT_MAX_FILES] = {0};
    if ((st = astage_open(&s, dir, err))) {
        free(name);
        return st;
    }
    snprintf(file, sizeof file, "anisotropy_results_%s%s.json", name, tag);
    if ((st = astage_add(&s, file, &path[0], err)) ||
        (st = aniso_report_write_json(path[0], r, err)))
        goto fail;
    for (int k = 0; k < N_FIGURES && !json_only; k++)
        for (int j = 0; j < 3; j++) {
            if (!(formats & fig_formats[j])) continue;
            snprintf(file, sizeof file, "%s_%s%s.%s", stems[k], name, tag,
                     figure_format_ext(fig_formats[j]));
            int i = s.n;
            if ((st = astage_add(&s, file, &path[i], err)) ||
                (st = draw[k](path[i], fig_formats[j], name, r, err)))
                goto fail;
        }
    if (!json_only) {
        /* The bundle holds the others as the notebook's does: JSON last. */
        const char *members[ANISO_REPORT_MAX_FILES];
        int nm = s.n;
        for (int i = 1; i < nm; i++) members[i - 1] = path[i];
        members[nm - 1] = path[0];
        snprintf(file, sizeof file, "anisotropy_results_%s%s_%s.zip", name, tag, stamp);
        if ((st = astage_add(&s, file, &path[nm], err)) ||
            (st = zip_bundle(path[nm], members, nm, err)))
            goto fail;
    }
    int n = s.n;
    if (final_paths(&s, files)) {
        st = aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
        goto fail;
    }
    /* Whose report the JSON's place holds, just before the set replaces
     * anything (aniso_profile checks it before the work too). */
    if ((st = aniso_report_check_target(dir, r, err)) || (st = astage_commit(&s, err))) {
        for (int i = 0; i < n; i++) free(files[i]), files[i] = NULL;
        goto fail;
    }
    *n_files = n;
    for (int i = 0; i < ANISO_REPORT_MAX_FILES; i++) free(path[i]);
    free(name);
    return ANISO_OK;
fail:
    astage_fail(&s, err);
    for (int i = 0; i < ANISO_REPORT_MAX_FILES; i++) free(path[i]);
    free(name);
    return st;
}

aniso_status aniso_compare_write(aniso_result_file *const *rs, int n, const char *out_dir,
                                 unsigned formats, char **files, int *n_files, aniso_error *err)
{
    const char *dir = out_dir ? out_dir : ".";
    if (formats & ANISO_FIG_NONE)
        formats = 0; /* comparison.json alone */
    else if (!(formats & (ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG)))
        formats = ANISO_FIG_PNG;
    unsigned fmt_of[4];
    char *path[4] = {0};
    *n_files = 0;
    for (int i = 0; i < 4; i++) files[i] = NULL;
    astage s;
    aniso_status st = astage_open(&s, dir, err);
    if (st) return st;
    st = astage_add(&s, "comparison.json", &path[0], err);
    for (int j = 0; j < 3 && !st; j++)
        if (formats & fig_formats[j]) {
            char file[32];
            snprintf(file, sizeof file, "comparison.%s", figure_format_ext(fig_formats[j]));
            fmt_of[s.n] = fig_formats[j];
            st = astage_add(&s, file, &path[s.n], err);
        }
    if (st) {
        astage_abort(&s);
        for (int i = 0; i < 4; i++) free(path[i]);
        return st;
    }
    int nf = s.n;
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    aj *o = aj_new_object(), *models = aj_new_array(), *rank = aj_new_array();
    int bad = !order || !o || !models || !rank;
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
        bad =
            !m || aj_set(m, "model", aj_new_string(r->model, strlen(r->model))) ||
            aj_set(m, "file", aj_new_string(r->path, strlen(r->path))) ||
            aj_set(m, "normalization", aj_new_string(r->normalization, strlen(r->normalization))) ||
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
    /* The models grouped by normalization kind, each group in flatness
     * order, with its mean profile range. */
    aj *groups = aj_new_object();
    bad = bad || !groups;
    for (int i = 0; i < n && !bad; i++) {
        const char *kind = rs[order[i]]->normalization[0] ? rs[order[i]]->normalization : "unknown";
        aj *g = aj_get(groups, kind);
        if (g) continue;
        aj *names = aj_new_array();
        double sum = 0;
        int k = 0;
        g = aj_new_object();
        bad = !names || !g;
        for (int j = i; j < n && !bad; j++) {
            const aniso_result_file *r = rs[order[j]];
            if (strcmp(r->normalization[0] ? r->normalization : "unknown", kind)) continue;
            bad = aj_append(names, aj_new_string(r->model, strlen(r->model)));
            sum += r->analysis.profile_range, k++;
        }
        bad = bad || aj_set(g, "models", names) ||
              aj_set(g, "mean_profile_range", aj_new_real(sum / k)) || aj_set(groups, kind, g);
        if (bad) aj_free(names), aj_free(g);
    }
    if (!bad) {
        bad = aj_set(o, "models", models) || aj_set(o, "ranked_by_flatness", rank) ||
              aj_set(o, "by_normalization", groups);
        models = rank = groups = NULL;
    }
    aj_free(groups);
    char *text = bad ? NULL : aj_dump(o, 2);
    aj_free(models), aj_free(rank), aj_free(o);
    free(order);
    if (!text || final_paths(&s, files)) {
        free(text);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "compare: out of memory");
    } else {
        st = afile_write_text(path[0], text, err);
        free(text);
    }
    for (int i = 1; i < nf && !st; i++) st = figure_compare(path[i], fmt_of[i], rs, n, err);
    if (!st) st = astage_commit(&s, err);
    astage_fail(&s, err);
    for (int i = 0; i < 4; i++) free(path[i]);
    if (st) {
        for (int i = 0; i < nf; i++) free(files[i]), files[i] = NULL;
        return st;
    }
    *n_files = nf;
    return ANISO_OK;
}

aniso_status aniso_compare(aniso_result_file *const *rs, int n, const char *out_dir,
                           char **json_path, char **png_path, aniso_error *err)
{
    char *files[4] = {0};
    int nf = 0;
    aniso_status st = aniso_compare_write(rs, n, out_dir, ANISO_FIG_PNG, files, &nf, err);
    *json_path = files[0];
    *png_path = files[1];
    return st;
}
