/* tests/e2e/e2e_places.c - places and cameras over HTTP against the real server (R3.1-R3.6,
 * R3.11, issue 8; S1, S4) on SQLite and PostgreSQL.
 *
 * A district account registers toilets, a zone and cameras (one with a stream URL that
 * holds credentials); subdistrict accounts then see and change only their own
 * subdistrict's places and cameras (another subdistrict's read as 404 everywhere: lists,
 * detail, nearby search, bindings, checks); a viewer reads but cannot write; the map layer
 * and the nearby search answer; and the stream URL is never in any response, the log or
 * the database file in plaintext.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

#define SUB1 "110102001"
#define SUB2 "110102003"
#define STREAM_SECRET "Cred-MARKER-8812"
#define STREAM "rtsp://admin:" STREAM_SECRET "@10.2.3.4:554/h264/ch1/main"

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "dina", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "sam1", "subdistrict", SUB1, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "sam2", "subdistrict", SUB2, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

static void
login(struct server *srv, struct client *c, const char *user)
{
    struct resp r = RESP_INIT;
    client_init(c, srv);
    assert_int_equal(client_login(c, user, SERVER_PASSWORD, NULL, &r), 200);
    resp_release(&r);
}

static int64_t
create(struct client *c, const char *path, const char *json)
{
    struct resp r = RESP_INIT;
    client_call(c, "POST", path, json, &r);
    assert_resp(&r, 201, NULL);
    int64_t id = resp_int(&r, "id");
    resp_release(&r);
    return id;
}

static void
test_scope_and_secrets(void **state)
{
    struct server *srv = *state;
    struct client dina, sam1, sam2, vic;
    struct resp r = RESP_INIT;
    char path[160];

    login(srv, &dina, "dina");
    login(srv, &sam1, "sam1");
    login(srv, &sam2, "sam2");
    login(srv, &vic, "vic");
    int64_t t1 = create(&dina, "/api/v1/places",
                        "{\"source\":\"survey\",\"external_id\":\"t1\",\"kind\":\"toilet\",\"code\":\"GC-1\","
                        "\"name\":\"广内公厕\",\"subdistrict\":\"" SUB1 "\",\"lon\":116.3581,\"lat\":39.8943}");
    int64_t t2 = create(&dina, "/api/v1/places",
                        "{\"source\":\"survey\",\"external_id\":\"t2\",\"kind\":\"toilet\",\"code\":\"GC-2\","
                        "\"name\":\"椿树公厕\",\"subdistrict\":\"" SUB2 "\",\"lon\":116.3681,\"lat\":39.8943}");
    create(&dina, "/api/v1/places",
           "{\"source\":\"lingxiang\",\"external_id\":\"z1\",\"kind\":\"zone\",\"name\":\"封控区1\",\"subdistrict\":\"" SUB1
           "\",\"zone_level\":\"fengkong\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[116.357,39.893],"
           "[116.360,39.893],[116.360,39.896],[116.357,39.896]]]}}");
    int64_t c1 = create(&dina, "/api/v1/cameras",
                        "{\"source\":\"net\",\"external_id\":\"c1\",\"gb_id\":\"'11010200001320000001\","
                        "\"name\":\"广内东口\",\"subdistrict\":\"" SUB1 "\",\"lon\":116.3583,\"lat\":39.8944,"
                        "\"status\":\"online\",\"stream_url\":\"" STREAM "\"}");
    int64_t c2 = create(&dina, "/api/v1/cameras",
                        "{\"source\":\"net\",\"external_id\":\"c2\",\"gb_id\":\"11010200001320000002\","
                        "\"name\":\"椿树西口\",\"subdistrict\":\"" SUB2 "\",\"lon\":116.3683,\"lat\":39.8944}");

    /* Lists and detail are scoped. */
    client_call(&sam2, "GET", "/api/v1/places?kind=toilet", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_int_equal(resp_int(&r, "items.0.id"), t2);
    snprintf(path, sizeof path, "/api/v1/places/%lld", (long long)t1);
    client_call(&sam2, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sam2, "PATCH", path, "{\"name\":\"x\"}", &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sam2, "DELETE", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    snprintf(path, sizeof path, "/api/v1/cameras/%lld", (long long)c1);
    client_call(&sam2, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sam2, "PATCH", path, "{\"name\":\"x\"}", &r);
    assert_resp(&r, 404, "not_found");
    client_call(&sam2, "GET", "/api/v1/cameras?near=116.3583,39.8944&within=2000", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_int_equal(resp_int(&r, "items.0.id"), c2);
    /* A subdistrict account cannot write into another one, nor bind across. */
    client_call(&sam2, "POST", "/api/v1/places",
                "{\"source\":\"s2\",\"external_id\":\"x\",\"kind\":\"toilet\",\"name\":\"x\",\"subdistrict\":\"" SUB1
                "\",\"lon\":116.36,\"lat\":39.89}", &r);
    assert_resp(&r, 400, "invalid");
    snprintf(path, sizeof path, "/api/v1/places/%lld/cameras/%lld", (long long)t2, (long long)c1);
    client_call(&sam2, "POST", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/checks", (long long)c1);
    client_call(&sam2, "POST", path, "{\"position_ok\":true,\"playable\":true}", &r);
    assert_resp(&r, 404, "not_found");
    /* Its own: bind by GB/T 28181 ID, check, see the camera on the place. */
    snprintf(path, sizeof path, "/api/v1/places/%lld/cameras/11010200001320000001", (long long)t1);
    client_call(&sam1, "POST", path, NULL, &r);
    assert_resp(&r, 201, NULL);
    snprintf(path, sizeof path, "/api/v1/places/%lld", (long long)t1);
    client_call(&sam1, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "camera_ids.0"), "11010200001320000001");
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/checks", (long long)c1);
    client_call(&sam1, "POST", path, "{\"position_ok\":true,\"playable\":false,\"covers\":\"入口\"}", &r);
    assert_resp(&r, 201, NULL);
    client_call(&sam1, "GET", "/api/v1/camera-checks?kind=toilet", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    snprintf(path, sizeof path, "/api/v1/places/%lld/cameras?within=300", (long long)t1);
    client_call(&sam1, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "items.0.bound")));
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/places?within=100&kind=toilet", (long long)c1);
    client_call(&sam1, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_int_equal(resp_int(&r, "items.0.id"), t1);
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/places", (long long)c1);
    client_call(&sam2, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    /* The map layer: the toilet and the zone of SUB1 for sam1. */
    client_call(&sam1, "GET", "/api/v1/map/places.geojson", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "type"), "FeatureCollection");
    assert_int_equal(json_array_size(resp_get(&r, "features")), 2);
    client_call(&sam1, "GET", "/api/v1/bindings", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.gb_id"), "11010200001320000001");
    client_call(&sam2, "GET", "/api/v1/bindings", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(&sam1, "GET", "/api/v1/bindings/export.xlsx", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&sam1, "GET", "/api/v1/camera-checks/export.xlsx?kind=toilet&stale_days=30", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(r.body.len > 4 && memcmp(r.body.data, "PK", 2) == 0);
    /* Every list is exportable. */
    client_call(&sam1, "GET", "/api/v1/places/export.xlsx?kind=toilet", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(r.body.len > 4 && memcmp(r.body.data, "PK", 2) == 0);
    client_call(&sam2, "GET", "/api/v1/cameras/export.xlsx", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(r.body.len > 4 && memcmp(r.body.data, "PK", 2) == 0);
    /* The viewer reads, never writes. */
    client_call(&vic, "GET", "/api/v1/cameras", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 2);
    client_call(&vic, "POST", "/api/v1/cameras",
                "{\"source\":\"v\",\"external_id\":\"v\",\"gb_id\":\"11010200001320000003\",\"name\":\"x\"}", &r);
    assert_resp(&r, 403, "forbidden");
    /* Bad input is refused cleanly. */
    client_call(&dina, "GET", "/api/v1/cameras?near=abc&within=300", NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&dina, "GET", "/api/v1/cameras?near=116.36,39.89&within=99999", NULL, &r);
    assert_resp(&r, 400, "invalid");
    /* Reading every camera and place as the district: the stream URL appears nowhere. */
    client_call(&dina, "GET", "/api/v1/cameras", NULL, &r);
    client_call(&dina, "GET", "/api/v1/places", NULL, &r);
    snprintf(path, sizeof path, "/api/v1/cameras/%lld", (long long)c1);
    client_call(&dina, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "has_stream")));
    client_call(&dina, "PATCH", path, "{\"owner\":\"广内街道\"}", &r);
    assert_resp(&r, 200, NULL);
    {
        const char *const needles[] = { STREAM_SECRET, NULL };
        server_assert_no_plaintext(srv, needles);
    }
    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&dina);
    client_release(&sam1);
    client_release(&sam2);
    client_release(&vic);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_and_secrets),
    };
    return server_run("places", tests, sizeof tests / sizeof tests[0], prepare);
}
