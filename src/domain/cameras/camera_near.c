/* domain/cameras/camera_near.c - cameras near a point or inside a polygon (R3.4, R3.5,
 * issue 8), answered from the grid index of geo/geo.h.
 *
 * A circle becomes its bounding box (geo_bbox_around), the box its cell columns; each column
 * is one range scan "cell BETWEEN lo AND hi" of the index cameras_cell (cell, lon_e6, lat_e6,
 * deleted_at), which also holds the position, so candidates are filtered by exact distance
 * before any table row is read. The candidates are about (2r + 200 m)² / (π r²) times the
 * answer: never a scan of the ledger. A polygon is its bounding box, then the even-odd test.
 */
#include "domain/cameras/camera.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Candidates of one column: id and position only, read from the index. */
static const char sql_cells[] =
    "SELECT c.id, c.lon_e6, c.lat_e6 FROM cameras c WHERE c.cell BETWEEN ?1 AND ?2 AND c.deleted_at = 0";
static const char sql_one[] =
    "SELECT " CAMERA__COLS " FROM cameras c WHERE c.id = ?1 AND (?2 = '' OR c.subdistrict = ?2)"
    " AND (?3 = '' OR c.status = ?3)";

struct camera_cand {
    int64_t id;
    double d;
};

static int
camera_cand_order(const void *x, const void *y)
{
    const struct camera_cand *a = x, *b = y;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* camera_box_scan collects ids in the cells of box [mn, mx] for which keep() holds. */
static int
camera_box_scan(struct db *db, struct geo_point mn, struct geo_point mx, struct arena *arena,
                bool (*keep)(const void *ctx, struct geo_point q, double *d), const void *ctx,
                struct camera_cand **out, size_t *n)
{
    struct geo_cell_span sp = geo_cell_span_of(mn, mx);
    struct camera_cand *c = NULL;
    struct db_stmt *st = NULL;
    size_t count = 0, cap = 0;
    bool row = false;
    int rc = 0;
    for (int64_t x = sp.x0; x <= sp.x1 && !rc; x++) {
        int64_t lo, hi;
        geo_cell_span_key_range(&sp, x, &lo, &hi);
        if ((rc = db_prepare(db, sql_cells, &st)) || (rc = db_bind_i64(st, 1, lo)) || (rc = db_bind_i64(st, 2, hi)))
            break;
        while (!(rc = db_step(st, &row)) && row) {
            struct geo_point q = { (double)db_col_i64(st, 1) / 1e6, (double)db_col_i64(st, 2) / 1e6 };
            double d = 0;
            if (!keep(ctx, q, &d))
                continue;
            c = ingest_grow(arena, c, count, &cap, sizeof *c);
            c[count].id = db_col_i64(st, 0);
            c[count++].d = d;
        }
        db_done(st);
        st = NULL;
    }
    db_done(st);
    *out = c;
    *n = count;
    return rc;
}

/* camera_fetch reads the rows of cands in order, keeping those in scope and of status, up
 * to cap; *more when more qualified. */
static int
camera_fetch(struct db *db, const struct actor *a, const struct camera_cand *cands, size_t nc, const char *status,
             bool with_distance, size_t cap, struct arena *arena, struct camera **items, size_t *n, bool *more)
{
    struct camera *out = arena_alloc(arena, (cap ? cap : 1) * sizeof *out);
    struct db_stmt *st = NULL;
    size_t count = 0;
    bool row = false;
    int rc = 0;
    *more = false;
    for (size_t i = 0; i < nc && !rc; i++) {
        if ((rc = db_prepare(db, sql_one, &st)) || (rc = db_bind_i64(st, 1, cands[i].id)) ||
            (rc = ingest_bind_str(st, 2, a->subdistrict)) || (rc = ingest_bind_str(st, 3, status)) ||
            (rc = db_step(st, &row)))
            break;
        if (row) {
            if (count == cap) {
                *more = true;
                break;
            }
            camera__read_row(st, arena, &out[count]);
            out[count++].distance_m = with_distance ? cands[i].d : -1;
        }
        db_done(st);
        st = NULL;
    }
    db_done(st);
    *items = out;
    *n = count;
    return rc;
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
    struct camera_cand *cands = NULL;
    struct geo_point mn, mx;
    size_t nc = 0;
    int rc;
    *items = NULL;
    *n = 0;
    *more = false;
    if (!(within_m > 0) || within_m > CAMERA_NEAR_MAX_M || !geo_in_beijing(p))
        return ERR_INVALID;
    geo_bbox_around(p, within_m, &mn, &mx);
    if ((rc = camera_box_scan(db, mn, mx, arena, camera_in_circle, &circle, &cands, &nc)))
        return rc;
    if (nc > 1)
        qsort(cands, nc, sizeof *cands, camera_cand_order);
    return camera_fetch(db, a, cands, nc, status, true, cap, arena, items, n, more);
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
    struct camera_cand *cands = NULL;
    struct geo_point mn, mx;
    size_t nc = 0;
    int rc;
    *items = NULL;
    *n = 0;
    *more = false;
    if (n_ring < 3)
        return ERR_INVALID;
    geo_ring_bbox(ring, n_ring, &mn, &mx);
    if ((rc = camera_box_scan(db, mn, mx, arena, camera_in_poly, &poly, &cands, &nc)))
        return rc;
    for (size_t i = 0; i < nc; i++) /* by id */
        cands[i].d = 0;
    if (nc > 1)
        qsort(cands, nc, sizeof *cands, camera_cand_order);
    return camera_fetch(db, a, cands, nc, NULL, false, cap, arena, items, n, more);
}
