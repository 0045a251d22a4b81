/* domain/platform/backup.c - online backup and restore of the database (backup.h; issue
 * 12: S1, S6, S7, O2). Drives SQLite's backup API through db.h and pg_dump / pg_restore
 * as child processes (argument vectors, never a shell); the password of a PostgreSQL URL
 * goes to them in PGPASSWORD, never on a command line that `ps` shows. Not the file format
 * (backup_file.c) and not the table digests (backup_digest.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "domain/platform/backup.h"

#define BACKUP_PATH_MAX 1024

static const char sql_schema[] = "SELECT CAST(current_schema() AS TEXT)";
static const char sql_set_snapshot_tx[] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
static const char sql_export_snapshot[] = "SELECT pg_export_snapshot()";
static const char sql_schema_tables[] =
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = ?1";
static const char sql_schema_exists[] = "SELECT count(*) FROM pg_namespace WHERE nspname = ?1";

/* A private folder next to path (for the plaintext-free but unsealed dump): 0700. */
static int
backup_tmpdir(const char *near, char dir[BACKUP_PATH_MAX])
{
    const char *slash = strrchr(near, '/');
    int len = slash ? (int)(slash - near) : 1;
    snprintf(dir, BACKUP_PATH_MAX, "%.*s/.jiayuan-backup-XXXXXX", len, slash ? near : ".");
    if (slash == near)
        snprintf(dir, BACKUP_PATH_MAX, "/.jiayuan-backup-XXXXXX");
    return mkdtemp(dir) ? 0 : ERR_IO;
}

static void
backup_tmpdir_remove(const char *dir, const char *file)
{
    char p[BACKUP_PATH_MAX + 16];
    if (!dir[0])
        return;
    snprintf(p, sizeof p, "%s/%s", dir, file);
    unlink(p);
    rmdir(dir);
}

/* backup_split_url copies url without its password to plain and the password, %-decoded,
 * to pw ("" when none). postgres://user:pw@host/db?… */
static void
backup_split_url(const char *url, struct buf *plain, struct buf *pw)
{
    const char *auth = strstr(url, "://"), *at, *colon, *end;
    if (!auth) {
        buf_adds(plain, url);
        return;
    }
    auth += 3;
    end = auth + strcspn(auth, "/?");
    at = memchr(auth, '@', (size_t)(end - auth));
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        buf_adds(plain, url);
        return;
    }
    buf_add(plain, url, (size_t)(colon - url));
    buf_adds(plain, at);
    for (const char *p = colon + 1; p < at; p++) {
        int hi, lo;
        if (*p == '%' && p + 2 < at + 1 && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
            buf_addch(pw, (char)(hi << 4 | lo));
            p += 2;
        } else {
            buf_addch(pw, *p);
        }
    }
}

/* backup_spawn runs argv[0] (found in PATH) with PGPASSWORD=pw when pw is not empty and
 * waits for it. 0 when it exits 0; ERR_UNAVAILABLE otherwise (logged). */
static int
backup_spawn(char *const argv[], const char *pw)
{
    pid_t pid = fork();
    int status = 0;
    char code[16];

    if (pid < 0)
        return ERR_UNAVAILABLE;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0)
            dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
        if (pw[0])
            setenv("PGPASSWORD", pw, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ERR_UNAVAILABLE;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    snprintf(code, sizeof code, "%d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    log_error("backup.tool_failed", "tool", argv[0], "status", code, NULL);
    return ERR_UNAVAILABLE;
}

static int
backup_query_text(struct db *db, const char *sql, char *out, size_t cap)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int rc;
    out[0] = '\0';
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_step(st, &row)) && row) {
        const char *v = db_col_text(st, 0, &n);
        snprintf(out, cap, "%.*s", (int)n, v ? v : "");
    }
    db_done(st);
    return rc;
}

static int
backup_count(struct db *db, const char *sql, const char *arg, int64_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *n = 0;
    if (!(rc = db_prepare(db, sql, &st)) && !(rc = db_bind_text(st, 1, arg, strlen(arg))) &&
        !(rc = db_step(st, &row)) && row)
        *n = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

/* backup_pg_dump dumps url's current schema (the whole database for "public") to path,
 * on the snapshot of a transaction that db holds open meanwhile, and digests the tables in
 * that same transaction. */
static int
backup_pg_dump(struct db *db, const char *url, const char *path, char *schema, size_t schema_cap,
               json_t **tables)
{
    struct buf plain = BUF_INIT, pw = BUF_INIT;
    char snapshot[128], snap_opt[160], file_opt[BACKUP_PATH_MAX + 32], schema_opt[96];
    int rc;

    if ((rc = backup_query_text(db, sql_schema, schema, schema_cap)))
        return rc;
    if (!schema[0])
        return ERR_INVALID; /* the URL's search_path names no existing schema */
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_exec(db, sql_set_snapshot_tx)) || (rc = backup_query_text(db, sql_export_snapshot, snapshot, sizeof snapshot)))
        goto out;
    backup_split_url(url, &plain, &pw);
    snprintf(snap_opt, sizeof snap_opt, "--snapshot=%s", snapshot);
    snprintf(file_opt, sizeof file_opt, "--file=%s", path);
    snprintf(schema_opt, sizeof schema_opt, "--schema=%s", schema);
    char *argv[] = { "pg_dump", "--format=custom", "--no-owner", "--no-privileges", snap_opt, file_opt,
                     "--dbname", plain.data, strcmp(schema, "public") ? schema_opt : NULL, NULL };
    if ((rc = backup_spawn(argv, pw.data)))
        goto out;
    rc = backup_digests(db, tables);
out:
    db_rollback(db); /* read only: nothing to commit */
    buf_release(&plain);
    buf_release_secret(&pw);
    return rc;
}

static int
backup_sqlite_dump(struct db *db, const char *path, json_t **tables)
{
    struct db *copy = NULL;
    char url[BACKUP_PATH_MAX + 32];
    int rc;
    if ((rc = db_sqlite_backup(db, path)))
        return rc;
    snprintf(url, sizeof url, "sqlite:%s", path);
    if ((rc = db_open(url, NULL, &copy)))
        return rc;
    rc = backup_digests(copy, tables);
    db_close(copy);
    return rc;
}

int
backup_create(struct db *db, const char *url, const struct kek *kek, const char *out_path,
              struct backup_header *h, json_t **manifest)
{
    char dir[BACKUP_PATH_MAX] = "", dump[BACKUP_PATH_MAX + 16], schema[64] = "main";
    json_t *tables = NULL, *m = NULL;
    char *text = NULL;
    int version = 0, rc;
    bool pg = db_kind(db) == DB_POSTGRES;

    memset(h, 0, sizeof *h);
    if (access(out_path, F_OK) == 0)
        return ERR_CONFLICT;
    if ((rc = db_schema_version(db, &version)) || (rc = backup_tmpdir(out_path, dir)))
        goto out;
    snprintf(dump, sizeof dump, "%s/dump", dir);
    rc = pg ? backup_pg_dump(db, url, dump, schema, sizeof schema, &tables) : backup_sqlite_dump(db, dump, &tables);
    if (rc)
        goto out;
    h->driver = pg ? BACKUP_POSTGRES : BACKUP_SQLITE;
    h->schema_version = (uint32_t)version;
    h->created_ms = time_now_ms();
    m = json_pack("{s:s,s:i,s:s,s:s,s:i,s:I,s:O}", "format", "jiayuan-backup", "version", 1, "driver",
                  pg ? "postgres" : "sqlite", "schema", schema, "schema_version", version, "created_ms",
                  (json_int_t)h->created_ms, "tables", tables);
    text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        rc = ERR_INTERNAL;
        goto out;
    }
    if ((rc = backup_file_seal(kek, h, text, strlen(text), dump, out_path)))
        goto out;
    *manifest = m;
    m = NULL;
out:
    backup_tmpdir_remove(dir, "dump");
    free(text);
    json_decref(tables);
    json_decref(m);
    return rc;
}

/* backup_pg_prepare_target checks that url's database has no table in schema; an empty
 * schema of that name other than public is dropped, so that pg_restore can create it. */
static int
backup_pg_prepare_target(const char *url, const char *schema)
{
    struct db *db = NULL;
    int64_t tables = 0, exists = 0;
    char sql[128];
    int rc;
    if ((rc = db_open(url, NULL, &db)))
        return rc;
    if ((rc = backup_count(db, sql_schema_tables, schema, &tables)) ||
        (rc = backup_count(db, sql_schema_exists, schema, &exists)))
        goto out;
    if (tables > 0) {
        rc = ERR_CONFLICT;
        goto out;
    }
    if (exists && strcmp(schema, "public") != 0) {
        /* schema is a checked identifier (backup_restore); see backup_digest.c */
        snprintf(sql, sizeof sql, "DROP SCHEMA \"%s\"", schema);
        rc = db_exec(db, sql);
    }
out:
    db_close(db);
    return rc;
}

static bool
backup_ident_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
backup_restore_pg(const char *url, const char *schema, const char *dump)
{
    struct buf plain = BUF_INIT, pw = BUF_INIT;
    int rc;
    if (!backup_ident_ok(schema))
        return ERR_INVALID;
    if ((rc = backup_pg_prepare_target(url, schema)))
        return rc;
    backup_split_url(url, &plain, &pw);
    char *argv[] = { "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                     "--dbname", plain.data, (char *)dump, NULL };
    rc = backup_spawn(argv, pw.data);
    buf_release(&plain);
    buf_release_secret(&pw);
    return rc;
}

static int
backup_restore_sqlite(const char *var_dir, const char *dump)
{
    char target[BACKUP_PATH_MAX + 16], side[BACKUP_PATH_MAX + 24];
    snprintf(target, sizeof target, "%s/jiayuan.db", var_dir);
    snprintf(side, sizeof side, "%s-wal", target);
    if (access(target, F_OK) == 0 || access(side, F_OK) == 0)
        return ERR_CONFLICT;
    /* link() fails when target appeared meanwhile: never over an existing database. */
    if (link(dump, target) != 0)
        return errno == EEXIST ? ERR_CONFLICT : ERR_IO;
    return 0;
}

int
backup_restore(const struct kek *kek, const char *in_path, const char *var_dir, const char *url,
               struct backup_header *h, json_t **manifest)
{
    char dir[BACKUP_PATH_MAX] = "", dump[BACKUP_PATH_MAX + 16], probe[BACKUP_PATH_MAX + 8];
    struct buf text = BUF_INIT;
    json_t *m = NULL;
    const char *schema;
    bool to_pg = url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
    int rc;

    buf_init(&text, BACKUP_MANIFEST_MAX + 1);
    if (url && !to_pg)
        return ERR_INVALID; /* SQLite restores go to VAR/jiayuan.db */
    if (mkdir(var_dir, 0700) != 0 && errno != EEXIST)
        return ERR_IO;
    snprintf(probe, sizeof probe, "%s/x", var_dir);
    if ((rc = backup_tmpdir(probe, dir)))
        goto out;
    snprintf(dump, sizeof dump, "%s/dump", dir);
    if ((rc = backup_file_open(kek, in_path, &text, dump, h)))
        goto out;
    if (!(m = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, NULL)) ||
        !(schema = json_string_value(json_object_get(m, "schema"))) || !json_is_object(json_object_get(m, "tables"))) {
        rc = ERR_INVALID;
        goto out;
    }
    if ((h->driver == BACKUP_POSTGRES) != to_pg) {
        rc = ERR_INVALID; /* a dump restores with its own driver */
        goto out;
    }
    rc = to_pg ? backup_restore_pg(url, schema, dump) : backup_restore_sqlite(var_dir, dump);
    if (rc)
        goto out;
    *manifest = m;
    m = NULL;
out:
    backup_tmpdir_remove(dir, "dump");
    buf_release(&text);
    json_decref(m);
    return rc;
}
