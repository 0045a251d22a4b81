/* domain/exchange/hotline_sheet.h - reading 12345 hotline tickets (接诉即办工单) from a sheet
 * (R2.12): header detection and one ticket per data row. Pure: no database.
 *
 * The header row is the first of the first HOTLINE_HEADER_ROWS rows that names the ticket
 * number column and a title or content column (so title rows above it are passed over).
 * Header cells are compared as domain/places/text_norm.h's TEXT_NORM_HEADER leaves them.
 * Columns known (first match wins per column):
 *   number   工单编号 工单号 工单编码 工单号码 受理编号 编号 单号 ticket_no
 *   received 受理时间 来电时间 接诉时间 受理日期 登记时间 创建时间 派单时间 received_at
 *   category 问题分类 分类 问题类型 诉求分类 事项分类 业务分类 类别 工单分类 category
 *            and, when there is none, 一级分类 二级分类 三级分类 四级分类 (joined with '/')
 *   title    标题 工单标题 诉求标题 主题 title
 *   content  诉求内容 内容 工单内容 问题描述 来电内容 反映内容 诉求描述 content
 *   address  事发地址 地址 事发地点 发生地址 问题地址 诉求地址 address
 *   caller   来电人 来电人姓名 姓名 联系人 市民姓名 诉求人 caller
 *   phone    联系电话 来电号码 电话 手机号 联系方式 来电电话 诉求人电话 phone
 *   status   状态 办理状态 工单状态 status
 * Data rows: every row below the header; a row whose ticket number cell is empty is counted
 * (no_number) and not a ticket. Cells are trimmed of white space at both ends.
 */
#ifndef JY_DOMAIN_EXCHANGE_HOTLINE_SHEET_H
#define JY_DOMAIN_EXCHANGE_HOTLINE_SHEET_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/table.h"

#define HOTLINE_HEADER_ROWS 5

enum hotline_col {
    HC_NUMBER, HC_RECEIVED, HC_CATEGORY, HC_CAT1, HC_CAT2, HC_CAT3, HC_CAT4, HC_TITLE,
    HC_CONTENT, HC_ADDRESS, HC_CALLER, HC_PHONE, HC_STATUS, HC__COUNT
};

/* One ticket; strings are NUL-terminated, "" when absent, owned by the sheet and valid
 * until the next hotline_sheet_feed. category is the path as written (levels joined by
 * '/' when the sheet splits them); category_norm its hotline_category_norm form. */
struct hotline_ticket {
    uint64_t num;               /* the row number the user sees */
    const char *number, *received, *category, *category_norm, *title, *content, *address,
        *caller, *phone, *status;
};

enum hotline_feed {
    HOTLINE_FEED_SKIP,          /* a row above the header */
    HOTLINE_FEED_HEADER,        /* the header row */
    HOTLINE_FEED_TICKET,        /* *out holds a ticket */
    HOTLINE_FEED_NO_NUMBER,     /* a data row without a ticket number */
};

struct hotline_sheet {
    int col[HC__COUNT];         /* 0-based, -1 when absent */
    uint64_t header_row;        /* 0 until found */
    size_t rows_seen;
    struct buf f[HC__COUNT + 1];
};

void hotline_sheet_init(struct hotline_sheet *s);
void hotline_sheet_release(struct hotline_sheet *s);

/* hotline_sheet_feed takes the next row of the sheet, in order, and says what it was in
 * *what. Returns 0, or ERR_INVALID with one line in why when no header was found in the
 * first HOTLINE_HEADER_ROWS rows (the sheet is not a ticket list). */
int hotline_sheet_feed(struct hotline_sheet *s, const struct table_row *row, enum hotline_feed *what,
                       struct hotline_ticket *out, struct buf *why);

/* hotline_mask_phone writes a masked phone: the first 3 and last 4 digits of an 11-digit
 * number kept ("138****5678"), of a shorter one (7+ digits) the last 4, else all '*'; "" for
 * no digits. Non-digits are dropped. out: cap bytes (>= 1). */
void hotline_mask_phone(const char *phone, char *out, size_t cap);

#endif
