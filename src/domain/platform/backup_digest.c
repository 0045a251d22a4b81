/* domain/platform/backup_digest.c - digests of every table, to prove that a restored
 * database holds what the backup's snapshot held (issue 12, O2; see backup.h).
 *
 * The one place where SQL text is assembled: "SELECT * FROM <table>" for each table the
 * catalogue lists. The name comes from the database's own catalogue, is checked to be a
 * plain lower-case identifier and is double-quoted; no value is ever put into SQL.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "crypto/sm3_stream.h"
#include "domain/platform/backup.h"

static const char sql_tables_sqlite[] =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "ORDER BY name";
static const char sql_tables_pg[] =
    "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = current_schema() "
    "AND table_type = 'BASE TABLE' ORDER BY 1";
static const char sql_columns_sqlite[] = "SELECT count(*) FROM pragma_table_info(?1)";
static const char sql_columns_pg[] =
    "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?1";

static bool
backup_plain_ident(const char *s)
{
    if (!s[0] || strlen(s) > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/* acc += d, both 256-bit big-endian. */
static void
backup_add256(uint8_t acc[SM3_LEN], const uint8_t d[SM3_LEN])
{
    unsigned carry = 0;
    for (int i = SM3_LEN - 1; i >= 0; i--) {
        unsigned v = (unsigned)acc[i] + d[i] + carry;
        acc[i] = (uint8_t)v;
        carry = v >> 8;
    }
}

static int
backup_table_columns(struct db *db, const char *table, int *ncols)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    rc = db_prepare(db, db_kind(db) == DB_SQLITE ? sql_columns_sqlite : sql_columns_pg, &st);
    if (!rc && !(rc = db_bind_text(st, 1, table, strlen(table))) && !(rc = db_step(st, &row)))
        *ncols = row ? (int)db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

/* backup_row_digest hashes the current row of st (ncols columns). */
static int
backup_row_digest(struct db_stmt *st, bool pg, int ncols, uint8_t out[SM3_LEN])
{
    struct sm3_stream md = SM3_STREAM_INIT;
    int rc = sm3_stream_init(&md);
    for (int c = 0; !rc && c < ncols; c++) {
        uint8_t len[5] = { 0 };
        const void *p = NULL;
        size_t n = 0;
        /* SQLite gives every type's bytes as a blob; PostgreSQL's driver reads bytea, text
         * and integers (as decimal) through db_col_text. */
        if (!db_col_is_null(st, c))
            p = pg ? db_col_text(st, c, &n) : db_col_blob(st, c, &n);
        if (!p && !db_col_is_null(st, c)) {
            rc = ERR_DB; /* a column type the digest cannot read */
            break;
        }
        len[0] = p ? 1 : 0;
        len[1] = (uint8_t)(n >> 24), len[2] = (uint8_t)(n >> 16), len[3] = (uint8_t)(n >> 8), len[4] = (uint8_t)n;
        rc = sm3_stream_add(&md, len, sizeof len);
        if (!rc && n)
            rc = sm3_stream_add(&md, p, n);
    }
    if (!rc)
        return sm3_stream_final(&md, out);
    sm3_stream_release(&md);
    return rc;
}

static int
backup_table_digest(struct db *db, const char *table, json_t *out)
{
    struct db_stmt *st = NULL;
    struct buf sql = BUF_INIT;
    uint8_t acc[SM3_LEN] = { 0 }, d[SM3_LEN];
    char hex[2 * SM3_LEN + 1];
    int64_t rows = 0;
    int ncols = 0, rc;
    bool row = false;

    if (!backup_plain_ident(table))
        return ERR_INVALID;
    if ((rc = backup_table_columns(db, table, &ncols)))
        return rc;
    buf_printf(&sql, "SELECT * FROM \"%s\"", table); /* checked identifier: see the file header */
    /* The cache keys on the pointer and compares the text, so a freed and reused buffer
     * is never confused with another table's statement. */
    if ((rc = db_prepare(db, sql.data, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        if ((rc = backup_row_digest(st, db_kind(db) == DB_POSTGRES, ncols, d)))
            break;
        backup_add256(acc, d);
        rows++;
    }
    if (rc)
        goto out;
    hex_to_str(acc, sizeof acc, hex);
    json_object_set_new(out, table, json_pack("{s:I,s:s}", "rows", (json_int_t)rows, "sm3", hex));
out:
    db_done(st);
    buf_release(&sql);
    return rc;
}

int
backup_digests(struct db *db, json_t **out)
{
    struct db_stmt *st = NULL;
    json_t *tables = json_array(), *res = json_object();
    bool row = false;
    int rc;
    size_t i;
    json_t *v;

    /* The list first, then each table: one statement stepped at a time. */
    if ((rc = db_prepare(db, db_kind(db) == DB_SQLITE ? sql_tables_sqlite : sql_tables_pg, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0;
        const char *name = db_col_text(st, 0, &n);
        json_array_append_new(tables, json_stringn(name ? name : "", n));
    }
    db_done(st);
    if (rc)
        goto out;
    json_array_foreach(tables, i, v) {
        if ((rc = backup_table_digest(db, json_string_value(v), res)))
            goto out;
    }
    *out = res;
    res = NULL;
out:
    json_decref(tables);
    json_decref(res);
    return rc;
}

bool
backup_digests_equal(const json_t *a, const json_t *b, const char **table)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)a, k, v) {
        if (!json_equal(v, json_object_get(b, k))) {
            *table = k;
            return false;
        }
    }
    json_object_foreach((json_t *)b, k, v) {
        if (!json_object_get(a, k)) {
            *table = k;
            return false;
        }
    }
    return true;
}
