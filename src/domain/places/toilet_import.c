/* domain/places/toilet_import.c - storing a cleaned toilet survey (R3.7): toilets through
 * the place ingest kind, camera listings into toilet_cameras. The cleaning itself is
 * domain/places/toilet_survey.c; the sheet is read by io/table.h. */
#include "domain/places/toilet_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/strmap.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/ingest/ingest.h"
#include "domain/places/place.h"
#include "domain/platform/audit.h"

/* Rows go to the database in chunks of IMPORT_CHUNK, as one JSON array bound to one
 * statement (json_each on SQLite, json_array_elements on PostgreSQL): a 100,000-row survey
 * is a few hundred statements, not a few hundred thousand round trips. */
#define IMPORT_CHUNK 1000

static const char sql_place_ids_sqlite[] =
    "SELECT p.id, p.external_id FROM places p WHERE p.source = ?1 AND p.deleted_at = 0"
    " AND p.external_id IN (SELECT value FROM json_each(?2))";
static const char sql_place_ids_pg[] =
    "SELECT p.id, p.external_id FROM places p WHERE p.source = ?1 AND p.deleted_at = 0"
    " AND p.external_id IN (SELECT json_array_elements_text(CAST(?2 AS json)))";
static const char sql_import[] =
    "INSERT INTO toilet_imports (created_by, created_at, subdistrict, crs, crs_from_sheet, header_row,"
    " rows_total, accepted, fixed, rejected, duplicate, skipped, toilets, toilets_new, cameras,"
    " cameras_new) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    " RETURNING id";
/* report rows: [num, status, reason, name, subdistrict, lon_e6|null, lat_e6|null, gb_id, camera] */
static const char sql_import_rows_sqlite[] =
    "INSERT INTO toilet_import_rows (import_id, num, status, reason, name, subdistrict, lon_e6, lat_e6,"
    " gb_id, camera) SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
    " json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),"
    " json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),"
    " json_extract(value, '$[8]') FROM json_each(?2)";
static const char sql_import_rows_pg[] =
    "INSERT INTO toilet_import_rows (import_id, num, status, reason, name, subdistrict, lon_e6, lat_e6,"
    " gb_id, camera) SELECT CAST(?1 AS BIGINT), CAST(x->>0 AS BIGINT), x->>1, x->>2, x->>3, x->>4,"
    " CAST(x->>5 AS BIGINT), CAST(x->>6 AS BIGINT), x->>7, x->>8"
    " FROM json_array_elements(CAST(?2 AS json)) AS x";
/* listings: [place_id, gb_id, camera_name, first_row] */
static const char sql_listings_sqlite[] =
    "INSERT INTO toilet_cameras (place_id, gb_id, camera_name, first_row, created_by, created_at)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), ?1, ?2 FROM json_each(?3) WHERE 1"
    " ON CONFLICT (place_id, gb_id) DO NOTHING";
static const char sql_listings_pg[] =
    "INSERT INTO toilet_cameras (place_id, gb_id, camera_name, first_row, created_by, created_at)"
    " SELECT CAST(x->>0 AS BIGINT), x->>1, x->>2, CAST(x->>3 AS BIGINT), CAST(?1 AS TEXT),"
    " CAST(?2 AS BIGINT) FROM json_array_elements(CAST(?3 AS json)) AS x"
    " ON CONFLICT (place_id, gb_id) DO NOTHING";

struct pending_toilet {
    char ext[32];
    const char *name, *code, *subdistrict, *community, *address;
    struct geo_point pos;
    int64_t id;
};

struct pending_listing {
    char ext[32];
    char gb_id[CAMERA_ID_LEN + 1];
    const char *camera_name;
    uint64_t row;
};

struct import_state {
    struct arena arena;
    struct toilet_report_row *report;
    size_t n_report, cap_report;
    struct pending_toilet *toilets;
    size_t n_toilets, cap_toilets;
    struct pending_listing *listings;
    size_t n_listings, cap_listings;
};

void
toilet_external_id(const char *key, char out[32])
{
    uint8_t d[SM3_LEN];
    struct buf hex = BUF_INIT;
    sm3(key, strlen(key), d);
    hex_encode(&hex, d, sizeof d);
    out[0] = 's';
    memcpy(out + 1, hex.data, 30);
    out[31] = '\0';
    buf_release(&hex);
}

/* import_keep_report copies the report row of row into the import's arena. */
static void
import_keep_report(struct import_state *st, const struct toilet_survey_row *row)
{
    struct toilet_report_row r;
    toilet_report_of(row, &r);
    st->report = ingest_grow(&st->arena, st->report, st->n_report, &st->cap_report, sizeof *st->report);
    r.reason = arena_strdup(&st->arena, r.reason);
    r.name = arena_strdup(&st->arena, r.name);
    r.gb_id = arena_strdup(&st->arena, r.gb_id);
    st->report[st->n_report++] = r; /* subdistrict and camera are static or resolver-owned */
}

/* import_collect keeps what row adds to the ledger. */
static void
import_collect(struct import_state *st, const struct toilet_survey_row *row)
{
    char ext[32];
    import_keep_report(st, row);
    if (!row->has_toilet || row->status == TOILET_ROW_REJECTED)
        return;
    toilet_external_id(row->toilet.key, ext);
    if (row->toilet_first) {
        st->toilets = ingest_grow(&st->arena, st->toilets, st->n_toilets, &st->cap_toilets,
                                  sizeof *st->toilets);
        struct pending_toilet *t = &st->toilets[st->n_toilets++];
        memcpy(t->ext, ext, sizeof ext);
        t->name = arena_strdup(&st->arena, row->toilet.name);
        t->code = arena_strdup(&st->arena, row->toilet.code);
        t->subdistrict = arena_strdup(&st->arena, row->toilet.subdistrict);
        t->community = arena_strdup(&st->arena, row->toilet.community);
        t->address = arena_strdup(&st->arena, row->toilet.address);
        t->pos = row->toilet.pos;
        t->id = 0;
    }
    if (row->status != TOILET_ROW_DUPLICATE &&
        (row->camera == TOILET_CAMERA_OK || row->camera == TOILET_CAMERA_FIXED)) {
        st->listings = ingest_grow(&st->arena, st->listings, st->n_listings, &st->cap_listings,
                                   sizeof *st->listings);
        struct pending_listing *l = &st->listings[st->n_listings++];
        memcpy(l->ext, ext, sizeof ext);
        memcpy(l->gb_id, row->gb_id, sizeof l->gb_id);
        l->camera_name = arena_strdup(&st->arena, row->camera_name);
        l->row = row->num;
    }
}

static json_t *
import_toilet_json(const struct pending_toilet *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "source", json_string(TOILET_SOURCE));
    json_object_set_new(o, "external_id", json_string(t->ext));
    json_object_set_new(o, "kind", json_string("toilet"));
    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "subdistrict", json_string(t->subdistrict));
    if (t->code[0] && ingest_is_code(t->code, strlen(t->code)) && strlen(t->code) <= 64)
        json_object_set_new(o, "code", json_string(t->code));
    if (t->community[0])
        json_object_set_new(o, "community", json_string(t->community));
    if (t->address[0])
        json_object_set_new(o, "address", json_string(t->address));
    json_object_set_new(o, "lon", json_real(t->pos.lon));
    json_object_set_new(o, "lat", json_real(t->pos.lat));
    return o;
}

/* import_exec binds (?1 .. ?nfixed as given) and the chunk as the last parameter, runs sql and
 * adds the rows it changed to *changed (may be NULL). arr is released. */
static int
import_exec(struct db *db, const char *sql, json_t *arr, int64_t i1, const char *t1, int64_t i2,
            int nfixed, uint64_t *changed)
{
    struct db_stmt *q = NULL;
    char *text = json_dumps(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
    bool row;
    int rc = text ? db_prepare(db, sql, &q) : ERR_INTERNAL;
    if (!rc && nfixed == 1)
        rc = db_bind_i64(q, 1, i1);
    if (!rc && nfixed == 2) {
        rc = db_bind_text(q, 1, t1, strlen(t1));
        if (!rc) rc = db_bind_i64(q, 2, i2);
    }
    if (!rc) rc = db_bind_text(q, nfixed + 1, text, strlen(text));
    if (!rc) rc = db_step(q, &row);
    if (!rc && changed)
        *changed += (uint64_t)db_changes(q);
    db_done(q);
    free(text);
    json_decref(arr);
    return rc;
}

/* import_place_ids reads the ids of the stored toilets, a chunk of external_ids at a time. */
static int
import_place_ids(struct db *db, struct import_state *st)
{
    const char *sql = db_kind(db) == DB_POSTGRES ? sql_place_ids_pg : sql_place_ids_sqlite;
    struct strmap at = STRMAP_INIT;
    int rc = 0;
    for (size_t i = 0; i < st->n_toilets; i++)
        strmap_put(&at, st->toilets[i].ext, strlen(st->toilets[i].ext), &st->toilets[i]);
    for (size_t from = 0; !rc && from < st->n_toilets; from += IMPORT_CHUNK) {
        size_t end = from + IMPORT_CHUNK < st->n_toilets ? from + IMPORT_CHUNK : st->n_toilets;
        json_t *arr = json_array();
        struct db_stmt *q = NULL;
        char *text;
        bool row;
        for (size_t i = from; i < end; i++)
            json_array_append_new(arr, json_string(st->toilets[i].ext));
        text = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        if (!text)
            rc = ERR_INTERNAL;
        if (!rc) rc = db_prepare(db, sql, &q);
        if (!rc) rc = db_bind_text(q, 1, TOILET_SOURCE, strlen(TOILET_SOURCE));
        if (!rc) rc = db_bind_text(q, 2, text, strlen(text));
        while (!rc && !(rc = db_step(q, &row)) && row) {
            size_t n = 0;
            const char *ext = db_col_text(q, 1, &n);
            struct pending_toilet *t = ext ? strmap_get(&at, ext, n) : NULL;
            if (t)
                t->id = db_col_i64(q, 0);
        }
        db_done(q);
        free(text);
    }
    strmap_release(&at);
    return rc;
}

/* import_toilets stores the toilets in batches through the place kind and reads their ids. */
static int
import_toilets(struct app *app, struct db *db, const struct actor *a, struct import_state *st,
               struct toilet_import_result *res)
{
    /* toilets stored before (a re-import) are known by their external_id and skip the
     * ingest; the others go through it in batches, then their ids are read */
    int rc = import_place_ids(db, st);
    size_t i = 0;
    while (!rc && i < st->n_toilets) {
        json_t *arr = json_array();
        struct ingest_outcome *outcomes = NULL;
        size_t n = 0, accepted = 0;
        for (; i < st->n_toilets && json_array_size(arr) < INGEST_BATCH_MAX; i++)
            if (!st->toilets[i].id)
                json_array_append_new(arr, import_toilet_json(&st->toilets[i]));
        if (json_array_size(arr))
            rc = ingest_run(app, db, a, &place_kind, arr, &outcomes, &n, &accepted);
        res->toilets_new += accepted;
        xfree(outcomes);
        json_decref(arr);
    }
    if (!rc && res->toilets_new)
        rc = import_place_ids(db, st);
    return rc;
}

static json_t *
import_report_json(const struct toilet_report_row *r)
{
    return json_pack("[I, s, s, s, s, o, o, s, s]", (json_int_t)r->num, r->status, r->reason, r->name,
                     r->subdistrict, r->has_pos ? json_integer(r->lon_e6) : json_null(),
                     r->has_pos ? json_integer(r->lat_e6) : json_null(), r->gb_id, r->camera);
}

static const char sql_import_cameras_new[] = "UPDATE toilet_imports SET cameras_new = ?2 WHERE id = ?1";

static int
import_set_cameras_new(struct db *db, const struct toilet_import_result *res)
{
    struct db_stmt *q = NULL;
    bool row;
    int rc = db_prepare(db, sql_import_cameras_new, &q);
    if (!rc) rc = db_bind_i64(q, 1, res->id);
    if (!rc) rc = db_bind_i64(q, 2, (int64_t)res->cameras_new);
    if (!rc) rc = db_step(q, &row);
    db_done(q);
    return rc;
}

/* import_record stores the import and its report rows (the counts of cameras_new are
 * updated by the caller's later statements: the row is written first for its id). */
static int
import_record(struct db *db, const struct actor *a, struct import_state *st,
              struct toilet_import_result *res, int64_t now)
{
    struct db_stmt *q = NULL;
    const char *crs = geo_crs_name(res->crs);
    const uint64_t *bs = res->counts.by_status;
    bool row = false;
    int rc = db_prepare(db, sql_import, &q);
    if (!rc) rc = db_bind_text(q, 1, a->name, strlen(a->name));
    if (!rc) rc = db_bind_i64(q, 2, now);
    if (!rc) rc = db_bind_text(q, 3, a->subdistrict, strlen(a->subdistrict));
    if (!rc) rc = db_bind_text(q, 4, crs, strlen(crs));
    if (!rc) rc = db_bind_i64(q, 5, res->crs_from_sheet);
    if (!rc) rc = db_bind_i64(q, 6, (int64_t)res->header_row);
    if (!rc) rc = db_bind_i64(q, 7, (int64_t)res->counts.rows);
    for (int i = 0; !rc && i < TOILET_ROW__COUNT; i++)
        rc = db_bind_i64(q, 8 + i, (int64_t)bs[i]);
    if (!rc) rc = db_bind_i64(q, 13, (int64_t)res->counts.toilets);
    if (!rc) rc = db_bind_i64(q, 14, (int64_t)res->toilets_new);
    if (!rc) rc = db_bind_i64(q, 15, (int64_t)res->counts.cameras);
    if (!rc) rc = db_bind_i64(q, 16, 0);
    if (!rc) rc = db_step(q, &row);
    if (!rc && !row)
        rc = ERR_DB;
    if (!rc)
        res->id = db_col_i64(q, 0);
    db_done(q);
    const char *sql = db_kind(db) == DB_POSTGRES ? sql_import_rows_pg : sql_import_rows_sqlite;
    for (size_t from = 0; !rc && from < st->n_report; from += IMPORT_CHUNK) {
        size_t end = from + IMPORT_CHUNK < st->n_report ? from + IMPORT_CHUNK : st->n_report;
        json_t *arr = json_array();
        for (size_t i = from; i < end; i++)
            json_array_append_new(arr, import_report_json(&st->report[i]));
        rc = import_exec(db, sql, arr, res->id, NULL, 0, 1, NULL);
    }
    return rc;
}

/* import_listings stores the camera listings and the audit entry in one transaction. */
static int
import_listings(struct app *app, struct db *db, const struct actor *a, struct import_state *st,
                struct toilet_import_result *res)
{
    struct strmap ids = STRMAP_INIT;
    int64_t now = time_now_ms();
    char detail[200];
    int rc;

    for (size_t i = 0; i < st->n_toilets; i++)
        if (st->toilets[i].id)
            strmap_put(&ids, st->toilets[i].ext, strlen(st->toilets[i].ext), &st->toilets[i]);
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = import_record(db, a, st, res, now)))
        goto fail;
    const char *sql = db_kind(db) == DB_POSTGRES ? sql_listings_pg : sql_listings_sqlite;
    json_t *arr = json_array();
    for (size_t i = 0; i < st->n_listings; i++) {
        const struct pending_listing *l = &st->listings[i];
        const struct pending_toilet *t = strmap_get(&ids, l->ext, strlen(l->ext));
        if (t)
            json_array_append_new(arr, json_pack("[I, s, s, I]", (json_int_t)t->id, l->gb_id, l->camera_name,
                                                 (json_int_t)l->row));
        if (json_array_size(arr) == IMPORT_CHUNK || (i + 1 == st->n_listings && json_array_size(arr))) {
            rc = import_exec(db, sql, arr, 0, a->name, now, 2, &res->cameras_new);
            arr = json_array();
            if (rc)
                break;
        }
    }
    json_decref(arr);
    if (rc)
        goto fail;
    if ((rc = import_set_cameras_new(db, res)))
        goto fail;
    snprintf(detail, sizeof detail, "rows=%llu toilets=%llu toilets_new=%llu cameras=%llu cameras_new=%llu",
             (unsigned long long)res->counts.rows, (unsigned long long)res->counts.toilets,
             (unsigned long long)res->toilets_new, (unsigned long long)res->counts.cameras,
             (unsigned long long)res->cameras_new);
    char target[32];
    snprintf(target, sizeof target, "%lld", (long long)res->id);
    if ((rc = audit_append(db, &app->keys, a, "toilets.import", target, "ok", detail)))
        goto fail;
    rc = db_commit(db);
    goto out;
fail:
    db_rollback(db);
out:
    strmap_release(&ids);
    return rc;
}

/* import_scope rejects a row whose toilet lies outside the actor's subdistrict. */
static void
import_scope(const struct actor *a, struct toilet_survey *s, struct toilet_survey_row *row)
{
    if (!row->has_toilet || actor_in_scope(a, row->toilet.subdistrict))
        return;
    s->counts.by_status[row->status]--;
    s->counts.by_status[TOILET_ROW_REJECTED]++;
    if (row->toilet_first)
        s->counts.toilets--;
    if (row->status != TOILET_ROW_DUPLICATE &&
        (row->camera == TOILET_CAMERA_OK || row->camera == TOILET_CAMERA_FIXED))
        s->counts.cameras--;
    row->status = TOILET_ROW_REJECTED;
    row->has_toilet = false;
    row->reason = "outside your subdistrict";
}

int
toilet_import(struct app *app, struct db *db, const struct actor *a, struct table *t,
              enum geo_crs crs, toilet_import_row_fn fn, void *ctx,
              struct toilet_import_result *res, struct buf *why)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct import_state st = { ARENA_INIT, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0 };
    struct toilet_survey s;
    struct table_row row;
    struct toilet_survey_row out;
    int rc;

    memset(res, 0, sizeof *res);
    int64_t t0 = time_mono_us();
    toilet_survey_init(&s, &names, crs);
    if ((rc = subdistrict_names_load(&names, db)))
        goto out;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        toilet_survey_feed(&s, &row, &out);
        import_scope(a, &s, &out);
        import_collect(&st, &out);
        if (fn && (rc = fn(ctx, &out)))
            goto out;
    }
    if (rc) {
        if (why)
            buf_adds(why, table_message(t));
        goto out;
    }
    if ((rc = toilet_survey_finish(&s, why)))
        goto out;
    res->counts = s.counts;
    res->header_row = s.header_row;
    res->crs = s.crs;
    res->crs_from_sheet = s.crs_from_sheet;
    int64_t t1 = time_mono_us();
    res->read_us = t1 - t0;
    if ((rc = import_toilets(app, db, a, &st, res)))
        goto out;
    int64_t t2 = time_mono_us();
    res->toilets_us = t2 - t1;
    rc = import_listings(app, db, a, &st, res);
    res->store_us = time_mono_us() - t2;
out:
    res->counts = s.counts;
    toilet_survey_release(&s);
    subdistrict_names_release(&names);
    arena_release(&st.arena);
    return rc;
}
