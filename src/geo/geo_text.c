/* geo/geo_text.c - coordinate text as survey sheets write it (R3.7, issue 8).
 *
 * Two steps. geo_text_norm maps the bytes of one cell to a small ASCII token alphabet
 * (digits, '.', '+', '-', ' ', 'd' degree, 'm' minute, 's' second, hemispheres N E S W),
 * folding full-width forms, typographic primes and Chinese unit words; anything else
 * fails. geo_text_degrees then reads that token string with a positional grammar:
 *   [hemi] [sign] number [d] [number [m] [number [s]]] [hemi]
 * Only the last number may carry a fraction. Not here: conversions (geo.c).
 */
#include "geo/geo.h"

#include <math.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

#define GEO_TEXT_MAX 128 /* bytes of one coordinate cell; longer is not a coordinate */

struct geo_map {
    const char *utf8;
    char tok;
};

/* Multi-byte forms and what they stand for. Order: longer words first. */
static const struct geo_map geo_map[] = {
    { "北纬", 'N' }, { "南纬", 'S' }, { "东经", 'E' }, { "西经", 'W' },
    { "北", 'N' }, { "南", 'S' }, { "东", 'E' }, { "西", 'W' },
    { "Ｎ", 'N' }, { "Ｓ", 'S' }, { "Ｅ", 'E' }, { "Ｗ", 'W' },
    { "ｎ", 'N' }, { "ｓ", 'S' }, { "ｅ", 'E' }, { "ｗ", 'W' },
    { "°", 'd' }, { "º", 'd' }, { "˚", 'd' }, { "度", 'd' },
    { "′", 'm' }, { "’", 'm' }, { "‘", 'm' }, { "´", 'm' }, { "＇", 'm' }, { "分", 'm' },
    { "″", 's' }, { "”", 's' }, { "“", 's' }, { "＂", 's' }, { "秒", 's' },
    { "．", '.' }, { "－", '-' }, { "−", '-' }, { "＋", '+' },
    { "\xe3\x80\x80", ' ' }, /* ideographic space */
    { "\xc2\xa0", ' ' },     /* no-break space */
};

/* geo_text_norm: see the file comment. *cleaned is set when a non-ASCII form was folded. */
static int
geo_text_norm(const char *s, size_t n, char *out, size_t *on, bool *cleaned)
{
    size_t o = 0;
    if (n > GEO_TEXT_MAX)
        return ERR_INVALID;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char t = 0;
        if (c >= '0' && c <= '9') {
            t = (char)c;
        } else if (c == '.' || c == '-' || c == '+') {
            t = (char)c;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            t = ' ';
        } else if (c == 'N' || c == 'n' || c == 'S' || c == 's' || c == 'E' || c == 'e' ||
                   c == 'W' || c == 'w') {
            t = (char)(c & ~0x20);
        } else if (c == '\'') {
            t = 'm';
        } else if (c == '"') {
            t = 's';
        }
        if (t) {
            i++;
        } else if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBC &&
                   (unsigned char)s[i + 2] >= 0x90 && (unsigned char)s[i + 2] <= 0x99) {
            t = (char)('0' + ((unsigned char)s[i + 2] - 0x90)); /* full-width digit */
            i += 3;
            *cleaned = true;
        } else {
            for (size_t k = 0; k < sizeof geo_map / sizeof geo_map[0]; k++) {
                size_t m = strlen(geo_map[k].utf8);
                if (m <= n - i && memcmp(s + i, geo_map[k].utf8, m) == 0) {
                    t = geo_map[k].tok;
                    i += m;
                    *cleaned = true;
                    break;
                }
            }
            if (!t)
                return ERR_INVALID;
        }
        if (t == 'm' && o > 0 && out[o - 1] == 'm') {
            out[o - 1] = 's'; /* '' is a second mark */
            continue;
        }
        out[o++] = t;
    }
    *on = o;
    return 0;
}

static size_t
geo_skip_blank(const char *t, size_t n, size_t i)
{
    while (i < n && t[i] == ' ')
        i++;
    return i;
}

static bool
geo_is_hemi(char c)
{
    return c == 'N' || c == 'S' || c == 'E' || c == 'W';
}

/* geo_number reads digits [ '.' digits ] at t[*i]; at most 3 integer digits. */
static int
geo_number(const char *t, size_t n, size_t *i, double *v, bool *frac)
{
    size_t k = *i, nd = 0;
    double x = 0, scale = 1;
    while (k < n && t[k] >= '0' && t[k] <= '9') {
        if (++nd > 3)
            return ERR_INVALID;
        x = x * 10 + (t[k++] - '0');
    }
    *frac = false;
    if (k < n && t[k] == '.') {
        size_t nf = 0;
        k++;
        while (k < n && t[k] >= '0' && t[k] <= '9') {
            if (++nf <= 17) {
                scale /= 10;
                x += (t[k] - '0') * scale;
            }
            k++;
        }
        if (nf == 0 && nd == 0)
            return ERR_INVALID;
        *frac = true;
    }
    if (nd == 0 && !*frac)
        return ERR_INVALID;
    *i = k;
    *v = x;
    return 0;
}

/* geo_text_degrees parses a normalised token string; *dms says whether several components
 * or hemisphere letters were used. */
static int
geo_text_degrees(const char *t, size_t n, double *deg, char *axis, bool *dms)
{
    static const char unit[3] = { 'd', 'm', 's' };
    char h1 = 0, h2 = 0;
    double v[3] = { 0, 0, 0 }, sign = 1;
    size_t i = geo_skip_blank(t, n, 0), nc = 0;
    bool frac = false;

    if (i < n && geo_is_hemi(t[i]))
        h1 = t[i], i = geo_skip_blank(t, n, i + 1);
    if (i < n && (t[i] == '-' || t[i] == '+'))
        sign = t[i] == '-' ? -1 : 1, i = geo_skip_blank(t, n, i + 1);
    while (i < n && nc < 3 && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) {
        if (frac) /* a fraction ends the number */
            return ERR_INVALID;
        if (geo_number(t, n, &i, &v[nc], &frac))
            return ERR_INVALID;
        i = geo_skip_blank(t, n, i);
        if (i < n && (t[i] == 'd' || t[i] == 'm' || t[i] == 's')) {
            if (t[i] != unit[nc])
                return ERR_INVALID;
            i = geo_skip_blank(t, n, i + 1);
        }
        nc++;
    }
    if (nc == 0)
        return ERR_INVALID;
    if (i < n && geo_is_hemi(t[i]))
        h2 = t[i], i = geo_skip_blank(t, n, i + 1);
    if (i != n || (h1 && h2 && h1 != h2) || ((h1 || h2) && sign < 0))
        return ERR_INVALID;
    if (v[0] > 180 || v[1] >= 60 || v[2] >= 60)
        return ERR_INVALID;
    char h = h1 ? h1 : h2;
    double d = v[0] + v[1] / 60.0 + v[2] / 3600.0;
    if (d > 180) /* 180°2′ and the like: past the antimeridian (found by fuzz_geo) */
        return ERR_INVALID;
    if (h == 'S' || h == 'W')
        sign = -1;
    *deg = sign * d;
    *axis = h == 'N' || h == 'S' ? 'N' : h ? 'E' : 0;
    *dms = nc > 1 || h != 0;
    return 0;
}

static int
geo_degrees(const char *s, size_t n, double *deg, char *axis, unsigned *fixes)
{
    char tok[GEO_TEXT_MAX];
    size_t tn = 0;
    bool cleaned = false, dms = false;
    if (!s || geo_text_norm(s, n, tok, &tn, &cleaned))
        return ERR_INVALID;
    if (geo_text_degrees(tok, tn, deg, axis, &dms))
        return ERR_INVALID;
    if (cleaned)
        *fixes |= GEO_FIX_TEXT;
    if (dms)
        *fixes |= GEO_FIX_DMS;
    return 0;
}

int
geo_parse_degrees(const char *s, size_t n, double *deg, char *axis)
{
    unsigned fixes = 0;
    double d = 0;
    char a = 0;
    if (geo_degrees(s, n, &d, &a, &fixes))
        return ERR_INVALID;
    *deg = d;
    *axis = a;
    return 0;
}

/* geo_split finds the separator of a "lon,lat" cell: ',' ';' or their full-width forms. */
static bool
geo_split(const char *s, size_t n, size_t *at, size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',' || s[i] == ';') {
            *at = i, *len = 1;
            return true;
        }
        if (i + 2 < n && memcmp(s + i, "\xef\xbc", 2) == 0 &&
            ((unsigned char)s[i + 2] == 0x8c || (unsigned char)s[i + 2] == 0x9b)) {
            *at = i, *len = 3;
            return true;
        }
    }
    return false;
}

static bool
geo_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

static int
geo_fail(struct buf *why, const char *reason)
{
    if (why)
        buf_adds(why, reason);
    return ERR_INVALID;
}

int
geo_parse_point(const char *lon_text, size_t lon_n, const char *lat_text, size_t lat_n,
                enum geo_crs crs, struct geo_point *out, unsigned *fixes, struct buf *why)
{
    unsigned fx = 0;
    char ax_lon = 0, ax_lat = 0;
    struct geo_point p = { 0, 0 };

    if (!lon_text)
        lon_n = 0;
    if (!lat_text)
        lat_n = 0;
    if ((lat_n == 0 || geo_blank(lat_text, lat_n)) && lon_n > 0) {
        size_t at = 0, sl = 0;
        if (!geo_split(lon_text, lon_n, &at, &sl))
            return geo_fail(why, geo_blank(lon_text, lon_n) ? "no coordinates"
                                                            : "latitude is missing");
        lat_text = lon_text + at + sl;
        lat_n = lon_n - at - sl;
        lon_n = at;
    }
    if (lon_n == 0 || geo_blank(lon_text, lon_n))
        return geo_fail(why, lat_n == 0 ? "no coordinates" : "longitude is missing");
    if (geo_degrees(lon_text, lon_n, &p.lon, &ax_lon, &fx))
        return geo_fail(why, "longitude is not a coordinate");
    if (geo_degrees(lat_text, lat_n, &p.lat, &ax_lat, &fx))
        return geo_fail(why, "latitude is not a coordinate");
    if (ax_lon && ax_lon == ax_lat)
        return geo_fail(why, "both coordinates are on the same axis");
    if (ax_lon == 'N' || ax_lat == 'E') {
        p = (struct geo_point){ p.lat, p.lon };
        fx |= GEO_FIX_SWAPPED;
    } else if (!ax_lon && !ax_lat && !geo_in_beijing(p) &&
               geo_in_beijing((struct geo_point){ p.lat, p.lon })) {
        p = (struct geo_point){ p.lat, p.lon };
        fx |= GEO_FIX_SWAPPED;
    }
    if (fabs(p.lat) > 90)
        return geo_fail(why, "latitude out of range");
    if (crs != GEO_WGS84) {
        p = geo_to_wgs84(crs, p);
        fx |= GEO_FIX_CRS;
    }
    if (!geo_in_beijing(p))
        return geo_fail(why, "the point is outside Beijing");
    *out = p;
    if (fixes)
        *fixes |= fx;
    return 0;
}

/* ---- coordinate system names ---- */

struct geo_crs_name {
    const char *name;
    enum geo_crs crs;
};

/* Longer and more specific names first (geo_crs_find takes the first that occurs). */
static const struct geo_crs_name geo_crs_names[] = {
    { "bd09ll", GEO_BD09 }, { "bd-09", GEO_BD09 }, { "bd09", GEO_BD09 },
    { "百度", GEO_BD09 }, { "baidu", GEO_BD09 },
    { "gcj-02", GEO_GCJ02 }, { "gcj02", GEO_GCJ02 }, { "gcj", GEO_GCJ02 },
    { "火星", GEO_GCJ02 }, { "高德", GEO_GCJ02 }, { "腾讯", GEO_GCJ02 },
    { "国测局", GEO_GCJ02 }, { "amap", GEO_GCJ02 },
    { "wgs-84", GEO_WGS84 }, { "wgs 84", GEO_WGS84 }, { "wgs84", GEO_WGS84 },
    { "epsg:4326", GEO_WGS84 }, { "cgcs2000", GEO_WGS84 }, { "gps", GEO_WGS84 },
    { "大地坐标", GEO_WGS84 }, { "天地图", GEO_WGS84 },
};

static bool
geo_ci_at(const char *p, size_t n, const char *name)
{
    size_t m = strlen(name);
    if (m > n)
        return false;
    for (size_t i = 0; i < m; i++) {
        unsigned char a = (unsigned char)p[i], b = (unsigned char)name[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (a != b)
            return false;
    }
    return true;
}

int
geo_crs_find(const char *p, size_t n, enum geo_crs *out)
{
    if (!p)
        return ERR_NOT_FOUND;
    for (size_t k = 0; k < sizeof geo_crs_names / sizeof geo_crs_names[0]; k++)
        for (size_t i = 0; i < n; i++)
            if (geo_ci_at(p + i, n - i, geo_crs_names[k].name)) {
                *out = geo_crs_names[k].crs;
                return 0;
            }
    return ERR_NOT_FOUND;
}

int
geo_crs_parse(const char *s, enum geo_crs *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 40 || geo_blank(s, n))
        return ERR_INVALID;
    return geo_crs_find(s, n, out) ? ERR_INVALID : 0;
}
