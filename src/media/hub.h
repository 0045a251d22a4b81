/* media/hub.h - on-demand, shared RTSP upstreams remuxed to fragmented MP4 (issue 9; R3.1-R3.5,
 * R3.12). Transport only, at push/'s layer: it knows nothing of cameras, users or databases.
 * libavformat/libavcodec/libavutil are used under src/media/ and nowhere else; this header
 * exposes none of their types.
 *
 * A session is keyed by an opaque string (the video domain uses the camera id) and pulls one
 * upstream URL (rtsp://user:pass@host/...; TCP interleaved, UDP when configured) on its own
 * thread. The URL is copied into the session, wiped when it stops, and never logged: log
 * lines and media_info.error name the key and the host only.
 *
 * The session remuxes without transcoding (H.265 is transcoded to H.264 only while fewer than
 * max_transcodes run, else passed through as hvc1) into fragmented MP4: one init segment and
 * one moof+mdat fragment per frame, kept in a ring bounded by ring_bytes holding at least the
 * last complete GOP and the current one. Fragments are grouped into HLS segments (one per GOP,
 * a segment starts at a keyframe) and parts (~200 ms of frames) for low-latency HLS.
 *
 * Viewers: the first media_viewer_open of a key starts its session; every further viewer
 * shares it. A session stops linger_ms after its last viewer closed (HLS requests are short
 * viewers, so a playing hls.js keeps its session alive). At most max_upstreams sessions run;
 * opening a viewer of a new key beyond that fails with ERR_UNAVAILABLE ("busy"), viewers of
 * running sessions are not affected. Reads and opens of the upstream are bounded by
 * rw_timeout_ms through a latched interrupt callback (a frozen camera never hangs a thread);
 * on error the session keeps its viewers, reconnects with back-off (1 s doubling to
 * retry_max_ms) and fails them (state MEDIA_FAILED, read gives *end) after give_up_ms.
 *
 * Thread safety: every function may be called from any thread. Wake callbacks run on the
 * session's thread with no hub lock held; they must be cheap (http_stream_wake).
 */
#ifndef JY_MEDIA_HUB_H
#define JY_MEDIA_HUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

struct media_config {
    size_t max_upstreams;   /* concurrent upstream sessions; 0 means 64 */
    unsigned linger_ms;     /* session stops this long after its last viewer left; 0 means 30000 */
    size_t ring_bytes;      /* fragment memory per session; 0 means 8 MiB */
    unsigned rw_timeout_ms; /* an upstream open or read slower than this fails; 0 means 5000 */
    unsigned retry_max_ms;  /* reconnect back-off cap; 0 means 30000 */
    unsigned give_up_ms;    /* viewers fail after reconnecting this long; 0 means 120000 */
    size_t max_transcodes;  /* concurrent H.265 -> H.264 transcodes; 0: none (pass hvc1 through) */
    bool udp;               /* RTSP over UDP instead of TCP interleaved */
};

enum media_state {
    MEDIA_CONNECTING, /* opening the upstream, no init segment yet */
    MEDIA_PLAYING,    /* fragments flowing */
    MEDIA_RETRYING,   /* upstream lost, reconnecting with back-off; viewers wait */
    MEDIA_FAILED,     /* gave up; viewers are ended */
    MEDIA_STOPPED,    /* stopped after the last viewer (or hub shutdown) */
};
const char *media_state_name(enum media_state s); /* "connecting", "playing", ... */

struct media_info {
    enum media_state state;
    char codec[40];       /* RFC 6381 codec of what viewers get: "avc1.4D401E", "hvc1.1.6.L93.B0"; "" not yet */
    bool upstream_h265;   /* the camera sends H.265 */
    bool transcoded;      /* H.265 re-encoded to H.264 for this session */
    int width, height;    /* 0 not yet */
    unsigned viewers;     /* open viewers now */
    uint64_t fragments;   /* fragments produced since start */
    uint64_t bytes_in;    /* upstream payload bytes */
    uint64_t reconnects;
    int64_t started_at;   /* ms since the epoch */
    int64_t last_frame_at;/* ms since the epoch; 0 none yet */
    char error[128];      /* last upstream error, "" none; never the URL or credentials */
};

/* Hub-wide counters for /metrics. */
struct media_stats {
    unsigned sessions[MEDIA_STOPPED + 1]; /* running sessions by state */
    unsigned viewers, transcodes;
    uint64_t sessions_started, reconnects, fragments, bytes_in, busy_refusals;
};

/* Called on a session's thread when its state changes (not for every fragment): the video
 * domain marks the camera online (MEDIA_PLAYING) or offline (MEDIA_RETRYING, MEDIA_FAILED). */
typedef void (*media_state_cb)(void *cls, const char *key, enum media_state state, const struct media_info *info);

struct media_hub;
struct media_viewer;

/* media_hub_new starts no thread until a viewer opens. on_state may be NULL. */
int media_hub_new(const struct media_config *cfg, media_state_cb on_state, void *cls, struct media_hub **out);
/* media_hub_free stops every session (viewers read *end), joins the threads, frees. Viewers
 * must still be closed by their owners (close after free is not allowed: close them first
 * or let the HTTP server's shutdown release them). */
void media_hub_free(struct media_hub *h);
void media_hub_stats(struct media_hub *h, struct media_stats *out);
/* media_hub_info describes the running session of key: ERR_NOT_FOUND when none. */
int media_hub_info(struct media_hub *h, const char *key, struct media_info *out);

/* media_viewer_open attaches a viewer to key's session, starting it from url when none runs
 * (url is ignored when one does; it may be NULL only then, else ERR_NOT_FOUND).
 * ERR_UNAVAILABLE: max_upstreams sessions run. ERR_INVALID: a URL that is not rtsp:// or
 * rtsps://. */
int media_viewer_open(struct media_hub *h, const char *key, const char *url, struct media_viewer **out);
/* media_viewer_on_data sets the callback run (session thread) whenever a fragment was added
 * or the state changed; NULL clears it. Set it before the first read. */
void media_viewer_on_data(struct media_viewer *v, void (*wake)(void *cls), void *cls);
/* media_viewer_read copies the continuous stream: first the init segment, then whole
 * fragments from the ring's newest keyframe on (a late viewer starts at once, up to one GOP
 * behind live); after a reconnect a new init segment (ftyp+moov) comes in-band. Never splits
 * less than a whole box when max >= 64 KiB; a fragment larger than max is copied across
 * calls. A viewer that falls off the ring's end skips to the newest keyframe. Returns the
 * bytes written; 0 means nothing now (wait for on_data); *end is set when the session failed
 * or stopped. */
size_t media_viewer_read(struct media_viewer *v, char *buf, size_t max, bool *end);
void media_viewer_info(struct media_viewer *v, struct media_info *out);
/* media_viewer_close detaches; the last close starts the linger timer. */
void media_viewer_close(struct media_viewer *v);

/* Low-latency HLS (RFC 8216bis) from the same ring. The playlist's URIs are relative:
 * "init.mp4", "seg/<msn>.m4s" (a whole segment) and "seg/<msn>.<part>.m4s" (a part).
 * media_viewer_playlist writes the media playlist (EXT-X-VERSION 9, EXT-X-TARGETDURATION,
 * EXT-X-PART-INF, EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK, EXT-X-MAP,
 * the ring's complete segments with their parts, EXT-X-PRELOAD-HINT). want_msn/want_part
 * (-1 = not asked) are the blocking-reload query (_HLS_msn, _HLS_part): ERR_UNAVAILABLE
 * means "not there yet, wait for on_data and ask again"; ERR_NOT_FOUND: no fragment yet
 * and the session failed. */
int media_viewer_playlist(struct media_viewer *v, int64_t want_msn, int want_part, struct buf *out);
/* media_viewer_file copies "init.mp4" or a "seg/..." name's bytes: ERR_UNAVAILABLE when the
 * segment or part is announced but not complete yet (wait), ERR_NOT_FOUND when it is unknown
 * or fell off the ring, ERR_INVALID for a malformed name. */
int media_viewer_file(struct media_viewer *v, const char *name, struct buf *out);

/* media_snapshot writes a JPEG of key's newest keyframe (decoded with libavcodec, H.264 or
 * H.265, full size). From the running session when there is one, else the hub opens url
 * briefly (counting against max_upstreams; ERR_UNAVAILABLE when busy or unreachable within
 * rw_timeout_ms). Cached per key for max_age_ms; concurrent calls share one fetch. */
int media_snapshot(struct media_hub *h, const char *key, const char *url, unsigned max_age_ms, struct buf *jpeg);

#endif
