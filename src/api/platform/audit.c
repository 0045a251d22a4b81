/* api/platform/audit.c - the /api/v1/audit resource: read-only for the auditor (S6 安全审计).
 * There is no route that changes or deletes audit entries. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/platform/audit.h"
#include "domain/platform/audit_action.h"
#include "domain/stats/stats.h"

#define AUDIT_NAME_CAP 160

static int
audit_query_time(struct req *req, const char *name, int64_t *out)
{
    const char *v = req_query(req, name);
    *out = 0;
    if (v && *v && cstr_to_i64(v, out, 0, INT64_MAX))
        return req_fail(req, ERR_INVALID, "'%s' must be milliseconds since the epoch", name);
    return 0;
}

/* audit_name: the action's name (a statistic's export named after the statistic). */
static bool
audit_name(const char *code, bool en, char *out, size_t cap)
{
    const struct stat_def *d = strncmp(code, "export.stats.", 13) ? NULL : stats_find(code + 13);
    if (d) {
        snprintf(out, cap, en ? "Statistics export: %s" : "导出统计表：%s", en ? d->en : d->zh);
        return true;
    }
    return audit_action_name(code, en, out, cap);
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
    for (size_t i = 0; i < n; i++) {
        char zh[AUDIT_NAME_CAP], en[AUDIT_NAME_CAP];
        bool named = audit_name(items[i].action, false, zh, sizeof zh);
        audit_name(items[i].action, true, en, sizeof en);
        json_array_append_new(
            pg->items,
            json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:s}", "id", (json_int_t)items[i].id,
                      "ts", (json_int_t)items[i].ts, "actor", items[i].actor, "role", items[i].role, "ip", items[i].ip,
                      "action", items[i].action, "action_name", named ? zh : NULL, "action_name_en",
                      named ? en : NULL, "target", items[i].target, "result", items[i].result, "request_id",
                      items[i].request_id, "detail", items[i].detail));
    }
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col audit_cols[] = {
    { "编号", "id", API_COL_TEXT },       { "时间", "ts", API_COL_TIME },       { "操作人", "actor", API_COL_TEXT },
    { "角色", "role", API_COL_SHARED },   { "IP地址", "ip", API_COL_TEXT },     { "操作", "action_name", API_COL_SHARED },
    { "操作代码", "action", API_COL_SHARED },
    { "对象", "target", API_COL_TEXT },   { "结果", "result", API_COL_SHARED }, { "请求编号", "request_id", API_COL_TEXT },
    { "详情", "detail", API_COL_TEXT },
};

static const struct api_list_def audit_def = {
    "audit", "审计日志", audit_page, 50, 500, audit_cols, sizeof audit_cols / sizeof audit_cols[0], 0,
};

/* GET /api/v1/audit?limit&next&actor&action&result&from&to[&format=xlsx] -> {"items","total","next"}
 * | .xlsx (the export is itself audited, as export.audit). Items carry action_name and
 * action_name_en (domain/platform/audit_action.h; null for a code without a name). */
static int
audit_list_handler(struct req *req)
{
    struct audit_query q = { 0 };
    int rc;

    if ((rc = audit_query_time(req, "from", &q.from)) || (rc = audit_query_time(req, "to", &q.to)))
        return rc;
    q.actor = req_query(req, "actor");
    q.action = req_query(req, "action");
    q.result = req_query(req, "result");
    if ((rc = api_text(req, "actor", q.actor, 64)) || (rc = api_text(req, "action", q.action, 64)))
        return rc;
    for (const char *p = q.result ? q.result : ""; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_') || p - q.result >= 32)
            return req_fail(req, ERR_INVALID, "'result' must be a result word of at most 32 letters");
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

static void
audit_action_add(json_t *items, const char *code, const char *zh, const char *en)
{
    json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "code", code, "name", zh, "name_en", en));
}

/* GET /api/v1/audit/actions -> {"items":[{"code","name","name_en"}],"total"}: every action
 * code the server writes, with its Chinese and English names (the auditor's action picker). */
static int
audit_actions_handler(struct req *req)
{
    json_t *items = json_array();
    char code[128], zh[AUDIT_NAME_CAP], en[AUDIT_NAME_CAP];
    for (size_t i = 0; i < audit_actions_count; i++)
        audit_action_add(items, audit_actions[i].code, audit_actions[i].zh, audit_actions[i].en);
    for (size_t i = 0; i < audit_subjects_count; i++)
        for (unsigned fam = AUDIT_FAM_EXPORT; fam <= AUDIT_FAM_INGEST; fam <<= 1) {
            if (!(audit_subjects[i].families & fam))
                continue;
            snprintf(code, sizeof code, fam == AUDIT_FAM_EXPORT ? "export.%s" : "%s.ingest", audit_subjects[i].code);
            if (audit_action_name(code, false, zh, sizeof zh) && audit_action_name(code, true, en, sizeof en))
                audit_action_add(items, code, zh, en);
        }
    for (size_t i = 0; i < stats_count; i++) {
        snprintf(code, sizeof code, "export.stats.%s", stats_table[i].name);
        if (audit_name(code, false, zh, sizeof zh) && audit_name(code, true, en, sizeof en))
            audit_action_add(items, code, zh, en);
    }
    return api_reply(req, 200, json_pack("{s:I, s:o}", "total", (json_int_t)json_array_size(items), "items", items));
}

const struct route api_audit_routes[] = {
    { "GET", "/api/v1/audit/actions", audit_actions_handler, PERM_AUDIT_READ, 0, 0 },
    { "GET", "/api/v1/audit", audit_list_handler, PERM_AUDIT_READ, 0, 0 },
    { "GET", "/api/v1/audit/verify", audit_verify_handler, PERM_AUDIT_READ, 0, 0 },
    ROUTE_END
};
