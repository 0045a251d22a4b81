/* io/table_csv.c - the CSV row source of io/table.h (R4.3, R4.4, R4.5).
 *
 * The input is read in chunks, decoded to UTF-8 (glibc iconv for GB18030 and UTF-16,
 * carrying an incomplete character over to the next chunk) and fed to libcsv, whose
 * callbacks collect finished records in a small queue that table__csv_next drains; so
 * memory stays at a few chunks whatever the file size. The encoding is decided before the
 * first row: a BOM says UTF-8 or UTF-16; without one, the whole input is checked once and
 * is UTF-8 if it is valid UTF-8, GB18030 (a superset of GBK and GB2312, what Chinese Excel
 * writes) otherwise. Cells are not trimmed and quotes are handled as Excel writes them;
 * libcsv's non-strict mode keeps a stray quote as text rather than refusing the file.
 * This file does not look at what the values mean.
 */
#include "io/table_source.h"

#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>

#include "core/alloc.h"
#include "core/err.h"

#define CSV_CHUNK ((size_t)64 * 1024)
#define CSV_CONV_CAP (2 * CSV_CHUNK + 64)     /* UTF-8 is at most 1.5x GB18030 or UTF-16 */
#define CSV_BLK 4096
#define CSV_ENTRY_CAP (TABLE_MAX_CELL + 2 * CSV_BLK)
#define CSV_RECORD_CAP ((size_t)TABLE_MAX_COLS * (TABLE_MAX_CELL + 1))
#define CSV_SNIFF_LINES 5

enum csv_enc { CSV_UTF8, CSV_GB18030, CSV_UTF16LE, CSV_UTF16BE };
static const char *const csv_enc_names[] = { "UTF-8", "GB18030", "UTF-16LE", "UTF-16BE" };

struct csv_qrow {
    size_t first, ncells;
    uint64_t num;
};

struct csv_qcell {
    size_t off, len;
};

struct table__csv {
    int fd;                         /* -1: memory or reader input */
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    struct table_reader rd;         /* rd.read NULL: not a reader */
    uint64_t rd_pos;
    enum csv_enc enc;
    iconv_t cd;
    unsigned char in[CSV_CHUNK];
    size_t in_len;                  /* raw bytes carried over (an incomplete character) */
    char *conv;
    size_t in_hi, conv_hi;          /* high-water marks: what to wipe */

    struct csv_parser p;
    bool started, eof, finished;
    unsigned char delim;

    /* the record being parsed */
    struct buf cur;
    struct csv_qcell cur_cells[TABLE_MAX_COLS];
    size_t cur_n, cur_ncols;
    bool pending_cr;
    uint64_t recno;

    /* finished records waiting to be handed out */
    struct buf q;
    struct csv_qrow *qrows;
    size_t qn, qpos, qrows_alloc;
    struct csv_qcell *qcells;
    size_t qcn, qcells_alloc;
    struct str out[TABLE_MAX_COLS];

    int rc;                         /* failure while parsing, reported after the rows */
    struct buf err;                 /* ... and its message */
};

/* ---- libcsv callbacks --------------------------------------------------------------------- */

static void
csv_fail(struct table__csv *c, int rc, const char *what)
{
    if (c->rc)
        return;
    c->rc = rc;
    buf_printf(&c->err, "csv row %" PRIu64 ": %s", c->recno + 1, what);
}

static void
csv_on_field(void *s, size_t len, void *data)
{
    struct table__csv *c = data;
    size_t idx = c->cur_n++;
    c->pending_cr = false;
    if (c->rc)
        return;
    if (len > TABLE_MAX_CELL) {
        csv_fail(c, ERR_TOO_LARGE, "a cell is longer than 32767 bytes");
        return;
    }
    if (len && memchr(s, '\0', len)) {
        csv_fail(c, ERR_INVALID, "the text holds a NUL character");
        return;
    }
    if (len == 0) {
        if (idx < TABLE_MAX_COLS)
            c->cur_cells[idx].len = 0;
        return;
    }
    if (idx >= TABLE_MAX_COLS) {
        csv_fail(c, ERR_TOO_LARGE, "a value lies beyond column 256");
        return;
    }
    c->cur_cells[idx] = (struct csv_qcell){ c->cur.len, len };
    buf_add(&c->cur, s, len);
    buf_addch(&c->cur, '\0');
    c->cur_ncols = idx + 1;
}

static void
csv_on_record(int term, void *data)
{
    struct table__csv *c = data;
    if (c->rc)
        return;
    if (c->cur_n == 0 && term == '\n' && c->pending_cr) {
        c->pending_cr = false;          /* the LF of a CRLF */
        return;
    }
    c->pending_cr = term == '\r';
    if (c->recno + 1 > TABLE_MAX_ROWS) {
        csv_fail(c, ERR_TOO_LARGE, "the file has more than 2000000 rows");
        return;
    }
    c->recno++;
    if (c->cur_ncols) {
        if (c->qn == c->qrows_alloc) {
            c->qrows_alloc = c->qrows_alloc ? c->qrows_alloc * 2 : 256;
            c->qrows = xrealloc(c->qrows, c->qrows_alloc * sizeof *c->qrows);
        }
        if (c->qcn + c->cur_ncols > c->qcells_alloc) {
            size_t n = c->qcells_alloc ? c->qcells_alloc : 1024;
            while (n < c->qcn + c->cur_ncols)
                n *= 2;
            c->qcells = xrealloc(c->qcells, n * sizeof *c->qcells);
            c->qcells_alloc = n;
        }
        c->qrows[c->qn++] = (struct csv_qrow){ c->qcn, c->cur_ncols, c->recno };
        for (size_t i = 0; i < c->cur_ncols; i++) {
            const struct csv_qcell *cc = &c->cur_cells[i];
            c->qcells[c->qcn++] = (struct csv_qcell){ c->q.len, cc->len };
            buf_add(&c->q, c->cur.data + cc->off, cc->len);
            buf_addch(&c->q, '\0');
        }
        if (buf_error(&c->q) || buf_error(&c->cur))
            csv_fail(c, ERR_TOO_LARGE, "the row holds too much text");
    }
    for (size_t i = 0; i < c->cur_ncols; i++)
        c->cur_cells[i].len = 0;
    c->cur_n = c->cur_ncols = 0;
    buf_reset(&c->cur);
}

static int
csv_never_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

/* libcsv grows its field buffer through this; refusing past the cap makes it stop with
 * CSV_ENOMEM instead of buffering a gigabyte-long field. */
static void *
csv_capped_realloc(void *p, size_t n)
{
    return n > CSV_ENTRY_CAP ? NULL : table__secret_realloc(p, n);
}

/* ---- encoding ----------------------------------------------------------------------------- */

/* csv_utf8_scan checks p[0..n) as strict UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF). Returns false on an invalid sequence; *tail is the length of an incomplete but
 * so far valid sequence at the end (to be rescanned with the next bytes); *nul is set when
 * a NUL byte is seen. */
static bool
csv_utf8_scan(const unsigned char *p, size_t n, size_t *tail, bool *nul)
{
    size_t i = 0;
    *tail = 0;
    while (i < n) {
        unsigned char ch = p[i];
        if (ch < 0x80) {
            if (ch == 0)
                *nul = true;
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (ch >= 0xC2 && ch <= 0xDF) {
            need = 1;
        } else if (ch >= 0xE0 && ch <= 0xEF) {
            need = 2;
            if (ch == 0xE0)
                lo = 0xA0;
            else if (ch == 0xED)
                hi = 0x9F;
        } else if (ch >= 0xF0 && ch <= 0xF4) {
            need = 3;
            if (ch == 0xF0)
                lo = 0x90;
            else if (ch == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) {
                *tail = n - i;
                return true;
            }
            unsigned char cc = p[i + k];
            if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 || cc > 0xBF))
                return false;
        }
        i += need + 1;
    }
    return true;
}

static int
csv_read_raw(struct table__csv *c, unsigned char *p, size_t cap, size_t *got, struct buf *msg)
{
    *got = 0;
    if (c->rd.read) {
        int rc = c->rd.read(c->rd.arg, p, cap, c->rd_pos, got);
        if (rc) {
            buf_adds(msg, rc == ERR_CRYPTO ? "the uploaded file was altered on the server's disk"
                                           : "the file cannot be read");
            return rc == ERR_CRYPTO ? ERR_INVALID : ERR_IO;
        }
        c->rd_pos += *got;
        return 0;
    }
    if (c->fd < 0) {
        size_t n = c->mem_len - c->mem_pos < cap ? c->mem_len - c->mem_pos : cap;
        memcpy(p, c->mem + c->mem_pos, n);
        c->mem_pos += n;
        *got = n;
        return 0;
    }
    for (;;) {
        ssize_t n = read(c->fd, p, cap);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        if (errno != EINTR) {
            buf_adds(msg, "the file cannot be read");
            return ERR_IO;
        }
    }
}

/* csv_detect decides the encoding, reading the whole input once when there is no BOM, and
 * rewinds. */
static int
csv_detect(struct table__csv *c, struct buf *msg)
{
    unsigned char *scan = xmalloc(CSV_CHUNK + 4);
    size_t carry = 0, got, tail = 0, hi = 0;
    bool valid = true, nul = false, bom8 = false;
    int rc = ERR_INTERNAL;

    if ((rc = csv_read_raw(c, scan, CSV_CHUNK, &got, msg)))
        goto out;
    if (got >= 2 && scan[0] == 0xFF && scan[1] == 0xFE) {
        c->enc = CSV_UTF16LE;
    } else if (got >= 2 && scan[0] == 0xFE && scan[1] == 0xFF) {
        c->enc = CSV_UTF16BE;
    } else {
        bom8 = got >= 3 && scan[0] == 0xEF && scan[1] == 0xBB && scan[2] == 0xBF;
        while (got) {
            size_t n = carry + got;
            if (n > hi)
                hi = n;
            if (valid && !csv_utf8_scan(scan, n, &tail, &nul))
                valid = false;
            if (!valid && !nul)     /* still looking for NUL bytes */
                nul = memchr(scan, '\0', n) != NULL;
            carry = valid ? tail : 0;
            memmove(scan, scan + n - carry, carry);
            if ((rc = csv_read_raw(c, scan + carry, CSV_CHUNK, &got, msg)))
                goto out;
        }
        if (carry)
            valid = false;          /* the input ends inside a character */
        if (nul) {
            buf_adds(msg, "the file is not an Excel workbook or CSV (it holds binary data)");
            rc = ERR_INVALID;
            goto out;
        }
        if (bom8 && !valid) {
            buf_adds(msg, "the file is marked as UTF-8 but is not valid UTF-8; save it again "
                          "as \"CSV UTF-8\"");
            rc = ERR_INVALID;
            goto out;
        }
        c->enc = valid ? CSV_UTF8 : CSV_GB18030;
    }
    /* Rewind. */
    if (c->rd.read) {
        c->rd_pos = 0;
    } else if (c->fd < 0) {
        c->mem_pos = 0;
    } else if (lseek(c->fd, 0, SEEK_SET) != 0) {
        buf_adds(msg, "the file cannot be read");
        rc = ERR_IO;
        goto out;
    }
    if (c->enc != CSV_UTF8) {
        c->cd = iconv_open("UTF-8", csv_enc_names[c->enc]);
        if (c->cd == (iconv_t)-1) {
            buf_adds(msg, "the file's text encoding is not supported on this server");
            rc = ERR_INTERNAL;
            goto out;
        }
        c->conv = xmalloc(CSV_CONV_CAP);
    }
    rc = 0;
out:
    xfree_secret(scan, hi > got ? hi : got);
    return rc;
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* csv_start looks at the first decoded text: drops a BOM, honours an Excel "sep=X" line,
 * else picks the delimiter (',', ';' or tab) most frequent outside quotes in the first
 * lines. Returns how many bytes of p were consumed (BOM, sep line). */
static size_t
csv_start(struct table__csv *c, const char *p, size_t n)
{
    size_t skip = 0, counts[3] = { 0, 0, 0 }, lines = 0;
    static const char cand[3] = { ',', ';', '\t' };
    bool quoted = false;

    c->started = true;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        skip = 3;
    const char *s = p + skip;
    size_t m = n - skip;
    if (m >= 5 && memcmp(s, "sep=", 4) == 0 && s[4] > ' ' && s[4] < 0x7F && s[4] != '"' &&
        (m == 5 || s[5] == '\r' || s[5] == '\n')) {
        c->delim = (unsigned char)s[4];
        skip += 5;
        if (m > 5 && s[5] == '\r')
            skip++;
        if (skip < n && p[skip] == '\n')
            skip++;
        return skip;
    }
    for (size_t i = 0; i < m && lines < CSV_SNIFF_LINES; i++) {
        char ch = s[i];
        if (ch == '"')
            quoted = !quoted;
        else if (!quoted && ch == '\n')
            lines++;
        else if (!quoted)
            for (int k = 0; k < 3; k++)
                counts[k] += ch == cand[k];
    }
    c->delim = ',';
    if (counts[1] > counts[0] && counts[1] >= counts[2])
        c->delim = ';';
    else if (counts[2] > counts[0] && counts[2] > counts[1])
        c->delim = '\t';
    return skip;
}

static int
csv_parse_text(struct table__csv *c, const char *p, size_t n)
{
    if (!c->started) {
        size_t skip = csv_start(c, p, n);
        csv_set_delim(&c->p, c->delim);
        p += skip;
        n -= skip;
    }
    if (n && csv_parse(&c->p, p, n, csv_on_field, csv_on_record, c) != n && !c->rc) {
        if (csv_error(&c->p) == CSV_ENOMEM || csv_error(&c->p) == CSV_ETOOBIG)
            csv_fail(c, ERR_TOO_LARGE, "a cell is longer than 32767 bytes");
        else
            csv_fail(c, ERR_INVALID, "the text cannot be parsed as CSV");
    }
    return c->rc;
}

/* csv_feed reads one chunk, decodes it and parses it; at the end of the input it finishes
 * the last record. */
static int
csv_feed(struct table__csv *c)
{
    size_t got;
    int rc;

    if (!c->eof) {
        if ((rc = csv_read_raw(c, c->in + c->in_len, CSV_CHUNK - c->in_len, &got, &c->err))) {
            c->rc = rc;
            return rc;
        }
        c->eof = got == 0;
        c->in_len += got;
        if (c->in_len > c->in_hi)
            c->in_hi = c->in_len;
    }
    if (c->enc == CSV_UTF8) {
        size_t n = c->in_len;
        c->in_len = 0;
        if (n && (rc = csv_parse_text(c, (const char *)c->in, n)))
            return rc;
    } else if (c->in_len) {
        char *inp = (char *)c->in;
        size_t inleft = c->in_len;
        for (;;) {
            char *outp = c->conv;
            size_t outleft = CSV_CONV_CAP;
            size_t r = iconv(c->cd, &inp, &inleft, &outp, &outleft);
            int e = r == (size_t)-1 ? errno : 0;
            if (CSV_CONV_CAP - outleft > c->conv_hi)
                c->conv_hi = CSV_CONV_CAP - outleft;
            if ((rc = csv_parse_text(c, c->conv, CSV_CONV_CAP - outleft)))
                return rc;
            if (e == E2BIG)
                continue;
            if (e == EILSEQ || (e == EINVAL && c->eof)) {
                csv_fail(c, ERR_INVALID, c->enc == CSV_GB18030
                                             ? "the text is neither UTF-8 nor GB18030 (GBK)"
                                             : "the text is not valid UTF-16");
                return c->rc;
            }
            break;                      /* done, or an incomplete character kept for later */
        }
        memmove(c->in, inp, inleft);
        c->in_len = inleft;
    }
    if (c->eof && !c->finished) {
        if (!c->started)
            c->started = true;
        csv_fini(&c->p, csv_on_field, csv_on_record, c);
        c->finished = true;
    }
    return c->rc;
}

/* ---- entry points -------------------------------------------------------------------------- */

static int
csv_open(struct table__csv *c, struct table__csv **out, struct buf *msg)
{
    int rc;
    c->cd = (iconv_t)-1;
    c->delim = ',';
    buf_init(&c->cur, CSV_RECORD_CAP + TABLE_MAX_COLS);
    buf_init(&c->q, 2 * CSV_RECORD_CAP + 4 * CSV_CONV_CAP);
    buf_init(&c->err, 512);
    csv_init(&c->p, CSV_REPALL_NL);
    csv_set_space_func(&c->p, csv_never_space);
    csv_set_realloc_func(&c->p, csv_capped_realloc);
    csv_set_free_func(&c->p, table__secret_free);
    csv_set_blk_size(&c->p, CSV_BLK);
    if ((rc = csv_detect(c, msg))) {
        table__csv_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int
table__csv_open_fd(int fd, struct table__csv **out, struct buf *msg)
{
    struct table__csv *c = xcalloc(1, sizeof *c);
    *out = NULL;
    c->fd = fd;
    return csv_open(c, out, msg);
}

int
table__csv_open_mem(const void *p, size_t n, struct table__csv **out, struct buf *msg)
{
    struct table__csv *c = xcalloc(1, sizeof *c);
    *out = NULL;
    c->fd = -1;
    c->mem = p;
    c->mem_len = n;
    return csv_open(c, out, msg);
}

int
table__csv_open_reader(const struct table_reader *r, struct table__csv **out, struct buf *msg)
{
    struct table__csv *c = xcalloc(1, sizeof *c);
    *out = NULL;
    c->fd = -1;
    c->rd = *r;
    return csv_open(c, out, msg);
}

const char *table__csv_encoding(const struct table__csv *c) { return csv_enc_names[c->enc]; }

int
table__csv_next(struct table__csv *c, struct table_row *row, struct buf *msg)
{
    *row = (struct table_row){ NULL, NULL, 0, 0 };
    /* Records finished before a failure are handed out first; then the failure. */
    while (c->qpos == c->qn) {
        if (c->rc) {
            buf_add(msg, c->err.data, c->err.len);
            return c->rc;
        }
        if (c->finished)
            return 0;
        c->qn = c->qpos = c->qcn = 0;
        buf_reset(&c->q);
        (void)csv_feed(c);              /* a failure is in c->rc */
    }
    const struct csv_qrow *r = &c->qrows[c->qpos++];
    for (size_t i = 0; i < r->ncells; i++) {
        const struct csv_qcell *qc = &c->qcells[r->first + i];
        c->out[i] = qc->len ? (struct str){ c->q.data + qc->off, qc->len } : (struct str){ "", 0 };
    }
    *row = (struct table_row){ c->out, table__value_kinds, r->ncells, r->num };
    return 0;
}

void
table__csv_free(struct table__csv *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    if (c->cd != (iconv_t)-1)
        iconv_close(c->cd);
    csv_free(&c->p);
    if (c->conv)
        xfree_secret(c->conv, c->conv_hi);
    wipe(c->in, c->in_hi);
    buf_release_secret(&c->cur);
    buf_release_secret(&c->q);
    buf_release(&c->err);
    xfree(c->qrows);
    xfree(c->qcells);
    xfree(c);
}
