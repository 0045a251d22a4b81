/* tests/unit/domain/testing/test_actual.c - actual reports and corrections of domain/testing/actual.h
 * (R1.5, R1.6, R2.2): validation and idempotency, scope, corrections that keep every
 * original (who may correct whom, original vs corrected), the stat_plan counters against a
 * recount from raw rows (approved corrections only), events without the reason, and the
 * map's per-subdistrict totals; the workflow's every transition is test_review.c;
 * on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/testing/actual.h"
#include "domain/testing/plan.h"
#include "domain/testing/review.h"
#include "domain/testing/site.h"

#define NOW APPTEST_NOW
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define SUB3 "110102007"
#define REASON "复核后更正 REASON-MARKER-551"

static json_t *
actual_obj(const char *ext, const char *sub, const char *site, const char *industry, int64_t count)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "sub-app", "external_id", ext, "plan_no", "P-1",
                          "subdistrict", sub, "count", (json_int_t)count, "reported_at", (json_int_t)(NOW - 60000));
    if (site)
        json_object_set_new(o, "site_code", json_string(site));
    if (industry)
        json_object_set_new(o, "industry", json_string(industry));
    return o;
}

static int64_t
add_actual(struct apptest *at, const char *ext, const char *sub, const char *site, const char *industry,
           int64_t count)
{
    return apptest_accept(at, &actual_kind, actual_obj(ext, sub, site, industry, count));
}

/* setup_reference makes plan P-1 over SUB1..SUB3 and the sites S1-A, S1-B (SUB1) and S2-A
 * (SUB2); SUB3 has none. */
static void
setup_reference(struct apptest *at)
{
    static const struct {
        const char *code, *sub;
        double lon, lat;
    } sites[] = { { "S1-A", SUB1, 116.30, 39.90 }, { "S1-B", SUB1, 116.40, 39.92 }, { "S2-A", SUB2, 116.36, 39.94 } };
    apptest_accept(at, &plan_kind, apptest_plan_obj("P-1", "p1", "[\"" SUB1 "\",\"" SUB2 "\",\"" SUB3 "\"]"));
    for (size_t i = 0; i < 3; i++) {
        json_t *o = apptest_site_obj(sites[i].code, sites[i].sub);
        json_object_set_new(o, "lon", json_real(sites[i].lon));
        json_object_set_new(o, "lat", json_real(sites[i].lat));
        apptest_accept(at, &site_kind, o);
    }
}

/* stat reads a stat_plan column of ("sub|industry"): col 0 reported, 1 corrected. */
static int64_t
stat(struct db *db, int col, const char *sub, const char *industry)
{
    char key[64];
    snprintf(key, sizeof key, "%s|%s", sub, industry);
    return apptest_i64_text(
        db,
        col ? "SELECT COALESCE(MAX(actual_corrected), 0) FROM stat_plan WHERE subdistrict || '|' || industry = ?1"
            : "SELECT COALESCE(MAX(actual_reported), 0) FROM stat_plan WHERE subdistrict || '|' || industry = ?1",
        key);
}

/* mismatches: counter rows that differ from a recount of raw rows (reported = sum of
 * counts; corrected = sum of effective values), and raw keys without a counter row. */
static int64_t
mismatches(struct db *db)
{
    return apptest_i64(
        db,
        "SELECT (SELECT count(*) FROM stat_plan sp WHERE sp.actual_reported <> (SELECT COALESCE(SUM(a.count), 0)"
        " FROM actuals a WHERE a.plan_id = sp.plan_id AND a.subdistrict = sp.subdistrict AND (sp.industry = '' OR"
        " a.industry = sp.industry)) OR sp.actual_corrected <> (SELECT COALESCE(SUM(COALESCE((SELECT c.corrected FROM"
        " actual_corrections c WHERE c.actual_id = a.id AND c.state = 'approved' ORDER BY c.id DESC LIMIT 1), a.count)),"
        " 0) FROM actuals a"
        " WHERE a.plan_id = sp.plan_id AND a.subdistrict = sp.subdistrict AND (sp.industry = '' OR a.industry ="
        " sp.industry))) + (SELECT count(*) FROM actuals a WHERE NOT EXISTS (SELECT 1 FROM stat_plan sp WHERE"
        " sp.plan_id = a.plan_id AND sp.subdistrict = a.subdistrict AND sp.industry = ''))",
        0);
}

static void
user(struct apptest *at, const char *name, enum role role, const char *sub, struct actor *a)
{
    apptest_actor(at, apptest_user(at, name, role, sub, NULL, NULL), a);
}

static void
test_reports(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actual *items, x;
    struct actual_query q = { .limit = 10 };
    struct actor s1, u1;
    size_t n = 0;
    int64_t total = 0, id;

    time_set_fake_ms(NOW);
    setup_reference(at);
    id = add_actual(at, "a1", SUB1, "S1-A", "C", 120);
    add_actual(at, "a2", SUB1, NULL, NULL, 30);
    add_actual(at, "a3", SUB2, "S2-A", NULL, 7);
    assert_int_equal(apptest_put(at, &at->admin, &actual_kind, actual_obj("a1", SUB1, "S1-A", "C", 120)).status,
                     INGEST_DUPLICATE);

    assert_int_equal(stat(at->db, 0, SUB1, ""), 150);
    assert_int_equal(stat(at->db, 1, SUB1, ""), 150);
    assert_int_equal(stat(at->db, 0, SUB1, "C"), 120);
    assert_int_equal(stat(at->db, 0, SUB2, ""), 7);
    assert_int_equal(mismatches(at->db), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "actuals"), 3);

    assert_int_equal(actual_get(at->db, &at->admin, id, &arena, &x), 0);
    assert_string_equal(x.plan_no, "P-1");
    assert_string_equal(x.site_code, "S1-A");
    assert_string_equal(x.industry, "C");
    assert_int_equal(x.count, 120);
    assert_int_equal(x.corrected, 120);
    assert_int_equal(x.corrections, 0);
    assert_int_equal(x.reported_at, NOW - 60000);

    /* scope: writes and reads of the own subdistrict only */
    apptest_scoped(at, SUB2, &s1);
    struct ingest_outcome r = apptest_put(at, &s1, &actual_kind, actual_obj("a9", SUB1, NULL, NULL, 1));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "subdistrict");
    user(at, "sub1", ROLE_SUBDISTRICT, SUB1, &u1);
    assert_int_equal(actual_list(at->db, &u1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].subdistrict, SUB1);
    assert_string_equal(items[1].subdistrict, SUB1);
    q.subdistrict = SUB2;
    assert_int_equal(actual_list(at->db, &u1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(actual_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(actual_get(at->db, &u1, items[0].id, &arena, &x), ERR_NOT_FOUND);
    q.subdistrict = NULL;
    q.plan_no = "P-2";
    assert_int_equal(actual_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    arena_release(&arena);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    static const struct apptest_reject_case cases[] = {
        { "plan_no", NULL, "plan_no" },
        { "plan_no", "\"P-9\"", "plan_no" },
        { "subdistrict", NULL, "subdistrict" },
        { "subdistrict", "\"110102008\"", "subdistrict" }, /* not in the plan's scope */
        { "subdistrict", "\"110102999\"", "subdistrict" },
        { "site_code", "\"S2-A\"", "site_code" }, /* a site of another subdistrict */
        { "site_code", "\"NOPE\"", "site_code" },
        { "site_code", "\"a b\"", "site_code" },
        { "industry", "\"ZZ\"", "industry" },
        { "count", "-5", "count" },
        { "count", "2.5", "count" },
        { "count", NULL, "count" },
        { "reported_at", NULL, "reported_at" },
        { "reported_at", "\"2026-13-01T00:00:00+08:00\"", "reported_at" },
        { "reported_at", "1900000000000", "reported_at" },
        { "external_id", NULL, "external_id" },
        { "corrected", "5", "" },
    };
    time_set_fake_ms(NOW);
    setup_reference(at);
    assert_int_equal(apptest_exec(at->db, "INSERT INTO divisions (code, level, parent, name) SELECT '110102008', 2,"
                                          " '110102', 'x' WHERE NOT EXISTS (SELECT 1 FROM divisions WHERE code ="
                                          " '110102008')"),
                     0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &actual_kind, actual_obj("v", SUB1, "S1-A", NULL, 10), &cases[i]);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actuals", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM stat_plan", 0), 0);
    /* RFC 3339 with an offset is fine */
    json_t *o = actual_obj("v", SUB1, "S1-A", NULL, 10);
    json_object_set_new(o, "reported_at", json_string("2026-01-01T17:30:00+08:00"));
    assert_int_equal(apptest_put(at, &at->admin, &actual_kind, o).status, INGEST_ACCEPTED);
}

static void
test_corrections(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actual_correction c, *items = NULL;
    struct actual x;
    struct actor u1, u2, dist;
    size_t n = 0;
    int64_t id, other;
    char target[32];

    time_set_fake_ms(NOW);
    setup_reference(at);
    id = add_actual(at, "a1", SUB1, "S1-A", "C", 120);
    other = add_actual(at, "a2", SUB2, NULL, NULL, 40);
    user(at, "sub1", ROLE_SUBDISTRICT, SUB1, &u1);
    user(at, "sub2", ROLE_SUBDISTRICT, SUB2, &u2);
    user(at, "district", ROLE_DISTRICT, NULL, &dist);

    /* a subdistrict proposes: recorded against the value in effect, no counter moves */
    time_set_fake_ms(NOW + 1000);
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, 100, REASON, &arena, &c, apptest_why()), 0);
    assert_int_equal(c.original, 120);
    assert_int_equal(c.corrected, 100);
    assert_string_equal(c.state, "proposed");
    assert_true(c.id > 0);
    assert_int_equal(stat(at->db, 0, SUB1, ""), 120);
    assert_int_equal(stat(at->db, 1, SUB1, ""), 120);
    assert_int_equal(actual_get(at->db, &u1, id, &arena, &x), 0);
    assert_int_equal(x.corrected, 120);
    assert_int_equal(x.pending, c.id);
    /* the district approves it: now it is the effective value */
    time_set_fake_ms(NOW + 1500);
    assert_int_equal(correction_decide(&at->app, at->db, &dist, c.id, true, NULL, &arena, &c, apptest_why()), 0);
    assert_string_equal(c.state, "approved");
    assert_int_equal(stat(at->db, 0, SUB1, ""), 120); /* as reported: unchanged */
    assert_int_equal(stat(at->db, 1, SUB1, ""), 100);
    assert_int_equal(stat(at->db, 1, SUB1, "C"), 100);
    /* the district corrects the correction directly */
    time_set_fake_ms(NOW + 2000);
    assert_int_equal(actual_correct(&at->app, at->db, &dist, id, 130, "区级复核", &arena, &c, apptest_why()), 0);
    assert_int_equal(c.original, 100);
    assert_string_equal(c.state, "approved");
    assert_string_equal(c.decided_by, "district");
    assert_int_equal(stat(at->db, 1, SUB1, ""), 130);
    assert_int_equal(stat(at->db, 1, SUB1, "C"), 130);
    assert_int_equal(mismatches(at->db), 0);

    /* the district sees original vs corrected, oldest first, with who, when and why */
    assert_int_equal(actual_corrections(at->db, &dist, id, &arena, &x, &items, &n), 0);
    assert_int_equal(x.count, 120);
    assert_int_equal(x.corrected, 130);
    assert_int_equal(x.corrections, 2);
    assert_int_equal(x.pending, 0);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].original, 120);
    assert_int_equal(items[0].corrected, 100);
    assert_string_equal(items[0].actor, "sub1");
    assert_string_equal(items[0].reason, REASON);
    assert_int_equal(items[0].corrected_at, NOW + 1000);
    assert_string_equal(items[0].state, "approved");
    assert_string_equal(items[0].decided_by, "district");
    assert_int_equal(items[0].decided_at, NOW + 1500);
    assert_int_equal(items[1].original, 100);
    assert_int_equal(items[1].corrected, 130);
    assert_string_equal(items[1].actor, "district");
    /* the reported row itself never changes */
    assert_int_equal(apptest_i64(at->db, "SELECT count FROM actuals WHERE id = ?1", id), 120);

    /* who may not: another subdistrict (not found), tokens and other roles (forbidden) */
    assert_int_equal(actual_correct(&at->app, at->db, &u2, id, 1, "x", &arena, NULL, apptest_why()), ERR_NOT_FOUND);
    assert_int_equal(actual_corrections(at->db, &u2, id, &arena, &x, &items, &n), ERR_NOT_FOUND);
    struct actor tok = u1;
    tok.kind = ACTOR_TOKEN;
    tok.role = ROLE_NONE;
    assert_int_equal(actual_correct(&at->app, at->db, &tok, id, 1, "x", &arena, NULL, apptest_why()), ERR_FORBIDDEN);
    struct actor viewer;
    user(at, "viewer", ROLE_VIEWER, NULL, &viewer);
    assert_int_equal(actual_correct(&at->app, at->db, &viewer, id, 1, "x", &arena, NULL, apptest_why()),
                     ERR_FORBIDDEN);
    /* bad values */
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, -1, "x", &arena, NULL, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "'corrected'"));
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, PLAN_COUNT_MAX + 1, "x", &arena, NULL, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, 5, "", &arena, NULL, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "'reason'"));
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, 5, NULL, &arena, NULL, apptest_why()), ERR_INVALID);
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id, 5, "a\nb", &arena, NULL, apptest_why()), ERR_INVALID);
    assert_int_equal(actual_correct(&at->app, at->db, &u1, id + 1000, 5, "x", &arena, NULL, apptest_why()),
                     ERR_NOT_FOUND);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actual_corrections", 0), 2);

    /* a correction to the same value is recorded (who and why) but moves no counter */
    assert_int_equal(actual_correct(&at->app, at->db, &dist, other, 40, "核对无误", &arena, &c, apptest_why()), 0);
    assert_int_equal(c.original, 40);
    assert_int_equal(stat(at->db, 1, SUB2, ""), 40);
    assert_int_equal(mismatches(at->db), 0);

    /* audited and pushed, the reason on neither */
    snprintf(target, sizeof target, "actual:%lld", (long long)id);
    assert_int_equal(apptest_count_audit(at->db, "actuals.propose", target, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "actuals.correct", target, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "corrections.approve", NULL, "ok"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = 'actuals' AND payload LIKE ?1",
                                      "%\"approved\"%\"original\":120,\"corrected\":100,\"delta\":-20%"),
                     1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%REASON-MARKER%"),
                     0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1", "%REASON-MARKER%"),
                     0);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_recount(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    static const char *const subs[] = { SUB1, SUB2, SUB3 };
    static const char *const inds[] = { "C", "P", "Q" };
    int64_t ids[24];
    char ext[16];

    time_set_fake_ms(NOW);
    setup_reference(at);
    for (int i = 0; i < 24; i++) {
        snprintf(ext, sizeof ext, "r%d", i);
        ids[i] = add_actual(at, ext, subs[i % 3], NULL, i % 4 ? inds[i % 3] : NULL, 10 * i + 3);
    }
    for (int i = 0; i < 24; i += 3)
        assert_int_equal(
            actual_correct(&at->app, at->db, &at->admin, ids[i], (i * 7) % 50, "复核", &arena, NULL, apptest_why()), 0);
    for (int i = 0; i < 24; i += 6)
        assert_int_equal(actual_correct(&at->app, at->db, &at->admin, ids[i], i, "再复核", &arena, NULL, apptest_why()),
                         0);
    assert_int_equal(mismatches(at->db), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM actual_corrections", 0), 12);
    arena_release(&arena);
}

static void
test_areas(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actual_area *items = NULL;
    struct plan p;
    struct actor s2;
    size_t n = 0;

    time_set_fake_ms(NOW);
    setup_reference(at);
    add_actual(at, "a1", SUB1, NULL, NULL, 100);
    add_actual(at, "a2", SUB2, NULL, "C", 20);
    add_actual(at, "a3", SUB3, NULL, NULL, 5); /* SUB3 has no sites */
    assert_int_equal(plan_get(at->db, &at->admin, "P-1", &arena, &p), 0);
    assert_int_equal(actual_areas(at->db, &at->admin, p.id, &arena, &items, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].subdistrict, SUB1);
    assert_string_equal(items[0].name, "西长安街街道");
    assert_int_equal(items[0].reported, 100);
    assert_int_equal(items[0].corrected, 100);
    assert_int_equal(items[0].sites, 2);
    assert_int_equal(items[0].lon_e6, 116350000); /* centroid of 116.30 and 116.40 */
    assert_int_equal(items[0].lat_e6, 39910000);
    assert_string_equal(items[1].subdistrict, SUB2);
    assert_int_equal(items[1].reported, 20); /* the '' total, not per industry */
    assert_int_equal(items[1].sites, 1);
    assert_int_equal(items[1].lon_e6, 116360000);
    assert_string_equal(items[2].subdistrict, SUB3);
    assert_int_equal(items[2].sites, 0);
    apptest_scoped(at, SUB2, &s2);
    assert_int_equal(actual_areas(at->db, &s2, p.id, &arena, &items, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].subdistrict, SUB2);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_reports), APPTEST(test_validation), APPTEST(test_corrections),
        APPTEST(test_recount), APPTEST(test_areas),
    };
    return apptest_run("domain_actual", tests, sizeof tests / sizeof tests[0]);
}
