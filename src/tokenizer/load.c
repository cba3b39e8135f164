/* load.c - tokenizer.json into the structures of tok.h, validating as it
 * goes: every component type is known, every merge names vocabulary tokens,
 * vocabulary ids are unique and dense, added-token ids are the ones the
 * tokenizers library would assign, and every regex compiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/gguf.h"
#include "aniso/hf.h"
#include "base/base.h"
#include "io/json.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

#define TOKENIZER_LIMIT (512u << 20)

/* GPT-2's pre-tokenization regex, built into the ByteLevel pre-tokenizer. */
static const char gpt2_regex[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

typedef struct ctx {
    const char *name;
    aniso_error *err;
} ctx;

#define FAIL(c, code, ...) aniso_error_set((c)->err, code, __VA_ARGS__)

static aniso_status nomem(ctx *c)
{
    return FAIL(c, ANISO_NO_MEMORY, "%s: out of memory", c->name);
}

/* An optional boolean member; *out keeps dflt when absent or null. */
static aniso_status opt_bool(ctx *c, const aj *o, const char *where, const char *key, int dflt,
                             int *out)
{
    aj *v = aj_get(o, key);
    *out = dflt;
    if (!v || aj_is_null(v)) return ANISO_OK;
    if (!aj_is_bool(v))
        return FAIL(c, ANISO_FORMAT, "%s: %s: '%s' must be true or false", c->name, where, key);
    *out = aj_bool(v);
    return ANISO_OK;
}

/* A required string member. */
static aniso_status req_str(ctx *c, const aj *o, const char *where, const char *key,
                            const char **out)
{
    *out = aj_str(aj_get(o, key));
    if (!*out) return FAIL(c, ANISO_FORMAT, "%s: %s: missing string '%s'", c->name, where, key);
    return ANISO_OK;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* {"String": s} or {"Regex": r} into a compiled matcher. */
static aniso_status parse_pattern(ctx *c, const aj *o, const char *where, re **out)
{
    aj *pat = aj_get(o, "pattern");
    aj *s = aj_get(pat, "String"), *r = aj_get(pat, "Regex");
    const aj *v = aj_is_string(s) ? s : aj_is_string(r) ? r : NULL;
    if (!v)
        return FAIL(c, ANISO_FORMAT,
                    "%s: %s: 'pattern' must be {\"String\": ...} or {\"Regex\": ...}", c->name,
                    where);
    char msg[256];
    *out = re_compile(aj_str(v), aj_str_len(v), v == s, msg, sizeof msg);
    if (!*out)
        return FAIL(c, ANISO_FORMAT, "%s: %s: invalid regex '%s': %s", c->name, where, aj_str(v),
                    msg);
    return ANISO_OK;
}

static aniso_status parse_behavior(ctx *c, const aj *o, const char *where, split_behavior dflt,
                                   split_behavior *out)
{
    static const char *names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext",
                                  "Contiguous"};
    aj *v = aj_get(o, "behavior");
    *out = dflt;
    if (!v) return ANISO_OK;
    for (int i = 0; i < 5; i++)
        if (aj_str(v) && strcmp(aj_str(v), names[i]) == 0) {
            *out = (split_behavior)i;
            return ANISO_OK;
        }
    return FAIL(c, ANISO_FORMAT, "%s: %s: unknown behavior '%s'", c->name, where,
                aj_str(v) ? aj_str(v) : aj_type_name(v));
}

/* ---- normalizers */

static aniso_status parse_normalizer(ctx *c, const aj *o, normalizer *n)
{
    memset(n, 0, sizeof *n);
    const char *type = aj_str(aj_get(o, "type"));
    if (!type) return FAIL(c, ANISO_FORMAT, "%s: normalizer without a 'type'", c->name);
    static const char *forms[] = {"NFC", "NFD", "NFKC", "NFKD"};
    for (int i = 0; i < 4; i++)
        if (strcmp(type, forms[i]) == 0) {
            n->kind = (norm_kind)(NORM_NFC + i);
            return ANISO_OK;
        }
    const char *s;
    aniso_status st;
    if (strcmp(type, "Replace") == 0) {
        n->kind = NORM_REPLACE;
        if ((st = parse_pattern(c, o, "normalizer Replace", &n->pattern)) ||
            (st = req_str(c, o, "normalizer Replace", "content", &s)))
            return st;
        n->content_len = aj_str_len(aj_get(o, "content"));
        return (n->content = dup_n(s, n->content_len)) ? ANISO_OK : nomem(c);
    }
    if (strcmp(type, "Prepend") == 0) {
        n->kind = NORM_PREPEND;
        if ((st = req_str(c, o, "normalizer Prepend", "prepend", &s))) return st;
        n->content_len = aj_str_len(aj_get(o, "prepend"));
        return (n->content = dup_n(s, n->content_len)) ? ANISO_OK : nomem(c);
    }
    if (strcmp(type, "Lowercase") == 0) {
        n->kind = NORM_LOWERCASE;
        return ANISO_OK;
    }
    if (strcmp(type, "Strip") == 0) {
        n->kind = NORM_STRIP;
        if ((st = opt_bool(c, o, "normalizer Strip", "strip_left", 1, &n->strip_left))) return st;
        return opt_bool(c, o, "normalizer Strip", "strip_right", 1, &n->strip_right);
    }
    if (strcmp(type, "Sequence") == 0) {
        n->kind = NORM_SEQUENCE;
        aj *items = aj_get(o, "normalizers");
        if (!aj_is_array(items))
            return FAIL(c, ANISO_FORMAT, "%s: normalizer Sequence: missing 'normalizers' list",
                        c->name);
        n->items = calloc(aj_size(items) + 1, sizeof *n->items);
        if (!n->items) return nomem(c);
        for (size_t i = 0; i < aj_size(items); i++) {
            n->n_items++;
            if ((st = parse_normalizer(c, aj_at(items, i), &n->items[i]))) return st;
        }
        return ANISO_OK;
    }
    return FAIL(c, ANISO_UNSUPPORTED, "%s: unsupported normalizer type '%s'", c->name, type);
}

/* ---- pre-tokenizers */

static aniso_status parse_pretok(ctx *c, const aj *o, pretok *p)
{
    memset(p, 0, sizeof *p);
    const char *type = aj_str(aj_get(o, "type"));
    aniso_status st;
    if (!type) return FAIL(c, ANISO_FORMAT, "%s: pre_tokenizer without a 'type'", c->name);
    if (strcmp(type, "ByteLevel") == 0) {
        p->kind = PT_BYTE_LEVEL;
        if ((st = opt_bool(c, o, "pre_tokenizer ByteLevel", "add_prefix_space", 1,
                           &p->add_prefix_space)) ||
            (st = opt_bool(c, o, "pre_tokenizer ByteLevel", "use_regex", 1, &p->use_regex)))
            return st;
        if (p->use_regex) {
            char msg[256];
            p->pattern = re_compile(gpt2_regex, strlen(gpt2_regex), 0, msg, sizeof msg);
            if (!p->pattern) return nomem(c);
        }
        return ANISO_OK;
    }
    if (strcmp(type, "Split") == 0) {
        p->kind = PT_SPLIT;
        if (!aj_get(o, "behavior"))
            return FAIL(c, ANISO_FORMAT, "%s: pre_tokenizer Split: missing 'behavior'", c->name);
        if ((st = parse_pattern(c, o, "pre_tokenizer Split", &p->pattern)) ||
            (st = parse_behavior(c, o, "pre_tokenizer Split", SPLIT_ISOLATED, &p->behavior)))
            return st;
        return opt_bool(c, o, "pre_tokenizer Split", "invert", 0, &p->invert);
    }
    if (strcmp(type, "Metaspace") == 0) {
        p->kind = PT_METASPACE;
        const char *r;
        if ((st = req_str(c, o, "pre_tokenizer Metaspace", "replacement", &r))) return st;
        size_t rl = strlen(r), i = 0;
        if (rl == 0 || (p->replacement = uc_next(r, rl, &i), i != rl))
            return FAIL(c, ANISO_FORMAT,
                        "%s: pre_tokenizer Metaspace: 'replacement' must be one "
                        "character",
                        c->name);
        const char *scheme = aj_str(aj_get(o, "prepend_scheme"));
        p->prepend = PREPEND_ALWAYS;
        if (scheme) {
            if (strcmp(scheme, "always") == 0)
                p->prepend = PREPEND_ALWAYS;
            else if (strcmp(scheme, "first") == 0)
                p->prepend = PREPEND_FIRST;
            else if (strcmp(scheme, "never") == 0)
                p->prepend = PREPEND_NEVER;
            else
                return FAIL(c, ANISO_FORMAT,
                            "%s: pre_tokenizer Metaspace: unknown prepend_scheme '%s'", c->name,
                            scheme);
        }
        int aps;
        if ((st = opt_bool(c, o, "pre_tokenizer Metaspace", "add_prefix_space", 1, &aps)))
            return st;
        if (!aps) p->prepend = PREPEND_NEVER; /* the legacy field */
        return opt_bool(c, o, "pre_tokenizer Metaspace", "split", 1, &p->split);
    }
    if (strcmp(type, "Whitespace") == 0) {
        p->kind = PT_WHITESPACE;
        return ANISO_OK;
    }
    if (strcmp(type, "WhitespaceSplit") == 0) {
        p->kind = PT_WHITESPACE_SPLIT;
        return ANISO_OK;
    }
    if (strcmp(type, "Digits") == 0) {
        p->kind = PT_DIGITS;
        return opt_bool(c, o, "pre_tokenizer Digits", "individual_digits", 0,
                        &p->individual_digits);
    }
    if (strcmp(type, "Punctuation") == 0) {
        p->kind = PT_PUNCTUATION;
        return parse_behavior(c, o, "pre_tokenizer Punctuation", SPLIT_ISOLATED, &p->behavior);
    }
    if (strcmp(type, "Sequence") == 0) {
        p->kind = PT_SEQUENCE;
        aj *items = aj_get(o, "pretokenizers");
        if (!aj_is_array(items))
            return FAIL(c, ANISO_FORMAT, "%s: pre_tokenizer Sequence: missing 'pretokenizers' list",
                        c->name);
        p->items = calloc(aj_size(items) + 1, sizeof *p->items);
        if (!p->items) return nomem(c);
        for (size_t i = 0; i < aj_size(items); i++) {
            p->n_items++;
            if ((st = parse_pretok(c, aj_at(items, i), &p->items[i]))) return st;
        }
        return ANISO_OK;
    }
    return FAIL(c, ANISO_UNSUPPORTED, "%s: unsupported pre_tokenizer type '%s'", c->name, type);
}

/* ---- the BPE model */

static aniso_status opt_affix(ctx *c, const aj *o, const char *key, char **out, size_t *len)
{
    aj *v = aj_get(o, key);
    *out = NULL;
    *len = 0;
    if (!v || aj_is_null(v)) return ANISO_OK;
    if (!aj_is_string(v))
        return FAIL(c, ANISO_FORMAT, "%s: model: '%s' must be a string or null", c->name, key);
    if (aj_str_len(v) == 0) return ANISO_OK;
    *len = aj_str_len(v);
    return (*out = dup_n(aj_str(v), *len)) ? ANISO_OK : nomem(c);
}

static aniso_status add_merge(ctx *c, bpe *m, size_t rank, const char *a, size_t al, const char *b,
                              size_t bl, sbuf *tmp)
{
    int32_t ia = strmap_get(&m->vocab, a, al), ib = strmap_get(&m->vocab, b, bl);
    if (ia < 0 || ib < 0)
        return FAIL(c, ANISO_FORMAT, "%s: merge %zu names '%s', which is not in the vocabulary",
                    c->name, rank, ia < 0 ? a : b);
    if (bl < m->prefix_len)
        return FAIL(c, ANISO_FORMAT, "%s: merge %zu: '%s' is shorter than the subword prefix",
                    c->name, rank, b);
    tmp->n = 0;
    if (sbuf_add(tmp, a, al) || sbuf_add(tmp, b + m->prefix_len, bl - m->prefix_len) ||
        sbuf_add(tmp, "", 1))
        return nomem(c);
    int32_t id = strmap_get(&m->vocab, tmp->p, tmp->n - 1);
    if (id < 0)
        return FAIL(c, ANISO_FORMAT, "%s: merge %zu makes '%s', which is not in the vocabulary",
                    c->name, rank, tmp->p);
    if (rank > UINT32_MAX) return FAIL(c, ANISO_FORMAT, "%s: too many merges", c->name);
    uint64_t key = ((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib;
    if (u64map_put(&m->merges, key, ((uint64_t)rank << 32) | (uint32_t)id)) return nomem(c);
    return ANISO_OK;
}

static aniso_status parse_bpe(ctx *c, const aj *o, bpe *m)
{
    aniso_status st;
    memset(m, 0, sizeof *m);
    m->unk_id = -1;
    if (!aj_is_object(o)) return FAIL(c, ANISO_FORMAT, "%s: missing 'model'", c->name);
    const char *type = aj_str(aj_get(o, "type"));
    if (type && strcmp(type, "BPE") != 0)
        return FAIL(c, ANISO_UNSUPPORTED, "%s: unsupported model type '%s' (only BPE is supported)",
                    c->name, type);
    aj *dropout = aj_get(o, "dropout");
    if (dropout && !aj_is_null(dropout) && aj_num(dropout) != 0.0)
        return FAIL(c, ANISO_UNSUPPORTED, "%s: model: BPE dropout is random and not supported",
                    c->name);
    aj *vocab = aj_get(o, "vocab"), *merges = aj_get(o, "merges");
    if (!aj_is_object(vocab))
        return FAIL(c, ANISO_FORMAT, "%s: model: missing 'vocab' object", c->name);
    if (!aj_is_array(merges))
        return FAIL(c, ANISO_FORMAT, "%s: model: missing 'merges' list", c->name);
    size_t n = aj_size(vocab);
    if (n > INT32_MAX) return FAIL(c, ANISO_FORMAT, "%s: vocabulary too large", c->name);
    m->n_vocab = (int32_t)n;
    m->tokens = calloc(n ? n : 1, sizeof *m->tokens);
    m->token_lens = calloc(n ? n : 1, sizeof *m->token_lens);
    if (!m->tokens || !m->token_lens || strmap_init(&m->vocab, n)) return nomem(c);
    for (void *it = aj_iter(vocab); it; it = aj_iter_next(vocab, it)) {
        const char *key = aj_iter_key(it);
        aj *v = aj_iter_value(it);
        if (!aj_is_integer(v))
            return FAIL(c, ANISO_FORMAT, "%s: vocab: id of '%s' must be an integer", c->name, key);
        long long id = aj_int(v);
        if (id < 0 || id >= (long long)n)
            return FAIL(c, ANISO_FORMAT, "%s: vocab: id %lld of '%s' is out of range (0 to %zu)",
                        c->name, id, key, n - 1);
        if (m->tokens[id])
            return FAIL(c, ANISO_FORMAT, "%s: vocab: '%s' and '%s' both have id %lld", c->name,
                        m->tokens[id], key, id);
        size_t kl = strlen(key);
        if (!(m->tokens[id] = dup_n(key, kl))) return nomem(c);
        m->token_lens[id] = kl;
        if (strmap_put(&m->vocab, m->tokens[id], kl, (int32_t)id)) return nomem(c);
    }
    if ((st = opt_affix(c, o, "continuing_subword_prefix", &m->prefix, &m->prefix_len)) ||
        (st = opt_affix(c, o, "end_of_word_suffix", &m->suffix, &m->suffix_len)) ||
        (st = opt_bool(c, o, "model", "fuse_unk", 0, &m->fuse_unk)) ||
        (st = opt_bool(c, o, "model", "byte_fallback", 0, &m->byte_fallback)) ||
        (st = opt_bool(c, o, "model", "ignore_merges", 0, &m->ignore_merges)))
        return st;
    aj *unk = aj_get(o, "unk_token");
    if (aj_is_string(unk)) {
        m->unk_id = strmap_get(&m->vocab, aj_str(unk), aj_str_len(unk));
        if (m->unk_id < 0)
            return FAIL(c, ANISO_FORMAT, "%s: model: unk_token '%s' is not in the vocabulary",
                        c->name, aj_str(unk));
    } else if (unk && !aj_is_null(unk)) {
        return FAIL(c, ANISO_FORMAT, "%s: model: 'unk_token' must be a string or null", c->name);
    }
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        m->byte_ids[b] = strmap_get(&m->vocab, name, 6);
    }
    if (u64map_init(&m->merges, aj_size(merges))) return nomem(c);
    sbuf tmp = {0};
    size_t rank = 0;
    st = ANISO_OK;
    for (size_t i = 0; i < aj_size(merges) && !st; i++) {
        aj *e = aj_at(merges, i);
        if (aj_is_string(e)) {
            const char *s = aj_str(e), *sp = strchr(s, ' ');
            if (strncmp(s, "#version", 8) == 0) continue;
            if (!sp || strchr(sp + 1, ' ') || aj_str_len(e) != strlen(s))
                st = FAIL(c, ANISO_FORMAT,
                          "%s: merge %zu '%s' is not two tokens separated by one space", c->name,
                          rank, s);
            else
                st = add_merge(c, m, rank++, s, (size_t)(sp - s), sp + 1, strlen(sp + 1), &tmp);
        } else if (aj_is_array(e) && aj_size(e) == 2 && aj_is_string(aj_at(e, 0)) &&
                   aj_is_string(aj_at(e, 1))) {
            aj *a = aj_at(e, 0), *b = aj_at(e, 1);
            st = add_merge(c, m, rank++, aj_str(a), aj_str_len(a), aj_str(b), aj_str_len(b), &tmp);
        } else {
            st = FAIL(c, ANISO_FORMAT, "%s: merge %zu must be \"a b\" or [\"a\", \"b\"]", c->name,
                      rank);
        }
    }
    free(tmp.p);
    return st;
}

/* ---- added tokens */

static aniso_status parse_added(ctx *c, const aj *list, aniso_tokenizer *tk)
{
    if (!list || aj_is_null(list)) return ANISO_OK;
    if (!aj_is_array(list))
        return FAIL(c, ANISO_FORMAT, "%s: 'added_tokens' must be a list", c->name);
    size_t n = aj_size(list);
    tk->added = calloc(n ? n : 1, sizeof *tk->added);
    if (!tk->added) return nomem(c);
    strmap by_content;
    if (strmap_init(&by_content, n)) return nomem(c);
    int32_t next_id = tk->model.n_vocab;
    aniso_status st = ANISO_OK;
    for (size_t i = 0; i < n && !st; i++) {
        aj *o = aj_at(list, i);
        const char *content = aj_str(aj_get(o, "content"));
        aj *idv = aj_get(o, "id");
        if (!aj_is_object(o) || !content || !aj_is_integer(idv)) {
            st = FAIL(c, ANISO_FORMAT,
                      "%s: added token %zu needs a string 'content' and an "
                      "integer 'id'",
                      c->name, i);
            break;
        }
        size_t len = aj_str_len(aj_get(o, "content"));
        if (len == 0) continue; /* ignored by the tokenizers library too */
        /* The id the tokenizers library assigns: an earlier added token with the
         * same content, else the vocabulary's id, else the next free id. */
        int32_t id = strmap_get(&by_content, content, len);
        int fresh = id < 0;
        if (id < 0) id = strmap_get(&tk->model.vocab, content, len);
        if (id < 0) id = next_id++;
        if (aj_int(idv) != id) {
            st = FAIL(c, ANISO_FORMAT,
                      "%s: added token '%s' has id %lld, but the tokenizers library gives it %d",
                      c->name, content, aj_int(idv), id);
            break;
        }
        added_token *a = NULL;
        if (!fresh) /* same content again: the later entry's options win */
            for (size_t k = 0; k < tk->n_added; k++)
                if (tk->added[k].id == id) a = &tk->added[k];
        if (!a) {
            a = &tk->added[tk->n_added++];
            if (!(a->content = dup_n(content, len)) ||
                strmap_put(&by_content, a->content, len, id)) {
                st = nomem(c);
                break;
            }
            a->len = len;
            a->id = id;
        }
        const char *w = "added token";
        if ((st = opt_bool(c, o, w, "special", 0, &a->special)) ||
            (st = opt_bool(c, o, w, "single_word", 0, &a->single_word)) ||
            (st = opt_bool(c, o, w, "lstrip", 0, &a->lstrip)) ||
            (st = opt_bool(c, o, w, "rstrip", 0, &a->rstrip)) ||
            (st = opt_bool(c, o, w, "normalized", !a->special, &a->normalized)))
            break;
        if (id >= tk->n_ids) tk->n_ids = id + 1;
    }
    strmap_free(&by_content);
    if (st) return st;
    /* Normalised forms and the two tries. */
    for (size_t i = 0; i < tk->n_added; i++) {
        added_token *a = &tk->added[i];
        if (a->normalized && tk->norm) {
            sbuf out = {0};
            int nrc = normalize_text(tk->norm, a->content, a->len, &out);
            if (nrc || sbuf_add(&out, "", 1)) {
                free(out.p);
                if (nrc == TK_TOO_LONG || nrc == TK_REGEX)
                    return FAIL(c, ANISO_FORMAT, "%s: added token %zu: %s", c->name, i,
                                nrc == TK_REGEX
                                    ? "the normalizer's regular expression gave up on its content"
                                    : "the normalizer grows its content without bound");
                return nomem(c);
            }
            a->normed = out.p;
            a->normed_len = out.n - 1;
        }
        const char *s = a->normalized && a->normed ? a->normed : a->content;
        size_t sl = a->normalized && a->normed ? a->normed_len : a->len;
        if (sl == 0) continue;
        if (trie_add(a->normalized ? &tk->normed_trie : &tk->raw_trie, s, sl, (int32_t)i))
            return nomem(c);
    }
    return ANISO_OK;
}

/* ---- post-processors */

static aniso_status id_list(ctx *c, const aj *arr, const char *where, int32_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!aj_is_array(arr))
        return FAIL(c, ANISO_FORMAT, "%s: %s: expected a list of ids", c->name, where);
    *out = malloc((aj_size(arr) + 1) * sizeof **out);
    if (!*out) return nomem(c);
    for (size_t i = 0; i < aj_size(arr); i++) {
        aj *v = aj_at(arr, i);
        if (!aj_is_integer(v) || aj_int(v) < 0 || aj_int(v) >= INT32_MAX) {
            free(*out);
            *out = NULL;
            *n = 0;
            return FAIL(c, ANISO_FORMAT, "%s: %s: id out of range", c->name, where);
        }
        (*out)[(*n)++] = (int32_t)aj_int(v);
    }
    return ANISO_OK;
}

static aniso_status append_ids(ctx *c, int32_t **dst, size_t *n, const int32_t *src, size_t k)
{
    int32_t *p = realloc(*dst, (*n + k + 1) * sizeof *p);
    if (!p) return nomem(c);
    if (k) memcpy(p + *n, src, k * sizeof *p);
    *dst = p;
    *n += k;
    return ANISO_OK;
}

static aniso_status parse_template(ctx *c, const aj *o, post *p)
{
    aj *single = aj_get(o, "single"), *specials = aj_get(o, "special_tokens");
    if (!aj_is_array(single))
        return FAIL(c, ANISO_FORMAT, "%s: post_processor TemplateProcessing: missing 'single'",
                    c->name);
    int seen_a = 0;
    aniso_status st;
    for (size_t i = 0; i < aj_size(single); i++) {
        aj *item = aj_at(single, i), *sp = aj_get(item, "SpecialToken"),
           *seq = aj_get(item, "Sequence");
        if (seq) {
            const char *which = aj_str(aj_get(seq, "id"));
            if (!which || strcmp(which, "A") != 0 || seen_a)
                return FAIL(c, ANISO_UNSUPPORTED,
                            "%s: post_processor TemplateProcessing: the "
                            "single template must hold sequence A once",
                            c->name);
            seen_a = 1;
            continue;
        }
        const char *name = aj_str(aj_get(sp, "id"));
        if (!name)
            return FAIL(c, ANISO_FORMAT, "%s: post_processor TemplateProcessing: bad template item",
                        c->name);
        aj *def = aj_get(specials, name);
        if (!def)
            return FAIL(c, ANISO_FORMAT,
                        "%s: post_processor TemplateProcessing names special "
                        "token '%s', which special_tokens lacks",
                        c->name, name);
        int32_t *ids;
        size_t k;
        if ((st = id_list(c, aj_get(def, "ids"), "TemplateProcessing special token", &ids, &k)))
            return st;
        st = seen_a ? append_ids(c, &p->after, &p->n_after, ids, k)
                    : append_ids(c, &p->before, &p->n_before, ids, k);
        free(ids);
        if (st) return st;
    }
    return ANISO_OK;
}

/* ["[CLS]", 101] */
static aniso_status token_pair(ctx *c, const aj *v, const char *where, int32_t **dst, size_t *n)
{
    aj *id = aj_at(v, 1);
    if (!aj_is_array(v) || aj_size(v) != 2 || !aj_is_integer(id) || aj_int(id) < 0 ||
        aj_int(id) >= INT32_MAX)
        return FAIL(c, ANISO_FORMAT, "%s: %s: expected [token, id]", c->name, where);
    int32_t x = (int32_t)aj_int(id);
    return append_ids(c, dst, n, &x, 1);
}

/* The ids a post-processor adds count among the tokenizer's ids (a model
 * whose embedding lacks one then refuses it, as it refuses any id). */
static void post_raise_n_ids(const post *p, int32_t *n_ids)
{
    for (size_t i = 0; i < p->n_before; i++)
        if (p->before[i] >= *n_ids) *n_ids = p->before[i] + 1;
    for (size_t i = 0; i < p->n_after; i++)
        if (p->after[i] >= *n_ids) *n_ids = p->after[i] + 1;
    for (size_t i = 0; i < p->n_items; i++) post_raise_n_ids(&p->items[i], n_ids);
}

static aniso_status parse_post(ctx *c, const aj *o, post *p)
{
    memset(p, 0, sizeof *p);
    const char *type = aj_str(aj_get(o, "type"));
    aniso_status st;
    if (!type) return FAIL(c, ANISO_FORMAT, "%s: post_processor without a 'type'", c->name);
    if (strcmp(type, "TemplateProcessing") == 0) {
        p->kind = POST_TEMPLATE;
        return parse_template(c, o, p);
    }
    if (strcmp(type, "ByteLevel") == 0) {
        p->kind = POST_BYTE_LEVEL;
        return ANISO_OK;
    }
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        p->kind = POST_TEMPLATE;
        if ((st = token_pair(c, aj_get(o, "cls"), type, &p->before, &p->n_before))) return st;
        return token_pair(c, aj_get(o, "sep"), type, &p->after, &p->n_after);
    }
    if (strcmp(type, "Sequence") == 0) {
        p->kind = POST_SEQUENCE;
        aj *items = aj_get(o, "processors");
        if (!aj_is_array(items))
            return FAIL(c, ANISO_FORMAT, "%s: post_processor Sequence: missing 'processors' list",
                        c->name);
        p->items = calloc(aj_size(items) + 1, sizeof *p->items);
        if (!p->items) return nomem(c);
        for (size_t i = 0; i < aj_size(items); i++) {
            p->n_items++;
            if ((st = parse_post(c, aj_at(items, i), &p->items[i]))) return st;
        }
        return ANISO_OK;
    }
    return FAIL(c, ANISO_UNSUPPORTED, "%s: unsupported post_processor type '%s'", c->name, type);
}

static void post_free(post *p)
{
    if (!p) return;
    free(p->before);
    free(p->after);
    for (size_t i = 0; i < p->n_items; i++) post_free(&p->items[i]);
    free(p->items);
}

/* ---- the whole file */

aniso_tokenizer *aniso_tokenizer_parse(const char *json, size_t len, const char *name,
                                       aniso_error *err)
{
    ctx c = {name, err};
    aniso_tokenizer *tk = calloc(1, sizeof *tk);
    aj *root = NULL;
    if (!tk) {
        nomem(&c);
        return NULL;
    }
    if (!(tk->name = dup_n(name, strlen(name)))) goto nomem;
    if (!(root = aj_parse(json, len, name, err))) goto fail;
    if (!aj_is_object(root)) {
        FAIL(&c, ANISO_FORMAT, "%s: expected a JSON object, found %s", name, aj_type_name(root));
        goto fail;
    }
    aj *version = aj_get(root, "version");
    if (version && !(aj_str(version) && strcmp(aj_str(version), "1.0") == 0)) {
        FAIL(&c, ANISO_UNSUPPORTED, "%s: unknown tokenizer version (expected \"1.0\")", name);
        goto fail;
    }
    aj *trunc = aj_get(root, "truncation");
    if (trunc && !aj_is_null(trunc)) {
        FAIL(&c, ANISO_UNSUPPORTED,
             "%s: truncation is set; it would cut the ids, so it is not "
             "supported",
             name);
        goto fail;
    }
    aj *pad = aj_get(root, "padding");
    if (pad && !aj_is_null(pad) && !aj_is_string(aj_get(pad, "strategy"))) {
        FAIL(&c, ANISO_UNSUPPORTED, "%s: fixed-length padding is not supported", name);
        goto fail;
    }
    if (parse_bpe(&c, aj_get(root, "model"), &tk->model)) goto fail;
    tk->n_ids = tk->model.n_vocab;
    aj *v;
    if ((v = aj_get(root, "normalizer")) && !aj_is_null(v)) {
        if (!(tk->norm = calloc(1, sizeof *tk->norm))) goto nomem;
        if (parse_normalizer(&c, v, tk->norm)) goto fail;
    }
    if ((v = aj_get(root, "pre_tokenizer")) && !aj_is_null(v)) {
        if (!(tk->pre = calloc(1, sizeof *tk->pre))) goto nomem;
        if (parse_pretok(&c, v, tk->pre)) goto fail;
    }
    if ((v = aj_get(root, "post_processor")) && !aj_is_null(v)) {
        if (!(tk->post = calloc(1, sizeof *tk->post))) goto nomem;
        if (parse_post(&c, v, tk->post)) goto fail;
        post_raise_n_ids(tk->post, &tk->n_ids);
    }
    if (parse_added(&c, aj_get(root, "added_tokens"), tk)) goto fail;
    aj_free(root);
    return tk;
nomem:
    nomem(&c);
fail:
    aj_free(root);
    aniso_tokenizer_free(tk);
    return NULL;
}

aniso_tokenizer *aniso_tokenizer_load(const char *path, aniso_error *err)
{
    char *buf;
    size_t len;
    if (read_small_file(path, TOKENIZER_LIMIT, &buf, &len, err)) return NULL;
    aniso_tokenizer *tk = aniso_tokenizer_parse(buf, len, path, err);
    free(buf);
    return tk;
}

/* A special token named in tokenizer_config.json: "<s>" or {"content": "<s>", ...}. */
static const char *config_token(const aj *cfg, const char *key)
{
    aj *v = aj_get(cfg, key);
    return aj_is_string(v) ? aj_str(v) : aj_str(aj_get(v, "content"));
}

/* transformers 4.57: the Llama, Gemma and GPT-NeoX tokenizer classes
 * replace the file's post-processor in __init__ (update_post_processor): BOS
 * when add_bos_token, EOS when add_eos_token, read from
 * tokenizer_config.json with the class's defaults. Other classes keep
 * tokenizer.json's.
 * transformers 5.x: add_bos_token / add_eos_token are dropped whenever a
 * tokenizer.json exists, so tokenizer.json's post-processor decides (a null
 * one adds nothing), except that the GPT-NeoX class always rebuilds it
 * without special tokens. */
static aniso_status apply_tokenizer_class(aniso_tokenizer *tk, const char *dir, int v5,
                                          aniso_error *err)
{
    static const struct {
        const char *name;
        int bos, eos;
    } classes[] = {
        {"LlamaTokenizer", 1, 0},       {"LlamaTokenizerFast", 1, 0},
        {"CodeLlamaTokenizer", 1, 0},   {"CodeLlamaTokenizerFast", 1, 0},
        {"GemmaTokenizer", 1, 0},       {"GemmaTokenizerFast", 1, 0},
        {"GPTNeoXTokenizerFast", 0, 0}, {"GPTNeoXTokenizer", 0, 0},
    };
    char *path = path_join(dir, "tokenizer_config.json"), *buf = NULL;
    size_t len;
    aj *cfg = NULL;
    aniso_status st = ANISO_OK;
    if (!path) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", dir);
    if (!path_exists(path)) goto out;
    if ((st = read_small_file(path, 64u << 20, &buf, &len, err))) goto out;
    if (!(cfg = aj_parse_lenient(buf, len, path, err))) {
        st = err ? err->code : ANISO_FORMAT;
        goto out;
    }
    const char *cls = aj_str(aj_get(cfg, "tokenizer_class"));
    int k = -1;
    for (size_t i = 0; cls && i < sizeof classes / sizeof classes[0]; i++)
        if (!strcmp(cls, classes[i].name)) k = (int)i;
    if (k < 0 || (v5 && strncmp(cls, "GPTNeoX", 7))) goto out;
    ctx c = {path, err};
    int add[2] = {classes[k].bos, classes[k].eos};
    if (v5) add[0] = add[1] = 0;
    const char *keys[2] = {"add_bos_token", "add_eos_token"}, *toks[2] = {"bos_token", "eos_token"};
    int32_t ids[2];
    for (int i = 0; i < 2; i++) {
        if (!v5 && (st = opt_bool(&c, cfg, "tokenizer_config", keys[i], add[i], &add[i]))) goto out;
        if (!add[i]) continue;
        const char *t = config_token(cfg, toks[i]);
        ids[i] = t ? aniso_tokenizer_token_id(tk, t) : -1;
        if (ids[i] < 0) {
            st = aniso_error_set(err, ANISO_FORMAT, "%s: %s is true but %s %s%s%s", path, keys[i],
                                 toks[i], t ? "'" : "is not set", t ? t : "",
                                 t ? "' is not in the vocabulary" : "");
            goto out;
        }
    }
    post *p = calloc(1, sizeof *p);
    if (!p || (add[0] && append_ids(&c, &p->before, &p->n_before, &ids[0], 1)) ||
        (add[1] && append_ids(&c, &p->after, &p->n_after, &ids[1], 1))) {
        post_free(p);
        free(p);
        st = aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
        goto out;
    }
    p->kind = POST_TEMPLATE;
    post_free(tk->post);
    free(tk->post);
    tk->post = p;
out:
    aj_free(cfg);
    free(buf);
    free(path);
    return st;
}

aniso_tokenizer *aniso_tokenizer_open(const char *model, const aniso_open_opts *opts,
                                      aniso_error *err)
{
    if (is_file(model)) {
        if (aniso_gguf_is_file(model)) {
            aniso_gguf *g = aniso_gguf_open(model, err);
            aniso_tokenizer *tk = g ? tokenizer_from_gguf(g, err) : NULL;
            aniso_gguf_free(g);
            return tk;
        }
        return aniso_tokenizer_load(model, err);
    }
    char *dir = NULL;
    if (aniso_hf_resolve(model, opts ? opts->cache_dir : NULL, opts ? opts->revision : NULL, &dir,
                         err))
        return NULL;
    char *path = path_join(dir, "tokenizer.json");
    if (!path) {
        free(dir);
        aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", model);
        return NULL;
    }
    aniso_tokenizer *tk = NULL;
    int sem = 0;
    if (!path_exists(path))
        aniso_error_set(err, ANISO_NOT_FOUND, "%s: not found", path);
    else if ((sem = aniso_config_semantics(dir, opts ? &opts->config : NULL, err)) > 0)
        tk = aniso_tokenizer_load(path, err);
    if (tk && apply_tokenizer_class(tk, dir, sem == ANISO_HF_V5, err)) {
        aniso_tokenizer_free(tk);
        tk = NULL;
    }
    free(path);
    free(dir);
    return tk;
}

void aniso_tokenizer_free(aniso_tokenizer *tk)
{
    if (!tk) return;
    normalizer_free(tk->norm);
    free(tk->norm);
    pretok_free(tk->pre);
    free(tk->pre);
    post_free(tk->post);
    free(tk->post);
    bpe_free(&tk->model);
    for (size_t i = 0; i < tk->n_added; i++) {
        free(tk->added[i].content);
        free(tk->added[i].normed);
    }
    free(tk->added);
    trie_free(&tk->raw_trie);
    trie_free(&tk->normed_trie);
    free(tk->w.arena.p);
    free(tk->w.scratch.p);
    free(tk->w.a.v);
    free(tk->w.b.v);
    bpe_scratch_free(&tk->w.bpe);
    free(tk->name);
    free(tk);
}
