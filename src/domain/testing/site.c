/* domain/testing/site.c - testing sites (核酸点位, R1.1, R2.1): the ingest kind that creates them,
 * update and soft delete with a history row per version, list / detail / map reads with
 * the live figures (today's scans from stat_scans, the latest check-in), and the
 * "sites_open" gauge. Not the check-in kind (domain/testing/checkin.c), which also moves a site's
 * status through the internals declared at the end of site.h. See site.h.
 */
#include "domain/testing/site.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/platform/division.h"
#include "push/outbox.h"

#define SITE_DAY_MS 86400000LL
#define SITE_TZ_MS (8 * 3600000LL) /* Asia/Shanghai, no DST */

static const char *const site_types[] = { "fixed", "temporary", "mobile", "convenience", NULL };
static const char *const site_statuses[] = { "open", "closed", "paused", NULL };

/* Columns every read selects, in this order (site_read_row). */
#define SITE_COLS                                                                                 \
    "id, code, name, type, subdistrict, community, lon_e6, lat_e6, opening_hours, status, capacity," \
    " city_code, source, external_id, version, created_at, updated_at, deleted_at"
#define SITE_NCOLS 18

static const char sql_code_owner[] = "SELECT source, external_id FROM sites WHERE code = ?1";
static const char sql_key_exists[] = "SELECT id FROM sites WHERE source = ?1 AND external_id = ?2";
/* ON CONFLICT without a target also covers the unique code (a concurrent batch may take
 * it between our check and the insert): no row back means "someone has it". */
static const char sql_insert[] =
    "INSERT INTO sites (code, name, type, subdistrict, community, address, lon_e6, lat_e6, opening_hours,"
    " status, capacity, city_code, source, external_id, version, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15, ?15)"
    " ON CONFLICT DO NOTHING RETURNING id";
static const char sql_history[] =
    "INSERT INTO site_history (site_id, version, action, actor, changed_at, name, type, subdistrict,"
    " community, address, lon_e6, lat_e6, opening_hours, status, capacity, city_code)"
    " SELECT id, version, CAST(?2 AS TEXT), CAST(?3 AS TEXT), CAST(?4 AS BIGINT), name, type, subdistrict,"
    " community, address, lon_e6, lat_e6, opening_hours, status, capacity, city_code FROM sites WHERE id = ?1";
static const char sql_community[] =
    "SELECT count(*) FROM divisions WHERE code = ?1 AND level = 3 AND parent = ?2";
/* A no-op write that takes the row lock first (PostgreSQL; SQLite's IMMEDIATE transaction
 * already serialises writers), so the read that follows is stable until commit. */
static const char sql_lock[] = "UPDATE sites SET version = version WHERE id = ?1 AND deleted_at = 0";
static const char sql_read[] = "SELECT " SITE_COLS ", address FROM sites WHERE id = ?1";
static const char sql_update[] =
    "UPDATE sites SET name = ?2, type = ?3, subdistrict = ?4, community = ?5, address = ?6, lon_e6 = ?7,"
    " lat_e6 = ?8, opening_hours = ?9, status = ?10, capacity = ?11, city_code = ?12,"
    " version = version + 1, updated_at = ?13 WHERE id = ?1 AND deleted_at = 0";
static const char sql_delete[] =
    "UPDATE sites SET deleted_at = ?2, updated_at = ?2, version = version + 1 WHERE id = ?1 AND deleted_at = 0";
#define SITE_FILTER                                                                              \
    " WHERE deleted_at = 0 AND (?1 = '' OR subdistrict = ?1) AND (?2 = '' OR subdistrict = ?2)"  \
    " AND (?3 = '' OR community = ?3) AND (?4 = '' OR status = ?4) AND (?5 = '' OR type = ?5)"   \
    " AND (?6 = '' OR name LIKE ?6 ESCAPE '\\' OR code LIKE ?6 ESCAPE '\\')"
static const char sql_list[] = "SELECT " SITE_COLS " FROM sites" SITE_FILTER " AND id > ?7 ORDER BY id LIMIT ?8";
static const char sql_count[] = "SELECT count(*) FROM sites" SITE_FILTER;
static const char sql_scans_today[] =
    "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM stat_scans WHERE site_id = ?1 AND hour >= ?2";
static const char sql_last_checkin[] =
    "SELECT kind, at, queue_len FROM checkins WHERE site_id = ?1 ORDER BY at DESC, id DESC LIMIT 1";
static const char sql_map[] =
    "SELECT " SITE_COLS ","
    " (SELECT CAST(COALESCE(SUM(x.n), 0) AS BIGINT) FROM stat_scans x WHERE x.site_id = sites.id AND x.hour >= ?2),"
    " (SELECT c.kind FROM checkins c WHERE c.site_id = sites.id ORDER BY c.at DESC, c.id DESC LIMIT 1),"
    " (SELECT c.at FROM checkins c WHERE c.site_id = sites.id ORDER BY c.at DESC, c.id DESC LIMIT 1),"
    " (SELECT c.queue_len FROM checkins c WHERE c.site_id = sites.id ORDER BY c.at DESC, c.id DESC LIMIT 1)"
    " FROM sites WHERE deleted_at = 0 AND (?1 = '' OR subdistrict = ?1) ORDER BY id LIMIT ?3";
static const char sql_versions[] =
    "SELECT site_id, version, action, actor, changed_at, name, type, subdistrict, community, lon_e6, lat_e6,"
    " opening_hours, status, capacity, city_code, address IS NOT NULL FROM site_history WHERE site_id = ?1"
    " ORDER BY version, id";

/* Small helpers ------------------------------------------------------------------------- */

/* site_write_one steps st, a write that must touch exactly one row; ERR_DB otherwise. */
static int
site_write_one(struct db_stmt *st)
{
    bool row = false;
    int rc = db_step(st, &row);
    return rc ? rc : db_changes(st) == 1 ? 0 : ERR_DB;
}

static const char *
site_col_opt(struct db_stmt *st, int col, struct arena *arena)
{
    return db_col_is_null(st, col) ? NULL : db_col_arena(st, col, arena);
}

static void
site_read_row(struct db_stmt *st, struct arena *arena, struct site *s)
{
    memset(s, 0, sizeof *s);
    s->id = db_col_i64(st, 0);
    s->code = db_col_arena(st, 1, arena);
    s->name = db_col_arena(st, 2, arena);
    s->type = db_col_arena(st, 3, arena);
    s->subdistrict = db_col_arena(st, 4, arena);
    s->community = db_col_arena(st, 5, arena);
    s->lon_e6 = db_col_i64(st, 6);
    s->lat_e6 = db_col_i64(st, 7);
    s->opening_hours = db_col_arena(st, 8, arena);
    s->status = db_col_arena(st, 9, arena);
    s->capacity = db_col_i64(st, 10);
    s->city_code = site_col_opt(st, 11, arena);
    s->source = db_col_arena(st, 12, arena);
    s->external_id = db_col_arena(st, 13, arena);
    s->version = db_col_i64(st, 14);
    s->created_at = db_col_i64(st, 15);
    s->updated_at = db_col_i64(st, 16);
    s->deleted_at = db_col_i64(st, 17);
}

int64_t
site__day_start(int64_t ms)
{
    int64_t local = ms + SITE_TZ_MS;
    int64_t day = local / SITE_DAY_MS - (local % SITE_DAY_MS < 0);
    return day * SITE_DAY_MS - SITE_TZ_MS;
}

int
site__check_community(struct db *db, const char *subdistrict, const char *community)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_community, &st)) && !(rc = db_bind_str(st, 1, community)) &&
        !(rc = db_bind_str(st, 2, subdistrict)) && !(rc = db_step(st, &row)))
        rc = row && db_col_i64(st, 0) == 1 ? 0 : ERR_INVALID;
    db_done(st);
    return rc;
}

int
site__history_append(struct db *db, int64_t site_id, const char *action, const struct actor *a, int64_t at)
{
    struct db_stmt *st = NULL;
    char who[96];
    int rc;
    snprintf(who, sizeof who, "%s%s", a->kind == ACTOR_SYSTEM ? "system:" : "",
             a->name[0] ? a->name : "anonymous");
    if (!(rc = db_prepare(db, sql_history, &st)) && !(rc = db_bind_i64(st, 1, site_id)) &&
        !(rc = db_bind_str(st, 2, action)) && !(rc = db_bind_str(st, 3, who)) &&
        !(rc = db_bind_i64(st, 4, at)))
        rc = site_write_one(st);
    db_done(st);
    return rc;
}

json_t *
site__event(const char *action, int64_t id, int64_t version, const char *code, const char *name,
            const char *type, const char *status, const char *subdistrict, int64_t lon_e6, int64_t lat_e6)
{
    return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "action", action, "id",
                     (json_int_t)id, "version", (json_int_t)version, "code", code, "name", name, "type", type,
                     "status", status, "subdistrict", subdistrict, "lon", (double)lon_e6 / 1e6, "lat",
                     (double)lat_e6 / 1e6);
}

/* The ingest kind ------------------------------------------------------------------------ */

struct site_rec {
    const char *source, *external_id, *code, *name, *type, *subdistrict, *community, *address,
        *opening_hours, *status, *city_code;
    int64_t lon_e6, lat_e6, capacity;
};

static int
site_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct site_rec *s = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "code", "name", "type", "subdistrict",
                                         "community", "address", "lon", "lat", "opening_hours", "status",
                                         "capacity", "city_code", NULL };
    s->status = "open";
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &s->source, &s->external_id, out)) ||
        (rc = ingest_code(obj, "code", true, 32, &s->code, out)) ||
        (rc = ingest_text(obj, "name", true, 128, &s->name, out)) ||
        (rc = ingest_enum(obj, "type", true, site_types, &s->type, out)) ||
        (rc = ingest_subdistrict(ing, obj, "subdistrict", true, &s->subdistrict, out)) ||
        (rc = ingest_in_scope(ing, "subdistrict", s->subdistrict, out)) ||
        (rc = ingest_code(obj, "community", false, 12, &s->community, out)) ||
        (rc = ingest_text(obj, "address", false, 256, &s->address, out)) ||
        (rc = ingest_coord(obj, "lon", "lat", true, &s->lon_e6, &s->lat_e6, out)) ||
        (rc = ingest_text(obj, "opening_hours", false, 128, &s->opening_hours, out)) ||
        (rc = ingest_enum(obj, "status", false, site_statuses, &s->status, out)) ||
        (rc = ingest_int(obj, "capacity", false, 0, 1000000, &s->capacity, out)) ||
        (rc = ingest_code(obj, "city_code", false, 64, &s->city_code, out)))
        return rc;
    if (s->community && (rc = site__check_community(ingest_db(ing), s->subdistrict, s->community)))
        return rc == ERR_INVALID
                   ? ingest_reject(out, "community", "'community' is not a community of 'subdistrict'")
                   : rc;
    return 0;
}

/* site_code_taken: after a failed insert or before one, tell a retry of the same upstream
 * record (ERR_CONFLICT) from a code held by another record (rejected). 0 = code is free. */
static int
site_code_taken(struct ingest *ing, const struct site_rec *s, struct ingest_outcome *out)
{
    struct db_stmt *st = NULL;
    bool row = false, same = false, key = false;
    size_t n1 = 0, n2 = 0;
    int rc;
    if ((rc = db_prepare(ingest_db(ing), sql_key_exists, &st)) || (rc = db_bind_str(st, 1, s->source)) ||
        (rc = db_bind_str(st, 2, s->external_id)) || (rc = db_step(st, &key)))
        goto out;
    db_done(st);
    st = NULL;
    if (key)
        return ERR_CONFLICT;
    if ((rc = db_prepare(ingest_db(ing), sql_code_owner, &st)) || (rc = db_bind_str(st, 1, s->code)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (row) {
        const char *src = db_col_text(st, 0, &n1), *ext = db_col_text(st, 1, &n2);
        same = n1 == strlen(s->source) && n2 == strlen(s->external_id) && !memcmp(src, s->source, n1) &&
               !memcmp(ext, s->external_id, n2);
        rc = same ? ERR_CONFLICT : ingest_reject(out, "code", "'code' is already used by another site");
    }
out:
    db_done(st);
    return rc;
}

static int
site_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct site_rec *s = rec;
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool row = false;
    int64_t id;
    int rc;

    if ((rc = site_code_taken(ing, s, out)))
        return rc;
    if (s->address && (rc = ingest_seal(ing, "sites.address", s->address, &blob, &blob_len)))
        return rc;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_str(st, 1, s->code)) ||
        (rc = db_bind_str(st, 2, s->name)) || (rc = db_bind_str(st, 3, s->type)) ||
        (rc = db_bind_str(st, 4, s->subdistrict)) || (rc = db_bind_nonempty(st, 5, s->community)) ||
        (rc = blob ? db_bind_blob(st, 6, blob, blob_len) : db_bind_null(st, 6)) ||
        (rc = db_bind_i64(st, 7, s->lon_e6)) || (rc = db_bind_i64(st, 8, s->lat_e6)) ||
        (rc = db_bind_str(st, 9, s->opening_hours)) || (rc = db_bind_str(st, 10, s->status)) ||
        (rc = db_bind_i64(st, 11, s->capacity)) || (rc = db_bind_nonempty(st, 12, s->city_code)) ||
        (rc = db_bind_str(st, 13, s->source)) || (rc = db_bind_str(st, 14, s->external_id)) ||
        (rc = db_bind_i64(st, 15, ingest_now(ing))) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        db_done(st);
        st = NULL;
        rc = site_code_taken(ing, s, out);
        if (!rc) /* the conflict is gone again: a constraint we did not foresee */
            rc = ERR_DB;
        goto out;
    }
    id = out->id = db_col_i64(st, 0);
    db_done(st);
    st = NULL;
    if ((rc = site__history_append(db, id, "create", ingest_actor(ing), ingest_now(ing))) ||
        (!strcmp(s->status, "open") && (rc = ingest_gauge(ing, SITE_GAUGE_OPEN, s->subdistrict, 1))))
        goto out;
    rc = ingest_event(ing, "sites", s->subdistrict,
                      site__event("created", id, 1, s->code, s->name, s->type, s->status, s->subdistrict, s->lon_e6,
                                  s->lat_e6));
out:
    db_done(st);
    return rc;
}

const struct ingest_kind site_kind = {
    .name = "sites",
    .record_size = sizeof(struct site_rec),
    .parse = site_parse,
    .store = site_store,
};

/* Update and delete ---------------------------------------------------------------------- */

struct site_patch {
    const char *name, *type, *subdistrict, *community, *address, *opening_hours, *status, *city_code;
    bool clear_community, clear_address, clear_hours, clear_city, has_coord, has_capacity, has_version;
    int64_t lon_e6, lat_e6, capacity, version;
};

static bool
site_is_null(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v && json_is_null(v);
}

static int
site_patch_parse(struct db *db, json_t *obj, struct site_patch *p, struct ingest_outcome *why)
{
    static const char *const known[] = { "name", "type", "subdistrict", "community", "address", "lon", "lat",
                                         "opening_hours", "status", "capacity", "city_code", "version", NULL };
    static const char *const fixed[] = { "code", "source", "external_id", "id" };
    static const char *const required[] = { "name", "type", "subdistrict", "lon", "lat", "status", "capacity",
                                            "version" };
    int rc;

    memset(p, 0, sizeof *p);
    if (!json_is_object(obj))
        return ingest_reject(why, "", "the body must be a JSON object");
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (json_object_get(obj, fixed[i]))
            return ingest_reject(why, fixed[i], "'%s' cannot be changed", fixed[i]);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (site_is_null(obj, required[i]))
            return ingest_reject(why, required[i], "'%s' cannot be cleared", required[i]);
    if ((rc = ingest_known_keys(obj, known, why)) || (rc = ingest_text(obj, "name", false, 128, &p->name, why)) ||
        (rc = ingest_enum(obj, "type", false, site_types, &p->type, why)) ||
        (rc = ingest_code(obj, "subdistrict", false, 12, &p->subdistrict, why)) ||
        (rc = ingest_code(obj, "community", false, 12, &p->community, why)) ||
        (rc = ingest_text(obj, "address", false, 256, &p->address, why)) ||
        (rc = ingest_coord(obj, "lon", "lat", false, &p->lon_e6, &p->lat_e6, why)) ||
        (rc = ingest_text(obj, "opening_hours", false, 128, &p->opening_hours, why)) ||
        (rc = ingest_enum(obj, "status", false, site_statuses, &p->status, why)) ||
        (rc = ingest_int(obj, "capacity", false, 0, 1000000, &p->capacity, why)) ||
        (rc = ingest_code(obj, "city_code", false, 64, &p->city_code, why)) ||
        (rc = ingest_int(obj, "version", false, 1, INT32_MAX, &p->version, why)))
        return rc;
    if (p->subdistrict && (rc = division_check_subdistrict(db, p->subdistrict)))
        return rc == ERR_INVALID ? ingest_reject(why, "subdistrict", "'subdistrict' is not a known subdistrict code")
                                 : rc;
    p->has_coord = json_object_get(obj, "lon") != NULL;
    p->has_capacity = json_object_get(obj, "capacity") != NULL;
    p->has_version = json_object_get(obj, "version") != NULL;
    p->clear_community = site_is_null(obj, "community");
    p->clear_address = site_is_null(obj, "address");
    p->clear_hours = site_is_null(obj, "opening_hours");
    p->clear_city = site_is_null(obj, "city_code");
    if (json_object_size(obj) == 0 || (json_object_size(obj) == 1 && p->has_version))
        return ingest_reject(why, "", "nothing to change");
    return 0;
}

/* site_lock_read locks and reads a live site in scope; the old address ciphertext is
 * copied into arena (*blob NULL when none). */
static int
site_lock_read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct site *s,
               const uint8_t **blob, size_t *blob_len)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = ingest_lock_row(db, sql_lock, id)))
        return rc;
    if ((rc = db_prepare(db, sql_read, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    site_read_row(st, arena, s);
    *blob = db_col_blob_arena(st, SITE_NCOLS, arena, blob_len);
    if (!actor_in_scope(a, s->subdistrict))
        rc = ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

/* site_changed_fields lists the patched field names for the audit detail. */
static void
site_changed_fields(json_t *patch, struct buf *b)
{
    const char *key;
    json_t *v;
    bool first = true;
    json_object_foreach(patch, key, v) {
        if (!strcmp(key, "version"))
            continue;
        buf_printf(b, "%s%s", first ? "" : ",", key);
        first = false;
    }
}

int
site_update(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
            struct ingest_outcome *why, int64_t *version)
{
    struct arena arena = ARENA_INIT;
    struct site_patch p;
    struct site cur, nx;
    struct db_stmt *st = NULL;
    struct buf detail = BUF_INIT;
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool in_tx = false, was_open, is_open, moved;
    int64_t now = time_now_ms();
    char target[40];
    int rc;

    memset(why, 0, sizeof *why);
    if ((rc = site_patch_parse(db, patch, &p, why)))
        goto out;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = site_lock_read(db, a, id, &arena, &cur, &blob, &blob_len)))
        goto out;
    if (p.has_version && p.version != cur.version) {
        ingest_reject(why, "version", "the site is at version %lld", (long long)cur.version);
        rc = ERR_CONFLICT;
        goto out;
    }
    nx = cur;
    nx.name = p.name ? p.name : cur.name;
    nx.type = p.type ? p.type : cur.type;
    nx.subdistrict = p.subdistrict ? p.subdistrict : cur.subdistrict;
    nx.community = p.clear_community ? "" : p.community ? p.community : cur.community;
    nx.opening_hours = p.clear_hours ? "" : p.opening_hours ? p.opening_hours : cur.opening_hours;
    nx.status = p.status ? p.status : cur.status;
    nx.city_code = p.clear_city ? NULL : p.city_code ? p.city_code : cur.city_code;
    if (p.has_coord) {
        nx.lon_e6 = p.lon_e6;
        nx.lat_e6 = p.lat_e6;
    }
    if (p.has_capacity)
        nx.capacity = p.capacity;
    if (!actor_in_scope(a, nx.subdistrict)) {
        ingest_reject(why, "subdistrict", "'subdistrict' is outside your subdistrict");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if (nx.community[0] && (rc = site__check_community(db, nx.subdistrict, nx.community))) {
        if (rc == ERR_INVALID)
            ingest_reject(why, "community", "'community' is not a community of 'subdistrict'");
        goto out;
    }
    if (p.clear_address) {
        blob = NULL;
        blob_len = 0;
    } else if (p.address) {
        size_t n = strlen(p.address), cap = FIELD_SEALED_LEN(n);
        uint8_t *sealed = arena_alloc(&arena, cap);
        if ((rc = field_seal(&app->keys, "sites.address", p.address, n, sealed, cap, &blob_len)))
            goto out;
        blob = sealed;
    }
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_str(st, 2, nx.name)) || (rc = db_bind_str(st, 3, nx.type)) ||
        (rc = db_bind_str(st, 4, nx.subdistrict)) || (rc = db_bind_nonempty(st, 5, nx.community)) ||
        (rc = blob ? db_bind_blob(st, 6, blob, blob_len) : db_bind_null(st, 6)) ||
        (rc = db_bind_i64(st, 7, nx.lon_e6)) || (rc = db_bind_i64(st, 8, nx.lat_e6)) ||
        (rc = db_bind_str(st, 9, nx.opening_hours)) || (rc = db_bind_str(st, 10, nx.status)) ||
        (rc = db_bind_i64(st, 11, nx.capacity)) || (rc = db_bind_nonempty(st, 12, nx.city_code)) ||
        (rc = db_bind_i64(st, 13, now)) || (rc = site_write_one(st)))
        goto out;
    db_done(st);
    st = NULL;
    nx.version = cur.version + 1;
    was_open = !strcmp(cur.status, "open");
    is_open = !strcmp(nx.status, "open");
    moved = strcmp(cur.subdistrict, nx.subdistrict) != 0;
    if ((rc = site__history_append(db, id, "update", a, now)) ||
        (was_open && (!is_open || moved) && (rc = ingest_gauge_add(db, SITE_GAUGE_OPEN, cur.subdistrict, -1))) ||
        (is_open && (!was_open || moved) && (rc = ingest_gauge_add(db, SITE_GAUGE_OPEN, nx.subdistrict, 1))))
        goto out;
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit_moved(db, "sites", cur.subdistrict, nx.subdistrict,
                                site__event("updated", id, nx.version, nx.code, nx.name, nx.type, nx.status,
                                            nx.subdistrict, nx.lon_e6, nx.lat_e6))))
        goto out;
    snprintf(target, sizeof target, "site:%lld", (long long)id);
    buf_printf(&detail, "version=%lld fields=", (long long)nx.version);
    site_changed_fields(patch, &detail);
    if ((rc = ingest_audit_commit(app, db, a, "sites.update", target, detail.data)))
        goto out;
    in_tx = false;
    if (version)
        *version = nx.version;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    buf_release(&detail);
    arena_release(&arena);
    return rc;
}

int
site_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct arena arena = ARENA_INIT;
    struct site cur;
    struct db_stmt *st = NULL;
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool in_tx = false;
    int64_t now = time_now_ms();
    char target[40], detail[40];
    int rc;

    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = site_lock_read(db, a, id, &arena, &cur, &blob, &blob_len)))
        goto out;
    if ((rc = db_prepare(db, sql_delete, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_bind_i64(st, 2, now)) ||
        (rc = site_write_one(st)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = site__history_append(db, id, "delete", a, now)) ||
        (!strcmp(cur.status, "open") && (rc = ingest_gauge_add(db, SITE_GAUGE_OPEN, cur.subdistrict, -1))) ||
        (rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "sites", cur.subdistrict,
                          site__event("deleted", id, cur.version + 1, cur.code, cur.name, cur.type, cur.status,
                                      cur.subdistrict, cur.lon_e6, cur.lat_e6))))
        goto out;
    snprintf(target, sizeof target, "site:%lld", (long long)id);
    snprintf(detail, sizeof detail, "version=%lld", (long long)cur.version + 1);
    if ((rc = ingest_audit_commit(app, db, a, "sites.delete", target, detail)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    arena_release(&arena);
    return rc;
}

/* Reads ------------------------------------------------------------------------------------ */

static int
site_bind_filter(struct db_stmt *st, const struct actor *a, const struct site_query *q, const char *like)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->subdistrict)) ||
        (rc = db_bind_str(st, 3, q->community)) || (rc = db_bind_str(st, 4, q->status)) ||
        (rc = db_bind_str(st, 5, q->type)))
        return rc;
    return db_bind_str(st, 6, like);
}

int
site_list(struct db *db, const struct actor *a, const struct site_query *q, struct arena *arena,
          struct site **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *like = db_like_contains(arena, q->q);
    size_t limit = q->limit && q->limit <= SITE_LIST_MAX ? q->limit : SITE_LIST_MAX, count = 0;
    struct site *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = site_bind_filter(st, a, q, like)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = site_bind_filter(st, a, q, like)) ||
        (rc = db_bind_i64(st, 7, q->after)) || (rc = db_bind_i64(st, 8, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        site_read_row(st, arena, &out[count++]);
    *n = count;
out:
    db_done(st);
    return rc;
}

static int
site_scans_today(struct db *db, struct site_live *l)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_scans_today, &st)) && !(rc = db_bind_i64(st, 1, l->s.id)) &&
        !(rc = db_bind_i64(st, 2, site__day_start(time_now_ms()))) && !(rc = db_step(st, &row)))
        l->scans_today = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

static int
site_last_checkin(struct db *db, struct arena *arena, struct site_live *l)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_last_checkin, &st)) || (rc = db_bind_i64(st, 1, l->s.id)) ||
        (rc = db_step(st, &row)))
        goto out;
    l->has_checkin = row;
    if (row) {
        l->checkin_kind = db_col_arena(st, 0, arena);
        l->checkin_at = db_col_i64(st, 1);
        l->queue_len = db_col_i64(st, 2);
    }
out:
    db_done(st);
    return rc;
}

int
site_get(struct app *app, struct db *db, const struct actor *a, int64_t id, bool with_address,
         struct arena *arena, struct site_live *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = db_prepare(db, sql_read, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    site_read_row(st, arena, &out->s);
    if (!actor_in_scope(a, out->s.subdistrict)) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (with_address && !db_col_is_null(st, SITE_NCOLS)) {
        size_t n = 0, len = 0;
        const uint8_t *c = db_col_blob(st, SITE_NCOLS, &n);
        size_t cap = n >= FIELD_OVERHEAD ? n - FIELD_OVERHEAD + 1 : 1;
        uint8_t *plain = arena_alloc(arena, cap);
        if ((rc = field_open(&app->keys, "sites.address", c, n, plain, cap, &len)))
            goto out;
        plain[len < cap ? len : cap - 1] = '\0';
        out->s.address = (const char *)plain;
    }
    db_done(st);
    st = NULL;
    if ((rc = site_scans_today(db, out)))
        goto out;
    rc = site_last_checkin(db, arena, out);
out:
    db_done(st);
    return rc;
}

int
site_map(struct db *db, const struct actor *a, size_t cap, struct arena *arena, struct site_live **items,
         size_t *n, bool *more)
{
    struct db_stmt *st = NULL;
    size_t count = 0;
    struct site_live *out = arena_alloc(arena, (cap ? cap : 1) * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *more = false;
    if ((rc = db_prepare(db, sql_map, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_i64(st, 2, site__day_start(time_now_ms()))) || (rc = db_bind_i64(st, 3, (int64_t)cap + 1)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct site_live *l;
        if (count == cap) {
            *more = true;
            break;
        }
        l = &out[count++];
        memset(l, 0, sizeof *l);
        site_read_row(st, arena, &l->s);
        l->scans_today = db_col_i64(st, SITE_NCOLS);
        l->has_checkin = !db_col_is_null(st, SITE_NCOLS + 1);
        if (l->has_checkin) {
            l->checkin_kind = db_col_arena(st, SITE_NCOLS + 1, arena);
            l->checkin_at = db_col_i64(st, SITE_NCOLS + 2);
            l->queue_len = db_col_i64(st, SITE_NCOLS + 3);
        }
    }
    *n = count;
out:
    db_done(st);
    return rc;
}

int
site_history(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct site_version **items,
             size_t *n)
{
    struct arena scratch = ARENA_INIT;
    struct site_live cur;
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 16;
    struct site_version *out;
    const char *code;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    /* existence and scope (no address opened, so no keyring needed) */
    if ((rc = site_get(NULL, db, a, id, false, &scratch, &cur)))
        goto out;
    code = arena_strdup(arena, cur.s.code);
    out = arena_alloc(arena, cap * sizeof *out);
    if ((rc = db_prepare(db, sql_versions, &st)) || (rc = db_bind_i64(st, 1, id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct site_version *v;
        VEC_ARENA_ROOM(arena, out, count, cap);
        v = &out[count++];
        memset(v, 0, sizeof *v);
        v->s.id = db_col_i64(st, 0);
        v->s.version = db_col_i64(st, 1);
        v->action = db_col_arena(st, 2, arena);
        v->actor = db_col_arena(st, 3, arena);
        v->changed_at = db_col_i64(st, 4);
        v->s.name = db_col_arena(st, 5, arena);
        v->s.type = db_col_arena(st, 6, arena);
        v->s.subdistrict = db_col_arena(st, 7, arena);
        v->s.community = db_col_arena(st, 8, arena);
        v->s.lon_e6 = db_col_i64(st, 9);
        v->s.lat_e6 = db_col_i64(st, 10);
        v->s.opening_hours = db_col_arena(st, 11, arena);
        v->s.status = db_col_arena(st, 12, arena);
        v->s.capacity = db_col_i64(st, 13);
        v->s.city_code = site_col_opt(st, 14, arena);
        v->address_set = db_col_i64(st, 15) != 0;
        v->s.code = code;
    }
    if (!rc) {
        *items = out;
        *n = count;
    }
out:
    db_done(st);
    arena_release(&scratch);
    return rc;
}
