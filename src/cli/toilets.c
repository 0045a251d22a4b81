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

/* cli_split_args: see cli/cli.h (shared with cli/cameras.c). */
int
cli_split_args(int argc, char **argv, const char *const *valued, const char **in, const char **out,
              char **rest, int *nrest)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            *out = argv[++i];
        } else if (strncmp(argv[i], "--", 2) == 0) {
            rest[(*nrest)++] = argv[i];
            bool takes = false;
            for (const char *const *v = valued; *v; v++)
                takes |= strcmp(argv[i] + 2, *v) == 0;
            if (takes && i + 1 < argc)
                rest[(*nrest)++] = argv[++i];
        } else if (!*in) {
            *in = argv[i];
        } else {
            fprintf(stderr, "jiayuan: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    return 0;
}

static int
toilets_import(int argc, char **argv)
{
    static const char *const allowed[] = { "crs", "out", "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL, *crs_name;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2, rc;
    enum geo_crs crs = GEO_WGS84;
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct db *db = NULL;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct toilets_cli c = { NULL, 0 };
    struct toilet_import_result res;

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) ||
        cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!out)
        out = cli_opt(&a, "out");
    if (!in) {
        fprintf(stderr, "usage: jiayuan toilets import SURVEY.xlsx|.csv [--crs wgs84|gcj02|bd09] [-o REPORT.xlsx]\n");
        goto out;
    }
    if ((crs_name = cli_opt(&a, "crs")) && geo_crs_parse(crs_name, &crs)) {
        fprintf(stderr, "jiayuan: --crs must be wgs84, gcj02 or bd09\n");
        goto out;
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
    if (out && (rc = toilet_report_xlsx_open(out, app.var_dir, &c.w))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    if ((rc = toilet_import(&app, db, &who, t, crs, toilets_cli_row, &c, &res, &why))) {
        fprintf(stderr, "jiayuan: import failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    if (c.w) {
        rc = xlsxw_close(c.w);
        c.w = NULL;
        if (rc) {
            fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
            goto out;
        }
    }
    toilets_cli_print(in, &res);
    if (out)
        printf("report: %s (%llu rows)\n", out, (unsigned long long)res.counts.rows);
    status = 0;
out:
    xlsxw_free(c.w);
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
cli_toilets(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return toilets_import(argc - 1, argv + 1);
    fprintf(stderr, "usage: jiayuan toilets import SURVEY.xlsx|.csv [--crs wgs84|gcj02|bd09] [-o REPORT.xlsx]\n");
    return 2;
}
