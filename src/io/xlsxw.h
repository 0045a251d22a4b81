/* io/xlsxw.h - THE streaming .xlsx writer: batch exports over HTTP and on the command line,
 * the personal export, and the statistics exports to come (R4.2, R4.3).
 *
 * Rows are written one after the other, top to bottom, and memory stays constant whatever
 * the row count: the sheet XML is made by hand and streamed through io/zipw.h, which
 * deflates it at level 1 in blocks, on opts->threads worker threads when asked. Nothing is
 * written anywhere but the output - a file, or an append-only sink (struct xlsxw_dest) -
 * no temporary file - and the buffers that held
 * cell text are wiped when the writer is released. Text cells are written as text with the
 * "@" (Text) number format, so Excel shows an ID number as the 18 characters it is and
 * keeps it text when the user edits it (a number would be rounded to 15 significant
 * digits). Numbers are written as numbers. Every text goes through io/ooxml.h's escaper.
 *
 * The output holds what the caller wrote, in clear: callers write only data the requesting
 * user may see (masked where masking applies). A file is created with mode 0600 and is for
 * the command line (the user names it); the server writes to a sink that seals what it gets
 * (api/api.h: a nameless SM4-encrypted temporary file, crypto/sealed_tmp.h; issue 12, S1).
 *
 * Layout of a sheet (column widths, the frozen header) is written before its rows, so the
 * first rows of a sheet are held in memory until it is known: until a row after the header
 * row is written, XLSXW_HOLD_ROWS rows are held, or the sheet ends. xlsxw_set_width and the
 * freezing of xlsxw_header act only while the layout is not yet written.
 *
 * Limits: XLSXW_MAX_ROWS rows per sheet (Excel's), XLSXW_MAX_COLS columns, TABLE_MAX_CELL
 * bytes per text cell, XLSXW_SST_MAX distinct shared texts, 4 GiB per sheet and per file
 * (no zip64). A full sheet makes xlsxw_row fail with ERR_TOO_LARGE; the caller may then
 * start another with xlsxw_add_sheet.
 */
#ifndef JY_IO_XLSXW_H
#define JY_IO_XLSXW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "io/zipw.h"

#define XLSXW_MAX_ROWS ((uint64_t)1048576)
#define XLSXW_MAX_COLS 16384
#define XLSXW_MAX_SHEETS 1024
#define XLSXW_HOLD_ROWS 64          /* rows held before a sheet's layout is written */
#define XLSXW_SST_MAX 65536         /* distinct texts in the shared-string table */

struct xlsxw;

enum xlsxw_type { XLSXW_EMPTY, XLSXW_TEXT, XLSXW_NUMBER, XLSXW_SHARED };

/* One cell to write. text is used for XLSXW_TEXT and XLSXW_SHARED (UTF-8, need not be
 * NUL-terminated), number for XLSXW_NUMBER (finite). XLSXW_SHARED is text expected to
 * repeat down a column (a status word, a result, a site name): it is stored once in the
 * shared-string table, kept in memory until xlsxw_close, and referenced from each cell;
 * past XLSXW_SST_MAX distinct texts new ones are written as plain text cells. Use it for
 * small vocabularies, never for personal data. An empty text writes no cell. */
struct xlsxw_cell {
    enum xlsxw_type type;
    struct str text;
    double number;
};

#define XLSXW_TEXT_CELL(s) ((struct xlsxw_cell){ XLSXW_TEXT, (s), 0 })
#define XLSXW_SHARED_CELL(s) ((struct xlsxw_cell){ XLSXW_SHARED, (s), 0 })
#define XLSXW_NUMBER_CELL(d) ((struct xlsxw_cell){ XLSXW_NUMBER, { "", 0 }, (d) })
#define XLSXW_EMPTY_CELL ((struct xlsxw_cell){ XLSXW_EMPTY, { "", 0 }, 0 })

/* Options; a NULL opts means all defaults (zeroes). */
struct xlsxw_opts {
    unsigned threads;       /* deflating threads beside the caller's (0: the caller's thread
                               deflates; capped at ZIPW_MAX_THREADS, io/zipw.h) */
};

/* Where a workbook goes: the file at path, or sink when it is not NULL (path is then
 * ignored; deflated members carry data descriptors, io/zipw.h). */
struct xlsxw_dest {
    const char *path;
    const struct zipw_sink *sink;
};

#define XLSXW_PATH(p) (&(const struct xlsxw_dest){ (p), NULL })
#define XLSXW_SINK(s) (&(const struct xlsxw_dest){ NULL, (s) })

/* xlsxw_open creates (or truncates) the file at path, mode 0600, and starts a first sheet
 * named sheet_name (Excel's rules: 1-31 characters, none of []:*?/\ nor control
 * characters, not starting or ending with an apostrophe). On success *out owns the
 * workbook until xlsxw_close or xlsxw_free. Errors: ERR_INVALID (sheet name), ERR_IO (file
 * not writable); on failure nothing is left at path. */
int xlsxw_open(const char *path, const char *sheet_name, const struct xlsxw_opts *opts,
               struct xlsxw **out);

/* xlsxw_open_dest is xlsxw_open writing to dest (a file or a sink). */
int xlsxw_open_dest(const struct xlsxw_dest *dest, const char *sheet_name, const struct xlsxw_opts *opts,
                    struct xlsxw **out);

/* xlsxw_add_sheet finishes the current sheet and starts a new one named sheet_name; rows
 * then go to it, starting at its first row, with no column widths set. ERR_INVALID for a
 * bad or repeated name (case-insensitive, as Excel compares), ERR_TOO_LARGE past
 * XLSXW_MAX_SHEETS. */
int xlsxw_add_sheet(struct xlsxw *w, const char *sheet_name);

/* xlsxw_header writes the next row in bold as text and, while the sheet's layout is not
 * yet written (see above), freezes the sheet above the row after it (so it stays visible
 * while scrolling); normally the first row of a sheet, or the row under a few title rows. */
int xlsxw_header(struct xlsxw *w, const struct str *names, size_t n);

/* xlsxw_row writes cells[0..n) as the next row of the current sheet (an empty row when n is
 * 0). Errors: ERR_INVALID (text that is not UTF-8 or holds NUL, a number that is not
 * finite, an unknown type), ERR_TOO_LARGE (n > XLSXW_MAX_COLS, a text cell over
 * TABLE_MAX_CELL bytes, the sheet already has XLSXW_MAX_ROWS rows); a failed row writes
 * nothing and the writer stays usable. Write failures of the file are sticky and reported
 * by xlsxw_close (xlsxw_row then returns that error too). */
int xlsxw_row(struct xlsxw *w, const struct xlsxw_cell *cells, size_t n);

/* xlsxw_set_width sets the width of column col of the current sheet, in characters of the
 * default font (Excel's unit; 8.43 is the default). ERR_INVALID for a column out of range,
 * a width not in (0, 255], or a sheet whose layout is already written. */
int xlsxw_set_width(struct xlsxw *w, size_t col, double width);

/* xlsxw_rows returns the number of rows written to the current sheet (header included). */
uint64_t xlsxw_rows(const struct xlsxw *w);

/* xlsxw_close finishes the workbook at path and frees w (also on failure, in which case the
 * file is removed). Returns 0, ERR_IO or ERR_TOO_LARGE (past 4 GiB). NULL is fine (0). */
int xlsxw_close(struct xlsxw *w);

/* xlsxw_free discards the workbook without finishing it, removes the file at path and frees
 * w; for error paths. NULL is fine. */
void xlsxw_free(struct xlsxw *w);

/* xlsxw_finish ends a workbook whose writing came to result rc: xlsxw_close when rc is 0
 * (returning its result), otherwise xlsxw_free and rc. NULL w is fine (w failed to open). */
int xlsxw_finish(struct xlsxw *w, int rc);

#endif
