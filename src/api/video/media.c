/* api/video/media.c - the cookie-free media URLs of a play link (issue 9; R3.3, R3.6,
 * R3.12): /media/v1/p/{tok}/live.mp4 (one continuous fMP4 response), index.m3u8 (LL-HLS
 * with blocking reload), init.mp4 and seg/{file}, snapshot.jpg, info (the player's status
 * line), and /media/v1/embed/{tok} (the embeddable player page). The routes are
 * PERM_PUBLIC for the gate and check the signed token in the path themselves
 * (video_link_check: tampered, expired, revoked issuer -> 403). Responses are never cached
 * (the server's Cache-Control: no-store). Waiting requests are parked http/stream.h
 * replies woken by the session (media_viewer_on_data); nothing polls.
 * Not the place that decides who may play (domain/video) or how bytes are made (media/). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/video/embed_sites.h"
#include "domain/video/video.h"
#include "http/static.h"
#include "http/stream.h"

#define MEDIA_HLS_TARGET_S 2     /* target duration assumed until a playlist says otherwise */
#define MEDIA_HLS_BLOCK_TARGETS 3 /* a blocking reload answers after this many target durations */
#define MEDIA_FILE_WAIT_MS 6000  /* a part or segment announced but not complete is awaited this long */

/* media_link checks the {tok} of the path; fills the link. */
static int
media_link(struct req *req, struct play_link *l)
{
    const char *tok = req->params[0];
    int rc = video_link_check(req->app, req->db, tok, strlen(tok), l);
    if (rc == ERR_FORBIDDEN)
        return req_fail(req, rc, "the play link is not valid or has expired");
    return rc;
}

static int
media_open(struct req *req, const struct play_link *l, struct media_viewer **v)
{
    int rc = video_open_viewer(req->app, req->db, l->camera_id, v);
    if (rc == ERR_NOT_FOUND || rc == ERR_NO_STREAM)
        return req_fail(req, ERR_NOT_FOUND, "the camera is gone or has no stream");
    if (rc == ERR_BUSY)
        return req_fail(req, rc, "too many cameras are playing; try again later");
    return rc;
}

/* live.mp4 ------------------------------------------------------------------------------ */
struct media_live {
    struct media_viewer *v;
    struct http_stream *s;
};

static void
media_live_wake(void *cls)
{
    struct media_live *m = cls;
    http_stream_wake(m->s);
}

static size_t
media_live_fill(void *cls, char *buf, size_t max, bool *end)
{
    struct media_live *m = cls;
    return media_viewer_read(m->v, buf, max, end);
}

static void
media_live_release(void *cls)
{
    struct media_live *m = cls;
    media_viewer_on_data(m->v, NULL, NULL); /* no wake runs after this returns */
    media_viewer_close(m->v);
    xfree(m);
}

/* GET /media/v1/p/{tok}/live.mp4 -> 200 video/mp4, chunked: init segment, then fragments */
static int
media_live(struct req *req)
{
    struct play_link l;
    struct media_live *m;
    struct media_viewer *v = NULL;
    int rc;
    if ((rc = media_link(req, &l)) || (rc = media_open(req, &l, &v)))
        return rc;
    m = xcalloc(1, sizeof *m);
    m->v = v;
    req_reply_stream(req, "video/mp4", media_live_fill, m, media_live_release, &m->s);
    media_viewer_on_data(v, media_live_wake, m);
    return 0;
}

/* Parked HLS requests ---------------------------------------------------------------------- */
enum media_wait_kind { MEDIA_WAIT_PLAYLIST, MEDIA_WAIT_FILE };

struct media_wait {
    enum media_wait_kind kind;
    struct media_viewer *v;
    struct http_stream *s;
    int64_t msn;
    int part;
    char name[64];
    int64_t deadline_us; /* monotonic */
    bool ready;
    struct buf out;
    size_t off;
};

/* media_wait_try asks the session once: 0 (out filled), ERR_UNAVAILABLE (not yet) or an error. */
static int
media_wait_try(struct media_wait *w, bool give_current)
{
    buf_reset(&w->out);
    if (w->kind == MEDIA_WAIT_FILE)
        return media_viewer_file(w->v, w->name, &w->out);
    return media_viewer_playlist(w->v, give_current ? -1 : w->msn, give_current ? -1 : w->part, &w->out);
}

static size_t
media_wait_fill(void *cls, char *buf, size_t max, bool *end)
{
    struct media_wait *w = cls;
    if (!w->ready) {
        int rc = media_wait_try(w, false);
        if (rc == ERR_UNAVAILABLE && time_mono_us() >= w->deadline_us && w->kind == MEDIA_WAIT_PLAYLIST &&
            w->msn >= 0)
            rc = media_wait_try(w, true); /* the bound of a blocking reload: the playlist as it is */
        if (rc == ERR_UNAVAILABLE && time_mono_us() < w->deadline_us)
            return 0; /* parked until the session adds a fragment or changes state */
        if (rc) {
            /* NEEDSWORK: a streamed reply has sent its 200 already, so a part that never
             * completed (or a dead session) ends as an empty body; players retry. */
            *end = true;
            return 0;
        }
        w->ready = true;
    }
    size_t n = w->out.len - w->off < max ? w->out.len - w->off : max;
    memcpy(buf, w->out.data + w->off, n);
    w->off += n;
    *end = w->off == w->out.len;
    return n;
}

static void
media_wait_wake(void *cls)
{
    struct media_wait *w = cls;
    http_stream_wake(w->s);
}

static void
media_wait_release(void *cls)
{
    struct media_wait *w = cls;
    media_viewer_on_data(w->v, NULL, NULL);
    media_viewer_close(w->v); /* a short viewer: the linger keeps the session for hls.js */
    buf_release(&w->out);
    xfree(w);
}

/* media_target_s reads EXT-X-TARGETDURATION from a playlist (MEDIA_HLS_TARGET_S when absent). */
static int64_t
media_target_s(const struct buf *pl)
{
    const char *p = strstr(pl->data, "#EXT-X-TARGETDURATION:");
    int64_t v = 0;
    for (p = p ? p + 22 : NULL; p && *p >= '0' && *p <= '9' && v < 60; p++)
        v = v * 10 + (*p - '0');
    return v > 0 && v < 60 ? v : MEDIA_HLS_TARGET_S;
}

/* media_wait answers at once when the session has what is asked, else parks the request. */
static int
media_wait(struct req *req, enum media_wait_kind kind, const char *type, int64_t msn, int part, const char *name)
{
    struct play_link l;
    struct media_viewer *v = NULL;
    struct media_wait *w;
    int rc;
    if ((rc = media_link(req, &l)) || (rc = media_open(req, &l, &v)))
        return rc;
    w = xcalloc(1, sizeof *w);
    *w = (struct media_wait){ .kind = kind, .v = v, .msn = msn, .part = part, .out = BUF_INIT };
    snprintf(w->name, sizeof w->name, "%s", name ? name : "");
    rc = media_wait_try(w, false);
    if (rc != ERR_UNAVAILABLE) { /* answered at once: the bytes, or an error */
        size_t len = 0;
        char *data = rc ? NULL : buf_detach(&w->out, &len);
        media_wait_release(w);
        if (rc == ERR_NOT_FOUND || rc == ERR_INVALID)
            return req_fail(req, ERR_NOT_FOUND, kind == MEDIA_WAIT_FILE ? "no such segment" : "the camera sends nothing");
        if (rc)
            return rc;
        req_reply(req, 200, type, data, len);
        return 0;
    }
    if (kind == MEDIA_WAIT_PLAYLIST) {
        struct buf cur = BUF_INIT;
        int64_t target = media_viewer_playlist(v, -1, -1, &cur) ? MEDIA_HLS_TARGET_S : media_target_s(&cur);
        buf_release(&cur);
        w->deadline_us = time_mono_us() + target * MEDIA_HLS_BLOCK_TARGETS * 1000000;
    } else {
        w->deadline_us = time_mono_us() + (int64_t)MEDIA_FILE_WAIT_MS * 1000;
    }
    req_reply_stream(req, type, media_wait_fill, w, media_wait_release, &w->s);
    media_viewer_on_data(v, media_wait_wake, w);
    return 0;
}

/* GET /media/v1/p/{tok}/index.m3u8[?_HLS_msn=N[&_HLS_part=M]] -> LL-HLS media playlist */
static int
media_playlist(struct req *req)
{
    const char *ms = req_query(req, "_HLS_msn"), *ps = req_query(req, "_HLS_part");
    int64_t msn = -1, part = -1;
    if ((ms && cstr_to_i64(ms, &msn, 0, INT64_MAX)) || (ps && (!ms || cstr_to_i64(ps, &part, 0, 100000))))
        return req_fail(req, ERR_INVALID, "'_HLS_msn' and '_HLS_part' must be whole numbers (_HLS_part with _HLS_msn)");
    return media_wait(req, MEDIA_WAIT_PLAYLIST, "application/vnd.apple.mpegurl", msn, (int)part, NULL);
}

/* GET /media/v1/p/{tok}/init.mp4 -> the init segment (ftyp+moov) */
static int
media_init(struct req *req)
{
    return media_wait(req, MEDIA_WAIT_FILE, "video/mp4", -1, -1, "init.mp4");
}

/* GET /media/v1/p/{tok}/seg/{file} -> a segment "<msn>.m4s" or a part "<msn>.<part>.m4s" */
static int
media_segment(struct req *req)
{
    const char *file = req->params[1];
    char name[64];
    if (strlen(file) > 40 || strspn(file, "0123456789.m4s") != strlen(file))
        return req_fail(req, ERR_NOT_FOUND, "no such segment");
    snprintf(name, sizeof name, "seg/%s", file);
    return media_wait(req, MEDIA_WAIT_FILE, "video/iso.segment", -1, -1, name);
}

/* GET /media/v1/p/{tok}/snapshot.jpg -> image/jpeg */
static int
media_snapshot_route(struct req *req)
{
    struct play_link l;
    struct buf jpeg = BUF_INIT;
    size_t len = 0;
    int rc;
    if ((rc = media_link(req, &l)))
        return rc;
    if ((rc = video_snapshot(req->app, req->db, NULL, l.camera_id, &jpeg))) {
        buf_release(&jpeg);
        if (rc == ERR_NOT_FOUND || rc == ERR_NO_STREAM)
            return req_fail(req, ERR_NOT_FOUND, "the camera is gone or has no stream");
        if (rc == ERR_BUSY)
            return req_fail(req, rc, "the camera cannot be reached now");
        return rc;
    }
    char *data = buf_detach(&jpeg, &len);
    req_reply(req, 200, "image/jpeg", data, len);
    return 0;
}

/* GET /media/v1/p/{tok}/info -> {"camera_id","state","codec","playable","viewers","expires_at"} */
static int
media_info_route(struct req *req)
{
    struct play_link l;
    struct media_info mi;
    struct video_play p = { 0 };
    struct media_hub *hub = video_hub();
    char key[VIDEO_KEY_LEN], expires[40];
    int rc;
    if ((rc = media_link(req, &l)))
        return rc;
    video_key(l.camera_id, key);
    if (!hub || media_hub_info(hub, key, &mi)) {
        memset(&mi, 0, sizeof mi);
        mi.state = MEDIA_STOPPED;
    }
    video_info_fill(&mi, &p);
    time_format_iso(l.expires_at, expires, sizeof expires);
    json_t *o = json_pack("{s:I, s:s, s:b, s:I, s:s}", "camera_id", (json_int_t)l.camera_id, "state", p.state,
                          "playable", p.playable, "viewers", (json_int_t)mi.viewers, "expires_at", expires);
    if (o) {
        json_object_set_new(o, "codec", p.codec[0] ? json_string(p.codec) : json_null());
        json_object_set_new(o, "error", mi.error[0] ? json_string(mi.error) : json_null());
    }
    return api_reply(req, 200, o);
}

/* GET /media/v1/embed/{tok} -> the embeddable player page (web/embed.html of the built UI),
 * framable by the sites of the issuing token (or the UI itself for a user's link). */
static int
media_embed(struct req *req)
{
    struct play_link l;
    struct buf sites = BUF_INIT;
    int rc;
    if ((rc = media_link(req, &l)))
        return rc;
    if (l.issuer == PLAY_ISSUER_TOKEN) {
        if ((rc = embed_sites_get(req->db, l.issuer_id, &sites))) {
            buf_release(&sites);
            return rc;
        }
        req_set_frame_ancestors(req, sites.len ? sites.data : "'none'");
    } else {
        req_set_frame_ancestors(req, "'self'");
    }
    buf_release(&sites);
    return static_serve_file(req, "embed.html");
}

const struct route api_media_routes[] = {
    { "GET", "/media/v1/p/{tok}/live.mp4", media_live, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/p/{tok}/index.m3u8", media_playlist, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/p/{tok}/init.mp4", media_init, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/p/{tok}/seg/{file}", media_segment, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/p/{tok}/snapshot.jpg", media_snapshot_route, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/p/{tok}/info", media_info_route, PERM_PUBLIC, 0, 0 },
    { "GET", "/media/v1/embed/{tok}", media_embed, PERM_PUBLIC, 0, 0 },
    ROUTE_END
};
