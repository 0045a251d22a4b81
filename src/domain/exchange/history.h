/* domain/exchange/history.h - past testing rounds from a spreadsheet (R2.10): rounds of
 * subdistrict testing and primary/secondary school testing (by school, grade, class), so
 * they show in the statistics and the big screen's trend like live rounds.
 *
 * A sheet (.xlsx/.csv, io/table.h) has a header row among its first 5 rows; headers are
 * compared after domain/places/text_norm.h (TEXT_NORM_HEADER). Known:
 *   plan_no:  计划编号 轮次编号 批次编号 轮次号      (required, [A-Za-z0-9._:-], 1..64)
 *   name:     计划名称 轮次 轮次名称 批次名称        (default: the plan number)
 *   start:    开始时间 检测日期 日期 开始日期        (required)
 *   end:      结束时间 结束日期                      (default: start + 24 h)
 *   subdistrict: 街道 街道名称 所属街道 街乡         (required; names as subdistrict_names.h)
 *   school, grade, class: 学校 学校名称 | 年级 | 班级 (school testing: all three optional
 *             but a school makes the row a school row)
 *   planned:  应检 应检人数 应检数 计划数 计划人数   actual: 实检 实检人数 实检数 实际 实际人数
 * A row's key is its subdistrict for a round of subdistrict testing, or "school|grade|class"
 * for a school row; a second row with the same plan and key in one file is rejected.
 *
 * Storing (history_import): each plan number not known yet is created through the plan
 * ingest kind (domain/testing/plan.h; source "history", external_id the plan number, kind
 * "school" when its rows are school rows, else "mass"; so it is audited and announced like
 * any plan). Each row adds planned and actual to the counters the statistics read
 * (stat_plan: planned, actual_reported, actual_corrected and sampled; a school row under
 * industry P 教育 and the subdistrict total ''), and is remembered in history_rows, so a
 * re-import adds only the difference: importing the same file twice changes nothing
 * (every row "unchanged"), a corrected count replaces the old one. One "exchange.history"
 * event and one "history.import" audit entry per import (no personal data: there is none).
 *
 * Row report: every data row gets a status - "accepted" (new), "updated", "unchanged" or
 * "rejected" with a reason (English, one line, quoting no cell).
 */
#ifndef JY_DOMAIN_EXCHANGE_HISTORY_H
#define JY_DOMAIN_EXCHANGE_HISTORY_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/places/subdistrict_names.h"
#include "domain/platform/app.h"
#include "io/table.h"

#define HISTORY_ROWS_MAX 100000
#define HISTORY_SCHOOL_INDUSTRY "P" /* GB/T 4754 section P, 教育 */

struct history_row {
    uint64_t num; /* the sheet's row number */
    char plan_no[65], name[201], subdistrict[16], key[400];
    int64_t starts_at, ends_at, planned, actual;
    bool school;
    const char *status, *reason; /* static strings */
};

struct history_sheet {
    uint64_t header_row;
    struct history_row *rows; /* every data row, in order */
    size_t n, cap, rejected;
};

/* history_sheet_read reads every row of t, resolving subdistricts with names. ERR_INVALID
 * with why when no header row is found or there are more than HISTORY_ROWS_MAX rows; the
 * table's errors. Release with history_sheet_release (also after a failure). */
int history_sheet_read(struct table *t, const struct subdistrict_names *names, struct history_sheet *out,
                       struct buf *why);
void history_sheet_release(struct history_sheet *s);

struct history_result {
    size_t plans_created, accepted, updated, unchanged, rejected;
};

/* history_import reads the file at path and stores its rows (see above), all in one
 * transaction after the plans are created. A subdistrict-bound actor is refused
 * (ERR_FORBIDDEN). *sheet keeps each row's final status for the report. */
int history_import(struct app *app, struct db *db, const struct actor *a, const char *path,
                   struct history_sheet *sheet, struct history_result *res, struct buf *why);

/* history_import_data is history_import of the file at path or, when path is NULL, of the
 * bytes p[0..n) (an upload; they must stay unchanged during the call). */
int history_import_data(struct app *app, struct db *db, const struct actor *a, const char *path, const void *p,
                        size_t n, struct history_sheet *sheet, struct history_result *res, struct buf *why);
/* history_import_from is history_import_data of the file read in place through src (an
 * upload in a sealed temporary file, http/form.h; io/table.h). Same results and errors. */
struct table_reader;
int history_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                        struct history_sheet *sheet, struct history_result *res, struct buf *why);

/* history_report_json returns the row report: [{"row","plan_no","key","status","reason"}…]. */
json_t *history_report_json(const struct history_sheet *s);

#endif
