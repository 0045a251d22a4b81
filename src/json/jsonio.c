/* json/jsonio.c - jansson glue: strict parse, strict unpack, dump (S3). */
#include "json/jsonio.h"

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
    /* jansson's text names keys and types ("Expected string, got integer", "1 object
     * item(s) left unpacked: foo"); it never contains values. Keep it short. */
    snprintf(err, cap, "%.200s", je.text);
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

const char *
jsonio_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
