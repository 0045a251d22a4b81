/* domain/retention/retention.c - retention limits (settings "retention.*") and the chunked purge
 * (issue 12; S1 data minimisation, S6 audited policy changes). Contract: retention.h. */
#include "domain/retention/retention.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "domain/platform/audit.h"

#define DAY_MS 86400000LL

#define RETENTION_FIELDS(X)                          \
    X("retention.samples_days", samples_days)       \
    X("retention.checkins_days", checkins_days)     \
    X("retention.tombstones_days", tombstones_days) \
    X("retention.batches_days", batches_days)

static const char sql_get[] = "SELECT key, value FROM settings WHERE key LIKE 'retention.%'";
static const char sql_put[] =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2";

int
retention_load(struct db *db, struct retention *r)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *r = (struct retention)RETENTION_DEFAULTS;
    if ((rc = db_prepare(db, sql_get, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t kn = 0, vn = 0;
        const char *k = db_col_text(st, 0, &kn), *v = db_col_text(st, 1, &vn);
        int64_t x;
        struct str key = { k, kn };
#define RETENTION__LOAD(name, field)                                                         \
        if (str_eq_cstr(key, name) && !str_to_i64((struct str){ v, vn }, &x, 0, RETENTION_DAYS_MAX)) \
            r->field = (int)x;
        RETENTION_FIELDS(RETENTION__LOAD)
#undef RETENTION__LOAD
    }
out:
    db_done(st);
    return rc;
}

static int
retention_put(struct db *db, const char *key, int v)
{
    struct db_stmt *st = NULL;
    bool row;
    char text[24];
    int rc;
    snprintf(text, sizeof text, "%d", v);
    if (!(rc = db_prepare(db, sql_put, &st)) && !(rc = db_bind_text(st, 1, key, strlen(key))) &&
        !(rc = db_bind_text(st, 2, text, strlen(text))))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
retention_save(struct db *db, const struct keyring *kr, const struct actor *a, const struct retention *r,
               struct buf *why)
{
    struct retention old;
    struct buf detail = BUF_INIT;
    int rc;
#define RETENTION__CHECK(name, field)                                                                  \
    if (r->field != 0 && (r->field < RETENTION_DAYS_MIN || r->field > RETENTION_DAYS_MAX)) {            \
        buf_printf(why, "'%s' must be 0 or from %d to %d", &(name)[sizeof "retention." - 1], RETENTION_DAYS_MIN, \
                   RETENTION_DAYS_MAX);                                                               \
        return ERR_INVALID;                                                                            \
    }
    RETENTION_FIELDS(RETENTION__CHECK)
#undef RETENTION__CHECK
    if ((rc = db_begin(db)))
        return rc;
    rc = retention_load(db, &old);
#define RETENTION__SAVE(name, field)                                                                 \
    if (!rc && old.field != r->field)                                                                \
        buf_printf(&detail, "%s%s=%d->%d", detail.len ? " " : "", &(name)[sizeof "retention." - 1], old.field, \
                   r->field);                                                                        \
    if (!rc)                                                                                         \
        rc = retention_put(db, name, r->field);
    RETENTION_FIELDS(RETENTION__SAVE)
#undef RETENTION__SAVE
    if (!rc)
        rc = audit_append(db, kr, a, "settings.retention.update", "retention", "ok",
                          detail.len ? detail.data : "unchanged");
    if (rc || (rc = db_commit(db)))
        db_rollback(db);
    buf_release(&detail);
    return rc;
}

void
purge_counts_format(const struct purge_counts *c, struct buf *out)
{
    buf_printf(out, "samples=%lld sample_history=%lld results=%lld checkins=%lld tombstones=%lld batches=%lld"
                    " batch_rows=%lld",
               (long long)c->samples, (long long)c->sample_history, (long long)c->results, (long long)c->checkins,
               (long long)c->tombstones, (long long)c->batches, (long long)c->batch_rows);
}

/* ---- the purge ------------------------------------------------------------------------ */

/* One kind of rows to purge: ?1 = the cutoff (ms), ?2 = the chunk. before (may be NULL) runs
 * first in the chunk's transaction over the same chunk (dependent rows); del deletes it. */
struct purge_step {
    const char *count_before, *count;  /* dry run: SELECT count(*) … ?1 */
    const char *before, *del;
};

static const struct purge_step step_tombstones = {
    "SELECT count(*) FROM sample_history WHERE sample_id IN"
    " (SELECT id FROM samples WHERE deleted_at > 0 AND deleted_at < ?1)",
    "SELECT count(*) FROM samples WHERE deleted_at > 0 AND deleted_at < ?1",
    "DELETE FROM sample_history WHERE sample_id IN"
    " (SELECT id FROM samples WHERE deleted_at > 0 AND deleted_at < ?1 ORDER BY id LIMIT ?2)",
    "DELETE FROM samples WHERE id IN"
    " (SELECT id FROM samples WHERE deleted_at > 0 AND deleted_at < ?1 ORDER BY id LIMIT ?2)",
};
static const struct purge_step step_samples = {
    "SELECT count(*) FROM sample_history WHERE sample_id IN (SELECT id FROM samples WHERE collected_at < ?1)",
    "SELECT count(*) FROM samples WHERE collected_at < ?1",
    "DELETE FROM sample_history WHERE sample_id IN"
    " (SELECT id FROM samples WHERE collected_at < ?1 ORDER BY id LIMIT ?2)",
    "DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE collected_at < ?1 ORDER BY id LIMIT ?2)",
};
static const struct purge_step step_results = {
    NULL,
    "SELECT count(*) FROM results WHERE tested_at < ?1",
    NULL,
    "DELETE FROM results WHERE id IN (SELECT id FROM results WHERE tested_at < ?1 ORDER BY id LIMIT ?2)",
};
static const struct purge_step step_checkins = {
    NULL,
    "SELECT count(*) FROM checkins WHERE at < ?1",
    NULL,
    "DELETE FROM checkins WHERE id IN (SELECT id FROM checkins WHERE at < ?1 ORDER BY id LIMIT ?2)",
};

static int
purge_count(struct db *db, const char *sql, int64_t a1, int64_t *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_bind_i64(st, 1, a1)) && !(rc = db_step(st, &row)) && row)
        *out += db_col_i64(st, 0);
    db_done(st);
    return rc;
}

/* purge_exec runs sql with ?1 = a1 and, when a2 >= 0, ?2 = a2, and adds the rows changed to *n. */
static int
purge_exec(struct db *db, const char *sql, int64_t a1, int64_t a2, int64_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_bind_i64(st, 1, a1)) && !(a2 >= 0 && (rc = db_bind_i64(st, 2, a2)))) {
        while (!(rc = db_step(st, &row)) && row)
            ;
        if (!rc && n)
            *n += db_changes(st);
    }
    db_done(st);
    return rc;
}

/* purge_run deletes s's rows older than cutoff chunk by chunk (or counts them). */
static int
purge_run(struct db *db, const struct purge_step *s, int64_t cutoff, bool dry_run, int64_t *n_before, int64_t *n)
{
    int rc = 0;
    if (dry_run) {
        if (s->count_before && (rc = purge_count(db, s->count_before, cutoff, n_before)))
            return rc;
        return purge_count(db, s->count, cutoff, n);
    }
    for (;;) {
        int64_t got = 0;
        if ((rc = db_begin(db)))
            return rc;
        if (s->before)
            rc = purge_exec(db, s->before, cutoff, RETENTION_CHUNK, n_before);
        if (!rc)
            rc = purge_exec(db, s->del, cutoff, RETENTION_CHUNK, &got);
        if (rc || (rc = db_commit(db))) {
            db_rollback(db);
            return rc;
        }
        *n += got;
        if (got < RETENTION_CHUNK)
            return 0;
    }
}

static const char sql_batches_due[] =
    "SELECT id FROM batches WHERE status IN ('done', 'failed') AND created_at < ?1 ORDER BY id LIMIT 64";
static const char sql_batches_count[] =
    "SELECT count(*) FROM batches WHERE status IN ('done', 'failed') AND created_at < ?1";
static const char sql_batch_rows_count[] =
    "SELECT count(*) FROM batch_rows WHERE batch_id IN"
    " (SELECT id FROM batches WHERE status IN ('done', 'failed') AND created_at < ?1)";
static const char sql_batch_results_chunk[] =
    "DELETE FROM batch_results WHERE batch_id = ?1 AND row_no IN"
    " (SELECT row_no FROM batch_results WHERE batch_id = ?1 ORDER BY row_no LIMIT ?2)";
static const char sql_batch_rows_chunk[] =
    "DELETE FROM batch_rows WHERE batch_id = ?1 AND row_no IN"
    " (SELECT row_no FROM batch_rows WHERE batch_id = ?1 ORDER BY row_no LIMIT ?2)";
static const char sql_batch_delete[] = "DELETE FROM batches WHERE id = ?1 AND status IN ('done', 'failed')";

/* purge_batch deletes one finished batch: its results and rows in chunks, then the batch. */
static int
purge_batch(struct db *db, int64_t id, struct purge_counts *c)
{
    int rc;
    for (;;) {
        int64_t res = 0, rows = 0;
        if ((rc = db_begin(db)))
            return rc;
        if (!(rc = purge_exec(db, sql_batch_results_chunk, id, RETENTION_CHUNK, &res)))
            rc = purge_exec(db, sql_batch_rows_chunk, id, RETENTION_CHUNK, &rows);
        if (!rc && res < RETENTION_CHUNK && rows < RETENTION_CHUNK)
            rc = purge_exec(db, sql_batch_delete, id, -1, &c->batches);
        if (rc || (rc = db_commit(db))) {
            db_rollback(db);
            return rc;
        }
        c->batch_rows += rows;
        if (res < RETENTION_CHUNK && rows < RETENTION_CHUNK)
            return 0;
    }
}

static int
purge_batches(struct db *db, int64_t cutoff, bool dry_run, struct purge_counts *c)
{
    int64_t ids[64];
    size_t n;
    int rc;
    if (dry_run) {
        if ((rc = purge_count(db, sql_batches_count, cutoff, &c->batches)))
            return rc;
        return purge_count(db, sql_batch_rows_count, cutoff, &c->batch_rows);
    }
    do {
        struct db_stmt *st = NULL;
        bool row = false;
        n = 0;
        if (!(rc = db_prepare(db, sql_batches_due, &st)) && !(rc = db_bind_i64(st, 1, cutoff)))
            while (!(rc = db_step(st, &row)) && row && n < 64)
                ids[n++] = db_col_i64(st, 0);
        db_done(st);
        for (size_t i = 0; !rc && i < n; i++)
            rc = purge_batch(db, ids[i], c);
    } while (!rc && n == 64);
    return rc;
}

int
retention_purge(struct app *app, struct db *db, const struct actor *a, int64_t now, bool dry_run,
                struct purge_counts *out)
{
    struct retention r;
    struct buf detail = BUF_INIT;
    int64_t ignored = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = retention_load(db, &r)))
        return rc;
    if (!rc && r.tombstones_days)
        rc = purge_run(db, &step_tombstones, now - r.tombstones_days * DAY_MS, dry_run, &out->sample_history,
                       &out->tombstones);
    if (!rc && r.samples_days) {
        int64_t cutoff = now - r.samples_days * DAY_MS;
        rc = purge_run(db, &step_samples, cutoff, dry_run, &out->sample_history, &out->samples);
        if (!rc)
            rc = purge_run(db, &step_results, cutoff, dry_run, &ignored, &out->results);
    }
    if (!rc && r.checkins_days)
        rc = purge_run(db, &step_checkins, now - r.checkins_days * DAY_MS, dry_run, &ignored, &out->checkins);
    if (!rc && r.batches_days)
        rc = purge_batches(db, now - r.batches_days * DAY_MS, dry_run, out);
    purge_counts_format(out, &detail);
    if (dry_run)
        buf_adds(&detail, " dry_run");
    /* audited also when it failed half-way: the chunks before the failure are gone */
    int arc = audit_record(db, &app->keys, a, "retention.purge", "retention", rc ? "failed" : "ok", detail.data);
    buf_release(&detail);
    return rc ? rc : arc;
}
