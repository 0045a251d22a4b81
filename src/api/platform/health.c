/* api/platform/health.c - /healthz, /readyz, /metrics (O3: detect problems fast). */
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "db/db_writer.h"
#include "domain/video/video.h"
#include "http/metrics.h"
#include "push/listen.h"

/* GET /healthz -> {"status":"ok"}: the process answers. */
static int
health_live(struct req *req)
{
    return api_reply(req, 200, json_pack("{s:s}", "status", "ok"));
}

/* GET /readyz -> 200 {"status":"ready"} when the database answers and keys are loaded. */
static int
health_ready(struct req *req)
{
    bool db_ok = db_ping(req->db) == 0, keys_ok = req->app->keys.n > 0;
    return api_reply(req, db_ok && keys_ok ? 200 : 503,
                     json_pack("{s:s, s:b, s:b}", "status", db_ok && keys_ok ? "ready" : "not_ready",
                               "database", db_ok, "keys", keys_ok));
}

/* The group-commit writer's counters (issue 13): writes / groups is the mean group size. */
static void
health_writer_metrics(struct buf *b, struct db_writer *w)
{
    struct db_writer_stats s;
    if (!w)
        return;
    db_writer_stats(w, &s);
    buf_printf(b,
               "# HELP jiayuan_db_writer_groups_total Transactions the group-commit writer ran.\n"
               "# TYPE jiayuan_db_writer_groups_total counter\n"
               "jiayuan_db_writer_groups_total %llu\n"
               "# HELP jiayuan_db_writer_writes_total Writes (requests) run by the group-commit writer.\n"
               "# TYPE jiayuan_db_writer_writes_total counter\n"
               "jiayuan_db_writer_writes_total %llu\n"
               "# HELP jiayuan_db_writer_failed_groups_total Groups that did not commit.\n"
               "# TYPE jiayuan_db_writer_failed_groups_total counter\n"
               "jiayuan_db_writer_failed_groups_total %llu\n"
               "# HELP jiayuan_db_writer_largest_group Most writes committed together so far.\n"
               "# TYPE jiayuan_db_writer_largest_group gauge\n"
               "jiayuan_db_writer_largest_group %llu\n",
               (unsigned long long)s.groups, (unsigned long long)s.writes,
               (unsigned long long)s.failed_groups, (unsigned long long)s.largest_group);
}

/* Notifications the node's LISTEN connection received (issue 13: several nodes). */
static void
health_listen_metrics(struct buf *b)
{
    int64_t outbox = 0, settings = 0;
    push_listen_received(&outbox, &settings);
    buf_printf(b,
               "# HELP jiayuan_push_notifications_total PostgreSQL notifications received from any node.\n"
               "# TYPE jiayuan_push_notifications_total counter\n"
               "jiayuan_push_notifications_total{channel=\"outbox\"} %lld\n"
               "jiayuan_push_notifications_total{channel=\"settings\"} %lld\n",
               (long long)outbox, (long long)settings);
}

/* GET /metrics -> Prometheus text */
static int
health_metrics(struct req *req)
{
    struct buf b = BUF_INIT;
    size_t len = 0;
    metrics_format(&b, req->app->started_at);
    video_metrics(&b); /* live-video sessions and camera probes (issue 9) */
    health_writer_metrics(&b, req->app->writer);
    health_listen_metrics(&b);
    char *s = buf_detach(&b, &len);
    req_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", s, len);
    return 0;
}

const struct route api_health_routes[] = {
    { "GET", "/healthz", health_live, PERM_PUBLIC, 0, 0 },
    { "GET", "/readyz", health_ready, PERM_PUBLIC, 0, 0 },
    { "GET", "/metrics", health_metrics, PERM_PUBLIC, 0, 0 },
    ROUTE_END
};
