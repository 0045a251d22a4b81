/* media/hub_internal.h - the hub's state, shared by hub.c, viewer.c, hls.c and snapcache.c
 * (issue 9). Internal to media/. Lock order: h->mu, then a session's mu (session.h). */
#ifndef JY_MEDIA_HUB_INTERNAL_H
#define JY_MEDIA_HUB_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "media/hub.h"
#include "media/session.h"

struct media_snapentry; /* snapcache.c */

struct media_hub {
    struct media_config cfg;   /* defaults filled in */
    media_state_cb on_state;
    void *cls;

    pthread_mutex_t mu;        /* guards what follows, and the sessions' hub fields */
    pthread_cond_t cv;         /* threads went down; a snapshot fetch finished */
    struct media_session *sessions; /* listed (running, accepting viewers) */
    size_t listed;
    unsigned threads;          /* session threads alive, listed or not */
    size_t transcodes;
    size_t fetches;            /* snapshot fetches holding an upstream (count against the cap) */
    uint64_t busy_refusals;
    bool closing;
    struct media_snapentry *snaps;

    atomic_uint_fast64_t sessions_started, reconnects, fragments, bytes_in;
};

bool media__url_ok(const char *url);
/* media__hub_find (h->mu held) returns key's listed session, NULL when none. */
struct media_session *media__hub_find(struct media_hub *h, const char *key);
/* media__hub_acquire (h->mu held) finds key's session or starts one from url and takes a
 * reference (and a viewer count when as_viewer). ERR_NOT_FOUND: none runs and url is NULL;
 * ERR_INVALID: a bad url; ERR_UNAVAILABLE: max_upstreams reached or the hub is closing. */
int media__hub_acquire(struct media_hub *h, const char *key, const char *url, bool as_viewer,
                       struct media_session **out);
/* media__hub_release (h->mu NOT held) drops that reference; the last one frees s. */
void media__hub_release(struct media_hub *h, struct media_session *s, bool as_viewer);

void media__snapcache_init(struct media_hub *h);
void media__snapcache_release(struct media_hub *h);

#endif
