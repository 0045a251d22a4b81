/* domain/retention/retention.h - retention limits and the purge job (issue 12: "retention limits
 * with a purge job for samples, tombstones and batches (configurable by secadmin)"; S1, S6, O2).
 *
 * The limits live in table settings ("retention.*" keys, days; 0 = keep forever, the default)
 * and are changed by the secadmin (settings.write), audited with every changed value old->new.
 *
 * What the purge removes, each older than its limit:
 *   samples_days     samples (by collected_at) with their sample_history rows, and results (by
 *                    tested_at) - the raw scans and lab results;
 *   checkins_days    check-ins (by at);
 *   tombstones_days  samples deleted by their source (deleted_at > 0), by deleted_at - a
 *                    tombstone may go before the sample limit is reached;
 *   batches_days     finished batch queries (done | failed, by created_at) with their stored
 *                    upload rows and results (the uploaded "files": they live in batch_rows).
 * It deletes in chunks of RETENTION_CHUNK rows, one short transaction each, so ingest is never
 * blocked for long; one audit entry "retention.purge" per run gives the counts.
 *
 * What it keeps: the counters (stat_scans, stat_plan, stat_gauges) are aggregates without
 * personal data and are NOT decremented, so dashboards and statistics for a purged day keep
 * their figures; drill-downs to raw rows (personal lookups, batch lookups, sample lists) of
 * that day find nothing. Transports and their tube lists are kept (no person).
 */
#ifndef JY_DOMAIN_RETENTION_H
#define JY_DOMAIN_RETENTION_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define RETENTION_DAYS_MIN 7      /* a non-zero limit is at least a week */
#define RETENTION_DAYS_MAX 36500
#define RETENTION_CHUNK 5000      /* rows per purge transaction */

struct retention {
    int samples_days;    /* 0 = keep */
    int checkins_days;
    int tombstones_days;
    int batches_days;
};
#define RETENTION_DEFAULTS { 0, 0, 0, 0 }

/* retention_load fills r with the defaults overridden by stored settings. */
int retention_load(struct db *db, struct retention *r);
/* retention_save stores r and audits "settings.retention.update" with every changed value
 * ("samples_days=0->180"). A value neither 0 nor RETENTION_DAYS_MIN..MAX is ERR_INVALID with
 * "'<field>' must be 0 or from 7 to 36500" appended to why. */
int retention_save(struct db *db, const struct keyring *kr, const struct actor *a, const struct retention *r,
                   struct buf *why);

struct purge_counts {
    int64_t samples, sample_history, results, checkins, tombstones, batches, batch_rows;
};

/* retention_purge deletes (or, dry_run, only counts) what the stored limits allow to go as of
 * now (ms), in chunks, then audits "retention.purge" (target "retention", detail with the
 * counts, "dry_run" when so; result "failed" when a chunk failed) as actor a. Must be called outside a
 * transaction. Rows deleted before a failure stay deleted (each chunk commits); the counts
 * say how far it got. */
int retention_purge(struct app *app, struct db *db, const struct actor *a, int64_t now, bool dry_run,
                    struct purge_counts *out);

/* purge_counts_format appends "samples=N sample_history=N …" to out. */
void purge_counts_format(const struct purge_counts *c, struct buf *out);

#endif
