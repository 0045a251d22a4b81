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
#include "domain/cameras/camera_id.h"
#include "domain/cameras/device_list.h"
#include "domain/platform/app.h"
#include "geo/geo.h"

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

#endif
