/* tests/unit/io/test_xlsx_kinds.c - formula cells and dates in io/table.h workbooks (R4.3,
 * R4.5; issue 7).
 *
 * The workbooks come from the programs that write them: openpyxl (/usr/bin/python3 with
 * Debian's python3-openpyxl: formulas without cached values, dates in several number
 * formats, the 1904 date system), LibreOffice (a CSV converted with soffice --headless)
 * and libxlsxwriter (formulas cached as 0, built-in and custom date formats); scripts/
 * bootstrap installs all three, and a missing one fails the test rather than skipping
 * it. Edge cases no program writes on purpose (a serial of 60, a styles part with too
 * many formats, a formula longer than a cell) are zipped here part by part. Every cell
 * is checked with its kind. All ID numbers are synthetic (region 110102, check digits
 * computed here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "io/columns.h"
#include "io/table.h"

static char tmpdir[64];

static const char *
tmp_path(const char *name)
{
    static char path[4][160];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

/* make_id writes a valid synthetic ID: 110102 + yyyymmdd + seq + MOD 11-2 check. */
static void
make_id(char out[19], int y, int m, int d, int seq)
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[11] = "10X98765432";
    char tmp[64];
    int s = 0;
    snprintf(tmp, sizeof tmp, "110102%04d%02d%02d%03d", y % 10000, m % 100, d % 100, seq % 1000);
    memcpy(out, tmp, 17);
    for (int i = 0; i < 17; i++)
        s += (out[i] - '0') * w[i];
    out[17] = check[s % 11];
    out[18] = '\0';
}

/* dump reads every row into "num:cell|cell\n" lines, each cell that is not a plain value
 * followed by its kind: "~L" formula literal, "~U" uncached formula, "~D" date. Checks the
 * row contract on the way and returns table_next_row's final code. */
static int
dump(struct table *t, struct buf *out)
{
    static const char *const tag[] = { "", "~L", "~U", "~D" };
    struct table_row row;
    int rc;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        assert_non_null(row.kinds);
        assert_true(row.ncells > 0);
        assert_true(row.cells[row.ncells - 1].n > 0 ||
                    row.kinds[row.ncells - 1] == TABLE_CELL_FORMULA_UNCACHED);
        buf_printf(out, "%llu:", (unsigned long long)row.num);
        for (size_t i = 0; i < row.ncells; i++) {
            assert_true(row.kinds[i] <= TABLE_CELL_DATE);
            assert_int_equal(row.cells[i].p[row.cells[i].n], '\0');
            if (row.kinds[i] == TABLE_CELL_FORMULA_UNCACHED)
                assert_int_equal(row.cells[i].n, 0);
            buf_printf(out, "%s%.*s%s", i ? "|" : "", (int)row.cells[i].n, row.cells[i].p,
                       tag[row.kinds[i]]);
        }
        buf_addch(out, '\n');
    }
    assert_null(row.cells);
    return rc;
}

static void
expect_rows(const char *path, const void *mem, size_t n, const char *want)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT, rows = BUF_INIT;
    int rc = path ? table_open_path(path, &t, &why) : table_open_mem(mem, n, &t, &why);
    if (rc)
        fail_msg("open failed (%d): %s", rc, why.data);
    assert_int_equal(dump(t, &rows), 0);
    if (strcmp(rows.data, want) != 0)
        fail_msg("rows:\n%s\nwanted:\n%s", rows.data, want);
    table_close(t);
    buf_release(&why);
    buf_release(&rows);
}

/* run runs a shell command and fails the test, naming the fix, when it does not succeed. */
static void
run(const char *cmd, const char *what)
{
    if (system(cmd) != 0)
        fail_msg("%s failed (run scripts/bootstrap as root to install it): %s", what, cmd);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* ---- openpyxl ---------------------------------------------------------------------------- */

static const char OPENPYXL_SCRIPT[] =
    "import sys, datetime, openpyxl\n"
    "from openpyxl.utils.datetime import CALENDAR_MAC_1904\n"
    "out, out1904, a, b, c = sys.argv[1:6]\n"
    "wb = openpyxl.Workbook()\n"
    "ws = wb.active\n"
    "ws.title = '名单'\n"
    "ws.append(['姓名', '身份证号', '出生日期', '采样时间', '备注'])\n"
    "ws.append(['张三', '=\"%s\"' % a, datetime.date(1990, 3, 7),\n"
    "           datetime.datetime(2022, 4, 1, 8, 30, 5), '=A2&B2'])\n"
    "ws.append(['李四', '=T(\"%s\")' % b, datetime.date(1900, 1, 1),\n"
    "           datetime.datetime(2022, 4, 1), '=\"say \"\"hi\"\"\"'])\n"
    "ws.append(['王五', c, 45000, 45000.5, '=123'])\n"
    "ws['C4'].number_format = 'yyyy\"年\"m\"月\"d\"日\"'\n"
    "ws['D4'].number_format = '[$-804]yyyy/m/d h:mm;@'\n"
    "ws.append(['赵六', '=B2', 1.5, 45000, '=-1.5'])\n"
    "ws['C5'].number_format = '0.00'\n"
    "ws['D5'].number_format = '\"d\"0'\n"
    "ws.append([None, None, None, None, '=SUM(1,2)'])\n"
    "ws['C7'] = 44652\n"
    "ws['C7'].number_format = 'mm-dd-yy'\n"
    "wb.save(out)\n"
    "wb = openpyxl.Workbook()\n"
    "wb.epoch = CALENDAR_MAC_1904\n"
    "ws = wb.active\n"
    "ws.append(['身份证号', '日期'])\n"
    "ws.append([a, datetime.date(2022, 4, 1)])\n"
    "ws.append([b, datetime.datetime(1904, 1, 1, 12, 0, 0)])\n"
    "wb.save(out1904)\n";

static void
openpyxl_make(char ids[3][19])
{
    char cmd[1024];
    make_id(ids[0], 1990, 3, 7, 11);
    make_id(ids[1], 1985, 12, 31, 22);
    make_id(ids[2], 2001, 6, 15, 33);
    write_file(tmp_path("make.py"), OPENPYXL_SCRIPT);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' %s %s %s", tmp_path("make.py"),
             tmp_path("openpyxl.xlsx"), tmp_path("openpyxl1904.xlsx"), ids[0], ids[1], ids[2]);
    run(cmd, "/usr/bin/python3 with python3-openpyxl");
}

/* Formulas as scripts write them (no cached value) and dates in six number formats. */
static void
test_openpyxl_formulas_and_dates(void **state)
{
    (void)state;
    char ids[3][19];
    struct buf want = BUF_INIT;
    openpyxl_make(ids);
    buf_printf(&want,
               "1:姓名|身份证号|出生日期|采样时间|备注\n"
               "2:张三|%s~L|1990-03-07~D|2022-04-01 08:30:05~D|~U\n"
               "3:李四|%s~L|1900-01-01~D|2022-04-01~D|say \"hi\"~L\n"
               "4:王五|%s|2023-03-15~D|2023-03-15 12:00:00~D|123~L\n"
               "5:赵六|~U|1.5|45000|-1.5~L\n"
               "6:||||~U\n"
               "7:||2022-04-01~D\n",
               ids[0], ids[1], ids[2]);
    expect_rows(tmp_path("openpyxl.xlsx"), NULL, 0, want.data);

    /* the ID column is found, and each ID cell judged with its kind */
    struct table *t = NULL;
    struct table_row row;
    char out[IDNO_LEN + 1];
    static const enum idno_status st[] = { IDNO_FIXED, IDNO_FIXED, IDNO_OK, IDNO_FORMULA,
                                           IDNO_EMPTY, IDNO_EMPTY };
    assert_int_equal(table_open_path(tmp_path("openpyxl.xlsx"), &t, NULL), 0);
    assert_int_equal(table_columns(t)->id, 1);
    assert_int_equal(table_columns(t)->id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(table_next_row(t, &row), 0);                   /* the header */
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        assert_int_equal(table_next_row(t, &row), 0);
        assert_non_null(row.cells);
        assert_int_equal(columns_idno(&row, table_columns(t)->id, out), st[i]);
        if (i < 3)
            assert_string_equal(out, ids[i]);
        else
            assert_string_equal(out, "");
    }
    table_close(t);
    buf_release(&want);
}

/* The Mac 1904 date system: serial 0 is 1904-01-01. */
static void
test_openpyxl_date1904(void **state)
{
    (void)state;
    char ids[3][19];
    struct buf want = BUF_INIT;
    openpyxl_make(ids);
    buf_printf(&want, "1:身份证号|日期\n2:%s|2022-04-01~D\n3:%s|1904-01-01 12:00:00~D\n",
               ids[0], ids[1]);
    expect_rows(tmp_path("openpyxl1904.xlsx"), NULL, 0, want.data);
    buf_release(&want);
}

/* ---- LibreOffice ------------------------------------------------------------------------- */

/* A CSV converted by LibreOffice: the ID column imported as text, the date column as
 * dates (YMD), the date-time column detected; LibreOffice writes escaped custom formats
 * ("yyyy\-mm\-dd\ hh:mm:ss"). */
static void
test_libreoffice_csv(void **state)
{
    (void)state;
    char id[19], cmd[1024], csv[256];
    struct buf want = BUF_INIT;
    make_id(id, 1970, 1, 2, 44);
    snprintf(csv, sizeof csv, "身份证号,日期,时间,数\n%s,2022-04-01,2022-04-01 08:30:00,45000\n", id);
    write_file(tmp_path("lo.csv"), csv);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && HOME='%s' timeout 300 soffice --headless "
             "--infilter='CSV:44,34,76,1,1/2/2/5/3/1/4/1' --convert-to xlsx --outdir '%s' "
             "'%s' >/dev/null 2>&1",
             tmpdir, tmpdir, tmpdir, tmp_path("lo.csv"));
    run(cmd, "LibreOffice (soffice)");
    buf_printf(&want, "1:身份证号|日期|时间|数\n2:%s|2022-04-01~D|2022-04-01 08:30:00~D|45000\n", id);
    expect_rows(tmp_path("lo.xlsx"), NULL, 0, want.data);
    buf_release(&want);
}

/* ---- libxlsxwriter ----------------------------------------------------------------------- */

/* libxlsxwriter caches the number 0 for every formula: a string literal is evaluated all
 * the same, a cached result of the literal's type is kept; a date written with a built-in
 * format index (14) or a custom format. */
static void
test_lxw_formulas_and_formats(void **state)
{
    (void)state;
    char id[19], f[64];
    struct buf want = BUF_INIT;
    lxw_workbook *wb = workbook_new(tmp_path("lxw.xlsx"));
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    lxw_format *builtin = workbook_add_format(wb), *custom = workbook_add_format(wb);
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format_index(builtin, 14);
    format_set_num_format(custom, "yyyy/mm/dd hh:mm");
    format_set_num_format(money, "[$¥-804]#,##0.00;[Red]-#,##0.00");
    make_id(id, 1999, 9, 9, 55);
    snprintf(f, sizeof f, "=\"%s\"", id);
    worksheet_write_string(ws, 0, 0, "证件号码", NULL);
    worksheet_write_formula(ws, 1, 0, f, NULL);
    worksheet_write_formula(ws, 1, 1, "=A1&\"x\"", NULL);           /* cached 0: kept */
    worksheet_write_number(ws, 1, 2, 44652.75, builtin);
    worksheet_write_number(ws, 1, 3, 44652.75, custom);
    worksheet_write_number(ws, 1, 4, 44652.75, money);
    worksheet_write_formula_num(ws, 1, 5, "=44652", builtin, 7);    /* a number cached: kept */
    worksheet_write_formula_str(ws, 1, 6, "=\"a\"", NULL, "b");     /* a string cached: kept */
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    buf_printf(&want, "1:证件号码\n2:%s~L|0|2022-04-01 18:00:00~D|2022-04-01 18:00:00~D|"
                      "44652.75|1900-01-07~D|b~L\n", id);
    expect_rows(tmp_path("lxw.xlsx"), NULL, 0, want.data);
    buf_release(&want);
}

/* ---- packages built part by part --------------------------------------------------------- */

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG "http://schemas.openxmlformats.org/package/2006/relationships"

/* build zips a one-sheet workbook: sheet rows, styles (NULL: no styles part), workbookPr
 * attributes. */
static void
build(struct buf *out, const char *rows, const char *styles, const char *wbpr)
{
    char wb[512];
    struct buf sheet = BUF_INIT;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(z);
    snprintf(wb, sizeof wb, "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><workbookPr %s/>"
             "<sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>", wbpr);
    buf_printf(&sheet, "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>%s</sheetData></worksheet>", rows);
    const char *rels = styles
        ? "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
          "/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\""
          NS_REL "/styles\" Target=\"styles.xml\"/></Relationships>"
        : "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\"" NS_REL
          "/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    const char *parts[][2] = {
        { "_rels/.rels", "<Relationships xmlns=\"" NS_PKG "\"><Relationship Id=\"rId1\" Type=\""
                         NS_REL "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>" },
        { "xl/workbook.xml", wb }, { "xl/_rels/workbook.xml.rels", rels },
        { "xl/worksheets/sheet1.xml", sheet.data }, { "xl/styles.xml", styles },
    };
    for (size_t i = 0; i < (styles ? 5u : 4u); i++) {
        zip_source_t *fs = zip_source_buffer(z, parts[i][1], strlen(parts[i][1]), 0);
        assert_non_null(fs);
        assert_true(zip_file_add(z, parts[i][0], fs, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    assert_int_equal(zip_source_open(src), 0);
    buf_reset(out);
    char chunk[65536];
    zip_int64_t got;
    while ((got = zip_source_read(src, chunk, sizeof chunk)) > 0)
        buf_add(out, chunk, (size_t)got);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    buf_release(&sheet);
}

/* Styles 0..10 (s=): General, 14, 22, [h]:mm:ss, \d0 (escaped), _d0 (padding), "d"0,
 * 0.00E+00, a custom format redefining id 14 as a number, a bracketed colour before a
 * date, and one listing no numFmtId. */
static const char STYLES[] =
    "<styleSheet xmlns=\"" NS_MAIN "\"><numFmts>"
    "<numFmt numFmtId=\"164\" formatCode=\"[h]:mm:ss\"/><numFmt numFmtId=\"165\" formatCode=\"\\d0\"/>"
    "<numFmt numFmtId=\"166\" formatCode=\"_d0\"/><numFmt numFmtId=\"167\" formatCode=\"&quot;d&quot;0\"/>"
    "<numFmt numFmtId=\"168\" formatCode=\"0.00E+00\"/><numFmt numFmtId=\"22\" formatCode=\"0\"/>"
    "<numFmt numFmtId=\"169\" formatCode=\"[Blue]yyyy-mm-dd\"/></numFmts>"
    "<cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs><cellXfs>"
    "<xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"22\"/><xf numFmtId=\"164\"/>"
    "<xf numFmtId=\"165\"/><xf numFmtId=\"166\"/><xf numFmtId=\"167\"/><xf numFmtId=\"168\"/>"
    "<xf numFmtId=\"47\"/><xf numFmtId=\"169\"/><xf/></cellXfs></styleSheet>";

static void
test_edges(void **state)
{
    (void)state;
    struct buf x = BUF_INIT, rows = BUF_INIT;
    /* serials: Excel's 1900-02-29, 0 and negative and too large stay numbers; styles out of
     * range and damaged are no style; a cached "" of a string formula is empty; a shared
     * formula's other cells have no text; a formula over the cell cap is not a literal */
    build(&x,
          "<row r=\"1\"><c s=\"1\"><v>60</v></c><c s=\"1\"><v>59</v></c><c s=\"1\"><v>61</v></c>"
          "<c s=\"1\"><v>0</v></c><c s=\"1\"><v>-1</v></c><c s=\"1\"><v>2958466</v></c>"
          "<c s=\"1\"><v>2958465.5</v></c><c s=\"1\"><v>1E+3</v></c></row>"
          "<row r=\"2\"><c s=\"3\"><v>1.5</v></c><c s=\"4\"><v>1</v></c><c s=\"5\"><v>1</v></c>"
          "<c s=\"6\"><v>1</v></c><c s=\"7\"><v>1</v></c><c s=\"8\"><v>1</v></c>"
          "<c s=\"9\"><v>36526.00001</v></c><c s=\"10\"><v>1</v></c><c s=\"99\"><v>1</v></c>"
          "<c s=\"x\"><v>1</v></c><c s=\"2\"><v>44652</v></c><c s=\"1\" t=\"str\"><v>44652</v></c>"
          "</row>"
          "<row r=\"3\"><c t=\"str\"><f>IF(1,\"\",1)</f><v></v></c><c><f t=\"shared\" si=\"0\"/></c>"
          "<c><f>\"a\"&amp;\"b\"</f></c><c><f> = \" x \" </f><v>stale</v></c>"
          "<c s=\"1\"><f>44652.5</f></c><c><f>t(\"y\")</f></c><c><f>\"unterminated</f></c>"
          "<c><f>1.2.3</f></c><c><f>+7</f></c></row>"
          "<row r=\"4\"><c><f t=\"shared\" ref=\"A4:A5\" si=\"1\">A1</f></c></row>"
          "<row r=\"5\"><c t=\"str\"><f>IF(1,\"\",1)</f><v></v></c></row>",
          STYLES, "date1904=\"false\"");
    expect_rows(NULL, x.data, x.len,
                "1:1900-02-29~D|1900-02-28~D|1900-03-01~D|0|-1|2958466|"
                "9999-12-31 12:00:00~D|1902-09-26~D\n"
                "2:1900-01-01 12:00:00~D|1|1|1|1|1900-01-01~D|2000-01-01 00:00:01~D|1|1|1|44652|"
                "44652\n"
                "3:|~U|~U| x ~L|2022-04-01 12:00:00~D|y~L|~U|~U|7~L\n"
                "4:~U\n");

    /* 1904: serial 0 is a date, and the 1900 leap day does not exist */
    build(&x, "<row r=\"1\"><c s=\"1\"><v>0</v></c><c s=\"1\"><v>60</v></c>"
              "<c s=\"1\"><v>2957003</v></c><c s=\"1\"><v>2957004</v></c></row>",
          STYLES, "date1904=\"1\"");
    expect_rows(NULL, x.data, x.len, "1:1904-01-01~D|1904-03-01~D|9999-12-31~D|2957004\n");

    /* no styles part: numbers stay numbers */
    build(&x, "<row r=\"1\"><c s=\"1\"><v>44652</v></c></row>", NULL, "");
    expect_rows(NULL, x.data, x.len, "1:44652\n");
    buf_release(&x);
    buf_release(&rows);
}

/* An uncached formula is a cell: it keeps its row, and past column 256 it is refused like
 * any value. */
static void
test_uncached_counts(void **state)
{
    (void)state;
    struct buf x = BUF_INIT, why = BUF_INIT, rows = BUF_INIT;
    struct table *t = NULL;
    build(&x, "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row>"
              "<row r=\"2\"><c r=\"IW2\"><f>A1</f></c></row>", NULL, "");
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), ERR_TOO_LARGE);
    assert_non_null(strstr(why.data, "beyond column 256"));
    buf_reset(&why);
    build(&x, "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row>"
              "<row r=\"2\"><c r=\"C2\"><f>A1</f></c><c r=\"D2\"><v></v></c></row>", NULL, "");
    expect_rows(NULL, x.data, x.len, "1:x\n2:||~U\n");
    buf_release(&x);
    buf_release(&why);
    buf_release(&rows);
}

/* The styles part is bounded and must be well-formed. */
static void
test_styles_caps(void **state)
{
    (void)state;
    struct buf x = BUF_INIT, styles = BUF_INIT, why = BUF_INIT;
    struct table *t = NULL;

    buf_init(&styles, 0);
    buf_adds(&styles, "<styleSheet xmlns=\"" NS_MAIN "\"><cellXfs>");
    for (int i = 0; i <= TABLE_MAX_XFS; i++)
        buf_adds(&styles, "<xf/>");
    buf_adds(&styles, "</cellXfs></styleSheet>");
    build(&x, "<row r=\"1\"><c><v>1</v></c></row>", styles.data, "");
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), ERR_TOO_LARGE);
    assert_non_null(strstr(why.data, "cell formats"));

    buf_reset(&styles);
    buf_reset(&why);
    buf_adds(&styles, "<styleSheet xmlns=\"" NS_MAIN "\"><numFmts>");
    for (int i = 0; i <= TABLE_MAX_NUMFMTS; i++)
        buf_printf(&styles, "<numFmt numFmtId=\"%d\" formatCode=\"0\"/>", 164 + i);
    buf_adds(&styles, "</numFmts></styleSheet>");
    build(&x, "<row r=\"1\"><c><v>1</v></c></row>", styles.data, "");
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), ERR_TOO_LARGE);
    assert_non_null(strstr(why.data, "number formats"));

    buf_reset(&why);
    build(&x, "<row r=\"1\"><c><v>1</v></c></row>",
          "<!DOCTYPE x [<!ENTITY a \"b\">]><styleSheet xmlns=\"" NS_MAIN "\"/>", "");
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "DOCTYPE"));

    buf_reset(&why);
    build(&x, "<row r=\"1\"><c><v>1</v></c></row>", "<styleSheet xmlns=\"" NS_MAIN "\">", "");
    assert_int_equal(table_open_mem(x.data, x.len, &t, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "styles"));
    assert_null(t);
    buf_release(&x);
    buf_release(&styles);
    buf_release(&why);
}

/* A formula longer than a cell may be is simply not a literal: uncached, no failure. */
static void
test_long_formula(void **state)
{
    (void)state;
    struct buf x = BUF_INIT, rows = BUF_INIT;
    buf_init(&rows, 0);
    buf_adds(&rows, "<row r=\"1\"><c><f>\"");
    for (int i = 0; i < TABLE_MAX_CELL; i++)
        buf_addch(&rows, 'a');
    buf_adds(&rows, "\"</f></c></row>");
    build(&x, rows.data, NULL, "");
    expect_rows(NULL, x.data, x.len, "1:~U\n");
    buf_release(&x);
    buf_release(&rows);
}

/* columns_idno over hand-made rows, and the kind codes. */
static void
test_idno_and_codes(void **state)
{
    (void)state;
    char id[19], out[IDNO_LEN + 1];
    make_id(id, 1980, 1, 1, 66);
    struct str cells[3] = { { id, 18 }, { "", 0 }, { "x", 1 } };
    uint8_t kinds[3] = { TABLE_CELL_FORMULA_LITERAL, TABLE_CELL_FORMULA_UNCACHED,
                         TABLE_CELL_FORMULA_LITERAL };
    struct table_row row = { cells, kinds, 3, 2 };
    assert_int_equal(columns_idno(&row, 0, out), IDNO_FIXED);
    assert_string_equal(out, id);
    assert_int_equal(columns_idno(&row, 1, out), IDNO_FORMULA);
    assert_int_equal(columns_idno(&row, 2, out), IDNO_NOT_AN_ID);
    assert_int_equal(columns_idno(&row, 3, out), IDNO_EMPTY);
    assert_int_equal(columns_idno(&row, -1, out), IDNO_EMPTY);
    kinds[0] = TABLE_CELL_VALUE;
    assert_int_equal(columns_idno(&row, 0, out), IDNO_OK);
    assert_string_equal(idno_status_code(IDNO_FORMULA), "formula");
    assert_string_equal(table_cell_kind_code(TABLE_CELL_VALUE), "value");
    assert_string_equal(table_cell_kind_code(TABLE_CELL_FORMULA_LITERAL), "formula_literal");
    assert_string_equal(table_cell_kind_code(TABLE_CELL_FORMULA_UNCACHED), "formula_uncached");
    assert_string_equal(table_cell_kind_code(TABLE_CELL_DATE), "date");
    assert_string_equal(table_cell_kind_code(9), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openpyxl_formulas_and_dates),
        cmocka_unit_test(test_openpyxl_date1904),
        cmocka_unit_test(test_libreoffice_csv),
        cmocka_unit_test(test_lxw_formulas_and_formats),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_uncached_counts),
        cmocka_unit_test(test_styles_caps),
        cmocka_unit_test(test_long_formula),
        cmocka_unit_test(test_idno_and_codes),
    };
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_io_xlsx_kinds.XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return failed;
}
