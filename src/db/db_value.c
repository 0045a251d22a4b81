/* db/db_value.c - see db_value.h: the bind and column helpers every domain module used to
 * write for itself (R1.x lists and filters, R2.x searches). */
#include "db/db_value.h"

#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

int
db_bind_str(struct db_stmt *st, int idx, const char *s)
{
    return db_bind_text(st, idx, s ? s : "", s ? strlen(s) : 0);
}

int
db_bind_nonempty(struct db_stmt *st, int idx, const char *s)
{
    return s && *s ? db_bind_text(st, idx, s, strlen(s)) : db_bind_null(st, idx);
}

const char *
db_col_arena(struct db_stmt *st, int col, struct arena *arena)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    return arena_strndup(arena, s ? s : "", s ? n : 0);
}

const void *
db_col_blob_arena(struct db_stmt *st, int col, struct arena *arena, size_t *n)
{
    const void *b;
    void *copy;
    *n = 0;
    if (db_col_is_null(st, col))
        return NULL;
    b = db_col_blob(st, col, n);
    copy = arena_alloc(arena, *n ? *n : 1);
    if (*n)
        memcpy(copy, b, *n);
    return copy;
}

char *
db_col_copy(struct db_stmt *st, int col, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    if (!s)
        n = 0;
    n = utf8_cut(s, n, cap - 1);
    if (n)
        memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

const char *
db_like_contains(struct arena *arena, const char *q)
{
    struct buf b = BUF_INIT;
    const char *out;
    if (!q || !*q)
        return "";
    buf_addch(&b, '%');
    for (const char *p = q; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            buf_addch(&b, '\\');
        buf_addch(&b, *p);
    }
    buf_addch(&b, '%');
    out = arena_strndup(arena, b.data, b.len);
    buf_release(&b);
    return out;
}

int
db_report_page(struct db *db, const char *count_sql, const char *rows_sql, int64_t id, const char *filter,
               int64_t after, size_t limit, int64_t *total, struct db_stmt **st)
{
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, count_sql, st)) || (rc = db_bind_i64(*st, 1, id)) ||
        (rc = db_bind_str(*st, 2, filter)) || (rc = db_step(*st, &row)))
        goto fail;
    *total = row ? db_col_i64(*st, 0) : 0;
    db_done(*st);
    if ((rc = db_prepare(db, rows_sql, st)) || (rc = db_bind_i64(*st, 1, id)) ||
        (rc = db_bind_str(*st, 2, filter)) || (rc = db_bind_i64(*st, 3, after)) ||
        (rc = db_bind_i64(*st, 4, (int64_t)limit)))
        goto fail;
    return 0;
fail:
    db_done(*st);
    *st = NULL;
    return rc;
}
