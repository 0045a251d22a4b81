/* api/places/toilet_import.c - public-toilet survey imports over HTTP (R3.7):
 *   POST /api/v1/toilets/import                multipart: file (.xlsx|.csv), crs? (wgs84|gcj02|bd09)
 *                                              -> 201 {import…, "items": first rows, "total", "next"}
 *   GET  /api/v1/toilets/imports/{id}          ?status=&limit=&next= -> {import…, "items", "total", "next"}
 *   GET  /api/v1/toilets/imports/{id}/report.xlsx  the row report as .xlsx
 * The file is parsed in place from the request body (never written to disk) by
 * domain/places/toilet_import.h, which stores toilets, listings and the report. Scope: a
 * subdistrict account imports its own toilets only and sees its own imports.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/places/toilet_import.h"
#include "http/form.h"
#include "http/multipart.h"
#include "io/xlsxw.h"

#define TOILET_FILE_CAP ((size_t)64 << 20)
#define TOILET_UPLOAD_CAP (TOILET_FILE_CAP + ((size_t)1 << 20))

static json_t *
import_json(const struct toilet_import_info *i)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I}",
                          "id", (json_int_t)i->id, "created_by", i->created_by,
                          "created_at", (json_int_t)i->created_at, "crs", i->crs,
                          "crs_from_sheet", i->crs_from_sheet, "header_row", (json_int_t)i->header_row,
                          "rows", (json_int_t)i->rows, "toilets", (json_int_t)i->toilets,
                          "toilets_new", (json_int_t)i->toilets_new, "cameras", (json_int_t)i->cameras,
                          "cameras_new", (json_int_t)i->cameras_new);
    json_t *counts = json_object();
    for (int s = 0; s < TOILET_ROW__COUNT; s++)
        json_object_set_new(counts, toilet_row_status_code((enum toilet_row_status)s),
                            json_integer(i->by_status[s]));
    json_object_set_new(o, "counts", counts);
    return o;
}

static json_t *
row_json(const struct toilet_report_row *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "row", (json_int_t)r->num,
                          "status", r->status, "reason", r->reason, "name", r->name,
                          "subdistrict_name", r->subdistrict, "gb_id", r->gb_id, "camera", r->camera);
    json_object_set_new(o, "lon", r->has_pos ? json_real((double)r->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", r->has_pos ? json_real((double)r->lat_e6 / 1e6) : json_null());
    return o;
}

/* import_reply answers with the import and one page of its rows. */
static int
import_reply(struct req *req, int status, int64_t id, const char *row_status, size_t limit, int64_t after)
{
    struct arena arena = ARENA_INIT;
    struct toilet_import_info info;
    struct toilet_report_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc;
    if ((rc = toilet_import_get(req->db, &req->actor, id, &arena, &info)) ||
        (rc = toilet_import_rows(req->db, &req->actor, id, row_status, after, limit, &arena, &rows, &n, &total))) {
        arena_release(&arena);
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such import") : rc;
    }
    json_t *o = import_json(&info), *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, row_json(&rows[i]));
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "next", api_next_cursor(n == limit ? (int64_t)rows[n - 1].num : 0));
    arena_release(&arena);
    return api_reply(req, status, o);
}

/* POST /api/v1/toilets/import  multipart: file, crs? -> 201 import with its first rows */
static int
toilets_import(struct req *req)
{
    struct multipart_field f, fc;
    struct table_reader src;
    struct buf why = BUF_INIT;
    struct table *t = NULL;
    struct toilet_import_result res;
    enum geo_crs crs = GEO_WGS84;
    char crs_name[16] = "";
    int rc;

    if ((rc = api__form_file(req, TOILET_FILE_CAP, &f, &src)))
        goto out;
    if ((rc = form_field(req, "crs", &fc, NULL)))
        goto out;
    if (fc.found) {
        struct str v = str_trim(fc.data);
        if (v.n < sizeof crs_name) {
            memcpy(crs_name, v.p, v.n);
            crs_name[v.n] = '\0';
        }
        if (v.n >= sizeof crs_name || geo_crs_parse(crs_name, &crs)) {
            rc = req_fail(req, ERR_INVALID, "'crs' must be wgs84, gcj02 or bd09");
            goto out;
        }
    }
    buf_reset(&why);
    if ((rc = table_open_reader(&src, &t, &why)) ||
        (rc = toilet_import(req->app, req->db, &req->actor, t, crs, NULL, NULL, &res, &why))) {
        if (rc == ERR_INVALID || rc == ERR_TOO_LARGE)
            rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    rc = import_reply(req, 201, res.id, NULL, TOILET_IMPORT_LIST_MAX, 0);
out:
    table_close(t);
    buf_release(&why);
    return rc;
}

/* GET /api/v1/toilets/imports/{id}?status=&limit=&next= */
static int
toilets_import_get(struct req *req)
{
    const char *status = req_query(req, "status");
    size_t limit;
    int64_t id, after;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_page(req, 100, TOILET_IMPORT_LIST_MAX, &limit, &after)))
        return rc;
    if (status) {
        bool ok = false;
        for (int s = 0; s < TOILET_ROW__COUNT; s++)
            ok |= strcmp(status, toilet_row_status_code((enum toilet_row_status)s)) == 0;
        if (!ok)
            return req_fail(req, ERR_INVALID, "'status' must be accepted, fixed, rejected, duplicate or skipped");
    }
    return import_reply(req, 200, id, status, limit, after);
}

/* GET /api/v1/toilets/imports/{id}/report.xlsx */
static int
toilets_import_report(struct req *req)
{
    struct arena arena = ARENA_INIT;
    struct toilet_import_info info;
    struct xlsxw *w = NULL;
    struct api_xlsx *x = NULL;
    char name[64];
    int64_t id, after = 0, total;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = toilet_import_get(req->db, &req->actor, id, &arena, &info))) {
        arena_release(&arena);
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such import") : rc;
    }
    if ((rc = api__xlsx_new(req, &x)) || (rc = toilet_report_xlsx_open(api__xlsx_dest(x), &w)))
        goto out;
    for (;;) {
        struct toilet_report_row *rows;
        size_t n;
        arena_release(&arena);
        if ((rc = toilet_import_rows(req->db, &req->actor, id, NULL, after, TOILET_IMPORT_LIST_MAX, &arena,
                                     &rows, &n, &total)))
            goto out;
        for (size_t i = 0; i < n && !rc; i++)
            rc = toilet_report_xlsx_row(w, &rows[i]);
        if (rc || n < TOILET_IMPORT_LIST_MAX)
            break;
        after = (int64_t)rows[n - 1].num;
    }
    if (rc)
        goto out;
    rc = xlsxw_close(w);
    w = NULL;
    if (rc)
        goto out;
    snprintf(name, sizeof name, "toilet-import-%lld.xlsx", (long long)id);
    rc = api__xlsx_reply(req, x, 0, name, NULL);
    x = NULL;
out:
    xlsxw_free(w);
    api__xlsx_free(x);
    arena_release(&arena);
    return rc;
}

const struct route api_toilet_import_routes[] = {
    { "POST", "/api/v1/toilets/import", toilets_import, PERM_PLACES_WRITE, ROUTE_MULTIPART, TOILET_UPLOAD_CAP },
    { "GET", "/api/v1/toilets/imports/{id}", toilets_import_get, PERM_PLACES_READ, 0, 0 },
    { "GET", "/api/v1/toilets/imports/{id}/report.xlsx", toilets_import_report, PERM_PLACES_READ, 0, 0 },
    ROUTE_END
};
