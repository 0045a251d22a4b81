/* io/xlsxw.c - the streaming .xlsx writer (see xlsxw.h; R4.2, R4.3).
 *
 * Each row is made as SpreadsheetML text in one buffer, after every cell was checked (UTF-8,
 * size, finite numbers), so a refused row leaves the sheet as it was; the row then goes to
 * the sheet's deflated zip member (io/zipw.h), or to the held rows while the sheet's layout
 * is not yet known. The other parts (workbook, styles, shared strings, relations, content
 * types) are written at close. Style indexes: 0 default (numbers), 1 header (bold, Text),
 * 2 text (Text, "@"). This file does not decide what may be exported: callers pass only
 * what the user may see.
 */
#include "io/xlsxw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strmap.h"
#include "io/ooxml.h"
#include "io/table.h"
#include "io/zipw.h"

#define XLSXW_HOLD_BYTES ((size_t)4 << 20) /* held bytes before a sheet's layout is written */
#define XLSXW_ROW_CAP ((size_t)256 << 20)  /* bytes of one row's XML */
#define XLSXW_STYLE_HEADER 1
#define XLSXW_STYLE_TEXT 2

struct xlsxw_width {
    size_t col;
    double width;           /* already in Excel's stored unit */
};

struct xlsxw {
    struct zipw *z;
    char **sheets;          /* names, in order */
    size_t nsheets;
    /* the current sheet */
    uint64_t row;           /* rows written */
    bool laid_out;          /* its layout was written, rows go straight to the zip */
    bool header_held;       /* a header row is among the held rows */
    uint64_t freeze;        /* rows frozen at its top (0: none) */
    struct buf held;        /* rows written before the layout */
    size_t nheld;
    struct xlsxw_width *widths;
    size_t nwidths, widths_cap;
    /* scratch */
    struct buf rowbuf;      /* one row's XML */
    /* the shared-string table: text -> index + 1 */
    struct strmap sst;
    char **sst_text;
    size_t *sst_len;
    size_t sst_n, sst_cap;
    uint64_t sst_refs;
};

static const char xlsxw_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
static const char xlsxw_ns[] = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"";
static const char xlsxw_rel[] = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/* ---- small formatters ------------------------------------------------------------------ */

static void
xlsxw_add_u64(struct buf *b, uint64_t v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char out[24];
    for (int i = 0; i < n; i++)
        out[i] = d[n - 1 - i];
    buf_add(b, out, (size_t)n);
}

/* xlsxw_add_ref appends the cell reference of col (0-based) and row (1-based): "AB12". */
static void
xlsxw_add_ref(struct buf *b, size_t col, uint64_t row)
{
    char letters[8];
    int n = 0;
    col++;
    while (col) {
        letters[n++] = (char)('A' + (col - 1) % 26);
        col = (col - 1) / 26;
    }
    while (n)
        buf_addch(b, letters[--n]);
    xlsxw_add_u64(b, row);
}

/* xlsxw_add_number writes v with as few digits as give v back. */
static void
xlsxw_add_number(struct buf *b, double v)
{
    char t[40];
    if (v == 0) {
        buf_addch(b, '0');
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(t, sizeof t, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(t, sizeof t, "%.*g", prec, v);
            if (strtod(t, NULL) == v)
                break;
        }
    }
    buf_adds(b, t);
}

/* ---- the shared-string table ------------------------------------------------------------- */

/* xlsxw_sst_index returns the index of text s in the table, adding it; -1 when the table
 * is full and s not in it. */
static long
xlsxw_sst_index(struct xlsxw *w, struct str s)
{
    uintptr_t idx = (uintptr_t)strmap_get(&w->sst, s.p, s.n);
    if (!idx) {
        if (w->sst_n >= XLSXW_SST_MAX)
            return -1;
        if (w->sst_n == w->sst_cap) {
            w->sst_cap = w->sst_cap ? 2 * w->sst_cap : 64;
            w->sst_text = xrealloc(w->sst_text, w->sst_cap * sizeof *w->sst_text);
            w->sst_len = xrealloc(w->sst_len, w->sst_cap * sizeof *w->sst_len);
        }
        w->sst_text[w->sst_n] = xstrndup(s.p, s.n);
        w->sst_len[w->sst_n] = s.n;
        idx = ++w->sst_n;
        strmap_put(&w->sst, s.p, s.n, (void *)idx);
    }
    w->sst_refs++;
    return (long)idx - 1;
}

/* ---- sheets ----------------------------------------------------------------------------- */

static bool
xlsxw_name_ok(const struct xlsxw *w, const char *name)
{
    size_t n = name ? strlen(name) : 0, chars = 0;
    if (!n || !str_is_utf8(name, n) || str_has_ctl(name, n) || strpbrk(name, "[]:*?/\\") ||
        name[0] == '\'' || name[n - 1] == '\'')
        return false;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)name[i] & 0xC0) != 0x80;
    if (chars > 31)
        return false;
    for (size_t i = 0; i < w->nsheets; i++)
        if (strcasecmp(w->sheets[i], name) == 0)
            return false;
    return true;
}

static void
xlsxw_put(struct xlsxw *w, const char *p, size_t n)
{
    if (w->laid_out)
        zipw_put(w->z, p, n);
    else
        buf_add(&w->held, p, n);
}

static int
xlsxw_width_cmp(const void *pa, const void *pb)
{
    const struct xlsxw_width *a = pa, *b = pb;
    return (a->col > b->col) - (a->col < b->col);
}

/* xlsxw_layout starts the current sheet's zip member with its layout (frozen rows, column
 * widths), then writes the held rows after it. */
static void
xlsxw_layout(struct xlsxw *w)
{
    struct buf b = BUF_INIT;
    char name[ZIPW_NAME_MAX + 1];

    snprintf(name, sizeof name, "xl/worksheets/sheet%zu.xml", w->nsheets);
    buf_adds(&b, xlsxw_xml);
    buf_printf(&b, "<worksheet %s xmlns:r=\"%s\"><sheetViews><sheetView%s workbookViewId=\"0\"", xlsxw_ns,
               xlsxw_rel, w->nsheets == 1 ? " tabSelected=\"1\"" : "");
    if (w->freeze) {
        buf_printf(&b, "><pane ySplit=\"%llu\" topLeftCell=\"", (unsigned long long)w->freeze);
        xlsxw_add_ref(&b, 0, w->freeze + 1);
        buf_adds(&b, "\" activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\"/>"
                     "</sheetView></sheetViews>");
    } else {
        buf_adds(&b, "/></sheetViews>");
    }
    buf_adds(&b, "<sheetFormatPr defaultRowHeight=\"15\"/>");
    if (w->nwidths) {
        qsort(w->widths, w->nwidths, sizeof *w->widths, xlsxw_width_cmp);
        buf_adds(&b, "<cols>");
        for (size_t i = 0; i < w->nwidths; i++)
            buf_printf(&b, "<col min=\"%zu\" max=\"%zu\" width=\"%.16g\" customWidth=\"1\"/>", w->widths[i].col + 1,
                       w->widths[i].col + 1, w->widths[i].width);
        buf_adds(&b, "</cols>");
    }
    buf_adds(&b, "<sheetData>");
    zipw_begin(w->z, name);
    zipw_put(w->z, b.data, b.len);
    zipw_put(w->z, w->held.data, w->held.len);
    wipe(w->held.data, w->held.len);
    buf_reset(&w->held);
    w->nheld = 0;
    w->laid_out = true;
    buf_release(&b);
}

static void
xlsxw_sheet_end(struct xlsxw *w)
{
    static const char tail[] = "</sheetData><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" "
                               "header=\"0.3\" footer=\"0.3\"/></worksheet>";
    if (!w->laid_out)
        xlsxw_layout(w);
    zipw_put(w->z, tail, sizeof tail - 1);
    zipw_end(w->z);
    w->row = 0;
    w->laid_out = w->header_held = false;
    w->freeze = 0;
    w->nwidths = 0;
}

static int
xlsxw_new_sheet(struct xlsxw *w, const char *name)
{
    if (!xlsxw_name_ok(w, name))
        return ERR_INVALID;
    if (w->nsheets >= XLSXW_MAX_SHEETS)
        return ERR_TOO_LARGE;
    if (w->nsheets)
        xlsxw_sheet_end(w);
    w->sheets = xrealloc(w->sheets, (w->nsheets + 1) * sizeof *w->sheets);
    w->sheets[w->nsheets++] = xstrdup(name);
    return zipw_error(w->z);
}

int
xlsxw_open(const char *path, const char *sheet_name, const struct xlsxw_opts *opts, struct xlsxw **out)
{
    return xlsxw_open_dest(XLSXW_PATH(path), sheet_name, opts, out);
}

int
xlsxw_open_dest(const struct xlsxw_dest *dest, const char *sheet_name, const struct xlsxw_opts *opts,
                struct xlsxw **out)
{
    struct xlsxw *w = NULL;
    struct zipw *z = NULL;
    int rc;

    *out = NULL;
    {
        struct xlsxw probe = { 0 };
        if (!xlsxw_name_ok(&probe, sheet_name))
            return ERR_INVALID;
    }
    unsigned threads = opts ? opts->threads : 0;
    if ((rc = dest->sink ? zipw_open_sink(dest->sink, threads, &z) : zipw_open(dest->path, threads, &z)))
        return rc;
    w = xcalloc(1, sizeof *w);
    w->z = z;
    buf_init(&w->held, SIZE_MAX / 2);
    buf_init(&w->rowbuf, XLSXW_ROW_CAP);
    w->sst = (struct strmap)STRMAP_INIT;
    if ((rc = xlsxw_new_sheet(w, sheet_name))) {
        xlsxw_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int
xlsxw_add_sheet(struct xlsxw *w, const char *sheet_name)
{
    return xlsxw_new_sheet(w, sheet_name);
}

/* ---- rows -------------------------------------------------------------------------------- */

static int
xlsxw_check(const struct xlsxw_cell *cells, size_t n)
{
    if (n > XLSXW_MAX_COLS)
        return ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++) {
        const struct xlsxw_cell *c = &cells[i];
        switch (c->type) {
        case XLSXW_EMPTY:
            break;
        case XLSXW_TEXT:
        case XLSXW_SHARED:
            if (c->text.n > TABLE_MAX_CELL)
                return ERR_TOO_LARGE;
            if (c->text.n && !str_is_utf8(c->text.p, c->text.n))
                return ERR_INVALID;
            break;
        case XLSXW_NUMBER:
            if (!isfinite(c->number))
                return ERR_INVALID;
            break;
        default:
            return ERR_INVALID;
        }
    }
    return 0;
}

static void
xlsxw_cell_head(struct buf *b, size_t col, uint64_t row)
{
    buf_add(b, "<c r=\"", 6);
    xlsxw_add_ref(b, col, row);
    buf_addch(b, '"');
}

static void
xlsxw_cell(struct xlsxw *w, const struct xlsxw_cell *c, size_t col, uint64_t row, int style)
{
    struct buf *b = &w->rowbuf;
    long idx;

    if (c->type == XLSXW_NUMBER) {
        xlsxw_cell_head(b, col, row);
        buf_add(b, "><v>", 4);
        xlsxw_add_number(b, c->number);
        buf_add(b, "</v></c>", 8);
        return;
    }
    if (c->type == XLSXW_EMPTY || !c->text.n)
        return;
    xlsxw_cell_head(b, col, row);
    buf_add(b, " s=\"", 4);
    buf_addch(b, (char)('0' + style));
    if (c->type == XLSXW_SHARED && (idx = xlsxw_sst_index(w, c->text)) >= 0) {
        buf_add(b, "\" t=\"s\"><v>", 11);
        xlsxw_add_u64(b, (uint64_t)idx);
        buf_add(b, "</v></c>", 8);
        return;
    }
    buf_add(b, "\" t=\"inlineStr\"><is>", 20);
    if (ooxml_space_edge(c->text.p, c->text.n))
        buf_adds(b, "<t xml:space=\"preserve\">");
    else
        buf_add(b, "<t>", 3);
    ooxml_escape(b, c->text.p, c->text.n);
    buf_add(b, "</t></is></c>", 13);
}

static int
xlsxw_write(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n, bool header)
{
    int rc;
    if ((rc = zipw_error(w->z)))
        return rc;
    if (w->row >= XLSXW_MAX_ROWS)
        return ERR_TOO_LARGE;
    if ((rc = xlsxw_check(cells, n)))
        return rc;
    if (!w->laid_out &&
        ((w->header_held && !header) || w->nheld >= XLSXW_HOLD_ROWS || w->held.len >= XLSXW_HOLD_BYTES))
        xlsxw_layout(w);
    uint64_t r = w->row + 1;
    struct buf *b = &w->rowbuf;
    buf_reset(b);
    buf_add(b, "<row r=\"", 8);
    xlsxw_add_u64(b, r);
    buf_add(b, "\">", 2);
    for (size_t i = 0; i < n; i++)
        xlsxw_cell(w, &cells[i], i, r, header ? XLSXW_STYLE_HEADER : XLSXW_STYLE_TEXT);
    buf_add(b, "</row>", 6);
    if (buf_error(b)) {
        wipe(b->data, b->len);
        buf_release(b);
        buf_init(b, XLSXW_ROW_CAP);
        return ERR_TOO_LARGE;
    }
    xlsxw_put(w, b->data, b->len);
    wipe(b->data, b->len);
    w->row = r;
    if (!w->laid_out) {
        w->nheld++;
        if (header) {
            w->header_held = true;
            w->freeze = r;
        }
    }
    return zipw_error(w->z);
}

int
xlsxw_row(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n)
{
    return xlsxw_write(w, cells, n, false);
}

int
xlsxw_header(struct xlsxw *w, const struct str *names, size_t n)
{
    struct xlsxw_cell *cells = xcalloc(n ? n : 1, sizeof *cells);
    int rc;
    for (size_t i = 0; i < n; i++)
        cells[i] = XLSXW_TEXT_CELL(names[i]);
    rc = xlsxw_write(w, cells, n, true);
    xfree(cells);
    return rc;
}

int
xlsxw_set_width(struct xlsxw *w, size_t col, double width)
{
    const double digit = 7, padding = 5; /* Calibri 11: Excel's stored width, as Excel computes it */
    if (col >= XLSXW_MAX_COLS || !(width > 0 && width <= 255) || w->laid_out)
        return ERR_INVALID;
    if (width < 1)
        width = (double)(int)((double)(int)(width * (digit + padding) + 0.5) / (digit + padding) * 256.0) / 256.0;
    else
        width = (double)(int)(((double)(int)(width * digit + 0.5) + padding) / digit * 256.0) / 256.0;
    for (size_t i = 0; i < w->nwidths; i++)
        if (w->widths[i].col == col) {
            w->widths[i].width = width;
            return 0;
        }
    if (w->nwidths == w->widths_cap) {
        w->widths_cap = w->widths_cap ? 2 * w->widths_cap : 16;
        w->widths = xrealloc(w->widths, w->widths_cap * sizeof *w->widths);
    }
    w->widths[w->nwidths++] = (struct xlsxw_width){ col, width };
    return 0;
}

uint64_t xlsxw_rows(const struct xlsxw *w) { return w->row; }

/* ---- the other parts ------------------------------------------------------------------- */

static void
xlsxw_shared_strings(struct xlsxw *w)
{
    struct buf b = BUF_INIT;
    zipw_begin(w->z, "xl/sharedStrings.xml");
    buf_printf(&b, "%s<sst %s count=\"%llu\" uniqueCount=\"%zu\">", xlsxw_xml, xlsxw_ns,
               (unsigned long long)w->sst_refs, w->sst_n);
    for (size_t i = 0; i < w->sst_n; i++) {
        const char *t = w->sst_text[i];
        size_t n = w->sst_len[i];
        buf_adds(&b, ooxml_space_edge(t, n) ? "<si><t xml:space=\"preserve\">" : "<si><t>");
        ooxml_escape(&b, t, n);
        buf_adds(&b, "</t></si>");
        if (b.len > 65536) {
            zipw_put(w->z, b.data, b.len);
            wipe(b.data, b.len);
            buf_reset(&b);
        }
    }
    buf_adds(&b, "</sst>");
    zipw_put(w->z, b.data, b.len);
    zipw_end(w->z);
    buf_release_secret(&b);
}

static void
xlsxw_workbook(struct xlsxw *w, struct buf *b)
{
    buf_reset(b);
    buf_printf(b, "%s<workbook %s xmlns:r=\"%s\"><bookViews><workbookView/></bookViews><sheets>", xlsxw_xml,
               xlsxw_ns, xlsxw_rel);
    for (size_t i = 0; i < w->nsheets; i++) {
        buf_adds(b, "<sheet name=\"");
        ooxml_escape(b, w->sheets[i], strlen(w->sheets[i]));
        buf_printf(b, "\" sheetId=\"%zu\" r:id=\"rId%zu\"/>", i + 1, i + 1);
    }
    buf_adds(b, "</sheets></workbook>");
    zipw_stored(w->z, "xl/workbook.xml", b->data, b->len);
    buf_reset(b);
    buf_printf(b, "%s<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
               xlsxw_xml);
    for (size_t i = 0; i < w->nsheets; i++)
        buf_printf(b, "<Relationship Id=\"rId%zu\" Type=\"%s/worksheet\" Target=\"worksheets/sheet%zu.xml\"/>", i + 1,
                   xlsxw_rel, i + 1);
    buf_printf(b, "<Relationship Id=\"rId%zu\" Type=\"%s/styles\" Target=\"styles.xml\"/><Relationship Id=\"rId%zu\""
                  " Type=\"%s/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>",
               w->nsheets + 1, xlsxw_rel, w->nsheets + 2, xlsxw_rel);
    zipw_stored(w->z, "xl/_rels/workbook.xml.rels", b->data, b->len);
}

static void
xlsxw_package(struct xlsxw *w, struct buf *b)
{
    static const char ct[] = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    buf_reset(b);
    buf_printf(b, "%s<styleSheet %s><fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/>"
                  "<family val=\"2\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/>"
                  "</font></fonts><fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill>"
                  "<patternFill patternType=\"gray125\"/></fill></fills><borders count=\"1\"><border><left/><right/>"
                  "<top/><bottom/><diagonal/></border></borders><cellStyleXfs count=\"1\"><xf numFmtId=\"0\" "
                  "fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs><cellXfs count=\"3\"><xf numFmtId=\"0\""
                  " fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/><xf numFmtId=\"49\" fontId=\"1\" "
                  "fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\"/><xf "
                  "numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
                  "</cellXfs><cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/>"
                  "</cellStyles></styleSheet>",
               xlsxw_xml, xlsxw_ns);
    zipw_stored(w->z, "xl/styles.xml", b->data, b->len);
    buf_reset(b);
    buf_printf(b, "%s<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                  "<Relationship Id=\"rId1\" Type=\"%s/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>",
               xlsxw_xml, xlsxw_rel);
    zipw_stored(w->z, "_rels/.rels", b->data, b->len);
    buf_reset(b);
    buf_printf(b, "%s<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default "
                  "Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
                  "<Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\""
                  " ContentType=\"%s.sheet.main+xml\"/><Override PartName=\"/xl/styles.xml\" ContentType=\""
                  "%s.styles+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"%s.sharedStrings+xml\"/>",
               xlsxw_xml, ct, ct, ct);
    for (size_t i = 0; i < w->nsheets; i++)
        buf_printf(b, "<Override PartName=\"/xl/worksheets/sheet%zu.xml\" ContentType=\"%s.worksheet+xml\"/>", i + 1,
                   ct);
    buf_adds(b, "</Types>");
    zipw_stored(w->z, "[Content_Types].xml", b->data, b->len);
}

static void
xlsxw_release(struct xlsxw *w)
{
    for (size_t i = 0; i < w->nsheets; i++)
        xfree(w->sheets[i]);
    xfree(w->sheets);
    buf_release_secret(&w->held);
    buf_release_secret(&w->rowbuf);
    for (size_t i = 0; i < w->sst_n; i++)
        xfree_secret(w->sst_text[i], w->sst_len[i]);
    xfree(w->sst_text);
    xfree(w->sst_len);
    strmap_release(&w->sst);
    xfree(w->widths);
    xfree(w);
}

int
xlsxw_close(struct xlsxw *w)
{
    struct buf b = BUF_INIT;
    int rc;

    if (!w)
        return 0;
    xlsxw_sheet_end(w);
    xlsxw_shared_strings(w);
    xlsxw_workbook(w, &b);
    xlsxw_package(w, &b);
    rc = buf_error(&b) ? ERR_TOO_LARGE : 0;
    buf_release(&b);
    if (rc) {
        zipw_free(w->z);
    } else {
        rc = zipw_close(w->z);
    }
    xlsxw_release(w);
    return rc;
}

void
xlsxw_free(struct xlsxw *w)
{
    if (!w)
        return;
    zipw_free(w->z);
    xlsxw_release(w);
}

int
xlsxw_finish(struct xlsxw *w, int rc)
{
    if (rc) {
        xlsxw_free(w);
        return rc;
    }
    return xlsxw_close(w);
}
