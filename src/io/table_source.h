/* io/table_source.h - internal: the two row sources behind io/table.h, each over a file
 * descriptor, memory or a caller's random-access reader (struct table_reader).
 *
 * table.c decides the format, reads ahead, chooses the sheet and hands rows out; the
 * sources only produce rows. A source's next function fills *row exactly as
 * table_next_row documents (cells owned by the source, valid until its next call; cells
 * NULL at the end) and never returns a row numbered above TABLE_MAX_ROWS. On failure it
 * returns the ERR_* code with one line of English in msg (appended; msg is empty before),
 * and must not be called again. Not for use outside src/io/.
 */
#ifndef JY_IO_TABLE_SOURCE_H
#define JY_IO_TABLE_SOURCE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/table.h"

struct table__xlsx;
struct table__csv;

/* TABLE_MAX_COLS zeros (TABLE_CELL_VALUE): the kinds of a row whose cells are all values. */
extern const uint8_t table__value_kinds[TABLE_MAX_COLS];

/* Cell text is personal data (ID numbers, names, phones), so every buffer that held some is
 * wiped before it goes back to the allocator. These two are for the libraries that take an
 * allocator without sizes (expat's memory suite, libcsv's realloc/free): they wipe the
 * whole usable block (malloc_usable_size) on free and on a moving realloc. They abort on
 * out-of-memory like xmalloc. */
void *table__secret_realloc(void *p, size_t n);
void table__secret_free(void *p);

/* Workbooks. Open from a file descriptor (taken over: closed by table__xlsx_free, also on
 * failure) or from memory (p, n; kept by the caller). The open
 * reads the package relationships, the workbook's sheet list and the shared strings; it
 * does not start a sheet. */
int table__xlsx_open_fd(int fd, struct table__xlsx **out, struct buf *msg);
int table__xlsx_open_mem(const void *p, size_t n, struct table__xlsx **out, struct buf *msg);
/* table__xlsx_open_reader reads the archive through r (io/table.h; copied). */
int table__xlsx_open_reader(const struct table_reader *r, struct table__xlsx **out, struct buf *msg);
size_t table__xlsx_sheet_count(const struct table__xlsx *x);
const char *table__xlsx_sheet_name(const struct table__xlsx *x, size_t i);
bool table__xlsx_sheet_hidden(const struct table__xlsx *x, size_t i);
/* table__xlsx_select starts (or restarts) streaming sheet i from its first row. */
int table__xlsx_select(struct table__xlsx *x, size_t i, struct buf *msg);
int table__xlsx_next(struct table__xlsx *x, struct table_row *row, struct buf *msg);
void table__xlsx_free(struct table__xlsx *x);

/* CSV. Open from a file descriptor (taken over: closed by table__csv_free, also on failure)
 * or from memory. The open decides the encoding (reading the whole input once when it
 * must) and the delimiter. */
int table__csv_open_fd(int fd, struct table__csv **out, struct buf *msg);
int table__csv_open_mem(const void *p, size_t n, struct table__csv **out, struct buf *msg);
int table__csv_open_reader(const struct table_reader *r, struct table__csv **out, struct buf *msg);
const char *table__csv_encoding(const struct table__csv *c);
int table__csv_next(struct table__csv *c, struct table_row *row, struct buf *msg);
void table__csv_free(struct table__csv *c);

#endif
