/* domain/exchange/emergency.h - the emergency bureau's (应急局) real-time statistics, by
 * subdistrict (R2.8) and by industry (R2.9): ingest their figures, serve ours in the same
 * layout, and put both side by side.
 *
 * The bureau's fields, one row per subdistrict (or industry) of a plan: name, plan_no,
 * plan_name, planned (计划/应检), actual (实际/实检), difference (差值), start_time (开始时间),
 * received_time (接诉时间) and, by subdistrict, industry_counts (per-industry counts, an
 * object industry name -> count). difference is planned - actual (what is still to test);
 * the bureau may send its own, which is kept as sent.
 *
 * Ours are read from the counters (stat_plan, as the statistics do): planned = planned,
 * actual = the reported actual count with approved corrections applied (actual_corrected:
 * the figure the bureau is sent, and the one kept per industry), per industry that count
 * of the industry's rows; start_time is the plan's start, received_time the time the
 * figures were read.
 *
 * Their rows are kept per (plan_no, layout, name), the last one sent replacing the one
 * before (a re-send is idempotent: "unchanged"). Names resolve to our codes: subdistricts
 * through domain/places/subdistrict_names.h (short names, 街道办事处 …), industries by
 * name or code of the industries table; a name that resolves to nothing is kept with code
 * '' and shown as a row of its own.
 *
 * Scope: ingest is district work (an actor bound to a subdistrict is refused). A
 * subdistrict-bound reader sees only its own subdistrict's row by subdistrict and, by
 * industry, ours for its subdistrict with no bureau figures (theirs are district-wide).
 * Events: one "exchange.emergency" event per ingest call, {plan_no, layout, rows,
 * inserted, updated, unchanged} (no personal data: there is none here); audited as
 * "exchange.emergency.ingest".
 */
#ifndef JY_DOMAIN_EXCHANGE_EMERGENCY_H
#define JY_DOMAIN_EXCHANGE_EMERGENCY_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

#define EMERGENCY_TOPIC "exchange.emergency"
#define EMERGENCY_ROWS_MAX 5000  /* rows in one ingest call */
#define EMERGENCY_NAME_MAX 64    /* bytes of a name, plan_no, source */
#define EMERGENCY_TEXT_MAX 200   /* bytes of a plan name */
#define EMERGENCY_INDUSTRIES_MAX 100

enum emergency_layout { EMERGENCY_BY_SUBDISTRICT, EMERGENCY_BY_INDUSTRY };

/* emergency_layout_name returns "subdistrict" or "industry". */
const char *emergency_layout_name(enum emergency_layout l);

struct emergency_result {
    size_t inserted, updated, unchanged;
};

/* emergency_ingest stores rows (a JSON array of objects {"plan_no","name","planned",
 * "actual","difference"?,"plan_name"?,"start_time"?,"received_time"?,"industry_counts"?
 * (by subdistrict only)}) sent by source for layout, in one transaction: all rows or none.
 * Times are ms since the epoch, RFC 3339, or "YYYY-MM-DD[ HH:MM[:SS]]" in Asia/Shanghai.
 * Errors: ERR_INVALID with "row N: reason" (1-based) in why; ERR_FORBIDDEN for a
 * subdistrict-bound actor; storage errors as db.h. */
int emergency_ingest(struct app *app, struct db *db, const struct actor *a, enum emergency_layout layout,
                     const char *source, json_t *rows, struct emergency_result *res, struct buf *why);

/* emergency_compare builds the side-by-side answer for plan_no:
 * {"plan_no","plan_name","start_time","layout","generated_at","rows":[{"code","name",
 *  "plan_no","plan_name","start_time","received_time","planned","actual","difference",
 *  "industry_counts"? ,"theirs":{"planned","actual","difference","plan_name","start_time",
 *  "received_time","industry_counts"?,"source","updated_at"}|null,
 *  "delta":{"planned","actual","difference"} (ours - theirs)|null,"mismatch":bool}…]}
 * Rows are ours ∪ theirs, ordered by code then name. ERR_NOT_FOUND when neither we nor the
 * bureau know the plan (or, for a subdistrict-bound actor, the plan does not cover it). */
int emergency_compare(struct db *db, const struct actor *a, enum emergency_layout layout, const char *plan_no,
                      json_t **out, struct buf *why);

/* emergency_parse_time reads ms since the epoch, RFC 3339, or "YYYY-MM-DD[ HH:MM[:SS]]"
 * (or with '/' or 'T') taken in Asia/Shanghai. ERR_INVALID otherwise. */
int emergency_parse_time(const char *s, int64_t *ms);

#endif
