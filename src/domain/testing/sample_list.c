/* domain/testing/sample_list.c - reading sampling scans back (R1.2: the scan records behind a
 * count, by site, community, subdistrict and time): masked ID number and name, tube, time,
 * collector, site. Not the personal lookup (person.h, by ID number) and not the ingest
 * (sample.c). Scope: a subdistrict actor reads its own subdistrict's samples only.
 */
#include "domain/testing/sample.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "domain/testing/person.h"

#define SAMPLE_FROM                                                                                          \
    " FROM samples s JOIN sites t ON t.id = s.site_id LEFT JOIN plans p ON p.id = s.plan_id"                 \
    " WHERE s.deleted_at = 0 AND (?1 = '' OR s.subdistrict = ?1) AND (?2 = '' OR t.code = ?2)"               \
    " AND (?3 = '' OR s.community = ?3) AND (?4 = 0 OR s.collected_at >= ?4) AND (?5 = 0 OR s.collected_at < ?5)"
static const char sql_count[] = "SELECT count(*)" SAMPLE_FROM;
static const char sql_list[] =
    "SELECT s.id, s.id_number, s.name, s.collector, s.tube_code, s.collected_at, s.mix_size, s.mix_index, t.code,"
    " t.name, s.subdistrict, COALESCE(s.community, ''), COALESCE(p.plan_no, '')" SAMPLE_FROM
    " AND s.id > ?6 ORDER BY s.id LIMIT ?7";

/* sample_open opens sealed column col into buf (cap bytes); false when absent or broken. */
static bool
sample_open(const struct app *app, struct db_stmt *st, int col, const char *ad, char *buf, size_t cap)
{
    size_t n = 0, len = 0;
    const void *blob = db_col_blob(st, col, &n);
    buf[0] = '\0';
    if (!blob || n < FIELD_OVERHEAD || n - FIELD_OVERHEAD + 1 > cap)
        return false;
    if (field_open(&app->keys, ad, blob, n, (uint8_t *)buf, cap, &len)) {
        buf[0] = '\0';
        return false;
    }
    buf[len] = '\0';
    return true;
}

/* sample_person fills the personal fields of r from the row, masked unless reveal. */
static void
sample_person(const struct app *app, struct db_stmt *st, bool reveal, struct arena *arena, struct sample_row *r)
{
    char plain[256], masked[256];

    if (sample_open(app, st, 1, "samples.id_number", plain, sizeof plain) && strlen(plain) == IDNO_LEN) {
        if (reveal)
            str_copy(r->id_number, sizeof r->id_number, plain);
        else
            idno_mask(plain, r->id_number);
    }
    wipe(plain, sizeof plain);
    const char *ads[2] = { "samples.name", "samples.collector" };
    const char **outs[2] = { &r->name, &r->collector };
    for (int i = 0; i < 2; i++) {
        *outs[i] = "";
        if (sample_open(app, st, i + 2, ads[i], plain, sizeof plain)) {
            if (!reveal)
                person_mask_name(plain, masked, sizeof masked);
            *outs[i] = arena_strdup(arena, reveal ? plain : masked);
        }
        wipe(plain, sizeof plain);
    }
}

static int
sample_bind_filter(struct db_stmt *st, const char *scope, const struct sample_query *q)
{
    int rc;
    if ((rc = db_bind_str(st, 1, scope)) || (rc = db_bind_str(st, 2, q->site_code)) ||
        (rc = db_bind_str(st, 3, q->community)) || (rc = db_bind_i64(st, 4, q->from)))
        return rc;
    return db_bind_i64(st, 5, q->to);
}

int
sample_list(struct app *app, struct db *db, const struct actor *a, const struct sample_query *q,
            struct arena *arena, struct sample_row **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    size_t limit = q->limit && q->limit <= SAMPLE_LIST_MAX ? q->limit : SAMPLE_LIST_MAX, count = 0;
    struct sample_row *out = arena_alloc(arena, limit * sizeof *out);
    const char *scope = NULL;
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = actor_scope(a, q->subdistrict, &scope)))
        return rc;
    if (q->reveal && !actor_can(a, PERM_BIT_PII_REVEAL))
        return ERR_FORBIDDEN;
    if (!q->no_total) {
        if ((rc = db_prepare(db, sql_count, &st)) || (rc = sample_bind_filter(st, scope, q)) ||
            (rc = db_step(st, &row)))
            goto out;
        *total = row ? db_col_i64(st, 0) : 0;
        db_done(st);
        st = NULL;
    }
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = sample_bind_filter(st, scope, q)) ||
        (rc = db_bind_i64(st, 6, q->after)) || (rc = db_bind_i64(st, 7, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit) {
        struct sample_row *r = &out[count++];
        memset(r, 0, sizeof *r);
        r->id = db_col_i64(st, 0);
        sample_person(app, st, q->reveal, arena, r);
        r->tube_code = db_col_arena(st, 4, arena);
        r->collected_at = db_col_i64(st, 5);
        r->mix_size = db_col_i64(st, 6);
        r->mix_index = db_col_i64(st, 7);
        r->site_code = db_col_arena(st, 8, arena);
        r->site_name = db_col_arena(st, 9, arena);
        r->subdistrict = db_col_arena(st, 10, arena);
        r->community = db_col_arena(st, 11, arena);
        r->plan_no = db_col_arena(st, 12, arena);
    }
    *n = count;
out:
    db_done(st);
    return rc;
}
