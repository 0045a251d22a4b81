/* domain/exchange/hotline_store.h - stored 12345 hotline tickets, versioned rule sets, runs
 * over a period, and checked random samples with precision (issue 11, R2.12; S1, S6).
 * Migration 0017. The expression language and the sheet are hotline_rule.h/hotline_sheet.h.
 *
 * Tickets. hotline_import reads a ticket sheet (hotline_sheet.h) and stores one row per ticket
 * number: a number already stored is a duplicate (re-importing a file changes nothing). A row
 * is rejected, with its row number and a reason, when it has no number or one longer than 64
 * bytes (a number repeated in the file is a duplicate), its 受理时间 is missing or unreadable (as
 * emergency_parse_time reads it: "YYYY-MM-DD HH:MM[:SS]" in UTC+8, RFC 3339 or ms), or a text
 * field is longer than its cap. The caller's name, phone and the address are sealed with
 * crypto/field.h (ad "hotline_tickets.<column>"), the phone's digits also get the blind index
 * "hotline_phone"; reads answer them masked (张*, 138****5678, the address as "***") and
 * never decrypt the address. One audit row "hotline.import" per import (counts only).
 *
 * Rule sets. A rule set has versions; hotline_rules_save with id 0 creates version 1, with an
 * id adds the next version (the old ones stay and are listed by hotline_rule_versions). Every
 * version is validated first: name 1..100 bytes, expression compiled with the synonyms
 * (hotline_rule_compile: its message names the offset), at most HOTLINE_MAX_CATEGORIES
 * category paths (one per line). Audited "hotline.rule.create" / "hotline.rule.update".
 *
 * Runs. hotline_run_start runs the rule set's current version over the tickets received in
 * [from, to), stores the hits and the counts (tickets in the period, in the categories,
 * matched). Audited "hotline.run". hotline_ticket_list with run_id lists a run's hits.
 *
 * Samples. hotline_sample_take draws min(n, matched) hits of a run uniformly at random
 * (crypto_random, partial Fisher-Yates) and stores them in draw order; hotline_sample_mark
 * records one verdict (relevant or not; marking again replaces it) and keeps the sample's
 * checked and relevant counts. Precision = relevant / checked: per sample, and per rule
 * version summed over the samples of its runs (hotline_rule_versions). Audited
 * "hotline.sample" / "hotline.mark".
 *
 * Scope: tickets carry no subdistrict, so the hotline is district-wide: every function
 * refuses an actor bound to a subdistrict with ERR_FORBIDDEN. Permissions (hotline.read,
 * hotline.write) are the routes'.
 */
#ifndef JY_DOMAIN_EXCHANGE_HOTLINE_STORE_H
#define JY_DOMAIN_EXCHANGE_HOTLINE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"
#include "io/table.h"

#define HOTLINE_IMPORT_MAX_BYTES ((size_t)64 << 20)
#define HOTLINE_REJECTS_MAX 1000  /* rejected rows reported one by one (all are counted) */
#define HOTLINE_LIST_MAX 500      /* items of one page */
#define HOTLINE_SAMPLE_MAX 1000   /* N of one sample */
#define HOTLINE_NUMBER_MAX 64
#define HOTLINE_FIELD_MAX 8192    /* bytes of a title, content or address */

struct hotline_reject {
    uint64_t row;
    char number[HOTLINE_NUMBER_MAX + 1]; /* "" when absent; cut to fit */
    char reason[160];                    /* English; the API translates */
};

struct hotline_import_result {
    uint64_t header_row, rows, accepted, duplicate, rejected;
    struct hotline_reject *rejects; /* the first HOTLINE_REJECTS_MAX */
    size_t nrejects;
};

/* hotline_import stores the tickets of t (positioned before its first row). Errors:
 * ERR_INVALID with why when t is not a ticket sheet, ERR_FORBIDDEN, storage errors (nothing
 * stored: one transaction). */
int hotline_import(struct app *app, struct db *db, const struct actor *a, struct table *t,
                   struct hotline_import_result *res, struct buf *why);
/* hotline_import_mem is hotline_import over an .xlsx or .csv in memory. */
int hotline_import_mem(struct app *app, struct db *db, const struct actor *a, const void *p, size_t n,
                       struct hotline_import_result *res, struct buf *why);
void hotline_import_result_release(struct hotline_import_result *res);

/* A stored ticket as read: caller, phone and address masked. */
struct hotline_stored {
    int64_t id, received_at, created_at;
    const char *number, *category, *title, *content, *status, *caller, *phone, *address;
    int verdict; /* sample items only: -1 unchecked, 0, 1 */
};

struct hotline_ticket_query {
    int64_t from, to;     /* received_at in [from, to); 0 = open */
    const char *category; /* a path prefix at a level boundary; NULL or "" = any */
    int64_t run_id;       /* > 0: only the hits of this run */
    size_t limit;         /* 1..HOTLINE_LIST_MAX */
    int64_t after;        /* paging: id > after */
};
/* hotline_ticket_list lists tickets in id order (masked). *total counts every match. A
 * run_id that does not exist: ERR_NOT_FOUND. */
int hotline_ticket_list(struct app *app, struct db *db, const struct actor *a, const struct hotline_ticket_query *q,
                        struct arena *arena, struct hotline_stored **items, size_t *n, int64_t *total);

/* One version of a rule set (the current one in lists). precision is relevant / checked over
 * the samples of this version's runs, -1 when nothing was checked. */
struct hotline_rule_version {
    int64_t id, rule_id, version, created_at, runs, last_matched, checked, relevant;
    const char *name, *categories, *expression, *synonyms, *created_by;
    double precision;
};

struct hotline_rule_def {
    const char *name, *categories, *expression, *synonyms; /* categories, synonyms may be "" */
};

/* hotline_rule_check validates def (see above): ERR_INVALID / ERR_TOO_LARGE with why. */
int hotline_rule_check(const struct hotline_rule_def *def, struct buf *why);
/* hotline_rules_save creates (id 0) or adds a version; *out_id and *out_version say which.
 * ERR_NOT_FOUND for an unknown id. */
int hotline_rules_save(struct app *app, struct db *db, const struct actor *a, int64_t id,
                       const struct hotline_rule_def *def, int64_t *out_id, int64_t *out_version, struct buf *why);
/* hotline_rules_list lists every rule set's current version, by id. */
int hotline_rules_list(struct app *app, struct db *db, const struct actor *a, struct arena *arena,
                       struct hotline_rule_version **items, size_t *n);
/* hotline_rule_versions lists the versions of one rule set, newest first (ERR_NOT_FOUND). */
int hotline_rule_versions(struct app *app, struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                          struct hotline_rule_version **items, size_t *n);

struct hotline_run {
    int64_t id, rule_id, version_id, version, from_at, to_at, tickets, in_category, matched, created_at;
    const char *created_by, *name;
};
/* hotline_run_start runs rule set id's current version over [from, to) (from < to). */
int hotline_run_start(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t from, int64_t to,
                      struct arena *arena, struct hotline_run *out, struct buf *why);
int hotline_run_get(struct app *app, struct db *db, const struct actor *a, int64_t run_id, struct arena *arena,
                    struct hotline_run *out);
/* hotline_runs_list lists the runs of rule set id (0: every rule set), newest first, at most
 * HOTLINE_LIST_MAX. */
int hotline_runs_list(struct app *app, struct db *db, const struct actor *a, int64_t id, struct arena *arena,
                      struct hotline_run **items, size_t *n);

struct hotline_sample {
    int64_t id, run_id, drawn, checked, relevant, created_at;
    double precision; /* -1 when nothing checked */
    struct hotline_stored *items; /* in draw order, masked, with verdict */
    size_t n;
};
/* hotline_sample_take draws a sample of n (1..HOTLINE_SAMPLE_MAX) hits of run_id. */
int hotline_sample_take(struct app *app, struct db *db, const struct actor *a, int64_t run_id, int64_t n,
                        struct arena *arena, struct hotline_sample *out, struct buf *why);
int hotline_sample_get(struct app *app, struct db *db, const struct actor *a, int64_t sample_id,
                       struct arena *arena, struct hotline_sample *out);
/* hotline_sample_mark records the verdict on ticket_id of the sample (ERR_NOT_FOUND when the
 * ticket is not in it) and answers the sample as it is afterwards. */
int hotline_sample_mark(struct app *app, struct db *db, const struct actor *a, int64_t sample_id, int64_t ticket_id,
                        bool relevant, struct arena *arena, struct hotline_sample *out);

#endif
