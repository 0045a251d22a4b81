/* domain/places/place_geom.c - GeoJSON geometries of places and the place API object
 * (R3.2, R3.3, issue 8).
 *
 * Reads a GeoJSON Point or Polygon (outer ring only, WGS-84, every vertex in Beijing,
 * closed or not) into what the ledger stores: a position (the point, or the polygon's area
 * centroid), the ring, its bounding box and a canonical geometry text (6 decimals, ring
 * closed). Writes the JSON object the API and exports return for a place. Not here: storage
 * (place.c) and reads (place_read.c).
 */
#include "domain/places/place.h"

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

bool
place__kind_ok(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n == 0 || n > PLACE_KIND_MAX || !(kind[0] >= 'a' && kind[0] <= 'z') || !strcmp(kind, "site"))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((kind[i] >= 'a' && kind[i] <= 'z') || (kind[i] >= '0' && kind[i] <= '9') || kind[i] == '_'))
            return false;
    return true;
}

static int
place_geom_fail(struct buf *why, const char *reason)
{
    if (why)
        buf_adds(why, reason);
    return ERR_INVALID;
}

/* place_geom_pos reads [lon, lat] (numbers, extra members such as altitude ignored). */
static int
place_geom_pos(json_t *v, struct geo_point *p)
{
    json_t *x, *y;
    if (!json_is_array(v) || json_array_size(v) < 2 || !json_is_number(x = json_array_get(v, 0)) ||
        !json_is_number(y = json_array_get(v, 1)))
        return ERR_INVALID;
    p->lon = json_number_value(x);
    p->lat = json_number_value(y);
    if (!isfinite(p->lon) || !isfinite(p->lat) || !geo_in_beijing(*p))
        return ERR_INVALID;
    /* Store what the database keeps: micro-degrees. */
    p->lon = (double)geo_e6(p->lon) / 1e6;
    p->lat = (double)geo_e6(p->lat) / 1e6;
    return 0;
}

static const char *
place_ring_text(struct arena *arena, const struct geo_point *ring, size_t n)
{
    struct buf b = BUF_INIT;
    const char *out;
    buf_adds(&b, "{\"type\":\"Polygon\",\"coordinates\":[[");
    for (size_t i = 0; i <= n; i++) {
        const struct geo_point *p = &ring[i < n ? i : 0]; /* closed: first point again */
        buf_printf(&b, "%s[%.6f,%.6f]", i ? "," : "", p->lon, p->lat);
    }
    buf_adds(&b, "]]}");
    out = arena_strndup(arena, b.data, b.len);
    buf_release(&b);
    return out;
}

int
place__geometry(json_t *geom, struct arena *arena, struct geo_point *pos, struct geo_point **ring,
                size_t *n, struct geo_point *min, struct geo_point *max, const char **text,
                struct buf *why)
{
    const char *type = json_is_object(geom) ? json_string_value(json_object_get(geom, "type")) : NULL;
    json_t *coords = json_is_object(geom) ? json_object_get(geom, "coordinates") : NULL;
    struct geo_point *r;
    size_t m;

    *ring = NULL;
    *n = 0;
    *text = NULL;
    if (!type || !coords)
        return place_geom_fail(why, "'geometry' must be a GeoJSON Point or Polygon");
    if (!strcmp(type, "Point")) {
        if (place_geom_pos(coords, pos))
            return place_geom_fail(why, "'geometry' point must be [lon, lat] in Beijing (WGS-84)");
        *min = *max = *pos;
        return 0;
    }
    if (strcmp(type, "Polygon"))
        return place_geom_fail(why, "'geometry' must be a GeoJSON Point or Polygon");
    if (!json_is_array(coords) || json_array_size(coords) != 1)
        return place_geom_fail(why, "'geometry' polygon must have exactly one ring (no holes)");
    json_t *outer = json_array_get(coords, 0);
    m = json_is_array(outer) ? json_array_size(outer) : 0;
    if (m < 3 || m > PLACE_RING_MAX + 1)
        return place_geom_fail(why, "'geometry' ring must have 3 to 10000 points");
    r = arena_alloc(arena, m * sizeof *r);
    for (size_t i = 0; i < m; i++)
        if (place_geom_pos(json_array_get(outer, i), &r[i]))
            return place_geom_fail(why, "'geometry' ring points must be [lon, lat] in Beijing (WGS-84)");
    if (m > 3 && r[0].lon == r[m - 1].lon && r[0].lat == r[m - 1].lat)
        m--; /* stored closed in the text, open in memory */
    if (m < 3 || geo_ring_area_m2(r, m) < 1.0)
        return place_geom_fail(why, "'geometry' polygon has no area");
    geo_ring_bbox(r, m, min, max);
    *pos = geo_ring_centroid(r, m);
    if (!(pos->lon >= min->lon && pos->lon <= max->lon && pos->lat >= min->lat && pos->lat <= max->lat)) {
        /* A self-intersecting ring's signed areas can cancel and throw the centroid far
         * away (found by fuzz_place_geojson): take the middle of its box instead. */
        pos->lon = (min->lon + max->lon) / 2;
        pos->lat = (min->lat + max->lat) / 2;
    }
    pos->lon = (double)geo_e6(pos->lon) / 1e6;
    pos->lat = (double)geo_e6(pos->lat) / 1e6;
    *ring = r;
    *n = m;
    *text = place_ring_text(arena, r, m);
    return 0;
}

static json_t *
place_str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

json_t *
place__json(const struct place *p)
{
    json_t *o = json_object(), *cams = json_array(), *geom = NULL;
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "kind", json_string(p->kind));
    json_object_set_new(o, "code", json_string(p->code ? p->code : ""));
    json_object_set_new(o, "name", json_string(p->name ? p->name : ""));
    json_object_set_new(o, "subdistrict", place_str_or_null(p->subdistrict));
    json_object_set_new(o, "subdistrict_name", place_str_or_null(p->subdistrict_name));
    json_object_set_new(o, "community", place_str_or_null(p->community));
    json_object_set_new(o, "address", place_str_or_null(p->address));
    json_object_set_new(o, "lon", p->has_pos ? json_real((double)p->lon_e6 / 1e6) : json_null());
    json_object_set_new(o, "lat", p->has_pos ? json_real((double)p->lat_e6 / 1e6) : json_null());
    if (p->geometry)
        geom = json_loads(p->geometry, 0, NULL);
    else if (p->has_pos)
        geom = json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", (double)p->lon_e6 / 1e6,
                         (double)p->lat_e6 / 1e6);
    json_object_set_new(o, "geometry", geom ? geom : json_null());
    json_object_set_new(o, "zone_level", place_str_or_null(p->zone_level));
    json_object_set_new(o, "starts_at", p->starts_at ? json_integer(p->starts_at) : json_null());
    json_object_set_new(o, "ends_at", p->ends_at ? json_integer(p->ends_at) : json_null());
    json_object_set_new(o, "note", json_string(p->note ? p->note : ""));
    json_object_set_new(o, "source", json_string(p->source ? p->source : ""));
    json_object_set_new(o, "external_id", json_string(p->external_id ? p->external_id : ""));
    for (size_t i = 0; i < p->n_cameras; i++)
        json_array_append_new(cams, json_string(p->camera_ids[i]));
    json_object_set_new(o, "camera_ids", cams);
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "updated_at", json_integer(p->updated_at));
    if (p->deleted_at)
        json_object_set_new(o, "deleted_at", json_integer(p->deleted_at));
    return o;
}
