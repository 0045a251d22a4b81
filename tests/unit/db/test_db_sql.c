/* tests/unit/db/test_db_sql.c - db/db_sql.h on SQLite and PostgreSQL: placeholder lists,
 * the driver's parameter limit and multi-row INSERTs with their row-at-a-time fallback
 * (issue 7; the bulk path of R5 batch uploads; S3: values are bound, never in SQL text).
 *
 * Every DBTEST runs once per driver on a fresh database. Rows are read back and checked
 * one by one (values and order), so a tuple bound at the wrong index or a row lost between
 * the multi-row groups and the fallback fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_sql.h"
#include "dbtest.h"

static const char sql_table[] =
    "CREATE TABLE t_ins (parent BIGINT NOT NULL, k BIGINT NOT NULL, v TEXT, PRIMARY KEY (parent, k))";
static const char sql_count[] = "SELECT count(*), CAST(coalesce(sum(k), 0) AS BIGINT) FROM t_ins WHERE parent = ?1";
static const char sql_rows[] = "SELECT k, v FROM t_ins WHERE parent = ?1 ORDER BY k";

/* What the binders insert: row r is (parent, base + r, "v<base + r>"); row fail_at fails.
 * The texts live in text[] (db_bind_text copies nothing) until the statement has run. */
#define ROWS_MAX 40000
struct rows_ctx {
    int64_t parent, base;
    size_t fail_at;
    size_t shared_calls, row_calls;
};
static char row_text[ROWS_MAX][16];

static int
bind_parent(struct db_stmt *st, void *ctx)
{
    struct rows_ctx *c = ctx;
    c->shared_calls++;
    return db_bind_i64(st, 1, c->parent);
}

static int
bind_row(struct db_stmt *st, int first, size_t row, void *ctx)
{
    struct rows_ctx *c = ctx;
    int rc;
    c->row_calls++;
    if (row == c->fail_at || row >= ROWS_MAX)
        return ERR_INVALID;
    snprintf(row_text[row], sizeof row_text[row], "v%lld", (long long)(c->base + (int64_t)row));
    if ((rc = db_bind_i64(st, first, c->base + (int64_t)row)))
        return rc;
    return db_bind_text(st, first + 1, row_text[row], strlen(row_text[row]));
}

/* check_rows asserts that parent holds exactly rows base … base + n - 1 with their text. */
static void
check_rows(struct db *db, int64_t parent, int64_t base, size_t n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t seen = 0;
    assert_int_equal(db_prepare(db, sql_count, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, parent), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), (int64_t)n);
    assert_int_equal(db_col_i64(st, 1), (int64_t)n * base + (int64_t)n * ((int64_t)n - 1) / 2);
    db_done(st);
    if (n > 2000)
        return; /* the count and sum above cover the large cases */
    assert_int_equal(db_prepare(db, sql_rows, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, parent), 0);
    while (db_step(st, &row) == 0 && row) {
        char want[32];
        size_t len = 0;
        snprintf(want, sizeof want, "v%lld", (long long)(base + (int64_t)seen));
        assert_int_equal(db_col_i64(st, 0), base + (int64_t)seen);
        assert_string_equal(db_col_text(st, 1, &len), want);
        seen++;
    }
    db_done(st);
    assert_int_equal(seen, n);
}

static void
test_placeholders(void **state)
{
    struct buf b = BUF_INIT;
    (void)state;
    db_placeholders(&b, 1, 0);
    assert_string_equal(b.data, "");
    db_placeholders(&b, 3, 1);
    assert_string_equal(b.data, "?3");
    buf_reset(&b);
    db_placeholders(&b, 9, 4);
    assert_string_equal(b.data, "?9,?10,?11,?12");
    buf_release(&b);
}

/* The placeholders of a real IN list bind in order on both drivers. */
static void
test_placeholders_in_list(void **state)
{
    struct dbtest *t = *state;
    struct buf sql = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false;
    struct rows_ctx c = { .parent = 1, .base = 10, .fail_at = SIZE_MAX };
    static struct db_insert ins = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 2, 8);
    assert_int_equal(db_exec(t->db, sql_table), 0);
    assert_int_equal(db_insert_run(t->db, &ins, 20, bind_parent, bind_row, &c, NULL), 0);
    buf_adds(&sql, "SELECT count(*) FROM t_ins WHERE parent = ?1 AND k IN (");
    db_placeholders(&sql, 2, 5);
    buf_addch(&sql, ')');
    assert_int_equal(db_prepare(t->db, sql.data, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 1), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(db_bind_i64(st, 2 + i, (int64_t[]){ 8, 11, 14, 29, 30 }[i]), 0); /* 10-29 hold 3 */
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 3);
    db_done(st);
    buf_release(&sql);
}

static void
test_max_params(void **state)
{
    struct dbtest *t = *state;
    int limit = db_max_params(t->db);
    if (db_kind(t->db) == DB_POSTGRES)
        assert_int_equal(limit, 7498);
    else
        assert_true(limit >= 999); /* SQLite's smallest default; 32,766 since 3.32 */
}

/* Counts around the group size: none, fewer than a group (fallback only), exactly one
 * group, groups and a remainder. */
static void
test_insert_groups_and_fallback(void **state)
{
    struct dbtest *t = *state;
    static struct db_insert ins = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 2, 16);
    const size_t counts[] = { 0, 1, 15, 16, 17, 50 };
    assert_int_equal(db_exec(t->db, sql_table), 0);
    assert_int_equal(db_insert_rows(t->db, &ins), 16);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        struct rows_ctx c = { .parent = (int64_t)i + 1, .base = 100, .fail_at = SIZE_MAX };
        int64_t changes = -1;
        assert_int_equal(db_insert_run(t->db, &ins, counts[i], bind_parent, bind_row, &c, &changes), 0);
        assert_int_equal(changes, (int64_t)counts[i]);
        assert_int_equal(c.row_calls, counts[i]);
        /* one shared binding per statement: full groups, then one per leftover row */
        assert_int_equal(c.shared_calls, counts[i] / 16 + counts[i] % 16);
        check_rows(t->db, (int64_t)i + 1, 100, counts[i]);
    }
}

/* A spec asking for more rows than the parameter limit allows is cut to fit (the driver's
 * limit, at most 32,766), and the statement at the limit runs. */
static void
test_insert_clamped_to_driver_limit(void **state)
{
    struct dbtest *t = *state;
    static struct db_insert ins = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 2, 1000000);
    struct rows_ctx c = { .parent = 7, .base = 0, .fail_at = SIZE_MAX };
    int limit = db_max_params(t->db) < 32766 ? db_max_params(t->db) : 32766;
    size_t fit = (size_t)(limit - 1) / 2, n = fit + 3;
    int64_t changes = 0;
    assert_int_equal(db_exec(t->db, sql_table), 0);
    assert_int_equal(db_insert_rows(t->db, &ins), fit);
    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(db_insert_run(t->db, &ins, n, bind_parent, bind_row, &c, &changes), 0);
    assert_int_equal(db_commit(t->db), 0);
    assert_int_equal(changes, (int64_t)n);
    assert_int_equal(c.shared_calls, 1 + 3);
    check_rows(t->db, 7, 0, n);
}

/* No shared parameters, and a tail: ON CONFLICT DO NOTHING counts only new rows. */
static int
bind_row_with_parent(struct db_stmt *st, int first, size_t row, void *ctx)
{
    const int64_t *keys = ctx;
    int rc;
    if ((rc = db_bind_i64(st, first, 9)) || (rc = db_bind_i64(st, first + 1, keys[row])))
        return rc;
    return db_bind_null(st, first + 2);
}

static void
test_insert_tail_and_no_shared(void **state)
{
    struct dbtest *t = *state;
    static struct db_insert ins =
        DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", " ON CONFLICT (parent, k) DO NOTHING", 0, 3, 4);
    const int64_t keys[] = { 1, 2, 3, 4, 5, 1, 2, 6, 7, 3 };
    int64_t changes = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(db_exec(t->db, sql_table), 0);
    /* first group inserts 1-4; second group 5, 1, 2, 6 adds 5 and 6; leftovers 7 and 3 add 7 */
    assert_int_equal(db_insert_run(t->db, &ins, 10, NULL, bind_row_with_parent, (void *)keys, &changes), 0);
    assert_int_equal(changes, 7);
    assert_int_equal(db_prepare(t->db, sql_count, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 9), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_int_equal(db_col_i64(st, 0), 7);
    assert_int_equal(db_col_i64(st, 1), 1 + 2 + 3 + 4 + 5 + 6 + 7);
    db_done(st);
}

/* db_insert_tiers (issue 13): every row once, whatever the count against the tiers' sizes;
 * statements: full 8-row ones, then full 3-row ones, then the rest row by row. */
static int
bind_tier_row(struct db_stmt *st, int first, size_t row, void *ctx)
{
    struct rows_ctx *c = ctx;
    int rc;
    if ((rc = db_bind_i64(st, first, c->parent))) /* bind_row counts the call */
        return rc;
    return bind_row(st, first + 1, row, ctx);
}

static void
test_insert_tiers(void **state)
{
    struct dbtest *t = *state;
    static struct db_insert tiers[] = { DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 0, 3, 8),
                                        DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 0, 3, 3) };
    const size_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 11, 13, 24, 30 };
    assert_int_equal(db_exec(t->db, sql_table), 0);
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        struct rows_ctx c = { .parent = 100 + (int64_t)counts[i], .base = 0, .fail_at = (size_t)-1 };
        int64_t changes = -1;
        assert_int_equal(db_insert_tiers(t->db, tiers, 2, counts[i], NULL, bind_tier_row, &c, &changes), 0);
        assert_int_equal(changes, (int64_t)counts[i]);
        assert_int_equal(c.row_calls, counts[i]);
        check_rows(t->db, c.parent, 0, counts[i]);
    }
    /* shared parameters are not for tiers */
    struct rows_ctx c = { .parent = 1, .fail_at = (size_t)-1 };
    assert_int_equal(db_insert_tiers(t->db, tiers, 2, 1, bind_parent, bind_tier_row, &c, NULL), ERR_INVALID);
}

/* A binder's error stops the run where it happened; a conflict is ERR_CONFLICT; inside a
 * transaction a rollback leaves nothing behind. */
static void
test_insert_errors(void **state)
{
    struct dbtest *t = *state;
    static struct db_insert ins = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 2, 4);
    static struct db_insert bad_head = DB_INSERT("", NULL, 1, 2, 4);
    static struct db_insert bad_rows = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 2, 0);
    static struct db_insert too_wide = DB_INSERT("INSERT INTO t_ins (parent, k, v) VALUES", NULL, 1, 70000, 4);
    struct rows_ctx c = { .parent = 3, .base = 0, .fail_at = 9 };
    int64_t changes = -1;
    assert_int_equal(db_exec(t->db, sql_table), 0);

    /* rows 0-7 go in two groups; row 9 fails inside the leftovers, after row 8 */
    assert_int_equal(db_insert_run(t->db, &ins, 11, bind_parent, bind_row, &c, &changes), ERR_INVALID);
    assert_int_equal(changes, 9);
    check_rows(t->db, 3, 0, 9);

    /* the same keys again: the first group conflicts, nothing more is tried */
    c = (struct rows_ctx){ .parent = 3, .base = 0, .fail_at = SIZE_MAX };
    assert_int_equal(db_insert_run(t->db, &ins, 8, bind_parent, bind_row, &c, &changes), ERR_CONFLICT);
    assert_int_equal(changes, 0);
    assert_int_equal(c.row_calls, 4);

    /* all or nothing inside a transaction */
    c = (struct rows_ctx){ .parent = 4, .base = 0, .fail_at = 6 };
    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(db_insert_run(t->db, &ins, 8, bind_parent, bind_row, &c, NULL), ERR_INVALID);
    db_rollback(t->db);
    check_rows(t->db, 4, 0, 0);

    assert_int_equal(db_insert_run(t->db, &bad_head, 1, bind_parent, bind_row, &c, &changes), ERR_INVALID);
    assert_int_equal(db_insert_run(t->db, &bad_rows, 1, bind_parent, bind_row, &c, &changes), ERR_INVALID);
    assert_int_equal(db_insert_rows(t->db, &bad_rows), 0);
    assert_int_equal(db_insert_run(t->db, &too_wide, 1, bind_parent, bind_row, &c, &changes), ERR_TOO_LARGE);
    assert_int_equal(db_insert_run(t->db, &ins, 1, bind_parent, NULL, &c, &changes), ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),
        DBTEST(test_placeholders_in_list),
        DBTEST(test_max_params),
        DBTEST(test_insert_groups_and_fallback),
        DBTEST(test_insert_clamped_to_driver_limit),
        DBTEST(test_insert_tail_and_no_shared),
        DBTEST(test_insert_errors),
        DBTEST(test_insert_tiers),
    };
    const char *show = getenv("JIAYUAN_TEST_LOG");
    log_set_quiet(!(show && *show)); /* JIAYUAN_TEST_LOG=1 shows the drivers' log lines */
    return dbtest_run("db_sql", tests, sizeof tests / sizeof tests[0]);
}
