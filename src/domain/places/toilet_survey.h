/* domain/places/toilet_survey.h - reading a public-toilet survey sheet (公厕摸排表, R3.7).
 *
 * A survey has one row per toilet × camera, written by hand: title rows above the header,
 * the toilet's cells merged over its camera rows (only the first row holds them), repeated
 * rows, subdistricts written short (广内) or with stray spaces, coordinates in GCJ-02/BD-09,
 * in degrees-minutes-seconds or swapped, camera IDs with full-width digits, blanks, hyphens,
 * a leading apostrophe or ="…", or ruined by Excel (scientific notation, a digit lost).
 *
 * This is the pure cleaning step: rows go in one at a time (io/table.h rows, in order), one
 * struct toilet_survey_row comes out per row, with a status and a reason. Nothing here
 * touches the database; domain/places/toilet_import.h stores what it yields.
 *
 * Header: the first of the first TOILET_SURVEY_HEADER_ROWS rows with a toilet-name cell and
 * a coordinate or camera cell. Names known (after text_norm TEXT_NORM_HEADER):
 *   name        公厕名称 厕所名称 公共厕所名称 公厕 厕所 名称 点位名称 公厕点位
 *   code        公厕编号 公厕编码 厕所编号 编号 点位编号
 *   subdistrict 所属街道 街道 街道名称 街乡 所属街乡 街道办事处
 *   community   社区 所属社区 社区名称 居委会
 *   address     地址 详细地址 公厕地址 具体位置 位置
 *   lon / lat   经度 / 纬度 (also lon lng longitude / lat latitude)
 *   coordinates 坐标 经纬度 位置坐标 gps坐标 坐标经纬度 (one cell "116.39,39.91")
 *   camera      摄像头编码 国标编码 设备编码 摄像机编码 摄像头国标编码 设备国标编码 国标id
 *               设备id 摄像头id 通道编码 摄像头编号 监控编码 视频编码
 *   camera name 摄像头名称 设备名称 摄像机名称 监控点位名称
 * Rows above the header are title rows ("skipped"). A coordinate system named in a title
 * row or a coordinate header ("经度(GCJ-02)", "高德坐标") is believed over the caller's.
 *
 * Fill down: a row whose name cell is empty, or repeats the row above with no coordinates
 * of its own, takes the toilet of the row above (merged cells: the value of a merged range
 * is stored only in its first row, and io/table.h does not read <mergeCells>).
 *
 * Statuses (stable codes): accepted, fixed (something was repaired: the reason says what),
 * rejected (the toilet or the camera could not be used; a bad camera ID rejects the camera
 * and keeps the toilet), duplicate (the same toilet × camera as an earlier row), skipped
 * (title and header rows). Reasons are English, one line, and quote no cell text.
 */
#ifndef JY_DOMAIN_PLACES_TOILET_SURVEY_H
#define JY_DOMAIN_PLACES_TOILET_SURVEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/strmap.h"
#include "domain/cameras/camera_id.h"
#include "domain/places/subdistrict_names.h"
#include "geo/geo.h"
#include "io/table.h"

#define TOILET_SURVEY_HEADER_ROWS 10
#define TOILET_SURVEY_MAX_TEXT 512   /* bytes kept of a name, address, community */

enum toilet_survey_col {
    TSC_NAME, TSC_CODE, TSC_SUBDISTRICT, TSC_COMMUNITY, TSC_ADDRESS, TSC_LON, TSC_LAT,
    TSC_COORD, TSC_CAMERA, TSC_CAMERA_NAME, TSC__COUNT
};

enum toilet_row_status {
    TOILET_ROW_ACCEPTED, TOILET_ROW_FIXED, TOILET_ROW_REJECTED, TOILET_ROW_DUPLICATE,
    TOILET_ROW_SKIPPED, TOILET_ROW__COUNT
};

enum toilet_camera_state { TOILET_CAMERA_NONE, TOILET_CAMERA_OK, TOILET_CAMERA_FIXED,
                           TOILET_CAMERA_REJECTED };

/* A toilet as read; strings are "" when absent. community is the 12-digit code of the
 * community cell resolved within the subdistrict ("" when empty or unknown: noted). key is the stable external id within the
 * survey source: "code:<code>" when the sheet gives a code, else "<subdistrict>:<name>". */
struct toilet_survey_toilet {
    const char *key, *name, *code, *subdistrict, *subdistrict_name, *community, *address;
    struct geo_point pos;   /* WGS-84 */
};

/* The outcome for one input row. Pointers stay valid until the next toilet_survey_feed or
 * toilet_survey_release. */
struct toilet_survey_row {
    uint64_t num;                   /* the row number the user sees */
    enum toilet_row_status status;
    const char *reason;             /* "" when there is nothing to say */
    bool has_toilet;                /* toilet is usable (the row was not rejected for it) */
    bool toilet_first;              /* the first row of this toilet in the sheet */
    struct toilet_survey_toilet toilet;
    enum toilet_camera_state camera;
    char gb_id[CAMERA_ID_LEN + 1];  /* valid for OK and FIXED */
    const char *camera_name;        /* "" when none */
};

struct toilet_survey_counts {
    uint64_t rows, by_status[TOILET_ROW__COUNT], toilets, cameras, cameras_rejected;
};

struct toilet_survey {
    const struct subdistrict_names *names;
    enum geo_crs crs;
    bool crs_from_sheet;
    bool header_found;
    uint64_t header_row;
    int col[TSC__COUNT];            /* 0-based, -1 when absent */
    /* the toilet of the previous row, for fill-down */
    bool prev_valid, prev_rejected;
    uint64_t prev_num;
    struct buf prev_raw_name;
    struct toilet_survey_toilet prev;
    struct buf f[7];                /* storage of prev's strings */
    struct buf reason;
    struct strmap toilets;          /* key → first row number (uintptr_t) */
    struct strmap pairs;            /* key|gb_id → first row number */
    struct toilet_survey_counts counts;
};

/* toilet_survey_init prepares s to read a sheet whose coordinates are in crs unless the
 * sheet says otherwise. names must outlive s. */
void toilet_survey_init(struct toilet_survey *s, const struct subdistrict_names *names,
                        enum geo_crs crs);
/* toilet_survey_feed reads the next row of the sheet into *out. Never fails: bad input is a
 * rejected row. */
void toilet_survey_feed(struct toilet_survey *s, const struct table_row *row,
                        struct toilet_survey_row *out);
/* toilet_survey_finish returns the counts; ERR_INVALID with why filled when no header row
 * was found (the sheet is not a survey). */
int toilet_survey_finish(struct toilet_survey *s, struct buf *why);
void toilet_survey_release(struct toilet_survey *s);

/* toilet_row_status_code: "accepted", "fixed", "rejected", "duplicate", "skipped". */
const char *toilet_row_status_code(enum toilet_row_status st);

#endif
