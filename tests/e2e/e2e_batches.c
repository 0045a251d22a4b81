/* tests/e2e/e2e_batches.c - the batch query service over HTTP (R4.3-R4.7), on the real
 * `jiayuan serve` with the small demo district loaded (`jiayuan demo --scale small`), on
 * SQLite and PostgreSQL.
 *
 * A subdistrict officer uploads resident lists (CSV and .xlsx, as multipart/form-data),
 * watches the batch go from queued to done, checks its counts against the personal lookup
 * of every ID, downloads the three exports and reads them back, re-runs and deletes it.
 * Every batch route is tried by an officer of another subdistrict (404, never the batch),
 * by a viewer (403) and without a session (401). Hostile uploads: wrong content type, no
 * boundary, no file field, two file fields, a body and a file over the caps, a file that
 * is no table. A batch left "running" by a dead server is run again after a restart. The
 * uploaded ID numbers, names and phones appear nowhere in the database or the log, and
 * the file name not in the log; every error is the clean envelope.
 */
#include <dirent.h>
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
#include "core/idno.h"
#include "core/str.h"
#include "db/db.h"
#include "demo/demo.h"
#include "io/table.h"
#include "io/xlsxw.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define BOUNDARY "----jyE2eBoundary7MA4YWxkTrZu0gW"
#define NPEOPLE 40
#define FILE_NAME "名单-隐私测试.csv"

static int
prepare(struct server *srv)
{
    struct buf out = BUF_INIT;
    int rc = server_cli(srv, NULL, &out, "demo", "--scale", "small", NULL);
    buf_release(&out);
    if (rc)
        return -1;
    if (server_add_user(srv, "officer_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "officer_b", "subdistrict", SUB_B, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "officer_a2", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "audrey", "auditor", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

/* resident k of the upload (seed 1, the demo's default): distinct IDs, one per date */
static void
person(size_t k, struct demo_person *p)
{
    demo_person_at(1, 7 * k + 3, p);
}

static void
outsider(char out[19])
{
    memcpy(out, "44010619850505123", 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* The list: NPEOPLE residents, an outsider, a wrong check digit, an empty ID, a repeat. */
static void
make_csv(struct buf *b)
{
    struct demo_person p;
    char id[19];
    buf_adds(b, "\xEF\xBB\xBF序号,姓名,身份证号码,联系电话\r\n");
    for (size_t k = 0; k < NPEOPLE; k++) {
        person(k, &p);
        buf_printf(b, "%zu,%s,%s,%s\r\n", k + 1, p.name, p.id_number, p.phone);
    }
    outsider(id);
    buf_printf(b, "%d,外地人,%s,\r\n", NPEOPLE + 1, id);
    person(0, &p);
    memcpy(id, p.id_number, 19);
    id[17] = id[17] == '1' ? '2' : '1';
    if (idno_check_digit(id) == id[17])
        id[17] = id[17] == '3' ? '4' : '3';
    buf_printf(b, "%d,错号,%s,\r\n", NPEOPLE + 2, id);
    buf_printf(b, "%d,无号,,\r\n", NPEOPLE + 3);
    person(1, &p);
    buf_printf(b, "%d,%s,%s,\r\n", NPEOPLE + 4, p.name, p.id_number);
}

/* multipart wraps file (and days when > 0) into a form body. */
static void
multipart(struct buf *body, const char *filename, const void *file, size_t n, int days)
{
    if (days > 0)
        buf_printf(body, "--%s\r\nContent-Disposition: form-data; name=\"days\"\r\n\r\n%d\r\n", BOUNDARY, days);
    buf_printf(body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\nContent-Type: text/csv\r\n\r\n",
               BOUNDARY, filename);
    buf_add(body, file, n);
    buf_printf(body, "\r\n--%s--\r\n", BOUNDARY);
}

static const char *const form_headers[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };

static long
upload(struct client *c, const char *filename, const void *file, size_t n, int days, struct resp *r)
{
    struct buf body = BUF_INIT;
    buf_init(&body, (size_t)128 << 20);
    multipart(&body, filename, file, n, days);
    assert_false(buf_error(&body));
    long s = client_send(c, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, r);
    buf_release(&body);
    return s;
}

/* wait_done polls GET /api/v1/batches/{id} until it is done (or failed), watching the
 * progress move forward, and leaves the last answer in r. */
static void
wait_done(struct client *c, int64_t id, struct resp *r)
{
    char path[64];
    double last = -1;
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    for (int i = 0; i < 1200; i++) {
        assert_int_equal(client_call(c, "GET", path, NULL, r), 200);
        const char *st = resp_str(r, "status");
        json_t *p = resp_get(r, "progress");
        assert_non_null(st);
        assert_true(json_is_number(p));
        double v = json_number_value(p);
        assert_true(v >= 0.0 && v <= 1.0);
        if (strcmp(st, "running") == 0) {
            assert_true(v >= last);
            last = v;
        }
        if (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0)
            return;
        usleep(50000);
    }
    fail_msg("batch %lld did not finish within 60 s", (long long)id);
}

/* read_xlsx reads a downloaded workbook: rows as "a|b|c\n". */
static void
read_xlsx(const struct resp *r, struct buf *out)
{
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT;
    if (table_open_mem(r->body.data, r->body.len, &t, &why))
        fail_msg("the export does not read back: %s", why.data);
    assert_int_equal(table_format(t), TABLE_XLSX);
    while (table_next_row(t, &row) == 0 && row.cells) {
        for (size_t c = 0; c < row.ncells; c++) {
            if (c)
                buf_addch(out, '|');
            buf_add(out, row.cells[c].p, row.cells[c].n);
        }
        buf_addch(out, '\n');
    }
    assert_string_equal(table_message(t), "");
    table_close(t);
    buf_release(&why);
}

static size_t
lines_with(const char *s, const char *needle)
{
    size_t n = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)len, s);
        if (!needle || strstr(line, needle))
            n++;
        s += len + (eol ? 1 : 0);
    }
    return n;
}

static int64_t
db_count(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v = -1;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return v;
}

static void
db_exec_sql(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_exec(db, sql), 0);
    db_close(db);
}

static void
test_upload_run_export(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf csv = BUF_INIT, got = BUF_INIT;
    struct demo_person p;
    char path[96], disp[512];
    int64_t id, found = 0;

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    make_csv(&csv);
    assert_int_equal(upload(&a, FILE_NAME, csv.data, csv.len, 0, &r), 201);
    id = resp_int(&r, "id");
    assert_true(id > 0);
    assert_string_equal(resp_str(&r, "status"), "queued");
    assert_string_equal(resp_str(&r, "file_name"), FILE_NAME);
    assert_string_equal(resp_str(&r, "format"), "csv");
    assert_string_equal(resp_str(&r, "subdistrict"), SUB_A);
    assert_int_equal(resp_int(&r, "rows"), NPEOPLE + 4);
    assert_int_equal(resp_int(&r, "days"), 3);
    assert_int_equal(resp_int(&r, "columns.id"), 2);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    assert_non_null(resp_header(&r, "Location", 0, disp, sizeof disp));
    assert_string_equal(disp, path);

    wait_done(&a, id, &r);
    assert_string_equal(resp_str(&r, "status"), "done");
    assert_true(json_real_value(resp_get(&r, "progress")) == 1.0);
    assert_int_equal(resp_int(&r, "rows"), NPEOPLE + 4);
    assert_int_equal(resp_int(&r, "valid"), NPEOPLE + 1);
    assert_int_equal(resp_int(&r, "invalid"), 2);
    assert_int_equal(resp_int(&r, "duplicate"), 1);
    assert_int_equal(resp_int(&r, "by_status.bad_checksum"), 1);
    assert_int_equal(resp_int(&r, "by_status.empty"), 1);
    assert_int_equal(resp_int(&r, "runs"), 1);
    assert_true(resp_int(&r, "finished_at") >= resp_int(&r, "created_at"));
    /* found agrees with the personal lookup of each resident */
    for (size_t k = 0; k < NPEOPLE; k++) {
        struct resp q = RESP_INIT;
        person(k, &p);
        assert_int_equal(client_pack(&a, "POST", "/api/v1/people/lookup", &q, "{s:s, s:i}", "id_number",
                                     p.id_number, "days", 14),
                         200);
        found += json_array_size(resp_get(&q, "tests")) > 0;
        resp_release(&q);
    }
    assert_true(found > NPEOPLE / 2);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "found"), found);
    assert_int_equal(resp_int(&r, "not_found"), NPEOPLE + 1 - found);

    /* all rows */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/export?rows=all", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    assert_non_null(resp_header(&r, "Content-Type", 0, disp, sizeof disp));
    assert_string_equal(disp, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_non_null(resp_header(&r, "Content-Disposition", 0, disp, sizeof disp));
    assert_true(str_has_prefix(str_of(disp), "attachment; filename=\"batch-"));
    assert_non_null(strstr(disp, "filename*=UTF-8''%E5%90%8D%E5%8D%95-")); /* 名单- */
    read_xlsx(&r, &got);
    assert_true(str_has_prefix(str_of(got.data), "序号|姓名|身份证号码|联系电话|状态|状态代码|是否检测|近3天检测次数|最近采样时间|"
                                                  "最近检测时间|检测机构|最近结果|采样点\n"));
    assert_int_equal(lines_with(got.data, NULL), NPEOPLE + 5);
    assert_int_equal(lines_with(got.data, "|正常|ok|是|"), (size_t)found);
    assert_int_equal(lines_with(got.data, "|bad_checksum"), 1);
    assert_int_equal(lines_with(got.data, "|empty"), 1);
    assert_int_equal(lines_with(got.data, "|名单内重复|duplicate|"), 1);
    person(3, &p);
    assert_non_null(strstr(got.data, p.id_number));
    buf_reset(&got);
    /* not found */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/export?rows=not_found", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    read_xlsx(&r, &got);
    assert_int_equal(lines_with(got.data, NULL), (size_t)(1 + NPEOPLE + 1 - found));
    assert_int_equal(lines_with(got.data, "外地人"), 1);
    assert_int_equal(lines_with(got.data, "|是|"), 0);
    buf_reset(&got);
    /* invalid */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/export?rows=invalid", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    read_xlsx(&r, &got);
    assert_int_equal(lines_with(got.data, NULL), 3);
    assert_int_equal(lines_with(got.data, "错号"), 1);
    assert_int_equal(lines_with(got.data, "无号"), 1);
    /* no export file is left in the var directory */
    {
        DIR *dir = opendir(srv->var);
        struct dirent *e;
        assert_non_null(dir);
        while ((e = readdir(dir)))
            assert_false(str_has_prefix(str_of(e->d_name), ".export-"));
        closedir(dir);
    }
    /* the list */
    assert_int_equal(client_call(&a, "GET", "/api/v1/batches?limit=5", NULL, &r), 200);
    assert_true(json_array_size(resp_get(&r, "items")) >= 1);
    assert_int_equal(resp_int(&r, "items.0.id"), id);
    resp_release(&r);
    buf_release(&csv);
    buf_release(&got);
    client_release(&a);
}

static void
test_xlsx_upload_days(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct xlsxw *w = NULL;
    struct demo_person p;
    struct buf got = BUF_INIT;
    char dir[] = "/tmp/jy-e2e-batch-XXXXXX", path[96];
    FILE *f;
    long size;
    char *data;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/in.xlsx", dir);
    assert_int_equal(xlsxw_open(path, "Sheet1", NULL, &w), 0);
    struct xlsxw_cell title[] = { XLSXW_TEXT_CELL(STR_LIT("2026年11月 居民名单")) };
    struct xlsxw_cell head[] = { XLSXW_TEXT_CELL(STR_LIT("姓名")), XLSXW_TEXT_CELL(STR_LIT("证件号码")) };
    assert_int_equal(xlsxw_row(w, title, 1), 0);
    assert_int_equal(xlsxw_row(w, head, 2), 0);
    for (size_t k = 0; k < 10; k++) {
        person(k, &p);
        struct xlsxw_cell row[] = { XLSXW_TEXT_CELL(str_of(p.name)), XLSXW_TEXT_CELL(str_of(p.id_number)) };
        assert_int_equal(xlsxw_row(w, row, 2), 0);
    }
    assert_int_equal(xlsxw_close(w), 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    data = xmalloc((size_t)size);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    unlink(path);
    rmdir(dir);

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    assert_int_equal(upload(&a, "名单.xlsx", data, (size_t)size, 7, &r), 201);
    assert_string_equal(resp_str(&r, "format"), "xlsx");
    assert_int_equal(resp_int(&r, "days"), 7);
    assert_int_equal(resp_int(&r, "columns.header_row"), 2);
    int64_t id = resp_int(&r, "id");
    wait_done(&a, id, &r);
    assert_string_equal(resp_str(&r, "status"), "done");
    assert_int_equal(resp_int(&r, "rows"), 10);
    snprintf(path, sizeof path, "/api/v1/batches/%lld/export", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    read_xlsx(&r, &got);
    assert_true(str_has_prefix(str_of(got.data), "2026年11月 居民名单\n姓名|证件号码|状态|状态代码|是否检测|近7天检测次数|"));
    assert_int_equal(lines_with(got.data, NULL), 12);
    xfree(data);
    buf_release(&got);
    resp_release(&r);
    client_release(&a);
}

/* The batch every scope test uses: officer_a's, done. */
static int64_t
a_batch(struct server *srv)
{
    static char made_on[256];
    static int64_t id;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf csv = BUF_INIT;
    if (strcmp(made_on, srv->dir) == 0)
        return id;
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    make_csv(&csv);
    assert_int_equal(upload(&a, "scope.csv", csv.data, csv.len, 0, &r), 201);
    id = resp_int(&r, "id");
    wait_done(&a, id, &r);
    snprintf(made_on, sizeof made_on, "%s", srv->dir);
    resp_release(&r);
    buf_release(&csv);
    client_release(&a);
    return id;
}

/* share: officer_a (the uploader) shares batch id or takes it back */
static void
share(struct server *srv, int64_t id, bool on)
{
    struct client a;
    struct resp r = RESP_INIT;
    char path[80];
    snprintf(path, sizeof path, "/api/v1/batches/%lld/share", (long long)id);
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    assert_int_equal(client_pack(&a, "POST", path, &r, "{s:b}", "share", on), 200);
    assert_int_equal(json_is_true(resp_get(&r, "shared")), on);
    assert_true(json_is_true(resp_get(&r, "is_owner")));
    resp_release(&r);
    client_release(&a);
}

static void
test_scope_every_route(void **state)
{
    struct server *srv = *state;
    struct client b, d, v, anon;
    struct resp r = RESP_INIT;
    struct buf csv = BUF_INIT;
    char p_get[64], p_rerun[80], p_export[96], p_nf[96];
    int64_t id = a_batch(srv);

    snprintf(p_get, sizeof p_get, "/api/v1/batches/%lld", (long long)id);
    snprintf(p_rerun, sizeof p_rerun, "/api/v1/batches/%lld/rerun", (long long)id);
    snprintf(p_export, sizeof p_export, "/api/v1/batches/%lld/export?rows=all", (long long)id);
    snprintf(p_nf, sizeof p_nf, "/api/v1/batches/%lld/export?rows=not_found", (long long)id);
    assert_int_equal(client_sign_in(&b, srv, "officer_b"), 200);
    /* another subdistrict: as if it did not exist */
    client_call(&b, "GET", p_get, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&b, "POST", p_rerun, "{}", &r);
    assert_resp(&r, 404, "not_found");
    client_call(&b, "GET", p_export, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&b, "GET", p_nf, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&b, "DELETE", p_get, NULL, &r);
    assert_resp(&r, 404, "not_found");
    assert_int_equal(client_call(&b, "GET", "/api/v1/batches?limit=100", NULL, &r), 200);
    json_t *items = resp_get(&r, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        assert_int_not_equal(json_integer_value(json_object_get(json_array_get(items, i), "id")), id);
    /* officer_b's own batch is not visible to officer_a's list either (checked by a) */
    make_csv(&csv);
    assert_int_equal(upload(&b, "b.csv", csv.data, csv.len, 0, &r), 201);
    assert_string_equal(resp_str(&r, "subdistrict"), SUB_B);
    /* the district sees it, but exports the uploaded names and phones only once the uploader
     * shares it (issue 12: owner-only cells) */
    assert_int_equal(client_sign_in(&d, srv, "dist"), 200);
    assert_int_equal(client_call(&d, "GET", p_get, NULL, &r), 200);
    assert_false(json_is_true(resp_get(&r, "can_export")));
    client_call(&d, "GET", p_export, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_not_shared");
    share(srv, id, true);
    assert_int_equal(client_call(&d, "GET", p_export, NULL, &r), 200);
    share(srv, id, false);
    assert_int_equal(client_call(&d, "GET", "/api/v1/batches?limit=100", NULL, &r), 200);
    assert_true(json_array_size(resp_get(&r, "items")) >= 2);
    /* a viewer has no people.read: 403 on every route */
    assert_int_equal(client_sign_in(&v, srv, "vic"), 200);
    client_call(&v, "GET", "/api/v1/batches", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&v, "GET", p_get, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&v, "POST", p_rerun, "{}", &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&v, "GET", p_export, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&v, "DELETE", p_get, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    upload(&v, "v.csv", csv.data, csv.len, 0, &r);
    assert_resp(&r, 403, "forbidden");
    client_pack(&v, "POST", "/api/v1/people/export", &r, "{s:s}", "id_number", "11010519491231002X");
    assert_resp(&r, 403, "forbidden");
    /* no session */
    client_init(&anon, srv);
    client_call(&anon, "GET", p_get, NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    upload(&anon, "x.csv", csv.data, csv.len, 0, &r);
    assert_resp(&r, 401, "unauthenticated");
    /* a cookie session without the CSRF header cannot upload */
    client_send(&b, "POST", "/api/v1/batches", csv.data, csv.len, form_headers, CLIENT_NO_CSRF, &r);
    assert_resp(&r, 403, "csrf");
    resp_release(&r);
    buf_release(&csv);
    client_release(&b);
    client_release(&d);
    client_release(&v);
    client_release(&anon);
}

static void
test_hostile_uploads(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf body = BUF_INIT, big = BUF_INIT;
    char path[96];
    int64_t id = a_batch(srv);
    static const char *const json_type[] = { "Content-Type: application/json", NULL };
    static const char *const no_boundary[] = { "Content-Type: multipart/form-data", NULL };

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    client_send(&a, "POST", "/api/v1/batches", "{\"file\":\"x\"}", 12, json_type, 0, &r);
    assert_resp(&r, 415, "unsupported_media_type");
    client_send(&a, "POST", "/api/v1/batches", "--x\r\n\r\n1\r\n--x--", 16, no_boundary, 0, &r);
    assert_resp(&r, 400, "invalid");
    client_send(&a, "POST", "/api/v1/batches", NULL, 0, form_headers, 0, &r);
    assert_resp(&r, 400, "invalid");
    /* no file field */
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"days\"\r\n\r\n3\r\n--%s--\r\n", BOUNDARY, BOUNDARY);
    client_send(&a, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.message"), "没有选择要上传的文件"); /* zh by default (issue 14) */
    /* two file fields */
    buf_reset(&body);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n身份证号\r\n"
                      "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\n\r\n身份证号\r\n--%s--\r\n",
               BOUNDARY, BOUNDARY, BOUNDARY);
    client_send(&a, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, &r);
    assert_resp(&r, 400, "invalid");
    /* truncated: no closing boundary */
    buf_reset(&body);
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\n身份证号\r\n1", BOUNDARY);
    client_send(&a, "POST", "/api/v1/batches", body.data, body.len, form_headers, 0, &r);
    assert_resp(&r, 400, "invalid");
    /* not a table of IDs; an old .xls; a days field out of range */
    upload(&a, "a.csv", "name,age\nx,1\n", 13, 0, &r);
    assert_resp(&r, 400, "invalid");
    assert_string_equal(resp_str(&r, "error.message"), "未找到身份证号码列");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_no_id_column");
    upload(&a, "a.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old", 12, 0, &r);
    assert_resp(&r, 400, "invalid");
    upload(&a, "a.csv", "身份证号\n11010519491231002X\n", 30, 91, &r);
    assert_resp(&r, 400, "invalid");
    /* a file over the file cap inside a body under the body cap: 413 from the handler */
    buf_init(&big, (size_t)128 << 20);
    buf_grow(&big, (size_t)66 << 20);
    while (big.len < ((size_t)64 << 20) + 10)
        buf_adds(&big, "11010519491231002X,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    assert_false(buf_error(&big));
    upload(&a, "big.csv", big.data, big.len, 0, &r);
    assert_resp(&r, 413, "too_large");
    /* a body over the body cap: refused before it is read */
    while (big.len < ((size_t)66 << 20))
        buf_adds(&big, "11010519491231002X,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    assert_false(buf_error(&big));
    upload(&a, "big.csv", big.data, big.len, 0, &r);
    assert_resp(&r, 413, "too_large");
    buf_release(&big);
    /* bad parameters on the other routes */
    client_release(&a);
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200); /* a 413 may close the connection: a fresh client */
    snprintf(path, sizeof path, "/api/v1/batches/%lld/export?rows=everything", (long long)id);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&a, "GET", "/api/v1/batches/abc", NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&a, "GET", "/api/v1/batches/999999", NULL, &r);
    assert_resp(&r, 404, "not_found");
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rerun", (long long)id);
    client_call(&a, "POST", path, "{\"days\":0}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&a, "POST", path, "{\"dayz\":3}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&a, "GET", "/api/v1/batches?limit=0", NULL, &r);
    assert_resp(&r, 400, "invalid");
    /* nothing of the refused uploads was kept */
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM batches WHERE file_name IN ('a.csv', 'a.xls', 'big.csv')"), 0);
    server_assert_clean_errors(srv);
    resp_release(&r);
    buf_release(&body);
    client_release(&a);
}

static void
test_rerun_delete(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf csv = BUF_INIT;
    char path[96];

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    make_csv(&csv);
    assert_int_equal(upload(&a, "rerun.csv", csv.data, csv.len, 0, &r), 201);
    int64_t id = resp_int(&r, "id");
    wait_done(&a, id, &r);
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rerun", (long long)id);
    assert_int_equal(client_call(&a, "POST", path, "{\"days\": 5}", &r), 202);
    assert_string_equal(resp_str(&r, "status"), "queued");
    assert_int_equal(resp_int(&r, "days"), 5);
    wait_done(&a, id, &r);
    assert_string_equal(resp_str(&r, "status"), "done");
    assert_int_equal(resp_int(&r, "runs"), 2);
    assert_int_equal(client_call(&a, "POST", path, NULL, &r), 202); /* no body: same days */
    assert_int_equal(resp_int(&r, "days"), 5);
    wait_done(&a, id, &r);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    assert_int_equal(client_call(&a, "DELETE", path, NULL, &r), 204);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    client_call(&a, "DELETE", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM batch_rows WHERE batch_id = %lld", (long long)id);
    assert_int_equal(db_count(srv, sql), 0);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM batch_results WHERE batch_id = %lld", (long long)id);
    assert_int_equal(db_count(srv, sql), 0);
    resp_release(&r);
    buf_release(&csv);
    client_release(&a);
}

static void
test_restart_requeues(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    int64_t id = a_batch(srv);
    char sql[160], path[64];

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    assert_int_equal(client_call(&a, "GET", path, NULL, &r), 200);
    int64_t runs = resp_int(&r, "runs");
    client_release(&a);
    assert_int_equal(server_stop(srv), 0);
    /* as if the server had died in the middle of the run */
    snprintf(sql, sizeof sql, "UPDATE batches SET status = 'running', progress_ppm = 420000 WHERE id = %lld",
             (long long)id);
    db_exec_sql(srv, sql);
    assert_int_equal(server_start(srv), 0);
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    wait_done(&a, id, &r);
    assert_string_equal(resp_str(&r, "status"), "done");
    assert_int_equal(resp_int(&r, "runs"), runs + 1);
    resp_release(&r);
    client_release(&a);
}

static void
test_people_export(void **state)
{
    struct server *srv = *state;
    struct client a;
    struct resp r = RESP_INIT;
    struct buf got = BUF_INIT;
    struct demo_person p;
    char disp[256];

    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    for (size_t k = 0; k < NPEOPLE; k++) {
        person(k, &p);
        client_pack(&a, "POST", "/api/v1/people/lookup", &r, "{s:s}", "id_number", p.id_number);
        if (json_array_size(resp_get(&r, "tests")) > 0)
            break;
    }
    size_t n = json_array_size(resp_get(&r, "tests"));
    assert_true(n > 0);
    assert_int_equal(client_pack(&a, "POST", "/api/v1/people/export", &r, "{s:s}", "id_number", p.id_number), 200);
    assert_non_null(resp_header(&r, "Content-Disposition", 0, disp, sizeof disp));
    assert_true(str_has_prefix(str_of(disp), "attachment;"));
    read_xlsx(&r, &got);
    assert_true(str_has_prefix(str_of(got.data), "姓名|身份证号|采样时间|"));
    assert_int_equal(lines_with(got.data, NULL), n + 1);
    /* masked: never the full number or name for a subdistrict officer */
    assert_null(strstr(got.data, p.id_number));
    assert_null(strstr(got.data, p.name));
    char masked[19];
    idno_mask(p.id_number, masked);
    assert_non_null(strstr(got.data, masked));
    /* reveal needs pii.reveal */
    client_pack(&a, "POST", "/api/v1/people/export", &r, "{s:s, s:b, s:s}", "id_number", p.id_number, "reveal", 1,
                "reason", "核查");
    assert_resp(&r, 403, "forbidden");
    client_pack(&a, "POST", "/api/v1/people/export", &r, "{s:s}", "id_number", "110105194912310021");
    assert_resp(&r, 400, "invalid");
    resp_release(&r);
    buf_release(&got);
    client_release(&a);
}

static void
test_no_plaintext(void **state)
{
    struct server *srv = *state;
    struct demo_person p[3];
    const char *needles[10];
    size_t n = 0;
    (void)a_batch(srv);
    /* every scan of the database reads all of it (on PostgreSQL a dump of every table), so
     * a sample of what was uploaded: three IDs, two phones, one name of three characters */
    for (size_t k = 0; k < 3; k++) {
        person(k * 13, &p[k]);
        needles[n++] = p[k].id_number;
        if (k < 2)
            needles[n++] = p[k].phone;
    }
    for (size_t k = 0; k < NPEOPLE && n < 6; k++) {
        struct demo_person q;
        person(k, &q);
        if (strlen(q.name) == 9) {
            static char name[32];
            snprintf(name, sizeof name, "%s", q.name);
            needles[n++] = name;
        }
    }
    needles[n] = NULL;
    server_assert_absent(srv, SCAN_DB | SCAN_LOG, needles);
    const char *names[] = { FILE_NAME, "scope.csv", "rerun.csv", NULL };
    server_assert_absent(srv, SCAN_LOG, names);
    server_assert_clean_errors(srv);
}

/* issue 12 "Bulk lookups" over HTTP: owner-only export and sharing within a subdistrict, the
 * daily quota (429 batch_quota_exceeded, in Chinese by default), and the auditor's question
 * "who looked up this person" (GET /api/v1/audit/lookups: auditor only, audited). */
static void
test_bulk_lookups(void **state)
{
    struct server *srv = *state;
    struct client a2, aud, a;
    struct resp r = RESP_INIT;
    struct buf csv = BUF_INIT;
    struct demo_person p;
    char p_export[96], p_share[80], q[128];
    int64_t id = a_batch(srv);

    snprintf(p_export, sizeof p_export, "/api/v1/batches/%lld/export?rows=all", (long long)id);
    snprintf(p_share, sizeof p_share, "/api/v1/batches/%lld/share", (long long)id);
    /* a colleague of the same subdistrict: sees the batch and masked rows, no export, no share */
    assert_int_equal(client_sign_in(&a2, srv, "officer_a2"), 200);
    snprintf(q, sizeof q, "/api/v1/batches/%lld", (long long)id);
    assert_int_equal(client_call(&a2, "GET", q, NULL, &r), 200);
    assert_false(json_is_true(resp_get(&r, "shared")));
    assert_false(json_is_true(resp_get(&r, "is_owner")));
    snprintf(q, sizeof q, "/api/v1/batches/%lld/rows?limit=5", (long long)id);
    assert_int_equal(client_call(&a2, "GET", q, NULL, &r), 200);
    client_call(&a2, "GET", p_export, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    assert_string_equal(resp_str(&r, "error.message"), "该批次未共享，只有上传人可以导出");
    client_pack(&a2, "POST", p_share, &r, "{s:b}", "share", 1);
    assert_resp(&r, 403, "forbidden");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_share_owner");
    share(srv, id, true);
    assert_int_equal(client_call(&a2, "GET", p_export, NULL, &r), 200);
    share(srv, id, false);

    /* the quota: 40 + 4 rows a batch; a quota of 1000 rows leaves room for few */
    db_exec_sql(srv, "INSERT INTO settings (key, value) VALUES ('policy.batch_rows_per_day', '1000')"
                     " ON CONFLICT (key) DO UPDATE SET value = '1000'");
    assert_int_equal(client_call(&a2, "GET", "/api/v1/batches/quota", NULL, &r), 200);
    assert_int_equal(resp_int(&r, "limit"), 1000);
    assert_int_equal(resp_int(&r, "used"), 0);
    buf_adds(&csv, "身份证号\r\n");
    for (size_t k = 0; k < 1001; k++) {
        char id18[19];
        snprintf(id18, sizeof id18, "440106198%zu0101%03zu", k / 1000, k % 1000);
        id18[17] = idno_check_digit(id18);
        id18[18] = '\0';
        buf_printf(&csv, "%s\r\n", id18);
    }
    upload(&a2, "big.csv", csv.data, csv.len, 0, &r);
    assert_resp(&r, 429, "too_many_requests");
    assert_string_equal(resp_str(&r, "error.reason"), "batch_quota_exceeded");
    assert_non_null(strstr(resp_str(&r, "error.message"), "超出今日批量查询配额"));
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM batches WHERE file_name = 'big.csv'"), 0);
    db_exec_sql(srv, "DELETE FROM settings WHERE key = 'policy.batch_rows_per_day'");

    /* the auditor: who looked up resident 0 (a row of a_batch's list) */
    client_init(&aud, srv);
    assert_int_equal(server_enrol(srv, &aud, "audrey", NULL, 0), 0);
    person(0, &p);
    snprintf(q, sizeof q, "/api/v1/audit/lookups?id_number=%s", p.id_number);
    assert_int_equal(client_call(&aud, "GET", q, NULL, &r), 200);
    json_t *items = resp_get(&r, "items");
    bool by_batch = false;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *h = json_array_get(items, i);
        if (!strcmp(json_string_value(json_object_get(h, "kind")), "batch") &&
            json_integer_value(json_object_get(h, "batch_id")) == id)
            by_batch = !strcmp(json_string_value(json_object_get(h, "actor")), "officer_a");
    }
    assert_true(by_batch);
    size_t nget = json_array_size(items);
    assert_int_equal(client_pack(&aud, "POST", "/api/v1/audit/lookups", &r, "{s:s}", "id_number", p.id_number), 200);
    assert_int_equal(json_array_size(resp_get(&r, "items")), nget);
    assert_true(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.lookups'") >= 1);
    client_call(&aud, "GET", "/api/v1/audit/lookups?id_number=123", NULL, &r);
    assert_resp(&r, 400, "invalid");
    /* not for the officers */
    assert_int_equal(client_sign_in(&a, srv, "officer_a"), 200);
    client_call(&a, "GET", q, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    resp_release(&r);
    buf_release(&csv);
    client_release(&a);
    client_release(&a2);
    client_release(&aud);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_run_export), cmocka_unit_test(test_xlsx_upload_days),
        cmocka_unit_test(test_scope_every_route), cmocka_unit_test(test_hostile_uploads),
        cmocka_unit_test(test_rerun_delete),      cmocka_unit_test(test_people_export),
        cmocka_unit_test(test_restart_requeues),  cmocka_unit_test(test_no_plaintext),
        cmocka_unit_test(test_bulk_lookups),
    };
    return server_run("batches", tests, sizeof tests / sizeof tests[0], prepare);
}
