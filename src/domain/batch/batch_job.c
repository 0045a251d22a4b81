/* domain/batch/batch_job.c - batches as stored objects (R4.3-R4.7; S1 rows sealed, S6 audited;
 * see batch_job.h): create (the upload read and its rows stored, sealed), get, list, rerun,
 * delete, and the worker's queue (queued, claim, recover). Not the pages read back
 * (batch_job_page.c), the export (batch_job_export.c), the run (batch_job_run.c), the
 * lookup itself (batch.c), the threads that run it (batch_worker.c), nor HTTP
 * (api/batch/batches.c).
 *
 * Rows are stored in multi-row INSERTs of JOB_INSERT_ROWS rows inside transactions of
 * JOB_TX_ROWS rows (a million rows is a few seconds on either driver and the SQLite write
 * lock is never held for long). The sealed JSON is written with json_escape
 * (batch_job__cells_encode) into buffers this file wipes.
 */
#include "domain/batch/batch_job_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/json_escape.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/batch/batch_quota.h"
#include "domain/platform/audit.h"
#include "io/table.h"

#define JOB_INSERT_ROWS 512       /* rows per multi-row INSERT (batch_rows): 2,049 parameters */
#define JOB_ROW_PARAMS 4          /* per row of batch_rows: row_no, num, id_bidx, cells */

/* --- SQL ---------------------------------------------------------------------------- */

#define JOB_COLS                                                                              \
    "id, user_id, username, role, subdistrict, status, file_name, file_format, file_bytes,"    \
    " col_id, col_name, col_phone, id_rule, header_row, ncols, nrows, days_window, days_count," \
    " data_rows, valid, found, not_found, invalid, duplicate, tested, by_status, progress_ppm,"   \
    " stage, error, runs, created_at, queued_at, started_at, finished_at, damaged, shared"

static const char sql_insert_batch[] =
    "INSERT INTO batches (user_id, username, role, subdistrict, status, file_name, file_format,"
    " file_bytes, col_id, col_name, col_phone, id_rule, header_row, days_window, days_count, created_at)"
    " VALUES (?1, ?2, ?3, ?4, 'uploading', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id";
static const char sql_insert_row[] =
    "INSERT INTO batch_rows (batch_id, row_no, num, id_bidx, cells) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_queue_uploaded[] =
    "UPDATE batches SET status = 'queued', nrows = ?2, ncols = ?3, data_rows = ?4, queued_at = ?5"
    " WHERE id = ?1 AND status = 'uploading'";
static const char sql_delete_batch[] = "DELETE FROM batches WHERE id = ?1";
static const char sql_get[] =
    "SELECT " JOB_COLS " FROM batches WHERE id = ?1 AND status <> 'uploading' AND (?2 = '' OR subdistrict = ?2)";
static const char sql_get_any[] = "SELECT " JOB_COLS " FROM batches WHERE id = ?1";
/* the list's filter (struct batch_filter): ?1 subdistrict, ?4 uploader, ?5 status, ?6/?7 range */
#define LIST_WHERE                                                                                     \
    " WHERE status <> 'uploading' AND (?1 = '' OR subdistrict = ?1) AND (?4 = '' OR username = ?4)" \
    " AND (?5 = '' OR status = ?5) AND (?6 = 0 OR created_at >= ?6) AND (?7 = 0 OR created_at < ?7)"
static const char sql_list[] =
    "SELECT " JOB_COLS " FROM batches" LIST_WHERE " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3";
static const char sql_count[] = "SELECT count(*) FROM batches" LIST_WHERE " AND ?2 = 0 AND ?3 = 0";
static const char sql_rerun[] =
    "UPDATE batches SET status = 'queued', queued_at = ?2, days_count = ?3, progress_ppm = 0, stage = '',"
    " error = '' WHERE id = ?1 AND status IN ('done', 'failed')";
static const char sql_queued[] =
    "SELECT id, queued_at, subdistrict FROM batches WHERE status = 'queued' ORDER BY queued_at, id LIMIT ?1";
static const char sql_claim[] =
    "UPDATE batches SET status = 'running', started_at = ?2, progress_ppm = 0, stage = 'read', error = '',"
    " owner = ?3, lease_until = ?4 WHERE id = ?1 AND status = 'queued'";
static const char sql_uploading[] =
    "SELECT id FROM batches WHERE status = 'uploading' AND created_at < ?1 ORDER BY id LIMIT 100";

/* Multi-row INSERTs, built once: placeholders only, never values (style: no SQL is
 * assembled from data). ?1 is the batch id in every tuple. */
static char sql_rows_multi[JOB_INSERT_ROWS * 48 + 128];
static pthread_once_t job_sql_once = PTHREAD_ONCE_INIT;

void
batch_job__sql_multi(char *out, size_t cap, const char *head, size_t rows, size_t per)
{
    struct buf b = BUF_INIT;
    int p = 2;
    buf_adds(&b, head);
    for (size_t r = 0; r < rows; r++) {
        buf_adds(&b, r ? ", (?1" : " (?1");
        for (size_t i = 0; i < per; i++)
            buf_printf(&b, ", ?%d", p++);
        buf_addch(&b, ')');
    }
    str_copy(out, cap, b.data);
    if (b.len + 1 > cap)
        out[0] = '\0'; /* cannot happen: sized above; a prepare of "" fails loudly */
    buf_release(&b);
}

static void
job_sql_build(void)
{
    batch_job__sql_multi(sql_rows_multi, sizeof sql_rows_multi,
                         "INSERT INTO batch_rows (batch_id, row_no, num, id_bidx, cells) VALUES", JOB_INSERT_ROWS,
                         JOB_ROW_PARAMS);
}


const char *
batch_job__col_text(struct db_stmt *st, int col, char *out, size_t cap)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    if (!s)
        s = "";
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

enum idno_status
batch_job__status_parse(const char *code, bool *ok)
{
    for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
        if (strcmp(code, idno_status_code((enum idno_status)i)) == 0) {
            *ok = true;
            return (enum idno_status)i;
        }
    *ok = false;
    return IDNO_EMPTY;
}

bool
batch_job__status_valid(enum idno_status s)
{
    return s == IDNO_OK || s == IDNO_FIXED || s == IDNO_CONVERTED_15;
}

static void
job_by_status_parse(const char *text, struct batch_counts *c)
{
    json_t *root = json_loads(text, 0, NULL);
    if (json_is_object(root))
        for (int i = 0; i <= IDNO_NOT_AN_ID; i++) {
            json_t *v = json_object_get(root, idno_status_code((enum idno_status)i));
            if (json_is_integer(v) && json_integer_value(v) >= 0)
                c->by_status[i] = (uint64_t)json_integer_value(v);
        }
    json_decref(root);
}

/* job_read fills out from a row of JOB_COLS. */
static void
job_read(struct db_stmt *st, struct batch_job *out)
{
    char by_status[512];
    memset(out, 0, sizeof *out);
    out->id = db_col_i64(st, 0);
    out->user_id = db_col_i64(st, 1);
    batch_job__col_text(st, 2, out->username, sizeof out->username);
    batch_job__col_text(st, 3, out->role, sizeof out->role);
    batch_job__col_text(st, 4, out->subdistrict, sizeof out->subdistrict);
    batch_job__col_text(st, 5, out->status, sizeof out->status);
    batch_job__col_text(st, 6, out->file_name, sizeof out->file_name);
    batch_job__col_text(st, 7, out->format, sizeof out->format);
    out->file_bytes = db_col_i64(st, 8);
    out->col_id = (int)db_col_i64(st, 9);
    out->col_name = (int)db_col_i64(st, 10);
    out->col_phone = (int)db_col_i64(st, 11);
    batch_job__col_text(st, 12, out->id_rule, sizeof out->id_rule);
    out->header_row = (uint64_t)db_col_i64(st, 13);
    out->ncols = (size_t)db_col_i64(st, 14);
    out->nrows = (uint64_t)db_col_i64(st, 15);
    out->days_window = (int)db_col_i64(st, 16);
    out->days_count = (int)db_col_i64(st, 17);
    out->counts.rows = (uint64_t)db_col_i64(st, 18);
    out->counts.valid = (uint64_t)db_col_i64(st, 19);
    out->counts.found = (uint64_t)db_col_i64(st, 20);
    out->counts.not_found = (uint64_t)db_col_i64(st, 21);
    out->counts.invalid = (uint64_t)db_col_i64(st, 22);
    out->counts.duplicate = (uint64_t)db_col_i64(st, 23);
    out->counts.tested = (uint64_t)db_col_i64(st, 24);
    job_by_status_parse(batch_job__col_text(st, 25, by_status, sizeof by_status), &out->counts);
    out->progress_ppm = db_col_i64(st, 26);
    batch_job__col_text(st, 27, out->stage, sizeof out->stage);
    batch_job__col_text(st, 28, out->error, sizeof out->error);
    out->runs = (int)db_col_i64(st, 29);
    out->created_at = db_col_i64(st, 30);
    out->queued_at = db_col_i64(st, 31);
    out->started_at = db_col_i64(st, 32);
    out->finished_at = db_col_i64(st, 33);
    out->counts.damaged = (uint64_t)db_col_i64(st, 34);
    out->shared = db_col_i64(st, 35) != 0;
}

int
batch_job__load(struct db *db, const struct actor *a, int64_t id, struct batch_job *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (a) {
        if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) ||
            (rc = db_bind_text(st, 2, a->subdistrict, strlen(a->subdistrict))))
            goto out;
    } else if ((rc = db_prepare(db, sql_get_any, &st)) || (rc = db_bind_i64(st, 1, id))) {
        goto out;
    }
    if ((rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    job_read(st, out);
    rc = 0;
out:
    db_done(st);
    return rc;
}

void
batch_job__target(int64_t id, char *out, size_t cap)
{
    snprintf(out, cap, "batch:%lld", (long long)id);
}

/* job_file_name keeps a user's file name when it is harmless text. */
static void
job_file_name(const char *in, char *out, size_t cap)
{
    size_t n = in ? strlen(in) : 0;
    out[0] = '\0';
    if (!n || !str_is_utf8(in, n) || str_has_ctl(in, n))
        return;
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)in[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, in, n);
    out[n] = '\0';
}

/* --- the sealed cells: a JSON array of strings ----------------------------------------- */
/* Rows waiting for a multi-row INSERT. */
struct job_rows_chunk {
    size_t n;
    uint64_t row_no[JOB_INSERT_ROWS], num[JOB_INSERT_ROWS];
    int64_t bidx[JOB_INSERT_ROWS];
    bool has_bidx[JOB_INSERT_ROWS];
    size_t off[JOB_INSERT_ROWS], len[JOB_INSERT_ROWS];
    struct buf sealed;
};

static int
job_rows_flush(struct db *db, int64_t id, struct job_rows_chunk *c)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = 0;
    if (!c->n)
        return 0;
    if (buf_error(&c->sealed))
        return ERR_TOO_LARGE;
    if (c->n == JOB_INSERT_ROWS) {
        if ((rc = db_prepare(db, sql_rows_multi, &st)) || (rc = db_bind_i64(st, 1, id)))
            goto out;
        for (size_t i = 0; i < c->n; i++) {
            int p = 2 + (int)i * JOB_ROW_PARAMS;
            if ((rc = db_bind_i64(st, p, (int64_t)c->row_no[i])) || (rc = db_bind_i64(st, p + 1, (int64_t)c->num[i])) ||
                (rc = c->has_bidx[i] ? db_bind_i64(st, p + 2, c->bidx[i]) : db_bind_null(st, p + 2)) ||
                (rc = db_bind_blob(st, p + 3, c->sealed.data + c->off[i], c->len[i])))
                goto out;
        }
        rc = db_step(st, &row);
        goto out;
    }
    for (size_t i = 0; i < c->n; i++) {
        if ((rc = db_prepare(db, sql_insert_row, &st)) || (rc = db_bind_i64(st, 1, id)) ||
            (rc = db_bind_i64(st, 2, (int64_t)c->row_no[i])) || (rc = db_bind_i64(st, 3, (int64_t)c->num[i])) ||
            (rc = c->has_bidx[i] ? db_bind_i64(st, 4, c->bidx[i]) : db_bind_null(st, 4)) ||
            (rc = db_bind_blob(st, 5, c->sealed.data + c->off[i], c->len[i])) || (rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
    }
out:
    db_done(st);
    c->n = 0;
    buf_reset(&c->sealed);
    return rc;
}

/* job_store reads the table and stores its rows; counts in *nrows, *ncols, *data_rows. */
static int
job_store(struct app *app, struct db *db, int64_t id, struct table *t, const struct columns *cols,
          uint64_t *nrows, size_t *ncols, uint64_t *data_rows, struct buf *why)
{
    struct job_rows_chunk *c = xcalloc(1, sizeof *c);
    struct buf json = BUF_INIT;
    struct table_row tr;
    char id18[IDNO_LEN + 1];
    size_t in_tx = 0, text = 0;
    bool tx = false;
    int rc;

    c->sealed = (struct buf)BUF_INIT;
    *nrows = 0;
    *ncols = 0;
    *data_rows = 0;
    while ((rc = table_next_row(t, &tr)) == 0 && tr.cells) {
        size_t i = c->n, sealed_len = 0, need;
        bool data = !cols->header_row || tr.num > cols->header_row;
        if (data && ++*data_rows > BATCH_MAX_ROWS) {
            buf_printf(why, "the file has more than %llu rows", (unsigned long long)BATCH_MAX_ROWS);
            rc = ERR_TOO_LARGE;
            goto out;
        }
        if (tr.ncells > *ncols)
            *ncols = tr.ncells;
        buf_reset(&json);
        batch_job__cells_encode(&json, tr.cells, tr.kinds, tr.ncells);
        text += json.len;
        if (buf_error(&json) || text > JOB_TEXT_CAP) {
            buf_printf(why, "the file's cells hold more than %zu MiB of text", JOB_TEXT_CAP >> 20);
            rc = ERR_TOO_LARGE;
            goto out;
        }
        need = FIELD_SEALED_LEN(json.len);
        buf_grow(&c->sealed, need);
        if (buf_error(&c->sealed)) {
            rc = ERR_TOO_LARGE;
            goto out;
        }
        c->off[i] = c->sealed.len;
        if ((rc = field_seal(&app->keys, JOB_AD_CELLS, json.data, json.len, (uint8_t *)c->sealed.data + c->sealed.len,
                             c->sealed.alloc - c->sealed.len, &sealed_len)))
            goto out;
        wipe(json.data, json.len);
        c->sealed.len += sealed_len;
        c->len[i] = sealed_len;
        c->row_no[i] = *nrows;
        c->num[i] = tr.num;
        c->has_bidx[i] = false;
        if (data && cols->id >= 0 && (size_t)cols->id < tr.ncells) {
            enum idno_status s = columns_idno(&tr, cols->id, id18); /* kinds count (io/table.h) */
            if (batch_job__status_valid(s)) {
                c->bidx[i] = blind_index(&app->keys, "idno", id18, IDNO_LEN);
                c->has_bidx[i] = true;
            }
            wipe(id18, sizeof id18);
        }
        c->n++;
        (*nrows)++;
        if (c->n == JOB_INSERT_ROWS || c->sealed.len > ((size_t)8 << 20)) {
            if (!tx) {
                if ((rc = db_begin(db)))
                    goto out;
                tx = true;
            }
            if ((rc = job_rows_flush(db, id, c)))
                goto out;
            in_tx += JOB_INSERT_ROWS; /* or fewer, for huge rows: close enough */
            if (in_tx >= JOB_TX_ROWS) {
                tx = false;
                in_tx = 0;
                if ((rc = db_commit(db)))
                    goto out;
            }
        }
    }
    if (rc) {
        buf_adds(why, table_message(t));
        goto out;
    }
    if (!tx && c->n) {
        if ((rc = db_begin(db)))
            goto out;
        tx = true;
    }
    if ((rc = job_rows_flush(db, id, c)))
        goto out;
    if (tx) {
        tx = false;
        if ((rc = db_commit(db)))
            goto out;
    }
    rc = 0;
out:
    if (tx)
        db_rollback(db);
    wipe(id18, sizeof id18);
    buf_release_secret(&json);
    buf_release(&c->sealed);
    xfree(c);
    return rc;
}

/* job_quota_left: ERR_RATE (why says so) when a's quota is already spent, before the file is read. */
static int
job_quota_left(struct db *db, const struct actor *a, struct buf *why)
{
    int64_t used = 0, limit = 0;
    int rc = batch_quota_usage(db, a, time_now_ms(), &used, &limit);
    if (!rc && used >= limit) {
        buf_printf(why, "today's batch lookup quota of %lld rows is used up", (long long)limit);
        rc = ERR_RATE;
    }
    return rc;
}

/* job_create: batch_job_create from memory (src NULL) or from a reader (p unused). */
static int
job_create(struct app *app, struct db *db, const struct actor *a, const char *file_name, const void *p,
           size_t n, const struct table_reader *src, int days_count, struct batch_job *out, struct buf *why)
{
    struct table *t = NULL;
    const struct columns *cols;
    struct db_stmt *st = NULL;
    char name[BATCH_FILE_NAME_MAX + 1], target[40], detail[128];
    const char *format;
    uint64_t nrows = 0, data_rows = 0;
    size_t ncols = 0;
    int64_t id = 0, now = time_now_ms();
    struct buf why_local = BUF_INIT;
    bool row = false;
    int rc;

    pthread_once(&job_sql_once, job_sql_build);
    if (!why)
        why = &why_local;
    if (days_count == 0)
        days_count = BATCH_DAYS_COUNT_DEFAULT;
    if (days_count < 1 || days_count > BATCH_DAYS_MAX) {
        buf_printf(why, "'days' must be from 1 to %d", BATCH_DAYS_MAX);
        rc = ERR_INVALID;
        goto out;
    }
    if (n == 0) {
        buf_adds(why, "the file is empty");
        rc = ERR_INVALID;
        goto out;
    }
    if (n > BATCH_FILE_CAP) {
        buf_printf(why, "the file may have at most %zu MiB", BATCH_FILE_CAP >> 20);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if ((rc = job_quota_left(db, a, why)))
        goto out;
    job_file_name(file_name, name, sizeof name);
    if ((rc = src ? table_open_reader(src, &t, why) : table_open_mem(p, n, &t, why)))
        goto out;
    cols = table_columns(t);
    if (cols->id < 0) {
        buf_adds(why, "no column of ID numbers found");
        rc = ERR_INVALID;
        goto out;
    }
    format = table_format(t) == TABLE_XLSX ? "xlsx" : "csv";
    if ((rc = db_prepare(db, sql_insert_batch, &st)) || (rc = db_bind_i64(st, 1, a->id)) ||
        (rc = db_bind_text(st, 2, a->name, strlen(a->name))) ||
        (rc = db_bind_text(st, 3, role_name(a->role), strlen(role_name(a->role)))) ||
        (rc = db_bind_text(st, 4, a->subdistrict, strlen(a->subdistrict))) ||
        (rc = db_bind_text(st, 5, name, strlen(name))) || (rc = db_bind_text(st, 6, format, strlen(format))) ||
        (rc = db_bind_i64(st, 7, (int64_t)n)) || (rc = db_bind_i64(st, 8, cols->id)) ||
        (rc = db_bind_i64(st, 9, cols->name)) || (rc = db_bind_i64(st, 10, cols->phone)) ||
        (rc = db_bind_text(st, 11, columns_rule_code(cols->id_rule), strlen(columns_rule_code(cols->id_rule)))) ||
        (rc = db_bind_i64(st, 12, (int64_t)cols->header_row)) ||
        (rc = db_bind_i64(st, 13, BATCH_DAYS_WINDOW_DEFAULT)) || (rc = db_bind_i64(st, 14, days_count)) ||
        (rc = db_bind_i64(st, 15, now)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_DB;
        goto out;
    }
    id = db_col_i64(st, 0);
    db_done(st);
    st = NULL;
    if ((rc = job_store(app, db, id, t, cols, &nrows, &ncols, &data_rows, why)))
        goto out;
    if (!data_rows) {
        buf_adds(why, "the file has no rows below its header");
        rc = ERR_INVALID;
        goto out;
    }
    batch_job__target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%llu bytes=%zu format=%s days=%d", (unsigned long long)data_rows, n, format,
             days_count);
    if ((rc = db_begin(db)))
        goto out;
    if ((rc = db_prepare(db, sql_queue_uploaded, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, (int64_t)nrows)) || (rc = db_bind_i64(st, 3, (int64_t)ncols)) ||
        (rc = db_bind_i64(st, 4, (int64_t)data_rows)) || (rc = db_bind_i64(st, 5, time_now_ms())) ||
        (rc = db_step(st, &row)))
        goto tx_fail;
    db_done(st);
    st = NULL;
    if ((rc = batch_quota_take(app, db, a, id, data_rows, why)) ||
        (rc = audit_append(db, &app->keys, a, "batches.upload", target, "ok", detail)) || (rc = db_commit(db)))
        goto tx_fail;
    rc = batch_job__load(db, NULL, id, out);
    goto out;
tx_fail:
    db_done(st);
    st = NULL;
    db_rollback(db);
    if (rc == ERR_RATE) /* the refusal is evidence too (issue 12) */
        (void)audit_record(db, &app->keys, a, "batches.upload", target, "denied", detail);
out:
    db_done(st);
    table_close(t);
    if (rc && id) {
        /* nothing is left behind: the rows go with the batch (ON DELETE CASCADE) */
        struct db_stmt *del = NULL;
        if (!db_prepare(db, sql_delete_batch, &del) && !db_bind_i64(del, 1, id))
            (void)db_step(del, &row);
        db_done(del);
    }
    buf_release(&why_local);
    return rc;
}

int
batch_job_create(struct app *app, struct db *db, const struct actor *a, const char *file_name,
                 const void *p, size_t n, int days_count, struct batch_job *out, struct buf *why)
{
    return job_create(app, db, a, file_name, p, n, NULL, days_count, out, why);
}

int
batch_job_create_from(struct app *app, struct db *db, const struct actor *a, const char *file_name,
                      const struct table_reader *src, int days_count, struct batch_job *out, struct buf *why)
{
    return job_create(app, db, a, file_name, NULL, (size_t)src->size, src, days_count, out, why);
}

/* --- read, list, rerun, delete ----------------------------------------------------------- */

int
batch_job_get(struct db *db, const struct actor *a, int64_t id, struct batch_job *out)
{
    return batch_job__load(db, a, id, out);
}

/* Binds the list's filter (?1, ?4-?7): a scoped actor's own subdistrict always wins. */
static int
bind_filter(struct db_stmt *st, const struct actor *a, const struct batch_filter *f)
{
    static const struct batch_filter none = { 0 };
    const char *sub, *up, *status;
    int rc;

    if (!f)
        f = &none;
    sub = a->subdistrict[0] ? a->subdistrict : f->subdistrict ? f->subdistrict : "";
    up = f->uploader ? f->uploader : "";
    status = f->status ? f->status : "";
    if ((rc = db_bind_text(st, 1, sub, strlen(sub))) || (rc = db_bind_text(st, 4, up, strlen(up))) ||
        (rc = db_bind_text(st, 5, status, strlen(status))) || (rc = db_bind_i64(st, 6, f->from)) ||
        (rc = db_bind_i64(st, 7, f->to)))
        return rc;
    return 0;
}

int
batch_job_list(struct db *db, const struct actor *a, const struct batch_filter *f, size_t limit, int64_t before,
               struct batch_job **items, size_t *n, int64_t *next)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    *items = NULL;
    *n = 0;
    *next = 0;
    if (limit < 1 || limit > BATCH_LIST_MAX)
        return ERR_INVALID;
    *items = xcalloc(limit, sizeof **items);
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = bind_filter(st, a, f)) || (rc = db_bind_i64(st, 2, before)) ||
        (rc = db_bind_i64(st, 3, (int64_t)limit + 1)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        if (*n == limit) {
            *next = (*items)[limit - 1].id;
            break;
        }
        job_read(st, &(*items)[(*n)++]);
    }
out:
    db_done(st);
    if (rc) {
        xfree(*items);
        *items = NULL;
        *n = 0;
    }
    return rc;
}

int
batch_job_count(struct db *db, const struct actor *a, const struct batch_filter *f, int64_t *total)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    *total = 0;
    if (!(rc = db_prepare(db, sql_count, &st)) && !(rc = bind_filter(st, a, f)) && !(rc = db_bind_i64(st, 2, 0)) &&
        !(rc = db_bind_i64(st, 3, 0)) && !(rc = db_step(st, &row)) && row)
        *total = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

int
batch_job_rerun(struct app *app, struct db *db, const struct actor *a, int64_t id, int days_count,
                struct batch_job *out, struct buf *why)
{
    struct batch_job cur;
    struct db_stmt *st = NULL;
    char target[40], detail[64];
    bool row = false;
    int rc;

    if ((rc = batch_job__load(db, a, id, &cur)))
        return rc;
    if (days_count == 0)
        days_count = cur.days_count;
    if (days_count < 1 || days_count > BATCH_DAYS_MAX)
        return ERR_INVALID;
    batch_job__target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%llu days=%d", (unsigned long long)cur.counts.rows, days_count);
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_rerun, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_bind_i64(st, 3, days_count)) ||
        (rc = db_step(st, &row)))
        goto fail;
    if (db_changes(st) != 1) {
        rc = ERR_CONFLICT;
        goto fail;
    }
    db_done(st);
    st = NULL;
    if ((rc = batch_quota_take(app, db, a, id, cur.counts.rows, why)) ||
        (rc = audit_append(db, &app->keys, a, "batches.rerun", target, "ok", detail)) || (rc = db_commit(db)))
        goto fail;
    return batch_job__load(db, a, id, out);
fail:
    db_done(st);
    db_rollback(db);
    if (rc == ERR_RATE)
        (void)audit_record(db, &app->keys, a, "batches.rerun", target, "denied", detail);
    return rc;
}

bool
batch_job_may_delete(const struct actor *a, const struct batch_job *j)
{
    return a->role == ROLE_DISTRICT || (a->kind == ACTOR_USER && a->id == j->user_id);
}

int
batch_job_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct batch_job cur;
    struct db_stmt *st = NULL;
    char target[40], detail[64];
    bool row = false;
    int rc;

    if ((rc = batch_job__load(db, a, id, &cur)))
        return rc;
    if (!batch_job_may_delete(a, &cur))
        return ERR_FORBIDDEN;
    batch_job__target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%llu status=%s", (unsigned long long)cur.nrows, cur.status);
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_delete_batch, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto fail;
    if (db_changes(st) != 1) {
        rc = ERR_NOT_FOUND;
        goto fail;
    }
    db_done(st);
    st = NULL;
    if ((rc = audit_append(db, &app->keys, a, "batches.delete", target, "ok", detail)) || (rc = db_commit(db)))
        goto fail;
    return 0;
fail:
    db_done(st);
    db_rollback(db);
    return rc;
}

/* --- the worker's queue ---------------------------------------------------------------- */

int
batch_job_queued(struct db *db, struct batch_queued *out, size_t cap, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *n = 0;
    if ((rc = db_prepare(db, sql_queued, &st)) || (rc = db_bind_i64(st, 1, (int64_t)cap)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && *n < cap) {
        struct batch_queued *q = &out[(*n)++];
        q->id = db_col_i64(st, 0);
        q->queued_at = db_col_i64(st, 1);
        batch_job__col_text(st, 2, q->subdistrict, sizeof q->subdistrict);
    }
out:
    db_done(st);
    return rc;
}

int
batch_job_claim(struct db *db, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    int64_t now = time_now_ms();
    const char *node = batch_job_node();
    if ((rc = db_prepare(db, sql_claim, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_bind_i64(st, 2, now)) ||
        (rc = db_bind_text(st, 3, node, strlen(node))) || (rc = db_bind_i64(st, 4, now + BATCH_LEASE_MS)) ||
        (rc = db_step(st, &row)))
        goto out;
    rc = db_changes(st) == 1 ? 0 : ERR_CONFLICT;
out:
    db_done(st);
    return rc;
}

int
batch_job__exec_id(struct db *db, const char *sql, int64_t id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_prepare(db, sql, &st);
    if (!rc && !(rc = db_bind_i64(st, 1, id)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
batch_job_recover(struct db *db, int64_t *requeued, int64_t *dropped)
{
    struct db_stmt *st = NULL;
    int64_t ids[100];
    size_t n = 0;
    bool row = false;
    int rc;

    if (requeued)
        *requeued = 0;
    if (dropped)
        *dropped = 0;
    /* SQLite has one node: everything left running or uploading is this node's. PostgreSQL:
     * only what this node left, or what a dead node left (lease or upload too old). */
    bool one = db_kind(db) == DB_SQLITE;
    int64_t now = time_now_ms();
    if ((rc = batch_job_requeue_lost(db, now, true, requeued)))
        goto out;
    do {
        n = 0;
        if ((rc = db_prepare(db, sql_uploading, &st)) ||
            (rc = db_bind_i64(st, 1, one ? INT64_MAX : now - BATCH_UPLOAD_STALE_MS)))
            goto out;
        while (!(rc = db_step(st, &row)) && row && n < 100)
            ids[n++] = db_col_i64(st, 0);
        db_done(st);
        st = NULL;
        if (rc)
            goto out;
        for (size_t i = 0; i < n; i++) {
            if ((rc = batch_job__exec_id(db, sql_delete_batch, ids[i])))
                goto out;
            if (dropped)
                (*dropped)++;
        }
    } while (n == 100);
out:
    db_done(st);
    return rc;
}
