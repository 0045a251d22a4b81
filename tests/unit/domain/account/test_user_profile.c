/* tests/unit/domain/account/test_user_profile.c - an account's profile and the users list's
 * filters (issue 14 "New-user dialog", "Security administrator: user list with search, last
 * login, failed attempts, locked until"; S1 personal data sealed; S6), on SQLite and
 * PostgreSQL.
 *
 * Covers: the real name and phone stored sealed (neither the text nor the digits in the
 * row), masked on reading, the organisation plain; bad profile fields refused with their
 * reason and nothing stored; user_find by role, state (normal / locked / disabled), a part
 * of the user name (LIKE wildcards taken literally), a whole real name (blind index) and
 * paging with the total of the filter; last_login_at set by a successful login only.
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
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "domain/account/user.h"

static int64_t
make(struct apptest *at, const char *name, enum role role, const char *sub, const char *real, const char *phone,
     const char *org)
{
    struct user_profile p = { real, phone, org };
    struct user u;
    assert_int_equal(user_create_with(&at->app, at->db, &at->admin, name, role, sub, &p, APPTEST_PASSWORD, false,
                                      NULL, apptest_why(), &u),
                     0);
    return u.id;
}

/* raw_contains: does the stored column of user id contain text? */
static bool
raw_contains(struct apptest *at, int64_t id, const char *col, const char *text)
{
    char sql[96];
    struct db_stmt *st = NULL;
    bool row = false, found = false;
    size_t n = 0;
    snprintf(sql, sizeof sql, "SELECT %s FROM users WHERE id = ?1", col);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const void *b = db_col_blob(st, 0, &n);
    assert_non_null(b);
    found = apptest_memmem(b, n, text, strlen(text));
    db_done(st);
    return found;
}

static void
test_profile_sealed_and_masked(void **state)
{
    struct apptest *at = *state;
    struct user u;
    char m[USER_SEALED_MAX];
    int64_t id = make(at, "zhangsf", ROLE_VIEWER, NULL, " 张三丰 ", "139-1234-5678", "东城区卫健委");

    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_false(raw_contains(at, id, "real_name", "张三丰"));
    assert_false(raw_contains(at, id, "phone", "5678"));
    user_masked_real_name(&at->app.keys, &u, m, sizeof m);
    assert_string_equal(m, "张**");
    user_masked_phone(&at->app.keys, &u, m, sizeof m);
    assert_string_equal(m, "139****5678");
    assert_string_equal(u.organisation, "东城区卫健委");
    assert_int_equal(u.last_login_at, 0);
    assert_int_equal(apptest_count_audit(at->db, "user.create", NULL, "ok"), 1);

    /* none given: empty, nothing sealed */
    id = make(at, "plain", ROLE_VIEWER, NULL, NULL, "", NULL);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.real_name_sealed_len, 0);
    assert_int_equal(u.phone_sealed_len, 0);
    user_masked_phone(&at->app.keys, &u, m, sizeof m);
    assert_string_equal(m, "");
}

static void
test_profile_refused(void **state)
{
    struct apptest *at = *state;
    static const struct {
        struct user_profile p;
        const char *why;
    } cases[] = {
        { { "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三", NULL, NULL },
          "'real_name' must have at most 32 characters" },
        { { "张\n三", NULL, NULL }, "'real_name' contains characters that are not allowed" },
        { { NULL, "12345", NULL }, "'phone' must be a phone number of 7-20 digits" },
        { { NULL, "139x12345678", NULL }, "'phone' must be a phone number of 7-20 digits" },
        { { NULL, "1391234567812345678901", NULL }, "'phone' must be a phone number of 7-20 digits" },
        { { NULL, NULL, "\x01unit" }, "'organisation' contains characters that are not allowed" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(user_create_with(&at->app, at->db, &at->admin, "refused", ROLE_VIEWER, NULL, &cases[i].p,
                                          APPTEST_PASSWORD, false, NULL, apptest_why(), NULL),
                         ERR_INVALID);
        assert_string_equal(apptest_why_text(), cases[i].why);
    }
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM users WHERE username = 'refused'", 0), 0);
    /* accepted forms of a phone */
    make(at, "phone1", ROLE_VIEWER, NULL, NULL, "+86 139 1234 5678", NULL);
    make(at, "phone2", ROLE_VIEWER, NULL, NULL, "010-65123456", NULL);
}

/* find runs user_find and returns the user names joined by ',' (static buffer). */
static const char *
find(struct apptest *at, enum role role, enum user_state st, const char *q, int64_t *total)
{
    static char out[256];
    struct user_filter f = { role, st, q, time_now_ms() };
    struct user *items = NULL;
    size_t n = 0;
    out[0] = '\0';
    assert_int_equal(user_find(at->db, &at->app.keys, &f, 0, 50, &items, &n, total), 0);
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", items[i].username);
    xfree(items);
    return out;
}

static void
test_find_filters(void **state)
{
    struct apptest *at = *state;
    int64_t total = -1, after = 0;
    struct user *items = NULL;
    size_t n = 0;
    make(at, "li.si", ROLE_VIEWER, NULL, "李四", NULL, NULL);
    int64_t locked = make(at, "wang_wu", ROLE_DISTRICT, NULL, "王五", NULL, NULL);
    int64_t off = make(at, "zhao6", ROLE_SUBDISTRICT, APPTEST_SUBDISTRICT, "赵六", NULL, NULL);
    make(at, "lisi2", ROLE_VIEWER, NULL, "李四", NULL, NULL);
    assert_int_equal(user_set_lock(&at->app, at->db, &at->admin, locked, true), 0);
    struct user_change c = { .has_disabled = true, .disabled = true };
    assert_int_equal(user_update(&at->app, at->db, &at->admin, off, &c, apptest_why(), NULL), 0);

    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, NULL, &total), "li.si,wang_wu,zhao6,lisi2");
    assert_int_equal(total, 4);
    assert_string_equal(find(at, ROLE_VIEWER, USER_STATE_ANY, "", &total), "li.si,lisi2");
    assert_int_equal(total, 2);
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_LOCKED, NULL, &total), "wang_wu");
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_DISABLED, NULL, &total), "zhao6");
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_NORMAL, NULL, &total), "li.si,lisi2");
    assert_int_equal(total, 2);
    /* a part of the user name, case-folded; wildcards are literal */
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, "LI", &total), "li.si,lisi2");
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, "_", &total), "wang_wu");
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, "%", &total), "");
    assert_int_equal(total, 0);
    /* a whole real name by its blind index (trimmed), not a part of it */
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, " 李四 ", &total), "li.si,lisi2");
    assert_string_equal(find(at, ROLE_NONE, USER_STATE_ANY, "李", &total), "");
    assert_string_equal(find(at, ROLE_DISTRICT, USER_STATE_LOCKED, "王五", &total), "wang_wu");
    /* paging keeps the filter's total */
    struct user_filter f = { ROLE_VIEWER, USER_STATE_ANY, NULL, time_now_ms() };
    for (int page = 0; page < 2; page++) {
        assert_int_equal(user_find(at->db, &at->app.keys, &f, after, 1, &items, &n, &total), 0);
        assert_int_equal(n, 1);
        assert_int_equal(total, 2);
        assert_string_equal(items[0].username, page ? "lisi2" : "li.si");
        after = items[0].id;
        xfree(items);
    }
}

static void
test_last_login(void **state)
{
    struct apptest *at = *state;
    struct actor who = { 0 };
    struct user u;
    int64_t id = make(at, "login1", ROLE_VIEWER, NULL, NULL, NULL, NULL);
    str_copy(who.ip, sizeof who.ip, "127.0.0.1");
    time_set_fake_ms(APPTEST_NOW);
    assert_int_equal(auth_login(&at->app, at->db, &who, "login1", "wrong-password-1", NULL, &u), ERR_LOGIN_FAILED);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.last_login_at, 0);
    assert_int_equal(u.failed_count, 1);
    time_set_fake_ms(APPTEST_NOW + 5000);
    assert_int_equal(auth_login(&at->app, at->db, &who, "login1", APPTEST_PASSWORD, NULL, &u), 0);
    assert_int_equal(user_get(at->db, id, &u), 0);
    assert_int_equal(u.last_login_at, APPTEST_NOW + 5000);
    assert_int_equal(u.failed_count, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_profile_sealed_and_masked),
        APPTEST(test_profile_refused),
        APPTEST(test_find_filters),
        APPTEST(test_last_login),
    };
    return apptest_run("domain_user_profile", tests, sizeof tests / sizeof tests[0]);
}
