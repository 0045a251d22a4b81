/* tests/unit/db/test_db_value.c - db/db_value.h on SQLite and PostgreSQL: optional-text
 * binding, column copies into an arena or a fixed array, and LIKE "contains" patterns
 * whose metacharacters match themselves (issue 7; R1.x list filters, R2.x searches; S3
 * values bound, never in SQL text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_value.h"
#include "dbtest.h"

static const char sql_table_sqlite[] = "CREATE TABLE t_val (id BIGINT PRIMARY KEY, s TEXT, b BLOB)";
static const char sql_table_pg[] = "CREATE TABLE t_val (id BIGINT PRIMARY KEY, s TEXT, b BYTEA)";
static const char sql_insert[] = "INSERT INTO t_val (id, s, b) VALUES (?1, ?2, ?3)";
static const char sql_read[] = "SELECT s, b, s IS NULL FROM t_val WHERE id = ?1";
static const char sql_like[] = "SELECT id FROM t_val WHERE s LIKE ?1 ESCAPE '\\' ORDER BY id";

static void
make_table(struct db *db)
{
    assert_int_equal(db_exec(db, db_kind(db) == DB_POSTGRES ? sql_table_pg : sql_table_sqlite), 0);
}

static void
put(struct db *db, int64_t id, const char *s, bool nonempty, const void *b, size_t bn)
{
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(db_prepare(db, sql_insert, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(nonempty ? db_bind_nonempty(st, 2, s) : db_bind_str(st, 2, s), 0);
    assert_int_equal(b ? db_bind_blob(st, 3, b, bn) : db_bind_null(st, 3), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

static struct db_stmt *
get(struct db *db, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(db_prepare(db, sql_read, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    return st;
}

static void
test_bind_and_copy(void **state)
{
    struct dbtest *t = *state;
    struct arena arena = ARENA_INIT;
    const uint8_t zeros[] = { 0, 1, 0, 2 };
    struct db_stmt *st;
    const void *b;
    size_t n = 99;
    make_table(t->db);
    put(t->db, 1, NULL, false, zeros, sizeof zeros); /* NULL text binds "" */
    put(t->db, 2, NULL, true, "", 0);                /* NULL binds SQL NULL; empty blob */
    put(t->db, 3, "", true, NULL, 0);                /* "" binds SQL NULL too */
    put(t->db, 4, "数据", true, NULL, 0);

    st = get(t->db, 1);
    assert_int_equal(db_col_i64(st, 2), 0);
    assert_string_equal(db_col_arena(st, 0, &arena), "");
    b = db_col_blob_arena(st, 1, &arena, &n);
    assert_int_equal(n, sizeof zeros);
    assert_memory_equal(b, zeros, sizeof zeros);
    db_done(st);

    st = get(t->db, 2);
    assert_int_equal(db_col_i64(st, 2), 1);
    assert_string_equal(db_col_arena(st, 0, &arena), ""); /* NULL reads as "" */
    n = 99;
    b = db_col_blob_arena(st, 1, &arena, &n);
    assert_non_null(b);                                 /* empty, not NULL */
    assert_int_equal(n, 0);
    db_done(st);

    st = get(t->db, 3);
    assert_int_equal(db_col_i64(st, 2), 1);
    n = 99;
    assert_null(db_col_blob_arena(st, 1, &arena, &n));
    assert_int_equal(n, 0);
    db_done(st);

    /* the copies outlive the statement */
    st = get(t->db, 4);
    const char *copy = db_col_arena(st, 0, &arena);
    db_done(st);
    assert_string_equal(copy, "数据");
    arena_release(&arena);
}

/* db_col_copy cuts at a character boundary: "数据" is 6 bytes of 3 each. */
static void
test_col_copy(void **state)
{
    struct dbtest *t = *state;
    char out[8], tiny[1], five[6];
    struct db_stmt *st;
    make_table(t->db);
    put(t->db, 1, "数据ab", false, NULL, 0);
    put(t->db, 2, NULL, true, NULL, 0);
    st = get(t->db, 1);
    assert_string_equal(db_col_copy(st, 0, out, sizeof out), "数据a");
    assert_string_equal(db_col_copy(st, 0, five, sizeof five), "数");
    assert_string_equal(db_col_copy(st, 0, tiny, sizeof tiny), "");
    db_done(st);
    st = get(t->db, 2);
    assert_string_equal(db_col_copy(st, 0, out, sizeof out), "");
    db_done(st);
}

/* like_ids runs the pattern for q and writes the matching ids (0-terminated). */
static void
like_ids(struct db *db, const char *q, int64_t *ids, size_t cap)
{
    struct arena arena = ARENA_INIT;
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    assert_int_equal(db_prepare(db, sql_like, &st), 0);
    assert_int_equal(db_bind_str(st, 1, db_like_contains(&arena, q)), 0);
    while (db_step(st, &row) == 0 && row && n + 1 < cap)
        ids[n++] = db_col_i64(st, 0);
    ids[n] = 0;
    db_done(st);
    arena_release(&arena);
}

static void
test_like_contains(void **state)
{
    struct dbtest *t = *state;
    struct arena arena = ARENA_INIT;
    int64_t ids[8];
    make_table(t->db);
    put(t->db, 1, "100% sure", false, NULL, 0);
    put(t->db, 2, "1000 sure", false, NULL, 0);
    put(t->db, 3, "a_b", false, NULL, 0);
    put(t->db, 4, "axb", false, NULL, 0);
    put(t->db, 5, "c:\\dir", false, NULL, 0);
    put(t->db, 6, "c:dir", false, NULL, 0);
    put(t->db, 7, "朝阳区核酸点", false, NULL, 0);

    assert_string_equal(db_like_contains(&arena, NULL), "");
    assert_string_equal(db_like_contains(&arena, ""), "");
    assert_string_equal(db_like_contains(&arena, "a%_\\b"), "%a\\%\\_\\\\b%");

    like_ids(t->db, "0%", ids, 8);     /* '%' matches only itself */
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 0);
    like_ids(t->db, "_", ids, 8);      /* '_' matches only itself */
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 0);
    like_ids(t->db, ":\\", ids, 8);    /* '\' matches only itself */
    assert_int_equal(ids[0], 5);
    assert_int_equal(ids[1], 0);
    like_ids(t->db, "核酸", ids, 8);   /* anywhere, multi-byte */
    assert_int_equal(ids[0], 7);
    assert_int_equal(ids[1], 0);
    like_ids(t->db, "sure", ids, 8);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 0);
    arena_release(&arena);
}

/* db_report_page: the count and one keyset page of a report's rows, filtered or not. */
static const char sql_rep_count[] = "SELECT count(*) FROM t_rep WHERE run = ?1 AND (?2 = '' OR cls = ?2)";
static const char sql_rep_rows[] =
    "SELECT seq FROM t_rep WHERE run = ?1 AND (?2 = '' OR cls = ?2) AND seq > ?3 ORDER BY seq LIMIT ?4";

static size_t
page(struct db *db, int64_t run, const char *cls, int64_t after, size_t limit, int64_t *total, int64_t *seqs)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    assert_int_equal(db_report_page(db, sql_rep_count, sql_rep_rows, run, cls, after, limit, total, &st), 0);
    while (db_step(st, &row) == 0 && row)
        seqs[n++] = db_col_i64(st, 0);
    db_done(st);
    return n;
}

static void
test_report_page(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *st = (struct db_stmt *)1;
    int64_t total = -1, seqs[8];
    assert_int_equal(db_exec(t->db, "CREATE TABLE t_rep (run BIGINT, seq BIGINT, cls TEXT)"), 0);
    assert_int_equal(db_exec(t->db, "INSERT INTO t_rep VALUES (1, 1, 'a'), (1, 2, 'b'), (1, 3, 'a'), (1, 4, 'a'),"
                                    " (2, 1, 'a')"),
                     0);
    assert_int_equal(page(t->db, 1, NULL, 0, 2, &total, seqs), 2);
    assert_int_equal(total, 4);
    assert_int_equal(seqs[0], 1);
    assert_int_equal(seqs[1], 2);
    assert_int_equal(page(t->db, 1, "a", 1, 5, &total, seqs), 2);
    assert_int_equal(total, 3);
    assert_int_equal(seqs[0], 3);
    assert_int_equal(seqs[1], 4);
    assert_int_equal(page(t->db, 3, "", 0, 5, &total, seqs), 0);
    assert_int_equal(total, 0);
    assert_int_not_equal(db_report_page(t->db, "SELECT nope FROM t_missing", sql_rep_rows, 1, NULL, 0, 2, &total, &st), 0);
    assert_null(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DBTEST(test_bind_and_copy),
        DBTEST(test_col_copy),
        DBTEST(test_like_contains),
        DBTEST(test_report_page),
    };
    log_set_quiet(true);
    return dbtest_run("db_value", tests, sizeof tests / sizeof tests[0]);
}
