/* api/export.h - one list route, two formats: JSON pages or the whole list as .xlsx (issue 10
 * "Exports"; R1.1-R1.6, R4.3).
 *
 * A list route declares its list once, as a struct api_list_def: a page function that runs
 * the route's query for one page and builds the JSON items, and a column spec (Chinese
 * header, JSON field, kind). api_list_serve then answers
 *   GET …?limit&next            -> 200 {"items","total","next"} (one page, as before)
 *   GET …?format=xlsx            -> 200 an .xlsx attachment with every row of the query
 * from the same filters (parsed by the handler before the call), the same scope (the page
 * function's domain call applies it) and the same items: the export calls the page
 * function page after page until the cursor ends, and writes each item's fields as the
 * column spec says. So the data rows of the file equal the JSON list's "total" for the same
 * query. Routes whose reply is not a list (statistics) call api_export directly.
 *
 * The file (io/xlsxw.h, streamed, constant memory) holds: row 1, a title saying what, when
 * and for whom ("采样记录 | 导出时间 … | 导出人 … (街道 …) | 已脱敏"); row 2, the Chinese column
 * headers (bold, frozen); then one row per item. Identifiers (codes, ID numbers, tubes,
 * record ids) are text cells, so Excel never rounds or reformats them; times are local
 * text (UTC+8); counts are numbers.
 *
 * Personal data: the JSON items are masked by the page function (never a plaintext ID,
 * name or phone). ?reveal=1 asks for unmasked personal columns: it needs pii.reveal (403
 * otherwise) and a ?reason (1..200 characters, no 15-digit run, audited); only page
 * functions that declare API_LIST_REVEALS honour it. Every export is audited as
 * "export.<name>" with the row count, before the file is sent. At most API_EXPORT_MAX_ROWS
 * rows (Excel's sheet limit less the title rows): a longer list is refused with 413 before
 * anything is written, with a hint to narrow the filters.
 */
#ifndef JY_API_EXPORT_H
#define JY_API_EXPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "http/route.h"
#include "io/xlsxw.h"

#define API_EXPORT_MAX_ROWS (XLSXW_MAX_ROWS - 2)
#define API_EXPORT_CONTENT_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* How a JSON field becomes a cell. A null or absent field is an empty cell. */
enum api_col_kind {
    API_COL_TEXT,   /* a text cell; numbers are written as their decimal text (ids, codes) */
    API_COL_SHARED, /* text from a small vocabulary (status, kind): one shared string */
    API_COL_INT,    /* a number cell */
    API_COL_REAL,   /* a number cell (coordinates) */
    API_COL_TIME,   /* ms since the epoch -> "2026-11-24 17:15:20" (UTC+8); 0 is empty */
    API_COL_BOOL,   /* true/false -> 是/否 */
    API_COL_BP,     /* basis points -> a number in percent (10000 -> 100) */
    API_COL_MASKED, /* personal text, masked by the page function unless revealed */
    API_COL_JSON,   /* an array or object, written as compact JSON text */
};

/* One column: header in Chinese, the item's field ("a.b" reads field b of object a). */
struct api_col {
    const char *head;
    const char *field;
    enum api_col_kind kind;
};

/* One page of a list, filled by a page function. */
struct api_list_page {
    /* in */
    size_t limit;         /* 1..def->max */
    int64_t cursor;       /* the ?next cursor (0: the first page) */
    struct arena *arena;  /* memory for this page (the export releases it page by page) */
    bool reveal;          /* unmasked personal columns (export with ?reveal=1 only) */
    bool skip_total;      /* total is not needed (an export past its first page): a page
                             function may leave it 0 and skip the count */
    /* out */
    json_t *items;        /* a new JSON array (owned by the caller afterwards) */
    int64_t total;        /* every match of the query, not just this page */
    int64_t next;         /* the cursor of the next page; 0 on the last page */
};

/* page runs the list's query (already parsed into query by the handler) for one page.
 * Returns 0 or an ERR_* (having called req_fail for a client error). */
typedef int (*api_list_fn)(struct req *req, const void *query, struct api_list_page *page);

enum api_list_flags {
    API_LIST_REVEALS = 1 << 0, /* the page function honours page->reveal */
};

/* A list route's declaration, a static const object beside its handler. */
struct api_list_def {
    const char *name;           /* audit action "export.<name>", file name "<name>.xlsx" */
    const char *title;          /* Chinese: the title row, the sheet, the file name */
    api_list_fn page;
    size_t def, max;            /* the JSON page size: default and maximum of ?limit */
    const struct api_col *cols;
    size_t ncols;
    unsigned flags;
};

/* api_format says (in *xlsx) whether ?format=xlsx was asked. ERR_INVALID (and a reply) for any
 * other format but json. */
int api_format(struct req *req, bool *xlsx);

/* api_list_serve answers a list route in the format asked (see above) for query, which the
 * handler parsed and checked. JSON: reads ?limit (def, 1..max) and ?next, one page. */
int api_list_serve(struct req *req, const struct api_list_def *def, const void *query);

/* api_export writes every page of def's list for query to an .xlsx and sends it (the
 * format=xlsx half of api_list_serve). cols may differ from def->cols (built at run time
 * for a statistic). filters (may be NULL) is appended to the title row (no personal data). */
int api_export(struct req *req, const struct api_list_def *def, const struct api_col *cols, size_t ncols,
               const void *query, const char *filters);

#endif
