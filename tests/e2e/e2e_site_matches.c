/* tests/e2e/e2e_site_matches.c - city↔district site matching end to end (issue 11, R2.11),
 * on SQLite and PostgreSQL, with the real binary and the labelled set of
 * tests/support/fixtures/make_city_sites.py (/usr/bin/python3 + openpyxl):
 *   - the district's sites are posted to /api/v1/sites/batch;
 *   - CLI: `jiayuan sites match city.xlsx -o out.xlsx` prints the counts and writes one row
 *     per input row with 市点位编码, 区点位编码, 匹配分数, 匹配依据; every 区点位编码 of an
 *     auto-accepted row is the label's;
 *   - HTTP: upload (201, the run and its rows), page by status, the .xlsx, review a row
 *     (reject, accept, re-point to a held site: 409, bad action: 400), a read-only token
 *     cannot upload (403).
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

#define BOUNDARY "jySiteMatchBoundary3"

static struct buf tok_rw = BUF_INIT, tok_ro = BUF_INIT;
static char sites_csv[600], labels_csv[600];

static int
prepare(struct server *srv)
{
    buf_reset(&tok_rw);
    buf_reset(&tok_ro);
    return server_add_token(srv, "match-rw", "sites.read,sites.write", &tok_rw, NULL) ||
           server_add_token(srv, "match-ro", "sites.read", &tok_ro, NULL);
}

static const char *
make_set(struct server *srv, const char *name)
{
    char extra[1300];
    snprintf(sites_csv, sizeof sites_csv, "%s/sites.csv", srv->dir);
    snprintf(labels_csv, sizeof labels_csv, "%s/labels.csv", srv->dir);
    snprintf(extra, sizeof extra, "'%s' '%s' --sites 30 --rows 60 --seed 9", sites_csv, labels_csv);
    return pyfixture_make(srv->dir, "make_city_sites.py", name, extra);
}

static const char *const sub_codes[][2] = {
    { "西长安街街道", "110102001" }, { "新街口街道", "110102003" }, { "月坛街道", "110102007" },
    { "展览路街道", "110102009" }, { "德胜街道", "110102010" }, { "金融街街道", "110102011" },
    { "什刹海街道", "110102012" }, { "大栅栏街道", "110102013" }, { "天桥街道", "110102014" },
    { "椿树街道", "110102015" }, { "陶然亭街道", "110102016" }, { "广安门内街道", "110102017" },
    { "牛街街道", "110102018" }, { "白纸坊街道", "110102019" }, { "广安门外街道", "110102020" },
};

/* post_sites posts SITES.csv to /api/v1/sites/batch. */
static void
post_sites(struct server *srv)
{
    struct table *t = NULL;
    struct table_row row;
    json_t *arr = json_array();
    char f[6][200];
    assert_int_equal(table_open_path(sites_csv, &t, NULL), 0);
    while (table_next_row(t, &row) == 0 && row.cells) {
        if (row.num == 1)
            continue;
        for (int i = 0; i < 6; i++)
            snprintf(f[i], sizeof f[i], "%.*s", (int)row.cells[i].n, row.cells[i].p);
        const char *sub = NULL;
        for (size_t k = 0; k < sizeof sub_codes / sizeof *sub_codes; k++)
            if (strcmp(sub_codes[k][0], f[2]) == 0)
                sub = sub_codes[k][1];
        assert_non_null(sub);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "city",
                                             "external_id", f[0], "code", f[0], "name", f[1], "type", "fixed",
                                             "subdistrict", sub, "address", f[3], "lon", atof(f[4]), "lat",
                                             atof(f[5])));
    }
    table_close(t);
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    struct client c;
    struct resp r = RESP_INIT;
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, tok_rw.data);
    assert_int_equal(client_call(&c, "POST", "/api/v1/sites/batch", text, &r), 200);
    assert_int_equal(resp_int(&r, "accepted") + resp_int(&r, "duplicate"), 30); /* the server is shared */
    free(text);
    client_release(&c);
    resp_release(&r);
}

static const char *
label(const char *city)
{
    static char out[64];
    struct table *t = NULL;
    struct table_row r;
    out[0] = '\0';
    assert_int_equal(table_open_path(labels_csv, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells)
        if (r.cells[0].n == strlen(city) && memcmp(r.cells[0].p, city, r.cells[0].n) == 0 && r.ncells > 1)
            snprintf(out, sizeof out, "%.*s", (int)r.cells[1].n, r.cells[1].p);
    table_close(t);
    return out;
}

static void
test_cli(void **state)
{
    struct server *srv = *state;
    struct buf out = BUF_INIT;
    char result[600];
    const char *city = make_set(srv, "cli-city.xlsx");
    post_sites(srv);
    snprintf(result, sizeof result, "%s/cli-out.xlsx", srv->dir);
    assert_int_equal(server_cli(srv, NULL, &out, "sites", "match", city, "-o", result, NULL), 0);
    if (!strstr(out.data, "rows=60 auto="))
        fail_msg("output: %s", out.data);
    /* the output: header, then one row per input row */
    struct table *t = NULL;
    struct table_row r;
    size_t k = 0, autos = 0;
    assert_int_equal(table_open_path(result, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        char city_code[64], ours[64], status[16];
        if (k++ == 0) {
            assert_int_equal(r.ncells, 11);
            assert_memory_equal(r.cells[1].p, "市点位编码", strlen("市点位编码"));
            assert_memory_equal(r.cells[5].p, "区点位编码", strlen("区点位编码"));
            assert_memory_equal(r.cells[7].p, "匹配分数", strlen("匹配分数"));
            assert_memory_equal(r.cells[9].p, "匹配依据", strlen("匹配依据"));
            continue;
        }
        snprintf(city_code, sizeof city_code, "%.*s", (int)r.cells[1].n, r.cells[1].p);
        snprintf(ours, sizeof ours, "%.*s", (int)r.cells[5].n, r.cells[5].p);
        snprintf(status, sizeof status, "%.*s", r.ncells > 10 ? (int)r.cells[10].n : 0, r.ncells > 10 ? r.cells[10].p : "");
        assert_true(r.cells[9].n > 0);                          /* 匹配依据 always says why */
        if (strcmp(status, "auto") == 0) {
            autos++;
            assert_string_equal(ours, label(city_code));
        }
        if (strcmp(status, "none") == 0)
            assert_string_equal(ours, "");
    }
    table_close(t);
    assert_int_equal(k, 61);
    assert_true(autos >= 15);
    buf_release(&out);
}

static long
upload(struct server *srv, const char *bearer, const char *path, struct resp *r)
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
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xlsx\"\r\n"
                      "Content-Type: application/octet-stream\r\n\r\n", BOUNDARY);
    buf_add(&body, file.data, file.len);
    buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, bearer);
    long s = client_send(&c, "POST", "/api/v1/site-matches", body.data, body.len, headers, 0, r);
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
    char path[160];
    const char *city = make_set(srv, "http-city.xlsx");
    post_sites(srv);

    assert_int_equal(upload(srv, tok_ro.data, city, &r), 403);
    assert_int_equal(upload(srv, tok_rw.data, city, &r), 201);
    assert_int_equal(resp_int(&r, "rows"), 60);
    assert_int_equal(resp_int(&r, "total"), 60);
    assert_string_equal(resp_str(&r, "crs"), "gcj02");
    int64_t id = resp_int(&r, "id"), autos = resp_int(&r, "counts.auto");
    assert_true(autos >= 15);

    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, tok_rw.data);
    snprintf(path, sizeof path, "/api/v1/site-matches/%lld?status=auto&limit=5", (long long)id);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    assert_int_equal(resp_int(&r, "total"), autos);
    int64_t row0 = resp_int(&r, "items.0.row"), row1 = resp_int(&r, "items.1.row");
    char held[64];
    str_copy(held, sizeof held, resp_str(&r, "items.1.site_code"));
    assert_string_equal(resp_str(&r, "items.0.site_code"), label(resp_str(&r, "items.0.city_code")));

    snprintf(path, sizeof path, "/api/v1/site-matches/%lld/rows/%lld", (long long)id, (long long)row0);
    assert_int_equal(client_call(&c, "POST", path, "{\"action\":\"reject\"}", &r), 200);
    assert_string_equal(resp_str(&r, "status"), "rejected");
    assert_int_equal(client_call(&c, "POST", path, "{\"action\":\"accept\"}", &r), 200);
    assert_string_equal(resp_str(&r, "status"), "accepted");
    assert_int_equal(client_pack(&c, "POST", path, &r, "{s:s, s:s}", "action", "repoint", "site_code", held), 409);
    assert_int_equal(client_call(&c, "POST", path, "{\"action\":\"delete\"}", &r), 400);
    (void)row1;
    snprintf(path, sizeof path, "/api/v1/site-matches/%lld/result.xlsx", (long long)id);
    assert_int_equal(client_call(&c, "GET", path, NULL, &r), 200);
    assert_true(r.body.len > 100 && memcmp(r.body.data, "PK", 2) == 0);
    assert_int_equal(client_call(&c, "GET", "/api/v1/site-matches/999999", NULL, &r), 404);
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
    int failed = server_run("site_matches", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release(&tok_rw);
    buf_release(&tok_ro);
    return failed;
}
