/* domain/testing/progress.c - planned vs actual of one round by subdistrict, community or
 * industry (R1.4-R1.6): three static queries (counters where they exist, the plan's own
 * planned and actual rows for communities) and the difference and completion computed
 * from them. See progress.h.
 */
#include "domain/testing/progress.h"

#include <string.h>

#include "core/err.h"
#include "core/vec.h"
#include "db/db_value.h"

#define PROGRESS_SUB_NAME(col) "COALESCE((SELECT d.name FROM divisions d WHERE d.code = " col "), '')"

/* ?1 = the actor's subdistrict ('' = all), ?2 = the plan id. */
static const char sql_by_subdistrict[] =
    "SELECT p.subdistrict, " PROGRESS_SUB_NAME("p.subdistrict") ", '', '', p.planned, p.actual_reported,"
    " p.actual_corrected, p.sampled FROM stat_plan p"
    " WHERE p.plan_id = ?2 AND p.industry = '' AND (?1 = '' OR p.subdistrict = ?1)"
    " AND (p.planned <> 0 OR p.actual_reported <> 0 OR p.actual_corrected <> 0 OR p.sampled <> 0)"
    " ORDER BY p.subdistrict";
static const char sql_by_industry[] =
    "SELECT p.subdistrict, " PROGRESS_SUB_NAME("p.subdistrict") ", p.industry,"
    " COALESCE((SELECT i.name FROM industries i WHERE i.code = p.industry), ''), p.planned, p.actual_reported,"
    " p.actual_corrected, -1 FROM stat_plan p"
    " WHERE p.plan_id = ?2 AND p.industry <> '' AND (?1 = '' OR p.subdistrict = ?1)"
    " AND (p.planned <> 0 OR p.actual_reported <> 0 OR p.actual_corrected <> 0)"
    " ORDER BY p.subdistrict, p.industry";
/* An actual report counts under its site's community; its effective value is its last
 * approved correction, else its count (actual.h). */
static const char sql_by_community[] =
    "SELECT t.subdistrict, " PROGRESS_SUB_NAME("t.subdistrict") ", t.community, " PROGRESS_SUB_NAME("t.community") ","
    " CAST(SUM(t.planned) AS BIGINT), CAST(SUM(t.reported) AS BIGINT), CAST(SUM(t.corrected) AS BIGINT),"
    " CAST(SUM(t.sampled) AS BIGINT) FROM ("
    " SELECT x.subdistrict, x.community, x.count AS planned, 0 AS reported, 0 AS corrected, 0 AS sampled"
    " FROM planned x WHERE x.plan_id = ?2 AND (?1 = '' OR x.subdistrict = ?1)"
    " UNION ALL SELECT a.subdistrict, COALESCE(s.community, ''), 0, a.count,"
    " COALESCE((SELECT c.corrected FROM actual_corrections c WHERE c.actual_id = a.id AND c.state = 'approved'"
    " ORDER BY c.id DESC LIMIT 1), a.count), 0"
    " FROM actuals a LEFT JOIN sites s ON s.id = a.site_id WHERE a.plan_id = ?2 AND (?1 = '' OR a.subdistrict = ?1)"
    " UNION ALL SELECT n.subdistrict, n.community, 0, 0, 0, n.n"
    " FROM stat_scans n WHERE n.plan_id = ?2 AND (?1 = '' OR n.subdistrict = ?1)"
    ") t GROUP BY t.subdistrict, t.community"
    " HAVING SUM(t.planned) <> 0 OR SUM(t.reported) <> 0 OR SUM(t.corrected) <> 0 OR SUM(t.sampled) <> 0"
    " ORDER BY t.subdistrict, t.community";

int
progress_parse_by(const char *s, enum progress_by *by)
{
    if (!s || !*s || !strcmp(s, "subdistrict"))
        *by = PROGRESS_SUBDISTRICT;
    else if (!strcmp(s, "community"))
        *by = PROGRESS_COMMUNITY;
    else if (!strcmp(s, "industry"))
        *by = PROGRESS_INDUSTRY;
    else
        return ERR_INVALID;
    return 0;
}

const char *
progress_basis(enum progress_by by)
{
    return by == PROGRESS_INDUSTRY ? "corrected" : "sampled";
}

int
plan_progress(struct db *db, const struct actor *a, int64_t plan_id, enum progress_by by, struct arena *arena,
              struct progress_row **items, size_t *n)
{
    static const char *const sql[] = { sql_by_subdistrict, sql_by_community, sql_by_industry };
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 32;
    struct progress_row *out = arena_alloc(arena, cap * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    if ((rc = db_prepare(db, sql[by], &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_i64(st, 2, plan_id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct progress_row *r;
        int64_t basis;
        VEC_ARENA_ROOM(arena, out, count, cap);
        r = &out[count++];
        r->subdistrict = db_col_arena(st, 0, arena);
        r->subdistrict_name = db_col_arena(st, 1, arena);
        r->code = db_col_arena(st, 2, arena);
        r->name = db_col_arena(st, 3, arena);
        r->planned = db_col_i64(st, 4);
        r->reported = db_col_i64(st, 5);
        r->corrected = db_col_i64(st, 6);
        r->sampled = db_col_i64(st, 7);
        basis = by == PROGRESS_INDUSTRY ? r->corrected : r->sampled;
        r->difference = r->planned - basis;
        r->completion_bp = r->planned > 0 ? basis * 10000 / r->planned : 0;
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}
