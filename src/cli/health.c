/* cli/health.c - `jiayuan health import EPI.xlsx|.csv`: load a sheet of 流调 records from the
 * health commission (issue 11, R2.13) with domain/exchange/health_import.h, print the
 * counts and each rejected row (sheet row, record number, field, reason: never personal
 * data). Re-importing the same sheet stores nothing twice (accepted=0).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "domain/exchange/health_import.h"

#define HEALTH_USAGE "usage: jiayuan health import EPI.xlsx|.csv\n"

/* health_read_file reads path into b (at most HEALTH_IMPORT_MAX_BYTES). */
static int
health_read_file(const char *path, struct buf *b)
{
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ERR_IO;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > HEALTH_IMPORT_MAX_BYTES) {
            fclose(f);
            return ERR_TOO_LARGE;
        }
        buf_add(b, chunk, n);
    }
    n = (size_t)ferror(f);
    fclose(f);
    return n ? ERR_IO : 0;
}

static int
health_import_cli(int argc, char **argv)
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
    struct buf file = BUF_INIT, why = BUF_INIT;
    struct health_import_result res = { 0 };

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) || cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!in || out) {
        fputs(HEALTH_USAGE, stderr);
        goto out;
    }
    status = 1;
    if ((rc = health_read_file(in, &file))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s)\n", in, err_name(rc));
        goto out;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    if ((rc = health_import_mem(&app, db, &who, file.data, file.len, &res, &why))) {
        fprintf(stderr, "jiayuan: import failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    printf("records=%zu accepted=%zu duplicate=%zu rejected=%zu\n", res.n, res.accepted, res.duplicate,
           res.rejected);
    for (size_t i = 0; i < res.n; i++)
        if (!strcmp(res.rows[i].status, "rejected"))
            printf("row %llu %s: %s: %s\n", (unsigned long long)res.rows[i].row, res.rows[i].external_id,
                   res.rows[i].field, res.rows[i].reason);
    status = 0;
out:
    health_import_result_release(&res);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release_secret(&file);
    buf_release(&why);
    xfree(rest);
    return status;
}

int
cli_health(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return health_import_cli(argc - 1, argv + 1);
    fputs(HEALTH_USAGE, stderr);
    return 2;
}
