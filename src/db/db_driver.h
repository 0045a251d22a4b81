/* db/db_driver.h - private to src/db/: what db.c shares with the SQLite and PostgreSQL
 * drivers. Nothing outside src/db/ includes this, except tests/unit/db/test_db.c (to reach
 * db__pg_rewrite directly).
 *
 * A driver embeds struct db as the first member of its connection and struct db_stmt as
 * the first member of its statement, and fills a struct db__ops. db.c owns everything the
 * drivers have in common: URL dispatch, the statement cache, the statement state machine
 * (ready -> rows -> done | failed), transaction bookkeeping, migrations and the pool. A
 * driver op is only called in a state where it makes sense (bindings before the first
 * step, columns while a row is current), so drivers do not re-check the state.
 */
#ifndef JY_DB_DB_DRIVER_H
#define JY_DB_DB_DRIVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/db.h"

enum db__state {
    DB__READY,  /* prepared and reset: bindings allowed, not yet stepped */
    DB__ROW,    /* a row is current */
    DB__DONE,   /* ran to completion: changes is valid; stepping again gives no row */
    DB__FAILED, /* a step failed: stepping again fails */
};

struct db_stmt {
    struct db *db;
    const char *key;     /* the caller's SQL pointer: the cache key */
    char *sql;           /* a copy of the text, to notice a key reused for other text */
    enum db__state state;
    bool in_use;         /* handed out by db_prepare and not yet given back by db_done */
    bool cached;         /* in the connection's cache (else finalized by db_done) */
    int64_t changes;     /* set by the driver when the statement completes */
};

struct db__ops {
    enum db_kind kind;
    const char *name;              /* "sqlite" | "postgres" (db_describe) */
    /* SQL run by the migration runner inside its transaction, before anything else, to
     * serialise concurrent migrators (NULL when BEGIN already does it). */
    const char *sql_migrate_lock;
    /* SELECT with ?1 = table name that returns a row when the table exists in the
     * current schema. */
    const char *sql_table_exists;

    void (*close)(struct db *db);
    int (*ping)(struct db *db);
    int (*exec)(struct db *db, const char *sql);
    int (*begin)(struct db *db);
    int (*commit)(struct db *db);
    void (*rollback)(struct db *db);

    /* compile returns a new statement for sql (zeroed base, filled in by db.c). */
    int (*compile)(struct db *db, const char *sql, struct db_stmt **out);
    /* reset ends any execution, clears the bindings and frees per-run memory. */
    void (*reset)(struct db_stmt *st);
    void (*finalize)(struct db_stmt *st);
    int (*bind_i64)(struct db_stmt *st, int idx, int64_t v);
    int (*bind_text)(struct db_stmt *st, int idx, const char *p, size_t n);
    int (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t n);
    int (*bind_null)(struct db_stmt *st, int idx);
    /* step sets *row; when it reports the end it also sets st->changes. */
    int (*step)(struct db_stmt *st, bool *row);
    int64_t (*col_i64)(struct db_stmt *st, int col);
    const char *(*col_text)(struct db_stmt *st, int col, size_t *n);
    const void *(*col_blob)(struct db_stmt *st, int col, size_t *n);
    bool (*col_is_null)(struct db_stmt *st, int col);
    /* max_params: the most parameters one statement may have (db_max_params). */
    int (*max_params)(struct db *db);
};

/* The statement cache: open addressing on the SQL pointer, grown to at most
 * DB__CACHE_MAX entries; past that, statements are compiled per use. */
#define DB__CACHE_MAX 1024

struct db {
    const struct db__ops *ops;
    struct db_stmt **slots;
    size_t nslots, nused;
    bool in_tx;          /* between a successful db_begin and db_commit/db_rollback */
    bool closing;        /* db_close is finalizing: statements die with the connection */
};

/* Driver entry points. Each returns 0 and a connection with ops set, or an ERR_* code
 * (details logged). path is a file name or ":memory:"; url is a libpq URI or conninfo. */
int db__sqlite_open(const char *path, struct db **out);
int db__pg_open(const char *url, struct db **out);

/* db__pg_rewrite appends sql to out with every ?N placeholder outside string literals,
 * quoted identifiers, dollar-quoted strings and comments turned into $N. A '?' not
 * followed by a digit is kept (PostgreSQL operators). Returns 0, or ERR_TOO_LARGE when out
 * overflows its cap. */
int db__pg_rewrite(const char *sql, struct buf *out);

/* db__log_fail logs a driver failure at warn (debug for conflicts): the event, the ERR_*
 * name, driver detail (never bound values) and the head of the static SQL text. */
void db__log_fail(const char *event, int rc, const char *code, const char *detail,
                  const char *sql);

#endif
