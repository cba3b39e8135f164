/* profile.c - a profile's report files, all or none, and `aniso compare`'s
 * outputs. (The profile itself is computed by pipeline/.) */
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

static char *file_in(const char *dir, const char *file)
{
    return path_join(dir, file);
}

static void unwind(char **files, int n, int written)
{
    for (int i = 0; i < written; i++) remove(files[i]);
    for (int i = 0; i < n; i++) free(files[i]), files[i] = NULL;
}

aniso_status aniso_report_write_all(const char *dir, unsigned formats,
                                    const aniso_profile_result *r, char **files, int *n_files,
                                    aniso_error *err)
{
    static const char *const stems[3] = {"anisotropy_profile", "eigenvalue_spectrum",
                                         "norm_analysis"};
    typedef aniso_status (*figure_fn)(const char *, unsigned, const char *,
                                      const aniso_profile_result *, aniso_error *);
    static const figure_fn draw[3] = {figure_profile, figure_spectrum, figure_norms};
    int json_only = (formats & ANISO_FIG_NONE) != 0;
    if (!(formats & (ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG))) formats = ANISO_FIG_PNG;
    *n_files = 0;
    for (int i = 0; i < ANISO_REPORT_MAX_FILES; i++) files[i] = NULL;
    char *name = aniso_report_short_name(r->model);
    if (!name) return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    char tag[160], stamp[32], file[768];
    aniso_report_name_tag(r, tag, sizeof tag);
    time_t tt = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", localtime(&tt));
    /* The paths: json, each figure in each format, zip. */
    int n = 0, bad = 0, fig_of[ANISO_REPORT_MAX_FILES];
    unsigned fmt_of[ANISO_REPORT_MAX_FILES];
    snprintf(file, sizeof file, "anisotropy_results_%s%s.json", name, tag);
    bad |= !(files[n++] = file_in(dir, file));
    for (int k = 0; k < 3 && !json_only; k++)
        for (int j = 0; j < 3; j++) {
            if (!(formats & fig_formats[j])) continue;
            snprintf(file, sizeof file, "%s_%s%s.%s", stems[k], name, tag,
                     figure_format_ext(fig_formats[j]));
            fig_of[n] = k, fmt_of[n] = fig_formats[j];
            bad |= !(files[n++] = file_in(dir, file));
        }
    snprintf(file, sizeof file, "anisotropy_results_%s%s_%s.zip", name, tag, stamp);
    if (!json_only) bad |= !(files[n++] = file_in(dir, file));
    if (bad) {
        unwind(files, n, 0);
        free(name);
        return aniso_error_set(err, ANISO_NO_MEMORY, "profile: out of memory");
    }
    aniso_status st;
    int written = 0;
    if ((st = aniso_report_write_json(files[0], r, err))) goto fail;
    written = 1;
    if (json_only) {
        free(name);
        *n_files = 1;
        return ANISO_OK;
    }
    for (int i = 1; i < n - 1; i++) {
        if ((st = draw[fig_of[i]](files[i], fmt_of[i], name, r, err))) goto fail;
        written = i + 1;
    }
    /* The bundle holds the others as the notebook's does: JSON last. */
    const char *members[ANISO_REPORT_MAX_FILES];
    for (int i = 1; i < n - 1; i++) members[i - 1] = files[i];
    members[n - 2] = files[0];
    if ((st = zip_bundle(files[n - 1], members, n - 1, err))) goto fail;
    free(name);
    *n_files = n;
    return ANISO_OK;
fail:
    unwind(files, n, written);
    free(name);
    return st;
}

aniso_status aniso_compare_write(aniso_result_file *const *rs, int n, const char *out_dir,
                                 unsigned formats, char **files, int *n_files, aniso_error *err)
{
    const char *dir = out_dir ? out_dir : ".";
    aniso_status st = ensure_dir(dir, err);
    if (st) return st;
    if (formats & ANISO_FIG_NONE)
        formats = 0; /* comparison.json alone */
    else if (!(formats & (ANISO_FIG_PNG | ANISO_FIG_PDF | ANISO_FIG_SVG)))
        formats = ANISO_FIG_PNG;
    int nf = 0, missing = 0;
    unsigned fmt_of[4];
    *n_files = 0;
    files[nf++] = path_join(dir, "comparison.json");
    for (int j = 0; j < 3; j++)
        if (formats & fig_formats[j]) {
            char file[32];
            snprintf(file, sizeof file, "comparison.%s", figure_format_ext(fig_formats[j]));
            fmt_of[nf] = fig_formats[j];
            files[nf++] = path_join(dir, file);
        }
    for (int i = 0; i < nf; i++) missing |= !files[i];
    int *order = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    aj *o = aj_new_object(), *models = aj_new_array(), *rank = aj_new_array();
    int bad = missing || !order || !o || !models || !rank;
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
    if (!text) {
        unwind(files, nf, 0);
        return aniso_error_set(err, ANISO_NO_MEMORY, "compare: out of memory");
    }
    st = afile_write_text(files[0], text, err);
    free(text);
    int written = st ? 0 : 1;
    for (int i = 1; i < nf && !st; i++)
        if (!(st = figure_compare(files[i], fmt_of[i], rs, n, err))) written = i + 1;
    if (st) {
        unwind(files, nf, written);
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
