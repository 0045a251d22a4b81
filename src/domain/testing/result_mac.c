/* domain/testing/result_mac.c - the MAC of every stored result (issue 12; crypto/rowmac.h):
 * its input, the verified read of one result, and the backfill of rows stored before
 * migration 0025. */
#include "domain/testing/result.h"

#include <string.h>

#include "core/err.h"
#include "crypto/rowmac.h"
#include "db/db_value.h"

void
result_mac_input(struct buf *m, const struct result *r)
{
    rowmac_begin(m, "results");
    rowmac_text(m, r->source);
    rowmac_text(m, r->external_id);
    rowmac_text(m, r->tube_code);
    rowmac_text(m, r->institution);
    rowmac_i64(m, r->tested_at);
    rowmac_text(m, r->result);
}

int
result_mac_sign(const struct keyring *kr, const struct result *r, uint8_t mac[SM3_LEN], uint32_t *key_id)
{
    struct buf m = BUF_INIT;
    result_mac_input(&m, r);
    int rc = rowmac_sign(kr, &m, mac, key_id);
    buf_release(&m);
    return rc;
}

static const char sql_legacy[] = "SELECT upto FROM row_mac_legacy WHERE tbl = 'results'";

int
result_legacy_upto(struct db *db, int64_t *upto)
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
result_mac_ok(const struct keyring *kr, const struct result *r, const void *mac, size_t n, int64_t key_id,
              bool mac_null, int64_t upto)
{
    struct buf m = BUF_INIT;
    int rc;
    if (mac_null && r->id <= upto)
        return 0; /* stored before 0025 and not backfilled yet: as trusted as before */
    result_mac_input(&m, r);
    rc = rowmac_check(kr, key_id, &m, mac, n, "results");
    buf_release(&m);
    return rc;
}

static const char sql_get[] =
    "SELECT id, source, external_id, tube_code, institution, result, tested_at, created_at, mac, mac_key"
    " FROM results WHERE id = ?1";

int
result_get(const struct keyring *kr, struct db *db, int64_t id, struct arena *arena, struct result *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int64_t upto = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = result_legacy_upto(db, &upto)) || (rc = db_prepare(db, sql_get, &st)) ||
        (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    out->source = db_col_arena(st, 1, arena);
    out->external_id = db_col_arena(st, 2, arena);
    out->tube_code = db_col_arena(st, 3, arena);
    out->institution = db_col_arena(st, 4, arena);
    out->result = db_col_arena(st, 5, arena);
    out->tested_at = db_col_i64(st, 6);
    out->created_at = db_col_i64(st, 7);
    const void *mac = db_col_blob(st, 8, &n);
    rc = result_mac_ok(kr, out, mac, n, db_col_is_null(st, 9) ? -1 : db_col_i64(st, 9), db_col_is_null(st, 8),
                       upto);
out:
    db_done(st);
    return rc;
}

#define RESULT_BACKFILL_CHUNK 500
static const char sql_missing[] =
    "SELECT id, source, external_id, tube_code, institution, result, tested_at FROM results"
    " WHERE mac IS NULL AND id > ?1 AND id <= ?2 ORDER BY id LIMIT 500";
static const char sql_set_mac[] = "UPDATE results SET mac = ?1, mac_key = ?2 WHERE id = ?3 AND mac IS NULL";
static const char sql_legacy_done[] = "DELETE FROM row_mac_legacy WHERE tbl = 'results'";

/* result_backfill_read reads up to RESULT_BACKFILL_CHUNK legacy rows after `after`. */
static int
result_backfill_read(struct db *db, int64_t after, int64_t upto, struct arena *arena, struct result *rows,
                     size_t *count)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *count = 0;
    if ((rc = db_prepare(db, sql_missing, &st)) || (rc = db_bind_i64(st, 1, after)) ||
        (rc = db_bind_i64(st, 2, upto)))
        goto out;
    while (*count < RESULT_BACKFILL_CHUNK && !(rc = db_step(st, &row)) && row) {
        struct result *r = &rows[(*count)++];
        memset(r, 0, sizeof *r);
        r->id = db_col_i64(st, 0);
        r->source = db_col_arena(st, 1, arena);
        r->external_id = db_col_arena(st, 2, arena);
        r->tube_code = db_col_arena(st, 3, arena);
        r->institution = db_col_arena(st, 4, arena);
        r->result = db_col_arena(st, 5, arena);
        r->tested_at = db_col_i64(st, 6);
    }
out:
    db_done(st);
    return rc;
}

/* result_backfill_write stores the macs of rows[0..count). */
static int
result_backfill_write(const struct keyring *kr, struct db *db, const struct result *rows, size_t count)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = 0;
    for (size_t i = 0; !rc && i < count; i++) {
        uint8_t mac[SM3_LEN];
        uint32_t key_id = 0;
        if (!(rc = result_mac_sign(kr, &rows[i], mac, &key_id)) && !(rc = db_prepare(db, sql_set_mac, &st)) &&
            !(rc = db_bind_blob(st, 1, mac, SM3_LEN)) && !(rc = db_bind_i64(st, 2, key_id)) &&
            !(rc = db_bind_i64(st, 3, rows[i].id)))
            rc = db_step(st, &row);
        db_done(st);
        st = NULL;
    }
    return rc;
}

int
result_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done)
{
    struct result rows[RESULT_BACKFILL_CHUNK];
    int64_t upto = 0, after = 0;
    size_t count = 0;
    bool row = false;
    int rc;
    *done = 0;
    if ((rc = result_legacy_upto(db, &upto)) || !upto)
        return rc;
    do {
        struct arena arena = ARENA_INIT;
        struct db_stmt *st = NULL;
        if (!(rc = db_begin(db))) {
            if (!(rc = result_backfill_read(db, after, upto, &arena, rows, &count)) &&
                !(rc = result_backfill_write(kr, db, rows, count)) && count < RESULT_BACKFILL_CHUNK &&
                !(rc = db_prepare(db, sql_legacy_done, &st)))
                rc = db_step(st, &row); /* the last chunk: from now on a missing mac is damage */
            db_done(st);
            if (rc || (rc = db_commit(db)))
                db_rollback(db);
        }
        if (!rc && count) {
            after = rows[count - 1].id;
            *done += (int64_t)count;
        }
        arena_release(&arena);
    } while (!rc && count == RESULT_BACKFILL_CHUNK);
    return rc;
}

/* --- re-MAC under a new data key (key rotation, domain/platform/rotation.h) --------------- */

#define RESULT_REMAC_CHUNK 500
static const char sql_remac_read[] =
    "SELECT id, source, external_id, tube_code, institution, result, tested_at, mac, mac_key FROM results"
    " WHERE id > ?1 AND mac IS NOT NULL AND mac_key <> ?2 ORDER BY id LIMIT ?3";
static const char sql_remac_set[] = "UPDATE results SET mac = ?1, mac_key = ?2 WHERE id = ?3 AND mac = ?4";

/* remac_row re-signs r (read with its old mac) under the active key when the old mac holds;
 * a row that fails stays as it is (damaged, counted by result_mac_ok). */
static int
remac_row(const struct keyring *kr, struct db *db, const struct result *r, const void *old, size_t n, int64_t key)
{
    struct db_stmt *st = NULL;
    uint8_t mac[SM3_LEN];
    uint32_t key_id = 0;
    bool row = false;
    int rc;
    if (result_mac_ok(kr, r, old, n, key, false, 0))
        return 0;
    if (!(rc = result_mac_sign(kr, r, mac, &key_id)) && !(rc = db_prepare(db, sql_remac_set, &st)) &&
        !(rc = db_bind_blob(st, 1, mac, SM3_LEN)) && !(rc = db_bind_i64(st, 2, key_id)) &&
        !(rc = db_bind_i64(st, 3, r->id)) && !(rc = db_bind_blob(st, 4, old, n)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
result_mac_rekey(const struct keyring *kr, struct db *db, uint32_t to_key, size_t limit, int64_t *after,
                 size_t *scanned)
{
    struct db_stmt *st = NULL;
    struct arena arena = ARENA_INIT;
    bool row = false;
    int rc;

    *scanned = 0;
    if (!limit || limit > RESULT_REMAC_CHUNK)
        limit = RESULT_REMAC_CHUNK;
    if ((rc = db_begin(db)))
        return rc;
    /* the rows are read whole first: one statement open at a time on either driver */
    struct result rows[RESULT_REMAC_CHUNK];
    const void *macs[RESULT_REMAC_CHUNK];
    size_t lens[RESULT_REMAC_CHUNK];
    int64_t keys[RESULT_REMAC_CHUNK];
    if (!(rc = db_prepare(db, sql_remac_read, &st)) && !(rc = db_bind_i64(st, 1, *after)) &&
        !(rc = db_bind_i64(st, 2, to_key)) && !(rc = db_bind_i64(st, 3, (int64_t)limit))) {
        while (*scanned < limit && !(rc = db_step(st, &row)) && row) {
            struct result *r = &rows[*scanned];
            size_t n = 0;
            const void *mac;
            memset(r, 0, sizeof *r);
            r->id = db_col_i64(st, 0);
            r->source = db_col_arena(st, 1, &arena);
            r->external_id = db_col_arena(st, 2, &arena);
            r->tube_code = db_col_arena(st, 3, &arena);
            r->institution = db_col_arena(st, 4, &arena);
            r->result = db_col_arena(st, 5, &arena);
            r->tested_at = db_col_i64(st, 6);
            mac = db_col_blob(st, 7, &n);
            void *copy = arena_alloc(&arena, n ? n : 1);
            if (n)
                memcpy(copy, mac, n);
            macs[*scanned] = copy;
            lens[*scanned] = n;
            keys[*scanned] = db_col_i64(st, 8);
            (*scanned)++;
        }
    }
    db_done(st);
    for (size_t i = 0; !rc && i < *scanned; i++)
        rc = remac_row(kr, db, &rows[i], macs[i], lens[i], keys[i]);
    if (rc || (rc = db_commit(db)))
        db_rollback(db);
    else if (*scanned)
        *after = rows[*scanned - 1].id;
    arena_release(&arena);
    return rc;
}
