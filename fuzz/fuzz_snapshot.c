/* fuzz/fuzz_snapshot.c - libFuzzer target for media/snapshot.h media_snapshot_jpeg: what a
 * camera sends as a "keyframe" goes through libavcodec's decoder and our range expansion
 * and JPEG step (issue 9; bad input never crashes).
 *
 * The first input byte picks the codec (even: H.264, odd: H.265) and whether the rest is
 * also given as extradata (bit 1); the rest is the packet. The result must be 0 with a
 * JPEG that starts FF D8 and ends FF D9, or ERR_INVALID / ERR_TOO_LARGE with an empty
 * buffer. The seed corpus holds real keyframes of fake_camera.py (Annex-B, parameter sets
 * in-band) made with: ffmpeg -rtsp_transport tcp -i rtsp://.../camN -frames:v 1 -c copy
 * -f h264|hevc, prefixed with the selector byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>

#include "core/buf.h"
#include "core/err.h"
#include "media/snapshot.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    AVCodecParameters *par;
    AVPacket *pkt;
    struct buf jpeg = BUF_INIT;
    int rc;

    if (size < 2 || size > (1 << 20))
        return 0;
    av_log_set_level(AV_LOG_QUIET);
    par = avcodec_parameters_alloc();
    pkt = av_packet_alloc();
    FUZZ_CHECK(par && pkt);
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = (data[0] & 1) ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
    if (data[0] & 2) {
        par->extradata = av_mallocz(size - 1 + AV_INPUT_BUFFER_PADDING_SIZE);
        FUZZ_CHECK(par->extradata);
        memcpy(par->extradata, data + 1, size - 1);
        par->extradata_size = (int)(size - 1);
    }
    FUZZ_CHECK(av_new_packet(pkt, (int)(size - 1)) == 0);
    memcpy(pkt->data, data + 1, size - 1);
    pkt->flags |= AV_PKT_FLAG_KEY;
    rc = media_snapshot_jpeg(par, pkt, &jpeg);
    if (rc == 0) {
        FUZZ_CHECK(jpeg.len >= 4);
        FUZZ_CHECK((uint8_t)jpeg.data[0] == 0xFF && (uint8_t)jpeg.data[1] == 0xD8);
        FUZZ_CHECK((uint8_t)jpeg.data[jpeg.len - 2] == 0xFF && (uint8_t)jpeg.data[jpeg.len - 1] == 0xD9);
    } else {
        FUZZ_CHECK(rc == ERR_INVALID || rc == ERR_TOO_LARGE || rc == ERR_INTERNAL);
        FUZZ_CHECK(jpeg.len == 0);
    }
    buf_release(&jpeg);
    av_packet_free(&pkt);
    avcodec_parameters_free(&par);
    return 0;
}
