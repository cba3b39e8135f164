/* encode.c - the encode pipeline and the post-processor:
 *   1. split out added tokens that match the raw text (normalized=false);
 *   2. normalise each remaining piece on its own, then split out added
 *      tokens that match the normalised text (normalized=true);
 *   3. pre-tokenize the remaining pieces;
 *   4. run BPE on each pre-token;
 *   5. with add_special, wrap the ids as the post-processor says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"
#include "base/base.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

int aniso_ids_push(aniso_ids *ids, int32_t id)
{
    if (vec_reserve((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v)) return -1;
    ids->v[ids->n++] = id;
    return 0;
}

void aniso_ids_free(aniso_ids *ids)
{
    if (!ids) return;
    free(ids->v);
    ids->v = NULL;
    ids->n = ids->cap = 0;
}

static int normalize_pieces(const aniso_tokenizer *tk, work *w, size_t limit)
{
    w->b.n = 0;
    for (size_t k = 0; k < w->a.n; k++) {
        piece pc = w->a.v[k];
        if (pc.id >= 0) {
            if (pieces_add(&w->b, pc.off, pc.len, pc.id, pc.at_start)) return -1;
            continue;
        }
        w->scratch.n = 0;
        int rc = normalize_text(tk->norm, w->arena.p + pc.off, pc.len, &w->scratch);
        if (rc) return rc;
        size_t off = w->arena.n;
        if (sbuf_add(&w->arena, w->scratch.p, w->scratch.n)) return -1;
        if (w->arena.n > limit) return TK_TOO_LONG;
        if (w->scratch.n && pieces_add(&w->b, off, w->scratch.n, -1, pc.at_start)) return -1;
    }
    pieces t = w->a;
    w->a = w->b;
    w->b = t;
    return 0;
}

/* Wraps ids[start..] by the post-processor p (recursively for Sequence). */
static int post_apply(const post *p, aniso_ids *ids, size_t start)
{
    switch (p->kind) {
    case POST_BYTE_LEVEL:
        return 0;
    case POST_SEQUENCE:
        for (size_t i = 0; i < p->n_items; i++)
            if (post_apply(&p->items[i], ids, start)) return -1;
        return 0;
    case POST_TEMPLATE: {
        size_t body = ids->n - start;
        for (size_t i = 0; i < p->n_before + p->n_after; i++)
            if (aniso_ids_push(ids, 0)) return -1;
        if (p->n_before + p->n_after == 0) return 0;
        memmove(ids->v + start + p->n_before, ids->v + start, body * sizeof *ids->v);
        if (p->n_before) memcpy(ids->v + start, p->before, p->n_before * sizeof *ids->v);
        if (p->n_after)
            memcpy(ids->v + start + p->n_before + body, p->after, p->n_after * sizeof *ids->v);
        return 0;
    }
    }
    return -1;
}

aniso_status aniso_tokenizer_encode(aniso_tokenizer *tk, const char *text, size_t len,
                                    int add_special, aniso_ids *out, aniso_error *err)
{
    size_t bad;
    if (!uc_valid(text, len, &bad))
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "text is not valid UTF-8 (byte offset %zu)", bad);
    work *w = &tk->w;
    w->arena.n = 0;
    w->a.n = 0;
    size_t start = out->n, limit = TK_ARENA_LIMIT(len);
    int rc = 0;
    const char *stage = "normalizer";
    if (sbuf_add(&w->arena, text, len)) goto nomem;
    if (len && pieces_add(&w->a, 0, len, -1, 1)) goto nomem;
    if (split_added(tk, &tk->raw_trie, w)) goto nomem;
    if (tk->norm && (rc = normalize_pieces(tk, w, limit))) goto fail;
    if (split_added(tk, &tk->normed_trie, w)) goto nomem;
    stage = "pre-tokenizer";
    if (tk->pre && (rc = pretokenize(tk->pre, w, limit))) goto fail;
    for (size_t k = 0; k < w->a.n; k++) {
        const piece *pc = &w->a.v[k];
        if (pc->id >= 0 ? aniso_ids_push(out, pc->id)
                        : bpe_tokenize(&tk->model, w->arena.p + pc->off, pc->len, &w->bpe, out))
            goto nomem;
    }
    if (add_special && tk->post && post_apply(tk->post, out, start)) goto nomem;
    return ANISO_OK;
fail:
    if (rc == TK_REGEX)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "%s: the %s's regular expression gave up on the text (its match "
                               "limit was reached)",
                               tk->name, stage);
    if (rc == TK_TOO_LONG)
        return aniso_error_set(err, ANISO_INVALID_ARGUMENT,
                               "%s: the %s grows a text of %zu bytes without bound (past aniso's "
                               "limit of %d times a piece's length)",
                               tk->name, stage, len, stage[0] == 'n' ? NORM_GROWTH : 128);
nomem:
    return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory while encoding", tk->name);
}

aniso_status aniso_tokenizer_specials(const aniso_tokenizer *tk, aniso_ids *before,
                                      aniso_ids *after, aniso_error *err)
{
    /* The post-processor applied to a one-token sequence, with a sentinel
     * that no vocabulary holds. */
    aniso_ids t = {0};
    int bad = aniso_ids_push(&t, -1) || (tk->post && post_apply(tk->post, &t, 0));
    size_t at = 0;
    while (!bad && at < t.n && t.v[at] != -1) at++;
    for (size_t i = 0; i < at && !bad; i++) bad = aniso_ids_push(before, t.v[i]);
    for (size_t i = at + 1; i < t.n && !bad; i++) bad = aniso_ids_push(after, t.v[i]);
    aniso_ids_free(&t);
    return bad ? aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", tk->name) : ANISO_OK;
}

int aniso_tokenizer_is_special(const aniso_tokenizer *tk, int32_t id)
{
    for (size_t i = 0; i < tk->n_added; i++)
        if (tk->added[i].id == id) return tk->added[i].special;
    return 0;
}

void aniso_token_roles(const aniso_tokenizer *tk, const int32_t *ids, size_t n, size_t n_before,
                       size_t n_after, unsigned char *roles)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char r = 0;
        if (i < n_before)
            r = ANISO_TOKEN_BOS | ANISO_TOKEN_SPECIAL;
        else if (i + n_after >= n || aniso_tokenizer_is_special(tk, ids[i]))
            r = ANISO_TOKEN_SPECIAL;
        if (i == 0) r |= ANISO_TOKEN_FIRST;
        roles[i] = r;
    }
}

static const struct {
    const char *name;
    unsigned flag;
} role_names[] = {
    {"bos", ANISO_TOKEN_BOS}, {"first", ANISO_TOKEN_FIRST}, {"special", ANISO_TOKEN_SPECIAL}};

int aniso_token_roles_parse(const char *s, unsigned *out)
{
    *out = 0;
    if (!strcmp(s, "") || !strcmp(s, "none")) return 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
            if (strlen(role_names[i].name) == n && !strncmp(p, role_names[i].name, n)) {
                *out |= role_names[i].flag;
                found = 1;
            }
        if (!found) return -1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

const char *aniso_token_roles_str(unsigned roles, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (roles & role_names[i].flag) {
            if (buf[0]) strncat(buf, ",", cap - strlen(buf) - 1);
            strncat(buf, role_names[i].name, cap - strlen(buf) - 1);
        }
    if (!buf[0]) snprintf(buf, cap, "none");
    return buf;
}

int32_t aniso_tokenizer_token_id(const aniso_tokenizer *tk, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < tk->n_added; i++)
        if (tk->added[i].len == n && memcmp(tk->added[i].content, s, n) == 0)
            return tk->added[i].id;
    return strmap_get(&tk->model.vocab, s, n);
}

const char *aniso_tokenizer_token(const aniso_tokenizer *tk, int32_t id)
{
    for (size_t i = 0; i < tk->n_added; i++)
        if (tk->added[i].id == id) return tk->added[i].content;
    if (id >= 0 && id < tk->model.n_vocab) return tk->model.tokens[id];
    return NULL;
}

int32_t aniso_tokenizer_n_ids(const aniso_tokenizer *tk)
{
    return tk->n_ids;
}

char *aniso_tokenizer_encoding_json(const aniso_tokenizer *tk, const char *text, size_t len,
                                    const int32_t *ids, size_t n)
{
    aj *o = aj_new_object(), *jids = aj_new_array(), *toks = aj_new_array();
    char *out = NULL;
    int bad = !o || !jids || !toks || aj_set(o, "text", aj_new_string(text, len));
    for (size_t i = 0; i < n && !bad; i++) {
        const char *t = aniso_tokenizer_token(tk, ids[i]);
        bad = aj_append(jids, aj_new_int(ids[i])) ||
              aj_append(toks, t ? aj_new_string(t, strlen(t)) : aj_new_object());
    }
    if (!bad) {
        bad = aj_set(o, "ids", jids) || aj_set(o, "tokens", toks);
        jids = toks = NULL;
    }
    if (!bad) out = aj_dump(o, 0);
    aj_free(jids);
    aj_free(toks);
    aj_free(o);
    return out;
}

aniso_status aniso_tokenizer_encode_prompts(aniso_tokenizer *tk, const aniso_prompts *p,
                                            aniso_ids *ids, size_t **offsets, aniso_error *err)
{
    size_t *off = calloc(p->n + 1, sizeof *off);
    if (!off) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", tk->name);
    for (size_t i = 0; i < p->n; i++) {
        aniso_status st = aniso_tokenizer_encode(tk, p->text[i], p->len[i], 1, ids, err);
        if (!st && ids->n == off[i])
            st = aniso_error_set(err, ANISO_INVALID_ARGUMENT, "prompt %zu gives no tokens", i + 1);
        if (st) {
            free(off);
            return st;
        }
        off[i + 1] = ids->n;
    }
    *offsets = off;
    return ANISO_OK;
}
