/*
 * jsonf.h - typed, checked access to the fields of a decoded JSON object.
 * Each getter fills err with a message naming the field when it is
 * missing or of the wrong type, ready to go into a 400's "error".
 */
#ifndef MINIDFS_JSONF_H
#define MINIDFS_JSONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses a request body that must be a JSON object. */
json_t *jsonf_parse_object(const char *data, size_t len, char *err, size_t errlen);

bool jsonf_string(json_t *obj, const char *key, const char **out, char *err, size_t errlen);
bool jsonf_int(json_t *obj, const char *key, long long min, long long max, long long *out,
               char *err, size_t errlen);
/* Missing -> def; present but not a boolean -> error. */
bool jsonf_bool_opt(json_t *obj, const char *key, bool def, bool *out, char *err, size_t errlen);
/* Missing -> *out untouched and true. */
bool jsonf_int_opt(json_t *obj, const char *key, long long min, long long max, long long *out,
                   char *err, size_t errlen);

#endif
