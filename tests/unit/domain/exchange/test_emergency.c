/* tests/unit/domain/exchange/test_emergency.c - the emergency bureau's figures (R2.8, R2.9):
 * ingest (validation, all-or-nothing, idempotent re-send, event and audit), ours from the
 * counters in their layout beside theirs, scope. On SQLite and PostgreSQL (apptest.h). */
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
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/exchange/emergency.h"
#include "domain/exchange/emergency_import.h"
#include "domain/testing/actual.h"
#include "domain/testing/plan.h"

#define SUB1 APPTEST_SUBDISTRICT  /* 西长安街街道 */
#define SUB2 APPTEST_SUBDISTRICT2 /* 新街口街道 */
#define HOUR 3600000LL

static void
ingest_all(struct apptest *at, const struct ingest_kind *kind, const char *text)
{
    size_t n = 0;
    struct ingest_outcome *out = apptest_ingest_text(at, &at->admin, kind, text, &n);
    for (size_t i = 0; i < n; i++)
        if (out[i].status != INGEST_ACCEPTED)
            fail_msg("%s item %zu: %s", kind->name, i, out[i].reason);
    xfree(out);
}

/* Plan P1 with planned and reported actual counts in two subdistricts, an industry split. */
static void
load(struct apptest *at)
{
    char plans[400];
    time_set_fake_ms(APPTEST_NOW);
    snprintf(plans, sizeof plans,
             "[{\"source\":\"gov\",\"external_id\":\"p1\",\"plan_no\":\"P1\",\"name\":\"第一轮\","
             "\"starts_at\":%lld,\"ends_at\":%lld}]",
             (long long)(APPTEST_T0 - 2 * HOUR), (long long)(APPTEST_T0 + 24 * HOUR));
    ingest_all(at, &plan_kind, plans);
    ingest_all(at, &plan_planned_kind,
               "[{\"source\":\"gov\",\"external_id\":\"q1\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\",\"count\":300},"
               "{\"source\":\"gov\",\"external_id\":\"q2\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\","
               "\"industry\":\"A\",\"count\":300},"
               "{\"source\":\"gov\",\"external_id\":\"q3\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB2 "\",\"count\":500}]");
    ingest_all(at, &actual_kind,
               "[{\"source\":\"sub\",\"external_id\":\"a1\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\","
               "\"count\":250,\"reported_at\":1767250000000},"
               "{\"source\":\"sub\",\"external_id\":\"a2\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\","
               "\"industry\":\"A\",\"count\":120,\"reported_at\":1767250000000},"
               "{\"source\":\"sub\",\"external_id\":\"a3\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB2 "\","
               "\"count\":200,\"reported_at\":1767250000000}]");
}

/* Theirs: SUB1 agrees (short name), SUB2 differs, one name we do not know. */
static const char theirs_sub[] =
    "[{\"plan_no\":\"P1\",\"name\":\"西长安街\",\"plan_name\":\"第一轮\",\"planned\":600,\"actual\":370,"
    "\"start_time\":\"2026-01-01 06:00\",\"received_time\":\"2026-01-01 17:30:00\","
    "\"industry_counts\":{\"农、林、牧、渔业\":120}},"
    "{\"plan_no\":\"P1\",\"name\":\"新街口街道\",\"planned\":500,\"actual\":180,\"difference\":321},"
    "{\"plan_no\":\"P1\",\"name\":\"不存在街道\",\"planned\":10,\"actual\":1}]";

static json_t *
rows_of(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static json_t *
compare(struct apptest *at, const struct actor *a, enum emergency_layout l, const char *plan)
{
    json_t *out = NULL;
    int rc = emergency_compare(at->db, a, l, plan, &out, apptest_why());
    if (rc)
        fail_msg("compare [%s]: %s %s", at->t->driver, err_name(rc), apptest_why_text());
    return out;
}

static int64_t
get_i(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", k);
    return json_integer_value(v);
}

static void
test_side_by_side(void **state)
{
    struct apptest *at = *state;
    struct emergency_result res;
    json_t *rows = rows_of(theirs_sub), *out, *arr, *r;
    load(at);
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    assert_int_equal(res.inserted, 3);
    out = compare(at, &at->admin, EMERGENCY_BY_SUBDISTRICT, "P1");
    assert_string_equal(json_string_value(json_object_get(out, "plan_name")), "第一轮");
    assert_int_equal(get_i(out, "start_time"), APPTEST_T0 - 2 * HOUR);
    arr = json_object_get(out, "rows");
    assert_int_equal(json_array_size(arr), 3);
    /* SUB1: ours = 300 + 300 planned, 250 + 120 actual; theirs agree */
    r = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(r, "code")), SUB1);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "西长安街街道");
    assert_int_equal(get_i(r, "planned"), 600);
    assert_int_equal(get_i(r, "actual"), 370);
    assert_int_equal(get_i(r, "difference"), 230);
    assert_int_equal(get_i(json_object_get(r, "industry_counts"), "农、林、牧、渔业"), 120);
    assert_true(json_is_false(json_object_get(r, "mismatch")));
    assert_int_equal(get_i(json_object_get(r, "theirs"), "received_time"), 1767259800000LL); /* 17:30 +08 */
    assert_int_equal(get_i(json_object_get(r, "theirs"), "start_time"), APPTEST_T0 - 2 * HOUR);
    assert_int_equal(get_i(json_object_get(r, "theirs"), "difference"), 230);
    /* SUB2: their actual and difference (kept as sent) differ */
    r = json_array_get(arr, 1);
    assert_string_equal(json_string_value(json_object_get(r, "code")), SUB2);
    assert_true(json_is_true(json_object_get(r, "mismatch")));
    assert_int_equal(get_i(json_object_get(r, "delta"), "planned"), 0);
    assert_int_equal(get_i(json_object_get(r, "delta"), "actual"), 20);
    assert_int_equal(get_i(json_object_get(r, "delta"), "difference"), 300 - 321);
    /* the unknown name: a row of its own, ours all zero */
    r = json_array_get(arr, 2);
    assert_string_equal(json_string_value(json_object_get(r, "code")), "");
    assert_string_equal(json_string_value(json_object_get(r, "name")), "不存在街道");
    assert_int_equal(get_i(r, "planned"), 0);
    assert_int_equal(get_i(json_object_get(r, "delta"), "planned"), -10);
    json_decref(out);

    /* by industry: ours from the industry rows; theirs by industry code or name */
    json_decref(rows);
    rows = rows_of("[{\"plan_no\":\"P1\",\"name\":\"农、林、牧、渔业\",\"planned\":300,\"actual\":100}]");
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_INDUSTRY, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    out = compare(at, &at->admin, EMERGENCY_BY_INDUSTRY, "P1");
    arr = json_object_get(out, "rows");
    assert_int_equal(json_array_size(arr), 1);
    r = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(r, "code")), "A");
    assert_int_equal(get_i(r, "planned"), 300);
    assert_int_equal(get_i(r, "actual"), 120);
    assert_int_equal(get_i(json_object_get(r, "delta"), "actual"), 20);
    assert_null(json_object_get(r, "industry_counts"));
    json_decref(out);
    json_decref(rows);
}

static void
test_idempotent_event_audit(void **state)
{
    struct apptest *at = *state;
    struct emergency_result res;
    json_t *rows = rows_of(theirs_sub);
    int64_t events0;
    load(at);
    events0 = apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'exchange.emergency'", 0);
    assert_int_equal(events0, 0);
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    assert_int_equal(res.inserted, 0);
    assert_int_equal(res.updated, 0);
    assert_int_equal(res.unchanged, 3);
    json_integer_set(json_object_get(json_array_get(rows, 1), "actual"), 200);
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    assert_int_equal(res.updated, 1);
    assert_int_equal(res.unchanged, 2);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM emergency_figures", 0), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT actual FROM emergency_figures WHERE name = '新街口街道'", 0), 200);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'exchange.emergency'", 0), 3);
    assert_int_equal(apptest_count_audit(at->db, "exchange.emergency.ingest", "P1", "ok"), 3);
    json_decref(rows);
}

static void
test_invalid_all_or_nothing(void **state)
{
    struct apptest *at = *state;
    struct emergency_result res;
    static const char *const bad[] = {
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P1\",\"name\":\"b\",\"planned\":-1,\"actual\":1}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P1\",\"planned\":1,\"actual\":1}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P2\",\"name\":\"b\",\"planned\":1,\"actual\":1}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P1\",\"name\":\"b\",\"planned\":1,\"actual\":1,\"x\":1}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P1\",\"name\":\"b\",\"planned\":1,\"actual\":1,\"received_time\":\"2026-02-30\"}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},{\"plan_no\":\"P1\",\"name\":\"b\",\"planned\":1,\"actual\":1,\"industry_counts\":{\"A\":\"x\"}}]",
        "[{\"plan_no\":\"P1\",\"name\":\"a\",\"planned\":1,\"actual\":1},7]",
    };
    load(at);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *rows = rows_of(bad[i]);
        assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                          apptest_why()),
                         ERR_INVALID);
        if (strncmp(apptest_why_text(), "row 2:", 6))
            fail_msg("case %zu: %s", i, apptest_why_text());
        json_decref(rows);
    }
    json_t *empty = json_array();
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", empty, &res,
                                      apptest_why()),
                     ERR_INVALID);
    json_decref(empty);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM emergency_figures", 0), 0);
    /* no plan of ours and none of theirs */
    json_t *out = NULL;
    assert_int_equal(emergency_compare(at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "NOPE", &out, apptest_why()),
                     ERR_NOT_FOUND);
    assert_int_equal(emergency_compare(at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "", &out, apptest_why()),
                     ERR_INVALID);
    assert_null(out);
}

static void
test_scope(void **state)
{
    struct apptest *at = *state;
    struct emergency_result res;
    struct actor sub1;
    json_t *rows = rows_of(theirs_sub), *out, *arr;
    load(at);
    apptest_actor(at, apptest_user(at, "sub_one", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &sub1);
    assert_int_equal(emergency_ingest(&at->app, at->db, &sub1, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     ERR_FORBIDDEN);
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_SUBDISTRICT, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    json_decref(rows);
    rows = rows_of("[{\"plan_no\":\"P1\",\"name\":\"A\",\"planned\":300,\"actual\":100}]");
    assert_int_equal(emergency_ingest(&at->app, at->db, &at->admin, EMERGENCY_BY_INDUSTRY, "yjj", rows, &res,
                                      apptest_why()),
                     0);
    out = compare(at, &sub1, EMERGENCY_BY_SUBDISTRICT, "P1");
    arr = json_object_get(out, "rows");
    assert_int_equal(json_array_size(arr), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "code")), SUB1);
    assert_true(json_is_object(json_object_get(json_array_get(arr, 0), "theirs")));
    json_decref(out);
    out = compare(at, &sub1, EMERGENCY_BY_INDUSTRY, "P1");
    arr = json_object_get(out, "rows");
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(get_i(json_array_get(arr, 0), "actual"), 120);
    assert_true(json_is_null(json_object_get(json_array_get(arr, 0), "theirs")));
    json_decref(out);
    json_decref(rows);
}

/* A workbook written by openpyxl: a title row, the header, a formula 差值 (not cached), a
 * date-formatted 接诉时间, an industry column, a bad count, a total line. */
static const char make_xlsx[] =
    "import sys, datetime, openpyxl\n"
    "wb = openpyxl.Workbook(); ws = wb.active\n"
    "ws.append(['应急局核酸检测统计（按街道）'])\n"
    "ws.append(['序号', '街道名称', '计划编号', '计划名称', '计划数', '实检人数', '差值', '接诉时间', '制造业'])\n"
    "ws.append([1, '西长安街街道', 'P1', '第一轮', 600, 370, '=E3-F3', datetime.datetime(2026, 1, 1, 17, 30), 12])\n"
    "ws.append([2, '新街口', None, '第一轮', '500', '1,180', None, '2026-01-01 17:30', None])\n"
    "ws.append([3, '什刹海', 'P1', '第一轮', 100, 'abc', None, None, None])\n"
    "ws.append([None, '合计', 'P1', None, 1200, 1550, None, None, None])\n"
    "ws['H3'].number_format = 'yyyy-mm-dd hh:mm'\n"
    "wb.save(sys.argv[1])\n";

static void
test_import_xlsx(void **state)
{
    struct apptest *at = *state;
    struct emergency_sheet s;
    struct emergency_result res;
    char dir[] = "/tmp/jy_em_XXXXXX", path[128], py[128], cmd[400];
    FILE *f;
    load(at);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/yjj.xlsx", dir);
    snprintf(py, sizeof py, "%s/make.py", dir);
    assert_non_null(f = fopen(py, "w"));
    fputs(make_xlsx, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", py, path);
    assert_int_equal(system(cmd), 0);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(emergency_import(&at->app, at->db, &at->admin, path, "file", "P1", &s, &res, apptest_why()), 0);
        assert_int_equal(s.layout, EMERGENCY_BY_SUBDISTRICT);
        assert_int_equal(s.header_row, 2);
        assert_int_equal(s.accepted, 2);
        assert_int_equal(s.rejected, 1);
        assert_int_equal(s.skipped, 1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(s.report, 2), "row")), 5);
        assert_string_equal(json_string_value(json_object_get(json_array_get(s.report, 2), "status")), "rejected");
        assert_int_equal(res.inserted, round ? 0 : 2);
        assert_int_equal(res.unchanged, round ? 2 : 0);
        emergency_sheet_release(&s);
    }
    json_t *out = compare(at, &at->admin, EMERGENCY_BY_SUBDISTRICT, "P1"), *r;
    r = json_object_get(json_array_get(json_object_get(out, "rows"), 0), "theirs");
    assert_int_equal(get_i(r, "actual"), 370);
    assert_int_equal(get_i(r, "difference"), 230); /* the uncached formula: planned - actual */
    assert_int_equal(get_i(r, "received_time"), 1767259800000LL);
    assert_int_equal(get_i(json_object_get(r, "industry_counts"), "制造业"), 12);
    r = json_object_get(json_array_get(json_object_get(out, "rows"), 1), "theirs");
    assert_int_equal(get_i(r, "actual"), 1180);
    assert_int_equal(get_i(r, "received_time"), 1767259800000LL);
    json_decref(out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void
test_parse_time(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(emergency_parse_time("2026-01-01 08:00:00", &ms), 0);
    assert_int_equal(ms, APPTEST_T0);
    assert_int_equal(emergency_parse_time("2026/01/01 08:00", &ms), 0);
    assert_int_equal(ms, APPTEST_T0);
    assert_int_equal(emergency_parse_time("2026-01-01", &ms), 0);
    assert_int_equal(ms, APPTEST_T0 - 8 * HOUR);
    assert_int_equal(emergency_parse_time("2026-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, APPTEST_T0);
    assert_int_equal(emergency_parse_time("1767225600000", &ms), 0);
    assert_int_equal(ms, APPTEST_T0);
    assert_int_equal(emergency_parse_time("2026-13-01", &ms), ERR_INVALID);
    assert_int_equal(emergency_parse_time("2026-02-29", &ms), ERR_INVALID);
    assert_int_equal(emergency_parse_time("2026-01-01 8:00", &ms), ERR_INVALID);
    assert_int_equal(emergency_parse_time("", &ms), ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_side_by_side), APPTEST(test_idempotent_event_audit), APPTEST(test_invalid_all_or_nothing),
        APPTEST(test_scope), APPTEST(test_import_xlsx), APPTEST(test_parse_time),
    };
    return apptest_run("exchange_emergency", tests, sizeof tests / sizeof tests[0]);
}
