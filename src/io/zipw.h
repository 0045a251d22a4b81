/* io/zipw.h - streaming zip writer for the .xlsx packages the project writes (R4.2, R4.3).
 *
 * Small members are written as they are (zipw_stored); one large member at a time is
 * streamed and deflated (zipw_begin, zipw_put, zipw_end) at level 1 in 1 MiB blocks, on
 * worker threads when asked (pigz-style: each block primed with the 32 KiB before it and
 * ended by a sync flush, so the blocks concatenate into one deflate stream; CRCs are
 * combined). Nothing is written anywhere but the output - a file (zipw_open) or an
 * append-only sink (zipw_open_sink; deflated members then carry data descriptors, general-
 * purpose bit 3) - no temporary file, and the blocks in memory (the caller's plaintext) are
 * wiped when the writer is released. A sink lets the caller keep the package off the disk
 * in clear (the HTTP exports seal it: api/api.h, crypto/sealed_tmp.h; issue 12, S1).
 *
 * Errors are sticky: after a failed write or a size past the limits every call does
 * nothing and zipw_close reports the error. Limits: no zip64, so every member and the
 * whole file stay below 4 GiB (ERR_TOO_LARGE); member names up to ZIPW_NAME_MAX bytes.
 * A writer is used by one thread (its own workers aside).
 */
#ifndef JY_IO_ZIPW_H
#define JY_IO_ZIPW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZIPW_MAX_THREADS 8
#define ZIPW_NAME_MAX 64

struct zipw;

/* An append-only output: write takes the next n bytes of the package and returns 0, or
 * non-zero on failure (the writer then fails with ERR_IO). Called from the thread that
 * calls zipw (never from the deflating workers). */
struct zipw_sink {
    int (*write)(void *ctx, const void *p, size_t n);
    void *ctx;
};

/* zipw_open creates (or truncates) path with mode 0600 and starts threads deflating
 * workers (0: blocks are deflated by the caller's thread; more than ZIPW_MAX_THREADS
 * are capped). ERR_IO when the file cannot be created. */
int zipw_open(const char *path, unsigned threads, struct zipw **out);

/* zipw_open_sink is zipw_open writing to *sink (copied) instead of a file: nothing is
 * patched, so every byte goes out once, in order. ERR_INVALID without a write function. */
int zipw_open_sink(const struct zipw_sink *sink, unsigned threads, struct zipw **out);

/* zipw_stored adds member name holding p[0..n) uncompressed; not while a deflated member
 * is open. */
void zipw_stored(struct zipw *z, const char *name, const void *p, size_t n);

/* zipw_begin opens deflated member name; zipw_put appends to it; zipw_end finishes it. */
void zipw_begin(struct zipw *z, const char *name);
void zipw_put(struct zipw *z, const void *p, size_t n);
void zipw_end(struct zipw *z);

/* zipw_error returns the sticky error (0, ERR_IO or ERR_TOO_LARGE). */
int zipw_error(const struct zipw *z);

/* zipw_close writes the central directory, closes the file and frees z. On any error
 * (sticky or now) the file is removed and the error returned (a sink's owner discards what
 * it got). NULL is fine (0). */
int zipw_close(struct zipw *z);

/* zipw_free discards the package: the file is removed (a sink is left to its owner), z
 * freed. NULL is fine. */
void zipw_free(struct zipw *z);

#endif
