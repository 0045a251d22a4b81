/* media/transcode.c - H.265 (or anything libavcodec decodes) to H.264 with libx264, for a
 * session whose viewers cannot play the camera's codec (issue 9; R3.1, R3.5).
 *
 * Decode, re-date, encode: no scaling, no frame-rate change, no audio. It is not a session
 * and does not count transcodes (media/hub.c caps them); see transcode.h for the contract.
 */
#include "media/transcode.h"

#include <stdbool.h>

#include <libavutil/frame.h>
#include <libavutil/opt.h>

#include "core/alloc.h"
#include "core/err.h"

struct media_transcoder {
    AVCodecContext *dec, *enc;
    AVCodecParameters *par; /* the encoder's, for the muxer */
    AVRational tb;          /* input time base = encoder time base = output time base */
    AVFrame *frame;
    AVPacket *pkt;
    int64_t last_pts;       /* AV_NOPTS_VALUE before the first picture */
    bool started;           /* a keyframe picture went in */
    bool flushed;
};

static bool
transcode_is_420p8(int fmt)
{
    return fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P;
}

static int
transcode_open_decoder(struct media_transcoder *t, const AVCodecParameters *in)
{
    const AVCodec *dec = avcodec_find_decoder(in->codec_id);

    if (!dec)
        return ERR_INVALID;
    if (!(t->dec = avcodec_alloc_context3(dec)) || avcodec_parameters_to_context(t->dec, in) < 0)
        return ERR_INTERNAL;
    t->dec->pkt_timebase = t->tb;
    t->dec->thread_count = 1;
    t->dec->flags |= AV_CODEC_FLAG_LOW_DELAY;
    return avcodec_open2(t->dec, dec, NULL) < 0 ? ERR_INTERNAL : 0;
}

static int
transcode_open_encoder(struct media_transcoder *t, const AVCodecParameters *in)
{
    const AVCodec *enc = avcodec_find_encoder_by_name("libx264");
    AVDictionary *opt = NULL;
    int rc = ERR_UNAVAILABLE;

    if (!enc)
        goto out;
    rc = ERR_INTERNAL;
    if (!(t->enc = avcodec_alloc_context3(enc)))
        goto out;
    t->enc->width = in->width;
    t->enc->height = in->height;
    t->enc->pix_fmt = in->format == AV_PIX_FMT_YUVJ420P ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    t->enc->sample_aspect_ratio = in->sample_aspect_ratio;
    t->enc->color_range = in->color_range;
    t->enc->color_primaries = in->color_primaries;
    t->enc->color_trc = in->color_trc;
    t->enc->colorspace = in->color_space;
    t->enc->time_base = t->tb;
    /* x264's rate control needs a frame rate; the timestamps carry the real one.
     * NEEDSWORK: pass the stream's avg_frame_rate when the session knows it. */
    t->enc->framerate = (AVRational){ 25, 1 };
    t->enc->gop_size = MEDIA_TRANSCODE_GOP;
    t->enc->max_b_frames = 0;
    t->enc->thread_count = 1;
    t->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_dict_set(&opt, "preset", "ultrafast", 0);
    av_dict_set(&opt, "tune", "zerolatency", 0);
    av_dict_set(&opt, "forced-idr", "1", 0); /* an I picture we ask for is an IDR */
    if (avcodec_open2(t->enc, enc, &opt) < 0)
        goto out;
    if (!(t->par = avcodec_parameters_alloc()) || avcodec_parameters_from_context(t->par, t->enc) < 0)
        goto out;
    t->par->codec_tag = 0;
    rc = t->par->extradata_size > 0 ? 0 : ERR_INTERNAL;
out:
    av_dict_free(&opt);
    return rc;
}

int
media_transcoder_new(const AVCodecParameters *in, AVRational in_time_base, struct media_transcoder **out)
{
    struct media_transcoder *t = NULL;
    int rc = ERR_INVALID;

    *out = NULL;
    if (!in || in->width <= 0 || in->height <= 0 || in_time_base.num <= 0 || in_time_base.den <= 0)
        goto out;
    if (in->format != AV_PIX_FMT_NONE && !transcode_is_420p8(in->format))
        goto out;
    t = xcalloc(1, sizeof *t);
    t->tb = in_time_base;
    t->last_pts = AV_NOPTS_VALUE;
    rc = ERR_INTERNAL;
    if (!(t->frame = av_frame_alloc()) || !(t->pkt = av_packet_alloc()))
        goto out;
    if ((rc = transcode_open_decoder(t, in)) || (rc = transcode_open_encoder(t, in)))
        goto out;
    *out = t;
    t = NULL;
    rc = 0;
out:
    media_transcoder_free(t);
    return rc;
}

const AVCodecParameters *
media_transcoder_params(const struct media_transcoder *t)
{
    return t->par;
}

AVRational
media_transcoder_time_base(const struct media_transcoder *t)
{
    return t->tb;
}

/* transcode_drain hands every packet the encoder has ready to emit. */
static int
transcode_drain(struct media_transcoder *t, int (*emit)(void *cls, AVPacket *out), void *cls)
{
    int ret, rc;

    while ((ret = avcodec_receive_packet(t->enc, t->pkt)) >= 0) {
        t->pkt->stream_index = 0;
        t->pkt->time_base = t->tb;
        rc = emit(cls, t->pkt);
        av_packet_unref(t->pkt);
        if (rc)
            return rc;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ERR_INTERNAL;
}

/* transcode_encode feeds one decoded picture (NULL: end of input) to the encoder. */
static int
transcode_encode(struct media_transcoder *t, AVFrame *f, int (*emit)(void *cls, AVPacket *out), void *cls)
{
    int64_t pts;
    int rc;

    if (f) {
        if (!t->started && !f->key_frame)
            return 0;   /* nothing before the first keyframe: the output starts with an IDR */
        if (!transcode_is_420p8(f->format) || f->width != t->enc->width || f->height != t->enc->height)
            return ERR_INVALID;
        t->started = true;
        f->format = t->enc->pix_fmt;   /* yuv420p and yuvj420p share one layout */
        pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        if (t->last_pts != AV_NOPTS_VALUE && (pts == AV_NOPTS_VALUE || pts <= t->last_pts))
            pts = t->last_pts + 1;
        else if (pts == AV_NOPTS_VALUE)
            pts = 0;
        f->pts = t->last_pts = pts;
        /* the camera's keyframes stay keyframes; everything else is x264's choice */
        f->pict_type = f->key_frame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    }
    if ((rc = transcode_drain(t, emit, cls)))   /* what an earlier emit error left behind */
        return rc;
    if (avcodec_send_frame(t->enc, f) < 0)
        return ERR_INTERNAL;
    return transcode_drain(t, emit, cls);
}

/* transcode_pull encodes every picture the decoder has ready. */
static int
transcode_pull(struct media_transcoder *t, int (*emit)(void *cls, AVPacket *out), void *cls)
{
    int rc = 0;

    while (!rc && avcodec_receive_frame(t->dec, t->frame) >= 0) {
        rc = transcode_encode(t, t->frame, emit, cls);
        av_frame_unref(t->frame);
    }
    return rc;
}

int
media_transcoder_send(struct media_transcoder *t, const AVPacket *in, int (*emit)(void *cls, AVPacket *out),
                      void *cls)
{
    int rc;

    if (t->flushed)
        return ERR_INVALID;
    if ((rc = transcode_pull(t, emit, cls)))    /* pictures an earlier emit error left behind */
        return rc;
    if (!in)
        t->flushed = true;
    if (avcodec_send_packet(t->dec, in) < 0 && in)
        return 0;   /* a damaged packet: skipped, as a player would */
    if ((rc = transcode_pull(t, emit, cls)))
        return rc;
    return t->flushed ? transcode_encode(t, NULL, emit, cls) : 0;
}

void
media_transcoder_free(struct media_transcoder *t)
{
    if (!t)
        return;
    avcodec_free_context(&t->dec);
    avcodec_free_context(&t->enc);
    avcodec_parameters_free(&t->par);
    av_frame_free(&t->frame);
    av_packet_free(&t->pkt);
    xfree(t);
}
