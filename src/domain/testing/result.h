/* domain/testing/result.h - 检测结果: laboratory results per tube (R2.6). A person's result is
 * their tube's result: the personal query (R4) joins samples.person_bidx -> tube_code ->
 * results, served by the indexes samples_person, samples_tube and results_tube
 * (tube_code, tested_at).
 *
 * Laboratories are fast: a result may arrive before the samples of its tube. It is stored
 * anyway. At ingest the counter stat_gauges "results_<value>" of the tube's subdistrict
 * (taken from its live samples, '' when none are known yet) grows by one, in the same
 * transaction; "results.counts" events carry the institution, the subdistrict and counts
 * per result value, never tubes or people.
 *
 * NEEDSWORK: a result counted under '' stays there when its samples arrive later (the
 * sample kind would have to move it); the big screen shows such results as "not placed
 * yet" (results_by_subdistrict, subdistrict '').
 *
 * Scope: a district-wide actor (a laboratory's token) writes any result. An actor bound
 * to a subdistrict writes and reads only results of tubes sampled in that subdistrict
 * (a tube not sampled yet is outside every subdistrict).
 */
#ifndef JY_DOMAIN_RESULT_H
#define JY_DOMAIN_RESULT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "crypto/keys.h"
#include "domain/ingest/ingest.h"

#define RESULT_LIST_MAX 500 /* items per page */

/* The ingest kind for POST /api/v1/results[/batch]:
 * {"source","external_id","tube_code","institution","tested_at",
 *  "result":"negative|positive|invalid|pending"} */
extern const struct ingest_kind result_kind;

/* The result values, NULL-terminated; the gauge of value v is "results_" v. */
extern const char *const result_values[];

struct result {
    int64_t id;
    const char *source, *external_id, *tube_code, *institution, *result;
    int64_t tested_at, created_at;
};

struct result_query {
    const char *tube_code;   /* exact, NULL = any */
    const char *institution; /* exact, NULL = any */
    const char *result;      /* one of result_values, NULL = any */
    const char *subdistrict; /* NULL = any (within the actor's scope) */
    int64_t from, to;        /* tested_at in [from, to); 0 = open */
    int64_t before_id;       /* paging: ids smaller than this (0 = newest) */
    size_t limit;            /* 1..RESULT_LIST_MAX */
};

/* result_list returns results matching q, newest first (by id), strings in arena; each
 * row's MAC is verified (issue 12): a row that fails reads result "damaged" with no
 * institution, is counted and logged, and the list is audited "integrity.failure"
 * (detail "column=results results=N"), never the stored value;
 * *total counts all matches (ignoring paging). A subdistrict filter keeps results of
 * tubes sampled there; for a scoped actor one other than its own is ERR_FORBIDDEN.
 * ERR_INVALID for an unknown result value. */
/* Integrity (issue 12; domain/testing/result_mac.c, crypto/rowmac.h). Every result row
 * carries mac = row MAC over (source, external_id, tube_code, institution, tested_at,
 * result) and mac_key, written at ingest. result_get reads result id and verifies it:
 * ERR_CRYPTO (counted in jiayuan_integrity_failures_total, logged as
 * crypto.integrity_failure column "results") when the row was changed behind the
 * application's back or its mac is missing - the caller reports damaged data;
 * ERR_NOT_FOUND when there is no such row. Rows stored before migration 0025 are accepted
 * without a mac until result_mac_backfill (run by `jiayuan verify`) has given them one;
 * it returns in *done how many it sealed. */
void result_mac_input(struct buf *m, const struct result *r);
int result_mac_sign(const struct keyring *kr, const struct result *r, uint8_t mac[SM3_LEN], uint32_t *key_id);
int result_get(const struct keyring *kr, struct db *db, int64_t id, struct arena *arena, struct result *out);
int result_mac_backfill(const struct keyring *kr, struct db *db, int64_t *done);
/* For readers of many rows: result_legacy_upto gives the highest id stored before 0025
 * whose mac may still be missing (0 once backfilled); result_mac_ok checks r's stored mac
 * (n bytes, key key_id, mac_null when the column is NULL) - 0 or ERR_CRYPTO (counted). */
int result_legacy_upto(struct db *db, int64_t *upto);
/* result_mac_rekey: data-key rotation's re-MAC of results (domain/platform/rotation.h
 * rotation_remac_fn, without the app): up to limit (≤ 500) rows after *after whose mac names
 * another key than to_key, each old mac checked (a failing row stays: damaged), re-signed
 * under the active key with a compare-and-swap write, in one transaction. */
int result_mac_rekey(const struct keyring *kr, struct db *db, uint32_t to_key, size_t limit, int64_t *after,
                     size_t *scanned);
int result_mac_ok(const struct keyring *kr, const struct result *r, const void *mac, size_t n, int64_t key_id,
                  bool mac_null, int64_t upto);

int result_list(const struct keyring *kr, struct db *db, const struct actor *a, const struct result_query *q,
                struct arena *arena, struct result **items, size_t *n, int64_t *total);

#endif
