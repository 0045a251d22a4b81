/* io/ooxml.c - XML text escaping for Office Open XML parts (see ooxml.h; R4.2, R4.3).
 * Not a writer: io/xlsxw.c decides where the text goes. */
#include "io/ooxml.h"

#include <stdio.h>

/* ooxml_escaped_as_x: does the character at p become an "_xHHHH_" escape (so that it
 * starts with '_')? */
static bool
ooxml_escaped_as_x(const char *p, size_t n)
{
    unsigned char c = (unsigned char)p[0];
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
        return true;
    return c == 0xEF && n >= 3 && (unsigned char)p[1] == 0xBF &&
           ((unsigned char)p[2] == 0xBE || (unsigned char)p[2] == 0xBF);
}

/* ooxml_hex4: does p start "_xHHHH_" as written - the closing '_' either in the text or the
 * first byte of the next character's own escape ("_x004d" + CR → "_x004d_x000D_", which a
 * reader would take for 'M'; found by fuzz_xlsxw)? Such a '_' must be escaped itself. */
static bool
ooxml_hex4(const char *p, size_t n)
{
    if (n < 7 || p[0] != '_' || p[1] != 'x' || (p[6] != '_' && !ooxml_escaped_as_x(p + 6, n - 6)))
        return false;
    for (int i = 2; i < 6; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

void
ooxml_escape(struct buf *b, const char *p, size_t n)
{
    size_t from = 0;
    char esc[16];

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *rep = NULL;
        size_t skip = 1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"')
            rep = "&quot;";
        else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
            snprintf(esc, sizeof esc, "_x%04X_", c);
            rep = esc;
        } else if (c == 0xEF && i + 2 < n && (unsigned char)p[i + 1] == 0xBF &&
                   ((unsigned char)p[i + 2] == 0xBE || (unsigned char)p[i + 2] == 0xBF)) {
            rep = (unsigned char)p[i + 2] == 0xBE ? "_xFFFE_" : "_xFFFF_";
            skip = 3;
        } else if (c == '_' && ooxml_hex4(p + i, n - i)) {
            rep = "_x005F_";
        }
        if (rep) {
            buf_add(b, p + from, i - from);
            buf_adds(b, rep);
            from = i + skip;
            i += skip - 1;
        }
    }
    buf_add(b, p + from, n - from);
}

bool
ooxml_space_edge(const char *p, size_t n)
{
    if (!n)
        return false;
    char a = p[0], z = p[n - 1];
    return a == ' ' || a == '\t' || a == '\n' || a == '\r' || z == ' ' || z == '\t' || z == '\n' || z == '\r';
}
