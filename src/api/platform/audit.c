/* api/platform/audit.c - the /api/v1/audit resource: read-only for the auditor (S6 安全审计).
 * There is no route that changes or deletes audit entries. */
#include "api/api.h"
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

/* GET /api/v1/audit?limit&next&actor&action&from&to -> {"items","total","next"} */
static int
audit_list_handler(struct req *req)
{
    struct audit_query q = { 0 };
    struct audit_entry *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    int rc;

    if ((rc = api_page(req, 50, 500, &q.limit, &q.before_id)) ||
        (rc = audit_query_time(req, "from", &q.from)) || (rc = audit_query_time(req, "to", &q.to)))
        return rc;
    q.actor = req_query(req, "actor");
    q.action = req_query(req, "action");
    if ((rc = api_text(req, "actor", q.actor, 64)) || (rc = api_text(req, "action", q.action, 64)) ||
        (rc = audit_list(req->db, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                           (json_int_t)items[i].id, "ts", (json_int_t)items[i].ts, "actor",
                           items[i].actor, "role", items[i].role, "ip", items[i].ip, "action",
                           items[i].action, "target", items[i].target, "result", items[i].result,
                           "request_id", items[i].request_id, "detail", items[i].detail));
    return api_reply(req, 200, json_pack("{s:o, s:I, s:o}", "items", arr, "total", (json_int_t)total,
                                         "next", api_next_cursor(n == q.limit ? items[n - 1].id : 0)));
}

/* GET /api/v1/audit/verify -> {"ok","checked","first_broken_id"} */
static int
audit_verify_handler(struct req *req)
{
    int64_t checked = 0, broken = 0;
    int rc = audit_verify(req->db, &req->app->keys, &checked, &broken);
    if (rc)
        return rc;
    audit_record(req->db, &req->app->keys, &req->actor, "audit.verify", "audit_log",
                 broken ? "broken" : "ok", NULL);
    return api_reply(req, 200, json_pack("{s:b, s:I, s:o}", "ok", broken == 0, "checked",
                                         (json_int_t)checked, "first_broken_id",
                                         broken ? json_integer(broken) : json_null()));
}

const struct route api_audit_routes[] = {
    { "GET", "/api/v1/audit", audit_list_handler, PERM_AUDIT_READ, 0, 0 },
    { "GET", "/api/v1/audit/verify", audit_verify_handler, PERM_AUDIT_READ, 0, 0 },
    ROUTE_END
};
