/* api/exchange/emergency.c - the emergency bureau's (应急局) real-time statistics, by
 * subdistrict (R2.8) and by industry (R2.9): theirs in (POST), ours out in their layout with
 * theirs beside it (GET, also as .xlsx). What the figures mean: domain/exchange/emergency.h. */
#include "api/api.h"
#include "api/export.h"
#include <string.h>
#include "core/err.h"
#include "core/str.h"
#include "domain/exchange/emergency.h"
#include "domain/exchange/emergency_import.h"
#include "http/form.h"
#include "http/multipart.h"

#define EMERGENCY_BODY_CAP ((size_t)4 << 20)
#define EMERGENCY_FILE_CAP ((size_t)16 << 20)
#define EMERGENCY_UPLOAD_CAP (EMERGENCY_FILE_CAP + ((size_t)64 << 10))

static enum emergency_layout
em_layout(const struct req *req)
{
    return strstr(req->path, "/by-industry") ? EMERGENCY_BY_INDUSTRY : EMERGENCY_BY_SUBDISTRICT;
}

struct em_query {
    enum emergency_layout layout;
    const char *plan;
};

/* The comparison flattened for the spreadsheet: one page, every row. */
static int
em_page(struct req *req, const void *query, struct api_list_page *pg)
{
    const struct em_query *q = query;
    json_t *all = NULL, *r;
    struct buf why = BUF_INIT;
    size_t i;
    int rc = emergency_compare(req->db, &req->actor, q->layout, q->plan, &all, &why);
    if (rc) {
        rc = req_fail(req, rc, "%s", why.len ? why.data : "failed");
        buf_release(&why);
        return rc;
    }
    buf_release(&why);
    pg->items = json_incref(json_object_get(all, "rows"));
    json_array_foreach(pg->items, i, r) {
        json_t *t = json_object_get(r, "theirs");
        json_object_set(r, "their_planned", json_object_get(t, "planned") ? json_object_get(t, "planned") : json_null());
        json_object_set(r, "their_actual", json_object_get(t, "actual") ? json_object_get(t, "actual") : json_null());
        json_object_set(r, "their_difference",
                        json_object_get(t, "difference") ? json_object_get(t, "difference") : json_null());
        json_object_set(r, "their_received_time",
                        json_object_get(t, "received_time") ? json_object_get(t, "received_time") : json_null());
    }
    pg->total = (int64_t)json_array_size(pg->items);
    json_decref(all);
    return 0;
}

static const struct api_col em_cols_sub[] = {
    { "街道编码", "code", API_COL_TEXT },          { "街道", "name", API_COL_TEXT },
    { "计划编号", "plan_no", API_COL_TEXT },       { "计划名称", "plan_name", API_COL_TEXT },
    { "开始时间", "start_time", API_COL_TIME },    { "接诉时间", "received_time", API_COL_TIME },
    { "计划", "planned", API_COL_INT },            { "实际", "actual", API_COL_INT },
    { "差值", "difference", API_COL_INT },         { "各行业数", "industry_counts", API_COL_JSON },
    { "应急局计划", "their_planned", API_COL_INT }, { "应急局实际", "their_actual", API_COL_INT },
    { "应急局差值", "their_difference", API_COL_INT }, { "应急局接诉时间", "their_received_time", API_COL_TIME },
    { "不一致", "mismatch", API_COL_BOOL },
};
static const struct api_col em_cols_ind[] = {
    { "行业编码", "code", API_COL_TEXT },          { "行业", "name", API_COL_TEXT },
    { "计划编号", "plan_no", API_COL_TEXT },       { "计划名称", "plan_name", API_COL_TEXT },
    { "开始时间", "start_time", API_COL_TIME },    { "接诉时间", "received_time", API_COL_TIME },
    { "计划", "planned", API_COL_INT },            { "实际", "actual", API_COL_INT },
    { "差值", "difference", API_COL_INT },         { "应急局计划", "their_planned", API_COL_INT },
    { "应急局实际", "their_actual", API_COL_INT }, { "应急局差值", "their_difference", API_COL_INT },
    { "应急局接诉时间", "their_received_time", API_COL_TIME }, { "不一致", "mismatch", API_COL_BOOL },
};

/* GET /api/v1/exchange/emergency/by-subdistrict|by-industry?plan=PLAN_NO[&format=xlsx]
 *   -> 200 {"plan_no","plan_name","start_time","layout","generated_at","rows":[…]} | .xlsx */
static int
em_get(struct req *req)
{
    struct em_query q = { em_layout(req), api_query_opt(req, "plan") };
    json_t *out = NULL;
    struct buf why = BUF_INIT;
    bool xlsx;
    int rc;

    if ((rc = api_format(req, &xlsx)) || (rc = api_text(req, "plan", q.plan, EMERGENCY_NAME_MAX)))
        return rc;
    if (!q.plan || !*q.plan)
        return req_fail(req, ERR_INVALID, "'plan' (the plan number) is required");
    if (xlsx) {
        bool sub = q.layout == EMERGENCY_BY_SUBDISTRICT;
        struct api_list_def def = { sub ? "exchange.emergency.by_subdistrict" : "exchange.emergency.by_industry",
                                    sub ? "应急局统计(按街道)" : "应急局统计(按行业)", em_page, 1, 1,
                                    sub ? em_cols_sub : em_cols_ind, 0, 0 };
        def.ncols = sub ? sizeof em_cols_sub / sizeof em_cols_sub[0] : sizeof em_cols_ind / sizeof em_cols_ind[0];
        char *filters = arena_printf(&req->arena, "plan=%s", q.plan);
        return api_export(req, &def, def.cols, def.ncols, &q, filters);
    }
    rc = emergency_compare(req->db, &req->actor, q.layout, q.plan, &out, &why);
    if (rc)
        rc = req_fail(req, rc, "%s", why.len ? why.data : "failed");
    buf_release(&why);
    return rc ? rc : api_reply(req, 200, out);
}

/* POST /api/v1/exchange/emergency/by-subdistrict|by-industry {"source","rows":[{…}…]}
 *   -> 200 {"rows","inserted","updated","unchanged"}; all rows or none. */
static int
em_post(struct req *req)
{
    json_t *body = NULL, *rows = NULL;
    const char *source = NULL;
    struct emergency_result res;
    struct buf why = BUF_INIT;
    int rc;

    if ((rc = api_body(req, &body)))
        return rc;
    if ((rc = api_unpack(req, body, "{s:s, s:o}", "source", &source, "rows", &rows)) ||
        (rc = api_text(req, "source", source, EMERGENCY_NAME_MAX))) {
        json_decref(body);
        return rc;
    }
    rc = emergency_ingest(req->app, req->db, &req->actor, em_layout(req), source, rows, &res, &why);
    if (rc)
        rc = req_fail(req, rc, "%s", why.len ? why.data : "failed");
    else
        rc = api_reply(req, 200,
                       json_pack("{s:I, s:I, s:I, s:I}", "rows", (json_int_t)json_array_size(rows), "inserted",
                                 (json_int_t)res.inserted, "updated", (json_int_t)res.updated, "unchanged",
                                 (json_int_t)res.unchanged));
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* em_form_text copies the short multipart field name into out ("" when absent). */
static int
em_form_text(struct req *req, const char *name, char *out, size_t cap)
{
    struct multipart_field f;
    int rc = form_field(req, name, &f, NULL);
    out[0] = '\0';
    if (rc || !f.found)
        return rc;
    struct str v = str_trim(f.data);
    if (v.n >= cap)
        return req_fail(req, ERR_INVALID, "'%s' is too long", name);
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return api_text(req, name, out, cap - 1);
}

/* POST /api/v1/exchange/emergency/import  multipart: file (.xlsx|.csv), plan? (default plan
 *   number), source? (default "file") -> 200 {"layout","header_row","rows","accepted",
 *   "rejected","skipped","inserted","updated","unchanged","report":[{"row","status","name",
 *   "reason"}…]}; the CLI's `exchange emergency import` over the uploaded bytes. */
static int
em_import(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct emergency_sheet s = { 0 };
    struct emergency_result res;
    struct buf why = BUF_INIT;
    char plan[EMERGENCY_NAME_MAX + 1], source[EMERGENCY_NAME_MAX + 1];
    int rc;

    if ((rc = api__form_file(req, EMERGENCY_FILE_CAP, &f, &src)) || (rc = em_form_text(req, "plan", plan, sizeof plan)) ||
        (rc = em_form_text(req, "source", source, sizeof source)))
        return rc;
    rc = emergency_import_from(req->app, req->db, &req->actor, &src, source[0] ? source : "file",
                               plan[0] ? plan : NULL, &s, &res, &why);
    if (rc)
        rc = req_fail(req, rc, "%s", why.len ? why.data : "the import failed");
    else
        rc = api_reply(req, 200,
                       json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "layout",
                                 emergency_layout_name(s.layout), "header_row", (json_int_t)s.header_row, "rows",
                                 (json_int_t)(s.accepted + s.rejected + s.skipped), "accepted", (json_int_t)s.accepted,
                                 "rejected", (json_int_t)s.rejected, "skipped", (json_int_t)s.skipped, "inserted",
                                 (json_int_t)res.inserted, "updated", (json_int_t)res.updated, "unchanged",
                                 (json_int_t)res.unchanged, "report", s.report));
    emergency_sheet_release(&s);
    buf_release(&why);
    return rc;
}

const struct route api_emergency_routes[] = {
    { "POST", "/api/v1/exchange/emergency/import", em_import, PERM_PLANS_WRITE, ROUTE_MULTIPART, EMERGENCY_UPLOAD_CAP },
    { "GET", "/api/v1/exchange/emergency/by-subdistrict", em_get, PERM_STATS_READ, 0, 0 },
    { "GET", "/api/v1/exchange/emergency/by-industry", em_get, PERM_STATS_READ, 0, 0 },
    { "POST", "/api/v1/exchange/emergency/by-subdistrict", em_post, PERM_PLANS_WRITE, ROUTE_JSON, EMERGENCY_BODY_CAP },
    { "POST", "/api/v1/exchange/emergency/by-industry", em_post, PERM_PLANS_WRITE, ROUTE_JSON, EMERGENCY_BODY_CAP },
    ROUTE_END
};
