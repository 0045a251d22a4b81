/* io/table_xlsx_xml.c - expat for the .xlsx reader of io/table.h, with every protection on
 * (R4.3, R4.5).
 *
 * XML with a DOCTYPE is refused outright (OOXML parts never have one, so no entity can be
 * declared: no billion laughs, no external entities), expat's own amplification limits are
 * set as well, and element nesting is capped. expat's buffers hold the XML as inflated,
 * cell text included, so they are wiped when released. Also the small text helpers every
 * part needs. This file knows nothing of workbooks.
 */
#include "io/table_xlsx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

/* expat's buffers hold the XML as inflated, cell text included: wiped when released. */
static const XML_Memory_Handling_Suite xml_mem = { xmalloc, table__secret_realloc,
                                                   table__secret_free };

void
xlsx__xml_fail(struct xlsx__xml *b, int rc, const char *fmt, ...)
{
    va_list ap;
    if (b->rc)
        return;
    b->rc = rc;
    va_start(ap, fmt);
    buf_vprintf(b->msg, fmt, ap);
    va_end(ap);
    XML_StopParser(b->p, XML_FALSE);
}

static void
xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
            int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    xlsx__xml_fail(ud, ERR_INVALID, "the workbook is damaged (an XML part declares a DOCTYPE)");
}

static void
xml_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
           const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
           const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    xlsx__xml_fail(ud, ERR_INVALID, "the workbook is damaged (an XML part declares an entity)");
}

/* xml_new creates a parser for b with the given handlers and every protection on. */
void
xlsx__xml_new(struct xlsx__xml *b, XML_StartElementHandler start, XML_EndElementHandler end,
        XML_CharacterDataHandler chars)
{
    XML_Parser p = XML_ParserCreate_MM(NULL, &xml_mem, NULL);
    if (!p) {
        fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"expat parser creation failed\"}\n");
        abort();
    }
    b->p = p;
    b->depth = 0;
    b->rc = 0;
    XML_SetUserData(p, b);
    XML_SetElementHandler(p, start, end);
    XML_SetCharacterDataHandler(p, chars);
    XML_SetStartDoctypeDeclHandler(p, xml_doctype);
    XML_SetEntityDeclHandler(p, xml_entity);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 20.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(p, 1u << 20);
}

void
xlsx__xml_free(struct xlsx__xml *b)
{
    if (b->p)
        XML_ParserFree(b->p);
    b->p = NULL;
}

/* xml_enter counts nesting; false (and the parser stopped) past TABLE_MAX_XML_DEPTH. */
bool
xlsx__xml_enter(struct xlsx__xml *b)
{
    if (++b->depth > TABLE_MAX_XML_DEPTH) {
        xlsx__xml_fail(b, ERR_INVALID, "the workbook is damaged (XML nested deeper than %d levels)",
                 TABLE_MAX_XML_DEPTH);
        return false;
    }
    return true;
}

/* xml_local drops a namespace prefix: "x:row" -> "row". */
const char *
xlsx__xml_local(const XML_Char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

/* xml_attr returns the value of the attribute whose local name is local (prefixed or not,
 * as asked), or NULL. */
const char *
xlsx__xml_attr(const XML_Char **atts, const char *local, bool prefixed)
{
    for (size_t i = 0; atts[i]; i += 2) {
        const char *c = strrchr(atts[i], ':');
        if ((c != NULL) == prefixed && strcmp(c ? c + 1 : atts[i], local) == 0)
            return atts[i + 1];
    }
    return NULL;
}

/* xml_unescape decodes OOXML's _xHHHH_ escapes (ST_Xstring) of p[0..n) in place and
 * returns the new length. Surrogate pairs combine; lone surrogates and NUL become U+FFFD. */
size_t
xlsx__xml_unescape(char *p, size_t n)
{
    if (!memchr(p, '_', n))
        return n;
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned cp = 0;
        bool esc = p[i] == '_' && n - i >= 7 && p[i + 1] == 'x' && p[i + 6] == '_';
        for (size_t k = 2; esc && k < 6; k++) {
            char c = p[i + k];
            unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                       : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
            if (v == 16)
                esc = false;
            cp = cp * 16 + v;
        }
        if (!esc) {
            p[o++] = p[i++];
            continue;
        }
        i += 7;
        if (cp >= 0xD800 && cp <= 0xDBFF && n - i >= 7 && p[i] == '_' && p[i + 1] == 'x' &&
            p[i + 6] == '_') {
            unsigned lo = 0;
            bool ok = true;
            for (size_t k = 2; ok && k < 6; k++) {
                char c = p[i + k];
                unsigned v = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
                ok = v != 16;
                lo = lo * 16 + v;
            }
            if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 7;
            }
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            cp = 0xFFFD;
        /* o + 4 <= i here: every escape consumed 7 bytes and writes at most 4. */
        if (cp < 0x80) {
            p[o++] = (char)cp;
        } else if (cp < 0x800) {
            p[o++] = (char)(0xC0 | cp >> 6);
            p[o++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            p[o++] = (char)(0xE0 | cp >> 12);
            p[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
            p[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            p[o++] = (char)(0xF0 | cp >> 18);
            p[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
            p[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
            p[o++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    return o;
}
bool
xlsx__parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

void
xlsx__xml_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((struct xlsx__xml *)ud)->depth--;
}

void
xlsx__xml_no_chars(void *ud, const XML_Char *s, int len)
{
    (void)ud, (void)s, (void)len;
}

