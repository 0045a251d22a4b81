/* domain/notify/webhook_worker.h - the webhook delivery worker (architecture §5; issue 3
 * "Push": the GIS map and other vendors' dashboards receive every change by HTTP POST).
 *
 * Subscriptions live in the webhooks table (webhook_sub.h manages them). One worker
 * thread delivers, for each active subscription, the outbox events after its cursor whose
 * topic matches the subscription's topics (a name or a prefix, as on the SSE stream:
 * "samples" matches "samples.counts"; "" matches every topic), oldest first, one POST per
 * event, through the transport of push/webhook.h (one signed POST per attempt; the wire
 * format and how a receiver verifies it are described there).
 *
 * Ordering and failures. Per subscription, events go out strictly in event-id order (so in
 * order per topic): the subscription's cursor only moves past an event once it was
 * delivered (a 2xx answer) or declared dead. A failed event is retried after 1 s, 2 s,
 * 4 s … (base configurable, doubled per attempt, capped at 5 min) and blocks the events
 * behind it meanwhile. After max_attempts attempts (default 10, about 8.5 minutes at the
 * default base) it becomes a dead letter and the cursor moves on: one poisoned event
 * (a receiver that always answers 400 for it) must not stop the map's feed forever, at the
 * price that it will arrive out of order if a sysadmin requeues it
 * (POST /api/v1/webhooks/{id}/deliveries/{event_id}/retry). A requeued dead letter is
 * retried on its own, beside the stream, with a fresh attempt count.
 *
 * State is persisted in webhooks.cursor and webhook_deliveries (one row per attempted event:
 * attempts, status pending|delivered|dead, last HTTP status, next attempt), so a restart
 * resumes where it stopped. Successful deliveries are recorded in batches of up to
 * WEBHOOK_BATCH per transaction: after a crash the events of the unrecorded batch are sent
 * again (at least once, never lost).
 *
 * The worker never holds a database connection during an HTTP request. It is woken by
 * push_kick after local commits and after other nodes' (push/listen.h), and polls every
 * poll_ms in case a notification was missed.
 * Logs name the URL's host only, never the URL, the secret or a payload.
 * NEEDSWORK: one thread delivers for every subscription, so a receiver that hangs until
 * the timeout slows the others (curl multi or a thread per subscription would not).
 * Several nodes on one PostgreSQL database (issue 13): each subscription is delivered by
 * one node at a time, the one holding its session-level advisory lock (see "Who delivers"
 * in webhook_worker.c and docs/modules/push.md); when that node dies its session ends, the
 * lock is free and another node continues from the saved cursor. The events of the batch
 * the dead node had sent but not yet recorded are sent again (at least once, never lost,
 * still in order; receivers de-duplicate by event id).
 * NEEDSWORK: delivered rows of webhook_deliveries are never pruned.
 */
#ifndef JY_DOMAIN_WEBHOOK_WORKER_H
#define JY_DOMAIN_WEBHOOK_WORKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/platform/app.h"
#include "push/webhook.h"

#define WEBHOOK_BACKOFF_MS 1000
#define WEBHOOK_BACKOFF_MAX_MS (5 * 60 * 1000)
#define WEBHOOK_MAX_ATTEMPTS 10
#define WEBHOOK_POLL_MS 1000
#define WEBHOOK_BATCH 100   /* events delivered per subscription per pass (one transaction) */

struct webhook_worker_config {
    int64_t backoff_ms; /* delay before the 2nd attempt; doubled for each further one */
    int max_attempts;   /* attempts before an event is dead (>= 1) */
    int64_t timeout_ms; /* whole request, connect included */
    int64_t poll_ms;    /* longest idle sleep (commits by other nodes are seen this late) */
};

/* webhook_worker_config_init fills cfg with the defaults above, then applies the
 * environment: JIAYUAN_WEBHOOK_BACKOFF_MS (1..300000), JIAYUAN_WEBHOOK_MAX_ATTEMPTS (1..100),
 * JIAYUAN_WEBHOOK_TIMEOUT_MS (100..60000). Values out of range are ignored (and logged). */
void webhook_worker_config_init(struct webhook_worker_config *cfg);
/* webhook_worker_backoff_ms is the wait after the attempts-th failed attempt (attempts
 * >= 1): backoff_ms * 2^(attempts-1), at most WEBHOOK_BACKOFF_MAX_MS. */
int64_t webhook_worker_backoff_ms(const struct webhook_worker_config *cfg, int64_t attempts);

/* webhook_worker_start starts the worker thread for app (cfg NULL:
 * webhook_worker_config_init); it takes connections from app->pool only while it reads or
 * writes and opens subscription secrets with app->keys. Call before serving (serve.c
 * starts it after hub_start); ERR_INTERNAL when the thread or libcurl cannot start,
 * ERR_INVALID for a config with max_attempts or poll_ms below 1. */
int webhook_worker_start(struct app *app, const struct webhook_worker_config *cfg);
/* webhook_worker_stop stops the worker: a request in flight is aborted (and not counted as
 * an attempt) and the thread joined. Safe when not started. */
void webhook_worker_stop(void);

/* webhook_worker_pass runs one pass of the worker in the calling thread (the thread runs it
 * in a loop; tests call it directly): for every active subscription, due retries and up to
 * WEBHOOK_BATCH new events. *progress (may be NULL) gets the number of events delivered,
 * declared dead or skipped as not matching; *next_due (may be NULL) the earliest time
 * (ms) a waiting retry falls due, INT64_MAX when none. Returns 0 or the ERR_* of a
 * storage failure (deliveries done before it may be sent again: at least once). */
int webhook_worker_pass(struct app *app, const struct webhook_worker_config *cfg, size_t *progress,
                        int64_t *next_due);

#endif
