/* domain/batch/batch_quota.h - the per-account batch lookup quota (issue 12 "Bulk lookups", S1, S6).
 *
 * An account may look up at most policy.batch_rows_per_day data rows by batch in any 24 hours
 * (the security policy, set by the secadmin through PUT /api/v1/settings/policy, audited old
 * and new). Every accepted upload and every re-run counts its data rows (table
 * batch_quota_use, migration 0024). A batch that would pass the quota is refused whole:
 * ERR_RATE (HTTP 429, reason batch_quota_exceeded), nothing stored, the refusal audited.
 * The first batch that takes an account past 80% of its quota is logged (WARN
 * batch.quota_warn) and audited (batches.quota_warn) - the volume alert's local half; the
 * Prometheus half is the counter jiayuan_lookup_rows_total{role} (batch_quota_rows_total).
 *
 * Exempt: the system actor. `jiayuan batch` (the operator's offline tool, cli/batch.c) runs the
 * engine directly on a file and never comes here; its runs are audited as batches.lookup.
 * NEEDSWORK: on PostgreSQL two uploads of one account committing at the same instant may
 * both pass (read committed); the overshoot is at most one batch.
 */
#ifndef JY_DOMAIN_BATCH_QUOTA_H
#define JY_DOMAIN_BATCH_QUOTA_H
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define BATCH_QUOTA_WINDOW_MS 86400000LL
#define BATCH_QUOTA_WARN_PCT 80

/* batch_quota_usage: the rows a looked up in the last 24 hours (*used) and its quota (*limit),
 * as of now. A system actor has used 0 of INT64_MAX. */
int batch_quota_usage(struct db *db, const struct actor *a, int64_t now, int64_t *used, int64_t *limit);

/* batch_quota_take charges rows to a for batch_id, inside the caller's transaction. When
 * they would pass the quota: ERR_RATE, with one line of English appended to why (may be NULL; counts only),
 * nothing charged. Crossing BATCH_QUOTA_WARN_PCT logs and audits batches.quota_warn (in the
 * same transaction). Counts rows in the lookup counter on success. */
int batch_quota_take(struct app *app, struct db *db, const struct actor *a, int64_t batch_id, uint64_t rows,
                     struct buf *why);

/* batch_quota_rows_total: rows charged since the process started, by role (role.h's enum;
 * ROLE__COUNT of them); for /metrics (jiayuan_lookup_rows_total{role}). */
uint64_t batch_quota_rows_total(int role);

#endif
