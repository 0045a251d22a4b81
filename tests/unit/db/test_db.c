/* tests/unit/db/test_db.c - the storage contract of db/db.h, on SQLite and on PostgreSQL
 * (architecture §3; S3 bound values only, S4 no detail leaks, S6 append-only audit log).
 *
 * Every DBTEST test runs once per driver on a fresh, fully migrated database (see
 * tests/support/dbtest.h); the few driver-specific checks say so and return early on the
 * other driver. Set JIAYUAN_TEST_LOG=1 to see the log lines the drivers write.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "db/db_driver.h"
#include "dbtest.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* expected_migrations counts the embedded migrations of kind and their highest number,
 * computed here independently of db.c's parser. */
static void
expected_migrations(enum db_kind kind, int *count, int *max)
{
    const char *other = kind == DB_SQLITE ? ".postgres.sql" : ".sqlite.sql";
    *count = *max = 0;
    for (size_t i = 0; i < embedded_migrations_count; i++) {
        const char *p = embedded_migrations[i].path;
        size_t n = strlen(p), k = strlen(other);
        if (n >= k && strcmp(p + n - k, other) == 0)
            continue;
        (*count)++;
        int v = 0;
        for (; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (*p - '0');
        if (v > *max)
            *max = v;
    }
}

static int64_t
query_i64(struct db *db, const char *sql)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;

    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    return v;
}

/* exec_dialect runs the DDL of db's dialect. */
static void
exec_dialect(struct db *db, const char *sqlite_sql, const char *pg_sql)
{
    assert_int_equal(db_exec(db, db_kind(db) == DB_SQLITE ? sqlite_sql : pg_sql), 0);
}

static void
make_types_table(struct db *db)
{
    exec_dialect(db,
                 "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT, b BLOB)",
                 "CREATE TABLE t (id BIGINT PRIMARY KEY, i BIGINT, s TEXT, b BYTEA)");
}

static const char sql_user_add[] =
    "INSERT INTO users (username, role, password_hash, password_changed_at, created_at,"
    " updated_at) VALUES (?1, 'admin', 'x', 0, ?2, ?2) RETURNING id";

static int
user_add(struct db *db, const char *name, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    if ((rc = db_prepare(db, sql_user_add, &st)))
        return rc;
    if (!(rc = db_bind_text(st, 1, name, strlen(name))) && !(rc = db_bind_i64(st, 2, 1000)) &&
        !(rc = db_step(st, &row))) {
        assert_true(row);
        *id = db_col_i64(st, 0);
    }
    db_done(st);
    return rc;
}

static int64_t
count_rows(struct db *db, const char *sql)
{
    return query_i64(db, sql);
}

/* ---- migrations --------------------------------------------------------------------- */

static void
test_migrate_idempotent(void **state)
{
    struct dbtest *t = *state;
    int applied = -1, version = -1, count, max;

    expected_migrations(db_kind(t->db), &count, &max);
    assert_true(count >= 2);
    assert_int_equal(db_migrate(t->db, &applied), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(db_schema_version(t->db, &version), 0);
    assert_int_equal(version, max);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM schema_migrations"), count);
    assert_int_equal(db_migrate(t->db, NULL), 0);
}

static void
test_migrate_empty(void **state)
{
    struct dbtest *t = *state;
    struct db *db = NULL;
    int applied = -1, version = -1, count, max;

    assert_int_equal(dbtest_open_empty(t->url, &db), 0);
    expected_migrations(db_kind(db), &count, &max);
    assert_int_equal(db_schema_version(db, &version), 0);
    assert_int_equal(version, 0);
    assert_int_equal(db_migrate(db, &applied), 0);
    assert_int_equal(applied, count);
    assert_int_equal(db_schema_version(db, &version), 0);
    assert_int_equal(version, max);
    assert_int_equal(db_migrate(db, &applied), 0);
    assert_int_equal(applied, 0);
    /* Names are recorded without number and suffix. */
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM schema_migrations"
                                    " WHERE version = 2 AND name = 'audit_append_only'"),
                     1);
    dbtest_close(db);
}

struct migrator {
    const char *url;
    int rc, applied;
};

static void *
migrator_run(void *arg)
{
    struct migrator *m = arg;
    struct db *db = NULL;
    m->rc = db_open(m->url, NULL, &db);
    if (!m->rc)
        m->rc = db_migrate(db, &m->applied);
    db_close(db);
    return NULL;
}

/* Several processes starting at once on an empty database: each migration is applied
 * exactly once and nobody fails. */
static void
test_migrate_concurrent(void **state)
{
    struct dbtest *t = *state;
    struct db *db = NULL;
    struct migrator m[4];
    pthread_t th[4];
    int total = 0, version = -1, count, max;

    assert_int_equal(dbtest_open_empty(t->url, &db), 0);
    expected_migrations(db_kind(db), &count, &max);
    for (int i = 0; i < 4; i++) {
        m[i] = (struct migrator){ dbtest_url(db), -1, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, migrator_run, &m[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(m[i].rc, 0);
        total += m[i].applied;
    }
    assert_int_equal(total, count);
    assert_int_equal(db_schema_version(db, &version), 0);
    assert_int_equal(version, max);
    assert_int_equal(count_rows(db, "SELECT COUNT(*) FROM schema_migrations"), count);
    dbtest_close(db);
}

static void
test_migrate_refuses_newer_schema(void **state)
{
    struct dbtest *t = *state;
    assert_int_equal(db_exec(t->db, "INSERT INTO schema_migrations (version, name, applied_at)"
                                    " VALUES (9999, 'from_the_future', 0)"),
                     0);
    assert_int_equal(db_migrate(t->db, NULL), ERR_DB);
}

/* ---- statements and values ---------------------------------------------------------- */

static void
test_kind_and_describe(void **state)
{
    struct dbtest *t = *state;
    bool pg = strcmp(t->driver, "postgres") == 0;
    assert_int_equal(db_kind(t->db), pg ? DB_POSTGRES : DB_SQLITE);
    assert_string_equal(db_describe(t->db), t->driver);
    assert_int_equal(db_ping(t->db), 0);
}

static void
test_insert_returning(void **state)
{
    struct dbtest *t = *state;
    int64_t a = 0, b = 0;

    assert_int_equal(user_add(t->db, "alice", &a), 0);
    assert_int_equal(user_add(t->db, "bob", &b), 0);
    assert_true(a > 0);
    assert_true(b > a);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 2);
}

/* A row returned by INSERT … RETURNING outside a transaction is already committed: a
 * second connection sees it before the first statement is finished with db_done. */
static void
test_returning_is_committed(void **state)
{
    struct dbtest *t = *state;
    struct db *other = NULL;
    struct db_stmt *st = NULL;
    bool row = false;

    assert_int_equal(db_open(t->db_url, NULL, &other), 0);
    assert_int_equal(db_prepare(t->db, sql_user_add, &st), 0);
    assert_int_equal(db_bind_text(st, 1, "carol", 5), 0);
    assert_int_equal(db_bind_i64(st, 2, 5), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_true(db_col_i64(st, 0) > 0);
    assert_int_equal(count_rows(other, "SELECT COUNT(*) FROM users WHERE username = 'carol'"),
                     1);
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    assert_int_equal(db_changes(st), 1);
    db_done(st);
    db_close(other);
}

static const char sql_t_add[] = "INSERT INTO t (id, i, s, b) VALUES (?1, ?2, ?3, ?4)";
static const char sql_t_get[] = "SELECT i, s, b FROM t WHERE id = ?1";

static void
t_add(struct db *db, int64_t id, const int64_t *i, const char *s, size_t sn, const void *b,
      size_t bn, bool b_null)
{
    struct db_stmt *st = NULL;
    bool row = true;

    assert_int_equal(db_prepare(db, sql_t_add, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(i ? db_bind_i64(st, 2, *i) : db_bind_null(st, 2), 0);
    assert_int_equal(s ? db_bind_text(st, 3, s, sn) : db_bind_opt_text(st, 3, NULL), 0);
    assert_int_equal(b_null ? db_bind_null(st, 4) : db_bind_blob(st, 4, b, bn), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    assert_int_equal(db_changes(st), 1);
    db_done(st);
}

static void
test_types_roundtrip(void **state)
{
    struct dbtest *t = *state;
    static const unsigned char zeros[] = { 0, 1, 0, 0xff, 0, 0x80, 0 };
    static const char zh[] = "西城区展览路街道 — 核酸采样点「一号」";
    const int64_t ints[] = { INT64_MIN, INT64_MAX, 0, -1, 1, (int64_t)1 << 53, INT32_MIN,
                             (int64_t)INT32_MAX + 1 };
    struct db_stmt *st = NULL;
    const char *s;
    const void *b;
    size_t n;
    bool row;

    make_types_table(t->db);
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++)
        t_add(t->db, 100 + (int64_t)k, &ints[k], "x", 1, "y", 1, false);
    t_add(t->db, 1, NULL, NULL, 0, NULL, 0, true);                   /* all NULL */
    t_add(t->db, 2, &ints[2], "", 0, "", 0, false);                  /* empty, not NULL */
    t_add(t->db, 3, &ints[3], zh, strlen(zh), zeros, sizeof zeros, false);
    t_add(t->db, 4, &ints[4], "abc", 2, NULL, 0, false);             /* n is respected */

    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        assert_int_equal(db_prepare(t->db, sql_t_get, &st), 0);
        assert_int_equal(db_bind_i64(st, 1, 100 + (int64_t)k), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        assert_true(db_col_i64(st, 0) == ints[k]);
        assert_false(db_col_is_null(st, 0));
        db_done(st);
    }

    assert_int_equal(db_prepare(t->db, sql_t_get, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 1), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_true(db_col_is_null(st, 0));
    assert_true(db_col_is_null(st, 1));
    assert_true(db_col_is_null(st, 2));
    assert_int_equal(db_col_i64(st, 0), 0);
    n = 99;
    assert_null(db_col_text(st, 1, &n));
    assert_int_equal(n, 0);
    n = 99;
    assert_null(db_col_blob(st, 2, &n));
    assert_int_equal(n, 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    db_done(st);

    assert_int_equal(db_prepare(t->db, sql_t_get, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 2), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_false(db_col_is_null(st, 1));
    assert_false(db_col_is_null(st, 2));
    s = db_col_text(st, 1, &n);
    assert_non_null(s);
    assert_int_equal(n, 0);
    assert_string_equal(s, "");
    b = db_col_blob(st, 2, &n);
    assert_non_null(b);
    assert_int_equal(n, 0);
    db_done(st);

    assert_int_equal(db_prepare(t->db, sql_t_get, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 3), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    s = db_col_text(st, 1, &n);
    assert_int_equal(n, strlen(zh));
    assert_memory_equal(s, zh, n);
    assert_int_equal(s[n], '\0');
    b = db_col_blob(st, 2, &n);
    assert_int_equal(n, sizeof zeros);
    assert_memory_equal(b, zeros, n);
    db_done(st);

    assert_int_equal(db_prepare(t->db, sql_t_get, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 4), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_string_equal(db_col_text(st, 1, &n), "ab");
    /* A NULL pointer with any length binds an empty blob, not NULL. */
    assert_false(db_col_is_null(st, 2));
    db_done(st);
}

/* Many rows, a 1 MiB blob, and writing while iterating (inside a transaction). */
static void
test_iterate_and_large(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *sel = NULL, *ins = NULL;
    size_t big_n = (size_t)1 << 20, n;
    unsigned char *big = xmalloc(big_n);
    uint32_t x = 12345;
    int64_t sum = 0, rows = 0;
    const void *b;
    bool row;

    for (size_t i = 0; i < big_n; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
    make_types_table(t->db);
    assert_int_equal(db_begin(t->db), 0);
    for (int64_t i = 1; i <= 500; i++)
        t_add(t->db, i, &i, "r", 1, "", 0, false);
    t_add(t->db, 1000, NULL, NULL, 0, big, big_n, false);
    assert_int_equal(db_commit(t->db), 0);

    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(db_prepare(t->db, "SELECT id, i FROM t WHERE id <= ?1 ORDER BY id", &sel),
                     0);
    assert_int_equal(db_bind_i64(sel, 1, 500), 0);
    while (!db_step(sel, &row) && row) {
        int64_t id = db_col_i64(sel, 0), copy = 2000 + id;
        rows++;
        sum += db_col_i64(sel, 1);
        assert_int_equal(db_prepare(t->db, sql_t_add, &ins), 0);
        assert_int_equal(db_bind_i64(ins, 1, copy), 0);
        assert_int_equal(db_bind_i64(ins, 2, id), 0);
        assert_int_equal(db_step(ins, &row), 0);
        db_done(ins);
    }
    db_done(sel);
    assert_int_equal(db_commit(t->db), 0);
    assert_int_equal(rows, 500);
    assert_int_equal(sum, 500 * 501 / 2);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM t WHERE id > 2000"), 500);
    assert_int_equal(count_rows(t->db, "SELECT CAST(SUM(i) AS BIGINT) FROM t WHERE id > 2000"),
                     500 * 501 / 2);

    assert_int_equal(db_prepare(t->db, sql_t_get, &sel), 0);
    assert_int_equal(db_bind_i64(sel, 1, 1000), 0);
    assert_int_equal(db_step(sel, &row), 0);
    assert_true(row);
    b = db_col_blob(sel, 2, &n);
    assert_int_equal(n, big_n);
    assert_memory_equal(b, big, big_n);
    db_done(sel);
    xfree(big);
}

/* Both drivers count characters of UTF-8 text the same way, and read integers, counts
 * and comparisons with db_col_i64 and as decimal text. */
static void
test_portable_reads(void **state)
{
    struct dbtest *t = *state;
    static const char zh[] = "西城区展览路";
    struct db_stmt *st = NULL;
    size_t n;
    bool row;

    assert_int_equal(db_prepare(t->db, "SELECT length(?1), COUNT(*), 1 = 1, 1 = 2, 42,"
                                       " CAST(?2 AS BIGINT) FROM users",
                                &st),
                     0);
    assert_int_equal(db_bind_text(st, 1, zh, strlen(zh)), 0);
    assert_int_equal(db_bind_i64(st, 2, -7), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 6);
    assert_int_equal(db_col_i64(st, 1), 0);
    assert_int_equal(db_col_i64(st, 2), 1);
    assert_int_equal(db_col_i64(st, 3), 0);
    assert_int_equal(db_col_i64(st, 4), 42);
    assert_string_equal(db_col_text(st, 4, &n), "42");
    assert_int_equal(n, 2);
    assert_int_equal(db_col_i64(st, 5), -7);
    assert_string_equal(db_col_text(st, 5, &n), "-7");
    /* Out of range columns read as NULL. */
    assert_true(db_col_is_null(st, 6));
    assert_int_equal(db_col_i64(st, 6), 0);
    assert_null(db_col_text(st, -1, &n));
    db_done(st);

    /* Integers bound to an INTEGER (int4 on PostgreSQL) column. */
    assert_int_equal(db_exec(t->db, "INSERT INTO divisions (code, level, parent, name)"
                                    " VALUES ('110102', 1, NULL, 'x')"),
                     0);
    assert_int_equal(db_prepare(t->db, "SELECT level, name FROM divisions WHERE level = ?1", &st),
                     0);
    assert_int_equal(db_bind_i64(st, 1, 1), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 1);
    db_done(st);
}

/* Integer parameters are 64-bit on both drivers, even where PostgreSQL would infer int4
 * from a literal; and functions that only take int4 still work. Also inside a
 * transaction, which must survive the driver's attempts. */
static void
test_integer_params(void **state)
{
    struct dbtest *t = *state;
    static const char sql_range[] =
        "SELECT COUNT(*) FROM users WHERE (?1 = 0 OR created_at >= ?1) AND (?2 = 0 OR id < ?2)";
    static const char sql_substr[] = "SELECT substr(?1, ?2, ?3), ?2 + 1";
    struct db_stmt *st = NULL;
    int64_t id = 0, big = (int64_t)1 << 42;
    size_t n;
    bool row;

    assert_int_equal(user_add(t->db, "u", &id), 0); /* created_at = 1000 */
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            assert_int_equal(db_begin(t->db), 0);
        assert_int_equal(db_prepare(t->db, sql_range, &st), 0);
        assert_int_equal(db_bind_i64(st, 1, big), 0);
        assert_int_equal(db_bind_i64(st, 2, big), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        assert_int_equal(db_col_i64(st, 0), 0);
        db_done(st);
        assert_int_equal(db_prepare(t->db, sql_range, &st), 0);
        assert_int_equal(db_bind_i64(st, 1, 0), 0);
        assert_int_equal(db_bind_i64(st, 2, big), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_int_equal(db_col_i64(st, 0), 1);
        db_done(st);

        assert_int_equal(db_prepare(t->db, sql_substr, &st), 0);
        assert_int_equal(db_bind_text(st, 1, "abcdef", 6), 0);
        assert_int_equal(db_bind_i64(st, 2, 2), 0);
        assert_int_equal(db_bind_i64(st, 3, 3), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        assert_string_equal(db_col_text(st, 0, &n), "bcd");
        assert_int_equal(db_col_i64(st, 1), 3);
        db_done(st);
        if (pass) {
            assert_int_equal(user_add(t->db, "in-tx", &id), 0);
            assert_int_equal(db_commit(t->db), 0);
        }
        /* A new connection (empty cache) for the transaction pass. */
        if (!pass) {
            dbtest_close(t->db);
            assert_int_equal(dbtest_open_fresh(t->url, &t->db), 0);
            t->db_url = dbtest_url(t->db);
            assert_int_equal(user_add(t->db, "u", &id), 0);
        }
    }
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 2);
}

static void
test_conflicts(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *st = NULL;
    int64_t id = 0;
    bool row;

    assert_int_equal(user_add(t->db, "dup", &id), 0);
    assert_int_equal(user_add(t->db, "dup", &id), ERR_CONFLICT);           /* UNIQUE */
    assert_int_equal(db_exec(t->db, "INSERT INTO settings (key, value) VALUES ('k', 'v')"), 0);
    assert_int_equal(db_exec(t->db, "INSERT INTO settings (key, value) VALUES ('k', 'w')"),
                     ERR_CONFLICT);                                           /* PRIMARY KEY */
    assert_int_equal(db_prepare(t->db, "INSERT INTO sessions (token_hash, user_id, csrf_token,"
                                       " created_at, last_seen_at) VALUES (?1, ?2, 'c', 0, 0)",
                                &st),
                     0);
    assert_int_equal(db_bind_blob(st, 1, "\x01\x02", 2), 0);
    assert_int_equal(db_bind_i64(st, 2, id + 1000), 0);
    assert_int_equal(db_step(st, &row), ERR_CONFLICT);                      /* FOREIGN KEY */
    /* A failed statement keeps failing until it is prepared again. */
    assert_int_equal(db_step(st, &row), ERR_DB);
    db_done(st);
    /* NOT NULL and CHECK-like failures are not conflicts. */
    assert_int_equal(db_exec(t->db, "INSERT INTO settings (key, value) VALUES ('n', NULL)"),
                     ERR_DB);
    /* The connection is still fine. */
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 1);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM settings"), 1);
}

static void
test_transactions(void **state)
{
    struct dbtest *t = *state;
    int64_t id = 0;

    db_rollback(t->db); /* no transaction open: harmless */
    assert_int_equal(db_commit(t->db), ERR_DB);

    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(db_begin(t->db), ERR_DB); /* no nesting */
    assert_int_equal(user_add(t->db, "gone", &id), 0);
    db_rollback(t->db);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 0);

    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(user_add(t->db, "kept", &id), 0);
    assert_int_equal(db_commit(t->db), 0);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 1);

    /* A conflict inside a transaction: roll back, nothing of it stays. */
    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(user_add(t->db, "new", &id), 0);
    assert_int_equal(user_add(t->db, "kept", &id), ERR_CONFLICT);
    db_rollback(t->db);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 1);
    assert_int_equal(db_begin(t->db), 0);
    db_rollback(t->db);
}

/* PostgreSQL aborts a transaction on any error; COMMIT then must not report success. */
static void
test_commit_after_error(void **state)
{
    struct dbtest *t = *state;
    int64_t id = 0;

    if (db_kind(t->db) != DB_POSTGRES)
        skip();
    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(user_add(t->db, "a", &id), 0);
    assert_int_equal(user_add(t->db, "a", &id), ERR_CONFLICT);
    assert_int_equal(db_commit(t->db), ERR_DB);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 0);
    assert_int_equal(db_begin(t->db), 0); /* the connection is usable again */
    db_rollback(t->db);
}

static void
test_changes(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *st = NULL;
    int64_t id;
    bool row;

    for (int i = 0; i < 3; i++) {
        char name[8] = "u0";
        name[1] = (char)('0' + i);
        assert_int_equal(user_add(t->db, name, &id), 0);
    }
    assert_int_equal(db_prepare(t->db, "UPDATE users SET role = ?1", &st), 0);
    assert_int_equal(db_bind_text(st, 1, "viewer", 6), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    assert_int_equal(db_changes(st), 3);
    /* Stepping a finished statement does not run it again. */
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    db_done(st);

    assert_int_equal(db_prepare(t->db, "DELETE FROM users WHERE username = ?1", &st), 0);
    assert_int_equal(db_bind_text(st, 1, "nobody", 6), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_int_equal(db_changes(st), 0);
    db_done(st);

    assert_int_equal(db_prepare(t->db, "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                                       " ON CONFLICT (key) DO NOTHING",
                                &st),
                     0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(db_bind_text(st, 1, "k", 1), 0);
        assert_int_equal(db_bind_text(st, 2, "v", 1), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_int_equal(db_changes(st), i == 0 ? 1 : 0);
        db_done(st);
        if (i == 0)
            assert_int_equal(db_prepare(t->db, "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                                               " ON CONFLICT (key) DO NOTHING",
                                        &st),
                             0);
    }

    assert_int_equal(db_prepare(t->db, "SELECT COUNT(*) FROM users", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_false(row);
    assert_int_equal(db_changes(st), 0);
    db_done(st);
}

static const char sql_cached[] = "SELECT COUNT(*) FROM users WHERE id > ?1";

static void
test_statement_cache(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *a = NULL, *b = NULL, *c = NULL;
    int64_t id;
    bool row;
    char *heap;

    assert_int_equal(user_add(t->db, "x", &id), 0);
    assert_int_equal(db_prepare(t->db, sql_cached, &a), 0);
    assert_int_equal(db_bind_i64(a, 1, 0), 0);
    assert_int_equal(db_step(a, &row), 0);
    assert_true(row);
    db_done(a);
    /* Same SQL pointer: the same, reset statement, bindings cleared. */
    assert_int_equal(db_prepare(t->db, sql_cached, &b), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(db_bind_i64(b, 1, 0), 0);
    assert_int_equal(db_step(b, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(b, 0), 1);
    /* Prepared again while in use (nested): a separate statement that works on its own. */
    assert_int_equal(db_prepare(t->db, sql_cached, &c), 0);
    assert_ptr_not_equal(b, c);
    assert_int_equal(db_bind_i64(c, 1, id), 0);
    assert_int_equal(db_step(c, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(c, 0), 0);
    assert_int_equal(db_col_i64(b, 0), 1);
    db_done(c);
    db_done(b);
    assert_int_equal(db_prepare(t->db, sql_cached, &c), 0);
    assert_ptr_equal(a, c);
    db_done(c);

    /* The same pointer holding other text (freed and reused memory) is not confused. */
    heap = xstrdup("SELECT 11");
    assert_int_equal(query_i64(t->db, heap), 11);
    memcpy(heap, "SELECT 22", 9);
    assert_int_equal(query_i64(t->db, heap), 22);
    xfree(heap);

    /* Bind after step and bad indexes are refused. */
    assert_int_equal(db_prepare(t->db, sql_cached, &a), 0);
    assert_int_equal(db_bind_i64(a, 0, 1), ERR_DB);
    assert_int_equal(db_bind_i64(a, 2, 1), ERR_DB);
    assert_int_equal(db_bind_i64(a, 1, 0), 0);
    assert_int_equal(db_step(a, &row), 0);
    assert_int_equal(db_bind_i64(a, 1, 1), ERR_DB);
    db_done(a);

    /* Many distinct statements: the cache grows and every one still answers right. */
    char sql[64][32];
    for (int i = 0; i < 64; i++) {
        snprintf(sql[i], sizeof sql[i], "SELECT %d", i + 1000);
        assert_int_equal(query_i64(t->db, sql[i]), i + 1000);
    }
    for (int i = 0; i < 64; i++)
        assert_int_equal(query_i64(t->db, sql[i]), i + 1000);

    /* Syntax errors and several statements fail at prepare; trailing comments do not. */
    assert_int_equal(db_prepare(t->db, "SELEKT 1", &a), ERR_DB);
    assert_null(a);
    assert_int_equal(db_prepare(t->db, "SELECT 1; SELECT 2", &a), ERR_DB);
    assert_null(a);
    assert_int_equal(db_prepare(t->db, "SELECT 1 FROM no_such_table", &a), ERR_DB);
    assert_int_equal(query_i64(t->db, "SELECT 5; -- five\n /* done */ "), 5);
}

/* ?N inside literals, identifiers and comments is text, not a parameter. */
static void
test_param_rewrite(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *st = NULL;
    size_t n;
    bool row;

    assert_int_equal(db_prepare(t->db,
                                "SELECT 'it''s ?1 and ?2' AS \"what?1\", ?2, /* ?3 */"
                                " CAST(?1 AS BIGINT) + 1 -- ?4 trailing\n",
                                &st),
                     0);
    assert_int_equal(db_bind_i64(st, 1, 41), 0);
    assert_int_equal(db_bind_text(st, 2, "?1", 2), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_string_equal(db_col_text(st, 0, &n), "it's ?1 and ?2");
    assert_string_equal(db_col_text(st, 1, &n), "?1");
    assert_int_equal(db_col_i64(st, 2), 42);
    db_done(st);
}

static void
check_rewrite(const char *in, const char *want)
{
    struct buf b = BUF_INIT;
    assert_int_equal(db__pg_rewrite(in, &b), 0);
    assert_string_equal(b.data, want);
    buf_release(&b);
}

/* The rewrite itself, including PostgreSQL-only syntax SQLite cannot run. */
static void
test_rewrite_unit(void **state)
{
    (void)state;
    check_rewrite("SELECT ?1, ?2, ?10", "SELECT $1, $2, $10");
    check_rewrite("SELECT '?1', ?1", "SELECT '?1', $1");
    check_rewrite("SELECT 'a''?1', ?2", "SELECT 'a''?1', $2");
    check_rewrite("SELECT \"c?1\"\"?2\" FROM t WHERE x = ?3",
                  "SELECT \"c?1\"\"?2\" FROM t WHERE x = $3");
    check_rewrite("SELECT E'\\'?1', ?2", "SELECT E'\\'?1', $2");
    check_rewrite("SELECT e'x\\\\', ?1", "SELECT e'x\\\\', $1");
    check_rewrite("SELECT 'x\\', ?1", "SELECT 'x\\', $1"); /* standard strings: no escapes */
    check_rewrite("SELECT $$ ?1 $$, ?2", "SELECT $$ ?1 $$, $2");
    check_rewrite("SELECT $f$ ?1 $x$ ?2 $f$, ?3", "SELECT $f$ ?1 $x$ ?2 $f$, $3");
    check_rewrite("SELECT a$b, ?1", "SELECT a$b, $1");
    check_rewrite("SELECT $1, ?2", "SELECT $1, $2");
    check_rewrite("SELECT 1 -- ?1\n, ?2", "SELECT 1 -- ?1\n, $2");
    check_rewrite("SELECT /* ?1 /* ?2 */ ?3 */ ?4", "SELECT /* ?1 /* ?2 */ ?3 */ $4");
    check_rewrite("SELECT j ? 'k', ?1", "SELECT j ? 'k', $1");
    check_rewrite("SELECT 5-?1/?2", "SELECT 5-$1/$2");
    check_rewrite("SELECT '?1", "SELECT '?1"); /* unterminated: copied, server complains */
    check_rewrite("SELECT '中文?1', ?1", "SELECT '中文?1', $1");
    check_rewrite("", "");
}

static void
test_metacharacters_verbatim(void **state)
{
    struct dbtest *t = *state;
    static const char *const values[] = {
        "'; DROP TABLE settings; --",
        "' OR '1'='1",
        "\\'; DELETE FROM users; --",
        "\"quoted\" `back` [bracket]",
        "?1 $1 $$ $tag$ %s %n %% \\x00",
        "line\nbreak\ttab\r",
        "/* comment */ -- dash",
        "Robert'); DROP TABLE users;--",
    };
    struct db_stmt *st = NULL;
    size_t n;
    bool row;

    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char key[8] = "k0";
        key[1] = (char)('0' + i);
        assert_int_equal(db_prepare(t->db, "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                                    &st),
                         0);
        assert_int_equal(db_bind_text(st, 1, key, strlen(key)), 0);
        assert_int_equal(db_bind_text(st, 2, values[i], strlen(values[i])), 0);
        assert_int_equal(db_step(st, &row), 0);
        db_done(st);

        assert_int_equal(db_prepare(t->db, "SELECT value FROM settings WHERE value = ?1", &st),
                         0);
        assert_int_equal(db_bind_text(st, 1, values[i], strlen(values[i])), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        const char *got = db_col_text(st, 0, &n);
        assert_int_equal(n, strlen(values[i]));
        assert_memory_equal(got, values[i], n);
        db_done(st);
    }
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM settings"),
                     (int64_t)(sizeof values / sizeof values[0]));
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM users"), 0);
}

/* The audit log refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL), also to a
 * direct SQL user (S6). */
static void
test_audit_append_only(void **state)
{
    struct dbtest *t = *state;
    struct db_stmt *st = NULL;
    bool row;

    assert_int_equal(db_prepare(t->db, "INSERT INTO audit_log (ts, actor, role, ip, action,"
                                       " target, result, request_id, key_id, mac)"
                                       " VALUES (?1, 'a', 'admin', '127.0.0.1', 'login', '',"
                                       " 'ok', 'r1', 1, ?2) RETURNING id",
                                &st),
                     0);
    assert_int_equal(db_bind_i64(st, 1, 1700000000000), 0);
    assert_int_equal(db_bind_blob(st, 2, "\x00mac", 4), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    db_done(st);

    assert_int_equal(db_exec(t->db, "UPDATE audit_log SET result = 'forged'"), ERR_DB);
    assert_int_equal(db_exec(t->db, "DELETE FROM audit_log"), ERR_DB);
    assert_int_equal(db_prepare(t->db, "DELETE FROM audit_log WHERE id = ?1", &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 1), 0);
    assert_int_equal(db_step(st, &row), ERR_DB);
    db_done(st);
    if (db_kind(t->db) == DB_POSTGRES)
        assert_int_equal(db_exec(t->db, "TRUNCATE audit_log"), ERR_DB);
    /* Inside a transaction too, and the row is unchanged afterwards. */
    assert_int_equal(db_begin(t->db), 0);
    assert_int_equal(db_exec(t->db, "UPDATE audit_log SET result = 'forged'"), ERR_DB);
    db_rollback(t->db);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM audit_log WHERE result = 'ok'"),
                     1);
}

/* ---- logs never carry bound values (S4) ----------------------------------------------- */

static bool test_log_shown; /* JIAYUAN_TEST_LOG: logs go to the terminal */

/* capture_begin sends the log (stderr) to a temporary file at debug level. */
static int
capture_begin(int *saved)
{
    char path[] = "/tmp/jiayuan-dblog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    *saved = dup(STDERR_FILENO);
    assert_true(*saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    log_set_quiet(false);
    log_set_level(LOG_DEBUG);
    return fd;
}

static void
capture_end(int fd, int saved, struct buf *out)
{
    char chunk[4096];
    ssize_t n;

    log_set_quiet(!test_log_shown);
    log_set_level(test_log_shown ? LOG_DEBUG : LOG_INFO);
    fflush(stderr);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_add(out, chunk, (size_t)n);
    close(fd);
}

static void
test_errors_do_not_leak_values(void **state)
{
    struct dbtest *t = *state;
    static const char secret_name[] = "leak-me-110102199001011234";
    static const char secret_text[] = "not-a-number-13800138000";
    struct db_stmt *st = NULL;
    struct buf log = BUF_INIT;
    int64_t id;
    bool row;
    int saved, fd;

    assert_int_equal(user_add(t->db, secret_name, &id), 0);
    fd = capture_begin(&saved);
    /* A unique violation: PostgreSQL's DETAIL quotes the key. */
    assert_int_equal(user_add(t->db, secret_name, &id), ERR_CONFLICT);
    /* A bad value: PostgreSQL's primary message quotes it (class 22). */
    assert_int_equal(db_prepare(t->db, "SELECT CAST(CAST(?1 AS TEXT) AS INTEGER) + 1", &st), 0);
    assert_int_equal(db_bind_text(st, 1, secret_text, strlen(secret_text)), 0);
    (void)db_step(st, &row); /* SQLite reads it as 0 + 1, PostgreSQL fails */
    db_done(st);
    /* A NOT NULL failure: PostgreSQL's DETAIL shows the whole row. */
    assert_int_equal(db_prepare(t->db, "INSERT INTO users (username, role, password_hash,"
                                       " password_changed_at, created_at, updated_at)"
                                       " VALUES (?1, ?2, NULL, 0, 0, 0)",
                                &st),
                     0);
    assert_int_equal(db_bind_text(st, 1, "other-user", 10), 0);
    assert_int_equal(db_bind_text(st, 2, secret_text, strlen(secret_text)), 0);
    assert_int_equal(db_step(st, &row), ERR_DB);
    db_done(st);
    capture_end(fd, saved, &log);

    assert_non_null(strstr(log.data, "\"error\":\"CONFLICT\"")); /* something was logged */
    assert_null(strstr(log.data, secret_name));
    assert_null(strstr(log.data, "110102199001011234"));
    assert_null(strstr(log.data, secret_text));
    assert_null(strstr(log.data, "13800138000"));
    buf_release(&log);
}

/* ---- pool --------------------------------------------------------------------------- */

#define POOL_THREADS 6
#define POOL_ROUNDS 15

struct pool_worker {
    struct db_pool *pool;
    int id, failures;
};

static const char sql_pool_add[] = "INSERT INTO settings (key, value) VALUES (?1, ?2)";

static void *
pool_worker_run(void *arg)
{
    struct pool_worker *w = arg;
    for (int r = 0; r < POOL_ROUNDS; r++) {
        struct db *db = db_pool_get(w->pool);
        struct db_stmt *st = NULL;
        char key[32];
        bool row;
        int rc;

        snprintf(key, sizeof key, "w%d-%d", w->id, r);
        if ((rc = db_begin(db)) || (rc = db_prepare(db, sql_pool_add, &st)) ||
            (rc = db_bind_text(st, 1, key, strlen(key))) ||
            (rc = db_bind_text(st, 2, "v", 1)) || (rc = db_step(st, &row))) {
            w->failures++;
            db_done(st);
            db_rollback(db);
        } else {
            db_done(st);
            if (db_commit(db))
                w->failures++;
        }
        db_pool_put(w->pool, db);
    }
    return NULL;
}

static void
test_pool_threads(void **state)
{
    struct dbtest *t = *state;
    struct db_pool *pool = NULL;
    struct pool_worker w[POOL_THREADS];
    pthread_t th[POOL_THREADS];

    assert_int_equal(db_pool_new(t->db_url, NULL, 3, &pool), 0);
    for (int i = 0; i < POOL_THREADS; i++) {
        w[i] = (struct pool_worker){ pool, i, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, pool_worker_run, &w[i]), 0);
    }
    for (int i = 0; i < POOL_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM settings"),
                     POOL_THREADS * POOL_ROUNDS);

    /* A connection handed back inside a transaction is rolled back, not leaked. */
    struct db *db = db_pool_get(pool);
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(db_exec(db, "INSERT INTO settings (key, value) VALUES ('left', 'open')"), 0);
    db_pool_put(pool, db);
    db = db_pool_get(pool);
    assert_int_equal(db_begin(db), 0);
    db_rollback(db);
    db_pool_put(pool, db);
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM settings WHERE key = 'left'"), 0);
    db_pool_free(pool);

    assert_int_equal(db_pool_new(t->db_url, NULL, 0, &pool), ERR_INVALID);
    assert_null(pool);
}

/* ---- PostgreSQL connection loss ------------------------------------------------------ */

static void
test_pg_reconnect(void **state)
{
    struct dbtest *t = *state;
    struct db *killer = NULL;
    struct db_stmt *st = NULL;
    int64_t pid;
    bool row;
    int rc;

    if (db_kind(t->db) != DB_POSTGRES)
        skip();
    assert_int_equal(query_i64(t->db, sql_cached + 0 /* prepare before the loss */), 0);
    pid = query_i64(t->db, "SELECT pg_backend_pid()");
    assert_int_equal(db_open(t->db_url, NULL, &killer), 0);
    assert_int_equal(db_prepare(killer, "SELECT pg_terminate_backend(CAST(?1 AS INTEGER))", &st),
                     0);
    assert_int_equal(db_bind_i64(st, 1, pid), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 1);
    db_done(st);
    db_close(killer);

    /* The first use notices the loss; the next one reconnects and prepares again. */
    rc = db_prepare(t->db, sql_cached, &st);
    if (!rc) {
        assert_int_equal(db_bind_i64(st, 1, 0), 0);
        rc = db_step(st, &row);
        db_done(st);
    }
    assert_int_equal(rc, ERR_UNAVAILABLE);
    assert_int_equal(db_ping(t->db), 0);
    assert_int_equal(query_i64(t->db, "SELECT pg_backend_pid()") != pid, 1);
    assert_int_equal(db_prepare(t->db, sql_cached, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, 0), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), 0);
    db_done(st);
    /* The search_path (from the URL) survived the reset. */
    assert_int_equal(count_rows(t->db, "SELECT COUNT(*) FROM schema_migrations") > 0, 1);
}

/* ---- opening ------------------------------------------------------------------------ */

static void
test_open_urls(void **state)
{
    struct dbtest *t = *state;
    struct db *db = (struct db *)1;
    char dir[] = "/tmp/jiayuan-dbopen-XXXXXX";
    struct buf b = BUF_INIT;

    if (db_kind(t->db) != DB_SQLITE)
        skip();
    assert_int_equal(db_open("mysql://x", NULL, &db), ERR_INVALID);
    assert_null(db);
    assert_int_equal(db_open("sqlite:", NULL, &db), ERR_INVALID);
    assert_int_equal(db_open("postgres://nobody:secret@127.0.0.1:1/none", NULL, &db),
                     ERR_UNAVAILABLE);
    assert_null(db);
    assert_int_equal(db_open("postgres://nobody:secret@127.0.0.1:1/none?port=x%zz", NULL, &db),
                     ERR_INVALID);
    assert_null(db);
    assert_int_equal(db_open("sqlite::memory:", NULL, &db), 0);
    assert_int_equal(db_migrate(db, NULL), 0);
    db_close(db);

    assert_non_null(mkdtemp(dir));
    assert_int_equal(db_open(NULL, dir, &db), 0); /* VAR_DIR/jiayuan.db */
    assert_int_equal(query_i64(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(query_i64(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(query_i64(db, "PRAGMA secure_delete"), 1); /* deleted rows zeroed (issue 12) */
    db_close(db);
    buf_printf(&b, "%s/jiayuan.db", dir);
    assert_int_equal(db_open(b.data, NULL, &db), 0); /* a path ending in .db */
    assert_string_equal(db_describe(db), "sqlite");
    db_close(db);
    unlink(b.data);
    buf_reset(&b);
    buf_printf(&b, "%s/jiayuan.db-wal", dir);
    unlink(b.data);
    buf_reset(&b);
    buf_printf(&b, "%s/jiayuan.db-shm", dir);
    unlink(b.data);
    rmdir(dir);
    buf_release(&b);
}

/* Regression: opening a second connection in one process used to open()+close() the
 * database file, which drops every POSIX lock the process holds on it; another process
 * closing its connection then believed it was the last one, checkpointed and deleted the
 * WAL under the live connections, and the database was corrupted ("malformed"). */
static void
test_sqlite_second_connection_keeps_locks(void **state)
{
    struct dbtest *t = *state;
    struct db *a = NULL, *b = NULL;
    struct buf wal = BUF_INIT, cmd = BUF_INIT;
    struct stat st;
    char dir[] = "/tmp/jiayuan-dblock-XXXXXX", path[128];
    int status = 0;

    if (db_kind(t->db) != DB_SQLITE)
        skip();
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/locks.db", dir);
    assert_int_equal(db_open(path, NULL, &a), 0);
    assert_int_equal(db_exec(a, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);"), 0);
    assert_int_equal(db_open(path, NULL, &b), 0); /* the second connection of this process */
    /* another process (a fresh program, not a fork: SQLite state must not be inherited)
     * writes and closes its only connection */
    buf_printf(&cmd, "sqlite3 '%s' 'INSERT INTO t VALUES (2);'", path);
    status = system(cmd.data);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    buf_printf(&wal, "%s-wal", path);
    assert_int_equal(stat(wal.data, &st), 0); /* still there: we hold connections */
    assert_int_equal(db_exec(a, "INSERT INTO t VALUES (3);"), 0);
    assert_int_equal(query_i64(b, "SELECT count(*) FROM t"), 3);
    assert_int_equal(query_i64(a, "SELECT count(*) FROM t WHERE x IN (1, 2, 3)"), 3);
    db_close(b);
    db_close(a);
    assert_int_equal(db_open(path, NULL, &a), 0);
    assert_int_equal(query_i64(a, "SELECT count(*) FROM t"), 3);
    db_close(a);
    unlink(path);
    unlink(wal.data);
    buf_reset(&wal);
    buf_printf(&wal, "%s-shm", path);
    unlink(wal.data);
    rmdir(dir);
    buf_release(&wal);
    buf_release(&cmd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DBTEST(test_migrate_idempotent),
        DBTEST(test_migrate_empty),
        DBTEST(test_migrate_concurrent),
        DBTEST(test_migrate_refuses_newer_schema),
        DBTEST(test_kind_and_describe),
        DBTEST(test_insert_returning),
        DBTEST(test_returning_is_committed),
        DBTEST(test_types_roundtrip),
        DBTEST(test_iterate_and_large),
        DBTEST(test_portable_reads),
        DBTEST(test_integer_params),
        DBTEST(test_conflicts),
        DBTEST(test_transactions),
        DBTEST(test_commit_after_error),
        DBTEST(test_changes),
        DBTEST(test_statement_cache),
        DBTEST(test_param_rewrite),
        cmocka_unit_test(test_rewrite_unit),
        DBTEST(test_metacharacters_verbatim),
        DBTEST(test_audit_append_only),
        DBTEST(test_errors_do_not_leak_values),
        DBTEST(test_pool_threads),
        DBTEST(test_pg_reconnect),
        DBTEST(test_open_urls),
        DBTEST(test_sqlite_second_connection_keeps_locks),
    };
    const char *show = getenv("JIAYUAN_TEST_LOG");
    test_log_shown = show && *show;
    log_set_quiet(!test_log_shown);
    if (test_log_shown)
        log_set_level(LOG_DEBUG);
    return dbtest_run("db", tests, sizeof tests / sizeof tests[0]);
}
