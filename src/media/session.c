/* media/session.c - the thread of one upstream session (issue 9; R3.1-R3.5): pull RTSP with
 * libavformat under a latched interrupt callback, remux the video stream without
 * transcoding into fragmented MP4 (one fragment per frame), feed the ring, reconnect with
 * back-off while viewers wait, give up after give_up_ms. Audio is ignored. The URL is never
 * logged or copied into an error: the host stands for it. Registry, viewers and linger are
 * hub.c's; the playlist is hls.c's. */
#include "media/session.h"

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "media/box.h"
#include "media/rtsp_in.h"
#include "media/transcode.h"

/* A session thread's stack: libavformat, the h264/hevc parsers and, when transcoding, the
 * hevc decoder and libx264 (one thread each) run on it. Only touched pages cost memory. */
#ifdef __SANITIZE_ADDRESS__
#define SESSION_STACK ((size_t)4 << 20)
#else
#define SESSION_STACK ((size_t)1 << 20)
#endif
#define RETRY_FIRST_MS 1000u
#define WAIT_SLICE_MS 100u

/* The remuxer of one connection: input stream -> mp4 muxer on a custom AVIOContext whose
 * bytes the box splitter cuts into the init segment and per-frame fragments. */
struct remux {
    AVFormatContext *oc;
    AVStream *os;
    AVRational in_tb;
    struct media_box_splitter split;
    struct buf out;           /* boxes taken from the splitter */
    AVPacket *held;           /* a first keyframe without timestamp, dated by the next packet */
    int64_t step;             /* one frame in in_tb */
    int64_t first_dts, last_dts;
    bool started;
};

static int remux_write(void *opaque, uint8_t *p, int n)
{
    struct remux *rm = opaque;
    return media_box_splitter_add(&rm->split, p, (size_t)n) ? AVERROR(EINVAL) : n;
}

static void set_error(struct media_session *s, const char *what, int averr)
{
    char msg[64] = "";
    if (atomic_load(&s->stop))
        return; /* aborted on purpose */
    if (averr)
        av_strerror(averr, msg, sizeof msg);
    pthread_mutex_lock(&s->mu);
    int n = snprintf(s->info.error, sizeof s->info.error, "%s: %s%s%s", s->host, what, averr ? ": " : "", msg);
    (void)n; /* truncation of a long host name is fine */
    pthread_mutex_unlock(&s->mu);
    log_warn("media.upstream", "key", s->key, "host", s->host, "error", what, "detail", msg, NULL);
}

static void set_state(struct media_session *s, enum media_state st)
{
    pthread_mutex_lock(&s->mu);
    bool changed = s->info.state != st;
    s->info.state = st;
    pthread_mutex_unlock(&s->mu);
    if (changed) {
        media__hub_state(s->hub, s, st);
        media__session_wake(s);
    }
}

/* upstream_open opens s's URL under wd (media/rtsp_in.h: demuxer options, latched
 * deadline) and reads the stream info; *vi is the video stream. */
static int upstream_open(struct media_session *s, struct rtsp_in_watchdog *wd, AVFormatContext **out, int *vi)
{
    AVFormatContext *ic = NULL;
    int averr = 0, rc;

    if (rtsp_in_open(s->url, s->cfg.rw_timeout_ms, s->cfg.udp, false, wd, &ic, &averr)) {
        set_error(s, atomic_load(&wd->fired) ? "open timed out" : "open failed", averr);
        return ERR_UNAVAILABLE;
    }
    rtsp_in_watchdog_arm(wd, s->cfg.rw_timeout_ms);
    if ((rc = avformat_find_stream_info(ic, NULL)) < 0 ||
        (rc = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
        set_error(s, "no video stream", rc);
        avformat_close_input(&ic);
        return ERR_UNAVAILABLE;
    }
    *vi = rc;
    *out = ic;
    return 0;
}

static void remux_close(struct remux *rm)
{
    if (rm->oc) {
        if (rm->oc->pb) {
            av_freep(&rm->oc->pb->buffer);
            avio_context_free(&rm->oc->pb);
        }
        avformat_free_context(rm->oc);
    }
    av_packet_free(&rm->held);
    media_box_splitter_release(&rm->split);
    buf_release(&rm->out);
    *rm = (struct remux){ 0 };
}

/* remux_open writes the init segment of a new generation into the ring and describes the
 * stream in s->info. par/tb are the input stream's (or a transcoder's output). */
static int remux_open(struct media_session *s, struct remux *rm, const AVCodecParameters *par,
                      AVRational tb, AVRational frame_rate)
{
    enum { IOBUF = 64 * 1024 };
    AVDictionary *mo = NULL;
    char codec[40] = "";
    int rc;

    *rm = (struct remux){ .in_tb = tb, .out = BUF_INIT, .held = av_packet_alloc() };
    media_box_splitter_init(&rm->split);
    buf_init(&rm->out, MEDIA_BOX_MAX * 2);
    if (avformat_alloc_output_context2(&rm->oc, NULL, "mp4", NULL) < 0 || !rm->oc)
        return ERR_INTERNAL;
    rm->os = avformat_new_stream(rm->oc, NULL);
    if (!rm->os || avcodec_parameters_copy(rm->os->codecpar, par) < 0)
        return ERR_INTERNAL;
    rm->os->codecpar->codec_tag = par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    rm->os->time_base = tb;
    rm->oc->pb = avio_alloc_context(av_malloc(IOBUF), IOBUF, 1, rm, NULL, remux_write, NULL);
    rm->oc->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS;
    av_dict_set(&mo, "movflags", "frag_custom+empty_moov+default_base_moof", 0);
    rc = avformat_write_header(rm->oc, &mo);
    av_dict_free(&mo);
    if (rc < 0) {
        set_error(s, "mp4 header failed", rc);
        return ERR_INTERNAL;
    }
    avio_flush(rm->oc->pb);
    media_box_splitter_take(&rm->split, &rm->out);
    media_box_codec((const uint8_t *)rm->out.data, rm->out.len, codec, sizeof codec);
    AVRational fr = frame_rate.num > 0 && frame_rate.den > 0 ? frame_rate : (AVRational){ 25, 1 };
    rm->step = av_rescale_q(1, av_inv_q(fr), tb);
    if (rm->step <= 0)
        rm->step = 1;

    pthread_mutex_lock(&s->mu);
    media_ring_set_init(&s->ring, rm->out.data, rm->out.len);
    snprintf(s->info.codec, sizeof s->info.codec, "%s", codec);
    s->info.width = par->width;
    s->info.height = par->height;
    pthread_mutex_unlock(&s->mu);
    buf_reset(&rm->out);
    return 0;
}

/* emit muxes one dated packet (in_tb) as one fragment and adds it to the ring. */
static int emit(struct media_session *s, struct remux *rm, AVPacket *pkt)
{
    bool key = pkt->flags & AV_PKT_FLAG_KEY;
    int rc;

    pkt->stream_index = 0;
    pkt->pos = -1;
    if (pkt->duration <= 0)
        pkt->duration = rm->step;
    av_packet_rescale_ts(pkt, rm->in_tb, rm->os->time_base);
    int64_t dts_us = av_rescale_q(pkt->dts, rm->os->time_base, AV_TIME_BASE_Q);
    int64_t dur_us = av_rescale_q(pkt->duration, rm->os->time_base, AV_TIME_BASE_Q);
    if ((rc = av_write_frame(rm->oc, pkt)) < 0 || (rc = av_write_frame(rm->oc, NULL)) < 0) {
        set_error(s, "mp4 write failed", rc);
        return ERR_INTERNAL;
    }
    avio_flush(rm->oc->pb);
    if (!media_box_splitter_take(&rm->split, &rm->out))
        return 0;
    pthread_mutex_lock(&s->mu);
    bool added = media_ring_add(&s->ring, rm->out.data, rm->out.len, key, dts_us, dur_us);
    if (added) {
        s->info.fragments++;
        s->info.last_frame_at = time_now_ms();
    }
    bool first = added && s->info.state != MEDIA_PLAYING;
    pthread_mutex_unlock(&s->mu);
    buf_reset(&rm->out);
    if (added)
        media__hub_count(s->hub, 1, 0, 0);
    if (first)
        set_state(s, MEDIA_PLAYING);
    else if (added)
        media__session_wake(s);
    return 0;
}

/* date gives pkt a monotonic dts/pts from 0 in in_tb; false drops it (not started yet). The
 * RTSP demuxer hands out the first packet after PLAY without a timestamp: a keyframe of that
 * kind is held and dated one frame before the next packet instead of waiting a GOP. */
static bool date(struct remux *rm, AVPacket *pkt)
{
    if (!rm->started) {
        if (pkt->dts == AV_NOPTS_VALUE) {
            if (pkt->flags & AV_PKT_FLAG_KEY) {
                av_packet_unref(rm->held);
                av_packet_move_ref(rm->held, pkt);
            }
            return false;
        }
        if (rm->held->size > 0)
            rm->first_dts = pkt->dts - rm->step;
        else if (pkt->flags & AV_PKT_FLAG_KEY)
            rm->first_dts = pkt->dts;
        else
            return false; /* a generation begins with a keyframe */
        rm->started = true;
        rm->last_dts = -1;
    }
    if (pkt->dts == AV_NOPTS_VALUE)
        pkt->dts = rm->last_dts + rm->step;
    else
        pkt->dts -= rm->first_dts;
    if (pkt->pts == AV_NOPTS_VALUE)
        pkt->pts = pkt->dts;
    else
        pkt->pts -= rm->first_dts;
    if (pkt->dts <= rm->last_dts)
        pkt->dts = rm->last_dts + 1;
    if (pkt->pts < pkt->dts)
        pkt->pts = pkt->dts;
    rm->last_dts = pkt->dts;
    return true;
}

static void keep_keyframe(struct media_session *s, const AVPacket *pkt)
{
    pthread_mutex_lock(&s->mu);
    av_packet_unref(s->snap_key);
    if (av_packet_ref(s->snap_key, pkt) < 0)
        av_packet_unref(s->snap_key);
    pthread_mutex_unlock(&s->mu);
}

/* feed passes one packet (in_tb: the camera's, or the transcoder's output) through the
 * remuxer. */
static int feed(struct media_session *s, struct remux *rm, AVPacket *pkt)
{
    int rc = 0;
    if (!date(rm, pkt))
        return 0;
    if (rm->held->size > 0) {
        rm->held->dts = rm->held->pts = 0; /* date() put pkt one frame after it */
        rc = emit(s, rm, rm->held);
        av_packet_unref(rm->held);
    }
    return rc ? rc : emit(s, rm, pkt);
}

/* A transcoder's emit callback feeds the remuxer. */
struct feed_ctx {
    struct media_session *s;
    struct remux *rm;
};

static int feed_cb(void *cls, AVPacket *out)
{
    struct feed_ctx *c = cls;
    return feed(c->s, c->rm, out);
}

/* transcoder_open starts an H.265 -> H.264 transcoder for the stream when it is H.265 and
 * the hub grants a slot (held until the session ends); NULL: pass through. */
static struct media_transcoder *transcoder_open(struct media_session *s, const AVStream *is)
{
    struct media_transcoder *t = NULL;
    if (is->codecpar->codec_id != AV_CODEC_ID_HEVC || !media__hub_try_transcode(s->hub, s))
        return NULL;
    int rc = media_transcoder_new(is->codecpar, is->time_base, &t);
    if (rc) {
        log_warn("media.transcode", "key", s->key, "host", s->host, "error", err_name(rc), NULL);
        media__hub_end_transcode(s->hub, s);
    }
    return t;
}

/* read_loop reads packets until an error or the session must stop. */
static int read_loop(struct media_session *s, struct rtsp_in_watchdog *wd, AVFormatContext *ic, int vi,
                     struct remux *rm, struct media_transcoder *tc)
{
    struct feed_ctx ctx = { s, rm };
    AVPacket *pkt = av_packet_alloc();
    int rc = 0;

    while (!media__hub_should_stop(s->hub, s)) {
        rtsp_in_watchdog_arm(wd, s->cfg.rw_timeout_ms);
        if ((rc = av_read_frame(ic, pkt)) < 0) {
            set_error(s, atomic_load(&wd->fired) ? "read timed out" : "read failed", rc);
            rc = ERR_UNAVAILABLE;
            break;
        }
        if (pkt->stream_index == vi) {
            pthread_mutex_lock(&s->mu);
            s->info.bytes_in += (uint64_t)pkt->size;
            pthread_mutex_unlock(&s->mu);
            media__hub_count(s->hub, 0, (uint64_t)pkt->size, 0);
            if (pkt->flags & AV_PKT_FLAG_KEY)
                keep_keyframe(s, pkt);
            rc = tc ? media_transcoder_send(tc, pkt, feed_cb, &ctx) : feed(s, rm, pkt);
        }
        av_packet_unref(pkt);
        if (rc)
            break;
    }
    av_packet_free(&pkt);
    return rc;
}

/* pull runs one connection until it fails or the session must stop; *played tells whether a
 * fragment came out (the back-off then starts again from its first step). */
static int pull(struct media_session *s, bool *played)
{
    struct rtsp_in_watchdog wd = { .stop = &s->stop };
    struct media_transcoder *tc = NULL;
    AVFormatContext *ic = NULL;
    struct remux rm = { 0 };
    int vi = -1, rc;
    uint64_t before;

    *played = false;
    if ((rc = upstream_open(s, &wd, &ic, &vi)))
        goto out;
    AVStream *is = ic->streams[vi];
    AVRational fr = is->avg_frame_rate.num ? is->avg_frame_rate : is->r_frame_rate;
    pthread_mutex_lock(&s->mu);
    s->info.upstream_h265 = is->codecpar->codec_id == AV_CODEC_ID_HEVC;
    avcodec_parameters_copy(s->snap_par, is->codecpar);
    pthread_mutex_unlock(&s->mu);
    /* H.265: re-encoded as H.264 while the hub has a transcode slot (max_transcodes), else
     * passed through as hvc1 (media/transcode.h). */
    tc = transcoder_open(s, is);
    pthread_mutex_lock(&s->mu);
    s->info.transcoded = tc != NULL;
    pthread_mutex_unlock(&s->mu);
    rc = tc ? remux_open(s, &rm, media_transcoder_params(tc), media_transcoder_time_base(tc), fr)
            : remux_open(s, &rm, is->codecpar, is->time_base, fr);
    if (rc)
        goto out;
    pthread_mutex_lock(&s->mu);
    before = s->info.fragments;
    pthread_mutex_unlock(&s->mu);
    rc = read_loop(s, &wd, ic, vi, &rm, tc);
    pthread_mutex_lock(&s->mu);
    *played = s->info.fragments > before;
    pthread_mutex_unlock(&s->mu);
out:
    media_transcoder_free(tc);
    remux_close(&rm);
    avformat_close_input(&ic);
    return rc;
}

/* back_off waits ms, in slices, unless the session must stop; false: stop. */
static bool back_off(struct media_session *s, unsigned ms)
{
    for (unsigned waited = 0; waited < ms; waited += WAIT_SLICE_MS) {
        if (media__hub_should_stop(s->hub, s))
            return false;
        struct timespec ts = { 0, (long)WAIT_SLICE_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
    return !media__hub_should_stop(s->hub, s);
}

static void *session_main(void *arg)
{
    struct media_session *s = arg;
    unsigned delay = RETRY_FIRST_MS;
    int64_t failing_since = 0;
    enum media_state end = MEDIA_STOPPED;
    bool played;

    while (!media__hub_should_stop(s->hub, s)) {
        pull(s, &played);
        if (media__hub_should_stop(s->hub, s))
            break;
        int64_t now = time_mono_us() / 1000;
        if (played || !failing_since) {
            failing_since = now;
            delay = RETRY_FIRST_MS;
        }
        if (now - failing_since >= (int64_t)s->cfg.give_up_ms) {
            end = MEDIA_FAILED;
            break;
        }
        pthread_mutex_lock(&s->mu);
        s->info.reconnects++;
        pthread_mutex_unlock(&s->mu);
        media__hub_count(s->hub, 0, 0, 1);
        set_state(s, MEDIA_RETRYING);
        if (!back_off(s, delay))
            break;
        delay = delay * 2 > s->cfg.retry_max_ms ? s->cfg.retry_max_ms : delay * 2;
    }
    set_state(s, end);
    log_info("media.session_end", "key", s->key, "host", s->host, "state", media_state_name(end), NULL);
    pthread_mutex_lock(&s->mu);
    xfree_secret(s->url, strlen(s->url));
    s->url = NULL;
    pthread_mutex_unlock(&s->mu);
    media__hub_thread_done(s->hub, s);
    return NULL;
}

/* url_host copies host[:port] of an rtsp:// URL, without user:password@. */
static void url_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    const char *at = memchr(p, '@', n);
    for (const char *q = at; q && q < p + n; q = memchr(q + 1, '@', (size_t)(p + n - q - 1)))
        at = q; /* the last '@' ends the user information */
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

int media__session_start(struct media_hub *h, const struct media_config *cfg, const char *key,
                         const char *url, struct media_session **out)
{
    struct media_session *s = xcalloc(1, sizeof *s);
    pthread_attr_t attr;

    s->hub = h;
    s->key = xstrdup(key);
    s->url = xstrdup(url);
    url_host(url, s->host, sizeof s->host);
    s->cfg = *cfg;
    s->refs = 1;
    s->idle_since = time_mono_us() / 1000;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->wake_mu, NULL);
    media_ring_init(&s->ring, cfg->ring_bytes, MEDIA_PART_TARGET_US);
    s->info.state = MEDIA_CONNECTING;
    s->info.started_at = time_now_ms();
    s->snap_par = avcodec_parameters_alloc();
    s->snap_key = av_packet_alloc();
    atomic_init(&s->stop, false);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, SESSION_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&s->thread, &attr, session_main, s);
    pthread_attr_destroy(&attr);
    if (rc) {
        xfree_secret(s->url, strlen(s->url));
        s->url = NULL;
        media__session_free(s);
        return ERR_INTERNAL;
    }
    *out = s;
    return 0;
}

void media__session_free(struct media_session *s)
{
    if (!s)
        return;
    if (s->url)
        xfree_secret(s->url, strlen(s->url));
    media_ring_release(&s->ring);
    avcodec_parameters_free(&s->snap_par);
    av_packet_free(&s->snap_key);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->wake_mu);
    xfree(s->key);
    xfree(s);
}

void media__session_wake(struct media_session *s)
{
    pthread_mutex_lock(&s->wake_mu);
    for (struct media_viewer *v = s->viewer_list; v; v = v->next)
        if (v->wake)
            v->wake(v->wake_cls);
    pthread_mutex_unlock(&s->wake_mu);
}
