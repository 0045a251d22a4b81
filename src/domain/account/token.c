/* domain/account/token.c - API tokens for upstream systems (R2.1-R2.6 ingest, S6 access control). */
#include "domain/account/token.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/platform/division.h"
#include "domain/account/session.h"

static const char sql_insert[] =
    "INSERT INTO api_tokens (name, token_hash, scopes, subdistrict, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";
static const char sql_find[] =
    "SELECT id, name, scopes, subdistrict, last_used_at FROM api_tokens"
    " WHERE token_hash = ?1 AND revoked_at = 0";
static const char sql_touch[] = "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1";
static const char sql_revoke[] =
    "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0";
static const char sql_list[] =
    "SELECT id, name, scopes, subdistrict, created_at, revoked_at, last_used_at FROM api_tokens"
    " ORDER BY id";

int
token_check_grant(const struct actor *a, perm_set scopes, const char *subdistrict, struct buf *why)
{
    const char *reason = NULL;
    bool scoped = subdistrict && *subdistrict;
    if (scopes & ~PERM_TOKEN_ALLOWED)
        reason = "tokens may carry only data scopes (no administration, audit or reveal)";
    else if (a->kind != ACTOR_SYSTEM && (scopes & ~a->perms))
        reason = "a token may not carry a scope its creator does not hold";
    else if (a->kind != ACTOR_SYSTEM && a->subdistrict[0] && (!scoped || strcmp(subdistrict, a->subdistrict)))
        reason = "a token may not reach beyond its creator's subdistrict";
    if (!reason)
        return 0;
    if (why)
        buf_adds(why, reason);
    return ERR_FORBIDDEN;
}

int
token_create(struct app *app, struct db *db, const struct actor *a, const char *name,
             perm_set scopes, const char *subdistrict, struct buf *secret_out, int64_t *id)
{
    struct buf secret = BUF_INIT, scope_text = BUF_INIT;
    uint8_t digest[32];
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    char target[64];
    int rc;
    size_t name_len = strlen(name);

    if (name_len == 0 || name_len > 100 || !str_is_utf8(name, name_len) || str_has_ctl(name, name_len)) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = token_check_grant(a, scopes, subdistrict, NULL)))
        goto out;
    if (subdistrict && *subdistrict && (rc = division_check_subdistrict(db, subdistrict)))
        goto out;
    perm_format(scopes, &scope_text);
    if ((rc = secret_generate("jy_", &secret)) ||
        (rc = secret_digest(&app->keys, secret.data, secret.len, digest)) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_text(st, 1, name, name_len)) ||
        (rc = db_bind_blob(st, 2, digest, sizeof digest)) ||
        (rc = db_bind_text(st, 3, scope_text.data, scope_text.len)) ||
        (rc = db_bind_opt_text(st, 4, subdistrict && *subdistrict ? subdistrict : NULL)) ||
        (rc = db_bind_i64(st, 5, time_now_ms())) || (rc = db_step(st, &row)))
        goto out;
    *id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "token:%lld", (long long)*id);
    if ((rc = audit_append(db, &app->keys, a, "token.create", target, "ok", scope_text.data)) ||
        (rc = db_commit(db)))
        goto out;
    in_tx = false;
    buf_add(secret_out, secret.data, secret.len);
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release_secret(&secret);
    buf_release(&scope_text);
    return rc;
}

int
token_authenticate(struct app *app, struct db *db, const char *secret, size_t n, struct actor *a)
{
    uint8_t digest[32];
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t now = time_now_ms(), last_used;
    int rc;

    if (n < 10 || n > 128 || memcmp(secret, "jy_", 3) != 0)
        return ERR_UNAUTHENTICATED;
    if ((rc = secret_digest(&app->keys, secret, n, digest)))
        return rc;
    if ((rc = db_prepare(db, sql_find, &st)) || (rc = db_bind_blob(st, 1, digest, sizeof digest)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_UNAUTHENTICATED;
        goto out;
    }
    a->kind = ACTOR_TOKEN;
    a->id = db_col_i64(st, 0);
    a->role = ROLE_NONE;
    snprintf(a->name, sizeof a->name, "token:%lld", (long long)a->id);
    const char *bad;
    size_t bad_len;
    char scopes[512];
    db_col_copy(st, 2, scopes, sizeof scopes);
    if (perm_parse_scopes(scopes, &a->perms, &bad, &bad_len))
        a->perms = 0;
    a->perms &= PERM_TOKEN_ALLOWED; /* defence in depth for rows written by older versions */
    db_col_copy(st, 3, a->subdistrict, sizeof a->subdistrict);
    last_used = db_col_i64(st, 4);
    db_done(st);
    st = NULL;
    if (now - last_used > 60000) {
        if ((rc = db_prepare(db, sql_touch, &st)) || (rc = db_bind_i64(st, 1, a->id)) ||
            (rc = db_bind_i64(st, 2, now)) || (rc = db_step(st, &row)))
            goto out;
    }
out:
    db_done(st);
    return rc;
}

int
token_revoke(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row;
    char target[64];
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_revoke, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) == 0) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "token:%lld", (long long)id);
    if ((rc = audit_append(db, &app->keys, a, "token.revoke", target, "ok", NULL)))
        goto out;
    rc = db_commit(db);
out:
    db_done(st);
    if (rc)
        db_rollback(db);
    return rc;
}

int
token_list(struct db *db, struct arena *arena, struct token_info **items, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0, cap = 16;
    struct token_info *out = arena_alloc(arena, cap * sizeof *out);
    int rc;
    if ((rc = db_prepare(db, sql_list, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, count, cap);
        struct token_info *t = &out[count++];
        t->id = db_col_i64(st, 0);
        t->name = db_col_arena(st, 1, arena);
        t->scopes = db_col_arena(st, 2, arena);
        t->subdistrict = db_col_arena(st, 3, arena);
        t->created_at = db_col_i64(st, 4);
        t->revoked_at = db_col_i64(st, 5);
        t->last_used_at = db_col_i64(st, 6);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}
