/* cmd_tokenize.c - `aniso tokenize MODEL`: text to token ids, as Hugging
 * Face's tokenizers library encodes it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: aniso tokenize [--text T | --file F] [--json] [--no-special] [--revision REV] "
            "MODEL\n\n"
            "Encode text with MODEL's tokenizer.json and print the ids and token strings.\n"
            "MODEL is a tokenizer.json file, a model folder holding one, or a model id in\n"
            "the local Hugging Face cache.\n\n"
            "options:\n"
            "  --text T         encode T (the default input is standard input, one text per line)\n"
            "  --file F         encode each line of F (without its line break)\n"
            "  --json           print one JSON object per input: {\"text\", \"ids\", \"tokens\"}\n"
            "  --no-special     do not add special tokens (BOS...) around the text\n"
            "  --revision REV   branch, tag or commit of a cached model id (default: "
            "main)\n" CLI_MODEL_OPTIONS_HELP "  -h, --help       show this help\n\n"
            "Without --json, each input prints one line per token, \"ID<TAB>TOKEN\", and inputs\n"
            "are separated by a blank line.\n" CLI_MODEL_HELP);
}

/* Reads all of f into a malloc'd buffer. */
/* The most text tokenize reads from a file or standard input. */
#define TOKENIZE_MAX_INPUT ((size_t)1 << 30)

/* Reads f whole; NULL on a read error, or (*too_long set) past
 * TOKENIZE_MAX_INPUT bytes. */
static char *slurp(FILE *f, size_t *len, int *too_long)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    *too_long = 0;
    if (!buf) return NULL;
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n > TOKENIZE_MAX_INPUT) {
            *too_long = 1;
            free(buf);
            return NULL;
        }
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return NULL;
            }
            buf = p;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static void print_token(FILE *out, const char *t)
{
    for (const char *p = t; *p; p++) {
        if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p == '\r')
            fputs("\\r", out);
        else if (*p == '\\')
            fputs("\\\\", out);
        else
            fputc(*p, out);
    }
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"text", required_argument, NULL, 't'},     {"file", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},           {"no-special", no_argument, NULL, 'n'},
        {"revision", required_argument, NULL, 'r'}, CLI_MODEL_OPTIONS,
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    const char *text = NULL, *file = NULL, *revision = NULL;
    aniso_config_opts mcfg = {0};
    int json = 0, special = 1, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            text = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'n':
            special = 0;
            break;
        case 'r':
            revision = optarg;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default: {
            int mo = cli_model_option("tokenize", c, optarg, &mcfg);
            if (mo >= 0) {
                if (mo) return mo;
                break;
            }
            return cli_usage_error("tokenize", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("tokenize", optind >= argc ? "missing MODEL" : "too many arguments");
    if (text && file) return cli_usage_error("tokenize", "--text and --file exclude each other");

    /* The inputs: --text as one, else the lines of the file or stdin. */
    char *buf = NULL;
    size_t len = 0;
    const char *src = text ? "--text" : file ? file : "<stdin>";
    if (text) {
        len = strlen(text);
    } else {
        aniso_error ferr;
        FILE *f = file ? fopen_regular(file, &ferr) : stdin;
        if (!f) return cli_fail(&ferr);
        int too_long;
        buf = slurp(f, &len, &too_long);
        if (file) fclose(f);
        if (!buf) {
            if (too_long)
                fprintf(stderr, "aniso: %s: more than %zu MiB of text (tokenize's limit)\n", src,
                        TOKENIZE_MAX_INPUT >> 20);
            else
                fprintf(stderr, "aniso: %s: cannot read: %s\n", src, strerror(errno));
            return EXIT_ERROR;
        }
    }
    const char *all = text ? text : buf;

    char *cache = cli_hf_cache_dir();
    aniso_open_opts o = {.cache_dir = cache, .revision = revision, .config = mcfg};
    aniso_error err;
    char *mpath = cli_tokenizer_path(argv[optind], &err);
    if (mpath) mpath = cli_hub_model(mpath, revision, 0, &err);
    aniso_tokenizer *tk = mpath ? aniso_tokenizer_open(mpath, &o, &err) : NULL;
    free(mpath);
    free(cache);
    if (!tk) {
        free(buf);
        return cli_fail(&err);
    }

    /* Output is built in memory and written only when every input encoded. */
    char *outbuf = NULL;
    size_t outlen = 0;
    FILE *out = open_memstream(&outbuf, &outlen);
    int rc = out ? EXIT_OK : EXIT_ERROR;
    aniso_ids ids = {0};
    size_t pos = 0, line = 0;
    while (rc == EXIT_OK && (pos < len || (text && line == 0))) {
        size_t end = len;
        if (!text) {
            const char *nl = memchr(all + pos, '\n', len - pos);
            end = nl ? (size_t)(nl - all) : len;
        }
        line++;
        ids.n = 0;
        if (aniso_tokenizer_encode(tk, all + pos, end - pos, special, &ids, &err)) {
            if (text)
                fprintf(stderr, "aniso: --text: %s\n", err.msg);
            else
                fprintf(stderr, "aniso: %s: line %zu: %s\n", src, line, err.msg);
            rc = EXIT_ERROR;
            break;
        }
        if (json) {
            char *j = aniso_tokenizer_encoding_json(tk, all + pos, end - pos, ids.v, ids.n);
            if (!j)
                rc = EXIT_ERROR;
            else
                fprintf(out, "%s\n", j);
            free(j);
        } else {
            if (line > 1) fputc('\n', out);
            for (size_t i = 0; i < ids.n; i++) {
                const char *t = aniso_tokenizer_token(tk, ids.v[i]);
                fprintf(out, "%d\t", ids.v[i]);
                print_token(out, t ? t : "");
                fputc('\n', out);
            }
        }
        pos = end + 1;
    }
    if (out) fclose(out);
    if (rc == EXIT_OK) fwrite(outbuf, 1, outlen, stdout);
    free(outbuf);
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
    free(buf);
    return rc;
}
