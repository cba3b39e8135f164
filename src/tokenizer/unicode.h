/* unicode.h - the one adapter over utf8proc: UTF-8 decoding and encoding,
 * normalisation forms, case mapping, and the character classes that the
 * tokenizers library takes from Rust's char methods. */
#ifndef ANISO_UNICODE_H
#define ANISO_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the code point at s[*i] (s must be valid UTF-8) and advances *i. */
int32_t uc_next(const char *s, size_t len, size_t *i);
/* Byte length of the UTF-8 sequence starting with byte b (1 for invalid). */
size_t uc_seq_len(unsigned char b);
/* Writes cp as UTF-8 into out (4 bytes of room); returns the byte count. */
size_t uc_encode(int32_t cp, char *out);
/* 1 when s[0..len) is valid UTF-8; else 0 with *bad set to the offset of
 * the first invalid byte. */
int uc_valid(const char *s, size_t len, size_t *bad);

typedef enum uc_form { UC_NFC, UC_NFD, UC_NFKC, UC_NFKD } uc_form;
/* Normalises s into a malloc'd buffer (*out, *out_len); 0 on success. */
int uc_normalize(const char *s, size_t len, uc_form form, char **out, size_t *out_len);

/* Full lowercase mapping of cp, as Rust's char::to_lowercase: writes 1 or 2
 * code points into out and returns how many. */
int uc_lower(int32_t cp, int32_t out[2]);

int uc_is_whitespace(int32_t cp);  /* White_Space (Rust char::is_whitespace) */
int uc_is_numeric(int32_t cp);     /* Nd, Nl, No (Rust char::is_numeric) */
int uc_is_punctuation(int32_t cp); /* ASCII punctuation or P* */
int uc_is_word(int32_t cp);        /* Rust regex \w: L, M, Nd, Nl, Pc, ZWNJ, ZWJ */

#endif
