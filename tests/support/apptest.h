/* tests/support/apptest.h - a struct app on a fresh test database, for domain suites,
 * and the steps those suites share: ingesting records, making sites and plans, scoped
 * actors, and reading counters and recounting them from the raw rows.
 *
 * Builds on dbtest.h: each APPTEST test runs once per driver (SQLite, and PostgreSQL when
 * JIAYUAN_TEST_PG is set) on a fresh, fully migrated database, with
 *   - a keyring holding one data key made from 32 random bytes (keyring_add, id 1),
 *   - policy = POLICY_DEFAULTS,
 *   - the reference data loaded (reference_seed: divisions and industries),
 *   - admin: an ACTOR_SYSTEM actor named "tester" to pass to domain calls.
 * No pool: domain calls take the struct db * directly. The teardown resets the fake clock
 * (time_set_fake_ms(0)) so a failed test cannot leak it into the next one.
 *
 *     static void test_x(void **state)
 *     {
 *         struct apptest *at = *state;
 *         ... user_create(&at->app, at->db, &at->admin, ...) ...
 *     }
 *     int main(void)
 *     {
 *         const struct CMUnitTest tests[] = { APPTEST(test_x), ... };
 *         return apptest_run("user", tests, sizeof tests / sizeof tests[0]);
 *     }
 */
#ifndef JY_TESTS_APPTEST_H
#define JY_TESTS_APPTEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "dbtest.h"
#include "domain/platform/app.h"
#include "domain/ingest/ingest.h"
#include "domain/account/user.h"

/* A stable fake-clock origin for tests: 2026-01-01T00:00:00Z. */
#define APPTEST_T0 1767225600000LL
/* The "now" the resource suites set: 2026-01-01 18:00 Asia/Shanghai (T0 + 10 h). */
#define APPTEST_NOW (APPTEST_T0 + 10 * 3600000LL)
/* A valid subdistrict code from data/divisions.csv (西长安街街道) and another one. */
#define APPTEST_SUBDISTRICT "110102001"
#define APPTEST_SUBDISTRICT2 "110102003"
/* A password that meets POLICY_DEFAULTS for any user name used in the suites. */
#define APPTEST_PASSWORD "Correct-Horse-42"

struct apptest {
    struct dbtest *t; /* the dbtest state (driver name, URLs) */
    struct db *db;    /* == t->db */
    struct app app;
    struct actor admin;
};

/* apptest_app_init fills app for db: random data key, defaults, reference data. 0 or the
 * ERR_* of the failing step. */
int apptest_app_init(struct app *app, struct db *db);

/* Per-test fixtures: dbtest_setup + apptest_app_init before; wipe, dbtest_teardown and
 * time_set_fake_ms(0) after. *state becomes a struct apptest. */
int apptest_setup(void **state);
int apptest_teardown(void **state);
#define APPTEST(fn) cmocka_unit_test_setup_teardown(fn, apptest_setup, apptest_teardown)

/* apptest_run is dbtest_run with quiet logs unless JIAYUAN_TEST_LOG=1. */
int apptest_run(const char *suite, const struct CMUnitTest *tests, size_t n);

/* apptest_user creates a user (asserting success) with password APPTEST_PASSWORD (or pw
 * when not NULL, not temporary) and returns it in out (may be NULL); returns its id. */
int64_t apptest_user(struct apptest *at, const char *name, enum role role,
                     const char *subdistrict, const char *pw, struct user *out);
/* apptest_actor fills a as the router would for user id (user_to_actor, ip, request id). */
void apptest_actor(struct apptest *at, int64_t id, struct actor *a);

/* apptest_why empties and returns one process-wide buffer to pass as a domain function's
 * struct buf *why (the house way to return a reason); apptest_why_text reads what the last
 * call appended ("" when nothing). */
struct buf *apptest_why(void);
const char *apptest_why_text(void);

/* apptest_i64 runs a one-row, one-column query with up to one bound i64 parameter ?1
 * (ignored when the SQL has none) and returns the value (asserting a row exists). */
int64_t apptest_i64(struct db *db, const char *sql, int64_t p1);
/* apptest_exec runs DDL/DML without parameters and returns db_exec's code. */
int apptest_exec(struct db *db, const char *sql);
/* apptest_dialect picks sqlite_sql or pg_sql for db. */
const char *apptest_dialect(struct db *db, const char *sqlite_sql, const char *pg_sql);
/* apptest_count_audit counts audit rows with action (and target, result when not NULL). */
int64_t apptest_count_audit(struct db *db, const char *action, const char *target,
                            const char *result);
/* apptest_audit_intact asserts the audit chain verifies and returns the rows checked. */
int64_t apptest_audit_intact(struct apptest *at);
/* apptest_memmem: does hay[0..hn) contain needle[0..nn)? */
bool apptest_memmem(const void *hay, size_t hn, const void *needle, size_t nn);
/* apptest_i64_text is apptest_i64 with one bound text parameter ?1. */
int64_t apptest_i64_text(struct db *db, const char *sql, const char *p1);

/* Ingest ------------------------------------------------------------------------------- */
/* apptest_json parses test JSON text (any value; duplicate keys refused) and fails the
 * test on bad text. Returns a new reference. */
json_t *apptest_json(const char *text);
/* apptest_put ingests obj, one record (reference stolen), as a through kind and returns
 * its outcome (asserting that ingest_run worked and gave one outcome). */
struct ingest_outcome apptest_put(struct apptest *at, const struct actor *a, const struct ingest_kind *kind,
                                  json_t *obj);
/* apptest_accept is apptest_put as the admin that fails the test (naming the field and
 * the reason) unless obj is accepted; returns the new row's id. */
int64_t apptest_accept(struct apptest *at, const struct ingest_kind *kind, json_t *obj);
/* apptest_ingest_text ingests JSON text (one record or an array of them) as a through
 * kind; returns the outcomes (free with xfree) and their count in *n. */
struct ingest_outcome *apptest_ingest_text(struct apptest *at, const struct actor *a, const struct ingest_kind *kind,
                                           const char *text, size_t *n);
/* apptest_expect_outcome fails the test, naming what, unless o was accepted (field NULL)
 * or rejected naming field ("" for the record as a whole, e.g. an unknown key). */
void apptest_expect_outcome(const struct ingest_outcome *o, const char *field, const char *what);
/* A validation case: a valid record with key set to the JSON text value_json (NULL: key
 * removed) must be rejected naming field ("" for the record as a whole). */
struct apptest_reject_case {
    const char *key, *value_json, *field;
};
/* apptest_expect_rejected applies case c to obj (a valid record, reference stolen),
 * ingests it as the admin through kind and fails the test unless it is rejected as c
 * says. Returns the outcome. */
struct ingest_outcome apptest_expect_rejected(struct apptest *at, const struct ingest_kind *kind, json_t *obj,
                                              const struct apptest_reject_case *c);

/* Actors, sites, plans -------------------------------------------------------------------- */
/* apptest_scoped makes *a the admin bound to subdistrict sub (a scoped system actor). */
void apptest_scoped(struct apptest *at, const char *sub, struct actor *a);
/* apptest_site_obj returns a new valid site record (source "city"): code (also its
 * external_id and name), type "fixed", subdistrict sub, at lon 116.38, lat 39.9. */
json_t *apptest_site_obj(const char *code, const char *sub);
/* apptest_site creates apptest_site_obj(code, sub) as the admin through the site kind
 * (asserting it is accepted) and returns the site's id. */
int64_t apptest_site(struct apptest *at, const char *code, const char *sub);
/* apptest_plan_obj returns a new valid plan record (source "city"): plan_no, external_id
 * ext, name "第1轮全员核酸", kind "mass", running from APPTEST_NOW - 1 h to APPTEST_NOW +
 * 1 day, scope the JSON array text scope_json (NULL: no scope, the whole district). */
json_t *apptest_plan_obj(const char *plan_no, const char *ext, const char *scope_json);

/* Counters ------------------------------------------------------------------------------- */
/* apptest_gauge reads gauge name of subdistrict ("" = district-wide); 0 when absent. */
int64_t apptest_gauge(struct db *db, const char *name, const char *subdistrict);
/* apptest_sites_open_mismatches recounts the live open sites of every subdistrict from
 * the sites table and returns how many subdistricts' "sites_open" gauge differs (0: the
 * counter is right). */
int64_t apptest_sites_open_mismatches(struct db *db);

#endif
