/* tests/unit/io/test_csv.c - io/table.h reading CSV (R4.3, R4.4, R4.5).
 *
 * Text in every encoding subdistrict offices produce: UTF-8 with and without BOM, GBK and
 * GB18030 (made here with iconv from UTF-8, including 4-byte GB18030 sequences and files
 * long enough that characters straddle the reader's chunk boundaries), UTF-16 with a BOM
 * (Excel's "Unicode text"); delimiters ',', ';', tab and Excel's "sep=" line; quoted
 * delimiters, quotes and newlines; CRLF, LF and CR line ends; and broken input. IDs are
 * synthetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <iconv.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "io/columns.h"
#include "io/table.h"
#include "iotest.h"

/* read_all opens p[0..n) and returns the dump; the encoding is checked when enc is set. */
static void
expect_rows(const void *p, size_t n, const char *enc, const char *want)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT, rows = BUF_INIT;
    if (table_open_mem(p, n, &t, &why))
        fail_msg("open failed: %s", why.data);
    assert_int_equal(table_format(t), TABLE_CSV);
    assert_null(table_sheet_name(t));
    assert_int_equal(table_sheet_count(t), 1);
    if (enc)
        assert_string_equal(table_encoding(t), enc);
    if (iotest_dump(t, &rows))
        fail_msg("read failed: %s", table_message(t));
    assert_string_equal(rows.data, want);
    table_close(t);
    buf_release(&why);
    buf_release(&rows);
}

/* ROWS: expect_rows over a string literal. */
#define ROWS(lit, enc, want) expect_rows(lit, sizeof(lit) - 1, enc, want)

static void
expect_open_fails(const void *p, size_t n, int want, const char *what)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_mem(p, n, &t, &why), want);
    assert_null(t);
    if (!strstr(why.data, what))
        fail_msg("message \"%s\" lacks \"%s\"", why.data, what);
    buf_release(&why);
}

/* convert re-encodes UTF-8 text with iconv (the way an office's Excel would save it). */
static void
convert(const char *to, const char *utf8, size_t n, struct buf *out)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    buf_reset(out);
    buf_grow(out, 4 * n + 16);
    char *in = (char *)utf8, *o = out->data;
    size_t inleft = n, outleft = 4 * n + 16;
    assert_int_not_equal(iconv(cd, &in, &inleft, &o, &outleft), (size_t)-1);
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    iconv_close(cd);
}

/* FAILS: expect_open_fails over a string literal. */
#define FAILS(lit, rc, what) expect_open_fails(lit, sizeof(lit) - 1, rc, what)

/* ---- shapes ------------------------------------------------------------------------------- */

static void
test_utf8_bom_crlf_quotes(void **state)
{
    (void)state;
    static const char in[] =
        "\xEF\xBB\xBF" "姓名,身份证号,备注\r\n"
        "张三,11010219900307123X,\"含,逗号\"\r\n"
        "\r\n"
        "李四,110102198511240023,\"多\r\n行\"\"引号\"\"\"\r\n"
        " 王五 , 110102198511240023 ,\r\n"
        "赵六,,,,\r\n"
        ",,,\r\n"
        "末行,\"没有换行\"";
    expect_rows(in, sizeof in - 1, "UTF-8",
                "1:姓名|身份证号|备注\n"
                "2:张三|11010219900307123X|含,逗号\n"
                "4:李四|110102198511240023|多\r\n行\"引号\"\n"
                "5: 王五 | 110102198511240023 \n"
                "6:赵六\n"
                "8:末行|没有换行\n");
}

static void
test_line_ends_and_numbering(void **state)
{
    (void)state;
    ROWS("\n\nid\n\nx\n", NULL, "3:id\n5:x\n");
    ROWS("a\rb\r\rc", NULL, "1:a\n2:b\n4:c\n");
    ROWS("a\r\n\r\nb\n\rc\r\n", NULL, "1:a\n3:b\n5:c\n");
    ROWS("\"x\ny\",1\n2\n", NULL, "1:x\ny|1\n2:2\n");
    /* Lenient, like Excel: a stray quote stays text, an unterminated quote runs to the end. */
    ROWS("ab\"c,d\n", NULL, "1:ab\"c|d\n");
    ROWS("a,\"bc\nd", NULL, "1:a|bc\nd\n");
    ROWS("\xEF\xBB\xBF", "UTF-8", "");
    ROWS("\n\n\n", NULL, "");
}

static void
test_delimiters(void **state)
{
    (void)state;
    ROWS("姓名;身份证号;电话\n张三;\"1,2\";138\n", NULL,
                "1:姓名|身份证号|电话\n2:张三|1,2|138\n");
    ROWS("姓名\t身份证号\n张三\t1,2\n", NULL, "1:姓名|身份证号\n2:张三|1,2\n");
    ROWS("sep=;\r\n姓名;证件号\r\n张三;a,b\r\n", NULL, "1:姓名|证件号\n2:张三|a,b\n");
    ROWS("\xEF\xBB\xBFsep=|\n\"a|b\"|c\n", NULL, "1:a|b|c\n");
    /* A title line without delimiters, then a ';' header: the first lines are looked at. */
    ROWS("XX街道名单\n姓名;身份证号\n张三;1\n", NULL,
                "1:XX街道名单\n2:姓名|身份证号\n3:张三|1\n");
    /* Ties go to ','; no delimiter at all is one column. */
    ROWS("a;b,c\n", NULL, "1:a;b|c\n");
    ROWS("abc\ndef\n", NULL, "1:abc\n2:def\n");
}

/* ---- encodings ---------------------------------------------------------------------------- */

static void
test_gbk_and_gb18030(void **state)
{
    (void)state;
    static const char utf8[] = "姓名,身份证号,住址\r\n张三,11010219900307123X,北京市东城区\r\n"
                               "\"欧阳,娜娜\",110102198511240023,\"朝阳区\r\n望京\"\r\n";
    static const char want[] = "1:姓名|身份证号|住址\n2:张三|11010219900307123X|北京市东城区\n"
                               "3:欧阳,娜娜|110102198511240023|朝阳区\r\n望京\n";
    struct buf gbk = BUF_INIT;
    convert("GBK", utf8, sizeof utf8 - 1, &gbk);
    assert_true(gbk.len < sizeof utf8 - 1);          /* 2 bytes per character, not 3 */
    expect_rows(gbk.data, gbk.len, "GB18030", want);

    /* Characters only GB18030 has (4-byte forms): CJK Extension B, the euro sign. */
    static const char ext[] = "姓名,备注\n𠀀𪚥,€\n";
    convert("GB18030", ext, sizeof ext - 1, &gbk);
    assert_non_null(memmem(gbk.data, gbk.len, "\x95\x32\x82\x36", 4));
    expect_rows(gbk.data, gbk.len, "GB18030", "1:姓名|备注\n2:𠀀𪚥|€\n");

    /* A GB18030 BOM is dropped like a UTF-8 one. */
    static const char bom[] = "\xEF\xBB\xBF" "身份证号\n1\n";
    convert("GB18030", bom, sizeof bom - 1, &gbk);
    assert_int_equal(memcmp(gbk.data, "\x84\x31\x95\x33", 4), 0);
    expect_rows(gbk.data, gbk.len, "GB18030", "1:身份证号\n2:1\n");
    buf_release(&gbk);
}

/* Big files: every character survives every chunk boundary, in GBK and in UTF-8; and the
 * encoding is decided on the whole file, not its start. */
static void
test_chunk_boundaries(void **state)
{
    (void)state;
    static const char *const names[] = { "王", "李娜", "张伟伟", "欧阳修文", "司马", "诸葛亮" };
    struct buf utf8 = BUF_INIT, want = BUF_INIT, enc = BUF_INIT;
    char id[19];
    buf_init(&utf8, 0);
    buf_init(&want, 0);
    buf_adds(&utf8, "序号,姓名,身份证号,备注\r\n");
    buf_adds(&want, "1:序号|姓名|身份证号|备注\n");
    for (int r = 1; r <= 20000; r++) {
        iotest_make_id(id, 1950 + r % 60, 1 + r % 12, 1 + r % 28, r);
        const char *nm = names[r % 6];
        /* A varying amount of filler moves the characters across chunk edges. */
        int fill = r % 7;
        buf_printf(&utf8, "%d,%s,%s,\"%.*s备,注\"\r\n", r, nm, id, fill, "xxxxxxx");
        buf_printf(&want, "%d:%d|%s|%s|%.*s备,注\n", r + 1, r, nm, id, fill, "xxxxxxx");
    }
    assert_true(utf8.len > 10 * 65536);
    expect_rows(utf8.data, utf8.len, "UTF-8", want.data);
    convert("GBK", utf8.data, utf8.len, &enc);
    expect_rows(enc.data, enc.len, "GB18030", want.data);
    convert("UTF-16LE", utf8.data, utf8.len, &enc);
    struct buf bom = BUF_INIT;
    buf_init(&bom, 0);
    buf_add(&bom, "\xFF\xFE", 2);
    buf_add(&bom, enc.data, enc.len);
    expect_rows(bom.data, bom.len, "UTF-16LE", want.data);
    buf_release(&bom);

    /* ASCII for the first 300 KiB, a GBK name at the very end. */
    buf_reset(&utf8);
    buf_reset(&want);
    for (int r = 1; r <= 20000; r++) {
        buf_printf(&utf8, "%d,abcdefghij\n", r);
        buf_printf(&want, "%d:%d|abcdefghij\n", r, r);
    }
    buf_adds(&utf8, "20001,张三\n");
    buf_adds(&want, "20001:20001|张三\n");
    convert("GBK", utf8.data, utf8.len, &enc);
    expect_rows(enc.data, enc.len, "GB18030", want.data);
    expect_rows(utf8.data, utf8.len, "UTF-8", want.data);
    buf_release(&utf8);
    buf_release(&want);
    buf_release(&enc);
}

static void
test_utf16(void **state)
{
    (void)state;
    static const char utf8[] = "姓名\t身份证号\r\n张三\t11010219900307123X\r\n𠀀\t\"a\tb\"\r\n";
    static const char want[] = "1:姓名|身份证号\n2:张三|11010219900307123X\n3:𠀀|a\tb\n";
    struct buf enc = BUF_INIT, in = BUF_INIT;
    convert("UTF-16LE", utf8, sizeof utf8 - 1, &enc);
    buf_add(&in, "\xFF\xFE", 2);
    buf_add(&in, enc.data, enc.len);
    expect_rows(in.data, in.len, "UTF-16LE", want);
    convert("UTF-16BE", utf8, sizeof utf8 - 1, &enc);
    buf_reset(&in);
    buf_add(&in, "\xFE\xFF", 2);
    buf_add(&in, enc.data, enc.len);
    expect_rows(in.data, in.len, "UTF-16BE", want);

    /* A lone surrogate, a NUL character, an odd byte at the end. */
    struct table *t;
    struct buf rows = BUF_INIT;
    static const char lone[] = "\xFF\xFE" "a\0,\0\x00\xD8\n\0";
    assert_int_equal(table_open_mem(lone, sizeof lone - 1, &t, NULL), ERR_INVALID);
    static const char nul[] = "\xFF\xFE" "a\0\0\0\n\0";
    assert_int_equal(table_open_mem(nul, sizeof nul - 1, &t, NULL), ERR_INVALID);
    static const char odd[] = "\xFF\xFE" "a\0\n\0b";
    assert_int_equal(table_open_mem(odd, sizeof odd - 1, &t, NULL), ERR_INVALID);
    buf_release(&rows);
    buf_release(&enc);
    buf_release(&in);
}

/* ---- refusals ------------------------------------------------------------------------------ */

static void
test_broken_text(void **state)
{
    (void)state;
    struct table *t;
    struct buf why = BUF_INIT, rows = BUF_INIT, big = BUF_INIT;
    struct table_row row;

    FAILS("a,b\nc\0d\n", ERR_INVALID, "not an Excel workbook or CSV");
    FAILS("\xEF\xBB\xBF" "a,\xFF\n", ERR_INVALID, "marked as UTF-8");
    /* Neither UTF-8 nor GB18030: the row where the decoder stopped. */
    FAILS("a\nb\n\x80\n", ERR_INVALID, "csv row 3: the text is neither UTF-8 nor GB18030");
    FAILS("a\n\xD5", ERR_INVALID, "csv row 2: the text is neither");
    /* Past the read-ahead the failure comes from table_next_row, and sticks. */
    for (int i = 0; i < TABLE_PROBE_ROWS + 10; i++)
        buf_adds(&big, "张三\n");
    buf_adds(&big, "\xFF\xFF\n");
    convert("GBK", big.data, big.len - 3, &rows);
    buf_add(&rows, "\xFF\xFF\n", 3);
    assert_int_equal(table_open_mem(rows.data, rows.len, &t, &why), 0);
    assert_string_equal(table_encoding(t), "GB18030");
    int rc, n = 0;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells)
        n++;
    assert_int_equal(rc, ERR_INVALID);
    assert_int_equal(n, TABLE_PROBE_ROWS + 10);
    assert_non_null(strstr(table_message(t), "csv row 211:"));
    assert_int_equal(table_next_row(t, &row), ERR_INVALID);
    table_close(t);

    /* Web pages saved as .csv or .xls. */
    FAILS("  <table><tr><td>1</td></tr></table>", ERR_INVALID, "web page");
    buf_release(&why);
    buf_release(&rows);
    buf_release(&big);
}

static void
test_caps(void **state)
{
    (void)state;
    struct buf in = BUF_INIT, want = BUF_INIT;
    buf_init(&in, 0);
    buf_init(&want, 0);

    /* Cells: 32767 bytes are fine, one more is not, quoted or not. */
    for (int i = 0; i < TABLE_MAX_CELL; i++)
        buf_addch(&in, 'a');
    buf_printf(&want, "1:%s\n", in.data);
    buf_addch(&in, '\n');
    expect_rows(in.data, in.len, NULL, want.data);
    in.data[in.len - 1] = 'a';
    buf_addch(&in, '\n');
    expect_open_fails(in.data, in.len, ERR_TOO_LARGE, "csv row 1: a cell is longer than 32767");
    buf_reset(&in);
    buf_adds(&in, "x\n\"");
    for (int i = 0; i < 3 * TABLE_MAX_CELL; i++)
        buf_addch(&in, 'a');
    buf_adds(&in, "\"\n");
    expect_open_fails(in.data, in.len, ERR_TOO_LARGE, "csv row 2: a cell is longer than 32767");

    /* Columns: 256 values are fine, a 257th is not; empty cells past it are fine. */
    buf_reset(&in);
    for (int i = 0; i < TABLE_MAX_COLS; i++)
        buf_adds(&in, "v,");
    for (int i = 0; i < 1000; i++)
        buf_adds(&in, ",");
    buf_adds(&in, "\n");
    struct table *t;
    struct table_row row;
    assert_int_equal(table_open_mem(in.data, in.len, &t, NULL), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.ncells, TABLE_MAX_COLS);
    table_close(t);
    buf_reset(&in);
    for (int i = 0; i <= TABLE_MAX_COLS; i++)
        buf_adds(&in, "v,");
    expect_open_fails(in.data, in.len, ERR_TOO_LARGE, "csv row 1: a value lies beyond column 256");

    /* Rows: record numbers, blank lines included, stop at 2,000,000. */
    buf_reset(&in);
    for (uint64_t i = 0; i < TABLE_MAX_ROWS - 1; i++)
        buf_addch(&in, '\n');
    buf_adds(&in, "last\n");
    expect_rows(in.data, in.len, NULL, "2000000:last\n");
    buf_adds(&in, "\n");
    expect_open_fails(in.data, in.len, ERR_TOO_LARGE, "more than 2000000 rows");
    buf_release(&in);
    buf_release(&want);
}

/* ---- files and columns ---------------------------------------------------------------------- */

static void
test_path_and_columns(void **state)
{
    (void)state;
    char path[] = "/tmp/test_io_csv.XXXXXX";
    char id[19];
    struct buf utf8 = BUF_INIT, gbk = BUF_INIT, rows = BUF_INIT;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    buf_adds(&utf8, "XX社区核酸检测名单,,,\r\n序号,居民姓名,公民身份号码,手机号码\r\n");
    for (int r = 1; r <= 500; r++) {
        iotest_make_id(id, 1960 + r % 40, 1 + r % 12, 1 + r % 28, r);
        buf_printf(&utf8, "%d,居民%d,%s,1380013%04d\r\n", r, r, id, r);
    }
    convert("GBK", utf8.data, utf8.len, &gbk);
    assert_int_equal(write(fd, gbk.data, gbk.len), (ssize_t)gbk.len);
    close(fd);

    struct table *t;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    assert_string_equal(table_encoding(t), "GB18030");
    const struct columns *c = table_columns(t);
    assert_int_equal(c->header_row, 2);
    assert_int_equal(c->id, 2);
    assert_int_equal(c->id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c->name, 1);
    assert_int_equal(c->phone, 3);
    assert_int_equal(c->sample_rows, TABLE_PROBE_ROWS - 2);
    assert_int_equal(c->id_like, TABLE_PROBE_ROWS - 2);
    assert_int_equal(iotest_dump(t, &rows), 0);
    table_close(t);
    struct buf rows2 = BUF_INIT;
    assert_int_equal(table_open_mem(gbk.data, gbk.len, &t, NULL), 0);
    assert_int_equal(iotest_dump(t, &rows2), 0);
    assert_string_equal(rows.data, rows2.data);
    table_close(t);
    unlink(path);
    assert_int_equal(table_open_path(path, &t, &why), ERR_IO);
    assert_non_null(strstr(why.data, "cannot be opened"));
    buf_release(&why);
    buf_release(&utf8);
    buf_release(&gbk);
    buf_release(&rows);
    buf_release(&rows2);
}

/* read_child: "test_io_csv --read PATH" opens PATH, prints "rc=N maxrss_kib=M base_kib=B"
 * and exits; run in a fresh process so that the peak memory is the reader's own. B is the
 * peak before reading: the process's own baseline (libraries, ASan's shadow) is not the
 * reader's, and it grows with what the binary links (libav* since issue 9). */
static int
read_child(const char *path)
{
    struct table *t = NULL;
    struct table_row row;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long base = ru.ru_maxrss;
    int rc = table_open_path(path, &t, NULL);
    while (!rc && !(rc = table_next_row(t, &row)) && row.cells)
        ;
    table_close(t);
    getrusage(RUSAGE_SELF, &ru);
    printf("rc=%d maxrss_kib=%ld base_kib=%ld\n", rc, ru.ru_maxrss, base);
    return 0;
}

/* A 64 MiB field is refused without being buffered: libcsv's field buffer is capped. */
static void
test_huge_field_memory(void **state)
{
    (void)state;
    char path[] = "/tmp/test_io_csv.XXXXXX", cmd[256], line[128];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char *chunk = xmalloc(1 << 20);
    memset(chunk, 'a', 1 << 20);
    assert_int_equal(write(fd, "id,\"", 4), 4);
    for (int i = 0; i < 64; i++)
        assert_int_equal(write(fd, chunk, 1 << 20), 1 << 20);
    close(fd);
    xfree(chunk);
    snprintf(cmd, sizeof cmd, "/proc/%d/exe --read '%s'", (int)getpid(), path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    unlink(path);
    int rc = -1;
    long kib = 0, base = 0;
    if (sscanf(line, "rc=%d maxrss_kib=%ld base_kib=%ld", &rc, &kib, &base) != 3)
        fail_msg("child said: %s", line);
    assert_int_equal(rc, ERR_TOO_LARGE);
    print_message("    64 MiB field: refused, reader peak RSS %ld KiB (%ld KiB before reading)\n", kib, base);
    assert_true(kib - base < 32 * 1024); /* the 64 MiB field was not buffered */
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--read") == 0)
        return read_child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_bom_crlf_quotes),
        cmocka_unit_test(test_line_ends_and_numbering),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_gbk_and_gb18030),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_broken_text),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_path_and_columns),
        cmocka_unit_test(test_huge_field_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
