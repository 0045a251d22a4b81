/* domain/batch/batch_job_lease.c - which node runs a batch (issue 13 "More than one node";
 * R4.3-R4.7): the node's name, and the lease a running batch carries so that a batch whose
 * node died is queued again and run by another node (see batch_job.h, batch_worker.h). */
#include "domain/batch/batch_job_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/str.h"

/* issue 13: a running batch is taken back when its node is this one (restarted) or its
 * lease ran out (its node died); ?2 = INT64_MAX on SQLite, where there is one node. A
 * finished batch keeps no owner and no lease (batch_job_run.c), so one found 'running'
 * without them is lost at once. */
static const char sql_requeue_lost[] =
    "UPDATE batches SET status = 'queued', progress_ppm = 0, stage = '', owner = '', lease_until = 0"
    " WHERE status = 'running' AND ((?3 = 1 AND owner = ?1) OR lease_until < ?2)";
static const char sql_renew[] =
    "UPDATE batches SET lease_until = ?2 WHERE owner = ?1 AND status = 'running'";

static pthread_once_t node_once = PTHREAD_ONCE_INIT;
static char node_name[96];

static void
node_default(void)
{
    char host[64] = "";
    if (!node_name[0]) {
        (void)gethostname(host, sizeof host - 1);
        snprintf(node_name, sizeof node_name, "%s/pid-%ld", host[0] ? host : "localhost", (long)getpid());
    }
}

void
batch_job_set_node(const char *node)
{
    str_copy(node_name, sizeof node_name, node);
    pthread_once(&node_once, node_default);
}

const char *
batch_job_node(void)
{
    pthread_once(&node_once, node_default);
    return node_name;
}

int
batch_job_requeue_lost(struct db *db, int64_t now, bool mine, int64_t *requeued)
{
    struct db_stmt *st = NULL;
    bool row = false;
    const char *node = batch_job_node();
    int rc;
    if (!(rc = db_prepare(db, sql_requeue_lost, &st)) && !(rc = db_bind_text(st, 1, node, strlen(node))) &&
        !(rc = db_bind_i64(st, 2, db_kind(db) == DB_SQLITE ? INT64_MAX : now)) &&
        !(rc = db_bind_i64(st, 3, mine ? 1 : 0)) && !(rc = db_step(st, &row)) && requeued)
        *requeued = db_changes(st);
    db_done(st);
    return rc;
}

int
batch_job_renew(struct db *db, int64_t now, int64_t *renewed)
{
    struct db_stmt *st = NULL;
    bool row = false;
    const char *node = batch_job_node();
    int rc;
    if (!(rc = db_prepare(db, sql_renew, &st)) && !(rc = db_bind_text(st, 1, node, strlen(node))) &&
        !(rc = db_bind_i64(st, 2, now + BATCH_LEASE_MS)) && !(rc = db_step(st, &row)) && renewed)
        *renewed = db_changes(st);
    db_done(st);
    return rc;
}

