/* io/table.h - a streaming reader over one sheet of an uploaded resident list (R4.3-R4.5).
 *
 * A table is the rows of one sheet of an Excel workbook (.xlsx) or of a CSV file. The format
 * is decided by content, never by file name: a zip archive is read as a workbook, an Excel
 * 97-2003 file (.xls, also what password-protected workbooks are) and a web page saved as
 * ".xls" are refused with a message saying what to do, anything else is read as CSV.
 *
 * Rows are streamed: memory stays bounded by the caps below whatever the row count (the
 * workbook's shared-string table is the one part held whole, because any row may refer to
 * any of its strings). Cells are handed over as text, exactly as stored: a number keeps the
 * literal of the file ("1.10102199003077E+17", "110102199003077000"), a boolean is "TRUE" or
 * "FALSE", an error its code ("#N/A"). Each cell comes with its kind (enum table_cell_kind),
 * telling how its text was obtained:
 *   - a formula that is a plain literal (="110102…", "a ""quoted"" word", =123, =-1.5,
 *     =T("…")) has kind TABLE_CELL_FORMULA_LITERAL and gives its cached result when the
 *     file has one of the literal's type, else the literal's value (scripts such as
 *     openpyxl cache nothing, libxlsxwriter caches the number 0 even for a string); any
 *     other formula gives its cached result (TABLE_CELL_VALUE) or, without one, "" with
 *     kind TABLE_CELL_FORMULA_UNCACHED, and such a cell counts as non-empty (it is never
 *     mistaken for an empty cell); a formula cached as the empty string is empty;
 *   - a number whose cell format (xl/styles.xml: built-in formats 14-22, 27-36, 45-47,
 *     50-58, or a custom format with y, m, d, h or s outside quotes, brackets and escapes)
 *     is a date or time is turned into "YYYY-MM-DD", or "YYYY-MM-DD HH:MM:SS" when the value
 *     has a time of day (rounded to the second), honouring the workbook's 1904 date system,
 *     with kind TABLE_CELL_DATE. Excel's fictitious 1900-02-29 (serial 60) is written as
 *     Excel shows it; serials below 1 (1900 system) or below 0 (1904 system), and beyond
 *     9999-12-31, stay numbers. Cells of type "d" (ISO 8601 text) stay as written.
 * Judging what is corrupted is the cleaning step's business (core/idno.h), not this one's.
 *
 * Workbooks: the sheets are the workbook's worksheets that have a part (chart sheets,
 * sheets whose part is missing and second listings of one part are left out); the sheet
 * read is the first visible one in which io/columns.h finds an ID column, else the first
 * hidden one that has one, else the first sheet that has any row, else the first sheet. CSV: UTF-8 (with or without BOM), UTF-16 with a BOM, otherwise
 * GB18030 (which includes GBK and GB2312); the whole input is checked to be valid UTF-8
 * before UTF-8 is chosen. The delimiter is ',' unless the first lines hold more ';' or tabs,
 * or an Excel "sep=;" first line names it. Quoted fields may hold delimiters, quotes ("")
 * and newlines. Cells are never trimmed.
 *
 * On open, up to TABLE_PROBE_ROWS rows (at most TABLE_PROBE_BYTES of text) are read ahead
 * to choose the sheet and detect the columns; table_next_row hands them out first, so the
 * caller sees every row once, in order, header rows included.
 *
 * Errors: ERR_INVALID (not a table, damaged file, malformed XML or CSV text), ERR_TOO_LARGE
 * (a cap below is exceeded), ERR_IO (the file cannot be read). Each failure comes with one
 * line of English for the user ("sheet row 12: a value lies beyond column 256"); messages
 * never quote cell contents, so they may be logged and shown.
 */
#ifndef JY_IO_TABLE_H
#define JY_IO_TABLE_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

/* Caps. Every one of them fails with ERR_TOO_LARGE and says which. */
#define TABLE_MAX_ROWS ((uint64_t)2000000)   /* highest row number (xlsx r=, CSV record) */
#define TABLE_MAX_COLS 256                   /* a non-empty value beyond column IV (256) */
#define TABLE_MAX_CELL 32767                 /* bytes of one cell as stored (Excel's limit
                                                in characters, so all we read can be
                                                written back by io/xlsxw.h) */
#define TABLE_MAX_SST_COUNT ((size_t)8000000)     /* shared strings: a 2,000,000-row sheet
                                                     with four text columns of unique values */
#define TABLE_MAX_SST_BYTES ((size_t)256 << 20)   /* shared strings: total text */
#define TABLE_MAX_PART_BYTES ((uint64_t)2 << 30)  /* any zip member once uncompressed */
#define TABLE_MAX_INFLATED ((uint64_t)4 << 30)    /* all members read, sheet probes included */
#define TABLE_MAX_RATIO 200                  /* uncompressed / compressed size of a member … */
#define TABLE_RATIO_GRACE ((uint64_t)16 << 20) /* … checked once it has produced 16 MiB */
#define TABLE_MAX_ZIP_ENTRIES 10000          /* members in the archive */
#define TABLE_MAX_SHEETS 1024                /* sheets listed in the workbook */
#define TABLE_MAX_XML_DEPTH 64               /* element nesting in any XML part */
#define TABLE_MAX_NAME 1024                  /* bytes of a sheet name or part name */
#define TABLE_MAX_STYLES_BYTES ((uint64_t)64 << 20) /* xl/styles.xml once uncompressed */
#define TABLE_MAX_XFS 65536                  /* cell formats (cellXfs); Excel stops at 64000 */
#define TABLE_MAX_NUMFMTS 4096               /* custom number formats */

/* Read-ahead used for sheet choice and column detection. */
#define TABLE_PROBE_ROWS 200
#define TABLE_PROBE_BYTES ((size_t)8 << 20)

struct table;
struct columns;

enum table_format { TABLE_XLSX, TABLE_CSV };

/* How a cell's text was obtained (see the top of this file). Stored in a uint8_t. */
enum table_cell_kind {
    TABLE_CELL_VALUE = 0,           /* a value as stored, or a formula's cached result */
    TABLE_CELL_FORMULA_LITERAL,     /* a formula that is a plain string or number literal */
    TABLE_CELL_FORMULA_UNCACHED,    /* any other formula without a cached result: "" */
    TABLE_CELL_DATE,                /* a number in a date format, as "YYYY-MM-DD[ HH:MM:SS]" */
};

/* One row. cells[0..ncells) are UTF-8 without NUL bytes, each followed by a NUL
 * (cells[i].p[cells[i].n] == '\0'); empty cells and gaps are "" (p is never NULL).
 * kinds[0..ncells) tell how each cell was obtained (enum table_cell_kind); kinds is never
 * NULL when cells is not, gaps are TABLE_CELL_VALUE and so is every CSV cell. ncells is one
 * more than the index of the last non-empty cell, an uncached formula counting as
 * non-empty: rows with no non-empty cell are skipped. num is the row number the user sees
 * in Excel: the sheet's own row number for a workbook (rows may skip numbers), the 1-based
 * record number for CSV (blank lines count, a quoted newline does not start a record). The
 * memory belongs to the table and stays valid until the next table_next_row or
 * table_close. */
struct table_row {
    const struct str *cells;
    const uint8_t *kinds;
    size_t ncells;
    uint64_t num;
};

/* table_cell_kind_code returns a stable code for kind: "value", "formula_literal",
 * "formula_uncached", "date"; "unknown" for anything else. Static storage. */
const char *table_cell_kind_code(unsigned kind);

/* table_open_path opens the file at path; table_open_mem reads p[0..n), which must stay
 * valid and unchanged until table_close. On success *out is a new table positioned before
 * the first row, with the sheet chosen and the columns detected. On failure *out is NULL,
 * the ERR_* code is returned and, when why is not NULL, one line of English is appended to
 * it. An empty input is ERR_INVALID. */
int table_open_path(const char *path, struct table **out, struct buf *why);
int table_open_mem(const void *p, size_t n, struct table **out, struct buf *why);

/* A random-access byte source the caller provides instead of a path or memory: a sealed
 * upload (crypto/sealed_tmp.h, joined to this by api/, issue 12), so a 65 MiB workbook is
 * read in pieces and never held whole nor written to disk in plaintext. read copies up to
 * n bytes at off into p and sets *got (less than n only at the end); it returns 0 or an
 * ERR_* code (the table then fails with ERR_IO, or ERR_INVALID for ERR_CRYPTO: the upload
 * was altered). arg and the source must outlive the table. */
struct table_reader {
    uint64_t size;
    int (*read)(void *arg, void *p, size_t n, uint64_t off, size_t *got);
    void *arg;
};

/* table_open_reader is table_open_path over r (copied). */
int table_open_reader(const struct table_reader *r, struct table **out, struct buf *why);

/* table_next_row fills *row with the next non-empty row and returns 0. At the end of the
 * sheet it returns 0 with row->cells NULL and row->ncells 0, and keeps doing so. On
 * failure it returns ERR_INVALID / ERR_TOO_LARGE / ERR_IO, sets *row to the end state, and
 * table_message(t) says why; the table is then stuck in that error (every later call
 * returns it). Typical loop:
 *     while ((rc = table_next_row(t, &row)) == 0 && row.cells) { ... } */
int table_next_row(struct table *t, struct table_row *row);

/* table_message returns the English line describing the last failure of table_next_row,
 * or "" when there was none. Owned by t. */
const char *table_message(const struct table *t);

/* table_columns returns the columns detected on open (see io/columns.h). Owned by t. */
const struct columns *table_columns(const struct table *t);

/* table_format tells the format read. table_sheet_name returns the chosen sheet's name
 * (UTF-8, owned by t) for a workbook and NULL for CSV; table_sheet_count gives the number
 * of sheets in the workbook (1 for CSV). table_encoding names the CSV text encoding as
 * decided ("UTF-8", "GB18030", "UTF-16LE", "UTF-16BE") and is NULL for a workbook. */
enum table_format table_format(const struct table *t);
const char *table_sheet_name(const struct table *t);
size_t table_sheet_count(const struct table *t);
const char *table_encoding(const struct table *t);

/* table_close releases t and everything it handed out; NULL is fine. */
void table_close(struct table *t);

#endif
