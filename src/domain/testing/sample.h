/* domain/testing/sample.h - 扫码取样: sampling scans (R2.4). A sample is one scanned person:
 * ID number, name and phone sealed (SM4), the ID also blind-indexed for lookups, plus the
 * tube, mixing group, site, plan and time. Deletes are tombstones, audited.
 */
#ifndef JY_DOMAIN_SAMPLE_H
#define JY_DOMAIN_SAMPLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/ingest/ingest.h"

#define SAMPLE_LIST_MAX 5000

/* The ingest kind for POST /api/v1/samples[/batch]:
 * {"source","external_id","id_number","name","phone"?,"tube_code","site_code","plan_no"?,
 *  "collected_at","mix_size"?,"mix_index"?,"collector"?} */
extern const struct ingest_kind sample_kind;

/* sample_delete tombstones a sample (by id) and corrects the counters, audited.
 * ERR_NOT_FOUND when absent, already deleted, or outside the actor's subdistrict. */
int sample_delete(struct app *app, struct db *db, const struct actor *a, int64_t id);

/* The scan records behind a count (R1.2 drill-down), for GET /api/v1/samples. */
struct sample_query {
    const char *site_code, *subdistrict, *community; /* exact, NULL or "" = any */
    int64_t from, to;                                /* collected_at in [from, to), 0 = open */
    int64_t after;                                   /* paging by id (oldest first) */
    size_t limit;                                    /* 1..SAMPLE_LIST_MAX */
    bool reveal;                                     /* unmasked ID, name, collector: pii.reveal */
    bool no_total;                                   /* skip the count (*total left 0) */
};

struct sample_row {
    int64_t id, collected_at, mix_size, mix_index;
    char id_number[19];      /* "110102********1234" unless revealed; "" when it does not open */
    const char *name;        /* "张*" unless revealed */
    const char *collector;   /* masked like a name unless revealed; "" when not recorded */
    const char *tube_code, *site_code, *site_name, *subdistrict, *community, *plan_no; /* "" = none */
};

/* sample_list returns live (not deleted) samples in the actor's scope matching q, oldest
 * first by id, strings in arena; *total counts every match (unless q->no_total). The sealed
 * fields are opened only to be masked (the plaintext is wiped at once) unless q->reveal.
 * ERR_FORBIDDEN when q->subdistrict is outside a scoped actor's own, or q->reveal without
 * pii.reveal (the caller audits a reveal). Storage errors as db.h. */
int sample_list(struct app *app, struct db *db, const struct actor *a, const struct sample_query *q,
                struct arena *arena, struct sample_row **items, size_t *n, int64_t *total);

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
