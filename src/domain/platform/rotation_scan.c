/* domain/platform/rotation_scan.c - the sealed columns of the schema and keyset-paged reads
 * of them, for data-key rotation and `keys retire` (issue 12; see rotation.h).
 *
 * rotation_tables must name every sealed column: tests/e2e/e2e_keys.c checks that after a
 * rotation no value of the database is left under the old key, and docs/security.md lists
 * the same columns. A new sealed column is added here with its associated data.
 */
#include "domain/platform/rotation_int.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "crypto/field.h"

const struct rotation_table rotation_tables[] = {
    { "users", "id", NULL, { "real_name", "phone", "totp_secret" },
      { "users.real_name", "users.phone", "users.totp_secret:" } },
    { "webhooks", "id", NULL, { "secret" }, { "webhooks.secret" } },
    { "sites", "id", NULL, { "address" }, { "sites.address" } },
    { "site_history", "id", NULL, { "address" }, { "sites.address" } },
    { "samples", "id", NULL, { "id_number", "name", "phone", "collector" },
      { "samples.id_number", "samples.name", "samples.phone", "samples.collector" } },
    { "sample_history", "id", NULL, { "id_number", "name", "phone", "collector" },
      { "samples.id_number", "samples.name", "samples.phone", "samples.collector" } },
    { "transports", "id", NULL, { "courier" }, { "transports.courier" } },
    { "checkins", "id", NULL, { "staff" }, { "checkins.staff" } },
    { "cameras", "id", NULL, { "stream" }, { "cameras.stream" } },
    { "batch_rows", "batch_id", "row_no", { "cells" }, { "batch_rows.cells" } },
    { "health_epi", "id", NULL, { "id_number", "name", "phone", "address" },
      { "health_epi.id_number", "health_epi.name", "health_epi.phone", "health_epi.address" } },
    { "health_doctors", "id", NULL, { "name", "phone" }, { "health_doctors.name", "health_doctors.phone" } },
    { "hotline_tickets", "id", NULL, { "address", "caller", "phone" },
      { "hotline_tickets.address", "hotline_tickets.caller", "hotline_tickets.phone" } },
};
const size_t rotation_tables_count = sizeof rotation_tables / sizeof rotation_tables[0];
/* The row MACs under a data key (rotation.h rotation_remac_fn): one whole statement per
 * table, so no SQL text is assembled; ?1 = the key id. batch_results (0028) has no re-MAC
 * yet: retire refuses while a batch result is MACed under the key; re-running the batch (or
 * deleting it) moves its results to the active key. */
static const char *const rotation_mac_counts[] = {
    "SELECT COUNT(*) FROM results WHERE mac_key = ?1",
    "SELECT COUNT(*) FROM batch_results WHERE mac_key = ?1",
};

/* rotation_count_macs adds the rows whose mac names key id. */
static int
rotation_count_macs(struct db *db, uint32_t id, int64_t *count)
{
    int rc = 0;
    for (size_t i = 0; i < sizeof rotation_mac_counts / sizeof *rotation_mac_counts && !rc; i++) {
        struct db_stmt *st = NULL;
        bool row = false;
        if (!(rc = db_prepare(db, rotation_mac_counts[i], &st)) && !(rc = db_bind_i64(st, 1, id)) &&
            !(rc = db_step(st, &row)) && row)
            *count += db_col_i64(st, 0);
        db_done(st);
    }
    return rc;
}

size_t
rotation_ncols(const struct rotation_table *t)
{
    size_t n = 0;
    while (n < ROTATION_MAX_COLS && t->cols[n])
        n++;
    return n;
}

void
rotation_ad(const struct rotation_table *t, size_t col, int64_t k1, char *out, size_t cap)
{
    size_t n = strlen(t->ads[col]);
    if (n && t->ads[col][n - 1] == ':') /* per-row associated data: the row's key follows */
        snprintf(out, cap, "%s%lld", t->ads[col], (long long)k1);
    else
        snprintf(out, cap, "%s", t->ads[col]);
}

/* rotation_select_sql builds "SELECT k1, k2|0, cols… FROM t WHERE key > last ORDER BY key
 * LIMIT n" from the constant names of t (no input reaches the text). */
static void
rotation_select_sql(const struct rotation_table *t, char *sql, size_t cap)
{
    size_t n = rotation_ncols(t);
    int w = snprintf(sql, cap, "SELECT %s, %s", t->k1, t->k2 ? t->k2 : "0");
    for (size_t i = 0; i < n && w > 0 && (size_t)w < cap; i++)
        w += snprintf(sql + w, cap - (size_t)w, ", %s", t->cols[i]);
    if (w > 0 && (size_t)w < cap) {
        if (t->k2)
            snprintf(sql + w, cap - (size_t)w, " FROM %s WHERE (%s, %s) > (?1, ?2) ORDER BY %s, %s LIMIT ?3",
                     t->name, t->k1, t->k2, t->k1, t->k2);
        else
            snprintf(sql + w, cap - (size_t)w, " FROM %s WHERE %s > ?1 ORDER BY %s LIMIT ?2", t->name, t->k1,
                     t->k1);
    }
}

int
rotation_scan(struct db *db, const struct rotation_table *t, int64_t *k1, int64_t *k2, size_t limit,
              rotation_row_fn fn, void *arg, size_t *rows)
{
    char sql[512];
    struct db_stmt *st = NULL;
    struct rotation_row r;
    size_t ncols = rotation_ncols(t);
    bool row = false;
    int rc, b = 1;

    *rows = 0;
    rotation_select_sql(t, sql, sizeof sql);
    if ((rc = db_prepare(db, sql, &st)) || (rc = db_bind_i64(st, b++, *k1)) ||
        (t->k2 && (rc = db_bind_i64(st, b++, *k2))) || (rc = db_bind_i64(st, b, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        memset(&r, 0, sizeof r);
        r.k1 = db_col_i64(st, 0);
        r.k2 = db_col_i64(st, 1);
        for (size_t i = 0; i < ncols; i++)
            if (!db_col_is_null(st, (int)(2 + i)))
                r.val[i] = db_col_blob(st, (int)(2 + i), &r.len[i]);
        if ((rc = fn(t, &r, arg)))
            goto out;
        *k1 = r.k1;
        *k2 = r.k2;
        (*rows)++;
    }
out:
    db_done(st);
    return rc;
}

struct count_arg {
    uint32_t id;
    int64_t n;
};

static int
rotation_count_row(const struct rotation_table *t, const struct rotation_row *r, void *arg)
{
    struct count_arg *c = arg;
    for (size_t i = 0; i < rotation_ncols(t); i++) {
        uint32_t id = 0;
        /* a malformed envelope names no key: it is damaged data, not a use of the key */
        if (r->val[i] && field_envelope_parse(r->val[i], r->len[i], &id, NULL) == 0 && id == c->id)
            c->n++;
    }
    return 0;
}

int
rotation_count_key(struct db *db, uint32_t id, int64_t *count)
{
    struct count_arg c = { .id = id };
    int rc = 0;

    for (size_t i = 0; i < rotation_tables_count && !rc; i++) {
        int64_t k1 = INT64_MIN, k2 = INT64_MIN;
        size_t rows = ROTATION_CHUNK_ROWS;
        while (!rc && rows == ROTATION_CHUNK_ROWS)
            rc = rotation_scan(db, &rotation_tables[i], &k1, &k2, ROTATION_CHUNK_ROWS, rotation_count_row, &c,
                               &rows);
    }
    *count = c.n;
    return rc ? rc : rotation_count_macs(db, id, count);
}
