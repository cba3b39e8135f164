/* regex.h - the one adapter over PCRE2 (8-bit, UTF + UCP, JIT-compiled).
 * Patterns are compiled with Oniguruma-compatible options where the
 * tokenizers library uses Oniguruma: '^' and '$' match at line breaks, as in
 * its Ruby syntax. */
#ifndef ANISO_REGEX_H
#define ANISO_REGEX_H

#include <stddef.h>

typedef struct re re;

/* Compiles pattern[0..len); literal != 0 matches the text as is. On failure
 * returns NULL and writes PCRE2's message and offset into errbuf. */
re *re_compile(const char *pattern, size_t len, int literal, char *errbuf, size_t errcap);
void re_free(re *r);

/* Finds the next match in s[0..len) starting the search at byte start.
 * Returns 1 with [*ms, *me), 0 for no match, -1 if the matcher gave up. */
int re_find(re *r, const char *s, size_t len, size_t start, size_t *ms, size_t *me);

/* Successive non-overlapping matches, as the Rust onig crate's find_iter
 * yields them: an empty match right where the previous match ended is
 * skipped by advancing one character. */
typedef struct re_iter {
    size_t last_end;
    long long last_match_end; /* -1: none yet */
} re_iter;

static inline void re_iter_init(re_iter *it)
{
    it->last_end = 0;
    it->last_match_end = -1;
}

/* 1 with the next match, 0 at the end, -1 if the matcher gave up. */
int re_iter_next(re *r, re_iter *it, const char *s, size_t len, size_t *ms, size_t *me);

#endif
