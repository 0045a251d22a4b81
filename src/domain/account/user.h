/* domain/account/user.h - user accounts (R1.7, S6): create, read, list, change, passwords, lock.
 *
 * Every change is audited in the same transaction. Usernames are 3-32 characters of
 * [a-z0-9_.-] (case-folded to lower case). A subdistrict account is bound to exactly one
 * subdistrict code; other roles have none.
 */
#ifndef JY_DOMAIN_USER_H
#define JY_DOMAIN_USER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define USERNAME_MAX 32
#define TOTP_SEALED_MAX 96

struct user {
    int64_t id;
    char username[USERNAME_MAX + 1];
    enum role role;
    char subdistrict[16];
    char password_hash[192];
    int64_t password_changed_at;
    bool must_change;
    uint8_t totp_sealed[TOTP_SEALED_MAX];
    size_t totp_sealed_len;
    bool totp_enabled;
    int64_t totp_last_step;
    int failed_count;
    int64_t locked_until;
    bool disabled;
    int64_t created_at, updated_at;
};

/* user_normalize_name lower-cases name into out; ERR_INVALID when not a valid user name. */
int user_normalize_name(const char *name, char out[USERNAME_MAX + 1]);
/* user_create adds a user. password NULL means: generate a temporary one into temp_out
 * (which must then be non-NULL). temporary forces a change at first login. The password is
 * checked against the policy (ERR_WEAK_PASSWORD, reason in why). ERR_CONFLICT when the name
 * exists; ERR_INVALID for a bad role/subdistrict combination (reason in why). */
int user_create(struct app *app, struct db *db, const struct actor *a, const char *username,
                enum role role, const char *subdistrict, const char *password, bool temporary,
                struct buf *temp_out, struct buf *why, struct user *out);
int user_get(struct db *db, int64_t id, struct user *out);
int user_get_by_name(struct db *db, const char *username, struct user *out);
/* user_list returns users with id > after_id by id (xmalloc'd array, free with xfree). */
int user_list(struct db *db, int64_t after_id, size_t limit, struct user **items, size_t *n,
              int64_t *total);

/* Fields a PATCH may change; has_* says which. */
struct user_change {
    bool has_role, has_subdistrict, has_locked, has_disabled;
    enum role role;
    char subdistrict[16];
    bool locked, disabled;
};
int user_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
                const struct user_change *c, struct buf *why, struct user *out);
/* user_set_password checks the policy, stores the new hash, clears or sets must_change,
 * ends the user's other sessions (keep_session: the caller's, 0 = end all). */
int user_set_password(struct app *app, struct db *db, const struct actor *a, int64_t id,
                      const char *password, bool temporary, int64_t keep_session, struct buf *why);
/* user_reset_password generates a temporary password into temp_out. */
int user_reset_password(struct app *app, struct db *db, const struct actor *a, int64_t id,
                        struct buf *temp_out);
/* user_set_lock locks (until far future) or unlocks and clears the failure count. */
int user_set_lock(struct app *app, struct db *db, const struct actor *a, int64_t id, bool locked);
/* user_is_locked: locked now? */
bool user_is_locked(const struct user *u, int64_t now);
/* user_password_expired: older than the policy's maximum age? */
bool user_password_expired(const struct app *app, const struct user *u, int64_t now);
/* user_to_actor fills the identity part of an actor from u (perms, scope, pending steps). */
void user_to_actor(const struct app *app, const struct user *u, struct actor *a);
/* user_generate_password writes a random password that meets any policy (16 chars). */
int user_generate_password(struct buf *out);

/* Login (domain/account/auth.c) ------------------------------------------------------------- */

/* auth_login checks password, lockout and the second factor for username and fills *out.
 * Failures: ERR_LOGIN_FAILED for a wrong password, an unknown name or a disabled account
 * (the same answer); ERR_LOGIN_LOCKED, with out->locked_until saying when to retry, once
 * policy.lockout_attempts failures lock the name - a real account in the database, a name
 * without one in memory, so both answer alike (issue 14); after the right password,
 * ERR_TOTP_REQUIRED when no code was given and ERR_TOTP_WRONG for a wrong or reused code.
 * Audits ok, failed and locked attempts. */
int auth_login(struct app *app, struct db *db, struct actor *who, const char *username,
               const char *password, const char *totp, struct user *out);
/* TOTP enrolment: auth_totp_setup stores a new (sealed) secret, not yet enabled, and
 * returns it in base32 in secret_b32; auth_totp_enable checks a code against it and
 * enables the factor. */
int auth_totp_setup(struct app *app, struct db *db, const struct actor *a, struct buf *secret_b32);
int auth_totp_enable(struct app *app, struct db *db, const struct actor *a, const char *code);
/* auth_totp_reset removes a user's second factor (lost phone) and ends their sessions; they
 * enrol again at the next login. Console only (jiayuan user reset-totp). */
int auth_totp_reset(struct app *app, struct db *db, const struct actor *a, int64_t user_id);

#endif
