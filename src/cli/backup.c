/* cli/backup.c - `jiayuan backup -o FILE [--var DIR] [--db URL] [--keys FILE]`: an online,
 * consistent backup sealed under a key derived from the key file (not a data key), its SM3
 * digest printed and audited; `jiayuan backup --digests` prints the table digests of the
 * live database instead, to compare with a restored one (issue 12; S1, S6, O2). The work
 * is domain/platform/backup.c. Runs while `serve` runs. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/err.h"
#include "crypto/keyring.h"
#include "domain/platform/audit.h"
#include "domain/platform/backup.h"

/* cli_backup_print_digests prints "TABLE ROWS SM3" lines, sorted by table. */
void cli_backup_print_digests(const json_t *tables);

void
cli_backup_print_digests(const json_t *tables)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)tables, k, v) {
        printf("table %s rows %lld sm3 %s\n", k, (long long)json_integer_value(json_object_get(v, "rows")),
               json_string_value(json_object_get(v, "sm3")));
    }
}

static int
cli_backup_digests(struct db *db)
{
    json_t *tables = NULL;
    int rc = backup_digests(db, &tables);
    if (rc) {
        fprintf(stderr, "jiayuan: cannot digest the tables (%s)\n", err_name(rc));
        return 1;
    }
    cli_backup_print_digests(tables);
    json_decref(tables);
    return 0;
}

static int
cli_backup_write(struct app *app, struct db *db, const struct cli_args *a, const char *out)
{
    struct backup_header h;
    struct kek kek;
    struct actor who;
    json_t *manifest = NULL;
    char path[1024], hex[2 * SM3_LEN + 1], detail[256];
    int rc;

    cli_kek_path(a, path, sizeof path);
    if ((rc = keyring_kek_load(path, &kek))) {
        fprintf(stderr, "jiayuan: cannot read the key file '%s' (%s)\n", path, err_name(rc));
        return 1;
    }
    rc = backup_create(db, cli_opt(a, "db"), &kek, out, &h, &manifest);
    kek_wipe(&kek);
    actor_system(&who, "cli");
    if (rc) {
        fprintf(stderr, "jiayuan: backup failed (%s)%s\n", err_name(rc),
                rc == ERR_CONFLICT ? ": the output file exists; it is never overwritten"
                : rc == ERR_UNAVAILABLE ? ": pg_dump is missing or failed (see its message above)" : "");
        audit_record(db, &app->keys, &who, "backup.create", "database", "failed", err_name(rc));
        return 1;
    }
    hex_to_str(h.digest, sizeof h.digest, hex);
    snprintf(detail, sizeof detail, "sm3=%s bytes=%llu tables=%zu schema_version=%u", hex,
             (unsigned long long)h.dump_len, json_object_size(json_object_get(manifest, "tables")),
             h.schema_version);
    if (audit_record(db, &app->keys, &who, "backup.create", "database", "ok", detail))
        fprintf(stderr, "jiayuan: warning: the backup was written but could not be audited\n");
    printf("backup written to %s\n%s\n", out, detail);
    json_decref(manifest);
    return 0;
}

int
cli_backup(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", "o", "digests", NULL };
    static const char *const flags[] = { "digests", NULL };
    char *rest[CLI_MAX_OPTS * 2 + 2];
    struct cli_args a;
    struct app app;
    int nrest = 0, status, rc;
    const char *in = NULL, *out = NULL;

    if (argc > (int)(sizeof rest / sizeof *rest)) {
        fprintf(stderr, "jiayuan: too many arguments\n");
        return 2;
    }
    if ((rc = cli_split_args(argc, argv, (const char *const[]){ "var", "db", "keys", NULL }, &in, &out, rest,
                             &nrest)))
        return rc;
    if ((rc = cli_parse(nrest, rest, allowed, flags, &a)))
        return rc;
    if (in || (!out && !cli_flag(&a, "digests"))) {
        fprintf(stderr, "usage: jiayuan backup -o FILE [--var DIR] [--db URL] [--keys FILE] | backup --digests\n");
        return 2;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    status = out ? cli_backup_write(&app, db, &a, out) : cli_backup_digests(db);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return status;
}
