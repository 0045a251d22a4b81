/* media/snapshot.c - keyframe to JPEG with libavcodec, and a one-shot fetch from a camera
 * (issue 9; R3.1 thumbnails on the map card and the camera list, R3.9).
 *
 * Decode one packet (h264, hevc, ...), expand limited range to full range by table (no
 * libswscale), encode with libavcodec's mjpeg at full size. It is not a cache and not a
 * session: media/hub.c caches per camera and takes the keyframe from a running session,
 * or calls media_snapshot_fetch when none runs. Never logs the URL.
 */
#include "media/snapshot.h"

#include <stdint.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

#include "core/err.h"
#include "media/rtsp_in.h"

/* keyframes tried by media_snapshot_fetch before it gives up (a first one may lack the
 * parameter sets the SDP did not carry) */
#define SNAPSHOT_FETCH_TRIES 3

/* One accepted input format: its JPEG-ready output, bit depth, and whether it is full
 * range by definition (the deprecated yuvj formats). */
struct snapshot_fmt {
    enum AVPixelFormat in, out;
    int bits;
    bool full;
};

static const struct snapshot_fmt snapshot_fmts[] = {
    { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, 8, false },
    { AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P, 8, false },
    { AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P, 8, false },
    { AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ420P, 8, true },
    { AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ422P, 8, true },
    { AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ444P, 8, true },
    { AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUVJ420P, 10, false },
    { AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUVJ422P, 10, false },
    { AV_PIX_FMT_YUV444P10LE, AV_PIX_FMT_YUVJ444P, 10, false },
};

/* snapshot_decode opens a decoder for par and gets the picture of pkt out of it. */
static int
snapshot_decode(const AVCodecParameters *par, const AVPacket *pkt, AVFrame *frame)
{
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *ctx = NULL;
    int rc = ERR_INVALID;

    if (!dec || !pkt || pkt->size <= 0)
        goto out;
    rc = ERR_INTERNAL;
    if (!(ctx = avcodec_alloc_context3(dec)) || avcodec_parameters_to_context(ctx, par) < 0)
        goto out;
    ctx->thread_count = 1;
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    if (avcodec_open2(ctx, dec, NULL) < 0)
        goto out;
    rc = ERR_INVALID;
    if (avcodec_send_packet(ctx, pkt) < 0)
        goto out;
    avcodec_send_packet(ctx, NULL);      /* drain: one packet in, its picture out */
    /* hevc invents missing references and would show a P picture: keyframes only */
    if (avcodec_receive_frame(ctx, frame) < 0 || !frame->key_frame || frame->width <= 0 || frame->height <= 0)
        goto out;
    rc = (long long)frame->width * frame->height > MEDIA_SNAPSHOT_MAX_PIXELS ? ERR_TOO_LARGE : 0;
out:
    avcodec_free_context(&ctx);
    return rc;
}

/* snapshot_lut fills the 8-bit full-range value of every input code (bits deep): luma
 * maps [16, 235] (scaled to the depth) onto [0, 255], chroma [16, 240] around 128. */
static void
snapshot_lut(uint8_t *lut, int bits, bool full, bool chroma)
{
    int n = 1 << bits, shift = bits - 8;
    for (int v = 0; v < n; v++) {
        long x;
        if (full)
            x = (v * 255L + (n - 1) / 2) / (n - 1);
        else if (chroma)
            x = 128 + (((long)v - (128L << shift)) * 255 + (112L << shift)) / (224L << shift);
        else
            x = (((long)v - (16L << shift)) * 255 + (109L << shift)) / (219L << shift);
        lut[v] = (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
    }
}

/* snapshot_full_range copies in into out (allocated here) as JPEG-ready 8-bit full range. */
static int
snapshot_full_range(const AVFrame *in, AVFrame *out)
{
    const struct snapshot_fmt *f = NULL;
    const AVPixFmtDescriptor *d;
    uint8_t luts[2][1024];
    bool full;

    for (size_t i = 0; i < sizeof snapshot_fmts / sizeof snapshot_fmts[0]; i++)
        if (snapshot_fmts[i].in == in->format)
            f = &snapshot_fmts[i];
    if (!f || !(d = av_pix_fmt_desc_get(in->format)))
        return ERR_INVALID;
    full = f->full || in->color_range == AVCOL_RANGE_JPEG;
    snapshot_lut(luts[0], f->bits, full, false);
    snapshot_lut(luts[1], f->bits, full, true);
    out->format = f->out;
    out->width = in->width;
    out->height = in->height;
    out->sample_aspect_ratio = in->sample_aspect_ratio;
    out->color_range = AVCOL_RANGE_JPEG;
    if (av_frame_get_buffer(out, 0) < 0)
        return ERR_INTERNAL;
    for (int p = 0; p < 3; p++) {
        int w = p ? AV_CEIL_RSHIFT(in->width, d->log2_chroma_w) : in->width;
        int h = p ? AV_CEIL_RSHIFT(in->height, d->log2_chroma_h) : in->height;
        const uint8_t *map = luts[p ? 1 : 0];
        for (int y = 0; y < h; y++) {
            const uint8_t *s = in->data[p] + (ptrdiff_t)y * in->linesize[p];
            uint8_t *o = out->data[p] + (ptrdiff_t)y * out->linesize[p];
            if (f->bits == 8) {
                for (int x = 0; x < w; x++)
                    o[x] = map[s[x]];
            } else {
                const uint16_t *s16 = (const uint16_t *)(const void *)s;
                for (int x = 0; x < w; x++)
                    o[x] = map[s16[x] & 1023];
            }
        }
    }
    return 0;
}

/* snapshot_encode writes frame as a JPEG (quality scale 3 of 1..31) to jpeg. */
static int
snapshot_encode(const AVFrame *frame, struct buf *jpeg)
{
    const AVCodec *enc = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    AVCodecContext *ctx = NULL;
    AVPacket *pkt = NULL;
    AVFrame *f = NULL;
    int rc = ERR_INTERNAL;

    if (!enc || !(ctx = avcodec_alloc_context3(enc)) || !(pkt = av_packet_alloc()) || !(f = av_frame_clone(frame)))
        goto out;
    ctx->width = frame->width;
    ctx->height = frame->height;
    ctx->pix_fmt = frame->format;
    ctx->color_range = AVCOL_RANGE_JPEG;
    ctx->sample_aspect_ratio = frame->sample_aspect_ratio;
    ctx->time_base = (AVRational){ 1, 25 };
    ctx->thread_count = 1;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 3;
    if (avcodec_open2(ctx, enc, NULL) < 0)
        goto out;
    f->pts = 0;
    f->quality = ctx->global_quality;
    f->pict_type = AV_PICTURE_TYPE_NONE;
    if (avcodec_send_frame(ctx, f) < 0 || avcodec_send_frame(ctx, NULL) < 0 ||
        avcodec_receive_packet(ctx, pkt) < 0)
        goto out;
    buf_add(jpeg, pkt->data, (size_t)pkt->size);
    rc = buf_error(jpeg) ? ERR_TOO_LARGE : 0;
out:
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    return rc;
}

int
media_snapshot_jpeg(const AVCodecParameters *par, const AVPacket *keyframe, struct buf *jpeg)
{
    AVFrame *pic = av_frame_alloc(), *full = av_frame_alloc();
    int rc = ERR_INTERNAL;

    buf_reset(jpeg);
    if (!pic || !full)
        goto out;
    if ((rc = snapshot_decode(par, keyframe, pic)))
        goto out;
    if ((rc = snapshot_full_range(pic, full)))
        goto out;
    rc = snapshot_encode(full, jpeg);
out:
    if (rc)
        buf_reset(jpeg);
    av_frame_free(&pic);
    av_frame_free(&full);
    return rc;
}

int
media_snapshot_fetch(const char *url, unsigned timeout_ms, bool udp, struct buf *jpeg)
{
    struct rtsp_in_watchdog w = { 0 };
    AVFormatContext *ic = NULL;
    AVPacket *pkt = NULL;
    int rc, averr, vi, tries = 0;

    buf_reset(jpeg);
    if ((rc = rtsp_in_open(url, timeout_ms, udp, false, &w, &ic, &averr)))
        goto out;   /* ERR_INVALID or ERR_UNAVAILABLE */
    rc = ERR_UNAVAILABLE;
    if ((vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0)
        goto out;
    if (!(pkt = av_packet_alloc())) {
        rc = ERR_INTERNAL;
        goto out;
    }
    /* the watchdog was armed once at the open: the whole fetch is bounded by timeout_ms */
    while (av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == vi && (pkt->flags & AV_PKT_FLAG_KEY)) {
            rc = media_snapshot_jpeg(ic->streams[vi]->codecpar, pkt, jpeg);
            if (rc != ERR_INVALID || ++tries >= SNAPSHOT_FETCH_TRIES)
                break;
            rc = ERR_UNAVAILABLE;
        }
        av_packet_unref(pkt);
    }
    if (rc == ERR_INVALID)
        rc = ERR_UNAVAILABLE;  /* the camera sent nothing we could decode */
out:
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    return rc;
}
