/* db/db_writer.h - group commit: one writer per database (issue 13; architecture §3).
 *
 * Requests do their own preparation on their own threads (parse, validate, seal,
 * blind-index), then hand the write itself to the writer with db_writer_run. The writer is
 * one thread with one connection. It takes every write that is waiting (up to max_group,
 * in arrival order), runs them in ONE transaction, each inside its own savepoint, and
 * commits once - one fsync for the whole group - and only then wakes each caller with its
 * own outcome:
 *   - a write whose function failed was rolled back to its savepoint: its work is gone, its
 *     neighbours are unaffected and committed;
 *   - when the group cannot commit (or the transaction is lost: the savepoint rollback
 *     failed, the server went away), nothing of the group is on disk and every write of
 *     the group that had succeeded gets the commit's error (ERR_UNAVAILABLE for what is
 *     worth retrying).
 * Durability is exactly the connection's (synchronous=FULL on SQLite, the server's
 * synchronous_commit on PostgreSQL): nothing is acknowledged before its commit returned.
 * Writers of one process never wait in SQLite's sleeping busy handler for each other:
 * there is one write connection; the busy handler only serves against other processes
 * (the CLI). Reads stay on the pool's connections (WAL readers on SQLite).
 *
 * Per-group work: a write that feeds something to touch once per group - counters to
 * fold, the audit chain head, the outbox head - gets the group's state from the hooks:
 * group_open runs inside the transaction before the group's first write and returns the
 * state handed to every write of the group; group_close runs after the last write,
 * before the commit, and its failure fails the group. A write function that fails must
 * leave the group state as it found it (stage its contributions and add them last).
 *
 * Thread safety: db_writer_run may be called from any number of threads; it blocks until
 * its group's outcome is known. It must not be called from a write function or a hook
 * (the writer would wait for itself).
 */
#ifndef JY_DB_DB_WRITER_H
#define JY_DB_DB_WRITER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_writer;

/* A write: runs on the writer's thread and connection, inside the group's transaction.
 * Returns 0 or an ERR_* code (its work is then rolled back). group is group_open's
 * result (NULL without hooks). */
typedef int (*db_write_fn)(struct db *db, void *group, void *arg);

struct db_writer_hooks {
    /* Called first in each group's transaction; *group is handed to every write. Returns
     * 0 or an ERR_* code (the group then fails before any write runs). */
    int (*group_open)(struct db *db, void *ctx, void **group);
    /* Called after the group's last write, before the commit; a failure fails the group.
     * Also called (with failed = true, return value ignored) when the group failed, to
     * release the state. */
    int (*group_close)(struct db *db, void *ctx, void *group, bool failed);
    void *ctx;
};

struct db_writer_opts {
    size_t max_group; /* writes per transaction at most; 0 means 256 */
    const struct db_writer_hooks *hooks; /* NULL: no per-group state */
};

struct db_writer_stats {
    uint64_t groups;        /* transactions committed or attempted */
    uint64_t writes;        /* writes run */
    uint64_t failed_writes; /* writes rolled back to their savepoint */
    uint64_t failed_groups; /* groups that did not commit */
    uint64_t largest_group;
};

/* db_writer_start opens the writer's own connection (db_open(url, var_dir)) and starts
 * its thread. Returns 0, or the ERR_* of db_open / ERR_NOMEM / ERR_INTERNAL. */
int db_writer_start(const char *url, const char *var_dir, const struct db_writer_opts *opts,
                    struct db_writer **out);
/* db_writer_stop runs what is still waiting, stops the thread, waits for the callers of
 * those writes to have their outcome, closes the connection and frees w. NULL is fine.
 * No db_writer_run may start once stop began. */
void db_writer_stop(struct db_writer *w);

/* db_writer_run queues fn(arg), waits until its group committed or failed, and returns
 * fn's result, or the group's error when fn succeeded but the group did not commit.
 * ERR_UNAVAILABLE after db_writer_stop began. */
int db_writer_run(struct db_writer *w, db_write_fn fn, void *arg);

void db_writer_stats(struct db_writer *w, struct db_writer_stats *out);

/* For tests and diagnostics: db_writer_hold(w, true) makes the writer leave new writes
 * waiting (a group being run is finished); false lets it go on. db_writer_waiting counts
 * the writes queued and not yet taken. Together they form a group of a known size. */
void db_writer_hold(struct db_writer *w, bool hold);
size_t db_writer_waiting(struct db_writer *w);

#endif
