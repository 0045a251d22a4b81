/* api/exchange/health.c - /api/v1/exchange/health/... (issue 11, R2.13; S1, S6): the health
 * commission's feed pushes 流调 records and doctors (one or a batch, idempotent by source +
 * external_id, per-item outcomes), or a person uploads a spreadsheet of records; officers
 * look a person's records up masked (reveal with pii.reveal and a reason) and list records
 * and doctors, masked, in their subdistrict. The ID number travels in the body, never in a
 * URL. The domain is domain/exchange/health.h.
 */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/exchange/health.h"
#include "domain/exchange/health_import.h"
#include "http/multipart.h"
#include "io/table.h"

static int health_epi_create(struct req *req) { return api_ingest_one(req, &health_epi_kind); }
static int health_epi_batch(struct req *req) { return api_ingest_batch(req, &health_epi_kind); }
static int health_doctor_create(struct req *req) { return api_ingest_one(req, &health_doctor_kind); }
static int health_doctor_batch(struct req *req) { return api_ingest_batch(req, &health_doctor_kind); }

static json_t *
health_epi_json(const struct health_epi *e, bool with_places)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)e->id,
                          "source", e->source, "external_id", e->external_id, "kind", e->kind, "case_ref",
                          e->case_ref, "subdistrict", e->subdistrict, "reported_at", (json_int_t)e->reported_at,
                          "id_number", e->id_number, "name", e->name, "phone", e->phone, "address", e->address,
                          "created_at", (json_int_t)e->created_at);
    if (o && with_places) {
        json_t *places = json_array();
        for (size_t i = 0; i < e->nplaces; i++) {
            const struct health_place *p = &e->places[i];
            json_array_append_new(places, json_pack("{s:s, s:o, s:o, s:I, s:o}", "name", p->name, "lon",
                                                    p->has_position ? json_real((double)p->lon_e6 / 1e6) : json_null(),
                                                    "lat",
                                                    p->has_position ? json_real((double)p->lat_e6 / 1e6) : json_null(),
                                                    "from", (json_int_t)p->from_at, "to",
                                                    p->to_at ? json_integer(p->to_at) : json_null()));
        }
        json_object_set_new(o, "places", places);
    }
    return o;
}

/* POST /api/v1/exchange/health/epi/lookup {"id_number"|"phone"|"record_id","reveal"?,"reason"?}
 *   -> {"revealed","items":[record with "places"]} (masked unless revealed) */
static int
health_lookup(struct req *req)
{
    json_t *body = NULL, *items;
    struct health_lookup q = { 0 };
    struct health_epi *found = NULL;
    struct buf why = BUF_INIT;
    json_int_t record_id = 0;
    size_t n = 0;
    int reveal = 0, rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?s, s?s, s?I, s?b, s?s}", "id_number", &q.id_number, "phone", &q.phone,
                         "record_id", &record_id, "reveal", &reveal, "reason", &q.reason)))
        goto out;
    q.record_id = record_id;
    q.reveal = reveal;
    rc = health_epi_lookup(req->app, req->db, &req->actor, &q, &req->arena, &found, &n, &why);
    if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "permission 'pii.reveal' is required to reveal");
    else if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    if (rc)
        goto out;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, health_epi_json(&found[i], true));
    rc = api_reply(req, 200, json_pack("{s:b, s:o}", "revealed", reveal, "items", items));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int
health_epi_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct health_epi_query q = *(const struct health_epi_query *)query;
    struct health_epi *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = health_epi_list(req->app, req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, health_epi_json(&items[i], false));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col health_epi_cols[] = {
    { "编号", "id", API_COL_TEXT },          { "流调编号", "external_id", API_COL_TEXT },
    { "类型", "kind", API_COL_SHARED },      { "关联病例", "case_ref", API_COL_TEXT },
    { "街道", "subdistrict", API_COL_TEXT }, { "报告时间", "reported_at", API_COL_TIME },
    { "姓名", "name", API_COL_TEXT },        { "身份证号", "id_number", API_COL_TEXT },
    { "联系电话", "phone", API_COL_TEXT },   { "来源", "source", API_COL_SHARED },
};

static const struct api_list_def health_epi_def = {
    "health_epi", "流调记录", health_epi_page, 100, HEALTH_LIST_MAX, health_epi_cols,
    sizeof health_epi_cols / sizeof health_epi_cols[0], 0,
};

/* GET /api/v1/exchange/health/epi?subdistrict&kind&from&to&limit&next[&format=xlsx] (masked) */
static int
health_epi_index(struct req *req)
{
    struct health_epi_query q = { 0 };
    int rc;

    q.subdistrict = req_query(req, "subdistrict");
    q.kind = req_query(req, "kind");
    if ((rc = api_text(req, "subdistrict", q.subdistrict, 12)) || (rc = api_text(req, "kind", q.kind, 32)) ||
        (rc = api_query_time(req, "from", &q.from)) || (rc = api_query_time(req, "to", &q.to)))
        return rc;
    return api_list_serve(req, &health_epi_def, &q);
}

static json_t *
health_doctor_json(const struct health_doctor *d)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)d->id, "source",
                     d->source, "external_id", d->external_id, "name", d->name, "phone", d->phone, "institution",
                     d->institution, "title", d->title, "subdistrict", d->subdistrict, "site_code", d->site_code,
                     "created_at", (json_int_t)d->created_at);
}

static int
health_doctor_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct health_doctor_query q = *(const struct health_doctor_query *)query;
    struct health_doctor *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    rc = health_doctor_list(req->app, req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total);
    if (rc == ERR_INVALID)
        return req_fail(req, rc, "'phone' is not a phone number");
    if (rc)
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, health_doctor_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col health_doctor_cols[] = {
    { "编号", "id", API_COL_TEXT },           { "外部编号", "external_id", API_COL_TEXT },
    { "姓名", "name", API_COL_TEXT },         { "联系电话", "phone", API_COL_TEXT },
    { "医疗机构", "institution", API_COL_TEXT }, { "职称", "title", API_COL_TEXT },
    { "街道", "subdistrict", API_COL_TEXT },  { "采样点编码", "site_code", API_COL_TEXT },
};

static const struct api_list_def health_doctor_def = {
    "health_doctors", "卫健医生", health_doctor_page, 100, HEALTH_LIST_MAX, health_doctor_cols,
    sizeof health_doctor_cols / sizeof health_doctor_cols[0], 0,
};

/* GET /api/v1/exchange/health/doctors?subdistrict&site_code&name&phone&limit&next[&format=xlsx]
 * (masked; name and phone are exact matches through their blind indexes) */
static int
health_doctor_index(struct req *req)
{
    struct health_doctor_query q = { 0 };
    int rc;
    q.subdistrict = req_query(req, "subdistrict");
    q.site_code = req_query(req, "site_code");
    q.name = req_query(req, "name");
    q.phone = req_query(req, "phone");
    if ((rc = api_text(req, "subdistrict", q.subdistrict, 12)) || (rc = api_text(req, "site_code", q.site_code, 32)) ||
        (rc = api_text(req, "name", q.name, 64)) || (rc = api_text(req, "phone", q.phone, 32)))
        return rc;
    return api_list_serve(req, &health_doctor_def, &q);
}

/* POST /api/v1/exchange/health/doctors/reveal {"id","reason"} -> 200 {"item": doctor unmasked}
 * (pii.reveal; audited, a refusal too) */
static int
health_doctor_reveal_route(struct req *req)
{
    json_t *body = NULL;
    json_int_t id = 0;
    const char *reason = NULL;
    struct health_doctor d = { 0 };
    struct buf why = BUF_INIT;
    int rc;

    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:I, s?s}", "id", &id, "reason", &reason)))
        goto out;
    rc = health_doctor_reveal(req->app, req->db, &req->actor, id, reason, &req->arena, &d, &why);
    if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "permission 'pii.reveal' is required to reveal");
    else if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    if (!rc)
        rc = api_reply(req, 200, json_pack("{s:o}", "item", health_doctor_json(&d)));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

typedef int (*health_importer)(struct app *app, struct db *db, const struct actor *a,
                               const struct table_reader *src, struct health_import_result *res, struct buf *why);

/* POST /api/v1/exchange/health/epi/import and .../doctors/import (multipart "file": .xlsx or .csv)
 *   -> 200 {"rows","accepted","duplicate","rejected","items":[{"row","external_id","status","field"?,"reason"?}]} */
static int
health_import_serve(struct req *req, health_importer import)
{
    struct multipart_field f;
    struct table_reader src;
    struct health_import_result res = { 0 };
    struct buf why = BUF_INIT;
    json_t *items;
    int rc;

    if ((rc = api__form_file(req, HEALTH_IMPORT_MAX_BYTES, &f, &src)))
        goto out;
    rc = import(req->app, req->db, &req->actor, &src, &res, &why);
    if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    if (rc)
        goto out;
    items = json_array();
    for (size_t i = 0; i < res.n; i++) {
        const struct health_import_row *r = &res.rows[i];
        json_t *o = json_pack("{s:I, s:s, s:s}", "row", (json_int_t)r->row, "external_id", r->external_id, "status",
                              r->status);
        if (!strcmp(r->status, "rejected"))
            json_object_set_new(o, "field", json_string(r->field));
        if (r->reason[0])
            json_object_set_new(o, "reason", json_string(r->reason));
        json_array_append_new(items, o);
    }
    rc = api_reply(req, 200, json_pack("{s:I, s:I, s:I, s:I, s:o}", "rows", (json_int_t)res.n, "accepted",
                                       (json_int_t)res.accepted, "duplicate", (json_int_t)res.duplicate, "rejected",
                                       (json_int_t)res.rejected, "items", items));
out:
    health_import_result_release(&res);
    buf_release(&why);
    return rc;
}

static int health_import_route(struct req *req) { return health_import_serve(req, health_import_from); }
static int health_doctor_import_route(struct req *req) { return health_import_serve(req, health_doctor_import_from); }

/* GET /api/v1/exchange/health/places?from&to&kind -> 200 {"type":"FeatureCollection",
 *   "features":[{"geometry":Point,"properties":{"name","first_at","last_at","records"}}…],
 *   "truncated"}: the 流调场所 map layer; scoped, nothing personal. */
static int
health_places_index(struct req *req)
{
    int64_t from = 0, to = 0;
    const char *kind = req_query(req, "kind");
    json_t *out = NULL;
    int rc;
    if ((rc = api_query_time(req, "from", &from)) || (rc = api_query_time(req, "to", &to)) ||
        (rc = api_text(req, "kind", kind, 32)))
        return rc;
    if (from && to && to <= from)
        return req_fail(req, ERR_INVALID, "'to' must be after 'from'");
    if ((rc = health_places_map(req->app, req->db, &req->actor, from, to, kind, &out)))
        return rc;
    return api_reply(req, 200, out);
}

const struct route api_health_exchange_routes[] = {
    { "GET", "/api/v1/exchange/health/places", health_places_index, PERM_HEALTH_READ, 0, 0 },
    { "POST", "/api/v1/exchange/health/epi", health_epi_create, PERM_HEALTH_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/exchange/health/epi/batch", health_epi_batch, PERM_HEALTH_WRITE, ROUTE_JSON,
      API_INGEST_BATCH_CAP },
    { "POST", "/api/v1/exchange/health/epi/import", health_import_route, PERM_HEALTH_WRITE, ROUTE_MULTIPART,
      HEALTH_IMPORT_MAX_BYTES + 64 * 1024 },
    { "POST", "/api/v1/exchange/health/epi/lookup", health_lookup, PERM_HEALTH_READ, ROUTE_JSON, 4096 },
    { "GET", "/api/v1/exchange/health/epi", health_epi_index, PERM_HEALTH_READ, 0, 0 },
    { "POST", "/api/v1/exchange/health/doctors", health_doctor_create, PERM_HEALTH_WRITE, ROUTE_JSON,
      API_INGEST_ONE_CAP },
    { "POST", "/api/v1/exchange/health/doctors/batch", health_doctor_batch, PERM_HEALTH_WRITE, ROUTE_JSON,
      API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/exchange/health/doctors", health_doctor_index, PERM_HEALTH_READ, 0, 0 },
    { "POST", "/api/v1/exchange/health/doctors/import", health_doctor_import_route, PERM_HEALTH_WRITE, ROUTE_MULTIPART,
      HEALTH_IMPORT_MAX_BYTES + 64 * 1024 },
    { "POST", "/api/v1/exchange/health/doctors/reveal", health_doctor_reveal_route, PERM_HEALTH_READ, ROUTE_JSON,
      4096 },
    ROUTE_END
};
