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

#endif
