/* domain/testing/sample.c - sampling scans (扫码取样, R2.4): validation, sealed storage, counters
 * (R2.7: scans per plan x subdistrict x community x site x hour, sampled per plan x
 * subdistrict) and "samples.counts" events that carry counts, never people. */
#include "domain/testing/sample.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/strmap.h"
#include "core/time.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "push/outbox.h"

/* A sealed field: blob NULL when the field is absent. */
struct sample_sealed {
    const uint8_t *blob;
    size_t len;
};

struct sample {
    const char *source, *external_id, *name, *phone, *tube_code, *site_code, *plan_no, *collector;
    char id_number[19];
    int64_t collected_at, mix_size, mix_index;
    /* sealed and blind-indexed by parse, on the request's thread, so the write
     * transaction (the group-commit writer's) holds no crypto work (issue 13) */
    int64_t person_bidx, person_bidx_b; /* both index slots (issue 12 rotate-index) */
    bool has_b;
    int seal_rc; /* a sealing failure (no data key) fails the batch in store, as before */
    struct sample_sealed sealed_id, sealed_name, sealed_phone, sealed_collector;
};

/* Per batch: accepted samples per (site, plan), for one event each at the end. */
struct sample_group {
    const char *site_code, *plan_no, *subdistrict;
    int64_t added;
};
struct sample_state {
    struct strmap groups;
    struct sample_group **list;
    size_t n, cap;
};

static bool
sample_phone_ok(const char *p)
{
    size_t n = strlen(p), digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            digits++;
        else if (p[i] != '-' && p[i] != '+' && p[i] != ' ')
            return false;
    }
    return digits >= 5 && digits <= 20;
}

static int
sample_seal(struct ingest *ing, const char *ad, const char *text, struct sample_sealed *out)
{
    *out = (struct sample_sealed){ NULL, 0 };
    return text ? ingest_seal(ing, ad, text, &out->blob, &out->len) : 0;
}

static int
sample_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct sample *s = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "id_number", "name", "phone",
                                         "tube_code", "site_code", "plan_no", "collected_at",
                                         "mix_size", "mix_index", "collector", NULL };
    s->mix_size = s->mix_index = 1;
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &s->source, &s->external_id, out)) ||
        (rc = ingest_idno(obj, "id_number", s->id_number, out)) ||
        (rc = ingest_text(obj, "name", true, 64, &s->name, out)) ||
        (rc = ingest_text(obj, "phone", false, 32, &s->phone, out)) ||
        (rc = ingest_code(obj, "tube_code", true, 32, &s->tube_code, out)) ||
        (rc = ingest_code(obj, "site_code", true, 32, &s->site_code, out)) ||
        (rc = ingest_code(obj, "plan_no", false, 32, &s->plan_no, out)) ||
        (rc = ingest_time(obj, "collected_at", true, ingest_now(ing), &s->collected_at, out)) ||
        (rc = ingest_int(obj, "mix_size", false, 1, 50, &s->mix_size, out)) ||
        (rc = ingest_int(obj, "mix_index", false, 1, 50, &s->mix_index, out)) ||
        (rc = ingest_text(obj, "collector", false, 64, &s->collector, out)))
        return rc;
    if (s->phone && !sample_phone_ok(s->phone))
        return ingest_reject(out, "phone", "'phone' is not a phone number");
    if (s->mix_index > s->mix_size)
        return ingest_reject(out, "mix_index", "'mix_index' is larger than 'mix_size'");
    int64_t slots[2];
    bool has[2];
    if ((rc = ingest_blind_idno(ing, s->id_number, slots, has)))
        return rc;
    s->person_bidx = slots[0];
    s->person_bidx_b = slots[1];
    s->has_b = has[1];
    if ((rc = sample_seal(ing, "samples.id_number", s->id_number, &s->sealed_id)) ||
        (rc = sample_seal(ing, "samples.name", s->name, &s->sealed_name)) ||
        (rc = sample_seal(ing, "samples.phone", s->phone, &s->sealed_phone)) ||
        (rc = sample_seal(ing, "samples.collector", s->collector, &s->sealed_collector)))
        s->seal_rc = rc;
    return 0;
}

static const char sql_insert[] =
    "INSERT INTO samples (source, external_id, person_bidx, id_number, name, phone, tube_code, mix_size,"
    " mix_index, site_id, plan_id, subdistrict, community, collected_at, collector, created_at, person_bidx_b)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id";

static int
sample_bind_sealed(struct db_stmt *st, int idx, const struct sample_sealed *v)
{
    return v->blob ? db_bind_blob(st, idx, v->blob, v->len) : db_bind_null(st, idx);
}

static int
sample_count(struct ingest *ing, const struct sample *s, const struct ingest_site *site, int64_t plan_id)
{
    struct sample_state *state = ingest_state(ing);
    char *key = arena_printf(ingest_arena(ing), "%s|%s", s->site_code, s->plan_no ? s->plan_no : "");
    struct sample_group *g = strmap_get(&state->groups, key, strlen(key));
    int rc;
    if ((rc = ingest_count_scan(ing, plan_id, site->subdistrict, site->community, site->id, s->collected_at, 1)))
        return rc;
    if (plan_id && (rc = ingest_count_plan(ing, plan_id, site->subdistrict, "", STAT_SAMPLED, 1)))
        return rc;
    if (!g) {
        g = arena_alloc(ingest_arena(ing), sizeof *g);
        *g = (struct sample_group){ site->code, s->plan_no, site->subdistrict, 0 };
        strmap_put(&state->groups, key, strlen(key), g);
        VEC_ARENA_ROOM(ingest_arena(ing), state->list, state->n, state->cap);
        state->list[state->n++] = g;
    }
    g->added++;
    return 0;
}

static int
sample_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct sample *s = rec;
    struct ingest_site site;
    struct db_stmt *st = NULL;
    int64_t plan_id = 0;
    int rc;

    if (s->seal_rc)
        return s->seal_rc;
    if ((rc = ingest_site(ing, "site_code", s->site_code, &site, out)) ||
        (rc = ingest_in_scope(ing, "site_code", site.subdistrict, out)) ||
        (s->plan_no && (rc = ingest_plan(ing, "plan_no", s->plan_no, &plan_id, out))))
        return rc;
    if ((rc = db_prepare(ingest_db(ing), sql_insert, &st)) || (rc = db_bind_str(st, 1, s->source)) ||
        (rc = db_bind_str(st, 2, s->external_id)) ||
        (rc = db_bind_i64(st, 3, s->person_bidx)) || (rc = sample_bind_sealed(st, 4, &s->sealed_id)) ||
        (rc = sample_bind_sealed(st, 5, &s->sealed_name)) || (rc = sample_bind_sealed(st, 6, &s->sealed_phone)) ||
        (rc = db_bind_str(st, 7, s->tube_code)) ||
        (rc = db_bind_i64(st, 8, s->mix_size)) || (rc = db_bind_i64(st, 9, s->mix_index)) ||
        (rc = db_bind_i64(st, 10, site.id)) ||
        (rc = plan_id ? db_bind_i64(st, 11, plan_id) : db_bind_null(st, 11)) ||
        (rc = db_bind_str(st, 12, site.subdistrict)) || (rc = db_bind_nonempty(st, 13, site.community)) ||
        (rc = db_bind_i64(st, 14, s->collected_at)) ||
        (rc = sample_bind_sealed(st, 15, &s->sealed_collector)) ||
        (rc = db_bind_i64(st, 16, ingest_now(ing))) ||
        (rc = s->has_b ? db_bind_i64(st, 17, s->person_bidx_b) : db_bind_null(st, 17)) ||
        (rc = ingest_insert_step(st, out)))
        goto out;
    rc = sample_count(ing, s, &site, plan_id);
out:
    db_done(st);
    return rc;
}

static int
sample_finish(struct ingest *ing)
{
    struct sample_state *state = ingest_state(ing);
    int rc = 0;
    for (size_t i = 0; !rc && i < state->n; i++) {
        const struct sample_group *g = state->list[i];
        json_t *p = json_pack("{s:s, s:s?, s:s, s:I}", "site_code", g->site_code, "plan_no", g->plan_no,
                              "subdistrict", g->subdistrict, "added", (json_int_t)g->added);
        rc = ingest_event(ing, "samples.counts", g->subdistrict, p);
    }
    strmap_release(&state->groups);
    return rc;
}

static void
sample_release(struct ingest *ing)
{
    struct sample_state *state = ingest_state(ing);
    strmap_release(&state->groups); /* idempotent: after sample_finish too */
}

const struct ingest_kind sample_kind = {
    .name = "samples",
    .record_size = sizeof(struct sample),
    .state_size = sizeof(struct sample_state),
    .parse = sample_parse,
    .store = sample_store,
    .finish = sample_finish,
    .release = sample_release,
};

static const char sql_get_live[] =
    "SELECT s.site_id, COALESCE(s.plan_id, 0), s.subdistrict, s.community, s.collected_at, t.code, p.plan_no"
    " FROM samples s JOIN sites t ON t.id = s.site_id LEFT JOIN plans p ON p.id = s.plan_id"
    " WHERE s.id = ?1 AND s.deleted_at = 0";
static const char sql_tombstone[] = "UPDATE samples SET deleted_at = ?2 WHERE id = ?1 AND deleted_at = 0";
static const char sql_scan_dec[] =
    "UPDATE stat_scans SET n = n - 1 WHERE plan_id = ?1 AND subdistrict = ?2 AND community = ?3"
    " AND site_id = ?4 AND hour = ?5";
static const char sql_plan_dec[] =
    "UPDATE stat_plan SET sampled = sampled - 1 WHERE plan_id = ?1 AND subdistrict = ?2 AND industry = ''";

int
sample_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false, in_tx = false;
    int64_t site_id, plan_id, at, hour;
    char sub[16] = "", comm[16] = "", target[48];
    json_t *ev = NULL;
    size_t n = 0;
    const char *s;
    int rc;

    if ((rc = db_begin(db)))
        return rc;
    in_tx = true;
    if ((rc = db_prepare(db, sql_get_live, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    site_id = db_col_i64(st, 0);
    plan_id = db_col_i64(st, 1);
    db_col_copy(st, 2, sub, sizeof sub);
    db_col_copy(st, 3, comm, sizeof comm);
    at = db_col_i64(st, 4);
    /* the same event shape as an ingest: {"site_code","plan_no","subdistrict","added"} */
    s = db_col_text(st, 5, &n);
    ev = json_pack("{s:s#, s:s, s:i}", "site_code", s ? s : "", (int)n, "subdistrict", sub, "added", -1);
    s = db_col_text(st, 6, &n);
    json_object_set_new(ev, "plan_no", s ? json_stringn(s, n) : json_null());
    db_done(st);
    st = NULL;
    if (!actor_in_scope(a, sub)) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    hour = at - ((at % 3600000) + 3600000) % 3600000;
    if ((rc = db_prepare(db, sql_tombstone, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_scan_dec, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
        (rc = db_bind_str(st, 2, sub)) || (rc = db_bind_str(st, 3, comm)) ||
        (rc = db_bind_i64(st, 4, site_id)) || (rc = db_bind_i64(st, 5, hour)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if (plan_id && ((rc = db_prepare(db, sql_plan_dec, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
                    (rc = db_bind_str(st, 2, sub)) || (rc = db_step(st, &row))))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "sample:%lld", (long long)id);
    if ((rc = outbox_lock(db)) || (rc = ingest_emit(db, "samples.counts", sub, json_incref(ev))) ||
        (rc = ingest_audit_commit(app, db, a, "samples.delete", target, NULL)))
        goto out;
    in_tx = false;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    json_decref(ev);
    return rc;
}
