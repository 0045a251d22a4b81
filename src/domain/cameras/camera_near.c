/* domain/cameras/camera_near.c - cameras near a point or inside a polygon (R3.4, R3.5,
 * issue 8), answered from the grid index of geo/geo.h.
 *
 * A circle becomes its bounding box (geo_bbox_around), the box its cell columns; each column
 * is one range scan "cell BETWEEN lo AND hi" of the index cameras_cell (cell, lon_e6, lat_e6,
 * deleted_at) whose position columns also cut the cells to the exact box before a row is read,
 * so one statement per column (3 to 6 for the usual radii) reads the candidates,
 * about (2r + 200 m)² / (π r²) times the answer, and the exact distance filters them: never a
 * scan of the ledger. A polygon is its bounding box, then the even-odd test.
 */
#include "domain/cameras/camera.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Candidates of one column, in scope and of the status asked for. */
static const char sql_cells[] =
    "SELECT " CAMERA__COLS " FROM cameras c WHERE c.cell BETWEEN ?1 AND ?2 AND c.lon_e6 BETWEEN ?5 AND ?6"
    " AND c.lat_e6 BETWEEN ?7 AND ?8 AND c.deleted_at = 0 AND (?3 = '' OR c.subdistrict = ?3)"
    " AND (?4 = '' OR c.status = ?4)";

static int
camera_order(const void *x, const void *y)
{
    const struct camera *a = x, *b = y;
    if (a->distance_m != b->distance_m)
        return a->distance_m < b->distance_m ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* camera_box_scan collects the cameras in the cells of box [mn, mx] for which keep() holds
 * (keep sets the distance), one index range per cell column. */
static int
camera_box_scan(struct db *db, const struct actor *a, const char *status, struct geo_point mn, struct geo_point mx,
                struct arena *arena, bool (*keep)(const void *ctx, struct geo_point q, double *d), const void *ctx,
                struct camera **out, size_t *n)
{
    struct geo_cell_span sp = geo_cell_span_of(mn, mx);
    struct camera *c = NULL;
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 0;
    bool row = false;
    int rc = 0;
    for (int64_t x = sp.x0; x <= sp.x1 && !rc; x++) {
        int64_t lo, hi;
        geo_cell_span_key_range(&sp, x, &lo, &hi);
        if ((rc = db_prepare(db, sql_cells, &st)) || (rc = db_bind_i64(st, 1, lo)) || (rc = db_bind_i64(st, 2, hi)) ||
            (rc = ingest_bind_str(st, 3, a->subdistrict)) || (rc = ingest_bind_str(st, 4, status)) ||
            (rc = db_bind_i64(st, 5, geo_e6(mn.lon))) || (rc = db_bind_i64(st, 6, geo_e6(mx.lon))) ||
            (rc = db_bind_i64(st, 7, geo_e6(mn.lat))) || (rc = db_bind_i64(st, 8, geo_e6(mx.lat))))
            break;
        while (!(rc = db_step(st, &row)) && row) {
            struct geo_point q = { (double)db_col_i64(st, 5) / 1e6, (double)db_col_i64(st, 6) / 1e6 };
            double d = 0;
            if (!keep(ctx, q, &d))
                continue;
            c = ingest_grow(arena, c, count, &cap, sizeof *c);
            camera__read_row(st, arena, &c[count]);
            c[count++].distance_m = d;
        }
        db_done(st);
        st = NULL;
    }
    db_done(st);
    *out = c;
    *n = count;
    return rc;
}

/* camera_take sorts the hits, keeps at most cap; *more when there were more. */
static void
camera_take(struct camera *hits, size_t nh, size_t cap, bool with_distance, struct camera **items, size_t *n,
            bool *more)
{
    if (nh > 1)
        qsort(hits, nh, sizeof *hits, camera_order);
    *more = nh > cap;
    *n = nh > cap ? cap : nh;
    for (size_t i = 0; !with_distance && i < *n; i++)
        hits[i].distance_m = -1;
    *items = hits;
}

struct camera_circle {
    struct geo_point p;
    double r;
};

static bool
camera_in_circle(const void *ctx, struct geo_point q, double *d)
{
    const struct camera_circle *c = ctx;
    *d = geo_distance_m(c->p, q);
    return *d <= c->r;
}

int
camera_near(struct db *db, const struct actor *a, struct geo_point p, double within_m, const char *status,
            size_t cap, struct arena *arena, struct camera **items, size_t *n, bool *more)
{
    struct camera_circle circle = { p, within_m };
    struct camera *hits = NULL;
    struct geo_point mn, mx;
    size_t nh = 0;
    int rc;
    *items = NULL;
    *n = 0;
    *more = false;
    if (!(within_m > 0) || within_m > CAMERA_NEAR_MAX_M || !geo_in_beijing(p))
        return ERR_INVALID;
    geo_bbox_around(p, within_m, &mn, &mx);
    if ((rc = camera_box_scan(db, a, status, mn, mx, arena, camera_in_circle, &circle, &hits, &nh)))
        return rc;
    camera_take(hits, nh, cap, true, items, n, more);
    return 0;
}

struct camera_poly {
    const struct geo_point *ring;
    size_t n;
};

static bool
camera_in_poly(const void *ctx, struct geo_point q, double *d)
{
    const struct camera_poly *c = ctx;
    *d = 0;
    return geo_point_in_ring(c->ring, c->n, q);
}

int
camera_in_ring(struct db *db, const struct actor *a, const struct geo_point *ring, size_t n_ring, size_t cap,
               struct arena *arena, struct camera **items, size_t *n, bool *more)
{
    struct camera_poly poly = { ring, n_ring };
    struct camera *hits = NULL;
    struct geo_point mn, mx;
    size_t nh = 0;
    int rc;
    *items = NULL;
    *n = 0;
    *more = false;
    if (n_ring < 3)
        return ERR_INVALID;
    geo_ring_bbox(ring, n_ring, &mn, &mx);
    if ((rc = camera_box_scan(db, a, NULL, mn, mx, arena, camera_in_poly, &poly, &hits, &nh)))
        return rc;
    camera_take(hits, nh, cap, false, items, n, more); /* distances all 0: by id */
    return 0;
}
