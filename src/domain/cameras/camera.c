/* domain/cameras/camera.c - the camera ledger (R3.1-R3.6, issue 8): the ingest kind that
 * registers cameras (idempotent by source + external_id, GB/T 28181 ID cleaned and unique),
 * updates, status reports, the audited opening of the sealed stream URL, list and detail
 * reads, and the API object. Not here: nearby search (camera_near.c), bindings (binding.c),
 * checks (camera_check.c). The stream URL never reaches a log, an event or a list.
 */
#include "domain/cameras/camera.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/platform/division.h"
#include "push/outbox.h"

#define CAMERA_AD "cameras.stream"

static const char *const camera_statuses[] = { "online", "offline", "unknown", NULL };

static const char sql_insert[] =
    "INSERT INTO cameras (gb_id, name, lon_e6, lat_e6, cell, direction, owner, status, last_seen_at, stream,"
    " subdistrict, source, external_id, version, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, ?14, ?14)"
    " ON CONFLICT DO NOTHING RETURNING id";
static const char sql_key_of_gb[] = "SELECT source, external_id FROM cameras WHERE gb_id = ?1";
static const char sql_lock[] = "UPDATE cameras SET version = version WHERE id = ?1 AND deleted_at = 0";
static const char sql_update[] =
    "UPDATE cameras SET name = ?2, lon_e6 = ?3, lat_e6 = ?4, cell = ?5, direction = ?6, owner = ?7, status = ?8,"
    " last_seen_at = ?9, stream = ?10, subdistrict = ?11, version = version + 1, updated_at = ?12"
    " WHERE id = ?1 AND deleted_at = 0";
static const char sql_stream[] = "SELECT stream FROM cameras WHERE id = ?1";
static const char sql_status[] =
    "UPDATE cameras SET status = ?2, last_seen_at = CASE WHEN ?2 = 'online' THEN ?3 ELSE last_seen_at END,"
    " updated_at = ?3 WHERE id = ?1 AND deleted_at = 0";
#define CAMERA_FILTER                                                                                  \
    " WHERE c.deleted_at = 0 AND (?1 = '' OR c.subdistrict = ?1) AND (?2 = '' OR c.subdistrict = ?2)"  \
    " AND (?3 = '' OR c.status = ?3) AND (?4 = '' OR c.name LIKE ?4 ESCAPE '\\' OR c.gb_id LIKE ?4 ESCAPE '\\')"
static const char sql_list[] =
    "SELECT " CAMERA__COLS " FROM cameras c" CAMERA_FILTER " AND c.id > ?5 ORDER BY c.id LIMIT ?6";
static const char sql_count[] = "SELECT count(*) FROM cameras c" CAMERA_FILTER;
static const char sql_get[] =
    "SELECT " CAMERA__COLS " FROM cameras c WHERE c.id = ?1 AND (?2 = '' OR c.subdistrict = ?2)";
static const char sql_get_gb[] =
    "SELECT " CAMERA__COLS " FROM cameras c WHERE c.gb_id = ?1 AND c.deleted_at = 0"
    " AND (?2 = '' OR c.subdistrict = ?2)";
static const char sql_places_of[] =
    "SELECT pc.place_id FROM place_cameras pc JOIN places p ON p.id = pc.place_id"
    " WHERE pc.camera_id = ?1 AND p.deleted_at = 0 ORDER BY pc.place_id";

struct camera_rec {
    const char *source, *external_id, *name, *owner, *status, *subdistrict, *stream;
    char gb_id[CAMERA_ID_LEN + 1];
    bool has_pos, clear_stream;
    int64_t lon_e6, lat_e6, direction, last_seen_at;
};

void
camera__read_row(struct db_stmt *st, struct arena *arena, struct camera *c)
{
    size_t n = 0;
    const char *g;
    memset(c, 0, sizeof *c);
    c->id = db_col_i64(st, 0);
    g = db_col_text(st, 1, &n);
    if (g && n == CAMERA_ID_LEN)
        memcpy(c->gb_id, g, n);
    c->name = db_col_arena(st, 2, arena);
    c->owner = db_col_arena(st, 3, arena);
    c->status = db_col_arena(st, 4, arena);
    c->has_pos = !db_col_is_null(st, 5);
    c->lon_e6 = db_col_i64(st, 5);
    c->lat_e6 = db_col_i64(st, 6);
    c->direction = db_col_i64(st, 7);
    c->last_seen_at = db_col_i64(st, 8);
    c->subdistrict = db_col_arena(st, 9, arena);
    c->source = db_col_arena(st, 10, arena);
    c->external_id = db_col_arena(st, 11, arena);
    c->has_stream = db_col_i64(st, 12) != 0;
    c->version = db_col_i64(st, 13);
    c->created_at = db_col_i64(st, 14);
    c->updated_at = db_col_i64(st, 15);
    c->deleted_at = db_col_i64(st, 16);
    c->distance_m = -1;
}

int
camera__load_places(struct db *db, struct arena *arena, struct camera *items, size_t n)
{
    struct db_stmt *st = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t cap = 0, k = 0;
        int64_t *ids = NULL;
        bool row = false;
        if ((rc = db_prepare(db, sql_places_of, &st)) || (rc = db_bind_i64(st, 1, items[i].id)))
            break;
        while (!(rc = db_step(st, &row)) && row) {
            VEC_ARENA_ROOM(arena, ids, k, cap);
            ids[k++] = db_col_i64(st, 0);
        }
        db_done(st);
        st = NULL;
        items[i].place_ids = ids;
        items[i].n_places = k;
    }
    db_done(st);
    return rc;
}

json_t *
camera__json(const struct camera *c)
{
    json_t *o = json_object(), *places = json_array();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "gb_id", json_string(c->gb_id));
    json_object_set_new(o, "name", json_string(c->name ? c->name : ""));
    json_object_set_new(o, "lon", c->has_pos ? json_real((double)c->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", c->has_pos ? json_real((double)c->lat_e6 / 1e6) : json_null());
    json_object_set_new(o, "direction", c->direction >= 0 ? json_integer(c->direction) : json_null());
    json_object_set_new(o, "owner", json_string(c->owner ? c->owner : ""));
    json_object_set_new(o, "status", json_string(c->status ? c->status : "unknown"));
    json_object_set_new(o, "last_seen_at", c->last_seen_at ? json_integer(c->last_seen_at) : json_null());
    json_object_set_new(o, "subdistrict", c->subdistrict && c->subdistrict[0] ? json_string(c->subdistrict)
                                                                              : json_null());
    json_object_set_new(o, "has_stream", json_boolean(c->has_stream));
    for (size_t i = 0; i < c->n_places; i++)
        json_array_append_new(places, json_integer(c->place_ids[i]));
    json_object_set_new(o, "place_ids", places);
    json_object_set_new(o, "version", json_integer(c->version));
    json_object_set_new(o, "updated_at", json_integer(c->updated_at));
    if (c->distance_m >= 0)
        json_object_set_new(o, "distance_m", json_real((double)(int64_t)(c->distance_m * 10 + 0.5) / 10));
    return o;
}

/* camera_event is the "cameras" outbox payload: never the stream. */
static json_t *
camera_event(const char *action, int64_t id, int64_t version, const struct camera_rec *r)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "action", action, "id", (json_int_t)id, "version",
                          (json_int_t)version, "gb_id", r->gb_id, "name", r->name, "status", r->status);
    json_object_set_new(o, "lon", r->has_pos ? json_real((double)r->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", r->has_pos ? json_real((double)r->lat_e6 / 1e6) : json_null());
    json_object_set_new(o, "subdistrict", r->subdistrict[0] ? json_string(r->subdistrict) : json_null());
    return o;
}

/* camera_stream_ok: a stream URL of a known scheme, no blanks or control characters. */
static bool
camera_stream_ok(const char *s)
{
    static const char *const schemes[] = { "rtsp://", "rtsps://", "http://", "https://", "rtmp://", NULL };
    bool ok = false;
    for (size_t i = 0; schemes[i]; i++)
        ok = ok || !strncmp(s, schemes[i], strlen(schemes[i]));
    for (const char *p = s; ok && *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            ok = false;
    return ok;
}

/* camera_fields reads the changeable fields (create and update). */
static int
camera_fields(struct db *db, const struct actor *a, json_t *obj, struct camera_rec *r, struct ingest_outcome *out)
{
    const char *sub = NULL;
    json_t *lon = json_object_get(obj, "lon"), *lat = json_object_get(obj, "lat");
    json_t *ls = json_object_get(obj, "last_seen_at");
    int rc;
    if ((rc = ingest_text(obj, "name", false, 128, &r->name, out)) ||
        (rc = ingest_text(obj, "owner", false, 128, &r->owner, out)) ||
        (rc = ingest_enum(obj, "status", false, camera_statuses, &r->status, out)) ||
        (rc = ingest_int(obj, "direction", false, -1, 359, &r->direction, out)) ||
        (rc = ingest_code(obj, "subdistrict", false, 12, &sub, out)) ||
        (rc = ingest_text(obj, "stream_url", false, CAMERA_STREAM_MAX, &r->stream, out)))
        return rc;
    if (lon && lat && json_is_null(lon) && json_is_null(lat)) {
        r->has_pos = false;
    } else if (lon || lat) {
        if ((rc = ingest_coord(obj, "lon", "lat", true, &r->lon_e6, &r->lat_e6, out)))
            return rc;
        r->has_pos = true;
    }
    if (ls && !json_is_null(ls) && (rc = ingest_time(obj, "last_seen_at", true, time_now_ms(), &r->last_seen_at, out)))
        return rc;
    if (r->stream && !camera_stream_ok(r->stream))
        return ingest_reject(out, "stream_url", "'stream_url' must be an rtsp, rtsps, http(s) or rtmp URL");
    r->clear_stream = json_is_null(json_object_get(obj, "stream_url"));
    if (sub) {
        if (division_check_subdistrict(db, sub))
            return ingest_reject(out, "subdistrict", "'subdistrict' is not a known subdistrict code");
        r->subdistrict = sub;
    } else if (json_is_null(json_object_get(obj, "subdistrict"))) {
        r->subdistrict = "";
    }
    if (!actor_in_scope(a, r->subdistrict[0] ? r->subdistrict : NULL))
        return ingest_reject(out, "subdistrict", "'subdistrict' is outside your subdistrict");
    return 0;
}

static int
camera_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    static const char *const known[] = { "source", "external_id", "gb_id", "name", "lon", "lat", "direction",
                                         "owner", "status", "last_seen_at", "stream_url", "subdistrict", NULL };
    struct camera_rec *r = rec;
    const char *gb = NULL;
    struct buf why = BUF_INIT;
    int rc;
    r->owner = r->subdistrict = "";
    r->status = "unknown";
    r->direction = -1;
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_text(obj, "gb_id", true, CAMERA_ID_MAX_INPUT, &gb, out)) ||
        (rc = ingest_text(obj, "name", true, 128, &r->name, out)))
        return rc;
    if (camera_id_clean(gb, strlen(gb), r->gb_id, NULL, &why)) {
        rc = ingest_reject(out, "gb_id", "'gb_id': %s", why.data);
        buf_release(&why);
        return rc;
    }
    buf_release(&why);
    return camera_fields(ingest_db(ing), ingest_actor(ing), obj, r, out);
}

/* camera_seal seals the stream URL into arena. */
static int
camera_seal(struct app *app, struct arena *arena, const char *url, const uint8_t **blob, size_t *len)
{
    size_t n = strlen(url), cap = FIELD_SEALED_LEN(n);
    uint8_t *b = arena_alloc(arena, cap);
    int rc = field_seal(&app->keys, CAMERA_AD, url, n, b, cap, len);
    *blob = rc ? NULL : b;
    return rc;
}

static int
camera_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct camera_rec *r = rec;
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool row = false;
    int rc;
    if (r->stream && (rc = ingest_seal(ing, CAMERA_AD, r->stream, &blob, &blob_len)))
        return rc;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_str(st, 1, r->gb_id)) ||
        (rc = db_bind_str(st, 2, r->name)))
        goto out;
    if (r->has_pos && ((rc = db_bind_i64(st, 3, r->lon_e6)) || (rc = db_bind_i64(st, 4, r->lat_e6)) ||
                       (rc = db_bind_i64(st, 5, geo_cell_key_e6(r->lon_e6, r->lat_e6)))))
        goto out;
    if ((rc = db_bind_i64(st, 6, r->direction)) || (rc = db_bind_str(st, 7, r->owner)) ||
        (rc = db_bind_str(st, 8, r->status)) || (rc = db_bind_i64(st, 9, r->last_seen_at)) ||
        (rc = blob ? db_bind_blob(st, 10, blob, blob_len) : db_bind_null(st, 10)) ||
        (rc = db_bind_nonempty(st, 11, r->subdistrict)) || (rc = db_bind_str(st, 12, r->source)) ||
        (rc = db_bind_str(st, 13, r->external_id)) || (rc = db_bind_i64(st, 14, ingest_now(ing))) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) { /* the key was seen before (a duplicate) or the gb_id belongs to another key */
        size_t n1 = 0, n2 = 0;
        db_done(st);
        st = NULL;
        if ((rc = db_prepare(db, sql_key_of_gb, &st)) || (rc = db_bind_str(st, 1, r->gb_id)) ||
            (rc = db_step(st, &row)))
            goto out;
        if (row) {
            const char *s = db_col_text(st, 0, &n1), *e = db_col_text(st, 1, &n2);
            bool same = n1 == strlen(r->source) && n2 == strlen(r->external_id) && !memcmp(s, r->source, n1) &&
                        !memcmp(e, r->external_id, n2);
            rc = same ? ERR_CONFLICT : ingest_reject(out, "gb_id", "'gb_id' is already in the ledger");
        } else {
            rc = ERR_CONFLICT; /* same (source, external_id), another gb_id: the first one stands */
        }
        goto out;
    }
    out->id = db_col_i64(st, 0);
    db_done(st);
    st = NULL;
    rc = ingest_event(ing, "cameras", r->subdistrict, camera_event("created", out->id, 1, r));
out:
    db_done(st);
    return rc;
}

const struct ingest_kind camera_kind = {
    .name = "cameras",
    .record_size = sizeof(struct camera_rec),
    .parse = camera_parse,
    .store = camera_store,
};

int
camera_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
              struct ingest_outcome *why, int64_t *version)
{
    static const char *const known[] = { "name", "lon", "lat", "direction", "owner", "status", "last_seen_at",
                                         "stream_url", "subdistrict", "version", NULL };
    struct arena arena = ARENA_INIT;
    struct camera cur;
    struct camera_rec r;
    struct db_stmt *st = NULL;
    const uint8_t *blob = NULL;
    const void *old = NULL;
    size_t blob_len = 0;
    bool in_tx = false, row = false;
    int64_t now = time_now_ms(), want = 0;
    char target[40];
    int rc;

    memset(why, 0, sizeof *why);
    if (!json_is_object(patch)) {
        rc = ingest_reject(why, "", "the body must be an object");
        goto out;
    }
    if ((rc = ingest_known_keys(patch, known, why)) ||
        (rc = ingest_int(patch, "version", false, 1, INT64_MAX, &want, why)) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = ingest_lock_row(db, sql_lock, id)) || (rc = camera_get(db, a, id, &arena, &cur)))
        goto out;
    if (want && want != cur.version) {
        ingest_reject(why, "version", "the camera is at version %lld", (long long)cur.version);
        rc = ERR_CONFLICT;
        goto out;
    }
    memset(&r, 0, sizeof r);
    memcpy(r.gb_id, cur.gb_id, sizeof r.gb_id);
    r.name = cur.name, r.owner = cur.owner, r.status = cur.status, r.subdistrict = cur.subdistrict;
    r.has_pos = cur.has_pos, r.lon_e6 = cur.lon_e6, r.lat_e6 = cur.lat_e6;
    r.direction = cur.direction, r.last_seen_at = cur.last_seen_at;
    if ((rc = camera_fields(db, a, patch, &r, why))) {
        if (why->field && !strcmp(why->field, "subdistrict") && strstr(why->reason, "outside"))
            rc = ERR_FORBIDDEN;
        goto out;
    }
    if (r.stream) {
        if ((rc = camera_seal(app, &arena, r.stream, &blob, &blob_len)))
            goto out;
    } else if (!r.clear_stream) { /* keep the sealed value as it is */
        if ((rc = db_prepare(db, sql_stream, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
            goto out;
        if (row && !db_col_is_null(st, 0)) {
            old = db_col_blob(st, 0, &blob_len);
            uint8_t *copy = arena_alloc(&arena, blob_len ? blob_len : 1);
            memcpy(copy, old, blob_len);
            blob = copy;
        }
        db_done(st);
        st = NULL;
    }
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_bind_str(st, 2, r.name)))
        goto out;
    if (r.has_pos && ((rc = db_bind_i64(st, 3, r.lon_e6)) || (rc = db_bind_i64(st, 4, r.lat_e6)) ||
                      (rc = db_bind_i64(st, 5, geo_cell_key_e6(r.lon_e6, r.lat_e6)))))
        goto out;
    if ((rc = db_bind_i64(st, 6, r.direction)) || (rc = db_bind_str(st, 7, r.owner)) ||
        (rc = db_bind_str(st, 8, r.status)) || (rc = db_bind_i64(st, 9, r.last_seen_at)) ||
        (rc = blob ? db_bind_blob(st, 10, blob, blob_len) : db_bind_null(st, 10)) ||
        (rc = db_bind_nonempty(st, 11, r.subdistrict)) || (rc = db_bind_i64(st, 12, now)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) != 1) {
        rc = ERR_DB;
        goto out;
    }
    db_done(st);
    st = NULL;
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit_moved(db, "cameras", cur.subdistrict, r.subdistrict,
                                camera_event("updated", id, cur.version + 1, &r))))
        goto out;
    snprintf(target, sizeof target, "camera:%lld", (long long)id);
    if ((rc = ingest_audit_commit(app, db, a, "cameras.update", target, r.stream || r.clear_stream ? "stream" : NULL)))
        goto out;
    in_tx = false;
    if (version)
        *version = cur.version + 1;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    arena_release(&arena);
    return rc;
}

int
camera_set_status(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *status, int64_t at)
{
    struct arena arena = ARENA_INIT;
    struct camera cur;
    struct db_stmt *st = NULL;
    bool in_tx = false, row = false, known = false;
    char target[40];
    int rc;
    for (size_t i = 0; camera_statuses[i]; i++)
        known = known || (status && !strcmp(status, camera_statuses[i]));
    if (!known)
        return ERR_INVALID;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = camera_get(db, a, id, &arena, &cur)))
        goto out;
    if (cur.deleted_at) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = db_prepare(db, sql_status, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_str(st, 2, status)) || (rc = db_bind_i64(st, 3, at)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    /* the map and the camera wall follow status changes on the SSE stream (issue 9) */
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "cameras", cur.subdistrict,
                          json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:o}", "action", "status", "id", (json_int_t)id,
                                    "gb_id", cur.gb_id, "name", cur.name ? cur.name : "", "status", status,
                                    "last_seen_at", (json_int_t)(strcmp(status, "online") ? cur.last_seen_at : at),
                                    "subdistrict", cur.subdistrict && cur.subdistrict[0]
                                                       ? json_string(cur.subdistrict) : json_null()))))
        goto out;
    snprintf(target, sizeof target, "camera:%lld", (long long)id);
    if ((rc = ingest_audit_commit(app, db, a, "cameras.status", target, status)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    arena_release(&arena);
    return rc;
}

int
camera_stream(struct app *app, struct db *db, const struct actor *a, int64_t id, struct buf *url)
{
    struct arena arena = ARENA_INIT;
    struct camera cur;
    struct db_stmt *st = NULL;
    uint8_t *plain = NULL;
    size_t n = 0, len = 0;
    bool row = false;
    char target[40];
    int rc;
    if ((rc = camera_get(db, a, id, &arena, &cur)))
        goto out;
    if (cur.deleted_at || !cur.has_stream) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = db_prepare(db, sql_stream, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    const uint8_t *c = row ? db_col_blob(st, 0, &n) : NULL;
    if (!c || n <= FIELD_OVERHEAD) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    plain = arena_alloc(&arena, n - FIELD_OVERHEAD + 1);
    if ((rc = field_open(&app->keys, CAMERA_AD, c, n, plain, n - FIELD_OVERHEAD + 1, &len)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "camera:%lld", (long long)id);
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = ingest_audit_commit(app, db, a, "cameras.stream", target, NULL))) {
        db_rollback(db);
        goto out;
    }
    buf_add(url, plain, len);
out:
    if (plain)
        memset(plain, 0, n - FIELD_OVERHEAD + 1);
    db_done(st);
    arena_release(&arena);
    return rc;
}

/* Reads ------------------------------------------------------------------------------------ */

static int
camera_bind_filter(struct db_stmt *st, const struct actor *a, const struct camera_query *q, const char *like)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->subdistrict)) ||
        (rc = db_bind_str(st, 3, q->status)))
        return rc;
    return db_bind_str(st, 4, like);
}

int
camera_list(struct db *db, const struct actor *a, const struct camera_query *q, struct arena *arena,
            struct camera **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *like = db_like_contains(arena, q->q);
    size_t limit = q->limit && q->limit <= CAMERA_LIST_MAX ? q->limit : CAMERA_LIST_MAX, count = 0;
    struct camera *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;
    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = camera_bind_filter(st, a, q, like)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = camera_bind_filter(st, a, q, like)) ||
        (rc = db_bind_i64(st, 5, q->after)) || (rc = db_bind_i64(st, 6, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        camera__read_row(st, arena, &out[count++]);
    db_done(st);
    st = NULL;
    if (rc)
        goto out;
    *n = count;
    rc = camera__load_places(db, arena, out, count);
out:
    db_done(st);
    return rc;
}

static int
camera_get_by(struct db *db, const char *sql, int64_t id, const char *gb, const struct actor *a,
              struct arena *arena, struct camera *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql, &st)) || (rc = gb ? db_bind_str(st, 1, gb) : db_bind_i64(st, 1, id)) ||
        (rc = db_bind_str(st, 2, a->subdistrict)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    camera__read_row(st, arena, out);
    db_done(st);
    st = NULL;
    rc = camera__load_places(db, arena, out, 1);
out:
    db_done(st);
    return rc;
}

int
camera_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct camera *out)
{
    return camera_get_by(db, sql_get, id, NULL, a, arena, out);
}

int
camera_get_gb(struct db *db, const struct actor *a, const char *gb_id, struct arena *arena, struct camera *out)
{
    if (!camera_id_is_valid(gb_id))
        return ERR_NOT_FOUND;
    return camera_get_by(db, sql_get_gb, 0, gb_id, a, arena, out);
}
