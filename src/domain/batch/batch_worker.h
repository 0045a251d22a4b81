/* domain/batch/batch_worker.h - the threads that run queued batches (R4.3-R4.7: "several batches
 * from different subdistricts run at once without one starving the others").
 *
 * serve starts BATCH_WORKERS threads. Each takes the next queued batch (domain/batch/batch_job.h),
 * runs it to the end on a pooled connection, and takes the next. Which batch is next is
 * round-robin by subdistrict: subdistricts with nothing running come first; among them the
 * one served least recently; within a subdistrict the oldest batch. So a subdistrict that
 * queued ten big lists gets one worker while another subdistrict's single list gets the
 * other, and a third subdistrict is next in line whichever finishes first. A district
 * account's batches form a group of their own (subdistrict ""). A batch is never split or
 * preempted: the engine runs a million rows in well under a minute.
 *
 * Restart safety: batch_worker_start first removes export files a crash left in the var
 * directory (".export-*.xlsx" of versions before the sealed exports), then calls batch_job_recover, so a
 * batch that was running when the server died is queued again (from its stored rows; its
 * partial results are replaced by the new run) and an upload that never finished is
 * removed. On
 * batch_worker_stop a running batch stops at its next check and goes back to the queue.
 *
 * Several nodes (PostgreSQL, issue 13): batch_job_claim's conditional UPDATE hands a batch to
 * one node; a lease thread renews this node's leases every BATCH_LEASE_MS / 3 and queues
 * again the batches of a node that stopped renewing (died), which any node's worker then
 * claims and runs from the batch's stored rows (results of the dead run replaced). At
 * start-up only this node's own running batches and expired leases are queued again, never
 * a live node's. The batch finishes once: the final UPDATE requires the batch still be this
 * node's.
 *
 * Workers wake on batch_worker_kick (after an upload or a re-run commits) and poll every
 * BATCH_WORKER_POLL_MS for batches queued by other processes (CLI, another node).
 */
#ifndef JY_DOMAIN_BATCH_WORKER_H
#define JY_DOMAIN_BATCH_WORKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/platform/app.h"
#include "domain/batch/batch_job.h"

#define BATCH_WORKERS 2
#define BATCH_WORKER_POLL_MS 1000
#define BATCH_WORKER_QUEUE_SCAN 1000 /* queued batches looked at per pick */

/* batch_worker_start recovers storage and starts nthreads (1..16) workers taking
 * connections from app->pool (so the pool needs nthreads more than the HTTP threads).
 * ERR_INVALID for a bad count or when already started; the recovery's ERR_* otherwise. */
int batch_worker_start(struct app *app, unsigned nthreads);
/* batch_worker_stop asks running batches to stop (they are queued again), waits for the
 * threads and frees everything. Safe when not started. */
void batch_worker_stop(void);
/* batch_worker_kick wakes an idle worker; cheap, callable from any thread, a no-op when
 * no worker runs. */
void batch_worker_kick(void);

/* The fairness rule, as a pure function for tests. The scheduler's memory: */
#define BATCH_SCHED_GROUPS 64
struct batch_sched {
    struct {
        char subdistrict[16];
        uint64_t last_served; /* tick of the last pick, 0 = never */
        unsigned running;
    } groups[BATCH_SCHED_GROUPS];
    size_t ngroups;
    uint64_t tick;
};
/* batch_sched_pick chooses among q[0..n) (oldest first) and returns the index, or -1 when
 * n is 0. It does not change s. */
long batch_sched_pick(const struct batch_sched *s, const struct batch_queued *q, size_t n);
/* batch_sched_started / batch_sched_finished record a pick and the end of its run. */
void batch_sched_started(struct batch_sched *s, const char *subdistrict);
void batch_sched_finished(struct batch_sched *s, const char *subdistrict);

#endif
