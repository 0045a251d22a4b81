/* core/json_escape.h - append a C string as a quoted JSON string (for logs and SSE). */
#ifndef JY_CORE_JSON_ESCAPE_H
#define JY_CORE_JSON_ESCAPE_H
#include "core/buf.h"

/* json_escape appends "s" with quotes, backslashes and control characters escaped. Bytes
 * that are not valid UTF-8 are replaced by U+FFFD so the output is always valid JSON. */
void json_escape(struct buf *b, const char *s);

#endif
