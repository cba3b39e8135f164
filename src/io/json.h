/* json.h - the one adapter over the JSON library (jansson). Nothing else in
 * the tree includes <jansson.h>. Parsing is strict: duplicate keys are an
 * error, and the whole input must be one JSON value. */
#ifndef ANISO_JSON_H
#define ANISO_JSON_H

#include <stddef.h>

#include "aniso/error.h"

typedef struct json_t aj; /* jansson's value type, kept opaque here */

/* Parses buf[0..len); on failure sets err to "NAME: not valid JSON (...)". */
aj *aj_parse(const char *buf, size_t len, const char *name, aniso_error *err);
/* The same, with integers of any size read as reals: for files whose
 * numbers are not needed exactly (tokenizer_config.json may hold integers
 * beyond 64 bits, such as model_max_length). */
aj *aj_parse_lenient(const char *buf, size_t len, const char *name, aniso_error *err);
void aj_free(aj *v);
/* A deep copy of v, owned by the caller; NULL when out of memory. */
aj *aj_copy(const aj *v);

int aj_is_object(const aj *v);
int aj_is_array(const aj *v);
int aj_is_string(const aj *v);
int aj_is_integer(const aj *v);
int aj_is_number(const aj *v); /* integer or real */
int aj_is_bool(const aj *v);
int aj_is_null(const aj *v);

/* Member of an object, or NULL (also when v is not an object). */
aj *aj_get(const aj *obj, const char *key);
/* Elements of an array or members of an object. */
size_t aj_size(const aj *v);
aj *aj_at(const aj *arr, size_t i);
const char *aj_str(const aj *v); /* NULL unless a string */
size_t aj_str_len(const aj *v);
long long aj_int(const aj *v);
double aj_num(const aj *v);
int aj_bool(const aj *v);

/* Object iteration: for (void *it = aj_iter(o); it; it = aj_iter_next(o, it)) */
void *aj_iter(const aj *obj);
void *aj_iter_next(const aj *obj, void *it);
const char *aj_iter_key(void *it);
aj *aj_iter_value(void *it);

/* Building values (for writing). Constructors return NULL when out of
 * memory; aj_set and aj_append take ownership of v (also on failure). */
aj *aj_new_object(void);
aj *aj_new_array(void);
aj *aj_new_string(const char *s, size_t len); /* s must be valid UTF-8 */
aj *aj_new_int(long long x);
aj *aj_new_real(double x);
aj *aj_new_bool(int b);
aj *aj_new_null(void);
int aj_set(aj *obj, const char *key, aj *v);
int aj_append(aj *arr, aj *v);
/* Serialises v (keys in insertion order); malloc'd, NULL when out of
 * memory. indent 0 gives one line. */
char *aj_dump(const aj *v, int indent);

/* A short name of v's type for messages: "object", "string", ... */
const char *aj_type_name(const aj *v);

#endif
