/* tests/unit/domain/exchange/test_site_match.c - city↔district site matching (issue 11,
 * R2.11) on SQLite and PostgreSQL: the normalised forms of the ways one site is written;
 * a labelled set made by tests/support/fixtures/make_city_sites.py (/usr/bin/python3 +
 * openpyxl; the city export as .xlsx and .csv) matched against the sites it lists, every
 * auto-accepted pair right and applied to sites.city_code, re-running changes no site; the
 * review: reject clears the mapping, accept restores it, re-point to a free site, re-point
 * to a site another accepted row holds is ERR_CONFLICT; another subdistrict's actor does
 * not see a district run.
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

#include "apptest.h"
#include "core/err.h"
#include "domain/exchange/site_match.h"
#include "domain/places/subdistrict_names.h"
#include "domain/testing/site.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"

static char tmpdir[64];
static char sites_csv[600], labels_csv[600];

static const char *
make_set(const char *name)
{
    char extra[1300];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_site_match.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    snprintf(sites_csv, sizeof sites_csv, "%s/sites.csv", tmpdir);
    snprintf(labels_csv, sizeof labels_csv, "%s/labels.csv", tmpdir);
    snprintf(extra, sizeof extra, "'%s' '%s' --sites 40 --rows 90 --seed 5", sites_csv, labels_csv);
    return pyfixture_make(tmpdir, "make_city_sites.py", name, extra);
}

/* load_sites creates the sites of SITES.csv; returns how many. */
static size_t
load_sites(struct apptest *at)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct table *t = NULL;
    struct table_row r;
    size_t n = 0;
    char buf[6][200];
    assert_int_equal(subdistrict_names_load(&names, at->db), 0);
    assert_int_equal(table_open_path(sites_csv, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (r.num == 1)
            continue;
        assert_int_equal(r.ncells, 6);
        for (int i = 0; i < 6; i++)
            snprintf(buf[i], sizeof buf[i], "%.*s", (int)r.cells[i].n, r.cells[i].p);
        const struct subdistrict_entry *e = subdistrict_names_find(&names, str_of(buf[2]), NULL);
        assert_non_null(e);
        json_t *o = apptest_site_obj(buf[0], e->code);
        json_object_set_new(o, "name", json_string(buf[1]));
        json_object_set_new(o, "address", json_string(buf[3]));
        json_object_set_new(o, "lon", json_real(atof(buf[4])));
        json_object_set_new(o, "lat", json_real(atof(buf[5])));
        apptest_accept(at, &site_kind, o);
        n++;
    }
    table_close(t);
    subdistrict_names_release(&names);
    return n;
}

/* label returns the district code the labels give city code (static; "" = none). */
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

static int
run(struct apptest *at, const struct actor *a, const char *path, struct site_match_result *res)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    int rc = site_match_run(&at->app, at->db, a, t, GEO_WGS84, 0, NULL, NULL, res, &why);
    if (rc)
        print_error("run: %s\n", why.data);
    table_close(t);
    buf_release(&why);
    return rc;
}

static void
test_norm(void **state)
{
    (void)state;
    char a[SITE_MATCH_NORM_CAP], b[SITE_MATCH_NORM_CAP], c[SITE_MATCH_NORM_CAP];
    site_match_norm("西长安街街道广安门内大街一号院(东门)便民核酸检测点", a);
    site_match_norm("北京市西城区 广安门内大街01号（东门）核酸采样点", b);
    assert_string_equal(a, "广安门内大街1号东门");
    assert_string_equal(a, b);
    site_match_norm("广安门内大街1号附近", c);
    assert_string_equal(c, "广安门内大街1号");
    assert_true(site_match_similarity(a, b) == 1.0);
    assert_true(site_match_similarity("", b) == 0.0);
    assert_true(site_match_similarity("月坛南街", "三里河路") < 0.2);
}

static void
test_run_labelled(void **state)
{
    struct apptest *at = *state;
    struct site_match_result res;
    struct site_match_run_info info;
    struct site_match_row *rows;
    struct arena arena = ARENA_INIT;
    size_t n, right = 0, labelled = 0;
    int64_t total;
    const char *xlsx = make_set("city.xlsx");
    assert_int_equal(load_sites(at), 40);

    assert_int_equal(run(at, &at->admin, xlsx, &res), 0);
    assert_int_equal(res.rows, 90);
    assert_int_equal(res.sites, 40);
    assert_int_equal(res.header_row, 2);     /* a title row above the header */
    assert_int_equal(res.auto_accepted + res.to_review + res.unmatched, 90);
    assert_true(res.auto_accepted > 20);
    assert_int_equal(site_match_run_get(at->db, &at->admin, res.id, &arena, &info), 0);
    assert_int_equal(info.auto_accepted, (int64_t)res.auto_accepted);
    assert_string_equal(info.crs, "gcj02");     /* named by the header */
    assert_int_equal(site_match_rows(at->db, &at->admin, res.id, NULL, 0, 1000, &arena, &rows, &n, &total), 0);
    assert_int_equal(n, 90);
    for (size_t i = 0; i < n; i++) {
        const char *want = label(rows[i].city_code);
        labelled += want[0] != '\0';
        right += want[0] && strcmp(want, rows[i].site_code) == 0;
        if (strcmp(rows[i].status, "auto") == 0) {
            assert_string_equal(rows[i].site_code, want);       /* every auto pair is right */
            assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sites WHERE city_code = ?1",
                                              rows[i].city_code), 1);
        }
        if (strcmp(rows[i].status, "none") == 0)
            assert_string_equal(rows[i].site_code, "");
    }
    assert_int_equal(labelled, 34);            /* 85% of 40 sites */
    assert_true(right >= labelled - 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sites WHERE city_code IS NOT NULL", 0),
                     (int64_t)res.auto_accepted);
    int64_t history = apptest_i64(at->db, "SELECT count(*) FROM site_history", 0);

    /* the same export as CSV: the same pairs, no site changes again */
    struct site_match_result again;
    assert_int_equal(run(at, &at->admin, make_set("city.csv"), &again), 0);
    assert_int_equal(again.auto_accepted, res.auto_accepted);
    assert_int_equal(again.to_review, res.to_review);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM site_history", 0), history);
    assert_int_equal(apptest_count_audit(at->db, "site_matches.run", NULL, "ok"), 2);

    /* a district run is not seen by a subdistrict actor */
    struct actor scoped;
    apptest_scoped(at, APPTEST_SUBDISTRICT2, &scoped);
    assert_int_equal(site_match_run_get(at->db, &scoped, res.id, &arena, &info), ERR_NOT_FOUND);
    arena_release(&arena);
    apptest_audit_intact(at);
}

static void
test_review(void **state)
{
    struct apptest *at = *state;
    struct site_match_result res;
    struct site_match_row *rows;
    struct arena arena = ARENA_INIT;
    size_t n;
    int64_t total;
    struct buf *why = apptest_why();
    load_sites(at);
    assert_int_equal(run(at, &at->admin, make_set("city.xlsx"), &res), 0);
    assert_int_equal(site_match_rows(at->db, &at->admin, res.id, "auto", 0, 1000, &arena, &rows, &n, &total), 0);
    assert_true(n >= 2);
    struct site_match_row first = rows[0], second = rows[1];
    const char *sql_code = "SELECT count(*) FROM sites WHERE city_code = ?1";

    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, first.num, SITE_MATCH_REJECT, NULL, why), 0);
    assert_int_equal(apptest_i64_text(at->db, sql_code, first.city_code), 0);
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, first.num, SITE_MATCH_ACCEPT, NULL, why), 0);
    assert_int_equal(apptest_i64_text(at->db, sql_code, first.city_code), 1);
    /* re-pointing the first row to the second row's site: held by an accepted row */
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, first.num, SITE_MATCH_REPOINT,
                                       second.site_code, why), ERR_CONFLICT);
    /* an unmatched row re-pointed to a site nobody holds */
    assert_int_equal(site_match_rows(at->db, &at->admin, res.id, "none", 0, 1000, &arena, &rows, &n, &total), 0);
    assert_true(n >= 1);
    static char codes[2][16];
    const char *free_code = NULL, *free2 = NULL;
    for (int k = 1, got = 0; k <= 40 && got < 2; k++) {
        snprintf(codes[got], sizeof codes[got], "XC%05d", k);
        if (apptest_i64_text(at->db, "SELECT count(*) FROM site_match_rows WHERE site_id ="
                                     " (SELECT id FROM sites WHERE code = ?1)", codes[got]) == 0)
            got++;
    }
    free_code = codes[0];
    free2 = codes[1];
    assert_true(free2[0] && strcmp(free_code, free2));
    int64_t none_num = rows[0].num;
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, none_num, SITE_MATCH_REPOINT,
                                       free_code, why), 0);
    assert_int_equal(site_match_rows(at->db, &at->admin, res.id, "accepted", 0, 1000, &arena, &rows, &n, &total), 0);
    assert_int_equal(total, 2);
    size_t k = rows[0].num == none_num ? 0 : 1;
    assert_int_equal(rows[k].num, none_num);
    assert_string_equal(rows[k].site_code, free_code);
    assert_string_equal(rows[k].reasons, "人工改派");
    /* re-pointing an accepted pair moves the city's code: the old site loses it (fixed: it kept it) */
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sites WHERE code = ?1 AND city_code IS NOT NULL",
                                      first.site_code), 1);
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, first.num, SITE_MATCH_REPOINT, free2,
                                       why), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sites WHERE code = ?1 AND city_code IS NOT NULL",
                                      first.site_code), 0);
    assert_int_equal(apptest_i64_text(at->db, sql_code, first.city_code), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sites WHERE code = ?1 AND city_code IS NOT NULL",
                                      free2), 1);
    /* an unknown site, and a row that does not exist */
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, first.num, SITE_MATCH_REPOINT,
                                       "NOPE", why), ERR_NOT_FOUND);
    assert_int_equal(site_match_review(&at->app, at->db, &at->admin, res.id, 99999, SITE_MATCH_ACCEPT, NULL, why),
                     ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "site_matches.review", NULL, "ok"), 4);
    arena_release(&arena);
    apptest_audit_intact(at);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm),
        APPTEST(test_run_labelled),
        APPTEST(test_review),
    };
    return apptest_run("site_match", tests, sizeof tests / sizeof tests[0]);
}
