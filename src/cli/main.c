/* main.c - the aniso command: global options and subcommand dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"inspect", cmd_inspect, "show a model's architecture, sizes and weight files"},
    {"tokenize", cmd_tokenize, "encode text to token ids as Hugging Face tokenizers does"},
    {"hidden", cmd_hidden, "write every layer's hidden states of the prompts to .npy"},
    {"profile", cmd_profile, "measure the anisotropy profile and write the report (main job)"},
    {"compare", cmd_compare, "overlay several results on relative depth, ranked by flatness"},
    {"merge", cmd_merge, "merge partial results of a corpus profile and write the report"},
    {"fetch", cmd_fetch, "download a model from the Hugging Face Hub into the local cache"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: aniso [--version] [--help] COMMAND [ARGS...]\n\n"
               "Measure how the geometry of a transformer's hidden states changes from layer\n"
               "to layer (its anisotropy profile).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'aniso COMMAND --help' for a command's options.\n");
}

int cli_fail(const aniso_error *err)
{
    fprintf(stderr, "aniso: %s\n", err->msg[0] ? err->msg : aniso_status_str(err->code));
    return EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    /* through the error record, which keeps what the user typed on one line
     * and without control characters */
    aniso_error e;
    char msg[sizeof e.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aniso_error_set(&e, ANISO_INVALID_ARGUMENT, "%s", msg);
    fprintf(stderr, "aniso%s%s: %s (see 'aniso %s%s--help')\n", cmd ? " " : "", cmd ? cmd : "",
            e.msg, cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    cli_signals_start();
    if (argc < 2) return cli_usage_error(NULL, "missing COMMAND");
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    /* ANISO_CPU forces a kernel variant (for tests and comparisons) */
    const char *cpu = getenv("ANISO_CPU");
    aniso_error err;
    if (cpu && *cpu && aniso_kernels_set(cpu, &err)) {
        fprintf(stderr, "aniso: ANISO_CPU: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (strcmp(a, "--version") == 0) {
        char avail[128], feat[256];
        printf("aniso %s\n", aniso_version());
        printf("kernels: %s (runs: %s; cpu: %s)\n", aniso_kernels_choice(),
               aniso_kernels_available(avail, sizeof avail), aniso_cpu_features(feat, sizeof feat));
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(a, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    if (a[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", a);
    const char *best = NULL;
    int bd = 3;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        int d = cli_edit_distance(a, commands[i].name);
        if (d < bd) bd = d, best = commands[i].name;
    }
    if (best) return cli_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", a, best);
    return cli_usage_error(NULL, "unknown command '%s'", a);
}
