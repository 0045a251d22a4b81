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

struct sites_opts {
    enum geo_crs crs;
    double auto_at;
};

static int
sites_check(struct cli_sheet *s, void *arg)
{
    struct sites_opts *o = arg;
    const char *opt;
    if (cli_opt_crs(&s->args, &o->crs, NULL))
        return 2;
    if ((opt = cli_opt(&s->args, "auto"))) {
        char *end;
        o->auto_at = strtod(opt, &end);
        if (*end || !(o->auto_at > 0 && o->auto_at <= 1)) {
            fprintf(stderr, "jiayuan: --auto must be a score in (0, 1]\n");
            return 2;
        }
    }
    return 0;
}

static int
sites_run(struct cli_sheet *s, void *arg)
{
    const struct sites_opts *o = arg;
    struct xlsxw *w = NULL;
    struct site_match_result res;
    int rc;

    if ((rc = site_match_xlsx_open(XLSXW_PATH(s->out), &w)))
        return cli_sheet_cannot_write(s, rc);
    if ((rc = site_match_run(&s->app, s->db, &s->who, s->table, o->crs, o->auto_at, sites_cli_row, w, &res,
                             &s->why))) {
        xlsxw_free(w);
        return cli_sheet_failed(s, "matching", rc);
    }
    if ((rc = xlsxw_close(w)))
        return cli_sheet_cannot_write(s, rc);
    printf("run %lld: %s against %llu sites\n", (long long)res.id, s->in, (unsigned long long)res.sites);
    printf("rows=%llu auto=%llu review=%llu none=%llu\n", (unsigned long long)res.rows,
           (unsigned long long)res.auto_accepted, (unsigned long long)res.to_review,
           (unsigned long long)res.unmatched);
    printf("timing: read=%.3fs match=%.3fs store=%.3fs\n", res.read_us / 1e6, res.match_us / 1e6,
           res.store_us / 1e6);
    printf("output: %s\n", s->out);
    return 0;
}

static const struct cli_sheet_cmd sites_match = {
    .usage = USAGE, .options = (const char *const[]){ "crs", "auto", NULL },
    .flags = CLI_SHEET_TABLE | CLI_SHEET_OUT_REQUIRED, .check = sites_check, .run = sites_run,
};

int
cli_sites(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "match") == 0)
        return cli_sheet_main(&sites_match, argc - 1, argv + 1,
                              &(struct sites_opts){ GEO_GCJ02, SITE_MATCH_AUTO });
    fputs(USAGE, stderr);
    return 2;
}
