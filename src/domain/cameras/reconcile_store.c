/* domain/cameras/reconcile_store.c - stored reconciliation runs (R3.8) and the one-step
 * binding from a run (R3.9). The classifier is reconcile.c; bindings and their batches are
 * domain/cameras/binding.h; the device export is read by device_list.c. */
#include "domain/cameras/reconcile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/cameras/binding.h"
#include "domain/ingest/ingest.h"
#include "domain/platform/audit.h"
#include "push/outbox.h"

static const char sql_listings[] =
    "SELECT tc.gb_id, p.id, p.name, p.lon_e6, p.lat_e6 FROM toilet_cameras tc"
    " JOIN places p ON p.id = tc.place_id"
    " WHERE p.deleted_at = 0 AND p.lon_e6 IS NOT NULL AND p.lat_e6 IS NOT NULL"
    " AND (?1 = '' OR p.subdistrict = ?1)"
    " ORDER BY tc.gb_id, p.id";
static const char sql_run_insert[] =
    "INSERT INTO reconciliations (created_by, created_at, subdistrict, within_m, devices, rejected,"
    " matched, conflict, only_survey, only_online) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " RETURNING id";
static const char sql_row_insert[] =
    "INSERT INTO reconciliation_rows (reconciliation_id, seq, gb_id, class, distance_dm, place_ids,"
    " toilets, net_name, net_lon_e6, net_lat_e6, net_status, reason)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char sql_run_get[] =
    "SELECT id, created_by, created_at, subdistrict, within_m, devices, rejected, matched, conflict,"
    " only_survey, only_online, COALESCE(binding_batch, 0) FROM reconciliations WHERE id = ?1";
static const char sql_rows[] =
    "SELECT seq, gb_id, class, distance_dm, place_ids, toilets, net_name, net_lon_e6, net_lat_e6,"
    " net_status, reason FROM reconciliation_rows WHERE reconciliation_id = ?1"
    " AND (?2 = '' OR class = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4";
static const char sql_rows_count[] =
    "SELECT count(*) FROM reconciliation_rows WHERE reconciliation_id = ?1 AND (?2 = '' OR class = ?2)";
static const char sql_bind_rows[] =
    "SELECT gb_id, place_ids, net_name, net_lon_e6, net_lat_e6 FROM reconciliation_rows"
    " WHERE reconciliation_id = ?1 AND class = 'matched' AND net_status = 'online' ORDER BY seq";
static const char sql_batch_undone[] = "SELECT undone_at FROM binding_batches WHERE id = ?1";
static const char sql_run_bound[] = "UPDATE reconciliations SET binding_batch = ?2 WHERE id = ?1";
static const char sql_place_sub[] =
    "SELECT COALESCE(subdistrict, '') FROM places WHERE id = ?1 AND deleted_at = 0 AND kind = 'toilet'";
static const char sql_camera_insert[] =
    "INSERT INTO cameras (gb_id, name, lon_e6, lat_e6, cell, status, last_seen_at, subdistrict, source,"
    " external_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'online', ?6, ?7, 'network', ?1,"
    " ?6, ?6) ON CONFLICT (gb_id) DO NOTHING";
static const char sql_camera_id[] = "SELECT id FROM cameras WHERE gb_id = ?1 AND deleted_at = 0";

/* ---- run ------------------------------------------------------------------------------ */

static int
load_listings(struct db *db, const struct actor *a, struct arena *arena,
              struct reconcile_listing **out, size_t *n)
{
    struct db_stmt *st = NULL;
    struct reconcile_listing *items = NULL;
    size_t cap = 0;
    bool row;
    int rc;
    *n = 0;
    if ((rc = db_prepare(db, sql_listings, &st)) ||
        (rc = db_bind_text(st, 1, a->subdistrict, strlen(a->subdistrict))))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t len = 0;
        const char *gb = db_col_text(st, 0, &len);
        if (len != CAMERA_ID_LEN)
            continue;
        VEC_ARENA_ROOM(arena, items, *n, cap);
        struct reconcile_listing *l = &items[(*n)++];
        memset(l, 0, sizeof *l);
        memcpy(l->gb_id, gb, CAMERA_ID_LEN);
        l->place_id = db_col_i64(st, 1);
        l->toilet_name = db_col_arena(st, 2, arena);
        l->pos.lon = (double)db_col_i64(st, 3) / 1e6;
        l->pos.lat = (double)db_col_i64(st, 4) / 1e6;
    }
out:
    db_done(st);
    *out = items;
    return rc;
}

/* read_devices reads the export into an arena array of devices. */
static int
read_devices(struct table *t, enum geo_crs crs, struct arena *arena, struct reconcile_device **out,
             size_t *n, struct reconcile_result *res, struct buf *why)
{
    struct device_list d;
    struct table_row row;
    struct device_row dr;
    struct reconcile_device *items = NULL;
    size_t cap = 0;
    int rc;
    *n = 0;
    device_list_init(&d, crs);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        device_list_feed(&d, &row, &dr);
        if (dr.kind != DEVICE_ROW_OK)
            continue;
        VEC_ARENA_ROOM(arena, items, *n, cap);
        struct reconcile_device *x = &items[(*n)++];
        memcpy(x->gb_id, dr.gb_id, sizeof x->gb_id);
        x->name = arena_strdup(arena, dr.name);
        x->has_pos = dr.has_pos;
        x->pos = dr.pos;
        x->status = dr.status;
    }
    if (rc && why)
        buf_adds(why, table_message(t));
    if (!rc)
        rc = device_list_finish(&d, why);
    res->devices = d.devices;
    res->rejected = d.rejected;
    res->duplicates = d.duplicates;
    device_list_release(&d);
    *out = items;
    return rc;
}

/* item_places writes the item's toilet ids and names (matched: the near ones). */
static void
item_places(const struct reconcile_item *it, struct buf *ids, struct buf *names)
{
    for (size_t i = 0; i < it->n_listings; i++) {
        const struct reconcile_listing *l = &it->listings[i];
        if (it->cls == RECONCILE_MATCHED && !l->near)
            continue;
        buf_printf(ids, "%s%lld", ids->len ? " " : "", (long long)l->place_id);
        buf_printf(names, "%s%s", names->len ? "、" : "", l->toilet_name);
    }
}

static int
store_item(struct db *db, int64_t run, int64_t seq, const struct reconcile_item *it)
{
    struct db_stmt *st = NULL;
    struct buf ids = BUF_INIT, names = BUF_INIT;
    const struct reconcile_device *d = it->device;
    const char *cls = reconcile_class_code(it->cls);
    const char *status = d ? device_status_code(d->status) : "";
    bool row;
    int rc;
    item_places(it, &ids, &names);
    if ((rc = db_prepare(db, sql_row_insert, &st)))
        goto out;
    rc = db_bind_i64(st, 1, run);
    if (!rc) rc = db_bind_i64(st, 2, seq);
    if (!rc) rc = db_bind_text(st, 3, it->gb_id, CAMERA_ID_LEN);
    if (!rc) rc = db_bind_text(st, 4, cls, strlen(cls));
    if (!rc) rc = it->distance_m >= 0 ? db_bind_i64(st, 5, llround(it->distance_m * 10)) : db_bind_null(st, 5);
    if (!rc) rc = db_bind_text(st, 6, ids.data, ids.len);
    if (!rc) rc = db_bind_text(st, 7, names.data, names.len);
    if (!rc) rc = db_bind_text(st, 8, d ? d->name : "", d ? strlen(d->name) : 0);
    if (!rc) rc = d && d->has_pos ? db_bind_i64(st, 9, llround(d->pos.lon * 1e6)) : db_bind_null(st, 9);
    if (!rc) rc = d && d->has_pos ? db_bind_i64(st, 10, llround(d->pos.lat * 1e6)) : db_bind_null(st, 10);
    if (!rc) rc = db_bind_text(st, 11, status, strlen(status));
    if (!rc) rc = db_bind_text(st, 12, it->reason, strlen(it->reason));
    if (!rc) rc = db_step(st, &row);
out:
    db_done(st);
    buf_release(&ids);
    buf_release(&names);
    return rc;
}

static int
store_run(struct app *app, struct db *db, const struct actor *a, double within_m,
          const struct reconcile_item *items, size_t n, struct reconcile_result *res)
{
    struct db_stmt *st = NULL;
    int64_t now = time_now_ms();
    char target[32], detail[160];
    bool row = false;
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_run_insert, &st)))
        goto fail;
    rc = db_bind_text(st, 1, a->name, strlen(a->name));
    if (!rc) rc = db_bind_i64(st, 2, now);
    if (!rc) rc = db_bind_text(st, 3, a->subdistrict, strlen(a->subdistrict));
    if (!rc) rc = db_bind_i64(st, 4, llround(within_m));
    if (!rc) rc = db_bind_i64(st, 5, (int64_t)res->devices);
    if (!rc) rc = db_bind_i64(st, 6, (int64_t)res->rejected);
    for (int c = 0; !rc && c < RECONCILE__COUNT; c++)
        rc = db_bind_i64(st, 7 + c, (int64_t)res->by_class[c]);
    if (!rc) rc = db_step(st, &row);
    if (!rc && !row)
        rc = ERR_DB;
    if (!rc)
        res->id = db_col_i64(st, 0);
    db_done(st);
    for (size_t i = 0; !rc && i < n; i++)
        rc = store_item(db, res->id, (int64_t)i + 1, &items[i]);
    if (rc)
        goto fail;
    snprintf(target, sizeof target, "%lld", (long long)res->id);
    snprintf(detail, sizeof detail, "within=%lld matched=%llu conflict=%llu only_survey=%llu only_online=%llu",
             (long long)llround(within_m), (unsigned long long)res->by_class[0],
             (unsigned long long)res->by_class[1], (unsigned long long)res->by_class[2],
             (unsigned long long)res->by_class[3]);
    if ((rc = audit_append(db, &app->keys, a, "reconciliations.create", target, "ok", detail)))
        goto fail;
    return db_commit(db);
fail:
    db_rollback(db);
    return rc;
}

int
reconcile_run(struct app *app, struct db *db, const struct actor *a, struct table *t,
              enum geo_crs crs, double within_m, reconcile_item_fn fn, void *ctx,
              struct reconcile_result *res, struct buf *why)
{
    struct arena arena = ARENA_INIT;
    struct reconcile_listing *listings = NULL;
    struct reconcile_device *devices = NULL;
    struct reconcile_item *items = NULL;
    size_t nl = 0, nd = 0, n = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if (!(within_m > 0 && within_m <= RECONCILE_WITHIN_MAX)) {
        if (why)
            buf_printf(why, "'within' must be between 1 and %.0f metres", RECONCILE_WITHIN_MAX);
        return ERR_INVALID;
    }
    if ((rc = read_devices(t, crs, &arena, &devices, &nd, res, why)) ||
        (rc = load_listings(db, a, &arena, &listings, &nl)))
        goto out;
    reconcile_classify(listings, nl, devices, nd, within_m, &arena, &items, &n);
    for (size_t i = 0; i < n; i++) {
        res->by_class[items[i].cls]++;
        if (fn && (rc = fn(ctx, &items[i])))
            goto out;
    }
    rc = store_run(app, db, a, within_m, items, n, res);
out:
    arena_release(&arena);
    return rc;
}

/* ---- reads ---------------------------------------------------------------------------- */

int
reconcile_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
              struct reconcile_info *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = db_prepare(db, sql_run_get, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    out->created_by = db_col_arena(st, 1, arena);
    out->created_at = db_col_i64(st, 2);
    out->subdistrict = db_col_arena(st, 3, arena);
    out->within_m = db_col_i64(st, 4);
    out->devices = db_col_i64(st, 5);
    out->rejected = db_col_i64(st, 6);
    for (int c = 0; c < RECONCILE__COUNT; c++)
        out->by_class[c] = db_col_i64(st, 7 + c);
    out->binding_batch = db_col_i64(st, 11);
    /* a district run, or another subdistrict's, is not shown to a subdistrict actor */
    if (a->subdistrict[0] && strcmp(a->subdistrict, out->subdistrict) != 0)
        rc = ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

int
reconcile_rows(struct db *db, const struct actor *a, int64_t id, const char *cls, int64_t after,
               size_t limit, struct arena *arena, struct reconcile_row **items, size_t *n,
               int64_t *total)
{
    struct reconcile_info info;
    struct db_stmt *st = NULL;
    struct reconcile_row *out = NULL;
    size_t cap = 0;
    bool row = false;
    int rc;
    *n = 0;
    *total = 0;
    *items = NULL;
    if (limit < 1 || limit > RECONCILE_LIST_MAX)
        return ERR_INVALID;
    if ((rc = reconcile_get(db, a, id, arena, &info)))
        return rc;
    if ((rc = db_report_page(db, sql_rows_count, sql_rows, id, cls, after, limit, total, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, *n, cap);
        struct reconcile_row *r = &out[(*n)++];
        r->seq = db_col_i64(st, 0);
        r->gb_id = db_col_arena(st, 1, arena);
        r->cls = db_col_arena(st, 2, arena);
        r->distance_m = db_col_is_null(st, 3) ? -1 : (double)db_col_i64(st, 3) / 10;
        r->place_ids = db_col_arena(st, 4, arena);
        r->toilets = db_col_arena(st, 5, arena);
        r->net_name = db_col_arena(st, 6, arena);
        r->has_pos = !db_col_is_null(st, 7);
        r->lon_e6 = db_col_i64(st, 7);
        r->lat_e6 = db_col_i64(st, 8);
        r->net_status = db_col_arena(st, 9, arena);
        r->reason = db_col_arena(st, 10, arena);
    }
out:
    db_done(st);
    *items = out;
    return rc;
}

/* ---- bind ----------------------------------------------------------------------------- */

/* bind_camera returns the ledger id of gb_id, adding it from the export when missing. */
static int
bind_camera(struct db *db, const char *gb_id, const char *name, bool has_pos, int64_t lon_e6,
            int64_t lat_e6, const char *subdistrict, int64_t now, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *id = 0;
    if ((rc = db_prepare(db, sql_camera_insert, &st)))
        return rc;
    rc = db_bind_text(st, 1, gb_id, strlen(gb_id));
    if (!rc) rc = db_bind_text(st, 2, name[0] ? name : gb_id, strlen(name[0] ? name : gb_id));
    if (!rc) rc = has_pos ? db_bind_i64(st, 3, lon_e6) : db_bind_null(st, 3);
    if (!rc) rc = has_pos ? db_bind_i64(st, 4, lat_e6) : db_bind_null(st, 4);
    if (!rc) rc = has_pos ? db_bind_i64(st, 5, geo_cell_key_e6(lon_e6, lat_e6))
                          : db_bind_null(st, 5);
    if (!rc) rc = db_bind_i64(st, 6, now);
    if (!rc) rc = db_bind_nonempty(st, 7, subdistrict);
    if (!rc) rc = db_step(st, &row);
    db_done(st);
    if (rc || (rc = db_prepare(db, sql_camera_id, &st)))
        return rc;
    rc = db_bind_text(st, 1, gb_id, strlen(gb_id));
    if (!rc) rc = db_step(st, &row);
    if (!rc)
        *id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

/* bind_row binds one matched camera to each of its toilets in scope. */
static int
bind_row(struct db *db, const struct actor *a, struct db_stmt *r, int64_t batch, int64_t now,
         size_t *bound)
{
    struct arena arena = ARENA_INIT;
    const char *gb = db_col_arena(r, 0, &arena), *ids = db_col_arena(r, 1, &arena);
    const char *name = db_col_arena(r, 2, &arena);
    bool has_pos = !db_col_is_null(r, 3);
    int64_t lon = db_col_i64(r, 3), lat = db_col_i64(r, 4), camera = 0;
    int rc = 0;
    for (const char *p = ids; !rc && *p;) {
        int64_t place = 0;
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        struct db_stmt *st = NULL;
        bool row = false, created = false;
        if (str_to_i64((struct str){ p, len }, &place, 1, INT64_MAX) == 0 &&
            !(rc = db_prepare(db, sql_place_sub, &st)) && !(rc = db_bind_i64(st, 1, place)) &&
            !(rc = db_step(st, &row)) && row) {
            const char *sub = db_col_arena(st, 0, &arena);
            db_done(st);
            st = NULL;
            if (actor_in_scope(a, sub)) {
                if (!camera)
                    rc = bind_camera(db, gb, name, has_pos, lon, lat, sub, now, &camera);
                if (!rc && camera)
                    rc = binding__put(db, a, place, camera, batch, now, &created);
                *bound += created;
            }
        }
        db_done(st);
        p += len + (sp ? 1 : 0);
    }
    arena_release(&arena);
    return rc;
}

/* bind_check: ERR_CONFLICT when the run's batch exists and was not undone. */
static int
bind_check(struct db *db, int64_t batch)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!batch)
        return 0;
    if (!(rc = db_prepare(db, sql_batch_undone, &st)) && !(rc = db_bind_i64(st, 1, batch)) &&
        !(rc = db_step(st, &row)) && row && db_col_i64(st, 0) == 0)
        rc = ERR_CONFLICT;
    db_done(st);
    return rc;
}

int
reconcile_bind(struct app *app, struct db *db, const struct actor *a, int64_t id, size_t *bound,
               int64_t *batch_id)
{
    struct arena arena = ARENA_INIT;
    struct reconcile_info info;
    struct db_stmt *st = NULL;
    int64_t now = time_now_ms();
    char ref[32], detail[96];
    bool row;
    int rc;

    *bound = 0;
    *batch_id = 0;
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = reconcile_get(db, a, id, &arena, &info)) || (rc = bind_check(db, info.binding_batch)))
        goto fail;
    snprintf(ref, sizeof ref, "%lld", (long long)id);
    if ((rc = binding__batch_new(db, a, "reconcile", ref, now, batch_id)))
        goto fail;
    if ((rc = db_prepare(db, sql_bind_rows, &st)) || (rc = db_bind_i64(st, 1, id)))
        goto fail;
    while (!(rc = db_step(st, &row)) && row)
        if ((rc = bind_row(db, a, st, *batch_id, now, bound)))
            break;
    db_done(st);
    st = NULL;
    if (rc || (rc = db_prepare(db, sql_run_bound, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, *batch_id)) || (rc = db_step(st, &row)))
        goto fail;
    db_done(st);
    st = NULL;
    snprintf(detail, sizeof detail, "batch=%lld bound=%zu", (long long)*batch_id, *bound);
    /* one event for the step (lock order: outbox head, then audit head) */
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "bindings", a->subdistrict,
                          json_pack("{s:s, s:I, s:I, s:I}", "action", "batch_bound", "batch_id",
                                    (json_int_t)*batch_id, "reconciliation_id", (json_int_t)id, "bound",
                                    (json_int_t)*bound))) ||
        (rc = audit_append(db, &app->keys, a, "reconciliations.bind", ref, "ok", detail)))
        goto fail;
    if (!(rc = db_commit(db)))
        push_kick();
    goto out;
fail:
    db_done(st);
    db_rollback(db);
    *bound = 0;
    *batch_id = 0;
out:
    arena_release(&arena);
    return rc;
}
