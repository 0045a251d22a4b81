/* bench/group_commit.c - the one-fsync-per-write ceiling against group commit (issue 13).
 *
 * Three ways to make THREADS x PER single-row writes durable on one database, each row a
 * 200-byte blob in an indexed table (about what one sample's sealed fields weigh):
 *   bare   one thread, one connection, one transaction per row: the rate a disk allows
 *          when every write pays its own fsync (the "bare loop" ceiling);
 *   direct THREADS threads, a connection each, a transaction per row: today's request
 *          path (SQLite's busy handler or PostgreSQL's row locks decide the order);
 *   group  THREADS threads handing their rows to one db_writer (db/db_writer.h): one
 *          transaction and one fsync per group.
 * Durability is the same in all three (synchronous=FULL / PostgreSQL defaults). It prints
 * rows/s, p50/p99 acknowledgement latency and, for group, the mean group size; one
 * "RESULT {json}" line per mode. Not a test.
 *
 *   group_commit [--db URL] [--threads N] [--per N] [--var DIR]
 * URL defaults to SQLite in DIR (default /var/tmp/jy-group-commit, emptied first); for
 * PostgreSQL give a URL whose database may be written (a table gc_bench is dropped and
 * created). Run with `taskset -c 0` to pin to one core as bench/run-ingest does.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "db/db.h"
#include "db/db_writer.h"

static const char *g_url;
static const char *g_var = "/var/tmp/jy-group-commit";
static int g_threads = 64, g_per = 200;
static unsigned char g_blob[200];

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
insert_row(struct db *db, void *group, void *arg)
{
    const int64_t *k = arg;
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    (void)group;
    if ((rc = db_prepare(db, "INSERT INTO gc_bench (k, b) VALUES (?1, ?2)", &st)))
        return rc;
    db_bind_i64(st, 1, *k);
    db_bind_blob(st, 2, g_blob, sizeof g_blob);
    rc = db_step(st, &row);
    db_done(st);
    return rc;
}

static int
insert_committed(struct db *db, int64_t k)
{
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = insert_row(db, NULL, &k))) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}

struct worker {
    int id;
    struct db_writer *w; /* group mode */
    double *lat;         /* per row, ms */
    int errors;
};

static void *
worker_main(void *p)
{
    struct worker *wk = p;
    struct db *db = NULL;

    if (!wk->w && db_open(g_url, g_var, &db)) {
        wk->errors = g_per;
        return NULL;
    }
    for (int i = 0; i < g_per; i++) {
        int64_t k = (int64_t)wk->id * 1000000 + i;
        double t0 = now_ms();
        int rc = wk->w ? db_writer_run(wk->w, insert_row, &k) : insert_committed(db, k);
        wk->lat[i] = now_ms() - t0;
        if (rc)
            wk->errors++;
    }
    db_close(db);
    return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
report(const char *mode, double *lat, size_t n, double ms, int errors, double mean_group)
{
    qsort(lat, n, sizeof *lat, cmp_double);
    double rate = n / (ms / 1e3);
    printf("%-6s %8zu rows %8.0f rows/s  p50 %7.2f ms  p99 %7.2f ms  errors %d",
           mode, n, rate, lat[n / 2], lat[(size_t)(n * 0.99)], errors);
    if (mean_group > 0)
        printf("  mean group %.1f", mean_group);
    printf("\nRESULT {\"mode\":\"%s\",\"rows\":%zu,\"rows_per_s\":%.0f,\"p50_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"errors\":%d,\"mean_group\":%.2f}\n",
           mode, n, rate, lat[n / 2], lat[(size_t)(n * 0.99)], errors, mean_group);
}

static void
run_mode(const char *mode)
{
    int threads = strcmp(mode, "bare") == 0 ? 1 : g_threads;
    int per = g_per;
    size_t n = (size_t)threads * per;
    double *lat = calloc(n, sizeof *lat);
    struct worker *wk = calloc(threads, sizeof *wk);
    pthread_t *th = calloc(threads, sizeof *th);
    struct db_writer *w = NULL;
    struct db *db = NULL;
    int errors = 0;

    if (db_open(g_url, g_var, &db) || db_exec(db, "DELETE FROM gc_bench")) {
        fprintf(stderr, "group_commit: cannot reset the table\n");
        exit(1);
    }
    db_close(db);
    if (strcmp(mode, "group") == 0 && db_writer_start(g_url, g_var, NULL, &w)) {
        fprintf(stderr, "group_commit: cannot start the writer\n");
        exit(1);
    }
    double t0 = now_ms();
    for (int i = 0; i < threads; i++) {
        wk[i] = (struct worker){.id = i, .w = w, .lat = lat + (size_t)i * per};
        pthread_create(&th[i], NULL, worker_main, &wk[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        errors += wk[i].errors;
    }
    double ms = now_ms() - t0;
    double mean_group = 0;
    if (w) {
        struct db_writer_stats s;
        db_writer_stats(w, &s);
        mean_group = s.groups ? (double)s.writes / s.groups : 0;
        db_writer_stop(w);
    }
    report(mode, lat, n, ms, errors, mean_group);
    free(lat);
    free(wk);
    free(th);
}

int
main(int argc, char **argv)
{
    char sqlite_url[512];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--db") == 0)
            g_url = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            g_threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--per") == 0)
            g_per = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--var") == 0)
            g_var = argv[i + 1];
        else {
            fprintf(stderr, "usage: group_commit [--db URL] [--threads N] [--per N] [--var DIR]\n");
            return 2;
        }
    }
    if (g_threads < 1 || g_threads > 1024 || g_per < 1) {
        fprintf(stderr, "group_commit: --threads 1..1024, --per >= 1\n");
        return 2;
    }
    log_set_quiet(true);
    if (!g_url) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_var, g_var);
        if (system(cmd) != 0)
            return 1;
        snprintf(sqlite_url, sizeof sqlite_url, "sqlite:%s/gc.db", g_var);
        g_url = sqlite_url;
    }
    memset(g_blob, 0xa5, sizeof g_blob);
    struct db *db = NULL;
    if (db_open(g_url, g_var, &db) || db_exec(db, "DROP TABLE IF EXISTS gc_bench") ||
        db_exec(db, db_kind(db) == DB_SQLITE
                        ? "CREATE TABLE gc_bench (k INTEGER PRIMARY KEY, b BLOB NOT NULL)"
                        : "CREATE TABLE gc_bench (k BIGINT PRIMARY KEY, b BYTEA NOT NULL)")) {
        fprintf(stderr, "group_commit: cannot create the table\n");
        return 1;
    }
    printf("group_commit on %s, %d threads x %d rows (bare: 1 x %d)\n", db_describe(db),
           g_threads, g_per, g_per);
    db_close(db);
    run_mode("bare");
    run_mode("direct");
    run_mode("group");
    return 0;
}
