/* domain/cameras/device_list.h - reading the video network's device export (视频专网设备清单,
 * R3.8): one row per device with its GB/T 28181 ID, name, position and online status.
 *
 * Pure cleaning step like domain/places/toilet_survey.h: rows of io/table.h go in one at a
 * time; each yields a struct device_row. The header is the first of the first
 * DEVICE_LIST_HEADER_ROWS rows with an ID cell; names known (after text_norm
 * TEXT_NORM_HEADER):
 *   ID       国标编码 设备编码 设备国标编码 国标id 设备id 通道编码 通道国标编码 编码 gbid deviceid
 *            channelid 摄像头编码
 *   name     设备名称 名称 通道名称 点位名称 摄像头名称 name
 *   lon/lat  经度 纬度 lon lng longitude lat latitude; or one 坐标/经纬度 cell
 *   status   在线状态 状态 设备状态 是否在线 网络状态 status online
 * Status words: 在线 online on 1 true 是 正常 → online; 离线 offline off 0 false 否 异常 故障
 * 不在线 → offline; anything else (or none) → unknown. Positions are in crs unless a header
 * names another system; a position that cannot be read leaves has_pos false (the device is
 * still reconciled, as a conflict). A bad ID (camera_id_clean refuses it) rejects the row.
 * A repeated ID keeps its first row ("duplicate").
 */
#ifndef JY_DOMAIN_CAMERAS_DEVICE_LIST_H
#define JY_DOMAIN_CAMERAS_DEVICE_LIST_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/strmap.h"
#include "domain/cameras/camera_id.h"
#include "geo/geo.h"
#include "io/table.h"

#define DEVICE_LIST_HEADER_ROWS 10
#define DEVICE_NAME_MAX 256

enum device_col { DLC_ID, DLC_NAME, DLC_LON, DLC_LAT, DLC_COORD, DLC_STATUS, DLC__COUNT };
enum device_status { DEVICE_UNKNOWN, DEVICE_ONLINE, DEVICE_OFFLINE };
enum device_row_kind { DEVICE_ROW_OK, DEVICE_ROW_SKIPPED, DEVICE_ROW_REJECTED, DEVICE_ROW_DUPLICATE };

struct device_row {
    uint64_t num;
    enum device_row_kind kind;
    const char *reason;                /* "" when none; never quotes cell text */
    char gb_id[CAMERA_ID_LEN + 1];
    const char *name;                  /* "" when none, cut at DEVICE_NAME_MAX bytes */
    bool has_pos;
    struct geo_point pos;              /* WGS-84 */
    enum device_status status;
};

struct device_list {
    enum geo_crs crs;
    bool header_found;
    uint64_t rows, header_row, devices, rejected, duplicates;
    int col[DLC__COUNT];
    struct buf name, reason;
    struct strmap seen;
};

void device_list_init(struct device_list *d, enum geo_crs crs);
/* device_list_feed reads the next row into *out; pointers valid until the next call. */
void device_list_feed(struct device_list *d, const struct table_row *row, struct device_row *out);
/* device_list_finish: ERR_INVALID (why filled) when no header row with an ID column was
 * found. */
int device_list_finish(struct device_list *d, struct buf *why);
void device_list_release(struct device_list *d);

/* device_status_code: "online", "offline", "unknown". */
const char *device_status_code(enum device_status st);
/* device_status_parse reads a status word as above. */
enum device_status device_status_parse(struct str s);

#endif
