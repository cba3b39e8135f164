/* cli.h - shared pieces of the aniso command-line tool. The CLI owns what
 * the library must not do: reading the environment, printing, exit codes. */
#ifndef ANISO_CLI_H
#define ANISO_CLI_H

#include "aniso/aniso.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* A whole number: digits only (no sign, blanks or exponent), no overflow;
 * 0, or -1. */
int cli_whole_number(const char *arg, uint64_t *out);
/* Strict numbers for options: digits only (no sign, blanks, fractions or
 * exponents), within [min, max]; 0, or EXIT_USAGE after a message naming
 * the option, the range and what was given. */
int cli_parse_uint(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
                   uint64_t *out);
int cli_parse_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out);
/* A byte count: digits with an optional K, M, G or T (powers of 1024). */
int cli_parse_size(const char *cmd, const char *opt, const char *arg, uint64_t *out);
/* The most threads an option may ask for. */
#define CLI_MAX_THREADS 4096

/* Blocks SIGINT, SIGTERM and SIGHUP in every thread and starts the thread
 * that takes them: it removes the run's temporary files and exits 128 +
 * the signal (signals.c). Called first thing in main. */
void cli_signals_start(void);

/* Prints "aniso: MESSAGE" on stderr; returns EXIT_ERROR. */
int cli_fail(const aniso_error *err);
/* Prints "aniso CMD: MESSAGE" and a hint to --help on stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The Hugging Face hub cache folder, chosen as huggingface_hub does:
 * $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
 * else ~/.cache/huggingface/hub. Returns a malloc'd path or NULL. */
char *cli_hf_cache_dir(void);

/* MODEL as the user wrote it, or the cached default model's path for its
 * short name ("gemma-3-270m"); malloc'd. Missing default: an error (NULL). */
char *cli_model_path(const char *model, aniso_error *err);
/* The same for commands that also take a tokenizer.json file. */
char *cli_tokenizer_path(const char *model, aniso_error *err);

/* --download (one of CLI_MODEL_OPTIONS): set when given. */
extern int cli_download;
/* MODEL as cli_model_path or cli_tokenizer_path gave it (path, which this
 * takes over) made ready to open: for a Hub id ORG/NAME that the cache
 * lacks at revision (or holds incompletely), with --download (and
 * HF_HUB_OFFLINE unset), fetched first as 'aniso fetch' does (a progress
 * bar on a terminal unless quiet); for a cached snapshot of GGUF files,
 * the path of its GGUF file. Anything else is returned as it is. NULL with
 * err set on failure. */
char *cli_hub_model(char *path, const char *revision, int quiet, aniso_error *err);

/* Output paths, checked before any model work: --out FILE must not be a
 * folder or special file (its folder is created if missing); --out DIR
 * must be a folder if it exists. 0, or -1 with err set. */
int cli_check_out_file(const char *path, aniso_error *err);
int cli_check_out_dir(const char *dir, aniso_error *err);

/* Levenshtein distance, case-insensitive, capped at 9 (for "did you mean"). */
int cli_edit_distance(const char *a, const char *b);

/* The options every command that reads a model folder takes:
 *   --hf-version 4|5        the transformers rules config.json is read by
 *   --ignore-config-key K   accept config key K unread (repeatable)
 *   --download              fetch a Hub id the cache lacks (cli_hub_model)
 * CLI_MODEL_OPTIONS goes into a getopt_long table; cli_model_option
 * handles their codes (0: handled, EXIT_USAGE: bad value, -1: not one of
 * them). */
enum { CLI_OPT_HF_VERSION = 0x1000, CLI_OPT_IGNORE_KEY, CLI_OPT_DOWNLOAD };
#define CLI_MODEL_OPTIONS                                                                          \
    {"hf-version", required_argument, NULL, CLI_OPT_HF_VERSION},                                   \
        {"download", no_argument, NULL, CLI_OPT_DOWNLOAD},                                         \
    {                                                                                              \
        "ignore-config-key", required_argument, NULL, CLI_OPT_IGNORE_KEY                           \
    }
#define CLI_MODEL_OPTIONS_HELP                                                                     \
    "  --hf-version 4|5 read config.json by the rules of transformers 4.57 or 5.x\n"               \
    "                   (default: the transformers_version the file records)\n"                    \
    "  --ignore-config-key KEY\n"                                                                  \
    "                   accept a config.json key aniso does not know (repeatable)\n"               \
    "  --download       fetch MODEL (ORG/NAME) from the Hugging Face Hub first if the\n"           \
    "                   cache lacks it, as 'aniso fetch' does\n"
int cli_model_option(const char *cmd, int code, const char *arg, aniso_config_opts *co);
/* The MODEL forms, for every --help that takes one. */
#define CLI_MODEL_HELP                                                                             \
    "\nMODEL is a Hugging Face model folder (config.json with model.safetensors or its\n"          \
    "index), a GGUF file, a model id ORG/NAME in the local Hugging Face cache\n"                   \
    "($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub; --download or\n"            \
    "'aniso fetch ORG/NAME' puts it there), or gemma-3-270m, the default model\n"                  \
    "(scripts/fetch-default-model.sh). Options may come before or after MODEL; '--'\n"             \
    "ends them.\n"

/* --last-layer hf|raw|both into *out: 0, or EXIT_USAGE after the message. */
int cli_last_layer(const char *cmd, const char *arg, aniso_last_layer *out);

int cmd_inspect(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_hidden(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_fetch(int argc, char **argv);

/* MPI (built with -DANISO_MPI=ON): starts the job, and returns its ranks
 * as a collective when there are several (NULL: one process, or a build
 * without MPI); *threads_per_rank: the node's cores shared by its ranks (0:
 * no advice). cli_mpi_end finishes the job. */
const aniso_collective *cli_mpi_start(int *argc, char ***argv, int *threads_per_rank);
void cli_mpi_end(void);

#endif
