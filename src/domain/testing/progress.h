/* domain/testing/progress.h - planned vs actual of one round (R1.4-R1.6): per subdistrict,
 * community or industry (GB/T 4754 section), the planned head-count (应检), the reported
 * actual count (报送), the count after approved corrections (更正后), the count from
 * sampling scans (实检), the difference and the completion.
 *
 * Sources: by subdistrict and by industry, the stat_plan counters (rows of industry '' and
 * of each industry); by community, the plan's planned and actual rows (an actual report
 * counts under its site's community, "" without a site) and the stat_scans counters. Scans
 * carry no industry, so by industry "sampled" is unknown (-1) and the difference and
 * completion are taken from the corrected count instead (basis "corrected"); otherwise
 * from the scans (basis "sampled"):
 *     difference = planned - basis count      (what is still to be tested; < 0 = more)
 *     completion = basis count * 10000 / planned   (basis points; 0 when nothing planned)
 * Rows are keyed by subdistrict, then the community or industry code; a subdistrict
 * account gets its own subdistrict's rows only, a district account every subdistrict side
 * by side. Rows with all counts 0 are left out.
 */
#ifndef JY_DOMAIN_PROGRESS_H
#define JY_DOMAIN_PROGRESS_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

enum progress_by { PROGRESS_SUBDISTRICT, PROGRESS_COMMUNITY, PROGRESS_INDUSTRY };

struct progress_row {
    const char *subdistrict, *subdistrict_name;
    const char *code, *name; /* community or industry code and name; "" by subdistrict */
    int64_t planned, reported, corrected;
    int64_t sampled; /* -1 = not counted (by industry) */
    int64_t difference, completion_bp;
};

/* progress_parse_by maps "subdistrict" | "community" | "industry" (NULL or "" =
 * subdistrict) to *by; ERR_INVALID otherwise. */
int progress_parse_by(const char *s, enum progress_by *by);
/* progress_basis names the count difference and completion are taken from for by. */
const char *progress_basis(enum progress_by by);

/* plan_progress returns the rows of plan_id by by in a's scope, strings in arena. */
int plan_progress(struct db *db, const struct actor *a, int64_t plan_id, enum progress_by by, struct arena *arena,
                  struct progress_row **items, size_t *n);

#endif
