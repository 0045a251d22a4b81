/* json/jsonio.h - strict JSON in and out over jansson (S3: reject what we do not expect).
 *
 * Bodies are parsed once with duplicate keys rejected and must be a JSON object. Unpacking
 * is JSON_STRICT: a key the format does not name is an error. Error text names the key or
 * the position, never echoes values.
 */
#ifndef JY_JSON_JSONIO_H
#define JY_JSON_JSONIO_H
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* jsonio_init installs the aborting allocators into jansson; call once at start. */
void jsonio_init(void);
/* jsonio_parse parses p[0..n) (an empty body reads as {}). ERR_BAD_JSON with a message in
 * err (cap bytes) when malformed, not an object, has duplicate keys or invalid UTF-8. */
int jsonio_parse(const char *p, size_t n, json_t **out, char *err, size_t cap);
/* jsonio_parse_any is jsonio_parse accepting any top-level value (arrays for batches). */
int jsonio_parse_any(const char *p, size_t n, json_t **out, char *err, size_t cap);
/* jsonio_vunpack: json_vunpack_ex with JSON_STRICT; ERR_INVALID with a message in err. */
int jsonio_vunpack(json_t *root, char *err, size_t cap, const char *fmt, va_list ap);
/* jsonio_dump serialises v compactly into a fresh string (xmalloc'd) and its length. */
char *jsonio_dump(const json_t *v, size_t *len);
/* jsonio_is_field_name: is key short lower-case ASCII ([a-z0-9_], 1..32), so it may be named
 * in an error message without echoing arbitrary client text? */
bool jsonio_is_field_name(const char *key);
/* jsonio_str returns the string at key, or NULL when absent, null or not a string. */
const char *jsonio_str(const json_t *obj, const char *key);

#endif
