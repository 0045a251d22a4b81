/* push/webhook.h - the webhook transport: one signed HTTP POST of one outbox event
 * (architecture §5; issue 3 "Push": the GIS map and other vendors' dashboards receive every
 * change by HTTP POST). Transport only: which URLs receive which events, the cursor,
 * retries, back-off and dead letters are domain/notify/webhook_worker.h's; this file knows
 * no table but the event it is handed, and makes exactly one attempt per call.
 *
 * The request (the wire format receivers rely on):
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
 * Transport (issue 12, webhook SSRF): https only; plain http only to a loopback address and
 * only when the caller allows loopback (tests, a receiver on the same host). The name is
 * resolved by libcurl and every resolved address is checked in the socket-open callback, so
 * the checked address is the one connected to (no second resolution): loopback (unless
 * allowed), private (RFC 1918, CGNAT, IPv6 ULA), link-local, multicast, unspecified and
 * reserved addresses are refused, also inside IPv4-mapped IPv6. Proxies from the
 * environment are ignored, redirects are not followed, TLS peers are verified against the
 * system CA store; the answer's body is read and dropped. Which hosts a subscription may
 * name at all is the allow-list of domain/notify/webhook_allow.h, checked by the caller.
 * NEEDSWORK: no per-subscription CA or client certificate.
 * libcurl is included by this folder only (push/webhook.c).
 */
#ifndef JY_PUSH_WEBHOOK_H
#define JY_PUSH_WEBHOOK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "push/outbox.h"

#define WEBHOOK_TIMEOUT_MS 5000 /* default whole-request timeout, connect included */
#define WEBHOOK_URL_MAX 2048
#define WEBHOOK_TOPICS_MAX 16 /* topics per subscription, each 1..47 bytes of [a-z0-9._] */
#define WEBHOOK_SIG_PREFIX "hmac-sm3="
#define WEBHOOK_SIG_LEN (sizeof WEBHOOK_SIG_PREFIX - 1 + 64) /* without the NUL */

/* webhook_addr_check: may a webhook connect to address sa (AF_INET or AF_INET6)? 0, or
 * ERR_FORBIDDEN for loopback (unless allow_loopback), private, link-local, multicast,
 * unspecified, broadcast and reserved addresses (IPv4-mapped IPv6 is judged as IPv4). */
struct sockaddr;
int webhook_addr_check(const struct sockaddr *sa, bool allow_loopback);
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

/* A sender: one libcurl handle, reused from request to request (connections are kept
 * alive). One thread at a time. */
struct webhook_client;

/* webhook_client_new makes a sender. cancelled (may be NULL) is polled, with arg, while a
 * request is in flight: when it returns true the request is aborted (webhook_post then
 * answers ERR_INTERNAL). ERR_INTERNAL when libcurl cannot start. */
int webhook_client_new(bool (*cancelled)(void *arg), void *arg, struct webhook_client **out);
/* webhook_client_free frees c (NULL is fine). */
void webhook_client_free(struct webhook_client *c);

/* One POST to make: where, with which key, which event, how long to wait. */
struct webhook_post {
    const char *url;        /* checked with webhook_url_check beforehand */
    const char *secret;     /* the subscription secret, secret_len bytes */
    size_t secret_len;
    const struct outbox_event *event;
    int64_t timeout_ms;     /* whole request, connect included (> 0) */
    bool allow_loopback;    /* loopback addresses (and plain http to them) allowed */
};

/* webhook_post makes one attempt: builds the body of p->event, signs it with the current
 * time and sends it. 0 when the receiver answered 2xx; ERR_UNAVAILABLE when it did not
 * (refused, timeout, TLS failure, another status, a body or header that cannot be built),
 * with *error set to a static reason for logs (never the URL, the secret or the payload);
 * ERR_FORBIDDEN when the destination is refused (plain http to a non-loopback address, an
 * address webhook_addr_check refuses): no connection was made;
 * ERR_INTERNAL when the client's cancelled callback stopped it (not an attempt).
 * *status gets the HTTP status, 0 when no answer arrived. */
int webhook_post(struct webhook_client *c, const struct webhook_post *p, long *status, const char **error);

#endif
