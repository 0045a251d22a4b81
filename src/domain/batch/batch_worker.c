/* domain/batch/batch_worker.c - worker threads running queued batches, round-robin by
 * subdistrict (R4.3-R4.7; see batch_worker.h). Not the storage (batch_job.c) nor the
 * lookup (batch.c): this file only decides what runs next and keeps threads alive.
 *
 * One mutex guards the scheduler state and the pick-and-claim step, so two workers of this
 * process never claim the same batch; batch_job_claim's conditional UPDATE keeps that true
 * across processes too. Connections are taken from the pool only while picking or running.
 */
#include "domain/batch/batch_worker.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"

#define WORKER_MAX_THREADS 16

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct app *app;
    pthread_t threads[WORKER_MAX_THREADS];
    unsigned nthreads;
    bool started;
    int stopping; /* atomic */
    unsigned kicks;
    struct batch_sched sched;
    pthread_t lease_thread; /* PostgreSQL: renews this node's leases, requeues dead nodes' batches */
    pthread_cond_t lease_cv; /* its own, so that a kick's signal always reaches a worker */
    bool lease_started;
} worker = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .lease_cv = PTHREAD_COND_INITIALIZER };

/* --- the fairness rule ------------------------------------------------------------------- */

static long
sched_group(const struct batch_sched *s, const char *subdistrict)
{
    for (size_t i = 0; i < s->ngroups; i++)
        if (strcmp(s->groups[i].subdistrict, subdistrict) == 0)
            return (long)i;
    return -1;
}

long
batch_sched_pick(const struct batch_sched *s, const struct batch_queued *q, size_t n)
{
    long best = -1;
    bool best_idle = false;
    uint64_t best_served = 0;

    /* q is oldest first, so the first batch seen of a group is the group's oldest */
    for (size_t i = 0; i < n; i++) {
        long g = sched_group(s, q[i].subdistrict);
        bool idle = g < 0 || s->groups[g].running == 0;
        uint64_t served = g < 0 ? 0 : s->groups[g].last_served;
        if (best >= 0) {
            if (best_idle && !idle)
                continue;
            if (best_idle == idle && served >= best_served)
                continue; /* not served less recently (ties: the older batch, seen first) */
        }
        best = (long)i;
        best_idle = idle;
        best_served = served;
    }
    return best;
}

static size_t
sched_slot(struct batch_sched *s, const char *subdistrict)
{
    long g = sched_group(s, subdistrict);
    if (g >= 0)
        return (size_t)g;
    if (s->ngroups == BATCH_SCHED_GROUPS) {
        /* forget the least recently served idle group (there are only ~15 subdistricts) */
        size_t victim = 0;
        for (size_t i = 1; i < s->ngroups; i++)
            if (s->groups[i].running == 0 &&
                (s->groups[victim].running || s->groups[i].last_served < s->groups[victim].last_served))
                victim = i;
        s->groups[victim] = s->groups[--s->ngroups];
    }
    g = (long)s->ngroups++;
    memset(&s->groups[g], 0, sizeof s->groups[g]);
    str_copy(s->groups[g].subdistrict, sizeof s->groups[g].subdistrict, subdistrict);
    return (size_t)g;
}

void
batch_sched_started(struct batch_sched *s, const char *subdistrict)
{
    size_t g = sched_slot(s, subdistrict);
    s->groups[g].last_served = ++s->tick;
    s->groups[g].running++;
}

void
batch_sched_finished(struct batch_sched *s, const char *subdistrict)
{
    long g = sched_group(s, subdistrict);
    if (g >= 0 && s->groups[g].running)
        s->groups[g].running--;
}

/* --- threads ---------------------------------------------------------------------------------- */

static bool
worker_should_stop(void *arg)
{
    (void)arg;
    return __atomic_load_n(&worker.stopping, __ATOMIC_RELAXED) != 0;
}

/* worker_pick claims the next batch; *id 0 when there is none. */
static int
worker_pick(struct db *db, struct batch_queued *q, int64_t *id, char *subdistrict, size_t cap)
{
    size_t n = 0;
    int rc;

    *id = 0;
    pthread_mutex_lock(&worker.mu);
    for (int attempt = 0; attempt < 3; attempt++) {
        if ((rc = batch_job_queued(db, q, BATCH_WORKER_QUEUE_SCAN, &n)))
            break;
        long i = batch_sched_pick(&worker.sched, q, n);
        if (i < 0)
            break;
        rc = batch_job_claim(db, q[i].id);
        if (rc == ERR_CONFLICT)
            continue; /* another process took it: look again */
        if (rc)
            break;
        *id = q[i].id;
        str_copy(subdistrict, cap, q[i].subdistrict);
        batch_sched_started(&worker.sched, subdistrict);
        break;
    }
    pthread_mutex_unlock(&worker.mu);
    return rc == ERR_CONFLICT ? 0 : rc;
}

static void
worker_wait(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += BATCH_WORKER_POLL_MS / 1000;
    ts.tv_nsec += (long)(BATCH_WORKER_POLL_MS % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&worker.mu);
    if (!worker.kicks && !worker_should_stop(NULL))
        pthread_cond_timedwait(&worker.cv, &worker.mu, &ts);
    if (worker.kicks)
        worker.kicks--;
    pthread_mutex_unlock(&worker.mu);
}

static void *
worker_main(void *arg)
{
    struct batch_queued *q = xcalloc(BATCH_WORKER_QUEUE_SCAN, sizeof *q);
    struct batch_job_ctl ctl = { worker_should_stop, NULL };
    (void)arg;

    while (!worker_should_stop(NULL)) {
        struct db *db = db_pool_get(worker.app->pool);
        char subdistrict[16] = "", idtext[24];
        int64_t id = 0;
        int rc = worker_pick(db, q, &id, subdistrict, sizeof subdistrict);
        if (rc)
            log_warn("batch.worker", "error", err_name(rc), "step", "pick", NULL);
        if (id) {
            rc = batch_job_run(worker.app, db, id, &ctl);
            if (rc && rc != ERR_UNAVAILABLE) {
                snprintf(idtext, sizeof idtext, "%lld", (long long)id);
                log_warn("batch.worker", "batch", idtext, "error", err_name(rc), "step", "run", NULL);
            }
            pthread_mutex_lock(&worker.mu);
            batch_sched_finished(&worker.sched, subdistrict);
            pthread_mutex_unlock(&worker.mu);
        }
        db_pool_put(worker.app->pool, db);
        if (!id)
            worker_wait();
    }
    xfree(q);
    crypto_thread_release();
    return NULL;
}

/* lease_main (PostgreSQL, several nodes, issue 13): every BATCH_LEASE_MS / 3 renew the lease
 * of the batches this node runs and queue again those whose node stopped renewing (died),
 * then wake a worker to take them. */
static enum db_kind
db_kind_of_pool(struct app *app)
{
    struct db *db = db_pool_get(app->pool);
    enum db_kind k = db_kind(db);
    db_pool_put(app->pool, db);
    return k;
}

static void *
lease_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&worker.mu);
    while (!worker_should_stop(NULL)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += BATCH_LEASE_MS / 3000;
        pthread_cond_timedwait(&worker.lease_cv, &worker.mu, &ts);
        if (worker_should_stop(NULL))
            break;
        pthread_mutex_unlock(&worker.mu);
        struct db *db = db_pool_get(worker.app->pool);
        int64_t now = time_now_ms(), requeued = 0, renewed = 0;
        int rc = batch_job_renew(db, now, &renewed);
        if (!rc)
            rc = batch_job_requeue_lost(db, now, false, &requeued);
        db_pool_put(worker.app->pool, db);
        if (rc)
            log_warn("batch.lease", "error", err_name(rc), NULL);
        if (requeued) {
            char n[24];
            snprintf(n, sizeof n, "%lld", (long long)requeued);
            log_info("batch.lease_expired", "requeued", n, NULL);
        }
        pthread_mutex_lock(&worker.mu);
        if (requeued) {
            worker.kicks = worker.nthreads;
            pthread_cond_broadcast(&worker.cv);
        }
    }
    pthread_mutex_unlock(&worker.mu);
    return NULL;
}

/* worker_clean_exports removes export files a crash left in the var directory (versions
 * before issue 12's sealed exports wrote ".export-<random>.xlsx" there; now nothing). */
static void
worker_clean_exports(const char *var_dir)
{
    DIR *d = opendir(var_dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, ".export-", 8) == 0 && n > 13 && strcmp(e->d_name + n - 5, ".xlsx") == 0)
            (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

int
batch_worker_start(struct app *app, unsigned nthreads)
{
    int64_t requeued = 0, dropped = 0;
    char a[24], b[24];
    struct db *db;
    int rc;

    if (nthreads < 1 || nthreads > WORKER_MAX_THREADS || worker.started)
        return ERR_INVALID;
    worker_clean_exports(app->var_dir);
    db = db_pool_get(app->pool);
    rc = batch_job_recover(db, &requeued, &dropped);
    db_pool_put(app->pool, db);
    if (rc)
        return rc;
    if (requeued || dropped) {
        snprintf(a, sizeof a, "%lld", (long long)requeued);
        snprintf(b, sizeof b, "%lld", (long long)dropped);
        log_info("batch.recover", "requeued", a, "dropped_uploads", b, NULL);
    }
    worker.app = app;
    memset(&worker.sched, 0, sizeof worker.sched);
    worker.kicks = 0;
    __atomic_store_n(&worker.stopping, 0, __ATOMIC_RELAXED);
    worker.nthreads = 0;
    for (unsigned i = 0; i < nthreads; i++) {
        if (pthread_create(&worker.threads[i], NULL, worker_main, NULL) != 0) {
            rc = ERR_INTERNAL;
            break;
        }
        worker.nthreads++;
    }
    if (!rc && db_kind_of_pool(app) == DB_POSTGRES) {
        if (pthread_create(&worker.lease_thread, NULL, lease_main, NULL) != 0)
            rc = ERR_INTERNAL;
        else
            worker.lease_started = true;
    }
    worker.started = true;
    if (rc) {
        batch_worker_stop();
        return rc;
    }
    return 0;
}

void
batch_worker_stop(void)
{
    if (!worker.started)
        return;
    pthread_mutex_lock(&worker.mu);
    __atomic_store_n(&worker.stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&worker.cv);
    pthread_cond_broadcast(&worker.lease_cv);
    pthread_mutex_unlock(&worker.mu);
    for (unsigned i = 0; i < worker.nthreads; i++)
        pthread_join(worker.threads[i], NULL);
    if (worker.lease_started)
        pthread_join(worker.lease_thread, NULL);
    worker.lease_started = false;
    worker.nthreads = 0;
    worker.started = false;
    worker.app = NULL;
}

void
batch_worker_kick(void)
{
    pthread_mutex_lock(&worker.mu);
    if (worker.started && worker.kicks < worker.nthreads)
        worker.kicks++;
    pthread_cond_signal(&worker.cv);
    pthread_mutex_unlock(&worker.mu);
}
