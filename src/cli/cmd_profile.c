/* cmd_profile.c - `aniso profile MODEL`: the notebook's analysis, end to end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f, "usage: aniso profile [--prompts FILE] [--out DIR] [--reference RESULT.json]\n"
               "                     [--skip-first-token] [--threads N] [--revision REV] [--quiet] "
               "MODEL\n\n"
               "Measure MODEL's anisotropy profile: run the prompts, compute every layer's\n"
               "metrics (eigenvalue spectrum, intrinsic dimension ratio, effective rank, cosine\n"
               "similarity to the mean, norms), find L*, test the bell curve and the flatness\n"
               "against a reference, and write into DIR:\n"
               "  anisotropy_results_NAME.json   anisotropy_profile_NAME.png\n"
               "  eigenvalue_spectrum_NAME.png   norm_analysis_NAME.png\n"
               "  anisotropy_results_NAME_YYYYMMDD_HHMMSS.zip (the four files)\n\n"
               "options:\n"
               "  --prompts FILE       one prompt per line, or JSONL with \"text\" (default: the\n"
               "                       notebook's 16 prompts)\n"
               "  --out DIR            output folder, created if missing (default: .)\n"
               "  --reference FILE     an earlier result JSON to test flatness against (default:\n"
               "                       the notebook's Pythia-6.9B numbers)\n"
               "  --skip-first-token   leave each prompt's first token (usually BOS) out of X\n"
               "  --threads N          threads (default: all cores)\n"
               "  --revision REV       branch, tag or commit of a cached model id (default: main)\n"
               "  --quiet              print only the written files' paths\n" CLI_MODEL_OPTIONS_HELP
               "  -h, --help           show this help\n");
}

static void progress(void *user, const char *stage, int done, int total)
{
    (void)user;
    if (!strcmp(stage, "load"))
        fprintf(stderr, "aniso: loading the model and the prompts\n");
    else if (!strcmp(stage, "forward"))
        fprintf(stderr, "\raniso: layer %d/%d%s", done, total, done == total ? "\n" : "");
    else if (!strcmp(stage, "write"))
        fprintf(stderr, "aniso: writing the report\n");
}

static const char *dir_of(const aniso_profile_result *r, double s)
{
    (void)r;
    return s > 0 ? "rising" : s < 0 ? "falling" : "flat";
}

int cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {
        {"prompts", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"reference", required_argument, NULL, 'R'},
        {"skip-first-token", no_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"revision", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        CLI_MODEL_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    aniso_profile_opts o = {0};
    const char *ref_file = NULL;
    int quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.prompts_file = optarg;
            break;
        case 'o':
            o.out_dir = optarg;
            break;
        case 'R':
            ref_file = optarg;
            break;
        case 's':
            o.skip_first_token = 1;
            break;
        case 't':
            o.n_threads = atoi(optarg);
            if (o.n_threads < 1)
                return cli_usage_error("profile", "--threads needs a positive number");
            break;
        case 'r':
            o.open.revision = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default: {
            int mo = cli_model_option("profile", c, optarg, &o.open.config);
            if (mo >= 0) {
                if (mo) return mo;
                break;
            }
            return cli_usage_error("profile", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("profile", optind >= argc ? "missing MODEL" : "too many arguments");
    aniso_error err;
    char *mpath = cli_model_path(argv[optind], &err);
    if (!mpath) return cli_fail(&err);
    o.model = mpath;
    o.name = argv[optind];
    aniso_reference ref;
    if (ref_file) {
        aniso_result_file *rf = aniso_result_load(ref_file, &err);
        if (!rf) {
            free(mpath);
            return cli_fail(&err);
        }
        aniso_result_reference(rf, &ref);
        aniso_result_free(rf);
        o.reference = &ref;
    }
    char *cache = cli_hf_cache_dir();
    o.open.cache_dir = cache;
    if (!quiet && isatty(STDERR_FILENO)) o.progress = progress;
    aniso_profile_run *run = NULL;
    aniso_status st = aniso_profile(&o, &run, &err);
    free(cache);
    if (st) {
        free(mpath);
        return cli_fail(&err);
    }
    const aniso_profile_result *r = &run->result;
    const aniso_profile_analysis *a = &r->analysis;
    if (!quiet) {
        const char *bar = "============================================================";
        printf("%s\nSUMMARY\n%s\n", bar, bar);
        printf("Model: %s (%s, %s, %s)\n", r->model, r->architecture, r->normalization, r->dtype);
        printf("Layers: %d   Hidden dim: %d   Prompts: %zu   Tokens measured: %zu%s\n", r->n_layers,
               r->hidden_dim, r->n_prompts, r->n_tokens,
               r->skip_first_token ? " (first token of each prompt left out)" : "");
        printf("\nL* (anisotropy max): Layer %d\n", a->L_star);
        printf("Bell curve: %s\n", a->is_bell_curve ? "confirmed" : "not confirmed");
        printf("  Phase 1 (layers 0-%d): slope %+.6f (%s), r %.4f, p %.3g\n", a->L_star,
               a->phase1.slope, dir_of(r, a->phase1.slope), a->phase1.r, a->phase1.p);
        printf("  Phase 2 (layers %d-%d): slope %+.6f (%s), r %.4f, p %.3g\n", a->L_star,
               r->n_layers, a->phase2.slope, dir_of(r, a->phase2.slope), a->phase2.r, a->phase2.p);
        printf("Profile range: %.4f   Max anisotropy: %.4f   Profile variance: %.6f\n",
               a->profile_range, a->max_anisotropy, a->profile_variance);
        printf("\nFlatter than %s: %s", r->reference.name, a->is_flatter ? "YES" : "NO");
        printf(a->is_flatter ? " (%.1f%% flatter; range %.4f vs %.4f)\n"
                             : " (%.1f%%; range %.4f vs %.4f)\n",
               a->is_flatter ? a->flatness_percent : a->flatness_percent, a->profile_range,
               r->reference.profile_range);
        printf("\nTime: load %.2f s, forward %.2f s, metrics %.3f s, total %.2f s\n", r->t_load,
               r->t_forward, r->t_metrics, r->t_total);
        printf("\nFiles saved:\n");
    }
    for (int i = 0; i < 5; i++) printf(quiet ? "%s\n" : "  - %s\n", run->files[i]);
    aniso_profile_run_free(run);
    free(mpath);
    return EXIT_OK;
}
