/* http/cookie.h - Cookie request-header parsing (RFC 6265 §5.4 syntax, lenient). */
#ifndef JY_HTTP_COOKIE_H
#define JY_HTTP_COOKIE_H
#include <stdbool.h>

#include "core/str.h"

/* cookie_get finds the first cookie called name in a Cookie header value and points value
 * into header (no copy, surrounding double quotes removed). False when absent or empty. */
bool cookie_get(const char *header, const char *name, struct str *value);

#endif
