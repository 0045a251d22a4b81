/* domain/exchange/history_store.c - storing past rounds (R2.10; see history.h): plans through
 * the plan ingest kind, counts into stat_plan by difference against history_rows. */
#include "domain/exchange/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/ingest/ingest.h"
#include "domain/platform/audit.h"
#include "domain/testing/plan.h"
#include "push/outbox.h"

static const char sql_plan_id[] = "SELECT id FROM plans WHERE plan_no = ?1";
static const char sql_row_get[] =
    "SELECT subdistrict, industry, planned, actual FROM history_rows WHERE plan_id = ?1 AND row_key = ?2";
static const char sql_row_put[] =
    "INSERT INTO history_rows (plan_id, row_key, subdistrict, industry, planned, actual, imported_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (plan_id, row_key) DO UPDATE SET"
    " subdistrict = excluded.subdistrict, industry = excluded.industry, planned = excluded.planned,"
    " actual = excluded.actual, imported_at = excluded.imported_at";
static const char sql_stat_add[] =
    "INSERT INTO stat_plan (plan_id, subdistrict, industry, planned, actual_reported, actual_corrected, sampled)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5) ON CONFLICT (plan_id, subdistrict, industry) DO UPDATE SET"
    " planned = stat_plan.planned + excluded.planned,"
    " actual_reported = stat_plan.actual_reported + excluded.actual_reported,"
    " actual_corrected = stat_plan.actual_corrected + excluded.actual_corrected,"
    " sampled = stat_plan.sampled + excluded.sampled";

static int
h_plan_id(struct db *db, const char *plan_no, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql_plan_id, &st);
    *id = 0;
    if (!rc && !(rc = db_bind_text(st, 1, plan_no, strlen(plan_no))) && !(rc = db_step(st, &row)) && row)
        *id = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

/* h_plans makes sure every plan of an accepted row exists; rows of a plan that cannot be
 * created are rejected. *ids maps plan_no -> id. */
static int
h_plans(struct app *app, struct db *db, const struct actor *a, struct history_sheet *s, json_t *ids,
        struct history_result *res)
{
    int rc = 0;
    for (size_t i = 0; i < s->n && !rc; i++) {
        struct history_row *r = &s->rows[i];
        int64_t id;
        if (r->reason || json_object_get(ids, r->plan_no))
            continue;
        if ((rc = h_plan_id(db, r->plan_no, &id)))
            break;
        if (!id) {
            bool school = false;
            for (size_t j = i; j < s->n; j++)
                school |= !s->rows[j].reason && s->rows[j].school && !strcmp(s->rows[j].plan_no, r->plan_no);
            json_t *item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "source", "history", "external_id",
                                     r->plan_no, "plan_no", r->plan_no, "name", r->name, "kind",
                                     school ? "school" : "mass", "starts_at", (json_int_t)r->starts_at, "ends_at",
                                     (json_int_t)r->ends_at);
            struct ingest_outcome *out = NULL;
            size_t n = 0, accepted = 0;
            rc = ingest_run(app, db, a, &plan_kind, item, &out, &n, &accepted);
            json_decref(item);
            if (!rc && accepted == 1)
                res->plans_created++;
            xfree(out);
            if (rc || (rc = h_plan_id(db, r->plan_no, &id)))
                break;
        }
        json_object_set_new(ids, r->plan_no, json_integer(id));
    }
    for (size_t i = 0; i < s->n && !rc; i++)
        if (!s->rows[i].reason && !json_integer_value(json_object_get(ids, s->rows[i].plan_no))) {
            s->rows[i].status = "rejected";
            s->rows[i].reason = "the plan could not be created (check its number, name and times)";
            s->rejected++;
        }
    return rc;
}

static int
h_stat_add(struct db *db, int64_t plan_id, const char *sub, const char *ind, int64_t planned, int64_t actual)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc = 0;
    for (int pass = 0; pass < (*ind ? 2 : 1) && !rc; pass++) {
        const char *in = pass ? "" : ind;
        if (!(rc = db_prepare(db, sql_stat_add, &st)) && !(rc = db_bind_i64(st, 1, plan_id)) &&
            !(rc = db_bind_text(st, 2, sub, strlen(sub))) && !(rc = db_bind_text(st, 3, in, strlen(in))) &&
            !(rc = db_bind_i64(st, 4, planned)) && !(rc = db_bind_i64(st, 5, actual)))
            rc = db_step(st, &row);
        db_done(st);
        st = NULL;
    }
    return rc;
}

/* h_row_store applies one accepted row by difference. */
static int
h_row_store(struct db *db, int64_t plan_id, struct history_row *r, int64_t now, struct history_result *res)
{
    struct db_stmt *st = NULL;
    bool row = false;
    char osub[16] = "", oind[8] = "";
    int64_t oplanned = 0, oactual = 0;
    const char *ind = r->school ? HISTORY_SCHOOL_INDUSTRY : "";
    int rc = db_prepare(db, sql_row_get, &st);
    if (!rc && !(rc = db_bind_i64(st, 1, plan_id)) && !(rc = db_bind_text(st, 2, r->key, strlen(r->key))) &&
        !(rc = db_step(st, &row)) && row) {
        str_copy(osub, sizeof osub, db_col_text(st, 0, NULL));
        str_copy(oind, sizeof oind, db_col_text(st, 1, NULL));
        oplanned = db_col_i64(st, 2);
        oactual = db_col_i64(st, 3);
    }
    db_done(st);
    st = NULL;
    if (rc)
        return rc;
    if (row && !strcmp(osub, r->subdistrict) && !strcmp(oind, ind) && oplanned == r->planned && oactual == r->actual) {
        r->status = "unchanged";
        res->unchanged++;
        return 0;
    }
    bool existed = row;
    if ((existed && (rc = h_stat_add(db, plan_id, osub, oind, -oplanned, -oactual))) ||
        (rc = h_stat_add(db, plan_id, r->subdistrict, ind, r->planned, r->actual)))
        return rc;
    if (!(rc = db_prepare(db, sql_row_put, &st)) && !(rc = db_bind_i64(st, 1, plan_id)) &&
        !(rc = db_bind_text(st, 2, r->key, strlen(r->key))) &&
        !(rc = db_bind_text(st, 3, r->subdistrict, strlen(r->subdistrict))) &&
        !(rc = db_bind_text(st, 4, ind, strlen(ind))) && !(rc = db_bind_i64(st, 5, r->planned)) &&
        !(rc = db_bind_i64(st, 6, r->actual)) && !(rc = db_bind_i64(st, 7, now)))
        rc = db_step(st, &row);
    db_done(st);
    if (!rc) {
        r->status = existed ? "updated" : "accepted";
        if (existed)
            res->updated++;
        else
            res->accepted++;
    }
    return rc;
}

static int h_import(struct app *app, struct db *db, const struct actor *a, const char *path, const void *p, size_t n,
                    const struct table_reader *src, struct history_sheet *sheet, struct history_result *res,
                    struct buf *why);

int
history_import(struct app *app, struct db *db, const struct actor *a, const char *path, struct history_sheet *sheet,
               struct history_result *res, struct buf *why)
{
    return history_import_data(app, db, a, path, NULL, 0, sheet, res, why);
}

int
history_import_data(struct app *app, struct db *db, const struct actor *a, const char *path, const void *p, size_t n,
                    struct history_sheet *sheet, struct history_result *res, struct buf *why)
{
    return h_import(app, db, a, path, p, n, NULL, sheet, res, why);
}

int
history_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                    struct history_sheet *sheet, struct history_result *res, struct buf *why)
{
    return h_import(app, db, a, NULL, NULL, 0, src, sheet, res, why);
}

/* h_import is history_import_data over the file at path, else the reader src, else p[0..n). */
static int
h_import(struct app *app, struct db *db, const struct actor *a, const char *path, const void *p, size_t n,
         const struct table_reader *src, struct history_sheet *sheet, struct history_result *res, struct buf *why)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct table *t = NULL;
    json_t *ids = json_object();
    bool in_tx = false;
    char detail[200];
    int rc;

    memset(res, 0, sizeof *res);
    memset(sheet, 0, sizeof *sheet);
    if (a->subdistrict[0]) {
        buf_adds(why, "importing past rounds is district work");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if (!(rc = subdistrict_names_load(&names, db)))
        rc = path  ? table_open_path(path, &t, why)
             : src ? table_open_reader(src, &t, why)
                   : table_open_mem(p, n, &t, why);
    if (rc || (rc = history_sheet_read(t, &names, sheet, why)) || (rc = h_plans(app, db, a, sheet, ids, res)) ||
        (rc = db_begin(db)))
        goto out;
    in_tx = true;
    int64_t now = time_now_ms();
    for (size_t i = 0; i < sheet->n && !rc; i++)
        if (!sheet->rows[i].reason)
            rc = h_row_store(db, json_integer_value(json_object_get(ids, sheet->rows[i].plan_no)), &sheet->rows[i], now,
                             res);
    res->rejected = sheet->rejected;
    snprintf(detail, sizeof detail, "{\"rows\":%zu,\"plans_created\":%zu,\"accepted\":%zu,\"updated\":%zu,"
             "\"unchanged\":%zu,\"rejected\":%zu}", sheet->n, res->plans_created, res->accepted, res->updated,
             res->unchanged, res->rejected);
    if (rc || (rc = outbox_lock(db)) || (rc = outbox_append(db, "exchange.history", "", detail, NULL)) ||
        (rc = audit_append(db, &app->keys, a, "history.import", NULL, "ok", detail)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
    push_kick();
out:
    if (in_tx)
        db_rollback(db);
    table_close(t);
    json_decref(ids);
    subdistrict_names_release(&names);
    return rc;
}
