/* domain/testing/actual.h - 实检报送 actual test counts as reported, and the subdistricts'
 * corrections of them (R1.5, R1.6, R2.2).
 *
 * An actual report is per plan x subdistrict x site (optional, a site of that subdistrict)
 * x industry (optional). Its reported count never changes; a correction is a separate row
 * keeping the value it replaced (the one in effect before: the report's count or the last
 * correction), the corrected value, who, when and why. The effective value of a report is
 * its last correction, else its count.
 *
 * Counters (stat_plan, industry '' always also holding the subdistrict total): an accepted
 * report adds its count to actual_reported and actual_corrected; a correction adds
 * (corrected - original) to actual_corrected. So actual_reported is the sum of reported
 * counts and actual_corrected the sum of effective values, per plan x subdistrict x
 * industry. Events "actuals": per (plan, subdistrict) per batch {"action":"reported",
 * "plan_no","subdistrict","records","count"}; per correction {"action":"corrected","id",
 * "plan_no","subdistrict","industry","original","corrected","delta"} (never the reason).
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
    int64_t corrected;   /* effective value: the last correction, else count */
    int64_t corrections; /* how many corrections */
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

struct actual_correction {
    int64_t id, actual_id;
    int64_t original, corrected; /* the value replaced, the new value */
    const char *reason, *actor;
    int64_t corrected_at;
};

/* actual_correct records a correction of report id to corrected (0..PLAN_COUNT_MAX) for
 * reason (1..ACTUAL_REASON_MAX bytes of text). Allowed to a subdistrict account of the
 * report's subdistrict, a district account, and the system (CLI, demo); API tokens and
 * other roles get ERR_FORBIDDEN (why filled). ERR_NOT_FOUND when absent or outside the
 * actor's scope; ERR_INVALID with why filled for bad values. Writes the correction, the
 * counter change, an "actuals" event and an audit entry in one transaction. out (may be
 * NULL) gets the stored correction (strings point into the caller's reason and actor). */
int actual_correct(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t corrected,
                   const char *reason, struct ingest_outcome *why, struct actual_correction *out);
/* actual_corrections lists the corrections of report id, oldest first, with the report
 * itself in *report. ERR_NOT_FOUND when absent or out of scope. */
int actual_corrections(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual *report,
                       struct actual_correction **items, size_t *n);

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
