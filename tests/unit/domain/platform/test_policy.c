/* tests/unit/domain/platform/test_policy.c - the security policy of domain/platform/policy.h (S6, MLPS
 * level 3 身份鉴别: password rules, lockout, session timeouts, second factor), on SQLite
 * and PostgreSQL.
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
#include "core/err.h"
#include "domain/platform/audit.h"
#include "domain/platform/policy.h"

static void
assert_policy_equal(const struct policy *a, const struct policy *b)
{
    assert_int_equal(a->password_min_length, b->password_min_length);
    assert_int_equal(a->password_min_classes, b->password_min_classes);
    assert_int_equal(a->password_max_age_ms, b->password_max_age_ms);
    assert_int_equal(a->lockout_attempts, b->lockout_attempts);
    assert_int_equal(a->lockout_ms, b->lockout_ms);
    assert_int_equal(a->session_idle_ms, b->session_idle_ms);
    assert_int_equal(a->session_absolute_ms, b->session_absolute_ms);
    assert_int_equal(a->totp_for_all, b->totp_for_all);
    assert_int_equal(a->pbkdf2_iterations, b->pbkdf2_iterations);
    assert_int_equal(a->batch_rows_per_day, b->batch_rows_per_day);
}

static struct policy
changed_policy(void)
{
    struct policy p = POLICY_DEFAULTS;
    p.password_min_length = 14;
    p.password_min_classes = 4;
    p.password_max_age_ms = 30LL * 86400000;
    p.lockout_attempts = 3;
    p.lockout_ms = 3600000;
    p.session_idle_ms = 600000;
    p.session_absolute_ms = 4LL * 3600000;
    p.totp_for_all = true;
    p.pbkdf2_iterations = 200000;
    return p;
}

/* ---- load and save ------------------------------------------------------------------ */

static void
test_load_defaults(void **state)
{
    struct apptest *at = *state;
    struct policy p, d = POLICY_DEFAULTS;
    memset(&p, 0x5a, sizeof p);
    assert_int_equal(policy_load(at->db, &p), 0);
    assert_policy_equal(&p, &d);
    /* the defaults are themselves a valid policy */
    assert_int_equal(policy_save(at->db, &at->app.keys, &at->admin, &d, apptest_why()), 0);
}

static void
test_save_load_roundtrip(void **state)
{
    struct apptest *at = *state;
    struct policy p = changed_policy(), got;
    struct arena arena = ARENA_INIT;

    assert_int_equal(policy_save(at->db, &at->app.keys, &at->admin, &p, apptest_why()), 0);
    assert_int_equal(policy_load(at->db, &got), 0);
    assert_policy_equal(&got, &p);

    /* saving again overwrites (upsert), every field */
    struct policy q = POLICY_DEFAULTS;
    q.password_min_length = 12;
    q.totp_for_all = false;
    assert_int_equal(policy_save(at->db, &at->app.keys, &at->admin, &q, apptest_why()), 0);
    assert_int_equal(policy_load(at->db, &got), 0);
    assert_policy_equal(&got, &q);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM settings WHERE key LIKE 'policy.%'", 0), 10);

    struct audit_query aq = { .action = "settings.policy.update", .limit = 10 };
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    assert_int_equal(audit_list(at->db, &aq, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].actor, "tester");
    assert_string_equal(items[0].target, "policy");
    assert_string_equal(items[0].result, "ok");
    apptest_audit_intact(at);
    arena_release(&arena);
}

/* Each field below its minimum or above its maximum is refused, naming the field, and
 * nothing is stored or audited. */
static void
test_out_of_range(void **state)
{
    struct apptest *at = *state;
    struct policy got, d = POLICY_DEFAULTS;
    struct range {
        const char *key;
        int which;
        int64_t bad_lo, bad_hi, ok_lo, ok_hi;
    };
    static const struct range ranges[] = {
        { "policy.password_min_length", 0, 7, 65, 8, 64 },
        { "policy.password_min_classes", 1, 0, 5, 1, 4 },
        { "policy.password_max_age_ms", 2, -1, 3650LL * 86400000 + 1, 0, 3650LL * 86400000 },
        { "policy.lockout_attempts", 3, 0, 101, 1, 100 },
        { "policy.lockout_ms", 4, 59999, 86400001, 60000, 86400000 },
        { "policy.session_idle_ms", 5, 59999, 86400001, 60000, 86400000 },
        { "policy.session_absolute_ms", 6, 599999, 7 * 86400000LL + 1, 600000, 7 * 86400000LL },
        /* issue 12: at most 600 000, so the secadmin cannot stall every sign-in */
        { "policy.pbkdf2_iterations", 8, 9999, 600001, 10000, 600000 },
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        const struct range *r = &ranges[i];
        for (int k = 0; k < 4; k++) {
            struct policy p = POLICY_DEFAULTS;
            int64_t v = k == 0 ? r->bad_lo : k == 1 ? r->bad_hi : k == 2 ? r->ok_lo : r->ok_hi;
            char want[64];
            switch (r->which) {
            case 0: p.password_min_length = (int)v; break;
            case 1: p.password_min_classes = (int)v; break;
            case 2: p.password_max_age_ms = v; break;
            case 3: p.lockout_attempts = (int)v; break;
            case 4: p.lockout_ms = v; break;
            case 5: p.session_idle_ms = v; break;
            case 6: p.session_absolute_ms = v; break;
            case 8: p.pbkdf2_iterations = (uint32_t)v; break;
            }
            int rc = policy_save(at->db, &at->app.keys, &at->admin, &p, apptest_why());
            if (k < 2) {
                if (rc != ERR_INVALID)
                    fail_msg("%s = %lld accepted", r->key, (long long)v);
                if (r->which == 8)
                    snprintf(want, sizeof want, "'pbkdf2_iterations' must be between 10000 and 600000");
                else
                    snprintf(want, sizeof want, "'%s' is out of range", r->key + 7);
                assert_string_equal(apptest_why_text(), want);
            } else if (rc != 0) {
                fail_msg("%s = %lld refused", r->key, (long long)v);
            }
        }
    }
    /* only the in-range saves were stored and audited */
    assert_int_equal(apptest_count_audit(at->db, "settings.policy.update", NULL, NULL), 16);
    assert_int_equal(policy_load(at->db, &got), 0);
    d.pbkdf2_iterations = 600000; /* the last save */
    assert_policy_equal(&got, &d);
    /* issue 12: the audit entry holds the old and the new value */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log WHERE action = 'settings.policy.update'"
                                         " AND detail = 'pbkdf2_iterations=10000->600000'", 0), 1);
}

/* Values stored out of range or malformed (edited by hand) fall back to the default. */
static void
test_load_ignores_bad_values(void **state)
{
    struct apptest *at = *state;
    struct policy got, d = POLICY_DEFAULTS;
    assert_int_equal(db_exec(at->db, "INSERT INTO settings (key, value) VALUES"
                                     " ('policy.lockout_attempts', 'abc'),"
                                     " ('policy.password_min_length', '3'),"
                                     " ('policy.session_idle_ms', '99999999999'),"
                                     " ('policy.password_min_classes', ' 2'),"
                                     " ('policy.unknown', '5'),"
                                     " ('other.key', '1'),"
                                     " ('policy.lockout_ms', '120000')"),
                     0);
    assert_int_equal(policy_load(at->db, &got), 0);
    d.lockout_ms = 120000;
    assert_policy_equal(&got, &d);
}

/* ---- passwords ---------------------------------------------------------------------- */

static int
check(const struct policy *p, const char *user, const char *pw, struct buf *why)
{
    buf_reset(why);
    int rc = policy_check_password(p, user, pw, why);
    if (rc) {
        assert_int_equal(rc, ERR_WEAK_PASSWORD);
        assert_true(why->len > 0);
        /* the reason never echoes the password (one of plain words may be a word of it) */
        if (strlen(pw) >= 4 && strcspn(pw, "0123456789!@#$%^&*-_ ") < strlen(pw))
            assert_null(strstr(why->data, pw));
    }
    return rc;
}

static void
test_password_length(void **state)
{
    (void)state;
    struct policy p = POLICY_DEFAULTS;
    struct buf why = BUF_INIT;
    char longpw[200];

    assert_int_equal(check(&p, "alice", "Abcdefgh1!", &why), 0);
    assert_int_equal(check(&p, "alice", "Abcdef1!x", &why), ERR_WEAK_PASSWORD);
    assert_non_null(strstr(why.data, "10"));
    assert_int_equal(check(&p, "alice", "", &why), ERR_WEAK_PASSWORD);
    /* characters, not bytes: 6 characters in 12 bytes is short, 11 in 27 is enough */
    assert_int_equal(check(&p, "alice", "密码Ab1!", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "密码密码密码密码Ab1", &why), 0);

    memset(longpw, 'a', 128);
    memcpy(longpw, "A1!", 3);
    longpw[128] = '\0';
    assert_int_equal(check(&p, "alice", longpw, &why), 0);
    longpw[128] = 'b';
    longpw[129] = '\0';
    assert_int_equal(check(&p, "alice", longpw, &why), ERR_WEAK_PASSWORD);

    p.password_min_length = 16;
    assert_int_equal(check(&p, "alice", "Abcdefgh1!xyzuv", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "Abcdefgh1!xyzuvw", &why), 0);
    buf_release(&why);
}

static void
test_password_classes(void **state)
{
    (void)state;
    struct policy p = POLICY_DEFAULTS;
    struct buf why = BUF_INIT;

    assert_int_equal(check(&p, "alice", "abcdefghijkl", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "ABCDEFGHIJKL", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "abcdefgh1234", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "abcdef!!!!!!", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "abcdefgh12!!", &why), 0);
    assert_int_equal(check(&p, "alice", "ABCDEFgh1234", &why), 0);
    assert_int_equal(check(&p, "alice", "ABCDEF 1234x", &why), 0); /* space is a symbol */
    p.password_min_classes = 4;
    assert_int_equal(check(&p, "alice", "abcdefgh12!!", &why), ERR_WEAK_PASSWORD);
    assert_non_null(strstr(why.data, "4"));
    assert_int_equal(check(&p, "alice", "Abcdefgh12!!", &why), 0);
    p.password_min_classes = 1;
    assert_int_equal(check(&p, "alice", "zqxjvkwmtpgh", &why), 0);
    buf_release(&why);
}

static void
test_password_common(void **state)
{
    (void)state;
    struct policy p = POLICY_DEFAULTS;
    struct buf why = BUF_INIT;

    assert_int_equal(check(&p, "alice", "P@ssw0rd123", &why), ERR_WEAK_PASSWORD);
    assert_non_null(strstr(why.data, "common"));
    assert_int_equal(check(&p, "alice", "Admin@1234", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "HUAWEI@123", &why), ERR_WEAK_PASSWORD);
    p.password_min_length = 8;
    p.password_min_classes = 1;
    assert_int_equal(check(&p, "alice", "password", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "PassWord1", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "woaini1314", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "1qaz2wsx3edc", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "12345678", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "alice", "zqxjvkwmtpgh", &why), 0);
    buf_release(&why);
}

static void
test_password_username(void **state)
{
    (void)state;
    struct policy p = POLICY_DEFAULTS;
    struct buf why = BUF_INIT;

    assert_int_equal(check(&p, "zhangsan", "Zhangsan-2024!", &why), ERR_WEAK_PASSWORD);
    assert_non_null(strstr(why.data, "user name"));
    assert_int_equal(check(&p, "zhangsan", "my-ZHANGSAN-9x", &why), ERR_WEAK_PASSWORD);
    assert_int_equal(check(&p, "zhangsan", "Zhang-san-2024!", &why), 0);
    assert_int_equal(check(&p, NULL, "Zhangsan-2024!", &why), 0);
    buf_release(&why);
}

static void
test_password_bad_characters(void **state)
{
    (void)state;
    struct policy p = POLICY_DEFAULTS;
    struct buf why = BUF_INIT;
    static const char *const bad[] = {
        "Abcdefgh1!\t",    "Abc\ndefgh1!",   "Abcdefgh1!\r",   "Abcd\x01" "efgh1!",
        "Abcd\x1b" "efgh1!", "Abcd\x7f" "efgh1!", "Abcdefgh1!\xff", "Abcdefgh1!\xc0\xaf",
        "Abcdefgh1!\xe5\xaf", "Abcdefgh1!\xed\xa0\x80", "\x80" "Abcdefgh1!",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (check(&p, "alice", bad[i], &why) != ERR_WEAK_PASSWORD)
            fail_msg("password #%zu with a control character or invalid UTF-8 accepted", i);
        assert_non_null(strstr(why.data, "not allowed"));
    }
    buf_release(&why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_load_defaults),
        APPTEST(test_save_load_roundtrip),
        APPTEST(test_out_of_range),
        APPTEST(test_load_ignores_bad_values),
        cmocka_unit_test(test_password_length),
        cmocka_unit_test(test_password_classes),
        cmocka_unit_test(test_password_common),
        cmocka_unit_test(test_password_username),
        cmocka_unit_test(test_password_bad_characters),
    };
    return apptest_run("domain_policy", tests, sizeof tests / sizeof tests[0]);
}
