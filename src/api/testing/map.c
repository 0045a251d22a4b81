/* api/testing/map.c - GeoJSON feeds for the district GIS map (一张图; R2.1, R2.2, R2.6 "plotted on
 * the map"): sites with live status and today's scans, the latest check-ins, and actual
 * reports per subdistrict. RFC 7946 FeatureCollections, WGS-84 (EPSG:4326) degrees, scoped
 * to the caller's subdistrict. Read-only; the live updates themselves travel on the event
 * stream (topics sites, checkins, actuals). No personal data: no addresses, no staff.
 */
#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/testing/actual.h"
#include "domain/testing/checkin.h"
#include "domain/testing/plan.h"
#include "domain/testing/site.h"

#define MAP_SITES_MAX 20000
#define MAP_CHECKINS_DEFAULT 500
#define MAP_SINCE_DEFAULT_MS (24 * 3600000LL)

/* map_reply sends a FeatureCollection (reference stolen) as application/geo+json. */
static int
map_reply(struct req *req, json_t *fc)
{
    return api_reply_as(req, 200, "application/geo+json", fc);
}

static json_t *
map_point(int64_t lon_e6, int64_t lat_e6)
{
    return json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", (double)lon_e6 / 1e6, (double)lat_e6 / 1e6);
}

static json_t *
map_feature(json_t *id, json_t *geometry, json_t *properties)
{
    return json_pack("{s:s, s:o, s:o, s:o}", "type", "Feature", "id", id, "geometry", geometry, "properties",
                     properties);
}

static json_t *
map_collection(json_t *features)
{
    return json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
}

/* GET /api/v1/map/sites -> FeatureCollection of live sites: properties code, name, type,
 * status, subdistrict, community, capacity, scans_today, last_checkin_at, queue_len */
static int
map_sites(struct req *req)
{
    struct site_live *items = NULL;
    size_t n = 0;
    bool more = false;
    json_t *features, *fc;
    int rc;

    if ((rc = site_map(req->db, &req->actor, MAP_SITES_MAX, &req->arena, &items, &n, &more)))
        return rc;
    features = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct site_live *l = &items[i];
        json_t *props = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:o, s:o, s:s?}", "code", l->s.code, "name", l->s.name,
            "type", l->s.type, "status", l->s.status, "subdistrict", l->s.subdistrict, "community",
            l->s.community[0] ? l->s.community : NULL, "capacity", (json_int_t)l->s.capacity, "scans_today",
            (json_int_t)l->scans_today, "last_checkin_at", l->has_checkin ? json_integer(l->checkin_at) : json_null(),
            "queue_len", l->has_checkin ? json_integer(l->queue_len) : json_null(), "last_checkin_kind",
            l->has_checkin ? l->checkin_kind : NULL);
        json_array_append_new(features,
                              map_feature(json_integer(l->s.id), map_point(l->s.lon_e6, l->s.lat_e6), props));
    }
    fc = map_collection(features);
    if (fc && more)
        json_object_set_new(fc, "truncated", json_true());
    return map_reply(req, fc);
}

/* GET /api/v1/map/checkins?since=ms&limit=N -> FeatureCollection of check-ins at or after
 * since (default: the last 24 hours), newest first: properties site_code, site_name,
 * subdistrict, kind, queue_len, at, position ("reported" or "site") */
static int
map_checkins(struct req *req)
{
    struct checkin_query q = { .newest_first = true };
    struct checkin *items = NULL;
    const char *limit = req_query(req, "limit");
    int64_t total = 0, v = 0;
    size_t n = 0;
    json_t *features, *fc;
    int rc;

    q.from = time_now_ms() - MAP_SINCE_DEFAULT_MS;
    q.limit = MAP_CHECKINS_DEFAULT;
    if ((rc = api_query_time(req, "since", &q.from)))
        return rc;
    if (limit && *limit) {
        if (cstr_to_i64(limit, &v, 1, CHECKIN_LIST_MAX))
            return req_fail(req, ERR_INVALID, "'limit' must be a whole number from 1 to %d", CHECKIN_LIST_MAX);
        q.limit = (size_t)v;
    }
    if ((rc = checkin_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    features = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct checkin *c = &items[i];
        json_t *props = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "site_code", c->site_code, "site_name",
                                  c->site_name, "subdistrict", c->subdistrict, "kind", c->kind, "queue_len",
                                  (json_int_t)c->queue_len, "at", (json_int_t)c->at, "position",
                                  c->own_position ? "reported" : "site");
        json_array_append_new(features, map_feature(json_integer(c->id), map_point(c->lon_e6, c->lat_e6), props));
    }
    fc = map_collection(features);
    if (fc && total > (int64_t)n)
        json_object_set_new(fc, "truncated", json_true());
    return map_reply(req, fc);
}

/* GET /api/v1/map/actuals?plan_no= (default: the latest plan begun) -> FeatureCollection,
 * one Feature per subdistrict with counters: properties subdistrict, name, planned,
 * reported, corrected, sampled, sites; geometry the centroid of its live sites, or null;
 * foreign member "plan": {"plan_no","name","starts_at","ends_at"} */
static int
map_actuals(struct req *req)
{
    const char *plan_no = req_query(req, "plan_no");
    struct actual_area *items = NULL;
    struct plan p;
    size_t n = 0;
    json_t *features, *fc;
    int rc;

    if ((rc = api_text(req, "plan_no", plan_no, 32)))
        return rc;
    rc = plan_no && *plan_no ? plan_get(req->db, &req->actor, plan_no, &req->arena, &p)
                             : plan_latest(req->db, &req->actor, time_now_ms(), &req->arena, &p);
    if (rc)
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such plan") : rc;
    if ((rc = actual_areas(req->db, &req->actor, p.id, &req->arena, &items, &n)))
        return rc;
    features = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct actual_area *x = &items[i];
        json_t *props = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "subdistrict", x->subdistrict, "name",
                                  x->name, "planned", (json_int_t)x->planned, "reported", (json_int_t)x->reported,
                                  "corrected", (json_int_t)x->corrected, "sampled", (json_int_t)x->sampled, "sites",
                                  (json_int_t)x->sites);
        json_array_append_new(features, map_feature(json_string(x->subdistrict),
                                                     x->sites ? map_point(x->lon_e6, x->lat_e6) : json_null(), props));
    }
    fc = map_collection(features);
    if (fc)
        json_object_set_new(fc, "plan",
                            json_pack("{s:s, s:s, s:I, s:I}", "plan_no", p.plan_no, "name", p.name, "starts_at",
                                      (json_int_t)p.starts_at, "ends_at", (json_int_t)p.ends_at));
    return map_reply(req, fc);
}

const struct route api_map_routes[] = {
    { "GET", "/api/v1/map/sites", map_sites, PERM_SITES_READ, 0, 0 },
    { "GET", "/api/v1/map/checkins", map_checkins, PERM_CHECKINS_READ, 0, 0 }, /* issue 12 */
    { "GET", "/api/v1/map/actuals", map_actuals, PERM_STATS_READ, 0, 0 },
    ROUTE_END
};
