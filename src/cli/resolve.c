/* resolve.c - where the Hugging Face hub cache is, by huggingface_hub's
 * rules: HF_HUB_CACHE, else the legacy HUGGINGFACE_HUB_CACHE, else
 * HF_HOME/hub, with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or
 * ~/.cache/huggingface. A leading "~/" is expanded as Python's expanduser
 * does. Empty variables count as unset. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
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

/* Levenshtein distance of a and b, case-insensitive, capped at 9. */
int cli_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return 9;
    int row[65];
    for (size_t j = 0; j <= m; j++) row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int up = row[j],
                cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m] > 9 ? 9 : row[m];
}

/* ORG/NAME as the Hub spells ids: one slash, letters, digits, '.', '_', '-'. */
static int is_hub_id(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/')) return 0;
    for (const char *p = s; *p; p++)
        if (p != slash && !isalnum((unsigned char)*p) && !strchr("._-", *p)) return 0;
    return s[0] != '.' && slash[1] != '.';
}

/* Whether s names a path rather than a Hub id: it starts with '/', './',
 * '../' or '~', ends in .gguf, has more than one slash, or its folder part
 * exists here. */
static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == '/' || s[0] == '~' || !strncmp(s, "./", 2) || !strncmp(s, "../", 3) ||
        (n > 5 && !strcmp(s + n - 5, ".gguf")))
        return 1;
    const char *slash = strchr(s, '/');
    if (!slash) return 0;
    if (strchr(slash + 1, '/')) return 1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - s), s);
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The closest of the short names and the cached model ids to s, within an
 * edit distance of 3 (of NAME alone, for ids), into best; "" when none. */
static void suggest(const char *s, char *best, size_t cap)
{
    static const char *const shorts[] = {"gemma-3-270m"};
    int bd = 4;
    best[0] = 0;
    for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++) {
        int d = cli_edit_distance(s, shorts[i]);
        if (d < bd) bd = d, snprintf(best, cap, "%s", shorts[i]);
    }
    char *cache = cli_hf_cache_dir();
    DIR *dd = cache ? opendir(cache) : NULL;
    for (struct dirent *e; dd && (e = readdir(dd));) {
        /* models--ORG--NAME */
        if (strncmp(e->d_name, "models--", 8)) continue;
        const char *org = e->d_name + 8, *sep = strstr(org, "--");
        if (!sep) continue;
        const char *name = sep + 2, *slash = strchr(s, '/');
        int d = cli_edit_distance(slash ? slash + 1 : s, name);
        if (slash) {
            char id[512];
            snprintf(id, sizeof id, "%.*s/%s", (int)(sep - org), org, name);
            d = cli_edit_distance(s, id);
        }
        if (d < bd) bd = d, snprintf(best, cap, "%.*s/%s", (int)(sep - org), org, name);
    }
    if (dd) closedir(dd);
    free(cache);
}

/* What a path that is not a regular file or folder is, for a message. */
static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)                 ? "folder"
           : S_ISREG(m)               ? "file"
           : S_ISFIFO(m)              ? "FIFO"
           : S_ISSOCK(m)              ? "socket"
           : S_ISCHR(m) || S_ISBLK(m) ? "device"
                                      : "special file";
}

/* What a file's first bytes are, for a message: quoted text, or hex. */
static void first_bytes(const char *path, char *out, size_t cap)
{
    unsigned char b[12];
    FILE *f = fopen_regular(path, NULL);
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    if (n == 0) {
        snprintf(out, cap, "it is empty");
        return;
    }
    int text = 1;
    for (size_t i = 0; i < n; i++)
        if (b[i] < 0x20 || b[i] > 0x7e) text = b[i] == '\n' || b[i] == '\t' ? text : 0;
    size_t at = (size_t)snprintf(out, cap, text ? "it starts with \"" : "its first bytes are");
    for (size_t i = 0; i < n && at + 4 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, text ? "%c" : " %02x",
                               text && (b[i] == '\n' || b[i] == '\t') ? ' ' : b[i]);
    if (text && at + 2 < cap) snprintf(out + at, cap - at, "\"");
}

#define MODEL_FORMS                                                                                \
    "a model is a folder with config.json, a .gguf file, a Hub id ORG/NAME in the local cache or " \
    "gemma-3-270m"

static char *model_path(const char *model, int any_file, aniso_error *err);

char *cli_model_path(const char *model, aniso_error *err)
{
    return model_path(model, 0, err);
}

char *cli_tokenizer_path(const char *model, aniso_error *err)
{
    return model_path(model, 1, err);
}

static char *model_path(const char *model, int any_file, aniso_error *err)
{
    if (strcmp(model, "gemma-3-270m") != 0) {
        char *path = concat3(model, "", "");
        if (!path) {
            aniso_error_set(err, ANISO_NO_MEMORY, "out of memory");
            return NULL;
        }
        struct stat sb;
        if (stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) return path;
            if (S_ISREG(sb.st_mode) && any_file) return path; /* tokenizer.json too */
            if (S_ISREG(sb.st_mode)) {
                char head[4] = {0};
                FILE *f = fopen_regular(path, NULL);
                size_t n = f ? fread(head, 1, 4, f) : 0;
                if (f) fclose(f);
                if (n == 4 && !memcmp(head, "GGUF", 4)) return path;
                char what[96];
                first_bytes(path, what, sizeof what);
                aniso_error_set(err, ANISO_FORMAT, "%s: not a GGUF file (%s); " MODEL_FORMS, model,
                                what);
            } else {
                aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: is a %s, not a model", model,
                                kind_of(sb.st_mode));
            }
            free(path);
            return NULL;
        }
        if (is_hub_id(model) && !looks_like_path(model)) return path;
        free(path);
        char best[512];
        suggest(model, best, sizeof best);
        if (best[0])
            aniso_error_set(err, ANISO_NOT_FOUND,
                            "%s: no such file, folder or model (did you mean "
                            "'%s'?)",
                            model, best);
        else
            aniso_error_set(err, ANISO_NOT_FOUND, "%s: no such file or folder%s; " MODEL_FORMS,
                            model, looks_like_path(model) ? "" : ", and not a Hub id (ORG/NAME)");
        return NULL;
    }
    const char *dir = env("ANISO_MODELS");
    char *path = dir           ? concat3(dir, "/gemma-3-270m-q4_k_m.gguf", "")
                 : env("HOME") ? concat3("~", "/.cache/aniso/models/gemma-3-270m-q4_k_m.gguf", "")
                               : NULL;
    FILE *f = path ? fopen_regular(path, NULL) : NULL;
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
    if (code == CLI_OPT_DOWNLOAD) {
        cli_download = 1;
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

int cli_check_out_file(const char *path, aniso_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT, "%s: is a %s; --out names the file to write",
                        path, kind_of(sb.st_mode));
        return -1;
    }
    /* the folder it goes into, created if missing */
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = malloc((size_t)(slash - path) + 1);
    if (!dir) return aniso_error_set(err, ANISO_NO_MEMORY, "out of memory"), -1;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    int rc = ensure_dir(dir, err) ? -1 : 0;
    free(dir);
    return rc;
}

int cli_check_out_dir(const char *dir, aniso_error *err)
{
    struct stat sb;
    if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                        "%s: is a %s; --out names the folder to write into", dir,
                        kind_of(sb.st_mode));
        return -1;
    }
    return 0;
}

int cli_whole_number(const char *arg, uint64_t *out)
{
    uint64_t v = 0;
    if (!*arg) return -1;
    for (const char *c = arg; *c; c++) {
        if (*c < '0' || *c > '9') return -1;
        if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return 0;
}

int cli_parse_uint(const char *cmd, const char *opt, const char *arg, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    uint64_t v;
    if (cli_whole_number(arg, &v) || v < min || v > max) {
        if (max == UINT64_MAX)
            return cli_usage_error(cmd, "%s needs a whole number of at least %llu, not '%s'", opt,
                                   (unsigned long long)min, arg);
        return cli_usage_error(cmd, "%s needs a whole number from %llu to %llu, not '%s'", opt,
                               (unsigned long long)min, (unsigned long long)max, arg);
    }
    *out = v;
    return 0;
}

int cli_parse_int(const char *cmd, const char *opt, const char *arg, int min, int max, int *out)
{
    uint64_t v;
    int rc = cli_parse_uint(cmd, opt, arg, (uint64_t)min, (uint64_t)max, &v);
    if (!rc) *out = (int)v;
    return rc;
}

int cli_parse_size(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    size_t n = strlen(arg);
    char num[32];
    unsigned shift = 0;
    if (n > 0 && n < sizeof num) {
        memcpy(num, arg, n + 1);
        char u = num[n - 1];
        if (u == 'K' || u == 'k' || u == 'M' || u == 'm' || u == 'G' || u == 'g' || u == 'T' ||
            u == 't') {
            shift = u == 'K' || u == 'k'   ? 10
                    : u == 'M' || u == 'm' ? 20
                    : u == 'G' || u == 'g' ? 30
                                           : 40;
            num[n - 1] = 0;
        }
        uint64_t v;
        if (!cli_whole_number(num, &v) && v > 0 && v <= (UINT64_MAX >> shift)) {
            *out = v << shift;
            return 0;
        }
    }
    return cli_usage_error(cmd,
                           "%s needs a size in bytes, or with K, M, G or T (powers of 1024), such "
                           "as 8G, not '%s'",
                           opt, arg);
}
