/* api/places/exports.c - .xlsx exports of the place and camera lists (issue 8 "every list
 * is exportable to .xlsx"): GET /api/v1/places/export.xlsx and /api/v1/cameras/export.xlsx
 * take the filters of their lists and write every matching row in the caller's scope (at
 * most EXPORT_MAX). Never a stream URL. The route table is listed before the places and
 * cameras tables (api/routes.c) so that "export.xlsx" is not read as an {id}.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/err.h"
#include "domain/cameras/camera.h"
#include "domain/cameras/camera_check.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/places/place.h"
#include "io/xlsxw.h"

#define EXPORT_MAX 200000

static struct xlsxw_cell
export_text(const char *s)
{
    return XLSXW_TEXT_CELL(str_of(s ? s : ""));
}

static int
export_places_write(struct req *req, const struct xlsxw_dest *dest, struct place_query *q)
{
    static const struct str head[] = { STR_LIT("id"), STR_LIT("类型"), STR_LIT("编码"), STR_LIT("名称"),
                                       STR_LIT("街道"), STR_LIT("地址"), STR_LIT("经度"), STR_LIT("纬度"),
                                       STR_LIT("级别"), STR_LIT("解除时间"), STR_LIT("来源"), STR_LIT("摄像机") };
    struct xlsxw_opts opts = { 0 };
    struct xlsxw *w = NULL;
    struct place *items = NULL;
    size_t n = 0, count = 0;
    int64_t total = 0;
    int rc;
    if ((rc = xlsxw_open_dest(dest, "点位", &opts, &w)) || (rc = xlsxw_header(w, head, 12)))
        goto out;
    q->limit = PLACE_LIST_MAX;
    q->after = 0;
    do {
        struct arena arena = ARENA_INIT;
        if (!(rc = place_list(req->db, &req->actor, q, &arena, &items, &n, &total)))
            for (size_t i = 0; i < n && !rc && count < EXPORT_MAX; i++, count++) {
                const struct place *p = &items[i];
                struct buf cams = BUF_INIT;
                char ends[24] = "";
                for (size_t k = 0; k < p->n_cameras; k++)
                    buf_printf(&cams, "%s%s", k ? "," : "", p->camera_ids[k]);
                if (p->ends_at)
                    snprintf(ends, sizeof ends, "%lld", (long long)p->ends_at);
                struct xlsxw_cell c[12] = {
                    XLSXW_NUMBER_CELL((double)p->id), export_text(p->kind), export_text(p->code),
                    export_text(p->name), export_text(p->subdistrict_name), export_text(p->address),
                    p->has_pos ? XLSXW_NUMBER_CELL(p->lon_e6 / 1e6) : XLSXW_EMPTY_CELL,
                    p->has_pos ? XLSXW_NUMBER_CELL(p->lat_e6 / 1e6) : XLSXW_EMPTY_CELL, export_text(p->zone_level),
                    export_text(ends), export_text(p->source), XLSXW_TEXT_CELL(((struct str){ cams.data, cams.len })),
                };
                rc = xlsxw_row(w, c, 12);
                buf_release(&cams);
            }
        q->after = n ? items[n - 1].id : 0;
        arena_release(&arena);
    } while (!rc && n == q->limit && count < EXPORT_MAX);
out:
    return xlsxw_finish(w, rc);
}

/* GET /api/v1/places/export.xlsx?kind&q&subdistrict&active=1 -> 点位.xlsx */
int
api__export_places(struct req *req)
{
    struct place_query q = { 0 };
    const char *active = req_query(req, "active");
    struct api_xlsx *x = NULL;
    int rc;
    q.kind = req_query(req, "kind");
    q.q = req_query(req, "q");
    q.subdistrict = req_query(req, "subdistrict");
    q.active_only = active && !strcmp(active, "1");
    if ((rc = api_text(req, "kind", q.kind, PLACE_KIND_MAX)) || (rc = api_text(req, "q", q.q, 128)) ||
        (rc = api_text(req, "subdistrict", q.subdistrict, 12)) || (rc = api__xlsx_new(req, &x)))
        return rc;
    return api__xlsx_reply(req, x, export_places_write(req, api__xlsx_dest(x), &q), "places.xlsx", "点位.xlsx");
}

static int
export_cameras_write(struct req *req, const struct xlsxw_dest *dest, struct camera_query *q)
{
    static const struct str head[] = { STR_LIT("id"), STR_LIT("国标编码"), STR_LIT("名称"), STR_LIT("经度"),
                                       STR_LIT("纬度"), STR_LIT("方向"), STR_LIT("权属"), STR_LIT("在线状态"),
                                       STR_LIT("街道"), STR_LIT("点位") };
    struct xlsxw_opts opts = { 0 };
    struct xlsxw *w = NULL;
    struct camera *items = NULL;
    size_t n = 0, count = 0;
    int64_t total = 0;
    int rc;
    if ((rc = xlsxw_open_dest(dest, "摄像机", &opts, &w)) || (rc = xlsxw_header(w, head, 10)))
        goto out;
    q->limit = CAMERA_LIST_MAX;
    q->after = 0;
    do {
        struct arena arena = ARENA_INIT;
        if (!(rc = camera_list(req->db, &req->actor, q, &arena, &items, &n, &total)))
            for (size_t i = 0; i < n && !rc && count < EXPORT_MAX; i++, count++) {
                const struct camera *c = &items[i];
                struct buf places = BUF_INIT;
                for (size_t k = 0; k < c->n_places; k++)
                    buf_printf(&places, "%s%lld", k ? "," : "", (long long)c->place_ids[k]);
                struct xlsxw_cell cells[10] = {
                    XLSXW_NUMBER_CELL((double)c->id), export_text(c->gb_id), export_text(c->name),
                    c->has_pos ? XLSXW_NUMBER_CELL(c->lon_e6 / 1e6) : XLSXW_EMPTY_CELL,
                    c->has_pos ? XLSXW_NUMBER_CELL(c->lat_e6 / 1e6) : XLSXW_EMPTY_CELL,
                    c->direction >= 0 ? XLSXW_NUMBER_CELL((double)c->direction) : XLSXW_EMPTY_CELL,
                    export_text(c->owner), export_text(c->status), export_text(c->subdistrict),
                    XLSXW_TEXT_CELL(((struct str){ places.data, places.len })),
                };
                rc = xlsxw_row(w, cells, 10);
                buf_release(&places);
            }
        q->after = n ? items[n - 1].id : 0;
        arena_release(&arena);
    } while (!rc && n == q->limit && count < EXPORT_MAX);
out:
    return xlsxw_finish(w, rc);
}

/* GET /api/v1/cameras/export.xlsx?q&status&subdistrict -> 摄像机.xlsx (never a stream URL) */
int
api__export_cameras(struct req *req)
{
    struct camera_query q = { 0 };
    struct api_xlsx *x = NULL;
    int rc;
    q.q = req_query(req, "q");
    q.status = req_query(req, "status");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "q", q.q, 128)) || (rc = api_text(req, "status", q.status, 16)) ||
        (rc = api_text(req, "subdistrict", q.subdistrict, 12)) || (rc = api__xlsx_new(req, &x)))
        return rc;
    return api__xlsx_reply(req, x, export_cameras_write(req, api__xlsx_dest(x), &q), "cameras.xlsx", "摄像机.xlsx");
}

/* GET /api/v1/camera-checks/export.xlsx?kind&stale_days -> 摄像机核查.xlsx (the check list) */
int
api__export_checks(struct req *req)
{
    static const struct str head[] = { STR_LIT("点位id"), STR_LIT("点位名称"), STR_LIT("类型"), STR_LIT("摄像机id"),
                                       STR_LIT("国标编码"), STR_LIT("摄像机名称"), STR_LIT("已核查"),
                                       STR_LIT("核查时间(ms)"), STR_LIT("位置确认"), STR_LIT("可播放"),
                                       STR_LIT("覆盖范围"), STR_LIT("核查人") };
    const char *kind = req_query(req, "kind"), *stale = req_query(req, "stale_days");
    struct xlsxw_opts opts = { 0 };
    struct camera_check_row *rows = NULL;
    struct xlsxw *w = NULL;
    int64_t days = 0;
    size_t n = 0;
    struct api_xlsx *x = NULL;
    int rc;
    if ((rc = api_text(req, "kind", kind, 32)))
        return rc;
    if (stale && *stale && cstr_to_i64(stale, &days, 0, 3650))
        return req_fail(req, ERR_INVALID, "'stale_days' must be a whole number from 0 to 3650");
    if ((rc = camera_check_list(req->db, &req->actor, kind, days, time_now_ms(), CAMERA_CHECK_LIST_MAX, &req->arena,
                                &rows, &n)) ||
        (rc = api__xlsx_new(req, &x)))
        return rc;
    if ((rc = xlsxw_open_dest(api__xlsx_dest(x), "摄像机核查", &opts, &w)) || (rc = xlsxw_header(w, head, 12)))
        goto out;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct camera_check_row *r = &rows[i];
        struct xlsxw_cell c[12] = {
            XLSXW_NUMBER_CELL((double)r->place_id), export_text(r->place_name), export_text(r->place_kind),
            XLSXW_NUMBER_CELL((double)r->camera_id), export_text(r->gb_id), export_text(r->camera_name),
            export_text(r->checked ? "是" : "否"),
            r->checked ? XLSXW_NUMBER_CELL((double)r->checked_at) : XLSXW_EMPTY_CELL,
            export_text(!r->checked ? "" : r->position_ok ? "是" : "否"),
            export_text(!r->checked ? "" : r->playable ? "是" : "否"), export_text(r->covers),
            export_text(r->checked_by),
        };
        rc = xlsxw_row(w, c, 12);
    }
out:
    return api__xlsx_reply(req, x, xlsxw_finish(w, rc), "camera-checks.xlsx", "摄像机核查.xlsx");
}

const struct route api_places_export_routes[] = {
    { "GET", "/api/v1/places/export.xlsx", api__export_places, PERM_PLACES_READ, 0, 0 },
    { "GET", "/api/v1/cameras/export.xlsx", api__export_cameras, PERM_CAMERAS_READ, 0, 0 },
    { "GET", "/api/v1/camera-checks/export.xlsx", api__export_checks, PERM_CAMERAS_READ, 0, 0 },
    ROUTE_END
};
