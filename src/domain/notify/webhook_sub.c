/* domain/notify/webhook_sub.c - webhook subscriptions (URL, topics, sealed secret, cursor) and the
 * delivery log the worker in webhook_worker.c keeps (issue 3 "Push": delivery log visible in
 * the API, dead letters requeued by sysadmin; every change audited, S6). Not the delivery
 * itself. See webhook_sub.h.
 */
#include "domain/notify/webhook_sub.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/account/session.h"
#include "domain/notify/webhook_allow.h"
#include "push/outbox.h"
#include "push/webhook.h"

#define WEBHOOK_SECRET_AD "webhooks.secret"

static const char sql_head[] = "SELECT COALESCE(MAX(id), 0) FROM outbox";
static const char sql_insert[] =
    "INSERT INTO webhooks (url, topics, secret, active, cursor, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5) RETURNING id";
static const char sql_list[] =
    "SELECT id, url, topics, active, cursor, created_at, updated_at FROM webhooks WHERE id > ?1"
    " ORDER BY id LIMIT ?2";
static const char sql_count[] = "SELECT COUNT(*) FROM webhooks";
static const char sql_get[] =
    "SELECT id, url, topics, active, cursor, created_at, updated_at FROM webhooks WHERE id = ?1";
static const char sql_counts[] =
    "SELECT status, COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1 GROUP BY status";
static const char sql_touch[] = "UPDATE webhooks SET updated_at = ?2 WHERE id = ?1";
static const char sql_update[] = "UPDATE webhooks SET url = ?2, topics = ?3, active = ?4 WHERE id = ?1";
static const char sql_delete_log[] = "DELETE FROM webhook_deliveries WHERE webhook_id = ?1";
static const char sql_delete[] = "DELETE FROM webhooks WHERE id = ?1";
static const char sql_deliveries[] =
    "SELECT d.event_id, COALESCE(o.topic, ''), d.status, d.attempts, d.outcome, d.next_at, d.updated_at"
    " FROM webhook_deliveries d LEFT JOIN outbox o ON o.id = d.event_id"
    " WHERE d.webhook_id = ?1 AND (CAST(?2 AS TEXT) = '' OR d.status = ?2) AND (?3 = 0 OR d.event_id < ?3)"
    " ORDER BY d.event_id DESC LIMIT ?4";
static const char sql_deliveries_count[] =
    "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1 AND (CAST(?2 AS TEXT) = '' OR status = ?2)";
static const char sql_delivery_status[] =
    "SELECT status FROM webhook_deliveries WHERE webhook_id = ?1 AND event_id = ?2";
static const char sql_requeue[] =
    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_at = 0, updated_at = ?3"
    " WHERE webhook_id = ?1 AND event_id = ?2 AND status = 'dead'";

/* webhook_sub_district_only: subscriptions see every subdistrict's events. */
static int
webhook_sub_district_only(const struct actor *a)
{
    return a->subdistrict[0] ? ERR_FORBIDDEN : 0;
}

static int
webhook_sub_check_secret(const char *s, const char **why)
{
    size_t n = strlen(s);
    if (n < WEBHOOK_SECRET_MIN || n > WEBHOOK_SECRET_MAX) {
        *why = "'secret' must have 16 to 128 characters";
        return ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e) {
            *why = "'secret' may hold only printable ASCII characters without spaces";
            return ERR_INVALID;
        }
    }
    return 0;
}

static int
webhook_sub_check(const char *url, const char *topics, char *host, size_t cap, const char **why)
{
    if (url && webhook_url_check(url, host, cap, why))
        return ERR_INVALID;
    if (topics && webhook_topics_check(topics)) {
        *why = "'topics' must be a comma-separated list of at most 16 topic names ([a-z0-9._])";
        return ERR_INVALID;
    }
    return 0;
}

/* webhook_sub_allowed: url's host must be on the secadmin's allow-list (issue 12). */
static int
webhook_sub_allowed(struct db *db, const char *url, const char **why)
{
    struct buf list = BUF_INIT;
    int rc = webhook_allow_get(db, &list);
    if (!rc)
        rc = webhook_allow_url(list.data, url, why);
    buf_release(&list);
    return rc;
}

static const char *
webhook_sub_col(struct db_stmt *st, int col, struct arena *arena)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    return arena_strndup(arena, s ? s : "", n);
}

static int
webhook_sub_counts(struct db *db, struct webhook_sub *w)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    w->delivered = w->pending = w->dead = 0;
    if ((rc = db_prepare(db, sql_counts, &st)) || (rc = db_bind_i64(st, 1, w->id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const char *s = db_col_text(st, 0, &n);
        int64_t c = db_col_i64(st, 1);
        if (s && strcmp(s, "delivered") == 0)
            w->delivered = c;
        else if (s && strcmp(s, "pending") == 0)
            w->pending = c;
        else if (s && strcmp(s, "dead") == 0)
            w->dead = c;
    }
out:
    db_done(st);
    return rc;
}

static void
webhook_sub_row(struct db_stmt *st, struct arena *arena, struct webhook_sub *w)
{
    w->id = db_col_i64(st, 0);
    w->url = webhook_sub_col(st, 1, arena);
    w->topics = webhook_sub_col(st, 2, arena);
    w->active = db_col_i64(st, 3) != 0;
    w->cursor = db_col_i64(st, 4);
    w->created_at = db_col_i64(st, 5);
    w->updated_at = db_col_i64(st, 6);
}

int
webhook_sub_open_secret(const struct app *app, const void *sealed, size_t n, struct buf *out)
{
    uint8_t plain[WEBHOOK_SECRET_MAX + 1];
    size_t len = 0;
    int rc;
    if (n < FIELD_OVERHEAD || n - FIELD_OVERHEAD > WEBHOOK_SECRET_MAX)
        return ERR_CRYPTO;
    if ((rc = field_open(&app->keys, WEBHOOK_SECRET_AD, sealed, n, plain, sizeof plain, &len)))
        return rc;
    buf_add(out, plain, len);
    wipe(plain, sizeof plain);
    return buf_error(out) ? ERR_TOO_LARGE : 0;
}

int
webhook_sub_create(struct app *app, struct db *db, const struct actor *a, const char *url, const char *topics,
                   const char *secret, struct buf *secret_out, int64_t *id, const char **why)
{
    struct buf gen = BUF_INIT;
    uint8_t sealed[FIELD_SEALED_LEN(WEBHOOK_SECRET_MAX)];
    size_t sealed_len = 0;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    char host[256], target[64], detail[400];
    int64_t head = 0, now = time_now_ms();
    const char *dummy;
    int rc;

    if (!why)
        why = &dummy;
    *why = NULL;
    if (!topics)
        topics = "";
    if ((rc = webhook_sub_district_only(a)))
        goto out;
    if (!url) {
        *why = "'url' is required";
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = webhook_sub_check(url, topics, host, sizeof host, why)))
        goto out;
    if (secret && (rc = webhook_sub_check_secret(secret, why)))
        goto out;
    if ((rc = webhook_sub_allowed(db, url, why)))
        goto out;
    if (!secret) {
        if ((rc = secret_generate(WEBHOOK_SECRET_PREFIX, &gen)))
            goto out;
        secret = gen.data;
    }
    if ((rc = field_seal(&app->keys, WEBHOOK_SECRET_AD, secret, strlen(secret), sealed, sizeof sealed,
                         &sealed_len)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    /* the head read inside the transaction: events committed from now on are delivered */
    if ((rc = db_prepare(db, sql_head, &st)) || (rc = db_step(st, &row)))
        goto out;
    head = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_text(st, 1, url, strlen(url))) ||
        (rc = db_bind_text(st, 2, topics, strlen(topics))) || (rc = db_bind_blob(st, 3, sealed, sealed_len)) ||
        (rc = db_bind_i64(st, 4, head)) || (rc = db_bind_i64(st, 5, now)) || (rc = db_step(st, &row)))
        goto out;
    *id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "webhook:%lld", (long long)*id);
    snprintf(detail, sizeof detail, "host=%s topics=%s secret=%s", host, topics[0] ? topics : "*",
             gen.len ? "generated" : "given");
    if ((rc = audit_append(db, &app->keys, a, "webhook.create", target, "ok", detail)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
    if (gen.len)
        buf_add(secret_out, gen.data, gen.len);
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    wipe(sealed, sizeof sealed);
    buf_release_secret(&gen);
    return rc;
}

int
webhook_sub_list(struct db *db, const struct actor *a, int64_t after, size_t limit, struct arena *arena,
                 struct webhook_sub **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0;
    struct webhook_sub *out;
    int rc;

    *items = NULL;
    *n = 0;
    *total = 0;
    if ((rc = webhook_sub_district_only(a)))
        return rc;
    if (limit < 1 || limit > WEBHOOK_SUB_LIST_MAX)
        return ERR_INVALID;
    out = arena_alloc(arena, limit * sizeof *out);
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = db_bind_i64(st, 1, after)) ||
        (rc = db_bind_i64(st, 2, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row)
        webhook_sub_row(st, arena, &out[count++]);
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    for (size_t i = 0; i < count; i++)
        if ((rc = webhook_sub_counts(db, &out[i])))
            goto out;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

int
webhook_sub_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct webhook_sub *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = webhook_sub_district_only(a)))
        return rc;
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    webhook_sub_row(st, arena, out);
    db_done(st);
    st = NULL;
    rc = webhook_sub_counts(db, out);
out:
    db_done(st);
    return rc;
}

/* webhook_sub_lock takes the subscription's row lock in the open transaction (the worker
 * takes it too before it records deliveries). ERR_NOT_FOUND when absent. */
static int
webhook_sub_lock(struct db *db, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_touch, &st)) && !(rc = db_bind_i64(st, 1, id)) &&
        !(rc = db_bind_i64(st, 2, time_now_ms())) && !(rc = db_step(st, &row)) && db_changes(st) == 0)
        rc = ERR_NOT_FOUND;
    db_done(st);
    return rc;
}

int
webhook_sub_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
                   const struct webhook_patch *p, const char **why)
{
    struct arena arena = ARENA_INIT;
    struct webhook_sub cur;
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    struct buf detail = BUF_INIT;
    char host[256] = "", target[64];
    const char *dummy;
    int rc;

    if (!why)
        why = &dummy;
    *why = NULL;
    if ((rc = webhook_sub_district_only(a)))
        goto out;
    if (p->active < -1 || p->active > 1) {
        rc = ERR_INVALID;
        *why = "'active' must be true or false";
        goto out;
    }
    if ((rc = webhook_sub_check(p->url, p->topics, host, sizeof host, why)) ||
        (p->url && (rc = webhook_sub_allowed(db, p->url, why))))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = webhook_sub_lock(db, id)))
        goto out;
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    webhook_sub_row(st, &arena, &cur);
    db_done(st);
    st = NULL;
    const char *url = p->url ? p->url : cur.url, *topics = p->topics ? p->topics : cur.topics;
    int active = p->active >= 0 ? p->active : cur.active;
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, url, strlen(url))) || (rc = db_bind_text(st, 3, topics, strlen(topics))) ||
        (rc = db_bind_i64(st, 4, active)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "webhook:%lld", (long long)id);
    if (p->url)
        buf_printf(&detail, "host=%s ", host);
    if (p->topics)
        buf_printf(&detail, "topics=%s ", p->topics[0] ? p->topics : "*");
    if (p->active >= 0)
        buf_printf(&detail, "active=%d", p->active);
    if ((rc = audit_append(db, &app->keys, a, "webhook.update", target, "ok", detail.data)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
    if (active && !cur.active)
        push_kick(); /* resume delivery now */
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    buf_release(&detail);
    arena_release(&arena);
    return rc;
}

int
webhook_sub_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    char target[64];
    int rc;

    if ((rc = webhook_sub_district_only(a)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    /* the row lock first, so a worker recording deliveries finishes before the log goes */
    if ((rc = webhook_sub_lock(db, id)))
        goto out;
    if ((rc = db_prepare(db, sql_delete_log, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_delete, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "webhook:%lld", (long long)id);
    if ((rc = audit_append(db, &app->keys, a, "webhook.delete", target, "ok", NULL)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    return rc;
}

static bool
webhook_sub_status_ok(const char *s)
{
    return !s || !*s || strcmp(s, "pending") == 0 || strcmp(s, "delivered") == 0 || strcmp(s, "dead") == 0;
}

int
webhook_sub_deliveries(struct db *db, const struct actor *a, int64_t id, const char *status, int64_t before,
                       size_t limit, struct arena *arena, struct webhook_delivery **items, size_t *n,
                       int64_t *total)
{
    struct webhook_sub w;
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0;
    struct webhook_delivery *out;
    int rc;

    *items = NULL;
    *n = 0;
    *total = 0;
    if (!status)
        status = "";
    if (!webhook_sub_status_ok(status) || limit < 1 || limit > WEBHOOK_DELIVERY_LIST_MAX)
        return ERR_INVALID;
    if ((rc = webhook_sub_get(db, a, id, arena, &w)))
        return rc;
    out = arena_alloc(arena, limit * sizeof *out);
    if ((rc = db_prepare(db, sql_deliveries, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, status, strlen(status))) || (rc = db_bind_i64(st, 3, before)) ||
        (rc = db_bind_i64(st, 4, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct webhook_delivery *d = &out[count++];
        d->event_id = db_col_i64(st, 0);
        d->topic = webhook_sub_col(st, 1, arena);
        d->status = webhook_sub_col(st, 2, arena);
        d->attempts = db_col_i64(st, 3);
        d->outcome = webhook_sub_col(st, 4, arena);
        d->next_at = strcmp(d->status, "pending") == 0 ? db_col_i64(st, 5) : 0;
        d->updated_at = db_col_i64(st, 6);
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_deliveries_count, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, status, strlen(status))) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

int
webhook_sub_retry(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t event_id)
{
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    char target[64], detail[64];
    int rc;

    if ((rc = webhook_sub_district_only(a)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = webhook_sub_lock(db, id)))
        goto out;
    if ((rc = db_prepare(db, sql_delivery_status, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, event_id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_requeue, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, event_id)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
        (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) == 0) {
        rc = ERR_CONFLICT;
        goto out;
    }
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "webhook:%lld", (long long)id);
    snprintf(detail, sizeof detail, "event=%lld", (long long)event_id);
    if ((rc = audit_append(db, &app->keys, a, "webhook.retry", target, "ok", detail)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
    push_kick();
out:
    if (in_tx)
        db_rollback(db);
    db_done(st);
    return rc;
}
