/* db/db_sql.h - SQL text built from placeholders only: numbered placeholder lists and
 * multi-row INSERTs with their row-at-a-time fallback.
 *
 * Style: no value ever goes into SQL text. These helpers write nothing but fixed text the
 * caller gives and placeholders "?N", so the statements stay cacheable (db_prepare keys
 * its cache on the text pointer: build once, keep the text, prepare it on every use).
 */
#ifndef JY_DB_DB_SQL_H
#define JY_DB_DB_SQL_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/db.h"

/* db_placeholders appends n numbered placeholders "?first,?first+1,…" to b (nothing
 * when n is 0), e.g. for an IN list: "… WHERE k IN (" + db_placeholders(b, 3, 100) + ")". */
void db_placeholders(struct buf *b, int first, size_t n);

/* db_max_params returns how many parameters one statement may have on db: SQLite's
 * SQLITE_LIMIT_VARIABLE_NUMBER of the linked library (32,766 by default, 250,000 in
 * Debian's build); 7,498 on PostgreSQL (the protocol allows 65,535, but libpq refuses to
 * describe a statement with more than 7,498). */
int db_max_params(struct db *db);

/* A multi-row INSERT, declared once as static data (it is not const: the SQL built at
 * first use is kept in it, for the life of the process):
 *
 *   static struct db_insert ins_rows =
 *       DB_INSERT("INSERT INTO batch_rows (batch_id, row_no, cells) VALUES", NULL, 1, 2, 512);
 *
 * Each tuple is "(?1 … ?shared, then per_row parameters of its own)": the shared
 * parameters hold values the same for every row (a parent id) and are bound once. The
 * statement carries `rows` tuples, fewer when the driver's parameter limit would be
 * passed: shared + rows × per_row ≤ db_max_params, and never more than 32,766 parameters
 * (SQLite's default limit; SQLite's prepare time grows with their square). tail (NULL for none) follows the
 * tuples, e.g. " ON CONFLICT (k) DO NOTHING"; the statement must not return rows. */
struct db_insert {
    const char *head;
    const char *tail;
    int shared;
    int per_row;
    size_t rows;
    struct db__insert_sql *built_; /* private to db_sql.c */
};
#define DB_INSERT(head, tail, shared, per_row, rows) { (head), (tail), (shared), (per_row), (rows), NULL }

/* Binders. bind_shared binds ?1 … ?shared (NULL when shared is 0); bind_row binds row
 * `row` (0-based, < nrows) at first … first + per_row - 1. They return 0 or the ERR_*
 * code of the db_bind_* that failed (or their own), which stops db_insert_run. */
typedef int (*db_insert_shared_fn)(struct db_stmt *st, void *ctx);
typedef int (*db_insert_row_fn)(struct db_stmt *st, int first, size_t row, void *ctx);

/* db_insert_run inserts rows 0 … nrows-1: every full group of the statement's row count
 * with one multi-row statement, the rest (fewer than a group) row by row with the
 * single-row form of the same INSERT, so only two statements are ever prepared per
 * driver. *changes (may be NULL) receives the rows inserted (db_changes summed: a row an
 * ON CONFLICT … DO NOTHING skipped counts 0). Returns 0 or the first error, from a binder
 * or the database; rows already inserted stay (run it inside db_begin … db_commit and
 * roll back on error to make it all or nothing). A head that is NULL or empty, shared < 0,
 * per_row < 1 or rows < 1 is ERR_INVALID; shared + per_row over that limit is
 * ERR_TOO_LARGE. Thread-safe: the SQL is built once under a lock. */
int db_insert_run(struct db *db, struct db_insert *ins, size_t nrows, db_insert_shared_fn bind_shared,
                  db_insert_row_fn bind_row, void *ctx, int64_t *changes);
/* db_insert_rows returns the rows per multi-row statement that db_insert_run uses on db
 * (1 means row by row only), building the SQL when needed; 0 when ins is invalid. */
size_t db_insert_rows(struct db *db, struct db_insert *ins);

/* db_insert_tiers is db_insert_run over tiers[0..n) - the same INSERT declared with
 * decreasing row counts (e.g. 64, 8): each tier inserts as many full statements of its
 * rows as the rows left fill, the last tier also the rest row by row. So n rows cost about
 * n/64 + 7 statements instead of one per row, with 2 × n_tiers statement texts. Rows are
 * inserted in order (0 … nrows-1); row ids a sequence assigns follow it. (issue 13) */
int db_insert_tiers(struct db *db, struct db_insert *tiers, size_t n_tiers, size_t nrows,
                    db_insert_shared_fn bind_shared, db_insert_row_fn bind_row, void *ctx, int64_t *changes);

#endif
