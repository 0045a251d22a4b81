/* api/places/places.c - the /api/v1/places resource and the places map layer (R3.1-R3.7,
 * R5.1, issue 8): upstream systems and importers create places (one or a batch, idempotent
 * by source + external_id, "places" SSE events); district and subdistrict accounts update,
 * lift and soft-delete them within their scope; readers list, search, read a place with its
 * history, see the cameras bound to or near it, bind and unbind cameras, and get the map's
 * FeatureCollection. Handlers only read, call domain/places and domain/cameras, and reply.
 */
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/cameras/binding.h"
#include "domain/cameras/camera.h"
#include "domain/places/place.h"

#define PLACES_PATCH_CAP (1024 * 1024) /* a zone polygon of PLACE_RING_MAX vertices fits */
#define PLACES_NEAR_DEFAULT_M 300.0
#define PLACES_CAMERAS_MAX 500
#define PLACES_MAP_MAX 20000

/* POST /api/v1/places {place} -> 201 {"status":"accepted","id"} | 200 {"status":"duplicate"} */
static int places_create(struct req *req) { return api_ingest_one(req, &place_kind); }

/* POST /api/v1/places/batch [{place}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int places_batch(struct req *req) { return api_ingest_batch(req, &place_kind); }

/* places_query reads the list filters shared by the list, the export and the map. */
static int
places_query(struct req *req, struct place_query *q)
{
    const char *active = req_query(req, "active");
    int rc;
    q->kind = req_query(req, "kind");
    q->q = req_query(req, "q");
    q->subdistrict = req_query(req, "subdistrict");
    q->active_only = active && !strcmp(active, "1");
    if ((rc = api_text(req, "kind", q->kind, PLACE_KIND_MAX)) || (rc = api_text(req, "q", q->q, 128)) ||
        (rc = api_text(req, "subdistrict", q->subdistrict, 12)))
        return rc;
    return 0;
}

/* GET /api/v1/places?kind&q&subdistrict&active=1&limit&next -> {"items","total","next"} */
static int
places_list(struct req *req)
{
    struct place_query q = { 0 };
    struct place *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    json_t *arr;
    bool xlsx;
    int rc;
    if ((rc = api_format(req, &xlsx)) || xlsx) /* the same filters as export.xlsx */
        return rc ? rc : api__export_places(req);
    if ((rc = places_query(req, &q)) || (rc = api_page(req, 50, PLACE_LIST_MAX, &q.limit, &q.after)) ||
        (rc = place_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, place__json(&items[i]));
    return api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
}

/* GET /api/v1/places/{id} -> the place (deleted ones too, with deleted_at) */
static int
places_get(struct req *req)
{
    struct place p;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = place_get(req->db, &req->actor, id, &req->arena, &p)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such place") : rc;
    return api_reply(req, 200, place__json(&p));
}

/* PATCH /api/v1/places/{id} {"name"?,…,"ends_at"?,"version"?} -> 200 the updated place */
static int
places_update(struct req *req)
{
    struct ingest_outcome why;
    struct place p;
    json_t *body = NULL;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)))
        goto out;
    if ((rc = place_update(req->app, req->db, &req->actor, id, body, &why, NULL))) {
        rc = api_change_failed(req, rc, &why, "no such place");
        goto out;
    }
    if (!(rc = place_get(req->db, &req->actor, id, &req->arena, &p)))
        rc = api_reply(req, 200, place__json(&p));
out:
    json_decref(body);
    return rc;
}

/* DELETE /api/v1/places/{id} -> 204 (soft delete; bindings dropped; history kept) */
static int
places_delete(struct req *req)
{
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    rc = place_delete(req->app, req->db, &req->actor, id);
    if (rc == ERR_INVALID)
        return req_fail(req, rc, "testing sites are deleted through /api/v1/sites");
    return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such place") : rc;
}

/* GET /api/v1/places/{id}/history -> {"items":[{"version","action","actor","changed_at",
 * "place"}…],"total","next":null}, oldest first */
static int
places_history(struct req *req)
{
    struct place_version *v = NULL;
    size_t n = 0;
    int64_t id;
    json_t *arr;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = place_history(req->db, &req->actor, id, &req->arena, &v, &n)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such place") : rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:o}", "version", (json_int_t)v[i].version,
                                             "action", v[i].action, "actor", v[i].actor, "changed_at",
                                             (json_int_t)v[i].changed_at, "place",
                                             json_loads(v[i].snapshot, 0, NULL)));
    return api_reply(req, 200, api_list_json(arr, (int64_t)n, 0));
}

/* places_within reads ?within (metres, 1..5000, default 300). */
static int
places_within(struct req *req, double *m)
{
    const char *w = req_query(req, "within");
    int64_t v = 0;
    *m = PLACES_NEAR_DEFAULT_M;
    if (w && *w) {
        if (cstr_to_i64(w, &v, 1, (int64_t)CAMERA_NEAR_MAX_M))
            return req_fail(req, ERR_INVALID, "'within' must be a whole number of metres from 1 to 5000");
        *m = (double)v;
    }
    return 0;
}

static bool
places_has_camera(const struct place *p, const char *gb)
{
    for (size_t i = 0; i < p->n_cameras; i++)
        if (!strcmp(p->camera_ids[i], gb))
            return true;
    return false;
}

/* GET /api/v1/places/{id}/cameras?within=M -> {"items":[camera + "bound"],"total","next":null}:
 * the cameras bound to the place, then (not bound) those within M metres of it (zones: inside
 * the polygon too), nearest first: the binding suggestions. */
static int
places_cameras(struct req *req)
{
    struct place p;
    struct camera *near = NULL, *in = NULL, c;
    struct geo_point *ring = NULL, mn, mx;
    size_t n = 0, nin = 0, nring = 0;
    bool more = false;
    double within;
    int64_t id;
    json_t *arr;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = places_within(req, &within)))
        return rc;
    if ((rc = place_get(req->db, &req->actor, id, &req->arena, &p)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such place") : rc;
    arr = json_array();
    for (size_t i = 0; i < p.n_cameras; i++) {
        if ((rc = camera_get_gb(req->db, &req->actor, p.camera_ids[i], &req->arena, &c)))
            goto fail;
        json_t *o = camera__json(&c);
        if (p.has_pos && c.has_pos)
            json_object_set_new(o, "distance_m",
                                json_real(geo_distance_m((struct geo_point){ p.lon_e6 / 1e6, p.lat_e6 / 1e6 },
                                                         (struct geo_point){ c.lon_e6 / 1e6, c.lat_e6 / 1e6 })));
        json_object_set_new(o, "bound", json_true());
        json_array_append_new(arr, o);
    }
    if (p.geometry) {
        if ((rc = place_ring(req->db, &req->actor, id, &req->arena, &ring, &nring, &mn, &mx)) ||
            (rc = camera_in_ring(req->db, &req->actor, ring, nring, PLACES_CAMERAS_MAX, &req->arena, &in, &nin, &more)))
            goto fail;
        for (size_t i = 0; i < nin; i++)
            if (!places_has_camera(&p, in[i].gb_id)) {
                json_t *o = camera__json(&in[i]);
                json_object_set_new(o, "bound", json_false());
                json_object_set_new(o, "inside", json_true());
                json_array_append_new(arr, o);
            }
    } else if (p.has_pos) {
        struct geo_point at = { p.lon_e6 / 1e6, p.lat_e6 / 1e6 };
        if ((rc = camera_near(req->db, &req->actor, at, within, NULL, PLACES_CAMERAS_MAX, &req->arena, &near, &n,
                              &more)))
            goto fail;
        for (size_t i = 0; i < n; i++)
            if (!places_has_camera(&p, near[i].gb_id)) {
                json_t *o = camera__json(&near[i]);
                json_object_set_new(o, "bound", json_false());
                json_array_append_new(arr, o);
            }
    }
    return api_reply(req, 200, api_list_json(arr, (int64_t)json_array_size(arr), 0));
fail:
    json_decref(arr);
    return rc;
}

/* places_camera_param reads {camera_id}: a ledger id or a 20-digit GB/T 28181 ID. */
static int
places_camera_param(struct req *req, int64_t *camera_id)
{
    const char *s = req->nparams > 1 ? req->params[1] : NULL;
    struct camera c;
    int rc;
    if (s && strlen(s) == CAMERA_ID_LEN) {
        if ((rc = camera_get_gb(req->db, &req->actor, s, &req->arena, &c)))
            return req_fail(req, rc, "no such camera");
        *camera_id = c.id;
        return 0;
    }
    return req_param_i64(req, 1, camera_id);
}

/* POST /api/v1/places/{id}/cameras/{camera_id} -> 201 {"created":true} | 200 {"created":false} */
static int
places_bind(struct req *req)
{
    int64_t id, cam;
    bool created = false;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = places_camera_param(req, &cam)))
        return rc;
    if ((rc = binding_add(req->app, req->db, &req->actor, id, cam, 0, &created)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such place or camera") : rc;
    return api_reply(req, created ? 201 : 200, json_pack("{s:b}", "created", created));
}

/* DELETE /api/v1/places/{id}/cameras/{camera_id} -> 204 */
static int
places_unbind(struct req *req)
{
    int64_t id, cam;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = places_camera_param(req, &cam)))
        return rc;
    rc = binding_remove(req->app, req->db, &req->actor, id, cam);
    return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such binding") : rc;
}

/* GET /api/v1/map/places.geojson?kind&q&subdistrict&active=1 -> FeatureCollection of live
 * places in scope (points; zones as polygons), properties id, kind, code, name, subdistrict,
 * zone_level, ends_at, cameras (count); at most 20000 features ("truncated": true beyond). */
static int
places_map(struct req *req)
{
    struct place_query q = { 0 };
    struct place *items = NULL;
    json_t *features = json_array();
    size_t n = 0, count = 0;
    int64_t total = 0;
    int rc;
    if ((rc = places_query(req, &q)))
        goto fail;
    q.limit = PLACE_LIST_MAX;
    do {
        if ((rc = place_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
            goto fail;
        for (size_t i = 0; i < n && count < PLACES_MAP_MAX; i++, count++) {
            json_t *o = place__json(&items[i]), *geom = json_incref(json_object_get(o, "geometry"));
            json_t *props = json_pack("{s:I, s:s, s:s, s:s, s:O, s:O, s:O, s:I}", "id", (json_int_t)items[i].id,
                                      "kind", items[i].kind, "code", items[i].code, "name", items[i].name,
                                      "subdistrict", json_object_get(o, "subdistrict"), "zone_level",
                                      json_object_get(o, "zone_level"), "ends_at", json_object_get(o, "ends_at"),
                                      "cameras", (json_int_t)items[i].n_cameras);
            json_decref(o);
            json_array_append_new(features, json_pack("{s:s, s:I, s:o, s:o}", "type", "Feature", "id",
                                                      (json_int_t)items[i].id, "geometry", geom, "properties", props));
        }
        q.after = n ? items[n - 1].id : 0;
    } while (n == q.limit && count < PLACES_MAP_MAX);
    return api_reply_as(req, 200, "application/geo+json",
                        json_pack("{s:s, s:o, s:b}", "type", "FeatureCollection", "features", features, "truncated",
                                  count >= PLACES_MAP_MAX && total > (int64_t)count));
fail:
    json_decref(features);
    return rc;
}

const struct route api_places_routes[] = {
    { "POST", "/api/v1/places", places_create, PERM_PLACES_WRITE, ROUTE_JSON, PLACES_PATCH_CAP },
    { "POST", "/api/v1/places/batch", places_batch, PERM_PLACES_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/places", places_list, PERM_PLACES_READ, 0, 0 },
    { "GET", "/api/v1/places/{id}", places_get, PERM_PLACES_READ, 0, 0 },
    { "PATCH", "/api/v1/places/{id}", places_update, PERM_PLACES_WRITE, ROUTE_JSON, PLACES_PATCH_CAP },
    { "DELETE", "/api/v1/places/{id}", places_delete, PERM_PLACES_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/places/{id}/history", places_history, PERM_PLACES_READ, 0, 0 },
    { "GET", "/api/v1/places/{id}/cameras", places_cameras, PERM_CAMERAS_READ, 0, 0 },
    { "POST", "/api/v1/places/{id}/cameras/{camera_id}", places_bind, PERM_PLACES_WRITE, ROUTE_JSON, 1024 },
    { "DELETE", "/api/v1/places/{id}/cameras/{camera_id}", places_unbind, PERM_PLACES_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/map/places.geojson", places_map, PERM_PLACES_READ, 0, 0 },
    ROUTE_END
};
