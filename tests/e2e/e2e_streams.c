/* tests/e2e/e2e_streams.c - event streams are re-checked and filtered (issue 12, S6; R2.x
 * push), against the real server on SQLite and PostgreSQL:
 *   - an open stream ends after logout, and after its token is revoked: the stream is read
 *     until EOF with a bound on heartbeats (never on time; the heartbeat is set to 200 ms);
 *   - a subdistrict reader never receives another subdistrict's event nor a district-wide
 *     one (results of tubes not sampled yet have subdistrict "");
 *   - topics are filtered by permission: a token without any reading permission for the
 *     topic gets 403 events_no_topic;
 *   - an account holds at most JIAYUAN_EVENTS_PER_ACCOUNT (2 here) streams: 429 beyond.
 * The stream is read over a raw socket so the test sees EOF exactly as the server ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define MAX_HEARTBEATS 6 /* a stream whose credential died ends before this many */

static struct buf feeder_token = BUF_INIT, screen_token = BUF_INIT, bare_token = BUF_INIT;
static int64_t screen_id;

static int
prepare(struct server *srv)
{
    buf_reset(&feeder_token);
    buf_reset(&screen_token);
    buf_reset(&bare_token);
    if (server_add_user(srv, "dana", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "capa", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "suba", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "feeder", "sites.write,results.write", &feeder_token, NULL) ||
        server_add_token(srv, "screen", "events.read,dashboard.read", &screen_token, &screen_id) ||
        server_add_token(srv, "bare", "events.read", &bare_token, NULL))
        return -1;
    return 0;
}

/* A raw stream: the socket and what was read. */
struct raw {
    int fd;
    int status;
    struct buf in;
};

static void
raw_open(struct raw *s, struct server *srv, const char *topics, const char *auth)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv->port) };
    struct timeval tv = { 30, 0 }; /* a guard against a hang, not an assertion */
    char req[1024], *end;
    memset(s, 0, sizeof *s);
    buf_init(&s->in, 1 << 22);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/events?topics=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\nConnection: close\r\n\r\n",
                     topics, auth);
    assert_int_equal(write(s->fd, req, (size_t)n), n);
    while (!(end = strstr(s->in.data, "\r\n\r\n"))) {
        char b[4096];
        ssize_t k = read(s->fd, b, sizeof b);
        assert_true(k > 0);
        buf_add(&s->in, b, (size_t)k);
    }
    s->status = atoi(s->in.data + 9); /* "HTTP/1.1 200" */
    if (s->status != 200 && getenv("E2E_STREAMS_DEBUG"))
        print_message("%s\n", s->in.data);
}

/* raw_read reads until EOF or until the stream shows max_heartbeats heartbeats, or until
 * it holds the text until (when not NULL); returns true at EOF. */
static bool
raw_read(struct raw *s, int max_heartbeats, const char *until)
{
    for (;;) {
        int hb = 0;
        for (const char *p = s->in.data; (p = strstr(p, ": heartbeat")); p++)
            hb++;
        if (hb >= max_heartbeats || (until && strstr(s->in.data, until)))
            return false;
        char b[4096];
        ssize_t k = read(s->fd, b, sizeof b);
        if (k == 0)
            return true;
        assert_true(k > 0);
        buf_add(&s->in, b, (size_t)k);
    }
}

/* raw_forget drops what the stream delivered so far, the bytes already waiting in the
 * socket included, so that raw_read counts only heartbeats sent after the change the test
 * just made (a revocation through the CLI may take longer than several heartbeats). At
 * most one heartbeat whose re-check ran before the change can still follow. Returns true
 * when the stream already ended. */
static bool
raw_forget(struct raw *s)
{
    int flags = fcntl(s->fd, F_GETFL);
    bool eof = false;
    assert_true(flags >= 0 && fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) == 0);
    for (;;) {
        char b[4096];
        ssize_t k = read(s->fd, b, sizeof b);
        if (k > 0)
            continue;
        eof = k == 0;
        assert_true(k == 0 || errno == EAGAIN || errno == EWOULDBLOCK);
        break;
    }
    assert_int_equal(fcntl(s->fd, F_SETFL, flags), 0);
    buf_reset(&s->in);
    return eof;
}

static void
raw_close(struct raw *s)
{
    if (s->fd > 0)
        close(s->fd);
    buf_release(&s->in);
}

static void
test_logout_ends_stream(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    struct raw s;
    char auth[512];
    assert_int_equal(client_sign_in(&c, srv, "dana"), 200);
    snprintf(auth, sizeof auth, "Cookie: %s=%s", c.cookie_name, c.cookie);
    raw_open(&s, srv, "sites", auth);
    assert_int_equal(s.status, 200);
    assert_false(raw_read(&s, 2, NULL)); /* alive: heartbeats flow */
    long st = client_call(&c, "POST", "/api/v1/auth/logout", "{}", &r);
    assert_true(st == 200 || st == 204);
    assert_true(raw_forget(&s) || raw_read(&s, MAX_HEARTBEATS, NULL)); /* EOF: the stream ended */
    raw_close(&s);
    resp_release(&r);
    client_release(&c);
}

static void
test_revoke_ends_stream(void **state)
{
    struct server *srv = *state;
    struct raw s;
    char auth[512], id[32];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", screen_token.data);
    raw_open(&s, srv, "sites", auth);
    assert_int_equal(s.status, 200);
    assert_false(raw_read(&s, 2, NULL));
    snprintf(id, sizeof id, "%lld", (long long)screen_id);
    assert_int_equal(server_cli(srv, NULL, NULL, "token", "revoke", "--id", id, NULL), 0);
    assert_true(raw_forget(&s) || raw_read(&s, MAX_HEARTBEATS, NULL));
    raw_close(&s);
}

static void
post_batch(struct server *srv, const char *path, const char *body)
{
    struct client c;
    struct resp r = RESP_INIT;
    client_init(&c, srv);
    snprintf(c.bearer, sizeof c.bearer, "%s", feeder_token.data);
    assert_int_equal(client_call(&c, "POST", path, body, &r), 200);
    resp_release(&r);
    client_release(&c);
}

static void
test_subdistrict_scope(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct raw s;
    char auth[512];
    assert_int_equal(client_sign_in(&c, srv, "suba"), 200);
    snprintf(auth, sizeof auth, "Cookie: %s=%s", c.cookie_name, c.cookie);
    raw_open(&s, srv, "sites,results", auth);
    assert_int_equal(s.status, 200);
    /* another subdistrict's site, a district-wide results.counts (a tube never sampled),
       then the reader's own site, last */
    post_batch(srv, "/api/v1/sites/batch",
               "[{\"source\":\"e2e-streams\",\"external_id\":\"SB9\",\"code\":\"SB9\",\"name\":\"SB9\","
               "\"type\":\"fixed\",\"subdistrict\":\"" SUB_B "\",\"lon\":116.36,\"lat\":39.91}]");
    post_batch(srv, "/api/v1/results/batch",
               "[{\"source\":\"e2e-streams\",\"external_id\":\"R1\",\"tube_code\":\"NEVER-SAMPLED-1\","
               "\"institution\":\"实验室\",\"tested_at\":1767225600000,\"result\":\"negative\"}]");
    post_batch(srv, "/api/v1/sites/batch",
               "[{\"source\":\"e2e-streams\",\"external_id\":\"SA9\",\"code\":\"SA9\",\"name\":\"SA9\","
               "\"type\":\"fixed\",\"subdistrict\":\"" SUB_A "\",\"lon\":116.37,\"lat\":39.91}]");
    assert_false(raw_read(&s, 40, "\"SA9\""));
    assert_non_null(strstr(s.in.data, "\"SA9\""));
    assert_null(strstr(s.in.data, "SB9"));
    assert_null(strstr(s.in.data, "results.counts")); /* district-wide: not for a subdistrict */
    raw_close(&s);
    client_release(&c);
}

static void
test_topics_and_cap(void **state)
{
    struct server *srv = *state;
    struct raw a, b, x, bare;
    char auth[512];
    /* a token that may read no topic at all */
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", bare_token.data);
    raw_open(&bare, srv, "sites", auth);
    assert_int_equal(bare.status, 403);
    assert_true(raw_read(&bare, 1, NULL)); /* the answer, then the server closes */
    assert_non_null(strstr(bare.in.data, "events_no_topic"));
    raw_close(&bare);
    /* the cap: two streams of one account, the third refused */
    struct client c;
    assert_int_equal(client_sign_in(&c, srv, "capa"), 200);
    snprintf(auth, sizeof auth, "Cookie: %s=%s", c.cookie_name, c.cookie);
    raw_open(&a, srv, "sites", auth);
    raw_open(&b, srv, "sites", auth);
    raw_open(&x, srv, "sites", auth);
    assert_int_equal(a.status, 200);
    assert_int_equal(b.status, 200);
    assert_int_equal(x.status, 429);
    assert_true(raw_read(&x, 1, NULL));
    assert_non_null(strstr(x.in.data, "events_too_many"));
    raw_close(&a);
    raw_close(&b);
    raw_close(&x);
    client_release(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topics_and_cap),
        cmocka_unit_test(test_subdistrict_scope),
        cmocka_unit_test(test_logout_ends_stream),
        cmocka_unit_test(test_revoke_ends_stream),
    };
    setenv("JIAYUAN_EVENTS_HEARTBEAT_MS", "200", 1);
    setenv("JIAYUAN_EVENTS_PER_ACCOUNT", "2", 1);
    int failed = server_run("streams", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feeder_token);
    buf_release_secret(&screen_token);
    buf_release_secret(&bare_token);
    return failed;
}
