/* domain/cameras/device_list.c - the video network's device export, cleaned row by row
 * (R3.8); see the header. Pure: no database. */
#include "domain/cameras/device_list.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "domain/places/text_norm.h"

#define DEVICE_NORM_MAX 96

static const struct {
    const char *name;
    enum device_col col;
} device_headers[] = {
    { "国标编码", DLC_ID }, { "设备编码", DLC_ID }, { "设备国标编码", DLC_ID }, { "国标id", DLC_ID },
    { "设备id", DLC_ID }, { "通道编码", DLC_ID }, { "通道国标编码", DLC_ID }, { "编码", DLC_ID },
    { "gbid", DLC_ID }, { "deviceid", DLC_ID }, { "channelid", DLC_ID }, { "摄像头编码", DLC_ID },
    { "设备名称", DLC_NAME }, { "名称", DLC_NAME }, { "通道名称", DLC_NAME },
    { "点位名称", DLC_NAME }, { "摄像头名称", DLC_NAME }, { "name", DLC_NAME },
    { "经度", DLC_LON }, { "lon", DLC_LON }, { "lng", DLC_LON }, { "longitude", DLC_LON },
    { "纬度", DLC_LAT }, { "lat", DLC_LAT }, { "latitude", DLC_LAT },
    { "坐标", DLC_COORD }, { "经纬度", DLC_COORD },
    { "在线状态", DLC_STATUS }, { "状态", DLC_STATUS }, { "设备状态", DLC_STATUS },
    { "是否在线", DLC_STATUS }, { "网络状态", DLC_STATUS }, { "status", DLC_STATUS },
    { "online", DLC_STATUS },
};

static const char *const online_words[] = { "在线", "online", "on", "1", "true", "是", "正常" };
static const char *const offline_words[] = { "离线", "offline", "off", "0", "false", "否",
                                             "异常", "故障", "不在线" };

const char *
device_status_code(enum device_status st)
{
    return st == DEVICE_ONLINE ? "online" : st == DEVICE_OFFLINE ? "offline" : "unknown";
}

enum device_status
device_status_parse(struct str s)
{
    char norm[DEVICE_NORM_MAX];
    bool cut;
    text_norm(s, 0, norm, sizeof norm, &cut);
    if (cut)
        return DEVICE_UNKNOWN;
    for (size_t i = 0; i < sizeof online_words / sizeof *online_words; i++)
        if (strcmp(norm, online_words[i]) == 0)
            return DEVICE_ONLINE;
    for (size_t i = 0; i < sizeof offline_words / sizeof *offline_words; i++)
        if (strcmp(norm, offline_words[i]) == 0)
            return DEVICE_OFFLINE;
    return DEVICE_UNKNOWN;
}

void
device_list_init(struct device_list *d, enum geo_crs crs)
{
    memset(d, 0, sizeof *d);
    d->crs = crs;
    for (int i = 0; i < DLC__COUNT; i++)
        d->col[i] = -1;
    buf_init(&d->name, BUF_CAP_DEFAULT);
    buf_init(&d->reason, BUF_CAP_DEFAULT);
    d->seen = (struct strmap)STRMAP_INIT;
}

void
device_list_release(struct device_list *d)
{
    buf_release(&d->name);
    buf_release(&d->reason);
    strmap_release(&d->seen);
}

static bool
device_try_header(struct device_list *d, const struct table_row *row)
{
    int col[DLC__COUNT];
    for (int i = 0; i < DLC__COUNT; i++)
        col[i] = -1;
    for (size_t i = 0; i < row->ncells && i < TABLE_MAX_COLS; i++) {
        char norm[DEVICE_NORM_MAX];
        bool cut;
        if (!text_norm(row->cells[i], TEXT_NORM_HEADER, norm, sizeof norm, &cut) || cut)
            continue;
        for (size_t k = 0; k < sizeof device_headers / sizeof *device_headers; k++)
            if (strcmp(norm, device_headers[k].name) == 0 && col[device_headers[k].col] < 0)
                col[device_headers[k].col] = (int)i;
    }
    if (col[DLC_ID] < 0)
        return false;
    memcpy(d->col, col, sizeof col);
    const enum device_col geo_cols[] = { DLC_LON, DLC_LAT, DLC_COORD };
    for (size_t k = 0; k < 3; k++) {
        enum geo_crs crs;
        int i = col[geo_cols[k]];
        if (i >= 0 && geo_crs_find(row->cells[i].p, row->cells[i].n, &crs) == 0)
            d->crs = crs;
    }
    return true;
}

static struct str
device_cell(const struct device_list *d, const struct table_row *row, enum device_col c)
{
    int i = d->col[c];
    if (i < 0 || (size_t)i >= row->ncells)
        return (struct str){ "", 0 };
    return str_trim(row->cells[i]);
}

static void
device_data_row(struct device_list *d, const struct table_row *row, struct device_row *out)
{
    struct str id = device_cell(d, row, DLC_ID), name = device_cell(d, row, DLC_NAME);
    struct str lon = device_cell(d, row, DLC_LON), lat = device_cell(d, row, DLC_LAT);
    struct str both = device_cell(d, row, DLC_COORD);
    struct buf why = BUF_INIT;
    unsigned fixes = 0;

    if (camera_id_clean(id.p, id.n, out->gb_id, NULL, &why)) {
        out->kind = DEVICE_ROW_REJECTED;
        buf_printf(&d->reason, "device ID rejected: %s", why.data);
        d->rejected++;
        buf_release(&why);
        return;
    }
    uintptr_t seen = (uintptr_t)strmap_get(&d->seen, out->gb_id, CAMERA_ID_LEN);
    if (seen) {
        out->kind = DEVICE_ROW_DUPLICATE;
        buf_printf(&d->reason, "repeats row %llu", (unsigned long long)seen);
        d->duplicates++;
        return;
    }
    strmap_put(&d->seen, out->gb_id, CAMERA_ID_LEN, (void *)(uintptr_t)row->num);
    d->devices++;
    out->kind = DEVICE_ROW_OK;
    buf_reset(&d->name);
    buf_add(&d->name, name.p, name.n < DEVICE_NAME_MAX ? name.n : DEVICE_NAME_MAX);
    out->name = d->name.data;
    out->status = device_status_parse(device_cell(d, row, DLC_STATUS));
    if (lon.n && lat.n)
        out->has_pos = !geo_parse_point(lon.p, lon.n, lat.p, lat.n, d->crs, &out->pos, &fixes, &why);
    else if (both.n)
        out->has_pos = !geo_parse_point(both.p, both.n, "", 0, d->crs, &out->pos, &fixes, &why);
    else
        buf_adds(&why, "no position");
    if (!out->has_pos)
        buf_printf(&d->reason, "position unusable: %s", why.data);
    buf_release(&why);
}

void
device_list_feed(struct device_list *d, const struct table_row *row, struct device_row *out)
{
    memset(out, 0, sizeof *out);
    out->num = row->num;
    out->name = "";
    buf_reset(&d->reason);
    d->rows++;
    if (d->header_found) {
        device_data_row(d, row, out);
    } else {
        out->kind = d->rows <= DEVICE_LIST_HEADER_ROWS ? DEVICE_ROW_SKIPPED : DEVICE_ROW_REJECTED;
        if (out->kind == DEVICE_ROW_SKIPPED && device_try_header(d, row)) {
            d->header_found = true;
            d->header_row = row->num;
        }
    }
    out->reason = d->reason.data;
}

int
device_list_finish(struct device_list *d, struct buf *why)
{
    if (d->header_found)
        return 0;
    if (why)
        buf_adds(why, "no header row naming the device ID column (国标编码)");
    return ERR_INVALID;
}
