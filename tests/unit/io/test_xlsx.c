/* tests/unit/io/test_xlsx.c - io/table.h reading .xlsx workbooks (R4.3, R4.4, R4.5).
 *
 * Workbooks come from two places: libxlsxwriter (what real tools write: shared strings,
 * numbers, merged title rows, several sheets, hidden sheets) and packages built here part
 * by part with libzip or byte by byte (inline strings, rich text, phonetic runs, gaps in
 * r= references, prefixed namespaces, and every kind of damage: truncation, missing parts,
 * shared-string references out of range, lying sizes, zip bombs, XML bombs). All ID
 * numbers are synthetic (region 110102, check digits computed here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "io/columns.h"
#include "io/table.h"
#include "iotest.h"

/* ---- packages built part by part --------------------------------------------------------- */

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"

static const char CT_XML[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/"
    "package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "</Types>";
static const char PKG_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";
static const char WB_ONE[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL
    "\"><sheets><sheet name=\"名单\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char WB_RELS[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" NS_REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "</Relationships>";
static const char WB_RELS_NO_SST[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"" NS_PKG "\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "</Relationships>";

struct part {
    const char *name;
    const char *data;
    size_t len;                 /* 0: strlen(data) */
};

/* zip_parts builds a zip in memory from parts (deflated, as Excel writes them). */
static void
zip_parts(struct buf *out, const struct part *parts, size_t n)
{
    zip_error_t ze;
    zip_stat_t st;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        size_t len = parts[i].len ? parts[i].len : strlen(parts[i].data);
        zip_source_t *fs = zip_source_buffer(z, parts[i].data, len, 0);
        assert_non_null(fs);
        assert_true(zip_file_add(z, parts[i].name, fs, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    assert_int_equal(zip_source_open(src), 0);
    zip_stat_init(&st);
    assert_int_equal(zip_source_stat(src, &st), 0);
    buf_reset(out);
    buf_grow(out, st.size);
    char chunk[65536];
    zip_int64_t got;
    while ((got = zip_source_read(src, chunk, sizeof chunk)) > 0)
        buf_add(out, chunk, (size_t)got);
    assert_int_equal(out->len, st.size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
}

/* xlsx_with builds a one-sheet workbook around sheet (and sst, when not NULL). */
static void
xlsx_with(struct buf *out, const char *sheet, const char *sst)
{
    struct part parts[] = {
        { "[Content_Types].xml", CT_XML, 0 }, { "_rels/.rels", PKG_RELS, 0 },
        { "xl/workbook.xml", WB_ONE, 0 },
        { "xl/_rels/workbook.xml.rels", sst ? WB_RELS : WB_RELS_NO_SST, 0 },
        { "xl/worksheets/sheet1.xml", sheet, 0 }, { "xl/sharedStrings.xml", sst ? sst : "", 0 },
    };
    zip_parts(out, parts, sst ? 6 : 5);
}

static void
sheet_xml(struct buf *b, const char *rows)
{
    buf_reset(b);
    buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet xmlns=\""
                NS_MAIN "\" xmlns:r=\"" NS_REL "\"><dimension ref=\"A1\"/><sheetData>");
    buf_adds(b, rows);
    buf_adds(b, "</sheetData><mergeCells count=\"0\"/></worksheet>");
}

/* expect_open_fails opens bytes and checks the code and that the message contains what. */
static void
expect_open_fails(const void *p, size_t n, int want, const char *what)
{
    struct table *t = (struct table *)1;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_mem(p, n, &t, &why), want);
    assert_null(t);
    if (!strstr(why.data, what))
        fail_msg("message \"%s\" lacks \"%s\"", why.data, what);
    buf_release(&why);
}

/* expect_read_fails opens bytes fine but fails while streaming, stickily. */
static void
expect_read_fails(const void *p, size_t n, int want, const char *what, const char *rows_before)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT, rows = BUF_INIT;
    struct table_row row;
    assert_int_equal(table_open_mem(p, n, &t, &why), 0);
    assert_int_equal(iotest_dump(t, &rows), want);
    assert_string_equal(rows.data, rows_before);
    if (!strstr(table_message(t), what))
        fail_msg("message \"%s\" lacks \"%s\"", table_message(t), what);
    assert_int_equal(table_next_row(t, &row), want);        /* sticky */
    assert_null(row.cells);
    table_close(t);
    buf_release(&why);
    buf_release(&rows);
}

/* ---- libxlsxwriter workbooks --------------------------------------------------------------- */

/* A realistic list: merged title row, header with decorations, an ID typed in as text, one
 * that Excel turned into a number, phones as numbers, an empty row, a boolean, a formula
 * with a cached string and a rich-text name. */
static void
test_lxw_title_numbers_shared_strings(void **state)
{
    (void)state;
    const char *path = iotest_path("list.xlsx");
    char id1[19], id2[19];
    iotest_make_id(id1, 1990, 3, 7, 123);
    iotest_make_id(id2, 1985, 11, 24, 2);

    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "核酸名单");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    worksheet_merge_range(ws, 0, 0, 0, 3, "XX街道核酸检测人员名单", bold);
    worksheet_write_string(ws, 1, 0, "序号", NULL);
    worksheet_write_string(ws, 1, 1, "姓 名", NULL);
    worksheet_write_string(ws, 1, 2, "*身份证号码（必填）", NULL);
    worksheet_write_string(ws, 1, 3, "联系电话", NULL);
    worksheet_write_number(ws, 2, 0, 1, NULL);
    worksheet_write_string(ws, 2, 1, "张三", NULL);
    worksheet_write_string(ws, 2, 2, id1, NULL);
    worksheet_write_number(ws, 2, 3, 13800138000.0, NULL);
    worksheet_write_number(ws, 3, 0, 2, NULL);
    worksheet_write_string(ws, 3, 1, "李四", NULL);
    worksheet_write_number(ws, 3, 2, 110102199003077000.0, NULL);   /* what Excel does */
    worksheet_write_blank(ws, 4, 0, bold);                          /* styled, empty */
    worksheet_write_number(ws, 5, 0, 3, NULL);
    lxw_format *red = workbook_add_format(wb);
    format_set_font_color(red, LXW_COLOR_RED);
    lxw_rich_string_tuple f1 = { NULL, "王" }, f2 = { red, "五" };
    lxw_rich_string_tuple *rich[] = { &f1, &f2, NULL };
    worksheet_write_rich_string(ws, 5, 1, rich, NULL);
    worksheet_write_formula_str(ws, 5, 2, "=\"" "x\"", NULL, id2);
    worksheet_write_boolean(ws, 5, 4, 1, NULL);
    worksheet_write_string(ws, 5, 5, "tab\there", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    struct table *t;
    struct buf why = BUF_INIT, rows = BUF_INIT, want = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    assert_int_equal(table_format(t), TABLE_XLSX);
    assert_string_equal(table_sheet_name(t), "核酸名单");
    assert_null(table_encoding(t));
    const struct columns *c = table_columns(t);
    assert_int_equal(c->id, 2);
    assert_int_equal(c->id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c->name, 1);
    assert_int_equal(c->phone, 3);
    assert_int_equal(c->header_row, 2);
    assert_int_equal(c->sample_rows, 3);
    assert_int_equal(c->id_like, 2);                 /* id1 and the formula's id2 */
    assert_int_equal(iotest_dump(t, &rows), 0);
    buf_printf(&want,
               "1:XX街道核酸检测人员名单\n"
               "2:序号|姓 名|*身份证号码（必填）|联系电话\n"
               "3:1|张三|%s|13800138000\n"
               "4:2|李四|1.10102199003077E+17\n"
               "6:3|王五|%s||TRUE|tab\there\n", id1, id2);
    assert_string_equal(rows.data, want.data);
    table_close(t);

    /* The same bytes from memory give the same rows. */
    struct buf file = BUF_INIT, rows2 = BUF_INIT;
    iotest_read_file(path, &file);
    assert_int_equal(table_open_mem(file.data, file.len, &t, NULL), 0);
    assert_int_equal(iotest_dump(t, &rows2), 0);
    assert_string_equal(rows2.data, want.data);
    table_close(t);
    buf_release(&file);
    buf_release(&rows2);
    buf_release(&why);
    buf_release(&rows);
    buf_release(&want);
}

/* The first sheet is instructions; the list is on the second; a hidden third sheet also
 * has IDs but visible sheets come first. */
static void
test_lxw_sheet_choice(void **state)
{
    (void)state;
    const char *path = iotest_path("sheets.xlsx");
    char id[19];
    iotest_make_id(id, 2001, 1, 31, 45);

    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *hidden = workbook_add_worksheet(wb, "旧名单");
    lxw_worksheet *help = workbook_add_worksheet(wb, "填表说明");
    lxw_worksheet *list = workbook_add_worksheet(wb, "名单");
    worksheet_write_string(hidden, 0, 0, "身份证号", NULL);
    worksheet_write_string(hidden, 1, 0, id, NULL);
    worksheet_hide(hidden);
    worksheet_activate(help);
    worksheet_write_string(help, 0, 0, "请按模板填写，身份证号请设为文本格式", NULL);
    worksheet_write_string(list, 0, 0, "name", NULL);
    worksheet_write_string(list, 0, 1, "ID_Number", NULL);
    worksheet_write_string(list, 1, 0, "赵六", NULL);
    worksheet_write_string(list, 1, 1, id, NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    struct table *t;
    struct buf rows = BUF_INIT, want = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_string_equal(table_sheet_name(t), "名单");
    assert_int_equal(table_sheet_count(t), 3);
    assert_int_equal(table_columns(t)->id, 1);
    assert_int_equal(table_columns(t)->name, 0);
    assert_int_equal(iotest_dump(t, &rows), 0);
    buf_printf(&want, "1:name|ID_Number\n2:赵六|%s\n", id);
    assert_string_equal(rows.data, want.data);
    table_close(t);

    /* Only the hidden sheet has IDs: it is chosen over the visible ones. */
    wb = workbook_new(path);
    help = workbook_add_worksheet(wb, "说明");
    hidden = workbook_add_worksheet(wb, "数据");
    worksheet_write_string(help, 0, 0, "说明文字", NULL);
    worksheet_write_string(hidden, 0, 0, id, NULL);
    worksheet_hide(hidden);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_string_equal(table_sheet_name(t), "数据");
    assert_int_equal(table_columns(t)->id, 0);
    assert_int_equal(table_columns(t)->id_rule, COLUMNS_BY_CONTENT);
    table_close(t);

    /* No sheet has IDs: the first sheet with rows, and its rows are all delivered. */
    wb = workbook_new(path);
    workbook_add_worksheet(wb, "空");
    list = workbook_add_worksheet(wb, "其他");
    worksheet_write_string(list, 0, 0, "姓名", NULL);
    worksheet_write_string(list, 1, 0, "钱七", NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_string_equal(table_sheet_name(t), "其他");
    assert_int_equal(table_columns(t)->id, -1);
    assert_int_equal(table_columns(t)->id_rule, COLUMNS_NOT_FOUND);
    assert_int_equal(table_columns(t)->name, 0);
    buf_reset(&rows);
    assert_int_equal(iotest_dump(t, &rows), 0);
    assert_string_equal(rows.data, "1:姓名\n2:钱七\n");
    table_close(t);
    buf_release(&rows);
    buf_release(&want);
}

/* More rows than the read-ahead: every row comes exactly once, in order. */
static void
test_lxw_past_read_ahead(void **state)
{
    (void)state;
    const char *path = iotest_path("ahead.xlsx");
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    char id[19];
    worksheet_write_string(ws, 0, 0, "证件号码", NULL);
    for (int r = 1; r <= 3 * TABLE_PROBE_ROWS; r++) {
        iotest_make_id(id, 1950 + r % 50, 1 + r % 12, 1 + r % 28, r);
        worksheet_write_string(ws, (lxw_row_t)(2 * r), 0, id, NULL);   /* every other row */
    }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    struct table *t;
    struct table_row row;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_int_equal(table_columns(t)->header_row, 1);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.num, 1);
    for (int r = 1; r <= 3 * TABLE_PROBE_ROWS; r++) {
        assert_int_equal(table_next_row(t, &row), 0);
        assert_non_null(row.cells);
        assert_int_equal(row.num, 2 * r + 1);
        iotest_make_id(id, 1950 + r % 50, 1 + r % 12, 1 + r % 28, r);
        assert_int_equal(row.ncells, 1);
        assert_string_equal(row.cells[0].p, id);
    }
    assert_int_equal(table_next_row(t, &row), 0);
    assert_null(row.cells);
    assert_int_equal(table_next_row(t, &row), 0);         /* the end stays the end */
    assert_null(row.cells);
    table_close(t);
}

/* ---- packages built by hand ---------------------------------------------------------------- */

static void
test_inline_strings_gaps_and_types(void **state)
{
    (void)state;
    char id1[19], id2[19], id3[19];
    struct buf sheet = BUF_INIT, sst = BUF_INIT, x = BUF_INIT, rows = BUF_INIT, want = BUF_INIT;
    iotest_make_id(id1, 1970, 5, 6, 7);
    iotest_make_id(id2, 1999, 12, 31, 999);
    iotest_make_id(id3, 1960, 2, 29, 1);
    buf_printf(&sst, "<?xml version=\"1.0\"?><sst xmlns=\"" NS_MAIN "\" count=\"3\" uniqueCount=\"3\">"
                     "<si><t>%s</t></si>"
                     "<si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space=\"preserve\">text</t>"
                     "</r><rPh sb=\"0\" eb=\"1\"><t>ignored</t></rPh></si>"
                     "<si><t>%s</t></si></sst>", id2, id3);
    struct buf r = BUF_INIT;
    buf_printf(&r,
        "<row r=\"1\" spans=\"1:3\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c>"
        "<c r=\"C1\" t=\"inlineStr\"><is><t>身份证号</t></is></c></row>"
        "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><r><t>张</t></r><r><rPr><b/></rPr>"
        "<t>三</t></r><rPh sb=\"0\" eb=\"1\"><t>zhang</t></rPh></is></c>"
        "<c r=\"C4\" t=\"inlineStr\"><is><t>%s</t></is></c></row>"
        "<row><c t=\"inlineStr\"><is><t>李四</t></is></c><c/><c t=\"s\"><v>0</v></c></row>"
        "<row r=\"7\"><c r=\"A7\" t=\"inlineStr\"><is><t>a_x000D__x000a_b_x005F_x0041_"
        "_xD83D__xDE00_</t></is></c><c r=\"XFD7\" s=\"1\"/><c r=\"ZZ7\" s=\"2\"><v></v></c></row>"
        "<row r=\"8\"><c r=\"B8\" t=\"b\"><v>0</v></c><c r=\"C8\" t=\"e\"><v>#N/A</v></c>"
        "<c r=\"D8\" t=\"str\"><f>A1&amp;\"x\"</f><v>y &lt;&amp;&gt;</v></c>"
        "<c r=\"E8\" t=\"d\"><v>2022-04-01T00:00:00</v></c><c r=\"F8\"><v>1.5E-3</v></c></row>"
        "<row r=\"9\"><c r=\"A9\" t=\"s\"><v> 1 </v></c><c r=\"C9\" t=\"s\"><v>2</v></c></row>"
        "<row r=\"10\"/><row r=\"11\"><c r=\"A11\" s=\"3\"/><c r=\"B11\" t=\"inlineStr\"><is>"
        "<t></t></is></c></row>"
        "<row r=\"12\"><c r=\"A12\" t=\"inlineStr\"><is><t>  spaced  </t></is></c>"
        "<c r=\"A12\" t=\"inlineStr\"><is><t>again</t></is></c></row>", id1);
    sheet_xml(&sheet, r.data);
    xlsx_with(&x, sheet.data, sst.data);

    struct table *t;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), 0);
    assert_int_equal(table_columns(t)->id, 2);
    assert_int_equal(table_columns(t)->name, 0);
    assert_int_equal(iotest_dump(t, &rows), 0);
    buf_printf(&want,
               "1:姓名||身份证号\n"
               "4:张三||%s\n"
               "5:李四||%s\n"
               "7:a\r\nb_x0041_\xF0\x9F\x98\x80\n"
               "8:|FALSE|#N/A|y <&>|2022-04-01T00:00:00|1.5E-3\n"
               "9:rich text||%s\n"
               "12:again\n", id1, id2, id3);
    assert_string_equal(rows.data, want.data);
    table_close(t);
    buf_release(&why);
    buf_release(&r);
    buf_release(&sheet);
    buf_release(&sst);
    buf_release(&x);
    buf_release(&rows);
    buf_release(&want);
}

/* Generators that prefix every element (x:worksheet), name parts with absolute targets
 * and odd case, and put the workbook somewhere else. */
static void
test_prefixed_namespaces_and_odd_paths(void **state)
{
    (void)state;
    char id[19];
    iotest_make_id(id, 1980, 8, 8, 88);
    static const char rels[] =
        "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"R1\" Type=\"" NS_REL
        "/officeDocument\" Target=\"/book/Main.xml\"/></Relationships>";
    static const char wb[] =
        "<x:workbook xmlns:x=\"" NS_MAIN "\" xmlns:rel=\"" NS_REL "\"><x:sheets>"
        "<x:sheet name=\"Chart\" sheetId=\"2\" rel:id=\"c1\"/>"
        "<x:sheet name=\"Data\" sheetId=\"1\" rel:id=\"s1\"/>"
        "<x:sheet name=\"Rooted\" sheetId=\"3\" rel:id=\"s2\"/></x:sheets></x:workbook>";
    static const char wbrels[] =
        "<Relationships xmlns=\"" NS_PKG "\">"
        "<Relationship Id=\"c1\" Type=\"" NS_REL "/chartsheet\" Target=\"charts/c.xml\"/>"
        "<Relationship Id=\"s1\" Type=\"" NS_REL "/worksheet\" Target=\"./sub/../Sheets/S.XML\"/>"
        "<Relationship Id=\"s2\" Type=\"" NS_REL "/worksheet\" Target=\"book/sheets/s2.xml\"/>"
        "<Relationship Id=\"x\" Type=\"" NS_REL "/hyperlink\" Target=\"http://e.example/\" "
        "TargetMode=\"External\"/></Relationships>";
    struct buf sheet = BUF_INIT, x = BUF_INIT, rows = BUF_INIT, want = BUF_INIT;
    buf_printf(&sheet, "<x:worksheet xmlns:x=\"" NS_MAIN "\"><x:sheetData><x:row x:r=\"1\">"
                       "<x:c r=\"B1\" t=\"inlineStr\"><x:is><x:t>%s</x:t></x:is></x:c></x:row>"
                       "</x:sheetData></x:worksheet>", id);
    struct part parts[] = {
        { "_rels/.rels", rels, 0 }, { "book/Main.xml", wb, 0 },
        { "book/_rels/Main.xml.rels", wbrels, 0 }, { "book/sheets/s.xml", sheet.data, 0 },
        { "book/sheets/s2.xml", "<worksheet/>", 0 },
    };
    zip_parts(&x, parts, 5);
    struct table *t;
    struct buf why = BUF_INIT;
    if (table_open_mem(x.data, x.len, &t, &why))
        fail_msg("open: %s", why.data);
    assert_int_equal(table_sheet_count(t), 2);                 /* the chart sheet is not one */
    assert_string_equal(table_sheet_name(t), "Data");
    assert_int_equal(iotest_dump(t, &rows), 0);
    buf_printf(&want, "1:|%s\n", id);
    assert_string_equal(rows.data, want.data);
    table_close(t);

    /* Two sheets naming one part (a way to make the sheet choice read a part many times)
     * count once; a sheet whose part is missing is passed over. */
    static const char twice[] =
        "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
        "<sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"B\" sheetId=\"2\" r:id=\"rId1\"/>"
        "<sheet name=\"C\" sheetId=\"3\" r:id=\"rId9\"/></sheets></workbook>";
    struct part tp[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", twice, 0 },
                         { "xl/_rels/workbook.xml.rels", WB_RELS_NO_SST, 0 },
                         { "xl/worksheets/sheet1.xml", "<worksheet/>", 0 } };
    zip_parts(&x, tp, 4);
    if (table_open_mem(x.data, x.len, &t, &why))
        fail_msg("open: %s", why.data);
    assert_int_equal(table_sheet_count(t), 1);              /* not B again, not C (no part) */
    assert_string_equal(table_sheet_name(t), "A");
    table_close(t);

    /* A target written from the package root without the leading '/'. */
    static const char rooted[] =
        "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
        "/worksheet\" Target=\"xl/worksheets/sheet1.xml\"/></Relationships>";
    struct part rp[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", WB_ONE, 0 },
                         { "xl/_rels/workbook.xml.rels", rooted, 0 },
                         { "xl/worksheets/sheet1.xml", sheet.data, 0 } };
    zip_parts(&x, rp, 4);
    if (table_open_mem(x.data, x.len, &t, &why))
        fail_msg("open: %s", why.data);
    buf_reset(&rows);
    assert_int_equal(iotest_dump(t, &rows), 0);
    assert_string_equal(rows.data, want.data);
    table_close(t);
    buf_release(&why);
    buf_release(&sheet);
    buf_release(&x);
    buf_release(&rows);
    buf_release(&want);
}

/* ---- refusals ----------------------------------------------------------------------------- */

static void
test_not_a_workbook(void **state)
{
    (void)state;
    struct buf x = BUF_INIT, sheet = BUF_INIT;
    expect_open_fails("", 0, ERR_INVALID, "empty");
    expect_open_fails("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0", 12, ERR_INVALID, ".xls");
    expect_open_fails("\xEF\xBB\xBF  <html><table><tr><td>1</td></tr></table></html>", 50,
                      ERR_INVALID, "web page");
    expect_open_fails("PK\x03\x04 this is not a zip at all", 30, ERR_INVALID, "not a valid one");
    expect_open_fails("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, ERR_INVALID,
                      "not an Excel workbook");

    struct part other[] = { { "mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0 },
                            { "content.xml", "<office:document-content/>", 0 } };
    zip_parts(&x, other, 2);
    expect_open_fails(x.data, x.len, ERR_INVALID, "not an Excel workbook");

    static const char xlsb_rels[] =
        "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
        "/officeDocument\" Target=\"xl/workbook.bin\"/></Relationships>";
    struct part xlsb[] = { { "_rels/.rels", xlsb_rels, 0 }, { "xl/workbook.bin", "\x83\x01", 2 } };
    zip_parts(&x, xlsb, 2);
    expect_open_fails(x.data, x.len, ERR_INVALID, ".xlsb");

    /* Truncated: every cut of a real workbook fails cleanly. */
    sheet_xml(&sheet, "<row r=\"1\"><c t=\"inlineStr\"><is><t>身份证号</t></is></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    for (size_t cut = 1; cut < x.len; cut += 7) {
        struct table *t = NULL;
        struct buf why = BUF_INIT;
        int rc = table_open_mem(x.data, cut, &t, &why);
        if (rc == 0) {
            struct buf rows = BUF_INIT;
            (void)iotest_dump(t, &rows);
            table_close(t);
            buf_release(&rows);
        } else {
            assert_null(t);
            assert_true(why.len > 0);
        }
        buf_release(&why);
    }
    expect_open_fails(x.data, x.len / 2, ERR_INVALID, "");

    /* A workbook that lists a sheet whose part is missing. */
    struct part nosheet[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", WB_ONE, 0 },
                              { "xl/_rels/workbook.xml.rels", WB_RELS, 0 } };
    zip_parts(&x, nosheet, 3);
    expect_open_fails(x.data, x.len, ERR_INVALID, "missing");
    struct part norels[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", WB_ONE, 0 } };
    zip_parts(&x, norels, 2);
    expect_open_fails(x.data, x.len, ERR_INVALID, "relationships are missing");
    static const char wb_none[] = "<workbook xmlns=\"" NS_MAIN "\"><sheets/></workbook>";
    struct part nosheets[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", wb_none, 0 } };
    zip_parts(&x, nosheets, 2);
    expect_open_fails(x.data, x.len, ERR_INVALID, "no sheets");
    buf_release(&x);
    buf_release(&sheet);
}

static void
test_shared_string_out_of_range(void **state)
{
    (void)state;
    struct buf sheet = BUF_INIT, x = BUF_INIT, rows = BUF_INIT;
    static const char sst[] = "<sst xmlns=\"" NS_MAIN "\"><si><t>身份证号</t></si></sst>";

    sheet_xml(&sheet, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"
                      "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, sst);
    expect_open_fails(x.data, x.len, ERR_INVALID, "sheet row 2: a cell refers to shared string 1");
    sheet_xml(&sheet, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>18446744073709551616</v></c></row>");
    xlsx_with(&x, sheet.data, sst);
    expect_open_fails(x.data, x.len, ERR_INVALID, "not a number");
    sheet_xml(&sheet, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>-1</v></c></row>");
    xlsx_with(&x, sheet.data, sst);
    expect_open_fails(x.data, x.len, ERR_INVALID, "not a number");
    sheet_xml(&sheet, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);                         /* no shared strings at all */
    expect_open_fails(x.data, x.len, ERR_INVALID, "shared string 0");

    /* Past the read-ahead, the failure comes from table_next_row. */
    struct buf r = BUF_INIT, before = BUF_INIT;
    for (int i = 1; i <= TABLE_PROBE_ROWS + 5; i++) {
        buf_printf(&r, "<row r=\"%d\"><c t=\"s\"><v>0</v></c></row>", i);
        buf_printf(&before, "%d:身份证号\n", i);
    }
    buf_adds(&r, "<row r=\"300\"><c t=\"s\"><v>7</v></c></row>");
    sheet_xml(&sheet, r.data);
    xlsx_with(&x, sheet.data, sst);
    expect_read_fails(x.data, x.len, ERR_INVALID, "sheet row 300: a cell refers to shared string 7",
                      before.data);
    buf_release(&r);
    buf_release(&before);
    buf_release(&sheet);
    buf_release(&x);
    buf_release(&rows);
}

static void
test_caps(void **state)
{
    (void)state;
    struct buf sheet = BUF_INIT, x = BUF_INIT, r = BUF_INIT, big = BUF_INIT;

    /* A cell over TABLE_MAX_CELL bytes; exactly TABLE_MAX_CELL is fine. */
    for (int i = 0; i < TABLE_MAX_CELL; i++)
        buf_addch(&big, 'a');
    buf_printf(&r, "<row r=\"1\"><c t=\"inlineStr\"><is><t>%s</t></is></c></row>", big.data);
    sheet_xml(&sheet, r.data);
    xlsx_with(&x, sheet.data, NULL);
    struct table *t;
    struct table_row row;
    assert_int_equal(table_open_mem(x.data, x.len, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.cells[0].n, TABLE_MAX_CELL);
    table_close(t);
    buf_reset(&r);
    buf_printf(&r, "<row r=\"1\"><c t=\"inlineStr\"><is><t>%sb</t></is></c></row>", big.data);
    sheet_xml(&sheet, r.data);
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "sheet row 1: a cell is longer than 32767");

    /* An oversized shared string is fine until a cell uses it. */
    buf_reset(&r);
    buf_printf(&r, "<sst xmlns=\"" NS_MAIN "\"><si><t>ok</t></si><si><t>%sb</t></si></sst>",
               big.data);
    sheet_xml(&sheet, "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>");
    xlsx_with(&x, sheet.data, r.data);
    assert_int_equal(table_open_mem(x.data, x.len, &t, NULL), 0);
    table_close(t);
    sheet_xml(&sheet, "<row r=\"3\"><c t=\"s\"><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, r.data);
    expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "sheet row 3: a cell is longer");

    /* Columns: IV (256) holds a value, IW (257) may only be empty. */
    sheet_xml(&sheet, "<row r=\"1\"><c r=\"IV1\"><v>1</v></c><c r=\"IW1\" s=\"1\"/>"
                      "<c r=\"XFD1\"><v></v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    assert_int_equal(table_open_mem(x.data, x.len, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.ncells, 256);
    table_close(t);
    sheet_xml(&sheet, "<row r=\"5\"><c r=\"IW5\"><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "sheet row 5: a value lies beyond column 256");
    sheet_xml(&sheet, "<row r=\"5\"><c r=\"XFE5\"><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "sheet row 5: a cell reference is malformed");
    sheet_xml(&sheet, "<row r=\"5\"><c r=\"5A\"><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "malformed");

    /* Rows: numbered past the cap, numbered 0, not a number. */
    sheet_xml(&sheet, "<row r=\"2000000\"><c><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    assert_int_equal(table_open_mem(x.data, x.len, &t, NULL), 0);
    table_close(t);
    sheet_xml(&sheet, "<row r=\"2000001\"><c><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "more than 2000000 rows");
    sheet_xml(&sheet, "<row r=\"0\"><c><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "numbered 0");
    sheet_xml(&sheet, "<row r=\"1e3\"><c><v>1</v></c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "row number is malformed");

    /* Nesting. */
    buf_reset(&r);
    for (int i = 0; i < 100; i++)
        buf_adds(&r, "<a>");
    for (int i = 0; i < 100; i++)
        buf_adds(&r, "</a>");
    sheet_xml(&sheet, r.data);
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "nested deeper than 64");

    /* Too many members. */
    {
        struct part *many = xcalloc(TABLE_MAX_ZIP_ENTRIES + 1, sizeof *many);
        char (*names)[16] = xcalloc(TABLE_MAX_ZIP_ENTRIES + 1, 16);
        for (int i = 0; i <= TABLE_MAX_ZIP_ENTRIES; i++) {
            snprintf(names[i], 16, "f%d", i);
            many[i] = (struct part){ names[i], "x", 0 };
        }
        zip_parts(&x, many, TABLE_MAX_ZIP_ENTRIES + 1);
        expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "more than 10000 parts");
        xfree(many);
        xfree(names);
    }
    buf_release(&sheet);
    buf_release(&x);
    buf_release(&r);
    buf_release(&big);
}

static void
test_xml_bombs(void **state)
{
    (void)state;
    static const char laughs[] =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>";
    static const char ext[] =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>";
    struct buf sheet = BUF_INIT, sst = BUF_INIT, wb = BUF_INIT, x = BUF_INIT;

    buf_printf(&sheet, "%s<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c t=\"inlineStr\">"
                       "<is><t>&lol9;</t></is></c></row></sheetData></worksheet>", laughs);
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "DOCTYPE");

    buf_reset(&sheet);
    buf_printf(&sheet, "%s<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c t=\"inlineStr\">"
                       "<is><t>&xxe;</t></is></c></row></sheetData></worksheet>", ext);
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "DOCTYPE");

    sheet_xml(&sheet, "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>");
    buf_printf(&sst, "%s<sst xmlns=\"" NS_MAIN "\"><si><t>&lol9;</t></si></sst>", laughs);
    xlsx_with(&x, sheet.data, sst.data);
    expect_open_fails(x.data, x.len, ERR_INVALID, "DOCTYPE");

    buf_printf(&wb, "%s<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
                    "<sheet name=\"&lol9;\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>", laughs);
    struct part parts[] = { { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", wb.data, 0 },
                            { "xl/_rels/workbook.xml.rels", WB_RELS_NO_SST, 0 },
                            { "xl/worksheets/sheet1.xml", sheet.data, 0 } };
    zip_parts(&x, parts, 4);
    expect_open_fails(x.data, x.len, ERR_INVALID, "DOCTYPE");

    buf_reset(&wb);
    buf_printf(&wb, "%s<Relationships xmlns=\"" NS_PKG "\"/>", laughs);
    struct part rels[] = { { "_rels/.rels", wb.data, 0 } };
    zip_parts(&x, rels, 1);
    expect_open_fails(x.data, x.len, ERR_INVALID, "DOCTYPE");

    /* Not well-formed XML says where. */
    sheet_xml(&sheet, "<row r=\"1\"><c><v>1</c></row>");
    xlsx_with(&x, sheet.data, NULL);
    expect_open_fails(x.data, x.len, ERR_INVALID, "sheet, XML line 1: mismatched tag");
    buf_release(&sheet);
    buf_release(&sst);
    buf_release(&wb);
    buf_release(&x);
}

/* ---- lying zips ------------------------------------------------------------------------------ */

static uint32_t
crc32_of(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= s[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static void
le16(struct buf *b, unsigned v)
{
    buf_addch(b, (char)(v & 0xFF));
    buf_addch(b, (char)(v >> 8 & 0xFF));
}

static void
le32(struct buf *b, uint32_t v)
{
    le16(b, v & 0xFFFF);
    le16(b, v >> 16);
}

/* zip_raw writes a zip by hand: each part is stored in one deflate "stored" block (method
 * 8) and declares the uncompressed size given (0: the true size). */
static void
zip_raw(struct buf *out, const struct part *parts, const uint32_t *declared, size_t n)
{
    struct buf cd = BUF_INIT;
    uint32_t offs[16];
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        size_t len = parts[i].len ? parts[i].len : strlen(parts[i].data);
        size_t nl = strlen(parts[i].name);
        uint32_t crc = crc32_of(parts[i].data, len);
        uint32_t size = declared[i] ? declared[i] : (uint32_t)len;
        uint32_t comp = (uint32_t)len + 5;
        offs[i] = (uint32_t)out->len;
        le32(out, 0x04034b50); le16(out, 20); le16(out, 0); le16(out, 8); le16(out, 0); le16(out, 0);
        le32(out, crc); le32(out, comp); le32(out, size); le16(out, (unsigned)nl); le16(out, 0);
        buf_adds(out, parts[i].name);
        buf_addch(out, 1);                          /* BFINAL, stored */
        le16(out, (unsigned)len);
        le16(out, (unsigned)~len & 0xFFFF);
        buf_add(out, parts[i].data, len);
        le32(&cd, 0x02014b50); le16(&cd, 20); le16(&cd, 20); le16(&cd, 0); le16(&cd, 8);
        le16(&cd, 0); le16(&cd, 0); le32(&cd, crc); le32(&cd, comp); le32(&cd, size);
        le16(&cd, (unsigned)nl); le16(&cd, 0); le16(&cd, 0); le16(&cd, 0); le16(&cd, 0);
        le32(&cd, 0); le32(&cd, offs[i]);
        buf_adds(&cd, parts[i].name);
    }
    uint32_t cdoff = (uint32_t)out->len;
    buf_add(out, cd.data, cd.len);
    le32(out, 0x06054b50); le16(out, 0); le16(out, 0); le16(out, (unsigned)n); le16(out, (unsigned)n);
    le32(out, (uint32_t)cd.len); le32(out, cdoff); le16(out, 0);
    buf_release(&cd);
}

static void
test_lying_and_bombing_zips(void **state)
{
    (void)state;
    struct buf sheet = BUF_INIT, x = BUF_INIT;
    sheet_xml(&sheet, "<row r=\"1\"><c t=\"inlineStr\"><is><t>身份证号</t></is></c></row>");
    struct part parts[] = {
        { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", WB_ONE, 0 },
        { "xl/_rels/workbook.xml.rels", WB_RELS_NO_SST, 0 },
        { "xl/worksheets/sheet1.xml", sheet.data, 0 },
    };
    uint32_t honest[4] = { 0, 0, 0, 0 };
    zip_raw(&x, parts, honest, 4);
    {   /* the hand-made writer itself is right */
        struct table *t;
        struct buf why = BUF_INIT;
        assert_int_equal(table_open_mem(x.data, x.len, &t, &why), 0);
        table_close(t);
        buf_release(&why);
    }
    uint32_t huge[4] = { 0, 0, 0, 3000u << 20 };          /* the sheet claims 3000 MiB */
    zip_raw(&x, parts, huge, 4);
    expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "too large");
    uint32_t small[4] = { 0, 0, 0, 10 };                  /* ... or fewer bytes than it has */
    zip_raw(&x, parts, small, 4);
    expect_open_fails(x.data, x.len, ERR_INVALID, "damaged");
    uint32_t wbsmall[4] = { 0, 5, 0, 0 };
    zip_raw(&x, parts, wbsmall, 4);
    expect_open_fails(x.data, x.len, ERR_INVALID, "damaged");

    /* A real zip bomb: 64 MiB of white space inside sheetData deflates ~1000:1. */
    {
        size_t n = (size_t)64 << 20;
        char *bomb = xmalloc(n + 1);
        static const char head[] = "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>";
        static const char tail[] = "</sheetData></worksheet>";
        memset(bomb, ' ', n);
        memcpy(bomb, head, sizeof head - 1);
        memcpy(bomb + n - (sizeof tail - 1), tail, sizeof tail - 1);
        bomb[n] = '\0';
        struct part bp[] = {
            { "_rels/.rels", PKG_RELS, 0 }, { "xl/workbook.xml", WB_ONE, 0 },
            { "xl/_rels/workbook.xml.rels", WB_RELS_NO_SST, 0 },
            { "xl/worksheets/sheet1.xml", bomb, n },
        };
        zip_parts(&x, bp, 4);
        assert_true(x.len < n / TABLE_MAX_RATIO);
        expect_open_fails(x.data, x.len, ERR_TOO_LARGE, "zip bomb");
        xfree(bomb);
    }
    buf_release(&sheet);
    buf_release(&x);
}

/* ---- scale ----------------------------------------------------------------------------------- */

static long
maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* read_child is what this program does when run as "test_io_xlsx --read PATH": read every
 * row of PATH, check the generated values, print "rows=N maxrss_kib=M" and exit. Run in a
 * fresh process so that the peak memory is the reader's own. */
static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄" };

static void
expected_row(int r, char id[19], char name[32], char phone[16])
{
    iotest_make_id(id, 1940 + r % 80, 1 + r % 12, 1 + r % 28, r);
    snprintf(name, 32, "%s%d", surnames[r % 8], r);
    snprintf(phone, 16, "139%08d", r);
}

static int
read_child(const char *path)
{
    struct table *t;
    struct table_row row;
    struct buf why = BUF_INIT;
    char id[19], name[32], phone[16];
    size_t n = 0;
    int rc;
    if ((rc = table_open_path(path, &t, &why))) {
        printf("open failed: %s\n", why.data);
        return 1;
    }
    const struct columns *c = table_columns(t);
    if (c->id != 0 || c->name != 1 || c->phone != 2) {
        printf("columns wrong\n");
        return 1;
    }
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (row.num != n + 1) {
            printf("row %zu numbered %llu\n", n + 1, (unsigned long long)row.num);
            return 1;
        }
        if (n > 0) {
            expected_row((int)n, id, name, phone);
            if (row.ncells != 3 || strcmp(row.cells[0].p, id) || strcmp(row.cells[1].p, name) ||
                strcmp(row.cells[2].p, phone)) {
                printf("row %zu differs\n", n + 1);
                return 1;
            }
        }
        n++;
    }
    table_close(t);
    buf_release(&why);
    printf("rows=%zu maxrss_kib=%ld\n", n, maxrss_kib());
    return rc ? 1 : 0;
}

/* 100,000 rows with the ID, name and phone as shared strings, written by libxlsxwriter,
 * read back in a fresh process: every row, in order, and a small peak memory. */
static void
test_100k_rows_memory(void **state)
{
    (void)state;
    enum { N = 100000 };
    const char *path = iotest_path("100k.xlsx");
    char id[19], name[32], phone[16], cmd[256], line[256];
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "名单");
    worksheet_write_string(ws, 0, 0, "身份证号", NULL);
    worksheet_write_string(ws, 0, 1, "姓名", NULL);
    worksheet_write_string(ws, 0, 2, "手机号", NULL);
    for (int r = 1; r <= N; r++) {
        expected_row(r, id, name, phone);
        worksheet_write_string(ws, (lxw_row_t)r, 0, id, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 1, name, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 2, phone, NULL);
    }
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);

    snprintf(cmd, sizeof cmd, "/proc/%d/exe --read '%s'", (int)getpid(), path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    size_t rows = 0;
    long kib = 0;
    if (sscanf(line, "rows=%zu maxrss_kib=%ld", &rows, &kib) != 2)
        fail_msg("child said: %s", line);
    assert_int_equal(rows, N + 1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    print_message("    100k rows: file %lld KiB, reader peak RSS %ld KiB\n",
                  (long long)st.st_size / 1024, kib);
    assert_true(kib < 64 * 1024);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--read") == 0)
        return read_child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lxw_title_numbers_shared_strings),
        cmocka_unit_test(test_lxw_sheet_choice),
        cmocka_unit_test(test_lxw_past_read_ahead),
        cmocka_unit_test(test_inline_strings_gaps_and_types),
        cmocka_unit_test(test_prefixed_namespaces_and_odd_paths),
        cmocka_unit_test(test_not_a_workbook),
        cmocka_unit_test(test_shared_string_out_of_range),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_xml_bombs),
        cmocka_unit_test(test_lying_and_bombing_zips),
        cmocka_unit_test(test_100k_rows_memory),
    };
    return cmocka_run_group_tests(tests, iotest_setup, iotest_teardown);
}
