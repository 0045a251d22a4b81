/* api/stats/stats.c - the /api/v1/stats resource: the big screen's statistics (R2.7; data of
 * R1.2-R1.6), answered from counters only and always within the caller's subdistrict.
 * What the statistics are is domain/stats/stats.h's STATS_TABLE; this file only reads filters
 * from the query string and shapes replies. */
#include "api/api.h"
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

/* GET /api/v1/stats/{name}?plan_no&subdistrict&from&to&site_code&limit
 *   -> {"name","filters":{as applied},"rows":[{dimension: value…}…]}
 * GET /api/v1/stats/overview[?plan_no] (and any one-row statistic) -> {dimension: value…} */
static int
stats_get_handler(struct req *req)
{
    const struct stat_def *d = stats_find(req->nparams ? req->params[0] : NULL);
    struct stats_filter f = { 0 };
    json_t *rows = NULL, *applied = NULL, *one;
    const char *limit;
    struct buf why = BUF_INIT;
    int rc;

    if (!d)
        return req_fail(req, ERR_NOT_FOUND, "no such statistic");
    f.plan_no = api_query_opt(req, "plan_no");
    f.subdistrict = api_query_opt(req, "subdistrict");
    f.site_code = api_query_opt(req, "site_code");
    limit = api_query_opt(req, "limit");
    if ((rc = api_text(req, "plan_no", f.plan_no, 32)) || (rc = api_text(req, "subdistrict", f.subdistrict, 12)) ||
        (rc = api_text(req, "site_code", f.site_code, 32)) ||
        (rc = api_filter_time(req, "from", &f.from, &f.has_from)) ||
        (rc = api_filter_time(req, "to", &f.to, &f.has_to)))
        return rc;
    if (limit) {
        if (cstr_to_i64(limit, &f.limit, 1, 1000))
            return req_fail(req, ERR_INVALID, "'limit' must be a whole number from 1 to 1000");
        f.has_limit = true;
    }
    rc = stats_run(req->db, &req->actor, d, &f, &rows, &applied, &why);
    if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    buf_release(&why);
    if (rc)
        return rc;
    if (d->flags & STAT_ONE_ROW) {
        one = json_array_size(rows) ? json_incref(json_array_get(rows, 0)) : json_object();
        json_decref(rows);
        json_decref(applied);
        return api_reply(req, 200, one);
    }
    return api_reply(req, 200, json_pack("{s:s, s:o, s:o}", "name", d->name, "filters", applied, "rows", rows));
}

const struct route api_stats_routes[] = {
    { "GET", "/api/v1/stats", stats_list_handler, PERM_STATS_READ, 0, 0 },
    { "GET", "/api/v1/stats/{name}", stats_get_handler, PERM_STATS_READ, 0, 0 },
    ROUTE_END
};
