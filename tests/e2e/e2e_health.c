/* tests/e2e/e2e_health.c - the health commission's data over HTTP (issue 11, R2.13; S1, S6) on the
 * real `jiayuan serve`, on SQLite and PostgreSQL: the commission's feed (an API token with
 * health.write) pushes 流调 records and a doctor, and uploads a sheet written by openpyxl;
 * a district officer looks a person up masked and reveals with a reason; a subdistrict
 * officer sees only their subdistrict and may not reveal (403, audited); a viewer has no
 * health.read (403). The person's ID number, name and phone are found nowhere - database,
 * log - and in exactly one response, the reveal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "fixtures/pyfixture.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define HOUR 3600000LL
#define LOOKUP "/api/v1/exchange/health/epi/lookup"
#define BOUNDARY "jyhealthboundary"

#define P_ID "11010519850612107X"
#define P_MASKED "110105********107X"
#define P_NAME "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c" /* 欧阳娜娜 */
#define P_NAME_MASKED "\xe6\xac\xa7***"
#define P_PHONE "13912345678"
#define REASON "tracing the contacts of case W-1 for the district command"

#define D_NAME "\xe8\xb5\xb5\xe5\x8c\xbb\xe7\x94\x9f" /* 赵医生 */
#define D_NAME_Q "%E8%B5%B5%E5%8C%BB%E7%94%9F"
#define D_PHONE "13811112222"
#define DOCTORS "/api/v1/exchange/health/doctors"

static const char *const pii[] = { P_ID, P_NAME, P_PHONE, "11010219900307123X", D_NAME, D_PHONE,
                                   "\xe5\xad\x99\xe5\x8c\xbb\xe7\x94\x9f" /* 孙医生 */, "13855556666", "13877778888", NULL };
static struct buf feed_token = BUF_INIT;

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_b", "subdistrict", SUB_B, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "wjw-feed", "health.write,health.read", &feed_token, NULL))
        return -1;
    return 0;
}

static void
login(struct client *c, struct server *srv, const char *user)
{
    struct resp r = RESP_INIT;
    client_init(c, srv);
    assert_int_equal(client_login(c, user, SERVER_PASSWORD, NULL, &r), 200);
    resp_release(&r);
}

static void
test_feed(void **state)
{
    struct server *srv = *state;
    struct client feed;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms();
    json_t *arr = json_pack(
        "[{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:[{s:s, s:f, s:f, s:I}]},"
        " {s:s, s:s, s:s, s:s, s:s, s:I, s:s}, {s:s, s:s, s:s, s:s, s:I, s:s}]",
        "source", "wjw", "external_id", "W-1", "kind", "case", "subdistrict", SUB_A, "reported_at",
        (json_int_t)(now - HOUR), "name", P_NAME, "id_number", P_ID, "phone", P_PHONE, "places", "name", "超市A",
        "lon", 116.38, "lat", 39.91, "from", (json_int_t)(now - 30 * HOUR), /**/
        "source", "wjw", "external_id", "W-2", "kind", "close_contact", "case_ref", "W-1", "subdistrict", SUB_B,
        "reported_at", (json_int_t)(now - HOUR), "name", "李四", /**/
        "source", "wjw", "external_id", "W-3", "kind", "suspect", "subdistrict", SUB_A, "reported_at",
        (json_int_t)(now - HOUR), "name", "x");
    char *body = json_dumps(arr, JSON_COMPACT);

    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    client_call(&feed, "POST", "/api/v1/exchange/health/epi/batch", body, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 2);
    assert_int_equal(resp_int(&r, "rejected"), 1);
    assert_string_equal(resp_str(&r, "items.2.field"), "kind");
    /* a retry is a duplicate */
    client_call(&feed, "POST", "/api/v1/exchange/health/epi/batch", body, &r);
    assert_int_equal(resp_int(&r, "duplicate"), 2);
    client_call(&feed, "POST", "/api/v1/exchange/health/doctors",
                "{\"source\":\"wjw\",\"external_id\":\"D-1\",\"name\":\"\xe8\xb5\xb5\xe5\x8c\xbb\xe7\x94\x9f\","
                "\"phone\":\"13811112222\",\"institution\":\"h\",\"subdistrict\":\"" SUB_A "\"}",
                &r);
    assert_resp(&r, 201, NULL);
    xfree(body);
    json_decref(arr);
    resp_release(&r);
    client_release(&feed);
}

static void
test_lookups(void **state)
{
    struct server *srv = *state;
    struct client dist, off, vic;
    struct resp r = RESP_INIT;

    login(&dist, srv, "dist");
    client_call(&dist, "POST", LOOKUP, "{\"id_number\":\"11010519850612107x\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "items")), 1);
    assert_string_equal(resp_str(&r, "items.0.id_number"), P_MASKED);
    assert_string_equal(resp_str(&r, "items.0.name"), P_NAME_MASKED);
    assert_string_equal(resp_str(&r, "items.0.phone"), "139****5678");
    assert_string_equal(resp_str(&r, "items.0.places.0.name"), "超市A");
    client_call(&dist, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\",\"reveal\":true}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&dist, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\",\"reveal\":true,\"reason\":\"" REASON "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "items.0.id_number"), P_ID);
    assert_string_equal(resp_str(&r, "items.0.name"), P_NAME);
    client_call(&dist, "GET", "/api/v1/exchange/health/epi?limit=10", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 2);
    client_call(&dist, "GET", "/api/v1/exchange/health/doctors", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "items.0.phone"), "138****2222");

    login(&off, srv, "off_b");
    client_call(&off, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "items")), 0); /* SUB_A's record */
    client_call(&off, "GET", "/api/v1/exchange/health/epi", NULL, &r);
    assert_int_equal(resp_int(&r, "total"), 1);
    client_call(&off, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\",\"reveal\":true,\"reason\":\"" REASON "\"}", &r);
    assert_resp(&r, 403, "forbidden");

    login(&vic, srv, "vic");
    client_call(&vic, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\"}", &r);
    assert_resp(&r, 403, "forbidden");
    resp_release(&r);
    client_release(&dist);
    client_release(&off);
    client_release(&vic);
}

/* doctors (0022): search by name or phone through the blind indexes, masked; reveal with
 * pii.reveal and a reason, refused (403, audited) without; nothing of a SUB_A doctor for off_b. */
static void
test_doctors(void **state)
{
    struct server *srv = *state;
    struct client dist, off;
    struct resp r = RESP_INIT;
    char body[160];
    int64_t id;

    login(&dist, srv, "dist");
    client_call(&dist, "GET", DOCTORS "?name=" D_NAME_Q, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.name"), "\xe8\xb5\xb5**");
    id = resp_int(&r, "items.0.id");
    client_call(&dist, "GET", DOCTORS "?phone=138-1111-2222", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.phone"), "138****2222");
    client_call(&dist, "GET", DOCTORS "?phone=13900000000", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(&dist, "GET", DOCTORS "?phone=12", NULL, &r);
    assert_resp(&r, 400, NULL);
    assert_string_equal(resp_str(&r, "error.reason"), "phone_bad");
    snprintf(body, sizeof body, "{\"id\":%lld}", (long long)id);
    client_call(&dist, "POST", DOCTORS "/reveal", body, &r);
    assert_resp(&r, 400, NULL);
    assert_string_equal(resp_str(&r, "error.reason"), "reveal_reason_len");
    snprintf(body, sizeof body, "{\"id\":%lld,\"reason\":\"" REASON "\"}", (long long)id);
    client_call(&dist, "POST", DOCTORS "/reveal", body, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "item.name"), D_NAME);
    assert_string_equal(resp_str(&r, "item.phone"), D_PHONE);

    login(&off, srv, "off_b");
    client_call(&off, "GET", DOCTORS "?name=" D_NAME_Q, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(&off, "POST", DOCTORS "/reveal", body, &r);
    assert_resp(&r, 403, "forbidden");
    resp_release(&r);
    client_release(&dist);
    client_release(&off);
}

static void
test_import_upload(void **state)
{
    struct server *srv = *state;
    static const char *const headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct client feed;
    struct resp r = RESP_INIT;
    struct buf body = BUF_INIT, file = BUF_INIT;
    char dir[64], chunk[65536];
    size_t n;
    FILE *f;

    snprintf(dir, sizeof dir, "/tmp/jy_e2e_health_%d", (int)getpid());
    snprintf(chunk, sizeof chunk, "mkdir -p '%s'", dir);
    assert_int_equal(system(chunk), 0);
    assert_non_null(f = fopen(pyfixture_make(dir, "make_epi.py", "epi.xlsx", ""), "rb"));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, n);
    fclose(f);
    snprintf(chunk, sizeof chunk, "rm -rf '%s'", dir);
    assert_int_equal(system(chunk), 0);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"epi.xlsx\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n", BOUNDARY);
    buf_add(&body, file.data, file.len);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    client_send(&feed, "POST", "/api/v1/exchange/health/epi/import", body.data, body.len, headers, 0, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 2);
    assert_int_equal(resp_int(&r, "rejected"), 1);
    assert_int_equal(resp_int(&r, "items.2.row"), 6);
    client_send(&feed, "POST", "/api/v1/exchange/health/epi/import", body.data, body.len, headers, 0, &r);
    assert_int_equal(resp_int(&r, "duplicate"), 2);
    resp_release(&r);
    client_release(&feed);
    buf_release(&body);
    buf_release(&file);
}

/* doctors from a sheet written by openpyxl (make_doctors.py): two accepted (one by subdistrict
 * name), the nameless row rejected with its sheet row; again: duplicates; then listed masked. */
static void
test_doctor_import(void **state)
{
    struct server *srv = *state;
    static const char *const headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct client feed;
    struct resp r = RESP_INIT;
    struct buf body = BUF_INIT, file = BUF_INIT;
    char dir[64], chunk[65536];
    size_t n;
    FILE *f;

    snprintf(dir, sizeof dir, "/tmp/jy_e2e_doctors_%d", (int)getpid());
    snprintf(chunk, sizeof chunk, "mkdir -p '%s'", dir);
    assert_int_equal(system(chunk), 0);
    assert_non_null(f = fopen(pyfixture_make(dir, "make_doctors.py", "doctors.xlsx", ""), "rb"));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, n);
    fclose(f);
    snprintf(chunk, sizeof chunk, "rm -rf '%s'", dir);
    assert_int_equal(system(chunk), 0);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doctors.xlsx\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n", BOUNDARY);
    buf_add(&body, file.data, file.len);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    client_send(&feed, "POST", DOCTORS "/import", body.data, body.len, headers, 0, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "rows"), 3);
    assert_int_equal(resp_int(&r, "accepted"), 2);
    assert_int_equal(resp_int(&r, "rejected"), 1);
    assert_int_equal(resp_int(&r, "items.2.row"), 5);
    assert_string_equal(resp_str(&r, "items.2.field"), "name");
    client_send(&feed, "POST", DOCTORS "/import", body.data, body.len, headers, 0, &r);
    assert_int_equal(resp_int(&r, "duplicate"), 2);
    client_call(&feed, "GET", DOCTORS "?phone=13877778888", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.source"), "file");
    assert_string_equal(resp_str(&r, "items.0.phone"), "138****8888");
    resp_release(&r);
    client_release(&feed);
    buf_release(&body);
    buf_release(&file);
}

/* the 流调场所 map layer: places grouped by name and point with a record count, a time window,
 * the caller's scope; no personal field in the reply; a viewer has no health.read. */
static void
test_places_layer(void **state)
{
    struct server *srv = *state;
    struct client d, b, v;
    struct resp r = RESP_INIT;
    char path[160];
    login(&d, srv, "dist");
    client_call(&d, "GET", "/api/v1/exchange/health/places", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "type"), "FeatureCollection");
    assert_int_equal(json_array_size(resp_get(&r, "features")), 2);
    assert_string_equal(resp_str(&r, "features.0.properties.name"), "超市A"); /* W-1 and the sheet's E-001 */
    assert_int_equal(resp_int(&r, "features.0.properties.records"), 2);
    assert_string_equal(resp_str(&r, "features.0.geometry.type"), "Point");
    assert_string_equal(resp_str(&r, "features.1.properties.name"), "餐馆B");
    assert_int_equal(resp_int(&r, "features.1.properties.records"), 1);
    assert_null(strstr(r.body.data, "W-1"));
    assert_null(strstr(r.body.data, "E-001"));
    /* the last two days: only W-1's visit (the sheet's are of January) */
    snprintf(path, sizeof path, "/api/v1/exchange/health/places?from=%lld", (long long)(time_now_ms() - 48 * HOUR));
    client_call(&d, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "features")), 1);
    assert_int_equal(resp_int(&r, "features.0.properties.records"), 1);
    client_call(&d, "GET", "/api/v1/exchange/health/places?from=2026-02-01T00:00:00%2B08:00&to=2026-01-01T00:00:00%2B08:00",
                NULL, &r);
    assert_resp(&r, 400, NULL);
    assert_string_equal(resp_str(&r, "error.reason"), "health_places_window");
    /* off_b: the places of SUB_B's records only (none have a point) */
    login(&b, srv, "off_b");
    client_call(&b, "GET", "/api/v1/exchange/health/places", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "features")), 0);
    login(&v, srv, "vic");
    client_call(&v, "GET", "/api/v1/exchange/health/places", NULL, &r);
    assert_resp(&r, 403, NULL);
    resp_release(&r);
    client_release(&d);
    client_release(&b);
    client_release(&v);
}

static void
test_no_plaintext(void **state)
{
    struct server *srv = *state;
    server_assert_absent(srv, SCAN_DB | SCAN_LOG, pii);
    assert_int_equal(server_count_responses(srv, P_ID), 1); /* the one reveal */
    assert_int_equal(server_count_responses(srv, D_PHONE), 1); /* the doctor's reveal */
    server_assert_clean_errors(srv);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_doctors),
        cmocka_unit_test(test_import_upload),
        cmocka_unit_test(test_doctor_import),
        cmocka_unit_test(test_places_layer),
        cmocka_unit_test(test_no_plaintext),
    };
    int failed = server_run("e2e_health", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feed_token);
    return failed;
}
