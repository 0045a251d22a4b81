/* tests/unit/domain/account/test_token.c - API tokens of domain/account/token.h (R2.x ingest clients, S6
 * access control: secrets shown once and stored hashed), on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/arena.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/platform/audit.h"
#include "domain/account/session.h"
#include "domain/account/token.h"

#define P(x) PERM_SET(PERM_BIT_##x)

static int
authn(struct apptest *at, const struct buf *secret, struct actor *a)
{
    memset(a, 0, sizeof *a);
    return token_authenticate(&at->app, at->db, secret->data, secret->len, a);
}

static void
test_create_and_authenticate(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    struct actor a;
    struct arena arena = ARENA_INIT;
    int64_t id = 0;
    char name[32];

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "hospital feed",
                                  P(DASHBOARD_READ) | P(DIVISIONS_READ), NULL, &secret, &id),
                     0);
    assert_true(id > 0);
    assert_int_equal(secret.len, 46);
    assert_true(strncmp(secret.data, "jy_", 3) == 0);

    assert_int_equal(authn(at, &secret, &a), 0);
    assert_int_equal(a.kind, ACTOR_TOKEN);
    assert_int_equal(a.id, id);
    snprintf(name, sizeof name, "token:%lld", (long long)id);
    assert_string_equal(a.name, name);
    assert_int_equal(a.role, ROLE_NONE);
    assert_int_equal(a.perms, P(DASHBOARD_READ) | P(DIVISIONS_READ));
    assert_string_equal(a.subdistrict, "");
    assert_true(actor_can(&a, PERM_BIT_DASHBOARD_READ));
    assert_false(actor_can(&a, PERM_BIT_USERS_WRITE));
    assert_true(actor_in_scope(&a, APPTEST_SUBDISTRICT));

    /* audited, with the scopes and never the secret */
    struct audit_query q = { .action = "token.create", .limit = 5 };
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(audit_list(at->db, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].target, name);
    assert_string_equal(items[0].detail, "dashboard.read,divisions.read");
    assert_null(strstr(items[0].detail, secret.data + 3));
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release_secret(&secret);
}

static void
test_subdistrict_scope(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    struct actor a;
    int64_t id = 0;

    assert_int_equal(token_create(&at->app, at->db, &at->admin, "street office",
                                  P(DASHBOARD_READ), APPTEST_SUBDISTRICT, &secret, &id),
                     0);
    assert_int_equal(authn(at, &secret, &a), 0);
    assert_string_equal(a.subdistrict, APPTEST_SUBDISTRICT);
    assert_true(actor_in_scope(&a, APPTEST_SUBDISTRICT));
    assert_false(actor_in_scope(&a, APPTEST_SUBDISTRICT2));

    /* only a known subdistrict may scope a token */
    buf_reset(&secret);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "bad", P(DASHBOARD_READ), "110102",
                                  &secret, &id),
                     ERR_INVALID);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "bad", P(DASHBOARD_READ),
                                  "110102001004", &secret, &id),
                     ERR_INVALID);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "bad", P(DASHBOARD_READ), "999999999",
                                  &secret, &id),
                     ERR_INVALID);
    assert_int_equal(secret.len, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM api_tokens", 0), 1);
    buf_release_secret(&secret);
}

static void
test_invalid_names(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    int64_t id = 0;
    char long_name[120];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    static const char *const bad[] = { "", "line\nbreak", "tab\there", "\xff\xfe" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(token_create(&at->app, at->db, &at->admin, bad[i], P(DASHBOARD_READ), NULL,
                                      &secret, &id),
                         ERR_INVALID);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, long_name, P(DASHBOARD_READ), NULL,
                                  &secret, &id),
                     ERR_INVALID);
    assert_int_equal(secret.len, 0);
    /* UTF-8 names are fine */
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "西长安街 接口", P(DASHBOARD_READ), NULL,
                                  &secret, &id),
                     0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM api_tokens", 0), 1);
    buf_release_secret(&secret);
}

/* Only HMAC(token key, secret) is stored. */
static void
test_stored_hashed(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    uint8_t digest[32], raw[64];
    size_t rn = 0, hn = 0, sn = 0, nn = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;

    assert_int_equal(token_create(&at->app, at->db, &at->admin, "feed", P(DASHBOARD_READ), NULL, &secret, &id), 0);
    assert_int_equal(b64url_decode(secret.data + 3, secret.len - 3, raw, sizeof raw, &rn), 0);
    assert_int_equal(rn, 32);
    assert_int_equal(secret_digest(&at->app.keys, secret.data, secret.len, digest), 0);
    assert_int_equal(db_prepare(at->db, "SELECT token_hash, scopes, name FROM api_tokens WHERE id = ?1", &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *hash = db_col_blob(st, 0, &hn);
    const char *scopes = db_col_text(st, 1, &sn);
    const char *name = db_col_text(st, 2, &nn);
    assert_int_equal(hn, 32);
    assert_memory_equal(hash, digest, 32);
    assert_false(apptest_memmem(hash, hn, secret.data + 3, 16));
    assert_false(apptest_memmem(hash, hn, raw, 16));
    assert_false(apptest_memmem(scopes, sn, secret.data + 3, 16));
    assert_false(apptest_memmem(name, nn, secret.data + 3, 16));
    db_done(st);
    buf_release_secret(&secret);
}

static void
test_bad_secrets(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT, bad = BUF_INIT;
    struct actor a;
    int64_t id = 0;
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "feed", P(DASHBOARD_READ), NULL, &secret, &id), 0);

    buf_add(&bad, secret.data, secret.len);
    bad.data[10] = bad.data[10] == 'x' ? 'y' : 'x';
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    buf_add(&bad, "xx_", 3); /* the right random part with another prefix */
    buf_add(&bad, secret.data + 3, secret.len - 3);
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    buf_add(&bad, secret.data + 3, secret.len - 3);
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    buf_add(&bad, secret.data, 9);
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    buf_add(&bad, secret.data, secret.len);
    for (int i = 0; i < 100; i++)
        buf_addch(&bad, 'a');
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);
    /* a session cookie is not an API token */
    buf_reset(&bad);
    struct session s;
    int64_t uid = apptest_user(at, "sam", ROLE_VIEWER, NULL, NULL, NULL);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &bad, &s), 0);
    assert_int_equal(authn(at, &bad, &a), ERR_UNAUTHENTICATED);

    assert_int_equal(authn(at, &secret, &a), 0);
    buf_release_secret(&bad);
    buf_release_secret(&secret);
}

static void
test_revoke(void **state)
{
    struct apptest *at = *state;
    struct buf s1 = BUF_INIT, s2 = BUF_INIT;
    struct actor a;
    int64_t id1 = 0, id2 = 0;
    char target[32];

    assert_int_equal(token_create(&at->app, at->db, &at->admin, "one", P(DASHBOARD_READ), NULL, &s1, &id1), 0);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "two", P(DASHBOARD_READ), NULL, &s2, &id2), 0);
    time_set_fake_ms(APPTEST_T0 + 777);
    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, id1), 0);
    assert_int_equal(authn(at, &s1, &a), ERR_UNAUTHENTICATED);
    assert_int_equal(authn(at, &s2, &a), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT revoked_at FROM api_tokens WHERE id = ?1", id1), APPTEST_T0 + 777);

    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, id1), ERR_NOT_FOUND);
    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, id2 + 100), ERR_NOT_FOUND);
    snprintf(target, sizeof target, "token:%lld", (long long)id1);
    assert_int_equal(apptest_count_audit(at->db, "token.revoke", target, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "token.revoke", NULL, NULL), 1);
    /* the failed revokes left the connection usable */
    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, id2), 0);
    assert_int_equal(authn(at, &s2, &a), ERR_UNAUTHENTICATED);
    apptest_audit_intact(at);
    buf_release_secret(&s1);
    buf_release_secret(&s2);
}

static void
test_list(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct token_info *items = NULL;
    size_t n = 0;
    int64_t ids[40];
    char name[32];

    assert_int_equal(token_list(at->db, &arena, &items, &n), 0);
    assert_int_equal(n, 0);

    time_set_fake_ms(APPTEST_T0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "feed-%02d", i);
        buf_reset(&secret);
        assert_int_equal(token_create(&at->app, at->db, &at->admin, name,
                                      i % 2 ? P(DASHBOARD_READ) : P(DASHBOARD_READ) | P(DIVISIONS_READ),
                                      i == 3 ? APPTEST_SUBDISTRICT : NULL, &secret, &ids[i]),
                         0);
    }
    time_set_fake_ms(APPTEST_T0 + 90000);
    struct actor a;
    assert_int_equal(authn(at, &secret, &a), 0); /* the last one is used */
    assert_int_equal(token_revoke(&at->app, at->db, &at->admin, ids[5]), 0);

    assert_int_equal(token_list(at->db, &arena, &items, &n), 0);
    assert_int_equal(n, 40);
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "feed-%02zu", i);
        assert_int_equal(items[i].id, ids[i]);
        assert_string_equal(items[i].name, name);
        assert_string_equal(items[i].scopes, i % 2 ? "dashboard.read" : "dashboard.read,divisions.read");
        assert_string_equal(items[i].subdistrict, i == 3 ? APPTEST_SUBDISTRICT : "");
        assert_int_equal(items[i].created_at, APPTEST_T0);
        assert_int_equal(items[i].revoked_at, i == 5 ? APPTEST_T0 + 90000 : 0);
        assert_int_equal(items[i].last_used_at, i == 39 ? APPTEST_T0 + 90000 : 0);
    }
    arena_release(&arena);
    buf_release_secret(&secret);
}

/* last_used_at is written at most once a minute. */
static void
test_last_used(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    struct actor a;
    int64_t id = 0;

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(token_create(&at->app, at->db, &at->admin, "feed", P(DASHBOARD_READ), NULL, &secret, &id), 0);
    assert_int_equal(authn(at, &secret, &a), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT last_used_at FROM api_tokens WHERE id = ?1", id), APPTEST_T0);
    time_set_fake_ms(APPTEST_T0 + 30000);
    assert_int_equal(authn(at, &secret, &a), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT last_used_at FROM api_tokens WHERE id = ?1", id), APPTEST_T0);
    time_set_fake_ms(APPTEST_T0 + 60001);
    assert_int_equal(authn(at, &secret, &a), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT last_used_at FROM api_tokens WHERE id = ?1", id), APPTEST_T0 + 60001);
    buf_release_secret(&secret);
}

/* 三权分立: administration, the audit log and personal-data reveal are never delegated to
 * an API token. */
static void
test_admin_scopes_refused(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    int64_t id = 0;
    static const char *const admin[] = { "users.read", "users.write", "tokens.read", "tokens.write",
                                         "settings.read", "settings.write", "audit.read", "pii.reveal",
                                         "webhooks.read", "webhooks.write" };
    for (size_t i = 0; i < sizeof admin / sizeof *admin; i++) {
        perm_set set = 0;
        const char *bad = NULL;
        size_t bad_len = 0;
        if (perm_parse_scopes(admin[i], &set, &bad, &bad_len))
            continue; /* no such scope (any more) */
        if (token_create(&at->app, at->db, &at->admin, "admin-ish", set | P(DASHBOARD_READ), NULL,
                         &secret, &id) != ERR_FORBIDDEN)
            fail_msg("a token with scope %s was created", admin[i]);
    }
    assert_int_equal(secret.len, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM api_tokens", 0), 0);
    assert_int_equal(apptest_count_audit(at->db, "token.create", NULL, NULL), 0);
    buf_release(&secret);
}

/* A token never exceeds its creator (issue 12): an online actor grants only scopes it holds
 * itself, and a subdistrict-bound one only its own subdistrict; the console grants any data
 * scope. */
static void
test_scopes_within_creator(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT, why = BUF_INIT;
    struct actor sys = at->admin, sysadmin = { 0 }, street = { 0 };
    int64_t id = 0;

    sysadmin.kind = ACTOR_USER;
    sysadmin.id = 7;
    sysadmin.role = ROLE_SYSADMIN;
    sysadmin.perms = role_perms(ROLE_SYSADMIN);
    street.kind = ACTOR_USER;
    street.id = 8;
    street.role = ROLE_SUBDISTRICT;
    street.perms = role_perms(ROLE_SUBDISTRICT) | P(TOKENS_WRITE);
    snprintf(street.subdistrict, sizeof street.subdistrict, "110102001");

    assert_int_equal(token_check_grant(&sysadmin, P(RESULTS_WRITE), NULL, &why), ERR_FORBIDDEN);
    assert_string_equal(why.data, "a token may not carry a scope its creator does not hold");
    assert_int_equal(token_create(&at->app, at->db, &sysadmin, "lab", P(RESULTS_WRITE), NULL, &secret, &id),
                     ERR_FORBIDDEN);
    assert_int_equal(token_create(&at->app, at->db, &sysadmin, "map", P(DIVISIONS_READ), NULL, &secret, &id), 0);
    buf_release_secret(&secret);
    /* the subdistrict account: its own scopes, its own subdistrict */
    assert_int_equal(token_create(&at->app, at->db, &street, "x", P(SITES_WRITE), "110102001", &secret, &id),
                     ERR_FORBIDDEN);
    buf_reset(&why);
    assert_int_equal(token_check_grant(&street, P(ACTUALS_WRITE), NULL, &why), ERR_FORBIDDEN);
    assert_string_equal(why.data, "a token may not reach beyond its creator's subdistrict");
    assert_int_equal(token_create(&at->app, at->db, &street, "x", P(ACTUALS_WRITE), "110102002", &secret, &id),
                     ERR_FORBIDDEN);
    assert_int_equal(token_create(&at->app, at->db, &street, "x", P(ACTUALS_WRITE), "110102001", &secret, &id), 0);
    buf_release_secret(&secret);
    /* the console */
    assert_int_equal(token_create(&at->app, at->db, &sys, "lab", P(RESULTS_WRITE), NULL, &secret, &id), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM api_tokens", 0), 3);
    buf_release_secret(&secret);
    buf_release(&why);
}

/* A row written with an admin scope (an older version, a hand edit) does not grant it. */
static void
test_stored_admin_scope_masked(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT;
    struct actor a;
    uint8_t digest[32];
    struct db_stmt *st = NULL;
    bool row = false;
    static const char scopes[] = "users.write,audit.read,dashboard.read,pii.reveal";

    assert_int_equal(secret_generate("jy_", &secret), 0);
    assert_int_equal(secret_digest(&at->app.keys, secret.data, secret.len, digest), 0);
    assert_int_equal(db_prepare(at->db, "INSERT INTO api_tokens (name, token_hash, scopes, created_at)"
                                        " VALUES ('old', ?1, ?2, 0)", &st),
                     0);
    assert_int_equal(db_bind_blob(st, 1, digest, sizeof digest), 0);
    assert_int_equal(db_bind_text(st, 2, scopes, strlen(scopes)), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
    assert_int_equal(authn(at, &secret, &a), 0);
    assert_int_equal(a.perms, P(DASHBOARD_READ));
    assert_false(actor_can(&a, PERM_BIT_USERS_WRITE));
    assert_false(actor_can(&a, PERM_BIT_AUDIT_READ));
    assert_false(actor_can(&a, PERM_BIT_PII_REVEAL));
    buf_release_secret(&secret);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create_and_authenticate),
        APPTEST(test_subdistrict_scope),
        APPTEST(test_invalid_names),
        APPTEST(test_stored_hashed),
        APPTEST(test_bad_secrets),
        APPTEST(test_revoke),
        APPTEST(test_list),
        APPTEST(test_last_used),
        APPTEST(test_admin_scopes_refused),
        APPTEST(test_stored_admin_scope_masked),
        APPTEST(test_scopes_within_creator),
    };
    return apptest_run("domain_token", tests, sizeof tests / sizeof tests[0]);
}
