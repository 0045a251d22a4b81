/* api/video/play.c - starting live video for signed-in users and API tokens (issue 9;
 * R3.1-R3.6, R3.12): POST /api/v1/cameras/{id}/play hands out the signed, cookie-free
 * media URLs; GET /api/v1/cameras/{id}/snapshot a JPEG; GET /api/v1/video/sessions the
 * running sessions in scope. The URLs themselves are served by api/video/media.c. */
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/video/video.h"

/* play_fail gives the contract's answers to a failed play or snapshot. */
static int
play_fail(struct req *req, int rc)
{
    if (rc == ERR_NOT_FOUND)
        return req_fail(req, rc, "no such camera");
    if (rc == ERR_NO_STREAM)
        return req_fail(req, rc, "the camera has no RTSP stream address on file");
    if (rc == ERR_BUSY)
        return req_fail(req, rc, "too many cameras are playing; try again later");
    if (rc == ERR_UNAVAILABLE)
        return req_fail(req, rc, "live video is not running on this server");
    return rc;
}

/* POST /api/v1/cameras/{id}/play -> 200 {"camera_id","hls","stream","snapshot","embed","codec","playable",
 * "state","expires_at"} */
static int
video_play_route(struct req *req)
{
    struct video_play p;
    char expires[40];
    int64_t id = 0;
    int rc;

    if ((rc = req_param_i64(req, 0, &id)))
        return req_fail(req, rc, "no such camera");
    if ((rc = video_play(req->app, req->db, &req->actor, id, &p)))
        return play_fail(req, rc);
    time_format_iso(p.expires_at, expires, sizeof expires);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "camera_id", (json_int_t)id, "hls",
                          arena_printf(&req->arena, "/media/v1/p/%s/index.m3u8", p.link), "stream",
                          arena_printf(&req->arena, "/media/v1/p/%s/live.mp4", p.link), "snapshot",
                          arena_printf(&req->arena, "/media/v1/p/%s/snapshot.jpg", p.link), "embed",
                          arena_printf(&req->arena, "/media/v1/embed/%s", p.link), "playable", p.playable,
                          "state", p.state, "expires_at", expires);
    if (o)
        json_object_set_new(o, "codec", p.codec[0] ? json_string(p.codec) : json_null());
    return api_reply(req, 200, o);
}

/* GET /api/v1/cameras/{id}/snapshot -> image/jpeg */
static int
video_snapshot_route(struct req *req)
{
    struct buf jpeg = BUF_INIT;
    int64_t id = 0;
    int rc;
    if ((rc = req_param_i64(req, 0, &id)))
        return req_fail(req, rc, "no such camera");
    if ((rc = video_snapshot(req->app, req->db, &req->actor, id, &jpeg))) {
        buf_release(&jpeg);
        return play_fail(req, rc);
    }
    size_t len = 0;
    char *data = buf_detach(&jpeg, &len);
    req_reply(req, 200, "image/jpeg", data, len);
    return 0;
}

/* GET /api/v1/video/sessions -> {"items":[{"camera_id","state","codec","playable","viewers","width","height",
 * "reconnects","started_at","last_frame_at","error"}]} */
static int
video_sessions_route(struct req *req)
{
    struct video_session *items = NULL;
    size_t n = 0;
    int rc = video_sessions(req->db, &req->actor, &items, &n);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct media_info *mi = &items[i].info;
        struct video_play p;
        video_info_fill(mi, &p);
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:o, s:b, s:I, s:i, s:i, s:I, s:I, s:o, s:o}", "camera_id",
                           (json_int_t)items[i].camera_id, "state", p.state, "codec",
                           p.codec[0] ? json_string(p.codec) : json_null(), "playable", p.playable, "viewers",
                           (json_int_t)mi->viewers, "width", mi->width, "height", mi->height, "reconnects",
                           (json_int_t)mi->reconnects, "started_at", (json_int_t)mi->started_at, "last_frame_at",
                           mi->last_frame_at ? json_integer(mi->last_frame_at) : json_null(), "error",
                           mi->error[0] ? json_string(mi->error) : json_null()));
    }
    xfree(items);
    return api_reply(req, 200, json_pack("{s:o, s:I}", "items", arr, "total", (json_int_t)n));
}

const struct route api_video_routes[] = {
    { "POST", "/api/v1/cameras/{id}/play", video_play_route, PERM_VIDEO_PLAY, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/cameras/{id}/snapshot", video_snapshot_route, PERM_VIDEO_PLAY, 0, 0 },
    { "GET", "/api/v1/video/sessions", video_sessions_route, PERM_VIDEO_PLAY, 0, 0 },
    ROUTE_END
};
