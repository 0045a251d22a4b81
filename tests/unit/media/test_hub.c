/* tests/unit/media/test_hub.c - the live-video hub against real fake cameras (issue 9;
 * R3.1-R3.5): fMP4 boxes, sharing one upstream, linger stop, the upstream cap, a killed
 * camera and its return, a frozen camera, LL-HLS, a viewer that falls off the ring.
 * Cameras are tests/support/fake_camera.py (GstRtspServer) started here; assertions are on
 * states, counts and bytes, never on durations (waits are bounded polls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "fakecam.h"
#include "media/hub.h"

#define GOP 10     /* 0.4 s at 25 fps: short segments, quick tests */
#define POLLS 1200 /* x 25 ms: the bound of every wait (generous: the machine is shared) */

static struct fakecam cam; /* cam1, cam2 (H.264), cam3 (H.265), shared by the suite */

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* camera runs fake_camera.py with one mount per name and the suite's GOP; port and
 * status_port 0 pick free ones (a restart passes the old ones). */
static int camera(struct fakecam *c, const char *const *mounts, int port, int status_port)
{
    char gop[16], p[16], sp[16];
    const char *args[24];
    size_t n = 0;
    snprintf(gop, sizeof gop, "%d", GOP);
    snprintf(p, sizeof p, "%d", port);
    snprintf(sp, sizeof sp, "%d", status_port);
    args[n++] = "--gop", args[n++] = gop;
    if (port)
        args[n++] = "--port", args[n++] = p, args[n++] = "--status-port", args[n++] = sp;
    for (size_t i = 0; mounts[i] && n < 20; i++)
        args[n++] = "--mount", args[n++] = mounts[i];
    args[n] = NULL;
    return fakecam_start(c, args);
}

static int status_port(const struct fakecam *c)
{
    int port = 0;
    return sscanf(c->status, "http://127.0.0.1:%d/", &port) == 1 ? port : 0;
}

static int sessions(const struct fakecam *c)
{
    return fakecam_count(c, "sessions");
}

/* wait_sessions polls until the camera holds want RTSP sessions (bounded). */
static int wait_sessions(const struct fakecam *c, int want)
{
    int n = -1;
    for (int i = 0; i < POLLS && (n = sessions(c)) != want; i++)
        sleep_ms(25);
    return n;
}

/* States reported by on_state, in order. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static enum media_state seen[256];
static size_t nseen;

static void on_state(void *cls, const char *key, enum media_state st, const struct media_info *info)
{
    (void)cls, (void)key, (void)info;
    pthread_mutex_lock(&seen_mu);
    if (nseen < sizeof seen / sizeof seen[0])
        seen[nseen++] = st;
    pthread_mutex_unlock(&seen_mu);
}

static bool saw(enum media_state st, size_t from)
{
    bool yes = false;
    pthread_mutex_lock(&seen_mu);
    for (size_t i = from; i < nseen; i++)
        yes |= seen[i] == st;
    pthread_mutex_unlock(&seen_mu);
    return yes;
}

static size_t seen_count(void)
{
    pthread_mutex_lock(&seen_mu);
    size_t n = nseen;
    pthread_mutex_unlock(&seen_mu);
    return n;
}

static struct media_hub *hub_new(size_t max_upstreams, size_t ring_bytes)
{
    struct media_config cfg = { .max_upstreams = max_upstreams, .linger_ms = 1000, .ring_bytes = ring_bytes,
                                .rw_timeout_ms = 3000, .retry_max_ms = 1000, .give_up_ms = 60000 };
    struct media_hub *h = NULL;
    assert_int_equal(media_hub_new(&cfg, on_state, NULL, &h), 0);
    return h;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* boxes lists the top-level box types of p[0..n) as "ftyp moov moof mdat ..."; every box must
 * be whole. */
static void boxes(const uint8_t *p, size_t n, struct buf *types)
{
    size_t off = 0;
    while (off < n) {
        assert_true(n - off >= 8);
        uint32_t size = be32(p + off);
        assert_true(size >= 8 && size <= n - off);
        buf_add(types, p + off + 4, 4);
        buf_addch(types, ' ');
        off += size;
    }
}

/* read_some reads from v until at least want bytes came, or the session ended. */
static void read_some(struct media_viewer *v, size_t want, struct buf *out, bool *end)
{
    static char chunk[256 * 1024];
    *end = false;
    for (int i = 0; i < POLLS && out->len < want && !*end; i++) {
        size_t n = media_viewer_read(v, chunk, sizeof chunk, end);
        buf_add(out, chunk, n);
        if (!n)
            sleep_ms(25);
    }
}

static enum media_state wait_state(struct media_viewer *v, enum media_state want)
{
    struct media_info info;
    media_viewer_info(v, &info);
    for (int i = 0; i < POLLS && info.state != want; i++) {
        sleep_ms(25);
        media_viewer_info(v, &info);
    }
    if (info.state != want)
        print_message("media: state %s, not %s; last error \"%s\"\n", media_state_name(info.state),
                      media_state_name(want), info.error);
    return info.state;
}

static int suite_setup(void **state)
{
    (void)state;
    log_set_quiet(true);
    if (!fakecam_available()) {
        print_message("media: python3-gi or the GStreamer RTSP server missing, fake cameras cannot "
                      "run (scripts/bootstrap installs them): skipped\n");
        return 0;
    }
    static const char *const mounts[] = { "cam1", "cam2", "cam3:h265", NULL };
    return camera(&cam, mounts, 0, 0);
}

static int suite_teardown(void **state)
{
    (void)state;
    fakecam_stop(&cam);
    return 0;
}

#define NEED_CAMERA()                                  \
    do {                                               \
        if (!cam.pid)                                  \
            skip();                                    \
    } while (0)

/* The continuous stream: init segment (ftyp, moov), then moof+mdat per frame; the codec
 * string comes from avcC. */
static void test_stream_boxes(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *v = NULL;
    struct buf got = BUF_INIT, types = BUF_INIT;
    struct media_info info;
    bool end;

    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &v), 0);
    read_some(v, 200 * 1024, &got, &end);
    assert_false(end);
    boxes((const uint8_t *)got.data, got.len, &types);
    assert_true(!strncmp(types.data, "ftyp moov moof mdat moof mdat ", 30));
    assert_null(strstr(types.data + 10, "ftyp")); /* one init segment */
    media_viewer_info(v, &info);
    assert_int_equal(info.state, MEDIA_PLAYING);
    assert_string_equal(info.codec, "avc1.42C01E"); /* x264enc's Constrained Baseline */
    assert_int_equal(info.width, 640);
    assert_int_equal(info.height, 360);
    assert_false(info.upstream_h265);
    assert_int_equal(info.viewers, 1);
    assert_true(info.fragments >= 2);
    assert_string_equal(info.error, "");
    media_viewer_close(v);
    media_hub_free(h);
    buf_release(&got);
    buf_release(&types);
}

/* Two viewers share one upstream RTSP session; after the last leaves, the session stops
 * once the linger passed and the camera's session count is back to 0. */
static void test_share_and_linger(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *a = NULL, *b = NULL;
    struct buf ga = BUF_INIT, gb = BUF_INIT;
    struct media_stats st;
    struct media_info info;
    bool end;

    assert_int_equal(wait_sessions(&cam, 0), 0);
    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &a), 0);
    assert_int_equal(media_viewer_open(h, "c1", NULL, &b), 0); /* url not needed to join */
    read_some(a, 64 * 1024, &ga, &end);
    read_some(b, 64 * 1024, &gb, &end);
    assert_true(ga.len >= 64 * 1024 && gb.len >= 64 * 1024);
    assert_int_equal(sessions(&cam), 1);
    media_hub_stats(h, &st);
    assert_int_equal(st.sessions_started, 1);
    assert_int_equal(st.sessions[MEDIA_PLAYING], 1);
    assert_int_equal(st.viewers, 2);
    assert_int_equal(media_hub_info(h, "c1", &info), 0);
    assert_int_equal(info.viewers, 2);

    media_viewer_close(a);
    media_viewer_close(b);
    assert_int_equal(wait_sessions(&cam, 0), 0);
    assert_int_equal(media_hub_info(h, "c1", &info), ERR_NOT_FOUND);
    media_hub_stats(h, &st);
    assert_int_equal(st.viewers, 0);
    assert_int_equal(st.sessions[MEDIA_PLAYING], 0);
    media_hub_free(h);
    buf_release(&ga);
    buf_release(&gb);
}

/* The cap on upstreams refuses a new key with ERR_UNAVAILABLE; running ones are untouched. */
static void test_cap_and_bad_input(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(1, 0);
    struct media_viewer *a = NULL, *b = NULL, *a2 = NULL;
    struct media_stats st;

    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &a), 0);
    assert_int_equal(media_viewer_open(h, "c2", cam.url[1], &b), ERR_UNAVAILABLE);
    assert_null(b);
    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &a2), 0); /* joins, not a new upstream */
    assert_int_equal(media_viewer_open(h, "c3", NULL, &b), ERR_NOT_FOUND);
    assert_int_equal(media_viewer_open(h, "c3", "http://127.0.0.1/x", &b), ERR_INVALID);
    assert_int_equal(media_viewer_open(h, "c3", "rtsp://a b", &b), ERR_INVALID);
    assert_int_equal(media_viewer_open(h, "", cam.url[0], &b), ERR_INVALID);
    media_hub_stats(h, &st);
    assert_int_equal(st.busy_refusals, 1);
    assert_int_equal(st.sessions_started, 1);
    media_viewer_close(a);
    media_viewer_close(a2);
    media_hub_free(h); /* stops the lingering session at once */
    assert_int_equal(wait_sessions(&cam, 0), 0);
}

/* A killed camera: the session keeps its viewer and retries; the camera back on the same
 * port: PLAYING again, and the viewer gets a new init segment in-band, then fragments. */
static void test_killed_camera_returns(void **state)
{
    (void)state;
    NEED_CAMERA();
    static const char *const mounts[] = { "live", NULL };
    struct fakecam c = { 0 };
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *v = NULL;
    struct buf got = BUF_INIT, types = BUF_INIT;
    struct media_info info;
    bool end;

    assert_int_equal(camera(&c, mounts, 0, 0), 0);
    size_t mark = seen_count();
    assert_int_equal(media_viewer_open(h, "k", c.url[0], &v), 0);
    read_some(v, 32 * 1024, &got, &end);
    assert_int_equal(wait_state(v, MEDIA_PLAYING), MEDIA_PLAYING);

    int port = c.port, sport = status_port(&c);
    fakecam_signal(&c, SIGKILL);
    fakecam_stop(&c); /* reaps it */
    assert_int_equal(wait_state(v, MEDIA_RETRYING), MEDIA_RETRYING);
    media_viewer_info(v, &info);
    assert_true(info.error[0] != 0);
    assert_null(strstr(info.error, "rtsp://")); /* the host only, never the URL */
    assert_int_equal(info.viewers, 1);
    /* drain what came before the kill */
    read_some(v, SIZE_MAX, &got, &end);
    assert_false(end);
    buf_reset(&got);

    assert_int_equal(camera(&c, mounts, port, sport), 0);
    assert_int_equal(wait_state(v, MEDIA_PLAYING), MEDIA_PLAYING);
    read_some(v, 32 * 1024, &got, &end);
    assert_false(end);
    boxes((const uint8_t *)got.data, got.len, &types);
    assert_true(!strncmp(types.data, "ftyp moov moof mdat ", 20));
    media_viewer_info(v, &info);
    assert_true(info.reconnects >= 1);
    assert_true(saw(MEDIA_PLAYING, mark) && saw(MEDIA_RETRYING, mark));
    assert_int_equal(sessions(&c), 1);

    media_viewer_close(v);
    media_hub_free(h);
    fakecam_stop(&c);
    buf_release(&got);
    buf_release(&types);
}

/* A frozen camera (SIGSTOP): the read deadline (rw_timeout_ms) ends the wait, the state
 * leaves PLAYING; no thread hangs (media_hub_free returns). */
static void test_frozen_camera(void **state)
{
    (void)state;
    NEED_CAMERA();
    static const char *const mounts[] = { "live", NULL };
    struct fakecam c = { 0 };
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *v = NULL;
    struct buf got = BUF_INIT;
    struct media_info info;
    bool end;

    assert_int_equal(camera(&c, mounts, 0, 0), 0);
    assert_int_equal(media_viewer_open(h, "f", c.url[0], &v), 0);
    read_some(v, 32 * 1024, &got, &end);
    assert_int_equal(wait_state(v, MEDIA_PLAYING), MEDIA_PLAYING);
    fakecam_signal(&c, SIGSTOP);
    assert_int_equal(wait_state(v, MEDIA_RETRYING), MEDIA_RETRYING);
    media_viewer_info(v, &info);
    assert_non_null(strstr(info.error, "timed out"));
    media_viewer_close(v);
    media_hub_free(h);
    fakecam_stop(&c);
    buf_release(&got);
}

static bool has_line(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, prefix, strlen(prefix)))
            return true;
    return false;
}

/* save writes name's bytes (media_viewer_file) under dir. */
static bool save(struct media_viewer *v, const char *dir, const char *name)
{
    struct buf b = BUF_INIT;
    char path[512];
    bool ok = false;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (media_viewer_file(v, name, &b) == 0) {
        FILE *f = fopen(path, "wb");
        ok = f && fwrite(b.data, 1, b.len, f) == b.len;
        if (f)
            ok &= fclose(f) == 0;
    }
    buf_release(&b);
    return ok;
}

/* ffprobe_reads stores the playlist with its init segment and whole segments in a
 * temporary folder and has FFmpeg's HLS demuxer (ffprobe, another program) read it: the
 * stream must be H.264 640x360 with one packet per frame of the listed segments. */
static bool ffprobe_reads(struct media_viewer *v, const char *playlist)
{
    char dir[] = "/tmp/jy-hls-XXXXXX", path[600], line[256], cmd[800];
    int segments = 0;
    if (!mkdtemp(dir))
        return false;
    snprintf(path, sizeof path, "%s/seg", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/index.m3u8", dir);
    FILE *f = fopen(path, "w");
    /* ENDLIST: for the reader a finished copy, else FFmpeg waits for the live playlist to grow */
    bool ok = f && fputs(playlist, f) >= 0 && fputs("#EXT-X-ENDLIST\n", f) >= 0;
    if (f)
        fclose(f);
    ok = ok && save(v, dir, "init.mp4");
    for (const char *p = playlist; ok && *p; p = strchr(p, '\n') + 1) {
        size_t n = strcspn(p, "\n");
        if (*p != '#' && n && n < sizeof line) {
            memcpy(line, p, n);
            line[n] = 0;
            ok = save(v, dir, line);
            segments++;
        }
        if (!p[n])
            break;
    }
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -count_packets -select_streams v:0 -show_entries "
             "stream=codec_name,width,height,nb_read_packets -of csv=p=0 %s/index.m3u8 2>&1; rm -rf %s",
             dir, dir);
    FILE *pp = ok ? popen(cmd, "r") : NULL;
    char out[256] = "", want[64];
    if (pp) {
        if (!fgets(out, sizeof out, pp))
            out[0] = 0;
        pclose(pp);
    }
    snprintf(want, sizeof want, "h264,640,360,%d\n", segments * GOP);
    if (strcmp(out, want))
        print_message("ffprobe said \"%s\", expected \"%s\"\n", out, want);
    return ok && !strcmp(out, want);
}

/* LL-HLS: the playlist's structure, a part and a segment made of whole boxes, blocking
 * reload of a future part, bad names. */
static void test_hls(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *v = NULL;
    struct buf pl = BUF_INIT, file = BUF_INIT, types = BUF_INIT;
    int rc = ERR_UNAVAILABLE;

    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &v), 0);
    /* wait for two complete segments: ask for msn 2 with blocking-reload semantics */
    for (int i = 0; i < POLLS && rc == ERR_UNAVAILABLE; i++) {
        buf_reset(&pl);
        if ((rc = media_viewer_playlist(v, 2, -1, &pl)) == ERR_UNAVAILABLE)
            sleep_ms(25);
    }
    assert_int_equal(rc, 0);
    const char *t = pl.data;
    assert_true(!strncmp(t, "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n", 48));
    assert_true(has_line(t, "#EXT-X-PART-INF:PART-TARGET=0.2"));
    assert_true(has_line(t, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK="));
    assert_true(has_line(t, "#EXT-X-MAP:URI=\"init.mp4\""));
    assert_true(has_line(t, "#EXT-X-MEDIA-SEQUENCE:"));
    assert_true(has_line(t, "#EXTINF:0.4"));
    assert_true(has_line(t, "seg/0.m4s") && has_line(t, "seg/1.m4s") && has_line(t, "seg/2.m4s"));
    assert_true(has_line(t, "#EXT-X-PART:DURATION=0.2"));
    assert_non_null(strstr(t, ",URI=\"seg/2.0.m4s\",INDEPENDENT=YES\n"));
    assert_true(has_line(t, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg/"));

    assert_int_equal(media_viewer_file(v, "init.mp4", &file), 0);
    boxes((const uint8_t *)file.data, file.len, &types);
    assert_string_equal(types.data, "ftyp moov ");
    buf_reset(&file), buf_reset(&types);
    assert_int_equal(media_viewer_file(v, "seg/2.0.m4s", &file), 0);
    boxes((const uint8_t *)file.data, file.len, &types);
    assert_true(!strncmp(types.data, "moof mdat moof mdat ", 20)); /* ~200 ms = 5 frames */
    buf_reset(&file), buf_reset(&types);
    assert_int_equal(media_viewer_file(v, "seg/2.m4s", &file), 0);
    boxes((const uint8_t *)file.data, file.len, &types);
    assert_int_equal(types.len, GOP * 10); /* one GOP: GOP x "moof mdat " */

    assert_true(ffprobe_reads(v, pl.data));

    buf_reset(&pl);
    assert_int_equal(media_viewer_playlist(v, 1000000, 0, &pl), ERR_UNAVAILABLE);
    assert_int_equal(media_viewer_file(v, "seg/1000000.0.m4s", &file), ERR_NOT_FOUND);
    assert_int_equal(media_viewer_file(v, "seg/01.m4s", &file), ERR_INVALID);
    assert_int_equal(media_viewer_file(v, "seg/1.m4s/../x", &file), ERR_INVALID);
    assert_int_equal(media_viewer_file(v, "index.m3u8", &file), ERR_INVALID);
    media_viewer_close(v);
    media_hub_free(h);
    buf_release(&pl);
    buf_release(&file);
    buf_release(&types);
}

/* mfhd_seq returns the sequence number of the moof at p (the muxer counts fragments). */
static uint32_t mfhd_seq(const uint8_t *p)
{
    assert_memory_equal(p + 4, "moof", 4);
    assert_memory_equal(p + 12, "mfhd", 4);
    return be32(p + 20);
}

/* A viewer that stops reading falls off the ring's end and, when it reads again, skips to
 * the newest keyframe: the stream continues with whole boxes and a jump in the fragment
 * numbers instead of growing memory. */
static void test_fall_off_ring(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(4, 96 * 1024);
    struct media_viewer *v = NULL;
    struct buf got = BUF_INIT, types = BUF_INIT;
    struct media_info info;
    char chunk[512 * 1024];
    bool end;

    assert_int_equal(media_viewer_open(h, "c1", cam.url[0], &v), 0);
    read_some(v, 1, &got, &end);
    assert_int_equal(wait_state(v, MEDIA_PLAYING), MEDIA_PLAYING);
    size_t n = media_viewer_read(v, chunk, sizeof chunk, &end);
    buf_add(&got, chunk, n);
    boxes((const uint8_t *)got.data, got.len, &types);
    media_viewer_info(v, &info);
    uint64_t before = info.fragments;
    for (int i = 0; i < POLLS && info.fragments < before + 4 * GOP; i++) {
        sleep_ms(25);
        media_viewer_info(v, &info);
    }
    assert_true(info.fragments >= before + 4 * GOP); /* far more than 96 KiB came meanwhile */
    /* the last fragment read before the pause */
    size_t off = 0, last_moof = 0;
    while (off < got.len) {
        if (!memcmp(got.data + off + 4, "moof", 4))
            last_moof = off;
        off += be32((const uint8_t *)got.data + off);
    }
    uint32_t seq_before = mfhd_seq((const uint8_t *)got.data + last_moof);
    buf_reset(&got), buf_reset(&types);
    for (int i = 0; i < POLLS && got.len == 0; i++) {
        n = media_viewer_read(v, chunk, sizeof chunk, &end);
        buf_add(&got, chunk, n);
        if (!n)
            sleep_ms(25);
    }
    assert_true(got.len > 0);
    boxes((const uint8_t *)got.data, got.len, &types);
    assert_true(!strncmp(types.data, "moof mdat", 9));
    assert_true(mfhd_seq((const uint8_t *)got.data) > seq_before + GOP);
    media_viewer_close(v);
    media_hub_free(h);
    buf_release(&got);
    buf_release(&types);
}

static bool is_jpeg(const struct buf *b)
{
    const uint8_t *p = (const uint8_t *)b->data;
    return b->len > 1000 && p[0] == 0xFF && p[1] == 0xD8 && p[b->len - 2] == 0xFF && p[b->len - 1] == 0xD9;
}

/* Snapshots: by a brief fetch when no session runs (it counts against the cap), from the
 * running session's keyframe otherwise; a second call within max_age is the cached JPEG. */
static void test_snapshot(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(1, 0);
    struct media_viewer *v = NULL;
    struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT, got = BUF_INIT;
    struct media_stats st;
    bool end;

    assert_int_equal(media_snapshot(h, "s1", cam.url[0], 60000, &a), 0);
    assert_true(is_jpeg(&a));
    assert_int_equal(media_snapshot(h, "s1", cam.url[0], 60000, &b), 0); /* cached */
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(media_snapshot(h, "s9", NULL, 1000, &c), ERR_NOT_FOUND);
    assert_int_equal(media_snapshot(h, "s9", "http://x/", 1000, &c), ERR_INVALID);

    assert_int_equal(media_viewer_open(h, "s2", cam.url[2], &v), 0); /* H.265 */
    read_some(v, 16 * 1024, &got, &end);
    assert_int_equal(wait_state(v, MEDIA_PLAYING), MEDIA_PLAYING);
    assert_int_equal(media_snapshot(h, "s1", cam.url[0], 0, &c), ERR_UNAVAILABLE); /* cap: 1 */
    media_hub_stats(h, &st);
    assert_int_equal(st.busy_refusals, 1);
    buf_reset(&c);
    assert_int_equal(media_snapshot(h, "s2", NULL, 0, &c), 0); /* the session's keyframe */
    assert_true(is_jpeg(&c));
    media_viewer_close(v);
    media_hub_free(h);
    buf_release(&a), buf_release(&b), buf_release(&c), buf_release(&got);
}

/* H.265: passed through as hvc1 when no transcode slot is free; with max_transcodes 1 the
 * viewer gets H.264 (avc1) and the hub counts one transcode. */
static void test_h265(void **state)
{
    (void)state;
    NEED_CAMERA();
    struct media_hub *h = hub_new(4, 0);
    struct media_viewer *v = NULL;
    struct buf got = BUF_INIT, types = BUF_INIT;
    struct media_info info;
    struct media_stats st;
    bool end;

    assert_int_equal(media_viewer_open(h, "h", cam.url[2], &v), 0);
    read_some(v, 16 * 1024, &got, &end);
    boxes((const uint8_t *)got.data, got.len, &types);
    assert_true(!strncmp(types.data, "ftyp moov moof mdat ", 20));
    media_viewer_info(v, &info);
    assert_true(info.upstream_h265);
    assert_false(info.transcoded);
    assert_true(!strncmp(info.codec, "hvc1.1.6.L", 10));
    media_viewer_close(v);
    media_hub_free(h);

    struct media_config cfg = { .max_transcodes = 1, .linger_ms = 1000, .rw_timeout_ms = 3000 };
    assert_int_equal(media_hub_new(&cfg, NULL, NULL, &h), 0);
    assert_int_equal(media_viewer_open(h, "h", cam.url[2], &v), 0);
    buf_reset(&got), buf_reset(&types);
    read_some(v, 16 * 1024, &got, &end);
    boxes((const uint8_t *)got.data, got.len, &types);
    assert_true(!strncmp(types.data, "ftyp moov moof mdat ", 20));
    media_viewer_info(v, &info);
    assert_true(info.upstream_h265);
    assert_true(info.transcoded);
    assert_true(!strncmp(info.codec, "avc1.", 5));
    media_hub_stats(h, &st);
    assert_int_equal(st.transcodes, 1);
    media_viewer_close(v);
    media_hub_free(h);
    buf_release(&got), buf_release(&types);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_boxes),
        cmocka_unit_test(test_share_and_linger),
        cmocka_unit_test(test_cap_and_bad_input),
        cmocka_unit_test(test_hls),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_h265),
        cmocka_unit_test(test_fall_off_ring),
        cmocka_unit_test(test_killed_camera_returns),
        cmocka_unit_test(test_frozen_camera),
    };
    return cmocka_run_group_tests_name("media/hub", tests, suite_setup, suite_teardown);
}
