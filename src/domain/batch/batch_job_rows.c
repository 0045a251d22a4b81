/* domain/batch/batch_job_rows.c - batch_job_rows: one page of a batch's results, filtered
 * by status, for the detail page's table (issue 14 "Batch results"; R4.5, S1).
 *
 * The results (batch_results, no personal data) are paged by row_no over the primary key;
 * each row's sealed cells are then opened one by one (primary-key lookups, at most
 * BATCH_ROWS_MAX per page) only to mask the ID cell: the plaintext is wiped at once and
 * never leaves this file. Names and phones are not read.
 */
#include "domain/batch/batch_job_int.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"

static const char sql_rows[] =
    "SELECT row_no, status, first_num, found, tested, tests, sampled_at, tested_at, institution, result, site_code,"
    " site_name, damaged, mac, mac_key FROM batch_results WHERE batch_id = ?1 AND (?2 = '' OR status = ?2) AND row_no >= ?3"
    " ORDER BY row_no LIMIT ?4";
static const char sql_count[] =
    "SELECT count(*) FROM batch_results WHERE batch_id = ?1 AND (?2 = '' OR status = ?2)";
static const char sql_cells[] = "SELECT num, cells FROM batch_rows WHERE batch_id = ?1 AND row_no = ?2";

/* rows_mask writes the masked form of an ID cell: a valid ID as idno_mask does, other text
 * as its first 3 and last 2 ASCII characters around stars (at most 18 characters), "" for
 * an empty cell, "***" for text that is not ASCII. */
static void
rows_mask(const char *cell, size_t n, char out[IDNO_LEN + 1])
{
    char id[IDNO_LEN + 1];
    enum idno_status st = idno_normalize(cell, n, id);
    out[0] = '\0';
    if (st == IDNO_OK || st == IDNO_FIXED || st == IDNO_CONVERTED_15) {
        idno_mask(id, out);
        wipe(id, sizeof id);
        return;
    }
    wipe(id, sizeof id);
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)cell[i] < 0x20 || (unsigned char)cell[i] >= 0x7f) {
            memcpy(out, "***", 4);
            return;
        }
    }
    size_t keep = n > 5 ? 5 : 0, len = n > IDNO_LEN ? IDNO_LEN : n;
    memset(out, '*', len);
    out[len] = '\0';
    if (keep) {
        memcpy(out, cell, 3);
        memcpy(out + len - 2, cell + n - 2, 2);
    }
}

/* rows_cell opens row row_no's cells and masks its ID cell (column col) into r. */
static int
rows_cell(struct app *app, struct db *db, int64_t id, int col, struct batch_job_row_view *r)
{
    struct db_stmt *st = NULL;
    struct buf text = BUF_INIT;
    struct batch_job_cell *cells = NULL;
    size_t ncells = 0, cap = 0, n = 0, len = 0;
    uint8_t *plain = NULL;
    bool row = false;
    int rc;

    if ((rc = db_prepare(db, sql_cells, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, (int64_t)r->row_no)) || (rc = db_step(st, &row)))
        goto out;
    if (!row)
        goto out; /* a result without its row cannot happen: shown without an ID */
    r->num = (uint64_t)db_col_i64(st, 0);
    const uint8_t *blob = db_col_blob(st, 1, &n);
    if (!blob || n < FIELD_OVERHEAD) {
        rc = ERR_CRYPTO;
        goto out;
    }
    plain = xmalloc(n - FIELD_OVERHEAD + 1);
    if ((rc = field_open(&app->keys, JOB_AD_CELLS, blob, n, plain, n - FIELD_OVERHEAD + 1, &len)) ||
        (rc = batch_job__cells_decode((const char *)plain, len, &text, &cells, &ncells, &cap)))
        goto out;
    if (col >= 0 && (size_t)col < ncells)
        rows_mask(text.data + cells[col].off, cells[col].len, r->masked_id);
out:
    db_done(st);
    if (plain)
        xfree_secret(plain, n - FIELD_OVERHEAD + 1);
    buf_release_secret(&text);
    xfree(cells);
    return rc;
}

/* rows_mac_check: 0 when the result just read into st (sql_rows' columns) holds its mac. */
static int
rows_mac_check(struct app *app, struct db_stmt *st, int64_t id, int64_t upto, const struct batch_job_row_view *r)
{
    size_t n = 0;
    const char *t[4];
    for (int i = 0; i < 4; i++) { /* valid until the next step (db.h); stored text has no NUL */
        size_t len = 0;
        t[i] = db_col_text(st, 8 + i, &len);
        if (!t[i])
            t[i] = "";
    }
    struct batch_job_res_fields f = { id, r->row_no, r->status, db_col_i64(st, 2), db_col_i64(st, 6),
                                      db_col_i64(st, 7), db_col_i64(st, 3) != 0, db_col_i64(st, 4) != 0,
                                      db_col_i64(st, 12) != 0, (unsigned)db_col_i64(st, 5), t[0], t[1], t[2], t[3] };
    const void *mac = db_col_blob(st, 13, &n);
    return batch_job__res_mac_ok(&app->keys, &f, mac, n, db_col_is_null(st, 14) ? -1 : db_col_i64(st, 14),
                                 db_col_is_null(st, 13), upto);
}

int
batch_job_rows(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *status,
               uint64_t from, size_t limit, struct batch_job_row_view *out, size_t *n, int64_t *total,
               uint64_t *next)
{
    struct batch_job job;
    struct db_stmt *st = NULL;
    bool row = false, ok = true;
    char target[40], detail[64];
    int64_t upto = 0;
    uint64_t damaged = 0;
    int rc;

    *n = 0;
    *next = 0;
    *total = 0;
    if (status && status[0])
        (void)batch_job__status_parse(status, &ok);
    if (!ok || limit < 1 || limit > BATCH_ROWS_MAX)
        return ERR_INVALID;
    if (!status)
        status = "";
    if ((rc = batch_job__load(db, a, id, &job)))
        return rc;
    if (strcmp(job.status, "done") != 0)
        return ERR_CONFLICT;
    if ((rc = batch_job__res_legacy_upto(db, &upto)))
        return rc;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, status, strlen(status))) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_rows, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_text(st, 2, status, strlen(status))) || (rc = db_bind_i64(st, 3, (int64_t)from)) ||
        (rc = db_bind_i64(st, 4, (int64_t)limit + 1)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        uint64_t row_no = (uint64_t)db_col_i64(st, 0);
        if (*n == limit) {
            *next = row_no;
            break;
        }
        struct batch_job_row_view *r = &out[(*n)++];
        memset(r, 0, sizeof *r);
        r->row_no = row_no;
        batch_job__col_text(st, 1, r->status, sizeof r->status);
        if (rows_mac_check(app, st, id, upto, r)) {
            /* issue 12: an edited stored result is damaged data, never its stored status */
            str_copy(r->status, sizeof r->status, BATCH_DAMAGED_CODE);
            damaged++;
        }
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    for (size_t i = 0; i < *n; i++)
        if ((rc = rows_cell(app, db, id, job.col_id, &out[i])))
            goto out;
    batch_job__target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%zu status=%s", *n, status[0] ? status : "all");
    rc = audit_record(db, &app->keys, a, "batches.rows", target, "ok", detail);
out:
    if (damaged) { /* damaged data is evidence (issue 12): audited, besides the log and the counter */
        char dd[64];
        batch_job__target(id, target, sizeof target);
        snprintf(dd, sizeof dd, "column=batch_results.mac rows=%llu", (unsigned long long)damaged);
        int arc = audit_record(db, &app->keys, a, "integrity.failure", target, "failed", dd);
        if (!rc)
            rc = arc;
    }
    db_done(st);
    if (rc)
        *n = 0;
    return rc;
}
