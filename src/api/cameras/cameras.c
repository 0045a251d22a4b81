/* api/cameras/cameras.c - the /api/v1/cameras resource and camera checks (R3.1-R3.6,
 * R3.11, issue 8): registering cameras (one or a batch, idempotent by source +
 * external_id), listing and searching them (by text, status, or near a point from the
 * spatial index), reading and updating one, recording checks and listing the cameras of a
 * place kind with their latest check. No route returns a stream URL; it is write-only here
 * (the live-video gateway opens it through camera_stream). Not the reconciliation routes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/export.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/cameras/camera.h"
#include "domain/cameras/camera_check.h"
#include "domain/places/place.h"

#define CAMERAS_PATCH_CAP (16 * 1024)
#define CAMERAS_NEAR_MAX 1000

/* POST /api/v1/cameras {camera} -> 201 {"status":"accepted","id"} | 200 {"status":"duplicate"} */
static int cameras_create(struct req *req) { return api_ingest_one(req, &camera_kind); }

/* POST /api/v1/cameras/batch [{camera}…] -> 200 {"accepted","duplicate","rejected","items"} */
static int cameras_batch(struct req *req) { return api_ingest_batch(req, &camera_kind); }

/* cameras_point reads ?near=LON,LAT (WGS-84 decimal degrees, in Beijing). */
static int
cameras_point(struct req *req, const char *s, struct geo_point *p)
{
    unsigned fixes = 0;
    if (strlen(s) > 64 || geo_parse_point(s, strlen(s), NULL, 0, GEO_WGS84, p, &fixes, NULL) ||
        (fixes & GEO_FIX_SWAPPED))
        return req_fail(req, ERR_INVALID, "'near' must be LON,LAT in Beijing (WGS-84 decimal degrees)");
    return 0;
}

/* GET /api/v1/cameras?near=LON,LAT&within=M&status= -> nearest first with distance_m (at most
 * 1000; "next" null, "total" the items returned, "more" whether the radius held more);
 * GET /api/v1/cameras?q&status&subdistrict&limit&next -> {"items","total","next"} by id */
static int
cameras_list(struct req *req)
{
    struct camera_query q = { 0 };
    struct camera *items = NULL;
    const char *near = req_query(req, "near"), *within = req_query(req, "within");
    size_t n = 0;
    int64_t total = 0, w = 300;
    bool xlsx;
    bool more = false;
    json_t *arr, *body;
    int rc;
    if ((rc = api_format(req, &xlsx)) || xlsx) /* the same filters as export.xlsx */
        return rc ? rc : near ? req_fail(req, ERR_INVALID, "'near' cannot be exported: use q, status, subdistrict")
                              : api__export_cameras(req);
    q.q = req_query(req, "q");
    q.status = req_query(req, "status");
    q.subdistrict = req_query(req, "subdistrict");
    if ((rc = api_text(req, "q", q.q, 128)) || (rc = api_text(req, "status", q.status, 16)) ||
        (rc = api_text(req, "subdistrict", q.subdistrict, 12)))
        return rc;
    if (near) {
        struct geo_point p;
        if ((rc = cameras_point(req, near, &p)))
            return rc;
        if (within && cstr_to_i64(within, &w, 1, (int64_t)CAMERA_NEAR_MAX_M))
            return req_fail(req, ERR_INVALID, "'within' must be a whole number of metres from 1 to 5000");
        if ((rc = camera_near(req->db, &req->actor, p, (double)w, q.status, CAMERAS_NEAR_MAX, &req->arena, &items, &n,
                              &more)) ||
            (rc = camera__load_places(req->db, &req->arena, items, n)))
            return rc;
        arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, camera__json(&items[i]));
        body = api_list_json(arr, (int64_t)n, 0);
        json_object_set_new(body, "more", json_boolean(more));
        return api_reply(req, 200, body);
    }
    if ((rc = api_page(req, 50, CAMERA_LIST_MAX, &q.limit, &q.after)) ||
        (rc = camera_list(req->db, &req->actor, &q, &req->arena, &items, &n, &total)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, camera__json(&items[i]));
    return api_reply(req, 200, api_list_json(arr, total, n == q.limit ? items[n - 1].id : 0));
}

/* GET /api/v1/cameras/{id} -> the camera ("has_stream", never the URL) */
static int
cameras_get(struct req *req)
{
    struct camera c;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return rc;
    if ((rc = camera_get(req->db, &req->actor, id, &req->arena, &c)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such camera") : rc;
    return api_reply(req, 200, camera__json(&c));
}

/* PATCH /api/v1/cameras/{id} {"name"?,…,"stream_url"?,"version"?} -> 200 the camera */
static int
cameras_update(struct req *req)
{
    struct ingest_outcome why;
    struct camera c;
    json_t *body = NULL;
    int64_t id;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_body(req, &body)))
        goto out;
    if ((rc = camera_update(req->app, req->db, &req->actor, id, body, &why, NULL))) {
        rc = api_change_failed(req, rc, &why, "no such camera");
        goto out;
    }
    if (!(rc = camera_get(req->db, &req->actor, id, &req->arena, &c)))
        rc = api_reply(req, 200, camera__json(&c));
out:
    json_decref(body);
    return rc;
}

/* POST /api/v1/cameras/{id}/checks {"position_ok":b,"playable":b,"covers"?,"note"?,
 * "place_id"?} -> 201 {"id"} */
static int
cameras_check(struct req *req)
{
    struct camera_check_input in = { 0 };
    json_t *body = NULL;
    int pos = 0, play = 0;
    json_int_t place = 0;
    const char *covers = NULL, *note = NULL;
    int64_t id = 0;
    int rc;
    if ((rc = req_param_i64(req, 0, &in.camera_id)) || (rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:b, s:b, s?s, s?s, s?I}", "position_ok", &pos, "playable", &play, "covers",
                         &covers, "note", &note, "place_id", &place)) ||
        (rc = api_text(req, "covers", covers, 256)) || (rc = api_text(req, "note", note, 512)))
        goto out;
    if (place < 0) {
        rc = req_fail(req, ERR_INVALID, "'place_id' must be a place id");
        goto out;
    }
    in.place_id = place;
    in.position_ok = pos;
    in.playable = play;
    in.covers = covers;
    in.note = note;
    if ((rc = camera_check_add(req->app, req->db, &req->actor, &in, &id))) {
        rc = rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such camera or place") : rc;
        goto out;
    }
    rc = api_reply(req, 201, json_pack("{s:I}", "id", (json_int_t)id));
out:
    json_decref(body);
    return rc;
}

/* GET /api/v1/camera-checks?kind=K&stale_days=N -> {"items":[{camera_id, gb_id, camera_name,
 * place_id, place_name, place_kind, checked, checked_at, position_ok, playable, covers,
 * checked_by}…],"total","next":null}: the cameras bound to places of kind K with their
 * latest check; with stale_days only those never checked or last checked N days ago or more. */
static int
cameras_checks(struct req *req)
{
    const char *kind = req_query(req, "kind"), *stale = req_query(req, "stale_days");
    struct camera_check_row *rows = NULL;
    int64_t days = 0;
    size_t n = 0;
    json_t *arr;
    bool xlsx;
    int rc;
    if ((rc = api_format(req, &xlsx)) || xlsx)
        return rc ? rc : api__export_checks(req);
    if ((rc = api_text(req, "kind", kind, 32)))
        return rc;
    if (stale && *stale && cstr_to_i64(stale, &days, 0, 3650))
        return req_fail(req, ERR_INVALID, "'stale_days' must be a whole number from 0 to 3650");
    if ((rc = camera_check_list(req->db, &req->actor, kind, days, time_now_ms(), CAMERA_CHECK_LIST_MAX, &req->arena,
                                &rows, &n)))
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct camera_check_row *r = &rows[i];
        json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:b}", "camera_id", (json_int_t)r->camera_id, "gb_id",
                              r->gb_id, "camera_name", r->camera_name, "place_id", (json_int_t)r->place_id,
                              "place_name", r->place_name, "place_kind", r->place_kind, "checked", r->checked);
        if (r->checked) {
            json_object_set_new(o, "checked_at", json_integer(r->checked_at));
            json_object_set_new(o, "position_ok", json_boolean(r->position_ok));
            json_object_set_new(o, "playable", json_boolean(r->playable));
            json_object_set_new(o, "covers", json_string(r->covers));
            json_object_set_new(o, "checked_by", json_string(r->checked_by));
        }
        json_array_append_new(arr, o);
    }
    return api_reply(req, 200, api_list_json(arr, (int64_t)n, 0));
}

/* GET /api/v1/cameras/{id}/places?within=M&kind=K -> {"items":[place + "distance_m"],"total",
 * "next":null}: live places in scope within M metres (1-5000, default 300) of the camera,
 * nearest first, at most 200 (binding suggestions from the camera's side). */
static int
cameras_places(struct req *req)
{
    const char *within = req_query(req, "within"), *kind = req_query(req, "kind");
    struct place *items = NULL;
    struct camera c;
    double *d = NULL;
    size_t n = 0;
    int64_t id, w = 300;
    json_t *arr;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)) || (rc = api_text(req, "kind", kind, PLACE_KIND_MAX)))
        return rc;
    if (within && cstr_to_i64(within, &w, 1, (int64_t)CAMERA_NEAR_MAX_M))
        return req_fail(req, ERR_INVALID, "'within' must be a whole number of metres from 1 to 5000");
    if ((rc = camera_get(req->db, &req->actor, id, &req->arena, &c)))
        return rc == ERR_NOT_FOUND ? req_fail(req, rc, "no such camera") : rc;
    arr = json_array();
    if (c.has_pos) {
        struct geo_point p = { c.lon_e6 / 1e6, c.lat_e6 / 1e6 };
        if ((rc = place_near(req->db, &req->actor, p, (double)w, kind, 200, &req->arena, &items, &d, &n))) {
            json_decref(arr);
            return rc;
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = place__json(&items[i]);
        json_object_set_new(o, "distance_m", json_real((double)(int64_t)(d[i] * 10 + 0.5) / 10));
        json_array_append_new(arr, o);
    }
    return api_reply(req, 200, api_list_json(arr, (int64_t)n, 0));
}

const struct route api_cameras_routes[] = {
    { "POST", "/api/v1/cameras", cameras_create, PERM_CAMERAS_WRITE, ROUTE_JSON, API_INGEST_ONE_CAP },
    { "POST", "/api/v1/cameras/batch", cameras_batch, PERM_CAMERAS_WRITE, ROUTE_JSON, API_INGEST_BATCH_CAP },
    { "GET", "/api/v1/cameras", cameras_list, PERM_CAMERAS_READ, 0, 0 },
    { "GET", "/api/v1/cameras/{id}", cameras_get, PERM_CAMERAS_READ, 0, 0 },
    { "PATCH", "/api/v1/cameras/{id}", cameras_update, PERM_CAMERAS_WRITE, ROUTE_JSON, CAMERAS_PATCH_CAP },
    { "GET", "/api/v1/cameras/{id}/places", cameras_places, PERM_PLACES_READ, 0, 0 },
    { "POST", "/api/v1/cameras/{id}/checks", cameras_check, PERM_CAMERAS_WRITE, ROUTE_JSON, 4096 },
    { "GET", "/api/v1/camera-checks", cameras_checks, PERM_CAMERAS_READ, 0, 0 },
    ROUTE_END
};
