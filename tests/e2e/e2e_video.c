/* tests/e2e/e2e_video.c - live video over HTTP against the real server and real fake RTSP
 * cameras (issue 9: R3.1-R3.6, R3.9, R3.12; S1, S4) on SQLite and PostgreSQL.
 *
 * Fake cameras are tests/support/fake_camera.py (GStreamer's RTSP server) with basic auth,
 * so the stream URL carries a password that must never show up in the database, the log or
 * a response. A district user plays a camera: live.mp4 starts with an ftyp box, three
 * concurrent readers share ONE RTSP session at the camera, and the session ends after the
 * linger. The playlist is LL-HLS with EXT-X-MAP; init.mp4 is an init segment. Tampered or
 * expired links get 403, another subdistrict's camera 404, a viewer without video.play 403,
 * a camera without a stream 409 no_stream. An API token with video.play creates links (a
 * token without it cannot), its embed page carries its frame-ancestors list, and its links
 * die when it is revoked. The health probe marks a killed camera offline and the restarted
 * one online. Waits are bounded polls for a value, never timing assertions.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakecam.h"
#include "server.h"

#define SUB1 "110102001"
#define SUB2 "110102003"
#define CAM_USER "op"
#define CAM_PASS "CamSecret7781"

/* --- fake cameras (tests/support/fakecam.h) ---------------------------------------- */
static struct fakecam cam_main;  /* cam1, cam2 (H.264), cam3 (H.265) */
static struct fakecam cam_probe; /* pr1: killed and restarted on the same port */

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

/* cam_start runs a fake camera that requires CAM_USER/CAM_PASS with mounts m1 (and m2, m3
 * when not NULL) on port (NULL: any). */
static int
cam_start(struct fakecam *c, const char *port, const char *m1, const char *m2, const char *m3)
{
    const char *args[20];
    size_t n = 0;
    args[n++] = "--user";
    args[n++] = CAM_USER;
    args[n++] = "--password";
    args[n++] = CAM_PASS;
    if (port) { /* after fakecam's own "--port 0": the last one counts */
        args[n++] = "--port";
        args[n++] = port;
    }
    args[n++] = "--mount";
    args[n++] = m1;
    if (m2) {
        args[n++] = "--mount";
        args[n++] = m2;
    }
    if (m3) {
        args[n++] = "--mount";
        args[n++] = m3;
    }
    args[n] = NULL;
    return fakecam_start(c, args);
}

static size_t
parked_collect(void *p, size_t size, size_t n, void *cls)
{
    buf_add(cls, p, size * n);
    return size * n;
}

/* wait_sessions polls the camera until it holds want RTSP sessions (at most ~15 s) and
 * returns the last value read, for the assertion. */
static long
wait_sessions(const struct fakecam *c, long want)
{
    long v = -1;
    for (int i = 0; i < 150 && (v = fakecam_count(c, "sessions")) != want; i++)
        sleep_ms(100);
    return v;
}

/* --- server side -------------------------------------------------------------------- */
static int
prepare(struct server *srv)
{
    static const char *const args[] = { "--media-linger", "2", "--media-probe-interval", "86400",
                                        "--media-rw-timeout", "3000", NULL };
    memcpy(srv->serve_args, args, sizeof args);
    if (server_add_user(srv, "vdina", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vsam2", "subdistrict", SUB2, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vvic", "viewer", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

static void
login(struct server *srv, struct client *c, const char *user)
{
    struct resp r = RESP_INIT;
    client_init(c, srv);
    assert_int_equal(client_login(c, user, SERVER_PASSWORD, NULL, &r), 200);
    resp_release(&r);
}

/* camera registers a camera in SUB1 (stream_url may be NULL) and returns its id. */
static int64_t
camera(struct client *c, const char *ext, const char *gb, const char *stream_url)
{
    struct resp r = RESP_INIT;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "source", "e2e-video", "external_id", ext, "gb_id", gb, "name",
                          ext, "subdistrict", SUB1);
    if (stream_url)
        json_object_set_new(o, "stream_url", json_string(stream_url));
    char *body = json_dumps(o, 0);
    client_call(c, "POST", "/api/v1/cameras", body, &r);
    free(body);
    json_decref(o);
    if (r.status == 200) { /* a duplicate: the same source + external_id from an earlier test */
        char path[128];
        snprintf(path, sizeof path, "/api/v1/cameras?q=%s", gb);
        client_call(c, "GET", path, NULL, &r);
        int64_t id = resp_int(&r, "items.0.id");
        resp_release(&r);
        return id;
    }
    assert_resp(&r, 201, NULL);
    int64_t id = resp_int(&r, "id");
    resp_release(&r);
    return id;
}

/* play POSTs .../play and copies the token of the returned URLs into tok. */
static long
play(struct client *c, int64_t id, struct resp *r, char *tok, size_t cap)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/play", (long long)id);
    client_call(c, "POST", path, NULL, r);
    if (r->status == 200 && tok) {
        const char *s = resp_str(r, "stream");
        assert_non_null(s);
        assert_true(strncmp(s, "/media/v1/p/", 12) == 0);
        snprintf(tok, cap, "%.*s", (int)strcspn(s + 12, "/"), s + 12);
    }
    return r->status;
}

static long
media_get(struct client *c, const char *tok, const char *file, struct resp *r)
{
    char path[256];
    snprintf(path, sizeof path, "/media/v1/p/%s/%s", tok, file);
    return client_send(c, "GET", path, NULL, 0, NULL, CLIENT_NO_COOKIE, r);
}

/* A live.mp4 reader on its own thread: reads the first bytes, then holds the connection
 * until released. */
struct reader {
    struct server *srv;
    char url[256];
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    bool *release;
    int *ready;
    struct buf head; /* the first bytes */
    size_t total;
    bool counted;
};

static size_t
reader_write(void *p, size_t size, size_t n, void *cls)
{
    struct reader *r = cls;
    size_t len = size * n;
    if (r->head.len < 64)
        buf_add(&r->head, p, len < 64 ? len : 64);
    r->total += len;
    if (r->total >= 32 * 1024 && !r->counted) {
        r->counted = true;
        pthread_mutex_lock(r->mu);
        (*r->ready)++;
        pthread_cond_broadcast(r->cv);
        while (!*r->release)
            pthread_cond_wait(r->cv, r->mu);
        pthread_mutex_unlock(r->mu);
        return 0; /* enough: abort the transfer */
    }
    return len;
}

static void *
reader_main(void *arg)
{
    struct reader *r = arg;
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, reader_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (!r->counted) { /* ended early: let the test go on and fail on the count */
        pthread_mutex_lock(r->mu);
        r->counted = true;
        (*r->ready)++;
        pthread_cond_broadcast(r->cv);
        pthread_mutex_unlock(r->mu);
    }
    return NULL;
}

static void
test_play_shared_stream(void **state)
{
    struct server *srv = *state;
    struct client dina;
    struct resp r = RESP_INIT;
    char tok[128];
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    bool release = false;
    int ready = 0;
    struct reader rd[3];
    pthread_t th[3];

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-cam1", "11010200001320000101", cam_main.url[0]);
    assert_int_equal(wait_sessions(&cam_main, 0), 0);

    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    assert_int_equal(resp_int(&r, "camera_id"), id);
    assert_non_null(resp_str(&r, "expires_at"));
    assert_non_null(resp_str(&r, "state"));
    assert_true(json_is_true(resp_get(&r, "playable")));
    char want[256];
    snprintf(want, sizeof want, "/media/v1/p/%s/index.m3u8", tok);
    assert_string_equal(resp_str(&r, "hls"), want);
    snprintf(want, sizeof want, "/media/v1/embed/%s", tok);
    assert_string_equal(resp_str(&r, "embed"), want);

    /* three concurrent readers, no cookie */
    for (int i = 0; i < 3; i++) {
        rd[i] = (struct reader){ .srv = srv, .mu = &mu, .cv = &cv, .release = &release, .ready = &ready,
                                 .head = BUF_INIT };
        snprintf(rd[i].url, sizeof rd[i].url, "%s/media/v1/p/%s/live.mp4", srv->base, tok);
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
    }
    pthread_mutex_lock(&mu);
    while (ready < 3)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 3; i++) {
        assert_true(rd[i].total >= 32 * 1024);
        assert_true(rd[i].head.len >= 8);
        assert_memory_equal(rd[i].head.data + 4, "ftyp", 4);
    }
    /* all three hold their streams now: one RTSP session at the camera */
    assert_int_equal(fakecam_count(&cam_main, "sessions"), 1);
    client_call(&dina, "GET", "/api/v1/video/sessions", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 1);
    assert_int_equal(resp_int(&r, "items.0.camera_id"), id);
    assert_int_equal(resp_int(&r, "items.0.viewers"), 3);
    assert_string_equal(resp_str(&r, "items.0.state"), "playing");
    pthread_mutex_lock(&mu);
    release = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        buf_release(&rd[i].head);
    }
    /* after the last viewer and the linger (2 s) the session ends at the camera */
    assert_int_equal(wait_sessions(&cam_main, 0), 0);

    /* the camera went online through the session; the play was audited */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/cameras/%lld", (long long)id);
    client_call(&dina, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "status"), "online");
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, "SELECT count(*) FROM audit_log WHERE action = 'video.play'", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row && db_col_i64(st, 0) >= 1);
    db_done(st);
    db_close(db);

    /* metrics */
    client_send(&dina, "GET", "/metrics", NULL, 0, NULL, CLIENT_NO_COOKIE, &r);
    assert_non_null(strstr(r.body.data, "jiayuan_media_sessions_started_total"));
    assert_non_null(strstr(r.body.data, "jiayuan_camera_probes_total{result=\"online\"}"));

    /* the password of the stream URL is nowhere */
    static const char *const secrets[] = { CAM_PASS, NULL };
    server_assert_absent(srv, SCAN_ALL, secrets);
    resp_release(&r);
    client_release(&dina);
}

static void
test_playlist_and_init(void **state)
{
    struct server *srv = *state;
    struct client dina;
    struct resp r = RESP_INIT;
    char tok[128];

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-cam2", "11010200001320000102", cam_main.url[1]);
    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    assert_int_equal(media_get(&dina, tok, "index.m3u8", &r), 200);
    char type[96];
    assert_non_null(resp_header(&r, "Content-Type", 0, type, sizeof type));
    assert_string_equal(type, "application/vnd.apple.mpegurl");
    assert_true(strncmp(r.body.data, "#EXTM3U", 7) == 0);
    assert_non_null(strstr(r.body.data, "#EXT-X-MAP:URI=\"init.mp4\""));
    assert_non_null(resp_header(&r, "Cache-Control", 0, type, sizeof type));
    assert_string_equal(type, "no-store");
    /* a blocking reload of the next segment answers with a playlist that has it */
    assert_int_equal(media_get(&dina, tok, "index.m3u8?_HLS_msn=2", &r), 200);
    assert_non_null(strstr(r.body.data, "seg/2."));
    assert_int_equal(media_get(&dina, tok, "init.mp4", &r), 200);
    assert_true(r.body.len > 8);
    assert_memory_equal(r.body.data + 4, "ftyp", 4);
    assert_int_equal(media_get(&dina, tok, "seg/2.m4s", &r), 200);
    assert_true(r.body.len > 8);
    assert_int_equal(media_get(&dina, tok, "seg/x.txt", &r), 404);
    assert_int_equal(media_get(&dina, tok, "seg/999999.m4s", &r), 404);
    assert_int_equal(media_get(&dina, tok, "info", &r), 200);
    assert_int_equal(resp_int(&r, "camera_id"), id);
    assert_non_null(resp_str(&r, "state"));
    /* snapshots: a JPEG from the link (no cookie) and from the API (cookie, video.play) */
    assert_int_equal(media_get(&dina, tok, "snapshot.jpg", &r), 200);
    assert_non_null(resp_header(&r, "Content-Type", 0, type, sizeof type));
    assert_string_equal(type, "image/jpeg");
    assert_true(r.body.len > 1000);
    assert_memory_equal(r.body.data, "\xff\xd8\xff", 3);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/snapshot", (long long)id);
    client_call(&dina, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_memory_equal(r.body.data, "\xff\xd8\xff", 3);
    resp_release(&r);
    client_release(&dina);
}

static void
test_refusals(void **state)
{
    struct server *srv = *state;
    struct client dina, sam2, vic;
    struct resp r = RESP_INIT;
    char tok[128], path[256];

    login(srv, &dina, "vdina");
    login(srv, &sam2, "vsam2");
    login(srv, &vic, "vvic");
    int64_t id = camera(&dina, "v-cam1", "11010200001320000101", cam_main.url[0]);
    int64_t dark = camera(&dina, "v-dark", "11010200001320000109", NULL);

    /* another subdistrict's camera: 404; no video.play: 403; no stream: 409; absent: 404 */
    assert_int_equal(play(&sam2, id, &r, NULL, 0), 404);
    assert_resp(&r, 404, "not_found");
    assert_int_equal(play(&vic, id, &r, NULL, 0), 403);
    assert_resp(&r, 403, "forbidden");
    assert_int_equal(play(&dina, dark, &r, NULL, 0), 409);
    assert_resp(&r, 409, "no_stream");
    assert_int_equal(play(&dina, 999999, &r, NULL, 0), 404);
    snprintf(path, sizeof path, "/api/v1/cameras/%lld/play", (long long)id);
    client_send(&dina, "POST", path, NULL, 0, NULL, CLIENT_NO_CSRF, &r);
    assert_resp(&r, 403, "csrf");

    /* a tampered link: 403 on every media URL */
    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    assert_int_equal(media_get(&dina, tok, "info", &r), 200);
    tok[10] = tok[10] == 'A' ? 'B' : 'A';
    static const char *const files[] = { "live.mp4", "index.m3u8", "init.mp4", "seg/0.m4s", "snapshot.jpg", "info" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        media_get(&dina, tok, files[i], &r);
        assert_resp(&r, 403, "forbidden");
    }
    snprintf(path, sizeof path, "/media/v1/embed/%s", tok);
    client_send(&dina, "GET", path, NULL, 0, NULL, CLIENT_NO_COOKIE, &r);
    assert_resp(&r, 403, "forbidden");
    media_get(&dina, "x", "info", &r);
    assert_resp(&r, 403, "forbidden");
    resp_release(&r);
    client_release(&dina);
    client_release(&sam2);
    client_release(&vic);
}

static void
test_token_links(void **state)
{
    struct server *srv = *state;
    struct client dina, vendor;
    struct resp r = RESP_INIT;
    struct buf out = BUF_INIT, secret = BUF_INIT;
    char tok[128], path[256], csp[1024];
    int64_t tid = 0;

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-cam1", "11010200001320000101", cam_main.url[0]);
    /* a token with video.play and its sites */
    assert_int_equal(server_cli(srv, NULL, &out, "token", "add", "--name", "big-screen", "--scopes", "video.play",
                                "--frame-ancestors", "https://screen.example  https://b.example:8443", NULL),
                     0);
    const char *p = strstr(out.data, "jy_"), *t = strstr(out.data, "token ");
    assert_non_null(p);
    buf_add(&secret, p, strcspn(p, "\r\n"));
    tid = atoll(t + 6);
    assert_true(tid > 0);
    client_init(&vendor, srv);
    snprintf(vendor.bearer, sizeof vendor.bearer, "%s", secret.data);
    assert_int_equal(play(&vendor, id, &r, tok, sizeof tok), 200);
    snprintf(path, sizeof path, "/media/v1/embed/%s", tok);
    client_send(&vendor, "GET", path, NULL, 0, NULL, CLIENT_NO_COOKIE, &r);
    assert_true(r.status == 200 || r.status == 404); /* 404 while the UI has no embed.html */
    assert_non_null(resp_header(&r, "Content-Security-Policy", 0, csp, sizeof csp));
    const char *fa = strstr(csp, "frame-ancestors ");
    assert_non_null(fa);
    assert_string_equal(fa + 16, "https://screen.example https://b.example:8443");
    assert_null(resp_header(&r, "X-Frame-Options", 0, csp, sizeof csp));
    /* a user's link may be framed by the UI only; every other page by nobody */
    char utok[128];
    assert_int_equal(play(&dina, id, &r, utok, sizeof utok), 200);
    snprintf(path, sizeof path, "/media/v1/embed/%s", utok);
    client_send(&dina, "GET", path, NULL, 0, NULL, CLIENT_NO_COOKIE, &r);
    assert_non_null(resp_header(&r, "Content-Security-Policy", 0, csp, sizeof csp));
    assert_string_equal(strstr(csp, "frame-ancestors ") + 16, "'self'");
    client_call(&dina, "GET", "/api/v1/video/sessions", NULL, &r);
    assert_non_null(resp_header(&r, "Content-Security-Policy", 0, csp, sizeof csp));
    assert_string_equal(strstr(csp, "frame-ancestors ") + 16, "'none'");
    assert_non_null(resp_header(&r, "X-Frame-Options", 0, csp, sizeof csp));

    /* a token without video.play cannot make links */
    struct client reader;
    struct buf s2 = BUF_INIT;
    assert_int_equal(server_add_token(srv, "reader", "cameras.read", &s2, NULL), 0);
    client_init(&reader, srv);
    snprintf(reader.bearer, sizeof reader.bearer, "%s", s2.data);
    assert_int_equal(play(&reader, id, &r, NULL, 0), 403);
    /* a bad list is refused and makes no token */
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "token", "add", "--name", "bad", "--scopes", "video.play",
                                "--frame-ancestors", "https://a.example; script-src *", NULL),
                     2);
    assert_null(strstr(out.data, "jy_"));

    /* revoked: its links die */
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long)tid);
    assert_int_equal(server_cli(srv, NULL, NULL, "token", "revoke", "--id", id_text, NULL), 0);
    /* the server asks again at most 10 s after it last checked this issuer */
    for (int i = 0; i < 150 && media_get(&vendor, tok, "info", &r) == 200; i++)
        sleep_ms(100);
    assert_resp(&r, 403, "forbidden");
    assert_int_equal(play(&vendor, id, &r, NULL, 0), 401);
    buf_release(&out);
    buf_release_secret(&secret);
    buf_release_secret(&s2);
    resp_release(&r);
    client_release(&dina);
    client_release(&vendor);
    client_release(&reader);
}

/* H.265 without a transcode slot (the default): the link works (snapshots), the player is
 * told it cannot play it through MSE. */
static void
test_h265(void **state)
{
    struct server *srv = *state;
    struct client dina;
    struct resp r = RESP_INIT;
    char tok[128];
    const char *codec = NULL;

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-cam3", "11010200001320000104", cam_main.url[2]);
    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    for (int i = 0; i < 100; i++) { /* until the session knows its codec (bounded) */
        assert_int_equal(media_get(&dina, tok, "info", &r), 200);
        if ((codec = resp_str(&r, "codec")) != NULL)
            break;
        sleep_ms(100);
    }
    assert_non_null(codec);
    assert_true(strncmp(codec, "hvc1", 4) == 0 || strncmp(codec, "hev1", 4) == 0);
    assert_true(json_is_false(resp_get(&r, "playable")));
    assert_int_equal(play(&dina, id, &r, NULL, 0), 200);
    assert_true(json_is_false(resp_get(&r, "playable")));
    resp_release(&r);
    client_release(&dina);
}

static const char *
camera_status(struct client *c, int64_t id, struct resp *r)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/cameras/%lld", (long long)id);
    client_call(c, "GET", path, NULL, r);
    assert_resp(r, 200, NULL);
    return resp_str(r, "status");
}

static void
test_probe(void **state)
{
    struct server *srv = *state;
    struct client dina;
    struct resp r = RESP_INIT;
    struct buf out = BUF_INIT;
    char id_text[24], port[16];

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-probe", "11010200001320000103", cam_probe.url[0]);
    snprintf(id_text, sizeof id_text, "%lld", (long long)id);
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "probe", "--id", id_text, NULL), 0);
    assert_non_null(strstr(out.data, "probed=1 online=1"));
    assert_string_equal(camera_status(&dina, id, &r), "online");

    snprintf(port, sizeof port, "%d", cam_probe.port);
    fakecam_signal(&cam_probe, SIGKILL);
    fakecam_stop(&cam_probe);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "probe", "--id", id_text, "--media-rw-timeout", "2000",
                                NULL), 0);
    assert_non_null(strstr(out.data, "probed=1 online=0 offline=1 changed=1"));
    assert_string_equal(camera_status(&dina, id, &r), "offline");

    assert_int_equal(cam_start(&cam_probe, port, "pr1", NULL, NULL), 0); /* the same address again */
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "cameras", "probe", "--id", id_text, NULL), 0);
    assert_non_null(strstr(out.data, "probed=1 online=1 offline=0 changed=1"));
    assert_string_equal(camera_status(&dina, id, &r), "online");
    /* a probe leaves no session behind at the camera */
    assert_int_equal(wait_sessions(&cam_probe, 0), 0);
    buf_release(&out);
    resp_release(&r);
    client_release(&dina);
}

/* A request parked at the server (a blocking playlist reload for a segment far ahead) while
 * the private server stops: libmicrohttpd aborts the process if a connection is still
 * suspended then, so the stop's exit status is the check (expiry_teardown). */
static pthread_t parked_thread;
static bool parked_started;
static char parked_url[512];

static void *
parked_main(void *arg)
{
    CURL *h = curl_easy_init();
    struct buf b = BUF_INIT;
    (void)arg;
    curl_easy_setopt(h, CURLOPT_URL, parked_url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, parked_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    buf_release(&b);
    return NULL;
}

/* expiry needs a server of its own with a 1 s link lifetime */
static int
expiry_setup(void **state)
{
    struct server *main_srv = *state, *srv = calloc(1, sizeof *srv);
    static const char *const args[] = { "--play-ttl", "1", "--media-linger", "1", NULL };
    if (server_init(srv, main_srv->driver_url)) {
        free(srv);
        return -1;
    }
    memcpy(srv->serve_args, args, sizeof args);
    if (server_add_user(srv, "vdina", "district", NULL, SERVER_PASSWORD, false, NULL) || server_start(srv)) {
        server_release(srv);
        free(srv);
        return -1;
    }
    *state = srv;
    return 0;
}

static int
expiry_teardown(void **state)
{
    struct server *srv = *state;
    int rc = server_stop(srv);
    if (parked_started)
        pthread_join(parked_thread, NULL);
    parked_started = false;
    server_release(srv);
    free(srv);
    return rc ? -1 : 0;
}

static void
test_expired(void **state)
{
    struct server *srv = *state;
    struct client dina;
    struct resp r = RESP_INIT;
    char tok[128];

    login(srv, &dina, "vdina");
    int64_t id = camera(&dina, "v-cam1", "11010200001320000101", cam_main.url[0]);
    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    sleep_ms(2100); /* past expires_at (whole seconds, at most 1 s ahead) */
    media_get(&dina, tok, "info", &r);
    assert_resp(&r, 403, "forbidden");
    media_get(&dina, tok, "live.mp4", &r);
    assert_resp(&r, 403, "forbidden");

    /* a fresh link and a request that waits at the server when it stops (teardown) */
    assert_int_equal(play(&dina, id, &r, tok, sizeof tok), 200);
    snprintf(parked_url, sizeof parked_url, "%s/media/v1/p/%s/index.m3u8?_HLS_msn=99999", srv->base, tok);
    assert_int_equal(pthread_create(&parked_thread, NULL, parked_main, NULL), 0);
    parked_started = true;
    sleep_ms(300); /* let it reach the server; the teardown's exit status is the check */
    resp_release(&r);
    client_release(&dina);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_play_shared_stream),
        cmocka_unit_test(test_playlist_and_init),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_token_links),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_h265),
        cmocka_unit_test_setup_teardown(test_expired, expiry_setup, expiry_teardown),
    };
    int failures;
    signal(SIGPIPE, SIG_IGN);
    if (!fakecam_available() || cam_start(&cam_main, NULL, "cam1", "cam2", "cam3:h265") ||
        cam_start(&cam_probe, NULL, "pr1", NULL, NULL)) {
        fprintf(stderr, "e2e_video: cannot run the fake cameras (python3-gi, gstreamer1.0-rtsp)\n");
        fakecam_stop(&cam_main);
        fakecam_stop(&cam_probe);
        return 1;
    }
    failures = server_run("video", tests, sizeof tests / sizeof tests[0], prepare);
    fakecam_stop(&cam_main);
    fakecam_stop(&cam_probe);
    return failures;
}
