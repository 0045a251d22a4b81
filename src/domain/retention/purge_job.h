/* domain/retention/purge_job.h - the retention purge inside `serve` (issue 12): one thread that
 * runs retention_purge as the system actor "purge" once at start and then every period_ms
 * (PURGE_JOB_PERIOD_MS, hourly), on a connection of the pool; while every limit is 0 (the
 * default) it does nothing and writes no audit entry. A failed run is logged
 * ("retention.purge_failed") and audited by retention_purge; the next period tries again.
 * Several nodes on one PostgreSQL database may each run it: every chunk is its own
 * transaction and deletes only rows still there, so two runs never delete a row twice.
 */
#ifndef JY_DOMAIN_PURGE_JOB_H
#define JY_DOMAIN_PURGE_JOB_H
#include <stdint.h>

#include "domain/platform/app.h"

#define PURGE_JOB_PERIOD_MS (3600LL * 1000)

/* purge_job_start starts the thread (period_ms 0 = PURGE_JOB_PERIOD_MS). ERR_INVALID when it
 * runs already. */
int purge_job_start(struct app *app, int64_t period_ms);
/* purge_job_stop wakes the thread, lets a chunk in flight finish and joins it. */
void purge_job_stop(void);

#endif
