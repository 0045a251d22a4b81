/* domain/places/toilet_report.c - the row report of a toilet survey import (R3.7): the
 * report row of a cleaned survey row, stored imports and their rows, the .xlsx report. */
#include "domain/places/toilet_import.h"

#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/ingest/ingest.h"
#include "io/xlsxw.h"

static const char sql_get[] =
    "SELECT id, created_by, created_at, subdistrict, crs, crs_from_sheet, header_row, rows_total,"
    " accepted, fixed, rejected, duplicate, skipped, toilets, toilets_new, cameras, cameras_new"
    " FROM toilet_imports WHERE id = ?1";
static const char sql_rows[] =
    "SELECT num, status, reason, name, subdistrict, lon_e6, lat_e6, gb_id, camera"
    " FROM toilet_import_rows WHERE import_id = ?1 AND (?2 = '' OR status = ?2) AND num > ?3"
    " ORDER BY num LIMIT ?4";
static const char sql_count[] =
    "SELECT count(*) FROM toilet_import_rows WHERE import_id = ?1 AND (?2 = '' OR status = ?2)";

static const char *const camera_codes[] = { "", "ok", "fixed", "rejected" };

void
toilet_report_of(const struct toilet_survey_row *row, struct toilet_report_row *out)
{
    bool cam = row->camera == TOILET_CAMERA_OK || row->camera == TOILET_CAMERA_FIXED;
    memset(out, 0, sizeof *out);
    out->num = row->num;
    out->status = toilet_row_status_code(row->status);
    out->reason = row->reason ? row->reason : "";
    out->name = row->has_toilet ? row->toilet.name : "";
    out->subdistrict = row->has_toilet ? row->toilet.subdistrict_name : "";
    out->has_pos = row->has_toilet;
    if (row->has_toilet) {
        out->lon_e6 = llround(row->toilet.pos.lon * 1e6);
        out->lat_e6 = llround(row->toilet.pos.lat * 1e6);
    }
    out->gb_id = cam ? row->gb_id : "";
    out->camera = camera_codes[(unsigned)row->camera < 4 ? row->camera : 0];
}

int
toilet_import_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                  struct toilet_import_info *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    out->created_by = db_col_arena(st, 1, arena);
    out->created_at = db_col_i64(st, 2);
    out->subdistrict = db_col_arena(st, 3, arena);
    out->crs = db_col_arena(st, 4, arena);
    out->crs_from_sheet = db_col_i64(st, 5) != 0;
    out->header_row = db_col_i64(st, 6);
    out->rows = db_col_i64(st, 7);
    for (int i = 0; i < TOILET_ROW__COUNT; i++)
        out->by_status[i] = db_col_i64(st, 8 + i);
    out->toilets = db_col_i64(st, 13);
    out->toilets_new = db_col_i64(st, 14);
    out->cameras = db_col_i64(st, 15);
    out->cameras_new = db_col_i64(st, 16);
    if (a->subdistrict[0] && strcmp(a->subdistrict, out->subdistrict) != 0)
        rc = ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

int
toilet_import_rows(struct db *db, const struct actor *a, int64_t id, const char *status,
                   int64_t after, size_t limit, struct arena *arena,
                   struct toilet_report_row **items, size_t *n, int64_t *total)
{
    struct toilet_import_info info;
    struct toilet_report_row *out = NULL;
    struct db_stmt *st = NULL;
    size_t cap = 0;
    bool row = false;
    int rc;
    *items = NULL;
    *n = 0;
    *total = 0;
    if (limit < 1 || limit > TOILET_IMPORT_LIST_MAX)
        return ERR_INVALID;
    if ((rc = toilet_import_get(db, a, id, arena, &info)))
        return rc;
    if ((rc = db_report_page(db, sql_count, sql_rows, id, status, after, limit, total, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, *n, cap);
        struct toilet_report_row *r = &out[(*n)++];
        r->num = (uint64_t)db_col_i64(st, 0);
        r->status = db_col_arena(st, 1, arena);
        r->reason = db_col_arena(st, 2, arena);
        r->name = db_col_arena(st, 3, arena);
        r->subdistrict = db_col_arena(st, 4, arena);
        r->has_pos = !db_col_is_null(st, 5);
        r->lon_e6 = db_col_i64(st, 5);
        r->lat_e6 = db_col_i64(st, 6);
        r->gb_id = db_col_arena(st, 7, arena);
        r->camera = db_col_arena(st, 8, arena);
    }
out:
    db_done(st);
    *items = out;
    return rc;
}

int
toilet_report_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w)
{
    static const struct str head[] = {
        STR_LIT("行号"), STR_LIT("状态"), STR_LIT("原因"), STR_LIT("公厕名称"), STR_LIT("街道"),
        STR_LIT("经度"), STR_LIT("纬度"), STR_LIT("摄像头编码"), STR_LIT("摄像头处理"),
    };
    struct xlsxw_opts opts = { 0 };
    int rc = xlsxw_open_dest(dest, "report", &opts, w);
    if (!rc && (rc = xlsxw_header(*w, head, sizeof head / sizeof *head))) {
        xlsxw_free(*w);
        *w = NULL;
    }
    if (!rc) {
        xlsxw_set_width(*w, 2, 48);
        xlsxw_set_width(*w, 3, 24);
        xlsxw_set_width(*w, 7, 24);
    }
    return rc;
}

int
toilet_report_xlsx_row(struct xlsxw *w, const struct toilet_report_row *r)
{
    struct xlsxw_cell c[9] = {
        XLSXW_NUMBER_CELL((double)r->num),
        XLSXW_TEXT_CELL(str_of(r->status)),
        XLSXW_TEXT_CELL(str_of(r->reason)),
        XLSXW_TEXT_CELL(str_of(r->name)),
        XLSXW_TEXT_CELL(str_of(r->subdistrict)),
        r->has_pos ? XLSXW_NUMBER_CELL((double)r->lon_e6 / 1e6) : XLSXW_EMPTY_CELL,
        r->has_pos ? XLSXW_NUMBER_CELL((double)r->lat_e6 / 1e6) : XLSXW_EMPTY_CELL,
        XLSXW_TEXT_CELL(str_of(r->gb_id)),
        XLSXW_TEXT_CELL(str_of(r->camera)),
    };
    return xlsxw_row(w, c, 9);
}
