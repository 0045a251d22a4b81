/* api/testing/samples.c - the /api/v1/samples resource: sampling scans pushed by sampling apps
 * (R2.4) and read back as the masked scan records behind a count (R1.2 drill-down, issue 10).
 * Looking a person up by ID number is the personal query's business (api/testing/people.c). */
#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/testing/sample.h"

/* POST /api/v1/samples {sample} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int samples_create(struct req *req) { return api_ingest_one(req, &sample_kind); }

/* POST /api/v1/samples/batch [{sample}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int samples_batch(struct req *req) { return api_ingest_batch(req, &sample_kind); }

/* DELETE /api/v1/samples/{id} -> 204 (tombstone, audited) */
static int
samples_delete(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    rc = sample_delete(req->app, req->db, &req->actor, id);
    return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such sample") : rc;
}

/* One page of samples for the query (api/export.h): masked unless the export reveals. */
static int
samples_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct sample_query q = *(const struct sample_query *)query;
    struct sample_row *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    q.reveal = pg->reveal;
    q.no_total = pg->skip_total;
    rc = sample_list(req->app, req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total);
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "'subdistrict' is outside your subdistrict");
    if (rc)
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct sample_row *r = &items[i];
        json_array_append_new(
            pg->items,
            json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I}", "id", (json_int_t)r->id,
                      "id_number", r->id_number, "name", r->name, "tube_code", r->tube_code, "collected_at",
                      (json_int_t)r->collected_at, "site_code", r->site_code, "site_name", r->site_name,
                      "subdistrict", r->subdistrict, "community", r->community[0] ? r->community : NULL, "plan_no",
                      r->plan_no[0] ? r->plan_no : NULL, "collector", r->collector[0] ? r->collector : NULL,
                      "mix_size", (json_int_t)r->mix_size, "mix_index", (json_int_t)r->mix_index));
    }
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col samples_cols[] = {
    { "编号", "id", API_COL_TEXT },
    { "身份证号", "id_number", API_COL_MASKED },
    { "姓名", "name", API_COL_MASKED },
    { "试管编码", "tube_code", API_COL_TEXT },
    { "采样时间", "collected_at", API_COL_TIME },
    { "采样人", "collector", API_COL_MASKED },
    { "采样点编码", "site_code", API_COL_TEXT },
    { "采样点", "site_name", API_COL_SHARED },
    { "街道", "subdistrict", API_COL_SHARED },
    { "社区", "community", API_COL_SHARED },
    { "计划编号", "plan_no", API_COL_SHARED },
    { "混管人数", "mix_size", API_COL_INT },
    { "管内序号", "mix_index", API_COL_INT },
};

static const struct api_list_def samples_def = {
    "samples", "采样记录", samples_page, 100, SAMPLE_LIST_MAX, samples_cols,
    sizeof samples_cols / sizeof samples_cols[0], API_LIST_REVEALS,
};

/* GET /api/v1/samples?site&subdistrict&community&from&to&limit&next[&format=xlsx[&reveal=1&reason]]
 *   -> {"items":[{"id","id_number"(masked),"name"(masked),"tube_code","collected_at",
 *       "site_code","site_name","subdistrict","community","plan_no","collector"(masked),
 *       "mix_size","mix_index"}…],"total","next"} (oldest first) | .xlsx */
static int
samples_list(struct req *req)
{
    struct sample_query q = { 0 };
    int rc;

    q.site_code = api_query_opt(req, "site");
    q.subdistrict = api_query_opt(req, "subdistrict");
    q.community = api_query_opt(req, "community");
    if ((rc = api_text(req, "site", q.site_code, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)) ||
        (rc = api_text(req, "community", q.community, 12)) || (rc = api_query_time(req, "from", &q.from)) ||
        (rc = api_query_time(req, "to", &q.to)))
        return rc;
    return api_list_serve(req, &samples_def, &q);
}

/* PATCH /api/v1/samples/{id} {"source","reason", fields…} -> 200 {"id","status":"corrected"}: a sample's
 * fields corrected by its source, the original kept (domain/testing/sample.h) */
static int
samples_correct(struct req *req)
{
    struct ingest_outcome why;
    json_t *body = NULL;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)))
        goto out;
    if ((rc = sample_correct(req->app, req->db, &req->actor, id, body, &why))) {
        rc = api_change_failed(req, rc, &why, "no such sample");
        goto out;
    }
    rc = api_reply(req, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "corrected"));
out:
    json_decref(body);
    return rc;
}

const struct route api_samples_routes[] = {
    { "GET", "/api/v1/samples", samples_list, PERM_SAMPLES_READ, 0, 0 },
    { "POST", "/api/v1/samples", samples_create, PERM_SAMPLES_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/samples/batch", samples_batch, PERM_SAMPLES_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "DELETE", "/api/v1/samples/{id}", samples_delete, PERM_SAMPLES_WRITE, ROUTE_JSON, 1024 },
    { "PATCH", "/api/v1/samples/{id}", samples_correct, PERM_SAMPLES_WRITE, ROUTE_JSON, 8192 },
    ROUTE_END
};
