/* domain/stats/stats.c - runs the declarative statistics table of stats.h (R2.7; the data of
 * R1.2-R1.6 on the big screen): checks entries, describes them, resolves and scopes
 * filters, binds them in the order an entry declares and turns rows into JSON objects
 * keyed by its dimensions. It holds no statistic of its own: those live in STATS_TABLE.
 */
#include "domain/stats/stats.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/platform/division.h"
#include "domain/testing/plan.h"

#define STATS_MAX_DIMS 16
#define STATS_MAX_PARAMS 9
#define STATS_LIMIT_DEFAULT 20
#define STATS_LIMIT_MAX 1000
#define STATS_DAY_MS 86400000LL
#define STATS_UTC8_MS (8 * 3600000LL)

const struct stat_def stats_table[] = {
#define STATS__ROW(name, flags, zh, en, source, dims, params, sql) { name, flags, zh, en, source, dims, params, sql },
    STATS_TABLE(STATS__ROW)
#undef STATS__ROW
};
const size_t stats_count = sizeof stats_table / sizeof stats_table[0];

/* The parameter words of the params column. */
enum stats_param { SP_PLAN, SP_SUBDISTRICT, SP_FROM, SP_TO, SP_SITE, SP_LIMIT, SP_TODAY_FROM, SP_TODAY_TO, SP__N };
static const char *const stats_param_words[SP__N] = { "plan_no", "subdistrict", "from",       "to",
                                                      "site_code", "limit",     "today_from", "today_to" };

enum stats_type { ST_TEXT, ST_INT, ST_MS, ST_BP };
static const char *const stats_type_names[] = { "text", "int", "ms", "bp" };

struct stats_dim {
    char name[32];
    enum stats_type type;
};

/* A parsed entry. */
struct stats_shape {
    struct stats_dim dims[STATS_MAX_DIMS];
    size_t ndims;
    enum stats_param params[STATS_MAX_PARAMS];
    size_t nparams;
    bool accepts[SP__N];
};

static bool
stats_is_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return false;
    return true;
}

/* stats_shape parses dims and params of d; ERR_INVALID with why. */
static int
stats_shape(const struct stat_def *d, struct stats_shape *sh, struct buf *why)
{
    const char *p;
    memset(sh, 0, sizeof *sh);
    for (p = d->dims; *p;) {
        size_t n = strcspn(p, " "), nn = strcspn(p, ":");
        bool typed = false;
        if (n == 0) {
            p++;
            continue;
        }
        if (sh->ndims == STATS_MAX_DIMS || nn >= n || nn >= sizeof sh->dims[0].name || !stats_is_name(p, nn)) {
            buf_printf(why, "'%s': dimension %zu is not name:type", d->name, sh->ndims + 1);
            return ERR_INVALID;
        }
        memcpy(sh->dims[sh->ndims].name, p, nn);
        sh->dims[sh->ndims].name[nn] = '\0';
        for (size_t t = 0; t < sizeof stats_type_names / sizeof stats_type_names[0]; t++) {
            size_t tn = n - nn - 1;
            if (strlen(stats_type_names[t]) == tn && strncmp(p + nn + 1, stats_type_names[t], tn) == 0) {
                sh->dims[sh->ndims].type = (enum stats_type)t;
                typed = true;
            }
        }
        if (!typed) {
            buf_printf(why, "'%s': dimension '%s' has an unknown type", d->name, sh->dims[sh->ndims].name);
            return ERR_INVALID;
        }
        sh->ndims++;
        p += n;
    }
    for (p = d->params; *p;) {
        size_t n = strcspn(p, " ");
        bool known = false;
        if (n == 0) {
            p++;
            continue;
        }
        for (int w = 0; w < SP__N && !known; w++) {
            if (strlen(stats_param_words[w]) == n && strncmp(p, stats_param_words[w], n) == 0) {
                if (sh->accepts[w] || sh->nparams == STATS_MAX_PARAMS) {
                    buf_printf(why, "'%s': parameter '%s' repeated or too many", d->name, stats_param_words[w]);
                    return ERR_INVALID;
                }
                sh->accepts[w] = true;
                sh->params[sh->nparams++] = (enum stats_param)w;
                known = true;
            }
        }
        if (!known) {
            buf_printf(why, "'%s': parameter %zu is not a known word", d->name, sh->nparams + 1);
            return ERR_INVALID;
        }
        p += n;
    }
    if (sh->ndims == 0 || !sh->accepts[SP_SUBDISTRICT]) {
        buf_printf(why, "'%s' needs dimensions and the 'subdistrict' parameter", d->name);
        return ERR_INVALID;
    }
    return 0;
}

/* stats_reads_raw: does sql read a table of raw records (FROM/JOIN one of them)? */
static bool
stats_reads_raw(const char *sql, const char **table)
{
    static const char *const raw[] = { "samples", "results", "transports", "transport_tubes", "checkins",
                                       "planned", "actuals", "actual_corrections", "outbox", "site_history",
                                       NULL };
    static const char *const verbs[] = { "FROM ", "JOIN ", NULL };
    for (const char *const *t = raw; *t; t++) {
        for (const char *const *v = verbs; *v; v++) {
            for (const char *p = sql; (p = strstr(p, *v)); p++) {
                const char *q = p + strlen(*v);
                size_t n = strlen(*t);
                if (strncmp(q, *t, n) == 0 && !((q[n] >= 'a' && q[n] <= 'z') || q[n] == '_')) {
                    *table = *t;
                    return true;
                }
            }
        }
    }
    return false;
}

int
stats_check(const struct stat_def *d, struct buf *why)
{
    const char *raw = NULL;
    struct stats_shape sh;
    bool used[STATS_MAX_PARAMS + 1] = { false };
    size_t same = 0;
    int rc;

    if (!d->name || !stats_is_name(d->name, strlen(d->name)) || !d->zh || !*d->zh || !d->en || !*d->en ||
        !d->source || !*d->source || !d->sql) {
        buf_printf(why, "an entry lacks a name, descriptions, source or SQL");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < stats_count; i++)
        same += strcmp(stats_table[i].name, d->name) == 0;
    if (same > 1) {
        buf_printf(why, "'%s' is declared twice", d->name);
        return ERR_INVALID;
    }
    if ((rc = stats_shape(d, &sh, why)))
        return rc;
    if (stats_reads_raw(d->sql, &raw)) {
        buf_printf(why, "'%s' reads raw records (%s): statistics read counters only", d->name, raw);
        return ERR_INVALID;
    }
    for (const char *p = d->sql; (p = strchr(p, '?'));) {
        int64_t k = 0;
        size_t n = 0;
        p++;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 0 || str_to_i64((struct str){ p, n }, &k, 1, (int64_t)sh.nparams)) {
            buf_printf(why, "'%s': the SQL holds a parameter that params does not declare", d->name);
            return ERR_INVALID;
        }
        used[k] = true;
        p += n;
    }
    for (size_t i = 1; i <= sh.nparams; i++) {
        if (!used[i]) {
            buf_printf(why, "'%s': the SQL does not use ?%zu (%s)", d->name, i, stats_param_words[sh.params[i - 1]]);
            return ERR_INVALID;
        }
    }
    return 0;
}

const struct stat_def *
stats_find(const char *name)
{
    for (size_t i = 0; name && i < stats_count; i++)
        if (strcmp(stats_table[i].name, name) == 0)
            return &stats_table[i];
    return NULL;
}

json_t *
stats_catalogue(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < stats_count; i++) {
        const struct stat_def *d = &stats_table[i];
        struct stats_shape sh;
        struct buf why = BUF_INIT;
        json_t *dims, *filters;
        int bad = stats_shape(d, &sh, &why);
        buf_release(&why);
        if (bad)
            continue; /* the tests keep the table valid */
        dims = json_array();
        filters = json_array();
        for (size_t k = 0; k < sh.ndims; k++)
            json_array_append_new(dims, json_pack("{s:s, s:s}", "name", sh.dims[k].name, "type",
                                                  stats_type_names[sh.dims[k].type]));
        for (int w = 0; w <= SP_LIMIT; w++)
            if (sh.accepts[w])
                json_array_append_new(filters, json_string(stats_param_words[w]));
        json_array_append_new(
            arr, json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:{s:b, s:b}, s:b}", "name", d->name, "description",
                           "zh", d->zh, "en", d->en, "source", d->source, "dimensions", dims, "filters", filters,
                           "defaults", "today", (d->flags & STAT_TODAY) != 0, "current_plan",
                           (d->flags & STAT_CURRENT_PLAN) != 0, "one_row", (d->flags & STAT_ONE_ROW) != 0));
    }
    return arr;
}

int
stats_parse_time(const char *s, int64_t *ms)
{
    if (!s || !*s)
        return ERR_INVALID;
    if (s[0] >= '0' && s[0] <= '9' && !cstr_to_i64(s, ms, 0, INT64_MAX))
        return 0;
    return time_parse_rfc3339(s, ms) ? ERR_INVALID : 0;
}

void
stats_today(int64_t now_ms, int64_t *start, int64_t *end)
{
    int64_t local = now_ms + STATS_UTC8_MS;
    int64_t day = local / STATS_DAY_MS - (local % STATS_DAY_MS < 0);
    *start = day * STATS_DAY_MS - STATS_UTC8_MS;
    *end = *start + STATS_DAY_MS;
}

/* Running --------------------------------------------------------------------------------- */

static const char sql_site_by_code[] = "SELECT id FROM sites WHERE code = ?1";

/* stats_site looks a site code up (deleted sites too: their counters remain); *id 0 when
 * unknown. */
static int
stats_site(struct db *db, const char *code, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *id = 0;
    if (!(rc = db_prepare(db, sql_site_by_code, &st)) && !(rc = db_bind_text(st, 1, code, strlen(code))) &&
        !(rc = db_step(st, &row)) && row)
        *id = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

/* stats_plan resolves the plan: the one numbered plan_no (ERR_INVALID when unknown or not
 * covering the actor's subdistrict), else with current the plan of plan_latest (the one
 * that started last; none: 0), else 0 (any plan). */
static int
stats_plan(struct db *db, const struct actor *a, const char *plan_no, bool current, int64_t *id, char *no,
           size_t cap, struct buf *why)
{
    struct arena arena = ARENA_INIT;
    struct plan p;
    int rc = 0;
    *id = 0;
    no[0] = '\0';
    if (plan_no)
        rc = plan_get(db, a, plan_no, &arena, &p);
    else if (current)
        rc = plan_latest(db, a, time_now_ms(), &arena, &p);
    else
        goto out;
    if (rc == ERR_NOT_FOUND && !plan_no) {
        rc = 0;
    } else if (rc == ERR_NOT_FOUND) {
        buf_printf(why, "'plan_no' is not a known plan");
        rc = ERR_INVALID;
    } else if (!rc) {
        *id = p.id;
        snprintf(no, cap, "%s", p.plan_no);
    }
out:
    arena_release(&arena);
    return rc;
}

static int
stats_refuse(const struct stat_def *d, const struct stats_shape *sh, const struct stats_filter *f,
             struct buf *why)
{
    const bool given[SP__N] = { [SP_PLAN] = f->plan_no != NULL, [SP_SUBDISTRICT] = f->subdistrict != NULL,
                                [SP_FROM] = f->has_from,         [SP_TO] = f->has_to,
                                [SP_SITE] = f->site_code != NULL, [SP_LIMIT] = f->has_limit };
    for (int w = 0; w <= SP_LIMIT; w++) {
        if (given[w] && !sh->accepts[w]) {
            buf_printf(why, "'%s' is not a filter of the statistic '%s'", stats_param_words[w], d->name);
            return ERR_INVALID;
        }
    }
    return 0;
}

static json_t *
stats_row(struct db_stmt *st, const struct stats_shape *sh)
{
    json_t *o = json_object();
    for (size_t k = 0; k < sh->ndims; k++) {
        json_t *v;
        if (db_col_is_null(st, (int)k)) {
            v = json_null();
        } else if (sh->dims[k].type == ST_TEXT) {
            size_t n = 0;
            const char *s = db_col_text(st, (int)k, &n);
            v = json_stringn(s ? s : "", n);
        } else {
            v = json_integer(db_col_i64(st, (int)k));
        }
        json_object_set_new(o, sh->dims[k].name, v ? v : json_null());
    }
    return o;
}

int
stats_run(struct db *db, const struct actor *a, const struct stat_def *d, const struct stats_filter *f,
          json_t **rows, json_t **applied, struct buf *why)
{
    struct stats_shape sh;
    struct db_stmt *st = NULL;
    const char *sub = "";
    char plan_no[64] = "";
    int64_t plan_id = 0, site_id = 0, from = 0, to = INT64_MAX, limit = STATS_LIMIT_DEFAULT, today[2];
    json_t *out = NULL, *app = NULL;
    bool row = false;
    int rc;

    *rows = NULL;
    if (applied)
        *applied = NULL;
    if ((rc = stats_shape(d, &sh, why)) || (rc = stats_refuse(d, &sh, f, why)))
        return rc;
    if ((rc = actor_scope(a, f->subdistrict, &sub))) {
        buf_printf(why, "'subdistrict' is outside your subdistrict");
        return rc;
    }
    if (*sub && !a->subdistrict[0] && division_check_subdistrict(db, sub)) {
        buf_printf(why, "'subdistrict' is not a known subdistrict code");
        return ERR_INVALID;
    }
    if ((rc = stats_plan(db, a, f->plan_no, (d->flags & STAT_CURRENT_PLAN) != 0, &plan_id, plan_no,
                         sizeof plan_no, why)))
        return rc;
    if (f->site_code) {
        if ((rc = stats_site(db, f->site_code, &site_id)))
            return rc;
        if (!site_id) {
            buf_printf(why, "'site_code' is not a known site");
            return ERR_INVALID;
        }
    }
    stats_today(time_now_ms(), &today[0], &today[1]);
    if (f->has_from)
        from = f->from;
    if (f->has_to)
        to = f->to;
    if ((d->flags & STAT_TODAY) && !f->has_from && !f->has_to && !f->plan_no) {
        from = today[0];
        to = today[1];
    }
    if (from >= to) {
        buf_printf(why, "'from' must be before 'to'");
        return ERR_INVALID;
    }
    if (f->has_limit) {
        if (f->limit < 1 || f->limit > STATS_LIMIT_MAX) {
            buf_printf(why, "'limit' must be from 1 to %d", STATS_LIMIT_MAX);
            return ERR_INVALID;
        }
        limit = f->limit;
    }

    if ((rc = db_prepare(db, d->sql, &st)))
        goto out;
    for (size_t i = 0; i < sh.nparams; i++) {
        int idx = (int)i + 1;
        switch (sh.params[i]) {
        case SP_PLAN: rc = db_bind_i64(st, idx, plan_id); break;
        case SP_SUBDISTRICT: rc = db_bind_text(st, idx, sub, strlen(sub)); break;
        case SP_FROM: rc = db_bind_i64(st, idx, from); break;
        case SP_TO: rc = db_bind_i64(st, idx, to); break;
        case SP_SITE: rc = db_bind_i64(st, idx, site_id); break;
        case SP_LIMIT: rc = db_bind_i64(st, idx, limit); break;
        case SP_TODAY_FROM: rc = db_bind_i64(st, idx, today[0]); break;
        case SP_TODAY_TO: rc = db_bind_i64(st, idx, today[1]); break;
        default: rc = ERR_INTERNAL; break;
        }
        if (rc)
            goto out;
    }
    out = json_array();
    while (!(rc = db_step(st, &row)) && row)
        json_array_append_new(out, stats_row(st, &sh));
    if (rc)
        goto out;

    if (applied) {
        app = json_object();
        if (sh.accepts[SP_PLAN])
            json_object_set_new(app, "plan_no", plan_id ? json_string(plan_no) : json_null());
        json_object_set_new(app, "subdistrict", *sub ? json_string(sub) : json_null());
        if (sh.accepts[SP_FROM])
            json_object_set_new(app, "from", from ? json_integer(from) : json_null());
        if (sh.accepts[SP_TO])
            json_object_set_new(app, "to", to != INT64_MAX ? json_integer(to) : json_null());
        if (sh.accepts[SP_SITE])
            json_object_set_new(app, "site_code", f->site_code ? json_string(f->site_code) : json_null());
        if (sh.accepts[SP_LIMIT])
            json_object_set_new(app, "limit", json_integer(limit));
        *applied = app;
        app = NULL;
    }
    *rows = out;
    out = NULL;
    rc = 0;
out:
    db_done(st);
    json_decref(out);
    json_decref(app);
    return rc;
}
