/* media/snapshot.h - a JPEG of one camera keyframe with libavcodec (issue 9; R3.1, R3.9).
 * Internal to media/ (it exposes libav types); hub.h's media_snapshot is the public entry.
 *
 * Full size (no libswscale: the browser scales). The decoder is libavcodec's h264 or hevc
 * (any codec libavcodec decodes, in fact), the encoder its mjpeg. Limited-range ("tv")
 * 8-bit and 10-bit YUV is expanded to full range so the JPEG shows the contrast the camera
 * meant (JFIF is full range); 4:2:0, 4:2:2 and 4:4:4 are kept as they are.
 */
#ifndef JY_MEDIA_SNAPSHOT_H
#define JY_MEDIA_SNAPSHOT_H
#include <stdbool.h>

#include <libavcodec/avcodec.h>

#include "core/buf.h"

/* Largest picture accepted (pixels): 8192 x 8192. */
#define MEDIA_SNAPSHOT_MAX_PIXELS ((long long)8192 * 8192)

/* media_snapshot_jpeg decodes keyframe (Annex-B or AVCC/HVCC as par's extradata says;
 * parameter sets from par's extradata or in-band) and appends a JPEG to jpeg (reset
 * first). Neither par nor keyframe is changed. Returns 0; ERR_INVALID when no picture
 * comes out of the packet (not a keyframe, damaged, no decoder for the codec, an unusual
 * pixel format); ERR_TOO_LARGE beyond MEDIA_SNAPSHOT_MAX_PIXELS or jpeg's cap; ERR_INTERNAL
 * when libavcodec fails otherwise. On error jpeg is empty. */
int media_snapshot_jpeg(const AVCodecParameters *par, const AVPacket *keyframe, struct buf *jpeg);

/* media_snapshot_fetch opens url (rtsp:// or rtsps://; TCP, or UDP when udp), reads up to
 * the first keyframe that decodes, writes its JPEG to jpeg and closes, all within
 * timeout_ms (0 means 5000) through the latched watchdog of media/rtsp_in.h. Returns 0;
 * ERR_INVALID for a URL that is not RTSP; ERR_UNAVAILABLE when the camera cannot be
 * opened, has no video, or gives no decodable keyframe in time; errors of
 * media_snapshot_jpeg otherwise. Never logs the URL. */
int media_snapshot_fetch(const char *url, unsigned timeout_ms, bool udp, struct buf *jpeg);

#endif
