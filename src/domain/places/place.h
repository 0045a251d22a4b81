/* domain/places/place.h - the place ledger (R3.1-R3.7, R3.10, issue 8).
 *
 * One ledger of kinds: "site" (testing sites: a view over the sites table, never a copy;
 * change them through domain/testing/site.h), "fangcang" (方舱), "zone" (封控/管控/防范:
 * polygons with a level, a start and a lifting time), "toilet", "street" (街道 ledgers),
 * "vaccination", and any other kind a source brings ([a-z][a-z0-9_]{0,31}). Every place has
 * a code, name, subdistrict, community, address, a WGS-84 position (zones: the centroid of
 * their polygon), a source and external_id (the upstream key: a create with a key seen before
 * is a duplicate and changes nothing), a version and a history row per version.
 *
 * Positions are micro-degrees (lon_e6, lat_e6) and carry the spatial-index cell of
 * geo/geo.h. Zone polygons are GeoJSON Polygon geometries (outer ring only; at most
 * PLACE_RING_MAX vertices), all points in Beijing.
 *
 * Every change writes the row, a place_history snapshot, a "places" outbox event (id, kind,
 * code, name, subdistrict, lon, lat, zone_level, action: no address) and an audit entry, in
 * one transaction. Deletes are soft. A zone that is redrawn or lifted keeps every earlier
 * polygon and level in its history.
 *
 * Scope: an actor bound to a subdistrict sees and changes only that subdistrict's places;
 * another subdistrict's place reads as ERR_NOT_FOUND. Places without a subdistrict
 * (district-level) are visible to district-wide actors only.
 */
#ifndef JY_DOMAIN_PLACES_PLACE_H
#define JY_DOMAIN_PLACES_PLACE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"
#include "geo/geo.h"

#define PLACE_LIST_MAX 1000  /* items per page */
#define PLACE_RING_MAX 10000 /* vertices of a zone polygon */
#define PLACE_KIND_MAX 32

/* The ingest kind for POST /api/v1/places[/batch]:
 * {"source","external_id","kind","code","name","subdistrict"?,"community"?,"address"?,
 *  "lon","lat" (WGS-84; not for zones) | "geometry" (GeoJSON Point or Polygon),
 *  "zone_level"?: "fengkong|guankong|fangfan" (zones: required),"starts_at"?,"ends_at"?,
 *  "note"?}
 * kind "site" is refused (sites are created through /api/v1/sites); source "sites" is
 * reserved. */
extern const struct ingest_kind place_kind;

struct place {
    int64_t id;
    const char *kind, *code, *name;
    const char *subdistrict, *subdistrict_name; /* "" when none */
    const char *community, *address, *note;     /* "" when none */
    bool has_pos;
    int64_t lon_e6, lat_e6;
    const char *geometry;   /* GeoJSON geometry text of polygons; NULL for points */
    const char *zone_level; /* zones; NULL otherwise */
    int64_t starts_at, ends_at; /* ms; 0 = none */
    const char *source, *external_id;
    int64_t site_id;        /* kind "site": the sites row; else 0 */
    int64_t version, created_at, updated_at, deleted_at;
    const char **camera_ids; /* GB/T 28181 IDs of bound cameras, by camera id */
    size_t n_cameras;
};

struct place_query {
    const char *kind;         /* exact, NULL = any */
    const char *q;            /* substring of name, code or address, NULL = any */
    const char *subdistrict;  /* exact, NULL = any */
    bool active_only;         /* zones: only those not lifted (ends_at 0 or in the future) */
    int64_t after;            /* paging: ids greater than this */
    size_t limit;             /* 1..PLACE_LIST_MAX */
};

/* place_list returns live places matching q in the actor's scope, by id, with their bound
 * camera IDs; strings in arena. *total counts all matches (ignoring paging). */
int place_list(struct db *db, const struct actor *a, const struct place_query *q, struct arena *arena,
               struct place **items, size_t *n, int64_t *total);
/* place_get reads one place (deleted ones too: deleted_at > 0) with its bound cameras.
 * ERR_NOT_FOUND when absent or outside the actor's scope. */
int place_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct place *out);
/* place_update applies patch, a JSON object with any of "name","code","subdistrict"
 * (null clears),"community" (null clears),"address","lon"+"lat" | "geometry","zone_level",
 * "starts_at","ends_at" (null clears; a zone is lifted by setting it),"note", and optionally
 * "version" (ERR_CONFLICT when the place is at another version). "kind", "source" and
 * "external_id" cannot change; places of kind "site" are changed through sites
 * (ERR_INVALID). Bad input: ERR_INVALID with why filled; moving a place out of the actor's
 * scope: ERR_FORBIDDEN. ERR_NOT_FOUND when absent, deleted or out of scope. *version (may be
 * NULL) gets the new version. */
int place_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
                 struct ingest_outcome *why, int64_t *version);
/* place_delete soft-deletes a place (not a site: ERR_INVALID) and drops its camera
 * bindings. ERR_NOT_FOUND when absent, deleted or out of scope. */
int place_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);

/* One version of a place: the snapshot JSON text of the row after the change. */
struct place_version {
    int64_t version, changed_at;
    const char *action, *actor, *snapshot;
};
/* place_history lists every version, oldest first. ERR_NOT_FOUND as place_get. */
int place_history(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                  struct place_version **items, size_t *n);

/* place_near lists live places in scope (kind filter: NULL = any) within within_m metres of
 * p, nearest first, at most cap, from the grid index; dist_m[i] is each one's distance
 * (arena array). Zones count by their centroid. */
int place_near(struct db *db, const struct actor *a, struct geo_point p, double within_m, const char *kind,
               size_t cap, struct arena *arena, struct place **items, double **dist_m, size_t *n);

/* place_ring reads a place's polygon ring (zones) into an arena array; *n = 0 for points.
 * ERR_NOT_FOUND as place_get. */
int place_ring(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
               struct geo_point **ring, size_t *n, struct geo_point *min, struct geo_point *max);

/* Internals shared with the importers (domain/places/place_import.c, toilet_survey.c). */
/* place__kind_ok: does kind name a place kind ([a-z][a-z0-9_]{0,31}, not "site")? */
bool place__kind_ok(const char *kind);
/* place__geometry parses a GeoJSON Point or Polygon object (WGS-84) into a position, and for
 * polygons the ring (arena), the bbox and the canonical geometry text (arena). Reason in why. */
int place__geometry(json_t *geom, struct arena *arena, struct geo_point *pos, struct geo_point **ring,
                    size_t *n, struct geo_point *min, struct geo_point *max, const char **text,
                    struct buf *why);
/* place__json builds the API object of a place (see docs/api/openapi.yaml Place): no
 * history, never anything sealed. */
json_t *place__json(const struct place *p);

#endif
