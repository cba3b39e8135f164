/* pretokenize.c - pre-tokenizers: each turns the current list of pieces
 * (w->a) into the next (w->b), leaving added tokens untouched. Splitting
 * follows the tokenizers library exactly: a pattern yields spans that tile
 * the piece, flagged match / non-match; a behaviour merges or drops them;
 * empty pieces are dropped. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

typedef struct span {
    size_t b, e;
    int match;
} span;

typedef struct spans {
    span *v;
    size_t n, cap;
} spans;

static int spans_add(spans *s, size_t b, size_t e, int match)
{
    if (vec_reserve((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v)) return -1;
    s->v[s->n++] = (span){b, e, match};
    return 0;
}

int pieces_add(pieces *p, size_t off, size_t len, int32_t id, int at_start)
{
    if (vec_reserve((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v)) return -1;
    p->v[p->n++] = (piece){off, len, id, at_start};
    return 0;
}

/* ---- patterns: fill sp with spans tiling s[0..len) */

static int find_regex(re *r, int invert, const char *s, size_t len, spans *sp)
{
    sp->n = 0;
    if (len == 0) return spans_add(sp, 0, 0, invert);
    re_iter it;
    re_iter_init(&it);
    size_t prev = 0, ms, me;
    int rc;
    while ((rc = re_iter_next(r, &it, s, len, &ms, &me)) == 1) {
        if (prev != ms && spans_add(sp, prev, ms, invert)) return -1;
        if (spans_add(sp, ms, me, !invert)) return -1;
        prev = me;
    }
    if (rc < 0) return TK_REGEX;
    if (prev != len && spans_add(sp, prev, len, invert)) return -1;
    return 0;
}

static int find_chars(int (*pred)(int32_t, const void *), const void *ctx, const char *s,
                      size_t len, spans *sp)
{
    sp->n = 0;
    if (len == 0) return spans_add(sp, 0, 0, 0);
    size_t last = 0, i = 0;
    while (i < len) {
        size_t at = i;
        int32_t c = uc_next(s, len, &i);
        if (pred(c, ctx)) {
            if (last < at && spans_add(sp, last, at, 0)) return -1;
            if (spans_add(sp, at, i, 1)) return -1;
            last = i;
        }
    }
    if (len > last && spans_add(sp, last, len, 0)) return -1;
    return 0;
}

static int is_ws(int32_t c, const void *ctx)
{
    (void)ctx;
    return uc_is_whitespace(c);
}
static int is_num(int32_t c, const void *ctx)
{
    (void)ctx;
    return uc_is_numeric(c);
}
static int is_punc(int32_t c, const void *ctx)
{
    (void)ctx;
    return uc_is_punctuation(c);
}
static int is_char(int32_t c, const void *ctx)
{
    return c == *(const int32_t *)ctx;
}

/* ---- behaviours: rewrite sp in place, then emit the kept spans */

static void apply_behavior(spans *sp, split_behavior b)
{
    size_t n = 0;
    int prev = 0;
    switch (b) {
    case SPLIT_ISOLATED:
        for (size_t i = 0; i < sp->n; i++) sp->v[i].match = 0;
        return;
    case SPLIT_REMOVED:
        return; /* match spans are dropped on emit */
    case SPLIT_CONTIGUOUS:
        for (size_t i = 0; i < sp->n; i++) {
            span s = sp->v[i];
            if (s.match == prev && n > 0)
                sp->v[n - 1].e = s.e;
            else
                sp->v[n++] = (span){s.b, s.e, 0};
            prev = s.match;
        }
        break;
    case SPLIT_MERGED_WITH_PREVIOUS:
        for (size_t i = 0; i < sp->n; i++) {
            span s = sp->v[i];
            if (s.match && !prev && n > 0)
                sp->v[n - 1].e = s.e;
            else
                sp->v[n++] = (span){s.b, s.e, 0};
            prev = s.match;
        }
        break;
    case SPLIT_MERGED_WITH_NEXT: {
        /* Right to left, building the result from the end of the array. */
        size_t k = sp->n;
        for (size_t i = sp->n; i-- > 0;) {
            span s = sp->v[i];
            if (s.match && !prev && k < sp->n)
                sp->v[k].b = s.b;
            else
                sp->v[--k] = (span){s.b, s.e, 0};
            prev = s.match;
        }
        memmove(sp->v, sp->v + k, (sp->n - k) * sizeof *sp->v);
        n = sp->n - k;
        break;
    }
    }
    sp->n = n;
}

/* Emits the kept, non-empty spans of the piece whose text starts at arena
 * offset base. */
static int emit(work *w, const piece *p, size_t base, const spans *sp)
{
    for (size_t i = 0; i < sp->n; i++) {
        const span *s = &sp->v[i];
        if (s->match || s->e == s->b) continue;
        if (pieces_add(&w->b, base + s->b, s->e - s->b, -1, p->at_start && s->b == 0)) return -1;
    }
    return 0;
}

/* ---- ByteLevel: bytes to the printable characters of GPT-2's table */

static int32_t byte_char[256];

static void init_byte_char(void)
{
    if (byte_char['!']) return;
    int n = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        byte_char[b] = printable ? b : 256 + n++;
    }
}

static int byte_map(work *w, size_t off, size_t len, size_t *out_off)
{
    init_byte_char();
    w->scratch.n = 0;
    if (sbuf_reserve(&w->scratch, 2 * len)) return -1;
    for (size_t i = 0; i < len; i++)
        w->scratch.n +=
            uc_encode(byte_char[(unsigned char)w->arena.p[off + i]], w->scratch.p + w->scratch.n);
    *out_off = w->arena.n;
    return sbuf_add(&w->arena, w->scratch.p, w->scratch.n);
}

/* Appends prefix + arena[off..off+len) to the arena; returns its offset. */
static int prefixed_copy(work *w, const char *prefix, size_t plen, size_t off, size_t len,
                         size_t *out_off)
{
    if (sbuf_reserve(&w->arena, plen + len)) return -1;
    *out_off = w->arena.n;
    memcpy(w->arena.p + w->arena.n, prefix, plen);
    memmove(w->arena.p + w->arena.n + plen, w->arena.p + off, len);
    w->arena.n += plen + len;
    return 0;
}

static int one(const pretok *p, work *w, spans *sp)
{
    int rc;
    w->b.n = 0;
    for (size_t k = 0; k < w->a.n; k++) {
        piece pc = w->a.v[k];
        if (pc.id >= 0) {
            if (pieces_add(&w->b, pc.off, pc.len, pc.id, pc.at_start)) return -1;
            continue;
        }
        size_t base = pc.off, len = pc.len;
        switch (p->kind) {
        case PT_BYTE_LEVEL: {
            if (p->add_prefix_space && !(len > 0 && w->arena.p[base] == ' ')) {
                if (prefixed_copy(w, " ", 1, base, len, &base)) return -1;
                len++;
            }
            if (p->use_regex) {
                if ((rc = find_regex(p->pattern, 0, w->arena.p + base, len, sp))) return rc;
                apply_behavior(sp, SPLIT_ISOLATED);
            } else {
                sp->n = 0;
                if (spans_add(sp, 0, len, 0)) return -1;
            }
            for (size_t i = 0; i < sp->n; i++) {
                span s = sp->v[i];
                size_t moff;
                if (s.e == s.b) continue;
                if (byte_map(w, base + s.b, s.e - s.b, &moff)) return -1;
                if (pieces_add(&w->b, moff, w->arena.n - moff, -1, pc.at_start && s.b == 0))
                    return -1;
            }
            continue;
        }
        case PT_SPLIT:
            if ((rc = find_regex(p->pattern, p->invert, w->arena.p + base, len, sp))) return rc;
            apply_behavior(sp, p->behavior);
            break;
        case PT_METASPACE: {
            char rep[4];
            size_t rl = uc_encode(p->replacement, rep);
            /* Replace ' ' by the replacement, then maybe prepend it. */
            w->scratch.n = 0;
            const char *s = w->arena.p + base;
            int starts = 0;
            for (size_t i = 0; i < len; i++) {
                if (s[i] == ' ') {
                    if (sbuf_add(&w->scratch, rep, rl)) return -1;
                } else if (sbuf_add(&w->scratch, s + i, 1)) {
                    return -1;
                }
            }
            starts = w->scratch.n >= rl && memcmp(w->scratch.p, rep, rl) == 0;
            int prepend = !starts && (p->prepend == PREPEND_ALWAYS ||
                                      (p->prepend == PREPEND_FIRST && pc.at_start));
            base = w->arena.n;
            if ((prepend && sbuf_add(&w->arena, rep, rl)) ||
                sbuf_add(&w->arena, w->scratch.p, w->scratch.n))
                return -1;
            len = w->arena.n - base;
            if (p->split) {
                if (find_chars(is_char, &p->replacement, w->arena.p + base, len, sp)) return -1;
                apply_behavior(sp, SPLIT_MERGED_WITH_NEXT);
            } else {
                sp->n = 0;
                if (spans_add(sp, 0, len, 0)) return -1;
            }
            break;
        }
        case PT_WHITESPACE: {
            /* Runs of \w, and runs of characters neither \w nor \s. */
            const char *s = w->arena.p + base;
            sp->n = 0;
            size_t i = 0;
            while (i < len) {
                size_t at = i;
                int32_t c = uc_next(s, len, &i);
                if (uc_is_whitespace(c) && !uc_is_word(c)) continue;
                int word = uc_is_word(c);
                size_t end = i;
                while (end < len) {
                    size_t j = end;
                    int32_t d = uc_next(s, len, &j);
                    if (word ? !uc_is_word(d) : (uc_is_word(d) || uc_is_whitespace(d))) break;
                    end = j;
                }
                if (spans_add(sp, at, end, 0)) return -1;
                i = end;
            }
            break;
        }
        case PT_WHITESPACE_SPLIT:
            if (find_chars(is_ws, NULL, w->arena.p + base, len, sp)) return -1;
            apply_behavior(sp, SPLIT_REMOVED);
            break;
        case PT_DIGITS:
            if (find_chars(is_num, NULL, w->arena.p + base, len, sp)) return -1;
            apply_behavior(sp, p->individual_digits ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS);
            break;
        case PT_PUNCTUATION:
            if (find_chars(is_punc, NULL, w->arena.p + base, len, sp)) return -1;
            apply_behavior(sp, p->behavior);
            break;
        case PT_SEQUENCE:
            return -1; /* handled by the caller */
        }
        if (emit(w, &pc, base, sp)) return -1;
    }
    pieces t = w->a;
    w->a = w->b;
    w->b = t;
    return 0;
}

static int run(const pretok *p, work *w, size_t limit, spans *sp)
{
    if (p->kind != PT_SEQUENCE) {
        int rc = one(p, w, sp);
        return rc ? rc : w->arena.n > limit ? TK_TOO_LONG : 0;
    }
    for (size_t i = 0; i < p->n_items; i++) {
        int rc = run(&p->items[i], w, limit, sp);
        if (rc) return rc;
    }
    return 0;
}

int pretokenize(const pretok *p, work *w, size_t limit)
{
    spans sp = {0};
    int rc = run(p, w, limit, &sp);
    free(sp.v);
    return rc;
}

void pretok_free(pretok *p)
{
    if (!p) return;
    re_free(p->pattern);
    for (size_t i = 0; i < p->n_items; i++) pretok_free(&p->items[i]);
    free(p->items);
}
