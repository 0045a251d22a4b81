/* tests/unit/domain/platform/test_index_rotation.c - the blind-index key rotation for ID
 * numbers (domain/platform/rotation_index.h; issue 12 "a blind-index key rotation that
 * re-indexes; progress, resumable after kill -9, audited", S1), on SQLite and PostgreSQL.
 *
 * Samples are written through the real ingest path before the rotation, while it runs (by a
 * node that has loaded the new generation and by a stale one that has not) and after it.
 * The job is stopped after one chunk (the analogue of kill -9: progress is committed per
 * chunk) and resumed; the clock is moved past the nodes' grace so it may switch. Personal
 * lookups give the same samples before, during (either slot) and after the switch, batch
 * lookups find both people during and after; the
 * auditor still finds the lookups made before the switch; the job is audited.
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
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/keyring.h"
#include "domain/batch/batch.h"
#include "domain/batch/lookup_audit.h"
#include "domain/platform/keystore.h"
#include "domain/platform/rotation_index.h"
#include "domain/testing/person.h"
#include "domain/testing/sample.h"

#define HOUR 3600000LL
#define NOW (APPTEST_T0 + 30 * 24 * HOUR + 10 * HOUR)
#define P_ID "11010219900307123X"
#define Q_ID "110102198501011235"

static void
site_insert(struct db *db, const char *code)
{
    static const char sql[] =
        "INSERT INTO sites (code, name, type, subdistrict, lon_e6, lat_e6, source, external_id, created_at,"
        " updated_at) VALUES (?1, 'Site', 'fixed', ?2, 116370000, 39910000, 'test', ?1, 1, 1)";
    struct db_stmt *st = NULL;
    bool row;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, code, strlen(code)), 0);
    assert_int_equal(db_bind_text(st, 2, APPTEST_SUBDISTRICT, strlen(APPTEST_SUBDISTRICT)), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* sample_add ingests one sample of id through the real ingest kind with the keys in kr. */
static void
sample_add(struct apptest *at, const struct keyring *kr, const char *ext, const char *id, int64_t at_ms)
{
    struct keyring saved = at->app.keys; /* a node with other keys: swap them in for the call */
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    char tube[32];
    snprintf(tube, sizeof tube, "T-%s", ext);
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext, "id_number",
                            id, "name", "x", "tube_code", tube, "site_code", "S-A", "collected_at", (json_int_t)at_ms);
    at->app.keys = *kr;
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, &sample_kind, obj, &out, &n, &accepted), 0);
    at->app.keys = saved;
    json_decref(obj);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    xfree(out);
}

/* found: how many samples of id a personal lookup with the keys in kr finds. */
static size_t
found(struct apptest *at, const struct keyring *kr, const char *id)
{
    struct keyring saved = at->app.keys;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    at->app.keys = *kr;
    assert_int_equal(person_lookup(&at->app, at->db, &at->admin, id, 14, false, NULL, &arena, &h, apptest_why()), 0);
    at->app.keys = saved;
    size_t n = h.ntests;
    arena_release(&arena);
    return n;
}

/* batch_found: how many of P and Q a batch lookup with the keys in kr finds (counts only). */
static uint64_t
batch_found(struct apptest *at, const struct keyring *kr)
{
    static const char csv[] = "name,id_number\r\nP," P_ID "\r\nQ," Q_ID "\r\n";
    struct keyring saved = at->app.keys;
    struct batch_source src;
    struct batch_table_state ts;
    struct batch_stats st;
    struct batch_opts o = { .now_ms = time_now_ms() };
    batch_source_mem(&src, &ts, csv, sizeof csv - 1);
    at->app.keys = *kr;
    assert_int_equal(batch_run(&at->app, at->db, &at->admin, &src, &o, NULL, NULL, &st, NULL), 0);
    at->app.keys = saved;
    assert_int_equal(st.counts.valid, 2);
    return st.counts.found;
}

static void
test_rotate_index_under_writes_resume_switch(void **state)
{
    struct apptest *at = *state;
    char dir[] = "/tmp/jiayuan-idx-XXXXXX", path[64];
    struct kek kek;
    struct keyring stale;
    struct rotation_state st;
    struct rotation_opts o = { .chunk_rows = 2, .max_chunks = 1 };
    char ext[16];

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/kek", dir);
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &kek), 0);
    keyring_wipe(&at->app.keys);
    assert_int_equal(keystore_load(at->db, &kek, &at->app.keys), 0);
    time_set_fake_ms(NOW);
    site_insert(at->db, "S-A");

    /* before: five samples of P, one of Q */
    for (int i = 0; i < 5; i++) {
        snprintf(ext, sizeof ext, "b%d", i);
        sample_add(at, &at->app.keys, ext, P_ID, NOW - (i + 1) * HOUR);
    }
    sample_add(at, &at->app.keys, "bq", Q_ID, NOW - HOUR);
    assert_int_equal(found(at, &at->app.keys, P_ID), 5);
    stale = at->app.keys; /* a node that will not have loaded the new generation */

    /* start, then stop after one chunk of two rows */
    assert_int_equal(index_rotation_begin(&at->app, at->db, path, &st), 0);
    assert_int_equal(st.to_key, 1);
    assert_non_null(keyring_index_find(&at->app.keys, 1));
    assert_int_equal(keyring_index_current(&at->app.keys)->gen, 0);
    assert_int_equal(index_rotation_run(&at->app, at->db, path, &o, &st), 0);
    assert_true(st.stopped);
    assert_int_equal(apptest_i64(at->db, "SELECT last_k1 FROM key_rotation_progress WHERE tbl = 'samples'"
                                         " AND rotation_id = ?1", st.id), 2);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples WHERE person_bidx_b IS NOT NULL", 0), 2);

    /* during: a node with the new generation fills both slots, a stale one only the old */
    sample_add(at, &at->app.keys, "d1", P_ID, NOW - 30 * 60000);
    sample_add(at, &stale, "d2", P_ID, NOW - 20 * 60000);
    assert_int_equal(found(at, &at->app.keys, P_ID), 7);
    assert_int_equal(found(at, &stale, P_ID), 7);
    assert_int_equal(batch_found(at, &at->app.keys), 2);

    /* resume after the nodes' grace: it fills the rest, makes a clean pass and switches */
    time_set_fake_ms(NOW + ROTATION_GRACE_MS + 1000);
    o.max_chunks = 0;
    assert_int_equal(index_rotation_run(&at->app, at->db, path, &o, &st), 0);
    assert_false(st.stopped);
    assert_true(st.finished_at > 0);
    assert_int_equal(keyring_index_current(&at->app.keys)->gen, 1);
    assert_int_equal(keyring_index_read_slot(&at->app.keys), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples WHERE person_bidx_b IS NULL", 0), 0);

    /* after: the same samples, through the new slot and through the old one (a node that has
     * not seen the switch yet); a new sample is found by both */
    assert_int_equal(found(at, &at->app.keys, P_ID), 7);
    sample_add(at, &at->app.keys, "a1", P_ID, NOW);
    struct keyring before_switch = at->app.keys;
    assert_int_equal(keyring_index_set_current(&before_switch, 0), 0);
    assert_int_equal(found(at, &at->app.keys, P_ID), 8);
    assert_int_equal(found(at, &before_switch, P_ID), 8);
    assert_int_equal(found(at, &at->app.keys, Q_ID), 1);
    assert_int_equal(batch_found(at, &at->app.keys), 2);
    assert_int_equal(batch_found(at, &before_switch), 2);
    /* the indexes differ: the new slot is under a key of its own */
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM samples WHERE person_bidx = person_bidx_b", 0), 0);

    /* the auditor finds the lookups made before the switch too (their targets: generation 0) */
    struct arena arena = ARENA_INIT;
    struct lookup_hit *hits = NULL;
    size_t n = 0;
    bool truncated = false;
    int64_t all = apptest_i64(at->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.lookup'", 0);
    assert_int_equal(all, 7); /* 3 before the switch (one by the stale node), 4 after */
    assert_int_equal(lookup_audit_find(&at->app, at->db, &at->admin, P_ID, &arena, &hits, &n, &truncated,
                                       apptest_why()), 0);
    assert_int_equal((int64_t)n, all - 1); /* every lookup but Q's */
    arena_release(&arena);

    /* audited; the next rotation waits out the nodes' poll */
    assert_int_equal(apptest_count_audit(at->db, "keys.index.start", NULL, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.index.finish", NULL, "ok"), 1);
    assert_true(apptest_count_audit(at->db, "keys.index.table", NULL, "ok") >= 3);
    assert_int_equal(index_rotation_begin(&at->app, at->db, path, &st), ERR_BUSY);
    assert_int_equal(index_rotation_run(&at->app, at->db, path, &o, &st), ERR_NOT_FOUND);

    keyring_wipe(&stale);
    keyring_wipe(&before_switch);
    kek_wipe(&kek);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_rotate_index_under_writes_resume_switch),
    };
    return apptest_run("domain_index_rotation", tests, sizeof tests / sizeof tests[0]);
}
