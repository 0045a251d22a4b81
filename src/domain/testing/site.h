/* domain/testing/site.h - 核酸点位: testing sites (R1.1, R2.1). A site has a code, name, type,
 * subdistrict and optional community (a level-3 division under that subdistrict), a WGS-84
 * position, opening hours, status, capacity, an optional city-platform code and its
 * upstream key (source, external_id). The address is sealed (ad "sites.address") and only
 * site_get opens it.
 *
 * Every change (create through the ingest kind, site_update, site_delete, a check-in that
 * opens or closes the site) bumps the version and copies the new row into site_history in
 * the same transaction, writes a "sites" outbox event (code, name, type, status,
 * subdistrict, lon, lat: never the address), an audit entry, and keeps the gauge
 * "sites_open" per subdistrict equal to the number of live sites with status "open".
 * Deletes are soft (deleted_at); a deleted site keeps its code, is hidden from lists and
 * cannot be changed again. A site moved to another subdistrict is announced to both
 * (two "sites" events, the old subdistrict's carrying the new values).
 *
 * Lock order of a change (PostgreSQL row locks): the site row first (site_update and
 * site_delete take it with a no-op UPDATE before reading), then stat_gauges, the outbox
 * head, the audit head: the same order as a check-in batch, so the two cannot deadlock on
 * one site. NEEDSWORK: two check-in batches touching the same sites in opposite orders can
 * still deadlock; PostgreSQL aborts one (ERR_UNAVAILABLE, the client retries the batch).
 *
 * Scope: an actor bound to a subdistrict sees and changes only that subdistrict's sites;
 * another subdistrict's site reads as ERR_NOT_FOUND.
 */
#ifndef JY_DOMAIN_SITE_H
#define JY_DOMAIN_SITE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define SITE_GAUGE_OPEN "sites_open"
#define SITE_LIST_MAX 1000 /* items per page */

/* The ingest kind for POST /api/v1/sites[/batch]:
 * {"source","external_id","code","name","type":"fixed|temporary|mobile|convenience",
 *  "subdistrict","community"?,"address"?,"lon","lat","opening_hours"?,
 *  "status"?:"open|closed|paused" (default open),"capacity"?,"city_code"?}
 * A code already used by another upstream record (even a deleted site) is rejected. */
extern const struct ingest_kind site_kind;

struct site {
    int64_t id;
    const char *code, *name, *type, *subdistrict;
    const char *community;     /* "" when none */
    const char *address;       /* opened plaintext: site_get with_address only, else NULL */
    const char *opening_hours; /* "" when none */
    const char *status;
    const char *city_code;     /* NULL when none */
    const char *source, *external_id;
    int64_t lon_e6, lat_e6, capacity, version, created_at, updated_at, deleted_at;
};

/* A site with its live figures (detail page and map). */
struct site_live {
    struct site s;
    int64_t scans_today;       /* stat_scans since 00:00 Asia/Shanghai today */
    bool has_checkin;          /* the fields below are valid */
    const char *checkin_kind;  /* the latest check-in by time */
    int64_t checkin_at, queue_len;
};

struct site_query {
    const char *q;           /* substring of name or code, NULL = any */
    const char *subdistrict, *community, *status, *type; /* exact, NULL = any */
    int64_t after;           /* paging: ids greater than this */
    size_t limit;            /* 1..SITE_LIST_MAX */
};

/* site_list returns live sites matching q in the actor's scope, by id, strings in arena;
 * *total counts all matches (ignoring paging). No addresses. */
int site_list(struct db *db, const struct actor *a, const struct site_query *q, struct arena *arena,
              struct site **items, size_t *n, int64_t *total);
/* site_get reads one site (deleted ones too: deleted_at > 0) with its live figures. With
 * with_address the address is opened (ERR_CRYPTO when the envelope does not open).
 * ERR_NOT_FOUND when absent or outside the actor's scope. */
int site_get(struct app *app, struct db *db, const struct actor *a, int64_t id, bool with_address,
             struct arena *arena, struct site_live *out);
/* site_map returns every live site in scope with its live figures, by id (the map feed).
 * Capped at cap items; *more tells whether there were more. */
int site_map(struct db *db, const struct actor *a, size_t cap, struct arena *arena, struct site_live **items,
             size_t *n, bool *more);

/* site_update applies patch, a JSON object with any of "name","type","subdistrict",
 * "community" (null clears),"address" (null clears),"lon"+"lat","opening_hours" (null
 * clears),"status","capacity","city_code" (null clears), and optionally "version" (the
 * version the caller read: a different current version is ERR_CONFLICT). "code",
 * "source" and "external_id" cannot change. Bad input is ERR_INVALID with why filled
 * (field and reason); moving a site into a subdistrict outside the actor's scope is
 * ERR_FORBIDDEN (why filled). ERR_NOT_FOUND when absent, deleted or out of scope. On
 * success *version (may be NULL) gets the new version. */
int site_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
                struct ingest_outcome *why, int64_t *version);
/* site_delete soft-deletes a site. ERR_NOT_FOUND when absent, deleted or out of scope. */
int site_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);

/* One row of a site's history: the site as it was after a change. address is never set. */
struct site_version {
    struct site s;
    const char *action, *actor; /* create | update | delete; who */
    int64_t changed_at;
    bool address_set;           /* the version had an address */
};
/* site_history lists every version of a site, oldest first (also for deleted sites).
 * ERR_NOT_FOUND when absent or out of scope. */
int site_history(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                 struct site_version **items, size_t *n);

/* Internals shared with domain/testing/checkin.c and domain/testing/plan.c. */
/* site__history_append copies site id's current row into site_history (in the caller's
 * transaction) with action and the actor's name. */
int site__history_append(struct db *db, int64_t site_id, const char *action, const struct actor *a,
                         int64_t at);
/* site__check_community: 0 when community is a level-3 division whose parent is
 * subdistrict, else ERR_INVALID. */
int site__check_community(struct db *db, const char *subdistrict, const char *community);
/* site__day_start returns the ms of 00:00 Asia/Shanghai (UTC+8) of the day holding ms. */
int64_t site__day_start(int64_t ms);
/* site__event builds the "sites" outbox payload (no address). */
json_t *site__event(const char *action, int64_t id, int64_t version, const char *code, const char *name,
                    const char *type, const char *status, const char *subdistrict, int64_t lon_e6,
                    int64_t lat_e6);

#endif
