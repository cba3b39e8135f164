/* tokenizer.h - Hugging Face tokenizer.json, encoding text to the ids the
 * tokenizers library gives with add_special_tokens=True.
 *
 * Supported: the BPE model (byte-level BPE as in GPT-2, GPT-NeoX and Llama 3;
 * SentencePiece-style BPE with byte fallback as in Gemma and Llama 2), the
 * normalizers NFC, NFD, NFKC, NFKD, Replace, Prepend, Lowercase, Strip and
 * Sequence, the pre-tokenizers ByteLevel, Split, Metaspace, Whitespace,
 * WhitespaceSplit, Digits, Punctuation and Sequence, added tokens, and the
 * post-processors TemplateProcessing, ByteLevel, BertProcessing,
 * RobertaProcessing and Sequence. Any other component is an error naming
 * it. A tokenizer is not safe to use from two threads at once.
 */
#ifndef ANISO_TOKENIZER_H
#define ANISO_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"
#include "aniso/model.h"
#include "aniso/prompts.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aniso_tokenizer aniso_tokenizer;

/* A growable list of token ids; zero-initialise, free with aniso_ids_free. */
typedef struct aniso_ids {
    int32_t *v;
    size_t n, cap;
} aniso_ids;

int aniso_ids_push(aniso_ids *ids, int32_t id); /* 0, or -1 when out of memory */
void aniso_ids_free(aniso_ids *ids);

/* Parses a tokenizer.json image; name is used in messages. */
aniso_tokenizer *aniso_tokenizer_parse(const char *json, size_t len, const char *name,
                                       aniso_error *err);
/* Loads a tokenizer.json file. */
aniso_tokenizer *aniso_tokenizer_load(const char *path, aniso_error *err);
/* Loads MODEL's tokenizer: MODEL is a tokenizer.json file, a model folder
 * holding one, or a model id in the Hugging Face cache (opts as for
 * aniso_model_open). For a folder, special tokens follow transformers'
 * AutoTokenizer by the rules the folder's config.json is read by
 * (aniso_config_semantics): 4.57's Llama, Gemma and GPT-NeoX tokenizer
 * classes named by tokenizer_config.json rebuild the post-processor from
 * add_bos_token and add_eos_token (with those classes' defaults); 5.x keeps
 * tokenizer.json's, except that its GPT-NeoX class adds no special tokens;
 * other classes keep tokenizer.json's in both. */
aniso_tokenizer *aniso_tokenizer_open(const char *model, const aniso_open_opts *opts,
                                      aniso_error *err);
void aniso_tokenizer_free(aniso_tokenizer *tk);

/* Encodes UTF-8 text, appending ids to out. Invalid UTF-8 is an error
 * naming the byte offset. add_special: apply the post-processor (BOS...). */
aniso_status aniso_tokenizer_encode(aniso_tokenizer *tk, const char *text, size_t len,
                                    int add_special, aniso_ids *out, aniso_error *err);

/* Encodes every prompt (with special tokens) into one packed list: prompt p
 * is ids->v[offsets[p] .. offsets[p+1]); *offsets is malloc'd (n + 1
 * entries). A prompt with no tokens is an error naming it. */
aniso_status aniso_tokenizer_encode_prompts(aniso_tokenizer *tk, const aniso_prompts *p,
                                            aniso_ids *ids, size_t **offsets, aniso_error *err);

/* Token roles (flags), as the report's token selection names them:
 *   SPECIAL  a token the post-processor adds, or an added token marked
 *            special (matched in the text)
 *   BOS      a token the post-processor puts before the text (BOS, [CLS])
 *   FIRST    position 0 of its sequence, whatever it is */
enum { ANISO_TOKEN_SPECIAL = 1u, ANISO_TOKEN_BOS = 2u, ANISO_TOKEN_FIRST = 4u };

/* Parses "bos,first,special" (or "" / "none") into ANISO_TOKEN_* flags;
 * -1 on an unknown name. */
int aniso_token_roles_parse(const char *s, unsigned *out);
/* "bos,first" or "none" into buf. */
const char *aniso_token_roles_str(unsigned roles, char *buf, size_t cap);

/* The ids the post-processor puts before and after a sequence's text
 * (appended to before and after). */
aniso_status aniso_tokenizer_specials(const aniso_tokenizer *tk, aniso_ids *before,
                                      aniso_ids *after, aniso_error *err);
/* Whether id is an added token marked special. */
int aniso_tokenizer_is_special(const aniso_tokenizer *tk, int32_t id);
/* The roles of the n tokens of one sequence ids[0..n) that was built as
 * before + text + after (n_before and n_after: the post-processor's counts;
 * 0 and 0 for a sequence without them). */
void aniso_token_roles(const aniso_tokenizer *tk, const int32_t *ids, size_t n, size_t n_before,
                       size_t n_after, unsigned char *roles);

/* The id of token string s (added tokens first, then the vocabulary), or -1. */
int32_t aniso_tokenizer_token_id(const aniso_tokenizer *tk, const char *s);

/* The token string of id (model vocabulary or added token), or NULL. */
const char *aniso_tokenizer_token(const aniso_tokenizer *tk, int32_t id);
/* {"text": ..., "ids": [...], "tokens": [...]} on one line, malloc'd (NULL
 * when out of memory). text must be valid UTF-8. */
char *aniso_tokenizer_encoding_json(const aniso_tokenizer *tk, const char *text, size_t len,
                                    const int32_t *ids, size_t n);

/* One past the largest id the tokenizer can emit. */
int32_t aniso_tokenizer_n_ids(const aniso_tokenizer *tk);

#ifdef __cplusplus
}
#endif
#endif
