/* tests/unit/domain/testing/test_checkin.c - check-ins of domain/testing/checkin.h (R1.3, R2.6; S1 sealed
 * staff names): validation and idempotency, open/close moving the site's status, version,
 * history and the "sites_open" gauge (late arrivals do not roll back), scope, the list
 * and its filters, and that staff names reach neither the outbox, the raw rows nor any
 * read; on SQLite and PostgreSQL.
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
#include "crypto/field.h"
#include "domain/testing/checkin.h"
#include "domain/testing/site.h"

#define NOW APPTEST_NOW
#define MIN 60000LL
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define STAFF1 "张三STAFF-MARKER"
#define STAFF2 "李四"

static int64_t
add_site(struct apptest *at, const char *code, const char *sub, const char *status)
{
    json_t *o = apptest_site_obj(code, sub);
    json_object_set_new(o, "status", json_string(status));
    return apptest_accept(at, &site_kind, o);
}

static json_t *
checkin_obj(const char *ext, const char *site, const char *kind, int64_t at_ms)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I}", "source", "phone", "external_id", ext, "site_code", site, "kind",
                     kind, "at", (json_int_t)at_ms);
}

static enum ingest_status
checkin(struct apptest *at, const char *ext, const char *site, const char *kind, int64_t at_ms)
{
    return apptest_put(at, &at->admin, &checkin_kind, checkin_obj(ext, site, kind, at_ms)).status;
}

static int64_t
gauge(struct db *db, const char *sub)
{
    return apptest_gauge(db, SITE_GAUGE_OPEN, sub);
}

static const char *
status_of(struct apptest *at, int64_t id, struct arena *arena, int64_t *version)
{
    struct site_live l;
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, false, arena, &l), 0);
    if (version)
        *version = l.s.version;
    return l.s.status;
}

static void
test_store_and_seal(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct checkin *items = NULL;
    struct checkin_query q = { .limit = 10 };
    struct ingest_outcome r;
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0, len = 0;
    int64_t total = 0;
    json_t *o;

    time_set_fake_ms(NOW);
    add_site(at, "C-1", SUB1, "open");
    o = checkin_obj("k1", "C-1", "staff_change", NOW - MIN);
    json_object_set_new(o, "staff", json_pack("[s, s]", STAFF1, STAFF2));
    json_object_set_new(o, "queue_len", json_integer(25));
    json_object_set_new(o, "lon", json_real(116.381));
    json_object_set_new(o, "lat", json_real(39.901));
    json_object_set_new(o, "operator", json_string("phone-0831"));
    r = apptest_put(at, &at->admin, &checkin_kind, o);
    assert_int_equal(r.status, INGEST_ACCEPTED);
    o = checkin_obj("k2", "C-1", "status", NOW);
    json_object_set_new(o, "staff", json_string(STAFF2));
    assert_int_equal(apptest_put(at, &at->admin, &checkin_kind, o).status, INGEST_ACCEPTED);

    /* sealed at rest under "checkins.staff"; opens to the joined names */
    assert_int_equal(db_prepare(at->db, "SELECT staff FROM checkins WHERE id = ?1", &st), 0);
    assert_int_equal(db_bind_i64(st, 1, r.id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *blob = db_col_blob(st, 0, &len);
    uint8_t plain[256];
    size_t plen = 0;
    assert_false(apptest_memmem(blob, len, "STAFF-MARKER", 12));
    assert_int_equal(field_open(&at->app.keys, "checkins.staff", blob, len, plain, sizeof plain, &plen), 0);
    assert_int_equal(plen, strlen(STAFF1 ", " STAFF2));
    assert_memory_equal(plain, STAFF1 ", " STAFF2, plen);
    assert_int_not_equal(field_open(&at->app.keys, "sites.address", blob, len, plain, sizeof plain, &plen), 0);
    db_done(st);

    /* the stream has the check-in but no names and no operator */
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "checkins"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%STAFF-MARKER%"),
                     0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%李四%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%phone-0831%"), 0);
    assert_int_equal(apptest_i64_text(at->db,
                                      "SELECT count(*) FROM outbox WHERE topic = 'checkins' AND payload LIKE ?1",
                                      "%\"kind\":\"staff_change\",\"queue_len\":25%\"lon\":116.381%"),
                     1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1", "%STAFF-MARKER%"),
                     0);

    /* the list says staff was recorded, never who; the position falls back to the site's */
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].site_code, "C-1");
    assert_string_equal(items[0].kind, "staff_change");
    assert_true(items[0].has_staff);
    assert_true(items[0].own_position);
    assert_int_equal(items[0].lon_e6, 116381000);
    assert_int_equal(items[0].queue_len, 25);
    assert_string_equal(items[0].operator_code, "phone-0831");
    assert_int_equal(items[0].at, NOW - MIN);
    assert_false(items[1].own_position);
    assert_int_equal(items[1].lon_e6, 116380000);
    assert_string_equal(items[1].operator_code, "");
    /* status and staff changes leave the site alone */
    assert_int_equal(apptest_i64(at->db, "SELECT version FROM sites WHERE code = 'C-1'", 0), 1);
    arena_release(&arena);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    static const struct apptest_reject_case cases[] = {
        { "site_code", NULL, "site_code" },
        { "site_code", "\"NOPE\"", "site_code" },
        { "kind", "\"lunch\"", "kind" },
        { "kind", NULL, "kind" },
        { "staff", "\"\"", "staff" },
        { "staff", "[\"ok\", 5]", "staff" },
        { "staff", "[\"\"]", "staff" },
        { "staff", "[\"1234567890123456789012345678901234567890123456789012345678901234567890\"]", "staff" },
        { "staff", "{\"a\":1}", "staff" },
        { "queue_len", "-1", "queue_len" },
        { "queue_len", "100001", "queue_len" },
        { "lon", "116.4", "lat" },
        { "lat", "39.9", "lon" },
        { "at", NULL, "at" },
        { "at", "1900000000000", "at" },
        { "at", "\"soon\"", "at" },
        { "operator", "\"王五\"", "operator" },
        { "source", "\"a/b\"", "source" },
        { "shift", "1", "" },
    };
    time_set_fake_ms(NOW);
    add_site(at, "C-1", SUB1, "open");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &checkin_kind, checkin_obj("v", "C-1", "status", NOW), &cases[i]);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM checkins", 0), 0);
    /* a staff array of more than the cap */
    json_t *o = checkin_obj("v", "C-1", "status", NOW), *staff = json_array();
    for (int i = 0; i <= CHECKIN_STAFF_MAX; i++)
        json_array_append_new(staff, json_string("x"));
    json_object_set_new(o, "staff", staff);
    assert_int_equal(apptest_put(at, &at->admin, &checkin_kind, o).status, INGEST_REJECTED);
    /* duplicates: stored once */
    assert_int_equal(checkin(at, "v", "C-1", "status", NOW), INGEST_ACCEPTED);
    assert_int_equal(checkin(at, "v", "C-1", "status", NOW), INGEST_DUPLICATE);
    assert_int_equal(checkin(at, "v", "C-1", "close", NOW), INGEST_DUPLICATE); /* the key decides */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM checkins", 0), 1);
    assert_int_equal(gauge(at->db, SUB1), 1); /* the duplicate "close" did not close */
}

static void
test_status_moves(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct site_version *v = NULL;
    size_t n = 0;
    int64_t id, paused, version = 0;

    time_set_fake_ms(NOW);
    id = add_site(at, "M-1", SUB1, "open");
    paused = add_site(at, "M-2", SUB1, "paused");
    assert_int_equal(gauge(at->db, SUB1), 1);

    assert_int_equal(checkin(at, "c1", "M-1", "close", NOW - 50 * MIN), INGEST_ACCEPTED);
    assert_string_equal(status_of(at, id, &arena, &version), "closed");
    assert_int_equal(version, 2);
    assert_int_equal(gauge(at->db, SUB1), 0);
    /* closing a closed site changes nothing */
    assert_int_equal(checkin(at, "c2", "M-1", "close", NOW - 40 * MIN), INGEST_ACCEPTED);
    assert_string_equal(status_of(at, id, &arena, &version), "closed");
    assert_int_equal(version, 2);
    assert_int_equal(gauge(at->db, SUB1), 0);
    assert_int_equal(checkin(at, "c3", "M-1", "open", NOW - 30 * MIN), INGEST_ACCEPTED);
    assert_string_equal(status_of(at, id, &arena, &version), "open");
    assert_int_equal(version, 3);
    assert_int_equal(gauge(at->db, SUB1), 1);
    /* a late "close" from before the last "open" does not roll the status back */
    assert_int_equal(checkin(at, "c0", "M-1", "close", NOW - 45 * MIN), INGEST_ACCEPTED);
    assert_string_equal(status_of(at, id, &arena, &version), "open");
    assert_int_equal(version, 3);
    assert_int_equal(gauge(at->db, SUB1), 1);
    /* a close of a paused site closes it; the gauge (open sites) is unmoved */
    assert_int_equal(checkin(at, "p1", "M-2", "close", NOW - 20 * MIN), INGEST_ACCEPTED);
    assert_string_equal(status_of(at, paused, &arena, NULL), "closed");
    assert_int_equal(gauge(at->db, SUB1), 1);
    assert_int_equal(checkin(at, "p2", "M-2", "open", NOW - 10 * MIN), INGEST_ACCEPTED);
    assert_int_equal(gauge(at->db, SUB1), 2);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);

    /* one batch: open and close of the same site in time order */
    json_t *batch = json_pack("[o, o, o]", checkin_obj("b1", "M-1", "close", NOW - 5 * MIN),
                              checkin_obj("b2", "M-1", "open", NOW - 4 * MIN),
                              checkin_obj("b3", "M-1", "close", NOW - 3 * MIN));
    struct ingest_outcome *out = NULL;
    size_t accepted = 0;
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, &checkin_kind, batch, &out, &n, &accepted), 0);
    assert_int_equal(accepted, 3);
    xfree(out);
    json_decref(batch);
    assert_string_equal(status_of(at, id, &arena, &version), "closed");
    assert_int_equal(version, 6);
    assert_int_equal(gauge(at->db, SUB1), 1);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);

    /* every status move is a site version with a history row and a "sites" event */
    assert_int_equal(site_history(at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_int_equal(n, 6);
    assert_string_equal(v[1].s.status, "closed");
    assert_string_equal(v[2].s.status, "open");
    assert_string_equal(v[5].action, "update");
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = 'sites' AND payload LIKE ?1",
                                      "%\"action\":\"status\"%"),
                     7);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "checkins"), 9);
    arena_release(&arena);
}

static void
test_scope_and_list(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct checkin *items = NULL;
    struct checkin_query q = { .limit = 10 };
    struct actor s1;
    struct ingest_outcome r;
    size_t n = 0;
    int64_t total = 0;

    time_set_fake_ms(NOW);
    add_site(at, "A-1", SUB1, "open");
    add_site(at, "B-1", SUB2, "open");
    apptest_scoped(at, SUB1, &s1);
    r = apptest_put(at, &s1, &checkin_kind, checkin_obj("x1", "B-1", "close", NOW));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "site_code");
    assert_int_equal(gauge(at->db, SUB2), 1);
    assert_int_equal(apptest_put(at, &s1, &checkin_kind, checkin_obj("x2", "A-1", "status", NOW - 30 * MIN)).status,
                     INGEST_ACCEPTED);
    assert_int_equal(checkin(at, "x3", "B-1", "status", NOW - 20 * MIN), INGEST_ACCEPTED);
    assert_int_equal(checkin(at, "x4", "A-1", "status", NOW - 10 * MIN), INGEST_ACCEPTED);
    assert_int_equal(checkin(at, "x5", "A-1", "status", NOW - 40 * MIN), INGEST_ACCEPTED);

    assert_int_equal(checkin_list(at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].subdistrict, SUB1);
    q.site_code = "B-1";
    assert_int_equal(checkin_list(at->db, &s1, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q.site_code = NULL;
    q.subdistrict = SUB2;
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    /* time window [from, to) */
    q.subdistrict = NULL;
    q.from = NOW - 30 * MIN;
    q.to = NOW - 10 * MIN;
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    /* newest first (the map), by time not arrival */
    q.from = q.to = 0;
    q.newest_first = true;
    q.limit = 3;
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 4);
    assert_int_equal(n, 3);
    assert_int_equal(items[0].at, NOW - 10 * MIN);
    assert_int_equal(items[1].at, NOW - 20 * MIN);
    assert_int_equal(items[2].at, NOW - 30 * MIN);
    /* paging by id */
    q.newest_first = false;
    q.limit = 2;
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    q.after = items[1].id;
    assert_int_equal(checkin_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(items[1].at, NOW - 40 * MIN);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_store_and_seal),
        APPTEST(test_validation),
        APPTEST(test_status_moves),
        APPTEST(test_scope_and_list),
    };
    return apptest_run("domain_checkin", tests, sizeof tests / sizeof tests[0]);
}
