/* media/session.h - one upstream session of the hub: the state shared between hub.c (registry,
 * viewers, linger, caps), session.c (the pulling thread) and hls.c (issue 9; R3.1-R3.5).
 * Internal to media/; may include libav headers.
 *
 * Locks, in this order only: the hub's lock (registry, refs, viewer counts, idle_since),
 * then a session's mu (ring, info, snapshot material). wake_mu guards the list of viewers
 * and their wake callbacks, which are called with wake_mu held and no other lock: a wake
 * callback may call media_viewer_read/playlist/file but never media_viewer_close or
 * media_viewer_on_data.
 */
#ifndef JY_MEDIA_SESSION_H
#define JY_MEDIA_SESSION_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "media/hub.h"
#include "media/ring.h"

#define MEDIA_PART_TARGET_US 200000 /* LL-HLS part target: ~200 ms of frames */

struct media_session {
    struct media_hub *hub;
    char *key;
    char *url;                /* wiped and freed when the thread ends */
    char host[96];            /* host[:port] of the URL, for logs and errors */
    struct media_config cfg;  /* defaults filled in */

    /* guarded by the hub's lock */
    struct media_session *next; /* registry link; NULL and listed == false once unlinked */
    bool listed;
    unsigned refs;            /* 1 for the thread + 1 per open viewer */
    unsigned viewers;
    int64_t idle_since;       /* ms (monotonic) the last viewer left */
    bool transcoding;         /* holds one of the hub's transcode slots */

    /* guarded by mu */
    pthread_mutex_t mu;
    struct media_ring ring;
    struct media_info info;
    AVCodecParameters *snap_par; /* input stream parameters, for snapshots */
    AVPacket *snap_key;          /* the newest keyframe as received (input time base) */

    /* guarded by wake_mu */
    pthread_mutex_t wake_mu;
    struct media_viewer *viewer_list;

    atomic_bool stop;         /* set by the hub (shutdown, linger): the thread ends soon */
    pthread_t thread;
};

struct media_viewer {
    struct media_session *s;
    struct media_viewer *next;  /* wake list (wake_mu) */
    void (*wake)(void *cls);
    void *wake_cls;
    /* read position (the viewer's owner serialises its calls) */
    unsigned gen;               /* init generation already sent; 0 none */
    bool started;
    uint64_t next_seq;          /* next fragment to copy */
    struct buf carry;           /* the rest of an item larger than a read's max */
    size_t carry_off;
};

/* media__session_start creates and starts the thread of a new session (refs = 1 for the
 * thread); the hub links it. ERR_INTERNAL when the thread cannot start. */
int media__session_start(struct media_hub *h, const struct media_config *cfg, const char *key,
                         const char *url, struct media_session **out);
/* media__session_free frees a session whose thread ended and that no one refers to. */
void media__session_free(struct media_session *s);
/* media__session_wake runs every viewer's wake callback (session thread). */
void media__session_wake(struct media_session *s);

/* Called by the session's thread (hub.c): */
/* media__hub_should_stop reports whether the session must end now (stop set, or no viewer
 * for linger_ms: the session is then unlinked so a new viewer starts a fresh one). */
bool media__hub_should_stop(struct media_hub *h, struct media_session *s);
/* media__hub_state reports a state change to the hub's callback and counters. */
void media__hub_state(struct media_hub *h, struct media_session *s, enum media_state st);
/* media__hub_try_transcode takes a transcode slot for s, or says s holds one already
 * (false when all are taken);
 * media__hub_thread_done unlinks s, drops the thread's reference and frees s when it
 * was the last. */
bool media__hub_try_transcode(struct media_hub *h, struct media_session *s);
/* media__hub_end_transcode gives s's transcode slot back (a transcoder failed to start). */
void media__hub_end_transcode(struct media_hub *h, struct media_session *s);
void media__hub_thread_done(struct media_hub *h, struct media_session *s);
/* media__hub_count adds to the hub-wide counters (fragments, bytes_in, reconnects). */
void media__hub_count(struct media_hub *h, uint64_t fragments, uint64_t bytes_in, uint64_t reconnects);

#endif
