/* api/batch/lookup_audit.c - GET /api/v1/audit/lookups: who looked up this person, when, by which
 * batch (issue 12 "Bulk lookups", S6 安全审计). The auditor only (audit.read); the ID number is
 * turned into its blind index server side and never stored or logged; the query is audited
 * (audit.lookups). domain/batch/lookup_audit.h is the contract. */
#include "api/api.h"
#include "core/err.h"
#include "domain/batch/lookup_audit.h"
#include "domain/platform/audit_action.h"

/* lookups_answer: {"items":[{"kind":"person"|"batch","ts","actor","role","action","action_name",
 * "result","batch_id"?}], "truncated"} newest first, for id_number */
static int
lookups_answer(struct req *req, const char *id_number)
{
    struct lookup_hit *hits = NULL;
    struct buf why = BUF_INIT;
    bool truncated = false;
    size_t n = 0;
    int rc;

    if (!id_number || !id_number[0])
        return req_fail(req, ERR_INVALID, "'id_number' is required");
    rc = lookup_audit_find(req->app, req->db, &req->actor, id_number, &req->arena, &hits, &n, &truncated, &why);
    if (rc == ERR_INVALID) {
        rc = req_fail(req, rc, "%s", why.data);
        buf_release(&why);
        return rc;
    }
    buf_release(&why);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        char name[160];
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "kind", hits[i].kind, "ts", (json_int_t)hits[i].ts,
                              "actor", hits[i].actor, "role", hits[i].role, "action", hits[i].action, "result",
                              hits[i].result);
        if (audit_action_name(hits[i].action, false, name, sizeof name))
            json_object_set_new(o, "action_name", json_string(name));
        if (hits[i].batch_id)
            json_object_set_new(o, "batch_id", json_integer((json_int_t)hits[i].batch_id));
        json_array_append_new(items, o);
    }
    return api_reply(req, 200, json_pack("{s:o, s:b}", "items", items, "truncated", truncated));
}

/* GET /api/v1/audit/lookups?id_number=… (as the contract asks; note that a proxy in
 * front logs query strings) */
static int
lookups_get(struct req *req)
{
    return lookups_answer(req, req_query(req, "id_number"));
}

/* POST /api/v1/audit/lookups {"id_number"} - the same answer with the number in the body, out
 * of every access log and browser history; the UI uses this one */
static int
lookups_post(struct req *req)
{
    json_t *body = NULL;
    const char *id_number = NULL;
    int rc;
    if (!(rc = api_body(req, &body)) && !(rc = api_unpack(req, body, "{s:s}", "id_number", &id_number)))
        rc = lookups_answer(req, id_number);
    json_decref(body);
    return rc;
}

const struct route api_lookup_audit_routes[] = {
    { "GET", "/api/v1/audit/lookups", lookups_get, PERM_AUDIT_READ, 0, 0 },
    { "POST", "/api/v1/audit/lookups", lookups_post, PERM_AUDIT_READ, ROUTE_JSON, 1024 },
    ROUTE_END
};
