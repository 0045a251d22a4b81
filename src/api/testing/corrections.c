/* api/testing/corrections.c - /api/v1/corrections: the district's review of the corrections
 * subdistricts propose (R1.5, R1.6; the workflow is domain/testing/review.h). Lists are
 * scoped (a subdistrict account sees its own subdistrict's corrections only); approving
 * and rejecting are for district accounts (403 otherwise), 409 for a correction decided
 * already or a locked round. Proposals are made at /api/v1/actuals/{id}/corrections.
 */
#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "domain/testing/review.h"

#define CORRECTIONS_DECIDE_CAP 4096

/* One page of corrections for the query (api/export.h). */
static int
corrections_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct correction_query q = *(const struct correction_query *)query;
    struct actual_correction *items = NULL;
    struct buf why = BUF_INIT;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = correction_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total, &why))) {
        rc = why.len ? req_fail(req, rc, "%s", why.data) : rc;
        buf_release(&why);
        return rc;
    }
    buf_release(&why);
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, api_correction_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col corrections_cols[] = {
    { "编号", "id", API_COL_TEXT },           { "实检报送编号", "actual_id", API_COL_TEXT },
    { "计划编号", "plan_no", API_COL_TEXT },  { "街道", "subdistrict", API_COL_TEXT },
    { "行业", "industry", API_COL_TEXT },     { "原报送数", "original", API_COL_INT },
    { "更正为", "corrected", API_COL_INT },   { "更正理由", "reason", API_COL_TEXT },
    { "提出人", "actor", API_COL_TEXT },      { "提出时间", "corrected_at", API_COL_TIME },
    { "状态", "state", API_COL_SHARED },      { "审核人", "decided_by", API_COL_TEXT },
    { "审核意见", "comment", API_COL_TEXT },  { "审核时间", "decided_at", API_COL_TIME },
};

static const struct api_list_def corrections_def = {
    "corrections", "更正审核", corrections_page, 50, REVIEW_LIST_MAX, corrections_cols,
    sizeof corrections_cols / sizeof corrections_cols[0], 0,
};

/* GET /api/v1/corrections?plan=&state=&subdistrict=&limit&next[&format=xlsx]
 *   -> {"items","total","next"} | .xlsx of every match (same scope, same filters) */
static int
corrections_list(struct req *req)
{
    struct correction_query q = { 0 };
    int rc;

    q.plan_no = req_query(req, "plan");
    q.state = req_query(req, "state");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "plan", q.plan_no, 32)) || (rc = api_text(req, "state", q.state, 16)) ||
        (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    return api_list_serve(req, &corrections_def, &q);
}

/* corrections_decide is POST /api/v1/corrections/{id}/approve {"comment"?: s} and
 * /reject {"comment": s} -> 200 {"correction": {…}} */
static int
corrections_decide(struct req *req, bool approve)
{
    struct actual_correction c;
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    const char *comment = NULL;
    int64_t id;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s?s}", "comment", &comment)))
        goto out;
    rc = correction_decide(req->app, req->db, &req->actor, id, approve, comment, &req->arena, &c, &why);
    if (rc) {
        rc = rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such correction")
             : why.len          ? req_fail(req, rc, "%s", why.data)
                                : rc;
        goto out;
    }
    rc = api_reply(req, 200, json_pack("{s:o}", "correction", api_correction_json(&c)));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int corrections_approve(struct req *req) { return corrections_decide(req, true); }
static int corrections_reject(struct req *req) { return corrections_decide(req, false); }

const struct route api_corrections_routes[] = {
    { "GET", "/api/v1/corrections", corrections_list, PERM_ACTUALS_READ, 0, 0 },
    { "POST", "/api/v1/corrections/{id}/approve", corrections_approve, PERM_ACTUALS_WRITE, ROUTE_JSON,
      CORRECTIONS_DECIDE_CAP },
    { "POST", "/api/v1/corrections/{id}/reject", corrections_reject, PERM_ACTUALS_WRITE, ROUTE_JSON,
      CORRECTIONS_DECIDE_CAP },
    ROUTE_END
};
