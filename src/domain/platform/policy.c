/* domain/platform/policy.c - password and session policy (S6; MLPS level 3: 身份鉴别). */
#include "domain/platform/policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/str.h"
#include "core/utf8.h"
#include "domain/platform/audit.h"
#include "push/listen.h"

#define POLICY_FIELDS(X)                                            \
    X("policy.password_min_length", password_min_length, 8, 64)     \
    X("policy.password_min_classes", password_min_classes, 1, 4)    \
    X("policy.password_max_age_ms", password_max_age_ms, 0, 3650LL * 86400000) \
    X("policy.lockout_attempts", lockout_attempts, 1, 100)          \
    X("policy.lockout_ms", lockout_ms, 60000, 86400000)             \
    X("policy.session_idle_ms", session_idle_ms, 60000, 86400000)   \
    X("policy.session_absolute_ms", session_absolute_ms, 600000, 7 * 86400000LL) \
    X("policy.totp_for_all", totp_for_all, 0, 1)                    \
    X("policy.pbkdf2_iterations", pbkdf2_iterations, POLICY_PBKDF2_MIN, POLICY_PBKDF2_MAX) \
    X("policy.batch_rows_per_day", batch_rows_per_day, POLICY_BATCH_ROWS_MIN, POLICY_BATCH_ROWS_MAX)

static const char sql_get[] = "SELECT key, value FROM settings WHERE key LIKE 'policy.%'";
static const char sql_put[] =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2";

int
policy_load(struct db *db, struct policy *p)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *p = (struct policy)POLICY_DEFAULTS;
    if ((rc = db_prepare(db, sql_get, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t kn = 0, vn = 0;
        const char *k = db_col_text(st, 0, &kn), *v = db_col_text(st, 1, &vn);
        int64_t x;
        struct str key = { k, kn };
#define POLICY__LOAD(name, field, min, max)                                        \
        if (str_eq_cstr(key, name) && !str_to_i64((struct str){ v, vn }, &x, min, max)) \
            p->field = (__typeof__(p->field))x;
        POLICY_FIELDS(POLICY__LOAD)
#undef POLICY__LOAD
    }
out:
    db_done(st);
    return rc;
}

static int
policy_put(struct db *db, const char *key, int64_t v)
{
    struct db_stmt *st = NULL;
    bool row;
    char text[24];
    int rc;
    snprintf(text, sizeof text, "%lld", (long long)v);
    if (!(rc = db_prepare(db, sql_put, &st)) && !(rc = db_bind_text(st, 1, key, strlen(key))) &&
        !(rc = db_bind_text(st, 2, text, strlen(text))))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
policy_save(struct db *db, const struct keyring *kr, const struct actor *a,
            const struct policy *p, struct buf *why)
{
    struct policy old;
    struct buf detail = BUF_INIT;
    int rc;
    /* issue 12: a cost that would stall every sign-in (PBKDF2 runs on the request threads) */
    if (p->pbkdf2_iterations < POLICY_PBKDF2_MIN || p->pbkdf2_iterations > POLICY_PBKDF2_MAX) {
        buf_printf(why, "'pbkdf2_iterations' must be between %d and %d", POLICY_PBKDF2_MIN, POLICY_PBKDF2_MAX);
        return ERR_INVALID;
    }
#define POLICY__CHECK(name, field, min, max)                                          \
    if ((int64_t)p->field < (min) || (int64_t)p->field > (max)) {                     \
        buf_printf(why, "'%s' is out of range", &(name)[sizeof "policy." - 1]);       \
        return ERR_INVALID;                                                           \
    }
    POLICY_FIELDS(POLICY__CHECK)
#undef POLICY__CHECK
    if ((rc = db_begin(db)))
        return rc;
    /* issue 12: the audit entry names every changed value, old and new */
    rc = policy_load(db, &old);
#define POLICY__SAVE(name, field, min, max)                                                        \
    if (!rc && (int64_t)old.field != (int64_t)p->field)                                           \
        buf_printf(&detail, "%s%s=%lld->%lld", detail.len ? " " : "", &(name)[sizeof "policy." - 1], \
                   (long long)old.field, (long long)p->field);                                    \
    if (!rc)                                                                                      \
        rc = policy_put(db, name, (int64_t)p->field);
    POLICY_FIELDS(POLICY__SAVE)
#undef POLICY__SAVE
    if (!rc)
        rc = audit_append(db, kr, a, "settings.policy.update", "policy", "ok", detail.len ? detail.data : "unchanged");
    if (!rc) /* issue 13: every node reloads the policy when this commits (push/listen.h) */
        rc = push_notify_settings(db);
    if (rc || (rc = db_commit(db)))
        db_rollback(db);
    buf_release(&detail);
    return rc;
}

/* Frequent passwords (global and Chinese lists); compared case-insensitively. */
static const char *const common_passwords[] = {
    "123456", "123456789", "12345678", "1234567890", "password", "password1", "password123",
    "qwerty", "qwerty123", "qwertyuiop", "abc123", "abc12345", "111111", "000000", "666666",
    "888888", "123123", "654321", "1q2w3e4r", "1qaz2wsx", "1qaz@wsx", "zaq12wsx", "iloveyou",
    "woaini1314", "woaini520", "5201314", "admin", "admin123", "admin@123", "administrator",
    "root", "root123", "p@ssw0rd", "p@ssword", "passw0rd", "passw0rd!", "p@ssw0rd123",
    "aa123456", "a123456", "a123456789", "aa123456789", "qq123456", "abcd1234", "1234qwer",
    "welcome1", "welcome123", "letmein", "changeme", "test1234", "huawei@123", "admin@1234",
    "p@ssw0rd!", "qwe123!@#", "1qaz2wsx3edc", "asdf1234", "zxcvbnm", "zxcvbnm123",
};

int
policy_check_password(const struct policy *p, const char *username, const char *pw,
                      struct buf *why)
{
    size_t chars = utf8_count(pw, strlen(pw));
    int lower = 0, upper = 0, digit = 0, other = 0;
    for (const unsigned char *c = (const unsigned char *)pw; *c; c++) {
        if (islower(*c))
            lower = 1;
        else if (isupper(*c))
            upper = 1;
        else if (isdigit(*c))
            digit = 1;
        else
            other = 1;
    }
    if (!str_is_utf8(pw, strlen(pw)) || str_has_ctl(pw, strlen(pw))) {
        buf_adds(why, "the password contains characters that are not allowed");
        return ERR_WEAK_PASSWORD;
    }
    if (chars < (size_t)p->password_min_length) {
        buf_printf(why, "the password must have at least %d characters", p->password_min_length);
        return ERR_WEAK_PASSWORD;
    }
    if (chars > 128) {
        buf_adds(why, "the password must have at most 128 characters");
        return ERR_WEAK_PASSWORD;
    }
    if (lower + upper + digit + other < p->password_min_classes) {
        buf_printf(why, "the password must mix at least %d of: lower case, upper case, digits, symbols",
                   p->password_min_classes);
        return ERR_WEAK_PASSWORD;
    }
    for (size_t i = 0; i < sizeof common_passwords / sizeof *common_passwords; i++) {
        if (strcasecmp(pw, common_passwords[i]) == 0) {
            buf_adds(why, "the password is too common");
            return ERR_WEAK_PASSWORD;
        }
    }
    if (username && strlen(username) >= 3 && strcasestr(pw, username)) {
        buf_adds(why, "the password must not contain the user name");
        return ERR_WEAK_PASSWORD;
    }
    return 0;
}
