/* domain/exchange/health_places.c - the places 流调 records name, as points for the main map's
 * 流调场所 layer (issue 11, R2.13; S1): grouped by place name and point, with the first and last
 * visit and how many records name it. Nothing personal leaves this file: no name, ID, phone,
 * address or record number, only the place, times and a count. Reads are scoped and audited.
 * It is not the per-person lookup (health_read.c). */
#include "domain/exchange/health.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "db/db_value.h"
#include "domain/platform/audit.h"

/* A visit [from_at, to_at or from_at] overlaps the window [?2, ?3) (0 = open). */
static const char sql_places_map[] =
    "SELECT p.name, p.lon_e6, p.lat_e6, min(p.from_at), max(CASE WHEN p.to_at > 0 THEN p.to_at ELSE p.from_at END),"
    " count(DISTINCT p.epi_id) FROM health_epi_places p JOIN health_epi e ON e.id = p.epi_id"
    " WHERE p.lon_e6 IS NOT NULL AND p.lat_e6 IS NOT NULL AND (?1 = '' OR e.subdistrict = ?1)"
    " AND (?2 = 0 OR (CASE WHEN p.to_at > 0 THEN p.to_at ELSE p.from_at END) >= ?2)"
    " AND (?3 = 0 OR p.from_at < ?3) AND (?4 = '' OR e.kind = ?4)"
    " GROUP BY p.name, p.lon_e6, p.lat_e6 ORDER BY count(DISTINCT p.epi_id) DESC, p.name, p.lon_e6, p.lat_e6"
    " LIMIT ?5";

int
health_places_map(struct app *app, struct db *db, const struct actor *a, int64_t from, int64_t to, const char *kind,
                  json_t **out)
{
    struct db_stmt *st = NULL;
    json_t *features = json_array();
    char detail[96];
    bool row = false;
    size_t n = 0;
    int rc;

    *out = NULL;
    if ((rc = db_prepare(db, sql_places_map, &st)) || (rc = db_bind_str(st, 1, a->subdistrict)) ||
        (rc = db_bind_i64(st, 2, from)) || (rc = db_bind_i64(st, 3, to)) ||
        (rc = db_bind_str(st, 4, kind ? kind : "")) || (rc = db_bind_i64(st, 5, HEALTH_MAP_POINTS_MAX + 1)))
        goto fail;
    while (!(rc = db_step(st, &row)) && row && n < HEALTH_MAP_POINTS_MAX) {
        double lon = (double)db_col_i64(st, 1) / 1e6, lat = (double)db_col_i64(st, 2) / 1e6;
        json_array_append_new(
            features, json_pack("{s:s, s:{s:s, s:[f, f]}, s:{s:s, s:I, s:I, s:I}}", "type", "Feature", "geometry",
                                "type", "Point", "coordinates", lon, lat, "properties", "name",
                                db_col_text(st, 0, NULL), "first_at", (json_int_t)db_col_i64(st, 3), "last_at",
                                (json_int_t)db_col_i64(st, 4), "records", (json_int_t)db_col_i64(st, 5)));
        n++;
    }
    if (rc)
        goto fail;
    bool truncated = row;
    db_done(st);
    st = NULL;
    snprintf(detail, sizeof detail, "places=%zu%s", n, truncated ? " truncated" : "");
    if ((rc = audit_record(db, &app->keys, a, "health.places", "health_epi_places", "ok", detail)))
        goto fail;
    *out = json_pack("{s:s, s:o, s:b}", "type", "FeatureCollection", "features", features, "truncated", truncated);
    return 0;
fail:
    db_done(st);
    json_decref(features);
    return rc;
}
