/* cli/exchange.c - `jiayuan exchange emergency import FILE [--plan PLAN_NO] [--source S]`:
 * load the emergency bureau's figures (应急局, by subdistrict or by industry, R2.8, R2.9)
 * from an .xlsx/.csv with domain/exchange/emergency_import.h; prints the counts and one
 * line per rejected or skipped row. Re-importing the same file changes nothing
 * (inserted=0 updated=0). Exit 1 when the file cannot be read or stored.
 * `jiayuan history import FILE`: past rounds (subdistrict and school testing, R2.10) with
 * domain/exchange/history.h; the same counts and row lines (re-import: unchanged=N). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/exchange/emergency_import.h"
#include "domain/exchange/history.h"

static const char em_usage[] = "usage: jiayuan exchange emergency import FILE.xlsx|.csv [--plan PLAN_NO] [--source S]\n";

static void
em_print(const char *in, const struct emergency_sheet *s, const struct emergency_result *res)
{
    size_t i;
    json_t *r;
    printf("import: %s (by %s, header row %llu)\n", in, emergency_layout_name(s->layout),
           (unsigned long long)s->header_row);
    printf("rows=%zu accepted=%zu rejected=%zu skipped=%zu\n", s->accepted + s->rejected + s->skipped, s->accepted,
           s->rejected, s->skipped);
    printf("inserted=%zu updated=%zu unchanged=%zu\n", res->inserted, res->updated, res->unchanged);
    json_array_foreach(s->report, i, r) {
        const char *st = json_string_value(json_object_get(r, "status"));
        if (strcmp(st, "accepted"))
            printf("row %lld: %s: %s\n", (long long)json_integer_value(json_object_get(r, "row")), st,
                   json_string_value(json_object_get(r, "reason")));
    }
}

static int
em_run(struct cli_sheet *s, void *arg)
{
    struct emergency_sheet sh = { 0 };
    struct emergency_result res;
    const char *source = cli_opt(&s->args, "source");
    int rc;

    (void)arg;
    rc = emergency_import(&s->app, s->db, &s->who, s->in, source ? source : "file", cli_opt(&s->args, "plan"), &sh,
                          &res, &s->why);
    if (!rc)
        em_print(s->in, &sh, &res);
    emergency_sheet_release(&sh);
    return rc ? cli_sheet_failed(s, "import", rc) : 0;
}

static const struct cli_sheet_cmd em_import = {
    .usage = em_usage, .options = (const char *const[]){ "plan", "source", NULL }, .run = em_run,
};

int
cli_exchange(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[0], "emergency") && !strcmp(argv[1], "import"))
        return cli_sheet_main(&em_import, argc - 2, argv + 2, NULL);
    fputs(em_usage, stderr);
    return 2;
}

static const char h_usage[] = "usage: jiayuan history import FILE.xlsx|.csv\n";

static int
h_run(struct cli_sheet *s, void *arg)
{
    struct history_sheet sh = { 0 };
    struct history_result res;
    int rc;

    (void)arg;
    if ((rc = history_import(&s->app, s->db, &s->who, s->in, &sh, &res, &s->why))) {
        history_sheet_release(&sh);
        return cli_sheet_failed(s, "import", rc);
    }
    printf("import: %s (header row %llu)\n", s->in, (unsigned long long)sh.header_row);
    printf("rows=%zu plans_created=%zu accepted=%zu updated=%zu unchanged=%zu rejected=%zu\n", sh.n,
           res.plans_created, res.accepted, res.updated, res.unchanged, res.rejected);
    for (size_t i = 0; i < sh.n; i++)
        if (sh.rows[i].reason)
            printf("row %llu: rejected: %s\n", (unsigned long long)sh.rows[i].num, sh.rows[i].reason);
    history_sheet_release(&sh);
    return 0;
}

static const struct cli_sheet_cmd h_import = { .usage = h_usage, .run = h_run };

int
cli_history(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "import"))
        return cli_sheet_main(&h_import, argc - 1, argv + 1, NULL);
    fputs(h_usage, stderr);
    return 2;
}
