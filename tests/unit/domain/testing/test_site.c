/* tests/unit/domain/testing/test_site.c - testing sites of domain/testing/site.h (R1.1, R2.1; S1 sealed
 * addresses): ingest validation and idempotency, subdistrict scope, update with history
 * and versions, soft delete, the "sites_open" gauge against a recount, the map's live
 * figures, and that the address never reaches the outbox or the raw rows in plaintext;
 * on SQLite and PostgreSQL.
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
#include "core/str.h"
#include "core/time.h"
#include "domain/testing/checkin.h"
#include "domain/testing/site.h"

#define NOW APPTEST_NOW /* 2026-01-01 18:00 Asia/Shanghai */
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define COMM1 "110102001004" /* a community of SUB1 */
#define COMM2 "110102003015" /* a community of SUB2 */
#define ADDRESS "府右街12号院 ADDR-MARKER-7731"
#define ADDRESS2 "西交民巷3号 ADDR-MARKER-9902"

/* Helpers ----------------------------------------------------------------------------------- */

static json_t *
site_obj(const char *code, const char *ext, const char *sub)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:i, s:s}", "source", "city", "external_id",
                     ext, "code", code, "name", "西长安街核酸点", "type", "fixed", "subdistrict", sub, "address", ADDRESS,
                     "lon", 116.38, "lat", 39.9, "opening_hours", "08:00-20:00", "capacity", 500, "city_code", "DS-001");
}

static int64_t
add_site(struct apptest *at, const char *code, const char *sub)
{
    return apptest_accept(at, &site_kind, site_obj(code, code, sub));
}

static int64_t
gauge(struct db *db, const char *sub)
{
    return apptest_gauge(db, SITE_GAUGE_OPEN, sub);
}

static int64_t
outbox_count(struct db *db, const char *topic)
{
    return apptest_i64_text(db, "SELECT count(*) FROM outbox WHERE topic = ?1", topic);
}

/* assert_absent checks that no value of column 0 of sql (text or blob) contains needle;
 * returns the rows seen. */
static size_t
assert_absent(struct db *db, const char *sql, bool blob, const char *needle)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t rows = 0;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    while (db_step(st, &row) == 0 && row) {
        size_t n = 0;
        const void *p = blob ? db_col_blob(st, 0, &n) : (const void *)db_col_text(st, 0, &n);
        if (apptest_memmem(p, n, needle, strlen(needle)))
            fail_msg("plaintext found by: %s", sql);
        rows++;
    }
    db_done(st);
    return rows;
}

static void
token(struct actor *a, const char *sub)
{
    memset(a, 0, sizeof *a);
    a->kind = ACTOR_TOKEN;
    a->id = 7;
    a->role = ROLE_NONE;
    a->perms = PERM_SET(PERM_BIT_SITES_READ) | PERM_SET(PERM_BIT_SITES_WRITE) | PERM_SET(PERM_BIT_CHECKINS_WRITE);
    str_copy(a->name, sizeof a->name, "token:7");
    str_copy(a->subdistrict, sizeof a->subdistrict, sub);
    str_copy(a->ip, sizeof a->ip, "127.0.0.1");
    str_copy(a->request_id, sizeof a->request_id, "req-test");
}

static int
update(struct apptest *at, const struct actor *a, int64_t id, const char *patch, struct ingest_outcome *why)
{
    json_t *p = apptest_json(patch);
    int rc = site_update(&at->app, at->db, a, id, p, why, NULL);
    json_decref(p);
    return rc;
}

/* Tests ------------------------------------------------------------------------------------- */

static void
test_create(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct site_live l;
    json_t *o;
    int64_t id;

    time_set_fake_ms(NOW);
    o = site_obj("XC-001", "ext-1", SUB1);
    json_object_set_new(o, "community", json_string(COMM1));
    json_object_set_new(o, "type", json_string("convenience"));
    struct ingest_outcome r = apptest_put(at, &at->admin, &site_kind, o);
    assert_int_equal(r.status, INGEST_ACCEPTED);
    id = r.id;
    assert_true(id > 0);

    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, true, &arena, &l), 0);
    assert_string_equal(l.s.code, "XC-001");
    assert_string_equal(l.s.name, "西长安街核酸点");
    assert_string_equal(l.s.type, "convenience");
    assert_string_equal(l.s.subdistrict, SUB1);
    assert_string_equal(l.s.community, COMM1);
    assert_string_equal(l.s.address, ADDRESS);
    assert_int_equal(l.s.lon_e6, 116380000);
    assert_int_equal(l.s.lat_e6, 39900000);
    assert_string_equal(l.s.opening_hours, "08:00-20:00");
    assert_string_equal(l.s.status, "open");
    assert_int_equal(l.s.capacity, 500);
    assert_string_equal(l.s.city_code, "DS-001");
    assert_int_equal(l.s.version, 1);
    assert_int_equal(l.s.deleted_at, 0);
    assert_int_equal(l.s.created_at, NOW);
    assert_false(l.has_checkin);
    assert_int_equal(l.scans_today, 0);
    /* without asking, the address stays closed */
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, false, &arena, &l), 0);
    assert_null(l.s.address);

    /* history, gauge, event, audit */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM site_history WHERE site_id = ?1", id), 1);
    assert_int_equal(gauge(at->db, SUB1), 1);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
    assert_int_equal(outbox_count(at->db, "sites"), 1);
    assert_int_equal(
        apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = 'sites' AND subdistrict = ?1", SUB1), 1);
    assert_int_equal(apptest_count_audit(at->db, "sites.ingest", NULL, "ok"), 1);

    /* S1: the address is sealed at rest and never on the stream */
    assert_int_equal(assert_absent(at->db, "SELECT address FROM sites", true, "ADDR-MARKER"), 1);
    assert_int_equal(assert_absent(at->db, "SELECT address FROM site_history", true, "ADDR-MARKER"), 1);
    assert_int_equal(assert_absent(at->db, "SELECT payload FROM outbox", false, "ADDR-MARKER"), 1);
    assert_int_equal(assert_absent(at->db, "SELECT payload FROM outbox", false, "府右街"), 1);
    assert_int_equal(assert_absent(at->db, "SELECT detail FROM audit_log", false, "ADDR-MARKER"),
                     (size_t)apptest_i64(at->db, "SELECT count(*) FROM audit_log", 0));
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    static const struct apptest_reject_case cases[] = {
        { "code", NULL, "code" },
        { "code", "\"A B\"", "code" },
        { "code", "\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"", "code" },
        { "name", "\"\"", "name" },
        { "name", "\"bad\\nname\"", "name" },
        { "name", NULL, "name" },
        { "type", "\"tent\"", "type" },
        { "type", NULL, "type" },
        { "subdistrict", "\"110102999\"", "subdistrict" },
        { "subdistrict", "\"110102\"", "subdistrict" },
        { "subdistrict", NULL, "subdistrict" },
        { "community", "\"" COMM2 "\"", "community" },
        { "community", "\"110102001\"", "community" },
        { "address", "\"line\\u0001\"", "address" },
        { "address", "42", "address" },
        { "lon", "121.47", "lon" },
        { "lon", NULL, "lon" },
        { "lat", "\"39.9\"", "lat" },
        { "lat", "45.0", "lat" },
        { "opening_hours", "7", "opening_hours" },
        { "status", "\"gone\"", "status" },
        { "capacity", "-1", "capacity" },
        { "capacity", "1.5", "capacity" },
        { "city_code", "\"城市\"", "city_code" },
        { "source", NULL, "source" },
        { "external_id", "\"a b\"", "external_id" },
        { "colour", "\"red\"", "" },
    };

    time_set_fake_ms(NOW);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ingest_outcome r = apptest_expect_rejected(at, &site_kind, site_obj("V-1", "v-1", SUB1), &cases[i]);
        assert_true(r.reason[0] != '\0');
    }
    /* the good one is still good, with every optional field left out */
    json_t *o = site_obj("V-1", "v-1", SUB1);
    json_object_del(o, "address");
    json_object_del(o, "opening_hours");
    json_object_del(o, "capacity");
    json_object_del(o, "city_code");
    json_object_set_new(o, "status", json_string("paused"));
    json_object_set_new(o, "community", json_null());
    struct ingest_outcome r = apptest_put(at, &at->admin, &site_kind, o);
    assert_int_equal(r.status, INGEST_ACCEPTED);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sites", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sites WHERE address IS NULL AND city_code IS NULL"
                                         " AND community IS NULL", 0), 1);
    assert_int_equal(gauge(at->db, SUB1), 0); /* paused is not open */
}

static void
test_duplicates(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out = NULL, r;
    size_t n = 0, accepted = 0;
    json_t *batch;

    time_set_fake_ms(NOW);
    add_site(at, "D-1", SUB1);
    /* a retry of the same upstream record */
    r = apptest_put(at, &at->admin, &site_kind, site_obj("D-1", "D-1", SUB1));
    assert_int_equal(r.status, INGEST_DUPLICATE);
    /* the same code from another upstream record */
    r = apptest_put(at, &at->admin, &site_kind, site_obj("D-1", "other", SUB1));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "code");
    /* a batch: new, retry, same code twice within the batch, bad */
    batch = json_pack("[o, o, o, o, o]", site_obj("D-2", "d2", SUB1), site_obj("D-1", "D-1", SUB1),
                      site_obj("D-3", "d3", SUB2), site_obj("D-3", "d3-bis", SUB2), site_obj("D-4", "d4", "nope"));
    assert_int_equal(ingest_run(&at->app, at->db, &at->admin, &site_kind, batch, &out, &n, &accepted), 0);
    assert_int_equal(n, 5);
    assert_int_equal(accepted, 2);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    assert_int_equal(out[1].status, INGEST_DUPLICATE);
    assert_int_equal(out[2].status, INGEST_ACCEPTED);
    assert_int_equal(out[3].status, INGEST_REJECTED);
    assert_string_equal(out[3].field, "code");
    assert_int_equal(out[4].status, INGEST_REJECTED);
    assert_string_equal(out[4].field, "subdistrict");
    xfree(out);
    json_decref(batch);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sites", 0), 3);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM site_history", 0), 3);
    assert_int_equal(outbox_count(at->db, "sites"), 3);
    assert_int_equal(gauge(at->db, SUB1), 2);
    assert_int_equal(gauge(at->db, SUB2), 1);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
}

static void
test_scope(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct ingest_outcome r, why;
    struct actor t1, t2;
    struct site_live l;
    struct site *items;
    struct site_query q = { .limit = 100 };
    struct site_version *v;
    size_t n = 0;
    int64_t total = 0, mine, theirs;
    int64_t uid;
    struct actor sub_user;

    time_set_fake_ms(NOW);
    token(&t1, SUB1);
    token(&t2, SUB2);
    /* a scoped token writes its own subdistrict only */
    r = apptest_put(at, &t1, &site_kind, site_obj("S1-A", "s1a", SUB2));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "subdistrict");
    r = apptest_put(at, &t1, &site_kind, site_obj("S1-A", "s1a", SUB1));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    mine = r.id;
    theirs = apptest_put(at, &t2, &site_kind, site_obj("S2-A", "s2a", SUB2)).id;
    assert_true(theirs > 0);

    /* another subdistrict's site reads, changes and deletes as not found */
    assert_int_equal(site_get(&at->app, at->db, &t1, theirs, true, &arena, &l), ERR_NOT_FOUND);
    assert_int_equal(update(at, &t1, theirs, "{\"name\":\"mine now\"}", &why), ERR_NOT_FOUND);
    assert_int_equal(site_delete(&at->app, at->db, &t1, theirs), ERR_NOT_FOUND);
    assert_int_equal(site_history(at->db, &t1, theirs, &arena, &v, &n), ERR_NOT_FOUND);
    /* and a site cannot be moved out of the actor's scope */
    assert_int_equal(update(at, &t1, mine, "{\"subdistrict\":\"" SUB2 "\"}", &why), ERR_FORBIDDEN);
    assert_string_equal(why.field, "subdistrict");
    assert_int_equal(site_get(&at->app, at->db, &at->admin, theirs, false, &arena, &l), 0);
    assert_string_equal(l.s.name, "西长安街核酸点");
    assert_int_equal(l.s.version, 1);

    /* lists filter in SQL: a subdistrict account sees its own rows and counts only */
    uid = apptest_user(at, "sub1", ROLE_SUBDISTRICT, SUB1, NULL, NULL);
    apptest_actor(at, uid, &sub_user);
    assert_int_equal(site_list(at->db, &sub_user, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_int_equal(items[0].id, mine);
    q.subdistrict = SUB2; /* asking for another subdistrict does not widen the scope */
    assert_int_equal(site_list(at->db, &sub_user, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    q.subdistrict = NULL;
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    arena_release(&arena);
}

static void
test_update_history(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct ingest_outcome why;
    struct site_live l;
    struct site_version *v = NULL;
    size_t n = 0;
    int64_t id, version = 0;
    json_t *p;

    time_set_fake_ms(NOW);
    id = add_site(at, "U-1", SUB1);
    assert_int_equal(gauge(at->db, SUB1), 1);

    time_set_fake_ms(NOW + 1000);
    p = apptest_json("{\"name\":\"新名字\",\"status\":\"closed\",\"version\":1}");
    assert_int_equal(site_update(&at->app, at->db, &at->admin, id, p, &why, &version), 0);
    json_decref(p);
    assert_int_equal(version, 2);
    assert_int_equal(gauge(at->db, SUB1), 0);
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, true, &arena, &l), 0);
    assert_string_equal(l.s.name, "新名字");
    assert_string_equal(l.s.status, "closed");
    assert_string_equal(l.s.address, ADDRESS); /* untouched fields keep their values */
    assert_int_equal(l.s.updated_at, NOW + 1000);

    /* stale version, fixed fields, bad values, nothing to change */
    assert_int_equal(update(at, &at->admin, id, "{\"name\":\"x\",\"version\":1}", &why), ERR_CONFLICT);
    assert_string_equal(why.field, "version");
    assert_int_equal(update(at, &at->admin, id, "{\"code\":\"U-2\"}", &why), ERR_INVALID);
    assert_string_equal(why.field, "code");
    assert_int_equal(update(at, &at->admin, id, "{\"external_id\":\"x\"}", &why), ERR_INVALID);
    assert_int_equal(update(at, &at->admin, id, "{\"name\":null}", &why), ERR_INVALID);
    assert_string_equal(why.field, "name");
    assert_int_equal(update(at, &at->admin, id, "{\"lon\":116.4}", &why), ERR_INVALID);
    assert_string_equal(why.field, "lat");
    assert_int_equal(update(at, &at->admin, id, "{\"status\":\"gone\"}", &why), ERR_INVALID);
    assert_int_equal(update(at, &at->admin, id, "{\"subdistrict\":\"110102999\"}", &why), ERR_INVALID);
    assert_int_equal(update(at, &at->admin, id, "{\"community\":\"" COMM2 "\"}", &why), ERR_INVALID);
    assert_string_equal(why.field, "community");
    assert_int_equal(update(at, &at->admin, id, "{}", &why), ERR_INVALID);
    assert_int_equal(update(at, &at->admin, id, "{\"version\":2}", &why), ERR_INVALID);
    assert_int_equal(update(at, &at->admin, id + 100, "{\"name\":\"x\"}", &why), ERR_NOT_FOUND);

    /* reopen and move with a community of the new subdistrict: the gauge follows */
    assert_int_equal(update(at, &at->admin, id,
                            "{\"status\":\"open\",\"subdistrict\":\"" SUB2 "\",\"community\":\"" COMM2
                            "\",\"lon\":116.36,\"lat\":39.94,\"capacity\":800,\"city_code\":null}",
                            &why),
                     0);
    assert_int_equal(gauge(at->db, SUB1), 0);
    assert_int_equal(gauge(at->db, SUB2), 1);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
    /* a new address is sealed again, then cleared */
    assert_int_equal(update(at, &at->admin, id, "{\"address\":\"" ADDRESS2 "\"}", &why), 0);
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, true, &arena, &l), 0);
    assert_string_equal(l.s.address, ADDRESS2);
    assert_null(l.s.city_code);
    assert_int_equal(l.s.capacity, 800);
    assert_string_equal(l.s.community, COMM2);
    assert_int_equal(update(at, &at->admin, id, "{\"address\":null,\"opening_hours\":null}", &why), 0);
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, true, &arena, &l), 0);
    assert_null(l.s.address);
    assert_string_equal(l.s.opening_hours, "");
    assert_int_equal(l.s.version, 5);

    /* every version is in the history, oldest first */
    assert_int_equal(site_history(at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i].s.version, (int64_t)i + 1);
    assert_string_equal(v[0].action, "create");
    assert_string_equal(v[0].s.name, "西长安街核酸点");
    assert_string_equal(v[0].actor, "system:tester");
    assert_string_equal(v[1].action, "update");
    assert_string_equal(v[1].s.name, "新名字");
    assert_string_equal(v[1].s.status, "closed");
    assert_int_equal(v[1].changed_at, NOW + 1000);
    assert_string_equal(v[2].s.subdistrict, SUB2);
    assert_int_equal(v[2].s.lon_e6, 116360000);
    assert_true(v[3].address_set);
    assert_false(v[4].address_set);
    assert_string_equal(v[4].s.code, "U-1");

    /* audited, pushed (the move also told the old subdistrict), never the address */
    assert_int_equal(apptest_count_audit(at->db, "sites.update", NULL, "ok"), 4);
    assert_int_equal(outbox_count(at->db, "sites"), 1 + 4 + 1);
    assert_absent(at->db, "SELECT payload FROM outbox", false, "ADDR-MARKER");
    assert_absent(at->db, "SELECT address FROM site_history", true, "ADDR-MARKER");
    assert_absent(at->db, "SELECT detail FROM audit_log", false, "ADDR-MARKER");
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_soft_delete(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct ingest_outcome why, r;
    struct site_live l;
    struct site *items;
    struct site_query q = { .limit = 10 };
    struct site_version *v;
    size_t n = 0;
    int64_t total, id, keep;
    char target[32];

    time_set_fake_ms(NOW);
    id = add_site(at, "DEL-1", SUB1);
    keep = add_site(at, "KEEP-1", SUB1);
    assert_int_equal(gauge(at->db, SUB1), 2);
    time_set_fake_ms(NOW + 5000);
    assert_int_equal(site_delete(&at->app, at->db, &at->admin, id), 0);
    assert_int_equal(gauge(at->db, SUB1), 1);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);

    /* hidden from lists, still readable with its history */
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, keep);
    assert_int_equal(site_get(&at->app, at->db, &at->admin, id, true, &arena, &l), 0);
    assert_int_equal(l.s.deleted_at, NOW + 5000);
    assert_int_equal(l.s.version, 2);
    assert_string_equal(l.s.address, ADDRESS);
    assert_int_equal(site_history(at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].action, "delete");

    /* a deleted site cannot change, be deleted again, take check-ins, or lend its code */
    assert_int_equal(update(at, &at->admin, id, "{\"name\":\"back\"}", &why), ERR_NOT_FOUND);
    assert_int_equal(site_delete(&at->app, at->db, &at->admin, id), ERR_NOT_FOUND);
    r = apptest_put(at, &at->admin, &site_kind, site_obj("DEL-1", "new-key", SUB1));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "code");
    r = apptest_put(at, &at->admin, &checkin_kind,
                    json_pack("{s:s, s:s, s:s, s:s, s:I}", "source", "phone", "external_id", "c1", "site_code", "DEL-1",
                              "kind", "open", "at", (json_int_t)NOW));
    assert_int_equal(r.status, INGEST_REJECTED);
    assert_string_equal(r.field, "site_code");
    assert_int_equal(gauge(at->db, SUB1), 1);

    snprintf(target, sizeof target, "site:%lld", (long long)id);
    assert_int_equal(apptest_count_audit(at->db, "sites.delete", target, "ok"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = 'sites' AND payload LIKE ?1",
                                      "%\"deleted\"%"),
                     1);
    arena_release(&arena);
}

static void
test_list_filters(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct site *items;
    struct site_query q = { .limit = 100 };
    struct ingest_outcome why;
    size_t n = 0;
    int64_t total = 0, ids[6];
    json_t *o;

    time_set_fake_ms(NOW);
    ids[0] = add_site(at, "LF-1", SUB1);
    ids[1] = add_site(at, "LF-2", SUB1);
    ids[2] = add_site(at, "LF-3", SUB2);
    o = site_obj("LF-4", "LF-4", SUB1);
    json_object_set_new(o, "name", json_string("100%_便民点"));
    json_object_set_new(o, "type", json_string("mobile"));
    json_object_set_new(o, "community", json_string(COMM1));
    ids[3] = apptest_put(at, &at->admin, &site_kind, o).id;
    ids[4] = add_site(at, "ZZ-9", SUB2);
    ids[5] = add_site(at, "LF-6", SUB1);
    assert_int_equal(update(at, &at->admin, ids[1], "{\"status\":\"paused\"}", &why), 0);

    q.q = "LF-";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 5);
    q.q = "100%_"; /* LIKE metacharacters match literally */
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(items[0].id, ids[3]);
    q.q = "0%";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q.q = "便民";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q.q = NULL;
    q.status = "paused";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(items[0].id, ids[1]);
    q.status = NULL;
    q.type = "mobile";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q.type = NULL;
    q.community = COMM1;
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q.community = NULL;
    q.subdistrict = SUB2;
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(items[0].id, ids[2]);
    assert_int_equal(items[1].id, ids[4]);
    q.subdistrict = "'; DROP TABLE sites; --";
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);

    /* paging by id: 2 + 2 + 2 */
    q.subdistrict = NULL;
    q.limit = 2;
    q.after = 0;
    for (int page = 0; page < 3; page++) {
        assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
        assert_int_equal(total, 6);
        assert_int_equal(n, 2);
        assert_int_equal(items[0].id, ids[2 * page]);
        assert_int_equal(items[1].id, ids[2 * page + 1]);
        q.after = items[1].id;
    }
    assert_int_equal(site_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 0);
    arena_release(&arena);
}

static void
test_gauge_recount(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome why;
    int64_t ids[8];
    char code[16];
    static const char *const statuses[] = { "open", "closed", "paused" };

    time_set_fake_ms(NOW);
    for (int i = 0; i < 8; i++) {
        json_t *o;
        snprintf(code, sizeof code, "G-%d", i);
        o = site_obj(code, code, i % 2 ? SUB1 : SUB2);
        json_object_set_new(o, "status", json_string(statuses[i % 3]));
        ids[i] = apptest_put(at, &at->admin, &site_kind, o).id;
        assert_true(ids[i] > 0);
    }
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            char patch[96];
            snprintf(patch, sizeof patch, "{\"status\":\"%s\",\"subdistrict\":\"%s\"}", statuses[(i + round) % 3],
                     (i + round) % 2 ? SUB2 : SUB1);
            assert_int_equal(update(at, &at->admin, ids[i], patch, &why), 0);
        }
        assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
    }
    assert_int_equal(site_delete(&at->app, at->db, &at->admin, ids[0]), 0);
    assert_int_equal(site_delete(&at->app, at->db, &at->admin, ids[3]), 0);
    assert_int_equal(apptest_sites_open_mismatches(at->db), 0);
    assert_true(gauge(at->db, SUB1) + gauge(at->db, SUB2) > 0);
}

static void
test_live_figures(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct site_live l, *items;
    size_t n = 0;
    bool more = true;
    int64_t a, b, today = site__day_start(NOW);
    char sql[256];
    struct ingest_outcome r;

    time_set_fake_ms(NOW);
    a = add_site(at, "L-1", SUB1);
    b = add_site(at, "L-2", SUB2);
    /* counters: 3 + 4 today (two hours, two plans), 50 yesterday */
    snprintf(sql, sizeof sql,
             "INSERT INTO stat_scans (plan_id, subdistrict, community, site_id, hour, n) VALUES"
             " (0, '%s', '', %lld, %lld, 3), (1, '%s', '', %lld, %lld, 4), (0, '%s', '', %lld, %lld, 50)",
             SUB1, (long long)a, (long long)today, SUB1, (long long)a, (long long)(today + 7200000), SUB1,
             (long long)a, (long long)(today - 3600000));
    assert_int_equal(apptest_exec(at->db, sql), 0);
    r = apptest_put(at, &at->admin, &checkin_kind,
                    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "phone", "external_id", "c1", "site_code",
                              "L-1", "kind", "status", "queue_len", (json_int_t)12, "at", (json_int_t)(NOW - 60000)));
    assert_int_equal(r.status, INGEST_ACCEPTED);
    r = apptest_put(at, &at->admin, &checkin_kind,
                    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source", "phone", "external_id", "c0", "site_code",
                              "L-1", "kind", "status", "queue_len", (json_int_t)3, "at", (json_int_t)(NOW - 600000)));
    assert_int_equal(r.status, INGEST_ACCEPTED);

    assert_int_equal(site_get(&at->app, at->db, &at->admin, a, false, &arena, &l), 0);
    assert_int_equal(l.scans_today, 7);
    assert_true(l.has_checkin);
    assert_string_equal(l.checkin_kind, "status");
    assert_int_equal(l.checkin_at, NOW - 60000); /* the latest by time, not by arrival */
    assert_int_equal(l.queue_len, 12);

    assert_int_equal(site_map(at->db, &at->admin, 10, &arena, &items, &n, &more), 0);
    assert_int_equal(n, 2);
    assert_false(more);
    assert_int_equal(items[0].s.id, a);
    assert_int_equal(items[0].scans_today, 7);
    assert_int_equal(items[0].queue_len, 12);
    assert_int_equal(items[1].s.id, b);
    assert_int_equal(items[1].scans_today, 0);
    assert_false(items[1].has_checkin);
    assert_int_equal(site_map(at->db, &at->admin, 1, &arena, &items, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_true(more);

    /* scoped: a subdistrict actor's map holds its own sites only */
    struct actor t2;
    token(&t2, SUB2);
    assert_int_equal(site_map(at->db, &t2, 10, &arena, &items, &n, &more), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].s.id, b);

    /* the local day starts at 16:00 UTC */
    assert_int_equal(site__day_start(APPTEST_T0), APPTEST_T0 - 8 * 3600000LL);
    assert_int_equal(site__day_start(APPTEST_T0 + 16 * 3600000LL), APPTEST_T0 + 16 * 3600000LL);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_create),        APPTEST(test_validation), APPTEST(test_duplicates),
        APPTEST(test_scope),         APPTEST(test_update_history), APPTEST(test_soft_delete),
        APPTEST(test_list_filters),  APPTEST(test_gauge_recount),  APPTEST(test_live_figures),
    };
    return apptest_run("domain_site", tests, sizeof tests / sizeof tests[0]);
}
