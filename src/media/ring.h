/* media/ring.h - a session's fragments: the current init segment and a byte-bounded ring of
 * fMP4 fragments numbered for the continuous stream and for LL-HLS (issue 9; R3.1, R3.3).
 * Internal to media/. Not thread-safe: the session's lock guards it.
 *
 * Every fragment (one moof+mdat, one frame) gets a sequence number (seq, never reused in a
 * session), the number of its HLS segment (msn: a segment starts at each keyframe, so a
 * segment is a GOP) and of its part in that segment (parts group frames up to
 * part_target_us). The ring drops whole GOPs from its front while it holds more than
 * max_bytes (or MEDIA_RING_MAX_SEGMENTS segments) and more than one GOP; a single GOP larger
 * than max_bytes loses its head (the ring then starts mid-GOP, and a new reader waits for
 * the next keyframe). A new init segment (after a reconnect) empties the ring and starts a
 * new generation (an HLS discontinuity); seq and msn keep counting.
 */
#ifndef JY_MEDIA_RING_H
#define JY_MEDIA_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MEDIA_RING_MAX_SEGMENTS 12

struct media_frag {
    uint64_t seq;
    int64_t msn;
    int part;
    bool key;          /* begins with a keyframe (and so a segment and a part) */
    bool part_start;   /* first fragment of its part */
    int64_t dts_us;    /* decode time since the generation started */
    int64_t dur_us;
    size_t len;
    uint8_t *data;
};

struct media_ring {
    struct media_frag *f;  /* circular: f[(head + i) % alloc], i < count */
    size_t alloc, head, count;
    size_t bytes, max_bytes;
    int64_t part_target_us;
    uint64_t next_seq;
    int64_t next_msn;      /* msn the next keyframe opens */
    int cur_part;          /* part index of the newest fragment */
    int64_t cur_part_us;   /* duration of the newest part so far */
    unsigned gen;          /* init generation; 0 = none yet */
    unsigned discontinuity;/* generations after the first (EXT-X-DISCONTINUITY-SEQUENCE) */
    int64_t gen_first_msn; /* first msn of this generation */
    struct buf init;       /* ftyp+moov of this generation */
};

void media_ring_init(struct media_ring *r, size_t max_bytes, int64_t part_target_us);
void media_ring_release(struct media_ring *r);
/* media_ring_set_init starts a new generation with init[0..n) and empties the ring. */
void media_ring_set_init(struct media_ring *r, const void *init, size_t n);
/* media_ring_add appends one fragment (copied). A fragment that does not start with a
 * keyframe is dropped while the generation has no keyframe yet (returns false). */
bool media_ring_add(struct media_ring *r, const void *p, size_t n, bool key, int64_t dts_us, int64_t dur_us);
/* media_ring_at returns the fragment numbered seq, NULL when it is not (or no more) held. */
const struct media_frag *media_ring_at(const struct media_ring *r, uint64_t seq);
const struct media_frag *media_ring_first(const struct media_ring *r);
const struct media_frag *media_ring_last(const struct media_ring *r);
/* media_ring_newest_key returns the newest keyframe fragment, NULL when the ring has none. */
const struct media_frag *media_ring_newest_key(const struct media_ring *r);

#endif
