/* tests/unit/domain/cameras/test_reconcile.c - reconciliation of surveyed toilet cameras
 * against the video network's device export (R3.8) and the one-step binding (R3.9).
 *
 * The classifier alone on synthetic inputs (threshold edges, a camera listed under two
 * toilets, a device without position, order); then on SQLite and PostgreSQL the survey and
 * device export written by /usr/bin/python3 + openpyxl (tests/support/fixtures/) give
 * exactly the classes of survey_data.EXPECTED; binding takes the matched online cameras
 * only, is refused twice, is undone and can be done again; the export reads back.
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
#include "domain/cameras/binding.h"
#include "domain/cameras/reconcile.h"
#include "domain/places/toilet_import.h"
#include "fixtures/pyfixture.h"
#include "io/table.h"

#define CAM(n) "11010200001310000" n

static char tmpdir[64];

static const char *
fixture(const char *script, const char *name)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_reconcile.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
    return pyfixture_make(tmpdir, script, name, "");
}

/* ---- the classifier ------------------------------------------------------------------- */

static void
test_classify(void **state)
{
    struct arena arena = ARENA_INIT;
    struct reconcile_item *items;
    size_t n;
    struct geo_point t1 = { 116.37, 39.91 }, t2 = { 116.40, 39.91 };
    /* 0.0027 degrees of latitude ≈ 300.2 m; 0.0026 ≈ 289 m */
    struct reconcile_listing l[] = {
        { CAM("009"), 2, "乙", t2, 0, false },
        { CAM("001"), 1, "甲", t1, 0, false },
        { CAM("001"), 2, "乙", t2, 0, false },  /* listed under two toilets */
        { CAM("002"), 1, "甲", t1, 0, false },
        { CAM("003"), 1, "甲", t1, 0, false },
        { CAM("004"), 1, "甲", t1, 0, false },
    };
    struct reconcile_device d[] = {
        { CAM("008"), "只在网", true, { 116.30, 39.90 }, DEVICE_ONLINE },
        { CAM("001"), "近乙", true, { 116.40, 39.9126 }, DEVICE_ONLINE },
        { CAM("002"), "远", true, { 116.37, 39.9127 }, DEVICE_OFFLINE },
        { CAM("003"), "无坐标", false, { 0, 0 }, DEVICE_ONLINE },
        { CAM("004"), "近", true, { 116.37, 39.9126 }, DEVICE_UNKNOWN },
    };
    (void)state;
    reconcile_classify(l, 6, d, 5, 300, &arena, &items, &n);
    assert_int_equal(n, 6);
    static const struct { const char *id; enum reconcile_class c; } want[] = {
        { CAM("001"), RECONCILE_MATCHED }, { CAM("002"), RECONCILE_CONFLICT },
        { CAM("003"), RECONCILE_CONFLICT }, { CAM("004"), RECONCILE_MATCHED },
        { CAM("008"), RECONCILE_ONLY_ONLINE }, { CAM("009"), RECONCILE_ONLY_SURVEY },
    };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(items[i].gb_id, want[i].id);
        if (items[i].cls != want[i].c)
            fail_msg("%s: %s (%s)", items[i].gb_id, reconcile_class_code(items[i].cls), items[i].reason);
    }
    /* 001: near toilet 2 only, at its distance */
    assert_int_equal(items[0].n_listings, 2);
    assert_false(items[0].listings[0].near);
    assert_true(items[0].listings[1].near);
    assert_true(items[0].distance_m > 285 && items[0].distance_m < 295);
    assert_true(items[1].distance_m > 300);
    assert_true(items[2].distance_m < 0);
    assert_null(items[5].device);
    /* a wider threshold matches 002 */
    reconcile_classify(l, 6, d, 5, 310, &arena, &items, &n);
    assert_int_equal(items[1].cls, RECONCILE_MATCHED);
    /* empty sides */
    reconcile_classify(l, 0, d, 0, 300, &arena, &items, &n);
    assert_int_equal(n, 0);
    arena_release(&arena);
}

/* ---- stored runs ---------------------------------------------------------------------- */

static void
import_survey(struct apptest *at, const struct actor *a)
{
    struct table *t = NULL;
    struct toilet_import_result res;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(fixture("make_survey.py", "survey.xlsx"), &t, &why), 0);
    assert_int_equal(toilet_import(&at->app, at->db, a, t, GEO_WGS84, NULL, NULL, &res, &why), 0);
    table_close(t);
    buf_release(&why);
}

static int64_t
run(struct apptest *at, const struct actor *a, double within, struct reconcile_result *res)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(fixture("make_network.py", "network.xlsx"), &t, &why), 0);
    int rc = reconcile_run(&at->app, at->db, a, t, GEO_WGS84, within, NULL, NULL, res, &why);
    if (rc)
        fail_msg("reconcile: %s", why.data);
    table_close(t);
    buf_release(&why);
    return res->id;
}

static const char *
class_of(struct reconcile_row *rows, size_t n, const char *gb)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].gb_id, gb) == 0)
            return rows[i].cls;
    return "absent";
}

static void
test_fixture_classes(void **state)
{
    struct apptest *at = *state;
    struct reconcile_result res;
    struct reconcile_row *rows;
    struct arena arena = ARENA_INIT;
    size_t n;
    int64_t total;

    import_survey(at, &at->admin);
    int64_t id = run(at, &at->admin, 300, &res);
    assert_int_equal(res.devices, 8);
    assert_int_equal(res.by_class[RECONCILE_MATCHED], 4);
    assert_int_equal(res.by_class[RECONCILE_CONFLICT], 1);
    assert_int_equal(res.by_class[RECONCILE_ONLY_SURVEY], 1);
    assert_int_equal(res.by_class[RECONCILE_ONLY_ONLINE], 3);
    assert_int_equal(reconcile_rows(at->db, &at->admin, id, NULL, 0, 100, &arena, &rows, &n, &total), 0);
    assert_int_equal(n, 9);
    static const struct { const char *id, *cls; } want[] = {
        { CAM("001"), "matched" }, { CAM("002"), "matched" }, { CAM("005"), "matched" },
        { CAM("007"), "matched" }, { CAM("003"), "conflict" }, { "11010200001320000010", "only_survey" },
        { CAM("008"), "only_online" }, { CAM("004"), "only_online" }, { CAM("006"), "only_online" },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(class_of(rows, n, want[i].id), want[i].cls);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(rows[i - 1].gb_id, rows[i].gb_id) < 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].gb_id, CAM("001")) == 0) {
            assert_true(rows[i].distance_m > 45 && rows[i].distance_m < 55);
            assert_string_equal(rows[i].toilets, "西单北大街公厕");
            assert_string_equal(rows[i].net_status, "online");
        }
    assert_int_equal(reconcile_rows(at->db, &at->admin, id, "only_online", 0, 100, &arena, &rows, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_int_equal(apptest_count_audit(at->db, "reconciliations.create", NULL, "ok"), 1);

    /* a wider threshold turns the 1.5 km conflict into a match */
    run(at, &at->admin, 2000, &res);
    assert_int_equal(res.by_class[RECONCILE_MATCHED], 5);
    assert_int_equal(res.by_class[RECONCILE_CONFLICT], 0);

    /* the export: 国标编码, 核对结果, one row per camera ID */
    char path[128];
    struct table *t = NULL;
    struct table_row r;
    size_t k = 0;
    snprintf(path, sizeof path, "%s/out.xlsx", tmpdir);
    assert_int_equal(reconcile_export(at->db, &at->admin, id, NULL, XLSXW_PATH(path)), 0);
    assert_int_equal(table_open_path(path, &t, NULL), 0);
    while (table_next_row(t, &r) == 0 && r.cells) {
        if (k == 0) {
            assert_true(str_eq_cstr(r.cells[0], "国标编码"));
            assert_true(str_eq_cstr(r.cells[1], "核对结果"));
        } else if (str_eq_cstr(r.cells[0], CAM("003"))) {
            assert_true(str_eq_cstr(r.cells[1], "conflict"));
        }
        k++;
    }
    assert_int_equal(k, 10);
    table_close(t);
    arena_release(&arena);
}

static void
test_bind_and_undo(void **state)
{
    struct apptest *at = *state;
    struct reconcile_result res;
    size_t bound = 0, removed = 0;
    int64_t batch = 0, batch2 = 0;

    import_survey(at, &at->admin);
    int64_t id = run(at, &at->admin, 300, &res);
    assert_int_equal(reconcile_bind(&at->app, at->db, &at->admin, id, &bound, &batch), 0);
    /* matched and online: 001, 005, 007 (002 is offline) */
    assert_int_equal(bound, 3);
    assert_true(batch > 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM place_cameras WHERE batch_id = ?1", batch), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM cameras", 0), 3);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM place_cameras pc JOIN cameras c"
                                              " ON c.id = pc.camera_id WHERE c.gb_id = ?1", CAM("002")), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM place_cameras pc JOIN cameras c"
                                              " ON c.id = pc.camera_id JOIN places p ON p.id = pc.place_id"
                                              " WHERE c.gb_id = ?1 AND p.name = '牛街南口公厕'", CAM("005")), 1);
    size_t again = 0;
    int64_t b = 0;
    assert_int_equal(reconcile_bind(&at->app, at->db, &at->admin, id, &again, &b), ERR_CONFLICT);
    assert_int_equal(apptest_count_audit(at->db, "reconciliations.bind", NULL, "ok"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "bindings"), 1);

    assert_int_equal(binding_batch_undo(&at->app, at->db, &at->admin, batch, &removed), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM place_cameras", 0), 0);
    assert_int_equal(reconcile_bind(&at->app, at->db, &at->admin, id, &bound, &batch2), 0);
    assert_int_equal(bound, 3);
    assert_true(batch2 != batch);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM cameras", 0), 3); /* not added twice */
    apptest_audit_intact(at);
}

static void
test_scoped_run(void **state)
{
    struct apptest *at = *state;
    struct reconcile_result res;
    struct reconcile_info info;
    struct arena arena = ARENA_INIT;
    struct actor a, other;

    import_survey(at, &at->admin);
    apptest_scoped(at, APPTEST_SUBDISTRICT, &a);      /* 西长安街: T1 with 001, 002, 010 */
    apptest_scoped(at, APPTEST_SUBDISTRICT2, &other);
    int64_t id = run(at, &a, 300, &res);
    assert_int_equal(res.by_class[RECONCILE_MATCHED], 2);
    assert_int_equal(res.by_class[RECONCILE_ONLY_SURVEY], 1);
    assert_int_equal(res.by_class[RECONCILE_ONLY_ONLINE], 6);
    assert_int_equal(reconcile_get(at->db, &a, id, &arena, &info), 0);
    assert_int_equal(reconcile_get(at->db, &other, id, &arena, &info), ERR_NOT_FOUND);
    assert_int_equal(reconcile_get(at->db, &at->admin, id, &arena, &info), 0);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        APPTEST(test_fixture_classes),
        APPTEST(test_bind_and_undo),
        APPTEST(test_scoped_run),
    };
    int failed = apptest_run("reconcile", tests, sizeof tests / sizeof tests[0]);
    if (tmpdir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            failed++;
    }
    return failed;
}
