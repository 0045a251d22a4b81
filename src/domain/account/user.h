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
/* Profile (issue 14, migration 0019): a real name of 1-32 characters and a phone of 7-20
 * characters are sealed (crypto/field.h, ad "users.real_name" / "users.phone"); the
 * organisation (0-64 characters) is plain text: it names a unit, not a person. */
#define USER_REAL_NAME_MAX 32
#define USER_PHONE_MAX 20
#define USER_ORG_MAX 64
#define USER_SEALED_MAX 192

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
    uint8_t real_name_sealed[USER_SEALED_MAX];
    size_t real_name_sealed_len;
    uint8_t phone_sealed[USER_SEALED_MAX];
    size_t phone_sealed_len;
    char organisation[USER_ORG_MAX * 4 + 1];
    int64_t last_login_at; /* 0 = never */
};

/* The plain profile given to user_create_with (each NULL or "" = none). */
struct user_profile {
    const char *real_name, *phone, *organisation;
};

/* Filters of user_find (issue 14: the users list's filter bar). */
enum user_state { USER_STATE_ANY, USER_STATE_NORMAL, USER_STATE_LOCKED, USER_STATE_DISABLED };
struct user_filter {
    enum role role;        /* ROLE_NONE = any */
    enum user_state state; /* locked: locked_until > now; normal: neither locked nor disabled */
    const char *q;         /* NULL/"" = any; else a part of the user name, or a whole real name */
    int64_t now;           /* for the state filter (ms) */
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
/* user_create_with is user_create with a profile (NULL = none); a bad profile field is
 * ERR_INVALID with the reason in why. */
int user_create_with(struct app *app, struct db *db, const struct actor *a, const char *username,
                     enum role role, const char *subdistrict, const struct user_profile *profile,
                     const char *password, bool temporary, struct buf *temp_out, struct buf *why,
                     struct user *out);
int user_get(struct db *db, int64_t id, struct user *out);
int user_get_by_name(struct db *db, const char *username, struct user *out);
/* user_list returns users with id > after_id by id (xmalloc'd array, free with xfree). */
int user_list(struct db *db, int64_t after_id, size_t limit, struct user **items, size_t *n,
              int64_t *total);
/* user_find is user_list of the accounts that match f (total counts every match). q is
 * matched against the user name (case-folded, as a part) and the real name's blind index
 * (whole, trimmed), so a real name is found without being stored in the clear. */
int user_find(struct db *db, const struct keyring *kr, const struct user_filter *f, int64_t after_id,
              size_t limit, struct user **items, size_t *n, int64_t *total);

/* Profile fields (domain/account/user_profile.c) -------------------------------------------- */

/* user_profile_check validates p (lengths, characters; phone digits with optional '+', '-'
 * and spaces) and appends the English reason to why: ERR_INVALID. */
int user_profile_check(const struct user_profile *p, struct buf *why);
/* user_profile_seal seals p's real name and phone into u (and u's organisation) and
 * computes the real name's blind index (0 when none). */
int user_profile_seal(const struct keyring *kr, const struct user_profile *p, struct user *u,
                      int64_t *name_bidx);
/* user_real_name_bidx: the blind index of a real name as searched (trimmed). 0 for "". */
int64_t user_real_name_bidx(const struct keyring *kr, const char *name);
/* user_masked_real_name / user_masked_phone open the sealed field and mask it: the name's
 * first character then one '*' per further character ("张三丰" -> "张**"), the phone's
 * first 3 and last 4 digits ("13912345678" -> "139****5678"; shorter: last 2 only). out is
 * "" when the field is empty or does not open. */
void user_masked_real_name(const struct keyring *kr, const struct user *u, char *out, size_t cap);
void user_masked_phone(const struct keyring *kr, const struct user *u, char *out, size_t cap);

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
