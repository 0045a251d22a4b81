/* bench/nearby.c - nearby search latency (issue 8 "bench/: nearby search p99 with 50,000
 * cameras and 10,000 places (≤ 2 ms target)"; R3.4, R3.5).
 *
 * In-process, through the domain functions the API calls (camera_near, place_near), on a
 * fresh database of either driver: it migrates, loads the reference divisions, inserts
 * --cameras cameras and --places toilets at pseudo-random points spread over Xicheng's box
 * (116.30-116.40 E, 39.86-39.95 N; about 8.5 km x 10 km), with their grid cells, then runs
 * --queries searches of each kind at pseudo-random points and prints p50 / p90 / p99 / max
 * and the mean answer size:
 *   cameras-near-point  camera_near(p, --within, cap 1000)   (GET /api/v1/cameras?near=)
 *   places-near-camera  place_near(p, --within, any kind)    (binding suggestions)
 * Timing is wall clock around each call (CLOCK_MONOTONIC); HTTP and JSON are not included.
 *
 *   nearby --db sqlite:/tmp/nearby.db | postgres://… [--cameras 50000] [--places 10000]
 *          [--queries 2000] [--within 300]
 * The database must be empty (a new SQLite file, or a new PostgreSQL schema through
 * options=-csearch_path%3D…); it is left behind for inspection.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/err.h"
#include "db/db.h"
#include "domain/cameras/camera.h"
#include "domain/places/place.h"
#include "domain/platform/app.h"
#include "domain/platform/division.h"
#include "geo/geo.h"

static const char sql_cam[] =
    "INSERT INTO cameras (gb_id, name, lon_e6, lat_e6, cell, status, subdistrict, source, external_id,"
    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'online', '110102001', 'bench', ?1, 1, 1)";
static const char sql_place[] =
    "INSERT INTO places (kind, code, name, subdistrict, lon_e6, lat_e6, cell, min_lon_e6, min_lat_e6,"
    " max_lon_e6, max_lat_e6, source, external_id, created_at, updated_at)"
    " VALUES ('toilet', ?1, ?1, '110102001', ?2, ?3, ?4, ?2, ?3, ?2, ?3, 'bench', ?1, 1, 1)";

static uint64_t rng = 88172645463325252ULL;

static double
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static struct geo_point
rnd_point(void)
{
    return (struct geo_point){ 116.30 + rnd() * 0.10, 39.86 + rnd() * 0.09 };
}

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* cpu_us: this thread's CPU time (what a query costs when the machine is not shared; for
 * PostgreSQL the server's share is not in it). */
static double
cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
report(const char *name, const char *clock, double *us, size_t n, double mean_answer)
{
    qsort(us, n, sizeof *us, cmp_d);
    printf("%-20s %-4s n=%zu p50=%.3f ms p90=%.3f ms p99=%.3f ms max=%.3f ms mean_answer=%.1f\n", name, clock, n,
           us[n / 2] / 1000, us[n * 9 / 10] / 1000, us[n * 99 / 100] / 1000, us[n - 1] / 1000, mean_answer);
}

static int
seed(struct db *db, long cams, long places)
{
    struct db_stmt *st = NULL;
    bool row = false;
    char key[48];
    int rc = db_begin(db);
    for (long i = 0; !rc && i < cams; i++) {
        struct geo_point p = rnd_point();
        int64_t lon = geo_e6(p.lon), lat = geo_e6(p.lat);
        snprintf(key, sizeof key, "1101020000132%07ld", i);
        if (!(rc = db_prepare(db, sql_cam, &st)) && !(rc = db_bind_text(st, 1, key, strlen(key))) &&
            !(rc = db_bind_text(st, 2, key, strlen(key))) && !(rc = db_bind_i64(st, 3, lon)) &&
            !(rc = db_bind_i64(st, 4, lat)) && !(rc = db_bind_i64(st, 5, geo_cell_key_e6(lon, lat))))
            rc = db_step(st, &row);
        db_done(st);
    }
    for (long i = 0; !rc && i < places; i++) {
        struct geo_point p = rnd_point();
        int64_t lon = geo_e6(p.lon), lat = geo_e6(p.lat);
        snprintf(key, sizeof key, "WC-%06ld", i);
        if (!(rc = db_prepare(db, sql_place, &st)) && !(rc = db_bind_text(st, 1, key, strlen(key))) &&
            !(rc = db_bind_i64(st, 2, lon)) && !(rc = db_bind_i64(st, 3, lat)) &&
            !(rc = db_bind_i64(st, 4, geo_cell_key_e6(lon, lat))))
            rc = db_step(st, &row);
        db_done(st);
    }
    if (rc) {
        db_rollback(db);
        return rc;
    }
    if ((rc = db_commit(db)))
        return rc;
    return db_exec(db, db_kind(db) == DB_SQLITE ? "ANALYZE" : "ANALYZE cameras; ANALYZE places; ANALYZE sites");
}

int
main(int argc, char **argv)
{
    const char *url = NULL;
    long cams = 50000, places = 10000, queries = 2000, within = 300;
    struct db *db = NULL;
    struct actor a;
    int rc;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--db"))
            url = argv[i + 1];
        else if (!strcmp(argv[i], "--cameras"))
            cams = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--places"))
            places = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--queries"))
            queries = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--within"))
            within = strtol(argv[i + 1], NULL, 10);
    }
    if (!url || queries < 1 || within < 1) {
        fprintf(stderr, "usage: nearby --db URL [--cameras N] [--places N] [--queries N] [--within M]\n");
        return 2;
    }
    if ((rc = db_open(url, "/tmp", &db)) || (rc = db_migrate(db, NULL)) || (rc = reference_seed(db))) {
        fprintf(stderr, "nearby: open/migrate failed: %s\n", err_name(rc));
        return 1;
    }
    double t0 = now_us();
    if ((rc = seed(db, cams, places))) {
        fprintf(stderr, "nearby: seeding failed: %s\n", err_name(rc));
        return 1;
    }
    printf("driver=%s cameras=%ld places=%ld within=%ld m seeded in %.1f s\n", db_describe(db), cams, places, within,
           (now_us() - t0) / 1e6);
    actor_system(&a, "bench");
    double *us = calloc((size_t)queries, sizeof *us), *cpu = calloc((size_t)queries, sizeof *cpu), total = 0;
    for (long i = 0; i < queries; i++) { /* warm caches and statements, then measure */
        struct arena arena = ARENA_INIT;
        struct camera *items;
        size_t n = 0;
        bool more;
        struct geo_point p = rnd_point();
        double s = now_us(), c = cpu_us();
        if ((rc = camera_near(db, &a, p, (double)within, NULL, 1000, &arena, &items, &n, &more))) {
            fprintf(stderr, "camera_near: %s\n", err_name(rc));
            return 1;
        }
        us[i] = now_us() - s;
        cpu[i] = cpu_us() - c;
        total += (double)n;
        arena_release(&arena);
    }
    report("cameras-near-point", "wall", us, (size_t)queries, total / (double)queries);
    report("cameras-near-point", "cpu", cpu, (size_t)queries, total / (double)queries);
    total = 0;
    for (long i = 0; i < queries; i++) {
        struct arena arena = ARENA_INIT;
        struct place *items;
        double *d;
        size_t n = 0;
        struct geo_point p = rnd_point();
        double s = now_us(), c = cpu_us();
        if ((rc = place_near(db, &a, p, (double)within, NULL, 1000, &arena, &items, &d, &n))) {
            fprintf(stderr, "place_near: %s\n", err_name(rc));
            return 1;
        }
        us[i] = now_us() - s;
        cpu[i] = cpu_us() - c;
        total += (double)n;
        arena_release(&arena);
    }
    report("places-near-camera", "wall", us, (size_t)queries, total / (double)queries);
    report("places-near-camera", "cpu", cpu, (size_t)queries, total / (double)queries);
    free(us);
    free(cpu);
    db_close(db);
    return 0;
}
