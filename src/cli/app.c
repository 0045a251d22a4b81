/* cli/app.c - option parsing and application start-up shared by every subcommand. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_writer.h"
#include "domain/platform/division.h"
#include "domain/platform/keystore.h"
#include "domain/platform/policy.h"
#include "domain/platform/write_group.h"
#include "json/jsonio.h"

int
cli_parse(int argc, char **argv, const char *const *allowed, const char *const *flags,
          struct cli_args *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq, *value = NULL;
        char name[64];
        bool known = false, is_flag = false;
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "jiayuan: unexpected argument '%s'\n", arg);
            return 2;
        }
        eq = strchr(arg, '=');
        str_copy(name, sizeof name, arg + 2);
        if (eq && (size_t)(eq - arg - 2) < sizeof name)
            name[eq - arg - 2] = '\0';
        for (const char *const *f = allowed; *f; f++)
            known |= strcmp(*f, name) == 0;
        for (const char *const *f = flags; f && *f; f++)
            is_flag |= strcmp(*f, name) == 0;
        if (!known) {
            fprintf(stderr, "jiayuan: unknown option '--%s'\n", name);
            return 2;
        }
        if (!is_flag) {
            value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) {
                fprintf(stderr, "jiayuan: option '--%s' needs a value\n", name);
                return 2;
            }
        }
        if (out->n == CLI_MAX_OPTS) {
            fprintf(stderr, "jiayuan: too many options\n");
            return 2;
        }
        str_copy(out->names[out->n], sizeof out->names[out->n], name); /* without "=value" */
        out->values[out->n] = value;
        out->n++;
    }
    return 0;
}

const char *
cli_opt(const struct cli_args *a, const char *name)
{
    for (int i = a->n - 1; i >= 0; i--)
        if (strcmp(a->names[i], name) == 0)
            return a->values[i];
    return NULL;
}

bool
cli_flag(const struct cli_args *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->names[i], name) == 0)
            return true;
    return false;
}

void
cli_kek_path(const struct cli_args *a, char *out, size_t cap)
{
    const char *keys = cli_opt(a, "keys"), *var = cli_opt(a, "var");
    if (keys)
        str_copy(out, cap, keys);
    else
        snprintf(out, cap, "%s/keys/kek", var ? var : "./var");
}

int
cli_read_secret(char *out, size_t cap)
{
    if (!fgets(out, (int)cap, stdin))
        return ERR_INVALID;
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] ? 0 : ERR_INVALID;
}

static int
cli_mkdir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "jiayuan: cannot create folder '%s': %s\n", path, strerror(errno));
    return ERR_IO;
}

int
cli_app_open(struct app *app, const struct cli_args *a, unsigned flags, size_t pool_size)
{
    const char *var = cli_opt(a, "var"), *url = cli_opt(a, "db");
    char kek_path[1024];
    struct kek kek;
    struct db *db = NULL;
    int rc, applied = 0;

    memset(app, 0, sizeof *app);
    app->started_at = time_now_ms();
    app->policy = (struct policy)POLICY_DEFAULTS;
    str_copy(app->var_dir, sizeof app->var_dir, var ? var : "./var");
    jsonio_init();
    if ((rc = crypto_selftest())) {
        fprintf(stderr, "jiayuan: cryptographic self-test failed; refusing to run\n");
        return rc;
    }
    if (!url && (rc = cli_mkdir(app->var_dir)))
        return rc;
    if ((rc = db_pool_new(url, app->var_dir, pool_size, &app->pool))) {
        fprintf(stderr, "jiayuan: cannot open the database (%s)\n", err_name(rc));
        return rc;
    }
    db = db_pool_get(app->pool);
    if ((rc = db_migrate(db, &applied))) {
        fprintf(stderr, "jiayuan: database migration failed (%s)\n", err_name(rc));
        goto out;
    }
    if (applied) {
        char n[16];
        snprintf(n, sizeof n, "%d", applied);
        log_info("db.migrated", "applied", n, "db", db_describe(db), NULL);
    }
    if ((rc = reference_seed(db))) {
        fprintf(stderr, "jiayuan: loading reference data failed (%s)\n", err_name(rc));
        goto out;
    }
    if ((rc = policy_load(db, &app->policy)))
        goto out;
    if (flags & CLI_OPEN_KEYS) {
        cli_kek_path(a, kek_path, sizeof kek_path);
        rc = keyring_kek_load(kek_path, &kek);
        if (rc == ERR_NOT_FOUND) {
            fprintf(stderr, "jiayuan: no key file at '%s'; run 'jiayuan keys init' first\n", kek_path);
            goto out;
        } else if (rc == ERR_FORBIDDEN) {
            fprintf(stderr, "jiayuan: key file '%s' must have mode 0600\n", kek_path);
            goto out;
        } else if (rc) {
            fprintf(stderr, "jiayuan: key file '%s' is not valid\n", kek_path);
            goto out;
        }
        rc = keystore_load(db, &kek, &app->keys);
        kek_wipe(&kek);
        if (rc) {
            fprintf(stderr, "jiayuan: the data keys do not open with this key file (%s)\n", err_name(rc));
            goto out;
        }
    }
    if (!rc && (flags & CLI_OPEN_WRITER)) {
        /* issue 13: counters, outbox head and audit head folded once per group */
        struct db_writer_hooks hooks;
        write_group_hooks(&app->keys, &hooks);
        struct db_writer_opts wopts = { 0, (flags & CLI_OPEN_NO_FOLD) ? NULL : &hooks }; /* copied */
        if ((rc = db_writer_start(url, app->var_dir, &wopts, &app->writer)))
            fprintf(stderr, "jiayuan: cannot start the database writer (%s)\n", err_name(rc));
    }
out:
    db_pool_put(app->pool, db);
    if (rc) {
        db_pool_free(app->pool);
        app->pool = NULL;
    }
    return rc;
}

void
cli_app_close(struct app *app)
{
    db_writer_stop(app->writer); /* runs what still waits, before the pool goes */
    app->writer = NULL;
    db_pool_free(app->pool);
    app->pool = NULL;
    keyring_wipe(&app->keys);
}
