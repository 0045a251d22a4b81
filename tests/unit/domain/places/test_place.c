/* tests/unit/domain/places/test_place.c - the place ledger of domain/places/place.h
 * (R3.1-R3.7, issue 8) on SQLite and PostgreSQL: create through the ingest kind with
 * validation and idempotency, testing sites seen as places without a copy, zones with a
 * polygon, lifting and history, subdistrict scope, soft delete, and places near a point
 * from the grid index checked against a brute-force scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/places/place.h"
#include "domain/testing/site.h"

#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

static json_t *
toilet(const char *ext, const char *sub, double lon, double lat)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "survey", "external_id", ext, "kind",
                     "toilet", "code", ext, "name", "广内公厕", "subdistrict", sub, "address", "广安门内大街12号旁",
                     "lon", lon, "lat", lat);
}

static const char *ZONE =
    "{\"source\":\"lingxiang\",\"external_id\":\"z1\",\"kind\":\"zone\",\"name\":\"某小区封控区\","
    "\"subdistrict\":\"110102001\",\"zone_level\":\"fengkong\",\"starts_at\":\"2025-12-30T08:00:00+08:00\","
    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[116.38,39.90],[116.39,39.90],[116.39,39.91],"
    "[116.38,39.91],[116.38,39.90]]]}}";

static void
test_create_and_read(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place p;
    time_set_fake_ms(APPTEST_NOW);
    int64_t id = apptest_accept(at, &place_kind, toilet("T-001", SUB1, 116.3581, 39.8943));
    assert_int_equal(place_get(at->db, &at->admin, id, &arena, &p), 0);
    assert_string_equal(p.kind, "toilet");
    assert_string_equal(p.code, "T-001");
    assert_string_equal(p.subdistrict, SUB1);
    assert_true(p.subdistrict_name[0] != '\0');
    assert_string_equal(p.address, "广安门内大街12号旁");
    assert_true(p.has_pos && p.lon_e6 == 116358100 && p.lat_e6 == 39894300);
    assert_int_equal(p.version, 1);
    assert_null(p.geometry);
    /* Idempotent by source + external_id: the same record again changes nothing. */
    struct ingest_outcome o = apptest_put(at, &at->admin, &place_kind, toilet("T-001", SUB1, 116.30, 39.90));
    assert_int_equal(o.status, INGEST_DUPLICATE);
    assert_int_equal(place_get(at->db, &at->admin, id, &arena, &p), 0);
    assert_int_equal(p.lon_e6, 116358100);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM place_history WHERE place_id = ?1", id), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "places"), 1);
    /* The JSON object carries the contract's fields. */
    json_t *j = place__json(&p);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "toilet");
    assert_true(json_is_array(json_object_get(j, "camera_ids")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "geometry"), "type")), "Point");
    json_decref(j);
    arena_release(&arena);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    static const struct apptest_reject_case cases[] = {
        { "kind", "\"site\"", "kind" },
        { "kind", "\"Toilet!\"", "kind" },
        { "source", "\"sites\"", "source" },
        { "lon", "121.47", "lon" },
        { "lat", NULL, "lat" },
        { "subdistrict", "\"999999999\"", "subdistrict" },
        { "zone_level", "\"fengkong\"", "zone_level" },
        { "name", NULL, "name" },
        { "colour", "\"red\"", "" },
        { "community", "\"110102003015\"", "community" }, /* a community of another subdistrict */
    };
    time_set_fake_ms(APPTEST_NOW);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &place_kind, toilet("T-V", SUB1, 116.36, 39.89), &cases[i]);
    /* Zones need a polygon and a level; only zones have polygons. */
    json_t *z = apptest_json(ZONE);
    json_object_del(z, "zone_level");
    apptest_expect_outcome((struct ingest_outcome[]){ apptest_put(at, &at->admin, &place_kind, z) }, "zone_level",
                           "zone without level");
    z = apptest_json(ZONE);
    json_object_set_new(z, "kind", json_string("fangcang"));
    json_object_del(z, "zone_level");
    apptest_expect_outcome((struct ingest_outcome[]){ apptest_put(at, &at->admin, &place_kind, z) }, "geometry",
                           "polygon on a shelter");
    z = apptest_json(ZONE);
    json_object_set_new(z, "geometry", apptest_json("{\"type\":\"Polygon\",\"coordinates\":[[[116.38,39.90],"
                                                    "[121.39,31.90],[116.39,39.91]]]}"));
    apptest_expect_outcome((struct ingest_outcome[]){ apptest_put(at, &at->admin, &place_kind, z) }, "geometry",
                           "polygon outside Beijing");
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM places WHERE site_id IS NULL", 0), 0);
    /* A self-intersecting ring (found by fuzz_place_geojson): the position stays in its box. */
    z = apptest_json(ZONE);
    json_object_set_new(z, "geometry", apptest_json("{\"type\":\"Polygon\",\"coordinates\":[[[116.38,39.90],"
                                                    "[116.39,39.90],[116.39,39.51],[116.28,39.91],[116.39,39.45]]]}"));
    int64_t id = apptest_accept(at, &place_kind, z);
    struct arena arena = ARENA_INIT;
    struct place p;
    assert_int_equal(place_get(at->db, &at->admin, id, &arena, &p), 0);
    assert_true(p.lon_e6 >= 116280000 && p.lon_e6 <= 116390000 && p.lat_e6 >= 39450000 && p.lat_e6 <= 39910000);
    arena_release(&arena);
}

static void
test_sites_are_places(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place *items = NULL;
    struct ingest_outcome why;
    size_t n = 0;
    int64_t total = 0;
    time_set_fake_ms(APPTEST_NOW);
    int64_t site = apptest_site(at, "XC-S-1", SUB1);
    struct place_query q = { .kind = "site" };
    assert_int_equal(place_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].site_id, site);
    assert_string_equal(items[0].code, "XC-S-1");
    /* Not a copy: a site renamed is renamed as a place. */
    json_t *patch = apptest_json("{\"name\":\"西长安街新点\"}");
    assert_int_equal(site_update(&at->app, at->db, &at->admin, site, patch, &why, NULL), 0);
    json_decref(patch);
    assert_int_equal(place_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_string_equal(items[0].name, "西长安街新点");
    /* Sites are changed through sites only. */
    patch = apptest_json("{\"name\":\"x\"}");
    assert_int_equal(place_update(&at->app, at->db, &at->admin, items[0].id, patch, &why, NULL), ERR_INVALID);
    assert_int_equal(place_delete(&at->app, at->db, &at->admin, items[0].id), ERR_INVALID);
    json_decref(patch);
    arena_release(&arena);
}

static void
test_zone_lift_and_history(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place p, *items = NULL;
    struct place_version *v = NULL;
    struct ingest_outcome why;
    struct geo_point *ring = NULL, mn, mx;
    size_t n = 0;
    int64_t total = 0, version = 0;
    time_set_fake_ms(APPTEST_NOW);
    int64_t id = apptest_accept(at, &place_kind, apptest_json(ZONE));
    assert_int_equal(place_get(at->db, &at->admin, id, &arena, &p), 0);
    assert_string_equal(p.zone_level, "fengkong");
    assert_int_equal(p.lon_e6, 116385000); /* the centroid */
    assert_int_equal(p.lat_e6, 39905000);
    assert_non_null(p.geometry);
    assert_int_equal(place_ring(at->db, &at->admin, id, &arena, &ring, &n, &mn, &mx), 0);
    assert_int_equal(n, 4);
    assert_true(mn.lon == 116.38 && mx.lat == 39.91);
    /* Lowered to 管控 and redrawn smaller, then lifted. */
    json_t *patch = apptest_json("{\"zone_level\":\"guankong\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                                 "[[[116.38,39.90],[116.385,39.90],[116.385,39.905],[116.38,39.905]]]}}");
    assert_int_equal(place_update(&at->app, at->db, &at->admin, id, patch, &why, &version), 0);
    json_decref(patch);
    assert_int_equal(version, 2);
    struct place_query active = { .kind = "zone", .active_only = true };
    assert_int_equal(place_list(at->db, &at->admin, &active, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    patch = apptest_json("{\"ends_at\":\"2026-01-01T12:00:00+08:00\",\"version\":2}");
    assert_int_equal(place_update(&at->app, at->db, &at->admin, id, patch, &why, &version), 0);
    json_decref(patch);
    assert_int_equal(place_list(at->db, &at->admin, &active, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    /* A stale version is a conflict. */
    patch = apptest_json("{\"note\":\"x\",\"version\":2}");
    assert_int_equal(place_update(&at->app, at->db, &at->admin, id, patch, &why, NULL), ERR_CONFLICT);
    json_decref(patch);
    /* History keeps every polygon and level. */
    assert_int_equal(place_history(at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].action, "create");
    assert_non_null(strstr(v[0].snapshot, "fengkong"));
    assert_non_null(strstr(v[0].snapshot, "[116.39, 39.91]") || strstr(v[0].snapshot, "[116.39,39.91]"));
    assert_non_null(strstr(v[1].snapshot, "guankong"));
    assert_non_null(strstr(v[2].snapshot, "ends_at"));
    assert_int_equal(apptest_count_audit(at->db, "places.update", NULL, "ok"), 2);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_scope(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actor s2;
    struct place p, *items = NULL;
    struct ingest_outcome why;
    size_t n = 0;
    int64_t total = 0;
    time_set_fake_ms(APPTEST_NOW);
    int64_t id1 = apptest_accept(at, &place_kind, toilet("T-1", SUB1, 116.36, 39.89));
    int64_t id2 = apptest_accept(at, &place_kind, toilet("T-2", SUB2, 116.37, 39.90));
    apptest_scoped(at, SUB2, &s2);
    assert_int_equal(place_get(at->db, &s2, id1, &arena, &p), ERR_NOT_FOUND);
    assert_int_equal(place_get(at->db, &s2, id2, &arena, &p), 0);
    struct place_query q = { 0 };
    assert_int_equal(place_list(at->db, &s2, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(items[0].id, id2);
    json_t *patch = apptest_json("{\"name\":\"x\"}");
    assert_int_equal(place_update(&at->app, at->db, &s2, id1, patch, &why, NULL), ERR_NOT_FOUND);
    json_decref(patch);
    patch = apptest_json("{\"subdistrict\":\"110102001\"}");
    assert_int_equal(place_update(&at->app, at->db, &s2, id2, patch, &why, NULL), ERR_FORBIDDEN);
    json_decref(patch);
    assert_int_equal(place_delete(&at->app, at->db, &s2, id1), ERR_NOT_FOUND);
    struct ingest_outcome o = apptest_put(at, &s2, &place_kind, toilet("T-3", SUB1, 116.36, 39.89));
    apptest_expect_outcome(&o, "subdistrict", "create outside scope");
    /* Without a subdistrict a place is district-level: not for scoped actors. */
    json_t *t = toilet("T-4", SUB2, 116.36, 39.89);
    json_object_del(t, "subdistrict");
    o = apptest_put(at, &s2, &place_kind, t);
    apptest_expect_outcome(&o, "subdistrict", "district-level by a scoped actor");
    arena_release(&arena);
}

static void
test_delete(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place p, *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    time_set_fake_ms(APPTEST_NOW);
    int64_t id = apptest_accept(at, &place_kind, toilet("T-D", SUB1, 116.36, 39.89));
    assert_int_equal(place_delete(&at->app, at->db, &at->admin, id), 0);
    assert_int_equal(place_delete(&at->app, at->db, &at->admin, id), ERR_NOT_FOUND);
    assert_int_equal(place_get(at->db, &at->admin, id, &arena, &p), 0);
    assert_true(p.deleted_at > 0);
    struct place_query q = { 0 };
    assert_int_equal(place_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(apptest_count_audit(at->db, "places.delete", NULL, "ok"), 1);
    arena_release(&arena);
}

static void
test_near(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place *items = NULL;
    double *d = NULL;
    size_t n = 0;
    char ext[32];
    time_set_fake_ms(APPTEST_NOW);
    /* A 20 x 20 lattice, 0.0007 degrees apart (about 60 m x 78 m), crossing cell borders. */
    json_t *arr = json_array();
    for (int i = 0; i < 20; i++)
        for (int k = 0; k < 20; k++) {
            snprintf(ext, sizeof ext, "L-%d-%d", i, k);
            json_array_append_new(arr, toilet(ext, SUB1, 116.3501 + i * 0.0007, 39.8901 + k * 0.0007));
        }
    char *text = json_dumps(arr, 0);
    json_decref(arr);
    size_t nout = 0;
    struct ingest_outcome *outs = apptest_ingest_text(at, &at->admin, &place_kind, text, &nout);
    free(text);
    for (size_t i = 0; i < nout; i++)
        assert_int_equal(outs[i].status, INGEST_ACCEPTED);
    xfree(outs);
    int64_t site = apptest_site(at, "XC-NEAR", SUB1); /* at 116.38, 39.9 */
    (void)site;
    struct geo_point c = { 116.3570, 39.8970 };
    for (double r = 50; r <= 500; r += 150) {
        assert_int_equal(place_near(at->db, &at->admin, c, r, "toilet", 1000, &arena, &items, &d, &n), 0);
        size_t brute = 0;
        for (int i = 0; i < 20; i++)
            for (int k = 0; k < 20; k++)
                if (geo_distance_m(c, (struct geo_point){ 116.3501 + i * 0.0007, 39.8901 + k * 0.0007 }) <= r)
                    brute++;
        assert_int_equal(n, brute);
        for (size_t i = 1; i < n; i++)
            assert_true(d[i - 1] <= d[i]);
    }
    assert_int_equal(place_near(at->db, &at->admin, (struct geo_point){ 116.38, 39.9 }, 10, NULL, 10, &arena, &items,
                                &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].kind, "site");
    assert_int_equal(place_near(at->db, &at->admin, c, 0, NULL, 10, &arena, &items, &d, &n), ERR_INVALID);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create_and_read), APPTEST(test_validation), APPTEST(test_sites_are_places),
        APPTEST(test_zone_lift_and_history), APPTEST(test_scope), APPTEST(test_delete), APPTEST(test_near),
    };
    return apptest_run("place", tests, sizeof tests / sizeof tests[0]);
}
