/* tests/unit/domain/retention/test_erase.c - erasing one person's data on request (issue 12; S1,
 * S5), on SQLite and PostgreSQL. Person A has a solo tube and a pooled tube shared with B, a
 * corrected sample (sample_history), a 流调 record and rows in a stored batch. After the erase:
 * A's lookup finds nothing, no data row carries A's blind index, A's solo tube result is gone
 * while the pooled tube's result stays for B, B is untouched, and one "people.erase" audit
 * entry names the blind index only (never the number). Only the secadmin role holds
 * people.erase, and a reason holding an ID number is refused. Fails on the tree before
 * wp-retain: there was no erasure at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/retention/erase.h"
#include "domain/testing/person.h"
#include "domain/testing/result.h"
#include "domain/testing/sample.h"

static char id_a[19], id_b[19];

static void
make_id(const char *first17, char out[19])
{
    snprintf(out, 19, "%s%c", first17, idno_check_digit(first17));
}

static int64_t
sample(struct apptest *at, const char *ext, const char *id, const char *tube)
{
    return apptest_accept(at, &sample_kind,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext,
                                    "id_number", id, "name", "测试", "tube_code", tube, "site_code", "S1",
                                    "collected_at", (json_int_t)(APPTEST_NOW - 3600000)));
}

static void
result(struct apptest *at, const char *ext, const char *tube)
{
    apptest_accept(at, &result_kind,
                   json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", "lab", "external_id", ext, "tube_code", tube,
                             "institution", "检测所", "tested_at", (json_int_t)(APPTEST_NOW - 60000), "result",
                             "negative"));
}

/* epi inserts a 流调 record for id (sealed like the importer does) with one place. */
static void
epi(struct apptest *at, const char *ext, const char *id)
{
    static const char sql[] = "INSERT INTO health_epi (source, external_id, kind, subdistrict, reported_at, idno_bidx,"
                              " id_number, name, created_by, created_at) VALUES ('wj', ?1, 'case', '"
                              APPTEST_SUBDISTRICT "', 1, ?2, ?3, ?4, 'test', 1) RETURNING id";
    static const char sql_place[] =
        "INSERT INTO health_epi_places (epi_id, seq, name, from_at) VALUES (?1, 1, '超市', 1)";
    uint8_t sid[128], sname[128];
    size_t nid = 0, nname = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(field_seal(&at->app.keys, "health_epi.id_number", id, 18, sid, sizeof sid, &nid), 0);
    assert_int_equal(field_seal(&at->app.keys, "health_epi.name", "测试", 6, sname, sizeof sname, &nname), 0);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, ext, strlen(ext)), 0);
    assert_int_equal(db_bind_i64(st, 2, blind_index(&at->app.keys, "idno", id, 18)), 0);
    assert_int_equal(db_bind_blob(st, 3, sid, nid), 0);
    assert_int_equal(db_bind_blob(st, 4, sname, nname), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    int64_t epi_id = db_col_i64(st, 0);
    db_done(st);
    assert_int_equal(db_prepare(at->db, sql_place, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, epi_id), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* batch stores one finished batch whose rows 1 and 2 hold A and B. */
static void
batch(struct apptest *at)
{
    char sql[1024];
    const char *blob = apptest_dialect(at->db, "x'00'", "'\\x00'::bytea");
    snprintf(sql, sizeof sql,
             "INSERT INTO batches (id, user_id, username, role, status, created_at) VALUES (9, 1, 'u', 'district',"
             " 'done', 1);"
             "INSERT INTO batch_rows (batch_id, row_no, num, id_bidx, cells) VALUES (9, 0, 1, NULL, %s),"
             " (9, 1, 2, %lld, %s), (9, 2, 3, %lld, %s);"
             "INSERT INTO batch_results (batch_id, row_no, status, found) VALUES (9, 1, 'ok', 1), (9, 2, 'ok', 1)",
             blob, (long long)blind_index(&at->app.keys, "idno", id_a, 18), blob,
             (long long)blind_index(&at->app.keys, "idno", id_b, 18), blob);
    assert_int_equal(apptest_exec(at->db, sql), 0);
}

static int64_t
rows_with(struct apptest *at, int64_t bidx)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM samples WHERE person_bidx = ?1)"
        " + (SELECT count(*) FROM sample_history WHERE person_bidx = ?1)"
        " + (SELECT count(*) FROM health_epi WHERE idno_bidx = ?1)"
        " + (SELECT count(*) FROM batch_rows WHERE id_bidx = ?1)";
    return apptest_i64(at->db, sql, bidx);
}

static size_t
tests_of(struct apptest *at, const char *id, const char **first_result)
{
    struct arena arena = ARENA_INIT;
    struct person_history h;
    assert_int_equal(person_lookup(&at->app, at->db, &at->admin, id, 14, false, NULL, &arena, &h, apptest_why()), 0);
    size_t n = h.ntests;
    if (first_result)
        *first_result = n && h.tests[0].result[0] ? "negative" : "";
    arena_release(&arena);
    return n;
}

static void
test_erase_person(void **state)
{
    struct apptest *at = *state;
    struct erase_counts c;
    struct ingest_outcome why;
    const char *res = NULL;
    make_id("11010219800101001", id_a);
    make_id("11010219900202002", id_b);
    time_set_fake_ms(APPTEST_NOW);
    apptest_site(at, "S1", APPTEST_SUBDISTRICT);
    int64_t a1 = sample(at, "a1", id_a, "T-SOLO");
    sample(at, "a2", id_a, "T-POOL");
    sample(at, "b1", id_b, "T-POOL");
    result(at, "r1", "T-SOLO");
    result(at, "r2", "T-POOL");
    json_t *patch = apptest_json("{\"source\":\"app\",\"reason\":\"typo\",\"name\":\"测试二\"}");
    assert_int_equal(sample_correct(&at->app, at->db, &at->admin, a1, patch, &why), 0);
    json_decref(patch);
    epi(at, "e1", id_a);
    epi(at, "e2", id_b);
    batch(at);
    int64_t bidx_a = blind_index(&at->app.keys, "idno", id_a, 18), bidx_b = blind_index(&at->app.keys, "idno", id_b, 18);
    assert_int_equal(rows_with(at, bidx_a), 2 + 1 + 1 + 1);
    int64_t scans = apptest_i64(at->db, "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM stat_scans", 0);

    /* a spaced ID number in the reason is refused (it would sit in the audit log) */
    assert_int_equal(person_erase(&at->app, at->db, &at->admin, id_a, "申请人 110102 19800101 0011", &c,
                                  apptest_why()),
                     ERR_INVALID);
    assert_int_equal(rows_with(at, bidx_a), 5);
    /* the ID in any spelling: spaces are normalised away */
    char spaced[24];
    snprintf(spaced, sizeof spaced, "%.6s %.8s %.4s", id_a, id_a + 6, id_a + 14);
    assert_int_equal(person_erase(&at->app, at->db, &at->admin, spaced, "本人申请删除（工单 2026-17）", &c, apptest_why()), 0);
    assert_int_equal(c.samples, 2);
    assert_int_equal(c.sample_history, 1);
    assert_int_equal(c.results, 1); /* T-SOLO; T-POOL's result stays for B */
    assert_int_equal(c.health_epi, 1);
    assert_int_equal(c.batch_rows, 1);
    assert_int_equal(c.kept_collisions, 0);

    assert_int_equal(rows_with(at, bidx_a), 0);
    assert_int_equal(tests_of(at, id_a, NULL), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM results WHERE tube_code = ?1", "T-SOLO"), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM batch_results WHERE batch_id = 9", 0), 1);
    /* B is untouched, the pooled result still answers for B */
    assert_int_equal(rows_with(at, bidx_b), 1 + 1 + 1);
    assert_int_equal(tests_of(at, id_b, &res), 1);
    assert_string_equal(res, "negative");
    /* counters are aggregates: kept */
    assert_int_equal(apptest_i64(at->db, "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM stat_scans", 0), scans);
    /* audited by blind index, the number nowhere in the audit log */
    assert_int_equal(apptest_count_audit(at->db, "people.erase", c.target, "ok"), 1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1 OR target LIKE ?1",
                                      "%19800101%"),
                     0);
    /* a second erase finds nothing and is still audited */
    assert_int_equal(person_erase(&at->app, at->db, &at->admin, id_a, "复核", &c, apptest_why()), 0);
    assert_int_equal(c.samples + c.results + c.batch_rows + c.health_epi + c.sample_history, 0);
    assert_int_equal(apptest_count_audit(at->db, "people.erase", c.target, "ok"), 2);
    apptest_audit_intact(at);
}

static void
test_erase_refusals(void **state)
{
    struct apptest *at = *state;
    struct erase_counts c;
    assert_int_equal(person_erase(&at->app, at->db, &at->admin, "1101021980", "r", &c, apptest_why()),
                     ERR_INVALID); /* too short */
    assert_non_null(strstr(apptest_why_text(), "'id_number' is not a valid ID number"));
    make_id("11010219800101001", id_a);
    assert_int_equal(person_erase(&at->app, at->db, &at->admin, id_a, "", &c, apptest_why()), ERR_INVALID);
    assert_string_equal(apptest_why_text(), "erasing needs a 'reason' (1 to 200 bytes, without ID numbers)");
    assert_int_equal(apptest_count_audit(at->db, "people.erase", NULL, NULL), 0);
    /* 三权分立: only the secadmin may erase; never a token */
    for (int r = 0; r < ROLE__COUNT; r++)
        assert_int_equal((role_perms((enum role)r) & PERM_SET(PERM_BIT_PEOPLE_ERASE)) != 0, r == ROLE_SECADMIN);
    assert_int_equal(PERM_TOKEN_ALLOWED & PERM_SET(PERM_BIT_PEOPLE_ERASE), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_erase_person),
        APPTEST(test_erase_refusals),
    };
    return apptest_run("erase", tests, sizeof tests / sizeof tests[0]);
}
