/* tests/unit/io/test_xlsxw.c - io/xlsxw.h, the streaming .xlsx writer (R4.2, R4.3).
 *
 * What is written is read back with io/table.h, with openpyxl (tests/support/xlsx_peer.py,
 * a real other reader) and, for formatting, looked at in the package with libzip: IDs come
 * back as the exact 18 characters, numbers as numbers, the header bold and frozen, text
 * cells formatted as Text, control characters and literal "_x0041_" sequences intact,
 * shared words, escaped sheet names, 60,000 rows deflated on two threads, a full sheet
 * continued on a second. Refused rows write nothing; no file but the output is ever open.
 * Written to a sink (issue 12: the server seals it), the package is append-only - deflated
 * members carry data descriptors - and still read by io/table.h, openpyxl and Python's
 * zipfile (CRCs checked); written to a file it keeps its patched local headers.
 * IDs are synthetic.
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

static char tmpdir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_io_xlsxw.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const char *
tmp_path(const char *name)
{
    static char path[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

static int
dump(struct table *t, struct buf *out)
{
    struct table_row row;
    int rc;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        buf_printf(out, "%llu:", (unsigned long long)row.num);
        for (size_t i = 0; i < row.ncells; i++)
            buf_printf(out, "%s%.*s", i ? "|" : "", (int)row.cells[i].n, row.cells[i].p);
        buf_addch(out, '\n');
    }
    return rc;
}

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

/* peer runs tests/support/xlsx_peer.py (openpyxl: a real other reader) with args and
 * returns what it printed; the script must succeed. */
static void
peer(struct buf *out, const char *mode, const char *path, long n)
{
    const char *src = getenv("JIAYUAN_SRC");
    char cmd[1024], chunk[4096];
    size_t k;
    assert_non_null(src);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/support/xlsx_peer.py' %s '%s' %ld", src, mode, path, n);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    buf_reset(out);
    while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
        buf_add(out, chunk, k);
    assert_int_equal(pclose(p), 0);
}

static void
test_round_trip(void **state)
{
    (void)state;
    const char *path = tmp_path("out.xlsx");
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
    assert_int_equal(dump(t, &rows), 0);
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
    const char *path = tmp_path("bad.xlsx");
    struct xlsxw *w = (struct xlsxw *)1;

    assert_int_equal(xlsxw_open(tmp_path("no/such/dir.xlsx"), "a", NULL, &w), ERR_IO);
    assert_null(w);
    assert_int_equal(xlsxw_open(path, "a/b", NULL, &w), ERR_INVALID);
    assert_int_equal(access(path, F_OK), -1);                /* nothing left behind */
    assert_int_equal(xlsxw_open(path, "", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "0123456789012345678901234567890x", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "'quoted'", NULL, &w), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "\xFF", NULL, &w), ERR_INVALID);

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

    /* xlsxw_finish: an error discards the file and is returned; 0 closes it. */
    assert_int_equal(xlsxw_open(path, "a", NULL, &w), 0);
    assert_int_equal(xlsxw_row(w, &good, 1), 0);
    assert_int_equal(xlsxw_finish(w, ERR_IO), ERR_IO);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(xlsxw_finish(NULL, ERR_INVALID), ERR_INVALID);
    assert_int_equal(xlsxw_open(path, "a", NULL, &w), 0);
    assert_int_equal(xlsxw_row(w, &good, 1), 0);
    assert_int_equal(xlsxw_finish(w, 0), 0);
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.num, 1);
    table_close(t);
    remove(path);
    xfree(big);
    xfree(wide);
}

/* open_files counts this process's open files whose path starts with prefix (deleted
 * files included: a temporary file unlinked at once still shows). */
static int
open_files(const char *prefix)
{
    char link[64], target[512];
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += strncmp(target, prefix, strlen(prefix)) == 0;
    }
    return n;
}

/* A full sheet refuses the next row; a new sheet takes it. While a million rows are
 * written the writer holds no file open but the output (no temporary file, deleted or
 * not, under TMPDIR, /tmp or anywhere), and the folder holds nothing else. */
static void
test_full_sheet_no_temp_file(void **state)
{
    (void)state;
    const char *path = tmp_path("full.xlsx");
    struct xlsxw_opts opts = { 2 };
    struct xlsxw *w;
    struct str head[1] = { STR_LIT("身份证号") };
    struct xlsxw_cell c = XLSXW_NUMBER_CELL(1);
    int before = open_files("/");
    assert_int_equal(open_files(tmpdir), 0);
    assert_int_equal(xlsxw_open(path, "第1页", &opts, &w), 0);
    assert_int_equal(xlsxw_header(w, head, 1), 0);
    for (uint64_t i = 1; i < XLSXW_MAX_ROWS; i++)
        assert_int_equal(xlsxw_row(w, &c, 1), 0);
    assert_int_equal(open_files(tmpdir), 1);             /* the output, nothing else */
    assert_int_equal(open_files(path), 1);
    assert_int_equal(open_files("/"), before + 1);
    assert_int_equal(xlsxw_rows(w), XLSXW_MAX_ROWS);
    assert_int_equal(xlsxw_row(w, &c, 1), ERR_TOO_LARGE);
    assert_int_equal(xlsxw_add_sheet(w, "第2页"), 0);
    assert_int_equal(xlsxw_rows(w), 0);
    assert_int_equal(xlsxw_header(w, head, 1), 0);
    assert_int_equal(xlsxw_row(w, &c, 1), 0);
    assert_int_equal(open_files("/"), before + 1);
    assert_int_equal(xlsxw_close(w), 0);
    assert_int_equal(open_files(tmpdir), 0);

    /* read back: the full sheet by io/table.h, the continuation sheet by openpyxl */
    struct table *t;
    struct table_row row;
    uint64_t rows = 0, last = 0;
    int rc;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_string_equal(table_sheet_name(t), "第1页");
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        rows++;
        last = row.num;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rows, XLSXW_MAX_ROWS);
    assert_int_equal(last, XLSXW_MAX_ROWS);
    table_close(t);
    struct buf got = BUF_INIT;
    peer(&got, "last", path, 0);
    assert_string_equal(got.data, "sheets [\"第1页\", \"第2页\"]\n[\"身份证号\"]\n[1]\n");
    buf_release(&got);
    unlink(path);
}

/* bulk_cells fills row i (1-based) of the bulk test; tests/support/xlsx_peer.py "bulk"
 * knows the same pattern. */
static void
bulk_cells(uint64_t i, char *id, char *note, struct xlsxw_cell cells[4])
{
    static const char *const status[3] = { "阴性", "阳性", "待出结果" };
    snprintf(id, 32, "1101011990%08llu", (unsigned long long)i);
    snprintf(note, 64, "行%llu <&> \"q\"", (unsigned long long)i);
    cells[0] = XLSXW_TEXT_CELL(str_of(id));
    cells[1] = XLSXW_SHARED_CELL(str_of(status[i % 3]));
    cells[2] = XLSXW_NUMBER_CELL((double)i);
    cells[3] = XLSXW_TEXT_CELL(str_of(note));
}

/* 60,000 rows (several deflate blocks, deflated on two threads and written in order) read
 * back whole by io/table.h and by openpyxl. */
static void
test_peer_bulk(void **state)
{
    (void)state;
    enum { N = 60000 };
    const char *path = tmp_path("bulk.xlsx");
    struct xlsxw_opts opts = { 2 };
    struct xlsxw *w;
    struct str head[4] = { STR_LIT("身份证号"), STR_LIT("结果"), STR_LIT("序号"), STR_LIT("备注") };
    struct xlsxw_cell cells[4];
    char id[32], note[64], want[160];

    assert_int_equal(xlsxw_open(path, "结果", &opts, &w), 0);
    assert_int_equal(xlsxw_header(w, head, 4), 0);
    for (uint64_t i = 1; i <= N; i++) {
        bulk_cells(i, id, note, cells);
        assert_int_equal(xlsxw_row(w, cells, 4), 0);
    }
    assert_int_equal(xlsxw_close(w), 0);

    struct table *t;
    struct table_row row;
    uint64_t i = 0;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.num, 1);
    while (table_next_row(t, &row) == 0 && row.cells) {
        i++;
        bulk_cells(i, id, note, cells);
        assert_int_equal(row.num, i + 1);
        assert_int_equal(row.ncells, 4);
        snprintf(want, sizeof want, "%s|%s|%llu|%s", id, cells[1].text.p, (unsigned long long)i, note);
        char gotrow[160];
        snprintf(gotrow, sizeof gotrow, "%s|%s|%s|%s", row.cells[0].p, row.cells[1].p, row.cells[2].p,
                 row.cells[3].p);
        assert_string_equal(gotrow, want);
    }
    assert_int_equal(i, N);
    table_close(t);

    struct buf got = BUF_INIT;
    peer(&got, "bulk", path, N);
    assert_string_equal(got.data, "bulk ok 60000\n");
    buf_release(&got);
}

/* A workbook with what exports hold - a title row, a frozen bold header, IDs, shared words,
 * numbers, empty cells, text that needs escaping, a second sheet with a name that needs
 * escaping - read back by io/table.h and by openpyxl. (openpyxl does not decode Excel's
 * _xHHHH_ escapes, so control characters and literal "_x0041_" are test_round_trip's.) */
static void
test_peer_detail(void **state)
{
    (void)state;
    const char *path = tmp_path("peer.xlsx");
    struct xlsxw *w;
    struct str head[5] = { STR_LIT("姓名"), STR_LIT("身份证号"), STR_LIT("次数"), STR_LIT("结果"), STR_LIT("备注") };
    struct xlsxw_cell title[1] = { XLSXW_TEXT_CELL(STR_LIT("2026年11月 居民名单")) };
    struct xlsxw_cell r1[5] = {
        XLSXW_TEXT_CELL(STR_LIT("张三")), XLSXW_TEXT_CELL(STR_LIT("11010219900307123X")), XLSXW_NUMBER_CELL(3),
        XLSXW_SHARED_CELL(STR_LIT("阴性")), XLSXW_TEXT_CELL(STR_LIT("a & <b> \"c\" 'd'")),
    };
    struct xlsxw_cell r2[5] = {
        XLSXW_TEXT_CELL(STR_LIT("李四")), XLSXW_TEXT_CELL(STR_LIT("110102198511240023")),
        XLSXW_NUMBER_CELL(-0.125), XLSXW_SHARED_CELL(STR_LIT("阴性")), XLSXW_TEXT_CELL(STR_LIT("  edge\t")),
    };
    struct xlsxw_cell r3[5] = {
        XLSXW_EMPTY_CELL, XLSXW_TEXT_CELL(STR_LIT("")), XLSXW_NUMBER_CELL(1.10102199003077e17),
        XLSXW_SHARED_CELL(STR_LIT("阳性 <&>")), XLSXW_TEXT_CELL(STR_LIT("x_1 😀 行\n二")),
    };
    struct str head2[2] = { STR_LIT("采样点"), STR_LIT("份数") };
    struct xlsxw_cell s2[2] = { XLSXW_SHARED_CELL(STR_LIT("阴性")), XLSXW_NUMBER_CELL(42) };

    assert_int_equal(xlsxw_open(path, "名单", NULL, &w), 0);
    assert_int_equal(xlsxw_set_width(w, 1, 22), 0);
    assert_int_equal(xlsxw_row(w, title, 1), 0);
    assert_int_equal(xlsxw_header(w, head, 5), 0);
    assert_int_equal(xlsxw_row(w, r1, 5), 0);
    assert_int_equal(xlsxw_set_width(w, 2, 9), ERR_INVALID);   /* the layout is written */
    assert_int_equal(xlsxw_row(w, r2, 5), 0);
    assert_int_equal(xlsxw_row(w, r3, 5), 0);
    assert_int_equal(xlsxw_add_sheet(w, "名单"), ERR_INVALID);
    assert_int_equal(xlsxw_add_sheet(w, "A&B <\"2\">"), 0);
    assert_int_equal(xlsxw_set_width(w, 0, 30), 0);
    assert_int_equal(xlsxw_header(w, head2, 2), 0);
    assert_int_equal(xlsxw_row(w, s2, 2), 0);
    assert_int_equal(xlsxw_close(w), 0);

    struct table *t;
    struct buf got = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    assert_string_equal(table_sheet_name(t), "名单");
    assert_int_equal(table_columns(t)->header_row, 2);
    assert_int_equal(dump(t, &got), 0);
    assert_string_equal(got.data, "1:2026年11月 居民名单\n"
                                  "2:姓名|身份证号|次数|结果|备注\n"
                                  "3:张三|11010219900307123X|3|阴性|a & <b> \"c\" 'd'\n"
                                  "4:李四|110102198511240023|-0.125|阴性|  edge\t\n"
                                  "5:||1.10102199003077e+17|阳性 <&>|x_1 😀 行\n二\n");
    table_close(t);

    /* openpyxl: text as text with the "@" format, numbers as numbers, the header bold and
     * frozen, widths in Excel's unit, both sheet names back as given */
    peer(&got, "dump", path, 0);
    assert_string_equal(got.data,
                        "sheet\t名单\tfreeze=A3\twidths=B=22.7109\n"
                        "A1\ts\t@\t0\t\"2026年11月 居民名单\"\n"
                        "A2\ts\t@\t1\t\"姓名\"\n"
                        "B2\ts\t@\t1\t\"身份证号\"\n"
                        "C2\ts\t@\t1\t\"次数\"\n"
                        "D2\ts\t@\t1\t\"结果\"\n"
                        "E2\ts\t@\t1\t\"备注\"\n"
                        "A3\ts\t@\t0\t\"张三\"\n"
                        "B3\ts\t@\t0\t\"11010219900307123X\"\n"
                        "C3\tn\tGeneral\t0\t3\n"
                        "D3\ts\t@\t0\t\"阴性\"\n"
                        "E3\ts\t@\t0\t\"a & <b> \\\"c\\\" 'd'\"\n"
                        "A4\ts\t@\t0\t\"李四\"\n"
                        "B4\ts\t@\t0\t\"110102198511240023\"\n"
                        "C4\tn\tGeneral\t0\t-0.125\n"
                        "D4\ts\t@\t0\t\"阴性\"\n"
                        "E4\ts\t@\t0\t\"  edge\\t\"\n"
                        "C5\tn\tGeneral\t0\t1.10102199003077e+17\n"
                        "D5\ts\t@\t0\t\"阳性 <&>\"\n"
                        "E5\ts\t@\t0\t\"x_1 😀 行\\n二\"\n"
                        "sheet\tA&B <\"2\">\tfreeze=A2\twidths=A=30.7109\n"
                        "A1\ts\t@\t1\t\"采样点\"\n"
                        "B1\ts\t@\t1\t\"份数\"\n"
                        "A2\ts\t@\t0\t\"阴性\"\n"
                        "B2\tn\tGeneral\t0\t42\n");
    buf_release(&got);
}

/* --- a sink instead of a file (issue 12, S1) ------------------------------------------ */

struct mem_sink {
    struct buf b;
    size_t fail_at;             /* fail the write that would pass this many bytes; 0: never */
};

static int
mem_sink_write(void *ctx, const void *p, size_t n)
{
    struct mem_sink *m = ctx;
    if (m->fail_at && m->b.len + n > m->fail_at)
        return -1;
    buf_add(&m->b, p, n);
    return buf_error(&m->b);
}

static uint32_t
le(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* check_headers walks the central directory of the package in p[0..n) and checks every
 * local header against it: with descriptors, a deflated member has bit 3, zero CRC and
 * sizes in its local header and PK 7 8 + CRC + sizes after its data; without, no member has
 * bit 3 and the local header has the real values. Returns the deflated members seen. */
static size_t
check_headers(const unsigned char *p, size_t n, bool descriptors)
{
    size_t deflated = 0;
    assert_true(n > 22);
    const unsigned char *end = p + n - 22;
    assert_int_equal(le(end, 4), 0x06054b50);
    size_t count = le(end + 10, 2), cd = le(end + 16, 4);
    for (size_t i = 0; i < count; i++) {
        const unsigned char *c = p + cd;
        assert_int_equal(le(c, 4), 0x02014b50);
        uint32_t flags = le(c + 8, 2), method = le(c + 10, 2), crc = le(c + 16, 4);
        uint32_t csize = le(c + 20, 4), usize = le(c + 24, 4), nl = le(c + 28, 2), off = le(c + 42, 4);
        const unsigned char *l = p + off;
        assert_int_equal(le(l, 4), 0x04034b50);
        assert_int_equal(le(l + 6, 2), flags);
        bool dd = descriptors && method == 8;
        assert_int_equal(flags, dd ? 0x0808 : 0x0800);
        assert_int_equal(le(l + 14, 4), dd ? 0 : crc);
        assert_int_equal(le(l + 18, 4), dd ? 0 : csize);
        assert_int_equal(le(l + 22, 4), dd ? 0 : usize);
        if (dd) {
            const unsigned char *d = l + 30 + nl + csize;
            assert_int_equal(le(d, 4), 0x08074b50);
            assert_int_equal(le(d + 4, 4), crc);
            assert_int_equal(le(d + 8, 4), csize);
            assert_int_equal(le(d + 12, 4), usize);
        }
        deflated += method == 8;
        cd += 46 + nl;
    }
    return deflated;
}

static void
write_bulk(const struct xlsxw_dest *dest, uint64_t nrows, int want)
{
    struct xlsxw_opts opts = { 2 };
    struct xlsxw *w;
    struct str head[4] = { STR_LIT("身份证号"), STR_LIT("结果"), STR_LIT("序号"), STR_LIT("备注") };
    struct xlsxw_cell cells[4];
    char id[32], note[64];
    assert_int_equal(xlsxw_open_dest(dest, "结果", &opts, &w), 0);
    assert_int_equal(xlsxw_header(w, head, 4), 0);
    for (uint64_t i = 1; i <= nrows; i++) {
        bulk_cells(i, id, note, cells);
        if (xlsxw_row(w, cells, 4))
            break; /* a failed sink: the error is sticky, xlsxw_close reports it */
    }
    assert_int_equal(xlsxw_close(w), want);
}

/* 60,000 rows through a sink (on two deflating threads): the package has data descriptors,
 * io/table.h and openpyxl read it whole, zipfile checks every CRC; the same rows written to
 * a file have none. A sink that fails makes xlsxw_close fail with ERR_IO. */
static void
test_sink(void **state)
{
    (void)state;
    enum { N = 60000 };
    struct mem_sink m = { BUF_INIT, 0 };
    struct zipw_sink sink = { mem_sink_write, &m };
    const char *path = tmp_path("sink.xlsx"), *file = tmp_path("file.xlsx");
    struct buf got = BUF_INIT, disk = BUF_INIT;
    char cmd[512];

    buf_init(&m.b, (size_t)64 << 20);
    buf_init(&disk, (size_t)64 << 20);
    write_bulk(XLSXW_SINK(&sink), N, 0);
    assert_true(check_headers((const unsigned char *)m.b.data, m.b.len, true) >= 2); /* sheet, shared strings */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(m.b.data, 1, m.b.len, f), m.b.len);
    assert_int_equal(fclose(f), 0);

    struct table *t;
    struct table_row row;
    uint64_t rows = 0;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    while (table_next_row(t, &row) == 0 && row.cells)
        rows++;
    table_close(t);
    assert_int_equal(rows, N + 1);
    peer(&got, "bulk", path, N);
    assert_string_equal(got.data, "bulk ok 60000\n");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys, zipfile; "
             "sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' '%s'",
             path);
    assert_int_equal(system(cmd), 0);

    /* a file: patched local headers, no descriptors, the same rows */
    write_bulk(XLSXW_PATH(file), N, 0);
    iotest_read_file(file, &disk);
    assert_true(check_headers((const unsigned char *)disk.data, disk.len, false) >= 2);
    assert_int_equal(disk.len + 16 * 2, m.b.len); /* the same package, less two descriptors */

    /* a sink that fails half-way */
    struct mem_sink bad = { BUF_INIT, m.b.len / 2 };
    struct zipw_sink bad_sink = { mem_sink_write, &bad };
    buf_init(&bad.b, (size_t)64 << 20);
    write_bulk(XLSXW_SINK(&bad_sink), N, ERR_IO);
    assert_true(bad.b.len <= m.b.len / 2);

    buf_release(&bad.b);
    buf_release_secret(&m.b);
    buf_release(&disk);
    buf_release(&got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_full_sheet_no_temp_file),
        cmocka_unit_test(test_peer_detail),
        cmocka_unit_test(test_peer_bulk),
        cmocka_unit_test(test_sink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
