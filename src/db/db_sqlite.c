/* db/db_sqlite.c - the SQLite driver behind db.h (architecture §3, the embedded default).
 *
 * One sqlite3 connection per struct db, opened in WAL mode with synchronous=FULL (a
 * successful commit survives power loss: "acknowledged means committed"), a 10 s busy
 * timeout, foreign keys on, defensive mode on and double-quoted string literals off (so
 * SQL that only SQLite would accept fails here too). Database files are created 0600.
 * Result codes map to ERR_* in db_sqlite_map alone. It is not a general SQLite wrapper:
 * only what db.h promises. Serves S3, S4, S6, O2.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/vec.h"
#include "db/db_driver.h"

#define DB_SQLITE_BUSY_MS 10000

struct db_sqlite {
    struct db base;
    sqlite3 *h;
};

/* A writing statement that returns rows (INSERT … RETURNING) is run to completion on its
 * first step and its rows kept as protected value copies, so that outside a transaction
 * the implicit commit has happened (and its failure is reported) before the caller sees
 * a row. */
struct db_sqlite_stmt {
    struct db_stmt base;
    sqlite3_stmt *s;
    sqlite3_value **rows; /* nrows * ncols copies, when buffered */
    size_t nrows, ncols, pos;
    bool buffered;
};

static const struct db__ops db_sqlite_ops;

static struct db_sqlite *db_sqlite_of(struct db *db) { return (struct db_sqlite *)db; }
static struct db_sqlite_stmt *db_sqlite_stmt_of(struct db_stmt *st)
{
    return (struct db_sqlite_stmt *)st;
}

/* db_sqlite_map turns an (extended) SQLite result code into an ERR_* code. */
static int
db_sqlite_map(int src)
{
    switch (src) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_ROWID:
        return ERR_CONFLICT;
    default:
        break;
    }
    switch (src & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
        return ERR_UNAVAILABLE;
    case SQLITE_TOOBIG:
        return ERR_TOO_LARGE;
    default:
        return ERR_DB;
    }
}

/* db_sqlite_fail maps src, logs the driver message (SQLite messages name tables and
 * constraints, not values) and returns the ERR_* code. */
static int
db_sqlite_fail(sqlite3 *h, int src, const char *event, const char *sql)
{
    int rc = db_sqlite_map(src);
    db__log_fail(event, rc, sqlite3_errstr(src), h ? sqlite3_errmsg(h) : "", sql);
    return rc;
}

static int
db_sqlite_pragma(sqlite3 *h, const char *sql, const char *expect)
{
    sqlite3_stmt *s = NULL;
    int src, rc = 0;

    if ((src = sqlite3_prepare_v2(h, sql, -1, &s, NULL)) != SQLITE_OK)
        return db_sqlite_fail(h, src, "db.sqlite.open", sql);
    src = sqlite3_step(s);
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = db_sqlite_fail(h, src, "db.sqlite.open", sql);
    } else if (expect) {
        const char *got = src == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
        if (!got || sqlite3_stricmp(got, expect) != 0) {
            db__log_fail("db.sqlite.open", ERR_DB, NULL, got ? got : "", sql);
            rc = ERR_DB;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int
db__sqlite_open(const char *path, struct db **out)
{
    struct db_sqlite *d = NULL;
    sqlite3 *h = NULL;
    bool memory = strcmp(path, ":memory:") == 0;
    int src, rc = ERR_DB;

    *out = NULL;
    if (!memory && strncmp(path, "file:", 5) != 0 && access(path, F_OK) != 0) {
        /* Create the file ourselves so it is private; -wal and -shm inherit its mode. Only
         * when it does not exist yet: closing any descriptor of a file drops ALL of this
         * process's POSIX locks on it, including those of open SQLite connections, which
         * lets another process delete the WAL under them and corrupts the database. */
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
        } else if (errno != EEXIST) {
            db__log_fail("db.sqlite.open", ERR_UNAVAILABLE, NULL, strerror(errno), NULL);
            rc = ERR_UNAVAILABLE;
            goto out;
        }
    }
    src = sqlite3_open_v2(path, &h,
                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                              SQLITE_OPEN_URI,
                          NULL);
    if (src != SQLITE_OK) {
        rc = db_sqlite_fail(h, src, "db.sqlite.open", NULL);
        goto out;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, DB_SQLITE_BUSY_MS);
    sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
    sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    if ((rc = db_sqlite_pragma(h, "PRAGMA journal_mode = WAL", memory ? "memory" : "wal")) ||
        (rc = db_sqlite_pragma(h, "PRAGMA synchronous = FULL", NULL)) ||
        /* statement journals in memory: fewer writes per batch, durability unchanged */
        (rc = db_sqlite_pragma(h, "PRAGMA temp_store = MEMORY", NULL)) ||
        (rc = db_sqlite_pragma(h, "PRAGMA foreign_keys = ON", NULL)) ||
        /* residual information (issue 12, S6): deleted rows are overwritten with zeros */
        (rc = db_sqlite_pragma(h, "PRAGMA secure_delete = ON", NULL)))
        goto out;
    d = xcalloc(1, sizeof *d);
    d->base.ops = &db_sqlite_ops;
    d->h = h;
    h = NULL;
    *out = &d->base;
    rc = 0;
out:
    sqlite3_close_v2(h);
    return rc;
}

static void
db_sqlite_close(struct db *db)
{
    struct db_sqlite *d = db_sqlite_of(db);
    int src = sqlite3_close(d->h);
    if (src != SQLITE_OK) {
        db_sqlite_fail(d->h, src, "db.sqlite.close", NULL);
        sqlite3_close_v2(d->h);
    }
    xfree(d);
}

static int
db_sqlite_exec(struct db *db, const char *sql)
{
    struct db_sqlite *d = db_sqlite_of(db);
    int src = sqlite3_exec(d->h, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? 0 : db_sqlite_fail(d->h, src, "db.sqlite.exec", sql);
}

static int
db_sqlite_ping(struct db *db)
{
    return db_sqlite_exec(db, "SELECT count(*) FROM sqlite_master");
}

static int db_sqlite_begin(struct db *db) { return db_sqlite_exec(db, "BEGIN IMMEDIATE"); }

static int
db_sqlite_commit(struct db *db)
{
    struct db_sqlite *d = db_sqlite_of(db);
    if (sqlite3_get_autocommit(d->h)) {
        /* SQLite already rolled back (I/O error, full disk, …): nothing was committed. */
        db__log_fail("db.sqlite.commit", ERR_DB, NULL, "the transaction was rolled back", NULL);
        return ERR_DB;
    }
    return db_sqlite_exec(db, "COMMIT");
}

static void
db_sqlite_rollback(struct db *db)
{
    struct db_sqlite *d = db_sqlite_of(db);
    if (!sqlite3_get_autocommit(d->h))
        (void)db_sqlite_exec(db, "ROLLBACK");
}

static int
db_sqlite_compile(struct db *db, const char *sql, struct db_stmt **out)
{
    struct db_sqlite *d = db_sqlite_of(db);
    struct db_sqlite_stmt *st;
    sqlite3_stmt *s = NULL;
    const char *tail = NULL;
    int src;

    src = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, &tail);
    if (src != SQLITE_OK)
        return db_sqlite_fail(d->h, src, "db.sqlite.prepare", sql);
    if (!s) {
        db__log_fail("db.sqlite.prepare", ERR_DB, NULL, "empty statement", sql);
        return ERR_DB;
    }
    if (tail && *tail) {
        /* Only white space, ';' and comments may follow: one statement per prepare. */
        sqlite3_stmt *extra = NULL;
        src = sqlite3_prepare_v2(d->h, tail, -1, &extra, NULL);
        sqlite3_finalize(extra);
        if (src != SQLITE_OK || extra) {
            sqlite3_finalize(s);
            db__log_fail("db.sqlite.prepare", ERR_DB, NULL, "more than one statement", sql);
            return ERR_DB;
        }
    }
    st = xcalloc(1, sizeof *st);
    st->s = s;
    *out = &st->base;
    return 0;
}

static void
db_sqlite_unbuffer(struct db_sqlite_stmt *st)
{
    for (size_t i = 0; i < st->nrows * st->ncols; i++)
        sqlite3_value_free(st->rows[i]);
    xfree(st->rows);
    st->rows = NULL;
    st->nrows = st->ncols = st->pos = 0;
    st->buffered = false;
}

static void
db_sqlite_reset(struct db_stmt *base)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    db_sqlite_unbuffer(st);
    sqlite3_reset(st->s);
    sqlite3_clear_bindings(st->s);
}

static void
db_sqlite_finalize(struct db_stmt *base)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    db_sqlite_unbuffer(st);
    sqlite3_finalize(st->s);
    xfree(st);
}

static int
db_sqlite_bind_fail(struct db_stmt *base, int src)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    return db_sqlite_fail(sqlite3_db_handle(st->s), src, "db.sqlite.bind", base->sql);
}

static int
db_sqlite_bind_i64(struct db_stmt *base, int idx, int64_t v)
{
    int src = sqlite3_bind_int64(db_sqlite_stmt_of(base)->s, idx, v);
    return src == SQLITE_OK ? 0 : db_sqlite_bind_fail(base, src);
}

static int
db_sqlite_bind_text(struct db_stmt *base, int idx, const char *p, size_t n)
{
    int src = sqlite3_bind_text64(db_sqlite_stmt_of(base)->s, idx, p, n, SQLITE_STATIC,
                                  SQLITE_UTF8);
    return src == SQLITE_OK ? 0 : db_sqlite_bind_fail(base, src);
}

static int
db_sqlite_bind_blob(struct db_stmt *base, int idx, const void *p, size_t n)
{
    /* p is never NULL here (db.c), so an empty blob stays an empty blob, not NULL. */
    int src = sqlite3_bind_blob64(db_sqlite_stmt_of(base)->s, idx, p, n, SQLITE_STATIC);
    return src == SQLITE_OK ? 0 : db_sqlite_bind_fail(base, src);
}

static int
db_sqlite_bind_null(struct db_stmt *base, int idx)
{
    int src = sqlite3_bind_null(db_sqlite_stmt_of(base)->s, idx);
    return src == SQLITE_OK ? 0 : db_sqlite_bind_fail(base, src);
}

/* db_sqlite_drain runs a writing statement to completion, keeping copies of its rows. */
static int
db_sqlite_drain(struct db_sqlite_stmt *st)
{
    sqlite3 *h = sqlite3_db_handle(st->s);
    size_t cap = 0;
    int src = SQLITE_ROW;

    st->buffered = true;
    st->ncols = (size_t)sqlite3_column_count(st->s);
    while (src == SQLITE_ROW) {
        if (st->ncols) {
            VEC_RESERVE(st->rows, (st->nrows + 1) * st->ncols, cap);
            for (size_t c = 0; c < st->ncols; c++) {
                sqlite3_value *v = sqlite3_value_dup(sqlite3_column_value(st->s, (int)c));
                if (!v)
                    abort(); /* out of memory, as xmalloc would */
                st->rows[st->nrows * st->ncols + c] = v;
            }
        }
        st->nrows++;
        src = sqlite3_step(st->s);
    }
    if (src != SQLITE_DONE)
        return db_sqlite_fail(h, src, "db.sqlite.step", st->base.sql);
    st->base.changes = sqlite3_changes64(h);
    return 0;
}

static int
db_sqlite_step(struct db_stmt *base, bool *row)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    sqlite3 *h = sqlite3_db_handle(st->s);
    int src, rc;

    if (st->buffered) {
        *row = ++st->pos < st->nrows;
        return 0;
    }
    src = sqlite3_step(st->s);
    if (src == SQLITE_ROW) {
        if (!sqlite3_stmt_readonly(st->s)) {
            if ((rc = db_sqlite_drain(st)))
                return rc;
            st->pos = 0;
        }
        *row = true;
        return 0;
    }
    if (src == SQLITE_DONE) {
        base->changes = sqlite3_stmt_readonly(st->s) ? 0 : sqlite3_changes64(h);
        *row = false;
        return 0;
    }
    return db_sqlite_fail(h, src, "db.sqlite.step", base->sql);
}

/* db_sqlite_value returns the buffered copy of col in the current row, or NULL. */
static sqlite3_value *
db_sqlite_value(struct db_sqlite_stmt *st, int col)
{
    return (size_t)col < st->ncols ? st->rows[st->pos * st->ncols + (size_t)col] : NULL;
}

static bool
db_sqlite_col_ok(struct db_sqlite_stmt *st, int col)
{
    return col < sqlite3_column_count(st->s);
}

static int64_t
db_sqlite_col_i64(struct db_stmt *base, int col)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    if (st->buffered) {
        sqlite3_value *v = db_sqlite_value(st, col);
        return v ? sqlite3_value_int64(v) : 0;
    }
    return db_sqlite_col_ok(st, col) ? sqlite3_column_int64(st->s, col) : 0;
}

static const char *
db_sqlite_col_text(struct db_stmt *base, int col, size_t *n)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    const unsigned char *p;
    int type;

    if (st->buffered) {
        sqlite3_value *v = db_sqlite_value(st, col);
        if (!v || (type = sqlite3_value_type(v)) == SQLITE_NULL)
            return NULL;
        p = sqlite3_value_text(v);
        *n = (size_t)sqlite3_value_bytes(v);
    } else {
        if (!db_sqlite_col_ok(st, col) || (type = sqlite3_column_type(st->s, col)) == SQLITE_NULL)
            return NULL;
        p = sqlite3_column_text(st->s, col);
        *n = (size_t)sqlite3_column_bytes(st->s, col);
    }
    if (!p) {
        *n = 0;
        return "";
    }
    return (const char *)p;
}

static const void *
db_sqlite_col_blob(struct db_stmt *base, int col, size_t *n)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    const void *p;

    if (st->buffered) {
        sqlite3_value *v = db_sqlite_value(st, col);
        if (!v || sqlite3_value_type(v) == SQLITE_NULL)
            return NULL;
        p = sqlite3_value_blob(v);
        *n = (size_t)sqlite3_value_bytes(v);
    } else {
        if (!db_sqlite_col_ok(st, col) || sqlite3_column_type(st->s, col) == SQLITE_NULL)
            return NULL;
        p = sqlite3_column_blob(st->s, col);
        *n = (size_t)sqlite3_column_bytes(st->s, col);
    }
    if (!p) {
        /* SQLite returns NULL for an empty blob; the caller asked for "not NULL". */
        *n = 0;
        return "";
    }
    return p;
}

static bool
db_sqlite_col_is_null(struct db_stmt *base, int col)
{
    struct db_sqlite_stmt *st = db_sqlite_stmt_of(base);
    if (st->buffered) {
        sqlite3_value *v = db_sqlite_value(st, col);
        return !v || sqlite3_value_type(v) == SQLITE_NULL;
    }
    return !db_sqlite_col_ok(st, col) || sqlite3_column_type(st->s, col) == SQLITE_NULL;
}

static int
db_sqlite_max_params(struct db *db)
{
    return sqlite3_limit(db_sqlite_of(db)->h, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
}

static const struct db__ops db_sqlite_ops = {
    .kind = DB_SQLITE,
    .name = "sqlite",
    .sql_migrate_lock = NULL, /* BEGIN IMMEDIATE holds the write lock */
    .sql_table_exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
    .close = db_sqlite_close,
    .ping = db_sqlite_ping,
    .exec = db_sqlite_exec,
    .begin = db_sqlite_begin,
    .commit = db_sqlite_commit,
    .rollback = db_sqlite_rollback,
    .compile = db_sqlite_compile,
    .reset = db_sqlite_reset,
    .finalize = db_sqlite_finalize,
    .bind_i64 = db_sqlite_bind_i64,
    .bind_text = db_sqlite_bind_text,
    .bind_blob = db_sqlite_bind_blob,
    .bind_null = db_sqlite_bind_null,
    .step = db_sqlite_step,
    .col_i64 = db_sqlite_col_i64,
    .col_text = db_sqlite_col_text,
    .col_blob = db_sqlite_col_blob,
    .col_is_null = db_sqlite_col_is_null,
    .max_params = db_sqlite_max_params,
};

/* db_sqlite_backup: SQLite's online backup API (issue 12). One step of -1 pages copies the
 * whole database inside one read transaction of db's connection, so the copy is one
 * consistent snapshot; in WAL mode writers on other connections go on meanwhile. */
int
db_sqlite_backup(struct db *db, const char *path)
{
    sqlite3 *dst = NULL;
    sqlite3_backup *b = NULL;
    int src, fd, rc = ERR_DB;

    if (!db || db->ops != &db_sqlite_ops)
        return ERR_INVALID;
    /* Created 0600 before SQLite opens it, never over an existing file. */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        return errno == EEXIST ? ERR_CONFLICT : ERR_IO;
    close(fd);
    src = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (src != SQLITE_OK) {
        rc = db_sqlite_fail(dst, src, "db.sqlite.backup_open", NULL);
        goto out;
    }
    if (!(b = sqlite3_backup_init(dst, "main", db_sqlite_of(db)->h, "main"))) {
        rc = db_sqlite_fail(dst, sqlite3_errcode(dst), "db.sqlite.backup_init", NULL);
        goto out;
    }
    src = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (src != SQLITE_DONE) {
        rc = db_sqlite_fail(dst, src, "db.sqlite.backup_step", NULL);
        goto out;
    }
    /* The copy is an ordinary rollback-journal file: no -wal to carry along. */
    src = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = db_sqlite_fail(dst, src, "db.sqlite.backup_journal", NULL);
        goto out;
    }
    rc = 0;
out:
    sqlite3_close(dst);
    return rc;
}
