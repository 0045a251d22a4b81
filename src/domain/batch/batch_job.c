/* domain/batch/batch_job.c - batches as stored objects (R4.3-R4.7; S1 rows sealed, S6 audited;
 * see batch_job.h). Not the lookup itself (domain/batch/batch.c), nor the threads that run it
 * (domain/batch/batch_worker.c), nor HTTP (api/batches.c).
 *
 * Rows are stored and read in pages: multi-row INSERTs of JOB_INSERT_ROWS rows inside
 * transactions of JOB_TX_ROWS rows (a million rows is a few seconds on either driver and
 * the SQLite write lock is never held for long), and pages of JOB_PAGE_ROWS rows read back,
 * opened and decoded, so no statement stays open across the engine's callbacks and the
 * plaintext of at most one page is in memory (wiped when the page is refilled). The sealed
 * JSON is written and read here with json_escape and a small decoder rather than jansson,
 * so every plaintext byte lives in buffers this file wipes.
 */
#include "domain/batch/batch_job.h"

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
#include "domain/platform/audit.h"
#include "io/xlsxw.h"

#define JOB_AD_CELLS "batch_rows.cells"
#define JOB_INSERT_ROWS 512       /* rows per multi-row INSERT (batch_rows): 2,049 parameters */
#define JOB_RESULT_ROWS 256       /* rows per multi-row INSERT (batch_results): 3,073 */
#define JOB_TX_ROWS 8192          /* rows per transaction while storing */
#define JOB_PAGE_ROWS 1024        /* rows per page read back */
#define JOB_TEXT_CAP ((size_t)1 << 30) /* bytes of cell text in one upload (JSON): a 64 MiB
                                          .xlsx may inflate to far more than is sane to keep */
#define JOB_PROGRESS_MS 300       /* progress written / cancellation checked this often */
#define JOB_ROW_PARAMS 4          /* per row of batch_rows: row_no, num, id_bidx, cells */
#define JOB_RESULT_PARAMS 12      /* per row of batch_results */

/* --- SQL ---------------------------------------------------------------------------- */

#define JOB_COLS                                                                              \
    "id, user_id, username, role, subdistrict, status, file_name, file_format, file_bytes,"    \
    " col_id, col_name, col_phone, id_rule, header_row, ncols, nrows, days_window, days_count," \
    " data_rows, valid, found, not_found, invalid, duplicate, tested, by_status, progress_ppm,"   \
    " stage, error, runs, created_at, queued_at, started_at, finished_at"

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
static const char sql_list[] =
    "SELECT " JOB_COLS " FROM batches WHERE status <> 'uploading' AND (?1 = '' OR subdistrict = ?1)"
    " AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3";
static const char sql_rerun[] =
    "UPDATE batches SET status = 'queued', queued_at = ?2, days_count = ?3, progress_ppm = 0, stage = '',"
    " error = '' WHERE id = ?1 AND status IN ('done', 'failed')";
static const char sql_queued[] =
    "SELECT id, queued_at, subdistrict FROM batches WHERE status = 'queued' ORDER BY queued_at, id LIMIT ?1";
static const char sql_claim[] =
    "UPDATE batches SET status = 'running', started_at = ?2, progress_ppm = 0, stage = 'read', error = ''"
    " WHERE id = ?1 AND status = 'queued'";
static const char sql_status[] = "SELECT status FROM batches WHERE id = ?1";
static const char sql_progress[] =
    "UPDATE batches SET progress_ppm = ?2, stage = ?3 WHERE id = ?1 AND status = 'running'";
static const char sql_clear_results[] = "DELETE FROM batch_results WHERE batch_id = ?1";
static const char sql_insert_result[] =
    "INSERT INTO batch_results (batch_id, row_no, status, first_num, found, tested, tests, sampled_at,"
    " tested_at, institution, result, site_code, site_name)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char sql_done[] =
    "UPDATE batches SET status = 'done', data_rows = ?2, valid = ?3, found = ?4, not_found = ?5, invalid = ?6,"
    " duplicate = ?7, tested = ?8, by_status = ?9, days_window = ?10, days_count = ?11, progress_ppm = 1000000,"
    " stage = '', error = '', runs = runs + 1, finished_at = ?12 WHERE id = ?1 AND status = 'running'";
static const char sql_failed[] =
    "UPDATE batches SET status = 'failed', error = ?2, progress_ppm = 0, stage = '', runs = runs + 1,"
    " finished_at = ?3 WHERE id = ?1 AND status = 'running'";
static const char sql_requeue_one[] =
    "UPDATE batches SET status = 'queued', progress_ppm = 0, stage = '' WHERE id = ?1 AND status = 'running'";
static const char sql_requeue_all[] =
    "UPDATE batches SET status = 'queued', progress_ppm = 0, stage = '' WHERE status = 'running'";
static const char sql_uploading[] = "SELECT id FROM batches WHERE status = 'uploading' ORDER BY id LIMIT 100";
static const char sql_page_rows[] =
    "SELECT row_no, num, cells FROM batch_rows WHERE batch_id = ?1 AND row_no >= ?2 ORDER BY row_no LIMIT ?3";
/* The results of a page's rows, read apart from the rows and merged by row_no: a join
 * of the two tables, paged, leaves PostgreSQL's planner sorting all of a fresh batch's
 * results for every page (statistics say the table is empty). */
static const char sql_page_results[] =
    "SELECT row_no, status, first_num, found, tested, tests, sampled_at, tested_at, institution, result,"
    " site_code, site_name FROM batch_results WHERE batch_id = ?1 AND row_no >= ?2 AND row_no <= ?3"
    " ORDER BY row_no";

/* Multi-row INSERTs, built once: placeholders only, never values (style: no SQL is
 * assembled from data). ?1 is the batch id in every tuple. */
static char sql_rows_multi[JOB_INSERT_ROWS * 48 + 128];
static char sql_results_multi[JOB_RESULT_ROWS * 112 + 256];
static pthread_once_t job_sql_once = PTHREAD_ONCE_INIT;

static void
job_sql_build_one(char *out, size_t cap, const char *head, size_t rows, size_t per)
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
    job_sql_build_one(sql_rows_multi, sizeof sql_rows_multi,
                      "INSERT INTO batch_rows (batch_id, row_no, num, id_bidx, cells) VALUES", JOB_INSERT_ROWS,
                      JOB_ROW_PARAMS);
    job_sql_build_one(sql_results_multi, sizeof sql_results_multi,
                      "INSERT INTO batch_results (batch_id, row_no, status, first_num, found, tested, tests,"
                      " sampled_at, tested_at, institution, result, site_code, site_name) VALUES",
                      JOB_RESULT_ROWS, JOB_RESULT_PARAMS);
}

/* --- helpers -------------------------------------------------------------------------- */

static const char *
job_col_text(struct db_stmt *st, int col, char *out, size_t cap)
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

static enum idno_status
job_status_parse(const char *code, bool *ok)
{
    for (int i = 0; i <= IDNO_NOT_AN_ID; i++)
        if (strcmp(code, idno_status_code((enum idno_status)i)) == 0) {
            *ok = true;
            return (enum idno_status)i;
        }
    *ok = false;
    return IDNO_EMPTY;
}

static bool
job_status_valid(enum idno_status s)
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
    job_col_text(st, 2, out->username, sizeof out->username);
    job_col_text(st, 3, out->role, sizeof out->role);
    job_col_text(st, 4, out->subdistrict, sizeof out->subdistrict);
    job_col_text(st, 5, out->status, sizeof out->status);
    job_col_text(st, 6, out->file_name, sizeof out->file_name);
    job_col_text(st, 7, out->format, sizeof out->format);
    out->file_bytes = db_col_i64(st, 8);
    out->col_id = (int)db_col_i64(st, 9);
    out->col_name = (int)db_col_i64(st, 10);
    out->col_phone = (int)db_col_i64(st, 11);
    job_col_text(st, 12, out->id_rule, sizeof out->id_rule);
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
    job_by_status_parse(job_col_text(st, 25, by_status, sizeof by_status), &out->counts);
    out->progress_ppm = db_col_i64(st, 26);
    job_col_text(st, 27, out->stage, sizeof out->stage);
    job_col_text(st, 28, out->error, sizeof out->error);
    out->runs = (int)db_col_i64(st, 29);
    out->created_at = db_col_i64(st, 30);
    out->queued_at = db_col_i64(st, 31);
    out->started_at = db_col_i64(st, 32);
    out->finished_at = db_col_i64(st, 33);
}

static int
job_load(struct db *db, const struct actor *a, int64_t id, struct batch_job *out)
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

static void
job_target(int64_t id, char *out, size_t cap)
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

/* The strings, then, only when a cell is not a plain value, an array of the cell kinds
 * (io/table.h enum table_cell_kind): ["a","",[0,2]]. */
static void
cells_encode(struct buf *b, const struct str *cells, const uint8_t *kinds, size_t n)
{
    bool plain = true;
    buf_addch(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addch(b, ',');
        json_escape(b, cells[i].p); /* cells are NUL-terminated (io/table.h) */
        plain &= kinds[i] == TABLE_CELL_VALUE;
    }
    for (size_t i = 0; !plain && i < n; i++)
        buf_printf(b, "%s%u", i ? "," : ",[", (unsigned)kinds[i]);
    buf_adds(b, plain ? "]" : "]]");
}

static int
cells_hex(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void
cells_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(b, u, n);
}

/* One decoded cell: offset and length in the page text. */
struct job_cell {
    size_t off, len;
    uint8_t kind; /* io/table.h enum table_cell_kind */
};

/* cells_kinds parses the kinds array at p[*i] for the cells [first, n) just decoded. */
static int
cells_kinds(const char *p, size_t end, size_t *i, struct job_cell *cells, size_t first, size_t n)
{
    size_t k = first;
    (*i)++;
    while (*i < end && k < n && p[*i] >= '0' && p[*i] <= '3') {
        cells[k++].kind = (uint8_t)(p[(*i)++] - '0');
        if (*i < end && p[*i] == ',')
            (*i)++;
    }
    if (k != n || *i + 1 != end || p[*i] != ']')
        return ERR_CRYPTO;
    *i = end;
    return 0;
}

/* cells_decode parses p[0..n) (what cells_encode wrote) appending each cell's text and a
 * NUL to text and its place to *cells (grown; *ncells used of *cap). ERR_CRYPTO when malformed:
 * the sealed value opened, so it can only be damaged storage. */
static int
cells_decode(const char *p, size_t n, struct buf *text, struct job_cell **cells, size_t *ncells, size_t *cap)
{
    size_t i = 0, first = *ncells;
    if (n < 2 || p[0] != '[' || p[n - 1] != ']')
        return ERR_CRYPTO;
    i = 1;
    if (i == n - 1)
        return 0;
    for (;;) {
        if (p[i] == '[' && *ncells > first)
            return cells_kinds(p, n - 1, &i, *cells, first, *ncells);
        if (p[i] != '"')
            return ERR_CRYPTO;
        i++;
        if (*ncells == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *cells = xrealloc(*cells, *cap * sizeof **cells);
        }
        struct job_cell *c = &(*cells)[(*ncells)++];
        c->off = text->len;
        c->kind = TABLE_CELL_VALUE;
        while (i < n - 1 && p[i] != '"') {
            if (p[i] != '\\') {
                size_t j = i;
                while (j < n - 1 && p[j] != '"' && p[j] != '\\')
                    j++;
                buf_add(text, p + i, j - i);
                i = j;
                continue;
            }
            if (i + 1 >= n - 1)
                return ERR_CRYPTO;
            char e = p[i + 1];
            i += 2;
            switch (e) {
            case '"': buf_addch(text, '"'); break;
            case '\\': buf_addch(text, '\\'); break;
            case '/': buf_addch(text, '/'); break;
            case 'b': buf_addch(text, '\b'); break;
            case 'f': buf_addch(text, '\f'); break;
            case 'n': buf_addch(text, '\n'); break;
            case 'r': buf_addch(text, '\r'); break;
            case 't': buf_addch(text, '\t'); break;
            case 'u': {
                unsigned cp, lo;
                if (i + 4 > n - 1 || cells_hex(p + i, &cp))
                    return ERR_CRYPTO;
                i += 4;
                if (cp >= 0xd800 && cp < 0xdc00) {
                    if (i + 6 > n - 1 || p[i] != '\\' || p[i + 1] != 'u' || cells_hex(p + i + 2, &lo) ||
                        lo < 0xdc00 || lo >= 0xe000)
                        return ERR_CRYPTO;
                    i += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if ((cp >= 0xdc00 && cp < 0xe000) || cp == 0) {
                    return ERR_CRYPTO;
                }
                cells_utf8(text, cp);
                break;
            }
            default:
                return ERR_CRYPTO;
            }
        }
        if (i >= n - 1)
            return ERR_CRYPTO;
        c->len = text->len - c->off;
        buf_addch(text, '\0');
        i++; /* the closing quote */
        if (i == n - 1)
            break;
        if (p[i] != ',')
            return ERR_CRYPTO;
        i++;
    }
    return buf_error(text) ? ERR_TOO_LARGE : 0;
}

/* --- pages of stored rows, opened -------------------------------------------------------- */

struct job_page_row {
    uint64_t row_no, num;
    size_t first, ncells;
    /* with results (export) */
    bool has_result;
    char status[20];
    int64_t first_num, sampled_at, tested_at;
    bool found, tested;
    unsigned tests;
    size_t inst_off, result_off, site_code_off, site_name_off; /* into meta */
};

struct job_page {
    struct app *app;
    struct db *db;
    int64_t batch_id;
    bool with_results;
    struct buf text;  /* plaintext cells: wiped */
    struct buf meta;  /* result strings (not personal) */
    struct job_cell *cells;
    size_t ncells, cap;
    struct str *strs; /* cells as slices, valid until the next load */
    uint8_t *kinds;   /* beside strs */
    size_t strs_cap;
    struct job_page_row *rows;
    size_t nrows, pos;
    uint64_t next_row_no;
    bool end;
    uint8_t *plain;   /* opening buffer: wiped */
    size_t plain_cap;
};

static void
job_page_init(struct job_page *pg, struct app *app, struct db *db, int64_t id, bool with_results)
{
    memset(pg, 0, sizeof *pg);
    pg->app = app;
    pg->db = db;
    pg->batch_id = id;
    pg->with_results = with_results;
    buf_init(&pg->text, JOB_TEXT_CAP);
    pg->meta = (struct buf)BUF_INIT;
    pg->rows = xcalloc(JOB_PAGE_ROWS, sizeof *pg->rows);
}

static void
job_page_wipe(struct job_page *pg)
{
    if (pg->text.alloc)
        wipe(pg->text.data, pg->text.alloc);
    buf_reset(&pg->text);
    buf_reset(&pg->meta);
    pg->ncells = 0;
    pg->nrows = 0;
    pg->pos = 0;
}

static void
job_page_rewind(struct job_page *pg)
{
    job_page_wipe(pg);
    pg->next_row_no = 0;
    pg->end = false;
}

static void
job_page_release(struct job_page *pg)
{
    job_page_wipe(pg);
    buf_release_secret(&pg->text);
    buf_release(&pg->meta);
    xfree(pg->cells);
    xfree(pg->strs);
    xfree(pg->kinds);
    xfree(pg->rows);
    if (pg->plain)
        xfree_secret(pg->plain, pg->plain_cap);
    memset(pg, 0, sizeof *pg);
}

static size_t
job_meta(struct job_page *pg, struct db_stmt *st, int col)
{
    size_t n = 0, off = pg->meta.len;
    const char *s = db_col_text(st, col, &n);
    if (s)
        buf_add(&pg->meta, s, n);
    buf_addch(&pg->meta, '\0');
    return off;
}

/* job_page_load reads the next page; pg->end when there is none. */
static int
job_page_load(struct job_page *pg)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    job_page_wipe(pg);
    if (pg->end)
        return 0;
    if ((rc = db_prepare(pg->db, sql_page_rows, &st)) ||
        (rc = db_bind_i64(st, 1, pg->batch_id)) || (rc = db_bind_i64(st, 2, (int64_t)pg->next_row_no)) ||
        (rc = db_bind_i64(st, 3, JOB_PAGE_ROWS)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct job_page_row *r = &pg->rows[pg->nrows];
        size_t n = 0, len = 0;
        const uint8_t *blob = db_col_blob(st, 2, &n);
        memset(r, 0, sizeof *r);
        r->row_no = (uint64_t)db_col_i64(st, 0);
        r->num = (uint64_t)db_col_i64(st, 1);
        if (!blob || n < FIELD_OVERHEAD) {
            rc = ERR_CRYPTO;
            goto out;
        }
        if (n - FIELD_OVERHEAD + 1 > pg->plain_cap) {
            if (pg->plain)
                xfree_secret(pg->plain, pg->plain_cap);
            pg->plain_cap = n - FIELD_OVERHEAD + 1;
            pg->plain = xmalloc(pg->plain_cap);
        }
        if ((rc = field_open(&pg->app->keys, JOB_AD_CELLS, blob, n, pg->plain, pg->plain_cap, &len)))
            goto out;
        r->first = pg->ncells;
        rc = cells_decode((const char *)pg->plain, len, &pg->text, &pg->cells, &pg->ncells, &pg->cap);
        wipe(pg->plain, len);
        if (rc)
            goto out;
        r->ncells = pg->ncells - r->first;
        pg->next_row_no = r->row_no + 1;
        pg->nrows++;
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if (pg->nrows < JOB_PAGE_ROWS)
        pg->end = true;
    if (pg->with_results && pg->nrows) {
        size_t k = 0;
        if ((rc = db_prepare(pg->db, sql_page_results, &st)) || (rc = db_bind_i64(st, 1, pg->batch_id)) ||
            (rc = db_bind_i64(st, 2, (int64_t)pg->rows[0].row_no)) ||
            (rc = db_bind_i64(st, 3, (int64_t)pg->rows[pg->nrows - 1].row_no)))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            uint64_t row_no = (uint64_t)db_col_i64(st, 0);
            while (k < pg->nrows && pg->rows[k].row_no < row_no)
                k++;
            if (k == pg->nrows || pg->rows[k].row_no != row_no)
                continue;
            struct job_page_row *r = &pg->rows[k];
            r->has_result = true;
            job_col_text(st, 1, r->status, sizeof r->status);
            r->first_num = db_col_i64(st, 2);
            r->found = db_col_i64(st, 3) != 0;
            r->tested = db_col_i64(st, 4) != 0;
            r->tests = (unsigned)db_col_i64(st, 5);
            r->sampled_at = db_col_i64(st, 6);
            r->tested_at = db_col_i64(st, 7);
            r->inst_off = job_meta(pg, st, 8);
            r->result_off = job_meta(pg, st, 9);
            r->site_code_off = job_meta(pg, st, 10);
            r->site_name_off = job_meta(pg, st, 11);
        }
        if (rc)
            goto out;
    }
    if (buf_error(&pg->meta)) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    /* slices, now that the text no longer moves */
    if (pg->ncells > pg->strs_cap) {
        pg->strs_cap = pg->ncells;
        pg->strs = xrealloc(pg->strs, pg->strs_cap * sizeof *pg->strs);
        pg->kinds = xrealloc(pg->kinds, pg->strs_cap);
    }
    for (size_t i = 0; i < pg->ncells; i++) {
        pg->strs[i] = (struct str){ pg->text.data + pg->cells[i].off, pg->cells[i].len };
        pg->kinds[i] = pg->cells[i].kind;
    }
    rc = 0;
out:
    db_done(st);
    if (rc == ERR_CRYPTO) {
        char idtext[24];
        snprintf(idtext, sizeof idtext, "%lld", (long long)pg->batch_id);
        log_error("batch.row_unreadable", "batch", idtext, NULL);
    }
    return rc;
}

/* job_page_next hands out the next row (NULL at the end). */
static int
job_page_next(struct job_page *pg, const struct job_page_row **out)
{
    int rc;
    *out = NULL;
    if (pg->pos == pg->nrows) {
        if (pg->end)
            return 0;
        if ((rc = job_page_load(pg)))
            return rc;
        if (!pg->nrows)
            return 0;
    }
    *out = &pg->rows[pg->pos++];
    return 0;
}

/* --- create ------------------------------------------------------------------------------ */

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
        cells_encode(&json, tr.cells, tr.kinds, tr.ncells);
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
            if (job_status_valid(s)) {
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

int
batch_job_create(struct app *app, struct db *db, const struct actor *a, const char *file_name,
                 const void *p, size_t n, int days_count, struct batch_job *out, struct buf *why)
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
    job_file_name(file_name, name, sizeof name);
    if ((rc = table_open_mem(p, n, &t, why)))
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
    job_target(id, target, sizeof target);
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
    if ((rc = audit_append(db, &app->keys, a, "batches.upload", target, "ok", detail)) || (rc = db_commit(db)))
        goto tx_fail;
    rc = job_load(db, NULL, id, out);
    goto out;
tx_fail:
    db_done(st);
    st = NULL;
    db_rollback(db);
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

/* --- read, list, rerun, delete ----------------------------------------------------------- */

int
batch_job_get(struct db *db, const struct actor *a, int64_t id, struct batch_job *out)
{
    return job_load(db, a, id, out);
}

int
batch_job_list(struct db *db, const struct actor *a, size_t limit, int64_t before, struct batch_job **items,
               size_t *n, int64_t *next)
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
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = db_bind_text(st, 1, a->subdistrict, strlen(a->subdistrict))) ||
        (rc = db_bind_i64(st, 2, before)) || (rc = db_bind_i64(st, 3, (int64_t)limit + 1)))
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
batch_job_rerun(struct app *app, struct db *db, const struct actor *a, int64_t id, int days_count,
                struct batch_job *out)
{
    struct batch_job cur;
    struct db_stmt *st = NULL;
    char target[40], detail[64];
    bool row = false;
    int rc;

    if ((rc = job_load(db, a, id, &cur)))
        return rc;
    if (days_count == 0)
        days_count = cur.days_count;
    if (days_count < 1 || days_count > BATCH_DAYS_MAX)
        return ERR_INVALID;
    job_target(id, target, sizeof target);
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
    if ((rc = audit_append(db, &app->keys, a, "batches.rerun", target, "ok", detail)) || (rc = db_commit(db)))
        goto fail;
    return job_load(db, a, id, out);
fail:
    db_done(st);
    db_rollback(db);
    return rc;
}

int
batch_job_delete(struct app *app, struct db *db, const struct actor *a, int64_t id)
{
    struct batch_job cur;
    struct db_stmt *st = NULL;
    char target[40], detail[64];
    bool row = false;
    int rc;

    if ((rc = job_load(db, a, id, &cur)))
        return rc;
    job_target(id, target, sizeof target);
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

/* --- export --------------------------------------------------------------------------------- */

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
struct job_xw {
    struct xlsxw *w;
    int sheet;
    struct xlsxw_cell *cells; /* ncols + BATCH_RESULT_COLS */
    size_t width;             /* ncols + BATCH_RESULT_COLS */
    struct buf header;        /* the header row's cells, NUL-separated */
    struct str *header_strs;
    bool has_header;
};

static int
job_xw_header(struct job_xw *x)
{
    int rc = xlsxw_header(x->w, x->header_strs, x->width);
    for (size_t c = 0; !rc && c < x->width; c++)
        rc = xlsxw_set_width(x->w, c, 18);
    return rc;
}

static int
job_xw_row(struct job_xw *x, size_t n)
{
    int rc = xlsxw_row(x->w, x->cells, n);
    if (rc != ERR_TOO_LARGE || xlsxw_rows(x->w) < XLSXW_MAX_ROWS)
        return rc;
    /* Excel's row limit: the rows go on in a further sheet, under the same header */
    char name[32];
    snprintf(name, sizeof name, "结果%d", ++x->sheet);
    if ((rc = xlsxw_add_sheet(x->w, name)) || (rc = job_xw_header(x)))
        return rc;
    return xlsxw_row(x->w, x->cells, n);
}

int
batch_job_export(struct app *app, struct db *db, const struct actor *a, int64_t id, enum batch_export_rows rows,
                 const char *path, const char *tmpdir, uint64_t *written)
{
    struct batch_job job;
    struct job_page pg;
    struct job_xw x;
    struct xlsxw_opts opts = { tmpdir };
    struct str names[BATCH_RESULT_COLS];
    char namebuf[48], target[40], detail[96];
    const struct job_page_row *r;
    uint64_t n_written = 0;
    bool header_done = false;
    int rc;

    memset(&x, 0, sizeof x);
    x.header = (struct buf)BUF_INIT;
    job_page_init(&pg, app, db, id, true);
    if (written)
        *written = 0;
    if ((rc = job_load(db, a, id, &job)))
        goto out;
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
    if ((rc = xlsxw_open(path, "结果", &opts, &x.w)))
        goto out;
    if (!job.header_row) {
        if ((rc = job_xw_header(&x)))
            goto out;
        header_done = true;
    }
    while (!(rc = job_page_next(&pg, &r)) && r) {
        const struct str *cells = pg.strs + r->first;
        bool title = job.header_row && r->num < job.header_row;
        bool header = job.header_row && r->num == job.header_row;
        if (header && !header_done) {
            /* the user's header names, then ours; kept for a second sheet */
            size_t off[TABLE_MAX_COLS];
            for (size_t c = 0; c < job.ncols && c < TABLE_MAX_COLS; c++) {
                off[c] = x.header.len;
                if (c < r->ncells)
                    buf_add(&x.header, cells[c].p, cells[c].n);
                buf_addch(&x.header, '\0');
            }
            for (size_t c = 0; c < job.ncols && c < TABLE_MAX_COLS; c++)
                x.header_strs[c] = (struct str){ x.header.data + off[c], strlen(x.header.data + off[c]) };
            if ((rc = job_xw_header(&x)))
                goto out;
            header_done = true;
            continue;
        }
        if (title || header) {
            for (size_t c = 0; c < r->ncells; c++)
                x.cells[c] = XLSXW_TEXT_CELL(cells[c]);
            if ((rc = job_xw_row(&x, r->ncells)))
                goto out;
            continue;
        }
        /* a data row */
        bool known = false;
        enum idno_status s = r->has_result ? job_status_parse(r->status, &known) : IDNO_EMPTY;
        bool valid = known && job_status_valid(s);
        bool rejected = known && !valid && s != IDNO_DUPLICATE;
        if (rows == BATCH_EXPORT_NOT_FOUND && !(valid && !r->found))
            continue;
        if (rows == BATCH_EXPORT_INVALID && !rejected)
            continue;
        struct batch_result res = { r->found, r->tested, r->tests, r->sampled_at, r->tested_at,
                                    pg.meta.data + r->inst_off, pg.meta.data + r->result_off,
                                    pg.meta.data + r->site_code_off, pg.meta.data + r->site_name_off };
        struct batch_row br = { BATCH_ROW_DATA, r->num, n_written, cells, r->ncells, job.col_id, s,
                                (uint64_t)r->first_num, (known && !rejected && r->has_result) ? &res : NULL };
        struct batch_text tb;
        struct str out[BATCH_RESULT_COLS];
        batch_row_text(&br, &tb, out);
        if (!known)
            out[BATCH_COL_STATUS] = (struct str){ "", 0 };
        for (size_t c = 0; c < job.ncols; c++)
            x.cells[c] = c < r->ncells ? XLSXW_TEXT_CELL(cells[c]) : XLSXW_EMPTY_CELL;
        for (size_t c = 0; c < BATCH_RESULT_COLS; c++)
            x.cells[job.ncols + c] = out[c].n ? XLSXW_TEXT_CELL(out[c]) : XLSXW_EMPTY_CELL;
        if (br.result && out[BATCH_COL_COUNT].n)
            x.cells[job.ncols + BATCH_COL_COUNT] = XLSXW_NUMBER_CELL((double)r->tests);
        if ((rc = job_xw_row(&x, x.width)))
            goto out;
        n_written++;
    }
    if (rc)
        goto out;
    if (buf_error(&x.header)) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    rc = xlsxw_close(x.w);
    x.w = NULL;
    if (rc)
        goto out;
    job_target(id, target, sizeof target);
    snprintf(detail, sizeof detail, "rows=%s written=%llu", batch_job_export_rows_code(rows),
             (unsigned long long)n_written);
    if ((rc = audit_record(db, &app->keys, a, "batches.export", target, "ok", detail))) {
        (void)unlink(path);
        goto out;
    }
    if (written)
        *written = n_written;
out:
    xlsxw_free(x.w); /* removes the file on failure */
    job_page_release(&pg);
    buf_release_secret(&x.header);
    xfree(x.cells);
    xfree(x.header_strs);
    return rc;
}

/* --- the worker's side ----------------------------------------------------------------------- */

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
        job_col_text(st, 2, q->subdistrict, sizeof q->subdistrict);
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
    if ((rc = db_prepare(db, sql_claim, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_step(st, &row)))
        goto out;
    rc = db_changes(st) == 1 ? 0 : ERR_CONFLICT;
out:
    db_done(st);
    return rc;
}

static int
job_exec_id(struct db *db, const char *sql, int64_t id)
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
    if ((rc = db_prepare(db, sql_requeue_all, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (requeued)
        *requeued = db_changes(st);
    db_done(st);
    st = NULL;
    do {
        n = 0;
        if ((rc = db_prepare(db, sql_uploading, &st)))
            goto out;
        while (!(rc = db_step(st, &row)) && row && n < 100)
            ids[n++] = db_col_i64(st, 0);
        db_done(st);
        st = NULL;
        if (rc)
            goto out;
        for (size_t i = 0; i < n; i++) {
            if ((rc = job_exec_id(db, sql_delete_batch, ids[i])))
                goto out;
            if (dropped)
                (*dropped)++;
        }
    } while (n == 100);
out:
    db_done(st);
    return rc;
}

/* One row's result waiting to be inserted. */
struct job_res {
    uint64_t row_no;
    const char *status;
    int64_t first_num, sampled_at, tested_at;
    bool found, tested;
    unsigned tests;
    size_t inst, result, site_code, site_name; /* into job_run.strs */
};

/* One run: the engine reads the stored rows through run_src and writes through run_sink. */
struct job_run {
    struct app *app;
    struct db *db;
    struct batch_job job;
    const struct batch_job_ctl *ctl;
    struct job_page pg;
    /* results waiting for a multi-row INSERT */
    size_t nres;
    struct job_res res[JOB_RESULT_ROWS];
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
    job_page_rewind(&r->pg);
    return 0;
}

static int
run_src_next(void *arg, struct table_row *row, struct buf *why)
{
    struct job_run *r = arg;
    const struct job_page_row *pr;
    int rc = job_page_next(&r->pg, &pr);
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
    job_page_wipe(&r->pg);
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
            if ((rc = db_bind_i64(st, p, (int64_t)x->row_no)) ||
                (rc = db_bind_text(st, p + 1, x->status, strlen(x->status))) ||
                (rc = db_bind_i64(st, p + 2, x->first_num)) || (rc = db_bind_i64(st, p + 3, x->found)) ||
                (rc = db_bind_i64(st, p + 4, x->tested)) || (rc = db_bind_i64(st, p + 5, x->tests)) ||
                (rc = db_bind_i64(st, p + 6, x->sampled_at)) || (rc = db_bind_i64(st, p + 7, x->tested_at)) ||
                (rc = db_bind_text(st, p + 8, inst, strlen(inst))) || (rc = db_bind_text(st, p + 9, res, strlen(res))) ||
                (rc = db_bind_text(st, p + 10, sc, strlen(sc))) || (rc = db_bind_text(st, p + 11, sn, strlen(sn))))
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
        (rc = db_step(st, &row)))
        goto out;
    if (row)
        job_col_text(st, 0, status, sizeof status);
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
            (rc = db_bind_i64(s, 12, time_now_ms())))
            goto out;
    } else if (error) {
        if ((rc = db_bind_text(s, 2, error, strlen(error))) || (rc = db_bind_i64(s, 3, time_now_ms())))
            goto out;
    }
    rc = db_step(s, &row);
out:
    db_done(s);
    buf_release(&by);
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

    pthread_once(&job_sql_once, job_sql_build);
    r->app = app;
    r->db = db;
    r->ctl = ctl;
    r->strs = (struct buf)BUF_INIT;
    job_page_init(&r->pg, app, db, id, false);
    if ((rc = job_load(db, NULL, id, &r->job))) {
        if (rc == ERR_NOT_FOUND)
            rc = 0; /* deleted meanwhile */
        goto out;
    }
    if (strcmp(r->job.status, "running") != 0) {
        rc = 0; /* deleted or requeued meanwhile */
        goto out;
    }
    if ((rc = job_exec_id(db, sql_clear_results, id)))
        goto fail;
    job_target(id, target, sizeof target);
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
        (void)job_exec_id(db, sql_requeue_one, id);
        log_info("batch.run", "batch", idtext, "stage", "requeued", NULL);
        rc = ERR_UNAVAILABLE;
        goto out;
    }
    if (r->cancelled || (rc && job_load(db, NULL, id, &r->job) == ERR_NOT_FOUND)) {
        log_info("batch.run", "batch", idtext, "stage", "deleted", NULL);
        rc = 0;
        goto out;
    }
    if (!rc) {
        char rows[24], read_ms[24], lookup_ms[24], write_ms[24], total_ms[24];
        rc = run_finish(r, sql_done, &st, NULL);
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
    job_page_release(&r->pg);
    buf_release(&r->strs);
    buf_release(&why);
    xfree(r);
    return rc;
}
