/* media/rtsp_in.h - open an RTSP input with libavformat under a latched deadline (issue 9;
 * R3.1, R3.9). Internal to media/: included by the .c files of media/ only (it exposes libav types).
 *
 * Every blocking libavformat call made on the returned context polls the watchdog through
 * the interrupt callback. The watchdog latches: once it fired it stays fired, because after
 * an abort av_read_frame may still hand out a frame its parser held, and a watchdog that
 * re-armed on that "progress" would wait a second full deadline (docs/design/live-video.md
 * §3). The URL (which may carry user:password) is never logged and never copied into an
 * error: libav's own log is silenced (AV_LOG_QUIET) once per process by rtsp_in_open.
 *
 * NEEDSWORK: libavformat resolves a host name with a blocking getaddrinfo that the
 * interrupt callback cannot cut short; with a dead DNS server a camera given by name may
 * hold the caller for the resolver's own timeout (cameras on the video network are
 * normally given by address).
 */
#ifndef JY_MEDIA_RTSP_IN_H
#define JY_MEDIA_RTSP_IN_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavformat/avformat.h>

struct rtsp_in_watchdog {
    _Atomic int64_t deadline_us; /* time_mono_us() after which every blocking call aborts */
    atomic_bool fired;           /* latched: set once, never cleared */
    const atomic_bool *stop;     /* optional: an owner's stop flag, polled too (may be NULL) */
};

/* rtsp_in_watchdog_arm sets the deadline to now + timeout_ms (0 means 5000). It does not
 * clear a fired watchdog. */
void rtsp_in_watchdog_arm(struct rtsp_in_watchdog *w, unsigned timeout_ms);
/* rtsp_in_interrupt is the AVIOInterruptCB callback; opaque is a struct rtsp_in_watchdog. */
int rtsp_in_interrupt(void *opaque);

/* rtsp_in_url_ok: url starts with rtsp:// or rtsps:// (case-insensitive). */
bool rtsp_in_url_ok(const char *url);

/* rtsp_in_open opens url (rtsp_transport tcp, or udp when udp is true; socket timeout and
 * the watchdog armed for timeout_ms; small probesize; initial_pause when pause is true:
 * OPTIONS, DESCRIBE, SETUP and no PLAY). w must outlive *out; the caller closes *out with
 * avformat_close_input. Stream info is not read (the caller decides). Returns 0,
 * ERR_INVALID for a URL that is not rtsp:// or rtsps://, or ERR_UNAVAILABLE with the libav
 * error in *averr (never NULL). */
int rtsp_in_open(const char *url, unsigned timeout_ms, bool udp, bool pause, struct rtsp_in_watchdog *w,
                 AVFormatContext **out, int *averr);

/* rtsp_in_reason names a failed open or read for probes and logs: "auth" (401/403),
 * "refused" (ECONNREFUSED), "timeout" (the watchdog fired, or ETIMEDOUT),
 * "unreachable" (no route to the host, unknown host), else "error". Static storage. */
const char *rtsp_in_reason(int averr, bool fired);

#endif
