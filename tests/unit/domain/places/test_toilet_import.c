/* tests/unit/domain/places/test_toilet_import.c - loading a toilet survey into the ledger
 * (R3.7) on SQLite and PostgreSQL: the messy survey of tests/support/fixtures/make_survey.py
 * (written by /usr/bin/python3 + openpyxl) gives exactly its toilets and camera listings;
 * re-importing it changes nothing; the row report is stored; a subdistrict actor imports
 * only its own toilets; the .xlsx report is readable.
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
#include "domain/places/toilet_import.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"
#include "io/xlsxw.h"

static char tmpdir[64];

static const char *
survey_path(const char *name)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_toilet_import.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    return pyfixture_make(tmpdir, "make_survey.py", name, "");
}

static int
run_import(struct apptest *at, const struct actor *a, const char *path, struct toilet_import_result *res)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    int rc;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    rc = toilet_import(&at->app, at->db, a, t, GEO_WGS84, NULL, NULL, res, &why);
    if (rc)
        print_error("import: %s\n", why.data);
    table_close(t);
    buf_release(&why);
    return rc;
}

static const char sql_toilets[] = "SELECT count(*) FROM places WHERE kind = 'toilet' AND source = 'survey'";
static const char sql_listings[] = "SELECT count(*) FROM toilet_cameras";
static const char sql_history[] = "SELECT count(*) FROM place_history";

static void
test_import_and_reimport(void **state)
{
    struct apptest *at = *state;
    struct toilet_import_result res;
    const char *path = survey_path("survey.xlsx");

    assert_int_equal(run_import(at, &at->admin, path, &res), 0);
    assert_true(res.id > 0);
    assert_int_equal(res.counts.rows, 15);
    assert_int_equal(res.counts.by_status[TOILET_ROW_SKIPPED], 3);
    assert_int_equal(res.counts.by_status[TOILET_ROW_REJECTED], 4);
    assert_int_equal(res.counts.by_status[TOILET_ROW_DUPLICATE], 1);
    assert_int_equal(res.counts.by_status[TOILET_ROW_ACCEPTED], 1);
    assert_int_equal(res.counts.by_status[TOILET_ROW_FIXED], 6);
    assert_int_equal(res.toilets_new, 5);
    assert_int_equal(res.cameras_new, 6);
    assert_int_equal(res.crs, GEO_GCJ02);
    assert_true(res.crs_from_sheet);
    assert_int_equal(apptest_i64(at->db, sql_toilets, 0), 5);
    assert_int_equal(apptest_i64(at->db, sql_listings, 0), 6);
    /* the toilet of rows 4-6 lies at its true WGS-84 point, to the micro-degree */
    assert_int_equal(apptest_i64_text(at->db, "SELECT lon_e6 FROM places WHERE name = ?1", "西单北大街公厕"),
                     116374000);
    assert_int_equal(apptest_i64_text(at->db, "SELECT lat_e6 FROM places WHERE name = ?1", "西单北大街公厕"),
                     39910000);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM toilet_cameras tc JOIN places p"
                                              " ON p.id = tc.place_id WHERE p.name = ?1", "西单北大街公厕"), 3);
    int64_t history = apptest_i64(at->db, sql_history, 0);

    /* again: nothing changes, and the import says so */
    struct toilet_import_result again;
    assert_int_equal(run_import(at, &at->admin, path, &again), 0);
    assert_int_equal(again.toilets_new, 0);
    assert_int_equal(again.cameras_new, 0);
    assert_int_equal(again.counts.toilets, 5);
    assert_int_equal(apptest_i64(at->db, sql_toilets, 0), 5);
    assert_int_equal(apptest_i64(at->db, sql_listings, 0), 6);
    assert_int_equal(apptest_i64(at->db, sql_history, 0), history);

    /* the same survey as CSV is the same ledger too */
    assert_int_equal(run_import(at, &at->admin, survey_path("survey.csv"), &again), 0);
    assert_int_equal(again.toilets_new + again.cameras_new, 0);
    assert_int_equal(apptest_count_audit(at->db, "toilets.import", NULL, "ok"), 3);
    apptest_audit_intact(at);
}

static void
test_report_rows(void **state)
{
    struct apptest *at = *state;
    struct toilet_import_result res;
    struct toilet_import_info info;
    struct toilet_report_row *rows;
    struct arena arena = ARENA_INIT;
    size_t n;
    int64_t total;

    assert_int_equal(run_import(at, &at->admin, survey_path("survey.xlsx"), &res), 0);
    assert_int_equal(toilet_import_get(at->db, &at->admin, res.id, &arena, &info), 0);
    assert_string_equal(info.crs, "gcj02");
    assert_int_equal(info.rows, 15);
    assert_int_equal(info.cameras_new, 6);
    assert_int_equal(toilet_import_rows(at->db, &at->admin, res.id, NULL, 0, 1000, &arena, &rows, &n, &total), 0);
    assert_int_equal(n, 15);
    assert_int_equal(total, 15);
    assert_string_equal(rows[7].status, "rejected");      /* row 8: scientific notation */
    assert_non_null(strstr(rows[7].reason, "camera ID rejected"));
    assert_string_equal(rows[7].name, "广内大街公厕");     /* the toilet is kept */
    assert_string_equal(rows[7].subdistrict, "广安门内街道");
    assert_string_equal(rows[4].gb_id, "11010200001310000002");
    assert_string_equal(rows[4].camera, "fixed");
    assert_int_equal(toilet_import_rows(at->db, &at->admin, res.id, "rejected", 0, 1000, &arena, &rows, &n,
                                        &total), 0);
    assert_int_equal(total, 4);
    assert_int_equal(rows[0].num, 8);
    /* paging */
    assert_int_equal(toilet_import_rows(at->db, &at->admin, res.id, NULL, 10, 2, &arena, &rows, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].num, 11);
    /* another subdistrict's actor does not see a district import */
    struct actor scoped;
    apptest_scoped(at, APPTEST_SUBDISTRICT2, &scoped);
    assert_int_equal(toilet_import_get(at->db, &scoped, res.id, &arena, &info), ERR_NOT_FOUND);

    /* the .xlsx report reads back with the same rows */
    char path[128];
    struct xlsxw *w = NULL;
    snprintf(path, sizeof path, "%s/report.xlsx", tmpdir);
    assert_int_equal(toilet_report_xlsx_open(XLSXW_PATH(path), &w), 0);
    assert_int_equal(toilet_import_rows(at->db, &at->admin, res.id, NULL, 0, 1000, &arena, &rows, &n, &total), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(toilet_report_xlsx_row(w, &rows[i]), 0);
    assert_int_equal(xlsxw_close(w), 0);
    struct table *t = NULL;
    struct table_row r;
    size_t k = 0;
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (k == 8) {
            assert_true(str_eq_cstr(r.cells[1], "rejected"));
            assert_true(str_eq_cstr(r.cells[3], "广内大街公厕"));
        }
        k++;
    }
    assert_int_equal(k, 16);
    table_close(t);
    arena_release(&arena);
}

static void
test_scoped_actor(void **state)
{
    struct apptest *at = *state;
    struct toilet_import_result res;
    struct actor a;
    /* 西长安街街道 only: T1 (three cameras) */
    apptest_scoped(at, APPTEST_SUBDISTRICT, &a);
    assert_int_equal(run_import(at, &a, survey_path("survey.xlsx"), &res), 0);
    assert_int_equal(res.toilets_new, 1);
    assert_int_equal(res.cameras_new, 3);
    assert_int_equal(res.counts.toilets, 1);
    assert_int_equal(res.counts.cameras, 3);
    assert_int_equal(apptest_i64(at->db, sql_toilets, 0), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM toilet_import_rows WHERE reason = ?1",
                                      "outside your subdistrict"), 7);
}

static void
test_not_a_survey(void **state)
{
    struct apptest *at = *state;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct toilet_import_result res;
    static const char csv[] = "姓名,身份证号\n张三,110101199003077777\n";
    assert_int_equal(table_open_mem(csv, sizeof csv - 1, &t, &why), 0);
    assert_int_equal(toilet_import(&at->app, at->db, &at->admin, t, GEO_WGS84, NULL, NULL, &res, &why),
                     ERR_INVALID);
    assert_non_null(strstr(why.data, "header"));
    assert_int_equal(apptest_i64(at->db, sql_toilets, 0), 0);
    table_close(t);
    buf_release(&why);
}

/* a 社区 cell is stored as the community's code */
static void
test_community_code(void **state)
{
    struct apptest *at = *state;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct toilet_import_result res;
    static const char csv[] = "公厕名称,街道,社区,经度,纬度,摄像头编码\n"
                              "西便门公厕,广内,西便门西里社区,116.35,39.90,11010200001310000001\n";
    assert_int_equal(table_open_mem(csv, sizeof csv - 1, &t, &why), 0);
    assert_int_equal(toilet_import(&at->app, at->db, &at->admin, t, GEO_WGS84, NULL, NULL, &res, &why), 0);
    assert_int_equal(res.toilets_new, 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM places WHERE community = ?1", "110102017001"), 1);
    table_close(t);
    buf_release(&why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_import_and_reimport),
        APPTEST(test_report_rows),
        APPTEST(test_scoped_actor),
        APPTEST(test_not_a_survey),
        APPTEST(test_community_code),
    };
    int failed = apptest_run("toilet_import", tests, sizeof tests / sizeof tests[0]);
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            failed++;
    }
    return failed;
}
