/* api/testing/samples.c - the /api/v1/samples resource: sampling scans pushed by sampling apps
 * (R2.4). Reading people back is the personal query's business (issue R4), not this file's. */
#include "api/api.h"
#include "core/err.h"
#include "domain/testing/sample.h"

/* POST /api/v1/samples {sample} -> 201 {"status":"accepted","id"} | 200 duplicate */
static int samples_create(struct req *req) { return api_ingest_one(req, &sample_kind); }

/* POST /api/v1/samples/batch [{sample}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int samples_batch(struct req *req) { return api_ingest_batch(req, &sample_kind); }

/* DELETE /api/v1/samples/{id} -> 204 (tombstone, audited) */
static int
samples_delete(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    rc = sample_delete(req->app, req->db, &req->actor, id);
    return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such sample") : rc;
}

/* PATCH /api/v1/samples/{id} {"source","reason", fields…} -> 200 {"id","status":"corrected"}: a sample's
 * fields corrected by its source, the original kept (domain/testing/sample.h) */
static int
samples_correct(struct req *req)
{
    struct ingest_outcome why;
    json_t *body = NULL;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)))
        goto out;
    if ((rc = sample_correct(req->app, req->db, &req->actor, id, body, &why))) {
        rc = api_change_failed(req, rc, &why, "no such sample");
        goto out;
    }
    rc = api_reply(req, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "corrected"));
out:
    json_decref(body);
    return rc;
}

const struct route api_samples_routes[] = {
    { "POST", "/api/v1/samples", samples_create, PERM_SAMPLES_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/samples/batch", samples_batch, PERM_SAMPLES_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "DELETE", "/api/v1/samples/{id}", samples_delete, PERM_SAMPLES_WRITE, ROUTE_JSON, 1024 },
    { "PATCH", "/api/v1/samples/{id}", samples_correct, PERM_SAMPLES_WRITE, ROUTE_JSON, 8192 },
    ROUTE_END
};
