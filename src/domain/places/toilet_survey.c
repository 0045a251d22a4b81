/* domain/places/toilet_survey.c - the survey sheet cleaner (R3.7): header detection,
 * fill-down of merged toilet cells, subdistrict names, coordinates (geo/geo.h), camera IDs
 * (core/camera_id.h), repeats. Pure: no database, no allocation beyond the
 * survey's own buffers and maps. Storage is domain/places/toilet_import.c. */
#include "domain/places/toilet_survey.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "domain/places/text_norm.h"

#define SURVEY_NORM_MAX 96

static const struct text_norm_alias survey_headers[] = {
    { "公厕名称", TSC_NAME }, { "厕所名称", TSC_NAME }, { "公共厕所名称", TSC_NAME },
    { "公厕", TSC_NAME }, { "厕所", TSC_NAME }, { "名称", TSC_NAME }, { "点位名称", TSC_NAME },
    { "公厕点位", TSC_NAME }, { "公厕编号", TSC_CODE }, { "公厕编码", TSC_CODE },
    { "厕所编号", TSC_CODE }, { "编号", TSC_CODE }, { "点位编号", TSC_CODE },
    { "所属街道", TSC_SUBDISTRICT }, { "街道", TSC_SUBDISTRICT }, { "街道名称", TSC_SUBDISTRICT },
    { "街乡", TSC_SUBDISTRICT }, { "所属街乡", TSC_SUBDISTRICT }, { "街道办事处", TSC_SUBDISTRICT },
    { "社区", TSC_COMMUNITY }, { "所属社区", TSC_COMMUNITY }, { "社区名称", TSC_COMMUNITY },
    { "居委会", TSC_COMMUNITY }, { "地址", TSC_ADDRESS }, { "详细地址", TSC_ADDRESS },
    { "公厕地址", TSC_ADDRESS }, { "具体位置", TSC_ADDRESS }, { "位置", TSC_ADDRESS },
    { "经度", TSC_LON }, { "lon", TSC_LON }, { "lng", TSC_LON }, { "longitude", TSC_LON },
    { "纬度", TSC_LAT }, { "lat", TSC_LAT }, { "latitude", TSC_LAT },
    { "坐标", TSC_COORD }, { "经纬度", TSC_COORD }, { "位置坐标", TSC_COORD },
    { "gps坐标", TSC_COORD }, { "坐标经纬度", TSC_COORD }, { "经纬度坐标", TSC_COORD },
    { "摄像头编码", TSC_CAMERA }, { "国标编码", TSC_CAMERA }, { "设备编码", TSC_CAMERA },
    { "摄像机编码", TSC_CAMERA }, { "摄像头国标编码", TSC_CAMERA }, { "设备国标编码", TSC_CAMERA },
    { "国标id", TSC_CAMERA }, { "设备id", TSC_CAMERA }, { "摄像头id", TSC_CAMERA },
    { "通道编码", TSC_CAMERA }, { "摄像头编号", TSC_CAMERA }, { "监控编码", TSC_CAMERA },
    { "视频编码", TSC_CAMERA }, { "摄像头名称", TSC_CAMERA_NAME }, { "设备名称", TSC_CAMERA_NAME },
    { "摄像机名称", TSC_CAMERA_NAME }, { "监控点位名称", TSC_CAMERA_NAME },
};

static const char *const status_codes[TOILET_ROW__COUNT] = {
    "accepted", "fixed", "rejected", "duplicate", "skipped",
};

const char *
toilet_row_status_code(enum toilet_row_status st)
{
    return (unsigned)st < TOILET_ROW__COUNT ? status_codes[st] : "rejected";
}

/* survey_trim drops white space (ASCII, NBSP, U+3000) at both ends. */
static struct str
survey_trim(struct str s)
{
    for (bool more = true; more && s.n;) {
        more = false;
        if (s.p[0] == ' ' || (s.p[0] >= '\t' && s.p[0] <= '\r')) {
            s.p++, s.n--, more = true;
        } else if (s.n >= 2 && memcmp(s.p, "\xC2\xA0", 2) == 0) {
            s.p += 2, s.n -= 2, more = true;
        } else if (s.n >= 3 && memcmp(s.p, "\xE3\x80\x80", 3) == 0) {
            s.p += 3, s.n -= 3, more = true;
        }
    }
    for (bool more = true; more && s.n;) {
        char c = s.p[s.n - 1];
        more = false;
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            s.n--, more = true;
        } else if (s.n >= 2 && memcmp(s.p + s.n - 2, "\xC2\xA0", 2) == 0) {
            s.n -= 2, more = true;
        } else if (s.n >= 3 && memcmp(s.p + s.n - 3, "\xE3\x80\x80", 3) == 0) {
            s.n -= 3, more = true;
        }
    }
    return s;
}

static struct str
survey_cell(const struct toilet_survey *s, const struct table_row *row, enum toilet_survey_col c)
{
    int i = s->col[c];
    if (i < 0 || (size_t)i >= row->ncells)
        return (struct str){ "", 0 };
    return survey_trim(row->cells[i]);
}

/* survey_kind tells how cell c was obtained (io/table.h): a formula literal such as
 * ="3401…" is a value written the hard way; a formula with no cached value is not empty. */
static enum table_cell_kind
survey_kind(const struct toilet_survey *s, const struct table_row *row, enum toilet_survey_col c)
{
    int i = s->col[c];
    if (i < 0 || (size_t)i >= row->ncells || !row->kinds)
        return TABLE_CELL_VALUE;
    return (enum table_cell_kind)row->kinds[i];
}

void
toilet_survey_init(struct toilet_survey *s, const struct subdistrict_names *names,
                   enum geo_crs crs)
{
    memset(s, 0, sizeof *s);
    s->names = names;
    s->crs = crs;
    for (int i = 0; i < TSC__COUNT; i++)
        s->col[i] = -1;
    buf_init(&s->prev_raw_name, BUF_CAP_DEFAULT);
    buf_init(&s->reason, BUF_CAP_DEFAULT);
    for (size_t i = 0; i < sizeof s->f / sizeof *s->f; i++)
        buf_init(&s->f[i], BUF_CAP_DEFAULT);
    s->toilets = (struct strmap)STRMAP_INIT;
    s->pairs = (struct strmap)STRMAP_INIT;
}

void
toilet_survey_release(struct toilet_survey *s)
{
    buf_release(&s->prev_raw_name);
    buf_release(&s->reason);
    for (size_t i = 0; i < sizeof s->f / sizeof *s->f; i++)
        buf_release(&s->f[i]);
    strmap_release(&s->toilets);
    strmap_release(&s->pairs);
}

/* survey_try_header takes row as the header when it names a toilet column and a coordinate
 * or camera column; the first cell naming a column wins. */
static bool
survey_try_header(struct toilet_survey *s, const struct table_row *row)
{
    int col[TSC__COUNT];
    text_norm_header_map(row, survey_headers, sizeof survey_headers / sizeof *survey_headers, NULL, col, TSC__COUNT);
    bool coords = (col[TSC_LON] >= 0 && col[TSC_LAT] >= 0) || col[TSC_COORD] >= 0;
    if (col[TSC_NAME] < 0 || (!coords && col[TSC_CAMERA] < 0))
        return false;
    memcpy(s->col, col, sizeof col);
    /* a coordinate header naming its system is believed ("经度(GCJ-02)") */
    const enum toilet_survey_col geo_cols[] = { TSC_LON, TSC_LAT, TSC_COORD };
    for (size_t k = 0; k < 3; k++) {
        enum geo_crs crs;
        int i = col[geo_cols[k]];
        if (i >= 0 && geo_crs_find(row->cells[i].p, row->cells[i].n, &crs) == 0) {
            s->crs = crs;
            s->crs_from_sheet = true;
        }
    }
    return true;
}

static void
survey_title_row(struct toilet_survey *s, const struct table_row *row)
{
    for (size_t i = 0; i < row->ncells && i < TABLE_MAX_COLS; i++) {
        enum geo_crs crs;
        if (row->cells[i].n && geo_crs_find(row->cells[i].p, row->cells[i].n, &crs) == 0) {
            s->crs = crs;
            s->crs_from_sheet = true;
        }
    }
}

static void
survey_note(struct toilet_survey *s, const char *text)
{
    if (s->reason.len)
        buf_adds(&s->reason, "; ");
    buf_adds(&s->reason, text);
}

static const char *
survey_keep(struct buf *b, struct str v)
{
    buf_reset(b);
    buf_add(b, v.p, v.n < TOILET_SURVEY_MAX_TEXT ? v.n : TOILET_SURVEY_MAX_TEXT);
    return b->data;
}

/* survey_read_point parses the coordinate cells into t->pos; false (reason noted) when
 * they are missing or unusable. *fixed is set when something was repaired. */
static bool
survey_read_point(struct toilet_survey *s, const struct table_row *row,
                  struct toilet_survey_toilet *t, bool *fixed)
{
    struct str lon = survey_cell(s, row, TSC_LON), lat = survey_cell(s, row, TSC_LAT);
    struct str both = survey_cell(s, row, TSC_COORD);
    unsigned fixes = 0;
    struct buf why = BUF_INIT;
    int rc;
    if (lon.n && lat.n)
        rc = geo_parse_point(lon.p, lon.n, lat.p, lat.n, s->crs, &t->pos, &fixes, &why);
    else if (both.n)
        rc = geo_parse_point(both.p, both.n, "", 0, s->crs, &t->pos, &fixes, &why);
    else {
        survey_note(s, "no coordinates");
        return false;
    }
    if (rc) {
        survey_note(s, "coordinates rejected: ");
        buf_add(&s->reason, why.data, why.len);
        buf_release(&why);
        return false;
    }
    buf_release(&why);
    if (fixes & GEO_FIX_SWAPPED)
        survey_note(s, "longitude and latitude were swapped");
    if (fixes & GEO_FIX_DMS)
        survey_note(s, "degrees-minutes-seconds converted");
    if (fixes & GEO_FIX_TEXT)
        survey_note(s, "coordinate text cleaned");
    *fixed |= (fixes & (GEO_FIX_SWAPPED | GEO_FIX_DMS | GEO_FIX_TEXT)) != 0;
    return true;
}

/* survey_read_toilet reads the toilet cells of row into s->prev; false when rejected. */
static bool
survey_read_toilet(struct toilet_survey *s, const struct table_row *row, struct str name,
                   bool *fixed)
{
    struct toilet_survey_toilet *t = &s->prev;
    struct str sub = survey_cell(s, row, TSC_SUBDISTRICT), code = survey_cell(s, row, TSC_CODE);
    const struct subdistrict_entry *e;
    bool exact = false, ok = true;
    char norm[SURVEY_NORM_MAX * 4];

    memset(t, 0, sizeof *t);
    if (name.n > TOILET_SURVEY_MAX_TEXT) {
        survey_note(s, "toilet name too long");
        ok = false;
    }
    if (!sub.n) {
        survey_note(s, "no subdistrict");
        ok = false;
    } else if (!(e = subdistrict_names_find(s->names, sub, &exact))) {
        survey_note(s, "unknown subdistrict");
        ok = false;
    } else {
        t->subdistrict = e->code;
        t->subdistrict_name = e->name;
        if (!exact) {
            survey_note(s, "subdistrict name completed");
            *fixed = true;
        }
    }
    if (!survey_read_point(s, row, t, fixed))
        ok = false;
    if (!ok)
        return false;
    t->name = survey_keep(&s->f[0], name);
    t->code = survey_keep(&s->f[1], code);
    struct str comm = survey_cell(s, row, TSC_COMMUNITY);
    const struct subdistrict_entry *ce = comm.n ? subdistrict_names_community(s->names, t->subdistrict, comm) : NULL;
    if (comm.n && !ce) {
        survey_note(s, "community not found in the subdistrict: left out");
        *fixed = true;
    }
    t->community = ce ? ce->code : "";
    t->address = survey_keep(&s->f[3], survey_cell(s, row, TSC_ADDRESS));
    buf_reset(&s->f[4]);
    if (code.n) {
        text_norm(code, 0, norm, sizeof norm, NULL);
        buf_printf(&s->f[4], "code:%s", norm);
    } else {
        text_norm(name, 0, norm, sizeof norm, NULL);
        buf_printf(&s->f[4], "%s:%s", t->subdistrict, norm);
    }
    t->key = s->f[4].data;
    return true;
}

/* survey_camera reads the camera cells into out. */
static void
survey_camera(struct toilet_survey *s, const struct table_row *row, struct toilet_survey_row *out,
              bool *fixed)
{
    struct str cell = survey_cell(s, row, TSC_CAMERA);
    struct buf why = BUF_INIT;
    bool repaired = false;
    enum table_cell_kind kind = survey_kind(s, row, TSC_CAMERA);
    out->camera_name = survey_keep(&s->f[5], survey_cell(s, row, TSC_CAMERA_NAME));
    if (kind == TABLE_CELL_FORMULA_UNCACHED) {
        out->camera = TOILET_CAMERA_REJECTED;
        survey_note(s, "camera ID rejected: a formula without a saved value (open the file in Excel, save it, upload again)");
        s->counts.cameras_rejected++;
        return;
    }
    if (!cell.n)
        return;
    if (camera_id_clean(cell.p, cell.n, out->gb_id, &repaired, &why)) {
        out->camera = TOILET_CAMERA_REJECTED;
        buf_reset(&s->f[6]);
        buf_printf(&s->f[6], "camera ID rejected: %s", why.data);
        survey_note(s, s->f[6].data);
        s->counts.cameras_rejected++;
    } else if (repaired || kind == TABLE_CELL_FORMULA_LITERAL) {
        out->camera = TOILET_CAMERA_FIXED;
        survey_note(s, "camera ID cleaned");
        *fixed = true;
    } else {
        out->camera = TOILET_CAMERA_OK;
    }
    buf_release(&why);
}

/* survey_data_row handles a row below the header. */
static void
survey_data_row(struct toilet_survey *s, const struct table_row *row, struct toilet_survey_row *out)
{
    struct str name = survey_cell(s, row, TSC_NAME);
    bool fixed = false, toilet_ok;
    bool no_coords = !survey_cell(s, row, TSC_LON).n && !survey_cell(s, row, TSC_LAT).n &&
                     !survey_cell(s, row, TSC_COORD).n;
    bool fill = !name.n || (s->prev_num && no_coords && str_eq(name, (struct str){
                                s->prev_raw_name.data, s->prev_raw_name.len }));

    if (fill) {
        if (!s->prev_num) {
            survey_note(s, "no toilet name");
            toilet_ok = false;
        } else if (s->prev_rejected) {
            char note[80];
            snprintf(note, sizeof note, "the toilet cells above (row %llu) were rejected",
                     (unsigned long long)s->prev_num);
            survey_note(s, note);
            toilet_ok = false;
        } else {
            toilet_ok = true;
        }
    } else {
        toilet_ok = survey_read_toilet(s, row, name, &fixed);
        s->prev_num = row->num;
        s->prev_rejected = !toilet_ok;
        buf_reset(&s->prev_raw_name);
        buf_add(&s->prev_raw_name, name.p, name.n);
    }
    survey_camera(s, row, out, &fixed);

    if (!toilet_ok || out->camera == TOILET_CAMERA_REJECTED) {
        out->status = TOILET_ROW_REJECTED;
        if (toilet_ok)
            survey_note(s, "toilet kept");
    } else {
        out->status = fixed ? TOILET_ROW_FIXED : TOILET_ROW_ACCEPTED;
    }
    if (!toilet_ok)
        return;
    out->has_toilet = true;
    out->toilet = s->prev;
    uintptr_t first = (uintptr_t)strmap_get(&s->toilets, s->prev.key, strlen(s->prev.key));
    out->toilet_first = first == 0;
    if (!first) {
        strmap_put(&s->toilets, s->prev.key, strlen(s->prev.key), (void *)(uintptr_t)row->num);
        s->counts.toilets++;
    }
    /* a repeat: the same toilet and camera (or a camera-less toilet row) as before */
    struct buf pair = BUF_INIT;
    buf_printf(&pair, "%s|%s", s->prev.key,
               out->camera == TOILET_CAMERA_OK || out->camera == TOILET_CAMERA_FIXED ? out->gb_id : "");
    uintptr_t seen = (uintptr_t)strmap_get(&s->pairs, pair.data, pair.len);
    if (seen && out->status != TOILET_ROW_REJECTED &&
        (out->camera != TOILET_CAMERA_NONE || !fill)) {
        char note[64];
        snprintf(note, sizeof note, "repeats row %llu", (unsigned long long)seen);
        buf_reset(&s->reason);
        survey_note(s, note);
        out->status = TOILET_ROW_DUPLICATE;
    } else if (!seen) {
        strmap_put(&s->pairs, pair.data, pair.len, (void *)(uintptr_t)row->num);
        if (out->camera == TOILET_CAMERA_OK || out->camera == TOILET_CAMERA_FIXED)
            s->counts.cameras++;
    }
    buf_release(&pair);
}

void
toilet_survey_feed(struct toilet_survey *s, const struct table_row *row,
                   struct toilet_survey_row *out)
{
    memset(out, 0, sizeof *out);
    out->num = row->num;
    out->reason = "";
    out->camera_name = "";
    buf_reset(&s->reason);
    s->counts.rows++;
    if (!s->header_found) {
        out->status = TOILET_ROW_SKIPPED;
        if (s->counts.rows <= TOILET_SURVEY_HEADER_ROWS && survey_try_header(s, row)) {
            s->header_found = true;
            s->header_row = row->num;
            survey_note(s, "header row");
        } else if (s->counts.rows <= TOILET_SURVEY_HEADER_ROWS) {
            survey_title_row(s, row);
            survey_note(s, "title row");
        } else {
            out->status = TOILET_ROW_REJECTED;
            survey_note(s, "no header row in the first rows of the sheet");
        }
    } else {
        survey_data_row(s, row, out);
    }
    s->counts.by_status[out->status]++;
    out->reason = s->reason.data;
}

int
toilet_survey_finish(struct toilet_survey *s, struct buf *why)
{
    if (!s->header_found) {
        if (why)
            buf_adds(why, "no header row naming the toilet and its coordinates or cameras"
                          " (公厕名称, 经度/纬度 or 坐标, 摄像头编码)");
        return ERR_INVALID;
    }
    return 0;
}
