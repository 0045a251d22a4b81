/* api/testing/results.c - the /api/v1/results resource: laboratory results per tube (检测结果,
 * R2.6), pushed by laboratories (a token with the results.write scope only), read by tube
 * or as a filtered list. People never appear here: the personal query (R4) is elsewhere. */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/testing/result.h"

/* POST /api/v1/results {result} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int results_create(struct req *req) { return api_ingest_one(req, &result_kind); }

/* POST /api/v1/results/batch [{result}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int results_batch(struct req *req) { return api_ingest_batch(req, &result_kind); }

/* One page of results for the query, newest first (api/export.h). */
static int
results_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct result_query q = *(const struct result_query *)query;
    struct result *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.before_id = pg->cursor;
    rc = result_list(&req->app->keys, req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total);
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "'subdistrict' is outside your subdistrict");
    if (rc)
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items,
                              json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)items[i].id,
                                        "tube_code", items[i].tube_code, "institution", items[i].institution,
                                        "tested_at", (json_int_t)items[i].tested_at, "result", items[i].result,
                                        "source", items[i].source, "external_id", items[i].external_id,
                                        "created_at", (json_int_t)items[i].created_at));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col results_cols[] = {
    { "编号", "id", API_COL_TEXT },            { "试管编码", "tube_code", API_COL_TEXT },
    { "检测机构", "institution", API_COL_TEXT }, { "检测时间", "tested_at", API_COL_TIME },
    { "检测结果", "result", API_COL_SHARED },    { "来源", "source", API_COL_SHARED },
    { "外部编号", "external_id", API_COL_TEXT }, { "接收时间", "created_at", API_COL_TIME },
};

static const struct api_list_def results_def = {
    "results", "检测结果", results_page, 50, RESULT_LIST_MAX, results_cols,
    sizeof results_cols / sizeof results_cols[0], 0,
};

/* GET /api/v1/results?tube_code&institution&result&subdistrict&from&to&limit&next[&format=xlsx]
 *   -> {"items":[{"id","tube_code","institution","tested_at","result","source",
 *       "external_id","created_at"}…],"total","next"} (newest first) | .xlsx */
static int
results_list(struct req *req)
{
    struct result_query q = { 0 };
    bool known = false;
    int rc;

    q.tube_code = api_query_opt(req, "tube_code");
    q.institution = api_query_opt(req, "institution");
    q.result = api_query_opt(req, "result");
    q.subdistrict = api_query_opt(req, "subdistrict");
    if ((rc = api_filter_time(req, "from", &q.from, NULL)) || (rc = api_filter_time(req, "to", &q.to, NULL)) ||
        (rc = api_text(req, "tube_code", q.tube_code, 32)) || (rc = api_text(req, "institution", q.institution, 128)) ||
        (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    for (const char *const *v = result_values; q.result && *v; v++)
        known |= strcmp(*v, q.result) == 0;
    if (q.result && !known)
        return req_fail(req, ERR_INVALID, "'result' must be negative, positive, invalid or pending");
    return api_list_serve(req, &results_def, &q);
}

const struct route api_results_routes[] = {
    { "POST", "/api/v1/results", results_create, PERM_RESULTS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/results/batch", results_batch, PERM_RESULTS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/results", results_list, PERM_RESULTS_READ, 0, 0 },
    ROUTE_END
};
