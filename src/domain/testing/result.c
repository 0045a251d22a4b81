/* domain/testing/result.c - laboratory results per tube (检测结果, R2.6): the ingest kind (results
 * may come before their samples), the per-value counters of the big screen (R2.7) and
 * "results.counts" events with counts only, and the list reads. Reading a person's result
 * is the personal query's business (R4), not this file's. */
#include "domain/testing/result.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/strmap.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/platform/app.h"
#include "domain/platform/audit.h"

const char *const result_values[] = { "negative", "positive", "invalid", "pending", NULL };
static const char *const result_gauges[] = { "results_negative", "results_positive", "results_invalid",
                                              "results_pending" };
#define RESULT_NVALUES 4

struct result_rec {
    const char *source, *external_id, *tube_code, *institution, *result;
    int64_t tested_at;
};

/* Per batch: accepted results per (institution, subdistrict), one event each at the end. */
struct result_group {
    const char *institution, *subdistrict;
    int64_t counts[RESULT_NVALUES];
};
struct result_state {
    struct strmap groups;
    struct result_group **list;
    size_t n, cap;
};

static int
result_value_index(const char *v)
{
    for (int i = 0; i < RESULT_NVALUES; i++)
        if (strcmp(result_values[i], v) == 0)
            return i;
    return -1;
}

static int
result_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct result_rec *r = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "tube_code", "institution", "tested_at",
                                         "result", NULL };
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_code(obj, "tube_code", true, 32, &r->tube_code, out)) ||
        (rc = ingest_text(obj, "institution", true, 128, &r->institution, out)) ||
        (rc = ingest_time(obj, "tested_at", true, ingest_now(ing), &r->tested_at, out)) ||
        (rc = ingest_enum(obj, "result", true, result_values, &r->result, out)))
        return rc;
    return 0;
}

static const char sql_tube_subdistrict[] =
    "SELECT subdistrict FROM samples WHERE tube_code = ?1 AND deleted_at = 0 ORDER BY id LIMIT 1";
static const char sql_insert[] =
    "INSERT INTO results (source, external_id, tube_code, institution, tested_at, result, created_at, mac, mac_key)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (source, external_id) DO NOTHING RETURNING id";

/* result_subdistrict finds the subdistrict of the tube's samples ("" when none yet). */
static int
result_subdistrict(struct ingest *ing, const char *tube, const char **sub)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *sub = "";
    if (!(rc = db_prepare(ingest_db(ing), sql_tube_subdistrict, &st)) && !(rc = db_bind_str(st, 1, tube)) &&
        !(rc = db_step(st, &row)) && row)
        *sub = db_col_arena(st, 0, ingest_arena(ing));
    db_done(st);
    return rc;
}

static int
result_count(struct ingest *ing, const struct result_rec *r, const char *sub, int value)
{
    struct result_state *state = ingest_state(ing);
    char *key = arena_printf(ingest_arena(ing), "%s|%s", sub, r->institution);
    struct result_group *g = strmap_get(&state->groups, key, strlen(key));
    int rc;
    if ((rc = ingest_gauge(ing, result_gauges[value], sub, 1)))
        return rc;
    if (!g) {
        g = arena_alloc(ingest_arena(ing), sizeof *g);
        memset(g, 0, sizeof *g);
        g->institution = r->institution;
        g->subdistrict = sub;
        strmap_put(&state->groups, key, strlen(key), g);
        VEC_ARENA_ROOM(ingest_arena(ing), state->list, state->n, state->cap);
        state->list[state->n++] = g;
    }
    g->counts[value]++;
    return 0;
}

static int
result_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct result_rec *r = rec;
    struct db_stmt *st = NULL;
    const char *sub = "";
    int value = result_value_index(r->result);
    const struct result whole = { .source = r->source, .external_id = r->external_id, .tube_code = r->tube_code,
                                  .institution = r->institution, .result = r->result, .tested_at = r->tested_at };
    uint8_t mac[SM3_LEN];
    uint32_t key_id = 0;
    int rc;

    if ((rc = result_subdistrict(ing, r->tube_code, &sub)) || (rc = ingest_in_scope(ing, "tube_code", sub, out)) ||
        (rc = result_mac_sign(&ingest_app(ing)->keys, &whole, mac, &key_id)))
        return rc;
    if ((rc = db_prepare(ingest_db(ing), sql_insert, &st)) || (rc = db_bind_str(st, 1, r->source)) ||
        (rc = db_bind_str(st, 2, r->external_id)) || (rc = db_bind_str(st, 3, r->tube_code)) ||
        (rc = db_bind_str(st, 4, r->institution)) || (rc = db_bind_i64(st, 5, r->tested_at)) ||
        (rc = db_bind_str(st, 6, r->result)) || (rc = db_bind_i64(st, 7, ingest_now(ing))) ||
        (rc = db_bind_blob(st, 8, mac, SM3_LEN)) || (rc = db_bind_i64(st, 9, key_id)) ||
        (rc = ingest_insert_step(st, out)))
        goto out;
    rc = result_count(ing, r, sub, value);
out:
    db_done(st);
    return rc;
}

static int
result_finish(struct ingest *ing)
{
    struct result_state *state = ingest_state(ing);
    int rc = 0;
    for (size_t i = 0; !rc && i < state->n; i++) {
        const struct result_group *g = state->list[i];
        json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "institution", g->institution, "subdistrict",
                              g->subdistrict, "negative", (json_int_t)g->counts[0], "positive",
                              (json_int_t)g->counts[1], "invalid", (json_int_t)g->counts[2], "pending",
                              (json_int_t)g->counts[3], "added",
                              (json_int_t)(g->counts[0] + g->counts[1] + g->counts[2] + g->counts[3]));
        rc = ingest_event(ing, "results.counts", g->subdistrict, p);
    }
    strmap_release(&state->groups);
    return rc;
}

static void
result_release(struct ingest *ing)
{
    struct result_state *state = ingest_state(ing);
    strmap_release(&state->groups); /* idempotent: after result_finish too */
}

const struct ingest_kind result_kind = {
    .name = "results",
    .record_size = sizeof(struct result_rec),
    .state_size = sizeof(struct result_state),
    .parse = result_parse,
    .store = result_store,
    .finish = result_finish,
    .release = result_release,
};

/* Reading ------------------------------------------------------------------------------- */

/* ?1 institution, ?2 result, ?3 from, ?4 to, ?5 subdistrict ('' = any), ?6 tube code
 * ('' = any; the tube variants compare it plainly so results_tube serves them); lists add
 * ?7 before id and ?8 limit. */
#define RESULT_COLS                                                                                          \
    "r.id, r.source, r.external_id, r.tube_code, r.institution, r.result, r.tested_at, r.created_at, r.mac,"   \
    " r.mac_key"
#define RESULT_WHERE                                                                                          \
    " WHERE (?1 = '' OR r.institution = ?1) AND (?2 = '' OR r.result = ?2) AND r.tested_at >= ?3"             \
    " AND r.tested_at < ?4 AND (?5 = '' OR EXISTS (SELECT 1 FROM samples s WHERE s.tube_code = r.tube_code"   \
    " AND s.subdistrict = ?5 AND s.deleted_at = 0))"
#define RESULT_ANY_TUBE " AND (?6 = '' OR r.tube_code = ?6)"
#define RESULT_TUBE " AND r.tube_code = ?6"
#define RESULT_PAGE " AND (?7 = 0 OR r.id < ?7) ORDER BY r.id DESC LIMIT ?8"

static const char sql_list[] = "SELECT " RESULT_COLS " FROM results r" RESULT_WHERE RESULT_ANY_TUBE RESULT_PAGE;
static const char sql_count[] = "SELECT COUNT(*) FROM results r" RESULT_WHERE RESULT_ANY_TUBE;
static const char sql_list_tube[] = "SELECT " RESULT_COLS " FROM results r" RESULT_WHERE RESULT_TUBE RESULT_PAGE;
static const char sql_count_tube[] = "SELECT COUNT(*) FROM results r" RESULT_WHERE RESULT_TUBE;

static int
result_bind(struct db_stmt *st, const struct result_query *q, const char *sub, bool page)
{
    int rc;
    if ((rc = db_bind_str(st, 1, q->institution)) || (rc = db_bind_str(st, 2, q->result)) ||
        (rc = db_bind_i64(st, 3, q->from)) || (rc = db_bind_i64(st, 4, q->to ? q->to : INT64_MAX)) ||
        (rc = db_bind_str(st, 5, sub)) || (rc = db_bind_str(st, 6, q->tube_code)))
        return rc;
    if (page && ((rc = db_bind_i64(st, 7, q->before_id)) || (rc = db_bind_i64(st, 8, (int64_t)q->limit))))
        return rc;
    return 0;
}

int
result_list(const struct keyring *kr, struct db *db, const struct actor *a, const struct result_query *q,
            struct arena *arena, struct result **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *sub = NULL;
    struct result *list;
    size_t count = 0, damaged = 0;
    int64_t upto = 0;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    *total = 0;
    if (q->result && result_value_index(q->result) < 0)
        return ERR_INVALID;
    if ((rc = actor_scope(a, q->subdistrict, &sub)))
        return rc;
    if ((rc = db_prepare(db, q->tube_code ? sql_count_tube : sql_count, &st)) ||
        (rc = result_bind(st, q, sub, false)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    list = arena_alloc(arena, (q->limit ? q->limit : 1) * sizeof *list);
    if ((rc = result_legacy_upto(db, &upto)) || (rc = db_prepare(db, q->tube_code ? sql_list_tube : sql_list, &st)) || (rc = result_bind(st, q, sub, true)))
        goto out;
    while (count < q->limit && !(rc = db_step(st, &row)) && row) {
        struct result *r = &list[count++];
        r->id = db_col_i64(st, 0);
        r->source = db_col_arena(st, 1, arena);
        r->external_id = db_col_arena(st, 2, arena);
        r->tube_code = db_col_arena(st, 3, arena);
        r->institution = db_col_arena(st, 4, arena);
        r->result = db_col_arena(st, 5, arena);
        r->tested_at = db_col_i64(st, 6);
        r->created_at = db_col_i64(st, 7);
        size_t mn = 0;
        const void *mac = db_col_blob(st, 8, &mn);
        if (result_mac_ok(kr, r, mac, mn, db_col_is_null(st, 9) ? -1 : db_col_i64(st, 9), db_col_is_null(st, 8),
                          upto)) {
            r->result = "damaged"; /* never the stored value (issue 12) */
            r->institution = "";
            damaged++;
        }
    }
    if (rc)
        goto out;
    *items = list;
    *n = count;
    if (damaged) {
        char detail[64];
        db_done(st);
        st = NULL;
        snprintf(detail, sizeof detail, "column=results results=%zu", damaged);
        rc = audit_record(db, kr, a, "integrity.failure", "results", "failed", detail);
    }
out:
    db_done(st);
    return rc;
}
