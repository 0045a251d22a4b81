/* media/hls.c - low-latency HLS (RFC 8216bis, EXT-X-PART) from a session's ring (issue 9;
 * R3.1, R3.6, R3.12): the media playlist with blocking-reload semantics, and the bytes of
 * the init segment, a segment (one GOP) or a part (~200 ms of per-frame fragments). No
 * libav here. The name parser is fuzzed by fuzz/fuzz_media_hls.c. */
#include "media/hls.h"

#include <string.h>

#include "core/err.h"
#include "media/hub_internal.h"

#define PART_HOLD_PARTS 3 /* PART-HOLD-BACK: at least three part targets (RFC 8216bis 4.4.3.8) */
#define PARTS_FOR_SEGMENTS 3 /* parts are listed for the newest segments only */

static int parse_num(const char **p, int64_t max, int64_t *out)
{
    const char *s = *p;
    int64_t v = 0;
    if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
        return ERR_INVALID;
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > max)
            return ERR_INVALID;
    }
    *p = s;
    *out = v;
    return 0;
}

int media_hls_parse_name(const char *name, enum media_hls_kind *kind, int64_t *msn, int *part)
{
    int64_t m, pt = -1;
    if (!name)
        return ERR_INVALID;
    if (!strcmp(name, "init.mp4")) {
        *kind = MEDIA_HLS_INIT;
        *msn = -1;
        *part = -1;
        return 0;
    }
    const char *p = name;
    if (strncmp(p, "seg/", 4))
        return ERR_INVALID;
    p += 4;
    if (parse_num(&p, 999999999999999LL, &m))
        return ERR_INVALID;
    if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
        p++;
        if (parse_num(&p, 9999, &pt))
            return ERR_INVALID;
    }
    if (strcmp(p, ".m4s"))
        return ERR_INVALID;
    *kind = pt < 0 ? MEDIA_HLS_SEGMENT : MEDIA_HLS_PART;
    *msn = m;
    *part = (int)pt;
    return 0;
}

/* The ring seen as segments and parts. */
struct ring_view {
    const struct media_ring *r;
    const struct media_frag *last;
    uint64_t start;      /* seq of the first keyframe held: listing starts there */
};

static const struct media_frag *frag(const struct ring_view *rv, uint64_t seq)
{
    return media_ring_at(rv->r, seq);
}

/* segment_done: a later segment has begun. part_done: a later part or segment has begun. */
static bool segment_done(const struct ring_view *rv, int64_t msn)
{
    return rv->last && rv->last->msn > msn;
}

static bool part_done(const struct ring_view *rv, int64_t msn, int part)
{
    return rv->last && (rv->last->msn > msn || (rv->last->msn == msn && rv->last->part > part));
}

static bool view(const struct media_ring *r, struct ring_view *rv)
{
    *rv = (struct ring_view){ .r = r, .last = media_ring_last(r) };
    for (const struct media_frag *f = media_ring_first(r); f; f = media_ring_at(r, f->seq + 1))
        if (f->key) {
            rv->start = f->seq;
            return true;
        }
    return false;
}

/* durations: the longest segment (the one in progress too, so TARGETDURATION does not grow
 * when it completes) and the longest complete part held, in µs. */
static void durations(const struct ring_view *rv, int64_t *seg_max, int64_t *part_max)
{
    int64_t seg = 0, part = 0;
    *seg_max = *part_max = 0;
    for (const struct media_frag *f = frag(rv, rv->start); f; f = frag(rv, f->seq + 1)) {
        if (f->key)
            seg = 0;
        if (f->part_start)
            part = 0;
        seg += f->dur_us;
        part += f->dur_us;
        if (seg > *seg_max)
            *seg_max = seg;
        if (part_done(rv, f->msn, f->part) && part > *part_max)
            *part_max = part;
    }
}

static void add_secs(struct buf *out, int64_t us)
{
    buf_printf(out, "%lld.%05lld", (long long)(us / 1000000), (long long)(us % 1000000 / 10));
}

/* write_playlist writes the media playlist of the ring (session lock held). */
static void write_playlist(const struct ring_view *rv, struct buf *out)
{
    int64_t seg_max, part_max;
    durations(rv, &seg_max, &part_max);
    int64_t part_target = part_max > MEDIA_PART_TARGET_US ? part_max : MEDIA_PART_TARGET_US;
    int64_t target = (seg_max + 999999) / 1000000;
    if (target < 1)
        target = 1;
    const struct media_frag *first = frag(rv, rv->start);
    int64_t parts_from = rv->last->msn - PARTS_FOR_SEGMENTS + 1;

    buf_printf(out, "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:%lld\n", (long long)target);
    buf_adds(out, "#EXT-X-PART-INF:PART-TARGET=");
    add_secs(out, part_target);
    buf_adds(out, "\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=");
    add_secs(out, part_target * PART_HOLD_PARTS);
    buf_printf(out, "\n#EXT-X-MEDIA-SEQUENCE:%lld\n#EXT-X-DISCONTINUITY-SEQUENCE:%u\n"
                    "#EXT-X-MAP:URI=\"init.mp4\"\n",
               (long long)first->msn, rv->r->discontinuity);
    int64_t seg_us = 0, part_us = 0;
    for (const struct media_frag *f = first; f; f = frag(rv, f->seq + 1)) {
        const struct media_frag *n = frag(rv, f->seq + 1);
        seg_us += f->dur_us;
        part_us += f->dur_us;
        bool part_end = n ? n->part_start : false, seg_end = n ? n->key : false;
        if (part_end && f->msn >= parts_from) {
            buf_printf(out, "#EXT-X-PART:DURATION=");
            add_secs(out, part_us);
            buf_printf(out, ",URI=\"seg/%lld.%d.m4s\"%s\n", (long long)f->msn, f->part,
                       f->part == 0 ? ",INDEPENDENT=YES" : "");
        }
        if (part_end)
            part_us = 0;
        if (seg_end) {
            buf_adds(out, "#EXTINF:");
            add_secs(out, seg_us);
            buf_printf(out, ",\nseg/%lld.m4s\n", (long long)f->msn);
            seg_us = 0;
        }
    }
    buf_printf(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"seg/%lld.%d.m4s\"\n",
               (long long)rv->last->msn, rv->last->part);
}

int media_viewer_playlist(struct media_viewer *v, int64_t want_msn, int want_part, struct buf *out)
{
    struct media_session *s = v->s;
    struct ring_view rv;
    int rc = ERR_UNAVAILABLE;

    pthread_mutex_lock(&s->mu);
    if (!view(&s->ring, &rv)) {
        if (s->info.state == MEDIA_FAILED || s->info.state == MEDIA_STOPPED)
            rc = ERR_NOT_FOUND;
        goto out;
    }
    if (want_msn >= 0 && !(segment_done(&rv, want_msn) ||
                           (want_part >= 0 && part_done(&rv, want_msn, want_part))))
        goto out; /* blocking reload: not there yet */
    write_playlist(&rv, out);
    rc = buf_error(out) ? ERR_TOO_LARGE : 0;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* announced: the part is the preload hint (or the segment the one in progress). */
static bool announced(const struct ring_view *rv, int64_t msn, int part)
{
    const struct media_frag *l = rv->last;
    return l && msn == l->msn && (part < 0 || part == l->part || part == l->part + 1);
}

int media_viewer_file(struct media_viewer *v, const char *name, struct buf *out)
{
    struct media_session *s = v->s;
    enum media_hls_kind kind;
    struct ring_view rv;
    int64_t msn;
    int part, rc;

    if ((rc = media_hls_parse_name(name, &kind, &msn, &part)))
        return rc;
    pthread_mutex_lock(&s->mu);
    rc = ERR_NOT_FOUND;
    if (kind == MEDIA_HLS_INIT) {
        if (s->ring.gen) {
            buf_add(out, s->ring.init.data, s->ring.init.len);
            rc = 0;
        } else if (s->info.state != MEDIA_FAILED && s->info.state != MEDIA_STOPPED) {
            rc = ERR_UNAVAILABLE;
        }
        goto out;
    }
    if (!view(&s->ring, &rv)) {
        if (s->info.state != MEDIA_FAILED && s->info.state != MEDIA_STOPPED)
            rc = ERR_UNAVAILABLE;
        goto out;
    }
    bool done = kind == MEDIA_HLS_SEGMENT ? segment_done(&rv, msn) : part_done(&rv, msn, part);
    if (!done) {
        if (announced(&rv, msn, part) || (rv.last && msn == rv.last->msn + 1 && part <= 0))
            rc = ERR_UNAVAILABLE;
        goto out;
    }
    bool any = false;
    for (const struct media_frag *f = frag(&rv, rv.start); f; f = frag(&rv, f->seq + 1))
        if (f->msn == msn && (part < 0 || f->part == part)) {
            buf_add(out, f->data, f->len);
            any = true;
        }
    if (any) /* listing starts at a keyframe, so every segment served is whole */
        rc = buf_error(out) ? ERR_TOO_LARGE : 0;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}
