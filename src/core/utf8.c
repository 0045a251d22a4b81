/* core/utf8.c - see utf8.h. The one UTF-8 decoder and encoder of the tree (S1: input is
 * checked before it is stored; R3.x importers compare folded text). */
#include "core/utf8.h"

uint32_t
utf8_next(const char *p, size_t n, size_t *i)
{
    const unsigned char *s = (const unsigned char *)p + *i;
    size_t left = n - *i, len;
    uint32_t cp;
    unsigned c = s[0];
    if (c < 0x80) {
        *i += 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        *i += 1;
        return UTF8_BAD;
    }
    if (left < len) {
        *i += 1;
        return UTF8_BAD;
    }
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            *i += 1;
            return UTF8_BAD;
        }
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        *i += 1;
        return UTF8_BAD;
    }
    *i += len;
    return cp;
}

bool
utf8_valid(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n)
        if (utf8_next(p, n, &i) == UTF8_BAD)
            return false;
    return true;
}

size_t
utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp > 0x10FFFF)
        return 0;
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void
utf8_put(struct buf *b, uint32_t cp)
{
    char enc[4];
    size_t len = utf8_encode(cp, enc);
    if (!len)
        len = utf8_encode(0xFFFD, enc);
    buf_add(b, enc, len);
}

size_t
utf8_len(unsigned char c)
{
    return c >= 0xF0 && c <= 0xF7 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC0 && c <= 0xDF ? 2 : 1;
}

size_t
utf8_count(const char *p, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)p[i] & 0xC0) != 0x80;
    return chars;
}

size_t
utf8_cut(const char *p, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)p[max] & 0xC0) == 0x80)
        max--;
    return max;
}

uint32_t
utf8_fold_width(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return cp - 0xFEE0;
    return cp == 0x3000 ? ' ' : cp;
}

bool
utf8_is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000 ||
           cp == 0xFEFF || (cp >= 0x2000 && cp <= 0x200D) || cp == 0x202F || cp == 0x205F ||
           cp == 0x2060 || cp == 0x85;
}
