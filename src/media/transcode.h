/* media/transcode.h - re-encode a camera's H.265 as H.264 for browsers that cannot play
 * H.265 through MSE (issue 9; R3.1, R3.5; docs/design/live-video.md §5.7). Internal to
 * media/ (it exposes libav types): a session runs one while fewer than the hub's
 * max_transcodes do (off by default: Debian's libavcodec is the GPL build with libx264, and
 * a 640x360 stream costs about a tenth of a core, a 1080p one most of a core).
 *
 * Decoder: libavcodec's, for the input's codec (hevc in practice; any it decodes). Encoder:
 * libx264 through libavcodec, preset ultrafast, tune zerolatency (no B-frames, no
 * lookahead: one packet out per frame in, pts == dts), one thread each, global header (the
 * SPS/PPS are in the output parameters' extradata, not in the packets, as the mp4 muxer
 * wants for avcC). An IDR starts every input keyframe (the output GOP is the camera's), and
 * at most 25 frames pass without one. The first packet out is a keyframe: decoded pictures
 * before the first input keyframe are dropped. Pictures must be 8-bit 4:2:0 (yuv420p or
 * yuvj420p), the format of the cameras this serves; other formats are refused.
 *
 * Timestamps: output packets carry the input's pts in the input's time base (what
 * media_transcoder_time_base returns); a picture without a pts, or one not after the
 * previous, is dated one tick after it.
 *
 * Not thread safe: one transcoder belongs to one session thread.
 */
#ifndef JY_MEDIA_TRANSCODE_H
#define JY_MEDIA_TRANSCODE_H

#include <libavcodec/avcodec.h>

/* Output GOP cap in frames when the camera's keyframes are further apart. */
#define MEDIA_TRANSCODE_GOP 25

struct media_transcoder;

/* media_transcoder_new opens the decoder for in (copied; its width and height must be
 * known, i.e. after avformat_find_stream_info) and the H.264 encoder. Returns 0; ERR_INVALID
 * when there is no decoder for in, its size is unknown or its pixel format is not 8-bit
 * 4:2:0; ERR_UNAVAILABLE when libx264 is not in this libavcodec; ERR_INTERNAL otherwise.
 * *out is NULL on error. */
int media_transcoder_new(const AVCodecParameters *in, AVRational in_time_base, struct media_transcoder **out);
/* media_transcoder_params: the output's parameters (codec H.264, codec_tag 0, size,
 * extradata with SPS and PPS), owned by t, valid until media_transcoder_free. */
const AVCodecParameters *media_transcoder_params(const struct media_transcoder *t);
/* media_transcoder_time_base: the time base of the packets emitted (the input's). */
AVRational media_transcoder_time_base(const struct media_transcoder *t);
/* media_transcoder_send decodes in (not changed; NULL flushes: every picture still held
 * comes out, after which t takes no more input) and calls emit for each H.264 packet that
 * comes out, in order, with stream_index 0 and time base media_transcoder_time_base. emit
 * may take the packet's reference (av_packet_move_ref); otherwise it is unreferenced
 * after emit returns. A non-zero return of emit stops the call and is returned (that packet
 * is dropped; what the codecs still hold comes out on the next call). Returns 0;
 * ERR_INVALID for input after a flush or a picture in another format than the first;
 * damaged input packets are skipped (0), as a decoder would. */
int media_transcoder_send(struct media_transcoder *t, const AVPacket *in, int (*emit)(void *cls, AVPacket *out),
                          void *cls);
/* media_transcoder_free frees t (NULL is fine) without flushing. */
void media_transcoder_free(struct media_transcoder *t);

#endif
