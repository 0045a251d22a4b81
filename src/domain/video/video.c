/* domain/video/video.c - play, play-link checks, viewers and snapshots for the HTTP layer
 * (see video.h; issue 9, R3.1-R3.6, R3.12). Not the transport (media/), not the health
 * scheduler (video_health.c), not the embedding policy (embed_sites.c). */
#include "domain/video/video.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "db/db_value.h"
#include "domain/cameras/camera.h"
#include "core/str.h"
#include "domain/platform/audit.h"
#include "domain/video/video_int.h"

static struct {
    pthread_mutex_t mu;
    struct app *app;
    struct video_config cfg;
    struct media_hub *hub;
} video = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const char sql_codec[] = "SELECT codec FROM cameras WHERE id = ?1";

void
video_key(int64_t camera_id, char key[VIDEO_KEY_LEN])
{
    snprintf(key, VIDEO_KEY_LEN, "%lld", (long long)camera_id);
}

/* video_on_state runs on a session thread: hand the change to the health thread, which
 * owns the database work. */
static void
video_on_state(void *cls, const char *key, enum media_state state, const struct media_info *info)
{
    int64_t id = 0;
    (void)cls;
    if (cstr_to_i64(key, &id, 1, INT64_MAX))
        return;
    if (state == MEDIA_PLAYING)
        video_health__note(id, "online", info && info->upstream_h265 ? "hevc" : "h264");
    else if (state == MEDIA_RETRYING || state == MEDIA_FAILED)
        video_health__note(id, "offline", NULL);
}

int
video_start(struct app *app, const struct video_config *cfg)
{
    struct media_hub *hub = NULL;
    int rc;
    pthread_mutex_lock(&video.mu);
    if (video.hub) {
        pthread_mutex_unlock(&video.mu);
        return ERR_CONFLICT;
    }
    video.app = app;
    video.cfg = *cfg;
    if (!video.cfg.play_ttl_s)
        video.cfg.play_ttl_s = VIDEO_PLAY_TTL_S;
    if (!video.cfg.probe_interval_s)
        video.cfg.probe_interval_s = VIDEO_PROBE_INTERVAL_S;
    if (!video.cfg.probe_concurrency)
        video.cfg.probe_concurrency = VIDEO_PROBE_CONCURRENCY;
    rc = media_hub_new(&video.cfg.media, video_on_state, NULL, &hub);
    if (!rc)
        video.hub = hub;
    pthread_mutex_unlock(&video.mu);
    if (!rc && (rc = video_health_start(app, &video.cfg))) {
        video_stop();
        return rc;
    }
    return rc;
}

void
video_stop(void)
{
    struct media_hub *hub;
    video_health_stop();
    pthread_mutex_lock(&video.mu);
    hub = video.hub;
    video.hub = NULL;
    pthread_mutex_unlock(&video.mu);
    media_hub_free(hub);
}

struct media_hub *
video_hub(void)
{
    pthread_mutex_lock(&video.mu);
    struct media_hub *h = video.hub;
    pthread_mutex_unlock(&video.mu);
    return h;
}

const struct video_config *
video__config(void)
{
    return &video.cfg;
}

/* video_open_url attaches a viewer, unsealing the stream URL as actor a only when no session
 * runs yet. The URL is wiped at once; media/ keeps its own copy. */
static int
video_open_url(struct app *app, struct db *db, const struct actor *a, int64_t camera_id, struct media_viewer **out)
{
    struct media_hub *hub = video_hub();
    struct buf url = BUF_INIT;
    char key[VIDEO_KEY_LEN];
    int rc;

    if (!hub)
        return ERR_UNAVAILABLE;
    video_key(camera_id, key);
    rc = media_viewer_open(hub, key, NULL, out);
    if (rc == ERR_NOT_FOUND) {
        if ((rc = camera_stream(app, db, a, camera_id, &url)))
            goto out;
        rc = media_viewer_open(hub, key, url.data, out);
    }
    if (rc == ERR_UNAVAILABLE)
        rc = ERR_BUSY;
    else if (rc == ERR_INVALID)
        rc = ERR_NO_STREAM; /* an http:// or rtmp:// address: not an RTSP camera */
out:
    buf_release_secret(&url);
    return rc;
}

int
video_open_viewer(struct app *app, struct db *db, int64_t camera_id, struct media_viewer **out)
{
    struct actor sys;
    actor_system(&sys, "video");
    return video_open_url(app, db, &sys, camera_id, out);
}

/* video_camera loads camera_id for a (scope), live, with a stream URL on file. */
static int
video_camera(struct db *db, const struct actor *a, int64_t camera_id, struct arena *arena, struct camera *c)
{
    int rc = camera_get(db, a, camera_id, arena, c);
    if (!rc && c->deleted_at)
        rc = ERR_NOT_FOUND;
    if (!rc && !c->has_stream)
        rc = ERR_NO_STREAM;
    return rc;
}

static void
video_stored_codec(struct db *db, int64_t camera_id, char *out, size_t cap)
{
    struct db_stmt *st = NULL;
    bool row = false;
    out[0] = '\0';
    if (!db_prepare(db, sql_codec, &st) && !db_bind_i64(st, 1, camera_id) && !db_step(st, &row) && row) {
        size_t n = 0;
        const char *s = db_col_text(st, 0, &n);
        snprintf(out, cap, "%.*s", (int)n, s ? s : "");
    }
    db_done(st);
}

void
video_info_fill(const struct media_info *mi, struct video_play *out)
{
    snprintf(out->codec, sizeof out->codec, "%s", mi->codec);
    out->playable = !(mi->upstream_h265 && !mi->transcoded);
    out->state = media_state_name(mi->state);
}

int
video_play(struct app *app, struct db *db, const struct actor *a, int64_t camera_id, struct video_play *out)
{
    struct arena arena = ARENA_INIT;
    struct camera c;
    struct media_viewer *v = NULL;
    struct media_info mi;
    struct play_link l = { 0 };
    struct buf link = BUF_INIT;
    char target[40], detail[48], stored[16];
    int rc;

    memset(out, 0, sizeof *out);
    if (a->kind != ACTOR_USER && a->kind != ACTOR_TOKEN)
        return ERR_FORBIDDEN;
    if ((rc = video_camera(db, a, camera_id, &arena, &c)) || (rc = video_open_url(app, db, a, camera_id, &v)))
        goto out;
    media_viewer_info(v, &mi);
    media_viewer_close(v); /* the linger keeps the session warm for the player */
    video_info_fill(&mi, out);
    video_stored_codec(db, camera_id, stored, sizeof stored);
    if (!mi.codec[0] && strcmp(stored, "hevc") == 0 && !video.cfg.media.max_transcodes)
        out->playable = false; /* the probe saw H.265 and nothing may transcode it */
    l.camera_id = camera_id;
    l.expires_at = (time_now_ms() / 1000 + (int64_t)video.cfg.play_ttl_s) * 1000;
    l.issuer = a->kind == ACTOR_TOKEN ? PLAY_ISSUER_TOKEN : PLAY_ISSUER_USER;
    l.issuer_id = a->id;
    if ((rc = play_link_sign(&app->keys, &l, &link)))
        goto out;
    snprintf(out->link, sizeof out->link, "%s", link.data);
    out->camera_id = camera_id;
    out->expires_at = l.expires_at;
    snprintf(target, sizeof target, "camera:%lld", (long long)camera_id);
    if (a->kind == ACTOR_TOKEN)
        snprintf(detail, sizeof detail, "token:%lld", (long long)a->id);
    else
        snprintf(detail, sizeof detail, "user:%lld", (long long)a->id);
    rc = audit_record(db, &app->keys, a, "video.play", target, "ok", detail);
out:
    buf_release(&link);
    arena_release(&arena);
    return rc;
}

int
video_snapshot(struct app *app, struct db *db, const struct actor *a, int64_t camera_id, struct buf *jpeg)
{
    struct media_hub *hub = video_hub();
    struct arena arena = ARENA_INIT;
    struct camera c;
    struct buf url = BUF_INIT;
    struct actor sys;
    char key[VIDEO_KEY_LEN];
    int rc;

    if (!hub)
        return ERR_UNAVAILABLE;
    actor_system(&sys, "video");
    if ((rc = video_camera(db, a ? a : &sys, camera_id, &arena, &c)))
        goto out;
    video_key(camera_id, key);
    rc = media_snapshot(hub, key, NULL, VIDEO_SNAPSHOT_MAX_AGE_MS, jpeg);
    if (rc == ERR_NOT_FOUND) {
        if ((rc = camera_stream(app, db, a ? a : &sys, camera_id, &url)))
            goto out;
        rc = media_snapshot(hub, key, url.data, VIDEO_SNAPSHOT_MAX_AGE_MS, jpeg);
    }
    if (rc == ERR_UNAVAILABLE)
        rc = ERR_BUSY;
    else if (rc == ERR_INVALID)
        rc = ERR_NO_STREAM;
out:
    buf_release_secret(&url);
    arena_release(&arena);
    return rc;
}

int
video_sessions(struct db *db, const struct actor *a, struct video_session **items, size_t *n)
{
    struct media_hub *hub = video_hub();
    struct video_session *v = NULL;
    struct camera_query q = { .limit = CAMERA_LIST_MAX };
    size_t k = 0, cap = 0;
    int rc = 0;

    *items = NULL;
    *n = 0;
    while (hub) {
        struct arena arena = ARENA_INIT;
        struct camera *cams = NULL;
        size_t m = 0;
        int64_t total = 0;
        if ((rc = camera_list(db, a, &q, &arena, &cams, &m, &total))) {
            arena_release(&arena);
            break;
        }
        for (size_t i = 0; i < m; i++) {
            char key[VIDEO_KEY_LEN];
            struct media_info mi;
            q.after = cams[i].id;
            video_key(cams[i].id, key);
            if (!cams[i].has_stream || media_hub_info(hub, key, &mi) || mi.state == MEDIA_STOPPED)
                continue;
            if (k == cap) {
                cap = cap ? 2 * cap : 16;
                v = xrealloc(v, cap * sizeof *v);
            }
            v[k].camera_id = cams[i].id;
            v[k++].info = mi;
        }
        arena_release(&arena);
        if (m < q.limit)
            break;
    }
    if (rc) {
        xfree(v);
        return rc;
    }
    *items = v;
    *n = k;
    return 0;
}

void
video_metrics(struct buf *out)
{
    struct media_hub *hub = video_hub();
    struct media_stats s;
    if (!hub)
        return;
    media_hub_stats(hub, &s);
    buf_adds(out, "# HELP jiayuan_media_sessions Upstream camera sessions by state.\n"
                  "# TYPE jiayuan_media_sessions gauge\n");
    for (int i = 0; i <= MEDIA_STOPPED; i++)
        buf_printf(out, "jiayuan_media_sessions{state=\"%s\"} %u\n", media_state_name((enum media_state)i),
                   s.sessions[i]);
    buf_printf(out, "# TYPE jiayuan_media_viewers gauge\njiayuan_media_viewers %u\n", s.viewers);
    buf_printf(out, "# TYPE jiayuan_media_transcodes gauge\njiayuan_media_transcodes %u\n", s.transcodes);
    buf_printf(out, "# TYPE jiayuan_media_sessions_started_total counter\njiayuan_media_sessions_started_total %llu\n",
               (unsigned long long)s.sessions_started);
    buf_printf(out, "# TYPE jiayuan_media_reconnects_total counter\njiayuan_media_reconnects_total %llu\n",
               (unsigned long long)s.reconnects);
    buf_printf(out, "# TYPE jiayuan_media_fragments_total counter\njiayuan_media_fragments_total %llu\n",
               (unsigned long long)s.fragments);
    buf_printf(out, "# TYPE jiayuan_media_bytes_in_total counter\njiayuan_media_bytes_in_total %llu\n",
               (unsigned long long)s.bytes_in);
    buf_printf(out, "# TYPE jiayuan_media_busy_refusals_total counter\njiayuan_media_busy_refusals_total %llu\n",
               (unsigned long long)s.busy_refusals);
    video_health_metrics(out);
}
