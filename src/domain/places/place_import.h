/* domain/places/place_import.h - importing place ledgers from sheets and GeoJSON with a
 * row-level report (R3.2, R3.7, issue 8).
 *
 * A sheet (.xlsx or .csv, io/table.h) has a header row found by its column names (名称 /
 * name is required; 编码, 类型, 街道, 社区, 地址, 经度, 纬度, 经纬度, 级别, 备注, 外部编号 and
 * their English names are recognised); rows above it are titles. The coordinate system is
 * opts->crs when given, else the one a title or a coordinate header names (geo_crs_find),
 * else WGS-84. Coordinates go through geo_parse_point (DMS, hemispheres, full width, swapped
 * columns repaired; outside Beijing refused). Subdistricts may be written as codes, full
 * names, names without 街道, or short forms whose characters appear in order in exactly one
 * subdistrict's name (广内 → 广安门内街道). A GeoJSON FeatureCollection takes the same
 * properties; zones come with Polygon geometries.
 *
 * Every record then goes through place_kind (ingest_run, batches of 1000): idempotent by
 * (source, external_id), where external_id is the 外部编号 column, else the code, else a
 * hash of kind, name and address, so importing the same file twice changes nothing. Each
 * input row gets one status: accepted, fixed (accepted after a repair, named in reason),
 * duplicate, or rejected with a reason (never quoting the cell text).
 */
#ifndef JY_DOMAIN_PLACES_PLACE_IMPORT_H
#define JY_DOMAIN_PLACES_PLACE_IMPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"
#include "geo/geo.h"

#define PLACE_IMPORT_MAX_ROWS 200000

struct place_import_opts {
    const char *kind;   /* kind of rows without a 类型 column (NULL: the column is required) */
    const char *source; /* upstream name, e.g. "组织部", "survey" ([A-Za-z0-9._:-]; default "import") */
    bool crs_given;
    enum geo_crs crs;
};

struct place_import_row {
    uint64_t num;       /* row number as the user sees it (sheet row; GeoJSON: feature index + 1) */
    const char *status; /* "accepted" | "fixed" | "duplicate" | "rejected" */
    const char *reason; /* "" when accepted unchanged */
    int64_t id;         /* the place (accepted, fixed) */
};

struct place_import_report {
    size_t accepted, fixed, duplicate, rejected;
    enum geo_crs crs;   /* the system the coordinates were read in */
    struct place_import_row *rows;
    size_t n;
};

/* place_import_file reads path (a sheet, or GeoJSON when it starts with '{') and imports it
 * as actor a; the report's strings live in arena. Returns 0 (even when rows were rejected),
 * ERR_INVALID with a line in why when the file is not a place ledger, or a storage error. */
int place_import_file(struct app *app, struct db *db, const struct actor *a, const char *path,
                      const struct place_import_opts *opts, struct arena *arena, struct place_import_report *rep,
                      struct buf *why);
/* place_import_geojson is the GeoJSON part on text p[0..n). */
int place_import_geojson(struct app *app, struct db *db, const struct actor *a, const char *p, size_t n,
                         const struct place_import_opts *opts, struct arena *arena, struct place_import_report *rep,
                         struct buf *why);

#endif
