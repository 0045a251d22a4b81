/* domain/places/text_norm.c - comparable forms of typed cells (R3.7, R3.8); see the header.
 * Not a general Unicode normaliser: it folds only what survey sheets are seen to vary in. */
#include "domain/places/text_norm.h"

#include <string.h>

#include "core/utf8.h"

unsigned
text_utf8_next(struct str s, size_t *i)
{
    const unsigned char *p = (const unsigned char *)s.p + *i;
    size_t left = s.n - *i;
    unsigned c = p[0];
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || len > left) {
        (*i)++;
        return 0xFFFD;
    }
    unsigned cp = len == 1 ? c : c & (0x7Fu >> len);
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = cp << 6 | (p[k] & 0x3F);
    }
    *i += len;
    return cp;
}

bool
text_is_space(unsigned cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000 ||
           cp == 0xFEFF || (cp >= 0x2000 && cp <= 0x200D) || cp == 0x202F || cp == 0x205F ||
           cp == 0x2060 || cp == 0x85;
}

static size_t
text_encode(unsigned cp, char enc[4])
{
    if (cp < 0x80) {
        enc[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        enc[0] = (char)(0xC0 | cp >> 6);
        enc[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        enc[0] = (char)(0xE0 | cp >> 12);
        enc[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        enc[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    enc[0] = (char)(0xF0 | cp >> 18);
    enc[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    enc[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    enc[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t
text_norm(struct str in, unsigned flags, char *out, size_t cap, bool *cut)
{
    size_t i = 0, n = 0;
    bool header = flags & TEXT_NORM_HEADER;
    if (cut)
        *cut = false;
    while (i < in.n) {
        unsigned cp = text_utf8_next(in, &i);
        cp = utf8_fold_width(cp);               /* full-width ASCII */
        if (cp == 0x3010 || cp == 0x3014)
            cp = '[';                           /* 【 〔 */
        else if (cp == 0x3011 || cp == 0x3015)
            cp = ']';                           /* 】 〕 */
        if (text_is_space(cp))
            continue;
        if (header && (cp == '*' || cp == '_' || cp == '-' || cp == '.'))
            continue;
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        char enc[4];
        size_t len = text_encode(cp, enc);
        if (n + len + 1 > cap) {
            if (cut)
                *cut = true;
            break;
        }
        memcpy(out + n, enc, len);
        n += len;
    }
    if (header)
        n = str_strip_notes(out, n);
    out[n] = '\0';
    return n;
}
