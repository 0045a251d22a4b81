/* tests/unit/domain/platform/test_audit.c - the hash-chained, append-only audit log of
 * domain/platform/audit.h (S6 安全审计), on SQLite and PostgreSQL.
 *
 * Covers append and verify, a long chain across transactions and key rotation, the
 * filters, paging and totals of audit_list, and tamper detection: the append-only
 * triggers refuse UPDATE/DELETE, and with them dropped an edited row, a deleted middle
 * row, a cut tail, a forged appended row and an unknown key id are each reported.
 */
#include <pthread.h>
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
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/platform/audit.h"

/* ---- helpers ------------------------------------------------------------------------ */

static void
mk_actor(struct actor *a, enum actor_kind kind, const char *name, enum role role)
{
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->role = role;
    str_copy(a->name, sizeof a->name, name);
    str_copy(a->ip, sizeof a->ip, "10.0.0.7");
    str_copy(a->request_id, sizeof a->request_id, "rid-1");
}

static void
verify(struct apptest *at, int64_t *checked, int64_t *broken)
{
    assert_int_equal(audit_verify(at->db, &at->app.keys, checked, broken), 0);
}

/* append_n records n entries "test.N" by the admin actor. */
static void
append_n(struct apptest *at, int n)
{
    char target[32];
    for (int i = 0; i < n; i++) {
        snprintf(target, sizeof target, "thing:%d", i);
        assert_int_equal(audit_record(at->db, &at->app.keys, &at->admin, "test.append", target,
                                      "ok", i % 2 ? "odd" : NULL),
                         0);
    }
}

static int64_t
audit_rows(struct apptest *at)
{
    return apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0);
}

static void
drop_triggers(struct apptest *at)
{
    assert_int_equal(apptest_exec(at->db, apptest_dialect(at->db,
                                                          "DROP TRIGGER audit_log_no_update;"
                                                          " DROP TRIGGER audit_log_no_delete",
                                                          "DROP TRIGGER audit_log_no_change ON audit_log")),
                     0);
}

/* ---- append and verify -------------------------------------------------------------- */

static void
test_empty_log_is_intact(void **state)
{
    struct apptest *at = *state;
    int64_t checked = -1, broken = -1;
    verify(at, &checked, &broken);
    assert_int_equal(checked, 0);
    assert_int_equal(broken, 0);
}

static void
test_append_and_verify(void **state)
{
    struct apptest *at = *state;
    struct actor alice;
    struct arena arena = ARENA_INIT;
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0, checked = 0, broken = -1;
    struct audit_query q = { .limit = 10 };

    mk_actor(&alice, ACTOR_USER, "alice", ROLE_SYSADMIN);
    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(audit_record(at->db, &at->app.keys, &alice, "user.create", "user:7", "ok",
                                  "role=viewer"),
                     0);
    time_set_fake_ms(APPTEST_T0 + 5);
    assert_int_equal(audit_record(at->db, &at->app.keys, &at->admin, "keys.rotate", NULL,
                                  "failed", NULL),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(checked, 2);
    assert_int_equal(broken, 0);

    assert_int_equal(audit_list(at->db, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    /* newest first, every field as recorded */
    assert_true(items[0].id > items[1].id);
    assert_int_equal(items[0].ts, APPTEST_T0 + 5);
    assert_string_equal(items[0].actor, "tester");
    assert_string_equal(items[0].role, "system");
    assert_string_equal(items[0].ip, "local");
    assert_string_equal(items[0].action, "keys.rotate");
    assert_string_equal(items[0].target, "");
    assert_string_equal(items[0].result, "failed");
    assert_string_equal(items[0].request_id, "cli");
    assert_string_equal(items[0].detail, "");
    assert_int_equal(items[1].ts, APPTEST_T0);
    assert_string_equal(items[1].actor, "alice");
    assert_string_equal(items[1].role, "sysadmin");
    assert_string_equal(items[1].ip, "10.0.0.7");
    assert_string_equal(items[1].action, "user.create");
    assert_string_equal(items[1].target, "user:7");
    assert_string_equal(items[1].result, "ok");
    assert_string_equal(items[1].request_id, "rid-1");
    assert_string_equal(items[1].detail, "role=viewer");
    arena_release(&arena);
}

static void
test_actor_kinds_recorded(void **state)
{
    struct apptest *at = *state;
    struct actor tok, none;
    struct arena arena = ARENA_INIT;
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    struct audit_query q = { .limit = 10 };

    mk_actor(&tok, ACTOR_TOKEN, "token:3", ROLE_NONE);
    mk_actor(&none, ACTOR_NONE, "", ROLE_NONE);
    assert_int_equal(audit_record(at->db, &at->app.keys, &tok, "ingest", NULL, "ok", NULL), 0);
    assert_int_equal(audit_record(at->db, &at->app.keys, &none, "auth.login", NULL, "failed", NULL), 0);
    assert_int_equal(audit_list(at->db, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].actor, "anonymous");
    assert_string_equal(items[0].role, "none");
    assert_string_equal(items[1].actor, "token:3");
    assert_string_equal(items[1].role, "token");
    apptest_audit_intact(at);
    arena_release(&arena);
}

/* Entries appended inside a caller's transaction that rolls back leave no trace, and the
 * head rolls back with them, so the chain stays intact. */
static void
test_rolled_back_append(void **state)
{
    struct apptest *at = *state;
    append_n(at, 3);
    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(audit_append(at->db, &at->app.keys, &at->admin, "x.y", NULL, "ok", NULL), 0);
    assert_int_equal(audit_append(at->db, &at->app.keys, &at->admin, "x.y", NULL, "ok", NULL), 0);
    db_rollback(at->db);
    assert_int_equal(audit_rows(at), 3);
    append_n(at, 2);
    assert_int_equal(apptest_audit_intact(at), 5);
}

static void
test_long_chain(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = -1;

    append_n(at, 150);
    /* several entries in one transaction chain like separate ones */
    assert_int_equal(db_begin(at->db), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(audit_append(at->db, &at->app.keys, &at->admin, "batch", "t", "ok",
                                      "one of many"),
                         0);
    assert_int_equal(db_commit(at->db), 0);
    verify(at, &checked, &broken);
    assert_int_equal(checked, 200);
    assert_int_equal(broken, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT last_id FROM audit_head WHERE id = 1", 0),
                     apptest_i64(at->db, "SELECT max(id) FROM audit_log", 0));
}

/* After a key rotation new rows carry the new key id; the chain verifies across both. A
 * keyring that lacks the old key cannot vouch for the old rows. */
static void
test_chain_across_key_rotation(void **state)
{
    struct apptest *at = *state;
    uint8_t raw[DATA_KEY_LEN];
    struct keyring only_new = { 0 };
    int64_t checked = 0, broken = -1;

    append_n(at, 4);
    assert_int_equal(crypto_random(raw, sizeof raw), 0);
    assert_int_equal(keyring_add(&at->app.keys, 2, raw), 0);
    assert_int_equal(keyring_add(&only_new, 2, raw), 0);
    append_n(at, 4);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log WHERE key_id = 2", 0), 4);
    verify(at, &checked, &broken);
    assert_int_equal(checked, 8);
    assert_int_equal(broken, 0);

    assert_int_equal(audit_verify(at->db, &only_new, &checked, &broken), 0);
    assert_int_equal(broken, apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0));
    assert_int_equal(checked, 0);
    keyring_wipe(&only_new);
}

/* Appenders on separate connections serialise on the chain head. */
struct appender {
    struct apptest *at;
    const char *url;
    int n, rc;
    pthread_barrier_t *start; /* NULL, or wait here once connected */
};

static void *
appender_main(void *arg)
{
    struct appender *ap = arg;
    struct db *db = NULL;
    char target[32];
    ap->rc = db_open(ap->url, NULL, &db);
    if (ap->start)
        pthread_barrier_wait(ap->start);
    for (int i = 0; !ap->rc && i < ap->n; i++) {
        snprintf(target, sizeof target, "t:%d", i);
        ap->rc = audit_record(db, &ap->at->app.keys, &ap->at->admin, "concurrent", target, "ok", NULL);
    }
    db_close(db);
    crypto_thread_release();
    return NULL;
}

static void
test_concurrent_appenders(void **state)
{
    struct apptest *at = *state;
    struct appender ap[3];
    pthread_t th[3];

    append_n(at, 1); /* the head exists before the race */
    for (int i = 0; i < 3; i++) {
        ap[i] = (struct appender){ at, at->t->db_url, 25, -1, NULL };
        assert_int_equal(pthread_create(&th[i], NULL, appender_main, &ap[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(ap[i].rc, 0);
    }
    assert_int_equal(apptest_audit_intact(at), 76);
}

/* The very first appends race too: creating the chain head at genesis must not fail one
 * of them. */
static void
test_concurrent_genesis(void **state)
{
    struct apptest *at = *state;
    struct appender ap[8];
    pthread_t th[8];
    pthread_barrier_t start;
    int failed = 0, rc = 0;

    assert_int_equal(pthread_barrier_init(&start, NULL, 8), 0);
    for (int i = 0; i < 8; i++) {
        ap[i] = (struct appender){ at, at->t->db_url, 1, -1, &start };
        assert_int_equal(pthread_create(&th[i], NULL, appender_main, &ap[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        if (ap[i].rc) {
            failed++;
            rc = ap[i].rc;
        }
    }
    pthread_barrier_destroy(&start);
    if (failed)
        fail_msg("%d of 8 concurrent first appends failed (%s)", failed, err_name(rc));
    assert_int_equal(apptest_audit_intact(at), 8);
}

/* ---- audit_list --------------------------------------------------------------------- */

/* seed_list: 30 rows at T0 + i*1000 ms; actors alternate alice/bob, actions cycle
 * a.one/a.two/a.three. */
static void
seed_list(struct apptest *at)
{
    static const char *const actions[] = { "a.one", "a.two", "a.three" };
    struct actor alice, bob;
    mk_actor(&alice, ACTOR_USER, "alice", ROLE_DISTRICT);
    mk_actor(&bob, ACTOR_USER, "bob", ROLE_VIEWER);
    for (int i = 0; i < 30; i++) {
        time_set_fake_ms(APPTEST_T0 + (int64_t)i * 1000);
        assert_int_equal(audit_record(at->db, &at->app.keys, i % 2 ? &bob : &alice,
                                      actions[i % 3], NULL, "ok", NULL),
                         0);
    }
    time_set_fake_ms(0);
}

static void
list(struct apptest *at, const struct audit_query *q, struct arena *arena,
     struct audit_entry **items, size_t *n, int64_t *total)
{
    assert_int_equal(audit_list(at->db, q, arena, items, n, total), 0);
    for (size_t i = 1; i < *n; i++)
        assert_true((*items)[i - 1].id > (*items)[i].id);
}

static void
test_list_filters(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;

    seed_list(at);

    struct audit_query all = { .limit = 100 };
    list(at, &all, &arena, &items, &n, &total);
    assert_int_equal(n, 30);
    assert_int_equal(total, 30);
    assert_int_equal(items[0].ts, APPTEST_T0 + 29000);

    struct audit_query by_actor = { .actor = "bob", .limit = 100 };
    list(at, &by_actor, &arena, &items, &n, &total);
    assert_int_equal(n, 15);
    assert_int_equal(total, 15);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].actor, "bob");

    struct audit_query by_action = { .action = "a.two", .limit = 100 };
    list(at, &by_action, &arena, &items, &n, &total);
    assert_int_equal(n, 10);
    assert_int_equal(total, 10);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].action, "a.two");

    /* i = 1, 7, 13, 19, 25 are bob doing a.two */
    struct audit_query both = { .actor = "bob", .action = "a.two", .limit = 100 };
    list(at, &both, &arena, &items, &n, &total);
    assert_int_equal(n, 5);
    assert_int_equal(total, 5);
    assert_int_equal(items[0].ts, APPTEST_T0 + 25000);
    assert_int_equal(items[4].ts, APPTEST_T0 + 1000);

    struct audit_query nobody = { .actor = "carol", .limit = 100 };
    list(at, &nobody, &arena, &items, &n, &total);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);

    /* SQL metacharacters are values, not SQL */
    struct audit_query meta = { .actor = "' OR '1'='1", .action = "%", .limit = 100 };
    list(at, &meta, &arena, &items, &n, &total);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);

    /* limit caps the page, total still counts every match */
    struct audit_query small = { .actor = "alice", .limit = 4 };
    list(at, &small, &arena, &items, &n, &total);
    assert_int_equal(n, 4);
    assert_int_equal(total, 15);
    arena_release(&arena);
}

/* The time filters take real millisecond timestamps (beyond 32 bits). */
static void
test_list_time_range(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;

    seed_list(at);
    /* from is inclusive, to exclusive: rows 10..19 */
    struct audit_query range = { .from = APPTEST_T0 + 10000, .to = APPTEST_T0 + 20000, .limit = 100 };
    list(at, &range, &arena, &items, &n, &total);
    assert_int_equal(n, 10);
    assert_int_equal(total, 10);
    assert_int_equal(items[0].ts, APPTEST_T0 + 19000);
    assert_int_equal(items[9].ts, APPTEST_T0 + 10000);

    struct audit_query from_only = { .from = APPTEST_T0 + 25000, .limit = 100 };
    list(at, &from_only, &arena, &items, &n, &total);
    assert_int_equal(total, 5);
    struct audit_query to_only = { .to = APPTEST_T0 + 3000, .limit = 100 };
    list(at, &to_only, &arena, &items, &n, &total);
    assert_int_equal(total, 3);
    assert_int_equal(n, 3);

    arena_release(&arena);
}

static void
test_list_paging(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct audit_entry *items = NULL;
    size_t n = 0, seen = 0, pages = 0;
    int64_t total = 0, ids[40], prev = INT64_MAX;

    seed_list(at);
    struct audit_query q = { .limit = 7 };
    for (;;) {
        list(at, &q, &arena, &items, &n, &total);
        assert_int_equal(total, 30); /* total ignores before_id */
        if (!n)
            break;
        pages++;
        for (size_t i = 0; i < n; i++) {
            assert_true(items[i].id < prev);
            prev = items[i].id;
            assert_true(seen < 40);
            ids[seen++] = items[i].id;
        }
        q.before_id = items[n - 1].id;
    }
    assert_int_equal(seen, 30);
    assert_int_equal(pages, 5); /* 7+7+7+7+2 */
    assert_int_equal(ids[29], apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0));

    /* paging combined with a filter */
    struct audit_query f = { .actor = "alice", .limit = 4 };
    seen = 0;
    for (;;) {
        list(at, &f, &arena, &items, &n, &total);
        assert_int_equal(total, 15);
        if (!n)
            break;
        for (size_t i = 0; i < n; i++)
            assert_string_equal(items[i].actor, "alice");
        seen += n;
        f.before_id = items[n - 1].id;
    }
    assert_int_equal(seen, 15);
    arena_release(&arena);
}

/* ---- tampering ---------------------------------------------------------------------- */

static void
test_triggers_refuse_change(void **state)
{
    struct apptest *at = *state;
    append_n(at, 5);
    assert_int_not_equal(apptest_exec(at->db, "UPDATE audit_log SET result = 'denied'"), 0);
    assert_int_not_equal(apptest_exec(at->db, "UPDATE audit_log SET detail = 'x' WHERE id = 2"), 0);
    assert_int_not_equal(apptest_exec(at->db, "DELETE FROM audit_log WHERE id = 3"), 0);
    assert_int_not_equal(apptest_exec(at->db, "DELETE FROM audit_log"), 0);
    if (db_kind(at->db) == DB_POSTGRES)
        assert_int_not_equal(apptest_exec(at->db, "TRUNCATE audit_log"), 0);
    assert_int_equal(audit_rows(at), 5);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log WHERE result = 'ok'", 0), 5);
    assert_int_equal(apptest_audit_intact(at), 5);
}

/* Issue 12: the chain is checked in slices (bounded memory and statement time); following
 * "next" from 0 checks every row once and finds what the whole walk finds. */
static void
test_verify_in_slices(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, next = 0, after = 0, total = 0, slices = 0, all, id;
    append_n(at, 25);
    all = apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0);
    do {
        assert_int_equal(audit_verify_slice(at->db, &at->app.keys, after, 4, &checked, &broken, &next), 0);
        assert_int_equal(broken, 0);
        assert_true(checked <= 4);
        total += checked;
        slices++;
        after = next;
    } while (next);
    assert_int_equal(total, all);
    assert_int_equal(slices, all / 4 + 1);
    /* bad cursors and limits */
    assert_int_equal(audit_verify_slice(at->db, &at->app.keys, 999999, 4, &checked, &broken, &next), ERR_NOT_FOUND);
    assert_int_equal(audit_verify_slice(at->db, &at->app.keys, 0, 0, &checked, &broken, &next), ERR_INVALID);
    assert_int_equal(audit_verify_slice(at->db, &at->app.keys, 0, AUDIT_VERIFY_SLICE_MAX + 1, &checked, &broken,
                                        &next), ERR_INVALID);
    /* an edited row is found by the slice that holds it */
    drop_triggers(at);
    id = apptest_i64(at->db, "SELECT min(id) + 9 FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_log SET result = 'denied' WHERE id = (SELECT min(id) + 9 FROM audit_log)"),
                     0);
    after = 0;
    broken = 0;
    do {
        assert_int_equal(audit_verify_slice(at->db, &at->app.keys, after, 4, &checked, &broken, &next), 0);
        after = next;
    } while (next && !broken);
    assert_int_equal(broken, id);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
}

static void
test_edited_row_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, id;
    append_n(at, 10);
    drop_triggers(at);
    id = apptest_i64(at->db, "SELECT min(id) + 4 FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_log SET result = 'denied'"
                                     " WHERE id = (SELECT min(id) + 4 FROM audit_log)"),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(checked, 4);
}

static void
test_edited_timestamp_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, id;
    append_n(at, 6);
    drop_triggers(at);
    id = apptest_i64(at->db, "SELECT max(id) FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_log SET ts = ts - 3600000"
                                     " WHERE id = (SELECT max(id) FROM audit_log)"),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(checked, 5);
}

static void
test_deleted_middle_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, first;
    append_n(at, 10);
    drop_triggers(at);
    first = apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id = (SELECT min(id) + 5 FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    /* the row after the gap no longer chains */
    assert_int_equal(broken, first + 6);
    assert_int_equal(checked, 5);
}

static void
test_deleted_first_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, first;
    append_n(at, 4);
    drop_triggers(at);
    first = apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, first + 1);
    assert_int_equal(checked, 0);
}

static void
test_cut_tail_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 10);
    drop_triggers(at);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id > (SELECT min(id) + 6 FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(checked, 7);

    /* pointing the head at the new last row does not help: its mac is the old one */
    assert_int_equal(db_exec(at->db, "UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
}

/* The chain head is not protected by the triggers; editing it alone is reported. */
static void
test_edited_head_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 4);
    assert_int_equal(db_exec(at->db, "UPDATE audit_head SET last_id = last_id + 1"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(checked, 4);
    assert_int_equal(db_exec(at->db, "UPDATE audit_head SET last_id = last_id - 1,"
                                     " mac = (SELECT mac FROM audit_log WHERE id = (SELECT min(id) FROM audit_log))"),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_head"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
}

/* Cutting the tail and pointing the head at the new last row, copying that row's stored
 * mac, needs no key; it must still be reported. */
static void
test_cut_tail_with_forged_head_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 10);
    drop_triggers(at);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id > (SELECT min(id) + 6 FROM audit_log)"), 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log),"
                                     " mac = (SELECT mac FROM audit_log WHERE id = (SELECT max(id) FROM audit_log))"),
                     0);
    verify(at, &checked, &broken);
    if (broken != -1)
        fail_msg("a cut tail with a head copied from the new last row verified as intact"
                 " (first_broken %lld, %lld rows checked)", (long long)broken, (long long)checked);
}

static void
test_cut_last_row_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 3);
    drop_triggers(at);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(checked, 2);
}

static void
test_everything_deleted_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 3);
    drop_triggers(at);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(checked, 0);
}

/* A row inserted by someone without the audit key (INSERT is not blocked by the triggers)
 * cannot carry a valid mac. */
static void
test_forged_row_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, id;
    append_n(at, 3);
    assert_int_equal(db_exec(at->db, "INSERT INTO audit_log (ts, actor, role, ip, action, target,"
                                     " result, request_id, detail, key_id, mac) SELECT ts + 1,"
                                     " 'mallory', role, ip, action, target, result, request_id,"
                                     " detail, key_id, mac FROM audit_log WHERE id ="
                                     " (SELECT max(id) FROM audit_log)"),
                     0);
    id = apptest_i64(at->db, "SELECT max(id) FROM audit_log", 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(checked, 3);
}

static void
test_unknown_key_id_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, id;
    append_n(at, 5);
    drop_triggers(at);
    id = apptest_i64(at->db, "SELECT min(id) + 2 FROM audit_log", 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_log SET key_id = 77 WHERE id = (SELECT min(id) + 2 FROM audit_log)"), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(checked, 2);
}

/* The whole log verified with a keyring whose key 1 is another key: the first row fails. */
static void
test_wrong_key_reported(void **state)
{
    struct apptest *at = *state;
    struct keyring other = { 0 };
    uint8_t raw[DATA_KEY_LEN];
    int64_t checked = 0, broken = 0;
    append_n(at, 3);
    assert_int_equal(crypto_random(raw, sizeof raw), 0);
    assert_int_equal(keyring_add(&other, 1, raw), 0);
    assert_int_equal(audit_verify(at->db, &other, &checked, &broken), 0);
    assert_int_equal(broken, apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0));
    keyring_wipe(&other);
}

static void
test_mangled_mac_reported(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0, id;
    append_n(at, 4);
    drop_triggers(at);
    id = apptest_i64(at->db, "SELECT min(id) + 1 FROM audit_log", 0);
    /* a mac of the wrong length, then one of the right length copied from another row */
    assert_int_equal(db_exec(at->db, apptest_dialect(at->db,
                                                     "UPDATE audit_log SET mac = x'00' WHERE id = (SELECT min(id) + 1 FROM audit_log)",
                                                     "UPDATE audit_log SET mac = '\\x00'::bytea WHERE id = (SELECT min(id) + 1 FROM audit_log)")),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(db_exec(at->db, "UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE id ="
                                     " (SELECT min(id) FROM audit_log)) WHERE id = (SELECT min(id) + 1 FROM audit_log)"),
                     0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, id);
    assert_int_equal(checked, 1);
}

static void
test_append_without_key(void **state)
{
    struct apptest *at = *state;
    struct keyring empty = { 0 };
    assert_int_equal(audit_record(at->db, &empty, &at->admin, "x", NULL, "ok", NULL), ERR_CRYPTO);
    assert_int_equal(audit_rows(at), 0);
}

/* After a cut tail with a forged head, appends are refused (fail closed) instead of sealing
 * the rewound chain; the console re-anchors, which records the finding in the chain. */
static void
test_append_refused_until_reanchored(void **state)
{
    struct apptest *at = *state;
    int64_t checked = 0, broken = 0;
    append_n(at, 5);
    drop_triggers(at);
    assert_int_equal(db_exec(at->db, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"), 0);
    assert_int_equal(db_exec(at->db, "UPDATE audit_head SET last_id = (SELECT max(id) FROM audit_log),"
                                     " mac = (SELECT mac FROM audit_log WHERE id = (SELECT max(id) FROM audit_log))"),
                     0);
    assert_int_equal(audit_record(at->db, &at->app.keys, &at->admin, "x.after", "t", "ok", NULL), ERR_CRYPTO);
    verify(at, &checked, &broken);
    assert_int_equal(broken, -1);
    assert_int_equal(audit_reanchor(at->db, &at->app.keys, &at->admin, "tail cut in test"), 0);
    assert_int_equal(audit_record(at->db, &at->app.keys, &at->admin, "x.after", "t", "ok", NULL), 0);
    verify(at, &checked, &broken);
    assert_int_equal(broken, 0);
    assert_int_equal(checked, 6); /* 4 left + the re-anchor entry + the new one */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_empty_log_is_intact),
        APPTEST(test_append_and_verify),
        APPTEST(test_actor_kinds_recorded),
        APPTEST(test_rolled_back_append),
        APPTEST(test_long_chain),
        APPTEST(test_chain_across_key_rotation),
        APPTEST(test_concurrent_appenders),
        APPTEST(test_concurrent_genesis),
        APPTEST(test_list_filters),
        APPTEST(test_list_time_range),
        APPTEST(test_list_paging),
        APPTEST(test_triggers_refuse_change),
        APPTEST(test_verify_in_slices),
        APPTEST(test_edited_row_reported),
        APPTEST(test_edited_timestamp_reported),
        APPTEST(test_deleted_middle_reported),
        APPTEST(test_deleted_first_reported),
        APPTEST(test_cut_tail_reported),
        APPTEST(test_cut_last_row_reported),
        APPTEST(test_edited_head_reported),
        APPTEST(test_cut_tail_with_forged_head_reported),
        APPTEST(test_append_refused_until_reanchored),
        APPTEST(test_everything_deleted_reported),
        APPTEST(test_forged_row_reported),
        APPTEST(test_unknown_key_id_reported),
        APPTEST(test_wrong_key_reported),
        APPTEST(test_mangled_mac_reported),
        APPTEST(test_append_without_key),
    };
    return apptest_run("domain_audit", tests, sizeof tests / sizeof tests[0]);
}
