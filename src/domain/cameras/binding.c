/* domain/cameras/binding.c - place ↔ camera bindings and binding batches (R3.1, R3.9,
 * issue 8). See binding.h. Each public change is one transaction with a "bindings" outbox
 * event and an audit entry; the double-underscore functions run inside a caller's.
 */
#include "domain/cameras/binding.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "db/db.h"
#include "domain/cameras/camera.h"
#include "domain/ingest/ingest.h"
#include "domain/places/place.h"
#include "push/outbox.h"

static const char sql_put[] =
    "INSERT INTO place_cameras (place_id, camera_id, bound_by, bound_at, batch_id) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (place_id, camera_id) DO NOTHING";
static const char sql_remove[] = "DELETE FROM place_cameras WHERE place_id = ?1 AND camera_id = ?2";
static const char sql_batch_new[] =
    "INSERT INTO binding_batches (kind, ref, created_by, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id";
static const char sql_batch_get[] = "SELECT undone_at FROM binding_batches WHERE id = ?1";
static const char sql_batch_out_of_scope[] =
    "SELECT count(*) FROM place_cameras pc JOIN places p ON p.id = pc.place_id"
    " LEFT JOIN sites s ON s.id = p.site_id WHERE pc.batch_id = ?1"
    " AND COALESCE(p.subdistrict, s.subdistrict, '') <> ?2";
static const char sql_batch_remove[] = "DELETE FROM place_cameras WHERE batch_id = ?1";
static const char sql_batch_undone[] =
    "UPDATE binding_batches SET undone_by = ?2, undone_at = ?3 WHERE id = ?1 AND undone_at = 0";
static const char sql_list[] =
    "SELECT pc.place_id, pc.camera_id, COALESCE(pc.batch_id, 0), pc.bound_at, c.gb_id, v.name, c.name,"
    " pc.bound_by FROM place_cameras pc JOIN cameras c ON c.id = pc.camera_id"
    " JOIN place_v v ON v.id = pc.place_id"
    " WHERE (?1 = 0 OR pc.place_id = ?1) AND (?2 = 0 OR pc.camera_id = ?2) AND c.deleted_at = 0"
    " AND v.deleted_at = 0 AND (?3 = '' OR (v.subdistrict = ?3 AND c.subdistrict = ?3))"
    " ORDER BY pc.place_id, pc.camera_id LIMIT ?4";

int
binding__batch_new(struct db *db, const struct actor *a, const char *kind, const char *ref, int64_t now,
                   int64_t *batch_id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_batch_new, &st)) && !(rc = ingest_bind_str(st, 1, kind)) &&
        !(rc = ingest_bind_str(st, 2, ref)) && !(rc = ingest_bind_str(st, 3, a->name)) &&
        !(rc = db_bind_i64(st, 4, now)) && !(rc = db_step(st, &row)))
        rc = row ? (*batch_id = db_col_i64(st, 0), 0) : ERR_DB;
    db_done(st);
    return rc;
}

int
binding__put(struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id, int64_t batch_id,
             int64_t now, bool *created)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_put, &st)) && !(rc = db_bind_i64(st, 1, place_id)) &&
        !(rc = db_bind_i64(st, 2, camera_id)) && !(rc = ingest_bind_str(st, 3, a->name)) &&
        !(rc = db_bind_i64(st, 4, now)) && !(rc = batch_id ? db_bind_i64(st, 5, batch_id) : db_bind_null(st, 5)) &&
        !(rc = db_step(st, &row)))
        *created = db_changes(st) == 1;
    db_done(st);
    return rc;
}

/* binding_ends checks that both ends are live and in scope (ERR_NOT_FOUND otherwise). */
static int
binding_ends(struct db *db, const struct actor *a, struct arena *arena, int64_t place_id, int64_t camera_id,
             struct place *p, struct camera *c)
{
    int rc;
    if ((rc = place_get(db, a, place_id, arena, p)) || (rc = camera_get(db, a, camera_id, arena, c)))
        return rc;
    return p->deleted_at || c->deleted_at ? ERR_NOT_FOUND : 0;
}

static json_t *
binding_event(const char *action, int64_t place_id, const struct camera *c)
{
    return json_pack("{s:s, s:I, s:I, s:s}", "action", action, "place_id", (json_int_t)place_id, "camera_id",
                     (json_int_t)c->id, "gb_id", c->gb_id);
}

static int
binding_change(struct app *app, struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id,
               int64_t batch_id, bool add, bool *changed)
{
    struct arena arena = ARENA_INIT;
    struct place p;
    struct camera c;
    struct db_stmt *st = NULL;
    bool in_tx = false, row = false;
    int64_t now = time_now_ms();
    char target[64];
    int rc;
    *changed = false;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = binding_ends(db, a, &arena, place_id, camera_id, &p, &c)))
        goto out;
    if (add) {
        if ((rc = binding__put(db, a, place_id, camera_id, batch_id, now, changed)))
            goto out;
    } else {
        if ((rc = db_prepare(db, sql_remove, &st)) || (rc = db_bind_i64(st, 1, place_id)) ||
            (rc = db_bind_i64(st, 2, camera_id)) || (rc = db_step(st, &row)))
            goto out;
        *changed = db_changes(st) == 1;
        db_done(st);
        st = NULL;
        if (!*changed) {
            rc = ERR_NOT_FOUND;
            goto out;
        }
    }
    if (*changed && ((rc = outbox_lock(db)) ||
                     (rc = ingest_emit(db, "bindings", p.subdistrict, binding_event(add ? "bound" : "unbound", place_id, &c)))))
        goto out;
    snprintf(target, sizeof target, "place:%lld/camera:%lld", (long long)place_id, (long long)camera_id);
    if ((rc = ingest_audit_commit(app, db, a, add ? "bindings.add" : "bindings.remove", target,
                                  *changed ? NULL : "unchanged")))
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
binding_add(struct app *app, struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id,
            int64_t batch_id, bool *created)
{
    return binding_change(app, db, a, place_id, camera_id, batch_id, true, created);
}

int
binding_remove(struct app *app, struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id)
{
    bool changed = false;
    return binding_change(app, db, a, place_id, camera_id, 0, false, &changed);
}

int
binding_batch_undo(struct app *app, struct db *db, const struct actor *a, int64_t batch_id, size_t *removed)
{
    struct db_stmt *st = NULL;
    bool in_tx = false, row = false;
    int64_t now = time_now_ms();
    char target[40], detail[40];
    int rc;
    *removed = 0;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_batch_get, &st)) || (rc = db_bind_i64(st, 1, batch_id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row || db_col_i64(st, 0) != 0) {
        rc = row ? ERR_CONFLICT : ERR_NOT_FOUND;
        goto out;
    }
    db_done(st);
    st = NULL;
    if (a->subdistrict[0]) {
        if ((rc = db_prepare(db, sql_batch_out_of_scope, &st)) || (rc = db_bind_i64(st, 1, batch_id)) ||
            (rc = ingest_bind_str(st, 2, a->subdistrict)) || (rc = db_step(st, &row)))
            goto out;
        if (row && db_col_i64(st, 0) > 0) {
            rc = ERR_FORBIDDEN;
            goto out;
        }
        db_done(st);
        st = NULL;
    }
    if ((rc = db_prepare(db, sql_batch_remove, &st)) || (rc = db_bind_i64(st, 1, batch_id)) || (rc = db_step(st, &row)))
        goto out;
    *removed = (size_t)db_changes(st);
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_batch_undone, &st)) || (rc = db_bind_i64(st, 1, batch_id)) ||
        (rc = ingest_bind_str(st, 2, a->name)) || (rc = db_bind_i64(st, 3, now)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "binding_batch:%lld", (long long)batch_id);
    snprintf(detail, sizeof detail, "removed=%zu", *removed);
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "bindings", "", json_pack("{s:s, s:I, s:I}", "action", "undone", "batch_id",
                                                        (json_int_t)batch_id, "removed", (json_int_t)*removed))) ||
        (rc = ingest_audit_commit(app, db, a, "bindings.undo", target, detail)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    return rc;
}

int
binding_list(struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id, size_t cap,
             struct arena *arena, struct binding **items, size_t *n)
{
    struct db_stmt *st = NULL;
    struct binding *out = NULL;
    size_t count = 0, acap = 0;
    bool row = false;
    int rc;
    *items = NULL;
    *n = 0;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = db_bind_i64(st, 1, place_id)) ||
        (rc = db_bind_i64(st, 2, camera_id)) || (rc = ingest_bind_str(st, 3, a->subdistrict)) ||
        (rc = db_bind_i64(st, 4, (int64_t)cap)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        out = ingest_grow(arena, out, count, &acap, sizeof *out);
        struct binding *b = &out[count++];
        b->place_id = db_col_i64(st, 0);
        b->camera_id = db_col_i64(st, 1);
        b->batch_id = db_col_i64(st, 2);
        b->bound_at = db_col_i64(st, 3);
        b->gb_id = ingest_col_str(st, 4, arena);
        b->place_name = ingest_col_str(st, 5, arena);
        b->camera_name = ingest_col_str(st, 6, arena);
        b->bound_by = ingest_col_str(st, 7, arena);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}
