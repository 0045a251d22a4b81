/* domain/testing/actual.h - 实检报送 actual test counts as reported, and the reads of their
 * corrections (R1.5, R1.6, R2.2). The correction workflow itself (propose, approve,
 * reject, the round lock) is domain/testing/review.h.
 *
 * An actual report is per plan x subdistrict x site (optional, a site of that subdistrict)
 * x industry (optional). Its reported count never changes; a correction is a separate row
 * keeping the value it replaced (the one in effect when it was proposed), the corrected
 * value, who, when and why, and its state (proposed | approved | rejected) with who
 * decided, when and with what comment. The effective value of a report is its last
 * APPROVED correction, else its count.
 *
 * Counters (stat_plan, industry '' always also holding the subdistrict total): an accepted
 * report adds its count to actual_reported and actual_corrected; an approved correction
 * adds (corrected - value in effect) to actual_corrected. So actual_reported is the sum of
 * reported counts and actual_corrected the sum of effective values, per plan x subdistrict
 * x industry. Events "actuals": per (plan, subdistrict) per batch {"action":"reported",
 * "plan_no","subdistrict","records","count"}; the workflow's events are in review.h.
 * A report for a locked plan (review.h) is rejected as a conflict (outcome code
 * ERR_CONFLICT; a retry of a report stored before the lock is still a duplicate).
 */
#ifndef JY_DOMAIN_ACTUAL_H
#define JY_DOMAIN_ACTUAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define ACTUAL_LIST_MAX 1000
#define ACTUAL_REASON_MAX 500 /* bytes of a correction's reason */

/* The ingest kind for POST /api/v1/actuals[/batch]:
 * {"source","external_id","plan_no","subdistrict","site_code"?,"industry"?,"count" (>= 0),
 *  "reported_at"}. The subdistrict must lie in the plan's scope. */
extern const struct ingest_kind actual_kind;

struct actual {
    int64_t id;
    const char *plan_no, *subdistrict;
    const char *site_code, *industry; /* "" when not given */
    const char *source, *external_id;
    int64_t count;       /* as reported */
    int64_t corrected;   /* effective value: the last approved correction, else count */
    int64_t corrections; /* how many corrections, whatever their state */
    int64_t pending;     /* id of the pending proposal, 0 = none */
    int64_t reported_at;
};

struct actual_query {
    const char *plan_no, *subdistrict; /* exact, NULL = any */
    int64_t after;
    size_t limit; /* 1..ACTUAL_LIST_MAX */
};

/* actual_list returns reports in the actor's scope, by id, strings in arena. */
int actual_list(struct db *db, const struct actor *a, const struct actual_query *q, struct arena *arena,
                struct actual **items, size_t *n, int64_t *total);
/* actual_get reads one report. ERR_NOT_FOUND when absent or outside the actor's scope. */
int actual_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *out);

/* One correction (proposal) of a report and its decision. */
struct actual_correction {
    int64_t id, actual_id;
    const char *plan_no, *subdistrict, *industry; /* of the report; "" industry = none */
    int64_t original, corrected; /* the value in effect when proposed, the new value */
    const char *reason, *actor;  /* why and who proposed */
    int64_t corrected_at;        /* when proposed */
    const char *state;           /* "proposed" | "approved" | "rejected" */
    const char *decided_by, *comment; /* "" while proposed */
    int64_t decided_at;               /* 0 while proposed */
};

/* actual_corrections lists the corrections of report id in every state, oldest first,
 * with the report itself in *report. ERR_NOT_FOUND when absent or out of scope. */
int actual_corrections(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *report,
                       struct actual_correction **items, size_t *n);

/* Internals shared with domain/testing/review.c. */
/* actual__read reads report id in a's scope (ERR_NOT_FOUND otherwise); *plan_id (may be
 * NULL) gets its plan id. Strings in arena. */
int actual__read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *out,
                 int64_t *plan_id);
/* actual__lock takes the row lock of report id (see ingest_lock_row). */
int actual__lock(struct db *db, int64_t id);
/* actual__corrected_add adds delta to stat_plan.actual_corrected of (plan, subdistrict,
 * industry) and, when industry is not "", of (plan, subdistrict, ''). */
int actual__corrected_add(struct db *db, int64_t plan_id, const char *subdistrict, const char *industry,
                          int64_t delta);
/* actual__correction_read_row reads ACTUAL_CORRECTION_COLS (below) from st into c. */
struct db_stmt;
void actual__correction_read_row(struct db_stmt *st, struct arena *arena, struct actual_correction *c);
#define ACTUAL_CORRECTION_COLS                                                                               \
    "c.id, c.actual_id, p.plan_no, a.subdistrict, a.industry, c.original, c.corrected, c.reason, c.actor," \
    " c.corrected_at, c.state, c.decided_by, c.comment, c.decided_at"
#define ACTUAL_CORRECTION_FROM \
    " FROM actual_corrections c JOIN actuals a ON a.id = c.actual_id JOIN plans p ON p.id = a.plan_id"

/* Totals of one plan per subdistrict (the map's actual-report layer), from stat_plan. */
struct actual_area {
    const char *subdistrict, *name;
    int64_t planned, reported, corrected, sampled;
    int64_t sites;          /* live sites of the subdistrict */
    int64_t lon_e6, lat_e6; /* centroid of those sites; valid when sites > 0 */
};
/* actual_areas returns the subdistricts in the actor's scope that have counters for
 * plan_id, by code. */
int actual_areas(struct db *db, const struct actor *a, int64_t plan_id, struct arena *arena,
                 struct actual_area **items, size_t *n);

#endif
