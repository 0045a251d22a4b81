/* tests/unit/domain/testing/test_plan.c - plans and planned counts of domain/testing/plan.h (R1.4, R2.3):
 * validation and idempotency of both kinds, plan scope (which subdistricts a plan covers,
 * who may report for which), the stat_plan.planned counter (per industry and the '' total)
 * against a recount from raw rows, events, and the reads; on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/testing/plan.h"

#define NOW APPTEST_NOW
#define DAY 86400000LL
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define SUB3 "110102007"
#define COMM1 "110102001004"
#define COMM2 "110102003015"

static json_t *
planned_obj(const char *ext, const char *plan_no, const char *sub, const char *industry, int64_t count)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "sub-app", "external_id", ext, "plan_no",
                          plan_no, "subdistrict", sub, "count", (json_int_t)count, "reported_at",
                          (json_int_t)(NOW - 60000));
    if (industry)
        json_object_set_new(o, "industry", json_string(industry));
    return o;
}

/* stat_planned reads stat_plan.planned of (the only plan, sub, industry), 0 when absent. */
static int64_t
stat_planned(struct db *db, const char *sub, const char *industry)
{
    char key[64];
    snprintf(key, sizeof key, "%s|%s", sub, industry);
    return apptest_i64_text(
        db, "SELECT COALESCE(MAX(planned), 0) FROM stat_plan WHERE subdistrict || '|' || industry = ?1", key);
}

/* planned_mismatches counts stat_plan rows whose planned differs from a recount of the raw
 * rows, plus raw (plan, subdistrict, industry) keys that have no counter row. */
static int64_t
planned_mismatches(struct db *db)
{
    return apptest_i64(db,
                       "SELECT (SELECT count(*) FROM stat_plan sp WHERE sp.planned <> (SELECT COALESCE(SUM(x.count), 0)"
                       " FROM planned x WHERE x.plan_id = sp.plan_id AND x.subdistrict = sp.subdistrict AND"
                       " (sp.industry = '' OR x.industry = sp.industry))) + (SELECT count(*) FROM planned x WHERE NOT"
                       " EXISTS (SELECT 1 FROM stat_plan sp WHERE sp.plan_id = x.plan_id AND sp.subdistrict ="
                       " x.subdistrict AND sp.industry = x.industry)) + (SELECT count(*) FROM planned x WHERE NOT"
                       " EXISTS (SELECT 1 FROM stat_plan sp WHERE sp.plan_id = x.plan_id AND sp.subdistrict ="
                       " x.subdistrict AND sp.industry = ''))",
                       0);
}

static void
test_plan_create_and_read(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct ingest_outcome r;
    struct plan p, *items;
    struct plan_query q = { .limit = 10 };
    struct actor s1, s3;
    size_t n = 0;
    int64_t total = 0;

    time_set_fake_ms(NOW);
    r = apptest_put(at, &at->admin, &plan_kind,
                    apptest_plan_obj("P-001", "p1", "[\"" SUB1 "\",\"" SUB2 "\",\"" SUB1 "\"]"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    r = apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("P-002", "p2", NULL)); /* whole district */
    assert_int_equal(r.status, INGEST_ACCEPTED);
    json_t *later = apptest_plan_obj("P-003", "p3", "[\"" SUB3 "\"]");
    json_object_set_new(later, "starts_at", json_integer(NOW + 30 * DAY)); /* scheduled ahead */
    json_object_set_new(later, "ends_at", json_integer(NOW + 31 * DAY));
    json_object_set_new(later, "kind", json_string("school"));
    assert_int_equal(apptest_put(at, &at->admin, &plan_kind, later).status, INGEST_ACCEPTED);

    assert_int_equal(plan_get(at->db, &at->admin, "P-001", &arena, &p), 0);
    assert_string_equal(p.name, "第1轮全员核酸");
    assert_string_equal(p.kind, "mass");
    assert_string_equal(p.scope, SUB1 "," SUB2); /* deduplicated, in order */
    assert_int_equal(p.starts_at, NOW - 3600000);
    assert_int_equal(p.ends_at, NOW + DAY);
    assert_int_equal(plan_get(at->db, &at->admin, "P-404", &arena, &p), ERR_NOT_FOUND);

    /* scope: a subdistrict sees the plans covering it */
    apptest_scoped(at, SUB1, &s1);
    apptest_scoped(at, SUB3, &s3);
    assert_int_equal(plan_list(at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_string_equal(items[0].plan_no, "P-001");
    assert_string_equal(items[1].plan_no, "P-002");
    assert_int_equal(plan_list(at->db, &s3, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_string_equal(items[1].plan_no, "P-003");
    assert_int_equal(plan_get(at->db, &s3, "P-001", &arena, &p), ERR_NOT_FOUND);
    assert_int_equal(plan_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    /* filters: running at a time, substring */
    q.at = NOW;
    assert_int_equal(plan_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    q.at = 0;
    q.q = "003";
    assert_int_equal(plan_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    /* latest begun: P-002 (same start as P-001, higher id) */
    assert_int_equal(plan_latest(at->db, &at->admin, NOW, &arena, &p), 0);
    assert_string_equal(p.plan_no, "P-002");
    assert_int_equal(plan_latest(at->db, &s3, NOW - 2 * DAY, &arena, &p), 0);
    assert_string_equal(p.plan_no, "P-002"); /* none begun yet: the earliest to come */

    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "plans"), 3);
    assert_int_equal(apptest_count_audit(at->db, "plans.ingest", NULL, "ok"), 3);
    arena_release(&arena);
}

static void
test_plan_validation(void **state)
{
    struct apptest *at = *state;
    static const struct apptest_reject_case cases[] = {
        { "plan_no", NULL, "plan_no" },
        { "plan_no", "\"P 1\"", "plan_no" },
        { "name", "\"\"", "name" },
        { "kind", "\"weekly\"", "kind" },
        { "starts_at", NULL, "starts_at" },
        { "starts_at", "\"yesterday\"", "starts_at" },
        { "starts_at", "1000", "starts_at" },
        { "ends_at", "1767225600000", "ends_at" }, /* before starts_at */
        { "ends_at", "1900000000000", "ends_at" }, /* more than a year ahead */
        { "scope", "\"" SUB1 "\"", "scope" },
        { "scope", "[\"110102999\"]", "scope" },
        { "scope", "[\"" COMM1 "\"]", "scope" },
        { "scope", "[1]", "scope" },
        { "owner", "\"x\"", "" },
    };
    struct ingest_outcome r;
    struct actor s1;

    time_set_fake_ms(NOW);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &plan_kind, apptest_plan_obj("PV-1", "pv1", NULL), &cases[i]);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM plans", 0), 0);

    /* duplicates and taken numbers */
    assert_int_equal(apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("PV-1", "pv1", NULL)).status,
                     INGEST_ACCEPTED);
    assert_int_equal(apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("PV-1", "pv1", NULL)).status,
                     INGEST_DUPLICATE);
    r = apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("PV-1", "pv1-again", NULL));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "plan_no");

    /* a subdistrict actor may only plan for exactly its own subdistrict */
    apptest_scoped(at, SUB1, &s1);
    r = apptest_put(at, &s1, &plan_kind, apptest_plan_obj("PV-2", "pv2", NULL));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "scope");
    r = apptest_put(at, &s1, &plan_kind, apptest_plan_obj("PV-2", "pv2", "[\"" SUB1 "\",\"" SUB2 "\"]"));
    assert_int_equal(r.status, INGEST_REJECTED);
    r = apptest_put(at, &s1, &plan_kind, apptest_plan_obj("PV-2", "pv2", "[\"" SUB1 "\"]"));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM plans", 0), 2);
}

static void
test_planned_counters(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    json_t *batch, *o;

    time_set_fake_ms(NOW);
    assert_int_equal(apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("P-1", "p1", NULL)).status,
                     INGEST_ACCEPTED);
    o = planned_obj("a", "P-1", SUB1, NULL, 1000);
    json_object_set_new(o, "community", json_string(COMM1));
    batch = json_pack("[o, o, o, o, o, o]", o, planned_obj("b", "P-1", SUB1, "C", 300),
                      planned_obj("c", "P-1", SUB1, "P", 200), planned_obj("d", "P-1", SUB2, "C", 50),
                      planned_obj("b", "P-1", SUB1, "C", 300), /* retry within the batch */
                      planned_obj("e", "P-1", SUB2, NULL, 0));
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, &plan_planned_kind, batch, &out, &n, &accepted), 0);
    assert_int_equal(accepted, 5);
    assert_int_equal(out[4].status, INGEST_DUPLICATE);
    xfree(out);
    json_decref(batch);

    /* '' is the total of the subdistrict; industries are counted on their own as well */
    assert_int_equal(stat_planned(at->db, SUB1, ""), 1500);
    assert_int_equal(stat_planned(at->db, SUB1, "C"), 300);
    assert_int_equal(stat_planned(at->db, SUB1, "P"), 200);
    assert_int_equal(stat_planned(at->db, SUB2, ""), 50);
    assert_int_equal(stat_planned(at->db, SUB2, "C"), 50);
    assert_int_equal(planned_mismatches(at->db), 0);

    /* a retry in a later batch changes nothing */
    assert_int_equal(apptest_put(at, &at->admin, &plan_planned_kind, planned_obj("c", "P-1", SUB1, "P", 200)).status,
                     INGEST_DUPLICATE);
    assert_int_equal(stat_planned(at->db, SUB1, ""), 1500);

    /* one event per (plan, subdistrict) with the records and head-count added */
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "planned"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = 'planned' AND payload LIKE ?1",
                                      "%\"records\":3%\"count\":1500%"),
                     1);
    assert_int_equal(apptest_count_audit(at->db, "planned.ingest", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "planned.ingest", NULL, "none"), 1);
}

static void
test_planned_validation_and_scope(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    static const struct apptest_reject_case cases[] = {
        { "plan_no", NULL, "plan_no" },
        { "plan_no", "\"P-404\"", "plan_no" },
        { "subdistrict", "\"110102999\"", "subdistrict" },
        { "subdistrict", "\"" SUB3 "\"", "subdistrict" }, /* outside the plan's scope */
        { "community", "\"" COMM2 "\"", "community" },
        { "community", "\"x\"", "community" },
        { "industry", "\"ZZ\"", "industry" },
        { "industry", "\"\"", "industry" },
        { "count", "-1", "count" },
        { "count", "\"5\"", "count" },
        { "count", NULL, "count" },
        { "count", "100000001", "count" },
        { "reported_at", "1900000000000", "reported_at" },
        { "source", "\"\"", "source" },
        { "extra", "1", "" },
    };
    struct ingest_outcome r;
    struct actor s1;
    struct plan_planned *items;
    struct plan_planned_query q = { .limit = 10 };
    size_t n = 0;
    int64_t total = 0;

    time_set_fake_ms(NOW);
    assert_int_equal(
        apptest_put(at, &at->admin, &plan_kind, apptest_plan_obj("P-1", "p1", "[\"" SUB1 "\",\"" SUB2 "\"]")).status,
        INGEST_ACCEPTED);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &plan_planned_kind, planned_obj("v", "P-1", SUB1, NULL, 10), &cases[i]);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM planned", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM stat_plan", 0), 0);

    /* scope: a subdistrict actor reports and sees its own subdistrict only */
    apptest_scoped(at, SUB1, &s1);
    r = apptest_put(at, &s1, &plan_planned_kind, planned_obj("x2", "P-1", SUB2, NULL, 10));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "subdistrict");
    assert_int_equal(apptest_put(at, &s1, &plan_planned_kind, planned_obj("x1", "P-1", SUB1, NULL, 10)).status,
                     INGEST_ACCEPTED);
    json_t *o = planned_obj("x3", "P-1", SUB2, "C", 7);
    json_object_del(o, "reported_at"); /* defaults to now */
    assert_int_equal(apptest_put(at, &at->admin, &plan_planned_kind, o).status, INGEST_ACCEPTED);
    assert_int_equal(plan_planned_list(at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].subdistrict, SUB1);
    assert_string_equal(items[0].plan_no, "P-1");
    assert_string_equal(items[0].industry, "");
    q.subdistrict = SUB2;
    assert_int_equal(plan_planned_list(at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(plan_planned_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].industry, "C");
    assert_int_equal(items[0].count, 7);
    assert_int_equal(items[0].reported_at, NOW);
    q.subdistrict = NULL;
    q.plan_no = "P-2";
    assert_int_equal(plan_planned_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);

    /* totals follow the actor's scope */
    struct plan p;
    struct plan_totals t;
    assert_int_equal(plan_get(at->db, &at->admin, "P-1", &arena, &p), 0);
    assert_int_equal(plan_totals(at->db, &at->admin, p.id, &t), 0);
    assert_int_equal(t.planned, 17);
    assert_int_equal(plan_totals(at->db, &s1, p.id, &t), 0);
    assert_int_equal(t.planned, 10);
    assert_int_equal(planned_mismatches(at->db), 0);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_plan_create_and_read),
        APPTEST(test_plan_validation),
        APPTEST(test_planned_counters),
        APPTEST(test_planned_validation_and_scope),
    };
    return apptest_run("domain_plan", tests, sizeof tests / sizeof tests[0]);
}
