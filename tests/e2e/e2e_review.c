/* tests/e2e/e2e_review.c - the review of reported figures over HTTP (issue 10: R1.4-R1.6, R2.4,
 * R4.1) on the real `jiayuan serve`, on SQLite and PostgreSQL.
 *
 * An upstream feed (an API token) pushes a round, sites, planned and actual counts and
 * samples. Subdistrict officers propose corrections (201 proposed; a second one 409), the
 * district approves and rejects (a subdistrict approving: 403; deciding twice: 409), locks
 * the round (proposals, approvals and new reports: 409) and unlocks it (allowed again).
 * The corrections list and planned vs actual are scoped: a subdistrict never sees another's
 * rows. The testing frequency is the district's (403 for a subdistrict, masked), a sample is
 * corrected by its source only. Every error is the clean envelope; the person's ID number
 * and name are in no response, log or database row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define HOUR 3600000LL
#define P_ID "11010519850612107X"
#define P_NAME "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c" /* 欧阳娜娜 */

static const char *const pii[] = { P_ID, P_NAME, NULL };

static struct buf feed_token = BUF_INIT;
static int64_t actual_ids[3], sample_ids[2];
static int64_t pending_b; /* off_b's proposal, left pending over the lock */

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_b", "subdistrict", SUB_B, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "feed", "sites.write,plans.write,actuals.write,samples.write", &feed_token, NULL))
        return -1;
    return 0;
}

static void
feed_client(struct client *c, struct server *srv)
{
    client_init(c, srv);
    str_copy(c->bearer, sizeof c->bearer, feed_token.data);
}

static void
post_batch(struct client *feed, const char *path, json_t *arr, int64_t *ids)
{
    struct resp r = RESP_INIT;
    size_t n = json_array_size(arr);
    char *body = json_dumps(arr, JSON_COMPACT);
    client_call(feed, "POST", path, body, &r);
    assert_resp(&r, 200, NULL);
    if (resp_int(&r, "accepted") != (int64_t)n)
        fail_msg("%s: %s", path, r.body.data);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = json_integer_value(json_object_get(json_array_get(resp_get(&r, "items"), i), "id"));
    xfree(body);
    json_decref(arr);
    resp_release(&r);
}

static json_t *
actual(const char *ext, const char *sub, const char *site, int64_t count)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "e2e-sub", "external_id", ext, "plan_no", "P-R",
                          "subdistrict", sub, "count", (json_int_t)count, "reported_at",
                          (json_int_t)(time_now_ms() - HOUR));
    if (site)
        json_object_set_new(o, "site_code", json_string(site));
    return o;
}

static void
test_feed(void **state)
{
    struct server *srv = *state;
    struct client feed;
    int64_t now = time_now_ms();

    feed_client(&feed, srv);
    post_batch(&feed, "/api/v1/plans/batch",
               json_pack("[{s:s, s:s, s:s, s:s, s:I, s:I, s:[s, s]}]", "source", "e2e-gov", "external_id", "p-r",
                         "plan_no", "P-R", "name", "第9轮", "starts_at", (json_int_t)(now - 2 * HOUR), "ends_at",
                         (json_int_t)(now + 24 * HOUR), "scope", SUB_A, SUB_B),
               NULL);
    post_batch(&feed, "/api/v1/sites/batch",
               json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}, {s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}]",
                         "source", "e2e-gov", "external_id", "site-a", "code", "RA-1", "name", "Site A", "type",
                         "fixed", "subdistrict", SUB_A, "lon", 116.36, "lat", 39.91, /**/
                         "source", "e2e-gov", "external_id", "site-b", "code", "RB-1", "name", "Site B", "type",
                         "fixed", "subdistrict", SUB_B, "lon", 116.37, "lat", 39.92),
               NULL);
    post_batch(&feed, "/api/v1/planned/batch",
               json_pack("[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}]", "source", "e2e-gov",
                         "external_id", "q-a", "plan_no", "P-R", "subdistrict", SUB_A, "count", 400, /**/
                         "source", "e2e-gov", "external_id", "q-b", "plan_no", "P-R", "subdistrict", SUB_B, "count",
                         200),
               NULL);
    post_batch(&feed, "/api/v1/actuals/batch",
               json_pack("[o, o, o]", actual("a1", SUB_A, "RA-1", 120), actual("a2", SUB_A, NULL, 30),
                         actual("b1", SUB_B, "RB-1", 50)),
               actual_ids);
    post_batch(&feed, "/api/v1/samples/batch",
               json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}, {s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}]",
                         "source", "e2e-app", "external_id", "s1", "id_number", P_ID, "name", P_NAME, "tube_code",
                         "T-1", "site_code", "RA-1", "plan_no", "P-R", "collected_at", (json_int_t)(now - HOUR), /**/
                         "source", "e2e-app", "external_id", "s2", "id_number", P_ID, "name", P_NAME, "tube_code",
                         "T-2", "site_code", "RB-1", "plan_no", "P-R", "collected_at", (json_int_t)(now - 2 * HOUR)),
               sample_ids);
    client_release(&feed);
}

/* propose posts body to /api/v1/actuals/{id}/corrections. */
static long
propose(struct client *c, int64_t id, const char *body, struct resp *r)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/actuals/%lld/corrections", (long long)id);
    return client_call(c, "POST", path, body, r);
}

/* decide posts body to /api/v1/corrections/{id}/verb. */
static long
decide(struct client *c, int64_t id, const char *verb, const char *body, struct resp *r)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/corrections/%lld/%s", (long long)id, verb);
    return client_call(c, "POST", path, body, r);
}

static void
test_workflow(void **state)
{
    struct server *srv = *state;
    struct client a, b, d;
    struct resp r = RESP_INIT;
    int64_t cid;

    assert_int_equal(client_sign_in(&a, srv, "off_a"), 200);
    assert_int_equal(client_sign_in(&b, srv, "off_b"), 200);
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    /* proposals */
    propose(&a, actual_ids[0], "{\"corrected\":100,\"reason\":\"复核\"}",
              &r);
    assert_resp(&r, 201, NULL);
    assert_string_equal(resp_str(&r, "correction.state"), "proposed");
    assert_int_equal(resp_int(&r, "actual.corrected"), 120);
    cid = resp_int(&r, "correction.id");
    assert_int_equal(resp_int(&r, "actual.pending_correction"), cid);
    propose(&a, actual_ids[0], "{\"corrected\":90,\"reason\":\"x\"}", &r);
    assert_resp(&r, 409, "conflict");
    propose(&b, actual_ids[0], "{\"corrected\":90,\"reason\":\"x\"}", &r);
    assert_resp(&r, 404, "not_found");
    propose(&b, actual_ids[2], "{\"corrected\":55,\"reason\":\"补录\"}",
              &r);
    assert_resp(&r, 201, NULL);
    pending_b = resp_int(&r, "correction.id");

    /* the lists are scoped */
    client_call(&b, "GET", "/api/v1/corrections", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.subdistrict"), SUB_B);
    client_call(&b, "GET", "/api/v1/corrections?subdistrict=" SUB_A, NULL, &r);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(&d, "GET", "/api/v1/corrections?plan=P-R&state=proposed", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 2);
    client_call(&d, "GET", "/api/v1/corrections?state=maybe", NULL, &r);
    assert_resp(&r, 400, "invalid");

    /* decisions: the district's */
    decide(&a, cid, "approve", "{}", &r);
    assert_resp(&r, 403, "forbidden");
    decide(&d, cid, "reject", "{}", &r);
    assert_resp(&r, 400, "invalid");
    decide(&d, cid, "approve", "{\"comment\":\"同意\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "correction.state"), "approved");
    assert_string_equal(resp_str(&r, "correction.decided_by"), "dist");
    decide(&d, cid, "approve", "{}", &r);
    assert_resp(&r, 409, "conflict");
    decide(&d, cid + 100, "approve", "{}", &r);
    assert_resp(&r, 404, "not_found");

    /* planned vs actual, scoped */
    client_call(&d, "GET", "/api/v1/plans/P-R/progress?by=subdistrict", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 2);
    assert_string_equal(resp_str(&r, "items.0.subdistrict"), SUB_A);
    assert_int_equal(resp_int(&r, "items.0.planned"), 400);
    assert_int_equal(resp_int(&r, "items.0.reported"), 150);
    assert_int_equal(resp_int(&r, "items.0.corrected"), 130);
    assert_int_equal(resp_int(&r, "items.0.sampled"), 1);
    assert_int_equal(resp_int(&r, "items.0.difference"), 399);
    assert_int_equal(resp_int(&r, "items.0.completion"), 25);
    assert_string_equal(resp_str(&r, "items.1.subdistrict"), SUB_B);
    client_call(&b, "GET", "/api/v1/plans/P-R/progress?by=community", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(resp_int(&r, "total") >= 1);
    for (int64_t i = 0; i < resp_int(&r, "total"); i++) {
        char key[48];
        snprintf(key, sizeof key, "items.%lld.subdistrict", (long long)i);
        assert_string_equal(resp_str(&r, key), SUB_B);
    }
    client_call(&b, "GET", "/api/v1/plans/P-R/progress?by=industry", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "basis"), "corrected");
    client_call(&b, "GET", "/api/v1/plans/P-R/progress?by=site", NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&b, "GET", "/api/v1/plans/P-9/progress", NULL, &r);
    assert_resp(&r, 404, "not_found");

    resp_release(&r);
    client_release(&a);
    client_release(&b);
    client_release(&d);
}

static void
test_lock(void **state)
{
    struct server *srv = *state;
    struct client a, d, feed;
    struct resp r = RESP_INIT;
    char *body;

    assert_int_equal(client_sign_in(&a, srv, "off_a"), 200);
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    feed_client(&feed, srv);
    client_call(&a, "POST", "/api/v1/plans/P-R/lock", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&d, "POST", "/api/v1/plans/P-R/lock", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "locked")));
    assert_string_equal(resp_str(&r, "locked_by"), "dist");
    client_call(&d, "POST", "/api/v1/plans/P-R/lock", NULL, &r);
    assert_resp(&r, 409, "conflict");
    client_call(&a, "GET", "/api/v1/plans/P-R", NULL, &r);
    assert_true(json_is_true(resp_get(&r, "locked")));

    /* locked: proposals, approvals and new reports */
    propose(&a, actual_ids[1], "{\"corrected\":31,\"reason\":\"x\"}", &r);
    assert_resp(&r, 409, "conflict");
    decide(&d, pending_b, "approve", "{}", &r);
    assert_resp(&r, 409, "conflict");
    json_t *late = actual("a9", SUB_A, NULL, 5);
    body = json_dumps(late, JSON_COMPACT);
    json_decref(late);
    client_call(&feed, "POST", "/api/v1/actuals", body, &r);
    assert_resp(&r, 409, "conflict");

    /* unlocked: allowed again */
    client_call(&a, "POST", "/api/v1/plans/P-R/unlock", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&d, "POST", "/api/v1/plans/P-R/unlock", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_false(resp_get(&r, "locked")));
    client_call(&d, "POST", "/api/v1/plans/P-R/unlock", NULL, &r);
    assert_resp(&r, 409, "conflict");
    client_call(&feed, "POST", "/api/v1/actuals", body, &r);
    assert_resp(&r, 201, NULL);
    decide(&d, pending_b, "reject", "{\"comment\":\"与扫码不符\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "correction.state"), "rejected");
    propose(&a, actual_ids[1], "{\"corrected\":31,\"reason\":\"x\"}", &r);
    assert_resp(&r, 201, NULL);

    xfree(body);
    resp_release(&r);
    client_release(&a);
    client_release(&d);
    client_release(&feed);
}

static void
test_people_and_samples(void **state)
{
    struct server *srv = *state;
    struct client a, d, feed;
    struct resp r = RESP_INIT;

    assert_int_equal(client_sign_in(&a, srv, "off_a"), 200);
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    feed_client(&feed, srv);
    client_call(&a, "POST", "/api/v1/people/frequency", "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&d, "POST", "/api/v1/people/frequency", "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 2);
    assert_string_equal(resp_str(&r, "id_number"), "110105********107X");
    assert_string_equal(resp_str(&r, "name"), "\xe6\xac\xa7***");
    assert_int_equal(json_array_size(resp_get(&r, "months")), 12);
    client_call(&d, "POST", "/api/v1/people/frequency", "{\"id_number\":\"" P_ID "\",\"from\":\"2020-01\"}", &r);
    assert_resp(&r, 400, "invalid");

    {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/samples/%lld", (long long)sample_ids[0]);
        client_call(&feed, "PATCH", path, "{\"source\":\"someone-else\",\"reason\":\"r\",\"tube_code\":\"T-9\"}", &r);
        assert_resp(&r, 403, "forbidden");
        client_call(&feed, "PATCH", path, "{\"source\":\"e2e-app\",\"reason\":\"扫错管\",\"tube_code\":\"T-9\"}", &r);
        assert_resp(&r, 200, NULL);
        assert_string_equal(resp_str(&r, "status"), "corrected");
        client_call(&a, "PATCH", path, "{\"source\":\"e2e-app\",\"reason\":\"x\",\"tube_code\":\"T-8\"}", &r);
        assert_resp(&r, 403, "forbidden"); /* officers hold no samples.write */
    }
    server_assert_clean_errors(srv);
    server_assert_no_plaintext(srv, pii);
    resp_release(&r);
    client_release(&a);
    client_release(&d);
    client_release(&feed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_workflow),
        cmocka_unit_test(test_lock),
        cmocka_unit_test(test_people_and_samples),
    };
    int failed = server_run("e2e_review", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feed_token);
    return failed;
}
