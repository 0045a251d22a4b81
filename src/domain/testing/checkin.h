/* domain/testing/checkin.h - 打卡: site staff check-ins (R1.3, R2.6).
 *
 * A check-in reports that a site opened or closed, a status (queue length) or a staff
 * change, with the time, optionally the phone's position, the staff on duty (sealed, ad
 * "checkins.staff", never returned by any read) and the reporting operator (an account or
 * device code, not a person's name).
 *
 * An "open" or "close" check-in also sets the site's status (open / closed) in the same
 * transaction, with a new site version, a history row, the "sites_open" gauge and a
 * "sites" event, unless a later open/close check-in of that site is already stored (late
 * arrivals do not roll the status back). Every accepted check-in writes a "checkins" event
 * {"id","site_code","subdistrict","kind","queue_len","at","lon","lat"}: the check-in's
 * position, else the site's; never staff or operator.
 */
#ifndef JY_DOMAIN_CHECKIN_H
#define JY_DOMAIN_CHECKIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define CHECKIN_LIST_MAX 5000
#define CHECKIN_STAFF_MAX 50 /* names in a "staff" array */

/* The ingest kind for POST /api/v1/checkins[/batch]:
 * {"source","external_id","site_code","kind":"open|close|status|staff_change",
 *  "staff"?: "names" | ["name"…],"queue_len"?,"lon"?,"lat"?,"at","operator"?} */
extern const struct ingest_kind checkin_kind;

struct checkin {
    int64_t id, site_id;
    const char *site_code, *site_name, *subdistrict, *kind;
    const char *operator_code; /* "" when not given */
    const char *source, *external_id;
    int64_t queue_len;
    bool own_position;         /* lon/lat came with the check-in (else: the site's) */
    int64_t lon_e6, lat_e6;
    bool has_staff;            /* staff was recorded (the names are never returned) */
    int64_t at, created_at;
};

struct checkin_query {
    const char *site_code, *subdistrict; /* exact, NULL = any */
    int64_t from, to;                    /* at in [from, to), 0 = open */
    int64_t after;                       /* paging by id (oldest first) */
    size_t limit;                        /* 1..CHECKIN_LIST_MAX */
    bool newest_first;                   /* by time, newest first, live sites only, no paging */
};

/* checkin_list returns check-ins of sites in the actor's scope, strings in arena; *total
 * counts all matches. */
int checkin_list(struct db *db, const struct actor *a, const struct checkin_query *q, struct arena *arena,
                 struct checkin **items, size_t *n, int64_t *total);

#endif
