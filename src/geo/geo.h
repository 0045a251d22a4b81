/* geo/geo.h - coordinates for the place and camera ledgers (R3.1-R3.7, issue 8).
 *
 * A pure layer beside core/: no database, no domain. Everything stored is WGS-84 (longitude,
 * latitude in decimal degrees). This header converts from and to the two Chinese systems phone
 * map apps and web maps hand out (GCJ-02 "火星坐标", BD-09 of Baidu), measures distances,
 * checks that a point is in Beijing, parses the coordinate text found in survey sheets, does
 * the polygon arithmetic zones need, and names the grid cells of the spatial index.
 *
 * Nothing here allocates except into a caller's struct buf; nothing logs. Every parser reads
 * at most n bytes, needs no NUL terminator and fails with ERR_INVALID on bad text.
 */
#ifndef JY_GEO_GEO_H
#define JY_GEO_GEO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

struct geo_point {
    double lon, lat;
};

enum geo_crs { GEO_WGS84, GEO_GCJ02, GEO_BD09 };

/* geo_crs_parse reads a coordinate system name, case-insensitive, surrounding blanks ignored:
 * "wgs84" / "wgs-84" / "gps" / "EPSG:4326" / "WGS84坐标" / "大地坐标" → GEO_WGS84;
 * "gcj02" / "gcj-02" / "火星坐标" / "高德" / "腾讯" / "国测局" → GEO_GCJ02;
 * "bd09" / "bd-09" / "bd09ll" / "百度" → GEO_BD09. Returns 0 or ERR_INVALID (out untouched).
 * s may be NULL (ERR_INVALID). */
int geo_crs_parse(const char *s, enum geo_crs *out);
/* geo_crs_find looks for a system named anywhere in p[0..n) (a sheet title or a column
 * header such as "经度(GCJ02)" or "百度坐标"); returns 0 and sets *out, or ERR_NOT_FOUND. */
int geo_crs_find(const char *p, size_t n, enum geo_crs *out);
/* geo_crs_name returns "wgs84", "gcj02" or "bd09" (static storage). */
const char *geo_crs_name(enum geo_crs crs);

/* geo_to_wgs84 / geo_from_wgs84 convert a point between WGS-84 and crs. Inside China the
 * round trip is exact to about 1e-7 degrees (1 cm; the GCJ-02 inverse is iterative). Outside
 * China GCJ-02 is WGS-84 (the offset is only applied inside the country's box). */
struct geo_point geo_to_wgs84(enum geo_crs from, struct geo_point p);
struct geo_point geo_from_wgs84(enum geo_crs to, struct geo_point p);

/* geo_distance_m is the great-circle (haversine) distance in metres on a sphere of radius
 * 6 371 008.8 m; error below 0.5 % against the ellipsoid, far below GPS error at city scale. */
double geo_distance_m(struct geo_point a, struct geo_point b);

/* geo_in_beijing reports whether a WGS-84 point lies in Beijing municipality's bounding box
 * (115.4-117.6 E, 39.4-41.1 N, a little padding kept). A box, not the outline: it catches
 * swapped, zeroed and foreign coordinates, not a point a few km over the border. */
bool geo_in_beijing(struct geo_point wgs84);

/* geo_parse_degrees reads one coordinate: decimal degrees ("116.3912", "-33.5", "116.39°"),
 * degrees-minutes-seconds ("116°22′05.3″", "116°22'05.3\"", "116 22 05.3", "116度22分5.3秒",
 * "116°22.09′"), with a hemisphere letter or word before or after ("N39.9", "116.39E",
 * "北纬39°54′", "东经116.39"; S and W negate). ASCII and full-width digits, signs, points and
 * blanks are accepted. *axis is set to 'E' (E/W, 东经/西经), 'N' (N/S, 北纬/南纬) or 0 when
 * the text names none. Minutes and seconds must be below 60, degrees at most 180. Returns 0
 * or ERR_INVALID (outputs untouched). */
int geo_parse_degrees(const char *s, size_t n, double *deg, char *axis /* 'E','N' or 0 */);

/* What geo_parse_point repaired (ORed into *fixes). */
#define GEO_FIX_SWAPPED 0x1u /* longitude and latitude were in each other's column */
#define GEO_FIX_DMS     0x2u /* degrees-minutes-seconds or hemisphere letters were read */
#define GEO_FIX_CRS     0x4u /* converted from GCJ-02 or BD-09 to WGS-84 */
#define GEO_FIX_TEXT    0x8u /* full-width characters or stray blanks were cleaned */

/* geo_parse_point turns two cell texts into a WGS-84 point. A single cell holding both
 * ("116.39,39.91" with an ASCII or full-width comma or semicolon) may be passed as lon_text
 * with lat_n = 0. Coordinates given in crs are converted (GEO_FIX_CRS). Swapped columns are
 * repaired when hemisphere letters say so or when only the swapped order lies in Beijing
 * (GEO_FIX_SWAPPED). Points outside Beijing are refused. Returns 0, or ERR_INVALID with a
 * one-line reason appended to why (may be NULL; the cell text is never quoted, it may be
 * personal data); *out and *fixes are set only on success (fixes may be NULL). */
int geo_parse_point(const char *lon_text, size_t lon_n, const char *lat_text, size_t lat_n,
                    enum geo_crs crs, struct geo_point *out, unsigned *fixes, struct buf *why);

/* Polygons are rings of WGS-84 points; the closing point may or may not repeat the first.
 * geo_point_in_ring: even-odd rule in the lon/lat plane (a point on an edge may go either
 * way); rings of fewer than 3 points contain nothing. */
bool geo_point_in_ring(const struct geo_point *ring, size_t n, struct geo_point p);
/* geo_ring_area_m2 is the ring's area in square metres (equirectangular projection about
 * the middle of its latitude span: good to 0.1 % for district-sized rings); 0 for degenerate rings. */
double geo_ring_area_m2(const struct geo_point *ring, size_t n);
/* geo_ring_centroid is the area centroid; the vertex mean for degenerate (zero-area) rings,
 * {0, 0} for n == 0. */
struct geo_point geo_ring_centroid(const struct geo_point *ring, size_t n);
/* geo_ring_bbox sets *min and *max to the ring's bounding box ({0,0} both for n == 0). */
void geo_ring_bbox(const struct geo_point *ring, size_t n, struct geo_point *min,
                   struct geo_point *max);

/* Spatial index grid. Positions are stored as integer micro-degrees (lon_e6, lat_e6); a
 * cell is GEO_CELL_E6 micro-degrees (0.002 degrees, about 170 m x 220 m in Beijing) square
 * and its key is cx * GEO_CELL_STRIDE + cy with cx = (lon_e6 + 180000000) / GEO_CELL_E6 and
 * cy = (lat_e6 + 90000000) / GEO_CELL_E6 (integer division of non-negative values, the same
 * expression the migration uses for sites), so the cells of one column are consecutive keys
 * and a box is answered by one key range per column. Stored in an indexed integer column. */
#define GEO_CELL_E6 INT64_C(2000)
#define GEO_CELL_DEG 0.002
#define GEO_CELL_STRIDE INT64_C(100000)

/* geo_e6 rounds degrees to micro-degrees (clamped to ±1000 degrees; NaN gives 0). */
int64_t geo_e6(double deg);
/* geo_cell_key_e6 returns the key of the cell holding (lon_e6, lat_e6); geo_cell_key the
 * key of p rounded to micro-degrees (so both agree). */
int64_t geo_cell_key_e6(int64_t lon_e6, int64_t lat_e6);
int64_t geo_cell_key(struct geo_point p);

/* A box of cells: columns x0..x1, rows y0..y1 (inclusive). */
struct geo_cell_span {
    int64_t x0, x1, y0, y1;
};
/* geo_bbox_around sets the box of points within radius_m of p (in degrees, exact for the
 * haversine sphere or slightly larger, never smaller; clamped at the poles). geo_cell_span_of
 * gives the cells covering a box: every point whose micro-degree position lies in the rounded
 * box has its key in the span. */
void geo_bbox_around(struct geo_point p, double radius_m, struct geo_point *min,
                     struct geo_point *max);
struct geo_cell_span geo_cell_span_of(struct geo_point min, struct geo_point max);
/* geo_cell_span_key_range gives the first and last key of column x in span. */
static inline void
geo_cell_span_key_range(const struct geo_cell_span *s, int64_t x, int64_t *lo, int64_t *hi)
{
    *lo = x * GEO_CELL_STRIDE + s->y0;
    *hi = x * GEO_CELL_STRIDE + s->y1;
}

#endif
