/* domain/exchange/health_doctor_import.c - the commission's doctors from an .xlsx or .csv (issue
 * 11, R2.13): header detection and the row → record mapping. The records then take the path
 * of the 流调 sheets (health_import.c: subdistrict names, one ingest batch through
 * health_doctor_kind), so a file and the API can never disagree. See health_import.h.
 */
#include "domain/exchange/health_import.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/places/text_norm.h"
#include "io/columns.h"

enum dcol { D_EXT, D_NAME, D_PHONE, D_INST, D_TITLE, D_SUB, D_SITE, D__COUNT };

static const struct text_norm_alias doctor_headers[] = {
    { "医生编号", D_EXT },   { "外部编号", D_EXT },   { "编号", D_EXT },       { "工号", D_EXT },
    { "人员编号", D_EXT },   { "医疗机构", D_INST },  { "所属医院", D_INST },  { "医院", D_INST },
    { "所属机构", D_INST },  { "单位", D_INST },      { "工作单位", D_INST },  { "职称", D_TITLE },
    { "所属街道", D_SUB },   { "街道", D_SUB },       { "街道编码", D_SUB },   { "街道名称", D_SUB },
    { "街乡", D_SUB },       { "采样点编码", D_SITE }, { "采样点编号", D_SITE }, { "采样点代码", D_SITE },
};

/* doctor_header_kind: the name and phone columns may go by any of io/columns.h's names. */
static int
doctor_header_kind(struct str cell)
{
    switch (columns_header_kind(cell)) {
    case COLUMNS_NAME: return D_NAME;
    case COLUMNS_PHONE: return D_PHONE;
    default: return -1;
    }
}

static void
doctor_set(json_t *o, const char *key, const struct table_row *row, const int map[D__COUNT], enum dcol h)
{
    struct str v;
    if (map[h] < 0 || (size_t)map[h] >= row->ncells)
        return;
    v = str_trim(row->cells[map[h]]);
    if (v.n)
        json_object_set_new(o, key, json_stringn(v.p, v.n));
}

int
health_doctor_import_records(struct table *t, json_t **records, uint64_t **rows, size_t *n, struct buf *why)
{
    struct table_row row;
    int map[D__COUNT];
    bool header = false;
    size_t count = 0, cap = 0, seen = 0;
    uint64_t *nums = NULL;
    json_t *arr = json_array();
    int rc;

    *records = NULL;
    *rows = NULL;
    *n = 0;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (!header) {
            if (++seen > COLUMNS_HEADER_ROWS)
                break;
            header = text_norm_header_map(&row, doctor_headers, sizeof doctor_headers / sizeof doctor_headers[0],
                                          doctor_header_kind, map, D__COUNT) >= 2 &&
                     map[D_EXT] >= 0 && map[D_NAME] >= 0;
            continue;
        }
        if (count == INGEST_BATCH_MAX) {
            buf_printf(why, "the sheet holds more than %d records", INGEST_BATCH_MAX);
            rc = ERR_TOO_LARGE;
            goto out;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            nums = xrealloc(nums, cap * sizeof *nums);
        }
        nums[count++] = row.num;
        json_t *o = json_pack("{s:s}", "source", HEALTH_IMPORT_SOURCE);
        doctor_set(o, "external_id", &row, map, D_EXT);
        doctor_set(o, "name", &row, map, D_NAME);
        doctor_set(o, "phone", &row, map, D_PHONE);
        doctor_set(o, "institution", &row, map, D_INST);
        doctor_set(o, "title", &row, map, D_TITLE);
        doctor_set(o, "subdistrict", &row, map, D_SUB);
        doctor_set(o, "site_code", &row, map, D_SITE);
        json_array_append_new(arr, o);
    }
    if (rc) {
        buf_adds(why, table_message(t));
        goto out;
    }
    if (!header) {
        buf_adds(why, "no doctors header row found (it needs 编号 and 姓名 in the first 5 rows)");
        rc = ERR_INVALID;
        goto out;
    }
    *records = arr;
    *rows = nums;
    *n = count;
    return 0;
out:
    json_decref(arr);
    xfree(nums);
    return rc;
}
