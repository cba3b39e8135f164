/* json.c - jansson behind the aj_* adapter. */
#include <jansson.h>

#include "io/json.h"

static aj *parse(const char *buf, size_t len, size_t flags, const char *name, aniso_error *err)
{
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | flags, &je);
    if (!v) {
        aniso_error_set(err, ANISO_FORMAT, "%s: not valid JSON (line %d, column %d: %s)", name,
                        je.line, je.column, je.text);
        return NULL;
    }
    return v;
}

aj *aj_parse(const char *buf, size_t len, const char *name, aniso_error *err)
{
    return parse(buf, len, 0, name, err);
}

aj *aj_parse_lenient(const char *buf, size_t len, const char *name, aniso_error *err)
{
    return parse(buf, len, JSON_DECODE_INT_AS_REAL, name, err);
}

void aj_free(aj *v)
{
    if (v) json_decref(v);
}

aj *aj_copy(const aj *v)
{
    return v ? json_deep_copy(v) : NULL;
}

int aj_is_object(const aj *v)
{
    return v && json_is_object(v);
}
int aj_is_array(const aj *v)
{
    return v && json_is_array(v);
}
int aj_is_string(const aj *v)
{
    return v && json_is_string(v);
}
int aj_is_integer(const aj *v)
{
    return v && json_is_integer(v);
}
int aj_is_number(const aj *v)
{
    return v && json_is_number(v);
}
int aj_is_bool(const aj *v)
{
    return v && json_is_boolean(v);
}
int aj_is_null(const aj *v)
{
    return v && json_is_null(v);
}

aj *aj_get(const aj *obj, const char *key)
{
    return aj_is_object(obj) ? json_object_get(obj, key) : NULL;
}

size_t aj_size(const aj *v)
{
    if (aj_is_array(v)) return json_array_size(v);
    if (aj_is_object(v)) return json_object_size(v);
    return 0;
}

aj *aj_at(const aj *arr, size_t i)
{
    return aj_is_array(arr) ? json_array_get(arr, i) : NULL;
}

const char *aj_str(const aj *v)
{
    return aj_is_string(v) ? json_string_value(v) : NULL;
}

size_t aj_str_len(const aj *v)
{
    return aj_is_string(v) ? json_string_length(v) : 0;
}

long long aj_int(const aj *v)
{
    return aj_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

double aj_num(const aj *v)
{
    return aj_is_number(v) ? json_number_value(v) : 0.0;
}

int aj_bool(const aj *v)
{
    return aj_is_bool(v) && json_is_true(v);
}

void *aj_iter(const aj *obj)
{
    return aj_is_object(obj) ? json_object_iter((json_t *)obj) : NULL;
}

void *aj_iter_next(const aj *obj, void *it)
{
    return json_object_iter_next((json_t *)obj, it);
}

const char *aj_iter_key(void *it)
{
    return json_object_iter_key(it);
}

aj *aj_iter_value(void *it)
{
    return json_object_iter_value(it);
}

const char *aj_type_name(const aj *v)
{
    if (!v) return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

aj *aj_new_object(void)
{
    return json_object();
}

aj *aj_new_array(void)
{
    return json_array();
}

aj *aj_new_string(const char *s, size_t len)
{
    return json_stringn(s, len);
}

aj *aj_new_int(long long x)
{
    return json_integer((json_int_t)x);
}

aj *aj_new_real(double x)
{
    return json_real(x);
}

aj *aj_new_bool(int b)
{
    return json_boolean(b);
}

aj *aj_new_null(void)
{
    return json_null();
}

int aj_set(aj *obj, const char *key, aj *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

int aj_append(aj *arr, aj *v)
{
    return v && json_array_append_new(arr, v) == 0 ? 0 : -1;
}

char *aj_dump(const aj *v, int indent)
{
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY;
    flags |= indent ? JSON_INDENT(indent) : JSON_COMPACT;
    return json_dumps(v, flags);
}
