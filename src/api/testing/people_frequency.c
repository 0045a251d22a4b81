/* api/testing/people_frequency.c - POST /api/v1/people/frequency: a person's testing frequency
 * per month over a span (参与核酸频次, issue 10), for district accounts, masked and audited
 * like the personal lookup (domain/testing/frequency.h). The ID number travels in the body,
 * never in the URL (URLs end up in logs and browser history).
 */
#include "api/api.h"
#include "core/err.h"
#include "domain/testing/frequency.h"

/* POST /api/v1/people/frequency {"id_number","from"?: "YYYY-MM","to"?: "YYYY-MM"}
 *   -> {"id_number" (masked),"name" (masked),"from","to","total","months":[{"month","tests"}…]} */
static int
people_frequency(struct req *req)
{
    json_t *body = NULL, *months;
    const char *id = NULL, *from = NULL, *to = NULL;
    struct buf why = BUF_INIT;
    struct person_frequency f;
    int rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s?s, s?s}", "id_number", &id, "from", &from, "to", &to)))
        goto out;
    if ((rc = person_frequency(req->app, req->db, &req->actor, id, from, to, &req->arena, &f, &why))) {
        rc = why.len ? req_fail(req, rc, "%s", why.data) : rc;
        goto out;
    }
    months = json_array();
    for (size_t i = 0; i < f.nmonths; i++)
        json_array_append_new(months, json_pack("{s:s, s:I}", "month", f.months[i].month, "tests",
                                                (json_int_t)f.months[i].tests));
    rc = api_reply(req, 200,
                   json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "id_number", f.id_number, "name", f.name, "from",
                             f.from, "to", f.to, "total", (json_int_t)f.total, "months", months));
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

const struct route api_people_frequency_routes[] = {
    { "POST", "/api/v1/people/frequency", people_frequency, PERM_PEOPLE_READ, ROUTE_JSON, 4096 },
    ROUTE_END
};
