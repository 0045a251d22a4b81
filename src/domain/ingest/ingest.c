/* domain/ingest/ingest.c - the batch ingest pipeline shared by every upstream resource (R2.1-R2.6):
 * validate each item, store the valid ones idempotently in one transaction with their
 * counters, outbox events and one audit entry, then wake push/. See ingest.h.
 */
#include "domain/ingest/ingest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/strmap.h"
#include "core/time.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "db/db_value.h"
#include "db/db_writer.h"
#include "domain/ingest/ingest_fold.h"
#include "domain/platform/audit.h"
#include "domain/platform/division.h"
#include "json/jsonio.h"
#include "push/outbox.h"

#define INGEST_EARLIEST_MS 1546300800000LL /* 2019-01-01T00:00:00Z */
#define INGEST_FUTURE_MS (10 * 60 * 1000)

struct ingest_event_row {
    const char *topic, *subdistrict;
    json_t *payload;
};

struct ingest {
    struct app *app;
    struct db *db;
    const struct actor *actor;
    const struct ingest_kind *kind;
    struct arena arena;
    int64_t now;
    void *state;
    struct strmap sites, plans, counters;
    struct ingest_counter **counter_list;
    size_t n_counters, cap_counters;
    struct ingest_event_row *events;
    size_t n_events, cap_events;
    char src_checked[INGEST_SOURCE_MAX + 1]; /* the last source bound-checked, and its verdict */
    int src_rc;
};

struct db *ingest_db(struct ingest *ing) { return ing->db; }
struct app *ingest_app(struct ingest *ing) { return ing->app; }
const struct actor *ingest_actor(struct ingest *ing) { return ing->actor; }
struct arena *ingest_arena(struct ingest *ing) { return &ing->arena; }
void *ingest_state(struct ingest *ing) { return ing->state; }
int64_t ingest_now(struct ingest *ing) { return ing->now; }

int
ingest_reject(struct ingest_outcome *out, const char *field, const char *fmt, ...)
{
    va_list ap;
    out->status = INGEST_REJECTED;
    out->field = field;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    return ERR_INVALID;
}

/* Field readers ------------------------------------------------------------------------- */

/* ingest_field fetches key; *absent when missing or null (an error if required). */
static int
ingest_field(json_t *obj, const char *key, bool required, json_t **v, bool *absent, struct ingest_outcome *out)
{
    *v = json_object_get(obj, key);
    *absent = !*v || json_is_null(*v);
    if (*absent && required)
        return ingest_reject(out, key, "'%s' is required", key);
    return 0;
}

bool
ingest_is_code(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

int
ingest_text(json_t *obj, const char *key, bool required, size_t max, const char **s, struct ingest_outcome *out)
{
    json_t *v;
    bool absent;
    int rc;
    if ((rc = ingest_field(obj, key, required, &v, &absent, out)) || absent)
        return rc;
    if (!json_is_string(v))
        return ingest_reject(out, key, "'%s' must be a string", key);
    size_t n = json_string_length(v);
    const char *p = json_string_value(v);
    if (n == 0 || n > max)
        return ingest_reject(out, key, "'%s' must have 1 to %zu bytes", key, max);
    if (strlen(p) != n || !str_is_utf8(p, n) || str_has_ctl(p, n))
        return ingest_reject(out, key, "'%s' contains characters that are not allowed", key);
    *s = p;
    return 0;
}

int
ingest_code(json_t *obj, const char *key, bool required, size_t max, const char **s, struct ingest_outcome *out)
{
    const char *p = NULL;
    int rc = ingest_text(obj, key, required, max, &p, out);
    if (rc || !p)
        return rc;
    if (!ingest_is_code(p, strlen(p)))
        return ingest_reject(out, key, "'%s' may hold only letters, digits and . _ : -", key);
    *s = p;
    return 0;
}

int
ingest_known_keys(json_t *obj, const char *const *known, struct ingest_outcome *out)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, key) == 0;
        if (!found && jsonio_is_field_name(key))
            return ingest_reject(out, "", "unknown field '%s'", key);
        if (!found)
            return ingest_reject(out, "", "the record has a field that is not allowed here");
    }
    return 0;
}

int
ingest_source(json_t *obj, const char **source, const char **external_id, struct ingest_outcome *out)
{
    int rc = ingest_code(obj, "source", true, 64, source, out);
    return rc ? rc : ingest_code(obj, "external_id", true, 64, external_id, out);
}

int
ingest_enum(json_t *obj, const char *key, bool required, const char *const *values, const char **s,
            struct ingest_outcome *out)
{
    const char *p = NULL;
    int rc = ingest_text(obj, key, required, 64, &p, out);
    if (rc || !p)
        return rc;
    for (const char *const *v = values; *v; v++) {
        if (strcmp(*v, p) == 0) {
            *s = *v;
            return 0;
        }
    }
    return ingest_reject(out, key, "'%s' is not one of the allowed values", key);
}

int
ingest_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *v,
           struct ingest_outcome *out)
{
    json_t *j;
    bool absent;
    int rc;
    if ((rc = ingest_field(obj, key, required, &j, &absent, out)) || absent)
        return rc;
    if (!json_is_integer(j))
        return ingest_reject(out, key, "'%s' must be a whole number", key);
    json_int_t x = json_integer_value(j);
    if (x < min || x > max)
        return ingest_reject(out, key, "'%s' must be from %lld to %lld", key, (long long)min, (long long)max);
    *v = x;
    return 0;
}

int
ingest_time(json_t *obj, const char *key, bool required, int64_t now_ms, int64_t *ms, struct ingest_outcome *out)
{
    json_t *j;
    bool absent;
    int64_t t = 0;
    int rc;
    if ((rc = ingest_field(obj, key, required, &j, &absent, out)) || absent)
        return rc;
    if (json_is_integer(j))
        t = json_integer_value(j);
    else if (!json_is_string(j) || time_parse_rfc3339(json_string_value(j), &t))
        return ingest_reject(out, key, "'%s' must be an RFC 3339 time with offset or milliseconds since the epoch", key);
    if (t < INGEST_EARLIEST_MS)
        return ingest_reject(out, key, "'%s' is before 2019", key);
    if (t > now_ms + INGEST_FUTURE_MS)
        return ingest_reject(out, key, "'%s' is in the future", key);
    *ms = t;
    return 0;
}

static int
ingest_degrees(json_t *obj, const char *key, double min, double max, int64_t *e6, struct ingest_outcome *out)
{
    json_t *j = json_object_get(obj, key);
    if (!json_is_number(j))
        return ingest_reject(out, key, "'%s' must be a number (WGS-84 degrees)", key);
    double d = json_number_value(j);
    if (!isfinite(d) || d < min || d > max)
        return ingest_reject(out, key, "'%s' is outside the service area", key);
    *e6 = (int64_t)llround(d * 1e6);
    return 0;
}

int
ingest_coord(json_t *obj, const char *lon_key, const char *lat_key, bool required, int64_t *lon_e6,
             int64_t *lat_e6, struct ingest_outcome *out)
{
    json_t *lon = json_object_get(obj, lon_key), *lat = json_object_get(obj, lat_key);
    bool has_lon = lon && !json_is_null(lon), has_lat = lat && !json_is_null(lat);
    int rc;
    if (!has_lon && !has_lat) {
        if (required)
            return ingest_reject(out, lon_key, "'%s' and '%s' are required", lon_key, lat_key);
        return 0;
    }
    if (!has_lon || !has_lat)
        return ingest_reject(out, has_lon ? lat_key : lon_key, "'%s' and '%s' go together", lon_key, lat_key);
    if ((rc = ingest_degrees(obj, lon_key, 115.4, 117.6, lon_e6, out)))
        return rc;
    return ingest_degrees(obj, lat_key, 39.4, 41.1, lat_e6, out);
}

int
ingest_idno(json_t *obj, const char *key, char out_id[19], struct ingest_outcome *out)
{
    json_t *j = json_object_get(obj, key);
    enum idno_status st;
    if (!j || json_is_null(j))
        return ingest_reject(out, key, "'%s' is required", key);
    if (!json_is_string(j))
        return ingest_reject(out, key, "'%s' must be a string", key);
    st = idno_normalize(json_string_value(j), json_string_length(j), out_id);
    if (st != IDNO_OK && st != IDNO_FIXED && st != IDNO_CONVERTED_15)
        return ingest_reject(out, key, "'%s' is not a valid ID number (%s)", key, idno_status_code(st));
    return 0;
}

int
ingest_subdistrict(struct ingest *ing, json_t *obj, const char *key, bool required, const char **code,
                   struct ingest_outcome *out)
{
    const char *c = NULL;
    int rc = ingest_code(obj, key, required, 12, &c, out);
    if (rc || !c)
        return rc;
    if (division_check_subdistrict(ing->db, c))
        return ingest_reject(out, key, "'%s' is not a known subdistrict code", key);
    *code = c;
    return 0;
}

/* Cached lookups ------------------------------------------------------------------------ */

static const char sql_site[] =
    "SELECT id, code, subdistrict, community FROM sites WHERE code = ?1 AND deleted_at = 0";
static const char sql_plan[] = "SELECT id FROM plans WHERE plan_no = ?1";

int
ingest_site(struct ingest *ing, const char *field, const char *code, struct ingest_site *site,
            struct ingest_outcome *out)
{
    struct ingest_site *hit = strmap_get(&ing->sites, code, strlen(code));
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!hit) {
        if ((rc = db_prepare(ing->db, sql_site, &st)) || (rc = db_bind_text(st, 1, code, strlen(code))) ||
            (rc = db_step(st, &row))) {
            db_done(st);
            return rc;
        }
        if (row) {
            hit = arena_alloc(&ing->arena, sizeof *hit);
            hit->id = db_col_i64(st, 0);
            hit->code = db_col_arena(st, 1, &ing->arena);
            hit->subdistrict = db_col_arena(st, 2, &ing->arena);
            hit->community = db_col_arena(st, 3, &ing->arena);
            strmap_put(&ing->sites, code, strlen(code), hit);
        }
        db_done(st);
        if (!hit)
            return ingest_reject(out, field, "'%s' is not a known site", field);
    }
    *site = *hit;
    return 0;
}

int
ingest_plan(struct ingest *ing, const char *field, const char *plan_no, int64_t *plan_id,
            struct ingest_outcome *out)
{
    int64_t *hit = strmap_get(&ing->plans, plan_no, strlen(plan_no));
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!hit) {
        if ((rc = db_prepare(ing->db, sql_plan, &st)) || (rc = db_bind_text(st, 1, plan_no, strlen(plan_no))) ||
            (rc = db_step(st, &row))) {
            db_done(st);
            return rc;
        }
        if (row) {
            hit = arena_alloc(&ing->arena, sizeof *hit);
            *hit = db_col_i64(st, 0);
            strmap_put(&ing->plans, plan_no, strlen(plan_no), hit);
        }
        db_done(st);
        if (!hit)
            return ingest_reject(out, field, "'%s' is not a known plan", field);
    }
    *plan_id = *hit;
    return 0;
}

int
ingest_in_scope(struct ingest *ing, const char *field, const char *subdistrict, struct ingest_outcome *out)
{
    if (actor_in_scope(ing->actor, subdistrict))
        return 0;
    return ingest_reject(out, field, "'%s' is outside your subdistrict", field);
}

int
ingest_seal(struct ingest *ing, const char *ad, const char *text, const uint8_t **blob, size_t *len)
{
    size_t n = strlen(text), cap = FIELD_SEALED_LEN(n);
    uint8_t *out = arena_alloc(&ing->arena, cap);
    int rc = field_seal(&ing->app->keys, ad, text, n, out, cap, len);
    if (!rc)
        *blob = out;
    return rc;
}

int64_t
ingest_blind(struct ingest *ing, const char *domain, const char *value)
{
    return blind_index(&ing->app->keys, domain, value, strlen(value));
}

int
ingest_blind_idno(struct ingest *ing, const char *value, int64_t out[2], bool has[2])
{
    return blind_index_slots(&ing->app->keys, value, strlen(value), out, has);
}

/* Counters and events ------------------------------------------------------------------- */

static struct ingest_counter *
ingest_counter(struct ingest *ing, const char *key)
{
    struct ingest_counter *c = strmap_get(&ing->counters, key, strlen(key));
    if (c)
        return c;
    c = arena_alloc(&ing->arena, sizeof *c);
    memset(c, 0, sizeof *c);
    c->key = strmap_put(&ing->counters, key, strlen(key), c);
    VEC_ROOM(ing->counter_list, ing->n_counters, ing->cap_counters);
    ing->counter_list[ing->n_counters++] = c;
    return c;
}

int
ingest_count_scan(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *community,
                  int64_t site_id, int64_t at_ms, int64_t delta)
{
    int64_t hour = at_ms - ((at_ms % 3600000) + 3600000) % 3600000;
    char *key = arena_printf(&ing->arena, "s|%lld|%s|%s|%lld|%lld", (long long)plan_id, subdistrict,
                             community ? community : "", (long long)site_id, (long long)hour);
    struct ingest_counter *c = ingest_counter(ing, key);
    c->kind = 0;
    c->plan_id = plan_id;
    c->subdistrict = subdistrict;
    c->community = community ? community : "";
    c->site_id = site_id;
    c->hour = hour;
    c->deltas[0] += delta;
    return 0;
}

int
ingest_count_plan(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *industry,
                  enum ingest_plan_col col, int64_t delta)
{
    char *key = arena_printf(&ing->arena, "p|%lld|%s|%s", (long long)plan_id, subdistrict, industry ? industry : "");
    struct ingest_counter *c = ingest_counter(ing, key);
    c->kind = 1;
    c->plan_id = plan_id;
    c->subdistrict = subdistrict;
    c->industry = industry ? industry : "";
    c->deltas[col] += delta;
    return 0;
}

int
ingest_gauge(struct ingest *ing, const char *name, const char *subdistrict, int64_t delta)
{
    char *key = arena_printf(&ing->arena, "g|%s|%s", name, subdistrict);
    struct ingest_counter *c = ingest_counter(ing, key);
    c->kind = 2;
    c->name = name;
    c->subdistrict = subdistrict;
    c->deltas[0] += delta;
    return 0;
}

int
ingest_event(struct ingest *ing, const char *topic, const char *subdistrict, json_t *payload)
{
    VEC_ROOM(ing->events, ing->n_events, ing->cap_events);
    ing->events[ing->n_events++] = (struct ingest_event_row){ topic, subdistrict ? subdistrict : "", payload };
    return 0;
}

int
ingest_insert_step(struct db_stmt *st, struct ingest_outcome *out)
{
    bool row = false;
    int rc = db_step(st, &row);
    if (rc)
        return rc;
    if (!row)
        return ERR_CONFLICT;
    out->id = db_col_i64(st, 0);
    return 0;
}

static const char sql_gauge_upsert[] =
    "INSERT INTO stat_gauges (name, subdistrict, value) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (name, subdistrict) DO UPDATE SET value = stat_gauges.value + excluded.value";

static int
ingest_flush(struct ingest *ing)
{
    int rc = ingest_flush_counters(ing->db, ing->counter_list, ing->n_counters);
    if (rc || !ing->n_events)
        return rc;
    struct outbox_new *ev = xcalloc(ing->n_events, sizeof *ev);
    for (size_t i = 0; i < ing->n_events; i++) {
        size_t len = 0;
        ev[i] = (struct outbox_new){ ing->events[i].topic, ing->events[i].subdistrict,
                                     jsonio_dump(ing->events[i].payload, &len) };
    }
    if (!(rc = outbox_lock(ing->db)))
        rc = outbox_append_many(ing->db, ev, ing->n_events);
    for (size_t i = 0; i < ing->n_events; i++)
        xfree((char *)ev[i].payload);
    xfree(ev);
    return rc;
}

/* ingest_stage_group stages the batch's counters, events and audit entry in the group-commit
 * group g: written once per group at its close (counters, outbox head, audit head). */
static void
ingest_stage_group(struct ingest *ing, struct write_group *g, const char *action, const char *detail, size_t stored)
{
    ingest_fold_counters(g, ing->counter_list, ing->n_counters);
    for (size_t i = 0; i < ing->n_events; i++) {
        size_t len = 0;
        char *text = jsonio_dump(ing->events[i].payload, &len);
        write_group_event(g, ing->events[i].topic, ing->events[i].subdistrict, text);
        xfree(text);
    }
    write_group_audit(g, ing->actor, action, ing->kind->name, stored ? "ok" : "none", detail);
}

/* Changes outside ingest_run -------------------------------------------------------------- */

int
ingest_lock_row(struct db *db, const char *sql, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row)) &&
        db_changes(st) != 1)
        rc = ERR_NOT_FOUND;
    db_done(st);
    return rc;
}

int
ingest_gauge_add(struct db *db, const char *name, const char *subdistrict, int64_t delta)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (!(rc = db_prepare(db, sql_gauge_upsert, &st)) && !(rc = db_bind_str(st, 1, name)) &&
        !(rc = db_bind_str(st, 2, subdistrict)) && !(rc = db_bind_i64(st, 3, delta)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
ingest_emit(struct db *db, const char *topic, const char *subdistrict, json_t *payload)
{
    size_t len = 0;
    char *text;
    int rc;
    if (!payload)
        return ERR_INTERNAL;
    text = jsonio_dump(payload, &len);
    json_decref(payload);
    rc = outbox_append(db, topic, subdistrict, text, NULL);
    xfree(text);
    return rc;
}

int
ingest_emit_moved(struct db *db, const char *topic, const char *from, const char *to, json_t *payload)
{
    size_t len = 0;
    char *text;
    int rc;
    if (!payload)
        return ERR_INTERNAL;
    text = jsonio_dump(payload, &len);
    json_decref(payload);
    rc = outbox_append(db, topic, to, text, NULL);
    if (!rc && strcmp(from, to))
        rc = outbox_append(db, topic, from, text, NULL);
    xfree(text);
    return rc;
}

int
ingest_audit_commit(struct app *app, struct db *db, const struct actor *a, const char *action,
                    const char *target, const char *detail)
{
    int rc;
    if ((rc = audit_append(db, &app->keys, a, action, target, "ok", detail)) || (rc = db_commit(db)))
        return rc;
    push_kick();
    return 0;
}

/* The pipeline ---------------------------------------------------------------------------- */

/* Source binding (issue 12): the table is source_binding.c's; the per-item check here */

/* ingest_check_source: item obj's "source" must be unbound (it is bound to the caller now)
 * or bound to the caller. 0; ERR_INVALID after ingest_reject with code ERR_FORBIDDEN when
 * another writer owns it; another ERR_* when storage failed. */
static int
ingest_check_source(struct ingest *ing, json_t *obj, struct ingest_outcome *out)
{
    const char *source = json_string_value(json_object_get(obj, "source"));
    char owner[INGEST_OWNER_MAX];
    bool mine = false;
    int rc;
    if (!source || strlen(source) > INGEST_SOURCE_MAX || ingest_source_owner(ing->actor, owner))
        return 0; /* the kind's parse checked the field; the console binds nothing */
    if (strcmp(source, ing->src_checked) != 0) {
        if ((rc = ingest_source_bind(ing->db, source, owner, ing->now, &mine)))
            return rc;
        str_copy(ing->src_checked, sizeof ing->src_checked, source);
        ing->src_rc = mine ? 0 : ERR_FORBIDDEN;
    }
    if (!ing->src_rc)
        return 0;
    ingest_reject(out, "source", "the source '%s' belongs to another writer", source);
    out->code = ERR_FORBIDDEN;
    return ERR_INVALID;
}

static void
ingest_release(struct ingest *ing)
{
    for (size_t i = 0; i < ing->n_events; i++)
        json_decref(ing->events[i].payload);
    xfree(ing->events);
    xfree(ing->counter_list);
    strmap_release(&ing->sites);
    strmap_release(&ing->plans);
    strmap_release(&ing->counters);
    if (ing->state && ing->kind->release)
        ing->kind->release(ing);
    arena_release(&ing->arena);
}

/* Step 2 of the pipeline as one write: stores, the kind's finish, counters and events, the
 * audit entry - inside a transaction the caller (or the group-commit writer) holds, on db. */
struct ingest_store_job {
    struct ingest *ing;
    json_t *items; /* the request's items: their `source` is checked against the caller */
    char **recs;
    struct ingest_outcome *out;
    size_t count, stored;
};

static int
ingest_store_all(struct db *db, void *group, void *arg)
{
    struct ingest_store_job *job = arg;
    struct ingest *ing = job->ing;
    const struct ingest_kind *kind = ing->kind;
    struct ingest_outcome *out = job->out;
    size_t stored = 0, dup = 0, rej = 0;
    int rc;

    ing->db = db;
    for (size_t i = 0; i < job->count; i++) {
        if (!job->recs[i])
            continue;
        rc = ingest_check_source(ing, json_is_array(job->items) ? json_array_get(job->items, i) : job->items, &out[i]);
        if (rc && rc != ERR_INVALID)
            return rc;
        if (!rc)
            rc = kind->store(ing, job->recs[i], &out[i]);
        if (rc == ERR_CONFLICT) {
            out[i].status = INGEST_DUPLICATE;
        } else if (rc == ERR_INVALID) {
            if (out[i].status != INGEST_REJECTED)
                ingest_reject(&out[i], "", "item %zu is not valid", i);
        } else if (rc) {
            return rc;
        } else {
            out[i].status = INGEST_ACCEPTED;
            stored++;
        }
    }
    for (size_t i = 0; i < job->count; i++) {
        dup += out[i].status == INGEST_DUPLICATE;
        rej += out[i].status == INGEST_REJECTED;
    }
    if (kind->finish && (rc = kind->finish(ing)))
        return rc;
    char action[64], detail[96];
    snprintf(action, sizeof action, "%s.ingest", kind->name);
    snprintf(detail, sizeof detail, "accepted=%zu duplicate=%zu rejected=%zu", stored, dup, rej);
    job->stored = stored;
    if (group) { /* nothing can fail any more: fold into the group (write_group.h) */
        ingest_stage_group(ing, group, action, detail, stored);
        return 0;
    }
    if ((rc = ingest_flush(ing)))
        return rc;
    return audit_append(db, &ing->app->keys, ing->actor, action, kind->name, stored ? "ok" : "none", detail);
}

/* ingest_pipeline: parse on the caller's thread and connection, then store through writer
 * (group commit) or, writer NULL, in a transaction of the caller's own on db. */
static int
ingest_pipeline(struct app *app, struct db *db, struct db_writer *writer, const struct actor *a,
                const struct ingest_kind *kind, json_t *items, struct ingest_outcome **outcomes, size_t *n,
                size_t *accepted)
{
    struct ingest ing = { .app = app, .db = db, .actor = a, .kind = kind, .now = time_now_ms(),
                          .sites = STRMAP_INIT, .plans = STRMAP_INIT, .counters = STRMAP_INIT };
    size_t count = json_is_array(items) ? json_array_size(items) : 1;
    struct ingest_outcome *out = NULL;
    char **recs = NULL;
    int rc = ERR_INVALID;

    *outcomes = NULL;
    *n = *accepted = 0;
    if (!json_is_array(items) && !json_is_object(items))
        return ERR_INVALID;
    if (count > INGEST_BATCH_MAX)
        return ERR_TOO_LARGE;
    out = xcalloc(count ? count : 1, sizeof *out);
    recs = xcalloc(count ? count : 1, sizeof *recs);
    ing.state = kind->state_size ? arena_alloc(&ing.arena, kind->state_size) : NULL;
    if (ing.state)
        memset(ing.state, 0, kind->state_size);

    /* 1. validate without writing */
    for (size_t i = 0; i < count; i++) {
        json_t *obj = json_is_array(items) ? json_array_get(items, i) : items;
        if (!json_is_object(obj)) {
            ingest_reject(&out[i], "", "item %zu is not a JSON object", i);
            continue;
        }
        recs[i] = arena_alloc(&ing.arena, kind->record_size);
        memset(recs[i], 0, kind->record_size);
        if (kind->parse(&ing, obj, recs[i], &out[i])) {
            if (out[i].status != INGEST_REJECTED)
                ingest_reject(&out[i], "", "item %zu is not valid", i);
            recs[i] = NULL;
        }
    }

    /* 2. store in one transaction: the group's, or our own */
    struct ingest_store_job job = { &ing, items, recs, out, count, 0 };
    if (writer) {
        rc = db_writer_run(writer, ingest_store_all, &job);
    } else if (!(rc = db_begin(db))) {
        if ((rc = ingest_store_all(db, NULL, &job)) || (rc = db_commit(db)))
            db_rollback(db);
    }
    if (rc)
        goto out;
    if (ing.n_events)
        push_kick();
out:
    ingest_release(&ing);
    xfree(recs);
    if (rc) {
        xfree(out);
        return rc;
    }
    *outcomes = out;
    *n = count;
    *accepted = job.stored;
    return 0;
}

int
ingest_run(struct app *app, struct db *db, const struct actor *a, const struct ingest_kind *kind,
           json_t *items, struct ingest_outcome **outcomes, size_t *n, size_t *accepted)
{
    return ingest_pipeline(app, db, NULL, a, kind, items, outcomes, n, accepted);
}

int
ingest_submit(struct app *app, struct db *db, const struct actor *a, const struct ingest_kind *kind,
              json_t *items, struct ingest_outcome **outcomes, size_t *n, size_t *accepted)
{
    return ingest_pipeline(app, db, app->writer, a, kind, items, outcomes, n, accepted);
}
