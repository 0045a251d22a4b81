/* domain/exchange/hotline_extract.c - a rule's pass over a ticket sheet and the hits'
 * workbook (R2.12); see hotline_extract.h. */
#include "domain/exchange/hotline_extract.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "domain/testing/person.h"
#include "io/xlsxw.h"

int
hotline_extract(struct table *t, const struct hotline_rule *rule, const char *const *cats,
                size_t ncats, hotline_hit_fn fn, void *ctx, struct hotline_extract_counts *c,
                struct buf *why)
{
    struct hotline_sheet s;
    struct hotline_ticket tk;
    struct table_row row;
    enum hotline_feed what;
    struct buf scratch = BUF_INIT;
    struct buf *norm = NULL;
    int rc = ERR_TOO_LARGE;

    memset(c, 0, sizeof *c);
    hotline_sheet_init(&s);
    if (ncats > HOTLINE_MAX_CATEGORIES) {
        if (why)
            buf_printf(why, "more than %d category filters", HOTLINE_MAX_CATEGORIES);
        goto out;
    }
    norm = xcalloc(ncats ? ncats : 1, sizeof *norm);
    for (size_t i = 0; i < ncats; i++) {
        norm[i] = (struct buf)BUF_INIT;
        hotline_category_norm(str_of(cats[i]), &norm[i]);
    }
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if ((rc = hotline_sheet_feed(&s, &row, &what, &tk, why)))
            goto out;
        if (what == HOTLINE_FEED_NO_NUMBER)
            c->no_number++;
        if (what != HOTLINE_FEED_TICKET)
            continue;
        c->tickets++;
        bool in = ncats == 0;
        for (size_t i = 0; i < ncats && !in; i++)
            in = hotline_category_under(tk.category_norm, norm[i].data);
        if (!in)
            continue;
        c->in_category++;
        if (rule && !hotline_rule_match(rule, str_of(tk.title), str_of(tk.content), &scratch))
            continue;
        c->matched++;
        if (fn && (rc = fn(ctx, &tk)))
            goto out;
    }
    if (rc) {
        if (why)
            buf_adds(why, table_message(t));
        goto out;
    }
    if (!s.header_row) {
        if (why)
            buf_printf(why, "no ticket header (工单编号 with 标题 or 诉求内容) found");
        rc = ERR_INVALID;
        goto out;
    }
    c->header_row = s.header_row;
    rc = 0;
out:
    for (size_t i = 0; norm && i < ncats; i++)
        buf_release(&norm[i]);
    xfree(norm);
    buf_release_secret(&scratch);
    hotline_sheet_release(&s);
    return rc;
}

int
hotline_hits_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w)
{
    static const struct str head[] = {
        STR_LIT("工单编号"), STR_LIT("受理时间"), STR_LIT("问题分类"), STR_LIT("标题"),
        STR_LIT("诉求内容"), STR_LIT("事发地址"), STR_LIT("来电人"), STR_LIT("联系电话"),
        STR_LIT("状态"), STR_LIT("原表行号"),
    };
    static const double widths[] = { 20, 20, 30, 30, 60, 30, 10, 14, 10, 10 };
    int rc = xlsxw_open_dest(dest, "hits", NULL, w);
    for (size_t i = 0; !rc && i < sizeof widths / sizeof *widths; i++)
        rc = xlsxw_set_width(*w, i, widths[i]);
    if (!rc)
        rc = xlsxw_header(*w, head, sizeof head / sizeof *head);
    if (rc && *w) {
        xlsxw_free(*w);
        *w = NULL;
    }
    return rc;
}

int
hotline_hits_xlsx_row(struct xlsxw *w, const struct hotline_ticket *t)
{
    char name[64], phone[40];
    person_mask_name(t->caller, name, sizeof name);
    hotline_mask_phone(t->phone, phone, sizeof phone);
    struct xlsxw_cell cells[] = {
        XLSXW_TEXT_CELL(str_of(t->number)),   XLSXW_TEXT_CELL(str_of(t->received)),
        XLSXW_SHARED_CELL(str_of(t->category)), XLSXW_TEXT_CELL(str_of(t->title)),
        XLSXW_TEXT_CELL(str_of(t->content)),  XLSXW_TEXT_CELL(str_of(t->address)),
        XLSXW_TEXT_CELL(str_of(name)),        XLSXW_TEXT_CELL(str_of(phone)),
        XLSXW_SHARED_CELL(str_of(t->status)), XLSXW_NUMBER_CELL((double)t->num),
    };
    return xlsxw_row(w, cells, sizeof cells / sizeof *cells);
}
