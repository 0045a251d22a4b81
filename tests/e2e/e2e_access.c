/* tests/e2e/e2e_access.c - access control over HTTP: permission denials and their audit
 * trail, separation of the three admin roles (三权分立), subdistrict accounts, the users
 * and tokens APIs (R1.7, S6 访问控制), on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "server.h"

#define SUBDISTRICT "110102001"

static int
prepare(struct server *srv)
{
    static const struct {
        const char *name, *role, *subdistrict;
    } users[] = {
        { "dora", "district", NULL },     { "audrey", "auditor", NULL },
        { "sally", "sysadmin", NULL },    { "secky", "secadmin", NULL },
        { "subby", "subdistrict", SUBDISTRICT }, { "vic", "viewer", NULL },
    };
    for (size_t i = 0; i < sizeof users / sizeof *users; i++)
        if (server_add_user(srv, users[i].name, users[i].role, users[i].subdistrict, SERVER_PASSWORD,
                            false, NULL))
            return -1;
    return 0;
}

/* Enrolled admin sessions, made once per server (the codes of a TOTP step are spent). */
static struct client sally, audrey, secky;
static char enrolled_on[256]; /* the server folder they belong to */

static void
admins(struct server *srv)
{
    if (strcmp(enrolled_on, srv->dir) == 0)
        return;
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&audrey);
        client_release(&secky);
    }
    client_init(&sally, srv);
    client_init(&audrey, srv);
    client_init(&secky, srv);
    snprintf(enrolled_on, sizeof enrolled_on, "%s", srv->dir);
    assert_int_equal(server_enrol(srv, &sally, "sally", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &audrey, "audrey", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &secky, "secky", NULL, 0), 0);
}

/* find_audit looks for an entry with action and actor among the newest 500 entries and
 * copies it into *out (a new reference). */
static json_t *
find_audit(const char *action, const char *actor, const char *target)
{
    struct resp r = RESP_INIT;
    char path[256];
    json_t *found = NULL, *items;
    snprintf(path, sizeof path, "/api/v1/audit?limit=500&action=%s&actor=%s", action, actor);
    client_call(&audrey, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    items = resp_get(&r, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *e = json_array_get(items, i);
        if (!target || strcmp(json_string_value(json_object_get(e, "target")), target) == 0) {
            found = json_incref(e);
            break;
        }
    }
    resp_release(&r);
    return found;
}

static void
test_denial_is_audited(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char rid[64];
    json_t *e;

    admins(srv);
    client_init(&c, srv);
    assert_int_equal(client_login(&c, "dora", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&c, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    assert_non_null(strstr(resp_str(&r, "error.message"), "users.read"));
    assert_non_null(resp_header(&r, "X-Request-Id", 0, rid, sizeof rid));
    assert_string_equal(rid, resp_str(&r, "error.request_id"));
    client_pack(&c, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "by_dora", "role", "viewer");
    assert_resp(&r, 403, "forbidden");

    /* the auditor sees the denial, tied to the request by its id */
    e = find_audit("access.denied", "dora", "/api/v1/users");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "result")), "denied");
    assert_string_equal(json_string_value(json_object_get(e, "role")), "district");
    assert_string_equal(json_string_value(json_object_get(e, "ip")), "127.0.0.1");
    assert_true(json_integer_value(json_object_get(e, "ts")) > 0);
    json_decref(e);
    {
        /* the GET's denial carries the GET's request id */
        client_call(&audrey, "GET", "/api/v1/audit?limit=500&action=access.denied&actor=dora", NULL, &r);
        assert_resp(&r, 200, NULL);
        json_t *items = resp_get(&r, "items");
        bool seen = false;
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            seen |= strcmp(json_string_value(json_object_get(it, "request_id")), rid) == 0 &&
                    strcmp(json_string_value(json_object_get(it, "detail")), "GET") == 0;
        }
        assert_true(seen);
    }
    resp_release(&r);
    client_release(&c);
}

static void
test_role_separation(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT, p = RESP_INIT;
    char *policy;
    json_t *e;

    admins(srv);
    /* auditor: reads the audit log, nothing else */
    client_call(&audrey, "GET", "/api/v1/audit?limit=1", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&audrey, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_pack(&audrey, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "by_auditor", "role", "viewer");
    assert_resp(&r, 403, "forbidden");
    client_call(&audrey, "GET", "/api/v1/tokens", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&audrey, "GET", "/api/v1/settings/policy", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&audrey, "POST", "/api/v1/users/1/reset-password", NULL, &r);
    assert_resp(&r, 403, "forbidden");

    /* sysadmin: accounts and tokens, but not the audit log or the policy */
    client_call(&sally, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&sally, "GET", "/api/v1/audit", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&sally, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&sally, "GET", "/api/v1/settings/policy", NULL, &p);
    assert_resp(&p, 200, NULL);
    policy = json_dumps(p.json, JSON_COMPACT);
    client_call(&sally, "PUT", "/api/v1/settings/policy", policy, &r);
    assert_resp(&r, 403, "forbidden");

    /* secadmin: the policy, and reading accounts; not creating them, not the audit log */
    client_call(&secky, "PUT", "/api/v1/settings/policy", policy, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_equal(r.json, p.json));
    client_call(&secky, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_pack(&secky, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "by_secadmin", "role", "viewer");
    assert_resp(&r, 403, "forbidden");
    client_call(&secky, "GET", "/api/v1/audit", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&secky, "GET", "/api/v1/tokens", NULL, &r);
    assert_resp(&r, 403, "forbidden");

    /* the denials of admins are audited like anyone's */
    e = find_audit("access.denied", "sally", "/api/v1/audit");
    assert_non_null(e);
    json_decref(e);
    e = find_audit("access.denied", "secky", "/api/v1/users");
    assert_non_null(e);
    json_decref(e);
    e = find_audit("settings.policy.update", "secky", NULL);
    assert_non_null(e);
    json_decref(e);

    xfree(policy);
    resp_release(&r);
    resp_release(&p);
}

static void
test_subdistrict_account(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    const char *code = NULL, *name = NULL;
    char sub_name[256] = "";
    json_t *items;

    admins(srv);
    client_init(&c, srv);
    /* the code is a real subdistrict of the reference data */
    assert_int_equal(client_login(&c, "dora", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&c, "GET", "/api/v1/divisions?level=2", NULL, &r);
    assert_resp(&r, 200, NULL);
    items = resp_get(&r, "items");
    assert_true(json_array_size(items) > 0);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *d = json_array_get(items, i);
        assert_int_equal(json_integer_value(json_object_get(d, "level")), 2);
        if (strcmp(json_string_value(json_object_get(d, "code")), SUBDISTRICT) == 0) {
            code = SUBDISTRICT;
            name = json_string_value(json_object_get(d, "name"));
            snprintf(sub_name, sizeof sub_name, "%s", name);
        }
    }
    assert_non_null(code);
    assert_true(sub_name[0]);

    assert_int_equal(client_login(&c, "subby", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "user.role"), "subdistrict");
    assert_string_equal(resp_str(&r, "user.subdistrict"), SUBDISTRICT);
    assert_string_equal(resp_str(&r, "user.subdistrict_name"), sub_name);
    /* no admin route is open to it */
    static const char *const reads[] = { "/api/v1/users", "/api/v1/tokens", "/api/v1/audit",
                                         "/api/v1/audit/verify", "/api/v1/settings/policy",
                                         "/api/v1/users/1", NULL };
    for (size_t i = 0; reads[i]; i++) {
        client_call(&c, "GET", reads[i], NULL, &r);
        assert_resp(&r, 403, "forbidden");
    }
    client_pack(&c, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "sub2", "role",
                "subdistrict", "subdistrict", SUBDISTRICT);
    assert_resp(&r, 403, "forbidden");
    client_pack(&c, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "mine", "scopes", "divisions.read");
    assert_resp(&r, 403, "forbidden");
    client_call(&c, "PUT", "/api/v1/settings/policy", "{}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&c, "GET", "/api/v1/divisions?level=3&parent=" SUBDISTRICT, NULL, &r);
    assert_resp(&r, 200, NULL);

    /* made through the API by a sysadmin: a subdistrict needs a known subdistrict code */
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "sub_api", "role",
                "subdistrict", "subdistrict", SUBDISTRICT);
    assert_resp(&r, 201, NULL);
    assert_string_equal(resp_str(&r, "user.subdistrict"), SUBDISTRICT);
    assert_string_equal(resp_str(&r, "user.subdistrict_name"), sub_name);
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "sub_none", "role", "subdistrict");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "sub_bad", "role",
                "subdistrict", "subdistrict", "110102");  /* a district, not a subdistrict */
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "sub_bad2", "role",
                "subdistrict", "subdistrict", "999999999");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "dist_sub", "role",
                "district", "subdistrict", SUBDISTRICT);
    assert_resp(&r, 400, "invalid");

    resp_release(&r);
    client_release(&c);
}

static void
test_users_api(void **state)
{
    struct server *srv = *state;
    struct client c, c2;
    struct resp r = RESP_INIT;
    char temp[64], temp2[64], path[128];
    int64_t id, last = 0, total, seen = 0, sally_id;
    char next[128] = "";

    admins(srv);
    client_init(&c, srv);
    client_init(&c2, srv);

    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "Newbie", "role", "viewer");
    assert_resp(&r, 201, NULL);
    assert_string_equal(resp_str(&r, "user.username"), "newbie");
    assert_true(json_is_true(resp_get(&r, "user.must_change_password")));
    assert_non_null(resp_str(&r, "temporary_password"));
    assert_int_equal(strlen(resp_str(&r, "temporary_password")), 16);
    snprintf(temp, sizeof temp, "%s", resp_str(&r, "temporary_password"));
    id = resp_int(&r, "user.id");
    assert_true(id > 0);
    /* taken, case-insensitively */
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "NEWBIE", "role", "viewer");
    assert_resp(&r, 409, "conflict");
    /* bad names, roles, passwords */
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "ab", "role", "viewer");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "good_name", "role", "root");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "good_name", "role",
                "viewer", "password", "weak");
    assert_resp(&r, 422, "weak_password");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s}", "username", "good_name");
    assert_resp(&r, 400, "invalid");
    /* administrator roles are granted at the console only (三权分立) */
    static const char *const admin_roles[] = { "sysadmin", "secadmin", "auditor", NULL };
    for (size_t i = 0; admin_roles[i]; i++) {
        client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "would_be_admin", "role",
                    admin_roles[i]);
        assert_resp(&r, 403, "forbidden");
    }
    /* a password the sysadmin chose is one-time too: the first sign-in must change it
     * (三权分立, issue 12: the sysadmin cannot make an account and go on using it) */
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "chosen", "role",
                "viewer", "password", "Picked-Pass-77");
    assert_resp(&r, 201, NULL);
    assert_null(resp_get(&r, "temporary_password"));
    assert_true(json_is_true(resp_get(&r, "user.must_change_password")));
    assert_int_equal(client_login(&c2, "chosen", "Picked-Pass-77", NULL, &r), 200);
    assert_true(json_is_true(resp_get(&r, "user.must_change_password")));
    client_call(&c2, "GET", "/api/v1/divisions", NULL, &r);
    assert_resp(&r, 403, "password_change_required");

    /* administrator accounts are locked, disabled, reset and re-roled at the console only */
    {
        static const char *const admin_names[] = { "secky", "audrey", NULL };
        static const char *const patches[] = { "{\"locked\":true}", "{\"disabled\":true}",
                                               "{\"role\":\"viewer\"}", NULL };
        char upath[96];
        client_call(&sally, "GET", "/api/v1/users?limit=500", NULL, &r);
        assert_resp(&r, 200, NULL);
        json_t *all = json_incref(resp_get(&r, "items"));
        for (size_t k = 0; admin_names[k]; k++) {
            int64_t uid = 0;
            for (size_t i = 0; i < json_array_size(all); i++)
                if (strcmp(json_string_value(json_object_get(json_array_get(all, i), "username")), admin_names[k]) == 0)
                    uid = json_integer_value(json_object_get(json_array_get(all, i), "id"));
            assert_true(uid > 0);
            snprintf(upath, sizeof upath, "/api/v1/users/%lld", (long long)uid);
            for (size_t i = 0; patches[i]; i++) {
                client_call(&sally, "PATCH", upath, patches[i], &r);
                assert_resp(&r, 403, "forbidden");
                assert_string_equal(resp_str(&r, "error.reason"), "user_admin_account_console");
            }
            snprintf(upath, sizeof upath, "/api/v1/users/%lld/reset-password", (long long)uid);
            client_call(&sally, "POST", upath, "{}", &r);
            assert_resp(&r, 403, "forbidden");
            assert_string_equal(resp_str(&r, "error.reason"), "user_admin_account_console");
            assert_null(resp_get(&r, "temporary_password"));
        }
        json_decref(all);
        /* they still work */
        client_call(&secky, "GET", "/api/v1/settings/policy", NULL, &r);
        assert_resp(&r, 200, NULL);
        client_call(&audrey, "GET", "/api/v1/audit?limit=1", NULL, &r);
        assert_resp(&r, 200, NULL);
    }

    /* the one-time password works once the user changes it */
    assert_int_equal(client_login(&c, "newbie", temp, NULL, &r), 200);
    assert_true(json_is_true(resp_get(&r, "user.must_change_password")));

    /* paging: limit=1 walks every user exactly once, in id order */
    client_call(&sally, "GET", "/api/v1/users?limit=1", NULL, &r);
    assert_resp(&r, 200, NULL);
    total = resp_int(&r, "total");
    assert_true(total >= 8);
    for (;;) {
        size_t n = json_array_size(resp_get(&r, "items"));
        assert_true(n <= 1);
        if (n) {
            int64_t got = resp_int(&r, "items.0.id");
            assert_true(got > last);
            last = got;
            seen++;
        }
        if (!resp_str(&r, "next"))
            break;
        assert_true(seen <= total);
        snprintf(next, sizeof next, "/api/v1/users?limit=1&next=%s", resp_str(&r, "next"));
        client_call(&sally, "GET", next, NULL, &r);
        assert_resp(&r, 200, NULL);
        assert_int_equal(resp_int(&r, "total"), total);
    }
    assert_int_equal(seen, total);
    client_call(&sally, "GET", "/api/v1/users?limit=500", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal((int64_t)json_array_size(resp_get(&r, "items")), total);
    assert_true(json_is_null(resp_get(&r, "next")));
    static const char *const bad_pages[] = { "?limit=0", "?limit=501", "?limit=-1", "?limit=x",
                                             "?limit=1e2", "?next=!!!", "?next=AAAA", NULL };
    for (size_t i = 0; bad_pages[i]; i++) {
        snprintf(path, sizeof path, "/api/v1/users%s", bad_pages[i]);
        client_call(&sally, "GET", path, NULL, &r);
        assert_resp(&r, 400, "invalid");
    }

    /* one user */
    snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)id);
    client_call(&sally, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "username"), "newbie");
    client_call(&sally, "GET", "/api/v1/users/999999", NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sally, "GET", "/api/v1/users/abc", NULL, &r);
    assert_resp(&r, 404, "not_found");

    /* lock: the user's sessions end and logins fail; unlock restores */
    client_call(&sally, "PATCH", path, "{\"locked\":true}", &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "locked")));
    client_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    client_login(&c, "newbie", temp, NULL, &r);
    assert_resp(&r, 401, "login_failed");
    client_call(&sally, "PATCH", path, "{\"locked\":false}", &r);
    assert_resp(&r, 200, NULL);
    assert_false(json_is_true(resp_get(&r, "locked")));
    assert_int_equal(client_login(&c, "newbie", temp, NULL, &r), 200);

    /* disable */
    client_call(&sally, "PATCH", path, "{\"disabled\":true}", &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "disabled")));
    client_login(&c, "newbie", temp, NULL, &r);
    assert_resp(&r, 401, "login_failed");
    client_call(&sally, "PATCH", path, "{\"disabled\":false}", &r);
    assert_resp(&r, 200, NULL);

    /* role changes are checked */
    client_call(&sally, "PATCH", path, "{\"role\":\"district\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "role"), "district");
    client_call(&sally, "PATCH", path, "{\"role\":\"subdistrict\"}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&sally, "PATCH", path, "{\"role\":\"emperor\"}", &r);
    assert_resp(&r, 400, "invalid");
    for (size_t i = 0; admin_roles[i]; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"role\":\"%s\"}", admin_roles[i]);
        client_call(&sally, "PATCH", path, body, &r);
        assert_resp(&r, 403, "forbidden");
    }
    client_call(&sally, "PATCH", path, "{\"role\":\"subdistrict\",\"subdistrict\":\"" SUBDISTRICT "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "subdistrict"), SUBDISTRICT);
    client_call(&sally, "PATCH", path, "{\"role\":\"viewer\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_null(resp_get(&r, "subdistrict")));
    client_call(&sally, "PATCH", "/api/v1/users/999999", "{\"locked\":true}", &r);
    assert_resp(&r, 404, "not_found");

    /* nobody locks or demotes themselves */
    client_call(&sally, "GET", "/api/v1/auth/me", NULL, &r);
    sally_id = resp_int(&r, "user.id");
    snprintf(next, sizeof next, "/api/v1/users/%lld", (long long)sally_id);
    client_call(&sally, "PATCH", next, "{\"locked\":true}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&sally, "PATCH", next, "{\"role\":\"viewer\"}", &r);
    assert_true(r.status == 400 || r.status == 403);
    snprintf(next, sizeof next, "/api/v1/users/%lld/reset-password", (long long)sally_id);
    client_call(&sally, "POST", next, NULL, &r);
    assert_resp(&r, 400, "invalid");

    /* reset: a new one-time password, the old one stops working, sessions end */
    assert_int_equal(client_login(&c, "newbie", temp, NULL, &r), 200);
    snprintf(next, sizeof next, "/api/v1/users/%lld/reset-password", (long long)id);
    client_call(&sally, "POST", next, "{}", &r);
    assert_resp(&r, 200, NULL);
    assert_non_null(resp_str(&r, "temporary_password"));
    snprintf(temp2, sizeof temp2, "%s", resp_str(&r, "temporary_password"));
    assert_string_not_equal(temp, temp2);
    client_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    client_login(&c, "newbie", temp, NULL, &r);
    assert_resp(&r, 401, "login_failed");
    assert_int_equal(client_login(&c, "newbie", temp2, NULL, &r), 200);
    assert_true(json_is_true(resp_get(&r, "user.must_change_password")));
    client_call(&sally, "POST", "/api/v1/users/999999/reset-password", NULL, &r);
    assert_resp(&r, 404, "not_found");

    /* every change is in the audit log */
    json_t *e;
    static const char *const acts[] = { "user.create", "user.update", "user.password.reset", NULL };
    snprintf(path, sizeof path, "user:%lld", (long long)id);
    for (size_t i = 0; acts[i]; i++) {
        e = find_audit(acts[i], "sally", path);
        assert_non_null(e);
        json_decref(e);
    }
    resp_release(&r);
    client_release(&c);
    client_release(&c2);
}

static void
test_tokens_api(void **state)
{
    struct server *srv = *state;
    struct client t;
    struct resp r = RESP_INIT;
    char secret[128], path[64];
    int64_t id;
    json_t *items, *mine = NULL;

    admins(srv);
    client_init(&t, srv);
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "ingest", "scopes", "divisions.read");
    assert_resp(&r, 201, NULL);
    id = resp_int(&r, "id");
    assert_true(id > 0);
    assert_non_null(resp_str(&r, "token"));
    snprintf(secret, sizeof secret, "%s", resp_str(&r, "token"));
    assert_true(strncmp(secret, "jy_", 3) == 0);
    assert_true(strlen(secret) >= 40);

    /* listed without its secret */
    client_call(&sally, "GET", "/api/v1/tokens", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_null(strstr(r.body.data, secret));
    assert_null(strstr(r.body.data, secret + 3));
    items = resp_get(&r, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (json_integer_value(json_object_get(json_array_get(items, i), "id")) == id)
            mine = json_array_get(items, i);
    assert_non_null(mine);
    assert_string_equal(json_string_value(json_object_get(mine, "name")), "ingest");
    assert_string_equal(json_string_value(json_object_get(mine, "scopes")), "divisions.read");
    assert_int_equal(json_integer_value(json_object_get(mine, "revoked_at")), 0);
    assert_null(json_object_get(mine, "token"));
    assert_null(json_object_get(mine, "token_hash"));

    /* it can do what its scope allows, and nothing more */
    snprintf(t.bearer, sizeof t.bearer, "%s", secret);
    client_call(&t, "GET", "/api/v1/divisions?level=1", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&t, "GET", "/api/v1/users", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_pack(&t, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "by_token", "role", "viewer");
    assert_resp(&r, 403, "forbidden");
    client_call(&t, "GET", "/api/v1/tokens", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&t, "GET", "/api/v1/audit", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&t, "GET", "/api/v1/sites", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    /* a token cannot mint tokens */
    client_pack(&t, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "child", "scopes", "divisions.read");
    assert_resp(&r, 403, "forbidden");

    /* administration, the audit log and reveal are never delegated to a token */
    static const char *const admin_scopes[] = { "users.read", "users.write", "tokens.read", "tokens.write",
                                                "settings.read", "settings.write", "audit.read",
                                                "pii.reveal", "divisions.read,users.read", NULL };
    for (size_t i = 0; admin_scopes[i]; i++) {
        client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "admin", "scopes", admin_scopes[i]);
        assert_resp(&r, 403, "forbidden");
        assert_null(resp_get(&r, "token"));
    }

    /* a token never exceeds its creator: the sysadmin holds no data permission, so it cannot
     * mint a token that writes lab results or reads samples (三权分立, issue 12) */
    static const char *const data_scopes[] = { "results.write", "samples.read", "divisions.read,checkins.write",
                                               NULL };
    for (size_t i = 0; data_scopes[i]; i++) {
        client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "data", "scopes", data_scopes[i]);
        assert_resp(&r, 403, "forbidden");
        assert_string_equal(resp_str(&r, "error.reason"), "token_scope_exceeds_creator");
        assert_null(resp_get(&r, "token"));
    }

    /* bad requests */
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "x", "scopes", "divisions.read,root.all");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "", "scopes", "divisions.read");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s}", "name", "noscopes");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s, s:s}", "name", "x", "scopes",
                "divisions.read", "subdistrict", "999999999");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s, s:s}", "name", "scoped", "scopes",
                "divisions.read", "subdistrict", SUBDISTRICT);
    assert_resp(&r, 201, NULL);

    /* revoke: 204, then the token is dead; a second revoke is 404 */
    snprintf(path, sizeof path, "/api/v1/tokens/%lld", (long long)id);
    client_call(&sally, "DELETE", path, NULL, &r);
    assert_resp(&r, 204, NULL);
    client_call(&t, "GET", "/api/v1/divisions", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    client_call(&sally, "DELETE", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sally, "DELETE", "/api/v1/tokens/abc", NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sally, "DELETE", "/api/v1/tokens/0", NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sally, "GET", "/api/v1/tokens", NULL, &r);
    items = resp_get(&r, "items");
    mine = NULL;
    for (size_t i = 0; i < json_array_size(items); i++)
        if (json_integer_value(json_object_get(json_array_get(items, i), "id")) == id)
            mine = json_array_get(items, i);
    assert_non_null(mine);
    assert_true(json_integer_value(json_object_get(mine, "revoked_at")) > 0);

    snprintf(path, sizeof path, "token:%lld", (long long)id);
    json_t *e = find_audit("token.create", "sally", path);
    assert_non_null(e);
    json_decref(e);
    e = find_audit("token.revoke", "sally", path);
    assert_non_null(e);
    json_decref(e);
    resp_release(&r);
    client_release(&t);
}

/* Issue 12: the check-in map shows who scanned where: it needs checkins.read, not sites.read. */
static void
test_map_checkins_permission(void **state)
{
    struct server *srv = *state;
    struct client v, d;
    struct resp r = RESP_INIT;
    client_init(&v, srv);
    client_init(&d, srv);
    assert_int_equal(client_login(&v, "vic", SERVER_PASSWORD, NULL, &r), 200);
    assert_int_equal(client_login(&d, "dora", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&v, "GET", "/api/v1/map/sites", NULL, &r);
    assert_resp(&r, 200, NULL); /* the viewer reads sites ... */
    client_call(&v, "GET", "/api/v1/map/checkins", NULL, &r);
    assert_resp(&r, 403, "forbidden"); /* ... but not check-ins */
    assert_non_null(strstr(r.body.data, "checkins.read"));
    client_call(&d, "GET", "/api/v1/map/checkins", NULL, &r);
    assert_int_not_equal(r.status, 403);
    resp_release(&r);
    client_release(&v);
    client_release(&d);
}

/* Issue 12: the webhook allow-list is the secadmin's; changes are audited old and new. */
static void
test_webhook_allow_list(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT;
    admins(srv);
    client_call(&secky, "PUT", "/api/v1/settings/webhook-allow", "{\"hosts\":[\"gis.example.cn\",\"*.map.cn\"]}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "hosts.1"), "*.map.cn");
    client_call(&secky, "PUT", "/api/v1/settings/webhook-allow", "{\"hosts\":[\"Bad Host\"]}", &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.reason"), "webhook_allow_entry");
    client_call(&sally, "PUT", "/api/v1/settings/webhook-allow", "{\"hosts\":[]}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&sally, "GET", "/api/v1/settings/webhook-allow", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "hosts")), 2);
    json_t *e = find_audit("settings.webhook_allow.update", "secky", NULL);
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "detail")), "old=- new=gis.example.cn,*.map.cn");
    json_decref(e);
    resp_release(&r);
}

static void
test_errors_clean(void **state)
{
    server_assert_clean_errors(*state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_denial_is_audited),
        cmocka_unit_test(test_role_separation),
        cmocka_unit_test(test_subdistrict_account),
        cmocka_unit_test(test_users_api),
        cmocka_unit_test(test_tokens_api),
        cmocka_unit_test(test_map_checkins_permission),
        cmocka_unit_test(test_webhook_allow_list),
        cmocka_unit_test(test_errors_clean),
    };
    int failed = server_run("e2e_access", tests, sizeof tests / sizeof tests[0], prepare);
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&audrey);
        client_release(&secky);
    }
    return failed;
}
