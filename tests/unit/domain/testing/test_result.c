/* tests/unit/domain/testing/test_result.c - laboratory results of domain/testing/result.h (R2.6, R2.7
 * counters "results_<value>", R4's indexes): validation, idempotency, results that come
 * before their samples, counts-only events, scope, list filters, and the query plans of
 * "all results of these tubes" and "latest result per tube"; on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"

#define NOW APPTEST_NOW
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

/* run1 ingests one record and returns its status. */
static enum ingest_status
run1(struct apptest *at, const struct actor *a, const struct ingest_kind *kind, const char *text)
{
    return apptest_put(at, a, kind, apptest_json(text)).status;
}

static char *
rjson(const char *ext, const char *tube, const char *result, int64_t tested_at)
{
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "{\"source\":\"lab1\",\"external_id\":\"%s\",\"tube_code\":\"%s\",\"institution\":\"Lab One\","
               "\"tested_at\":%lld,\"result\":\"%s\"}",
               ext, tube, (long long)tested_at, result);
    return buf_detach(&b, NULL);
}

/* sample ingests one person's sample (a valid ID made from seq) into tube at site. */
static void
sample(struct apptest *at, int seq, const char *tube, const char *site)
{
    char first17[18], id[19], text[400];
    snprintf(first17, sizeof first17, "11010219800101%03u", (unsigned)seq % 1000u);
    snprintf(id, sizeof id, "%s%c", first17, idno_check_digit(first17));
    snprintf(text, sizeof text,
             "{\"source\":\"app\",\"external_id\":\"s%d\",\"id_number\":\"%s\",\"name\":\"Test Person\","
             "\"tube_code\":\"%s\",\"site_code\":\"%s\",\"collected_at\":%lld}",
             seq, id, tube, site, (long long)(NOW - 2 * 3600000LL));
    assert_int_equal(run1(at, &at->admin, &sample_kind, text), INGEST_ACCEPTED);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct buf b = BUF_INIT;
    size_t n = 0;
    static const struct {
        const char *json, *field;
    } cases[] = {
        { "{\"source\":\"l\",\"external_id\":\"a\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":\"2026-01-01T17:00:00+08:00\",\"result\":\"negative\"}", NULL },
        { "{\"source\":\"l\",\"external_id\":\"b\",\"institution\":\"L\",\"tested_at\":1767225600000,"
          "\"result\":\"negative\"}", "tube_code" },
        { "{\"source\":\"l\",\"external_id\":\"c\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":1767225600000,\"result\":\"maybe\"}", "result" },
        { "{\"source\":\"l\",\"external_id\":\"d\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":\"yesterday\",\"result\":\"negative\"}", "tested_at" },
        { "{\"source\":\"l\",\"external_id\":\"e\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":1893456000000,\"result\":\"negative\"}", "tested_at" },
        { "{\"source\":\"l\",\"external_id\":\"f\",\"tube_code\":\"T 1\",\"institution\":\"L\","
          "\"tested_at\":1767225600000,\"result\":\"negative\"}", "tube_code" },
        { "{\"source\":\"l\",\"external_id\":\"g\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":1767225600000,\"result\":\"negative\",\"person\":\"x\"}", "" },
        { "{\"external_id\":\"h\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":1767225600000,\"result\":\"negative\"}", "source" },
        { "{\"source\":\"l\",\"external_id\":\"i\",\"tube_code\":\"T1\",\"institution\":\"\","
          "\"tested_at\":1767225600000,\"result\":\"negative\"}", "institution" },
        { "{\"source\":\"l\",\"external_id\":\"j\",\"tube_code\":\"T1\",\"institution\":\"L\","
          "\"tested_at\":1767225600000,\"result\":\"POSITIVE\"}", "result" },
    };
    size_t ncases = sizeof cases / sizeof cases[0];

    time_set_fake_ms(NOW);
    buf_addch(&b, '[');
    for (size_t i = 0; i < ncases; i++)
        buf_printf(&b, "%s%s", i ? "," : "", cases[i].json);
    buf_addch(&b, ']');
    out = apptest_ingest_text(at, &at->admin, &result_kind, b.data, &n);
    assert_int_equal(n, ncases);
    for (size_t i = 0; i < ncases; i++) {
        char what[16];
        snprintf(what, sizeof what, "case %zu", i);
        apptest_expect_outcome(&out[i], cases[i].field, what);
    }
    xfree(out);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM results", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT tested_at FROM results", 0), APPTEST_T0 + 9 * 3600000LL);
    buf_release(&b);
}

static void
test_duplicates_and_events(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct buf b = BUF_INIT;
    size_t n = 0;
    char *x;

    time_set_fake_ms(NOW);
    x = rjson("r1", "T1", "negative", NOW - 60000);
    assert_int_equal(run1(at, &at->admin, &result_kind, x), INGEST_ACCEPTED);
    assert_int_equal(run1(at, &at->admin, &result_kind, x), INGEST_DUPLICATE);
    xfree(x);
    /* a batch of five: one retry, four new (2 negative, 1 positive, 1 pending) */
    buf_addch(&b, '[');
    {
        static const struct {
            const char *ext, *tube, *res;
        } rows[] = { { "r1", "T1", "negative" },
                     { "r2", "T2", "negative" },
                     { "r3", "T3", "negative" },
                     { "r4", "T4", "positive" },
                     { "r5", "T5", "pending" } };
        for (size_t i = 0; i < 5; i++) {
            x = rjson(rows[i].ext, rows[i].tube, rows[i].res, NOW - 60000);
            buf_printf(&b, "%s%s", i ? "," : "", x);
            xfree(x);
        }
    }
    buf_addch(&b, ']');
    out = apptest_ingest_text(at, &at->admin, &result_kind, b.data, &n);
    assert_int_equal(out[0].status, INGEST_DUPLICATE);
    for (size_t i = 1; i < 5; i++)
        assert_int_equal(out[i].status, INGEST_ACCEPTED);
    xfree(out);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM results", 0), 5);
    assert_int_equal(apptest_gauge(at->db, "results_negative", ""), 3);
    assert_int_equal(apptest_gauge(at->db, "results_positive", ""), 1);
    assert_int_equal(apptest_gauge(at->db, "results_pending", ""), 1);
    assert_int_equal(apptest_gauge(at->db, "results_invalid", ""), 0);
    /* events: one per batch and (institution, subdistrict), counts only */
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'results.counts'", 0), 2);
    assert_int_equal(apptest_i64_text(at->db,
                                      "SELECT COUNT(*) FROM outbox WHERE topic = 'results.counts' AND payload LIKE ?1",
                                      "%\"negative\":2,\"positive\":1,\"invalid\":0,\"pending\":1,\"added\":4%"),
                     1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM outbox WHERE payload LIKE ?1", "%T4%"), 0);
    assert_int_equal(apptest_count_audit(at->db, "results.ingest", NULL, NULL), 3);
    buf_release(&b);
}

static void
test_before_samples(void **state)
{
    struct apptest *at = *state;
    struct result_query q = { 0 };
    struct result *items = NULL;
    struct arena arena = ARENA_INIT;
    struct actor s1, s2;
    int64_t total = 0;
    size_t n = 0;
    char *x;

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    apptest_site(at, "S2", SUB2);
    apptest_scoped(at, SUB1, &s1);
    apptest_scoped(at, SUB2, &s2);
    /* the lab is faster than the sampling app */
    x = rjson("r1", "TUBE-1", "pending", NOW - 3600000);
    assert_int_equal(run1(at, &at->admin, &result_kind, x), INGEST_ACCEPTED);
    xfree(x);
    assert_int_equal(apptest_gauge(at->db, "results_pending", ""), 1);
    q.tube_code = "TUBE-1";
    q.limit = 10;
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(result_list(&at->app.keys, at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 0); /* not sampled yet: in no subdistrict */
    /* a scoped account cannot post results for a tube it cannot place */
    x = rjson("r0", "TUBE-1", "negative", NOW - 3600000);
    assert_int_equal(run1(at, &s1, &result_kind, x), INGEST_REJECTED);
    xfree(x);

    /* the samples arrive: two people in the tube */
    sample(at, 1, "TUBE-1", "S1");
    sample(at, 2, "TUBE-1", "S1");
    sample(at, 3, "TUBE-2", "S2");
    x = rjson("r2", "TUBE-1", "positive", NOW - 1800000); /* the retest */
    assert_int_equal(run1(at, &s1, &result_kind, x), INGEST_ACCEPTED);
    xfree(x);
    x = rjson("r3", "TUBE-2", "negative", NOW - 1800000);
    assert_int_equal(run1(at, &s1, &result_kind, x), INGEST_REJECTED); /* TUBE-2 is SUB2's */
    assert_int_equal(run1(at, &s2, &result_kind, x), INGEST_ACCEPTED);
    xfree(x);
    assert_int_equal(apptest_gauge(at->db, "results_pending", ""), 1); /* counted where it was known then */
    assert_int_equal(apptest_gauge(at->db, "results_positive", SUB1), 1);
    assert_int_equal(apptest_gauge(at->db, "results_negative", SUB2), 1);
    assert_int_equal(apptest_gauge(at->db, "results_positive", ""), 0);

    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    assert_string_equal(items[0].result, "positive"); /* newest first */
    assert_string_equal(items[1].result, "pending");
    assert_string_equal(items[0].institution, "Lab One");
    assert_int_equal(result_list(&at->app.keys, at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2); /* now the tube is placed in SUB1 */
    assert_int_equal(result_list(&at->app.keys, at->db, &s2, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 0);
    q.tube_code = NULL;
    assert_int_equal(result_list(&at->app.keys, at->db, &s2, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].tube_code, "TUBE-2");
    q.subdistrict = SUB1;
    assert_int_equal(result_list(&at->app.keys, at->db, &s2, &q, &arena, &items, &n, &total), ERR_FORBIDDEN);
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    arena_release(&arena);
}

static void
test_list_filters(void **state)
{
    struct apptest *at = *state;
    struct result_query q = { 0 };
    struct result *items = NULL;
    struct arena arena = ARENA_INIT;
    struct buf b = BUF_INIT;
    struct ingest_outcome *out;
    int64_t total = 0;
    size_t n = 0;

    time_set_fake_ms(NOW);
    buf_addch(&b, '[');
    for (int i = 0; i < 9; i++)
        buf_printf(&b,
                   "%s{\"source\":\"lab\",\"external_id\":\"x%d\",\"tube_code\":\"T%d\",\"institution\":\"%s\","
                   "\"tested_at\":%lld,\"result\":\"%s\"}",
                   i ? "," : "", i, i, i % 3 ? "Lab A" : "Lab B", (long long)(NOW - (9 - i) * 3600000LL),
                   i == 4 ? "positive" : i == 7 ? "invalid" : "negative");
    buf_addch(&b, ']');
    out = apptest_ingest_text(at, &at->admin, &result_kind, b.data, &n);
    assert_int_equal(n, 9);
    xfree(out);

    q.limit = 4;
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 9);
    assert_int_equal(n, 4);
    assert_string_equal(items[0].tube_code, "T8");
    q.before_id = items[3].id;
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 4);
    assert_string_equal(items[0].tube_code, "T4");
    q.before_id = items[3].id;
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].tube_code, "T0");

    memset(&q, 0, sizeof q);
    q.limit = 50;
    q.institution = "Lab B"; /* T0, T3, T6 */
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    q.result = "negative";
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    q.institution = NULL;
    q.result = "positive";
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].tube_code, "T4");
    q.result = NULL;
    q.from = NOW - 5 * 3600000LL;
    q.to = NOW - 2 * 3600000LL; /* T4, T5, T6 */
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_string_equal(items[0].tube_code, "T6");
    q.result = "unknown";
    assert_int_equal(result_list(&at->app.keys, at->db, &at->admin, &q, &arena, &items, &n, &total), ERR_INVALID);
    arena_release(&arena);
    buf_release(&b);
}

/* plan returns the query plan of sql (literal values only) as one text. */
static void
plan(struct db *db, const char *sql, struct buf *out)
{
    struct db_stmt *st = NULL;
    struct buf q = BUF_INIT;
    bool row = false;
    bool pg = db_kind(db) == DB_POSTGRES;
    buf_reset(out);
    buf_printf(&q, "%s %s", pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
    assert_int_equal(db_prepare(db, q.data, &st), 0);
    while (db_step(st, &row) == 0 && row) {
        size_t n = 0;
        const char *s = db_col_text(st, pg ? 0 : 3, &n);
        buf_add(out, s, n);
        buf_addch(out, '\n');
    }
    db_done(st);
    buf_release(&q);
}

/* A full read of results would be "Seq Scan on results" (PostgreSQL) or "SCAN r" /
 * "SCAN results" without an index (SQLite). */
static void
assert_indexed(struct db *db, const char *what, const struct buf *p)
{
    bool full = strstr(p->data, "Seq Scan on results") || strstr(p->data, "SCAN results\n") ||
                strstr(p->data, "SCAN r\n") || strstr(p->data, "SCAN r2\n") || strstr(p->data, "Seq Scan on samples") ||
                strstr(p->data, "SCAN s\n") || strstr(p->data, "SCAN samples\n");
    if (full || !strstr(p->data, "results_tube"))
        fail_msg("%s (%s) does not use the indexes:\n%s", what, db_describe(db), p->data);
}

static void
test_query_plans(void **state)
{
    struct apptest *at = *state;
    struct buf p = BUF_INIT;
    bool pg = db_kind(at->db) == DB_POSTGRES;

    /* PostgreSQL would rightly read a nearly empty table whole; forbid that to see
     * whether the indexes can serve the queries at all. */
    if (pg)
        assert_int_equal(db_exec(at->db, "SET enable_seqscan = off"), 0);
    /* R4: every result of a person's tubes */
    plan(at->db,
         "SELECT r.tube_code, r.result, r.tested_at FROM samples s JOIN results r ON r.tube_code = s.tube_code"
         " WHERE s.person_bidx = 42 AND s.deleted_at = 0",
         &p);
    assert_indexed(at->db, "results of a person", &p);
    assert_non_null(strstr(p.data, "samples_person"));
    /* every result of a list of tubes */
    plan(at->db, "SELECT id, result FROM results WHERE tube_code IN ('T1', 'T2', 'T3')", &p);
    assert_indexed(at->db, "results of tubes", &p);
    /* the latest result of one tube */
    plan(at->db,
         "SELECT id, result, tested_at FROM results WHERE tube_code = 'T1' ORDER BY tested_at DESC, id DESC LIMIT 1",
         &p);
    assert_indexed(at->db, "latest result of a tube", &p);
    /* the latest result of each of a person's tubes */
    plan(at->db,
         "SELECT r.tube_code, r.result, r.tested_at FROM results r WHERE r.tube_code IN (SELECT s.tube_code FROM"
         " samples s WHERE s.person_bidx = 42 AND s.deleted_at = 0) AND NOT EXISTS (SELECT 1 FROM results r2"
         " WHERE r2.tube_code = r.tube_code AND (r2.tested_at > r.tested_at OR (r2.tested_at = r.tested_at"
         " AND r2.id > r.id)))",
         &p);
    assert_indexed(at->db, "latest result per tube of a person", &p);
    /* the list by tube (result_list with tube_code) */
    plan(at->db,
         "SELECT r.id FROM results r WHERE (''= '' OR r.institution = '') AND r.tube_code = 'T1' ORDER BY r.id DESC"
         " LIMIT 50",
         &p);
    assert_indexed(at->db, "results list by tube", &p);
    if (pg)
        assert_int_equal(db_exec(at->db, "RESET enable_seqscan"), 0);
    buf_release(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_validation),  APPTEST(test_duplicates_and_events), APPTEST(test_before_samples),
        APPTEST(test_list_filters), APPTEST(test_query_plans),
    };
    return apptest_run("domain_result", tests, sizeof tests / sizeof tests[0]);
}
