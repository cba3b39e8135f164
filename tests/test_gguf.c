/* test_gguf.c - the GGUF reader on files built in code: one valid file read
 * back, and one named case per malformation (docs/GGUF.md section 6), each
 * checked for its message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

#define NAME "t.gguf"

typedef struct buf {
    unsigned char *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void u32(buf *b, uint32_t v)
{
    put(b, &v, 4);
}
static void u64(buf *b, uint64_t v)
{
    put(b, &v, 8);
}
static void str(buf *b, const char *s)
{
    u64(b, strlen(s));
    put(b, s, strlen(s));
}
static void pad(buf *b, size_t align)
{
    while (b->n % align) put(b, "", 1);
}

/* A small valid file: 3 KVs, two tensors (F32 [4], Q8_0 [2, 32]). */
static buf valid_file(void)
{
    buf b = {0};
    put(&b, "GGUF", 4);
    u32(&b, 3);
    u64(&b, 2); /* tensors */
    u64(&b, 3); /* kvs */
    str(&b, "general.architecture");
    u32(&b, 8);
    str(&b, "gemma3");
    str(&b, "x.count");
    u32(&b, 4);
    u32(&b, 7);
    str(&b, "x.list");
    u32(&b, 9);
    u32(&b, 8);
    u64(&b, 2);
    str(&b, "a");
    str(&b, "bc");
    str(&b, "v");
    u32(&b, 1);
    u64(&b, 4);
    u32(&b, 0);
    u64(&b, 0);
    str(&b, "q");
    u32(&b, 2);
    u64(&b, 32);
    u64(&b, 2);
    u32(&b, 8);
    u64(&b, 32);
    pad(&b, 32);
    float v[4] = {1, 2, 3, 4};
    put(&b, v, 16);
    pad(&b, 32);
    unsigned char q[68] = {0};
    q[0] = 0x00, q[1] = 0x3c; /* d = 1.0 */
    q[2] = 5;                 /* first element 5 */
    put(&b, q, 68);
    return b;
}

static void valid(void **state)
{
    (void)state;
    buf b = valid_file();
    aniso_error err;
    aniso_gguf *g = aniso_gguf_parse(b.p, b.n, NAME, &err);
    if (!g) fail_msg("%s", err.msg);
    assert_int_equal(aniso_gguf_version(g), 3);
    assert_int_equal(aniso_gguf_kv_count(g), 3);
    char s[32];
    assert_int_equal(aniso_gguf_get_str(g, "general.architecture", 0, s, sizeof s, &err), 0);
    assert_string_equal(s, "gemma3");
    long long c;
    assert_int_equal(aniso_gguf_get_int(g, "x.count", 0, 0, 100, &c, &err), 0);
    assert_int_equal(c, 7);
    const aniso_gguf_kv *l = aniso_gguf_find(g, "x.list");
    assert_int_equal(l->count, 2);
    assert_int_equal(l->strs[1].len, 2);
    const aniso_tensor *q = aniso_gguf_find_tensor(g, "q");
    assert_non_null(q);
    assert_int_equal(q->dtype, ANISO_DTYPE_Q8_0);
    assert_int_equal(q->shape[0], 2); /* PyTorch order: ne reversed */
    assert_int_equal(q->shape[1], 32);
    assert_int_equal(q->nbytes, 68);
    const aniso_tensor *v = aniso_gguf_find_tensor(g, "v");
    assert_true(((const float *)v->data)[3] == 4.0f);
    assert_int_equal(aniso_gguf_get_int(g, "x.count", 0, 0, 5, &c, &err), -1);
    assert_string_equal(err.msg, NAME ": key 'x.count' = 7 is out of range (0 to 5)");
    assert_int_equal(aniso_gguf_get_int(g, "x.none", 0, 0, 5, &c, &err), -1);
    assert_string_equal(err.msg, NAME ": missing metadata key 'x.none'");
    aniso_gguf_free(g);
    free(b.p);
}

static void expect(const buf *b, const char *msg)
{
    aniso_error err;
    aniso_gguf *g = aniso_gguf_parse(b->p, b->n, NAME, &err);
    if (g) aniso_gguf_free(g);
    assert_null(g);
    assert_string_equal(err.msg, msg);
}

/* The valid file with the bytes at off replaced. */
static void patched(size_t off, const void *bytes, size_t n, const char *msg)
{
    buf b = valid_file();
    memcpy(b.p + off, bytes, n);
    expect(&b, msg);
    free(b.p);
}

static size_t find(const buf *b, const char *s)
{
    for (size_t i = 0; i + strlen(s) <= b->n; i++)
        if (!memcmp(b->p + i, s, strlen(s))) return i;
    fail_msg("no %s", s);
    return 0;
}

static void truncated(void **state)
{
    (void)state;
    buf b = valid_file();
    b.n = 20;
    expect(&b, NAME ": too short for a GGUF file (20 bytes)");
    b.n = 140; /* inside the tensor infos */
    aniso_error err;
    assert_null(aniso_gguf_parse(b.p, b.n, NAME, &err));
    assert_true(strncmp(err.msg, NAME ": truncated: ", strlen(NAME ": truncated: ")) == 0);
    free(b.p);
}

static void wrong_magic(void **state)
{
    (void)state;
    patched(0, "GGML", 4, NAME ": not a GGUF file (bad magic)");
}

static void bad_version(void **state)
{
    (void)state;
    uint32_t v = 1;
    patched(4, &v, 4, NAME ": unsupported GGUF version 1 (2 and 3 are)");
    v = 0x03000000;
    patched(4, &v, 4, NAME ": big-endian GGUF files are not supported");
}

static void absurd_counts(void **state)
{
    (void)state;
    uint64_t n = 1ull << 40;
    buf b = valid_file();
    char *msg = fmt(
        NAME ": absurd counts (2 tensors, 1099511627776 metadata keys) for a %zu-byte file", b.n);
    patched(16, &n, 8, msg);
    free(msg);
    free(b.p);
}

static void absurd_string_length(void **state)
{
    (void)state;
    uint64_t n = 1ull << 50;
    patched(24, &n, 8, NAME ": a metadata key has an absurd length (1125899906842624 bytes)");
}

static void invalid_value_type(void **state)
{
    (void)state;
    buf b = valid_file();
    uint32_t t = 13;
    size_t off = find(&b, "x.count") + 7;
    memcpy(b.p + off, &t, 4);
    expect(&b, NAME ": key 'x.count' has invalid value type 13");
    free(b.p);
}

static void nested_array(void **state)
{
    (void)state;
    buf b = valid_file();
    uint32_t t = 9;
    size_t off = find(&b, "x.list") + 6 + 4;
    memcpy(b.p + off, &t, 4);
    expect(&b, NAME ": key 'x.list': unsupported nested array element type 9");
    free(b.p);
}

static void duplicate_key(void **state)
{
    (void)state;
    buf c = {0};
    put(&c, "GGUF", 4);
    u32(&c, 3);
    u64(&c, 0);
    u64(&c, 2);
    for (int i = 0; i < 2; i++) {
        str(&c, "k.same");
        u32(&c, 4);
        u32(&c, 1);
    }
    expect(&c, NAME ": duplicate metadata key 'k.same'");
    free(c.p);
}

static void bad_alignment(void **state)
{
    (void)state;
    buf c = {0};
    put(&c, "GGUF", 4);
    u32(&c, 3);
    u64(&c, 0);
    u64(&c, 1);
    str(&c, "general.alignment");
    u32(&c, 4);
    u32(&c, 24);
    expect(&c, NAME ": general.alignment must be a UINT32 power of two");
    free(c.p);
}

static void tensor_past_end(void **state)
{
    (void)state;
    buf b = valid_file();
    b.n -= 10;
    expect(&b, NAME ": tensor 'q' data (68 bytes at offset 32) run past the end of the file");
    free(b.p);
}

static void overlapping_tensors(void **state)
{
    (void)state;
    buf b = valid_file();
    uint64_t off = 0;
    memcpy(b.p + find(&b, "q") + 1 + 4 + 16 + 4, &off, 8); /* q's offset -> 0, over v */
    expect(&b, NAME ": tensors 'v' and 'q' overlap");
    free(b.p);
}

static void misaligned_offset(void **state)
{
    (void)state;
    buf b = valid_file();
    uint64_t off = 36;
    memcpy(b.p + find(&b, "q") + 1 + 4 + 16 + 4, &off, 8);
    expect(&b, NAME ": tensor 'q' offset 36 is not a multiple of the alignment 32");
    free(b.p);
}

static void unknown_type(void **state)
{
    (void)state;
    buf b = valid_file();
    uint32_t t = 16; /* IQ2_XXS */
    memcpy(b.p + find(&b, "q") + 1 + 4 + 16, &t, 4);
    expect(&b, NAME ": tensor 'q' has unsupported tensor type IQ2_XXS (16)");
    t = 99;
    memcpy(b.p + find(&b, "q") + 1 + 4 + 16, &t, 4);
    expect(&b, NAME ": tensor 'q' has unsupported tensor type unknown (99)");
    free(b.p);
}

static void bad_dims(void **state)
{
    (void)state;
    buf b = valid_file();
    uint32_t nd = 5;
    memcpy(b.p + find(&b, "q") + 1, &nd, 4);
    expect(&b, NAME ": tensor 'q' has 5 dimensions (at most 4)");
    free(b.p);
    b = valid_file();
    uint64_t ne0 = 33;
    memcpy(b.p + find(&b, "q") + 1 + 4, &ne0, 8);
    expect(&b, NAME ": tensor 'q': row length 33 is not a multiple of the Q8_0 block (32)");
    free(b.p);
}

static void unknown_architecture(void **state)
{
    (void)state;
    buf b = valid_file();
    memcpy(b.p + find(&b, "gemma3"), "gpt5xx", 6);
    char *tmp = make_temp_dir(), *p = fmt("%s/m.gguf", tmp);
    write_file(p, b.p, b.n);
    aniso_error err;
    assert_null(aniso_model_open(p, NULL, &err));
    char *want = fmt("%s: unsupported architecture 'gpt5xx' (supported: gemma, gemma2, gemma3, "
                     "gpt2, gptneox, llama, olmo2, phi3, qwen2, qwen3)",
                     p);
    assert_string_equal(err.msg, want);
    rm_rf(tmp);
    free(want), free(p), free(tmp), free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid),
        cmocka_unit_test(truncated),
        cmocka_unit_test(wrong_magic),
        cmocka_unit_test(bad_version),
        cmocka_unit_test(absurd_counts),
        cmocka_unit_test(absurd_string_length),
        cmocka_unit_test(invalid_value_type),
        cmocka_unit_test(nested_array),
        cmocka_unit_test(duplicate_key),
        cmocka_unit_test(bad_alignment),
        cmocka_unit_test(tensor_past_end),
        cmocka_unit_test(overlapping_tensors),
        cmocka_unit_test(misaligned_offset),
        cmocka_unit_test(unknown_type),
        cmocka_unit_test(bad_dims),
        cmocka_unit_test(unknown_architecture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
