/* db/db_writer.c - group commit: one writer thread per database (contract in db_writer.h).
 *
 * The queue is an intrusive FIFO of jobs that live on their callers' stacks. The writer
 * takes up to max_group jobs at a time, runs them in one transaction with a savepoint
 * each, commits, then marks them done under the lock and wakes the callers.
 */
#include "db/db_writer.h"

#include <pthread.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"

struct db_write_job {
    db_write_fn fn;
    void *arg;
    int rc;
    bool done;
    struct db_write_job *next;
};

struct db_writer {
    struct db *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job arrived, hold was lifted, or stop began */
    pthread_cond_t done; /* a group finished */
    struct db_write_job *head, *tail;
    size_t waiting;
    size_t callers; /* threads inside db_writer_run: stop waits for them to leave */
    size_t max_group;
    struct db_writer_hooks hooks;
    bool have_hooks;
    bool hold;
    bool stopping;
    struct db_writer_stats stats;
};

/* writer_take unlinks up to max_group jobs from the queue head, in order; caller holds
 * the lock. Returns the first job; the last one's next is NULL. */
static struct db_write_job *
writer_take(struct db_writer *w, size_t *n)
{
    struct db_write_job *first = w->head, *last = w->head;
    size_t k = 1;

    while (k < w->max_group && last->next) {
        last = last->next;
        k++;
    }
    w->head = last->next;
    if (!w->head)
        w->tail = NULL;
    last->next = NULL;
    w->waiting -= k;
    *n = k;
    return first;
}

/* writer_run_one runs one job under the savepoint jy_write. *mark says what the savepoint
 * holds on entry: 0 none yet, 1 the previous job's committed-to-be work (release it and set
 * a new one, in one round trip), 2 a fresh one (the previous job was rolled back to it,
 * which keeps it). Returns 0 when the transaction is still usable (whatever the job's
 * outcome), or the error that lost it. */
static int
writer_run_one(struct db_writer *w, struct db_write_job *j, void *group, int *mark,
               struct db_writer_stats *st)
{
    int rc;

    if (*mark == 0)
        rc = db_exec(w->db, "SAVEPOINT jy_write");
    else if (*mark == 1)
        rc = db_exec(w->db, "RELEASE SAVEPOINT jy_write; SAVEPOINT jy_write");
    else
        rc = 0;
    if (rc)
        return rc;
    j->rc = j->fn(w->db, group, j->arg);
    if (j->rc == 0) {
        *mark = 1;
        return 0;
    }
    st->failed_writes++;
    *mark = 2;
    return db_exec(w->db, "ROLLBACK TO SAVEPOINT jy_write");
}

/* writer_run_group runs the jobs of one group, sets each job's rc and counts into st
 * (merged into the writer's stats under the lock by the caller). */
static void
writer_run_group(struct db_writer *w, struct db_write_job *jobs, size_t n, struct db_writer_stats *st)
{
    void *group = NULL;
    bool opened = false;
    int rc;

    for (struct db_write_job *j = jobs; j; j = j->next)
        j->rc = ERR_UNAVAILABLE; /* until it ran in a group that committed */
    st->groups = 1;
    st->writes = n;
    st->largest_group = n;
    if ((rc = db_begin(w->db)))
        goto failed;
    if (w->have_hooks && w->hooks.group_open) {
        if ((rc = w->hooks.group_open(w->db, w->hooks.ctx, &group)))
            goto failed;
    }
    opened = true;
    int mark = 0; /* the commit releases the last savepoint */
    for (struct db_write_job *j = jobs; j; j = j->next) {
        if ((rc = writer_run_one(w, j, group, &mark, st)))
            goto failed;
    }
    if (w->have_hooks && w->hooks.group_close) {
        opened = false;
        if ((rc = w->hooks.group_close(w->db, w->hooks.ctx, group, false)))
            goto failed;
    }
    if ((rc = db_commit(w->db)))
        goto failed;
    return;

failed:
    db_rollback(w->db);
    if (opened && w->have_hooks && w->hooks.group_close)
        (void)w->hooks.group_close(w->db, w->hooks.ctx, group, true);
    st->failed_groups = 1;
    for (struct db_write_job *j = jobs; j; j = j->next) {
        if (j->rc == 0 || j->rc == ERR_UNAVAILABLE)
            j->rc = rc ? rc : ERR_UNAVAILABLE;
    }
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    log_warn("db.writer.group_failed", "writes", count, "error", err_name(rc), NULL);
}

static void *
writer_main(void *p)
{
    struct db_writer *w = p;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->stopping && (!w->head || w->hold))
            pthread_cond_wait(&w->work, &w->lock);
        if (!w->head)
            break; /* stopping, nothing left */
        size_t n = 0;
        struct db_write_job *jobs = writer_take(w, &n);
        pthread_mutex_unlock(&w->lock);

        struct db_writer_stats st = {0};
        writer_run_group(w, jobs, n, &st);

        pthread_mutex_lock(&w->lock);
        w->stats.groups += st.groups;
        w->stats.writes += st.writes;
        w->stats.failed_writes += st.failed_writes;
        w->stats.failed_groups += st.failed_groups;
        if (st.largest_group > w->stats.largest_group)
            w->stats.largest_group = st.largest_group;
        for (struct db_write_job *j = jobs, *next; j; j = next) {
            next = j->next; /* j may be gone once done is seen */
            j->done = true;
        }
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int
db_writer_start(const char *url, const char *var_dir, const struct db_writer_opts *opts,
                struct db_writer **out)
{
    struct db_writer *w = xcalloc(1, sizeof *w);
    int rc;

    *out = NULL;
    if ((rc = db_open(url, var_dir, &w->db))) {
        xfree(w);
        return rc;
    }
    w->max_group = opts && opts->max_group ? opts->max_group : 256;
    if (opts && opts->hooks) {
        w->hooks = *opts->hooks;
        w->have_hooks = true;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w)) {
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        db_close(w->db);
        xfree(w);
        return ERR_INTERNAL;
    }
    *out = w;
    return 0;
}

void
db_writer_stop(struct db_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    w->hold = false;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_lock(&w->lock);
    while (w->callers > 0)
        pthread_cond_wait(&w->done, &w->lock);
    pthread_mutex_unlock(&w->lock);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->lock);
    db_close(w->db);
    xfree(w);
}

int
db_writer_run(struct db_writer *w, db_write_fn fn, void *arg)
{
    struct db_write_job job = {.fn = fn, .arg = arg, .rc = ERR_UNAVAILABLE};

    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return ERR_UNAVAILABLE;
    }
    if (w->tail)
        w->tail->next = &job;
    else
        w->head = &job;
    w->tail = &job;
    w->waiting++;
    w->callers++;
    pthread_cond_signal(&w->work);
    while (!job.done)
        pthread_cond_wait(&w->done, &w->lock);
    if (--w->callers == 0 && w->stopping)
        pthread_cond_broadcast(&w->done);
    pthread_mutex_unlock(&w->lock);
    return job.rc;
}

void
db_writer_stats(struct db_writer *w, struct db_writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

void
db_writer_hold(struct db_writer *w, bool hold)
{
    pthread_mutex_lock(&w->lock);
    w->hold = hold;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
}

size_t
db_writer_waiting(struct db_writer *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->waiting;
    pthread_mutex_unlock(&w->lock);
    return n;
}
