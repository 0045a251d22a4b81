/* tests/unit/domain/retention/test_retention.c - retention limits and the purge (issue 12; S1, S6),
 * on SQLite and PostgreSQL: rows older than each limit are gone, newer rows stay, a dry run
 * deletes nothing, a purge longer than one chunk finishes, finished batches go with their rows
 * while running ones stay, the counters are not touched, and every change and purge is audited
 * (limits old->new, purges with their counts). Fails on the tree before wp-retain: there was no
 * purge and no limit (nothing was ever deleted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/retention/retention.h"
#include "domain/testing/checkin.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"

#define D 86400000LL
#define NOW (APPTEST_NOW + 100 * D)

static void
make_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = idno_check_digit(first17);
    out[18] = '\0';
}

/* sample ingests one sample collected at `when` (the clock set to it) and returns its id. */
static int64_t
sample(struct apptest *at, const char *ext, const char *tube, int64_t when)
{
    char id[19];
    make_id("11010219800101001", id);
    time_set_fake_ms(when + 60000);
    return apptest_accept(at, &sample_kind,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext,
                                    "id_number", id, "name", "测试", "tube_code", tube, "site_code", "S1",
                                    "collected_at", (json_int_t)when));
}

static void
result(struct apptest *at, const char *ext, const char *tube, int64_t when)
{
    time_set_fake_ms(when + 60000);
    apptest_accept(at, &result_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", "lab", "external_id", ext, "tube_code", tube,
                             "institution", "检测所", "tested_at", (json_int_t)when, "result", "negative"));
}

static void
checkin(struct apptest *at, const char *ext, int64_t when)
{
    time_set_fake_ms(when + 60000);
    apptest_accept(at, &checkin_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:I}", "source", "phone", "external_id", ext, "site_code", "S1",
                             "kind", "status", "at", (json_int_t)when));
}

static int64_t
count(struct apptest *at, const char *sql)
{
    return apptest_i64(at->db, sql, 0);
}

static void
limits(struct apptest *at, int samples, int checkins, int tombstones, int batches)
{
    struct retention r = { samples, checkins, tombstones, batches };
    assert_int_equal(retention_save(at->db, &at->app.keys, &at->admin, &r, apptest_why()), 0);
}

static void
test_purge_older_rows(void **state)
{
    struct apptest *at = *state;
    struct purge_counts c;
    apptest_site(at, "S1", APPTEST_SUBDISTRICT);
    sample(at, "old", "T-OLD", NOW - 40 * D);
    result(at, "r-old", "T-OLD", NOW - 40 * D + 3600000);
    checkin(at, "c-old", NOW - 40 * D);
    int64_t tomb = sample(at, "tomb", "T-TOMB", NOW - 20 * D);
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, tomb), 0); /* deleted_at = NOW - 20 d */
    sample(at, "new", "T-NEW", NOW - 1 * D);
    result(at, "r-new", "T-NEW", NOW - 1 * D + 3600000);
    checkin(at, "c-new", NOW - 1 * D);
    time_set_fake_ms(NOW);
    int64_t scans = count(at, "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM stat_scans");
    assert_int_equal(scans, 2); /* the tombstoned sample was taken off the counters by sample_delete */

    /* no limits: nothing goes */
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, false, &c), 0);
    assert_int_equal(count(at, "SELECT count(*) FROM samples"), 3);

    limits(at, 30, 30, 7, 30);
    /* dry run: counted, nothing deleted, audited as a dry run */
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, true, &c), 0);
    assert_int_equal(c.samples, 1);
    assert_int_equal(c.tombstones, 1);
    assert_int_equal(c.results, 1);
    assert_int_equal(c.checkins, 1);
    assert_int_equal(count(at, "SELECT count(*) FROM samples"), 3);
    assert_int_equal(count(at, "SELECT count(*) FROM checkins"), 2);

    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, false, &c), 0);
    assert_int_equal(c.tombstones, 1);
    assert_int_equal(c.samples, 1);
    assert_int_equal(c.results, 1);
    assert_int_equal(c.checkins, 1);
    assert_int_equal(count(at, "SELECT count(*) FROM samples"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM samples WHERE external_id = ?1", "new"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM results WHERE tube_code = ?1", "T-NEW"), 1);
    assert_int_equal(count(at, "SELECT count(*) FROM results"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM checkins WHERE external_id = ?1", "c-new"), 1);
    assert_int_equal(count(at, "SELECT count(*) FROM checkins"), 1);
    /* the counters are history: not decremented (docs/modules/retention.md) */
    assert_int_equal(count(at, "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM stat_scans"), scans);
    /* audited with the counts: the no-limit run, the dry run and the real one */
    assert_int_equal(apptest_count_audit(at->db, "retention.purge", "retention", "ok"), 3);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE action = 'retention.purge' AND detail = ?1",
                                      "samples=1 sample_history=0 results=1 checkins=1 tombstones=1 batches=0"
                                      " batch_rows=0"),
                     1);
    /* a second run finds nothing more */
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, false, &c), 0);
    assert_int_equal(c.samples + c.results + c.checkins + c.tombstones, 0);
    apptest_audit_intact(at);
}

/* More rows than one chunk: the purge goes on until none is left. */
static void
test_purge_chunks(void **state)
{
    struct apptest *at = *state;
    struct purge_counts c;
    char sql[512];
    int64_t site = apptest_site(at, "S1", APPTEST_SUBDISTRICT);
    int64_t n = RETENTION_CHUNK * 2 + 7;
    snprintf(sql, sizeof sql,
             "INSERT INTO checkins (source, external_id, site_id, kind, at, created_at)"
             " WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %lld)"
             " SELECT 'bulk', 'c' || i, %lld, 'status', %lld + i, 1 FROM k",
             (long long)n, (long long)site, (long long)(NOW - 60 * D));
    assert_int_equal(apptest_exec(at->db, sql), 0);
    checkin(at, "c-new", NOW - D);
    time_set_fake_ms(NOW);
    limits(at, 0, 30, 0, 0);
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, false, &c), 0);
    assert_int_equal(c.checkins, n);
    assert_int_equal(count(at, "SELECT count(*) FROM checkins"), 1);
}

/* Finished batches older than the limit go with their stored rows; newer and unfinished stay. */
static void
test_purge_batches(void **state)
{
    struct apptest *at = *state;
    struct purge_counts c;
    char sql[1024];
    static const struct {
        int64_t id;
        const char *status;
        int64_t age_days;
    } b[] = { { 1, "done", 40 }, { 2, "failed", 40 }, { 3, "running", 40 }, { 4, "done", 2 } };
    for (size_t i = 0; i < 4; i++) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO batches (id, user_id, username, role, status, created_at) VALUES"
                 " (%lld, 1, 'u', 'district', '%s', %lld);"
                 "INSERT INTO batch_rows (batch_id, row_no, num, id_bidx, cells) VALUES (%lld, 0, 1, NULL, %s),"
                 " (%lld, 1, 2, 42, %s);"
                 "INSERT INTO batch_results (batch_id, row_no, status) VALUES (%lld, 1, 'ok')",
                 (long long)b[i].id, b[i].status, (long long)(NOW - b[i].age_days * D), (long long)b[i].id,
                 apptest_dialect(at->db, "x'00'", "'\\x00'::bytea"), (long long)b[i].id,
                 apptest_dialect(at->db, "x'00'", "'\\x00'::bytea"), (long long)b[i].id);
        assert_int_equal(apptest_exec(at->db, sql), 0);
    }
    time_set_fake_ms(NOW);
    limits(at, 0, 0, 0, 30);
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, true, &c), 0);
    assert_int_equal(c.batches, 2);
    assert_int_equal(c.batch_rows, 4);
    assert_int_equal(count(at, "SELECT count(*) FROM batches"), 4);
    assert_int_equal(retention_purge(&at->app, at->db, &at->admin, NOW, false, &c), 0);
    assert_int_equal(c.batches, 2);
    assert_int_equal(c.batch_rows, 4);
    assert_int_equal(count(at, "SELECT count(*) FROM batches WHERE id IN (1, 2)"), 0);
    assert_int_equal(count(at, "SELECT count(*) FROM batches WHERE id IN (3, 4)"), 2);
    assert_int_equal(count(at, "SELECT count(*) FROM batch_rows WHERE batch_id IN (1, 2)"), 0);
    assert_int_equal(count(at, "SELECT count(*) FROM batch_results WHERE batch_id IN (1, 2)"), 0);
    assert_int_equal(count(at, "SELECT count(*) FROM batch_rows"), 4);
}

/* The limits: defaults 0, changes audited old->new, bad values refused with the field named. */
static void
test_limits_audited(void **state)
{
    struct apptest *at = *state;
    struct retention r;
    assert_int_equal(retention_load(at->db, &r), 0);
    assert_int_equal(r.samples_days + r.checkins_days + r.tombstones_days + r.batches_days, 0);
    limits(at, 180, 30, 7, 90);
    assert_int_equal(retention_load(at->db, &r), 0);
    assert_int_equal(r.samples_days, 180);
    assert_int_equal(r.batches_days, 90);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE action = 'settings.retention.update'"
                                              " AND detail = ?1",
                                      "samples_days=0->180 checkins_days=0->30 tombstones_days=0->7 batches_days=0->90"),
                     1);
    r.samples_days = 3; /* under a week */
    assert_int_equal(retention_save(at->db, &at->app.keys, &at->admin, &r, apptest_why()), ERR_INVALID);
    assert_string_equal(apptest_why_text(), "'samples_days' must be 0 or from 7 to 36500");
    assert_int_equal(retention_load(at->db, &r), 0);
    assert_int_equal(r.samples_days, 180);
    assert_int_equal(apptest_count_audit(at->db, "settings.retention.update", NULL, NULL), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_purge_older_rows),
        APPTEST(test_purge_chunks),
        APPTEST(test_purge_batches),
        APPTEST(test_limits_audited),
    };
    return apptest_run("retention", tests, sizeof tests / sizeof tests[0]);
}
