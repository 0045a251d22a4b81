/* domain/cameras/camera_check.h - camera checks (R3.11, issue 8).
 *
 * A check records, for one camera (optionally as seen from one place), whether its position
 * was confirmed, whether the stream played, what it covers, a note, who checked and when.
 * The check list of a place kind lists every live camera bound to a live place of that kind
 * with its latest check; the stale list keeps those never checked or last checked more than
 * N days ago. Checks are append-only; each is audited.
 */
#ifndef JY_DOMAIN_CAMERAS_CAMERA_CHECK_H
#define JY_DOMAIN_CAMERAS_CAMERA_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

struct db;

#define CAMERA_CHECK_LIST_MAX 5000

struct camera_check_input {
    int64_t camera_id, place_id; /* place_id 0 = none */
    bool position_ok, playable;
    const char *covers, *note;   /* may be NULL */
};
/* camera_check_add appends a check (camera and place live and in scope, else
 * ERR_NOT_FOUND); *id gets its id. */
int camera_check_add(struct app *app, struct db *db, const struct actor *a, const struct camera_check_input *in,
                     int64_t *id);

/* One row of a check list: a camera bound to a place of the kind, with its latest check. */
struct camera_check_row {
    int64_t camera_id, place_id;
    const char *gb_id, *camera_name, *place_name, *place_kind;
    bool checked;                 /* false: never checked (fields below 0/"") */
    int64_t check_id, checked_at;
    bool position_ok, playable;
    const char *covers, *checked_by;
};
/* camera_check_list: kind NULL = any kind; stale_days > 0 keeps only rows never checked or
 * last checked before now - stale_days; by place then camera; at most cap rows. */
int camera_check_list(struct db *db, const struct actor *a, const char *kind, int64_t stale_days, int64_t now,
                      size_t cap, struct arena *arena, struct camera_check_row **items, size_t *n);

#endif
