/* bench/audit_target.c - the auditor's "who looked up this person" query on a large audit
 * log, without and with the index on target (migration 0030; issue 12, docs/security.md
 * Known gaps item 4).
 *
 * Fills audit_log of a fresh database with ROWS entries (set-based INSERT … SELECT; about 5
 * entries per person target, one in three of another action), then times the query of
 * domain/batch/lookup_audit.c (sql_person_hits, same text) for random targets: first with
 * audit_log_target dropped (the schema before 0030), then with it made again. Prints each
 * plan and the mean/max time per query; one "RESULT {json}" line per mode. Not a test.
 *
 *   audit_target [--db URL] [--rows N]
 * URL defaults to SQLite at /var/tmp/jy-audit-target/jiayuan.db (its files removed first); for
 * PostgreSQL give a URL whose search_path is an empty schema of its own, e.g.
 *   psql "$PG" -c 'CREATE SCHEMA bench_audit' &&
 *   audit_target --db "$PG?options=-c%20search_path%3Dbench_audit"
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/time.h"
#include "db/db.h"

#define TARGETS_PER_ROW 5 /* entries per person */

static const char sql_person_hits[] =
    "SELECT ts, actor, role, action, result FROM audit_log WHERE target = ?1 AND action <> 'audit.lookups'"
    " ORDER BY id DESC LIMIT ?2";
static const char sql_fill_sqlite[] =
    "INSERT INTO audit_log (ts, actor, role, ip, action, target, result, request_id, detail, key_id, mac)"
    " WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?1)"
    " SELECT 1700000000000 + i, 'user' || (i % 97), 'district', '10.0.0.1',"
    " CASE WHEN i % 3 = 0 THEN 'people.view' ELSE 'batch.lookup' END,"
    " printf('blind:%016x', i % ?2), 'ok', '', '', 1, X'00' FROM s";
static const char sql_fill_pg[] =
    "INSERT INTO audit_log (ts, actor, role, ip, action, target, result, request_id, detail, key_id, mac)"
    " SELECT 1700000000000 + i, 'user' || (i % 97), 'district', '10.0.0.1',"
    " CASE WHEN i % 3 = 0 THEN 'people.view' ELSE 'batch.lookup' END,"
    " 'blind:' || lpad(to_hex(i % ?2), 16, '0'), 'ok', '', '', 1, '\\x00'::bytea"
    " FROM generate_series(0, ?1 - 1) AS i";

static int
die(const char *what, int rc)
{
    fprintf(stderr, "audit_target: %s failed (%d)\n", what, rc);
    exit(1);
}

static void
fill(struct db *db, int64_t rows)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    int64_t t0 = time_mono_us();
    if ((rc = db_prepare(db, db_kind(db) == DB_POSTGRES ? sql_fill_pg : sql_fill_sqlite, &st)) ||
        (rc = db_bind_i64(st, 1, rows)) || (rc = db_bind_i64(st, 2, rows / TARGETS_PER_ROW)) ||
        (rc = db_step(st, &row)))
        die("fill", rc);
    db_done(st);
    printf("filled %lld entries in %.1f s\n", (long long)rows, (double)(time_mono_us() - t0) / 1e6);
}

static void
plan(struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    bool pg = db_kind(db) == DB_POSTGRES;
    const char *sql = pg ? "EXPLAIN SELECT ts, actor, role, action, result FROM audit_log WHERE target ="
                           " 'blind:0000000000000007' AND action <> 'audit.lookups' ORDER BY id DESC LIMIT 101"
                         : "EXPLAIN QUERY PLAN SELECT ts, actor, role, action, result FROM audit_log WHERE target"
                           " = 'blind:0000000000000007' AND action <> 'audit.lookups' ORDER BY id DESC LIMIT 101";
    if (db_prepare(db, sql, &st))
        die("explain", 1);
    while (!db_step(st, &row) && row) {
        size_t n = 0;
        const char *line = db_col_text(st, pg ? 0 : 3, &n);
        printf("  plan: %.*s\n", (int)n, line);
    }
    db_done(st);
}

/* measure runs the query for `queries` random targets and prints mean and max. */
static void
measure(struct db *db, const char *mode, int64_t targets, int queries)
{
    char target[40];
    double sum = 0, max = 0;
    int64_t hits = 0;
    plan(db);
    for (int q = 0; q < queries; q++) {
        struct db_stmt *st = NULL;
        bool row = false;
        snprintf(target, sizeof target, "blind:%016llx", (unsigned long long)(rand() % targets));
        int64_t t0 = time_mono_us();
        if (db_prepare(db, sql_person_hits, &st) || db_bind_text(st, 1, target, strlen(target)) ||
            db_bind_i64(st, 2, 101))
            die("query", 1);
        while (!db_step(st, &row) && row)
            hits++;
        db_done(st);
        double ms = (double)(time_mono_us() - t0) / 1e3;
        sum += ms;
        max = ms > max ? ms : max;
    }
    printf("%s: %d queries, %.3f ms mean, %.3f ms max, %.1f hits each\n", mode, queries, sum / queries, max,
           (double)hits / queries);
    printf("RESULT {\"bench\":\"audit_target\",\"driver\":\"%s\",\"mode\":\"%s\",\"queries\":%d,\"mean_ms\":%.3f,"
           "\"max_ms\":%.3f}\n",
           db_describe(db), mode, queries, sum / queries, max);
}

int
main(int argc, char **argv)
{
    const char *url = "/var/tmp/jy-audit-target/jiayuan.db";
    int64_t rows = 1000000;
    struct db *db = NULL;
    int rc;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db"))
            url = argv[i + 1];
        else if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
    }
    if (!strncmp(url, "/var/tmp/jy-audit-target/", 25)) { /* a fresh SQLite file */
        (void)mkdir("/var/tmp/jy-audit-target", 0700);
        unlink("/var/tmp/jy-audit-target/jiayuan.db");
        unlink("/var/tmp/jy-audit-target/jiayuan.db-wal");
        unlink("/var/tmp/jy-audit-target/jiayuan.db-shm");
    }
    if ((rc = db_open(url, "/var/tmp/jy-audit-target", &db)) || (rc = db_migrate(db, NULL)))
        die("open/migrate", rc);
    srand(7);
    fill(db, rows);
    if ((rc = db_exec(db, "DROP INDEX audit_log_target")) || (rc = db_exec(db, "ANALYZE audit_log")))
        die("drop index", rc);
    measure(db, "before (no index on target)", rows / TARGETS_PER_ROW, 20);
    int64_t t0 = time_mono_us();
    if ((rc = db_exec(db, "CREATE INDEX audit_log_target ON audit_log (target, id)")) ||
        (rc = db_exec(db, "ANALYZE audit_log")))
        die("create index", rc);
    printf("index built in %.1f s\n", (double)(time_mono_us() - t0) / 1e6);
    measure(db, "after (audit_log_target)", rows / TARGETS_PER_ROW, 2000);
    db_close(db);
    return 0;
}
