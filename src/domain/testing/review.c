/* domain/testing/review.c - the review of reported figures (R1.5, R1.6): proposing and directly
 * making corrections of actual reports, the district's approvals and rejections, the list
 * of corrections, and the round lock. Each step is one transaction: row locks (report,
 * then plan), the change, the counters an approval moves, one outbox event, the audit
 * entry. The reads of reports are domain/testing/actual.c. See review.h.
 */
#include "domain/testing/review.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "core/vec.h"
#include "db/db_value.h"
#include "domain/testing/plan.h"
#include "push/outbox.h"

/* A no-op write that takes the plan's row lock and reads whether it is locked. */
static const char sql_plan_lock_row[] =
    "UPDATE plans SET locked_at = locked_at WHERE id = ?1 RETURNING locked_at";
static const char sql_pending[] =
    "SELECT COALESCE(MAX(id), 0) FROM actual_corrections WHERE actual_id = ?1 AND state = 'proposed'";
static const char sql_insert[] =
    "INSERT INTO actual_corrections (actual_id, original, corrected, reason, actor, corrected_at, state,"
    " decided_by, decided_at, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, '') RETURNING id";
static const char sql_get[] = "SELECT " ACTUAL_CORRECTION_COLS ", a.plan_id" ACTUAL_CORRECTION_FROM " WHERE c.id = ?1";
static const char sql_decide[] =
    "UPDATE actual_corrections SET state = ?2, decided_by = ?3, decided_at = ?4, comment = ?5"
    " WHERE id = ?1 AND state = 'proposed'";
#define REVIEW_FILTER                                                                                       \
    " WHERE (?1 = '' OR a.subdistrict = ?1) AND (?2 = '' OR p.plan_no = ?2) AND (?3 = '' OR c.state = ?3)" \
    " AND (?4 = '' OR a.subdistrict = ?4)"
static const char sql_list[] =
    "SELECT " ACTUAL_CORRECTION_COLS ACTUAL_CORRECTION_FROM REVIEW_FILTER " AND c.id > ?5 ORDER BY c.id LIMIT ?6";
static const char sql_count[] = "SELECT count(*)" ACTUAL_CORRECTION_FROM REVIEW_FILTER;
static const char sql_plan_find[] = "SELECT id, locked_at FROM plans WHERE plan_no = ?1";
static const char sql_plan_set_lock[] = "UPDATE plans SET locked_at = ?2, locked_by = ?3, updated_at = ?4 WHERE id = ?1";

static const char *const review_states[] = { "proposed", "approved", "rejected", NULL };

/* review_may_decide: district accounts and the unscoped system decide and lock. */
static bool
review_may_decide(const struct actor *a)
{
    if (a->subdistrict[0])
        return false;
    return a->kind == ACTOR_SYSTEM || (a->kind == ACTOR_USER && a->role == ROLE_DISTRICT);
}

/* review_who writes the name recorded as proposer or decider. */
static void
review_who(const struct actor *a, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", a->kind == ACTOR_SYSTEM ? "system:" : "", a->name[0] ? a->name : "anonymous");
}

/* review_text checks a reason or comment: 1..max bytes (0 allowed when optional) of text. */
static int
review_text(const char *field, const char *s, size_t max, bool optional, struct buf *why)
{
    size_t len = s ? strlen(s) : 0;
    if ((len == 0 && !optional) || len > max) {
        buf_printf(why, "'%s' must have %d to %zu bytes", field, optional ? 0 : 1, max);
        return ERR_INVALID;
    }
    if (len && (!str_is_utf8(s, len) || str_has_ctl(s, len))) {
        buf_printf(why, "'%s' contains characters that are not allowed", field);
        return ERR_INVALID;
    }
    return 0;
}

/* review_plan_locked takes the plan's row lock; ERR_CONFLICT (why) when it is locked. */
static int
review_plan_locked(struct db *db, int64_t plan_id, const char *plan_no, struct buf *why)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_plan_lock_row, &st)) && !(rc = db_bind_i64(st, 1, plan_id)) &&
        !(rc = db_step(st, &row)) && row && db_col_i64(st, 0) != 0) {
        buf_printf(why, "plan '%s' is locked", plan_no);
        rc = ERR_CONFLICT;
    }
    db_done(st);
    return rc;
}

/* review_emit appends the "actuals" event of a workflow step (no reason, no comment). */
static int
review_emit(struct db *db, const char *action, const struct actual_correction *c, int64_t delta)
{
    int rc;
    if ((rc = outbox_lock(db)))
        return rc;
    return ingest_emit(db, "actuals", c->subdistrict,
                       json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:I, s:I, s:I}", "action", action, "id",
                                 (json_int_t)c->actual_id, "correction_id", (json_int_t)c->id, "plan_no", c->plan_no,
                                 "subdistrict", c->subdistrict, "industry", c->industry, "original",
                                 (json_int_t)c->original, "corrected", (json_int_t)c->corrected, "delta",
                                 (json_int_t)delta));
}

/* review_audit ends a step: the audit entry on "<kind>:<id>" with the values (never the
 * reason or comment), then commit. */
static int
review_audit(struct app *app, struct db *db, const struct actor *a, const char *action, const char *kind,
             int64_t id, const struct actual_correction *c)
{
    char target[48], detail[128];
    snprintf(target, sizeof target, "%s:%lld", kind, (long long)id);
    snprintf(detail, sizeof detail, "actual=%lld correction=%lld original=%lld corrected=%lld", (long long)c->actual_id,
             (long long)c->id, (long long)c->original, (long long)c->corrected);
    return ingest_audit_commit(app, db, a, action, target, detail);
}

/* review_pending: ERR_CONFLICT (why) when report id has a pending proposal. */
static int
review_pending(struct db *db, int64_t id, struct buf *why)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_pending, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row)) &&
        row && db_col_i64(st, 0) != 0) {
        buf_printf(why, "correction %lld of this report is still pending", (long long)db_col_i64(st, 0));
        rc = ERR_CONFLICT;
    }
    db_done(st);
    return rc;
}

/* review_check_correction validates the actor and the values of actual_correct. */
static int
review_check_correction(const struct actor *a, int64_t corrected, const char *reason, struct buf *why)
{
    if (!(a->kind == ACTOR_SYSTEM ||
          (a->kind == ACTOR_USER && (a->role == ROLE_DISTRICT || a->role == ROLE_SUBDISTRICT)))) {
        buf_adds(why, "corrections are made by subdistrict or district accounts");
        return ERR_FORBIDDEN;
    }
    if (corrected < 0 || corrected > PLAN_COUNT_MAX) {
        buf_printf(why, "'corrected' must be from 0 to %lld", (long long)PLAN_COUNT_MAX);
        return ERR_INVALID;
    }
    return review_text("reason", reason, ACTUAL_REASON_MAX, false, why);
}

int
actual_correct(struct app *app, struct db *db, const struct actor *a, int64_t id, int64_t corrected,
               const char *reason, struct arena *arena, struct actual_correction *out, struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct actual cur;
    struct actual_correction c;
    struct db_stmt *st = NULL;
    int64_t plan_id = 0, now = time_now_ms();
    bool direct = review_may_decide(a), in_tx = false, row = false;
    char who[96];
    int rc;

    if (!why)
        why = &scratch;
    if ((rc = review_check_correction(a, corrected, reason, why)))
        goto out;
    review_who(a, who, sizeof who);
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = actual__lock(db, id)) || (rc = actual__read(db, a, id, arena, &cur, &plan_id)) ||
        (rc = review_plan_locked(db, plan_id, cur.plan_no, why)) || (rc = review_pending(db, id, why)))
        goto out;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_i64(st, 2, cur.corrected)) || (rc = db_bind_i64(st, 3, corrected)) ||
        (rc = db_bind_str(st, 4, reason)) || (rc = db_bind_str(st, 5, who)) || (rc = db_bind_i64(st, 6, now)) ||
        (rc = db_bind_str(st, 7, direct ? "approved" : "proposed")) || (rc = db_bind_str(st, 8, direct ? who : "")) ||
        (rc = db_bind_i64(st, 9, direct ? now : 0)) || (rc = db_step(st, &row)))
        goto out;
    c = (struct actual_correction){ .id = row ? db_col_i64(st, 0) : 0, .actual_id = id, .plan_no = cur.plan_no,
                                    .subdistrict = cur.subdistrict, .industry = cur.industry,
                                    .original = cur.corrected, .corrected = corrected,
                                    .reason = arena_strdup(arena, reason), .actor = arena_strdup(arena, who),
                                    .corrected_at = now, .state = direct ? "approved" : "proposed",
                                    .decided_by = direct ? arena_strdup(arena, who) : "", .comment = "",
                                    .decided_at = direct ? now : 0 };
    db_done(st);
    st = NULL;
    if ((direct && (rc = actual__corrected_add(db, plan_id, cur.subdistrict, cur.industry, corrected - cur.corrected))) ||
        (rc = review_emit(db, direct ? "corrected" : "proposed", &c, direct ? corrected - cur.corrected : 0)) ||
        (rc = review_audit(app, db, a, direct ? "actuals.correct" : "actuals.propose", "actual", id, &c)))
        goto out;
    in_tx = false;
    if (out)
        *out = c;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    buf_release(&scratch);
    return rc;
}

/* review_read reads correction id (and its plan id) for a; ERR_NOT_FOUND when absent or
 * out of scope. */
static int
review_read(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct actual_correction *c,
            int64_t *plan_id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_get, &st)) && !(rc = db_bind_i64(st, 1, id)) && !(rc = db_step(st, &row))) {
        if (row) {
            actual__correction_read_row(st, arena, c);
            *plan_id = db_col_i64(st, 14);
        }
        if (!row || !actor_in_scope(a, c->subdistrict))
            rc = ERR_NOT_FOUND;
    }
    db_done(st);
    return rc;
}

/* review_set_state writes the decision of pending correction c. */
static int
review_set_state(struct db *db, const struct actual_correction *c)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, sql_decide, &st)) && !(rc = db_bind_i64(st, 1, c->id)) &&
        !(rc = db_bind_str(st, 2, c->state)) && !(rc = db_bind_str(st, 3, c->decided_by)) &&
        !(rc = db_bind_i64(st, 4, c->decided_at)) && !(rc = db_bind_str(st, 5, c->comment)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
correction_decide(struct app *app, struct db *db, const struct actor *a, int64_t id, bool approve,
                  const char *comment, struct arena *arena, struct actual_correction *out, struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct actual_correction c;
    struct actual cur;
    int64_t plan_id = 0, delta = 0;
    bool in_tx = false;
    char who[96];
    int rc;

    if (!why)
        why = &scratch;
    if (!review_may_decide(a)) {
        buf_adds(why, "corrections are approved or rejected by district accounts");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if ((rc = review_text("comment", comment, REVIEW_COMMENT_MAX, approve, why)))
        goto out;
    review_who(a, who, sizeof who);
    if ((rc = review_read(db, a, id, arena, &c, &plan_id)) || (rc = db_begin(db)))
        goto out;
    in_tx = true;
    /* report first, then plan: the lock order of every correction step */
    if ((rc = actual__lock(db, c.actual_id)) || (rc = review_read(db, a, id, arena, &c, &plan_id)) ||
        (rc = actual__read(db, a, c.actual_id, arena, &cur, NULL)))
        goto out;
    if (strcmp(c.state, "proposed")) {
        buf_printf(why, "correction %lld is %s already", (long long)id, c.state);
        rc = ERR_CONFLICT;
        goto out;
    }
    if ((rc = review_plan_locked(db, plan_id, c.plan_no, why)))
        goto out;
    c.state = approve ? "approved" : "rejected";
    c.decided_by = arena_strdup(arena, who);
    c.decided_at = time_now_ms();
    c.comment = arena_strdup(arena, comment ? comment : "");
    /* no other correction can have been made while this one was pending, so the value it
     * replaces is the value in effect; the delta is taken from the latter all the same */
    delta = approve ? c.corrected - cur.corrected : 0;
    if ((rc = review_set_state(db, &c)) ||
        (rc = actual__corrected_add(db, plan_id, c.subdistrict, c.industry, delta)) ||
        (rc = review_emit(db, c.state, &c, delta)) ||
        (rc = review_audit(app, db, a, approve ? "corrections.approve" : "corrections.reject", "correction", id, &c)))
        goto out;
    in_tx = false;
    if (out)
        *out = c;
out:
    if (in_tx)
        db_rollback(db);
    buf_release(&scratch);
    return rc;
}

static int
review_bind_filter(struct db_stmt *st, const struct actor *a, const struct correction_query *q)
{
    int rc;
    if ((rc = db_bind_str(st, 1, a->subdistrict)) || (rc = db_bind_str(st, 2, q->plan_no)) ||
        (rc = db_bind_str(st, 3, q->state)))
        return rc;
    return db_bind_str(st, 4, q->subdistrict);
}

int
correction_list(struct db *db, const struct actor *a, const struct correction_query *q, struct arena *arena,
                struct actual_correction **items, size_t *n, int64_t *total, struct buf *why)
{
    struct db_stmt *st = NULL;
    size_t limit = q->limit && q->limit <= REVIEW_LIST_MAX ? q->limit : REVIEW_LIST_MAX, count = 0;
    struct actual_correction *out = arena_alloc(arena, limit * sizeof *out);
    bool row = false, known = !q->state || !q->state[0];
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    for (size_t i = 0; !known && review_states[i]; i++)
        known = !strcmp(q->state, review_states[i]);
    if (!known) {
        buf_adds(why, "'state' must be proposed, approved or rejected");
        return ERR_INVALID;
    }
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = review_bind_filter(st, a, q)) || (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = review_bind_filter(st, a, q)) ||
        (rc = db_bind_i64(st, 5, q->after)) || (rc = db_bind_i64(st, 6, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        actual__correction_read_row(st, arena, &out[count++]);
    *n = count;
out:
    db_done(st);
    return rc;
}

/* The round lock ---------------------------------------------------------------------------- */

int
plan_lock(struct app *app, struct db *db, const struct actor *a, const char *plan_no, bool lock, int64_t *locked_at,
          struct buf *why)
{
    struct buf scratch = BUF_INIT;
    struct db_stmt *st = NULL;
    int64_t plan_id = 0, now = time_now_ms(), was = 0;
    bool in_tx = false, row = false;
    char who[96], target[48];
    int rc;

    if (!why)
        why = &scratch;
    if (!review_may_decide(a)) {
        buf_adds(why, "rounds are locked and unlocked by district accounts");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    review_who(a, who, sizeof who);
    if ((rc = db_begin(db)))
        goto out;
    in_tx = true;
    if ((rc = db_prepare(db, sql_plan_find, &st)) || (rc = db_bind_str(st, 1, plan_no)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    plan_id = db_col_i64(st, 0);
    db_done(st);
    st = NULL;
    /* read again under the row lock: a concurrent lock or report waits or is seen */
    if ((rc = db_prepare(db, sql_plan_lock_row, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
        (rc = db_step(st, &row)))
        goto out;
    was = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((was != 0) == lock) {
        buf_printf(why, "plan '%s' is %s already", plan_no, lock ? "locked" : "open");
        rc = ERR_CONFLICT;
        goto out;
    }
    if ((rc = db_prepare(db, sql_plan_set_lock, &st)) || (rc = db_bind_i64(st, 1, plan_id)) ||
        (rc = db_bind_i64(st, 2, lock ? now : 0)) || (rc = db_bind_str(st, 3, lock ? who : "")) ||
        (rc = db_bind_i64(st, 4, now)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    snprintf(target, sizeof target, "plan:%lld", (long long)plan_id);
    if ((rc = outbox_lock(db)) ||
        (rc = ingest_emit(db, "plans", "",
                          json_pack("{s:s, s:I, s:s}", "action", lock ? "locked" : "unlocked", "id",
                                    (json_int_t)plan_id, "plan_no", plan_no))) ||
        (rc = ingest_audit_commit(app, db, a, lock ? "plans.lock" : "plans.unlock", target, NULL)))
        goto out;
    in_tx = false;
    if (locked_at)
        *locked_at = lock ? now : 0;
out:
    db_done(st);
    if (in_tx)
        db_rollback(db);
    buf_release(&scratch);
    return rc;
}
