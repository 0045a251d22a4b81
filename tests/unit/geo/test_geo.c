/* tests/unit/geo/test_geo.c - geo/: coordinate systems, text, polygons, grid (R3.1-R3.7).
 *
 * Reference conversions are the published outputs of the widely used open converters
 * (coordtransform, eviltransform) for the same inputs; text cases are the forms found in the
 * districts' survey sheets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "geo/geo.h"

#define NEAR(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void
test_crs_names(void **state)
{
    enum geo_crs c = GEO_WGS84;
    assert_int_equal(geo_crs_parse("gcj02", &c), 0);
    assert_int_equal(c, GEO_GCJ02);
    assert_int_equal(geo_crs_parse(" BD-09 ", &c), 0);
    assert_int_equal(c, GEO_BD09);
    assert_int_equal(geo_crs_parse("WGS84", &c), 0);
    assert_int_equal(c, GEO_WGS84);
    assert_int_equal(geo_crs_parse("百度坐标", &c), 0);
    assert_int_equal(c, GEO_BD09);
    assert_int_equal(geo_crs_parse("火星坐标", &c), 0);
    assert_int_equal(c, GEO_GCJ02);
    assert_int_equal(geo_crs_parse("mercator", &c), ERR_INVALID);
    assert_int_equal(geo_crs_parse("", &c), ERR_INVALID);
    assert_int_equal(geo_crs_parse(NULL, &c), ERR_INVALID);
    const char *hdr = "经度(GCJ02)";
    assert_int_equal(geo_crs_find(hdr, strlen(hdr), &c), 0);
    assert_int_equal(c, GEO_GCJ02);
    assert_int_equal(geo_crs_find("经度", strlen("经度"), &c), ERR_NOT_FOUND);
    assert_string_equal(geo_crs_name(GEO_BD09), "bd09");
}

static void
test_conversions(void **state)
{
    struct geo_point p = { 116.404, 39.915 };
    struct geo_point g = geo_from_wgs84(GEO_GCJ02, p);
    NEAR(g.lon, 116.41024449916938, 1e-9);
    NEAR(g.lat, 39.91640428150164, 1e-9);
    /* BD-09 of the GCJ-02 point (116.404, 39.915): the Baidu formula. */
    struct geo_point gcj = { 116.404, 39.915 };
    struct geo_point bd = geo_from_wgs84(GEO_BD09, geo_to_wgs84(GEO_GCJ02, gcj));
    NEAR(bd.lon, 116.41036949371029, 1e-8);
    NEAR(bd.lat, 39.92133699351022, 1e-8);
    /* Round trips come back within 1e-9 degrees. */
    for (int i = 0; i < 50; i++) {
        struct geo_point w = { 115.5 + i * 0.04, 39.5 + i * 0.03 };
        for (int crs = GEO_GCJ02; crs <= GEO_BD09; crs++) {
            struct geo_point b = geo_to_wgs84((enum geo_crs)crs,
                                              geo_from_wgs84((enum geo_crs)crs, w));
            NEAR(b.lon, w.lon, 1e-9);
            NEAR(b.lat, w.lat, 1e-9);
        }
    }
    /* The GCJ-02 offset in Beijing is a few hundred metres; none abroad. */
    double off = geo_distance_m(p, g);
    assert_true(off > 300 && off < 800);
    struct geo_point paris = { 2.35, 48.85 };
    NEAR(geo_from_wgs84(GEO_GCJ02, paris).lon, 2.35, 1e-12);
    assert_true(geo_to_wgs84(GEO_WGS84, p).lon == p.lon);
}

static void
test_distance_and_box(void **state)
{
    struct geo_point a = { 116.3912, 39.9067 }, b = { 116.3912, 39.9167 };
    NEAR(geo_distance_m(a, b), 1111.95, 0.5); /* 0.01 degree of latitude */
    NEAR(geo_distance_m(a, a), 0, 1e-9);
    /* One degree of longitude at 40 N is 111.195 km * cos 40. */
    NEAR(geo_distance_m((struct geo_point){ 116, 40 }, (struct geo_point){ 117, 40 }),
         85180, 100);
    assert_true(geo_in_beijing(a));
    assert_false(geo_in_beijing((struct geo_point){ 39.9, 116.39 }));
    assert_false(geo_in_beijing((struct geo_point){ 121.47, 31.23 })); /* Shanghai */
    assert_false(geo_in_beijing((struct geo_point){ 0, 0 }));

    /* Every point within r is inside the box and its cells. */
    struct geo_point mn, mx;
    geo_bbox_around(a, 300, &mn, &mx);
    struct geo_cell_span sp = geo_cell_span_of(mn, mx);
    for (int k = 0; k < 360; k += 5) {
        double t = k * 3.14159265358979 / 180;
        struct geo_point q = { a.lon + 300.0 / 85303.0 * cos(t) * 0.999,
                               a.lat + 300.0 / 111195.0 * sin(t) * 0.999 };
        assert_true(geo_distance_m(a, q) <= 300);
        assert_true(q.lon >= mn.lon && q.lon <= mx.lon && q.lat >= mn.lat && q.lat <= mx.lat);
        int64_t key = geo_cell_key(q), x = key / GEO_CELL_STRIDE, lo, hi;
        assert_true(x >= sp.x0 && x <= sp.x1);
        geo_cell_span_key_range(&sp, x, &lo, &hi);
        assert_true(key >= lo && key <= hi);
    }
    /* Neighbouring cells in one column have consecutive keys. */
    int64_t k1 = geo_cell_key((struct geo_point){ 116.3901, 39.9001 });
    int64_t k2 = geo_cell_key((struct geo_point){ 116.3901, 39.9001 + GEO_CELL_DEG });
    assert_int_equal(k2, k1 + 1);
}

static void
test_polygons(void **state)
{
    /* A square of 0.01 x 0.01 degrees at 39.9 N. */
    const struct geo_point sq[] = {
        { 116.38, 39.90 }, { 116.39, 39.90 }, { 116.39, 39.91 }, { 116.38, 39.91 },
    };
    assert_true(geo_point_in_ring(sq, 4, (struct geo_point){ 116.385, 39.905 }));
    assert_false(geo_point_in_ring(sq, 4, (struct geo_point){ 116.395, 39.905 }));
    assert_false(geo_point_in_ring(sq, 2, (struct geo_point){ 116.385, 39.905 }));
    double area = geo_ring_area_m2(sq, 4);
    double expect = 0.01 * 111195.08 * 0.01 * 111195.08 * cos(39.905 * 3.14159265358979 / 180);
    NEAR(area / expect, 1.0, 0.001);
    struct geo_point c = geo_ring_centroid(sq, 4);
    NEAR(c.lon, 116.385, 1e-9);
    NEAR(c.lat, 39.905, 1e-9);
    /* Closed ring (first point repeated) gives the same results. */
    const struct geo_point closed[] = {
        { 116.38, 39.90 }, { 116.39, 39.90 }, { 116.39, 39.91 }, { 116.38, 39.91 }, { 116.38, 39.90 },
    };
    NEAR(geo_ring_area_m2(closed, 5), area, 1e-6);
    c = geo_ring_centroid(closed, 5);
    NEAR(c.lon, 116.385, 1e-9);
    /* An L shape: the centroid is not the vertex mean. */
    const struct geo_point l[] = { { 0, 0 }, { 2, 0 }, { 2, 1 }, { 1, 1 }, { 1, 2 }, { 0, 2 } };
    c = geo_ring_centroid(l, 6);
    NEAR(c.lon, 5.0 / 6.0, 1e-9);
    NEAR(c.lat, 5.0 / 6.0, 1e-9);
    struct geo_point mn, mx;
    geo_ring_bbox(l, 6, &mn, &mx);
    assert_true(mx.lon == 2 && mn.lat == 0);
}

struct deg_case {
    const char *text;
    double deg;
    char axis;
};

static void
test_parse_degrees(void **state)
{
    static const struct deg_case ok[] = {
        { "116.3912", 116.3912, 0 },
        { " 39.9067 ", 39.9067, 0 },
        { "-33.5", -33.5, 0 },
        { "116°22′05.3″", 116 + 22 / 60.0 + 5.3 / 3600, 0 },
        { "116°22'05.3\"", 116 + 22 / 60.0 + 5.3 / 3600, 0 },
        { "116°22'05.3''", 116 + 22 / 60.0 + 5.3 / 3600, 0 },
        { "116 22 05.3", 116 + 22 / 60.0 + 5.3 / 3600, 0 },
        { "116度22分5.3秒", 116 + 22 / 60.0 + 5.3 / 3600, 0 },
        { "116°22.09′", 116 + 22.09 / 60.0, 0 },
        { "116.39°", 116.39, 0 },
        { "116.39E", 116.39, 'E' },
        { "N39.9", 39.9, 'N' },
        { "39°54′N", 39.9, 'N' },
        { "北纬39°54′", 39.9, 'N' },
        { "东经116.39", 116.39, 'E' },
        { "33.5S", -33.5, 'N' },
        { "W 70.25", -70.25, 'E' },
        { "１１６．３９", 116.39, 0 },
        { "116.3912345678901234", 116.3912345678901234, 0 },
        { ".5", 0.5, 0 },
    };
    static const char *bad[] = {
        "", " ", "abc", "116.39.1", "116°61′", "116°22′60″", "1160.5", "181", "N39.9E",
        "-N39.9", "-39.9N", "1.16e2", "116,39", "116.5 39.9", "116°°", "22′116°", "--1",
        "116.39 东经 北纬", ".", "116 22 05 07",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double d = 0;
        char ax = 'x';
        int rc = geo_parse_degrees(ok[i].text, strlen(ok[i].text), &d, &ax);
        if (rc != 0)
            fail_msg("'%s' refused", ok[i].text);
        if (fabs(d - ok[i].deg) > 1e-9 || ax != ok[i].axis)
            fail_msg("'%s' -> %.10f %c", ok[i].text, d, ax ? ax : '0');
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double d = 7;
        char ax = 'x';
        if (geo_parse_degrees(bad[i], strlen(bad[i]), &d, &ax) != ERR_INVALID)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(d == 7 && ax == 'x');
    }
    /* n bounds the read: the digits after n are not seen. */
    double d = 0;
    char ax = 0;
    assert_int_equal(geo_parse_degrees("116.39999", 6, &d, &ax), 0);
    NEAR(d, 116.39, 1e-12);
}

static void
test_parse_point(void **state)
{
    struct geo_point p;
    unsigned fx = 0;
    struct buf why = BUF_INIT;

    assert_int_equal(geo_parse_point("116.3912", 8, "39.9067", 7, GEO_WGS84, &p, &fx, &why), 0);
    NEAR(p.lon, 116.3912, 1e-12);
    assert_int_equal(fx, 0);

    /* Swapped columns, repaired by range. */
    fx = 0;
    assert_int_equal(geo_parse_point("39.9067", 7, "116.3912", 8, GEO_WGS84, &p, &fx, &why), 0);
    NEAR(p.lon, 116.3912, 1e-12);
    NEAR(p.lat, 39.9067, 1e-12);
    assert_int_equal(fx, GEO_FIX_SWAPPED);

    /* Swapped, said by the hemisphere letters, in DMS and full width. */
    const char *a = "３９°５４′２４″N", *b = "116°23′28″E";
    fx = 0;
    assert_int_equal(geo_parse_point(a, strlen(a), b, strlen(b), GEO_WGS84, &p, &fx, &why), 0);
    NEAR(p.lat, 39 + 54 / 60.0 + 24 / 3600.0, 1e-9);
    assert_int_equal(fx, GEO_FIX_SWAPPED | GEO_FIX_DMS | GEO_FIX_TEXT);

    /* GCJ-02 input is converted back to WGS-84. */
    fx = 0;
    assert_int_equal(geo_parse_point("116.41024449916938", 18, "39.91640428150164", 17,
                                     GEO_GCJ02, &p, &fx, &why), 0);
    NEAR(p.lon, 116.404, 1e-8);
    NEAR(p.lat, 39.915, 1e-8);
    assert_int_equal(fx, GEO_FIX_CRS);

    /* Both in one cell, ASCII or full-width comma. */
    const char *one = "116.3912，39.9067";
    fx = 0;
    assert_int_equal(geo_parse_point(one, strlen(one), NULL, 0, GEO_WGS84, &p, &fx, &why), 0);
    NEAR(p.lat, 39.9067, 1e-12);
    assert_int_equal(geo_parse_point("116.3912,39.9067", 16, "  ", 2, GEO_WGS84, &p, &fx, &why), 0);
    assert_int_equal(buf_error(&why) ? 1 : (int)why.len, 0);

    /* Refusals carry one reason each and never the cell text. */
    struct { const char *lon, *lat, *reason; } bad[] = {
        { "121.47", "31.23", "the point is outside Beijing" },
        { "0", "0", "the point is outside Beijing" },
        { "", "", "no coordinates" },
        { "116.39", "", "latitude is missing" },
        { "", "39.9", "longitude is missing" },
        { "116.39x", "39.9", "longitude is not a coordinate" },
        { "116.39", "北京", "latitude is not a coordinate" },
        { "116.39N", "39.9N", "both coordinates are on the same axis" },
        { "39.9", "116.39", NULL }, /* ok: swapped */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&why);
        int rc = geo_parse_point(bad[i].lon, strlen(bad[i].lon), bad[i].lat, strlen(bad[i].lat),
                                 GEO_WGS84, &p, NULL, &why);
        if (!bad[i].reason) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_string_equal(why.data, bad[i].reason);
    }
    assert_int_equal(geo_parse_point(NULL, 0, NULL, 0, GEO_WGS84, &p, NULL, NULL), ERR_INVALID);
    buf_release(&why);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crs_names),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_distance_and_box),
        cmocka_unit_test(test_polygons),
        cmocka_unit_test(test_parse_degrees),
        cmocka_unit_test(test_parse_point),
    };
    return cmocka_run_group_tests_name("geo", tests, NULL, NULL);
}
