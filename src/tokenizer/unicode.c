/* unicode.c - utf8proc behind the uc_* adapter. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/unicode.h"

size_t uc_seq_len(unsigned char b)
{
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0) return 2;
    if ((b & 0xF0) == 0xE0) return 3;
    if ((b & 0xF8) == 0xF0) return 4;
    return 1;
}

int32_t uc_next(const char *s, size_t len, size_t *i)
{
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)s + *i, (utf8proc_ssize_t)(len - *i), &cp);
    *i += n > 0 ? (size_t)n : 1;
    return n > 0 ? cp : 0xFFFD;
}

size_t uc_encode(int32_t cp, char *out)
{
    return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

int uc_valid(const char *s, size_t len, size_t *bad)
{
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {
            if (bad) *bad = i;
            return 0;
        }
        i += (size_t)n;
    }
    return 1;
}

int uc_normalize(const char *s, size_t len, uc_form form, char **out, size_t *out_len)
{
    int flags = UTF8PROC_STABLE;
    switch (form) {
    case UC_NFC:
        flags |= UTF8PROC_COMPOSE;
        break;
    case UC_NFD:
        flags |= UTF8PROC_DECOMPOSE;
        break;
    case UC_NFKC:
        flags |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
        break;
    case UC_NFKD:
        flags |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
        break;
    }
    if (len == 0) {
        *out = malloc(1);
        *out_len = 0;
        return *out ? 0 : -1;
    }
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &dst,
                                      (utf8proc_option_t)flags);
    if (n < 0) return -1;
    *out = (char *)dst;
    *out_len = (size_t)n;
    return 0;
}

int uc_lower(int32_t cp, int32_t out[2])
{
    /* The one unconditional multi-character lowercase mapping
     * (SpecialCasing.txt): U+0130 -> U+0069 U+0307. */
    if (cp == 0x130) {
        out[0] = 0x69;
        out[1] = 0x307;
        return 2;
    }
    out[0] = utf8proc_tolower(cp);
    return 1;
}

int uc_is_whitespace(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

int uc_is_numeric(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_ND || k == UTF8PROC_CATEGORY_NL || k == UTF8PROC_CATEGORY_NO;
}

int uc_is_punctuation(int32_t c)
{
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

int uc_is_word(int32_t c)
{
    if (c == 0x200C || c == 0x200D) return 1;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
        return 1;
    default:
        return 0;
    }
}
