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
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
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

/* result_list returns results matching q, newest first (by id), strings in arena;
 * *total counts all matches (ignoring paging). A subdistrict filter keeps results of
 * tubes sampled there; for a scoped actor one other than its own is ERR_FORBIDDEN.
 * ERR_INVALID for an unknown result value. */
int result_list(struct db *db, const struct actor *a, const struct result_query *q, struct arena *arena,
                struct result **items, size_t *n, int64_t *total);

#endif
