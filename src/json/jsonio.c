/* json/jsonio.c - jansson glue: strict parse, strict unpack, dump (S3). */
#include "json/jsonio.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

void
jsonio_init(void)
{
    json_set_alloc_funcs(xmalloc, xfree);
}

int
jsonio_parse_any(const char *p, size_t n, json_t **out, char *err, size_t cap)
{
    json_error_t je;
    json_t *v;
    if (n == 0) {
        snprintf(err, cap, "the body is empty");
        return ERR_BAD_JSON;
    }
    v = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        /* je.text may quote part of a value, so only its kind is passed on */
        if (strncmp(je.text, "duplicate object key", 20) == 0)
            snprintf(err, cap, "the body has a duplicate key (line %d, column %d)", je.line, je.column);
        else
            snprintf(err, cap, "the body is not valid JSON (line %d, column %d)", je.line, je.column);
        return ERR_BAD_JSON;
    }
    *out = v;
    return 0;
}

int
jsonio_parse(const char *p, size_t n, json_t **out, char *err, size_t cap)
{
    int rc;
    if (n == 0) {
        *out = json_object();
        return 0;
    }
    if ((rc = jsonio_parse_any(p, n, out, err, cap)))
        return rc;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        snprintf(err, cap, "the body must be a JSON object");
        return ERR_BAD_JSON;
    }
    return 0;
}

int
jsonio_vunpack(json_t *root, char *err, size_t cap, const char *fmt, va_list ap)
{
    json_error_t je;
    if (json_vunpack_ex(root, &je, JSON_STRICT, fmt, ap) == 0)
        return 0;
    /* jansson's text may quote what the client sent ("1 object item(s) left unpacked:
     * <key>", and a key can be anything, even an ID number): pass on only the kind of
     * problem, naming a key only when it looks like a field name. */
    if (strstr(je.text, "left unpacked")) {
        const char *k = strrchr(je.text, ':');
        k = k ? k + 1 : "";
        while (*k == ' ')
            k++;
        if (jsonio_is_field_name(k))
            snprintf(err, cap, "unknown field '%s'", k);
        else
            snprintf(err, cap, "the body has fields that are not allowed here");
    } else if (strncmp(je.text, "Expected", 8) == 0 || strncmp(je.text, "Object item not found", 21) == 0 ||
               strncmp(je.text, "NULL", 4) == 0) {
        snprintf(err, cap, "%.120s", je.text); /* "Expected string, got integer", "Object item not found: name" */
    } else {
        snprintf(err, cap, "the body does not have the expected fields");
    }
    return ERR_INVALID;
}

char *
jsonio_dump(const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!s)
        s = xstrdup("null");
    *len = strlen(s);
    return s;
}

bool
jsonio_is_field_name(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((key[i] >= 'a' && key[i] <= 'z') || key[i] == '_' || (key[i] >= '0' && key[i] <= '9')))
            return false;
    return true;
}

const char *
jsonio_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
