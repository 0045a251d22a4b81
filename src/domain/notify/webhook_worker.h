/* push/webhook.h - the webhook delivery worker (architecture §5; issue 3 "Push": the GIS map
 * and other vendors' dashboards receive every change by HTTP POST).
 *
 * Subscriptions live in the webhooks table (domain/notify/webhook_sub.h manages them). One worker
 * thread delivers, for each active subscription, the outbox events after its cursor whose
 * topic matches the subscription's topics (a name or a prefix, as on the SSE stream:
 * "samples" matches "samples.counts"; "" matches every topic), oldest first, one POST per
 * event:
 *
 *     POST <url>
 *     Content-Type: application/json
 *     X-Jiayuan-Event-Id: 1234
 *     X-Jiayuan-Topic: samples.counts
 *     X-Jiayuan-Timestamp: 1767225600123                (ms since the epoch, when sent)
 *     X-Jiayuan-Signature: hmac-sm3=<64 lower-case hex digits>
 *
 *     {"id":1234,"topic":"samples.counts","subdistrict":"110102001",
 *      "created_at":1767225600000,"data":{…the event payload: counts and keys, no people…}}
 *
 * How a receiver verifies a delivery:
 *   1. take the raw request body bytes exactly as received (do not re-serialise the JSON);
 *   2. compute HMAC-SM3 (GB/T 32905 hash in RFC 2104 HMAC) keyed with the subscription
 *      secret (its bytes as shown once at creation, e.g. "jywh_…") over
 *      X-Jiayuan-Timestamp + "." + body;
 *   3. compare its lower-case hex with the part of X-Jiayuan-Signature after "hmac-sm3=",
 *      in constant time; reject on mismatch;
 *   4. reject timestamps far from its own clock (5 minutes is a good window) against
 *      replays;
 *   5. de-duplicate by X-Jiayuan-Event-Id (= "id" in the body): delivery is at least once,
 *      so the same event may arrive again after a timeout or a restart;
 *   6. answer 2xx quickly (within 5 s); anything else, a timeout or a refused connection
 *      counts as a failed attempt.
 *   With OpenSSL 3 in C: EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, secret, n, msg, m, out, 32,
 *   &len); in Python (hashlib on OpenSSL 3): hmac.new(secret, ts.encode() + b"." + body,
 *   "sm3").hexdigest(); then hmac.compare_digest with the header's hex.
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
 * push_kick after local commits and polls every poll_ms for commits of other nodes.
 * Logs name the URL's host only, never the URL, the secret or a payload.
 * NEEDSWORK: one thread delivers for every subscription, so a receiver that hangs until
 * the timeout slows the others (curl multi or a thread per subscription would not).
 * NEEDSWORK: two nodes sharing one PostgreSQL database each run a worker and may both
 * deliver an event (still at least once; receivers de-duplicate by event id). A
 * lease row or advisory lock would elect one.
 * NEEDSWORK: delivered rows of webhook_deliveries are never pruned.
 * Transport: http and https only, redirects are not followed, TLS peers are verified
 * against the system CA store. NEEDSWORK: no egress allow-list, so a sysadmin can point a
 * subscription at any address the server reaches (internal ones included); no per-
 * subscription CA or client certificate.
 */
#ifndef JY_PUSH_WEBHOOK_H
#define JY_PUSH_WEBHOOK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/platform/app.h"

#define WEBHOOK_TIMEOUT_MS 5000
#define WEBHOOK_BACKOFF_MS 1000
#define WEBHOOK_BACKOFF_MAX_MS (5 * 60 * 1000)
#define WEBHOOK_MAX_ATTEMPTS 10
#define WEBHOOK_POLL_MS 1000
#define WEBHOOK_BATCH 100   /* events delivered per subscription per pass (one transaction) */
#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_TOPICS_MAX 16 /* topics per subscription, each 1..47 bytes of [a-z0-9._] */
#define WEBHOOK_SIG_PREFIX "hmac-sm3="
#define WEBHOOK_SIG_LEN (sizeof WEBHOOK_SIG_PREFIX - 1 + 64) /* without the NUL */

struct webhook_config {
    int64_t backoff_ms; /* delay before the 2nd attempt; doubled for each further one */
    int max_attempts;   /* attempts before an event is dead (>= 1) */
    int64_t timeout_ms; /* whole request, connect included */
    int64_t poll_ms;    /* longest idle sleep (commits by other nodes are seen this late) */
};

/* webhook_config_init fills cfg with the defaults above, then applies the environment:
 * JIAYUAN_WEBHOOK_BACKOFF_MS (1..300000), JIAYUAN_WEBHOOK_MAX_ATTEMPTS (1..100),
 * JIAYUAN_WEBHOOK_TIMEOUT_MS (100..60000). Values out of range are ignored (and logged). */
void webhook_config_init(struct webhook_config *cfg);
/* webhook_backoff_ms is the wait after the attempts-th failed attempt (attempts >= 1):
 * backoff_ms * 2^(attempts-1), at most WEBHOOK_BACKOFF_MAX_MS. */
int64_t webhook_backoff_ms(const struct webhook_config *cfg, int64_t attempts);

/* webhook_start starts the worker thread for app (cfg NULL: webhook_config_init). Call
 * after hub_start and before serving; ERR_INTERNAL when the thread or libcurl cannot
 * start. */
int webhook_start(struct app *app, const struct webhook_config *cfg);
/* webhook_stop stops the worker: a request in flight is aborted (and not counted as an
 * attempt) and the thread joined. Safe when not started. */
void webhook_stop(void);

/* webhook_pass runs one pass of the worker in the calling thread (the thread runs it in a
 * loop; tests call it directly): for every active subscription, due retries and up to
 * WEBHOOK_BATCH new events. *progress (may be NULL) gets the number of events delivered,
 * declared dead or skipped as not matching; *next_due (may be NULL) the earliest time
 * (ms) a waiting retry falls due, INT64_MAX when none. Returns 0 or the ERR_* of a
 * storage failure (deliveries done before it may be sent again: at least once). */
int webhook_pass(struct app *app, const struct webhook_config *cfg, size_t *progress, int64_t *next_due);

/* webhook_url_check accepts an absolute http:// or https:// URL of at most WEBHOOK_URL_MAX
 * printable ASCII bytes with a host and without user name, password or login options.
 * host (cap bytes, may be NULL) gets the host name, for logs. ERR_INVALID otherwise, with
 * *why (may be NULL) set to a static client-facing reason. */
int webhook_url_check(const char *url, char *host, size_t cap, const char **why);
/* webhook_topics_check accepts "" (every topic) or up to WEBHOOK_TOPICS_MAX comma-separated
 * topics of 1..47 bytes of [a-z0-9._] (the SSE stream's grammar). ERR_INVALID otherwise. */
int webhook_topics_check(const char *topics);
/* webhook_topic_match: does topic match the list (a name, or a prefix followed by ".")? */
bool webhook_topic_match(const char *topics, const char *topic);
/* webhook_sign writes "hmac-sm3=<hex>" (WEBHOOK_SIG_LEN bytes and a NUL) into out: the
 * HMAC-SM3 under secret of timestamp "." body. 0 or ERR_CRYPTO. */
int webhook_sign(const char *secret, size_t secret_len, const char *timestamp, const void *body,
                 size_t body_len, char out[WEBHOOK_SIG_LEN + 1]);

#endif
