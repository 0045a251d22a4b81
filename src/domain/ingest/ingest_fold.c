/* domain/ingest/ingest_fold.c - counter rows: upsert once per key in key order, and fold a
 * request's counters into its group-commit group (contract in ingest_fold.h).
 */
#include "domain/ingest/ingest_fold.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/strmap.h"
#include "core/vec.h"
#include "db/db_sql.h"
#include "db/db_value.h"
#include "domain/ingest/ingest.h"

/* Multi-row upserts (issue 13): a batch's or a group's counter rows of one table in a few
 * statements (db_insert_tiers), not one round trip each. Keys are unique per table within
 * one flush, so no statement updates a row twice (PostgreSQL refuses that). */
#define SCAN_HEAD "INSERT INTO stat_scans (plan_id, subdistrict, community, site_id, hour, n) VALUES"
#define SCAN_TAIL \
    " ON CONFLICT (plan_id, subdistrict, community, site_id, hour) DO UPDATE SET n = stat_scans.n + excluded.n"
#define PLAN_HEAD \
    "INSERT INTO stat_plan (plan_id, subdistrict, industry, planned, actual_reported, actual_corrected, sampled)" \
    " VALUES"
#define PLAN_TAIL                                                                       \
    " ON CONFLICT (plan_id, subdistrict, industry) DO UPDATE SET"                       \
    " planned = stat_plan.planned + excluded.planned,"                                  \
    " actual_reported = stat_plan.actual_reported + excluded.actual_reported,"          \
    " actual_corrected = stat_plan.actual_corrected + excluded.actual_corrected,"       \
    " sampled = stat_plan.sampled + excluded.sampled"
#define GAUGE_HEAD "INSERT INTO stat_gauges (name, subdistrict, value) VALUES"
#define GAUGE_TAIL " ON CONFLICT (name, subdistrict) DO UPDATE SET value = stat_gauges.value + excluded.value"
static struct db_insert scan_tiers[] = { DB_INSERT(SCAN_HEAD, SCAN_TAIL, 0, 6, 64),
                                         DB_INSERT(SCAN_HEAD, SCAN_TAIL, 0, 6, 8) };
static struct db_insert plan_tiers[] = { DB_INSERT(PLAN_HEAD, PLAN_TAIL, 0, 7, 64),
                                         DB_INSERT(PLAN_HEAD, PLAN_TAIL, 0, 7, 8) };
static struct db_insert gauge_tiers[] = { DB_INSERT(GAUGE_HEAD, GAUGE_TAIL, 0, 3, 64),
                                          DB_INSERT(GAUGE_HEAD, GAUGE_TAIL, 0, 3, 8) };

static int
counter_bind(struct db_stmt *st, int f, size_t row, void *ctx)
{
    const struct ingest_counter *c = ((struct ingest_counter *const *)ctx)[row];
    int rc;
    if (c->kind == 2) {
        if ((rc = db_bind_str(st, f, c->name)) || (rc = db_bind_str(st, f + 1, c->subdistrict)))
            return rc;
        return db_bind_i64(st, f + 2, c->deltas[0]);
    }
    if (c->kind == 0) {
        if ((rc = db_bind_i64(st, f, c->plan_id)) || (rc = db_bind_str(st, f + 1, c->subdistrict)) ||
            (rc = db_bind_str(st, f + 2, c->community)) || (rc = db_bind_i64(st, f + 3, c->site_id)) ||
            (rc = db_bind_i64(st, f + 4, c->hour)))
            return rc;
        return db_bind_i64(st, f + 5, c->deltas[0]);
    }
    if ((rc = db_bind_i64(st, f, c->plan_id)) || (rc = db_bind_str(st, f + 1, c->subdistrict)) ||
        (rc = db_bind_str(st, f + 2, c->industry)) || (rc = db_bind_i64(st, f + 3, c->deltas[STAT_PLANNED])) ||
        (rc = db_bind_i64(st, f + 4, c->deltas[STAT_ACTUAL_REPORTED])) ||
        (rc = db_bind_i64(st, f + 5, c->deltas[STAT_ACTUAL_CORRECTED])))
        return rc;
    return db_bind_i64(st, f + 6, c->deltas[STAT_SAMPLED]);
}

static int
ingest_counter_order(const void *a, const void *b)
{
    return strcmp((*(struct ingest_counter *const *)a)->key, (*(struct ingest_counter *const *)b)->key);
}

/* Keys sort "g|" gauges, "p|" plan, "s|" scans: one global order (see the header), and
 * each table's rows one contiguous run of the sorted list. */
int
ingest_flush_counters(struct db *db, struct ingest_counter **list, size_t n)
{
    if (n > 1)
        qsort(list, n, sizeof *list, ingest_counter_order);
    int rc = 0;
    for (size_t i = 0, j; !rc && i < n; i = j) {
        for (j = i + 1; j < n && list[j]->kind == list[i]->kind;)
            j++;
        struct db_insert *tiers = list[i]->kind == 0 ? scan_tiers : list[i]->kind == 1 ? plan_tiers : gauge_tiers;
        rc = db_insert_tiers(db, tiers, 2, j - i, NULL, counter_bind, list + i, NULL);
    }
    return rc;
}

/* The group's part: every request's counters summed per key. */
struct fold_counters {
    struct arena arena;
    struct strmap map;
    struct ingest_counter **list;
    size_t n, cap;
};

static void *
fold_make(void)
{
    struct fold_counters *f = xcalloc(1, sizeof *f);
    f->map = (struct strmap)STRMAP_INIT;
    return f;
}

static int
fold_flush(struct db *db, void *state)
{
    struct fold_counters *f = state;
    return ingest_flush_counters(db, f->list, f->n);
}

static void
fold_release(void *state)
{
    struct fold_counters *f = state;
    strmap_release(&f->map);
    xfree(f->list);
    arena_release(&f->arena);
    xfree(f);
}

static const struct write_group_part fold_part = { "ingest.counters", fold_make, fold_flush, fold_release };

static const char *
fold_str(struct fold_counters *f, const char *s)
{
    return s ? arena_strdup(&f->arena, s) : NULL;
}

void
ingest_fold_counters(struct write_group *g, struct ingest_counter *const *list, size_t n)
{
    if (n == 0)
        return;
    struct fold_counters *f = write_group_part(g, &fold_part);
    for (size_t i = 0; i < n; i++) {
        const struct ingest_counter *c = list[i];
        struct ingest_counter *t = strmap_get(&f->map, c->key, strlen(c->key));
        if (!t) {
            t = arena_alloc(&f->arena, sizeof *t);
            *t = *c;
            t->key = strmap_put(&f->map, c->key, strlen(c->key), t);
            t->subdistrict = fold_str(f, c->subdistrict);
            t->community = fold_str(f, c->community);
            t->industry = fold_str(f, c->industry);
            t->name = fold_str(f, c->name);
            memset(t->deltas, 0, sizeof t->deltas);
            VEC_ROOM(f->list, f->n, f->cap);
            f->list[f->n++] = t;
        }
        for (size_t k = 0; k < 4; k++)
            t->deltas[k] += c->deltas[k];
    }
}
