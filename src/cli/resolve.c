/* resolve.c - where the Hugging Face hub cache is, by huggingface_hub's
 * rules: HF_HUB_CACHE, else the legacy HUGGINGFACE_HUB_CACHE, else
 * HF_HOME/hub, with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or
 * ~/.cache/huggingface. A leading "~/" is expanded as Python's expanduser
 * does. Empty variables count as unset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* malloc'd a + b + c with a leading "~" of a expanded to $HOME. */
static char *concat3(const char *a, const char *b, const char *c)
{
    const char *home = "";
    if (a[0] == '~' && (a[1] == '/' || a[1] == '\0') && env("HOME")) {
        home = env("HOME");
        a++;
    }
    size_t n = strlen(home) + strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s%s", home, a, b, c);
    return p;
}

char *cli_hf_cache_dir(void)
{
    const char *v;
    if ((v = env("HF_HUB_CACHE")) || (v = env("HUGGINGFACE_HUB_CACHE"))) return concat3(v, "", "");
    if ((v = env("HF_HOME"))) return concat3(v, "/hub", "");
    if ((v = env("XDG_CACHE_HOME"))) return concat3(v, "/huggingface/hub", "");
    if (env("HOME")) return concat3("~", "/.cache/huggingface/hub", "");
    return NULL;
}

char *cli_model_path(const char *model, aniso_error *err)
{
    if (strcmp(model, "gemma-3-270m") != 0) return concat3(model, "", "");
    const char *dir = env("ANISO_MODELS");
    char *path = dir           ? concat3(dir, "/gemma-3-270m-q4_k_m.gguf", "")
                 : env("HOME") ? concat3("~", "/.cache/aniso/models/gemma-3-270m-q4_k_m.gguf", "")
                               : NULL;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (f) {
        fclose(f);
        return path;
    }
    aniso_error_set(err, ANISO_NOT_FOUND,
                    "gemma-3-270m: not downloaded yet (%s); run scripts/fetch-default-model.sh",
                    path ? path : "no cache folder");
    free(path);
    return NULL;
}

int cli_model_option(const char *cmd, int code, const char *arg, aniso_config_opts *co)
{
    /* Keys named with --ignore-config-key: argv strings, alive for the run. */
    static const char *keys[65];
    static int n_keys;
    if (code == CLI_OPT_HF_VERSION) {
        if (!strcmp(arg, "4") || !strcmp(arg, "4.57"))
            co->semantics = ANISO_HF_V4;
        else if (!strcmp(arg, "5"))
            co->semantics = ANISO_HF_V5;
        else
            return cli_usage_error(cmd, "--hf-version must be 4 or 5, not '%s'", arg);
        return 0;
    }
    if (code == CLI_OPT_IGNORE_KEY) {
        if (n_keys == 64) return cli_usage_error(cmd, "too many --ignore-config-key options");
        keys[n_keys++] = arg;
        keys[n_keys] = NULL;
        co->ignore_keys = keys;
        return 0;
    }
    return -1;
}

int cli_last_layer(const char *cmd, const char *arg, aniso_last_layer *out)
{
    if (aniso_last_layer_parse(arg, out))
        return cli_usage_error(cmd, "--last-layer is hf, raw or both, not '%s'", arg);
    return 0;
}
