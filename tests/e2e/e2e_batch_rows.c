/* tests/e2e/e2e_batch_rows.c - the batch detail's result table and the delete rule over
 * HTTP (issue 14 "Batch results", "Roles"; R4.3-R4.5, S1), on the real `jiayuan serve`,
 * SQLite and PostgreSQL.
 *
 * GET /api/v1/batches/{id}/rows pages a done batch's results in row order, filtered by
 * status, with the row number the user sees, the ID masked, the status code and its
 * Chinese word, and no name or phone; another subdistrict gets 404, an unknown status 400.
 * DELETE is the uploader's or a district account's: another officer of the same
 * subdistrict sees can_delete false and gets 403 (reason batch_delete_owner, Chinese
 * message), the district true and deletes it. GET /api/v1/batches/template is a real .xlsx
 * (read back by io/table.h) whose header row 身份证号 / 姓名 / 手机号 the upload recognises.
 * GET /api/v1/batches filters (issue 14 filter bar): a district account narrows by
 * subdistrict, uploader, status and a created_at range [from, to) with the paging and total
 * consistent; a subdistrict account asking for another subdistrict keeps its own; an
 * unknown status is 400 (reason batch_status_choice, Chinese message).
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

#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "io/table.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define BOUNDARY "----jyE2eRowsBoundary0gW"
#define NOK 30

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "officer_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "officer_a2", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "officer_b", "subdistrict", SUB_B, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

/* resident k: a valid ID born on day k+1 of January 1980 */
static void
resident_id(size_t k, char out[19])
{
    snprintf(out, 19, "1101021980%02u%02zu%03zu", 1u, k % 28 + 1, 100 + k);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* NOK residents, a wrong check digit, an empty ID, "not-an-id-text" */
static void
make_csv(struct buf *b)
{
    char id[19];
    buf_adds(b, "序号,姓名,身份证号码,联系电话\r\n");
    for (size_t k = 0; k < NOK; k++) {
        resident_id(k, id);
        buf_printf(b, "%zu,居民%zu,%s,1390000%04zu\r\n", k + 1, k, id, k);
    }
    resident_id(0, id);
    id[17] = id[17] == '1' ? '2' : '1';
    if (idno_check_digit(id) == id[17])
        id[17] = id[17] == '3' ? '4' : '3';
    buf_printf(b, "%d,错号,%s,\r\n", NOK + 1, id);
    buf_printf(b, "%d,无号,,\r\n", NOK + 2);
}

static const char *const form_headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };

static int64_t
upload_done(struct client *c, const char *name)
{
    struct buf csv = BUF_INIT, body = BUF_INIT;
    struct resp r = RESP_INIT;
    char path[64];
    make_csv(&csv);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                      "Content-Type: text/csv\r\n\r\n", BOUNDARY, name);
    buf_add(&body, csv.data, csv.len);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    assert_int_equal(client_send(c, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, &r), 201);
    int64_t id = resp_int(&r, "id");
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    for (int i = 0; i < 1200; i++) {
        assert_int_equal(client_call(c, "GET", path, NULL, &r), 200);
        if (strcmp(resp_str(&r, "status"), "done") == 0)
            break;
        usleep(50000);
    }
    assert_string_equal(resp_str(&r, "status"), "done");
    resp_release(&r);
    buf_release(&csv);
    buf_release(&body);
    return id;
}

static void
test_rows_paged_filtered_masked(void **state)
{
    struct server *srv = *state;
    struct client a, b;
    struct resp r = RESP_INIT;
    char path[160], id0[19], masked[19];
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    int64_t id = upload_done(&a, "rows.csv");

    /* all rows, pages of 7 in row order, no personal data */
    int64_t last = 0, seen = 0;
    char next[32] = "";
    for (int page = 0; page < 20; page++) {
        snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?limit=7%s%s", (long long)id, next[0] ? "&next=" : "",
                 next);
        assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
        assert_int_equal(resp_int(&r, "total"), NOK + 2);
        json_t *items = resp_get(&r, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *it = json_array_get(items, i);
            int64_t row = json_integer_value(json_object_get(it, "row"));
            assert_true(row > last);
            last = row;
            seen++;
            assert_null(json_object_get(it, "name"));
            assert_null(json_object_get(it, "phone"));
        }
        const char *nx = resp_str(&r, "next");
        if (!nx)
            break;
        snprintf(next, sizeof next, "%s", nx);
    }
    assert_int_equal(seen, NOK + 2);
    assert_null(strstr(r.body.data, "居民"));
    assert_null(strstr(r.body.data, "139000"));

    /* the first resident: row 2 (after the header), masked like idno_mask */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?status=ok&limit=3", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), NOK);
    assert_int_equal(json_array_size(resp_get(&r, "items")), 3);
    assert_int_equal(resp_int(&r, "items.0.row"), 2);
    assert_string_equal(resp_str(&r, "items.0.status"), "ok");
    assert_string_equal(resp_str(&r, "items.0.status_text"), "正常");
    resident_id(0, id0);
    idno_mask(id0, masked);
    assert_string_equal(resp_str(&r, "items.0.id_masked"), masked);
    assert_null(strstr(r.body.data, id0));
    assert_non_null(resp_str(&r, "next"));

    /* one status */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?status=bad_checksum", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.status_text"), "校验位错误");
    assert_int_equal(resp_int(&r, "items.0.row"), NOK + 2);
    const char *bad = resp_str(&r, "items.0.id_masked");
    assert_int_equal(strlen(bad), 18);
    assert_non_null(strstr(bad, "*****"));
    assert_null(resp_str(&r, "next"));
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?status=empty", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_string_equal(resp_str(&r, "items.0.id_masked"), "");
    assert_string_equal(resp_str(&r, "items.0.status_text"), "空");

    /* wrong input, other subdistrict */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?status=bogus", (long long)id);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_row_status");
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?limit=0", (long long)id);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 400, "invalid");
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows?next=x", (long long)id);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 400, "invalid");
    assert_int_equal(client_sign_in(&b, srv, "officer_b"), 200);
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rows", (long long)id);
    client_call(&b, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    resp_release(&r);
    client_release(&a);
    client_release(&b);
}

static void
test_delete_uploader_or_district(void **state)
{
    struct server *srv = *state;
    struct client a, a2, d;
    struct resp r = RESP_INIT;
    char path[96];
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    assert_int_equal(client_sign_in(&a2, srv, "officer_a2"), 200);
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    int64_t id = upload_done(&a, "del.csv");
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);

    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_true(json_is_true(resp_get(&r, "can_delete")));
    assert_int_equal(client_call(&a2, "GET", path, NULL, &r), 200);
    assert_true(json_is_false(resp_get(&r, "can_delete")));
    assert_int_equal(client_call(&a2, "GET", "/api/v1/batches?limit=100", NULL, &r), 200);
    assert_true(json_is_false(resp_get(&r, "items.0.can_delete")));
    assert_int_equal(client_call(&d, "GET", path, NULL, &r), 200);
    assert_true(json_is_true(resp_get(&r, "can_delete")));

    client_call(&a2, "DELETE", path, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_delete_owner");
    assert_string_equal(resp_str(&r, "error.message"), "只有上传人或区级账号可以删除该批次");
    assert_int_equal(client_call(&a2, "GET", path, NULL, &r), 200); /* still there */
    assert_int_equal(client_call(&d, "DELETE", path, NULL, &r), 204);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");

    /* the uploader deletes their own */
    id = upload_done(&a, "own.csv");
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    assert_int_equal(client_call(&a, "DELETE", path, NULL, &r), 204);
    resp_release(&r);
    client_release(&a);
    client_release(&a2);
    client_release(&d);
}

/* GET url as c: the reply's total */
static int64_t
list_total(struct client *c, const char *url, struct resp *r)
{
    assert_int_equal(client_call(c, "GET", url, NULL, r), 200);
    return resp_int(r, "total");
}

static void
test_list_filters(void **state)
{
    struct server *srv = *state;
    struct client a, b, d;
    struct resp r = RESP_INIT;
    char url[192];
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    assert_int_equal(client_sign_in(&b, srv, "officer_b"), 200);
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    int64_t ida = upload_done(&a, "filter-a.csv");
    int64_t idb = upload_done(&b, "filter-b.csv");
    snprintf(url, sizeof url, "/api/v1/batches/%lld", (long long)idb);
    assert_int_equal(client_call(&b, "GET", url, NULL, &r), 200);
    int64_t created_b = resp_int(&r, "created_at");
    assert_true(created_b > 0);

    /* the district: by subdistrict, uploader, status */
    int64_t all = list_total(&d, "/api/v1/batches?limit=100", &r);
    assert_true(all >= 2);
    assert_int_equal(list_total(&d, "/api/v1/batches?subdistrict=" SUB_B, &r), 1);
    assert_int_equal(resp_int(&r, "items.0.id"), idb);
    int64_t in_a = list_total(&d, "/api/v1/batches?subdistrict=" SUB_A "&limit=100", &r);
    assert_int_equal(in_a, all - 1);
    assert_int_equal(list_total(&d, "/api/v1/batches?uploader=officer_b", &r), 1);
    assert_string_equal(resp_str(&r, "items.0.owner"), "officer_b");
    assert_int_equal(list_total(&d, "/api/v1/batches?uploader=officer_b&status=done&subdistrict=" SUB_B, &r), 1);
    assert_int_equal(list_total(&d, "/api/v1/batches?uploader=officer_b&status=failed", &r), 0);
    assert_int_equal(list_total(&d, "/api/v1/batches?uploader=nobody", &r), 0);
    /* the date range: [from, to) */
    snprintf(url, sizeof url, "/api/v1/batches?uploader=officer_b&from=%lld&to=%lld", (long long)created_b,
             (long long)created_b + 1);
    assert_int_equal(list_total(&d, url, &r), 1);
    snprintf(url, sizeof url, "/api/v1/batches?uploader=officer_b&to=%lld", (long long)created_b);
    assert_int_equal(list_total(&d, url, &r), 0);
    snprintf(url, sizeof url, "/api/v1/batches?uploader=officer_b&from=%lld", (long long)created_b + 1);
    assert_int_equal(list_total(&d, url, &r), 0);
    /* paging keeps the filter: one row a page, every page of SUB_A, then the end */
    int64_t seen = 0;
    char next[64] = "";
    for (;;) {
        snprintf(url, sizeof url, "/api/v1/batches?subdistrict=" SUB_A "&limit=1%s%s", next[0] ? "&next=" : "", next);
        assert_int_equal(list_total(&d, url, &r), in_a);
        assert_string_equal(resp_str(&r, "items.0.subdistrict"), SUB_A);
        seen++;
        const char *nx = resp_str(&r, "next");
        if (!nx)
            break;
        snprintf(next, sizeof next, "%s", nx);
        assert_true(seen <= in_a);
    }
    assert_int_equal(seen, in_a);

    /* a subdistrict account keeps its own subdistrict whatever it asks */
    assert_int_equal(list_total(&a, "/api/v1/batches?uploader=officer_b", &r), 0);
    assert_int_equal(list_total(&a, "/api/v1/batches?subdistrict=" SUB_B "&limit=100", &r), in_a);
    assert_string_equal(resp_str(&r, "items.0.subdistrict"), SUB_A);
    assert_int_equal(list_total(&a, "/api/v1/batches?uploader=officer_a&status=done", &r) >= 1, 1);
    (void)ida;

    client_call(&d, "GET", "/api/v1/batches?status=nonsense", NULL, &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_status_choice");
    assert_string_equal(resp_str(&r, "error.message"), "状态应为 queued、running、done 或 failed 之一");
    resp_release(&r);
    client_release(&a);
    client_release(&b);
    client_release(&d);
}

static void
test_template(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT, body = BUF_INIT;
    char disp[512];
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    assert_int_equal(client_call(&a, "GET", "/api/v1/batches/template", NULL, &r), 200);
    assert_non_null(resp_header(&r, "Content-Disposition", 0, disp, sizeof disp));
    assert_non_null(strstr(disp, "filename*=UTF-8''%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx")); /* 导入模板 */
    assert_int_equal(table_open_mem(r.body.data, r.body.len, &t, &why), 0);
    assert_int_equal(table_format(t), TABLE_XLSX);
    assert_int_equal(table_next_row(t, &row), 0);
    assert_int_equal(row.ncells, 3);
    assert_true(str_eq(row.cells[0], str_of("身份证号")));
    assert_true(str_eq(row.cells[1], str_of("姓名")));
    assert_true(str_eq(row.cells[2], str_of("手机号")));
    table_close(t);
    /* the template's header, filled in, is read by its names */
    char id[19];
    resident_id(5, id);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.csv\"\r\n"
                      "Content-Type: text/csv\r\n\r\n身份证号,姓名,手机号\r\n%s,张三,13900000000\r\n--%s--\r\n",
               BOUNDARY, id, BOUNDARY);
    assert_int_equal(client_send(&a, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, &r), 201);
    assert_int_equal(resp_int(&r, "columns.id"), 0);
    assert_int_equal(resp_int(&r, "columns.name"), 1);
    assert_int_equal(resp_int(&r, "columns.phone"), 2);
    resp_release(&r);
    buf_release(&why);
    buf_release(&body);
    client_release(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_paged_filtered_masked),
        cmocka_unit_test(test_delete_uploader_or_district),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_list_filters),
    };
    return server_run("batch_rows", tests, sizeof tests / sizeof tests[0], prepare);
}
