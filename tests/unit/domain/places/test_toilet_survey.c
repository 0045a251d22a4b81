/* tests/unit/domain/places/test_toilet_survey.c - the survey sheet cleaner (R3.7) on sheets
 * written by /usr/bin/python3 + openpyxl (tests/support/fixtures/make_survey.py): title
 * rows, merged toilet cells, GCJ-02 decimals, DMS and swapped coordinates, short and spaced
 * subdistricts, camera IDs with full-width digits, ="…", apostrophe, hyphens, scientific
 * notation, a missing digit, a repeated row. Also subdistrict name resolution. Pure: no
 * database (the divisions come from the compiled-in data/divisions.csv).
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

#include "core/err.h"
#include "domain/places/subdistrict_names.h"
#include "domain/places/toilet_survey.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"

static char tmpdir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_toilet_survey.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void
test_subdistrict_names(void **state)
{
    struct subdistrict_names r = SUBDISTRICT_NAMES_INIT;
    bool exact;
    const struct subdistrict_entry *e;
    (void)state;
    subdistrict_names_from_data(&r);
    e = subdistrict_names_find(&r, STR_LIT("广内"), &exact);
    assert_non_null(e);
    assert_string_equal(e->code, "110102017");
    assert_string_equal(e->name, "广安门内街道");
    assert_false(exact);
    e = subdistrict_names_find(&r, STR_LIT("西长安街"), &exact);
    assert_string_equal(e->code, "110102001");
    e = subdistrict_names_find(&r, STR_LIT("西长安街街道"), &exact);
    assert_string_equal(e->code, "110102001");
    assert_true(exact);
    e = subdistrict_names_find(&r, STR_LIT(" 牛　街 "), &exact);
    assert_string_equal(e->code, "110102018");
    assert_false(exact);
    e = subdistrict_names_find(&r, STR_LIT("北京市西城区什刹海街道办事处"), NULL);
    assert_string_equal(e->code, "110102012");
    e = subdistrict_names_find(&r, STR_LIT("110102020"), &exact);
    assert_string_equal(e->name, "广安门外街道");
    assert_true(exact);
    assert_null(subdistrict_names_find(&r, STR_LIT("朝阳"), NULL));
    assert_null(subdistrict_names_find(&r, STR_LIT(""), NULL));
    assert_null(subdistrict_names_find(&r, STR_LIT("街道"), NULL));
    subdistrict_names_release(&r);
}

struct expect {
    uint64_t num;
    const char *status;
    const char *reason_has;   /* substring of the reason, or NULL */
    const char *subdistrict;  /* when the toilet is usable */
    const char *gb_id;        /* "" when no usable camera */
};

#define CAM(n) "11010200001310000" n

static const struct expect messy_rows[] = {
    { 1, "skipped", "title row", NULL, "" },
    { 2, "skipped", "title row", NULL, "" },
    { 3, "skipped", "header row", NULL, "" },
    { 4, "fixed", "subdistrict name completed", "110102001", CAM("001") },
    { 5, "fixed", "camera ID cleaned", "110102001", CAM("002") },
    { 6, "accepted", NULL, "110102001", "11010200001320000010" },
    { 7, "fixed", "degrees-minutes-seconds", "110102017", CAM("003") },
    { 8, "rejected", "camera ID rejected", "110102017", "" },
    { 9, "fixed", "swapped", "110102018", CAM("005") },
    { 10, "rejected", "toilet kept", "110102018", "" },
    { 11, "fixed", "camera ID cleaned", "110102012", CAM("007") },
    { 12, "duplicate", "repeats row 11", "110102012", CAM("007") },
    { 13, "rejected", "coordinates rejected", NULL, CAM("011") },
    { 14, "fixed", "subdistrict name completed", "110102007", "" },
    { 15, "rejected", "unknown subdistrict", NULL, CAM("012") },
};

static void
check_sheet(const char *path, bool merged)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct toilet_survey s;
    struct table *t = NULL;
    struct table_row row;
    struct toilet_survey_row out;
    struct buf why = BUF_INIT;
    size_t k = 0;
    int rc;

    subdistrict_names_from_data(&names);
    toilet_survey_init(&s, &names, GEO_WGS84); /* the title says GCJ-02: believed */
    assert_int_equal(table_open_path(path, &t, &why), 0);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        toilet_survey_feed(&s, &row, &out);
        assert_true(k < sizeof messy_rows / sizeof *messy_rows);
        const struct expect *e = &messy_rows[k++];
        assert_int_equal(out.num, e->num);
        if (strcmp(toilet_row_status_code(out.status), e->status) != 0)
            fail_msg("row %llu: %s (%s), expected %s", (unsigned long long)out.num,
                     toilet_row_status_code(out.status), out.reason, e->status);
        if (e->reason_has && !strstr(out.reason, e->reason_has))
            fail_msg("row %llu: reason '%s' lacks '%s'", (unsigned long long)out.num, out.reason,
                     e->reason_has);
        assert_int_equal(out.has_toilet, e->subdistrict != NULL);
        if (e->subdistrict)
            assert_string_equal(out.toilet.subdistrict, e->subdistrict);
        bool cam = out.camera == TOILET_CAMERA_OK || out.camera == TOILET_CAMERA_FIXED;
        assert_string_equal(cam ? out.gb_id : "", e->gb_id);
        if (out.num == 5 || out.num == 6) /* filled down from row 4 */
            assert_string_equal(out.toilet.name, "西单北大街公厕");
        if (out.num == 4) {
            /* GCJ-02 in the sheet, WGS-84 out: within a metre of the true point */
            assert_true(out.toilet.pos.lon > 116.37399 && out.toilet.pos.lon < 116.37401);
            assert_true(out.toilet.pos.lat > 39.90999 && out.toilet.pos.lat < 39.91001);
            assert_true(out.toilet_first);
            assert_string_equal(out.toilet.key, "110102001:西单北大街公厕");
        }
        if (out.num == 9) { /* swapped and GCJ-02 */
            assert_true(out.toilet.pos.lon > 116.36199 && out.toilet.pos.lon < 116.36201);
            assert_true(out.toilet.pos.lat > 39.88099 && out.toilet.pos.lat < 39.88101);
        }
        if (out.num == 7) { /* DMS at 0.01″ ≈ 0.3 m */
            assert_true(out.toilet.pos.lon > 116.35599 && out.toilet.pos.lon < 116.35601);
            assert_true(out.toilet.pos.lat > 39.88899 && out.toilet.pos.lat < 39.88901);
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(k, sizeof messy_rows / sizeof *messy_rows);
    assert_int_equal(toilet_survey_finish(&s, &why), 0);
    assert_true(s.crs_from_sheet);
    assert_int_equal(s.crs, GEO_GCJ02);
    assert_int_equal(s.counts.toilets, 5);   /* T1 T2 T3 T4 T6 */
    assert_int_equal(s.counts.cameras, 6);   /* 1 2 10 3 5 7 */
    assert_int_equal(s.counts.cameras_rejected, 2);
    assert_int_equal(s.counts.by_status[TOILET_ROW_REJECTED], 4);
    assert_int_equal(s.counts.by_status[TOILET_ROW_DUPLICATE], 1);
    (void)merged;
    toilet_survey_release(&s);
    table_close(t);
    subdistrict_names_release(&names);
    buf_release(&why);
}

static void
test_messy_xlsx(void **state)
{
    (void)state;
    check_sheet(pyfixture_make(tmpdir, "make_survey.py", "survey.xlsx", ""), true);
}

static void
test_messy_csv(void **state)
{
    (void)state;
    check_sheet(pyfixture_make(tmpdir, "make_survey.py", "survey.csv", ""), false);
}

/* Rows made in memory: the cleaner must never crash and must classify hostile rows. */
static void
test_hostile_rows(void **state)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct toilet_survey s;
    struct toilet_survey_row out;
    struct buf why = BUF_INIT;
    (void)state;
    subdistrict_names_from_data(&names);
    toilet_survey_init(&s, &names, GEO_GCJ02);

    struct str h[] = { STR_LIT("公厕名称（必填）"), STR_LIT("街道"), STR_LIT("坐标"), STR_LIT("国标编码") };
    struct table_row r = { h, 4, 1 };
    toilet_survey_feed(&s, &r, &out);
    assert_int_equal(out.status, TOILET_ROW_SKIPPED);
    assert_true(s.header_found);

    /* a data row before any toilet, camera only: nothing to fill down from */
    struct str c1[] = { STR_LIT(""), STR_LIT(""), STR_LIT(""), STR_LIT(CAM("001")) };
    r = (struct table_row){ c1, 4, 2 };
    toilet_survey_feed(&s, &r, &out);
    assert_int_equal(out.status, TOILET_ROW_REJECTED);
    assert_string_equal(out.reason, "no toilet name");

    /* one coordinate cell, full-width comma */
    struct str c2[] = { STR_LIT("德胜门公厕"), STR_LIT("德胜"), STR_LIT("116.38，39.95"), STR_LIT("") };
    r = (struct table_row){ c2, 4, 3 };
    toilet_survey_feed(&s, &r, &out);
    assert_true(out.has_toilet);
    assert_string_equal(out.toilet.subdistrict, "110102010");

    /* a short row (the toilet's cells only) and invalid UTF-8 */
    struct str c3[] = { STR_LIT("\xff\xfe"), STR_LIT("\xe5\xb9") };
    r = (struct table_row){ c3, 2, 4 };
    toilet_survey_feed(&s, &r, &out);
    assert_int_equal(out.status, TOILET_ROW_REJECTED);
    assert_int_equal(toilet_survey_finish(&s, &why), 0);
    toilet_survey_release(&s);

    /* no header at all */
    toilet_survey_init(&s, &names, GEO_GCJ02);
    struct str c4[] = { STR_LIT("hello") };
    for (uint64_t i = 1; i <= TOILET_SURVEY_HEADER_ROWS + 1; i++) {
        r = (struct table_row){ c4, 1, i };
        toilet_survey_feed(&s, &r, &out);
    }
    assert_int_equal(out.status, TOILET_ROW_REJECTED);
    assert_int_equal(toilet_survey_finish(&s, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "header"));
    toilet_survey_release(&s);
    subdistrict_names_release(&names);
    buf_release(&why);
}

/* 社区 cells resolve within the toilet's subdistrict; an unknown one is left out, noted. */
static void
test_community(void **state)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct toilet_survey s;
    struct toilet_survey_row out;
    (void)state;
    subdistrict_names_from_data(&names);
    toilet_survey_init(&s, &names, GEO_WGS84);
    struct str h[] = { STR_LIT("公厕名称"), STR_LIT("街道"), STR_LIT("社区"), STR_LIT("坐标"), STR_LIT("国标编码") };
    struct table_row r = { h, 5, 1 };
    toilet_survey_feed(&s, &r, &out);
    struct str c1[] = { STR_LIT("西便门公厕"), STR_LIT("广安门内街道"), STR_LIT("西便门西里社区"),
                        STR_LIT("116.35,39.90"), STR_LIT("") };
    r = (struct table_row){ c1, 5, 2 };
    toilet_survey_feed(&s, &r, &out);
    assert_int_equal(out.status, TOILET_ROW_ACCEPTED);
    assert_string_equal(out.toilet.community, "110102017001");
    struct str c2[] = { STR_LIT("西便门公厕二"), STR_LIT("广安门内街道"), STR_LIT("新街口社区"),
                        STR_LIT("116.35,39.90"), STR_LIT("") };
    r = (struct table_row){ c2, 5, 3 };
    toilet_survey_feed(&s, &r, &out);
    assert_int_equal(out.status, TOILET_ROW_FIXED);
    assert_string_equal(out.toilet.community, "");
    assert_non_null(strstr(out.reason, "community not found"));
    toilet_survey_release(&s);
    subdistrict_names_release(&names);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subdistrict_names),
        cmocka_unit_test(test_messy_xlsx),
        cmocka_unit_test(test_messy_csv),
        cmocka_unit_test(test_hostile_rows),
        cmocka_unit_test(test_community),
    };
    return cmocka_run_group_tests_name("toilet_survey", tests, setup, teardown);
}
