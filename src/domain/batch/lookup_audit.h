/* domain/batch/lookup_audit.h - who looked up this person, when, by which batch (issue 12 "Bulk
 * lookups", S1, S6 安全审计).
 *
 * Every finished batch run records, in the transaction that marks it done, one row per row with
 * a valid ID it looked up (a repeat in the list is recorded twice): (blind index "idno", time, batch id, uploader) in batch_lookups
 * (migration 0024) - one INSERT … SELECT over batch_rows, never a plaintext number. The rows
 * outlive the batch (deleting a batch keeps its lookups: they are evidence). A re-run is
 * recorded again, under the uploader (the run acts as the uploader; the re-run itself is
 * audited as batches.rerun under whoever asked).
 *
 * The auditor's question is answered by lookup_audit_find: the ID number is normalised and
 * turned into its blind index here - under every blind-index generation kept (issue 12,
 * `keys rotate-index`: older lookups name the index of their time) - then the personal
 * lookups of the audit log whose target is one of those indexes ("blind:%016llx": people.lookup, people.reveal, people.export, frequency …)
 * and the batch lookups are merged, newest first. The query itself is audited
 * (audit.lookups, target the current generation's blind index). NEEDSWORK: the audit log has no index on target,
 * so the personal half scans the log; fine for an auditor's occasional question.
 */
#ifndef JY_DOMAIN_BATCH_LOOKUP_AUDIT_H
#define JY_DOMAIN_BATCH_LOOKUP_AUDIT_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

#define LOOKUP_AUDIT_MAX 200 /* hits of each kind returned, newest first */

/* lookup_audit_batch records the lookups of batch id's finished run at time at. Runs inside
 * the caller's transaction. */
int lookup_audit_batch(struct db *db, int64_t id, int64_t at);

/* One lookup of a person. Strings live in the arena given to lookup_audit_find. */
struct lookup_hit {
    const char *kind;    /* "person" (an audit log entry) | "batch" */
    int64_t ts;
    const char *actor;   /* username, or token name as the audit log has it */
    const char *role;    /* "" for batch hits */
    const char *action;  /* the audit action code; "batches.lookup" for batch hits */
    const char *result;  /* "ok", "denied" … ("ok" for batch hits) */
    int64_t batch_id;    /* 0 for person hits */
};

/* lookup_audit_find answers for id_number (any form idno_normalize accepts; ERR_INVALID with
 * why otherwise, never echoing it): *hits (arena) newest first, *n of them, at most
 * LOOKUP_AUDIT_MAX of each kind; *truncated when either kind had more. Audited as
 * audit.lookups by a (the detail counts hits). */
int lookup_audit_find(struct app *app, struct db *db, const struct actor *a, const char *id_number,
                      struct arena *arena, struct lookup_hit **hits, size_t *n, bool *truncated, struct buf *why);

#endif
