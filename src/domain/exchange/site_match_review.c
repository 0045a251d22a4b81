/* domain/exchange/site_match_review.c - stored runs, their rows beside our figures, a
 * person's review (accept, reject, re-point) and the .xlsx output (R2.11; see
 * site_match.h). */
#include "domain/exchange/site_match.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "core/vec.h"
#include "db/db.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"
#include "domain/testing/site.h"
#include "io/xlsxw.h"

int site_match__set_city_code(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *code);

static const char sql_get[] =
    "SELECT id, created_by, created_at, subdistrict, crs, header_row, rows_total, sites, auto_accepted,"
    " to_review, unmatched FROM site_match_runs WHERE id = ?1";
/* ?3: the start of today (ms) for our figure */
static const char sql_rows[] =
    "SELECT r.num, r.city_code, r.city_name, r.city_district, r.city_subdistrict, r.lon_e6, r.lat_e6,"
    " r.city_count, COALESCE(r.site_id, 0), r.score_milli, COALESCE(r.distance_m, -1), r.reasons, r.status,"
    " r.reviewed_by, COALESCE(s.code, ''), COALESCE(s.name, ''),"
    " (SELECT COALESCE(sum(n), 0) FROM stat_scans x WHERE x.site_id = r.site_id AND x.hour >= ?5)"
    " FROM site_match_rows r LEFT JOIN sites s ON s.id = r.site_id"
    " WHERE r.run_id = ?1 AND (?2 = '' OR r.status = ?2) AND r.num > ?3 ORDER BY r.num LIMIT ?4";
static const char sql_count[] =
    "SELECT count(*) FROM site_match_rows WHERE run_id = ?1 AND (?2 = '' OR status = ?2)";
static const char sql_row[] =
    "SELECT city_code, COALESCE(site_id, 0), status FROM site_match_rows WHERE run_id = ?1 AND num = ?2";
static const char sql_site_by_code[] =
    "SELECT id, subdistrict FROM sites WHERE code = ?1 AND deleted_at = 0";
static const char sql_holder[] =
    "SELECT count(*) FROM site_match_rows WHERE run_id = ?1 AND site_id = ?2 AND num <> ?3"
    " AND status IN ('auto', 'accepted')";
static const char sql_set[] =
    "UPDATE site_match_rows SET site_id = ?3, status = ?4, reviewed_by = ?5, reviewed_at = ?6,"
    " reasons = CASE WHEN ?7 = '' THEN reasons ELSE ?7 END WHERE run_id = ?1 AND num = ?2";
static const char sql_site_city_code[] = "SELECT COALESCE(city_code, '') FROM sites WHERE id = ?1";

int
site_match_run_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                   struct site_match_run_info *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    out->created_by = db_col_arena(st, 1, arena);
    out->created_at = db_col_i64(st, 2);
    out->subdistrict = db_col_arena(st, 3, arena);
    out->crs = db_col_arena(st, 4, arena);
    out->header_row = db_col_i64(st, 5);
    out->rows = db_col_i64(st, 6);
    out->sites = db_col_i64(st, 7);
    out->auto_accepted = db_col_i64(st, 8);
    out->to_review = db_col_i64(st, 9);
    out->unmatched = db_col_i64(st, 10);
    if (a->subdistrict[0] && strcmp(a->subdistrict, out->subdistrict) != 0)
        rc = ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

static void
read_row(struct db_stmt *st, struct arena *arena, struct site_match_row *r)
{
    r->num = db_col_i64(st, 0);
    r->city_code = db_col_arena(st, 1, arena);
    r->city_name = db_col_arena(st, 2, arena);
    r->city_district = db_col_arena(st, 3, arena);
    r->city_subdistrict = db_col_arena(st, 4, arena);
    r->has_pos = !db_col_is_null(st, 5);
    r->lon_e6 = db_col_i64(st, 5);
    r->lat_e6 = db_col_i64(st, 6);
    r->has_count = !db_col_is_null(st, 7);
    r->city_count = db_col_i64(st, 7);
    r->site_id = db_col_i64(st, 8);
    r->score_milli = db_col_i64(st, 9);
    r->distance_m = db_col_i64(st, 10);
    r->reasons = db_col_arena(st, 11, arena);
    r->status = db_col_arena(st, 12, arena);
    r->reviewed_by = db_col_arena(st, 13, arena);
    r->site_code = db_col_arena(st, 14, arena);
    r->site_name = db_col_arena(st, 15, arena);
    r->scans_today = db_col_i64(st, 16);
}

int
site_match_rows(struct db *db, const struct actor *a, int64_t id, const char *status, int64_t after, size_t limit,
                struct arena *arena, struct site_match_row **items, size_t *n, int64_t *total)
{
    struct site_match_run_info info;
    struct site_match_row *out = NULL;
    struct db_stmt *st = NULL;
    size_t cap = 0;
    bool row = false;
    int rc;
    *items = NULL;
    *n = 0;
    *total = 0;
    if (limit < 1 || limit > SITE_MATCH_LIST_MAX)
        return ERR_INVALID;
    if ((rc = site_match_run_get(db, a, id, arena, &info)))
        return rc;
    if ((rc = db_report_page(db, sql_count, sql_rows, id, status, after, limit, total, &st)) ||
        (rc = db_bind_i64(st, 5, site__day_start(time_now_ms()))))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, out, *n, cap);
        memset(&out[*n], 0, sizeof out[*n]);
        read_row(st, arena, &out[(*n)++]);
    }
out:
    db_done(st);
    *items = out;
    return rc;
}

/* row_state reads the row's city code, site and status. */
static int
row_state(struct db *db, int64_t id, int64_t num, struct arena *arena, const char **code, int64_t *site,
          enum site_match_status *status)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql_row, &st);
    if (!rc) rc = db_bind_i64(st, 1, id);
    if (!rc) rc = db_bind_i64(st, 2, num);
    if (!rc) rc = db_step(st, &row);
    if (!rc && !row)
        rc = ERR_NOT_FOUND;
    if (!rc) {
        *code = db_col_arena(st, 0, arena);
        *site = db_col_i64(st, 1);
        if (site_match_status_parse(db_col_text(st, 2, NULL), status))
            *status = SITE_MATCH_NONE;
    }
    db_done(st);
    return rc;
}

static int
query_i64(struct db *db, const char *sql, int64_t a, int64_t b, int64_t c, int64_t *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &st);
    if (!rc) rc = db_bind_i64(st, 1, a);
    if (!rc && c >= 0) rc = db_bind_i64(st, 2, b);
    if (!rc && c >= 0) rc = db_bind_i64(st, 3, c);
    if (!rc) rc = db_step(st, &row);
    *out = !rc && row ? db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

/* site_by_code finds a live site in a's scope. */
static int
site_by_code(struct db *db, const struct actor *a, const char *code, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql_site_by_code, &st);
    if (!rc) rc = db_bind_text(st, 1, code, strlen(code));
    if (!rc) rc = db_step(st, &row);
    if (!rc && (!row || !actor_in_scope(a, db_col_text(st, 1, NULL))))
        rc = ERR_NOT_FOUND;
    if (!rc)
        *id = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

static int
set_row(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t num, int64_t site,
        enum site_match_status status, const char *reasons, const char *detail)
{
    struct db_stmt *st = NULL;
    bool row;
    const char *code = site_match_status_code(status);
    char target[48];
    int rc = db_begin(db);
    if (rc)
        return rc;
    rc = db_prepare(db, sql_set, &st);
    if (!rc) rc = db_bind_i64(st, 1, id);
    if (!rc) rc = db_bind_i64(st, 2, num);
    if (!rc) rc = site ? db_bind_i64(st, 3, site) : db_bind_null(st, 3);
    if (!rc) rc = db_bind_text(st, 4, code, strlen(code));
    if (!rc) rc = db_bind_text(st, 5, a->name, strlen(a->name));
    if (!rc) rc = db_bind_i64(st, 6, time_now_ms());
    if (!rc) rc = db_bind_text(st, 7, reasons, strlen(reasons));
    if (!rc) rc = db_step(st, &row);
    db_done(st);
    snprintf(target, sizeof target, "%lld/%lld", (long long)id, (long long)num);
    if (!rc)
        rc = audit_append(db, &app->keys, a, "site_matches.review", target, "ok", detail);
    if (!rc)
        rc = db_commit(db);
    if (rc)
        db_rollback(db);
    return rc;
}

/* clear_city_code clears site's city_code when it is still city_code (this row's): a
 * rejected or re-pointed pair no longer maps the site. No site or no code: nothing. */
static int
clear_city_code(struct app *app, struct db *db, const struct actor *a, int64_t site, const char *city_code)
{
    struct arena tmp = ARENA_INIT;
    struct db_stmt *st = NULL;
    bool row = false;
    const char *cur = "";
    int rc;
    if (!site || !city_code[0])
        return 0;
    rc = db_prepare(db, sql_site_city_code, &st);
    if (!rc) rc = db_bind_i64(st, 1, site);
    if (!rc) rc = db_step(st, &row);
    if (!rc && row)
        cur = db_col_arena(st, 0, &tmp);
    db_done(st);
    if (!rc && strcmp(cur, city_code) == 0)
        rc = site_match__set_city_code(app, db, a, site, NULL);
    arena_release(&tmp);
    return rc;
}

int
site_match_review(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t num,
                  enum site_match_action action, const char *site_code, struct buf *why)
{
    struct arena arena = ARENA_INIT;
    struct site_match_run_info info;
    enum site_match_status status;
    const char *city_code;
    int64_t site = 0, held = 0, new_site = 0;
    char detail[200];
    int rc;
    if ((rc = site_match_run_get(db, a, id, &arena, &info)) ||
        (rc = row_state(db, id, num, &arena, &city_code, &site, &status)))
        goto out;
    if (action == SITE_MATCH_REJECT) {
        if ((rc = clear_city_code(app, db, a, site, city_code)))
            goto out;
        rc = set_row(app, db, a, id, num, site, SITE_MATCH_REJECTED, "", "action=reject");
        goto out;
    }
    new_site = site;
    if (action == SITE_MATCH_REPOINT) {
        if (!site_code || !site_code[0] || (rc = site_by_code(db, a, site_code, &new_site))) {
            if (why)
                buf_adds(why, "no such site in your scope");
            rc = rc ? rc : ERR_INVALID;
            goto out;
        }
    }
    if (!new_site) {
        if (why)
            buf_adds(why, "the row has no proposed site: re-point it to one");
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = query_i64(db, sql_holder, id, new_site, num, &held)))
        goto out;
    if (held) {
        if (why)
            buf_adds(why, "another accepted row of this run holds that site");
        rc = ERR_CONFLICT;
        goto out;
    }
    if (new_site != site && (rc = clear_city_code(app, db, a, site, city_code)))
        goto out; /* re-pointed: the old site no longer carries the city's code */
    if (city_code[0] && (rc = site_match__set_city_code(app, db, a, new_site, city_code)))
        goto out;
    snprintf(detail, sizeof detail, "action=%s site=%lld", action == SITE_MATCH_ACCEPT ? "accept" : "repoint",
             (long long)new_site);
    rc = set_row(app, db, a, id, num, new_site, SITE_MATCH_ACCEPTED,
                 action == SITE_MATCH_REPOINT ? "人工改派" : "", detail);
out:
    arena_release(&arena);
    return rc;
}

int
site_match_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w)
{
    static const struct str head[] = {
        STR_LIT("行号"), STR_LIT("市点位编码"), STR_LIT("市点位名称"), STR_LIT("所属区"), STR_LIT("所属街道"),
        STR_LIT("区点位编码"), STR_LIT("区点位名称"), STR_LIT("匹配分数"), STR_LIT("距离(米)"),
        STR_LIT("匹配依据"), STR_LIT("状态"),
    };
    struct xlsxw_opts opts = { 0 };
    int rc = xlsxw_open_dest(dest, "matches", &opts, w);
    if (!rc && (rc = xlsxw_header(*w, head, sizeof head / sizeof *head))) {
        xlsxw_free(*w);
        *w = NULL;
    }
    if (!rc) {
        xlsxw_set_width(*w, 2, 28);
        xlsxw_set_width(*w, 6, 28);
        xlsxw_set_width(*w, 9, 48);
    }
    return rc;
}

int
site_match_xlsx_row(struct xlsxw *w, const struct site_match_row *r)
{
    struct xlsxw_cell c[11] = {
        XLSXW_NUMBER_CELL((double)r->num),
        XLSXW_TEXT_CELL(str_of(r->city_code)),
        XLSXW_TEXT_CELL(str_of(r->city_name)),
        XLSXW_TEXT_CELL(str_of(r->city_district)),
        XLSXW_TEXT_CELL(str_of(r->city_subdistrict)),
        XLSXW_TEXT_CELL(str_of(r->site_code)),
        XLSXW_TEXT_CELL(str_of(r->site_name)),
        XLSXW_NUMBER_CELL((double)r->score_milli / 1000.0),
        r->distance_m >= 0 ? XLSXW_NUMBER_CELL((double)r->distance_m) : XLSXW_EMPTY_CELL,
        XLSXW_TEXT_CELL(str_of(r->reasons)),
        XLSXW_TEXT_CELL(str_of(r->status)),
    };
    return xlsxw_row(w, c, 11);
}
