/* push/listen.h - one PostgreSQL connection per node that LISTENs for the other nodes'
 * commits (issue 13 "More than one node"; architecture §5).
 *
 * Two channels: OUTBOX_CHANNEL (push/outbox.h; payload the event id, sent by the commit
 * that appended it) wakes this node's deliverers with push_kick, so the hub (SSE) and the
 * webhook worker read the new outbox rows at once instead of at their next poll; and
 * LISTEN_SETTINGS_CHANNEL (sent by push_notify_settings in the transaction that changed
 * the settings) calls the on_settings callback, which reloads the policy.
 *
 * Notifications are hints, never the data: the outbox table stays the source of truth and
 * every deliverer still polls (hub: every second), so a notification lost while the
 * listener reconnects costs latency, not events. When the connection breaks the thread
 * opens a new one (every LISTEN_RETRY_MS until it works), listens again and then kicks
 * and calls on_settings once, for whatever it may have missed meanwhile.
 *
 * SQLite has one node only (cli/serve.c holds a lock file): there push_listen_start does
 * nothing and returns 0.
 */
#ifndef JY_PUSH_LISTEN_H
#define JY_PUSH_LISTEN_H
#include <stdint.h>

#include "db/db.h"

#define LISTEN_SETTINGS_CHANNEL "jiayuan_settings"
#define LISTEN_RETRY_MS 1000

/* push_listen_start opens the listening connection to url (db_open(url, var_dir)) and
 * starts its thread. on_settings(arg) runs on that thread after another (or this) node
 * committed a settings change. 0 (also on SQLite: nothing started); ERR_UNAVAILABLE when
 * PostgreSQL cannot be reached now; ERR_INTERNAL when the thread cannot start. */
int push_listen_start(const char *url, const char *var_dir, void (*on_settings)(void *arg), void *arg);
/* push_listen_stop stops and joins the thread; safe when not started. */
void push_listen_stop(void);
/* push_listen_received counts the notifications received since start (per channel:
 * outbox, settings) - /metrics and tests. */
void push_listen_received(int64_t *outbox, int64_t *settings);

/* push_notify_settings queues a LISTEN_SETTINGS_CHANNEL notification inside db's open
 * transaction (sent at commit, dropped with a rollback). A no-op on SQLite. */
int push_notify_settings(struct db *db);

#endif
