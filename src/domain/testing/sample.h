/* domain/testing/sample.h - 扫码取样: sampling scans (R2.4). A sample is one scanned person:
 * ID number, name and phone sealed (SM4), the ID also blind-indexed for lookups, plus the
 * tube, mixing group, site, plan and time. Deletes are tombstones, audited.
 */
#ifndef JY_DOMAIN_SAMPLE_H
#define JY_DOMAIN_SAMPLE_H
#include "domain/ingest/ingest.h"

/* The ingest kind for POST /api/v1/samples[/batch]:
 * {"source","external_id","id_number","name","phone"?,"tube_code","site_code","plan_no"?,
 *  "collected_at","mix_size"?,"mix_index"?,"collector"?} */
extern const struct ingest_kind sample_kind;

/* sample_delete tombstones a sample (by id) and corrects the counters, audited.
 * ERR_NOT_FOUND when absent, already deleted, or outside the actor's subdistrict. */
int sample_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);

#define SAMPLE_REASON_MAX 500 /* bytes of a correction's reason */

/* sample_correct corrects fields of sample id (domain/testing/sample_correct.c; R2.4 修改).
 * patch: {"source","reason", and at least one of "id_number","name","phone" (null
 * clears),"tube_code","mix_size","mix_index","collector" (null clears)}, validated as at
 * ingest; "source" must be the sample's own (the system that sent it, asserted like at
 * ingest) else ERR_FORBIDDEN; "reason" 1..SAMPLE_REASON_MAX bytes without ID numbers.
 * Site, time and plan are not correctable (delete and send again). The version before is
 * copied into sample_history (sealed fields stay sealed) with who, when, why and the
 * fields changed; a new ID number gets a new blind index. One "samples.corrected" event
 * {"action","id","site_code","subdistrict","fields"} (names, never values) and the audit
 * entry "samples.correct" (detail: the field names) in the same transaction.
 * ERR_NOT_FOUND when absent, deleted or outside a's subdistrict; ERR_INVALID with why
 * filled for a bad patch. */
int sample_correct(struct app *app, struct db *db, const struct actor *a, int64_t id, json_t *patch,
                   struct ingest_outcome *why);

#endif
