/* media/snapcache.c - media_snapshot: a JPEG of a camera's newest keyframe, cached per key
 * for max_age_ms, one fetch at a time per key (concurrent callers wait for it and share its
 * result) (issue 9; R3.2). From a running session's kept keyframe when there is one, else
 * from a brief upstream open that counts against max_upstreams. The decoding and JPEG
 * encoding are media/snapshot.c's. */
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "media/hub_internal.h"
#include "media/snapshot.h"

#define SNAP_KEEP_MS 60000 /* entries unused this long are dropped */

struct media_snapentry {
    struct media_snapentry *next;
    char *key;
    struct buf jpeg;
    int64_t at_ms;   /* monotonic ms of the JPEG; 0 none */
    bool busy;       /* a fetch runs */
    unsigned users;  /* callers holding the entry (it is not dropped then) */
};

void media__snapcache_init(struct media_hub *h)
{
    h->snaps = NULL;
}

static void entry_free(struct media_snapentry *e)
{
    buf_release(&e->jpeg);
    xfree(e->key);
    xfree(e);
}

void media__snapcache_release(struct media_hub *h)
{
    while (h->snaps) {
        struct media_snapentry *e = h->snaps;
        h->snaps = e->next;
        entry_free(e);
    }
}

/* entry finds or adds key's entry and drops stale ones (h->mu held). */
static struct media_snapentry *entry(struct media_hub *h, const char *key, int64_t now)
{
    struct media_snapentry *found = NULL;
    for (struct media_snapentry **p = &h->snaps; *p;) {
        struct media_snapentry *e = *p;
        if (!strcmp(e->key, key)) {
            found = e;
        } else if (!e->users && now - e->at_ms > SNAP_KEEP_MS) {
            *p = e->next;
            entry_free(e);
            continue;
        }
        p = &e->next;
    }
    if (!found) {
        found = xcalloc(1, sizeof *found);
        found->key = xstrdup(key);
        found->jpeg = (struct buf)BUF_INIT;
        found->next = h->snaps;
        h->snaps = found;
    }
    return found;
}


/* from_session encodes the session's kept keyframe (no lock held). */
static int from_session(struct media_session *s, struct buf *jpeg)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    AVPacket *key = av_packet_alloc();
    int rc = ERR_UNAVAILABLE;

    pthread_mutex_lock(&s->mu);
    if (s->snap_key->size > 0 && avcodec_parameters_copy(par, s->snap_par) >= 0 &&
        av_packet_ref(key, s->snap_key) >= 0)
        rc = 0;
    pthread_mutex_unlock(&s->mu);
    if (!rc)
        rc = media_snapshot_jpeg(par, key, jpeg);
    av_packet_free(&key);
    avcodec_parameters_free(&par);
    return rc;
}

/* produce makes a fresh JPEG: from s when it runs, else by a brief fetch of url. */
static int produce(struct media_hub *h, struct media_session *s, const char *url, struct buf *jpeg)
{
    return s ? from_session(s, jpeg) : media_snapshot_fetch(url, h->cfg.rw_timeout_ms, h->cfg.udp, jpeg);
}

int media_snapshot(struct media_hub *h, const char *key, const char *url, unsigned max_age_ms, struct buf *jpeg)
{
    struct media_session *s = NULL;
    struct buf fresh = BUF_INIT;
    int rc;

    if (!h || !key || !*key || (url && !media__url_ok(url)))
        return ERR_INVALID;
    pthread_mutex_lock(&h->mu);
    int64_t now = time_mono_us() / 1000;
    struct media_snapentry *e = entry(h, key, now);
    e->users++;
    while (e->busy)
        pthread_cond_wait(&h->cv, &h->mu);
    now = time_mono_us() / 1000;
    rc = 0;
    if (e->at_ms && now - e->at_ms <= (int64_t)max_age_ms)
        buf_add(jpeg, e->jpeg.data, e->jpeg.len);
    else if ((s = media__hub_find(h, key)))
        s->refs++;
    else if (!url)
        rc = ERR_NOT_FOUND;
    else if (h->closing || h->listed + h->fetches >= h->cfg.max_upstreams)
        rc = ERR_UNAVAILABLE, h->busy_refusals++;
    if (rc || (!s && e->at_ms && now - e->at_ms <= (int64_t)max_age_ms)) {
        e->users--;
        pthread_mutex_unlock(&h->mu);
        return rc ? rc : buf_error(jpeg) ? ERR_TOO_LARGE : 0;
    }
    if (!s) {
        h->fetches++;
    }
    e->busy = true;
    pthread_mutex_unlock(&h->mu);

    rc = produce(h, s, url, &fresh);

    pthread_mutex_lock(&h->mu);
    if (!rc) {
        buf_reset(&e->jpeg);
        buf_add(&e->jpeg, fresh.data, fresh.len);
        e->at_ms = time_mono_us() / 1000;
    }
    e->busy = false;
    e->users--;
    if (!s)
        h->fetches--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (s)
        media__hub_release(h, s, false);
    if (!rc)
        buf_add(jpeg, fresh.data, fresh.len);
    buf_release(&fresh);
    return rc ? rc : buf_error(jpeg) ? ERR_TOO_LARGE : 0;
}
