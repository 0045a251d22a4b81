/* domain/batch/batch_job_int.h - internals shared by the files behind batch_job.h; not for
 * other modules (R4.3-R4.7, S1).
 *
 *   batch_job.c         storage: create (upload stored, sealed), get, list, rerun, delete,
 *                       the worker's queue (queued, claim, recover)
 *   batch_job_page.c    the sealed-cells format and pages of stored rows read back, opened
 *   batch_job_export.c  batch_job_export: the .xlsx written with io/xlsxw.h
 *   batch_job_run.c     batch_job_run: the engine over the stored rows, results stored
 *   batch_job_rows.c    batch_job_rows: a page of results by status, IDs masked
 */
#ifndef JY_DOMAIN_BATCH_JOB_INT_H
#define JY_DOMAIN_BATCH_JOB_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "crypto/keys.h"
#include "db/db.h"
#include "domain/batch/batch_job.h"

#define JOB_AD_CELLS "batch_rows.cells"
#define JOB_TX_ROWS 8192          /* rows per transaction while storing */
#define JOB_PAGE_ROWS 1024        /* rows per page read back */
#define JOB_TEXT_CAP ((size_t)1 << 30) /* bytes of cell text in one upload (JSON): a 64 MiB
                                          .xlsx may inflate to far more than is sane to keep */

/* --- batch_job.c ------------------------------------------------------------------------- */

/* batch_job__load loads batch id as a may see it (a NULL: any batch, uploads included). */
int batch_job__load(struct db *db, const struct actor *a, int64_t id, struct batch_job *out);
/* batch_job__target writes the audit target of batch id ("batch:ID"). */
void batch_job__target(int64_t id, char *out, size_t cap);
/* batch_job__col_text copies text column col into out[cap] (cut, NUL-terminated). */
const char *batch_job__col_text(struct db_stmt *st, int col, char *out, size_t cap);
/* batch_job__status_parse maps a stored status code (*ok false when unknown). */
enum idno_status batch_job__status_parse(const char *code, bool *ok);
/* batch_job__status_valid: the ID was usable (ok, fixed, converted_15). */
bool batch_job__status_valid(enum idno_status s);
/* batch_job__exec_id runs sql with ?1 = id. */
int batch_job__exec_id(struct db *db, const char *sql, int64_t id);
/* batch_job__sql_multi writes a multi-row INSERT: head, then rows tuples of "?1" and per
 * placeholders each (placeholders only, never values). */
void batch_job__sql_multi(char *out, size_t cap, const char *head, size_t rows, size_t per);

/* --- the MAC of a stored result (issue 12; crypto/rowmac.h, migration 0028) ---------------- */

/* One stored batch_results row, every column the MAC covers. */
struct batch_job_res_fields {
    int64_t batch_id;
    uint64_t row_no;
    const char *status;
    int64_t first_num, sampled_at, tested_at;
    bool found, tested, damaged;
    unsigned tests;
    const char *inst, *result, *site_code, *site_name;
};

/* batch_job__res_mac_sign: the mac of f under the active key (ERR_CRYPTO without one). */
int batch_job__res_mac_sign(const struct keyring *kr, const struct batch_job_res_fields *f, uint8_t mac[SM3_LEN],
                            uint32_t *key_id);
/* batch_job__res_legacy_upto: the highest batch id whose results may lack a mac (0 = none). */
int batch_job__res_legacy_upto(struct db *db, int64_t *upto);
/* batch_job__res_mac_ok: 0 when mac (n bytes, under key_id) is f's mac, or when the row has
 * none and its batch is <= upto (stored before 0028, not backfilled yet); else ERR_CRYPTO,
 * counted and logged as an integrity failure of batch_results.mac. */
int batch_job__res_mac_ok(const struct keyring *kr, const struct batch_job_res_fields *f, const void *mac, size_t n,
                          int64_t key_id, bool mac_null, int64_t upto);
/* batch_job__res_mac_backfill gives a mac to every result stored before 0028 (`jiayuan
 * verify`), then drops the legacy entry; *done counts them. */
int batch_job__res_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done);

/* --- batch_job_page.c: the sealed cells and pages of stored rows --------------------------- */

/* batch_job__cells_encode appends cells[0..n) (NUL-terminated, io/table.h) as a JSON array
 * of strings: what is sealed into batch_rows.cells; then, only when a cell is not a plain
 * value, an array of the cell kinds (io/table.h enum table_cell_kind): ["a","",[0,2]]. */
void batch_job__cells_encode(struct buf *b, const struct str *cells, const uint8_t *kinds, size_t n);

/* One decoded cell: offset and length in the page text. */
struct batch_job_cell {
    size_t off, len;
    uint8_t kind; /* io/table.h enum table_cell_kind */
};

/* One stored row of a page, with its result when the page was read with_results. */
struct batch_job_page_row {
    uint64_t row_no, num;
    size_t first, ncells;       /* cells: pg->strs[first .. first + ncells) */
    bool has_result;
    char status[20];
    int64_t first_num, sampled_at, tested_at;
    bool found, tested, damaged;
    unsigned tests;
    size_t inst_off, result_off, site_code_off, site_name_off; /* into meta */
};

/* A reader of a batch's stored rows, JOB_PAGE_ROWS at a time: no statement stays open
 * between pages, and the plaintext of one page only is in memory (wiped on refill). */
struct batch_job_page {
    struct app *app;
    struct db *db;
    int64_t batch_id;
    bool with_results;
    struct buf text;  /* plaintext cells: wiped */
    struct buf meta;  /* result strings (not personal) */
    struct batch_job_cell *cells;
    size_t ncells, cap;
    struct str *strs; /* cells as slices, valid until the next load */
    uint8_t *kinds;   /* beside strs */
    size_t strs_cap;
    struct batch_job_page_row *rows;
    size_t nrows, pos;
    uint64_t next_row_no;
    bool end;
    uint8_t *plain;   /* opening buffer: wiped */
    size_t plain_cap;
    int64_t mac_upto; /* batch_results rows of batches <= this may lack a mac (0028) */
    bool mac_upto_read;
    uint64_t mac_failed; /* results whose mac did not hold: shown as damaged */
};

void batch_job__page_init(struct batch_job_page *pg, struct app *app, struct db *db, int64_t id,
                          bool with_results);
/* batch_job__page_wipe forgets the loaded page (wiped); rewind starts again at the top. */
void batch_job__page_wipe(struct batch_job_page *pg);
void batch_job__page_rewind(struct batch_job_page *pg);
void batch_job__page_release(struct batch_job_page *pg);
/* batch_job__cells_decode parses opened cells p[0..n) (batch_job__cells_encode's format),
 * appending each cell's text + NUL to text and its place to *cells (grown; *ncells used of
 * *cap). ERR_CRYPTO when malformed. */
int batch_job__cells_decode(const char *p, size_t n, struct buf *text, struct batch_job_cell **cells,
                            size_t *ncells, size_t *cap);
/* batch_job__page_audit_damage audits (integrity.failure) the results read so far whose mac
 * did not hold, if any, as actor a. */
int batch_job__page_audit_damage(struct batch_job_page *pg, const struct actor *a);
/* batch_job__page_next hands out the next row (*out NULL at the end); ERR_CRYPTO for a row
 * that cannot be opened (logged), ERR_DB, ERR_TOO_LARGE. */
int batch_job__page_next(struct batch_job_page *pg, const struct batch_job_page_row **out);

#endif
