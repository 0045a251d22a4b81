/* io/zipw.c - streaming zip writer with parallel level-1 deflate (see zipw.h; R4.2, R4.3).
 *
 * A deflated member is cut into ZIPW_BLOCK-byte blocks held in a ring of ZIPW_RING; the
 * caller fills one block while workers deflate the queued ones, and the oldest finished
 * block is written as soon as it is done, so blocks reach the output in order. Written to a
 * file (zipw_open), a deflated member's local header is patched with CRC and sizes (pwrite)
 * once the member is done, so no data descriptors are needed. Written to a sink
 * (zipw_open_sink), output is append-only: a deflated member's local header has
 * general-purpose bit 3 set and zero CRC and sizes, and a data descriptor (PK 7 8, CRC,
 * sizes) follows its data; the central directory has the real values. Stored members know
 * their CRC and sizes up front and carry them in the local header either way. Not an .xlsx
 * writer (io/xlsxw.c) and not a zip reader (libzip, io/table_xlsx.c).
 */
#include "io/zipw.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"

#define ZIPW_BLOCK ((size_t)1 << 20)  /* uncompressed bytes per deflate block */
#define ZIPW_DICT 32768               /* deflate window carried from block to block */
#define ZIPW_RING 8                   /* blocks in flight */
#define ZIPW_LIMIT 0xffffffffULL      /* no zip64: sizes and offsets stay below 4 GiB */
#define ZIPW_LEVEL 1

enum zipw_state { ZIPW_FREE, ZIPW_FILLING, ZIPW_QUEUED, ZIPW_BUSY, ZIPW_DONE };

struct zipw_block {
    unsigned char *in, *out;
    size_t in_len, out_len, out_cap;
    unsigned char dict[ZIPW_DICT];
    size_t dict_len;
    uLong crc;
    bool last;
    int zrc;
    uint64_t seq;
    enum zipw_state state;
};

struct zipw_entry {
    char name[ZIPW_NAME_MAX + 1];
    uint64_t offset, csize, usize;
    uLong crc;
    uint16_t method;
};

struct zipw {
    int fd;                           /* the output file; -1 when writing to the sink */
    char *path;
    struct zipw_sink sink;            /* the output when fd is -1 */
    uint64_t off;                     /* bytes written */
    int err;                          /* sticky: ERR_IO or ERR_TOO_LARGE */
    struct zipw_entry *entries;
    size_t nentries, entries_cap;
    bool open_member;                 /* a deflated member is being written */
    /* the deflated member being written */
    struct zipw_block blocks[ZIPW_RING];
    struct zipw_block *cur;
    uint64_t next_seq, write_seq;     /* next block to fill, next block to write */
    uLong crc;
    uint64_t usize;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t threads[ZIPW_MAX_THREADS];
    unsigned nthreads;
    bool quit;
};

static void
zipw_le16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void
zipw_le32(unsigned char *p, uint32_t v)
{
    zipw_le16(p, (uint16_t)v);
    zipw_le16(p + 2, (uint16_t)(v >> 16));
}

static void
zipw_fail(struct zipw *z, int err)
{
    if (!z->err)
        z->err = err;
}

static void
zipw_write(struct zipw *z, const void *p, size_t n)
{
    const unsigned char *c = p;
    if (z->fd < 0) {
        if (n && !z->err && z->sink.write(z->sink.ctx, p, n) != 0)
            zipw_fail(z, ERR_IO);
        else if (!z->err)
            z->off += n;
        return;
    }
    while (n && !z->err) {
        ssize_t k = write(z->fd, c, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            zipw_fail(z, ERR_IO);
            break;
        }
        c += k;
        n -= (size_t)k;
        z->off += (uint64_t)k;
    }
}

/* ---- the deflate pipeline ------------------------------------------------------------ */

static void
zipw_deflate(struct zipw_block *b)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    b->zrc = Z_OK;
    b->crc = crc32(0L, b->in, (uInt)b->in_len);
    if (deflateInit2(&zs, ZIPW_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        b->zrc = Z_MEM_ERROR;
        return;
    }
    if (b->dict_len)
        deflateSetDictionary(&zs, b->dict, (uInt)b->dict_len);
    size_t need = deflateBound(&zs, (uLong)b->in_len) + 64;
    if (need > b->out_cap) {
        if (b->out)
            wipe(b->out, b->out_cap);
        xfree(b->out);
        b->out = xmalloc(need);
        b->out_cap = need;
    }
    zs.next_in = b->in;
    zs.avail_in = (uInt)b->in_len;
    zs.next_out = b->out;
    zs.avail_out = (uInt)b->out_cap;
    int rc = deflate(&zs, b->last ? Z_FINISH : Z_SYNC_FLUSH);
    if ((b->last && rc != Z_STREAM_END) || (!b->last && rc != Z_OK) || zs.avail_in)
        b->zrc = Z_BUF_ERROR;
    b->out_len = b->out_cap - zs.avail_out;
    deflateEnd(&zs);
}

static void *
zipw_worker(void *arg)
{
    struct zipw *z = arg;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        struct zipw_block *job = NULL;
        for (size_t i = 0; i < ZIPW_RING; i++)
            if (z->blocks[i].state == ZIPW_QUEUED && (!job || z->blocks[i].seq < job->seq))
                job = &z->blocks[i];
        if (!job) {
            if (z->quit)
                break;
            pthread_cond_wait(&z->cv, &z->mu);
            continue;
        }
        job->state = ZIPW_BUSY;
        pthread_mutex_unlock(&z->mu);
        zipw_deflate(job);
        pthread_mutex_lock(&z->mu);
        job->state = ZIPW_DONE;
        pthread_cond_broadcast(&z->cv);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

/* zipw_drain_one writes the oldest block once it is deflated; false when none is out. */
static bool
zipw_drain_one(struct zipw *z)
{
    struct zipw_block *b = NULL;
    pthread_mutex_lock(&z->mu);
    for (size_t i = 0; i < ZIPW_RING; i++)
        if (z->blocks[i].state != ZIPW_FREE && z->blocks[i].state != ZIPW_FILLING &&
            z->blocks[i].seq == z->write_seq)
            b = &z->blocks[i];
    while (b && z->nthreads && b->state != ZIPW_DONE)
        pthread_cond_wait(&z->cv, &z->mu);
    pthread_mutex_unlock(&z->mu);
    if (!b)
        return false;
    if (!z->nthreads && b->state == ZIPW_QUEUED)
        zipw_deflate(b);
    if (b->zrc != Z_OK)
        zipw_fail(z, ERR_IO);
    zipw_write(z, b->out, b->out_len);
    z->crc = crc32_combine(z->crc, b->crc, (z_off_t)b->in_len);
    z->usize += b->in_len;
    z->write_seq++;
    pthread_mutex_lock(&z->mu);
    b->state = ZIPW_FREE;
    pthread_mutex_unlock(&z->mu);
    return true;
}

/* zipw_submit queues the block being filled (last: the end of the member). */
static void
zipw_submit(struct zipw *z, bool last)
{
    struct zipw_block *b = z->cur;
    b->last = last;
    z->cur = NULL;
    pthread_mutex_lock(&z->mu);
    b->state = ZIPW_QUEUED;
    pthread_cond_broadcast(&z->cv);
    pthread_mutex_unlock(&z->mu);
}

/* zipw_next_block starts filling a free block, primed with the end of prev. */
static void
zipw_next_block(struct zipw *z, const struct zipw_block *prev)
{
    struct zipw_block *b = NULL;
    for (;;) {
        pthread_mutex_lock(&z->mu);
        for (size_t i = 0; i < ZIPW_RING && !b; i++)
            if (z->blocks[i].state == ZIPW_FREE)
                b = &z->blocks[i];
        pthread_mutex_unlock(&z->mu);
        if (b)
            break;
        if (!zipw_drain_one(z)) {
            zipw_fail(z, ERR_INTERNAL); /* cannot happen: a full ring holds the oldest block */
            return;
        }
    }
    if (!b->in)
        b->in = xmalloc(ZIPW_BLOCK);
    b->in_len = 0;
    b->dict_len = 0;
    if (prev && prev->in_len) {
        b->dict_len = prev->in_len < ZIPW_DICT ? prev->in_len : ZIPW_DICT;
        memcpy(b->dict, prev->in + prev->in_len - b->dict_len, b->dict_len);
    }
    b->seq = z->next_seq++;
    pthread_mutex_lock(&z->mu);
    b->state = ZIPW_FILLING;
    pthread_mutex_unlock(&z->mu);
    z->cur = b;
}

void
zipw_put(struct zipw *z, const void *p, size_t n)
{
    const char *c = p;
    if (z->err || !z->cur)
        return;
    while (n) {
        struct zipw_block *b = z->cur;
        size_t room = ZIPW_BLOCK - b->in_len, k = n < room ? n : room;
        memcpy(b->in + b->in_len, c, k);
        b->in_len += k;
        c += k;
        n -= k;
        if (b->in_len == ZIPW_BLOCK) {
            zipw_submit(z, false);
            zipw_next_block(z, b);
            if (z->err)
                return;
        }
    }
}

/* ---- members and the directory -------------------------------------------------------- */

/* zipw_flags: names are UTF-8 (bit 11); a deflated member written to a sink has a data
 * descriptor (bit 3). */
static uint16_t
zipw_flags(const struct zipw *z, uint16_t method)
{
    return z->fd < 0 && method != 0 ? 0x0808 : 0x0800;
}

/* zipw_entry_begin starts member name; a stored member (method 0) passes its crc and size
 * so that the local header has them when writing to a sink. */
static void
zipw_entry_begin(struct zipw *z, const char *name, uint16_t method, uLong crc, uint64_t size)
{
    unsigned char h[30];
    size_t nl = strlen(name);
    struct zipw_entry *e;

    if (z->err)
        return;
    if (nl > ZIPW_NAME_MAX || z->nentries >= 0xffff || z->open_member) {
        zipw_fail(z, ERR_INTERNAL);
        return;
    }
    if (z->nentries == z->entries_cap) {
        z->entries_cap = z->entries_cap ? 2 * z->entries_cap : 16;
        z->entries = xrealloc(z->entries, z->entries_cap * sizeof *z->entries);
    }
    e = &z->entries[z->nentries++];
    memset(e, 0, sizeof *e);
    str_copy(e->name, sizeof e->name, name);
    e->offset = z->off;
    e->method = method;
    memset(h, 0, sizeof h);
    zipw_le32(h, 0x04034b50);
    zipw_le16(h + 4, 20);
    zipw_le16(h + 6, zipw_flags(z, method)); /* names are UTF-8 (+ bit 3, see above) */
    zipw_le16(h + 8, method);
    zipw_le16(h + 12, 0x21);    /* 1980-01-01 00:00 */
    if (z->fd < 0 && method == 0 && size <= ZIPW_LIMIT) {
        zipw_le32(h + 14, (uint32_t)crc);
        zipw_le32(h + 18, (uint32_t)size);
        zipw_le32(h + 22, (uint32_t)size);
    }
    zipw_le16(h + 26, (uint16_t)nl);
    zipw_write(z, h, sizeof h);
    zipw_write(z, name, nl);
}

static void
zipw_entry_end(struct zipw *z, uLong crc, uint64_t csize, uint64_t usize)
{
    struct zipw_entry *e;
    unsigned char h[16];

    if (z->err)
        return;
    e = &z->entries[z->nentries - 1];
    if (csize > ZIPW_LIMIT || usize > ZIPW_LIMIT || z->off > ZIPW_LIMIT) {
        zipw_fail(z, ERR_TOO_LARGE);
        return;
    }
    e->crc = crc;
    e->csize = csize;
    e->usize = usize;
    zipw_le32(h, 0x08074b50);
    zipw_le32(h + 4, (uint32_t)crc);
    zipw_le32(h + 8, (uint32_t)csize);
    zipw_le32(h + 12, (uint32_t)usize);
    if (z->fd < 0) {
        if (e->method != 0) /* the data descriptor */
            zipw_write(z, h, sizeof h);
    } else if (pwrite(z->fd, h + 4, 12, (off_t)(e->offset + 14)) != 12) {
        zipw_fail(z, ERR_IO);
    }
}

void
zipw_stored(struct zipw *z, const char *name, const void *p, size_t n)
{
    if (n > ZIPW_LIMIT) {
        zipw_fail(z, ERR_TOO_LARGE);
        return;
    }
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)p, (uInt)n);
    zipw_entry_begin(z, name, 0, crc, n);
    zipw_write(z, p, n);
    zipw_entry_end(z, crc, n, n);
}

void
zipw_begin(struct zipw *z, const char *name)
{
    zipw_entry_begin(z, name, 8, 0, 0);
    if (z->err)
        return;
    z->open_member = true;
    z->crc = crc32(0L, Z_NULL, 0);
    z->usize = 0;
    z->next_seq = z->write_seq = 0;
    zipw_next_block(z, NULL);
}

void
zipw_end(struct zipw *z)
{
    uint64_t start;
    if (!z->open_member)
        return;
    z->open_member = false;
    if (z->cur) {
        zipw_submit(z, true);
        while (zipw_drain_one(z))
            ;
    }
    start = z->entries[z->nentries - 1].offset + 30 + strlen(z->entries[z->nentries - 1].name);
    zipw_entry_end(z, z->crc, z->off - start, z->usize);
}

int zipw_error(const struct zipw *z) { return z->err; }

static void
zipw_directory(struct zipw *z)
{
    uint64_t cd = z->off;
    unsigned char end[22];

    for (size_t i = 0; i < z->nentries && !z->err; i++) {
        const struct zipw_entry *e = &z->entries[i];
        unsigned char h[46];
        size_t nl = strlen(e->name);
        memset(h, 0, sizeof h);
        zipw_le32(h, 0x02014b50);
        zipw_le16(h + 4, 20);
        zipw_le16(h + 6, 20);
        zipw_le16(h + 8, zipw_flags(z, e->method));
        zipw_le16(h + 10, e->method);
        zipw_le16(h + 14, 0x21);
        zipw_le32(h + 16, (uint32_t)e->crc);
        zipw_le32(h + 20, (uint32_t)e->csize);
        zipw_le32(h + 24, (uint32_t)e->usize);
        zipw_le16(h + 28, (uint16_t)nl);
        zipw_le32(h + 42, (uint32_t)e->offset);
        zipw_write(z, h, sizeof h);
        zipw_write(z, e->name, nl);
    }
    memset(end, 0, sizeof end);
    zipw_le32(end, 0x06054b50);
    zipw_le16(end + 8, (uint16_t)z->nentries);
    zipw_le16(end + 10, (uint16_t)z->nentries);
    zipw_le32(end + 12, (uint32_t)(z->off - cd));
    zipw_le32(end + 16, (uint32_t)cd);
    if (z->off > ZIPW_LIMIT)
        zipw_fail(z, ERR_TOO_LARGE);
    zipw_write(z, end, sizeof end);
}

/* ---- life cycle ---------------------------------------------------------------------- */

static struct zipw *
zipw_new(int fd, const char *path, const struct zipw_sink *sink, unsigned threads)
{
    struct zipw *z = xcalloc(1, sizeof *z);
    z->fd = fd;
    z->path = path ? xstrdup(path) : NULL;
    if (sink)
        z->sink = *sink;
    pthread_mutex_init(&z->mu, NULL);
    pthread_cond_init(&z->cv, NULL);
    for (unsigned i = 0; i < threads && i < ZIPW_MAX_THREADS; i++) {
        if (pthread_create(&z->threads[i], NULL, zipw_worker, z))
            break; /* fewer workers: slower, not wrong */
        z->nthreads++;
    }
    return z;
}

int
zipw_open(const char *path, unsigned threads, struct zipw **out)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return ERR_IO;
    if (fchmod(fd, 0600) != 0) { /* an existing file keeps its mode under O_TRUNC */
        close(fd);
        unlink(path);
        return ERR_IO;
    }
    *out = zipw_new(fd, path, NULL, threads);
    return 0;
}

int
zipw_open_sink(const struct zipw_sink *sink, unsigned threads, struct zipw **out)
{
    *out = NULL;
    if (!sink || !sink->write)
        return ERR_INVALID;
    *out = zipw_new(-1, NULL, sink, threads);
    return 0;
}

/* zipw_remove removes the file written to (nothing for a sink). */
static void
zipw_remove(const struct zipw *z)
{
    if (z->path)
        unlink(z->path);
}

static void
zipw_stop_workers(struct zipw *z)
{
    pthread_mutex_lock(&z->mu);
    z->quit = true;
    pthread_cond_broadcast(&z->cv);
    pthread_mutex_unlock(&z->mu);
    for (unsigned i = 0; i < z->nthreads; i++)
        pthread_join(z->threads[i], NULL);
    z->nthreads = 0;
}

static void
zipw_release(struct zipw *z)
{
    zipw_stop_workers(z);
    for (size_t i = 0; i < ZIPW_RING; i++) {
        struct zipw_block *b = &z->blocks[i];
        if (b->in)
            wipe(b->in, ZIPW_BLOCK); /* the caller's plaintext, and compressed below */
        if (b->out)
            wipe(b->out, b->out_cap);
        wipe(b->dict, sizeof b->dict);
        xfree(b->in);
        xfree(b->out);
    }
    xfree(z->entries);
    pthread_cond_destroy(&z->cv);
    pthread_mutex_destroy(&z->mu);
    if (z->fd >= 0)
        close(z->fd);
    xfree(z->path);
    xfree(z);
}

int
zipw_close(struct zipw *z)
{
    int rc;
    if (!z)
        return 0;
    if (z->open_member)
        zipw_end(z);
    zipw_stop_workers(z);
    zipw_directory(z);
    if (z->fd >= 0) {
        if (!z->err && close(z->fd) != 0)
            zipw_fail(z, ERR_IO);
        else if (z->err)
            close(z->fd);
        z->fd = -1;
    }
    rc = z->err;
    if (rc)
        zipw_remove(z);
    zipw_release(z);
    return rc;
}

void
zipw_free(struct zipw *z)
{
    if (!z)
        return;
    zipw_remove(z);
    zipw_release(z);
}
