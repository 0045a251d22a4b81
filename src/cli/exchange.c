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
em_import(int argc, char **argv)
{
    static const char *const allowed[] = { "plan", "source", "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2, rc;
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct db *db = NULL;
    struct buf why = BUF_INIT;
    struct emergency_sheet s = { 0 };
    struct emergency_result res;

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) || cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!in || out) {
        fputs(em_usage, stderr);
        goto out;
    }
    status = 1;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    rc = emergency_import(&app, db, &who, in, cli_opt(&a, "source") ? cli_opt(&a, "source") : "file", cli_opt(&a, "plan"),
                          &s, &res, &why);
    if (rc) {
        fprintf(stderr, "jiayuan: import of '%s' failed (%s)%s%s\n", in, err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    em_print(in, &s, &res);
    status = 0;
out:
    emergency_sheet_release(&s);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release(&why);
    xfree(rest);
    return status;
}

int
cli_exchange(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[0], "emergency") && !strcmp(argv[1], "import"))
        return em_import(argc - 2, argv + 2);
    fputs(em_usage, stderr);
    return 2;
}

static const char h_usage[] = "usage: jiayuan history import FILE.xlsx|.csv\n";

static int
h_import(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2, rc;
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct db *db = NULL;
    struct buf why = BUF_INIT;
    struct history_sheet s = { 0 };
    struct history_result res;

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) || cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!in || out) {
        fputs(h_usage, stderr);
        goto out;
    }
    status = 1;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    if ((rc = history_import(&app, db, &who, in, &s, &res, &why))) {
        fprintf(stderr, "jiayuan: import of '%s' failed (%s)%s%s\n", in, err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    printf("import: %s (header row %llu)\n", in, (unsigned long long)s.header_row);
    printf("rows=%zu plans_created=%zu accepted=%zu updated=%zu unchanged=%zu rejected=%zu\n", s.n,
           res.plans_created, res.accepted, res.updated, res.unchanged, res.rejected);
    for (size_t i = 0; i < s.n; i++)
        if (s.rows[i].reason)
            printf("row %llu: rejected: %s\n", (unsigned long long)s.rows[i].num, s.rows[i].reason);
    status = 0;
out:
    history_sheet_release(&s);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release(&why);
    xfree(rest);
    return status;
}

int
cli_history(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "import"))
        return h_import(argc - 1, argv + 1);
    fputs(h_usage, stderr);
    return 2;
}
