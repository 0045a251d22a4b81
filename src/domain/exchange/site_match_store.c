/* domain/exchange/site_match_store.c - a matching run end to end and its stored result
 * (R2.11; see site_match.h, "Storage"): the district's sites in scope (addresses opened for
 * comparison, never stored here), the run and its rows, the accepted mapping applied to
 * sites.city_code through site_update. */
#include "domain/exchange/site_match.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/time.h"
#include "core/vec.h"
#include "crypto/field.h"
#include "db/db.h"
#include "db/db_value.h"
#include "domain/places/subdistrict_names.h"
#include "domain/platform/audit.h"
#include "domain/testing/site.h"

#define CHUNK 1000

static const char sql_sites[] =
    "SELECT id, code, name, subdistrict, lon_e6, lat_e6, address, COALESCE(city_code, '') FROM sites"
    " WHERE deleted_at = 0 AND (?1 = '' OR subdistrict = ?1) ORDER BY id";
static const char sql_run[] =
    "INSERT INTO site_match_runs (created_by, created_at, subdistrict, crs, header_row, rows_total, sites,"
    " auto_accepted, to_review, unmatched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id";
/* rows: [num, code, name, district, subdistrict, lon_e6, lat_e6, count, site_id, score_milli,
 * distance_m, reasons, status] (nulls where unknown) */
static const char sql_rows_sqlite[] =
    "INSERT INTO site_match_rows (run_id, num, city_code, city_name, city_district, city_subdistrict,"
    " lon_e6, lat_e6, city_count, site_id, score_milli, distance_m, reasons, status)"
    " SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),"
    " json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'),"
    " json_extract(value, '$[9]'), json_extract(value, '$[10]'), json_extract(value, '$[11]'),"
    " json_extract(value, '$[12]') FROM json_each(?2)";
static const char sql_rows_pg[] =
    "INSERT INTO site_match_rows (run_id, num, city_code, city_name, city_district, city_subdistrict,"
    " lon_e6, lat_e6, city_count, site_id, score_milli, distance_m, reasons, status)"
    " SELECT CAST(?1 AS BIGINT), CAST(x->>0 AS BIGINT), x->>1, x->>2, x->>3, x->>4, CAST(x->>5 AS BIGINT),"
    " CAST(x->>6 AS BIGINT), CAST(x->>7 AS BIGINT), CAST(x->>8 AS BIGINT), CAST(x->>9 AS BIGINT),"
    " CAST(x->>10 AS BIGINT), x->>11, x->>12 FROM json_array_elements(CAST(?2 AS json)) AS x";

struct loaded_site {
    struct site_match_site s;
    const char *city_code;
};

/* load_sites reads the live sites in a's scope, addresses opened. */
static int
load_sites(struct app *app, struct db *db, const struct actor *a, struct arena *arena,
           struct site_match_site **out, const char ***city_codes, size_t *n)
{
    struct db_stmt *st = NULL;
    size_t cap = 0, ccap = 0, nc = 0;
    bool row = false;
    int rc = db_prepare(db, sql_sites, &st);
    *out = NULL;
    *city_codes = NULL;
    *n = 0;
    if (!rc)
        rc = db_bind_text(st, 1, a->subdistrict, strlen(a->subdistrict));
    while (!rc && !(rc = db_step(st, &row)) && row) {
        VEC_ARENA_ROOM(arena, *out, *n, cap);
        VEC_ARENA_ROOM(arena, *city_codes, nc, ccap);
        struct site_match_site *s = &(*out)[(*n)++];
        s->id = db_col_i64(st, 0);
        s->code = db_col_arena(st, 1, arena);
        s->name = db_col_arena(st, 2, arena);
        s->subdistrict = db_col_arena(st, 3, arena);
        s->pos.lon = (double)db_col_i64(st, 4) / 1e6;
        s->pos.lat = (double)db_col_i64(st, 5) / 1e6;
        s->address = "";
        (*city_codes)[nc++] = db_col_arena(st, 7, arena);
        if (!db_col_is_null(st, 6)) {
            size_t bn = 0, len = 0;
            const uint8_t *c = db_col_blob(st, 6, &bn);
            size_t pcap = bn >= FIELD_OVERHEAD ? bn - FIELD_OVERHEAD + 1 : 1;
            uint8_t *plain = arena_alloc(arena, pcap);
            if (field_open(&app->keys, "sites.address", c, bn, plain, pcap, &len) == 0) {
                plain[len < pcap ? len : pcap - 1] = '\0';
                s->address = (const char *)plain;
            }
        }
    }
    db_done(st);
    return rc;
}

static json_t *
row_json(const struct site_match_city *r, const struct site_match_site *s, const struct site_match_pair *p)
{
    json_t *o = json_pack("[I, s, s, s, s]", (json_int_t)r->num, r->code, r->name, r->district, r->subdistrict);
    json_array_append_new(o, r->has_pos ? json_integer(llround(r->pos.lon * 1e6)) : json_null());
    json_array_append_new(o, r->has_pos ? json_integer(llround(r->pos.lat * 1e6)) : json_null());
    json_array_append_new(o, r->has_count ? json_integer(r->count) : json_null());
    json_array_append_new(o, s ? json_integer(s->id) : json_null());
    json_array_append_new(o, json_integer(llround(p->score * 1000)));
    json_array_append_new(o, p->distance_m >= 0 ? json_integer(llround(p->distance_m)) : json_null());
    json_array_append_new(o, json_string(p->reasons));
    json_array_append_new(o, json_string(site_match_status_code(p->status)));
    return o;
}

static int
exec_json(struct db *db, const char *sql, int64_t id, json_t *arr)
{
    char *text = json_dumps(arr, JSON_COMPACT);
    struct db_stmt *q = NULL;
    bool row;
    json_decref(arr);
    int rc = text ? db_prepare(db, sql, &q) : ERR_INTERNAL;
    if (!rc) rc = db_bind_i64(q, 1, id);
    if (!rc) rc = db_bind_text(q, 2, text, strlen(text));
    if (!rc) rc = db_step(q, &row);
    db_done(q);
    free(text);
    return rc;
}

static int
store_run(struct app *app, struct db *db, const struct actor *a, enum geo_crs crs,
          const struct site_match_city *c, size_t nc, const struct site_match_site *s,
          const struct site_match_pair *p, struct site_match_result *res)
{
    struct db_stmt *q = NULL;
    bool row = false;
    const char *crs_name = geo_crs_name(crs);
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    rc = db_prepare(db, sql_run, &q);
    if (!rc) rc = db_bind_text(q, 1, a->name, strlen(a->name));
    if (!rc) rc = db_bind_i64(q, 2, time_now_ms());
    if (!rc) rc = db_bind_text(q, 3, a->subdistrict, strlen(a->subdistrict));
    if (!rc) rc = db_bind_text(q, 4, crs_name, strlen(crs_name));
    if (!rc) rc = db_bind_i64(q, 5, (int64_t)res->header_row);
    if (!rc) rc = db_bind_i64(q, 6, (int64_t)res->rows);
    if (!rc) rc = db_bind_i64(q, 7, (int64_t)res->sites);
    if (!rc) rc = db_bind_i64(q, 8, (int64_t)res->auto_accepted);
    if (!rc) rc = db_bind_i64(q, 9, (int64_t)res->to_review);
    if (!rc) rc = db_bind_i64(q, 10, (int64_t)res->unmatched);
    if (!rc) rc = db_step(q, &row);
    if (!rc && !row)
        rc = ERR_DB;
    if (!rc)
        res->id = db_col_i64(q, 0);
    db_done(q);
    const char *sql = db_kind(db) == DB_POSTGRES ? sql_rows_pg : sql_rows_sqlite;
    for (size_t from = 0; !rc && from < nc; from += CHUNK) {
        json_t *arr = json_array();
        for (size_t i = from; i < nc && i < from + CHUNK; i++)
            json_array_append_new(arr, row_json(&c[i], p[i].site >= 0 ? &s[p[i].site] : NULL, &p[i]));
        rc = exec_json(db, sql, res->id, arr);
    }
    char target[32], detail[160];
    snprintf(target, sizeof target, "%lld", (long long)res->id);
    snprintf(detail, sizeof detail, "rows=%llu auto=%llu review=%llu none=%llu", (unsigned long long)res->rows,
             (unsigned long long)res->auto_accepted, (unsigned long long)res->to_review,
             (unsigned long long)res->unmatched);
    if (!rc)
        rc = audit_append(db, &app->keys, a, "site_matches.run", target, "ok", detail);
    if (!rc)
        rc = db_commit(db);
    if (rc)
        db_rollback(db);
    return rc;
}

/* site_match__set_city_code sets site id's city_code to code (NULL clears) through
 * site_update; nothing when it already holds it. */
int site_match__set_city_code(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *code);
int
site_match__set_city_code(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *code)
{
    struct ingest_outcome why;
    memset(&why, 0, sizeof why);
    json_t *patch = json_pack("{s:o}", "city_code", code && code[0] ? json_string(code) : json_null());
    int rc = site_update(app, db, a, id, patch, &why, NULL);
    json_decref(patch);
    return rc;
}

int
site_match_run(struct app *app, struct db *db, const struct actor *a, struct table *t, enum geo_crs crs,
               double auto_at, site_match_row_fn fn, void *ctx, struct site_match_result *res, struct buf *why)
{
    struct arena arena = ARENA_INIT;
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    struct site_match_city *c = NULL;
    struct site_match_site *s = NULL;
    struct site_match_pair *p = NULL;
    const char **city_codes = NULL;
    size_t nc = 0, ns = 0;
    int rc;
    memset(res, 0, sizeof *res);
    int64_t t0 = time_mono_us();
    if ((rc = subdistrict_names_load(&names, db)) ||
        (rc = site_match_read(t, &crs, &names, &arena, &c, &nc, &res->header_row, why)) ||
        (rc = load_sites(app, db, a, &arena, &s, &city_codes, &ns)))
        goto out;
    res->crs = crs;
    int64_t t1 = time_mono_us();
    p = arena_alloc(&arena, (nc ? nc : 1) * sizeof *p);
    site_match_compute(c, nc, s, ns, auto_at, p);
    int64_t t2 = time_mono_us();
    res->rows = nc;
    res->sites = ns;
    for (size_t i = 0; i < nc; i++) {
        res->auto_accepted += p[i].status == SITE_MATCH_AUTOACC;
        res->to_review += p[i].status == SITE_MATCH_REVIEW;
        res->unmatched += p[i].status == SITE_MATCH_NONE;
    }
    if ((rc = store_run(app, db, a, crs, c, nc, s, p, res)))
        goto out;
    for (size_t i = 0; !rc && i < nc; i++)
        if (p[i].status == SITE_MATCH_AUTOACC && c[i].code[0] && strcmp(city_codes[p[i].site], c[i].code) != 0)
            rc = site_match__set_city_code(app, db, a, s[p[i].site].id, c[i].code);
    for (size_t i = 0; !rc && fn && i < nc; i++)
        rc = fn(ctx, &c[i], p[i].site >= 0 ? &s[p[i].site] : NULL, &p[i]);
    res->read_us = t1 - t0;
    res->match_us = t2 - t1;
    res->store_us = time_mono_us() - t2;
out:
    subdistrict_names_release(&names);
    arena_release(&arena);
    return rc;
}
