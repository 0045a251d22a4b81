/* domain/exchange/hotline_extract.h - one pass of a rule over a ticket sheet: the tickets
 * under any of the category filters whose title + content match the expression (R2.12; the
 * contract of `jiayuan hotline extract`). Pure: reads a table, calls back per hit; the
 * hits' .xlsx is written with io/xlsxw.h, the caller's name and phone masked.
 */
#ifndef JY_DOMAIN_EXCHANGE_HOTLINE_EXTRACT_H
#define JY_DOMAIN_EXCHANGE_HOTLINE_EXTRACT_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/exchange/hotline_rule.h"
#include "domain/exchange/hotline_sheet.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define HOTLINE_MAX_CATEGORIES 64

struct hotline_extract_counts {
    uint64_t header_row;
    uint64_t tickets;           /* data rows with a ticket number */
    uint64_t no_number;         /* data rows without one (not tickets) */
    uint64_t in_category;       /* tickets under a category filter (all when none) */
    uint64_t matched;           /* of which the expression matched */
};

/* Called per matching ticket, in sheet order; non-zero stops the pass with that code. */
typedef int (*hotline_hit_fn)(void *ctx, const struct hotline_ticket *t);

/* hotline_extract reads every row of t (positioned before its first row). cats[0..ncats)
 * are category filters as written (normalised here; ncats 0: no filter; at most
 * HOTLINE_MAX_CATEGORIES). rule may be NULL (every ticket in the categories matches).
 * Errors: ERR_INVALID with why (no ticket header, unreadable sheet), ERR_TOO_LARGE (the
 * table's caps, too many filters), fn's code. */
int hotline_extract(struct table *t, const struct hotline_rule *rule, const char *const *cats,
                    size_t ncats, hotline_hit_fn fn, void *ctx, struct hotline_extract_counts *c,
                    struct buf *why);

/* The hits' workbook: columns 工单编号, 受理时间, 问题分类, 标题, 诉求内容, 事发地址, 来电人
 * (masked: first character), 联系电话 (masked: hotline_mask_phone), 状态, 原表行号.
 * hotline_hits_xlsx_open creates it at dest and writes the header; rows follow; finish
 * with xlsxw_close / xlsxw_finish. */
struct xlsxw;
int hotline_hits_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w);
int hotline_hits_xlsx_row(struct xlsxw *w, const struct hotline_ticket *t);

#endif
