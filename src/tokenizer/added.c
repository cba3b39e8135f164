/* added.c - added tokens: a byte trie over their contents and the split of
 * a piece around leftmost-longest matches, with the single_word, lstrip and
 * rstrip rules of the tokenizers library's AddedVocabulary::find_matches. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

static int32_t new_node(trie *t, unsigned char byte)
{
    if (vec_reserve((void **)&t->nodes, &t->cap, t->n + 1, sizeof *t->nodes)) return -1;
    t->nodes[t->n] = (trie_node){-1, -1, -1, byte};
    return (int32_t)t->n++;
}

int trie_add(trie *t, const char *s, size_t len, int32_t token)
{
    if (t->n == 0 && new_node(t, 0) < 0) return -1;
    int32_t cur = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        int32_t c = t->nodes[cur].child;
        while (c >= 0 && t->nodes[c].byte != b) c = t->nodes[c].sibling;
        if (c < 0) {
            if ((c = new_node(t, b)) < 0) return -1;
            t->nodes[c].sibling = t->nodes[cur].child;
            t->nodes[cur].child = c;
        }
        cur = c;
    }
    t->nodes[cur].token = token; /* a later token with the same text wins */
    return 0;
}

void trie_free(trie *t)
{
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

/* The longest token matching s[i..len), as *tok and its end; 0 if none. */
static int longest_at(const trie *t, const char *s, size_t len, size_t i, int32_t *tok, size_t *end)
{
    int32_t cur = 0, found = -1;
    size_t fend = i;
    for (size_t k = i; k < len; k++) {
        unsigned char b = (unsigned char)s[k];
        int32_t c = t->nodes[cur].child;
        while (c >= 0 && t->nodes[c].byte != b) c = t->nodes[c].sibling;
        if (c < 0) break;
        cur = c;
        if (t->nodes[cur].token >= 0) {
            found = t->nodes[cur].token;
            fend = k + 1;
        }
    }
    *tok = found;
    *end = fend;
    return found >= 0;
}

/* The last character of s[0..n) is a word character (Rust regex \w$). */
static int ends_with_word(const char *s, size_t n)
{
    if (n == 0) return 0;
    size_t i = n - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return uc_is_word(uc_next(s, n, &i));
}

static int starts_with_word(const char *s, size_t n)
{
    size_t i = 0;
    return n > 0 && uc_is_word(uc_next(s, n, &i));
}

int split_added(const aniso_tokenizer *tk, const trie *t, work *w)
{
    w->b.n = 0;
    for (size_t k = 0; k < w->a.n; k++) {
        piece pc = w->a.v[k];
        if (pc.id >= 0 || t->n == 0 || pc.len == 0) {
            if ((pc.id >= 0 || pc.len > 0) && pieces_add(&w->b, pc.off, pc.len, pc.id, pc.at_start))
                return -1;
            continue;
        }
        const char *s = w->arena.p + pc.off;
        size_t len = pc.len, start_offset = 0, i = 0;
        while (i < len) {
            int32_t tok;
            size_t mend;
            if (!longest_at(t, s, len, i, &tok, &mend)) {
                i++;
                continue;
            }
            const added_token *a = &tk->added[tok];
            size_t start = i, stop = mend;
            i = mend; /* the matcher resumes after the raw match */
            if (a->single_word) {
                int start_space = start == 0 || !ends_with_word(s, start);
                int stop_space = stop == len || !starts_with_word(s + stop, len - stop);
                if (!start_space || !stop_space) continue;
            }
            if (a->lstrip) {
                size_t ns = start;
                while (ns > 0) {
                    size_t j = ns - 1;
                    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80) j--;
                    size_t q = j;
                    if (!uc_is_whitespace(uc_next(s, len, &q))) break;
                    ns = j;
                }
                start = ns > start_offset ? ns : start_offset;
            }
            if (a->rstrip) {
                size_t q = stop;
                while (q < len) {
                    size_t r = q;
                    if (!uc_is_whitespace(uc_next(s, len, &r))) break;
                    q = r;
                }
                stop = q;
            }
            if (start_offset < start &&
                pieces_add(&w->b, pc.off + start_offset, start - start_offset, -1,
                           pc.at_start && start_offset == 0))
                return -1;
            if (pieces_add(&w->b, pc.off + start, stop - start, a->id, 0)) return -1;
            start_offset = stop;
        }
        if (start_offset < len && pieces_add(&w->b, pc.off + start_offset, len - start_offset, -1,
                                             pc.at_start && start_offset == 0))
            return -1;
    }
    pieces t2 = w->a;
    w->a = w->b;
    w->b = t2;
    return 0;
}
