/* geo/geo.c - coordinate systems, distances, polygons and index cells (R3.1-R3.7).
 *
 * The GCJ-02 offset is the published reverse-engineered formula (the same one every open
 * converter uses); its inverse and the BD-09 inverse are solved by fixed-point iteration so
 * that a round trip comes back within 1e-9 degrees. Text parsing is in geo_text.c. Not here:
 * storage of points or the nearby query (domain/cameras/camera_near.c).
 */
#include "geo/geo.h"

#include <math.h>

#include "core/err.h"

#define GEO_PI 3.14159265358979323846
#define GEO_EARTH_R 6371008.8          /* mean radius, metres */
#define GEO_KRASOVSKY_A 6378245.0       /* GCJ-02 uses the Krasovsky ellipsoid */
#define GEO_KRASOVSKY_EE 0.00669342162296594323
#define GEO_BD_X_PI (GEO_PI * 3000.0 / 180.0)

const char *
geo_crs_name(enum geo_crs crs)
{
    switch (crs) {
    case GEO_GCJ02: return "gcj02";
    case GEO_BD09: return "bd09";
    case GEO_WGS84: break;
    }
    return "wgs84";
}

static bool
geo_outside_china(struct geo_point p)
{
    return p.lon < 72.004 || p.lon > 137.8347 || p.lat < 0.8293 || p.lat > 55.8271;
}

static double
geo_tf_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * GEO_PI) + 20.0 * sin(2.0 * x * GEO_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(y * GEO_PI) + 40.0 * sin(y / 3.0 * GEO_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * GEO_PI) + 320.0 * sin(y * GEO_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double
geo_tf_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));
    r += (20.0 * sin(6.0 * x * GEO_PI) + 20.0 * sin(2.0 * x * GEO_PI)) * 2.0 / 3.0;
    r += (20.0 * sin(x * GEO_PI) + 40.0 * sin(x / 3.0 * GEO_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * GEO_PI) + 300.0 * sin(x / 30.0 * GEO_PI)) * 2.0 / 3.0;
    return r;
}

static struct geo_point
geo_wgs_to_gcj(struct geo_point p)
{
    if (geo_outside_china(p))
        return p;
    double dlat = geo_tf_lat(p.lon - 105.0, p.lat - 35.0);
    double dlon = geo_tf_lon(p.lon - 105.0, p.lat - 35.0);
    double rad = p.lat / 180.0 * GEO_PI;
    double magic = sin(rad);
    magic = 1.0 - GEO_KRASOVSKY_EE * magic * magic;
    double sq = sqrt(magic);
    dlat = (dlat * 180.0) /
           ((GEO_KRASOVSKY_A * (1.0 - GEO_KRASOVSKY_EE)) / (magic * sq) * GEO_PI);
    dlon = (dlon * 180.0) / (GEO_KRASOVSKY_A / sq * cos(rad) * GEO_PI);
    return (struct geo_point){ p.lon + dlon, p.lat + dlat };
}

static struct geo_point
geo_gcj_to_bd(struct geo_point p)
{
    double z = sqrt(p.lon * p.lon + p.lat * p.lat) + 0.00002 * sin(p.lat * GEO_BD_X_PI);
    double t = atan2(p.lat, p.lon) + 0.000003 * cos(p.lon * GEO_BD_X_PI);
    return (struct geo_point){ z * cos(t) + 0.0065, z * sin(t) + 0.006 };
}

/* geo_invert solves f(w) = g for w by w += g - f(w): both offsets are small and smooth, so
 * this converges to 1e-12 degrees in a handful of steps. */
static struct geo_point
geo_invert(struct geo_point (*f)(struct geo_point), struct geo_point g)
{
    struct geo_point w = g;
    for (int i = 0; i < 30; i++) {
        struct geo_point y = f(w);
        double dx = g.lon - y.lon, dy = g.lat - y.lat;
        w.lon += dx;
        w.lat += dy;
        if (fabs(dx) < 1e-12 && fabs(dy) < 1e-12)
            break;
    }
    return w;
}

static struct geo_point
geo_wgs_to_bd(struct geo_point p)
{
    return geo_gcj_to_bd(geo_wgs_to_gcj(p));
}

struct geo_point
geo_to_wgs84(enum geo_crs from, struct geo_point p)
{
    if (!isfinite(p.lon) || !isfinite(p.lat))
        return p;
    switch (from) {
    case GEO_GCJ02: return geo_invert(geo_wgs_to_gcj, p);
    case GEO_BD09: return geo_invert(geo_wgs_to_bd, p);
    case GEO_WGS84: break;
    }
    return p;
}

struct geo_point
geo_from_wgs84(enum geo_crs to, struct geo_point p)
{
    if (!isfinite(p.lon) || !isfinite(p.lat))
        return p;
    switch (to) {
    case GEO_GCJ02: return geo_wgs_to_gcj(p);
    case GEO_BD09: return geo_wgs_to_bd(p);
    case GEO_WGS84: break;
    }
    return p;
}

double
geo_distance_m(struct geo_point a, struct geo_point b)
{
    double r = GEO_PI / 180.0;
    double dlat = (b.lat - a.lat) * r, dlon = (b.lon - a.lon) * r;
    double s1 = sin(dlat / 2.0), s2 = sin(dlon / 2.0);
    double h = s1 * s1 + cos(a.lat * r) * cos(b.lat * r) * s2 * s2;
    if (h > 1.0)
        h = 1.0;
    return 2.0 * GEO_EARTH_R * asin(sqrt(h));
}

bool
geo_in_beijing(struct geo_point p)
{
    return p.lon >= 115.4 && p.lon <= 117.6 && p.lat >= 39.4 && p.lat <= 41.1;
}

bool
geo_point_in_ring(const struct geo_point *ring, size_t n, struct geo_point p)
{
    bool in = false;
    if (n < 3)
        return false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        struct geo_point a = ring[i], b = ring[j];
        if ((a.lat > p.lat) != (b.lat > p.lat) &&
            p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon)
            in = !in;
    }
    return in;
}

/* geo_ring_mid_lat is the middle of the ring's latitude span, the projection's reference
 * (a repeated closing vertex does not move it). */
static double
geo_ring_mid_lat(const struct geo_point *ring, size_t n)
{
    struct geo_point mn, mx;
    geo_ring_bbox(ring, n, &mn, &mx);
    return (mn.lat + mx.lat) / 2.0;
}

double
geo_ring_area_m2(const struct geo_point *ring, size_t n)
{
    if (n < 3)
        return 0;
    double k = GEO_PI / 180.0 * GEO_EARTH_R;
    double kx = k * cos(geo_ring_mid_lat(ring, n) * GEO_PI / 180.0);
    double s = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++)
        s += (ring[j].lon - ring[0].lon) * kx * (ring[i].lat - ring[0].lat) * k -
             (ring[i].lon - ring[0].lon) * kx * (ring[j].lat - ring[0].lat) * k;
    return fabs(s) / 2.0;
}

struct geo_point
geo_ring_centroid(const struct geo_point *ring, size_t n)
{
    struct geo_point c = { 0, 0 };
    if (n == 0)
        return c;
    double a = 0, cx = 0, cy = 0, ox = ring[0].lon, oy = ring[0].lat;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xj = ring[j].lon - ox, yj = ring[j].lat - oy;
        double xi = ring[i].lon - ox, yi = ring[i].lat - oy;
        double cr = xj * yi - xi * yj;
        a += cr;
        cx += (xj + xi) * cr;
        cy += (yj + yi) * cr;
    }
    if (fabs(a) < 1e-18) {
        for (size_t i = 0; i < n; i++) {
            c.lon += ring[i].lon;
            c.lat += ring[i].lat;
        }
        c.lon /= (double)n;
        c.lat /= (double)n;
        return c;
    }
    c.lon = ox + cx / (3.0 * a);
    c.lat = oy + cy / (3.0 * a);
    return c;
}

void
geo_ring_bbox(const struct geo_point *ring, size_t n, struct geo_point *min,
              struct geo_point *max)
{
    *min = *max = (struct geo_point){ 0, 0 };
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || ring[i].lon < min->lon) min->lon = ring[i].lon;
        if (i == 0 || ring[i].lat < min->lat) min->lat = ring[i].lat;
        if (i == 0 || ring[i].lon > max->lon) max->lon = ring[i].lon;
        if (i == 0 || ring[i].lat > max->lat) max->lat = ring[i].lat;
    }
}

int64_t
geo_e6(double deg)
{
    if (!(deg == deg))
        return 0;
    if (deg > 1000)
        deg = 1000;
    if (deg < -1000)
        deg = -1000;
    return llround(deg * 1e6);
}

static int64_t
geo_cell_x(int64_t lon_e6)
{
    int64_t v = lon_e6 + 180000000;
    v = v < 0 ? 0 : v > 360000000 ? 360000000 : v;
    return v / GEO_CELL_E6;
}

static int64_t
geo_cell_y(int64_t lat_e6)
{
    int64_t v = lat_e6 + 90000000;
    v = v < 0 ? 0 : v > 180000000 ? 180000000 : v;
    return v / GEO_CELL_E6;
}

int64_t
geo_cell_key_e6(int64_t lon_e6, int64_t lat_e6)
{
    return geo_cell_x(lon_e6) * GEO_CELL_STRIDE + geo_cell_y(lat_e6);
}

int64_t
geo_cell_key(struct geo_point p)
{
    return geo_cell_key_e6(geo_e6(p.lon), geo_e6(p.lat));
}

void
geo_bbox_around(struct geo_point p, double radius_m, struct geo_point *min,
                struct geo_point *max)
{
    double r = radius_m > 0 ? radius_m : 0;
    double dlat = r / GEO_EARTH_R * 180.0 / GEO_PI;
    double lat0 = p.lat - dlat < -90 ? -90 : p.lat - dlat;
    double lat1 = p.lat + dlat > 90 ? 90 : p.lat + dlat;
    /* The widest longitude span is at the latitude nearest a pole. */
    double far = fabs(lat0) > fabs(lat1) ? fabs(lat0) : fabs(lat1);
    double c = cos(far * GEO_PI / 180.0);
    double dlon = c < 1e-9 ? 180.0 : dlat / c * 1.0000001;
    if (dlon > 180.0)
        dlon = 180.0;
    *min = (struct geo_point){ p.lon - dlon, lat0 };
    *max = (struct geo_point){ p.lon + dlon, lat1 };
}

struct geo_cell_span
geo_cell_span_of(struct geo_point min, struct geo_point max)
{
    return (struct geo_cell_span){ geo_cell_x(geo_e6(min.lon)), geo_cell_x(geo_e6(max.lon)),
                                   geo_cell_y(geo_e6(min.lat)), geo_cell_y(geo_e6(max.lat)) };
}
