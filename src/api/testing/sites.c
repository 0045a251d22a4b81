/* api/testing/sites.c - the /api/v1/sites resource (R1.1, R2.1): upstream systems create sites
 * (one or a batch, idempotent by source + external_id); district accounts and scoped
 * tokens update and soft-delete them; everyone with sites.read lists, reads and follows a
 * site's history within their subdistrict. The address (sealed at rest) is returned by
 * GET /api/v1/sites/{id} only, never by lists or history. Not the map feed (api/map.c).
 */
#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/testing/site.h"

#define SITES_PATCH_CAP (16 * 1024)

static json_t *
sites_json(const struct site *s)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:f, s:f, s:s, s:s, s:I, s:s?, s:I, s:I}", "id",
                     (json_int_t)s->id, "code", s->code, "name", s->name, "type", s->type, "subdistrict",
                     s->subdistrict, "community", s->community[0] ? s->community : NULL, "lon",
                     (double)s->lon_e6 / 1e6, "lat", (double)s->lat_e6 / 1e6, "opening_hours", s->opening_hours,
                     "status", s->status, "capacity", (json_int_t)s->capacity, "city_code", s->city_code,
                     "version", (json_int_t)s->version, "updated_at", (json_int_t)s->updated_at);
}

static json_t *
sites_detail_json(const struct site_live *l)
{
    json_t *o = sites_json(&l->s);
    if (!o)
        return NULL;
    json_object_set_new(o, "address", l->s.address ? json_string(l->s.address) : json_null());
    json_object_set_new(o, "source", json_string(l->s.source));
    json_object_set_new(o, "external_id", json_string(l->s.external_id));
    json_object_set_new(o, "created_at", json_integer(l->s.created_at));
    json_object_set_new(o, "deleted_at", l->s.deleted_at ? json_integer(l->s.deleted_at) : json_null());
    json_object_set_new(o, "scans_today", json_integer(l->scans_today));
    json_object_set_new(o, "last_checkin",
                        l->has_checkin ? json_pack("{s:s, s:I, s:I}", "kind", l->checkin_kind, "at",
                                                   (json_int_t)l->checkin_at, "queue_len", (json_int_t)l->queue_len)
                                       : json_null());
    return o;
}

/* POST /api/v1/sites {site} -> 201 {"status":"accepted","id"} | 200 {"status":"duplicate"} */
static int sites_create(struct req *req) { return api_ingest_one(req, &site_kind); }

/* POST /api/v1/sites/batch [{site}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int sites_batch(struct req *req) { return api_ingest_batch(req, &site_kind); }

/* One page of sites for the query (api/export.h). */
static int
sites_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct site_query q = *(const struct site_query *)query;
    struct site *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = site_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, sites_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

/* The columns of a site in lists, exports and history. */
#define SITES_COLS                                                                                             \
    { "编号", "id", API_COL_TEXT }, { "采样点编码", "code", API_COL_TEXT }, { "采样点名称", "name", API_COL_TEXT }, \
        { "类型", "type", API_COL_SHARED }, { "街道", "subdistrict", API_COL_TEXT },                           \
        { "社区", "community", API_COL_TEXT }, { "经度", "lon", API_COL_REAL }, { "纬度", "lat", API_COL_REAL }, \
        { "开放时间", "opening_hours", API_COL_TEXT }, { "状态", "status", API_COL_SHARED },                    \
        { "采样能力(人/小时)", "capacity", API_COL_INT }, { "城市编码", "city_code", API_COL_TEXT },            \
        { "版本", "version", API_COL_INT }

static const struct api_col sites_cols[] = { SITES_COLS, { "更新时间", "updated_at", API_COL_TIME } };

static const struct api_list_def sites_def = {
    "sites", "采样点", sites_page, 50, SITE_LIST_MAX, sites_cols, sizeof sites_cols / sizeof sites_cols[0], 0,
};

/* GET /api/v1/sites?q&subdistrict&community&status&type&limit&next[&format=xlsx]
 *   -> {"items","total","next"} | .xlsx of every match */
static int
sites_list(struct req *req)
{
    struct site_query q = { 0 };
    int rc;

    q.q = req_query(req, "q");
    q.subdistrict = req_query(req, "subdistrict");
    q.community = req_query(req, "community");
    q.status = req_query(req, "status");
    q.type = req_query(req, "type");
    if ((rc = api_text(req, "q", q.q, 128)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)) ||
        (rc = api_text(req, "community", q.community, 12)) || (rc = api_text(req, "status", q.status, 16)) ||
        (rc = api_text(req, "type", q.type, 16)))
        return rc;
    return api_list_serve(req, &sites_def, &q);
}

/* GET /api/v1/sites/{id} -> the site with its address, scans today and last check-in */
static int
sites_get(struct req *req)
{
    struct site_live l;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = site_get(req->app, req->db, &req->actor, id, true, &req->arena, &l)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such site") : rc;
    return api_reply(req, 200, sites_detail_json(&l));
}

/* PATCH /api/v1/sites/{id} {"name"?,…,"version"?} -> 200 the updated site */
static int
sites_update(struct req *req)
{
    struct ingest_outcome why;
    struct site_live l;
    json_t *body = NULL;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)))
        goto out;
    if ((rc = site_update(req->app, req->db, &req->actor, id, body, &why, NULL))) {
        rc = api_change_failed(req, rc, &why, "no such site");
        goto out;
    }
    if (!(rc = site_get(req->app, req->db, &req->actor, id, true, &req->arena, &l)))
        rc = api_reply(req, 200, sites_detail_json(&l));
out:
    json_decref(body);
    return rc;
}

/* DELETE /api/v1/sites/{id} -> 204 (soft delete, history kept) */
static int
sites_delete(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    rc = site_delete(req->app, req->db, &req->actor, id);
    return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such site") : rc;
}

/* The whole history of the site whose id the query holds (one page). */
static int
sites_history_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct site_version *v = NULL;
    size_t n = 0;
    int rc;
    if ((rc = site_history(req->db, &req->actor, *(const int64_t *)query, pg->arena, &v, &n)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such site") : rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = sites_json(&v[i].s);
        json_object_del(o, "updated_at");
        json_object_set_new(o, "action", json_string(v[i].action));
        json_object_set_new(o, "actor", json_string(v[i].actor));
        json_object_set_new(o, "changed_at", json_integer(v[i].changed_at));
        json_object_set_new(o, "address_set", json_boolean(v[i].address_set));
        json_array_append_new(pg->items, o);
    }
    pg->total = (int64_t)n;
    return 0;
}

static const struct api_col sites_history_cols[] = {
    SITES_COLS,
    { "操作", "action", API_COL_SHARED },
    { "操作人", "actor", API_COL_TEXT },
    { "变更时间", "changed_at", API_COL_TIME },
    { "已设地址", "address_set", API_COL_BOOL },
};

static const struct api_list_def sites_history_def = {
    "site_history", "采样点变更记录", sites_history_page, SITE_LIST_MAX, SITE_LIST_MAX, sites_history_cols,
    sizeof sites_history_cols / sizeof sites_history_cols[0], 0,
};

/* GET /api/v1/sites/{id}/history[?format=xlsx] -> {"items":[version…],"total","next":null},
 * oldest first | .xlsx */
static int
sites_history(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    return api_list_serve(req, &sites_history_def, &id);
}

const struct route api_sites_routes[] = {
    { "POST", "/api/v1/sites", sites_create, PERM_SITES_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/sites/batch", sites_batch, PERM_SITES_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/sites", sites_list, PERM_SITES_READ, 0, 0 },
    { "GET", "/api/v1/sites/{id}", sites_get, PERM_SITES_READ, 0, 0 },
    { "PATCH", "/api/v1/sites/{id}", sites_update, PERM_SITES_WRITE, ROUTE_JSON, SITES_PATCH_CAP },
    { "DELETE", "/api/v1/sites/{id}", sites_delete, PERM_SITES_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/sites/{id}/history", sites_history, PERM_SITES_READ, 0, 0 },
    ROUTE_END
};
