/* tests/unit/domain/exchange/test_hotline_store.c - stored 12345 hotline tickets, versioned rule
 * sets, runs and checked samples (issue 11, R2.12; S1, S6) on SQLite and PostgreSQL, over the
 * ticket list /usr/bin/python3 + openpyxl writes (tests/support/fixtures/make_tickets.py):
 *   - import: 7 tickets stored, the row without a number rejected with its row; a re-import
 *     stores nothing (7 duplicates); caller, phone and address sealed (no plaintext in the
 *     stored columns), the phone blind-indexed; reads masked; a CSV with a bad time and a
 *     missing time reports those rows; audited;
 *   - rule sets: validation names the offset; a PUT adds version 2 and version 1 is kept;
 *   - runs: counts over the whole period and over one day (the rule of the extract contract);
 *   - samples: N drawn from the hits without repeats, marks counted, precision per sample
 *     and per version; marking a ticket not in the sample is ERR_NOT_FOUND;
 *   - a subdistrict account is refused (the hotline is district-wide).
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
#include "crypto/field.h"
#include "db/db.h"
#include "domain/exchange/hotline_store.h"
#include "fixtures/pyfixture.h"

#define RULE "核酸 AND (排队 OR 人多) NOT 疫苗"
#define CATS "卫生健康/核酸检测\n城市管理\n"
/* 2026-12-01 00:00 and 2026-12-02 00:00 in UTC+8, as ms */
#define DEC1 (1796054400000LL)
#define DEC2 (DEC1 + 86400000LL)

static char tmpdir[256];

static void
ensure_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/test_hotline_store.XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
    }
}

static const char *
fixture(const char *name, const char *extra)
{
    ensure_tmpdir();
    return pyfixture_make(tmpdir, "make_tickets.py", name, extra);
}

static void
import_file(struct apptest *at, const char *path, struct hotline_import_result *res)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_path(path, &t, &why), 0);
    int rc = hotline_import(&at->app, at->db, &at->admin, t, res, &why);
    if (rc)
        fail_msg("import: %s", why.data);
    table_close(t);
    buf_release(&why);
}

static int64_t
save_rule(struct apptest *at, int64_t id, const char *expr, int64_t *version)
{
    struct hotline_rule_def def = { "核酸排队", CATS, expr, "人多 拥挤\n" };
    struct buf why = BUF_INIT;
    int64_t out = 0;
    int rc = hotline_rules_save(&at->app, at->db, &at->admin, id, &def, &out, version, &why);
    if (rc)
        fail_msg("save: %s", why.data);
    buf_release(&why);
    return out;
}

static void
test_import_sealed_idempotent(void **state)
{
    struct apptest *at = *state;
    struct hotline_import_result res;
    struct arena arena = ARENA_INIT;
    struct hotline_stored *items = NULL;
    struct hotline_ticket_query q = { 0 };
    struct db_stmt *st = NULL;
    size_t n = 0;
    int64_t total = 0;
    bool row = false;

    import_file(at, fixture("tickets.xlsx", ""), &res);
    assert_int_equal(res.header_row, 2);
    assert_int_equal(res.rows, 8);
    assert_int_equal(res.accepted, 7);
    assert_int_equal(res.rejected, 1);
    assert_int_equal(res.nrejects, 1);
    assert_int_equal(res.rejects[0].row, 9);
    assert_string_equal(res.rejects[0].reason, "no ticket number");
    hotline_import_result_release(&res);
    import_file(at, fixture("tickets-split.xlsx", "--split"), &res); /* the same tickets again */
    assert_int_equal(res.accepted, 0);
    assert_int_equal(res.duplicate, 7);
    hotline_import_result_release(&res);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM hotline_tickets", 0), 7);
    assert_int_equal(apptest_count_audit(at->db, "hotline.import", NULL, NULL), 2);

    /* sealed: no plaintext in the stored columns; the phone is found by its blind index */
    assert_int_equal(db_prepare(at->db, "SELECT caller, phone, address FROM hotline_tickets", &st), 0);
    const char *const plain[] = { "张三", "13812345678", "西城区广安门内街道1号", "12345678" };
    while (db_step(st, &row) == 0 && row)
        for (int c = 0; c < 3; c++) {
            size_t bn = 0;
            const void *blob = db_col_blob(st, c, &bn);
            assert_non_null(blob);
            for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
                assert_false(apptest_memmem(blob, bn, plain[k], strlen(plain[k])));
        }
    db_done(st);
    int64_t bidx = blind_index(&at->app.keys, "hotline_phone", "13812345678", 11);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM hotline_tickets WHERE phone_bidx = ?1", bidx), 1);

    /* masked reads; category filter at a level boundary; period */
    q.limit = 100;
    assert_int_equal(hotline_ticket_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 7);
    assert_string_equal(items[0].number, "GD2026120100001");
    assert_string_equal(items[0].caller, "张*");
    assert_string_equal(items[0].phone, "138****5678");
    assert_string_equal(items[0].address, "***");
    assert_int_equal(items[0].received_at, DEC1 + 8 * 3600000LL + 30 * 60000LL);
    q.category = "卫生健康/核酸检测";
    assert_int_equal(hotline_ticket_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 4); /* 01, 02, 06 (spaced, full-width), 08; not 核酸检测点 */
    q.category = NULL;
    q.from = DEC1;
    q.to = DEC2;
    q.limit = 2;
    assert_int_equal(hotline_ticket_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 5);
    assert_int_equal(n, 2);
    q.after = items[1].id;
    assert_int_equal(hotline_ticket_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_string_equal(items[0].number, "GD2026120100003");
    arena_release(&arena);
}

static void
test_import_rejects(void **state)
{
    struct apptest *at = *state;
    struct hotline_import_result res;
    char path[300];
    ensure_tmpdir();
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("工单编号,受理时间,标题,诉求内容,来电人,联系电话\n"
          "A1,2026-12-01 08:00,核酸,排队,张三,13800000001\n"
          "A2,yesterday,核酸,排队,李四,13800000002\n"
          "A3,,核酸,排队,王五,13800000003\n"
          "A1,2026-12-01 09:00,核酸,again,张三,13800000001\n",
          f);
    fclose(f);
    import_file(at, path, &res);
    assert_int_equal(res.rows, 4);
    assert_int_equal(res.accepted, 1);
    assert_int_equal(res.duplicate, 1);
    assert_int_equal(res.rejected, 2);
    assert_int_equal(res.rejects[0].row, 3);
    assert_string_equal(res.rejects[0].number, "A2");
    assert_string_equal(res.rejects[0].reason, "received time is not a date and time");
    assert_int_equal(res.rejects[1].row, 4);
    assert_string_equal(res.rejects[1].reason, "no received time");
    hotline_import_result_release(&res);
}

static void
test_rules_versions(void **state)
{
    struct apptest *at = *state;
    struct hotline_rule_def bad = { "x", "", "核酸 AND (排队", "" };
    struct buf why = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct hotline_rule_version *v = NULL;
    int64_t id = 0, version = 0;
    size_t n = 0;

    assert_int_equal(hotline_rules_save(&at->app, at->db, &at->admin, 0, &bad, &id, &version, &why), ERR_INVALID);
    assert_non_null(strstr(why.data, "offset"));
    buf_reset(&why);
    bad.expression = "核酸";
    bad.name = "";
    assert_int_equal(hotline_rules_save(&at->app, at->db, &at->admin, 0, &bad, &id, &version, &why), ERR_INVALID);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM hotline_rules", 0), 0);

    id = save_rule(at, 0, "核酸", &version);
    assert_int_equal(version, 1);
    assert_int_equal(save_rule(at, id, RULE, &version), id);
    assert_int_equal(version, 2);
    assert_int_equal(hotline_rules_save(&at->app, at->db, &at->admin, id + 100, &bad, &id, &version, &why),
                     ERR_INVALID); /* validated before looked up */
    bad.name = "x";
    assert_int_equal(hotline_rules_save(&at->app, at->db, &at->admin, id + 100, &bad, &version, &version, &why),
                     ERR_NOT_FOUND);
    assert_int_equal(hotline_rule_versions(&at->app, at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].version, 2);
    assert_string_equal(v[0].expression, RULE);
    assert_int_equal(v[1].version, 1);
    assert_string_equal(v[1].expression, "核酸");
    assert_int_equal(hotline_rules_list(&at->app, at->db, &at->admin, &arena, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].version, 2);
    assert_true(v[0].precision < 0);
    assert_int_equal(apptest_count_audit(at->db, "hotline.rule.create", NULL, NULL), 1);
    assert_int_equal(apptest_count_audit(at->db, "hotline.rule.update", NULL, NULL), 1);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_runs_samples_precision(void **state)
{
    struct apptest *at = *state;
    struct hotline_import_result res;
    struct hotline_run run;
    struct hotline_sample s;
    struct hotline_rule_version *v = NULL;
    struct hotline_stored *items = NULL;
    struct hotline_ticket_query q = { 0 };
    struct buf why = BUF_INIT;
    struct arena arena = ARENA_INIT;
    int64_t version = 0, total = 0;
    size_t n = 0;

    import_file(at, fixture("tickets.xlsx", ""), &res);
    hotline_import_result_release(&res);
    int64_t id = save_rule(at, 0, RULE, &version);
    assert_int_equal(hotline_run_start(&at->app, at->db, &at->admin, id, DEC1, DEC1, &arena, &run, &why),
                     ERR_INVALID);
    assert_int_equal(hotline_run_start(&at->app, at->db, &at->admin, id, DEC1 - 86400000LL, DEC2 + 86400000LL,
                                       &arena, &run, &why), 0);
    assert_int_equal(run.tickets, 7);
    assert_int_equal(run.in_category, 5);
    assert_int_equal(run.matched, 4);
    assert_int_equal(run.version, 1);
    q.run_id = run.id;
    q.limit = 100;
    assert_int_equal(hotline_ticket_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 4);
    assert_string_equal(items[0].number, "GD2026120100001");
    assert_string_equal(items[1].number, "GD2026120100004");
    assert_string_equal(items[2].number, "GD2026120100006");
    assert_string_equal(items[3].number, "GD2026120100008");

    struct hotline_run day;
    assert_int_equal(hotline_run_start(&at->app, at->db, &at->admin, id, DEC1, DEC2, &arena, &day, &why), 0);
    assert_int_equal(day.tickets, 5);
    assert_int_equal(day.in_category, 3);
    assert_int_equal(day.matched, 2);
    assert_int_equal(apptest_count_audit(at->db, "hotline.run", NULL, NULL), 2);

    /* a sample of 3 of the 4 hits, no repeats, all hits of the run */
    assert_int_equal(hotline_sample_take(&at->app, at->db, &at->admin, run.id, 0, &arena, &s, &why), ERR_INVALID);
    assert_int_equal(hotline_sample_take(&at->app, at->db, &at->admin, run.id, 3, &arena, &s, &why), 0);
    assert_int_equal(s.drawn, 3);
    assert_int_equal(s.n, 3);
    assert_true(s.precision < 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(s.items[i].verdict, -1);
        assert_non_null(strstr("GD2026120100001 GD2026120100004 GD2026120100006 GD2026120100008",
                               s.items[i].number));
        for (size_t j = 0; j < i; j++)
            assert_true(s.items[i].id != s.items[j].id);
    }
    int64_t t0 = s.items[0].id, t1 = s.items[1].id, t2 = s.items[2].id, sid = s.id;
    assert_int_equal(hotline_sample_mark(&at->app, at->db, &at->admin, sid, t0, true, &arena, &s), 0);
    assert_int_equal(hotline_sample_mark(&at->app, at->db, &at->admin, sid, t1, true, &arena, &s), 0);
    assert_int_equal(hotline_sample_mark(&at->app, at->db, &at->admin, sid, t2, true, &arena, &s), 0);
    assert_int_equal(hotline_sample_mark(&at->app, at->db, &at->admin, sid, t2, false, &arena, &s), 0); /* again */
    assert_int_equal(s.checked, 3);
    assert_int_equal(s.relevant, 2);
    assert_true(s.precision > 0.666 && s.precision < 0.667);
    assert_int_equal(s.items[2].verdict, 0);
    int64_t outside = apptest_i64(at->db, "SELECT min(id) FROM hotline_tickets WHERE number = 'GD2026120100002'", 0);
    assert_int_equal(hotline_sample_mark(&at->app, at->db, &at->admin, sid, outside, true, &arena, &s), ERR_NOT_FOUND);
    assert_int_equal(apptest_count_audit(at->db, "hotline.mark", NULL, NULL), 4);

    /* precision per version; a new version starts without one */
    assert_int_equal(hotline_rules_list(&at->app, at->db, &at->admin, &arena, &v, &n), 0);
    assert_int_equal(v[0].runs, 2);
    assert_int_equal(v[0].last_matched, 2);
    assert_int_equal(v[0].checked, 3);
    assert_int_equal(v[0].relevant, 2);
    save_rule(at, id, "核酸", &version);
    assert_int_equal(hotline_rules_list(&at->app, at->db, &at->admin, &arena, &v, &n), 0);
    assert_int_equal(v[0].version, 2);
    assert_int_equal(v[0].runs, 0);
    assert_true(v[0].precision < 0);
    assert_int_equal(hotline_rule_versions(&at->app, at->db, &at->admin, id, &arena, &v, &n), 0);
    assert_true(v[1].precision > 0.666 && v[1].precision < 0.667);

    /* a sample larger than the hits takes them all */
    assert_int_equal(hotline_sample_take(&at->app, at->db, &at->admin, day.id, 50, &arena, &s, &why), 0);
    assert_int_equal(s.drawn, 2);
    arena_release(&arena);
    buf_release(&why);
}

static void
test_subdistrict_refused(void **state)
{
    struct apptest *at = *state;
    struct actor sub;
    struct arena arena = ARENA_INIT;
    struct hotline_rule_version *v = NULL;
    size_t n = 0;
    apptest_scoped(at, APPTEST_SUBDISTRICT, &sub);
    assert_int_equal(hotline_rules_list(&at->app, at->db, &sub, &arena, &v, &n), ERR_FORBIDDEN);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_import_sealed_idempotent), APPTEST(test_import_rejects), APPTEST(test_rules_versions),
        APPTEST(test_runs_samples_precision), APPTEST(test_subdistrict_refused),
    };
    int failed = apptest_run("hotline_store", tests, sizeof tests / sizeof tests[0]);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            failed++;
    }
    return failed;
}
