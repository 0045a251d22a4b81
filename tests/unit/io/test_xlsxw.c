/* tests/unit/io/test_xlsxw.c - io/xlsxw.h, the streaming .xlsx writer (R4.2, R4.3).
 *
 * What is written is read back with io/table.h (and, for formatting, looked at in the
 * package with libzip): IDs come back as the exact 18 characters, numbers as numbers, the
 * header bold and frozen, text cells formatted as Text, control characters and literal
 * "_x0041_" sequences intact. Refused rows write nothing. IDs are synthetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zip.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "io/columns.h"
#include "io/table.h"
#include "io/xlsxw.h"
#include "iotest.h"

/* part reads one member of the package at path into out. */
static void
part(const char *path, const char *name, struct buf *out)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &err);
    assert_non_null(z);
    zip_file_t *f = zip_fopen(z, name, 0);
    assert_non_null(f);
    char chunk[4096];
    zip_int64_t n;
    buf_reset(out);
    while ((n = zip_fread(f, chunk, sizeof chunk)) > 0)
        buf_add(out, chunk, (size_t)n);
    zip_fclose(f);
    zip_discard(z);
}

static void
test_round_trip(void **state)
{
    (void)state;
    const char *path = iotest_path("out.xlsx");
    struct xlsxw *w;
    struct str head[5] = { STR_LIT("姓名"), STR_LIT("身份证号"), STR_LIT("检测时间"),
                           STR_LIT("次数"), STR_LIT("备注") };
    assert_int_equal(xlsxw_open(path, "查询结果", NULL, &w), 0);
    assert_int_equal(xlsxw_set_width(w, 1, 22), 0);
    assert_int_equal(xlsxw_header(w, head, 5), 0);
    struct xlsxw_cell r1[5] = {
        XLSXW_TEXT_CELL(STR_LIT("张三")), XLSXW_TEXT_CELL(STR_LIT("11010219900307123X")),
        XLSXW_TEXT_CELL(STR_LIT("2022-04-01 10:00")), XLSXW_NUMBER_CELL(3),
        XLSXW_TEXT_CELL(STR_LIT("a\x01" "b _x0041_ c\td\r\ne ")),
    };
    struct xlsxw_cell r2[4] = {
        XLSXW_TEXT_CELL(STR_LIT("李四")), XLSXW_TEXT_CELL(STR_LIT("110102198511240023")),
        XLSXW_EMPTY_CELL, XLSXW_NUMBER_CELL(13800138000.0),
    };
    struct xlsxw_cell r3[3] = { XLSXW_EMPTY_CELL, XLSXW_TEXT_CELL(STR_LIT("")),
                                XLSXW_NUMBER_CELL(-0.125) };
    assert_int_equal(xlsxw_row(w, r1, 5), 0);
    assert_int_equal(xlsxw_row(w, r2, 4), 0);
    assert_int_equal(xlsxw_row(w, NULL, 0), 0);         /* an empty row */
    assert_int_equal(xlsxw_row(w, r3, 3), 0);
    assert_int_equal(xlsxw_rows(w), 5);
    assert_int_equal(xlsxw_close(w), 0);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct table *t;
    struct buf why = BUF_INIT, rows = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    assert_string_equal(table_sheet_name(t), "查询结果");
    assert_int_equal(table_columns(t)->id, 1);
    assert_int_equal(table_columns(t)->header_row, 1);
    assert_int_equal(iotest_dump(t, &rows), 0);
    assert_string_equal(rows.data,
                        "1:姓名|身份证号|检测时间|次数|备注\n"
                        "2:张三|11010219900307123X|2022-04-01 10:00|3|a\x01" "b _x0041_ c\td\r\ne \n"
                        "3:李四|110102198511240023||13800138000\n"
                        "5:||-0.125\n");
    table_close(t);

    /* IDs are inline text with the Text format (built-in number format 49, "@"), the header
     * is bold and frozen, column B is wide. */
    struct buf x = BUF_INIT;
    part(path, "xl/worksheets/sheet1.xml", &x);
    assert_non_null(strstr(x.data, "t=\"inlineStr\"><is><t>11010219900307123X</t>"));
    assert_non_null(strstr(x.data, "state=\"frozen\""));
    assert_non_null(strstr(x.data, "ySplit=\"1\""));
    assert_non_null(strstr(x.data, "<col min=\"2\" max=\"2\" width=\"22.7109375\""));
    assert_null(strstr(x.data, "<v>110102198511240023</v>"));
    assert_non_null(strstr(x.data, "<c r=\"B2\" s=\"2\" t=\"inlineStr\">"));
    assert_non_null(strstr(x.data, "<c r=\"B1\" s=\"1\" t=\"inlineStr\">"));
    part(path, "xl/styles.xml", &x);
    /* cellXfs: 0 default, 1 header (bold font 1, Text), 2 data text (font 0, Text) */
    const char *xfs = strstr(x.data, "<cellXfs count=\"3\">");
    assert_non_null(xfs);
    assert_non_null(strstr(xfs, "<xf numFmtId=\"49\" fontId=\"1\""));
    assert_non_null(strstr(xfs, "<xf numFmtId=\"49\" fontId=\"0\""));
    assert_non_null(strstr(x.data, "<font><b/>"));
    buf_release(&x);
    buf_release(&why);
    buf_release(&rows);
}

static void
test_refusals(void **state)
{
    (void)state;
    const char *path = iotest_path("bad.xlsx");
    struct xlsxw *w = (struct xlsxw *)1;

    assert_int_equal(xlsxw_open(iotest_path("no/such/dir.xlsx"), "a", NULL, &w), ERR_IO);
    assert_null(w);
    assert_int_equal(xlsxw_open(path, "a/b", NULL, &w), ERR_INVALID);
    assert_int_equal(access(path, F_OK), -1);                /* nothing left behind */
    assert_int_equal(xlsxw_open(path, "", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "0123456789012345678901234567890x", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "'quoted'", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "\xFF", NULL, &w), ERR_INVALID);
    struct xlsxw_opts bad_tmp = { "/nonexistent/tmp" };
    assert_int_equal(xlsxw_open(path, "a", &bad_tmp, &w), ERR_IO);

    assert_int_equal(xlsxw_open(path, "a", NULL, &w), 0);
    struct xlsxw_cell bad_utf8 = XLSXW_TEXT_CELL(((struct str){ "\xC0\x80", 2 }));
    struct xlsxw_cell nul = XLSXW_TEXT_CELL(((struct str){ "a\0b", 3 }));
    struct xlsxw_cell nan = XLSXW_NUMBER_CELL(0.0 / 0.0);
    struct xlsxw_cell inf = XLSXW_NUMBER_CELL(1.0 / 0.0);
    struct xlsxw_cell good = XLSXW_TEXT_CELL(STR_LIT("ok"));
    struct xlsxw_cell pair[2] = { good, bad_utf8 };
    assert_int_equal(xlsxw_row(w, &bad_utf8, 1), ERR_INVALID);
    assert_int_equal(xlsxw_row(w, &nul, 1), ERR_INVALID);
    assert_int_equal(xlsxw_row(w, &nan, 1), ERR_INVALID);
    assert_int_equal(xlsxw_row(w, &inf, 1), ERR_INVALID);
    assert_int_equal(xlsxw_row(w, pair, 2), ERR_INVALID);     /* the good cell is not written */
    assert_int_equal(xlsxw_rows(w), 0);
    char *big = xmalloc(TABLE_MAX_CELL + 1);
    memset(big, 'a', TABLE_MAX_CELL + 1);
    struct xlsxw_cell longest = XLSXW_TEXT_CELL(((struct str){ big, TABLE_MAX_CELL }));
    struct xlsxw_cell too_long = XLSXW_TEXT_CELL(((struct str){ big, TABLE_MAX_CELL + 1 }));
    assert_int_equal(xlsxw_row(w, &too_long, 1), ERR_TOO_LARGE);
    assert_int_equal(xlsxw_row(w, &longest, 1), 0);
    struct xlsxw_cell *wide = xcalloc(XLSXW_MAX_COLS + 1, sizeof *wide);
    assert_int_equal(xlsxw_row(w, wide, XLSXW_MAX_COLS + 1), ERR_TOO_LARGE);
    assert_int_equal(xlsxw_row(w, wide, XLSXW_MAX_COLS), 0);
    assert_int_equal(xlsxw_set_width(w, XLSXW_MAX_COLS, 10), ERR_INVALID);
    assert_int_equal(xlsxw_set_width(w, 0, 0), ERR_INVALID);
    assert_int_equal(xlsxw_set_width(w, 0, 256), ERR_INVALID);
    assert_int_equal(xlsxw_add_sheet(w, "a"), ERR_INVALID);   /* taken */
    assert_int_equal(xlsxw_add_sheet(w, "b[1]"), ERR_INVALID);
    assert_int_equal(xlsxw_rows(w), 2);
    assert_int_equal(xlsxw_row(w, &good, 1), 0);
    assert_int_equal(xlsxw_close(w), 0);

    struct table *t;
    struct table_row row;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.num, 1);
    assert_int_equal(row.cells[0].n, TABLE_MAX_CELL);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.num, 3);
    assert_string_equal(row.cells[0].p, "ok");
    table_close(t);

    /* xlsxw_free leaves nothing; NULL is fine everywhere. */
    assert_int_equal(xlsxw_open(path, "a", NULL, &w), 0);
    assert_int_equal(xlsxw_row(w, &good, 1), 0);
    xlsxw_free(w);
    assert_int_equal(access(path, F_OK), -1);
    xlsxw_free(NULL);
    assert_int_equal(xlsxw_close(NULL), 0);
    xfree(big);
    xfree(wide);
}

/* open_files_under counts this process's open files whose path starts with dir (deleted
 * files included: libxlsxwriter unlinks its temporary files at once). */
static int
open_files_under(const char *dir)
{
    char link[64], target[512];
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += strncmp(target, dir, strlen(dir)) == 0;
    }
    return n;
}

/* A full sheet refuses the next row; a new sheet takes it; the tmpdir option is honoured. */
static void
test_full_sheet_and_tmpdir(void **state)
{
    (void)state;
    const char *path = iotest_path("full.xlsx");
    struct xlsxw_opts opts = { iotest_dir() };
    struct xlsxw *w;
    struct str head[1] = { STR_LIT("身份证号") };
    struct xlsxw_cell c = XLSXW_NUMBER_CELL(1);
    assert_int_equal(open_files_under(iotest_dir()), 0);
    assert_int_equal(xlsxw_open(path, "第1页", &opts, &w), 0);
    assert_int_equal(xlsxw_header(w, head, 1), 0);
    assert_true(open_files_under(iotest_dir()) >= 1);          /* the sheet's temporary file */
    for (uint64_t i = 1; i < XLSXW_MAX_ROWS; i++)
        assert_int_equal(xlsxw_row(w, &c, 1), 0);
    assert_int_equal(xlsxw_rows(w), XLSXW_MAX_ROWS);
    assert_int_equal(xlsxw_row(w, &c, 1), ERR_TOO_LARGE);
    assert_int_equal(xlsxw_add_sheet(w, "第2页"), 0);
    assert_int_equal(xlsxw_rows(w), 0);
    assert_int_equal(xlsxw_header(w, head, 1), 0);
    assert_int_equal(xlsxw_row(w, &c, 1), 0);
    xlsxw_free(w);                       /* packing 1M rows is not what this test is about */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_full_sheet_and_tmpdir),
    };
    return cmocka_run_group_tests(tests, iotest_setup, iotest_teardown);
}
