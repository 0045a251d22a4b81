/* tests/unit/media/test_snapshot.c - media/snapshot.h against real RTSP cameras (issue 9;
 * R3.1 thumbnails, R3.9): tests/support/fake_camera.py serving the SMPTE bars in H.264 and
 * H.265 at 640x360. A JPEG must start with FF D8 and end with FF D9, decode back (with
 * libavcodec's own mjpeg decoder, here in the test) to 640x360 with the picture's mean luma
 * expanded from limited to full range, not ~0; a packet that is not a keyframe, garbage and
 * an empty packet give ERR_INVALID; a closed port, a frozen camera and a non-RTSP URL give
 * their errors without a hang. Values only, never durations.
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
#include <unistd.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "core/buf.h"
#include "core/err.h"
#include "fakecam.h"
#include "media/rtsp_in.h"
#include "media/snapshot.h"

static struct fakecam cam;   /* cam1 H.264 (Constrained Baseline), cam2 H.265, cam3 H.264 High */

static int
group_setup(void **state)
{
    static const char *const args[] = { "--mount", "cam1", "--mount", "cam2:h265", "--mount", "cam3:h264:high", NULL };
    if (!fakecam_available())
        return 0;
    return fakecam_start(&cam, args) ? -1 : 0;
}

static int
group_teardown(void **state)
{
    fakecam_stop(&cam);
    return 0;
}

#define NEED_CAMERA()                                                                    \
    do {                                                                                 \
        if (!fakecam_available()) {                                                      \
            print_message("python3-gi / GstRtspServer missing: skipped\n");             \
            skip();                                                                      \
        }                                                                                \
    } while (0)

/* A keyframe and the packet after it (not a keyframe), read from a camera. */
struct sample {
    AVCodecParameters *par;
    AVPacket *key, *next;
};

static void
sample_read(const char *url, struct sample *s)
{
    struct rtsp_in_watchdog w = { 0 };
    AVFormatContext *ic = NULL;
    AVPacket *pkt = av_packet_alloc();
    int averr, vi;

    memset(s, 0, sizeof *s);
    assert_int_equal(rtsp_in_open(url, 10000, false, false, &w, &ic, &averr), 0);
    vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    assert_true(vi >= 0);
    while (!s->next && av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == vi && !s->key && (pkt->flags & AV_PKT_FLAG_KEY))
            s->key = av_packet_clone(pkt);
        else if (pkt->stream_index == vi && s->key && !(pkt->flags & AV_PKT_FLAG_KEY))
            s->next = av_packet_clone(pkt);
        av_packet_unref(pkt);
    }
    assert_non_null(s->key);
    assert_non_null(s->next);
    s->par = avcodec_parameters_alloc();
    assert_int_equal(avcodec_parameters_copy(s->par, ic->streams[vi]->codecpar), 0);
    av_packet_free(&pkt);
    avformat_close_input(&ic);
}

static void
sample_free(struct sample *s)
{
    avcodec_parameters_free(&s->par);
    av_packet_free(&s->key);
    av_packet_free(&s->next);
}

/* decode_luma decodes one packet of codec id with libavcodec and gives the picture's size
 * and the mean of its luma plane (asserting a picture comes out). */
static void
decode_luma(enum AVCodecID id, const AVCodecParameters *par, const uint8_t *data, size_t len,
            int *w, int *h, double *mean, enum AVPixelFormat *fmt)
{
    const AVCodec *dec = avcodec_find_decoder(id);
    AVCodecContext *ctx = avcodec_alloc_context3(dec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    double sum = 0;

    if (par)
        assert_int_equal(avcodec_parameters_to_context(ctx, par), 0);
    assert_int_equal(avcodec_open2(ctx, dec, NULL), 0);
    assert_int_equal(av_new_packet(pkt, (int)len), 0);
    memcpy(pkt->data, data, len);
    pkt->flags |= AV_PKT_FLAG_KEY;
    assert_int_equal(avcodec_send_packet(ctx, pkt), 0);
    avcodec_send_packet(ctx, NULL);
    assert_int_equal(avcodec_receive_frame(ctx, f), 0);
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++)
            sum += f->data[0][(ptrdiff_t)y * f->linesize[0] + x];
    *w = f->width;
    *h = f->height;
    *mean = sum / ((double)f->width * f->height);
    *fmt = f->format;
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
}

static void
assert_jpeg(const struct buf *jpeg, double *mean)
{
    enum AVPixelFormat fmt;
    int w, h;
    assert_true(jpeg->len > 1000);
    assert_int_equal((uint8_t)jpeg->data[0], 0xFF);
    assert_int_equal((uint8_t)jpeg->data[1], 0xD8);
    assert_int_equal((uint8_t)jpeg->data[jpeg->len - 2], 0xFF);
    assert_int_equal((uint8_t)jpeg->data[jpeg->len - 1], 0xD9);
    decode_luma(AV_CODEC_ID_MJPEG, NULL, (const uint8_t *)jpeg->data, jpeg->len, &w, &h, mean, &fmt);
    assert_int_equal(w, 640);
    assert_int_equal(h, 360);
    assert_int_equal(fmt, AV_PIX_FMT_YUVJ420P);   /* full range, as JFIF means it */
    assert_true(*mean > 60.0);                     /* the SMPTE bars, not a black picture */
}

/* The keyframe of each camera: the JPEG's mean luma is the source's, expanded from
 * limited range ([16, 235] -> [0, 255]). */
static void
check_keyframe(const char *url, enum AVCodecID want)
{
    struct buf jpeg = BUF_INIT;
    struct sample s;
    enum AVPixelFormat fmt;
    double src_mean, jpg_mean, want_mean;
    int w, h;

    sample_read(url, &s);
    assert_int_equal(s.par->codec_id, want);
    decode_luma(s.par->codec_id, s.par, s.key->data, (size_t)s.key->size, &w, &h, &src_mean, &fmt);
    assert_int_equal(fmt, AV_PIX_FMT_YUV420P);
    assert_int_equal(media_snapshot_jpeg(s.par, s.key, &jpeg), 0);
    assert_jpeg(&jpeg, &jpg_mean);
    want_mean = (src_mean - 16.0) * 255.0 / 219.0;
    print_message("source mean luma %.1f (limited), JPEG %.1f, expected %.1f\n", src_mean, jpg_mean, want_mean);
    assert_true(jpg_mean > want_mean - 3.0 && jpg_mean < want_mean + 3.0);

    /* the packet after the keyframe has no picture of its own */
    assert_int_equal(media_snapshot_jpeg(s.par, s.next, &jpeg), ERR_INVALID);
    assert_int_equal(jpeg.len, 0);
    buf_release(&jpeg);
    sample_free(&s);
}

static void
test_snapshot_h264(void **state)
{
    NEED_CAMERA();
    check_keyframe(cam.url[0], AV_CODEC_ID_H264);
}

static void
test_snapshot_h265(void **state)
{
    NEED_CAMERA();
    check_keyframe(cam.url[1], AV_CODEC_ID_HEVC);
}

static void
test_snapshot_h264_high(void **state)
{
    NEED_CAMERA();
    check_keyframe(cam.url[2], AV_CODEC_ID_H264);
}

/* Damaged input never crashes: garbage, a truncated keyframe, an empty packet, no codec. */
static void
test_snapshot_bad_packets(void **state)
{
    struct buf jpeg = BUF_INIT;
    struct sample s;
    AVPacket *p = av_packet_alloc();
    AVCodecParameters *none = avcodec_parameters_alloc();
    NEED_CAMERA();

    sample_read(cam.url[0], &s);
    assert_int_equal(av_new_packet(p, 4096), 0);
    for (int i = 0; i < p->size; i++)
        p->data[i] = (uint8_t)(i * 131 + 7);
    assert_int_equal(media_snapshot_jpeg(s.par, p, &jpeg), ERR_INVALID);
    av_packet_unref(p);
    assert_int_equal(media_snapshot_jpeg(s.par, p, &jpeg), ERR_INVALID);   /* empty */
    assert_int_equal(media_snapshot_jpeg(none, s.key, &jpeg), ERR_INVALID); /* no codec */
    assert_int_equal(av_new_packet(p, 40), 0);                              /* truncated */
    memcpy(p->data, s.key->data, 40);
    assert_int_equal(media_snapshot_jpeg(s.par, p, &jpeg), ERR_INVALID);
    assert_int_equal(jpeg.len, 0);
    av_packet_free(&p);
    avcodec_parameters_free(&none);
    sample_free(&s);
    buf_release(&jpeg);
}

static void
test_snapshot_fetch(void **state)
{
    struct buf jpeg = BUF_INIT;
    double mean;
    NEED_CAMERA();
    for (int i = 0; i < 2; i++) {
        assert_int_equal(media_snapshot_fetch(cam.url[i], 10000, false, &jpeg), 0);
        assert_jpeg(&jpeg, &mean);
    }
    buf_release(&jpeg);
}

/* A JPEG that does not fit the buffer's cap is ERR_TOO_LARGE, and the buffer is empty. */
static void
test_snapshot_cap(void **state)
{
    struct buf jpeg = BUF_INIT;
    struct sample s;
    NEED_CAMERA();
    sample_read(cam.url[0], &s);
    buf_init(&jpeg, 1000);
    assert_int_equal(media_snapshot_jpeg(s.par, s.key, &jpeg), ERR_TOO_LARGE);
    assert_int_equal(jpeg.len, 0);
    buf_release(&jpeg);
    sample_free(&s);
}

static void
test_snapshot_fetch_errors(void **state)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    struct buf jpeg = BUF_INIT;
    char url[64];
    int s = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(media_snapshot_fetch("http://127.0.0.1/x.jpg", 1000, false, &jpeg), ERR_INVALID);
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/cam1", ntohs(sa.sin_port));
    assert_int_equal(media_snapshot_fetch(url, 2000, false, &jpeg), ERR_UNAVAILABLE);
    assert_int_equal(jpeg.len, 0);
    if (fakecam_available()) {   /* a frozen camera: the deadline, not a hang */
        fakecam_signal(&cam, SIGSTOP);
        assert_int_equal(media_snapshot_fetch(cam.url[0], 800, false, &jpeg), ERR_UNAVAILABLE);
        fakecam_signal(&cam, SIGCONT);
        assert_int_equal(jpeg.len, 0);
    }
    buf_release(&jpeg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_h264),
        cmocka_unit_test(test_snapshot_h265),
        cmocka_unit_test(test_snapshot_h264_high),
        cmocka_unit_test(test_snapshot_bad_packets),
        cmocka_unit_test(test_snapshot_cap),
        cmocka_unit_test(test_snapshot_fetch),
        cmocka_unit_test(test_snapshot_fetch_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
