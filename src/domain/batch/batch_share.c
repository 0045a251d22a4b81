/* domain/batch/batch_share.c - owner-only batch cells and sharing (issue 12 "Bulk lookups", S1;
 * contract in batch_job.h). */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "domain/batch/batch_job.h"
#include "domain/batch/batch_job_int.h"
#include "domain/platform/audit.h"

static const char sql_share[] = "UPDATE batches SET shared = ?2 WHERE id = ?1";

bool
batch_job_is_owner(const struct actor *a, const struct batch_job *j)
{
    return a->kind == ACTOR_USER && a->id == j->user_id;
}

bool
batch_job_may_export(const struct actor *a, const struct batch_job *j)
{
    return a->kind == ACTOR_SYSTEM || batch_job_is_owner(a, j) || j->shared;
}

int
batch_job_share(struct app *app, struct db *db, const struct actor *a, int64_t id, bool shared,
                struct batch_job *out)
{
    struct batch_job cur;
    struct db_stmt *st = NULL;
    char target[40];
    bool row = false;
    int rc;

    if ((rc = batch_job__load(db, a, id, &cur)))
        return rc;
    batch_job__target(id, target, sizeof target);
    if (!batch_job_is_owner(a, &cur)) {
        (void)audit_record(db, &app->keys, a, "batches.share", target, "denied", NULL);
        return ERR_FORBIDDEN;
    }
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_share, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, shared ? 1 : 0)) || (rc = db_step(st, &row)))
        goto fail;
    db_done(st);
    st = NULL;
    if ((rc = audit_append(db, &app->keys, a, "batches.share", target, "ok",
                           cur.shared == shared ? (shared ? "shared=1 unchanged" : "shared=0 unchanged")
                                                : (shared ? "shared=0->1" : "shared=1->0"))) ||
        (rc = db_commit(db)))
        goto fail;
    return batch_job__load(db, a, id, out);
fail:
    db_done(st);
    db_rollback(db);
    return rc;
}
