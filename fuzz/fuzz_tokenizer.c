/* fuzz_tokenizer.c - arbitrary bytes as tokenizer.json and as text.
 *
 * Even first byte: the rest is a tokenizer.json; if it loads, a fixed text
 * is encoded with it. Odd first byte: the rest is text, encoded with one of
 * two built-in tokenizers (bit 1 of the first byte chooses) that exercise
 * most components (byte-level BPE with added tokens; byte-fallback BPE
 * behind normalizer and pre-tokenizer sequences). Every id must be below
 * the tokenizer's n_ids, and every error must be one line. The seeds
 * (tools/fuzz/make_tokenizer_seeds.py) are small, and scripts/fuzz.sh caps
 * inputs at 768 bytes, so that a run makes >= 10k executions a second. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static aniso_tokenizer *builtin[2];

/* A vocabulary of every "<0xXX>" byte token, letters, digits and a few merges. */
static char *make_json(int kind)
{
    size_t cap = 1 << 16, n = 0;
    char *j = malloc(cap);
    int id = 0;
#define P(...) (n += (size_t)snprintf(j + n, cap - n, __VA_ARGS__))
    if (kind == 0)
        P("{\"version\":\"1.0\",\"added_tokens\":["
          "{\"id\":0,\"content\":\"<|endoftext|>\",\"special\":true,\"normalized\":false},"
          "{\"id\":1,\"content\":\"<mask>\",\"special\":true,\"lstrip\":true,\"rstrip\":true,"
          "\"normalized\":false},"
          "{\"id\":2,\"content\":\"  \",\"special\":false,\"normalized\":true}],"
          "\"normalizer\":{\"type\":\"NFC\"},"
          "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true},"
          "\"post_processor\":{\"type\":\"ByteLevel\"},"
          "\"model\":{\"type\":\"BPE\",\"vocab\":{\"<|endoftext|>\":0,\"<mask>\":1,\"  \":2");
    else
        P("{\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
          "{\"id\":1,\"content\":\"<s>\",\"special\":true,\"single_word\":true}],"
          "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},"
          "{\"type\":\"Lowercase\"},{\"type\":\"Strip\"},{\"type\":\"Prepend\",\"prepend\":\"_\"},"
          "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"content\":\" \"}]},"
          "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Digits\"},"
          "{\"type\":\"Punctuation\",\"behavior\":\"MergedWithNext\"},"
          "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(?i:ab|c)\"},\"behavior\":\"Contiguous\","
          "\"invert\":true},{\"type\":\"Whitespace\"},"
          "{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"first\"}]},"
          "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":"
          "{\"id\":\"<s>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],"
          "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1],\"tokens\":[\"<s>\"]}}},"
          "\"model\":{\"type\":\"BPE\",\"unk_token\":\"<unk>\",\"fuse_unk\":true,"
          "\"byte_fallback\":true,\"vocab\":{\"<unk>\":0,\"<s>\":1,\"\\u2581\":2");
    id = 3;
    if (kind == 1)
        for (int b = 0; b < 256; b++) P(",\"<0x%02X>\":%d", b, id++);
    for (char c = 'a'; c <= 'z'; c++) P(",\"%c\":%d", c, id++);
    for (char c = '0'; c <= '9'; c++) P(",\"%c\":%d", c, id++);
    P(",\"ab\":%d,\"abc\":%d,\"th\":%d,\"the\":%d}", id, id + 1, id + 2, id + 3);
    P(",\"merges\":[\"a b\",\"ab c\",[\"t\",\"h\"],[\"th\",\"e\"]]}}");
#undef P
    return j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aniso_error err;
    if (!builtin[0])
        for (int k = 0; k < 2; k++) {
            char *j = make_json(k);
            builtin[k] = aniso_tokenizer_parse(j, strlen(j), "builtin", &err);
            free(j);
            if (!builtin[k]) {
                fprintf(stderr, "%s\n", err.msg);
                abort();
            }
        }
    if (size == 0) return 0;
    char *buf = malloc(size);
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    aniso_ids ids = {0};
    if (data[0] & 1) {
        aniso_tokenizer *tk = builtin[(data[0] >> 1) & 1];
        if (aniso_tokenizer_encode(tk, buf, size - 1, 1, &ids, &err) == ANISO_OK) {
            for (size_t i = 0; i < ids.n; i++)
                if (ids.v[i] < 0 || ids.v[i] >= aniso_tokenizer_n_ids(tk)) abort();
        } else if (!err.msg[0] || strchr(err.msg, '\n')) {
            abort();
        }
    } else {
        aniso_tokenizer *tk = aniso_tokenizer_parse(buf, size - 1, "fuzz.json", &err);
        if (tk) {
            static const char text[] = "Hello  world <mask> 123 caf\xc3\xa9 \xf0\x9f\xa4\x96 the";
            if (aniso_tokenizer_encode(tk, text, sizeof text - 1, 1, &ids, &err) == ANISO_OK) {
                for (size_t i = 0; i < ids.n; i++)
                    if (ids.v[i] < 0 || ids.v[i] >= aniso_tokenizer_n_ids(tk)) abort();
            }
            aniso_tokenizer_free(tk);
        } else if (!err.msg[0] || strchr(err.msg, '\n')) {
            abort();
        }
    }
    aniso_ids_free(&ids);
    free(buf);
    return 0;
}
