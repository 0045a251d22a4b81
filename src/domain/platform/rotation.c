/* domain/platform/rotation.c - the data-key rotation job: begin, chunked re-seal with stored
 * progress (its chunk step for the job engine, rotation_job.c), status and retirement (issue 12;
 * contract in rotation.h). */
#include "domain/platform/rotation.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"
#include "domain/platform/rotation_int.h"


static const char sql_latest[] =
    "SELECT id, to_key, pass, started_at, COALESCE(finished_at, 0), pass_started_at FROM key_rotations"
    " WHERE kind = 'data' ORDER BY id DESC LIMIT 1"; /* 'index' jobs: rotation_index.c */
static const char sql_job_insert[] = "INSERT INTO key_rotations (id, kind, to_key, pass, started_at, pass_started_at)"
                                     " SELECT COALESCE(MAX(id), 0) + 1, 'data', ?1, 1, ?2, ?2 FROM key_rotations"
                                     " RETURNING id";
static const char sql_prog_insert[] = "INSERT INTO key_rotation_progress (rotation_id, tbl, last_k1, last_k2)"
                                      " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (rotation_id, tbl) DO NOTHING";
static const char sql_prog_get[] = "SELECT last_k1, last_k2, done FROM key_rotation_progress"
                                   " WHERE rotation_id = ?1 AND tbl = ?2";
static const char sql_prog_set[] =
    "UPDATE key_rotation_progress SET last_k1 = ?1, last_k2 = ?2, rows_done = rows_done + ?3,"
    " resealed = resealed + ?4, pass_resealed = pass_resealed + ?4, damaged = damaged + ?5, done = ?6"
    " WHERE rotation_id = ?7 AND tbl = ?8";
static const char sql_pass_reset[] = "UPDATE key_rotation_progress SET last_k1 = ?2, last_k2 = ?2, done = 0,"
                                     " pass_resealed = 0 WHERE rotation_id = ?1";

/* One row to write back: the re-sealed columns, each with the value read and its new
 * envelope. */
struct reseal {
    int64_t k1, k2;
    size_t n;
    size_t col[ROTATION_MAX_COLS];
    uint8_t *old[ROTATION_MAX_COLS], *neu[ROTATION_MAX_COLS];
    size_t old_len[ROTATION_MAX_COLS], neu_len[ROTATION_MAX_COLS];
};

struct chunk {
    const struct keyring *kr;
    const struct datakey *to;
    struct reseal *v;
    size_t n, cap;
    int64_t damaged, values;
};

/* rotation_reseal_value opens value i of r and seals it under the job's key into s. */
static int
rotation_reseal_value(struct chunk *c, const struct rotation_table *t, const struct rotation_row *r, size_t i,
                      struct reseal *s)
{
    char ad[64];
    size_t plen = 0, k = s->n;
    int rc;
    rotation_ad(t, i, r->k1, ad, sizeof ad);
    uint8_t *plain = xmalloc(r->len[i] + 1);
    if (field_open(c->kr, ad, r->val[i], r->len[i], plain, r->len[i] + 1, &plen)) {
        c->damaged++; /* counted and logged by field_open; left as it is */
        xfree(plain);
        return 0;
    }
    s->col[k] = i;
    s->old_len[k] = r->len[i];
    s->old[k] = xmalloc(r->len[i]);
    memcpy(s->old[k], r->val[i], r->len[i]);
    s->neu[k] = xmalloc(FIELD_SEALED_LEN(plen));
    rc = field_seal_with(c->to, ad, plain, plen, s->neu[k], FIELD_SEALED_LEN(plen), &s->neu_len[k]);
    wipe(plain, plen);
    xfree(plain);
    s->n++; /* freed by chunk_release even when sealing failed */
    return rc;
}

static int
rotation_reseal_row(const struct rotation_table *t, const struct rotation_row *r, void *arg)
{
    struct chunk *c = arg;
    struct reseal *s;
    int rc = 0;

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    s = &c->v[c->n];
    memset(s, 0, sizeof *s);
    s->k1 = r->k1;
    s->k2 = r->k2;
    for (size_t i = 0; i < rotation_ncols(t) && !rc; i++) {
        uint32_t id = 0;
        if (!r->val[i] || (field_envelope_parse(r->val[i], r->len[i], &id, NULL) == 0 && id == c->to->id))
            continue;
        rc = rotation_reseal_value(c, t, r, i, s);
    }
    if (s->n)
        c->n++;
    return rc;
}

/* rotation_write writes one row's re-sealed values back unless one of them changed since
 * it was read (then nothing is written: the next pass sees the row again). */
static int
rotation_write(struct db *db, const struct rotation_table *t, const struct reseal *s, int64_t *written)
{
    char sql[512];
    struct db_stmt *st = NULL;
    bool row = false;
    int w, rc, b = 1;

    w = snprintf(sql, sizeof sql, "UPDATE %s SET ", t->name);
    for (size_t k = 0; k < s->n; k++)
        w += snprintf(sql + w, sizeof sql - (size_t)w, "%s%s = ?%zu", k ? ", " : "", t->cols[s->col[k]], k + 1);
    w += snprintf(sql + w, sizeof sql - (size_t)w, " WHERE %s = ?%zu", t->k1, s->n + 1);
    for (size_t k = 0; k < s->n; k++)
        w += snprintf(sql + w, sizeof sql - (size_t)w, " AND %s = ?%zu", t->cols[s->col[k]], s->n + 2 + k);
    if (t->k2)
        snprintf(sql + w, sizeof sql - (size_t)w, " AND %s = ?%zu", t->k2, 2 * s->n + 2);
    if ((rc = db_prepare(db, sql, &st)))
        goto out;
    for (size_t k = 0; k < s->n && !rc; k++)
        rc = db_bind_blob(st, b++, s->neu[k], s->neu_len[k]);
    if (!rc)
        rc = db_bind_i64(st, b++, s->k1);
    for (size_t k = 0; k < s->n && !rc; k++)
        rc = db_bind_blob(st, b++, s->old[k], s->old_len[k]);
    if (!rc && t->k2)
        rc = db_bind_i64(st, b, s->k2);
    if (rc || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) == 1)
        *written += (int64_t)s->n;
out:
    db_done(st);
    return rc;
}

static void
chunk_release(struct chunk *c)
{
    for (size_t i = 0; i < c->n; i++) /* a row whose sealing failed is counted in n too */
        for (size_t k = 0; k < c->v[i].n; k++) {
            xfree(c->v[i].old[k]);
            xfree(c->v[i].neu[k]);
        }
    xfree(c->v);
    memset(c, 0, sizeof *c);
}

/* rotation_chunk re-seals one chunk of t in one transaction with its progress; *done when
 * the table has no rows after it, *worked unless it was done already (an earlier run). */
static int
rotation_chunk(struct app *app, struct db *db, const struct rotation_state *st, size_t i, size_t limit, bool *done,
               bool *worked)
{
    const struct rotation_table *t = &rotation_tables[i];
    struct chunk c = { .kr = &app->keys, .to = keyring_find(&app->keys, st->to_key) };
    struct db_stmt *s = NULL;
    int64_t k1 = ROTATION_START_KEY, k2 = ROTATION_START_KEY, written = 0;
    size_t rows = 0;
    bool row = false;
    int rc;

    if (!c.to || c.to->retired)
        return ERR_CRYPTO;
    if ((rc = db_begin(db)))
        return rc;
    *worked = true; /* in the transaction until said otherwise */
    if ((rc = db_prepare(db, sql_prog_get, &s)) || (rc = db_bind_i64(s, 1, st->id)) ||
        (rc = db_bind_text(s, 2, t->name, strlen(t->name))) || (rc = db_step(s, &row)))
        goto out;
    if (row) {
        k1 = db_col_i64(s, 0);
        k2 = db_col_i64(s, 1);
        *done = db_col_i64(s, 2) != 0;
    }
    db_done(s);
    s = NULL;
    *worked = row && !*done;
    if (!*worked) {
        rc = row ? 0 : ERR_NOT_FOUND;
        db_rollback(db); /* read only */
        goto out;
    }
    if ((rc = rotation_scan(db, t, &k1, &k2, limit, rotation_reseal_row, &c, &rows)))
        goto out;
    for (size_t j = 0; j < c.n && !rc; j++)
        rc = rotation_write(db, t, &c.v[j], &written);
    *done = rows < limit;
    if (rc || (rc = db_prepare(db, sql_prog_set, &s)) || (rc = db_bind_i64(s, 1, k1)) ||
        (rc = db_bind_i64(s, 2, k2)) || (rc = db_bind_i64(s, 3, (int64_t)rows)) || (rc = db_bind_i64(s, 4, written)) ||
        (rc = db_bind_i64(s, 5, c.damaged)) || (rc = db_bind_i64(s, 6, *done)) || (rc = db_bind_i64(s, 7, st->id)) ||
        (rc = db_bind_text(s, 8, t->name, strlen(t->name))) || (rc = db_step(s, &row)))
        goto out;
    db_done(s);
    s = NULL;
    rc = db_commit(db);
out:
    db_done(s);
    if (rc && *worked)
        db_rollback(db);
    chunk_release(&c);
    return rc;
}

static const char *
rotation_table_name(size_t i)
{
    return i < rotation_tables_count ? rotation_tables[i].name : NULL;
}

/* The data kind: re-seal every sealed column under the job's data key. */
static const struct rotation_kind rotation_data = {
    .sql_latest = sql_latest,
    .sql_job_insert = sql_job_insert,
    .sql_prog_insert = sql_prog_insert,
    .sql_pass_reset = sql_pass_reset,
    .start_key_bound = true,
    .audit_start = "keys.rotate.start",
    .audit_table = "keys.rotate.table",
    .audit_finish = "keys.rotate.finish",
    .start_detail = "kind=data",
    .target = "data_key",
    .key_word = "to_key",
    .count_word = "resealed",
    .table = rotation_table_name,
    .add = keystore_add_generation,
    .chunk = rotation_chunk,
    .uses_remac = true,
};

int
rotation_latest(struct db *db, struct rotation_state *st)
{
    return rotation_job_latest(db, &rotation_data, st);
}

int
rotation_begin(struct app *app, struct db *db, const char *kek_path, struct rotation_state *st)
{
    return rotation_job_begin(app, db, &rotation_data, kek_path, st);
}

int
rotation_run(struct app *app, struct db *db, const struct rotation_opts *o, struct rotation_state *st)
{
    return rotation_job_run(app, db, &rotation_data, NULL, o, st);
}

int
rotation_retire(struct app *app, struct db *db, const struct kek *kek, uint32_t id, int64_t *in_use)
{
    struct rotation_state st;
    struct actor who;
    char target[32];
    int rc;

    *in_use = -1;
    if ((rc = rotation_latest(db, &st)))
        return rc;
    if (st.id && !st.finished_at)
        return ERR_BUSY; /* a job still re-seals: the count could be stale at once */
    if ((rc = rotation_count_key(db, id, in_use)))
        return rc;
    if (*in_use)
        return ERR_CONFLICT;
    actor_system(&who, "cli");
    rotation_target(&rotation_data, id, target, sizeof target);
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = keystore_retire(db, kek, &app->keys, id)) ||
        (rc = audit_append(db, &app->keys, &who, "keys.retire", target, "ok", "values=0")) || (rc = db_commit(db)))
        db_rollback(db);
    return rc;
}

static const char sql_keys[] =
    "SELECT id, active, created_at, COALESCE(retired_at, 0) FROM data_keys ORDER BY id";
static const char sql_index_keys[] =
    "SELECT gen, state, slot, created_at FROM index_keys ORDER BY gen";
static const char sql_progress[] = "SELECT tbl, rows_done, resealed, damaged, done, last_k1, last_k2"
                                   " FROM key_rotation_progress WHERE rotation_id = ?1 ORDER BY tbl";

int
rotation_print(struct app *app, struct db *db, FILE *f)
{
    struct rotation_state st;
    struct db_stmt *s = NULL;
    bool row = false;
    int rc;

    (void)app;
    if ((rc = db_prepare(db, sql_keys, &s)))
        return rc;
    while (!(rc = db_step(s, &row)) && row)
        fprintf(f, "key %lld %s created_at=%lld%s\n", (long long)db_col_i64(s, 0),
                db_col_i64(s, 3) ? "retired" : db_col_i64(s, 1) ? "active" : "old", (long long)db_col_i64(s, 2),
                db_col_i64(s, 3) ? " (field keys destroyed)" : "");
    db_done(s);
    s = NULL;
    if (rc || (rc = db_prepare(db, sql_index_keys, &s)))
        return rc;
    while (!(rc = db_step(s, &row)) && row) { /* blind-index generations (issue 12) */
        size_t n = 0;
        const char *state = db_col_text(s, 1, &n);
        fprintf(f, "index key %lld %.*s slot=%lld created_at=%lld%s\n", (long long)db_col_i64(s, 0), (int)n, state,
                (long long)db_col_i64(s, 2), (long long)db_col_i64(s, 3),
                db_col_i64(s, 0) ? "" : " (the oldest data key's blind subkey)");
    }
    db_done(s);
    s = NULL;
    if (rc || (rc = rotation_latest(db, &st)))
        return rc;
    if (!st.id) {
        fprintf(f, "rotation none\n");
        return 0;
    }
    fprintf(f, "rotation %lld to_key=%u pass=%d state=%s\n", (long long)st.id, (unsigned)st.to_key, st.pass,
            st.finished_at ? "finished" : "running");
    if ((rc = db_prepare(db, sql_progress, &s)) || (rc = db_bind_i64(s, 1, st.id)))
        goto out;
    while (!(rc = db_step(s, &row)) && row) {
        size_t n = 0;
        const char *tbl = db_col_text(s, 0, &n);
        fprintf(f, "table %.*s rows=%lld resealed=%lld damaged=%lld %s", (int)n, tbl, (long long)db_col_i64(s, 1),
                (long long)db_col_i64(s, 2), (long long)db_col_i64(s, 3), db_col_i64(s, 4) ? "done" : "at");
        if (!db_col_i64(s, 4))
            fprintf(f, " %lld,%lld", (long long)db_col_i64(s, 5), (long long)db_col_i64(s, 6));
        fputc('\n', f);
    }
out:
    db_done(s);
    return rc;
}
