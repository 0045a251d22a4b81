/* domain/places/text_norm.c - comparable forms of typed cells (R3.7, R3.8); see the header.
 * Not a general Unicode normaliser: it folds only what survey sheets are seen to vary in. */
#include "domain/places/text_norm.h"

#include <string.h>

#include "core/utf8.h"

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
        unsigned cp = utf8_next_or_fffd(in.p, in.n, &i);
        cp = utf8_fold_width(cp);               /* full-width ASCII */
        if (cp == 0x3010 || cp == 0x3014)
            cp = '[';                           /* 【 〔 */
        else if (cp == 0x3011 || cp == 0x3015)
            cp = ']';                           /* 】 〕 */
        if (utf8_is_space(cp))
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
