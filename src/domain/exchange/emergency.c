/* domain/exchange/emergency.c - ingest of the emergency bureau's figures (R2.8, R2.9; see
 * emergency.h). The side-by-side reading is emergency_compare.c. */
#include "domain/exchange/emergency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/places/subdistrict_names.h"
#include "domain/platform/audit.h"
#include "domain/testing/plan.h"
#include "push/outbox.h"

/* Their row for a name: the one written the same, else the one resolved to the same code (a
 * sheet's 西长安街街道 replaces a POSTed 西长安街). */
static const char sql_get[] = "SELECT id, code, plan_name, planned, actual, difference, started_at, received_at,"
                              " industry_counts, name FROM emergency_figures WHERE plan_no = ?1 AND layout = ?2"
                              " AND (name = ?3 OR (?4 <> '' AND code = ?4))"
                              " ORDER BY CASE WHEN name = ?3 THEN 0 ELSE 1 END, id LIMIT 1";
static const char sql_ins[] = "INSERT INTO emergency_figures (plan_no, layout, name, code, plan_name, planned, actual,"
                              " difference, started_at, received_at, industry_counts, source, updated_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_upd[] = "UPDATE emergency_figures SET name = ?3, code = ?4, plan_name = ?5, planned = ?6,"
                              " actual = ?7, difference = ?8, started_at = ?9, received_at = ?10,"
                              " industry_counts = ?11, source = ?12, updated_at = ?13"
                              " WHERE id = ?14 AND plan_no = ?1 AND layout = ?2";
static const char sql_industry[] = "SELECT code FROM industries WHERE name = ?1 OR code = ?1 ORDER BY code LIMIT 1";

const char *
emergency_layout_name(enum emergency_layout l)
{
    return l == EMERGENCY_BY_INDUSTRY ? "industry" : "subdistrict";
}

/* One row as checked; strings point into the JSON or into buffers of the caller. */
struct em_row {
    const char *plan_no, *name, *plan_name;
    int64_t planned, actual, difference, started_at, received_at;
    char *counts; /* canonical JSON text, malloc'd */
    char code[16];
};

static int
em_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return n ? 0 : ERR_INVALID;
}

int
emergency_parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = s ? strlen(s) : 0;
    int64_t v;
    if (!n)
        return ERR_INVALID;
    if (!cstr_to_i64(s, &v, 0, 253402300799999LL)) {
        *ms = v;
        return 0;
    }
    if (!time_parse_rfc3339(s, ms))
        return 0;
    /* YYYY-MM-DD[ HH:MM[:SS]] in UTC+8, '-' or '/', ' ' or 'T' */
    if (n < 10 || em_digits(s, 4, &y) || (s[4] != '-' && s[4] != '/') || em_digits(s + 5, 2, &mo) ||
        s[7] != s[4] || em_digits(s + 8, 2, &d))
        return ERR_INVALID;
    if (n > 10) {
        if ((s[10] != ' ' && s[10] != 'T') || n < 16 || em_digits(s + 11, 2, &h) || s[13] != ':' ||
            em_digits(s + 14, 2, &mi))
            return ERR_INVALID;
        if (n > 16 && (n != 19 || s[16] != ':' || em_digits(s + 17, 2, &se)))
            return ERR_INVALID;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return ERR_INVALID;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = se };
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 02-31 and the like */
        return ERR_INVALID;
    *ms = ((int64_t)t - 8 * 3600) * 1000;
    return 0;
}

/* em_text reads a string member of at most max bytes, printable UTF-8. */
static int
em_text(json_t *o, const char *k, bool required, size_t max, const char **out, struct buf *why, size_t row)
{
    json_t *v = json_object_get(o, k);
    *out = "";
    if (!v || json_is_null(v)) {
        if (required)
            buf_printf(why, "row %zu: '%s' is required", row, k);
        return required ? ERR_INVALID : 0;
    }
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (!s || (required && !n) || n > max || !str_is_utf8(s, n) || str_has_ctl(s, n) || strlen(s) != n) {
        buf_printf(why, "row %zu: '%s' must be text of 1 to %zu bytes", row, k, max);
        return ERR_INVALID;
    }
    *out = s;
    return 0;
}

static int
em_count(json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > PLAN_COUNT_MAX)
        return ERR_INVALID;
    *out = json_integer_value(v);
    return 0;
}

static int
em_time(json_t *o, const char *k, int64_t *out, struct buf *why, size_t row)
{
    json_t *v = json_object_get(o, k);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && (!json_string_length(v) || !emergency_parse_time(json_string_value(v), out)))
        return 0;
    buf_printf(why, "row %zu: '%s' must be a time (ms, RFC 3339 or YYYY-MM-DD HH:MM:SS)", row, k);
    return ERR_INVALID;
}

/* em_check validates object o (row number row) into *r. */
static int
em_check(json_t *o, enum emergency_layout layout, size_t row, struct em_row *r, struct buf *why)
{
    static const char *const known[] = { "plan_no", "name", "plan_name", "planned", "actual", "difference",
                                         "start_time", "received_time", "industry_counts" };
    const char *key;
    json_t *v;
    int rc;

    if (!json_is_object(o)) {
        buf_printf(why, "row %zu: not an object", row);
        return ERR_INVALID;
    }
    json_object_foreach(o, key, v) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], key))
            i++;
        if (i == sizeof known / sizeof known[0] || (i == 8 && layout == EMERGENCY_BY_INDUSTRY)) {
            buf_printf(why, "row %zu: unknown field '%.40s'", row, key);
            return ERR_INVALID;
        }
    }
    if ((rc = em_text(o, "plan_no", true, EMERGENCY_NAME_MAX, &r->plan_no, why, row)) ||
        (rc = em_text(o, "name", true, EMERGENCY_NAME_MAX, &r->name, why, row)) ||
        (rc = em_text(o, "plan_name", false, EMERGENCY_TEXT_MAX, &r->plan_name, why, row)) ||
        (rc = em_time(o, "start_time", &r->started_at, why, row)) ||
        (rc = em_time(o, "received_time", &r->received_at, why, row)))
        return rc;
    if (em_count(json_object_get(o, "planned"), &r->planned) || em_count(json_object_get(o, "actual"), &r->actual)) {
        buf_printf(why, "row %zu: 'planned' and 'actual' must be whole numbers from 0 to %lld", row,
                   (long long)PLAN_COUNT_MAX);
        return ERR_INVALID;
    }
    v = json_object_get(o, "difference");
    r->difference = r->planned - r->actual;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < -PLAN_COUNT_MAX || json_integer_value(v) > PLAN_COUNT_MAX) {
            buf_printf(why, "row %zu: 'difference' must be a whole number", row);
            return ERR_INVALID;
        }
        r->difference = json_integer_value(v);
    }
    v = json_object_get(o, "industry_counts");
    if (v && !json_is_null(v)) {
        json_t *c;
        int64_t n;
        if (!json_is_object(v) || json_object_size(v) > EMERGENCY_INDUSTRIES_MAX) {
            buf_printf(why, "row %zu: 'industry_counts' must be an object of at most %d counts", row,
                       EMERGENCY_INDUSTRIES_MAX);
            return ERR_INVALID;
        }
        json_object_foreach(v, key, c) {
            size_t kl = strlen(key);
            if (!kl || kl > EMERGENCY_NAME_MAX || !str_is_utf8(key, kl) || str_has_ctl(key, kl) || em_count(c, &n)) {
                buf_printf(why, "row %zu: 'industry_counts' must map industry names to whole numbers", row);
                return ERR_INVALID;
            }
        }
        r->counts = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    } else {
        r->counts = strdup("{}");
    }
    return r->counts ? 0 : ERR_INTERNAL;
}

/* em_resolve sets r->code from r->name ("" when it names nothing we know). */
static int
em_resolve(struct db *db, const struct subdistrict_names *names, enum emergency_layout layout, struct em_row *r)
{
    r->code[0] = '\0';
    if (layout == EMERGENCY_BY_SUBDISTRICT) {
        const struct subdistrict_entry *e = subdistrict_names_find(names, str_of(r->name), NULL);
        if (e && strlen(e->code) == 9)
            str_copy(r->code, sizeof r->code, e->code);
        return 0;
    }
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql_industry, &st);
    if (!rc && !(rc = db_bind_text(st, 1, r->name, strlen(r->name))) && !(rc = db_step(st, &row)) && row)
        str_copy(r->code, sizeof r->code, db_col_text(st, 0, NULL));
    db_done(st);
    return rc;
}

/* em_store inserts or replaces r; counts what happened. */
static int
em_store(struct db *db, enum emergency_layout layout, const char *source, const struct em_row *r, int64_t now,
         struct emergency_result *res)
{
    struct db_stmt *st = NULL;
    bool row = false, same = false;
    const char *lay = emergency_layout_name(layout);
    int64_t id = 0;
    int rc = db_prepare(db, sql_get, &st);
    if (!rc && !(rc = db_bind_text(st, 1, r->plan_no, strlen(r->plan_no))) && !(rc = db_bind_text(st, 2, lay, strlen(lay))) &&
        !(rc = db_bind_text(st, 3, r->name, strlen(r->name))) && !(rc = db_bind_text(st, 4, r->code, strlen(r->code))) &&
        !(rc = db_step(st, &row)) && row) {
        id = db_col_i64(st, 0);
        same = !strcmp(db_col_text(st, 9, NULL), r->name) && !strcmp(db_col_text(st, 1, NULL), r->code) && !strcmp(db_col_text(st, 2, NULL), r->plan_name) &&
               db_col_i64(st, 3) == r->planned && db_col_i64(st, 4) == r->actual &&
               db_col_i64(st, 5) == r->difference && db_col_i64(st, 6) == r->started_at &&
               db_col_i64(st, 7) == r->received_at && !strcmp(db_col_text(st, 8, NULL), r->counts);
    }
    db_done(st);
    st = NULL;
    if (rc)
        return rc;
    if (same) {
        res->unchanged++;
        return 0;
    }
    if ((rc = db_prepare(db, row ? sql_upd : sql_ins, &st)) || (rc = db_bind_text(st, 1, r->plan_no, strlen(r->plan_no))) ||
        (rc = db_bind_text(st, 2, lay, strlen(lay))) || (rc = db_bind_text(st, 3, r->name, strlen(r->name))) ||
        (rc = db_bind_text(st, 4, r->code, strlen(r->code))) ||
        (rc = db_bind_text(st, 5, r->plan_name, strlen(r->plan_name))) || (rc = db_bind_i64(st, 6, r->planned)) ||
        (rc = db_bind_i64(st, 7, r->actual)) || (rc = db_bind_i64(st, 8, r->difference)) ||
        (rc = db_bind_i64(st, 9, r->started_at)) || (rc = db_bind_i64(st, 10, r->received_at)) ||
        (rc = db_bind_text(st, 11, r->counts, strlen(r->counts))) ||
        (rc = db_bind_text(st, 12, source, strlen(source))) || (rc = db_bind_i64(st, 13, now)) ||
        (row && (rc = db_bind_i64(st, 14, id))) || (rc = db_step(st, &same)))
        goto out;
    if (row)
        res->updated++;
    else
        res->inserted++;
out:
    db_done(st);
    return rc;
}

/* em_finish writes the event and the audit entry of a successful ingest. */
static int
em_finish(struct app *app, struct db *db, const struct actor *a, enum emergency_layout layout, const char *plan_no,
          size_t n, const struct emergency_result *res)
{
    char detail[200];
    json_t *ev = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "plan_no", plan_no, "layout", emergency_layout_name(layout),
                           "rows", (json_int_t)n, "inserted", (json_int_t)res->inserted, "updated",
                           (json_int_t)res->updated, "unchanged", (json_int_t)res->unchanged);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    int rc = text ? 0 : ERR_INTERNAL;
    json_decref(ev);
    snprintf(detail, sizeof detail, "layout=%s rows=%zu inserted=%zu updated=%zu unchanged=%zu",
             emergency_layout_name(layout), n, res->inserted, res->updated, res->unchanged);
    if (!rc && !(rc = outbox_lock(db)) && !(rc = outbox_append(db, EMERGENCY_TOPIC, "", text, NULL)))
        rc = audit_append(db, &app->keys, a, "exchange.emergency.ingest", plan_no, "ok", detail);
    free(text);
    return rc;
}

int
emergency_ingest(struct app *app, struct db *db, const struct actor *a, enum emergency_layout layout,
                 const char *source, json_t *rows, struct emergency_result *res, struct buf *why)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct em_row *r = NULL;
    size_t n = json_array_size(rows), i, checked = 0;
    bool in_tx = false;
    int rc = 0;

    memset(res, 0, sizeof *res);
    if (a->subdistrict[0]) {
        buf_adds(why, "the bureau's figures are district work");
        return ERR_FORBIDDEN;
    }
    if (!source || !*source || strlen(source) > EMERGENCY_NAME_MAX || !json_is_array(rows) || !n ||
        n > EMERGENCY_ROWS_MAX) {
        buf_printf(why, "a source and 1 to %d rows are required", EMERGENCY_ROWS_MAX);
        return ERR_INVALID;
    }
    if (!(r = calloc(n, sizeof *r)))
        return ERR_INTERNAL;
    for (; checked < n && !rc; checked++)
        rc = em_check(json_array_get(rows, checked), layout, checked + 1, &r[checked], why);
    for (i = 0; i < n && !rc; i++)
        if (strcmp(r[i].plan_no, r[0].plan_no)) {
            buf_printf(why, "row %zu: all rows of one call must be of one plan", i + 1);
            rc = ERR_INVALID;
        }
    if (rc || (layout == EMERGENCY_BY_SUBDISTRICT && (rc = subdistrict_names_load(&names, db))) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    int64_t now = time_now_ms();
    for (i = 0; i < n && !rc; i++)
        if (!(rc = em_resolve(db, &names, layout, &r[i])))
            rc = em_store(db, layout, source, &r[i], now, res);
    if (rc || (rc = em_finish(app, db, a, layout, r[0].plan_no, n, res)) || (rc = db_commit(db)))
        goto out;
    in_tx = false;
    push_kick();
out:
    if (in_tx)
        db_rollback(db);
    for (i = 0; i < checked; i++)
        free(r[i].counts);
    free(r);
    subdistrict_names_release(&names);
    return rc;
}
