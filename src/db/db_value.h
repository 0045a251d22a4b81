/* db/db_value.h - binding and reading values the way the domain does it everywhere:
 * optional text, text and blobs copied out of a row into an arena or a fixed array, and
 * LIKE patterns for "contains" searches.
 *
 * Everything here is a thin, tested layer over db.h: the same error codes, the same
 * lifetimes (a column pointer lives until the next step; the copies made here live as
 * long as their arena or array).
 */
#ifndef JY_DB_DB_VALUE_H
#define JY_DB_DB_VALUE_H
#include <stddef.h>

#include "core/arena.h"
#include "db/db.h"

/* db_bind_str binds s as text; NULL binds "" (what list filters read as "any"). */
int db_bind_str(struct db_stmt *st, int idx, const char *s);
/* db_bind_nonempty binds s as text, or SQL NULL when s is NULL or "". */
int db_bind_nonempty(struct db_stmt *st, int idx, const char *s);

/* db_col_arena copies text column col of the current row into arena, NUL-terminated
 * ("" for NULL). Never NULL. */
const char *db_col_arena(struct db_stmt *st, int col, struct arena *arena);
/* db_col_blob_arena copies blob column col into arena and sets *n; NULL (and *n = 0)
 * when the column is NULL. An empty blob is a non-NULL pointer with *n = 0. */
const void *db_col_blob_arena(struct db_stmt *st, int col, struct arena *arena, size_t *n);
/* db_col_copy copies text column col into out (cap > 0 bytes), NUL-terminated; text
 * longer than cap - 1 bytes is cut at a UTF-8 character boundary. Returns out. */
char *db_col_copy(struct db_stmt *st, int col, char *out, size_t cap);

/* db_like_contains returns, in arena, a LIKE pattern that matches text containing q
 * anywhere: "%q%" with %, _ and \ in q escaped by '\', so the SQL must say ESCAPE '\'
 * (`name LIKE ?1 ESCAPE '\'`). NULL or "" gives "" (callers read it as "no filter"). */
const char *db_like_contains(struct arena *arena, const char *q);

/* db_report_page opens one keyset page of the rows of a stored report (an import or a
 * reconciliation): count_sql, bound ?1 = id and ?2 = filter (db_bind_str: NULL is ""),
 * gives *total (0 without a row); rows_sql, bound ?1 = id, ?2 = filter, ?3 = after and
 * ?4 = limit, is left in *st ready to step (the caller calls db_done). On an error *st is
 * NULL and *total is as far as it got. */
int db_report_page(struct db *db, const char *count_sql, const char *rows_sql, int64_t id, const char *filter,
                   int64_t after, size_t limit, int64_t *total, struct db_stmt **st);

#endif
