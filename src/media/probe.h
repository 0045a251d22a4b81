/* media/probe.h - one health probe of an RTSP camera (issue 9; R3.9, O3).
 *
 * libavformat opens the URL with initial_pause (OPTIONS, DESCRIBE, SETUP, no PLAY) and closes
 * it (TEARDOWN): the camera answers, authenticates us and says its codec, and no media flows.
 * Bounded by timeout_ms through a latched interrupt callback. Never logs the URL.
 */
#ifndef JY_MEDIA_PROBE_H
#define JY_MEDIA_PROBE_H
#include <stdbool.h>

struct media_probe {
    bool online;       /* the camera answered and described a video stream */
    char codec[16];    /* "h264", "hevc", another libavcodec name, "" when unknown */
    char reason[16];   /* when offline: "auth", "refused", "timeout", "unreachable", "no_video", "error" */
    unsigned ms;       /* how long the probe took */
};

/* media_probe fills *out and returns 0; ERR_INVALID only for a URL that is not rtsp:// or
 * rtsps://. */
int media_probe(const char *url, unsigned timeout_ms, bool udp, struct media_probe *out);

#endif
