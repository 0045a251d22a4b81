/* tests/unit/domain/testing/test_result_mac.c - test results are MACed (issue 12,
 * "Confidentiality and integrity"; domain/testing/result_mac.c, crypto/rowmac.h), on SQLite
 * and PostgreSQL.
 *
 * The tamper test of the issue: a stored result value flipped behind the application's back
 * ("negative" -> "positive" with SQL) makes the personal lookup answer damaged data -
 * status damaged, the test's result "damaged", counted in jiayuan_integrity_failures_total,
 * audited as "integrity.failure" - never the forged value. On the tree before 0025 the
 * lookup answered "positive" (the assertions on h.tests[0].result and h.damaged failed).
 * Also: a removed mac is damage; rows stored before 0025 are accepted until the backfill
 * seals them, and after it a change to them is damage too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/testing/person.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"
#include "http/metrics.h"

#define D 86400000LL
#define NOW (APPTEST_T0 + 30 * D)

static char id_a[19];

static void
ingest(struct apptest *at, const struct ingest_kind *kind, const char *text)
{
    json_error_t je;
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    json_t *items = json_loads(text, 0, &je);
    assert_non_null(items);
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, kind, items, &out, &n, &accepted), 0);
    assert_int_equal(accepted, 1);
    json_decref(items);
    xfree(out);
}

static long long
metric_value(void)
{
    struct buf b = BUF_INIT;
    long long v = -1;
    metrics_format(&b, 0);
    const char *p = strstr(b.data, "\njiayuan_integrity_failures_total ");
    if (p)
        v = strtoll(p + strlen("\njiayuan_integrity_failures_total "), NULL, 10);
    buf_release(&b);
    return v;
}

static void
load(struct apptest *at)
{
    static const char sql_site[] =
        "INSERT INTO sites (code, name, type, subdistrict, lon_e6, lat_e6, source, external_id, created_at,"
        " updated_at) VALUES ('S1', '一号采样点', 'fixed', '" APPTEST_SUBDISTRICT "', 116370000, 39910000,"
        " 'test', 'S1', 1, 1)";
    char text[512];
    time_set_fake_ms(NOW);
    memcpy(id_a, "11010219800101001", 17);
    id_a[17] = idno_check_digit(id_a);
    id_a[18] = '\0';
    assert_int_equal(apptest_exec(at->db, sql_site), 0);
    snprintf(text, sizeof text,
             "[{\"source\":\"app\",\"external_id\":\"s1\",\"id_number\":\"%s\",\"name\":\"测试\","
             "\"tube_code\":\"T1\",\"site_code\":\"S1\",\"collected_at\":%lld}]",
             id_a, (long long)(NOW - 2 * D));
    ingest(at, &sample_kind, text);
    snprintf(text, sizeof text,
             "[{\"source\":\"lab\",\"external_id\":\"r1\",\"tube_code\":\"T1\",\"institution\":\"第一检测所\","
             "\"tested_at\":%lld,\"result\":\"negative\"}]",
             (long long)(NOW - D));
    ingest(at, &result_kind, text);
}

static void
lookup(struct apptest *at, struct arena *arena, struct person_history *h)
{
    assert_int_equal(person_lookup(&at->app, at->db, &at->admin, id_a, 14, false, NULL, arena, h, apptest_why()), 0);
    assert_int_equal(h->ntests, 1);
}

static void
test_flipped_result_reads_damaged(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    load(at);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "negative");
    assert_string_equal(h.tests[0].institution, "第一检测所");
    assert_int_equal(h.damaged, 0);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", NULL, NULL), 0);

    long long before = metric_value();
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET result = 'positive' WHERE tube_code = 'T1'"), 0);
    lookup(at, &arena, &h);
    assert_string_not_equal(h.tests[0].result, "positive"); /* never the forged value */
    assert_string_equal(h.tests[0].result, "damaged");
    assert_int_equal(h.damaged, 1); /* the API's "status":"damaged" */
    assert_true(metric_value() > before);
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", NULL, "failed"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE action = 'integrity.failure'"
                                              " AND detail = ?1", "column=results results=1"),
                     1);
    arena_release(&arena);
}

/* The result list (GET /api/v1/results) checks every row too. */
static void
test_list_reads_damaged(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct result_query q = { .limit = 10 };
    struct result *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    load(at);
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].result, "negative");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET result = 'positive'"), 0);
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].result, "damaged");
    assert_string_equal(items[0].institution, "");
    assert_int_equal(apptest_count_audit(at->db, "integrity.failure", "results", "failed"), 1);
    arena_release(&arena);
}

/* Moving the result to another tube, or another time, is damage as well; so is a removed mac. */
static void
test_other_fields_and_missing_mac(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    load(at);
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET tested_at = tested_at + 1"), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "damaged");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET tested_at = tested_at - 1"), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "negative");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET mac = NULL, mac_key = NULL"), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "damaged");
    assert_int_equal(h.damaged, 1);
    arena_release(&arena);
}

/* A row stored before migration 0025 has no mac: accepted until the backfill, which seals
 * it; after that, a change to it is damage and a missing mac is too. */
static void
test_legacy_rows_backfilled(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    int64_t done = -1, id;
    load(at);
    id = apptest_i64(at->db, "SELECT id FROM results", 0);
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET mac = NULL, mac_key = NULL"), 0);
    assert_int_equal(apptest_exec(at->db, "DELETE FROM row_mac_legacy"), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM row_mac_legacy", 0), 0);
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO row_mac_legacy (tbl, upto) VALUES ('results', %lld)", (long long)id);
    assert_int_equal(apptest_exec(at->db, sql), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "negative");
    assert_int_equal(h.damaged, 0);

    assert_int_equal(result_mac_backfill(&at->app.keys, at->db, &done), 0);
    assert_int_equal(done, 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM results WHERE mac IS NULL", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM row_mac_legacy", 0), 0);
    assert_int_equal(result_mac_backfill(&at->app.keys, at->db, &done), 0);
    assert_int_equal(done, 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "negative");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET result = 'positive'"), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "damaged");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET result = 'negative', mac = NULL"), 0);
    lookup(at, &arena, &h);
    assert_string_equal(h.tests[0].result, "damaged");
    arena_release(&arena);
}

/* The backfill walks more rows than one chunk. */
static void
test_backfill_many(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct result r;
    int64_t done = 0, last;
    char sql[256];
    load(at);
    for (int i = 0; i < 1203; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO results (source, external_id, tube_code, institution, tested_at, result, created_at)"
                 " VALUES ('old', 'e%d', 'X%d', 'inst', %d, 'negative', 1)", i, i, 1000 + i);
        assert_int_equal(apptest_exec(at->db, sql), 0);
    }
    last = apptest_i64(at->db, "SELECT max(id) FROM results", 0);
    snprintf(sql, sizeof sql, "INSERT INTO row_mac_legacy (tbl, upto) VALUES ('results', %lld)", (long long)last);
    assert_int_equal(apptest_exec(at->db, "DELETE FROM row_mac_legacy"), 0);
    assert_int_equal(apptest_exec(at->db, sql), 0);
    assert_int_equal(result_get(&at->app.keys, at->db, last, &arena, &r), 0); /* legacy: accepted */
    assert_int_equal(result_mac_backfill(&at->app.keys, at->db, &done), 0);
    assert_int_equal(done, 1203);
    assert_int_equal(result_get(&at->app.keys, at->db, last, &arena, &r), 0);
    assert_string_equal(r.tube_code, "X1202");
    assert_int_equal(result_get(&at->app.keys, at->db, last + 1, &arena, &r), ERR_NOT_FOUND);
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET institution = 'other' WHERE tube_code = 'X7'"), 0);
    assert_int_equal(result_get(&at->app.keys, at->db, apptest_i64_text(at->db, "SELECT id FROM results WHERE tube_code = ?1", "X7"),
                                &arena, &r),
                     ERR_CRYPTO);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_flipped_result_reads_damaged),
        APPTEST(test_other_fields_and_missing_mac),
        APPTEST(test_list_reads_damaged),
        APPTEST(test_legacy_rows_backfilled),
        APPTEST(test_backfill_many),
    };
    return apptest_run("domain_result_mac", tests, sizeof tests / sizeof tests[0]);
}
