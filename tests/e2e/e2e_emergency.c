/* tests/e2e/e2e_emergency.c - the emergency bureau's statistics over HTTP (issue 11: R2.8,
 * R2.9) on the real `jiayuan serve`, on SQLite and PostgreSQL.
 *
 * A feed token pushes a round with planned and actual counts; the bureau's token posts its
 * figures by subdistrict and by industry (a bad row: 400 naming the row, nothing stored; a
 * re-send: unchanged). GET …/by-subdistrict?plan= and /by-industry?plan= answer ours in the
 * bureau's fields with theirs beside them and the difference flagged, also as .xlsx. A
 * subdistrict officer sees only its own row and may not post (403); no plan: 400; an
 * unknown plan: 404. Every error is the clean envelope. The bureau's sheet (openpyxl) uploaded
 * to POST …/emergency/import answers a row report and stores like the CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "fixtures/pyfixture.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define HOUR 3600000LL
#define BASE "/api/v1/exchange/emergency/"

static struct buf feed_token = BUF_INIT;

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "feed", "plans.write,actuals.write", &feed_token, NULL))
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
post(struct client *c, const char *path, json_t *body, long status, struct resp *r)
{
    char *text = json_dumps(body, JSON_COMPACT);
    resp_release(r);
    client_call(c, "POST", path, text, r);
    if (r->status != status)
        fail_msg("%s: %ld %s", path, r->status, r->body.data);
    xfree(text);
    json_decref(body);
}

static void
test_feed_and_compare(void **state)
{
    struct server *srv = *state;
    struct client feed, d, a;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms();

    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    post(&feed, "/api/v1/plans/batch",
         json_pack("[{s:s, s:s, s:s, s:s, s:I, s:I}]", "source", "gov", "external_id", "p-e", "plan_no", "P-E", "name",
                   "第3轮", "starts_at", (json_int_t)(now - 2 * HOUR), "ends_at", (json_int_t)(now + 24 * HOUR)),
         200, &r);
    post(&feed, "/api/v1/planned/batch",
         json_pack("[{s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:s, s:i}]", "source",
                   "gov", "external_id", "q1", "plan_no", "P-E", "subdistrict", SUB_A, "count", 300, /**/
                   "source", "gov", "external_id", "q2", "plan_no", "P-E", "subdistrict", SUB_A, "industry", "A",
                   "count", 100, /**/
                   "source", "gov", "external_id", "q3", "plan_no", "P-E", "subdistrict", SUB_B, "count", 200),
         200, &r);
    post(&feed, "/api/v1/actuals/batch",
         json_pack("[{s:s, s:s, s:s, s:s, s:i, s:I}, {s:s, s:s, s:s, s:s, s:s, s:i, s:I}]", "source", "sub",
                   "external_id", "a1", "plan_no", "P-E", "subdistrict", SUB_A, "count", 250, "reported_at",
                   (json_int_t)(now - HOUR), /**/
                   "source", "sub", "external_id", "a2", "plan_no", "P-E", "subdistrict", SUB_A, "industry", "A",
                   "count", 90, "reported_at", (json_int_t)(now - HOUR)),
         200, &r);

    /* the bureau: a bad second row stores nothing */
    post(&feed, BASE "by-subdistrict",
         json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:s}]}", "source", "yjj", "rows", "plan_no", "P-E",
                   "name", "西长安街", "planned", 400, "actual", 340, "plan_no", "P-E", "name", "新街口", "planned",
                   200, "actual", "many"),
         400, &r);
    assert_non_null(strstr(r.body.data, "第 2 行")); /* error.message in Chinese (no Accept-Language) */
    for (int i = 0; i < 2; i++) {
        post(&feed, BASE "by-subdistrict",
             json_pack("{s:s, s:[{s:s, s:s, s:s, s:i, s:i, s:s, s:{s:i}}, {s:s, s:s, s:i, s:i}]}", "source", "yjj",
                       "rows", "plan_no", "P-E", "name", "西长安街", "plan_name", "第3轮", "planned", 400, "actual",
                       340, "received_time", "2026-12-07 10:00:00", "industry_counts", "农、林、牧、渔业", 90, /**/
                       "plan_no", "P-E", "name", "新街口", "planned", 200, "actual", 10),
             200, &r);
        assert_int_equal(resp_int(&r, i ? "unchanged" : "inserted"), 2);
    }
    post(&feed, BASE "by-industry",
         json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "source", "yjj", "rows", "plan_no", "P-E", "name",
                   "农、林、牧、渔业", "planned", 100, "actual", 80),
         200, &r);

    login(&d, srv, "dist");
    resp_release(&r);
    client_call(&d, "GET", BASE "by-subdistrict?plan=P-E", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "plan_name"), "第3轮");
    assert_int_equal(json_array_size(resp_get(&r, "rows")), 2);
    assert_string_equal(resp_str(&r, "rows.0.code"), SUB_A);
    assert_int_equal(resp_int(&r, "rows.0.planned"), 400);
    assert_int_equal(resp_int(&r, "rows.0.actual"), 340);
    assert_int_equal(resp_int(&r, "rows.0.difference"), 60);
    assert_int_equal(resp_int(&r, "rows.0.theirs.actual"), 340);
    assert_true(json_is_false(resp_get(&r, "rows.0.mismatch")));
    assert_string_equal(resp_str(&r, "rows.1.code"), SUB_B);
    assert_int_equal(resp_int(&r, "rows.1.delta.actual"), -10);
    assert_true(json_is_true(resp_get(&r, "rows.1.mismatch")));
    resp_release(&r);
    client_call(&d, "GET", BASE "by-industry?plan=P-E", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "rows.0.code"), "A");
    assert_int_equal(resp_int(&r, "rows.0.actual"), 90);
    assert_int_equal(resp_int(&r, "rows.0.delta.actual"), 10);
    resp_release(&r);
    client_call(&d, "GET", BASE "by-subdistrict?plan=P-E&format=xlsx", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body.len > 100 && !memcmp(r.body.data, "PK", 2));
    resp_release(&r);
    client_call(&d, "GET", BASE "by-subdistrict", NULL, &r);
    assert_resp(&r, 400, NULL);
    resp_release(&r);
    client_call(&d, "GET", BASE "by-industry?plan=NOPE", NULL, &r);
    assert_resp(&r, 404, NULL);

    login(&a, srv, "off_a");
    resp_release(&r);
    client_call(&a, "GET", BASE "by-subdistrict?plan=P-E", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "rows")), 1);
    assert_string_equal(resp_str(&r, "rows.0.code"), SUB_A);
    post(&a, BASE "by-subdistrict",
         json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "source", "x", "rows", "plan_no", "P-E", "name", "新街口",
                   "planned", 1, "actual", 1),
         403, &r);
    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&a);
    client_release(&d);
    client_release(&feed);
}

/* history import: a CSV upload with a row report; the same file again changes nothing;
 * the imported round shows in the trend statistic; a subdistrict officer is refused. */
static long
upload(struct client *c, const char *csv, struct resp *r)
{
    static const char *const hdr[] = { "Content-Type: multipart/form-data; boundary=EMB0UND", NULL };
    struct buf b = BUF_INIT;
    buf_printf(&b, "--EMB0UND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"h.csv\"\r\n"
                   "Content-Type: text/csv\r\n\r\n%s\r\n--EMB0UND--\r\n", csv);
    resp_release(r);
    long st = client_send(c, "POST", "/api/v1/exchange/history/import", b.data, b.len, hdr, 0, r);
    buf_release(&b);
    return st;
}

static void
test_history_upload(void **state)
{
    struct server *srv = *state;
    struct client d, a;
    struct resp r = RESP_INIT;
    static const char csv[] = "计划编号,轮次名称,检测日期,街道,应检人数,实检人数\n"
                              "HIS-1,往期第1轮,2025-04-01,西长安街,900,880\n"
                              "HIS-1,往期第1轮,2025-04-01,新街口街道,700,\"650\"\n"
                              "HIS-1,往期第1轮,2025-04-01,不存在,1,1\n";
    login(&d, srv, "dist");
    upload(&d, csv, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "plans_created"), 1);
    assert_int_equal(resp_int(&r, "accepted"), 2);
    assert_int_equal(resp_int(&r, "rejected"), 1);
    assert_string_equal(resp_str(&r, "report.2.status"), "rejected");
    assert_int_equal(resp_int(&r, "report.2.row"), 4);
    upload(&d, csv, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "unchanged"), 2);
    assert_int_equal(resp_int(&r, "plans_created"), 0);
    resp_release(&r);
    client_call(&d, "GET", "/api/v1/stats/plan_by_subdistrict?plan_no=HIS-1", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "rows.0.sampled"), 880);
    assert_int_equal(resp_int(&r, "rows.1.planned"), 700);
    login(&a, srv, "off_a");
    upload(&a, csv, &r);
    assert_resp(&r, 403, NULL);
    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&a);
    client_release(&d);
}

/* the bureau's sheet uploaded (POST …/emergency/import): a workbook written by openpyxl, the
 * row report (accepted / rejected / skipped), the figures beside ours; the same file again
 * changes nothing; a subdistrict officer is refused; not a sheet: 400 in Chinese. */
static void
test_emergency_upload(void **state)
{
    struct server *srv = *state;
    static const char *const hdr[] = { "Content-Type: multipart/form-data; boundary=EMB0UND", NULL };
    struct client d, a;
    struct resp r = RESP_INIT;
    struct buf body = BUF_INIT, file = BUF_INIT;
    char dir[64], chunk[4096];
    size_t n;
    FILE *f;

    snprintf(dir, sizeof dir, "/tmp/jy_e2e_em_%d", (int)getpid());
    snprintf(chunk, sizeof chunk, "mkdir -p '%s'", dir);
    assert_int_equal(system(chunk), 0);
    assert_non_null(f = fopen(pyfixture_make(dir, "make_emergency.py", "yjj.xlsx", "P-E"), "rb"));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, n);
    fclose(f);
    snprintf(chunk, sizeof chunk, "rm -rf '%s'", dir);
    assert_int_equal(system(chunk), 0);
    buf_adds(&body, "--EMB0UND\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nyjj-sheet\r\n"
                    "--EMB0UND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"yjj.xlsx\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n");
    buf_add(&body, file.data, file.len);
    buf_adds(&body, "\r\n--EMB0UND--\r\n");

    login(&d, srv, "dist");
    for (int round = 0; round < 2; round++) {
        client_send(&d, "POST", BASE "import", body.data, body.len, hdr, 0, &r);
        assert_resp(&r, 200, NULL);
        assert_string_equal(resp_str(&r, "layout"), "subdistrict");
        assert_int_equal(resp_int(&r, "header_row"), 2);
        assert_int_equal(resp_int(&r, "accepted"), 2);
        assert_int_equal(resp_int(&r, "rejected"), 1);
        assert_int_equal(resp_int(&r, "skipped"), 1);
        assert_int_equal(resp_int(&r, "report.2.row"), 5);
        assert_string_equal(resp_str(&r, "report.2.status"), "rejected");
        assert_string_equal(resp_str(&r, "report.3.status"), "skipped");
        /* both replace the posted rows: 新街口 by name, 西长安街街道 by its code (posted as 西长安街) */
        assert_int_equal(resp_int(&r, "inserted"), 0);
        assert_int_equal(resp_int(&r, "updated"), round ? 0 : 2);
        assert_int_equal(resp_int(&r, "unchanged"), round ? 2 : 0);
    }
    resp_release(&r);
    client_call(&d, "GET", BASE "by-subdistrict?plan=P-E", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "rows.0.theirs.actual"), 370);
    assert_int_equal(resp_int(&r, "rows.0.theirs.difference"), 230); /* uncached formula: plan - actual */
    assert_int_equal(resp_int(&r, "rows.1.theirs.actual"), 1180);

    static const char junk[] = "--EMB0UND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
                               "\r\na,b\n1,2\r\n--EMB0UND--\r\n";
    client_send(&d, "POST", BASE "import", junk, sizeof junk - 1, hdr, 0, &r);
    assert_resp(&r, 400, NULL);
    assert_string_equal(resp_str(&r, "error.reason"), "emergency_no_header");
    login(&a, srv, "off_a");
    client_send(&a, "POST", BASE "import", body.data, body.len, hdr, 0, &r);
    assert_resp(&r, 403, NULL);
    server_assert_clean_errors(srv);
    resp_release(&r);
    buf_release(&body);
    buf_release(&file);
    client_release(&a);
    client_release(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_and_compare),
        cmocka_unit_test(test_history_upload),
        cmocka_unit_test(test_emergency_upload),
    };
    int failed = server_run("e2e_emergency", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feed_token);
    return failed;
}
