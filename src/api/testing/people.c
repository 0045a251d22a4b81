/* api/testing/people.c - POST /api/v1/people/lookup: the personal test-result query (R4.1). The ID
 * number travels in the body, never in the URL (URLs end up in logs and browser history). */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "domain/testing/person.h"

/* POST /api/v1/people/lookup {"id_number","days"?,"reveal"?,"reason"?}
 *   -> {"id_number","name","revealed","days","tests":[…],"status":"ok"|"damaged","damaged":N}
 *   (masked unless revealed) */
static int
people_lookup(struct req *req)
{
    json_t *body = NULL, *tests, *out;
    const char *id = NULL, *reason = NULL;
    struct buf why = BUF_INIT;
    json_int_t days = PERSON_DAYS_DEFAULT;
    int reveal = 0, rc;
    struct person_history h;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s?I, s?b, s?s}", "id_number", &id, "days", &days, "reveal", &reveal,
                         "reason", &reason)))
        goto out;
    if (days < 1 || days > PERSON_DAYS_MAX) {
        rc = req_fail(req, ERR_INVALID, "'days' must be from 1 to %d", PERSON_DAYS_MAX);
        goto out;
    }
    rc = person_lookup(req->app, req->db, &req->actor, id, (int)days, reveal, reason, &req->arena, &h, &why);
    if (rc == ERR_FORBIDDEN)
        rc = req_fail(req, rc, "permission 'pii.reveal' is required to reveal");
    else if (rc && why.len)
        rc = req_fail(req, rc, "%s", why.data);
    if (rc)
        goto out;
    tests = json_array();
    for (size_t i = 0; i < h.ntests; i++) {
        const struct person_test *t = &h.tests[i];
        json_array_append_new(tests, json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:s?}", "sampled_at",
                                               (json_int_t)t->sampled_at, "tested_at",
                                               t->tested_at ? json_integer(t->tested_at) : json_null(),
                                               "site_code", t->site_code, "site_name", t->site_name, "tube_code",
                                               t->tube_code, "institution", t->institution[0] ? t->institution : NULL,
                                               "result", t->result[0] ? t->result : NULL));
    }
    /* status: "damaged" (数据损坏) when a sample of this ID failed its integrity check - the
       person must not read as untested (issue 12); else "ok" */
    out = json_pack("{s:s, s:s, s:b, s:I, s:o, s:s, s:I}", "id_number", h.id_number, "name", h.name, "revealed",
                    h.revealed, "days", days, "tests", tests, "status", h.damaged ? "damaged" : "ok", "damaged",
                    (json_int_t)h.damaged);
    rc = api_reply(req, 200, out);
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

const struct route api_people_routes[] = {
    { "POST", "/api/v1/people/lookup", people_lookup, PERM_PEOPLE_READ, ROUTE_JSON, 4096 },
    ROUTE_END
};
