/* domain/exchange/emergency_import.c - the bureau's figures from .xlsx/.csv (see
 * emergency_import.h). */
#include "domain/exchange/emergency_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/str.h"
#include "domain/places/text_norm.h"

enum em_field { F_NAME, F_PLAN_NO, F_PLAN_NAME, F_PLANNED, F_ACTUAL, F_DIFF, F_START, F_RECEIVED, F__COUNT };

static const char *const em_field_key[F__COUNT] = { "name", "plan_no", "plan_name", "planned", "actual",
                                                     "difference", "start_time", "received_time" };

static const struct {
    enum em_field f;
    const char *names; /* '|'-separated, normalised */
} em_heads[] = {
    { F_PLAN_NO, "|计划编号|计划号|方案编号|" },       { F_PLAN_NAME, "|计划名称|方案名称|" },
    { F_PLANNED, "|计划|计划数|计划人数|应检|应检人数|应检数|" },
    { F_ACTUAL, "|实际|实际数|实际人数|实检|实检人数|实检数|" },
    { F_DIFF, "|差值|差额|未检|" },                     { F_START, "|开始时间|" },
    { F_RECEIVED, "|接诉时间|接收时间|" },
};
static const char em_sub_names[] = "|街道|街道名称|街乡|街乡镇|街道办事处|";
static const char em_ind_names[] = "|行业|行业名称|行业类别|所属行业|";

#define EM_IND_COLS 64

struct em_cols {
    int col[F__COUNT];
    int ind_col[EM_IND_COLS];
    const char *ind_name[EM_IND_COLS];
    size_t nind;
    enum emergency_layout layout;
};

static bool
em_in(const char *list, const char *norm)
{
    size_t n = strlen(norm);
    if (strchr(norm, '|'))
        return false;
    for (const char *p = list; n && (p = strstr(p, norm)); p++)
        if (p > list && p[-1] == '|' && p[n] == '|')
            return true;
    return false;
}

/* em_header tries row as the header row; true when it names a name and an actual column. */
static bool
em_header(const struct table_row *row, const char *const *ind, size_t nind, struct em_cols *c)
{
    char norm[160];
    for (int f = 0; f < F__COUNT; f++)
        c->col[f] = -1;
    c->nind = 0;
    for (size_t i = 0; i < row->ncells && i < TABLE_MAX_COLS; i++) {
        text_norm(row->cells[i], TEXT_NORM_HEADER, norm, sizeof norm, NULL);
        if (!norm[0])
            continue;
        if (c->col[F_NAME] < 0 && (em_in(em_sub_names, norm) || em_in(em_ind_names, norm))) {
            c->col[F_NAME] = (int)i;
            c->layout = em_in(em_sub_names, norm) ? EMERGENCY_BY_SUBDISTRICT : EMERGENCY_BY_INDUSTRY;
            continue;
        }
        bool known = false;
        for (size_t h = 0; h < sizeof em_heads / sizeof em_heads[0] && !known; h++)
            if (em_in(em_heads[h].names, norm)) {
                known = true;
                if (c->col[em_heads[h].f] < 0)
                    c->col[em_heads[h].f] = (int)i;
            }
        for (size_t k = 0; k < nind && !known && c->nind < EM_IND_COLS; k++)
            if (!strcasecmp(ind[k], norm)) {
                c->ind_col[c->nind] = (int)i;
                c->ind_name[c->nind++] = ind[k];
                known = true;
            }
    }
    if (c->layout == EMERGENCY_BY_INDUSTRY)
        c->nind = 0;
    return c->col[F_NAME] >= 0 && c->col[F_ACTUAL] >= 0;
}

static struct str
em_cell(const struct table_row *row, int col)
{
    return col >= 0 && (size_t)col < row->ncells ? str_trim(row->cells[col]) : (struct str){ "", 0 };
}

/* em_count reads "1,234", "1234", "1234.0" (and "" as absent). */
static int
em_count(struct str s, bool negative_ok, json_t **out)
{
    char buf[32];
    size_t n = 0;
    int64_t v;
    *out = NULL;
    if (!s.n)
        return 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == ',')
            continue;
        if (n + 1 >= sizeof buf)
            return ERR_INVALID;
        buf[n++] = s.p[i];
    }
    buf[n] = '\0';
    char *dot = strchr(buf, '.');
    if (dot) {
        for (char *q = dot + 1; *q; q++)
            if (*q != '0')
                return ERR_INVALID;
        *dot = '\0';
    }
    if (cstr_to_i64(buf, &v, negative_ok ? -100000000LL : 0, 100000000LL))
        return ERR_INVALID;
    *out = json_integer(v);
    return 0;
}

static bool
em_total_line(struct str name)
{
    return str_eq_cstr(name, "合计") || str_eq_cstr(name, "总计") || str_eq_cstr(name, "小计");
}

/* em_row turns one data row into an ingest object; NULL with *reason when rejected. */
static json_t *
em_row(const struct table_row *row, const struct em_cols *c, const char *default_plan, const char **reason)
{
    json_t *o = json_object(), *v;
    struct str s;
    *reason = NULL;
    for (int f = 0; f < F__COUNT && !*reason; f++) {
        s = em_cell(row, c->col[f]);
        if (f == F_PLAN_NO && !s.n && default_plan && *default_plan)
            s = str_of(default_plan);
        if (!s.n) {
            if (f == F_NAME || f == F_PLAN_NO || f == F_PLANNED || f == F_ACTUAL)
                *reason = f == F_NAME      ? "the name is empty"
                          : f == F_PLAN_NO ? "no plan number (column or --plan)"
                                           : "a planned or actual count is empty";
            continue;
        }
        if (f == F_PLANNED || f == F_ACTUAL || f == F_DIFF) {
            if (em_count(s, f == F_DIFF, &v))
                *reason = "a count is not a whole number from 0 to 100000000";
            else
                json_object_set_new(o, em_field_key[f], v);
        } else if (s.n > (f == F_PLAN_NAME ? EMERGENCY_TEXT_MAX : EMERGENCY_NAME_MAX) || !str_is_utf8(s.p, s.n) ||
                   str_has_ctl(s.p, s.n) || memchr(s.p, '\0', s.n)) {
            *reason = "a text cell is too long or holds control characters";
        } else {
            json_object_set_new(o, em_field_key[f], json_stringn(s.p, s.n));
        }
    }
    for (size_t k = 0; k < c->nind && !*reason; k++) {
        if (em_count(em_cell(row, c->ind_col[k]), false, &v))
            *reason = "an industry count is not a whole number";
        else if (v) {
            json_t *ic = json_object_get(o, "industry_counts");
            if (!ic)
                json_object_set_new(o, "industry_counts", ic = json_object());
            json_object_set_new(ic, c->ind_name[k], v);
        }
    }
    if (!*reason)
        return o;
    json_decref(o);
    return NULL;
}

static void
em_report(struct emergency_sheet *s, const struct table_row *row, const struct em_cols *c, const char *status,
          const char *reason)
{
    struct str name = em_cell(row, c->col[F_NAME]);
    if (name.n > EMERGENCY_NAME_MAX || !str_is_utf8(name.p, name.n))
        name = (struct str){ "", 0 };
    json_array_append_new(s->report, json_pack("{s:I, s:s, s:s%, s:s}", "row", (json_int_t)row->num, "status", status,
                                               "name", name.p, name.n, "reason", reason ? reason : ""));
}

int
emergency_sheet_read(struct table *t, const char *const *industry_names, size_t n, const char *default_plan,
                     struct emergency_sheet *out, struct buf *why)
{
    struct table_row row;
    struct em_cols c;
    size_t seen = 0;
    bool have = false;
    int rc;

    memset(out, 0, sizeof *out);
    out->rows = json_array();
    out->report = json_array();
    memset(&c, 0, sizeof c);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (!have) {
            if (++seen > 5)
                break;
            if ((have = em_header(&row, industry_names, n, &c)))
                out->header_row = row.num, out->layout = c.layout;
            continue;
        }
        const char *reason;
        struct em_cols probe = c;
        struct str name = em_cell(&row, c.col[F_NAME]);
        if (em_header(&row, industry_names, n, &probe))
            continue; /* a repeated header row */
        if (out->accepted + out->rejected + out->skipped >= EMERGENCY_SHEET_ROWS_MAX) {
            buf_printf(why, "more than %d data rows", EMERGENCY_SHEET_ROWS_MAX);
            return ERR_INVALID;
        }
        if (em_total_line(name)) {
            em_report(out, &row, &c, "skipped", "a total line");
            out->skipped++;
            continue;
        }
        json_t *o = em_row(&row, &c, default_plan, &reason);
        if (o) {
            json_array_append_new(out->rows, o);
            out->accepted++;
        } else {
            out->rejected++;
        }
        em_report(out, &row, &c, o ? "accepted" : "rejected", reason);
    }
    if (rc) {
        buf_adds(why, table_message(t));
        return rc;
    }
    if (!have) {
        buf_adds(why, "no header row naming 街道 or 行业 and 实际/实检 in the first 5 rows");
        return ERR_INVALID;
    }
    return 0;
}

void
emergency_sheet_release(struct emergency_sheet *s)
{
    json_decref(s->rows);
    json_decref(s->report);
    s->rows = s->report = NULL;
}

/* em_industries loads the industries' names and codes (strings in *store). */
static int
em_industries(struct db *db, json_t **store)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, "SELECT code, name FROM industries ORDER BY code", &st);
    *store = json_array();
    while (!rc && !(rc = db_step(st, &row)) && row) {
        json_array_append_new(*store, json_string(db_col_text(st, 1, NULL)));
        json_array_append_new(*store, json_string(db_col_text(st, 0, NULL)));
    }
    db_done(st);
    return rc;
}

/* em_import_table stores the accepted rows of t (owned by the caller) as emergency_import says. */
static int
em_import_table(struct app *app, struct db *db, const struct actor *a, struct table *t, const char *source,
                const char *default_plan, struct emergency_sheet *out, struct emergency_result *res,
                struct buf *why)
{
    json_t *store = NULL, *plans = json_object(), *group, *r;
    const char **names = NULL, *plan;
    size_t n = 0, i;
    int rc;

    if ((rc = em_industries(db, &store)))
        goto done;
    n = json_array_size(store);
    if (!(names = calloc(n ? n : 1, sizeof *names))) {
        rc = ERR_INTERNAL;
        goto done;
    }
    for (i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(store, i));
    if ((rc = emergency_sheet_read(t, names, n, default_plan, out, why)))
        goto done;
    json_array_foreach(out->rows, i, r) {
        plan = json_string_value(json_object_get(r, "plan_no"));
        if (!(group = json_object_get(plans, plan)))
            json_object_set_new(plans, plan, group = json_array());
        json_array_append(group, r);
    }
    json_object_foreach(plans, plan, group) {
        struct emergency_result one;
        if ((rc = emergency_ingest(app, db, a, out->layout, source, group, &one, why)))
            break;
        res->inserted += one.inserted;
        res->updated += one.updated;
        res->unchanged += one.unchanged;
    }
done:
    free(names);
    json_decref(store);
    json_decref(plans);
    return rc;
}

int
emergency_import(struct app *app, struct db *db, const struct actor *a, const char *path, const char *source,
                 const char *default_plan, struct emergency_sheet *out, struct emergency_result *res,
                 struct buf *why)
{
    struct table *t = NULL;
    int rc;

    memset(res, 0, sizeof *res);
    memset(out, 0, sizeof *out);
    if (!(rc = table_open_path(path, &t, why)))
        rc = em_import_table(app, db, a, t, source, default_plan, out, res, why);
    table_close(t);
    return rc;
}

/* em_import_open is emergency_import over the file read through src, else p[0..n). */
static int
em_import_open(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src, const void *p,
               size_t n, const char *source, const char *default_plan, struct emergency_sheet *out,
               struct emergency_result *res, struct buf *why)
{
    struct table *t = NULL;
    int rc;

    memset(res, 0, sizeof *res);
    memset(out, 0, sizeof *out);
    if (!(rc = src ? table_open_reader(src, &t, why) : table_open_mem(p, n, &t, why)))
        rc = em_import_table(app, db, a, t, source, default_plan, out, res, why);
    table_close(t);
    return rc;
}

int
emergency_import_data(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                      const char *source, const char *default_plan, struct emergency_sheet *out,
                      struct emergency_result *res, struct buf *why)
{
    return em_import_open(app, db, a, NULL, p, n, source, default_plan, out, res, why);
}

int
emergency_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                      const char *source, const char *default_plan, struct emergency_sheet *out,
                      struct emergency_result *res, struct buf *why)
{
    return em_import_open(app, db, a, src, NULL, 0, source, default_plan, out, res, why);
}
