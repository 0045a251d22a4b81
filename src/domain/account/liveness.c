/* domain/account/liveness.c - the re-check of a stream's credential (issue 12, S6; see
 * liveness.h): the session row by id (never by its secret, which the stream does not keep)
 * and its user, or the token row by id. */
#include "domain/account/liveness.h"

#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/account/user.h"

static const char sql_session[] = "SELECT user_id, created_at, last_seen_at FROM sessions WHERE id = ?1";
static const char sql_token[] = "SELECT subdistrict FROM api_tokens WHERE id = ?1 AND revoked_at = 0";

static int
liveness_session(const struct app *app, struct db *db, const struct actor *a)
{
    struct db_stmt *st = NULL;
    struct user u;
    bool row = false;
    int64_t now = time_now_ms(), user_id = 0, created = 0, seen = 0;
    int rc;

    if ((rc = db_prepare(db, sql_session, &st)) || (rc = db_bind_i64(st, 1, a->session_id)) ||
        (rc = db_step(st, &row)))
        goto out;
    rc = ERR_UNAUTHENTICATED;
    if (!row)
        goto out; /* logged out, or ended by an administrator */
    user_id = db_col_i64(st, 0);
    created = db_col_i64(st, 1);
    seen = db_col_i64(st, 2);
    db_done(st);
    st = NULL;
    if (user_id != a->id || now - seen > app->policy.session_idle_ms ||
        now - created > app->policy.session_absolute_ms)
        goto out;
    if ((rc = user_get(db, user_id, &u)))
        goto out;
    rc = ERR_UNAUTHENTICATED;
    if (u.disabled || user_is_locked(&u, now) || u.role != a->role || strcmp(u.subdistrict, a->subdistrict) != 0)
        goto out;
    rc = 0;
out:
    db_done(st);
    return rc == ERR_NOT_FOUND ? ERR_UNAUTHENTICATED : rc;
}

static int
liveness_token(struct db *db, const struct actor *a)
{
    struct db_stmt *st = NULL;
    char subdistrict[16] = "";
    bool row = false;
    int rc;

    if ((rc = db_prepare(db, sql_token, &st)) || (rc = db_bind_i64(st, 1, a->id)) || (rc = db_step(st, &row)))
        goto out;
    rc = ERR_UNAUTHENTICATED;
    if (!row)
        goto out; /* revoked or deleted */
    db_col_copy(st, 0, subdistrict, sizeof subdistrict);
    if (strcmp(subdistrict, a->subdistrict) != 0)
        goto out;
    rc = 0;
out:
    db_done(st);
    return rc;
}

int
actor_still_valid(const struct app *app, struct db *db, const struct actor *a)
{
    if (a->kind == ACTOR_USER && a->session_id > 0)
        return liveness_session(app, db, a);
    if (a->kind == ACTOR_TOKEN && a->id > 0)
        return liveness_token(db, a);
    return a->kind == ACTOR_SYSTEM ? 0 : ERR_UNAUTHENTICATED;
}
