/* media/ring.c - the fragment ring of a live session (issue 9; R3.1, R3.3): numbering for the
 * continuous stream and LL-HLS, eviction by bytes and by GOP. No locking, no libav. */
#include "media/ring.h"

#include <string.h>

#include "core/alloc.h"

void media_ring_init(struct media_ring *r, size_t max_bytes, int64_t part_target_us)
{
    *r = (struct media_ring){ .max_bytes = max_bytes, .part_target_us = part_target_us, .init = BUF_INIT };
    buf_init(&r->init, (size_t)1 << 20);
}

static struct media_frag *at(const struct media_ring *r, size_t i)
{
    return &r->f[(r->head + i) % r->alloc];
}

static void drop_front(struct media_ring *r)
{
    struct media_frag *f = at(r, 0);
    r->bytes -= f->len;
    xfree(f->data);
    memset(f, 0, sizeof *f);
    r->head = (r->head + 1) % r->alloc;
    r->count--;
}

static void clear(struct media_ring *r)
{
    while (r->count)
        drop_front(r);
}

void media_ring_release(struct media_ring *r)
{
    if (r->f)
        clear(r);
    xfree(r->f);
    buf_release(&r->init);
    r->f = NULL;
    r->alloc = r->head = r->count = 0;
}

void media_ring_set_init(struct media_ring *r, const void *init, size_t n)
{
    clear(r);
    buf_reset(&r->init);
    buf_add(&r->init, init, n);
    if (r->gen++)
        r->discontinuity++;
    r->gen_first_msn = r->next_msn;
}

static void grow(struct media_ring *r)
{
    size_t alloc = r->alloc ? r->alloc * 2 : 64;
    struct media_frag *f = xcalloc(alloc, sizeof *f);
    for (size_t i = 0; i < r->count; i++)
        f[i] = *at(r, i);
    xfree(r->f);
    r->f = f;
    r->alloc = alloc;
    r->head = 0;
}

/* segments counts the keyframes held (each opens a segment). */
static size_t segments(const struct media_ring *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->count; i++)
        n += at(r, i)->key;
    return n;
}

/* evict drops the oldest GOP while the ring is over its limits and holds more than one; a
 * lone GOP over max_bytes loses fragments from its head. */
static void evict(struct media_ring *r)
{
    size_t segs = segments(r);
    while (r->count > 1 && (r->bytes > r->max_bytes || segs > MEDIA_RING_MAX_SEGMENTS)) {
        if (segs > 1) {
            if (at(r, 0)->key)
                segs--;
            drop_front(r);
            while (r->count > 1 && !at(r, 0)->key)
                drop_front(r);
        } else {
            if (at(r, 0)->key)
                segs--;
            drop_front(r);
            if (r->bytes <= r->max_bytes)
                break;
        }
    }
}

bool media_ring_add(struct media_ring *r, const void *p, size_t n, bool key, int64_t dts_us, int64_t dur_us)
{
    if (!key && !r->count)
        return false; /* a generation begins with a keyframe */
    if (r->count == r->alloc)
        grow(r);
    struct media_frag *f = at(r, r->count);
    *f = (struct media_frag){ .seq = r->next_seq++, .key = key, .dts_us = dts_us, .dur_us = dur_us,
                              .len = n, .data = xmemdup(p, n) };
    if (key) {
        f->msn = r->next_msn++;
        r->cur_part = 0;
        r->cur_part_us = 0;
        f->part_start = true;
    } else {
        f->msn = r->next_msn - 1;
        if (r->cur_part_us > 0 && r->cur_part_us + dur_us > r->part_target_us) {
            r->cur_part++;
            r->cur_part_us = 0;
            f->part_start = true;
        }
    }
    f->part = r->cur_part;
    r->cur_part_us += dur_us;
    r->count++;
    r->bytes += n;
    evict(r);
    return true;
}

const struct media_frag *media_ring_first(const struct media_ring *r)
{
    return r->count ? at(r, 0) : NULL;
}

const struct media_frag *media_ring_last(const struct media_ring *r)
{
    return r->count ? at(r, r->count - 1) : NULL;
}

const struct media_frag *media_ring_at(const struct media_ring *r, uint64_t seq)
{
    if (!r->count || seq < at(r, 0)->seq || seq - at(r, 0)->seq >= r->count)
        return NULL;
    return at(r, (size_t)(seq - at(r, 0)->seq));
}

const struct media_frag *media_ring_newest_key(const struct media_ring *r)
{
    for (size_t i = r->count; i-- > 0;)
        if (at(r, i)->key)
            return at(r, i);
    return NULL;
}
