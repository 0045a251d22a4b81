/* http/cookie.c - find one cookie in a Cookie header; no allocation, bounded scans. */
#include "http/cookie.h"

#include <string.h>

bool
cookie_get(const char *header, const char *name, struct str *value)
{
    size_t name_len = strlen(name);
    const char *p = header;
    if (!header || !name_len)
        return false;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *pair = p;
        size_t len = strcspn(p, ";");
        const char *eq = memchr(pair, '=', len);
        p += len;
        if (!eq)
            continue;
        struct str k = str_trim((struct str){ pair, (size_t)(eq - pair) });
        struct str v = str_trim((struct str){ eq + 1, len - (size_t)(eq + 1 - pair) });
        if (k.n != name_len || memcmp(k.p, name, name_len) != 0)
            continue;
        if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
            v.p++;
            v.n -= 2;
        }
        if (!v.n)
            return false;
        *value = v;
        return true;
    }
    return false;
}
