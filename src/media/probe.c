/* media/probe.c - one health probe of an RTSP camera (issue 9; R3.9, O3).
 *
 * OPTIONS, DESCRIBE and SETUP with libavformat's initial_pause, then TEARDOWN on close: the
 * camera answers, authenticates us and names its codec from the SDP, and no media flows.
 * It is not a scheduler (domain/video decides when and how many) and it never logs: the
 * caller logs the camera id and the reason, never the URL.
 */
#include "media/probe.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "core/err.h"
#include "core/time.h"
#include "media/rtsp_in.h"

static void
probe_set(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}

int
media_probe(const char *url, unsigned timeout_ms, bool udp, struct media_probe *out)
{
    struct rtsp_in_watchdog w = { 0 };
    AVFormatContext *ic = NULL;
    int64_t t0 = time_mono_us();
    int averr = 0, vi, rc;

    memset(out, 0, sizeof *out);
    rc = rtsp_in_open(url, timeout_ms, udp, true, &w, &ic, &averr);
    if (rc == ERR_INVALID)
        return rc;
    if (rc) {
        probe_set(out->reason, sizeof out->reason, rtsp_in_reason(averr, atomic_load(&w.fired)));
        goto out;
    }
    vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0) {
        probe_set(out->reason, sizeof out->reason, "no_video");
        goto out;
    }
    if (ic->streams[vi]->codecpar->codec_id != AV_CODEC_ID_NONE)
        probe_set(out->codec, sizeof out->codec, avcodec_get_name(ic->streams[vi]->codecpar->codec_id));
    out->online = true;
out:
    /* TEARDOWN, still bounded: a camera that froze after SETUP cannot hold us past the deadline */
    avformat_close_input(&ic);
    out->ms = (unsigned)((time_mono_us() - t0) / 1000);
    return 0;
}
