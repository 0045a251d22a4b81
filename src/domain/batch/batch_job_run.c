/* domain/batch/batch_job_run.c - batch_job_run (R4.3-R4.7; see batch_job.h): the lookup
 * engine (domain/batch/batch.h) run over a claimed batch's stored rows, its results stored
 * in multi-row INSERTs of JOB_RESULT_ROWS inside transactions of JOB_TX_ROWS rows, the
 * progress and the stop/delete checks written every JOB_PROGRESS_MS, and the batch's final
 * status. Not the threads that call it (batch_worker.c) nor the storage (batch_job.c).
 */
#include "domain/batch/batch_job_int.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/batch/lookup_audit.h"
#include "domain/platform/perm.h"

#define JOB_RESULT_ROWS 256       /* rows per multi-row INSERT (batch_results): 3,841 */
#define JOB_RESULT_PARAMS 15      /* per row of batch_results (mac and mac_key included) */
#define JOB_PROGRESS_MS 300       /* progress written / cancellation checked this often */

/* a batch another node took over (issue 13: our lease ran out) reads "taken": we stop */
static const char sql_status[] = "SELECT CASE WHEN owner = ?2 THEN status ELSE 'taken' END FROM batches WHERE id = ?1";
static const char sql_progress[] =
    "UPDATE batches SET progress_ppm = ?2, stage = ?3 WHERE id = ?1 AND status = 'running'";
static const char sql_clear_results[] = "DELETE FROM batch_results WHERE batch_id = ?1";
static const char sql_insert_result[] =
    "INSERT INTO batch_results (batch_id, row_no, status, first_num, found, tested, tests, sampled_at,"
    " tested_at, institution, result, site_code, site_name, damaged, mac, mac_key)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
static const char sql_done[] =
    "UPDATE batches SET status = 'done', data_rows = ?2, valid = ?3, found = ?4, not_found = ?5, invalid = ?6,"
    " duplicate = ?7, tested = ?8, by_status = ?9, days_window = ?10, days_count = ?11, progress_ppm = 1000000,"
    " damaged = ?13,"
    " stage = '', error = '', runs = runs + 1, finished_at = ?12, owner = '', lease_until = 0"
    " WHERE id = ?1 AND status = 'running' AND owner = ?14";
static const char sql_failed[] =
    "UPDATE batches SET status = 'failed', error = ?2, progress_ppm = 0, stage = '', runs = runs + 1,"
    " finished_at = ?3, owner = '', lease_until = 0 WHERE id = ?1 AND status = 'running' AND owner = ?4";
static const char sql_requeue_one[] = "UPDATE batches SET status = 'queued', progress_ppm = 0, stage = '',"
                                      " owner = '', lease_until = 0 WHERE id = ?1 AND status = 'running'";

/* The multi-row INSERT of results, built once (placeholders only). */
static char sql_results_multi[JOB_RESULT_ROWS * 128 + 256];
static pthread_once_t run_sql_once = PTHREAD_ONCE_INIT;

static void
run_sql_build(void)
{
    batch_job__sql_multi(sql_results_multi, sizeof sql_results_multi,
                         "INSERT INTO batch_results (batch_id, row_no, status, first_num, found, tested, tests,"
                         " sampled_at, tested_at, institution, result, site_code, site_name, damaged, mac, mac_key) VALUES",
                         JOB_RESULT_ROWS, JOB_RESULT_PARAMS);
}

/* One row's result waiting to be inserted. */
struct job_res {
    uint64_t row_no;
    const char *status;
    int64_t first_num, sampled_at, tested_at;
    bool found, tested, damaged;
    unsigned tests;
    size_t inst, result, site_code, site_name; /* into job_run.strs */
};

/* One run: the engine reads the stored rows through run_src and writes through run_sink. */
struct job_run {
    struct app *app;
    struct db *db;
    struct batch_job job;
    const struct batch_job_ctl *ctl;
    struct batch_job_page pg;
    /* results waiting for a multi-row INSERT */
    size_t nres;
    struct job_res res[JOB_RESULT_ROWS];
    uint8_t macs[JOB_RESULT_ROWS][SM3_LEN]; /* bound, not copied: live until the step */
    struct buf strs;
    uint64_t row_no;   /* rows seen by the sink */
    size_t in_tx;
    bool tx;
    int64_t last_progress_ms;
    bool cancelled, stopped;
};

static int
run_src_open(void *arg, struct columns *cols, struct buf *why)
{
    struct job_run *r = arg;
    (void)why;
    *cols = (struct columns)COLUMNS_INIT;
    cols->id = r->job.col_id;
    cols->name = r->job.col_name;
    cols->phone = r->job.col_phone;
    cols->id_rule = strcmp(r->job.id_rule, "content") == 0 ? COLUMNS_BY_CONTENT : COLUMNS_BY_HEADER;
    cols->name_rule = cols->name >= 0 ? COLUMNS_BY_HEADER : COLUMNS_NOT_FOUND;
    cols->phone_rule = cols->phone >= 0 ? COLUMNS_BY_HEADER : COLUMNS_NOT_FOUND;
    cols->header_row = r->job.header_row;
    batch_job__page_rewind(&r->pg);
    return 0;
}

static int
run_src_next(void *arg, struct table_row *row, struct buf *why)
{
    struct job_run *r = arg;
    const struct batch_job_page_row *pr;
    int rc = batch_job__page_next(&r->pg, &pr);
    memset(row, 0, sizeof *row);
    if (rc) {
        buf_adds(why, rc == ERR_CRYPTO ? "a stored row cannot be opened" : "the stored rows cannot be read");
        return rc;
    }
    if (!pr)
        return 0;
    row->cells = r->pg.strs + pr->first;
    row->kinds = r->pg.kinds + pr->first;
    row->ncells = pr->ncells;
    row->num = pr->num;
    return 0;
}

static void
run_src_close(void *arg)
{
    struct job_run *r = arg;
    batch_job__page_wipe(&r->pg);
}

static int
run_flush(struct job_run *r)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = 0;
    if (!r->nres)
        return 0;
    if (buf_error(&r->strs))
        return ERR_TOO_LARGE;
    size_t n = r->nres, per = n == JOB_RESULT_ROWS ? n : 1;
    for (size_t base = 0; base < n; base += per) {
        if ((rc = db_prepare(r->db, per == JOB_RESULT_ROWS ? sql_results_multi : sql_insert_result, &st)) ||
            (rc = db_bind_i64(st, 1, r->job.id)))
            goto out;
        for (size_t k = 0; k < per; k++) {
            const struct job_res *x = &r->res[base + k];
            int p = 2 + (int)k * JOB_RESULT_PARAMS;
            const char *inst = r->strs.data + x->inst, *res = r->strs.data + x->result;
            const char *sc = r->strs.data + x->site_code, *sn = r->strs.data + x->site_name;
            struct batch_job_res_fields f = { r->job.id, x->row_no, x->status, x->first_num, x->sampled_at,
                                              x->tested_at, x->found, x->tested, x->damaged, x->tests,
                                              inst, res, sc, sn };
            uint8_t *mac = r->macs[base + k];
            uint32_t key_id = 0;
            if ((rc = batch_job__res_mac_sign(&r->app->keys, &f, mac, &key_id)) ||
                (rc = db_bind_blob(st, p + 13, mac, SM3_LEN)) || (rc = db_bind_i64(st, p + 14, key_id)))
                goto out;
            if ((rc = db_bind_i64(st, p, (int64_t)x->row_no)) ||
                (rc = db_bind_text(st, p + 1, x->status, strlen(x->status))) ||
                (rc = db_bind_i64(st, p + 2, x->first_num)) || (rc = db_bind_i64(st, p + 3, x->found)) ||
                (rc = db_bind_i64(st, p + 4, x->tested)) || (rc = db_bind_i64(st, p + 5, x->tests)) ||
                (rc = db_bind_i64(st, p + 6, x->sampled_at)) || (rc = db_bind_i64(st, p + 7, x->tested_at)) ||
                (rc = db_bind_text(st, p + 8, inst, strlen(inst))) || (rc = db_bind_text(st, p + 9, res, strlen(res))) ||
                (rc = db_bind_text(st, p + 10, sc, strlen(sc))) || (rc = db_bind_text(st, p + 11, sn, strlen(sn))) ||
                (rc = db_bind_i64(st, p + 12, x->damaged)))
                goto out;
        }
        if ((rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
    }
out:
    db_done(st);
    r->nres = 0;
    buf_reset(&r->strs);
    return rc;
}

static size_t
run_str(struct job_run *r, const char *s)
{
    size_t off = r->strs.len;
    buf_adds(&r->strs, s ? s : "");
    buf_addch(&r->strs, '\0');
    return off;
}

/* run_check polls for a stop request and for the batch being deleted; it also writes the
 * progress. Cheap enough to call on every row: the database is touched every
 * JOB_PROGRESS_MS only. */
static int
run_check(struct job_run *r, int64_t ppm, const char *stage)
{
    int64_t now = time_mono_us() / 1000;
    struct db_stmt *st = NULL;
    bool row = false;
    char status[16] = "";
    int rc;

    if (r->ctl && r->ctl->stop && r->ctl->stop(r->ctl->arg)) {
        r->stopped = true;
        return ERR_UNAVAILABLE;
    }
    if (now - r->last_progress_ms < JOB_PROGRESS_MS)
        return 0;
    r->last_progress_ms = now;
    if ((rc = db_prepare(r->db, sql_status, &st)) || (rc = db_bind_i64(st, 1, r->job.id)) ||
        (rc = db_bind_text(st, 2, batch_job_node(), strlen(batch_job_node()))) || (rc = db_step(st, &row)))
        goto out;
    if (row)
        batch_job__col_text(st, 0, status, sizeof status);
    db_done(st);
    st = NULL;
    if (strcmp(status, "running") != 0) {
        r->cancelled = true;
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if ((rc = db_prepare(r->db, sql_progress, &st)) || (rc = db_bind_i64(st, 1, r->job.id)) ||
        (rc = db_bind_i64(st, 2, ppm)) || (rc = db_bind_text(st, 3, stage, strlen(stage))) ||
        (rc = db_step(st, &row)))
        goto out;
out:
    db_done(st);
    return rc;
}

static int
run_progress(void *arg, const char *stage, uint64_t done, uint64_t total)
{
    struct job_run *r = arg;
    double f, lo, span;
    if (strcmp(stage, "read") == 0) {
        lo = 0.0, span = 0.3;
        if (!total)
            total = r->job.nrows;
    } else if (strcmp(stage, "lookup") == 0) {
        lo = 0.3, span = 0.3;
    } else {
        lo = 0.6, span = 0.39;
        if (!total)
            total = r->job.nrows;
    }
    f = total ? (double)done / (double)total : 0.0;
    if (f > 1.0)
        f = 1.0;
    return run_check(r, (int64_t)((lo + span * f) * BATCH_PROGRESS_ONE), stage);
}

static int
run_commit(struct job_run *r)
{
    int rc = run_flush(r);
    if (rc)
        return rc;
    if (r->tx) {
        r->tx = false;
        r->in_tx = 0;
        return db_commit(r->db);
    }
    return 0;
}

static int
run_sink_row(void *arg, const struct batch_row *br)
{
    struct job_run *r = arg;
    uint64_t row_no = r->row_no++;
    int rc;

    if (br->kind == BATCH_ROW_DATA) {
        if (!r->tx) {
            if ((rc = db_begin(r->db)))
                return rc;
            r->tx = true;
        }
        struct job_res *x = &r->res[r->nres++];
        const struct batch_result *res = br->result;
        memset(x, 0, sizeof *x);
        x->row_no = row_no;
        x->status = idno_status_code(br->status);
        x->first_num = (int64_t)br->first_num;
        if (res) {
            x->found = res->found;
            x->tested = res->tested;
            x->tests = res->count;
            x->sampled_at = res->sampled_at;
            x->tested_at = res->tested_at;
            x->damaged = res->damaged;
        }
        x->inst = run_str(r, res ? res->institution : "");
        x->result = run_str(r, res ? res->result : "");
        x->site_code = run_str(r, res ? res->site_code : "");
        x->site_name = run_str(r, res ? res->site_name : "");
        r->in_tx++;
        if (r->nres == JOB_RESULT_ROWS && (rc = run_flush(r)))
            return rc;
    }
    /* commit often, and at the last row: the engine writes its audit entry (a transaction
     * of its own) once the sink has seen every row */
    if (r->tx && (r->in_tx >= JOB_TX_ROWS || r->row_no >= r->job.nrows)) {
        if ((rc = run_commit(r)))
            return rc;
    }
    if ((row_no & 1023) == 0)
        return run_progress(r, "write", row_no, r->job.nrows);
    return 0;
}

static int
run_sink_begin(void *arg, const struct batch_stats *st)
{
    struct job_run *r = arg;
    r->job.counts = st->counts;
    return 0;
}

static int
run_finish(struct job_run *r, const char *sql, const struct batch_stats *st, const char *error)
{
    struct db_stmt *s = NULL;
    struct buf by = BUF_INIT;
    bool row = false;
    int rc;

    if (st) {
        buf_addch(&by, '{');
        for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
            buf_printf(&by, "%s\"%s\":%llu", i ? "," : "", idno_status_code((enum idno_status)i),
                       (unsigned long long)st->counts.by_status[i]);
        buf_addch(&by, '}');
    }
    if ((rc = db_prepare(r->db, sql, &s)) || (rc = db_bind_i64(s, 1, r->job.id)))
        goto out;
    if (st) {
        const struct batch_counts *c = &st->counts;
        if ((rc = db_bind_i64(s, 2, (int64_t)c->rows)) || (rc = db_bind_i64(s, 3, (int64_t)c->valid)) ||
            (rc = db_bind_i64(s, 4, (int64_t)c->found)) || (rc = db_bind_i64(s, 5, (int64_t)c->not_found)) ||
            (rc = db_bind_i64(s, 6, (int64_t)c->invalid)) || (rc = db_bind_i64(s, 7, (int64_t)c->duplicate)) ||
            (rc = db_bind_i64(s, 8, (int64_t)c->tested)) || (rc = db_bind_text(s, 9, by.data, by.len)) ||
            (rc = db_bind_i64(s, 10, st->days_window)) || (rc = db_bind_i64(s, 11, st->days_count)) ||
            (rc = db_bind_i64(s, 12, time_now_ms())) || (rc = db_bind_i64(s, 13, (int64_t)c->damaged)))
            goto out;
    } else if (error) {
        if ((rc = db_bind_text(s, 2, error, strlen(error))) || (rc = db_bind_i64(s, 3, time_now_ms())))
            goto out;
    }
    if ((st || error) && (rc = db_bind_text(s, st ? 14 : 4, batch_job_node(), strlen(batch_job_node()))))
        goto out;
    rc = db_step(s, &row);
out:
    db_done(s);
    buf_release(&by);
    return rc;
}

/* run_done marks the run done and records whom it looked up (domain/batch/lookup_audit.h) in one
 * transaction: the batch never reads "done" without its lookups recorded. */
static int
run_done(struct job_run *r, const struct batch_stats *st)
{
    int rc = db_begin(r->db);
    if (rc)
        return rc;
    if ((rc = lookup_audit_batch(r->db, r->job.id, time_now_ms())) || (rc = run_finish(r, sql_done, st, NULL)) ||
        (rc = db_commit(r->db)))
        db_rollback(r->db);
    return rc;
}

static void
run_actor(const struct batch_job *job, struct actor *a)
{
    memset(a, 0, sizeof *a);
    a->kind = ACTOR_USER;
    a->id = job->user_id;
    str_copy(a->name, sizeof a->name, job->username);
    a->role = role_parse(job->role);
    a->perms = role_perms(a->role);
    str_copy(a->subdistrict, sizeof a->subdistrict, job->subdistrict);
    str_copy(a->ip, sizeof a->ip, "batch-worker");
    snprintf(a->request_id, sizeof a->request_id, "batch:%lld", (long long)job->id);
}

int
batch_job_run(struct app *app, struct db *db, int64_t id, const struct batch_job_ctl *ctl)
{
    struct job_run *r = xcalloc(1, sizeof *r);
    struct batch_source src = { run_src_open, run_src_next, run_src_close, r };
    struct batch_sink sink = { run_sink_begin, run_sink_row, r };
    struct batch_progress prog = { run_progress, r };
    struct batch_opts opts;
    struct batch_stats st;
    struct actor owner;
    struct buf why = BUF_INIT;
    char target[40], idtext[24];
    int rc;

    pthread_once(&run_sql_once, run_sql_build);
    r->app = app;
    r->db = db;
    r->ctl = ctl;
    r->strs = (struct buf)BUF_INIT;
    batch_job__page_init(&r->pg, app, db, id, false);
    if ((rc = batch_job__load(db, NULL, id, &r->job))) {
        if (rc == ERR_NOT_FOUND)
            rc = 0; /* deleted meanwhile */
        goto out;
    }
    if (strcmp(r->job.status, "running") != 0) {
        rc = 0; /* deleted or requeued meanwhile */
        goto out;
    }
    if ((rc = batch_job__exec_id(db, sql_clear_results, id)))
        goto fail;
    batch_job__target(id, target, sizeof target);
    memset(&opts, 0, sizeof opts);
    opts.days_window = r->job.days_window;
    opts.days_count = r->job.days_count;
    opts.audit_target = target;
    run_actor(&r->job, &owner);
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    log_info("batch.run", "batch", idtext, "stage", "start", NULL);
    rc = batch_run(app, db, &owner, &src, &opts, &sink, &prog, &st, &why);
    if (!rc && r->tx)
        rc = run_commit(r);
    if (r->tx) {
        db_rollback(db);
        r->tx = false;
    }
    if (r->stopped) {
        (void)batch_job__exec_id(db, sql_requeue_one, id);
        log_info("batch.run", "batch", idtext, "stage", "requeued", NULL);
        rc = ERR_UNAVAILABLE;
        goto out;
    }
    if (r->cancelled || (rc && batch_job__load(db, NULL, id, &r->job) == ERR_NOT_FOUND)) {
        log_info("batch.run", "batch", idtext, "stage", "deleted", NULL);
        rc = 0;
        goto out;
    }
    if (!rc) {
        char rows[24], read_ms[24], lookup_ms[24], write_ms[24], total_ms[24];
        rc = run_done(r, &st);
        snprintf(rows, sizeof rows, "%llu", (unsigned long long)st.counts.rows);
        snprintf(read_ms, sizeof read_ms, "%lld", (long long)((st.t.read_us + st.t.clean_us + st.t.index_us) / 1000));
        snprintf(lookup_ms, sizeof lookup_ms, "%lld", (long long)(st.t.lookup_us / 1000));
        snprintf(write_ms, sizeof write_ms, "%lld", (long long)(st.t.write_us / 1000));
        snprintf(total_ms, sizeof total_ms, "%lld", (long long)(st.t.total_us / 1000));
        log_info("batch.run", "batch", idtext, "stage", "done", "rows", rows, "read_ms", read_ms, "lookup_ms", lookup_ms,
                 "write_ms", write_ms, "total_ms", total_ms, NULL);
        goto out;
    }
    if (rc == ERR_INVALID || rc == ERR_TOO_LARGE || rc == ERR_CRYPTO) {
        /* the batch's own failure: recorded, the worker goes on */
        const char *msg = why.len ? why.data : err_message(rc);
        log_warn("batch.run", "batch", idtext, "stage", "failed", "error", err_name(rc), NULL);
        rc = run_finish(r, sql_failed, NULL, msg);
        goto out;
    }
fail:
    log_error("batch.run", "batch", idtext, "stage", "failed", "error", err_name(rc), NULL);
    (void)run_finish(r, sql_failed, NULL, "internal error");
out:
    if (r->tx)
        db_rollback(db);
    batch_job__page_release(&r->pg);
    buf_release(&r->strs);
    buf_release(&why);
    xfree(r);
    return rc;
}