/* tests/unit/domain/account/test_auth.c - login, lockout and the TOTP second factor of
 * domain/account/auth.c (R1.7, S6 身份鉴别), on SQLite and PostgreSQL.
 *
 * The clock is faked (time_set_fake_ms) so lockout expiry and TOTP steps are exact. Codes
 * come from crypto/totp.h's totp_code with the secret auth_totp_setup returned.
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
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/sm.h"
#include "crypto/totp.h"
#include "domain/platform/audit.h"
#include "domain/account/login_rate.h"
#include "domain/account/session.h"
#include "domain/account/user.h"

#define STEP_MS ((int64_t)TOTP_STEP_S * 1000)

/* ---- helpers ------------------------------------------------------------------------ */

static int
login(struct apptest *at, const char *name, const char *pw, const char *code, struct user *out)
{
    struct actor who;
    struct user u;
    memset(&who, 0, sizeof who);
    who.kind = ACTOR_NONE;
    who.role = ROLE_NONE;
    str_copy(who.ip, sizeof who.ip, "192.0.2.1");
    str_copy(who.request_id, sizeof who.request_id, "req-login");
    return auth_login(&at->app, at->db, &who, name, pw, code, out ? out : &u);
}

static struct user
get(struct apptest *at, int64_t id)
{
    struct user u;
    assert_int_equal(user_get(at->db, id, &u), 0);
    return u;
}

static struct audit_entry
last_audit(struct apptest *at, struct arena *arena, const char *action)
{
    struct audit_query q = { .action = action, .limit = 1 };
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(audit_list(at->db, &q, arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    return items[0];
}

/* code_at formats the 6-digit code of secret for step. */
static void
code_at(const uint8_t *secret, int64_t step, char out[8])
{
    uint32_t c = 0;
    assert_int_equal(totp_code(secret, TOTP_SECRET_LEN, (uint64_t)step, 6, &c), 0);
    snprintf(out, 8, "%06u", (unsigned)c);
}

/* wrong_code formats a code that matches none of the steps around step. */
static void
wrong_code(const uint8_t *secret, int64_t step, char out[8])
{
    char near[3][8];
    for (int i = 0; i < 3; i++)
        code_at(secret, step - 1 + i, near[i]);
    for (unsigned v = 0;; v++) {
        snprintf(out, 8, "%06u", (v * 7919u + 12345u) % 1000000u);
        if (strcmp(out, near[0]) && strcmp(out, near[1]) && strcmp(out, near[2]))
            return;
    }
}

/* enrol sets up and enables TOTP for user id at the current (fake) time and returns the
 * raw secret; the step used for enabling is then spent. */
static void
enrol(struct apptest *at, int64_t id, uint8_t secret[TOTP_SECRET_LEN])
{
    struct actor me;
    struct buf b32 = BUF_INIT;
    size_t n = 0;
    char code[8];
    apptest_actor(at, id, &me);
    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32), 0);
    assert_int_equal(base32_decode(b32.data, b32.len, secret, TOTP_SECRET_LEN, &n), 0);
    assert_int_equal(n, TOTP_SECRET_LEN);
    code_at(secret, time_now_ms() / STEP_MS, code);
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, code), 0);
    buf_release_secret(&b32);
}

/* ---- password ----------------------------------------------------------------------- */

/* A login whose stored hash was made with another iteration count than the policy's now
 * stores the password again under the policy's count (issue 12); the password still works. */
static void
test_login_rehashes(void **state)
{
    struct apptest *at = *state;
    int64_t id = apptest_user(at, "rehash1", ROLE_DISTRICT, NULL, NULL, NULL);
    char want[32];
    at->app.policy.pbkdf2_iterations += 7;
    snprintf(want, sizeof want, "$%u$", (unsigned)at->app.policy.pbkdf2_iterations);
    assert_null(strstr(get(at, id).password_hash, want));
    assert_int_equal(login(at, "rehash1", APPTEST_PASSWORD, NULL, NULL), 0);
    assert_non_null(strstr(get(at, id).password_hash, want));
    assert_int_equal(login(at, "rehash1", APPTEST_PASSWORD, NULL, NULL), 0);
    assert_int_equal(login(at, "rehash1", "Wrong-password-9", NULL, NULL), ERR_LOGIN_FAILED);
    /* lowered again: rehashed down too (the policy's count is the one wanted) */
    at->app.policy.pbkdf2_iterations -= 7;
    assert_int_equal(login(at, "rehash1", APPTEST_PASSWORD, NULL, NULL), 0);
    assert_null(strstr(get(at, id).password_hash, want));
}

static void
test_login_ok(void **state)
{
    struct apptest *at = *state;
    struct user u;
    struct arena arena = ARENA_INIT;
    char target[32];
    int64_t id = apptest_user(at, "alice", ROLE_DISTRICT, NULL, NULL, NULL);

    assert_int_equal(login(at, "alice", APPTEST_PASSWORD, NULL, &u), 0);
    assert_int_equal(u.id, id);
    assert_string_equal(u.username, "alice");
    assert_int_equal(u.role, ROLE_DISTRICT);
    assert_int_equal(login(at, "ALICE", APPTEST_PASSWORD, NULL, &u), 0);
    assert_int_equal(u.id, id);
    /* a code given without TOTP enrolled is ignored */
    assert_int_equal(login(at, "alice", APPTEST_PASSWORD, "123456", &u), 0);

    struct audit_entry e = last_audit(at, &arena, "auth.login");
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    assert_string_equal(e.result, "ok");
    assert_string_equal(e.actor, "alice");
    assert_string_equal(e.target, target);
    assert_string_equal(e.ip, "192.0.2.1");
    assert_string_equal(e.request_id, "req-login");
    assert_int_equal(apptest_count_audit(at->db, "auth.login", target, "ok"), 3);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_login_wrong_password(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    int64_t id = apptest_user(at, "bob", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(login(at, "bob", "Correct-Horse-43", NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(login(at, "bob", "", NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(get(at, id).failed_count, 2);
    struct audit_entry e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "failed");
    assert_string_equal(e.detail, "wrong password");
    assert_null(strstr(e.detail, "Correct-Horse"));
    assert_null(strstr(e.target, "Correct-Horse"));
    /* a success clears the count */
    assert_int_equal(login(at, "bob", APPTEST_PASSWORD, NULL, NULL), 0);
    assert_int_equal(get(at, id).failed_count, 0);
    arena_release(&arena);
}

static void
test_login_unknown_user(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    apptest_user(at, "carol", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(login(at, "nobody", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_FAILED);
    struct audit_entry e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "failed");
    assert_string_equal(e.detail, "unknown user");
    /* what was typed is not recorded: it may be a password typed into the name field */
    assert_string_equal(e.actor, "(unknown)");
    assert_null(strstr(e.target, "nobody"));
    assert_null(strstr(e.detail, "nobody"));
    assert_int_equal(login(at, "Correct-Horse-42x", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log WHERE actor LIKE '%orse%'"
                                         " OR target LIKE '%orse%' OR detail LIKE '%orse%'", 0), 0);
    /* not even a valid name: the same answer */
    assert_int_equal(login(at, "no such user", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(login(at, "", "", NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(apptest_count_audit(at->db, "auth.login", NULL, "failed"), 4);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_lockout_and_release(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct user u;
    int attempts = at->app.policy.lockout_attempts;
    int64_t lock_ms = at->app.policy.lockout_ms;
    int64_t id = apptest_user(at, "dave", ROLE_DISTRICT, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    for (int i = 0; i < attempts - 1; i++) {
        assert_int_equal(login(at, "dave", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_FAILED);
        assert_false(user_is_locked((u = get(at, id), &u), APPTEST_T0));
    }
    assert_int_equal(get(at, id).failed_count, attempts - 1);
    assert_int_equal(login(at, "dave", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_LOCKED);
    u = get(at, id);
    assert_true(user_is_locked(&u, APPTEST_T0));
    assert_int_equal(u.locked_until, APPTEST_T0 + lock_ms);
    struct audit_entry e = last_audit(at, &arena, "auth.lockout");
    assert_string_equal(e.result, "locked");

    /* while locked, even the right password fails, with the same answer */
    time_set_fake_ms(APPTEST_T0 + lock_ms - 1);
    assert_int_equal(login(at, "dave", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_LOCKED);
    e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "locked");
    assert_int_equal(get(at, id).locked_until, APPTEST_T0 + lock_ms); /* not extended */

    /* released after lockout_ms */
    time_set_fake_ms(APPTEST_T0 + lock_ms + 1);
    assert_int_equal(login(at, "dave", APPTEST_PASSWORD, NULL, &u), 0);
    u = get(at, id);
    assert_int_equal(u.failed_count, 0);
    assert_int_equal(u.locked_until, 0);
    apptest_audit_intact(at);
    arena_release(&arena);
}

/* Failures separated by a success do not add up to a lock. */
/* The audit entry of an attempt on a locked account names the account, like every other
 * attempt on a known account does. */
static void
test_locked_attempt_audit_target(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    char target[32], got[64];
    int64_t id = apptest_user(at, "lena", ROLE_VIEWER, NULL, NULL, NULL);

    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, id, true), 0);
    assert_int_equal(login(at, "lena", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_FAILED);
    struct audit_entry e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "locked");
    assert_string_equal(e.actor, "lena");
    str_copy(got, sizeof got, e.target);
    arena_release(&arena);
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    assert_string_equal(got, target);
}

static void
test_success_resets_count(void **state)
{
    struct apptest *at = *state;
    int attempts = at->app.policy.lockout_attempts;
    int64_t id = apptest_user(at, "erin", ROLE_VIEWER, NULL, NULL, NULL);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < attempts - 1; i++)
            assert_int_equal(login(at, "erin", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_FAILED);
        assert_int_equal(login(at, "erin", APPTEST_PASSWORD, NULL, NULL), 0);
    }
    struct user u = get(at, id);
    assert_false(user_is_locked(&u, time_now_ms()));
    assert_int_equal(apptest_count_audit(at->db, "auth.lockout", NULL, NULL), 0);
}

static void
test_lockout_policy_attempts(void **state)
{
    struct apptest *at = *state;
    int64_t id = apptest_user(at, "fay", ROLE_VIEWER, NULL, NULL, NULL);
    struct user u;
    at->app.policy.lockout_attempts = 2;
    assert_int_equal(login(at, "fay", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_FAILED);
    u = get(at, id);
    assert_false(user_is_locked(&u, time_now_ms()));
    assert_int_equal(login(at, "fay", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_LOCKED);
    u = get(at, id);
    assert_true(user_is_locked(&u, time_now_ms()));
}

static void
test_disabled_user(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct buf why = BUF_INIT;
    int64_t id = apptest_user(at, "gus", ROLE_VIEWER, NULL, NULL, NULL);
    struct user_change off = { .has_disabled = true, .disabled = true };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &off, &why, NULL), 0);

    assert_int_equal(login(at, "gus", APPTEST_PASSWORD, NULL, NULL), ERR_LOGIN_FAILED);
    struct audit_entry e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "failed");
    assert_string_equal(e.detail, "disabled");
    assert_int_equal(login(at, "gus", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_FAILED);

    struct user_change on = { .has_disabled = true, .disabled = false };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &on, &why, NULL), 0);
    assert_int_equal(login(at, "gus", APPTEST_PASSWORD, NULL, NULL), 0);
    arena_release(&arena);
    buf_release(&why);
}

/* ---- TOTP --------------------------------------------------------------------------- */

static void
test_totp_setup_enable(void **state)
{
    struct apptest *at = *state;
    struct actor me;
    struct buf b32 = BUF_INIT, b32b = BUF_INIT;
    uint8_t secret[TOTP_SECRET_LEN], old[TOTP_SECRET_LEN];
    size_t n = 0;
    char code[8], bad[8];
    int64_t step = APPTEST_T0 / STEP_MS;
    int64_t id = apptest_user(at, "root1", ROLE_SYSADMIN, NULL, NULL, NULL);
    struct user u;

    time_set_fake_ms(APPTEST_T0 + 1000);
    apptest_actor(at, id, &me);
    assert_true(me.totp_pending);

    /* enable before setup */
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, "123456"), ERR_INVALID);

    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32), 0);
    assert_int_equal(b32.len, 32); /* 20 bytes in base32 */
    assert_int_equal(base32_decode(b32.data, b32.len, old, sizeof old, &n), 0);
    assert_int_equal(n, TOTP_SECRET_LEN);
    u = get(at, id);
    assert_false(u.totp_enabled);
    assert_int_equal(u.totp_sealed_len, FIELD_SEALED_LEN(TOTP_SECRET_LEN));
    /* not enabled yet: the password alone still logs in */
    assert_int_equal(login(at, "root1", APPTEST_PASSWORD, NULL, NULL), 0);

    /* a second setup before enabling replaces the secret */
    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32b), 0);
    assert_string_not_equal(b32.data, b32b.data);
    assert_int_equal(base32_decode(b32b.data, b32b.len, secret, sizeof secret, &n), 0);
    code_at(old, step, code);
    char now_code[8];
    code_at(secret, step, now_code);
    if (strcmp(code, now_code) != 0)
        assert_int_equal(auth_totp_enable(&at->app, at->db, &me, code), ERR_INVALID);

    wrong_code(secret, step, bad);
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, bad), ERR_INVALID);
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, "12345"), ERR_INVALID);
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, ""), ERR_INVALID);
    assert_false(get(at, id).totp_enabled);

    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, now_code), 0);
    u = get(at, id);
    assert_true(u.totp_enabled);
    assert_int_equal(u.totp_last_step, step);
    apptest_actor(at, id, &me);
    assert_false(me.totp_pending);

    /* once enabled: no second setup, no second enable */
    buf_reset(&b32);
    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32), ERR_CONFLICT);
    assert_int_equal(b32.len, 0);
    code_at(secret, step + 1, code);
    assert_int_equal(auth_totp_enable(&at->app, at->db, &me, code), ERR_CONFLICT);
    assert_int_equal(get(at, id).totp_sealed_len, u.totp_sealed_len);

    assert_int_equal(apptest_count_audit(at->db, "auth.totp.setup", NULL, "ok"), 2);
    assert_int_equal(apptest_count_audit(at->db, "auth.totp.enable", NULL, "ok"), 1);
    apptest_audit_intact(at);
    buf_release_secret(&b32);
    buf_release_secret(&b32b);
}

/* The secret is stored sealed: neither its bytes nor its base32 text are in the row. */
static void
test_totp_secret_sealed(void **state)
{
    struct apptest *at = *state;
    struct actor me;
    struct buf b32 = BUF_INIT;
    uint8_t secret[TOTP_SECRET_LEN];
    size_t n = 0, plain = 0;
    uint32_t key_id = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t id = apptest_user(at, "root2", ROLE_SECADMIN, NULL, NULL, NULL);

    apptest_actor(at, id, &me);
    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32), 0);
    assert_int_equal(base32_decode(b32.data, b32.len, secret, sizeof secret, &n), 0);

    assert_int_equal(db_prepare(at->db,
                                "SELECT totp_secret, username, role, password_hash, COALESCE(subdistrict, '')"
                                " FROM users WHERE id = ?1",
                                &st),
                     0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *sealed = db_col_blob(st, 0, &n);
    assert_int_equal(n, FIELD_SEALED_LEN(TOTP_SECRET_LEN));
    assert_false(apptest_memmem(sealed, n, secret, sizeof secret));
    assert_false(apptest_memmem(sealed, n, secret, 8));
    assert_false(apptest_memmem(sealed, n, b32.data, 8));
    assert_int_equal(field_envelope_parse(sealed, n, &key_id, &plain), 0);
    assert_int_equal(key_id, 1);
    assert_int_equal(plain, TOTP_SECRET_LEN);
    for (int col = 1; col <= 4; col++) {
        size_t tn = 0;
        const char *t = db_col_text(st, col, &tn);
        assert_false(apptest_memmem(t, tn, b32.data, 8));
        assert_false(apptest_memmem(t, tn, secret, 8));
    }
    db_done(st);
    buf_release_secret(&b32);
}

static void
test_totp_login(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    uint8_t secret[TOTP_SECRET_LEN];
    char code[8], bad[8];
    int64_t s0 = APPTEST_T0 / STEP_MS;
    int64_t id = apptest_user(at, "root3", ROLE_AUDITOR, NULL, NULL, NULL);
    struct user u;

    at->app.policy.lockout_attempts = 100; /* many failures below; locking is tested apart */
    time_set_fake_ms(APPTEST_T0 + 2000);   /* step s0 */
    enrol(at, id, secret);

    /* the right password but no code */
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, NULL, NULL), ERR_TOTP_REQUIRED);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, "", NULL), ERR_TOTP_REQUIRED);
    /* a wrong password with no code is a plain failure, telling nothing about the factor */
    assert_int_equal(login(at, "root3", "Wrong-Password-1", NULL, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(get(at, id).failed_count, 1);
    assert_int_equal(login(at, "root3", "Wrong-Password-1", "000000", NULL), ERR_LOGIN_FAILED);

    /* the step spent by enabling cannot log in (replay) */
    code_at(secret, s0, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);

    /* next step: accepted once */
    time_set_fake_ms(APPTEST_T0 + STEP_MS + 2000);
    code_at(secret, s0 + 1, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, &u), 0);
    assert_int_equal(u.id, id);
    assert_int_equal(get(at, id).totp_last_step, s0 + 1);
    assert_int_equal(get(at, id).failed_count, 0);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);

    /* at step s0+3: one step behind (s0+2) and one ahead (s0+4) are accepted */
    time_set_fake_ms(APPTEST_T0 + 3 * STEP_MS + 15000);
    code_at(secret, s0 + 2, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), 0);
    code_at(secret, s0 + 4, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), 0);
    assert_int_equal(get(at, id).totp_last_step, s0 + 4);
    /* s0+3 is now older than the last step used */
    code_at(secret, s0 + 3, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);

    /* two steps off either way is refused */
    time_set_fake_ms(APPTEST_T0 + 10 * STEP_MS);
    code_at(secret, s0 + 12, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);
    code_at(secret, s0 + 8, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);

    /* malformed codes */
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, "12345", NULL), ERR_TOTP_WRONG);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, "1234567", NULL), ERR_TOTP_WRONG);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, "abcdef", NULL), ERR_TOTP_WRONG);

    /* a wrong code counts as a failure */
    int before = get(at, id).failed_count;
    wrong_code(secret, s0 + 10, bad);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, bad, NULL), ERR_TOTP_WRONG);
    assert_int_equal(get(at, id).failed_count, before + 1);
    struct audit_entry e = last_audit(at, &arena, "auth.login");
    assert_string_equal(e.result, "failed");
    assert_string_equal(e.detail, "wrong code");

    code_at(secret, s0 + 10, code);
    assert_int_equal(login(at, "root3", APPTEST_PASSWORD, code, NULL), 0);
    assert_int_equal(get(at, id).failed_count, 0);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_totp_wrong_codes_lock(void **state)
{
    struct apptest *at = *state;
    uint8_t secret[TOTP_SECRET_LEN];
    char code[8], bad[8];
    int64_t s0 = APPTEST_T0 / STEP_MS;
    int64_t id = apptest_user(at, "root4", ROLE_SYSADMIN, NULL, NULL, NULL);
    struct user u;

    time_set_fake_ms(APPTEST_T0);
    enrol(at, id, secret);
    time_set_fake_ms(APPTEST_T0 + 5 * STEP_MS);
    wrong_code(secret, s0 + 5, bad);
    for (int i = 0; i < at->app.policy.lockout_attempts; i++)
        assert_int_equal(login(at, "root4", APPTEST_PASSWORD, bad, NULL), i + 1 < at->app.policy.lockout_attempts ? ERR_TOTP_WRONG : ERR_LOGIN_LOCKED);
    u = get(at, id);
    assert_true(user_is_locked(&u, time_now_ms()));
    assert_int_equal(apptest_count_audit(at->db, "auth.lockout", NULL, "locked"), 1);
    code_at(secret, s0 + 5, code);
    assert_int_equal(login(at, "root4", APPTEST_PASSWORD, code, NULL), ERR_LOGIN_LOCKED);
    /* the refused code was not spent: after the lock it still works in its window */
    time_set_fake_ms(APPTEST_T0 + 5 * STEP_MS + at->app.policy.lockout_ms + 1);
    code_at(secret, time_now_ms() / STEP_MS, code);
    assert_int_equal(login(at, "root4", APPTEST_PASSWORD, code, NULL), 0);
}

/* Another user's TOTP secret does not work for this one. */
static void
test_totp_per_user(void **state)
{
    struct apptest *at = *state;
    uint8_t s1[TOTP_SECRET_LEN], s2[TOTP_SECRET_LEN];
    char c1[8], c2[8];
    int64_t s0 = APPTEST_T0 / STEP_MS;
    int64_t a = apptest_user(at, "root5", ROLE_SYSADMIN, NULL, NULL, NULL);
    int64_t b = apptest_user(at, "root6", ROLE_SYSADMIN, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    enrol(at, a, s1);
    enrol(at, b, s2);
    assert_memory_not_equal(s1, s2, TOTP_SECRET_LEN);
    time_set_fake_ms(APPTEST_T0 + STEP_MS);
    code_at(s1, s0 + 1, c1);
    code_at(s2, s0 + 1, c2);
    if (strcmp(c1, c2) != 0)
        assert_int_equal(login(at, "root6", APPTEST_PASSWORD, c1, NULL), ERR_TOTP_WRONG);
    assert_int_equal(login(at, "root5", APPTEST_PASSWORD, c1, NULL), 0);
}

/* A sealed TOTP secret copied into another account's row does not open there. */
static void
test_totp_secret_bound_to_row(void **state)
{
    struct apptest *at = *state;
    uint8_t secret[TOTP_SECRET_LEN];
    char code[8];
    int64_t a = apptest_user(at, "root7", ROLE_SYSADMIN, NULL, NULL, NULL);
    int64_t b = apptest_user(at, "root8", ROLE_SYSADMIN, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    enrol(at, a, secret);
    assert_int_equal(db_exec(at->db, "UPDATE users SET totp_enabled = 1, totp_secret ="
                                     " (SELECT totp_secret FROM users WHERE username = 'root7')"
                                     " WHERE username = 'root8'"),
                     0);
    assert_int_equal(get(at, b).totp_sealed_len, get(at, a).totp_sealed_len);
    time_set_fake_ms(APPTEST_T0 + STEP_MS);
    code_at(secret, APPTEST_T0 / STEP_MS + 1, code);
    assert_int_equal(login(at, "root8", APPTEST_PASSWORD, code, NULL), ERR_TOTP_WRONG);
    assert_int_equal(login(at, "root7", APPTEST_PASSWORD, code, NULL), 0);
}

/* A lost phone: the console removes the factor, the user enrols again. */
static void
test_totp_reset(void **state)
{
    struct apptest *at = *state;
    uint8_t secret[TOTP_SECRET_LEN];
    struct buf b32 = BUF_INIT;
    struct actor me;
    char target[32];
    int64_t id = apptest_user(at, "root9", ROLE_SECADMIN, NULL, NULL, NULL);
    struct buf token = BUF_INIT;
    struct session s;
    struct user u;

    time_set_fake_ms(APPTEST_T0);
    enrol(at, id, secret);
    assert_int_equal(login(at, "root9", APPTEST_PASSWORD, NULL, NULL), ERR_TOTP_REQUIRED);
    assert_int_equal(session_create(&at->app, at->db, id, "", &token, &s), 0);

    assert_int_equal(auth_totp_reset(&at->app, at->db, &at->admin, id), 0);
    u = get(at, id);
    assert_false(u.totp_enabled);
    assert_int_equal(u.totp_sealed_len, 0);
    assert_int_equal(u.totp_last_step, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sessions WHERE user_id = ?1", id), 0);
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    assert_int_equal(apptest_count_audit(at->db, "auth.totp.reset", target, "ok"), 1);
    apptest_actor(at, id, &me);
    assert_true(me.totp_pending);

    /* the password alone logs in again, and a new enrolment is possible */
    assert_int_equal(login(at, "root9", APPTEST_PASSWORD, NULL, NULL), 0);
    assert_int_equal(auth_totp_setup(&at->app, at->db, &me, &b32), 0);
    assert_int_equal(b32.len, 32);

    assert_int_equal(auth_totp_reset(&at->app, at->db, &at->admin, id + 100), ERR_NOT_FOUND);
    apptest_audit_intact(at);
    buf_release_secret(&b32);
    buf_release_secret(&token);
}

/* ---- concurrent attempts ------------------------------------------------------------ */

/* Parallel requests each run auth_login on a connection of their own. */
struct attempt {
    struct apptest *at;
    const char *name, *pw, *code;
    int rc;
};

static void *
attempt_main(void *arg)
{
    struct attempt *t = arg;
    struct db *db = NULL;
    struct actor who;
    struct user u;
    memset(&who, 0, sizeof who);
    t->rc = db_open(t->at->t->db_url, NULL, &db);
    if (!t->rc)
        t->rc = auth_login(&t->at->app, db, &who, t->name, t->pw, t->code, &u);
    db_close(db);
    crypto_thread_release();
    return NULL;
}

/* run_parallel starts n attempts at once and returns how many succeeded. */
static int
run_parallel(struct apptest *at, int n, const char *name, const char *pw, const char *code)
{
    struct attempt t[16];
    pthread_t th[16];
    int ok = 0;
    assert_true(n <= 16);
    for (int i = 0; i < n; i++) {
        t[i] = (struct attempt){ at, name, pw, code, -1 };
        assert_int_equal(pthread_create(&th[i], NULL, attempt_main, &t[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_true(t[i].rc == 0 || t[i].rc == ERR_LOGIN_FAILED || t[i].rc == ERR_LOGIN_LOCKED || t[i].rc == ERR_TOTP_WRONG);
        ok += t[i].rc == 0;
    }
    return ok;
}

/* A password guesser sending its guesses in parallel must still be locked out after
 * policy.lockout_attempts failures: the failure count may not lose updates. */
static void
test_parallel_failures_lock(void **state)
{
    struct apptest *at = *state;
    int64_t id = apptest_user(at, "henry", ROLE_DISTRICT, NULL, NULL, NULL);
    int n = 2 * at->app.policy.lockout_attempts;
    struct user u;

    assert_int_equal(run_parallel(at, n, "henry", "Wrong-Password-1", NULL), 0);
    u = get(at, id);
    if (!user_is_locked(&u, time_now_ms()))
        fail_msg("%d parallel wrong passwords left the account unlocked (failed_count %d)", n,
                 u.failed_count);
}

/* One TOTP code is good for one login, also when the same code arrives twice at once. */
static void
test_parallel_totp_replay(void **state)
{
    struct apptest *at = *state;
    uint8_t secret[TOTP_SECRET_LEN];
    char code[8];
    int64_t id = apptest_user(at, "irene", ROLE_SYSADMIN, NULL, NULL, NULL);

    time_set_fake_ms(APPTEST_T0);
    enrol(at, id, secret);
    time_set_fake_ms(APPTEST_T0 + STEP_MS);
    code_at(secret, APPTEST_T0 / STEP_MS + 1, code);
    int ok = run_parallel(at, 4, "irene", APPTEST_PASSWORD, code);
    if (ok != 1)
        fail_msg("one TOTP code logged in %d times in parallel", ok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_login_ok),
        APPTEST(test_login_rehashes),
        APPTEST(test_login_wrong_password),
        APPTEST(test_login_unknown_user),
        APPTEST(test_lockout_and_release),
        APPTEST(test_locked_attempt_audit_target),
        APPTEST(test_success_resets_count),
        APPTEST(test_lockout_policy_attempts),
        APPTEST(test_disabled_user),
        APPTEST(test_totp_setup_enable),
        APPTEST(test_totp_secret_sealed),
        APPTEST(test_totp_login),
        APPTEST(test_totp_wrong_codes_lock),
        APPTEST(test_totp_per_user),
        APPTEST(test_totp_secret_bound_to_row),
        APPTEST(test_totp_reset),
        APPTEST(test_parallel_failures_lock),
        APPTEST(test_parallel_totp_replay),
    };
    /* every attempt here comes from one address: the per-address limit (login_rate.h, its
     * own test) must not cut the lockout and TOTP tests short */
    login_rate_configure(1000000);
    return apptest_run("domain_auth", tests, sizeof tests / sizeof tests[0]);
}
