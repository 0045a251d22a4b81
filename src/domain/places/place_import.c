/* domain/places/place_import.c - place ledgers from .xlsx/.csv sheets and GeoJSON, with a
 * row report (R3.2, R3.7, issue 8). See place_import.h. Each row becomes the JSON record of
 * place_kind and goes through ingest_run, so validation, idempotency, events and audit are
 * the API's. Not here: the toilet survey (toilet_survey.c), which has its own layout.
 */
#include "domain/places/place_import.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "domain/places/place.h"
#include "domain/platform/division.h"
#include "io/table.h"

#define IMP_BATCH 1000
#define IMP_HEADER_SCAN 20 /* rows searched for the header */

enum imp_col { C_NAME, C_CODE, C_KIND, C_SUB, C_COMM, C_ADDR, C_LON, C_LAT, C_LONLAT, C_LEVEL, C_NOTE, C_EXT, C__N };

/* Header names per column, matched as a prefix of the trimmed header cell, ASCII case ignored. */
static const char *const imp_names[C__N][8] = {
    [C_NAME] = { "名称", "点位名称", "公厕名称", "场所名称", "name", NULL },
    [C_CODE] = { "编码", "编号", "代码", "code", NULL },
    [C_KIND] = { "类型", "类别", "kind", "type", NULL },
    [C_SUB] = { "街道", "所属街道", "subdistrict", NULL },
    [C_COMM] = { "社区", "所属社区", "community", NULL },
    [C_ADDR] = { "地址", "详细地址", "位置", "address", NULL },
    [C_LON] = { "经度", "lon", "longitude", "x", NULL },
    [C_LAT] = { "纬度", "lat", "latitude", "y", NULL },
    [C_LONLAT] = { "经纬度", "坐标", "coordinates", NULL },
    [C_LEVEL] = { "级别", "等级", "管控级别", "zone_level", "level", NULL },
    [C_NOTE] = { "备注", "note", NULL },
    [C_EXT] = { "外部编号", "external_id", "id", NULL },
};

/* Kind words found in sheets. */
static const struct {
    const char *word, *kind, *level;
} imp_kinds[] = {
    { "公厕", "toilet", NULL },        { "厕所", "toilet", NULL },         { "方舱", "fangcang", NULL },
    { "封控", "zone", "fengkong" },    { "管控", "zone", "guankong" },     { "防范", "zone", "fangfan" },
    { "疫苗", "vaccination", NULL },   { "接种", "vaccination", NULL },    { "街道台账", "street", NULL },
    { "核酸", "site", NULL },
};

struct imp {
    struct app *app;
    struct db *db;
    const struct actor *a;
    const struct place_import_opts *opts;
    struct arena *arena;
    struct place_import_report *rep;
    struct division *subs;
    size_t nsubs, cap;
    enum geo_crs crs;
    json_t *batch;
    size_t *batch_rows, nbatch;
    unsigned *fixes;
};

static bool
imp_prefix_ci(struct str s, const char *name)
{
    size_t m = strlen(name);
    if (s.n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        unsigned char a = (unsigned char)s.p[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (a != (unsigned char)name[i])
            return false;
    }
    /* ASCII names must match the whole word ("x" is not "xxx"). */
    return (unsigned char)name[0] >= 0x80 || s.n == m || s.p[m] == ' ' || s.p[m] == '(' ||
           (unsigned char)s.p[m] >= 0x80;
}

/* imp_header maps the cells of row to columns; true when a name column was found. */
static bool
imp_header(const struct table_row *row, int map[C__N])
{
    for (int c = 0; c < C__N; c++)
        map[c] = -1;
    for (size_t i = 0; i < row->ncells; i++) {
        struct str s = str_trim(row->cells[i]);
        for (int c = 0; c < C__N; c++)
            for (size_t k = 0; imp_names[c][k]; k++)
                if (map[c] < 0 && imp_prefix_ci(s, imp_names[c][k])) {
                    /* 经纬度 also starts like nothing else; 经度 must not take 经纬度 */
                    map[c] = (int)i;
                    goto next;
                }
    next:;
    }
    return map[C_NAME] >= 0;
}

static struct str
imp_cell(const struct table_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->ncells)
        return (struct str){ "", 0 };
    return str_trim(row->cells[col]);
}

static const char *
imp_text(struct imp *m, struct str s)
{
    return s.n ? arena_strndup(m->arena, s.p, s.n) : NULL;
}

/* imp_subsequence: do the UTF-8 characters of s appear in order in name? */
static bool
imp_subsequence(struct str s, const char *name)
{
    const char *p = name;
    for (size_t i = 0; i < s.n;) {
        size_t k = 1;
        unsigned char c = (unsigned char)s.p[i];
        k = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (i + k > s.n)
            return false;
        const char *hit = NULL;
        for (const char *q = p; *q; q++)
            if (!strncmp(q, s.p + i, k)) {
                hit = q;
                break;
            }
        if (!hit)
            return false;
        p = hit + k;
        i += k;
    }
    return true;
}

/* imp_subdistrict resolves a code, full name, name without 街道 or unique short form. */
static const char *
imp_subdistrict(struct imp *m, struct str s, bool *fixed)
{
    const struct division *hit = NULL;
    size_t hits = 0;
    char buf[128];
    if (s.n == 0 || s.n >= sizeof buf)
        return NULL;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    for (size_t i = 0; i < m->nsubs; i++) {
        const char *name = m->subs[i].name;
        size_t nl = strlen(name);
        if (!strcmp(buf, m->subs[i].code) || !strcmp(buf, name))
            return m->subs[i].code;
        if (nl == s.n + strlen("街道") && !strncmp(name, buf, s.n) && !strcmp(name + s.n, "街道")) {
            *fixed = true;
            return m->subs[i].code;
        }
    }
    for (size_t i = 0; i < m->nsubs; i++)
        if (imp_subsequence(s, m->subs[i].name))
            hit = &m->subs[i], hits++;
    if (hits == 1) {
        *fixed = true;
        return hit->code;
    }
    return NULL;
}

/* imp_external_id: FNV-1a of kind, name and address as "h" + 16 hex digits. */
static const char *
imp_external_id(struct imp *m, const char *kind, const char *name, const char *address)
{
    uint64_t h = 1469598103934665603ULL;
    const char *parts[3] = { kind, name, address ? address : "" };
    for (int k = 0; k < 3; k++) {
        for (const char *p = parts[k]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
    }
    return arena_printf(m->arena, "h%016llx", (unsigned long long)h);
}

static struct place_import_row *
imp_row(struct imp *m, uint64_t num)
{
    struct place_import_report *r = m->rep;
    r->rows = ingest_grow(m->arena, r->rows, r->n, &m->cap, sizeof *r->rows);
    struct place_import_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    row->num = num;
    row->reason = "";
    return row;
}

static void
imp_reject(struct imp *m, struct place_import_row *row, const char *reason)
{
    row->status = "rejected";
    row->reason = arena_strdup(m->arena, reason);
    m->rep->rejected++;
}

static const char *
imp_fix_text(struct imp *m, unsigned fixes, bool sub_fixed)
{
    struct buf b = BUF_INIT;
    const char *out;
    if (fixes & GEO_FIX_SWAPPED)
        buf_adds(&b, "longitude and latitude swapped; ");
    if (fixes & GEO_FIX_DMS)
        buf_adds(&b, "coordinates in degrees-minutes-seconds; ");
    if (fixes & GEO_FIX_CRS)
        buf_printf(&b, "converted from %s; ", geo_crs_name(m->crs));
    if (fixes & GEO_FIX_TEXT)
        buf_adds(&b, "full-width characters cleaned; ");
    if (sub_fixed)
        buf_adds(&b, "subdistrict name completed; ");
    if (b.len >= 2)
        b.data[b.len -= 2] = '\0';
    out = arena_strndup(m->arena, b.data, b.len);
    buf_release(&b);
    return out;
}

/* imp_flush runs the queued records through place_kind and fills their rows. */
static int
imp_flush(struct imp *m)
{
    struct ingest_outcome *out = NULL;
    size_t n = 0, accepted = 0;
    int rc;
    if (!m->nbatch)
        return 0;
    rc = ingest_run(m->app, m->db, m->a, &place_kind, m->batch, &out, &n, &accepted);
    for (size_t i = 0; !rc && i < n && i < m->nbatch; i++) {
        struct place_import_row *row = &m->rep->rows[m->batch_rows[i]];
        if (out[i].status == INGEST_ACCEPTED) {
            row->id = out[i].id;
            row->status = row->reason[0] ? "fixed" : "accepted";
            if (row->reason[0])
                m->rep->fixed++;
            else
                m->rep->accepted++;
        } else if (out[i].status == INGEST_DUPLICATE) {
            row->status = "duplicate";
            m->rep->duplicate++;
        } else {
            imp_reject(m, row, out[i].reason);
        }
    }
    xfree(out);
    json_array_clear(m->batch);
    m->nbatch = 0;
    return rc;
}

static int
imp_queue(struct imp *m, json_t *obj, size_t row_index)
{
    if (!m->batch_rows)
        m->batch_rows = arena_alloc(m->arena, IMP_BATCH * sizeof *m->batch_rows);
    json_array_append_new(m->batch, obj);
    m->batch_rows[m->nbatch++] = row_index;
    return m->nbatch == IMP_BATCH ? imp_flush(m) : 0;
}

/* imp_kind reads the kind (and a level it implies) from a cell or the default. */
static const char *
imp_kind(struct imp *m, struct str s, const char **level)
{
    *level = NULL;
    if (!s.n)
        return m->opts->kind;
    for (size_t i = 0; i < sizeof imp_kinds / sizeof imp_kinds[0]; i++) {
        size_t w = strlen(imp_kinds[i].word);
        for (size_t k = 0; k + w <= s.n; k++)
            if (!memcmp(s.p + k, imp_kinds[i].word, w)) {
                *level = imp_kinds[i].level;
                return imp_kinds[i].kind;
            }
    }
    return imp_text(m, s);
}

/* imp_sheet_row turns one data row into a queued record or a rejected row. */
static int
imp_sheet_row(struct imp *m, const struct table_row *r, const int map[C__N])
{
    struct place_import_row *row = imp_row(m, r->num);
    size_t index = m->rep->n - 1;
    struct str name = imp_cell(r, map[C_NAME]), lon = imp_cell(r, map[C_LON]), lat = imp_cell(r, map[C_LAT]);
    struct str both = imp_cell(r, map[C_LONLAT]), sub = imp_cell(r, map[C_SUB]);
    const char *level = NULL, *kind = imp_kind(m, imp_cell(r, map[C_KIND]), &level);
    struct buf why = BUF_INIT;
    unsigned fixes = 0;
    bool sub_fixed = false;
    struct geo_point p;
    const char *code;

    if (!name.n) {
        imp_reject(m, row, "name is missing");
        return 0;
    }
    if (!kind) {
        imp_reject(m, row, "kind is missing (no 类型 column and no --kind)");
        return 0;
    }
    if (!strcmp(kind, "site")) {
        imp_reject(m, row, "testing sites are imported through the sites interface");
        return 0;
    }
    if (!strcmp(kind, "zone")) {
        imp_reject(m, row, "zones need polygons: import them from GeoJSON");
        return 0;
    }
    json_t *o = json_pack("{s:s, s:s, s:s%}", "source", m->opts->source ? m->opts->source : "import", "kind", kind,
                          "name", name.p, name.n);
    const char *address = imp_text(m, imp_cell(r, map[C_ADDR]));
    if ((code = imp_text(m, imp_cell(r, map[C_CODE]))))
        json_object_set_new(o, "code", json_string(code));
    if (address)
        json_object_set_new(o, "address", json_string(address));
    if (sub.n) {
        const char *c = imp_subdistrict(m, sub, &sub_fixed);
        if (!c) {
            json_decref(o);
            imp_reject(m, row, "subdistrict is not one of the district's");
            return 0;
        }
        json_object_set_new(o, "subdistrict", json_string(c));
    }
    const char *comm = imp_text(m, imp_cell(r, map[C_COMM]));
    if (comm && ingest_is_code(comm, strlen(comm)))
        json_object_set_new(o, "community", json_string(comm));
    const char *note = imp_text(m, imp_cell(r, map[C_NOTE]));
    if (note)
        json_object_set_new(o, "note", json_string(note));
    (void)level;
    if (both.n || lon.n || lat.n) {
        int rc = both.n ? geo_parse_point(both.p, both.n, NULL, 0, m->crs, &p, &fixes, &why)
                        : geo_parse_point(lon.p, lon.n, lat.p, lat.n, m->crs, &p, &fixes, &why);
        if (rc) {
            json_decref(o);
            imp_reject(m, row, why.data);
            buf_release(&why);
            return 0;
        }
        json_object_set_new(o, "lon", json_real((double)geo_e6(p.lon) / 1e6));
        json_object_set_new(o, "lat", json_real((double)geo_e6(p.lat) / 1e6));
    }
    buf_release(&why);
    struct str ext = imp_cell(r, map[C_EXT]);
    const char *e = ext.n && ingest_is_code(ext.p, ext.n) && ext.n <= 64 ? imp_text(m, ext)
                    : code && ingest_is_code(code, strlen(code)) && strlen(code) <= 64
                        ? code
                        : imp_external_id(m, kind, json_string_value(json_object_get(o, "name")), address);
    json_object_set_new(o, "external_id", json_string(e));
    row->reason = imp_fix_text(m, fixes, sub_fixed);
    return imp_queue(m, o, index);
}

static int
imp_init(struct imp *m, struct app *app, struct db *db, const struct actor *a, const struct place_import_opts *opts,
         struct arena *arena, struct place_import_report *rep)
{
    memset(m, 0, sizeof *m);
    memset(rep, 0, sizeof *rep);
    m->app = app, m->db = db, m->a = a, m->opts = opts, m->arena = arena, m->rep = rep;
    m->crs = opts->crs_given ? opts->crs : GEO_WGS84;
    m->batch = json_array();
    return division_list(db, DIVISION_SUBDISTRICT, "110102", arena, &m->subs, &m->nsubs);
}

static int
imp_sheet(struct imp *m, const char *path, struct buf *why)
{
    struct table *t = NULL;
    struct table_row r;
    int map[C__N], rc;
    bool header = false;
    size_t scanned = 0;
    if ((rc = table_open_path(path, &t, why)))
        return rc;
    while ((rc = table_next_row(t, &r)) == 0 && r.cells) {
        if (!header) {
            enum geo_crs c;
            for (size_t i = 0; !m->opts->crs_given && i < r.ncells; i++)
                if (geo_crs_find(r.cells[i].p, r.cells[i].n, &c) == 0)
                    m->crs = c; /* a title or header names the system */
            header = imp_header(&r, map);
            if (!header && ++scanned >= IMP_HEADER_SCAN)
                break;
            continue;
        }
        if (m->rep->n >= PLACE_IMPORT_MAX_ROWS) {
            rc = ERR_TOO_LARGE;
            buf_printf(why, "more than %d rows", PLACE_IMPORT_MAX_ROWS);
            break;
        }
        if ((rc = imp_sheet_row(m, &r, map)))
            break;
    }
    if (rc && rc != ERR_TOO_LARGE && !why->len)
        buf_adds(why, table_message(t));
    if (!rc && !header) {
        rc = ERR_INVALID;
        buf_adds(why, "no header row with a name column (名称 / name) in the first 20 rows");
    }
    table_close(t);
    return rc ? rc : imp_flush(m);
}

int
place_import_file(struct app *app, struct db *db, const struct actor *a, const char *path,
                  const struct place_import_opts *opts, struct arena *arena, struct place_import_report *rep,
                  struct buf *why)
{
    struct imp m;
    int rc;
    FILE *f = fopen(path, "rb");
    int first = f ? fgetc(f) : EOF;
    while (f && (first == ' ' || first == '\n' || first == '\r' || first == '\t'))
        first = fgetc(f);
    if (f && first == '{') {
        struct buf text = BUF_INIT;
        char chunk[65536];
        size_t got;
        rewind(f);
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_add(&text, chunk, got);
        fclose(f);
        rc = buf_error(&text) ? ERR_TOO_LARGE
                              : place_import_geojson(app, db, a, text.data, text.len, opts, arena, rep, why);
        buf_release(&text);
        return rc;
    }
    if (f)
        fclose(f);
    if ((rc = imp_init(&m, app, db, a, opts, arena, rep)))
        goto out;
    rc = imp_sheet(&m, path, why);
    rep->crs = m.crs;
out:
    json_decref(m.batch);
    return rc;
}

/* imp_convert converts the positions of a Point or Polygon from crs to WGS-84 in place. */
static void
imp_convert(json_t *coords, enum geo_crs crs, int depth)
{
    size_t i;
    json_t *v;
    if (!json_is_array(coords) || depth > 3)
        return;
    if (json_array_size(coords) >= 2 && json_is_number(json_array_get(coords, 0))) {
        struct geo_point p = { json_number_value(json_array_get(coords, 0)), json_number_value(json_array_get(coords, 1)) };
        p = geo_to_wgs84(crs, p);
        json_array_set_new(coords, 0, json_real(p.lon));
        json_array_set_new(coords, 1, json_real(p.lat));
        return;
    }
    json_array_foreach(coords, i, v) imp_convert(v, crs, depth + 1);
}

int
place_import_geojson(struct app *app, struct db *db, const struct actor *a, const char *p, size_t n,
                     const struct place_import_opts *opts, struct arena *arena, struct place_import_report *rep,
                     struct buf *why)
{
    static const char *const keys[] = { "source", "external_id", "kind", "code", "name", "subdistrict", "community",
                                        "address", "zone_level", "starts_at", "ends_at", "note", NULL };
    struct imp m;
    json_t *root = NULL, *features, *f;
    size_t i;
    int rc;
    if ((rc = imp_init(&m, app, db, a, opts, arena, rep)))
        goto out;
    root = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
    features = root ? json_object_get(root, "features") : NULL;
    if (!json_is_array(features) || json_array_size(features) > PLACE_IMPORT_MAX_ROWS) {
        rc = ERR_INVALID;
        buf_adds(why, "not a GeoJSON FeatureCollection (or more than 200000 features)");
        goto out;
    }
    json_array_foreach(features, i, f) {
        struct place_import_row *row = imp_row(&m, i + 1);
        json_t *props = json_object_get(f, "properties"), *geom = json_object_get(f, "geometry");
        json_t *o = json_object();
        bool sub_fixed = false;
        for (size_t k = 0; keys[k]; k++) {
            json_t *v = json_is_object(props) ? json_object_get(props, keys[k]) : NULL;
            if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
                json_object_set(o, keys[k], v); /* empty texts are absent */
        }
        if (!json_object_get(o, "source"))
            json_object_set_new(o, "source", json_string(opts->source ? opts->source : "import"));
        if (!json_object_get(o, "kind") && opts->kind)
            json_object_set_new(o, "kind", json_string(opts->kind));
        const char *sub = json_string_value(json_object_get(o, "subdistrict"));
        if (sub) {
            const char *c = imp_subdistrict(&m, str_of(sub), &sub_fixed);
            if (!c) {
                json_decref(o);
                imp_reject(&m, row, "subdistrict is not one of the district's");
                continue;
            }
            json_object_set_new(o, "subdistrict", json_string(c));
        }
        if (json_is_object(geom)) {
            json_t *g = json_deep_copy(geom);
            if (m.crs != GEO_WGS84)
                imp_convert(json_object_get(g, "coordinates"), m.crs, 0);
            json_object_set_new(o, "geometry", g);
        }
        if (!json_object_get(o, "external_id")) {
            const char *kind = json_string_value(json_object_get(o, "kind")), *name = json_string_value(json_object_get(o, "name"));
            json_object_set_new(o, "external_id", json_string(imp_external_id(&m, kind ? kind : "", name ? name : "",
                                                                              json_string_value(json_object_get(o, "address")))));
        }
        row->reason = imp_fix_text(&m, m.crs != GEO_WGS84 ? GEO_FIX_CRS : 0, sub_fixed);
        if ((rc = imp_queue(&m, o, m.rep->n - 1)))
            goto out;
    }
    rc = imp_flush(&m);
    rep->crs = m.crs;
out:
    json_decref(root);
    json_decref(m.batch);
    return rc;
}
