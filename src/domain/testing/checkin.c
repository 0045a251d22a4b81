/* domain/testing/checkin.c - site staff check-ins (打卡, R1.3, R2.6): the ingest kind, which also
 * opens and closes sites (status, history, gauge, "sites" event), and the list the
 * check-in endpoints and the map answer with. Staff names are sealed and never read back
 * here. See checkin.h.
 */
#include "domain/testing/checkin.h"

#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "db/db_value.h"
#include "domain/testing/site.h"

static const char *const checkin_kinds[] = { "open", "close", "status", "staff_change", NULL };

static const char sql_insert[] =
    "INSERT INTO checkins (source, external_id, site_id, kind, staff, queue_len, lon_e6, lat_e6, at, operator,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
static const char sql_later[] =
    "SELECT count(*) FROM checkins WHERE site_id = ?1 AND kind IN ('open', 'close')"
    " AND (at > ?2 OR (at = ?2 AND id > ?3))";
static const char sql_open[] =
    "UPDATE sites SET status = 'open', version = version + 1, updated_at = ?2"
    " WHERE id = ?1 AND deleted_at = 0 AND status <> 'open'";
static const char sql_close_open[] =
    "UPDATE sites SET status = 'closed', version = version + 1, updated_at = ?2"
    " WHERE id = ?1 AND deleted_at = 0 AND status = 'open'";
static const char sql_close_paused[] =
    "UPDATE sites SET status = 'closed', version = version + 1, updated_at = ?2"
    " WHERE id = ?1 AND deleted_at = 0 AND status = 'paused'";
static const char sql_site[] = "SELECT name, type, status, lon_e6, lat_e6, version FROM sites WHERE id = ?1";
#define CHECKIN_FROM                                                                                   \
    " FROM checkins c JOIN sites s ON s.id = c.site_id WHERE (?1 = '' OR s.subdistrict = ?1)"          \
    " AND (?2 = '' OR s.code = ?2) AND (?3 = '' OR s.subdistrict = ?3) AND (?4 = 0 OR c.at >= ?4)"     \
    " AND (?5 = 0 OR c.at < ?5) AND (?6 = 0 OR s.deleted_at = 0)"
#define CHECKIN_COLS                                                                                   \
    "SELECT c.id, c.site_id, s.code, s.name, s.subdistrict, c.kind, c.operator, c.source, c.external_id," \
    " c.queue_len, c.lon_e6, c.lat_e6, s.lon_e6, s.lat_e6, c.staff IS NOT NULL, c.at, c.created_at,"     \
    " c.lon_e6 IS NOT NULL"
static const char sql_list[] = CHECKIN_COLS CHECKIN_FROM " AND c.id > ?7 ORDER BY c.id LIMIT ?8";
static const char sql_newest[] = CHECKIN_COLS CHECKIN_FROM " AND c.id > ?7 ORDER BY c.at DESC, c.id DESC LIMIT ?8";
static const char sql_count[] = "SELECT count(*)" CHECKIN_FROM;

/* The ingest kind ------------------------------------------------------------------------- */

struct checkin_rec {
    const char *source, *external_id, *site_code, *kind, *staff, *operator_code;
    int64_t queue_len, lon_e6, lat_e6, at;
    bool has_position;
};

/* checkin_staff reads "staff": a text, or an array of names joined with ", " (arena). */
static int
checkin_staff(struct ingest *ing, json_t *obj, const char **out_staff, struct ingest_outcome *out)
{
    json_t *v = json_object_get(obj, "staff"), *item;
    struct buf b = BUF_INIT;
    size_t i;
    int rc = 0;
    if (!json_is_array(v))
        return ingest_text(obj, "staff", false, 512, out_staff, out);
    if (json_array_size(v) > CHECKIN_STAFF_MAX)
        return ingest_reject(out, "staff", "'staff' may list at most %d names", CHECKIN_STAFF_MAX);
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);
        size_t n = s ? json_string_length(item) : 0;
        if (!s || n == 0 || n > 64 || strlen(s) != n || !str_is_utf8(s, n) || str_has_ctl(s, n)) {
            rc = ingest_reject(out, "staff", "'staff' item %zu must be a name of 1 to 64 bytes", i);
            goto out;
        }
        buf_printf(&b, "%s%s", i ? ", " : "", s);
    }
    if (b.len)
        *out_staff = arena_strdup(ingest_arena(ing), b.data);
out:
    buf_release_secret(&b);
    return rc;
}

static int
checkin_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct checkin_rec *c = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "site_code", "kind", "staff", "queue_len",
                                         "lon", "lat", "at", "operator", NULL };
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &c->source, &c->external_id, out)) ||
        (rc = ingest_code(obj, "site_code", true, 32, &c->site_code, out)) ||
        (rc = ingest_enum(obj, "kind", true, checkin_kinds, &c->kind, out)) ||
        (rc = checkin_staff(ing, obj, &c->staff, out)) ||
        (rc = ingest_int(obj, "queue_len", false, 0, 100000, &c->queue_len, out)) ||
        (rc = ingest_coord(obj, "lon", "lat", false, &c->lon_e6, &c->lat_e6, out)) ||
        (rc = ingest_time(obj, "at", true, ingest_now(ing), &c->at, out)) ||
        (rc = ingest_code(obj, "operator", false, 64, &c->operator_code, out)))
        return rc;
    c->has_position = json_object_get(obj, "lon") && !json_is_null(json_object_get(obj, "lon"));
    return 0;
}

/* checkin_status applies an open/close check-in (id, at) to the site; *changed tells
 * whether the status moved. */
static int
checkin_status(struct ingest *ing, const struct checkin_rec *c, const struct ingest_site *site, int64_t id,
               bool *changed)
{
    struct db *db = ingest_db(ing);
    struct db_stmt *st = NULL;
    bool row = false, open = !strcmp(c->kind, "open");
    int64_t gauge = 0;
    int rc;

    *changed = false;
    if ((rc = db_prepare(db, sql_later, &st)) || (rc = db_bind_i64(st, 1, site->id)) ||
        (rc = db_bind_i64(st, 2, c->at)) || (rc = db_bind_i64(st, 3, id)) || (rc = db_step(st, &row)))
        goto out;
    if (row && db_col_i64(st, 0) > 0)
        goto out; /* a later open/close already decided the status */
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, open ? sql_open : sql_close_open, &st)) || (rc = db_bind_i64(st, 1, site->id)) ||
        (rc = db_bind_i64(st, 2, ingest_now(ing))) || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) == 1) {
        *changed = true;
        gauge = open ? 1 : -1;
    } else if (!open) {
        db_done(st);
        st = NULL;
        if ((rc = db_prepare(db, sql_close_paused, &st)) || (rc = db_bind_i64(st, 1, site->id)) ||
            (rc = db_bind_i64(st, 2, ingest_now(ing))) || (rc = db_step(st, &row)))
            goto out;
        *changed = db_changes(st) == 1;
    }
    db_done(st);
    st = NULL;
    if (*changed && (rc = site__history_append(db, site->id, "update", ingest_actor(ing), ingest_now(ing))))
        goto out;
    if (gauge)
        rc = ingest_gauge(ing, SITE_GAUGE_OPEN, site->subdistrict, gauge);
out:
    db_done(st);
    return rc;
}

static int
checkin_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct checkin_rec *c = rec;
    struct db *db = ingest_db(ing);
    struct ingest_site site;
    struct db_stmt *st = NULL;
    const uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool row = false, changed = false;
    int64_t id, lon, lat, version;
    const char *name, *type, *status;
    json_t *ev;
    int rc;

    if ((rc = ingest_site(ing, "site_code", c->site_code, &site, out)) ||
        (rc = ingest_in_scope(ing, "site_code", site.subdistrict, out)))
        return rc;
    if (c->staff && (rc = ingest_seal(ing, "checkins.staff", c->staff, &blob, &blob_len)))
        return rc;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_str(st, 1, c->source)) ||
        (rc = db_bind_str(st, 2, c->external_id)) || (rc = db_bind_i64(st, 3, site.id)) ||
        (rc = db_bind_str(st, 4, c->kind)) ||
        (rc = blob ? db_bind_blob(st, 5, blob, blob_len) : db_bind_null(st, 5)) ||
        (rc = db_bind_i64(st, 6, c->queue_len)) ||
        (rc = c->has_position ? db_bind_i64(st, 7, c->lon_e6) : db_bind_null(st, 7)) ||
        (rc = c->has_position ? db_bind_i64(st, 8, c->lat_e6) : db_bind_null(st, 8)) ||
        (rc = db_bind_i64(st, 9, c->at)) || (rc = db_bind_str(st, 10, c->operator_code)) ||
        (rc = db_bind_i64(st, 11, ingest_now(ing))) || (rc = ingest_insert_step(st, out)))
        goto out;
    id = out->id;
    db_done(st);
    st = NULL;
    if ((!strcmp(c->kind, "open") || !strcmp(c->kind, "close")) &&
        (rc = checkin_status(ing, c, &site, id, &changed)))
        goto out;
    if ((rc = db_prepare(db, sql_site, &st)) || (rc = db_bind_i64(st, 1, site.id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_DB;
        goto out;
    }
    name = db_col_arena(st, 0, ingest_arena(ing));
    type = db_col_arena(st, 1, ingest_arena(ing));
    status = db_col_arena(st, 2, ingest_arena(ing));
    lon = db_col_i64(st, 3);
    lat = db_col_i64(st, 4);
    version = db_col_i64(st, 5);
    if (changed && (rc = ingest_event(ing, "sites", site.subdistrict,
                                      site__event("status", site.id, version, site.code, name, type, status,
                                                  site.subdistrict, lon, lat))))
        goto out;
    if (c->has_position) {
        lon = c->lon_e6;
        lat = c->lat_e6;
    }
    ev = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:f, s:f}", "id", (json_int_t)id, "site_code", site.code,
                   "subdistrict", site.subdistrict, "kind", c->kind, "queue_len", (json_int_t)c->queue_len, "at",
                   (json_int_t)c->at, "lon", (double)lon / 1e6, "lat", (double)lat / 1e6);
    rc = ev ? ingest_event(ing, "checkins", site.subdistrict, ev) : ERR_INTERNAL;
out:
    db_done(st);
    return rc;
}

const struct ingest_kind checkin_kind = {
    .name = "checkins",
    .record_size = sizeof(struct checkin_rec),
    .parse = checkin_parse,
    .store = checkin_store,
};

/* Reads ------------------------------------------------------------------------------------ */

static int
checkin_bind_filter(struct db_stmt *st, const struct actor *a, const struct checkin_query *q)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->site_code)) ||
        (rc = db_bind_str(st, 3, q->subdistrict)) || (rc = db_bind_i64(st, 4, q->from)) ||
        (rc = db_bind_i64(st, 5, q->to)))
        return rc;
    return db_bind_i64(st, 6, q->newest_first ? 1 : 0);
}

int
checkin_list(struct db *db, const struct actor *a, const struct checkin_query *q, struct arena *arena,
             struct checkin **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    size_t limit = q->limit && q->limit <= CHECKIN_LIST_MAX ? q->limit : CHECKIN_LIST_MAX, count = 0;
    struct checkin *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = checkin_bind_filter(st, a, q)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, q->newest_first ? sql_newest : sql_list, &st)) || (rc = checkin_bind_filter(st, a, q)) ||
        (rc = db_bind_i64(st, 7, q->newest_first ? 0 : q->after)) || (rc = db_bind_i64(st, 8, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit) {
        struct checkin *c = &out[count++];
        c->id = db_col_i64(st, 0);
        c->site_id = db_col_i64(st, 1);
        c->site_code = db_col_arena(st, 2, arena);
        c->site_name = db_col_arena(st, 3, arena);
        c->subdistrict = db_col_arena(st, 4, arena);
        c->kind = db_col_arena(st, 5, arena);
        c->operator_code = db_col_arena(st, 6, arena);
        c->source = db_col_arena(st, 7, arena);
        c->external_id = db_col_arena(st, 8, arena);
        c->queue_len = db_col_i64(st, 9);
        c->own_position = db_col_i64(st, 17) != 0;
        c->lon_e6 = c->own_position ? db_col_i64(st, 10) : db_col_i64(st, 12);
        c->lat_e6 = c->own_position ? db_col_i64(st, 11) : db_col_i64(st, 13);
        c->has_staff = db_col_i64(st, 14) != 0;
        c->at = db_col_i64(st, 15);
        c->created_at = db_col_i64(st, 16);
    }
    *n = count;
out:
    db_done(st);
    return rc;
}
