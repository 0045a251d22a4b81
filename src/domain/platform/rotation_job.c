/* domain/platform/rotation_job.c - the rotation job engine both kinds run on (data keys:
 * rotation.c, blind-index keys: rotation_index.c): the job row in key_rotations, progress rows
 * in key_rotation_progress, passes until a clean pass begun ROTATION_GRACE_MS after the job,
 * the --max-chunks stop, audit start / table / finish (issue 12, S1; contract in
 * rotation_int.h, behaviour in rotation.h and rotation_index.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/time.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"
#include "domain/platform/rotation_int.h"

static const char sql_prog_table[] = "SELECT rows_done, resealed, pass_resealed, damaged FROM key_rotation_progress"
                                     " WHERE rotation_id = ?1 AND tbl = ?2";
static const char sql_pass_sum[] = "SELECT CAST(COALESCE(SUM(pass_resealed), 0) AS BIGINT) FROM key_rotation_progress"
                                   " WHERE rotation_id = ?1";
static const char sql_pass_next[] = "UPDATE key_rotations SET pass = pass + 1, pass_started_at = ?2 WHERE id = ?1";
static const char sql_finish[] = "UPDATE key_rotations SET finished_at = ?2 WHERE id = ?1";

int
rotation_job_latest(struct db *db, const struct rotation_kind *k, struct rotation_state *st)
{
    struct db_stmt *s = NULL;
    bool row = false;
    int rc;

    memset(st, 0, sizeof *st);
    if (!(rc = db_prepare(db, k->sql_latest, &s)) && !(rc = db_step(s, &row)) && row) {
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

int
rotation_exec(struct db *db, const char *sql, const int64_t *v, int n, const char *text, int tpos)
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

void
rotation_target(const struct rotation_kind *k, uint32_t id, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%u", k->target, (unsigned)id);
}

/* rotation_job_progress adds the job's progress row of every table of the kind. */
static int
rotation_job_progress(struct db *db, const struct rotation_kind *k, int64_t job)
{
    const char *name;
    int rc = 0;
    for (size_t i = 0; !rc && (name = k->table(i)); i++) {
        struct db_stmt *p = NULL;
        bool row = false;
        if (!(rc = db_prepare(db, k->sql_prog_insert, &p)) && !(rc = db_bind_i64(p, 1, job)) &&
            !(rc = db_bind_text(p, 2, name, strlen(name))) &&
            !(k->start_key_bound && (rc = db_bind_i64(p, 3, ROTATION_START_KEY))))
            rc = db_step(p, &row);
        db_done(p);
    }
    return rc;
}

int
rotation_job_begin(struct app *app, struct db *db, const struct rotation_kind *k, const char *kek_path,
                   struct rotation_state *st)
{
    struct actor who;
    struct kek kek;
    struct db_stmt *s = NULL;
    uint32_t id = 0;
    bool row = false, changed = false;
    char target[32];
    int rc;

    actor_system(&who, "cli");
    if ((rc = rotation_job_latest(db, k, st)))
        return rc;
    if (st->id && !st->finished_at) /* resume the unfinished job */
        return keystore_refresh(db, kek_path, &app->keys, &changed);
    if (k->switch_to && st->id && time_now_ms() < st->finished_at + ROTATION_GRACE_MS)
        return ERR_BUSY; /* a node may still read what the new key / generation replaces */
    if ((rc = keyring_kek_load(kek_path, &kek)))
        return rc;
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = k->add(db, &kek, &id)))
        goto fail;
    if ((rc = db_prepare(db, k->sql_job_insert, &s)) || (rc = db_bind_i64(s, 1, id)) ||
        (rc = db_bind_i64(s, 2, time_now_ms())) || (rc = db_step(s, &row)))
        goto fail;
    int64_t job = row ? db_col_i64(s, 0) : 0;
    db_done(s);
    s = NULL;
    rc = rotation_job_progress(db, k, job);
    rotation_target(k, id, target, sizeof target);
    if (rc || (rc = audit_append(db, &app->keys, &who, k->audit_start, target, "ok", k->start_detail)) ||
        (rc = db_commit(db)))
        goto fail;
    rc = keystore_refresh(db, kek_path, &app->keys, &changed);
    if (!rc)
        rc = rotation_job_latest(db, k, st);
    goto out;
fail:
    db_done(s);
    db_rollback(db);
out:
    kek_wipe(&kek);
    return rc;
}

/* rotation_job_audit_table records one finished table of a pass with its counters. */
static int
rotation_job_audit_table(struct app *app, struct db *db, const struct rotation_kind *k,
                         const struct rotation_state *st, const char *tbl)
{
    struct db_stmt *s = NULL;
    struct actor who;
    bool row = false;
    char target[64], detail[160] = "";
    int rc;

    actor_system(&who, "cli");
    if ((rc = db_prepare(db, sql_prog_table, &s)) || (rc = db_bind_i64(s, 1, st->id)) ||
        (rc = db_bind_text(s, 2, tbl, strlen(tbl))) || (rc = db_step(s, &row)))
        goto out;
    if (row)
        snprintf(detail, sizeof detail, "pass=%d %s=%u rows=%lld %s=%lld pass_%s=%lld damaged=%lld", st->pass,
                 k->key_word, (unsigned)st->to_key, (long long)db_col_i64(s, 0), k->count_word,
                 (long long)db_col_i64(s, 1), k->count_word, (long long)db_col_i64(s, 2), (long long)db_col_i64(s, 3));
    db_done(s);
    s = NULL;
    snprintf(target, sizeof target, "table:%s", tbl);
    rc = audit_record(db, &app->keys, &who, k->audit_table, target, "ok", detail);
out:
    db_done(s);
    return rc;
}

/* rotation_job_pass_end finishes the job (the kind's switch first) when the pass changed
 * nothing and began after every node had loaded the new key (ROTATION_GRACE_MS after the job
 * began), else starts the next (waiting out the rest of the grace first when that is all that
 * is missing). */
static int
rotation_job_pass_end(struct app *app, struct db *db, const struct rotation_kind *k, struct rotation_state *st,
                      bool *finished)
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
        rotation_target(k, st->to_key, target, sizeof target);
        snprintf(detail, sizeof detail, "passes=%d", st->pass);
        if (k->switch_to)
            rc = k->switch_to(db, st->to_key);
        if (!rc && !(rc = rotation_exec(db, sql_finish, v, 2, NULL, 0)))
            rc = audit_append(db, &app->keys, &who, k->audit_finish, target, "ok", detail);
        st->finished_at = v[1];
    } else {
        int64_t v[] = { st->id, ROTATION_START_KEY }, w[] = { st->id, time_now_ms() };
        if (!(rc = rotation_exec(db, k->sql_pass_reset, v, k->start_key_bound ? 2 : 1, NULL, 0)))
            rc = rotation_exec(db, sql_pass_next, w, 2, NULL, 0);
        st->pass++;
        st->pass_started_at = w[1];
    }
    if (rc || (rc = db_commit(db)))
        db_rollback(db);
    return rc;
}

/* rotation_job_remac runs the caller's re-MAC to the end of its tables (rotation.h). */
static int
rotation_job_remac(struct app *app, struct db *db, rotation_remac_fn remac, struct rotation_state *st, size_t limit)
{
    int64_t after = 0;
    size_t scanned = 0;
    int rc;
    do {
        if ((rc = remac(app, db, st->to_key, limit, &after, &scanned)))
            return rc;
        if (scanned)
            st->chunks++;
    } while (scanned);
    return 0;
}

/* rotation_job_tables works every table of one pass; *stop at max chunks. */
static int
rotation_job_tables(struct app *app, struct db *db, const struct rotation_kind *k, size_t limit, size_t max,
                    struct rotation_state *st, bool *stop)
{
    const char *name;
    int rc;
    for (size_t i = 0; (name = k->table(i)); i++) {
        bool done = false;
        while (!done) {
            if (max && (size_t)st->chunks >= max) {
                *stop = true;
                return 0;
            }
            bool worked = false; /* false: the table was done in an earlier run */
            if ((rc = k->chunk(app, db, st, i, limit, &done, &worked)))
                return rc;
            if (!worked)
                continue;
            st->chunks++;
            if (done && (rc = rotation_job_audit_table(app, db, k, st, name)))
                return rc;
        }
    }
    return 0;
}

int
rotation_job_run(struct app *app, struct db *db, const struct rotation_kind *k, const char *kek_path,
                 const struct rotation_opts *o, struct rotation_state *st)
{
    size_t limit = o && o->chunk_rows ? o->chunk_rows : ROTATION_CHUNK_ROWS;
    size_t max = o ? o->max_chunks : 0;
    bool changed = false;
    int rc;

    if ((rc = rotation_job_latest(db, k, st)))
        return rc;
    if (!st->id || st->finished_at)
        return ERR_NOT_FOUND;
    for (int passes = 0; passes < ROTATION_MAX_PASSES; passes++) {
        bool finished = false;
        if ((rc = rotation_job_tables(app, db, k, limit, max, st, &st->stopped)) || st->stopped)
            return rc;
        if (k->uses_remac && o && o->remac && (rc = rotation_job_remac(app, db, o->remac, st, limit)))
            return rc;
        if ((rc = rotation_job_pass_end(app, db, k, st, &finished)))
            return rc;
        if (finished) /* a kind with a switch: this process reads the new key at once */
            return k->switch_to && kek_path ? keystore_refresh(db, kek_path, &app->keys, &changed) : 0;
    }
    st->stopped = true; /* still changing values after ROTATION_MAX_PASSES: run again */
    return 0;
}
