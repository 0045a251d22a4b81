/* tests/unit/domain/exchange/test_hotline_extract.c - `hotline extract` over ticket lists
 * written by /usr/bin/python3 + openpyxl (tests/support/fixtures/make_tickets.py): a title
 * row, header variants, real datetimes, a formula-literal content cell, full-width text,
 * spaced and full-width category paths, split category columns, a row without a number; the
 * same list as CSV. Checks the hits of the contract's example rule with and without category
 * filters, the counts, and the hits' workbook (read back: 工单编号 column, masked caller and
 * phone, no plaintext phone anywhere in the file) (R2.12). Pure: no database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "domain/exchange/hotline_extract.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define EXAMPLE "核酸 AND (排队 OR 人多) NOT 疫苗"

static char tmpdir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_hotline_extract.XXXXXX");
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

struct hits {
    char list[512];     /* numbers' last two digits, comma-separated */
    char received[64];  /* of the first hit */
};

static int
collect(void *ctx, const struct hotline_ticket *t)
{
    struct hits *h = ctx;
    size_t n = strlen(h->list), len = strlen(t->number);
    if (!h->received[0])
        snprintf(h->received, sizeof h->received, "%s", t->received);
    snprintf(h->list + n, sizeof h->list - n, "%s%s", n ? "," : "", t->number + (len > 2 ? len - 2 : 0));
    return 0;
}

/* run extracts from path with expr and cats; returns the hits' list (static storage). */
static const char *
run(const char *path, const char *expr, const char *const *cats, size_t ncats,
    struct hotline_extract_counts *c)
{
    static struct hits h;
    struct table *t = NULL;
    struct hotline_rule *r = NULL;
    struct buf why = BUF_INIT;
    memset(&h, 0, sizeof h);
    assert_int_equal(hotline_rule_compile(str_of(expr), NULL, &r, &why), 0);
    assert_int_equal(table_open_path(path, &t, &why), 0);
    int rc = hotline_extract(t, r, cats, ncats, collect, &h, c, &why);
    if (rc)
        fail_msg("extract: %s", why.data);
    table_close(t);
    hotline_rule_free(r);
    buf_release(&why);
    return h.list;
}

static void
check_file(const char *path, uint64_t header_row)
{
    struct hotline_extract_counts c;
    static const char *const health[] = { "卫生健康/核酸检测" };
    static const char *const two[] = { " 卫生健康／核酸检测 ", "城市管理" };
    assert_string_equal(run(path, EXAMPLE, NULL, 0, &c), "01,04,05,06,08");
    assert_int_equal(c.header_row, header_row);
    assert_int_equal(c.tickets, 7);
    assert_int_equal(c.no_number, 1);
    assert_int_equal(c.in_category, 7);
    assert_int_equal(c.matched, 5);
    /* level-boundary prefix: 卫生健康/核酸检测点 (05) is not under 卫生健康/核酸检测 */
    assert_string_equal(run(path, EXAMPLE, health, 1, &c), "01,06,08");
    assert_int_equal(c.in_category, 4);
    assert_string_equal(run(path, EXAMPLE, two, 2, &c), "01,04,06,08");
    /* full-width and case folding in the texts */
    assert_string_equal(run(path, "pcr", NULL, 0, &c), "06");
    assert_string_equal(run(path, "\"ＰＣＲ test\"", NULL, 0, &c), "06");
    assert_string_equal(run(path, "疫苗 OR 垃圾", NULL, 0, &c), "03,04");
    assert_string_equal(run(path, "NOT 核酸", NULL, 0, &c), "");
}

static void
test_xlsx(void **state)
{
    (void)state;
    const char *path = pyfixture_make(tmpdir, "make_tickets.py", "tickets.xlsx", "");
    check_file(path, 2);
    /* the received time is a real datetime cell, read as text */
    struct hotline_extract_counts c;
    static struct hits h;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    memset(&h, 0, sizeof h);
    assert_int_equal(table_open_path(path, &t, &why), 0);
    assert_int_equal(hotline_extract(t, NULL, NULL, 0, collect, &h, &c, &why), 0);
    assert_string_equal(h.received, "2026-12-01 08:30:00");
    assert_int_equal(c.matched, 7);
    table_close(t);
    buf_release(&why);
}

static void
test_split_categories(void **state)
{
    (void)state;
    check_file(pyfixture_make(tmpdir, "make_tickets.py", "split.xlsx", "--split"), 2);
}

static void
test_csv(void **state)
{
    (void)state;
    check_file(pyfixture_make(tmpdir, "make_tickets.py", "tickets.csv", ""), 1);
}

static void
test_not_tickets(void **state)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct hotline_extract_counts c;
    char path[128];
    FILE *f;
    (void)state;
    snprintf(path, sizeof path, "%s/other.csv", tmpdir);
    assert_non_null(f = fopen(path, "w"));
    fputs("姓名,身份证号\n张三,110101199003070000\n", f);
    fclose(f);
    assert_int_equal(table_open_path(path, &t, &why), 0);
    assert_int_equal(hotline_extract(t, NULL, NULL, 0, NULL, NULL, &c, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "no ticket header"));
    table_close(t);
    buf_release(&why);
}

struct writer {
    struct xlsxw *w;
};

static int
write_hit(void *ctx, const struct hotline_ticket *t)
{
    return hotline_hits_xlsx_row(((struct writer *)ctx)->w, t);
}

static void
test_hits_workbook(void **state)
{
    const char *in = pyfixture_make(tmpdir, "make_tickets.py", "tickets.xlsx", "");
    char out[128], cmd[512];
    struct writer wr = { NULL };
    struct table *t = NULL;
    struct hotline_rule *r = NULL;
    struct buf why = BUF_INIT;
    struct hotline_extract_counts c;
    struct table_row row;
    (void)state;
    snprintf(out, sizeof out, "%s/hits.xlsx", tmpdir);
    assert_int_equal(hotline_rule_compile(STR_LIT(EXAMPLE), NULL, &r, &why), 0);
    assert_int_equal(table_open_path(in, &t, &why), 0);
    assert_int_equal(hotline_hits_xlsx_open(XLSXW_PATH(out), &wr.w), 0);
    assert_int_equal(xlsxw_finish(wr.w, hotline_extract(t, r, NULL, 0, write_hit, &wr, &c, &why)), 0);
    table_close(t);
    t = NULL;
    /* read back */
    assert_int_equal(table_open_path(out, &t, &why), 0);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_string_equal(row.cells[0].p, "工单编号");
    assert_string_equal(row.cells[6].p, "来电人");
    assert_string_equal(row.cells[7].p, "联系电话");
    assert_int_equal(table_next_row(t, &row), 0);
    assert_string_equal(row.cells[0].p, "GD2026120100001");
    assert_string_equal(row.cells[2].p, "卫生健康/核酸检测/排队时间长");
    assert_string_equal(row.cells[6].p, "张*");
    assert_string_equal(row.cells[7].p, "138****5678");
    size_t n = 1;
    while (table_next_row(t, &row) == 0 && row.cells)
        n++;
    assert_int_equal(n, 5);
    table_close(t);
    /* no plaintext phone or caller name anywhere in the workbook */
    snprintf(cmd, sizeof cmd, "cd '%s' && mkdir x && cd x && unzip -q ../hits.xlsx && "
             "! grep -rq -e 13812345678 -e 张三 -e 66001234 .", tmpdir);
    assert_int_equal(system(cmd), 0);
    hotline_rule_free(r);
    buf_release(&why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_xlsx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_tickets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hits_workbook, setup, teardown),
    };
    return cmocka_run_group_tests_name("hotline_extract", tests, NULL, NULL);
}
