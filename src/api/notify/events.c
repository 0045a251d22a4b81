/* api/notify/events.c - GET /api/v1/events: Server-Sent Events for dashboards, the big screen and
 * the map (R2.1-R2.6 "pushed to the dashboards"). Topics filter with ?topics=a,b; resume
 * with the Last-Event-ID header (or ?last_event_id=); subdistrict accounts only receive
 * their subdistrict's events (never district-wide ones). Payloads carry counts and keys,
 * never people.
 *
 * Issue 12: a reader gets only the topics its permissions cover (events_topics: a topic
 * needs one of the permissions of its row); the credential is re-checked on every
 * heartbeat (domain/account/liveness.h) and the stream ends when it no longer holds
 * (logout, disable, lock, token revocation, session expiry); an account holds at most
 * hub's per-account cap of streams at once (429 beyond). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/account/liveness.h"
#include "http/stream.h"
#include "push/hub.h"

struct events_conn {
    struct hub_sub *sub;
    struct http_stream *stream;
    struct app *app;
    struct actor actor;     /* who opened the stream: re-checked on every heartbeat */
    int64_t checked_ms;
};

/* Which permissions let a reader see a topic (by its first segment); either one will do.
 * A topic root not listed here is not delivered to anyone through this route. */
static const struct {
    const char *root;
    enum perm_bit a, b;
} events_topics[] = {
    { "sites", PERM_BIT_SITES_READ, PERM_BIT_DASHBOARD_READ },
    { "plans", PERM_BIT_PLANS_READ, PERM_BIT_DASHBOARD_READ },
    { "planned", PERM_BIT_PLANS_READ, PERM_BIT_DASHBOARD_READ },
    { "actuals", PERM_BIT_ACTUALS_READ, PERM_BIT_DASHBOARD_READ },
    { "samples", PERM_BIT_SAMPLES_READ, PERM_BIT_DASHBOARD_READ },
    { "results", PERM_BIT_RESULTS_READ, PERM_BIT_DASHBOARD_READ },
    { "transports", PERM_BIT_TRANSPORTS_READ, PERM_BIT_DASHBOARD_READ },
    { "checkins", PERM_BIT_CHECKINS_READ, PERM_BIT_CHECKINS_READ },
    { "places", PERM_BIT_PLACES_READ, PERM_BIT_PLACES_READ },
    { "cameras", PERM_BIT_CAMERAS_READ, PERM_BIT_CAMERAS_READ },
    { "exchange", PERM_BIT_HEALTH_READ, PERM_BIT_STATS_READ },
};

/* events_allowed: may a read topic t[0..n) (a name or a prefix of one)? */
static bool
events_allowed(const struct actor *a, const char *t, size_t n)
{
    size_t root = 0;
    while (root < n && t[root] != '.')
        root++;
    for (size_t i = 0; i < sizeof events_topics / sizeof *events_topics; i++)
        if (strlen(events_topics[i].root) == root && memcmp(events_topics[i].root, t, root) == 0)
            return actor_can(a, events_topics[i].a) || actor_can(a, events_topics[i].b);
    return false;
}

/* events_filter writes into out the requested topics a may read (all it may read when
 * none were asked for); ERR_INVALID for a malformed list (left to hub_subscribe's check),
 * ERR_FORBIDDEN when none is left. */
static int
events_filter(const struct actor *a, const char *topics, struct buf *out)
{
    const char *p = topics ? topics : "";
    if (!*p) {
        for (size_t i = 0; i < sizeof events_topics / sizeof *events_topics; i++)
            if (events_allowed(a, events_topics[i].root, strlen(events_topics[i].root)))
                buf_printf(out, "%s%s", out->len ? "," : "", events_topics[i].root);
        return out->len ? 0 : ERR_FORBIDDEN;
    }
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0)
            return ERR_INVALID;
        if (events_allowed(a, p, n)) {
            if (out->len)
                buf_addch(out, ',');
            buf_add(out, p, n);
        }
        p += n + (p[n] == ',');
    }
    return out->len ? 0 : ERR_FORBIDDEN;
}

static void
events_wake(void *arg)
{
    struct events_conn *c = arg;
    if (c->stream)
        http_stream_wake(c->stream);
}

static size_t
events_fill(void *cls, char *buf, size_t max, bool *end)
{
    struct events_conn *c = cls;
    int64_t now = time_now_ms();
    if (now - c->checked_ms >= hub_heartbeat_ms()) {
        struct db *db = db_pool_get(c->app->pool);
        int rc = actor_still_valid(c->app, db, &c->actor);
        db_pool_put(c->app->pool, db);
        c->checked_ms = now;
        if (rc) {
            /* the account or token by id: a user name may be a person's name */
            char who[32];
            snprintf(who, sizeof who, "%s:%lld", c->actor.kind == ACTOR_TOKEN ? "token" : "user",
                     (long long)c->actor.id);
            log_info("events.ended", "actor", who, "reason",
                     rc == ERR_UNAUTHENTICATED ? "credential no longer valid" : "check failed", NULL);
            *end = true;
            return 0;
        }
    }
    size_t n = hub_read(c->sub, buf, max);
    if (!n && !hub_running())
        *end = true; /* shutting down */
    return n;
}

static void
events_release(void *cls)
{
    struct events_conn *c = cls;
    hub_unsubscribe(c->sub);
    xfree(c);
}

/* GET /api/v1/events?topics=sites,samples.counts[&last_event_id=N] -> text/event-stream */
static int
events_stream(struct req *req)
{
    const char *topics = req_query(req, "topics");
    const char *last = req_header(req, "Last-Event-ID");
    int64_t last_id = -1;
    struct events_conn *c;
    struct buf allowed = BUF_INIT;
    char owner[32];
    int rc;

    if (!last)
        last = req_query(req, "last_event_id");
    if (last && *last && cstr_to_i64(last, &last_id, 0, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'Last-Event-ID' must be an event id");
    if ((rc = events_filter(&req->actor, topics, &allowed))) {
        buf_release(&allowed);
        if (rc == ERR_FORBIDDEN)
            return req_fail(req, rc, "no requested topic is readable with this account's permissions");
        return req_fail(req, rc, "'topics' must be a comma-separated list of topic names");
    }
    snprintf(owner, sizeof owner, "%s:%lld", req->actor.kind == ACTOR_TOKEN ? "token" : "user",
             (long long)req->actor.id);
    c = xcalloc(1, sizeof *c);
    c->app = req->app;
    c->actor = req->actor;
    c->checked_ms = time_now_ms();
    rc = hub_subscribe(allowed.data, req->actor.subdistrict, owner, last_id, events_wake, c, &c->sub);
    buf_release(&allowed);
    if (rc) {
        xfree(c);
        if (rc == ERR_RATE)
            return req_fail(req, rc, "too many open event streams for this account");
        return req_fail(req, rc, "'topics' must be a comma-separated list of topic names");
    }
    req_add_header(req, "Cache-Control", "no-store");
    req_add_header(req, "X-Accel-Buffering", "no");
    /* c->stream is set before the response is queued; the hub cannot wake it earlier
     * because hub_read has not yet been called and wake checks for NULL. */
    return req_reply_stream(req, "text/event-stream; charset=utf-8", events_fill, c, events_release, &c->stream);
}

const struct route api_events_routes[] = {
    { "GET", "/api/v1/events", events_stream, PERM_EVENTS_READ, 0, 0 },
    ROUTE_END
};
