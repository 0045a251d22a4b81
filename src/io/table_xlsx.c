/* io/table_xlsx.c - the .xlsx row source of io/table.h (R4.3, R4.4, R4.5).
 *
 * libzip opens the package (from a file or from memory); expat parses its XML parts. The
 * package relationships lead to the workbook, the workbook's sheet list and relationships
 * to the sheet parts and the shared strings. The shared strings are read once into a
 * chunked arena (a sheet may refer to any of them); a sheet is never loaded: its XML is
 * parsed from zip_fread chunks and expat is suspended at the end of each non-empty row, so
 * a row is handed out while the rest of the sheet is still compressed.
 *
 * Hostile input: every member is checked against its declared size, TABLE_MAX_PART_BYTES
 * and a compression-ratio limit while it inflates; XML with a DOCTYPE is refused outright
 * (OOXML parts never have one, so no entity can be declared: no billion laughs, no external
 * entities), expat's own amplification limits are set as well, and element nesting is
 * capped. This file does not decide what a value means, nor which sheet is read.
 *
 * Cell text is wiped from our buffers and expat's before they are freed; libzip's and
 * zlib's inflate buffers are out of reach. NEEDSWORK: zlib keeps the last 32 KiB it inflated
 * in its window until zip_fclose frees it unwiped.
 *
 * NEEDSWORK: styles.xml is not read, so dates come out as Excel's serial numbers; the
 * batch columns we need (ID, name, phone) are never dates, a "test time" column would be.
 */
#include "io/table_source.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* expat declares its billion-laughs setters only when XML_DTD is defined; Debian's library
 * is built with DTD support (XML_GetFeatureList says so), the header just does not say. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/err.h"

#define XLSX_CHUNK ((size_t)64 * 1024)
#define XLSX_SST_CHUNK ((size_t)4 << 20)        /* one arena chunk; 2^22 */
#define XLSX_SST_SHIFT 22
#define XLSX_SST_OVERSIZED 0xFFFFu              /* length tag of a string over the cap */
#define XLSX_MAX_RELS 10000
#define XLSX_MAX_COL 16384                     /* XFD: Excel's last column */
#define XLSX_ROW_TEXT_CAP ((size_t)2 * TABLE_MAX_COLS * (TABLE_MAX_CELL + 1))

/* ---- XML plumbing shared by every part ------------------------------------------------ */

struct xml_base {
    XML_Parser p;
    unsigned depth;
    int rc;                     /* set by a handler that stopped the parser */
    struct buf *msg;
};

/* expat's buffers hold the XML as inflated, cell text included: wiped when released. */
static const XML_Memory_Handling_Suite xml_mem = { xmalloc, table__secret_realloc,
                                                   table__secret_free };

static void xml_fail(struct xml_base *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
xml_fail(struct xml_base *b, int rc, const char *fmt, ...)
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
    xml_fail(ud, ERR_INVALID, "the workbook is damaged (an XML part declares a DOCTYPE)");
}

static void
xml_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
           const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
           const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    xml_fail(ud, ERR_INVALID, "the workbook is damaged (an XML part declares an entity)");
}

/* xml_new creates a parser for b with the given handlers and every protection on. */
static void
xml_new(struct xml_base *b, XML_StartElementHandler start, XML_EndElementHandler end,
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

static void
xml_free(struct xml_base *b)
{
    if (b->p)
        XML_ParserFree(b->p);
    b->p = NULL;
}

/* xml_enter counts nesting; false (and the parser stopped) past TABLE_MAX_XML_DEPTH. */
static bool
xml_enter(struct xml_base *b)
{
    if (++b->depth > TABLE_MAX_XML_DEPTH) {
        xml_fail(b, ERR_INVALID, "the workbook is damaged (XML nested deeper than %d levels)",
                 TABLE_MAX_XML_DEPTH);
        return false;
    }
    return true;
}

/* xml_local drops a namespace prefix: "x:row" -> "row". */
static const char *
xml_local(const XML_Char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

/* xml_attr returns the value of the attribute whose local name is local (prefixed or not,
 * as asked), or NULL. */
static const char *
xml_attr(const XML_Char **atts, const char *local, bool prefixed)
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
static size_t
xml_unescape(char *p, size_t n)
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

/* ---- the package ------------------------------------------------------------------------ */

struct xlsx_sheet {
    char *name;
    zip_int64_t index;          /* zip member (sheets without one are dropped) */
    bool hidden;
};

struct xlsx_sst {
    char **chunks;
    size_t nchunks, used;       /* bytes used in the last chunk */
    size_t first_cap;           /* size of chunk 0 (small for small tables); others are full */
    uint32_t *loc;              /* chunk << XLSX_SST_SHIFT | offset of a 2-byte length */
    size_t count, alloc, bytes;
};

/* A zip member being inflated. */
struct xlsx_member {
    zip_file_t *zf;
    uint64_t total, comp, size;
    const char *label;
    uint64_t *inflated;         /* the workbook's running total (TABLE_MAX_INFLATED) */
};

struct xlsx_stream {
    struct xml_base b;          /* first: the parser's user data */
    struct table__xlsx *x;
    struct xlsx_member m;
    bool open, suspended, final, row_ready;
    bool in_data, in_row, in_cell, in_is, capture;
    unsigned rph;
    char type;                  /* 's', 'i' (inlineStr), 'r' (str), 'b', 'e', 'n' */
    size_t col, next_col, mark, ncols, touched;
    uint64_t row_num, last_num;
    struct buf text;
    size_t off[TABLE_MAX_COLS], len[TABLE_MAX_COLS];
    struct str out[TABLE_MAX_COLS];
};

struct table__xlsx {
    zip_t *zip;
    uint64_t inflated;
    struct xlsx_sheet *sheets;
    size_t nsheets;
    struct xlsx_sst sst;
    struct xlsx_stream st;
};

static void
xlsx_zip_message(struct buf *msg, zip_error_t *ze)
{
    int code = zip_error_code_zip(ze);
    if (code == ZIP_ER_NOZIP)
        buf_adds(msg, "the file is not an Excel workbook or CSV (it looks like a zip archive "
                      "but is not a valid one)");
    else if (code == ZIP_ER_INCONS || code == ZIP_ER_CRC || code == ZIP_ER_EOF ||
             code == ZIP_ER_READ || code == ZIP_ER_SEEK || code == ZIP_ER_COMPRESSED_DATA)
        buf_printf(msg, "the workbook is damaged (%s)", zip_error_strerror(ze));
    else
        buf_printf(msg, "the workbook cannot be read (%s)", zip_error_strerror(ze));
}

static zip_int64_t
xlsx_locate(const struct table__xlsx *x, const char *name)
{
    if (name[0] == '/')
        name++;
    return zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
}

static int
xlsx_member_open(struct table__xlsx *x, zip_int64_t index, const char *label,
                 struct xlsx_member *m, struct buf *msg)
{
    zip_stat_t st;
    *m = (struct xlsx_member){ NULL, 0, 0, 0, label, &x->inflated };
    zip_stat_init(&st);
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &st) != 0) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", label, zip_strerror(x->zip));
        return ERR_INVALID;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
        buf_adds(msg, "the workbook is encrypted; remove the password and upload again");
        return ERR_INVALID;
    }
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
        buf_printf(msg, "the workbook is damaged (%s: no size)", label);
        return ERR_INVALID;
    }
    if (st.size > TABLE_MAX_PART_BYTES) {
        buf_printf(msg, "the workbook is too large (%s is over %" PRIu64 " MiB uncompressed)",
                   label, TABLE_MAX_PART_BYTES >> 20);
        return ERR_TOO_LARGE;
    }
    m->size = st.size;
    m->comp = st.comp_size;
    if (!(m->zf = zip_fopen_index(x->zip, (zip_uint64_t)index, 0))) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", label, zip_strerror(x->zip));
        return ERR_INVALID;
    }
    return 0;
}

/* xlsx_member_want is how much to ask for next: a chunk, or what the member declares it
 * has left (plus one byte to see its end), so small parts get small parser buffers. */
static size_t
xlsx_member_want(const struct xlsx_member *m)
{
    uint64_t left = m->size - m->total;
    return left < XLSX_CHUNK ? (size_t)left + 1 : XLSX_CHUNK;
}

static void
xlsx_member_close(struct xlsx_member *m)
{
    if (m->zf)
        zip_fclose(m->zf);
    m->zf = NULL;
}

/* xlsx_member_read inflates up to cap bytes into p; *got 0 means the member is done. The
 * inflated size must stay within the declared size, the part cap and the ratio limit. */
static int
xlsx_member_read(struct xlsx_member *m, void *p, size_t cap, size_t *got, struct buf *msg)
{
    zip_int64_t n = zip_fread(m->zf, p, cap);
    *got = 0;
    if (n < 0) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", m->label, zip_file_strerror(m->zf));
        return ERR_INVALID;
    }
    m->total += (uint64_t)n;
    *m->inflated += (uint64_t)n;
    if (*m->inflated > TABLE_MAX_INFLATED) {
        buf_printf(msg, "the workbook expands to more than %" PRIu64 " MiB in all",
                   TABLE_MAX_INFLATED >> 20);
        return ERR_TOO_LARGE;
    }
    if (m->total > m->size) {
        buf_printf(msg, "the workbook is damaged (%s is longer than declared)", m->label);
        return ERR_INVALID;
    }
    if (m->total > TABLE_RATIO_GRACE && m->total / TABLE_MAX_RATIO > m->comp) {
        buf_printf(msg, "the workbook expands to more than %d times its compressed size "
                        "(%s); it is refused as a possible zip bomb", TABLE_MAX_RATIO, m->label);
        return ERR_TOO_LARGE;
    }
    *got = (size_t)n;
    return 0;
}

/* xlsx_parse_member runs parser b over the whole member at index. */
static int
xlsx_parse_member(struct table__xlsx *x, zip_int64_t index, const char *label,
                  struct xml_base *b, struct buf *msg)
{
    struct xlsx_member m = { 0 };
    int rc;
    b->msg = msg;
    if ((rc = xlsx_member_open(x, index, label, &m, msg)))
        goto out;
    for (;;) {
        size_t got, want = xlsx_member_want(&m);
        void *p = XML_GetBuffer(b->p, (int)want);
        if (!p) {
            rc = ERR_INTERNAL;
            goto out;
        }
        if ((rc = xlsx_member_read(&m, p, want, &got, msg)))
            goto out;
        if (XML_ParseBuffer(b->p, (int)got, got == 0) != XML_STATUS_OK) {
            if (b->rc) {
                rc = b->rc;
            } else {
                rc = ERR_INVALID;
                buf_printf(msg, "the workbook is damaged (%s, XML line %lu: %s)", label,
                           (unsigned long)XML_GetCurrentLineNumber(b->p),
                           XML_ErrorString(XML_GetErrorCode(b->p)));
            }
            goto out;
        }
        if (got == 0)
            break;
    }
    rc = 0;
out:
    xlsx_member_close(&m);
    return rc;
}

/* ---- relationships ---------------------------------------------------------------------- */

struct xlsx_rel {
    char *id, *type, *target;
};

struct xlsx_rels {
    struct xml_base b;
    struct xlsx_rel *v;
    size_t n, alloc;
};

static void
xlsx_rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_rels *r = ud;
    if (!xml_enter(&r->b))
        return;
    if (strcmp(xml_local(name), "Relationship") != 0)
        return;
    const char *id = xml_attr(atts, "Id", false), *type = xml_attr(atts, "Type", false);
    const char *target = xml_attr(atts, "Target", false), *mode = xml_attr(atts, "TargetMode", false);
    if (!id || !type || !target || (mode && strcmp(mode, "External") == 0))
        return;
    if (r->n == XLSX_MAX_RELS) {
        xml_fail(&r->b, ERR_TOO_LARGE, "the workbook has more than %d relationships",
                 XLSX_MAX_RELS);
        return;
    }
    if (strlen(id) > TABLE_MAX_NAME || strlen(type) > TABLE_MAX_NAME ||
        strlen(target) > TABLE_MAX_NAME) {
        xml_fail(&r->b, ERR_INVALID, "the workbook is damaged (a relationship is too long)");
        return;
    }
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 16;
        r->v = xrealloc(r->v, r->alloc * sizeof *r->v);
    }
    r->v[r->n++] = (struct xlsx_rel){ xstrdup(id), xstrdup(type), xstrdup(target) };
}

static void
xlsx_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((struct xml_base *)ud)->depth--;
}

static void
xlsx_no_chars(void *ud, const XML_Char *s, int len)
{
    (void)ud, (void)s, (void)len;
}

static void
xlsx_rels_release(struct xlsx_rels *r)
{
    for (size_t i = 0; i < r->n; i++) {
        xfree(r->v[i].id);
        xfree(r->v[i].type);
        xfree(r->v[i].target);
    }
    xfree(r->v);
    xml_free(&r->b);
    *r = (struct xlsx_rels){ 0 };
}

/* xlsx_rels_read parses the relationships part name (absent: no relationships, *found
 * false). */
static int
xlsx_rels_read(struct table__xlsx *x, const char *name, struct xlsx_rels *r, bool *found,
               struct buf *msg)
{
    zip_int64_t idx = xlsx_locate(x, name);
    *found = idx >= 0;
    if (idx < 0)
        return 0;
    xml_new(&r->b, xlsx_rels_start, xlsx_end, xlsx_no_chars);
    return xlsx_parse_member(x, idx, "relationships", &r->b, msg);
}

static bool
xlsx_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const struct xlsx_rel *
xlsx_rel_by_type(const struct xlsx_rels *r, const char *suffix)
{
    for (size_t i = 0; i < r->n; i++)
        if (xlsx_has_suffix(r->v[i].type, suffix))
            return &r->v[i];
    return NULL;
}

/* xlsx_resolve writes the part name of target, relative to the folder of part base
 * ("xl/workbook.xml" -> "xl/"), into out: "/x" is absolute, "." and ".." are resolved. */
static void
xlsx_resolve(const char *base, const char *target, struct buf *out)
{
    buf_reset(out);
    if (target[0] == '/') {
        target++;
    } else {
        const char *slash = strrchr(base, '/');
        if (slash)
            buf_add(out, base, (size_t)(slash - base + 1));
    }
    while (*target) {
        const char *end = strchr(target, '/');
        size_t n = end ? (size_t)(end - target) : strlen(target);
        if ((n == 1 && target[0] == '.') || n == 0) {
            /* skip */
        } else if (n == 2 && target[0] == '.' && target[1] == '.') {
            if (out->len)
                out->len--;                         /* the trailing '/' */
            while (out->len && out->data[out->len - 1] != '/')
                out->len--;
            if (out->alloc)
                out->data[out->len] = '\0';
        } else {
            buf_add(out, target, n);
            if (end)
                buf_addch(out, '/');
        }
        target += n + (end ? 1 : 0);
    }
}

/* xlsx_locate_target finds the member a relationship points at: resolved against base,
 * else (some generators write package-absolute targets without the leading '/') as
 * written. -1 when neither exists. */
static zip_int64_t
xlsx_locate_target(const struct table__xlsx *x, const char *base, const char *target,
                   struct buf *scratch)
{
    xlsx_resolve(base, target, scratch);
    zip_int64_t idx = xlsx_locate(x, scratch->data);
    return idx >= 0 ? idx : xlsx_locate(x, target);
}

/* ---- workbook ----------------------------------------------------------------------------- */

struct xlsx_wb_sheet {
    char *name, *rid;
    bool hidden;
};

struct xlsx_wb {
    struct xml_base b;
    struct xlsx_wb_sheet *v;
    size_t n, alloc;
};

static void
xlsx_wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_wb *w = ud;
    if (!xml_enter(&w->b))
        return;
    if (strcmp(xml_local(name), "sheet") != 0)
        return;
    const char *sname = xml_attr(atts, "name", false), *rid = xml_attr(atts, "id", true);
    const char *state = xml_attr(atts, "state", false);
    if (!sname || !rid) {
        xml_fail(&w->b, ERR_INVALID, "the workbook is damaged (a sheet has no name or part)");
        return;
    }
    if (w->n == TABLE_MAX_SHEETS) {
        xml_fail(&w->b, ERR_TOO_LARGE, "the workbook has more than %d sheets", TABLE_MAX_SHEETS);
        return;
    }
    if (strlen(sname) > TABLE_MAX_NAME || strlen(rid) > TABLE_MAX_NAME) {
        xml_fail(&w->b, ERR_INVALID, "the workbook is damaged (a sheet name is too long)");
        return;
    }
    if (w->n == w->alloc) {
        w->alloc = w->alloc ? w->alloc * 2 : 8;
        w->v = xrealloc(w->v, w->alloc * sizeof *w->v);
    }
    w->v[w->n++] = (struct xlsx_wb_sheet){ xstrdup(sname), xstrdup(rid),
                                           state && strcmp(state, "visible") != 0 };
}

static void
xlsx_wb_release(struct xlsx_wb *w)
{
    for (size_t i = 0; i < w->n; i++) {
        xfree(w->v[i].name);
        xfree(w->v[i].rid);
    }
    xfree(w->v);
    xml_free(&w->b);
    *w = (struct xlsx_wb){ 0 };
}

/* ---- shared strings ------------------------------------------------------------------------- */

struct xlsx_sst_parse {
    struct xml_base b;
    struct xlsx_sst *sst;
    bool in_si, capture, over;
    unsigned rph;
    struct buf cur;
};

static int
xlsx_sst_add(struct xlsx_sst *s, const char *p, size_t n, bool over, struct xml_base *b)
{
    size_t need = 2 + (over ? 0 : n) + 1;
    if (s->count == TABLE_MAX_SST_COUNT) {
        xml_fail(b, ERR_TOO_LARGE, "the workbook has more than %zu shared strings",
                 TABLE_MAX_SST_COUNT);
        return ERR_TOO_LARGE;
    }
    if (!over && s->bytes + n > TABLE_MAX_SST_BYTES) {
        xml_fail(b, ERR_TOO_LARGE, "the workbook's shared strings exceed %zu MiB",
                 TABLE_MAX_SST_BYTES >> 20);
        return ERR_TOO_LARGE;
    }
    size_t cap = s->nchunks == 1 ? s->first_cap : XLSX_SST_CHUNK;
    if (!s->nchunks || s->used + need > cap) {
        s->chunks = xrealloc(s->chunks, (s->nchunks + 1) * sizeof *s->chunks);
        s->chunks[s->nchunks] = xmalloc(s->nchunks == 0 ? s->first_cap : XLSX_SST_CHUNK);
        s->nchunks++;
        s->used = 0;
    }
    if (s->count == s->alloc) {
        s->alloc = s->alloc ? s->alloc * 2 : 1024;
        s->loc = xrealloc(s->loc, s->alloc * sizeof *s->loc);
    }
    char *at = s->chunks[s->nchunks - 1] + s->used;
    uint16_t len = over ? (uint16_t)XLSX_SST_OVERSIZED : (uint16_t)n;
    memcpy(at, &len, 2);
    if (!over && n)
        memcpy(at + 2, p, n);
    at[2 + (over ? 0 : n)] = '\0';
    s->loc[s->count++] = (uint32_t)((s->nchunks - 1) << XLSX_SST_SHIFT | s->used);
    s->used += need;
    s->bytes += over ? 0 : n;
    return 0;
}

/* xlsx_sst_get: 0 and *out, ERR_INVALID (no such string) or ERR_TOO_LARGE (over the cap). */
static int
xlsx_sst_get(const struct xlsx_sst *s, uint64_t i, struct str *out)
{
    uint16_t len;
    if (i >= s->count)
        return ERR_INVALID;
    uint32_t loc = s->loc[i];
    const char *at = s->chunks[loc >> XLSX_SST_SHIFT] + (loc & (XLSX_SST_CHUNK - 1));
    memcpy(&len, at, 2);
    if (len == XLSX_SST_OVERSIZED)
        return ERR_TOO_LARGE;
    *out = (struct str){ at + 2, len };
    return 0;
}

static void
xlsx_sst_release(struct xlsx_sst *s)
{
    for (size_t i = 0; i < s->nchunks; i++)     /* the last chunk is used up to s->used */
        xfree_secret(s->chunks[i], i + 1 == s->nchunks ? s->used
                                   : i == 0            ? s->first_cap
                                                       : XLSX_SST_CHUNK);
    xfree(s->chunks);
    xfree(s->loc);
    *s = (struct xlsx_sst){ 0 };
}

static void
xlsx_sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_sst_parse *sp = ud;
    (void)atts;
    if (!xml_enter(&sp->b))
        return;
    const char *local = xml_local(name);
    if (!sp->in_si) {
        if (strcmp(local, "si") == 0) {
            sp->in_si = true;
            sp->over = sp->capture = false;
            sp->rph = 0;
            buf_reset(&sp->cur);
        }
    } else if (strcmp(local, "rPh") == 0) {
        sp->rph++;
    } else if (strcmp(local, "t") == 0 && sp->rph == 0) {
        sp->capture = true;
    }
}

static void
xlsx_sst_end(void *ud, const XML_Char *name)
{
    struct xlsx_sst_parse *sp = ud;
    sp->b.depth--;
    if (!sp->in_si)
        return;
    const char *local = xml_local(name);
    if (strcmp(local, "t") == 0) {
        sp->capture = false;
    } else if (strcmp(local, "rPh") == 0) {
        if (sp->rph)
            sp->rph--;
    } else if (strcmp(local, "si") == 0) {
        size_t n = sp->over ? 0 : xml_unescape(sp->cur.data, sp->cur.len);
        sp->in_si = false;
        (void)xlsx_sst_add(sp->sst, sp->cur.data, n, sp->over, &sp->b);
    }
}

static void
xlsx_sst_chars(void *ud, const XML_Char *s, int len)
{
    struct xlsx_sst_parse *sp = ud;
    if (!sp->capture || sp->over)
        return;
    if (sp->cur.len + (size_t)len > TABLE_MAX_CELL) {
        sp->over = true;                /* an error only if a cell of the sheet uses it */
        return;
    }
    buf_add(&sp->cur, s, (size_t)len);
}

/* ---- the sheet stream --------------------------------------------------------------------- */

static void
xlsx_row_reset(struct xlsx_stream *st)
{
    for (size_t i = 0; i < st->touched; i++)
        st->len[i] = 0;
    st->touched = st->ncols = 0;
    buf_reset(&st->text);
}

/* xlsx_parse_ref reads the column of a cell reference "AB12" (letters, then digits). */
static bool
xlsx_parse_ref(const char *r, size_t *col)
{
    size_t c = 0, letters = 0;
    for (; *r >= 'A' && *r <= 'Z'; r++, letters++) {
        if (letters == 3)
            return false;
        c = c * 26 + (size_t)(*r - 'A' + 1);
    }
    if (letters == 0 || c > XLSX_MAX_COL)
        return false;
    if (*r < '1' || *r > '9')
        return false;
    while (*r >= '0' && *r <= '9')
        r++;
    if (*r)
        return false;
    *col = c - 1;
    return true;
}

static bool
xlsx_parse_u64(const char *s, uint64_t max, uint64_t *out)
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

static void
xlsx_cell_start(struct xlsx_stream *st, const XML_Char **atts)
{
    const char *r = xml_attr(atts, "r", false), *t = xml_attr(atts, "t", false);
    if (r) {
        if (!xlsx_parse_ref(r, &st->col)) {
            xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": a cell reference is malformed",
                     st->row_num);
            return;
        }
    } else {
        st->col = st->next_col;
    }
    st->next_col = st->col + 1;
    st->type = 'n';
    if (t) {
        if (strcmp(t, "s") == 0)
            st->type = 's';
        else if (strcmp(t, "inlineStr") == 0)
            st->type = 'i';
        else if (strcmp(t, "str") == 0)
            st->type = 'r';
        else if (strcmp(t, "b") == 0)
            st->type = 'b';
        else if (strcmp(t, "e") == 0)
            st->type = 'e';
    }
    st->in_cell = true;
    st->in_is = st->capture = false;
    st->rph = 0;
    st->mark = st->text.len;
}

static void
xlsx_cell_end(struct xlsx_stream *st)
{
    char *p = st->text.data + st->mark;
    size_t n = st->text.len - st->mark;
    struct str s;
    int rc;

    st->in_cell = false;
    switch (st->type) {
    case 's': {
        uint64_t idx;
        struct str v = str_trim((struct str){ p, n });
        if (v.n == 0)
            break;
        char num[24];
        if (v.n >= sizeof num) {
            xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": a shared-string reference is "
                     "not a number", st->row_num);
            return;
        }
        memcpy(num, v.p, v.n);
        num[v.n] = '\0';
        if (!xlsx_parse_u64(num, UINT64_MAX, &idx)) {
            xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": a shared-string reference is "
                     "not a number", st->row_num);
            return;
        }
        if ((rc = xlsx_sst_get(&st->x->sst, idx, &s))) {
            if (rc == ERR_TOO_LARGE)
                xml_fail(&st->b, rc, "sheet row %" PRIu64 ": a cell is longer than %d bytes",
                         st->row_num, TABLE_MAX_CELL);
            else
                xml_fail(&st->b, rc, "sheet row %" PRIu64 ": a cell refers to shared string %"
                         PRIu64 ", which does not exist", st->row_num, idx);
            return;
        }
        st->text.len = st->mark;
        buf_add(&st->text, s.p, s.n);
        break;
    }
    case 'b':
        if (n == 1 && (p[0] == '0' || p[0] == '1')) {
            st->text.len = st->mark;
            buf_adds(&st->text, p[0] == '1' ? "TRUE" : "FALSE");
        }
        break;
    case 'i':
    case 'r':
        st->text.len = st->mark + xml_unescape(p, n);
        break;
    default:
        break;
    }
    n = st->text.len - st->mark;
    if (buf_error(&st->text)) {
        xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": the row holds too much text",
                 st->row_num);
        return;
    }
    if (n == 0) {                        /* an empty cell takes no place */
        st->text.len = st->mark;
        if (st->text.alloc)
            st->text.data[st->mark] = '\0';
        return;
    }
    if (st->col >= TABLE_MAX_COLS) {
        xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": a value lies beyond column %d "
                 "(IV)", st->row_num, TABLE_MAX_COLS);
        return;
    }
    buf_addch(&st->text, '\0');
    st->off[st->col] = st->mark;
    st->len[st->col] = n;
    if (st->col + 1 > st->touched)
        st->touched = st->col + 1;
    if (st->col + 1 > st->ncols)
        st->ncols = st->col + 1;
}

static void
xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_stream *st = ud;
    if (!xml_enter(&st->b))
        return;
    const char *local = xml_local(name);
    if (!st->in_row) {
        if (!st->in_data) {
            if (strcmp(local, "sheetData") == 0)
                st->in_data = true;
        } else if (strcmp(local, "row") == 0) {
            const char *r = xml_attr(atts, "r", false);
            uint64_t num = st->last_num + 1;
            if (r && !xlsx_parse_u64(r, UINT64_MAX, &num)) {
                xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": the row number is "
                         "malformed", st->last_num + 1);
                return;
            }
            if (num == 0) {
                xml_fail(&st->b, ERR_INVALID, "the workbook is damaged (a row is numbered 0)");
                return;
            }
            if (num > TABLE_MAX_ROWS) {
                xml_fail(&st->b, ERR_TOO_LARGE, "the sheet has more than %" PRIu64 " rows",
                         TABLE_MAX_ROWS);
                return;
            }
            xlsx_row_reset(st);
            st->row_num = num;
            st->in_row = true;
            st->next_col = 0;
        }
        return;
    }
    if (!st->in_cell) {
        if (strcmp(local, "c") == 0)
            xlsx_cell_start(st, atts);
        return;
    }
    if (strcmp(local, "v") == 0) {
        st->capture = st->type != 'i';
    } else if (strcmp(local, "is") == 0) {
        st->in_is = true;
    } else if (strcmp(local, "rPh") == 0) {
        st->rph++;
    } else if (strcmp(local, "t") == 0) {
        st->capture = st->in_is && st->type == 'i' && st->rph == 0;
    }
}

static void
xlsx_sheet_end(void *ud, const XML_Char *name)
{
    struct xlsx_stream *st = ud;
    st->b.depth--;
    const char *local = xml_local(name);
    if (st->in_cell) {
        if (strcmp(local, "v") == 0 || strcmp(local, "t") == 0)
            st->capture = false;
        else if (strcmp(local, "is") == 0)
            st->in_is = false;
        else if (strcmp(local, "rPh") == 0)
            st->rph -= st->rph > 0;
        else if (strcmp(local, "c") == 0)
            xlsx_cell_end(st);
        return;
    }
    if (st->in_row) {
        if (strcmp(local, "row") == 0) {
            st->in_row = false;
            st->last_num = st->row_num;
            if (st->ncols) {
                st->row_ready = true;
                XML_StopParser(st->b.p, XML_TRUE);
            }
        }
        return;
    }
    if (st->in_data && strcmp(local, "sheetData") == 0)
        st->in_data = false;
}

static void
xlsx_sheet_chars(void *ud, const XML_Char *s, int len)
{
    struct xlsx_stream *st = ud;
    if (!st->capture)
        return;
    if (st->text.len - st->mark + (size_t)len > TABLE_MAX_CELL) {
        xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": a cell is longer than %d bytes",
                 st->row_num, TABLE_MAX_CELL);
        return;
    }
    buf_add(&st->text, s, (size_t)len);
}

static void
xlsx_stream_close(struct xlsx_stream *st)
{
    xlsx_member_close(&st->m);
    xml_free(&st->b);
    st->open = false;
}

/* ---- entry points -------------------------------------------------------------------------- */

static int
xlsx_load(struct table__xlsx *x, struct buf *msg)
{
    struct xlsx_rels pkg = { 0 }, wbr = { 0 };
    struct xlsx_wb wb = { 0 };
    struct xlsx_sst_parse sp = { 0 };
    struct buf wbpart = BUF_INIT, part = BUF_INIT;
    zip_int64_t idx;
    bool found;
    int rc = ERR_INTERNAL;

    if (zip_get_num_entries(x->zip, 0) > TABLE_MAX_ZIP_ENTRIES) {
        buf_printf(msg, "the workbook has more than %d parts", TABLE_MAX_ZIP_ENTRIES);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    /* The package relationships name the workbook part; xl/workbook.xml if they do not. */
    if ((rc = xlsx_rels_read(x, "_rels/.rels", &pkg, &found, msg)))
        goto out;
    const struct xlsx_rel *office = found ? xlsx_rel_by_type(&pkg, "/officeDocument") : NULL;
    if (office)
        xlsx_resolve("", office->target, &wbpart);
    else
        buf_adds(&wbpart, "xl/workbook.xml");
    if (xlsx_has_suffix(wbpart.data, ".bin")) {
        buf_adds(msg, "the file is an Excel binary workbook (.xlsb); save it as .xlsx and "
                      "upload again");
        rc = ERR_INVALID;
        goto out;
    }
    if ((idx = xlsx_locate(x, wbpart.data)) < 0) {
        buf_adds(msg, "the file is a zip archive, not an Excel workbook (.xlsx)");
        rc = ERR_INVALID;
        goto out;
    }
    xml_new(&wb.b, xlsx_wb_start, xlsx_end, xlsx_no_chars);
    if ((rc = xlsx_parse_member(x, idx, "workbook", &wb.b, msg)))
        goto out;

    /* The workbook's relationships: sheets and shared strings. */
    const char *slash = strrchr(wbpart.data, '/');
    size_t dirlen = slash ? (size_t)(slash - wbpart.data + 1) : 0;
    buf_add(&part, wbpart.data, dirlen);
    buf_adds(&part, "_rels/");
    buf_adds(&part, wbpart.data + dirlen);
    buf_adds(&part, ".rels");
    if ((rc = xlsx_rels_read(x, part.data, &wbr, &found, msg)))
        goto out;
    if (!found && wb.n) {
        buf_adds(msg, "the workbook is damaged (its relationships are missing)");
        rc = ERR_INVALID;
        goto out;
    }
    x->sheets = xcalloc(wb.n ? wb.n : 1, sizeof *x->sheets);
    for (size_t i = 0; i < wb.n; i++) {
        const struct xlsx_rel *rel = NULL;
        for (size_t k = 0; k < wbr.n && !rel; k++)
            if (strcmp(wbr.v[k].id, wb.v[i].rid) == 0)
                rel = &wbr.v[k];
        if (rel && !xlsx_has_suffix(rel->type, "/worksheet"))
            continue;                   /* chart sheets, dialog sheets: no cells */
        struct xlsx_sheet *s = &x->sheets[x->nsheets++];
        s->name = xstrdup(wb.v[i].name);
        s->hidden = wb.v[i].hidden;
        s->index = -1;
        if (rel)
            s->index = xlsx_locate_target(x, wbpart.data, rel->target, &part);
        bool drop = s->index < 0;                   /* no part: nothing to read */
        for (size_t k = 0; k + 1 < x->nsheets && !drop; k++)
            drop = x->sheets[k].index == s->index;  /* one part listed twice: read once */
        if (drop) {
            xfree(s->name);
            x->nsheets--;
        }
    }
    if (wb.n && !x->nsheets) {
        buf_adds(msg, "the workbook is damaged (its sheets are missing)");
        rc = ERR_INVALID;
        goto out;
    }
    /* Shared strings. */
    const struct xlsx_rel *srel = xlsx_rel_by_type(&wbr, "/sharedStrings");
    if (srel) {
        if ((idx = xlsx_locate_target(x, wbpart.data, srel->target, &part)) < 0) {
            buf_adds(msg, "the workbook is damaged (its shared strings are missing)");
            rc = ERR_INVALID;
            goto out;
        }
        /* A small table gets a small first chunk: the part's size bounds its text. */
        zip_stat_t zs;
        zip_stat_init(&zs);
        x->sst.first_cap = XLSX_SST_CHUNK;
        if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE) &&
            zs.size + 3 * (TABLE_MAX_CELL + 3) < XLSX_SST_CHUNK)
            x->sst.first_cap = (size_t)zs.size + 3 * (TABLE_MAX_CELL + 3);
        sp.sst = &x->sst;
        buf_init(&sp.cur, TABLE_MAX_CELL + 1);
        xml_new(&sp.b, xlsx_sst_start, xlsx_sst_end, xlsx_sst_chars);
        if ((rc = xlsx_parse_member(x, idx, "shared strings", &sp.b, msg)))
            goto out;
    }
    rc = 0;
out:
    xlsx_rels_release(&pkg);
    xlsx_rels_release(&wbr);
    xlsx_wb_release(&wb);
    xml_free(&sp.b);
    buf_release_secret(&sp.cur);
    buf_release(&wbpart);
    buf_release(&part);
    return rc;
}

static int
xlsx_open(zip_t *zip, struct table__xlsx **out, struct buf *msg)
{
    struct table__xlsx *x = xcalloc(1, sizeof *x);
    int rc;
    x->zip = zip;
    x->st.x = x;
    buf_init(&x->st.text, XLSX_ROW_TEXT_CAP);
    if ((rc = xlsx_load(x, msg))) {
        table__xlsx_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int
table__xlsx_open_fd(int fd, struct table__xlsx **out, struct buf *msg)
{
    int code = 0;
    zip_t *zip;
    *out = NULL;
    if (!(zip = zip_fdopen(fd, ZIP_RDONLY, &code))) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        xlsx_zip_message(msg, &ze);
        zip_error_fini(&ze);
        close(fd);
        return ERR_INVALID;
    }
    return xlsx_open(zip, out, msg);
}

int
table__xlsx_open_mem(const void *p, size_t n, struct table__xlsx **out, struct buf *msg)
{
    zip_error_t ze;
    zip_source_t *src;
    zip_t *zip;
    *out = NULL;
    zip_error_init(&ze);
    if (!(src = zip_source_buffer_create(p, n, 0, &ze))) {
        xlsx_zip_message(msg, &ze);
        zip_error_fini(&ze);
        return ERR_INVALID;
    }
    if (!(zip = zip_open_from_source(src, ZIP_RDONLY, &ze))) {
        xlsx_zip_message(msg, &ze);
        zip_error_fini(&ze);
        zip_source_free(src);
        return ERR_INVALID;
    }
    zip_error_fini(&ze);
    return xlsx_open(zip, out, msg);
}

size_t table__xlsx_sheet_count(const struct table__xlsx *x) { return x->nsheets; }
const char *table__xlsx_sheet_name(const struct table__xlsx *x, size_t i) { return x->sheets[i].name; }
bool table__xlsx_sheet_hidden(const struct table__xlsx *x, size_t i) { return x->sheets[i].hidden; }

int
table__xlsx_select(struct table__xlsx *x, size_t i, struct buf *msg)
{
    struct xlsx_stream *st = &x->st;
    xlsx_stream_close(st);
    st->suspended = st->final = st->row_ready = false;
    st->in_data = st->in_row = st->in_cell = st->in_is = st->capture = false;
    st->rph = 0;
    st->row_num = st->last_num = 0;
    xlsx_row_reset(st);
    xml_new(&st->b, xlsx_sheet_start, xlsx_sheet_end, xlsx_sheet_chars);
    st->b.msg = msg;
    int rc = xlsx_member_open(x, x->sheets[i].index, "sheet", &st->m, msg);
    if (rc)
        return rc;
    st->open = true;
    return 0;
}

int
table__xlsx_next(struct table__xlsx *x, struct table_row *row, struct buf *msg)
{
    struct xlsx_stream *st = &x->st;
    enum XML_Status s;
    int rc;

    *row = (struct table_row){ NULL, 0, 0 };
    if (!st->open)
        return 0;
    st->b.msg = msg;
    st->row_ready = false;
    for (;;) {
        if (st->suspended) {
            st->suspended = false;
            s = XML_ResumeParser(st->b.p);
        } else if (st->final) {
            return 0;
        } else {
            size_t got, want = xlsx_member_want(&st->m);
            void *p = XML_GetBuffer(st->b.p, (int)want);
            if (!p)
                return ERR_INTERNAL;
            if ((rc = xlsx_member_read(&st->m, p, want, &got, msg)))
                return rc;
            st->final = got == 0;
            s = XML_ParseBuffer(st->b.p, (int)got, st->final);
        }
        if (s == XML_STATUS_ERROR) {
            if (st->b.rc)
                return st->b.rc;
            buf_printf(msg, "the workbook is damaged (sheet, XML line %lu: %s)",
                       (unsigned long)XML_GetCurrentLineNumber(st->b.p),
                       XML_ErrorString(XML_GetErrorCode(st->b.p)));
            return ERR_INVALID;
        }
        if (s == XML_STATUS_SUSPENDED) {
            st->suspended = true;
            if (st->row_ready)
                break;
        }
    }
    for (size_t c = 0; c < st->ncols; c++)
        st->out[c] = st->len[c] ? (struct str){ st->text.data + st->off[c], st->len[c] }
                                : (struct str){ "", 0 };
    *row = (struct table_row){ st->out, st->ncols, st->row_num };
    return 0;
}

void
table__xlsx_free(struct table__xlsx *x)
{
    if (!x)
        return;
    xlsx_stream_close(&x->st);
    buf_release_secret(&x->st.text);
    for (size_t i = 0; i < x->nsheets; i++)
        xfree(x->sheets[i].name);
    xfree(x->sheets);
    xlsx_sst_release(&x->sst);
    if (x->zip)
        zip_discard(x->zip);
    xfree(x);
}
