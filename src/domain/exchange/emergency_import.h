/* domain/exchange/emergency_import.h - the emergency bureau's figures from a spreadsheet
 * (.xlsx or .csv, io/table.h), for the days a person brings one (R2.8, R2.9).
 *
 * The header row is the first of the first 5 rows naming a name column and an actual
 * column. Headers are compared after domain/places/text_norm.h (TEXT_NORM_HEADER). Known:
 *   name:          街道 街道名称 街乡 街乡镇 街道办事处 (layout by subdistrict) |
 *                  行业 行业名称 行业类别 所属行业 (layout by industry)
 *   plan_no:       计划编号 计划号 方案编号      plan_name:  计划名称 方案名称
 *   planned:       计划 计划数 计划人数 应检 应检人数 应检数
 *   actual:        实际 实际数 实际人数 实检 实检人数 实检数
 *   difference:    差值 差额 未检          start_time: 开始时间
 *   received_time: 接诉时间 接收时间
 * and, by subdistrict, any header naming an industry of industry_names: that industry's
 * count. Counts may be written "1,234" or "1234.0"; times as io/table.h gives dates, or
 * as emergency_parse_time reads them. A row without a plan number takes default_plan.
 *
 * Row report: every data row is "accepted" or "rejected" with a reason (English, one
 * line, quoting no cell); a row whose cells are all empty is not a data row. Rows below a
 * second header (a repeated header row) are data too; a row whose name cell is 合计 / 总计
 * / 小计 is "skipped" (the bureau's total line).
 */
#ifndef JY_DOMAIN_EXCHANGE_EMERGENCY_IMPORT_H
#define JY_DOMAIN_EXCHANGE_EMERGENCY_IMPORT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/exchange/emergency.h"
#include "io/table.h"

#define EMERGENCY_SHEET_ROWS_MAX 20000

struct emergency_sheet {
    enum emergency_layout layout;
    uint64_t header_row;
    json_t *rows;   /* the accepted rows as emergency_ingest objects, each with "_row" removed */
    json_t *report; /* [{"row","status":"accepted|rejected|skipped","name","reason"}…] */
    size_t accepted, rejected, skipped;
};

/* emergency_sheet_read reads every row of t. industry_names (n of them, may be 0) are the
 * names and codes whose headers count as industry columns. ERR_INVALID with why when no
 * header row is found or the sheet has more than EMERGENCY_SHEET_ROWS_MAX data rows; the
 * table's errors. Release with emergency_sheet_release (also after a failure). */
int emergency_sheet_read(struct table *t, const char *const *industry_names, size_t n, const char *default_plan,
                         struct emergency_sheet *out, struct buf *why);
void emergency_sheet_release(struct emergency_sheet *s);

/* emergency_import reads the file at path and stores its accepted rows with
 * emergency_ingest (one call per plan number, in the order first seen), as source.
 * *res sums the calls. Errors as emergency_sheet_read and emergency_ingest. */
int emergency_import(struct app *app, struct db *db, const struct actor *a, const char *path, const char *source,
                     const char *default_plan, struct emergency_sheet *out, struct emergency_result *res,
                     struct buf *why);

/* emergency_import_data is emergency_import over the file's bytes p[0..n) (an upload); the
 * caller keeps p. Same results and errors. */
int emergency_import_data(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                          const char *source, const char *default_plan, struct emergency_sheet *out,
                          struct emergency_result *res, struct buf *why);
/* emergency_import_from is emergency_import over the file read in place through src (an
 * upload in a sealed temporary file, http/form.h; io/table.h). Same results and errors. */
struct table_reader;
int emergency_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                          const char *source, const char *default_plan, struct emergency_sheet *out,
                          struct emergency_result *res, struct buf *why);

#endif
