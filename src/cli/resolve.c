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
