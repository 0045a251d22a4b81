/* fuzz/fuzz_json.c - libFuzzer target for request bodies: json/jsonio and core/json_escape
 * (S3).
 *
 * Any bytes go in as a body, copied into a heap buffer of exactly that size so ASan sees
 * over-reads. jsonio_parse must return 0 with an object or ERR_BAD_JSON with a non-empty
 * message of its own (never jansson's text, which may quote the body). An accepted body is
 * unpacked with one fixed strict format shaped like a real handler's (ERR_INVALID or 0,
 * required strings set), dumped, and the dump must parse back to an equal value. As text,
 * the input (up to its first NUL) goes through json_escape, whose output must be one valid
 * JSON string.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/json_escape.h"
#include "core/str.h"
#include "json/jsonio.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_unpack(json_t *root, char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = jsonio_vunpack(root, err, cap, fmt, ap);
    va_end(ap);
    return rc;
}

static bool
fuzz_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* fuzz_same: a dump parses back to the same value, except that reals are printed with 15
 * significant digits (jsonio_dump), so a real may come back within a relative 1e-14. */
static bool
fuzz_same(const json_t *a, const json_t *b)
{
    if (json_is_real(a) && json_is_real(b)) {
        double x = json_real_value(a), y = json_real_value(b);
        return x == y || fabs(x - y) <= 1e-14 * fmax(fabs(x), fabs(y));
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach((json_t *)a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !fuzz_same(v, w))
                return false;
        }
        return true;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!fuzz_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal(a, b);
}

static void
fuzz_body(const uint8_t *data, size_t size)
{
    char *in = xmalloc(size); /* exactly size bytes: ASan sees over-reads */
    char err[160];
    json_t *root = NULL, *back = NULL;

    if (size)
        memcpy(in, data, size);
    memset(err, 'Z', sizeof err);
    int rc = jsonio_parse(in, size, &root, err, sizeof err);
    if (rc) {
        FUZZ_CHECK(rc == ERR_BAD_JSON);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
        FUZZ_CHECK(fuzz_prefix(err, "the body is not valid JSON (line ") ||
                   fuzz_prefix(err, "the body has a duplicate key (line ") ||
                   strcmp(err, "the body must be a JSON object") == 0);
        xfree(in);
        return;
    }
    FUZZ_CHECK(json_is_object(root));
    FUZZ_CHECK(size > 0 || json_object_size(root) == 0);

    /* a user-create-like body: {"username": s, "role": s, "display_name": s?,
     * "subdistrict": s?, "enabled": b?, "quota": I?, "score": F?, "contact": {...}?, "extra": o?} */
    const char *username = NULL, *role = NULL, *display = NULL, *sub = NULL, *phone = NULL,
               *email = NULL;
    int enabled = -1;
    json_int_t quota = -1, level = -1;
    double score = -1;
    json_t *extra = NULL;
    rc = fuzz_unpack(root, err, sizeof err,
                     "{s:s, s:s, s?s, s?s, s?b, s?I, s?F, s?{s?s, s?s, s?I}, s?o}", "username",
                     &username, "role", &role, "display_name", &display, "subdistrict", &sub,
                     "enabled", &enabled, "quota", &quota, "score", &score, "contact", "phone",
                     &phone, "email", &email, "level", &level, "extra", &extra);
    if (rc == 0) {
        FUZZ_CHECK(username && role);
        FUZZ_CHECK(json_is_string(json_object_get(root, "username")));
        FUZZ_CHECK(strcmp(username, json_string_value(json_object_get(root, "username"))) == 0);
        FUZZ_CHECK(enabled == -1 || enabled == 0 || enabled == 1);
        FUZZ_CHECK(json_object_size(root) <= 9);
    } else {
        FUZZ_CHECK(rc == ERR_INVALID);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
    }

    /* dump and parse back */
    size_t len = 0;
    char *s = jsonio_dump(root, &len);
    FUZZ_CHECK(s && strlen(s) == len);
    FUZZ_CHECK(jsonio_parse(s, len, &back, err, sizeof err) == 0);
    FUZZ_CHECK(fuzz_same(root, back));
    xfree(s);
    json_decref(back);
    json_decref(root);
    xfree(in);
}

static void
fuzz_escape(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    struct buf b = BUF_INIT;
    json_error_t je;

    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    json_escape(&b, s);
    FUZZ_CHECK(!buf_error(&b));
    FUZZ_CHECK(b.len >= 2 && b.data[0] == '"' && b.data[b.len - 1] == '"');
    FUZZ_CHECK(str_is_utf8(b.data, b.len));
    for (size_t i = 0; i < b.len; i++)
        FUZZ_CHECK((unsigned char)b.data[i] >= 0x20); /* control characters are escaped */
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &je);
    FUZZ_CHECK(json_is_string(v));
    /* valid UTF-8 without control characters comes back unchanged */
    size_t n = strlen(s);
    if (str_is_utf8(s, n) && !str_has_ctl(s, n))
        FUZZ_CHECK(strcmp(json_string_value(v), s) == 0);
    json_decref(v);
    buf_release(&b);
    xfree(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        jsonio_init();
        ready = 1;
    }
    fuzz_body(data, size);
    fuzz_escape(data, size);
    return 0;
}
