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
               "  --force       rank results that were not measured the same way (mask,\n"
               "                positions, last layer, layers, input texts, context)\n"
               "  --quiet       print only the written files' paths\n"
               "  -h, --help    show this help\n\n"
               "Results that record how they were measured and differ are refused; two results\n"
               "of the same prompts resampled with the same --boot and --seed get paired\n"
               "differences with 95%% intervals.\n");
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

/* Paired differences of each result against the first, where their
 * bootstraps drew the same prompts. */
static void print_paired(aniso_result_file *const *rs, int n)
{
    for (int i = 1; i < n; i++) {
        char why[1024];
        const aniso_result_file *a = rs[0], *b = rs[i];
        if (!aniso_results_paired(a, b, why, sizeof why)) {
            printf("\n%s - %s: no paired intervals (%s)\n", a->model, b->model, why);
            continue;
        }
        int B = a->n_rep;
        double *dr = malloc((size_t)B * sizeof *dr), *dm = malloc((size_t)B * sizeof *dm);
        if (!dr || !dm) {
            free(dr), free(dm);
            return;
        }
        for (int k = 0; k < B; k++) {
            dr[k] = a->rep_range[k] - b->rep_range[k];
            dm[k] = a->rep_max[k] - b->rep_max[k];
        }
        aniso_interval ir, im;
        aniso_interval_compute(dr, B, a->analysis.profile_range - b->analysis.profile_range, NULL,
                               0, 0.95, &ir);
        aniso_interval_compute(dm, B, a->analysis.max_anisotropy - b->analysis.max_anisotropy, NULL,
                               0, 0.95, &im);
        printf("\n%s - %s, paired over %d resamples of the same %llu prompts (95%% intervals):\n",
               a->model, b->model, B, a->rep_units);
        printf("  profile range: %+.4f [%+.4f, %+.4f]%s\n", ir.estimate, ir.lo, ir.hi,
               ir.hi < 0   ? ": the first is flatter"
               : ir.lo > 0 ? ": the second is flatter"
                           : ": not distinguishable");
        printf("  max anisotropy: %+.4f [%+.4f, %+.4f]\n", im.estimate, im.lo, im.hi);
        free(dr), free(dm);
    }
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},     {"force", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    unsigned formats = ANISO_FIG_PNG;
    int c, quiet = 0, force = 0;
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
        case 'F':
            force = 1;
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
    char why[1024];
    int same = n > 1 ? aniso_results_comparable(rs, n, why, sizeof why) : 1;
    if (same == 0 && !force) {
        fprintf(stderr, "aniso compare: %s; not ranked (--force to rank them anyway)\n", why);
        goto out;
    }
    if (aniso_compare_write(rs, n, out, formats, files, &nf, &err)) {
        cli_fail(&err);
        goto out;
    }
    if (!quiet) {
        if (same == 0) printf("Not measured the same way (ranked anyway, --force): %s\n\n", why);
        if (same < 0) printf("Cannot tell whether these were measured the same way: %s\n\n", why);
        print_tables(rs, n);
        print_paired(rs, n);
    }
    if (!quiet) printf("\nFiles saved:\n");
    for (int i = 0; i < nf; i++) printf(quiet ? "%s\n" : "  - %s\n", files[i]);
    rc = EXIT_OK;
out:
    for (int i = 0; i < n; i++) aniso_result_free(rs[i]);
    free(rs);
    for (int i = 0; i < nf; i++) free(files[i]);
    return rc;
}
