/* tests/support/fakecam.h - run tests/support/fake_camera.py (real RTSP cameras: GStreamer's
 * RTSP server under /usr/bin/python3) from a C test (issue 9; R3.1-R3.9).
 *
 * The script's source directory comes from JIAYUAN_SRC (set by ctest), else ".". Its
 * stdout goes to a temporary file that is read for the ready line (so the camera never
 * blocks on a full pipe); stderr is inherited.
 */
#ifndef JY_TESTS_FAKECAM_H
#define JY_TESTS_FAKECAM_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FAKECAM_MAX_URLS 8

struct fakecam {
    pid_t pid;
    char log[64];                              /* the stdout file */
    char url[FAKECAM_MAX_URLS][256];           /* as printed, one per mount */
    size_t nurls;
    char status[128];                          /* "http://127.0.0.1:Q/" or "" */
    int port;
};

/* fakecam_available: /usr/bin/python3 can import the GStreamer RTSP server (checked once). */
bool fakecam_available(void);
/* fakecam_start runs the script with "--port 0 --status-port 0" and args (NULL-terminated),
 * waits for its ready line (at most 30 s) and fills c. Returns 0, or -1 (the process is
 * gone then). */
int fakecam_start(struct fakecam *c, const char *const *args);
/* fakecam_stop sends SIGCONT then SIGTERM and reaps it (SIGKILL after 5 s); fine on a
 * zeroed or stopped struct. */
void fakecam_stop(struct fakecam *c);
/* fakecam_signal sends sig (SIGSTOP, SIGCONT) to the camera. */
void fakecam_signal(struct fakecam *c, int sig);
/* fakecam_status_json writes the status JSON body (NUL-terminated, truncated to cap) to
 * out: 0, or -1 (out is "" then). */
int fakecam_status_json(const struct fakecam *c, char *out, size_t cap);
/* fakecam_count reads the status JSON and returns the integer value of key ("sessions",
 * "clients"), or -1. */
int fakecam_count(const struct fakecam *c, const char *key);

#endif
