/* tests/e2e/e2e_hotline.c - 12345 hotline tickets end to end (R2.12, the interface contract
 * of issue 11), on SQLite and PostgreSQL, with the real binary and ticket lists written by
 * /usr/bin/python3 + openpyxl (tests/support/fixtures/make_tickets.py):
 *   - CLI: `jiayuan hotline extract tickets.xlsx --rule '核酸 AND (排队 OR 人多) NOT 疫苗'
 *     --category 卫生健康/核酸检测 --category 城市管理 -o hits.xlsx` writes exactly the
 *     expected tickets under 工单编号, masked; a bad rule exits 1, a missing -o exits 2.
 *   - HTTP: POST /api/v1/exchange/hotline/extract (JSON and format=xlsx) gives the same hits,
 *     counts and how the rule was read; a bad rule and a file that is not a ticket list are
 *     400 with the reason; a token without stats.read is refused; the pass is audited.
 *   - Stored (migration 0017): `jiayuan hotline import` and POST /api/v1/exchange/hotline/tickets
 *     store the tickets once (a re-import: all duplicates), the row without a number reported;
 *     the callers' names, phones and addresses are nowhere in plaintext (database file or
 *     every PostgreSQL row, log, responses); a rule set with a parse error is 400 naming the
 *     offset, a PUT adds version 2 and keeps version 1; a run counts and stores the hits
 *     (paged, and as .xlsx), a sample of 3 is marked and its precision is 2/3 on the sample
 *     and on the version; hotline.read cannot write; each step audited.
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
#include "db/db.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"
#include "server.h"

#define BOUNDARY "jyHotlineBoundary3"
#define RULE "核酸 AND (排队 OR 人多) NOT 疫苗"

static struct buf tok_rw = BUF_INIT, tok_none = BUF_INIT, tok_hl = BUF_INIT, tok_hl_ro = BUF_INIT;

static int
prepare(struct server *srv)
{
    buf_reset(&tok_rw);
    buf_reset(&tok_none);
    buf_reset(&tok_hl);
    buf_reset(&tok_hl_ro);
    return server_add_token(srv, "hotline", "stats.read", &tok_rw, NULL) ||
           server_add_token(srv, "hotline-none", "places.read", &tok_none, NULL) ||
           server_add_token(srv, "hotline-store", "hotline.read,hotline.write", &tok_hl, NULL) ||
           server_add_token(srv, "hotline-ro", "hotline.read", &tok_hl_ro, NULL);
}

static bool
has(const struct buf *b, const char *s)
{
    return strstr(b->data, s) != NULL;
}

/* hits_of reads the 工单编号 column of a hits workbook into out ("…01,…04"). */
static void
hits_of(const char *path, struct buf *out)
{
    struct table *t = NULL;
    struct table_row r;
    bool head = true;
    buf_reset(out);
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (head) {
            assert_true(str_eq_cstr(r.cells[0], "工单编号"));
            head = false;
            continue;
        }
        buf_printf(out, "%s%.*s", out->len ? "," : "", 2, r.cells[0].p + r.cells[0].n - 2);
        assert_true(r.ncells > 7);
        assert_non_null(memchr(r.cells[7].p, '*', r.cells[7].n)); /* phone masked */
    }
    table_close(t);
}

static void
test_cli(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT, hits = BUF_INIT;
    char dst[512];
    const char *in = pyfixture_make(srv->dir, "make_tickets.py", "cli-tickets.xlsx", "");
    snprintf(dst, sizeof dst, "%s/cli-hits.xlsx", srv->dir);
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "extract", in, "--rule", RULE, "--category",
                                "卫生健康/核酸检测", "--category", "城市管理", "-o", dst, NULL), 0);
    if (!has(&out, "tickets=7 no_number=1 in_category=5 matched=4"))
        fail_msg("output: %s", out.data);
    assert_true(has(&out, "rule: ((核酸 AND (排队 OR 人多)) AND NOT 疫苗)"));
    hits_of(dst, &hits);
    assert_string_equal(hits.data, "01,04,06,08");
    /* CSV input, no category */
    in = pyfixture_make(srv->dir, "make_tickets.py", "cli-tickets.csv", "");
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "extract", in, "--rule", "pcr", "-o", dst, NULL), 0);
    hits_of(dst, &hits);
    assert_string_equal(hits.data, "06");
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "extract", in, "--rule", "(核酸", "-o", dst, NULL), 1);
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "extract", in, "--rule", "核酸", NULL), 2);
    buf_release(&out);
    buf_release(&hits);
}

struct field {
    const char *name, *value;
};

static long
upload(struct server *srv, const char *bearer, const char *path, const char *route, const struct field *fields,
       struct resp *r)
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
    for (; fields && fields->name; fields++)
        buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", BOUNDARY,
                   fields->name, fields->value);
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
    struct buf hits = BUF_INIT;
    char dst[512];
    const char *in = pyfixture_make(srv->dir, "make_tickets.py", "http-tickets.xlsx", "--split");
    const struct field both[] = { { "rule", RULE }, { "categories", "卫生健康/核酸检测\r\n\r\n 城市管理 " }, { NULL, NULL } };
    const char *route = "/api/v1/exchange/hotline/extract";

    assert_int_equal(upload(srv, tok_rw.data, in, route, both, &r), 200);
    assert_int_equal(resp_int(&r, "counts.tickets"), 7);
    assert_int_equal(resp_int(&r, "counts.in_category"), 5);
    assert_int_equal(resp_int(&r, "counts.matched"), 4);
    assert_int_equal(resp_int(&r, "total"), 4);
    assert_string_equal(resp_str(&r, "rule"), "((核酸 AND (排队 OR 人多)) AND NOT 疫苗)");
    assert_string_equal(resp_str(&r, "items.0.number"), "GD2026120100001");
    assert_string_equal(resp_str(&r, "items.0.caller"), "张*");
    assert_string_equal(resp_str(&r, "items.0.phone"), "138****5678");
    assert_string_equal(resp_str(&r, "items.1.category"), "城市管理/环境卫生");
    assert_string_equal(resp_str(&r, "items.3.number"), "GD2026120100008");
    assert_null(strstr(r.body.data, "13812345678"));

    /* the same as a workbook */
    assert_int_equal(upload(srv, tok_rw.data, in, "/api/v1/exchange/hotline/extract?format=xlsx", both, &r), 200);
    assert_true(r.body.len > 100 && memcmp(r.body.data, "PK", 2) == 0);
    snprintf(dst, sizeof dst, "%s/http-hits.xlsx", srv->dir);
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(r.body.data, 1, r.body.len, f), r.body.len);
    fclose(f);
    hits_of(dst, &hits);
    assert_string_equal(hits.data, "01,04,06,08");

    /* errors */
    const struct field bad[] = { { "rule", "核酸 AND" }, { NULL, NULL } };
    assert_int_equal(upload(srv, tok_rw.data, in, route, bad, &r), 400);
    assert_non_null(strstr(resp_str(&r, "error.message"), "缺少检索词")); /* Chinese: no Accept-Language */
    const struct field none[] = { { "rule", "" }, { NULL, NULL } };
    assert_int_equal(upload(srv, tok_rw.data, in, route, none, &r), 400);
    const struct field sql[] = { { "rule", "'; DROP TABLE audit_log; --" }, { NULL, NULL } };
    assert_int_equal(upload(srv, tok_rw.data, in, route, sql, &r), 200);
    assert_int_equal(resp_int(&r, "counts.matched"), 0);
    const char *other = pyfixture_make(srv->dir, "make_survey.py", "survey.xlsx", "");
    assert_int_equal(upload(srv, tok_rw.data, other, route, both, &r), 400);
    assert_non_null(strstr(resp_str(&r, "error.message"), "工单表头"));
    assert_int_equal(upload(srv, tok_none.data, in, route, both, &r), 403);
    assert_int_equal(upload(srv, tok_rw.data, in, "/api/v1/exchange/hotline/extract?format=pdf", both, &r), 400);

    /* audited, counts only */
    struct db *db = NULL;
    struct db_stmt *q = NULL;
    bool row;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, "SELECT count(*), max(detail) FROM audit_log WHERE action = 'hotline.extract'", &q), 0);
    assert_int_equal(db_step(q, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(q, 0), 3);
    assert_non_null(strstr(db_col_text(q, 1, NULL), "matched="));
    db_done(q);
    db_close(db);
    (void)c;
    resp_release(&r);
    buf_release(&hits);
}


/* store_client makes c a client of srv with bearer token tok. */
static void
store_client(struct client *c, struct server *srv, const struct buf *tok)
{
    client_init(c, srv);
    str_copy(c->bearer, sizeof c->bearer, tok->data);
}

static void
test_store(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT;
    struct client c, ro;
    struct buf out = BUF_INIT, hits = BUF_INIT, path = BUF_INIT;
    char dst[512];
    const char *xlsx = pyfixture_make(srv->dir, "make_tickets.py", "store-tickets.xlsx", "");
    const char *csv = pyfixture_make(srv->dir, "make_tickets.py", "store-tickets.csv", "");

    /* CLI import, then the same tickets over HTTP: all duplicates */
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "import", xlsx, NULL), 0);
    if (!has(&out, "rows=8 accepted=7 duplicate=0 rejected=1") || !has(&out, "row 9 : no ticket number"))
        fail_msg("output: %s", out.data);
    assert_int_equal(upload(srv, tok_hl.data, csv, "/api/v1/exchange/hotline/tickets", NULL, &r), 200);
    assert_int_equal(resp_int(&r, "accepted"), 0);
    assert_int_equal(resp_int(&r, "duplicate"), 7);
    assert_int_equal(resp_int(&r, "rejected"), 1);
    assert_int_equal(resp_int(&r, "rejects.0.row"), 8); /* the CSV has no title row */
    assert_string_equal(resp_str(&r, "rejects.0.reason_code"), "hotline_row_no_number");
    assert_string_equal(resp_str(&r, "rejects.0.reason"), "缺少工单编号");
    assert_int_equal(upload(srv, tok_hl_ro.data, csv, "/api/v1/exchange/hotline/tickets", NULL, &r), 403);

    store_client(&c, srv, &tok_hl);
    store_client(&ro, srv, &tok_hl_ro);
    assert_int_equal(client_call(&ro, "GET", "/api/v1/exchange/hotline/tickets?limit=5&category=%E5%9F%8E%E5%B8%82%E7%AE%A1%E7%90%86", NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_string_equal(resp_str(&r, "items.0.caller"), "赵*");
    assert_string_equal(resp_str(&r, "items.0.phone"), "136****3333");
    assert_string_equal(resp_str(&r, "items.0.address"), "***");

    /* rule sets: a parse error names the offset; versions */
    assert_int_equal(client_pack(&c, "POST", "/api/v1/exchange/hotline/rules", &r, "{s:s, s:s}", "name", "x",
                                 "expression", "核酸 AND"), 400);
    assert_non_null(strstr(resp_str(&r, "error.message"), "字节处"));
    assert_int_equal(client_pack(&ro, "POST", "/api/v1/exchange/hotline/rules", &r, "{s:s, s:s}", "name", "x",
                                 "expression", "核酸"), 403);
    assert_int_equal(client_pack(&c, "POST", "/api/v1/exchange/hotline/rules", &r, "{s:s, s:s, s:s}", "name",
                                 "核酸排队", "expression", "核酸", "categories", "卫生健康/核酸检测\n城市管理"), 201);
    int64_t id = resp_int(&r, "id");
    char route[200];
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/rules/%lld", (long long)id);
    assert_int_equal(client_pack(&c, "PUT", route, &r, "{s:s, s:s, s:s}", "name", "核酸排队", "expression", RULE,
                                 "categories", "卫生健康/核酸检测\n城市管理"), 200);
    assert_int_equal(resp_int(&r, "version"), 2);
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/rules/%lld/versions", (long long)id);
    assert_int_equal(client_call(&ro, "GET", route, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "items.0.version"), 2);
    assert_int_equal(resp_int(&r, "items.1.version"), 1);
    assert_string_equal(resp_str(&r, "items.1.expression"), "核酸");

    /* a run over December 2026 (UTC+8) */
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/rules/%lld/runs", (long long)id);
    assert_int_equal(client_pack(&c, "POST", route, &r, "{s:s, s:s}", "from", "2026-12-02", "to", "2026-12-01"), 400);
    assert_int_equal(client_pack(&c, "POST", route, &r, "{s:s, s:s}", "from", "2026-12-01", "to", "2027-01-01"), 201);
    assert_int_equal(resp_int(&r, "tickets"), 7);
    assert_int_equal(resp_int(&r, "in_category"), 5);
    assert_int_equal(resp_int(&r, "matched"), 4);
    int64_t run = resp_int(&r, "id");
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/runs/%lld/hits?limit=3", (long long)run);
    assert_int_equal(client_call(&ro, "GET", route, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), 4);
    assert_string_equal(resp_str(&r, "items.2.number"), "GD2026120100006");
    assert_non_null(resp_str(&r, "next"));
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/runs/%lld/hits?format=xlsx", (long long)run);
    assert_int_equal(client_call(&ro, "GET", route, NULL, &r), 200);
    assert_true(r.body.len > 100 && memcmp(r.body.data, "PK", 2) == 0);
    snprintf(dst, sizeof dst, "%s/store-hits.xlsx", srv->dir);
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(r.body.data, 1, r.body.len, f), r.body.len);
    fclose(f);
    {
        struct table *t = NULL;
        struct table_row row;
        int data = 0;
        assert_int_equal(table_open_path(dst, &t, NULL), 0);
        while (table_next_row(t, &row) == 0 && row.cells)
            if (row.ncells && str_has_prefix(row.cells[0], "GD20261201"))
                data++;
        table_close(t);
        assert_int_equal(data, 4);
    }

    /* a sample of 3, two relevant: precision 2/3 on the sample and on version 2 */
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/runs/%lld/sample", (long long)run);
    assert_int_equal(client_pack(&c, "POST", route, &r, "{s:i}", "n", 3), 201);
    int64_t sid = resp_int(&r, "id");
    assert_int_equal(resp_int(&r, "drawn"), 3);
    int64_t t[3] = { resp_int(&r, "items.0.id"), resp_int(&r, "items.1.id"), resp_int(&r, "items.2.id") };
    for (int i = 0; i < 3; i++) {
        snprintf(route, sizeof route, "/api/v1/exchange/hotline/samples/%lld/items/%lld", (long long)sid,
                 (long long)t[i]);
        assert_int_equal(client_pack(&c, "PUT", route, &r, "{s:b}", "relevant", i < 2), 200);
    }
    assert_int_equal(resp_int(&r, "checked"), 3);
    assert_int_equal(resp_int(&r, "relevant"), 2);
    json_t *p = resp_get(&r, "precision");
    assert_true(json_is_real(p) && json_real_value(p) > 0.666 && json_real_value(p) < 0.667);
    snprintf(route, sizeof route, "/api/v1/exchange/hotline/samples/%lld/items/999999", (long long)sid);
    assert_int_equal(client_pack(&c, "PUT", route, &r, "{s:b}", "relevant", 1), 404);
    assert_int_equal(client_call(&ro, "GET", "/api/v1/exchange/hotline/rules", NULL, &r), 200);
    assert_int_equal(resp_int(&r, "items.0.checked"), 3);
    p = resp_get(&r, "items.0.precision");
    assert_true(json_is_real(p) && json_real_value(p) > 0.666 && json_real_value(p) < 0.667);

    /* nothing personal in plaintext anywhere; every step audited */
    const char *const secrets[] = { "13812345678", "13900001111", "张三", "李四", NULL };
    server_assert_no_plaintext(srv, secrets);
    /* the address is sealed too (the one-shot extract above shows it, so not in responses) */
    const char *const addresses[] = { "西城区广安门内街道1号", "西城区牛街2号", NULL };
    server_assert_absent(srv, SCAN_DB | SCAN_LOG, addresses);
    struct db *db = NULL;
    struct db_stmt *q = NULL;
    bool row;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, "SELECT count(*) FROM audit_log WHERE action IN ('hotline.import',"
                                    " 'hotline.rule.create', 'hotline.rule.update', 'hotline.run',"
                                    " 'hotline.sample', 'hotline.mark')", &q), 0);
    assert_int_equal(db_step(q, &row), 0);
    assert_int_equal(db_col_i64(q, 0), 2 + 1 + 1 + 1 + 1 + 3);
    db_done(q);
    db_close(db);
    client_release(&c);
    client_release(&ro);
    resp_release(&r);
    buf_release(&out);
    buf_release(&hits);
    buf_release(&path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_store),
    };
    int failed = server_run("hotline", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release(&tok_rw);
    buf_release(&tok_none);
    buf_release(&tok_hl);
    buf_release(&tok_hl_ro);
    return failed;
}
