/* tok.h - internal structures of the tokenizer.json pipeline:
 *   added tokens -> normalizer -> pre-tokenizer -> BPE -> post-processor,
 * as the tokenizers library runs it (see docs/TOKENIZERS.md). Components are
 * parsed from JSON once into these enums and structs; encoding never looks
 * at strings from the file again. */
#ifndef ANISO_TOK_H
#define ANISO_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/tokenizer.h"
#include "base/hash.h"
#include "tokenizer/regex.h"

/* ---- growable byte buffer and the pieces of text that flow between stages */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

int sbuf_reserve(sbuf *b, size_t extra);
int sbuf_add(sbuf *b, const void *s, size_t n);

/* A piece of text: a span of an arena buffer, or an already-final token. */
typedef struct piece {
    size_t off, len; /* in the arena */
    int32_t id;      /* >= 0: an added token, final */
    int at_start;    /* starts at offset 0 of the original text */
} piece;

typedef struct pieces {
    piece *v;
    size_t n, cap;
} pieces;

int pieces_add(pieces *p, size_t off, size_t len, int32_t id, int at_start);

/* Reusable buffers of the BPE merge loop (bpe.c). */
typedef struct bpe_scratch {
    void *syms, *heap;
    size_t syms_cap, heap_cap;
    sbuf tmp;
} bpe_scratch;

/* The working state of one encode call. */
typedef struct work {
    sbuf arena;   /* all piece text */
    sbuf scratch; /* temporary output of one transformation */
    pieces a, b;  /* current and next piece lists */
    bpe_scratch bpe;
} work;

/* ---- normalizers */

typedef enum norm_kind {
    NORM_NFC,
    NORM_NFD,
    NORM_NFKC,
    NORM_NFKD,
    NORM_REPLACE,
    NORM_PREPEND,
    NORM_LOWERCASE,
    NORM_STRIP,
    NORM_SEQUENCE,
} norm_kind;

typedef struct normalizer {
    norm_kind kind;
    re *pattern;   /* REPLACE */
    char *content; /* REPLACE: replacement; PREPEND: prefix */
    size_t content_len;
    int strip_left, strip_right;
    struct normalizer *items; /* SEQUENCE */
    size_t n_items;
} normalizer;

/* ---- pre-tokenizers */

typedef enum split_behavior {
    SPLIT_REMOVED,
    SPLIT_ISOLATED,
    SPLIT_MERGED_WITH_PREVIOUS,
    SPLIT_MERGED_WITH_NEXT,
    SPLIT_CONTIGUOUS,
} split_behavior;

typedef enum pretok_kind {
    PT_BYTE_LEVEL,
    PT_SPLIT,
    PT_METASPACE,
    PT_WHITESPACE,
    PT_WHITESPACE_SPLIT,
    PT_DIGITS,
    PT_PUNCTUATION,
    PT_SEQUENCE,
} pretok_kind;

typedef enum prepend_scheme { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } prepend_scheme;

typedef struct pretok {
    pretok_kind kind;
    int add_prefix_space, use_regex; /* BYTE_LEVEL */
    re *pattern;                     /* SPLIT, or BYTE_LEVEL's GPT-2 regex */
    split_behavior behavior;         /* SPLIT, PUNCTUATION */
    int invert;                      /* SPLIT */
    int32_t replacement;             /* METASPACE */
    prepend_scheme prepend;          /* METASPACE */
    int split;                       /* METASPACE */
    int individual_digits;           /* DIGITS */
    struct pretok *items;            /* SEQUENCE */
    size_t n_items;
} pretok;

/* ---- BPE model */

typedef struct bpe {
    strmap vocab;  /* token string -> id */
    char **tokens; /* (n_vocab) id -> token string */
    size_t *token_lens;
    int32_t n_vocab;
    u64map merges;  /* (a << 32 | b) -> (rank << 32 | merged id) */
    int32_t unk_id; /* -1: none */
    int fuse_unk, byte_fallback, ignore_merges;
    char *prefix, *suffix; /* continuing_subword_prefix, end_of_word_suffix, or NULL */
    size_t prefix_len, suffix_len;
    int32_t byte_ids[256]; /* ids of "<0xXX>" tokens, -1 where absent */
    float *scores;         /* SentencePiece-style merging by token score (GGUF "llama"
                              vocabularies, as llama.cpp does), or NULL for merges by rank */
} bpe;

/* ---- added tokens */

typedef struct added_token {
    char *content;
    size_t len;
    char *normed; /* content through the normalizer (normalized tokens) */
    size_t normed_len;
    int32_t id;
    int single_word, lstrip, rstrip, normalized, special;
} added_token;

/* A byte trie over added-token strings, for leftmost-longest matching. */
typedef struct trie_node {
    int32_t child, sibling; /* -1 = none */
    int32_t token;          /* index into added[], -1 = none */
    unsigned char byte;
} trie_node;

typedef struct trie {
    trie_node *nodes; /* nodes[0] is the root */
    size_t n, cap;
} trie;

/* ---- post-processors */

typedef enum post_kind { POST_TEMPLATE, POST_BYTE_LEVEL, POST_SEQUENCE } post_kind;

typedef struct post {
    post_kind kind;
    int32_t *before, *after; /* TEMPLATE (also Bert/Roberta): ids around the sequence */
    size_t n_before, n_after;
    struct post *items; /* SEQUENCE */
    size_t n_items;
} post;

struct aniso_tokenizer {
    char *name;
    normalizer *norm; /* NULL = none */
    pretok *pre;      /* NULL = none */
    bpe model;
    added_token *added;
    size_t n_added;
    trie raw_trie, normed_trie; /* added tokens matched before / after normalisation */
    post *post;                 /* NULL = none */
    int32_t n_ids;              /* one past the largest id */
    work w;                     /* scratch of encode calls */
};

/* Failures of the encode stages, beyond -1 (out of memory). */
enum { TK_TOO_LONG = -2, TK_REGEX = -3 };

/* normalize.c. Returns 0, -1 (out of memory), TK_REGEX (a pattern's match
 * gave up) or TK_TOO_LONG: a normalizer chain may not grow a piece past
 * NORM_GROWTH times its length plus NORM_SLACK bytes (no normalizer of the
 * tokenizers library grows text by more than 18 times, NFKD's worst case;
 * a Replace or Prepend chain can grow it without bound). */
#define NORM_GROWTH 32
#define NORM_SLACK  4096
int normalize_text(const normalizer *n, const char *s, size_t len, sbuf *out);
void normalizer_free(normalizer *n);
/* pretokenize.c. Returns 0, -1 (out of memory), TK_REGEX, or TK_TOO_LONG
 * when the arena grows past limit bytes (a Sequence of ByteLevel steps
 * doubles the text at each). */
int pretokenize(const pretok *p, work *w, size_t limit);
/* The most bytes an encode call's arena may hold for a text of len bytes:
 * the text, its normalised copy and the pre-tokenizer's rewrites. */
#define TK_ARENA_LIMIT(len) ((len) > SIZE_MAX / 256 ? SIZE_MAX : (len)*128 + 65536)
void pretok_free(pretok *p);
/* bpe.c */
int bpe_tokenize(const bpe *m, const char *word, size_t len, bpe_scratch *sc, aniso_ids *out);
void bpe_scratch_free(bpe_scratch *sc);
void bpe_free(bpe *m);
/* spm.c: a word by SentencePiece-style scores (bpe.scores != NULL). */
int spm_tokenize(const bpe *m, const char *word, size_t len, bpe_scratch *sc, aniso_ids *out);
/* gguf_vocab.c */
struct aniso_gguf;
aniso_tokenizer *tokenizer_from_gguf(const struct aniso_gguf *g, aniso_error *err);
/* added.c */
int trie_add(trie *t, const char *s, size_t len, int32_t token);
void trie_free(trie *t);
int split_added(const aniso_tokenizer *tk, const trie *t, work *w);

#endif
