/* core/json_escape.c - see json_escape.h. */
#include "core/json_escape.h"

#include <string.h>

#include "core/str.h"

void
json_escape(struct buf *b, const char *s)
{
    buf_addch(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            buf_addch(b, '\\');
            buf_addch(b, (char)c);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else if (c < 0x80) {
            buf_addch(b, (char)c);
        } else {
            size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
            if (len > 1 && strnlen((const char *)p, len) == len && str_is_utf8((const char *)p, len)) {
                buf_add(b, p, len);
                p += len - 1;
            } else {
                buf_adds(b, "\\ufffd");
            }
        }
    }
    buf_addch(b, '"');
}
