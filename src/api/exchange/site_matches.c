/* api/exchange/site_matches.c - city↔district site matching over HTTP (issue 11, R2.11):
 *   POST /api/v1/site-matches                multipart: file (.xlsx|.csv), crs? (wgs84|gcj02|bd09,
 *                                            default gcj02; a header naming one wins), auto? (0..1]
 *                                            -> 201 {run…, "items": first rows, "total", "next"}
 *   GET  /api/v1/site-matches/{id}           ?status=none|auto|review|accepted|rejected&limit=&next=
 *   GET  /api/v1/site-matches/{id}/result.xlsx  one row per input row (市点位编码, 区点位编码, 匹配分数, 匹配依据 …)
 *   POST /api/v1/site-matches/{id}/rows/{num}  {"action":"accept"|"reject"|"repoint","site_code"?}
 *                                            -> 200 the row; 409 when the site is held by another
 *                                            accepted row of the run
 * The file is parsed in place from the request body (never written to disk) by
 * domain/exchange/site_match.h, which stores the run and applies accepted pairs to the
 * sites' city_code. Rows carry the city's figure (city_count) beside ours (scans_today).
 * Scope: a subdistrict account matches against its own sites and sees its own runs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/exchange/site_match.h"
#include "http/form.h"
#include "http/multipart.h"
#include "io/xlsxw.h"

#define MATCH_FILE_CAP ((size_t)32 << 20)
#define MATCH_UPLOAD_CAP (MATCH_FILE_CAP + ((size_t)1 << 20))

static json_t *
run_json(const struct site_match_run_info *i)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "id", (json_int_t)i->id,
                     "created_by", i->created_by, "created_at", (json_int_t)i->created_at, "subdistrict",
                     i->subdistrict, "crs", i->crs, "header_row", (json_int_t)i->header_row, "rows",
                     (json_int_t)i->rows, "sites", (json_int_t)i->sites, "counts", "auto",
                     (json_int_t)i->auto_accepted, "review", (json_int_t)i->to_review, "none",
                     (json_int_t)i->unmatched);
}

static json_t *
row_json(const struct site_match_row *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:I}", "row", (json_int_t)r->num,
                          "city_code", r->city_code, "city_name", r->city_name, "city_district", r->city_district,
                          "city_subdistrict", r->city_subdistrict, "site_code", r->site_code, "site_name",
                          r->site_name, "score", (double)r->score_milli / 1000.0, "reasons", r->reasons, "status",
                          r->status, "scans_today", (json_int_t)r->scans_today);
    json_object_set_new(o, "distance_m", r->distance_m >= 0 ? json_integer(r->distance_m) : json_null());
    json_object_set_new(o, "city_count", r->has_count ? json_integer(r->city_count) : json_null());
    json_object_set_new(o, "lon", r->has_pos ? json_real((double)r->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", r->has_pos ? json_real((double)r->lat_e6 / 1e6) : json_null());
    json_object_set_new(o, "reviewed_by", json_string(r->reviewed_by));
    return o;
}

static int
run_reply(struct req *req, int status, int64_t id, const char *row_status, size_t limit, int64_t after)
{
    struct arena arena = ARENA_INIT;
    struct site_match_run_info info;
    struct site_match_row *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc;
    if ((rc = site_match_run_get(req->db, &req->actor, id, &arena, &info)) ||
        (rc = site_match_rows(req->db, &req->actor, id, row_status, after, limit, &arena, &rows, &n, &total))) {
        arena_release(&arena);
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such run") : rc;
    }
    json_t *o = run_json(&info), *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, row_json(&rows[i]));
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "total", json_integer(total));
    json_object_set_new(o, "next", api_next_cursor(n == limit ? rows[n - 1].num : 0));
    arena_release(&arena);
    return api_reply(req, status, o);
}

/* form_text copies a short multipart field into out ("" when absent); ERR_INVALID when too long. */
static int
form_text(struct req *req, const char *name, char *out, size_t cap)
{
    struct multipart_field f;
    int rc = form_field(req, name, &f, NULL);
    out[0] = '\0';
    if (rc || !f.found)
        return rc;
    struct str v = str_trim(f.data);
    if (v.n >= cap)
        return ERR_INVALID;
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return 0;
}

/* POST /api/v1/site-matches  multipart: file, crs?, auto? */
static int
matches_create(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct buf why = BUF_INIT;
    struct table *t = NULL;
    struct site_match_result res;
    enum geo_crs crs = GEO_GCJ02;
    double auto_at = SITE_MATCH_AUTO;
    char crs_name[16], auto_text[16];
    int rc;

    if ((rc = api__form_file(req, MATCH_FILE_CAP, &f, &src)))
        goto out;
    if (form_text(req, "crs", crs_name, sizeof crs_name) || (crs_name[0] && geo_crs_parse(crs_name, &crs))) {
        rc = req_fail(req, ERR_INVALID, "'crs' must be wgs84, gcj02 or bd09");
        goto out;
    }
    if (form_text(req, "auto", auto_text, sizeof auto_text)) {
        rc = req_fail(req, ERR_INVALID, "'auto' must be a score in (0, 1]");
        goto out;
    }
    if (auto_text[0]) {
        char *end;
        auto_at = strtod(auto_text, &end);
        if (*end || !(auto_at > 0 && auto_at <= 1)) {
            rc = req_fail(req, ERR_INVALID, "'auto' must be a score in (0, 1]");
            goto out;
        }
    }
    if ((rc = table_open_reader(&src, &t, &why)) ||
        (rc = site_match_run(req->app, req->db, &req->actor, t, crs, auto_at, NULL, NULL, &res, &why))) {
        if (rc == ERR_INVALID || rc == ERR_TOO_LARGE)
            rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    rc = run_reply(req, 201, res.id, NULL, 100, 0);
out:
    table_close(t);
    buf_release(&why);
    return rc;
}

/* GET /api/v1/site-matches/{id}?status=&limit=&next= */
static int
matches_get(struct req *req)
{
    const char *status = req_query(req, "status");
    enum site_match_status s;
    size_t limit;
    int64_t id, after;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_page(req, 100, SITE_MATCH_LIST_MAX, &limit, &after)))
        return rc;
    if (status && site_match_status_parse(status, &s))
        return req_fail(req, ERR_INVALID, "'status' must be none, auto, review, accepted or rejected");
    return run_reply(req, 200, id, status, limit, after);
}

/* GET /api/v1/site-matches/{id}/result.xlsx */
static int
matches_xlsx(struct req *req)
{
    struct arena arena = ARENA_INIT;
    struct site_match_run_info info;
    struct xlsxw *w = NULL;
    struct api_xlsx *x = NULL;
    char name[64];
    int64_t id, after = 0, total;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = site_match_run_get(req->db, &req->actor, id, &arena, &info))) {
        arena_release(&arena);
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such run") : rc;
    }
    if ((rc = api__xlsx_new(req, &x)) || (rc = site_match_xlsx_open(api__xlsx_dest(x), &w)))
        goto out;
    for (;;) {
        struct site_match_row *rows;
        size_t n;
        arena_release(&arena);
        if ((rc = site_match_rows(req->db, &req->actor, id, NULL, after, SITE_MATCH_LIST_MAX, &arena, &rows, &n,
                                  &total)))
            goto out;
        for (size_t i = 0; i < n && !rc; i++)
            rc = site_match_xlsx_row(w, &rows[i]);
        if (rc || n < SITE_MATCH_LIST_MAX)
            break;
        after = rows[n - 1].num;
    }
    if (rc)
        goto out;
    rc = xlsxw_close(w);
    w = NULL;
    if (rc)
        goto out;
    snprintf(name, sizeof name, "site-matches-%lld.xlsx", (long long)id);
    rc = api__xlsx_reply(req, x, 0, name, NULL);
    x = NULL;
out:
    xlsxw_free(w);
    api__xlsx_free(x);
    arena_release(&arena);
    return rc;
}

/* POST /api/v1/site-matches/{id}/rows/{num}  {"action", "site_code"?} */
static int
matches_review(struct req *req)
{
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    const char *action, *code = NULL;
    enum site_match_action act;
    int64_t id, num;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = req_param_i64(req, 1, &num)) || (rc = api_body(req, &body)))
        return rc;
    action = json_string_value(json_object_get(body, "action"));
    code = json_string_value(json_object_get(body, "site_code"));
    if (action && strcmp(action, "accept") == 0)
        act = SITE_MATCH_ACCEPT;
    else if (action && strcmp(action, "reject") == 0)
        act = SITE_MATCH_REJECT;
    else if (action && strcmp(action, "repoint") == 0 && code && code[0])
        act = SITE_MATCH_REPOINT;
    else {
        rc = req_fail(req, ERR_INVALID, "'action' must be accept, reject or repoint (with 'site_code')");
        goto out;
    }
    rc = site_match_review(req->app, req->db, &req->actor, id, num, act, code, &why);
    if (rc == ERR_NOT_FOUND || rc == ERR_INVALID || rc == ERR_CONFLICT) {
        rc = req_fail(req, rc, "%s", why.len ? why.data : "no such run or row");
        goto out;
    }
    if (rc)
        goto out;
    {
        struct arena arena = ARENA_INIT;
        struct site_match_row *rows;
        size_t n;
        int64_t total;
        if (!(rc = site_match_rows(req->db, &req->actor, id, NULL, num - 1, 1, &arena, &rows, &n, &total)))
            rc = n ? api_reply(req, 200, row_json(&rows[0])) : ERR_INTERNAL;
        arena_release(&arena);
    }
out:
    json_decref(body);
    buf_release(&why);
    return rc;
}

const struct route api_site_matches_routes[] = {
    { "POST", "/api/v1/site-matches", matches_create, PERM_SITES_WRITE, ROUTE_MULTIPART, MATCH_UPLOAD_CAP },
    { "GET", "/api/v1/site-matches/{id}", matches_get, PERM_SITES_READ, 0, 0 },
    { "GET", "/api/v1/site-matches/{id}/result.xlsx", matches_xlsx, PERM_SITES_READ, 0, 0 },
    { "POST", "/api/v1/site-matches/{id}/rows/{num}", matches_review, PERM_SITES_WRITE, ROUTE_JSON, 4096 },
    ROUTE_END
};
