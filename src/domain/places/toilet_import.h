/* domain/places/toilet_import.h - loading a public-toilet survey into the place ledger
 * (R3.7): toilets become places of kind "toilet" (source "survey"), the camera IDs listed
 * under them become survey listings (table toilet_cameras) for the reconciliation of
 * domain/cameras/reconcile.h.
 *
 * Idempotent: a toilet's external_id is "s" + the first 30 hex digits of SM3 over its
 * stable survey key (toilet_survey.h: the sheet's code, else subdistrict + name), so the same
 * toilet in a re-import, or in another survey, is the same place and is stored once; a
 * listing is stored once per (toilet, camera ID). Re-importing a sheet changes nothing (and
 * says so: toilets_new = cameras_new = 0). A toilet already stored keeps its data: a survey
 * does not move it (NEEDSWORK: an update path for corrected surveys, with history).
 *
 * Scope: an actor bound to a subdistrict imports only its subdistrict's toilets; rows of
 * other subdistricts are rejected ("outside your subdistrict"). Storage: toilets through the
 * place ingest kind (domain/places/place.h: history, outbox event, audit), listings in one
 * transaction with one audit entry "toilets.import" (counts only). A storage failure fails
 * the import (nothing of the listings is stored; toilets already committed stay, which a
 * re-import absorbs).
 *
 * A 社区 cell is stored as its community code when it names a community of the toilet's
 * subdistrict (by code, or by name with or without 社区居委会/居委会/社区); else left out
 * (the row notes it).
 */
#ifndef JY_DOMAIN_PLACES_TOILET_IMPORT_H
#define JY_DOMAIN_PLACES_TOILET_IMPORT_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"
#include "domain/places/toilet_survey.h"
#include "geo/geo.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define TOILET_SOURCE "survey"

struct toilet_import_result {
    int64_t id;                         /* the stored import (toilet_imports) */
    struct toilet_survey_counts counts; /* rows by status, toilets and cameras read */
    uint64_t toilets_new, cameras_new;  /* stored by this import */
    uint64_t header_row;
    enum geo_crs crs;                   /* the system the sheet was read in */
    bool crs_from_sheet;                /* the sheet named it */
    int64_t read_us, toilets_us, store_us; /* stage times: reading + cleaning the sheet,
                                              storing toilets, storing listings + report */
};

/* Called once per input row, in order, with its final status (scope applied). Return 0 to
 * go on; any ERR_* stops the import with that code (e.g. the report writer failed). */
typedef int (*toilet_import_row_fn)(void *ctx, const struct toilet_survey_row *row);

/* toilet_import reads every row of t (positioned before its first row) as a survey in crs
 * (unless the sheet names its system), reports each row through fn (may be NULL), and
 * stores the ledger. Errors: ERR_INVALID with why filled when the sheet is unreadable or
 * has no survey header; storage errors (ERR_DB, ERR_UNAVAILABLE); fn's error. */
int toilet_import(struct app *app, struct db *db, const struct actor *a, struct table *t,
                  enum geo_crs crs, toilet_import_row_fn fn, void *ctx,
                  struct toilet_import_result *res, struct buf *why);

/* One row of the report as stored and exported (strings "" when none). */
struct toilet_report_row {
    uint64_t num;
    const char *status, *reason, *name, *subdistrict; /* subdistrict: its official name */
    bool has_pos;
    int64_t lon_e6, lat_e6;                           /* WGS-84 */
    const char *gb_id, *camera;                       /* camera: "", ok, fixed, rejected */
};

/* toilet_report_of makes the report row of a survey row (strings borrowed from it). */
void toilet_report_of(const struct toilet_survey_row *row, struct toilet_report_row *out);

/* A stored import, as GET /api/v1/toilet-imports/{id} shows it. */
struct toilet_import_info {
    int64_t id, created_at, header_row;
    const char *created_by, *subdistrict, *crs;
    bool crs_from_sheet;
    int64_t rows, by_status[TOILET_ROW__COUNT], toilets, toilets_new, cameras, cameras_new;
};
/* toilet_import_get reads an import; visible to its subdistrict and district-wide actors
 * (else ERR_NOT_FOUND). */
int toilet_import_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                      struct toilet_import_info *out);
/* toilet_import_rows pages through its report rows by row number: num > after, status
 * (NULL = any), at most limit (1..TOILET_IMPORT_LIST_MAX); *total counts the matches. */
#define TOILET_IMPORT_LIST_MAX 1000
int toilet_import_rows(struct db *db, const struct actor *a, int64_t id, const char *status,
                       int64_t after, size_t limit, struct arena *arena,
                       struct toilet_report_row **items, size_t *n, int64_t *total);

/* The .xlsx report (CLI -o, GET …/report.xlsx): columns 行号, 状态, 原因, 公厕名称, 街道,
 * 经度, 纬度 (WGS-84), 摄像头编码, 摄像头处理. toilet_report_xlsx_open creates it at dest
 * (io/xlsxw.h) and writes the header; rows follow in order; finish with
 * xlsxw_close or xlsxw_free. */
struct xlsxw;
int toilet_report_xlsx_open(const struct xlsxw_dest *dest, struct xlsxw **w);
int toilet_report_xlsx_row(struct xlsxw *w, const struct toilet_report_row *r);

/* toilet_external_id writes the external_id of a survey key (31 bytes + NUL). */
void toilet_external_id(const char *key, char out[32]);

#endif
