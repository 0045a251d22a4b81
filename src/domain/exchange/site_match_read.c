/* domain/exchange/site_match_read.c - reading the city vendor's site export (R2.11; see
 * site_match.h, step 1): columns by header, points to WGS-84, subdistricts resolved. */
#include "domain/exchange/site_match.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/vec.h"
#include "domain/places/subdistrict_names.h"
#include "domain/places/text_norm.h"
#include "io/columns.h"

enum col { C_CODE, C_NAME, C_DISTRICT, C_SUB, C_ADDR, C_LON, C_LAT, C_COUNT, C__N };

#define MAX_TEXT 512 /* bytes kept of a cell */

static const struct text_norm_alias headers[] = {
    { "点位编码", C_CODE }, { "编码", C_CODE }, { "市点位编码", C_CODE }, { "采样点编码", C_CODE },
    { "点位代码", C_CODE }, { "站点编码", C_CODE }, { "检测点编码", C_CODE }, { "code", C_CODE },
    { "点位名称", C_NAME }, { "名称", C_NAME }, { "采样点名称", C_NAME }, { "检测点名称", C_NAME },
    { "站点名称", C_NAME }, { "市点位名称", C_NAME }, { "核酸点名称", C_NAME }, { "name", C_NAME },
    { "所属区", C_DISTRICT }, { "区", C_DISTRICT }, { "区县", C_DISTRICT }, { "所属区县", C_DISTRICT },
    { "行政区", C_DISTRICT }, { "district", C_DISTRICT },
    { "所属街道", C_SUB }, { "街道", C_SUB }, { "街乡", C_SUB }, { "所属街乡", C_SUB },
    { "街道(乡镇)", C_SUB }, { "街道乡镇", C_SUB }, { "subdistrict", C_SUB },
    { "详细地址", C_ADDR }, { "地址", C_ADDR }, { "点位地址", C_ADDR }, { "address", C_ADDR },
    { "经度", C_LON }, { "lng", C_LON }, { "lon", C_LON }, { "longitude", C_LON }, { "x", C_LON },
    { "纬度", C_LAT }, { "lat", C_LAT }, { "latitude", C_LAT }, { "y", C_LAT },
    { "采样人数", C_COUNT }, { "采样量", C_COUNT }, { "扫码量", C_COUNT }, { "扫码人数", C_COUNT },
    { "检测人数", C_COUNT },
};

/* try_header takes row as the header when it names a code or name column. */
static bool
try_header(const struct table_row *row, int col[C__N], enum geo_crs *crs)
{
    int c[C__N];
    text_norm_header_map(row, headers, sizeof headers / sizeof *headers, NULL, c, C__N);
    if (c[C_CODE] < 0 && c[C_NAME] < 0)
        return false;
    memcpy(col, c, sizeof c);
    for (int k = C_LON; k <= C_LAT; k++) {
        enum geo_crs named;
        if (c[k] >= 0 && geo_crs_find(row->cells[c[k]].p, row->cells[c[k]].n, &named) == 0)
            *crs = named;
    }
    return true;
}

static struct str
cell(const struct table_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->ncells)
        return (struct str){ "", 0 };
    return str_trim(row->cells[col]);
}

static const char *
keep(struct arena *arena, struct str v)
{
    size_t n = v.n < MAX_TEXT ? v.n : MAX_TEXT;
    while (n < v.n && n > 0 && ((unsigned char)v.p[n] & 0xC0) == 0x80)
        n--;   /* cut at a character boundary */
    return arena_strndup(arena, v.p, n);
}

static void
read_row(const struct table_row *row, const int col[C__N], enum geo_crs crs, const struct subdistrict_names *names,
         struct arena *arena, struct site_match_city *r)
{
    memset(r, 0, sizeof *r);
    r->num = row->num;
    r->code = keep(arena, cell(row, col[C_CODE]));
    r->name = keep(arena, cell(row, col[C_NAME]));
    r->district = keep(arena, cell(row, col[C_DISTRICT]));
    r->subdistrict = keep(arena, cell(row, col[C_SUB]));
    r->address = keep(arena, cell(row, col[C_ADDR]));
    r->subdistrict_code = "";
    if (names && r->subdistrict[0]) {
        const struct subdistrict_entry *e = subdistrict_names_find(names, str_of(r->subdistrict), NULL);
        if (e)
            r->subdistrict_code = e->code;
    }
    struct str lon = cell(row, col[C_LON]), lat = cell(row, col[C_LAT]);
    if (lon.n && lat.n && geo_parse_point(lon.p, lon.n, lat.p, lat.n, crs, &r->pos, NULL, NULL) == 0)
        r->has_pos = true;
    struct str cnt = cell(row, col[C_COUNT]);
    if (cnt.n && cnt.n < 19) {
        char tmp[20], *end;
        memcpy(tmp, cnt.p, cnt.n);
        tmp[cnt.n] = '\0';
        double v = strtod(tmp, &end);
        if (end != tmp && *end == '\0' && v >= 0 && v < 1e15) {
            r->has_count = true;
            r->count = (int64_t)v;
        }
    }
}

int
site_match_read(struct table *t, enum geo_crs *crs, const struct subdistrict_names *names, struct arena *arena,
                struct site_match_city **rows, size_t *n, uint64_t *header_row, struct buf *why)
{
    struct table_row row;
    struct site_match_city *out = NULL;
    size_t cap = 0, seen = 0;
    int col[C__N] = { -1, -1, -1, -1, -1, -1, -1, -1 }, rc;
    bool have_header = false;
    *rows = NULL;
    *n = 0;
    *header_row = 0;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (!have_header) {
            if (try_header(&row, col, crs)) {
                have_header = true;
                *header_row = row.num;
            } else if (++seen >= COLUMNS_HEADER_ROWS) {
                break;
            }
            continue;
        }
        if (cell(&row, col[C_CODE]).n == 0 && cell(&row, col[C_NAME]).n == 0)
            continue;          /* a blank or note row */
        VEC_ARENA_ROOM(arena, out, *n, cap);
        read_row(&row, col, *crs, names, arena, &out[(*n)++]);
    }
    if (rc) {
        if (why)
            buf_adds(why, table_message(t));
        return rc;
    }
    if (!have_header) {
        if (why)
            buf_adds(why, "no header naming 点位编码 or 点位名称 in the first rows");
        return ERR_INVALID;
    }
    *rows = out;
    return 0;
}
