/* cmd_inspect.c - `aniso inspect MODEL`: what a model is, before running it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f, "usage: aniso inspect [--revision REV] MODEL\n\n"
               "Show the architecture, sizes, parameter count, dtypes and weight bytes of\n"
               "MODEL, after checking every weight the architecture needs.\n\n"
               "MODEL is a Hugging Face model folder (config.json with model.safetensors, or\n"
               "shards listed by model.safetensors.index.json) or a model id such as\n"
               "google/gemma-2b found in the local Hugging Face cache ($HF_HUB_CACHE, else\n"
               "$HF_HOME/hub, else ~/.cache/huggingface/hub).\n\n"
               "options:\n"
               "  --revision REV   branch, tag or commit of a cached model id (default: main)\n"
               "  -h, --help       show this help\n");
}

static const char *human_bytes(char *buf, size_t cap, unsigned long long n)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, u++;
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
    return buf;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"revision", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *revision = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            revision = optarg;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("inspect", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("inspect", optind >= argc ? "missing MODEL" : "too many arguments");

    char *cache = cli_hf_cache_dir();
    aniso_open_opts o = {.cache_dir = cache, .revision = revision};
    aniso_error err;
    aniso_model *m = aniso_model_open(argv[optind], &o, &err);
    free(cache);
    if (!m) return cli_fail(&err);

    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_model_stats s;
    aniso_model_stats_get(m, &s);
    char buf[64];
    printf("model            %s\n", aniso_model_dir(m));
    printf("architecture     %s (%s%s%s)\n", aniso_arch_model_type(hp->arch),
           aniso_arch_display_name(hp->arch), hp->architecture[0] ? ", " : "", hp->architecture);
    printf("normalization    %s\n", aniso_norm_name(aniso_arch_norm(hp->arch)));
    printf("layers           %d\n", hp->n_layer);
    printf("hidden size      %d\n", hp->d_model);
    printf("attention heads  %d\n", hp->n_head);
    printf("KV heads         %d\n", hp->n_head_kv);
    printf("head dim         %d\n", hp->d_head);
    printf("FFN size         %d\n", hp->d_ff);
    printf("vocabulary size  %d\n", hp->n_vocab);
    printf("parameters       %llu\n", (unsigned long long)s.n_params);
    printf("dtypes          ");
    for (int d = 0; d < ANISO_DTYPE_COUNT; d++)
        if (s.params_by_dtype[d])
            printf(" %s (%llu parameters)", aniso_dtype_name((aniso_dtype)d),
                   (unsigned long long)s.params_by_dtype[d]);
    printf("\n");
    printf("weight bytes     %llu (%s)\n", (unsigned long long)s.n_bytes,
           human_bytes(buf, sizeof buf, s.n_bytes));
    printf("weight tensors   %llu in %d file%s", (unsigned long long)s.n_tensors, s.n_files,
           s.n_files == 1 ? "" : "s");
    if (s.n_ignored) printf(" (%llu other tensors ignored)", (unsigned long long)s.n_ignored);
    printf("\n");
    aniso_model_free(m);
    return EXIT_OK;
}
