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
#include "db/db_value.h"
#include "domain/ingest/ingest.h"

static const char sql_scan_upsert[] =
    "INSERT INTO stat_scans (plan_id, subdistrict, community, site_id, hour, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (plan_id, subdistrict, community, site_id, hour) DO UPDATE SET n = stat_scans.n + excluded.n";
static const char sql_plan_upsert[] =
    "INSERT INTO stat_plan (plan_id, subdistrict, industry, planned, actual_reported, actual_corrected, sampled)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (plan_id, subdistrict, industry) DO UPDATE SET"
    " planned = stat_plan.planned + excluded.planned,"
    " actual_reported = stat_plan.actual_reported + excluded.actual_reported,"
    " actual_corrected = stat_plan.actual_corrected + excluded.actual_corrected,"
    " sampled = stat_plan.sampled + excluded.sampled";
static int
ingest_flush_counter(struct db *db, const struct ingest_counter *c)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc;
    if (c->kind == 0) {
        if (!(rc = db_prepare(db, sql_scan_upsert, &st)) && !(rc = db_bind_i64(st, 1, c->plan_id)) &&
            !(rc = db_bind_str(st, 2, c->subdistrict)) && !(rc = db_bind_str(st, 3, c->community)) &&
            !(rc = db_bind_i64(st, 4, c->site_id)) && !(rc = db_bind_i64(st, 5, c->hour)) &&
            !(rc = db_bind_i64(st, 6, c->deltas[0])))
            rc = db_step(st, &row);
    } else if (c->kind == 1) {
        if (!(rc = db_prepare(db, sql_plan_upsert, &st)) && !(rc = db_bind_i64(st, 1, c->plan_id)) &&
            !(rc = db_bind_str(st, 2, c->subdistrict)) && !(rc = db_bind_str(st, 3, c->industry)) &&
            !(rc = db_bind_i64(st, 4, c->deltas[STAT_PLANNED])) &&
            !(rc = db_bind_i64(st, 5, c->deltas[STAT_ACTUAL_REPORTED])) &&
            !(rc = db_bind_i64(st, 6, c->deltas[STAT_ACTUAL_CORRECTED])) &&
            !(rc = db_bind_i64(st, 7, c->deltas[STAT_SAMPLED])))
            rc = db_step(st, &row);
    } else {
        rc = ingest_gauge_add(db, c->name, c->subdistrict, c->deltas[0]);
    }
    db_done(st);
    return rc;
}

static int
ingest_counter_order(const void *a, const void *b)
{
    return strcmp((*(struct ingest_counter *const *)a)->key, (*(struct ingest_counter *const *)b)->key);
}

/* Keys sort "g|" gauges, "p|" plan, "s|" scans: one global order (see the header). */
int
ingest_flush_counters(struct db *db, struct ingest_counter **list, size_t n)
{
    if (n > 1)
        qsort(list, n, sizeof *list, ingest_counter_order);
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = ingest_flush_counter(db, list[i]);
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
