/* tests/e2e/e2e_audit.c - the audit log over HTTP and on disk (S6 安全审计): what the
 * auditor sees, that no route changes it, that the database refuses UPDATE and DELETE,
 * and that tampering behind the server's back is found by `jiayuan verify` and by
 * GET /api/v1/audit/verify. On SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "server.h"

static const char wrong_pw[] = "Wrong-Passw0rd!";

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "alice", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "audrey", "auditor", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

/* Some activity worth auditing: a login, a failed login, a denial. */
static void
activity(struct server *srv)
{
    struct client c;
    struct resp r = RESP_INIT;
    client_init(&c, srv);
    assert_int_equal(client_login(&c, "alice", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&c, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    assert_int_equal(client_login(&c, "alice", wrong_pw, NULL, &r), 401);
    resp_release(&r);
    client_release(&c);
}

static void
test_listing_and_verify(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    int64_t total, first_id, second_id;
    char path[256];
    json_t *items;
    static const char *const secrets[] = { SERVER_PASSWORD, wrong_pw, NULL };

    activity(srv);
    client_init(&a, srv);
    assert_int_equal(server_enrol(srv, &a, "audrey", NULL, 0), 0);

    /* newest first, paged by an opaque cursor */
    client_call(&a, "GET", "/api/v1/audit?limit=2", NULL, &r);
    assert_resp(&r, 200, NULL);
    total = resp_int(&r, "total");
    assert_true(total >= 6);
    assert_int_equal(json_array_size(resp_get(&r, "items")), 2);
    first_id = resp_int(&r, "items.0.id");
    second_id = resp_int(&r, "items.1.id");
    assert_true(first_id > second_id);
    assert_non_null(resp_str(&r, "next"));
    snprintf(path, sizeof path, "/api/v1/audit?limit=2&next=%s", resp_str(&r, "next"));
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(resp_int(&r, "items.0.id") < second_id);
    assert_int_equal(resp_int(&r, "total"), total);

    /* filters */
    client_call(&a, "GET", "/api/v1/audit?action=auth.login&actor=alice", NULL, &r);
    assert_resp(&r, 200, NULL);
    items = resp_get(&r, "items");
    assert_int_equal(json_array_size(items), 2); /* one ok, one failed */
    {
        bool ok = false, failed = false;
        for (size_t i = 0; i < 2; i++) {
            json_t *e = json_array_get(items, i);
            const char *res = json_string_value(json_object_get(e, "result"));
            assert_string_equal(json_string_value(json_object_get(e, "action")), "auth.login");
            assert_string_equal(json_string_value(json_object_get(e, "actor")), "alice");
            ok |= strcmp(res, "ok") == 0;
            failed |= strcmp(res, "failed") == 0;
            assert_non_null(json_object_get(e, "request_id"));
            assert_non_null(json_object_get(e, "ip"));
        }
        assert_true(ok && failed);
    }
    client_call(&a, "GET", "/api/v1/audit?action=access.denied&actor=alice", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.target"), "/api/v1/users");
    client_call(&a, "GET", "/api/v1/audit?from=99999999999999", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    assert_true(json_is_null(resp_get(&r, "next")));
    client_call(&a, "GET", "/api/v1/audit?to=1", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(&a, "GET", "/api/v1/audit?from=yesterday", NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&a, "GET", "/api/v1/audit?limit=0", NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&a, "GET", "/api/v1/audit?limit=501", NULL, &r);
    assert_resp(&r, 400, "invalid");

    /* the chain is intact */
    client_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "ok")));
    assert_true(resp_int(&r, "checked") >= total);
    assert_true(json_is_null(resp_get(&r, "first_broken_id")));
    assert_true(json_is_null(resp_get(&r, "next")));
    /* issue 12: one slice per request; following "next" checks every row exactly once */
    {
        int64_t seen = 0, slices = 0, whole = resp_int(&r, "checked");
        char vpath[96] = "/api/v1/audit/verify?limit=3";
        for (;;) {
            client_call(&a, "GET", vpath, NULL, &r);
            assert_resp(&r, 200, NULL);
            assert_true(json_is_true(resp_get(&r, "ok")));
            assert_true(resp_int(&r, "checked") <= 3);
            seen += resp_int(&r, "checked");
            slices++;
            if (json_is_null(resp_get(&r, "next")))
                break;
            snprintf(vpath, sizeof vpath, "/api/v1/audit/verify?limit=3&after=%lld", (long long)resp_int(&r, "next"));
        }
        assert_true(seen >= whole); /* the verify calls themselves append entries */
        assert_true(slices >= 2);
        client_call(&a, "GET", "/api/v1/audit/verify?limit=0", NULL, &r);
        assert_resp(&r, 400, "invalid");
        assert_string_equal(resp_str(&r, "error.reason"), "audit_verify_limit");
        client_call(&a, "GET", "/api/v1/audit/verify?after=99999999", NULL, &r);
        assert_resp(&r, 400, "invalid");
        assert_string_equal(resp_str(&r, "error.reason"), "audit_verify_after");
    }
    /* the operator's check at the console agrees, while the server runs */
    {
        struct buf out = BUF_INIT;
        assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 0);
        assert_non_null(strstr(out.data, "audit chain intact"));
        assert_non_null(strstr(out.data, "UI manifest intact"));
        buf_release(&out);
    }
    /* and verifying is itself audited */
    client_call(&a, "GET", "/api/v1/audit?action=audit.verify&limit=2", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "items.0.actor"), "cli");
    assert_string_equal(resp_str(&r, "items.1.actor"), "audrey");
    assert_string_equal(resp_str(&r, "items.0.result"), "ok");

    /* no password ever reached the audit log, the logs or a response */
    server_assert_no_plaintext(srv, secrets);
    resp_release(&r);
    client_release(&a);
}

static void
test_no_route_changes_audit(void **state)
{
    struct server *srv = *state;
    struct client a, anon;
    struct resp r = RESP_INIT;
    char allow[64];
    static const char *const paths[] = { "/api/v1/audit", "/api/v1/audit/verify", NULL };
    static const char *const methods[] = { "PUT", "PATCH", "DELETE", "POST", NULL };

    client_init(&a, srv);
    client_init(&anon, srv);
    /* a logged-in user and an anonymous client: the method is refused before anything
     * else, whoever asks */
    assert_int_equal(client_login(&a, "alice", SERVER_PASSWORD, NULL, &r), 200);
    for (size_t p = 0; paths[p]; p++) {
        for (size_t m = 0; methods[m]; m++) {
            client_call(&a, methods[m], paths[p], "{}", &r);
            assert_resp(&r, 405, "method_not_allowed");
            assert_non_null(resp_header(&r, "Allow", 0, allow, sizeof allow));
            assert_string_equal(allow, "GET");
            client_call(&anon, methods[m], paths[p], NULL, &r);
            assert_resp(&r, 405, "method_not_allowed");
        }
    }
    static const char *const nope[] = { "/api/v1/audit/1", "/api/v1/audit/head", "/api/v1/audit/", NULL };
    for (size_t p = 0; nope[p]; p++) {
        client_call(&a, "DELETE", nope[p], NULL, &r);
        assert_resp(&r, 404, "not_found");
        client_call(&a, "PUT", nope[p], "{}", &r);
        assert_resp(&r, 404, "not_found");
    }
    resp_release(&r);
    client_release(&a);
    client_release(&anon);
}

/* --- tampering, on a private server ------------------------------------------------ */

static struct server private_srv;

static int
private_teardown(void **state)
{
    (void)state;
    server_release(&private_srv);
    return 0;
}

static const char sql_count[] = "SELECT count(*) FROM audit_log";
static const char sql_second[] = "SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1";
static const char sql_newest[] = "SELECT max(id) FROM audit_log";

static int64_t
query_i64(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v = -1;
    if (server_db_open(srv, &db) == 0 && db_prepare(db, sql, &st) == 0 && db_step(st, &row) == 0 && row)
        v = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return v;
}

/* tamper runs sql on the server's database behind its back: with the sqlite3 C API on
 * SQLite, through db.h (libpq) on PostgreSQL. Returns 0 when the statement(s) ran; else
 * copies the database's message into msg. */
static int
tamper(struct server *srv, const char *sql, char *msg, size_t cap)
{
    msg[0] = '\0';
    if (srv->db_path) {
        sqlite3 *h = NULL;
        int rc = sqlite3_open_v2(srv->db_path, &h, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_busy_timeout(h, 5000);
            rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
        }
        if (rc != SQLITE_OK)
            snprintf(msg, cap, "%s", sqlite3_errmsg(h));
        sqlite3_close(h);
        return rc == SQLITE_OK ? 0 : -1;
    }
    struct db *db = NULL;
    int rc = server_db_open(srv, &db);
    if (!rc)
        rc = db_exec(db, sql);
    db_close(db);
    if (rc)
        snprintf(msg, cap, "refused (%d)", rc);
    return rc ? -1 : 0;
}

static void
test_tampering_is_found(void **state)
{
    struct server *shared = *state, *srv = &private_srv;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf out = BUF_INIT;
    char msg[256], want[64];
    int64_t count, second, newest;
    bool pg;

    assert_int_equal(server_init(srv, shared->driver_url), 0);
    pg = srv->db_url != NULL;
    assert_int_equal(prepare(srv), 0);
    assert_int_equal(server_start(srv), 0);
    activity(srv);
    client_init(&a, srv);
    assert_int_equal(server_enrol(srv, &a, "audrey", NULL, 0), 0);
    client_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "ok")));

    /* all of this happens while the server runs */
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 0);
    assert_non_null(strstr(out.data, "audit chain intact"));
    count = query_i64(srv, sql_count);
    second = query_i64(srv, sql_second);
    assert_true(count >= 8);
    assert_true(second > 0);

    /* the database itself refuses to change or remove audit rows */
    assert_int_not_equal(tamper(srv, "UPDATE audit_log SET result = 'ok' WHERE id ="
                                     " (SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1)",
                                msg, sizeof msg), 0);
    if (!pg)
        assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(tamper(srv, "DELETE FROM audit_log WHERE id ="
                                     " (SELECT max(id) FROM audit_log)", msg, sizeof msg), 0);
    if (!pg)
        assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(tamper(srv, "DELETE FROM audit_log", msg, sizeof msg), 0);
    if (pg)
        assert_int_not_equal(tamper(srv, "TRUNCATE audit_log", msg, sizeof msg), 0);
    assert_int_equal(query_i64(srv, sql_count), count);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 0);

    /* someone with the database's owner rights removes the guard and cuts the tail */
    newest = query_i64(srv, sql_newest);
    assert_int_equal(tamper(srv, pg ? "DROP TRIGGER audit_log_no_change ON audit_log"
                                    : "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_no_update",
                            msg, sizeof msg), 0);
    assert_int_equal(tamper(srv, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)", msg,
                            sizeof msg), 0);
    assert_int_equal(query_i64(srv, sql_newest), newest - 1);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 1);
    assert_non_null(strstr(out.data, "BROKEN"));
    assert_non_null(strstr(out.data, "newest entries were removed"));

    /* and edits one entry in the middle */
    assert_int_equal(tamper(srv, "UPDATE audit_log SET result = 'ok', detail = '' WHERE id ="
                                 " (SELECT id FROM audit_log ORDER BY id LIMIT 1 OFFSET 1)",
                            msg, sizeof msg), 0);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 1);
    snprintf(want, sizeof want, "BROKEN at entry %lld ", (long long)second);
    if (!strstr(out.data, want))
        print_error("verify said: %s\n", out.data);
    assert_non_null(strstr(out.data, want));
    assert_non_null(strstr(out.data, "(1 entries before it are intact)"));

    /* the server finds the same */
    client_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_false(json_is_true(resp_get(&r, "ok")));
    assert_int_equal(resp_int(&r, "first_broken_id"), second);
    assert_int_equal(resp_int(&r, "checked"), 1);
    /* and records that it found it */
    client_call(&a, "GET", "/api/v1/audit?action=audit.verify&limit=1", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "items.0.result"), "broken");
    /* and so does a restarted one: the tampering is in the file, not in a cache */
    assert_int_equal(server_restart(srv), 0);
    client_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "first_broken_id"), second);

    buf_release(&out);
    resp_release(&r);
    client_release(&a);
}

/* Last: no error this suite provoked named internals or left the envelope. */
static void
test_errors_clean(void **state)
{
    server_assert_clean_errors(*state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listing_and_verify),
        cmocka_unit_test(test_no_route_changes_audit),
        cmocka_unit_test_teardown(test_tampering_is_found, private_teardown),
        cmocka_unit_test(test_errors_clean),
    };
    return server_run("e2e_audit", tests, sizeof tests / sizeof tests[0], prepare);
}
