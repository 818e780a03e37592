/*
 * jsonf.c - checked getters over jansson objects. No state; never keeps a
 * reference to what it reads (returned strings live as long as the object).
 */
#include "jsonf.h"

#include <stdio.h>

json_t *jsonf_parse_object(const char *data, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(err, errlen, "malformed JSON: %s (line %d, column %d)", je.text, je.line,
                 je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        snprintf(err, errlen, "malformed JSON: expected an object");
        json_decref(j);
        return NULL;
    }
    return j;
}

bool jsonf_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        snprintf(err, errlen, "missing field \"%s\"", key);
        return false;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "field \"%s\" must be a string", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

static bool jsonf_check_int(json_t *v, const char *key, long long min, long long max,
                            long long *out, char *err, size_t errlen)
{
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "field \"%s\" must be an integer", key);
        return false;
    }
    long long n = json_integer_value(v);
    if (n < min || n > max) {
        snprintf(err, errlen, "field \"%s\" is %lld, outside [%lld, %lld]", key, n, min, max);
        return false;
    }
    *out = n;
    return true;
}

bool jsonf_int(json_t *obj, const char *key, long long min, long long max, long long *out,
               char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        snprintf(err, errlen, "missing field \"%s\"", key);
        return false;
    }
    return jsonf_check_int(v, key, min, max, out, err, errlen);
}

bool jsonf_int_opt(json_t *obj, const char *key, long long min, long long max, long long *out,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return true;
    return jsonf_check_int(v, key, min, max, out, err, errlen);
}

bool jsonf_bool_opt(json_t *obj, const char *key, bool def, bool *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return true;
    }
    if (!json_is_boolean(v)) {
        snprintf(err, errlen, "field \"%s\" must be true or false", key);
        return false;
    }
    *out = json_is_true(v);
    return true;
}
