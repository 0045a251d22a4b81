/* io/table_xlsx_zip.c - zip members of a workbook, inflated under caps (R4.3, R4.5).
 *
 * libzip opens the package (table_xlsx.c, from a file or from memory); this file streams
 * one member at a time. Every member is checked against its declared size,
 * TABLE_MAX_PART_BYTES, the workbook's total TABLE_MAX_INFLATED and a compression-ratio
 * limit while it inflates, so a zip bomb stops early. It does not parse what it inflates,
 * except that xlsx__parse_member feeds a whole member to an expat parser.
 *
 * NEEDSWORK: zlib keeps the last 32 KiB it inflated in its window until zip_fclose frees
 * it unwiped; libzip's and zlib's buffers are out of our reach.
 */
#include "io/table_xlsx.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

void
xlsx__zip_message(struct buf *msg, zip_error_t *ze)
{
    int code = zip_error_code_zip(ze);
    if (code == ZIP_ER_NOZIP)
        buf_adds(msg, "the file is not an Excel workbook or CSV (it looks like a zip archive "
                      "but is not a valid one)");
    else if (code == ZIP_ER_INCONS || code == ZIP_ER_CRC || code == ZIP_ER_EOF ||
             code == ZIP_ER_READ || code == ZIP_ER_SEEK || code == ZIP_ER_COMPRESSED_DATA)
        buf_printf(msg, "the workbook is damaged (%s)", zip_error_strerror(ze));
    else
        buf_printf(msg, "the workbook cannot be read (%s)", zip_error_strerror(ze));
}

zip_int64_t
xlsx__locate(const struct table__xlsx *x, const char *name)
{
    if (name[0] == '/')
        name++;
    return zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
}

int
xlsx__member_open(struct table__xlsx *x, zip_int64_t index, const char *label,
                 struct xlsx__member *m, struct buf *msg)
{
    zip_stat_t st;
    *m = (struct xlsx__member){ NULL, 0, 0, 0, label, &x->inflated };
    zip_stat_init(&st);
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &st) != 0) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", label, zip_strerror(x->zip));
        return ERR_INVALID;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
        buf_adds(msg, "the workbook is encrypted; remove the password and upload again");
        return ERR_INVALID;
    }
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
        buf_printf(msg, "the workbook is damaged (%s: no size)", label);
        return ERR_INVALID;
    }
    if (st.size > TABLE_MAX_PART_BYTES) {
        buf_printf(msg, "the workbook is too large (%s is over %" PRIu64 " MiB uncompressed)",
                   label, TABLE_MAX_PART_BYTES >> 20);
        return ERR_TOO_LARGE;
    }
    m->size = st.size;
    m->comp = st.comp_size;
    if (!(m->zf = zip_fopen_index(x->zip, (zip_uint64_t)index, 0))) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", label, zip_strerror(x->zip));
        return ERR_INVALID;
    }
    return 0;
}

/* xlsx__member_want is how much to ask for next: a chunk, or what the member declares it
 * has left (plus one byte to see its end), so small parts get small parser buffers. */
size_t
xlsx__member_want(const struct xlsx__member *m)
{
    uint64_t left = m->size - m->total;
    return left < XLSX_CHUNK ? (size_t)left + 1 : XLSX_CHUNK;
}

void
xlsx__member_close(struct xlsx__member *m)
{
    if (m->zf)
        zip_fclose(m->zf);
    m->zf = NULL;
}

/* xlsx__member_read inflates up to cap bytes into p; *got 0 means the member is done. The
 * inflated size must stay within the declared size, the part cap and the ratio limit. */
int
xlsx__member_read(struct xlsx__member *m, void *p, size_t cap, size_t *got, struct buf *msg)
{
    zip_int64_t n = zip_fread(m->zf, p, cap);
    *got = 0;
    if (n < 0) {
        buf_printf(msg, "the workbook is damaged (%s: %s)", m->label, zip_file_strerror(m->zf));
        return ERR_INVALID;
    }
    m->total += (uint64_t)n;
    *m->inflated += (uint64_t)n;
    if (*m->inflated > TABLE_MAX_INFLATED) {
        buf_printf(msg, "the workbook expands to more than %" PRIu64 " MiB in all",
                   TABLE_MAX_INFLATED >> 20);
        return ERR_TOO_LARGE;
    }
    if (m->total > m->size) {
        buf_printf(msg, "the workbook is damaged (%s is longer than declared)", m->label);
        return ERR_INVALID;
    }
    if (m->total > TABLE_RATIO_GRACE && m->total / TABLE_MAX_RATIO > m->comp) {
        buf_printf(msg, "the workbook expands to more than %d times its compressed size "
                        "(%s); it is refused as a possible zip bomb", TABLE_MAX_RATIO, m->label);
        return ERR_TOO_LARGE;
    }
    *got = (size_t)n;
    return 0;
}

/* xlsx__parse_member runs parser b over the whole member at index. */
int
xlsx__parse_member(struct table__xlsx *x, zip_int64_t index, const char *label,
                  struct xlsx__xml *b, struct buf *msg)
{
    struct xlsx__member m = { 0 };
    int rc;
    b->msg = msg;
    if ((rc = xlsx__member_open(x, index, label, &m, msg)))
        goto out;
    for (;;) {
        size_t got, want = xlsx__member_want(&m);
        void *p = XML_GetBuffer(b->p, (int)want);
        if (!p) {
            rc = ERR_INTERNAL;
            goto out;
        }
        if ((rc = xlsx__member_read(&m, p, want, &got, msg)))
            goto out;
        if (XML_ParseBuffer(b->p, (int)got, got == 0) != XML_STATUS_OK) {
            if (b->rc) {
                rc = b->rc;
            } else {
                rc = ERR_INVALID;
                buf_printf(msg, "the workbook is damaged (%s, XML line %lu: %s)", label,
                           (unsigned long)XML_GetCurrentLineNumber(b->p),
                           XML_ErrorString(XML_GetErrorCode(b->p)));
            }
            goto out;
        }
        if (got == 0)
            break;
    }
    rc = 0;
out:
    xlsx__member_close(&m);
    return rc;
}

/* A libzip source over a caller's random-access reader (io/table.h struct table_reader):
 * read-only and seekable, so libzip reads the central directory and then one member at a
 * time through it. */
struct xlsx_rd_src {
    struct table_reader r;
    uint64_t pos;
    zip_error_t err;
};

static zip_int64_t
xlsx_rd_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    struct xlsx_rd_src *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        size_t got = 0;
        int rc = s->r.read(s->r.arg, data, (size_t)len, s->pos, &got);
        if (rc) {
            zip_error_set(&s->err, ZIP_ER_READ, rc == ERR_CRYPTO ? EBADMSG : EIO);
            return -1;
        }
        s->pos += got;
        return (zip_int64_t)got;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        if (len < sizeof *st) {
            zip_error_set(&s->err, ZIP_ER_INVAL, 0);
            return -1;
        }
        zip_stat_init(st);
        st->size = s->r.size;
        st->valid |= ZIP_STAT_SIZE;
        return (zip_int64_t)sizeof *st;
    }
    case ZIP_SOURCE_SEEK: {
        zip_int64_t at = zip_source_seek_compute_offset(s->pos, s->r.size, data, len, &s->err);
        if (at < 0)
            return -1;
        s->pos = (uint64_t)at;
        return 0;
    }
    case ZIP_SOURCE_TELL:
        return (zip_int64_t)s->pos;
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->err, data, len);
    case ZIP_SOURCE_FREE:
        zip_error_fini(&s->err);
        xfree(s);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, -1);
    default:
        zip_error_set(&s->err, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

zip_source_t *
xlsx__reader_source(const struct table_reader *r, zip_error_t *ze)
{
    struct xlsx_rd_src *s = xcalloc(1, sizeof *s);
    zip_source_t *src;
    s->r = *r;
    zip_error_init(&s->err);
    if (!(src = zip_source_function_create(xlsx_rd_cb, s, ze))) {
        zip_error_fini(&s->err);
        xfree(s);
    }
    return src;
}
