/* domain/testing/plan.c - mass-testing plans (计划) and planned head-counts (应检报送, R1.4, R2.3):
 * the two ingest kinds, their counters (stat_plan.planned) and events, and the reads the
 * plan and planned endpoints answer with. Actual reports are domain/testing/actual.c. See plan.h.
 */
#include "domain/testing/plan.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/platform/division.h"
#include "domain/testing/site.h"

#define PLAN_AHEAD_MS (366LL * 86400000) /* how far ahead a plan may be scheduled */

static const char *const plan_kinds[] = { "mass", "key_groups", "school", "other", NULL };

#define PLAN_COLS                                                                                           \
    "id, plan_no, name, kind, scope, source, external_id, starts_at, ends_at, created_at, updated_at, locked_at," \
    " locked_by"
/* ?1 = the actor's subdistrict: a plan covers it when its scope is "" or lists it. */
#define PLAN_COVERS " (?1 = '' OR scope = '' OR (',' || scope || ',') LIKE ('%,' || ?1 || ',%'))"

static const char sql_plan_key[] = "SELECT id FROM plans WHERE source = ?1 AND external_id = ?2";
static const char sql_plan_no_owner[] = "SELECT source, external_id FROM plans WHERE plan_no = ?1";
static const char sql_plan_insert[] =
    "INSERT INTO plans (plan_no, name, kind, starts_at, ends_at, scope, source, external_id, created_at,"
    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) ON CONFLICT DO NOTHING RETURNING id";
/* A no-op write that takes the plan's row lock (see site.c) and reads what plan__check needs. */
static const char sql_plan_scope[] =
    "UPDATE plans SET locked_at = locked_at WHERE id = ?1 RETURNING scope, locked_at";
static const char sql_industry[] = "SELECT count(*) FROM industries WHERE code = ?1";
static const char sql_planned_exists[] = "SELECT count(*) FROM planned WHERE source = ?1 AND external_id = ?2";
static const char sql_planned_insert[] =
    "INSERT INTO planned (plan_id, subdistrict, community, industry, count, reported_at, source, external_id)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
#define PLAN_FILTER                                                                               \
    " WHERE" PLAN_COVERS " AND (?2 = '' OR plan_no LIKE ?2 ESCAPE '\\' OR name LIKE ?2 ESCAPE '\\')" \
    " AND (?3 = 0 OR (starts_at <= ?3 AND ends_at > ?3))"
static const char sql_plan_list[] = "SELECT " PLAN_COLS " FROM plans" PLAN_FILTER " AND id > ?4 ORDER BY id LIMIT ?5";
static const char sql_plan_count[] = "SELECT count(*) FROM plans" PLAN_FILTER;
static const char sql_plan_get[] = "SELECT " PLAN_COLS " FROM plans WHERE" PLAN_COVERS " AND plan_no = ?2";
static const char sql_plan_latest[] =
    "SELECT " PLAN_COLS " FROM plans WHERE" PLAN_COVERS
    " ORDER BY CASE WHEN starts_at <= ?2 THEN 0 ELSE 1 END, CASE WHEN starts_at <= ?2 THEN -starts_at ELSE starts_at END,"
    " id DESC LIMIT 1";
static const char sql_plan_totals[] =
    "SELECT CAST(COALESCE(SUM(planned), 0) AS BIGINT), CAST(COALESCE(SUM(actual_reported), 0) AS BIGINT),"
    " CAST(COALESCE(SUM(actual_corrected), 0) AS BIGINT), CAST(COALESCE(SUM(sampled), 0) AS BIGINT)"
    " FROM stat_plan WHERE plan_id = ?2 AND industry = '' AND (?1 = '' OR subdistrict = ?1)";
#define PLANNED_FILTER                                                                      \
    " FROM planned x JOIN plans p ON p.id = x.plan_id WHERE (?1 = '' OR x.subdistrict = ?1)" \
    " AND (?2 = '' OR p.plan_no = ?2) AND (?3 = '' OR x.subdistrict = ?3)"
static const char sql_planned_list[] =
    "SELECT x.id, p.plan_no, x.subdistrict, x.community, x.industry, x.source, x.external_id, x.count,"
    " x.reported_at" PLANNED_FILTER " AND x.id > ?4 ORDER BY x.id LIMIT ?5";
static const char sql_planned_count[] = "SELECT count(*)" PLANNED_FILTER;

/* plan_scope_has: does the comma-separated scope ("" = all) cover subdistrict? */
static bool
plan_scope_has(const char *scope, const char *subdistrict)
{
    size_t n = strlen(subdistrict);
    if (!*scope)
        return true;
    for (const char *p = scope; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !memcmp(p, subdistrict, n))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

json_t *
plan_scope_json(const char *scope)
{
    json_t *arr = json_array();
    for (const char *s = scope; *s;) {
        size_t len = strcspn(s, ",");
        json_array_append_new(arr, json_stringn(s, len));
        s += len + (s[len] == ',');
    }
    return arr;
}

/* Shared with actual.c ------------------------------------------------------------------ */

struct plan__seen {
    int64_t plan_id;
    const char *scope;
    bool locked;
};

int
plan__check(struct ingest *ing, const char *field, const char *plan_no, const char *subdistrict, int64_t *plan_id,
            bool *locked, struct ingest_outcome *out)
{
    struct plan__tally *t = ingest_state(ing);
    struct plan__seen *seen = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = ingest_plan(ing, field, plan_no, plan_id, out)))
        return rc;
    for (size_t i = 0; i < t->nseen && !seen; i++)
        if (t->seen[i].plan_id == *plan_id)
            seen = &t->seen[i];
    if (!seen) {
        if ((rc = db_prepare(ingest_db(ing), sql_plan_scope, &st)) || (rc = db_bind_i64(st, 1, *plan_id)) ||
            (rc = db_step(st, &row)))
            goto out;
        if (!row) {
            rc = ingest_reject(out, field, "'%s' is not a known plan", field);
            goto out;
        }
        VEC_ARENA_ROOM(ingest_arena(ing), t->seen, t->nseen, t->capseen);
        seen = &t->seen[t->nseen++];
        *seen = (struct plan__seen){ *plan_id, db_col_arena(st, 0, ingest_arena(ing)), db_col_i64(st, 1) != 0 };
    }
    *locked = seen->locked;
    if (!plan_scope_has(seen->scope, subdistrict))
        rc = ingest_reject(out, "subdistrict", "'subdistrict' is not in the scope of plan '%s'", plan_no);
out:
    db_done(st);
    return rc;
}

int
plan__refuse_locked(struct ingest *ing, const char *sql_exists, const char *source, const char *external_id,
                    const char *plan_no, struct ingest_outcome *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(ingest_db(ing), sql_exists, &st)) && !(rc = db_bind_str(st, 1, source)) &&
        !(rc = db_bind_str(st, 2, external_id)) && !(rc = db_step(st, &row))) {
        if (row && db_col_i64(st, 0) > 0) {
            rc = ERR_CONFLICT;
        } else {
            rc = ingest_reject(out, "plan_no", "plan '%s' is locked", plan_no);
            out->code = ERR_CONFLICT;
        }
    }
    db_done(st);
    return rc;
}

int
plan__check_industry(struct ingest *ing, const char *field, const char *industry, struct ingest_outcome *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(ingest_db(ing), sql_industry, &st)) && !(rc = db_bind_str(st, 1, industry)) &&
        !(rc = db_step(st, &row)) && (!row || db_col_i64(st, 0) != 1))
        rc = ingest_reject(out, field, "'%s' is not a known industry code", field);
    db_done(st);
    return rc;
}

int
plan__count(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *industry,
            enum ingest_plan_col col, int64_t delta)
{
    int rc = ingest_count_plan(ing, plan_id, subdistrict, industry ? industry : "", col, delta);
    if (!rc && industry && *industry)
        rc = ingest_count_plan(ing, plan_id, subdistrict, "", col, delta);
    return rc;
}

struct plan__tally_row {
    const char *plan_no, *subdistrict;
    int64_t records, count;
};

int
plan__tally_add(struct ingest *ing, struct plan__tally *t, const char *plan_no, const char *subdistrict,
                int64_t count)
{
    struct plan__tally_row *r = NULL;
    for (size_t i = 0; i < t->n && !r; i++)
        if (!strcmp(t->rows[i].plan_no, plan_no) && !strcmp(t->rows[i].subdistrict, subdistrict))
            r = &t->rows[i];
    if (!r) {
        VEC_ARENA_ROOM(ingest_arena(ing), t->rows, t->n, t->cap);
        r = &t->rows[t->n++];
        *r = (struct plan__tally_row){ plan_no, subdistrict, 0, 0 };
    }
    r->records++;
    r->count += count;
    return 0;
}

int
plan__tally_flush(struct ingest *ing, struct plan__tally *t, const char *topic, const char *action)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < t->n; i++) {
        const struct plan__tally_row *r = &t->rows[i];
        json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I}", "action", action, "plan_no", r->plan_no, "subdistrict",
                              r->subdistrict, "records", (json_int_t)r->records, "count", (json_int_t)r->count);
        rc = p ? ingest_event(ing, topic, r->subdistrict, p) : ERR_INTERNAL;
    }
    return rc;
}

/* The plan kind -------------------------------------------------------------------------- */

struct plan_rec {
    const char *source, *external_id, *plan_no, *name, *kind, *scope;
    int64_t starts_at, ends_at;
    size_t scope_n;
};

/* plan_parse_scope reads "scope": an array of known subdistrict codes, deduplicated, into a
 * comma-separated string in the batch arena. */
static int
plan_parse_scope(struct ingest *ing, json_t *obj, struct plan_rec *p, struct ingest_outcome *out)
{
    json_t *arr = json_object_get(obj, "scope"), *v;
    struct buf b = BUF_INIT;
    size_t i;
    int rc = 0;
    p->scope = "";
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return ingest_reject(out, "scope", "'scope' must be an array of subdistrict codes");
    if (json_array_size(arr) > PLAN_SCOPE_MAX)
        return ingest_reject(out, "scope", "'scope' may list at most %d subdistricts", PLAN_SCOPE_MAX);
    json_array_foreach(arr, i, v) {
        const char *code = json_string_value(v);
        size_t n = code ? json_string_length(v) : 0;
        if (!code || n == 0 || n > 12 || strlen(code) != n || division_check_subdistrict(ingest_db(ing), code)) {
            rc = ingest_reject(out, "scope", "'scope' item %zu is not a known subdistrict code", i);
            goto out;
        }
        if (plan_scope_has(b.data, code) && b.len)
            continue;
        buf_printf(&b, "%s%s", b.len ? "," : "", code);
        p->scope_n++;
    }
    p->scope = arena_strdup(ingest_arena(ing), b.data);
out:
    buf_release(&b);
    return rc;
}

static int
plan_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct plan_rec *p = rec;
    const struct actor *a = ingest_actor(ing);
    int64_t horizon = ingest_now(ing) + PLAN_AHEAD_MS;
    int rc;
    static const char *const known[] = { "source", "external_id", "plan_no", "name", "kind", "starts_at",
                                         "ends_at", "scope", NULL };
    p->kind = "mass";
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &p->source, &p->external_id, out)) ||
        (rc = ingest_code(obj, "plan_no", true, 32, &p->plan_no, out)) ||
        (rc = ingest_text(obj, "name", true, 128, &p->name, out)) ||
        (rc = ingest_enum(obj, "kind", false, plan_kinds, &p->kind, out)) ||
        (rc = ingest_time(obj, "starts_at", true, horizon, &p->starts_at, out)) ||
        (rc = ingest_time(obj, "ends_at", true, horizon, &p->ends_at, out)) ||
        (rc = plan_parse_scope(ing, obj, p, out)))
        return rc;
    if (p->ends_at <= p->starts_at)
        return ingest_reject(out, "ends_at", "'ends_at' must be after 'starts_at'");
    if (a->subdistrict[0] && (p->scope_n != 1 || strcmp(p->scope, a->subdistrict)))
        return ingest_reject(out, "scope", "'scope' must be exactly your subdistrict");
    return 0;
}

/* plan_no_taken tells a retry (ERR_CONFLICT) from a plan_no held by another record
 * (rejected); 0 when free. */
static int
plan_no_taken(struct ingest *ing, const struct plan_rec *p, struct ingest_outcome *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(ingest_db(ing), sql_plan_key, &st)) || (rc = db_bind_str(st, 1, p->source)) ||
        (rc = db_bind_str(st, 2, p->external_id)) || (rc = db_step(st, &row)))
        goto out;
    if (row) {
        rc = ERR_CONFLICT;
        goto out;
    }
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(ingest_db(ing), sql_plan_no_owner, &st)) || (rc = db_bind_str(st, 1, p->plan_no)) ||
        (rc = db_step(st, &row)))
        goto out;
    if (row)
        rc = ingest_reject(out, "plan_no", "'plan_no' is already used by another plan");
out:
    db_done(st);
    return rc;
}

static int
plan_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct plan_rec *p = rec;
    struct db_stmt *st = NULL;
    bool row = false;
    json_t *ev;
    int rc;

    if ((rc = plan_no_taken(ing, p, out)))
        return rc;
    if ((rc = db_prepare(ingest_db(ing), sql_plan_insert, &st)) || (rc = db_bind_str(st, 1, p->plan_no)) ||
        (rc = db_bind_str(st, 2, p->name)) || (rc = db_bind_str(st, 3, p->kind)) ||
        (rc = db_bind_i64(st, 4, p->starts_at)) || (rc = db_bind_i64(st, 5, p->ends_at)) ||
        (rc = db_bind_str(st, 6, p->scope)) || (rc = db_bind_str(st, 7, p->source)) ||
        (rc = db_bind_str(st, 8, p->external_id)) || (rc = db_bind_i64(st, 9, ingest_now(ing))) ||
        (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        db_done(st);
        st = NULL;
        rc = plan_no_taken(ing, p, out);
        if (!rc)
            rc = ERR_DB;
        goto out;
    }
    out->id = db_col_i64(st, 0);
    ev = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:o}", "action", "created", "id", (json_int_t)out->id,
                   "plan_no", p->plan_no, "name", p->name, "kind", p->kind, "starts_at", (json_int_t)p->starts_at,
                   "ends_at", (json_int_t)p->ends_at, "scope", plan_scope_json(p->scope));
    rc = ev ? ingest_event(ing, "plans", "", ev) : ERR_INTERNAL;
out:
    db_done(st);
    return rc;
}

const struct ingest_kind plan_kind = {
    .name = "plans",
    .record_size = sizeof(struct plan_rec),
    .parse = plan_parse,
    .store = plan_store,
};

/* The planned kind ------------------------------------------------------------------------- */

struct planned_rec {
    const char *source, *external_id, *plan_no, *subdistrict, *community, *industry;
    int64_t count, reported_at;
};

static int
planned_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct planned_rec *p = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "plan_no", "subdistrict", "community",
                                         "industry", "count", "reported_at", NULL };
    p->reported_at = ingest_now(ing);
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &p->source, &p->external_id, out)) ||
        (rc = ingest_code(obj, "plan_no", true, 32, &p->plan_no, out)) ||
        (rc = ingest_subdistrict(ing, obj, "subdistrict", true, &p->subdistrict, out)) ||
        (rc = ingest_in_scope(ing, "subdistrict", p->subdistrict, out)) ||
        (rc = ingest_code(obj, "community", false, 12, &p->community, out)) ||
        (rc = ingest_code(obj, "industry", false, 8, &p->industry, out)) ||
        (rc = ingest_int(obj, "count", true, 0, PLAN_COUNT_MAX, &p->count, out)) ||
        (rc = ingest_time(obj, "reported_at", false, ingest_now(ing), &p->reported_at, out)))
        return rc;
    if (p->community && (rc = site__check_community(ingest_db(ing), p->subdistrict, p->community)))
        return rc == ERR_INVALID
                   ? ingest_reject(out, "community", "'community' is not a community of 'subdistrict'")
                   : rc;
    if (p->industry && (rc = plan__check_industry(ing, "industry", p->industry, out)))
        return rc;
    return 0;
}

static int
planned_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct planned_rec *p = rec;
    struct db_stmt *st = NULL;
    int64_t plan_id = 0;
    bool locked = false;
    int rc;

    if ((rc = plan__check(ing, "plan_no", p->plan_no, p->subdistrict, &plan_id, &locked, out)))
        return rc;
    if (locked)
        return plan__refuse_locked(ing, sql_planned_exists, p->source, p->external_id, p->plan_no, out);
    if ((rc = db_prepare(ingest_db(ing), sql_planned_insert, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
        (rc = db_bind_str(st, 2, p->subdistrict)) || (rc = db_bind_str(st, 3, p->community)) ||
        (rc = db_bind_str(st, 4, p->industry)) || (rc = db_bind_i64(st, 5, p->count)) ||
        (rc = db_bind_i64(st, 6, p->reported_at)) || (rc = db_bind_str(st, 7, p->source)) ||
        (rc = db_bind_str(st, 8, p->external_id)) || (rc = ingest_insert_step(st, out)))
        goto out;
    if (!(rc = plan__count(ing, plan_id, p->subdistrict, p->industry, STAT_PLANNED, p->count)))
        rc = plan__tally_add(ing, ingest_state(ing), p->plan_no, p->subdistrict, p->count);
out:
    db_done(st);
    return rc;
}

static int
planned_finish(struct ingest *ing)
{
    return plan__tally_flush(ing, ingest_state(ing), "planned", "reported");
}

const struct ingest_kind plan_planned_kind = {
    .name = "planned",
    .record_size = sizeof(struct planned_rec),
    .state_size = sizeof(struct plan__tally),
    .parse = planned_parse,
    .store = planned_store,
    .finish = planned_finish,
};

/* Reads ------------------------------------------------------------------------------------ */

static void
plan_read_row(struct db_stmt *st, struct arena *arena, struct plan *p)
{
    p->id = db_col_i64(st, 0);
    p->plan_no = db_col_arena(st, 1, arena);
    p->name = db_col_arena(st, 2, arena);
    p->kind = db_col_arena(st, 3, arena);
    p->scope = db_col_arena(st, 4, arena);
    p->source = db_col_arena(st, 5, arena);
    p->external_id = db_col_arena(st, 6, arena);
    p->starts_at = db_col_i64(st, 7);
    p->ends_at = db_col_i64(st, 8);
    p->created_at = db_col_i64(st, 9);
    p->updated_at = db_col_i64(st, 10);
    p->locked_at = db_col_i64(st, 11);
    p->locked_by = db_col_arena(st, 12, arena);
}

int
plan_list(struct db *db, const struct actor *a, const struct plan_query *q, struct arena *arena,
          struct plan **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *like = db_like_contains(arena, q->q);
    size_t limit = q->limit && q->limit <= PLAN_LIST_MAX ? q->limit : PLAN_LIST_MAX, count = 0;
    struct plan *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_plan_count, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_str(st, 2, like)) || (rc = db_bind_i64(st, 3, q->at)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_plan_list, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_str(st, 2, like)) || (rc = db_bind_i64(st, 3, q->at)) ||
        (rc = db_bind_i64(st, 4, q->after)) || (rc = db_bind_i64(st, 5, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        plan_read_row(st, arena, &out[count++]);
    *n = count;
out:
    db_done(st);
    return rc;
}

/* plan_read_one ends a read of one plan: unless binding st failed (rc), steps it and reads
 * its row into out (ERR_NOT_FOUND when there is none); releases st either way. */
static int
plan_read_one(struct db_stmt *st, int rc, struct arena *arena, struct plan *out)
{
    bool row = false;
    if (!rc && !(rc = db_step(st, &row))) {
        if (row)
            plan_read_row(st, arena, out);
        else
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    return rc;
}

int
plan_get(struct db *db, const struct actor *a, const char *plan_no, struct arena *arena, struct plan *out)
{
    struct db_stmt *st = NULL;
    int rc;
    if (!(rc = db_prepare(db, sql_plan_get, &st)) && !(rc = db_bind_str(st, 1, a->subdistrict)))
        rc = db_bind_str(st, 2, plan_no);
    return plan_read_one(st, rc, arena, out);
}

int
plan_latest(struct db *db, const struct actor *a, int64_t now, struct arena *arena, struct plan *out)
{
    struct db_stmt *st = NULL;
    int rc;
    if (!(rc = db_prepare(db, sql_plan_latest, &st)) && !(rc = db_bind_str(st, 1, a->subdistrict)))
        rc = db_bind_i64(st, 2, now);
    return plan_read_one(st, rc, arena, out);
}

int
plan_totals(struct db *db, const struct actor *a, int64_t plan_id, struct plan_totals *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(out, 0, sizeof *out);
    if (!(rc = db_prepare(db, sql_plan_totals, &st)) && !(rc = db_bind_str(st, 1, a->subdistrict)) &&
        !(rc = db_bind_i64(st, 2, plan_id)) && !(rc = db_step(st, &row)) && row) {
        out->planned = db_col_i64(st, 0);
        out->reported = db_col_i64(st, 1);
        out->corrected = db_col_i64(st, 2);
        out->sampled = db_col_i64(st, 3);
    }
    db_done(st);
    return rc;
}

static int
planned_bind_filter(struct db_stmt *st, const struct actor *a, const struct plan_planned_query *q)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->plan_no)))
        return rc;
    return db_bind_str(st, 3, q->subdistrict);
}

int
plan_planned_list(struct db *db, const struct actor *a, const struct plan_planned_query *q, struct arena *arena,
                  struct plan_planned **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    size_t limit = q->limit && q->limit <= PLAN_LIST_MAX ? q->limit : PLAN_LIST_MAX, count = 0;
    struct plan_planned *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_planned_count, &st)) || (rc = planned_bind_filter(st, a, q)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_planned_list, &st)) || (rc = planned_bind_filter(st, a, q)) ||
        (rc = db_bind_i64(st, 4, q->after)) || (rc = db_bind_i64(st, 5, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit) {
        struct plan_planned *p = &out[count++];
        p->id = db_col_i64(st, 0);
        p->plan_no = db_col_arena(st, 1, arena);
        p->subdistrict = db_col_arena(st, 2, arena);
        p->community = db_col_arena(st, 3, arena);
        p->industry = db_col_arena(st, 4, arena);
        p->source = db_col_arena(st, 5, arena);
        p->external_id = db_col_arena(st, 6, arena);
        p->count = db_col_i64(st, 7);
        p->reported_at = db_col_i64(st, 8);
    }
    *n = count;
out:
    db_done(st);
    return rc;
}
