/* domain/exchange/emergency_compare.c - our figures in the emergency bureau's layout, side by
 * side with theirs (R2.8, R2.9; see emergency.h). Ours come from the counters (stat_plan). */
#include "domain/exchange/emergency.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/testing/plan.h"

static const char sql_ours_sub[] =
    "SELECT p.subdistrict, p.industry, COALESCE(CAST(SUM(p.planned) AS BIGINT), 0),"
    " COALESCE(CAST(SUM(p.actual_corrected) AS BIGINT), 0) FROM stat_plan p WHERE p.plan_id = ?1"
    " AND (?2 = '' OR p.subdistrict = ?2) GROUP BY p.subdistrict, p.industry ORDER BY p.subdistrict, p.industry";
static const char sql_ours_ind[] =
    "SELECT p.industry, '', COALESCE(CAST(SUM(p.planned) AS BIGINT), 0),"
    " COALESCE(CAST(SUM(p.actual_corrected) AS BIGINT), 0) FROM stat_plan p WHERE p.plan_id = ?1"
    " AND (?2 = '' OR p.subdistrict = ?2) AND p.industry <> '' GROUP BY p.industry ORDER BY p.industry";
static const char sql_theirs[] =
    "SELECT name, code, plan_name, planned, actual, difference, started_at, received_at, industry_counts, source,"
    " updated_at FROM emergency_figures WHERE plan_no = ?1 AND layout = ?2 AND (?3 = '' OR code = ?3)"
    " ORDER BY code, name";
static const char sql_div_names[] = "SELECT code, name FROM divisions WHERE level = 2";
static const char sql_ind_names[] = "SELECT code, name FROM industries";

/* em_names loads code -> name of sql into a new object. */
static int
em_names(struct db *db, const char *sql, json_t **out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &st);
    *out = json_object();
    while (!rc && !(rc = db_step(st, &row)) && row)
        json_object_set_new(*out, db_col_text(st, 0, NULL), json_string(db_col_text(st, 1, NULL)));
    db_done(st);
    return rc;
}

/* em_row_for returns the row of key in rows, creating it with ours all zero. */
static json_t *
em_row_for(json_t *rows, const char *key, const char *code, const char *name, const struct plan *pl,
           const char *plan_no, int64_t now, enum emergency_layout layout)
{
    json_t *r = json_object_get(rows, key);
    if (r)
        return r;
    r = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:n, s:n, s:b}", "code", code, "name", name,
                  "plan_no", plan_no, "plan_name", pl ? pl->name : "", "start_time", (json_int_t)(pl ? pl->starts_at : 0),
                  "received_time", (json_int_t)now, "planned", (json_int_t)0, "actual", (json_int_t)0, "difference",
                  (json_int_t)0, "theirs", "delta", "mismatch", 0);
    if (r && layout == EMERGENCY_BY_SUBDISTRICT)
        json_object_set_new(r, "industry_counts", json_object());
    json_object_set_new(rows, key, r);
    return r;
}

static void
em_add(json_t *o, const char *k, int64_t v)
{
    json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + v));
}

/* em_ours adds our counters of plan pl (scope sub) to rows. */
static int
em_ours(struct db *db, enum emergency_layout layout, const struct plan *pl, const char *sub, json_t *names,
        json_t *ind_names, json_t *rows, int64_t now)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, layout == EMERGENCY_BY_SUBDISTRICT ? sql_ours_sub : sql_ours_ind, &st);
    if (!rc && !(rc = db_bind_i64(st, 1, pl->id)))
        rc = db_bind_text(st, 2, sub, strlen(sub));
    while (!rc && !(rc = db_step(st, &row)) && row) {
        const char *code = db_col_text(st, 0, NULL), *ind = db_col_text(st, 1, NULL);
        const char *name = json_string_value(json_object_get(names, code));
        json_t *r = em_row_for(rows, code, code, name ? name : code, pl, pl->plan_no, now, layout);
        int64_t planned = db_col_i64(st, 2), actual = db_col_i64(st, 3);
        if (!r)
            rc = ERR_INTERNAL;
        else if (*ind) {
            const char *iname = json_string_value(json_object_get(ind_names, ind));
            json_object_set_new(json_object_get(r, "industry_counts"), iname ? iname : ind, json_integer(actual));
        } else {
            em_add(r, "planned", planned);
            em_add(r, "actual", actual);
            em_add(r, "difference", planned - actual);
        }
    }
    db_done(st);
    return rc;
}

/* em_theirs adds the bureau's rows of plan_no to rows; *seen counts them. */
static int
em_theirs(struct db *db, enum emergency_layout layout, const char *plan_no, const char *sub, const struct plan *pl,
          json_t *names, json_t *rows, int64_t now, size_t *seen, struct arena *arena)
{
    struct db_stmt *st = NULL;
    bool row = false;
    const char *lay = emergency_layout_name(layout);
    int rc = db_prepare(db, sql_theirs, &st);
    if (!rc && !(rc = db_bind_text(st, 1, plan_no, strlen(plan_no))) && !(rc = db_bind_text(st, 2, lay, strlen(lay))))
        rc = db_bind_text(st, 3, sub, strlen(sub));
    while (!rc && !(rc = db_step(st, &row)) && row) {
        const char *name = db_col_text(st, 0, NULL), *code = db_col_text(st, 1, NULL);
        const char *ours = json_string_value(json_object_get(names, code));
        const char *key = *code ? code : arena_printf(arena, "~%s", name);
        json_t *r = em_row_for(rows, key, code, ours ? ours : name, pl, plan_no, now, layout), *t;
        if (!r || !(t = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:I}", "name", name, "plan_name",
                                  db_col_text(st, 2, NULL), "planned", (json_int_t)db_col_i64(st, 3), "actual",
                                  (json_int_t)db_col_i64(st, 4), "difference", (json_int_t)db_col_i64(st, 5),
                                  "start_time", (json_int_t)db_col_i64(st, 6), "received_time",
                                  (json_int_t)db_col_i64(st, 7), "source", db_col_text(st, 9, NULL), "updated_at",
                                  (json_int_t)db_col_i64(st, 10)))) {
            rc = ERR_INTERNAL;
            break;
        }
        if (layout == EMERGENCY_BY_SUBDISTRICT)
            json_object_set_new(t, "industry_counts", json_loads(db_col_text(st, 8, NULL), 0, NULL));
        json_object_set_new(r, "theirs", t);
        (*seen)++;
    }
    db_done(st);
    return rc;
}

static int
em_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* em_rows turns the keyed rows into the sorted array, with delta and mismatch. */
static json_t *
em_rows(json_t *rows)
{
    size_t n = json_object_size(rows), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof *keys), *k;
    json_t *out = json_array(), *r;
    if (!keys || !out) {
        free(keys);
        json_decref(out);
        return NULL;
    }
    json_object_foreach(rows, k, r) keys[i++] = k;
    qsort(keys, n, sizeof *keys, em_key_cmp);
    for (i = 0; i < n; i++) {
        static const char *const f[] = { "planned", "actual", "difference" };
        json_t *t, *d;
        r = json_object_get(rows, keys[i]);
        t = json_object_get(r, "theirs");
        if (json_is_object(t)) {
            bool mismatch = false;
            d = json_object();
            for (size_t j = 0; j < 3; j++) {
                json_int_t v = json_integer_value(json_object_get(r, f[j])) - json_integer_value(json_object_get(t, f[j]));
                json_object_set_new(d, f[j], json_integer(v));
                mismatch |= v != 0;
            }
            json_object_set_new(r, "delta", d);
            json_object_set_new(r, "mismatch", json_boolean(mismatch));
        }
        json_array_append(out, r);
    }
    free(keys);
    return out;
}

int
emergency_compare(struct db *db, const struct actor *a, enum emergency_layout layout, const char *plan_no,
                  json_t **out, struct buf *why)
{
    struct arena arena = ARENA_INIT;
    struct plan pl;
    json_t *names = NULL, *ind_names = NULL, *rows = json_object(), *arr = NULL;
    const char *sub = a->subdistrict;
    size_t theirs = 0;
    int64_t now = time_now_ms();
    bool have_plan;
    int rc;

    *out = NULL;
    if (!plan_no || !*plan_no || strlen(plan_no) > EMERGENCY_NAME_MAX) {
        buf_adds(why, "'plan' (the plan number) is required");
        json_decref(rows);
        return ERR_INVALID;
    }
    rc = plan_get(db, a, plan_no, &arena, &pl);
    have_plan = rc == 0;
    if (rc == ERR_NOT_FOUND && !*sub)
        rc = 0;
    if (rc || (rc = em_names(db, sql_div_names, &names)) || (rc = em_names(db, sql_ind_names, &ind_names)))
        goto out;
    if (have_plan && (rc = em_ours(db, layout, &pl, sub, layout == EMERGENCY_BY_SUBDISTRICT ? names : ind_names,
                                   ind_names, rows, now)))
        goto out;
    /* theirs by industry are district-wide: not shown to a subdistrict-bound reader */
    if ((!*sub || layout == EMERGENCY_BY_SUBDISTRICT) &&
        (rc = em_theirs(db, layout, plan_no, sub, have_plan ? &pl : NULL,
                        layout == EMERGENCY_BY_SUBDISTRICT ? names : ind_names, rows, now, &theirs, &arena)))
        goto out;
    if (!have_plan && !theirs) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (!(arr = em_rows(rows))) {
        rc = ERR_INTERNAL;
        goto out;
    }
    *out = json_pack("{s:s, s:s, s:I, s:s, s:I, s:o}", "plan_no", plan_no, "plan_name", have_plan ? pl.name : "",
                     "start_time", (json_int_t)(have_plan ? pl.starts_at : 0), "layout", emergency_layout_name(layout),
                     "generated_at", (json_int_t)now, "rows", arr);
    rc = *out ? 0 : ERR_INTERNAL;
out:
    if (rc == ERR_NOT_FOUND)
        buf_adds(why, "no such plan");
    json_decref(names);
    json_decref(ind_names);
    json_decref(rows);
    arena_release(&arena);
    return rc;
}
