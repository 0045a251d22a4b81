/* domain/auth.c - login with password, lockout and TOTP second factor (R1.7, S6).
 *
 * Every failure answers ERR_LOGIN_FAILED, whatever the reason (unknown user, wrong
 * password, locked, disabled, wrong code), so the answer tells an attacker nothing; the
 * audit log records the real reason.
 */
#include "domain/user.h"

#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/password.h"
#include "crypto/totp.h"
#include "domain/audit.h"

#define TOTP_AD "users.totp_secret"

static const char sql_after_login[] =
    "UPDATE users SET failed_count = ?2, locked_until = ?3, totp_last_step = ?4 WHERE id = ?1";
static const char sql_totp_store[] =
    "UPDATE users SET totp_secret = ?2, totp_enabled = 0, updated_at = ?3 WHERE id = ?1";
static const char sql_totp_enable[] =
    "UPDATE users SET totp_enabled = 1, totp_last_step = ?2, updated_at = ?3 WHERE id = ?1";

/* A hash to verify against when the user does not exist, so both paths cost the same. */
static const char auth_dummy_hash[] =
    "pbkdf2-sm3$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static int
auth_after_login(struct db *db, const struct user *u)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (!(rc = db_prepare(db, sql_after_login, &st)) && !(rc = db_bind_i64(st, 1, u->id)) &&
        !(rc = db_bind_i64(st, 2, u->failed_count)) && !(rc = db_bind_i64(st, 3, u->locked_until)) &&
        !(rc = db_bind_i64(st, 4, u->totp_last_step)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

/* auth_outcome stores the counters of u and audits the attempt in one transaction. */
static int
auth_outcome(struct app *app, struct db *db, const struct actor *who, const struct user *u,
             const char *action, const char *result, const char *detail)
{
    char target[64];
    int rc;
    snprintf(target, sizeof target, "user:%lld", (long long)(u ? u->id : 0));
    if ((rc = db_begin(db)))
        return rc;
    if ((u && (rc = auth_after_login(db, u))) ||
        (rc = audit_append(db, &app->keys, who, action, target, result, detail)) ||
        (rc = db_commit(db)))
        db_rollback(db);
    return rc;
}

static int
auth_totp_secret(const struct app *app, const struct user *u, uint8_t *secret, size_t *n)
{
    uint8_t plain[TOTP_SEALED_MAX];
    int rc;
    if (!u->totp_sealed_len)
        return ERR_CRYPTO;
    rc = field_open(&app->keys, TOTP_AD, u->totp_sealed, u->totp_sealed_len, plain, sizeof plain, n);
    if (!rc && *n == TOTP_SECRET_LEN)
        memcpy(secret, plain, *n);
    else if (!rc)
        rc = ERR_CRYPTO;
    wipe(plain, sizeof plain);
    return rc;
}

int
auth_login(struct app *app, struct db *db, struct actor *who, const char *username,
           const char *password, const char *totp, struct user *out)
{
    struct user u;
    int64_t now = time_now_ms();
    int rc;

    str_copy(who->name, sizeof who->name, username);
    if ((rc = user_get_by_name(db, username, &u))) {
        if (rc != ERR_NOT_FOUND)
            return rc;
        (void)password_verify(password, auth_dummy_hash);
        auth_outcome(app, db, who, NULL, "auth.login", "failed", "unknown user");
        return ERR_LOGIN_FAILED;
    }
    str_copy(who->name, sizeof who->name, u.username);
    who->role = u.role;
    if (user_is_locked(&u, now)) {
        (void)password_verify(password, auth_dummy_hash);
        auth_outcome(app, db, who, NULL, "auth.login", "locked", NULL);
        return ERR_LOGIN_FAILED;
    }
    if (password_verify(password, u.password_hash) != 0 || u.disabled) {
        const char *detail = u.disabled ? "disabled" : "wrong password";
        if (!u.disabled && ++u.failed_count >= app->policy.lockout_attempts) {
            u.failed_count = 0;
            u.locked_until = now + app->policy.lockout_ms;
            auth_outcome(app, db, who, &u, "auth.lockout", "locked", "too many failed attempts");
        } else {
            auth_outcome(app, db, who, &u, "auth.login", "failed", detail);
        }
        return ERR_LOGIN_FAILED;
    }
    if (u.totp_enabled) {
        uint8_t secret[TOTP_SECRET_LEN];
        size_t n = 0;
        if (!totp || !*totp)
            return ERR_TOTP_REQUIRED;
        rc = auth_totp_secret(app, &u, secret, &n);
        if (!rc)
            rc = totp_verify(secret, n, now / 1000, totp, &u.totp_last_step);
        wipe(secret, sizeof secret);
        if (rc) {
            if (++u.failed_count >= app->policy.lockout_attempts) {
                u.failed_count = 0;
                u.locked_until = now + app->policy.lockout_ms;
                auth_outcome(app, db, who, &u, "auth.lockout", "locked", "too many failed attempts");
            } else {
                auth_outcome(app, db, who, &u, "auth.login", "failed", "wrong code");
            }
            return ERR_LOGIN_FAILED;
        }
    }
    u.failed_count = 0;
    u.locked_until = 0;
    if ((rc = auth_outcome(app, db, who, &u, "auth.login", "ok", NULL)))
        return rc;
    *out = u;
    return 0;
}

int
auth_totp_setup(struct app *app, struct db *db, const struct actor *a, struct buf *secret_b32)
{
    uint8_t secret[TOTP_SECRET_LEN], sealed[FIELD_SEALED_LEN(TOTP_SECRET_LEN)];
    size_t n = 0;
    struct db_stmt *st = NULL;
    struct user u;
    bool row;
    int rc;

    if ((rc = user_get(db, a->id, &u)))
        goto out;
    if (u.totp_enabled) {
        rc = ERR_CONFLICT;
        goto out;
    }
    if ((rc = crypto_random(secret, sizeof secret)) ||
        (rc = field_seal(&app->keys, TOTP_AD, secret, sizeof secret, sealed, sizeof sealed, &n)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = db_prepare(db, sql_totp_store, &st)) || (rc = db_bind_i64(st, 1, a->id)) ||
        (rc = db_bind_blob(st, 2, sealed, n)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
        (rc = db_step(st, &row)) ||
        (rc = audit_append(db, &app->keys, a, "auth.totp.setup", "self", "ok", NULL)) ||
        (rc = db_commit(db))) {
        db_done(st);
        st = NULL;
        db_rollback(db);
        goto out;
    }
    base32_encode(secret_b32, secret, sizeof secret);
out:
    db_done(st);
    wipe(secret, sizeof secret);
    return rc;
}

int
auth_totp_enable(struct app *app, struct db *db, const struct actor *a, const char *code)
{
    uint8_t secret[TOTP_SECRET_LEN];
    size_t n = 0;
    struct db_stmt *st = NULL;
    struct user u;
    bool row;
    int rc;

    if ((rc = user_get(db, a->id, &u)))
        goto out;
    if (u.totp_enabled) {
        rc = ERR_CONFLICT;
        goto out;
    }
    if (!u.totp_sealed_len) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = auth_totp_secret(app, &u, secret, &n)))
        goto out;
    if (totp_verify(secret, n, time_now_ms() / 1000, code, &u.totp_last_step)) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = db_prepare(db, sql_totp_enable, &st)) || (rc = db_bind_i64(st, 1, a->id)) ||
        (rc = db_bind_i64(st, 2, u.totp_last_step)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
        (rc = db_step(st, &row)) ||
        (rc = audit_append(db, &app->keys, a, "auth.totp.enable", "self", "ok", NULL)) ||
        (rc = db_commit(db))) {
        db_done(st);
        st = NULL;
        db_rollback(db);
        goto out;
    }
out:
    db_done(st);
    wipe(secret, sizeof secret);
    return rc;
}
