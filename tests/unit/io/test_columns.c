/* tests/unit/io/test_columns.c - io/columns.h: finding the ID, name and phone columns
 * (R4.3, R4.5).
 *
 * Header names as offices write them (decorated, full-width, spaced, bracketed), header
 * rows below title rows, and sheets where only the values tell: by content, with the
 * overrides and fallbacks the header documents. IDs are synthetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "io/columns.h"
#include "io/table.h"
#include "iotest.h"

static void
test_header_names(void **state)
{
    (void)state;
    static const struct {
        const char *cell;
        enum columns_kind want;
    } cases[] = {
        { "身份证号", COLUMNS_ID }, { "身份证号码", COLUMNS_ID }, { "证件号码", COLUMNS_ID },
        { "公民身份号码", COLUMNS_ID }, { "证件号", COLUMNS_ID }, { "身份证", COLUMNS_ID },
        { "身份证件号码", COLUMNS_ID }, { "居民身份证号码", COLUMNS_ID }, { "ID", COLUMNS_ID },
        { "id_number", COLUMNS_ID }, { "idno", COLUMNS_ID },
        { " 身 份 证 号 ", COLUMNS_ID }, { "\xE3\x80\x80身份证号\xE3\x80\x80", COLUMNS_ID },
        { "\xC2\xA0身份证号\t\r\n", COLUMNS_ID }, { "\xEF\xBB\xBF身份证号", COLUMNS_ID },
        { "*身份证号码", COLUMNS_ID }, { "身份证号码*", COLUMNS_ID }, { "＊身份证号码", COLUMNS_ID },
        { "*身份证号码（必填）", COLUMNS_ID }, { "身份证号(必填)", COLUMNS_ID },
        { "身份证号【必填】", COLUMNS_ID }, { "[必填]身份证号", COLUMNS_ID },
        { "（必填）身份证号：", COLUMNS_ID }, { "身份证号(18位)(必填)*", COLUMNS_ID },
        { "ＩＤ", COLUMNS_ID }, { "ｉｄ＿ｎｕｍｂｅｒ", COLUMNS_ID }, { "Id_Number", COLUMNS_ID },
        { "ID Number", COLUMNS_ID }, { "ID No.", COLUMNS_ID }, { "ID-Card-No", COLUMNS_ID },
        { "姓名", COLUMNS_NAME }, { "名字", COLUMNS_NAME }, { "人员姓名", COLUMNS_NAME },
        { "Name", COLUMNS_NAME }, { "姓 名", COLUMNS_NAME }, { "姓名:", COLUMNS_NAME },
        { "姓名：", COLUMNS_NAME }, { "【必填】姓名", COLUMNS_NAME }, { "FULL NAME", COLUMNS_NAME },
        { "手机号", COLUMNS_PHONE }, { "手机号码", COLUMNS_PHONE }, { "联系电话", COLUMNS_PHONE },
        { "电话", COLUMNS_PHONE }, { "联系方式", COLUMNS_PHONE }, { "phone", COLUMNS_PHONE },
        { "Mobile", COLUMNS_PHONE }, { "联系电话(手机)", COLUMNS_PHONE },
        { "Mobile Phone", COLUMNS_PHONE }, { "TEL", COLUMNS_PHONE },
        { "", COLUMNS_NONE }, { "   ", COLUMNS_NONE }, { "序号", COLUMNS_NONE },
        { "身份证号码18位", COLUMNS_NONE }, { "身份证号码/护照号", COLUMNS_NONE },
        { "（必填）", COLUMNS_NONE }, { "()", COLUMNS_NONE }, { "*", COLUMNS_NONE },
        { "XX街道核酸检测名单", COLUMNS_NONE }, { "identity", COLUMNS_NONE },
        { "\xFF\xFE身份证号", COLUMNS_NONE }, { "身份证号\xE8", COLUMNS_NONE },
        { "11010219900307123X", COLUMNS_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum columns_kind got = columns_header_kind(str_of(cases[i].cell));
        if (got != cases[i].want)
            fail_msg("\"%s\": got %d, want %d", cases[i].cell, got, cases[i].want);
    }
    /* Long cells are never names, whatever they contain. */
    char long_cell[600];
    memset(long_cell, ' ', sizeof long_cell);
    memcpy(long_cell + 300, "ID", 2);
    assert_int_equal(columns_header_kind((struct str){ long_cell, sizeof long_cell }), COLUMNS_NONE);
    assert_string_equal(columns_rule_code(COLUMNS_BY_HEADER), "header");
    assert_string_equal(columns_rule_code(COLUMNS_BY_CONTENT), "content");
    assert_string_equal(columns_rule_code(COLUMNS_NOT_FOUND), "not_found");
}

/* A sample of up to 64 rows of up to 8 cells, built from text. */
struct sample {
    struct table_row rows[64];
    struct str cells[64][8];
    uint8_t kinds[64][8];       /* all TABLE_CELL_VALUE unless a test says otherwise */
    char ids[64][19];
    size_t n;
};

/* add appends a row; cells are given as a NULL-terminated list; "$ID" is replaced by a
 * fresh valid ID. Row numbers count from first_num and may skip. */
static void
add(struct sample *s, uint64_t num, ...)
{
    va_list ap;
    size_t k = 0;
    const char *c;
    va_start(ap, num);
    while ((c = va_arg(ap, const char *)) != NULL) {
        if (strcmp(c, "$ID") == 0) {
            iotest_make_id(s->ids[s->n], 1960 + (int)s->n, 1 + (int)s->n % 12, 1 + (int)k, (int)s->n);
            c = s->ids[s->n];
        }
        s->cells[s->n][k++] = str_of(c);
    }
    va_end(ap);
    s->rows[s->n] = (struct table_row){ s->cells[s->n], s->kinds[s->n], k, num };
    s->n++;
}

static void
test_by_header(void **state)
{
    (void)state;
    struct sample s = { 0 };
    struct columns c;

    columns_detect(NULL, 0, &c);
    assert_int_equal(c.id, -1);
    assert_int_equal(c.name, -1);
    assert_int_equal(c.phone, -1);
    assert_int_equal(c.header_row, 0);
    assert_int_equal(c.id_rule, COLUMNS_NOT_FOUND);

    add(&s, 1, "XX街道核酸名单", NULL);
    add(&s, 3, "序号", "姓名", "*身份证号码（必填）", "联系电话", NULL);
    add(&s, 4, "1", "张三", "$ID", "13800138000", NULL);
    add(&s, 5, "2", "李四", "1.10102199003077E+17", "", NULL);
    add(&s, 7, "3", "王五", "abc", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.header_row, 3);
    assert_int_equal(c.id, 2);
    assert_int_equal(c.id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c.name, 1);
    assert_int_equal(c.name_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c.phone, 3);
    assert_int_equal(c.phone_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c.sample_rows, 3);
    assert_int_equal(c.id_like, 1);

    /* Two ID-ish headers: the one holding IDs wins, wherever it stands. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "证件号码", "姓名", "身份证号", NULL);
    add(&s, 2, "E12345678", "甲", "$ID", NULL);
    add(&s, 3, "", "乙", "$ID", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 2);
    assert_int_equal(c.id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c.id_like, 2);

    /* All IDs ruined by Excel under a named header: still that column, by header. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "姓名", "身份证号", "备注", NULL);
    add(&s, 2, "甲", "1.10102199003077E+17", "x", NULL);
    add(&s, 3, "乙", "110102199003077000", "y", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.id_rule, COLUMNS_BY_HEADER);
    assert_int_equal(c.id_like, 0);

    /* A header more than COLUMNS_HEADER_ROWS rows down is not looked for. */
    memset(&s, 0, sizeof s);
    for (int i = 0; i < COLUMNS_HEADER_ROWS; i++)
        add(&s, (uint64_t)i + 1, "说明", NULL);
    add(&s, 6, "姓名", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.name, -1);
    assert_int_equal(c.header_row, 0);
}

static void
test_by_content(void **state)
{
    (void)state;
    struct sample s = { 0 };
    struct columns c;

    /* No header at all. */
    add(&s, 1, "张三", "$ID", NULL);
    add(&s, 2, "李四", "$ID", NULL);
    add(&s, 3, "王五", "11010219900307123", NULL);          /* 17 digits: not one */
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.id_rule, COLUMNS_BY_CONTENT);
    assert_int_equal(c.header_row, 0);
    assert_int_equal(c.sample_rows, 3);
    assert_int_equal(c.id_like, 2);
    assert_int_equal(c.name, -1);

    /* A header nobody recognises, above the first ID: taken as the header. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "人员名单", NULL);
    add(&s, 2, "名", "证件 号/码", "手机", NULL);
    add(&s, 3, "甲", "$ID", "13912345678", NULL);
    add(&s, 4, "乙", "110102199003071235", "+86 139-1234-5679", NULL);   /* bad checksum */
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.id_rule, COLUMNS_BY_CONTENT);
    assert_int_equal(c.header_row, 2);           /* "手机" is a known name: row 2 is the header */
    assert_int_equal(c.phone, 2);
    assert_int_equal(c.phone_rule, COLUMNS_BY_HEADER);
    memset(&s, 0, sizeof s);
    add(&s, 1, "人员名单", NULL);
    add(&s, 2, "名", "证件 号/码", "联系人手机", NULL);
    add(&s, 3, "甲", "$ID", "13912345678", NULL);
    add(&s, 4, "乙", "110102199003071235", "+86 139-1234-5679", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.header_row, 2);
    assert_int_equal(c.sample_rows, 2);
    assert_int_equal(c.id_like, 2);
    assert_int_equal(c.phone, 2);
    assert_int_equal(c.phone_rule, COLUMNS_BY_CONTENT);

    /* A row with digits above the first ID is data, not a header. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "甲", "", NULL);
    add(&s, 2, "乙", "$ID", NULL);
    add(&s, 3, "丙", "$ID", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.header_row, 0);
    memset(&s, 0, sizeof s);
    add(&s, 1, "2022-04-01", "No.1", NULL);
    add(&s, 2, "乙", "$ID", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.header_row, 0);

    /* A header "ID" over serial numbers yields to the column that holds IDs. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "ID", "姓名", "号码", NULL);
    add(&s, 2, "1", "甲", "$ID", NULL);
    add(&s, 3, "2", "乙", "$ID", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 2);
    assert_int_equal(c.id_rule, COLUMNS_BY_CONTENT);
    assert_int_equal(c.header_row, 1);
    assert_int_equal(c.name, 1);

    /* Fewer than half the values ID-like: no column; Excel-ruined values as a fallback. */
    memset(&s, 0, sizeof s);
    add(&s, 1, "$ID", NULL);
    add(&s, 2, "x", NULL);
    add(&s, 3, "y", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, -1);
    assert_int_equal(c.id_rule, COLUMNS_NOT_FOUND);
    memset(&s, 0, sizeof s);
    add(&s, 1, "甲", "1.10102199003077E+17", NULL);
    add(&s, 2, "乙", "110102199003077000", NULL);
    add(&s, 3, "丙", "", NULL);
    columns_detect(s.rows, s.n, &c);
    assert_int_equal(c.id, 1);
    assert_int_equal(c.id_rule, COLUMNS_BY_CONTENT);
    assert_int_equal(c.id_like, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_by_header),
        cmocka_unit_test(test_by_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
