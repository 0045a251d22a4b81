/* api/testing/corrections.c - /api/v1/corrections: the district's review of the corrections
 * subdistricts propose (R1.5, R1.6; the workflow is domain/testing/review.h). Lists are
 * scoped (a subdistrict account sees its own subdistrict's corrections only); approving
 * and rejecting are for district accounts (403 otherwise), 409 for a correction decided
 * already or a locked round. Proposals are made at /api/v1/actuals/{id}/corrections.
 */
#include "api/api.h"
#include "core/err.h"
#include "domain/testing/review.h"

#define CORRECTIONS_DECIDE_CAP 4096

/* GET /api/v1/corrections?plan=&state=&subdistrict=&limit&next -> {"items","total","next"} */
static int
corrections_list(struct req *req)
{
    struct correction_query q = { 0 };
    struct actual_correction *items = NULL;
    struct buf why = BUF_INIT;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    int rc;

    q.plan_no = req_query(req, "plan");
    q.state = req_query(req, "state");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_page(req, 50, REVIEW_LIST_MAX, &q.limit, &q.after)) || (rc = api_text(req, "plan", q.plan_no, 32)) ||
        (rc = api_text(req, "state", q.state, 16)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        goto out;
    if ((rc = correction_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total, &why))) {
        rc = why.len ? req_fail(req, rc, "%s", why.data) : rc;
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, api_correction_json(&items[i]));
    rc = api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
out:
    buf_release(&why);
    return rc;
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
