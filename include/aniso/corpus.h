/* corpus.h - documents of a text corpus, read one at a time.
 *
 * Two formats: JSONL (one object per line with a string "text"; the name
 * ends in .jsonl or the first non-blank character is '{'), or plain text in
 * which documents are separated by one or more blank lines (the lines of a
 * document are joined with "\n", a trailing CR dropped). Only the current
 * document is held in memory, so a corpus of any size streams. */
#ifndef ANISO_CORPUS_H
#define ANISO_CORPUS_H

#include <stddef.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Documents larger than this are an error (they would have to be held
 * whole to be tokenized once). */
#define ANISO_CORPUS_MAX_DOC (256u << 20)

typedef struct aniso_corpus aniso_corpus;

aniso_corpus *aniso_corpus_open(const char *path, aniso_error *err);
void aniso_corpus_free(aniso_corpus *c);

/* The next document: 1 with *text (valid until the next call) and *len set,
 * 0 at the end, -1 with err set on a malformed line or a read error. The
 * text is checked to be valid UTF-8. */
int aniso_corpus_next(aniso_corpus *c, const char **text, size_t *len, aniso_error *err);

/* The 1-based line where the current document starts, for messages. */
size_t aniso_corpus_line(const aniso_corpus *c);
/* "jsonl" or "text". */
const char *aniso_corpus_format(const aniso_corpus *c);

#ifdef __cplusplus
}
#endif
#endif
