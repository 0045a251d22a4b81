/* domain/notify/webhook_sub.h - webhook subscriptions and their delivery log (issue 3 "Push":
 * sysadmin manages the URLs the GIS map and other vendors' dashboards receive events at).
 *
 * A subscription has a URL (https, or http to a listed loopback host; its host on the
 * secadmin's allow-list, webhook_allow.h; no credentials in it), a topic list (as the SSE
 * stream: names or prefixes, "" = all), a secret (sealed with ad "webhooks.secret"; shown
 * once, when generated at creation; never listed), an active flag and a cursor: the last
 * outbox event id the worker (webhook_worker.h) has handled. A new subscription starts at the
 * current outbox head, so it receives events committed after it, not the history.
 * Deactivating pauses delivery; reactivating resumes at the cursor (nothing is skipped).
 *
 * Every change (create, update, delete, requeue of a dead letter) writes an audit entry in
 * the same transaction; audit details name the URL's host only (a URL may carry a key in
 * its query string). Subscriptions are district-wide: actors bound to a subdistrict
 * (subdistrict accounts, scoped tokens) get ERR_FORBIDDEN, for reads too, because a
 * subscription receives every subdistrict's events.
 *
 * Lock order inside a transaction: the webhooks row, then webhook_deliveries rows, then the
 * audit head (the worker takes the first two in that order as well).
 */
#ifndef JY_DOMAIN_WEBHOOK_SUB_H
#define JY_DOMAIN_WEBHOOK_SUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

#define WEBHOOK_SECRET_MIN 16  /* bytes of a caller-chosen secret (printable ASCII) */
#define WEBHOOK_SECRET_MAX 128
#define WEBHOOK_SECRET_PREFIX "jywh_" /* generated secrets: prefix + 43 URL-safe characters */
#define WEBHOOK_SUB_LIST_MAX 1000
#define WEBHOOK_DELIVERY_LIST_MAX 1000

struct webhook_sub {
    int64_t id;
    const char *url, *topics;
    bool active;
    int64_t cursor, created_at, updated_at;
    int64_t delivered, pending, dead; /* rows of the delivery log by status */
};

/* A change: fields left NULL (active: -1) stay as they are. */
struct webhook_patch {
    int active; /* -1 unchanged, 0 paused, 1 active */
    const char *url, *topics;
};
#define WEBHOOK_PATCH_INIT { -1, NULL, NULL }

/* One row of the delivery log. */
struct webhook_delivery {
    int64_t event_id;
    const char *topic;  /* the event's topic ("" when the event is gone from the outbox) */
    const char *status; /* pending | delivered | dead */
    int64_t attempts;
    const char *outcome; /* last attempt: delivered | refused (destination not allowed) | failed | "" */
    int64_t next_at;    /* pending: when the next attempt is due (0 = now); else 0 */
    int64_t updated_at;
};

/* webhook_sub_create stores a subscription at the current outbox head. secret NULL: one is
 * generated and appended to secret_out (shown once; the caller wipes it). *id gets the new
 * id. ERR_INVALID with *why (static, client-facing) for a bad url, topics or secret;
 * ERR_FORBIDDEN for a subdistrict-bound actor, or with *why set when the URL's host is not
 * on the allow-list (webhook_allow.h) or it is plain http to a host that is not loopback. */
int webhook_sub_create(struct app *app, struct db *db, const struct actor *a, const char *url,
                       const char *topics, const char *secret, struct buf *secret_out, int64_t *id,
                       const char **why);
/* webhook_sub_list returns subscriptions with id > after by id (at most limit), strings in
 * arena, with their delivery counts; *total counts all. Never secrets. */
int webhook_sub_list(struct db *db, const struct actor *a, int64_t after, size_t limit, struct arena *arena,
                     struct webhook_sub **items, size_t *n, int64_t *total);
/* webhook_sub_get reads one; ERR_NOT_FOUND when absent. */
int webhook_sub_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                    struct webhook_sub *out);
/* webhook_sub_update applies p. ERR_INVALID (*why set), ERR_NOT_FOUND, ERR_FORBIDDEN. */
int webhook_sub_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
                       const struct webhook_patch *p, const char **why);
/* webhook_sub_delete removes a subscription and its delivery log (the audit log keeps the
 * record). ERR_NOT_FOUND when absent. */
int webhook_sub_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);
/* webhook_sub_deliveries lists the delivery log of subscription id, newest event first:
 * rows with event_id < before (0 = from the newest), status NULL/"" = any, at most limit;
 * *total counts the rows matching status. ERR_NOT_FOUND when the subscription is absent. */
int webhook_sub_deliveries(struct db *db, const struct actor *a, int64_t id, const char *status,
                           int64_t before, size_t limit, struct arena *arena,
                           struct webhook_delivery **items, size_t *n, int64_t *total);
/* webhook_sub_retry requeues the dead letter event_id of subscription id (status pending,
 * attempts 0, due now) and wakes the worker after the commit. ERR_NOT_FOUND when there is
 * no such subscription or delivery; ERR_CONFLICT when the delivery is not dead. */
int webhook_sub_retry(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t event_id);

/* webhook_sub_open_secret opens a sealed secret (for the worker) and appends it to out
 * (release with buf_release_secret). ERR_CRYPTO when it does not open. */
int webhook_sub_open_secret(const struct app *app, const void *sealed, size_t n, struct buf *out);

#endif
