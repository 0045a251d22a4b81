/* domain/testing/plan.h - 计划 mass-testing plans and 应检 planned head-counts (R1.4, R2.3).
 *
 * A plan has a number (plan_no, unique), a name, a kind, a time window and a scope: the
 * subdistricts it covers ("" = the whole district). Planned counts are reported per plan x
 * subdistrict x community (optional) x industry (optional, a GB/T 4754 section code from
 * the industries table). Each accepted planned count adds to the counter stat_plan.planned
 * of (plan, subdistrict, industry) and, when an industry is given, also of (plan,
 * subdistrict, ''), so industry '' always holds the subdistrict's total.
 *
 * Scope: a subdistrict-bound actor reports only for its subdistrict, sees the plans that
 * cover it and only its own planned rows. A plan locked by the district (review.h)
 * refuses planned and actual reports as a conflict (outcome code ERR_CONFLICT). Events: "plans" per plan created, "planned" per
 * (plan, subdistrict) per batch with the records and head-count added (no personal data:
 * there is none here).
 */
#ifndef JY_DOMAIN_PLAN_H
#define JY_DOMAIN_PLAN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define PLAN_SCOPE_MAX 64      /* subdistricts in a plan's scope */
#define PLAN_LIST_MAX 1000     /* items per page (plans and planned) */
#define PLAN_COUNT_MAX 100000000LL /* a planned or actual head-count */

/* The ingest kind for POST /api/v1/plans[/batch]:
 * {"source","external_id","plan_no","name","kind"?:"mass|key_groups|school|other"
 *  (default mass),"starts_at","ends_at" (> starts_at),"scope"?:["subdistrict code"…]}
 * Times may lie up to a year ahead. A plan_no already used by another upstream record is
 * rejected. A subdistrict-bound actor may only create a plan whose scope is exactly its
 * own subdistrict. */
extern const struct ingest_kind plan_kind;

/* The ingest kind for POST /api/v1/planned[/batch]:
 * {"source","external_id","plan_no","subdistrict","community"?,"industry"?,"count" (>= 0),
 *  "reported_at"? (default: now)}. The subdistrict must lie in the plan's scope. */
extern const struct ingest_kind plan_planned_kind;

struct plan {
    int64_t id;
    const char *plan_no, *name, *kind;
    const char *scope; /* comma-separated subdistrict codes, "" = all */
    const char *source, *external_id;
    int64_t starts_at, ends_at, created_at, updated_at;
    int64_t locked_at;     /* 0 = open */
    const char *locked_by; /* "" when open */
};

struct plan_query {
    const char *q;  /* substring of plan_no or name, NULL = any */
    int64_t at;     /* only plans running at this time (starts_at <= at < ends_at), 0 = any */
    int64_t after;  /* paging: ids greater than this */
    size_t limit;   /* 1..PLAN_LIST_MAX */
};

/* plan_scope_json returns scope (comma-separated codes, "" = all) as a new JSON array of
 * the codes ([] for all), for events and replies. */
json_t *plan_scope_json(const char *scope);

/* plan_list returns the plans covering the actor's scope, by id, strings in arena. */
int plan_list(struct db *db, const struct actor *a, const struct plan_query *q, struct arena *arena,
              struct plan **items, size_t *n, int64_t *total);
/* plan_get reads the plan numbered plan_no. ERR_NOT_FOUND when absent or not covering the
 * actor's subdistrict. */
int plan_get(struct db *db, const struct actor *a, const char *plan_no, struct arena *arena, struct plan *out);
/* plan_latest reads the plan that started last at or before now (else the earliest one
 * to come) among those covering the actor. ERR_NOT_FOUND when there is none. */
int plan_latest(struct db *db, const struct actor *a, int64_t now, struct arena *arena, struct plan *out);

struct plan_totals {
    int64_t planned, reported, corrected, sampled;
};
/* plan_totals sums the counters (industry '' rows) of plan_id over the subdistricts in the
 * actor's scope. */
int plan_totals(struct db *db, const struct actor *a, int64_t plan_id, struct plan_totals *out);

struct plan_planned {
    int64_t id;
    const char *plan_no, *subdistrict;
    const char *community, *industry; /* "" when not given */
    const char *source, *external_id;
    int64_t count, reported_at;
};
struct plan_planned_query {
    const char *plan_no, *subdistrict; /* exact, NULL = any */
    int64_t after;
    size_t limit;
};
/* plan_planned_list returns planned rows in the actor's scope, by id, strings in arena. */
int plan_planned_list(struct db *db, const struct actor *a, const struct plan_planned_query *q,
                      struct arena *arena, struct plan_planned **items, size_t *n, int64_t *total);

/* Internals shared with domain/testing/actual.c. */
/* plan__check looks plan_no up (cached for the batch) and rejects a subdistrict outside
 * the plan's scope, naming field. *locked tells whether the plan is locked; the plan's
 * row lock is taken (once per batch) so a concurrent lock waits for this batch. The
 * kind's state must be a struct plan__tally. NEEDSWORK: two batches naming the same plans
 * in opposite orders can deadlock on PostgreSQL, which aborts one (ERR_UNAVAILABLE: the
 * client retries), as with sites and check-ins (site.h). */
int plan__check(struct ingest *ing, const char *field, const char *plan_no, const char *subdistrict,
                int64_t *plan_id, bool *locked, struct ingest_outcome *out);
/* plan__refuse_locked answers a record for a locked plan: ERR_CONFLICT (a duplicate) when
 * sql_exists ("SELECT count(*) FROM <table> WHERE source = ?1 AND external_id = ?2")
 * finds the record stored already, else rejected with outcome code ERR_CONFLICT. */
int plan__refuse_locked(struct ingest *ing, const char *sql_exists, const char *source, const char *external_id,
                        const char *plan_no, struct ingest_outcome *out);
/* plan__check_industry rejects (naming field) a code that is not in the industries table. */
int plan__check_industry(struct ingest *ing, const char *field, const char *industry, struct ingest_outcome *out);
/* plan__count adds delta to column col of stat_plan for (plan, subdistrict, industry) and,
 * when industry is not "", to (plan, subdistrict, '') as well. */
int plan__count(struct ingest *ing, int64_t plan_id, const char *subdistrict, const char *industry,
                enum ingest_plan_col col, int64_t delta);

/* A per-batch tally of accepted records per (plan, subdistrict), flushed as one event
 * each: {"action","plan_no","subdistrict","records","count"}. Lives in the batch arena;
 * a zeroed struct is empty. */
struct plan__tally_row;
struct plan__seen;
struct plan__tally {
    struct plan__tally_row *rows;
    size_t n, cap;
    struct plan__seen *seen; /* plans checked in this batch (plan__check) */
    size_t nseen, capseen;
};
int plan__tally_add(struct ingest *ing, struct plan__tally *t, const char *plan_no, const char *subdistrict,
                    int64_t count);
int plan__tally_flush(struct ingest *ing, struct plan__tally *t, const char *topic, const char *action);

#endif
