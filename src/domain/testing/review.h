/* domain/testing/review.h - the review of reported figures (R1.5, R1.6): corrections of actual
 * reports as a workflow in the spirit of DHIS2's data approval, and the round lock.
 *
 * States of a correction (a row of actual_corrections, never deleted):
 *
 *     (subdistrict proposes) --> proposed --(district approves)--> approved
 *                                         \-(district rejects, comment)--> rejected
 *     (district or unscoped system corrects) ------------------------> approved (direct)
 *
 * Only approved corrections make the effective figure (actual.h). A report has at most one
 * pending proposal; while it is pending the report takes no other correction (a second
 * proposal or a direct correction is ERR_CONFLICT), so the value a proposal replaces is
 * still the value in effect when it is approved. Decisions are final: deciding a decided
 * correction is ERR_CONFLICT.
 *
 * Why the district corrects directly: the district is the approving level; a proposal it
 * would approve itself adds a step and no control. Its correction is recorded like any
 * other (proposal row, state approved, decided by itself) and audited as such.
 *
 * The round lock: a district account (or the system) locks and unlocks a plan. A locked
 * plan refuses new planned and actual reports (plan.h), proposals, direct corrections,
 * approvals and rejections, all ERR_CONFLICT; pending proposals wait for the unlock.
 * Sampling scans are still counted (they are what happened, not a figure under review).
 *
 * Who: proposals and corrections come from subdistrict accounts (their own subdistrict's
 * reports), district accounts and the system (CLI, demo); decisions and the lock from
 * district accounts and the unscoped system only. Others get ERR_FORBIDDEN; a report or
 * correction outside the actor's scope is ERR_NOT_FOUND.
 *
 * Every step is one transaction with its audit entry ("actuals.propose", "actuals.correct"
 * for a direct one, "corrections.approve", "corrections.reject", "plans.lock",
 * "plans.unlock"; never the reason or the comment) and an outbox event: topic "actuals",
 * {"action":"proposed"|"corrected"|"approved"|"rejected","id" (the report),
 * "correction_id","plan_no","subdistrict","industry","original","corrected","delta"} (delta
 * is 0 for proposals and rejections), and topic "plans" {"action":"locked"|"unlocked",
 * "id","plan_no"}. Reasons and comments are never in events.
 */
#ifndef JY_DOMAIN_REVIEW_H
#define JY_DOMAIN_REVIEW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/testing/actual.h"

#define REVIEW_COMMENT_MAX 500 /* bytes of a decision's comment */
#define REVIEW_LIST_MAX 1000

/* actual_correct records a correction of report id to corrected (0..PLAN_COUNT_MAX) for
 * reason (1..ACTUAL_REASON_MAX bytes of text): approved at once (direct) for a district
 * account or the unscoped system, proposed for a subdistrict account or a system actor
 * bound to a subdistrict. ERR_FORBIDDEN for other
 * actors, ERR_NOT_FOUND when absent or out of scope, ERR_INVALID for bad values,
 * ERR_CONFLICT when the plan is locked or a proposal is pending; why (may be NULL) gets
 * the reason of every refusal. out (may be NULL) gets the stored row (strings in arena). */
int actual_correct(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t corrected,
                   const char *reason, struct arena *arena, struct actual_correction *out, struct buf *why);

/* correction_decide approves (approve) or rejects correction id with comment (approve:
 * optional, NULL or 0..REVIEW_COMMENT_MAX bytes; reject: 1..REVIEW_COMMENT_MAX bytes).
 * ERR_FORBIDDEN unless a is a district account or the unscoped system; ERR_NOT_FOUND;
 * ERR_CONFLICT when it is decided already or its plan is locked; ERR_INVALID for a bad
 * comment. out (may be NULL) gets the decided row. */
int correction_decide(struct app *app, struct db *db, const struct actor *a, int64_t id, bool approve,
                      const char *comment, struct arena *arena, struct actual_correction *out, struct buf *why);

struct correction_query {
    const char *plan_no, *state, *subdistrict; /* exact, NULL or "" = any */
    int64_t after;
    size_t limit; /* 1..REVIEW_LIST_MAX */
};
/* correction_list returns corrections in a's scope by id (a subdistrict account: its own
 * subdistrict's only, whatever the filter says). ERR_INVALID (why) for an unknown state. */
int correction_list(struct db *db, const struct actor *a, const struct correction_query *q, struct arena *arena,
                    struct actual_correction **items, size_t *n, int64_t *total, struct buf *why);

/* plan_lock locks (lock) or unlocks plan plan_no. ERR_FORBIDDEN unless a is a district
 * account or the unscoped system; ERR_NOT_FOUND; ERR_CONFLICT when it is locked (or open)
 * already. *locked_at (may be NULL) gets the new locked_at (0 after an unlock). */
int plan_lock(struct app *app, struct db *db, const struct actor *a, const char *plan_no, bool lock,
              int64_t *locked_at, struct buf *why);

#endif
