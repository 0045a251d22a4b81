/* io/table.c - the streaming table reader: format by content, sheet choice, read-ahead
 * (R4.3, R4.4, R4.5).
 *
 * This file decides what an upload is, opens the matching source (table_xlsx.c,
 * table_csv.c), reads the first rows ahead to choose the sheet and detect the columns
 * (io/columns.h), then hands the read-ahead rows out before streaming the rest. It does
 * not parse XML or CSV itself and does not clean values.
 */
#include "io/table.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "io/columns.h"
#include "io/table_source.h"

struct table_probe_row {
    uint64_t num;
    size_t first, ncells;       /* cells [first, first + ncells) of the probe's cell array */
};

struct table_probe_cell {
    size_t off, len;            /* in the probe text */
    uint8_t kind;               /* enum table_cell_kind */
};

struct table {
    enum table_format fmt;
    struct table__xlsx *x;
    struct table__csv *c;
    size_t sheet;

    struct columns cols;

    /* Read-ahead: rows copied out of the source; handed out first. */
    struct buf ptext;
    struct table_probe_cell *pcells;
    size_t npcells, pcells_alloc;
    struct table_probe_row prow[TABLE_PROBE_ROWS];
    size_t nprow, prow_pos;
    bool probe_end;             /* the source was exhausted within the read-ahead */
    struct str *out_cells;      /* the row being handed out from the read-ahead */
    uint8_t *out_kinds;
    size_t out_alloc;

    bool done;
    int rc;                     /* sticky failure of table_next_row */
    struct buf msg;
};

void *
table__secret_realloc(void *p, size_t n)
{
    if (!p)
        return xmalloc(n);
    size_t old = malloc_usable_size(p);
    if (n <= old)
        return p;                       /* glibc would not move it either */
    void *q = xmalloc(n);
    memcpy(q, p, old);
    xfree_secret(p, old);
    return q;
}

void
table__secret_free(void *p)
{
    if (p)
        xfree_secret(p, malloc_usable_size(p));
}

static const char OLE2_MAGIC[8] = { '\xD0', '\xCF', '\x11', '\xE0', '\xA1', '\xB1', '\x1A', '\xE1' };

static struct table *
table_new(enum table_format fmt)
{
    struct table *t = xcalloc(1, sizeof *t);
    t->fmt = fmt;
    t->cols = (struct columns)COLUMNS_INIT;
    buf_init(&t->ptext, TABLE_PROBE_BYTES + (size_t)TABLE_MAX_COLS * (TABLE_MAX_CELL + 1));
    buf_init(&t->msg, 1024);
    return t;
}

void
table_close(struct table *t)
{
    if (!t)
        return;
    table__xlsx_free(t->x);
    table__csv_free(t->c);
    buf_release_secret(&t->ptext);
    xfree(t->pcells);
    xfree(t->out_cells);
    xfree(t->out_kinds);
    buf_release(&t->msg);
    xfree(t);
}

static int
table_source_next(struct table *t, struct table_row *row, struct buf *msg)
{
    if (t->fmt == TABLE_XLSX)
        return table__xlsx_next(t->x, row, msg);
    return table__csv_next(t->c, row, msg);
}

/* table_probe reads up to TABLE_PROBE_ROWS rows (TABLE_PROBE_BYTES of text) of the current
 * source into the read-ahead and detects the columns over them. */
static int
table_probe(struct table *t, struct buf *why)
{
    struct table_row row;
    struct table_row sample[TABLE_PROBE_ROWS];
    struct str *cells = NULL;
    uint8_t *kinds = NULL;
    int rc = ERR_INTERNAL;

    buf_reset(&t->ptext);
    t->npcells = t->nprow = t->prow_pos = 0;
    t->probe_end = false;
    while (t->nprow < TABLE_PROBE_ROWS && t->ptext.len < TABLE_PROBE_BYTES) {
        if ((rc = table_source_next(t, &row, why)))
            goto out;
        if (!row.cells) {
            t->probe_end = true;
            break;
        }
        struct table_probe_row *pr = &t->prow[t->nprow++];
        pr->num = row.num;
        pr->first = t->npcells;
        pr->ncells = row.ncells;
        if (t->npcells + row.ncells > t->pcells_alloc) {
            size_t n = t->pcells_alloc ? t->pcells_alloc : 1024;
            while (n < t->npcells + row.ncells)
                n *= 2;
            t->pcells = xrealloc(t->pcells, n * sizeof *t->pcells);
            t->pcells_alloc = n;
        }
        for (size_t i = 0; i < row.ncells; i++) {
            t->pcells[t->npcells].off = t->ptext.len;
            t->pcells[t->npcells].len = row.cells[i].n;
            t->pcells[t->npcells].kind = row.kinds[i];
            t->npcells++;
            buf_add(&t->ptext, row.cells[i].p, row.cells[i].n);
            buf_addch(&t->ptext, '\0');
        }
        if (buf_error(&t->ptext)) {     /* cannot happen: the cap allows a full last row */
            rc = ERR_INTERNAL;
            goto out;
        }
    }
    /* Columns over the sample, with pointers that stay valid (ptext no longer grows). */
    cells = xmalloc((t->npcells ? t->npcells : 1) * sizeof *cells);
    kinds = xmalloc(t->npcells ? t->npcells : 1);
    for (size_t i = 0; i < t->npcells; i++) {
        cells[i] = (struct str){ t->ptext.data + t->pcells[i].off, t->pcells[i].len };
        kinds[i] = t->pcells[i].kind;
    }
    for (size_t r = 0; r < t->nprow; r++)
        sample[r] = (struct table_row){ cells + t->prow[r].first, kinds + t->prow[r].first,
                                        t->prow[r].ncells, t->prow[r].num };
    t->cols = (struct columns)COLUMNS_INIT;
    columns_detect(sample, t->nprow, &t->cols);
    rc = 0;
out:
    xfree(cells);
    xfree(kinds);
    return rc;
}

/* table_choose_sheet probes sheets until one has an ID column: visible sheets first, in
 * workbook order, then hidden ones. Failing that it keeps the first sheet with any row,
 * else the first sheet. */
static int
table_choose_sheet(struct table *t, struct buf *why)
{
    size_t n = table__xlsx_sheet_count(t->x);
    size_t *order = NULL, norder = 0, probed = SIZE_MAX, fallback = SIZE_MAX;
    int rc = ERR_INTERNAL;

    if (n == 0) {
        buf_adds(why, "the workbook has no sheets");
        rc = ERR_INVALID;
        goto out;
    }
    order = xmalloc(n * sizeof *order);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++)
            if (table__xlsx_sheet_hidden(t->x, i) == (pass == 1))
                order[norder++] = i;
    for (size_t k = 0; k < norder; k++) {
        if ((rc = table__xlsx_select(t->x, order[k], why)) || (rc = table_probe(t, why)))
            goto out;
        probed = order[k];
        if (t->cols.id >= 0) {
            t->sheet = probed;
            rc = 0;
            goto out;
        }
        if (t->nprow > 0 && fallback == SIZE_MAX)
            fallback = probed;
    }
    if (fallback == SIZE_MAX)
        fallback = order[0];
    t->sheet = fallback;
    if (probed != fallback &&
        ((rc = table__xlsx_select(t->x, fallback, why)) || (rc = table_probe(t, why))))
        goto out;
    rc = 0;
out:
    xfree(order);
    return rc;
}

/* table_sniff_kind names a common non-table file type by its first bytes (issue 14: a
 * PNG renamed .xlsx is "not a table", not a CSV encoding problem); NULL for none. */
static const char *
table_sniff_kind(const unsigned char *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len, at;
        const char *kind;
    } kinds[] = {
        { "\x89PNG\r\n\x1a\n", 8, 0, "PNG" },  { "\xff\xd8\xff", 3, 0, "JPEG" },
        { "GIF87a", 6, 0, "GIF" },             { "GIF89a", 6, 0, "GIF" },
        { "%PDF-", 5, 0, "PDF" },              { "\x1f\x8b", 2, 0, "gzip" },
        { "7z\xbc\xaf\x27\x1c", 6, 0, "7z" },  { "Rar!\x1a\x07", 6, 0, "RAR" },
        { "WEBP", 4, 8, "WebP" },              { "ftyp", 4, 4, "MP4" },
        { "\x7f" "ELF", 4, 0, "ELF" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (n >= kinds[i].at + kinds[i].len && memcmp(p + kinds[i].at, kinds[i].magic, kinds[i].len) == 0)
            return kinds[i].kind;
    return NULL;
}

/* table_sniff_binary says whether the first bytes hold control characters no text file
 * (UTF-8 or GB18030 CSV) has; UTF-16 text (with its BOM) is left to the CSV reader. */
static bool
table_sniff_binary(const unsigned char *p, size_t n)
{
    if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        return false;
    if (n > 4096)
        n = 4096;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1a) || c == 0x7f)
            return true;
    }
    return false;
}

/* table_sniff decides the format from the first bytes p[0..n) (n may be short of the
 * file): a zip is a workbook, an OLE2 compound file (.xls, encrypted .xlsx) and markup are
 * refused, anything else is CSV. */
static int
table_sniff(const unsigned char *p, size_t n, enum table_format *fmt, struct buf *why)
{
    *fmt = TABLE_CSV;
    if (n == 0) {
        buf_adds(why, "the file is empty");
        return ERR_INVALID;
    }
    if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] < 9 && p[3] < 9) {
        *fmt = TABLE_XLSX;
        return 0;
    }
    if (n >= sizeof OLE2_MAGIC && memcmp(p, OLE2_MAGIC, sizeof OLE2_MAGIC) == 0) {
        buf_adds(why, "the file is an Excel 97-2003 workbook (.xls) or a password-protected "
                      "workbook; remove the password or save it as .xlsx and upload again");
        return ERR_INVALID;
    }
    const char *kind = table_sniff_kind(p, n);
    if (kind) {
        buf_printf(why, "the file is not an Excel workbook or CSV (it is a %s file)", kind);
        return ERR_INVALID;
    }
    if (table_sniff_binary(p, n)) {
        buf_adds(why, "the file is not an Excel workbook or CSV");
        return ERR_INVALID;
    }
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i < n && p[i] == '<') {
        buf_adds(why, "the file is a web page or XML file, not an Excel workbook or CSV; open "
                      "it in Excel and save it as .xlsx");
        return ERR_INVALID;
    }
    return 0;
}

static int
table_finish_open(struct table *t, struct table **out, struct buf *why)
{
    int rc;
    if (t->fmt == TABLE_XLSX)
        rc = table_choose_sheet(t, why);
    else
        rc = table_probe(t, why);
    if (rc) {
        table_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

int
table_open_mem(const void *p, size_t n, struct table **out, struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct table *t = NULL;
    enum table_format fmt;
    int rc = ERR_INTERNAL;

    *out = NULL;
    if (!why)
        why = &scratch;
    if ((rc = table_sniff(p, n, &fmt, why)))
        goto out;
    t = table_new(fmt);
    if (fmt == TABLE_XLSX)
        rc = table__xlsx_open_mem(p, n, &t->x, why);
    else
        rc = table__csv_open_mem(p, n, &t->c, why);
    if (rc)
        goto out;
    rc = table_finish_open(t, out, why);
    t = NULL;
out:
    table_close(t);
    buf_release(&scratch);
    return rc;
}

int
table_open_path(const char *path, struct table **out, struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct table *t = NULL;
    unsigned char head[1024];
    ssize_t got;
    enum table_format fmt;
    int fd = -1, rc = ERR_INTERNAL;

    *out = NULL;
    if (!why)
        why = &scratch;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        buf_adds(why, "the file cannot be opened");
        rc = ERR_IO;
        goto out;
    }
    do
        got = pread(fd, head, sizeof head, 0);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        buf_adds(why, "the file cannot be read");
        rc = ERR_IO;
        goto out;
    }
    if ((rc = table_sniff(head, (size_t)got, &fmt, why)))
        goto out;
    t = table_new(fmt);
    if (fmt == TABLE_XLSX)
        rc = table__xlsx_open_fd(fd, &t->x, why);
    else
        rc = table__csv_open_fd(fd, &t->c, why);
    fd = -1;                            /* taken over */
    if (rc)
        goto out;
    rc = table_finish_open(t, out, why);
    t = NULL;
out:
    if (fd >= 0)
        close(fd);
    table_close(t);
    buf_release(&scratch);
    return rc;
}

int
table_open_reader(const struct table_reader *r, struct table **out, struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct table *t = NULL;
    unsigned char head[1024];
    size_t got = 0;
    enum table_format fmt;
    int rc = ERR_INTERNAL;

    *out = NULL;
    if (!why)
        why = &scratch;
    if ((rc = r->read(r->arg, head, sizeof head, 0, &got))) {
        buf_adds(why, rc == ERR_CRYPTO ? "the uploaded file was altered on the server's disk"
                                       : "the file cannot be read");
        rc = rc == ERR_CRYPTO ? ERR_INVALID : ERR_IO;
        goto out;
    }
    if ((rc = table_sniff(head, got, &fmt, why)))
        goto out;
    t = table_new(fmt);
    if (fmt == TABLE_XLSX)
        rc = table__xlsx_open_reader(r, &t->x, why);
    else
        rc = table__csv_open_reader(r, &t->c, why);
    if (rc)
        goto out;
    rc = table_finish_open(t, out, why);
    t = NULL;
out:
    wipe(head, sizeof head);
    table_close(t);
    buf_release(&scratch);
    return rc;
}

int
table_next_row(struct table *t, struct table_row *row)
{
    *row = (struct table_row){ NULL, NULL, 0, 0 };
    if (t->rc)
        return t->rc;
    if (t->done)
        return 0;
    if (t->prow_pos < t->nprow) {
        const struct table_probe_row *pr = &t->prow[t->prow_pos++];
        if (pr->ncells > t->out_alloc) {
            t->out_cells = xrealloc(t->out_cells, pr->ncells * sizeof *t->out_cells);
            t->out_kinds = xrealloc(t->out_kinds, pr->ncells);
            t->out_alloc = pr->ncells;
        }
        for (size_t i = 0; i < pr->ncells; i++) {
            const struct table_probe_cell *pc = &t->pcells[pr->first + i];
            t->out_cells[i] = (struct str){ t->ptext.data + pc->off, pc->len };
            t->out_kinds[i] = pc->kind;
        }
        *row = (struct table_row){ t->out_cells, t->out_kinds, pr->ncells, pr->num };
        return 0;
    }
    if (t->probe_end) {
        t->done = true;
        return 0;
    }
    if (t->nprow) {                     /* the read-ahead is spent: give its memory back */
        buf_release_secret(&t->ptext);
        t->nprow = t->prow_pos = 0;
    }
    buf_reset(&t->msg);
    int rc = table_source_next(t, row, &t->msg);
    if (rc) {
        *row = (struct table_row){ NULL, NULL, 0, 0 };
        t->rc = rc;
        return rc;
    }
    if (!row->cells)
        t->done = true;
    return 0;
}

const uint8_t table__value_kinds[TABLE_MAX_COLS];

const char *
table_cell_kind_code(unsigned kind)
{
    switch (kind) {
    case TABLE_CELL_VALUE: return "value";
    case TABLE_CELL_FORMULA_LITERAL: return "formula_literal";
    case TABLE_CELL_FORMULA_UNCACHED: return "formula_uncached";
    case TABLE_CELL_DATE: return "date";
    default: return "unknown";
    }
}

const char *table_message(const struct table *t) { return t->rc ? t->msg.data : ""; }
const struct columns *table_columns(const struct table *t) { return &t->cols; }
enum table_format table_format(const struct table *t) { return t->fmt; }

const char *
table_sheet_name(const struct table *t)
{
    return t->fmt == TABLE_XLSX ? table__xlsx_sheet_name(t->x, t->sheet) : NULL;
}

size_t
table_sheet_count(const struct table *t)
{
    return t->fmt == TABLE_XLSX ? table__xlsx_sheet_count(t->x) : 1;
}

const char *
table_encoding(const struct table *t)
{
    return t->fmt == TABLE_CSV ? table__csv_encoding(t->c) : NULL;
}
