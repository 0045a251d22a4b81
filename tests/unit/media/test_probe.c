/* tests/unit/media/test_probe.c - media/probe.h against real RTSP cameras (issue 9; R3.9, O3):
 * tests/support/fake_camera.py serving H.264 and H.265, with and without authentication, a
 * closed port, a host name that does not resolve, a camera frozen with SIGSTOP and a TCP
 * listener that never answers; TCP and UDP transport. Asserts the result's values (online,
 * codec, reason) and that a probe leaves no RTSP session and starts no PLAY; never
 * durations.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "fakecam.h"
#include "media/probe.h"

static struct fakecam cam;      /* cam1 H.264, cam2 H.265 */
static struct fakecam authcam;  /* cam1 H.264 behind basic auth op / se:cret */

static int
group_setup(void **state)
{
    static const char *const plain[] = { "--mount", "cam1", "--mount", "cam2:h265", NULL };
    static const char *const auth[] = { "--mount", "cam1", "--user", "op", "--password", "se:cret", NULL };
    if (!fakecam_available())
        return 0;   /* each test skips */
    if (fakecam_start(&cam, plain) || fakecam_start(&authcam, auth))
        return -1;
    return 0;
}

static int
group_teardown(void **state)
{
    fakecam_stop(&cam);
    fakecam_stop(&authcam);
    return 0;
}

#define NEED_CAMERA()                                                                    \
    do {                                                                                 \
        if (!fakecam_available()) {                                                      \
            print_message("python3-gi / GstRtspServer missing: skipped\n");             \
            skip();                                                                      \
        }                                                                                \
    } while (0)

/* wait_sessions polls the camera's status until it holds n RTSP sessions (at most 5 s) and
 * returns the last count: the camera drops a session when its connection closes. */
static int
wait_sessions(const struct fakecam *c, int n)
{
    int v = -1;
    for (int i = 0; i < 50; i++) {
        if ((v = fakecam_count(c, "sessions")) == n)
            break;
        struct timespec ts = { 0, 100000000L };
        nanosleep(&ts, NULL);
    }
    return v;
}

static void
test_probe_h264(void **state)
{
    struct media_probe p;
    char status[4096];
    NEED_CAMERA();
    assert_int_equal(media_probe(cam.url[0], 5000, false, &p), 0);
    assert_true(p.online);
    assert_string_equal(p.codec, "h264");
    assert_string_equal(p.reason, "");
    /* DESCRIBE and SETUP, never PLAY; TEARDOWN leaves no session behind */
    assert_int_equal(wait_sessions(&cam, 0), 0);
    assert_int_equal(fakecam_status_json(&cam, status, sizeof status), 0);
    assert_non_null(strstr(status, "\"describe\": {\"/cam1\": 1"));
    assert_non_null(strstr(status, "\"play\": {}"));
}

static void
test_probe_h265(void **state)
{
    struct media_probe p;
    NEED_CAMERA();
    assert_int_equal(media_probe(cam.url[1], 5000, false, &p), 0);
    assert_true(p.online);
    assert_string_equal(p.codec, "hevc");
    assert_string_equal(p.reason, "");
}

/* RTSP over UDP (the --media-udp option): SETUP asks for UDP ports instead of interleaving */
static void
test_probe_udp(void **state)
{
    struct media_probe p;
    NEED_CAMERA();
    assert_int_equal(media_probe(cam.url[0], 5000, true, &p), 0);
    assert_true(p.online);
    assert_string_equal(p.codec, "h264");
    assert_int_equal(wait_sessions(&cam, 0), 0);
}

/* an unknown mount: the camera answers 404 */
static void
test_probe_unknown_mount(void **state)
{
    struct media_probe p;
    char url[300];
    NEED_CAMERA();
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/nope", cam.port);
    assert_int_equal(media_probe(url, 5000, false, &p), 0);
    assert_false(p.online);
    assert_string_equal(p.reason, "error");
    assert_string_equal(p.codec, "");
}

static void
test_probe_auth(void **state)
{
    struct media_probe p;
    char url[300];
    NEED_CAMERA();
    /* the ready line carries the right credentials, percent-encoded */
    assert_non_null(strstr(authcam.url[0], "op:se%3Acret@"));
    assert_int_equal(media_probe(authcam.url[0], 5000, false, &p), 0);
    assert_true(p.online);
    assert_string_equal(p.codec, "h264");

    snprintf(url, sizeof url, "rtsp://op:wrong@127.0.0.1:%d/cam1", authcam.port);
    assert_int_equal(media_probe(url, 5000, false, &p), 0);
    assert_false(p.online);
    assert_string_equal(p.reason, "auth");
    assert_string_equal(p.codec, "");

    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/cam1", authcam.port);
    assert_int_equal(media_probe(url, 5000, false, &p), 0);
    assert_false(p.online);
    assert_string_equal(p.reason, "auth");
}

/* a port with no listener: bind one, note its number, close it */
static void
test_probe_refused(void **state)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    struct media_probe p;
    char url[64];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/cam1", ntohs(sa.sin_port));
    assert_int_equal(media_probe(url, 3000, false, &p), 0);
    assert_false(p.online);
    assert_string_equal(p.reason, "refused");
}

/* a TCP listener that accepts (in the kernel's backlog) and never says a word */
static void
test_probe_silent_listener(void **state)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    struct media_probe p;
    char url[64];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s, 4), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/cam1", ntohs(sa.sin_port));
    assert_int_equal(media_probe(url, 800, false, &p), 0);
    close(s);
    assert_false(p.online);
    assert_string_equal(p.reason, "timeout");
}

/* a frozen camera (SIGSTOP): the probe returns "timeout", and after SIGCONT it is online */
static void
test_probe_frozen_camera(void **state)
{
    struct media_probe p;
    NEED_CAMERA();
    fakecam_signal(&cam, SIGSTOP);
    assert_int_equal(media_probe(cam.url[0], 800, false, &p), 0);
    fakecam_signal(&cam, SIGCONT);
    assert_false(p.online);
    assert_string_equal(p.reason, "timeout");
    assert_int_equal(media_probe(cam.url[0], 5000, false, &p), 0);
    assert_true(p.online);
    assert_string_equal(p.codec, "h264");
}

/* a host name that does not resolve (RFC 6761 .invalid) */
static void
test_probe_unknown_host(void **state)
{
    struct media_probe p;
    assert_int_equal(media_probe("rtsp://camera.nonexistent.invalid/cam1", 3000, false, &p), 0);
    assert_false(p.online);
    assert_string_equal(p.reason, "unreachable");
}

static void
test_probe_bad_url(void **state)
{
    struct media_probe p;
    assert_int_equal(media_probe("http://127.0.0.1/cam1", 1000, false, &p), ERR_INVALID);
    assert_int_equal(media_probe("", 1000, false, &p), ERR_INVALID);
    assert_int_equal(media_probe(NULL, 1000, false, &p), ERR_INVALID);
    assert_int_equal(media_probe("file:///etc/passwd", 1000, false, &p), ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_bad_url),
        cmocka_unit_test(test_probe_h264),
        cmocka_unit_test(test_probe_h265),
        cmocka_unit_test(test_probe_udp),
        cmocka_unit_test(test_probe_unknown_mount),
        cmocka_unit_test(test_probe_auth),
        cmocka_unit_test(test_probe_refused),
        cmocka_unit_test(test_probe_unknown_host),
        cmocka_unit_test(test_probe_silent_listener),
        cmocka_unit_test(test_probe_frozen_camera),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
