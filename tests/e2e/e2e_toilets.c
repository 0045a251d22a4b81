/* tests/e2e/e2e_toilets.c - public toilets end to end (R3.7-R3.9), on SQLite and
 * PostgreSQL, with the real binary:
 *   - CLI: `jiayuan toilets import survey.xlsx -o report.xlsx` loads the messy survey of
 *     tests/support/fixtures/make_survey.py (written by /usr/bin/python3 + openpyxl) and
 *     prints its counts; a second import changes nothing; `jiayuan cameras reconcile
 *     network.xlsx -o out.xlsx --within 300` writes one row per camera ID with 国标编码 and
 *     核对结果 exactly as survey_data.EXPECTED; the report .xlsx reads back.
 *   - HTTP, as an API token with the four place/camera scopes: upload the survey (201, the
 *     row report), upload the device export (201, the counts), page the run by class,
 *     bind (3 cameras), bind again (409), undo the batch (3 removed); a token without
 *     cameras.write is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"
#include "server.h"

#define BOUNDARY "jyToiletsBoundary7"
#define CAM(n) "11010200001310000" n

static struct buf tok_rw = BUF_INIT, tok_ro = BUF_INIT;

static int
prepare(struct server *srv)
{
    buf_reset(&tok_rw);
    buf_reset(&tok_ro);
    return server_add_token(srv, "toilets-rw", "places.read,places.write,cameras.read,cameras.write", &tok_rw,
                            NULL) ||
           server_add_token(srv, "toilets-ro", "places.read,cameras.read", &tok_ro, NULL);
}

static const char *
make(struct server *srv, const char *script, const char *name)
{
    return pyfixture_make(srv->dir, script, name, "");
}

static bool
has(const struct buf *b, const char *s)
{
    return strstr(b->data, s) != NULL;
}

static void
test_cli(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    char report[512], result[512];
    const char *survey = make(srv, "make_survey.py", "cli-survey.xlsx");
    snprintf(report, sizeof report, "%s/cli-report.xlsx", srv->dir);
    snprintf(result, sizeof result, "%s/cli-out.xlsx", srv->dir);

    assert_int_equal(server_cli(srv, NULL, &out, "toilets", "import", survey, "--crs", "wgs84", "-o", report, NULL), 0);
    if (!has(&out, "toilets=5 toilets_new=5 cameras=6 cameras_new=6"))
        fail_msg("output: %s", out.data);
    assert_true(has(&out, "rows=15 accepted=1 fixed=6 rejected=4 duplicate=1 skipped=3"));
    assert_true(has(&out, "crs=gcj02 (named by the sheet)"));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "toilets", "import", survey, NULL), 0);
    assert_true(has(&out, "toilets_new=0"));
    assert_true(has(&out, "cameras_new=0"));

    /* the report: a header and one row per input row */
    struct table *t = NULL;
    struct table_row r;
    size_t k = 0;
    assert_int_equal(table_open_path(report, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (r.num == 9) { /* sheet row 8: scientific notation, toilet kept */
            assert_true(str_eq_cstr(r.cells[1], "rejected"));
            assert_true(str_eq_cstr(r.cells[3], "广内大街公厕"));
        }
        k++;
    }
    assert_int_equal(k, 16);
    table_close(t);

    buf_reset(&out);
    const char *net = make(srv, "make_network.py", "cli-network.xlsx");
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "reconcile", net, "-o", result, "--within", "300",
                                NULL), 0);
    assert_true(has(&out, "matched=4 conflict=1 only_survey=1 only_online=3"));
    static const struct { const char *id, *cls; } want[] = {
        { CAM("001"), "matched" }, { CAM("002"), "matched" }, { CAM("005"), "matched" },
        { CAM("007"), "matched" }, { CAM("003"), "conflict" }, { "11010200001320000010", "only_survey" },
        { CAM("008"), "only_online" }, { CAM("004"), "only_online" }, { CAM("006"), "only_online" },
    };
    size_t seen = 0;
    k = 0;
    assert_int_equal(table_open_path(result, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (k++ == 0) {
            assert_true(str_eq_cstr(r.cells[0], "国标编码"));
            assert_true(str_eq_cstr(r.cells[1], "核对结果"));
            continue;
        }
        for (size_t i = 0; i < sizeof want / sizeof *want; i++)
            if (str_eq_cstr(r.cells[0], want[i].id)) {
                assert_true(str_eq_cstr(r.cells[1], want[i].cls));
                seen++;
            }
    }
    assert_int_equal(seen, 9);
    assert_int_equal(k, 10);
    table_close(t);

    /* bind the run from the shell, then undo the batch */
    const char *id = strstr(out.data, "reconciliation ");
    char run[24];
    assert_non_null(id);
    snprintf(run, sizeof run, "%lld", atoll(id + strlen("reconciliation ")));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "bind", run, NULL), 0);
    assert_true(has(&out, "bound=3"));
    const char *b = strstr(out.data, "batch=");
    assert_non_null(b);
    char batch[24];
    snprintf(batch, sizeof batch, "%lld", atoll(b + 6));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "undo", batch, NULL), 0);
    assert_true(has(&out, "removed=3"));
    buf_release(&out);
}

static long
upload(struct server *srv, const char *bearer, const char *path, const char *route, const char *extra_name,
       const char *extra_value, struct resp *r)
{
    static const char *const headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct client c;
    struct buf body = BUF_INIT, file = BUF_INIT;
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, n);
    fclose(f);
    if (extra_name)
        buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", BOUNDARY,
                   extra_name, extra_value);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xlsx\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n", BOUNDARY);
    buf_add(&body, file.data, file.len);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, bearer);
    long s = client_send(&c, "POST", route, body.data, body.len, headers, 0, r);
    client_release(&c);
    buf_release(&body);
    buf_release(&file);
    return s;
}

static void
test_http(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT;
    struct client c;
    char path[128];

    assert_int_equal(upload(srv, tok_rw.data, make(srv, "make_survey.py", "http-survey.xlsx"),
                            "/api/v1/toilets/import", "crs", "gcj02", &r), 201);
    assert_int_equal(resp_int(&r, "rows"), 15);
    assert_int_equal(resp_int(&r, "total"), 15);
    int64_t import_id = resp_int(&r, "id");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "items"), 7),
                                                          "status")), "rejected");
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, tok_rw.data);
    snprintf(path, sizeof path, "/api/v1/toilets/imports/%lld?status=rejected", (long long)import_id);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), 4);
    snprintf(path, sizeof path, "/api/v1/toilets/imports/%lld/report.xlsx", (long long)import_id);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    assert_true(r.body.len > 100 && memcmp(r.body.data, "PK", 2) == 0);

    const char *net = make(srv, "make_network.py", "http-network.xlsx");
    assert_int_equal(upload(srv, tok_ro.data, net, "/api/v1/cameras/reconcile", NULL, NULL, &r), 403);
    /* bad form values and a file that is not a device list */
    assert_int_equal(upload(srv, tok_rw.data, net, "/api/v1/cameras/reconcile", "within", "0", &r), 400);
    assert_int_equal(upload(srv, tok_rw.data, net, "/api/v1/cameras/reconcile", "within", "300'; DROP", &r), 400);
    assert_int_equal(upload(srv, tok_rw.data, net, "/api/v1/toilets/import", "crs", "mars", &r), 400);
    assert_int_equal(upload(srv, tok_rw.data, net, "/api/v1/toilets/import", NULL, NULL, &r), 400);
    assert_string_equal(resp_str(&r, "error.reason"), "import_no_toilet_header"); /* issue 14 */
    assert_int_equal(upload(srv, tok_rw.data, net, "/api/v1/cameras/reconcile", "within", "300", &r), 201);
    assert_int_equal(resp_int(&r, "counts.matched"), 4);
    assert_int_equal(resp_int(&r, "counts.only_online"), 3);
    int64_t run = resp_int(&r, "id");
    snprintf(path, sizeof path, "/api/v1/reconciliations/%lld?class=conflict", (long long)run);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.gb_id"), CAM("003"));
    snprintf(path, sizeof path, "/api/v1/reconciliations/%lld/export.xlsx", (long long)run);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    snprintf(path, sizeof path, "/api/v1/reconciliations/%lld/bind", (long long)run);
    assert_int_equal(client_call(&c, "POST", path, "{}", &r), 200);
    assert_int_equal(resp_int(&r, "bound"), 3);
    int64_t batch = resp_int(&r, "binding_batch");
    assert_int_equal(client_call(&c, "POST", path, "{}", &r), 409);
    snprintf(path, sizeof path, "/api/v1/binding-batches/%lld/undo", (long long)batch);
    assert_int_equal(client_call(&c, "POST", path, "{}", &r), 200);
    assert_int_equal(resp_int(&r, "removed"), 3);
    assert_int_equal(client_call(&c, "POST", path, "{}", &r), 409);
    assert_int_equal(client_call(&c, "GET", "/api/v1/reconciliations/999999", NULL, &r), 404);
    client_release(&c);
    resp_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_http),
    };
    int failed = server_run("toilets", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release(&tok_rw);
    buf_release(&tok_ro);
    return failed;
}
