/* domain/account/auth.c - login with password, lockout and TOTP second factor (R1.7, S6).
 *
 * Every failure answers ERR_LOGIN_FAILED, whatever the reason (unknown user, wrong
 * password, locked, disabled, wrong code), so the answer tells an attacker nothing; the
 * audit log records the real reason.
 */
#include "domain/account/user.h"

#include <pthread.h>
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
#include "domain/platform/audit.h"
#include "core/log.h"
#include "domain/account/login_rate.h"
#include "domain/account/session.h"

/* The TOTP secret's associated data binds it to its column AND row: a secret copied to
 * another account in the database does not open there. */
static void
auth_totp_ad(int64_t user_id, char *out, size_t cap)
{
    snprintf(out, cap, "users.totp_secret:%lld", (long long)user_id);
}

static const char sql_fail_count[] =
    "UPDATE users SET failed_count = failed_count + 1 WHERE id = ?1 RETURNING failed_count";
static const char sql_lock[] = "UPDATE users SET failed_count = 0, locked_until = ?2 WHERE id = ?1";
static const char sql_success[] =
    "UPDATE users SET failed_count = 0, locked_until = 0, last_login_at = ?2 WHERE id = ?1";
/* Claims a TOTP step once: a replay (or a parallel login with the same code) changes nothing. */
static const char sql_claim_step[] =
    "UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2";
static const char sql_totp_store[] =
    "UPDATE users SET totp_secret = ?2, totp_enabled = 0, updated_at = ?3 WHERE id = ?1";
static const char sql_totp_enable[] =
    "UPDATE users SET totp_enabled = 1, totp_last_step = ?2, updated_at = ?3 WHERE id = ?1";

/* Failed attempts for names with no usable account (unknown or disabled), so that they
 * lock after the same number of attempts as a real account and answer the same (issue
 * 14: nothing reveals whether an account exists). In memory, per process: a fixed table
 * of salted name hashes, the oldest slot reused. */
#define AUTH_GHOSTS 256
static struct {
    uint64_t hash;
    int fails;
    int64_t locked_until, seen;
} auth_ghosts[AUTH_GHOSTS];
static pthread_mutex_t auth_ghost_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t auth_ghost_salt;

static uint64_t
auth_ghost_hash(const char *name)
{
    if (!auth_ghost_salt && crypto_random(&auth_ghost_salt, sizeof auth_ghost_salt))
        auth_ghost_salt = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ auth_ghost_salt;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ (uint64_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 0x100000001b3ull;
    return h | 1; /* 0 marks a free slot */
}

/* auth_ghost_attempt counts one failed attempt for name (when fail) and returns the time
 * it is locked until (0: not locked). */
static int64_t
auth_ghost_attempt(const struct app *app, const char *name, int64_t now, bool fail)
{
    int64_t until = 0;
    size_t slot = 0;
    pthread_mutex_lock(&auth_ghost_mu);
    uint64_t h = auth_ghost_hash(name); /* under the lock: it may draw the salt */
    for (size_t i = 0; i < AUTH_GHOSTS; i++) {
        if (auth_ghosts[i].hash == h) {
            slot = i;
            break;
        }
        if (auth_ghosts[i].seen < auth_ghosts[slot].seen)
            slot = i;
    }
    if (auth_ghosts[slot].hash != h) {
        auth_ghosts[slot].hash = h;
        auth_ghosts[slot].fails = 0;
        auth_ghosts[slot].locked_until = 0;
    }
    auth_ghosts[slot].seen = now;
    if (auth_ghosts[slot].locked_until > now) {
        until = auth_ghosts[slot].locked_until;
    } else if (fail && ++auth_ghosts[slot].fails >= app->policy.lockout_attempts) {
        auth_ghosts[slot].fails = 0;
        until = auth_ghosts[slot].locked_until = now + app->policy.lockout_ms;
    }
    pthread_mutex_unlock(&auth_ghost_mu);
    return until;
}

/* auth_dummy_verify runs a verification against a hash of the policy's iteration count,
 * made once per count, when there is no account to check: an unknown or locked name costs
 * what a real one does (issue 12). */
static void
auth_dummy_verify(const struct app *app, const char *password)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char hash[192];
    static uint32_t made_for;
    char local[sizeof hash];
    pthread_mutex_lock(&mu);
    if (made_for != app->policy.pbkdf2_iterations) {
        struct buf b = BUF_INIT;
        if (!password_hash("jiayuan-dummy", app->policy.pbkdf2_iterations, &b) && b.len < sizeof hash) {
            str_copy(hash, sizeof hash, b.data);
            made_for = app->policy.pbkdf2_iterations;
        }
        buf_release(&b);
    }
    str_copy(local, sizeof local, hash);
    pthread_mutex_unlock(&mu);
    (void)password_verify(password, local);
}

/* auth_stored_iterations reads the count of a stored "pbkdf2-sm3$N$..." (0 if malformed). */
static uint32_t
auth_stored_iterations(const char *stored)
{
    const char *p = strchr(stored, '$');
    int64_t n = 0;
    char digits[16];
    size_t len = p ? strcspn(p + 1, "$") : 0;
    if (!p || !len || len >= sizeof digits)
        return 0;
    memcpy(digits, p + 1, len);
    digits[len] = '\0';
    return cstr_to_i64(digits, &n, 1, PASSWORD_ITERATIONS_MAX) ? 0 : (uint32_t)n;
}

static const char sql_rehash[] = "UPDATE users SET password_hash = ?2 WHERE id = ?1";

/* auth_rehash stores the password again under the policy's iteration count when the stored
 * hash was made with another one (issue 12); a failure leaves the old hash, which works. */
static void
auth_rehash(struct app *app, struct db *db, const struct user *u, const char *password)
{
    struct buf h = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row;
    uint32_t want = app->policy.pbkdf2_iterations;
    if (auth_stored_iterations(u->password_hash) == want && !password_needs_rehash(u->password_hash, want))
        return;
    if (!password_hash(password, want, &h) && !db_prepare(db, sql_rehash, &st) && !db_bind_i64(st, 1, u->id) &&
        !db_bind_text(st, 2, h.data, h.len))
        (void)db_step(st, &row);
    db_done(st);
    buf_release_secret(&h);
}

/* auth_rate_fail counts a failure for the caller's address and the name (login_rate.h);
 * a failure to record it is logged (the attempt has failed either way). */
static void
auth_rate_fail(const struct app *app, struct db *db, const struct actor *who, const char *name, int64_t now)
{
    bool blocked = false;
    int rc = login_rate_fail(db, &app->keys, who->ip, name, app->policy.lockout_attempts * LOGIN_RATE_NAME_FACTOR,
                             now, &blocked);
    if (rc)
        log_warn("auth.rate.count", "error", err_name(rc), NULL);
    else if (blocked)
        log_info("auth.rate.block", "ip", who->ip, NULL);
}

/* auth_exec runs sql with (?1 id, ?2 v); *changed (may be NULL) gets the rows changed and
 * *returned (may be NULL) the first column of a RETURNING row. */
static int
auth_exec(struct db *db, const char *sql, int64_t id, int64_t v, bool bind_v, int64_t *changed, int64_t *returned)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_bind_i64(st, 1, id)) &&
        !(bind_v && (rc = db_bind_i64(st, 2, v))) && !(rc = db_step(st, &row))) {
        if (returned)
            *returned = row ? db_col_i64(st, 0) : 0;
        if (row)
            while (!(rc = db_step(st, &row)) && row)
                ;
        if (changed)
            *changed = db_changes(st);
    }
    db_done(st);
    return rc;
}

static void
auth_target(char *out, size_t cap, int64_t user_id)
{
    snprintf(out, cap, "user:%lld", (long long)user_id);
}

/* auth_note audits an attempt that changes no counter (unknown user, locked account). */
static void
auth_note(struct app *app, struct db *db, const struct actor *who, int64_t user_id, const char *result,
          const char *detail)
{
    char target[64];
    auth_target(target, sizeof target, user_id);
    (void)audit_record(db, &app->keys, who, "auth.login", target, result, detail);
}

/* auth_fail counts one failed attempt atomically and locks the account when the count
 * reaches the policy, auditing either, in one transaction (parallel attempts cannot slip
 * past the limit). Returns the time the account is now locked until, 0 if it is not. */
static int64_t
auth_fail(struct app *app, struct db *db, const struct actor *who, int64_t user_id, const char *detail)
{
    char target[64];
    int64_t count = 0, until = time_now_ms() + app->policy.lockout_ms;
    bool lock = false;
    int rc;
    auth_target(target, sizeof target, user_id);
    if (db_begin(db))
        return 0;
    if ((rc = auth_exec(db, sql_fail_count, user_id, 0, false, NULL, &count)))
        goto out;
    lock = count >= app->policy.lockout_attempts;
    if (lock && (rc = auth_exec(db, sql_lock, user_id, until, true, NULL, NULL)))
        goto out;
    if ((rc = audit_append(db, &app->keys, who, lock ? "auth.lockout" : "auth.login", target,
                           lock ? "locked" : "failed", lock ? "too many failed attempts" : detail)))
        goto out;
    rc = db_commit(db);
out:
    if (rc)
        db_rollback(db);
    return !rc && lock ? until : 0;
}

/* auth_locked answers a locked name: ERR_LOGIN_LOCKED, out->locked_until saying when to
 * retry (the same shape for a real account and a name with none). */
static int
auth_locked(struct user *out, int64_t until)
{
    memset(out, 0, sizeof *out);
    out->locked_until = until;
    return ERR_LOGIN_LOCKED;
}

/* auth_succeed clears the failure count and audits the login. */
static int
auth_succeed(struct app *app, struct db *db, const struct actor *who, int64_t user_id)
{
    char target[64];
    int rc;
    auth_target(target, sizeof target, user_id);
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = auth_exec(db, sql_success, user_id, time_now_ms(), true, NULL, NULL)) ||
        (rc = audit_append(db, &app->keys, who, "auth.login", target, "ok", NULL)) || (rc = db_commit(db)))
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
    char ad[48];
    auth_totp_ad(u->id, ad, sizeof ad);
    rc = field_open(&app->keys, ad, u->totp_sealed, u->totp_sealed_len, plain, sizeof plain, n);
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
    int64_t now = time_now_ms(), retry_at = 0;
    int rc;

    /* what was typed is not recorded for unknown users: it may be a mistyped password */
    str_copy(who->name, sizeof who->name, "(unknown)");
    /* a limited address or name costs no PBKDF2 run and no audit write (issue 12) */
    if ((rc = login_rate_check(db, &app->keys, who->ip, username, now, &retry_at))) {
        memset(out, 0, sizeof *out);
        out->locked_until = retry_at;
        return rc;
    }
    if ((rc = user_get_by_name(db, username, &u))) {
        if (rc != ERR_NOT_FOUND)
            return rc;
        auth_dummy_verify(app, password);
        auth_rate_fail(app, db, who, username, now);
        int64_t ghost = auth_ghost_attempt(app, username, now, true);
        auth_note(app, db, who, 0, ghost ? "locked" : "failed", "unknown user");
        return ghost ? auth_locked(out, ghost) : ERR_LOGIN_FAILED;
    }
    str_copy(who->name, sizeof who->name, u.username);
    who->role = u.role;
    /* locked by an administrator (until further notice) answers like a disabled account:
     * a name without an account can never be locked that way */
    bool admin_lock = user_is_locked(&u, now) && u.locked_until > now + app->policy.lockout_ms;
    /* a policy lock binds the addresses that failed: the owner, from an address with no
     * failure on record, may still sign in, so a stranger cannot keep them out (issue 12) */
    bool clean = false;
    if (user_is_locked(&u, now) && !admin_lock && (login_rate_clean(db, &app->keys, who->ip, now, &clean) || !clean)) {
        auth_dummy_verify(app, password);
        auth_rate_fail(app, db, who, username, now);
        auth_note(app, db, who, u.id, "locked", NULL);
        return auth_locked(out, u.locked_until);
    }
    if (u.disabled || admin_lock) {
        auth_dummy_verify(app, password);
        auth_rate_fail(app, db, who, username, now);
        int64_t ghost = auth_ghost_attempt(app, username, now, true);
        auth_note(app, db, who, u.id, ghost || admin_lock ? "locked" : "failed", admin_lock ? NULL : "disabled");
        return ghost ? auth_locked(out, ghost) : ERR_LOGIN_FAILED;
    }
    if (password_verify(password, u.password_hash) != 0) {
        auth_rate_fail(app, db, who, username, now);
        int64_t until = auth_fail(app, db, who, u.id, "wrong password");
        return until ? auth_locked(out, until) : ERR_LOGIN_FAILED;
    }
    if (u.totp_enabled) {
        uint8_t secret[TOTP_SECRET_LEN];
        size_t n = 0;
        int64_t step = u.totp_last_step, changed = 0;
        if (!totp || !*totp)
            return ERR_TOTP_REQUIRED;
        rc = auth_totp_secret(app, &u, secret, &n);
        if (!rc)
            rc = totp_verify(secret, n, now / 1000, totp, &step);
        wipe(secret, sizeof secret);
        /* claim the step atomically: a replayed or concurrently reused code fails here */
        if (!rc && (rc = auth_exec(db, sql_claim_step, u.id, step, true, &changed, NULL)))
            return rc;
        if (rc || changed != 1) {
            /* the password was right: say the code was wrong (issue 14) */
            auth_rate_fail(app, db, who, username, now);
            int64_t until = auth_fail(app, db, who, u.id, rc ? "wrong code" : "code reused");
            return until ? auth_locked(out, until) : ERR_TOTP_WRONG;
        }
        u.totp_last_step = step;
    }
    if ((rc = auth_succeed(app, db, who, u.id)))
        return rc;
    auth_rehash(app, db, &u, password);
    u.failed_count = 0;
    u.locked_until = 0;
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
    char ad[48];
    auth_totp_ad(a->id, ad, sizeof ad);
    if ((rc = crypto_random(secret, sizeof secret)) ||
        (rc = field_seal(&app->keys, ad, secret, sizeof secret, sealed, sizeof sealed, &n)))
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

static const char sql_totp_reset[] =
    "UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0, updated_at = ?2 WHERE id = ?1";

int
auth_totp_reset(struct app *app, struct db *db, const struct actor *a, int64_t user_id)
{
    char target[64];
    int64_t changed = 0;
    int rc;
    auth_target(target, sizeof target, user_id);
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = auth_exec(db, sql_totp_reset, user_id, time_now_ms(), true, &changed, NULL)))
        goto out;
    if (!changed) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = session_end_user(db, user_id, 0)) ||
        (rc = audit_append(db, &app->keys, a, "auth.totp.reset", target, "ok", NULL)))
        goto out;
    rc = db_commit(db);
out:
    if (rc)
        db_rollback(db);
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
