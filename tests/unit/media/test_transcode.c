/* tests/unit/media/test_transcode.c - media/transcode.h on packets of a real H.265 camera
 * (issue 9; R3.1, R3.5): tests/support/fake_camera.py's x265 SMPTE bars, 640x360, 25 fps,
 * a keyframe every 25 frames. The H.264 that comes out starts with a keyframe, keeps the
 * camera's keyframes and timestamps in order, has SPS/PPS in its parameters, decodes frame
 * for frame with libavcodec's h264 decoder to a picture that is not black, and goes into an
 * MP4 (the gateway's muxer, fragmented) that reads back as H.264. Bad parameters, input
 * after the flush and an emit callback's error are checked too. Values only: the CPU used
 * is printed for the notes, never asserted.
 *
 * JY_TRANSCODE_SECONDS (default 3) sets how much of the camera is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "core/err.h"
#include "fakecam.h"
#include "media/rtsp_in.h"
#include "media/transcode.h"

static struct fakecam cam;   /* cam1 H.265 */

/* What the camera sent: its parameters, time base and packets (from the start of the
 * session, so it begins mid-GOP or with a keyframe as it happens). */
static AVCodecParameters *in_par;
static AVRational in_tb;
static AVPacket *in_pkts[1024];
static size_t n_in, n_in_keys;

static int
group_setup(void **state)
{
    static const char *const args[] = { "--mount", "cam1:h265", NULL };
    struct rtsp_in_watchdog w = { 0 };
    AVFormatContext *ic = NULL;
    AVPacket *pkt;
    const char *env = getenv("JY_TRANSCODE_SECONDS");
    size_t want = 25 * (size_t)(env ? atoi(env) : 3);
    int averr, vi;

    if (!fakecam_available())
        return 0;
    if (want < 25 || want > sizeof in_pkts / sizeof in_pkts[0])
        want = 75;
    if (fakecam_start(&cam, args) || rtsp_in_open(cam.url[0], 10000, false, false, &w, &ic, &averr))
        return -1;
    rtsp_in_watchdog_arm(&w, 60000);
    if (avformat_find_stream_info(ic, NULL) < 0 || (vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0)
        return -1;
    pkt = av_packet_alloc();
    while (n_in < want && av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == vi) {
            n_in_keys += (pkt->flags & AV_PKT_FLAG_KEY) != 0;
            in_pkts[n_in++] = av_packet_clone(pkt);
        }
        av_packet_unref(pkt);
    }
    in_par = avcodec_parameters_alloc();
    avcodec_parameters_copy(in_par, ic->streams[vi]->codecpar);
    in_tb = ic->streams[vi]->time_base;
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    return n_in == want ? 0 : -1;
}

static int
group_teardown(void **state)
{
    for (size_t i = 0; i < n_in; i++)
        av_packet_free(&in_pkts[i]);
    avcodec_parameters_free(&in_par);
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

/* The packets that came out, in order. */
struct sink {
    AVPacket *pkts[1024];
    size_t n, keys;
    int fail_at;   /* emit returns ERR_IO at this packet (1-based); 0 never */
};

static int
sink_emit(void *cls, AVPacket *out)
{
    struct sink *s = cls;
    if (s->fail_at && (int)s->n + 1 == s->fail_at)
        return ERR_IO;
    assert_true(s->n < sizeof s->pkts / sizeof s->pkts[0]);
    assert_int_equal(out->stream_index, 0);
    s->pkts[s->n] = av_packet_alloc();
    av_packet_move_ref(s->pkts[s->n], out);   /* emit may take the reference */
    s->keys += (s->pkts[s->n]->flags & AV_PKT_FLAG_KEY) != 0;
    s->n++;
    return 0;
}

static void
sink_release(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        av_packet_free(&s->pkts[i]);
    s->n = s->keys = 0;
}

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* transcode_all runs every camera packet and the flush through a new transcoder. */
static struct media_transcoder *
transcode_all(struct sink *s)
{
    struct media_transcoder *t = NULL;
    double cpu0 = cpu_seconds(), cpu;

    assert_int_equal(media_transcoder_new(in_par, in_tb, &t), 0);
    for (size_t i = 0; i < n_in; i++)
        assert_int_equal(media_transcoder_send(t, in_pkts[i], sink_emit, s), 0);
    assert_int_equal(media_transcoder_send(t, NULL, sink_emit, s), 0);
    cpu = cpu_seconds() - cpu0;
    print_message("transcode 640x360 hevc->h264: %zu packets in, %zu pictures out (%.1f s of video), "
                  "cpu user+sys %.2f s = %.1f%% of one core at 25 fps\n", n_in, s->n, s->n / 25.0, cpu,
                  s->n ? 100.0 * cpu / (s->n / 25.0) : 0.0);
    return t;
}

/* The camera sends H.265 and its first packets may precede a keyframe. */
static void
test_transcode_input(void **state)
{
    NEED_CAMERA();
    assert_int_equal(in_par->codec_id, AV_CODEC_ID_HEVC);
    assert_int_equal(in_par->width, 640);
    assert_int_equal(in_par->height, 360);
    assert_true(n_in_keys >= 2);
}

static void
test_transcode_h264_out(void **state)
{
    struct sink s = { 0 };
    struct media_transcoder *t;
    const AVCodecParameters *par;
    int64_t first_key_pts = AV_NOPTS_VALUE;
    size_t in_keys_after = 0;
    NEED_CAMERA();

    t = transcode_all(&s);
    par = media_transcoder_params(t);
    assert_int_equal(par->codec_id, AV_CODEC_ID_H264);
    assert_int_equal(par->codec_tag, 0);
    assert_int_equal(par->width, 640);
    assert_int_equal(par->height, 360);
    assert_true(par->extradata_size > 8);
    /* global header: Annex-B SPS (type 7) then PPS (type 8) in the extradata */
    assert_memory_equal(par->extradata, "\0\0\0\1", 4);
    assert_int_equal(par->extradata[4] & 0x1f, 7);
    assert_int_equal(media_transcoder_time_base(t).num, in_tb.num);
    assert_int_equal(media_transcoder_time_base(t).den, in_tb.den);

    /* pictures from the first input keyframe on, one packet each; the first is a keyframe */
    for (size_t i = 0; i < n_in; i++) {
        if ((in_pkts[i]->flags & AV_PKT_FLAG_KEY) && first_key_pts == AV_NOPTS_VALUE)
            first_key_pts = in_pkts[i]->pts;
        if (first_key_pts != AV_NOPTS_VALUE)
            in_keys_after += (in_pkts[i]->flags & AV_PKT_FLAG_KEY) != 0;
    }
    assert_true(s.n >= n_in - 25 - 1 && s.n <= n_in);
    assert_true(s.pkts[0]->flags & AV_PKT_FLAG_KEY);
    /* the camera's keyframes are kept (and x264 adds none in a 25-frame GOP) */
    assert_int_equal(s.keys, in_keys_after);
    for (size_t i = 1; i < s.n; i++) {
        assert_true(s.pkts[i]->pts > s.pkts[i - 1]->pts);
        assert_int_equal(s.pkts[i]->dts, s.pkts[i]->pts);   /* zerolatency: no B-frames */
    }
    /* the packets carry no parameter sets: those are in the extradata */
    for (size_t i = 0; i < s.n; i++)
        assert_false(s.pkts[i]->size > 5 && !memcmp(s.pkts[i]->data, "\0\0\0\1", 4) &&
                     (s.pkts[i]->data[4] & 0x1f) == 7);
    sink_release(&s);
    media_transcoder_free(t);
}

/* Every packet decodes (with the extradata) to a 640x360 picture that is not black. */
static void
test_transcode_decodes(void **state)
{
    struct sink s = { 0 };
    struct media_transcoder *t;
    const AVCodec *dec = avcodec_find_decoder(AV_CODEC_ID_H264);
    AVCodecContext *ctx = avcodec_alloc_context3(dec);
    AVFrame *f = av_frame_alloc();
    size_t frames = 0;
    double sum = 0;
    NEED_CAMERA();

    t = transcode_all(&s);
    assert_int_equal(avcodec_parameters_to_context(ctx, media_transcoder_params(t)), 0);
    assert_int_equal(avcodec_open2(ctx, dec, NULL), 0);
    for (size_t i = 0; i <= s.n; i++) {
        assert_int_equal(avcodec_send_packet(ctx, i < s.n ? s.pkts[i] : NULL), 0);
        while (avcodec_receive_frame(ctx, f) == 0) {
            assert_int_equal(f->width, 640);
            assert_int_equal(f->height, 360);
            assert_int_equal(f->decode_error_flags, 0);
            if (frames++ == 0)
                for (int y = 0; y < f->height; y++)
                    for (int x = 0; x < f->width; x++)
                        sum += f->data[0][(ptrdiff_t)y * f->linesize[0] + x];
            av_frame_unref(f);
        }
    }
    assert_int_equal(frames, s.n);
    assert_true(sum / (640.0 * 360.0) > 60.0);
    av_frame_free(&f);
    avcodec_free_context(&ctx);
    sink_release(&s);
    media_transcoder_free(t);
}

/* The output goes into a fragmented MP4 as the gateway writes it, and reads back as H.264. */
static void
test_transcode_into_mp4(void **state)
{
    char path[] = "/tmp/jy-transcode-XXXXXX";
    struct sink s = { 0 };
    struct media_transcoder *t;
    AVFormatContext *oc = NULL, *ic = NULL;
    AVDictionary *mo = NULL;
    AVStream *os;
    AVPacket *pkt = av_packet_alloc();
    size_t n = 0;
    int fd;
    NEED_CAMERA();

    t = transcode_all(&s);
    assert_true((fd = mkstemp(path)) >= 0);
    close(fd);
    assert_true(avformat_alloc_output_context2(&oc, NULL, "mp4", path) >= 0);
    os = avformat_new_stream(oc, NULL);
    assert_int_equal(avcodec_parameters_copy(os->codecpar, media_transcoder_params(t)), 0);
    os->time_base = media_transcoder_time_base(t);
    assert_true(avio_open(&oc->pb, path, AVIO_FLAG_WRITE) >= 0);
    av_dict_set(&mo, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    assert_true(avformat_write_header(oc, &mo) >= 0);
    av_dict_free(&mo);
    for (size_t i = 0; i < s.n; i++) {
        av_packet_rescale_ts(s.pkts[i], media_transcoder_time_base(t), os->time_base);
        assert_true(av_write_frame(oc, s.pkts[i]) >= 0);
    }
    assert_true(av_write_trailer(oc) >= 0);
    avio_closep(&oc->pb);
    avformat_free_context(oc);

    assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(ic, NULL) >= 0);
    assert_int_equal(ic->streams[0]->codecpar->codec_id, AV_CODEC_ID_H264);
    assert_int_equal(ic->streams[0]->codecpar->codec_tag, MKTAG('a', 'v', 'c', '1'));
    assert_int_equal(ic->streams[0]->codecpar->width, 640);
    while (av_read_frame(ic, pkt) >= 0) {
        n++;
        av_packet_unref(pkt);
    }
    assert_int_equal(n, s.n);
    avformat_close_input(&ic);
    unlink(path);
    av_packet_free(&pkt);
    sink_release(&s);
    media_transcoder_free(t);
}

/* Input after the flush is refused; an emit error stops the call and is returned. */
static void
test_transcode_flush_and_emit_error(void **state)
{
    struct sink s = { 0 };
    struct media_transcoder *t = NULL;
    size_t i, all;
    int rc = 0;
    NEED_CAMERA();

    media_transcoder_free(transcode_all(&s));   /* how many come out without an error */
    all = s.n;
    sink_release(&s);
    assert_int_equal(media_transcoder_new(in_par, in_tb, &t), 0);
    s.fail_at = 3;
    for (i = 0; i < n_in && !rc; i++)
        rc = media_transcoder_send(t, in_pkts[i], sink_emit, &s);
    assert_int_equal(rc, ERR_IO);
    assert_int_equal(s.n, 2);
    s.fail_at = 0;
    for (; i < n_in; i++)
        assert_int_equal(media_transcoder_send(t, in_pkts[i], sink_emit, &s), 0);
    assert_int_equal(media_transcoder_send(t, NULL, sink_emit, &s), 0);
    assert_int_equal(media_transcoder_send(t, in_pkts[0], sink_emit, &s), ERR_INVALID);
    assert_int_equal(media_transcoder_send(t, NULL, sink_emit, &s), ERR_INVALID);
    assert_int_equal(s.n, all - 1);   /* only the refused packet is missing */
    for (i = 1; i < s.n; i++)
        assert_true(s.pkts[i]->pts > s.pkts[i - 1]->pts);
    sink_release(&s);
    media_transcoder_free(t);
}

/* Damaged packets are skipped without a crash; the stream goes on. */
static void
test_transcode_damaged_input(void **state)
{
    struct sink s = { 0 };
    struct media_transcoder *t = NULL;
    AVPacket *bad = av_packet_alloc();
    NEED_CAMERA();

    assert_int_equal(av_new_packet(bad, 3000), 0);
    for (int i = 0; i < bad->size; i++)
        bad->data[i] = (uint8_t)(i * 37 + 11);
    assert_int_equal(media_transcoder_new(in_par, in_tb, &t), 0);
    for (size_t i = 0; i < n_in; i++) {
        if (i % 10 == 5)
            assert_int_equal(media_transcoder_send(t, bad, sink_emit, &s), 0);
        assert_int_equal(media_transcoder_send(t, in_pkts[i], sink_emit, &s), 0);
    }
    assert_int_equal(media_transcoder_send(t, NULL, sink_emit, &s), 0);
    assert_true(s.n > 0);
    assert_true(s.pkts[0]->flags & AV_PKT_FLAG_KEY);
    for (size_t i = 1; i < s.n; i++)
        assert_true(s.pkts[i]->pts > s.pkts[i - 1]->pts);
    av_packet_free(&bad);
    sink_release(&s);
    media_transcoder_free(t);
}

static void
test_transcode_bad_params(void **state)
{
    AVCodecParameters *p = avcodec_parameters_alloc();
    struct media_transcoder *t = (struct media_transcoder *)&t;

    p->codec_type = AVMEDIA_TYPE_VIDEO;
    p->codec_id = AV_CODEC_ID_HEVC;
    p->format = AV_PIX_FMT_YUV420P;
    assert_int_equal(media_transcoder_new(p, (AVRational){ 1, 90000 }, &t), ERR_INVALID); /* no size */
    assert_null(t);
    p->width = 640;
    p->height = 360;
    assert_int_equal(media_transcoder_new(p, (AVRational){ 0, 1 }, &t), ERR_INVALID);     /* no time base */
    p->format = AV_PIX_FMT_YUV444P10LE;
    assert_int_equal(media_transcoder_new(p, (AVRational){ 1, 90000 }, &t), ERR_INVALID); /* 10-bit 4:4:4 */
    p->format = AV_PIX_FMT_YUV420P;
    p->codec_id = AV_CODEC_ID_NONE;
    assert_int_equal(media_transcoder_new(p, (AVRational){ 1, 90000 }, &t), ERR_INVALID); /* no decoder */
    assert_int_equal(media_transcoder_new(NULL, (AVRational){ 1, 90000 }, &t), ERR_INVALID);
    p->codec_id = AV_CODEC_ID_HEVC;
    assert_int_equal(media_transcoder_new(p, (AVRational){ 1, 90000 }, &t), 0);
    assert_int_equal(media_transcoder_params(t)->codec_id, AV_CODEC_ID_H264);
    media_transcoder_free(t);
    media_transcoder_free(NULL);
    avcodec_parameters_free(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcode_bad_params),
        cmocka_unit_test(test_transcode_input),
        cmocka_unit_test(test_transcode_h264_out),
        cmocka_unit_test(test_transcode_decodes),
        cmocka_unit_test(test_transcode_into_mp4),
        cmocka_unit_test(test_transcode_flush_and_emit_error),
        cmocka_unit_test(test_transcode_damaged_input),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
