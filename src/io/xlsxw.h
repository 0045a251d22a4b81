/* io/xlsxw.h - streaming .xlsx writer for batch exports (R4.2, R4.3).
 *
 * A thin layer over libxlsxwriter in its constant_memory mode: rows are written one after
 * the other, top to bottom, and memory stays constant whatever the row count. Text cells
 * are written as text with the "@" (Text) number format, so Excel shows an ID number as
 * the 18 characters it is and keeps it text when the user edits it (a number would be
 * rounded to 15 significant digits). Numbers are written as numbers.
 *
 * Where the data goes: constant_memory mode keeps each sheet's cells in a temporary file
 * (created and unlinked at once, so no name is left behind) under opts->tmpdir, or under
 * the system default (TMPDIR or /tmp) when tmpdir is NULL, until xlsxw_close packs the
 * .xlsx at path. That file holds exactly what the caller wrote, in clear, so callers must
 * write only data the requesting user may see (masked where masking applies) and should
 * point tmpdir at the server's var directory rather than a shared /tmp. The output file is
 * created with mode 0600.
 *
 * Limits: XLSXW_MAX_ROWS rows per sheet (Excel's), XLSXW_MAX_COLS columns, TABLE_MAX_CELL
 * bytes per text cell. A full sheet makes xlsxw_row fail with ERR_TOO_LARGE; the caller may
 * then start another with xlsxw_add_sheet.
 */
#ifndef JY_IO_XLSXW_H
#define JY_IO_XLSXW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define XLSXW_MAX_ROWS ((uint64_t)1048576)
#define XLSXW_MAX_COLS 16384

struct xlsxw;

enum xlsxw_type { XLSXW_EMPTY, XLSXW_TEXT, XLSXW_NUMBER };

/* One cell to write. text is used for XLSXW_TEXT (UTF-8, need not be NUL-terminated),
 * number for XLSXW_NUMBER (finite). */
struct xlsxw_cell {
    enum xlsxw_type type;
    struct str text;
    double number;
};

#define XLSXW_TEXT_CELL(s) ((struct xlsxw_cell){ XLSXW_TEXT, (s), 0 })
#define XLSXW_NUMBER_CELL(d) ((struct xlsxw_cell){ XLSXW_NUMBER, { "", 0 }, (d) })
#define XLSXW_EMPTY_CELL ((struct xlsxw_cell){ XLSXW_EMPTY, { "", 0 }, 0 })

/* Options; a NULL opts means all defaults (zeroes). */
struct xlsxw_opts {
    const char *tmpdir;     /* directory for libxlsxwriter's temporary files; NULL: default.
                               Must be a writable directory (xlsxw_open checks: libxlsxwriter
                               itself would silently fall back to the default). */
};

/* xlsxw_open creates (or truncates) the file at path, mode 0600, and starts a first sheet
 * named sheet_name (Excel's rules: 1-31 characters, none of []:*?/\, not starting or
 * ending with an apostrophe). On success *out owns the workbook until xlsxw_close or
 * xlsxw_free. Errors: ERR_INVALID (sheet name), ERR_IO (file or tmpdir not writable); on
 * failure nothing is left at path. */
int xlsxw_open(const char *path, const char *sheet_name, const struct xlsxw_opts *opts,
               struct xlsxw **out);

/* xlsxw_add_sheet finishes the current sheet and starts a new one named sheet_name; rows
 * then go to it, starting at its first row. ERR_INVALID for a bad or repeated name. */
int xlsxw_add_sheet(struct xlsxw *w, const char *sheet_name);

/* xlsxw_header writes the next row in bold as text and freezes the sheet above the row
 * after it (so it stays visible while scrolling); normally the first row of a sheet. */
int xlsxw_header(struct xlsxw *w, const struct str *names, size_t n);

/* xlsxw_row writes cells[0..n) as the next row of the current sheet (an empty row when n is
 * 0). Errors: ERR_INVALID (text that is not UTF-8 or holds NUL, a number that is not
 * finite), ERR_TOO_LARGE (n > XLSXW_MAX_COLS, a text cell over TABLE_MAX_CELL bytes, the
 * sheet already has XLSXW_MAX_ROWS rows), ERR_IO (temporary file). A failed row writes
 * nothing; the writer stays usable. */
int xlsxw_row(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n);

/* xlsxw_set_width sets the width of column col of the current sheet, in characters of the
 * default font (Excel's unit; 8.43 is the default); may be called at any time before the
 * sheet is finished. ERR_INVALID for a column out of range or a width not in (0, 255]. */
int xlsxw_set_width(struct xlsxw *w, size_t col, double width);

/* xlsxw_rows returns the number of rows written to the current sheet (header included). */
uint64_t xlsxw_rows(const struct xlsxw *w);

/* xlsxw_close writes the .xlsx to path and frees w (also on failure, in which case the
 * file is removed). Returns 0 or ERR_IO. NULL is fine (returns 0). */
int xlsxw_close(struct xlsxw *w);

/* xlsxw_free discards the workbook without writing it, removes the file at path and frees
 * w; for error paths. NULL is fine. */
void xlsxw_free(struct xlsxw *w);

#endif
