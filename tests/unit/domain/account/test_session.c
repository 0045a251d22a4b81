/* tests/unit/domain/account/test_session.c - server-side login sessions of domain/account/session.h (S6:
 * session timeouts, tokens stored hashed), on SQLite and PostgreSQL.
 *
 * Timeouts are driven by the fake clock (time_set_fake_ms), never by sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/account/session.h"
#include "domain/account/user.h"

/* ---- helpers ------------------------------------------------------------------------ */

static int64_t
session_rows(struct apptest *at, int64_t sid)
{
    return apptest_i64(at->db, "SELECT count(*) FROM sessions WHERE id = ?1", sid);
}

static int
lookup(struct apptest *at, const struct buf *token, struct session *s, struct user *u)
{
    return session_lookup(&at->app, at->db, token->data, token->len, s, u);
}

static bool
b64url_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* ---- tests -------------------------------------------------------------------------- */

static void
test_create_and_lookup(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT, token2 = BUF_INIT;
    struct session s, found, s2;
    struct user u;
    int64_t uid = apptest_user(at, "alice", ROLE_DISTRICT, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "198.51.100.4", &token, &s), 0);
    assert_true(s.id > 0);
    assert_int_equal(s.user_id, uid);
    assert_int_equal(s.created_at, APPTEST_T0);
    assert_int_equal(s.last_seen_at, APPTEST_T0);
    assert_int_equal(token.len, 43); /* 32 random bytes, URL-safe base64 */
    assert_true(b64url_text(token.data, token.len));
    assert_int_equal(strlen(s.csrf), 43);
    assert_string_not_equal(s.csrf, token.data);

    assert_int_equal(lookup(at, &token, &found, &u), 0);
    assert_int_equal(found.id, s.id);
    assert_int_equal(found.user_id, uid);
    assert_string_equal(found.csrf, s.csrf);
    assert_int_equal(u.id, uid);
    assert_string_equal(u.username, "alice");

    /* each session has its own token and CSRF token */
    assert_int_equal(session_create(&at->app, at->db, uid, "198.51.100.4", &token2, &s2), 0);
    assert_int_not_equal(s2.id, s.id);
    assert_string_not_equal(token.data, token2.data);
    assert_string_not_equal(s.csrf, s2.csrf);
    assert_int_equal(lookup(at, &token2, &found, &u), 0);
    assert_int_equal(found.id, s2.id);

    /* unknown, altered, too short and too long tokens */
    struct buf bad = BUF_INIT;
    buf_add(&bad, token.data, token.len);
    bad.data[5] = bad.data[5] == 'A' ? 'B' : 'A';
    assert_int_equal(lookup(at, &bad, &found, &u), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    buf_add(&bad, token.data, 15);
    assert_int_equal(lookup(at, &bad, &found, &u), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    for (int i = 0; i < 200; i++)
        buf_addch(&bad, 'a');
    assert_int_equal(lookup(at, &bad, &found, &u), ERR_UNAUTHENTICATED);
    buf_reset(&bad);
    buf_add(&bad, token.data, token.len - 1);
    assert_int_equal(lookup(at, &bad, &found, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(session_lookup(&at->app, at->db, "", 0, &found, &u), ERR_UNAUTHENTICATED);

    buf_release(&bad);
    buf_release_secret(&token);
    buf_release_secret(&token2);
}

/* The database holds only HMAC(token key, token): neither the cookie value nor its raw
 * bytes appear in the row. */
static void
test_token_stored_hashed(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s;
    uint8_t raw[64], digest[32];
    size_t rn = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t uid = apptest_user(at, "bob", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(session_create(&at->app, at->db, uid, "10.1.2.3", &token, &s), 0);
    assert_int_equal(b64url_decode(token.data, token.len, raw, sizeof raw, &rn), 0);
    assert_int_equal(rn, 32);
    assert_int_equal(secret_digest(&at->app.keys, token.data, token.len, digest), 0);

    assert_int_equal(db_prepare(at->db, "SELECT token_hash, csrf_token, ip FROM sessions WHERE id = ?1", &st), 0);
    assert_int_equal(db_bind_i64(st, 1, s.id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    size_t hn = 0, cn = 0, in = 0;
    const uint8_t *hash = db_col_blob(st, 0, &hn);
    const char *csrf = db_col_text(st, 1, &cn);
    const char *ip = db_col_text(st, 2, &in);
    assert_int_equal(hn, 32);
    assert_memory_equal(hash, digest, 32);
    assert_false(apptest_memmem(hash, hn, token.data, 16));
    assert_false(apptest_memmem(hash, hn, raw, 16));
    assert_false(apptest_memmem(csrf, cn, token.data, 16));
    assert_int_equal(in, 8);
    assert_memory_equal(ip, "10.1.2.3", 8);
    db_done(st);
    /* nowhere else either */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sessions", 0), 1);

    /* the digest is keyed: another keyring gives another digest, and cannot look it up */
    struct app other = at->app;
    uint8_t k[DATA_KEY_LEN], d2[32];
    memset(&other.keys, 0, sizeof other.keys);
    assert_int_equal(crypto_random(k, sizeof k), 0);
    assert_int_equal(keyring_add(&other.keys, 1, k), 0);
    assert_int_equal(secret_digest(&other.keys, token.data, token.len, d2), 0);
    assert_memory_not_equal(d2, digest, 32);
    struct session f;
    struct user u;
    assert_int_equal(session_lookup(&other, at->db, token.data, token.len, &f, &u), ERR_UNAUTHENTICATED);
    keyring_wipe(&other.keys);
    buf_release_secret(&token);
}

/* The token key of the oldest data key keeps sessions valid across a key rotation. */
static void
test_survives_key_rotation(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    uint8_t k[DATA_KEY_LEN];
    int64_t uid = apptest_user(at, "carl", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    assert_int_equal(crypto_random(k, sizeof k), 0);
    assert_int_equal(keyring_add(&at->app.keys, 2, k), 0);
    assert_int_equal(keyring_active(&at->app.keys)->id, 2);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    assert_int_equal(f.id, s.id);
    buf_release_secret(&token);
}

static void
test_idle_timeout(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    int64_t idle = at->app.policy.session_idle_ms;
    int64_t uid = apptest_user(at, "carol", ROLE_DISTRICT, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    /* exactly idle_ms later is still alive, and the visit counts */
    time_set_fake_ms(APPTEST_T0 + idle);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    assert_int_equal(f.last_seen_at, APPTEST_T0 + idle);
    /* idle again from the last visit */
    time_set_fake_ms(APPTEST_T0 + 2 * idle);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    time_set_fake_ms(APPTEST_T0 + 3 * idle + 1);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(session_rows(at, s.id), 0);
    /* and it stays dead when the clock goes back */
    time_set_fake_ms(APPTEST_T0 + idle);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    buf_release_secret(&token);
}

/* last_seen_at is written at most once a minute. */
static void
test_touch_once_a_minute(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    int64_t uid = apptest_user(at, "chad", ROLE_VIEWER, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    time_set_fake_ms(APPTEST_T0 + 30000);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT last_seen_at FROM sessions WHERE id = ?1", s.id), APPTEST_T0);
    time_set_fake_ms(APPTEST_T0 + 60001);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    assert_int_equal(f.last_seen_at, APPTEST_T0 + 60001);
    assert_int_equal(apptest_i64(at->db, "SELECT last_seen_at FROM sessions WHERE id = ?1", s.id),
                     APPTEST_T0 + 60001);
    buf_release_secret(&token);
}

static void
test_absolute_timeout(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    int64_t idle = at->app.policy.session_idle_ms;
    int64_t abs_ms = at->app.policy.session_absolute_ms;
    int64_t uid = apptest_user(at, "dan", ROLE_DISTRICT, NULL, NULL, NULL);
    int64_t t = APPTEST_T0;

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    /* busy all day: a visit before every idle timeout */
    while (t + idle - 1000 <= APPTEST_T0 + abs_ms) {
        t += idle - 1000;
        time_set_fake_ms(t);
        assert_int_equal(lookup(at, &token, &f, &u), 0);
    }
    time_set_fake_ms(APPTEST_T0 + abs_ms);
    assert_int_equal(lookup(at, &token, &f, &u), 0);
    time_set_fake_ms(APPTEST_T0 + abs_ms + 1);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(session_rows(at, s.id), 0);
    buf_release_secret(&token);
}

static void
test_policy_timeouts_apply(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    int64_t uid = apptest_user(at, "dina", ROLE_VIEWER, NULL, NULL, NULL);

    at->app.policy.session_idle_ms = 120000;
    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    time_set_fake_ms(APPTEST_T0 + 120001);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    buf_release_secret(&token);
}

/* A session of a user who became locked or disabled is refused, even when the lock did not
 * go through user_update (an auth lockout leaves sessions in place). */
static void
test_locked_or_disabled_user(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s, f;
    struct user u;
    struct actor who;
    int64_t uid = apptest_user(at, "erin", ROLE_DISTRICT, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(session_create(&at->app, at->db, uid, "", &token, &s), 0);
    for (int i = 0; i < at->app.policy.lockout_attempts; i++) {
        memset(&who, 0, sizeof who);
        assert_int_equal(auth_login(&at->app, at->db, &who, "erin", "Wrong-Password-1", NULL, &u),
                         i + 1 < at->app.policy.lockout_attempts ? ERR_LOGIN_FAILED : ERR_LOGIN_LOCKED);
    }
    assert_int_equal(session_rows(at, s.id), 1);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    /* the lock expires: the session (still within its timeouts) works again */
    at->app.policy.session_idle_ms = 86400000;
    time_set_fake_ms(APPTEST_T0 + at->app.policy.lockout_ms + 1);
    assert_int_equal(lookup(at, &token, &f, &u), 0);

    assert_int_equal(db_exec(at->db, "UPDATE users SET disabled = 1"), 0);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(db_exec(at->db, "UPDATE users SET disabled = 0"), 0);
    assert_int_equal(lookup(at, &token, &f, &u), 0);

    /* through user_update the sessions are ended outright */
    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, uid, true), 0);
    assert_int_equal(session_rows(at, s.id), 0);
    assert_int_equal(lookup(at, &token, &f, &u), ERR_UNAUTHENTICATED);
    buf_release_secret(&token);
}

static void
test_end_and_end_user(void **state)
{
    struct apptest *at = *state;
    struct buf t1 = BUF_INIT, t2 = BUF_INIT, t3 = BUF_INIT, t4 = BUF_INIT;
    struct session s1, s2, s3, s4, f;
    struct user u;
    int64_t a = apptest_user(at, "frank", ROLE_VIEWER, NULL, NULL, NULL);
    int64_t b = apptest_user(at, "gina", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(session_create(&at->app, at->db, a, "", &t1, &s1), 0);
    assert_int_equal(session_create(&at->app, at->db, a, "", &t2, &s2), 0);
    assert_int_equal(session_create(&at->app, at->db, a, "", &t3, &s3), 0);
    assert_int_equal(session_create(&at->app, at->db, b, "", &t4, &s4), 0);

    assert_int_equal(session_end(at->db, s1.id), 0);
    assert_int_equal(lookup(at, &t1, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(lookup(at, &t2, &f, &u), 0);
    assert_int_equal(session_end(at->db, s1.id), 0); /* ending twice is harmless */

    assert_int_equal(session_end_user(at->db, a, s3.id), 0);
    assert_int_equal(lookup(at, &t2, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(lookup(at, &t3, &f, &u), 0);
    assert_int_equal(lookup(at, &t4, &f, &u), 0);

    assert_int_equal(session_end_user(at->db, a, 0), 0);
    assert_int_equal(lookup(at, &t3, &f, &u), ERR_UNAUTHENTICATED);
    assert_int_equal(lookup(at, &t4, &f, &u), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sessions", 0), 1);

    buf_release_secret(&t1);
    buf_release_secret(&t2);
    buf_release_secret(&t3);
    buf_release_secret(&t4);
}

static void
test_unknown_user(void **state)
{
    struct apptest *at = *state;
    struct buf token = BUF_INIT;
    struct session s;
    /* the foreign key refuses a session for no user */
    assert_int_not_equal(session_create(&at->app, at->db, 12345, "", &token, &s), 0);
    assert_int_equal(token.len, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sessions", 0), 0);
    buf_release(&token);
}

static void
test_secret_generate(void **state)
{
    (void)state;
    struct buf a = BUF_INIT, b = BUF_INIT;
    assert_int_equal(secret_generate("jy_", &a), 0);
    assert_int_equal(secret_generate("jy_", &b), 0);
    assert_int_equal(a.len, 46);
    assert_true(strncmp(a.data, "jy_", 3) == 0);
    assert_true(b64url_text(a.data + 3, a.len - 3));
    assert_string_not_equal(a.data, b.data);
    struct keyring empty = { 0 };
    uint8_t d[32];
    assert_int_equal(secret_digest(&empty, a.data, a.len, d), ERR_CRYPTO);
    buf_release_secret(&a);
    buf_release_secret(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create_and_lookup),
        APPTEST(test_token_stored_hashed),
        APPTEST(test_survives_key_rotation),
        APPTEST(test_idle_timeout),
        APPTEST(test_touch_once_a_minute),
        APPTEST(test_absolute_timeout),
        APPTEST(test_policy_timeouts_apply),
        APPTEST(test_locked_or_disabled_user),
        APPTEST(test_end_and_end_user),
        APPTEST(test_unknown_user),
        cmocka_unit_test(test_secret_generate),
    };
    return apptest_run("domain_session", tests, sizeof tests / sizeof tests[0]);
}
