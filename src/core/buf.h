/* core/buf.h - growable, capped byte buffer for building text and binary values.
 *
 * data is never NULL and always NUL-terminated (so text can be used as a C string). A
 * buffer has a cap (BUF_CAP_DEFAULT unless set); an append that would exceed it sets the
 * sticky error flag and is dropped, so callers check once at the end with buf_error().
 */
#ifndef JY_CORE_BUF_H
#define JY_CORE_BUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define BUF_CAP_DEFAULT ((size_t)64 << 20)

struct buf {
    char *data;
    size_t len, alloc, cap;
    bool err;
};

extern char buf__empty[1];
#define BUF_INIT { buf__empty, 0, 0, BUF_CAP_DEFAULT, false }

void buf_init(struct buf *b, size_t cap);
/* buf_release frees the contents; the buffer is back in INIT state. */
void buf_release(struct buf *b);
/* buf_release_secret wipes the contents before freeing. */
void buf_release_secret(struct buf *b);
void buf_reset(struct buf *b);
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* buf_detach hands the data to the caller (free with xfree) and resets b. */
char *buf_detach(struct buf *b, size_t *len);
static inline bool buf_error(const struct buf *b) { return b->err; }

#endif
