/* domain/ingest/ingest_fold.h - internal to domain/ingest: the counter rows a batch
 * accumulates (stat_scans, stat_plan, stat_gauges deltas), written once per key in one
 * global key order, and their fold into a group-commit group (issue 13): with the writer's
 * write_group (domain/platform/write_group.h) the counters of every request of a group are
 * summed per key and upserted once at the group's close.
 */
#ifndef JY_DOMAIN_INGEST_FOLD_H
#define JY_DOMAIN_INGEST_FOLD_H
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "domain/platform/write_group.h"

struct ingest_counter {
    const char *key; /* "s|…", "p|…", "g|…": the flush order */
    int kind;        /* 0 scans, 1 plan, 2 gauge */
    int64_t plan_id, site_id, hour;
    const char *subdistrict, *community, *industry, *name;
    int64_t deltas[4];
};

/* ingest_flush_counters upserts list[0..n) (sorting list by key first), inside the
 * caller's transaction. Keys in one global order: concurrent transactions lock counter
 * rows in the same order and cannot deadlock (PostgreSQL 40P01). */
int ingest_flush_counters(struct db *db, struct ingest_counter **list, size_t n);
/* ingest_fold_counters adds list[0..n) to group g's counters (strings copied); they are
 * written by g's close. Cannot fail. */
void ingest_fold_counters(struct write_group *g, struct ingest_counter *const *list, size_t n);

#endif
