/* cmd_fetch.c - `aniso fetch ORG/NAME`: a model from the Hugging Face Hub
 * into the local hub cache (and --download on the commands that take a
 * model). The environment is read here, by huggingface_hub's rules:
 * HF_ENDPOINT; HF_TOKEN (or the legacy HUGGING_FACE_HUB_TOKEN), else the
 * token file (HF_TOKEN_PATH, else $HF_HOME/token, HF_HOME defaulting to
 * $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface); HF_HUB_OFFLINE (or
 * TRANSFORMERS_OFFLINE) set to 1, ON, YES or TRUE forbids any download. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aniso/hub.h"
#include "base/base.h"
#include "cli/cli.h"

int cli_download;

static void help(FILE *f)
{
    fprintf(f, "usage: aniso fetch [--revision REV] [--file NAME.gguf] [--quiet] ORG/NAME\n\n"
               "Download model ORG/NAME from the Hugging Face Hub into the local Hugging Face\n"
               "cache, laid out as huggingface_hub lays it out (blobs, snapshots/COMMIT links,\n"
               "refs/REV), so that transformers and aniso share one copy. Only the files aniso\n"
               "reads are fetched: config.json, the tokenizer files and model.safetensors (or\n"
               "its index and shards); or, for a repository of GGUF files, one GGUF file.\n"
               "Files already in the cache are not fetched again, and an interrupted transfer\n"
               "resumes where it stopped. Prints the folder (or GGUF file) to open.\n\n"
               "options:\n"
               "  --revision REV   branch, tag or commit to fetch (default: main)\n"
               "  --file NAME      the GGUF file to fetch, for a repository with several\n"
               "  --quiet          print only the path, and no progress bar\n"
               "  -h, --help       show this help\n\n"
               "The cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub;\n"
               "the Hub is $HF_ENDPOINT (default https://huggingface.co); the access token, for\n"
               "gated or private models, is $HF_TOKEN, else the file 'hf auth login' writes\n"
               "($HF_HOME/token); HF_HUB_OFFLINE=1 forbids downloads.\n");
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* huggingface_hub's _is_true: 1, ON, YES, TRUE in any case. */
static int env_true(const char *name)
{
    const char *v = env(name);
    return v && (!strcmp(v, "1") || !strcasecmp(v, "ON") || !strcasecmp(v, "YES") ||
                 !strcasecmp(v, "TRUE"));
}

static int offline(void)
{
    return env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE");
}

/* malloc'd a + b with a leading "~/" of a expanded to $HOME. */
static char *expand(const char *a, const char *b)
{
    const char *home = "";
    if (a[0] == '~' && (a[1] == '/' || !a[1]) && env("HOME")) home = env("HOME"), a++;
    size_t n = strlen(home) + strlen(a) + strlen(b) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s", home, a, b);
    return p;
}

/* The token with \r and \n removed and surrounding blanks stripped, as
 * huggingface_hub's _clean_token; NULL when empty. malloc'd. */
static char *clean_token(const char *s)
{
    char *t = malloc(strlen(s) + 1), *o = t;
    if (!t) return NULL;
    for (; *s; s++)
        if (*s != '\r' && *s != '\n') *o++ = *s;
    *o = 0;
    char *b = t;
    while (isspace((unsigned char)*b)) b++;
    size_t n = strlen(b);
    while (n && isspace((unsigned char)b[n - 1])) b[--n] = 0;
    memmove(t, b, n + 1);
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

static char *hub_token(void)
{
    const char *v = env("HF_TOKEN");
    if (!v) v = env("HUGGING_FACE_HUB_TOKEN");
    if (v) return clean_token(v);
    char *path = env("HF_TOKEN_PATH")    ? expand(env("HF_TOKEN_PATH"), "")
                 : env("HF_HOME")        ? expand(env("HF_HOME"), "/token")
                 : env("XDG_CACHE_HOME") ? expand(env("XDG_CACHE_HOME"), "/huggingface/token")
                                         : expand("~", "/.cache/huggingface/token");
    FILE *f = path ? fopen_regular(path, NULL) : NULL;
    free(path);
    if (!f) return NULL;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return clean_token(buf);
}

/* ---- the progress bar (stderr, a terminal only) ---- */

static void human(char *buf, size_t cap, double v)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, u++;
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void progress(const aniso_hub_progress *p, void *user)
{
    double *last = user;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double now = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
    if (!p->finished && now - *last < 0.1) return;
    *last = now;
    double frac = p->total ? (double)p->done / (double)p->total : 1;
    double rate = p->seconds > 0 ? (double)(p->done - p->resumed) / p->seconds : 0;
    char done[32], total[32], speed[32], bar[21];
    human(done, sizeof done, (double)p->done);
    human(total, sizeof total, (double)p->total);
    human(speed, sizeof speed, rate);
    frac = frac > 0 ? frac < 1 ? frac : 1 : 0; /* NaN too */
    int fill = (int)(frac * 20);
    for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
    bar[20] = 0;
    const char *name = p->file;
    size_t n = strlen(name);
    fprintf(stderr, "\r\033[K[%d/%d] %s%-28s [%s] %3d%%  %s / %s  %s/s", p->index + 1, p->count,
            n > 28 ? "..." : "", n > 28 ? name + n - 25 : name, bar, (int)(frac * 100), done, total,
            speed);
    if (p->finished) fprintf(stderr, "\n");
    fflush(stderr);
}

/* Fetches id at revision (file: the GGUF file, or NULL); NULL with err set. */
static aniso_hub_snapshot *fetch(const char *id, const char *revision, const char *file, int quiet,
                                 aniso_error *err)
{
    char *cache = cli_hf_cache_dir(), *token = hub_token();
    double last = 0;
    aniso_hub_opts o = {.cache_dir = cache,
                        .endpoint = env("HF_ENDPOINT"),
                        .token = token,
                        .revision = revision,
                        .file = file,
                        .progress = !quiet && isatty(STDERR_FILENO) ? progress : NULL,
                        .progress_user = &last};
    aniso_hub_snapshot *s = NULL;
    if (!cache)
        aniso_error_set(err, ANISO_NOT_FOUND,
                        "%s: no Hugging Face cache folder (set HF_HUB_CACHE or HOME)", id);
    else
        s = aniso_hub_fetch(id, &o, err);
    free(cache);
    free(token);
    return s;
}

char *cli_hub_model(char *path, const char *revision, int quiet, aniso_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 || !strchr(path, '/')) return path; /* a file or folder */
    char *cache = cli_hf_cache_dir(), *snap = NULL, *gguf = NULL;
    aniso_error e;
    int cached = cache && aniso_hf_resolve(path, cache, revision, &snap, &e) == ANISO_OK;
    free(cache);
    if (cli_download && !offline() && !(cached && aniso_hub_snapshot_complete(snap))) {
        free(snap);
        snap = NULL;
        aniso_hub_snapshot *s = fetch(path, revision, NULL, quiet, err);
        if (!s) {
            free(path);
            return NULL;
        }
        snap = s->dir;
        s->dir = NULL;
        aniso_hub_snapshot_free(s);
        cached = 1;
    }
    /* a snapshot of GGUF files: the one to open */
    if (cached && aniso_hub_snapshot_gguf(snap, &gguf, err) != ANISO_OK) {
        free(snap);
        free(path);
        return NULL;
    }
    free(snap);
    if (gguf) {
        free(path);
        return gguf;
    }
    return path; /* the library resolves it (or says why not) */
}

/* ORG/NAME as the Hub spells ids. */
static int is_id(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/')) return 0;
    for (const char *p = s; *p; p++)
        if (p != slash && !isalnum((unsigned char)*p) && !strchr("._-", *p)) return 0;
    return s[0] != '.' && slash[1] != '.';
}

int cmd_fetch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"revision", required_argument, NULL, 'r'},
        {"file", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *revision = NULL, *file = NULL;
    int quiet = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            revision = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("fetch", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("fetch", optind >= argc ? "missing ORG/NAME" : "too many arguments");
    const char *id = argv[optind];
    if (!is_id(id)) return cli_usage_error("fetch", "'%s' is not a Hub model id ORG/NAME", id);
    if (file && (strlen(file) < 6 || strcasecmp(file + strlen(file) - 5, ".gguf")))
        return cli_usage_error("fetch", "--file names a .gguf file, not '%s'", file);
    aniso_error err;
    if (offline()) {
        aniso_error_set(&err, ANISO_INVALID_ARGUMENT,
                        "%s: not fetched: HF_HUB_OFFLINE is set (unset it to download)", id);
        return cli_fail(&err);
    }
    aniso_hub_snapshot *s = fetch(id, revision, file, quiet, &err);
    if (!s) return cli_fail(&err);
    if (quiet) {
        printf("%s\n", s->model);
    } else {
        char b[32];
        human(b, sizeof b, (double)s->bytes);
        printf("%s at %s (%s): %zu files, %zu downloaded (%s)\n  %s\n", id,
               revision ? revision : "main", s->commit, s->n_files, s->n_downloaded, b, s->model);
    }
    aniso_hub_snapshot_free(s);
    return EXIT_OK;
}
