/* api/stats/stats.c - the /api/v1/stats resource: the big screen's statistics (R2.7; data of
 * R1.2-R1.6), answered from counters only and always within the caller's subdistrict.
 * What the statistics are is domain/stats/stats.h's STATS_TABLE; this file only reads filters
 * from the query string and shapes replies. */
#include "api/api.h"
#include "api/export.h"
#include <string.h>
#include "core/err.h"
#include "core/str.h"
#include "domain/stats/stats.h"

/* GET /api/v1/stats -> {"items":[{"name","description":{"zh","en"},"source","dimensions":
 *   [{"name","type"}],"filters":[…],"defaults":{"today","current_plan"},"one_row"}…],
 *   "total","next":null} */
static int
stats_list_handler(struct req *req)
{
    json_t *items = stats_catalogue();
    return api_reply(req, 200, api_list_json(items, (int64_t)json_array_size(items), 0));
}

/* The Chinese header of each dimension a statistic may have (a missing one shows its name). */
static const struct {
    const char *dim, *zh;
} stats_heads[] = {
    { "hour", "小时" },           { "day", "日期" },           { "plan_no", "计划编号" },
    { "plan_name", "计划名称" },  { "scans", "扫码量" },       { "subdistrict", "街道编码" },
    { "subdistrict_name", "街道" }, { "community", "社区编码" }, { "community_name", "社区" },
    { "site_code", "采样点编码" }, { "site_name", "采样点" },   { "planned", "应检" },
    { "reported", "报送" },       { "corrected", "更正后" },   { "sampled", "实检" },
    { "completion", "完成率(%)" }, { "reported_completion", "报送完成率(%)" },
    { "industry", "行业编码" },   { "industry_name", "行业" }, { "in_flight", "在途转运箱" },
    { "open_sites", "开放点位数" }, { "result", "检测结果" },   { "results", "结果数" },
    { "negative", "阴性" },       { "positive", "阳性" },      { "invalid", "无效" },
    { "pending", "待出结果" },    { "scans_today", "今日扫码量" }, { "transports_in_flight", "在途转运箱" },
    { "sites_open", "开放点位数" }, { "positives", "阳性数" },
};

/* stats_cols builds the column spec of d from its dims ("name:type …") in arena. */
static size_t
stats_cols(const struct stat_def *d, struct arena *arena, struct api_col *cols, size_t cap)
{
    size_t n = 0;
    for (const char *p = d->dims; *p && n < cap;) {
        const char *sp = strchr(p, ' '), *end = sp ? sp : p + strlen(p), *colon = memchr(p, ':', (size_t)(end - p));
        if (!colon)
            break;
        char *name = arena_strndup(arena, p, (size_t)(colon - p));
        const char *type = colon + 1;
        size_t tl = (size_t)(end - type);
        cols[n].field = name;
        cols[n].head = name;
        for (size_t i = 0; i < sizeof stats_heads / sizeof stats_heads[0]; i++)
            if (!strcmp(stats_heads[i].dim, name))
                cols[n].head = stats_heads[i].zh;
        cols[n].kind = tl == 3 && !memcmp(type, "int", 3)  ? API_COL_INT
                       : tl == 2 && !memcmp(type, "ms", 2) ? API_COL_TIME
                       : tl == 2 && !memcmp(type, "bp", 2) ? API_COL_BP
                                                           : API_COL_TEXT;
        n++;
        p = sp ? sp + 1 : end;
    }
    return n;
}

struct stats_query {
    const struct stat_def *d;
    struct stats_filter f;
};

/* Runs the statistic: its rows are one page (api/export.h). */
static int
stats_page(struct req *req, const void *query, struct api_list_page *pg)
{
    const struct stats_query *q = query;
    json_t *applied = NULL;
    struct buf why = BUF_INIT;
    int rc = stats_run(req->db, &req->actor, q->d, &q->f, &pg->items, &applied, &why);
    if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    buf_release(&why);
    json_decref(applied);
    pg->total = pg->items ? (int64_t)json_array_size(pg->items) : 0;
    return rc;
}

/* stats_export: GET /api/v1/stats/{name}?…&format=xlsx, the rows (or the one row) as .xlsx. */
static int
stats_export(struct req *req, const struct stats_query *q)
{
    struct api_col cols[32];
    struct buf filters = BUF_INIT;
    struct api_list_def def = { "stats", q->d->zh, stats_page, 1, 1, cols, 0, 0 };
    static const char *const names[] = { "plan_no", "subdistrict", "site_code", "from", "to", "limit" };
    int rc;

    def.ncols = stats_cols(q->d, &req->arena, cols, sizeof cols / sizeof cols[0]);
    def.name = arena_printf(&req->arena, "stats.%s", q->d->name);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = api_query_opt(req, names[i]);
        if (v)
            buf_printf(&filters, "%s%s=%s", filters.len ? " " : "", names[i], v);
    }
    rc = api_export(req, &def, cols, def.ncols, q, filters.data);
    buf_release(&filters);
    return rc;
}

/* GET /api/v1/stats/{name}?plan_no&subdistrict&from&to&site_code&limit[&format=xlsx]
 *   -> {"name","filters":{as applied},"rows":[{dimension: value…}…]} | .xlsx of the rows
 * GET /api/v1/stats/overview[?plan_no] (and any one-row statistic) -> {dimension: value…} */
static int
stats_get_handler(struct req *req)
{
    struct stats_query q = { stats_find(req->nparams ? req->params[0] : NULL), { 0 } };
    struct stats_filter *f = &q.f;
    json_t *rows = NULL, *applied = NULL, *one;
    const char *limit;
    struct buf why = BUF_INIT;
    bool xlsx;
    int rc;

    if (!q.d)
        return req_fail(req, ERR_NOT_FOUND, "no such statistic");
    f->plan_no = api_query_opt(req, "plan_no");
    f->subdistrict = api_query_opt(req, "subdistrict");
    f->site_code = api_query_opt(req, "site_code");
    limit = api_query_opt(req, "limit");
    if ((rc = api_format(req, &xlsx)) || (rc = api_text(req, "plan_no", f->plan_no, 32)) ||
        (rc = api_text(req, "subdistrict", f->subdistrict, 12)) || (rc = api_text(req, "site_code", f->site_code, 32)) ||
        (rc = api_filter_time(req, "from", &f->from, &f->has_from)) ||
        (rc = api_filter_time(req, "to", &f->to, &f->has_to)))
        return rc;
    if (limit) {
        if (cstr_to_i64(limit, &f->limit, 1, 1000))
            return req_fail(req, ERR_INVALID, "'limit' must be a whole number from 1 to 1000");
        f->has_limit = true;
    }
    if (xlsx)
        return stats_export(req, &q);
    rc = stats_run(req->db, &req->actor, q.d, f, &rows, &applied, &why);
    if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    buf_release(&why);
    if (rc)
        return rc;
    if (q.d->flags & STAT_ONE_ROW) {
        one = json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_object();
        json_decref(rows);
        json_decref(applied);
        return api_reply(req, 200, one);
    }
    return api_reply(req, 200, json_pack("{s:s, s:o, s:o}", "name", q.d->name, "filters", applied, "rows", rows));
}

const struct route api_stats_routes[] = {
    { "GET", "/api/v1/stats", stats_list_handler, PERM_STATS_READ, 0, 0 },
    { "GET", "/api/v1/stats/{name}", stats_get_handler, PERM_STATS_READ, 0, 0 },
    ROUTE_END
};
