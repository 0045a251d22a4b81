/* tests/unit/domain/batch/test_bulk_lookups.c - issue 12 "Bulk lookups" (S1, S6): the per-account
 * batch lookup quota (domain/batch/batch_quota.h), owner-only batch cells and sharing
 * (batch_job.h), and the per-person lookup audit with the auditor's query
 * (domain/batch/lookup_audit.h); on SQLite and PostgreSQL.
 *
 * Checked: the secadmin's quota is audited old -> new; a batch that would pass it is refused
 * whole (ERR_RATE, nothing stored, the refusal audited), a re-run too; the 80% mark is audited
 * once; the window is the last 24 hours (fake clock); the system actor (the console) is exempt;
 * another account of the same subdistrict cannot export (the uploaded names and phones) until
 * the uploader shares, cannot share itself, and still sees masked rows; every finished run
 * records the blind index of each valid ID (never the number) and the auditor's query
 * returns batch and personal lookups of one person, newest first, survives the batch's deletion,
 * and is audited itself.
 */
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
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/batch/batch_job.h"
#include "domain/batch/batch_quota.h"
#include "domain/batch/lookup_audit.h"
#include "domain/platform/policy.h"
#include "domain/testing/person.h"

#define SUB1 APPTEST_SUBDISTRICT

/* The k-th valid ID number of region 440106 (born 1980-01-01 + k days, k < 3000). */
static void
id_of(size_t k, char out[19])
{
    snprintf(out, 19, "440106198%u0101%03u", (unsigned)(k / 1000 % 10), (unsigned)(k % 1000));
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* A CSV of n data rows: 姓名, 身份证号, 电话. */
static void
make_csv(struct buf *b, size_t n)
{
    char id[19];
    buf_adds(b, "姓名,身份证号,电话\r\n");
    for (size_t k = 0; k < n; k++) {
        id_of(k, id);
        buf_printf(b, "张%zu,%s,1380000%04zu\r\n", k, id, k % 10000);
    }
}

static int
upload(struct apptest *at, const struct actor *a, size_t rows, struct batch_job *job, struct buf *why)
{
    struct buf csv = BUF_INIT;
    make_csv(&csv, rows);
    buf_reset(why);
    int rc = batch_job_create(&at->app, at->db, a, "名单.csv", csv.data, csv.len, 0, job, why);
    buf_release(&csv);
    return rc;
}

static void
run_one(struct apptest *at, int64_t id)
{
    assert_int_equal(batch_job_claim(at->db, id), 0);
    assert_int_equal(batch_job_run(&at->app, at->db, id, NULL), 0);
}

static void
set_quota(struct apptest *at, const struct actor *sec, int64_t rows)
{
    struct policy p;
    struct buf why = BUF_INIT;
    assert_int_equal(policy_load(at->db, &p), 0);
    p.batch_rows_per_day = rows;
    assert_int_equal(policy_save(at->db, &at->app.keys, sec, &p, &why), 0);
    buf_release(&why);
}

static void
test_quota(void **state)
{
    struct apptest *at = *state;
    struct actor sub, sec;
    struct batch_job job, j2;
    struct buf why = BUF_INIT;
    struct policy p;
    int64_t used = 0, limit = 0;

    time_set_fake_ms(APPTEST_NOW);
    apptest_actor(at, apptest_user(at, "sub_one", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &sub);
    apptest_actor(at, apptest_user(at, "sec", ROLE_SECADMIN, NULL, NULL, NULL), &sec);

    /* the default, then the secadmin's change, audited old -> new; out of range refused */
    assert_int_equal(policy_load(at->db, &p), 0);
    assert_int_equal(p.batch_rows_per_day, 2000000);
    set_quota(at, &sec, 1000);
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'settings.policy.update'"
                                              " AND detail = ?1", "batch_rows_per_day=2000000->1000"), 1);
    p.batch_rows_per_day = 999;
    assert_int_equal(policy_save(at->db, &at->app.keys, &sec, &p, &why), ERR_INVALID);
    assert_string_equal(why.data, "'batch_rows_per_day' is out of range");

    /* 600 fit; 600 more do not: refused whole, nothing stored, the refusal audited */
    assert_int_equal(upload(at, &sub, 600, &job, &why), 0);
    assert_int_equal(upload(at, &sub, 600, &j2, &why), ERR_RATE);
    assert_string_equal(why.data, "the batch has 600 rows but only 400 of today's 1000 lookups are left");
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batches WHERE ?1 = ?1", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_rows WHERE batch_id <> ?1", job.id), 0);
    assert_int_equal(apptest_count_audit(at->db, "batches.upload", NULL, "denied"), 1);
    assert_int_equal(apptest_count_audit(at->db, "batches.quota_warn", NULL, NULL), 0);

    /* 300 more take the account past 80%: audited once */
    assert_int_equal(upload(at, &sub, 300, &j2, &why), 0);
    assert_int_equal(apptest_count_audit(at->db, "batches.quota_warn", NULL, "ok"), 1);
    assert_int_equal(batch_quota_usage(at->db, &sub, time_now_ms(), &used, &limit), 0);
    assert_int_equal(used, 900);
    assert_int_equal(limit, 1000);

    /* a re-run counts too: 600 > 100 left */
    run_one(at, job.id);
    assert_int_equal(batch_job_rerun(&at->app, at->db, &sub, job.id, 0, &j2, &why), ERR_RATE);
    assert_int_equal(batch_job_get(at->db, &sub, job.id, &j2), 0);
    assert_string_equal(j2.status, "done");
    assert_int_equal(apptest_count_audit(at->db, "batches.rerun", NULL, "denied"), 1);

    /* exactly up to the limit is allowed; then the quota is used up before the file is read */
    assert_int_equal(upload(at, &sub, 100, &j2, &why), 0);
    assert_int_equal(upload(at, &sub, 1, &j2, &why), ERR_RATE);
    assert_string_equal(why.data, "today's batch lookup quota of 1000 rows is used up");
    assert_int_equal(apptest_count_audit(at->db, "batches.quota_warn", NULL, NULL), 1);

    /* the console is exempt */
    assert_int_equal(upload(at, &at->admin, 1500, &j2, &why), 0);

    /* the window is the last 24 hours */
    time_set_fake_ms(APPTEST_NOW + BATCH_QUOTA_WINDOW_MS + 1);
    assert_int_equal(upload(at, &sub, 1000, &j2, &why), 0);
    assert_int_equal(batch_quota_usage(at->db, &sub, time_now_ms(), &used, &limit), 0);
    assert_int_equal(used, 1000);
    apptest_audit_intact(at);
    buf_release(&why);
}

static void
test_share(void **state)
{
    struct apptest *at = *state;
    struct actor owner, peer, dist;
    struct batch_job job, got;
    struct batch_job_row_view rows[5];
    struct buf why = BUF_INIT;
    char path[64], target[40];
    int64_t total = 0;
    uint64_t next = 0;
    size_t n = 0;

    apptest_actor(at, apptest_user(at, "owner", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &owner);
    apptest_actor(at, apptest_user(at, "peer", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &peer);
    apptest_actor(at, apptest_user(at, "dist", ROLE_DISTRICT, NULL, NULL, NULL), &dist);
    assert_int_equal(upload(at, &owner, 5, &job, &why), 0);
    run_one(at, job.id);
    snprintf(target, sizeof target, "batch:%lld", (long long)job.id);
    snprintf(path, sizeof path, "/tmp/jy-share-%d.xlsx", (int)getpid());

    /* not shared: only the uploader exports; the others see the batch and masked rows */
    assert_int_equal(batch_job_get(at->db, &peer, job.id, &got), 0);
    assert_false(got.shared);
    assert_false(batch_job_may_export(&peer, &got));
    assert_true(batch_job_may_export(&owner, &got));
    assert_int_equal(batch_job_export(&at->app, at->db, &peer, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL), ERR_FORBIDDEN);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(batch_job_export(&at->app, at->db, &dist, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL), ERR_FORBIDDEN);
    assert_int_equal(apptest_count_audit(at->db, "batches.export", target, "denied"), 2);
    assert_int_equal(batch_job_rows(&at->app, at->db, &peer, job.id, NULL, 0, 5, rows, &n, &total, &next), 0);
    assert_int_equal(n, 5);
    assert_non_null(strstr(rows[0].masked_id, "****"));
    assert_int_equal(batch_job_export(&at->app, at->db, &owner, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL), 0);
    unlink(path);

    /* only the uploader shares; then the peer may export; unsharing takes it back */
    assert_int_equal(batch_job_share(&at->app, at->db, &peer, job.id, true, &got), ERR_FORBIDDEN);
    assert_int_equal(apptest_count_audit(at->db, "batches.share", target, "denied"), 1);
    assert_int_equal(batch_job_share(&at->app, at->db, &owner, job.id, true, &got), 0);
    assert_true(got.shared);
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'batches.share'"
                                              " AND result = 'ok' AND detail = ?1", "shared=0->1"), 1);
    assert_int_equal(batch_job_export(&at->app, at->db, &peer, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL), 0);
    unlink(path);
    assert_int_equal(batch_job_share(&at->app, at->db, &owner, job.id, false, &got), 0);
    assert_false(got.shared);
    assert_int_equal(batch_job_export(&at->app, at->db, &peer, job.id, BATCH_EXPORT_ALL, XLSXW_PATH(path), NULL), ERR_FORBIDDEN);

    /* another subdistrict: not found, as before */
    struct actor far;
    apptest_actor(at, apptest_user(at, "far", ROLE_SUBDISTRICT, APPTEST_SUBDISTRICT2, NULL, NULL), &far);
    assert_int_equal(batch_job_share(&at->app, at->db, &far, job.id, true, &got), ERR_NOT_FOUND);
    buf_release(&why);
}

static void
test_lookup_audit(void **state)
{
    struct apptest *at = *state;
    struct actor owner, other, aud;
    struct batch_job job, again;
    struct buf why = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct lookup_hit *hits = NULL;
    bool truncated = true;
    char id0[19], id1[19], spaced[32], target[40];
    size_t n = 0;

    time_set_fake_ms(APPTEST_NOW);
    apptest_actor(at, apptest_user(at, "owner", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &owner);
    apptest_actor(at, apptest_user(at, "other", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &other);
    apptest_actor(at, apptest_user(at, "aud", ROLE_AUDITOR, NULL, NULL, NULL), &aud);
    id_of(0, id0);
    id_of(1, id1);

    /* a batch of 4 rows: ids 0..3; one run recorded per distinct valid ID */
    assert_int_equal(upload(at, &owner, 4, &job, &why), 0);
    run_one(at, job.id);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM batch_lookups WHERE batch_id = ?1", job.id), 4);
    /* a later personal lookup of id0 by another account */
    time_set_fake_ms(APPTEST_NOW + 60000);
    assert_int_equal(person_lookup(&at->app, at->db, &other, id0, 14, false, NULL, &arena, &h, &why), 0);

    /* the auditor asks about id0 (written with spaces): the person lookup, then the batch */
    snprintf(spaced, sizeof spaced, "%.6s %.8s %.4s", id0, id0 + 6, id0 + 14);
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, spaced, &arena, &hits, &n, &truncated, &why), 0);
    assert_false(truncated);
    assert_int_equal(n, 2);
    assert_string_equal(hits[0].kind, "person");
    assert_string_equal(hits[0].actor, "other");
    assert_string_equal(hits[0].action, "people.lookup");
    assert_string_equal(hits[1].kind, "batch");
    assert_string_equal(hits[1].actor, "owner");
    assert_int_equal(hits[1].batch_id, job.id);
    assert_int_equal(hits[1].ts, APPTEST_NOW);

    /* id1: the batch only; the query audited by blind index, never the number */
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, id1, &arena, &hits, &n, &truncated, &why), 0);
    assert_int_equal(n, 1);
    assert_int_equal(apptest_count_audit(at->db, "audit.lookups", NULL, "ok"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE ?1 OR target LIKE ?1",
                                      "%440106%"), 0);
    snprintf(target, sizeof target, "%s", "blind:%");
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.lookups'"
                                              " AND target LIKE ?1", target), 2);

    /* a re-run is recorded again; deleting the batch keeps the evidence */
    time_set_fake_ms(APPTEST_NOW + 120000);
    assert_int_equal(batch_job_rerun(&at->app, at->db, &owner, job.id, 0, &again, &why), 0);
    run_one(at, job.id);
    assert_int_equal(batch_job_delete(&at->app, at->db, &owner, job.id), 0);
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, id1, &arena, &hits, &n, &truncated, &why), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hits[0].ts, APPTEST_NOW + 120000);
    assert_int_equal(hits[1].ts, APPTEST_NOW);

    /* a number that is not an ID: refused without echoing it */
    buf_reset(&why);
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, "13800001111", &arena, &hits, &n, &truncated, &why),
                     ERR_INVALID);
    assert_null(strstr(why.data, "13800001111"));
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_quota),
        APPTEST(test_share),
        APPTEST(test_lookup_audit),
    };
    return apptest_run("bulk_lookups", tests, sizeof tests / sizeof tests[0]);
}
