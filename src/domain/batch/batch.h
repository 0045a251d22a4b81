/* domain/batch/batch.h - the batch test-result lookup engine (R4.3-R4.7): a resident list in, one
 * result per row out, for a million rows in seconds.
 *
 * The engine is a pipeline in two passes over the input rows, so it never holds the
 * user's plaintext cells for more than one row at a time:
 *
 *   pass 1  read    every row of the source (io/table.h or a caller's own source);
 *           clean   the ID cell of each data row with idno_normalize (Excel-corrupted values
 *                   are rejected, never repaired); a repeat of an earlier row's normalised
 *                   ID is marked duplicate;
 *           index   the blind index of each distinct valid ID, sorted unique;
 *   lookup          samples_person (person_bidx, collected_at) probed in chunks of
 *                   BATCH_CHUNK blind indexes with one prepared statement; every candidate
 *                   sample is confirmed by opening its sealed ID (a 64-bit index can collide)
 *                   unless it can affect no output column (see "Confirmation" below); the
 *                   latest result of each tube is fetched in bulk the same way;
 *   pass 2  write   the source is read again from the start and each row is handed to the
 *                   sink, in input order, with its status and result columns.
 *
 * What the engine keeps in memory: per data row 5 bytes (status + index of its distinct ID),
 * per distinct valid ID about 100 bytes (blind index, the normalised ID packed as its first
 * 17 digits - plaintext, wiped before release, never written anywhere -, result fields,
 * the sorted index, the duplicate set). About 100 MB for 1,000,000 distinct IDs. Nothing is
 * written to disk by the engine.
 *
 * Statuses (column 状态, the stable codes of core/idno.h): a data row's status is what
 * idno_normalize says of its ID cell (ok, fixed, converted_15, bad_checksum, bad_date,
 * excel_corrupted, empty, not_an_id), except that a row whose valid normalised ID already
 * occurred on an earlier data row is "duplicate" (a 15-digit number and its 18-digit form
 * are the same person). Only the first occurrence counts as valid and is looked up; a
 * duplicate row is given the same result columns as its first occurrence (so a filtered
 * sheet still reads right) and first_num tells which row that was. Rows with a rejected ID
 * get empty result columns. Rows are never dropped: every row the reader yields reaches the
 * sink (io/table.h itself skips rows with no non-empty cell at all).
 *
 * Row kinds. Rows above the header row (merged titles) are BATCH_ROW_TITLE, the header row
 * (io/columns.h) is BATCH_ROW_HEADER, everything below it - or every row when the sheet has
 * no header - is BATCH_ROW_DATA. Only data rows are counted, cleaned and looked up.
 *
 * Result columns, for a valid (ok/fixed/converted_15/duplicate) row, all relative to
 * now = opts->now_ms (default time_now_ms()), windows rolling (days x 24 h, like
 * domain/testing/person.h):
 *   是否检测        tested: at least one sample collected in the last days_window days;
 *   近N天检测次数    count: samples collected in the last days_count days (R4.6; N =
 *                   days_count, in the column name), counted as distinct tubes (a
 *                   re-scan into the same tube is not a second test);
 *   最近采样时间     sampled_at of the person's latest sample in max(days_window,
 *                   days_count) days (0 when none);
 *   最近检测时间,    tested_at, institution and result of the latest result (by tested_at)
 *   检测机构, 最近结果  of the tube of the latest sample that has a result (a newer sample
 *                   whose tube has no result yet is "pending": sampled_at is newer than
 *                   tested_at then); results dated after now are ignored; 0 / "" when
 *                   none;
 *   采样点          the site (code, name) of the latest sample.
 * "found" means at least one confirmed sample in max(days_window, days_count) days (so
 * with days_count > days_window a person may be found but not tested).
 *
 * Confirmation. Every sample that determines an output column is confirmed by opening its
 * sealed ID and comparing with the row's ID: all samples in the count window, the latest
 * sample, and the sample whose result is reported. Samples of the same blind index that
 * can change no column (older than the count window and not the latest) are not opened.
 * A candidate that opens to another ID is ignored (a collision). One that fails its
 * integrity check (crypto/field.h) is damaged data: every key of its blind index is marked
 * damaged (result.damaged, status 数据损坏 / damaged), counted in counts.damaged and not in
 * not_found, and the run writes one "integrity.failure" audit entry (result "failed",
 * detail "column=samples.id_number samples=S ids=D").
 *
 * Counts (struct batch_counts): rows = data rows = valid + duplicate + invalid; invalid =
 * rows with a rejected ID (bad_checksum, bad_date, excel_corrupted, empty, not_an_id);
 * valid = distinct valid IDs (first occurrences) = found + not_found + (damaged and not
 * found); damaged = valid IDs with a damaged sample; tested = valid IDs
 * tested in days_window. Duplicates are in neither valid nor invalid.
 *
 * Audit: one entry per run, action "batches.lookup", target opts->audit_target (default
 * "batch"), detail "rows=R valid=V found=F invalid=I days=W/N" - counts only, never an
 * ID. It is written (a transaction of its own, on db) as soon as the lookup is done, before
 * pass 2 and before the sink's begin: a run that fails or is cancelled while writing is
 * audited, one that fails before the lookup ends is not.
 *
 * Threads and the database: batch_run uses db only between the passes (lookup stage) and
 * for the audit entry; no engine statement is open while the sink or progress callbacks
 * run, so they may use db themselves (outside a transaction of the engine: the engine opens
 * none). One run at a time per struct db; runs on different connections are independent.
 * Works on SQLite and PostgreSQL (IN lists of bound parameters, no arrays).
 * With opts->threads > 1 the blind indexes are computed and the lookup chunks processed by
 * that many threads (the extra ones on connections from opts->pool), and pass 2 parses the
 * source on a helper thread while the caller's thread runs the sink: the source's
 * callbacks are then called from that helper thread in pass 2 (never two at once; pass 1
 * calls them on the caller's thread), so a source must not share a connection with the
 * sink when threads > 1. The sink and the progress callback are always called on the
 * caller's thread.
 */
#ifndef JY_DOMAIN_BATCH_H
#define JY_DOMAIN_BATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "domain/platform/app.h"
#include "io/columns.h"
#include "io/table.h"

#define BATCH_DAYS_WINDOW_DEFAULT 14 /* 是否检测 */
#define BATCH_DAYS_COUNT_DEFAULT 3   /* 近N天检测次数 (R4.6) */
#define BATCH_DAYS_MAX 90
#define BATCH_MAX_ROWS ((uint64_t)2000000) /* data rows per run (= TABLE_MAX_ROWS) */
#define BATCH_CHUNK 500              /* blind indexes per lookup statement */

/* The appended columns, in order: 状态 (Chinese words), 状态代码 (the stable idno code,
 * issue 14) then the result columns. */
#define BATCH_RESULT_COLS 9
enum batch_col {
    BATCH_COL_STATUS,      /* 状态: the status in Chinese words (idno_status_word) */
    BATCH_COL_STATUS_CODE, /* 状态代码: stable idno code */
    BATCH_COL_TESTED,      /* 是否检测: 是 / 否 ("" for an invalid row) */
    BATCH_COL_COUNT,       /* 近N天检测次数 */
    BATCH_COL_SAMPLED_AT,  /* 最近采样时间, "YYYY-MM-DD HH:MM:SS" Asia/Shanghai */
    BATCH_COL_TESTED_AT,   /* 最近检测时间 */
    BATCH_COL_INSTITUTION, /* 检测机构 */
    BATCH_COL_RESULT,      /* 最近结果 */
    BATCH_COL_SITE,        /* 采样点 (site name) */
};

enum batch_row_kind { BATCH_ROW_TITLE, BATCH_ROW_HEADER, BATCH_ROW_DATA };

/* A row source the engine can read twice. open (re)starts at the first row and fills
 * *cols with the columns of the sheet (io/columns.h; cols->id must be >= 0 on both
 * passes and the same); next has the contract of table_next_row (end: row->cells NULL);
 * close ends a pass (it is called after each pass, also on failure). On failure a source
 * returns an ERR_* code and may append one line of English to why (never cell contents). */
struct batch_source {
    int (*open)(void *arg, struct columns *cols, struct buf *why);
    int (*next)(void *arg, struct table_row *row, struct buf *why);
    void (*close)(void *arg);
    void *arg;
};

/* batch_source_mem / batch_source_path fill src with a source reading p[0..n) (which must
 * stay valid and unchanged for the run) or the file at path through io/table.h. state
 * must outlive the run; it needs no release (each pass closes its table). */
struct batch_table_state {
    const void *p;
    size_t n;
    const char *path;
    struct table *t;
};
void batch_source_mem(struct batch_source *src, struct batch_table_state *state, const void *p, size_t n);
void batch_source_path(struct batch_source *src, struct batch_table_state *state, const char *path);

struct batch_opts {
    int days_window;          /* 1..BATCH_DAYS_MAX; 0 = BATCH_DAYS_WINDOW_DEFAULT */
    int days_count;           /* 1..BATCH_DAYS_MAX; 0 = BATCH_DAYS_COUNT_DEFAULT */
    int64_t now_ms;           /* reference time; 0 = time_now_ms() */
    const char *audit_target; /* audit target, e.g. "batch:42"; NULL = "batch" */
    unsigned threads;         /* index and lookup threads; 0 = 1. Each lookup thread needs
                                 its own connection: with threads > 1, threads - 1 extra
                                 connections are taken from pool (db_pool_get, which blocks
                                 while none is free) for the lookup stage and put back */
    struct db_pool *pool;     /* required when threads > 1; the caller's db must not be one
                                 the engine could be waiting for */
};

/* The result of one distinct valid ID. Strings are owned by the engine and valid until
 * batch_run returns; never NULL ("" when absent). */
struct batch_result {
    bool found, tested;
    unsigned count;           /* samples in the last days_count days */
    int64_t sampled_at;       /* latest sample, ms; 0 = none */
    int64_t tested_at;        /* latest result, ms; 0 = none */
    const char *institution, *result, *site_code, *site_name;
    bool damaged;             /* a sample of this ID failed its integrity check (issue 12):
                                 status 数据损坏 / damaged, whatever else was found */
};

/* The status written for a damaged result, in place of the row's idno status. */
#define BATCH_DAMAGED_WORD "数据损坏"
#define BATCH_DAMAGED_CODE "damaged"

/* One row handed to the sink. cells are the row exactly as read (see table_row), valid
 * only during the call. For a data row: index is its 0-based position among data rows,
 * status its status, result its result columns (NULL for a rejected ID), first_num the
 * row number (num) of the first occurrence for a duplicate (else 0). For title and header
 * rows status is IDNO_EMPTY and result NULL; they are not counted. */
struct batch_row {
    enum batch_row_kind kind;
    uint64_t num;             /* the row number the user sees (table_row.num) */
    uint64_t index;
    const struct str *cells;
    size_t ncells;
    int id_col;               /* the ID column (0-based) */
    enum idno_status status;
    uint64_t first_num;
    const struct batch_result *result;
};

struct batch_counts {
    uint64_t rows, valid, found, not_found, invalid, duplicate, tested;
    uint64_t by_status[IDNO_NOT_AN_ID + 1]; /* data rows per status code */
    uint64_t damaged;         /* valid IDs with damaged data (found or not); not in not_found */
};

/* Stage timings in microseconds (monotonic) for the benchmark. read and clean are both in
 * pass 1 (read = table parsing, clean = idno_normalize and duplicate detection); index =
 * blind indexes and sort; lookup = database and decryption; write = pass 2 including the
 * sink's own work, of which reread_us is the second parsing of the source. */
struct batch_timings {
    int64_t read_us, clean_us, index_us, lookup_us, write_us, reread_us, total_us;
};

struct batch_stats {
    struct batch_counts counts;
    struct batch_timings t;
    struct columns cols;      /* as detected on the first pass */
    size_t max_cells;         /* the widest row's ncells (where appended columns can start) */
    uint64_t title_rows;      /* rows above the header row (BATCH_ROW_TITLE) */
    int days_window, days_count; /* as used */
    size_t samples_read, samples_opened, collisions; /* lookup work, for the benchmark */
    size_t damaged_samples;   /* samples that failed their integrity check */
    int64_t fetch_us, open_us, results_us; /* lookup time summed over its threads: fetching
                                              samples, opening sealed IDs, fetching results */
};

/* The sink. begin (may be NULL) is called once before the first row of pass 2, with the
 * final counts already in st->counts; row is called for every row in input order; either
 * returning non-zero stops the run, and batch_run returns that value. */
struct batch_sink {
    int (*begin)(void *arg, const struct batch_stats *st);
    int (*row)(void *arg, const struct batch_row *r);
    void *arg;
};

/* Progress and cancellation. stage is "read", "lookup" or "write"; done/total count rows
 * ("read": total 0 = unknown) or blind indexes ("lookup"). Called at most every few
 * thousand units and at stage ends; a non-zero return stops the run and batch_run returns
 * that value (e.g. ERR_CONFLICT for "cancelled" - the caller's choice). */
struct batch_progress {
    int (*fn)(void *arg, const char *stage, uint64_t done, uint64_t total);
    void *arg;
};

/* batch_run runs the whole pipeline: src read twice, results to sink (NULL sink = counts
 * only, no second pass), *st (may be NULL) filled with counts and timings, one audit entry
 * for actor a. Errors: ERR_INVALID (bad opts; a source failure such as no ID column -
 * message in why: "no column of ID numbers found"; a damaged file), ERR_TOO_LARGE (over
 * BATCH_MAX_ROWS data rows or a reader cap), ERR_DB / ERR_UNAVAILABLE, ERR_CRYPTO (no
 * keys), or a callback's own non-zero value. why (may be NULL) gets one line of English
 * that never quotes cell contents. On error the sink may have seen part of the rows. */
int batch_run(struct app *app, struct db *db, const struct actor *a, const struct batch_source *src,
              const struct batch_opts *opts, const struct batch_sink *sink,
              const struct batch_progress *progress, struct batch_stats *st, struct buf *why);

/* Text of the appended columns, shared by the CLI and the HTTP exports so both write the
 * same thing. batch_col_names fills names[BATCH_RESULT_COLS] (static text, except the
 * count column "近3天检测次数" written into namebuf, cap >= 32). batch_row_text fills
 * out[BATCH_RESULT_COLS] for a data row (times Asia/Shanghai "YYYY-MM-DD HH:MM:SS",
 * count in decimal, empty cells for rejected IDs); pointers go into tb or the result. */
struct batch_text {
    char count[24], sampled_at[24], tested_at[24];
};
void batch_col_names(int days_count, struct str names[BATCH_RESULT_COLS], char *namebuf, size_t cap);
void batch_row_text(const struct batch_row *r, struct batch_text *tb, struct str out[BATCH_RESULT_COLS]);

#endif
