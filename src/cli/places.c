/* cli/places.c - `jiayuan places import|export` (R3.2, R3.7, issue 8).
 *
 *   jiayuan places import FILE.xlsx|.csv|.geojson [--kind K] [--crs wgs84|gcj02|bd09]
 *       [--source S] [-o REPORT.xlsx]
 *   jiayuan places export -o OUT.xlsx|OUT.geojson [--kind K]
 *
 * import loads a place ledger through domain/places/place_import.h as the operator ("cli"),
 * prints the counts and, with -o, writes the row report (行号, 状态, 原因, id). Importing the
 * same file again changes nothing (every row a duplicate). export writes every live place
 * (of kind K) as a sheet or a GeoJSON FeatureCollection (zones as polygons).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "domain/places/place.h"
#include "domain/places/place_import.h"
#include "io/xlsxw.h"
#include "json/jsonio.h"

static bool
places_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int
places_report_xlsx(const char *path, const struct place_import_report *rep)
{
    static const struct str head[] = { STR_LIT("行号"), STR_LIT("状态"), STR_LIT("原因"), STR_LIT("id") };
    struct xlsxw *w = NULL;
    int rc;
    if ((rc = xlsxw_open(path, "导入报告", NULL, &w)) || (rc = xlsxw_header(w, head, 4)))
        goto out;
    for (size_t i = 0; i < rep->n && !rc; i++) {
        const struct place_import_row *r = &rep->rows[i];
        struct xlsxw_cell c[4] = { XLSXW_NUMBER_CELL((double)r->num), XLSXW_TEXT_CELL(str_of(r->status)),
                                   XLSXW_TEXT_CELL(str_of(r->reason)),
                                   r->id ? XLSXW_NUMBER_CELL((double)r->id) : XLSXW_EMPTY_CELL };
        rc = xlsxw_row(w, c, 4);
    }
out:
    return xlsxw_finish(w, rc);
}

static int
places_import(struct app *app, struct db *db, const char *in, const struct cli_args *a)
{
    struct place_import_opts opts = { .kind = cli_opt(a, "kind"), .source = cli_opt(a, "source") };
    struct place_import_report rep;
    struct arena arena = ARENA_INIT;
    struct buf why = BUF_INIT;
    struct actor who;
    const char *out = cli_opt(a, "out");
    int rc, status = 1;
    if (cli_opt_crs(a, &opts.crs, &opts.crs_given))
        return 2;
    actor_system(&who, "cli");
    if ((rc = place_import_file(app, db, &who, in, &opts, &arena, &rep, &why))) {
        fprintf(stderr, "jiayuan: import failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    printf("rows %zu: accepted %zu, fixed %zu, duplicate %zu, rejected %zu (coordinates read as %s)\n", rep.n,
           rep.accepted, rep.fixed, rep.duplicate, rep.rejected, geo_crs_name(rep.crs));
    if (out && (rc = places_report_xlsx(out, &rep))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    status = 0;
out:
    buf_release(&why);
    arena_release(&arena);
    return status;
}

static int
places_export_xlsx(struct db *db, const struct actor *who, struct place_query *q, const char *path, size_t *count)
{
    static const struct str head[] = { STR_LIT("id"), STR_LIT("类型"), STR_LIT("编码"), STR_LIT("名称"),
                                       STR_LIT("街道"), STR_LIT("社区"), STR_LIT("地址"), STR_LIT("经度"),
                                       STR_LIT("纬度"), STR_LIT("级别"), STR_LIT("来源"), STR_LIT("摄像机") };
    struct xlsxw *w = NULL;
    struct place *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc;
    if ((rc = xlsxw_open(path, "点位", NULL, &w)) || (rc = xlsxw_header(w, head, 12)))
        goto out;
    q->limit = PLACE_LIST_MAX;
    do {
        struct arena arena = ARENA_INIT;
        if (!(rc = place_list(db, who, q, &arena, &items, &n, &total))) {
            for (size_t i = 0; i < n && !rc; i++, (*count)++) {
                const struct place *p = &items[i];
                struct buf cams = BUF_INIT;
                for (size_t k = 0; k < p->n_cameras; k++)
                    buf_printf(&cams, "%s%s", k ? "," : "", p->camera_ids[k]);
                struct xlsxw_cell c[12] = {
                    XLSXW_NUMBER_CELL((double)p->id), XLSXW_TEXT_CELL(str_of(p->kind)), XLSXW_TEXT_CELL(str_of(p->code)),
                    XLSXW_TEXT_CELL(str_of(p->name)), XLSXW_TEXT_CELL(str_of(p->subdistrict_name)),
                    XLSXW_TEXT_CELL(str_of(p->community)), XLSXW_TEXT_CELL(str_of(p->address)),
                    p->has_pos ? XLSXW_NUMBER_CELL(p->lon_e6 / 1e6) : XLSXW_EMPTY_CELL,
                    p->has_pos ? XLSXW_NUMBER_CELL(p->lat_e6 / 1e6) : XLSXW_EMPTY_CELL,
                    XLSXW_TEXT_CELL(str_of(p->zone_level ? p->zone_level : "")), XLSXW_TEXT_CELL(str_of(p->source)),
                    XLSXW_TEXT_CELL(((struct str){ cams.data, cams.len })),
                };
                rc = xlsxw_row(w, c, 12);
                buf_release(&cams);
            }
            q->after = n ? items[n - 1].id : 0;
        }
        arena_release(&arena);
    } while (!rc && n == q->limit);
out:
    return xlsxw_finish(w, rc);
}

static int
places_export_geojson(struct db *db, const struct actor *who, struct place_query *q, const char *path, size_t *count)
{
    json_t *features = json_array();
    struct place *items = NULL;
    size_t n = 0, len = 0;
    int64_t total = 0;
    int rc;
    q->limit = PLACE_LIST_MAX;
    do {
        struct arena arena = ARENA_INIT;
        if (!(rc = place_list(db, who, q, &arena, &items, &n, &total))) {
            for (size_t i = 0; i < n; i++, (*count)++) {
                json_t *o = place__json(&items[i]), *geom = json_incref(json_object_get(o, "geometry"));
                json_object_del(o, "geometry");
                json_array_append_new(features, json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry", geom,
                                                          "properties", o));
            }
            q->after = n ? items[n - 1].id : 0;
        }
        arena_release(&arena);
    } while (!rc && n == q->limit);
    if (!rc) {
        json_t *fc = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
        char *text = jsonio_dump(fc, &len);
        FILE *f = fopen(path, "wb");
        rc = f && fwrite(text, 1, len, f) == len ? 0 : ERR_IO;
        if (f && fclose(f))
            rc = ERR_IO;
        xfree(text);
        json_decref(fc);
        return rc;
    }
    json_decref(features);
    return rc;
}

int
cli_places(int argc, char **argv)
{
    static const char *const allowed[] = { "kind", "crs", "source", "out", "var", "db", "keys", NULL };
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    const char *verb = argc > 0 ? argv[0] : NULL, *file = NULL;
    struct cli_args a;
    struct app app;
    struct db *db = NULL;
    int nrest = 0, status = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            rest[nrest++] = "--out";
            rest[nrest++] = argv[++i];
        } else if (argv[i][0] != '-' && !file && (i == 1 || argv[i - 1][0] != '-' || strchr(argv[i - 1], '='))) {
            file = argv[i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    bool ok_verb = verb && (!strcmp(verb, "import") || !strcmp(verb, "export"));
    if (!ok_verb || cli_parse(nrest, rest, allowed, NULL, &a) || (!strcmp(verb, "import") && !file) ||
        (!strcmp(verb, "export") && !cli_opt(&a, "out"))) {
        fprintf(stderr, "usage: jiayuan places import FILE.xlsx|.csv|.geojson [--kind K] [--crs wgs84|gcj02|bd09] "
                        "[--source S] [-o REPORT.xlsx]\n"
                        "       jiayuan places export -o OUT.xlsx|OUT.geojson [--kind K]\n");
        goto out;
    }
    status = 1;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    db = db_pool_get(app.pool);
    if (!strcmp(verb, "import")) {
        status = places_import(&app, db, file, &a);
    } else {
        struct place_query q = { .kind = cli_opt(&a, "kind") };
        struct actor who;
        const char *out = cli_opt(&a, "out");
        size_t count = 0;
        int rc;
        actor_system(&who, "cli");
        rc = places_ends_with(out, ".geojson") || places_ends_with(out, ".json")
                 ? places_export_geojson(db, &who, &q, out, &count)
                 : places_export_xlsx(db, &who, &q, out, &count);
        if (rc)
            fprintf(stderr, "jiayuan: export failed (%s)\n", err_name(rc));
        else
            printf("exported %zu places to %s\n", count, out);
        status = rc ? 1 : 0;
    }
    db_pool_put(app.pool, db);
    cli_app_close(&app);
out:
    xfree(rest);
    return status;
}
