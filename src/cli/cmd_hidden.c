/* cmd_hidden.c - `aniso hidden MODEL --out states.npy`: every layer's hidden
 * states of every prompt's tokens, as a float32 .npy array of shape
 * (L+1, n_tokens, hidden), plus the token records beside it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f, "usage: aniso hidden [--prompts FILE] --out STATES.npy [--last-layer hf|raw|both]\n"
               "                    [--threads N] [--revision REV] [--quiet] MODEL\n\n"
               "Run the prompts through MODEL and write hidden_states as transformers returns\n"
               "them (output_hidden_states=True): layer 0 is the embedding output, layer L the\n"
               "last block's output after the final norm. Prompts are independent sequences.\n\n"
               "Writes STATES.npy, float32 of shape (L+1, n_tokens, hidden) with the tokens of\n"
               "all prompts in order, and STATES.tokens.json (per token: prompt, position, id,\n"
               "token string).\n\n"
               "options:\n"
               "  --prompts FILE   one prompt per line, or JSONL with a \"text\" field\n"
               "                   (default: the notebook's 16 prompts)\n"
               "  --out FILE       the .npy file to write (required)\n"
               "  --last-layer W   hf: layer L after the final norm, as transformers returns it\n"
               "                   (default); raw: the last block's output before it; both:\n"
               "                   L+2 layers, the raw one last\n"
               "  --threads N      threads for the matrix products (default: all cores)\n"
               "  --max-memory SIZE\n"
               "                   refuse a run whose estimated memory is larger (bytes, or with\n"
               "                   K, M, G, T; default: the memory available)\n"
               "  --revision REV   branch, tag or commit of a cached model id (default: main)\n"
               "  --quiet          print only the written files' paths (no "
               "progress)\n" CLI_MODEL_OPTIONS_HELP
               "  -h, --help       show this help\n" CLI_MODEL_HELP);
}

typedef struct dump {
    aniso_npy_writer *w;
} dump;

static int write_layer(void *user, int layer, const float *x, size_t n_tok, int d, aniso_error *err)
{
    (void)layer;
    dump *dp = user;
    return aniso_npy_append(dp->w, x, n_tok * (size_t)d, err) != ANISO_OK;
}

static void progress(void *user, int done, int total)
{
    (void)user;
    fprintf(stderr, "\raniso: forward pass, layer %d/%d", done, total);
    if (done == total) fputc('\n', stderr);
}

int cmd_hidden(int argc, char **argv)
{
    static const struct option opts[] = {
        {"prompts", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"max-memory", required_argument, NULL, 'M'},
        {"revision", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"last-layer", required_argument, NULL, 'L'},
        CLI_MODEL_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prompts_file = NULL, *out = NULL, *revision = NULL;
    aniso_config_opts mcfg = {0};
    int threads = 0, quiet = 0, c;
    uint64_t max_memory = 0;
    aniso_last_layer last = ANISO_LAST_HF;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            prompts_file = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 't':
            if ((c = cli_parse_int("hidden", "--threads", optarg, 1, CLI_MAX_THREADS, &threads)))
                return c;
            break;
        case 'r':
            revision = optarg;
            break;
        case 'M':
            if ((c = cli_parse_size("hidden", "--max-memory", optarg, &max_memory))) return c;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'L':
            if (cli_last_layer("hidden", optarg, &last)) return EXIT_USAGE;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default: {
            int mo = cli_model_option("hidden", c, optarg, &mcfg);
            if (mo >= 0) {
                if (mo) return mo;
                break;
            }
            return cli_usage_error("hidden", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("hidden", optind >= argc ? "missing MODEL" : "too many arguments");
    if (!out) return cli_usage_error("hidden", "missing --out FILE");

    int rc = EXIT_ERROR;
    aniso_error err;
    aniso_prompts prompts = {0};
    aniso_model *m = NULL;
    aniso_tokenizer *tk = NULL;
    aniso_ids ids = {0};
    size_t *offsets = NULL;
    dump dp = {0};
    char *tokens_path = NULL, *npy_path = NULL, *model_path = NULL;
    astage stage = {.slot = -1};
    char *cache = cli_hf_cache_dir();
    aniso_open_opts o = {.cache_dir = cache, .revision = revision, .config = mcfg};

    if (cli_check_out_file(out, &err) ||
        (prompts_file ? aniso_prompts_load(prompts_file, &prompts, &err)
                      : aniso_prompts_default(&prompts, &err)) ||
        !(model_path = cli_model_path(argv[optind], &err)) ||
        !(model_path = cli_hub_model(model_path, revision, quiet, &err)) ||
        !(m = aniso_model_open(model_path, &o, &err)) ||
        !(tk = aniso_tokenizer_open(aniso_model_dir(m), &o, &err)) ||
        aniso_tokenizer_encode_prompts(tk, &prompts, &ids, &offsets, &err)) {
        cli_fail(&err);
        goto out;
    }
    const aniso_hparams *hp = aniso_model_hparams(m);
    /* STATES.npy and STATES.tokens.json are one result set: written into a
     * private folder beside them, put in place together. */
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    size_t n = strlen(base);
    char *tokens_name = malloc(n + 16);
    char *dir = slash ? malloc((size_t)(slash - out) + 2) : str_dup(".");
    if (!tokens_name || !dir) {
        free(tokens_name), free(dir);
        goto out;
    }
    if (slash) {
        size_t k = slash == out ? 1 : (size_t)(slash - out);
        memcpy(dir, out, k);
        dir[k] = 0;
    }
    memcpy(tokens_name, base, n + 1);
    if (n > 4 && strcmp(base + n - 4, ".npy") == 0) tokens_name[n - 4] = '\0';
    strcat(tokens_name, ".tokens.json");
    aniso_status st = astage_open(&stage, dir, &err);
    if (!st) st = astage_add(&stage, base, &npy_path, &err);
    if (!st) st = astage_add(&stage, tokens_name, &tokens_path, &err);
    free(tokens_name), free(dir);
    if (st) {
        cli_fail(&err);
        goto out;
    }

    int64_t shape[3] = {aniso_hidden_count(hp->n_layer, last), (int64_t)ids.n, hp->d_model};
    aniso_batch b = {ids.v, offsets, prompts.n};
    if (!(dp.w = aniso_npy_create(npy_path, shape, 3, &err))) {
        astage_fail(&stage, &err);
        cli_fail(&err);
        goto out;
    }
    int show = !quiet && isatty(STDERR_FILENO);
    if (show)
        fprintf(stderr, "aniso: %s: %d layers, %zu prompts, %zu tokens\n", argv[optind],
                hp->n_layer, prompts.n, ids.n);
    aniso_forward_opts fo = {.n_threads = threads,
                             .max_memory = max_memory,
                             .last_layer = last,
                             .tap = write_layer,
                             .tap_user = &dp,
                             .progress = show ? progress : NULL};
    if (aniso_forward(m, &b, &fo, &err) ||
        aniso_report_tokens_json(tokens_path, argv[optind], hp, tk, &prompts, &b, last, &err)) {
        astage_fail(&stage, &err);
        cli_fail(&err);
        goto out;
    }
    aniso_npy_writer *w = dp.w;
    dp.w = NULL;
    /* the paths as given: a bare file name stays bare */
    char *final[2] = {slash ? astage_final(&stage, 0) : str_dup(stage.names[0]),
                      slash ? astage_final(&stage, 1) : str_dup(stage.names[1])};
    if (!final[0] || !final[1]) {
        aniso_error_set(&err, ANISO_NO_MEMORY, "%s: out of memory", out);
        aniso_npy_discard(w);
        cli_fail(&err);
    } else if (aniso_npy_finish(w, &err) || astage_commit(&stage, &err)) {
        astage_fail(&stage, &err);
        cli_fail(&err);
    } else {
        printf("%s\n%s\n", final[0], final[1]);
        rc = EXIT_OK;
    }
    free(final[0]), free(final[1]);
out:
    aniso_npy_discard(dp.w);
    astage_abort(&stage);
    free(npy_path);
    free(tokens_path);
    free(model_path);
    free(offsets);
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    aniso_prompts_free(&prompts);
    free(cache);
    return rc;
}
