/* tests/e2e/e2e_exports.c - format=xlsx on the list and statistic routes and the masked
 * samples list (issue 10 "Exports", R1.1-R1.3, R4.3; S1, S6) over HTTP against the real
 * server, on SQLite and PostgreSQL.
 *
 * A feed token pushes two sites (subdistricts A and B), samples and check-ins in both, and a
 * round (plan XP-1) of A: its progress and the corrections list export too (issue 14).
 * For every exported route, as the district and as subdistrict A's officer: the .xlsx has
 * the right content type, a title row, Chinese headers, and as many data rows as the JSON
 * list's total for the same query (read back with openpyxl, tests/support/xlsx_peer.py);
 * A's exports never hold B's rows; the samples list and its export are masked unless
 * revealed with pii.reveal and a reason; each export writes an audit entry.
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
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define ID_A "11010519850612107X"
#define ID_B "110108197511114565"
#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static struct buf feed_token = BUF_INIT;

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "xdist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "xoff_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "xaud", "auditor", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "xadm", "sysadmin", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "x-feed", "sites.write,samples.write,checkins.write,plans.write", &feed_token, NULL))
        return -1;
    return 0;
}

static void
post(struct client *feed, const char *path, const char *json, int64_t accepted)
{
    struct resp r = RESP_INIT;
    client_call(feed, "POST", path, json, &r);
    assert_resp(&r, 200, NULL);
    if (resp_int(&r, "accepted") != accepted)
        fail_msg("%s: %s", path, r.body.data);
    resp_release(&r);
}

/* xlsx_rows GETs path as c, checks the content type and returns every row of the file as
 * a JSON array of arrays (read by openpyxl). */
static json_t *
xlsx_rows(struct client *c, const char *path)
{
    struct resp r = RESP_INIT;
    char file[] = "/tmp/e2e-exports-XXXXXX.xlsx", ct[128], cmd[1024], line[65536];
    json_t *rows = json_array();
    int fd;

    client_call(c, "GET", path, NULL, &r);
    if (r.status != 200)
        fail_msg("%s: %ld %s", path, r.status, r.body.data);
    assert_non_null(resp_header(&r, "Content-Type", 0, ct, sizeof ct));
    assert_string_equal(ct, XLSX_TYPE);
    fd = mkstemps(file, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, r.body.data, r.body.len), (ssize_t)r.body.len);
    close(fd);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/support/xlsx_peer.py' last '%s'", getenv("JIAYUAN_SRC"),
             file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p)); /* "sheets [...]" */
    while (fgets(line, sizeof line, p)) {
        json_t *row = json_loads(line, 0, NULL);
        assert_non_null(row);
        json_array_append_new(rows, row);
    }
    assert_int_equal(pclose(p), 0);
    unlink(file);
    resp_release(&r);
    return rows;
}

/* rows_hold: does any cell of rows contain needle? */
static bool
rows_hold(json_t *rows, const char *needle)
{
    size_t i, k;
    json_t *row, *cell;
    json_array_foreach (rows, i, row)
        json_array_foreach (row, k, cell)
            if (json_is_string(cell) && strstr(json_string_value(cell), needle))
                return true;
    return false;
}

/* check_export: the JSON total of path (or the length of "rows" for a statistic) equals the
 * data rows of path&format=xlsx; row 1 is the title, row 2 Chinese headers. Returns the
 * rows (caller decrefs). */
static json_t *
check_export(struct client *c, const char *path, const char *first_head)
{
    struct resp r = RESP_INIT;
    char xpath[512];
    int64_t total;

    client_call(c, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    total = resp_get(&r, "total") ? resp_int(&r, "total") : (int64_t)json_array_size(resp_get(&r, "rows"));
    snprintf(xpath, sizeof xpath, "%s%sformat=xlsx", path, strchr(path, '?') ? "&" : "?");
    json_t *rows = xlsx_rows(c, xpath);
    if ((int64_t)json_array_size(rows) != total + 2)
        fail_msg("%s: %zu rows in the file for a total of %lld", path, json_array_size(rows), (long long)total);
    json_t *title = json_array_get(json_array_get(rows, 0), 0);
    assert_true(json_is_string(title) && strstr(json_string_value(title), "导出时间"));
    assert_string_equal(json_string_value(json_array_get(json_array_get(rows, 1), 0)), first_head);
    resp_release(&r);
    return rows;
}

static int64_t
audit_count(struct server *srv, const char *action)
{
    static const char sql[] = "SELECT count(*) FROM audit_log WHERE action = ?1";
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t n = -1;
    if (server_db_open(srv, &db) == 0 && db_prepare(db, sql, &st) == 0 && db_bind_text(st, 1, action, strlen(action)) == 0 &&
        db_step(st, &row) == 0 && row)
        n = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return n;
}

static void
test_exports(void **state)
{
    struct server *srv = *state;
    struct client feed, dist, off;
    struct resp r = RESP_INIT;
    char body[4096];
    int64_t now = time_now_ms();
    json_t *rows;

    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    post(&feed, "/api/v1/sites/batch",
         "[{\"source\":\"x\",\"external_id\":\"sa\",\"code\":\"XA-1\",\"name\":\"甲点\",\"type\":\"fixed\","
         "\"subdistrict\":\"" SUB_A "\",\"lon\":116.36,\"lat\":39.91},"
         "{\"source\":\"x\",\"external_id\":\"sb\",\"code\":\"XB-1\",\"name\":\"乙点\",\"type\":\"fixed\","
         "\"subdistrict\":\"" SUB_B "\",\"lon\":116.37,\"lat\":39.92}]",
         2);
    snprintf(body, sizeof body,
             "[{\"source\":\"x\",\"external_id\":\"1\",\"id_number\":\"" ID_A "\",\"name\":\"张三丰\","
             "\"tube_code\":\"XT-1\",\"site_code\":\"XA-1\",\"collected_at\":%lld,\"collector\":\"李采样\"},"
             "{\"source\":\"x\",\"external_id\":\"2\",\"id_number\":\"" ID_A "\",\"name\":\"张三丰\","
             "\"tube_code\":\"XT-2\",\"site_code\":\"XA-1\",\"collected_at\":%lld},"
             "{\"source\":\"x\",\"external_id\":\"3\",\"id_number\":\"" ID_B "\",\"name\":\"王五\","
             "\"tube_code\":\"XT-3\",\"site_code\":\"XA-1\",\"collected_at\":%lld},"
             "{\"source\":\"x\",\"external_id\":\"4\",\"id_number\":\"" ID_B "\",\"name\":\"王五\","
             "\"tube_code\":\"XT-4\",\"site_code\":\"XB-1\",\"collected_at\":%lld}]",
             (long long)(now - 3600000), (long long)(now - 7200000), (long long)(now - 60000), (long long)now - 1000);
    post(&feed, "/api/v1/samples/batch", body, 4);
    snprintf(body, sizeof body,
             "[{\"source\":\"x\",\"external_id\":\"c1\",\"site_code\":\"XA-1\",\"kind\":\"open\",\"at\":%lld},"
             "{\"source\":\"x\",\"external_id\":\"c2\",\"site_code\":\"XB-1\",\"kind\":\"open\",\"at\":%lld}]",
             (long long)(now - 9000000), (long long)(now - 9000000));
    post(&feed, "/api/v1/checkins/batch", body, 2);
    snprintf(body, sizeof body,
             "[{\"source\":\"x\",\"external_id\":\"p1\",\"plan_no\":\"XP-1\",\"name\":\"第1轮\","
             "\"starts_at\":%lld,\"ends_at\":%lld,\"scope\":[\"" SUB_A "\"]}]",
             (long long)(now - 7200000), (long long)(now + 86400000));
    post(&feed, "/api/v1/plans/batch", body, 1);

    assert_int_equal(client_sign_in(&dist, srv, "xdist"), 200);
    assert_int_equal(client_sign_in(&off, srv, "xoff_a"), 200);

    /* The samples list: masked, scoped, paged. */
    client_call(&off, "GET", "/api/v1/samples?limit=2", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 3);
    assert_int_equal(json_array_size(resp_get(&r, "items")), 2);
    assert_string_equal(resp_str(&r, "items.0.id_number"), "110105********107X");
    assert_string_equal(resp_str(&r, "items.0.name"), "张**");
    assert_string_equal(resp_str(&r, "items.0.collector"), "李**");
    assert_string_equal(resp_str(&r, "items.0.site_code"), "XA-1");
    assert_true(json_is_string(resp_get(&r, "next")));
    client_call(&off, "GET", "/api/v1/samples?subdistrict=" SUB_B, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&dist, "GET", "/api/v1/samples?site=XB-1", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.tube_code"), "XT-4");
    client_call(&dist, "GET", "/api/v1/samples?format=csv", NULL, &r);
    assert_resp(&r, 400, "invalid");

    /* Every exported route: total == data rows, title, Chinese headers; A never sees B. */
    static const struct {
        const char *path, *head;
    } routes[] = {
        { "/api/v1/samples", "编号" },          { "/api/v1/samples?site=XA-1", "编号" },
        { "/api/v1/sites", "编号" },            { "/api/v1/checkins", "编号" },
        { "/api/v1/actuals", "编号" },          { "/api/v1/plans", "编号" },
        { "/api/v1/planned", "编号" },          { "/api/v1/transports", "编号" },
        { "/api/v1/results", "编号" },          { "/api/v1/batches", "编号" },
        { "/api/v1/stats/scans_by_site", "采样点编码" }, { "/api/v1/stats/scans_by_day", "日期" },
        { "/api/v1/stats/scans_by_subdistrict", "街道编码" },
        { "/api/v1/corrections", "编号" },      { "/api/v1/plans/XP-1/progress?by=subdistrict", "街道编码" },
        { "/api/v1/plans/XP-1/progress?by=community", "街道编码" },
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        json_decref(check_export(&dist, routes[i].path, routes[i].head));
        rows = check_export(&off, routes[i].path, routes[i].head);
        assert_false(rows_hold(rows, SUB_B));
        assert_false(rows_hold(rows, "XB-1"));
        assert_false(rows_hold(rows, ID_A));
        json_decref(rows);
    }
    rows = check_export(&dist, "/api/v1/samples", "编号");
    assert_int_equal(json_array_size(rows), 4 + 2);
    assert_string_equal(json_string_value(json_array_get(json_array_get(rows, 1), 1)), "身份证号");
    assert_true(rows_hold(rows, "110105********107X"));
    assert_false(rows_hold(rows, ID_A));
    assert_true(rows_hold(rows, "个人信息已脱敏"));
    json_decref(rows);
    assert_true(audit_count(srv, "export.samples") >= 4);
    assert_true(audit_count(srv, "export.stats.scans_by_site") >= 2);

    /* Reveal: pii.reveal and a reason, audited; a subdistrict officer has no pii.reveal. */
    client_call(&off, "GET", "/api/v1/samples?format=xlsx&reveal=1&reason=check", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&dist, "GET", "/api/v1/samples?format=xlsx&reveal=1", NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&dist, "GET", "/api/v1/sites?format=xlsx&reveal=1&reason=check", NULL, &r);
    assert_resp(&r, 400, "invalid");
    rows = xlsx_rows(&dist, "/api/v1/samples?format=xlsx&reveal=1&reason=%E6%A0%B8%E6%9F%A5");
    assert_true(rows_hold(rows, ID_A));
    assert_true(rows_hold(rows, "张三丰"));
    json_decref(rows);
    assert_int_equal(audit_count(srv, "export.samples") >= 5, 1);

    /* The places and cameras lists delegate to their export.xlsx. */
    json_decref(xlsx_rows(&off, "/api/v1/places?format=xlsx"));
    json_decref(xlsx_rows(&off, "/api/v1/cameras?format=xlsx"));

    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&feed);
    client_release(&dist);
    client_release(&off);
}

/* The administrators' lists: audit (the auditor), users and tokens (the system admin). */
static void
test_admin_exports(void **state)
{
    struct server *srv = *state;
    struct client aud, adm;
    json_t *rows;

    client_init(&aud, srv);
    client_init(&adm, srv);
    assert_int_equal(server_enrol(srv, &aud, "xaud", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &adm, "xadm", NULL, 0), 0);
    json_decref(check_export(&adm, "/api/v1/users", "编号"));
    rows = check_export(&adm, "/api/v1/tokens", "编号");
    assert_true(rows_hold(rows, "x-feed"));
    assert_false(rows_hold(rows, "jy_"));
    json_decref(rows);
    rows = check_export(&aud, "/api/v1/audit?action=export.users", "编号");
    assert_true(json_array_size(rows) >= 3);
    json_decref(rows);
    assert_true(audit_count(srv, "export.audit") >= 1);
    assert_true(audit_count(srv, "export.tokens") >= 1);
    server_assert_clean_errors(srv);
    client_release(&aud);
    client_release(&adm);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exports),
        cmocka_unit_test(test_admin_exports),
    };
    int rc = server_run("exports", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feed_token);
    return rc;
}
