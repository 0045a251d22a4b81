/* media/box.h - top-level ISO BMFF (MP4) box splitting and the RFC 6381 codec string of an
 * init segment (issue 9; R3.1). Internal to media/: no libav types.
 *
 * The muxer's byte stream is cut into whole top-level boxes: ftyp+moov form the init
 * segment, each moof+mdat pair one fragment. media_box_splitter takes bytes in any pieces
 * and hands out the complete boxes seen so far; a partial box stays inside. Box sizes are
 * checked (>= 8 bytes, 64-bit "largesize" allowed, size 0 "to the end" refused) and
 * capped, so hostile input fails with ERR_INVALID or ERR_TOO_LARGE, never overruns.
 */
#ifndef JY_MEDIA_BOX_H
#define JY_MEDIA_BOX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MEDIA_BOX_MAX ((uint64_t)32 << 20) /* largest box accepted (a 32 MiB keyframe) */

struct media_box_splitter {
    struct buf pending;   /* bytes received, not yet handed out */
    size_t complete;      /* pending[0..complete) are whole boxes */
    size_t scan;          /* start of the first box not known complete */
    bool failed;          /* sticky: a bad box header was seen */
};

void media_box_splitter_init(struct media_box_splitter *s);
void media_box_splitter_release(struct media_box_splitter *s);
/* media_box_splitter_add appends p[0..n): ERR_INVALID for a malformed box header,
 * ERR_TOO_LARGE for a box over MEDIA_BOX_MAX; both are sticky. */
int media_box_splitter_add(struct media_box_splitter *s, const void *p, size_t n);
/* media_box_splitter_take moves the complete boxes into out (appended) and returns how many
 * bytes were moved; bytes of an unfinished box stay. */
size_t media_box_splitter_take(struct media_box_splitter *s, struct buf *out);

/* media_box_next reads the box header at p[0..n): its type (4 bytes + NUL) and total size
 * *size (header included). ERR_INVALID when fewer than a header's bytes, a size below its
 * header, or size 0; the size may exceed n (the caller checks). *hdr gets 8 or 16. */
int media_box_next(const uint8_t *p, size_t n, char type[5], uint64_t *size, size_t *hdr);

/* media_box_find walks the path of container box types ("moov/trak/mdia") from p[0..n)
 * and sets *body and *len to the last box's body. ERR_NOT_FOUND when absent, ERR_INVALID on a
 * malformed box. */
int media_box_find(const uint8_t *p, size_t n, const char *path, const uint8_t **body, size_t *len);

/* media_box_codec writes the RFC 6381 codec string of the first video track of an init
 * segment (ftyp+moov): "avc1.4D401E" from avcC, "hvc1.1.6.L93.B0" (or hev1...) from hvcC.
 * ERR_NOT_FOUND when the segment carries neither; out gets "" then. cap >= 40. */
int media_box_codec(const uint8_t *init, size_t n, char *out, size_t cap);

#endif
