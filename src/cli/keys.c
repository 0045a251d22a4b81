/* cli/keys.c - `jiayuan keys init | rotate-data | status | retire N` (S1 key management;
 * issue 12 key rotation, domain/platform/rotation.h).
 *
 *   keys init                       create the key-encryption key file (never overwritten)
 *   keys rotate-data [--chunk N] [--max-chunks N]
 *                                   add a data-key generation and re-seal every sealed value
 *                                   under it; run again to resume an unfinished job (also
 *                                   after kill -9). Exit 0 when finished, 3 when stopped at
 *                                   --max-chunks (a test and operator hook), 1 on error.
 *   keys rotate-index [--chunk N] [--max-chunks N]
 *                                   add a blind-index generation for ID numbers, fill its index
 *                                   slot from the sealed values, switch to it (issue 12;
 *                                   domain/platform/rotation_index.h); exit codes as rotate-data
 *   keys status                     keys, the newest job and its progress per table
 *   keys retire N                   destroy key N's field keys once no value uses it
 * Works while `serve` runs; serving nodes pick a new key up on SIGHUP or within their poll
 * period (cli/serve.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/keyring.h"
#include "domain/platform/rotation.h"
#include "domain/platform/rotation_index.h"
#include "domain/testing/result.h"

#define KEYS_USAGE                                                                                                  \
    "usage: jiayuan keys init [--keys FILE] [--var DIR]\n"                                                          \
    "       jiayuan keys rotate-data [--chunk N] [--max-chunks N] [--keys FILE] [--var DIR] [--db URL]\n"           \
    "       jiayuan keys rotate-index [--chunk N] [--max-chunks N] [--keys FILE] [--var DIR] [--db URL]\n"          \
    "       jiayuan keys status [--keys FILE] [--var DIR] [--db URL]\n"                                             \
    "       jiayuan keys retire N [--keys FILE] [--var DIR] [--db URL]\n"

static int
keys_init(const struct cli_args *a)
{
    char path[1024];
    int rc;
    cli_kek_path(a, path, sizeof path);
    rc = keyring_kek_create(path);
    if (rc == ERR_CONFLICT) {
        fprintf(stderr, "jiayuan: key file '%s' exists already; it is never overwritten\n", path);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "jiayuan: cannot create key file '%s'\n", path);
        return 1;
    }
    printf("key-encryption key written to %s (mode 0600). Back it up apart from the database:\n"
           "without it the encrypted data cannot be read.\n", path);
    return 0;
}

static int
keys_size_opt(const struct cli_args *a, const char *name, size_t *out)
{
    int64_t v = 0;
    const char *s = cli_opt(a, name);
    if (!s)
        return 0;
    if (cstr_to_i64(s, &v, 1, 1000000)) {
        fprintf(stderr, "jiayuan: --%s must be a whole number from 1 to 1000000\n", name);
        return 2;
    }
    *out = (size_t)v;
    return 0;
}

/* keys_remac: the results' row MACs follow the data key (rotation.h rotation_remac_fn) */
static int
keys_remac(struct app *app, struct db *db, uint32_t to_key, size_t limit, int64_t *after, size_t *scanned)
{
    return result_mac_rekey(&app->keys, db, to_key, limit, after, scanned);
}

static int
keys_rotate(struct app *app, struct db *db, const struct cli_args *a)
{
    struct rotation_opts o = { .remac = keys_remac };
    struct rotation_state st;
    char path[1024];
    int rc;

    if ((rc = keys_size_opt(a, "chunk", &o.chunk_rows)) || (rc = keys_size_opt(a, "max-chunks", &o.max_chunks)))
        return rc;
    cli_kek_path(a, path, sizeof path);
    if ((rc = rotation_begin(app, db, path, &st))) {
        fprintf(stderr, "jiayuan: cannot start the key rotation (%s)\n", err_name(rc));
        return 1;
    }
    printf("rotation %lld: re-sealing under data key %u (pass %d)\n", (long long)st.id, (unsigned)st.to_key, st.pass);
    fflush(stdout);
    if ((rc = rotation_run(app, db, &o, &st))) {
        fprintf(stderr, "jiayuan: the key rotation stopped (%s); run it again to continue\n", err_name(rc));
        return 1;
    }
    if (st.stopped) {
        printf("rotation %lld stopped after %lld chunks (pass %d); run 'jiayuan keys rotate-data' again to "
               "continue\n", (long long)st.id, (long long)st.chunks, st.pass);
        return 3;
    }
    printf("rotation %lld finished: every sealed value is under data key %u (%d passes)\n", (long long)st.id,
           (unsigned)st.to_key, st.pass);
    return 0;
}

static int
keys_rotate_index(struct app *app, struct db *db, const struct cli_args *a)
{
    struct rotation_opts o = { 0 };
    struct rotation_state st;
    char path[1024];
    int rc;

    if ((rc = keys_size_opt(a, "chunk", &o.chunk_rows)) || (rc = keys_size_opt(a, "max-chunks", &o.max_chunks)))
        return rc;
    cli_kek_path(a, path, sizeof path);
    if ((rc = index_rotation_begin(app, db, path, &st))) {
        if (rc == ERR_BUSY)
            fprintf(stderr, "jiayuan: the last index switch is under 15 s old; run it again in a moment\n");
        else
            fprintf(stderr, "jiayuan: cannot start the index key rotation (%s)\n", err_name(rc));
        return 1;
    }
    printf("index rotation %lld: filling the ID-number indexes under index key %u (pass %d)\n", (long long)st.id,
           (unsigned)st.to_key, st.pass);
    fflush(stdout);
    if ((rc = index_rotation_run(app, db, path, &o, &st))) {
        fprintf(stderr, "jiayuan: the index key rotation stopped (%s); run it again to continue\n", err_name(rc));
        return 1;
    }
    if (st.stopped) {
        printf("index rotation %lld stopped after %lld chunks (pass %d); run 'jiayuan keys rotate-index' again to "
               "continue\n", (long long)st.id, (long long)st.chunks, st.pass);
        return 3;
    }
    printf("index rotation %lld finished: ID-number lookups use index key %u (%d passes)\n", (long long)st.id,
           (unsigned)st.to_key, st.pass);
    return 0;
}

static int
keys_retire(struct app *app, struct db *db, const struct cli_args *a, const char *arg)
{
    struct kek kek;
    char path[1024];
    int64_t id = 0, in_use = -1;
    int rc;

    if (!arg || cstr_to_i64(arg, &id, 1, UINT32_MAX)) {
        fprintf(stderr, KEYS_USAGE);
        return 2;
    }
    cli_kek_path(a, path, sizeof path);
    if ((rc = keyring_kek_load(path, &kek))) {
        fprintf(stderr, "jiayuan: key file '%s' cannot be read (%s)\n", path, err_name(rc));
        return 1;
    }
    rc = rotation_retire(app, db, &kek, (uint32_t)id, &in_use);
    kek_wipe(&kek);
    if (rc == ERR_BUSY)
        fprintf(stderr, "jiayuan: a key rotation is unfinished; run 'jiayuan keys rotate-data' first\n");
    else if (rc == ERR_CONFLICT && in_use > 0)
        fprintf(stderr, "jiayuan: key %lld still seals %lld values; it is kept\n", (long long)id, (long long)in_use);
    else if (rc == ERR_CONFLICT)
        fprintf(stderr, "jiayuan: key %lld is the active key or retired already\n", (long long)id);
    else if (rc == ERR_NOT_FOUND)
        fprintf(stderr, "jiayuan: there is no data key %lld\n", (long long)id);
    else if (rc)
        fprintf(stderr, "jiayuan: cannot retire key %lld (%s)\n", (long long)id, err_name(rc));
    else
        printf("key %lld retired: no sealed value used it; its field keys are destroyed\n", (long long)id);
    return rc ? 1 : 0;
}

int
cli_keys(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", "chunk", "max-chunks", NULL };
    struct cli_args a;
    struct app app;
    const char *cmd = argc > 0 ? argv[0] : "";
    bool retire = !strcmp(cmd, "retire");
    int skip = retire ? 2 : 1, rc;

    if (strcmp(cmd, "init") && strcmp(cmd, "rotate-data") && strcmp(cmd, "rotate-index") && strcmp(cmd, "status") &&
        !retire) {
        fprintf(stderr, KEYS_USAGE);
        return 2;
    }
    if (argc < skip) {
        fprintf(stderr, KEYS_USAGE);
        return 2;
    }
    if ((rc = cli_parse(argc - skip, argv + skip, allowed, NULL, &a)))
        return rc;
    if (!strcmp(cmd, "init"))
        return keys_init(&a);
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    if (!strcmp(cmd, "rotate-data"))
        rc = keys_rotate(&app, db, &a);
    else if (!strcmp(cmd, "rotate-index"))
        rc = keys_rotate_index(&app, db, &a);
    else if (retire)
        rc = keys_retire(&app, db, &a, argv[1]);
    else if ((rc = rotation_print(&app, db, stdout)) || (rc = index_rotation_print(db, stdout))) {
        fprintf(stderr, "jiayuan: cannot read the key rotation state (%s)\n", err_name(rc));
        rc = 1;
    }
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return rc;
}
