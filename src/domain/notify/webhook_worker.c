/* domain/notify/webhook_worker.c - the webhook delivery worker: outbox events to
 * subscribers' URLs in order per subscription, at least once, with back-off and dead
 * letters (issue 3 "Push"; R2.x "pushed to the GIS map and other vendors' dashboards").
 * It reads the active subscriptions, keeps the delivery state (webhooks.cursor,
 * webhook_deliveries) and drives push/webhook.h, which makes each signed POST; the
 * subscriptions themselves are webhook_sub.c's. See webhook_worker.h.
 */
#include "domain/notify/webhook_worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/notify/webhook_allow.h"
#include "domain/notify/webhook_sub.h"
#include "push/outbox.h"
#include "push/webhook.h"

#define WH_RETRIES_PER_PASS 20 /* requeued dead letters tried per subscription per pass */

static const char sql_subs[] =
    "SELECT w.id, w.url, w.topics, w.secret, w.cursor,"
    " (SELECT MIN(d.next_at) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending')"
    " FROM webhooks w WHERE w.active = 1 ORDER BY w.id";
/* Requeued dead letters with their events: the one query here that reads the outbox table
 * itself (a join, rather than an outbox_read per letter); new events come from outbox_read. */
static const char sql_retries[] =
    "SELECT d.event_id, d.attempts, d.next_at, o.id, o.topic, o.subdistrict, o.created_at, o.payload"
    " FROM webhook_deliveries d LEFT JOIN outbox o ON o.id = d.event_id"
    " WHERE d.webhook_id = ?1 AND d.status = 'pending' AND d.event_id <= ?2 ORDER BY d.event_id LIMIT ?3";
static const char sql_blocked[] =
    "SELECT event_id, attempts, next_at FROM webhook_deliveries"
    " WHERE webhook_id = ?1 AND status = 'pending' AND event_id > ?2 ORDER BY event_id LIMIT 1";
static const char sql_cursor[] =
    "UPDATE webhooks SET cursor = CASE WHEN cursor > ?2 THEN cursor ELSE ?2 END WHERE id = ?1";
static const char sql_record[] =
    "INSERT INTO webhook_deliveries (webhook_id, event_id, attempts, status, outcome, http_status, next_at,"
    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7) ON CONFLICT (webhook_id, event_id) DO UPDATE SET"
    " attempts = excluded.attempts, status = excluded.status, outcome = excluded.outcome,"
    " next_at = excluded.next_at, updated_at = excluded.updated_at";

static const char sql_backend[] = "SELECT pg_backend_pid()";
static const char sql_try_lock[] = "SELECT CASE WHEN pg_try_advisory_lock(?1) THEN 1 ELSE 0 END";
static const char sql_unlock_all[] = "SELECT 1 FROM (SELECT pg_advisory_unlock_all()) u";
static const char sql_refresh[] =
    "SELECT w.cursor,"
    " (SELECT MIN(d.next_at) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending')"
    " FROM webhooks w WHERE w.id = ?1 AND w.active = 1";

static const char st_pending[] = "pending", st_delivered[] = "delivered", st_dead[] = "dead";
static const char oc_delivered[] = "delivered", oc_refused[] = "refused", oc_failed[] = "failed";

/* One event to send (from the outbox), with the attempts made on it so far. */
struct wh_event {
    struct outbox_event ev;
    int64_t attempts, next_at;
    bool known; /* the outbox row still exists */
};

/* One active subscription as read at the start of a pass. */
struct wh_sub {
    int64_t id, cursor, min_next_at;
    bool has_pending, secret_ok;
    bool allowed, allow_loopback; /* on the allow-list now (webhook_allow.h) */
    const char *url, *topics;
    char host[256];
    struct buf secret;
};

/* The new state of one delivery row. */
struct wh_record {
    int64_t event_id, attempts, next_at;
    const char *status, *outcome; /* outcome: delivered | refused | failed (no raw status) */
};

struct wh_ctx {
    struct app *app;
    const struct webhook_worker_config *cfg;
    struct webhook_client *client;
    struct arena arena; /* one pass */
    /* PostgreSQL, several nodes (issue 13): the session that holds this node's advisory
     * locks, one per subscription it delivers for, and which those are */
    struct db *lockdb;
    int64_t lock_pid; /* the backend that holds them: another one means they are gone */
    int64_t *held;
    size_t nheld, capheld;
};

static struct {
    pthread_t thread;
    bool started;
    atomic_bool running, stopping;
    struct webhook_worker_config cfg;
} wh;

/* wh_cancelled tells the transport to abort a request in flight once webhook_worker_stop
 * began. */
static bool
wh_cancelled(void *arg)
{
    (void)arg;
    return atomic_load(&wh.stopping);
}

/* Configuration ----------------------------------------------------------------------- */

static void
wh_env(const char *name, int64_t min, int64_t max, int64_t *v)
{
    const char *s = getenv(name);
    int64_t x;
    if (!s || !*s)
        return;
    if (cstr_to_i64(s, &x, min, max)) {
        log_warn("webhook.config_ignored", "variable", name, NULL);
        return;
    }
    *v = x;
}

void
webhook_worker_config_init(struct webhook_worker_config *cfg)
{
    int64_t attempts = WEBHOOK_MAX_ATTEMPTS;
    cfg->backoff_ms = WEBHOOK_BACKOFF_MS;
    cfg->timeout_ms = WEBHOOK_TIMEOUT_MS;
    cfg->poll_ms = WEBHOOK_POLL_MS;
    wh_env("JIAYUAN_WEBHOOK_BACKOFF_MS", 1, WEBHOOK_BACKOFF_MAX_MS, &cfg->backoff_ms);
    wh_env("JIAYUAN_WEBHOOK_MAX_ATTEMPTS", 1, 100, &attempts);
    wh_env("JIAYUAN_WEBHOOK_TIMEOUT_MS", 100, 60000, &cfg->timeout_ms);
    cfg->max_attempts = (int)attempts;
}

int64_t
webhook_worker_backoff_ms(const struct webhook_worker_config *cfg, int64_t attempts)
{
    int64_t d = cfg->backoff_ms > 0 ? cfg->backoff_ms : 1;
    for (int64_t i = 1; i < attempts && d < WEBHOOK_BACKOFF_MAX_MS; i++)
        d *= 2;
    return d < WEBHOOK_BACKOFF_MAX_MS ? d : WEBHOOK_BACKOFF_MAX_MS;
}

/* Reading state ------------------------------------------------------------------------ */

static const char *
wh_col(struct wh_ctx *w, struct db_stmt *st, int col)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    return arena_strndup(&w->arena, s ? s : "", n);
}

/* wh_subs reads the active subscriptions (secrets opened) and the outbox head. */
static int
wh_subs(struct wh_ctx *w, struct wh_sub **out, size_t *n, int64_t *head)
{
    struct db *db = db_pool_get(w->app->pool);
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0, cap = 8;
    struct wh_sub *subs = arena_alloc(&w->arena, cap * sizeof *subs);
    struct buf allow = BUF_INIT;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = webhook_allow_get(db, &allow)) || (rc = db_prepare(db, sql_subs, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        if (count == cap) {
            struct wh_sub *bigger = arena_alloc(&w->arena, 2 * cap * sizeof *subs);
            memcpy(bigger, subs, cap * sizeof *subs);
            subs = bigger;
            cap *= 2;
        }
        struct wh_sub *s = &subs[count++];
        size_t blen = 0;
        const void *blob = db_col_blob(st, 3, &blen);
        memset(s, 0, sizeof *s);
        s->id = db_col_i64(st, 0);
        s->url = wh_col(w, st, 1);
        s->topics = wh_col(w, st, 2);
        s->cursor = db_col_i64(st, 4);
        s->has_pending = !db_col_is_null(st, 5);
        s->min_next_at = db_col_i64(st, 5);
        buf_init(&s->secret, WEBHOOK_SECRET_MAX + 1);
        s->secret_ok = blob && !webhook_sub_open_secret(w->app, blob, blen, &s->secret);
        if (webhook_url_check(s->url, s->host, sizeof s->host, NULL))
            str_copy(s->host, sizeof s->host, "-");
        const char *why;
        s->allowed = webhook_allow_url(allow.data, s->url, &why) == 0;
        s->allow_loopback = webhook_allow_loopback(allow.data);
        if (!s->secret_ok) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)s->id);
            log_error("webhook.secret_unreadable", "webhook", id, NULL);
        }
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = outbox_head(db, head)))
        goto out;
    *out = subs;
    *n = count;
out:
    db_done(st);
    db_pool_put(w->app->pool, db);
    buf_release(&allow);
    if (rc)
        for (size_t i = 0; i < count; i++)
            buf_release_secret(&subs[i].secret);
    return rc;
}

/* wh_load reads what subscription s has to do: requeued dead letters, the pending event
 * that blocks its stream (if any) and the next events after its cursor. */
static int
wh_load(struct wh_ctx *w, const struct wh_sub *s, struct wh_event **retries, size_t *nretries,
        struct wh_event *blocked, struct wh_event **events, size_t *nevents)
{
    struct db *db = db_pool_get(w->app->pool);
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0;
    struct wh_event *r = arena_alloc(&w->arena, WH_RETRIES_PER_PASS * sizeof *r);
    struct wh_event *e = arena_alloc(&w->arena, WEBHOOK_BATCH * sizeof *e);
    struct outbox_event *ev = arena_alloc(&w->arena, WEBHOOK_BATCH * sizeof *ev);
    int rc;

    memset(blocked, 0, sizeof *blocked);
    *nretries = *nevents = 0;
    if (s->has_pending) {
        if ((rc = db_prepare(db, sql_retries, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
            (rc = db_bind_i64(st, 2, s->cursor)) || (rc = db_bind_i64(st, 3, WH_RETRIES_PER_PASS)))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            struct wh_event *x = &r[count++];
            x->ev.id = db_col_i64(st, 0);
            x->attempts = db_col_i64(st, 1);
            x->next_at = db_col_i64(st, 2);
            x->known = !db_col_is_null(st, 3);
            x->ev.topic = wh_col(w, st, 4);
            x->ev.subdistrict = wh_col(w, st, 5);
            x->ev.created_at = db_col_i64(st, 6);
            x->ev.payload = wh_col(w, st, 7);
        }
        if (rc)
            goto out;
        *nretries = count;
        db_done(st);
        st = NULL;
        if ((rc = db_prepare(db, sql_blocked, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
            (rc = db_bind_i64(st, 2, s->cursor)) || (rc = db_step(st, &row)))
            goto out;
        if (row) {
            blocked->ev.id = db_col_i64(st, 0);
            blocked->attempts = db_col_i64(st, 1);
            blocked->next_at = db_col_i64(st, 2);
        }
        db_done(st);
        st = NULL;
    }
    if ((rc = outbox_read(db, s->cursor, WEBHOOK_BATCH, &w->arena, ev, &count)))
        goto out;
    for (size_t i = 0; i < count; i++)
        e[i] = (struct wh_event){ .ev = ev[i], .known = true };
    *nevents = count;
out:
    db_done(st);
    db_pool_put(w->app->pool, db);
    *retries = r;
    *events = e;
    return rc;
}

/* wh_attempt makes one attempt at e (prior attempts made before) and fills rec with the
 * new state. false when webhook_worker_stop aborted it (rec untouched). */
static bool
wh_attempt(struct wh_ctx *w, const struct wh_sub *s, const struct wh_event *e, int64_t prior,
           struct wh_record *rec)
{
    struct webhook_post post = { s->url, s->secret_ok ? s->secret.data : NULL, s->secret.len, &e->ev,
                                 w->cfg->timeout_ms, s->allow_loopback };
    long status = 0;
    const char *error = "destination not on the allow-list";
    int rc = s->allowed ? webhook_post(w->client, &post, &status, &error) : ERR_FORBIDDEN;
    char id[24], event[24], attempt[24], http[24];

    if (rc == ERR_INTERNAL)
        return false;
    rec->event_id = e->ev.id;
    rec->attempts = prior + 1;
    rec->next_at = 0;
    rec->outcome = !rc ? oc_delivered : rc == ERR_FORBIDDEN ? oc_refused : oc_failed;
    if (!rc) {
        rec->status = st_delivered;
        return true;
    }
    snprintf(id, sizeof id, "%lld", (long long)s->id);
    snprintf(event, sizeof event, "%lld", (long long)e->ev.id);
    snprintf(attempt, sizeof attempt, "%lld", (long long)rec->attempts);
    snprintf(http, sizeof http, "%ld", status);
    if (rec->attempts >= w->cfg->max_attempts) {
        rec->status = st_dead;
        log_error("webhook.dead_letter", "webhook", id, "host", s->host, "event_id", event, "attempts", attempt,
                  "http_status", http, "error", error, NULL);
    } else {
        rec->status = st_pending;
        rec->next_at = time_now_ms() + webhook_worker_backoff_ms(w->cfg, rec->attempts);
        log_warn("webhook.failed", "webhook", id, "host", s->host, "event_id", event, "attempt", attempt,
                 "http_status", http, "error", error, NULL);
    }
    return true;
}

/* Saving state -------------------------------------------------------------------------- */

/* wh_save records the new delivery rows and the cursor in one transaction. A subscription
 * deleted meanwhile is left alone (its log went with it). */
static int
wh_save(struct wh_ctx *w, const struct wh_sub *s, int64_t cursor, const struct wh_record *recs, size_t n)
{
    struct db *db = db_pool_get(w->app->pool);
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    int64_t now = time_now_ms();
    int rc;

    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    /* the row lock first (lock order of webhook_sub.h) */
    if ((rc = db_prepare(db, sql_cursor, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
        (rc = db_bind_i64(st, 2, cursor)) || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) == 0)
        goto out; /* deleted: rc is 0, roll back */
    db_done(st);
    st = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct wh_record *r = &recs[i];
        if ((rc = db_prepare(db, sql_record, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
            (rc = db_bind_i64(st, 2, r->event_id)) || (rc = db_bind_i64(st, 3, r->attempts)) ||
            (rc = db_bind_text(st, 4, r->status, strlen(r->status))) ||
            (rc = db_bind_text(st, 5, r->outcome, strlen(r->outcome))) ||
            (rc = db_bind_i64(st, 6, r->next_at)) || (rc = db_bind_i64(st, 7, now)) || (rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
    }
    rc = db_commit(db);
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    db_pool_put(w->app->pool, db);
    if (rc) {
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)s->id);
        log_error("webhook.save_failed", "webhook", id, "error", err_name(rc), NULL);
    }
    return rc;
}

/* Who delivers (several nodes, issue 13) ------------------------------------------------------
 *
 * On PostgreSQL a node delivers for a subscription only while it holds the session-level
 * advisory lock WH_LOCK_BASE + id on its lock connection (taken with pg_try_advisory_lock,
 * never waited for, kept while the node lives). The server releases it when that session
 * ends, so when a node dies (or its connection does) another node takes the subscription
 * over at its next pass, starting from the cursor the dead node last saved. A node that
 * finds its lock session replaced (another backend pid after a reconnect) forgets every
 * lock it thought it had. SQLite has a single node (cli/serve.c) and takes no lock. */

#define WH_LOCK_BASE 0x4A59574800000000LL /* "JYWH" in the high bytes, the id below */

static int
wh_query_i64(struct db *db, const char *sql, bool bind, int64_t arg, int64_t *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &st);
    if (!rc && bind)
        rc = db_bind_i64(st, 1, arg);
    if (!rc && !(rc = db_step(st, &row)))
        *out = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

/* wh_locks_check readies the lock session; false on SQLite (no locks needed). */
static bool
wh_locks_check(struct wh_ctx *w)
{
    int64_t pid = 0;
    if (!w->lockdb) {
        w->lockdb = db_pool_get(w->app->pool);
        if (db_kind(w->lockdb) != DB_POSTGRES) {
            db_pool_put(w->app->pool, w->lockdb);
            w->lockdb = NULL;
            return false;
        }
    }
    if (wh_query_i64(w->lockdb, sql_backend, false, 0, &pid) || pid != w->lock_pid) {
        if (w->nheld)
            log_warn("webhook.locks_lost", NULL);
        w->nheld = 0;
        w->lock_pid = pid;
    }
    return true;
}

static bool
wh_holds(const struct wh_ctx *w, int64_t id)
{
    for (size_t i = 0; i < w->nheld; i++)
        if (w->held[i] == id)
            return true;
    return false;
}

/* wh_claim: may this node deliver for s now? Takes the lock when free and then re-reads
 * the subscription's cursor (the previous holder may have moved it since wh_subs). */
static bool
wh_claim(struct wh_ctx *w, struct wh_sub *s)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t got = 0;
    if (!w->lockdb || wh_holds(w, s->id))
        return true;
    if (!w->lock_pid || wh_query_i64(w->lockdb, sql_try_lock, true, WH_LOCK_BASE + s->id, &got) || !got)
        return false;
    if (w->nheld == w->capheld) {
        w->capheld = w->capheld ? 2 * w->capheld : 16;
        w->held = xrealloc(w->held, w->capheld * sizeof *w->held);
    }
    w->held[w->nheld++] = s->id;
    if (db_prepare(w->lockdb, sql_refresh, &st) || db_bind_i64(st, 1, s->id) || db_step(st, &row) || !row) {
        db_done(st);
        return false; /* gone or unreadable: the next pass looks again */
    }
    s->cursor = db_col_i64(st, 0);
    s->has_pending = !db_col_is_null(st, 1);
    s->min_next_at = db_col_i64(st, 1);
    db_done(st);
    return true;
}

/* wh_locks_release gives every lock back (the worker stops, or a test's pass ends). */
static void
wh_locks_release(struct wh_ctx *w)
{
    int64_t ignored;
    if (w->lockdb) {
        (void)wh_query_i64(w->lockdb, sql_unlock_all, false, 0, &ignored);
        db_pool_put(w->app->pool, w->lockdb);
    }
    w->lockdb = NULL;
    w->nheld = 0;
    w->lock_pid = 0;
    xfree(w->held);
    w->held = NULL;
    w->capheld = 0;
}

/* One pass ------------------------------------------------------------------------------- */

static void
wh_due(int64_t *next_due, int64_t at)
{
    if (at < *next_due)
        *next_due = at;
}

static int
wh_sub_step(struct wh_ctx *w, struct wh_sub *s, int64_t head, size_t *progress, int64_t *next_due)
{
    struct wh_event *retries = NULL, *events = NULL, blocked;
    struct wh_record *recs;
    size_t nretries = 0, nevents = 0, nrec = 0, moved = 0;
    int64_t now = time_now_ms(), scanned = s->cursor;
    bool stop = false;
    int rc;

    if (s->cursor >= head && !(s->has_pending && s->min_next_at <= now)) {
        if (s->has_pending)
            wh_due(next_due, s->min_next_at);
        return 0;
    }
    if ((rc = wh_load(w, s, &retries, &nretries, &blocked, &events, &nevents)))
        return rc;
    recs = arena_alloc(&w->arena, (nretries + nevents + 1) * sizeof *recs);

    /* requeued dead letters, each on its own, beside the stream */
    for (size_t i = 0; i < nretries && !stop; i++) {
        struct wh_event *e = &retries[i];
        if (e->next_at > now) {
            wh_due(next_due, e->next_at);
            continue;
        }
        if (!e->known) { /* the event left the outbox: nothing to send */
            recs[nrec++] = (struct wh_record){ e->ev.id, e->attempts, 0, st_dead, oc_failed };
            moved++;
            continue;
        }
        if (!wh_attempt(w, s, e, e->attempts, &recs[nrec])) {
            stop = true;
            break;
        }
        if (recs[nrec].status == st_pending)
            wh_due(next_due, recs[nrec].next_at);
        else
            moved++;
        nrec++;
    }

    /* the blocking event left the outbox (or was never there): give it up */
    if (blocked.ev.id && (nevents == 0 || events[0].ev.id != blocked.ev.id)) {
        recs[nrec++] = (struct wh_record){ blocked.ev.id, blocked.attempts, 0, st_dead, oc_failed };
        blocked.ev.id = 0;
    }

    /* the stream, strictly in order */
    for (size_t i = 0; i < nevents && !stop; i++) {
        struct wh_event *e = &events[i];
        int64_t prior = 0;
        if (!webhook_topic_match(s->topics, e->ev.topic)) {
            if (e->ev.id == blocked.ev.id) /* no longer subscribed: out of the way, kept in the log */
                recs[nrec++] = (struct wh_record){ e->ev.id, blocked.attempts, 0, st_dead, oc_failed };
            scanned = e->ev.id;
            moved++;
            continue;
        }
        if (e->ev.id == blocked.ev.id) {
            if (blocked.next_at > now) {
                wh_due(next_due, blocked.next_at);
                break;
            }
            prior = blocked.attempts;
        }
        if (!wh_attempt(w, s, e, prior, &recs[nrec])) {
            stop = true;
            break;
        }
        struct wh_record *r = &recs[nrec++];
        if (r->status == st_pending) {
            wh_due(next_due, r->next_at);
            break;
        }
        scanned = e->ev.id;
        moved++;
    }

    if (nrec || scanned != s->cursor) {
        if ((rc = wh_save(w, s, scanned, recs, nrec)))
            return rc;
        s->cursor = scanned;
    }
    *progress += moved;
    return 0;
}

static int
wh_pass(struct wh_ctx *w, size_t *progress, int64_t *next_due)
{
    struct wh_sub *subs = NULL;
    size_t n = 0;
    int64_t head = 0;
    int rc;

    *progress = 0;
    *next_due = INT64_MAX;
    rc = wh_subs(w, &subs, &n, &head);
    if (!rc)
        (void)wh_locks_check(w);
    for (size_t i = 0; !rc && i < n && !atomic_load(&wh.stopping); i++) {
        if (!wh_claim(w, &subs[i]))
            continue; /* another node delivers for it */
        int r = wh_sub_step(w, &subs[i], head, progress, next_due);
        if (r && !rc)
            rc = r; /* go on with the others */
    }
    for (size_t i = 0; i < n; i++)
        buf_release_secret(&subs[i].secret);
    arena_release(&w->arena);
    return rc;
}

int
webhook_worker_pass(struct app *app, const struct webhook_worker_config *cfg, size_t *progress,
                    int64_t *next_due)
{
    struct webhook_worker_config defaults;
    struct wh_ctx w = { .app = app, .cfg = cfg, .arena = ARENA_INIT };
    size_t p = 0;
    int64_t due = INT64_MAX;
    int rc;

    if (!cfg) {
        webhook_worker_config_init(&defaults);
        w.cfg = &defaults;
    }
    if (webhook_client_new(wh_cancelled, NULL, &w.client))
        return ERR_INTERNAL;
    rc = wh_pass(&w, &p, &due);
    wh_locks_release(&w);
    webhook_client_free(w.client);
    if (progress)
        *progress = p;
    if (next_due)
        *next_due = due;
    return rc;
}

/* The thread ------------------------------------------------------------------------------ */

static void *
wh_main(void *arg)
{
    struct wh_ctx *w = arg;
    while (atomic_load(&wh.running)) {
        size_t progress = 0;
        int64_t due = INT64_MAX, wait = wh.cfg.poll_ms;
        int rc = wh_pass(w, &progress, &due);
        if (!atomic_load(&wh.running))
            break;
        if (!rc && progress)
            continue; /* more may be waiting */
        if (due != INT64_MAX) {
            int64_t until = due - time_now_ms();
            if (until < wait)
                wait = until;
        }
        push_wait((int)(wait < 5 ? 5 : wait));
    }
    wh_locks_release(w);
    webhook_client_free(w->client);
    xfree(w);
    crypto_thread_release();
    return NULL;
}

int
webhook_worker_start(struct app *app, const struct webhook_worker_config *cfg)
{
    struct wh_ctx *w;
    if (wh.started)
        return ERR_INTERNAL;
    if (cfg)
        wh.cfg = *cfg;
    else
        webhook_worker_config_init(&wh.cfg);
    if (wh.cfg.max_attempts < 1 || wh.cfg.poll_ms < 1)
        return ERR_INVALID;
    w = xcalloc(1, sizeof *w);
    w->app = app;
    w->cfg = &wh.cfg;
    if (webhook_client_new(wh_cancelled, NULL, &w->client)) {
        xfree(w);
        return ERR_INTERNAL;
    }
    atomic_store(&wh.stopping, false);
    atomic_store(&wh.running, true);
    if (pthread_create(&wh.thread, NULL, wh_main, w)) {
        atomic_store(&wh.running, false);
        webhook_client_free(w->client);
        xfree(w);
        return ERR_INTERNAL;
    }
    wh.started = true;
    return 0;
}

void
webhook_worker_stop(void)
{
    if (!wh.started)
        return;
    atomic_store(&wh.stopping, true);
    atomic_store(&wh.running, false);
    push_kick();
    pthread_join(wh.thread, NULL);
    wh.started = false;
    atomic_store(&wh.stopping, false);
}
