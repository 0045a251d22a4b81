/* domain/cameras/binding.h - which cameras watch which places (R3.1, R3.9, issue 8).
 *
 * A binding joins one place and one camera (many-to-many) and records who bound it, when,
 * and optionally the binding batch it belongs to. A binding batch is a set of bindings made
 * in one step (the one-step bind after a reconciliation, an import) and undone together:
 * undo removes exactly the bindings the batch made that still exist, once.
 *
 * Both ends must be live and in the actor's scope (ERR_NOT_FOUND otherwise). Every change is
 * audited and announced as a "bindings" outbox event (place_id, camera_id, gb_id, action).
 */
#ifndef JY_DOMAIN_CAMERAS_BINDING_H
#define JY_DOMAIN_CAMERAS_BINDING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

struct db;

/* binding_add binds camera_id to place_id in its own transaction; *created tells whether it
 * is new (binding twice changes nothing). batch_id 0 = none. */
int binding_add(struct app *app, struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id,
                int64_t batch_id, bool *created);
/* binding_remove unbinds; ERR_NOT_FOUND when there was no such binding (or out of scope). */
int binding_remove(struct app *app, struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id);

/* In a caller's transaction (importers, the one-step bind): binding__batch_new opens a batch
 * of kind ("manual" | "reconcile" | "import") with a reference text; binding__put adds one
 * binding (no event, no audit: the caller writes one for the whole step); *created as above.
 * Scope is not checked here: the caller has checked both ends. */
int binding__batch_new(struct db *db, const struct actor *a, const char *kind, const char *ref, int64_t now,
                       int64_t *batch_id);
int binding__put(struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id, int64_t batch_id,
                 int64_t now, bool *created);

/* binding_batch_undo removes the batch's bindings; *removed counts them. ERR_NOT_FOUND when
 * there is no such batch; ERR_CONFLICT when it was undone before. Scope: a subdistrict actor
 * may undo only a batch whose bindings all lie in its subdistrict (else ERR_FORBIDDEN). */
int binding_batch_undo(struct app *app, struct db *db, const struct actor *a, int64_t batch_id, size_t *removed);

/* One binding as lists show it. */
struct binding {
    int64_t place_id, camera_id, batch_id, bound_at;
    const char *gb_id, *place_name, *camera_name, *bound_by;
};
/* binding_list lists bindings in scope, filtered by place (0 = any) or camera (0 = any), by
 * place then camera, at most cap. */
int binding_list(struct db *db, const struct actor *a, int64_t place_id, int64_t camera_id, size_t cap,
                 struct arena *arena, struct binding **items, size_t *n);

#endif
