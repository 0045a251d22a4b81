/* api/platform/audit.c - the /api/v1/audit resource: read-only for the auditor (S6 安全审计).
 * There is no route that changes or deletes audit entries. */
#include <stdio.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/platform/audit.h"

static int
audit_query_time(struct req *req, const char *name, int64_t *out)
{
    const char *v = req_query(req, name);
    *out = 0;
    if (v && *v && cstr_to_i64(v, out, 0, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'%s' must be milliseconds since the epoch", name);
    return 0;
}

/* One page of audit entries, newest first (api/export.h). */
static int
audit_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct audit_query q = *(const struct audit_query *)query;
    struct audit_entry *items = NULL;
    size_t n = 0;
    int rc;

    q.limit = pg->limit;
    q.before_id = pg->cursor;
    if ((rc = audit_list(req->db, &q, pg->arena, &items, &n, &pg->total)))
        return rc;
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            pg->items, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)items[i].id,
                                 "ts", (json_int_t)items[i].ts, "actor", items[i].actor, "role", items[i].role, "ip",
                                 items[i].ip, "action", items[i].action, "target", items[i].target, "result",
                                 items[i].result, "request_id", items[i].request_id, "detail", items[i].detail));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col audit_cols[] = {
    { "编号", "id", API_COL_TEXT },       { "时间", "ts", API_COL_TIME },       { "操作人", "actor", API_COL_TEXT },
    { "角色", "role", API_COL_SHARED },   { "IP地址", "ip", API_COL_TEXT },     { "操作", "action", API_COL_SHARED },
    { "对象", "target", API_COL_TEXT },   { "结果", "result", API_COL_SHARED }, { "请求编号", "request_id", API_COL_TEXT },
    { "详情", "detail", API_COL_TEXT },
};

static const struct api_list_def audit_def = {
    "audit", "审计日志", audit_page, 50, 500, audit_cols, sizeof audit_cols / sizeof audit_cols[0], 0,
};

/* GET /api/v1/audit?limit&next&actor&action&from&to[&format=xlsx] -> {"items","total","next"}
 * | .xlsx (the export is itself audited, as export.audit) */
static int
audit_list_handler(struct req *req)
{
    struct audit_query q = { 0 };
    int rc;

    if ((rc = audit_query_time(req, "from", &q.from)) || (rc = audit_query_time(req, "to", &q.to)))
        return rc;
    q.actor = req_query(req, "actor");
    q.action = req_query(req, "action");
    if ((rc = api_text(req, "actor", q.actor, 64)) || (rc = api_text(req, "action", q.action, 64)))
        return rc;
    return api_list_serve(req, &audit_def, &q);
}

/* GET /api/v1/audit/verify[?after=ID&limit=N] -> {"ok","checked","first_broken_id","next"}
 * One slice of the chain per request (issue 12): at most limit rows (default 10 000, at most
 * 100 000) after row `after` (default 0, the start). "next" is the `after` of the following
 * slice, null once the end (and the head) was checked; "ok" speaks for the rows checked so
 * far, so a client walks from after=0 following "next" until it is null or ok is false. */
static int
audit_verify_handler(struct req *req)
{
    int64_t checked = 0, broken = 0, next = 0, after = 0, limit = AUDIT_VERIFY_SLICE;
    const char *qa = req_query(req, "after"), *ql = req_query(req, "limit");
    char detail[64];
    int rc;
    if (qa && cstr_to_i64(qa, &after, 0, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'after' must be an audit entry id");
    if (ql && cstr_to_i64(ql, &limit, 1, AUDIT_VERIFY_SLICE_MAX))
        return req_fail(req, ERR_INVALID, "'limit' must be between 1 and 100000");
    rc = audit_verify_slice(req->db, &req->app->keys, after, (size_t)limit, &checked, &broken, &next);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, ERR_INVALID, "'after' must be an audit entry id");
    if (rc)
        return rc;
    snprintf(detail, sizeof detail, "after=%lld checked=%lld", (long long)after, (long long)checked);
    audit_record(req->db, &req->app->keys, &req->actor, "audit.verify", "audit_log",
                 broken ? "broken" : "ok", detail);
    return api_reply(req, 200, json_pack("{s:b, s:I, s:o, s:o}", "ok", broken == 0, "checked",
                                         (json_int_t)checked, "first_broken_id",
                                         broken ? json_integer(broken) : json_null(), "next",
                                         next ? json_integer(next) : json_null()));
}

const struct route api_audit_routes[] = {
    { "GET", "/api/v1/audit", audit_list_handler, PERM_AUDIT_READ, 0, 0 },
    { "GET", "/api/v1/audit/verify", audit_verify_handler, PERM_AUDIT_READ, 0, 0 },
    ROUTE_END
};
