/* cli/migrate.c - `jiayuan migrate`: apply migrations and load reference data. */
#include <stdio.h>

#include "cli/cli.h"

int
cli_migrate(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", NULL };
    struct cli_args a;
    struct app app;
    int rc, version = 0;
    if ((rc = cli_parse(argc, argv, allowed, NULL, &a)))
        return rc;
    if (cli_app_open(&app, &a, 0, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    rc = db_schema_version(db, &version);
    db_pool_put(app.pool, db);
    if (!rc)
        printf("database at schema version %d\n", version);
    cli_app_close(&app);
    return rc ? 1 : 0;
}
