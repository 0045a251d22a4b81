/* api/ingest/ingest.c - the HTTP face of domain/ingest/ingest.c: one record or a batch, per-item results
 * (R2.1-R2.6: "one bad record never sinks the batch"). */
#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/ingest/ingest.h"

static const char *const api_ingest_status[] = { "accepted", "duplicate", "rejected" };

static int
api_ingest_parse(struct req *req, json_t **body)
{
    char err[160];
    int rc = jsonio_parse_any(req->body.data, req->body.len, body, err, sizeof err);
    return rc ? req_fail(req, rc, "%s", err) : 0;
}

int
api_change_failed(struct req *req, int rc, const struct ingest_outcome *why, const char *not_found)
{
    if (why->status == INGEST_REJECTED)
        return req_fail(req, why->code ? why->code : rc, "%s", why->reason);
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "%s", not_found);
    return rc;
}

int
api_ingest_one(struct req *req, const struct ingest_kind *kind)
{
    json_t *body = NULL;
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    int rc;
    if ((rc = api_body(req, &body)) ||
        (rc = ingest_submit(req->app, req->db, &req->actor, kind, body, &out, &n, &accepted)))
        goto done;
    if (out[0].status == INGEST_REJECTED) {
        rc = req_fail(req, out[0].code ? out[0].code : ERR_INVALID, "%s", out[0].reason);
    } else if (out[0].status == INGEST_DUPLICATE) {
        rc = api_reply(req, 200, json_pack("{s:s}", "status", "duplicate"));
    } else {
        rc = api_reply(req, 201, json_pack("{s:s, s:I}", "status", "accepted", "id", (json_int_t)out[0].id));
    }
done:
    xfree(out);
    json_decref(body);
    return rc;
}

int
api_ingest_batch(struct req *req, const struct ingest_kind *kind)
{
    json_t *body = NULL, *items;
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0, counts[3] = { 0 };
    int rc;
    if ((rc = api_ingest_parse(req, &body)))
        goto done;
    if (!json_is_array(body)) {
        rc = req_fail(req, ERR_INVALID, "the body must be a JSON array of records");
        goto done;
    }
    rc = ingest_submit(req->app, req->db, &req->actor, kind, body, &out, &n, &accepted);
    if (rc == ERR_TOO_LARGE)
        rc = req_fail(req, rc, "a batch may hold at most %d records", INGEST_BATCH_MAX);
    if (rc)
        goto done;
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s}", "status", api_ingest_status[out[i].status]);
        counts[out[i].status]++;
        if (out[i].status == INGEST_ACCEPTED)
            json_object_set_new(o, "id", json_integer(out[i].id));
        if (out[i].status == INGEST_REJECTED) {
            json_object_set_new(o, "field", json_string(out[i].field ? out[i].field : ""));
            json_object_set_new(o, "reason", json_string(out[i].reason));
            if (out[i].code)
                json_object_set_new(o, "code", json_string(err_code(out[i].code)));
        }
        json_array_append_new(items, o);
    }
    rc = api_reply(req, 200, json_pack("{s:I, s:I, s:I, s:o}", "accepted", (json_int_t)counts[0], "duplicate",
                                       (json_int_t)counts[1], "rejected", (json_int_t)counts[2], "items", items));
done:
    xfree(out);
    json_decref(body);
    return rc;
}
