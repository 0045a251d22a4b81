/* http/metrics.h - request counters for /metrics (Prometheus text format, O3). */
#ifndef JY_HTTP_METRICS_H
#define JY_HTTP_METRICS_H
#include <stdint.h>

#include "core/buf.h"

/* metrics_observe counts one finished request (status, latency in µs). Thread-safe. */
void metrics_observe(int status, int64_t latency_us);
/* metrics_format appends the counters in Prometheus text format. */
void metrics_format(struct buf *out, int64_t started_at_ms);

#endif
