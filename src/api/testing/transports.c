/* api/testing/transports.c - the /api/v1/transports resource: boxes of tubes on their way to a
 * laboratory (转运, R2.5), pushed by site staff apps and couriers; arrival at the lab is a
 * PATCH. The courier's name is stored sealed and never returned. */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/testing/transport.h"

/* POST /api/v1/transports {transport} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int transports_create(struct req *req) { return api_ingest_one(req, &transport_kind); }

/* POST /api/v1/transports/batch [{transport}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int transports_batch(struct req *req) { return api_ingest_batch(req, &transport_kind); }

static json_t *
transports_json(const struct transport *t)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:s, s:s, s:I, s:I}", "id",
                          (json_int_t)t->id, "box_code", t->box_code, "from_site", t->from_site, "subdistrict",
                          t->subdistrict, "to_lab", t->to_lab, "status", t->status, "handed_at",
                          (json_int_t)t->handed_at, "received_at",
                          t->received_at ? json_integer(t->received_at) : json_null(), "tube_count",
                          (json_int_t)t->tube_count, "source", t->source, "external_id", t->external_id,
                          "created_at", (json_int_t)t->created_at, "updated_at", (json_int_t)t->updated_at);
    if (o && t->tubes) {
        json_t *tubes = json_array();
        for (size_t i = 0; i < t->n_tubes; i++)
            json_array_append_new(tubes, json_string(t->tubes[i]));
        json_object_set_new(o, "tube_codes", tubes);
    }
    return o;
}

/* One page of transports for the query, newest first (api/export.h). */
static int
transports_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct transport_query q = *(const struct transport_query *)query;
    struct transport *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.before_id = pg->cursor;
    rc = transport_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total);
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "'subdistrict' is outside your subdistrict");
    if (rc)
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, transports_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col transports_cols[] = {
    { "编号", "id", API_COL_TEXT },             { "转运箱编码", "box_code", API_COL_TEXT },
    { "采样点编码", "from_site", API_COL_TEXT }, { "街道", "subdistrict", API_COL_TEXT },
    { "检测机构", "to_lab", API_COL_TEXT },      { "状态", "status", API_COL_SHARED },
    { "交接时间", "handed_at", API_COL_TIME },   { "接收时间", "received_at", API_COL_TIME },
    { "试管数", "tube_count", API_COL_INT },     { "来源", "source", API_COL_SHARED },
    { "外部编号", "external_id", API_COL_TEXT }, { "更新时间", "updated_at", API_COL_TIME },
};

static const struct api_list_def transports_def = {
    "transports", "转运记录", transports_page, 50, TRANSPORT_LIST_MAX, transports_cols,
    sizeof transports_cols / sizeof transports_cols[0], 0,
};

/* GET /api/v1/transports?status&from_site&subdistrict&from&to&limit&next[&format=xlsx]
 *   -> {"items":[T…],"total","next"} (newest first; never the courier) | .xlsx */
static int
transports_list(struct req *req)
{
    struct transport_query q = { 0 };
    int rc;

    q.status = api_query_opt(req, "status");
    q.from_site = api_query_opt(req, "from_site");
    q.subdistrict = api_query_opt(req, "subdistrict");
    if ((rc = api_filter_time(req, "from", &q.from, NULL)) || (rc = api_filter_time(req, "to", &q.to, NULL)) ||
        (rc = api_text(req, "from_site", q.from_site, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    if (q.status && strcmp(q.status, "in_transit") != 0 && strcmp(q.status, "received") != 0 &&
        strcmp(q.status, "lost") != 0)
        return req_fail(req, ERR_INVALID, "'status' must be in_transit, received or lost");
    return api_list_serve(req, &transports_def, &q);
}

/* GET /api/v1/transports/{id} -> T with "tube_codes" */
static int
transports_get(struct req *req)
{
    struct transport t;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    rc = transport_get(req->db, &req->actor, id, &req->arena, &t);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "no such transport");
    return rc ? rc : api_reply(req, 200, transports_json(&t));
}

/* PATCH /api/v1/transports/{id} {"received_at"?, "status"?: "received|lost"} -> T
 * Arrival at the laboratory (received_at alone means received; status received alone
 * means now) or loss: gauge, event and audit in one transaction. */
static int
transports_update(struct req *req)
{
    json_t *body = NULL, *at = NULL;
    const char *status = NULL;
    struct transport_change c = { 0 };
    struct transport t;
    struct buf why = BUF_INIT;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?o, s?s}", "received_at", &at, "status", &status)))
        goto out;
    if (at && !json_is_null(at)) {
        if (json_is_integer(at) && json_integer_value(at) > 0) {
            c.received_at = json_integer_value(at);
        } else if (!json_is_string(at) || time_parse_rfc3339(json_string_value(at), &c.received_at) ||
                   c.received_at <= 0) {
            rc = req_fail(req, ERR_INVALID,
                          "'received_at' must be an RFC 3339 time with offset or milliseconds since the epoch");
            goto out;
        }
    }
    if ((rc = api_text(req, "status", status, 16)))
        goto out;
    c.status = status;
    rc = transport_update(req->app, req->db, &req->actor, id, &c, &req->arena, &t, &why);
    if (rc == ERR_NOT_FOUND)
        rc = req_fail(req, rc, "no such transport");
    else if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    else if (!rc)
        rc = api_reply(req, 200, transports_json(&t));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

const struct route api_transports_routes[] = {
    { "POST", "/api/v1/transports", transports_create, PERM_TRANSPORTS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/transports/batch", transports_batch, PERM_TRANSPORTS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/transports", transports_list, PERM_TRANSPORTS_READ, 0, 0 },
    { "GET", "/api/v1/transports/{id}", transports_get, PERM_TRANSPORTS_READ, 0, 0 },
    { "PATCH", "/api/v1/transports/{id}", transports_update, PERM_TRANSPORTS_WRITE, ROUTE_JSON, 1024 },
    ROUTE_END
};
