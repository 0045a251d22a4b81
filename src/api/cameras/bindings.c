/* api/cameras/bindings.c - the list of place ↔ camera bindings and its .xlsx export (R3.1,
 * R3.9, issue 8). Bindings are made and removed through /api/v1/places/{id}/cameras/…;
 * this file only reads them, in the caller's scope (both ends in its subdistrict).
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/cameras/binding.h"
#include "io/xlsxw.h"

#define BINDINGS_MAX 100000

static int
bindings_query(struct req *req, int64_t *place_id, int64_t *camera_id)
{
    const char *p = req_query(req, "place_id"), *c = req_query(req, "camera_id");
    *place_id = *camera_id = 0;
    if (p && *p && cstr_to_i64(p, place_id, 1, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'place_id' must be a place id");
    if (c && *c && cstr_to_i64(c, camera_id, 1, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'camera_id' must be a camera id");
    return 0;
}

/* GET /api/v1/bindings?place_id&camera_id -> {"items":[{place_id, place_name, camera_id,
 * gb_id, camera_name, bound_by, bound_at, batch_id}],"total","next":null}, by place then
 * camera, at most 100 000 */
static int
bindings_list(struct req *req)
{
    struct binding *b = NULL;
    int64_t pid, cid;
    size_t n = 0;
    json_t *arr;
    bool xlsx;
    int rc;
    if ((rc = api_format(req, &xlsx)) || xlsx)
        return rc ? rc : api__export_bindings(req);
    if ((rc = bindings_query(req, &pid, &cid)) ||
        (rc = binding_list(req->db, &req->actor, pid, cid, BINDINGS_MAX, &req->arena, &b, &n)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:I}", "place_id", (json_int_t)b[i].place_id,
                              "place_name", b[i].place_name, "camera_id", (json_int_t)b[i].camera_id, "gb_id",
                              b[i].gb_id, "camera_name", b[i].camera_name, "bound_by", b[i].bound_by, "bound_at",
                              (json_int_t)b[i].bound_at);
        json_object_set_new(o, "batch_id", b[i].batch_id ? json_integer(b[i].batch_id) : json_null());
        json_array_append_new(arr, o);
    }
    return api_reply(req, 200, api_list_json(arr, (int64_t)n, 0));
}

/* GET /api/v1/bindings/export.xlsx?place_id&camera_id -> 绑定关系.xlsx */
int
api__export_bindings(struct req *req)
{
    static const struct str head[] = { STR_LIT("点位id"), STR_LIT("点位名称"), STR_LIT("摄像机id"),
                                       STR_LIT("国标编码"), STR_LIT("摄像机名称"), STR_LIT("绑定人"),
                                       STR_LIT("绑定时间(ms)"), STR_LIT("批次") };
    struct xlsxw_opts opts = { 0 };
    struct xlsxw *w = NULL;
    struct binding *b = NULL;
    int64_t pid, cid;
    size_t n = 0;
    struct api_xlsx *x = NULL;
    int rc;
    if ((rc = bindings_query(req, &pid, &cid)) ||
        (rc = binding_list(req->db, &req->actor, pid, cid, BINDINGS_MAX, &req->arena, &b, &n)) ||
        (rc = api__xlsx_new(req, &x)))
        return rc;
    if ((rc = xlsxw_open_dest(api__xlsx_dest(x), "绑定关系", &opts, &w)) || (rc = xlsxw_header(w, head, 8)))
        goto out;
    for (size_t i = 0; i < n && !rc; i++) {
        struct xlsxw_cell c[8] = {
            XLSXW_NUMBER_CELL((double)b[i].place_id), XLSXW_TEXT_CELL(str_of(b[i].place_name)),
            XLSXW_NUMBER_CELL((double)b[i].camera_id), XLSXW_TEXT_CELL(str_of(b[i].gb_id)),
            XLSXW_TEXT_CELL(str_of(b[i].camera_name)), XLSXW_TEXT_CELL(str_of(b[i].bound_by)),
            XLSXW_NUMBER_CELL((double)b[i].bound_at),
            b[i].batch_id ? XLSXW_NUMBER_CELL((double)b[i].batch_id) : XLSXW_EMPTY_CELL,
        };
        rc = xlsxw_row(w, c, 8);
    }
out:
    return api__xlsx_reply(req, x, xlsxw_finish(w, rc), "bindings.xlsx", "绑定关系.xlsx");
}

const struct route api_bindings_routes[] = {
    { "GET", "/api/v1/bindings", bindings_list, PERM_CAMERAS_READ, 0, 0 },
    { "GET", "/api/v1/bindings/export.xlsx", api__export_bindings, PERM_CAMERAS_READ, 0, 0 },
    ROUTE_END
};
