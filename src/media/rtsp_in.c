/* media/rtsp_in.c - libavformat RTSP input under a latched deadline (issue 9; R3.1, R3.9).
 *
 * One place that knows the demuxer options (transport, socket timeout, probe size,
 * initial_pause) and the interrupt callback, for the probe, the snapshot fetch and the
 * sessions. It is not a session: no reading loop, no reconnect. It never logs the URL.
 */
#include "media/rtsp_in.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

#include "core/err.h"
#include "core/time.h"

#define RTSP_IN_DEFAULT_MS 5000u

static pthread_once_t rtsp_in_once = PTHREAD_ONCE_INIT;

/* libav writes its own log to stderr; some of its lines name hosts and paths, and none of
 * them are JSON lines: silence it (as media/session.c does). Our callers log reasons instead. */
static void
rtsp_in_init(void)
{
    av_log_set_level(AV_LOG_QUIET);
    avformat_network_init();
}

void
rtsp_in_watchdog_arm(struct rtsp_in_watchdog *w, unsigned timeout_ms)
{
    if (!timeout_ms)
        timeout_ms = RTSP_IN_DEFAULT_MS;
    atomic_store(&w->deadline_us, time_mono_us() + (int64_t)timeout_ms * 1000);
}

int
rtsp_in_interrupt(void *opaque)
{
    struct rtsp_in_watchdog *w = opaque;

    if (atomic_load(&w->fired))
        return 1;
    if ((w->stop && atomic_load(w->stop)) || time_mono_us() > atomic_load(&w->deadline_us)) {
        atomic_store(&w->fired, true);
        return 1;
    }
    return 0;
}

bool
rtsp_in_url_ok(const char *url)
{
    return url && (!strncasecmp(url, "rtsp://", 7) || !strncasecmp(url, "rtsps://", 8));
}

int
rtsp_in_open(const char *url, unsigned timeout_ms, bool udp, bool pause, struct rtsp_in_watchdog *w,
             AVFormatContext **out, int *averr)
{
    AVFormatContext *ic = NULL;
    AVDictionary *opt = NULL;
    char us[24];
    int rc = ERR_INVALID;

    *out = NULL;
    *averr = 0;
    if (!rtsp_in_url_ok(url))
        goto out;
    pthread_once(&rtsp_in_once, rtsp_in_init);
    if (!timeout_ms)
        timeout_ms = RTSP_IN_DEFAULT_MS;
    rc = ERR_UNAVAILABLE;
    if (!(ic = avformat_alloc_context())) {
        *averr = AVERROR(ENOMEM);
        goto out;
    }
    ic->interrupt_callback.callback = rtsp_in_interrupt;
    ic->interrupt_callback.opaque = w;
    snprintf(us, sizeof us, "%" PRId64, (int64_t)timeout_ms * 1000);
    av_dict_set(&opt, "rtsp_transport", udp ? "udp" : "tcp", 0);
    av_dict_set(&opt, "timeout", us, 0);           /* socket I/O, microseconds (FFmpeg 5) */
    av_dict_set(&opt, "fflags", "nobuffer", 0);
    av_dict_set(&opt, "probesize", "32768", 0);
    av_dict_set(&opt, "analyzeduration", "500000", 0);
    if (pause)
        av_dict_set(&opt, "initial_pause", "1", 0); /* DESCRIBE + SETUP, no PLAY */
    rtsp_in_watchdog_arm(w, timeout_ms);
    /* avformat_open_input frees ic on failure */
    if ((*averr = avformat_open_input(&ic, url, NULL, &opt)) < 0)
        goto out;
    *out = ic;
    rc = 0;
out:
    av_dict_free(&opt);
    return rc;
}

const char *
rtsp_in_reason(int averr, bool fired)
{
    if (fired || averr == AVERROR_EXIT || averr == AVERROR(ETIMEDOUT))
        return "timeout";
    switch (averr) {
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
        return "auth";
    case AVERROR(ECONNREFUSED):
        return "refused";
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EHOSTDOWN):
    case AVERROR(ENETDOWN):
    case AVERROR(EADDRNOTAVAIL):
    case AVERROR(EIO): /* libavformat's tcp: the host name did not resolve */
        return "unreachable";
    default:
        return "error";
    }
}
