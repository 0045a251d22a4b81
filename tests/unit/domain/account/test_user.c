/* tests/unit/domain/account/test_user.c - user accounts of domain/account/user.h (R1.7 accounts per
 * subdistrict and administrator; S6 identity, password policy, audit), on SQLite and
 * PostgreSQL.
 *
 * Covers name normalisation, creation rules (duplicates, role/subdistrict binding,
 * policy, generated temporary passwords), listing, updates (role, subdistrict, lock,
 * disable, not on oneself), password changes and resets with their effect on sessions,
 * expiry, the actor a user becomes, and that every change lands in the audit log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/password.h"
#include "domain/platform/audit.h"
#include "domain/platform/policy.h"
#include "domain/account/session.h"
#include "domain/account/user.h"

#define COMMUNITY "110102001004"

/* ---- helpers ------------------------------------------------------------------------ */

static int
create(struct apptest *at, const char *name, enum role role, const char *sub, const char *pw,
       struct buf *why, struct user *out)
{
    buf_reset(why);
    return user_create(&at->app, at->db, &at->admin, name, role, sub, pw, false, NULL, why, out);
}

static int64_t
users(struct apptest *at)
{
    return apptest_i64(at->db, "SELECT count(*) FROM users", 0);
}

static int64_t
sessions_of(struct apptest *at, int64_t uid)
{
    return apptest_i64(at->db, "SELECT count(*) FROM sessions WHERE user_id = ?1", uid);
}

static int64_t
session_exists(struct apptest *at, int64_t sid)
{
    return apptest_i64(at->db, "SELECT count(*) FROM sessions WHERE id = ?1", sid);
}

static int64_t
new_session(struct apptest *at, int64_t uid)
{
    struct buf token = BUF_INIT;
    struct session s;
    assert_int_equal(session_create(&at->app, at->db, uid, "127.0.0.1", &token, &s), 0);
    buf_release_secret(&token);
    return s.id;
}

/* last_audit returns the newest audit entry with action (asserting there is one). */
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

static const char *
target_of(int64_t id, char *buf, size_t cap)
{
    snprintf(buf, cap, "user:%lld", (long long)id);
    return buf;
}

static bool
classes4(const char *pw)
{
    int l = 0, u = 0, d = 0, o = 0;
    for (const char *c = pw; *c; c++) {
        if (*c >= 'a' && *c <= 'z')
            l = 1;
        else if (*c >= 'A' && *c <= 'Z')
            u = 1;
        else if (*c >= '0' && *c <= '9')
            d = 1;
        else
            o = 1;
    }
    return l && u && d && o;
}

/* ---- names -------------------------------------------------------------------------- */

static void
test_normalize_name(void **state)
{
    (void)state;
    char out[USERNAME_MAX + 1];
    static const char *const bad[] = {
        "", "a", "ab", "abcdefghijklmnopqrstuvwxyz0123456", "a b", "bob@x", "名字名字",
        "tab\tx", "new\nline", "semi;colon", "quote'x", "ümlaut", "slash/x",
    };

    assert_int_equal(user_normalize_name("Alice_01", out), 0);
    assert_string_equal(out, "alice_01");
    assert_int_equal(user_normalize_name("A.B-C", out), 0);
    assert_string_equal(out, "a.b-c");
    assert_int_equal(user_normalize_name("abc", out), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(user_normalize_name("abcdefghijklmnopqrstuvwxyz012345", out), 0);
    assert_int_equal(strlen(out), 32);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (user_normalize_name(bad[i], out) != ERR_INVALID)
            fail_msg("'%s' accepted as a user name", bad[i]);
    }
}

/* ---- create ------------------------------------------------------------------------- */

static void
test_create(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u, g;
    struct arena arena = ARENA_INIT;
    char target[32];

    time_set_fake_ms(APPTEST_T0);
    assert_int_equal(create(at, "Alice", ROLE_VIEWER, NULL, APPTEST_PASSWORD, &why, &u), 0);
    assert_true(u.id > 0);
    assert_string_equal(u.username, "alice");
    assert_int_equal(u.role, ROLE_VIEWER);
    assert_string_equal(u.subdistrict, "");
    assert_false(u.must_change);
    assert_false(u.totp_enabled);
    assert_int_equal(u.totp_sealed_len, 0);
    assert_false(u.disabled);
    assert_int_equal(u.failed_count, 0);
    assert_int_equal(u.locked_until, 0);
    assert_int_equal(u.created_at, APPTEST_T0);
    assert_int_equal(u.updated_at, APPTEST_T0);
    assert_int_equal(u.password_changed_at, APPTEST_T0);
    /* stored hashed, never as text */
    assert_true(strncmp(u.password_hash, "pbkdf2-sm3$", 11) == 0);
    assert_null(strstr(u.password_hash, APPTEST_PASSWORD));
    assert_int_equal(password_verify(APPTEST_PASSWORD, u.password_hash), 0);
    assert_int_equal(password_verify("Correct-Horse-43", u.password_hash), ERR_LOGIN_FAILED);

    assert_int_equal(user_get_by_name(at->db, "ALICE", &g), 0);
    assert_int_equal(g.id, u.id);
    assert_int_equal(user_get(at->db, u.id, &g), 0);
    assert_string_equal(g.username, "alice");
    assert_int_equal(user_get(at->db, u.id + 100, &g), ERR_NOT_FOUND);
    assert_int_equal(user_get_by_name(at->db, "nobody", &g), ERR_NOT_FOUND);
    assert_int_equal(user_get_by_name(at->db, "x", &g), ERR_NOT_FOUND);
    assert_int_equal(user_get_by_name(at->db, "alice' OR '1'='1", &g), ERR_NOT_FOUND);

    struct audit_entry e = last_audit(at, &arena, "user.create");
    assert_string_equal(e.target, target_of(u.id, target, sizeof target));
    assert_string_equal(e.actor, "tester");
    assert_string_equal(e.result, "ok");
    assert_string_equal(e.detail, "viewer");
    assert_null(strstr(e.detail, APPTEST_PASSWORD));
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_create_invalid_names(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    static const char *const bad[] = { "ab", "with space", "x@y.z", "abcdefghijklmnopqrstuvwxyz0123456",
                                       "名字名字", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(create(at, bad[i], ROLE_VIEWER, NULL, APPTEST_PASSWORD, &why, &u), ERR_INVALID);
        assert_non_null(strstr(why.data, "'username'"));
    }
    assert_int_equal(users(at), 0);
    assert_int_equal(apptest_count_audit(at->db, "user.create", NULL, NULL), 0);
    buf_release(&why);
}

static void
test_create_duplicate(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    assert_int_equal(create(at, "carol", ROLE_VIEWER, NULL, APPTEST_PASSWORD, &why, &u), 0);
    assert_int_equal(create(at, "carol", ROLE_DISTRICT, NULL, APPTEST_PASSWORD, &why, &u), ERR_CONFLICT);
    assert_int_equal(create(at, "CAROL", ROLE_VIEWER, NULL, APPTEST_PASSWORD, &why, &u), ERR_CONFLICT);
    assert_int_equal(users(at), 1);
    assert_int_equal(apptest_count_audit(at->db, "user.create", NULL, NULL), 1);
    /* the failed transactions left the connection usable */
    assert_int_equal(create(at, "carol2", ROLE_VIEWER, NULL, APPTEST_PASSWORD, &why, &u), 0);
    apptest_audit_intact(at);
    buf_release(&why);
}

static void
test_create_role_scope(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    static const char *const bad_sub[] = {
        "110102",            /* the district */
        COMMUNITY,           /* a community */
        "110102999",         /* unknown */
        "11010200",          /* 8 digits */
        "1101020010",        /* 10 digits */
        "110102001 ",        /* trailing space */
        "110102001' OR '1'='1",
    };

    /* a subdistrict account needs a subdistrict */
    assert_int_equal(create(at, "sub1", ROLE_SUBDISTRICT, NULL, APPTEST_PASSWORD, &why, &u), ERR_INVALID);
    assert_true(why.len > 0);
    assert_int_equal(create(at, "sub1", ROLE_SUBDISTRICT, "", APPTEST_PASSWORD, &why, &u), ERR_INVALID);
    for (size_t i = 0; i < sizeof bad_sub / sizeof *bad_sub; i++) {
        if (create(at, "sub1", ROLE_SUBDISTRICT, bad_sub[i], APPTEST_PASSWORD, &why, &u) != ERR_INVALID)
            fail_msg("subdistrict '%s' accepted", bad_sub[i]);
        assert_non_null(strstr(why.data, "'subdistrict'"));
    }
    /* every other role has none */
    for (int r = 0; r < ROLE__COUNT; r++) {
        if (r == ROLE_SUBDISTRICT)
            continue;
        if (create(at, "other1", (enum role)r, APPTEST_SUBDISTRICT, APPTEST_PASSWORD, &why, &u) != ERR_INVALID)
            fail_msg("role %s accepted a subdistrict", role_name((enum role)r));
        assert_true(why.len > 0);
    }
    /* no such role */
    assert_int_equal(create(at, "norole", ROLE_NONE, NULL, APPTEST_PASSWORD, &why, &u), ERR_INVALID);
    assert_int_equal(users(at), 0);

    assert_int_equal(create(at, "sub1", ROLE_SUBDISTRICT, APPTEST_SUBDISTRICT, APPTEST_PASSWORD, &why, &u), 0);
    assert_int_equal(u.role, ROLE_SUBDISTRICT);
    assert_string_equal(u.subdistrict, APPTEST_SUBDISTRICT);
    for (int r = 0; r < ROLE__COUNT; r++) {
        char name[32];
        if (r == ROLE_SUBDISTRICT)
            continue;
        snprintf(name, sizeof name, "role_%d", r);
        assert_int_equal(create(at, name, (enum role)r, NULL, APPTEST_PASSWORD, &why, &u), 0);
        assert_int_equal(u.role, r);
        assert_string_equal(u.subdistrict, "");
    }
    assert_int_equal(users(at), ROLE__COUNT);
    buf_release(&why);
}

/* A role value outside the table is not a role: it must not be stored as "none". */
static void
test_create_out_of_range_role(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    assert_int_equal(create(at, "weird", (enum role)ROLE__COUNT, NULL, APPTEST_PASSWORD, &why, &u),
                     ERR_INVALID);
    assert_int_equal(users(at), 0);
    assert_int_equal(create(at, "weird", (enum role)-5, NULL, APPTEST_PASSWORD, &why, &u), ERR_INVALID);
    assert_int_equal(users(at), 0);
    buf_release(&why);
}

/* Nor may an update store one. */
static void
test_update_out_of_range_role(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    int64_t id = apptest_user(at, "weird2", ROLE_VIEWER, NULL, NULL, NULL);
    struct user_change c = { .has_role = true, .role = (enum role)ROLE__COUNT };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &c, &why, &u), ERR_INVALID);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.role, ROLE_VIEWER);
    buf_release(&why);
}

static void
test_create_weak_password(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    assert_int_equal(create(at, "dave", ROLE_VIEWER, NULL, "Short1!", &why, &u), ERR_WEAK_PASSWORD);
    assert_true(why.len > 0);
    assert_null(strstr(why.data, "Short1!"));
    assert_int_equal(create(at, "dave", ROLE_VIEWER, NULL, "my-Dave-password-7", &why, &u), ERR_WEAK_PASSWORD);
    assert_int_equal(create(at, "dave", ROLE_VIEWER, NULL, "alllowercaseletters", &why, &u), ERR_WEAK_PASSWORD);
    assert_int_equal(users(at), 0);
    buf_release(&why);
}

static void
test_create_temporary_password(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT, temp = BUF_INIT, why2 = BUF_INIT;
    struct user u;
    struct policy strict = POLICY_DEFAULTS;
    strict.password_min_length = 16;
    strict.password_min_classes = 4;

    assert_int_equal(user_create(&at->app, at->db, &at->admin, "eve", ROLE_DISTRICT, NULL, NULL,
                                 false, &temp, &why, &u),
                     0);
    assert_int_equal(temp.len, 16);
    assert_true(u.must_change); /* a generated password is always temporary */
    assert_int_equal(password_verify(temp.data, u.password_hash), 0);
    assert_int_equal(policy_check_password(&at->app.policy, "eve", temp.data, &why2), 0);
    assert_int_equal(policy_check_password(&strict, "eve", temp.data, &why2), 0);
    buf_release_secret(&temp);

    /* a given password marked temporary */
    assert_int_equal(user_create(&at->app, at->db, &at->admin, "eve2", ROLE_VIEWER, NULL,
                                 APPTEST_PASSWORD, true, NULL, &why, &u),
                     0);
    assert_true(u.must_change);
    buf_release(&why);
    buf_release(&why2);
}

static void
test_generated_passwords(void **state)
{
    (void)state;
    struct policy strict = POLICY_DEFAULTS;
    struct buf pw = BUF_INIT, why = BUF_INIT;
    char seen[300][17];
    strict.password_min_length = 16;
    strict.password_min_classes = 4;
    for (int i = 0; i < 300; i++) {
        buf_reset(&pw);
        assert_int_equal(user_generate_password(&pw), 0);
        assert_int_equal(pw.len, 16);
        assert_true(classes4(pw.data));
        assert_true(str_is_utf8(pw.data, pw.len) && !str_has_ctl(pw.data, pw.len));
        if (policy_check_password(&strict, "generated_user", pw.data, &why))
            fail_msg("generated password rejected: %s", why.data);
        memcpy(seen[i], pw.data, 17);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
    buf_release_secret(&pw);
    buf_release(&why);
}

/* ---- list --------------------------------------------------------------------------- */

static void
test_list_paging(void **state)
{
    struct apptest *at = *state;
    struct user *items = NULL;
    size_t n = 0, seen = 0;
    int64_t total = 0, after = 0, ids[5];
    char name[32];

    assert_int_equal(user_list(at->db, 0, 10, &items, &n, &total), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    xfree(items);

    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "user%d", i);
        ids[i] = apptest_user(at, name, ROLE_VIEWER, NULL, NULL, NULL);
    }
    for (int page = 0; page < 4; page++) {
        assert_int_equal(user_list(at->db, after, 2, &items, &n, &total), 0);
        assert_int_equal(total, 5);
        assert_int_equal(n, page < 2 ? 2 : page == 2 ? 1 : 0);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(items[i].id, ids[seen]);
            snprintf(name, sizeof name, "user%zu", seen);
            assert_string_equal(items[i].username, name);
            seen++;
        }
        if (n)
            after = items[n - 1].id;
        xfree(items);
    }
    assert_int_equal(seen, 5);
    assert_int_equal(user_list(at->db, 0, 100, &items, &n, &total), 0);
    assert_int_equal(n, 5);
    xfree(items);
}

/* ---- update ------------------------------------------------------------------------- */

static void
test_update_role_and_subdistrict(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct arena arena = ARENA_INIT;
    char target[32];
    int64_t id = apptest_user(at, "frank", ROLE_VIEWER, NULL, NULL, NULL);
    int64_t sid = new_session(at, id);

    struct user_change to_district = { .has_role = true, .role = ROLE_DISTRICT };
    time_set_fake_ms(APPTEST_T0 + 1000);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &to_district, &why, &u), 0);
    assert_int_equal(u.role, ROLE_DISTRICT);
    assert_int_equal(u.updated_at, APPTEST_T0 + 1000);
    assert_int_equal(session_exists(at, sid), 0); /* a role change ends the sessions */
    struct audit_entry e = last_audit(at, &arena, "user.update");
    assert_string_equal(e.target, target_of(id, target, sizeof target));
    assert_non_null(strstr(e.detail, "role=district"));

    /* subdistrict role without a subdistrict: refused, nothing changed */
    struct user_change bad = { .has_role = true, .role = ROLE_SUBDISTRICT };
    buf_reset(&why);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &bad, &why, &u), ERR_INVALID);
    assert_true(why.len > 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.role, ROLE_DISTRICT);

    struct user_change bad2 = { .has_role = true, .role = ROLE_SUBDISTRICT, .has_subdistrict = true };
    str_copy(bad2.subdistrict, sizeof bad2.subdistrict, COMMUNITY);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &bad2, &why, &u), ERR_INVALID);

    struct user_change to_sub = { .has_role = true, .role = ROLE_SUBDISTRICT, .has_subdistrict = true };
    str_copy(to_sub.subdistrict, sizeof to_sub.subdistrict, APPTEST_SUBDISTRICT);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &to_sub, &why, &u), 0);
    assert_int_equal(u.role, ROLE_SUBDISTRICT);
    assert_string_equal(u.subdistrict, APPTEST_SUBDISTRICT);

    struct user_change move = { .has_subdistrict = true };
    str_copy(move.subdistrict, sizeof move.subdistrict, APPTEST_SUBDISTRICT2);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &move, &why, &u), 0);
    assert_string_equal(u.subdistrict, APPTEST_SUBDISTRICT2);
    e = last_audit(at, &arena, "user.update");
    assert_non_null(strstr(e.detail, "subdistrict=" APPTEST_SUBDISTRICT2));

    struct user_change unbind = { .has_subdistrict = true };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &unbind, &why, &u), ERR_INVALID);

    /* leaving the subdistrict role drops the binding */
    struct user_change to_viewer = { .has_role = true, .role = ROLE_VIEWER };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &to_viewer, &why, &u), 0);
    assert_int_equal(u.role, ROLE_VIEWER);
    assert_string_equal(u.subdistrict, "");
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM users WHERE id = ?1 AND subdistrict IS NULL", id), 1);

    /* a viewer cannot be bound to a subdistrict */
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &move, &why, &u), ERR_INVALID);
    struct user_change none = { .has_role = true, .role = ROLE_NONE };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &none, &why, &u), ERR_INVALID);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id + 99, &to_viewer, &why, &u), ERR_NOT_FOUND);

    /* four successful updates, each audited */
    assert_int_equal(apptest_count_audit(at->db, "user.update", target, "ok"), 4);
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_update_lock_and_disable(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct arena arena = ARENA_INIT;
    int64_t id = apptest_user(at, "grace", ROLE_DISTRICT, NULL, NULL, NULL);
    int64_t now = time_now_ms();

    new_session(at, id);
    new_session(at, id);
    struct user_change lock = { .has_locked = true, .locked = true };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &lock, &why, &u), 0);
    assert_true(user_is_locked(&u, now));
    assert_true(user_is_locked(&u, now + 100LL * 365 * 86400000));
    assert_int_equal(sessions_of(at, id), 0);
    assert_non_null(strstr(last_audit(at, &arena, "user.update").detail, "locked=1"));

    struct user_change unlock = { .has_locked = true, .locked = false };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &unlock, &why, &u), 0);
    assert_false(user_is_locked(&u, now));
    assert_int_equal(u.locked_until, 0);

    new_session(at, id);
    struct user_change disable = { .has_disabled = true, .disabled = true };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &disable, &why, &u), 0);
    assert_true(u.disabled);
    assert_int_equal(sessions_of(at, id), 0);
    assert_non_null(strstr(last_audit(at, &arena, "user.update").detail, "disabled=1"));
    struct user_change enable = { .has_disabled = true, .disabled = false };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &enable, &why, &u), 0);
    assert_false(u.disabled);

    /* an empty change is harmless and keeps the sessions */
    int64_t sid = new_session(at, id);
    struct user_change nothing = { 0 };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, id, &nothing, &why, &u), 0);
    assert_int_equal(session_exists(at, sid), 1);

    assert_int_equal(apptest_count_audit(at->db, "user.update", NULL, "ok"), 5);
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_update_self_refused(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct actor me;
    int64_t id = apptest_user(at, "heidi", ROLE_SYSADMIN, NULL, NULL, NULL);
    int64_t other = apptest_user(at, "ivan", ROLE_VIEWER, NULL, NULL, NULL);
    int64_t audits = apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0);
    apptest_actor(at, id, &me);

    struct user_change lock = { .has_locked = true, .locked = true };
    assert_int_equal(user_update(&at->app, at->db, &me, id, &lock, &why, &u), ERR_INVALID);
    assert_true(why.len > 0);
    struct user_change role = { .has_role = true, .role = ROLE_VIEWER };
    int rc = user_update(&at->app, at->db, &me, id, &role, &why, &u);
    assert_true(rc == ERR_INVALID || rc == ERR_FORBIDDEN); /* also an admin role change */
    struct user_change disable = { .has_disabled = true, .disabled = true };
    assert_int_equal(user_update(&at->app, at->db, &me, id, &disable, &why, &u), ERR_INVALID);
    assert_int_equal(user_set_lock(&at->app, at->db, &me, id, true), ERR_INVALID);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.role, ROLE_SYSADMIN);
    assert_false(u.disabled);
    assert_false(user_is_locked(&u, time_now_ms()));
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0), audits);

    /* the same admin may lock someone else; the entry names the admin */
    struct arena arena = ARENA_INIT;
    assert_int_equal(user_update(&at->app, at->db, &me, other, &lock, &why, &u), 0);
    struct audit_entry e = last_audit(at, &arena, "user.update");
    assert_string_equal(e.actor, "heidi");
    assert_string_equal(e.role, "sysadmin");
    assert_string_equal(e.ip, "127.0.0.1");
    assert_string_equal(e.request_id, "req-test");
    arena_release(&arena);
    buf_release(&why);
}

/* A business account cannot change its own role either. */
static void
test_update_own_role_refused(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct actor me;
    int64_t id = apptest_user(at, "judith", ROLE_DISTRICT, NULL, NULL, NULL);
    apptest_actor(at, id, &me);
    struct user_change role = { .has_role = true, .role = ROLE_VIEWER };
    assert_int_equal(user_update(&at->app, at->db, &me, id, &role, &why, &u), ERR_INVALID);
    assert_non_null(strstr(why.data, "your own"));
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.role, ROLE_DISTRICT);
    buf_release(&why);
}

/* 三权分立: the administrator roles are granted and taken away only at the console
 * (ACTOR_SYSTEM), never by an online administrator. */
static void
test_admin_roles_console_only(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct actor sys;
    int64_t sa = apptest_user(at, "sa1", ROLE_SYSADMIN, NULL, NULL, NULL);
    int64_t aud = apptest_user(at, "aud1", ROLE_AUDITOR, NULL, NULL, NULL);
    int64_t v = apptest_user(at, "view1", ROLE_VIEWER, NULL, NULL, NULL);
    int64_t users_before;
    apptest_actor(at, sa, &sys);

    users_before = users(at);
    for (int r = ROLE_SYSADMIN; r <= ROLE_AUDITOR; r++) {
        buf_reset(&why);
        if (user_create(&at->app, at->db, &sys, "newadmin", (enum role)r, NULL, APPTEST_PASSWORD, false,
                        NULL, &why, &u) != ERR_FORBIDDEN)
            fail_msg("an online sysadmin created a %s", role_name((enum role)r));
        assert_true(why.len > 0);
    }
    assert_int_equal(users(at), users_before);
    assert_int_equal(user_create(&at->app, at->db, &sys, "newdistrict", ROLE_DISTRICT, NULL,
                                 APPTEST_PASSWORD, false, NULL, &why, &u),
                     0);

    /* promote to or demote from an admin role: refused online */
    struct user_change promote = { .has_role = true, .role = ROLE_SECADMIN };
    assert_int_equal(user_update(&at->app, at->db, &sys, v, &promote, &why, &u), ERR_FORBIDDEN);
    assert_int_equal(user_get(at->db, v, &u), 0);
    assert_int_equal(u.role, ROLE_VIEWER);
    struct user_change demote = { .has_role = true, .role = ROLE_VIEWER };
    assert_int_equal(user_update(&at->app, at->db, &sys, aud, &demote, &why, &u), ERR_FORBIDDEN);
    assert_int_equal(user_get(at->db, aud, &u), 0);
    assert_int_equal(u.role, ROLE_AUDITOR);
    /* business role changes are fine online */
    struct user_change to_district = { .has_role = true, .role = ROLE_DISTRICT };
    assert_int_equal(user_update(&at->app, at->db, &sys, v, &to_district, &why, &u), 0);

    /* the console may do both */
    assert_int_equal(user_update(&at->app, at->db, &at->admin, v, &promote, &why, &u), 0);
    assert_int_equal(u.role, ROLE_SECADMIN);
    assert_int_equal(user_update(&at->app, at->db, &at->admin, aud, &demote, &why, &u), 0);
    assert_int_equal(u.role, ROLE_VIEWER);
    buf_release(&why);
}

/* ---- passwords ---------------------------------------------------------------------- */

static void
test_set_password(void **state)
{
    struct apptest *at = *state;
    struct buf why = BUF_INIT;
    struct user u;
    struct actor me;
    struct arena arena = ARENA_INIT;
    char target[32];
    int64_t id = apptest_user(at, "judy", ROLE_DISTRICT, NULL, NULL, NULL);
    int64_t s1 = new_session(at, id), s2 = new_session(at, id), s3 = new_session(at, id);
    int64_t other = apptest_user(at, "ken", ROLE_DISTRICT, NULL, NULL, NULL);
    int64_t so = new_session(at, other);
    apptest_actor(at, id, &me);

    assert_int_equal(user_set_password(&at->app, at->db, &me, id, "weak", false, s2, &why), ERR_WEAK_PASSWORD);
    assert_true(why.len > 0);
    buf_reset(&why);
    assert_int_equal(user_set_password(&at->app, at->db, &me, id, APPTEST_PASSWORD, false, s2, &why),
                     ERR_WEAK_PASSWORD);
    assert_non_null(strstr(why.data, "differ"));
    buf_reset(&why);
    assert_int_equal(user_set_password(&at->app, at->db, &me, id, "judy's pw", false, s2, &why), ERR_WEAK_PASSWORD);
    assert_int_equal(sessions_of(at, id), 3);
    assert_int_equal(apptest_count_audit(at->db, "user.password.change", NULL, NULL), 0);

    time_set_fake_ms(APPTEST_T0 + 5000);
    assert_int_equal(user_set_password(&at->app, at->db, &me, id, "Another-Good-Pass-8", false, s2, &why), 0);
    assert_int_equal(session_exists(at, s1), 0);
    assert_int_equal(session_exists(at, s2), 1);
    assert_int_equal(session_exists(at, s3), 0);
    assert_int_equal(session_exists(at, so), 1); /* other users keep theirs */
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_false(u.must_change);
    assert_int_equal(u.password_changed_at, APPTEST_T0 + 5000);
    assert_int_equal(password_verify("Another-Good-Pass-8", u.password_hash), 0);
    assert_int_equal(password_verify(APPTEST_PASSWORD, u.password_hash), ERR_LOGIN_FAILED);
    struct audit_entry e = last_audit(at, &arena, "user.password.change");
    assert_string_equal(e.target, target_of(id, target, sizeof target));
    assert_string_equal(e.actor, "judy");
    assert_null(strstr(e.detail, "Another"));

    /* temporary: must change at next login; keep_session 0 ends them all */
    new_session(at, id);
    assert_int_equal(user_set_password(&at->app, at->db, &at->admin, id, "Third-Good-Pass-9", true, 0, &why), 0);
    assert_int_equal(sessions_of(at, id), 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_true(u.must_change);
    assert_int_equal(apptest_count_audit(at->db, "user.password.reset", target, "ok"), 1);

    assert_int_equal(user_set_password(&at->app, at->db, &at->admin, 9999, "Fourth-Good-Pass-1", false, 0, &why),
                     ERR_NOT_FOUND);
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_reset_password(void **state)
{
    struct apptest *at = *state;
    struct buf temp = BUF_INIT, why = BUF_INIT;
    struct user u;
    struct actor a;
    char target[32];
    int64_t id = apptest_user(at, "leo", ROLE_VIEWER, NULL, NULL, NULL);
    new_session(at, id);
    new_session(at, id);

    assert_int_equal(user_reset_password(&at->app, at->db, &at->admin, id, &temp), 0);
    assert_int_equal(temp.len, 16);
    assert_int_equal(policy_check_password(&at->app.policy, "leo", temp.data, &why), 0);
    assert_int_equal(sessions_of(at, id), 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_true(u.must_change);
    assert_int_equal(password_verify(temp.data, u.password_hash), 0);
    assert_int_equal(password_verify(APPTEST_PASSWORD, u.password_hash), ERR_LOGIN_FAILED);
    memset(&a, 0, sizeof a);
    user_to_actor(&at->app, &u, &a);
    assert_true(a.must_change_password);
    assert_int_equal(apptest_count_audit(at->db, "user.password.reset", target_of(id, target, sizeof target), "ok"), 1);

    buf_reset(&temp);
    assert_int_equal(user_reset_password(&at->app, at->db, &at->admin, id + 50, &temp), ERR_NOT_FOUND);
    assert_int_equal(temp.len, 0);
    buf_release_secret(&temp);
    buf_release(&why);
}

static void
test_lock_unlock(void **state)
{
    struct apptest *at = *state;
    struct user u;
    struct actor who;
    char target[32];
    int64_t id = apptest_user(at, "mallory", ROLE_DISTRICT, NULL, NULL, NULL);
    int64_t now = time_now_ms();

    /* two failed logins leave a count that an unlock clears */
    for (int i = 0; i < 2; i++) {
        memset(&who, 0, sizeof who);
        assert_int_equal(auth_login(&at->app, at->db, &who, "mallory", "Wrong-Password-1", NULL, &u),
                         ERR_LOGIN_FAILED);
    }
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.failed_count, 2);

    new_session(at, id);
    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, id, true), 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_true(user_is_locked(&u, now));
    assert_int_equal(sessions_of(at, id), 0);
    memset(&who, 0, sizeof who);
    assert_int_equal(auth_login(&at->app, at->db, &who, "mallory", APPTEST_PASSWORD, NULL, &u), ERR_LOGIN_FAILED);

    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, id, false), 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_false(user_is_locked(&u, now));
    assert_int_equal(u.failed_count, 0);
    memset(&who, 0, sizeof who);
    assert_int_equal(auth_login(&at->app, at->db, &who, "mallory", APPTEST_PASSWORD, NULL, &u), 0);

    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, id + 7, true), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "user.update", target_of(id, target, sizeof target), "ok"), 2);
    apptest_audit_intact(at);
}

static void
test_password_expiry(void **state)
{
    struct apptest *at = *state;
    struct user u;
    struct actor a;
    int64_t age = at->app.policy.password_max_age_ms;

    time_set_fake_ms(APPTEST_T0);
    apptest_user(at, "nina", ROLE_VIEWER, NULL, NULL, &u);
    assert_false(user_password_expired(&at->app, &u, APPTEST_T0 + age));
    assert_true(user_password_expired(&at->app, &u, APPTEST_T0 + age + 1));

    time_set_fake_ms(APPTEST_T0 + age - 1);
    memset(&a, 0, sizeof a);
    user_to_actor(&at->app, &u, &a);
    assert_false(a.must_change_password);
    time_set_fake_ms(APPTEST_T0 + age + 1);
    user_to_actor(&at->app, &u, &a);
    assert_true(a.must_change_password);

    at->app.policy.password_max_age_ms = 0; /* never expires */
    assert_false(user_password_expired(&at->app, &u, APPTEST_T0 + 100 * age));
    user_to_actor(&at->app, &u, &a);
    assert_false(a.must_change_password);
}

static void
test_user_to_actor(void **state)
{
    struct apptest *at = *state;
    struct user u;
    struct actor a;

    apptest_user(at, "olga", ROLE_SUBDISTRICT, APPTEST_SUBDISTRICT, NULL, &u);
    memset(&a, 0, sizeof a);
    user_to_actor(&at->app, &u, &a);
    assert_int_equal(a.kind, ACTOR_USER);
    assert_int_equal(a.id, u.id);
    assert_string_equal(a.name, "olga");
    assert_int_equal(a.role, ROLE_SUBDISTRICT);
    assert_int_equal(a.perms, role_perms(ROLE_SUBDISTRICT));
    assert_string_equal(a.subdistrict, APPTEST_SUBDISTRICT);
    assert_false(a.totp_pending);
    assert_true(actor_in_scope(&a, APPTEST_SUBDISTRICT));
    assert_false(actor_in_scope(&a, APPTEST_SUBDISTRICT2));

    apptest_user(at, "peggy", ROLE_SECADMIN, NULL, NULL, &u);
    user_to_actor(&at->app, &u, &a);
    assert_string_equal(a.subdistrict, "");
    assert_true(a.totp_pending); /* admin roles must enrol a second factor */
    assert_true(actor_in_scope(&a, APPTEST_SUBDISTRICT2));

    apptest_user(at, "quinn", ROLE_VIEWER, NULL, NULL, &u);
    user_to_actor(&at->app, &u, &a);
    assert_false(a.totp_pending);
    at->app.policy.totp_for_all = true;
    user_to_actor(&at->app, &u, &a);
    assert_true(a.totp_pending);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_name),
        APPTEST(test_create),
        APPTEST(test_create_invalid_names),
        APPTEST(test_create_duplicate),
        APPTEST(test_create_role_scope),
        APPTEST(test_create_out_of_range_role),
        APPTEST(test_update_out_of_range_role),
        APPTEST(test_create_weak_password),
        APPTEST(test_create_temporary_password),
        cmocka_unit_test(test_generated_passwords),
        APPTEST(test_list_paging),
        APPTEST(test_update_role_and_subdistrict),
        APPTEST(test_update_lock_and_disable),
        APPTEST(test_update_self_refused),
        APPTEST(test_update_own_role_refused),
        APPTEST(test_admin_roles_console_only),
        APPTEST(test_set_password),
        APPTEST(test_reset_password),
        APPTEST(test_lock_unlock),
        APPTEST(test_password_expiry),
        APPTEST(test_user_to_actor),
    };
    return apptest_run("domain_user", tests, sizeof tests / sizeof tests[0]);
}
