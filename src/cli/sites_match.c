/* cli/sites_match.c - `jiayuan sites match CITY.xlsx|.csv [--crs wgs84|gcj02|bd09]
 * [--auto SCORE] -o OUT.xlsx` (issue 11, R2.11): match the city vendor's site export
 * against the district's sites with domain/exchange/site_match.h, store the run (auto-
 * accepted pairs are applied), print the counts and write one row per input row with
 * 市点位编码, 区点位编码 (empty when no match), 匹配分数, 匹配依据 and the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/exchange/site_match.h"
#include "io/xlsxw.h"

#define USAGE "usage: jiayuan sites match CITY.xlsx|.csv [--crs wgs84|gcj02|bd09] [--auto SCORE] -o OUT.xlsx\n"

static int
sites_cli_row(void *ctx, const struct site_match_city *c, const struct site_match_site *s,
              const struct site_match_pair *p)
{
    struct xlsxw *w = ctx;
    struct site_match_row r;
    if (!w)
        return 0;
    memset(&r, 0, sizeof r);
    r.num = (int64_t)c->num;
    r.city_code = c->code;
    r.city_name = c->name;
    r.city_district = c->district;
    r.city_subdistrict = c->subdistrict;
    r.site_code = s ? s->code : "";
    r.site_name = s ? s->name : "";
    r.score_milli = llround(p->score * 1000);
    r.distance_m = p->distance_m >= 0 ? llround(p->distance_m) : -1;
    r.reasons = p->reasons;
    r.status = site_match_status_code(p->status);
    return site_match_xlsx_row(w, &r);
}

static int
sites_match(int argc, char **argv)
{
    static const char *const allowed[] = { "crs", "auto", "out", "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL, *opt;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2, rc;
    enum geo_crs crs = GEO_GCJ02;
    double auto_at = SITE_MATCH_AUTO;
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct db *db = NULL;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct xlsxw *w = NULL;
    struct site_match_result res;

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) || cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!out)
        out = cli_opt(&a, "out");
    if (!in || !out) {
        fputs(USAGE, stderr);
        goto out;
    }
    if ((opt = cli_opt(&a, "crs")) && geo_crs_parse(opt, &crs)) {
        fprintf(stderr, "jiayuan: --crs must be wgs84, gcj02 or bd09\n");
        goto out;
    }
    if ((opt = cli_opt(&a, "auto"))) {
        char *end;
        auto_at = strtod(opt, &end);
        if (*end || !(auto_at > 0 && auto_at <= 1)) {
            fprintf(stderr, "jiayuan: --auto must be a score in (0, 1]\n");
            goto out;
        }
    }
    status = 1;
    if ((rc = table_open_path(in, &t, &why))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s): %s\n", in, err_name(rc), why.data);
        goto out;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    if ((rc = site_match_xlsx_open(out, &w))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    if ((rc = site_match_run(&app, db, &who, t, crs, auto_at, sites_cli_row, w, &res, &why))) {
        fprintf(stderr, "jiayuan: matching failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    rc = xlsxw_close(w);
    w = NULL;
    if (rc) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    printf("run %lld: %s against %llu sites\n", (long long)res.id, in, (unsigned long long)res.sites);
    printf("rows=%llu auto=%llu review=%llu none=%llu\n", (unsigned long long)res.rows,
           (unsigned long long)res.auto_accepted, (unsigned long long)res.to_review,
           (unsigned long long)res.unmatched);
    printf("timing: read=%.3fs match=%.3fs store=%.3fs\n", res.read_us / 1e6, res.match_us / 1e6,
           res.store_us / 1e6);
    printf("output: %s\n", out);
    status = 0;
out:
    xlsxw_free(w);
    table_close(t);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release(&why);
    xfree(rest);
    return status;
}

int
cli_sites(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "match") == 0)
        return sites_match(argc - 1, argv + 1);
    fputs(USAGE, stderr);
    return 2;
}
