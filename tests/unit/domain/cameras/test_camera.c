/* tests/unit/domain/cameras/test_camera.c - the camera ledger, nearby search, bindings and
 * checks of domain/cameras/ (R3.1-R3.6, R3.9, R3.11, issue 8) on SQLite and PostgreSQL.
 *
 * The stream URL carries a marker that must never appear in plaintext in any table (rows,
 * outbox, audit); nearby answers are compared with a brute-force scan of the same points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/cameras/binding.h"
#include "domain/cameras/camera.h"
#include "domain/cameras/camera_check.h"
#include "domain/places/place.h"

#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define STREAM "rtsp://admin:PW-MARKER-5521@10.1.2.3:554/Streaming/Channels/101"

static json_t *
cam(const char *gb, const char *sub, double lon, double lat)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s}", "source", "network", "external_id", gb, "gb_id", gb,
                     "name", "广内大街东口", "subdistrict", sub, "lon", lon, "lat", lat, "status", "online");
}

static void
gb(char out[21], int i)
{
    snprintf(out, 21, "1101020000132%07d", i);
}

static int64_t
add_cam(struct apptest *at, int i, const char *sub, double lon, double lat)
{
    char g[21];
    gb(g, i);
    return apptest_accept(at, &camera_kind, cam(g, sub, lon, lat));
}

static int64_t
add_toilet(struct apptest *at, const char *ext, const char *sub, double lon, double lat)
{
    return apptest_accept(at, &place_kind,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "survey", "external_id", ext,
                                    "kind", "toilet", "name", ext, "subdistrict", sub, "lon", lon, "lat", lat));
}

static void
assert_no_plaintext(struct db *db, const char *sql, bool blob)
{
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    while (db_step(st, &row) == 0 && row) {
        size_t n = 0;
        const void *p = blob ? db_col_blob(st, 0, &n) : (const void *)db_col_text(st, 0, &n);
        if (apptest_memmem(p, n, "PW-MARKER-5521", 14))
            fail_msg("stream URL in plaintext: %s", sql);
    }
    db_done(st);
}

static void
test_create_stream_sealed(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct camera c, *items = NULL;
    struct buf url = BUF_INIT;
    size_t n = 0;
    int64_t total = 0;
    time_set_fake_ms(APPTEST_NOW);
    json_t *o = cam("１１０１０２００００１３２００００００１", SUB1, 116.36, 39.89); /* full width: fixed */
    json_object_set_new(o, "external_id", json_string("cam-1"));
    json_object_set_new(o, "stream_url", json_string(STREAM));
    int64_t id = apptest_accept(at, &camera_kind, o);
    assert_int_equal(camera_get(at->db, &at->admin, id, &arena, &c), 0);
    assert_string_equal(c.gb_id, "11010200001320000001");
    assert_true(c.has_stream);
    assert_int_equal(camera_get_gb(at->db, &at->admin, "11010200001320000001", &arena, &c), 0);
    assert_int_equal(c.id, id);
    json_t *j = camera__json(&c);
    char *dump = json_dumps(j, 0);
    assert_null(strstr(dump, "PW-MARKER"));
    assert_null(json_object_get(j, "distance_m"));
    free(dump);
    json_decref(j);
    /* The same ID under another upstream key is refused; other device types are refused. */
    o = cam("11010200001320000001", SUB1, 116.36, 39.89);
    json_object_set_new(o, "external_id", json_string("other"));
    struct ingest_outcome r = apptest_put(at, &at->admin, &camera_kind, o);
    apptest_expect_outcome(&r, "gb_id", "gb_id taken");
    r = apptest_put(at, &at->admin, &camera_kind, cam("11010200001180000001", SUB1, 116.36, 39.89));
    apptest_expect_outcome(&r, "gb_id", "an NVR");
    o = cam("1.10102000013200E+19", SUB1, 116.36, 39.89);
    json_object_set_new(o, "external_id", json_string("sci"));
    r = apptest_put(at, &at->admin, &camera_kind, o);
    apptest_expect_outcome(&r, "gb_id", "scientific notation");
    o = cam("11010200001320000009", SUB1, 116.36, 39.89);
    json_object_set_new(o, "stream_url", json_string("file:///etc/passwd"));
    r = apptest_put(at, &at->admin, &camera_kind, o);
    apptest_expect_outcome(&r, "stream_url", "bad scheme");
    /* Opening the stream is audited; the URL is nowhere in plaintext. */
    assert_int_equal(camera_stream(&at->app, at->db, &at->admin, id, &url), 0);
    assert_string_equal(url.data, STREAM);
    buf_release_secret(&url);
    assert_int_equal(apptest_count_audit(at->db, "cameras.stream", NULL, "ok"), 1);
    struct camera_query q = { 0 };
    assert_int_equal(camera_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    /* Replace the URL by update; keep it on an unrelated update. */
    json_t *patch = apptest_json("{\"owner\":\"广内街道\"}");
    struct ingest_outcome why;
    assert_int_equal(camera_update(&at->app, at->db, &at->admin, id, patch, &why, NULL), 0);
    json_decref(patch);
    assert_int_equal(camera_stream(&at->app, at->db, &at->admin, id, &url), 0);
    assert_string_equal(url.data, STREAM);
    buf_release_secret(&url);
    assert_no_plaintext(at->db, "SELECT stream FROM cameras", true);
    assert_no_plaintext(at->db, "SELECT payload FROM outbox", false);
    assert_no_plaintext(at->db, "SELECT COALESCE(detail, '') FROM audit_log", false);
    arena_release(&arena);
}

static void
test_near_matches_scan(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct camera *items = NULL;
    size_t n = 0;
    bool more = false;
    time_set_fake_ms(APPTEST_NOW);
    /* 300 cameras at pseudo-random points of a 3 km square. */
    struct geo_point pts[300];
    unsigned seed = 12345;
    json_t *arr = json_array();
    for (int i = 0; i < 300; i++) {
        char g[21];
        seed = seed * 1103515245u + 12345u;
        pts[i].lon = 116.34 + (double)(seed >> 8 & 0xFFFF) / 65535.0 * 0.035;
        seed = seed * 1103515245u + 12345u;
        pts[i].lat = 39.88 + (double)(seed >> 8 & 0xFFFF) / 65535.0 * 0.027;
        pts[i].lon = (double)geo_e6(pts[i].lon) / 1e6;
        pts[i].lat = (double)geo_e6(pts[i].lat) / 1e6;
        gb(g, i + 1);
        json_array_append_new(arr, cam(g, i % 3 ? SUB1 : SUB2, pts[i].lon, pts[i].lat));
    }
    char *text = json_dumps(arr, 0);
    json_decref(arr);
    size_t nout = 0;
    struct ingest_outcome *outs = apptest_ingest_text(at, &at->admin, &camera_kind, text, &nout);
    free(text);
    assert_int_equal(nout, 300);
    xfree(outs);
    struct geo_point c = { 116.3575, 39.8935 };
    for (double r = 100; r <= 1600; r *= 2) {
        assert_int_equal(camera_near(at->db, &at->admin, c, r, NULL, 1000, &arena, &items, &n, &more), 0);
        size_t brute = 0;
        for (int i = 0; i < 300; i++)
            brute += geo_distance_m(c, pts[i]) <= r;
        assert_int_equal(n, brute);
        assert_false(more);
        for (size_t i = 1; i < n; i++)
            assert_true(items[i - 1].distance_m <= items[i].distance_m);
    }
    /* Scope: the scoped actor gets only its subdistrict's share; cap and more. */
    struct actor s2;
    apptest_scoped(at, SUB2, &s2);
    assert_int_equal(camera_near(at->db, &s2, c, 1600, NULL, 1000, &arena, &items, &n, &more), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].subdistrict, SUB2);
    assert_int_equal(camera_near(at->db, &at->admin, c, 1600, NULL, 3, &arena, &items, &n, &more), 0);
    assert_int_equal(n, 3);
    assert_true(more);
    assert_int_equal(camera_near(at->db, &at->admin, c, 0, NULL, 3, &arena, &items, &n, &more), ERR_INVALID);
    assert_int_equal(camera_near(at->db, &at->admin, c, 5001, NULL, 3, &arena, &items, &n, &more), ERR_INVALID);
    /* Inside a polygon. */
    const struct geo_point ring[] = { { 116.34, 39.88 }, { 116.3575, 39.88 }, { 116.3575, 39.8935 }, { 116.34, 39.8935 } };
    assert_int_equal(camera_in_ring(at->db, &at->admin, ring, 4, 1000, &arena, &items, &n, &more), 0);
    size_t brute = 0;
    for (int i = 0; i < 300; i++)
        brute += geo_point_in_ring(ring, 4, pts[i]);
    assert_int_equal(n, brute);
    arena_release(&arena);
}

static void
test_bindings(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct place p;
    struct camera c;
    struct binding *b = NULL;
    size_t n = 0, removed = 0;
    bool created = false;
    time_set_fake_ms(APPTEST_NOW);
    int64_t t1 = add_toilet(at, "T-1", SUB1, 116.36, 39.89), t2 = add_toilet(at, "T-2", SUB2, 116.37, 39.90);
    int64_t c1 = add_cam(at, 1, SUB1, 116.3601, 39.8901), c2 = add_cam(at, 2, SUB1, 116.3602, 39.8902);
    int64_t c3 = add_cam(at, 3, SUB2, 116.3701, 39.9001);
    assert_int_equal(binding_add(&at->app, at->db, &at->admin, t1, c1, 0, &created), 0);
    assert_true(created);
    assert_int_equal(binding_add(&at->app, at->db, &at->admin, t1, c1, 0, &created), 0);
    assert_false(created);
    assert_int_equal(place_get(at->db, &at->admin, t1, &arena, &p), 0);
    assert_int_equal(p.n_cameras, 1);
    assert_string_equal(p.camera_ids[0], "11010200001320000001");
    assert_int_equal(camera_get(at->db, &at->admin, c1, &arena, &c), 0);
    assert_int_equal(c.n_places, 1);
    assert_int_equal(c.place_ids[0], t1);
    /* A scoped actor cannot bind across subdistricts. */
    struct actor s2;
    apptest_scoped(at, SUB2, &s2);
    assert_int_equal(binding_add(&at->app, at->db, &s2, t1, c3, 0, &created), ERR_NOT_FOUND);
    /* A batch of two, undone together, once. */
    int64_t batch = 0;
    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(binding__batch_new(at->db, &at->admin, "reconcile", "r1", APPTEST_NOW, &batch), 0);
    assert_int_equal(binding__put(at->db, &at->admin, t1, c2, batch, APPTEST_NOW, &created), 0);
    assert_int_equal(binding__put(at->db, &at->admin, t2, c3, batch, APPTEST_NOW, &created), 0);
    assert_int_equal(db_commit(at->db), 0);
    assert_int_equal(binding_list(at->db, &at->admin, 0, 0, 100, &arena, &b, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(binding_batch_undo(&at->app, at->db, &s2, batch, &removed), ERR_FORBIDDEN);
    assert_int_equal(binding_batch_undo(&at->app, at->db, &at->admin, batch, &removed), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(binding_batch_undo(&at->app, at->db, &at->admin, batch, &removed), ERR_CONFLICT);
    assert_int_equal(binding_batch_undo(&at->app, at->db, &at->admin, 999, &removed), ERR_NOT_FOUND);
    assert_int_equal(binding_list(at->db, &at->admin, t1, 0, 100, &arena, &b, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(b[0].camera_id, c1);
    assert_int_equal(binding_remove(&at->app, at->db, &at->admin, t1, c1), 0);
    assert_int_equal(binding_remove(&at->app, at->db, &at->admin, t1, c1), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "bindings.undo", NULL, "ok"), 1);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_checks(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct camera_check_row *rows = NULL;
    size_t n = 0;
    bool created = false;
    int64_t id = 0;
    time_set_fake_ms(APPTEST_NOW);
    int64_t t1 = add_toilet(at, "T-1", SUB1, 116.36, 39.89);
    int64_t c1 = add_cam(at, 1, SUB1, 116.3601, 39.8901), c2 = add_cam(at, 2, SUB1, 116.3602, 39.8902);
    assert_int_equal(binding_add(&at->app, at->db, &at->admin, t1, c1, 0, &created), 0);
    assert_int_equal(binding_add(&at->app, at->db, &at->admin, t1, c2, 0, &created), 0);
    struct camera_check_input in = { c1, t1, true, true, "公厕入口", NULL };
    time_set_fake_ms(APPTEST_NOW - 10 * 86400000LL); /* checked ten days ago */
    assert_int_equal(camera_check_add(&at->app, at->db, &at->admin, &in, &id), 0);
    time_set_fake_ms(APPTEST_NOW);
    assert_int_equal(camera_check_list(at->db, &at->admin, "toilet", 0, APPTEST_NOW, 100, &arena, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_true(rows[0].checked && rows[0].playable && rows[0].camera_id == c1);
    assert_string_equal(rows[0].covers, "公厕入口");
    assert_false(rows[1].checked);
    /* Stale after 7 days: both; after 30: only the one never checked. */
    assert_int_equal(camera_check_list(at->db, &at->admin, "toilet", 7, APPTEST_NOW, 100, &arena, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(camera_check_list(at->db, &at->admin, "toilet", 30, APPTEST_NOW, 100, &arena, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].camera_id, c2);
    assert_int_equal(camera_check_list(at->db, &at->admin, "zone", 0, APPTEST_NOW, 100, &arena, &rows, &n), 0);
    assert_int_equal(n, 0);
    struct actor s2;
    apptest_scoped(at, SUB2, &s2);
    assert_int_equal(camera_check_add(&at->app, at->db, &s2, &in, &id), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "cameras.check", NULL, "ok"), 1);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create_stream_sealed),
        APPTEST(test_near_matches_scan),
        APPTEST(test_bindings),
        APPTEST(test_checks),
    };
    return apptest_run("camera", tests, sizeof tests / sizeof tests[0]);
}
