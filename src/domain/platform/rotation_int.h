/* domain/platform/rotation_int.h - what the rotation files share (not an API): the sealed-table
 * scan (rotation.c, rotation_scan.c) and the one job engine both rotation kinds run on
 * (rotation_job.c; the data kind in rotation.c, the blind-index kind in rotation_index.c). */
#ifndef JY_DOMAIN_ROTATION_INT_H
#define JY_DOMAIN_ROTATION_INT_H
#include "domain/platform/rotation.h"

#define ROTATION_MAX_COLS 5
#define ROTATION_START_KEY INT64_MIN /* keyset paging of the data kind starts below every key */

/* One row as read: its key and the sealed values (NULL when the column is NULL); the
 * pointers are valid only during the callback. */
struct rotation_row {
    int64_t k1, k2;
    const uint8_t *val[ROTATION_MAX_COLS];
    size_t len[ROTATION_MAX_COLS];
};
typedef int (*rotation_row_fn)(const struct rotation_table *t, const struct rotation_row *r, void *arg);

/* rotation_ncols counts t's sealed columns. */
size_t rotation_ncols(const struct rotation_table *t);
/* rotation_ad writes the associated data of column col of the row with key k1. */
void rotation_ad(const struct rotation_table *t, size_t col, int64_t k1, char *out, size_t cap);
/* rotation_scan reads up to limit rows of t after (*k1, *k2) in key order, calls fn for each
 * and leaves the last key read in *k1, *k2 and the number of rows in *rows. */
int rotation_scan(struct db *db, const struct rotation_table *t, int64_t *k1, int64_t *k2, size_t limit,
                  rotation_row_fn fn, void *arg, size_t *rows);

/* One rotation kind for the job engine. The SQL is the kind's own constant text (the job row
 * in key_rotations carries the kind as a literal); the engine binds parameters only.
 *  sql_latest       the newest job of the kind: id, to_key, pass, started_at, finished_at|0,
 *                   pass_started_at
 *  sql_job_insert   ?1 to_key, ?2 now; RETURNING id
 *  sql_prog_insert  ?1 job, ?2 table name (and ?3 ROTATION_START_KEY when start_key_bound)
 *  sql_pass_reset   ?1 job (and ?2 ROTATION_START_KEY when start_key_bound)
 *  table(i)         the name of the kind's i-th table, NULL past the last
 *  add              adds the new key / generation (in the begin transaction), sets *id
 *  chunk            works one chunk of table i in its own transaction with its progress row:
 *                   *done when the table has no rows after it, *worked false when it was
 *                   done already (then nothing is counted)
 *  switch_to        optional, the final switch in the finishing transaction (before the job
 *                   row is marked finished); a kind with one refuses a new job (ERR_BUSY)
 *                   within ROTATION_GRACE_MS of the last finish, and its run reloads the keys
 *                   after finishing when given a kek path
 *  uses_remac       rotation_opts.remac is run after the tables in every pass
 * Audit: audit_prefix ".start" (target "<target>:<to_key>", detail start_detail), ".table"
 * (target "table:<name>", detail "pass=%d <key_word>=%u rows=%lld <count_word>=%lld
 * pass_<count_word>=%lld damaged=%lld"), ".finish" (detail "passes=%d"). */
struct rotation_kind {
    const char *sql_latest, *sql_job_insert, *sql_prog_insert, *sql_pass_reset;
    bool start_key_bound;
    const char *audit_start, *audit_table, *audit_finish, *start_detail;
    const char *target, *key_word, *count_word;
    const char *(*table)(size_t i);
    int (*add)(struct db *db, const struct kek *kek, uint32_t *id);
    int (*chunk)(struct app *app, struct db *db, const struct rotation_state *st, size_t i, size_t limit, bool *done,
                 bool *worked);
    int (*switch_to)(struct db *db, uint32_t to_key);
    bool uses_remac;
};

/* rotation_job_latest reads the kind's newest job into st (st->id 0 when none). */
int rotation_job_latest(struct db *db, const struct rotation_kind *k, struct rotation_state *st);
/* rotation_job_begin resumes the kind's unfinished job (reloading the keys) or, in one
 * transaction, adds the new key, records the job with a progress row per table and audits the
 * start; then reloads the keys and reads the job into st. */
int rotation_job_begin(struct app *app, struct db *db, const struct rotation_kind *k, const char *kek_path,
                       struct rotation_state *st);
/* rotation_job_run works the kind's unfinished job (ERR_NOT_FOUND when none): passes over the
 * tables chunk by chunk (stop at o->max_chunks, st->stopped), a .table audit per finished
 * table, then finishes the job when a pass changed nothing and began ROTATION_GRACE_MS after
 * the job (waiting out the rest of the grace first), else starts the next pass; after
 * ROTATION_MAX_PASSES it stops (st->stopped). */
int rotation_job_run(struct app *app, struct db *db, const struct rotation_kind *k, const char *kek_path,
                     const struct rotation_opts *o, struct rotation_state *st);
/* rotation_exec runs one statement with n integer parameters ?1..?n and text at ?tpos (text
 * NULL: none). */
int rotation_exec(struct db *db, const char *sql, const int64_t *v, int n, const char *text, int tpos);
/* rotation_target writes "<k->target>:<id>" (the audit target of a key / generation). */
void rotation_target(const struct rotation_kind *k, uint32_t id, char *out, size_t cap);

#endif
