/* cmd_inspect.c - `aniso inspect MODEL`: what a model is, before running it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: aniso inspect [--revision REV] MODEL\n\n"
            "Show the architecture, sizes, parameter count, dtypes and weight bytes of\n"
            "MODEL, after checking every weight the architecture needs.\n\n"
            "MODEL is a Hugging Face model folder (config.json with model.safetensors, or\n"
            "shards listed by model.safetensors.index.json) or a model id such as\n"
            "google/gemma-2b found in the local Hugging Face cache ($HF_HUB_CACHE, else\n"
            "$HF_HOME/hub, else ~/.cache/huggingface/hub).\n\n"
            "options:\n"
            "  --revision REV   branch, tag or commit of a cached model id (default: "
            "main)\n" CLI_MODEL_OPTIONS_HELP "  -h, --help       show this help\n" CLI_MODEL_HELP);
}

/* The GGUF file at path, when it is one (for its own summary), else NULL. */
static aniso_gguf *gguf_if_file(const char *path)
{
    aniso_error err;
    return aniso_gguf_is_file(path) ? aniso_gguf_open(path, &err) : NULL;
}

static const char *act_name(aniso_act a)
{
    return a == ANISO_ACT_SILU        ? "SiLU"
           : a == ANISO_ACT_GELU      ? "GELU (exact, erf)"
           : a == ANISO_ACT_GELU_NEW  ? "GELU (tanh approximation, gelu_new)"
           : a == ANISO_ACT_GELU_FAST ? "GELU (tanh approximation, gelu_fast)"
                                      : "GELU (tanh approximation)";
}

static const char *rope_type_name(aniso_rope_type t)
{
    static const char *const names[] = {"default", "linear",   "llama3", "yarn",
                                        "dynamic", "longrope", "factors"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static void print_rope(const char *label, const aniso_rope *r, const aniso_hparams *hp)
{
    printf("%-16s %s, theta %g", label, rope_type_name(r->type), r->theta);
    switch (r->type) {
    case ANISO_ROPE_LINEAR:
        printf(", factor %g", r->factor);
        break;
    case ANISO_ROPE_LLAMA3:
        printf(", factor %g, low/high frequency factors %g/%g, original context %g", r->factor,
               r->low_freq_factor, r->high_freq_factor, r->original_max_pos);
        break;
    case ANISO_ROPE_YARN:
        printf(", factor %g, original context %g, beta fast/slow %g/%g%s, attention factor %g",
               r->factor, r->original_max_pos, r->beta_fast, r->beta_slow,
               r->truncate ? "" : " (not truncated)", r->attention_factor);
        break;
    case ANISO_ROPE_DYNAMIC:
        printf(", factor %g, the base grows for sequences longer than %g", r->factor,
               r->original_max_pos);
        break;
    case ANISO_ROPE_LONGROPE:
        printf(", short factors up to %g tokens, long ones past it, attention factor %g",
               r->original_max_pos, r->attention_factor);
        break;
    case ANISO_ROPE_FACTORS:
        printf(", per-frequency factors from the file (rope_freqs)");
        break;
    default:
        break;
    }
    printf("; %d of %d dims per head\n", hp->n_rot, hp->d_head);
}

/* What the forward pass will compute, as read from the config. */
static void print_semantics(const aniso_hparams *hp)
{
    if (hp->hf_semantics)
        printf("config read as   transformers %s rules (file written by %s)\n",
               hp->hf_semantics == ANISO_HF_V5 ? "5.x" : "4.57",
               hp->transformers_version[0] ? hp->transformers_version : "an unknown version");
    printf("activation       %s\n", act_name(hp->act));
    int n_slide = 0;
    for (int i = 0; i < hp->n_layer; i++) n_slide += hp->sliding[i];
    int two = n_slide && memcmp(&hp->rope, &hp->rope_local, sizeof hp->rope) != 0;
    if (!hp->n_rot)
        printf("positions        learned absolute embeddings (%d)\n", hp->n_pos);
    else
        print_rope(two ? "rotary (global)" : "rotary", &hp->rope, hp);
    if (n_slide) {
        if (two && hp->n_rot) print_rope("rotary (sliding)", &hp->rope_local, hp);
        printf("sliding window   %d tokens on %d of %d layers:", hp->sliding_window, n_slide,
               hp->n_layer);
        for (int i = 0; i < hp->n_layer; i++)
            if (hp->sliding[i]) printf(" %d", i);
        printf("\n");
    }
    printf("attention scale  %.9g%s\n", hp->attn_scale,
           hp->attn_scale_by_layer ? ", divided by layer + 1 (scale_attn_by_inverse_layer_idx)"
                                   : "");
    if (hp->softcap > 0) printf("logit softcap    %g\n", hp->softcap);
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
        CLI_MODEL_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *revision = NULL;
    aniso_config_opts mcfg = {0};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            revision = optarg;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default: {
            int mo = cli_model_option("inspect", c, optarg, &mcfg);
            if (mo >= 0) {
                if (mo) return mo;
                break;
            }
            return cli_usage_error("inspect", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("inspect", optind >= argc ? "missing MODEL" : "too many arguments");

    char *cache = cli_hf_cache_dir();
    aniso_open_opts o = {.cache_dir = cache, .revision = revision, .config = mcfg};
    aniso_error err;
    char *path = cli_model_path(argv[optind], &err);
    if (path) path = cli_hub_model(path, revision, 0, &err);
    aniso_model *m = path ? aniso_model_open(path, &o, &err) : NULL;
    free(cache);
    if (!m) {
        free(path);
        return cli_fail(&err);
    }

    const aniso_hparams *hp = aniso_model_hparams(m);
    aniso_model_stats s;
    aniso_model_stats_get(m, &s);
    char buf[64];
    printf("model            %s\n", aniso_model_dir(m));
    printf("architecture     %s (%s%s%s)\n", aniso_arch_model_type(hp->arch),
           aniso_arch_display_name(hp->arch), hp->architecture[0] ? ", " : "", hp->architecture);
    const char *place = aniso_arch_norm_placement(hp->arch);
    printf("normalization    %s, %s\n", aniso_norm_name(aniso_arch_norm(hp->arch)),
           !strcmp(place, "pre+post") ? "before and after each sublayer"
           : !strcmp(place, "post")   ? "after each sublayer, inside the residual"
           : hp->parallel_residual    ? "before each sublayer, parallel residual"
                                      : "before each sublayer");
    printf("layers           %d\n", hp->n_layer);
    printf("hidden size      %d\n", hp->d_model);
    printf("attention heads  %d\n", hp->n_head);
    printf("KV heads         %d\n", hp->n_head_kv);
    printf("head dim         %d\n", hp->d_head);
    printf("FFN size         %d\n", hp->d_ff);
    printf("vocabulary size  %d\n", hp->n_vocab);
    print_semantics(hp);
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
    aniso_gguf *g = gguf_if_file(path);
    if (g) {
        /* The GGUF file's own summary: metadata and tensor types. */
        char buf2[256];
        aniso_error e2;
        printf("GGUF version     %u (%zu metadata keys, %zu tensors)\n", aniso_gguf_version(g),
               aniso_gguf_kv_count(g), aniso_gguf_tensor_count(g));
        const char *keys[] = {"general.name", "general.architecture", "general.size_label",
                              "tokenizer.ggml.model", "tokenizer.ggml.pre"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (aniso_gguf_get_str(g, keys[i], 1, buf2, sizeof buf2, &e2) == 0 &&
                aniso_gguf_find(g, keys[i]))
                printf("%-16s %s\n", keys[i], buf2);
        long long ft;
        if (aniso_gguf_find(g, "general.file_type") &&
            aniso_gguf_get_int(g, "general.file_type", 1, 0, 1 << 20, &ft, &e2) == 0)
            printf("%-16s %lld\n", "general.file_type", ft);
        size_t count[ANISO_DTYPE_COUNT] = {0};
        for (size_t i = 0; i < aniso_gguf_tensor_count(g); i++)
            count[aniso_gguf_tensor_at(g, i)->dtype]++;
        printf("tensor types    ");
        for (int d = 0; d < ANISO_DTYPE_COUNT; d++)
            if (count[d]) printf(" %s x%zu", aniso_dtype_name((aniso_dtype)d), count[d]);
        printf("\n");
        aniso_gguf_free(g);
    }
    free(path);
    aniso_model_free(m);
    return EXIT_OK;
}
