/* domain/platform/rotation_index.c - the blind-index key rotation job for ID numbers: begin,
 * chunked fill of the next index slot with stored progress, passes, switch (issue 12;
 * contract in rotation_index.h). */
#include "domain/platform/rotation_index.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"

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
static const char sql_prog_table[] = "SELECT rows_done, resealed, pass_resealed, damaged FROM key_rotation_progress"
                                     " WHERE rotation_id = ?1 AND tbl = ?2";
static const char sql_pass_sum[] = "SELECT CAST(COALESCE(SUM(pass_resealed), 0) AS BIGINT) FROM key_rotation_progress"
                                   " WHERE rotation_id = ?1";
static const char sql_pass_reset[] =
    "UPDATE key_rotation_progress SET last_k1 = 0, done = 0, pass_resealed = 0 WHERE rotation_id = ?1";
static const char sql_pass_next[] = "UPDATE key_rotations SET pass = pass + 1, pass_started_at = ?2 WHERE id = ?1";
static const char sql_finish[] = "UPDATE key_rotations SET finished_at = ?2 WHERE id = ?1";

int
index_rotation_latest(struct db *db, struct rotation_state *st)
{
    struct db_stmt *s = NULL;
    bool row = false;
    int rc;

    memset(st, 0, sizeof *st);
    if (!(rc = db_prepare(db, sql_latest, &s)) && !(rc = db_step(s, &row)) && row) {
        st->id = db_col_i64(s, 0);
        st->to_key = (uint32_t)db_col_i64(s, 1);
        st->pass = (int)db_col_i64(s, 2);
        st->started_at = db_col_i64(s, 3);
        st->finished_at = db_col_i64(s, 4);
        st->pass_started_at = db_col_i64(s, 5);
    }
    db_done(s);
    return rc;
}

/* idx_exec runs one statement with n integer parameters and text at ?tpos (0: none). */
static int
idx_exec(struct db *db, const char *sql, const int64_t *v, int n, const char *text, int tpos)
{
    struct db_stmt *s = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &s);
    for (int i = 0; i < n && !rc; i++)
        rc = db_bind_i64(s, i + 1, v[i]);
    if (!rc && text)
        rc = db_bind_text(s, tpos, text, strlen(text));
    if (!rc)
        rc = db_step(s, &row);
    db_done(s);
    return rc;
}

static void
idx_target(uint32_t gen, char *out, size_t cap)
{
    snprintf(out, cap, "index_key:%u", (unsigned)gen);
}

int
index_rotation_begin(struct app *app, struct db *db, const char *kek_path, struct rotation_state *st)
{
    struct actor who;
    struct kek kek;
    struct db_stmt *s = NULL;
    uint32_t gen = 0;
    bool row = false, changed = false;
    char target[32];
    int rc;

    actor_system(&who, "cli");
    if ((rc = index_rotation_latest(db, st)))
        return rc;
    if (st->id && !st->finished_at) /* resume the unfinished job */
        return keystore_refresh(db, kek_path, &app->keys, &changed);
    if (st->id && time_now_ms() < st->finished_at + ROTATION_GRACE_MS)
        return ERR_BUSY; /* a node may still read the slot the next generation takes */
    if ((rc = keyring_kek_load(kek_path, &kek)))
        return rc;
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = keystore_index_add(db, &kek, &gen)))
        goto fail;
    if ((rc = db_prepare(db, sql_job_insert, &s)) || (rc = db_bind_i64(s, 1, gen)) ||
        (rc = db_bind_i64(s, 2, time_now_ms())) || (rc = db_step(s, &row)))
        goto fail;
    int64_t job = row ? db_col_i64(s, 0) : 0;
    db_done(s);
    s = NULL;
    for (size_t i = 0; i < index_rotation_tables_count && !rc; i++)
        rc = idx_exec(db, sql_prog_insert, &job, 1, index_rotation_tables[i].name, 2);
    idx_target(gen, target, sizeof target);
    if (rc || (rc = audit_append(db, &app->keys, &who, "keys.index.start", target, "ok", "domain=idno")) ||
        (rc = db_commit(db)))
        goto fail;
    rc = keystore_refresh(db, kek_path, &app->keys, &changed);
    if (!rc)
        rc = index_rotation_latest(db, st);
    goto out;
fail:
    db_done(s);
    db_rollback(db);
out:
    kek_wipe(&kek);
    return rc;
}

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
idx_chunk(struct app *app, struct db *db, struct rotation_state *st, const struct index_rotation_table *t,
          size_t limit, bool *done, bool *worked)
{
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
    if ((rc = idx_exec(db, sql_prog_set, v, 6, t->name, 7)) || (rc = db_commit(db)))
        goto fail;
    *worked = true;
    return 0;
fail:
    db_done(s);
    db_rollback(db);
    return rc;
}

static int
idx_audit_table(struct app *app, struct db *db, const struct rotation_state *st, const char *tbl)
{
    struct db_stmt *s = NULL;
    struct actor who;
    bool row = false;
    char detail[160] = "", target[48];
    int rc;

    actor_system(&who, "cli");
    if ((rc = db_prepare(db, sql_prog_table, &s)) || (rc = db_bind_i64(s, 1, st->id)) ||
        (rc = db_bind_text(s, 2, tbl, strlen(tbl))) || (rc = db_step(s, &row)))
        goto out;
    if (row)
        snprintf(detail, sizeof detail, "pass=%d gen=%u rows=%lld filled=%lld pass_filled=%lld damaged=%lld",
                 st->pass, (unsigned)st->to_key, (long long)db_col_i64(s, 0), (long long)db_col_i64(s, 1),
                 (long long)db_col_i64(s, 2), (long long)db_col_i64(s, 3));
    db_done(s);
    s = NULL;
    snprintf(target, sizeof target, "table:%s", tbl);
    rc = audit_record(db, &app->keys, &who, "keys.index.table", target, "ok", detail);
out:
    db_done(s);
    return rc;
}

/* idx_pass_end switches to the new generation when the pass filled nothing and began after
 * every node had loaded it, else starts the next pass (see rotation.c rotation_pass_end). */
static int
idx_pass_end(struct app *app, struct db *db, struct rotation_state *st, bool *finished)
{
    struct db_stmt *s = NULL;
    struct actor who;
    bool row = false;
    char target[32], detail[64];
    int rc;

    if ((rc = db_prepare(db, sql_pass_sum, &s)) || (rc = db_bind_i64(s, 1, st->id)) || (rc = db_step(s, &row))) {
        db_done(s);
        return rc;
    }
    int64_t sum = row ? db_col_i64(s, 0) : 0;
    db_done(s);
    int64_t ready = st->started_at + ROTATION_GRACE_MS, now = time_now_ms();
    if (sum == 0 && st->pass_started_at < ready && now < ready)
        usleep((useconds_t)(ready - now) * 1000); /* nodes poll the keys every 10 s */
    actor_system(&who, "cli");
    if ((rc = db_begin(db)))
        return rc;
    *finished = sum == 0 && st->pass_started_at >= ready;
    if (*finished) {
        int64_t v[] = { st->id, time_now_ms() };
        idx_target(st->to_key, target, sizeof target);
        snprintf(detail, sizeof detail, "passes=%d", st->pass);
        if (!(rc = keystore_index_switch(db, st->to_key)) && !(rc = idx_exec(db, sql_finish, v, 2, NULL, 0)))
            rc = audit_append(db, &app->keys, &who, "keys.index.finish", target, "ok", detail);
        st->finished_at = v[1];
    } else {
        int64_t w[] = { st->id, time_now_ms() };
        if (!(rc = idx_exec(db, sql_pass_reset, w, 1, NULL, 0)))
            rc = idx_exec(db, sql_pass_next, w, 2, NULL, 0);
        st->pass++;
        st->pass_started_at = w[1];
    }
    if (rc || (rc = db_commit(db)))
        db_rollback(db);
    return rc;
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

int
index_rotation_run(struct app *app, struct db *db, const char *kek_path, const struct rotation_opts *o,
                   struct rotation_state *st)
{
    size_t limit = o && o->chunk_rows ? o->chunk_rows : ROTATION_CHUNK_ROWS;
    size_t max = o ? o->max_chunks : 0;
    bool changed = false;
    int rc;

    if ((rc = index_rotation_latest(db, st)))
        return rc;
    if (!st->id || st->finished_at)
        return ERR_NOT_FOUND;
    for (int passes = 0; passes < ROTATION_MAX_PASSES; passes++) {
        bool finished = false;
        for (size_t i = 0; i < index_rotation_tables_count; i++) {
            bool done = false;
            while (!done) {
                if (max && (size_t)st->chunks >= max) {
                    st->stopped = true;
                    return 0;
                }
                bool worked = false;
                if ((rc = idx_chunk(app, db, st, &index_rotation_tables[i], limit, &done, &worked)))
                    return rc;
                if (!worked)
                    continue;
                st->chunks++;
                if (done && (rc = idx_audit_table(app, db, st, index_rotation_tables[i].name)))
                    return rc;
            }
        }
        if ((rc = idx_pass_end(app, db, st, &finished)))
            return rc;
        if (finished) /* this process reads the new slot at once */
            return kek_path ? keystore_refresh(db, kek_path, &app->keys, &changed) : 0;
    }
    st->stopped = true; /* still filling after ROTATION_MAX_PASSES: run again */
    return 0;
}
