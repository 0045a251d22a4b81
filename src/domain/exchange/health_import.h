/* domain/exchange/health_import.h - 流调 records from a spreadsheet (issue 11, R2.13): the days
 * when the commission's people bring an .xlsx or .csv instead of calling the ingest API.
 *
 * Columns are found by header (the header row is the first of the first 5 rows naming at
 * least two known columns; headers compared with places/text_norm.h TEXT_NORM_HEADER):
 *   编号: 流调编号 编号 记录编号 病例编号 人员编号      类型: 人员类型 类型 人员类别 类别
 *   关联病例: 关联病例 关联病例编号 所属病例           街道: 所属街道 街道 街道编码 街道名称
 *           所属街道名称 街乡
 *   报告时间: 报告时间 发现时间 上报时间 报告日期 流调时间
 *   姓名 / 身份证号 / 联系电话: as io/columns.h knows them     住址: 住址 现住址 居住地址 家庭住址 地址
 *   到访地点: 到访地点 活动地点 途经地点 地点 场所   到访时间: 到访时间 开始时间 到达时间
 *   离开时间: 离开时间 结束时间   经度 / 纬度 (WGS-84)
 * Each row is one record; the rows right after it with the same 编号 add further places
 * (their other cells are ignored). Types are the Chinese words (确诊病例, 无症状感染者,
 * 密接 / 密切接触者, 次密接 / 次密切接触者) or the API's codes. Times are the sheet's dates
 * ("YYYY-MM-DD[ HH:MM[:SS]]", Beijing time) or RFC 3339. The subdistrict is its 9-digit code
 * or its name as places/subdistrict_names.h resolves it (什刹海街道, 什刹海, 什刹海街道办事处);
 * a name that resolves to nothing rejects the row (field "subdistrict").
 * The records then go through the ingest kind health_epi_kind with source "file": one
 * validation, the same idempotency (re-importing a sheet stores nothing twice) and scope.
 */
#ifndef JY_DOMAIN_EXCHANGE_HEALTH_IMPORT_H
#define JY_DOMAIN_EXCHANGE_HEALTH_IMPORT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/ingest/ingest.h"
#include "domain/platform/app.h"
#include "io/table.h"

#define HEALTH_IMPORT_MAX_BYTES ((size_t)32 << 20) /* an uploaded file */
#define HEALTH_IMPORT_SOURCE "file"

/* health_import_records reads t into *records (a new JSON array of epi records, source
 * "file") and *rows (xmalloc'd, one sheet row number per record; free with xfree). Pure:
 * no database. ERR_INVALID with a line in why when no header row is found or the sheet
 * cannot be read, ERR_TOO_LARGE when there are more than INGEST_BATCH_MAX records. The
 * records may still be invalid: validation is the ingest kind's. */
int health_import_records(struct table *t, json_t **records, uint64_t **rows, size_t *n, struct buf *why);

struct health_import_row {
    uint64_t row;             /* the sheet row of the record */
    const char *external_id;  /* "" when the row had none */
    const char *status;       /* accepted | duplicate | rejected */
    char field[48];           /* rejected: the field ("" for the record as a whole) */
    char reason[160];         /* rejected: why (never personal data) */
};
struct health_import_result {
    struct health_import_row *rows; /* xmalloc'd */
    size_t n, accepted, duplicate, rejected;
    json_t *records;                /* holds the strings rows point to */
};
/* health_import_mem imports the file p[0..n) as actor a: reads it, ingests the records in
 * one batch (ingest_run) and fills res (release with health_import_result_release, also
 * after a failure). ERR_INVALID / ERR_TOO_LARGE with a line in why for an unreadable file;
 * a storage error stores nothing. */
int health_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                       struct health_import_result *res, struct buf *why);
void health_import_result_release(struct health_import_result *res);

/* Doctors from a sheet (health_doctor_import.c), the same way: header found in the first 5
 * rows, needing 编号 (医生编号 外部编号 编号 工号 人员编号) and 姓名; also 联系电话 (as
 * io/columns.h knows it), 医疗机构 (所属医院 医院 所属机构 单位 工作单位), 职称, 街道 (as
 * above, code or name) and 采样点编码 (采样点编号 采样点代码). One row per doctor, source
 * "file", through health_doctor_kind. health_doctor_import_records is pure (fuzzed). */
int health_doctor_import_records(struct table *t, json_t **records, uint64_t **rows, size_t *n, struct buf *why);
int health_doctor_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                             struct health_import_result *res, struct buf *why);
/* health_import_from and health_doctor_import_from are the _mem imports over the file read
 * in place through src (an upload in a sealed temporary file, http/form.h; io/table.h). */
struct table_reader;
int health_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                       struct health_import_result *res, struct buf *why);
int health_doctor_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                              struct health_import_result *res, struct buf *why);

#endif
