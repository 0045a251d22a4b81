/* domain/platform/backup.h - online backup and restore of the whole database (issue 12;
 * S1, S6, S7, O2). The file format is backup_file.h.
 *
 * A backup is one consistent snapshot taken while the server keeps writing: SQLite's
 * online backup API (db_sqlite_backup), or `pg_dump -Fc` run by this process on the
 * snapshot of a REPEATABLE READ transaction it exported (pg_export_snapshot), so that the
 * table digests of the manifest describe exactly the data of the dump. The dump is
 * written to a private temporary folder (0700) next to the output, sealed, and removed.
 *
 * Table digests (backup_digests) prove a restore: for each table of the current schema,
 * the row count and the sum modulo 2^256 of SM3(row) over its rows (order-independent),
 * a row being its columns in order, each a NULL mark or length and bytes. Digests compare
 * within one driver (a PostgreSQL row is read as PostgreSQL's bytes), not across drivers.
 */
#ifndef JY_DOMAIN_BACKUP_H
#define JY_DOMAIN_BACKUP_H
#include <jansson.h>
#include <stdint.h>

#include "db/db.h"
#include "domain/platform/backup_file.h"

/* backup_digests returns (new reference in *out) {"table": {"rows": N, "sm3": "hex"}, …}
 * for every table of db's current schema (SQLite: the main database). Runs inside the
 * caller's transaction when one is open. ERR_DB on a database failure, ERR_INVALID on a
 * table name that is not a plain lower-case identifier (never the case for ours). */
int backup_digests(struct db *db, json_t **out);
/* backup_digests_equal compares two digest objects; on the first difference *table names
 * the table (borrowed from a or b) and false is returned. */
bool backup_digests_equal(const json_t *a, const json_t *b, const char **table);

/* backup_create writes a backup of the database at url (NULL = SQLite in var_dir) to a new
 * file out_path (ERR_CONFLICT when it exists) sealed under kek. db is a connection to that
 * same database, outside a transaction. *manifest receives the manifest written into the
 * file (new reference) and h its header (the digest). PostgreSQL needs pg_dump in PATH
 * (ERR_UNAVAILABLE when it is missing or fails). Errors: ERR_IO, ERR_DB, ERR_CRYPTO. */
int backup_create(struct db *db, const char *url, const struct kek *kek, const char *out_path,
                  struct backup_header *h, json_t **manifest);

/* backup_restore checks and unpacks the backup in_path into a NEW database: SQLite at
 * var_dir/jiayuan.db (ERR_CONFLICT when that exists), or the PostgreSQL database at url,
 * whose target schema (the backup's) must hold no table (ERR_CONFLICT otherwise; an empty
 * schema of that name is replaced). var_dir is created (0700) and holds the temporary dump.
 * ERR_CRYPTO when the file does not authenticate under kek (nothing is restored then),
 * ERR_INVALID when it is not a backup, ERR_UNAVAILABLE when pg_restore is missing or
 * fails. *manifest receives the backup's manifest. The caller compares the digests of the
 * restored database with the manifest's "tables". */
int backup_restore(const struct kek *kek, const char *in_path, const char *var_dir, const char *url,
                   struct backup_header *h, json_t **manifest);

#endif
