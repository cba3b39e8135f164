/* test_safetensors.c - the safetensors reader on images built in code: one
 * valid file read back field by field, and one named case per malformation,
 * each checked for its exact message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

#define NAME "t.safetensors"

/* Parses header + data_len zero bytes and expects failure with message msg. */
static void expect_error(const char *header, size_t data_len, const char *msg)
{
    size_t len;
    unsigned char *img = st_image(header, data_len, &len);
    aniso_error err;
    aniso_st *st = aniso_st_parse(img, len, NAME, &err);
    assert_null(st);
    assert_string_equal(err.msg, msg);
    free(img);
}

static void valid_file(void **state)
{
    (void)state;
    const char *h = "{\"__metadata__\":{\"format\":\"pt\"},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                    "\"z\":{\"dtype\":\"F16\",\"shape\":[0,5],\"data_offsets\":[30,30]}}   ";
    size_t len;
    unsigned char *img = st_image(h, 30, &len);
    aniso_error err;
    aniso_st *st = aniso_st_parse(img, len, NAME, &err);
    assert_non_null(st);
    assert_int_equal(aniso_st_count(st), 3);
    const aniso_tensor *a = aniso_st_find(st, "a");
    assert_non_null(a);
    assert_int_equal(a->dtype, ANISO_DTYPE_F32);
    assert_int_equal(a->n_dims, 2);
    assert_int_equal(a->shape[0], 2);
    assert_int_equal(a->shape[1], 3);
    assert_int_equal(a->n_elem, 6);
    assert_int_equal(a->nbytes, 24);
    assert_ptr_equal(a->data, img + 8 + strlen(h));
    const aniso_tensor *b = aniso_st_find(st, "b");
    assert_int_equal(b->dtype, ANISO_DTYPE_BF16);
    assert_ptr_equal(b->data, img + 8 + strlen(h) + 24);
    const aniso_tensor *z = aniso_st_find(st, "z");
    assert_int_equal(z->n_elem, 0);
    assert_null(aniso_st_find(st, "__metadata__"));
    assert_null(aniso_st_find(st, "c"));
    assert_string_equal(aniso_st_at(st, 0)->name, "a"); /* name order */
    assert_string_equal(aniso_st_at(st, 2)->name, "z");
    aniso_st_free(st);
    free(img);
}

static void empty_header_object(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = st_image("{}", 0, &len);
    aniso_error err;
    aniso_st *st = aniso_st_parse(img, len, NAME, &err);
    assert_non_null(st);
    assert_int_equal(aniso_st_count(st), 0);
    aniso_st_free(st);
    free(img);
}

static void too_short(void **state)
{
    (void)state;
    aniso_error err;
    assert_null(aniso_st_parse("abc", 3, NAME, &err));
    assert_string_equal(err.msg,
                        NAME ": too short for a safetensors file (3 bytes, header length needs 8)");
}

static void header_larger_than_file(void **state)
{
    (void)state;
    unsigned char img[16] = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    aniso_error err;
    assert_null(aniso_st_parse(img, sizeof img, NAME, &err));
    assert_string_equal(err.msg,
                        NAME ": header length 100 is larger than the rest of the file (8 bytes)");
}

static void header_over_limit(void **state)
{
    (void)state;
    /* 200,000,000 = 0x0BEBC200 */
    unsigned char img[16] = {0x00, 0xC2, 0xEB, 0x0B, 0, 0, 0, 0, '{', '}'};
    aniso_error err;
    assert_null(aniso_st_parse(img, sizeof img, NAME, &err));
    assert_string_equal(err.msg,
                        NAME ": header length 200000000 exceeds the limit of 100000000 bytes");
}

static void header_length_huge(void **state)
{
    (void)state;
    unsigned char img[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    aniso_error err;
    assert_null(aniso_st_parse(img, sizeof img, NAME, &err));
    assert_string_equal(err.msg, NAME ": header length 18446744073709551615 exceeds the limit "
                                      "of 100000000 bytes");
}

static void header_not_json(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = st_image("{\"a\": nope}", 0, &len);
    aniso_error err;
    assert_null(aniso_st_parse(img, len, NAME, &err));
    assert_string_equal(err.msg, NAME ": header: not valid JSON (line 1, column 10: invalid token "
                                      "near 'nope')");
    free(img);
}

static void header_not_object(void **state)
{
    (void)state;
    expect_error("[1, 2]", 0, NAME ": header does not start with '{'");
}

static void header_duplicate_key(void **state)
{
    (void)state;
    size_t len;
    unsigned char *img = st_image("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                                  "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                                  2, &len);
    aniso_error err;
    assert_null(aniso_st_parse(img, len, NAME, &err));
    assert_true(strstr(err.msg, NAME ": header: not valid JSON (") == err.msg);
    assert_non_null(strstr(err.msg, "duplicate object key"));
    free(img);
}

static void entry_not_object(void **state)
{
    (void)state;
    expect_error("{\"a\": [1]}", 0, NAME ": tensor 'a': expected an object, found array");
}

static void unknown_dtype(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16,
                 NAME ": tensor 'a' has unknown dtype 'F128'");
}

static void dtype_not_string(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                 NAME ": tensor 'a': dtype must be a string");
}

static void negative_dimension(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,4]}}", 4,
                 NAME ": tensor 'a' has a negative dimension (-3) in its shape");
}

static void shape_not_integers(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8,
                 NAME ": tensor 'a': shape must be an array of integers");
}

static void shape_overflow(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                 "\"data_offsets\":[0,4]}}",
                 4, NAME ": tensor 'a': shape [4294967296, 4294967296] overflows 64 bits");
}

static void byte_size_overflow(void **state)
{
    (void)state;
    /* 2^62 elements fit, 2^62 * 4 bytes do not. */
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
                 "\"data_offsets\":[0,4]}}",
                 4, NAME ": tensor 'a': shape [4611686018427387904] overflows 64 bits");
}

static void too_many_dims(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}",
                 1, NAME ": tensor 'a' has 9 dimensions (at most 8 are supported)");
}

static void offsets_malformed(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 1,
                 NAME ": tensor 'a': data_offsets must be [begin, end] with non-negative integers");
    expect_error("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[-1,0]}}", 1,
                 NAME ": tensor 'a': data_offsets must be [begin, end] with non-negative integers");
}

static void offsets_reversed(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,1]}}", 2,
                 NAME ": tensor 'a' has data_offsets [2, 1] with begin after end");
}

static void offsets_outside_data(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                 NAME ": tensor 'a' has data_offsets [0, 16] outside the data section (8 bytes)");
}

static void offsets_disagree_with_shape(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,12]}}", 12,
                 NAME ": tensor 'a' has 12 bytes in data_offsets but F32 x [2, 3] needs 24");
}

static void overlapping_tensors(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                 12, NAME ": tensor 'b' [4, 12] overlaps tensor 'a' [0, 8]");
}

static void hole_between_tensors(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                 "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                 12,
                 NAME ": 4 unused bytes before tensor 'b' (data_offsets must tile the data "
                      "section)");
}

static void trailing_bytes(void **state)
{
    (void)state;
    expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 10,
                 NAME ": 6 bytes after the last tensor's data");
}

static void metadata_not_strings(void **state)
{
    (void)state;
    expect_error("{\"__metadata__\":{\"format\":1}}", 0,
                 NAME ": __metadata__ value of 'format' is integer, expected a string");
    expect_error("{\"__metadata__\":[]}", 0, NAME ": __metadata__ must be an object of strings");
}

static void open_missing_file(void **state)
{
    (void)state;
    aniso_error err;
    assert_null(aniso_st_open("/nonexistent/x.safetensors", &err));
    assert_string_equal(err.msg, "/nonexistent/x.safetensors: not found");
    assert_int_equal(err.code, ANISO_NOT_FOUND);
}

static void dtype_table(void **state)
{
    (void)state;
    assert_int_equal(aniso_dtype_parse("BF16"), ANISO_DTYPE_BF16);
    assert_int_equal(aniso_dtype_size(ANISO_DTYPE_BF16), 2);
    assert_int_equal(aniso_dtype_size(ANISO_DTYPE_F64), 8);
    assert_int_equal(aniso_dtype_parse("bf16"), -1);
    for (int d = 0; d <= ANISO_DTYPE_U64; d++)
        assert_int_equal(aniso_dtype_parse(aniso_dtype_name((aniso_dtype)d)), d);
    /* ggml's block types are not safetensors dtypes. */
    assert_int_equal(aniso_dtype_parse("Q4_K"), -1);
    assert_int_equal(aniso_dtype_from_ggml(12), ANISO_DTYPE_Q4_K);
    assert_int_equal(aniso_dtype_from_ggml(16), -1); /* IQ2_XXS: not read */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_file),
        cmocka_unit_test(empty_header_object),
        cmocka_unit_test(too_short),
        cmocka_unit_test(header_larger_than_file),
        cmocka_unit_test(header_over_limit),
        cmocka_unit_test(header_length_huge),
        cmocka_unit_test(header_not_json),
        cmocka_unit_test(header_not_object),
        cmocka_unit_test(header_duplicate_key),
        cmocka_unit_test(entry_not_object),
        cmocka_unit_test(unknown_dtype),
        cmocka_unit_test(dtype_not_string),
        cmocka_unit_test(negative_dimension),
        cmocka_unit_test(shape_not_integers),
        cmocka_unit_test(shape_overflow),
        cmocka_unit_test(byte_size_overflow),
        cmocka_unit_test(too_many_dims),
        cmocka_unit_test(offsets_malformed),
        cmocka_unit_test(offsets_reversed),
        cmocka_unit_test(offsets_outside_data),
        cmocka_unit_test(offsets_disagree_with_shape),
        cmocka_unit_test(overlapping_tensors),
        cmocka_unit_test(hole_between_tensors),
        cmocka_unit_test(trailing_bytes),
        cmocka_unit_test(metadata_not_strings),
        cmocka_unit_test(open_missing_file),
        cmocka_unit_test(dtype_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
