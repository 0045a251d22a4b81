/* domain/cameras/camera.h - the camera ledger and nearby search (R3.1-R3.6, issue 8).
 *
 * A camera has its 20-digit GB/T 28181 device ID (gb_id, unique; camera_id.h), a name, a
 * WGS-84 position when known (micro-degrees plus the grid cell of geo/geo.h), a direction
 * (degrees clockwise from north, -1 unknown), an owner, a network status (online | offline |
 * unknown) and last-seen time, a subdistrict (NULL: a district-level camera), its upstream key
 * (source, external_id) and the places it watches (domain/cameras/binding.h).
 *
 * The stream address (RTSP URL, with credentials) is sealed at rest (ad "cameras.stream").
 * Nothing in this header returns it except camera_stream, which audits every call; it is
 * never in an event, a log line, a list or struct camera.
 *
 * Every change writes the row, a "cameras" outbox event (id, gb_id, name, lon, lat, status,
 * subdistrict, action) and an audit entry in one transaction.
 *
 * Scope as places: a subdistrict actor sees and changes its subdistrict's cameras only; others
 * read as ERR_NOT_FOUND.
 *
 * Nearby search (camera_near.c) reads the grid index: for each column of cells covering the
 * circle's bounding box one key range of the (cell, lon_e6, lat_e6) index, then the exact
 * haversine distance; never a scan of the table.
 */
#ifndef JY_DOMAIN_CAMERAS_CAMERA_H
#define JY_DOMAIN_CAMERAS_CAMERA_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/cameras/camera_id.h"
#include "domain/ingest/ingest.h"
#include "geo/geo.h"

#define CAMERA_LIST_MAX 1000     /* items per page */
#define CAMERA_NEAR_MAX_M 5000.0 /* largest radius of a nearby search */
#define CAMERA_STREAM_MAX 1024   /* bytes of a stream URL */

/* The ingest kind for POST /api/v1/cameras[/batch]:
 * {"source","external_id","gb_id","name","lon"?,"lat"?,"direction"?,"owner"?,
 *  "status"?:"online|offline|unknown","last_seen_at"?,"stream_url"?,"subdistrict"?}
 * gb_id is cleaned (camera_id_clean) and must be a camera; a gb_id already in the ledger
 * under another upstream key is rejected. stream_url must be rtsp://, rtsps://, http(s)://
 * or rtmp://; it is sealed. */
extern const struct ingest_kind camera_kind;

struct camera {
    int64_t id;
    char gb_id[CAMERA_ID_LEN + 1];
    const char *name, *owner, *status;
    bool has_pos;
    int64_t lon_e6, lat_e6;
    int64_t direction;         /* -1 unknown */
    int64_t last_seen_at;      /* ms; 0 never */
    const char *subdistrict;   /* "" district-level */
    const char *source, *external_id;
    bool has_stream;           /* a stream URL is on file (never the URL itself) */
    int64_t version, created_at, updated_at, deleted_at;
    int64_t *place_ids;        /* bound places, by id */
    size_t n_places;
    double distance_m;         /* nearby searches only; else -1 */
};

struct camera_query {
    const char *q;           /* substring of name or gb_id, NULL = any */
    const char *status;      /* exact, NULL = any */
    const char *subdistrict; /* exact, NULL = any */
    int64_t after;           /* paging: ids greater than this */
    size_t limit;            /* 1..CAMERA_LIST_MAX */
};

/* camera_list returns live cameras in scope matching q, by id, with their bound place ids;
 * strings in arena; *total counts all matches. */
int camera_list(struct db *db, const struct actor *a, const struct camera_query *q, struct arena *arena,
                struct camera **items, size_t *n, int64_t *total);
/* camera_get reads one camera by id (deleted ones too); camera_get_gb by its GB/T 28181 ID
 * (live ones only). ERR_NOT_FOUND when absent or out of scope. */
int camera_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct camera *out);
int camera_get_gb(struct db *db, const struct actor *a, const char *gb_id, struct arena *arena,
                  struct camera *out);
/* camera_update applies patch: any of "name","lon"+"lat" (null+null clears),"direction",
 * "owner","status","last_seen_at","stream_url" (null clears),"subdistrict" (null clears),
 * "version". gb_id, source and external_id cannot change. Errors as place_update. */
int camera_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
                  struct ingest_outcome *why, int64_t *version);
/* camera_set_status records a network status seen at `at` (the video network's export, a
 * health probe) without a history row; audited as "cameras.status". */
int camera_set_status(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *status,
                      int64_t at);
/* camera_stream opens the sealed stream URL into *url (wiped by the caller with
 * buf_release_secret) for the live-video gateway. Audited ("cameras.stream", the camera id,
 * never the URL). ERR_NOT_FOUND when the camera is absent, out of scope or has no URL. */
int camera_stream(struct app *app, struct db *db, const struct actor *a, int64_t id, struct buf *url);

/* camera_near lists live cameras in scope within within_m (0 < within_m <= CAMERA_NEAR_MAX_M,
 * else ERR_INVALID) of p, nearest first (ties by id), at most cap (*more tells whether there
 * were more), distance_m set, status filter optional (NULL = any). No place ids (the caller
 * may ask binding.h). */
int camera_near(struct db *db, const struct actor *a, struct geo_point p, double within_m, const char *status,
                size_t cap, struct arena *arena, struct camera **items, size_t *n, bool *more);
/* camera_in_ring lists live cameras in scope inside a polygon ring (zones), by id, at most
 * cap: the bounding box from the index, then the even-odd test. */
int camera_in_ring(struct db *db, const struct actor *a, const struct geo_point *ring, size_t n_ring,
                   size_t cap, struct arena *arena, struct camera **items, size_t *n, bool *more);

/* camera__json builds the API object of a camera (docs/api/openapi.yaml Camera): never the
 * stream URL; distance_m only when >= 0. */
json_t *camera__json(const struct camera *c);
/* Internals shared by camera.c and camera_near.c. */
#define CAMERA__COLS                                                                             \
    "c.id, c.gb_id, c.name, c.owner, c.status, c.lon_e6, c.lat_e6, c.direction, c.last_seen_at,"  \
    " c.subdistrict, c.source, c.external_id, c.stream IS NOT NULL, c.version, c.created_at,"     \
    " c.updated_at, c.deleted_at"
void camera__read_row(struct db_stmt *st, struct arena *arena, struct camera *c);
/* camera__load_places fills place_ids of items[0..n) (one query per camera). */
int camera__load_places(struct db *db, struct arena *arena, struct camera *items, size_t n);

#endif
