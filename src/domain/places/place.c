/* domain/places/place.c - changes to the place ledger (R3.1-R3.7, issue 8): the ingest kind
 * that creates places (idempotent by source + external_id), update and soft delete, each
 * with a history snapshot, a "places" outbox event and an audit entry in one transaction.
 * One field reader serves create and update. Not here: reads (place_read.c), geometry and
 * the API object (place_geom.c), imports (place_import.c). See place.h.
 */
#include "domain/places/place.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/platform/division.h"
#include "domain/testing/site.h"
#include "json/jsonio.h"
#include "push/outbox.h"

static const char *const place_levels[] = { "fengkong", "guankong", "fangfan", NULL };

#define PLACE_TIME_MIN 1546300800000LL /* 2019-01-01 */
#define PLACE_TIME_MAX 4102444800000LL /* 2100-01-01 */

static const char sql_insert[] =
    "INSERT INTO places (kind, code, name, subdistrict, community, address, lon_e6, lat_e6, cell, geometry,"
    " min_lon_e6, min_lat_e6, max_lon_e6, max_lat_e6, zone_level, starts_at, ends_at, note, source,"
    " external_id, version, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, 1,"
    " ?21, ?21) ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
static const char sql_update[] =
    "UPDATE places SET code = ?2, name = ?3, subdistrict = ?4, community = ?5, address = ?6, lon_e6 = ?7,"
    " lat_e6 = ?8, cell = ?9, geometry = ?10, min_lon_e6 = ?11, min_lat_e6 = ?12, max_lon_e6 = ?13,"
    " max_lat_e6 = ?14, zone_level = ?15, starts_at = ?16, ends_at = ?17, note = ?18,"
    " version = version + 1, updated_at = ?19 WHERE id = ?1 AND deleted_at = 0 AND site_id IS NULL";
static const char sql_lock[] =
    "UPDATE places SET version = version WHERE id = ?1 AND deleted_at = 0";
static const char sql_delete[] =
    "UPDATE places SET deleted_at = ?2, updated_at = ?2, version = version + 1 WHERE id = ?1 AND deleted_at = 0";
static const char sql_unbind_all[] = "DELETE FROM place_cameras WHERE place_id = ?1";
static const char sql_history[] =
    "INSERT INTO place_history (place_id, version, action, actor, changed_at, snapshot)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* What create and update read from a JSON object. */
struct place_rec {
    const char *source, *external_id, *kind, *code, *name, *subdistrict, *community, *address;
    const char *zone_level, *note, *geometry;
    bool has_pos, has_box;
    int64_t lon_e6, lat_e6, min_lon_e6, min_lat_e6, max_lon_e6, max_lat_e6, starts_at, ends_at;
};

static bool
place_is_null(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && json_is_null(v);
}

/* place_time reads a time as integer ms or RFC 3339 text, 2019..2100. */
static int
place_time(json_t *obj, const char *key, int64_t *ms, struct ingest_outcome *out)
{
    json_t *v = json_object_get(obj, key);
    int64_t t = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v))
        t = json_integer_value(v);
    else if (!json_is_string(v) || time_parse_rfc3339(json_string_value(v), &t))
        return ingest_reject(out, key, "'%s' must be RFC 3339 or milliseconds", key);
    if (t < PLACE_TIME_MIN || t > PLACE_TIME_MAX)
        return ingest_reject(out, key, "'%s' must be between 2019 and 2100", key);
    *ms = t;
    return 0;
}

/* place_position reads "geometry" or "lon"+"lat" into r (position, box, polygon text). */
static int
place_position(json_t *obj, struct arena *arena, struct place_rec *r, struct ingest_outcome *out)
{
    json_t *g = json_object_get(obj, "geometry");
    int rc;
    if (g && !json_is_null(g)) {
        struct geo_point pos, mn, mx, *ring = NULL;
        size_t n = 0;
        struct buf why = BUF_INIT;
        if (json_object_get(obj, "lon") || json_object_get(obj, "lat")) {
            buf_release(&why);
            return ingest_reject(out, "geometry", "give 'geometry' or 'lon' and 'lat', not both");
        }
        rc = place__geometry(g, arena, &pos, &ring, &n, &mn, &mx, &r->geometry, &why);
        if (rc) {
            ingest_reject(out, "geometry", "%s", why.data);
            buf_release(&why);
            return rc;
        }
        buf_release(&why);
        r->has_pos = r->has_box = true;
        r->lon_e6 = geo_e6(pos.lon), r->lat_e6 = geo_e6(pos.lat);
        r->min_lon_e6 = geo_e6(mn.lon), r->min_lat_e6 = geo_e6(mn.lat);
        r->max_lon_e6 = geo_e6(mx.lon), r->max_lat_e6 = geo_e6(mx.lat);
        if (n == 0)
            r->geometry = NULL; /* a point is stored as a position */
        return 0;
    }
    if (place_is_null(obj, "lon") && place_is_null(obj, "lat")) {
        r->has_pos = r->has_box = false;
        r->geometry = NULL;
        return 0;
    }
    if (!json_object_get(obj, "lon") && !json_object_get(obj, "lat"))
        return 0;
    if ((rc = ingest_coord(obj, "lon", "lat", true, &r->lon_e6, &r->lat_e6, out)))
        return rc;
    r->has_pos = r->has_box = true;
    r->min_lon_e6 = r->max_lon_e6 = r->lon_e6;
    r->min_lat_e6 = r->max_lat_e6 = r->lat_e6;
    r->geometry = NULL;
    return 0;
}

/* place_fields reads every changeable field of obj into r. In create mode absent fields keep
 * r's defaults; in both modes a JSON null clears an optional field. */
static int
place_fields(struct db *db, const struct actor *a, json_t *obj, struct arena *arena, struct place_rec *r,
             struct ingest_outcome *out)
{
    const char *sub = NULL, *com = NULL;
    int rc;
    if ((rc = ingest_text(obj, "code", false, 64, &r->code, out)) ||
        (rc = ingest_text(obj, "name", false, 128, &r->name, out)) ||
        (rc = ingest_code(obj, "subdistrict", false, 12, &sub, out)) ||
        (rc = ingest_code(obj, "community", false, 12, &com, out)) ||
        (rc = ingest_text(obj, "address", false, 256, &r->address, out)) ||
        (rc = ingest_text(obj, "note", false, 512, &r->note, out)) ||
        (rc = ingest_enum(obj, "zone_level", false, place_levels, &r->zone_level, out)) ||
        (rc = place_time(obj, "starts_at", &r->starts_at, out)) ||
        (rc = place_time(obj, "ends_at", &r->ends_at, out)) || (rc = place_position(obj, arena, r, out)))
        return rc;
    if (sub) {
        if (division_check_subdistrict(db, sub))
            return ingest_reject(out, "subdistrict", "'subdistrict' is not a known subdistrict code");
        r->subdistrict = sub;
    } else if (place_is_null(obj, "subdistrict")) {
        r->subdistrict = "";
    }
    if (com)
        r->community = com;
    else if (place_is_null(obj, "community"))
        r->community = "";
    if (place_is_null(obj, "address"))
        r->address = "";
    if (place_is_null(obj, "note"))
        r->note = "";
    if (place_is_null(obj, "ends_at"))
        r->ends_at = 0;
    if (place_is_null(obj, "starts_at"))
        r->starts_at = 0;
    /* Rules across fields. */
    if (!actor_in_scope(a, r->subdistrict[0] ? r->subdistrict : NULL))
        return ingest_reject(out, "subdistrict", "'subdistrict' is outside your subdistrict");
    if (r->community[0]) {
        if (!r->subdistrict[0])
            return ingest_reject(out, "community", "'community' needs 'subdistrict'");
        if ((rc = site__check_community(db, r->subdistrict, r->community)))
            return rc == ERR_INVALID
                       ? ingest_reject(out, "community", "'community' is not a community of 'subdistrict'")
                       : rc;
    }
    if (!strcmp(r->kind, "zone")) {
        if (!r->zone_level)
            return ingest_reject(out, "zone_level", "'zone_level' is required for zones");
        if (!r->geometry)
            return ingest_reject(out, "geometry", "a zone needs a Polygon 'geometry'");
    } else {
        if (r->zone_level)
            return ingest_reject(out, "zone_level", "'zone_level' is for zones only");
        if (r->geometry)
            return ingest_reject(out, "geometry", "only zones have a Polygon 'geometry'");
    }
    if (r->starts_at && r->ends_at && r->ends_at < r->starts_at)
        return ingest_reject(out, "ends_at", "'ends_at' is before 'starts_at'");
    return 0;
}

/* place_bind_rec binds ?2.. of sql_insert/sql_update order (code first) from index base. */
static int
place_bind_rec(struct db_stmt *st, int base, const struct place_rec *r)
{
    int rc;
    if ((rc = db_bind_str(st, base, r->code)) || (rc = db_bind_str(st, base + 1, r->name)) ||
        (rc = db_bind_nonempty(st, base + 2, r->subdistrict)) ||
        (rc = db_bind_nonempty(st, base + 3, r->community)) || (rc = db_bind_str(st, base + 4, r->address)))
        return rc;
    if (r->has_pos) {
        if ((rc = db_bind_i64(st, base + 5, r->lon_e6)) || (rc = db_bind_i64(st, base + 6, r->lat_e6)) ||
            (rc = db_bind_i64(st, base + 7, geo_cell_key_e6(r->lon_e6, r->lat_e6))) ||
            (rc = db_bind_opt_text(st, base + 8, r->geometry)) || (rc = db_bind_i64(st, base + 9, r->min_lon_e6)) ||
            (rc = db_bind_i64(st, base + 10, r->min_lat_e6)) || (rc = db_bind_i64(st, base + 11, r->max_lon_e6)) ||
            (rc = db_bind_i64(st, base + 12, r->max_lat_e6)))
            return rc;
    }
    if ((rc = db_bind_opt_text(st, base + 13, r->zone_level)) || (rc = db_bind_i64(st, base + 14, r->starts_at)) ||
        (rc = db_bind_i64(st, base + 15, r->ends_at)) || (rc = db_bind_str(st, base + 16, r->note)))
        return rc;
    return 0;
}

/* place_as_place views r as a struct place (for snapshots and events). */
static void
place_as_place(const struct place_rec *r, int64_t id, int64_t version, int64_t at, struct place *p)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    p->kind = r->kind;
    p->code = r->code;
    p->name = r->name;
    p->subdistrict = r->subdistrict;
    p->community = r->community;
    p->address = r->address;
    p->note = r->note;
    p->has_pos = r->has_pos;
    p->lon_e6 = r->lon_e6;
    p->lat_e6 = r->lat_e6;
    p->geometry = r->geometry;
    p->zone_level = r->zone_level;
    p->starts_at = r->starts_at;
    p->ends_at = r->ends_at;
    p->source = r->source;
    p->external_id = r->external_id;
    p->version = version;
    p->updated_at = at;
}

static int
place_history_append(struct db *db, const struct place *p, const char *action, const struct actor *a, int64_t at)
{
    json_t *snap = place__json(p);
    struct db_stmt *st = NULL;
    bool row = false;
    size_t len = 0;
    char *text;
    int rc;
    json_object_del(snap, "camera_ids");
    text = jsonio_dump(snap, &len);
    json_decref(snap);
    if (!(rc = db_prepare(db, sql_history, &st)) && !(rc = db_bind_i64(st, 1, p->id)) &&
        !(rc = db_bind_i64(st, 2, p->version)) && !(rc = db_bind_str(st, 3, action)) &&
        !(rc = db_bind_str(st, 4, a->name)) && !(rc = db_bind_i64(st, 5, at)) &&
        !(rc = db_bind_text(st, 6, text, len)))
        rc = db_step(st, &row);
    db_done(st);
    xfree(text);
    return rc;
}

/* place_event is the "places" outbox payload: no address, no note. */
static json_t *
place_event(const char *action, const struct place *p)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "action", action, "id", (json_int_t)p->id, "version",
                          (json_int_t)p->version, "kind", p->kind, "code", p->code, "name", p->name);
    json_object_set_new(o, "subdistrict", p->subdistrict[0] ? json_string(p->subdistrict) : json_null());
    json_object_set_new(o, "lon", p->has_pos ? json_real((double)p->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", p->has_pos ? json_real((double)p->lat_e6 / 1e6) : json_null());
    json_object_set_new(o, "zone_level", p->zone_level ? json_string(p->zone_level) : json_null());
    json_object_set_new(o, "ends_at", p->ends_at ? json_integer(p->ends_at) : json_null());
    return o;
}

/* The ingest kind ------------------------------------------------------------------------ */

static int
place_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    static const char *const known[] = { "source", "external_id", "kind", "code", "name", "subdistrict",
                                         "community", "address", "lon", "lat", "geometry", "zone_level",
                                         "starts_at", "ends_at", "note", NULL };
    struct place_rec *r = rec;
    int rc;
    r->code = r->subdistrict = r->community = r->address = r->note = "";
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_text(obj, "kind", true, PLACE_KIND_MAX, &r->kind, out)) ||
        (rc = ingest_text(obj, "name", true, 128, &r->name, out)))
        return rc;
    if (!strcmp(r->source, "sites"))
        return ingest_reject(out, "source", "'source' sites is reserved for testing sites");
    if (!place__kind_ok(r->kind))
        return ingest_reject(out, "kind", strcmp(r->kind, "site") ? "'kind' must match [a-z][a-z0-9_]*"
                                                                   : "sites are created through /api/v1/sites");
    return place_fields(ingest_db(ing), ingest_actor(ing), obj, ingest_arena(ing), r, out);
}

static int
place_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct place_rec *r = rec;
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    struct place p;
    int rc;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_str(st, 1, r->kind)) ||
        (rc = place_bind_rec(st, 2, r)) || (rc = db_bind_str(st, 19, r->source)) ||
        (rc = db_bind_str(st, 20, r->external_id)) || (rc = db_bind_i64(st, 21, ingest_now(ing))) ||
        (rc = ingest_insert_step(st, out)))
        goto out;
    db_done(st);
    st = NULL;
    place_as_place(r, out->id, 1, ingest_now(ing), &p);
    if ((rc = place_history_append(db, &p, "create", ingest_actor(ing), ingest_now(ing))))
        goto out;
    rc = ingest_event(ing, "places", r->subdistrict, place_event("created", &p));
out:
    db_done(st);
    return rc;
}

const struct ingest_kind place_kind = {
    .name = "places",
    .record_size = sizeof(struct place_rec),
    .parse = place_parse,
    .store = place_store,
};

/* Update and delete ---------------------------------------------------------------------- */

/* place_lock_read locks place id and reads it in scope; sites are refused (ERR_INVALID). */
static int
place_lock_read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct place *p,
                struct ingest_outcome *why)
{
    int rc;
    if ((rc = ingest_lock_row(db, sql_lock, id)) || (rc = place_get(db, a, id, arena, p)))
        return rc;
    if (p->deleted_at)
        return ERR_NOT_FOUND;
    if (p->site_id)
        return ingest_reject(why, "kind", "testing sites are changed through /api/v1/sites");
    return 0;
}

static void
place_rec_of(const struct place *p, struct place_rec *r)
{
    memset(r, 0, sizeof *r);
    r->source = p->source;
    r->external_id = p->external_id;
    r->kind = p->kind;
    r->code = p->code;
    r->name = p->name;
    r->subdistrict = p->subdistrict;
    r->community = p->community;
    r->address = p->address;
    r->zone_level = p->zone_level;
    r->note = p->note;
    r->geometry = p->geometry;
    r->has_pos = r->has_box = p->has_pos;
    r->lon_e6 = p->lon_e6;
    r->lat_e6 = p->lat_e6;
    r->min_lon_e6 = r->max_lon_e6 = p->lon_e6;
    r->min_lat_e6 = r->max_lat_e6 = p->lat_e6;
    r->starts_at = p->starts_at;
    r->ends_at = p->ends_at;
}

int
place_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
             struct ingest_outcome *why, int64_t *version)
{
    static const char *const known[] = { "code", "name", "subdistrict", "community", "address", "lon", "lat",
                                         "geometry", "zone_level", "starts_at", "ends_at", "note", "version",
                                         NULL };
    struct arena arena = ARENA_INIT;
    struct place cur, nx;
    struct place_rec r;
    struct db_stmt *st = NULL;
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
        (rc = ingest_int(patch, "version", false, 1, INT64_MAX, &want, why)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = place_lock_read(db, a, id, &arena, &cur, why)))
        goto out;
    if (want && want != cur.version) {
        ingest_reject(why, "version", "the place is at version %lld", (long long)cur.version);
        rc = ERR_CONFLICT;
        goto out;
    }
    place_rec_of(&cur, &r);
    if (cur.geometry) { /* keep the stored box of a polygon */
        struct geo_point *ring = NULL, mn, mx;
        size_t n = 0;
        if ((rc = place_ring(db, a, id, &arena, &ring, &n, &mn, &mx)))
            goto out;
        r.min_lon_e6 = geo_e6(mn.lon), r.min_lat_e6 = geo_e6(mn.lat);
        r.max_lon_e6 = geo_e6(mx.lon), r.max_lat_e6 = geo_e6(mx.lat);
    }
    if ((rc = place_fields(db, a, patch, &arena, &r, why))) {
        if (rc == ERR_INVALID && !strcmp(why->field ? why->field : "", "subdistrict") &&
            strstr(why->reason, "outside"))
            rc = ERR_FORBIDDEN;
        goto out;
    }
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = place_bind_rec(st, 2, &r)) ||
        (rc = db_bind_i64(st, 19, now)) || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) != 1) {
        rc = ERR_DB;
        goto out;
    }
    db_done(st);
    st = NULL;
    place_as_place(&r, id, cur.version + 1, now, &nx);
    if ((rc = place_history_append(db, &nx, "update", a, now)) || (rc = outbox_lock(db)) ||
        (rc = ingest_emit_moved(db, "places", cur.subdistrict, nx.subdistrict, place_event("updated", &nx))))
        goto out;
    snprintf(target, sizeof target, "place:%lld", (long long)id);
    if ((rc = ingest_audit_commit(app, db, a, "places.update", target, nx.kind)))
        goto out;
    in_tx = false;
    if (version)
        *version = nx.version;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    arena_release(&arena);
    return rc;
}

int
place_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct arena arena = ARENA_INIT;
    struct ingest_outcome why;
    struct place cur;
    struct db_stmt *st = NULL;
    bool in_tx = false, row = false;
    int64_t now = time_now_ms();
    char target[40];
    int rc;

    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    memset(&why, 0, sizeof why);
    if ((rc = place_lock_read(db, a, id, &arena, &cur, &why)))
        goto out;
    if ((rc = db_prepare(db, sql_delete, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_bind_i64(st, 2, now)) ||
        (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_unbind_all, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    cur.version++;
    cur.updated_at = now;
    cur.n_cameras = 0;
    if ((rc = place_history_append(db, &cur, "delete", a, now)) || (rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "places", cur.subdistrict, place_event("deleted", &cur))))
        goto out;
    snprintf(target, sizeof target, "place:%lld", (long long)id);
    if ((rc = ingest_audit_commit(app, db, a, "places.delete", target, cur.kind)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    arena_release(&arena);
    return rc;
}
