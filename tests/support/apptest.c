/* tests/support/apptest.c - see apptest.h. Test support only: a struct app over a fresh
 * dbtest database, and the ingest, fixture and query helpers the domain suites share
 * (R1.7, R2.x, S1, S6 tests).
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
#include "domain/platform/audit.h"
#include "domain/platform/division.h"
#include "domain/testing/site.h"

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

/* apptest_one_i64 steps st (parameters bound), asserts it gives a row and returns its
 * column 0; releases st. */
static int64_t
apptest_one_i64(struct db_stmt *st)
{
    bool row = false;
    int64_t v;
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

int64_t
apptest_i64(struct db *db, const char *sql, int64_t p1)
{
    struct db_stmt *st = NULL;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    if (strstr(sql, "?1"))
        assert_int_equal(db_bind_i64(st, 1, p1), 0);
    return apptest_one_i64(st);
}

int64_t
apptest_i64_text(struct db *db, const char *sql, const char *p1)
{
    struct db_stmt *st = NULL;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, p1, strlen(p1)), 0);
    return apptest_one_i64(st);
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

    target = target ? target : "";
    result = result ? result : "";
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, action, strlen(action)), 0);
    assert_int_equal(db_bind_text(st, 2, target, strlen(target)), 0);
    assert_int_equal(db_bind_text(st, 3, result, strlen(result)), 0);
    return apptest_one_i64(st);
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

/* Ingest --------------------------------------------------------------------------------- */

json_t *
apptest_json(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("bad test JSON: %s", je.text);
    return v;
}

struct ingest_outcome
apptest_put(struct apptest *at, const struct actor *a, const struct ingest_kind *kind, json_t *obj)
{
    struct ingest_outcome *out = NULL, res;
    size_t n = 0, accepted = 0;
    assert_non_null(obj);
    assert_int_equal(ingest_run(&at->app, at->db, a, kind, obj, &out, &n, &accepted), 0);
    assert_int_equal(n, 1);
    res = out[0];
    xfree(out);
    json_decref(obj);
    return res;
}

int64_t
apptest_accept(struct apptest *at, const struct ingest_kind *kind, json_t *obj)
{
    struct ingest_outcome o = apptest_put(at, &at->admin, kind, obj);
    if (o.status != INGEST_ACCEPTED)
        fail_msg("%s record: status %d field '%s' reason '%s'", kind->name, (int)o.status, o.field ? o.field : "",
                 o.reason);
    return o.id;
}

struct ingest_outcome *
apptest_ingest_text(struct apptest *at, const struct actor *a, const struct ingest_kind *kind, const char *text,
                    size_t *n)
{
    json_error_t je;
    json_t *items = json_loads(text, 0, &je);
    struct ingest_outcome *out = NULL;
    size_t accepted = 0;
    if (!items)
        fail_msg("bad test JSON: %s", je.text);
    assert_int_equal(ingest_run(&at->app, at->db, a, kind, items, &out, n, &accepted), 0);
    json_decref(items);
    return out;
}

void
apptest_expect_outcome(const struct ingest_outcome *o, const char *field, const char *what)
{
    if (!field) {
        if (o->status != INGEST_ACCEPTED)
            fail_msg("%s: status %d field '%s' reason '%s', want accepted", what, (int)o->status,
                     o->field ? o->field : "", o->reason);
        return;
    }
    if (o->status != INGEST_REJECTED || strcmp(o->field ? o->field : "", field) != 0)
        fail_msg("%s: status %d field '%s' reason '%s', want rejected at '%s'", what, (int)o->status,
                 o->field ? o->field : "", o->reason, field);
}

struct ingest_outcome
apptest_expect_rejected(struct apptest *at, const struct ingest_kind *kind, json_t *obj,
                        const struct apptest_reject_case *c)
{
    struct ingest_outcome r;
    char what[160];
    snprintf(what, sizeof what, "'%s' %s %s", c->key, c->value_json ? "set to" : "removed",
             c->value_json ? c->value_json : "");
    if (c->value_json)
        json_object_set_new(obj, c->key, apptest_json(c->value_json));
    else
        json_object_del(obj, c->key);
    r = apptest_put(at, &at->admin, kind, obj);
    apptest_expect_outcome(&r, c->field, what);
    return r;
}

/* Actors, sites, plans ---------------------------------------------------------------------- */

void
apptest_scoped(struct apptest *at, const char *sub, struct actor *a)
{
    *a = at->admin;
    str_copy(a->subdistrict, sizeof a->subdistrict, sub);
}

json_t *
apptest_site_obj(const char *code, const char *sub)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "city", "external_id", code, "code", code,
                     "name", code, "type", "fixed", "subdistrict", sub, "lon", 116.38, "lat", 39.9);
}

int64_t
apptest_site(struct apptest *at, const char *code, const char *sub)
{
    return apptest_accept(at, &site_kind, apptest_site_obj(code, sub));
}

json_t *
apptest_plan_obj(const char *plan_no, const char *ext, const char *scope_json)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "source", "city", "external_id", ext, "plan_no",
                          plan_no, "name", "第1轮全员核酸", "kind", "mass", "starts_at",
                          (json_int_t)(APPTEST_NOW - 3600000), "ends_at", (json_int_t)(APPTEST_NOW + 86400000LL));
    if (scope_json)
        json_object_set_new(o, "scope", apptest_json(scope_json));
    return o;
}

/* Reasons ----------------------------------------------------------------------------------- */

static struct buf apptest_why_buf = BUF_INIT;

struct buf *
apptest_why(void)
{
    buf_reset(&apptest_why_buf);
    return &apptest_why_buf;
}

const char *apptest_why_text(void) { return apptest_why_buf.data; }

/* Counters ---------------------------------------------------------------------------------- */

int64_t
apptest_gauge(struct db *db, const char *name, const char *subdistrict)
{
    static const char sql[] = "SELECT COALESCE(MAX(value), 0) FROM stat_gauges WHERE name = ?1 AND subdistrict = ?2";
    struct db_stmt *st = NULL;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, name, strlen(name)), 0);
    assert_int_equal(db_bind_text(st, 2, subdistrict, strlen(subdistrict)), 0);
    return apptest_one_i64(st);
}

int64_t
apptest_sites_open_mismatches(struct db *db)
{
    return apptest_i64(db,
                       "SELECT count(*) FROM divisions d WHERE d.level = 2 AND COALESCE((SELECT g.value FROM"
                       " stat_gauges g WHERE g.name = 'sites_open' AND g.subdistrict = d.code), 0) <> (SELECT count(*)"
                       " FROM sites s WHERE s.subdistrict = d.code AND s.status = 'open' AND s.deleted_at = 0)",
                       0);
}
