/* tools/proto/rtsp_to_fmp4.c - PROTOTYPE for issue 9 (live video), not part of the build.
 *
 * A throw-away experiment that answers "can Debian 12's libavformat 59 pull RTSP over TCP
 * with an interrupt callback and a timeout, and remux H.264/H.265 into fragmented MP4
 * without transcoding, and how soon is the first fragment out?". It is not production
 * code: no reconnect, no sharing between viewers, video only, everything on stderr. The real
 * gateway goes to src/media/ (docs/design/live-video.md). CMake does not glob tools/proto/.
 *
 * Build (one call):
 *   cc -std=c17 -O1 -Wall -Wextra -o /tmp/rtsp_to_fmp4 tools/proto/rtsp_to_fmp4.c \
 *      $(pkg-config --cflags --libs libavformat libavcodec libavutil)
 * Run:
 *   /tmp/rtsp_to_fmp4 URL OUT.mp4 [SECONDS] [--per-frame] [--no-info] [--deadline-ms N]
 *     OUT.mp4      fragmented MP4 (movflags frag_keyframe+empty_moov+default_base_moof);
 *                  "-" writes nothing (timings only)
 *     SECONDS      stop after this long (default 5)
 *     --per-frame  also flush a fragment after every frame (av_write_frame(oc, NULL)),
 *                  the low-latency variant; default is one fragment per keyframe interval
 *     --no-info    skip avformat_find_stream_info (take the codec from the SDP alone)
 *     --probe      health-probe experiment: open with initial_pause=1 (DESCRIBE and
 *                  SETUP, no PLAY), print the codec of each stream from the SDP, close
 *     --deadline-ms N  the interrupt callback aborts any blocking call after N ms without
 *                  progress (default 5000)
 *     --timeout-ms N   the RTSP demuxer's "timeout" option (socket I/O) in ms; default
 *                  the deadline; 0 leaves it unset (only the interrupt callback then)
 * Prints one "key=value" line per event with milliseconds since start: open, info, first
 * packet, first keyframe, init segment (ftyp+moov), first complete fragment (moof+mdat),
 * the RFC 6381 codec string read from the avcC/hvcC box, and the totals.
 */
#define _POSIX_C_SOURCE 200809L
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { (void)sig; g_stop = 1; }

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The interrupt callback: libavformat polls it inside every blocking call. A call that
 * makes no progress for deadline_ms (progress = the caller moved `last`) is aborted.
 * Once fired it stays fired: after an abort av_read_frame first hands out the frame the
 * parser still held (so the caller sees "progress" and moves `last`), and a non-latched
 * watchdog would then wait a second full deadline before the error comes out. */
struct watchdog {
    int64_t last, deadline_ms;
    int fired;
};
static int interrupt_cb(void *opaque)
{
    struct watchdog *w = opaque;
    if (w->fired || g_stop || now_ms() - w->last > w->deadline_ms) {
        w->fired = 1;
        return 1;
    }
    return 0;
}

/* Output side: a custom AVIOContext whose write callback splits the byte stream into
 * top-level MP4 boxes, as the gateway will (keep ftyp+moov as the init segment for late
 * joiners, hand out moof+mdat pairs). */
struct sink {
    FILE *f;
    int64_t t0, init_ms, first_frag_ms;
    uint8_t hdr[8];
    int hdr_len;
    uint64_t left;            /* bytes of the current box still to come */
    char type[5];
    uint8_t init[64 * 1024];  /* ftyp + moov, kept to read the codec box */
    size_t init_len;
    int saw_moov, frags;
    int64_t bytes;
};

static void box_done(struct sink *s)
{
    if (!strcmp(s->type, "moov")) {
        s->saw_moov = 1;
        s->init_ms = now_ms() - s->t0;
        printf("init_segment_ms=%lld bytes=%zu\n", (long long)s->init_ms, s->init_len);
    } else if (!strcmp(s->type, "mdat")) {
        if (s->frags++ == 0) {
            s->first_frag_ms = now_ms() - s->t0;
            printf("first_fragment_ms=%lld\n", (long long)s->first_frag_ms);
        }
    }
}

static int sink_write(void *opaque, uint8_t *buf, int size)
{
    struct sink *s = opaque;
    if (s->f && fwrite(buf, 1, (size_t)size, s->f) != (size_t)size)
        return AVERROR(EIO);
    s->bytes += size;
    for (int i = 0; i < size;) {
        if (!s->saw_moov && s->init_len < sizeof s->init)
            s->init[s->init_len++] = buf[i]; /* byte by byte: fine for a prototype */
        if (s->left == 0) {
            s->hdr[s->hdr_len++] = buf[i++];
            if (s->hdr_len == 8) {
                uint64_t n = (uint64_t)s->hdr[0] << 24 | (uint64_t)s->hdr[1] << 16 |
                             (uint64_t)s->hdr[2] << 8 | s->hdr[3];
                memcpy(s->type, s->hdr + 4, 4);
                s->type[4] = 0;
                s->hdr_len = 0;
                s->left = n >= 8 ? n - 8 : 0; /* 64-bit sizes never occur here */
                if (s->left == 0)
                    box_done(s);
            }
        } else {
            int take = (uint64_t)(size - i) < s->left ? size - i : (int)s->left;
            if (!s->saw_moov) {
                for (int k = 1; k < take && s->init_len < sizeof s->init; k++)
                    s->init[s->init_len++] = buf[i + k];
            }
            i += take;
            s->left -= (uint64_t)take;
            if (s->left == 0)
                box_done(s);
        }
    }
    return size;
}

/* RFC 6381 codec string from the init segment: avc1.PPCCLL from avcC; for hvcC only the
 * profile and level (the full hvc1 string also needs compatibility flags and constraints). */
static void print_codec(const struct sink *s)
{
    for (size_t i = 4; i + 8 < s->init_len; i++) {
        const uint8_t *p = s->init + i;
        if (!memcmp(p, "avcC", 4)) {
            printf("codec=avc1.%02X%02X%02X\n", p[5], p[6], p[7]);
            return;
        }
        if (!memcmp(p, "hvcC", 4) && i + 18 < s->init_len) {
            printf("codec=hev1/hvc1 general_profile_idc=%d general_level_idc=%d "
                   "(MSE string e.g. hvc1.%d.6.L%d.B0)\n",
                   p[5] & 0x1f, p[16], p[5] & 0x1f, p[16]);
            return;
        }
    }
    printf("codec=unknown\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s URL OUT.mp4|- [SECONDS] [--per-frame] [--no-info] [--probe] "
                        "[--deadline-ms N] [--timeout-ms N]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *out = argv[2];
    double seconds = 5;
    int per_frame = 0, no_info = 0, probe = 0;
    long long timeout_ms = -1;
    struct watchdog wd = { .deadline_ms = 5000 };
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--per-frame")) per_frame = 1;
        else if (!strcmp(argv[i], "--no-info")) no_info = 1;
        else if (!strcmp(argv[i], "--probe")) probe = 1;
        else if (!strcmp(argv[i], "--deadline-ms") && i + 1 < argc) wd.deadline_ms = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) timeout_ms = atoll(argv[++i]);
        else seconds = atof(argv[i]);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("libavformat=%s libavcodec=%s\n", AV_STRINGIFY(LIBAVFORMAT_VERSION),
           AV_STRINGIFY(LIBAVCODEC_VERSION));
    avformat_network_init();

    struct sink sink = { .t0 = now_ms() };
    AVFormatContext *ic = avformat_alloc_context();
    ic->interrupt_callback.callback = interrupt_cb;
    ic->interrupt_callback.opaque = &wd;
    AVDictionary *o = NULL;
    char us[32];
    if (timeout_ms < 0)
        timeout_ms = wd.deadline_ms;
    snprintf(us, sizeof us, "%lld", timeout_ms * 1000);
    av_dict_set(&o, "rtsp_transport", "tcp", 0);
    if (timeout_ms > 0)
        av_dict_set(&o, "timeout", us, 0);       /* socket I/O timeout, microseconds */
    av_dict_set(&o, "fflags", "nobuffer", 0);
    av_dict_set(&o, "probesize", "32768", 0);
    av_dict_set(&o, "analyzeduration", "500000", 0);
    if (probe)
        av_dict_set(&o, "initial_pause", "1", 0); /* DESCRIBE + SETUP, no PLAY */
    wd.last = now_ms();
    int rc = avformat_open_input(&ic, url, NULL, &o);
    av_dict_free(&o);
    if (rc < 0) {
        printf("open_failed_ms=%lld error=\"%s\" interrupted=%d\n",
               (long long)(now_ms() - sink.t0), av_err2str(rc), wd.fired);
        return 1;
    }
    printf("open_ms=%lld\n", (long long)(now_ms() - sink.t0));
    if (probe) {
        for (unsigned i = 0; i < ic->nb_streams; i++)
            printf("probe stream=%u codec=%s\n", i,
                   avcodec_get_name(ic->streams[i]->codecpar->codec_id));
        avformat_close_input(&ic);
        printf("probe_done_ms=%lld\n", (long long)(now_ms() - sink.t0));
        return 0;
    }
    if (!no_info) {
        wd.last = now_ms();
        rc = avformat_find_stream_info(ic, NULL);
        printf("info_ms=%lld rc=%d\n", (long long)(now_ms() - sink.t0), rc);
    }
    int vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0) {
        printf("no_video_stream\n");
        return 1;
    }
    AVStream *is = ic->streams[vi];
    printf("stream codec=%s %dx%d extradata=%d\n", avcodec_get_name(is->codecpar->codec_id),
           is->codecpar->width, is->codecpar->height, is->codecpar->extradata_size);

    if (strcmp(out, "-") && !(sink.f = fopen(out, "wb"))) {
        perror(out);
        return 1;
    }
    AVFormatContext *oc = NULL;
    avformat_alloc_output_context2(&oc, NULL, "mp4", NULL);
    AVStream *os = avformat_new_stream(oc, NULL);
    avcodec_parameters_copy(os->codecpar, is->codecpar);
    os->codecpar->codec_tag = 0;
    os->time_base = is->time_base;
    enum { IOBUF = 32 * 1024 };
    oc->pb = avio_alloc_context(av_malloc(IOBUF), IOBUF, 1, &sink, NULL, sink_write, NULL);
    oc->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS;
    AVDictionary *mo = NULL;
    av_dict_set(&mo, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    if ((rc = avformat_write_header(oc, &mo)) < 0) {
        printf("write_header_failed error=\"%s\"\n", av_err2str(rc));
        return 1;
    }
    av_dict_free(&mo);
    avio_flush(oc->pb);
    print_codec(&sink);

    AVPacket *pkt = av_packet_alloc(), *held = av_packet_alloc();
    int64_t first_dts = AV_NOPTS_VALUE, packets = 0, stop_at = now_ms() + (int64_t)(seconds * 1000);
    int got_pkt = 0, started = 0;
    int64_t last_pkt_ms = 0;
    while (!g_stop && now_ms() < stop_at) {
        wd.last = now_ms();
        rc = av_read_frame(ic, pkt);
        if (rc < 0) {
            printf("read_end_ms=%lld error=\"%s\" interrupted=%d last_packet_ms=%lld\n",
                   (long long)(now_ms() - sink.t0), av_err2str(rc), wd.fired,
                   (long long)(last_pkt_ms - sink.t0));
            break;
        }
        last_pkt_ms = now_ms();
        if (pkt->stream_index != vi) {
            av_packet_unref(pkt);
            continue;
        }
        if (!got_pkt++)
            printf("first_packet_ms=%lld\n", (long long)(now_ms() - sink.t0));
        if (!started && held->size == 0 && (pkt->flags & AV_PKT_FLAG_KEY) &&
            pkt->dts == AV_NOPTS_VALUE) {
            /* libavformat 59's RTSP demuxer hands out the first packet after PLAY without
             * a timestamp; when it is a keyframe, keep it and date it one frame before
             * the next packet instead of waiting a whole keyframe interval. */
            av_packet_move_ref(held, pkt);
            printf("first_keyframe_ms=%lld (no timestamp, held)\n",
                   (long long)(now_ms() - sink.t0));
            continue;
        }
        if (!started && held->size > 0 && pkt->dts != AV_NOPTS_VALUE) {
            AVRational fr = is->avg_frame_rate.num ? is->avg_frame_rate : is->r_frame_rate;
            int64_t step = fr.num ? av_rescale_q(1, av_inv_q(fr), is->time_base) : 1;
            held->dts = held->pts = pkt->dts - step;
            first_dts = held->dts;
            started = 1;
            held->stream_index = 0;
            held->dts = held->pts = 0;
            av_packet_rescale_ts(held, is->time_base, os->time_base);
            held->pos = -1;
            if ((rc = av_write_frame(oc, held)) < 0) {
                printf("write_failed error=\"%s\"\n", av_err2str(rc));
                break;
            }
            packets++;
            if (per_frame)
                av_write_frame(oc, NULL);
            av_packet_unref(held);
        }
        if (!started) {
            if (!(pkt->flags & AV_PKT_FLAG_KEY) || pkt->dts == AV_NOPTS_VALUE) {
                av_packet_unref(pkt);  /* a fragment must begin with a keyframe */
                continue;
            }
            started = 1;
            first_dts = pkt->dts;
            printf("first_keyframe_ms=%lld\n", (long long)(now_ms() - sink.t0));
        }
        if (pkt->dts == AV_NOPTS_VALUE) {
            av_packet_unref(pkt);   /* a prototype drops what it cannot date */
            continue;
        }
        pkt->stream_index = 0;
        pkt->dts -= first_dts;
        if (pkt->pts != AV_NOPTS_VALUE)
            pkt->pts -= first_dts;
        av_packet_rescale_ts(pkt, is->time_base, os->time_base);
        pkt->pos = -1;
        if ((rc = av_write_frame(oc, pkt)) < 0) {
            printf("write_failed error=\"%s\"\n", av_err2str(rc));
            break;
        }
        packets++;
        if (per_frame)
            av_write_frame(oc, NULL); /* flush the fragment now */
    }
    av_write_trailer(oc);
    printf("done_ms=%lld packets=%lld fragments=%d bytes=%lld\n",
           (long long)(now_ms() - sink.t0), (long long)packets, sink.frags,
           (long long)sink.bytes);
    av_packet_free(&pkt);
    av_packet_free(&held);
    avio_context_free(&oc->pb);
    avformat_free_context(oc);
    avformat_close_input(&ic);
    if (sink.f)
        fclose(sink.f);
    avformat_network_deinit();
    return 0;
}
