/* io/xlsxw.c - streaming .xlsx writer over libxlsxwriter's constant_memory mode (R4.2, R4.3).
 *
 * Cells are checked before anything of a row is written (UTF-8, size, finite numbers), so
 * a refused row leaves the sheet as it was. Text cells carry the "@" number format. This
 * file does not decide what may be exported: callers pass only what the user may see.
 */
#include "io/xlsxw.h"

#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "io/table.h"

struct xlsxw {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *text;
    char *path;
    uint64_t row;               /* next row of the current sheet */
    struct buf scratch;         /* a NUL-terminated copy of one text cell */
};

static int
xlsxw_map(lxw_error e)
{
    switch (e) {
    case LXW_NO_ERROR:
        return 0;
    case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED:
    case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
        return ERR_TOO_LARGE;
    case LXW_ERROR_SHEETNAME_LENGTH_EXCEEDED:
    case LXW_ERROR_INVALID_SHEETNAME_CHARACTER:
    case LXW_ERROR_SHEETNAME_START_END_APOSTROPHE:
    case LXW_ERROR_SHEETNAME_ALREADY_USED:
    case LXW_ERROR_PARAMETER_VALIDATION:
    case LXW_ERROR_NULL_PARAMETER_IGNORED:
        return ERR_INVALID;
    default:
        return ERR_IO;
    }
}

static int
xlsxw_new_sheet(struct xlsxw *w, const char *name)
{
    lxw_worksheet *ws;
    if (!name || !name[0] || !str_is_utf8(name, strlen(name)) ||
        workbook_validate_sheet_name(w->wb, name) != LXW_NO_ERROR)
        return ERR_INVALID;
    if (!(ws = workbook_add_worksheet(w->wb, name)))
        return ERR_IO;              /* constant_memory: the temporary file cannot be made */
    w->ws = ws;
    w->row = 0;
    return 0;
}

int
xlsxw_open(const char *path, const char *sheet_name, const struct xlsxw_opts *opts,
           struct xlsxw **out)
{
    lxw_workbook_options o = { .constant_memory = LXW_TRUE, .tmpdir = NULL,
                               .use_zip64 = LXW_FALSE };
    struct xlsxw *w = NULL;
    int fd, rc = ERR_INTERNAL;

    *out = NULL;
    /* libxlsxwriter quietly falls back to the system default when it cannot use tmpdir,
     * so a tmpdir that is not a writable directory is refused here. */
    if (opts && opts->tmpdir) {
        struct stat st;
        if (stat(opts->tmpdir, &st) != 0 || !S_ISDIR(st.st_mode) ||
            access(opts->tmpdir, W_OK | X_OK) != 0)
            return ERR_IO;
    }
    /* Create the file now: a bad path fails here rather than at close, and the mode stays
     * 0600 when libxlsxwriter rewrites it. */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        return ERR_IO;
    close(fd);
    w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    buf_init(&w->scratch, 2 * (size_t)TABLE_MAX_CELL + 1);
    if (opts && opts->tmpdir)
        o.tmpdir = (char *)opts->tmpdir;
    if (!(w->wb = workbook_new_opt(path, &o))) {
        rc = ERR_IO;
        goto out;
    }
    w->bold = workbook_add_format(w->wb);
    format_set_bold(w->bold);
    format_set_num_format_index(w->bold, 49);     /* built-in "@", Text */
    w->text = workbook_add_format(w->wb);
    format_set_num_format_index(w->text, 49);
    if ((rc = xlsxw_new_sheet(w, sheet_name)))
        goto out;
    *out = w;
    w = NULL;
    rc = 0;
out:
    xlsxw_free(w);
    return rc;
}

int
xlsxw_add_sheet(struct xlsxw *w, const char *sheet_name)
{
    return xlsxw_new_sheet(w, sheet_name);
}

static int
xlsxw_check(const struct xlsxw_cell *cells, size_t n)
{
    if (n > XLSXW_MAX_COLS)
        return ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++) {
        const struct xlsxw_cell *c = &cells[i];
        switch (c->type) {
        case XLSXW_EMPTY:
            break;
        case XLSXW_TEXT:
            if (c->text.n > TABLE_MAX_CELL)
                return ERR_TOO_LARGE;
            if (c->text.n && !str_is_utf8(c->text.p, c->text.n))
                return ERR_INVALID;
            break;
        case XLSXW_NUMBER:
            if (!isfinite(c->number))
                return ERR_INVALID;
            break;
        default:
            return ERR_INVALID;
        }
    }
    return 0;
}

/* xlsxw_copy puts text into the scratch buffer, NUL-terminated, with every '_' that starts
 * an "_xHHHH_" sequence written as "_x005F_": Excel decodes such sequences (libxlsxwriter
 * uses them for control characters), so the escape makes Excel show the text as given. */
static void
xlsxw_copy(struct buf *b, struct str s)
{
    buf_reset(b);
    if (!memchr(s.p, '_', s.n)) {
        buf_add(b, s.p, s.n);
        return;
    }
    for (size_t i = 0; i < s.n; i++) {
        bool esc = s.p[i] == '_' && s.n - i >= 7 && s.p[i + 1] == 'x' && s.p[i + 6] == '_';
        for (size_t k = 2; esc && k < 6; k++) {
            char c = s.p[i + k];
            esc = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
        if (esc)
            buf_adds(b, "_x005F_");
        else
            buf_addch(b, s.p[i]);
    }
}

static int
xlsxw_write(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n, lxw_format *text_fmt)
{
    int rc;
    if (w->row >= XLSXW_MAX_ROWS)
        return ERR_TOO_LARGE;
    if ((rc = xlsxw_check(cells, n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct xlsxw_cell *c = &cells[i];
        lxw_error e = LXW_NO_ERROR;
        if (c->type == XLSXW_TEXT && c->text.n) {
            xlsxw_copy(&w->scratch, c->text);
            e = worksheet_write_string(w->ws, (lxw_row_t)w->row, (lxw_col_t)i, w->scratch.data,
                                       text_fmt);
        } else if (c->type == XLSXW_NUMBER) {
            e = worksheet_write_number(w->ws, (lxw_row_t)w->row, (lxw_col_t)i, c->number, NULL);
        }
        if (e != LXW_NO_ERROR)
            return xlsxw_map(e);
    }
    w->row++;
    return 0;
}

int
xlsxw_row(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n)
{
    return xlsxw_write(w, cells, n, w->text);
}

int
xlsxw_header(struct xlsxw *w, const struct str *names, size_t n)
{
    struct xlsxw_cell *cells = xcalloc(n ? n : 1, sizeof *cells);
    int rc;
    for (size_t i = 0; i < n; i++)
        cells[i] = XLSXW_TEXT_CELL(names[i]);
    if (!(rc = xlsxw_write(w, cells, n, w->bold)))
        worksheet_freeze_panes(w->ws, (lxw_row_t)w->row, 0);
    xfree(cells);
    return rc;
}

int
xlsxw_set_width(struct xlsxw *w, size_t col, double width)
{
    if (col >= XLSXW_MAX_COLS || !(width > 0 && width <= 255))
        return ERR_INVALID;
    return xlsxw_map(worksheet_set_column(w->ws, (lxw_col_t)col, (lxw_col_t)col, width, NULL));
}

uint64_t xlsxw_rows(const struct xlsxw *w) { return w->row; }

static void
xlsxw_release(struct xlsxw *w)
{
    buf_release_secret(&w->scratch);
    xfree(w->path);
    xfree(w);
}

int
xlsxw_close(struct xlsxw *w)
{
    if (!w)
        return 0;
    lxw_error e = workbook_close(w->wb);    /* frees the workbook whatever happens */
    int rc = 0;
    if (e != LXW_NO_ERROR) {
        unlink(w->path);
        rc = ERR_IO;
    }
    xlsxw_release(w);
    return rc;
}

void
xlsxw_free(struct xlsxw *w)
{
    if (!w)
        return;
    if (w->wb)
        lxw_workbook_free(w->wb);
    unlink(w->path);
    xlsxw_release(w);
}
