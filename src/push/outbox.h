/* push/outbox.h - the transactional outbox (architecture §5): events are written in the
 * same transaction as the change they describe, then delivered by the hub (SSE) and the
 * webhook worker. Event ids are the outbox row ids: increasing in commit order.
 */
#ifndef JY_PUSH_OUTBOX_H
#define JY_PUSH_OUTBOX_H
#include <stdint.h>

#include "db/db.h"

/* outbox_lock takes the outbox head lock inside the caller's open transaction (once per
 * transaction, before any outbox_append; see the lock order in domain/ingest/ingest.h). */
int outbox_lock(struct db *db);
/* outbox_append adds one event inside the caller's transaction. payload is JSON text
 * without personal data; subdistrict "" means district-wide. *id (may be NULL) gets the
 * event id. */
int outbox_append(struct db *db, const char *topic, const char *subdistrict, const char *payload,
                  int64_t *id);
/* push_kick wakes the deliverers after a commit that appended events (cheap, any thread). */
void push_kick(void);
/* push_wait blocks until the next push_kick or timeout_ms passes (for deliverers). */
void push_wait(int timeout_ms);

#endif
