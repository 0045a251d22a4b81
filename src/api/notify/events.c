/* api/notify/events.c - GET /api/v1/events: Server-Sent Events for dashboards, the big screen and
 * the map (R2.1-R2.6 "pushed to the dashboards"). Topics filter with ?topics=a,b; resume
 * with the Last-Event-ID header (or ?last_event_id=); subdistrict accounts only receive
 * their subdistrict's events. Payloads carry counts and keys, never people. */
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "http/stream.h"
#include "push/hub.h"

struct events_conn {
    struct hub_sub *sub;
    struct http_stream *stream;
};

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
    int rc;

    if (!last)
        last = req_query(req, "last_event_id");
    if (last && *last && cstr_to_i64(last, &last_id, 0, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'Last-Event-ID' must be an event id");
    c = xcalloc(1, sizeof *c);
    if ((rc = hub_subscribe(topics, req->actor.subdistrict, last_id, events_wake, c, &c->sub))) {
        xfree(c);
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
