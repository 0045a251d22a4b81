/* tests/support/apptest.c - see apptest.h. Test support only: a struct app over a fresh
 * dbtest database, and small query helpers the domain suites share (R1.7, S1, S6 tests).
 */
#include "apptest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/audit.h"
#include "domain/division.h"

int
apptest_app_init(struct app *app, struct db *db)
{
    uint8_t raw[DATA_KEY_LEN];
    int rc;

    memset(app, 0, sizeof *app);
    app->policy = (struct policy)POLICY_DEFAULTS;
    app->started_at = time_now_ms();
    str_copy(app->var_dir, sizeof app->var_dir, "/nonexistent");
    if ((rc = crypto_random(raw, sizeof raw)) || (rc = keyring_add(&app->keys, 1, raw)))
        goto out;
    rc = reference_seed(db);
out:
    wipe(raw, sizeof raw);
    return rc;
}

int
apptest_setup(void **state)
{
    struct dbtest *t = *state;
    struct apptest *at;

    time_set_fake_ms(0);
    if (dbtest_setup(state))
        return -1;
    at = xcalloc(1, sizeof *at);
    at->t = t;
    at->db = t->db;
    if (apptest_app_init(&at->app, at->db)) {
        keyring_wipe(&at->app.keys);
        xfree(at);
        dbtest_teardown(state);
        return -1;
    }
    actor_system(&at->admin, "tester");
    *state = at;
    return 0;
}

int
apptest_teardown(void **state)
{
    struct apptest *at = *state;
    time_set_fake_ms(0);
    if (!at)
        return 0;
    *state = at->t;
    keyring_wipe(&at->app.keys);
    xfree(at);
    return dbtest_teardown(state);
}

int
apptest_run(const char *suite, const struct CMUnitTest *tests, size_t n)
{
    const char *show = getenv("JIAYUAN_TEST_LOG");
    if (!show || strcmp(show, "1") != 0)
        log_set_quiet(true);
    return dbtest_run(suite, tests, n);
}

int64_t
apptest_user(struct apptest *at, const char *name, enum role role, const char *subdistrict,
             const char *pw, struct user *out)
{
    struct buf why = BUF_INIT;
    struct user u;
    int rc = user_create(&at->app, at->db, &at->admin, name, role, subdistrict,
                         pw ? pw : APPTEST_PASSWORD, false, NULL, &why, &u);
    if (rc)
        fprintf(stderr, "apptest_user %s: %s (%s)\n", name, err_name(rc), why.data);
    buf_release(&why);
    assert_int_equal(rc, 0);
    if (out)
        *out = u;
    return u.id;
}

void
apptest_actor(struct apptest *at, int64_t id, struct actor *a)
{
    struct user u;
    assert_int_equal(user_get(at->db, id, &u), 0);
    memset(a, 0, sizeof *a);
    user_to_actor(&at->app, &u, a);
    str_copy(a->ip, sizeof a->ip, "127.0.0.1");
    str_copy(a->request_id, sizeof a->request_id, "req-test");
}

int64_t
apptest_i64(struct db *db, const char *sql, int64_t p1)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;

    assert_int_equal(db_prepare(db, sql, &st), 0);
    if (strstr(sql, "?1"))
        assert_int_equal(db_bind_i64(st, 1, p1), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

int
apptest_exec(struct db *db, const char *sql)
{
    return db_exec(db, sql);
}

const char *
apptest_dialect(struct db *db, const char *sqlite_sql, const char *pg_sql)
{
    return db_kind(db) == DB_SQLITE ? sqlite_sql : pg_sql;
}

int64_t
apptest_count_audit(struct db *db, const char *action, const char *target, const char *result)
{
    static const char sql[] =
        "SELECT count(*) FROM audit_log WHERE action = ?1 AND (?2 = '' OR target = ?2)"
        " AND (?3 = '' OR result = ?3)";
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;

    target = target ? target : "";
    result = result ? result : "";
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, action, strlen(action)), 0);
    assert_int_equal(db_bind_text(st, 2, target, strlen(target)), 0);
    assert_int_equal(db_bind_text(st, 3, result, strlen(result)), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

int64_t
apptest_audit_intact(struct apptest *at)
{
    int64_t checked = -1, broken = -2;
    assert_int_equal(audit_verify(at->db, &at->app.keys, &checked, &broken), 0);
    assert_int_equal(broken, 0);
    return checked;
}

bool
apptest_memmem(const void *hay, size_t hn, const void *needle, size_t nn)
{
    return nn == 0 || (hay && memmem(hay, hn, needle, nn) != NULL);
}
