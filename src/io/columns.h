/* io/columns.h - which columns of an uploaded sheet hold the ID number, name and phone
 * (R4.3, R4.5).
 *
 * Detection looks at the first rows of a sheet (io/table.h reads up to TABLE_PROBE_ROWS of
 * them ahead). The header row is the first of the first COLUMNS_HEADER_ROWS rows that has a
 * cell naming a known column, so a merged title row above the header is passed over. Header
 * cells are compared after dropping white space of every kind (also U+3000 and NBSP), '*'
 * and '＊', a trailing ':' or '：', bracketed notes at either end ("（必填）", "(18位)",
 * "【必填】", "[x]"), '_', '-' and '.', folding full-width ASCII and ignoring ASCII case; so
 * "*身份证号码（必填）", "ＩＤ", "Id_Number" and "身 份 证" all match. The names known:
 *   ID:    身份证号 身份证号码 证件号码 公民身份号码 证件号 身份证 身份证件号码 居民身份证号码
 *          公民身份证号码 公民身份证号 居民身份证号 身份证件号 身份号码 ID id_number idno idcard
 *          id_card_no id_card_number
 *   name:  姓名 名字 人员姓名 居民姓名 受检人姓名 受检者姓名 name full_name
 *   phone: 手机号 手机号码 联系电话 电话 联系方式 电话号码 手机 移动电话 联系人电话 本人电话
 *          phone mobile tel telephone phone_number mobile_phone
 *
 * The ID column, in this order:
 *   1. by header: the header cells naming an ID column; with several, the one whose values
 *      below look most like ID numbers (then the leftmost). A header match whose values hold
 *      no ID-like and no Excel-corrupted value yields to rule 2 when rule 2 finds a column;
 *   2. by content: the column with the most ID-like values among the sample rows below the
 *      header (all sample rows when there is no header), provided they are at least half of
 *      its non-empty values. ID-like means core/idno.h says OK, FIXED, CONVERTED_15 or
 *      BAD_CHECKSUM; failing any such column, Excel-corrupted values (EXCEL_CORRUPTED)
 *      count, so a sheet whose IDs Excel ruined is still read and every row reported.
 * A header row found only by content is the row just above the first ID-like value when it
 * is one of the first COLUMNS_HEADER_ROWS rows and its cell in the ID column is non-empty
 * text without digits. Name: by header only. Phone: by header, else by content (values
 * that are 11-digit mainland mobile numbers, 1[3-9]xxxxxxxxx, for at least half of the
 * column's non-empty values).
 *
 * Cell kinds (io/table.h): a formula literal counts as the value it gives; an uncached
 * formula counts as a non-empty cell that looks like nothing; a date looks like nothing.
 */
#ifndef JY_IO_COLUMNS_H
#define JY_IO_COLUMNS_H
#include <stddef.h>
#include <stdint.h>

#include "core/idno.h"
#include "core/str.h"
#include "io/table.h"

#define COLUMNS_HEADER_ROWS 5

enum columns_kind { COLUMNS_NONE, COLUMNS_ID, COLUMNS_NAME, COLUMNS_PHONE };

/* How a column was found; stable codes for reports: "not_found", "header", "content". */
enum columns_rule { COLUMNS_NOT_FOUND, COLUMNS_BY_HEADER, COLUMNS_BY_CONTENT };

struct columns {
    int id, name, phone;        /* 0-based column index, -1 when not found */
    enum columns_rule id_rule, name_rule, phone_rule;
    uint64_t header_row;        /* table_row.num of the header row; 0 when there is none */
    size_t sample_rows;         /* data rows (below the header) looked at */
    size_t id_like;             /* of which the ID column held an ID-like value */
};

#define COLUMNS_INIT { -1, -1, -1, COLUMNS_NOT_FOUND, COLUMNS_NOT_FOUND, COLUMNS_NOT_FOUND, 0, 0, 0 }

/* columns_detect fills *out from the first n rows of a sheet, in order (the sample). It
 * cannot fail; columns it cannot find are -1 with rule COLUMNS_NOT_FOUND. */
void columns_detect(const struct table_row *rows, size_t n, struct columns *out);

/* columns_header_kind tells which known column a header cell names, COLUMNS_NONE if none. */
enum columns_kind columns_header_kind(struct str cell);

/* columns_idno judges the ID cell of row (column col; absent or col < 0: empty) with
 * core/idno.h, taking into account how the cell was obtained: an uncached formula is
 * IDNO_FORMULA (never IDNO_EMPTY, whatever its text), a formula literal that is a clean ID
 * is IDNO_FIXED (the user typed a formula, not the number). out as idno_normalize leaves it
 * (the ID, or "" for a rejection). The one place importers turn an ID cell into a status. */
enum idno_status columns_idno(const struct table_row *row, int col, char out[IDNO_LEN + 1]);

/* columns_rule_code returns the stable code of rule ("header"); static storage. */
const char *columns_rule_code(enum columns_rule rule);

#endif
