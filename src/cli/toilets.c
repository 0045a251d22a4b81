/* cli/toilets.c - `jiayuan toilets import SURVEY.xlsx|.csv [--crs wgs84|gcj02|bd09]
 * [-o REPORT.xlsx]`: load a public-toilet survey (摸排表) into the place ledger (R3.7) with
 * domain/places/toilet_import.h, print the counts, and write the row report when asked.
 * Re-importing the same sheet changes nothing (toilets_new=0 cameras_new=0).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/places/toilet_import.h"
#include "io/xlsxw.h"

struct toilets_cli {
    struct xlsxw *w;
    uint64_t written;
};

static int
toilets_cli_row(void *ctx, const struct toilet_survey_row *row)
{
    struct toilets_cli *c = ctx;
    struct toilet_report_row r;
    if (!c->w)
        return 0;
    toilet_report_of(row, &r);
    c->written++;
    return toilet_report_xlsx_row(c->w, &r);
}

static void
toilets_cli_print(const char *in, const struct toilet_import_result *res)
{
    const uint64_t *bs = res->counts.by_status;
    printf("import %lld: %s\n", (long long)res->id, in);
    printf("rows=%llu accepted=%llu fixed=%llu rejected=%llu duplicate=%llu skipped=%llu\n",
           (unsigned long long)res->counts.rows, (unsigned long long)bs[TOILET_ROW_ACCEPTED],
           (unsigned long long)bs[TOILET_ROW_FIXED], (unsigned long long)bs[TOILET_ROW_REJECTED],
           (unsigned long long)bs[TOILET_ROW_DUPLICATE], (unsigned long long)bs[TOILET_ROW_SKIPPED]);
    printf("toilets=%llu toilets_new=%llu cameras=%llu cameras_new=%llu cameras_rejected=%llu\n",
           (unsigned long long)res->counts.toilets, (unsigned long long)res->toilets_new,
           (unsigned long long)res->counts.cameras, (unsigned long long)res->cameras_new,
           (unsigned long long)res->counts.cameras_rejected);
    printf("timing: read=%.2fs toilets=%.2fs listings+report=%.2fs\n", res->read_us / 1e6,
           res->toilets_us / 1e6, res->store_us / 1e6);
    printf("crs=%s%s header_row=%llu\n", geo_crs_name(res->crs),
           res->crs_from_sheet ? " (named by the sheet)" : "", (unsigned long long)res->header_row);
}

#define TOILETS_USAGE "usage: jiayuan toilets import SURVEY.xlsx|.csv [--crs wgs84|gcj02|bd09] [-o REPORT.xlsx]\n"

static int
toilets_check(struct cli_sheet *s, void *arg)
{
    return cli_opt_crs(&s->args, arg, NULL);
}

static int
toilets_run(struct cli_sheet *s, void *arg)
{
    const enum geo_crs *crs = arg;
    struct toilets_cli c = { NULL, 0 };
    struct toilet_import_result res;
    int rc;

    if (s->out && (rc = toilet_report_xlsx_open(XLSXW_PATH(s->out), &c.w)))
        return cli_sheet_cannot_write(s, rc);
    if ((rc = toilet_import(&s->app, s->db, &s->who, s->table, *crs, toilets_cli_row, &c, &res, &s->why))) {
        xlsxw_free(c.w);
        return cli_sheet_failed(s, "import", rc);
    }
    if (c.w && (rc = xlsxw_close(c.w)))
        return cli_sheet_cannot_write(s, rc);
    toilets_cli_print(s->in, &res);
    if (s->out)
        printf("report: %s (%llu rows)\n", s->out, (unsigned long long)res.counts.rows);
    return 0;
}

static const struct cli_sheet_cmd toilets_import = {
    .usage = TOILETS_USAGE, .options = (const char *const[]){ "crs", NULL }, .flags = CLI_SHEET_TABLE | CLI_SHEET_OUT,
    .check = toilets_check, .run = toilets_run,
};

int
cli_toilets(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return cli_sheet_main(&toilets_import, argc - 1, argv + 1, &(enum geo_crs){ GEO_WGS84 });
    fputs(TOILETS_USAGE, stderr);
    return 2;
}
