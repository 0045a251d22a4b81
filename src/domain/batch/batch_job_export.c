/* domain/batch/batch_job_export.c - batch_job_export (R4.3-R4.7, S6 audited; see
 * batch_job.h): a done batch's stored rows and results written as .xlsx with io/xlsxw.h,
 * the same writer and the same cell kinds as `jiayuan batch` (cli/batch.c): the user's
 * cells as text, 状态 and the result words as shared strings, times as text, the count as a
 * number. Not the reading of the rows (batch_job_page.c) nor HTTP (api/batch/batches.c).
 */
#include "domain/batch/batch_job_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"
#include "domain/platform/audit.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define EXPORT_COL_WIDTH 18
#define EXPORT_THREADS_MAX 2      /* deflating threads of one export */

int
batch_job_export_rows_parse(const char *s, enum batch_export_rows *out)
{
    if (!s || strcmp(s, "all") == 0)
        *out = BATCH_EXPORT_ALL;
    else if (strcmp(s, "not_found") == 0)
        *out = BATCH_EXPORT_NOT_FOUND;
    else if (strcmp(s, "invalid") == 0)
        *out = BATCH_EXPORT_INVALID;
    else
        return ERR_INVALID;
    return 0;
}

const char *
batch_job_export_rows_code(enum batch_export_rows rows)
{
    return rows == BATCH_EXPORT_NOT_FOUND ? "not_found" : rows == BATCH_EXPORT_INVALID ? "invalid" : "all";
}

/* The export's writer: the xlsx, its current sheet, the header to repeat on a new sheet. */
struct export_xw {
    struct xlsxw *w;
    int sheet;
    struct xlsxw_cell *cells; /* ncols + BATCH_RESULT_COLS */
    size_t width;             /* ncols + BATCH_RESULT_COLS */
    struct buf header;        /* the header row's cells, NUL-separated */
    struct str *header_strs;
    bool header_done;
};

/* export_widths sets the columns' widths of the current sheet (before any row of it). */
static int
export_widths(struct export_xw *x)
{
    int rc = 0;
    for (size_t c = 0; !rc && c < x->width; c++)
        rc = xlsxw_set_width(x->w, c, EXPORT_COL_WIDTH);
    return rc;
}

static int
export_row(struct export_xw *x, size_t n)
{
    int rc = xlsxw_row(x->w, x->cells, n);
    if (rc != ERR_TOO_LARGE || xlsxw_rows(x->w) < XLSXW_MAX_ROWS)
        return rc;
    /* Excel's row limit: the rows go on in a further sheet, under the same header */
    char name[32];
    snprintf(name, sizeof name, "结果%d", ++x->sheet);
    if ((rc = xlsxw_add_sheet(x->w, name)) || (rc = export_widths(x)) ||
        (rc = xlsxw_header(x->w, x->header_strs, x->width)))
        return rc;
    return xlsxw_row(x->w, x->cells, n);
}

/* export_header writes the user's header names, then ours, and keeps them for a further
 * sheet. */
static int
export_header(struct export_xw *x, const struct batch_job *job, const struct str *cells, size_t ncells)
{
    size_t off[TABLE_MAX_COLS];
    for (size_t c = 0; c < job->ncols && c < TABLE_MAX_COLS; c++) {
        off[c] = x->header.len;
        if (c < ncells)
            buf_add(&x->header, cells[c].p, cells[c].n);
        buf_addch(&x->header, '\0');
    }
    if (buf_error(&x->header))
        return ERR_TOO_LARGE;
    for (size_t c = 0; c < job->ncols && c < TABLE_MAX_COLS; c++)
        x->header_strs[c] = (struct str){ x->header.data + off[c], strlen(x->header.data + off[c]) };
    x->header_done = true;
    return xlsxw_header(x->w, x->header_strs, x->width);
}

/* export_data writes one data row unless rows filters it out; *written counts it. */
static int
export_data(struct export_xw *x, const struct batch_job *job, const struct batch_job_page *pg,
            const struct batch_job_page_row *r, enum batch_export_rows rows, uint64_t *written)
{
    const struct str *cells = pg->strs + r->first;
    bool known = false;
    enum idno_status s = r->has_result ? batch_job__status_parse(r->status, &known) : IDNO_EMPTY;
    bool valid = known && batch_job__status_valid(s);
    bool rejected = known && !valid && s != IDNO_DUPLICATE;
    int rc;

    if (rows == BATCH_EXPORT_NOT_FOUND && !(valid && !r->found && !r->damaged)) /* damaged is not not found */
        return 0;
    if (rows == BATCH_EXPORT_INVALID && !rejected)
        return 0;
    struct batch_result res = { r->found, r->tested, r->tests, r->sampled_at, r->tested_at,
                                pg->meta.data + r->inst_off, pg->meta.data + r->result_off,
                                pg->meta.data + r->site_code_off, pg->meta.data + r->site_name_off,
                                r->damaged };
    struct batch_row br = { BATCH_ROW_DATA, r->num, *written, cells, r->ncells, job->col_id, s,
                            (uint64_t)r->first_num, (known && !rejected && r->has_result) ? &res : NULL };
    struct batch_text tb;
    struct str out[BATCH_RESULT_COLS];
    batch_row_text(&br, &tb, out);
    if (!known)
        out[BATCH_COL_STATUS] = out[BATCH_COL_STATUS_CODE] = (struct str){ "", 0 };
    for (size_t c = 0; c < job->ncols; c++)
        x->cells[c] = c < r->ncells ? XLSXW_TEXT_CELL(cells[c]) : XLSXW_EMPTY_CELL;
    for (size_t c = 0; c < BATCH_RESULT_COLS; c++) {
        struct xlsxw_cell *cell = &x->cells[job->ncols + c];
        if (c == BATCH_COL_COUNT && br.result && out[c].n)
            *cell = XLSXW_NUMBER_CELL((double)r->tests);
        else if (c == BATCH_COL_SAMPLED_AT || c == BATCH_COL_TESTED_AT)
            *cell = XLSXW_TEXT_CELL(out[c]);
        else
            *cell = XLSXW_SHARED_CELL(out[c]); /* a few words repeated down the column */
    }
    if ((rc = export_row(x, x->width)))
        return rc;
    (*written)++;
    return 0;
}

/* export_write writes every row of the batch to x. */
static int
export_write(struct export_xw *x, const struct batch_job *job, struct batch_job_page *pg,
             enum batch_export_rows rows, uint64_t *written)
{
    const struct batch_job_page_row *r;
    int rc;

    if (!job->header_row && (rc = xlsxw_header(x->w, x->header_strs, x->width)))
        return rc;
    x->header_done = !job->header_row;
    while (!(rc = batch_job__page_next(pg, &r)) && r) {
        const struct str *cells = pg->strs + r->first;
        bool title = job->header_row && r->num < job->header_row;
        bool header = job->header_row && r->num == job->header_row;
        if (header && !x->header_done) {
            if ((rc = export_header(x, job, cells, r->ncells)))
                return rc;
        } else if (title || header) {
            for (size_t c = 0; c < r->ncells; c++)
                x->cells[c] = XLSXW_TEXT_CELL(cells[c]);
            if ((rc = export_row(x, r->ncells)))
                return rc;
        } else if ((rc = export_data(x, job, pg, r, rows, written))) {
            return rc;
        }
    }
    return rc;
}

int
batch_job_export(struct app *app, struct db *db, const struct actor *a, int64_t id, enum batch_export_rows rows,
                 const struct xlsxw_dest *dest, uint64_t *written)
{
    struct batch_job job;
    struct batch_job_page pg;
    struct export_xw x;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct xlsxw_opts opts = { ncpu >= EXPORT_THREADS_MAX ? EXPORT_THREADS_MAX : 0 };
    struct str names[BATCH_RESULT_COLS];
    char namebuf[48], target[40], detail[96];
    uint64_t n_written = 0;
    int rc;

    memset(&x, 0, sizeof x);
    x.header = (struct buf)BUF_INIT;
    batch_job__page_init(&pg, app, db, id, true);
    if (written)
        *written = 0;
    if ((rc = batch_job__load(db, a, id, &job)))
        goto out;
    if (!batch_job_may_export(a, &job)) {
        /* issue 12: the uploaded cells are the uploader's unless shared */
        batch_job__target(id, target, sizeof target);
        (void)audit_record(db, &app->keys, a, "batches.export", target, "denied", "not shared");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if (strcmp(job.status, "done") != 0) {
        rc = ERR_CONFLICT;
        goto out;
    }
    x.width = job.ncols + BATCH_RESULT_COLS;
    x.cells = xcalloc(x.width, sizeof *x.cells);
    x.header_strs = xcalloc(x.width, sizeof *x.header_strs);
    x.sheet = 1;
    batch_col_names(job.days_count, names, namebuf, sizeof namebuf);
    for (size_t c = 0; c < x.width; c++)
        x.header_strs[c] = c < job.ncols ? (struct str){ "", 0 } : names[c - job.ncols];
    if ((rc = xlsxw_open_dest(dest, "结果", &opts, &x.w)) || (rc = export_widths(&x)) ||
        (rc = export_write(&x, &job, &pg, rows, &n_written)))
        goto out;
    rc = xlsxw_close(x.w);
    x.w = NULL;
    if (rc)
        goto out;
    batch_job__target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%s written=%llu", batch_job_export_rows_code(rows),
             (unsigned long long)n_written);
    if ((rc = audit_record(db, &app->keys, a, "batches.export", target, "ok", detail)) ||
        (rc = batch_job__page_audit_damage(&pg, a))) {
        if (dest->path)
            (void)unlink(dest->path); /* a sink's owner discards it on the error */
        goto out;
    }
    if (written)
        *written = n_written;
out:
    xlsxw_free(x.w); /* removes the file on failure */
    if (rc)
        (void)batch_job__page_audit_damage(&pg, a); /* what was read before the failure */
    batch_job__page_release(&pg);
    buf_release_secret(&x.header);
    xfree(x.cells);
    xfree(x.header_strs);
    return rc;
}
