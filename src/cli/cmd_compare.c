/* cmd_compare.c - `aniso compare A.json B.json ...`: several profiles on
 * relative depth, their L*, ranges and bell verdicts, ranked by flatness. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f, "usage: aniso compare [--out DIR] [--format png,pdf,svg] RESULT.json RESULT.json "
               "[...]\n\n"
               "Overlay the anisotropy profiles of several results (from aniso profile, or the\n"
               "notebook's own files) on relative depth (layer / L), so that models of\n"
               "different depths line up; print each model's L*, relative L*, profile range,\n"
               "maximum and bell-curve verdict, ranked by flatness; write comparison.json and\n"
               "comparison.png (or .pdf, .svg) into DIR (default: .).\n\n"
               "options:\n"
               "  --out DIR     output folder, created if missing\n"
               "  --format LIST figure formats, any of png,pdf,svg (default: png), or none\n"
               "  --quiet       print only the written files' paths\n"
               "  -h, --help    show this help\n");
}

/* The table, the ranking and the groups by normalization kind. */
static void print_tables(aniso_result_file *const *rs, int n)
{
    int w = 32; /* the model column fits the longest name */
    for (int i = 0; i < n; i++)
        if ((int)strlen(rs[i]->model) > w) w = (int)strlen(rs[i]->model);
    printf("%-*s %7s %4s %8s %8s %8s %5s\n", w, "model", "layers", "L*", "rel L*", "range", "max",
           "bell");
    for (int i = 0; i < n; i++) {
        const aniso_profile_analysis *a = &rs[i]->analysis;
        printf("%-*s %7d %4d %8.3f %8.4f %8.4f %5s\n", w, rs[i]->model, rs[i]->n - 1, a->L_star,
               rs[i]->n > 1 ? (double)a->L_star / (rs[i]->n - 1) : 0.0, a->profile_range,
               a->max_anisotropy, a->is_bell_curve ? "yes" : "no");
    }
    printf("\nRanked by flatness (smallest profile range first):\n");
    int *used = calloc((size_t)n, sizeof *used);
    for (int k = 0; k < n && used; k++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!used[i] &&
                (best < 0 || rs[i]->analysis.profile_range < rs[best]->analysis.profile_range))
                best = i;
        used[best] = 1;
        printf("  %d. %s (range %.4f)\n", k + 1, rs[best]->model, rs[best]->analysis.profile_range);
    }
    free(used);
    /* Grouped by normalization kind (the families' LayerNorm or RMSNorm),
     * flattest first within each group. */
    printf("\nBy normalization:\n");
    for (int i = 0; i < n; i++) {
        const char *kind = rs[i]->normalization[0] ? rs[i]->normalization : "unknown";
        int first = 1;
        for (int j = 0; j < i; j++)
            if (!strcmp(rs[j]->normalization[0] ? rs[j]->normalization : "unknown", kind))
                first = 0;
        if (!first) continue;
        double sum = 0;
        int k = 0;
        for (int j = 0; j < n; j++)
            if (!strcmp(rs[j]->normalization[0] ? rs[j]->normalization : "unknown", kind))
                sum += rs[j]->analysis.profile_range, k++;
        printf("  %-10s %d model%s, mean range %.4f:", kind, k, k == 1 ? "" : "s", sum / k);
        for (int j = 0; j < n; j++)
            if (!strcmp(rs[j]->normalization[0] ? rs[j]->normalization : "unknown", kind))
                printf(" %s (%.4f)", rs[j]->model, rs[j]->analysis.profile_range);
        printf("\n");
    }
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    unsigned formats = ANISO_FIG_PNG;
    int c, quiet = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'f':
            if (aniso_figure_formats_parse(optarg, &formats))
                return cli_usage_error("compare",
                                       "--format takes png, pdf and svg, comma-separated, not '%s'",
                                       optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("compare", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    int n = argc - optind;
    if (n < 1) return cli_usage_error("compare", "missing RESULT.json files");
    aniso_result_file **rs = calloc((size_t)n, sizeof *rs);
    aniso_error err;
    int rc = EXIT_ERROR;
    char *files[4] = {0};
    int nf = 0;
    if (!rs) return EXIT_ERROR;
    if (out && cli_check_out_dir(out, &err)) {
        free(rs);
        return cli_fail(&err);
    }
    for (int i = 0; i < n; i++)
        if (!(rs[i] = aniso_result_load(argv[optind + i], &err))) {
            cli_fail(&err);
            goto out;
        }
    if (aniso_compare_write(rs, n, out, formats, files, &nf, &err)) {
        cli_fail(&err);
        goto out;
    }
    if (!quiet) print_tables(rs, n);
    if (!quiet) printf("\nFiles saved:\n");
    for (int i = 0; i < nf; i++) printf(quiet ? "%s\n" : "  - %s\n", files[i]);
    rc = EXIT_OK;
out:
    for (int i = 0; i < n; i++) aniso_result_free(rs[i]);
    free(rs);
    for (int i = 0; i < nf; i++) free(files[i]);
    return rc;
}
