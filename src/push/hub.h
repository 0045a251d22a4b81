/* push/hub.h - the in-process event hub behind GET /api/v1/events (architecture §5).
 *
 * One thread tails the outbox table (woken by push_kick after local commits, and polling
 * every second for commits by other nodes sharing a PostgreSQL database) and keeps the
 * newest HUB_RING events in memory. Subscribers read Server-Sent-Events text: events after
 * their last id that match their topics and subdistrict scope, served from the ring or, when
 * a resuming client is further behind, from the outbox table. A heartbeat comment goes out
 * every HUB_HEARTBEAT_MS so proxies keep the stream open and dead clients are noticed;
 * the reader re-checks its credential then (api/notify/events.c).
 */
#ifndef JY_PUSH_HUB_H
#define JY_PUSH_HUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define HUB_RING 8192
#define HUB_HEARTBEAT_MS 15000
#define HUB_TOPICS_MAX 16
#define HUB_PER_ACCOUNT 4 /* default cap on one account's concurrent streams */

/* hub_configure sets the heartbeat interval (ms, >= 50; 0 = HUB_HEARTBEAT_MS) and the
 * cap on concurrent subscribers per owner (>= 1; 0 = HUB_PER_ACCOUNT). Call before
 * hub_start (serve: JIAYUAN_EVENTS_HEARTBEAT_MS, JIAYUAN_EVENTS_PER_ACCOUNT). */
void hub_configure(int64_t heartbeat_ms, int per_account);
/* hub_heartbeat_ms is the interval in use: readers re-check their credential this often. */
int64_t hub_heartbeat_ms(void);

/* hub_start starts the tailing thread; it takes connections from pool (one at a time, only
 * while it reads) until hub_stop. The pool must outlive the hub. */
int hub_start(struct db_pool *pool);
/* hub_stop stops it and wakes every subscriber one last time. */
void hub_stop(void);
/* hub_running is false once hub_stop began: streams should end. */
bool hub_running(void);
/* hub_head returns the newest event id seen. */
int64_t hub_head(void);

struct hub_sub;
/* hub_subscribe registers a reader. topics: comma-separated topic names or prefixes
 * ("samples" matches "samples.counts"); "" = all. scope: a subdistrict code ("" = all); a
 * scoped reader gets its subdistrict's events only - never another's, never a district-
 * wide one (subdistrict "": those reach district-level readers only, issue 12). owner names
 * the account ("user:7", "token:3"): ERR_RATE when it already holds the cap of streams.
 * last_id: resume after this event id; -1 = only events from now on. wake(arg) is called
 * from the hub thread, with the hub lock held (so it never runs after hub_unsubscribe
 * returned), when new events or a heartbeat are due; it must not call into the hub.
 * ERR_INVALID for a malformed topic list. */
int hub_subscribe(const char *topics, const char *scope, const char *owner, int64_t last_id,
                  void (*wake)(void *), void *arg, struct hub_sub **out);
/* hub_read writes SSE text ("id: N\nevent: T\ndata: {…}\n\n", or a ": heartbeat" comment)
 * into buf (at most max bytes, whole events only) and returns the length; 0 = nothing now. */
size_t hub_read(struct hub_sub *s, char *buf, size_t max);
/* hub_unsubscribe removes and frees s; wake is not called after it returns. */
void hub_unsubscribe(struct hub_sub *s);

#endif
