/* domain/platform/rotation_index.c - the blind-index key rotation job for ID numbers: begin,
 * chunked fill of the next index slot with stored progress (its chunk step for the job engine,
 * rotation_job.c), status (issue 12; contract in rotation_index.h). */
#include "domain/platform/rotation_index.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"
#include "domain/platform/rotation_int.h"

#define IDX_SELECT(t, c) "SELECT id, id_number, " c " FROM " t " WHERE id > ?1 ORDER BY id LIMIT ?2"
#define IDX_UPDATE(t, c) "UPDATE " t " SET " c " = ?1 WHERE id = ?2 AND id_number = ?3"
#define IDX_TABLE(t, c, ad)                                                                                       \
    { t, { IDX_SELECT(t, c), IDX_SELECT(t, c "_b") }, { IDX_UPDATE(t, c), IDX_UPDATE(t, c "_b") }, ad }

const struct index_rotation_table index_rotation_tables[] = {
    IDX_TABLE("samples", "person_bidx", "samples.id_number"),
    IDX_TABLE("sample_history", "person_bidx", "samples.id_number"),
    IDX_TABLE("health_epi", "idno_bidx", "health_epi.id_number"),
};
const size_t index_rotation_tables_count = sizeof index_rotation_tables / sizeof index_rotation_tables[0];

static const char sql_latest[] =
    "SELECT id, to_key, pass, started_at, COALESCE(finished_at, 0), pass_started_at FROM key_rotations"
    " WHERE kind = 'index' ORDER BY id DESC LIMIT 1";
static const char sql_job_insert[] = "INSERT INTO key_rotations (id, kind, to_key, pass, started_at, pass_started_at)"
                                     " SELECT COALESCE(MAX(id), 0) + 1, 'index', ?1, 1, ?2, ?2 FROM key_rotations"
                                     " RETURNING id";
static const char sql_prog_insert[] = "INSERT INTO key_rotation_progress (rotation_id, tbl) VALUES (?1, ?2)";
static const char sql_prog_get[] = "SELECT last_k1, done FROM key_rotation_progress WHERE rotation_id = ?1 AND tbl = ?2";
static const char sql_prog_set[] =
    "UPDATE key_rotation_progress SET last_k1 = ?1, rows_done = rows_done + ?2, resealed = resealed + ?3,"
    " pass_resealed = pass_resealed + ?3, damaged = damaged + ?4, done = ?5 WHERE rotation_id = ?6 AND tbl = ?7";
static const char sql_pass_reset[] =
    "UPDATE key_rotation_progress SET last_k1 = 0, done = 0, pass_resealed = 0 WHERE rotation_id = ?1";

/* idx_row fills one row's next slot: *filled / *damaged count what happened. */
static int
idx_row(struct app *app, struct db *db, const struct index_rotation_table *t, unsigned slot, uint32_t gen,
        struct db_stmt *s, int64_t *filled, int64_t *damaged)
{
    uint8_t plain[64];
    size_t n = 0, len = 0;
    int64_t want = 0;
    const uint8_t *sealed = db_col_blob(s, 1, &n);
    int rc;

    if (db_col_is_null(s, 1))
        return 0; /* no ID number: both slots stay NULL */
    if (field_open(&app->keys, t->ad, sealed, n, plain, sizeof plain, &len)) {
        (*damaged)++;
        return 0;
    }
    rc = blind_index_gen(&app->keys, gen, BLIND_ROTATED_DOMAIN, plain, len, &want);
    wipe(plain, sizeof plain);
    if (rc || (!db_col_is_null(s, 2) && db_col_i64(s, 2) == want))
        return rc;
    struct db_stmt *u = NULL;
    bool row = false;
    if (!(rc = db_prepare(db, t->update[slot], &u)) && !(rc = db_bind_i64(u, 1, want)) &&
        !(rc = db_bind_i64(u, 2, db_col_i64(s, 0))) && !(rc = db_bind_blob(u, 3, sealed, n)) &&
        !(rc = db_step(u, &row)))
        *filled += db_changes(u); /* 0: rewritten meanwhile, by a writer that fills both slots */
    db_done(u);
    return rc;
}

/* idx_chunk fills up to limit rows of t after the stored position, in one transaction with
 * its progress; *done when the table is finished, *worked false when it was already. */
static int
idx_chunk(struct app *app, struct db *db, const struct rotation_state *st, size_t i, size_t limit, bool *done,
          bool *worked)
{
    const struct index_rotation_table *t = &index_rotation_tables[i];
    const struct indexkey *g = keyring_index_find(&app->keys, st->to_key);
    struct db_stmt *s = NULL;
    bool row = false;
    int64_t last = 0, rows = 0, filled = 0, damaged = 0;
    int rc;

    *worked = false;
    if (!g)
        return ERR_CRYPTO; /* begin loaded it: the ring lost it */
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_prog_get, &s)) || (rc = db_bind_i64(s, 1, st->id)) ||
        (rc = db_bind_text(s, 2, t->name, strlen(t->name))) || (rc = db_step(s, &row)))
        goto fail;
    if (!row || db_col_i64(s, 1)) {
        *done = true;
        db_done(s);
        return db_commit(db);
    }
    last = db_col_i64(s, 0);
    db_done(s);
    s = NULL;
    if ((rc = db_prepare(db, t->select[g->slot], &s)) || (rc = db_bind_i64(s, 1, last)) ||
        (rc = db_bind_i64(s, 2, (int64_t)limit)))
        goto fail;
    while (!(rc = db_step(s, &row)) && row) {
        rows++;
        last = db_col_i64(s, 0);
        if ((rc = idx_row(app, db, t, g->slot, g->gen, s, &filled, &damaged)))
            goto fail;
    }
    db_done(s);
    s = NULL;
    if (rc)
        goto fail;
    *done = (size_t)rows < limit;
    int64_t v[] = { last, rows, filled, damaged, *done ? 1 : 0, st->id };
    if ((rc = rotation_exec(db, sql_prog_set, v, 6, t->name, 7)) || (rc = db_commit(db)))
        goto fail;
    *worked = true;
    return 0;
fail:
    db_done(s);
    db_rollback(db);
    return rc;
}

static const char *
idx_table_name(size_t i)
{
    return i < index_rotation_tables_count ? index_rotation_tables[i].name : NULL;
}

/* The index kind: fill the next slot under generation to_key, then switch to it. */
static const struct rotation_kind index_rotation = {
    .sql_latest = sql_latest,
    .sql_job_insert = sql_job_insert,
    .sql_prog_insert = sql_prog_insert,
    .sql_pass_reset = sql_pass_reset,
    .audit_start = "keys.index.start",
    .audit_table = "keys.index.table",
    .audit_finish = "keys.index.finish",
    .start_detail = "domain=idno",
    .target = "index_key",
    .key_word = "gen",
    .count_word = "filled",
    .table = idx_table_name,
    .add = keystore_index_add,
    .chunk = idx_chunk,
    .switch_to = keystore_index_switch,
};

int
index_rotation_latest(struct db *db, struct rotation_state *st)
{
    return rotation_job_latest(db, &index_rotation, st);
}

int
index_rotation_begin(struct app *app, struct db *db, const char *kek_path, struct rotation_state *st)
{
    return rotation_job_begin(app, db, &index_rotation, kek_path, st);
}

int
index_rotation_run(struct app *app, struct db *db, const char *kek_path, const struct rotation_opts *o,
                   struct rotation_state *st)
{
    return rotation_job_run(app, db, &index_rotation, kek_path, o, st);
}

int
index_rotation_print(struct db *db, FILE *f)
{
    static const char sql_progress[] = "SELECT tbl, rows_done, resealed, damaged, done, last_k1"
                                       " FROM key_rotation_progress WHERE rotation_id = ?1 ORDER BY tbl";
    struct rotation_state st;
    struct db_stmt *s = NULL;
    bool row = false;
    int rc;

    if ((rc = index_rotation_latest(db, &st)))
        return rc;
    if (!st.id) {
        fprintf(f, "index rotation none\n");
        return 0;
    }
    fprintf(f, "index rotation %lld to_index_key=%u pass=%d state=%s\n", (long long)st.id, (unsigned)st.to_key,
            st.pass, st.finished_at ? "finished" : "running");
    if ((rc = db_prepare(db, sql_progress, &s)) || (rc = db_bind_i64(s, 1, st.id)))
        goto out;
    while (!(rc = db_step(s, &row)) && row) {
        size_t n = 0;
        const char *tbl = db_col_text(s, 0, &n);
        fprintf(f, "index table %.*s rows=%lld filled=%lld damaged=%lld ", (int)n, tbl, (long long)db_col_i64(s, 1),
                (long long)db_col_i64(s, 2), (long long)db_col_i64(s, 3));
        if (db_col_i64(s, 4))
            fprintf(f, "done\n");
        else
            fprintf(f, "at %lld\n", (long long)db_col_i64(s, 5));
    }
out:
    db_done(s);
    return rc;
}
