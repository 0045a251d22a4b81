/* api/retention/retention.c - retention limits (GET/PUT /api/v1/settings/retention, secadmin) and
 * erasure of a person's data on request (POST /api/v1/people/erase, people.erase: secadmin only)
 * (issue 12; S1, S6 三权分立). The ID number travels in the body, never in the URL. */
#include "api/api.h"
#include "core/err.h"
#include "domain/retention/erase.h"
#include "domain/retention/retention.h"

static json_t *
retention_json(const struct retention *r)
{
    return json_pack("{s:i, s:i, s:i, s:i}", "samples_days", r->samples_days, "checkins_days", r->checkins_days,
                     "tombstones_days", r->tombstones_days, "batches_days", r->batches_days);
}

/* GET /api/v1/settings/retention -> {"samples_days","checkins_days","tombstones_days","batches_days"} */
static int
retention_get(struct req *req)
{
    struct retention r;
    int rc = retention_load(req->db, &r);
    return rc ? rc : api_reply(req, 200, retention_json(&r));
}

/* PUT /api/v1/settings/retention R -> R (every field required; days, 0 = keep forever) */
static int
retention_put(struct req *req)
{
    json_t *body = NULL;
    json_int_t v[4];
    struct retention r;
    struct buf why = BUF_INIT;
    int rc;
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:I, s:I, s:I, s:I}", "samples_days", &v[0], "checkins_days", &v[1],
                         "tombstones_days", &v[2], "batches_days", &v[3])))
        goto out;
    for (int i = 0; i < 4; i++)
        if (v[i] < 0 || v[i] > RETENTION_DAYS_MAX) { /* before narrowing to int */
            rc = req_fail(req, ERR_INVALID, "a retention limit must be 0 or from %d to %d days", RETENTION_DAYS_MIN,
                          RETENTION_DAYS_MAX);
            goto out;
        }
    r = (struct retention){ (int)v[0], (int)v[1], (int)v[2], (int)v[3] };
    if ((rc = retention_save(req->db, &req->app->keys, &req->actor, &r, &why))) {
        if (rc == ERR_INVALID)
            req_fail(req, rc, "%s", why.data);
        goto out;
    }
    rc = api_reply(req, 200, retention_json(&r));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* POST /api/v1/people/erase {"id_number","reason"} -> {"target":"blind:…","samples","sample_history",
 * "results","batch_rows","health_epi","kept_collisions"} */
static int
people_erase(struct req *req)
{
    json_t *body = NULL;
    const char *id = NULL, *reason = NULL;
    struct buf why = BUF_INIT;
    struct erase_counts c;
    int rc;
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s:s}", "id_number", &id, "reason", &reason)))
        goto out;
    if ((rc = person_erase(req->app, req->db, &req->actor, id, reason, &c, &why))) {
        if (why.len)
            rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    rc = api_reply(req, 200,
                   json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "target", c.target, "samples",
                             (json_int_t)c.samples, "sample_history", (json_int_t)c.sample_history, "results",
                             (json_int_t)c.results, "batch_rows", (json_int_t)c.batch_rows, "health_epi",
                             (json_int_t)c.health_epi, "kept_collisions", (json_int_t)c.kept_collisions));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

const struct route api_retention_routes[] = {
    { "GET", "/api/v1/settings/retention", retention_get, PERM_SETTINGS_READ, 0, 0 },
    { "PUT", "/api/v1/settings/retention", retention_put, PERM_SETTINGS_WRITE, ROUTE_JSON, 4096 },
    { "POST", "/api/v1/people/erase", people_erase, PERM_PEOPLE_ERASE, ROUTE_JSON, 4096 },
    ROUTE_END
};
