/* tests/unit/domain/stats/test_stats.c - the big-screen statistics of domain/stats/stats.h (R2.7,
 * R1.2-R1.6 data). Every entry of STATS_TABLE passes stats_check; on SQLite and PostgreSQL
 * every entry, for a district account and for subdistrict accounts and with each filter
 * it accepts, returns exactly what a recount from the raw rows gives, a subdistrict
 * account only ever sees its own subdistrict, and the answers stay the same when the raw
 * rows are gone (counters only). The data goes in through the real ingest kinds (sites,
 * plans, planned, actuals and corrections, samples and deletes, transports and arrivals,
 * results, some before their samples).
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
#include "core/str.h"
#include "core/time.h"
#include "domain/testing/actual.h"
#include "domain/testing/review.h"
#include "domain/testing/plan.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"
#include "domain/testing/site.h"
#include "domain/stats/stats.h"
#include "domain/testing/transport.h"

#define HOUR 3600000LL
#define NOW APPTEST_NOW /* 2026-01-01 18:00 Asia/Shanghai; today began at T0 - 8 h */
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define C1 "110102001004"
#define C2 "110102001007"
#define C3 "110102003015"

/* Helpers -------------------------------------------------------------------------------- */

static int64_t clock_ms = NOW;

/* tick moves the fake clock on by one second (created_at orders the batches). */
static void
tick(void)
{
    clock_ms += 1000;
    time_set_fake_ms(clock_ms);
}

/* ingest_all ingests text one second later, asserting every record is accepted; ids (may
 * be NULL) gets their ids. */
static void
ingest_all(struct apptest *at, const struct actor *a, const struct ingest_kind *kind, const char *text,
           int64_t *ids)
{
    struct ingest_outcome *out;
    size_t n = 0;
    tick();
    out = apptest_ingest_text(at, a, kind, text, &n);
    for (size_t i = 0; i < n; i++) {
        if (out[i].status != INGEST_ACCEPTED)
            fail_msg("%s item %zu: status %d field '%s' reason '%s'", kind->name, i, out[i].status,
                     out[i].field ? out[i].field : "", out[i].reason);
        if (ids)
            ids[i] = out[i].id;
    }
    xfree(out);
}

static void
idno(int seq, char out[19])
{
    char first17[18];
    unsigned u = (unsigned)seq;
    snprintf(first17, sizeof first17, "110102%04u%02u%02u%03u", 1980 + u % 10, u % 12 + 1, u % 28 + 1, u % 1000);
    snprintf(out, 19, "%s%c", first17, idno_check_digit(first17));
}

static int64_t
lookup_id(struct db *db, const char *sql, const char *key)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v = 0;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, key, strlen(key)), 0);
    assert_int_equal(db_step(st, &row), 0);
    if (row)
        v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

/* The data set ------------------------------------------------------------------------------ */

struct fixture {
    struct actor sub1, sub2; /* subdistrict accounts (real users) */
    int64_t deleted[2];
};

static void
load(struct apptest *at, struct fixture *fx)
{
    struct buf b = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct transport_change tc;
    struct transport t;
    int64_t ids[64], actual_ids[8];
    static const char *const sites[] = { "S1", "S2", "S3", "S4" };

    clock_ms = NOW;
    time_set_fake_ms(clock_ms);
    apptest_actor(at, apptest_user(at, "sub_one", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &fx->sub1);
    apptest_actor(at, apptest_user(at, "sub_two", ROLE_SUBDISTRICT, SUB2, NULL, NULL), &fx->sub2);

    ingest_all(at, &at->admin, &site_kind,
               "[{\"source\":\"city\",\"external_id\":\"s1\",\"code\":\"S1\",\"name\":\"Site One\",\"type\":\"fixed\","
               "\"subdistrict\":\"" SUB1 "\",\"community\":\"" C1 "\",\"lon\":116.37,\"lat\":39.91},"
               "{\"source\":\"city\",\"external_id\":\"s2\",\"code\":\"S2\",\"name\":\"Site Two\",\"type\":\"temporary\","
               "\"subdistrict\":\"" SUB1 "\",\"community\":\"" C2 "\",\"lon\":116.36,\"lat\":39.90},"
               "{\"source\":\"city\",\"external_id\":\"s3\",\"code\":\"S3\",\"name\":\"Site Three\",\"type\":\"mobile\","
               "\"subdistrict\":\"" SUB2 "\",\"lon\":116.35,\"lat\":39.94},"
               "{\"source\":\"city\",\"external_id\":\"s4\",\"code\":\"S4\",\"name\":\"Site Four\",\"type\":\"fixed\","
               "\"subdistrict\":\"" SUB2 "\",\"community\":\"" C3 "\",\"lon\":116.34,\"lat\":39.95,"
               "\"status\":\"closed\"}]",
               NULL);
    buf_printf(&b,
               "[{\"source\":\"gov\",\"external_id\":\"p1\",\"plan_no\":\"P1\",\"name\":\"Round 1\","
               "\"starts_at\":%lld,\"ends_at\":%lld},"
               "{\"source\":\"gov\",\"external_id\":\"p2\",\"plan_no\":\"P2\",\"name\":\"Round 2\","
               "\"starts_at\":%lld,\"ends_at\":%lld}]",
               (long long)(APPTEST_T0 - 48 * HOUR), (long long)(APPTEST_T0 - 24 * HOUR),
               (long long)(APPTEST_T0 - 12 * HOUR), (long long)(APPTEST_T0 + 24 * HOUR));
    ingest_all(at, &at->admin, &plan_kind, b.data, NULL);

    /* planned: totals and industry splits (industry rows also count into the total) */
    ingest_all(at, &at->admin, &plan_planned_kind,
               "[{\"source\":\"gov\",\"external_id\":\"q1\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB1 "\",\"count\":600},"
               "{\"source\":\"gov\",\"external_id\":\"q2\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB1 "\","
               "\"industry\":\"A\",\"count\":300},"
               "{\"source\":\"gov\",\"external_id\":\"q3\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB1 "\","
               "\"community\":\"" C1 "\",\"industry\":\"P\",\"count\":100},"
               "{\"source\":\"gov\",\"external_id\":\"q4\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB2 "\",\"count\":500},"
               "{\"source\":\"gov\",\"external_id\":\"q5\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB2 "\","
               "\"industry\":\"A\",\"count\":50},"
               "{\"source\":\"gov\",\"external_id\":\"q6\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\",\"count\":800},"
               "{\"source\":\"gov\",\"external_id\":\"q7\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB2 "\",\"count\":700}]",
               NULL);
    buf_reset(&b);
    buf_printf(&b,
               "[{\"source\":\"sub\",\"external_id\":\"a1\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB1 "\","
               "\"site_code\":\"S1\",\"count\":250,\"reported_at\":%lld},"
               "{\"source\":\"sub\",\"external_id\":\"a2\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB1 "\","
               "\"industry\":\"A\",\"count\":120,\"reported_at\":%lld},"
               "{\"source\":\"sub\",\"external_id\":\"a3\",\"plan_no\":\"P2\",\"subdistrict\":\"" SUB2 "\","
               "\"count\":200,\"reported_at\":%lld},"
               "{\"source\":\"sub\",\"external_id\":\"a4\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB1 "\","
               "\"count\":700,\"reported_at\":%lld},"
               "{\"source\":\"sub\",\"external_id\":\"a5\",\"plan_no\":\"P1\",\"subdistrict\":\"" SUB2 "\","
               "\"count\":650,\"reported_at\":%lld}]",
               (long long)(NOW - HOUR), (long long)(NOW - HOUR), (long long)(NOW - HOUR),
               (long long)(APPTEST_T0 - 30 * HOUR), (long long)(APPTEST_T0 - 30 * HOUR));
    ingest_all(at, &at->admin, &actual_kind, b.data, actual_ids);
    tick();
    /* subdistrict proposals, approved by the district (only approved ones count) */
    for (int i = 0; i < 2; i++) {
        struct arena ca = ARENA_INIT;
        struct actual_correction pc;
        assert_int_equal(actual_correct(&at->app, at->db, &fx->sub1, actual_ids[i], i ? 110 : 260,
                                        i ? "double count" : "late sheet", &ca, &pc, apptest_why()),
                         0);
        assert_int_equal(correction_decide(&at->app, at->db, &at->admin, pc.id, true, NULL, &ca, NULL, apptest_why()),
                         0);
        arena_release(&ca);
        tick();
    }

    /* a result before its samples, and one for a tube never sampled */
    ingest_all(at, &at->admin, &result_kind,
               "[{\"source\":\"lab\",\"external_id\":\"early1\",\"tube_code\":\"TB-1\",\"institution\":\"Lab A\","
               "\"tested_at\":1767258000000,\"result\":\"pending\"},"
               "{\"source\":\"lab\",\"external_id\":\"early2\",\"tube_code\":\"TB-X\",\"institution\":\"Lab A\","
               "\"tested_at\":1767258000000,\"result\":\"invalid\"}]",
               NULL);

    /* samples: 60 people, 10 per tube (TB-1 .. TB-6, each at one site), over plans and
     * hours (some yesterday) */
    buf_reset(&b);
    buf_addch(&b, '[');
    for (int i = 0; i < 60; i++) {
        char id[19];
        const char *site = sites[(i / 10) % 3];
        const char *plan = i % 4 == 0 ? NULL : (i % 7 == 0 ? "P1" : "P2");
        int64_t at_ms = NOW - (int64_t)(i % 9) * HOUR - (i % 5) * 60000 - (i >= 50 ? 26 * HOUR : 0);
        idno(i, id);
        buf_printf(&b,
                   "%s{\"source\":\"app\",\"external_id\":\"x%d\",\"id_number\":\"%s\",\"name\":\"Person %d\","
                   "\"tube_code\":\"TB-%d\",\"site_code\":\"%s\",%s%s%s\"collected_at\":%lld,\"mix_size\":10,"
                   "\"mix_index\":%d}",
                   i ? "," : "", i, id, i, i / 10 + 1, site, plan ? "\"plan_no\":\"" : "", plan ? plan : "",
                   plan ? "\"," : "", (long long)at_ms, i % 10 + 1);
    }
    buf_addch(&b, ']');
    ingest_all(at, &at->admin, &sample_kind, b.data, ids);
    tick();
    fx->deleted[0] = ids[3];
    fx->deleted[1] = ids[56];
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, ids[3]), 0);
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, ids[56]), 0);

    /* results after the samples: tubes TB-1 .. TB-6 */
    ingest_all(at, &at->admin, &result_kind,
               "[{\"source\":\"lab\",\"external_id\":\"r1\",\"tube_code\":\"TB-1\",\"institution\":\"Lab A\","
               "\"tested_at\":1767258000000,\"result\":\"positive\"},"
               "{\"source\":\"lab\",\"external_id\":\"r2\",\"tube_code\":\"TB-2\",\"institution\":\"Lab A\","
               "\"tested_at\":1767258000000,\"result\":\"negative\"},"
               "{\"source\":\"lab\",\"external_id\":\"r3\",\"tube_code\":\"TB-3\",\"institution\":\"Lab B\","
               "\"tested_at\":1767258000000,\"result\":\"negative\"},"
               "{\"source\":\"lab\",\"external_id\":\"r4\",\"tube_code\":\"TB-4\",\"institution\":\"Lab B\","
               "\"tested_at\":1767258000000,\"result\":\"positive\"},"
               "{\"source\":\"lab\",\"external_id\":\"r5\",\"tube_code\":\"TB-5\",\"institution\":\"Lab B\","
               "\"tested_at\":1767258000000,\"result\":\"invalid\"},"
               "{\"source\":\"lab\",\"external_id\":\"r6\",\"tube_code\":\"TB-6\",\"institution\":\"Lab A\","
               "\"tested_at\":1767258000000,\"result\":\"negative\"}]",
               NULL);

    /* transports: five leave, one arrives at once, then one arrives, one is lost */
    buf_reset(&b);
    buf_addch(&b, '[');
    for (int i = 0; i < 6; i++)
        buf_printf(&b,
                   "%s{\"source\":\"box\",\"external_id\":\"t%d\",\"box_code\":\"BX%d\",\"tube_codes\":[\"TB-%d\"],"
                   "\"from_site\":\"%s\",\"to_lab\":\"Lab A\",\"handed_at\":%lld%s}",
                   i ? "," : "", i, i, i + 1, sites[i % 3], (long long)(NOW - 2 * HOUR),
                   i == 5 ? ",\"received_at\":1767254400000" : "");
    buf_addch(&b, ']');
    ingest_all(at, &at->admin, &transport_kind, b.data, ids);
    memset(&tc, 0, sizeof tc);
    tc.status = "received";
    tick();
    assert_int_equal(
        transport_update(&at->app, at->db, &at->admin, ids[0], &tc, &arena, &t, apptest_why()), 0);
    tc.status = "lost";
    tick();
    assert_int_equal(
        transport_update(&at->app, at->db, &at->admin, ids[1], &tc, &arena, &t, apptest_why()), 0);
    tick();
    buf_release(&b);
    arena_release(&arena);
}

/* Recounts from raw rows ---------------------------------------------------------------- */

/* Each recount takes the same parameters, in the same order, as its statistic. */
#define LIVE_SAMPLES                                                                                         \
    "(SELECT collected_at - collected_at % 3600000 AS h, COALESCE(plan_id, 0) AS plan_id, subdistrict,"      \
    " COALESCE(community, '') AS community, site_id FROM samples WHERE deleted_at = 0)"
#define NAME_OF(col) "COALESCE((SELECT d.name FROM divisions d WHERE d.code = " col "), '')"
/* the effective value of an actual report: its last correction, else its count */
#define ACTUALS_EFF                                                                                          \
    "(SELECT a.plan_id, a.subdistrict, a.industry, a.count, COALESCE((SELECT c.corrected FROM"              \
    " actual_corrections c WHERE c.actual_id = a.id ORDER BY c.id DESC LIMIT 1), a.count) AS eff FROM actuals a)"
/* results with the subdistrict their tube had when they were stored ('' = not sampled yet) */
#define RESULTS_AT_INGEST                                                                                    \
    "(SELECT r.result, COALESCE((SELECT s.subdistrict FROM samples s WHERE s.tube_code = r.tube_code"        \
    " AND s.created_at <= r.created_at AND (s.deleted_at = 0 OR s.deleted_at > r.created_at)"                \
    " ORDER BY s.id LIMIT 1), '') AS subdistrict FROM results r)"
/* plan figures for plan ?1 (0 = any) per subdistrict u.subdistrict / industry u.industry */
#define PLAN_OF_X "(?1 = 0 OR x.plan_id = ?1) AND "
#define PLANNED_SUM(cond) \
    "(SELECT COALESCE(CAST(SUM(x.count) AS BIGINT), 0) FROM planned x WHERE " PLAN_OF_X cond ")"
#define REPORTED_SUM(cond) \
    "(SELECT COALESCE(CAST(SUM(x.count) AS BIGINT), 0) FROM " ACTUALS_EFF " x WHERE " PLAN_OF_X cond ")"
#define CORRECTED_SUM(cond) \
    "(SELECT COALESCE(CAST(SUM(x.eff) AS BIGINT), 0) FROM " ACTUALS_EFF " x WHERE " PLAN_OF_X cond ")"
#define SAMPLED_COUNT(cond) \
    "(SELECT COUNT(*) FROM samples x WHERE x.deleted_at = 0 AND x.plan_id IS NOT NULL AND " PLAN_OF_X cond ")"

static const struct {
    const char *name, *sql;
} recounts[] = {
    { "scans_by_hour",
      "SELECT x.h, COUNT(*) FROM " LIVE_SAMPLES " x WHERE (?1 = 0 OR x.plan_id = ?1) AND (?2 = '' OR x.subdistrict = ?2)"
      " AND x.h >= ?3 AND x.h < ?4 AND (?5 = 0 OR x.site_id = ?5) GROUP BY x.h ORDER BY x.h" },
    { "scans_by_day",
      "SELECT (x.h + 28800000) / 86400000 * 86400000 - 28800000 AS d, COUNT(*) FROM " LIVE_SAMPLES " x"
      " WHERE (?1 = 0 OR x.plan_id = ?1) AND (?2 = '' OR x.subdistrict = ?2) AND x.h >= ?3 AND x.h < ?4"
      " AND (?5 = 0 OR x.site_id = ?5) GROUP BY (x.h + 28800000) / 86400000 * 86400000 - 28800000 ORDER BY 1" },
    { "scans_by_plan",
      "SELECT pl.plan_no, pl.name, COUNT(*) FROM " LIVE_SAMPLES " x JOIN plans pl ON pl.id = x.plan_id"
      " WHERE (?1 = '' OR x.subdistrict = ?1) AND x.h >= ?2 AND x.h < ?3 AND (?4 = 0 OR x.site_id = ?4)"
      " GROUP BY pl.id, pl.plan_no, pl.name, pl.starts_at ORDER BY pl.starts_at, pl.plan_no" },
    { "scans_by_subdistrict",
      "SELECT x.subdistrict, " NAME_OF("x.subdistrict") ", COUNT(*) AS n FROM " LIVE_SAMPLES " x"
      " WHERE (?1 = 0 OR x.plan_id = ?1) AND (?2 = '' OR x.subdistrict = ?2) AND x.h >= ?3 AND x.h < ?4"
      " GROUP BY x.subdistrict ORDER BY n DESC, x.subdistrict" },
    { "scans_by_site",
      "SELECT si.code, si.name, si.subdistrict, COUNT(*) AS n FROM " LIVE_SAMPLES " x JOIN sites si ON si.id = x.site_id"
      " WHERE (?1 = 0 OR x.plan_id = ?1) AND (?2 = '' OR x.subdistrict = ?2) AND x.h >= ?3 AND x.h < ?4"
      " GROUP BY si.code, si.name, si.subdistrict ORDER BY n DESC, si.code LIMIT ?5" },
    { "scans_by_community",
      "SELECT x.subdistrict, x.community, " NAME_OF("x.community") ", COUNT(*) FROM " LIVE_SAMPLES " x"
      " WHERE (?1 = 0 OR x.plan_id = ?1) AND (?2 = '' OR x.subdistrict = ?2) AND x.h >= ?3 AND x.h < ?4"
      " GROUP BY x.subdistrict, x.community ORDER BY x.subdistrict, x.community" },
    { "plan_by_subdistrict",
      "SELECT t.subdistrict, " NAME_OF("t.subdistrict") ", t.planned, t.reported, t.corrected, t.sampled,"
      " CASE WHEN t.planned > 0 THEN t.sampled * 10000 / t.planned ELSE 0 END FROM (SELECT u.subdistrict,"
      " " PLANNED_SUM("x.subdistrict = u.subdistrict") " AS planned,"
      " " REPORTED_SUM("x.subdistrict = u.subdistrict") " AS reported,"
      " " CORRECTED_SUM("x.subdistrict = u.subdistrict") " AS corrected,"
      " " SAMPLED_COUNT("x.subdistrict = u.subdistrict") " AS sampled"
      " FROM (SELECT subdistrict FROM planned WHERE (?1 = 0 OR plan_id = ?1) UNION SELECT subdistrict FROM actuals"
      " WHERE (?1 = 0 OR plan_id = ?1) UNION SELECT subdistrict FROM samples WHERE deleted_at = 0 AND plan_id IS NOT"
      " NULL AND (?1 = 0 OR plan_id = ?1)) u WHERE (?2 = '' OR u.subdistrict = ?2)) t ORDER BY t.subdistrict" },
    { "plan_by_industry",
      "SELECT t.industry, COALESCE((SELECT i.name FROM industries i WHERE i.code = t.industry), ''), t.planned,"
      " t.reported, t.corrected FROM (SELECT u.industry,"
      " " PLANNED_SUM("x.industry = u.industry AND (?2 = '' OR x.subdistrict = ?2)") " AS planned,"
      " " REPORTED_SUM("x.industry = u.industry AND (?2 = '' OR x.subdistrict = ?2)") " AS reported,"
      " " CORRECTED_SUM("x.industry = u.industry AND (?2 = '' OR x.subdistrict = ?2)") " AS corrected"
      " FROM (SELECT industry FROM planned WHERE (?1 = 0 OR plan_id = ?1) AND (?2 = '' OR subdistrict = ?2)"
      " UNION SELECT industry FROM actuals WHERE (?1 = 0 OR plan_id = ?1) AND (?2 = '' OR subdistrict = ?2)) u"
      " WHERE u.industry <> '') t ORDER BY t.industry" },
    { "completion",
      "SELECT t.planned, t.reported, t.corrected, t.sampled,"
      " CASE WHEN t.planned > 0 THEN t.sampled * 10000 / t.planned ELSE 0 END,"
      " CASE WHEN t.planned > 0 THEN t.corrected * 10000 / t.planned ELSE 0 END FROM (SELECT"
      " " PLANNED_SUM("(?2 = '' OR x.subdistrict = ?2)") " AS planned,"
      " " REPORTED_SUM("(?2 = '' OR x.subdistrict = ?2)") " AS reported,"
      " " CORRECTED_SUM("(?2 = '' OR x.subdistrict = ?2)") " AS corrected,"
      " " SAMPLED_COUNT("(?2 = '' OR x.subdistrict = ?2)") " AS sampled) t" },
    { "transports_in_flight",
      "SELECT subdistrict, " NAME_OF("subdistrict") ", COUNT(*) FROM transports WHERE status = 'in_transit'"
      " AND (?1 = '' OR subdistrict = ?1) GROUP BY subdistrict ORDER BY subdistrict" },
    { "sites_open",
      "SELECT subdistrict, " NAME_OF("subdistrict") ", COUNT(*) FROM sites WHERE status = 'open' AND deleted_at = 0"
      " AND (?1 = '' OR subdistrict = ?1) GROUP BY subdistrict ORDER BY subdistrict" },
    { "results_by_value",
      "SELECT x.result, COUNT(*) FROM " RESULTS_AT_INGEST " x WHERE (?1 = '' OR x.subdistrict = ?1)"
      " GROUP BY x.result ORDER BY x.result" },
    { "results_by_subdistrict",
      "SELECT x.subdistrict, " NAME_OF("x.subdistrict") ","
      " SUM(CASE WHEN x.result = 'negative' THEN 1 ELSE 0 END), SUM(CASE WHEN x.result = 'positive' THEN 1 ELSE 0 END),"
      " SUM(CASE WHEN x.result = 'invalid' THEN 1 ELSE 0 END), SUM(CASE WHEN x.result = 'pending' THEN 1 ELSE 0 END)"
      " FROM " RESULTS_AT_INGEST " x WHERE (?1 = '' OR x.subdistrict = ?1) GROUP BY x.subdistrict ORDER BY x.subdistrict" },
    { "plan_trend", /* kiosk screen (issue 10): per plan, newest first */
      "SELECT pl.plan_no, pl.name, pl.starts_at, t.planned, t.sampled,"
      " CASE WHEN t.planned > 0 THEN t.sampled * 10000 / t.planned ELSE 0 END FROM (SELECT u.plan_id,"
      " (SELECT COALESCE(CAST(SUM(x.count) AS BIGINT), 0) FROM planned x WHERE x.plan_id = u.plan_id"
      " AND (?1 = '' OR x.subdistrict = ?1)) AS planned,"
      " (SELECT COUNT(*) FROM samples x WHERE x.deleted_at = 0 AND x.plan_id = u.plan_id"
      " AND (?1 = '' OR x.subdistrict = ?1)) AS sampled"
      " FROM (SELECT plan_id FROM planned WHERE (?1 = '' OR subdistrict = ?1) UNION SELECT plan_id FROM samples"
      " WHERE deleted_at = 0 AND plan_id IS NOT NULL AND (?1 = '' OR subdistrict = ?1)) u) t"
      " JOIN plans pl ON pl.id = t.plan_id WHERE t.planned <> 0 OR t.sampled <> 0"
      " ORDER BY pl.starts_at DESC, pl.id DESC LIMIT ?2" },
    { "overview",
      "SELECT (SELECT pl.plan_no FROM plans pl WHERE pl.id = ?1), t.scans_today, t.sampled, t.planned, t.reported,"
      " t.corrected, CASE WHEN t.planned > 0 THEN t.sampled * 10000 / t.planned ELSE 0 END, t.in_flight, t.open,"
      " t.positives FROM (SELECT"
      " (SELECT COUNT(*) FROM " LIVE_SAMPLES " x WHERE (?2 = '' OR x.subdistrict = ?2) AND x.h >= ?3 AND x.h < ?4)"
      " AS scans_today,"
      " (SELECT COUNT(*) FROM samples x WHERE x.deleted_at = 0 AND x.plan_id = ?1 AND (?2 = '' OR x.subdistrict = ?2))"
      " AS sampled,"
      " (SELECT COALESCE(CAST(SUM(x.count) AS BIGINT), 0) FROM planned x WHERE x.plan_id = ?1"
      " AND (?2 = '' OR x.subdistrict = ?2)) AS planned,"
      " (SELECT COALESCE(CAST(SUM(x.count) AS BIGINT), 0) FROM " ACTUALS_EFF " x WHERE x.plan_id = ?1"
      " AND (?2 = '' OR x.subdistrict = ?2)) AS reported,"
      " (SELECT COALESCE(CAST(SUM(x.eff) AS BIGINT), 0) FROM " ACTUALS_EFF " x WHERE x.plan_id = ?1"
      " AND (?2 = '' OR x.subdistrict = ?2)) AS corrected,"
      " (SELECT COUNT(*) FROM transports x WHERE x.status = 'in_transit' AND (?2 = '' OR x.subdistrict = ?2))"
      " AS in_flight,"
      " (SELECT COUNT(*) FROM sites x WHERE x.status = 'open' AND x.deleted_at = 0 AND (?2 = '' OR x.subdistrict = ?2))"
      " AS open,"
      " (SELECT COUNT(*) FROM " RESULTS_AT_INGEST " x WHERE x.result = 'positive' AND (?2 = '' OR x.subdistrict = ?2))"
      " AS positives) t" },
};

static const char *
recount_sql(const char *name)
{
    for (size_t i = 0; i < sizeof recounts / sizeof recounts[0]; i++)
        if (strcmp(recounts[i].name, name) == 0)
            return recounts[i].sql;
    fail_msg("no recount for statistic '%s': add one to this test", name);
    return NULL;
}

/* word_at returns the i-th space-separated word of s into out ("" past the end). */
static void
word_at(const char *s, size_t i, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    while (*s) {
        size_t n = strcspn(s, " ");
        if (n && k++ == i) {
            snprintf(out, cap, "%.*s", (int)n, s);
            return;
        }
        s += n + (s[n] ? 1 : 0);
    }
}

static bool
accepts(const struct stat_def *d, const char *word)
{
    char w[32];
    for (size_t i = 0; word_at(d->params, i, w, sizeof w), w[0]; i++)
        if (strcmp(w, word) == 0)
            return true;
    return false;
}

/* recount runs the recount of d bound with the filters stats_run reports as applied, and
 * returns rows keyed by d's dimensions. */
static json_t *
recount(struct apptest *at, const struct stat_def *d, json_t *applied)
{
    struct db_stmt *st = NULL;
    json_t *rows = json_array(), *v;
    int64_t today[2];
    bool row = false;
    char w[32], dim[48];
    size_t ndims = 0;

    stats_today(time_now_ms(), &today[0], &today[1]);
    assert_int_equal(db_prepare(at->db, recount_sql(d->name), &st), 0);
    for (size_t i = 0; word_at(d->params, i, w, sizeof w), w[0]; i++) {
        int idx = (int)i + 1;
        if (strcmp(w, "plan_no") == 0) {
            v = json_object_get(applied, "plan_no");
            assert_int_equal(db_bind_i64(st, idx, json_is_string(v) ? lookup_id(at->db, "SELECT id FROM plans"
                                                                                        " WHERE plan_no = ?1",
                                                                               json_string_value(v))
                                                                    : 0),
                             0);
        } else if (strcmp(w, "subdistrict") == 0) {
            v = json_object_get(applied, "subdistrict");
            const char *s = json_is_string(v) ? json_string_value(v) : "";
            assert_int_equal(db_bind_text(st, idx, s, strlen(s)), 0);
        } else if (strcmp(w, "from") == 0) {
            v = json_object_get(applied, "from");
            assert_int_equal(db_bind_i64(st, idx, json_is_integer(v) ? json_integer_value(v) : 0), 0);
        } else if (strcmp(w, "to") == 0) {
            v = json_object_get(applied, "to");
            assert_int_equal(db_bind_i64(st, idx, json_is_integer(v) ? json_integer_value(v) : INT64_MAX), 0);
        } else if (strcmp(w, "site_code") == 0) {
            v = json_object_get(applied, "site_code");
            assert_int_equal(db_bind_i64(st, idx, json_is_string(v) ? lookup_id(at->db, "SELECT id FROM sites WHERE"
                                                                                        " code = ?1",
                                                                               json_string_value(v))
                                                                    : 0),
                             0);
        } else if (strcmp(w, "limit") == 0) {
            assert_int_equal(db_bind_i64(st, idx, json_integer_value(json_object_get(applied, "limit"))), 0);
        } else if (strcmp(w, "today_from") == 0) {
            assert_int_equal(db_bind_i64(st, idx, today[0]), 0);
        } else if (strcmp(w, "today_to") == 0) {
            assert_int_equal(db_bind_i64(st, idx, today[1]), 0);
        } else {
            fail_msg("unknown parameter word '%s'", w);
        }
    }
    while (word_at(d->dims, ndims, dim, sizeof dim), dim[0])
        ndims++;
    while (db_step(st, &row) == 0 && row) {
        json_t *o = json_object();
        for (size_t k = 0; k < ndims; k++) {
            char *colon;
            word_at(d->dims, k, dim, sizeof dim);
            colon = strchr(dim, ':');
            assert_non_null(colon);
            *colon = '\0';
            if (db_col_is_null(st, (int)k)) {
                json_object_set_new(o, dim, json_null());
            } else if (strcmp(colon + 1, "text") == 0) {
                size_t n = 0;
                const char *s = db_col_text(st, (int)k, &n);
                json_object_set_new(o, dim, json_stringn(s ? s : "", n));
            } else {
                json_object_set_new(o, dim, json_integer(db_col_i64(st, (int)k)));
            }
        }
        json_array_append_new(rows, o);
    }
    db_done(st);
    return rows;
}

/* check runs d for a with f and compares with the recount; returns the rows (new ref). */
static json_t *
check(struct apptest *at, const struct actor *a, const struct stat_def *d, const struct stats_filter *f,
      const char *label)
{
    json_t *rows = NULL, *applied = NULL, *want;
    int rc = stats_run(at->db, a, d, f, &rows, &applied, apptest_why());
    if (rc)
        fail_msg("%s %s [%s]: %s (%s)", d->name, label, at->t->driver, err_name(rc), apptest_why_text());
    want = recount(at, d, applied);
    if (!json_equal(rows, want)) {
        char *got_s = json_dumps(rows, JSON_COMPACT), *want_s = json_dumps(want, JSON_COMPACT);
        char *app_s = json_dumps(applied, JSON_COMPACT);
        fail_msg("%s %s [%s] with %s:\n got  %s\n want %s", d->name, label, at->t->driver, app_s, got_s, want_s);
    }
    /* a subdistrict account sees its own subdistrict only */
    if (a->subdistrict[0]) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            const char *s = json_string_value(json_object_get(r, "subdistrict"));
            if (s && strcmp(s, a->subdistrict) != 0)
                fail_msg("%s %s: a row of subdistrict %s reached an account of %s", d->name, label, s, a->subdistrict);
        }
        assert_string_equal(json_string_value(json_object_get(applied, "subdistrict")), a->subdistrict);
    }
    json_decref(want);
    json_decref(applied);
    return rows;
}

/* Tests ----------------------------------------------------------------------------------- */

static void
test_table_is_valid(void **state)
{
    struct stat_def bad;
    (void)state;
    assert_true(stats_count >= 12);
    for (size_t i = 0; i < stats_count; i++) {
        if (stats_check(&stats_table[i], apptest_why()))
            fail_msg("entry %zu: %s", i, apptest_why_text());
        assert_ptr_equal(stats_find(stats_table[i].name), &stats_table[i]);
        recount_sql(stats_table[i].name); /* every entry has a recount here */
    }
    assert_null(stats_find("nope"));
    assert_non_null(stats_find("overview"));
    /* the checker can fail */
    bad = *stats_find("sites_open");
    bad.params = "plan_no"; /* no subdistrict */
    bad.sql = "SELECT subdistrict, subdistrict, value FROM stat_gauges WHERE ?1 = 0";
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "subdistrict"));
    bad = *stats_find("sites_open");
    bad.params = "subdistrict plan_no"; /* ?2 unused */
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "?2"));
    bad = *stats_find("sites_open");
    bad.sql = "SELECT subdistrict FROM stat_gauges WHERE ?1 = '' OR subdistrict = ?2";
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
    bad = *stats_find("sites_open");
    bad.sql = "SELECT subdistrict, '', COUNT(*) FROM samples WHERE ?1 = '' GROUP BY subdistrict";
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "samples"));
    bad = *stats_find("sites_open");
    bad.dims = "subdistrict:text open:float";
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
    bad = *stats_find("sites_open");
    bad.params = "subdistrict planet";
    assert_int_equal(stats_check(&bad, apptest_why()), ERR_INVALID);
}

static void
test_catalogue(void **state)
{
    json_t *cat = stats_catalogue(), *e;
    size_t i;
    bool seen_overview = false;
    (void)state;
    assert_int_equal(json_array_size(cat), stats_count);
    json_array_foreach(cat, i, e) {
        json_t *filters = json_object_get(e, "filters");
        size_t k;
        json_t *f;
        bool sub = false;
        assert_non_null(json_string_value(json_object_get(json_object_get(e, "description"), "zh")));
        assert_non_null(json_string_value(json_object_get(json_object_get(e, "description"), "en")));
        assert_true(json_array_size(json_object_get(e, "dimensions")) > 0);
        json_array_foreach(filters, k, f) {
            sub |= strcmp(json_string_value(f), "subdistrict") == 0;
            assert_true(strncmp(json_string_value(f), "today", 5) != 0);
        }
        assert_true(sub);
        if (strcmp(json_string_value(json_object_get(e, "name")), "overview") == 0) {
            seen_overview = true;
            assert_true(json_is_true(json_object_get(e, "one_row")));
            assert_int_equal(json_array_size(filters), 2);
        }
    }
    assert_true(seen_overview);
    json_decref(cat);
}

static void
test_today(void **state)
{
    int64_t a, b;
    (void)state;
    stats_today(NOW, &a, &b);
    assert_int_equal(a, APPTEST_T0 - 8 * HOUR);
    assert_int_equal(b, APPTEST_T0 + 16 * HOUR);
    stats_today(APPTEST_T0 - 8 * HOUR, &a, &b); /* midnight belongs to its day */
    assert_int_equal(a, APPTEST_T0 - 8 * HOUR);
    stats_today(APPTEST_T0 - 8 * HOUR - 1, &a, &b);
    assert_int_equal(a, APPTEST_T0 - 32 * HOUR);
    stats_today(-1, &a, &b); /* before 1970 */
    assert_int_equal(a, -8 * HOUR);
}

static void
test_every_statistic_recounts(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    const struct actor *actors[3];
    const char *const labels[3] = { "district", "sub1", "sub2" };
    size_t nonempty = 0;

    load(at, &fx);
    actors[0] = &at->admin;
    actors[1] = &fx.sub1;
    actors[2] = &fx.sub2;
    for (size_t i = 0; i < stats_count; i++) {
        const struct stat_def *d = &stats_table[i];
        for (size_t k = 0; k < 3; k++) {
            const struct actor *a = actors[k];
            struct stats_filter f;
            char label[64];
            json_t *rows, *r;
            size_t j;

            memset(&f, 0, sizeof f);
            snprintf(label, sizeof label, "%s/no filter", labels[k]);
            rows = check(at, a, d, &f, label);
            if (k == 0 && json_array_size(rows))
                nonempty++;
            if (k == 0 && strstr(d->dims, "subdistrict:text")) {
                /* the district's view holds both subdistricts, so scoping is observable */
                bool saw1 = false, saw2 = false;
                json_array_foreach(rows, j, r) {
                    const char *s = json_string_value(json_object_get(r, "subdistrict"));
                    saw1 |= s && strcmp(s, SUB1) == 0;
                    saw2 |= s && strcmp(s, SUB2) == 0;
                }
                if (!saw1 || !saw2)
                    fail_msg("%s: the test data should reach both subdistricts", d->name);
            }
            json_decref(rows);
            if (accepts(d, "plan_no")) {
                f.plan_no = "P1";
                snprintf(label, sizeof label, "%s/plan P1", labels[k]);
                json_decref(check(at, a, d, &f, label));
                f.plan_no = "P2";
                snprintf(label, sizeof label, "%s/plan P2", labels[k]);
                json_decref(check(at, a, d, &f, label));
                memset(&f, 0, sizeof f);
            }
            if (accepts(d, "from")) {
                f.has_from = f.has_to = true;
                f.from = APPTEST_T0 - 48 * HOUR;
                f.to = NOW + HOUR;
                snprintf(label, sizeof label, "%s/two days", labels[k]);
                json_decref(check(at, a, d, &f, label));
                f.has_to = false;
                f.from = APPTEST_T0 - 20 * HOUR;
                snprintf(label, sizeof label, "%s/from only", labels[k]);
                json_decref(check(at, a, d, &f, label));
                memset(&f, 0, sizeof f);
            }
            if (accepts(d, "site_code")) {
                f.site_code = "S1";
                snprintf(label, sizeof label, "%s/site S1", labels[k]);
                json_decref(check(at, a, d, &f, label));
                memset(&f, 0, sizeof f);
            }
            if (accepts(d, "limit")) {
                f.has_limit = true;
                f.limit = 1;
                snprintf(label, sizeof label, "%s/top 1", labels[k]);
                rows = check(at, a, d, &f, label);
                assert_true(json_array_size(rows) <= 1);
                json_decref(rows);
                memset(&f, 0, sizeof f);
            }
            /* the own subdistrict as a filter is fine; a district account may pick any */
            f.subdistrict = k == 2 ? SUB2 : SUB1;
            snprintf(label, sizeof label, "%s/subdistrict filter", labels[k]);
            json_decref(check(at, a, d, &f, label));
        }
    }
    assert_int_equal(nonempty, stats_count); /* the data set reaches every statistic */
}

static void
test_overview(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct stats_filter f = { 0 };
    json_t *rows = NULL, *applied = NULL, *o;

    load(at, &fx);
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("overview"), &f, &rows, &applied, apptest_why()), 0);
    assert_int_equal(json_array_size(rows), 1);
    o = json_array_get(rows, 0);
    /* figures worked out by hand from load() */
    assert_string_equal(json_string_value(json_object_get(o, "plan_no")), "P2");       /* the current plan */
    assert_int_equal(json_integer_value(json_object_get(o, "planned")), 1550);         /* 600+300+100+500+50 */
    assert_int_equal(json_integer_value(json_object_get(o, "reported")), 570);         /* 250+120+200 */
    assert_int_equal(json_integer_value(json_object_get(o, "corrected")), 570);        /* 260+110+200 */
    assert_int_equal(json_integer_value(json_object_get(o, "transports_in_flight")), 3); /* 6 - 1 - 1 - 1 */
    assert_int_equal(json_integer_value(json_object_get(o, "sites_open")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "positives")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "completion")),
                     json_integer_value(json_object_get(o, "sampled")) * 10000 / 1550);
    assert_true(json_integer_value(json_object_get(o, "scans_today")) > 0);
    json_decref(rows);
    json_decref(applied);
    /* for a past plan */
    f.plan_no = "P1";
    assert_int_equal(stats_run(at->db, &fx.sub2, stats_find("overview"), &f, &rows, &applied, apptest_why()), 0);
    o = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(o, "plan_no")), "P1");
    assert_int_equal(json_integer_value(json_object_get(o, "planned")), 700);
    assert_int_equal(json_integer_value(json_object_get(o, "reported")), 650);
    assert_int_equal(json_integer_value(json_object_get(o, "sites_open")), 1);
    json_decref(rows);
    json_decref(applied);
}

static void
test_refusals(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    struct stats_filter f = { 0 };
    json_t *rows = NULL, *applied = NULL;

    load(at, &fx);
    f.subdistrict = SUB2; /* another subdistrict */
    assert_int_equal(stats_run(at->db, &fx.sub1, stats_find("scans_by_site"), &f, &rows, &applied, apptest_why()),
                     ERR_FORBIDDEN);
    assert_null(rows);
    f.subdistrict = "110102999";
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("sites_open"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    memset(&f, 0, sizeof f);
    f.plan_no = "P1"; /* not a filter of sites_open */
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("sites_open"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "plan_no"));
    f.plan_no = "P9";
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("overview"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    memset(&f, 0, sizeof f);
    f.site_code = "S9";
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("scans_by_hour"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    memset(&f, 0, sizeof f);
    f.has_from = f.has_to = true;
    f.from = f.to = NOW;
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("scans_by_hour"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    memset(&f, 0, sizeof f);
    f.has_limit = true;
    f.limit = 0;
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("scans_by_site"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    f.limit = 5;
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("overview"), &f, &rows, NULL, apptest_why()),
                     ERR_INVALID);
    /* defaults: today unless a range or a plan is given */
    memset(&f, 0, sizeof f);
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("scans_by_hour"), &f, &rows, &applied, apptest_why()),
                     0);
    assert_int_equal(json_integer_value(json_object_get(applied, "from")), APPTEST_T0 - 8 * HOUR);
    assert_int_equal(json_integer_value(json_object_get(applied, "to")), APPTEST_T0 + 16 * HOUR);
    json_decref(rows);
    json_decref(applied);
    f.plan_no = "P2";
    assert_int_equal(stats_run(at->db, &at->admin, stats_find("scans_by_hour"), &f, &rows, &applied, apptest_why()),
                     0);
    assert_true(json_is_null(json_object_get(applied, "from")));
    json_decref(rows);
    json_decref(applied);
}

/* The statistics read counters only: with every raw record gone they answer the same. */
static void
test_counters_only(void **state)
{
    struct apptest *at = *state;
    struct fixture fx;
    json_t *before = json_array(), *after = json_array();
    static const char *const wipe_raw[] = { "DELETE FROM results",        "DELETE FROM transport_tubes",
                                            "DELETE FROM transports",     "DELETE FROM samples",
                                            "DELETE FROM actual_corrections", "DELETE FROM actuals",
                                            "DELETE FROM planned" };

    load(at, &fx);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < stats_count; i++) {
            const struct actor *as[2] = { &at->admin, &fx.sub1 };
            for (size_t k = 0; k < 2; k++) {
                struct stats_filter f = { 0 };
                json_t *rows = NULL;
                assert_int_equal(stats_run(at->db, as[k], &stats_table[i], &f, &rows, NULL, apptest_why()), 0);
                json_array_append_new(pass ? after : before, rows);
            }
        }
        if (!pass)
            for (size_t w = 0; w < sizeof wipe_raw / sizeof wipe_raw[0]; w++)
                assert_int_equal(db_exec(at->db, wipe_raw[w]), 0);
    }
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples", 0), 0);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_valid), cmocka_unit_test(test_catalogue), cmocka_unit_test(test_today),
        APPTEST(test_every_statistic_recounts), APPTEST(test_overview),          APPTEST(test_refusals),
        APPTEST(test_counters_only),
    };
    return apptest_run("domain_stats", tests, sizeof tests / sizeof tests[0]);
}
