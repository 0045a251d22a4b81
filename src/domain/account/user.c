/* domain/account/user.c - user accounts (R1.7: accounts for every subdistrict and administrator;
 * S6: identity and access control). Login itself is in domain/account/auth.c.
 */
#include "domain/account/user.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/password.h"
#include "crypto/sm.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/platform/division.h"
#include "domain/platform/policy.h"
#include "domain/account/session.h"

#define USER_COLS                                                                          \
    "id, username, role, subdistrict, password_hash, password_changed_at, must_change,"    \
    " totp_secret, totp_enabled, totp_last_step, failed_count, locked_until, disabled,"    \
    " created_at, updated_at, real_name, phone, organisation, last_login_at"

static const char sql_get[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
static const char sql_get_name[] = "SELECT " USER_COLS " FROM users WHERE username = ?1";
/* The users list's filter: ?1 role ('' = any), ?2 state (enum user_state), ?3 now, ?4 q
 * ('' = any), ?5 q as a LIKE pattern, ?6 the real name's blind index of q. */
#define USER_FILTER                                                                          \
    " (?1 = '' OR role = ?1) AND (?2 = 0 OR (?2 = 1 AND disabled = 0 AND locked_until <= ?3)" \
    " OR (?2 = 2 AND locked_until > ?3) OR (?2 = 3 AND disabled <> 0))"                       \
    " AND (?4 = '' OR username LIKE ?5 ESCAPE '!' OR real_name_bidx = ?6)"
static const char sql_list[] =
    "SELECT " USER_COLS " FROM users WHERE" USER_FILTER " AND id > ?7 ORDER BY id LIMIT ?8";
static const char sql_count[] = "SELECT count(*) FROM users WHERE" USER_FILTER;
static const char sql_insert[] =
    "INSERT INTO users (username, role, subdistrict, password_hash, password_changed_at,"
    " must_change, created_at, updated_at, real_name, real_name_bidx, phone, organisation)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5, ?7, ?8, ?9, ?10) RETURNING id";
static const char sql_update[] =
    "UPDATE users SET role = ?2, subdistrict = ?3, locked_until = ?4, failed_count = ?5,"
    " disabled = ?6, updated_at = ?7 WHERE id = ?1";
static const char sql_set_password[] =
    "UPDATE users SET password_hash = ?2, password_changed_at = ?3, must_change = ?4,"
    " updated_at = ?3 WHERE id = ?1";

int
user_normalize_name(const char *name, char out[USERNAME_MAX + 1])
{
    size_t n = strlen(name);
    if (n < 3 || n > USERNAME_MAX)
        return ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return ERR_INVALID;
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

static void
user_read(struct db_stmt *st, struct user *u)
{
    size_t n = 0;
    const char *s;
    const void *b;
    memset(u, 0, sizeof *u);
    u->id = db_col_i64(st, 0);
    db_col_copy(st, 1, u->username, sizeof u->username);
    s = db_col_text(st, 2, &n);
    u->role = role_parse(s ? s : "");
    db_col_copy(st, 3, u->subdistrict, sizeof u->subdistrict);
    db_col_copy(st, 4, u->password_hash, sizeof u->password_hash);
    u->password_changed_at = db_col_i64(st, 5);
    u->must_change = db_col_i64(st, 6) != 0;
    b = db_col_blob(st, 7, &n);
    if (b && n <= sizeof u->totp_sealed) {
        memcpy(u->totp_sealed, b, n);
        u->totp_sealed_len = n;
    }
    u->totp_enabled = db_col_i64(st, 8) != 0;
    u->totp_last_step = db_col_i64(st, 9);
    u->failed_count = (int)db_col_i64(st, 10);
    u->locked_until = db_col_i64(st, 11);
    u->disabled = db_col_i64(st, 12) != 0;
    u->created_at = db_col_i64(st, 13);
    u->updated_at = db_col_i64(st, 14);
    b = db_col_blob(st, 15, &n);
    if (b && n <= sizeof u->real_name_sealed) {
        memcpy(u->real_name_sealed, b, n);
        u->real_name_sealed_len = n;
    }
    b = db_col_blob(st, 16, &n);
    if (b && n <= sizeof u->phone_sealed) {
        memcpy(u->phone_sealed, b, n);
        u->phone_sealed_len = n;
    }
    db_col_copy(st, 17, u->organisation, sizeof u->organisation);
    u->last_login_at = db_col_i64(st, 18);
}

static int
user_fetch(struct db *db, const char *sql, int64_t id, const char *name, struct user *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql, &st)))
        goto out;
    rc = name ? db_bind_text(st, 1, name, strlen(name)) : db_bind_i64(st, 1, id);
    if (rc || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    user_read(st, out);
out:
    db_done(st);
    return rc;
}

int user_get(struct db *db, int64_t id, struct user *out) { return user_fetch(db, sql_get, id, NULL, out); }

int
user_get_by_name(struct db *db, const char *username, struct user *out)
{
    char name[USERNAME_MAX + 1];
    if (user_normalize_name(username, name))
        return ERR_NOT_FOUND;
    return user_fetch(db, sql_get_name, 0, name, out);
}

/* user_bind_filter binds ?1..?6 of USER_FILTER. */
static int
user_bind_filter(struct db_stmt *st, const struct keyring *kr, const struct user_filter *f, struct buf *like)
{
    const char *role = f->role == ROLE_NONE ? "" : role_name(f->role), *q = f->q ? f->q : "";
    int64_t bidx = 0;
    int rc;
    buf_reset(like);
    buf_addch(like, '%');
    for (const char *p = q; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        if (c == '%' || c == '_' || c == '!')
            buf_addch(like, '!');
        buf_addch(like, c);
    }
    buf_addch(like, '%');
    if (*q && kr)
        bidx = user_real_name_bidx(kr, q);
    if ((rc = db_bind_text(st, 1, role, strlen(role))) || (rc = db_bind_i64(st, 2, f->state)) ||
        (rc = db_bind_i64(st, 3, f->now)) || (rc = db_bind_text(st, 4, q, strlen(q))) ||
        (rc = db_bind_text(st, 5, like->data, like->len)) || (rc = db_bind_i64(st, 6, bidx ? bidx : -1)))
        return rc;
    return buf_error(like) ? ERR_INTERNAL : 0;
}

int
user_find(struct db *db, const struct keyring *kr, const struct user_filter *f, int64_t after_id, size_t limit,
          struct user **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    struct buf like = BUF_INIT;
    bool row = false;
    size_t count = 0;
    struct user *out = xcalloc(limit ? limit : 1, sizeof *out);
    int rc;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = user_bind_filter(st, kr, f, &like)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = user_bind_filter(st, kr, f, &like)) ||
        (rc = db_bind_i64(st, 7, after_id)) || (rc = db_bind_i64(st, 8, (int64_t)limit)))
        goto out;
    while (count < limit && !(rc = db_step(st, &row)) && row)
        user_read(st, &out[count++]);
out:
    db_done(st);
    buf_release(&like);
    if (rc) {
        xfree(out);
        out = NULL;
        count = 0;
    }
    *items = out;
    *n = count;
    return rc;
}

int
user_list(struct db *db, int64_t after_id, size_t limit, struct user **items, size_t *n, int64_t *total)
{
    struct user_filter f = { .role = ROLE_NONE };
    return user_find(db, NULL, &f, after_id, limit, items, n, total);
}

/* user_check_admin_grant: the administrator roles (sysadmin, secadmin, auditor; 三权分立)
 * are granted and changed only at the console (jiayuan user …), never through the API, so
 * no single online administrator can create the others. */
static int
user_check_admin_grant(const struct actor *a, enum role role, struct buf *why)
{
    if (a->kind != ACTOR_SYSTEM && role_requires_totp(role)) {
        buf_adds(why, "administrator roles are assigned at the server console ('jiayuan user add')");
        return ERR_FORBIDDEN;
    }
    return 0;
}

/* user_check_admin_target: administrator accounts (sysadmin, secadmin, auditor) are locked,
 * disabled, reset and re-roled only at the console (三权分立, issue 12): an online sysadmin
 * cannot lock out or take over the secadmin or the auditor, or another sysadmin. */
static int
user_check_admin_target(const struct actor *a, const struct user *target, struct buf *why)
{
    if (a->kind != ACTOR_SYSTEM && role_requires_totp(target->role)) {
        buf_adds(why, "administrator accounts are managed at the server console ('jiayuan user')");
        return ERR_FORBIDDEN;
    }
    return 0;
}

/* user_force_change: an account made online starts with a password its owner must change at
 * the first sign-in, whoever chose it (三权分立, issue 12); the console may make final ones. */
static bool
user_force_change(const struct actor *a, bool temporary)
{
    return temporary || a->kind != ACTOR_SYSTEM;
}

/* user_check_scope: a subdistrict account needs a valid subdistrict; others have none. */
static int
user_check_scope(struct db *db, enum role role, const char *subdistrict, struct buf *why)
{
    bool has = subdistrict && *subdistrict;
    if (role < 0 || role >= ROLE__COUNT) {
        buf_adds(why, "'role' is not a known role");
        return ERR_INVALID;
    }
    if (role == ROLE_SUBDISTRICT && !has) {
        buf_adds(why, "a subdistrict account needs 'subdistrict'");
        return ERR_INVALID;
    }
    if (role != ROLE_SUBDISTRICT && has) {
        buf_adds(why, "only subdistrict accounts have a 'subdistrict'");
        return ERR_INVALID;
    }
    if (has && division_check_subdistrict(db, subdistrict)) {
        buf_adds(why, "'subdistrict' is not a known subdistrict code");
        return ERR_INVALID;
    }
    return 0;
}

int
user_generate_password(struct buf *out)
{
    static const char sets[4][27] = { "abcdefghjkmnpqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ",
                                      "23456789", "!@#%*-_+=?" };
    uint8_t rnd[32];
    char pw[17];
    int rc;
    if ((rc = crypto_random(rnd, sizeof rnd)))
        return rc;
    for (int i = 0; i < 16; i++) {
        const char *set = sets[i < 4 ? i : rnd[16 + i] % 4];
        pw[i] = set[rnd[i] % strlen(set)];
    }
    /* shuffle so the class order is not fixed */
    for (int i = 15; i > 0; i--) {
        int j = rnd[16 + i] % (i + 1);
        char t = pw[i];
        pw[i] = pw[j];
        pw[j] = t;
    }
    pw[16] = '\0';
    buf_adds(out, pw);
    wipe(pw, sizeof pw);
    wipe(rnd, sizeof rnd);
    return 0;
}

int
user_create(struct app *app, struct db *db, const struct actor *a, const char *username,
            enum role role, const char *subdistrict, const char *password, bool temporary,
            struct buf *temp_out, struct buf *why, struct user *out)
{
    return user_create_with(app, db, a, username, role, subdistrict, NULL, password, temporary, temp_out, why,
                            out);
}

/* user_bind_profile binds ?7..?10 of sql_insert from the sealed profile in u. */
static int
user_bind_profile(struct db_stmt *st, const struct user *u, int64_t bidx)
{
    int rc;
    if ((rc = u->real_name_sealed_len ? db_bind_blob(st, 7, u->real_name_sealed, u->real_name_sealed_len)
                                      : db_bind_null(st, 7)) ||
        (rc = bidx ? db_bind_i64(st, 8, bidx) : db_bind_null(st, 8)) ||
        (rc = u->phone_sealed_len ? db_bind_blob(st, 9, u->phone_sealed, u->phone_sealed_len)
                                  : db_bind_null(st, 9)))
        return rc;
    return db_bind_text(st, 10, u->organisation, strlen(u->organisation));
}

int
user_create_with(struct app *app, struct db *db, const struct actor *a, const char *username,
                 enum role role, const char *subdistrict, const struct user_profile *profile,
                 const char *password, bool temporary, struct buf *temp_out, struct buf *why,
                 struct user *out)
{
    char name[USERNAME_MAX + 1];
    struct user sealed;
    int64_t name_bidx = 0;
    struct buf hash = BUF_INIT, gen = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    int64_t now = time_now_ms(), id = 0;
    int rc;
    const char *role_s = role_name(role);

    if (user_normalize_name(username, name)) {
        buf_adds(why, "'username' must be 3-32 characters of a-z, 0-9, '_', '.', '-'");
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = user_check_scope(db, role, subdistrict, why)))
        goto out;
    if ((rc = user_check_admin_grant(a, role, why)) || (rc = user_profile_check(profile, why)))
        goto out;
    if ((rc = user_profile_seal(&app->keys, profile, &sealed, &name_bidx)))
        goto out;
    temporary = user_force_change(a, temporary);
    if (!password) {
        if ((rc = user_generate_password(&gen)))
            goto out;
        password = gen.data;
        temporary = true;
    } else if ((rc = policy_check_password(&app->policy, name, password, why))) {
        goto out;
    }
    if ((rc = password_hash(password, app->policy.pbkdf2_iterations, &hash)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_text(st, 1, name, strlen(name))) ||
        (rc = db_bind_text(st, 2, role_s, strlen(role_s))) ||
        (rc = (subdistrict && *subdistrict) ? db_bind_text(st, 3, subdistrict, strlen(subdistrict))
                                            : db_bind_null(st, 3)) ||
        (rc = db_bind_text(st, 4, hash.data, hash.len)) || (rc = db_bind_i64(st, 5, now)) ||
        (rc = db_bind_i64(st, 6, temporary)) || (rc = user_bind_profile(st, &sealed, name_bidx)) ||
        (rc = db_step(st, &row)))
        goto out;
    id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    char target[64];
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    if ((rc = audit_append(db, &app->keys, a, "user.create", target, "ok", role_s)) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
    if (gen.len && temp_out)
        buf_add(temp_out, gen.data, gen.len);
    rc = out ? user_get(db, id, out) : 0;
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release_secret(&gen);
    buf_release(&hash);
    return rc;
}

int
user_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
            const struct user_change *c, struct buf *why, struct user *out)
{
    struct user u;
    struct db_stmt *st = NULL;
    struct buf detail = BUF_INIT;
    bool row = false, in_tx = false;
    int64_t now = time_now_ms();
    char target[64];
    int rc;

    if ((rc = db_begin(db)))
        return rc;
    in_tx = true;
    if ((rc = user_get(db, id, &u)))
        goto out;
    if (!(a->kind == ACTOR_USER && a->id == id) && (rc = user_check_admin_target(a, &u, why)))
        goto out;
    enum role old_role = u.role;
    if (c->has_role) {
        buf_printf(&detail, "role=%s ", role_name(c->role));
        u.role = c->role;
        if (c->role != ROLE_SUBDISTRICT && !c->has_subdistrict)
            u.subdistrict[0] = '\0';
    }
    if (c->has_subdistrict) {
        buf_printf(&detail, "subdistrict=%s ", c->subdistrict);
        str_copy(u.subdistrict, sizeof u.subdistrict, c->subdistrict);
    }
    if (c->has_locked) {
        buf_printf(&detail, "locked=%d ", c->locked);
        u.locked_until = c->locked ? INT64_MAX : 0;
        u.failed_count = 0;
    }
    if (c->has_disabled) {
        buf_printf(&detail, "disabled=%d ", c->disabled);
        u.disabled = c->disabled;
    }
    if ((rc = user_check_scope(db, u.role, u.subdistrict, why)))
        goto out;
    if (c->has_role && ((rc = user_check_admin_grant(a, c->role, why)) ||
                        (rc = user_check_admin_grant(a, old_role, why))))
        goto out;
    if (a->kind == ACTOR_USER && a->id == id && (c->has_role || c->has_locked || c->has_disabled)) {
        buf_adds(why, "you cannot change your own role or lock yourself out");
        rc = ERR_INVALID;
        goto out;
    }
    const char *role_s = role_name(u.role);
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, role_s, strlen(role_s))) ||
        (rc = u.subdistrict[0] ? db_bind_text(st, 3, u.subdistrict, strlen(u.subdistrict))
                               : db_bind_null(st, 3)) ||
        (rc = db_bind_i64(st, 4, u.locked_until)) || (rc = db_bind_i64(st, 5, u.failed_count)) ||
        (rc = db_bind_i64(st, 6, u.disabled)) || (rc = db_bind_i64(st, 7, now)) ||
        (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((c->has_role || (c->has_locked && c->locked) || (c->has_disabled && c->disabled)) &&
        (rc = session_end_user(db, id, 0)))
        goto out;
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    if ((rc = audit_append(db, &app->keys, a, "user.update", target, "ok", detail.data)) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
    rc = out ? user_get(db, id, out) : 0;
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release(&detail);
    return rc;
}

int
user_set_password(struct app *app, struct db *db, const struct actor *a, int64_t id,
                  const char *password, bool temporary, int64_t keep_session, struct buf *why)
{
    struct user u;
    struct buf hash = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    int64_t now = time_now_ms();
    char target[64];
    int rc;

    if ((rc = user_get(db, id, &u)))
        goto out;
    if (!(a->kind == ACTOR_USER && a->id == id) && (rc = user_check_admin_target(a, &u, why)))
        goto out;
    if ((rc = policy_check_password(&app->policy, u.username, password, why)))
        goto out;
    if (password_verify(password, u.password_hash) == 0) {
        buf_adds(why, "the new password must differ from the current one");
        rc = ERR_WEAK_PASSWORD;
        goto out;
    }
    if ((rc = password_hash(password, app->policy.pbkdf2_iterations, &hash)) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_set_password, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, hash.data, hash.len)) || (rc = db_bind_i64(st, 3, now)) ||
        (rc = db_bind_i64(st, 4, temporary)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "user:%lld", (long long)id);
    if ((rc = session_end_user(db, id, keep_session)) ||
        (rc = audit_append(db, &app->keys, a, temporary ? "user.password.reset" : "user.password.change",
                           target, "ok", NULL)) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release(&hash);
    return rc;
}

int
user_reset_password(struct app *app, struct db *db, const struct actor *a, int64_t id,
                    struct buf *temp_out)
{
    struct buf gen = BUF_INIT, why = BUF_INIT;
    int rc;
    if (!(rc = user_generate_password(&gen)) &&
        !(rc = user_set_password(app, db, a, id, gen.data, true, 0, &why)))
        buf_add(temp_out, gen.data, gen.len);
    buf_release_secret(&gen);
    buf_release(&why);
    return rc;
}

int
user_set_lock(struct app *app, struct db *db, const struct actor *a, int64_t id, bool locked)
{
    struct user_change c = { .has_locked = true, .locked = locked };
    struct buf why = BUF_INIT;
    int rc = user_update(app, db, a, id, &c, &why, NULL);
    buf_release(&why);
    return rc;
}

bool
user_is_locked(const struct user *u, int64_t now)
{
    return u->locked_until > now;
}

bool
user_password_expired(const struct app *app, const struct user *u, int64_t now)
{
    return app->policy.password_max_age_ms > 0 &&
           now - u->password_changed_at > app->policy.password_max_age_ms;
}

void
user_to_actor(const struct app *app, const struct user *u, struct actor *a)
{
    a->kind = ACTOR_USER;
    a->id = u->id;
    str_copy(a->name, sizeof a->name, u->username);
    a->role = u->role;
    a->perms = role_perms(u->role);
    str_copy(a->subdistrict, sizeof a->subdistrict, u->role == ROLE_SUBDISTRICT ? u->subdistrict : "");
    a->must_change_password = u->must_change || user_password_expired(app, u, time_now_ms());
    a->totp_pending = (role_requires_totp(u->role) || app->policy.totp_for_all) && !u->totp_enabled;
}
