/* http/metrics.c - lock-free request counters (O3: detect problems fast). */
#include "http/metrics.h"

#include <stdatomic.h>

#include "core/time.h"
#include "crypto/field.h"
#include "http/static.h"
#include "domain/batch/batch_quota.h"

static const int64_t metrics_bounds_us[] = { 1000, 2000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000 };
#define METRICS_BUCKETS (sizeof metrics_bounds_us / sizeof *metrics_bounds_us)

static atomic_uint_fast64_t metrics_by_class[6]; /* 1xx..5xx, index by status/100 */
static atomic_uint_fast64_t metrics_buckets[METRICS_BUCKETS + 1];
static atomic_uint_fast64_t metrics_sum_us;

void
metrics_observe(int status, int64_t latency_us)
{
    int cls = status / 100;
    size_t b = 0;
    if (cls < 1 || cls > 5)
        cls = 5;
    atomic_fetch_add(&metrics_by_class[cls], 1);
    while (b < METRICS_BUCKETS && latency_us > metrics_bounds_us[b])
        b++;
    atomic_fetch_add(&metrics_buckets[b], 1);
    atomic_fetch_add(&metrics_sum_us, (uint_fast64_t)(latency_us > 0 ? latency_us : 0));
}

void
metrics_format(struct buf *out, int64_t started_at_ms)
{
    uint64_t cumulative = 0, total = 0;
    buf_adds(out, "# HELP jiayuan_http_requests_total HTTP requests by status class.\n"
                  "# TYPE jiayuan_http_requests_total counter\n");
    for (int c = 1; c <= 5; c++) {
        uint64_t v = atomic_load(&metrics_by_class[c]);
        total += v;
        buf_printf(out, "jiayuan_http_requests_total{code=\"%dxx\"} %llu\n", c, (unsigned long long)v);
    }
    buf_adds(out, "# HELP jiayuan_http_request_duration_seconds Request latency.\n"
                  "# TYPE jiayuan_http_request_duration_seconds histogram\n");
    for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
        cumulative += atomic_load(&metrics_buckets[b]);
        if (b < METRICS_BUCKETS)
            buf_printf(out, "jiayuan_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                       (double)metrics_bounds_us[b] / 1e6, (unsigned long long)cumulative);
        else
            buf_printf(out, "jiayuan_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                       (unsigned long long)cumulative);
    }
    buf_printf(out, "jiayuan_http_request_duration_seconds_sum %g\n",
               (double)atomic_load(&metrics_sum_us) / 1e6);
    buf_printf(out, "jiayuan_http_request_duration_seconds_count %llu\n", (unsigned long long)total);
    buf_printf(out, "# HELP jiayuan_integrity_failures_total Sealed values that failed their integrity check.\n"
                    "# TYPE jiayuan_integrity_failures_total counter\njiayuan_integrity_failures_total %llu\n",
               (unsigned long long)field_integrity_failures());
    buf_printf(out, "# HELP jiayuan_ui_integrity_failures_total UI manifest checks that failed (tampered files).\n"
                    "# TYPE jiayuan_ui_integrity_failures_total counter\njiayuan_ui_integrity_failures_total %llu\n"
                    "# HELP jiayuan_ui_withdrawn 1 while the web UI is withdrawn after a failed integrity check.\n"
                    "# TYPE jiayuan_ui_withdrawn gauge\njiayuan_ui_withdrawn %d\n",
               (unsigned long long)static_integrity_failures(), static_withdrawn_now() ? 1 : 0);
    /* issue 12 "Bulk lookups": the volume alert (docs/ops/alerts.yml) watches this */
    buf_adds(out, "# HELP jiayuan_lookup_rows_total Rows looked up by batch, by the uploader's role.\n"
                  "# TYPE jiayuan_lookup_rows_total counter\n");
    for (int r = 0; r < ROLE__COUNT; r++)
        buf_printf(out, "jiayuan_lookup_rows_total{role=\"%s\"} %llu\n", role_name((enum role)r),
                   (unsigned long long)batch_quota_rows_total(r));
    buf_printf(out, "# HELP jiayuan_uptime_seconds Seconds since start.\n"
                    "# TYPE jiayuan_uptime_seconds gauge\njiayuan_uptime_seconds %lld\n",
               (long long)((time_now_ms() - started_at_ms) / 1000));
}
