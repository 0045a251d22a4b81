/* media/viewer.c - the continuous fMP4 stream of one viewer (issue 9; R3.1, R3.3): the init
 * segment, then whole fragments from the ring's newest keyframe on; a new init segment
 * in-band after a reconnect; a viewer that fell off the ring skips to the newest keyframe.
 * No libav here. */
#include <string.h>

#include "media/hub_internal.h"

/* give copies as much of p[0..n) as fits in buf[*got..max); the rest goes to v->carry. */
static void give(struct media_viewer *v, char *buf, size_t max, size_t *got, const void *p, size_t n)
{
    size_t room = max - *got, take = n < room ? n : room;
    memcpy(buf + *got, p, take);
    *got += take;
    if (take < n) {
        buf_reset(&v->carry);
        buf_add(&v->carry, (const char *)p + take, n - take);
        v->carry_off = 0;
    }
}

/* drain copies what is left of a large item from an earlier call; true when nothing is. */
static bool drain(struct media_viewer *v, char *buf, size_t max, size_t *got)
{
    size_t left = v->carry.len - v->carry_off, room = max - *got;
    size_t take = left < room ? left : room;
    memcpy(buf + *got, v->carry.data + v->carry_off, take);
    *got += take;
    v->carry_off += take;
    if (v->carry_off < v->carry.len)
        return false;
    buf_reset(&v->carry);
    v->carry_off = 0;
    return true;
}

/* fits says whether an item of n bytes may be copied now: whole, or split only when it is
 * the first thing of this read (a fragment larger than max then goes across calls). */
static bool fits(size_t got, size_t max, size_t n)
{
    return got == 0 || n <= max - got;
}

size_t media_viewer_read(struct media_viewer *v, char *buf, size_t max, bool *end)
{
    struct media_session *s = v->s;
    struct media_ring *r = &s->ring;
    size_t got = 0;

    *end = false;
    if (!max)
        return 0;
    pthread_mutex_lock(&s->mu);
    if (v->carry.len && !drain(v, buf, max, &got))
        goto out;
    while (got < max) {
        if (!v->started || v->gen != r->gen) { /* (re)start at the newest keyframe */
            const struct media_frag *k = media_ring_newest_key(r);
            if (!k || !fits(got, max, r->init.len))
                break;
            v->started = true;
            v->gen = r->gen;
            v->next_seq = k->seq;
            give(v, buf, max, &got, r->init.data, r->init.len);
            continue;
        }
        const struct media_frag *f = media_ring_at(r, v->next_seq);
        if (!f) {
            const struct media_frag *first = media_ring_first(r), *k = media_ring_newest_key(r);
            if (first && v->next_seq < first->seq && k) { /* fell off: skip to live */
                v->next_seq = k->seq;
                continue;
            }
            break;
        }
        if (!fits(got, max, f->len))
            break;
        give(v, buf, max, &got, f->data, f->len);
        v->next_seq++;
    }
out:
    if (!got && (s->info.state == MEDIA_FAILED || s->info.state == MEDIA_STOPPED))
        *end = true;
    pthread_mutex_unlock(&s->mu);
    return got;
}
