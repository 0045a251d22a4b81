/* domain/video/video.h - live video of the camera ledger (issue 9; R3.1-R3.6, R3.9, R3.12).
 *
 * The video domain decides who may play which camera and hands media/ (the transport, at
 * push's rank) what it needs: the unsealed stream URL in memory, the limits, the camera id
 * as the session key. It owns no media bytes.
 *
 * - Play (video_play): permission video.play and the actor's subdistrict scope (another
 *   subdistrict's camera reads as ERR_NOT_FOUND), camera_stream (audited by the cameras
 *   domain), a viewer opened and closed at once so the session warms up and the linger
 *   keeps it running for the player, an audit entry "video.play" (who, camera, remote
 *   address, token id for API tokens), and a signed play link (play_link.h) valid for
 *   play_ttl_s.
 * - Links (video_link_check): tampered, expired, wrong camera → ERR_FORBIDDEN; a link made
 *   by an API token that has since been revoked, or by a user who is locked or gone, too.
 *   Issuer checks are cached for VIDEO_ISSUER_CACHE_MS per issuer.
 * - Health (video_health.c): a scheduler thread probes cameras that have a stream URL and
 *   no running session and records online/offline (camera_set_status, only on a change)
 *   and the codec; session state changes from the hub do the same.
 * - Embedding (embed_sites.h): the sites a token's links may be framed by.
 *
 * State is process-wide (one hub per node; issue 13 decides multi-node routing):
 * video_start before serving, video_stop after the HTTP server stopped. All functions are
 * thread-safe. Everything that would need the hub fails with ERR_UNAVAILABLE before
 * video_start.
 */
#ifndef JY_DOMAIN_VIDEO_VIDEO_H
#define JY_DOMAIN_VIDEO_VIDEO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"
#include "domain/video/play_link.h"
#include "media/hub.h"

#define VIDEO_PLAY_TTL_S 300            /* --play-ttl default */
#define VIDEO_PROBE_INTERVAL_S 300      /* --media-probe-interval default */
#define VIDEO_PROBE_CONCURRENCY 4       /* --media-probe-concurrency default */
#define VIDEO_SNAPSHOT_MAX_AGE_MS 5000  /* snapshots are cached this long */
#define VIDEO_ISSUER_CACHE_MS 10000     /* a revoked token's links die at most this late */
#define VIDEO_KEY_LEN 24                /* a session key: the camera id in decimal */

struct video_config {
    struct media_config media;  /* handed to media_hub_new */
    unsigned play_ttl_s;        /* 1..86400; 0 means VIDEO_PLAY_TTL_S */
    unsigned probe_interval_s;  /* 0 means VIDEO_PROBE_INTERVAL_S */
    unsigned probe_concurrency; /* 0 means VIDEO_PROBE_CONCURRENCY */
    bool probe_off;             /* no scheduler thread (tests run passes themselves) */
};

/* video_start creates the hub (no upstream opens before a viewer) and the health
 * scheduler for app (which must outlive it). ERR_CONFLICT when already started. */
int video_start(struct app *app, const struct video_config *cfg);
/* video_stop stops the scheduler, then frees the hub (sessions stop, viewers read *end).
 * HTTP streams must be released first (http_stop), as media_hub_free requires. */
void video_stop(void);
/* video_hub returns the running hub, NULL before video_start. */
struct media_hub *video_hub(void);
/* video_key writes the session key of camera id. */
void video_key(int64_t camera_id, char key[VIDEO_KEY_LEN]);

/* What POST /api/v1/cameras/{id}/play answers. */
struct video_play {
    int64_t camera_id;
    char link[PLAY_LINK_LEN + 1]; /* the signed token of the URLs */
    int64_t expires_at;           /* ms */
    char codec[40];               /* RFC 6381 codec of what viewers get, "" not known yet */
    bool playable;                /* false: H.265 without a transcode slot (snapshots only) */
    const char *state;            /* media_state_name */
};

/* video_play starts (or joins) camera_id's session for actor a and signs a link. a needs
 * video.play. ERR_NOT_FOUND: absent, deleted or out of scope; ERR_NO_STREAM: no stream URL
 * on file; ERR_BUSY: the upstream cap is reached; ERR_UNAVAILABLE: not started. */
int video_play(struct app *app, struct db *db, const struct actor *a, int64_t camera_id, struct video_play *out);

/* video_link_check verifies the n characters at tok as a play link now (any camera) and
 * checks its issuer (cached). ERR_FORBIDDEN as play_link_verify, or for a revoked issuer. */
int video_link_check(struct app *app, struct db *db, const char *tok, size_t n, struct play_link *out);
/* video_link_forget empties the issuer cache (tests; a revocation then counts at once). */
void video_link_forget(void);

/* video_open_viewer attaches a viewer to camera_id's session, starting it from the sealed
 * stream URL (opened as the system actor "video", audited) when none runs. Errors as
 * video_play. The caller closes the viewer with media_viewer_close. */
int video_open_viewer(struct app *app, struct db *db, int64_t camera_id, struct media_viewer **out);

/* video_snapshot writes a JPEG of camera_id's newest keyframe (media_snapshot: from the
 * running session, else a brief upstream open). Scope and errors as video_play when a is
 * not NULL; a NULL a is a caller that verified a play link (the system actor opens the URL). */
int video_snapshot(struct app *app, struct db *db, const struct actor *a, int64_t camera_id, struct buf *jpeg);

/* A running session of a camera in scope (GET /api/v1/video/sessions). */
struct video_session {
    int64_t camera_id;
    struct media_info info;
};
/* video_sessions lists the running sessions of the cameras a may see, by camera id, into
 * *items (xmalloc'ed; xfree it). Empty before video_start. */
int video_sessions(struct db *db, const struct actor *a, struct video_session **items, size_t *n);

/* video_info_fill derives codec/playable/state of *out from a session's media_info. */
void video_info_fill(const struct media_info *mi, struct video_play *out);

/* video_metrics appends the hub's and the prober's counters in Prometheus text format
 * (nothing before video_start). */
void video_metrics(struct buf *out);

/* Health (video_health.c) ----------------------------------------------------------------- */
struct video_probe_pass {
    size_t probed, online, offline, changed, skipped; /* skipped: a session runs */
};
/* video_health_pass probes every live camera with a stream URL (only camera_id when it is
 * not 0) that has no running session on this node, at most cfg->probe_concurrency at once
 * (each bounded by cfg->media.rw_timeout_ms, over UDP when cfg->media.udp), and records
 * status changes and codecs as the system actor "video" (video_health_record). cfg NULL:
 * the defaults. It holds a database connection of app->pool only while it reads or
 * writes, never during a probe. Used by the scheduler and by `jiayuan cameras probe`.
 * ERR_NOT_FOUND when camera_id is given and is absent, deleted or has no stream URL. */
int video_health_pass(struct app *app, const struct video_config *cfg, int64_t camera_id,
                      struct video_probe_pass *out);
/* video_health_record records one observation of camera_id: status "online"/"offline"
 * (camera_set_status only when it changed) and codec (may be NULL or ""). */
int video_health_record(struct app *app, struct db *db, int64_t camera_id, const char *status, const char *codec);
/* video_health_start/stop run the scheduler thread (video_start/video_stop call them). */
int video_health_start(struct app *app, const struct video_config *cfg);
void video_health_stop(void);
void video_health_metrics(struct buf *out);

#endif
