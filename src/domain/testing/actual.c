/* domain/testing/actual.c - actual test counts (实检报送, R2.2) and the reads of their corrections
 * (R1.5, R1.6): the ingest kind (refusing a locked round), the stat_plan counters it
 * feeds, and the reads (district sees original vs corrected side by side, the map's
 * per-subdistrict totals), plus the row helpers the correction workflow shares. The
 * workflow is domain/testing/review.c; planned counts are domain/testing/plan.c. See actual.h.
 */
#include "domain/testing/actual.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/testing/plan.h"

static const char sql_insert[] =
    "INSERT INTO actuals (plan_id, subdistrict, site_id, industry, count, reported_at, source, external_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
#define ACTUAL_SELECT                                                                                       \
    "SELECT a.id, p.plan_no, a.subdistrict, COALESCE(s.code, ''), a.industry, a.source, a.external_id,"     \
    " a.count, a.reported_at,"                                                                              \
    " (SELECT c.corrected FROM actual_corrections c WHERE c.actual_id = a.id AND c.state = 'approved'"     \
    " ORDER BY c.id DESC LIMIT 1),"                                                                         \
    " (SELECT count(*) FROM actual_corrections c WHERE c.actual_id = a.id), a.plan_id,"                    \
    " (SELECT COALESCE(MAX(c.id), 0) FROM actual_corrections c WHERE c.actual_id = a.id"                   \
    " AND c.state = 'proposed')"                                                                            \
    " FROM actuals a JOIN plans p ON p.id = a.plan_id LEFT JOIN sites s ON s.id = a.site_id"
#define ACTUAL_FILTER \
    " WHERE (?1 = '' OR a.subdistrict = ?1) AND (?2 = '' OR p.plan_no = ?2) AND (?3 = '' OR a.subdistrict = ?3)"
static const char sql_list[] = ACTUAL_SELECT ACTUAL_FILTER " AND a.id > ?4 ORDER BY a.id LIMIT ?5";
static const char sql_count[] =
    "SELECT count(*) FROM actuals a JOIN plans p ON p.id = a.plan_id" ACTUAL_FILTER;
static const char sql_get[] = ACTUAL_SELECT " WHERE a.id = ?1";
/* A no-op write that takes the row lock (see site.c) so "the value in effect" read next
 * cannot change under a concurrent correction. */
static const char sql_lock[] = "UPDATE actuals SET count = count WHERE id = ?1";
static const char sql_corrected_add[] =
    "INSERT INTO stat_plan (plan_id, subdistrict, industry, actual_corrected) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (plan_id, subdistrict, industry) DO UPDATE SET"
    " actual_corrected = stat_plan.actual_corrected + excluded.actual_corrected";
static const char sql_corrections[] =
    "SELECT " ACTUAL_CORRECTION_COLS ACTUAL_CORRECTION_FROM " WHERE c.actual_id = ?1 ORDER BY c.id";
static const char sql_exists[] = "SELECT count(*) FROM actuals WHERE source = ?1 AND external_id = ?2";
static const char sql_areas[] =
    "SELECT sp.subdistrict, COALESCE(d.name, ''), sp.planned, sp.actual_reported, sp.actual_corrected, sp.sampled,"
    " (SELECT count(*) FROM sites s WHERE s.subdistrict = sp.subdistrict AND s.deleted_at = 0),"
    " (SELECT CAST(SUM(s.lon_e6) / COUNT(*) AS BIGINT) FROM sites s WHERE s.subdistrict = sp.subdistrict"
    " AND s.deleted_at = 0),"
    " (SELECT CAST(SUM(s.lat_e6) / COUNT(*) AS BIGINT) FROM sites s WHERE s.subdistrict = sp.subdistrict"
    " AND s.deleted_at = 0)"
    " FROM stat_plan sp LEFT JOIN divisions d ON d.code = sp.subdistrict"
    " WHERE sp.plan_id = ?2 AND sp.industry = '' AND (?1 = '' OR sp.subdistrict = ?1) ORDER BY sp.subdistrict";

/* The ingest kind ------------------------------------------------------------------------- */

struct actual_rec {
    const char *source, *external_id, *plan_no, *subdistrict, *site_code, *industry;
    int64_t count, reported_at;
};

static int
actual_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct actual_rec *r = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "plan_no", "subdistrict", "site_code",
                                         "industry", "count", "reported_at", NULL };
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_code(obj, "plan_no", true, 32, &r->plan_no, out)) ||
        (rc = ingest_subdistrict(ing, obj, "subdistrict", true, &r->subdistrict, out)) ||
        (rc = ingest_in_scope(ing, "subdistrict", r->subdistrict, out)) ||
        (rc = ingest_code(obj, "site_code", false, 32, &r->site_code, out)) ||
        (rc = ingest_code(obj, "industry", false, 8, &r->industry, out)) ||
        (rc = ingest_int(obj, "count", true, 0, PLAN_COUNT_MAX, &r->count, out)) ||
        (rc = ingest_time(obj, "reported_at", true, ingest_now(ing), &r->reported_at, out)))
        return rc;
    if (r->industry && (rc = plan__check_industry(ing, "industry", r->industry, out)))
        return rc;
    return 0;
}

static int
actual_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct actual_rec *r = rec;
    struct ingest_site site = { 0 };
    struct db_stmt *st = NULL;
    int64_t plan_id = 0;
    bool locked = false;
    int rc;

    if ((rc = plan__check(ing, "plan_no", r->plan_no, r->subdistrict, &plan_id, &locked, out)))
        return rc;
    if (locked)
        return plan__refuse_locked(ing, sql_exists, r->source, r->external_id, r->plan_no, out);
    if (r->site_code) {
        if ((rc = ingest_site(ing, "site_code", r->site_code, &site, out)))
            return rc;
        if (strcmp(site.subdistrict, r->subdistrict))
            return ingest_reject(out, "site_code", "'site_code' is not a site of 'subdistrict'");
    }
    if ((rc = db_prepare(ingest_db(ing), sql_insert, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
        (rc = db_bind_str(st, 2, r->subdistrict)) ||
        (rc = site.id ? db_bind_i64(st, 3, site.id) : db_bind_null(st, 3)) ||
        (rc = db_bind_str(st, 4, r->industry)) || (rc = db_bind_i64(st, 5, r->count)) ||
        (rc = db_bind_i64(st, 6, r->reported_at)) || (rc = db_bind_str(st, 7, r->source)) ||
        (rc = db_bind_str(st, 8, r->external_id)) || (rc = ingest_insert_step(st, out)))
        goto out;
    if ((rc = plan__count(ing, plan_id, r->subdistrict, r->industry, STAT_ACTUAL_REPORTED, r->count)) ||
        (rc = plan__count(ing, plan_id, r->subdistrict, r->industry, STAT_ACTUAL_CORRECTED, r->count)))
        goto out;
    rc = plan__tally_add(ing, ingest_state(ing), r->plan_no, r->subdistrict, r->count);
out:
    db_done(st);
    return rc;
}

static int
actual_finish(struct ingest *ing)
{
    return plan__tally_flush(ing, ingest_state(ing), "actuals", "reported");
}

const struct ingest_kind actual_kind = {
    .name = "actuals",
    .record_size = sizeof(struct actual_rec),
    .state_size = sizeof(struct plan__tally),
    .parse = actual_parse,
    .store = actual_store,
    .finish = actual_finish,
};

/* Reads ------------------------------------------------------------------------------------ */

/* actual_read_row reads ACTUAL_SELECT's columns; *plan_id (may be NULL) gets the plan id. */
static void
actual_read_row(struct db_stmt *st, struct arena *arena, struct actual *x, int64_t *plan_id)
{
    x->id = db_col_i64(st, 0);
    x->plan_no = db_col_arena(st, 1, arena);
    x->subdistrict = db_col_arena(st, 2, arena);
    x->site_code = db_col_arena(st, 3, arena);
    x->industry = db_col_arena(st, 4, arena);
    x->source = db_col_arena(st, 5, arena);
    x->external_id = db_col_arena(st, 6, arena);
    x->count = db_col_i64(st, 7);
    x->reported_at = db_col_i64(st, 8);
    x->corrected = db_col_is_null(st, 9) ? x->count : db_col_i64(st, 9);
    x->corrections = db_col_i64(st, 10);
    if (plan_id)
        *plan_id = db_col_i64(st, 11);
    x->pending = db_col_i64(st, 12);
}

static int
actual_bind_filter(struct db_stmt *st, const struct actor *a, const struct actual_query *q)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->plan_no)))
        return rc;
    return db_bind_str(st, 3, q->subdistrict);
}

int
actual_list(struct db *db, const struct actor *a, const struct actual_query *q, struct arena *arena,
            struct actual **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    size_t limit = q->limit && q->limit <= ACTUAL_LIST_MAX ? q->limit : ACTUAL_LIST_MAX, count = 0;
    struct actual *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = actual_bind_filter(st, a, q)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = actual_bind_filter(st, a, q)) ||
        (rc = db_bind_i64(st, 4, q->after)) || (rc = db_bind_i64(st, 5, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        actual_read_row(st, arena, &out[count++], NULL);
    *n = count;
out:
    db_done(st);
    return rc;
}

int
actual__read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *out,
            int64_t *plan_id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_get, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row))) {
        if (row)
            actual_read_row(st, arena, out, plan_id);
        if (!row || !actor_in_scope(a, out->subdistrict))
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    return rc;
}

int
actual_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *out)
{
    return actual__read(db, a, id, arena, out, NULL);
}

int
actual_corrections(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *report,
                   struct actual_correction **items, size_t *n)
{
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 8;
    struct actual_correction *out;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    if ((rc = actual__read(db, a, id, arena, report, NULL)))
        return rc;
    out = arena_alloc(arena, cap * sizeof *out);
    if ((rc = db_prepare(db, sql_corrections, &st)) || (rc = db_bind_i64(st, 1, id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, count, cap);
        actual__correction_read_row(st, arena, &out[count++]);
    }
    if (!rc) {
        *items = out;
        *n = count;
    }
out:
    db_done(st);
    return rc;
}

/* Shared with review.c ---------------------------------------------------------------------- */

void
actual__correction_read_row(struct db_stmt *st, struct arena *arena, struct actual_correction *c)
{
    c->id = db_col_i64(st, 0);
    c->actual_id = db_col_i64(st, 1);
    c->plan_no = db_col_arena(st, 2, arena);
    c->subdistrict = db_col_arena(st, 3, arena);
    c->industry = db_col_arena(st, 4, arena);
    c->original = db_col_i64(st, 5);
    c->corrected = db_col_i64(st, 6);
    c->reason = db_col_arena(st, 7, arena);
    c->actor = db_col_arena(st, 8, arena);
    c->corrected_at = db_col_i64(st, 9);
    c->state = db_col_arena(st, 10, arena);
    c->decided_by = db_col_arena(st, 11, arena);
    c->comment = db_col_arena(st, 12, arena);
    c->decided_at = db_col_i64(st, 13);
}

int
actual__lock(struct db *db, int64_t id)
{
    return ingest_lock_row(db, sql_lock, id);
}

static int
actual_corrected_add1(struct db *db, int64_t plan_id, const char *subdistrict, const char *industry, int64_t delta)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (!(rc = db_prepare(db, sql_corrected_add, &st)) && !(rc = db_bind_i64(st, 1, plan_id)) &&
        !(rc = db_bind_str(st, 2, subdistrict)) && !(rc = db_bind_str(st, 3, industry)) &&
        !(rc = db_bind_i64(st, 4, delta)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
actual__corrected_add(struct db *db, int64_t plan_id, const char *subdistrict, const char *industry, int64_t delta)
{
    int rc = 0;
    if (delta && !(rc = actual_corrected_add1(db, plan_id, subdistrict, industry, delta)) && industry[0])
        rc = actual_corrected_add1(db, plan_id, subdistrict, "", delta);
    return rc;
}

/* The map's per-subdistrict totals ------------------------------------------------------------ */

int
actual_areas(struct db *db, const struct actor *a, int64_t plan_id, struct arena *arena, struct actual_area **items,
             size_t *n)
{
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 32;
    struct actual_area *out = arena_alloc(arena, cap * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    if ((rc = db_prepare(db, sql_areas, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_i64(st, 2, plan_id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct actual_area *x;
        VEC_ARENA_ROOM(arena, out, count, cap);
        x = &out[count++];
        x->subdistrict = db_col_arena(st, 0, arena);
        x->name = db_col_arena(st, 1, arena);
        x->planned = db_col_i64(st, 2);
        x->reported = db_col_i64(st, 3);
        x->corrected = db_col_i64(st, 4);
        x->sampled = db_col_i64(st, 5);
        x->sites = db_col_i64(st, 6);
        x->lon_e6 = db_col_i64(st, 7);
        x->lat_e6 = db_col_i64(st, 8);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}
