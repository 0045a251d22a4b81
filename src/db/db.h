/* db/db.h - the one portable SQL interface (architecture §3), over SQLite and PostgreSQL.
 *
 * SQL is written once, as static text with numbered parameters ?1, ?2 … (the PostgreSQL
 * driver rewrites them to $1, $2 …), always bound, never formatted. Portable SQL only:
 * INSERT … RETURNING id works on both; upserts use ON CONFLICT (…) DO …; booleans are
 * integers 0/1; timestamps are int64 milliseconds; sensitive values are BLOBs.
 *
 * A struct db is one connection and is used by one thread at a time. db_pool hands
 * connections to request threads. Prepared statements are cached per connection, keyed by
 * the SQL text pointer, so callers prepare static SQL on every use at no cost.
 *
 * Errors: every fallible function returns 0 or an ERR_* code: ERR_CONFLICT for unique or
 * foreign-key violations, ERR_UNAVAILABLE when the server cannot be reached, ERR_DB for
 * everything else. Driver detail is logged (never the bound values), never returned.
 * ERR_UNAVAILABLE also covers what is worth retrying later: SQLite busy/locked after the
 * 10 s busy timeout or a full disk, PostgreSQL serialization failures, deadlocks, lock and
 * statement timeouts. ERR_TOO_LARGE: a value over the driver's limit. Misuse (binding
 * after db_step, a bad parameter index, nested db_begin) is ERR_DB and logged.
 *
 * Portable SQL, continued. One statement per db_prepare (db_exec takes several). Every
 * parameter is numbered. PostgreSQL must be able to infer each parameter's type from its
 * context; where it cannot (SELECT ?1, ?1 IS NULL) write CAST(?1 AS BIGINT) / CAST(?1 AS
 * TEXT). Integer parameters are 64-bit on both drivers: where PostgreSQL infers int2/int4
 * ("?1 = 0", "level = ?1") the driver prepares the parameter as int8 instead, unless the
 * statement only accepts int4 there (substr(s, ?1)), where a value must fit int4.
 * Results are read by column type: integers (also COUNT(*) and comparisons, which
 * are int8/bool on PostgreSQL) with db_col_i64, text with db_col_text, BLOB/bytea with
 * db_col_blob; db_col_text also gives an integer column as decimal text and db_col_i64 a
 * text column holding a decimal number. NUMERIC and floating-point results are not
 * supported on PostgreSQL (they read as 0/NULL and log db.pg.column_type): note that
 * SUM() and AVG() of integers are NUMERIC there, so write CAST(SUM(x) AS BIGINT).
 * On PostgreSQL any failed statement inside a transaction aborts the transaction (SQLite
 * keeps it): after an error inside db_begin … db_commit, roll back; use ON CONFLICT
 * instead of catching ERR_CONFLICT when the transaction must go on. On SQLite, writing
 * outside db_begin while a SELECT on the same connection is still being stepped can fail
 * with ERR_UNAVAILABLE when another connection wrote meanwhile (the read snapshot cannot
 * become a write): finish the SELECT first, or db_begin before it.
 */
#ifndef JY_DB_DB_H
#define JY_DB_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_kind { DB_SQLITE, DB_POSTGRES };

/* db_open connects. url NULL or "" means SQLite at VAR_DIR/jiayuan.db; "sqlite:PATH" or a
 * path ending in .db means SQLite at PATH; "postgres://…" or "postgresql://…" means libpq.
 * SQLite is opened in WAL mode with a busy timeout and foreign keys on.
 * Details: var_dir NULL means "var"; it is created (0700) when missing. "sqlite:///abs"
 * and "sqlite::memory:" work. A new SQLite file is created with mode 0600, and commits
 * are durable (synchronous=FULL). A PostgreSQL URL may carry any libpq parameter (sslmode,
 * options=-c%20search_path%3D…); connect_timeout defaults to 10 s and client_encoding is
 * UTF8. An unknown scheme is ERR_INVALID (the URL is never logged: it may hold a
 * password); a server that cannot be reached is ERR_UNAVAILABLE. */
int db_open(const char *url, const char *var_dir, struct db **out);
/* db_close finalizes cached statements and closes; NULL is fine. An open transaction is
 * rolled back. Every statement must have been given back with db_done first. */
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* db_describe returns "sqlite" or "postgres" (never a password or path). */
const char *db_describe(const struct db *db);
/* db_ping checks the connection is alive (readiness). On PostgreSQL a connection found
 * broken (server restart, failover) is reset on its next use outside a transaction, and
 * statements are prepared again; the use that found it broken fails with
 * ERR_UNAVAILABLE, as does any use inside a transaction that the loss ended. */
int db_ping(struct db *db);

/* db_prepare returns the cached statement for sql (compiling it on first use). The
 * statement is reset and its bindings cleared; finish with db_done.
 * If the cached statement is still in use (the same SQL prepared again inside a loop over
 * its own rows) a separate statement is returned and freed by its db_done. The cache
 * compares the text too, so a reused pointer to different text is not confused. Syntax
 * errors and unknown tables fail here. */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
int db_bind_i64(struct db_stmt *st, int idx, int64_t v);
/* db_bind_text/blob copy nothing: p must stay valid until db_step returns done or db_done.
 * Indexes start at 1; binding is allowed only before the first db_step; unbound
 * parameters are NULL. p NULL binds an empty (not NULL) value. Text must be UTF-8; a blob
 * may hold any bytes, zeros included. */
int db_bind_text(struct db_stmt *st, int idx, const char *p, size_t n);
int db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n);
int db_bind_null(struct db_stmt *st, int idx);
/* db_bind_opt_text binds p, or NULL when p is NULL. */
int db_bind_opt_text(struct db_stmt *st, int idx, const char *p);
/* db_step runs/advances: *row is true while a row is available. After the last row it
 * keeps answering false without running the statement again; after a failure it keeps
 * failing until the next db_prepare. A writing statement that returns rows (INSERT …
 * RETURNING) has completed (and, outside a transaction, committed) before its first row
 * is returned. */
int db_step(struct db_stmt *st, bool *row);
/* Column accessors for the current row, 0-based. Pointers are valid until the next step
 * or db_done. NULL text reads as NULL (n = 0), NULL integers read as 0. */
int64_t db_col_i64(struct db_stmt *st, int col);
const char *db_col_text(struct db_stmt *st, int col, size_t *n);
const void *db_col_blob(struct db_stmt *st, int col, size_t *n);
bool db_col_is_null(struct db_stmt *st, int col);
/* db_changes returns rows affected by the last completed INSERT/UPDATE/DELETE.
 * That is: by st, once db_step has reported the end; 0 for other statements and before
 * the end. An INSERT … ON CONFLICT DO NOTHING that hit the conflict counts 0. */
int64_t db_changes(struct db_stmt *st);
/* db_done resets the statement for reuse (returns it to the cache). NULL is fine. */
void db_done(struct db_stmt *st);

/* db_exec runs SQL without parameters or results (DDL, may hold several statements).
 * Rows a statement returns are discarded. Use db_begin/db_commit, not "BEGIN" here. */
int db_exec(struct db *db, const char *sql);
/* Transactions. db_begin starts one (IMMEDIATE on SQLite); nesting is not allowed. */
int db_begin(struct db *db);
/* db_commit returns 0 only when the transaction is committed; on any error (also when
 * the database had already aborted it) it is rolled back and no transaction is open. */
int db_commit(struct db *db);
/* db_rollback is safe to call when no transaction is open. */
void db_rollback(struct db *db);

/* db_notify_wait (PostgreSQL only; ERR_INVALID on SQLite) waits up to timeout_ms for
 * notifications on a connection that ran "LISTEN channel" (db_exec) and calls on(arg,
 * channel, payload) for each one received. 0 also when none came (or a signal woke it);
 * ERR_UNAVAILABLE when the connection broke: its LISTENs are gone with it, so the caller
 * opens a new connection (db_close this one) and listens again. Never resets the
 * connection itself. Issue 13 (push/listen.h). */
int db_notify_wait(struct db *db, int timeout_ms, void (*on)(void *arg, const char *channel, const char *payload),
                   void *arg);

/* db_migrate applies embedded migrations (src/db/migrations/NNNN_name.sql, in order)
 * that are not yet recorded in schema_migrations, each in its own transaction. Before
 * running, tokens are replaced per dialect:
 *   {{ID}}     INTEGER PRIMARY KEY AUTOINCREMENT | BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY
 *   {{BLOB}}   BLOB | BYTEA
 *   {{BIGINT}} INTEGER | BIGINT
 * *applied (may be NULL) receives the count applied.
 * A file NNNN_name.sql is for both dialects, NNNN_name.sqlite.sql or .postgres.sql for one
 * (each dialect needs exactly one file per number). schema_migrations(version, name,
 * applied_at) is created when missing. Safe when several processes migrate at once
 * (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock per schema); each applies what
 * is still missing under the lock. Must be called outside a transaction. A database
 * whose schema is newer than the binary's migrations is refused with ERR_DB (an old
 * binary must not write to a newer schema). */
int db_migrate(struct db *db, int *applied);
/* db_schema_version returns the highest applied migration number (0 when none). */
int db_schema_version(struct db *db, int *version);
/* db_sqlite_backup copies db (a SQLite connection; else ERR_INVALID) to a new file at path
 * (mode 0600; ERR_CONFLICT when it exists, ERR_IO when it cannot be made) with SQLite's
 * online backup API: one consistent snapshot, while other connections keep writing. The
 * copy has no -wal file. Must be called outside a transaction. On failure path may be left
 * behind, partly written: the caller removes it. (issue 12) */
int db_sqlite_backup(struct db *db, const char *path);

/* A fixed-size pool of connections shared by request threads. */
struct db_pool;
/* db_pool_new opens all size connections up front (1 ≤ size ≤ 1024, else ERR_INVALID) and
 * fails, closing them, when any cannot be opened. */
int db_pool_new(const char *url, const char *var_dir, size_t size, struct db_pool **out);
/* db_pool_get blocks until a connection is free. */
struct db *db_pool_get(struct db_pool *pool);
/* db_pool_put gives db back; a transaction left open is rolled back (and logged). */
void db_pool_put(struct db_pool *pool, struct db *db);
/* db_pool_free closes every connection; all must have been put back. NULL is fine. */
void db_pool_free(struct db_pool *pool);

#endif
