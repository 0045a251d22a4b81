/* tests/unit/domain/exchange/test_health.c - the health commission's data (issue 11, R2.13; S1,
 * S6) on SQLite and PostgreSQL: 流调 records and doctors ingested idempotently with every
 * personal field sealed (greppable nowhere in the stored rows), looked up by ID number or
 * phone masked by default, revealed only with pii.reveal and a reason, every lookup, list
 * and reveal audited by blind index; subdistrict scope on reads and writes; a sheet written
 * by /usr/bin/python3 + openpyxl imported (date cells, a formula literal, a second place on
 * the next row, a bad row reported) and re-imported without duplicates.
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
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "db/db.h"
#include "domain/exchange/health.h"
#include "domain/exchange/health_import.h"
#include "fixtures/pyfixture.h"

#define HOUR 3600000LL
#define DAY (24 * HOUR)
#define NOW (APPTEST_T0 + 30 * DAY + 10 * HOUR) /* 2026-01-31 10:00 UTC */
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

#define P_ID "11010219900307123X"
#define P_MASKED "110102********123X"
#define P_NAME "\xe5\xbc\xa0\xe4\xb8\x89" /* 张三 */
#define P_NAME_MASKED "\xe5\xbc\xa0*"       /* 张* */
#define P_PHONE "13900139000"
#define P_PHONE_MASKED "139****9000"
#define P_ADDR "\xe8\xa5\xbf\xe9\x95\xbf\xe5\xae\x89\xe8\xa1\x97\x31\xe5\x8f\xb7" /* 西长安街1号 */
#define Q_ID "110102198501011235"
#define REASON "contact tracing of case E-001 for the district command"

static char tmpdir[256];

static json_t *
epi_obj(const char *ext, const char *kind, const char *sub, const char *id, const char *name)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "source", "wjw", "external_id", ext, "kind",
                          kind, "subdistrict", sub, "reported_at", (json_int_t)(NOW - 2 * HOUR), "name", name,
                          "phone", "+86 139-0013-9000", "address", P_ADDR);
    if (id)
        json_object_set_new(o, "id_number", json_string(id));
    json_object_set_new(o, "places",
                        json_pack("[{s:s, s:f, s:f, s:I, s:I}, {s:s, s:I}]", "name", "超市A", "lon", 116.38, "lat",
                                  39.91, "from", (json_int_t)(NOW - 30 * HOUR), "to", (json_int_t)(NOW - 29 * HOUR),
                                  "name", "餐馆B", "from", (json_int_t)(NOW - 27 * HOUR)));
    return o;
}

static void
district_actor(struct apptest *at, const char *user, struct actor *a)
{
    apptest_actor(at, apptest_user(at, user, ROLE_DISTRICT, NULL, NULL, NULL), a);
}

static void
test_ingest_sealed_idempotent(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome o;
    struct db_stmt *st = NULL;
    bool row = false;
    time_set_fake_ms(NOW);
    int64_t id = apptest_accept(at, &health_epi_kind, epi_obj("E-001", "case", SUB1, P_ID, P_NAME));
    o = apptest_put(at, &at->admin, &health_epi_kind, epi_obj("E-001", "case", SUB1, P_ID, P_NAME));
    assert_int_equal(o.status, INGEST_DUPLICATE);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM health_epi", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM health_epi_places WHERE epi_id = ?1", id), 2);
    /* nothing personal in the clear: every sealed column differs from its plaintext */
    assert_int_equal(db_prepare(at->db, "SELECT id_number, name, phone, address FROM health_epi", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const char *const plain[] = { P_ID, P_NAME, P_PHONE, P_ADDR, "13900139000" };
    for (int c = 0; c < 4; c++) {
        size_t n = 0;
        const void *blob = db_col_blob(st, c, &n);
        assert_non_null(blob);
        for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
            assert_false(apptest_memmem(blob, n, plain[k], strlen(plain[k])));
    }
    db_done(st);
    /* one event, without personal data */
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "health"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%123X%"), 0);
}

static void
test_rejections(void **state)
{
    struct apptest *at = *state;
    time_set_fake_ms(NOW);
    static const struct apptest_reject_case cases[] = {
        { "kind", "\"suspect\"", "kind" },
        { "case_ref", "\"E-000\"", "case_ref" },       /* a case is not linked to a case */
        { "id_number", "\"110102199003071231\"", "id_number" }, /* bad checksum */
        { "phone", "\"call me\"", "phone" },
        { "subdistrict", "\"999999999\"", "subdistrict" },
        { "name", NULL, "name" },
        { "places", "[{\"name\":\"x\",\"from\":1767225600000,\"to\":1767225500000}]", "places" },
        { "places", "[{\"name\":\"x\",\"lon\":116.3,\"from\":1767225600000}]", "places" },
        { "surprise", "1", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        apptest_expect_rejected(at, &health_epi_kind, epi_obj("E-9", "case", SUB1, P_ID, P_NAME), &cases[i]);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM health_epi", 0), 0);
}

static void
test_lookup_masked_and_reveal(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actor dist, off;
    struct health_epi *items = NULL;
    size_t n = 0;
    time_set_fake_ms(NOW);
    apptest_accept(at, &health_epi_kind, epi_obj("E-001", "case", SUB1, P_ID, P_NAME));
    apptest_accept(at, &health_epi_kind, epi_obj("E-002", "close_contact", SUB1, Q_ID, "李四"));
    district_actor(at, "dist", &dist);
    apptest_actor(at, apptest_user(at, "off1", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &off);

    /* masked, by a lower-case spelling of the ID */
    struct health_lookup q = { .id_number = "11010219900307123x" };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &off, &q, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].external_id, "E-001");
    assert_string_equal(items[0].id_number, P_MASKED);
    assert_string_equal(items[0].name, P_NAME_MASKED);
    assert_string_equal(items[0].phone, P_PHONE_MASKED);
    assert_string_equal(items[0].address, "***");
    assert_int_equal(items[0].nplaces, 2);
    assert_string_equal(items[0].places[0].name, "超市A");
    assert_int_equal(items[0].places[0].lon_e6, 116380000);
    assert_false(items[1 - 1].places[1].has_position);
    assert_int_equal(apptest_count_audit(at->db, "health.lookup", NULL, "ok"), 1);

    /* by phone: both records carry the same phone */
    struct health_lookup qp = { .phone = "139 0013 9000" };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &dist, &qp, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].phone, P_PHONE_MASKED);

    /* a subdistrict officer may not reveal: refused and audited */
    struct health_lookup qr = { .id_number = P_ID, .reveal = true, .reason = REASON };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &off, &qr, &arena, &items, &n, apptest_why()),
                     ERR_FORBIDDEN);
    assert_int_equal(apptest_count_audit(at->db, "health.reveal", NULL, "denied"), 1);
    /* the district reveals, with a reason only */
    struct health_lookup qn = { .id_number = P_ID, .reveal = true, .reason = "" };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &dist, &qn, &arena, &items, &n, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(health_epi_lookup(&at->app, at->db, &dist, &qr, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id_number, P_ID);
    assert_string_equal(items[0].name, P_NAME);
    assert_string_equal(items[0].phone, P_PHONE);
    assert_string_equal(items[0].address, P_ADDR);
    assert_int_equal(apptest_count_audit(at->db, "health.reveal", NULL, "ok"), 1);
    /* the audit log holds blind targets, never the number */
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE target LIKE ?1", "%123X%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE target LIKE ?1", "blind:%"), 4);

    /* bad keys */
    struct health_lookup qb = { .id_number = "110102199003071231" };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &dist, &qb, &arena, &items, &n, apptest_why()),
                     ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "bad_checksum"));
    struct health_lookup q2 = { .id_number = P_ID, .phone = P_PHONE };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &dist, &q2, &arena, &items, &n, apptest_why()),
                     ERR_INVALID);
    apptest_audit_intact(at);
    arena_release(&arena);
}

static void
test_scope(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct actor off2, scoped2;
    struct health_epi *items = NULL;
    struct health_doctor *docs = NULL;
    size_t n = 0;
    int64_t total = 0, id;
    time_set_fake_ms(NOW);
    id = apptest_accept(at, &health_epi_kind, epi_obj("E-001", "case", SUB1, P_ID, P_NAME));
    apptest_accept(at, &health_epi_kind, epi_obj("E-005", "case", SUB2, Q_ID, "李四"));
    apptest_site(at, "S-1", SUB1);
    apptest_accept(at, &health_doctor_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "source", "wjw", "external_id", "D-1",
                             "name", "赵医生", "phone", "13811112222", "institution", "东城区人民医院", "title",
                             "主治医师", "subdistrict", SUB1, "site_code", "S-1"));
    apptest_actor(at, apptest_user(at, "off2", ROLE_SUBDISTRICT, SUB2, NULL, NULL), &off2);

    /* a SUB2 officer finds nothing of SUB1, by ID or by record id */
    struct health_lookup q = { .id_number = P_ID };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &off2, &q, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 0);
    struct health_lookup qi = { .record_id = id };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &off2, &qi, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 0);
    struct health_epi_query lq = { .limit = 50 };
    assert_int_equal(health_epi_list(&at->app, at->db, &off2, &lq, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].external_id, "E-005");
    assert_string_equal(items[0].name, "李*");
    struct health_doctor_query dq = { .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &off2, &dq, &arena, &docs, &n, &total), 0);
    assert_int_equal(n, 0);
    dq.site_code = "S-1";
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &dq, &arena, &docs, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(docs[0].name, "赵**");
    assert_string_equal(docs[0].phone, "138****2222");
    assert_string_equal(docs[0].title, "主治医师");
    /* search by name or phone (blind index, 0022); another name finds nothing */
    struct health_doctor_query sq = { .name = " 赵医生 ", .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &sq, &arena, &docs, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(docs[0].name, "赵**");
    sq = (struct health_doctor_query){ .phone = "138-1111-2222", .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &sq, &arena, &docs, &n, &total), 0);
    assert_int_equal(n, 1);
    sq = (struct health_doctor_query){ .name = "钱医生", .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &sq, &arena, &docs, &n, &total), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    sq = (struct health_doctor_query){ .phone = "12", .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &sq, &arena, &docs, &n, &total), ERR_INVALID);
    /* reveal: needs pii.reveal and a reason, in scope */
    struct health_doctor one;
    int64_t did;
    sq = (struct health_doctor_query){ .limit = 50 };
    assert_int_equal(health_doctor_list(&at->app, at->db, &at->admin, &sq, &arena, &docs, &n, &total), 0);
    did = docs[0].id;
    assert_int_equal(health_doctor_reveal(&at->app, at->db, &at->admin, did, "核对排班", &arena, &one, apptest_why()),
                     0);
    assert_string_equal(one.name, "赵医生");
    assert_string_equal(one.phone, "13811112222");
    assert_int_equal(health_doctor_reveal(&at->app, at->db, &at->admin, did, "", &arena, &one, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(health_doctor_reveal(&at->app, at->db, &off2, did, "核对排班", &arena, &one, apptest_why()),
                     ERR_FORBIDDEN);
    /* a writer bound to SUB2 cannot write SUB1's records */
    apptest_scoped(at, SUB2, &scoped2);
    struct ingest_outcome o = apptest_put(at, &scoped2, &health_epi_kind, epi_obj("E-006", "case", SUB1, NULL, "x"));
    assert_int_equal(o.status, INGEST_REJECTED);
    assert_string_equal(o.field, "subdistrict");
    /* a doctor at a site of another subdistrict is refused */
    o = apptest_put(at, &at->admin, &health_doctor_kind,
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "source", "wjw", "external_id", "D-2", "name", "钱医生",
                              "institution", "x", "subdistrict", SUB2, "site_code", "S-1"));
    assert_int_equal(o.status, INGEST_REJECTED);
    assert_string_equal(o.field, "site_code");
    arena_release(&arena);
}

static void
test_import_sheet(void **state)
{
    struct apptest *at = *state;
    struct health_import_result res;
    struct buf file = BUF_INIT, why = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct health_epi *items = NULL;
    size_t n = 0;
    FILE *f;
    char chunk[4096];
    size_t got;
    time_set_fake_ms(NOW);
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/jy_health_%d", (int)getpid());
        snprintf(chunk, sizeof chunk, "mkdir -p '%s'", tmpdir);
        assert_int_equal(system(chunk), 0);
    }
    const char *path = pyfixture_make(tmpdir, "make_epi.py", "epi.xlsx", "");
    assert_non_null(f = fopen(path, "rb"));
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, got);
    fclose(f);

    assert_int_equal(health_import_mem(&at->app, at->db, &at->admin, file.data, file.len, &res, &why), 0);
    assert_int_equal(res.n, 3);
    assert_int_equal(res.accepted, 2);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(res.rows[0].row, 3);
    assert_string_equal(res.rows[0].status, "accepted");
    assert_int_equal(res.rows[1].row, 5);
    assert_string_equal(res.rows[1].external_id, "E-002"); /* ="E-002" read as its literal */
    assert_string_equal(res.rows[1].status, "accepted");
    assert_int_equal(res.rows[2].row, 6);
    assert_string_equal(res.rows[2].status, "rejected");
    assert_string_equal(res.rows[2].field, "kind");
    health_import_result_release(&res);

    /* the record as stored: Beijing times, both places, the contact linked */
    struct health_lookup q = { .id_number = P_ID };
    assert_int_equal(health_epi_lookup(&at->app, at->db, &at->admin, &q, &arena, &items, &n, apptest_why()), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].kind, "case");
    assert_string_equal(items[0].source, "file");
    assert_int_equal(items[0].reported_at, APPTEST_T0 + 29 * DAY + 1 * HOUR); /* 01-30 09:00 +08:00 */
    assert_int_equal(items[0].nplaces, 2);
    assert_string_equal(items[0].places[1].name, "餐馆B");
    assert_int_equal(items[0].places[0].from_at, APPTEST_T0 + 28 * DAY + 2 * HOUR); /* 01-29 10:00 */
    assert_int_equal(items[0].places[0].to_at, APPTEST_T0 + 28 * DAY + 3 * HOUR);
    assert_int_equal(items[0].places[1].lat_e6, 39920000);
    assert_string_equal(items[0].phone, P_PHONE_MASKED);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM health_epi WHERE case_ref = ?1", "E-001"), 1);

    /* re-importing stores nothing twice */
    assert_int_equal(health_import_mem(&at->app, at->db, &at->admin, file.data, file.len, &res, &why), 0);
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.duplicate, 2);
    assert_int_equal(res.rejected, 1);
    health_import_result_release(&res);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM health_epi", 0), 2);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM health_epi_places", 0), 2);

    /* not a 流调 sheet */
    static const char csv[] = "a,b\n1,2\n";
    assert_int_equal(health_import_mem(&at->app, at->db, &at->admin, csv, sizeof csv - 1, &res, &why), ERR_INVALID);
    health_import_result_release(&res);
    buf_release(&file);
    buf_release(&why);
    arena_release(&arena);
}

/* 街道名称 instead of codes: names resolve through the divisions table; an unknown name is a
 * row error naming the field, the rest of the sheet is stored. */
static void
test_import_subdistrict_names(void **state)
{
    struct apptest *at = *state;
    struct health_import_result res;
    struct buf file = BUF_INIT, why = BUF_INIT;
    FILE *f;
    char chunk[4096];
    size_t got;
    time_set_fake_ms(NOW);
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/jy_health_%d", (int)getpid());
        snprintf(chunk, sizeof chunk, "mkdir -p '%s'", tmpdir);
        assert_int_equal(system(chunk), 0);
    }
    assert_non_null(f = fopen(pyfixture_make(tmpdir, "make_epi.py", "names.xlsx", "names"), "rb"));
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&file, chunk, got);
    fclose(f);
    assert_int_equal(health_import_mem(&at->app, at->db, &at->admin, file.data, file.len, &res, &why), 0);
    assert_int_equal(res.n, 4);
    assert_int_equal(res.accepted, 3);
    assert_int_equal(res.rejected, 1);
    assert_string_equal(res.rows[3].status, "rejected");
    assert_int_equal(res.rows[3].row, 5);
    assert_string_equal(res.rows[3].field, "subdistrict");
    assert_string_equal(res.rows[2].status, "accepted");
    health_import_result_release(&res);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM health_epi WHERE subdistrict = ?1", "110102012"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM health_epi WHERE subdistrict = ?1", "110102001"), 1);
    /* again: the resolved rows are duplicates, the unknown name is still reported */
    assert_int_equal(health_import_mem(&at->app, at->db, &at->admin, file.data, file.len, &res, &why), 0);
    assert_int_equal(res.duplicate, 3);
    assert_int_equal(res.rejected, 1);
    health_import_result_release(&res);
    buf_release(&file);
    buf_release(&why);
}

static void
test_phone_helpers(void **state)
{
    (void)state;
    char d[21], m[40];
    assert_true(health_phone_norm("+86 139-0013-9000", d));
    assert_string_equal(d, "13900139000");
    assert_true(health_phone_norm("010-65123456", d));
    assert_false(health_phone_norm("12", d));
    assert_false(health_phone_norm("13900139000x", d));
    health_mask_phone("13900139000", m, sizeof m);
    assert_string_equal(m, "139****9000");
    health_mask_phone("1234", m, sizeof m);
    assert_string_equal(m, "****");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_ingest_sealed_idempotent), APPTEST(test_rejections), APPTEST(test_lookup_masked_and_reveal),
        APPTEST(test_scope), APPTEST(test_import_sheet), APPTEST(test_import_subdistrict_names),
        cmocka_unit_test(test_phone_helpers),
    };
    int failed = apptest_run("health", tests, sizeof tests / sizeof tests[0]);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            failed++;
    }
    return failed;
}
