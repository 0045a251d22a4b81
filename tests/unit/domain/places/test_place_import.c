/* tests/unit/domain/places/test_place_import.c - importing place ledgers with a row report
 * (domain/places/place_import.h; R3.2, R3.7, issue 8) on SQLite and PostgreSQL.
 *
 * The sheet is a CSV in the shape the subdistricts send (a title naming GCJ-02, a header,
 * swapped and DMS coordinates, short subdistrict names, a row outside Beijing, an unknown
 * subdistrict, a row without a code); the GeoJSON is a zone and a point. Importing twice
 * must change nothing. Every row gets a status and, when not plainly accepted, a reason.
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
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/places/place.h"
#include "domain/places/place_import.h"

static const char CSV[] =
    "西城区公厕台账（坐标系：GCJ02）\n"
    "编号,名称,街道,地址,经度,纬度,备注\n"
    "GC-001,广内公厕1,广内,广安门内大街1号,116.3641,39.8937,\n"
    "GC-002,椿树公厕,椿树街道,椿树胡同2号,39.8947,116.3701,列颠倒\n"
    "GC-003,远方公厕,西长安街,某处,121.47,31.23,\n"
    "GC-004,度分秒公厕,西长安街,某处,116°22′05.3″,39°54′24″,\n"
    ",无名,西长安街,,116.36,39.89,\n"
    "GC-006,错街道,火星街道,,116.36,39.89,\n";

static const char GEOJSON[] =
    "{\"type\":\"FeatureCollection\",\"features\":["
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[116.38,39.90],[116.39,39.90],"
    "[116.39,39.91],[116.38,39.91],[116.38,39.90]]]},\"properties\":{\"kind\":\"zone\",\"name\":\"封控区A\","
    "\"subdistrict\":\"西长安街\",\"zone_level\":\"fengkong\",\"external_id\":\"za\"}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[116.37,39.90]},"
    "\"properties\":{\"kind\":\"fangcang\",\"name\":\"方舱1\",\"code\":\"FC-1\"}},"
    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[2.35,48.85]},"
    "\"properties\":{\"kind\":\"fangcang\",\"name\":\"远方\",\"code\":\"FC-2\"}}]}";

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void
test_sheet(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place_import_report rep;
    struct place_import_opts opts = { .kind = "toilet", .source = "survey" };
    struct buf why = BUF_INIT;
    char path[64];
    time_set_fake_ms(APPTEST_NOW);
    snprintf(path, sizeof path, "/tmp/jy-place-import-%d.csv", (int)getpid());
    write_file(path, CSV);
    assert_int_equal(place_import_file(&at->app, at->db, &at->admin, path, &opts, &arena, &rep, &why), 0);
    assert_int_equal(rep.crs, GEO_GCJ02);
    assert_int_equal(rep.n, 6);
    assert_int_equal(rep.fixed, 4);
    assert_int_equal(rep.rejected, 2);
    static const char *const status[] = { "fixed", "fixed", "rejected", "fixed", "fixed", "rejected" };
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(rep.rows[i].status, status[i]);
        assert_int_equal(rep.rows[i].num, i + 3); /* sheet rows 3..8 */
        assert_true(rep.rows[i].reason[0] != '\0');
    }
    assert_non_null(strstr(rep.rows[0].reason, "converted from gcj02"));
    assert_non_null(strstr(rep.rows[0].reason, "subdistrict name completed"));
    assert_non_null(strstr(rep.rows[1].reason, "swapped"));
    assert_string_equal(rep.rows[2].reason, "the point is outside Beijing");
    assert_non_null(strstr(rep.rows[3].reason, "degrees-minutes-seconds"));
    assert_string_equal(rep.rows[5].reason, "subdistrict is not one of the district's");
    /* 广内 is 广安门内街道 (110102017 in data/divisions.csv); the point came back to WGS-84. */
    struct place p;
    assert_int_equal(place_get(at->db, &at->admin, rep.rows[0].id, &arena, &p), 0);
    assert_string_equal(p.subdistrict_name, "广安门内街道");
    struct geo_point w = geo_to_wgs84(GEO_GCJ02, (struct geo_point){ 116.3641, 39.8937 });
    assert_int_equal(p.lon_e6, geo_e6(w.lon));
    /* Again: nothing changes. */
    assert_int_equal(place_import_file(&at->app, at->db, &at->admin, path, &opts, &arena, &rep, &why), 0);
    assert_int_equal(rep.duplicate, 4);
    assert_int_equal(rep.accepted + rep.fixed, 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM places WHERE site_id IS NULL", 0), 4);
    unlink(path);
    /* Not a ledger: no header. */
    snprintf(path, sizeof path, "/tmp/jy-place-import-%d-b.csv", (int)getpid());
    write_file(path, "a,b\n1,2\n");
    buf_reset(&why);
    assert_int_equal(place_import_file(&at->app, at->db, &at->admin, path, &opts, &arena, &rep, &why), ERR_INVALID);
    assert_true(why.len > 0);
    unlink(path);
    buf_release(&why);
    arena_release(&arena);
}

static void
test_geojson(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place_import_report rep;
    struct place_import_opts opts = { .source = "lingxiang" };
    struct buf why = BUF_INIT;
    struct place p;
    time_set_fake_ms(APPTEST_NOW);
    assert_int_equal(place_import_geojson(&at->app, at->db, &at->admin, GEOJSON, strlen(GEOJSON), &opts, &arena,
                                          &rep, &why), 0);
    assert_int_equal(rep.n, 3);
    assert_string_equal(rep.rows[0].status, "fixed"); /* subdistrict completed */
    assert_string_equal(rep.rows[1].status, "accepted");
    assert_string_equal(rep.rows[2].status, "rejected");
    assert_int_equal(place_get(at->db, &at->admin, rep.rows[0].id, &arena, &p), 0);
    assert_string_equal(p.zone_level, "fengkong");
    assert_non_null(p.geometry);
    assert_int_equal(place_import_geojson(&at->app, at->db, &at->admin, GEOJSON, strlen(GEOJSON), &opts, &arena,
                                          &rep, &why), 0);
    assert_int_equal(rep.duplicate, 2);
    assert_int_equal(place_import_geojson(&at->app, at->db, &at->admin, "[1,2]", 5, &opts, &arena, &rep, &why),
                     ERR_INVALID);
    buf_release(&why);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { APPTEST(test_sheet), APPTEST(test_geojson) };
    return apptest_run("place_import", tests, sizeof tests / sizeof tests[0]);
}
