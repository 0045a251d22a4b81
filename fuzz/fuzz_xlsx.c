/* fuzz/fuzz_xlsx.c - libFuzzer target for the .xlsx reader of io/table.h (R4.3, R4.5).
 *
 * Two input shapes. Bytes starting with "PK" are handed to table_open_mem as they are (a
 * whole package: zip damage, lying sizes). Anything else is cut at NUL bytes into up to
 * six XML parts - sheet, shared strings, workbook, workbook relationships, package
 * relationships, styles - which are zipped here (stored, so the fuzzer's bytes reach expat
 * unchanged; defaults fill the missing parts, and the default sheet and styles hold
 * formulas and dates): that is what reaches the XML handlers, which random zips never
 * would. Either way every row is read and the io/table.h contract is checked: cells are
 * UTF-8 without NUL, NUL-terminated, within the caps, the last one non-empty or an
 * uncached formula, row numbers within TABLE_MAX_ROWS, every cell has a known kind, an
 * uncached formula is "" and judged "formula" (never "empty") by columns_idno, a date is
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"; failures carry a message and stick.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "io/columns.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"

static const char DEF_SHEET[] =
    "<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c t=\"s\"><v>0</v></c></row>"
    "<row r=\"2\"><c><f>\"110102199003077777\"</f><v></v></c><c s=\"1\"><v>44652.5</v></c>"
    "<c><f>A1&amp;B1</f></c><c s=\"2\"><f>45000</f></c></row></sheetData></worksheet>";
static const char DEF_SST[] = "<sst xmlns=\"" NS_MAIN "\"><si><t>身份证号</t></si></sst>";
static const char DEF_WB[] =
    "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
    "<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char DEF_WBRELS[] =
    "<Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" NS_REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" NS_REL "/styles\" Target=\"styles.xml\"/>"
    "</Relationships>";
static const char DEF_PKGRELS[] =
    "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
    "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";

static const char DEF_STYLES[] =
    "<styleSheet xmlns=\"" NS_MAIN "\"><numFmts><numFmt numFmtId=\"164\" "
    "formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/></numFmts>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"22\"/><xf numFmtId=\"164\"/></cellXfs>"
    "</styleSheet>";

/* fuzz_cell checks cell i of row against its kind. */
static void
fuzz_cell(const struct table_row *row, size_t i)
{
    struct str s = row->cells[i];
    char out[IDNO_LEN + 1];
    enum idno_status st = columns_idno(row, (int)i, out);
    FUZZ_CHECK(row->kinds[i] <= TABLE_CELL_DATE);
    FUZZ_CHECK((st == IDNO_FORMULA) == (row->kinds[i] == TABLE_CELL_FORMULA_UNCACHED));
    if (row->kinds[i] == TABLE_CELL_FORMULA_UNCACHED)
        FUZZ_CHECK(s.n == 0);
    if (row->kinds[i] == TABLE_CELL_DATE) {
        FUZZ_CHECK(s.n == 10 || s.n == 19);
        for (size_t k = 0; k < s.n; k++)
            FUZZ_CHECK(k == 4 || k == 7 ? s.p[k] == '-' : k == 10 ? s.p[k] == ' '
                       : k == 13 || k == 16 ? s.p[k] == ':' : (s.p[k] >= '0' && s.p[k] <= '9'));
    }
}

static void
fuzz_read(const void *p, size_t n)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct table_row row;
    uint64_t last = 0;
    int rc = table_open_mem(p, n, &t, &why);
    if (rc) {
        FUZZ_CHECK(t == NULL && why.len > 0);
        buf_release(&why);
        return;
    }
    FUZZ_CHECK(why.len == 0);
    const struct columns *c = table_columns(t);
    FUZZ_CHECK(c->id >= -1 && c->id < TABLE_MAX_COLS);
    FUZZ_CHECK(c->name >= -1 && c->name < TABLE_MAX_COLS);
    FUZZ_CHECK(c->phone >= -1 && c->phone < TABLE_MAX_COLS);
    FUZZ_CHECK(c->header_row <= TABLE_MAX_ROWS);
    FUZZ_CHECK((table_sheet_name(t) != NULL) == (table_format(t) == TABLE_XLSX));
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        FUZZ_CHECK(row.ncells > 0 && row.ncells <= TABLE_MAX_COLS);
        FUZZ_CHECK(row.num >= 1 && row.num <= TABLE_MAX_ROWS);
        FUZZ_CHECK(row.kinds != NULL);
        FUZZ_CHECK(row.cells[row.ncells - 1].n > 0 ||
                   row.kinds[row.ncells - 1] == TABLE_CELL_FORMULA_UNCACHED);
        for (size_t i = 0; i < row.ncells; i++) {
            fuzz_cell(&row, i);
            struct str s = row.cells[i];
            FUZZ_CHECK(s.p != NULL && s.n <= TABLE_MAX_CELL && s.p[s.n] == '\0');
            FUZZ_CHECK(str_is_utf8(s.p, s.n));
        }
        last = row.num;
    }
    (void)last;
    if (rc) {
        FUZZ_CHECK(table_message(t)[0] != '\0');
        FUZZ_CHECK(table_next_row(t, &row) == rc && row.cells == NULL);
    } else {
        FUZZ_CHECK(row.cells == NULL && row.ncells == 0);
        FUZZ_CHECK(table_next_row(t, &row) == 0 && row.cells == NULL);
    }
    table_close(t);
    buf_release(&why);
}

/* fuzz_zip stores the parts in a zip built in memory; false if libzip refuses. */
static bool
fuzz_zip(const char *const names[], const char *const parts[], const size_t lens[], size_t n,
         struct buf *out)
{
    zip_error_t ze;
    zip_stat_t st;
    bool ok = false;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!src)
        goto out;
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!z)
        goto out;
    for (size_t i = 0; i < n; i++) {
        zip_source_t *fs = zip_source_buffer(z, parts[i], lens[i], 0);
        zip_int64_t idx = fs ? zip_file_add(z, names[i], fs, 0) : -1;
        if (idx < 0) {
            zip_source_free(fs);
            zip_discard(z);
            goto out;
        }
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (zip_close(z) != 0) {
        zip_discard(z);
        goto out;
    }
    if (zip_source_open(src) != 0)
        goto out;
    zip_stat_init(&st);
    if (zip_source_stat(src, &st) == 0) {
        char chunk[4096];
        zip_int64_t got;
        while ((got = zip_source_read(src, chunk, sizeof chunk)) > 0)
            buf_add(out, chunk, (size_t)got);
        ok = !buf_error(out);
    }
    zip_source_close(src);
out:
    if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        char *copy = xmalloc(size);             /* exactly size bytes: ASan sees over-reads */
        memcpy(copy, data, size);
        fuzz_read(copy, size);
        xfree(copy);
        return 0;
    }
    static const char *const names[6] = { "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                                           "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                                           "_rels/.rels", "xl/styles.xml" };
    const char *parts[6] = { DEF_SHEET, DEF_SST, DEF_WB, DEF_WBRELS, DEF_PKGRELS, DEF_STYLES };
    size_t lens[6] = { sizeof DEF_SHEET - 1, sizeof DEF_SST - 1, sizeof DEF_WB - 1,
                       sizeof DEF_WBRELS - 1, sizeof DEF_PKGRELS - 1, sizeof DEF_STYLES - 1 };
    const char *p = (const char *)data, *end = p + size;
    for (size_t k = 0; k < 6 && p <= end; k++) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        const char *stop = nul ? nul : end;
        if (stop > p) {
            parts[k] = p;
            lens[k] = (size_t)(stop - p);
        }
        p = stop + 1;
    }
    struct buf zipped = BUF_INIT;
    if (fuzz_zip(names, parts, lens, 6, &zipped)) {
        char *copy = xmalloc(zipped.len);
        memcpy(copy, zipped.data, zipped.len);
        fuzz_read(copy, zipped.len);
        xfree(copy);
    }
    buf_release(&zipped);
    return 0;
}
