/* bpe.c - the BPE model on one pre-tokenized word, as the tokenizers
 * library's BPE::merge_word and Word::merge_all do it: one symbol per
 * character (with byte fallback and unknown-token fusing), then merges by
 * rank from a priority queue keyed by (rank, position), so long words cost
 * O(n log n), never a rescan per merge. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

typedef struct sym {
    int32_t id;
    int32_t prev, next; /* -1 = none */
    size_t len;         /* bytes; 0 = merged away */
} sym;

typedef struct merge {
    uint32_t rank, pos;
    int32_t new_id;
} merge;

static int merge_less(const merge *a, const merge *b)
{
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

typedef struct heap {
    merge *v;
    size_t n, cap;
} heap;

static int heap_push(heap *h, merge m)
{
    if (vec_reserve((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v)) return -1;
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!merge_less(&m, &h->v[parent])) break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = m;
    return 0;
}

static merge heap_pop(heap *h)
{
    merge top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && merge_less(&h->v[c + 1], &h->v[c])) c++;
        if (!merge_less(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

static int get_merge(const bpe *m, int32_t a, int32_t b, uint32_t *rank, int32_t *new_id)
{
    uint64_t v;
    if (!u64map_get(&m->merges, ((uint64_t)(uint32_t)a << 32) | (uint32_t)b, &v)) return 0;
    *rank = (uint32_t)(v >> 32);
    *new_id = (int32_t)(uint32_t)v;
    return 1;
}

typedef struct symbols {
    sym *v;
    size_t n, cap;
} symbols;

static int sym_add(symbols *s, int32_t id, size_t len)
{
    if (vec_reserve((void **)&s->v, &s->cap, s->n + 1, sizeof *s->v)) return -1;
    int32_t i = (int32_t)s->n;
    s->v[s->n++] = (sym){id, i - 1, -1, len};
    if (i > 0) s->v[i - 1].next = i;
    return 0;
}

/* The initial symbols of word, as merge_word builds them. */
static int initial_symbols(const bpe *m, const char *w, size_t len, symbols *out, sbuf *tmp)
{
    int32_t unk = -1;
    size_t unk_len = 0;
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        i += uc_seq_len((unsigned char)w[at]);
        if (i > len) i = len;
        size_t blen = i - at;
        /* s = [prefix] char [suffix] */
        const char *sp = w + at;
        size_t sl = blen;
        if ((at > 0 && m->prefix) || (i == len && m->suffix)) {
            tmp->n = 0;
            if (at > 0 && m->prefix && sbuf_add(tmp, m->prefix, m->prefix_len)) return -1;
            if (sbuf_add(tmp, w + at, blen)) return -1;
            if (i == len && m->suffix && sbuf_add(tmp, m->suffix, m->suffix_len)) return -1;
            sp = tmp->p;
            sl = tmp->n;
        }
        int32_t id = strmap_get(&m->vocab, sp, sl);
        if (id >= 0) {
            if (unk >= 0) {
                if (sym_add(out, unk, unk_len)) return -1;
                unk = -1;
            }
            if (sym_add(out, id, blen)) return -1;
            continue;
        }
        if (m->byte_fallback) {
            int all = 1;
            for (size_t k = 0; k < sl && all; k++) all = m->byte_ids[(unsigned char)sp[k]] >= 0;
            if (all) {
                /* As the reference: a pending unknown token is not flushed here. */
                for (size_t k = 0; k < sl; k++)
                    if (sym_add(out, m->byte_ids[(unsigned char)sp[k]], 1)) return -1;
                continue;
            }
        }
        if (m->unk_id >= 0) {
            if (unk >= 0 && m->fuse_unk) {
                unk_len += blen;
            } else {
                if (unk >= 0 && sym_add(out, unk, unk_len)) return -1;
                unk = m->unk_id;
                unk_len = blen;
            }
        }
    }
    if (unk >= 0 && sym_add(out, unk, unk_len)) return -1;
    return 0;
}

static int merge_all(const bpe *m, symbols *s, heap *hp)
{
    heap h = *hp;
    h.n = 0;
    int rc = -1;
    uint32_t rank;
    int32_t nid;
    for (size_t i = 0; i + 1 < s->n; i++)
        if (get_merge(m, s->v[i].id, s->v[i + 1].id, &rank, &nid) &&
            heap_push(&h, (merge){rank, (uint32_t)i, nid}))
            goto out;
    while (h.n) {
        merge top = heap_pop(&h);
        sym *cur = &s->v[top.pos];
        if (cur->len == 0 || cur->next < 0) continue;
        int32_t next_pos = cur->next;
        sym right = s->v[next_pos];
        /* Skip entries made stale by earlier merges. */
        if (!get_merge(m, cur->id, right.id, &rank, &nid) || nid != top.new_id) continue;
        cur->id = top.new_id;
        cur->len += right.len;
        cur->next = right.next;
        s->v[next_pos].len = 0;
        if (right.next >= 0 && (size_t)right.next < s->n) s->v[right.next].prev = (int32_t)top.pos;
        if (cur->prev >= 0 && get_merge(m, s->v[cur->prev].id, cur->id, &rank, &nid) &&
            heap_push(&h, (merge){rank, (uint32_t)cur->prev, nid}))
            goto out;
        cur = &s->v[top.pos];
        if (cur->next >= 0 && get_merge(m, cur->id, s->v[cur->next].id, &rank, &nid) &&
            heap_push(&h, (merge){rank, top.pos, nid}))
            goto out;
    }
    rc = 0;
out:
    *hp = h;
    return rc;
}

int bpe_tokenize(const bpe *m, const char *word, size_t len, bpe_scratch *sc, aniso_ids *out)
{
    if (len == 0) return 0;
    if (m->scores) return spm_tokenize(m, word, len, sc, out);
    if (m->ignore_merges) {
        int32_t id = strmap_get(&m->vocab, word, len);
        if (id >= 0) return aniso_ids_push(out, id);
    }
    symbols s = {sc->syms, 0, sc->syms_cap};
    heap h = {sc->heap, 0, sc->heap_cap};
    int rc = -1;
    if (initial_symbols(m, word, len, &s, &sc->tmp) || merge_all(m, &s, &h)) goto out;
    for (size_t i = 0; i < s.n; i++)
        if (s.v[i].len && aniso_ids_push(out, s.v[i].id)) goto out;
    rc = 0;
out:
    sc->syms = s.v;
    sc->syms_cap = s.cap;
    sc->heap = h.v;
    sc->heap_cap = h.cap;
    return rc;
}

void bpe_scratch_free(bpe_scratch *sc)
{
    free(sc->syms);
    free(sc->heap);
    free(sc->tmp.p);
    memset(sc, 0, sizeof *sc);
}

void bpe_free(bpe *m)
{
    strmap_free(&m->vocab);
    u64map_free(&m->merges);
    if (m->tokens)
        for (int32_t i = 0; i < m->n_vocab; i++) free(m->tokens[i]);
    free(m->tokens);
    free(m->token_lens);
    free(m->prefix);
    free(m->suffix);
    free(m->scores);
}
