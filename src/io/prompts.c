/* prompts.c - prompt files and the notebook's default prompts. */
#include <stdlib.h>
#include <string.h>

#include "aniso/prompts.h"
#include "base/base.h"
#include "io/json.h"
#include "tokenizer/unicode.h"

static const char *const notebook_prompts[] = {
    /* Factual */
    "The capital of France is Paris, which is known for",
    "Water boils at 100 degrees Celsius under standard",
    "The speed of light in a vacuum is approximately",
    /* Reasoning */
    "If all mammals are warm-blooded and whales are mammals, then",
    "The probability of rolling a six on a fair die is",
    /* Creative */
    "Once upon a time in a faraway kingdom, there lived",
    "The sunset painted the sky in shades of orange and",
    /* Technical */
    "In Python, you can define a function using the def keyword",
    "Machine learning models learn patterns from data by",
    "The transformer architecture uses self-attention to",
    /* Abstract */
    "The concept of infinity has puzzled philosophers because",
    "Democracy is often considered the best form of government",
    /* Conversational */
    "Hello! How are you doing today? I hope you're having",
    "Thank you for your help with this project. I really",
    /* From the notebook's dataset */
    "Functional programming emphasizes immutability and pure functions",
    "Object-oriented programming uses classes and inheritance for",
};

static int add(aniso_prompts *p, const char *s, size_t len)
{
    char **t = realloc(p->text, (p->n + 1) * sizeof *t);
    if (!t) return -1;
    p->text = t;
    size_t *l = realloc(p->len, (p->n + 1) * sizeof *l);
    if (!l) return -1;
    p->len = l;
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, s, len);
    c[len] = '\0';
    p->text[p->n] = c;
    p->len[p->n++] = len;
    return 0;
}

aniso_status aniso_prompts_default(aniso_prompts *out, aniso_error *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof notebook_prompts / sizeof notebook_prompts[0]; i++)
        if (add(out, notebook_prompts[i], strlen(notebook_prompts[i]))) {
            aniso_prompts_free(out);
            return aniso_error_set(err, ANISO_NO_MEMORY, "prompts: out of memory");
        }
    return ANISO_OK;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

aniso_status aniso_prompts_load(const char *path, aniso_prompts *out, aniso_error *err)
{
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    aniso_status st = read_small_file(path, 1u << 30, &buf, &len, err);
    if (st) return st;
    size_t pl = strlen(path), k = 0;
    while (k < len && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r' || buf[k] == '\n')) k++;
    int jsonl = (pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0) || (k < len && buf[k] == '{');
    size_t pos = 0, line = 0;
    while (pos < len && !st) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;
        const char *s = buf + pos;
        line++;
        pos = end + 1;
        if (n && s[n - 1] == '\r') n--;
        size_t bad;
        if (!uc_valid(s, n, &bad)) {
            st =
                aniso_error_set(err, ANISO_FORMAT,
                                "%s: line %zu: not valid UTF-8 (byte offset %zu)", path, line, bad);
            break;
        }
        if (blank(s, n)) continue;
        if (!jsonl) {
            if (add(out, s, n))
                st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
            continue;
        }
        aniso_error jerr;
        aj *o = aj_parse(s, n, path, &jerr);
        aj *t = aj_get(o, "text");
        if (!o)
            st = aniso_error_set(err, ANISO_FORMAT, "%s: line %zu: not valid JSON", path, line);
        else if (!aj_is_string(t))
            st = aniso_error_set(err, ANISO_FORMAT,
                                 "%s: line %zu: expected an object with a "
                                 "string \"text\"",
                                 path, line);
        else if (add(out, aj_str(t), aj_str_len(t)))
            st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        aj_free(o);
    }
    if (!st && out->n == 0) st = aniso_error_set(err, ANISO_FORMAT, "%s: no prompts", path);
    free(buf);
    if (st) aniso_prompts_free(out);
    return st;
}

void aniso_prompts_free(aniso_prompts *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->text[i]);
    free(p->text);
    free(p->len);
    memset(p, 0, sizeof *p);
}
