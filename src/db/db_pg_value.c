/* db/db_pg_value.c - values of the PostgreSQL driver (db/db_pg.h): parameters are sent in
 * the binary form of the type the server inferred for them (int8/int4/int2/bool/oid binary,
 * text as raw bytes, bytea raw, anything else as decimal text), result columns are decoded
 * from binary by column type OID; a column read as a type it cannot give is logged once per
 * statement (never with its value) and read as NULL/0. Serves S3 (values are always bound)
 * and S4 (no value in a log line). */
#include "db/db_pg.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"

static void
db_pg_put_be(char *out, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t
db_pg_get_be(const char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | (unsigned char)p[i];
    return v;
}

/* db_pg_param checks idx and clears what was bound there; returns the 0-based index. */
static int
db_pg_param(struct db_pg_stmt *st, int idx, int *i)
{
    if (idx > st->nparams) {
        db__log_fail("db.pg.bind", ERR_DB, NULL, "parameter index out of range", st->base.sql);
        return ERR_DB;
    }
    *i = idx - 1;
    xfree(st->owned[*i]);
    st->owned[*i] = NULL;
    return 0;
}

static bool
db_pg_is_textual(Oid t)
{
    switch (t) {
    case DB_PG_TEXT:
    case DB_PG_VARCHAR:
    case DB_PG_BPCHAR:
    case DB_PG_NAME:
    case DB_PG_UNKNOWN:
    case DB_PG_JSON:
        return true;
    default:
        return false;
    }
}

int
db_pg__bind_i64(struct db_stmt *base, int idx, int64_t v)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    int i, n = 0, rc;

    if ((rc = db_pg_param(st, idx, &i)))
        return rc;
    switch (st->types[i]) {
    case DB_PG_INT8:
        n = 8;
        break;
    case DB_PG_INT4:
        n = v >= INT32_MIN && v <= INT32_MAX ? 4 : -1;
        break;
    case DB_PG_INT2:
        n = v >= INT16_MIN && v <= INT16_MAX ? 2 : -1;
        break;
    case DB_PG_OID:
        n = v >= 0 && v <= UINT32_MAX ? 4 : -1;
        break;
    case DB_PG_BOOL:
        v = v != 0;
        n = 1;
        break;
    default:
        /* numeric, float, text, …: the server parses the decimal text form. */
        snprintf(st->scratch[i], sizeof st->scratch[i], "%lld", (long long)v);
        st->vals[i] = st->scratch[i];
        st->lens[i] = (int)strlen(st->scratch[i]);
        st->fmts[i] = 0;
        return 0;
    }
    if (n < 0) {
        db__log_fail("db.pg.bind", ERR_DB, NULL, "integer out of range of the parameter type",
                     base->sql);
        return ERR_DB;
    }
    db_pg_put_be(st->scratch[i], (uint64_t)v, n);
    st->vals[i] = st->scratch[i];
    st->lens[i] = n;
    st->fmts[i] = 1;
    return 0;
}

static int
db_pg_bind_bytes(struct db_pg_stmt *st, int i, const char *p, size_t n)
{
    if (n > INT_MAX) {
        db__log_fail("db.pg.bind", ERR_TOO_LARGE, NULL, "value too large", st->base.sql);
        return ERR_TOO_LARGE;
    }
    st->vals[i] = p;
    st->lens[i] = (int)n;
    st->fmts[i] = 1;
    return 0;
}

int
db_pg__bind_text(struct db_stmt *base, int idx, const char *p, size_t n)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    int i, rc;

    if ((rc = db_pg_param(st, idx, &i)))
        return rc;
    if (db_pg_is_textual(st->types[i]) || st->types[i] == DB_PG_BYTEA)
        return db_pg_bind_bytes(st, i, p, n);
    /* Another type: send the text form, which must be a C string. */
    if (memchr(p, '\0', n)) {
        db__log_fail("db.pg.bind", ERR_DB, NULL, "NUL byte in a text value", base->sql);
        return ERR_DB;
    }
    if (n > INT_MAX)
        return db_pg_bind_bytes(st, i, p, n);
    st->owned[i] = xstrndup(p, n);
    st->vals[i] = st->owned[i];
    st->lens[i] = (int)n;
    st->fmts[i] = 0;
    return 0;
}

int
db_pg__bind_blob(struct db_stmt *base, int idx, const void *p, size_t n)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    int i, rc;

    if ((rc = db_pg_param(st, idx, &i)))
        return rc;
    return db_pg_bind_bytes(st, i, p, n);
}

int
db_pg__bind_null(struct db_stmt *base, int idx)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    int i, rc;

    if ((rc = db_pg_param(st, idx, &i)))
        return rc;
    st->vals[i] = NULL;
    st->lens[i] = 0;
    st->fmts[i] = 0;
    return 0;
}

/* ---- columns ------------------------------------------------------------------------ */

static void
db_pg_warn_type(struct db_pg_stmt *st, int col)
{
    char oid[16];
    if (st->warned)
        return;
    st->warned = true;
    snprintf(oid, sizeof oid, "%u", (unsigned)PQftype(st->res, col));
    log_warn("db.pg.column_type", "type_oid", oid, "column", PQfname(st->res, col), "sql",
             st->base.sql, NULL);
}

/* db_pg_int decodes an integer-like binary column; false when the type is not one. */
static bool
db_pg_int(struct db_pg_stmt *st, int col, int64_t *v)
{
    const char *p = PQgetvalue(st->res, st->row, col);
    int n = PQgetlength(st->res, st->row, col);

    switch (PQftype(st->res, col)) {
    case DB_PG_INT8:
        *v = n == 8 ? (int64_t)db_pg_get_be(p, 8) : 0;
        return true;
    case DB_PG_INT4:
        *v = n == 4 ? (int32_t)(uint32_t)db_pg_get_be(p, 4) : 0;
        return true;
    case DB_PG_INT2:
        *v = n == 2 ? (int16_t)(uint16_t)db_pg_get_be(p, 2) : 0;
        return true;
    case DB_PG_OID:
        *v = n == 4 ? (int64_t)db_pg_get_be(p, 4) : 0;
        return true;
    case DB_PG_BOOL:
        *v = n == 1 && p[0] != 0;
        return true;
    default:
        return false;
    }
}

static bool
db_pg_col_ok(struct db_pg_stmt *st, int col)
{
    return st->res && col < st->ncols && st->row >= 0 && st->row < st->nrows;
}

int64_t
db_pg__col_i64(struct db_stmt *base, int col)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    int64_t v = 0;

    if (!db_pg_col_ok(st, col) || PQgetisnull(st->res, st->row, col))
        return 0;
    if (db_pg_int(st, col, &v))
        return v;
    if (db_pg_is_textual(PQftype(st->res, col))) {
        /* Like SQLite: text holding a number reads as that number, anything else as 0. */
        if (cstr_to_i64(PQgetvalue(st->res, st->row, col), &v, INT64_MIN, INT64_MAX))
            v = 0;
        return v;
    }
    db_pg_warn_type(st, col);
    return 0;
}

const char *
db_pg__col_text(struct db_stmt *base, int col, size_t *n)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    Oid t;
    int64_t v;

    if (!db_pg_col_ok(st, col) || PQgetisnull(st->res, st->row, col))
        return NULL;
    t = PQftype(st->res, col);
    if (db_pg_is_textual(t) || t == DB_PG_BYTEA) {
        *n = (size_t)PQgetlength(st->res, st->row, col);
        return PQgetvalue(st->res, st->row, col); /* libpq NUL-terminates every value */
    }
    if (db_pg_int(st, col, &v)) {
        if (!st->colbuf)
            st->colbuf = xcalloc((size_t)st->ncols, sizeof *st->colbuf);
        snprintf(st->colbuf[col], sizeof st->colbuf[col], "%lld", (long long)v);
        *n = strlen(st->colbuf[col]);
        return st->colbuf[col];
    }
    db_pg_warn_type(st, col);
    return NULL;
}

const void *
db_pg__col_blob(struct db_stmt *base, int col, size_t *n)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    Oid t;

    if (!db_pg_col_ok(st, col) || PQgetisnull(st->res, st->row, col))
        return NULL;
    t = PQftype(st->res, col);
    if (t == DB_PG_BYTEA || db_pg_is_textual(t)) {
        *n = (size_t)PQgetlength(st->res, st->row, col);
        return PQgetvalue(st->res, st->row, col);
    }
    db_pg_warn_type(st, col);
    return NULL;
}

bool
db_pg__col_is_null(struct db_stmt *base, int col)
{
    struct db_pg_stmt *st = db_pg_stmt_of(base);
    return !db_pg_col_ok(st, col) || PQgetisnull(st->res, st->row, col);
}
