/* tests/support/dbtest.h - run a storage-touching cmocka suite on SQLite and PostgreSQL.
 *
 * Every domain suite runs on both drivers (style: Tests). SQLite always runs, in a new
 * temporary directory per process. PostgreSQL runs when JIAYUAN_TEST_PG holds a URL (see
 * scripts/pg-test); with JIAYUAN_REQUIRE_PG=1 a missing or unreachable PostgreSQL is a
 * hard failure (the process exits 1), so CI cannot silently test one driver only.
 *
 * Each fresh PostgreSQL database is a schema of its own, t_<pid>_<n>, made the
 * search_path of every connection opened with its URL, so suites run in parallel
 * (ctest -j) against one database without seeing each other. The schema is dropped by
 * dbtest_close; a crashed run leaves it behind (harmless; scripts/pg-test does not clean).
 *
 * Typical suite:
 *
 *     static void test_x(void **state)
 *     {
 *         struct dbtest *t = *state;         // t->db: empty, fully migrated
 *         ...
 *     }
 *     int main(void)
 *     {
 *         const struct CMUnitTest tests[] = { DBTEST(test_x), ... };
 *         return dbtest_run("site", tests, sizeof tests / sizeof tests[0]);
 *     }
 *
 * Output names each group "<suite>/<driver>" and each test "<driver>/<test>".
 */
#ifndef JY_TESTS_DBTEST_H
#define JY_TESTS_DBTEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "db/db.h"

#define DBTEST_MAX_URLS 2

/* dbtest_urls fills urls (up to cap) with the databases to test on, SQLite first, and
 * returns how many. Computed once per process; the strings live until exit. May exit(1)
 * when JIAYUAN_REQUIRE_PG=1 and PostgreSQL is missing or unreachable. */
size_t dbtest_urls(const char **urls, size_t cap);

/* dbtest_open_fresh opens an empty, fully migrated database for url (one of
 * dbtest_urls): SQLite, a new file in the temporary directory; PostgreSQL, a new schema.
 * Release it with dbtest_close. Returns 0 or the ERR_* of the failing step. */
int dbtest_open_fresh(const char *url, struct db **out);
/* dbtest_open_empty is dbtest_open_fresh without running the migrations. */
int dbtest_open_empty(const char *url, struct db **out);
/* dbtest_url returns the URL of db's fresh database, to open more connections to the
 * same data (pools, threads, child processes); valid until dbtest_close(db). */
const char *dbtest_url(const struct db *db);
/* dbtest_close closes db and deletes its database (file or schema). NULL is fine. */
void dbtest_close(struct db *db);

/* The state each DBTEST test receives. */
struct dbtest {
    const char *driver; /* "sqlite" | "postgres" */
    const char *url;    /* the driver's URL from dbtest_urls */
    struct db *db;      /* this test's fresh database */
    const char *db_url; /* dbtest_url(db) */
};

/* Per-test fixtures: a fresh database before, dbtest_close after. */
int dbtest_setup(void **state);
int dbtest_teardown(void **state);
#define DBTEST(fn) cmocka_unit_test_setup_teardown(fn, dbtest_setup, dbtest_teardown)

/* dbtest_run runs the tests once per URL from dbtest_urls, each test getting a struct
 * dbtest as its state (tests without DBTEST fixtures get one with db NULL). Returns the
 * number of failed tests: main returns it. */
int dbtest_run(const char *suite, const struct CMUnitTest *tests, size_t n);

#endif
