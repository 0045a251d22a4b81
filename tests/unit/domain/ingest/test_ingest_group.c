/* tests/unit/domain/ingest/test_ingest_group.c - ingest through the group-commit writer with
 * counters, outbox events and audit entries folded once per group (issue 13,
 * domain/platform/write_group.h; R2.4, R2.7, S6), on SQLite and PostgreSQL:
 *   - one group mixing accepted, duplicate, rejected items, a request whose write fails
 *     (rolled back to its savepoint) and a personal-lookup audit entry: the counters equal a
 *     recount from the raw rows, the failed request left no row, count, event or entry,
 *     every other request has its own audit entry, the chain verifies;
 *   - a failure while the group's folded rows are written fails the whole group: nothing
 *     of it is stored and every caller is told.
 * Groups of a known size are formed with db_writer_hold / db_writer_waiting, never by timing.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "db/db_writer.h"
#include "domain/ingest/ingest.h"
#include "domain/platform/audit.h"
#include "domain/platform/write_group.h"
#include "domain/testing/plan.h"
#include "domain/testing/sample.h"

#define NOW APPTEST_NOW
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

/* One request of a group: ingest JSON text as samples (lookup NULL), or record a personal
 * lookup audit entry (lookup = its target). Runs on its own thread and connection. */
struct request {
    struct apptest *at;
    const char *json, *lookup;
    int rc;
    size_t n, accepted;
    struct ingest_outcome *out;
};

static void *
request_main(void *p)
{
    struct request *r = p;
    struct db *db = NULL;

    if (db_open(r->at->t->db_url, "/tmp", &db)) {
        r->rc = -1;
        return NULL;
    }
    if (r->lookup) {
        r->rc = audit_record_via(r->at->app.writer, db, &r->at->app.keys, &r->at->admin, "people.lookup", r->lookup,
                                 "ok", NULL);
    } else {
        json_error_t err;
        json_t *items = json_loads(r->json, 0, &err);
        r->rc = items ? ingest_submit(&r->at->app, db, &r->at->admin, &sample_kind, items, &r->out, &r->n,
                                      &r->accepted)
                      : -1;
        json_decref(items);
    }
    db_close(db);
    return NULL;
}

/* run_group runs the n requests as ONE group: the writer is held until all are queued. */
static void
run_group(struct db_writer *w, struct request *r, size_t n)
{
    pthread_t th[8];

    assert_true(n <= 8);
    db_writer_hold(w, true);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pthread_create(&th[i], NULL, request_main, &r[i]), 0);
    while (db_writer_waiting(w) < n)
        sched_yield();
    db_writer_hold(w, false);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* The writer serve starts: folding hooks on the app's keys. */
static struct db_writer *
start_writer(struct apptest *at)
{
    struct db_writer_hooks hooks;
    struct db_writer *w = NULL;
    write_group_hooks(&at->app.keys, &hooks);
    struct db_writer_opts opts = { 0, &hooks };
    assert_int_equal(db_writer_start(at->t->db_url, "/tmp", &opts, &w), 0);
    at->app.writer = w;
    return w;
}

static void
stop_writer(struct apptest *at)
{
    db_writer_stop(at->app.writer);
    at->app.writer = NULL;
}

/* sample JSON text: external id ext (also the tube code), at site, in plan P1 (plan true). */
static char *
sample(const char *ext, const char *site, bool plan, int64_t minutes_ago)
{
    char *s = xmalloc(512);
    snprintf(s, 512,
             "{\"source\":\"app\",\"external_id\":\"%s\",\"id_number\":\"11010519850612107X\",\"name\":\"王五\","
             "\"tube_code\":\"%s\",\"site_code\":\"%s\",%s\"collected_at\":%lld}",
             ext, ext, site, plan ? "\"plan_no\":\"P1\"," : "", (long long)(NOW - minutes_ago * 60000LL));
    return s;
}

static char *
array(const char *a, const char *b)
{
    char *s = xmalloc(strlen(a) + strlen(b) + 4);
    sprintf(s, "[%s,%s]", a, b);
    return s;
}

/* Counters against a recount from raw rows, both ways round (as e2e_crash does). */
static const char *const sql_counter_diffs[] = {
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, community, site_id, hour, n FROM stat_scans WHERE n <> 0"
    " EXCEPT SELECT COALESCE(plan_id, 0), subdistrict, COALESCE(community, ''), site_id,"
    " collected_at - collected_at % 3600000, count(*) FROM samples WHERE deleted_at = 0"
    " GROUP BY 1, 2, 3, 4, 5) d",
    "SELECT count(*) FROM (SELECT COALESCE(plan_id, 0), subdistrict, COALESCE(community, ''), site_id,"
    " collected_at - collected_at % 3600000, count(*) FROM samples WHERE deleted_at = 0 GROUP BY 1, 2, 3, 4, 5"
    " EXCEPT SELECT plan_id, subdistrict, community, site_id, hour, n FROM stat_scans WHERE n <> 0) d",
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, sampled FROM stat_plan WHERE industry = '' AND sampled <> 0"
    " EXCEPT SELECT plan_id, subdistrict, count(*) FROM samples WHERE deleted_at = 0 AND plan_id IS NOT NULL"
    " GROUP BY plan_id, subdistrict) d",
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, count(*) FROM samples WHERE deleted_at = 0"
    " AND plan_id IS NOT NULL GROUP BY plan_id, subdistrict"
    " EXCEPT SELECT plan_id, subdistrict, sampled FROM stat_plan WHERE industry = '' AND sampled <> 0) d",
};

static void
assert_counters_recount(struct db *db)
{
    for (size_t i = 0; i < sizeof sql_counter_diffs / sizeof *sql_counter_diffs; i++)
        assert_int_equal(apptest_i64(db, sql_counter_diffs[i], 0), 0);
}

/* A trigger that fails the insert of a sample whose tube code is BOOM (a storage error in
 * the middle of a request's write), or of a stat_scans row of site id site (a failure while
 * the group's folded counters are written). */
static void
make_trigger(struct db *db, const char *table, const char *when_sqlite, const char *when_pg)
{
    char sql[1024];
    if (strcmp(apptest_dialect(db, "sqlite", "pg"), "sqlite") == 0) {
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER jy_boom BEFORE INSERT ON %s WHEN %s BEGIN SELECT RAISE(ABORT, 'boom'); END",
                 table, when_sqlite);
        assert_int_equal(apptest_exec(db, sql), 0);
        return;
    }
    snprintf(sql, sizeof sql,
             "CREATE OR REPLACE FUNCTION jy_boom() RETURNS trigger LANGUAGE plpgsql AS"
             " $$ BEGIN IF %s THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
             when_pg);
    assert_int_equal(apptest_exec(db, sql), 0);
    snprintf(sql, sizeof sql, "CREATE TRIGGER jy_boom BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION jy_boom()",
             table);
    assert_int_equal(apptest_exec(db, sql), 0);
}

static void
setup_sites(struct apptest *at)
{
    time_set_fake_ms(NOW);
    apptest_site(at, "S-1", SUB1);
    apptest_site(at, "S-2", SUB2);
    apptest_accept(at, &plan_kind, apptest_plan_obj("P1", "p1", NULL));
}

static int64_t
audit_detail(struct db *db, const char *detail)
{
    return apptest_i64_text(db, "SELECT count(*) FROM audit_log WHERE action = 'samples.ingest' AND detail = ?1",
                            detail);
}

static void
test_mixed_group_counts(void **state)
{
    struct apptest *at = *state;
    struct db_writer_stats st;
    char *pre = sample("pre1", "S-1", true, 90), *a1 = sample("a1", "S-1", true, 10), *a2 = sample("a2", "S-1", true, 70),
         *b1 = sample("b1", "S-1", false, 10), *c1 = sample("c1", "S-2", true, 5), *bad = sample("c2", "NOPE", true, 5),
         *d1 = sample("d1", "S-1", true, 10), *boom = sample("BOOM", "S-2", true, 10);
    char *ja = array(a1, a2), *jb = array(b1, pre), *jc = array(c1, bad), *jd = array(d1, boom);

    setup_sites(at);
    make_trigger(at->db, "samples", "NEW.tube_code = 'BOOM'", "NEW.tube_code = 'BOOM'");
    struct db_writer *w = start_writer(at);
    /* one sample stored before, in a group of its own */
    struct request first = { at, pre, NULL, -1, 0, 0, NULL };
    run_group(w, &first, 1);
    assert_int_equal(first.rc, 0);
    assert_int_equal(first.accepted, 1);
    xfree(first.out);
    int64_t outbox0 = apptest_i64(at->db, "SELECT count(*) FROM outbox", 0);

    struct request r[5] = {
        { at, ja, NULL, -1, 0, 0, NULL }, /* two accepted, one hour apart */
        { at, jb, NULL, -1, 0, 0, NULL }, /* one accepted (no plan), one duplicate */
        { at, jc, NULL, -1, 0, 0, NULL }, /* one accepted in SUB2, one rejected (unknown site) */
        { at, jd, NULL, -1, 0, 0, NULL }, /* fails: the BOOM insert - d1 must vanish with it */
        { at, NULL, "blind:00ff", -1, 0, 0, NULL }, /* a personal lookup's audit entry */
    };
    run_group(w, r, 5);
    db_writer_stats(w, &st);
    stop_writer(at);

    assert_int_equal(st.groups, 2);
    assert_int_equal(st.largest_group, 5);
    assert_int_equal(st.failed_writes, 1);
    assert_int_equal(st.failed_groups, 0);
    assert_int_equal(r[0].rc, 0);
    assert_int_equal(r[0].accepted, 2);
    assert_int_equal(r[1].rc, 0);
    assert_int_equal(r[1].accepted, 1);
    assert_int_equal(r[1].out[1].status, INGEST_DUPLICATE);
    assert_int_equal(r[2].rc, 0);
    assert_int_equal(r[2].accepted, 1);
    assert_int_equal(r[2].out[1].status, INGEST_REJECTED);
    assert_string_equal(r[2].out[1].field, "site_code");
    assert_int_not_equal(r[3].rc, 0);
    assert_int_equal(r[4].rc, 0);

    /* rows: pre1 + a1 a2 + b1 + c1; d1 rolled back with its request */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM samples", 0), 5);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM samples WHERE external_id = 'd1'", 0), 0);
    /* counters folded over the group = recount; by hand too */
    assert_counters_recount(at->db);
    assert_int_equal(apptest_i64(at->db, "SELECT CAST(sum(n) AS BIGINT) FROM stat_scans", 0), 5);
    assert_int_equal(apptest_i64(at->db, "SELECT CAST(sum(sampled) AS BIGINT) FROM stat_plan WHERE subdistrict = '"
                                         SUB1 "'", 0), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT CAST(sum(sampled) AS BIGINT) FROM stat_plan WHERE subdistrict = '"
                                         SUB2 "'", 0), 1);
    /* one "samples.counts" event per (site, plan) of each stored request, none of D */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM outbox", 0) - outbox0, 3);
    /* an audit entry per request that succeeded, each its own, in one intact chain */
    assert_int_equal(audit_detail(at->db, "accepted=1 duplicate=0 rejected=0"), 1); /* pre */
    assert_int_equal(audit_detail(at->db, "accepted=2 duplicate=0 rejected=0"), 1);
    assert_int_equal(audit_detail(at->db, "accepted=1 duplicate=1 rejected=0"), 1);
    assert_int_equal(audit_detail(at->db, "accepted=1 duplicate=0 rejected=1"), 1);
    assert_int_equal(apptest_count_audit(at->db, "samples.ingest", NULL, NULL), 4);
    assert_int_equal(apptest_count_audit(at->db, "people.lookup", "blind:00ff", "ok"), 1);
    apptest_audit_intact(at);

    for (int i = 0; i < 5; i++)
        xfree(r[i].out);
    char *all[] = { pre, a1, a2, b1, c1, bad, d1, boom, ja, jb, jc, jd };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        xfree(all[i]);
}

/* The folded rows are written at the group's close: a failure there (here: the stat_scans
 * row of site S-2) fails every write of the group - nothing of it is stored, every caller
 * gets an error - and the next group goes on. */
static void
test_fold_failure_fails_group(void **state)
{
    struct apptest *at = *state;
    struct db_writer_stats st;
    char *a1 = sample("a1", "S-1", true, 10), *b1 = sample("b1", "S-2", true, 10), *c1 = sample("c1", "S-1", true, 20);

    setup_sites(at);
    int64_t s2 = apptest_i64(at->db, "SELECT id FROM sites WHERE code = 'S-2'", 0);
    char when[64];
    snprintf(when, sizeof when, "NEW.site_id = %lld", (long long)s2);
    make_trigger(at->db, "stat_scans", when, when);
    int64_t audit0 = apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0);
    int64_t outbox0 = apptest_i64(at->db, "SELECT count(*) FROM outbox", 0);
    struct db_writer *w = start_writer(at);

    struct request r[3] = {
        { at, a1, NULL, -1, 0, 0, NULL },
        { at, b1, NULL, -1, 0, 0, NULL },
        { at, NULL, "blind:0a0b", -1, 0, 0, NULL },
    };
    run_group(w, r, 3);
    for (int i = 0; i < 3; i++)
        assert_int_not_equal(r[i].rc, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM samples", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM stat_scans", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0), audit0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM outbox", 0), outbox0);

    /* the writer goes on: a group without S-2 commits */
    struct request next = { at, c1, NULL, -1, 0, 0, NULL };
    run_group(w, &next, 1);
    db_writer_stats(w, &st);
    stop_writer(at);
    assert_int_equal(next.rc, 0);
    assert_int_equal(next.accepted, 1);
    assert_int_equal(st.failed_groups, 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM samples", 0), 1);
    assert_counters_recount(at->db);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0), audit0 + 1);
    apptest_audit_intact(at);
    xfree(next.out);
    xfree(a1);
    xfree(b1);
    xfree(c1);
}

/* Eight personal lookups in one group: their entries go in with one multi-row INSERT
 * (db_insert_tiers' 8-row tier) and the chain, walked in id order, verifies. */
static void
test_lookups_fold_chain(void **state)
{
    struct apptest *at = *state;
    struct db_writer_stats st;
    struct request r[8];
    char targets[8][16];

    time_set_fake_ms(NOW);
    int64_t audit0 = apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0);
    struct db_writer *w = start_writer(at);
    for (int i = 0; i < 8; i++) {
        snprintf(targets[i], sizeof targets[i], "blind:%04x", i);
        r[i] = (struct request){ at, NULL, targets[i], -1, 0, 0, NULL };
    }
    run_group(w, r, 8);
    db_writer_stats(w, &st);
    stop_writer(at);
    assert_int_equal(st.largest_group, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_int_equal(apptest_count_audit(at->db, "people.lookup", targets[i], "ok"), 1);
    }
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0), audit0 + 8);
    apptest_audit_intact(at);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_mixed_group_counts),
        APPTEST(test_fold_failure_fails_group),
        APPTEST(test_lookups_fold_chain),
    };
    return apptest_run("ingest_group", tests, sizeof tests / sizeof tests[0]);
}
