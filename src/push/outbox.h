/* push/outbox.h - the transactional outbox (architecture §5): events are written in the
 * same transaction as the change they describe, then delivered by the hub (SSE) and the
 * webhook worker (domain/notify/webhook_worker.h), which reads them with outbox_read.
 * Event ids are the outbox row ids: increasing in commit order.
 * Several nodes (issue 13): on PostgreSQL every append also NOTIFYs OUTBOX_CHANNEL with the
 * event id, delivered to every node's listener (push/listen.h) at commit; the table stays
 * the source of truth (a node that missed a notification finds the rows by polling).
 */
#ifndef JY_PUSH_OUTBOX_H
#define JY_PUSH_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

#define OUTBOX_CHANNEL "jiayuan_outbox"

/* outbox_lock takes the outbox head lock inside the caller's open transaction (once per
 * transaction, before any outbox_append; see the lock order in domain/ingest/ingest.h). */
int outbox_lock(struct db *db);
/* outbox_append adds one event inside the caller's transaction. payload is JSON text
 * without personal data; subdistrict "" means district-wide. *id (may be NULL) gets the
 * event id. */
int outbox_append(struct db *db, const char *topic, const char *subdistrict, const char *payload,
                  int64_t *id);
/* outbox_append_many adds n events in order inside the caller's transaction, with
 * multi-row INSERTs (the group-commit writer's folded events, issue 13). Same contract as
 * outbox_append for each; the caller holds the head (outbox_lock). */
struct outbox_new {
    const char *topic, *subdistrict, *payload;
};
int outbox_append_many(struct db *db, const struct outbox_new *events, size_t n);
/* One event as stored. Strings are never NULL ("" when empty); payload is JSON text. */
struct outbox_event {
    int64_t id, created_at;
    const char *topic, *subdistrict, *payload;
};

/* outbox_head sets *id to the newest event id (0 when the outbox is empty). */
int outbox_head(struct db *db, int64_t *id);
/* outbox_read reads up to limit events with id > after, oldest first, into out (room for
 * limit events; strings copied into arena). *n gets the count. 0 or the ERR_* of the
 * storage failure (*n is then the events read before it). */
int outbox_read(struct db *db, int64_t after, size_t limit, struct arena *arena, struct outbox_event *out,
                size_t *n);

/* push_kick wakes the deliverers after a commit that appended events (cheap, any thread). */
void push_kick(void);
/* push_wait blocks until the next push_kick or timeout_ms passes (for deliverers). */
void push_wait(int timeout_ms);

#endif
