/* cli/retention.c - `jiayuan purge [--dry-run]` (the retention purge at the console; `serve` runs it
 * hourly) and `jiayuan erase --reason TEXT` (erase one person's data on request; the ID number is
 * read from standard input so it never shows in the process list or shell history) (issue 12).
 * Both act as the console operator ("cli") and are audited (domain/retention/).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/retention/erase.h"
#include "domain/retention/retention.h"

int
cli_purge(int argc, char **argv)
{
    static const char *const allowed[] = { "dry-run", "var", "db", "keys", NULL };
    static const char *const flags[] = { "dry-run", NULL };
    struct cli_args a;
    struct app app;
    struct actor who;
    struct purge_counts c;
    struct buf text = BUF_INIT;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)))
        return rc;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    actor_system(&who, "cli");
    struct db *db = db_pool_get(app.pool);
    bool dry = cli_flag(&a, "dry-run");
    rc = retention_purge(&app, db, &who, time_now_ms(), dry, &c);
    purge_counts_format(&c, &text);
    printf("%s %s\n", dry ? "would purge:" : "purged:", text.data);
    if (rc)
        fprintf(stderr, "jiayuan: purge: %s (the counts above were purged before it stopped)\n", err_name(rc));
    buf_release(&text);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc ? 1 : 0;
}

int
cli_erase(int argc, char **argv)
{
    static const char *const allowed[] = { "reason", "var", "db", "keys", NULL };
    struct cli_args a;
    struct app app;
    struct actor who;
    struct erase_counts c;
    struct buf why = BUF_INIT;
    char id[64];
    const char *reason;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, NULL, &a)))
        return rc;
    if (!(reason = cli_opt(&a, "reason"))) {
        fprintf(stderr, "usage: echo ID_NUMBER | jiayuan erase --reason TEXT\n");
        return 2;
    }
    if (cli_read_secret(id, sizeof id)) {
        fprintf(stderr, "jiayuan: erase: give the ID number on standard input\n");
        return 2;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1)) {
        wipe(id, sizeof id);
        return 1;
    }
    actor_system(&who, "cli");
    struct db *db = db_pool_get(app.pool);
    rc = person_erase(&app, db, &who, id, reason, &c, &why);
    wipe(id, sizeof id);
    if (!rc)
        printf("erased %s: samples=%lld sample_history=%lld results=%lld batch_rows=%lld health_epi=%lld"
               " (kept %lld rows of another person with the same blind index)\n",
               c.target, (long long)c.samples, (long long)c.sample_history, (long long)c.results,
               (long long)c.batch_rows, (long long)c.health_epi, (long long)c.kept_collisions);
    else
        fprintf(stderr, "jiayuan: erase: %s\n", why.len ? why.data : err_name(rc));
    buf_release(&why);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc == ERR_INVALID ? 2 : rc ? 1 : 0;
}
