/* domain/batch/batch_job_mac.c - the MAC of every stored batch result (issue 12, "test
 * results and batch results sealed or MACed"; crypto/rowmac.h, migration 0028): its input
 * (batch_id, row_no and every stored result column), the check on every read back (page,
 * rows, export: a row whose mac fails is damaged, never its stored value), and the backfill
 * of results stored before 0028 (`jiayuan verify`), as domain/testing/result_mac.c does.
 */
#include "domain/batch/batch_job_int.h"

#include <string.h>

#include "core/err.h"
#include "crypto/rowmac.h"

static void
res_mac_input(struct buf *m, const struct batch_job_res_fields *f)
{
    rowmac_begin(m, "batch_results");
    rowmac_i64(m, f->batch_id);
    rowmac_i64(m, (int64_t)f->row_no);
    rowmac_text(m, f->status);
    rowmac_i64(m, f->first_num);
    rowmac_i64(m, f->found);
    rowmac_i64(m, f->tested);
    rowmac_i64(m, f->tests);
    rowmac_i64(m, f->sampled_at);
    rowmac_i64(m, f->tested_at);
    rowmac_text(m, f->inst);
    rowmac_text(m, f->result);
    rowmac_text(m, f->site_code);
    rowmac_text(m, f->site_name);
    rowmac_i64(m, f->damaged);
}

int
batch_job__res_mac_sign(const struct keyring *kr, const struct batch_job_res_fields *f, uint8_t mac[SM3_LEN],
                        uint32_t *key_id)
{
    struct buf m = BUF_INIT;
    res_mac_input(&m, f);
    int rc = rowmac_sign(kr, &m, mac, key_id);
    buf_release(&m);
    return rc;
}

static const char sql_legacy[] = "SELECT upto FROM row_mac_legacy WHERE tbl = 'batch_results'";

int
batch_job__res_legacy_upto(struct db *db, int64_t *upto)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *upto = 0;
    if (!(rc = db_prepare(db, sql_legacy, &st)) && !(rc = db_step(st, &row)) && row)
        *upto = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

int
batch_job__res_mac_ok(const struct keyring *kr, const struct batch_job_res_fields *f, const void *mac, size_t n,
                      int64_t key_id, bool mac_null, int64_t upto)
{
    struct buf m = BUF_INIT;
    int rc;
    if (mac_null && f->batch_id <= upto)
        return 0; /* stored before 0028 and not backfilled yet: as trusted as before */
    res_mac_input(&m, f);
    rc = rowmac_check(kr, key_id, &m, mac, n, "batch_results");
    buf_release(&m);
    return rc;
}

/* --- backfill (`jiayuan verify`) ---------------------------------------------------------- */

#define RES_BACKFILL_CHUNK 500
static const char sql_missing[] =
    "SELECT batch_id, row_no, status, first_num, found, tested, tests, sampled_at, tested_at, institution, result,"
    " site_code, site_name, damaged FROM batch_results WHERE mac IS NULL AND batch_id <= ?1"
    " AND (batch_id > ?2 OR (batch_id = ?2 AND row_no > ?3)) ORDER BY batch_id, row_no LIMIT 500";
static const char sql_set_mac[] =
    "UPDATE batch_results SET mac = ?1, mac_key = ?2 WHERE batch_id = ?3 AND row_no = ?4 AND mac IS NULL";
static const char sql_legacy_done[] = "DELETE FROM row_mac_legacy WHERE tbl = 'batch_results'";

static const char *
col_dup(struct db_stmt *st, int col, struct buf *strs)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    size_t off = strs->len;
    if (s)
        buf_add(strs, s, n);
    buf_addch(strs, '\0');
    return (const char *)(uintptr_t)off; /* an offset until strs stops growing */
}

/* res_backfill_chunk macs up to RES_BACKFILL_CHUNK legacy rows after (*bid, *rno). */
static int
res_backfill_chunk(const struct keyring *kr, struct db *db, int64_t upto, int64_t *bid, int64_t *rno, size_t *count)
{
    struct batch_job_res_fields rows[RES_BACKFILL_CHUNK];
    struct buf strs = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *count = 0;
    if ((rc = db_prepare(db, sql_missing, &st)) || (rc = db_bind_i64(st, 1, upto)) || (rc = db_bind_i64(st, 2, *bid)) ||
        (rc = db_bind_i64(st, 3, *rno)))
        goto out;
    while (*count < RES_BACKFILL_CHUNK && !(rc = db_step(st, &row)) && row) {
        struct batch_job_res_fields *f = &rows[(*count)++];
        memset(f, 0, sizeof *f);
        f->batch_id = db_col_i64(st, 0);
        f->row_no = (uint64_t)db_col_i64(st, 1);
        f->status = col_dup(st, 2, &strs);
        f->first_num = db_col_i64(st, 3);
        f->found = db_col_i64(st, 4) != 0;
        f->tested = db_col_i64(st, 5) != 0;
        f->tests = (unsigned)db_col_i64(st, 6);
        f->sampled_at = db_col_i64(st, 7);
        f->tested_at = db_col_i64(st, 8);
        f->inst = col_dup(st, 9, &strs);
        f->result = col_dup(st, 10, &strs);
        f->site_code = col_dup(st, 11, &strs);
        f->site_name = col_dup(st, 12, &strs);
        f->damaged = db_col_i64(st, 13) != 0;
    }
    db_done(st);
    st = NULL;
    if (rc || (rc = buf_error(&strs) ? ERR_TOO_LARGE : 0))
        goto out;
    for (size_t i = 0; i < *count; i++) {
        struct batch_job_res_fields *f = &rows[i];
        f->status = strs.data + (uintptr_t)f->status;
        f->inst = strs.data + (uintptr_t)f->inst;
        f->result = strs.data + (uintptr_t)f->result;
        f->site_code = strs.data + (uintptr_t)f->site_code;
        f->site_name = strs.data + (uintptr_t)f->site_name;
    }
    for (size_t i = 0; !rc && i < *count; i++) {
        uint8_t mac[SM3_LEN];
        uint32_t key_id = 0;
        if (!(rc = batch_job__res_mac_sign(kr, &rows[i], mac, &key_id)) && !(rc = db_prepare(db, sql_set_mac, &st)) &&
            !(rc = db_bind_blob(st, 1, mac, SM3_LEN)) && !(rc = db_bind_i64(st, 2, key_id)) &&
            !(rc = db_bind_i64(st, 3, rows[i].batch_id)) && !(rc = db_bind_i64(st, 4, (int64_t)rows[i].row_no)))
            rc = db_step(st, &row);
        db_done(st);
        st = NULL;
    }
    if (!rc && *count) {
        *bid = rows[*count - 1].batch_id;
        *rno = (int64_t)rows[*count - 1].row_no;
    }
out:
    db_done(st);
    buf_release(&strs);
    return rc;
}

int
batch_job__res_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done)
{
    int64_t upto = 0, bid = 0, rno = -1;
    size_t count = 0;
    bool row = false;
    int rc;
    *done = 0;
    if ((rc = batch_job__res_legacy_upto(db, &upto)) || !upto)
        return rc;
    do {
        struct db_stmt *st = NULL;
        int64_t b0 = bid, r0 = rno;
        if (!(rc = db_begin(db))) {
            if (!(rc = res_backfill_chunk(kr, db, upto, &bid, &rno, &count)) && count < RES_BACKFILL_CHUNK &&
                !(rc = db_prepare(db, sql_legacy_done, &st)))
                rc = db_step(st, &row); /* the last chunk: from now on a missing mac is damage */
            db_done(st);
            if (rc || (rc = db_commit(db))) {
                db_rollback(db);
                bid = b0, rno = r0;
            }
        }
        if (!rc)
            *done += (int64_t)count;
    } while (!rc && count == RES_BACKFILL_CHUNK);
    return rc;
}

int
batch_job_result_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done)
{
    return batch_job__res_mac_backfill(kr, db, done);
}
