/* domain/testing/transport.c - transports of tubes from sites to laboratories (转运, R2.5): the
 * ingest kind, lists and reads (never the courier), and the arrival / loss update; keeps
 * the "transports_in_flight" gauge (R2.7, big screen) and writes "transports" events.
 * It is not the laboratory's side of things: results are domain/testing/result.c. */
#include "domain/testing/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/platform/app.h"
#include "push/outbox.h"

#define TRANSPORT_FUTURE_MS (10 * 60 * 1000)

static const char *const transport_statuses[] = { "in_transit", "received", "lost", NULL };

struct transport_rec {
    const char *source, *external_id, *box_code, *from_site, *to_lab, *courier, *status;
    const char **tubes;
    size_t n_tubes;
    int64_t handed_at, received_at;
};

/* Parsing ------------------------------------------------------------------------------- */

static bool
transport_is_code(const char *s, size_t n)
{
    return n > 0 && n <= 32 && strlen(s) == n && ingest_is_code(s, n);
}

static int
transport_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
transport_parse_tubes(struct ingest *ing, json_t *obj, struct transport_rec *r, struct ingest_outcome *out)
{
    json_t *arr = json_object_get(obj, "tube_codes");
    size_t n;
    if (!arr || json_is_null(arr))
        return ingest_reject(out, "tube_codes", "'tube_codes' is required");
    if (!json_is_array(arr))
        return ingest_reject(out, "tube_codes", "'tube_codes' must be an array of tube codes");
    n = json_array_size(arr);
    if (n == 0 || n > TRANSPORT_TUBES_MAX)
        return ingest_reject(out, "tube_codes", "'tube_codes' must hold 1 to %d codes", TRANSPORT_TUBES_MAX);
    r->tubes = arena_alloc(ingest_arena(ing), n * sizeof *r->tubes);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || !transport_is_code(json_string_value(v), json_string_length(v)))
            return ingest_reject(out, "tube_codes",
                                 "'tube_codes' item %zu must be 1 to 32 letters, digits and . _ : -", i);
        r->tubes[i] = json_string_value(v);
    }
    qsort(r->tubes, n, sizeof *r->tubes, transport_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r->tubes[i - 1], r->tubes[i]) == 0)
            return ingest_reject(out, "tube_codes", "'tube_codes' holds the same code twice");
    r->n_tubes = n;
    return 0;
}

static int
transport_parse(struct ingest *ing, json_t *obj, void *rec, struct ingest_outcome *out)
{
    struct transport_rec *r = rec;
    int rc;
    static const char *const known[] = { "source", "external_id", "box_code", "tube_codes", "from_site",
                                         "to_lab", "handed_at", "received_at", "courier", "status", NULL };
    if ((rc = ingest_known_keys(obj, known, out)) || (rc = ingest_source(obj, &r->source, &r->external_id, out)) ||
        (rc = ingest_code(obj, "box_code", true, 64, &r->box_code, out)) ||
        (rc = transport_parse_tubes(ing, obj, r, out)) ||
        (rc = ingest_code(obj, "from_site", true, 32, &r->from_site, out)) ||
        (rc = ingest_text(obj, "to_lab", true, 128, &r->to_lab, out)) ||
        (rc = ingest_time(obj, "handed_at", true, ingest_now(ing), &r->handed_at, out)) ||
        (rc = ingest_time(obj, "received_at", false, ingest_now(ing), &r->received_at, out)) ||
        (rc = ingest_text(obj, "courier", false, 64, &r->courier, out)) ||
        (rc = ingest_enum(obj, "status", false, transport_statuses, &r->status, out)))
        return rc;
    if (!r->status)
        r->status = r->received_at ? "received" : "in_transit";
    if (strcmp(r->status, "received") == 0 && !r->received_at)
        return ingest_reject(out, "received_at", "'received_at' is required when 'status' is received");
    if (strcmp(r->status, "received") != 0 && r->received_at)
        return ingest_reject(out, "received_at", "'received_at' goes only with 'status' received");
    if (r->received_at && r->received_at < r->handed_at)
        return ingest_reject(out, "received_at", "'received_at' is before 'handed_at'");
    return 0;
}

/* Storing ------------------------------------------------------------------------------- */

static const char sql_insert[] =
    "INSERT INTO transports (source, external_id, box_code, from_site, subdistrict, to_lab, handed_at,"
    " received_at, courier, status, tube_count, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)"
    " ON CONFLICT (source, external_id) DO NOTHING RETURNING id";
static const char sql_insert_tube[] =
    "INSERT INTO transport_tubes (transport_id, tube_code) VALUES (?1, ?2)"
    " ON CONFLICT (transport_id, tube_code) DO NOTHING";

/* transport_event builds the "transports" payload: keys, codes, status and times only. */
static json_t *
transport_event(const char *action, int64_t id, const char *box_code, const char *from_site,
                const char *subdistrict, const char *to_lab, const char *status, int64_t tube_count,
                int64_t handed_at, int64_t received_at)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "action", action, "id", (json_int_t)id,
                     "box_code", box_code, "from_site", from_site, "subdistrict", subdistrict, "to_lab", to_lab,
                     "status", status, "tube_count", (json_int_t)tube_count, "handed_at", (json_int_t)handed_at,
                     "received_at", received_at ? json_integer(received_at) : json_null());
}

static int
transport_store(struct ingest *ing, void *rec, struct ingest_outcome *out)
{
    struct transport_rec *r = rec;
    struct db *db = ingest_db(ing);
    struct ingest_site site;
    struct db_stmt *st = NULL;
    const uint8_t *courier = NULL;
    size_t courier_len = 0;
    bool row = false;
    int64_t id;
    int rc;

    if ((rc = ingest_site(ing, "from_site", r->from_site, &site, out)) ||
        (rc = ingest_in_scope(ing, "from_site", site.subdistrict, out)))
        return rc;
    if (r->courier && (rc = ingest_seal(ing, "transports.courier", r->courier, &courier, &courier_len)))
        return rc;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_str(st, 1, r->source)) ||
        (rc = db_bind_str(st, 2, r->external_id)) || (rc = db_bind_str(st, 3, r->box_code)) ||
        (rc = db_bind_i64(st, 4, site.id)) || (rc = db_bind_str(st, 5, site.subdistrict)) ||
        (rc = db_bind_str(st, 6, r->to_lab)) || (rc = db_bind_i64(st, 7, r->handed_at)) ||
        (rc = db_bind_i64(st, 8, r->received_at)) ||
        (rc = courier ? db_bind_blob(st, 9, courier, courier_len) : db_bind_null(st, 9)) ||
        (rc = db_bind_str(st, 10, r->status)) || (rc = db_bind_i64(st, 11, (int64_t)r->n_tubes)) ||
        (rc = db_bind_i64(st, 12, ingest_now(ing))) || (rc = ingest_insert_step(st, out)))
        goto out;
    id = out->id;
    db_done(st);
    st = NULL;
    for (size_t i = 0; i < r->n_tubes; i++) {
        if ((rc = db_prepare(db, sql_insert_tube, &st)) || (rc = db_bind_i64(st, 1, id)) ||
            (rc = db_bind_str(st, 2, r->tubes[i])) || (rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
    }
    if (strcmp(r->status, "in_transit") == 0 && (rc = ingest_gauge(ing, TRANSPORT_GAUGE, site.subdistrict, 1)))
        goto out;
    rc = ingest_event(ing, "transports", site.subdistrict,
                      transport_event("create", id, r->box_code, site.code, site.subdistrict, r->to_lab, r->status,
                                      (int64_t)r->n_tubes, r->handed_at, r->received_at));
out:
    db_done(st);
    return rc;
}

const struct ingest_kind transport_kind = {
    .name = "transports",
    .record_size = sizeof(struct transport_rec),
    .state_size = 0,
    .parse = transport_parse,
    .store = transport_store,
    .finish = NULL,
};

/* Reading ------------------------------------------------------------------------------- */

#define TRANSPORT_COLS                                                                               \
    "t.id, t.source, t.external_id, t.box_code, si.code, t.subdistrict, t.to_lab, t.status, t.handed_at," \
    " t.received_at, t.tube_count, t.created_at, t.updated_at"

static const char sql_list[] =
    "SELECT " TRANSPORT_COLS " FROM transports t JOIN sites si ON si.id = t.from_site"
    " WHERE (?1 = '' OR t.status = ?1) AND (?2 = '' OR si.code = ?2) AND (?3 = '' OR t.subdistrict = ?3)"
    " AND t.handed_at >= ?4 AND t.handed_at < ?5 AND (?6 = 0 OR t.id < ?6)"
    " ORDER BY t.id DESC LIMIT ?7";
static const char sql_count[] =
    "SELECT COUNT(*) FROM transports t JOIN sites si ON si.id = t.from_site"
    " WHERE (?1 = '' OR t.status = ?1) AND (?2 = '' OR si.code = ?2) AND (?3 = '' OR t.subdistrict = ?3)"
    " AND t.handed_at >= ?4 AND t.handed_at < ?5";
static const char sql_get[] =
    "SELECT " TRANSPORT_COLS " FROM transports t JOIN sites si ON si.id = t.from_site WHERE t.id = ?1";
static const char sql_tubes[] = "SELECT tube_code FROM transport_tubes WHERE transport_id = ?1 ORDER BY tube_code";

static void
transport_row(struct db_stmt *st, struct arena *arena, struct transport *t)
{
    memset(t, 0, sizeof *t);
    t->id = db_col_i64(st, 0);
    t->source = db_col_arena(st, 1, arena);
    t->external_id = db_col_arena(st, 2, arena);
    t->box_code = db_col_arena(st, 3, arena);
    t->from_site = db_col_arena(st, 4, arena);
    t->subdistrict = db_col_arena(st, 5, arena);
    t->to_lab = db_col_arena(st, 6, arena);
    t->status = db_col_arena(st, 7, arena);
    t->handed_at = db_col_i64(st, 8);
    t->received_at = db_col_i64(st, 9);
    t->tube_count = db_col_i64(st, 10);
    t->created_at = db_col_i64(st, 11);
    t->updated_at = db_col_i64(st, 12);
}

static int
transport_bind_filters(struct db_stmt *st, const struct transport_query *q, const char *sub)
{
    int rc;
    if ((rc = db_bind_str(st, 1, q->status)) || (rc = db_bind_str(st, 2, q->from_site)) ||
        (rc = db_bind_str(st, 3, sub)) || (rc = db_bind_i64(st, 4, q->from)) ||
        (rc = db_bind_i64(st, 5, q->to ? q->to : INT64_MAX)))
        return rc;
    return 0;
}

int
transport_list(struct db *db, const struct actor *a, const struct transport_query *q, struct arena *arena,
               struct transport **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *sub = NULL;
    struct transport *list = NULL;
    size_t count = 0;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    *total = 0;
    if ((rc = actor_scope(a, q->subdistrict, &sub)))
        return rc;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = transport_bind_filters(st, q, sub)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    list = arena_alloc(arena, (q->limit ? q->limit : 1) * sizeof *list);
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = transport_bind_filters(st, q, sub)) ||
        (rc = db_bind_i64(st, 6, q->before_id)) || (rc = db_bind_i64(st, 7, (int64_t)q->limit)))
        goto out;
    while (count < q->limit && !(rc = db_step(st, &row)) && row)
        transport_row(st, arena, &list[count++]);
    if (rc)
        goto out;
    *items = list;
    *n = count;
out:
    db_done(st);
    return rc;
}

/* transport_read reads row id into *t (no tubes); ERR_NOT_FOUND when absent or out of scope. */
static int
transport_read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct transport *t)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    transport_row(st, arena, t);
    if (!actor_in_scope(a, t->subdistrict))
        rc = ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

int
transport_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct transport *out)
{
    struct db_stmt *st = NULL;
    size_t cap;
    bool row = false;
    int rc;

    if ((rc = transport_read(db, a, id, arena, out)))
        return rc;
    cap = out->tube_count > 0 && out->tube_count <= TRANSPORT_TUBES_MAX ? (size_t)out->tube_count : 1;
    out->tubes = arena_alloc(arena, cap * sizeof *out->tubes);
    if ((rc = db_prepare(db, sql_tubes, &st)) || (rc = db_bind_i64(st, 1, id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && out->n_tubes < cap)
        out->tubes[out->n_tubes++] = db_col_arena(st, 0, arena);
out:
    db_done(st);
    return rc;
}

/* Updating ------------------------------------------------------------------------------ */

static const char sql_update[] =
    "UPDATE transports SET status = ?2, received_at = ?3, updated_at = ?4 WHERE id = ?1 AND status = ?5";

/* transport_check decides the new status and time; 0, or ERR_INVALID / ERR_CONFLICT with
 * the reason appended to why. *noop: nothing would change. */
static int
transport_check(const struct transport *t, const struct transport_change *c, int64_t now, const char **status,
                int64_t *received_at, bool *noop, struct buf *why)
{
    const char *s = c->status;
    bool known = false;

    *noop = false;
    if (!s && !c->received_at) {
        buf_adds(why, "give 'status' or 'received_at'");
        return ERR_INVALID;
    }
    if (!s)
        s = "received";
    for (const char *const *v = transport_statuses; *v; v++)
        known |= strcmp(*v, s) == 0;
    if (!known) {
        buf_adds(why, "'status' is not one of in_transit, received, lost");
        return ERR_INVALID;
    }
    if (strcmp(s, "in_transit") == 0) {
        buf_adds(why, "'status' can only become received or lost");
        return ERR_INVALID;
    }
    if (strcmp(s, "lost") == 0) {
        if (c->received_at) {
            buf_adds(why, "'received_at' goes only with 'status' received");
            return ERR_INVALID;
        }
        if (strcmp(t->status, "lost") == 0) {
            *noop = true;
        } else if (strcmp(t->status, "in_transit") != 0) {
            buf_adds(why, "the transport was already received");
            return ERR_CONFLICT;
        }
        *status = "lost";
        *received_at = 0;
        return 0;
    }
    /* received */
    if (c->received_at && c->received_at > now + TRANSPORT_FUTURE_MS) {
        buf_adds(why, "'received_at' is in the future");
        return ERR_INVALID;
    }
    if (c->received_at && c->received_at < t->handed_at) {
        buf_adds(why, "'received_at' is before 'handed_at'");
        return ERR_INVALID;
    }
    *status = "received";
    if (strcmp(t->status, "received") == 0) {
        *received_at = c->received_at ? c->received_at : t->received_at;
        *noop = *received_at == t->received_at;
    } else {
        *received_at = c->received_at ? c->received_at : now;
        if (*received_at < t->handed_at) /* a hand-over stamped slightly ahead of our clock */
            *received_at = t->handed_at;
    }
    return 0;
}

int
transport_update(struct app *app, struct db *db, const struct actor *a, int64_t id,
                 const struct transport_change *c, struct arena *arena, struct transport *out, struct buf *why)
{
    struct transport t;
    struct db_stmt *st = NULL;
    const char *status = NULL;
    int64_t received_at = 0, now = time_now_ms();
    bool in_tx = false, noop = false, row = false;
    char target[48], detail[96];
    int rc;

    if ((rc = db_begin(db)))
        return rc;
    in_tx = true;
    if ((rc = transport_read(db, a, id, arena, &t)) ||
        (rc = transport_check(&t, c, now, &status, &received_at, &noop, why)))
        goto out;
    if (noop) {
        if ((rc = db_commit(db)))
            goto out;
        goto done;
    }
    if ((rc = db_prepare(db, sql_update, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_str(st, 2, status)) || (rc = db_bind_i64(st, 3, received_at)) ||
        (rc = db_bind_i64(st, 4, now)) || (rc = db_bind_str(st, 5, t.status)) || (rc = db_step(st, &row)))
        goto out;
    if (db_changes(st) != 1) {
        buf_adds(why, "the transport changed meanwhile; read it again");
        rc = ERR_CONFLICT;
        goto out;
    }
    db_done(st);
    st = NULL;
    if (strcmp(t.status, "in_transit") == 0 && (rc = ingest_gauge_add(db, TRANSPORT_GAUGE, t.subdistrict, -1)))
        goto out;
    snprintf(target, sizeof target, "transport:%lld", (long long)id);
    snprintf(detail, sizeof detail, "status %s -> %s", t.status, status);
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "transports", t.subdistrict,
                          transport_event("update", id, t.box_code, t.from_site, t.subdistrict, t.to_lab, status,
                                          t.tube_count, t.handed_at, received_at))) ||
        (rc = ingest_audit_commit(app, db, a, "transports.update", target, detail)))
        goto out;
done:
    in_tx = false;
    if (out) {
        *out = t;
        out->status = status;
        out->received_at = received_at;
        if (!noop)
            out->updated_at = now;
    }
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    return rc;
}
