/* cli/sheet_cmd.c - the shape every "take a sheet, work on the database" command shares
 * (imports of toilets, 12345 tickets, 流调 records, emergency and history sheets; site
 * matching; camera reconcile/bind): parse FILE [-o OUT] and the options, open the input as
 * a table, open the application with its keys and one connection, act as the system actor
 * "cli", run, release everything. Contract in cli/cli.h (cli_sheet_main). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"

#define SHEET_MAX_OPTS 16

/* cli_split_args: see cli/cli.h. */
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
sheet_parse(const struct cli_sheet_cmd *cmd, int argc, char **argv, struct cli_sheet *s)
{
    const char *allowed[SHEET_MAX_OPTS + 5];
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int n = 0, nrest = 0, rc;

    for (const char *const *o = cmd->options; o && *o && n < SHEET_MAX_OPTS; o++)
        allowed[n++] = *o;
    allowed[n++] = "out";
    allowed[n++] = "var";
    allowed[n++] = "db";
    allowed[n++] = "keys";
    allowed[n] = NULL;
    rc = cli_split_args(argc, argv, allowed, &s->in, &s->out, rest, &nrest) ||
         cli_parse(nrest, rest, allowed, NULL, &s->args);
    xfree(rest);
    if (rc)
        return 2;
    if (!s->out)
        s->out = cli_opt(&s->args, "out");
    if (!s->in || (s->out && !(cmd->flags & (CLI_SHEET_OUT | CLI_SHEET_OUT_REQUIRED))) ||
        (!s->out && (cmd->flags & CLI_SHEET_OUT_REQUIRED))) {
        fputs(cmd->usage, stderr);
        return 2;
    }
    return cmd->check ? cmd->check(s, s->arg) : 0;
}

int
cli_sheet_main(const struct cli_sheet_cmd *cmd, int argc, char **argv, void *arg)
{
    struct cli_sheet s;
    bool app_open = false;
    int status, rc;

    memset(&s, 0, sizeof s);
    s.arg = arg;
    s.why = (struct buf)BUF_INIT;
    if ((status = sheet_parse(cmd, argc, argv, &s)))
        goto out;
    status = 1;
    if ((cmd->flags & CLI_SHEET_TABLE) && (rc = table_open_path(s.in, &s.table, &s.why))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s): %s\n", s.in, err_name(rc), s.why.data);
        goto out;
    }
    if (cli_app_open(&s.app, &s.args, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&s.who, "cli");
    s.db = db_pool_get(s.app.pool);
    status = cmd->run(&s, arg);
out:
    if (s.db)
        db_pool_put(s.app.pool, s.db);
    if (app_open)
        cli_app_close(&s.app);
    table_close(s.table);
    buf_release(&s.why);
    return status;
}

int
cli_opt_crs(const struct cli_args *a, enum geo_crs *crs, bool *given)
{
    const char *name = cli_opt(a, "crs");
    if (given)
        *given = name != NULL;
    if (name && geo_crs_parse(name, crs)) {
        fprintf(stderr, "jiayuan: --crs must be wgs84, gcj02 or bd09\n");
        return 2;
    }
    return 0;
}

int
cli_sheet_failed(struct cli_sheet *s, const char *what, int rc)
{
    fprintf(stderr, "jiayuan: %s of '%s' failed (%s)%s%s\n", what, s->in, err_name(rc), s->why.len ? ": " : "",
            s->why.len ? s->why.data : "");
    return 1;
}

int
cli_sheet_cannot_write(const struct cli_sheet *s, int rc)
{
    fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", s->out, err_name(rc));
    return 1;
}
