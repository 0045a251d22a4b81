/* api/testing/checkins.c - /api/v1/checkins (打卡, R1.3, R2.6): site staff phones report opening,
 * closing, queue status and staff changes (one or a batch, idempotent by source +
 * external_id); lists by site, subdistrict and time. Staff names are sealed at rest and
 * never returned: an item only says whether staff was recorded. The map's latest
 * check-ins are api/map.c.
 */
#include "api/api.h"
#include "domain/testing/checkin.h"

/* POST /api/v1/checkins {checkin} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int checkins_create(struct req *req) { return api_ingest_one(req, &checkin_kind); }

/* POST /api/v1/checkins/batch [{checkin}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int checkins_batch(struct req *req) { return api_ingest_batch(req, &checkin_kind); }

/* GET /api/v1/checkins?site_code&subdistrict&from&to&limit&next -> {"items","total","next"} */
static int
checkins_list(struct req *req)
{
    struct checkin_query q = { 0 };
    struct checkin *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    int rc;

    q.site_code = req_query(req, "site_code");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_page(req, 100, CHECKIN_LIST_MAX, &q.limit, &q.after)) ||
        (rc = api_text(req, "site_code", q.site_code, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)) ||
        (rc = api_query_time(req, "from", &q.from)) || (rc = api_query_time(req, "to", &q.to)) ||
        (rc = checkin_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct checkin *c = &items[i];
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:s, s:I, s:s?, s:b, s:s, s:s, s:I}", "id",
                           (json_int_t)c->id, "site_code", c->site_code, "site_name", c->site_name, "subdistrict",
                           c->subdistrict, "kind", c->kind, "queue_len", (json_int_t)c->queue_len, "lon",
                           (double)c->lon_e6 / 1e6, "lat", (double)c->lat_e6 / 1e6, "position",
                           c->own_position ? "reported" : "site", "at", (json_int_t)c->at, "operator",
                           c->operator_code[0] ? c->operator_code : NULL, "staff_recorded", c->has_staff, "source",
                           c->source, "external_id", c->external_id, "created_at", (json_int_t)c->created_at));
    }
    return api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
}

const struct route api_checkins_routes[] = {
    { "POST", "/api/v1/checkins", checkins_create, PERM_CHECKINS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/checkins/batch", checkins_batch, PERM_CHECKINS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/checkins", checkins_list, PERM_CHECKINS_READ, 0, 0 },
    ROUTE_END
};
