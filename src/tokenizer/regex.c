/* regex.c - PCRE2 behind the re_* adapter. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "tokenizer/regex.h"

struct re {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
};

re *re_compile(const char *pattern, size_t len, int literal, char *errbuf, size_t errcap)
{
    int ec;
    PCRE2_SIZE eo;
    /* Never \C: in UTF mode it alone can end a match inside a character. */
    uint32_t opts =
        PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_NO_UTF_CHECK | PCRE2_NEVER_BACKSLASH_C;
    if (literal) opts = PCRE2_UTF | PCRE2_LITERAL | PCRE2_NO_UTF_CHECK;
    re *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(errbuf, errcap, "out of memory");
        return NULL;
    }
    r->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &ec, &eo, NULL);
    if (!r->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        snprintf(errbuf, errcap, "%s at offset %zu", (const char *)msg, (size_t)eo);
        free(r);
        return NULL;
    }
    r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
    r->mctx = pcre2_match_context_create(NULL);
    if (!r->md || !r->mctx) {
        snprintf(errbuf, errcap, "out of memory");
        re_free(r);
        return NULL;
    }
    /* JIT with a generous stack; the interpreter (heap frames) is the
     * fallback when either is unavailable or exhausted. */
    if (pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0) {
        r->jit = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
        if (r->jit) pcre2_jit_stack_assign(r->mctx, NULL, r->jit);
    }
    pcre2_set_heap_limit(r->mctx, 1024 * 1024); /* KiB: 1 GiB */
    return r;
}

void re_free(re *r)
{
    if (!r) return;
    pcre2_jit_stack_free(r->jit);
    pcre2_match_context_free(r->mctx);
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->code);
    free(r);
}

int re_find(re *r, const char *s, size_t len, size_t start, size_t *ms, size_t *me)
{
    int rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK, r->md, r->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(r->code, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                         r->md, r->mctx);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

int re_iter_next(re *r, re_iter *it, const char *s, size_t len, size_t *ms, size_t *me)
{
    for (;;) {
        if (it->last_end > len) return 0;
        int rc = re_find(r, s, len, it->last_end, ms, me);
        if (rc <= 0) return rc;
        if (*ms == *me && it->last_match_end == (long long)*me) {
            size_t step = 1;
            if (it->last_end < len) {
                unsigned char b = (unsigned char)s[it->last_end];
                step = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
            }
            it->last_end += step;
            continue;
        }
        it->last_end = *me;
        it->last_match_end = (long long)*me;
        return 1;
    }
}
