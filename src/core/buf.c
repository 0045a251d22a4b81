/* core/buf.c - see buf.h. */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include <stdint.h>

#include "core/alloc.h"

char buf__empty[1];

void
buf_init(struct buf *b, size_t cap)
{
    *b = (struct buf)BUF_INIT;
    b->cap = cap ? cap : BUF_CAP_DEFAULT;
}

void
buf_release(struct buf *b)
{
    size_t cap = b->cap;
    if (b->alloc)
        xfree(b->data);
    *b = (struct buf)BUF_INIT;
    b->cap = cap;
}

void
buf_release_secret(struct buf *b)
{
    if (b->alloc)
        wipe(b->data, b->alloc);
    buf_release(b);
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = false;
    if (b->alloc)
        b->data[0] = '\0';
}

static bool
buf_reserve(struct buf *b, size_t extra)
{
    size_t need;
    if (b->err || !size_add(b->len, extra, &need) || !size_add(need, 1, &need) ||
        need - 1 > b->cap) {
        b->err = true;
        return false;
    }
    if (need <= b->alloc)
        return true;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (b->alloc) {
        b->data = xrealloc(b->data, n);
    } else {
        b->data = xmalloc(n);
        b->data[0] = '\0';
    }
    b->alloc = n;
    return true;
}

void buf_grow(struct buf *b, size_t extra) { (void)buf_reserve(b, extra); }

void
buf_add(struct buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }
void buf_addch(struct buf *b, char c) { buf_add(b, &c, 1); }

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || !buf_reserve(b, (size_t)n)) {
        b->err = true;
        return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *
buf_detach(struct buf *b, size_t *len)
{
    char *p = b->alloc ? b->data : xstrdup("");
    if (len)
        *len = b->len;
    size_t cap = b->cap;
    *b = (struct buf)BUF_INIT;
    b->cap = cap;
    return p;
}
