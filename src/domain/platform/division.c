/* domain/platform/division.c - reference data: divisions and industries (architecture §4). */
#include "domain/platform/division.h"

#include <stdio.h>
#include <string.h>

#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/vec.h"
#include "db/db_sql.h"
#include "db/db_value.h"

static const char sql_count_div[] = "SELECT count(*) FROM divisions";
/* Reference rows go in as multi-row INSERTs (64 rows a statement, the rest one by one). */
static struct db_insert ins_div = DB_INSERT("INSERT INTO divisions (code, level, parent, name) VALUES",
                                            " ON CONFLICT (code) DO NOTHING", 0, 4, 64);
static struct db_insert ins_ind =
    DB_INSERT("INSERT INTO industries (code, name, name_en) VALUES", " ON CONFLICT (code) DO NOTHING", 0, 3, 64);
static const char sql_get[] = "SELECT code, level, parent, name FROM divisions WHERE code = ?1";
static const char sql_list[] =
    "SELECT code, level, parent, name FROM divisions WHERE (?1 = 0 OR level = ?1)"
    " AND (?2 = '' OR parent = ?2) ORDER BY code";

static const struct embedded_file *
reference_file(const char *name)
{
    for (size_t i = 0; i < embedded_data_count; i++)
        if (strcmp(embedded_data[i].path, name) == 0)
            return &embedded_data[i];
    return NULL;
}

/* reference_csv_fields splits one line of our own committed CSV into up to max fields.
 * Fields may be double-quoted (RFC 4180, "" for a quote inside); unquoted copies are
 * borrowed from line, unquoted-with-escapes copies live in arena. Returns the count. */
static size_t
reference_csv_fields(struct str line, struct str *f, size_t max, struct arena *arena)
{
    size_t n = 0, i = 0;
    while (n < max && i <= line.n) {
        if (i < line.n && line.p[i] == '"') {
            char *out = arena_alloc(arena, line.n - i + 1);
            size_t o = 0;
            for (i++; i < line.n; i++) {
                if (line.p[i] == '"' && i + 1 < line.n && line.p[i + 1] == '"')
                    out[o++] = line.p[i++];
                else if (line.p[i] == '"')
                    break;
                else
                    out[o++] = line.p[i];
            }
            f[n++] = (struct str){ out, o };
            i++; /* the closing quote */
            while (i < line.n && line.p[i] != ',')
                i++;
        } else {
            const char *c = memchr(line.p + i, ',', line.n - i);
            size_t len = c ? (size_t)(c - (line.p + i)) : line.n - i;
            f[n++] = str_trim((struct str){ line.p + i, len });
            i += len;
        }
        if (i >= line.n)
            break;
        i++; /* the comma */
    }
    return n;
}

/* One data line of a reference file: its fields (borrowed from the file or the arena). */
struct reference_row {
    struct str f[4];
    size_t nf;
    int64_t level; /* divisions only */
};

struct reference_rows {
    struct reference_row *v;
    size_t n, cap;
    bool divisions;
};

/* reference_bind binds row i: divisions (code, level, parent or NULL, name), industries
 * (code, name, name_en or ""). */
static int
reference_bind(struct db_stmt *st, int p, size_t i, void *ctx)
{
    const struct reference_rows *rows = ctx;
    const struct reference_row *r = &rows->v[i];
    const struct str *f = r->f;
    int rc;
    if (rows->divisions) {
        if ((rc = db_bind_text(st, p, f[0].p, f[0].n)) || (rc = db_bind_i64(st, p + 1, r->level)) ||
            (rc = f[2].n ? db_bind_text(st, p + 2, f[2].p, f[2].n) : db_bind_null(st, p + 2)))
            return rc;
        return db_bind_text(st, p + 3, f[3].p, f[3].n);
    }
    if ((rc = db_bind_text(st, p, f[0].p, f[0].n)) || (rc = db_bind_text(st, p + 1, f[1].p, f[1].n)))
        return rc;
    return r->nf > 2 ? db_bind_text(st, p + 2, f[2].p, f[2].n) : db_bind_text(st, p + 2, "", 0);
}

/* reference_load inserts each well-formed data line of file (header skipped); divisions
 * picks the divisions table and its columns, else industries. */
static int
reference_load(struct db *db, const char *file, bool divisions)
{
    const struct embedded_file *ef = reference_file(file);
    struct reference_rows rows = { NULL, 0, 0, divisions };
    struct str rest;
    bool header = true;
    int rc = 0;
    char count[24];
    struct arena arena = ARENA_INIT;

    if (!ef) {
        log_warn("reference.missing", "file", file, NULL);
        return 0;
    }
    rest = (struct str){ (const char *)ef->data, ef->len };
    while (rest.n) {
        const char *nl = memchr(rest.p, '\n', rest.n);
        struct str line = { rest.p, nl ? (size_t)(nl - rest.p) : rest.n };
        struct reference_row r = { .level = 0 };
        rest.p += line.n + (nl ? 1 : 0);
        rest.n -= line.n + (nl ? 1 : 0);
        line = str_trim(line);
        if (!line.n || header) {
            header = false;
            continue;
        }
        r.nf = reference_csv_fields(line, r.f, 4, &arena);
        if (divisions ? r.nf != 4 || str_to_i64(r.f[1], &r.level, 1, 3) : r.nf < 2)
            continue;
        VEC_ARENA_ROOM(&arena, rows.v, rows.n, rows.cap);
        rows.v[rows.n++] = r;
    }
    if ((rc = db_insert_run(db, divisions ? &ins_div : &ins_ind, rows.n, NULL, reference_bind, &rows, NULL)))
        goto out;
    snprintf(count, sizeof count, "%zu", rows.n);
    log_info("reference.loaded", "file", file, "rows", count, NULL);
out:
    arena_release(&arena);
    return rc;
}

int
reference_seed(struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t have = 0;
    int rc;

    if ((rc = db_prepare(db, sql_count_div, &st)) || (rc = db_step(st, &row)))
        goto out;
    have = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if (have)
        return 0;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = reference_load(db, "divisions.csv", true)) || (rc = reference_load(db, "industries.csv", false)) ||
        (rc = db_commit(db)))
        db_rollback(db);
out:
    db_done(st);
    return rc;
}

static void
division_read(struct db_stmt *st, struct arena *arena, struct division *d)
{
    d->code = db_col_arena(st, 0, arena);
    d->level = (int)db_col_i64(st, 1);
    d->parent = db_col_arena(st, 2, arena);
    d->name = db_col_arena(st, 3, arena);
}

int
division_get(struct db *db, const char *code, struct arena *arena, struct division *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_text(st, 1, code, strlen(code))) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    division_read(st, arena, out);
out:
    db_done(st);
    return rc;
}

int
division_list(struct db *db, int level, const char *parent, struct arena *arena,
              struct division **items, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0, cap = 32;
    struct division *out = arena_alloc(arena, cap * sizeof *out);
    int rc;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = db_bind_i64(st, 1, level)) ||
        (rc = db_bind_text(st, 2, parent ? parent : "", parent ? strlen(parent) : 0)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, count, cap);
        division_read(st, arena, &out[count++]);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

static const char sql_industries[] = "SELECT code, name, name_en FROM industries ORDER BY code";

int
industry_list(struct db *db, struct arena *arena, struct industry **items, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0, cap = 32;
    struct industry *out = arena_alloc(arena, cap * sizeof *out);
    int rc;
    if ((rc = db_prepare(db, sql_industries, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, count, cap);
        out[count++] = (struct industry){ db_col_arena(st, 0, arena), db_col_arena(st, 1, arena),
                                          db_col_arena(st, 2, arena) };
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

int
division_check_subdistrict(struct db *db, const char *code)
{
    struct arena arena = ARENA_INIT;
    struct division d;
    int rc = division_get(db, code, &arena, &d);
    if (rc == 0 && d.level != DIVISION_SUBDISTRICT)
        rc = ERR_INVALID;
    if (rc == ERR_NOT_FOUND)
        rc = ERR_INVALID;
    arena_release(&arena);
    return rc;
}
