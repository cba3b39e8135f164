/* prompts.h - the texts a profile is measured on. */
#ifndef ANISO_PROMPTS_H
#define ANISO_PROMPTS_H

#include <stddef.h>

#include "aniso/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aniso_prompts {
    char **text; /* (n) NUL-terminated UTF-8, owned */
    size_t *len; /* (n) byte lengths */
    size_t n;
} aniso_prompts;

/* The notebook's 16 prompts (factual, reasoning, creative, technical,
 * abstract, conversational, and two from its dataset). */
aniso_status aniso_prompts_default(aniso_prompts *out, aniso_error *err);

/* Reads a prompt file: JSONL (one object with a string "text" per line) when
 * the name ends in .jsonl or the first non-blank character is '{', else plain
 * text with one prompt per line. Blank lines are skipped; a trailing CR is
 * dropped. Invalid UTF-8 is an error naming the line and byte offset. */
aniso_status aniso_prompts_load(const char *path, aniso_prompts *out, aniso_error *err);

void aniso_prompts_free(aniso_prompts *p);

#ifdef __cplusplus
}
#endif
#endif
