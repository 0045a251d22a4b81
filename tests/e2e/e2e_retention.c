/* tests/e2e/e2e_retention.c - retention limits and erasure on request over HTTP and at the console
 * (issue 12; S1, S6 三权分立), on the real `jiayuan serve`, SQLite and PostgreSQL.
 *
 * The secadmin sets the limits (a bad value is a 400 with its reason; the sysadmin is refused)
 * and the change is audited old->new. A feed pushes a person's samples; the secadmin erases the
 * person through POST /api/v1/people/erase: a district officer's lookup then finds nothing, the
 * sysadmin and the district officer are refused (403, no people.erase), and the auditor sees
 * the "people.erase" entry by blind index. `jiayuan purge --dry-run` and `jiayuan purge` run at
 * the console while serve runs and are audited. The ID number is greppable nowhere.
 * Fails on the tree before wp-retain: none of these routes or commands existed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/time.h"
#include "server.h"

#define SUB_A "110102001"
#define HOUR 3600000LL
#define P_ID "11010519850612107X"
#define P_NAME "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c" /* 欧阳娜娜 */

static const char *const pii[] = { P_ID, P_NAME, NULL };
static struct buf feed_token = BUF_INIT;
static struct client sally, audrey, secky;
static char enrolled_on[256];

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "sally", "sysadmin", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "audrey", "auditor", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "secky", "secadmin", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "lab-feed", "sites.write,samples.write,results.write", &feed_token, NULL))
        return -1;
    return 0;
}

static void
admins(struct server *srv)
{
    if (strcmp(enrolled_on, srv->dir) == 0)
        return;
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&audrey);
        client_release(&secky);
    }
    client_init(&sally, srv);
    client_init(&audrey, srv);
    client_init(&secky, srv);
    snprintf(enrolled_on, sizeof enrolled_on, "%s", srv->dir);
    assert_int_equal(server_enrol(srv, &sally, "sally", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &audrey, "audrey", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &secky, "secky", NULL, 0), 0);
}

/* audit_detail returns the detail of the newest entry with action (NULL when none). */
static char *
audit_detail(const char *action, char *target_out, size_t cap)
{
    struct resp r = RESP_INIT;
    char path[256], *out = NULL;
    snprintf(path, sizeof path, "/api/v1/audit?limit=50&action=%s", action);
    client_call(&audrey, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    json_t *e = json_array_get(resp_get(&r, "items"), 0);
    if (e) {
        out = xstrdup(json_string_value(json_object_get(e, "detail")));
        if (target_out)
            snprintf(target_out, cap, "%s", json_string_value(json_object_get(e, "target")));
    }
    resp_release(&r);
    return out;
}

static void
test_limits(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT;
    admins(srv);
    client_call(&secky, "PUT", "/api/v1/settings/retention",
                "{\"samples_days\":180,\"checkins_days\":90,\"tombstones_days\":30,\"batches_days\":60}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "samples_days"), 180);
    client_call(&secky, "PUT", "/api/v1/settings/retention",
                "{\"samples_days\":3,\"checkins_days\":90,\"tombstones_days\":30,\"batches_days\":60}", &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.reason"), "retention_days_field");
    client_call(&sally, "PUT", "/api/v1/settings/retention",
                "{\"samples_days\":0,\"checkins_days\":0,\"tombstones_days\":0,\"batches_days\":0}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&secky, "GET", "/api/v1/settings/retention", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "batches_days"), 60);
    char *d = audit_detail("settings.retention.update", NULL, 0);
    assert_non_null(d);
    assert_string_equal(d, "samples_days=0->180 checkins_days=0->90 tombstones_days=0->30 batches_days=0->60");
    xfree(d);
    resp_release(&r);
}

static void
test_erase(void **state)
{
    struct server *srv = *state;
    struct client feed, dist;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms();
    char body[512], target[64] = "";
    admins(srv);
    client_init(&feed, srv);
    snprintf(feed.bearer, sizeof feed.bearer, "%s", feed_token.data);
    client_call(&feed, "POST", "/api/v1/sites/batch",
                "[{\"source\":\"e2e\",\"external_id\":\"site-a\",\"code\":\"PA-1\",\"name\":\"Site A\","
                "\"type\":\"fixed\",\"subdistrict\":\"" SUB_A "\",\"lon\":116.36,\"lat\":39.91}]", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 1);
    snprintf(body, sizeof body,
             "[{\"source\":\"e2e\",\"external_id\":\"s1\",\"id_number\":\"" P_ID "\",\"name\":\"" P_NAME "\","
             "\"tube_code\":\"TP-1\",\"site_code\":\"PA-1\",\"collected_at\":%lld},"
             "{\"source\":\"e2e\",\"external_id\":\"s2\",\"id_number\":\"" P_ID "\",\"name\":\"" P_NAME "\","
             "\"tube_code\":\"TP-2\",\"site_code\":\"PA-1\",\"collected_at\":%lld}]",
             (long long)(now - 5 * HOUR), (long long)(now - 30 * HOUR));
    client_call(&feed, "POST", "/api/v1/samples/batch", body, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 2);

    assert_int_equal(client_sign_in(&dist, srv, "dist"), 200);
    client_call(&dist, "POST", "/api/v1/people/lookup", "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 2);

    /* only the secadmin holds people.erase */
    client_call(&dist, "POST", "/api/v1/people/erase", "{\"id_number\":\"" P_ID "\",\"reason\":\"x\"}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&sally, "POST", "/api/v1/people/erase", "{\"id_number\":\"" P_ID "\",\"reason\":\"x\"}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&secky, "POST", "/api/v1/people/erase", "{\"id_number\":\"" P_ID "\",\"reason\":\"\"}", &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.reason"), "erase_reason_len");
    client_call(&secky, "POST", "/api/v1/people/erase",
                "{\"id_number\":\"" P_ID "\",\"reason\":\"本人书面申请 2026-88\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "samples"), 2);
    assert_int_equal(strncmp(resp_str(&r, "target"), "blind:", 6), 0);

    client_call(&dist, "POST", "/api/v1/people/lookup", "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 0);
    char *d = audit_detail("people.erase", target, sizeof target);
    assert_non_null(d);
    assert_non_null(strstr(d, "samples=2 "));
    assert_int_equal(strncmp(target, "blind:", 6), 0);
    xfree(d);
    resp_release(&r);
    client_release(&feed);
    client_release(&dist);
}

static void
test_purge_cli(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    assert_int_equal(server_cli(srv, NULL, &out, "purge", "--dry-run", NULL), 0);
    assert_non_null(strstr(out.data, "would purge: samples=0 "));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "purge", NULL), 0);
    assert_non_null(strstr(out.data, "purged: samples=0 "));
    admins(srv);
    char *d = audit_detail("retention.purge", NULL, 0);
    assert_non_null(d);
    assert_null(strstr(d, "dry_run")); /* the newest is the real run */
    xfree(d);
    buf_release(&out);
}

static void
test_no_plaintext(void **state)
{
    server_assert_no_plaintext(*state, pii);
}

static void
test_errors_clean(void **state)
{
    server_assert_clean_errors(*state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_erase),
        cmocka_unit_test(test_purge_cli),
        cmocka_unit_test(test_no_plaintext),
        cmocka_unit_test(test_errors_clean),
    };
    int failed = server_run("e2e_retention", tests, sizeof tests / sizeof tests[0], prepare);
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&audrey);
        client_release(&secky);
    }
    buf_release_secret(&feed_token);
    return failed;
}
