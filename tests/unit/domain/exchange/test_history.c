/* tests/unit/domain/exchange/test_history.c - past rounds from a sheet (R2.10): a workbook
 * made by openpyxl with subdistrict rounds and school rows (dates as date cells, a title row,
 * bad rows), imported, shown by the statistics (plan_trend, plan_by_subdistrict,
 * plan_by_industry), re-imported unchanged, corrected by difference. On SQLite and
 * PostgreSQL (apptest.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/exchange/history.h"
#include "domain/stats/stats.h"

#define SUB1 APPTEST_SUBDISTRICT  /* 西长安街街道 */
#define SUB2 APPTEST_SUBDISTRICT2 /* 新街口街道 */

/* argv[1] the file, argv[2] the actual count of H1's 新街口 row */
static const char make_xlsx[] =
    "import sys, datetime, openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active\n"
    "ws.append(['历史核酸检测轮次'])\n"
    "ws.append(['计划编号', '轮次名称', '检测日期', '街道', '学校', '年级', '班级', '应检人数', '实检人数'])\n"
    "d = datetime.datetime(2025, 5, 1)\n"
    "ws.append(['H1', '五月第一轮', d, '西长安街街道', None, None, None, 1000, 950])\n"
    "ws.append(['H1', '五月第一轮', d, '新街口', None, None, None, 800, int(sys.argv[2])])\n"
    "ws.append(['H2', '学校筛查', datetime.datetime(2025, 5, 8), '新街口街道', '四中', '初一', '3班', 40, 39])\n"
    "ws.append(['H2', '学校筛查', datetime.datetime(2025, 5, 8), '新街口街道', '四中', '初一', '4班', 41, 41])\n"
    "ws.append(['H2', '学校筛查', datetime.datetime(2025, 5, 8), '新街口街道', '四中', '初一', '4班', 41, 41])\n"
    "ws.append(['H1', '五月第一轮', d, '不存在', None, None, None, 1, 1])\n"
    "ws.append(['H 3', 'x', d, '西长安街', None, None, None, 1, 1])\n"
    "ws.append(['H1', '五月第一轮', 'someday', '西长安街', None, None, None, 1, 1])\n"
    "for r in range(3, 11): ws.cell(r, 3).number_format = 'yyyy-mm-dd'\n"
    "wb.save(sys.argv[1])\n";

static char dir[32];

static const char *
make(int actual)
{
    static char path[96];
    char py[96], cmd[300];
    FILE *f;
    if (!dir[0]) {
        strcpy(dir, "/tmp/jy_hist_XXXXXX");
        assert_non_null(mkdtemp(dir));
    }
    snprintf(path, sizeof path, "%s/h.xlsx", dir);
    snprintf(py, sizeof py, "%s/make.py", dir);
    assert_non_null(f = fopen(py, "w"));
    fputs(make_xlsx, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %d", py, path, actual);
    assert_int_equal(system(cmd), 0);
    return path;
}

static json_t *
stat(struct apptest *at, const char *name, const char *plan)
{
    struct stats_filter f = { 0 };
    json_t *rows = NULL, *applied = NULL;
    f.plan_no = plan;
    if (stats_run(at->db, &at->admin, stats_find(name), &f, &rows, &applied, apptest_why()))
        fail_msg("%s: %s", name, apptest_why_text());
    json_decref(applied);
    return rows;
}

static int64_t
geti(json_t *rows, size_t i, const char *k)
{
    return json_integer_value(json_object_get(json_array_get(rows, i), k));
}

static void
test_import_and_stats(void **state)
{
    struct apptest *at = *state;
    struct history_sheet s;
    struct history_result res;
    json_t *rows;
    time_set_fake_ms(APPTEST_NOW);

    assert_int_equal(history_import(&at->app, at->db, &at->admin, make(700), &s, &res, apptest_why()), 0);
    assert_int_equal(s.header_row, 2);
    assert_int_equal(s.n, 8);
    assert_int_equal(res.plans_created, 2);
    assert_int_equal(res.accepted, 4);
    assert_int_equal(res.rejected, 4);
    assert_string_equal(s.rows[4].status, "rejected"); /* the repeated class */
    assert_int_equal(s.rows[4].num, 7);
    assert_non_null(strstr(s.rows[5].reason, "subdistrict"));
    assert_non_null(strstr(s.rows[6].reason, "plan number"));
    assert_non_null(strstr(s.rows[7].reason, "start"));
    history_sheet_release(&s);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM plans WHERE kind = 'school' AND plan_no = 'H2'", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT starts_at FROM plans WHERE plan_no = 'H1'", 0), 1746028800000LL); /* 2025-05-01 00:00 +08 */

    rows = stat(at, "plan_trend", NULL); /* newest first */
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "plan_no")), "H2");
    assert_int_equal(geti(rows, 0, "planned"), 81);
    assert_int_equal(geti(rows, 0, "sampled"), 80);
    assert_int_equal(geti(rows, 1, "planned"), 1800);
    assert_int_equal(geti(rows, 1, "sampled"), 1650);
    json_decref(rows);
    rows = stat(at, "plan_by_industry", "H2");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "industry")), "P");
    assert_int_equal(geti(rows, 0, "corrected"), 80);
    json_decref(rows);

    /* the same file again: nothing changes */
    assert_int_equal(history_import(&at->app, at->db, &at->admin, make(700), &s, &res, apptest_why()), 0);
    assert_int_equal(res.plans_created, 0);
    assert_int_equal(res.unchanged, 4);
    assert_int_equal(res.accepted + res.updated, 0);
    history_sheet_release(&s);
    /* a corrected count replaces the old one */
    assert_int_equal(history_import(&at->app, at->db, &at->admin, make(760), &s, &res, apptest_why()), 0);
    assert_int_equal(res.updated, 1);
    assert_int_equal(res.unchanged, 3);
    history_sheet_release(&s);
    rows = stat(at, "plan_by_subdistrict", "H1");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "subdistrict")), SUB2);
    assert_int_equal(geti(rows, 1, "sampled"), 760);
    assert_int_equal(geti(rows, 0, "planned"), 1000);
    json_decref(rows);
    assert_int_equal(apptest_count_audit(at->db, "history.import", NULL, "ok"), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'exchange.history'", 0), 3);
    (void)SUB1;
}

static void
test_refused(void **state)
{
    struct apptest *at = *state;
    struct history_sheet s;
    struct history_result res;
    struct actor sub;
    char path[64];
    FILE *f;
    apptest_actor(at, apptest_user(at, "sub_h", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &sub);
    assert_int_equal(history_import(&at->app, at->db, &sub, make(1), &s, &res, apptest_why()), ERR_FORBIDDEN);
    history_sheet_release(&s);
    snprintf(path, sizeof path, "%s/no_header.csv", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("a,b,c\n1,2,3\n", f);
    fclose(f);
    assert_int_equal(history_import(&at->app, at->db, &at->admin, path, &s, &res, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "header"));
    history_sheet_release(&s);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM history_rows", 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { APPTEST(test_import_and_stats), APPTEST(test_refused) };
    int rc = apptest_run("exchange_history", tests, sizeof tests / sizeof tests[0]);
    if (dir[0]) {
        char cmd[64];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd))
            rc = 1;
    }
    return rc;
}
