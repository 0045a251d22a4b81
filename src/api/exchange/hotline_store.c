/* api/exchange/hotline_store.c - stored 12345 hotline tickets, rule sets, runs and samples over
 * HTTP (issue 11, R2.12; S1, S6); the domain is domain/exchange/hotline_store.h.
 *   POST /api/v1/exchange/hotline/tickets            multipart file (.xlsx|.csv) -> row report
 *   GET  /api/v1/exchange/hotline/tickets            ?from&to&category&limit&next[&format=xlsx]
 *   GET  /api/v1/exchange/hotline/rules              current version of every rule set
 *   POST /api/v1/exchange/hotline/rules              {name,categories?,expression,synonyms?} -> 201
 *   PUT  /api/v1/exchange/hotline/rules/{id}         the same body: a new version
 *   GET  /api/v1/exchange/hotline/rules/{id}/versions
 *   POST /api/v1/exchange/hotline/rules/{id}/runs    {from,to} -> 201 the run with its counts
 *   GET  /api/v1/exchange/hotline/runs               ?rule (newest first)
 *   GET  /api/v1/exchange/hotline/runs/{id}
 *   GET  /api/v1/exchange/hotline/runs/{id}/hits     ?limit&next[&format=xlsx]
 *   POST /api/v1/exchange/hotline/runs/{id}/sample   {n} -> 201 the sample
 *   GET  /api/v1/exchange/hotline/samples/{id}
 *   PUT  /api/v1/exchange/hotline/samples/{id}/items/{ticket}  {relevant: bool} -> the sample
 * Reads need hotline.read, writes hotline.write; callers' names and phones are masked and the
 * address is "***" in every answer and export. Times are ms since the epoch, RFC 3339, or
 * "YYYY-MM-DD[ HH:MM[:SS]]" in UTC+8 (run periods).
 */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/i18n.h"
#include "domain/exchange/emergency.h"
#include "domain/exchange/hotline_store.h"
#include "http/multipart.h"
#include "io/table.h"

/* store_fail answers a domain error; not_found names the missing thing. */
static int
store_fail(struct req *req, int rc, const struct buf *why, const char *not_found)
{
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "the hotline is district-wide: a subdistrict account cannot use it");
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "%s", not_found);
    if ((rc == ERR_INVALID || rc == ERR_TOO_LARGE) && why && why->len)
        return req_fail(req, rc, "%s", why->data);
    return rc;
}

static json_t *
ticket_json(const struct hotline_stored *t)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)t->id, "number",
                          t->number, "received_at", (json_int_t)t->received_at, "category", t->category, "title",
                          t->title, "content", t->content, "address", t->address, "caller", t->caller, "phone",
                          t->phone, "status", t->status);
    if (o && t->verdict >= 0)
        json_object_set_new(o, "relevant", json_boolean(t->verdict == 1));
    else if (o)
        json_object_set_new(o, "relevant", json_null());
    return o;
}

static json_t *
precision_json(int64_t checked, int64_t relevant)
{
    return checked ? json_real((double)relevant / (double)checked) : json_null();
}

/* Tickets ----------------------------------------------------------------------------------- */

static int
tickets_import(struct req *req)
{
    struct multipart_field f;
    struct table_reader src;
    struct table *t = NULL;
    struct hotline_import_result res;
    struct buf why = BUF_INIT;
    enum i18n_lang lang = i18n_lang_parse(req_header(req, "Accept-Language"));
    json_t *items;
    int rc;

    memset(&res, 0, sizeof res);
    if ((rc = api__form_file(req, HOTLINE_IMPORT_MAX_BYTES, &f, &src)))
        goto out;
    /* the sheet is read in place from the streamed form (http/form.h), never copied whole */
    if ((rc = table_open_reader(&src, &t, &why)) == 0)
        rc = hotline_import(req->app, req->db, &req->actor, t, &res, &why);
    if (rc) {
        rc = store_fail(req, rc, &why, "no such file");
        goto out;
    }
    items = json_array();
    for (size_t i = 0; i < res.nrejects; i++) {
        const struct hotline_reject *r = &res.rejects[i];
        char text[256];
        const char *code = i18n_translate(r->reason, lang, text, sizeof text);
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s}", "row", (json_int_t)r->row, "number",
                                               r->number, "reason_code", code ? code : "", "reason",
                                               code ? text : r->reason));
    }
    rc = api_reply(req, 200, json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "header_row", (json_int_t)res.header_row,
                                       "rows", (json_int_t)res.rows, "accepted", (json_int_t)res.accepted,
                                       "duplicate", (json_int_t)res.duplicate, "rejected", (json_int_t)res.rejected,
                                       "rejects", items));
out:
    table_close(t);
    hotline_import_result_release(&res);
    buf_release(&why);
    return rc;
}

static int
tickets_page(struct req *req, const void *query, struct api_list_page *pg)
{
    struct hotline_ticket_query q = *(const struct hotline_ticket_query *)query;
    struct hotline_stored *items = NULL;
    size_t n = 0;
    int rc;
    q.limit = pg->limit;
    q.after = pg->cursor;
    rc = hotline_ticket_list(req->app, req->db, &req->actor, &q, pg->arena, &items, &n,
                             pg->skip_total ? NULL : &pg->total);
    if (rc)
        return store_fail(req, rc, NULL, "no such run");
    pg->items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(pg->items, ticket_json(&items[i]));
    pg->next = n == q.limit ? items[n - 1].id : 0;
    return 0;
}

static const struct api_col ticket_cols[] = {
    { "工单编号", "number", API_COL_TEXT },   { "受理时间", "received_at", API_COL_TIME },
    { "问题分类", "category", API_COL_SHARED }, { "标题", "title", API_COL_TEXT },
    { "诉求内容", "content", API_COL_TEXT },  { "事发地址", "address", API_COL_MASKED },
    { "来电人", "caller", API_COL_MASKED },   { "联系电话", "phone", API_COL_MASKED },
    { "状态", "status", API_COL_SHARED },
};

static const struct api_list_def tickets_def = {
    "hotline_tickets", "12345工单", tickets_page, 100, HOTLINE_LIST_MAX, ticket_cols,
    sizeof ticket_cols / sizeof ticket_cols[0], 0,
};
static const struct api_list_def hits_def = {
    "hotline_hits", "12345工单命中", tickets_page, 100, HOTLINE_LIST_MAX, ticket_cols,
    sizeof ticket_cols / sizeof ticket_cols[0], 0,
};

static int
tickets_index(struct req *req)
{
    struct hotline_ticket_query q = { 0 };
    int rc;
    q.category = req_query(req, "category");
    if ((rc = api_text(req, "category", q.category, 1000)) || (rc = api_query_time(req, "from", &q.from)) ||
        (rc = api_query_time(req, "to", &q.to)))
        return rc;
    return api_list_serve(req, &tickets_def, &q);
}

static int
run_hits(struct req *req)
{
    struct hotline_ticket_query q = { 0 };
    int rc;
    if ((rc = req_param_i64(req, 0, &q.run_id)))
        return req_fail(req, rc, "no such run");
    return api_list_serve(req, &hits_def, &q);
}

/* Rule sets --------------------------------------------------------------------------------- */

static json_t *
version_json(const struct hotline_rule_version *v)
{
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:I, s:I, s:o}", "id",
                     (json_int_t)v->rule_id, "version_id", (json_int_t)v->id, "version", (json_int_t)v->version,
                     "name", v->name, "categories", v->categories, "expression", v->expression, "synonyms",
                     v->synonyms, "created_by", v->created_by, "created_at", (json_int_t)v->created_at, "runs",
                     (json_int_t)v->runs, "last_matched", v->last_matched < 0 ? json_null() : json_integer(v->last_matched),
                     "checked", (json_int_t)v->checked, "relevant", (json_int_t)v->relevant, "precision",
                     precision_json(v->checked, v->relevant));
}

static int
rules_index(struct req *req)
{
    struct hotline_rule_version *items = NULL;
    size_t n = 0;
    int rc = hotline_rules_list(req->app, req->db, &req->actor, &req->arena, &items, &n);
    if (rc)
        return store_fail(req, rc, NULL, "no such rule set");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, version_json(&items[i]));
    return api_reply(req, 200, json_pack("{s:o}", "items", arr));
}

static int
rules_versions(struct req *req)
{
    struct hotline_rule_version *items = NULL;
    size_t n = 0;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) ||
        (rc = hotline_rule_versions(req->app, req->db, &req->actor, id, &req->arena, &items, &n)))
        return store_fail(req, rc, NULL, "no such rule set");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, version_json(&items[i]));
    return api_reply(req, 200, json_pack("{s:o}", "items", arr));
}

static int
rules_save(struct req *req, int64_t id)
{
    struct hotline_rule_def def = { NULL, "", NULL, "" };
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    int64_t out_id = 0, version = 0;
    int rc;
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s?s, s:s, s?s}", "name", &def.name, "categories", &def.categories,
                         "expression", &def.expression, "synonyms", &def.synonyms)))
        goto out;
    rc = hotline_rules_save(req->app, req->db, &req->actor, id, &def, &out_id, &version, &why);
    if (rc) {
        rc = store_fail(req, rc, &why, "no such rule set");
        goto out;
    }
    rc = api_reply(req, id ? 200 : 201, json_pack("{s:I, s:I}", "id", (json_int_t)out_id, "version", (json_int_t)version));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int
rules_create(struct req *req)
{
    return rules_save(req, 0);
}

static int
rules_update(struct req *req)
{
    int64_t id;
    int rc = req_param_i64(req, 0, &id);
    return rc ? req_fail(req, rc, "no such rule set") : rules_save(req, id);
}

/* Runs -------------------------------------------------------------------------------------- */

static json_t *
run_json(const struct hotline_run *r)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "id", (json_int_t)r->id,
                     "rule_id", (json_int_t)r->rule_id, "version_id", (json_int_t)r->version_id, "version",
                     (json_int_t)r->version, "name", r->name, "from", (json_int_t)r->from_at, "to",
                     (json_int_t)r->to_at, "tickets", (json_int_t)r->tickets, "in_category",
                     (json_int_t)r->in_category, "matched", (json_int_t)r->matched, "created_at",
                     (json_int_t)r->created_at, "created_by", r->created_by);
}

/* body_time reads member k of body (ms, RFC 3339 or local "YYYY-MM-DD[ HH:MM[:SS]]"). */
static int
body_time(struct req *req, json_t *body, const char *k, int64_t *ms)
{
    json_t *v = json_object_get(body, k);
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *ms = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && !emergency_parse_time(json_string_value(v), ms))
        return 0;
    return req_fail(req, ERR_INVALID, "'%s' must be a time (ms, RFC 3339 or YYYY-MM-DD HH:MM:SS)", k);
}

static int
runs_create(struct req *req)
{
    struct hotline_run run;
    struct buf why = BUF_INIT;
    json_t *body = NULL, *f = NULL, *t = NULL;
    int64_t id, from = 0, to = 0;
    int rc;
    if ((rc = req_param_i64(req, 0, &id))) {
        rc = req_fail(req, rc, "no such rule set");
        goto out;
    }
    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:o, s:o}", "from", &f, "to", &t)) ||
        (rc = body_time(req, body, "from", &from)) || (rc = body_time(req, body, "to", &to)))
        goto out;
    rc = hotline_run_start(req->app, req->db, &req->actor, id, from, to, &req->arena, &run, &why);
    rc = rc ? store_fail(req, rc, &why, "no such rule set") : api_reply(req, 201, run_json(&run));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int
runs_index(struct req *req)
{
    struct hotline_run *items = NULL;
    size_t n = 0;
    int64_t rule = 0;
    const char *r = api_query_opt(req, "rule");
    int rc;
    if (r && (cstr_to_i64(r, &rule, 1, INT64_MAX)))
        return req_fail(req, ERR_INVALID, "'%s' must be a whole number", "rule");
    if ((rc = hotline_runs_list(req->app, req->db, &req->actor, rule, &req->arena, &items, &n)))
        return store_fail(req, rc, NULL, "no such run");
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, run_json(&items[i]));
    return api_reply(req, 200, json_pack("{s:o}", "items", arr));
}

static int
runs_get(struct req *req)
{
    struct hotline_run run;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = hotline_run_get(req->app, req->db, &req->actor, id, &req->arena, &run)))
        return store_fail(req, rc, NULL, "no such run");
    return api_reply(req, 200, run_json(&run));
}

/* Samples ----------------------------------------------------------------------------------- */

static json_t *
sample_json(const struct hotline_sample *s)
{
    json_t *items = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(items, ticket_json(&s->items[i]));
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:o}", "id", (json_int_t)s->id, "run_id",
                     (json_int_t)s->run_id, "drawn", (json_int_t)s->drawn, "checked", (json_int_t)s->checked,
                     "relevant", (json_int_t)s->relevant, "precision", precision_json(s->checked, s->relevant),
                     "created_at", (json_int_t)s->created_at, "items", items);
}

static int
sample_create(struct req *req)
{
    struct hotline_sample s;
    struct buf why = BUF_INIT;
    json_t *body = NULL;
    json_int_t n = 0;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id))) {
        rc = req_fail(req, rc, "no such run");
        goto out;
    }
    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:I}", "n", &n)))
        goto out;
    rc = hotline_sample_take(req->app, req->db, &req->actor, id, (int64_t)n, &req->arena, &s, &why);
    rc = rc ? store_fail(req, rc, &why, "no such run") : api_reply(req, 201, sample_json(&s));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

static int
sample_get(struct req *req)
{
    struct hotline_sample s;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) ||
        (rc = hotline_sample_get(req->app, req->db, &req->actor, id, &req->arena, &s)))
        return store_fail(req, rc, NULL, "no such sample");
    return api_reply(req, 200, sample_json(&s));
}

static int
sample_mark(struct req *req)
{
    struct hotline_sample s;
    json_t *body = NULL;
    int64_t id, ticket;
    int relevant = 0, rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = req_param_i64(req, 1, &ticket))) {
        rc = req_fail(req, rc, "no such ticket in the sample");
        goto out;
    }
    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:b}", "relevant", &relevant)))
        goto out;
    rc = hotline_sample_mark(req->app, req->db, &req->actor, id, ticket, relevant != 0, &req->arena, &s);
    rc = rc ? store_fail(req, rc, NULL, "no such ticket in the sample") : api_reply(req, 200, sample_json(&s));
out:
    json_decref(body);
    return rc;
}

const struct route api_hotline_store_routes[] = {
    { "POST", "/api/v1/exchange/hotline/tickets", tickets_import, PERM_HOTLINE_WRITE, ROUTE_MULTIPART,
      HOTLINE_IMPORT_MAX_BYTES + 64 * 1024 },
    { "GET", "/api/v1/exchange/hotline/tickets", tickets_index, PERM_HOTLINE_READ, 0, 0 },
    { "GET", "/api/v1/exchange/hotline/rules", rules_index, PERM_HOTLINE_READ, 0, 0 },
    { "POST", "/api/v1/exchange/hotline/rules", rules_create, PERM_HOTLINE_WRITE, ROUTE_JSON, 128 * 1024 },
    { "PUT", "/api/v1/exchange/hotline/rules/{id}", rules_update, PERM_HOTLINE_WRITE, ROUTE_JSON, 128 * 1024 },
    { "GET", "/api/v1/exchange/hotline/rules/{id}/versions", rules_versions, PERM_HOTLINE_READ, 0, 0 },
    { "POST", "/api/v1/exchange/hotline/rules/{id}/runs", runs_create, PERM_HOTLINE_WRITE, ROUTE_JSON, 4096 },
    { "GET", "/api/v1/exchange/hotline/runs", runs_index, PERM_HOTLINE_READ, 0, 0 },
    { "GET", "/api/v1/exchange/hotline/runs/{id}", runs_get, PERM_HOTLINE_READ, 0, 0 },
    { "GET", "/api/v1/exchange/hotline/runs/{id}/hits", run_hits, PERM_HOTLINE_READ, 0, 0 },
    { "POST", "/api/v1/exchange/hotline/runs/{id}/sample", sample_create, PERM_HOTLINE_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/exchange/hotline/samples/{id}", sample_get, PERM_HOTLINE_READ, 0, 0 },
    { "PUT", "/api/v1/exchange/hotline/samples/{id}/items/{ticket}", sample_mark, PERM_HOTLINE_WRITE, ROUTE_JSON,
      1024 },
    ROUTE_END
};
