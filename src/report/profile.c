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

aniso_status aniso_report_write_all(char *const files[5], const char *name,
                                    const aniso_profile_result *r, aniso_error *err)
{
    aniso_status st;
    int written = 0;
    if ((st = aniso_report_write_json(files[0], r, err))) goto unwind;
    written = 1;
    if ((st = figure_profile(files[1], name, r, err))) goto unwind;
    written = 2;
    if ((st = figure_spectrum(files[2], name, r, err))) goto unwind;
    written = 3;
    if ((st = figure_norms(files[3], name, r, err))) goto unwind;
    written = 4;
    /* The bundle holds the four files as the notebook's does: JSON last. */
    const char *members[4] = {files[1], files[2], files[3], files[0]};
    if ((st = zip_bundle(files[4], members, 4, err))) goto unwind;
    return ANISO_OK;
unwind:
    for (int i = 0; i < written; i++) remove(files[i]);
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
    if (!text) return aniso_error_set(err, ANISO_NO_MEMORY, "compare: out of memory");
    st = afile_write_text(*json_path, text, err);
    free(text);
    if (!st && (st = figure_compare(*png_path, rs, n, err))) remove(*json_path);
    return st;
}
