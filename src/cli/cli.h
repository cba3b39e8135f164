/* cli.h - shared pieces of the aniso command-line tool. The CLI owns what
 * the library must not do: reading the environment, printing, exit codes. */
#ifndef ANISO_CLI_H
#define ANISO_CLI_H

#include "aniso/aniso.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

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

int cmd_inspect(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_hidden(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#endif
