/* domain/testing/sample_correct.c - a sample's fields corrected by its source (R2.4 修改, issue
 * 10): validation as at ingest, the version before the change kept in sample_history (sealed
 * fields copied sealed), the new personal fields sealed and blind-indexed, one
 * "samples.corrected" event naming the fields (never their values) and the audit entry, in
 * one transaction. Place, time and plan are not correctable here (they move counters:
 * delete the sample and send it again). See sample.h.
 */
#include "domain/testing/sample.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "push/outbox.h"

static const char sql_lock[] = "UPDATE samples SET deleted_at = deleted_at WHERE id = ?1";
static const char sql_get[] =
    "SELECT s.source, s.subdistrict, s.deleted_at, s.person_bidx, s.id_number, s.name, s.phone, s.tube_code,"
    " s.mix_size, s.mix_index, s.collector, t.code FROM samples s JOIN sites t ON t.id = s.site_id WHERE s.id = ?1";
static const char sql_history[] =
    "INSERT INTO sample_history (sample_id, changed_at, actor, reason, fields, person_bidx, id_number, name, phone,"
    " tube_code, mix_size, mix_index, collector, person_bidx_b) SELECT id, ?2, ?3, ?4, ?5, person_bidx, id_number,"
    " name, phone, tube_code, mix_size, mix_index, collector, person_bidx_b FROM samples WHERE id = ?1";
static const char sql_update[] =
    "UPDATE samples SET person_bidx = ?2, id_number = ?3, name = ?4, phone = ?5, tube_code = ?6, mix_size = ?7,"
    " mix_index = ?8, collector = ?9, person_bidx_b = CASE WHEN ?10 = 1 THEN ?11 ELSE person_bidx_b END WHERE id = ?1";

/* A sealed column: blob (arena) and its length; NULL = SQL NULL. */
struct sealed {
    const void *p;
    size_t n;
};

struct sample_stored {
    const char *source, *subdistrict, *tube_code, *site_code;
    int64_t deleted_at, bidx, mix_size, mix_index;
    int64_t bidx_b; /* the second index slot, written when the ID changes (new_b) */
    bool new_b, has_b;
    struct sealed id_number, name, phone, collector;
};

/* The parsed patch: NULL / 0 = unchanged. */
struct sample_patch {
    char id_number[19];
    const char *name, *phone, *tube_code, *collector;
    int64_t mix_size, mix_index;
    bool clear_phone, clear_collector;
};

/* sample_reason_ok: 1..SAMPLE_REASON_MAX bytes of text without a run of 15 or more digits
 * (the reason is stored beside the history and must never hold an ID number). */
static bool
sample_reason_ok(const char *reason)
{
    size_t n = reason ? strlen(reason) : 0, run = 0;
    if (n == 0 || n > SAMPLE_REASON_MAX || !str_is_utf8(reason, n) || str_has_ctl(reason, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        run = (reason[i] >= '0' && reason[i] <= '9') ? run + 1 : 0;
        if (run >= 15)
            return false;
    }
    return true;
}

/* sample_patch_parse validates patch; names the changed fields into fields. */
static int
sample_patch_parse(json_t *patch, struct sample_patch *p, struct buf *fields, struct ingest_outcome *why)
{
    static const char *const known[] = { "source", "reason", "id_number", "name", "phone", "tube_code",
                                         "mix_size", "mix_index", "collector", NULL };
    static const char *const names[] = { "id_number", "name", "phone", "tube_code", "mix_size", "mix_index",
                                         "collector", NULL };
    int rc;
    if (!json_is_object(patch))
        return ingest_reject(why, "", "the body must be a JSON object");
    if ((rc = ingest_known_keys(patch, known, why)) ||
        (json_object_get(patch, "id_number") && !json_is_null(json_object_get(patch, "id_number")) &&
         (rc = ingest_idno(patch, "id_number", p->id_number, why))) ||
        (rc = ingest_text(patch, "name", false, 64, &p->name, why)) ||
        (rc = ingest_text(patch, "phone", false, 32, &p->phone, why)) ||
        (rc = ingest_code(patch, "tube_code", false, 32, &p->tube_code, why)) ||
        (rc = ingest_int(patch, "mix_size", false, 1, 50, &p->mix_size, why)) ||
        (rc = ingest_int(patch, "mix_index", false, 1, 50, &p->mix_index, why)) ||
        (rc = ingest_text(patch, "collector", false, 64, &p->collector, why)))
        return rc;
    p->clear_phone = json_is_null(json_object_get(patch, "phone"));
    p->clear_collector = json_is_null(json_object_get(patch, "collector"));
    for (size_t i = 0; names[i]; i++) {
        json_t *v = json_object_get(patch, names[i]);
        if (!v || (json_is_null(v) && strcmp(names[i], "phone") && strcmp(names[i], "collector")))
            continue;
        buf_printf(fields, "%s%s", fields->len ? "," : "", names[i]);
    }
    if (!fields->len)
        return ingest_reject(why, "", "nothing to correct");
    return 0;
}

static struct sealed
sample_col_sealed(struct db_stmt *st, int col, struct arena *arena)
{
    struct sealed s = { NULL, 0 };
    s.p = db_col_blob_arena(st, col, arena, &s.n);
    return s;
}

/* sample_read reads sample id (live, in a's scope) under the row lock. */
static int
sample_read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct sample_stored *r)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = ingest_lock_row(db, sql_lock, id)))
        return rc;
    if (!(rc = db_prepare(db, sql_get, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row))) {
        if (row) {
            r->source = db_col_arena(st, 0, arena);
            r->subdistrict = db_col_arena(st, 1, arena);
            r->deleted_at = db_col_i64(st, 2);
            r->bidx = db_col_i64(st, 3);
            r->id_number = sample_col_sealed(st, 4, arena);
            r->name = sample_col_sealed(st, 5, arena);
            r->phone = sample_col_sealed(st, 6, arena);
            r->tube_code = db_col_arena(st, 7, arena);
            r->mix_size = db_col_i64(st, 8);
            r->mix_index = db_col_i64(st, 9);
            r->collector = sample_col_sealed(st, 10, arena);
            r->site_code = db_col_arena(st, 11, arena);
        }
        if (!row || r->deleted_at || !actor_in_scope(a, r->subdistrict))
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    return rc;
}

/* sample_seal replaces *s with text sealed under ad (text NULL: unchanged, unless clear). */
static int
sample_seal(struct app *app, struct arena *arena, const char *ad, const char *text, bool clear, struct sealed *s)
{
    size_t n, cap, len = 0;
    uint8_t *out;
    int rc;
    if (clear) {
        *s = (struct sealed){ NULL, 0 };
        return 0;
    }
    if (!text)
        return 0;
    n = strlen(text);
    cap = FIELD_SEALED_LEN(n);
    out = arena_alloc(arena, cap);
    if ((rc = field_seal(&app->keys, ad, text, n, out, cap, &len)))
        return rc;
    *s = (struct sealed){ out, len };
    return 0;
}

static int
sample_bind_sealed(struct db_stmt *st, int idx, const struct sealed *s)
{
    return s->p ? db_bind_blob(st, idx, s->p, s->n) : db_bind_null(st, idx);
}

/* sample_write copies the current version into sample_history and writes r. */
static int
sample_write(struct db *db, int64_t id, const struct sample_stored *r, const char *who, const char *reason,
             const char *fields)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_history, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_bind_str(st, 3, who)) ||
        (rc = db_bind_str(st, 4, reason)) || (rc = db_bind_str(st, 5, fields)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_bind_i64(st, 2, r->bidx)) ||
        (rc = sample_bind_sealed(st, 3, &r->id_number)) || (rc = sample_bind_sealed(st, 4, &r->name)) ||
        (rc = sample_bind_sealed(st, 5, &r->phone)) || (rc = db_bind_str(st, 6, r->tube_code)) ||
        (rc = db_bind_i64(st, 7, r->mix_size)) || (rc = db_bind_i64(st, 8, r->mix_index)) ||
        (rc = sample_bind_sealed(st, 9, &r->collector)) || (rc = db_bind_i64(st, 10, r->new_b ? 1 : 0)) ||
        (rc = r->has_b ? db_bind_i64(st, 11, r->bidx_b) : db_bind_null(st, 11)))
        goto out;
    rc = db_step(st, &row);
out:
    db_done(st);
    return rc;
}

int
sample_correct(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
               struct ingest_outcome *why)
{
    struct arena arena = ARENA_INIT;
    struct buf fields = BUF_INIT;
    struct sample_patch p;
    struct sample_stored r;
    const char *source = json_string_value(json_object_get(patch, "source"));
    const char *reason = json_string_value(json_object_get(patch, "reason"));
    char who[96], target[40];
    bool in_tx = false;
    int rc;

    memset(why, 0, sizeof *why);
    memset(&p, 0, sizeof p);
    memset(&r, 0, sizeof r);
    if ((rc = sample_patch_parse(patch, &p, &fields, why)))
        goto out;
    if (!source || !*source) {
        rc = ingest_reject(why, "source", "'source' must name the system that sent the sample");
        goto out;
    }
    if (!sample_reason_ok(reason)) {
        rc = ingest_reject(why, "reason", "'reason' must have 1 to %d bytes of text without ID numbers",
                           SAMPLE_REASON_MAX);
        goto out;
    }
    snprintf(who, sizeof who, "%s%s", a->kind == ACTOR_SYSTEM ? "system:" : "", a->name[0] ? a->name : "anonymous");
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = sample_read(db, a, id, &arena, &r)))
        goto out;
    if (strcmp(r.source, source)) {
        rc = ingest_reject(why, "source", "a sample is corrected by its source only");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    r.mix_size = p.mix_size ? p.mix_size : r.mix_size;
    r.mix_index = p.mix_index ? p.mix_index : r.mix_index;
    if (r.mix_index > r.mix_size) {
        rc = ingest_reject(why, "mix_index", "'mix_index' is larger than 'mix_size'");
        goto out;
    }
    if (p.tube_code)
        r.tube_code = p.tube_code;
    if (p.id_number[0]) { /* both index slots (issue 12 rotate-index) */
        int64_t slots[2];
        bool has[2];
        if ((rc = blind_index_slots(&app->keys, p.id_number, strlen(p.id_number), slots, has)))
            goto out;
        r.bidx = slots[0];
        r.bidx_b = slots[1];
        r.has_b = has[1];
        r.new_b = true;
    }
    if ((rc = sample_seal(app, &arena, "samples.id_number", p.id_number[0] ? p.id_number : NULL, false,
                          &r.id_number)) ||
        (rc = sample_seal(app, &arena, "samples.name", p.name, false, &r.name)) ||
        (rc = sample_seal(app, &arena, "samples.phone", p.phone, p.clear_phone, &r.phone)) ||
        (rc = sample_seal(app, &arena, "samples.collector", p.collector, p.clear_collector, &r.collector)) ||
        (rc = sample_write(db, id, &r, who, reason, fields.data)))
        goto out;
    snprintf(target, sizeof target, "sample:%lld", (long long)id);
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "samples.corrected", r.subdistrict,
                          json_pack("{s:s, s:I, s:s, s:s, s:s}", "action", "corrected", "id", (json_int_t)id,
                                    "site_code", r.site_code, "subdistrict", r.subdistrict, "fields", fields.data))) ||
        (rc = ingest_audit_commit(app, db, a, "samples.correct", target, fields.data)))
        goto out;
    in_tx = false;
out:
    if (in_tx)
        db_rollback(db);
    wipe(p.id_number, sizeof p.id_number);
    buf_release(&fields);
    arena_release(&arena);
    return rc;
}
