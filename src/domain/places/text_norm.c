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

static int
text_norm_header_col(struct str cell, const struct text_norm_alias *aliases, size_t naliases,
                     int (*fallback)(struct str cell))
{
    char norm[128];
    bool cut = false;
    if (!text_norm(cell, TEXT_NORM_HEADER, norm, sizeof norm, &cut) || cut)
        return -1;
    for (size_t i = 0; i < naliases; i++)
        if (strcmp(norm, aliases[i].name) == 0)
            return aliases[i].col;
    return fallback ? fallback(cell) : -1;
}

size_t
text_norm_header_map(const struct table_row *row, const struct text_norm_alias *aliases, size_t naliases,
                     int (*fallback)(struct str cell), int *col, size_t ncol)
{
    size_t found = 0;
    for (size_t k = 0; k < ncol; k++)
        col[k] = -1;
    for (size_t i = 0; i < row->ncells && i < TABLE_MAX_COLS; i++) {
        int k = text_norm_header_col(row->cells[i], aliases, naliases, fallback);
        if (k >= 0 && (size_t)k < ncol && col[k] < 0) {
            col[k] = (int)i;
            found++;
        }
    }
    return found;
}
