/* tests/unit/db/test_db_writer.c - group commit (db/db_writer.h, issue 13), on SQLite and
 * on PostgreSQL: writes of one group commit together, a failed write is rolled back alone,
 * a failed group acknowledges nothing, per-group hooks run once per group, and nothing is
 * lost under many concurrent writers. Groups of a known size are formed with
 * db_writer_hold, never by timing.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "db/db.h"
#include "db/db_writer.h"
#include "dbtest.h"

static void
make_table(struct db *db)
{
    assert_int_equal(db_exec(db, "CREATE TABLE wt (k BIGINT PRIMARY KEY, v BIGINT NOT NULL);"
                                 "CREATE TABLE wt_groups (n BIGINT NOT NULL, total BIGINT NOT NULL)"),
                     0);
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

/* A write: inserts (k, v); a duplicate k fails with ERR_CONFLICT. With hooks, stages v
 * into the group's total only when the insert succeeded. */
struct insert {
    int64_t k;
    int rc;
};

struct group_total {
    int64_t n, total;
};

static int
insert_row(struct db *db, void *group, void *arg)
{
    const struct insert *in = arg;
    struct db_stmt *st = NULL;
    bool row;
    int rc;

    if ((rc = db_prepare(db, "INSERT INTO wt (k, v) VALUES (?1, ?2)", &st)))
        return rc;
    db_bind_i64(st, 1, in->k);
    db_bind_i64(st, 2, in->k * 10);
    rc = db_step(st, &row);
    db_done(st);
    if (rc == 0 && group) {
        struct group_total *g = group;
        g->n++;
        g->total += in->k * 10;
    }
    return rc;
}

struct runner {
    struct db_writer *w;
    struct insert *ins;
    size_t n;
};

static void *
run_inserts(void *p)
{
    struct runner *r = p;
    for (size_t i = 0; i < r->n; i++)
        r->ins[i].rc = db_writer_run(r->w, insert_row, &r->ins[i]);
    return NULL;
}

/* run_held_group queues one insert per key from its own thread while the writer is held,
 * waits (by count) until all are queued, then lets the writer take them as one group. */
static void
run_held_group(struct db_writer *w, struct insert *ins, size_t n)
{
    pthread_t th[16];
    struct runner r[16];

    assert_true(n <= 16);
    db_writer_hold(w, true);
    for (size_t i = 0; i < n; i++) {
        r[i] = (struct runner){w, &ins[i], 1};
        assert_int_equal(pthread_create(&th[i], NULL, run_inserts, &r[i]), 0);
    }
    while (db_writer_waiting(w) < n)
        sched_yield();
    db_writer_hold(w, false);
    for (size_t i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static void
test_one_group_one_commit(void **state)
{
    struct dbtest *t = *state;
    struct db_writer *w = NULL;
    struct insert ins[8];
    struct db_writer_stats s;

    make_table(t->db);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", NULL, &w), 0);
    for (int i = 0; i < 8; i++)
        ins[i] = (struct insert){.k = i + 1, .rc = -1};
    run_held_group(w, ins, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(ins[i].rc, 0);
    db_writer_stats(w, &s);
    assert_int_equal(s.groups, 1);
    assert_int_equal(s.writes, 8);
    assert_int_equal(s.largest_group, 8);
    assert_int_equal(s.failed_groups, 0);
    db_writer_stop(w);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt"), 8);
    assert_int_equal(query_i64(t->db, "SELECT CAST(SUM(v) AS BIGINT) FROM wt"), 360);
}

/* A failing write (a duplicate key: on PostgreSQL the error aborts the transaction, and the
 * savepoint must bring it back) is rolled back alone; its neighbours commit. */
static void
test_failed_write_spares_neighbours(void **state)
{
    struct dbtest *t = *state;
    struct db_writer *w = NULL;
    struct insert ins[5];
    struct db_writer_stats s;

    make_table(t->db);
    assert_int_equal(db_exec(t->db, "INSERT INTO wt (k, v) VALUES (3, 0)"), 0);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", NULL, &w), 0);
    for (int i = 0; i < 5; i++)
        ins[i] = (struct insert){.k = i + 1, .rc = -1};
    run_held_group(w, ins, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(ins[i].rc, ins[i].k == 3 ? ERR_CONFLICT : 0);
    db_writer_stats(w, &s);
    assert_int_equal(s.groups, 1);
    assert_int_equal(s.failed_writes, 1);
    assert_int_equal(s.failed_groups, 0);
    db_writer_stop(w);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt"), 5);
    assert_int_equal(query_i64(t->db, "SELECT v FROM wt WHERE k = 3"), 0); /* untouched */
    assert_int_equal(query_i64(t->db, "SELECT v FROM wt WHERE k = 5"), 50);
}

/* Hooks: one group row per group with the folded totals of its successful writes; a
 * group_close failure fails every write of the group and commits nothing. */
struct hook_ctx {
    bool fail_close;
    int opened, closed_ok, closed_failed;
    struct group_total g;
};

static int
hook_open(struct db *db, void *ctx, void **group)
{
    struct hook_ctx *c = ctx;
    (void)db;
    c->opened++;
    c->g = (struct group_total){0};
    *group = &c->g;
    return 0;
}

static int
hook_close(struct db *db, void *ctx, void *group, bool failed)
{
    struct hook_ctx *c = ctx;
    const struct group_total *g = group;
    struct db_stmt *st = NULL;
    bool row;
    int rc;

    if (failed) {
        c->closed_failed++;
        return 0;
    }
    c->closed_ok++;
    if (c->fail_close)
        return ERR_DB;
    if ((rc = db_prepare(db, "INSERT INTO wt_groups (n, total) VALUES (?1, ?2)", &st)))
        return rc;
    db_bind_i64(st, 1, g->n);
    db_bind_i64(st, 2, g->total);
    rc = db_step(st, &row);
    db_done(st);
    return rc;
}

static void
test_group_hooks_fold_once(void **state)
{
    struct dbtest *t = *state;
    struct hook_ctx ctx = {0};
    struct db_writer_hooks hooks = {hook_open, hook_close, &ctx};
    struct db_writer_opts opts = {.hooks = &hooks};
    struct db_writer *w = NULL;
    struct insert ins[6];

    make_table(t->db);
    assert_int_equal(db_exec(t->db, "INSERT INTO wt (k, v) VALUES (2, 0)"), 0);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", &opts, &w), 0);
    for (int i = 0; i < 6; i++)
        ins[i] = (struct insert){.k = i + 1, .rc = -1};
    run_held_group(w, ins, 6); /* k = 2 fails and must not be folded */
    db_writer_stop(w);
    assert_int_equal(ctx.opened, 1);
    assert_int_equal(ctx.closed_ok, 1);
    assert_int_equal(ctx.closed_failed, 0);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt_groups"), 1);
    assert_int_equal(query_i64(t->db, "SELECT n FROM wt_groups"), 5);
    assert_int_equal(query_i64(t->db, "SELECT total FROM wt_groups"), (1 + 3 + 4 + 5 + 6) * 10);
}

static void
test_failed_group_acknowledges_nothing(void **state)
{
    struct dbtest *t = *state;
    struct hook_ctx ctx = {.fail_close = true};
    struct db_writer_hooks hooks = {hook_open, hook_close, &ctx};
    struct db_writer_opts opts = {.hooks = &hooks};
    struct db_writer *w = NULL;
    struct insert ins[4];
    struct db_writer_stats s;

    make_table(t->db);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", &opts, &w), 0);
    for (int i = 0; i < 4; i++)
        ins[i] = (struct insert){.k = i + 1, .rc = -1};
    run_held_group(w, ins, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ins[i].rc, ERR_DB);
    db_writer_stats(w, &s);
    assert_int_equal(s.failed_groups, 1);
    db_writer_stop(w);
    assert_int_equal(ctx.closed_failed, 0); /* close already ran (and failed): not twice */
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt"), 0);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt_groups"), 0);
}

/* Many writers at once: every write acknowledged is on disk exactly once, groups never
 * exceed max_group, and the writer's counts add up. */
static void
test_many_writers_nothing_lost(void **state)
{
    enum { THREADS = 12, PER = 60 };
    struct dbtest *t = *state;
    struct db_writer_opts opts = {.max_group = 7};
    struct db_writer *w = NULL;
    static struct insert ins[THREADS][PER];
    pthread_t th[THREADS];
    struct runner r[THREADS];
    struct db_writer_stats s;

    make_table(t->db);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", &opts, &w), 0);
    for (int i = 0; i < THREADS; i++) {
        for (int j = 0; j < PER; j++)
            ins[i][j] = (struct insert){.k = i * 1000 + j, .rc = -1};
        r[i] = (struct runner){w, ins[i], PER};
        assert_int_equal(pthread_create(&th[i], NULL, run_inserts, &r[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < PER; j++)
            assert_int_equal(ins[i][j].rc, 0);
    db_writer_stats(w, &s);
    assert_int_equal(s.writes, THREADS * PER);
    assert_true(s.largest_group <= 7);
    assert_true(s.groups >= (THREADS * PER + 6) / 7);
    db_writer_stop(w);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt"), THREADS * PER);
}

static void
test_held_writes_run_at_stop(void **state)
{
    struct dbtest *t = *state;
    struct db_writer *w = NULL;
    struct insert in = {.k = 42, .rc = -1};
    struct runner r;
    pthread_t th;

    make_table(t->db);
    assert_int_equal(db_writer_start(t->db_url, "/tmp", NULL, &w), 0);
    db_writer_hold(w, true);
    r = (struct runner){w, &in, 1};
    assert_int_equal(pthread_create(&th, NULL, run_inserts, &r), 0);
    while (db_writer_waiting(w) < 1)
        sched_yield();
    db_writer_stop(w); /* lifts the hold and runs what waits */
    pthread_join(th, NULL);
    assert_int_equal(in.rc, 0);
    assert_int_equal(query_i64(t->db, "SELECT COUNT(*) FROM wt WHERE k = 42"), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DBTEST(test_one_group_one_commit),
        DBTEST(test_failed_write_spares_neighbours),
        DBTEST(test_group_hooks_fold_once),
        DBTEST(test_failed_group_acknowledges_nothing),
        DBTEST(test_many_writers_nothing_lost),
        DBTEST(test_held_writes_run_at_stop),
    };
    return dbtest_run("db_writer", tests, sizeof tests / sizeof tests[0]);
}
