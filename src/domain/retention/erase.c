/* domain/retention/erase.c - erase one person's rows on request (issue 12; S1, S5). Contract and
 * what is removed: erase.h. */
#include "domain/retention/erase.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"
#include "domain/testing/person.h"

/* One candidate row: its key (id) and, for samples, its tube. */
struct erase_row {
    int64_t id;
    char tube[64];
};

struct erase_set {
    struct erase_row *rows;
    size_t n, cap;
};

/* [slot]: the index slot lookups read (issue 12 rotate-index, crypto/keys.h) */
static const char *const sql_samples[2] = { "SELECT id, id_number, tube_code FROM samples WHERE person_bidx = ?1",
                                            "SELECT id, id_number, tube_code FROM samples WHERE person_bidx_b = ?1" };
static const char sql_history_of[] = "DELETE FROM sample_history WHERE sample_id = ?1";
static const char sql_sample_del[] = "DELETE FROM samples WHERE id = ?1";
static const char sql_results_orphan[] =
    "DELETE FROM results WHERE tube_code = ?1 AND NOT EXISTS (SELECT 1 FROM samples WHERE tube_code = ?1)";
static const char *const sql_history[2] = {
    "SELECT id, id_number, '' FROM sample_history WHERE person_bidx = ?1",
    "SELECT id, id_number, '' FROM sample_history WHERE person_bidx_b = ?1" };
static const char sql_history_del[] = "DELETE FROM sample_history WHERE id = ?1";
static const char *const sql_epi[2] = { "SELECT id, id_number, '' FROM health_epi WHERE idno_bidx = ?1",
                                        "SELECT id, id_number, '' FROM health_epi WHERE idno_bidx_b = ?1" };
static const char sql_epi_places_del[] = "DELETE FROM health_epi_places WHERE epi_id = ?1";
static const char sql_epi_del[] = "DELETE FROM health_epi WHERE id = ?1";
static const char sql_batch_results_del[] =
    "DELETE FROM batch_results WHERE EXISTS (SELECT 1 FROM batch_rows r WHERE r.id_bidx = ?1"
    " AND r.batch_id = batch_results.batch_id AND r.row_no = batch_results.row_no)";
static const char sql_batch_rows_del[] = "DELETE FROM batch_rows WHERE id_bidx = ?1";

/* erase_is_person: does the sealed ID blob open to id (true), fail to open (true: damaged, maybe
 * this person's), or open to another number (false: a blind-index collision)? */
static bool
erase_is_person(const struct app *app, const char *ad, const void *blob, size_t n, const char *id)
{
    uint8_t plain[128];
    size_t len = 0;
    if (!blob || n < FIELD_OVERHEAD || n - FIELD_OVERHEAD + 1 > sizeof plain)
        return true;
    if (field_open(&app->keys, ad, blob, n, plain, sizeof plain, &len))
        return true;
    bool same = len == strlen(id) && memcmp(plain, id, len) == 0;
    wipe(plain, sizeof plain);
    return same;
}

/* erase_collect reads sql's rows (id, sealed id, tube) for bidx into set, keeping those that
 * are this person's; *kept counts collisions. */
static int
erase_collect(const struct app *app, struct db *db, const char *sql, const char *ad, int64_t bidx, const char *id,
              struct erase_set *set, int64_t *kept)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    set->n = 0;
    if ((rc = db_prepare(db, sql, &st)) || (rc = db_bind_i64(st, 1, bidx)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0, tn = 0;
        const void *blob = db_col_blob(st, 1, &n);
        const char *tube = db_col_text(st, 2, &tn);
        if (!erase_is_person(app, ad, blob, n, id)) {
            (*kept)++;
            continue;
        }
        VEC_ROOM(set->rows, set->n, set->cap);
        struct erase_row *r = &set->rows[set->n++];
        r->id = db_col_i64(st, 0);
        snprintf(r->tube, sizeof r->tube, "%.*s", (int)(tube ? tn : 0), tube ? tube : "");
    }
out:
    db_done(st);
    return rc;
}

/* erase_exec runs sql with ?1 = the integer v, or the text t when not NULL; adds changes to *n. */
static int
erase_exec(struct db *db, const char *sql, int64_t v, const char *t, int64_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &st);
    if (!rc)
        rc = t ? db_bind_text(st, 1, t, strlen(t)) : db_bind_i64(st, 1, v);
    while (!rc && !(rc = db_step(st, &row)) && row)
        ;
    if (!rc && n)
        *n += db_changes(st);
    db_done(st);
    return rc;
}

static int
erase_rows(const struct app *app, struct db *db, int64_t bidx, unsigned sl, const char *id, struct erase_counts *c)
{
    struct erase_set set = { 0 };
    int rc;
    /* the person's samples, their history, then the results of tubes nobody else shares */
    if ((rc = erase_collect(app, db, sql_samples[sl], "samples.id_number", bidx, id, &set, &c->kept_collisions)))
        goto out;
    for (size_t i = 0; !rc && i < set.n; i++)
        if (!(rc = erase_exec(db, sql_history_of, set.rows[i].id, NULL, &c->sample_history)))
            rc = erase_exec(db, sql_sample_del, set.rows[i].id, NULL, &c->samples);
    for (size_t i = 0; !rc && i < set.n; i++)
        if (set.rows[i].tube[0])
            rc = erase_exec(db, sql_results_orphan, 0, set.rows[i].tube, &c->results);
    /* earlier versions naming this person on samples that are now someone else's */
    if (!rc && !(rc = erase_collect(app, db, sql_history[sl], "samples.id_number", bidx, id, &set, &c->kept_collisions)))
        for (size_t i = 0; !rc && i < set.n; i++)
            rc = erase_exec(db, sql_history_del, set.rows[i].id, NULL, &c->sample_history);
    /* 流调 records */
    if (!rc && !(rc = erase_collect(app, db, sql_epi[sl], "health_epi.id_number", bidx, id, &set, &c->kept_collisions)))
        for (size_t i = 0; !rc && i < set.n; i++)
            if (!(rc = erase_exec(db, sql_epi_places_del, set.rows[i].id, NULL, NULL)))
                rc = erase_exec(db, sql_epi_del, set.rows[i].id, NULL, &c->health_epi);
    /* stored batch rows (the results first: same key); they keep the index generation they
     * were written with, so every generation kept is tried (issue 12 rotate-index) */
    size_t ngen = __atomic_load_n(&app->keys.nidx, __ATOMIC_ACQUIRE);
    for (size_t g = 0; !rc && g < (ngen ? ngen : 1) && g < INDEX_GEN_MAX; g++) {
        int64_t b = bidx;
        if (ngen && (rc = blind_index_gen(&app->keys, app->keys.idx[g].gen, "idno", id, IDNO_LEN, &b)))
            break;
        if (!(rc = erase_exec(db, sql_batch_results_del, b, NULL, NULL)))
            rc = erase_exec(db, sql_batch_rows_del, b, NULL, &c->batch_rows);
    }
out:
    xfree(set.rows);
    return rc;
}

int
person_erase(struct app *app, struct db *db, const struct actor *a, const char *id_number, const char *reason,
             struct erase_counts *out, struct buf *why)
{
    char id[IDNO_LEN + 1], detail[512];
    enum idno_status status;
    int64_t bidx;
    unsigned slot = 0;
    int rc;

    memset(out, 0, sizeof *out);
    status = idno_normalize(id_number, strlen(id_number), id);
    if (status != IDNO_OK && status != IDNO_FIXED && status != IDNO_CONVERTED_15) {
        buf_printf(why, "'id_number' is not a valid ID number (%s)", idno_status_code(status));
        return ERR_INVALID;
    }
    if (!reason || !person_reason_ok(reason)) {
        buf_adds(why, "erasing needs a 'reason' (1 to 200 bytes, without ID numbers)");
        wipe(id, sizeof id);
        return ERR_INVALID;
    }
    bidx = blind_index_lookup(&app->keys, id, IDNO_LEN, &slot);
    snprintf(out->target, sizeof out->target, "blind:%016llx", (unsigned long long)bidx);
    if ((rc = db_begin(db)))
        goto done;
    rc = erase_rows(app, db, bidx, slot, id, out);
    snprintf(detail, sizeof detail,
             "samples=%lld sample_history=%lld results=%lld batch_rows=%lld health_epi=%lld kept_collisions=%lld"
             " reason=%s",
             (long long)out->samples, (long long)out->sample_history, (long long)out->results,
             (long long)out->batch_rows, (long long)out->health_epi, (long long)out->kept_collisions, reason);
    if (!rc)
        rc = audit_append(db, &app->keys, a, "people.erase", out->target, "ok", detail);
    if (rc || (rc = db_commit(db))) {
        db_rollback(db);
        memset(out, 0, offsetof(struct erase_counts, target));
    }
done:
    wipe(id, sizeof id);
    return rc;
}
