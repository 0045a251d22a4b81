/* api/testing/plans.c - /api/v1/plans (计划, mass-testing rounds) and /api/v1/planned (应检报送
 * planned head-counts) (R1.4, R2.3). Both are ingest resources (one or a batch, idempotent
 * by source + external_id) with list/get reads; planned counts feed stat_plan. Both use the
 * plans.* permissions. Subdistrict actors see the plans covering them and their own rows.
 * Also the round lock (district accounts; domain/testing/review.h) and planned vs actual
 * per subdistrict, community or industry (domain/testing/progress.h, R1.4-R1.6).
 */
#include <stdio.h>

#include "api/api.h"
#include "api/export.h"
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

/* One page of plans for the query (api/export.h). */
static int
plans_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct plan_query q = *(const struct plan_query *)query;
    struct plan *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = plan_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, plans_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col plans_cols[] = {
    { "编号", "id", API_COL_TEXT },            { "计划编号", "plan_no", API_COL_TEXT },
    { "名称", "name", API_COL_TEXT },          { "类型", "kind", API_COL_SHARED },
    { "开始时间", "starts_at", API_COL_TIME }, { "结束时间", "ends_at", API_COL_TIME },
    { "范围", "scope", API_COL_JSON },         { "来源", "source", API_COL_SHARED },
    { "外部编号", "external_id", API_COL_TEXT }, { "创建时间", "created_at", API_COL_TIME },
};

static const struct api_list_def plans_def = {
    "plans", "检测计划", plans_page, 50, PLAN_LIST_MAX, plans_cols, sizeof plans_cols / sizeof plans_cols[0], 0,
};

/* GET /api/v1/plans?q&at&limit&next[&format=xlsx] -> {"items","total","next"} | .xlsx */
static int
plans_list(struct req *req)
{
    struct plan_query q = { 0 };
    int rc;

    q.q = req_query(req, "q");
    if ((rc = api_text(req, "q", q.q, 64)) || (rc = api_query_time(req, "at", &q.at)))
        return rc;
    return api_list_serve(req, &plans_def, &q);
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

/* One page of planned head-counts for the query (api/export.h). */
static int
planned_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct plan_planned_query q = *(const struct plan_planned_query *)query;
    struct plan_planned *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.after = pg->cursor;
    if ((rc = plan_planned_list(req->db, &req->actor, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct plan_planned *p = &items[i];
        json_array_append_new(
            pg->items, json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:I, s:I, s:s, s:s}", "id", (json_int_t)p->id,
                                 "plan_no", p->plan_no, "subdistrict", p->subdistrict, "community",
                                 p->community[0] ? p->community : NULL, "industry",
                                 p->industry[0] ? p->industry : NULL, "count", (json_int_t)p->count,
                                 "reported_at", (json_int_t)p->reported_at, "source", p->source, "external_id",
                                 p->external_id));
    }
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col planned_cols[] = {
    { "编号", "id", API_COL_TEXT },          { "计划编号", "plan_no", API_COL_TEXT },
    { "街道", "subdistrict", API_COL_TEXT }, { "社区", "community", API_COL_TEXT },
    { "行业", "industry", API_COL_TEXT },    { "应检人数", "count", API_COL_INT },
    { "报送时间", "reported_at", API_COL_TIME }, { "来源", "source", API_COL_SHARED },
    { "外部编号", "external_id", API_COL_TEXT },
};

static const struct api_list_def planned_def = {
    "planned", "应检报送", planned_page, 50, PLAN_LIST_MAX, planned_cols,
    sizeof planned_cols / sizeof planned_cols[0], 0,
};

/* GET /api/v1/planned?plan_no&subdistrict&limit&next[&format=xlsx] -> {"items","total","next"}
 * | .xlsx */
static int
planned_list(struct req *req)
{
    struct plan_planned_query q = { 0 };
    int rc;

    q.plan_no = req_query(req, "plan_no");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "plan_no", q.plan_no, 32)) || (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    return api_list_serve(req, &planned_def, &q);
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

/* The query of a progress table: the plan (visible to the caller) and the grouping. */
struct progress_query {
    int64_t plan_id;
    enum progress_by by;
};

/* progress_items builds the JSON rows of a plan's progress in the caller's scope. */
static int
progress_items(struct req *req, const struct progress_query *q, struct arena *arena, json_t **out)
{
    struct progress_row *rows = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    if ((rc = plan_progress(req->db, &req->actor, q->plan_id, q->by, arena, &rows, &n)))
        return rc;
    *out = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct progress_row *r = &rows[i];
        bool sd = q->by == PROGRESS_SUBDISTRICT;
        json_array_append_new(
            *out, json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:o, s:I, s:I}", "subdistrict", r->subdistrict,
                            "subdistrict_name", r->subdistrict_name, "code", sd ? NULL : r->code, "name",
                            sd ? NULL : r->name, "planned", (json_int_t)r->planned, "reported",
                            (json_int_t)r->reported, "corrected", (json_int_t)r->corrected, "sampled",
                            r->sampled < 0 ? json_null() : json_integer(r->sampled), "difference",
                            (json_int_t)r->difference, "completion", (json_int_t)r->completion_bp));
    }
    return 0;
}

/* The whole progress table as one page (it is one row per group, never long): the export
 * half of api/export.h. */
static int
progress_page(struct req *req, const void *query, struct api_list_page *pg)
{
    int rc;
    if ((rc = progress_items(req, query, pg->arena, &pg->items)))
        return rc;
    pg->total = (int64_t)json_array_size(pg->items);
    pg->next = 0;
    return 0;
}

static const struct api_col progress_cols[] = {
    { "街道编码", "subdistrict", API_COL_TEXT }, { "街道", "subdistrict_name", API_COL_TEXT },
    { "编码", "code", API_COL_TEXT },            { "名称", "name", API_COL_TEXT },
    { "应检", "planned", API_COL_INT },          { "实检报送", "reported", API_COL_INT },
    { "更正后", "corrected", API_COL_INT },      { "采样数", "sampled", API_COL_INT },
    { "差异", "difference", API_COL_INT },       { "完成率(%)", "completion", API_COL_BP },
};

static const struct api_list_def progress_def = {
    "progress", "应检实检", progress_page, 1, 1, progress_cols, sizeof progress_cols / sizeof progress_cols[0], 0,
};

/* GET /api/v1/plans/{plan_no}/progress?by=subdistrict|community|industry[&format=xlsx]
 *   -> {"plan_no","by","basis":"sampled"|"corrected","locked","items":[{"subdistrict",
 *   "subdistrict_name","code"?,"name"?,"planned","reported","corrected","sampled" (null by
 *   industry),"difference","completion" (basis points)}…],"total"} in the caller's scope
 *   | the same rows as an .xlsx (api/export.h; the plan and grouping in the title row) */
static int
plans_progress(struct req *req)
{
    const char *plan_no = req->nparams ? req->params[0] : "";
    const char *by_text = req_query(req, "by");
    struct progress_query q = { 0 };
    char filters[96];
    struct plan p;
    json_t *arr;
    bool xlsx;
    int rc;

    if ((rc = api_text(req, "plan_no", plan_no, 32)) || (rc = api_format(req, &xlsx)))
        return rc;
    if (progress_parse_by(by_text, &q.by))
        return req_fail(req, ERR_INVALID, "'by' must be subdistrict, community or industry");
    if ((rc = plan_get(req->db, &req->actor, plan_no, &req->arena, &p)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such plan") : rc;
    q.plan_id = p.id;
    const char *by = q.by == PROGRESS_SUBDISTRICT ? "subdistrict" : q.by == PROGRESS_COMMUNITY ? "community" : "industry";
    if (xlsx) {
        snprintf(filters, sizeof filters, "计划 %s, 按%s", p.plan_no,
                 q.by == PROGRESS_SUBDISTRICT ? "街道" : q.by == PROGRESS_COMMUNITY ? "社区" : "行业");
        return api_export(req, &progress_def, progress_cols, progress_def.ncols, &q, filters);
    }
    if ((rc = progress_items(req, &q, &req->arena, &arr)))
        return rc;
    return api_reply(req, 200,
                     json_pack("{s:s, s:s, s:s, s:b, s:o, s:I}", "plan_no", p.plan_no, "by", by, "basis",
                               progress_basis(q.by), "locked", p.locked_at != 0, "items", arr, "total",
                               (json_int_t)json_array_size(arr)));
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
