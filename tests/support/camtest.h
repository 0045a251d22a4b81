/* tests/support/camtest.h - run tests/support/fake_camera.py (real RTSP cameras: GStreamer's
 * RTSP server under /usr/bin/python3) from a C test (issue 9; R3.1-R3.9).
 *
 * The script's source directory comes from JIAYUAN_SRC (set by ctest), else ".". Its
 * stdout goes to a temporary file that is read for the ready line (so the camera never
 * blocks on a full pipe); stderr is inherited.
 */
#ifndef JY_TESTS_CAMTEST_H
#define JY_TESTS_CAMTEST_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CAMTEST_MAX_URLS 8

struct camtest {
    pid_t pid;
    char log[64];                              /* the stdout file */
    char url[CAMTEST_MAX_URLS][256];           /* as printed, one per mount */
    size_t nurls;
    char status[128];                          /* "http://127.0.0.1:Q/" or "" */
    int port;
};

/* camtest_available: /usr/bin/python3 can import the GStreamer RTSP server (checked once). */
bool camtest_available(void);
/* camtest_start runs the script with "--port 0 --status-port 0" and args (NULL-terminated),
 * waits for its ready line (at most 30 s) and fills c. Returns 0, or -1 (the process is
 * gone then). */
int camtest_start(struct camtest *c, const char *const *args);
/* camtest_stop sends SIGCONT then SIGTERM and reaps it (SIGKILL after 5 s); fine on a
 * zeroed or stopped struct. */
void camtest_stop(struct camtest *c);
/* camtest_signal sends sig (SIGSTOP, SIGCONT) to the camera. */
void camtest_signal(struct camtest *c, int sig);
/* camtest_status_json writes the status JSON body (NUL-terminated, truncated to cap) to
 * out: 0, or -1 (out is "" then). */
int camtest_status_json(const struct camtest *c, char *out, size_t cap);
/* camtest_count reads the status JSON and returns the integer value of key ("sessions",
 * "clients"), or -1. */
int camtest_count(const struct camtest *c, const char *key);

#endif
