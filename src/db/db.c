/* db/db.c - the driver-independent half of the storage interface (architecture §3): URL
 * dispatch, the per-connection statement cache, the statement state machine, transaction
 * bookkeeping, the connection pool and the ?N -> $N rewrite used by the PostgreSQL driver
 * (the migration runner is db_migrate.c). It never sees a driver handle; db_sqlite.c and
 * db_pg.c do.
 *
 * Serves S3 (SQL is static text, values are always bound), S4 (driver detail is logged,
 * never returned, and never with bound values) and O2/O3 (a pool that survives a database restart,
 * readiness via db_ping).
 */
#include "db/db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db_driver.h"

#define DB_SQL_LOG_MAX 200

void
db__log_fail(const char *event, int rc, const char *code, const char *detail, const char *sql)
{
    char head[DB_SQL_LOG_MAX + 4];
    head[0] = '\0';
    if (sql) {
        size_t n = strlen(sql);
        if (n > DB_SQL_LOG_MAX) {
            memcpy(head, sql, DB_SQL_LOG_MAX);
            memcpy(head + DB_SQL_LOG_MAX, "...", 4);
        } else {
            memcpy(head, sql, n + 1);
        }
    }
    log_event(rc == ERR_CONFLICT ? LOG_DEBUG : LOG_WARN, event, "error", err_name(rc),
              "code", code ? code : "", "detail", detail ? detail : "", "sql", head, NULL);
}

/* ---- opening ---------------------------------------------------------------------- */

int
db_open(const char *url, const char *var_dir, struct db **out)
{
    struct buf path = BUF_INIT;
    int rc = ERR_INVALID;

    *out = NULL;
    if (!url || !*url) {
        const char *dir = var_dir && *var_dir ? var_dir : "var";
        if (mkdir(dir, 0700) && errno != EEXIST) {
            log_warn("db.open.var_dir", "error", strerror(errno), NULL);
            rc = ERR_UNAVAILABLE;
            goto out;
        }
        buf_printf(&path, "%s/jiayuan.db", dir);
        if (buf_error(&path))
            goto out;
        rc = db__sqlite_open(path.data, out);
    } else if (str_has_prefix(str_of(url), "postgres://") || str_has_prefix(str_of(url), "postgresql://")) {
        rc = db__pg_open(url, out);
    } else if (str_has_prefix(str_of(url), "sqlite:")) {
        const char *p = url + strlen("sqlite:");
        if (str_has_prefix(str_of(p), "//"))
            p += 2;
        if (!*p) {
            log_warn("db.open.url", "error", "empty sqlite path", NULL);
            goto out;
        }
        rc = db__sqlite_open(p, out);
    } else if (str_has_suffix(str_of(url), ".db")) {
        rc = db__sqlite_open(url, out);
    } else {
        /* The URL is not logged: it may hold a password. */
        log_warn("db.open.url", "error", "unknown database URL scheme", NULL);
    }
out:
    buf_release(&path);
    return rc;
}

static void
db_cache_free(struct db *db)
{
    for (size_t i = 0; i < db->nslots; i++) {
        struct db_stmt *st = db->slots[i];
        if (!st)
            continue;
        if (st->in_use)
            log_warn("db.close.statement_in_use", "sql", st->sql, NULL);
        xfree(st->sql);
        db->ops->finalize(st);
    }
    xfree(db->slots);
    db->slots = NULL;
    db->nslots = db->nused = 0;
}

void
db_close(struct db *db)
{
    if (!db)
        return;
    if (db->in_tx)
        db_rollback(db);
    db->closing = true;
    db_cache_free(db);
    db->ops->close(db);
}

enum db_kind db_kind(const struct db *db) { return db->ops->kind; }
const char *db_describe(const struct db *db) { return db->ops->name; }
int db_ping(struct db *db) { return db->ops->ping(db); }

/* ---- statement cache ---------------------------------------------------------------- */

static size_t
db_cache_hash(const char *key, size_t nslots)
{
    uint64_t h = (uint64_t)(uintptr_t)key;
    h ^= h >> 29;
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    return (size_t)h & (nslots - 1);
}

/* db_cache_slot returns the slot holding key, or the empty slot where it would go. */
static struct db_stmt **
db_cache_slot(struct db *db, const char *key)
{
    size_t i = db_cache_hash(key, db->nslots);
    while (db->slots[i] && db->slots[i]->key != key)
        i = (i + 1) & (db->nslots - 1);
    return &db->slots[i];
}

/* db_cache_resize moves every entry into a table of nslots slots. */
static void
db_cache_resize(struct db *db, size_t nslots)
{
    size_t old_n = db->nslots;
    struct db_stmt **old = db->slots;

    db->nslots = nslots;
    db->slots = xcalloc(nslots, sizeof *db->slots);
    db->nused = 0;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i]) {
            *db_cache_slot(db, old[i]->key) = old[i];
            db->nused++;
        }
    }
    xfree(old);
}

/* db_cache_rehash rebuilds the table after a slot was emptied. */
static void db_cache_rehash(struct db *db) { db_cache_resize(db, db->nslots); }

/* db_cache_room makes sure one more entry fits; false when the cache is full. */
static bool
db_cache_room(struct db *db)
{
    if (db->nused >= DB__CACHE_MAX)
        return false;
    if (!db->nslots || (db->nused + 1) * 2 > db->nslots)
        db_cache_resize(db, db->nslots ? db->nslots * 2 : 64);
    return true;
}

static void
db_stmt_finalize(struct db_stmt *st)
{
    xfree(st->sql);
    st->db->ops->finalize(st);
}

int
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
    struct db_stmt **slot = NULL, **replace = NULL, *st = NULL;
    bool busy = false;
    int rc;

    *out = NULL;
    if (db->nslots) {
        slot = db_cache_slot(db, sql);
        st = *slot;
    }
    if (st && strcmp(st->sql, sql) != 0) {
        /* The pointer now holds other text (freed and reused memory): the new statement
         * takes over the slot. */
        if (st->in_use)
            st->cached = false; /* finalized by its db_done */
        else
            db_stmt_finalize(st);
        replace = slot;
        st = NULL;
    }
    if (st && !st->in_use) {
        db->ops->reset(st);
        st->state = DB__READY;
        st->changes = 0;
        st->in_use = true;
        *out = st;
        return 0;
    }
    /* The same SQL nested in its own loop: a private statement, finalized by db_done. */
    busy = st != NULL;
    if ((rc = db->ops->compile(db, sql, &st))) {
        if (replace) {
            /* Keep the probe chain intact: the slot cannot become empty. */
            *replace = NULL;
            db_cache_rehash(db);
        }
        return rc;
    }
    st->db = db;
    st->key = sql;
    st->sql = xstrdup(sql);
    st->state = DB__READY;
    st->in_use = true;
    st->cached = false;
    if (replace) {
        *replace = st;
        st->cached = true;
    } else if (!busy && db_cache_room(db)) {
        *db_cache_slot(db, sql) = st;
        db->nused++;
        st->cached = true;
    }
    *out = st;
    return 0;
}

void
db_done(struct db_stmt *st)
{
    if (!st)
        return;
    if (!st->cached) {
        db_stmt_finalize(st);
        return;
    }
    st->db->ops->reset(st);
    st->state = DB__READY;
    st->in_use = false;
}

/* ---- binding, stepping, columns ----------------------------------------------------- */

static int
db_bind_check(struct db_stmt *st, int idx)
{
    if (st->state != DB__READY || idx < 1) {
        db__log_fail("db.bind.misuse", ERR_DB, NULL,
                     st->state != DB__READY ? "bind after step" : "parameter index below 1",
                     st->sql);
        return ERR_DB;
    }
    return 0;
}

int
db_bind_i64(struct db_stmt *st, int idx, int64_t v)
{
    int rc = db_bind_check(st, idx);
    return rc ? rc : st->db->ops->bind_i64(st, idx, v);
}

int
db_bind_text(struct db_stmt *st, int idx, const char *p, size_t n)
{
    int rc = db_bind_check(st, idx);
    return rc ? rc : st->db->ops->bind_text(st, idx, p ? p : "", p ? n : 0);
}

int
db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t n)
{
    int rc = db_bind_check(st, idx);
    return rc ? rc : st->db->ops->bind_blob(st, idx, p ? p : "", p ? n : 0);
}

int
db_bind_null(struct db_stmt *st, int idx)
{
    int rc = db_bind_check(st, idx);
    return rc ? rc : st->db->ops->bind_null(st, idx);
}

int
db_bind_opt_text(struct db_stmt *st, int idx, const char *p)
{
    return p ? db_bind_text(st, idx, p, strlen(p)) : db_bind_null(st, idx);
}

int
db_step(struct db_stmt *st, bool *row)
{
    int rc;

    *row = false;
    switch (st->state) {
    case DB__DONE:
        return 0;
    case DB__FAILED:
        return ERR_DB;
    default:
        break;
    }
    if ((rc = st->db->ops->step(st, row))) {
        st->state = DB__FAILED;
        *row = false;
        return rc;
    }
    st->state = *row ? DB__ROW : DB__DONE;
    return 0;
}

int64_t
db_col_i64(struct db_stmt *st, int col)
{
    return st->state == DB__ROW && col >= 0 ? st->db->ops->col_i64(st, col) : 0;
}

const char *
db_col_text(struct db_stmt *st, int col, size_t *n)
{
    size_t len = 0;
    const char *p = NULL;
    if (st->state == DB__ROW && col >= 0)
        p = st->db->ops->col_text(st, col, &len);
    if (n)
        *n = p ? len : 0;
    return p;
}

const void *
db_col_blob(struct db_stmt *st, int col, size_t *n)
{
    size_t len = 0;
    const void *p = NULL;
    if (st->state == DB__ROW && col >= 0)
        p = st->db->ops->col_blob(st, col, &len);
    if (n)
        *n = p ? len : 0;
    return p;
}

bool
db_col_is_null(struct db_stmt *st, int col)
{
    return st->state != DB__ROW || col < 0 || st->db->ops->col_is_null(st, col);
}

int64_t db_changes(struct db_stmt *st) { return st->state == DB__DONE ? st->changes : 0; }

/* ---- exec and transactions ---------------------------------------------------------- */

int db_exec(struct db *db, const char *sql) { return db->ops->exec(db, sql); }

int
db_begin(struct db *db)
{
    int rc;
    if (db->in_tx) {
        db__log_fail("db.tx.nested", ERR_DB, NULL, "a transaction is already open", NULL);
        return ERR_DB;
    }
    if ((rc = db->ops->begin(db)))
        return rc;
    db->in_tx = true;
    return 0;
}

int
db_commit(struct db *db)
{
    int rc;
    if (!db->in_tx) {
        db__log_fail("db.tx.commit", ERR_DB, NULL, "no transaction is open", NULL);
        return ERR_DB;
    }
    rc = db->ops->commit(db);
    if (rc)
        db->ops->rollback(db); /* the transaction is over either way */
    db->in_tx = false;
    return rc;
}

void
db_rollback(struct db *db)
{
    if (!db)
        return;
    db->ops->rollback(db);
    db->in_tx = false;
}

/* ---- pool --------------------------------------------------------------------------- */

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct db **all, **idle;
    size_t size, nidle;
};

int
db_pool_new(const char *url, const char *var_dir, size_t size, struct db_pool **out)
{
    struct db_pool *pool = NULL;
    int rc = ERR_INVALID;

    *out = NULL;
    if (!size || size > 1024)
        goto out;
    pool = xcalloc(1, sizeof *pool);
    pool->all = xcalloc(size, sizeof *pool->all);
    pool->idle = xcalloc(size, sizeof *pool->idle);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    for (; pool->size < size; pool->size++) {
        if ((rc = db_open(url, var_dir, &pool->all[pool->size])))
            goto out;
        pool->idle[pool->nidle++] = pool->all[pool->size];
    }
    *out = pool;
    pool = NULL;
    rc = 0;
out:
    db_pool_free(pool);
    return rc;
}

struct db *
db_pool_get(struct db_pool *pool)
{
    struct db *db;
    pthread_mutex_lock(&pool->mu);
    while (!pool->nidle)
        pthread_cond_wait(&pool->cv, &pool->mu);
    db = pool->idle[--pool->nidle];
    pthread_mutex_unlock(&pool->mu);
    return db;
}

void
db_pool_put(struct db_pool *pool, struct db *db)
{
    if (!db)
        return;
    if (db->in_tx) {
        /* A caller forgot to finish: never hand an open transaction to the next one. */
        log_warn("db.pool.open_transaction", NULL);
        db_rollback(db);
    }
    pthread_mutex_lock(&pool->mu);
    pool->idle[pool->nidle++] = db;
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

void
db_pool_free(struct db_pool *pool)
{
    if (!pool)
        return;
    if (pool->nidle != pool->size)
        log_warn("db.pool.free_busy", NULL);
    for (size_t i = 0; i < pool->size; i++)
        db_close(pool->all[i]);
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    xfree(pool->all);
    xfree(pool->idle);
    xfree(pool);
}

/* ---- ?N -> $N ----------------------------------------------------------------------- */

static bool
db_is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* db_dollar_tag returns the length of the "$tag$" opener at p (0 if none). */
static size_t
db_dollar_tag(const char *p)
{
    size_t n = 1;
    if (p[0] != '$')
        return 0;
    if (p[1] >= '0' && p[1] <= '9')
        return 0; /* $1 is a parameter */
    while (p[n] && p[n] != '$') {
        char c = p[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (unsigned char)c >= 0x80))
            return 0;
        n++;
    }
    return p[n] == '$' ? n + 1 : 0;
}

int
db__pg_rewrite(const char *sql, struct buf *out)
{
    const char *p = sql;

    while (*p) {
        const char *start = p;
        char c = *p;
        size_t tag;

        if (c == '\'' || c == '"') {
            /* E'…' strings take backslash escapes; others only doubled quotes. */
            bool esc = c == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                       (p - 1 == sql || !db_is_ident(p[-2]));
            p++;
            while (*p) {
                if (esc && *p == '\\' && p[1]) {
                    p += 2;
                } else if (*p == c) {
                    p++;
                    if (*p != c)
                        break;
                    p++;
                } else {
                    p++;
                }
            }
            buf_add(out, start, (size_t)(p - start));
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            buf_add(out, start, (size_t)(p - start));
        } else if (c == '/' && p[1] == '*') {
            int depth = 0;
            while (*p) {
                if (p[0] == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (p[0] == '*' && p[1] == '/') {
                    p += 2;
                    if (--depth == 0)
                        break;
                } else {
                    p++;
                }
            }
            buf_add(out, start, (size_t)(p - start));
        } else if (c == '$' && (p == sql || !db_is_ident(p[-1])) && (tag = db_dollar_tag(p))) {
            const char *end;
            p += tag;
            for (end = p; *end; end++)
                if (*end == '$' && strncmp(end, start, tag) == 0)
                    break;
            p = *end ? end + tag : end;
            buf_add(out, start, (size_t)(p - start));
        } else if (c == '?' && p[1] >= '0' && p[1] <= '9') {
            buf_addch(out, '$');
            p++;
            while (*p >= '0' && *p <= '9')
                buf_addch(out, *p++);
        } else {
            /* Copy a run of ordinary characters (identifiers keep their '$'). */
            p++;
            while (*p && *p != '\'' && *p != '"' && *p != '-' && *p != '/' && *p != '$' &&
                   *p != '?')
                p++;
            while (*p == '$' && db_is_ident(p[-1]))
                p++;
            buf_add(out, start, (size_t)(p - start));
        }
    }
    return buf_error(out) ? ERR_TOO_LARGE : 0;
}
