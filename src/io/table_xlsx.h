/* io/table_xlsx.h - internal: the pieces of the .xlsx row source (R4.3, R4.4, R4.5).
 *
 * The workbook reader of io/table_source.h is split by concern:
 *   table_xlsx_xml.c     expat set up with every protection, attribute and escape helpers
 *   table_xlsx_zip.c     zip members inflated under the size, total and ratio caps
 *   table_xlsx.c         the package: relationships, workbook, sheet list, entry points
 *   table_xlsx_sst.c     the shared-string table
 *   table_xlsx_styles.c  xl/styles.xml: which cell formats are dates
 *   table_xlsx_sheet.c   the sheet stream: rows and cells
 *   table_xlsx_value.c   what a cell becomes: formula literals, date serials as text
 * Names with a double underscore cross these files and nothing else may use them. Every
 * failure appends one line of English to the message buffer, as io/table.h describes.
 */
#ifndef JY_IO_TABLE_XLSX_H
#define JY_IO_TABLE_XLSX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* expat declares its billion-laughs setters only when XML_DTD is defined; Debian's library
 * is built with DTD support (XML_GetFeatureList says so), the header just does not say. */
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#include <zip.h>

#include "core/buf.h"
#include "core/str.h"
#include "io/table.h"
#include "io/table_source.h"

#define XLSX_CHUNK ((size_t)64 * 1024)
#define XLSX_SST_CHUNK ((size_t)4 << 20)        /* one arena chunk; 2^22 */
#define XLSX_SST_SHIFT 22
#define XLSX_SST_OVERSIZED 0xFFFFu              /* length tag of a string over the cap */
#define XLSX_MAX_RELS 10000
#define XLSX_MAX_COL 16384                     /* XFD: Excel's last column */
#define XLSX_ROW_TEXT_CAP ((size_t)2 * TABLE_MAX_COLS * (TABLE_MAX_CELL + 1))
#define XLSX_DATE_MAX 72                        /* "YYYY-MM-DD HH:MM:SS", room for any int */

/* ---- XML (table_xlsx_xml.c) ------------------------------------------------------------- */

struct xlsx__xml {
    XML_Parser p;
    unsigned depth;
    int rc;                     /* set by a handler that stopped the parser */
    struct buf *msg;
};

/* xlsx__xml_new creates a parser whose user data is b (so b must be the first member of
 * the handlers' struct), with the handlers given and every protection on: DOCTYPE and
 * entity declarations refused, amplification limits set, buffers wiped when freed.
 * Aborts on out-of-memory. xlsx__xml_free accepts a parser-less b. */
void xlsx__xml_new(struct xlsx__xml *b, XML_StartElementHandler start, XML_EndElementHandler end,
                   XML_CharacterDataHandler chars);
void xlsx__xml_free(struct xlsx__xml *b);
/* xlsx__xml_fail records the first failure (rc and a formatted line in b->msg) and stops
 * the parser; later calls are ignored. */
void xlsx__xml_fail(struct xlsx__xml *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* xlsx__xml_enter counts nesting: false (and the parser stopped) past TABLE_MAX_XML_DEPTH.
 * Every start handler calls it first; every end handler decrements depth. */
bool xlsx__xml_enter(struct xlsx__xml *b);
/* An end handler that only counts depth, and a character handler that ignores text. */
void xlsx__xml_end(void *ud, const XML_Char *name);
void xlsx__xml_no_chars(void *ud, const XML_Char *s, int len);
/* xlsx__xml_local drops a namespace prefix: "x:row" -> "row". */
const char *xlsx__xml_local(const XML_Char *name);
/* xlsx__xml_attr returns the value of the attribute whose local name is local (with a
 * prefix or without one, as asked), or NULL. */
const char *xlsx__xml_attr(const XML_Char **atts, const char *local, bool prefixed);
/* xlsx__xml_unescape decodes OOXML's _xHHHH_ escapes of p[0..n) in place and returns the
 * new length. Surrogate pairs combine; lone surrogates and NUL become U+FFFD. */
size_t xlsx__xml_unescape(char *p, size_t n);
/* xlsx__parse_u64 reads decimal digits only (no sign, no space) up to max. */
bool xlsx__parse_u64(const char *s, uint64_t max, uint64_t *out);

/* ---- the package (table_xlsx_zip.c) ------------------------------------------------------ */

/* A zip member being inflated. */
struct xlsx__member {
    zip_file_t *zf;
    uint64_t total, comp, size;
    const char *label;
    uint64_t *inflated;         /* the workbook's running total (TABLE_MAX_INFLATED) */
};

struct xlsx__sheet {
    char *name;
    zip_int64_t index;          /* zip member (sheets without one are dropped) */
    bool hidden;
};

struct xlsx__sst {
    char **chunks;
    size_t nchunks, used;       /* bytes used in the last chunk */
    size_t first_cap;           /* size of chunk 0 (small for small tables); others are full */
    uint32_t *loc;              /* chunk << XLSX_SST_SHIFT | offset of a 2-byte length */
    size_t count, alloc, bytes;
};

/* Cell formats: date[i] is true when cellXfs entry i has a date or time number format. */
struct xlsx__styles {
    bool *date;
    size_t n;
};

/* A cell as the sheet stream collected it, before xlsx__cell_value decides its text. */
enum xlsx__type { XLSX_T_NUM, XLSX_T_SST, XLSX_T_INLINE, XLSX_T_STR, XLSX_T_BOOL, XLSX_T_ERR };

struct xlsx__stream {
    struct xlsx__xml b;         /* first: the parser's user data */
    struct table__xlsx *x;
    struct xlsx__member m;
    bool open, suspended, final, row_ready;
    bool in_data, in_row, in_cell, in_is;
    enum { XLSX_CAP_NONE, XLSX_CAP_TEXT, XLSX_CAP_FORMULA } capture;
    unsigned rph;
    enum xlsx__type type;
    bool has_f, has_v, f_over;  /* the cell has <f>, <v>; its formula exceeded the cap */
    uint64_t style;             /* s= (cellXfs index) */
    size_t col, next_col, mark, ncols, touched;
    uint64_t row_num, last_num;
    struct buf text, ftext;     /* the row's cell texts; the current cell's formula */
    size_t off[TABLE_MAX_COLS], len[TABLE_MAX_COLS];
    uint8_t kind[TABLE_MAX_COLS];
    struct str out[TABLE_MAX_COLS];
};

struct table__xlsx {
    zip_t *zip;
    uint64_t inflated;
    struct xlsx__sheet *sheets;
    size_t nsheets;
    bool date1904;              /* workbookPr date1904: serial 0 is 1904-01-01 */
    struct xlsx__sst sst;
    struct xlsx__styles styles;
    struct xlsx__stream st;
};

/* xlsx__zip_message appends the user's line for a libzip error. */
void xlsx__zip_message(struct buf *msg, zip_error_t *ze);
/* xlsx__reader_source makes a read-only, seekable libzip source over r (copied); NULL with
 * ze set on failure. */
zip_source_t *xlsx__reader_source(const struct table_reader *r, zip_error_t *ze);
/* xlsx__locate finds a member by part name (a leading '/' ignored, case ignored); -1. */
zip_int64_t xlsx__locate(const struct table__xlsx *x, const char *name);
/* xlsx__member_open opens member index for inflating (label names it in messages):
 * refused when encrypted, without sizes, or over TABLE_MAX_PART_BYTES. */
int xlsx__member_open(struct table__xlsx *x, zip_int64_t index, const char *label,
                      struct xlsx__member *m, struct buf *msg);
/* xlsx__member_want is how much to ask for next: a chunk, or what the member declares it
 * has left plus one byte (to see its end), so small parts get small parser buffers. */
size_t xlsx__member_want(const struct xlsx__member *m);
/* xlsx__member_read inflates up to cap bytes into p; *got 0 means the member is done. The
 * inflated size must stay within the declared size, the part cap, the workbook total and
 * the ratio limit. */
int xlsx__member_read(struct xlsx__member *m, void *p, size_t cap, size_t *got, struct buf *msg);
void xlsx__member_close(struct xlsx__member *m);
/* xlsx__parse_member runs parser b (already created) over the whole member at index. */
int xlsx__parse_member(struct table__xlsx *x, zip_int64_t index, const char *label,
                       struct xlsx__xml *b, struct buf *msg);

/* ---- shared strings (table_xlsx_sst.c) ---------------------------------------------------- */

/* xlsx__sst_read reads the shared-string part at index into x->sst. */
int xlsx__sst_read(struct table__xlsx *x, zip_int64_t index, struct buf *msg);
/* xlsx__sst_get: 0 and *out, ERR_INVALID (no such string) or ERR_TOO_LARGE (a string over
 * TABLE_MAX_CELL). */
int xlsx__sst_get(const struct xlsx__sst *s, uint64_t i, struct str *out);
void xlsx__sst_release(struct xlsx__sst *s);

/* ---- styles (table_xlsx_styles.c) --------------------------------------------------------- */

/* xlsx__styles_read reads the styles part at index into x->styles: ERR_TOO_LARGE past
 * TABLE_MAX_STYLES_BYTES, TABLE_MAX_XFS or TABLE_MAX_NUMFMTS, ERR_INVALID when damaged. */
int xlsx__styles_read(struct table__xlsx *x, zip_int64_t index, struct buf *msg);
/* xlsx__styles_is_date: cell format xf (s=) has a date or time number format. */
bool xlsx__styles_is_date(const struct xlsx__styles *s, uint64_t xf);
/* xlsx__numfmt_is_date tells whether number format id (with code, for custom ids; NULL
 * for built-in ones) formats dates or times. */
bool xlsx__numfmt_is_date(uint32_t id, const char *code);
void xlsx__styles_release(struct xlsx__styles *s);

/* ---- cell values (table_xlsx_value.c) ----------------------------------------------------- */

/* xlsx__formula_literal evaluates formula f[0..n) (with or without its leading '=') when
 * it is a plain literal: a string ("a ""b""" -> a "b"), T("…") of one, or a number
 * (123, -1.5, 1E3: the text as written, a leading '+' dropped). On true the value is
 * appended to out and *number tells which; on false out is unchanged. */
bool xlsx__formula_literal(const char *f, size_t n, struct buf *out, bool *number);
/* xlsx__date_text writes the date (and time of day, when the value has one, rounded to
 * the second) of the Excel serial number p[0..n) into out ("2022-04-01", "2022-04-01
 * 08:30:00"). False, out untouched, when p is not a plain decimal number or falls outside
 * the dates Excel shows: below 1 (1900 system) or 0 (1904 system), after 9999-12-31. */
bool xlsx__date_text(const char *p, size_t n, bool date1904, char out[XLSX_DATE_MAX]);

/* ---- the sheet stream (table_xlsx_sheet.c) ------------------------------------------------ */

/* xlsx__stream_start prepares x->st for member index; xlsx__stream_next produces the next
 * row exactly as table__xlsx_next documents; xlsx__stream_close ends it (closing twice is
 * fine). */
int xlsx__stream_start(struct table__xlsx *x, zip_int64_t index, struct buf *msg);
int xlsx__stream_next(struct table__xlsx *x, struct table_row *row, struct buf *msg);
void xlsx__stream_close(struct xlsx__stream *st);

#endif
