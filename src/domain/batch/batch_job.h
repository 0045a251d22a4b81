/* domain/batch/batch_job.h - batch queries as stored objects (R4.3-R4.7): an uploaded resident
 * list, its rows sealed in the database, its status, counts and progress, re-runs,
 * exports and deletion, each visible to its subdistrict only.
 *
 * Life cycle. batch_job_create reads the upload from memory (io/table.h: .xlsx or .csv by
 * content), and stores every row - title and header rows included, in order - as one
 * sealed JSON array of its original cells (ad "batch_rows.cells"), with the blind index of
 * the row's normalised ID when it is valid. The upload itself is never written anywhere;
 * the caller wipes it. The batch is then "queued"; a worker (domain/batch/batch_worker.h) claims
 * it ("running"), runs the lookup engine (domain/batch/batch.h) over the stored rows and stores
 * each data row's status code and result columns in plain columns ("done", or "failed"
 * with a reason that never quotes a cell). batch_job_rerun queues the same rows again
 * (迭代); batch_job_export writes an .xlsx on demand (the original columns, then 状态 and
 * the result columns); batch_job_delete removes the batch, its rows and its results.
 *
 * Visibility. A batch belongs to its uploader's subdistrict ('' for a district-wide
 * account). Every function taking an actor answers ERR_NOT_FOUND - never ERR_FORBIDDEN,
 * which would confirm the id exists - for a batch outside actor_in_scope, and for one
 * still being uploaded. The route's permission (people.read) is checked by the router.
 *
 * Audit (counts only, never a cell): batches.upload, batches.rerun, batches.export,
 * batches.delete, batches.share by the user; batches.lookup by the engine for each run (as the uploader,
 * detail "rows=… valid=… found=…").
 *
 * Caps: an upload holds at most BATCH_FILE_CAP bytes and BATCH_MAX_ROWS data rows (the
 * reader's own caps, io/table.h, apply too), so 1,000,000 rows of ID, name and phone fit
 * in either format with room to spare (measured: 26.7 MB as .xlsx with four text columns
 * in shared strings, 47 MB as CSV).
 */
#ifndef JY_DOMAIN_BATCH_JOB_H
#define JY_DOMAIN_BATCH_JOB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/idno.h"
#include "domain/platform/app.h"
#include "domain/batch/batch.h"
#include "io/xlsxw.h"

#define BATCH_FILE_CAP ((size_t)64 << 20)  /* bytes of one uploaded file */
#define BATCH_FILE_NAME_MAX 255            /* bytes; longer names are cut */
#define BATCH_LIST_MAX 100
#define BATCH_PROGRESS_ONE 1000000         /* progress_ppm of a finished run */

/* Row filters of an export. */
enum batch_export_rows {
    BATCH_EXPORT_ALL,       /* every row */
    BATCH_EXPORT_NOT_FOUND, /* data rows with a valid ID (first occurrences) not found */
    BATCH_EXPORT_INVALID,   /* data rows whose ID was rejected (bad_checksum … not_an_id) */
};

/* A batch as stored. Strings are NUL-terminated copies. counts are the last finished
 * run's (zero before the first); by_status is filled too. */
struct batch_job {
    int64_t id, user_id;
    char username[64], role[16], subdistrict[16];
    char status[16];        /* queued | running | done | failed (uploading is never shown) */
    char file_name[BATCH_FILE_NAME_MAX + 1];
    char format[8];         /* xlsx | csv */
    int64_t file_bytes;
    int col_id, col_name, col_phone;
    char id_rule[16];       /* header | content */
    uint64_t header_row;    /* table_row.num of the header row, 0 = none */
    size_t ncols;           /* widest row, in cells */
    uint64_t nrows;         /* stored rows, title and header rows included */
    int days_window, days_count;
    struct batch_counts counts;
    int64_t progress_ppm;   /* 0..BATCH_PROGRESS_ONE */
    char stage[16];         /* read | lookup | write while running, else "" */
    char error[256];
    int runs;
    int64_t created_at, queued_at, started_at, finished_at;
    bool shared;            /* the uploader shares the uploaded cells with the subdistrict */
};

/* batch_job_create stores the upload p[0..n) (xlsx or csv) named file_name (user text,
 * kept as given when it is UTF-8 without control characters, else ""; cut at
 * BATCH_FILE_NAME_MAX bytes; never logged) for actor a, with the count window days_count
 * (0 = BATCH_DAYS_COUNT_DEFAULT) and queues it. On success *out is the queued batch.
 * Errors: ERR_INVALID (empty or unreadable file, no ID column, days out of range),
 * ERR_RATE (a's lookup quota, domain/batch/batch_quota.h, spent or passed by this batch), and
 * ERR_TOO_LARGE (over BATCH_FILE_CAP or BATCH_MAX_ROWS, or a reader cap), each with one
 * line of English appended to why (never cell contents); ERR_DB, ERR_CRYPTO. Nothing is
 * left behind on failure. The caller wipes p afterwards. Blocks for the whole storing
 * (a few seconds for a million rows). */
int batch_job_create(struct app *app, struct db *db, const struct actor *a, const char *file_name,
                     const void *p, size_t n, int days_count, struct batch_job *out, struct buf *why);
/* batch_job_create_from is batch_job_create reading the upload through src (io/table.h), so
 * a large upload is never held whole in memory (a sealed temporary file, http/form.h). */
struct table_reader;
int batch_job_create_from(struct app *app, struct db *db, const struct actor *a, const char *file_name,
                          const struct table_reader *src, int days_count, struct batch_job *out, struct buf *why);

/* batch_job_get loads batch id as a may see it (ERR_NOT_FOUND otherwise). */
int batch_job_get(struct db *db, const struct actor *a, int64_t id, struct batch_job *out);

/* batch_filter narrows a list (issue 14 filter bar); NULL or empty/0 fields = no filter.
 * subdistrict applies to a district-wide actor only (a scoped actor always sees its own
 * subdistrict, whatever is asked); uploader is the uploader's username, status one of
 * queued|running|done|failed, from/to a created_at range in ms ([from, to), 0 = open). */
struct batch_filter {
    const char *subdistrict, *uploader, *status;
    int64_t from, to;
};

/* batch_job_list returns up to limit (1..BATCH_LIST_MAX) batches a may see that match f,
 * newest first, with id < before (0 = from the newest). *items is an xmalloc'd array (free
 * with xfree), *n its length; *next is the id to pass as before for the next page, 0 at the end. */
int batch_job_list(struct db *db, const struct actor *a, const struct batch_filter *f, size_t limit,
                   int64_t before, struct batch_job **items, size_t *n, int64_t *next);

/* batch_job_count counts the batches a may see that match f (those batch_job_list pages
 * through) into *total. Storage errors as db.h. */
int batch_job_count(struct db *db, const struct actor *a, const struct batch_filter *f, int64_t *total);

/* batch_job_rerun queues a done or failed batch again, with days_count (0 = keep its
 * own), and returns it in *out. ERR_CONFLICT while it is queued or running; ERR_RATE when
 * its rows would pass a's lookup quota (domain/batch/batch_quota.h; why, may be NULL, says so). */
int batch_job_rerun(struct app *app, struct db *db, const struct actor *a, int64_t id, int days_count,
                    struct batch_job *out, struct buf *why);

/* Owner-only cells (issue 12). The uploaded cells of a batch - names, phones, the full ID
 * numbers - leave the server only in an export, and batch_job_export is the uploader's
 * alone unless the uploader shared the batch; everyone else in scope sees the batch, its
 * counts and its rows with masked IDs only (batch_job_rows), and an export answers
 * ERR_FORBIDDEN (audited "denied"). The system actor (the console) may always export.
 * batch_job_may_export says whether a may; batch_job_share sets the flag, uploader only
 * (ERR_FORBIDDEN otherwise, ERR_NOT_FOUND out of scope), audited batches.share. */
bool batch_job_may_export(const struct actor *a, const struct batch_job *j);
bool batch_job_is_owner(const struct actor *a, const struct batch_job *j);
int batch_job_share(struct app *app, struct db *db, const struct actor *a, int64_t id, bool shared,
                    struct batch_job *out);

/* One row of batch_job_rows: no name, no phone, the ID masked. */
#define BATCH_ROWS_MAX 100
struct batch_job_row_view {
    uint64_t row_no, num;       /* stored row index; the row number the user sees */
    char status[24];            /* core/idno.h stable code */
    char masked_id[IDNO_LEN + 1]; /* "110102********1234"; other text cut to 3 + stars + 2 */
};

/* batch_job_result_mac_backfill gives the batch results stored before migration 0028 their
 * row MAC (issue 12; `jiayuan verify`), then a missing MAC reads as damaged; *done counts. */
int batch_job_result_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done);

/* batch_job_rows reads up to limit (1..BATCH_ROWS_MAX) results of done batch id as a may see
 * it, status = a row status code (core/idno.h) or ""/NULL for all, from row_no from on,
 * into out[limit]. *total counts the matching rows, *next is the from of the next page
 * (0 = none). Audited as batches.rows. ERR_INVALID (unknown status, bad limit),
 * ERR_NOT_FOUND, ERR_CONFLICT (not done), ERR_CRYPTO, ERR_DB. */
int batch_job_rows(struct app *app, struct db *db, const struct actor *a, int64_t id, const char *status,
                   uint64_t from, size_t limit, struct batch_job_row_view *out, size_t *n, int64_t *total,
                   uint64_t *next);

/* batch_job_may_delete: only the uploader or a district account (role district) may delete
 * a batch (issue 14 "Roles"); the list and detail say so with can_delete. */
bool batch_job_may_delete(const struct actor *a, const struct batch_job *j);

/* batch_job_delete removes the batch, its rows and its results. A run in progress notices
 * (its next progress check finds the batch gone) and stops without a trace. ERR_FORBIDDEN
 * (nothing changed) when batch_job_may_delete says no. */
int batch_job_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);

/* batch_job_export writes batch id (done only: ERR_CONFLICT otherwise) as .xlsx to dest
 * (created mode 0600 by io/xlsxw.h, which writes no other file): the original rows with
 * their original cells as text, each data row followed by 状态 and the result columns of
 * domain/batch/batch.h; title rows as they were, the header row (or, without one, a first
 * row) naming the appended columns; past Excel's row limit rows continue on a further
 * sheet under the same header. rows filters the data rows; title and header rows are
 * always written. *written (may be NULL) receives the data rows written. The file holds
 * plaintext: the server writes it to a sealed sink (api/api.h api__xlsx_new), the command
 * line to the file the user names. Audited as batches.export. */
int batch_job_export(struct app *app, struct db *db, const struct actor *a, int64_t id,
                     enum batch_export_rows rows, const struct xlsxw_dest *dest, uint64_t *written);

/* batch_job_export_rows_parse maps "all", "not_found", "invalid" (NULL = "all");
 * ERR_INVALID otherwise. batch_job_export_rows_code is the reverse. */
int batch_job_export_rows_parse(const char *s, enum batch_export_rows *out);
const char *batch_job_export_rows_code(enum batch_export_rows rows);

/* --- for the worker (domain/batch/batch_worker.h) ------------------------------------------ */

/* A queued batch, as the scheduler sees it. */
struct batch_queued {
    int64_t id, queued_at;
    char subdistrict[16];
};

/* batch_job_queued lists up to cap queued batches, oldest first. */
int batch_job_queued(struct db *db, struct batch_queued *out, size_t cap, size_t *n);
/* batch_job_claim moves batch id from queued to running, owned by this node (batch_job_node)
 * with a lease of BATCH_LEASE_MS; ERR_CONFLICT when someone else claimed it first (or it
 * is gone). The conditional UPDATE is the claim: of two nodes racing, one changes the row,
 * the other (blocked on its row lock, then re-checking status) changes nothing. */
int batch_job_claim(struct db *db, int64_t id);

/* Several nodes on one PostgreSQL database (issue 13). A node names itself once (serve:
 * "<host>/<listen address>", stable across restarts; default "<host>/pid-<pid>"); a running
 * batch records its node and a lease the node renews (batch_job_renew, every
 * BATCH_LEASE_MS / 3, by the batch worker). A batch whose lease ran out - its node died - is
 * queued again by any node (batch_job_requeue_lost) and run from its stored rows by
 * whichever claims it; the node that lost it, if it was only stalled, sees at its next
 * progress check that the batch is no longer its own and stops without writing. */
#define BATCH_LEASE_MS (30LL * 1000)
#define BATCH_UPLOAD_STALE_MS (60LL * 60 * 1000) /* PostgreSQL: an unfinished upload this old is dropped */
void batch_job_set_node(const char *node);
const char *batch_job_node(void);
/* batch_job_requeue_lost queues again the running batches whose lease ran out before now,
 * and with mine (at start-up) also this node's own; on SQLite (one node) every running
 * batch. *requeued (may be NULL) gets the count. */
int batch_job_requeue_lost(struct db *db, int64_t now, bool mine, int64_t *requeued);
/* batch_job_renew extends the lease of every batch this node runs to now + BATCH_LEASE_MS. */
int batch_job_renew(struct db *db, int64_t now, int64_t *renewed);

/* Control of a run: stop (may be NULL) is polled a few times a second; when it answers
 * true the run ends and the batch goes back to the queue. */
struct batch_job_ctl {
    bool (*stop)(void *arg);
    void *arg;
};

/* batch_job_run runs claimed batch id to the end: results replaced, counts, status done
 * or failed (with the engine's message), progress kept up to date. Returns 0 when the
 * batch is done, failed (a bad upload is the batch's failure, not the worker's), or was
 * deleted meanwhile; ERR_UNAVAILABLE when ctl asked to stop (the batch is queued again);
 * an ERR_* when the database failed (the batch is marked failed when possible). */
int batch_job_run(struct app *app, struct db *db, int64_t id, const struct batch_job_ctl *ctl);

/* batch_job_recover readies storage after a restart: batches left running are queued
 * again (*requeued), uploads that never finished are removed (*dropped). Either count
 * pointer may be NULL. NEEDSWORK: assumes one server per database; with several nodes
 * sharing PostgreSQL it would requeue another node's live run. */
int batch_job_recover(struct db *db, int64_t *requeued, int64_t *dropped);

#endif
