/* media/hub.c - the registry of live sessions (issue 9; R3.1-R3.5): get-or-start a session
 * per key, viewer reference counts, the linger stop, the cap on upstreams and transcodes,
 * hub-wide counters and the state callback. The pulling thread is session.c's, reading is
 * viewer.c's, HLS is hls.c's, snapshots are snapcache.c's. */
#include "media/hub_internal.h"

#include <libavutil/log.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "media/rtsp_in.h"

const char *media_state_name(enum media_state s)
{
    static const char *const names[] = { "connecting", "playing", "retrying", "failed", "stopped" };
    return (unsigned)s <= MEDIA_STOPPED ? names[s] : "unknown";
}

static int64_t mono_ms(void)
{
    return time_mono_us() / 1000;
}

int media_hub_new(const struct media_config *cfg, media_state_cb on_state, void *cls, struct media_hub **out)
{
    struct media_hub *h = xcalloc(1, sizeof *h);
    h->cfg = cfg ? *cfg : (struct media_config){ 0 };
    if (!h->cfg.max_upstreams)
        h->cfg.max_upstreams = 64;
    if (!h->cfg.linger_ms)
        h->cfg.linger_ms = 30000;
    if (!h->cfg.ring_bytes)
        h->cfg.ring_bytes = (size_t)8 << 20;
    if (!h->cfg.rw_timeout_ms)
        h->cfg.rw_timeout_ms = 5000;
    if (!h->cfg.retry_max_ms)
        h->cfg.retry_max_ms = 30000;
    if (!h->cfg.give_up_ms)
        h->cfg.give_up_ms = 120000;
    h->on_state = on_state;
    h->cls = cls;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    media__snapcache_init(h);
    /* libav's own log lines could name a URL with its credentials: silence them; what
     * matters reaches our log through media_info.error with the host only. */
    av_log_set_level(AV_LOG_QUIET);
    *out = h;
    return 0;
}

/* unlink removes s from the registry (hub lock held) and tells its thread to stop. */
static void unlink_session(struct media_hub *h, struct media_session *s)
{
    if (!s->listed)
        return;
    for (struct media_session **p = &h->sessions; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    s->next = NULL;
    s->listed = false;
    h->listed--;
    atomic_store(&s->stop, true);
}

void media_hub_free(struct media_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    while (h->sessions)
        unlink_session(h, h->sessions);
    h->closing = true;
    while (h->threads)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    media__snapcache_release(h);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    xfree(h);
}

void media_hub_stats(struct media_hub *h, struct media_stats *out)
{
    *out = (struct media_stats){ 0 };
    pthread_mutex_lock(&h->mu);
    for (struct media_session *s = h->sessions; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        out->sessions[s->info.state]++;
        pthread_mutex_unlock(&s->mu);
        out->viewers += s->viewers;
    }
    out->transcodes = (unsigned)h->transcodes;
    out->busy_refusals = h->busy_refusals;
    pthread_mutex_unlock(&h->mu);
    out->sessions_started = atomic_load(&h->sessions_started);
    out->reconnects = atomic_load(&h->reconnects);
    out->fragments = atomic_load(&h->fragments);
    out->bytes_in = atomic_load(&h->bytes_in);
}

struct media_session *media__hub_find(struct media_hub *h, const char *key)
{
    for (struct media_session *s = h->sessions; s; s = s->next)
        if (!strcmp(s->key, key))
            return s;
    return NULL;
}

int media_hub_info(struct media_hub *h, const char *key, struct media_info *out)
{
    int rc = ERR_NOT_FOUND;
    pthread_mutex_lock(&h->mu);
    struct media_session *s = key ? media__hub_find(h, key) : NULL;
    if (s) {
        pthread_mutex_lock(&s->mu);
        *out = s->info;
        pthread_mutex_unlock(&s->mu);
        rc = 0;
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

bool media__url_ok(const char *url)
{
    return rtsp_in_url_ok(url) && strlen(url) < 2048 && !strpbrk(url, " \r\n\t");
}

/* media__hub_acquire finds key's session or starts one from url (hub lock held), and takes
 * a reference; as_viewer also counts a viewer. */
int media__hub_acquire(struct media_hub *h, const char *key, const char *url, bool as_viewer,
                       struct media_session **out)
{
    struct media_session *s = media__hub_find(h, key);
    int rc;
    if (!s) {
        if (!url)
            return ERR_NOT_FOUND;
        if (!media__url_ok(url))
            return ERR_INVALID;
        if (h->closing)
            return ERR_UNAVAILABLE;
        if (h->listed + h->fetches >= h->cfg.max_upstreams) {
            h->busy_refusals++;
            return ERR_UNAVAILABLE;
        }
        if ((rc = media__session_start(h, &h->cfg, key, url, &s)))
            return rc;
        s->next = h->sessions;
        h->sessions = s;
        s->listed = true;
        h->listed++;
        h->threads++;
        atomic_fetch_add(&h->sessions_started, 1);
    }
    s->refs++;
    if (as_viewer) {
        s->viewers++;
        pthread_mutex_lock(&s->mu);
        s->info.viewers = s->viewers;
        pthread_mutex_unlock(&s->mu);
    }
    *out = s;
    return 0;
}

/* media__hub_release drops a reference taken by media__hub_acquire (hub lock NOT held). */
void media__hub_release(struct media_hub *h, struct media_session *s, bool as_viewer)
{
    pthread_mutex_lock(&h->mu);
    if (as_viewer && --s->viewers == 0)
        s->idle_since = mono_ms();
    if (as_viewer) {
        pthread_mutex_lock(&s->mu);
        s->info.viewers = s->viewers;
        pthread_mutex_unlock(&s->mu);
    }
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&h->mu);
    if (last)
        media__session_free(s);
}

int media_viewer_open(struct media_hub *h, const char *key, const char *url, struct media_viewer **out)
{
    struct media_session *s = NULL;
    if (!h || !key || !*key)
        return ERR_INVALID;
    pthread_mutex_lock(&h->mu);
    int rc = media__hub_acquire(h, key, url, true, &s);
    pthread_mutex_unlock(&h->mu);
    if (rc)
        return rc;
    struct media_viewer *v = xcalloc(1, sizeof *v);
    v->s = s;
    v->carry = (struct buf)BUF_INIT;
    pthread_mutex_lock(&s->wake_mu);
    v->next = s->viewer_list;
    s->viewer_list = v;
    pthread_mutex_unlock(&s->wake_mu);
    *out = v;
    return 0;
}

void media_viewer_on_data(struct media_viewer *v, void (*wake)(void *cls), void *cls)
{
    pthread_mutex_lock(&v->s->wake_mu);
    v->wake = wake;
    v->wake_cls = cls;
    pthread_mutex_unlock(&v->s->wake_mu);
}

void media_viewer_info(struct media_viewer *v, struct media_info *out)
{
    pthread_mutex_lock(&v->s->mu);
    *out = v->s->info;
    pthread_mutex_unlock(&v->s->mu);
}

void media_viewer_close(struct media_viewer *v)
{
    if (!v)
        return;
    struct media_session *s = v->s;
    pthread_mutex_lock(&s->wake_mu);
    for (struct media_viewer **p = &s->viewer_list; *p; p = &(*p)->next)
        if (*p == v) {
            *p = v->next;
            break;
        }
    pthread_mutex_unlock(&s->wake_mu);
    buf_release(&v->carry);
    media__hub_release(s->hub, s, true);
    xfree(v);
}

bool media__hub_should_stop(struct media_hub *h, struct media_session *s)
{
    if (atomic_load(&s->stop))
        return true;
    pthread_mutex_lock(&h->mu);
    if (s->listed && !s->viewers && mono_ms() - s->idle_since >= (int64_t)h->cfg.linger_ms)
        unlink_session(h, s);
    pthread_mutex_unlock(&h->mu);
    return atomic_load(&s->stop);
}

void media__hub_state(struct media_hub *h, struct media_session *s, enum media_state st)
{
    struct media_info info;
    pthread_mutex_lock(&s->mu);
    info = s->info;
    pthread_mutex_unlock(&s->mu);
    if (st == MEDIA_FAILED) { /* a new viewer must start afresh, not join a dead session */
        pthread_mutex_lock(&h->mu);
        unlink_session(h, s);
        pthread_mutex_unlock(&h->mu);
    }
    if (h->on_state)
        h->on_state(h->cls, s->key, st, &info);
}

bool media__hub_try_transcode(struct media_hub *h, struct media_session *s)
{
    bool ok = false;
    pthread_mutex_lock(&h->mu);
    if (s->transcoding) {
        ok = true;
    } else if (h->transcodes < h->cfg.max_transcodes) {
        h->transcodes++;
        s->transcoding = ok = true;
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

void media__hub_end_transcode(struct media_hub *h, struct media_session *s)
{
    pthread_mutex_lock(&h->mu);
    if (s->transcoding) {
        h->transcodes--;
        s->transcoding = false;
    }
    pthread_mutex_unlock(&h->mu);
}

void media__hub_thread_done(struct media_hub *h, struct media_session *s)
{
    pthread_mutex_lock(&h->mu);
    unlink_session(h, s);
    if (s->transcoding) { /* the slot is held across reconnects, given back here */
        h->transcodes--;
        s->transcoding = false;
    }
    bool last = --s->refs == 0;
    h->threads--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (last)
        media__session_free(s);
}

void media__hub_count(struct media_hub *h, uint64_t fragments, uint64_t bytes_in, uint64_t reconnects)
{
    if (fragments)
        atomic_fetch_add(&h->fragments, fragments);
    if (bytes_in)
        atomic_fetch_add(&h->bytes_in, bytes_in);
    if (reconnects)
        atomic_fetch_add(&h->reconnects, reconnects);
}
