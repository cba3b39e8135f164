/* normalize.c - normalizers, applied to one piece of text at a time as the
 * tokenizers library applies them (to each gap between added tokens). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

int sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int sbuf_add(sbuf *b, const void *s, size_t n)
{
    if (sbuf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

/* Replaces every match of pattern in s with content, matches found as the
 * tokenizers library finds them (onig find_iter). */
static int replace_all(re *pattern, const char *content, size_t clen, const char *s, size_t len,
                       size_t limit, sbuf *out)
{
    re_iter it;
    re_iter_init(&it);
    size_t last = 0, ms, me;
    int r;
    if (len == 0) return 0;
    while ((r = re_iter_next(pattern, &it, s, len, &ms, &me)) == 1) {
        if (sbuf_add(out, s + last, ms - last) || sbuf_add(out, content, clen)) return -1;
        if (out->n > limit) return TK_TOO_LONG;
        last = me;
    }
    if (r < 0) return TK_REGEX;
    return sbuf_add(out, s + last, len - last);
}

/* Where the trailing whitespace of s begins. */
static size_t trailing_ws_start(const char *s, size_t len)
{
    size_t i = 0, st = 0;
    while (i < len)
        if (!uc_is_whitespace(uc_next(s, len, &i))) st = i;
    return st;
}

static int apply(const normalizer *n, const char *s, size_t len, size_t limit, sbuf *out)
{
    switch (n->kind) {
    case NORM_NFC:
    case NORM_NFD:
    case NORM_NFKC:
    case NORM_NFKD: {
        static const uc_form forms[] = {UC_NFC, UC_NFD, UC_NFKC, UC_NFKD};
        char *r;
        size_t rl;
        if (uc_normalize(s, len, forms[n->kind - NORM_NFC], &r, &rl)) return -1;
        int rc = sbuf_add(out, r, rl);
        free(r);
        return rc;
    }
    case NORM_REPLACE:
        return replace_all(n->pattern, n->content, n->content_len, s, len, limit, out);
    case NORM_PREPEND:
        if (len && sbuf_add(out, n->content, n->content_len)) return -1;
        return sbuf_add(out, s, len);
    case NORM_LOWERCASE:
        for (size_t i = 0; i < len;) {
            int32_t lo[2];
            int k = uc_lower(uc_next(s, len, &i), lo);
            for (int j = 0; j < k; j++) {
                char u[4];
                if (sbuf_add(out, u, uc_encode(lo[j], u))) return -1;
            }
        }
        return 0;
    case NORM_STRIP: {
        size_t b = 0, e = len;
        if (n->strip_left)
            for (size_t i = 0; i < len;) {
                size_t at = i;
                if (!uc_is_whitespace(uc_next(s, len, &i))) {
                    b = at;
                    break;
                }
                b = i;
            }
        if (n->strip_right) e = trailing_ws_start(s, len);
        if (e < b) e = b;
        return sbuf_add(out, s + b, e - b);
    }
    case NORM_SEQUENCE: {
        /* Ping-pong between two buffers through the sequence. */
        sbuf cur = {0}, next = {0};
        if (sbuf_add(&cur, s, len)) return -1;
        for (size_t k = 0; k < n->n_items; k++) {
            next.n = 0;
            int rc = apply(&n->items[k], cur.p ? cur.p : "", cur.n, limit, &next);
            if (!rc && next.n > limit) rc = TK_TOO_LONG;
            if (rc) {
                free(cur.p);
                free(next.p);
                return rc;
            }
            sbuf t = cur;
            cur = next;
            next = t;
        }
        int rc = sbuf_add(out, cur.p, cur.n);
        free(cur.p);
        free(next.p);
        return rc;
    }
    }
    return -1;
}

int normalize_text(const normalizer *n, const char *s, size_t len, sbuf *out)
{
    size_t start = out->n;
    size_t limit =
        len > (SIZE_MAX - NORM_SLACK) / NORM_GROWTH ? SIZE_MAX : len * NORM_GROWTH + NORM_SLACK;
    int rc = apply(n, s, len, limit, out);
    if (!rc && out->n - start > limit) rc = TK_TOO_LONG;
    return rc;
}

void normalizer_free(normalizer *n)
{
    if (!n) return;
    re_free(n->pattern);
    free(n->content);
    for (size_t i = 0; i < n->n_items; i++) normalizer_free(&n->items[i]);
    free(n->items);
}
