/* cli/webhooks.c - `jiayuan webhook-allow [--set LIST]`: the webhook destination allow-list at the
 * console (issue 12; the secadmin keeps it online through PUT /api/v1/settings/webhook-allow).
 * Every change is audited with the old and the new list (domain/notify/webhook_allow.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "domain/notify/webhook_allow.h"

int
cli_webhook_allow(int argc, char **argv)
{
    static const char *const allowed[] = { "set", "var", "db", "keys", NULL };
    struct cli_args a;
    struct app app;
    struct actor who;
    struct buf list = BUF_INIT;
    const char *set, *why = NULL;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, NULL, &a)))
        return rc;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    actor_system(&who, "cli");
    struct db *db = db_pool_get(app.pool);
    if ((set = cli_opt(&a, "set"))) {
        if ((rc = webhook_allow_set(&app, db, &who, set, &why))) {
            fprintf(stderr, "jiayuan: webhook-allow: %s\n", why ? why : err_name(rc));
            rc = why ? 2 : 1;
        }
    }
    if (!rc && !(rc = webhook_allow_get(db, &list)))
        printf("webhook allow-list: %s\n", list.len ? list.data : "(empty: no webhook may be delivered)");
    else if (rc && !set)
        rc = 1;
    buf_release(&list);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc;
}
