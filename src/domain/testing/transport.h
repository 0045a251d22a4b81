/* domain/testing/transport.h - 转运: boxes or bags of tubes carried from a site to a laboratory
 * (R2.5). A transport has its upstream key (source, external_id), a box code, the list of
 * its tube codes (transport_tubes), the site it left, the laboratory, the hand-over and
 * arrival times, the courier's name (sealed, ad "transports.courier", never returned by
 * any read here) and a status: in_transit | received | lost.
 *
 * The gauge "transports_in_flight" (stat_gauges, per subdistrict of the from-site as it
 * was when the transport was ingested, kept in transports.subdistrict) always equals the
 * number of transports with status in_transit: +1 when one is ingested in transit, -1
 * when it arrives or is lost, in the same transaction as the change. Every change writes a
 * "transports" outbox event (ids, codes, status, times, tube count: never the courier).
 *
 * Scope: an actor bound to a subdistrict writes, sees and changes only transports that
 * left a site of that subdistrict; another subdistrict's transport reads as ERR_NOT_FOUND.
 */
#ifndef JY_DOMAIN_TRANSPORT_H
#define JY_DOMAIN_TRANSPORT_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define TRANSPORT_GAUGE "transports_in_flight"
#define TRANSPORT_TUBES_MAX 1000 /* tube codes in one transport */
#define TRANSPORT_LIST_MAX 500   /* items per page */

/* The ingest kind for POST /api/v1/transports[/batch]:
 * {"source","external_id","box_code","tube_codes":[code, …] (1..1000, no repeats),
 *  "from_site" (a site code),"to_lab","handed_at","received_at"?,"courier"?,
 *  "status"?:"in_transit|received|lost"}
 * status defaults to received when received_at is given, else in_transit. received needs
 * received_at; in_transit and lost take none; received_at is not before handed_at. */
extern const struct ingest_kind transport_kind;

struct transport {
    int64_t id;
    const char *source, *external_id, *box_code;
    const char *from_site;   /* the site's code */
    const char *subdistrict; /* of the from-site, at ingest */
    const char *to_lab, *status;
    int64_t handed_at, received_at; /* received_at 0 = not yet */
    int64_t tube_count, created_at, updated_at;
    const char **tubes;      /* transport_get only: tube codes, sorted; else NULL */
    size_t n_tubes;
};

struct transport_query {
    const char *status;      /* exact, NULL = any */
    const char *from_site;   /* site code, NULL = any */
    const char *subdistrict; /* NULL = any (within the actor's scope) */
    int64_t from, to;        /* handed_at in [from, to); 0 = open */
    int64_t before_id;       /* paging: ids smaller than this (0 = newest) */
    size_t limit;            /* 1..TRANSPORT_LIST_MAX */
};

/* transport_list returns transports matching q, newest first, strings in arena; *total
 * counts all matches (ignoring paging). A subdistrict other than the actor's own (for a
 * scoped actor) is ERR_FORBIDDEN. Never the courier. */
int transport_list(struct db *db, const struct actor *a, const struct transport_query *q, struct arena *arena,
                   struct transport **items, size_t *n, int64_t *total);
/* transport_get reads one transport with its tube codes. ERR_NOT_FOUND when absent or
 * outside the actor's scope. Never the courier. */
int transport_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct transport *out);

/* A change to a transport (PATCH): arrival at the laboratory, or loss. */
struct transport_change {
    const char *status;  /* NULL = received when received_at is set */
    int64_t received_at; /* 0 = not given (received without a time: now) */
};
/* transport_update applies c in one transaction: the row (compare-and-set on the status
 * read), the gauge, a "transports" event and an audit entry. Allowed: in_transit ->
 * received | lost, lost -> received, received -> received (a corrected arrival time);
 * nothing goes back to in_transit. ERR_INVALID (the reason appended to why, naming the
 * field) for a bad change; ERR_CONFLICT when the transport changed meanwhile or the
 * transition is not allowed (reason appended to why); ERR_NOT_FOUND when absent or out of scope. On success *out (may
 * be NULL) is the transport as it is now, without tubes, strings in arena. */
int transport_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
                     const struct transport_change *c, struct arena *arena, struct transport *out,
                     struct buf *why);

#endif
