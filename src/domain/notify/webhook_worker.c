/* push/webhook.c - the webhook delivery worker: outbox events to subscribers' URLs over
 * libcurl, signed with HMAC-SM3, in order per subscription, at least once, with back-off
 * and dead letters (issue 3 "Push"; R2.x "pushed to the GIS map and other vendors'
 * dashboards"). Subscriptions themselves are domain/notify/webhook_sub.c's; this file only reads
 * them and keeps the delivery state (cursor, webhook_deliveries). See webhook.h.
 */
#include "push/webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/json_escape.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/notify/webhook_sub.h"
#include "push/outbox.h"

#define WH_RETRIES_PER_PASS 20 /* requeued dead letters tried per subscription per pass */
#define WH_TOPIC_MAX 47

static const char sql_subs[] =
    "SELECT w.id, w.url, w.topics, w.secret, w.cursor,"
    " (SELECT MIN(d.next_at) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending')"
    " FROM webhooks w WHERE w.active = 1 ORDER BY w.id";
static const char sql_head[] = "SELECT COALESCE(MAX(id), 0) FROM outbox";
static const char sql_retries[] =
    "SELECT d.event_id, d.attempts, d.next_at, o.id, o.topic, o.subdistrict, o.created_at, o.payload"
    " FROM webhook_deliveries d LEFT JOIN outbox o ON o.id = d.event_id"
    " WHERE d.webhook_id = ?1 AND d.status = 'pending' AND d.event_id <= ?2 ORDER BY d.event_id LIMIT ?3";
static const char sql_blocked[] =
    "SELECT event_id, attempts, next_at FROM webhook_deliveries"
    " WHERE webhook_id = ?1 AND status = 'pending' AND event_id > ?2 ORDER BY event_id LIMIT 1";
static const char sql_events[] =
    "SELECT id, topic, subdistrict, created_at, payload FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char sql_cursor[] =
    "UPDATE webhooks SET cursor = CASE WHEN cursor > ?2 THEN cursor ELSE ?2 END WHERE id = ?1";
static const char sql_record[] =
    "INSERT INTO webhook_deliveries (webhook_id, event_id, attempts, status, http_status, next_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (webhook_id, event_id) DO UPDATE SET"
    " attempts = excluded.attempts, status = excluded.status, http_status = excluded.http_status,"
    " next_at = excluded.next_at, updated_at = excluded.updated_at";

static const char st_pending[] = "pending", st_delivered[] = "delivered", st_dead[] = "dead";

/* One event to send (from the outbox), with the attempts made on it so far. */
struct wh_event {
    int64_t id, created_at, attempts, next_at;
    const char *topic, *subdistrict, *payload;
    bool known; /* the outbox row still exists */
};

/* One active subscription as read at the start of a pass. */
struct wh_sub {
    int64_t id, cursor, min_next_at;
    bool has_pending, secret_ok;
    const char *url, *topics;
    char host[256];
    struct buf secret;
};

/* The new state of one delivery row. */
struct wh_record {
    int64_t event_id, attempts, http_status, next_at;
    const char *status;
};

struct wh_ctx {
    struct app *app;
    const struct webhook_config *cfg;
    CURL *curl;
    struct arena arena; /* one pass */
};

static struct {
    pthread_t thread;
    bool started;
    atomic_bool running, stopping;
    struct webhook_config cfg;
} wh;

static pthread_once_t wh_once = PTHREAD_ONCE_INIT;
static bool wh_curl_ok;

static void
wh_global_init(void)
{
    wh_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
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
webhook_config_init(struct webhook_config *cfg)
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
webhook_backoff_ms(const struct webhook_config *cfg, int64_t attempts)
{
    int64_t d = cfg->backoff_ms > 0 ? cfg->backoff_ms : 1;
    for (int64_t i = 1; i < attempts && d < WEBHOOK_BACKOFF_MAX_MS; i++)
        d *= 2;
    return d < WEBHOOK_BACKOFF_MAX_MS ? d : WEBHOOK_BACKOFF_MAX_MS;
}

/* Checks and signature --------------------------------------------------------------------- */

int
webhook_url_check(const char *url, char *host, size_t cap, const char **why)
{
    const char *dummy, *auth;
    CURLU *u = NULL;
    char *part = NULL;
    size_t n = url ? strlen(url) : 0;
    int rc = ERR_INVALID;

    if (!why)
        why = &dummy;
    *why = NULL;
    if (n == 0 || n > WEBHOOK_URL_MAX) {
        *why = "'url' must have 1 to 2048 characters";
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            *why = "'url' may hold only printable ASCII characters without spaces";
            goto out;
        }
    }
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        *why = "'url' must start with http:// or https://";
        goto out;
    }
    auth = strstr(url, "://") + 3;
    if (memchr(auth, '@', strcspn(auth, "/?#"))) {
        *why = "'url' must not carry a user name or password";
        goto out;
    }
    if (!(u = curl_url())) {
        rc = ERR_INTERNAL;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        *why = "'url' is not a valid URL";
        goto out;
    }
    static const CURLUPart forbidden[] = { CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS };
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        if (curl_url_get(u, forbidden[i], &part, 0) == CURLUE_OK) {
            *why = "'url' must not carry a user name or password";
            goto out;
        }
        curl_free(part);
        part = NULL;
    }
    if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK || !part || !*part) {
        *why = "'url' must name a host";
        goto out;
    }
    if (host)
        str_copy(host, cap, part);
    rc = 0;
out:
    curl_free(part);
    curl_url_cleanup(u);
    return rc;
}

int
webhook_topics_check(const char *topics)
{
    const char *p = topics;
    size_t count = 0;
    if (!p)
        return ERR_INVALID;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n > WH_TOPIC_MAX || ++count > WEBHOOK_TOPICS_MAX)
            return ERR_INVALID;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
                return ERR_INVALID;
        }
        p += n;
        if (*p == ',' && !*++p)
            return ERR_INVALID; /* a trailing comma */
    }
    return 0;
}

bool
webhook_topic_match(const char *topics, const char *topic)
{
    const char *p = topics;
    if (!*p)
        return true;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n && strncmp(topic, p, n) == 0 && (topic[n] == '\0' || topic[n] == '.'))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

int
webhook_sign(const char *secret, size_t secret_len, const char *timestamp, const void *body, size_t body_len,
             char out[WEBHOOK_SIG_LEN + 1])
{
    struct sm_part parts[3] = { { timestamp, strlen(timestamp) }, { ".", 1 }, { body, body_len } };
    uint8_t mac[SM3_LEN];
    struct buf hex = BUF_INIT;
    int rc = hmac_sm3_parts(secret, secret_len, parts, 3, mac);
    if (!rc) {
        hex_encode(&hex, mac, sizeof mac);
        snprintf(out, WEBHOOK_SIG_LEN + 1, "%s%s", WEBHOOK_SIG_PREFIX, hex.data);
    }
    wipe(mac, sizeof mac);
    buf_release(&hex);
    return rc;
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
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = db_prepare(db, sql_subs, &st)))
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
    if ((rc = db_prepare(db, sql_head, &st)) || (rc = db_step(st, &row)))
        goto out;
    *head = row ? db_col_i64(st, 0) : 0;
    *out = subs;
    *n = count;
out:
    db_done(st);
    db_pool_put(w->app->pool, db);
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
    int rc;

    memset(blocked, 0, sizeof *blocked);
    *nretries = *nevents = 0;
    if (s->has_pending) {
        if ((rc = db_prepare(db, sql_retries, &st)) || (rc = db_bind_i64(st, 1, s->id)) ||
            (rc = db_bind_i64(st, 2, s->cursor)) || (rc = db_bind_i64(st, 3, WH_RETRIES_PER_PASS)))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            struct wh_event *x = &r[count++];
            x->id = db_col_i64(st, 0);
            x->attempts = db_col_i64(st, 1);
            x->next_at = db_col_i64(st, 2);
            x->known = !db_col_is_null(st, 3);
            x->topic = wh_col(w, st, 4);
            x->subdistrict = wh_col(w, st, 5);
            x->created_at = db_col_i64(st, 6);
            x->payload = wh_col(w, st, 7);
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
            blocked->id = db_col_i64(st, 0);
            blocked->attempts = db_col_i64(st, 1);
            blocked->next_at = db_col_i64(st, 2);
        }
        db_done(st);
        st = NULL;
    }
    count = 0;
    if ((rc = db_prepare(db, sql_events, &st)) || (rc = db_bind_i64(st, 1, s->cursor)) ||
        (rc = db_bind_i64(st, 2, WEBHOOK_BATCH)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct wh_event *x = &e[count++];
        memset(x, 0, sizeof *x);
        x->id = db_col_i64(st, 0);
        x->topic = wh_col(w, st, 1);
        x->subdistrict = wh_col(w, st, 2);
        x->created_at = db_col_i64(st, 3);
        x->payload = wh_col(w, st, 4);
        x->known = true;
    }
    if (rc)
        goto out;
    *nevents = count;
out:
    db_done(st);
    db_pool_put(w->app->pool, db);
    *retries = r;
    *events = e;
    return rc;
}

/* Sending ----------------------------------------------------------------------------- */

static size_t
wh_discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

static int
wh_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return atomic_load(&wh.stopping) ? 1 : 0;
}

static void
wh_body(struct buf *b, const struct wh_event *e)
{
    buf_printf(b, "{\"id\":%lld,\"topic\":", (long long)e->id);
    json_escape(b, e->topic);
    buf_adds(b, ",\"subdistrict\":");
    json_escape(b, e->subdistrict);
    buf_printf(b, ",\"created_at\":%lld,\"data\":", (long long)e->created_at);
    buf_adds(b, e->payload[0] ? e->payload : "null");
    buf_addch(b, '}');
}

static struct curl_slist *
wh_header(struct curl_slist *list, bool *ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static struct curl_slist *
wh_header(struct curl_slist *list, bool *ok, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || str_has_ctl(line, (size_t)n)) {
        *ok = false;
        return list;
    }
    struct curl_slist *next = curl_slist_append(list, line);
    if (!next) {
        *ok = false;
        return list;
    }
    return next;
}

/* wh_post sends e to s: 0 when delivered (a 2xx answer), ERR_UNAVAILABLE when not (*error
 * says why, static text), ERR_INTERNAL when webhook_stop aborted it (not an attempt).
 * *status gets the HTTP status, 0 when none arrived. */
static int
wh_post(struct wh_ctx *w, const struct wh_sub *s, const struct wh_event *e, long *status, const char **error)
{
    struct buf body = BUF_INIT;
    struct curl_slist *h = NULL;
    char ts[24], sig[WEBHOOK_SIG_LEN + 1];
    bool ok = true;
    CURLcode cc;
    int rc = ERR_UNAVAILABLE;

    *status = 0;
    *error = "";
    wh_body(&body, e);
    snprintf(ts, sizeof ts, "%lld", (long long)time_now_ms());
    if (buf_error(&body)) {
        *error = "event too large";
        goto out;
    }
    if (!s->secret_ok || webhook_sign(s->secret.data, s->secret.len, ts, body.data, body.len, sig)) {
        *error = "cannot sign";
        goto out;
    }
    h = wh_header(h, &ok, "Content-Type: application/json");
    h = wh_header(h, &ok, "User-Agent: jiayuan-webhook/1");
    h = wh_header(h, &ok, "Expect:");
    h = wh_header(h, &ok, "X-Jiayuan-Event-Id: %lld", (long long)e->id);
    h = wh_header(h, &ok, "X-Jiayuan-Topic: %s", e->topic);
    h = wh_header(h, &ok, "X-Jiayuan-Timestamp: %s", ts);
    h = wh_header(h, &ok, "X-Jiayuan-Signature: %s", sig);
    if (!ok) {
        *error = "bad header";
        goto out;
    }
    curl_easy_reset(w->curl);
    if (curl_easy_setopt(w->curl, CURLOPT_URL, s->url) ||
        curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L) ||
        curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(w->curl, CURLOPT_POST, 1L) ||
        curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body.data) ||
        curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len) ||
        curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h) ||
        curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, (long)w->cfg->timeout_ms) ||
        curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)w->cfg->timeout_ms) ||
        curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, wh_discard) ||
        curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L) ||
        curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, wh_progress)) {
        *error = "cannot set up the request";
        goto out;
    }
    cc = curl_easy_perform(w->curl);
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, status);
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        rc = ERR_INTERNAL;
    } else if (cc != CURLE_OK) {
        *error = curl_easy_strerror(cc);
    } else if (*status < 200 || *status > 299) {
        *error = "not a 2xx answer";
    } else {
        rc = 0;
    }
out:
    curl_slist_free_all(h);
    buf_release(&body);
    return rc;
}

/* wh_attempt makes one attempt at e (prior attempts made before) and fills rec with the
 * new state. false when webhook_stop aborted it (rec untouched). */
static bool
wh_attempt(struct wh_ctx *w, const struct wh_sub *s, const struct wh_event *e, int64_t prior,
           struct wh_record *rec)
{
    long status = 0;
    const char *error = "";
    int rc = wh_post(w, s, e, &status, &error);
    char id[24], event[24], attempt[24], http[24];

    if (rc == ERR_INTERNAL)
        return false;
    rec->event_id = e->id;
    rec->attempts = prior + 1;
    rec->http_status = status;
    rec->next_at = 0;
    if (!rc) {
        rec->status = st_delivered;
        return true;
    }
    snprintf(id, sizeof id, "%lld", (long long)s->id);
    snprintf(event, sizeof event, "%lld", (long long)e->id);
    snprintf(attempt, sizeof attempt, "%lld", (long long)rec->attempts);
    snprintf(http, sizeof http, "%ld", status);
    if (rec->attempts >= w->cfg->max_attempts) {
        rec->status = st_dead;
        log_error("webhook.dead_letter", "webhook", id, "host", s->host, "event_id", event, "attempts", attempt,
                  "http_status", http, "error", error, NULL);
    } else {
        rec->status = st_pending;
        rec->next_at = time_now_ms() + webhook_backoff_ms(w->cfg, rec->attempts);
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
            (rc = db_bind_text(st, 4, r->status, strlen(r->status))) || (rc = db_bind_i64(st, 5, r->http_status)) ||
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
            recs[nrec++] = (struct wh_record){ e->id, e->attempts, 0, 0, st_dead };
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
    if (blocked.id && (nevents == 0 || events[0].id != blocked.id)) {
        recs[nrec++] = (struct wh_record){ blocked.id, blocked.attempts, 0, 0, st_dead };
        blocked.id = 0;
    }

    /* the stream, strictly in order */
    for (size_t i = 0; i < nevents && !stop; i++) {
        struct wh_event *e = &events[i];
        int64_t prior = 0;
        if (!webhook_topic_match(s->topics, e->topic)) {
            if (e->id == blocked.id) /* no longer subscribed: out of the way, kept in the log */
                recs[nrec++] = (struct wh_record){ e->id, blocked.attempts, 0, 0, st_dead };
            scanned = e->id;
            moved++;
            continue;
        }
        if (e->id == blocked.id) {
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
        scanned = e->id;
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
    for (size_t i = 0; !rc && i < n && !atomic_load(&wh.stopping); i++) {
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
webhook_pass(struct app *app, const struct webhook_config *cfg, size_t *progress, int64_t *next_due)
{
    struct webhook_config defaults;
    struct wh_ctx w = { app, cfg, NULL, ARENA_INIT };
    size_t p = 0;
    int64_t due = INT64_MAX;
    int rc;

    if (!cfg) {
        webhook_config_init(&defaults);
        w.cfg = &defaults;
    }
    pthread_once(&wh_once, wh_global_init);
    if (!wh_curl_ok || !(w.curl = curl_easy_init()))
        return ERR_INTERNAL;
    rc = wh_pass(&w, &p, &due);
    curl_easy_cleanup(w.curl);
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
    curl_easy_cleanup(w->curl);
    xfree(w);
    crypto_thread_release();
    return NULL;
}

int
webhook_start(struct app *app, const struct webhook_config *cfg)
{
    struct wh_ctx *w;
    if (wh.started)
        return ERR_INTERNAL;
    if (cfg)
        wh.cfg = *cfg;
    else
        webhook_config_init(&wh.cfg);
    if (wh.cfg.max_attempts < 1 || wh.cfg.poll_ms < 1)
        return ERR_INVALID;
    pthread_once(&wh_once, wh_global_init);
    if (!wh_curl_ok)
        return ERR_INTERNAL;
    w = xcalloc(1, sizeof *w);
    w->app = app;
    w->cfg = &wh.cfg;
    if (!(w->curl = curl_easy_init())) {
        xfree(w);
        return ERR_INTERNAL;
    }
    atomic_store(&wh.stopping, false);
    atomic_store(&wh.running, true);
    if (pthread_create(&wh.thread, NULL, wh_main, w)) {
        atomic_store(&wh.running, false);
        curl_easy_cleanup(w->curl);
        xfree(w);
        return ERR_INTERNAL;
    }
    wh.started = true;
    return 0;
}

void
webhook_stop(void)
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
