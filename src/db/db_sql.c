/* db/db_sql.c - see db_sql.h: placeholder lists and multi-row INSERTs (the fast path of
 * bulk writes such as R5 batch uploads), with the row-at-a-time fallback beside them. Not
 * a query builder: callers give fixed SQL text; only "?N" is ever generated here. */
#include "db/db_sql.h"

#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "db/db_driver.h"

/* The SQL of one struct db_insert: the single-row form and, per driver, the multi-row
 * form with its row count. Built once, kept for the life of the process (the statement
 * cache holds pointers to the text). */
struct db__insert_sql {
    char *single;
    char *multi[2];
    size_t rows[2];
};

/* The most parameters a multi-row INSERT carries, whatever the driver allows: SQLite's
 * compile time grows with the square of the numbered parameters (Debian's build allows
 * 250,000: seconds to prepare), so never more than SQLite's own default limit. */
#define DB_INSERT_MAX_PARAMS 32766

static pthread_mutex_t db_sql_lock = PTHREAD_MUTEX_INITIALIZER;

void
db_placeholders(struct buf *b, int first, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_printf(b, i ? ",?%d" : "?%d", first + (int)i);
}

int
db_max_params(struct db *db)
{
    return db->ops->max_params(db);
}

/* db_insert_text builds head, rows tuples of (shared + per_row) placeholders, and tail. */
static char *
db_insert_text(const struct db_insert *ins, size_t rows)
{
    struct buf b = BUF_INIT;
    int p = ins->shared + 1;
    buf_adds(&b, ins->head);
    for (size_t r = 0; r < rows; r++) {
        buf_adds(&b, r ? ", (" : " (");
        db_placeholders(&b, 1, (size_t)ins->shared);
        if (ins->shared)
            buf_addch(&b, ',');
        db_placeholders(&b, p, (size_t)ins->per_row);
        p += ins->per_row;
        buf_addch(&b, ')');
    }
    if (ins->tail)
        buf_adds(&b, ins->tail);
    return buf_detach(&b, NULL);
}

static bool
db_insert_valid(const struct db_insert *ins)
{
    return ins->head && *ins->head && ins->shared >= 0 && ins->per_row >= 1 && ins->rows >= 1;
}

/* db_insert_build returns the statement's row count on db (0 when ins is invalid or one
 * row is over the parameter limit), building its SQL first when needed; *single and
 * *multi receive the texts. */
static size_t
db_insert_build(struct db *db, struct db_insert *ins, const char **single, const char **multi)
{
    int kind = db_kind(db) == DB_POSTGRES, limit = db_max_params(db);
    size_t rows = 0;
    if (limit > DB_INSERT_MAX_PARAMS)
        limit = DB_INSERT_MAX_PARAMS;
    if (!db_insert_valid(ins) || ins->per_row > limit - ins->shared)
        return 0;
    pthread_mutex_lock(&db_sql_lock);
    struct db__insert_sql *s = ins->built_;
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->single = db_insert_text(ins, 1);
        ins->built_ = s;
    }
    if (!s->rows[kind]) {
        size_t fit = (size_t)(limit - ins->shared) / (size_t)ins->per_row;
        s->rows[kind] = ins->rows < fit ? ins->rows : fit;
        s->multi[kind] = s->rows[kind] > 1 ? db_insert_text(ins, s->rows[kind]) : s->single;
    }
    rows = s->rows[kind];
    *single = s->single;
    *multi = s->multi[kind];
    pthread_mutex_unlock(&db_sql_lock);
    return rows;
}

size_t
db_insert_rows(struct db *db, struct db_insert *ins)
{
    const char *single, *multi;
    return db_insert_build(db, ins, &single, &multi);
}

/* db_insert_one runs sql once with rows [base, base + n). */
static int
db_insert_one(struct db *db, const struct db_insert *ins, const char *sql, size_t base, size_t n,
              db_insert_shared_fn bind_shared, db_insert_row_fn bind_row, void *ctx, int64_t *changes)
{
    struct db_stmt *st = NULL;
    bool row = true;
    int rc;
    if ((rc = db_prepare(db, sql, &st)))
        goto out;
    if (ins->shared && bind_shared && (rc = bind_shared(st, ctx)))
        goto out;
    for (size_t k = 0; k < n; k++)
        if ((rc = bind_row(st, ins->shared + 1 + (int)k * ins->per_row, base + k, ctx)))
            goto out;
    while (row)
        if ((rc = db_step(st, &row)))
            goto out;
    *changes += db_changes(st);
out:
    db_done(st);
    return rc;
}

int
db_insert_run(struct db *db, struct db_insert *ins, size_t nrows, db_insert_shared_fn bind_shared,
              db_insert_row_fn bind_row, void *ctx, int64_t *changes)
{
    const char *single = NULL, *multi = NULL;
    int64_t done = 0;
    size_t rows, base = 0;
    int rc = 0;
    if (changes)
        *changes = 0;
    if (!ins || !bind_row)
        return ERR_INVALID;
    if (!(rows = db_insert_build(db, ins, &single, &multi)))
        return db_insert_valid(ins) ? ERR_TOO_LARGE : ERR_INVALID;
    for (; rows > 1 && nrows - base >= rows; base += rows)
        if ((rc = db_insert_one(db, ins, multi, base, rows, bind_shared, bind_row, ctx, &done)))
            goto out;
    for (; base < nrows; base++)
        if ((rc = db_insert_one(db, ins, single, base, 1, bind_shared, bind_row, ctx, &done)))
            goto out;
out:
    if (changes)
        *changes = done;
    return rc;
}

/* Tiers (issue 13): a tier sees rows 0 … n-1 of its own; tier_bind shifts them by base. */
struct db_tier_ctx {
    db_insert_row_fn bind_row;
    void *ctx;
    size_t base;
};

static int
db_tier_bind(struct db_stmt *st, int first, size_t row, void *p)
{
    const struct db_tier_ctx *t = p;
    return t->bind_row(st, first, t->base + row, t->ctx);
}

int
db_insert_tiers(struct db *db, struct db_insert *tiers, size_t n_tiers, size_t nrows,
                db_insert_shared_fn bind_shared, db_insert_row_fn bind_row, void *ctx, int64_t *changes)
{
    struct db_tier_ctx t = { bind_row, ctx, 0 };
    int64_t done = 0, part = 0;
    int rc = 0;
    if (changes)
        *changes = 0;
    if (bind_shared || !n_tiers) /* tiers take no shared parameters */
        return ERR_INVALID;
    for (size_t k = 0; !rc && k < n_tiers && t.base < nrows; k++) {
        size_t rows = db_insert_rows(db, &tiers[k]), left = nrows - t.base;
        size_t take = k + 1 == n_tiers ? left : rows ? left / rows * rows : 0;
        if (!take)
            continue;
        rc = db_insert_run(db, &tiers[k], take, NULL, db_tier_bind, &t, &part);
        done += part;
        t.base += take;
    }
    if (changes)
        *changes = done;
    return rc;
}
