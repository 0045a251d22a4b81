/* api/testing/checkins.c - /api/v1/checkins (打卡, R1.3, R2.6): site staff phones report opening,
 * closing, queue status and staff changes (one or a batch, idempotent by source +
 * external_id); lists by site, subdistrict and time. Staff names are sealed at rest and
 * never returned: an item only says whether staff was recorded. The map's latest
 * check-ins are api/map.c.
 */
#include "api/api.h"
#include "api/export.h"
#include "domain/testing/checkin.h"

/* POST /api/v1/checkins {checkin} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int checkins_create(struct req *req) { return api_ingest_one(req, &checkin_kind); }

/* POST /api/v1/checkins/batch [{checkin}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int checkins_batch(struct req *req) { return api_ingest_batch(req, &checkin_kind); }

/* One page of check-ins for the query (api/export.h). */
static int
checkins_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct checkin_query q = *(const struct checkin_query *)query;
    struct checkin *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = checkin_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct checkin *c = &items[i];
        json_array_append_new(
            pg->items,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:s, s:I, s:s?, s:b, s:s, s:s, s:I}", "id",
                      (json_int_t)c->id, "site_code", c->site_code, "site_name", c->site_name, "subdistrict",
                      c->subdistrict, "kind", c->kind, "queue_len", (json_int_t)c->queue_len, "lon",
                      (double)c->lon_e6 / 1e6, "lat", (double)c->lat_e6 / 1e6, "position",
                      c->own_position ? "reported" : "site", "at", (json_int_t)c->at, "operator",
                      c->operator_code[0] ? c->operator_code : NULL, "staff_recorded", c->has_staff, "source",
                      c->source, "external_id", c->external_id, "created_at", (json_int_t)c->created_at));
    }
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col checkins_cols[] = {
    { "编号", "id", API_COL_TEXT },           { "采样点编码", "site_code", API_COL_TEXT },
    { "采样点", "site_name", API_COL_TEXT },  { "街道", "subdistrict", API_COL_TEXT },
    { "类型", "kind", API_COL_SHARED },       { "排队人数", "queue_len", API_COL_INT },
    { "经度", "lon", API_COL_REAL },          { "纬度", "lat", API_COL_REAL },
    { "位置来源", "position", API_COL_SHARED }, { "打卡时间", "at", API_COL_TIME },
    { "操作员", "operator", API_COL_TEXT },   { "已记录人员", "staff_recorded", API_COL_BOOL },
    { "来源", "source", API_COL_SHARED },     { "外部编号", "external_id", API_COL_TEXT },
};

static const struct api_list_def checkins_def = {
    "checkins", "打卡记录", checkins_page, 100, CHECKIN_LIST_MAX, checkins_cols,
    sizeof checkins_cols / sizeof checkins_cols[0], 0,
};

/* GET /api/v1/checkins?site_code&subdistrict&from&to&limit&next[&format=xlsx]
 *   -> {"items","total","next"} | .xlsx of every match */
static int
checkins_list(struct req *req)
{
    struct checkin_query q = { 0 };
    int rc;

    q.site_code = req_query(req, "site_code");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "site_code", q.site_code, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)) ||
        (rc = api_query_time(req, "from", &q.from)) || (rc = api_query_time(req, "to", &q.to)))
        return rc;
    return api_list_serve(req, &checkins_def, &q);
}

const struct route api_checkins_routes[] = {
    { "POST", "/api/v1/checkins", checkins_create, PERM_CHECKINS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/checkins/batch", checkins_batch, PERM_CHECKINS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/checkins", checkins_list, PERM_CHECKINS_READ, 0, 0 },
    ROUTE_END
};
