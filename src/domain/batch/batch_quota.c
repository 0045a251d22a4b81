/* domain/batch/batch_quota.c - the per-account batch lookup quota (issue 12; contract in batch_quota.h). */
#include "domain/batch/batch_quota.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "domain/platform/audit.h"
#include "domain/platform/policy.h"

static const char sql_used[] = "SELECT CAST(COALESCE(SUM(nrows), 0) AS BIGINT) FROM batch_quota_use WHERE user_id = ?1 AND at > ?2";
static const char sql_take[] = "INSERT INTO batch_quota_use (user_id, at, nrows, batch_id) VALUES (?1, ?2, ?3, ?4)";

static atomic_uint_fast64_t quota_rows[ROLE__COUNT];

/* quota_owner: the key an actor is charged under - an account by its id, an API token by
 * its negated id (the two id spaces must not meet). */
static int64_t
quota_owner(const struct actor *a)
{
    return a->kind == ACTOR_TOKEN ? -a->id : a->id;
}

static bool
quota_exempt(const struct actor *a)
{
    return a->kind == ACTOR_SYSTEM || a->kind == ACTOR_NONE;
}

int
batch_quota_usage(struct db *db, const struct actor *a, int64_t now, int64_t *used, int64_t *limit)
{
    struct db_stmt *st = NULL;
    struct policy p;
    bool row = false;
    int rc;
    *used = 0;
    *limit = INT64_MAX;
    if (quota_exempt(a))
        return 0;
    if ((rc = policy_load(db, &p)))
        return rc;
    *limit = p.batch_rows_per_day;
    if (!(rc = db_prepare(db, sql_used, &st)) && !(rc = db_bind_i64(st, 1, quota_owner(a))) &&
        !(rc = db_bind_i64(st, 2, now - BATCH_QUOTA_WINDOW_MS)) && !(rc = db_step(st, &row)) && row)
        *used = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

/* quota_warn: the account has just passed BATCH_QUOTA_WARN_PCT of its quota. */
static int
quota_warn(struct app *app, struct db *db, const struct actor *a, int64_t batch_id, int64_t used, int64_t limit)
{
    char target[40], detail[96], uid[24], pct[24];
    snprintf(target, sizeof target, "batch:%lld", (long long)batch_id);
    snprintf(detail, sizeof detail, "used=%lld limit=%lld", (long long)used, (long long)limit);
    snprintf(uid, sizeof uid, "%lld", (long long)quota_owner(a));
    snprintf(pct, sizeof pct, "%lld", (long long)(used * 100 / limit));
    log_warn("batch.quota_warn", "account", uid, "percent", pct, NULL);
    return audit_append(db, &app->keys, a, "batches.quota_warn", target, "ok", detail);
}

int
batch_quota_take(struct app *app, struct db *db, const struct actor *a, int64_t batch_id, uint64_t rows,
                 struct buf *why)
{
    struct db_stmt *st = NULL;
    int64_t now = time_now_ms(), used = 0, limit = 0, after;
    bool row = false;
    int rc;

    if (quota_exempt(a))
        return 0;
    if ((rc = batch_quota_usage(db, a, now, &used, &limit)))
        return rc;
    after = used + (int64_t)rows;
    if (after > limit) {
        if (why)
            buf_printf(why, "the batch has %llu rows but only %lld of today's %lld lookups are left",
                       (unsigned long long)rows, (long long)(used < limit ? limit - used : 0), (long long)limit);
        return ERR_RATE;
    }
    if ((rc = db_prepare(db, sql_take, &st)) || (rc = db_bind_i64(st, 1, quota_owner(a))) ||
        (rc = db_bind_i64(st, 2, now)) || (rc = db_bind_i64(st, 3, (int64_t)rows)) ||
        (rc = db_bind_i64(st, 4, batch_id)) || (rc = db_step(st, &row)))
        goto out;
    /* integer form of used <= 80% < after, without overflow for any limit in policy range */
    if (used * 100 <= limit * BATCH_QUOTA_WARN_PCT && after * 100 > limit * BATCH_QUOTA_WARN_PCT)
        rc = quota_warn(app, db, a, batch_id, after, limit);
    if (!rc && a->role >= 0 && a->role < ROLE__COUNT)
        atomic_fetch_add(&quota_rows[a->role], rows);
out:
    db_done(st);
    return rc;
}

uint64_t
batch_quota_rows_total(int role)
{
    return role >= 0 && role < ROLE__COUNT ? atomic_load(&quota_rows[role]) : 0;
}
