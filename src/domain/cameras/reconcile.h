/* domain/cameras/reconcile.h - surveyed toilet cameras against the video network's device
 * list (R3.8), and the one-step binding that follows (R3.9).
 *
 * Classes, one per camera ID found on either side (stable codes):
 *   matched      on both sides, and the network position lies within within_m metres of a
 *                surveyed toilet the camera is listed under;
 *   conflict     on both sides, but farther than that from every such toilet (or the network
 *                gives no usable position);
 *   only_survey  listed in the survey, absent from the network export;
 *   only_online  in the network export, listed under no surveyed toilet.
 * Each item carries the distance to the nearest listed toilet (when both positions are
 * known) and an English reason. Items come out sorted by camera ID, so a run is a pure
 * function of its inputs.
 *
 * reconcile_classify is the pure step (tests and the fuzz target use it directly);
 * reconcile_run loads the survey side from the database, classifies, and records the run
 * (tables reconciliations, reconciliation_rows) for review, export and binding.
 */
#ifndef JY_DOMAIN_CAMERAS_RECONCILE_H
#define JY_DOMAIN_CAMERAS_RECONCILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/camera_id.h"
#include "domain/cameras/device_list.h"
#include "domain/platform/app.h"
#include "geo/geo.h"
#include "io/xlsxw.h"

#define RECONCILE_WITHIN_DEFAULT 300.0
#define RECONCILE_WITHIN_MAX 100000.0
#define RECONCILE_LIST_MAX 1000          /* rows per page of a stored run */

enum reconcile_class { RECONCILE_MATCHED, RECONCILE_CONFLICT, RECONCILE_ONLY_SURVEY,
                       RECONCILE_ONLY_ONLINE, RECONCILE__COUNT };

/* One survey listing: camera gb_id listed under toilet place_id. near and distance_m are
 * outputs of reconcile_classify (distance < 0 when unknown). */
struct reconcile_listing {
    char gb_id[CAMERA_ID_LEN + 1];
    int64_t place_id;
    const char *toilet_name;
    struct geo_point pos;           /* the toilet, WGS-84 */
    double distance_m;
    bool near;
};

/* One network device (a cleaned device_row, strings owned by the caller). */
struct reconcile_device {
    char gb_id[CAMERA_ID_LEN + 1];
    const char *name;
    bool has_pos;
    struct geo_point pos;
    enum device_status status;
};

struct reconcile_item {
    char gb_id[CAMERA_ID_LEN + 1];
    enum reconcile_class cls;
    double distance_m;              /* to the nearest listed toilet; < 0 when unknown */
    const struct reconcile_device *device;     /* NULL for only_survey */
    const struct reconcile_listing *listings;  /* this ID's listings (n_listings, may be 0) */
    size_t n_listings;
    const char *reason;             /* static or arena text */
};

/* reconcile_classify sorts listings and devices by gb_id (in place), fills the listings'
 * near/distance_m, and returns the items (allocated in arena, *n of them). Devices must have
 * distinct IDs (device_list drops repeats). Never fails. */
void reconcile_classify(struct reconcile_listing *listings, size_t n_listings,
                        struct reconcile_device *devices, size_t n_devices, double within_m,
                        struct arena *arena, struct reconcile_item **items, size_t *n);

/* reconcile_class_code: "matched", "conflict", "only_survey", "only_online";
 * reconcile_class_parse: 0 or ERR_INVALID. */
const char *reconcile_class_code(enum reconcile_class c);
int reconcile_class_parse(const char *s, enum reconcile_class *out);

/* Stored runs. ------------------------------------------------------------------------- */

struct reconcile_result {
    int64_t id;                        /* the stored run */
    uint64_t devices, rejected, duplicates; /* device rows: usable, bad ID, repeated */
    uint64_t by_class[RECONCILE__COUNT];
};

/* Called once per item, in camera ID order, before the run is stored; return 0 to go on. */
typedef int (*reconcile_item_fn)(void *ctx, const struct reconcile_item *it);

/* reconcile_run reads the device export t (positions in crs unless a header names another
 * system), loads the survey listings of the toilets in the actor's scope, classifies with
 * within_m (0 < within_m <= RECONCILE_WITHIN_MAX), reports each item through fn (may be
 * NULL) and stores the run with one audit entry "reconciliations.create". ERR_INVALID (why
 * filled) for an unreadable export or one without an ID column; storage errors. */
int reconcile_run(struct app *app, struct db *db, const struct actor *a, struct table *t,
                  enum geo_crs crs, double within_m, reconcile_item_fn fn, void *ctx,
                  struct reconcile_result *res, struct buf *why);

struct reconcile_info {
    int64_t id, created_at, within_m, devices, rejected, binding_batch;
    int64_t by_class[RECONCILE__COUNT];
    const char *created_by, *subdistrict;
};

/* A stored item. place_ids: space-separated toilet ids; toilets: their names joined by
 * "、"; distance_m < 0 and has_pos false when unknown. */
struct reconcile_row {
    int64_t seq;
    const char *gb_id, *cls, *place_ids, *toilets, *net_name, *net_status, *reason;
    double distance_m;
    bool has_pos;
    int64_t lon_e6, lat_e6;
};

/* reconcile_get reads a run. A run made by a subdistrict actor is visible to that
 * subdistrict and district-wide actors; others get ERR_NOT_FOUND. */
int reconcile_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                  struct reconcile_info *out);
/* reconcile_rows pages through a run's items in camera ID order: class cls (NULL = any),
 * seq > after, at most limit (1..RECONCILE_LIST_MAX); *total counts the matches. */
int reconcile_rows(struct db *db, const struct actor *a, int64_t id, const char *cls, int64_t after,
                   size_t limit, struct arena *arena, struct reconcile_row **items, size_t *n,
                   int64_t *total);

/* reconcile_bind is the one-step binding (R3.9): every matched camera that the network says
 * is online is bound to the toilets it was matched with, in one binding batch (kind
 * "reconcile", ref the run id) that domain/cameras/binding.h can undo. A camera missing from
 * the ledger is added from the export (source "network", name and position as exported).
 * Toilets out of the actor's scope are left out. One transaction, one audit entry
 * "reconciliations.bind". ERR_NOT_FOUND as reconcile_get; ERR_CONFLICT when the run is
 * already bound by a batch that was not undone. *bound counts new bindings (an existing
 * binding is left as it is); *batch_id the batch. */
int reconcile_bind(struct app *app, struct db *db, const struct actor *a, int64_t id, size_t *bound,
                   int64_t *batch_id);

/* reconcile_export writes run id (all classes, or cls) to an .xlsx at dest (io/xlsxw.h;
 * no temporary file): one row per camera ID with the columns 国标编码, 核对结果 (the class
 * code), 距离(米), 公厕, 在线状态, 设备名称, 经度, 纬度 (network, WGS-84), 原因. Errors as
 * reconcile_rows and io/xlsxw.h; nothing is left at a path on failure. */
int reconcile_export(struct db *db, const struct actor *a, int64_t id, const char *cls,
                     const struct xlsxw_dest *dest);

#endif
