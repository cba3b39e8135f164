/* spm.c - SentencePiece-style BPE by token score, as llama.cpp tokenizes
 * "llama" (SPM) vocabularies from GGUF files: one symbol per UTF-8
 * character; repeatedly merge the adjacent pair whose concatenation is a
 * token with the highest score (ties: the leftmost); symbols that are not
 * tokens become their bytes' <0xXX> tokens. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

typedef struct sym {
    size_t start, n; /* bytes of the word; n = 0 once merged away */
    int32_t prev, next;
} sym;

typedef struct bigram {
    float score;
    int32_t left, right;
    size_t size;
} bigram;

/* Higher score first; on equal scores the smaller left index. */
static int better(const bigram *a, const bigram *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

typedef struct queue {
    bigram *v;
    size_t n, cap;
} queue;

static int push(queue *q, bigram b)
{
    if (vec_reserve((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v)) return -1;
    size_t i = q->n++;
    while (i > 0 && better(&b, &q->v[(i - 1) / 2])) {
        q->v[i] = q->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->v[i] = b;
    return 0;
}

static bigram pop(queue *q)
{
    bigram top = q->v[0], last = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n) break;
        if (c + 1 < q->n && better(&q->v[c + 1], &q->v[c])) c++;
        if (!better(&q->v[c], &last)) break;
        q->v[i] = q->v[c];
        i = c;
    }
    if (q->n) q->v[i] = last;
    return top;
}

static int try_add(const bpe *m, const char *w, const sym *s, int32_t left, int32_t right, queue *q)
{
    if (left < 0 || right < 0) return 0;
    size_t n = s[left].n + s[right].n;
    int32_t id = strmap_get(&m->vocab, w + s[left].start, n);
    if (id < 0) return 0;
    return push(q, (bigram){m->scores[id], left, right, n});
}

int spm_tokenize(const bpe *m, const char *w, size_t len, bpe_scratch *sc, aniso_ids *out)
{
    (void)sc;
    sym *s = NULL;
    size_t ns = 0, scap = 0;
    queue q = {0};
    int rc = -1;
    for (size_t i = 0; i < len;) {
        size_t k = uc_seq_len((unsigned char)w[i]);
        if (k > len - i) k = len - i;
        if (vec_reserve((void **)&s, &scap, ns + 1, sizeof *s)) goto out;
        s[ns] = (sym){i, k, (int32_t)ns - 1, i + k < len ? (int32_t)ns + 1 : -1};
        ns++;
        i += k;
    }
    for (size_t i = 1; i < ns; i++)
        if (try_add(m, w, s, (int32_t)i - 1, (int32_t)i, &q)) goto out;
    while (q.n) {
        bigram b = pop(&q);
        sym *l = &s[b.left], *r = &s[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) s[r->next].prev = b.left;
        if (try_add(m, w, s, l->prev, b.left, &q) || try_add(m, w, s, b.left, l->next, &q))
            goto out;
    }
    for (int32_t i = ns ? 0 : -1; i != -1; i = s[i].next) {
        int32_t id = strmap_get(&m->vocab, w + s[i].start, s[i].n);
        if (id >= 0) {
            if (aniso_ids_push(out, id)) goto out;
            continue;
        }
        for (size_t k = 0; k < s[i].n; k++) {
            int32_t b = m->byte_ids[(unsigned char)w[s[i].start + k]];
            if (b < 0) {
                rc = -2; /* no <0xXX> token for this byte */
                goto out;
            }
            if (aniso_ids_push(out, b)) goto out;
        }
    }
    rc = 0;
out:
    free(s);
    free(q.v);
    return rc;
}
