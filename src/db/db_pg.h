/* db/db_pg.h - private to the PostgreSQL driver (db_pg.c: connections, transactions,
 * statements and their cache; db_pg_value.c: binary binding of parameters and decoding of
 * result columns). Nothing outside src/db/db_pg*.c includes it. */
#ifndef JY_DB_PG_H
#define JY_DB_PG_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/db_driver.h"

/* Type OIDs (src/include/catalog/pg_type.dat; fixed since PostgreSQL 7). */
#define DB_PG_BOOL 16
#define DB_PG_BYTEA 17
#define DB_PG_NAME 19
#define DB_PG_INT8 20
#define DB_PG_INT2 21
#define DB_PG_INT4 23
#define DB_PG_TEXT 25
#define DB_PG_OID 26
#define DB_PG_JSON 114
#define DB_PG_UNKNOWN 705
#define DB_PG_BPCHAR 1042
#define DB_PG_VARCHAR 1043



struct db_pg {
    struct db base;
    PGconn *conn;
    unsigned gen;        /* bumped by every reconnect: names prepared before are gone */
    unsigned next_id;    /* statement names jy1, jy2, … */
    struct buf zombies;  /* names to DEALLOCATE once the failed transaction ends */
};

struct db_pg_stmt {
    struct db_stmt base;
    char *text;          /* the SQL with $N placeholders */
    char name[24];
    unsigned gen;        /* the connection generation name was prepared in */
    int nparams;
    Oid *types;          /* as the server resolved them */
    Oid *wide;           /* the types asked for at prepare (NULL: all inferred) */
    const char **vals;
    int *lens, *fmts;
    char (*scratch)[24]; /* per parameter: encoded integers */
    char **owned;        /* per parameter: NUL-terminated copies for text-format values */
    PGresult *res;
    int nrows, ncols, row;
    char (*colbuf)[24];  /* per column: integers formatted for db_col_text */
    bool warned;
};

static inline struct db_pg *db_pg_of(struct db *db) { return (struct db_pg *)db; }
static inline struct db_pg_stmt *db_pg_stmt_of(struct db_stmt *st) { return (struct db_pg_stmt *)st; }

/* db_pg_value.c: the db__ops entries that bind parameters and read columns of st->res. */
int db_pg__bind_i64(struct db_stmt *base, int idx, int64_t v);
int db_pg__bind_text(struct db_stmt *base, int idx, const char *p, size_t n);
int db_pg__bind_blob(struct db_stmt *base, int idx, const void *p, size_t n);
int db_pg__bind_null(struct db_stmt *base, int idx);
int64_t db_pg__col_i64(struct db_stmt *base, int col);
const char *db_pg__col_text(struct db_stmt *base, int col, size_t *n);
const void *db_pg__col_blob(struct db_stmt *base, int col, size_t *n);
bool db_pg__col_is_null(struct db_stmt *base, int col);

#endif
