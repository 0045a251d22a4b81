/* media/box.c - top-level MP4 box splitting and codec strings from avcC/hvcC (issue 9;
 * R3.1). It parses only box headers and the few codec-configuration bytes RFC 6381 needs;
 * it is not an MP4 demuxer. Fuzzed by fuzz/fuzz_media_box.c. */
#include "media/box.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int media_box_next(const uint8_t *p, size_t n, char type[5], uint64_t *size, size_t *hdr)
{
    if (n < 8)
        return ERR_INVALID;
    uint64_t sz = be32(p);
    size_t h = 8;
    if (sz == 1) {
        if (n < 16)
            return ERR_INVALID;
        sz = (uint64_t)be32(p + 8) << 32 | be32(p + 12);
        h = 16;
    }
    if (sz == 0 || sz < h)
        return ERR_INVALID;
    memcpy(type, p + 4, 4);
    type[4] = 0;
    *size = sz;
    *hdr = h;
    return 0;
}

void media_box_splitter_init(struct media_box_splitter *s)
{
    *s = (struct media_box_splitter){ .pending = BUF_INIT };
    buf_init(&s->pending, MEDIA_BOX_MAX * 2);
}

void media_box_splitter_release(struct media_box_splitter *s)
{
    buf_release(&s->pending);
    s->complete = s->scan = 0;
    s->failed = false;
}

int media_box_splitter_add(struct media_box_splitter *s, const void *p, size_t n)
{
    if (s->failed)
        return ERR_INVALID;
    buf_add(&s->pending, p, n);
    if (buf_error(&s->pending)) {
        s->failed = true;
        return ERR_TOO_LARGE;
    }
    const uint8_t *d = (const uint8_t *)s->pending.data;
    size_t len = s->pending.len;
    while (len - s->scan >= 16 || (len - s->scan >= 8 && be32(d + s->scan) != 1)) {
        char type[5];
        uint64_t size;
        size_t hdr;
        if (media_box_next(d + s->scan, len - s->scan, type, &size, &hdr)) {
            s->failed = true;
            return ERR_INVALID;
        }
        if (size > MEDIA_BOX_MAX) {
            s->failed = true;
            return ERR_TOO_LARGE;
        }
        if (size > len - s->scan)
            break;
        s->scan += (size_t)size;
        s->complete = s->scan;
    }
    return 0;
}

size_t media_box_splitter_take(struct media_box_splitter *s, struct buf *out)
{
    size_t n = s->complete;
    if (!n)
        return 0;
    buf_add(out, s->pending.data, n);
    memmove(s->pending.data, s->pending.data + n, s->pending.len - n);
    s->pending.len -= n;
    s->pending.data[s->pending.len] = 0;
    s->scan -= n;
    s->complete = 0;
    return n;
}

/* find_child looks for a box of type t among the boxes of p[0..n). */
static int find_child(const uint8_t *p, size_t n, const char *t, const uint8_t **body, size_t *len)
{
    size_t off = 0;
    while (off < n) {
        char type[5];
        uint64_t size;
        size_t hdr;
        if (media_box_next(p + off, n - off, type, &size, &hdr) || size > n - off)
            return ERR_INVALID;
        if (!memcmp(type, t, 4)) {
            *body = p + off + hdr;
            *len = (size_t)size - hdr;
            return 0;
        }
        off += (size_t)size;
    }
    return ERR_NOT_FOUND;
}

int media_box_find(const uint8_t *p, size_t n, const char *path, const uint8_t **body, size_t *len)
{
    const uint8_t *cur = p;
    size_t cur_n = n;
    for (const char *t = path; *t;) {
        if (strlen(t) < 4 || (t[4] && t[4] != '/'))
            return ERR_INVALID;
        int rc = find_child(cur, cur_n, t, &cur, &cur_n);
        if (rc)
            return rc;
        t += t[4] ? 5 : 4;
    }
    *body = cur;
    *len = cur_n;
    return 0;
}

static uint32_t reverse32(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, v >>= 1)
        r = r << 1 | (v & 1);
    return r;
}

/* hvc_string writes "hvc1.1.6.L93.B0" (ISO/IEC 14496-15 annex E) from an hvcC body. */
static int hvc_string(const char *tag, const uint8_t *c, size_t n, char *out, size_t cap)
{
    if (n < 13)
        return ERR_INVALID;
    static const char *const space[] = { "", "A", "B", "C" };
    int len = snprintf(out, cap, "%s.%s%u.%X.%c%u", tag, space[c[1] >> 6], c[1] & 0x1f,
                       (unsigned)reverse32(be32(c + 2)), (c[1] & 0x20) ? 'H' : 'L', c[12]);
    int last = -1;
    for (int i = 0; i < 6; i++)
        if (c[6 + i])
            last = i;
    for (int i = 0; i <= last && len > 0 && (size_t)len < cap; i++)
        len += snprintf(out + len, cap - (size_t)len, ".%X", c[6 + i]);
    return len > 0 && (size_t)len < cap ? 0 : ERR_INVALID;
}

int media_box_codec(const uint8_t *init, size_t n, char *out, size_t cap)
{
    enum { VISUAL_ENTRY = 78, STSD_HEAD = 8 };
    const uint8_t *p;
    size_t len;
    int rc;

    out[0] = 0;
    if ((rc = find_child(init, n, "moov", &p, &len)))
        return rc;
    const uint8_t *moov = p;
    size_t moov_n = len, off = 0;
    while (off < moov_n) { /* every trak: the first with an avc/hevc sample entry wins */
        char type[5];
        uint64_t size;
        size_t hdr;
        if (media_box_next(moov + off, moov_n - off, type, &size, &hdr) || size > moov_n - off)
            return ERR_INVALID;
        const uint8_t *trak = moov + off + hdr;
        size_t trak_n = (size_t)size - hdr;
        off += (size_t)size;
        if (strcmp(type, "trak") || media_box_find(trak, trak_n, "mdia/minf/stbl/stsd", &p, &len) ||
            len < STSD_HEAD)
            continue;
        const uint8_t *entry = p + STSD_HEAD;
        size_t entry_n = len - STSD_HEAD;
        if (media_box_next(entry, entry_n, type, &size, &hdr) || size > entry_n ||
            size < hdr + VISUAL_ENTRY)
            continue;
        const uint8_t *kids = entry + hdr + VISUAL_ENTRY;
        size_t kids_n = (size_t)size - hdr - VISUAL_ENTRY;
        if (!strcmp(type, "avc1") || !strcmp(type, "avc3")) {
            if ((rc = find_child(kids, kids_n, "avcC", &p, &len)) || len < 4)
                continue;
            snprintf(out, cap, "%s.%02X%02X%02X", type, p[1], p[2], p[3]);
            return 0;
        }
        if (!strcmp(type, "hvc1") || !strcmp(type, "hev1")) {
            if (find_child(kids, kids_n, "hvcC", &p, &len) || hvc_string(type, p, len, out, cap)) {
                out[0] = 0;
                continue;
            }
            return 0;
        }
    }
    return ERR_NOT_FOUND;
}
