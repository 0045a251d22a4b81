/* domain/account/session.c - login sessions stored hashed (S6 身份鉴别, 会话超时). */
#include "domain/account/session.h"

#include <string.h>

#include "core/codec.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_value.h"

static const char sql_insert[] =
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip)"
    " VALUES (?1, ?2, ?3, ?4, ?4, ?5) RETURNING id";
static const char sql_find[] =
    "SELECT id, user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE token_hash = ?1";
static const char sql_touch[] = "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1";
static const char sql_delete[] = "DELETE FROM sessions WHERE id = ?1";
static const char sql_delete_user[] = "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2";

int
secret_digest(const struct keyring *kr, const char *secret, size_t n, uint8_t out[32])
{
    if (!kr->n)
        return ERR_CRYPTO;
    return hmac_sm3(kr->keys[0].token, sizeof kr->keys[0].token, secret, n, out);
}

int
secret_generate(const char *prefix, struct buf *out)
{
    uint8_t rnd[32];
    int rc = crypto_random(rnd, sizeof rnd);
    if (!rc) {
        buf_adds(out, prefix);
        b64url_encode(out, rnd, sizeof rnd);
    }
    wipe(rnd, sizeof rnd);
    return rc;
}

int
session_create(struct app *app, struct db *db, int64_t user_id, const char *ip,
               struct buf *token_out, struct session *out)
{
    struct buf token = BUF_INIT, csrf = BUF_INIT;
    uint8_t digest[32];
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t now = time_now_ms();
    int rc;

    if ((rc = secret_generate("", &token)) || (rc = secret_generate("", &csrf)) ||
        (rc = secret_digest(&app->keys, token.data, token.len, digest)))
        goto out;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_blob(st, 1, digest, sizeof digest)) ||
        (rc = db_bind_i64(st, 2, user_id)) || (rc = db_bind_text(st, 3, csrf.data, csrf.len)) ||
        (rc = db_bind_i64(st, 4, now)) || (rc = db_bind_text(st, 5, ip, strlen(ip))) ||
        (rc = db_step(st, &row)))
        goto out;
    memset(out, 0, sizeof *out);
    out->id = row ? db_col_i64(st, 0) : 0;
    out->user_id = user_id;
    out->created_at = out->last_seen_at = now;
    str_copy(out->csrf, sizeof out->csrf, csrf.data);
    buf_add(token_out, token.data, token.len);
out:
    db_done(st);
    buf_release_secret(&token);
    buf_release_secret(&csrf);
    return rc;
}

int
session_lookup(struct app *app, struct db *db, const char *token, size_t n, struct session *s,
               struct user *u)
{
    uint8_t digest[32];
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t now = time_now_ms();
    int rc;

    if (n < 16 || n > 128)
        return ERR_UNAUTHENTICATED;
    if ((rc = secret_digest(&app->keys, token, n, digest)))
        return rc;
    if ((rc = db_prepare(db, sql_find, &st)) || (rc = db_bind_blob(st, 1, digest, sizeof digest)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_UNAUTHENTICATED;
        goto out;
    }
    memset(s, 0, sizeof *s);
    s->id = db_col_i64(st, 0);
    s->user_id = db_col_i64(st, 1);
    db_col_copy(st, 2, s->csrf, sizeof s->csrf);
    s->created_at = db_col_i64(st, 3);
    s->last_seen_at = db_col_i64(st, 4);
    db_done(st);
    st = NULL;
    if (now - s->last_seen_at > app->policy.session_idle_ms ||
        now - s->created_at > app->policy.session_absolute_ms) {
        session_end(db, s->id);
        rc = ERR_UNAUTHENTICATED;
        goto out;
    }
    if ((rc = user_get(db, s->user_id, u)))
        goto out;
    if (u->disabled || user_is_locked(u, now)) {
        rc = ERR_UNAUTHENTICATED;
        goto out;
    }
    if (now - s->last_seen_at > 60000) {
        if ((rc = db_prepare(db, sql_touch, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
            (rc = db_bind_i64(st, 2, now)) || (rc = db_step(st, &row)))
            goto out;
        s->last_seen_at = now;
    }
out:
    db_done(st);
    if (rc == ERR_NOT_FOUND)
        rc = ERR_UNAUTHENTICATED;
    return rc;
}

int
session_end(struct db *db, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (!(rc = db_prepare(db, sql_delete, &st)) && !(rc = db_bind_i64(st, 1, id)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
session_end_user(struct db *db, int64_t user_id, int64_t except_id)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (!(rc = db_prepare(db, sql_delete_user, &st)) && !(rc = db_bind_i64(st, 1, user_id)) &&
        !(rc = db_bind_i64(st, 2, except_id)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}
