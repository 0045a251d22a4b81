/* domain/retention/purge_job.c - the hourly retention purge thread of `serve` (issue 12).
 * Contract: purge_job.h. */
#include "domain/retention/purge_job.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "domain/retention/retention.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool running, stopping;
    struct app *app;
    int64_t period_ms;
} job = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
purge_job_once(void)
{
    struct actor who;
    struct purge_counts c;
    struct retention r;
    struct db *db = db_pool_get(job.app->pool);
    actor_system(&who, "purge");
    int rc = retention_load(db, &r);
    /* no limit set (the default): nothing to do, and no hourly audit entry saying so */
    if (!rc && (r.samples_days || r.checkins_days || r.tombstones_days || r.batches_days))
        rc = retention_purge(job.app, db, &who, time_now_ms(), false, &c);
    db_pool_put(job.app->pool, db);
    if (rc)
        log_warn("retention.purge_failed", "error", err_name(rc), NULL);
}

static void *
purge_job_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&job.mu);
    while (!job.stopping) {
        pthread_mutex_unlock(&job.mu);
        purge_job_once();
        pthread_mutex_lock(&job.mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(job.period_ms / 1000);
        until.tv_nsec += (long)(job.period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!job.stopping && pthread_cond_timedwait(&job.cv, &job.mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&job.mu);
    crypto_thread_release();
    return NULL;
}

int
purge_job_start(struct app *app, int64_t period_ms)
{
    int rc = 0;
    pthread_mutex_lock(&job.mu);
    if (job.running) {
        rc = ERR_INVALID;
    } else {
        job.app = app;
        job.period_ms = period_ms > 0 ? period_ms : PURGE_JOB_PERIOD_MS;
        job.stopping = false;
        if (pthread_create(&job.thread, NULL, purge_job_main, NULL))
            rc = ERR_INTERNAL;
        else
            job.running = true;
    }
    pthread_mutex_unlock(&job.mu);
    return rc;
}

void
purge_job_stop(void)
{
    pthread_mutex_lock(&job.mu);
    if (!job.running) {
        pthread_mutex_unlock(&job.mu);
        return;
    }
    job.stopping = true;
    pthread_cond_broadcast(&job.cv);
    pthread_mutex_unlock(&job.mu);
    pthread_join(job.thread, NULL);
    pthread_mutex_lock(&job.mu);
    job.running = false;
    pthread_mutex_unlock(&job.mu);
}
