/* api/testing/plans.c - /api/v1/plans (计划, mass-testing rounds) and /api/v1/planned (应检报送
 * planned head-counts) (R1.4, R2.3). Both are ingest resources (one or a batch, idempotent
 * by source + external_id) with list/get reads; planned counts feed stat_plan. Both use the
 * plans.* permissions. Subdistrict actors see the plans covering them and their own rows.
 * Also the round lock (district accounts; domain/testing/review.h) and planned vs actual
 * per subdistrict, community or industry (domain/testing/progress.h, R1.4-R1.6).
 */
#include "api/api.h"
#include "core/err.h"
#include "domain/testing/plan.h"
#include "domain/testing/progress.h"
#include "domain/testing/review.h"

static json_t *
plans_json(const struct plan *p)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s, s:I, s:b, s:o, s:s?}", "id", (json_int_t)p->id,
                     "plan_no", p->plan_no, "name", p->name, "kind", p->kind, "starts_at", (json_int_t)p->starts_at,
                     "ends_at", (json_int_t)p->ends_at, "scope", plan_scope_json(p->scope), "source", p->source,
                     "external_id", p->external_id, "created_at", (json_int_t)p->created_at, "locked",
                     p->locked_at != 0, "locked_at", p->locked_at ? json_integer(p->locked_at) : json_null(),
                     "locked_by", p->locked_by[0] ? p->locked_by : NULL);
}

/* POST /api/v1/plans {plan} -> 201 {"status":"accepted","id"} | 200 {"status":"duplicate"} */
static int plans_create(struct req *req) { return api_ingest_one(req, &plan_kind); }

/* POST /api/v1/plans/batch [{plan}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int plans_batch(struct req *req) { return api_ingest_batch(req, &plan_kind); }

/* GET /api/v1/plans?q&at&limit&next -> {"items","total","next"} */
static int
plans_list(struct req *req)
{
    struct plan_query q = { 0 };
    struct plan *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    int rc;

    q.q = req_query(req, "q");
    if ((rc = api_page(req, 50, PLAN_LIST_MAX, &q.limit, &q.after)) || (rc = api_text(req, "q", q.q, 64)) ||
        (rc = api_query_time(req, "at", &q.at)) ||
        (rc = plan_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, plans_json(&items[i]));
    return api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
}

/* GET /api/v1/plans/{plan_no} -> the plan with "totals" {planned, reported, corrected,
 * sampled} over the caller's scope (from stat_plan) */
static int
plans_get(struct req *req)
{
    const char *plan_no = req->nparams ? req->params[0] : "";
    struct plan p;
    struct plan_totals t;
    json_t *o;
    int rc;

    if ((rc = api_text(req, "plan_no", plan_no, 32)))
        return rc;
    if ((rc = plan_get(req->db, &req->actor, plan_no, &req->arena, &p)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such plan") : rc;
    if ((rc = plan_totals(req->db, &req->actor, p.id, &t)))
        return rc;
    o = plans_json(&p);
    if (o)
        json_object_set_new(o, "totals",
                            json_pack("{s:I, s:I, s:I, s:I}", "planned", (json_int_t)t.planned, "reported",
                                      (json_int_t)t.reported, "corrected", (json_int_t)t.corrected, "sampled",
                                      (json_int_t)t.sampled));
    return api_reply(req, 200, o);
}

/* POST /api/v1/planned {planned} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int planned_create(struct req *req) { return api_ingest_one(req, &plan_planned_kind); }

/* POST /api/v1/planned/batch [{planned}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int planned_batch(struct req *req) { return api_ingest_batch(req, &plan_planned_kind); }

/* GET /api/v1/planned?plan_no&subdistrict&limit&next -> {"items","total","next"} */
static int
planned_list(struct req *req)
{
    struct plan_planned_query q = { 0 };
    struct plan_planned *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    int rc;

    q.plan_no = req_query(req, "plan_no");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_page(req, 50, PLAN_LIST_MAX, &q.limit, &q.after)) ||
        (rc = api_text(req, "plan_no", q.plan_no, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)) ||
        (rc = plan_planned_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct plan_planned *p = &items[i];
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:I, s:I, s:s, s:s}", "id", (json_int_t)p->id, "plan_no",
                           p->plan_no, "subdistrict", p->subdistrict, "community",
                           p->community[0] ? p->community : NULL, "industry", p->industry[0] ? p->industry : NULL,
                           "count", (json_int_t)p->count, "reported_at", (json_int_t)p->reported_at, "source",
                           p->source, "external_id", p->external_id));
    }
    return api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
}

/* plans_lock_set is POST /api/v1/plans/{plan_no}/lock and /unlock -> 200 the plan */
static int
plans_lock_set(struct req *req, bool lock)
{
    const char *plan_no = req->nparams ? req->params[0] : "";
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    struct plan p;
    int rc;

    if ((rc = api_text(req, "plan_no", plan_no, 32)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{}")))
        goto out;
    /* the plan must be visible to the caller before anything else is said about it */
    if ((rc = plan_get(req->db, &req->actor, plan_no, &req->arena, &p)) ||
        (rc = plan_lock(req->app, req->db, &req->actor, plan_no, lock, NULL, &why)) ||
        (rc = plan_get(req->db, &req->actor, plan_no, &req->arena, &p))) {
        rc = rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such plan") : why.len ? req_fail(req, rc, "%s", why.data) : rc;
        goto out;
    }
    rc = api_reply(req, 200, plans_json(&p));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int plans_lock(struct req *req) { return plans_lock_set(req, true); }
static int plans_unlock(struct req *req) { return plans_lock_set(req, false); }

/* GET /api/v1/plans/{plan_no}/progress?by=subdistrict|community|industry
 *   -> {"plan_no","by","basis":"sampled"|"corrected","locked","items":[{"subdistrict",
 *   "subdistrict_name","code"?,"name"?,"planned","reported","corrected","sampled" (null by
 *   industry),"difference","completion" (basis points)}…],"total"} in the caller's scope */
static int
plans_progress(struct req *req)
{
    const char *plan_no = req->nparams ? req->params[0] : "";
    const char *by_text = req_query(req, "by");
    struct progress_row *rows = NULL;
    enum progress_by by;
    struct plan p;
    size_t n = 0;
    json_t *arr;
    int rc;

    if ((rc = api_text(req, "plan_no", plan_no, 32)))
        return rc;
    if (progress_parse_by(by_text, &by))
        return req_fail(req, ERR_INVALID, "'by' must be subdistrict, community or industry");
    if ((rc = plan_get(req->db, &req->actor, plan_no, &req->arena, &p)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such plan") : rc;
    if ((rc = plan_progress(req->db, &req->actor, p.id, by, &req->arena, &rows, &n)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct progress_row *r = &rows[i];
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:o, s:I, s:I}", "subdistrict", r->subdistrict,
                           "subdistrict_name", r->subdistrict_name, "code", by == PROGRESS_SUBDISTRICT ? NULL : r->code,
                           "name", by == PROGRESS_SUBDISTRICT ? NULL : r->name, "planned", (json_int_t)r->planned,
                           "reported", (json_int_t)r->reported, "corrected", (json_int_t)r->corrected, "sampled",
                           r->sampled < 0 ? json_null() : json_integer(r->sampled), "difference",
                           (json_int_t)r->difference, "completion", (json_int_t)r->completion_bp));
    }
    return api_reply(req, 200,
                     json_pack("{s:s, s:s, s:s, s:b, s:o, s:I}", "plan_no", p.plan_no, "by",
                               by == PROGRESS_SUBDISTRICT ? "subdistrict"
                               : by == PROGRESS_COMMUNITY ? "community"
                                                          : "industry",
                               "basis", progress_basis(by), "locked", p.locked_at != 0, "items", arr, "total",
                               (json_int_t)n));
}

const struct route api_plans_routes[] = {
    { "POST", "/api/v1/plans", plans_create, PERM_PLANS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/plans/batch", plans_batch, PERM_PLANS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/plans", plans_list, PERM_PLANS_READ, 0, 0 },
    { "GET", "/api/v1/plans/{plan_no}", plans_get, PERM_PLANS_READ, 0, 0 },
    { "GET", "/api/v1/plans/{plan_no}/progress", plans_progress, PERM_PLANS_READ, 0, 0 },
    { "POST", "/api/v1/plans/{plan_no}/lock", plans_lock, PERM_PLANS_WRITE, ROUTE_JSON, 1024 },
    { "POST", "/api/v1/plans/{plan_no}/unlock", plans_unlock, PERM_PLANS_WRITE, ROUTE_JSON, 1024 },
    { "POST", "/api/v1/planned", planned_create, PERM_PLANS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/planned/batch", planned_batch, PERM_PLANS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/planned", planned_list, PERM_PLANS_READ, 0, 0 },
    ROUTE_END
};
