/* api/testing/actuals.c - /api/v1/actuals (实检报送, R2.2) and their corrections (R1.5, R1.6):
 * upstream systems report actual counts (one or a batch, idempotent by source +
 * external_id; a locked round answers 409); subdistrict accounts propose corrections of
 * their own subdistrict's reports, district accounts correct any report directly; the
 * district reads the original next to the proposals and decisions. Deciding proposals is
 * api/testing/corrections.c.
 */
#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/testing/actual.h"
#include "domain/testing/review.h"

#define ACTUALS_CORRECTION_CAP 4096

static json_t *
actuals_json(const struct actual *x)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:I, s:s, s:s}", "id", (json_int_t)x->id,
                          "plan_no", x->plan_no, "subdistrict", x->subdistrict, "site_code",
                          x->site_code[0] ? x->site_code : NULL, "industry", x->industry[0] ? x->industry : NULL,
                          "count", (json_int_t)x->count, "corrected", (json_int_t)x->corrected, "corrections",
                          (json_int_t)x->corrections, "reported_at", (json_int_t)x->reported_at, "source",
                          x->source, "external_id", x->external_id);
    if (o)
        json_object_set_new(o, "pending_correction", x->pending ? json_integer(x->pending) : json_null());
    return o;
}

json_t *
api_correction_json(const struct actual_correction *c)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:I, s:I, s:s, s:s, s:I, s:s, s:s?, s:s?, s:o}", "id",
                     (json_int_t)c->id, "actual_id", (json_int_t)c->actual_id, "plan_no", c->plan_no, "subdistrict",
                     c->subdistrict, "industry", c->industry[0] ? c->industry : NULL, "original",
                     (json_int_t)c->original, "corrected", (json_int_t)c->corrected, "reason", c->reason, "actor",
                     c->actor, "corrected_at", (json_int_t)c->corrected_at, "state", c->state, "decided_by",
                     c->decided_by[0] ? c->decided_by : NULL, "comment", c->comment[0] ? c->comment : NULL,
                     "decided_at", c->decided_at ? json_integer(c->decided_at) : json_null());
}

/* POST /api/v1/actuals {actual} -> 201 {"status":"accepted","id"} | 200 {"status":"duplicate"} */
static int actuals_create(struct req *req) { return api_ingest_one(req, &actual_kind); }

/* POST /api/v1/actuals/batch [{actual}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int actuals_batch(struct req *req) { return api_ingest_batch(req, &actual_kind); }

/* One page of actual reports for the query (api/export.h). */
static int
actuals_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct actual_query q = *(const struct actual_query *)query;
    struct actual *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = actual_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, actuals_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col actuals_cols[] = {
    { "编号", "id", API_COL_TEXT },          { "计划编号", "plan_no", API_COL_TEXT },
    { "街道", "subdistrict", API_COL_TEXT }, { "采样点编码", "site_code", API_COL_TEXT },
    { "行业", "industry", API_COL_TEXT },    { "报送数", "count", API_COL_INT },
    { "更正后", "corrected", API_COL_INT },  { "更正次数", "corrections", API_COL_INT },
    { "报送时间", "reported_at", API_COL_TIME }, { "来源", "source", API_COL_SHARED },
    { "外部编号", "external_id", API_COL_TEXT },
};

static const struct api_list_def actuals_def = {
    "actuals", "实检报送", actuals_page, 50, ACTUAL_LIST_MAX, actuals_cols,
    sizeof actuals_cols / sizeof actuals_cols[0], 0,
};

/* GET /api/v1/actuals?plan_no&subdistrict&limit&next[&format=xlsx] -> {"items","total","next"}
 * | .xlsx; each item has the reported "count", the effective "corrected" value and the
 * number of corrections */
static int
actuals_list(struct req *req)
{
    struct actual_query q = { 0 };
    int rc;

    q.plan_no = req_query(req, "plan_no");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "plan_no", q.plan_no, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    return api_list_serve(req, &actuals_def, &q);
}

/* GET /api/v1/actuals/{id} -> one report */
static int
actuals_get(struct req *req)
{
    struct actual x;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = actual_get(req->db, &req->actor, id, &req->arena, &x)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such actual report") : rc;
    return api_reply(req, 200, actuals_json(&x));
}

/* POST /api/v1/actuals/{id}/corrections {"corrected": N, "reason": s}
 *   -> 201 {"correction": {…, "state": "proposed" (subdistrict) | "approved" (district)},
 *   "actual": {…}}; 409 when the round is locked or a proposal is pending */
static int
actuals_correct(struct req *req)
{
    struct buf why = BUF_INIT;
    struct actual_correction c;
    struct actual x;
    json_t *body = NULL, *out;
    json_int_t corrected = 0;
    const char *reason = NULL;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:I, s:s}", "corrected", &corrected, "reason", &reason)))
        goto out;
    rc = actual_correct(req->app, req->db, &req->actor, id, (int64_t)corrected, reason, &req->arena, &c, &why);
    if (rc) {
        rc = rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such actual report")
             : why.len          ? req_fail(req, rc, "%s", why.data)
                                : rc;
        goto out;
    }
    if ((rc = actual_get(req->db, &req->actor, id, &req->arena, &x)))
        goto out;
    out = json_pack("{s:o, s:o}", "correction", api_correction_json(&c), "actual", actuals_json(&x));
    rc = api_reply(req, 201, out);
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* The corrections of the report whose id the query holds, one page (api/export.h). */
static int
actuals_corrections_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct actual_correction *items = NULL;
    struct actual x;
    size_t n = 0;
    int rc;
    if ((rc = actual_corrections(req->db, &req->actor, *(const int64_t *)query, pg->arena, &x, &items, &n)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such actual report") : rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, api_correction_json(&items[i]));
    pg->total = (int64_t)n;
    return 0;
}

static const struct api_col actuals_corrections_cols[] = {
    { "编号", "id", API_COL_TEXT },         { "报送编号", "actual_id", API_COL_TEXT },
    { "原值", "original", API_COL_INT },    { "更正值", "corrected", API_COL_INT },
    { "原因", "reason", API_COL_TEXT },     { "更正人", "actor", API_COL_TEXT },
    { "更正时间", "corrected_at", API_COL_TIME }, { "状态", "state", API_COL_SHARED },
    { "审核人", "decided_by", API_COL_TEXT }, { "审核时间", "decided_at", API_COL_TIME },
    { "审核意见", "comment", API_COL_TEXT },
};

static const struct api_list_def actuals_corrections_def = {
    "actual_corrections", "报送更正记录", actuals_corrections_page, 1, 1, actuals_corrections_cols,
    sizeof actuals_corrections_cols / sizeof actuals_corrections_cols[0], 0,
};

/* GET /api/v1/actuals/{id}/corrections[?format=xlsx] -> {"actual": {…}, "items": [{original,
 * corrected, reason, actor, corrected_at, state, decided_by, decided_at, comment}…] oldest
 * first, "total", "next": null} | .xlsx */
static int
actuals_corrections(struct req *req)
{
    struct actual_correction *items = NULL;
    struct actual x;
    size_t n = 0;
    int64_t id;
    json_t *arr;
    bool xlsx;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_format(req, &xlsx)))
        return rc;
    if (xlsx)
        return api_export(req, &actuals_corrections_def, actuals_corrections_cols,
                          actuals_corrections_def.ncols, &id, NULL);
    if ((rc = actual_corrections(req->db, &req->actor, id, &req->arena, &x, &items, &n)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such actual report") : rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, api_correction_json(&items[i]));
    return api_reply(req, 200,
                     json_pack("{s:o, s:o, s:I, s:n}", "actual", actuals_json(&x), "items", arr, "total",
                               (json_int_t)n, "next"));
}

const struct route api_actuals_routes[] = {
    { "POST", "/api/v1/actuals", actuals_create, PERM_ACTUALS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/actuals/batch", actuals_batch, PERM_ACTUALS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/actuals", actuals_list, PERM_ACTUALS_READ, 0, 0 },
    { "GET", "/api/v1/actuals/{id}", actuals_get, PERM_ACTUALS_READ, 0, 0 },
    { "POST", "/api/v1/actuals/{id}/corrections", actuals_correct, PERM_ACTUALS_WRITE, ROUTE_JSON,
      ACTUALS_CORRECTION_CAP },
    { "GET", "/api/v1/actuals/{id}/corrections", actuals_corrections, PERM_ACTUALS_READ, 0, 0 },
    ROUTE_END
};
