/* gguf_vocab.c - a tokenizer from a GGUF file's tokenizer.ggml.* metadata.
 *
 * "llama" (SentencePiece) vocabularies become: control, user-defined and
 * unknown tokens matched in the raw text; each remaining piece with spaces
 * as U+2581 (and a leading one when add_space_prefix); words merged by
 * token score with <0xXX> byte fallback, as llama.cpp does. "gpt2"
 * vocabularies become byte-level BPE with the file's merges and the
 * pre-tokenizer named by tokenizer.ggml.pre. Both get BOS/EOS from the
 * file's add_bos_token / add_eos_token. The pipeline is expressed as a
 * tokenizer.json built in memory, so one parser validates both formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/gguf.h"
#include "base/base.h"
#include "io/json.h"
#include "tokenizer/tok.h"
#include "tokenizer/unicode.h"

static const char llama3_regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Qwen 2's: Llama 3's with single digits. */
static const char qwen2_regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* The byte-level pre-tokenizers of GGUF's tokenizer.ggml.pre, as the Hugging
 * Face tokenizer.json files of those families define them: a Split by
 * regex (NULL: ByteLevel's own GPT-2 regex), ignore_merges, and an NFC
 * normalizer (Qwen's files have one; GGUF cannot say so). */
typedef struct bpe_pre {
    const char *name;
    const char *regex;
    int ignore_merges, nfc;
} bpe_pre;

static const bpe_pre bpe_pres[] = {
    {"default", NULL, 0, 0},           {"gpt-2", NULL, 0, 0},          {"olmo", NULL, 0, 0},
    {"llama-bpe", llama3_regex, 1, 0}, {"llama3", llama3_regex, 1, 0}, {"dbrx", llama3_regex, 0, 0},
    {"qwen2", qwen2_regex, 0, 1},
};

static aj *obj_type(const char *type)
{
    aj *o = aj_new_object();
    if (o && aj_set(o, "type", aj_new_string(type, strlen(type)))) {
        aj_free(o);
        return NULL;
    }
    return o;
}

static aj *str_pattern(const char *key, const char *s)
{
    aj *o = aj_new_object();
    if (o && aj_set(o, key, aj_new_string(s, strlen(s)))) {
        aj_free(o);
        return NULL;
    }
    return o;
}

aniso_tokenizer *tokenizer_from_gguf(const aniso_gguf *g, aniso_error *err)
{
    const char *path = aniso_gguf_path(g);
    char model[32] = "", pre[64] = "";
    aj *root = NULL;
    float *scores = NULL;
    aniso_tokenizer *tk = NULL;
    strmap seen = {0};
    if (aniso_gguf_get_str(g, "tokenizer.ggml.model", 0, model, sizeof model, err)) return NULL;
    int spm = !strcmp(model, "llama"), gpt2 = !strcmp(model, "gpt2");
    if (!spm && !gpt2) {
        aniso_error_set(err, ANISO_UNSUPPORTED,
                        "%s: unsupported tokenizer model '%s' (supported: llama, gpt2)", path,
                        model);
        return NULL;
    }
    if (aniso_gguf_get_str(g, "tokenizer.ggml.pre", 1, pre, sizeof pre, err)) return NULL;
    const aniso_gguf_kv *toks = aniso_gguf_find(g, "tokenizer.ggml.tokens");
    const aniso_gguf_kv *types = aniso_gguf_find(g, "tokenizer.ggml.token_type");
    const aniso_gguf_kv *sc = aniso_gguf_find(g, "tokenizer.ggml.scores");
    const aniso_gguf_kv *merges = aniso_gguf_find(g, "tokenizer.ggml.merges");
    if (!toks || toks->type != ANISO_GGUF_ARRAY || toks->elem_type != ANISO_GGUF_STRING ||
        toks->count == 0 || toks->count > (1u << 24)) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: tokenizer.ggml.tokens must be a non-empty string "
                        "array",
                        path);
        return NULL;
    }
    size_t n = (size_t)toks->count;
    int numeric_types = types && types->type == ANISO_GGUF_ARRAY &&
                        types->elem_type != ANISO_GGUF_STRING && types->count >= n;
    if (types && !numeric_types) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: tokenizer.ggml.token_type must be a numeric array "
                        "with one entry per token",
                        path);
        return NULL;
    }
    if (spm && (!sc || sc->type != ANISO_GGUF_ARRAY || sc->elem_type == ANISO_GGUF_STRING ||
                sc->count < n)) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: a llama (SentencePiece) vocabulary needs "
                        "tokenizer.ggml.scores with one number per token",
                        path);
        return NULL;
    }
    if (gpt2 &&
        (!merges || merges->type != ANISO_GGUF_ARRAY || merges->elem_type != ANISO_GGUF_STRING)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: a gpt2 vocabulary needs tokenizer.ggml.merges",
                        path);
        return NULL;
    }
    long long bos = -1, eos = -1;
    int add_bos = spm, add_eos = 0, add_space = spm;
    if (aniso_gguf_get_int(g, "tokenizer.ggml.bos_token_id", 1, 0, (long long)n - 1, &bos, err) ||
        aniso_gguf_get_int(g, "tokenizer.ggml.eos_token_id", 1, 0, (long long)n - 1, &eos, err) ||
        aniso_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", 1, &add_bos, err) ||
        aniso_gguf_get_bool(g, "tokenizer.ggml.add_eos_token", 1, &add_eos, err) ||
        aniso_gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", 1, &add_space, err))
        return NULL;
    if ((add_bos && bos < 0) || (add_eos && eos < 0)) {
        aniso_error_set(err, ANISO_FORMAT, "%s: add_%s_token is set but there is no %s token id",
                        path, add_bos && bos < 0 ? "bos" : "eos",
                        add_bos && bos < 0 ? "bos" : "eos");
        return NULL;
    }
    /* The vocabulary, and the special tokens matched in the raw text. */
    aj *vocab = aj_new_object(), *added = aj_new_array(), *mlist = aj_new_array();
    root = aj_new_object();
    int bad = !vocab || !added || !mlist || !root || strmap_init(&seen, n);
    for (size_t i = 0; i < n && !bad; i++) {
        const aniso_gguf_str *t = &toks->strs[i];
        size_t at;
        if (t->len == 0 || memchr(t->p, 0, (size_t)t->len)) {
            aniso_error_set(err, ANISO_FORMAT, "%s: token %zu is empty or holds a NUL byte", path,
                            i);
            goto fail;
        }
        if (!uc_valid(t->p, (size_t)t->len, &at)) {
            aniso_error_set(err, ANISO_FORMAT, "%s: token %zu is not valid UTF-8 (byte %zu)", path,
                            i, at);
            goto fail;
        }
        if (strmap_get(&seen, t->p, (size_t)t->len) >= 0) {
            aniso_error_set(err, ANISO_FORMAT, "%s: token %zu duplicates token %d", path, i,
                            strmap_get(&seen, t->p, (size_t)t->len));
            goto fail;
        }
        bad = strmap_put(&seen, t->p, (size_t)t->len, (int32_t)i);
        char *key = malloc((size_t)t->len + 1);
        if (!key) break;
        memcpy(key, t->p, (size_t)t->len);
        key[t->len] = '\0';
        bad = bad || aj_set(vocab, key, aj_new_int((long long)i));
        double tv = numeric_types ? aniso_gguf_arr_num(types, i) : 1;
        if (!(tv >= 0 && tv <= 6) || tv != (int)tv) { /* found by fuzz_gguf */
            free(key);
            aniso_error_set(err, ANISO_FORMAT, "%s: token %zu has an invalid token type", path, i);
            goto fail;
        }
        int type = (int)tv;
        if (type == 2 || type == 3 || type == 4) { /* unknown, control, user-defined */
            aj *a = aj_new_object();
            bad = bad || !a || aj_set(a, "id", aj_new_int((long long)i)) ||
                  aj_set(a, "content", aj_new_string(key, (size_t)t->len)) ||
                  aj_set(a, "normalized", aj_new_bool(0)) ||
                  aj_set(a, "special", aj_new_bool(type != 4));
            if (a && bad)
                aj_free(a);
            else if (a)
                bad = aj_append(added, a);
        }
        free(key);
    }
    if (bad) goto nomem;
    for (uint64_t i = 0; gpt2 && i < merges->count && !bad; i++) {
        aj *ms = aj_new_string(merges->strs[i].p, (size_t)merges->strs[i].len);
        if (!ms) { /* found by fuzz_gguf: a merge that is not UTF-8 */
            aniso_error_set(err, ANISO_FORMAT, "%s: merge %llu is not valid UTF-8", path,
                            (unsigned long long)i);
            goto fail;
        }
        bad = aj_append(mlist, ms);
    }
    if (bad) goto nomem;
    aj *m = obj_type("BPE");
    bad = bad || !m || aj_set(m, "vocab", vocab) || (vocab = NULL, aj_set(m, "merges", mlist)) ||
          (mlist = NULL, aj_set(m, "byte_fallback", aj_new_bool(spm))) || aj_set(root, "model", m);
    if (bad) goto nomem;
    bad = aj_set(root, "added_tokens", added);
    added = NULL;
    if (spm) {
        /* ' ' -> U+2581, then (add_space_prefix) one leading U+2581 per piece. */
        aj *nl = aj_new_array(), *rep = obj_type("Replace"), *norm = obj_type("Sequence");
        bad = bad || !nl || !rep || !norm || aj_set(rep, "pattern", str_pattern("String", " ")) ||
              aj_set(rep, "content", aj_new_string("\xe2\x96\x81", 3)) || aj_append(nl, rep);
        if (add_space && !bad) {
            aj *pp = obj_type("Prepend");
            bad =
                !pp || aj_set(pp, "prepend", aj_new_string("\xe2\x96\x81", 3)) || aj_append(nl, pp);
        }
        bad = bad || aj_set(norm, "normalizers", nl) || aj_set(root, "normalizer", norm);
    } else {
        aj *bl = obj_type("ByteLevel");
        const bpe_pre *bp = NULL;
        for (size_t i = 0; i < sizeof bpe_pres / sizeof bpe_pres[0]; i++)
            if (!strcmp(pre[0] ? pre : "default", bpe_pres[i].name)) bp = &bpe_pres[i];
        if (!bp) {
            aj_free(bl);
            aniso_error_set(err, ANISO_UNSUPPORTED,
                            "%s: unsupported pre-tokenizer '%s' (supported: "
                            "default, gpt-2, olmo, llama-bpe, dbrx, qwen2)",
                            path, pre);
            goto fail;
        }
        bad = bad || !bl || aj_set(bl, "add_prefix_space", aj_new_bool(0)) ||
              aj_set(bl, "use_regex", aj_new_bool(!bp->regex));
        if (bp->regex && !bad) {
            aj *seq = obj_type("Sequence"), *items = aj_new_array(), *sp = obj_type("Split");
            bad = !seq || !items || !sp || aj_set(sp, "pattern", str_pattern("Regex", bp->regex)) ||
                  aj_set(sp, "behavior", aj_new_string("Isolated", 8)) || aj_append(items, sp) ||
                  aj_append(items, bl) || aj_set(seq, "pretokenizers", items) ||
                  aj_set(root, "pre_tokenizer", seq) ||
                  aj_set(aj_get(root, "model"), "ignore_merges", aj_new_bool(bp->ignore_merges));
        } else {
            bad = bad || aj_set(root, "pre_tokenizer", bl);
        }
        if (bp->nfc && !bad) {
            aj *nfc = obj_type("NFC");
            bad = !nfc || aj_set(root, "normalizer", nfc);
        }
    }
    /* [bos] $A [eos] */
    aj *tpl = obj_type("TemplateProcessing"), *single = aj_new_array(), *specials = aj_new_object();
    bad = bad || !tpl || !single || !specials;
    const char *names[2] = {"bos", "eos"};
    long long ids[2] = {bos, eos};
    int adds[2] = {add_bos, add_eos};
    for (int k = 0; k < 2 && !bad; k++) {
        if (k == 1) {
            aj *seq = aj_new_object(), *a = aj_new_object();
            bad = !seq || !a || aj_set(a, "id", aj_new_string("A", 1)) ||
                  aj_set(seq, "Sequence", a) || aj_append(single, seq);
        }
        if (!adds[k] || bad) continue;
        aj *st = aj_new_object(), *ref = aj_new_object(), *def = aj_new_object(),
           *idl = aj_new_array();
        bad = !st || !ref || !def || !idl || aj_set(ref, "id", aj_new_string(names[k], 3)) ||
              aj_set(st, "SpecialToken", ref) || aj_append(single, st) ||
              aj_append(idl, aj_new_int(ids[k])) || aj_set(def, "ids", idl) ||
              aj_set(specials, names[k], def);
    }
    bad = bad || aj_set(tpl, "single", single) || aj_set(tpl, "special_tokens", specials) ||
          aj_set(root, "post_processor", tpl);
    if (bad) goto nomem;
    char *text = aj_dump(root, 0);
    if (!text) goto nomem;
    tk = aniso_tokenizer_parse(text, strlen(text), path, err);
    free(text);
    if (!tk) goto fail;
    if (spm) {
        /* Merging by score, with every byte token present (llama.cpp aborts
         * on a missing one; this is an error instead). */
        if (!(scores = malloc(n * sizeof *scores))) goto nomem;
        for (size_t i = 0; i < n; i++) scores[i] = (float)aniso_gguf_arr_num(sc, i);
        for (int b = 0; b < 256; b++)
            if (tk->model.byte_ids[b] < 0) {
                aniso_error_set(err, ANISO_FORMAT, "%s: no byte token <0x%02X> for byte fallback",
                                path, b);
                goto fail;
            }
        tk->model.scores = scores;
        scores = NULL;
    }
    aj_free(root);
    strmap_free(&seen);
    return tk;
nomem:
    aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
fail:
    aj_free(vocab), aj_free(added), aj_free(mlist), aj_free(root);
    strmap_free(&seen);
    free(scores);
    aniso_tokenizer_free(tk);
    return NULL;
}
