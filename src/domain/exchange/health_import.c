/* domain/exchange/health_import.c - 流调 records from an .xlsx or .csv (issue 11, R2.13): header
 * detection, the row → record mapping and the one ingest batch. Validation and storage are
 * the ingest kind's (health.c), so a file and the API can never disagree. See health_import.h.
 *
* The subdistrict may be written as its code or its name (places/subdistrict_names.h).
 *
 * NEEDSWORK: the records' plaintext lives in jansson strings until the batch ends; jansson
 * cannot wipe them on free.
 */
#include "domain/exchange/health_import.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/exchange/health.h"
#include "domain/places/subdistrict_names.h"
#include "domain/places/text_norm.h"
#include "io/columns.h"

enum hcol { H_EXT, H_KIND, H_CASE, H_SUB, H_REPORTED, H_NAME, H_ID, H_PHONE, H_ADDR, H_PLACE, H_FROM, H_TO,
            H_LON, H_LAT, H__COUNT };

static const struct text_norm_alias health_headers[] = {
    { "流调编号", H_EXT },   { "编号", H_EXT },       { "记录编号", H_EXT },     { "病例编号", H_EXT },
    { "人员编号", H_EXT },   { "人员类型", H_KIND },  { "类型", H_KIND },        { "人员类别", H_KIND },
    { "类别", H_KIND },      { "关联病例", H_CASE },  { "关联病例编号", H_CASE }, { "所属病例", H_CASE },
    { "所属街道", H_SUB },   { "街道", H_SUB },       { "街道编码", H_SUB },     { "街道名称", H_SUB },
    { "所属街道名称", H_SUB }, { "街乡", H_SUB },       { "报告时间", H_REPORTED },
    { "发现时间", H_REPORTED }, { "上报时间", H_REPORTED }, { "报告日期", H_REPORTED }, { "流调时间", H_REPORTED },
    { "住址", H_ADDR },      { "现住址", H_ADDR },    { "居住地址", H_ADDR },    { "家庭住址", H_ADDR },
    { "地址", H_ADDR },      { "到访地点", H_PLACE }, { "活动地点", H_PLACE },   { "途经地点", H_PLACE },
    { "地点", H_PLACE },     { "场所", H_PLACE },     { "到访时间", H_FROM },    { "开始时间", H_FROM },
    { "到达时间", H_FROM },  { "离开时间", H_TO },    { "结束时间", H_TO },      { "经度", H_LON },
    { "纬度", H_LAT },
};

static const struct {
    const char *word, *code;
} health_kind_words[] = {
    { "确诊病例", "case" },  { "确诊", "case" },   { "病例", "case" },    { "无症状感染者", "case" },
    { "阳性", "case" },      { "密接", "close_contact" }, { "密切接触者", "close_contact" },
    { "次密接", "secondary_contact" }, { "次密切接触者", "secondary_contact" },
};

/* health_header_kind: a header no alias names may still be one of the ID, name or phone
 * columns every sheet has (io/columns.h). */
static int
health_header_kind(struct str cell)
{
    switch (columns_header_kind(cell)) {
    case COLUMNS_ID: return H_ID;
    case COLUMNS_NAME: return H_NAME;
    case COLUMNS_PHONE: return H_PHONE;
    default: return -1;
    }
}

/* health_cell returns the trimmed text of column h of row ("" when absent). */
static struct str
health_cell(const struct table_row *row, const int map[H__COUNT], enum hcol h)
{
    struct str none = { "", 0 };
    if (map[h] < 0 || (size_t)map[h] >= row->ncells)
        return none;
    return str_trim(row->cells[map[h]]);
}

static void
health_set_str(json_t *o, const char *key, struct str v)
{
    if (v.n)
        json_object_set_new(o, key, json_stringn(v.p, v.n));
}

/* health_set_time sets key from a sheet time: "YYYY-MM-DD[ HH:MM[:SS]]" (Beijing) becomes
 * RFC 3339 with +08:00; anything else is passed on as it is (the kind rejects it). */
static void
health_set_time(json_t *o, const char *key, struct str v)
{
    char t[40];
    bool date = v.n >= 10 && v.p[4] == '-' && v.p[7] == '-';
    for (size_t i = 0; date && i < 10; i++)
        if (i != 4 && i != 7 && (v.p[i] < '0' || v.p[i] > '9'))
            date = false;
    if (date && v.n == 10) {
        snprintf(t, sizeof t, "%.10sT00:00:00+08:00", v.p);
    } else if (date && (v.n == 16 || v.n == 19) && (v.p[10] == ' ' || v.p[10] == 'T')) {
        snprintf(t, sizeof t, "%.10sT%.*s%s+08:00", v.p, (int)(v.n - 11), v.p + 11, v.n == 16 ? ":00" : "");
    } else {
        health_set_str(o, key, v);
        return;
    }
    json_object_set_new(o, key, json_string(t));
}

/* health_set_coord sets key from a decimal number cell; other text is passed on. */
static void
health_set_coord(json_t *o, const char *key, struct str v)
{
    char tmp[32], *end = NULL;
    double d;
    if (v.n == 0)
        return;
    if (v.n < sizeof tmp) {
        memcpy(tmp, v.p, v.n);
        tmp[v.n] = '\0';
        d = strtod(tmp, &end);
        if (end && *end == '\0' && d == d) {
            json_object_set_new(o, key, json_real(d));
            return;
        }
    }
    health_set_str(o, key, v);
}

static void
health_set_kind(json_t *o, struct str v)
{
    for (size_t i = 0; i < sizeof health_kind_words / sizeof health_kind_words[0]; i++)
        if (v.n == strlen(health_kind_words[i].word) && !memcmp(v.p, health_kind_words[i].word, v.n)) {
            json_object_set_new(o, "kind", json_string(health_kind_words[i].code));
            return;
        }
    health_set_str(o, "kind", v);
}

/* health_place adds the row's place (when it names one) to record o. */
static void
health_place(json_t *o, const struct table_row *row, const int map[H__COUNT])
{
    struct str name = health_cell(row, map, H_PLACE);
    json_t *p, *places;
    if (!name.n)
        return;
    p = json_object();
    health_set_str(p, "name", name);
    health_set_coord(p, "lon", health_cell(row, map, H_LON));
    health_set_coord(p, "lat", health_cell(row, map, H_LAT));
    health_set_time(p, "from", health_cell(row, map, H_FROM));
    health_set_time(p, "to", health_cell(row, map, H_TO));
    places = json_object_get(o, "places");
    if (!places) {
        places = json_array();
        json_object_set_new(o, "places", places);
    }
    json_array_append_new(places, p);
}

static json_t *
health_record(const struct table_row *row, const int map[H__COUNT])
{
    json_t *o = json_pack("{s:s}", "source", HEALTH_IMPORT_SOURCE);
    health_set_str(o, "external_id", health_cell(row, map, H_EXT));
    health_set_kind(o, health_cell(row, map, H_KIND));
    health_set_str(o, "case_ref", health_cell(row, map, H_CASE));
    health_set_str(o, "subdistrict", health_cell(row, map, H_SUB));
    health_set_time(o, "reported_at", health_cell(row, map, H_REPORTED));
    health_set_str(o, "name", health_cell(row, map, H_NAME));
    health_set_str(o, "id_number", health_cell(row, map, H_ID));
    health_set_str(o, "phone", health_cell(row, map, H_PHONE));
    health_set_str(o, "address", health_cell(row, map, H_ADDR));
    health_place(o, row, map);
    return o;
}

int
health_import_records(struct table *t, json_t **records, uint64_t **rows, size_t *n, struct buf *why)
{
    struct table_row row;
    int map[H__COUNT];
    bool header = false;
    size_t count = 0, cap = 0, seen = 0;
    uint64_t *nums = NULL;
    json_t *arr = json_array(), *last = NULL;
    int rc;

    *records = NULL;
    *rows = NULL;
    *n = 0;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (!header) {
            if (++seen > COLUMNS_HEADER_ROWS)
                break;
            header = text_norm_header_map(&row, health_headers, sizeof health_headers / sizeof health_headers[0],
                                          health_header_kind, map, H__COUNT) >= 2 &&
                     map[H_EXT] >= 0;
            continue;
        }
        struct str ext = health_cell(&row, map, H_EXT);
        const char *last_ext = last ? json_string_value(json_object_get(last, "external_id")) : NULL;
        if (last && ext.n && last_ext && strlen(last_ext) == ext.n && !memcmp(last_ext, ext.p, ext.n)) {
            health_place(last, &row, map); /* a further place of the record above */
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
        last = health_record(&row, map);
        json_array_append_new(arr, last);
    }
    if (rc) {
        buf_adds(why, table_message(t));
        goto out;
    }
    if (!header) {
        buf_adds(why, "no 流调 header row found (it needs 编号 and another known column in the first 5 rows)");
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

/* health_import_names turns the subdistrict names of records (什刹海街道, 什刹海 …) into codes
 * with places/subdistrict_names; bad[i] is set for a record whose written subdistrict is not
 * a code and names no subdistrict. Codes are left to the ingest kind's check. */
static int
health_import_names(struct db *db, json_t *records, bool *bad)
{
    struct subdistrict_names names = SUBDISTRICT_NAMES_INIT;
    json_t *r;
    size_t i;
    int rc = subdistrict_names_load(&names, db);
    json_array_foreach(records, i, r) {
        const char *sub = json_string_value(json_object_get(r, "subdistrict"));
        const struct subdistrict_entry *e;
        if (rc || !sub || ingest_is_code(sub, strlen(sub)))
            continue;
        if ((e = subdistrict_names_find(&names, str_of(sub), NULL)) && strlen(e->code) == 9)
            json_object_set_new(r, "subdistrict", json_string(e->code));
        else
            bad[i] = true;
    }
    subdistrict_names_release(&names);
    return rc;
}

typedef int (*health_reader)(struct table *t, json_t **records, uint64_t **rows, size_t *n, struct buf *why);

/* health_import_sheet reads the file through src, else p[0..n), with reader and ingests the
 * records as kind. */
static int
health_import_sheet(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                    const void *p, size_t n, health_reader reader, const struct ingest_kind *kind, struct health_import_result *res,
                    struct buf *why)
{
    static const char *const status[] = { "accepted", "duplicate", "rejected" };
    struct table *t = NULL;
    struct ingest_outcome *out = NULL;
    uint64_t *nums = NULL;
    bool *bad = NULL;
    json_t *send = NULL;
    size_t count = 0, nout = 0, accepted = 0, k = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = src ? table_open_reader(src, &t, why) : table_open_mem(p, n, &t, why)) || (rc = reader(t, &res->records, &nums, &count, why)))
        goto out;
    if (count == 0)
        goto out;
    bad = xcalloc(count, sizeof *bad);
    if ((rc = health_import_names(db, res->records, bad)))
        goto out;
    send = json_array();
    for (size_t i = 0; i < count; i++)
        if (!bad[i])
            json_array_append(send, json_array_get(res->records, i));
    if (json_array_size(send) &&
        (rc = ingest_run(app, db, a, kind, send, &out, &nout, &accepted)))
        goto out;
    res->rows = xcalloc(count, sizeof *res->rows);
    for (size_t i = 0; i < count; i++) {
        struct health_import_row *r = &res->rows[i];
        const char *ext = json_string_value(json_object_get(json_array_get(res->records, i), "external_id"));
        int st = bad[i] ? INGEST_REJECTED : (int)out[k].status;
        r->row = nums[i];
        r->external_id = ext ? ext : "";
        r->status = status[st];
        if (bad[i]) {
            str_copy(r->field, sizeof r->field, "subdistrict");
            str_copy(r->reason, sizeof r->reason, "'subdistrict' names no known subdistrict");
            res->rejected++;
        } else if (st == INGEST_REJECTED) {
            str_copy(r->field, sizeof r->field, out[k].field ? out[k].field : "");
            str_copy(r->reason, sizeof r->reason, out[k].reason);
            res->rejected++;
        } else if (st == INGEST_DUPLICATE) {
            res->duplicate++;
        } else {
            res->accepted++;
        }
        k += !bad[i];
    }
    res->n = count;
out:
    json_decref(send);
    xfree(bad);
    xfree(out);
    xfree(nums);
    table_close(t);
    return rc;
}

int
health_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                  struct health_import_result *res, struct buf *why)
{
    return health_import_sheet(app, db, a, NULL, p, n, health_import_records, &health_epi_kind, res, why);
}

int
health_doctor_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                         struct health_import_result *res, struct buf *why)
{
    return health_import_sheet(app, db, a, NULL, p, n, health_doctor_import_records, &health_doctor_kind, res, why);
}

void
health_import_result_release(struct health_import_result *res)
{
    if (!res)
        return;
    xfree(res->rows);
    json_decref(res->records);
    memset(res, 0, sizeof *res);
}

int
health_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                   struct health_import_result *res, struct buf *why)
{
    return health_import_sheet(app, db, a, src, NULL, 0, health_import_records, &health_epi_kind, res, why);
}

int
health_doctor_import_from(struct app *app, struct db *db, const struct actor *a, const struct table_reader *src,
                          struct health_import_result *res, struct buf *why)
{
    return health_import_sheet(app, db, a, src, NULL, 0, health_doctor_import_records, &health_doctor_kind, res, why);
}
