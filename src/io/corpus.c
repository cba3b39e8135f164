/* corpus.c - a corpus file as a stream of documents (corpus.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/corpus.h"
#include "base/base.h"
#include "io/json.h"
#include "tokenizer/unicode.h"

struct aniso_corpus {
    char *path;
    FILE *f;
    int jsonl;
    char *line; /* getline's buffer */
    size_t line_cap;
    ssize_t line_len; /* a line read ahead, or -1 */
    size_t line_no;   /* of the line in `line` */
    size_t doc_line;  /* where the current document starts */
    abuf doc;
};

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    return 1;
}

/* The next line into c->line (without its newline or CR): its length, -1
 * at the end, -2 on a read error, -3 for a line longer than a document may
 * be. A line read ahead is returned first. */
static ssize_t next_line(aniso_corpus *c)
{
    if (c->line_len >= 0) {
        ssize_t n = c->line_len;
        c->line_len = -1;
        return n;
    }
    size_t n = 0;
    int ch;
    while ((ch = getc(c->f)) != EOF && ch != '\n') {
        if (n + 2 > c->line_cap) {
            if (n >= (size_t)ANISO_CORPUS_MAX_DOC) return -3;
            size_t cap = c->line_cap ? c->line_cap * 2 : 4096;
            char *p = realloc(c->line, cap);
            if (!p) return -2;
            c->line = p;
            c->line_cap = cap;
        }
        c->line[n++] = (char)ch;
    }
    if (ch == EOF && (ferror(c->f) || !feof(c->f))) return -2;
    if (ch == EOF && n == 0) return -1;
    if (!c->line && !(c->line = malloc(c->line_cap = 16))) return -2;
    c->line_no++;
    if (n && c->line[n - 1] == '\r') n--;
    c->line[n] = '\0';
    return (ssize_t)n;
}

aniso_corpus *aniso_corpus_open(const char *path, aniso_error *err)
{
    aniso_corpus *c = calloc(1, sizeof *c);
    if (!c || !(c->path = str_dup(path))) {
        free(c);
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        return NULL;
    }
    c->line_len = -1;
    if (!(c->f = fopen_regular(path, err))) {
        aniso_corpus_free(c);
        return NULL;
    }
    /* The format: by name, else by the first non-blank line. */
    size_t pl = strlen(path);
    c->jsonl = pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0;
    ssize_t n;
    while ((n = next_line(c)) >= 0 && blank(c->line, (size_t)n)) {
    }
    if (n <= -2) {
        aniso_error_set(err, n == -2 ? ANISO_IO : ANISO_UNSUPPORTED,
                        n == -2 ? "%s: read error" : "%s: a line longer than 256 MiB", path);
        aniso_corpus_free(c);
        return NULL;
    }
    if (n >= 0) {
        size_t k = 0;
        while (k < (size_t)n && (c->line[k] == ' ' || c->line[k] == '\t')) k++;
        c->jsonl |= c->line[k] == '{';
        c->line_len = n; /* read again by the first aniso_corpus_next */
    }
    return c;
}

void aniso_corpus_free(aniso_corpus *c)
{
    if (!c) return;
    if (c->f) fclose(c->f);
    free(c->line);
    free(c->doc.p);
    free(c->path);
    free(c);
}

size_t aniso_corpus_line(const aniso_corpus *c)
{
    return c->doc_line;
}

const char *aniso_corpus_format(const aniso_corpus *c)
{
    return c->jsonl ? "jsonl" : "text";
}

static int fail(aniso_corpus *c, aniso_error *err, aniso_status code, const char *what)
{
    aniso_error_set(err, code, "%s: line %zu: %s", c->path, c->line_no, what);
    return -1;
}

int aniso_corpus_next(aniso_corpus *c, const char **text, size_t *len, aniso_error *err)
{
    c->doc.n = 0;
    ssize_t n;
    /* Skip blank lines to the document's first line. */
    while ((n = next_line(c)) >= 0 && blank(c->line, (size_t)n)) {
    }
    if (n == -2) return fail(c, err, ANISO_IO, "read error");
    if (n == -3) return fail(c, err, ANISO_UNSUPPORTED, "a line longer than 256 MiB");
    if (n == -1) return 0;
    c->doc_line = c->line_no;
    if (c->jsonl) {
        aniso_error jerr;
        aj *o = aj_parse(c->line, (size_t)n, c->path, &jerr);
        aj *t = aj_get(o, "text");
        int bad = !o ? 1 : !aj_is_string(t) ? 2 : 0;
        if (!bad && abuf_add(&c->doc, aj_str(t), aj_str_len(t))) bad = 3;
        aj_free(o);
        if (bad)
            return fail(c, err, bad == 3 ? ANISO_NO_MEMORY : ANISO_FORMAT,
                        bad == 1   ? "not valid JSON"
                        : bad == 2 ? "expected an object with a string \"text\""
                                   : "out of memory");
    } else {
        /* Lines up to the next blank one, joined with newlines. */
        do {
            if (c->doc.n && abuf_add(&c->doc, "\n", 1))
                return fail(c, err, ANISO_NO_MEMORY, "out of memory");
            if (c->doc.n + (size_t)n > ANISO_CORPUS_MAX_DOC)
                return fail(c, err, ANISO_UNSUPPORTED,
                            "a document (text between blank lines) larger than 256 MiB");
            if (abuf_add(&c->doc, c->line, (size_t)n))
                return fail(c, err, ANISO_NO_MEMORY, "out of memory");
        } while ((n = next_line(c)) >= 0 && !blank(c->line, (size_t)n));
        if (n == -2) return fail(c, err, ANISO_IO, "read error");
        if (n == -3) return fail(c, err, ANISO_UNSUPPORTED, "a line longer than 256 MiB");
    }
    size_t bad;
    if (!uc_valid(c->doc.p ? c->doc.p : "", c->doc.n, &bad)) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: the document at line %zu is not valid UTF-8 (byte offset %zu)",
                        c->path, c->doc_line, bad);
        return -1;
    }
    *text = c->doc.p ? c->doc.p : "";
    *len = c->doc.n;
    return 1;
}
