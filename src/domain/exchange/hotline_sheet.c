/* domain/exchange/hotline_sheet.c - header detection and ticket rows of a 12345 hotline
 * sheet (R2.12); see hotline_sheet.h. Pure: no database. */
#include "domain/exchange/hotline_sheet.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/utf8.h"
#include "domain/exchange/hotline_rule.h"
#include "domain/places/text_norm.h"


static const struct text_norm_alias sheet_headers[] = {
    { "工单编号", HC_NUMBER }, { "工单号", HC_NUMBER }, { "工单编码", HC_NUMBER },
    { "工单号码", HC_NUMBER }, { "受理编号", HC_NUMBER }, { "编号", HC_NUMBER },
    { "单号", HC_NUMBER }, { "ticketno", HC_NUMBER },
    { "受理时间", HC_RECEIVED }, { "来电时间", HC_RECEIVED }, { "接诉时间", HC_RECEIVED },
    { "受理日期", HC_RECEIVED }, { "登记时间", HC_RECEIVED }, { "创建时间", HC_RECEIVED },
    { "派单时间", HC_RECEIVED }, { "receivedat", HC_RECEIVED },
    { "问题分类", HC_CATEGORY }, { "分类", HC_CATEGORY }, { "问题类型", HC_CATEGORY },
    { "诉求分类", HC_CATEGORY }, { "事项分类", HC_CATEGORY }, { "业务分类", HC_CATEGORY },
    { "类别", HC_CATEGORY }, { "工单分类", HC_CATEGORY }, { "category", HC_CATEGORY },
    { "一级分类", HC_CAT1 }, { "二级分类", HC_CAT2 }, { "三级分类", HC_CAT3 },
    { "四级分类", HC_CAT4 },
    { "标题", HC_TITLE }, { "工单标题", HC_TITLE }, { "诉求标题", HC_TITLE }, { "主题", HC_TITLE },
    { "title", HC_TITLE },
    { "诉求内容", HC_CONTENT }, { "内容", HC_CONTENT }, { "工单内容", HC_CONTENT },
    { "问题描述", HC_CONTENT }, { "来电内容", HC_CONTENT }, { "反映内容", HC_CONTENT },
    { "诉求描述", HC_CONTENT }, { "content", HC_CONTENT },
    { "事发地址", HC_ADDRESS }, { "地址", HC_ADDRESS }, { "事发地点", HC_ADDRESS },
    { "发生地址", HC_ADDRESS }, { "问题地址", HC_ADDRESS }, { "诉求地址", HC_ADDRESS },
    { "address", HC_ADDRESS },
    { "来电人", HC_CALLER }, { "来电人姓名", HC_CALLER }, { "姓名", HC_CALLER },
    { "联系人", HC_CALLER }, { "市民姓名", HC_CALLER }, { "诉求人", HC_CALLER },
    { "caller", HC_CALLER },
    { "联系电话", HC_PHONE }, { "来电号码", HC_PHONE }, { "电话", HC_PHONE },
    { "手机号", HC_PHONE }, { "联系方式", HC_PHONE }, { "来电电话", HC_PHONE },
    { "诉求人电话", HC_PHONE }, { "phone", HC_PHONE },
    { "状态", HC_STATUS }, { "办理状态", HC_STATUS }, { "工单状态", HC_STATUS },
    { "status", HC_STATUS },
};

void
hotline_sheet_init(struct hotline_sheet *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < HC__COUNT; i++)
        s->col[i] = -1;
    for (size_t i = 0; i < sizeof s->f / sizeof *s->f; i++)
        buf_init(&s->f[i], BUF_CAP_DEFAULT);
}

void
hotline_sheet_release(struct hotline_sheet *s)
{
    for (size_t i = 0; i < sizeof s->f / sizeof *s->f; i++)
        buf_release_secret(&s->f[i]); /* caller names and phones passed through */
}

/* sheet_try_header fills s->col from row when it is a ticket header. */
static bool
sheet_try_header(struct hotline_sheet *s, const struct table_row *row)
{
    int col[HC__COUNT];
    text_norm_header_map(row, sheet_headers, sizeof sheet_headers / sizeof *sheet_headers, NULL, col, HC__COUNT);
    if (col[HC_NUMBER] < 0 || (col[HC_TITLE] < 0 && col[HC_CONTENT] < 0))
        return false;
    memcpy(s->col, col, sizeof col);
    s->header_row = row->num;
    return true;
}

static struct str
sheet_trim(struct str v)
{
    for (;;) {
        size_t k = 0;
        if (!v.n || !utf8_is_space(utf8_next_or_fffd(v.p, v.n, &k)))
            break;
        v.p += k, v.n -= k;
    }
    while (v.n) {
        size_t start = v.n - 1, k;
        while (start && ((unsigned char)v.p[start] & 0xC0) == 0x80)
            start--;
        k = start;
        if (!utf8_is_space(utf8_next_or_fffd(v.p, v.n, &k)))
            break;
        v.n = start;
    }
    return v;
}

static struct str
sheet_cell(const struct hotline_sheet *s, const struct table_row *row, enum hotline_col c)
{
    int i = s->col[c];
    if (i < 0 || (size_t)i >= row->ncells)
        return (struct str){ "", 0 };
    return sheet_trim(row->cells[i]);
}

static const char *
sheet_keep(struct hotline_sheet *s, enum hotline_col c, struct str v)
{
    buf_reset(&s->f[c]);
    buf_add(&s->f[c], v.p, v.n);
    return s->f[c].data;
}

int
hotline_sheet_feed(struct hotline_sheet *s, const struct table_row *row, enum hotline_feed *what,
                   struct hotline_ticket *out, struct buf *why)
{
    static const enum hotline_col plain[] = { HC_NUMBER, HC_RECEIVED, HC_TITLE, HC_CONTENT,
                                              HC_ADDRESS, HC_CALLER, HC_PHONE, HC_STATUS };
    const char **dst[] = { &out->number, &out->received, &out->title, &out->content,
                           &out->address, &out->caller, &out->phone, &out->status };
    struct buf *cat = &s->f[HC_CATEGORY];

    s->rows_seen++;
    *what = HOTLINE_FEED_SKIP;
    if (!s->header_row) {
        if (sheet_try_header(s, row)) {
            *what = HOTLINE_FEED_HEADER;
            return 0;
        }
        if (s->rows_seen >= HOTLINE_HEADER_ROWS) {
            if (why)
                buf_printf(why, "no ticket header (工单编号 with 标题 or 诉求内容) in the first %d rows",
                           HOTLINE_HEADER_ROWS);
            return ERR_INVALID;
        }
        return 0;
    }
    memset(out, 0, sizeof *out);
    out->num = row->num;
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        *dst[i] = sheet_keep(s, plain[i], sheet_cell(s, row, plain[i]));
    buf_reset(cat);
    if (s->col[HC_CATEGORY] >= 0) {
        struct str v = sheet_cell(s, row, HC_CATEGORY);
        buf_add(cat, v.p, v.n);
    } else {
        for (int c = HC_CAT1; c <= HC_CAT4; c++) {
            struct str v = sheet_cell(s, row, (enum hotline_col)c);
            if (!v.n)
                continue;
            if (cat->len)
                buf_addch(cat, '/');
            buf_add(cat, v.p, v.n);
        }
    }
    out->category = cat->data;
    hotline_category_norm((struct str){ cat->data, cat->len }, &s->f[HC__COUNT]);
    out->category_norm = s->f[HC__COUNT].data;
    *what = out->number[0] ? HOTLINE_FEED_TICKET : HOTLINE_FEED_NO_NUMBER;
    return 0;
}

void
hotline_mask_phone(const char *phone, char *out, size_t cap)
{
    char d[32];
    size_t n = 0;
    for (const char *p = phone; *p && n < sizeof d - 1; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    d[n] = '\0';
    if (n == 11)
        snprintf(out, cap, "%.3s****%s", d, d + 7);
    else if (n >= 7)
        snprintf(out, cap, "****%s", d + n - 4);
    else
        snprintf(out, cap, "%.*s", (int)n, "********************************");
}
