/* cli/restore.c - `jiayuan restore FILE --var NEWDIR [--db URL] [--keys FILE]`: check a
 * backup file (every chunk's tag, its SM3 digest), rebuild the database in a NEW place
 * (SQLite NEWDIR/jiayuan.db, or a PostgreSQL database/schema with no tables), then prove
 * it: the digest of every table equals the backup's manifest, the audit chain verifies
 * under the key file (which the operator copied to NEWDIR/keys/kek or names with --keys).
 * Nothing is written to the restored database, so `jiayuan verify` and the table digests
 * (`jiayuan backup --digests`) read it exactly as the snapshot was (issue 12; S6, O2). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/err.h"
#include "crypto/keyring.h"
#include "domain/platform/audit.h"
#include "domain/platform/backup.h"
#include "domain/platform/keystore.h"

void cli_backup_print_digests(const json_t *tables); /* cli/backup.c */

static const char *
cli_restore_why(int rc)
{
    switch (rc) {
    case ERR_CRYPTO: return ": the file does not authenticate (damaged or tampered with, or another key file)";
    case ERR_INVALID: return ": not a jiayuan backup, or a backup of the other database driver";
    case ERR_CONFLICT: return ": the target already holds a database; restore into a new place";
    case ERR_UNAVAILABLE: return ": pg_restore is missing or failed (see its message above)";
    default: return "";
    }
}

/* cli_restore_prove compares the restored tables with the manifest and walks the chain. */
static int
cli_restore_prove(const struct cli_args *a, const json_t *manifest, const struct kek *kek)
{
    struct db *db = NULL;
    struct keyring kr = { 0 };
    json_t *tables = NULL;
    const char *differs = NULL, *url = cli_opt(a, "db");
    int64_t checked = 0, broken = 0;
    int rc, status = 1;

    if ((rc = db_open(url, cli_opt(a, "var"), &db))) {
        fprintf(stderr, "jiayuan: cannot open the restored database (%s)\n", err_name(rc));
        return 1;
    }
    if ((rc = backup_digests(db, &tables))) {
        fprintf(stderr, "jiayuan: cannot digest the restored tables (%s)\n", err_name(rc));
        goto out;
    }
    if (!backup_digests_equal(json_object_get(manifest, "tables"), tables, &differs)) {
        fprintf(stderr, "jiayuan: the restored table '%s' differs from the backup's manifest\n", differs);
        goto out;
    }
    printf("tables: %zu, every digest equals the backup's manifest\n", json_object_size(tables));
    if ((rc = keystore_load(db, kek, &kr)) || (rc = audit_verify(db, &kr, &checked, &broken))) {
        fprintf(stderr, "jiayuan: cannot check the audit chain (%s)\n", err_name(rc));
        goto out;
    }
    if (broken) {
        printf("audit chain BROKEN (%lld entries intact)\n", (long long)checked);
        goto out;
    }
    printf("audit chain intact: %lld entries\n", (long long)checked);
    cli_backup_print_digests(tables);
    status = 0;
out:
    keyring_wipe(&kr);
    json_decref(tables);
    db_close(db);
    return status;
}

int
cli_restore(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", NULL };
    struct cli_args a;
    struct backup_header h;
    struct kek kek;
    json_t *manifest = NULL;
    char path[1024], hex[2 * SM3_LEN + 1];
    int rc, status;

    if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
        fprintf(stderr, "usage: jiayuan restore FILE --var NEWDIR [--db URL] [--keys FILE]\n");
        return 2;
    }
    if ((rc = cli_parse(argc - 1, argv + 1, allowed, NULL, &a)))
        return rc;
    if (!cli_opt(&a, "var")) {
        fprintf(stderr, "jiayuan: restore needs --var NEWDIR (a new data folder)\n");
        return 2;
    }
    cli_kek_path(&a, path, sizeof path);
    if ((rc = keyring_kek_load(path, &kek))) {
        fprintf(stderr, "jiayuan: cannot read the key file '%s' (%s); copy it there or name it with --keys\n",
                path, err_name(rc));
        return 1;
    }
    rc = backup_restore(&kek, argv[0], cli_opt(&a, "var"), cli_opt(&a, "db"), &h, &manifest);
    if (rc) {
        fprintf(stderr, "jiayuan: restore refused (%s)%s\n", err_name(rc), cli_restore_why(rc));
        kek_wipe(&kek);
        return 1;
    }
    hex_to_str(h.digest, sizeof h.digest, hex);
    printf("backup authenticated: sm3=%s bytes=%llu schema_version=%u\n", hex, (unsigned long long)h.dump_len,
           h.schema_version);
    status = cli_restore_prove(&a, manifest, &kek);
    kek_wipe(&kek);
    json_decref(manifest);
    return status;
}
