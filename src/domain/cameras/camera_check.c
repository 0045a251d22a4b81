/* domain/cameras/camera_check.c - camera checks and the check lists of place kinds (R3.11,
 * issue 8). See camera_check.h. A check is one appended row plus an audit entry; the list
 * joins every live binding in scope to the latest check of its camera.
 */
#include "domain/cameras/camera_check.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "db/db.h"
#include "domain/cameras/camera.h"
#include "domain/ingest/ingest.h"
#include "domain/places/place.h"

#define CHECK_DAY_MS 86400000LL

static const char sql_add[] =
    "INSERT INTO camera_checks (camera_id, place_id, position_ok, playable, covers, note, checked_by, checked_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id";
/* Latest check per camera: the row with the greatest (checked_at, id). */
static const char sql_list[] =
    "SELECT pc.camera_id, pc.place_id, c.gb_id, c.name, v.name, v.kind, k.id, k.checked_at, k.position_ok,"
    " k.playable, k.covers, k.checked_by"
    " FROM place_cameras pc JOIN cameras c ON c.id = pc.camera_id JOIN place_v v ON v.id = pc.place_id"
    " LEFT JOIN camera_checks k ON k.id = (SELECT k2.id FROM camera_checks k2 WHERE k2.camera_id = pc.camera_id"
    "   ORDER BY k2.checked_at DESC, k2.id DESC LIMIT 1)"
    " WHERE c.deleted_at = 0 AND v.deleted_at = 0 AND (?1 = '' OR v.kind = ?1)"
    " AND (?2 = '' OR (v.subdistrict = ?2 AND c.subdistrict = ?2))"
    " AND (?3 = 0 OR k.id IS NULL OR k.checked_at < ?3)"
    " ORDER BY pc.place_id, pc.camera_id LIMIT ?4";

int
camera_check_add(struct app *app, struct db *db, const struct actor *a, const struct camera_check_input *in,
                 int64_t *id)
{
    struct arena arena = ARENA_INIT;
    struct camera c;
    struct place p;
    struct db_stmt *st = NULL;
    bool in_tx = false, row = false;
    int64_t now = time_now_ms();
    char target[40];
    int rc;
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = camera_get(db, a, in->camera_id, &arena, &c)) ||
        (in->place_id && (rc = place_get(db, a, in->place_id, &arena, &p))))
        goto out;
    if (c.deleted_at || (in->place_id && p.deleted_at)) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = db_prepare(db, sql_add, &st)) || (rc = db_bind_i64(st, 1, in->camera_id)) ||
        (rc = in->place_id ? db_bind_i64(st, 2, in->place_id) : db_bind_null(st, 2)) ||
        (rc = db_bind_i64(st, 3, in->position_ok)) || (rc = db_bind_i64(st, 4, in->playable)) ||
        (rc = ingest_bind_str(st, 5, in->covers)) || (rc = ingest_bind_str(st, 6, in->note)) ||
        (rc = ingest_bind_str(st, 7, a->name)) || (rc = db_bind_i64(st, 8, now)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_DB;
        goto out;
    }
    *id = db_col_i64(st, 0);
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "camera:%lld", (long long)in->camera_id);
    if ((rc = ingest_audit_commit(app, db, a, "cameras.check", target, in->playable ? "playable" : "not playable")))
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
camera_check_list(struct db *db, const struct actor *a, const char *kind, int64_t stale_days, int64_t now,
                  size_t cap, struct arena *arena, struct camera_check_row **items, size_t *n)
{
    struct db_stmt *st = NULL;
    struct camera_check_row *out = NULL;
    size_t count = 0, acap = 0;
    bool row = false;
    int rc;
    *items = NULL;
    *n = 0;
    if (stale_days < 0 || stale_days > 3650 || cap == 0 || cap > CAMERA_CHECK_LIST_MAX)
        return ERR_INVALID;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = ingest_bind_str(st, 1, kind)) ||
        (rc = ingest_bind_str(st, 2, a->subdistrict)) ||
        (rc = db_bind_i64(st, 3, stale_days ? now - stale_days * CHECK_DAY_MS : 0)) ||
        (rc = db_bind_i64(st, 4, (int64_t)cap)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        out = ingest_grow(arena, out, count, &acap, sizeof *out);
        struct camera_check_row *r = &out[count++];
        memset(r, 0, sizeof *r);
        r->camera_id = db_col_i64(st, 0);
        r->place_id = db_col_i64(st, 1);
        r->gb_id = ingest_col_str(st, 2, arena);
        r->camera_name = ingest_col_str(st, 3, arena);
        r->place_name = ingest_col_str(st, 4, arena);
        r->place_kind = ingest_col_str(st, 5, arena);
        r->checked = !db_col_is_null(st, 6);
        r->check_id = db_col_i64(st, 6);
        r->checked_at = db_col_i64(st, 7);
        r->position_ok = db_col_i64(st, 8) != 0;
        r->playable = db_col_i64(st, 9) != 0;
        r->covers = ingest_col_str(st, 10, arena);
        r->checked_by = ingest_col_str(st, 11, arena);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}
