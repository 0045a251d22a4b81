/* domain/places/place_read.c - reads of the place ledger (R3.1-R3.7, issue 8): list with
 * filters and paging, one place, its history, its polygon, and places near a point from the
 * grid index. All read place_v (places plus the site anchors joined to sites), so testing
 * sites appear as places without being copied. Scope is applied in SQL. See place.h.
 */
#include "domain/places/place.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"

#define PLACE_COLS                                                                                   \
    "v.id, v.kind, v.code, v.name, COALESCE(v.subdistrict, ''), COALESCE(d.name, ''),"              \
    " COALESCE(v.community, ''), v.address, v.lon_e6, v.lat_e6, v.lon_e6 IS NOT NULL, v.geometry,"  \
    " v.zone_level, v.starts_at, v.ends_at, v.note, v.source, v.external_id, COALESCE(v.site_id, 0)," \
    " v.version, v.created_at, v.updated_at, v.deleted_at"
#define PLACE_FROM " FROM place_v v LEFT JOIN divisions d ON d.code = v.subdistrict"
#define PLACE_FILTER                                                                                    \
    " WHERE v.deleted_at = 0 AND (?1 = '' OR v.subdistrict = ?1) AND (?2 = '' OR v.subdistrict = ?2)"   \
    " AND (?3 = '' OR v.kind = ?3) AND (?4 = '' OR v.name LIKE ?4 ESCAPE '\\'"                          \
    " OR v.code LIKE ?4 ESCAPE '\\' OR v.address LIKE ?4 ESCAPE '\\')"                                   \
    " AND (?5 = 0 OR v.ends_at = 0 OR v.ends_at > ?5)"

static const char sql_list[] =
    "SELECT " PLACE_COLS PLACE_FROM PLACE_FILTER " AND v.id > ?6 ORDER BY v.id LIMIT ?7";
static const char sql_count[] = "SELECT count(*) FROM place_v v" PLACE_FILTER;
static const char sql_get[] = "SELECT " PLACE_COLS PLACE_FROM " WHERE v.id = ?1 AND (?2 = '' OR v.subdistrict = ?2)";
static const char sql_near[] =
    "SELECT " PLACE_COLS PLACE_FROM " WHERE v.cell BETWEEN ?1 AND ?2 AND v.lon_e6 BETWEEN ?5 AND ?6"
    " AND v.lat_e6 BETWEEN ?7 AND ?8 AND v.deleted_at = 0 AND (?3 = '' OR v.subdistrict = ?3)"
    " AND (?4 = '' OR v.kind = ?4)";
/* Bound cameras of a range of places (a page sorted by id), in scope. */
static const char sql_cams_range[] =
    "SELECT pc.place_id, c.gb_id FROM place_cameras pc JOIN cameras c ON c.id = pc.camera_id"
    " WHERE pc.place_id BETWEEN ?1 AND ?2 AND c.deleted_at = 0 AND (?3 = '' OR c.subdistrict = ?3)"
    " ORDER BY pc.place_id, c.id";
static const char sql_history[] =
    "SELECT version, changed_at, action, actor, snapshot FROM place_history WHERE place_id = ?1"
    " ORDER BY version, id";

static void
place_read_row(struct db_stmt *st, struct arena *arena, struct place *p)
{
    memset(p, 0, sizeof *p);
    p->id = db_col_i64(st, 0);
    p->kind = ingest_col_str(st, 1, arena);
    p->code = ingest_col_str(st, 2, arena);
    p->name = ingest_col_str(st, 3, arena);
    p->subdistrict = ingest_col_str(st, 4, arena);
    p->subdistrict_name = ingest_col_str(st, 5, arena);
    p->community = ingest_col_str(st, 6, arena);
    p->address = ingest_col_str(st, 7, arena);
    p->lon_e6 = db_col_i64(st, 8);
    p->lat_e6 = db_col_i64(st, 9);
    p->has_pos = db_col_i64(st, 10) != 0;
    p->geometry = db_col_is_null(st, 11) ? NULL : ingest_col_str(st, 11, arena);
    p->zone_level = db_col_is_null(st, 12) ? NULL : ingest_col_str(st, 12, arena);
    p->starts_at = db_col_i64(st, 13);
    p->ends_at = db_col_i64(st, 14);
    p->note = ingest_col_str(st, 15, arena);
    p->source = ingest_col_str(st, 16, arena);
    p->external_id = ingest_col_str(st, 17, arena);
    p->site_id = db_col_i64(st, 18);
    p->version = db_col_i64(st, 19);
    p->created_at = db_col_i64(st, 20);
    p->updated_at = db_col_i64(st, 21);
    p->deleted_at = db_col_i64(st, 22);
}

/* place_load_cameras fills camera_ids of items[0..n), sorted by id ascending. */
static int
place_load_cameras(struct db *db, const struct actor *a, struct arena *arena, struct place *items, size_t n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t i = 0;
    int rc;
    if (n == 0)
        return 0;
    if ((rc = db_prepare(db, sql_cams_range, &st)) || (rc = db_bind_i64(st, 1, items[0].id)) ||
        (rc = db_bind_i64(st, 2, items[n - 1].id)) || (rc = ingest_bind_str(st, 3, a->subdistrict)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        int64_t pid = db_col_i64(st, 0);
        while (i < n && items[i].id < pid)
            i++;
        if (i == n)
            break;
        if (items[i].id != pid)
            continue;
        struct place *p = &items[i];
        size_t cap = p->n_cameras; /* grow by doubling: capacity is the next power of two */
        if (p->n_cameras == 0 || (cap & (cap - 1)) == 0) {
            const char **g = arena_alloc(arena, (cap ? cap * 2 : 4) * sizeof *g);
            if (p->n_cameras)
                memcpy(g, p->camera_ids, p->n_cameras * sizeof *g);
            p->camera_ids = g;
        }
        p->camera_ids[p->n_cameras++] = ingest_col_str(st, 1, arena);
    }
out:
    db_done(st);
    return rc;
}

static int
place_bind_filter(struct db_stmt *st, const struct actor *a, const struct place_query *q, const char *like,
                  int64_t now)
{
    int rc;
    if ((rc = ingest_bind_str(st, 1, a->subdistrict)) || (rc = ingest_bind_str(st, 2, q->subdistrict)) ||
        (rc = ingest_bind_str(st, 3, q->kind)) || (rc = ingest_bind_str(st, 4, like)))
        return rc;
    return db_bind_i64(st, 5, q->active_only ? now : 0);
}

int
place_list(struct db *db, const struct actor *a, const struct place_query *q, struct arena *arena,
           struct place **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    const char *like = ingest_like(arena, q->q);
    size_t limit = q->limit && q->limit <= PLACE_LIST_MAX ? q->limit : PLACE_LIST_MAX, count = 0;
    struct place *out = arena_alloc(arena, limit * sizeof *out);
    int64_t now = time_now_ms();
    bool row = false;
    int rc;

    *items = out;
    *n = 0;
    *total = 0;
    if ((rc = db_prepare(db, sql_count, &st)) || (rc = place_bind_filter(st, a, q, like, now)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = place_bind_filter(st, a, q, like, now)) ||
        (rc = db_bind_i64(st, 6, q->after)) || (rc = db_bind_i64(st, 7, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row && count < limit)
        place_read_row(st, arena, &out[count++]);
    db_done(st);
    st = NULL;
    if (rc)
        goto out;
    *n = count;
    rc = place_load_cameras(db, a, arena, out, count);
out:
    db_done(st);
    return rc;
}

int
place_get(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct place *out)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = ingest_bind_str(st, 2, a->subdistrict)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    place_read_row(st, arena, out);
    db_done(st);
    st = NULL;
    rc = place_load_cameras(db, a, arena, out, 1);
out:
    db_done(st);
    return rc;
}

int
place_history(struct db *db, const struct actor *a, int64_t id, struct arena *arena,
              struct place_version **items, size_t *n)
{
    struct db_stmt *st = NULL;
    struct place p;
    struct place_version *out = NULL;
    size_t count = 0, cap = 0;
    bool row = false;
    int rc;
    *items = NULL;
    *n = 0;
    if ((rc = place_get(db, a, id, arena, &p)))
        return rc;
    if ((rc = db_prepare(db, sql_history, &st)) || (rc = db_bind_i64(st, 1, id)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        out = ingest_grow(arena, out, count, &cap, sizeof *out);
        struct place_version *v = &out[count++];
        v->version = db_col_i64(st, 0);
        v->changed_at = db_col_i64(st, 1);
        v->action = ingest_col_str(st, 2, arena);
        v->actor = ingest_col_str(st, 3, arena);
        v->snapshot = ingest_col_str(st, 4, arena);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

int
place_ring(struct db *db, const struct actor *a, int64_t id, struct arena *arena, struct geo_point **ring,
           size_t *n, struct geo_point *min, struct geo_point *max)
{
    struct place p;
    struct geo_point pos;
    json_t *g = NULL;
    const char *text = NULL;
    int rc;
    *ring = NULL;
    *n = 0;
    if ((rc = place_get(db, a, id, arena, &p)))
        return rc;
    if (!p.geometry) {
        *min = *max = (struct geo_point){ (double)p.lon_e6 / 1e6, (double)p.lat_e6 / 1e6 };
        return 0;
    }
    if (!(g = json_loads(p.geometry, 0, NULL)))
        return ERR_DB;
    rc = place__geometry(g, arena, &pos, ring, n, min, max, &text, NULL) ? ERR_DB : 0;
    json_decref(g);
    return rc;
}

struct place_hit {
    struct place p;
    double d;
};

static int
place_hit_order(const void *x, const void *y)
{
    const struct place_hit *a = x, *b = y;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    return a->p.id < b->p.id ? -1 : a->p.id > b->p.id;
}

static int
place_id_order(const void *x, const void *y)
{
    const struct place *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

int
place_near(struct db *db, const struct actor *a, struct geo_point p, double within_m, const char *kind,
           size_t cap, struct arena *arena, struct place **items, double **dist_m, size_t *n)
{
    struct geo_point mn, mx;
    struct geo_cell_span sp;
    struct place_hit *hits = NULL;
    struct db_stmt *st = NULL;
    size_t count = 0, hcap = 0;
    bool row = false;
    int rc = 0;

    *items = NULL;
    *dist_m = NULL;
    *n = 0;
    if (!(within_m > 0) || within_m > 50000)
        return ERR_INVALID;
    geo_bbox_around(p, within_m, &mn, &mx);
    sp = geo_cell_span_of(mn, mx);
    for (int64_t x = sp.x0; x <= sp.x1 && !rc; x++) {
        int64_t lo, hi;
        geo_cell_span_key_range(&sp, x, &lo, &hi);
        if ((rc = db_prepare(db, sql_near, &st)) || (rc = db_bind_i64(st, 1, lo)) || (rc = db_bind_i64(st, 2, hi)) ||
            (rc = ingest_bind_str(st, 3, a->subdistrict)) || (rc = ingest_bind_str(st, 4, kind)) ||
            (rc = db_bind_i64(st, 5, geo_e6(mn.lon))) || (rc = db_bind_i64(st, 6, geo_e6(mx.lon))) ||
            (rc = db_bind_i64(st, 7, geo_e6(mn.lat))) || (rc = db_bind_i64(st, 8, geo_e6(mx.lat))))
            break;
        while (!(rc = db_step(st, &row)) && row) {
            struct geo_point q = { (double)db_col_i64(st, 8) / 1e6, (double)db_col_i64(st, 9) / 1e6 };
            double d = geo_distance_m(p, q);
            if (d > within_m)
                continue;
            hits = ingest_grow(arena, hits, count, &hcap, sizeof *hits);
            place_read_row(st, arena, &hits[count].p);
            hits[count++].d = d;
        }
        db_done(st);
        st = NULL;
    }
    if (rc)
        goto out;
    if (count > 1)
        qsort(hits, count, sizeof *hits, place_hit_order);
    if (count > cap)
        count = cap;
    struct place *out = arena_alloc(arena, (count ? count : 1) * sizeof *out);
    double *d = arena_alloc(arena, (count ? count : 1) * sizeof *d);
    for (size_t i = 0; i < count; i++) {
        out[i] = hits[i].p;
        d[i] = hits[i].d;
    }
    /* Bound cameras in one query over the id range: load them on a copy sorted by id. */
    if (count) {
        struct place *byid = arena_alloc(arena, count * sizeof *byid);
        memcpy(byid, out, count * sizeof *byid);
        qsort(byid, count, sizeof *byid, place_id_order);
        if ((rc = place_load_cameras(db, a, arena, byid, count)))
            goto out;
        for (size_t i = 0; i < count; i++) {
            struct place *m = bsearch(&out[i], byid, count, sizeof *byid, place_id_order);
            out[i].camera_ids = m->camera_ids;
            out[i].n_cameras = m->n_cameras;
        }
    }
    *items = out;
    *dist_m = d;
    *n = count;
out:
    db_done(st);
    return rc;
}
